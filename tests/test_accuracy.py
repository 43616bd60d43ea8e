"""Acceptance figures of the rules alone on the StackOverflowNER test split.

The rules were tuned on train and dev only; the test split is for reporting.
"""
import pytest

from spacy_rulelang.benchmark import load_gold, score_rules


@pytest.fixture(scope="module")
def test_gold(data_dir, rule_nlp):
    return load_gold(data_dir / "test.txt", rule_nlp)


def test_accuracy_test_split_tokens(rule_nlp, test_gold):
    acc = score_rules(rule_nlp, test_gold, "tokens")
    assert acc.n_docs == 4940
    assert acc.precision >= 0.90 and acc.f1 >= 0.85, acc


def test_accuracy_test_split_raw_text_within_002(rule_nlp, test_gold):
    tokens = score_rules(rule_nlp, test_gold, "tokens")
    raw = score_rules(rule_nlp, test_gold, "raw")
    assert abs(raw.f1 - tokens.f1) <= 0.02, (raw, tokens)
    assert all(rule for rule in raw.per_rule)


def test_accuracy_beats_plain_gazetteer(rule_nlp, test_gold):
    """The catalogue as a case-insensitive gazetteer (spaCy's EntityRuler) is far worse."""
    from spacy_rulelang.benchmark import score_gazetteer

    gazetteer = score_gazetteer(rule_nlp, test_gold)
    rules = score_rules(rule_nlp, test_gold, "tokens")
    assert rules.precision > gazetteer.precision + 0.1 and rules.f1 > gazetteer.f1 + 0.05
