"""What `apply` makes of group decisions: a rejecting decision makes a policy only where the
rules emitted the names (review/profile_builder.py)."""
import pytest
from spacy.tokens import Doc

from spacy_rulelang.review.decision import GroupDecision
from spacy_rulelang.review.profile_builder import ProfileBuilder

WRITTEN = "The tool is written in R .".split()  # the rules accept "R" (a cue)


def build(*groups: GroupDecision):
    builder = ProfileBuilder(known_name=lambda text: True)
    for group in groups:
        builder.add_group(group)
    return builder.build()


def rules_spans(nlp, words):
    doc = nlp(Doc(nlp.vocab, words=words))
    return [s.text for s in doc.spans["rulelang"]]


@pytest.mark.parametrize("decision", ["never", "needs_evidence"])
def test_rejecting_group_on_names_no_rule_accepted_makes_no_policy(decision):
    # a group of the model's "R"s that no rule decided (rule null): the rules emit none of them
    group = GroupDecision(1, decision, "context", None, surface="r", signature="plain")
    assert build(group).policies == []


def test_accepting_group_on_names_no_rule_accepted_makes_a_policy():
    group = GroupDecision(1, "language", "context", None, surface="stata", signature="plain")
    assert [(p.policy, p.surface, p.rule) for p in build(group).policies] == [("always", "stata", None)]


def test_rejecting_group_on_an_accepting_rule_makes_a_policy():
    group = GroupDecision(1, "never", "context", "cue_before", surface="r", signature="plain")
    assert [(p.policy, p.rule) for p in build(group).policies] == [("never", "cue_before")]


def test_a_never_on_the_models_names_keeps_the_rules_names(fresh_rule_nlp):
    """The bug this rule fixes: "never R in plain text", decided on the model's R's, was
    scoped to any rule and dropped the rules' "written in R" in other text."""
    assert rules_spans(fresh_rule_nlp, WRITTEN) == ["R"]
    profile = build(GroupDecision(1, "never", "context", None, surface="r", signature="plain"),
                    GroupDecision(2, "never", "context", "cue_before", surface="c", signature="plain"))
    fresh_rule_nlp.get_pipe("rulelang").set_profile(profile)
    assert rules_spans(fresh_rule_nlp, WRITTEN) == ["R"]
    assert rules_spans(fresh_rule_nlp, "The tool is written in C .".split()) == []
