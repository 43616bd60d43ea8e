"""The `rulelang_compare` pipeline component: disagreements as a span group.

Why a component: the comparison then runs inside `nlp.pipe` (also with
n_process > 1) and a saved pipeline can carry it. It reads rule spans from
``doc.spans[rules_key]`` (any rule component's; the rule name from `rule_name`), the model's from ``doc.ents`` (or ``doc.spans[model_key]``),
gold (optional) from ``doc.spans[gold_key]``, and writes one span per disagreement
to ``doc.spans[spans_key]`` with label = category. It never touches doc.ents.

>>> import spacy
>>> from spacy.tokens import Doc, Span
>>> nlp = spacy.blank("en")
>>> compare = nlp.add_pipe("rulelang_compare")
>>> doc = Doc(nlp.vocab, words=["I", "like", "Python", "and", "Java"])
>>> doc.spans["rulelang"] = [Span(doc, 2, 3, "PROG_LANG"), Span(doc, 4, 5, "PROG_LANG")]
>>> doc.ents = [Span(doc, 2, 3, "PROG_LANG")]
>>> [(s.text, s.label_) for s in compare(doc).spans["rulelang_disagreements"]]
[('Java', 'rule_only')]
"""
from __future__ import annotations

from typing import List, Optional

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span, SpanGroup

from spacy_rulelang.errors import Errors
from spacy_rulelang.ruler.extensions import register_extensions
from spacy_rulelang.compare.rule_names import DEFAULT_RULE_NAME, rule_name_getter
from spacy_rulelang.compare.core import Disagreement, from_spacy

DETAILS_ATTR = "disagreements"  # SpanGroup.attrs key: one dict per span, same order


@Language.factory(
    "rulelang_compare",
    assigns=["doc.spans"],
    default_config={
        "rules_key": "rulelang",
        "model_key": None,
        "gold_key": "rulelang_gold",
        "spans_key": "rulelang_disagreements",
        "labels": None,
        "rule_name": DEFAULT_RULE_NAME,
    },
)
def make_compare(nlp: Language, name: str, rules_key: str, model_key: Optional[str],
                 gold_key: Optional[str], spans_key: str,
                 labels: Optional[List[str]], rule_name: str) -> "RulelangCompare":
    """model_key=None reads doc.ents; gold is used only where doc.spans has gold_key;
    labels=None compares every label; rule_name: "rulelang_rule" (a Span extension),
    "id" (span.id_, e.g. SpanRuler pattern ids) or "label"."""
    return RulelangCompare(nlp, name, rules_key=rules_key, model_key=model_key,
                           gold_key=gold_key, spans_key=spans_key, labels=labels,
                           rule_name=rule_name)


class RulelangCompare(Pipe):
    def __init__(self, nlp: Language, name: str = "rulelang_compare", *,
                 rules_key: str = "rulelang", model_key: Optional[str] = None,
                 gold_key: Optional[str] = "rulelang_gold",
                 spans_key: str = "rulelang_disagreements",
                 labels: Optional[List[str]] = None, rule_name: str = DEFAULT_RULE_NAME) -> None:
        register_extensions()
        self.rule_of = rule_name_getter(rule_name)
        self.name = name
        self.rules_key = rules_key
        self.model_key = model_key
        self.gold_key = gold_key
        self.spans_key = spans_key
        self.compared_labels = None if labels is None else list(labels)

    def __call__(self, doc: Doc) -> Doc:
        rules = self._group(doc, self.rules_key, "rules_key")
        if self.model_key is None:
            model, scores = list(doc.ents), None
        else:
            group = self._group(doc, self.model_key, "model_key")
            model, scores = list(group), model_scores(group)
        gold = None
        if self.gold_key is not None and self.gold_key in doc.spans:
            gold = list(doc.spans[self.gold_key])
        found = from_spacy(rules, model, gold, labels=self.compared_labels, model_scores=scores,
                           rule_of=self.rule_of)
        write_disagreements(doc, self.spans_key, found)
        return doc

    @staticmethod
    def _group(doc: Doc, key: str, setting: str) -> SpanGroup:
        if key not in doc.spans:
            raise ValueError(Errors.E105.format(key=key, setting=setting,
                                                keys=sorted(doc.spans.keys())))
        return doc.spans[key]


def model_scores(group: SpanGroup) -> Optional[List[Optional[float]]]:
    """Per-span scores when the producer stored them (spancat: attrs["scores"])."""
    scores = group.attrs.get("scores")
    if scores is None or len(scores) != len(group):
        return None
    return [float(s) for s in scores]


def write_disagreements(doc: Doc, key: str, found: List[Disagreement]) -> None:
    spans = [Span(doc, d.start, d.end, label=d.category) for d in found]
    doc.spans[key] = SpanGroup(doc, name=key, spans=spans,
                               attrs={DETAILS_ATTR: [d.to_dict() for d in found]})


def read_disagreements(doc: Doc, key: str = "rulelang_disagreements") -> List[Disagreement]:
    """The typed disagreements the component stored (empty if the key is absent)."""
    if key not in doc.spans:
        return []
    return [Disagreement.from_dict(d) for d in doc.spans[key].attrs.get(DETAILS_ATTR, [])]
