"""Entity-level P/R/F1 of the rule spans against gold entities, with spaCy's Scorer."""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List

from spacy.scorer import Scorer
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import registry


def _spans_or_gold_ents(key: str, label: str) -> Callable[[Doc, str], List[Span]]:
    """Predicted docs carry doc.spans[key]; gold docs usually only have doc.ents."""

    def getter(doc: Doc, attr: str) -> List[Span]:
        if key in doc.spans:
            return list(doc.spans[key])
        return [e for e in doc.ents if e.label_ == label]

    return getter


def score_rulelang(examples: Iterable[Example], *, spans_key: str = "rulelang",
                   label: str = "PROG_LANG", **kwargs: Any) -> Dict[str, Any]:
    """Exact-match span scores under `spans_<key>_{p,r,f,per_type}`."""
    return Scorer.score_spans(
        examples, attr=f"spans_{spans_key}", getter=_spans_or_gold_ents(spans_key, label),
        has_annotation=lambda doc: True, allow_overlap=True,
    )


@registry.scorers("spacy-rulelang.scorer.v1")
def make_rulelang_scorer() -> Callable:
    return score_rulelang
