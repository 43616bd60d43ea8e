"""What a reviewer should see first: a documented, deterministic priority score.

    priority = rule_confidence * model_confidence * (1 + ln(1 + surface_count))

- rule_confidence: the rule's calibrated precision on gold (``span._.rulelang_score``
  from a loaded calibration, else the rule's running precision on the gold seen so
  far, Laplace-smoothed: (tp + 1) / (tp + fp + 2)); 0.5 when unknown or when the
  rules found nothing at that place.
- model_confidence: the model's score for its span when the pipeline exposes one
  (spancat's ``attrs["scores"]``); 0.5 when absent (ner has none) or when the model
  found nothing there.
- surface_count: how often this surface form (lower-cased text of the disagreement)
  has been a disagreement so far in the run, this one included.

Why: two confident systems that disagree point at a real error (in one of them, or
in gold for `suspect_label`), and a frequent form pays off more when fixed. An
example's priority is the highest of its disagreements'; ties keep input order.

>>> round(priority(rule_confidence=0.9, model_confidence=None, surface_count=1), 4)
0.7619
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple

from .core import Disagreement

UNKNOWN_CONFIDENCE = 0.5


def priority(rule_confidence: Optional[float], model_confidence: Optional[float],
             surface_count: int) -> float:
    rule_c = UNKNOWN_CONFIDENCE if rule_confidence is None else float(rule_confidence)
    model_c = UNKNOWN_CONFIDENCE if model_confidence is None else float(model_confidence)
    return round(rule_c * model_c * (1.0 + math.log1p(max(0, surface_count))), 6)


def smoothed_precision(tp: int, fp: int) -> float:
    return (tp + 1) / (tp + fp + 2)


class Ranker:
    """Scores disagreements as a stream arrives; state grows with the number of
    distinct surface forms only, never with the number of docs."""

    def __init__(self) -> None:
        self.surface_counts: Counter = Counter()

    def score(self, disagreements: Sequence[Disagreement], words: Sequence[str],
              rule_precision: Optional[Dict[str, Tuple[int, int]]] = None) -> List[Disagreement]:
        """`words`: the doc's token texts; `rule_precision`: rule -> (tp, fp) so far."""
        out = []
        for d in disagreements:
            surface = " ".join(words[d.start:d.end]).lower()
            self.surface_counts[surface] += 1
            rule_c = None
            if d.rule_span is not None:
                rule_c = d.rule_score
                if rule_c is None and rule_precision and d.rule in rule_precision:
                    rule_c = smoothed_precision(*rule_precision[d.rule])
            model_c = d.model_score if d.model_span is not None else None
            out.append(replace(d, score=priority(rule_c, model_c, self.surface_counts[surface])))
        return out


def example_priority(disagreements: Sequence[Disagreement]) -> float:
    return max((d.score or 0.0 for d in disagreements), default=0.0)
