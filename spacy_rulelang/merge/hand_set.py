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
  catalogue has a candidate there that no rule accepted or rejected (read from the
  span group that `rulelang` writes, `doc.spans["rulelang_undecided"]`). A model
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

from spacy_rulelang.errors import Errors
from spacy_rulelang.ruler.settings import default_config, with_settings_signature
from spacy_rulelang.io.spans import spans_or_ents, covered, token_mask
from spacy_rulelang.ruler.extensions import register_extensions

# every merge step that writes the combined doc.ents: this hand-set one (v1) and the learned one
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
    n_tokens = max([s.end for s in rules + models] + [end for _, end in undecided or ()], default=0)
    by_model, by_rules = token_mask(n_tokens, models), token_mask(n_tokens, rules)
    undecided_mask = token_mask(n_tokens, undecided or ())
    candidates: List[Tuple[str, Span]] = []
    for span in rules:
        cls = policy.rule_class(span)
        if cls == WEAK_RULE and policy.weak_rules == "drop":
            continue
        if cls == WEAK_RULE and policy.weak_rules == "need_model":
            if not covered(by_model, span):
                continue
            cls = STRONG_RULE
        candidates.append((cls, span))
    for span in models:
        if not covered(by_rules, span):  # a gap the rules left
            if not policy.model_fills_gaps:
                continue
            if policy.gaps_need_candidate and not covered(undecided_mask, span):
                continue
        candidates.append((MODEL, span))
    order = {cls: i for i, cls in enumerate(CLASS_ORDER[policy.prefer])}

    def priority(item: Tuple[str, Span]) -> Tuple[int, ...]:
        cls, span = item
        length = span.end - span.start
        if policy.prefer == "longest":
            return (-length, order[cls], span.start)
        return (order[cls], -length, span.start)

    taken = bytearray(n_tokens)
    kept: List[Span] = []
    for _, span in sorted(candidates, key=priority):
        if covered(taken, span):
            continue
        taken[span.start:span.end] = b"\x01" * (span.end - span.start)
        kept.append(span)
    return sorted(kept, key=lambda s: s.start)


@dataclass
class MergeSettings(MergePolicy):
    """Every setting of `rulelang_merge`, declared once: where to read and write, and the policy."""

    spans_key: str = "rulelang"
    model_key: str = "model"
    undecided_key: str = "rulelang_undecided"  # written by rulelang: candidates no rule decided


class RuleModelMerge(Pipe):
    """Pipeline component: keep the NER's entities, merge them with the rule spans."""

    def __init__(self, nlp: Language, name: str = "rulelang_merge", *,
                 scorer: Optional[Callable] = None, **settings: Any) -> None:
        """`settings`: the fields of `MergeSettings`."""
        register_extensions()
        self.nlp = nlp
        self.name = name
        self.policy = self.settings = MergeSettings(**settings)
        self.scorer = scorer
        # Pipe.score passes cfg as keyword arguments to the scorer.
        self.cfg: Dict[str, Any] = {"model_key": self.settings.model_key}
        self._check_rule_names()

    def _check_rule_names(self) -> None:
        """Catch a misspelt rule name now rather than have it silently do nothing: where the
        rule spans come from a `rulelang` component, its rule names are the known ones
        (another rule source, e.g. a SpanRuler with pattern ids, is not checked)."""
        known = set()
        for name in self.nlp.pipe_names:
            config = self.nlp.get_pipe_config(name)
            if config.get("factory") == "rulelang" and config.get("spans_key") == self.settings.spans_key:
                known.update(self.nlp.get_pipe(name).rule_names)
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
            cfg = self.settings
            model_spans = list(doc.ents)
            doc.spans[cfg.model_key] = model_spans
            rule_spans = list(doc.spans.get(cfg.spans_key, []))
            undecided = [(s.start, s.end) for s in doc.spans.get(cfg.undecided_key, [])]
            doc.set_ents(merge_spans(rule_spans, model_spans, self.policy, undecided),
                         default="outside")
            return doc
        except Exception as err:  # noqa: BLE001  spaCy's error-handler protocol
            error_handler(self.name, self, [doc], err)
            return doc


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
    default_config=default_config(MergeSettings, scorer={"@scorers": "spacy-rulelang.merge_scorer.v1"}),
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0,
                           "ents_per_type": None, "spans_model_f": 0.0},
)
@with_settings_signature(MergeSettings, scorer=Optional[Callable])
def make_merge(nlp: Language, name: str, **settings: Any) -> RuleModelMerge:
    return RuleModelMerge(nlp, name, **settings)
