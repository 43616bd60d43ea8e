"""Fit the learned merge on gold: rows of candidate features, a logistic regression,
a threshold chosen by cross-validation, and each rule's precision measured on train (so
the precision feature is not read off the rows it is fitted on).

    nlp = spacy.load("training/assembled")
    weights, report = fit_merge(nlp, "corpus/dev.spacy", rule_precision_from="corpus/train.spacy",
                                held_out=[("training/folds/0/assembled", "corpus/folds/0/heldout.spacy")])

`held_out` adds out-of-fold rows: a pipeline whose model was trained without that part of
train, run on it (`project folds`, the project's `train-folds`). There the model misses
mentions as it does on new text, which dev, where it confirms nearly every rule span,
does not show (workflow/folds.py says more).

Deterministic: lbfgs on the same rows gives the same weights, and the folds are
fixed (contiguous blocks of docs), so a rerun writes the same weights.json.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from spacy.language import Language
from tqdm import tqdm

from spacy_rulelang.io.corpus import as_input_doc, read_gold_docs
from spacy_rulelang.errors import Errors
from spacy_rulelang.scoring.evaluation import system_components
from spacy_rulelang.merge.learned import WEIGHTS_VERSION, LearnedMerge, probability
from spacy_rulelang.scoring.rule_scores import RuleCounts

LEARNED_FACTORY = "rulelang_learned_merge"
RULE_FACTORY = "rulelang"
N_FOLDS = 5
C = 1.0  # inverse L2 strength of the logistic regression


def _sklearn() -> Any:
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise ImportError(Errors.E228) from None
    return LogisticRegression


def learned_merge_of(nlp: Language) -> LearnedMerge:
    for name in nlp.component_names:
        if nlp.get_pipe_meta(name).factory == LEARNED_FACTORY:
            return nlp.get_pipe(name)
    raise ValueError(Errors.E230.format(names=nlp.pipe_names))


def rule_precision_on(nlp: Language, path: Union[str, Path], batch_size: int = 256) -> Dict[str, float]:
    """Each rule's precision on a gold file, Laplace-smoothed: (tp + 1) / (tp + fp + 2)."""
    # the components the rules need: what evaluate counts as the rules system (no model, no merge)
    rule_parts = system_components(nlp).get("rules", [])
    keys = [nlp.get_pipe_config(n).get("spans_key", "rulelang") for n in rule_parts
            if nlp.get_pipe_meta(n).factory == RULE_FACTORY]
    if not keys:
        raise ValueError(Errors.E226.format(names=nlp.pipe_names))
    key = keys[0]
    golds = list(read_gold_docs(path, nlp.vocab))
    counts = RuleCounts()
    with nlp.select_pipes(enable=rule_parts):
        docs = nlp.pipe((as_input_doc(g, nlp.vocab) for g in golds), batch_size=batch_size)
        for doc, gold in zip(tqdm(docs, total=len(golds), desc="rule precision", disable=None), golds):
            counts.add([((s.start, s.end, s.label_), s._.rulelang_rule) for s in doc.spans[key]],
                       [(e.start, e.end, e.label_) for e in gold.ents])
    return {rule: round((tp + 1) / (tp + fp + 2), 6) for rule, (tp, fp) in sorted(counts.tp_fp().items())}


def candidate_rows(nlp: Language, merge: LearnedMerge, path: Union[str, Path],
                   batch_size: int = 256) -> Tuple[List[Dict[str, float]], List[int], List[int], int]:
    """(features, label 0/1, doc index, gold entities without any candidate) on a gold file."""
    golds = list(read_gold_docs(path, nlp.vocab))
    feats: List[Dict[str, float]] = []
    labels: List[int] = []
    groups: List[int] = []
    unreachable = 0
    with nlp.select_pipes(disable=[merge.name]):
        docs = nlp.pipe((as_input_doc(g, nlp.vocab) for g in golds), batch_size=batch_size)
        for i, (doc, gold) in enumerate(zip(tqdm(docs, total=len(golds), desc="merge rows", disable=None), golds)):
            gold_keys = {(e.start, e.end, e.label_) for e in gold.ents}
            candidates, rows = merge.featurize(doc)
            keys = {(c.start, c.end, c.label) for c in candidates}  # vetoed ones counted below
            unreachable += len(gold_keys - keys)
            for cand, row in zip(candidates, rows):
                if merge.vetoed(cand):  # never kept: not the regression's to decide
                    unreachable += int((cand.start, cand.end, cand.label) in gold_keys)
                    continue
                feats.append(row)
                labels.append(int((cand.start, cand.end, cand.label) in gold_keys))
                groups.append(i)
    return feats, labels, groups, unreachable


