"""Score several merge policies on one gold file, from one pass of the pipeline.

Why: the merge policy is tuned on dev; the README's table of the policies tried
must come from a command. The pipeline runs once with its merge step off (rule
spans, undecided candidates and the NER's own entities stay on each doc), then
each policy is applied with the pure `merge_spans` and scored with spaCy's Scorer.

    nlp = spacy.load("training/assembled")
    rows = score_policies(nlp, "corpus/dev.spacy", {"rules only": {"model_fills_gaps": False}})
"""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Dict, List, Union

from spacy.language import Language
from spacy.scorer import Scorer
from spacy.training import Example

from spacy_rulelang.io.corpus import as_input_doc, read_gold_docs
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.pipeline import MERGE_FACTORIES
from spacy_rulelang.merge.hand_set import MergeSettings, merge_spans

MERGE_FACTORY = MERGE_FACTORIES[0]


def score_policies(nlp: Language, path: Union[str, Path], policies: Dict[str, Dict[str, Any]],
                   batch_size: int = 256) -> List[Dict[str, Any]]:
    """One row per policy: name, config, P, R, F1. A policy is a partial config of
    `rulelang_merge`; what it leaves out is taken from the pipeline's own `rulelang_merge`
    (its defaults where the pipeline has the learned merge instead)."""
    merges = [n for n in nlp.pipe_names if nlp.get_pipe_meta(n).factory in MERGE_FACTORIES]
    if not merges:
        raise ValueError(Errors.E218.format(names=nlp.pipe_names))
    v1 = [n for n in merges if nlp.get_pipe_meta(n).factory == MERGE_FACTORY]
    allowed_keys = {f.name for f in fields(MergeSettings)}
    base = {k: v for k, v in nlp.get_pipe_config(v1[0]).items() if k in allowed_keys} if v1 else {}
    allowed = allowed_keys
    for name, config in policies.items():
        unknown = sorted(set(config) - allowed)
        if unknown:
            raise ValueError(Errors.E221.format(name=name, names=unknown, allowed=", ".join(sorted(allowed))))
    settings = {name: MergeSettings(**{**base, **config}) for name, config in policies.items()}
    golds = list(read_gold_docs(path, nlp.vocab))
    with nlp.select_pipes(disable=merges):
        preds = list(nlp.pipe((as_input_doc(g, nlp.vocab) for g in golds), batch_size=batch_size))
    rows = []
    for name, cfg in settings.items():
        examples = []
        for pred, gold in zip(preds, golds):
            doc = pred.copy()
            undecided = [(s.start, s.end) for s in doc.spans.get(cfg.undecided_key, [])]
            doc.set_ents(merge_spans(doc.spans.get(cfg.spans_key, []), list(pred.ents), cfg, undecided),
                         default="outside")
            examples.append(Example(doc, gold))
        scores = Scorer.score_spans(examples, "ents")
        rows.append({"policy": name, "config": policies[name], "p": scores["ents_p"] or 0.0,
                     "r": scores["ents_r"] or 0.0, "f": scores["ents_f"] or 0.0})
    return rows
