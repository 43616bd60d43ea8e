"""Merge rule spans and the NER's entities into the final `doc.ents`, by a stated policy.

The merge step runs after the NER and after `rulelang` (with `write_ents=False`).
It keeps both sources apart, so each stays inspectable (spaCy #3775 is a ruler
silently overwriting NER entities):

- `doc.spans[model_key]`: the NER's own entities, copied from `doc.ents`;
- `doc.spans[spans_key]`: the rule spans, as `rulelang` wrote them;
- `doc.ents`: the merged result.

Policy (all config, no code edits):

- A rule span is *strong* when its rule is listed in `rule_wins`, or its rule's
  precision is at least `min_rule_precision`. The precision comes from the
  `rule_precision` table if the rule is listed there, else from
  `span._.rulelang_score` (set when `rulelang` loads a calibration). A rule with no
  known precision counts as strong: rules are written to be precise, and the
  threshold only demotes rules that were measured to be weak.
- Weak rule spans are kept as a fallback where nothing else claims their tokens
  (`weak_rules = "fallback"`), kept only where the model found an overlapping entity
  (`"need_model"`: the model confirms the guess, the span then counts as strong),
  or dropped (`"drop"`).
- Model entities that overlap no rule span are kept when `model_fills_gaps`. With
  `gaps_need_candidate`, only where the rules had no evidence either way: the
  catalogue has a candidate there that no rule accepted or rejected (asked of the
  `rulelang` component's `explain`, and only for docs with such a gap). A model
  entity over a candidate that a rule rejected ("an XML file", "SQL Server") or over
  text the catalogue does not know stays out.
- Overlaps are settled greedily in the order given by `prefer`:
  `"rules"`: strong rules, then the model, then weak rules;
  `"model"`: the model, then strong rules, then weak rules;
  `"longest"`: the longer span, ties in the `"rules"` order.

Usage:

    nlp = spacy.load("en_core_web_sm")          # tagger + ner
    nlp.add_pipe("rulelang", config={"write_ents": False})
    nlp.add_pipe("rulelang_merge", config={"prefer": "rules"})
    doc = nlp("We rewrote the Go service in Rust.")
    doc.ents, doc.spans["rulelang"], doc.spans["model"]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.scorer import Scorer
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import registry

from .errors import Errors
from .extensions import register_extensions

PREFER_OPTIONS = ("rules", "model", "longest")
WEAK_RULES_OPTIONS = ("fallback", "need_model", "drop")
# Priority classes: lower wins a conflict.
STRONG_RULE, MODEL, WEAK_RULE = "strong_rule", "model", "weak_rule"
CLASS_ORDER = {
    "rules": (STRONG_RULE, MODEL, WEAK_RULE),
    "model": (MODEL, STRONG_RULE, WEAK_RULE),
    "longest": (STRONG_RULE, MODEL, WEAK_RULE),
}


@dataclass
class MergePolicy:
    """The settings of the merge, checked once; `merge_spans` applies them."""

    prefer: str = "rules"
    min_rule_precision: float = 0.0
    rule_precision: Dict[str, float] = field(default_factory=dict)
    rule_wins: Sequence[str] = ()
    weak_rules: str = "fallback"
    model_fills_gaps: bool = True
    gaps_need_candidate: bool = False

    def __post_init__(self) -> None:
        if self.prefer not in PREFER_OPTIONS:
            raise ValueError(Errors.E200.format(value=self.prefer, setting="prefer",
                                                allowed=", ".join(PREFER_OPTIONS)))
        if self.weak_rules not in WEAK_RULES_OPTIONS:
            raise ValueError(Errors.E200.format(value=self.weak_rules, setting="weak_rules",
                                                allowed=", ".join(WEAK_RULES_OPTIONS)))
        _check_precision(self.min_rule_precision, "min_rule_precision", "")
        for rule, value in self.rule_precision.items():
            _check_precision(value, "rule_precision", f" for rule '{rule}'")

    def rule_class(self, span: Span) -> str:
        rule = span._.rulelang_rule
        if rule is not None and rule in self.rule_wins:
            return STRONG_RULE
        precision = self.rule_precision.get(rule, span._.rulelang_score)
        if precision is None or precision >= self.min_rule_precision:
            return STRONG_RULE
        return WEAK_RULE


def _check_precision(value: Any, setting: str, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(Errors.E201.format(setting=setting, value=value, where=where))


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def merge_spans(rule_spans: Iterable[Span], model_spans: Iterable[Span],
                policy: MergePolicy,
                undecided: Optional[Sequence[Tuple[int, int]]] = None) -> List[Span]:
    """The non-overlapping entities that the policy keeps, sorted by position.

    A pure function over the spans of one doc, so that the policy can be tested (and
    tuned) without a pipeline. `undecided`: (start, end) of the catalogue candidates
    that no rule decided on, used when `policy.gaps_need_candidate`.
    """
    rules = list(rule_spans)
    models = list(model_spans)
    candidates: List[Tuple[str, Span]] = []
    for span in rules:
        cls = policy.rule_class(span)
        if cls == WEAK_RULE and policy.weak_rules == "drop":
            continue
        if cls == WEAK_RULE and policy.weak_rules == "need_model":
            if not any(_overlaps(span, m) for m in models):
                continue
            cls = STRONG_RULE
        candidates.append((cls, span))
    for span in models:
        if not any(_overlaps(span, r) for r in rules):  # a gap the rules left
            if not policy.model_fills_gaps:
                continue
            if policy.gaps_need_candidate and not any(
                    start < span.end and span.start < end for start, end in undecided or ()):
                continue
        candidates.append((MODEL, span))
    order = {cls: i for i, cls in enumerate(CLASS_ORDER[policy.prefer])}

    def priority(item: Tuple[str, Span]) -> Tuple[int, ...]:
        cls, span = item
        length = span.end - span.start
        if policy.prefer == "longest":
            return (-length, order[cls], span.start)
        return (order[cls], -length, span.start)

    taken = set()
    kept: List[Span] = []
    for _, span in sorted(candidates, key=priority):
        tokens = range(span.start, span.end)
        if any(i in taken for i in tokens):
            continue
        taken.update(tokens)
        kept.append(span)
    return sorted(kept, key=lambda s: s.start)


class RuleModelMerge(Pipe):
    """Pipeline component: keep the NER's entities, merge them with the rule spans."""

    def __init__(self, nlp: Language, name: str = "rulelang_merge", *,
                 spans_key: str = "rulelang", model_key: str = "model",
                 prefer: str = "rules", min_rule_precision: float = 0.0,
                 rule_precision: Optional[Dict[str, float]] = None,
                 rule_wins: Sequence[str] = (), weak_rules: str = "fallback",
                 model_fills_gaps: bool = True, gaps_need_candidate: bool = False,
                 scorer: Optional[Callable] = None) -> None:
        register_extensions()
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.model_key = model_key
        self.policy = MergePolicy(prefer=prefer, min_rule_precision=min_rule_precision,
                                  rule_precision=dict(rule_precision or {}),
                                  rule_wins=tuple(rule_wins), weak_rules=weak_rules,
                                  model_fills_gaps=model_fills_gaps,
                                  gaps_need_candidate=gaps_need_candidate)
        self.scorer = scorer
        # Pipe.score passes cfg as keyword arguments to the scorer.
        self.cfg: Dict[str, Any] = {"model_key": model_key}
        self._check_rule_names(nlp)

    def _check_rule_names(self, nlp: Language) -> None:
        """Catch a misspelt rule name now rather than have it silently do nothing."""
        known = set()
        for name, pipe in nlp.pipeline:
            if nlp.get_pipe_config(name).get("spans_key") == self.spans_key:
                known.update(getattr(pipe, "rule_names", None) or [])
        if not known:
            return
        for setting, names in (("rule_wins", self.policy.rule_wins),
                               ("rule_precision", list(self.policy.rule_precision))):
            unknown = sorted(set(names) - known)
            if unknown:
                raise ValueError(Errors.E202.format(names=unknown, setting=setting,
                                                    known=", ".join(sorted(known))))

    def __call__(self, doc: Doc) -> Doc:
        error_handler = self.get_error_handler()
        try:
            model_spans = list(doc.ents)
            doc.spans[self.model_key] = model_spans
            rule_spans = list(doc.spans.get(self.spans_key, []))
            undecided = None
            if self.policy.gaps_need_candidate and any(
                    not any(_overlaps(m, r) for r in rule_spans) for m in model_spans):
                undecided = self._undecided(doc)
            doc.set_ents(merge_spans(rule_spans, model_spans, self.policy, undecided),
                         default="outside")
            return doc
        except Exception as err:  # noqa: BLE001  spaCy's error-handler protocol
            error_handler(self.name, self, [doc], err)
            return doc


    def _undecided(self, doc: Doc) -> List[Tuple[int, int]]:
        """Candidates that no rule accepted or rejected; none without a rulelang component."""
        for name, pipe in self.nlp.pipeline:
            if (self.nlp.get_pipe_config(name).get("spans_key") == self.spans_key
                    and hasattr(pipe, "explain")):
                return [(c.start, c.end) for c in pipe.explain(doc)
                        if c.rule is None and c.rejected_by is None]
        return []


