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
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Union

from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc
from spacy.training import Example

from spacy_rulelang.io.corpus import as_input_doc, read_gold_docs
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.pipeline import MERGE_FACTORIES
from spacy_rulelang.merge.hand_set import MergeSettings, merge_spans
from spacy_rulelang.merge.learned import LearnedMerge, LearnedMergeSettings
from spacy_rulelang.scoring.domains import macro_result
from spacy_rulelang.scoring.evaluation import split_name

MERGE_FACTORY, LEARNED_FACTORY = MERGE_FACTORIES
HAND_SET, LEARNED = "hand_set", "learned"
RULES_ALONE = "rules only"  # the policy every other one must not lose to
TOLERANCE = 0.005


def score_policies(nlp: Language, path: Union[str, Path], policies: Dict[str, Dict[str, Any]],
                   batch_size: int = 256) -> List[Dict[str, Any]]:
    """One row per policy: name, config, P, R, F1. A policy is a partial config of
    `rulelang_merge` (the hand-set v1 merge); what it leaves out is taken from the pipeline's
    own `rulelang_merge` (its defaults where the pipeline has the learned merge instead).
    A policy with `"merge": "learned"` is a partial config of the pipeline's fitted
    `rulelang_learned_merge` instead (its weights, other settings), e.g. `{"merge":
    "learned", "keep_unseen_rule_spans": true}`."""
    merges = [n for n in nlp.pipe_names if nlp.get_pipe_meta(n).factory in MERGE_FACTORIES]
    if not merges:
        raise ValueError(Errors.E218.format(names=nlp.pipe_names))
    deciders = {name: _decider(nlp, merges, name, dict(config)) for name, config in policies.items()}
    golds = list(read_gold_docs(path, nlp.vocab))
    with nlp.select_pipes(disable=merges):
        preds = list(nlp.pipe((as_input_doc(g, nlp.vocab) for g in golds), batch_size=batch_size))
    rows = []
    for name, decide in deciders.items():
        examples = [Example(decide(pred.copy()), gold) for pred, gold in zip(preds, golds)]
        scores = Scorer.score_spans(examples, "ents")
        rows.append({"policy": name, "config": policies[name], "p": scores["ents_p"] or 0.0,
                     "r": scores["ents_r"] or 0.0, "f": scores["ents_f"] or 0.0})
    return rows


def _decider(nlp: Language, merges: List[str], name: str, config: Dict[str, Any]) -> Callable[[Doc], Doc]:
    """doc (merge steps not run) -> the doc with `doc.ents` as the policy merges them."""
    kind = config.pop("merge", HAND_SET)
    if kind == LEARNED:
        learned = [n for n in merges if nlp.get_pipe_meta(n).factory == LEARNED_FACTORY]
        if not learned:
            raise ValueError(Errors.E218.format(names=nlp.pipe_names))
        fitted = nlp.get_pipe(learned[0])
        allowed = {f.name for f in fields(LearnedMergeSettings)}
        _check_keys(name, config, allowed)
        settings = {**{k: v for k, v in nlp.get_pipe_config(learned[0]).items() if k in allowed}, **config}
        merge = LearnedMerge(nlp, learned[0], features=fitted.features, **settings)
        merge.weights, merge._lexicon = fitted.weights, fitted.lexicon
        return merge
    if kind != HAND_SET:
        raise ValueError(Errors.E391.format(name=name, value=kind))
    allowed = {f.name for f in fields(MergeSettings)}
    _check_keys(name, config, allowed)
    v1 = [n for n in merges if nlp.get_pipe_meta(n).factory == MERGE_FACTORY]
    base = {k: v for k, v in nlp.get_pipe_config(v1[0]).items() if k in allowed} if v1 else {}
    cfg = MergeSettings(**{**base, **config})

    def hand_set(doc: Doc) -> Doc:
        undecided = [(s.start, s.end) for s in doc.spans.get(cfg.undecided_key, [])]
        doc.set_ents(merge_spans(doc.spans.get(cfg.spans_key, []), list(doc.ents), cfg, undecided),
                     default="outside")
        return doc

    return hand_set


def _check_keys(name: str, config: Dict[str, Any], allowed: Set[str]) -> None:
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ValueError(Errors.E221.format(name=name, names=unknown, allowed=", ".join(sorted(allowed))))


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


