"""The JSONL records `apply` writes: the audit of every decision, and model errors as
Prodigy-compatible training examples (ner_manual: text, tokens, spans, meta).

Keys are sorted and nothing depends on the clock, so the same decisions give the
same bytes; a decision's own `time` is copied into the audit.
"""
from __future__ import annotations

from typing import Dict, Sequence

from spacy.tokens import Doc

from spacy_rulelang.compare.core import SpanTuple
from spacy_rulelang.compare.export import prodigy_spans, prodigy_tokens, token_offsets
from spacy_rulelang.io.jsonl import dumps_line
from spacy_rulelang.review.gold_edits import Applied


def dumps(record: Dict) -> str:
    return dumps_line(record, sort_keys=True)


def audit_record(applied: Applied) -> Dict:
    """What one decision did to gold in its region (token spans, end exclusive)."""
    decision = applied.decision
    return {"line": decision.line, "doc": decision.doc, "decision": decision.decision,
            "category": decision.category, "source": decision.source,
            "region": list(applied.region), "before": [list(s) for s in applied.before],
            "after": [list(s) for s in applied.after], "outcome": applied.outcome,
            "note": decision.note, "time": decision.time}


def training_example(doc: Doc, gold: Sequence[SpanTuple], applied: Applied) -> Dict:
    """The whole sentence with its corrected gold: where the rules were right and the model not."""
    words = [t.text for t in doc]
    text, tokens = token_offsets(words, [bool(t.whitespace_) for t in doc])
    decision = applied.decision
    return {"text": text, "tokens": prodigy_tokens(words, tokens),
            "spans": prodigy_spans(gold, tokens),
            "meta": {"doc": decision.doc, "category": decision.category, "note": decision.note}}
