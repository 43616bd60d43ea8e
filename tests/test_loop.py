"""The loop's pieces: ranking by priority, picking within a budget, the simulated reviewer."""
import json

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
