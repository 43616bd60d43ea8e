"""The pure comparison core, ranking, summary and the component: no trained model needed."""
import doctest
from collections import Counter

import pytest
import spacy
from spacy.tokens import Doc, Span

from spacy_rulelang.compare import core, export, ranking
from spacy_rulelang.compare import pipe as component
from spacy_rulelang.compare.calibration import calibration_from_stats
from spacy_rulelang.compare.pipe import read_disagreements
from spacy_rulelang.compare.core import Disagreement, find_disagreements, from_spacy
from spacy_rulelang.compare.ranking import Ranker, priority
from spacy_rulelang.compare.summary import SummaryStats
from spacy_rulelang.ruler.extensions import register_extensions

P = "PROG_LANG"


@pytest.mark.parametrize(
    "rules,model,expected",
    [
        ([(0, 1, P)], [], [("rule_only", 0, 1)]),
        ([], [(2, 3, P)], [("model_only", 2, 3)]),
        ([(2, 4, P)], [(2, 3, P)], [("boundary", 2, 4)]),
        ([(1, 3, P)], [(2, 4, P)], [("boundary", 1, 4)]),
        ([(2, 3, P)], [(2, 3, "ORG")], [("label", 2, 3)]),
        ([(2, 3, P)], [(2, 3, P)], []),
        ([], [], []),
        # two rule spans inside one model span: the larger overlap pairs, the rest is rule_only
        ([(0, 1, P), (1, 3, P)], [(0, 3, P)], [("rule_only", 0, 1), ("boundary", 0, 3)]),
        ([(0, 1, P), (5, 6, P)], [(5, 6, P), (8, 9, P)], [("rule_only", 0, 1), ("model_only", 8, 9)]),
    ],
)
def test_compare_core_categories(rules, model, expected):
    found = find_disagreements(rules, model)
    assert [(d.category, d.start, d.end) for d in found] == expected
    assert all(d.gold_agrees is None for d in found)


@pytest.mark.parametrize(
    "rules,model,gold,expected",
    [
        ([(0, 1, P)], [], [(0, 1, P)], ("rule_only", "rules")),
        ([(0, 1, P)], [], [], ("rule_only", "model")),
        ([(0, 2, P)], [], [(0, 1, P)], ("rule_only", "neither")),
        ([], [(3, 4, P)], [(3, 4, P)], ("model_only", "model")),
        ([], [(3, 4, P)], [], ("model_only", "rules")),
        ([(2, 4, P)], [(2, 3, P)], [(2, 3, P)], ("boundary", "model")),
        ([(2, 4, P)], [(2, 3, P)], [(2, 4, P)], ("boundary", "rules")),
        ([(2, 4, P)], [(2, 3, P)], [], ("boundary", "neither")),
        ([(2, 3, P)], [(2, 3, "ORG")], [(2, 3, P)], ("label", "rules")),
        ([(2, 3, P)], [(2, 3, "ORG")], [(2, 3, "ORG")], ("label", "model")),
        ([(2, 3, P)], [(2, 3, "ORG")], [], ("label", "neither")),
    ],
)
def test_compare_core_gold_agrees(rules, model, gold, expected):
    found = find_disagreements(rules, model, gold=gold)
    assert [(d.category, d.gold_agrees) for d in found] == [expected]


@pytest.mark.parametrize(
    "rules,model,gold,gold_span",
    [
        # rules == model, gold lacks the span
        ([(1, 2, P)], [(1, 2, P)], [], None),
        # rules == model, gold has other boundaries
        ([(1, 2, P)], [(1, 2, P)], [(1, 3, P)], (1, 3, P)),
        # gold has a span both missed
        ([], [], [(4, 5, P)], (4, 5, P)),
    ],
)
def test_compare_core_suspect_label(rules, model, gold, gold_span):
    found = find_disagreements(rules, model, gold=gold)
    assert [(d.category, d.gold_agrees, d.gold_span) for d in found] == [
        ("suspect_label", "neither", gold_span)]


def test_compare_core_no_suspect_without_gold_or_when_gold_agrees():
    assert find_disagreements([(1, 2, P)], [(1, 2, P)]) == []
    assert find_disagreements([(1, 2, P)], [(1, 2, P)], gold=[(1, 2, P)]) == []


def test_compare_core_labels_keep_overlapping_other_labels():
    rules, model = [(2, 3, P)], [(2, 3, "ORG"), (7, 8, "PERSON")]
    found = find_disagreements(rules, model, labels=[P])
    assert [(d.category, d.model_span) for d in found] == [("label", (2, 3, "ORG"))]
    assert len(find_disagreements(rules, model)) == 2  # no restriction: PERSON is model_only


def test_compare_core_deterministic_and_order_free():
    rules = [(5, 6, P), (0, 2, P), (0, 2, P), (9, 10, P)]
    model = [(9, 10, "ORG"), (1, 2, P), (12, 13, P)]
    first = find_disagreements(rules, model, gold=[(0, 2, P)])
    again = find_disagreements(list(reversed(rules)), list(reversed(model)), gold=[(0, 2, P)])
    assert first == again
    assert [d.start for d in first] == sorted(d.start for d in first)


@pytest.mark.parametrize("bad", [(1, 2), "span", (1, 2, P, "extra")])
def test_compare_core_rejects_bad_spans(bad):
    with pytest.raises(TypeError, match="E106"):
        find_disagreements([bad], [])


