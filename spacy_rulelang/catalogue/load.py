"""The language catalogue: canonical ids, aliases and ambiguity flags, kept as JSONL data.

One JSON object a line, e.g.
{"id": "go", "name": "Go", "kind": "programming", "aliases": ["go", "golang"],
 "ambiguous": true, "ambiguous_aliases": ["go"], "must_match": [...], "must_not_match": [...]}
A malformed line is an error that names the file and the line.
"""
from __future__ import annotations

import unicodedata
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple, Union

from spacy_rulelang.data import data_path
from spacy_rulelang.errors import Errors, Warnings
from spacy_rulelang.io.jsonl import describe, dumps_line, iter_lines, loads
from spacy_rulelang.io.textfiles import read_lines

KINDS = ("programming", "markup", "stylesheet", "query", "data", "shell", "assembly",
         "template", "schema")
EXAMPLE_LINE = '{"id": "go", "name": "Go", "aliases": ["go", "golang"], "ambiguous": true, "ambiguous_aliases": ["go"]}'
CASINGS = ("strict", "cues", "any")
_FIELDS = {"id", "name", "kind", "aliases", "ambiguous", "ambiguous_aliases", "casing",
           "versioned_aliases", "must_match", "must_not_match", "accept_propn"}


@dataclass(frozen=True)
class Entry:
    """One language: what it is called and which of its names are ordinary words."""

    id: str
    name: str
    kind: str = "programming"
    aliases: Tuple[str, ...] = ()
    ambiguous: bool = False
    ambiguous_aliases: Tuple[str, ...] = ()
    versioned_aliases: Tuple[str, ...] = ()
    # How an ambiguous name must be written: "strict" = in its own casing ("Go");
    # "cues" = lowercase is fine next to a cue ("written in assembly"); "any" = lowercase is fine.
    casing: str = "strict"
    # Whether a proper noun in the name's own casing is evidence enough (rule pos_propn);
    # off for rare names that are also people or places ("Cairo", "Dylan").
    accept_propn: bool = True
    must_match: Tuple[str, ...] = field(default=(), compare=False)
    must_not_match: Tuple[str, ...] = field(default=(), compare=False)

    def to_json(self) -> dict:
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def default_catalogue_path() -> Path:
    return data_path("languages.jsonl")


def _problem(path, line: int, problem: str) -> ValueError:
    return ValueError(Errors.E002.format(path=path, line=line, problem=problem, example=EXAMPLE_LINE))


