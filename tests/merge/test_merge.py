"""The merge step with hand-built Docs: no trained model needed."""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import make_tempdir

from spacy_rulelang.ruler.extensions import register_extensions
from spacy_rulelang.merge.hand_set import MergePolicy, merge_spans, score_merge

LABEL = "PROG_LANG"
WORDS = ["I", "port", "Objective", "C", "code", "to", "Go", "and", "Rust", "."]
#         0     1        2         3     4      5     6     7      8      9

RuleSpec = Tuple[int, int, Optional[str], Optional[float]]  # start, end, rule, score


@pytest.fixture
def nlp():
    register_extensions()
    return spacy.blank("en")


def make_doc(nlp, rules: Sequence[RuleSpec] = (), ents: Sequence[Tuple[int, int]] = (),
             ent_label: str = LABEL) -> Doc:
    """A doc whose NER found `ents` and whose rules found `rules`, as the pipeline leaves it."""
    doc = Doc(nlp.vocab, words=WORDS)
    doc.ents = [Span(doc, s, e, label=ent_label) for s, e in ents]
    spans: List[Span] = []
    for start, end, rule, score in rules:
        span = Span(doc, start, end, label=LABEL, span_id=f"id{start}")
        span._.rulelang_rule = rule
        span._.rulelang_score = score
        spans.append(span)
    doc.spans["rulelang"] = spans
    return doc


def offsets(spans) -> List[Tuple[int, int]]:
    return [(s.start, s.end) for s in spans]


def run_merge(nlp, doc: Doc, **config) -> Doc:
    merge = nlp.add_pipe("rulelang_merge", config=config)
    return merge(doc)


def test_merge_model_entities_are_kept_apart(nlp):
    doc = run_merge(nlp, make_doc(nlp, rules=[(6, 7, "a", None)], ents=[(8, 9)]))
    assert offsets(doc.spans["model"]) == [(8, 9)]
    assert offsets(doc.spans["rulelang"]) == [(6, 7)]
    assert offsets(doc.ents) == [(6, 7), (8, 9)]


def test_merge_custom_model_key(nlp):
    doc = run_merge(nlp, make_doc(nlp, ents=[(8, 9)]), model_key="ner_only")
    assert offsets(doc.spans["ner_only"]) == [(8, 9)]
    assert "model" not in doc.spans


def test_merge_keeps_rule_span_metadata_in_ents(nlp):
    doc = run_merge(nlp, make_doc(nlp, rules=[(6, 7, "cue_word", 0.9)]))
    (ent,) = doc.ents
    assert ent.id_ == "id6"
    assert ent._.rulelang_rule == "cue_word"


@pytest.mark.parametrize("prefer,expected", [
    ("rules", [(3, 4)]),           # rule "C" beats the model's "Objective C"
    ("model", [(2, 4)]),
    ("longest", [(2, 4)]),
])
def test_merge_prefer_settles_overlaps(nlp, prefer, expected):
    doc = make_doc(nlp, rules=[(3, 4, "a", None)], ents=[(2, 4)])
    assert offsets(run_merge(nlp, doc, prefer=prefer).ents) == expected


def test_merge_longest_tie_goes_to_rules(nlp):
    doc = make_doc(nlp, rules=[(2, 4, "a", None)], ents=[(3, 5)])
    assert offsets(run_merge(nlp, doc, prefer="longest").ents) == [(2, 4)]


def test_merge_model_fills_gaps_off(nlp):
    doc = make_doc(nlp, rules=[(6, 7, "a", None)], ents=[(8, 9), (6, 7)])
    merged = run_merge(nlp, doc, model_fills_gaps=False, prefer="model")
    assert offsets(merged.ents) == [(6, 7)]


@pytest.mark.parametrize("weak_rules,expected", [
    ("fallback", [(2, 4), (8, 9)]),  # weak rule loses to the model, keeps the free gap
    ("need_model", [(3, 4)]),        # confirmed by the model's overlap: counts as strong
    ("drop", [(2, 4)]),
])
def test_merge_weak_rules(nlp, weak_rules, expected):
    doc = make_doc(nlp, rules=[(3, 4, "pos_noun", 0.4), (8, 9, "pos_noun", 0.4)], ents=[(2, 4)])
    merged = run_merge(nlp, doc, min_rule_precision=0.8, weak_rules=weak_rules)
    assert offsets(merged.ents) == expected


def test_merge_rule_precision_table_overrides_score(nlp):
    doc = make_doc(nlp, rules=[(3, 4, "pos_noun", 0.95)], ents=[(2, 4)])
    merged = run_merge(nlp, doc, min_rule_precision=0.8, rule_precision={"pos_noun": 0.5})
    assert offsets(merged.ents) == [(2, 4)]


def test_merge_rule_wins_beats_threshold(nlp):
    doc = make_doc(nlp, rules=[(3, 4, "version_follows", 0.2)], ents=[(2, 4)])
    merged = run_merge(nlp, doc, min_rule_precision=0.8, rule_wins=["version_follows"])
    assert offsets(merged.ents) == [(3, 4)]


def test_merge_unknown_precision_counts_as_strong(nlp):
    doc = make_doc(nlp, rules=[(3, 4, "a", None)], ents=[(2, 4)])
    assert offsets(run_merge(nlp, doc, min_rule_precision=0.99).ents) == [(3, 4)]


def test_merge_no_rules_no_model(nlp):
    doc = Doc(nlp.vocab, words=WORDS)
    merged = run_merge(nlp, doc)
    assert list(merged.ents) == []
    assert list(merged.spans["model"]) == []