def _matrix(rows: Sequence[Dict[str, float]], names: Sequence[str]) -> Any:
    import numpy

    index = {name: j for j, name in enumerate(names)}
    X = numpy.zeros((len(rows), len(names)))
    for i, row in enumerate(rows):
        for name, value in row.items():
            if name in index:
                X[i, index[name]] = value
    return X


def _fit(rows: Sequence[Dict[str, float]], labels: Sequence[int], names: Sequence[str]) -> Dict[str, Any]:
    model = _sklearn()(C=C, max_iter=5000, solver="lbfgs")
    model.fit(_matrix(rows, names), labels)
    return {"coef": {n: round(float(w), 8) for n, w in zip(names, model.coef_[0])},
            "intercept": round(float(model.intercept_[0]), 8)}


def f1_at(probs: Sequence[float], labels: Sequence[int], unreachable: int, threshold: float) -> Dict[str, float]:
    """Candidate-level P/R/F1 of keeping p >= threshold (gold without a candidate counts as missed)."""
    n_gold = sum(labels) + unreachable
    tp = sum(1 for p, y in zip(probs, labels) if p >= threshold and y)
    fp = sum(1 for p, y in zip(probs, labels) if p >= threshold and not y)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / n_gold if n_gold else 0.0
    f = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"p": round(prec, 4), "r": round(rec, 4), "f": round(f, 4)}


def best_threshold(probs: Sequence[float], labels: Sequence[int], unreachable: int) -> Tuple[float, Dict[str, float]]:
    """Half the best cross-validated F1: for calibrated probabilities the F1-optimal threshold is
    F1*/2 (Lipton, Elkan and Naryanaswamy 2014). Taking the argmax of the F1 curve instead
    picks a point on a plateau that a few dev candidates decide (0.33 or 0.66 for the same
    F1 here), and a high one drops the rules' contextual finds that the model does not see."""
    best_f = max(f1_at(probs, labels, unreachable, step / 100)["f"] for step in range(1, 100))
    threshold = round(best_f / 2, 2)
    return threshold, {**f1_at(probs, labels, unreachable, threshold), "best_f": best_f}


def _rows_with_precision(nlp: Language, path: Union[str, Path], precision: Dict[str, float]
                         ) -> Tuple[List[Dict[str, float]], List[int], List[int], int]:
    """candidate_rows with the rule precision table in place; the merge's own weights come
    back afterwards, so a failed fit never leaves a half-trained merge behind."""
    merge = learned_merge_of(nlp)
    before = merge.weights
    # featurize reads the rule precision table from the weights
    merge.weights = {"version": WEIGHTS_VERSION, "coef": {}, "intercept": 0.0, "threshold": 0.5,
                     "rule_precision": precision}
    try:
        rows, labels, groups, unreachable = candidate_rows(nlp, merge, path)
    finally:
        merge.weights = before
    return rows, labels, groups, unreachable


def seen_names(path: Union[str, Path], nlp: Language) -> List[str]:
    """The lowercased texts of every gold entity in `path`: the names a model trained on it saw."""
    return sorted({ent.text.lower() for doc in read_gold_docs(path, nlp.vocab) for ent in doc.ents})


HeldOut = Tuple[Union[str, Path, Language], Union[str, Path]]


