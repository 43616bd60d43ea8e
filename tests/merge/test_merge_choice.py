"""The merge shipped is chosen on the dev domains by a written rule (merge.policies.choose_policy),
and one candidate is the learned merge that keeps rule spans on names the model never saw."""
from __future__ import annotations

import doctest

import pytest
import spacy
import srsly
from spacy.tokens import Doc, Span

from spacy_rulelang.io.corpus import write_docbin
from spacy_rulelang.merge import policies
from spacy_rulelang.merge.fit import seen_names
from spacy_rulelang.merge.learned import LearnedMerge, check_weights
from spacy_rulelang.merge.policies import apply_choice, choose_policy, score_policies_per_domain

from support import LABEL, make_doc, merge_weights as weights

STATA = "The data were analysed with Stata and R .".split()
#        0   1    2    3        4    5     6   7 8


def offsets(spans):
    return [(s.start, s.end) for s in spans]


def row(name, *f, macro=None):
    domains = {f"d{i}": {"f": v} for i, v in enumerate(f)}
    return {"policy": name, "config": {"name": name}, "domains": domains,
            "macro": {"f": sum(f) / len(f) if macro is None else macro}}


def test_choose_policy_docstring_runs():
    assert doctest.testmod(policies).failed == 0


def test_a_candidate_that_loses_a_domain_is_not_chosen_however_good_its_macro():
    rows = [row("rules only", 0.94, 0.90, 0.70), row("greedy", 0.97, 0.95, 0.69), row("careful", 0.945, 0.90, 0.70)]
    choice = choose_policy(rows)
    assert choice["chosen"] == "careful" and choice["config"] == {"name": "careful"}
    assert choice["verdicts"]["greedy"] == "d2 0.690 < 0.700 - 0.005"
    assert choice["verdicts"]["careful"] == "qualifies"


def test_the_rules_alone_win_when_nothing_beats_them_and_ties_go_to_the_simpler():
    assert choose_policy([row("rules only", 0.9, 0.8), row("worse", 0.8, 0.8)])["chosen"] == "rules only"
    tied = [row("rules only", 0.9, 0.8), row("simple", 0.91, 0.8, macro=0.8555), row("fancy", 0.91, 0.8, macro=0.856)]
    assert choose_policy(tied)["chosen"] == "simple"  # within 0.001 of the best: the earlier wins


def test_choice_needs_the_rules_alone():
    with pytest.raises(ValueError, match="E392"):
        choose_policy([row("something", 0.9)])


def test_unseen_rule_spans_are_kept_against_the_model(rules_nlp):
    """Stata was never labelled in the model's training data: the model's silence is no veto."""
    doc = make_doc(rules_nlp.vocab, STATA, rules=[(5, 6, "name_evidence", 0.6), (7, 8, "cue_before", 0.6)],
                   candidates=[(5, 6, 0.01), (7, 8, 0.01)])
    w = {**weights({"model_prob": 8.0}, intercept=-4.0), "seen_names": ["python", "r"]}
    plain = LearnedMerge(rules_nlp, "m")
    plain.set_weights(w)
    assert offsets(plain(doc.copy()).ents) == []  # the model doubts both; the plain merge drops them
    keep = LearnedMerge(rules_nlp, "m", keep_unseen_rule_spans=True)
    keep.set_weights(w)
    assert offsets(keep(doc.copy()).ents) == [(5, 6)]  # Stata kept; R was seen, so the model decides
    rows = {r["text"]: r for r in keep.explain(doc.copy())}
    assert rows["Stata"]["kept_unseen"] and not rows["R"]["kept_unseen"]


def test_keep_unseen_without_seen_names_is_E390(rules_nlp):
    merge = LearnedMerge(rules_nlp, "m", keep_unseen_rule_spans=True)
    merge.set_weights(weights({}))
    with pytest.raises(ValueError, match="E390"):
        merge.decide(make_doc(rules_nlp.vocab, STATA, rules=[(5, 6, "x", 0.5)]))
    with pytest.raises(ValueError, match="E225"):
        check_weights({**weights({}), "seen_names": "python"}, "w")


def test_seen_names_are_the_lowercased_gold_entities(tmp_path):
    nlp = spacy.blank("en")
    doc = Doc(nlp.vocab, words="I like Python and R .".split())
    doc.ents = [Span(doc, 2, 3, label=LABEL), Span(doc, 4, 5, label=LABEL)]
    write_docbin([doc], tmp_path / "train.spacy")
    assert seen_names(tmp_path / "train.spacy", nlp) == ["python", "r"]


