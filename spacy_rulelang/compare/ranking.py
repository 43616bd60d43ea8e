"""What a reviewer should see first: a documented, deterministic priority score.

    priority = rule_confidence * model_confidence * (1 + ln(1 + surface_count))

- rule_confidence: the rule's calibrated precision on gold (``span._.rulelang_score``
  from a loaded calibration, else the rule's precision on ALL the gold of the run,
  Laplace-smoothed: (tp + 1) / (tp + fp + 2)); 0.5 when unknown or when the rules
  found nothing at that place.
- model_confidence: the model's score for its span when the pipeline exposes one
  (spancat's ``attrs["scores"]``); 0.5 when absent (ner has none) or when the model
  found nothing there.
- surface_count: how often this surface form (lower-cased text of the disagreement)
  is a disagreement in the WHOLE input.

Why global counts: both are sums over docs (`RankCounts` merges per-block parts), so
a priority does not depend on where a doc sits in the stream, on how the input was
split into blocks or on which worker ran it; the comparison counts them in a first
pass and ranks in a second (`runner`). Two confident systems that disagree point at
a real error (in one of them, or in gold for `suspect_label`), and a frequent form
pays off more when fixed. An example's priority is the highest of its
disagreements'; ties keep input order.

>>> round(priority(rule_confidence=0.9, model_confidence=None, surface_count=1), 4)
0.7619
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

from spacy_rulelang.scoring.rule_scores import RuleCounts
from spacy_rulelang.compare.core import Disagreement

UNKNOWN_CONFIDENCE = 0.5


def priority(rule_confidence: Optional[float], model_confidence: Optional[float],
             surface_count: int) -> float:
    rule_c = UNKNOWN_CONFIDENCE if rule_confidence is None else float(rule_confidence)
    model_c = UNKNOWN_CONFIDENCE if model_confidence is None else float(model_confidence)
    return round(rule_c * model_c * (1.0 + math.log1p(max(0, surface_count))), 6)


def smoothed_precision(tp: int, fp: int) -> float:
    return (tp + 1) / (tp + fp + 2)


def surface_of(d: Disagreement, words: Sequence[str]) -> str:
    return " ".join(words[d.start:d.end]).lower()


@dataclass
class RankCounts:
    """The global counts a priority needs: surface forms of the disagreements, and
    each rule's spans against gold. Sums only, so partial counts of any split of the
    input `merge` into the same totals."""

    surfaces: Counter = field(default_factory=Counter)
    rules: RuleCounts = field(default_factory=RuleCounts)

    def add_surfaces(self, disagreements: Sequence[Disagreement], words: Sequence[str]) -> None:
        self.surfaces.update(surface_of(d, words) for d in disagreements)

    def merge(self, other: "RankCounts") -> "RankCounts":
        self.surfaces.update(other.surfaces)
        self.rules.merge(other.rules)
        return self


class Ranker:
    """Scores disagreements from the global counts of the whole input."""

    def __init__(self, surface_counts: Counter,
                 rule_precision: Optional[Dict[str, Tuple[int, int]]] = None) -> None:
        """`surface_counts`: surface form -> disagreements with it in the whole input;
        `rule_precision`: rule -> (tp, fp) on all the gold."""
        self.surface_counts = surface_counts
        self.rule_precision = rule_precision or {}

    @classmethod
    def from_counts(cls, counts: RankCounts) -> "Ranker":
        return cls(counts.surfaces, counts.rules.tp_fp())

    def score(self, disagreements: Sequence[Disagreement],
              words: Sequence[str]) -> List[Disagreement]:
        """`words`: the doc's token texts."""
        out = []
        for d in disagreements:
            rule_c = None
            if d.rule_span is not None:
                rule_c = d.rule_score
                if rule_c is None and d.rule in self.rule_precision:
                    rule_c = smoothed_precision(*self.rule_precision[d.rule])
            model_c = d.model_score if d.model_span is not None else None
            count = self.surface_counts[surface_of(d, words)]
            out.append(replace(d, score=priority(rule_c, model_c, count)))
        return out


def example_priority(disagreements: Sequence[Disagreement]) -> float:
    return max((d.score or 0.0 for d in disagreements), default=0.0)