def test_merge_overlapping_rule_spans_do_not_crash(nlp):
    doc = make_doc(nlp, rules=[(2, 4, "a", None), (3, 4, "b", None)])
    assert offsets(run_merge(nlp, doc).ents) == [(2, 4)]


def test_merge_keeps_other_model_labels(nlp):
    doc = make_doc(nlp, rules=[(6, 7, "a", None)], ents=[(8, 9)], ent_label="LIB")
    labels = [(e.start, e.label_) for e in run_merge(nlp, doc).ents]
    assert labels == [(6, LABEL), (8, "LIB")]


@pytest.mark.parametrize("config,fragment", [
    ({"prefer": "rule"}, "[E200]"),
    ({"weak_rules": "keep"}, "[E200]"),
    ({"min_rule_precision": 1.5}, "[E201]"),
    ({"rule_precision": {"a": -0.1}}, "[E201]"),
])
def test_merge_bad_config_is_a_coded_error(nlp, config, fragment):
    with pytest.raises(ValueError) as err:
        nlp.add_pipe("rulelang_merge", config=config)
    assert fragment in str(err.value)
    assert "Allowed" in str(err.value) or "between 0 and 1" in str(err.value)


def test_merge_unknown_rule_name_is_caught(nlp):
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    with pytest.raises(ValueError, match=r"\[E202\]"):
        nlp.add_pipe("rulelang_merge", config={"rule_wins": ["no_such_rule"]})


def test_merge_policy_is_pure():
    register_extensions()
    doc = make_doc(spacy.blank("en"), rules=[(3, 4, "a", None)], ents=[(2, 4)])
    kept = merge_spans(doc.spans["rulelang"], list(doc.ents), MergePolicy(prefer="model"))
    assert offsets(kept) == [(2, 4)]
    assert offsets(doc.ents) == [(2, 4)]  # the doc itself is untouched


def test_merge_serializes_with_its_config(nlp):
    nlp.add_pipe("rulelang_merge", config={"prefer": "longest", "min_rule_precision": 0.7})
    with make_tempdir() as tmp:
        nlp.to_disk(tmp)
        loaded = spacy.load(tmp)
    merge = loaded.get_pipe("rulelang_merge")
    assert merge.policy.prefer == "longest"
    assert merge.policy.min_rule_precision == 0.7


def test_merge_scorer_reports_combined_and_model(nlp):
    merge = nlp.add_pipe("rulelang_merge")
    pred = merge(make_doc(nlp, rules=[(6, 7, "a", None)], ents=[(8, 9), (2, 4)]))
    gold = Doc(nlp.vocab, words=WORDS, ents=["O", "O", "O", "B-" + LABEL, "O", "O",
                                              "B-" + LABEL, "O", "B-" + LABEL, "O"])
    scores = score_merge([Example(pred, gold)])
    assert scores["ents_p"] == pytest.approx(2 / 3)   # Go, Rust right; Objective C wrong
    assert scores["spans_model_p"] == pytest.approx(1 / 2)
    assert scores["spans_model_r"] == pytest.approx(1 / 3)
    assert nlp.evaluate([Example(pred, gold)])["ents_f"] is not None


def test_merge_gaps_need_candidate_pure():
    register_extensions()
    doc = make_doc(spacy.blank("en"), rules=[(6, 7, "a", None)], ents=[(8, 9), (2, 4)])
    policy = MergePolicy(gaps_need_candidate=True)
    kept = merge_spans(doc.spans["rulelang"], list(doc.ents), policy, undecided=[(8, 9)])
    assert offsets(kept) == [(6, 7), (8, 9)]  # "Objective C" was no undecided candidate
    assert offsets(merge_spans(doc.spans["rulelang"], list(doc.ents), policy)) == [(6, 7)]


def test_merge_gaps_need_candidate_reads_the_undecided_span_group(nlp):
    """Any rule source works: the merge reads doc.spans["rulelang_undecided"], nothing else."""
    merge = nlp.add_pipe("rulelang_merge", config={"gaps_need_candidate": True})
    doc = make_doc(nlp, rules=[(6, 7, "a", None)], ents=[(2, 4), (8, 9)])
    doc.spans["rulelang_undecided"] = [Span(doc, 8, 9, label=LABEL)]  # "Objective C" was rejected
    assert offsets(merge(doc).ents) == [(6, 7), (8, 9)]


def test_merge_policies_scored_from_one_pass_and_unknown_settings_named(nlp, tmp_path):
    from spacy.tokens import DocBin

    from spacy_rulelang.merge.policies import score_policies

    nlp.add_pipe("rulelang", config={"pos_checks": False, "write_ents": False})
    nlp.add_pipe("rulelang_merge")
    doc = Doc(nlp.vocab, words=["I", "like", "Python", "and", "golang", "."])
    doc.ents = [Span(doc, 2, 3, label=LABEL), Span(doc, 4, 5, label=LABEL)]
    DocBin(docs=[doc]).to_disk(tmp_path / "gold.spacy")
    rows = score_policies(nlp, tmp_path / "gold.spacy", {"rules only": {"model_fills_gaps": False}})
    assert [(r["policy"], r["f"]) for r in rows] == [("rules only", 1.0)]
    with pytest.raises(ValueError, match=r"\[E221\].*'bad'.*\['colour'\]"):
        score_policies(nlp, tmp_path / "gold.spacy", {"bad": {"colour": 1}})
