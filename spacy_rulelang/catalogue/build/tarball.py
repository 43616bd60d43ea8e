"""Read GitHub Linguist's language list from the pinned `linguist-languages` npm tarball.

The package ships one ES module a language (`package/data/Go.js`: `export default {
name: 'Go', type: 'programming', aliases: ['golang'], ... }`). We read the tarball as it
is (no extraction, no Node.js), check its sha256 against the pinned value, and parse
the object literals with a small tokenizer: they hold only strings, numbers, booleans,
arrays and objects.
"""
from __future__ import annotations

import hashlib
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple, Union

from spacy_rulelang.errors import Errors

PACKAGE = "linguist-languages"
VERSION = "9.5.0"
TARBALL = f"{PACKAGE}-{VERSION}.tgz"
SHA256 = "395ac8b6c5df87b6d0a92b7557c4046685f5b00e6abeaecbb6945195eb233c8d"
FETCH_COMMAND = f"npm pack {PACKAGE}@{VERSION} --pack-destination assets"
LICENCE_MEMBERS = ("package/LICENSE", "package/ThirdPartyNoticeText.txt")

_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)"""
                    r"""|(?P<word>[A-Za-z_$][\w$]*)|(?P<punct>[{}\[\],:]))""", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


@dataclass(frozen=True)
class LinguistLanguage:
    """The fields of one Linguist language that the catalogue uses."""

    name: str
    type: str
    aliases: Tuple[str, ...] = ()
    group: str = ""
    ace_mode: str = ""
    tm_scope: str = ""


def sha256_of(path: Union[str, Path]) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fileh:
        for block in iter(lambda: fileh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def check_tarball(path: Union[str, Path], expected: str = SHA256) -> None:
    """The tarball must exist and be the pinned one; each error says how to get it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(Errors.E030.format(path=path, command=FETCH_COMMAND))
    found = sha256_of(path)
    if found != expected:
        raise ValueError(Errors.E031.format(path=path, found=found, expected=expected,
                                            command=FETCH_COMMAND))


def _unquote(text: str) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u":
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _tokens(source: str) -> Iterator[Tuple[str, str]]:
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            return
        match = _TOKEN.match(source, pos)
        if match is None:
            raise ValueError(f"unexpected text at {pos}: {source[pos:pos + 30]!r}")
        kind = match.lastgroup or ""
        yield kind, match.group(kind)
        pos = match.end()


def parse_module(source: str) -> Dict[str, Any]:
    """The object of `export default {...}`."""
    head = "export default"
    start = source.find(head)
    if start < 0:
        raise ValueError("no 'export default' in module")
    tokens = list(_tokens(source[start + len(head):]))
    value, pos = _value(tokens, 0)
    if not isinstance(value, dict):
        raise ValueError("the default export is not an object")
    return value


def _value(tokens: List[Tuple[str, str]], pos: int) -> Tuple[Any, int]:
    kind, text = tokens[pos]
    if kind == "str":
        return _unquote(text), pos + 1
    if kind == "num":
        return (float(text) if "." in text else int(text)), pos + 1
    if kind == "word":
        constants = {"true": True, "false": False, "null": None}
        if text not in constants:
            raise ValueError(f"unexpected identifier {text!r}")
        return constants[text], pos + 1
    if text == "[":
        items: List[Any] = []
        pos += 1
        while tokens[pos][1] != "]":
            item, pos = _value(tokens, pos)
            items.append(item)
            if tokens[pos][1] == ",":
                pos += 1
        return items, pos + 1
    if text == "{":
        obj: Dict[str, Any] = {}
        pos += 1
        while tokens[pos][1] != "}":
            key_kind, key = tokens[pos]
            key = _unquote(key) if key_kind == "str" else key
            if tokens[pos + 1][1] != ":":
                raise ValueError(f"expected ':' after key {key!r}")
            obj[key], pos = _value(tokens, pos + 2)
            if tokens[pos][1] == ",":
                pos += 1
        return obj, pos + 1
    raise ValueError(f"unexpected {text!r}")


def read_languages(path: Union[str, Path], expected_sha256: str = SHA256) -> List[LinguistLanguage]:
    """Every language in the tarball, sorted by name."""
    check_tarball(path, expected_sha256)
    languages = []
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            if not (member.isfile() and member.name.startswith("package/data/") and member.name.endswith(".js")):
                continue
            fileh = tar.extractfile(member)
            assert fileh is not None
            try:
                data = parse_module(fileh.read().decode("utf8"))
            except (ValueError, IndexError) as err:
                raise ValueError(Errors.E032.format(path=path, member=member.name, problem=err)) from None
            languages.append(LinguistLanguage(
                name=data["name"], type=data["type"], aliases=tuple(data.get("aliases", ())),
                group=data.get("group", ""), ace_mode=data.get("aceMode", ""), tm_scope=data.get("tmScope", ""),
            ))
    return sorted(languages, key=lambda lang: lang.name)


def read_licence(path: Union[str, Path]) -> str:
    """The package's MIT licence and its notice for Linguist itself, to ship with the data."""
    parts = []
    with tarfile.open(path, "r:gz") as tar:
        for name in LICENCE_MEMBERS:
            fileh = tar.extractfile(name)
            assert fileh is not None
            parts.append(f"==> {name[len('package/'):]} <==\n" + fileh.read().decode("utf8").rstrip() + "\n")
    return "\n".join(parts)
