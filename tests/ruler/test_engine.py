"""The rule engine on its own: registering rules, the rule table's order, one decision per
candidate. Docs are built by hand (`Doc(vocab, words=..., pos=...)`), so no model is needed."""
from __future__ import annotations

import pytest
from spacy.tokens import Doc

from support import blank_finder

from spacy_rulelang.ruler.conventions import Conventions
from spacy_rulelang.ruler.engine import STAGES, RuleSet, get_rules, register_rule, registered_rule_names
from spacy_rulelang.ruler.rules import DEFAULT_RULES


@pytest.fixture(scope="module")
def blank():
    return blank_finder()


@pytest.fixture(scope="module")
def nlp(blank):
    return blank[0]


@pytest.fixture(scope="module")
def finder(blank):
    return blank[1]


def decide(nlp, finder, words, pos, rules=DEFAULT_RULES, disabled=()):
    doc = Doc(nlp.vocab, words=words, pos=pos)
    ruleset = RuleSet(Conventions.load(), rules, disabled)
    return {doc[d.candidate.start:d.candidate.end].text: d for d in ruleset.decide(doc, None, finder, lambda d: None)}


def test_engine_register_rule_rejects_an_unknown_stage():
    with pytest.raises(ValueError, match=r"\[E340\].*maybe"):
        register_rule("never_registered", stage="maybe")


def test_engine_unknown_rule_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"\[E003\].*no_such_rule.*cue_before"):
        get_rules(["no_such_rule"])


def test_engine_every_default_rule_is_registered_with_a_stage():
    known = registered_rule_names()
    for rule in get_rules(DEFAULT_RULES):
        assert rule.name in known and rule.stage in STAGES and rule.func.__doc__


def test_engine_first_rule_that_applies_decides(nlp, finder):
    decided = decide(nlp, finder, ["I", "write", "Python", "and", "Go", "."],
                     ["PRON", "VERB", "PROPN", "CCONJ", "PROPN", "PUNCT"])
    assert decided["Python"].decision.rule == "unambiguous_alias"
    assert decided["Go"].decision.rule == "list_member" and decided["Go"].decision.accept


def test_engine_disabled_rule_is_skipped(nlp, finder):
    words, pos = ["I", "write", "Python", "and", "Go", "."], ["PRON", "VERB", "PROPN", "CCONJ", "PROPN", "PUNCT"]
    decided = decide(nlp, finder, words, pos, disabled=["list_member"])
    assert decided["Go"].decision is None or decided["Go"].decision.rule != "list_member"


def test_engine_rule_of_your_own_runs_in_config_order(nlp, finder):
    @register_rule("test_engine_always_reject", stage="reject")
    def always_reject(cand, ctx):
        return True

    decided = decide(nlp, finder, ["Python", "rocks"], ["PROPN", "VERB"],
                     rules=["test_engine_always_reject", *DEFAULT_RULES])
    assert decided["Python"].decision.rule == "test_engine_always_reject"
    assert not decided["Python"].decision.accept


def test_engine_ordinary_word_without_evidence_is_not_a_mention(nlp, finder):
    decided = decide(nlp, finder, ["Let", "'s", "go", "!"], ["VERB", "PRON", "VERB", "PUNCT"])
    assert not (decided["go"].decision and decided["go"].decision.accept)
