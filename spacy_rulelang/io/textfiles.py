"""Read user files as strict UTF-8, so that a bad byte is reported with its file, line and offset.

Python's text mode decodes in chunks: a bad byte surfaces as a bare
"'utf-8' codec can't decode byte 0xff in position 3392", with no file and no
line. Reading bytes line by line and decoding each line keeps both. A line ends
at "\n" only (never at U+2028 and the like, which JSON keeps raw in strings),
and a UTF-8 byte order mark at the start of a file (Notepad writes one) is skipped.
"""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Iterator, Tuple, Union

from spacy_rulelang.errors import Errors

BOM = b"\xef\xbb\xbf"


def _open_binary(path: Path) -> BinaryIO:
    """Open for reading; a folder or an unreadable file is a coded error that names it."""
    if path.is_dir():
        raise ValueError(Errors.E027.format(path=path))
    try:
        return path.open("rb")
    except PermissionError as err:
        raise ValueError(Errors.E028.format(path=path, err=err.strerror or err)) from None


def _decode_error(path: Path, err: UnicodeDecodeError, line: int, line_offset: int) -> ValueError:
    """`line_offset`: the byte offset in the file where the decoded data starts."""
    return ValueError(Errors.E026.format(path=path, line=line, offset=line_offset + err.start,
                                         reason=err.reason))


def decode_line(raw: bytes, path: Union[str, Path], line: int, offset: int) -> str:
    """One line's bytes as text; a bad byte is E026 with the file, line and byte offset
    (`offset`: where the line starts in the file)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _decode_error(Path(path), err, line, offset) from None


def read_lines(path: Union[str, Path]) -> Iterator[Tuple[int, str]]:
    """Yield (line number, line without its newline) from a UTF-8 text file."""
    path = Path(path)
    offset = 0
    with _open_binary(path) as fileh:
        for line_no, raw in enumerate(fileh, start=1):  # binary lines end at b"\n" only
            start = len(BOM) if line_no == 1 and raw.startswith(BOM) else 0
            text = decode_line(raw[start:], path, line_no, offset + start)
            offset += len(raw)
            yield line_no, text.rstrip("\r\n")


def read_text(path: Union[str, Path]) -> str:
    """A whole UTF-8 file as text (for JSON files); a bad byte names its line and offset."""
    path = Path(path)
    with _open_binary(path) as fileh:
        data = fileh.read()
    start = len(BOM) if data.startswith(BOM) else 0
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as err:
        raise _decode_error(path, err, data.count(b"\n", 0, start + err.start) + 1, start) from None