def fit_merge(nlp: Language, path: Union[str, Path], *,
              rule_precision_from: Optional[Union[str, Path]] = None,
              held_out: Sequence[HeldOut] = (),
              baseline: Optional[Dict[str, Any]] = None,
              model_trained_on: Optional[Union[str, Path]] = None) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Fit the pipeline's learned merge on the gold file `path` (dev), plus the out-of-fold
    rows of each (fold pipeline, held-out gold) in `held_out`; returns (weights, report) and
    sets the weights on the component. Fold pipelines given as paths are loaded one at a time.
    `baseline`: other fitted weights (say, a merge fitted on dev alone), scored on each
    source's rows at their own threshold, beside the new fit's cross-validated figures.
    `model_trained_on`: the model's training data; the names labelled there are saved as
    `seen_names`, which `keep_unseen_rule_spans` reads."""
    import spacy

    merge = learned_merge_of(nlp)
    precision = rule_precision_on(nlp, rule_precision_from) if rule_precision_from else {}
    rows: List[Dict[str, float]] = []
    labels: List[int] = []
    groups: List[int] = []
    source_of: List[int] = []
    sources: List[Dict[str, Any]] = []
    for source_nlp, source_path in [(nlp, path), *held_out]:
        loaded = source_nlp if isinstance(source_nlp, Language) else spacy.load(source_nlp)
        more_rows, more_labels, more_groups, missed = _rows_with_precision(loaded, source_path, precision)
        offset = groups[-1] + 1 if groups else 0  # this source's docs come after the earlier ones'
        source_of += [len(sources)] * len(more_rows)
        rows += more_rows
        labels += more_labels
        groups += [g + offset for g in more_groups]
        sources.append({"data": str(source_path),
                        "pipeline": "" if isinstance(source_nlp, Language) else str(source_nlp),
                        "candidates": len(more_rows), "positives": sum(more_labels),
                        "gold_without_candidate": missed})
    unreachable = sum(s["gold_without_candidate"] for s in sources)
    if not rows or len(set(labels)) < 2:  # pooled: one fold may well have no right candidate
        raise ValueError(Errors.E227.format(path=", ".join(s["data"] for s in sources), n=len(rows),
                                            kind="right" if labels and labels[0] else "wrong"))
    names = sorted({name for row in rows for name in row})
    n_docs = groups[-1] + 1
    oof = [0.0] * len(rows)
    for fold in range(N_FOLDS):
        lo, hi = fold * n_docs // N_FOLDS, (fold + 1) * n_docs // N_FOLDS
        train = [i for i, g in enumerate(groups) if not lo <= g < hi]
        held = [i for i, g in enumerate(groups) if lo <= g < hi]
        if not held or len({labels[i] for i in train}) < 2:
            continue
        fitted = _fit([rows[i] for i in train], [labels[i] for i in train], names)
        for i in held:
            oof[i] = probability(fitted, rows[i])
    threshold, cv = best_threshold(oof, labels, unreachable)
    for i, source in enumerate(sources):  # the pooled fit's cross-validated figures, per source
        mine = [j for j, s in enumerate(source_of) if s == i]
        source["cross_validated"] = f1_at([oof[j] for j in mine], [labels[j] for j in mine],
                                          source["gold_without_candidate"], threshold)
        if baseline is not None:
            source["baseline"] = f1_at([probability(baseline, rows[j]) for j in mine],
                                       [labels[j] for j in mine], source["gold_without_candidate"],
                                       baseline["threshold"])
    report = {"data": str(path), "rule_precision_from": str(rule_precision_from or ""),
              "threshold": threshold, "cross_validated": cv, "folds": N_FOLDS,
              "candidates": len(rows), "positives": sum(labels), "gold_without_candidate": unreachable,
              "sources": sources}
    weights = {"version": WEIGHTS_VERSION, **_fit(rows, labels, names), "threshold": threshold,
               "rule_precision": precision, "trained_on": report}
    if model_trained_on is not None:
        weights["seen_names"] = seen_names(model_trained_on, nlp)
    merge.set_weights(weights)
    return weights, report