def parse_entry(record: object, path: Union[str, Path] = "<catalogue>", line: int = 0) -> Entry:
    """Validate one catalogue record; every problem names the file and line."""
    if not isinstance(record, dict):
        raise _problem(path, line, "expected a JSON object")
    unknown = set(record) - _FIELDS
    if unknown:
        raise _problem(path, line, f"unknown field(s) {sorted(unknown)}; allowed: {sorted(_FIELDS)}")
    for key in ("id", "name"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise _problem(path, line, f"'{key}' must be a non-empty string")
    lists = {}
    for key in ("aliases", "ambiguous_aliases", "versioned_aliases", "must_match", "must_not_match"):
        value = record.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise _problem(path, line, f"'{key}' must be a list of non-empty strings")
        lists[key] = tuple(v.strip() for v in value)
    kind = record.get("kind", "programming")
    if kind not in KINDS:
        raise _problem(path, line, f"'kind' is {kind!r}; allowed: {', '.join(KINDS)}")
    casing = record.get("casing", "strict")
    if casing not in CASINGS:
        raise _problem(path, line, f"'casing' is {casing!r}; allowed: {', '.join(CASINGS)}")
    if not isinstance(record.get("accept_propn", True), bool):
        raise _problem(path, line, "'accept_propn' must be true or false")
    ambiguous = record.get("ambiguous", False)
    if not isinstance(ambiguous, bool):
        raise _problem(path, line, "'ambiguous' must be true or false")
    aliases = tuple(dict.fromkeys(a.lower() for a in (record["name"],) + lists["aliases"]))
    for alias in aliases + tuple(lists["versioned_aliases"]):
        if not any(ch.isalnum() for ch in alias):
            raise ValueError(Errors.E010.format(path=path, line=line, alias=alias, id=record["id"]))
    amb_aliases = tuple(a.lower() for a in lists["ambiguous_aliases"])
    if ambiguous and not amb_aliases:
        amb_aliases = (record["name"].lower(),)
    if amb_aliases and not ambiguous:
        raise _problem(path, line, "'ambiguous_aliases' is set but 'ambiguous' is false")
    missing = [a for a in amb_aliases if a not in aliases]
    if missing:
        raise _problem(path, line, f"ambiguous alias(es) {missing} are not in 'aliases'")
    return Entry(
        id=record["id"].strip(), name=record["name"].strip(), kind=kind,
        aliases=aliases, ambiguous=ambiguous, ambiguous_aliases=amb_aliases,
        versioned_aliases=tuple(a.lower() for a in lists["versioned_aliases"]), casing=casing,
        accept_propn=record.get("accept_propn", True),
        must_match=lists["must_match"], must_not_match=lists["must_not_match"],
    )


Located = Tuple[Entry, int]  # an entry and the line it was read from


def id_key(entry_id: str) -> str:
    """What an id looks like to a reader: `zz`, `ZZ`, full-width `ｚｚ` and `z<ZWSP>z` are
    one id (NFKC, casefold, format characters such as zero-width spaces removed)."""
    text = unicodedata.normalize("NFKC", entry_id)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").casefold()


def _parse_lines(lines: Iterable[Tuple[int, str]], path: Union[str, Path]) -> List[Located]:
    """Validate the lines of one catalogue file: E002 for a bad line, E009 for an id
    used twice, E272 for two ids that differ only in case, width or invisible characters."""
    entries: List[Located] = []
    first_line: Dict[str, int] = {}
    seen: Dict[str, Located] = {}
    for line_no, line in lines:
        if not line.strip():
            continue
        try:
            record = loads(line)
        except ValueError as err:
            raise _problem(path, line_no, f"not valid JSON ({describe(err)})") from None
        entry = parse_entry(record, path, line_no)
        other = first_line.setdefault(entry.id, line_no)
        if other != line_no:
            raise ValueError(Errors.E009.format(path=path, line=line_no, id=entry.id, other_line=other))
        near, near_line = seen.setdefault(id_key(entry.id), (entry, line_no))
        if near.id != entry.id:
            raise ValueError(Errors.E272.format(path=path, line=line_no, id=entry.id, other=near.id,
                                                other_where=f"line {near_line}"))
        entries.append((entry, line_no))
    return entries


def read_catalogue_lines(path: Union[str, Path]) -> List[Located]:
    """Read and validate a JSONL catalogue file; each entry keeps its line number."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(Errors.E004.format(path=path))
    return _parse_lines(read_lines(path), path)


def read_catalogue(path: Union[str, Path]) -> List[Entry]:
    """Read and validate a JSONL catalogue file."""
    return [entry for entry, _ in read_catalogue_lines(path)]


def check_unique_aliases(entries: Iterable[Entry], path: Union[str, Path] = "<catalogue>",
                         lines: Optional[Dict[str, Tuple[Union[str, Path], int]]] = None) -> None:
    """An alias that names two languages would make ids arbitrary: refuse it.

    `lines` maps an id to the (file, line) it came from, so that the error names the
    line a user wrote; without it, positions in `entries` are reported.
    """
    owner: Dict[str, str] = {}
    for position, entry in enumerate(entries, start=1):
        for alias in entry.aliases + entry.versioned_aliases:
            other = owner.setdefault(alias, entry.id)
            if other != entry.id:
                where, line = (lines or {}).get(entry.id, (path, position))
                raise ValueError(Errors.E005.format(path=where, line=line, alias=alias,
                                                    id=entry.id, other=other))


def load_catalogue(path: Optional[Union[str, Path]] = None, extend: bool = True) -> List[Entry]:
    """The packaged catalogue, a user's file added to it (extend) or in its place.

    A user's entry replaces the packaged entry with the same id (with a warning, so a
    clash of ids is never silent); alias clashes name the user's file and line.
    """
    default = default_catalogue_path()
    located = [(e, (default, n)) for e, n in read_catalogue_lines(default)] if (path is None or extend) else []
    if path is not None:
        packaged = {e.id for e, _ in located}
        user = [(e, (Path(path), n)) for e, n in read_catalogue_lines(path)]
        for entry, (_, line) in user:
            if entry.id in packaged:
                warnings.warn(Warnings.W002.format(path=path, line=line, id=entry.id))
        by_key = {id_key(e.id): (e, where) for e, where in located}
        for entry, (_, line) in user:
            near, (near_path, near_line) = by_key.get(id_key(entry.id), (entry, (path, line)))
            if near.id != entry.id:
                raise ValueError(Errors.E272.format(path=path, line=line, id=entry.id, other=near.id,
                                                    other_where=f"{near_path}, line {near_line}"))
        overridden = {e.id for e, _ in user}
        # the user's entries last, so that an alias clash is reported at the user's line
        located = [(e, where) for e, where in located if e.id not in overridden] + user
    entries = [e for e, _ in located]
    check_unique_aliases(entries, path or default, {e.id: where for e, where in located})
    return entries


def entries_to_jsonl(entries: Iterable[Entry]) -> str:
    return "".join(dumps_line(e.to_json()) for e in entries)


def entries_from_jsonl(data: Union[str, bytes], path: Union[str, Path] = "<bytes>") -> List[Entry]:
    """The entries of a saved catalogue (a pipeline's catalogue.jsonl), validated like a
    user's file: every problem names the file and line."""
    return [entry for entry, _ in _parse_lines(iter_lines(data, path), path)]