def test_compare_core_disagreement_is_frozen_and_round_trips():
    d = find_disagreements([(0, 1, P)], [], gold=[(0, 1, P)])[0]
    with pytest.raises(Exception):
        d.category = "label"  # type: ignore[misc]
    assert Disagreement.from_dict(d.to_dict()) == d


def _doc(words):
    return Doc(spacy.blank("en").vocab, words=words)


def test_compare_core_from_spacy_keeps_rule_names_and_scores():
    register_extensions()
    doc = _doc(["I", "use", "Python", "and", "C", "daily"])
    python = Span(doc, 2, 3, P)
    python._.rulelang_rule = "unambiguous_alias"
    python._.rulelang_score = 0.9
    c_lang = Span(doc, 4, 5, P)
    c_lang._.rulelang_rule = "cue_after"
    model = [Span(doc, 4, 6, P)]
    found = from_spacy([python, c_lang], model, model_scores=[0.7])
    assert [(d.category, d.rule, d.rule_score, d.model_score) for d in found] == [
        ("rule_only", "unambiguous_alias", 0.9, None),
        ("boundary", "cue_after", None, 0.7),
    ]


def test_compare_core_priority_documented_formula():
    assert priority(None, None, 0) == 0.25
    assert priority(0.9, 0.8, 1) == round(0.9 * 0.8 * (1 + 0.6931471805599453), 6)
    found = find_disagreements([(0, 1, P)], [])
    words = ["Python"]
    once = Ranker(Counter({"python": 1})).score(found, words)[0].score
    twice = Ranker(Counter({"python": 2})).score(found, words)[0].score
    assert twice > once == priority(None, None, 1)  # a form seen more often weighs more
    with_precision = Ranker(Counter({"python": 1}), {"r": (9, 0)}).score(
        [Disagreement("rule_only", 0, 1, P, rule_span=(0, 1, P), rule="r")], words)
    assert with_precision[0].score == priority(10 / 11, None, 1)


def test_compare_core_summary_per_rule_precision_recall():
    stats = SummaryStats(["a", "b", "never"])
    gold = [(0, 1, P), (3, 4, P), (6, 7, P)]
    rules = [((0, 1, P), "a"), ((3, 4, P), "a"), ((5, 6, P), "a"), ((6, 7, P), "b")]
    stats.read()
    stats.add(8, rules, [(0, 1, P)], gold, find_disagreements([r for r, _ in rules], [(0, 1, P)], gold))
    per_rule = stats.per_rule()
    assert per_rule["a"]["precision"] == round(2 / 3, 6)
    assert per_rule["a"]["recall"] == round(2 / 3, 6)
    assert per_rule["b"] == {"spans": 1, "spans_on_gold": 1, "precision": 1.0,
                             "recall": round(1 / 3, 6), "tp": 1, "fp": 0, "fn": 2}
    assert per_rule["never"]["precision"] is None
    summary = stats.to_dict({})
    assert summary["docs"]["in"] == summary["docs"]["out"] == 1
    assert summary["systems"]["model"]["precision"] == 1.0
    calibration = calibration_from_stats(stats, "gold.spacy")
    assert set(calibration["rules"]) == {"a", "b"}  # no spans on gold -> no precision
    assert calibration["version"] == 1 and calibration["source"] == "gold.spacy"


def test_compare_core_calibration_loads_in_rulelang(tmp_path):
    """The calibration.json written here is what the rulelang component reads."""
    import srsly

    from spacy_rulelang.ruler.component import read_calibration

    stats = SummaryStats()
    stats.read()
    stats.add(2, [((0, 1, P), "unambiguous_alias")], [], [(0, 1, P)], [])
    srsly.write_json(tmp_path / "calibration.json", calibration_from_stats(stats, "x"))
    assert read_calibration(tmp_path / "calibration.json") == {"unambiguous_alias": 1.0}


def test_compare_component_writes_typed_spans_and_keeps_ents():
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang_compare", config={"labels": [P]})
    doc = Doc(nlp.vocab, words=["We", "use", "Java", "and", "Rust", "daily"])
    doc.spans["rulelang"] = [Span(doc, 2, 3, P), Span(doc, 4, 5, P)]
    doc.ents = [Span(doc, 2, 3, "ORG")]
    doc.spans["rulelang_gold"] = [Span(doc, 2, 3, P)]
    doc = nlp(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("Java", "ORG")]
    group = doc.spans["rulelang_disagreements"]
    assert [(s.text, s.label_) for s in group] == [("Java", "label"), ("Rust", "rule_only")]
    assert [d.gold_agrees for d in read_disagreements(doc)] == ["rules", "model"]


def test_compare_component_model_key_and_scores():
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang_compare", config={"model_key": "model", "gold_key": None})
    doc = Doc(nlp.vocab, words=["Try", "Go", "now"])
    doc.spans["rulelang"] = []
    doc.spans["model"] = [Span(doc, 1, 2, P)]
    doc.spans["model"].attrs["scores"] = [0.42]
    found = read_disagreements(nlp(doc))
    assert [(d.category, d.model_score) for d in found] == [("model_only", 0.42)]


def test_compare_component_missing_key_is_a_clear_error():
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang_compare", config={"model_key": "modle"})
    doc = Doc(nlp.vocab, words=["Go"])
    doc.spans["rulelang"] = []
    with pytest.raises(ValueError, match=r"E105.*'modle'"):
        nlp(doc)


def test_compare_component_survives_serialization(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang_compare", config={"model_key": "model"})
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert loaded.get_pipe_config("rulelang_compare")["model_key"] == "model"


@pytest.mark.parametrize("module", [core, ranking, component, export])
def test_compare_core_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
