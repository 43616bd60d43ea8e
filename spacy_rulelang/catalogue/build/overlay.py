"""The overlay: our hand-made catalogue knowledge on top of GitHub Linguist, as data.

`data/overlay.jsonl` has two kinds of lines. A catalogue entry (the fields of
`spacy_rulelang.catalogue.load`) plus how it relates to Linguist: `linguist` (Linguist names
it absorbs when the id or an alias does not say so), `source` (a public reference for an
entry that train/dev do not show), `drop_aliases` (Linguist aliases not to use). Or an
exclusion: `{"exclude": "<Linguist name>", "why": "..."}`, whose reason cites train/dev.
`data/examples.jsonl` holds example sentences for Linguist entries outside the overlay.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple, Union

from spacy_rulelang.catalogue.load import parse_entry
from spacy_rulelang.io.jsonl import loads
from spacy_rulelang.errors import Errors

EXAMPLES_FILE = "examples.jsonl"


@dataclass
class OverlayItem:
    """One overlay line: a catalogue record plus how it relates to Linguist."""

    record: dict
    line: int
    linguist: Tuple[str, ...] = ()
    source: str = ""
    drop_aliases: Tuple[str, ...] = ()


@dataclass
class Overlay:
    """The overlay's entries, in file order, and the Linguist languages it leaves out."""

    items: List[OverlayItem] = field(default_factory=list)
    excluded: Dict[str, str] = field(default_factory=dict)  # Linguist name -> why


def read_overlay(path: Union[str, Path]) -> Overlay:
    """Overlay entries (validated as catalogue records) and exclusions."""
    overlay = Overlay()
    with Path(path).open(encoding="utf8") as fileh:
        for line_no, line in enumerate(fileh, start=1):
            if not line.strip():
                continue
            try:
                record = loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(Errors.E033.format(path=path, line=line_no, problem=f"not valid JSON ({err.msg})")) from None
            if "exclude" in record:
                if not record.get("why"):
                    raise ValueError(Errors.E033.format(path=path, line=line_no, problem="an exclusion needs a 'why'"))
                overlay.excluded[record["exclude"]] = record["why"]
                continue
            linguist = record.pop("linguist", [])
            item = OverlayItem(record, line_no, tuple([linguist] if isinstance(linguist, str) else linguist),
                               record.pop("source", ""), tuple(a.lower() for a in record.pop("drop_aliases", [])))
            forced = bool(record.get("ambiguous") or record.get("ambiguous_aliases"))
            parse_entry(dict(record, ambiguous=forced), path, line_no)  # validate the catalogue part early
            overlay.items.append(item)
    return overlay


def read_examples(path: Union[str, Path]) -> Dict[str, dict]:
    """Hand-written example sentences for Linguist entries that are not in the overlay."""
    examples: Dict[str, dict] = {}
    with Path(path).open(encoding="utf8") as fileh:
        for line_no, line in enumerate(fileh, start=1):
            if line.strip():
                record = loads(line)
                if set(record) - {"id", "must_match", "must_not_match"}:
                    raise ValueError(Errors.E033.format(path=path, line=line_no, problem="an example line has "
                                                        "only 'id', 'must_match' and 'must_not_match'"))
                examples[record["id"]] = record
    return examples
