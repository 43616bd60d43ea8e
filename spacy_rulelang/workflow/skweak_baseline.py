"""The weak-supervision baseline of the loop: skweak's HMM over the same rules.

Why: the loop asks whether a person's review beats what a weak-supervision toolkit
makes of the same knowledge without one. Each accepting rule of `rulelang` is a
labelling function (its spans), and a case-insensitive gazetteer of every catalogue
alias is one more; skweak's HMM (PyPI `skweak` 0.3.3) aggregates them into one
label per token, and its spans become the training entities.

    docs = skweak_label_docs(nlp, read_gold_docs("corpus/train.spacy", nlp.vocab))
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, List, Union

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from spacy_rulelang.scoring.rule_benchmark import gazetteer_ruler
from spacy_rulelang.io.corpus import as_input_doc, write_docbin
from spacy_rulelang.errors import Errors

GAZETTEER = "gazetteer"
AGGREGATE = "hmm"


def labelling_functions(nlp: Language, doc: Doc, gazetteer: Language) -> Doc:
    """A fresh doc with one span group per source: each rule that accepted a candidate,
    and the gazetteer (every alias, any casing)."""
    ruler = nlp.get_pipe("rulelang")
    tagged = nlp(as_input_doc(doc, nlp.vocab))
    out = as_input_doc(doc, nlp.vocab)
    by_rule = {}
    for decided in ruler.explain(tagged):
        if decided.rule is not None:
            by_rule.setdefault(decided.rule, []).append(Span(out, decided.start, decided.end, ruler.label))
    for rule, spans in by_rule.items():
        out.spans[rule] = filter_spans(spans)
    out.spans[GAZETTEER] = [Span(out, e.start, e.end, e.label_) for e in gazetteer(as_input_doc(doc, nlp.vocab)).ents]
    return out


def skweak_label_docs(nlp: Language, docs: Iterable[Doc]) -> Iterator[Doc]:
    """Docs whose entities are the HMM's aggregate of the rules and the gazetteer."""
    try:
        from skweak.generative import HMM
    except ImportError:
        raise ImportError(Errors.E220.format()) from None
    gazetteer = gazetteer_ruler(nlp)
    label = nlp.get_pipe("rulelang").label
    with nlp.select_pipes(disable=["rulelang"]):  # tag only: explain() runs the rules once
        annotated: List[Doc] = [labelling_functions(nlp, doc, gazetteer) for doc in docs]
    hmm = HMM(AGGREGATE, [label])
    for doc in hmm.fit_and_aggregate(annotated):
        out = as_input_doc(doc, nlp.vocab)
        out.ents = filter_spans([Span(out, s.start, s.end, s.label_) for s in doc.spans.get(AGGREGATE, [])])
        yield out


def write_skweak_labels(nlp: Language, docs: Iterable[Doc], path: Union[str, Path]) -> int:
    return write_docbin(skweak_label_docs(nlp, docs), path)
