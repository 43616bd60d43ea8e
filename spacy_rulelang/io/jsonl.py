"""JSONL read and written in one place: one JSON value a line, lines end at "\\n" only.

Why one helper: Python's `str.splitlines()` also ends a line at U+2028, U+2029,
U+0085 (and \\v, \\f, \\x1c-\\x1e), which JSON keeps raw inside strings, so a
catalogue entry with a U+2028 in a name made a saved pipeline unloadable. Here a
line ends at "\\n" (a "\\r" before it is dropped), a UTF-8 BOM at the start of
a file is skipped, a bad byte is E026 and bad JSON or a lone surrogate escape
("\\ud800", not a character: it cannot be written back as UTF-8) name their
file and line. The writer escapes U+2028, U+2029 and U+0085, so that even a
reader that splits on them reads the lines back.

    for line, record in read_jsonl("texts.jsonl"):
        ...
    write_jsonl("out.jsonl", records)
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Tuple, Union

from spacy_rulelang.errors import Errors
from spacy_rulelang.io.atomic import atomic_file
from spacy_rulelang.io.textfiles import BOM, decode_line, read_lines

__all__ = ["describe", "dumps_line", "iter_lines", "loads", "loads_line", "read_jsonl", "read_jsonl_data",
           "write_jsonl"]

_DECODER = json.JSONDecoder(strict=False)  # raw tabs inside strings are accepted, as srsly does
# A surrogate escape that is not half of a pair; confirmed on the parsed value (an escaped
# backslash before "u" also matches here).
_LONE_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                             r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")
# Line breaks to str.splitlines() (and to JavaScript) that JSON leaves raw in strings.
_ESCAPE = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085"}
_ESCAPE_RE = re.compile("[\u2028\u2029\u0085]")


def _has_lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def loads(text: str) -> Any:
    """One JSON value; raises json.JSONDecodeError (a ValueError) for bad JSON, extra data
    and for a lone surrogate escape, with the column of the problem."""
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    if "\\u" in text:
        match = _LONE_SURROGATE.search(text)
        if match is not None and _has_lone_surrogate(value):
            raise json.JSONDecodeError(f"lone surrogate escape {match.group(0)} (not a character)",
                                       text, match.start())
    return value


def describe(err: ValueError) -> str:
    """The problem in a few words, never the line itself (a line can be megabytes)."""
    if isinstance(err, json.JSONDecodeError):
        return f"{err.msg} at column {err.colno}"
    return str(err)[:200]


def loads_line(text: str, path: Union[str, Path], line: int) -> Any:
    """`loads`, with a failure as E270 naming the file and line."""
    try:
        return loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(Errors.E270.format(path=path, line=line, err=describe(err))) from None


def iter_lines(data: Union[bytes, str], source: Union[str, Path] = "<bytes>") -> Iterator[Tuple[int, str]]:
    """(line number, line) of JSONL held in memory (a saved pipeline's file), split like
    `read_lines` splits a file: at "\\n" only, a BOM skipped, a bad byte E026."""
    if isinstance(data, str):
        lines = data[1:] if data.startswith("\ufeff") else data
        for line_no, line in enumerate(lines.split("\n"), start=1):
            yield line_no, line.rstrip("\r")
        return
    offset = 0
    if data.startswith(BOM):
        offset = len(BOM)
    for line_no, raw in enumerate(data[offset:].split(b"\n"), start=1):
        yield line_no, decode_line(raw, source, line_no, offset).rstrip("\r")
        offset += len(raw) + 1


def read_jsonl_data(data: Union[bytes, str], source: Union[str, Path] = "<bytes>") -> Iterator[Tuple[int, Any]]:
    """(line number, value) for each non-blank line of JSONL held in memory."""
    for line_no, line in iter_lines(data, source):
        if line.strip():
            yield line_no, loads_line(line, source, line_no)


def read_jsonl(path: Union[str, Path]) -> Iterator[Tuple[int, Any]]:
    """(line number, value) for each non-blank line of a JSONL file (E022 if it is missing)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(Errors.E022.format(path=path))
    for line_no, line in read_lines(path):
        if line.strip():
            yield line_no, loads_line(line, path, line_no)


def dumps_line(value: Any, *, sort_keys: bool = False,
               separators: Optional[Tuple[str, str]] = None) -> str:
    """One JSONL line with its "\\n": UTF-8 text kept readable (ensure_ascii=False), the
    characters other readers take for line breaks escaped."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, separators=separators)
    if _ESCAPE_RE.search(text):
        text = _ESCAPE_RE.sub(lambda m: _ESCAPE[m.group(0)], text)
    return text + "\n"


def write_jsonl(path: Union[str, Path], values: Iterable[Any], *, sort_keys: bool = False) -> int:
    """Write one value a line, replacing `path` in one step; returns how many lines."""
    n = 0
    with atomic_file(path) as tmp, tmp.open("w", encoding="utf8", newline="\n") as fileh:
        for value in values:
            fileh.write(dumps_line(value, sort_keys=sort_keys))
            n += 1
    return n


def read_texts(lines: Iterable[str]) -> Iterator[str]:
    """Texts from lines (stdin): one text a line; a line that starts with "{" is JSON with a
    "text" field. Empty lines are skipped; a bad JSON line is E342/E343 with its number."""
    for line_no, line in enumerate(lines, start=1):
        line = line.rstrip("\n")
        if line.lstrip().startswith("{"):
            try:
                record = loads(line)
            except ValueError as err:
                raise ValueError(Errors.E342.format(line=line_no, err=err)) from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ValueError(Errors.E343.format(line=line_no))
            yield record["text"]
        elif line.strip():
            yield line
