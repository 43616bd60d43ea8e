"""A line of `prodigy db-out` after `prodigy review` on the tasks of disagreements.jsonl.

Prodigy's documented task format: `answer` is accept, reject or ignore; `spans` are
the reviewer's final spans, each with char `start`/`end`, `token_start`, an
INCLUSIVE `token_end` and `label`; `_input_hash`/`_task_hash`; our `meta` (with
`doc`, the sentence's position in DATA) and `rulelang_disagreements` ride along.
A `review` session adds `versions`: each distinct annotation shown, with the
`sessions` that made it (ours are "<dataset>-gold", "<dataset>-rules", "<dataset>-model").

What a line means: `accept` makes the reviewed spans the gold of the whole sentence;
`reject` and `ignore` are skipped. The decision recorded is derived by comparing the
reviewed spans with the rules' and the model's versions: `rules`, `model`,
`gold_wrong` (the reviewer took what both said) or `gold_fixed` (anything else).
"""
from __future__ import annotations

from typing import Dict, List, Optional

from spacy_rulelang.review.decision import (GOLD_FIXED, GOLD_WRONG, MODEL, RULES, SKIP, SYSTEMS, Decision, Spans,
                       Where, bad_value, check_label, check_target, is_index, problem)

ANSWERS = ("accept", "reject", "ignore")


def parse_spans(value: object, path: Where, line: int, where: str) -> Spans:
    """Prodigy spans as (token_start, token_end + 1, label) tuples."""
    if not isinstance(value, list):
        raise problem(path, line, f"{where} must be a list of spans")
    spans = []
    for i, span in enumerate(value):
        if not isinstance(span, dict):
            raise problem(path, line, f"{where}[{i}] must be an object")
        start, end, label = span.get("token_start"), span.get("token_end"), span.get("label")
        if not (is_index(start) and is_index(end) and end >= start):
            raise problem(path, line, f"{where}[{i}] needs \"token_start\" and \"token_end\" "
                                      f"(inclusive) with token_start <= token_end, got {start!r}, {end!r}")
        if not isinstance(label, str) or not label:
            raise problem(path, line, f"{where}[{i}] needs a \"label\"")
        check_label(label, path, line, f"in {where}[{i}]")
        spans.append((start, end + 1, label))
    return tuple(sorted(set(spans)))


def _systems_of(version: Dict) -> List[str]:
    """Which systems made a version: its sessions' names end in -gold, -rules, -model."""
    sessions = version.get("sessions")
    sessions = [sessions] if isinstance(sessions, str) else \
        list(sessions) if isinstance(sessions, list) else []
    sessions.append(version.get("_session_id"))
    found = {name for session in sessions if isinstance(session, str)
             for name in SYSTEMS if session.endswith(f"-{name}")}
    meta = version.get("meta")
    if isinstance(meta, dict) and meta.get("system") in SYSTEMS:
        found.add(meta["system"])
    return sorted(found)


def version_spans(record: Dict, path: Where, line: int) -> Dict[str, Spans]:
    versions = record.get("versions")
    if versions is None:
        return {}
    if not isinstance(versions, list):
        raise problem(path, line, "\"versions\" must be a list")
    systems: Dict[str, Spans] = {}
    for i, version in enumerate(versions):
        if not isinstance(version, dict):
            raise problem(path, line, f"\"versions\"[{i}] must be an object")
        names = _systems_of(version)
        if names:
            spans = parse_spans(version.get("spans", []), path, line, f"\"versions\"[{i}].spans")
            for name in names:
                systems.setdefault(name, spans)
    return systems


def _category(record: Dict, meta: Dict) -> str:
    if isinstance(meta.get("categories"), str):
        return meta["categories"]
    found = record.get("rulelang_disagreements")
    if isinstance(found, list):
        return ", ".join(sorted({d["category"] for d in found
                                 if isinstance(d, dict) and isinstance(d.get("category"), str)}))
    return ""


def derive(reviewed: Spans, rules: Optional[Spans], model: Optional[Spans]) -> str:
    """Which decision the reviewed spans amount to."""
    same_rules = rules is not None and set(reviewed) == set(rules)
    same_model = model is not None and set(reviewed) == set(model)
    if same_rules and same_model:
        return GOLD_WRONG
    if same_rules:
        return RULES
    if same_model:
        return MODEL
    return GOLD_FIXED


def parse_prodigy(record: Dict, path: Where, line: int) -> Decision:
    answer = record["answer"]
    if answer not in ANSWERS:
        raise bad_value(path, line, "\"answer\"", answer, ANSWERS)
    meta = record.get("meta")
    if not isinstance(meta, dict) or not is_index(meta.get("doc")):
        raise problem(path, line, "a Prodigy task needs \"meta\": {\"doc\": N}, the position of its "
                                  "sentence in DATA, as disagreements.jsonl has it")
    if not isinstance(record.get("text"), str):
        raise problem(path, line, "a Prodigy task needs a string \"text\"")
    tokens = record.get("tokens")
    if tokens is not None:
        if not isinstance(tokens, list) or not all(isinstance(t, dict) and isinstance(t.get("text"), str)
                                                   for t in tokens):
            raise problem(path, line, "\"tokens\" must be a list of objects with a \"text\"")
        tokens = tuple(t["text"] for t in tokens)
    common = dict(line=line, doc=meta["doc"], category=_category(record, meta), source="prodigy",
                  text=record["text"], tokens=tokens)
    if answer != "accept":
        return Decision(decision=SKIP, note=f"Prodigy answer: {answer}", **common)
    if "versions" not in record and meta.get("system") in SYSTEMS and \
            str(record.get("_session_id", "")).endswith(f"-{meta['system']}"):
        raise problem(path, line, f"this is a task as `compare` wrote it (session "
                                  f"'{record['_session_id']}'), not a reviewed one: review the "
                                  "dataset with `prodigy review` and pass what `prodigy db-out` "
                                  "exports for the review dataset")
    if "spans" not in record:
        raise problem(path, line, "an accepted Prodigy task needs \"spans\", the reviewer's final spans")
    reviewed = parse_spans(record["spans"], path, line, "\"spans\"")
    systems = version_spans(record, path, line)
    decision = Decision(decision=derive(reviewed, systems.get(RULES), systems.get(MODEL)),
                        reviewed=reviewed, rules=systems.get(RULES), model=systems.get(MODEL),
                        gold=systems.get("gold"), **common)
    return check_target(decision, path)


def group_line(record: Dict, path: Where, line: int) -> Optional[Dict]:
    """An answered group task (`compare`'s groups.jsonl, Prodigy's `choice` view) as the group
    decision line the report downloads; None when it was rejected, ignored or left unchosen
    (nothing decided)."""
    answer = record.get("answer")
    if answer not in ANSWERS:
        raise bad_value(path, line, "\"answer\"", answer, ANSWERS)
    group = record.get("rulelang_group")
    if not isinstance(group, dict):
        raise problem(path, line, "\"rulelang_group\" must be the object `compare` wrote in groups.jsonl")
    chosen = record.get("accept", [])
    if not isinstance(chosen, list) or len(chosen) > 1:
        raise problem(path, line, "a group task takes one option in \"accept\" (choice_style single)")
    if answer != "accept" or not chosen:
        return None
    return {**group, "decision": chosen[0], "note": "Prodigy", "time": None}