def spans_or_ents(key: str) -> Callable[[Doc, str], Iterable[Span]]:
    """A Scorer getter: `doc.spans[key]` where the doc has it, else `doc.ents`.

    Predicted docs carry the key; gold docs don't, so their entities are the gold.
    """
    def getter(doc: Doc, attr: str) -> Iterable[Span]:
        if key in doc.spans:
            return doc.spans[key]
        return doc.ents

    return getter


def score_merge(examples: Iterable[Example], *, model_key: str = "model",
                **kwargs: Any) -> Dict[str, Any]:
    """Entity P/R/F of the merged `doc.ents` (ents_*) and of the model alone (spans_<key>_*)."""
    examples = list(examples)
    scores = Scorer.score_spans(examples, "ents", **kwargs)
    scores.update(Scorer.score_spans(examples, f"spans_{model_key}",
                                     getter=spans_or_ents(model_key), allow_overlap=True))
    return scores


@registry.scorers("spacy-rulelang.merge_scorer.v1")
def make_merge_scorer() -> Callable[..., Dict[str, Any]]:
    return score_merge


@Language.factory(
    "rulelang_merge",
    assigns=["doc.ents", "doc.spans"],
    default_config={
        "spans_key": "rulelang",
        "model_key": "model",
        "prefer": "rules",
        "min_rule_precision": 0.0,
        "rule_precision": {},
        "rule_wins": [],
        "weak_rules": "fallback",
        "model_fills_gaps": True,
        "gaps_need_candidate": False,
        "scorer": {"@scorers": "spacy-rulelang.merge_scorer.v1"},
    },
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0,
                           "ents_per_type": None, "spans_model_f": 0.0},
)
def make_merge(nlp: Language, name: str, spans_key: str, model_key: str, prefer: str,
               min_rule_precision: float, rule_precision: Dict[str, float],
               rule_wins: List[str], weak_rules: str, model_fills_gaps: bool,
               gaps_need_candidate: bool, scorer: Optional[Callable]) -> RuleModelMerge:
    return RuleModelMerge(nlp, name, spans_key=spans_key, model_key=model_key, prefer=prefer,
                          min_rule_precision=min_rule_precision, rule_precision=rule_precision,
                          rule_wins=rule_wins, weak_rules=weak_rules,
                          model_fills_gaps=model_fills_gaps,
                          gaps_need_candidate=gaps_need_candidate, scorer=scorer)
