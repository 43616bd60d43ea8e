"""Where rules and a model disagree: a pure function over span lists.

Why pure: the comparison is the part worth testing exhaustively, so it takes
plain ``(start, end, label)`` token spans and needs no pipeline (koaning's
doubtlab style). `from_spacy` adapts spaCy Spans and keeps rule names and scores.

>>> rules = [(0, 1, "PROG_LANG"), (4, 6, "PROG_LANG")]
>>> model = [(4, 5, "PROG_LANG"), (8, 9, "PROG_LANG")]
>>> [d.category for d in find_disagreements(rules, model)]
['rule_only', 'boundary', 'model_only']
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from spacy_rulelang.errors import Errors
from spacy_rulelang.compare.rule_names import rule_name_getter
from spacy_rulelang.io.spans import overlap

SpanTuple = Tuple[int, int, str]  # token start, token end (exclusive), label

RULE_ONLY = "rule_only"
MODEL_ONLY = "model_only"
BOUNDARY = "boundary"
LABEL = "label"
SUSPECT_LABEL = "suspect_label"
CATEGORIES: Tuple[str, ...] = (RULE_ONLY, MODEL_ONLY, BOUNDARY, LABEL, SUSPECT_LABEL)
GOLD_SIDES: Tuple[str, ...] = ("rules", "model", "neither")


@dataclass(frozen=True)
class Disagreement:
    """One place where rules and model (or both and gold) disagree.

    `start`/`end` cover every system span involved (token offsets, end exclusive).
    `gold_agrees` is None without gold, else "rules", "model" or "neither".
    `rule`, `rule_score` and `model_score` are filled by the spaCy adapter;
    `score` (review priority) by `ranking`.
    """

    category: str
    start: int
    end: int
    label: str
    rule_span: Optional[SpanTuple] = None
    model_span: Optional[SpanTuple] = None
    gold_span: Optional[SpanTuple] = None
    gold_agrees: Optional[str] = None
    rule: Optional[str] = None
    rule_score: Optional[float] = None
    model_score: Optional[float] = None
    score: Optional[float] = None

    def to_dict(self) -> Dict:
        """JSON/msgpack-friendly (spans as lists)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict) -> "Disagreement":
        spans = {k: (tuple(data[k]) if data.get(k) is not None else None)
                 for k in ("rule_span", "model_span", "gold_span")}
        return cls(**{**data, **spans})


def _normalize(spans: Iterable[Sequence]) -> List[SpanTuple]:
    """Sorted, de-duplicated tuples; empty spans are dropped."""
    out: Set[SpanTuple] = set()
    for span in spans:
        if not isinstance(span, (tuple, list)) or len(span) != 3:
            raise TypeError(Errors.E106.format(type=type(span).__name__, value=repr(span)[:60]))
        start, end, label = int(span[0]), int(span[1]), str(span[2])
        if end > start:
            out.add((start, end, label))
    return sorted(out)


def restrict_labels(labels: Set[str], *systems: Optional[List[SpanTuple]]) -> List[Optional[List[SpanTuple]]]:
    """Keep spans with a compared label, and any span overlapping one of those
    (so a model's ORG on the tokens of a rule's PROG_LANG is still a `label` case)."""
    relevant = [s for spans in systems if spans for s in spans if s[2] in labels]
    return [None if spans is None else
            [s for s in spans if s[2] in labels or any(overlap(s, r) for r in relevant)]
            for spans in systems]


def _best_gold(span: SpanTuple, gold: List[SpanTuple]) -> Optional[SpanTuple]:
    """The gold span that exactly matches, else the one overlapping most (first wins)."""
    if span in gold:
        return span
    best, best_overlap = None, 0
    for g in gold:
        ov = overlap(span, g)
        if ov > best_overlap:
            best, best_overlap = g, ov
    return best


def _side(rule_span: Optional[SpanTuple], model_span: Optional[SpanTuple],
          gold: List[SpanTuple]) -> str:
    """Which system gold sides with. A missing span agrees with gold when gold has
    nothing overlapping the other system's span."""
    gold_set = set(gold)
    if rule_span is not None and rule_span in gold_set:
        return "rules"
    if model_span is not None and model_span in gold_set:
        return "model"
    if (rule_span is None) != (model_span is None):  # one system found nothing
        present = rule_span if rule_span is not None else model_span
        if not any(overlap(present, g) for g in gold):  # type: ignore[arg-type]
            return "model" if model_span is None else "rules"
    return "neither"


