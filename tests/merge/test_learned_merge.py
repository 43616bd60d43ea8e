"""rulelang_learned_merge: features, candidates, decisions, explanations, weights on disk,
and fit_merge / train-merge / explain-merge on a tiny trained NER + spancat."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import spacy
import srsly
from spacy.tokens import Doc, Span
from spacy.util import registry
from typer.testing import CliRunner

from spacy_rulelang.cli import app
from spacy_rulelang.io.corpus import read_gold_docs, write_docbin
from spacy_rulelang.ruler.extensions import register_extensions
from spacy_rulelang.merge.learned import (LearnedMerge, LearnedMergeSettings, Lexicon, MergeCandidate,
                                          check_weights, choose, collect_candidates, merge_features_v1,
                                          probability)
from spacy_rulelang.merge.fit import best_threshold, fit_merge, rule_precision_on

from support import TRAIN, make_doc, merge_weights as weights, trained_model_dir

LABEL = "PROG_LANG"
# A doc as the pipeline leaves it before the merge, built by hand.
WORDS = "The PCR ran at 72 ° C , code written in C .".split()
#        0   1   2   3  4  5 6 7  8      9     10 11 12
OBJ_C = "I port Objective C code to Go .".split()
#        0  1      2       3  4   5  6 7


def approx_weights(w: Dict) -> Dict:
    """The same weights, their numbers compared with pytest.approx."""
    return {k: (pytest.approx(v, rel=1e-12, abs=1e-15) if isinstance(v, (int, float)) and not isinstance(v, bool)
                else {n: pytest.approx(x, rel=1e-12, abs=1e-15) for n, x in v.items()} if k in ("coef", "rule_precision")
                else v)
            for k, v in w.items()}


def celsius_doc(vocab) -> Doc:
    """'72 ° C' undecided and barely likely to the model; 'written in C' a cue rule the model agrees with."""
    return make_doc(vocab, WORDS, rules=[(11, 12, "cue_before", 0.8)], undecided=[(6, 7)],
                    ents=[(11, 12, 0.9)], candidates=[(6, 7, 0.02), (11, 12, 0.9)])


def offsets(spans) -> List[Tuple[int, int]]:
    return [(s.start, s.end) for s in spans]


def merge_on(nlp, **settings) -> LearnedMerge:
    return LearnedMerge(nlp, "rulelang_learned_merge", **settings)


# -- features and candidates ----------------------------------------------------

def test_features_function_is_registered():
    assert registry.misc.get("spacy-rulelang.merge_features.v1")() is merge_features_v1


def test_features_tell_72_degrees_c_from_written_in_c(rules_nlp):
    doc = celsius_doc(rules_nlp.vocab)
    lexicon = Lexicon.from_pipeline(rules_nlp, "rulelang")
    by_span = {(c.start, c.end): c for c in collect_candidates(doc, LearnedMergeSettings())}
    celsius = merge_features_v1(doc, by_span[(6, 7)], lexicon, {})
    cue = merge_features_v1(doc, by_span[(11, 12)], lexicon, {})
    assert celsius["rule=none"] == 1.0 and celsius["undecided"] == 1.0
    assert celsius["rule_precision"] == 0.0
    assert not any(name.startswith(("before=", "after=")) for name in celsius)
    assert celsius["single_letter"] == 1.0 and celsius["casing=upper"] == 1.0
    assert celsius["model_prob"] == pytest.approx(0.02)
    assert celsius["single_letter*model_prob"] == pytest.approx(0.02)
    assert celsius["position"] == pytest.approx(6 / 12)
    assert celsius["in_catalogue"] == 1.0  # "C" is a catalogue alias
    assert cue["rule=cue_before"] == 1.0 and cue["undecided"] == 0.0
    assert cue["rule_precision"] == pytest.approx(0.8)  # the span's own score, no measured precision
    assert cue["model_agrees"] == 1.0 and cue["model_prob"] == pytest.approx(0.9)
    assert cue["sentence_start"] == 0.0
    measured = merge_features_v1(doc, by_span[(11, 12)], lexicon, {"cue_before": 0.25})
    assert measured["rule_precision"] == pytest.approx(0.25)  # measured precision wins
    assert all(0.0 <= v <= 1.0 for v in list(celsius.values()) + list(cue.values()))


def test_features_sentence_start_and_edges(rules_nlp):
    doc = make_doc(rules_nlp.vocab, ["Python", "rocks", ".", "Go", "too"],
                   rules=[(0, 1, "unambiguous_alias", None), (3, 4, "x", None)])
    lexicon = Lexicon.from_pipeline(rules_nlp, "rulelang")
    first, second = collect_candidates(doc, LearnedMergeSettings())
    f1 = merge_features_v1(doc, first, lexicon, {})
    f2 = merge_features_v1(doc, second, lexicon, {})
    assert f1["sentence_start"] == 1.0 and f1["position"] == 0.0
    assert f1["casing=title"] == 1.0 and f1["single_letter"] == 0.0
    assert f2["sentence_start"] == 1.0
    assert f2["position"] == pytest.approx(3 / 4)


def test_collect_candidates_unions_the_sources_once(rules_nlp):
    doc = make_doc(rules_nlp.vocab, OBJ_C, rules=[(3, 4, "cue_after", 0.7), (6, 7, "unambiguous_alias", None)],
                   undecided=[(6, 7)], ents=[(2, 4, 0.9)], candidates=[(2, 4, 0.5), (3, 4, 0.3), (6, 7, 0.8)])
    cands = collect_candidates(doc, LearnedMergeSettings())
    assert [(c.start, c.end) for c in cands] == [(2, 4), (3, 4), (6, 7)]
    objc, c, go = cands
    assert objc.model_agrees and not objc.model_overlaps and objc.rule is None
    assert objc.model_prob == pytest.approx(0.9)  # the model key's score over the candidates'
    assert c.model_overlaps and not c.model_agrees and c.rule == "cue_after" and c.rule_score == 0.7
    assert c.span_id == "rule3" and c.model_prob == pytest.approx(0.3)
    assert go.rule == "unambiguous_alias" and go.undecided and not go.model_agrees
    assert go.model_prob == pytest.approx(0.8)


@pytest.mark.parametrize("veto,kept", [(True, []), (False, [(6, 7)])])
def test_a_rule_rejection_vetoes_the_model(rules_nlp, veto, kept):
    """'72 ° C': a rule rejected C, the model is sure of it; the rejection stands (rejections_veto)."""
    doc = make_doc(rules_nlp.vocab, WORDS, ents=[(6, 7, 0.99)], candidates=[(6, 7, 0.99)])
    rejected = Span(doc, 6, 7, label=LABEL, span_id="c")
    rejected._.rulelang_rule = "degree_unit"
    doc.spans["rulelang_rejected"] = [rejected]
    (cand,) = collect_candidates(doc, LearnedMergeSettings())
    assert cand.rejected_by == "degree_unit"
    merge = merge_on(rules_nlp, rejections_veto=veto)
    merge.set_weights(weights({"model_prob": 5.0}, threshold=0.5))
    assert offsets(merge(doc).ents) == kept
    (row,) = merge.explain(doc)
    assert row["vetoed_by"] == ("degree_unit" if veto else None) and row["p"] > 0.9


def test_lexicon_needs_a_rulelang_component():
    nlp = spacy.blank("en")
    merge = merge_on(nlp)
    merge.set_weights(weights({}))
    doc = make_doc(nlp.vocab, ["in", "C"], candidates=[(1, 2, 0.5)])
    with pytest.raises(ValueError, match=r"\[E226\]"):
        merge(doc)


# -- probability and choice -------------------------------------------------------

def test_probability_is_the_logistic_of_the_weighted_sum():
    w = weights({"a": 2.0, "b": -1.0}, intercept=0.5)
    assert probability(w, {"a": 1.0, "b": 0.5, "unknown": 9.0}) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert probability(weights({"a": -1e6}), {"a": 1.0}) == 0.0  # no overflow
    assert probability(weights({"a": 1e6}), {"a": 1.0}) == 1.0


def test_choose_keeps_the_most_probable_of_overlapping_candidates():
    cands = [MergeCandidate(2, 4, LABEL), MergeCandidate(3, 4, LABEL), MergeCandidate(6, 7, LABEL),
             MergeCandidate(8, 9, LABEL)]
    assert choose(cands, [0.9, 0.95, 0.6, 0.4], 0.5) == [1, 2]
    assert choose(cands, [0.95, 0.9, 0.6, 0.4], 0.5) == [0, 2]
    assert choose(cands, [0.95, 0.9, 0.6, 0.4], 0.3) == [0, 2, 3]
    assert choose(cands, [0.7, 0.7, 0.6, 0.4], 0.5) == [0, 2]  # a tie: the longer span
    assert choose(cands, [0.1, 0.2, 0.3, 0.4], 0.5) == []
    assert choose(cands, [0.5, 0.2, 0.3, 0.4], 0.5) == [0]  # p == threshold is kept


# -- the component ---------------------------------------------------------------

def test_no_weights_is_E224(rules_nlp):
    merge = merge_on(rules_nlp)
    with pytest.raises(ValueError, match=r"\[E224\]"):
        merge(celsius_doc(rules_nlp.vocab))
    with pytest.raises(ValueError, match=r"\[E224\]"):
        merge.explain(celsius_doc(rules_nlp.vocab))
    with pytest.raises(ValueError, match=r"\[E224\]"):
        merge.threshold


def test_weight_vetoes_a_single_letter_the_model_doubts(rules_nlp):
    merge = merge_on(rules_nlp)
    merge.set_weights(weights({"single_letter": -3.0, "single_letter*model_prob": 6.0, "rule=cue_before": 1.0}))
    doc = merge(celsius_doc(rules_nlp.vocab))
    assert offsets(doc.ents) == [(11, 12)]
    assert doc.ents[0].id_ == "rule11"  # the rule span's id goes with it
    merged = doc.spans["rulelang_merged"]
    assert offsets(merged) == [(11, 12)]
    assert merged.attrs["scores"] == [pytest.approx(1 / (1 + math.exp(-3.4)), abs=1e-6)]
    # the same letter, which the model believes, is kept
    doc2 = make_doc(rules_nlp.vocab, WORDS, undecided=[(6, 7)], candidates=[(6, 7, 0.95)])
    assert offsets(merge(doc2).ents) == [(6, 7)]


@pytest.mark.parametrize("coef,intercept,expected", [(4.0, -1.0, [(2, 4)]), (-1.0, 1.5, [(3, 4)])])
def test_overlapping_candidates_keep_the_more_probable(rules_nlp, coef, intercept, expected):
    merge = merge_on(rules_nlp)
    merge.set_weights(weights({"model_prob": coef}, intercept=intercept))
    doc = make_doc(rules_nlp.vocab, OBJ_C, rules=[(3, 4, "cue_after", 0.7)], ents=[(2, 4, 0.9)],
                   candidates=[(2, 4, 0.9), (3, 4, 0.3)])
    rows = {(r["start"], r["end"]): r for r in merge.explain(doc)}
    assert rows[(2, 4)]["p"] >= 0.5 and rows[(3, 4)]["p"] >= 0.5  # both pass the threshold
    assert offsets(merge(doc).ents) == expected


def test_threshold_setting_overrides_the_trained_one():
    register_extensions()
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    strict = nlp.add_pipe("rulelang_learned_merge", name="strict", config={"threshold": 0.9})
    trained = LearnedMerge(nlp, "trained")
    w = weights({}, intercept=0.0, threshold=0.1)  # every candidate: p = 0.5
    strict.set_weights(w)
    trained.set_weights(w)
    assert strict.threshold == 0.9 and trained.threshold == 0.1
    assert offsets(strict(celsius_doc(nlp.vocab)).ents) == []
    assert offsets(trained(celsius_doc(nlp.vocab)).ents) == [(6, 7), (11, 12)]
    assert all(r["threshold"] == 0.9 for r in strict.explain(celsius_doc(nlp.vocab)))


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_bad_threshold_setting_is_E223(value):
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match=r"\[E223\].*threshold"):
        nlp.add_pipe("rulelang_learned_merge", config={"threshold": value})


def test_explain_contributions_add_up_to_the_logit(rules_nlp):
    merge = merge_on(rules_nlp)
    coef = {"single_letter": -1.5, "single_letter*model_prob": 2.0, "rule=cue_before": 0.7,
            "model_prob": 0.8, "casing=upper": -0.4, "in_catalogue": 0.3, "undecided": -0.2}
    merge.set_weights(weights(coef, intercept=-0.3, threshold=0.4))
    doc = celsius_doc(rules_nlp.vocab)
    rows = merge.explain(doc, top=100)
    assert [(r["start"], r["end"]) for r in rows] == [(6, 7), (11, 12)]
    kept = offsets(merge(celsius_doc(rules_nlp.vocab)).ents)
    for row in rows:
        assert set(row) >= {"text", "p", "kept", "threshold", "why", "rule", "model_prob"}
        assert row["threshold"] == 0.4
        assert row["kept"] == ((row["start"], row["end"]) in kept) == (row["p"] >= 0.4)
        z = -0.3 + sum(value for _, value in row["why"])
        assert 1 / (1 + math.exp(-z)) == pytest.approx(row["p"], abs=2e-3)
        assert all(value != 0 for _, value in row["why"])
    celsius, cue = rows
    assert celsius["text"] == "C" and celsius["rule"] is None and not celsius["kept"]
    assert cue["rule"] == "cue_before" and cue["kept"]
    assert dict(celsius["why"])["single_letter"] == pytest.approx(-1.5)
    assert dict(celsius["why"])["casing=upper"] == pytest.approx(-0.4)
    # top: the largest contributions by size, signed
    top2 = merge.explain(celsius_doc(rules_nlp.vocab), top=2)[1]["why"]
    assert [name for name, _ in top2] == ["single_letter*model_prob", "single_letter"]


# -- weights: checks and serialization ----------------------------------------------

@pytest.mark.parametrize("bad", [
    [1, 2],
    {"version": 2, "coef": {}, "intercept": 0.0, "threshold": 0.5},
    {"coef": {}, "intercept": 0.0, "threshold": 0.5},
    {"version": 1, "coef": {"a": "x"}, "intercept": 0.0, "threshold": 0.5},
    {"version": 1, "coef": [], "intercept": 0.0, "threshold": 0.5},
    {"version": 1, "coef": {}, "intercept": None, "threshold": 0.5},
    {"version": 1, "coef": {}, "intercept": 0.0},
    {"version": 1, "coef": {}, "intercept": 0.0, "threshold": 0.5, "rule_precision": [0.5]},
])
def test_check_weights_rejects_bad_weights(bad):
    with pytest.raises(ValueError, match=r"\[E225\]"):
        check_weights(bad, "here")


def test_weights_round_trip_through_disk_and_bytes(rules_nlp, tmp_path):
    merge = merge_on(rules_nlp)
    w = weights({"model_prob": 1.25}, intercept=-0.5, threshold=0.3, rule_precision={"cue_before": 0.6})
    merge.set_weights(w)
    merge.to_disk(tmp_path / "m")
    # srsly's JSON reader may be 1 ulp off a float (0.3 -> 0.30000000000000004): approx
    assert srsly.read_json(tmp_path / "m" / "weights.json") == approx_weights(w)
    assert merge_on(rules_nlp).from_disk(tmp_path / "m").weights == approx_weights(w)
    assert merge_on(rules_nlp).from_bytes(merge.to_bytes()).weights == approx_weights(w)
    untrained = merge_on(rules_nlp)
    assert merge_on(rules_nlp).from_bytes(untrained.to_bytes()).weights is None
    untrained.to_disk(tmp_path / "u")
    assert not (tmp_path / "u" / "weights.json").exists()


@pytest.mark.parametrize("content,problem", [
    ('{"version": 2, "coef": {}, "intercept": 0.0, "threshold": 0.5}', "version 2"),
    ('{"version": 1, "coef": ', "not valid JSON"),
])
def test_bad_weights_file_is_E225_on_from_disk(rules_nlp, tmp_path, content, problem):
    (tmp_path / "weights.json").write_text(content, encoding="utf8")
    with pytest.raises(ValueError, match=r"\[E225\]") as err:
        merge_on(rules_nlp).from_disk(tmp_path)
    assert problem in str(err.value) and "weights.json" in str(err.value)


def test_bad_weights_file_is_E225_on_spacy_load(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    merge = nlp.add_pipe("rulelang_learned_merge")
    merge.set_weights(weights({}))
    nlp.to_disk(tmp_path / "pipe")
    path = tmp_path / "pipe" / "rulelang_learned_merge" / "weights.json"
    srsly.write_json(path, {**weights({}), "version": 2})
    with pytest.raises(ValueError, match=r"\[E225\]"):
        spacy.load(tmp_path / "pipe")


# -- the trained pipeline: model scores, fit_merge, the CLIs ------------------------

MORE_GOLD = [
    ("Write it in Go or in C .", [(3, 4), (7, 8)]),
    ("The Go team met at 10 ° C .", [(1, 2)]),
    ("Python and C are both fine .", [(0, 1), (2, 3)]),
    ("Grade B and grade C students .", []),
    ("Java beats Scala , says Bob .", [(0, 1), (2, 3)]),
]


def gold_docs(vocab, sentences):
    for text, ents in sentences:
        doc = Doc(vocab, words=text.split())
        doc.ents = [Span(doc, s, e, label=LABEL) for s, e in ents]
        yield doc


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return trained_model_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def gold_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("merge_gold") / "dev.spacy"
    write_docbin(gold_docs(spacy.blank("en").vocab, list(TRAIN) + MORE_GOLD), path)
    return path


def assemble(model_dir):
    nlp = spacy.load(model_dir)
    nlp.add_pipe("rulelang_model_scores")
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    nlp.add_pipe("rulelang_learned_merge")
    return nlp


@pytest.fixture(scope="module")
def fitted(model_dir, gold_path):
    nlp = assemble(model_dir)
    w, report = fit_merge(nlp, gold_path, rule_precision_from=gold_path)
    return nlp, w, report


def test_hand_weights_on_the_trained_pipeline(model_dir):
    nlp = assemble(model_dir)
    nlp.get_pipe("rulelang_learned_merge").set_weights(
        weights({"single_letter": -3.0, "single_letter*model_prob": 6.0, "model_prob": 2.0}, intercept=-1.0))
    merge = nlp.get_pipe("rulelang_learned_merge")
    doc = nlp(Doc(nlp.vocab, words="It ran at 72 ° C in a script written in C .".split()))
    #                                0  1   2  3  4 5 6  7 8      9      10 11 12
    rows = {(r["start"], r["end"]): r for r in merge.explain(doc)}
    # both C's are candidates; the rule proposes the second, the model doubts the first
    assert rows[(5, 6)]["rule"] is None and rows[(5, 6)]["model_prob"] < 0.5 and not rows[(5, 6)]["kept"]
    assert rows[(11, 12)]["rule"] == "cue_before" and rows[(11, 12)]["model_prob"] > 0.5
    assert offsets(doc.ents) == [(11, 12)]
    assert offsets(doc.spans["rulelang_merged"]) == [(11, 12)]
    assert doc.spans["model"].attrs["scores"][0] == pytest.approx(rows[(11, 12)]["model_prob"], abs=1e-4)


def test_fit_merge_is_deterministic_and_sets_the_weights(model_dir, gold_path, fitted):
    nlp, w, report = fitted
    again, report2 = fit_merge(assemble(model_dir), gold_path, rule_precision_from=gold_path)
    assert again == w and report2 == report
    assert nlp.get_pipe("rulelang_learned_merge").weights == w
    assert check_weights(w, "fit") is w
    assert 0.05 <= w["threshold"] <= 0.95 and w["threshold"] == report["threshold"]
    assert 0 < report["positives"] < report["candidates"]
    assert report["folds"] == 5 and set(report["cross_validated"]) == {"p", "r", "f", "best_f"}
    assert w["threshold"] == round(report["cross_validated"]["best_f"] / 2, 2)  # F1*/2
    assert {"model_prob", "single_letter", "rule_precision"} <= set(w["coef"])
    assert w["coef"]["model_prob"] > 0  # the model's probability is evidence for a span
    assert w["trained_on"] == report


def test_rule_precision_is_laplace_smoothed_on_the_gold(fitted, gold_path):
    nlp, w, _ = fitted
    assert w["rule_precision"] == rule_precision_on(nlp, gold_path)
    golds = list(gold_docs(nlp.vocab, list(TRAIN) + MORE_GOLD))
    counts: Dict[str, List[int]] = {}
    with nlp.select_pipes(enable=["rulelang"]):
        for gold in golds:
            doc = nlp(Doc(nlp.vocab, words=[t.text for t in gold]))
            gold_keys = {(e.start, e.end) for e in gold.ents}
            for span in doc.spans["rulelang"]:
                tp_fp = counts.setdefault(span._.rulelang_rule, [0, 0])
                tp_fp[0 if (span.start, span.end) in gold_keys else 1] += 1
    assert counts  # the rules fire on this gold
    assert w["rule_precision"] == {r: pytest.approx((tp + 1) / (tp + fp + 2), abs=1e-6)
                                   for r, (tp, fp) in counts.items()}


def test_fitted_weights_survive_to_disk_and_load(fitted, tmp_path, gold_path):
    nlp, w, _ = fitted
    nlp.to_disk(tmp_path / "merged")
    saved = (tmp_path / "merged" / "rulelang_learned_merge" / "weights.json").read_text(encoding="utf8")
    assert json.loads(saved) == w  # exact: the stdlib's JSON round-trips floats
    loaded = spacy.load(tmp_path / "merged")
    assert loaded.get_pipe("rulelang_learned_merge").weights == w
    for gold in gold_docs(nlp.vocab, MORE_GOLD):
        words = [t.text for t in gold]
        a = nlp(Doc(nlp.vocab, words=words))
        b = loaded(Doc(loaded.vocab, words=words))
        assert offsets(a.ents) == offsets(b.ents)
        assert a.spans["rulelang_merged"].attrs["scores"] == b.spans["rulelang_merged"].attrs["scores"]


def test_fit_merge_without_positives_is_E227(model_dir, tmp_path):
    path = tmp_path / "no_ents.spacy"
    write_docbin(gold_docs(spacy.blank("en").vocab, [("I like Python .", []), ("Rust is fast .", [])]), path)
    with pytest.raises(ValueError, match=r"\[E227\]"):
        fit_merge(assemble(model_dir), path)


def test_best_threshold_is_half_the_best_f1():
    probs = [0.9, 0.8, 0.6, 0.3, 0.2]
    labels = [1, 1, 0, 1, 0]
    t, scores = best_threshold(probs, labels, unreachable=0)
    # best: keep >= 0.21..0.3: P 3/4 R 1 F 0.857; F1*/2 = 0.43 keeps 0.9, 0.8, 0.6: P 2/3 R 2/3
    assert scores["best_f"] == pytest.approx(0.8571, abs=1e-4)
    assert t == 0.43 and scores["p"] == pytest.approx(0.6667, abs=1e-4)
    assert scores["r"] == pytest.approx(0.6667, abs=1e-4)
    t2, scores2 = best_threshold(probs, labels, unreachable=3)  # missed gold lowers recall
    assert scores2["best_f"] < scores["best_f"] and t2 < t


def test_train_merge_and_explain_merge_cli(model_dir, gold_path, tmp_path):
    assemble(model_dir).to_disk(tmp_path / "assembled")
    out = tmp_path / "merged"
    result = CliRunner().invoke(app, ["train-merge", str(tmp_path / "assembled"), str(gold_path),
                                      "--rule-precision", str(gold_path), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "threshold" in result.output and "feature" in result.output
    saved = srsly.read_json(out / "rulelang_learned_merge" / "weights.json")
    assert saved["version"] == 1 and saved["trained_on"]["data"] == str(gold_path)
    result = CliRunner().invoke(app, ["explain-merge", str(out), "Compile the C code with gcc .", "--json"])
    assert result.exit_code == 0, result.output
    rows = [srsly.json_loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert rows and any(r["text"] == "C" for r in rows)
    assert all({"p", "kept", "threshold", "why"} <= set(r) for r in rows)
    result = CliRunner().invoke(app, ["explain-merge", str(tmp_path / "assembled"), "C ."])
    assert result.exit_code == 1 and "E224" in result.output  # not trained yet


# -- out-of-fold rows: folds of train, fold pipelines, fit_merge(held_out=...) -------------

def test_folds_are_contiguous_blocks_that_cover_the_file(gold_path, tmp_path):
    from spacy_rulelang.workflow.folds import write_folds

    golds = [[t.text for t in d] for d in read_gold_docs(gold_path, spacy.blank("en").vocab)]
    bounds = write_folds(gold_path, tmp_path / "folds", k=3)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(golds)
    assert all(hi == lo2 for (_, hi), (lo2, _) in zip(bounds, bounds[1:]))
    vocab = spacy.blank("en").vocab
    for i, (lo, hi) in enumerate(bounds):
        held = [[t.text for t in d] for d in read_gold_docs(tmp_path / "folds" / str(i) / "heldout.spacy", vocab)]
        rest = [[t.text for t in d] for d in read_gold_docs(tmp_path / "folds" / str(i) / "train.spacy", vocab)]
        assert held == golds[lo:hi] and rest == golds[:lo] + golds[hi:]
    with pytest.raises(ValueError, match=r"\[E231\]"):
        write_folds(gold_path, tmp_path / "bad", k=1)


def test_fit_merge_adds_the_held_out_rows(model_dir, gold_path, fitted, tmp_path):
    _, alone, report_alone = fitted
    more = tmp_path / "more.spacy"
    write_docbin(gold_docs(spacy.blank("en").vocab, MORE_GOLD), more)
    assemble(model_dir).to_disk(tmp_path / "fold")
    nlp = assemble(model_dir)
    w, report = fit_merge(nlp, gold_path, rule_precision_from=gold_path,
                          held_out=[(str(tmp_path / "fold"), more)])
    first, second = report["sources"]
    assert first["data"] == str(gold_path) and second["pipeline"] == str(tmp_path / "fold")
    assert first["candidates"] == report_alone["candidates"]
    assert report["candidates"] == first["candidates"] + second["candidates"] > report_alone["candidates"]
    assert report["positives"] == first["positives"] + second["positives"]
    assert {"p", "r", "f"} == set(second["cross_validated"])
    assert w != alone and w["rule_precision"] == alone["rule_precision"]  # measured on the same file
    again, _ = fit_merge(assemble(model_dir), gold_path, rule_precision_from=gold_path,
                         held_out=[(spacy.load(tmp_path / "fold"), more)])
    assert again["coef"] == w["coef"] and again["threshold"] == w["threshold"]
    # a fold without a right candidate is fine: the pooled rows have both kinds
    none = tmp_path / "none.spacy"
    write_docbin(gold_docs(spacy.blank("en").vocab, [("Grade B and grade C students .", [])]), none)
    _, report = fit_merge(assemble(model_dir), gold_path, held_out=[(str(tmp_path / "fold"), none)])
    assert report["sources"][1]["positives"] == 0


def test_train_merge_cli_pairs_oof_options(model_dir, gold_path, fitted, tmp_path):
    assemble(model_dir).to_disk(tmp_path / "assembled")
    args = ["train-merge", str(tmp_path / "assembled"), str(gold_path), "--output", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args + ["--oof-pipeline", str(tmp_path / "assembled")])
    assert result.exit_code == 1 and "E232" in result.output and not (tmp_path / "out").exists()
    result = CliRunner().invoke(app, args + ["--oof-pipeline", str(tmp_path / "assembled"),
                                             "--oof-data", str(gold_path)])
    assert result.exit_code == 0, result.output
    saved = srsly.read_json(tmp_path / "out" / "rulelang_learned_merge" / "weights.json")
    assert [s["data"] for s in saved["trained_on"]["sources"]] == [str(gold_path)] * 2
    assert "rows from" in result.output and "baseline" not in result.output
    # --baseline scores other weights on the same rows: the dev-only fit, at its threshold
    srsly.write_json(tmp_path / "base.json", fitted[1])
    result = CliRunner().invoke(app, args + ["--baseline", str(tmp_path / "base.json")])
    assert result.exit_code == 0, result.output
    assert "baseline F1" in result.output
    source = srsly.read_json(tmp_path / "out" / "rulelang_learned_merge" / "weights.json")["trained_on"]["sources"][0]
    assert set(source["baseline"]) == {"p", "r", "f"} and 0 < source["baseline"]["f"] <= 1
    (tmp_path / "bad.json").write_text("{}", encoding="utf8")
    before = (tmp_path / "out" / "rulelang_learned_merge" / "weights.json").read_text(encoding="utf8")
    result = CliRunner().invoke(app, args + ["--baseline", str(tmp_path / "bad.json")])
    assert result.exit_code == 1 and "E225" in result.output
    assert (tmp_path / "out" / "rulelang_learned_merge" / "weights.json").read_text(encoding="utf8") == before
