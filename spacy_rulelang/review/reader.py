"""Read a reviewer's decisions: our decisions.jsonl (docs/decisions.md) or Prodigy's db-out.

A line with a "group" field is a group decision (the report's groups, docs/formats.md):
it reads as a `GroupDecision` and, for each example it carries, a `Decision` (source
"group") that `apply` treats like a reviewer's line. A line that repeats an earlier one
(the same fields; only `time` may differ) is a no-op: it is read once and counted in
`Read.duplicates`.

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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from spacy_rulelang.compare.core import CATEGORIES
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.jsonl import loads
from spacy_rulelang.io.textfiles import read_lines
from spacy_rulelang.review.decision import (DECISIONS, GOLD_WRONG, MODEL, RULES, SKIP, SYSTEMS, Decision,
                                            GroupDecision, Spans, Where, bad_value, check_label, check_target,
                                            is_index, problem)
from spacy_rulelang.review.prodigy import derive, group_line, parse_prodigy
from spacy_rulelang.ruler.context import NAME_KINDS

REQUIRED = ("doc", "token_start", "token_end", "label", "category", "decision", "spans")
OPTIONAL = ("input_hash", "text", "note", "time", "rule")
GROUP_DECISIONS = ("language", "never", "needs_evidence", "one_by_one")  # compare.groups
GROUP_FIELDS = ("group", "decision", "count", "share", "note", "time", "instances")
GROUP_EXAMPLE = ('{"group": {"level": "context", "rule": "pos_propn", "surface": "c", "signature": "figure"}, '
                 '"decision": "never", "count": 12, "instances": [...]}')


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
    for key in ("text", "note", "time", "rule"):
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
                        time=record.get("time"), rule=record.get("rule"), **systems)
    for name in (RULES, MODEL):
        if decision.decision == name and systems[name] is None:
            raise ValueError(Errors.E157.format(path=path, line=line, decision=name,
                                                problem=f"the {name} spans, but \"spans\".{name} is null"))
    if decision.decision == GOLD_WRONG and decision.target is None:
        return decision  # no agreement: treated like both_wrong
    return check_target(decision, path)


def _group_problem(path: Where, line: int, text: str) -> ValueError:
    return ValueError(Errors.E353.format(path=path, line=line, problem=text, example=GROUP_EXAMPLE))


def parse_group(record: Dict, path: Where, line: int) -> Tuple[GroupDecision, List[Decision]]:
    """A group decision line and one `Decision` per example it carries."""
    unknown = sorted(set(record) - set(GROUP_FIELDS))
    if unknown:
        raise _group_problem(path, line, f"unknown field(s) {unknown}; allowed: {list(GROUP_FIELDS)}")
    group = record["group"]
    if not isinstance(group, dict) or group.get("level") not in ("context", "kind"):
        raise _group_problem(path, line, "\"group\" must be an object with \"level\": \"context\" or \"kind\"")
    if record.get("decision") not in GROUP_DECISIONS:
        raise bad_value(path, line, "\"decision\"", record.get("decision"), GROUP_DECISIONS)
    rule = group.get("rule")
    if rule is not None and (not isinstance(rule, str) or not rule):
        raise _group_problem(path, line, "\"group\".rule must be a rule name or null")
    if group["level"] == "context":
        for key in ("surface", "signature"):
            if not isinstance(group.get(key), str) or not group[key]:
                raise _group_problem(path, line, f"a context group needs a string \"{key}\"")
        keys = dict(surface=group["surface"], signature=group["signature"])
    else:
        if rule is None:
            raise _group_problem(path, line, "a kind group needs its \"rule\"")
        if group.get("name_kind") not in NAME_KINDS:
            raise bad_value(path, line, "\"group\".name_kind", group.get("name_kind"), NAME_KINDS)
        keys = dict(name_kind=group["name_kind"])
    for key in ("note", "time"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise _group_problem(path, line, f"\"{key}\" must be a string")
    count = record.get("count")
    decided = GroupDecision(line=line, decision=record["decision"], level=group["level"], rule=rule,
                            count=count if is_index(count) else None, note=record.get("note") or "",
                            time=record.get("time"), **keys)
    instances = record.get("instances", [])
    if not isinstance(instances, list):
        raise _group_problem(path, line, "\"instances\" must be a list")
    return decided, [_instance(item, decided, path, line, i) for i, item in enumerate(instances)]


def _instance(item: object, group: GroupDecision, path: Where, line: int, i: int) -> Decision:
    """An example of a decided group as a decision on its tokens: `never` leaves no span
    there, `language` the rules' span (else the model's, else the example's tokens);
    `needs_evidence` and `one_by_one` change no gold (skip)."""
    if not isinstance(item, dict):
        raise _group_problem(path, line, f"\"instances\"[{i}] must be an object")
    fields = {k: item.get(k) for k in ("doc", "token_start", "token_end", "label", "category", "spans")}
    fields["decision"] = RULES  # checked below as a plain line, then replaced
    record = {**fields, **{k: item[k] for k in ("text", "rule") if item.get(k) is not None}}
    if not isinstance(record.get("spans"), dict):
        raise _group_problem(path, line, f"\"instances\"[{i}] needs \"spans\": {{rules, model, gold}}")
    record["spans"] = {**{k: None for k in SYSTEMS}, **record["spans"]}
    _check_fields(record, path, line)
    systems = {name: _span_list(record["spans"].get(name), path, line, name) for name in SYSTEMS}
    start, end, label = record["token_start"], record["token_end"], record["label"]
    own = [s for name in (RULES, MODEL) for s in systems[name] or () if s[2] == label]
    reviewed: Optional[Spans] = None
    if group.decision == "never":
        reviewed = ()
    elif group.decision == "language":
        reviewed = (own[0] if own else (start, end, label),)
    name = SKIP if reviewed is None else derive(reviewed, systems[RULES], systems[MODEL])
    decision = Decision(line=line, doc=record["doc"], decision=name, category=record["category"],
                        source="group", start=start, end=end, text=record.get("text"),
                        note=f"group {group.gid}: {group.decision}", time=group.time,
                        reviewed=reviewed, rule=record.get("rule"), group=group.gid, **systems)
    return decision if reviewed is None else check_target(decision, path)


def parse_line(text: str, path: Where,
               line: int) -> Union[None, Decision, Tuple[GroupDecision, List[Decision]]]:
    """One non-blank line, of any kind (a group line: the group and its examples' decisions;
    None: a Prodigy group task answered without a decision)."""
    try:
        record = loads(text)  # JSONDecodeError for a lone surrogate escape too
    except json.JSONDecodeError as err:
        raise ValueError(Errors.E150.format(path=path, line=line,
                                            err=f"{err.msg} at column {err.colno}")) from None
    if not isinstance(record, dict):
        raise problem(path, line, "expected a JSON object")
    if "group" in record:
        return parse_group(record, path, line)
    if "rulelang_group" in record:
        decided = group_line(record, path, line)
        return None if decided is None else parse_group(decided, path, line)
    if "decision" in record:
        return parse_decision(record, path, line)
    if "answer" in record:
        return parse_prodigy(record, path, line)
    raise problem(path, line, "neither a decision (no \"decision\" field) nor a Prodigy task "
                              "(no \"answer\" field)")


@dataclass
class Read:
    """What a decisions file holds: the decisions on tokens (a group's examples included), the
    group decisions, and how many lines repeated an earlier one (read once: a no-op)."""

    decisions: List[Decision] = field(default_factory=list)
    groups: List[GroupDecision] = field(default_factory=list)
    duplicates: int = 0


def read_decision_file(path: Union[str, Path]) -> Read:
    """Every line of a file, in file order; blank lines are skipped, repeated lines read once."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(Errors.E158.format(path=path, why="the file does not exist"))
    out, seen = Read(), set()
    for line_no, text in read_lines(path):
        if not text.strip():
            continue
        parsed = parse_line(text, path, line_no)
        if parsed is None:
            continue
        if isinstance(parsed, Decision):
            key = replace(parsed, line=0, time=None)
            if key in seen:
                out.duplicates += 1
                continue
            seen.add(key)
            out.decisions.append(parsed)
        else:
            group, examples = parsed
            key = replace(group, line=0, time=None, note="")
            if key in seen:
                out.duplicates += 1
                continue
            seen.add(key)
            out.groups.append(group)
            out.decisions.extend(examples)
    if not (out.decisions or out.groups):
        raise ValueError(Errors.E158.format(path=path, why="the file is empty"))
    return out


def read_decisions(path: Union[str, Path]) -> List[Decision]:
    """The decisions on tokens of a file, in file order (see `read_decision_file`)."""
    return read_decision_file(path).decisions
