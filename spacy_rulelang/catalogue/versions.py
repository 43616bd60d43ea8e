"""Version numbers after or inside a language name: "Python 3.11", "python3", "C++17", "ES6"."""
from __future__ import annotations

import re
from typing import Optional, Tuple

# A token that is a version on its own: "3", "3.11", "1.21.0", "2.x", "v8"? (no: V8 is an engine).
VERSION_TOKEN = re.compile(r"^(?:\d{1,4}(?:\.(?:\d{1,4}|x))*|\d{1,2}\.\d+\.\d+[a-z]?\d*)$", re.IGNORECASE)
# A name with a version glued on: "python3", "python3.4.1", "c++11", "es2015", "php5.3", "vb6".
ATTACHED = re.compile(r"^(?P<base>.*?[a-z+#])[-_]?(?P<version>\d{1,4}(?:\.\d{1,4})*(?:\.x)?)$", re.IGNORECASE)


def split_attached_version(text: str) -> Optional[Tuple[str, str]]:
    """("python", "3") for "python3"; None when nothing version-like is glued on."""
    match = ATTACHED.match(text)
    if not match:
        return None
    return match.group("base"), match.group("version")


def is_version(text: str) -> bool:
    return bool(VERSION_TOKEN.match(text))
