"""Read a reviewer's decisions: our decisions.jsonl (docs/decisions.md) or Prodigy's db-out.

Why one reader for both: a reviewer decides in report.html or in `prodigy review`;
`apply` should not care which. The kind is told per line (a `decision` field is
ours, an `answer` field is Prodigy's), so the two may even be mixed. Every problem
is a coded error that names the file and the line; nothing here needs the corpus
(`checks` compares decisions with the docs).

>>> line = ('{"doc": 0, "token_start": 2, "token_end": 3, "label": "PROG_LANG", '
...         '"category": "rule_only", "decision": "rules", '
...         '"spans": {"rules": [[2, 3, "PROG_LANG"]], "model": [], "gold": []}}')
>>> parse_line(line, "decisions.jsonl", 1).target
((2, 3, 'PROG_LANG'),)
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Union

from spacy_rulelang.compare.core import CATEGORIES
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.jsonl import loads
from spacy_rulelang.io.textfiles import read_lines
from spacy_rulelang.review.decision import (DECISIONS, GOLD_WRONG, MODEL, RULES, SYSTEMS, Decision, Spans, Where,
                       bad_value, check_label, check_target, is_index, problem)
from spacy_rulelang.review.prodigy import parse_prodigy

REQUIRED = ("doc", "token_start", "token_end", "label", "category", "decision", "spans")
OPTIONAL = ("input_hash", "text", "note", "time")


def _span_list(value: object, path: Where, line: int, name: str) -> Optional[Spans]:
    if value is None:
        return None
    if not isinstance(value, list):
        raise problem(path, line, f"\"spans\".{name} must be a list of [start, end, label] or null")
    spans = []
    for item in value:
        ok = isinstance(item, list) and len(item) == 3 and is_index(item[0]) and \
            is_index(item[1]) and item[0] < item[1] and isinstance(item[2], str) and bool(item[2])
        if not ok:
            raise problem(path, line, f"\"spans\".{name} has {item!r}; each span must be "
                                      "[start, end, label] with 0 <= start < end (end exclusive)")
        check_label(item[2], path, line, f"in \"spans\".{name}")
        spans.append((item[0], item[1], item[2]))
    return tuple(sorted(set(spans)))


def _check_fields(record: Dict, path: Where, line: int) -> None:
    unknown = sorted(set(record) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise problem(path, line, f"unknown field(s) {unknown}; allowed: {sorted(REQUIRED + OPTIONAL)}")
    missing = [key for key in REQUIRED if key not in record]
    if missing:
        raise problem(path, line, f"missing field(s) {missing}")
    for key in ("doc", "token_start", "token_end"):
        if not is_index(record[key]):
            raise problem(path, line, f"\"{key}\" must be a whole number >= 0, got {record[key]!r}")
    if record["token_end"] <= record["token_start"]:
        raise problem(path, line, f"\"token_end\" ({record['token_end']}) must be greater than "
                                  f"\"token_start\" ({record['token_start']}): it is exclusive")
    for key in ("label", "category", "decision"):
        if not isinstance(record[key], str) or not record[key]:
            raise problem(path, line, f"\"{key}\" must be a non-empty string")
    for key in ("text", "note", "time"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise problem(path, line, f"\"{key}\" must be a string")
    if "input_hash" in record and (not isinstance(record["input_hash"], int)
                                   or isinstance(record["input_hash"], bool)):
        raise problem(path, line, "\"input_hash\" must be a whole number")
    check_label(record["label"], path, line, "the \"label\" field")
    if record["decision"] not in DECISIONS:
        raise bad_value(path, line, "\"decision\"", record["decision"], DECISIONS)
    if record["category"] not in CATEGORIES:
        raise bad_value(path, line, "\"category\"", record["category"], CATEGORIES)
    spans = record["spans"]
    if not isinstance(spans, dict) or set(spans) - set(SYSTEMS):
        raise problem(path, line, "\"spans\" must be an object with the keys "
                                  f"{', '.join(SYSTEMS)} (a list of spans or null each)")


def parse_decision(record: Dict, path: Where, line: int) -> Decision:
    """A line of our decisions.jsonl (docs/decisions.md)."""
    _check_fields(record, path, line)
    systems = {name: _span_list(record["spans"].get(name), path, line, name) for name in SYSTEMS}
    decision = Decision(line=line, doc=record["doc"], decision=record["decision"],
                        category=record["category"], source="decisions",
                        start=record["token_start"], end=record["token_end"],
                        text=record.get("text"), note=record.get("note") or "",
                        time=record.get("time"), **systems)
    for name in (RULES, MODEL):
        if decision.decision == name and systems[name] is None:
            raise ValueError(Errors.E157.format(path=path, line=line, decision=name,
                                                problem=f"the {name} spans, but \"spans\".{name} is null"))
    if decision.decision == GOLD_WRONG and decision.target is None:
        return decision  # no agreement: treated like both_wrong
    return check_target(decision, path)


def parse_line(text: str, path: Where, line: int) -> Decision:
    """One non-blank line, of either kind."""
    try:
        record = loads(text)  # JSONDecodeError for a lone surrogate escape too
    except json.JSONDecodeError as err:
        raise ValueError(Errors.E150.format(path=path, line=line,
                                            err=f"{err.msg} at column {err.colno}")) from None
    if not isinstance(record, dict):
        raise problem(path, line, "expected a JSON object")
    if "decision" in record:
        return parse_decision(record, path, line)
    if "answer" in record:
        return parse_prodigy(record, path, line)
    raise problem(path, line, "neither a decision (no \"decision\" field) nor a Prodigy task "
                              "(no \"answer\" field)")


def read_decisions(path: Union[str, Path]) -> List[Decision]:
    """Every decision of a file, in file order; blank lines are skipped."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(Errors.E158.format(path=path, why="the file does not exist"))
    decisions = [parse_line(text, path, line_no) for line_no, text in read_lines(path) if text.strip()]
    if not decisions:
        raise ValueError(Errors.E158.format(path=path, why="the file is empty"))
    return decisions
