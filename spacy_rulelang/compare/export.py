"""Prodigy tasks: one `ner_manual` version per system, so `prodigy review` shows them.

Why this shape: `prodigy db-in DATASET disagreements.jsonl` stores the lines as
they are, and `review` (manual interfaces) groups examples by `_input_hash`
(same text) and shows each distinct `_task_hash` (same spans) as a version
annotated by its `_session_id`. So each example is written once per system
("<dataset>-rules", "<dataset>-model", and "<dataset>-gold" when there is gold).
The user's strings (text, labels, rule names) ride only as data that `ner_manual`
shows as text; a task never has an "html" field, which Prodigy would render as markup.

Prodigy is not a dependency: `set_hashes` is a stand-in that follows its documented
semantics (prodigy.util INPUT_HASH_KEYS / TASK_HASH_KEYS / IGNORE_HASH_KEYS): the
input hash is a 32-bit murmurhash of the JSON (sorted keys) of the input keys
present; the task hash is the murmurhash of the input hash (as a prefix) plus the
JSON of the task keys present; if no key is present, all keys except the ignored
ones are hashed. The numbers are stable across runs and platforms, but need not
equal the ones Prodigy itself would compute.

>>> task = set_hashes({"text": "I like Python", "spans": []})
>>> task["_input_hash"] == set_hashes({"text": "I like Python", "spans": [{"label": "X"}]})["_input_hash"]
True
"""
from __future__ import annotations

import json
from html import escape
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from murmurhash.mrmr import hash as murmur

from spacy_rulelang.compare.core import Disagreement, SpanTuple
from spacy_rulelang.compare.groups import GroupStats, group_decision_line

INPUT_HASH_KEYS: Tuple[str, ...] = ("text", "image", "html", "input")
TASK_HASH_KEYS: Tuple[str, ...] = ("spans", "label", "options", "arcs")
IGNORE_HASH_KEYS: Tuple[str, ...] = ("score", "rank", "model", "source", "pattern", "priority",
                                     "path", "_view_id", "_session_id", "_annotator_id", "answer")
VIEW_ID = "ner_manual"
SYSTEMS: Tuple[str, ...] = ("gold", "rules", "model")

Token = Tuple[int, int, bool]  # start char, end char, whitespace after


def get_hash(task: Dict, keys: Sequence[str], ignore: Sequence[str] = IGNORE_HASH_KEYS,
             prefix: str = "") -> int:
    values = {k: task[k] for k in keys if k in task}
    if not values:
        values = {k: v for k, v in task.items() if k not in ignore}
    return murmur(prefix + json.dumps(values, sort_keys=True))


def set_hashes(task: Dict, input_keys: Sequence[str] = INPUT_HASH_KEYS,
               task_keys: Sequence[str] = TASK_HASH_KEYS,
               ignore: Sequence[str] = IGNORE_HASH_KEYS, overwrite: bool = False) -> Dict:
    """Add `_input_hash` and `_task_hash` (kept if present, unless overwrite)."""
    if overwrite or "_input_hash" not in task:
        task["_input_hash"] = get_hash(task, input_keys, ignore)
    if overwrite or "_task_hash" not in task:
        task["_task_hash"] = get_hash(task, task_keys, ignore, prefix=str(task["_input_hash"]))
    return task


def token_offsets(words: Sequence[str], spaces: Sequence[bool]) -> Tuple[str, List[Token]]:
    """The text and each token's (start, end, ws), as spaCy's Doc(words, spaces) builds it."""
    parts, tokens, pos = [], [], 0
    for word, space in zip(words, spaces):
        tokens.append((pos, pos + len(word), bool(space)))
        parts.append(word + (" " if space else ""))
        pos += len(word) + (1 if space else 0)
    return "".join(parts), tokens


def prodigy_tokens(words: Sequence[str], tokens: Sequence[Token]) -> List[Dict]:
    return [{"text": w, "start": s, "end": e, "id": i, "ws": ws}
            for i, (w, (s, e, ws)) in enumerate(zip(words, tokens))]


def prodigy_spans(spans: Iterable[SpanTuple], tokens: Sequence[Token]) -> List[Dict]:
    """Prodigy spans: char offsets plus inclusive token_end, sorted by position."""
    return [{"start": tokens[s][0], "end": tokens[e - 1][1], "token_start": s,
             "token_end": e - 1, "label": label}
            for s, e, label in sorted(set(spans))]


def describe(d: Disagreement, words: Sequence[str]) -> Dict:
    """A flat, readable record of one disagreement for `meta` and the report."""
    return {"category": d.category, "text": " ".join(words[d.start:d.end]),
            "token_start": d.start, "token_end": d.end - 1, "label": d.label,
            "rule": d.rule, "rule_score": d.rule_score, "model_score": d.model_score,
            "gold_agrees": d.gold_agrees, "priority": d.score}


def example_tasks(words: Sequence[str], spaces: Sequence[bool], *,
                  systems: Dict[str, Optional[List[SpanTuple]]],
                  disagreements: Sequence[Disagreement], dataset: str, doc_index: int,
                  priority: float, rank: Optional[int] = None) -> List[Dict]:
    """One ner_manual task per system present (None = system absent, e.g. no gold)."""
    text, tokens = token_offsets(words, spaces)
    categories = sorted({d.category for d in disagreements})
    rules = sorted({d.rule for d in disagreements if d.rule})
    tasks = []
    for system in SYSTEMS:
        spans = systems.get(system)
        if spans is None:
            continue
        meta = {"system": system, "doc": doc_index, "rank": rank, "priority": priority,
                "categories": ", ".join(categories), "rules": ", ".join(rules),
                "n_disagreements": len(disagreements)}
        task = {"text": text, "tokens": prodigy_tokens(words, tokens),
                "spans": prodigy_spans(spans, tokens), "meta": meta,
                "rulelang_disagreements": [describe(d, words) for d in disagreements],
                "_view_id": VIEW_ID, "answer": "accept",
                "_session_id": f"{dataset}-{system}", "_annotator_id": f"{dataset}-{system}"}
        tasks.append(set_hashes(task))
    return tasks


GROUP_VIEW_ID = "choice"
GROUP_OPTIONS = (("language", "a language here"), ("never", "never a language here"),
                 ("needs_evidence", "needs evidence here (the rule alone is not enough)"),
                 ("one_by_one", "decide one by one"))


def group_tasks(groups: Sequence[GroupStats], dataset: str) -> List[Dict]:
    """One Prodigy `choice` task per group: its definition, count and share, its examples
    (most doubtful first) as HTML, and the four group decisions as options. The group line
    rides along in `rulelang_group`, so `apply` reads the answered task (`accept`: the
    chosen option) as the same group decision the report downloads."""
    tasks = []
    for g in groups:
        examples = "".join(f"<li>{escape(e.left)} <mark>{escape(e.text)}</mark> {escape(e.right)}</li>"
                           for e in g.examples)
        html = (f"<p><b>{escape(g.describe())}</b>: {g.count} disagreements ({g.share:.1%})</p>"
                f"<ol>{examples}</ol>")
        line = group_decision_line(g, "one_by_one")
        del line["decision"], line["note"], line["time"]
        task = {"text": g.describe(), "html": html,
                "options": [{"id": key, "text": text} for key, text in GROUP_OPTIONS],
                "config": {"choice_style": "single"},
                "meta": {"group": g.gid, "count": g.count, "share": g.share, "rule": g.rule},
                "rulelang_group": line, "_view_id": GROUP_VIEW_ID,
                "_session_id": f"{dataset}-groups"}
        tasks.append(set_hashes(task, input_keys=("text", "html")))
    return tasks
