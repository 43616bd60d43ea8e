"""Per-rule counts against gold: the one place that says how good each rule is.

`benchmark`, `evaluate` and `compare` all count each rule's spans that match a
gold span exactly (tp), that don't (fp), and the gold spans each rule finds
(for recall). Counters only, so a stream of any length fits in memory.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Dict, Hashable, Iterable, Optional, Sequence, Set, Tuple

NO_RULE = "<unknown>"
RuleSpan = Tuple[Hashable, Optional[str]]  # a span key (offsets, label...) and its rule


def ratio(num: int, den: int, digits: int = 6) -> Optional[float]:
    return round(num / den, digits) if den else None


class RuleCounts:
    """Accumulates, doc by doc, each rule's spans and their matches with gold."""

    def __init__(self, rule_names: Iterable[str] = ()) -> None:
        self.spans: Counter = Counter({r: 0 for r in rule_names})
        self.spans_on_gold: Counter = Counter()
        self.tp: Counter = Counter()
        self.gold_matched: Counter = Counter()
        self.n_gold = 0

    def add(self, predicted: Sequence[RuleSpan], gold: Optional[Iterable[Hashable]]) -> None:
        """One doc: its rule spans as (key, rule), and its gold span keys (None: no gold)."""
        for _, rule in predicted:
            self.spans[rule or NO_RULE] += 1
        if gold is None:
            return
        gold_set = set(gold)
        self.n_gold += len(gold_set)
        matched_by: Dict[str, Set[Hashable]] = defaultdict(set)
        for key, rule in set(predicted):
            name = rule or NO_RULE
            self.spans_on_gold[name] += 1
            if key in gold_set:
                self.tp[name] += 1
                matched_by[name].add(key)
        for name, keys in matched_by.items():
            self.gold_matched[name] += len(keys)

    def merge(self, other: "RuleCounts") -> "RuleCounts":
        """Add another part's counts (e.g. of another block of the input)."""
        for mine, theirs in ((self.spans, other.spans), (self.spans_on_gold, other.spans_on_gold),
                             (self.tp, other.tp), (self.gold_matched, other.gold_matched)):
            for key, value in theirs.items():
                mine[key] += value
        self.n_gold += other.n_gold
        return self

    def tp_fp(self) -> Dict[str, Tuple[int, int]]:
        """rule -> (tp, fp) on the docs with gold counted."""
        return {r: (self.tp[r], n - self.tp[r]) for r, n in sorted(self.spans_on_gold.items())}

    def table(self) -> Dict[str, Dict[str, object]]:
        """Span-level, exact match: precision = rule spans matching gold / rule spans (on
        docs with gold); recall = gold spans matched by the rule / all gold spans."""
        out = {}
        for rule in sorted(self.spans):
            n_pred, tp, matched = self.spans_on_gold[rule], self.tp[rule], self.gold_matched[rule]
            out[rule] = {"spans": self.spans[rule], "spans_on_gold": n_pred,
                         "precision": ratio(tp, n_pred), "recall": ratio(matched, self.n_gold),
                         "tp": tp, "fp": n_pred - tp, "fn": self.n_gold - matched}
        return out
