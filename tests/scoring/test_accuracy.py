"""Acceptance gates of the rules alone on the StackOverflowNER dev split.

CI gates on dev, the split the rules are tuned on, so a test sentence never steers a
change; the test split is only for the figures reported once (the README's benchmark).
"""
import pytest

from spacy_rulelang.scoring.rule_benchmark import load_gold, score_rules


@pytest.fixture(scope="module")
def dev_gold(data_dir, rule_nlp):
    return load_gold(data_dir / "dev.txt", rule_nlp)


def test_accuracy_dev_split_tokens(rule_nlp, dev_gold):
    acc = score_rules(rule_nlp, dev_gold, "tokens")
    assert acc.n_docs == 4607
    assert acc.precision >= 0.94 and acc.f1 >= 0.94, acc


def test_accuracy_dev_split_raw_text_within_002(rule_nlp, dev_gold):
    tokens = score_rules(rule_nlp, dev_gold, "tokens")
    raw = score_rules(rule_nlp, dev_gold, "raw")
    assert abs(raw.f1 - tokens.f1) <= 0.02, (raw, tokens)
    assert all(rule for rule in raw.per_rule)


def test_accuracy_beats_plain_gazetteer(rule_nlp, dev_gold):
    """The catalogue as a case-insensitive gazetteer (spaCy's EntityRuler) is far worse."""
    from spacy_rulelang.scoring.rule_benchmark import score_gazetteer

    gazetteer = score_gazetteer(rule_nlp, dev_gold)
    rules = score_rules(rule_nlp, dev_gold, "tokens")
    assert rules.precision > gazetteer.precision + 0.1 and rules.f1 > gazetteer.f1 + 0.05
