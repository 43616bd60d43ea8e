"""Every error a user can meet has a code, every code is used, and the rest say they are internal.

Read from the source: a `raise SomeError(...)` in the package either formats a code of
`spacy_rulelang/errors.py` (`Errors.E123`), re-raises an error it caught, or says
"internal error" (an assertion about the package itself, never about the user's input).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import spacy_rulelang
from spacy_rulelang.errors import Errors, Warnings

PACKAGE = Path(spacy_rulelang.__file__).parent
SOURCES = {p: p.read_text(encoding="utf8") for p in sorted(PACKAGE.rglob("*.py")) if p.name != "errors.py"}
# Raises that carry no code on purpose: each is caught and re-raised with one, or is no error.
NOT_FOR_USERS = {
    "spacy_rulelang/catalogue/build/tarball.py": "parse errors of the upstream file, re-raised as E032",
    "spacy_rulelang/io/jsonl.py": "JSONDecodeError, re-raised by every reader with its file, line and code",
    "spacy_rulelang/io/atomic.py:126": "a lock file removed under us: caught by the staging cleanup",
    "spacy_rulelang/io/parallel.py": "SystemExit on SIGTERM/SIGINT: the exit status, not an error",
    "spacy_rulelang/io/textfiles.py": "_decode_error builds the coded E026",
}
CODES = [name for cls in (Errors, Warnings) for name in vars(cls) if re.fullmatch(r"[EW]\d{3}", name)]


def uncoded_raises():
    for path, source in SOURCES.items():
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            text = ast.get_source_segment(source, node) or ""
            if "Errors." in text or "Warnings." in text or "internal error" in text:
                continue
            args = node.exc.args
            if args and isinstance(args[0], ast.Name):  # wraps a caught error or a code variable
                continue
            if not args and not node.exc.keywords:
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            if not any(where == key or where.startswith(key + ":") for key in NOT_FOR_USERS):
                yield f"{where}: {text[:100]}"


def test_errors_every_raise_has_a_code_or_says_internal():
    assert list(uncoded_raises()) == []


@pytest.mark.parametrize("code", CODES)
def test_errors_every_code_is_used(code):
    prefix = "Warnings" if code.startswith("W") else "Errors"
    assert any(re.search(rf"\b{prefix}\.{code}\b", source) for source in SOURCES.values()), code


def test_errors_codes_are_prefixed_like_spacy():
    assert Errors.E340.startswith("(spacy-rulelang) [E340] ")