@pytest.fixture
def choice_pipeline(rules_nlp, tmp_path):
    """rules + a stand-in NER (entity ruler) + a hand-weighted learned merge that trusts the NER."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="fake_ner")
    ruler.add_patterns([{"label": LABEL, "pattern": "Brainfudge"}, {"label": LABEL, "pattern": "panel"}])
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    nlp.add_pipe("rulelang_learned_merge")
    nlp.get_pipe("rulelang_learned_merge").set_weights(
        {**weights({"model_agrees": 4.0}, intercept=-2.0), "seen_names": ["brainfudge", "panel"]})
    gold = Doc(nlp.vocab, words="We write Python and Brainfudge , see panel C .".split())
    gold.ents = [Span(gold, 2, 3, label=LABEL), Span(gold, 4, 5, label=LABEL)]
    write_docbin([gold], tmp_path / "dev.spacy")
    return nlp, tmp_path / "dev.spacy"


def test_candidates_are_scored_and_the_choice_is_shipped(choice_pipeline, tmp_path):
    nlp, dev = choice_pipeline
    table = srsly.read_json("configs/merge_candidates.json")
    assert list(table)[0] == "rules only"  # simpler first: ties go to it
    rows = score_policies_per_domain(nlp, [dev], table)
    by_name = {r["policy"]: r for r in rows}
    # Python: rules only; the learned merge follows the NER (Brainfudge right, "panel" wrong)
    assert by_name["rules only"]["r"] == 0.5 and by_name["rules only"]["p"] == 1.0
    assert by_name["learned merge"]["p"] == 0.5 and by_name["learned merge"]["r"] == 0.5
    # keeping unseen rule spans adds Python back: the best of the four
    assert by_name["learned merge, rule spans on names the model never saw kept"]["f"] == pytest.approx(0.8)
    choice = choose_policy(rows)
    assert choice["chosen"] == "learned merge, rule spans on names the model never saw kept"
    apply_choice(nlp, choice["config"])
    nlp.to_disk(tmp_path / "shipped")
    shipped = spacy.load(tmp_path / "shipped")
    assert shipped.get_pipe_config("rulelang_learned_merge")["keep_unseen_rule_spans"] is True
    doc = shipped("We write Python and Brainfudge , see panel C .")
    assert [e.text for e in doc.ents] == ["Python", "Brainfudge", "panel"]


def test_a_hand_set_choice_replaces_the_learned_merge(choice_pipeline, tmp_path):
    nlp, _ = choice_pipeline
    apply_choice(nlp, {"model_fills_gaps": False})
    assert nlp.pipe_names[-1] == "rulelang_merge"
    assert nlp.get_pipe_config("rulelang_merge")["model_fills_gaps"] is False
    assert [e.text for e in nlp("We write Python , see panel C .").ents] == ["Python"]
    with pytest.raises(ValueError, match="E218"):
        apply_choice(nlp, {"merge": "learned"})
    with pytest.raises(ValueError, match="E391"):
        apply_choice(nlp, {"merge": "neither"})


def test_choose_merge_cli_writes_the_report_and_the_chosen_pipeline(choice_pipeline, tmp_path):
    from typer.testing import CliRunner

    from spacy_rulelang.cli import app

    nlp, dev = choice_pipeline
    nlp.to_disk(tmp_path / "merged")
    report = tmp_path / "metrics" / "new" / "merge_choice.json"  # folders that do not exist yet
    result = CliRunner().invoke(app, ["choose-merge", str(tmp_path / "merged"), str(dev), "--output",
                                      str(tmp_path / "chosen"), "--report", str(report)])
    assert result.exit_code == 0, result.output
    written = srsly.read_json(report)
    assert written["choice"]["chosen"] == "learned merge, rule spans on names the model never saw kept"
    assert len(written["rows"]) == 4 and "qualifies" in result.output
    again = CliRunner().invoke(app, ["choose-merge", str(tmp_path / "merged"), str(dev), "--output",
                                     str(tmp_path / "other_seed"), "--use-choice", str(report)])
    assert again.exit_code == 0, again.output
    assert spacy.load(tmp_path / "other_seed").get_pipe_config("rulelang_learned_merge")["keep_unseen_rule_spans"]
