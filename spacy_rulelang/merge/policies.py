"""Score several merge policies on one gold file, from one pass of the pipeline.

Why: the merge policy is tuned on dev; the README's table of the policies tried
must come from a command. The pipeline runs once with its merge step off (rule
spans, undecided candidates and the NER's own entities stay on each doc), then
each policy is applied with the pure `merge_spans` and scored with spaCy's Scorer.

    nlp = spacy.load("training/assembled")
    rows = score_policies(nlp, "corpus/dev.spacy", {"rules only": {"model_fills_gaps": False}})

`score_policies_per_domain` does it on each dev domain (SO dev and the out-of-domain sets)
and adds the macro average, so a policy is chosen on more than StackOverflow.
"""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Dict, List, Sequence, Union

from spacy.language import Language
from spacy.scorer import Scorer
from spacy.training import Example

from spacy_rulelang.io.corpus import as_input_doc, read_gold_docs
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.pipeline import MERGE_FACTORIES
from spacy_rulelang.merge.hand_set import MergeSettings, merge_spans
from spacy_rulelang.scoring.domains import macro_result
from spacy_rulelang.scoring.evaluation import split_name

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


def score_policies_per_domain(nlp: Language, data: Sequence[Union[str, Path]],
                              policies: Dict[str, Dict[str, Any]]) -> List[Dict[str, Any]]:
    """`score_policies` on each file: one row per policy with its P/R/F1 per domain
    ("domains") and their macro average over the dev domains ("macro", two or more)."""
    if not data:
        raise ValueError(Errors.E322)
    per_domain: Dict[str, List[Dict[str, Any]]] = {}
    paths: Dict[str, Union[str, Path]] = {}
    for path in data:
        name = split_name(path, list(per_domain))
        per_domain[name], paths[name] = score_policies(nlp, path, policies), path
    first = next(iter(per_domain.values()))
    rows = []
    for i, row in enumerate(first):
        domains = {name: {"data": str(paths[name]), **{k: rs[i][k] for k in ("p", "r", "f")}}
                   for name, rs in per_domain.items()}
        out = {**row, "domains": domains}
        macro = macro_result({name: {"systems": {"merge": d}} for name, d in domains.items()})
        if macro is not None:
            out["macro"] = {"splits": macro["splits"], **macro["systems"]["merge"]}
        rows.append(out)
    return rows
