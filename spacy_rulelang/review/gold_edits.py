"""Turn one doc's decisions into corrected gold: a pure function over span tuples.

In the region of a decision (the disagreement's tokens and every span the line
lists; a Prodigy line: the whole sentence), every gold span that touches the region
is replaced by the decision's target (docs/decisions.md): `rules` -> the rules'
spans, `model` -> the model's, `gold_wrong` -> what both agree on (no agreement:
like `both_wrong`), Prodigy `accept` -> the reviewed spans. `both_wrong` and `skip`
leave gold as it is. Decisions apply in file order; two that overlap and give
different spans on their shared tokens are an error naming both lines.

>>> from spacy_rulelang.review.decision import Decision
>>> d = Decision(line=1, doc=0, decision="model", category="boundary", source="decisions",
...              start=3, end=5, rules=((3, 4, "PROG_LANG"),), model=((3, 5, "PROG_LANG"),))
>>> gold, applied = apply_to_gold([(3, 4, "PROG_LANG")], [d], n_tokens=7)
>>> gold, applied[0].outcome
([(3, 5, 'PROG_LANG')], 'changed')
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

from spacy_rulelang.compare.core import SpanTuple
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.spans import overlap
from spacy_rulelang.review.decision import SKIP, Decision, Where

CHANGED, UNCHANGED, MANUAL, SKIPPED = "changed", "unchanged", "manual", "skipped"
Region = Tuple[int, int]


@dataclass(frozen=True)
class Applied:
    """What one decision did: gold spans of its region before and after."""

    decision: Decision
    region: Region
    before: Tuple[SpanTuple, ...]
    after: Tuple[SpanTuple, ...]
    outcome: str  # changed, unchanged, manual (needs manual annotation), skipped


def region_of(decision: Decision, n_tokens: int) -> Region:
    if decision.start is None or decision.end is None:
        return 0, n_tokens
    bounds = [(decision.start, decision.end)]
    for spans in (decision.rules, decision.model, decision.gold):
        bounds += [(s, e) for s, e, _ in spans or ()]
    return min(s for s, _ in bounds), max(e for _, e in bounds)


def _inside(spans: Sequence[SpanTuple], region: Region) -> List[SpanTuple]:
    return sorted(s for s in spans if overlap(s, region))


def check_consistent(decisions: Sequence[Decision], n_tokens: int, path: Where) -> None:
    """E156 when two decisions that change gold give different spans on shared tokens."""
    changing = [(d, region_of(d, n_tokens)) for d in decisions if d.target is not None]
    for i, (a, region_a) in enumerate(changing):
        for b, region_b in changing[i + 1:]:
            shared = (max(region_a[0], region_b[0]), min(region_a[1], region_b[1]))
            if shared[0] >= shared[1]:
                continue
            spans_a, spans_b = _inside(a.target, shared), _inside(b.target, shared)  # type: ignore[arg-type]
            if spans_a != spans_b:
                raise ValueError(Errors.E156.format(
                    path=path, first=a.line, second=b.line, doc=a.doc, start=shared[0],
                    end=shared[1], first_decision=a.decision, second_decision=b.decision,
                    first_spans=[list(s) for s in spans_a], second_spans=[list(s) for s in spans_b]))


def apply_to_gold(gold: Sequence[SpanTuple], decisions: Sequence[Decision],
                  n_tokens: int) -> Tuple[List[SpanTuple], List[Applied]]:
    """The doc's gold after its decisions (in the order given), and what each did."""
    current = sorted(set(gold))
    applied: List[Applied] = []
    for decision in decisions:
        region = region_of(decision, n_tokens)
        before = tuple(_inside(current, region))
        target = decision.target
        if target is None:
            outcome = SKIPPED if decision.decision == SKIP else MANUAL
            applied.append(Applied(decision, region, before, before, outcome))
            continue
        current = sorted({s for s in current if not overlap(s, region)} | set(target))
        after = tuple(_inside(current, region))
        applied.append(Applied(decision, region, before, after,
                               CHANGED if after != before else UNCHANGED))
    return current, applied
