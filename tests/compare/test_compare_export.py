"""disagreements.jsonl: Prodigy ner_manual tasks, one version per system."""
import json
from collections import defaultdict

import pytest
import srsly
from murmurhash.mrmr import hash as murmur

from spacy_rulelang.compare.core import Disagreement
from spacy_rulelang.compare.export import example_tasks, set_hashes, token_offsets
from spacy_rulelang.compare.runner import CompareOptions, run_compare

from support import P, SENTENCES, light_nlp, write_conll

TASK_FIELDS = {"text": str, "tokens": list, "spans": list, "_input_hash": int, "_task_hash": int,
               "_view_id": str, "answer": str, "_session_id": str, "meta": dict}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("export")
    data = write_conll(base / "small.conll")
    summary = run_compare(light_nlp(), data, base / "out", CompareOptions(show_progress=False, dataset="so"))
    return list(srsly.read_jsonl(base / "out" / "disagreements.jsonl")), summary


def test_compare_export_tasks_have_ner_manual_fields(exported):
    tasks, _ = exported
    assert tasks
    for task in tasks:
        for field, kind in TASK_FIELDS.items():
            assert isinstance(task[field], kind), field
        assert task["_view_id"] == "ner_manual" and task["answer"] == "accept"
        for i, token in enumerate(task["tokens"]):
            assert set(token) == {"text", "start", "end", "id", "ws"}
            assert token["id"] == i and isinstance(token["ws"], bool)
            assert task["text"][token["start"]:token["end"]] == token["text"]
        for span in task["spans"]:
            assert set(span) == {"start", "end", "token_start", "token_end", "label"}
            assert all(isinstance(span[k], int) for k in ("start", "end", "token_start", "token_end"))
            first, last = task["tokens"][span["token_start"]], task["tokens"][span["token_end"]]
            assert span["token_start"] <= span["token_end"]  # inclusive, as Prodigy does
            assert (span["start"], span["end"]) == (first["start"], last["end"])
        meta = task["meta"]
        assert meta["system"] in ("gold", "rules", "model") and meta["categories"]
        assert isinstance(meta["priority"], float) and isinstance(meta["rank"], int)


def test_compare_export_versions_share_input_hash(exported):
    tasks, summary = exported
    by_input = defaultdict(dict)
    for task in tasks:
        by_input[task["_input_hash"]][task["_session_id"]] = task
    assert len(by_input) == summary["docs"]["with_disagreements"] == 6
    for versions in by_input.values():
        assert set(versions) == {"so-gold", "so-rules", "so-model"}
        assert len({v["text"] for v in versions.values()}) == 1
        rules, model = versions["so-rules"], versions["so-model"]
        if rules["meta"]["categories"] == "suspect_label":
            # rules and model agree; Prodigy shows them as one version next to gold
            assert rules["_task_hash"] == model["_task_hash"] != versions["so-gold"]["_task_hash"]
        else:
            assert rules["_task_hash"] != model["_task_hash"]


def test_compare_export_categories_of_the_small_corpus(exported):
    _, summary = exported
    assert summary["categories"] == {"rule_only": 1, "model_only": 1, "boundary": 1, "label": 1,
                                     "suspect_label": 2}
    assert summary["docs"]["in"] == summary["docs"]["out"] == len(SENTENCES)


def test_compare_export_hashes_follow_prodigy_semantics():
    task = set_hashes({"text": "Use Go", "spans": [{"start": 4, "end": 6, "label": P}],
                       "meta": {"a": 1}, "answer": "accept", "_session_id": "x"})
    expected_input = murmur(json.dumps({"text": "Use Go"}, sort_keys=True))
    assert task["_input_hash"] == expected_input
    assert task["_task_hash"] == murmur(str(expected_input) + json.dumps(
        {"spans": [{"start": 4, "end": 6, "label": P}]}, sort_keys=True))
    other = set_hashes({"text": "Use Go", "spans": [], "meta": {"b": 2}, "_session_id": "y"})
    assert other["_input_hash"] == task["_input_hash"]
    assert other["_task_hash"] != task["_task_hash"]
    kept = set_hashes({"text": "Use Go", "_input_hash": 1, "_task_hash": 2})
    assert (kept["_input_hash"], kept["_task_hash"]) == (1, 2)


def test_compare_export_example_tasks_offsets_without_trailing_space():
    words, spaces = ["I", "use", "C#", "!"], [True, True, False, False]
    text, tokens = token_offsets(words, spaces)
    assert text == "I use C#!"
    found = [Disagreement("rule_only", 2, 3, P, rule_span=(2, 3, P), rule="unambiguous_alias",
                          score=0.5)]
    tasks = example_tasks(words, spaces, systems={"gold": None, "rules": [(2, 3, P)], "model": []},
                          disagreements=found, dataset="d", doc_index=7, priority=0.5)
    assert [t["_session_id"] for t in tasks] == ["d-rules", "d-model"]
    assert tasks[0]["spans"] == [{"start": 6, "end": 8, "token_start": 2, "token_end": 2, "label": P}]
    assert tasks[0]["meta"]["rules"] == "unambiguous_alias" and tasks[0]["meta"]["doc"] == 7
    assert tasks[0]["_input_hash"] == tasks[1]["_input_hash"]
    assert tasks[0]["_task_hash"] != tasks[1]["_task_hash"]