def choose_policy(rows: Sequence[Dict[str, Any]], baseline: str = RULES_ALONE,
                  tolerance: float = TOLERANCE) -> Dict[str, Any]:
    """The merge structure to ship, by a rule written down before it was first run
    (docs/results.md, "Choosing the merge"):

    1. a policy qualifies when, on every dev domain, its F1 >= the rules' F1 - `tolerance`,
       and its macro F1 >= the rules' macro F1 (the combination may not lose to the rules);
    2. the qualifying policy with the highest macro F1 wins; policies within 0.001 of it
       count as tied, and of those the one listed first wins (list the simpler first).

    The rules alone qualify by definition, so there is always a choice.

    >>> rows = [{"policy": "rules only", "domains": {"a": {"f": 0.8}, "b": {"f": 0.6}}, "macro": {"f": 0.7}},
    ...         {"policy": "m", "domains": {"a": {"f": 0.9}, "b": {"f": 0.597}}, "macro": {"f": 0.7485}},
    ...         {"policy": "n", "domains": {"a": {"f": 0.95}, "b": {"f": 0.59}}, "macro": {"f": 0.77}}]
    >>> choice = choose_policy(rows)
    >>> choice["chosen"], choice["verdicts"]["n"]
    ('m', 'b 0.590 < 0.600 - 0.005')
    """
    by_name = {row["policy"]: row for row in rows}
    if baseline not in by_name:
        raise ValueError(Errors.E392.format(name=baseline, names=", ".join(by_name) or "none"))

    def macro(row: Dict[str, Any]) -> float:
        return row["macro"]["f"] if "macro" in row else next(iter(row["domains"].values()))["f"]

    base = by_name[baseline]
    verdicts: Dict[str, str] = {}
    for row in rows:
        lost = [f"{d} {row['domains'][d]['f']:.3f} < {base['domains'][d]['f']:.3f} - {tolerance}"
                for d in base["domains"] if row["domains"][d]["f"] < base["domains"][d]["f"] - tolerance]
        if macro(row) < macro(base):
            lost.append(f"macro {macro(row):.4f} < {macro(base):.4f}")
        verdicts[row["policy"]] = "; ".join(lost) if lost else "qualifies"
    qualified = [row for row in rows if verdicts[row["policy"]] == "qualifies"]
    best = max(macro(row) for row in qualified)
    chosen = next(row for row in qualified if macro(row) >= best - 0.001)
    return {"chosen": chosen["policy"], "config": chosen.get("config", {}), "macro_f": macro(chosen),
            "baseline": baseline, "tolerance": tolerance, "verdicts": verdicts}


def apply_choice(nlp: Language, config: Dict[str, Any]) -> Language:
    """Set the pipeline's merge step to the chosen policy, in place: a learned policy changes
    the fitted `rulelang_learned_merge`'s settings (weights kept); a hand-set one replaces it
    with `rulelang_merge`. The saved config then says what was shipped."""
    config = dict(config)
    kind = config.pop("merge", HAND_SET)
    merges = [n for n in nlp.pipe_names if nlp.get_pipe_meta(n).factory in MERGE_FACTORIES]
    if len(merges) != 1:
        raise ValueError(Errors.E218.format(names=nlp.pipe_names))
    name = merges[0]
    old = nlp.get_pipe(name)
    current = {k: v for k, v in nlp.get_pipe_config(name).items() if k != "factory"}
    if kind == LEARNED:
        if nlp.get_pipe_meta(name).factory != LEARNED_FACTORY:
            raise ValueError(Errors.E218.format(names=nlp.pipe_names))
        _check_keys(name, config, {f.name for f in fields(LearnedMergeSettings)})
        new = nlp.replace_pipe(name, LEARNED_FACTORY, config={**current, **config})
        new.set_weights(old.weights)
        return nlp
    if kind != HAND_SET:
        raise ValueError(Errors.E391.format(name=name, value=kind))
    allowed = {f.name for f in fields(MergeSettings)}
    _check_keys(name, config, allowed)
    keys = {k: current[k] for k in ("spans_key", "model_key", "undecided_key") if k in current}
    nlp.replace_pipe(name, MERGE_FACTORY, config={**keys, **config})
    if name != MERGE_FACTORY:
        nlp.rename_pipe(name, MERGE_FACTORY)
    return nlp
