"""Groups of disagreements that a reviewer decides at once, at two levels:

- `kind`: a rule on a kind of name, (rule, name_kind): "pos_propn on a single capital";
- `context`: a surface form in a context signature, (surface, rule, signature): "c after
  pos_propn in a figure reference" (ruler/context.py says what the keys mean).

The rule is the one that accepted the rules' span (`span._.rulelang_rule`, compare's
`Disagreement.rule`); a model-only disagreement has none (null: a policy on it matches any
rule). A disagreement without a rule has no `kind` group.

Examples are ordered by model doubt, most doubtful first:

    doubt = 1 - |2 * model_confidence - 1|

with model_confidence as ranking.py defines it (the model's score for its span, 0.5
when unknown or when the model found nothing there): a model that cannot say is the
most doubtful. Ties go by the priority (higher first), then the position in the input
(doc, start, end, category): the same examples whatever the order instances came in.

`GroupAggregator` counts; it keeps only the `max_examples` most doubtful examples of
each group, and `merge` adds up partial aggregators (one per block of a parallel run)
into the totals one aggregator of the whole input would give. It is plain data, so it
pickles.

>>> from spacy_rulelang.compare.core import Disagreement
>>> d = Disagreement("rule_only", 1, 2, "PROG_LANG", rule_span=(1, 2, "PROG_LANG"), rule="pos_propn")
>>> agg = GroupAggregator()
>>> agg.add(instance_of(d, "Panel C shows the mean .".split(), doc_index=0))
>>> [(g.level, g.key, g.count, g.share) for g in agg.ranked()]
[('context', ('c', 'pos_propn', 'figure'), 1, 1.0), ('kind', ('pos_propn', 'single_capital'), 1, 1.0)]
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from spacy_rulelang.compare.core import Disagreement, SpanTuple
from spacy_rulelang.compare.core import from_spacy, span_tuples
from spacy_rulelang.compare.ranking import UNKNOWN_CONFIDENCE, Ranker
from spacy_rulelang.ruler.context import context_signature, name_kind

KIND, CONTEXT = "kind", "context"
LEVELS = (CONTEXT, KIND)
# A group decision (report, Prodigy, a simulated reviewer) and the policy it makes.
LANGUAGE, NEVER, NEEDS_EVIDENCE, ONE_BY_ONE = "language", "never", "needs_evidence", "one_by_one"
GROUP_DECISIONS = (LANGUAGE, NEVER, NEEDS_EVIDENCE, ONE_BY_ONE)
POLICY_OF = {LANGUAGE: "always", NEVER: "never", NEEDS_EVIDENCE: "needs_evidence", ONE_BY_ONE: None}
CONTEXT_WORDS = 12  # words shown on each side of an example


def doubt(model_confidence: Optional[float]) -> float:
    c = UNKNOWN_CONFIDENCE if model_confidence is None else float(model_confidence)
    return round(1.0 - abs(2.0 * c - 1.0), 6)


@dataclass(frozen=True)
class Instance:
    """One disagreement with its group keys and what the report shows of it."""

    doc: int
    start: int
    end: int
    category: str
    label: str
    text: str                       # the words as written
    rule: Optional[str]
    signature: str
    name_kind: str
    doubt: float
    priority: float
    gold_language: Optional[bool]   # gold has a span here (None: no gold)
    left: str = ""                  # words before and after, for display
    right: str = ""
    spans: Tuple[Tuple[str, Optional[Tuple[SpanTuple, ...]]], ...] = ()  # system -> overlapping spans

    @property
    def surface(self) -> str:
        return self.text.lower()

    def keys(self) -> List[Tuple[str, Tuple]]:
        out: List[Tuple[str, Tuple]] = [(CONTEXT, (self.surface, self.rule, self.signature))]
        if self.rule is not None:
            out.append((KIND, (self.rule, self.name_kind)))
        return out

    def order(self) -> Tuple:
        """Most doubtful first; then higher priority; then input position."""
        return (-self.doubt, -self.priority, self.doc, self.start, self.end, self.category)

    def to_dict(self) -> Dict:
        """What a group decision line carries of an instance (docs/formats.md)."""
        return {"doc": self.doc, "token_start": self.start, "token_end": self.end,
                "label": self.label, "text": self.text, "category": self.category,
                "rule": self.rule, "doubt": self.doubt, "left": self.left, "right": self.right,
                "spans": {k: None if v is None else [list(s) for s in v] for k, v in self.spans}}


def instance_of(d: Disagreement, words: Sequence[str], *, doc_index: int,
                systems: Optional[Dict[str, Optional[Sequence[SpanTuple]]]] = None,
                rejected_by: Optional[str] = None) -> Instance:
    """An `Instance` of a (ranked) disagreement in a doc's `words`. `systems`: the doc's rules,
    model and gold spans (None for a system absent); `rejected_by`: the rule that rejected
    a model-only name, where the caller knows it (the doc's `rulelang_rejected` spans)."""
    rule = d.rule if d.rule_span is not None else rejected_by
    model_c = d.model_score if d.model_span is not None else None
    gold = None if d.gold_agrees is None else d.gold_span is not None
    overlapping = ()
    if systems is not None:
        overlapping = tuple((k, None if systems.get(k) is None else tuple(
            sorted(s for s in set(systems[k] or ()) if s[0] < d.end and d.start < s[1])))
            for k in ("rules", "model", "gold"))
    left = " ".join(w for w in words[max(0, d.start - CONTEXT_WORDS):d.start] if w.strip())
    right = " ".join(w for w in words[d.end:d.end + CONTEXT_WORDS] if w.strip())
    text = " ".join(w for w in words[d.start:d.end] if w.strip())
    return Instance(doc_index, d.start, d.end, d.category, d.label, text, rule,
                    context_signature(words, d.start, d.end), name_kind(text), doubt(model_c),
                    float(d.score or 0.0), gold, left, right, overlapping)


@dataclass
class GroupStats:
    """One group: its counts over every instance, and its most doubtful examples."""

    level: str
    key: Tuple
    count: int = 0
    categories: Counter = field(default_factory=Counter)
    gold: Counter = field(default_factory=Counter)  # "language" / "not_language" where gold exists
    examples: List[Instance] = field(default_factory=list)
    share: float = 0.0  # of all disagreements; set by `GroupAggregator.ranked`

    @property
    def rule(self) -> Optional[str]:
        return self.key[1] if self.level == CONTEXT else self.key[0]

    @property
    def gid(self) -> str:
        """A stable id: level and key joined (the report's and Prodigy's group id)."""
        return self.level + ":" + "|".join("*" if k is None else str(k) for k in self.key)

    def definition(self) -> Dict:
        """What a decision line records of the group (docs/formats.md)."""
        if self.level == CONTEXT:
            surface, rule, signature = self.key
            return {"level": CONTEXT, "rule": rule, "surface": surface, "signature": signature}
        rule, kind = self.key
        return {"level": KIND, "rule": rule, "name_kind": kind}

    def describe(self) -> str:
        if self.level == CONTEXT:
            surface, rule, signature = self.key
            return f"“{surface}” in {signature}" + (f" ({rule})" if rule else "")
        rule, kind = self.key
        return f"{rule} on a {kind.replace('_', ' ')} name"

    def add(self, inst: Instance, max_examples: int) -> None:
        self.count += 1
        self.categories[inst.category] += 1
        if inst.gold_language is not None:
            self.gold["language" if inst.gold_language else "not_language"] += 1
        self._keep(self.examples + [inst], max_examples)

    def merge(self, other: "GroupStats", max_examples: int) -> None:
        self.count += other.count
        self.categories.update(other.categories)
        self.gold.update(other.gold)
        self._keep(self.examples + other.examples, max_examples)

    def _keep(self, examples: List[Instance], n: int) -> None:
        self.examples = sorted(examples, key=Instance.order)[:n]


class GroupAggregator:
    """Counts instances per group; mergeable, order-independent and picklable."""

    def __init__(self, max_examples: int = 5) -> None:
        self.max_examples = max_examples
        self.total = 0
        self.groups: Dict[Tuple[str, Tuple], GroupStats] = {}

    def add(self, inst: Instance) -> None:
        self.total += 1
        for level, key in inst.keys():
            group = self.groups.get((level, key))
            if group is None:
                group = self.groups[(level, key)] = GroupStats(level, key)
            group.add(inst, self.max_examples)

    def add_all(self, instances: Iterable[Instance]) -> "GroupAggregator":
        for inst in instances:
            self.add(inst)
        return self

    def merge(self, other: "GroupAggregator") -> "GroupAggregator":
        self.total += other.total
        for k, theirs in other.groups.items():
            mine = self.groups.get(k)
            if mine is None:
                mine = self.groups[k] = GroupStats(theirs.level, theirs.key)
            mine.merge(theirs, self.max_examples)
        return self

    def ranked(self, level: Optional[str] = None) -> List[GroupStats]:
        """Groups by count (highest first), then level (context first) and key; with their share."""
        groups = [g for g in self.groups.values() if level is None or g.level == level]
        for g in groups:
            g.share = round(g.count / self.total, 4) if self.total else 0.0
        return sorted(groups, key=lambda g: (-g.count, LEVELS.index(g.level),
                                             tuple("" if k is None else str(k) for k in g.key)))


def answer_from_gold(group: GroupStats, threshold: float = 0.8) -> str:
    """A simulated reviewer's answer from the gold of ALL the group's instances: a language
    (share of instances gold labels >= threshold), never (<= 1 - threshold), else needs
    evidence for a rule on a kind of name and one by one for a surface form. Without gold:
    one by one."""
    yes, no = group.gold["language"], group.gold["not_language"]
    if yes + no == 0:
        return ONE_BY_ONE
    share = yes / (yes + no)
    if share >= threshold:
        return LANGUAGE
    if share <= 1 - threshold:
        return NEVER
    return NEEDS_EVIDENCE if group.level == KIND else ONE_BY_ONE


def group_decision_line(group: GroupStats, decision: str, *, note: str = "",
                        time: Optional[str] = None) -> Dict:
    """A line of decisions.jsonl for a group decision (docs/formats.md), as the report writes it."""
    return {"group": group.definition(), "decision": decision, "count": group.count,
            "share": group.share, "note": note, "time": time,
            "instances": [e.to_dict() for e in group.examples]}


def groups_from_docs(docs: Iterable, *, rules_key: str = "rulelang", rejected_key: str = "rulelang_rejected",
                     model_key: Optional[str] = None, labels: Optional[Sequence[str]] = ("PROG_LANG",),
                     max_examples: int = 5, start_index: int = 0) -> GroupAggregator:
    """Groups of annotated docs (rules and model run on them; gold, if any, in
    doc.spans["rulelang_gold"]): the function to call without `compare` (a workflow that has
    the docs, or a worker on one block: pass its first doc's position as `start_index` and
    `merge` the results). The rejecting rule of a model-only name is read from `rejected_key`."""
    agg = GroupAggregator(max_examples)
    for idx, doc in enumerate(docs, start=start_index):
        rules = list(doc.spans[rules_key]) if rules_key in doc.spans else []
        model = list(doc.ents) if model_key is None else list(doc.spans[model_key])
        gold = list(doc.spans["rulelang_gold"]) if "rulelang_gold" in doc.spans else None
        found = from_spacy(rules, model, gold, labels)
        if not found:
            continue
        words = [t.text for t in doc]
        found = Ranker(Counter(), {}).score(found, words)  # priority without global counts
        rejected = {(s.start, s.end): s._.rulelang_rule for s in doc.spans.get(rejected_key, [])}
        systems = {"rules": span_tuples(rules), "model": span_tuples(model),
                   "gold": None if gold is None else span_tuples(gold)}
        for d in found:
            agg.add(instance_of(d, words, doc_index=idx, systems=systems,
                                rejected_by=rejected.get((d.start, d.end))))
    return agg
