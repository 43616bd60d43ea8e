"""Acceptance gates of the rules alone on the three development domains.

CI gates on development data only, so a test sentence never steers a change; the
StackOverflowNER test split is only for the figures reported once (the README's benchmark).
The domains: StackOverflowNER dev (the split the rules are tuned on), S-NER train (Stack
Overflow, other annotators) and SoMeSci devel (scientific articles: precision against the
single capital letters of figure panels, variables and formulas). Rules alone, POS from the
test tagger, so no trained model is needed.
"""
import pytest

from spacy_rulelang.scoring.rule_benchmark import load_gold, score_rules

# Minimum P, R and F1 (entity level, exact spans, corpus tokens) per domain: issue #19's dev
# targets where it sets one (SO dev F1 >= 0.94, S-NER F1 >= 0.90, SoMeSci P >= 0.60 with
# R >= 0.85), the rest just below what the rules scored when the gate was set (they are
# deterministic). Measured (P / R / F1): dev 0.961 / 0.936 / 0.948, sner_train 0.911 /
# 0.896 / 0.903, somesci_devel every 2nd doc 0.646 / 0.969 (31 of 32) / 0.775.
GATES = {
    "dev": {"p": 0.95, "r": 0.93, "f": 0.94},
    "sner_train": {"p": 0.90, "r": 0.89, "f": 0.90},
    "somesci_devel": {"p": 0.60, "r": 0.85, "f": 0.70},
}
# Where each domain's gold comes from, how many docs the gate scores, and which of them:
# SoMeSci devel (283k tokens) took 220 s whole on this 2-core machine, so its gate scores a
# fixed subset, every 2nd doc (sentence) from the first: 4,861 docs, 32 mentions.
DOMAINS = {
    "dev": {"fixture": "data_dir", "file": "dev.txt", "every": 1, "n_docs": 4607},
    "sner_train": {"fixture": "ood_dir", "file": "sner_train.txt", "every": 1, "n_docs": 3735},
    "somesci_devel": {"fixture": "ood_dir", "file": "somesci_devel.txt", "every": 2, "n_docs": 4861},
}


def gold_of(request, rule_nlp, domain: str):
    spec = DOMAINS[domain]
    folder = request.getfixturevalue(spec["fixture"])
    return load_gold(folder / spec["file"], rule_nlp)[::spec["every"]]


@pytest.fixture(scope="module")
def dev_gold(data_dir, rule_nlp):
    return load_gold(data_dir / DOMAINS["dev"]["file"], rule_nlp)


@pytest.fixture(scope="module")
def dev_tokens(rule_nlp, dev_gold):
    """The rules on dev's corpus tokens, scored once for the tests of this module."""
    return score_rules(rule_nlp, dev_gold, "tokens")


def check_gates(domain: str, acc) -> None:
    gates = GATES[domain]
    assert acc.n_docs == DOMAINS[domain]["n_docs"]
    scores = {"p": acc.precision, "r": acc.recall, "f": acc.f1}
    failed = {k: (round(scores[k], 4), minimum) for k, minimum in gates.items() if scores[k] < minimum}
    assert not failed, f"{domain}: below the gate (score, gate): {failed}; {acc}"


def test_accuracy_dev_split_tokens(dev_tokens):
    check_gates("dev", dev_tokens)


@pytest.mark.parametrize("domain", ["sner_train", "somesci_devel"])
def test_accuracy_out_of_domain_tokens(request, rule_nlp, domain):
    check_gates(domain, score_rules(rule_nlp, gold_of(request, rule_nlp, domain), "tokens"))


def test_accuracy_gates_cover_every_dev_domain_but_somesci_train():
    """SoMeSci train (864k tokens) is left to `evaluate`: too slow for CI, and the place a
    user's own text would be reviewed and trained on; every other dev domain is gated."""
    from spacy_rulelang.scoring.domains import DEV_DOMAINS

    assert set(GATES) == set(DOMAINS) == set(DEV_DOMAINS) - {"somesci_train"}
    assert all(set(g) == {"p", "r", "f"} and all(0 < v < 1 for v in g.values()) for g in GATES.values())


def test_accuracy_dev_split_raw_text_within_002(rule_nlp, dev_gold, dev_tokens):
    raw = score_rules(rule_nlp, dev_gold, "raw")
    assert abs(raw.f1 - dev_tokens.f1) <= 0.02, (raw, dev_tokens)
    assert all(rule for rule in raw.per_rule)


def test_accuracy_beats_plain_gazetteer(rule_nlp, dev_gold, dev_tokens):
    """The catalogue as a case-insensitive gazetteer (spaCy's EntityRuler) is far worse."""
    from spacy_rulelang.scoring.rule_benchmark import score_gazetteer

    gazetteer = score_gazetteer(rule_nlp, dev_gold)
    assert dev_tokens.precision > gazetteer.precision + 0.1 and dev_tokens.f1 > gazetteer.f1 + 0.05
