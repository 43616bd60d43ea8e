"""summary.json: counts and span-level scores, accumulated while the docs stream by.

Why an accumulator: every input doc must be accounted for (docs_in == docs_out:
with disagreements, without, or skipped with a reason), and per-rule precision
and recall against gold need only counters, so memory is constant in the number
of docs. Nothing time-dependent goes in, so a second run is byte-identical; and only
sums, so the counts of the parts of any split of the input `merge` into the same summary.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Optional, Sequence

from spacy_rulelang.scoring.rule_scores import RuleCounts, RuleSpan, ratio as _ratio
from spacy_rulelang.compare.core import CATEGORIES, GOLD_SIDES, Disagreement, SpanTuple


def _prf(tp: int, n_pred: int, n_gold: int) -> Dict[str, object]:
    p, r = _ratio(tp, n_pred), _ratio(tp, n_gold)
    f = round(2 * p * r / (p + r), 6) if p and r else (0.0 if p is not None and r is not None else None)
    return {"precision": p, "recall": r, "f": f, "tp": tp, "fp": n_pred - tp, "fn": n_gold - tp}


class SummaryStats:
    def __init__(self, rule_names: Iterable[str] = ()) -> None:
        self.docs_in = 0
        self.docs_with = 0
        self.docs_without = 0
        self.skipped: Counter = Counter()
        self.docs_gold = 0
        self.n_words = 0
        self.categories: Counter = Counter({c: 0 for c in CATEGORIES})
        self.gold_agrees: Dict[str, Counter] = defaultdict(Counter)
        self.rules = RuleCounts(rule_names)
        self.system_counts = {name: Counter() for name in ("rules", "model")}
        self.n_gold = 0

    def read(self) -> None:
        self.docs_in += 1

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def add(self, n_words: int, rules: Sequence[RuleSpan], model: Sequence[SpanTuple],
            gold: Optional[Sequence[SpanTuple]], found: Sequence[Disagreement]) -> None:
        """One processed doc. `rules`/`model`/`gold` are the spans being compared."""
        self.n_words += n_words
        if found:
            self.docs_with += 1
        else:
            self.docs_without += 1
        for d in found:
            self.categories[d.category] += 1
            if d.gold_agrees is not None:
                self.gold_agrees[d.category][d.gold_agrees] += 1
        self.rules.add(rules, gold)
        if gold is None:
            return
        self.docs_gold += 1
        gold_set = set(gold)
        self.n_gold += len(gold_set)
        for system, spans in (("rules", {s for s, _ in rules}), ("model", set(model))):
            counts = self.system_counts[system]
            counts["pred"] += len(spans)
            counts["tp"] += len(spans & gold_set)

    def merge(self, other: "SummaryStats") -> "SummaryStats":
        """Add the counts of another part of the input (any split gives the same totals)."""
        self.docs_in += other.docs_in
        self.docs_with += other.docs_with
        self.docs_without += other.docs_without
        self.docs_gold += other.docs_gold
        self.n_words += other.n_words
        self.n_gold += other.n_gold
        for mine, theirs in ((self.skipped, other.skipped), (self.categories, other.categories)):
            mine.update(theirs)
        for category, sides in other.gold_agrees.items():
            self.gold_agrees[category].update(sides)
        for system, counts in other.system_counts.items():
            self.system_counts[system].update(counts)
        self.rules.merge(other.rules)
        return self

    def per_rule(self) -> Dict[str, Dict[str, object]]:
        return self.rules.table()

    @property
    def docs_out(self) -> int:
        return self.docs_with + self.docs_without + sum(self.skipped.values())

    def to_dict(self, settings: Dict[str, object]) -> Dict[str, object]:
        gold = self.docs_gold > 0
        systems = None
        if gold:
            systems = {name: _prf(c["tp"], c["pred"], self.n_gold)
                       for name, c in self.system_counts.items()}
        return {
            "settings": settings,
            "docs": {"in": self.docs_in, "out": self.docs_out,
                     "accounted": self.docs_in == self.docs_out,
                     "with_disagreements": self.docs_with,
                     "without_disagreements": self.docs_without,
                     "skipped": dict(sorted(self.skipped.items())),
                     "with_gold": self.docs_gold},
            "n_words": self.n_words,
            "n_gold_spans": self.n_gold if gold else None,
            "categories": {c: self.categories[c] for c in CATEGORIES},
            "gold_agrees": {c: {s: self.gold_agrees[c][s] for s in GOLD_SIDES}
                            for c in CATEGORIES} if gold else None,
            "systems": systems,
            "rules": self.per_rule(),
        }


def categories_of(found: Sequence[Disagreement]) -> List[str]:
    return sorted({d.category for d in found})