def find_disagreements(rules: Iterable[Sequence], model: Iterable[Sequence],
                       gold: Optional[Iterable[Sequence]] = None,
                       labels: Optional[Iterable[str]] = None) -> List[Disagreement]:
    """Typed disagreements between rule spans and model spans (optionally gold).

    - exact (start, end, label) matches agree; with gold, an agreement gold lacks
      is `suspect_label`, and so is a gold span no system touched;
    - same tokens, different label -> `label`;
    - overlapping, different boundaries -> `boundary` (pairs chosen greedily by
      largest overlap, each span used once);
    - whatever is left -> `rule_only` / `model_only`.
    The result is sorted by position, then category: same input, same output.
    """
    r_spans = _normalize(rules)
    m_spans = _normalize(model)
    g_spans = None if gold is None else _normalize(gold)
    if labels is not None:
        r_spans, m_spans, g_spans = restrict_labels(set(labels), r_spans, m_spans, g_spans)
    found: List[Disagreement] = []
    agreed = set(r_spans) & set(m_spans)
    if g_spans is not None:
        gold_set = set(g_spans)
        for s in sorted(agreed - gold_set):
            found.append(Disagreement(SUSPECT_LABEL, s[0], s[1], s[2], rule_span=s, model_span=s,
                                      gold_span=_best_gold(s, g_spans), gold_agrees="neither"))
    r_left = [s for s in r_spans if s not in agreed]
    m_left = [s for s in m_spans if s not in agreed]
    pairs: List[Tuple[str, SpanTuple, SpanTuple]] = []
    used_r: Set[SpanTuple] = set()
    used_m: Set[SpanTuple] = set()
    for r in r_left:  # same tokens, different label
        same = [m for m in m_left if m[:2] == r[:2] and m not in used_m]
        if same:
            pairs.append((LABEL, r, same[0]))
            used_r.add(r)
            used_m.add(same[0])
    candidates = sorted(((overlap(r, m), r, m) for r in r_left for m in m_left
                         if r not in used_r and m not in used_m and overlap(r, m)),
                        key=lambda c: (-c[0], c[1], c[2]))
    for _, r, m in candidates:
        if r not in used_r and m not in used_m:
            pairs.append((BOUNDARY, r, m))
            used_r.add(r)
            used_m.add(m)
    for category, r, m in pairs:
        found.append(_make(category, r, m, g_spans))
    found += [_make(RULE_ONLY, r, None, g_spans) for r in r_left if r not in used_r]
    found += [_make(MODEL_ONLY, None, m, g_spans) for m in m_left if m not in used_m]
    if g_spans is not None:
        systems = r_spans + m_spans
        for g in g_spans:
            if not any(overlap(g, s) for s in systems):
                found.append(Disagreement(SUSPECT_LABEL, g[0], g[1], g[2], gold_span=g,
                                          gold_agrees="neither"))
    return sorted(found, key=sort_key)


def _make(category: str, r: Optional[SpanTuple], m: Optional[SpanTuple],
          gold: Optional[List[SpanTuple]]) -> Disagreement:
    spans = [s for s in (r, m) if s is not None]
    start, end = min(s[0] for s in spans), max(s[1] for s in spans)
    label = (r or m)[2]  # type: ignore[index]
    if gold is None:
        return Disagreement(category, start, end, label, rule_span=r, model_span=m)
    gold_span = None
    for s in spans:
        gold_span = gold_span or _best_gold(s, gold)
    return Disagreement(category, start, end, label, rule_span=r, model_span=m,
                        gold_span=gold_span, gold_agrees=_side(r, m, gold))


def sort_key(d: Disagreement) -> Tuple:
    none = (-1, -1, "")
    return (d.start, d.end, CATEGORIES.index(d.category), d.label,
            d.rule_span or none, d.model_span or none, d.gold_span or none)


def span_tuples(spans: Iterable) -> List[SpanTuple]:
    """Adapter: spaCy Spans (or tuples) to (start, end, label) tuples."""
    out = []
    for span in spans:
        if hasattr(span, "label_") and hasattr(span, "start"):
            out.append((span.start, span.end, span.label_))
        else:
            out.append(span)
    return out


def from_spacy(rule_spans: Sequence, model_spans: Sequence,
               gold_spans: Optional[Sequence] = None,
               labels: Optional[Iterable[str]] = None,
               model_scores: Optional[Sequence[Optional[float]]] = None,
               rule_of: Optional[Callable[[Any], Optional[str]]] = None) -> List[Disagreement]:
    """`find_disagreements` over spaCy Spans, adding each rule span's rule name
    (`rule_of(span)`, by default `span._.rulelang_rule`) and calibrated score
    (`._.rulelang_score`) and the model's per-span score when the pipeline exposes
    one (`model_scores`, parallel)."""
    rule_of = rule_of or rule_name_getter()
    rule_info: Dict[SpanTuple, Tuple[Optional[str], Optional[float]]] = {}
    for span in rule_spans:
        key = span_tuples([span])[0]
        if key not in rule_info and hasattr(span, "_"):
            rule = rule_of(span)
            score = getattr(span._, "rulelang_score", None) if span.has_extension("rulelang_score") else None
            rule_info[tuple(key)] = (rule, None if score is None else float(score))
    model_info: Dict[SpanTuple, float] = {}
    if model_scores is not None:
        for span, score in zip(model_spans, model_scores):
            key = tuple(span_tuples([span])[0])
            if score is not None and key not in model_info:
                model_info[key] = float(score)
    found = find_disagreements(span_tuples(rule_spans), span_tuples(model_spans),
                               None if gold_spans is None else span_tuples(gold_spans), labels)
    out = []
    for d in found:
        rule, rule_score = rule_info.get(d.rule_span, (None, None)) if d.rule_span else (None, None)
        model_score = model_info.get(d.model_span) if d.model_span else None
        out.append(replace(d, rule=rule, rule_score=rule_score, model_score=model_score))
    return out
