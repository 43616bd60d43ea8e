"""evaluate: rules, model and combined scored in one pass, JSON + markdown outputs."""
from __future__ import annotations

from pathlib import Path

import pytest
import spacy
import srsly
from spacy.tokens import Doc, DocBin
from typer.testing import CliRunner

from spacy_rulelang.cli import app
from spacy_rulelang.corpus import write_docbin
from spacy_rulelang.evaluation import (evaluate_pipeline, results_table, split_name,
                                       system_components)

LABEL = "PROG_LANG"
SENTENCES = [
    # words, gold entity tags
    ("I use Python and JavaScript daily .".split(), ["O", "O", "U", "O", "U", "O", "O"]),
    ("Nothing to see here .".split(), ["O"] * 5),
]


def gold_docs(vocab):
    for words, tags in SENTENCES:
        ents = [f"B-{LABEL}" if t == "U" else t for t in tags]
        yield Doc(vocab, words=words, ents=ents)


@pytest.fixture
def gold_path(tmp_path) -> Path:
    path = tmp_path / "test.spacy"
    write_docbin(gold_docs(spacy.blank("en").vocab), path)
    return path


@pytest.fixture
def pipeline():
    """Stand-in model (an entity ruler named 'fake_ner') + rules + merge."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="fake_ner")
    ruler.add_patterns([{"label": LABEL, "pattern": "JavaScript"},
                        {"label": LABEL, "pattern": "daily"}])
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    nlp.add_pipe("rulelang_merge")
    return nlp


def test_evaluate_scores_each_system(pipeline, gold_path):
    result = evaluate_pipeline(pipeline, gold_path, model_components=["fake_ner"])
    systems = result["systems"]
    assert set(systems) == {"rules", "model", "combined"}
    assert (systems["model"]["p"], systems["model"]["r"]) == (0.5, 0.5)
    assert (systems["rules"]["p"], systems["rules"]["r"]) == (1.0, 1.0)
    # combined: rules' Python + JavaScript, plus the model's false "daily"
    assert systems["combined"]["p"] == pytest.approx(2 / 3)
    assert systems["combined"]["r"] == 1.0
    assert result["n_docs"] == 2 and result["n_words"] == 12 and result["n_gold_entities"] == 2
    assert systems["rules"]["components"] == ["rulelang"]
    assert systems["model"]["components"] == ["fake_ner"]
    assert all(s["words_per_second"] > 0 for s in systems.values())
    assert result["rules_by_rule"] == {"unambiguous_alias": {"tp": 2, "fp": 0, "precision": 1.0}}


def test_evaluate_reads_conll_too(pipeline, tmp_path):
    path = tmp_path / "dev.txt"
    path.write_text("I\tO\tI\tO\nlike\tO\tlike\tO\nPython\tB-Language\tPython\tO\n\t\n",
                    encoding="utf8")
    result = evaluate_pipeline(pipeline, path, model_components=["fake_ner"])
    assert result["systems"]["rules"]["f"] == 1.0


def test_evaluate_without_merge_reports_pipeline_only(gold_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_checks": False})
    assert set(system_components(nlp)) == {"rules", "combined"}
    result = evaluate_pipeline(nlp, gold_path)
    assert result["systems"]["combined"]["f"] == 1.0


def test_evaluate_default_model_factories():
    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    nlp.add_pipe("ner")
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    nlp.add_pipe("rulelang_merge")
    systems = system_components(nlp)
    assert systems["model"] == ["tok2vec", "ner"]
    assert systems["rules"] == ["rulelang"]


def test_evaluate_data_without_gold_is_a_coded_error(pipeline, tmp_path):
    path = tmp_path / "raw.spacy"
    db = DocBin()
    db.add(Doc(spacy.blank("en").vocab, words=["no", "gold"]))
    db.to_disk(path)
    with pytest.raises(ValueError, match=r"\[E217\]"):
        evaluate_pipeline(pipeline, path, model_components=["fake_ner"])


def test_results_table_lists_test_first_and_dev_f1():
    row = {"p": 0.9, "r": 0.8, "f": 0.847, "words_per_second": 12345}
    results = {"dev": {"systems": {"rules": row, "combined": row}},
               "test": {"systems": {"rules": row, "combined": row}}}
    table = results_table(results)
    assert table.splitlines()[0] == ("| System | P (test) | R (test) | F1 (test) | F1 (dev) "
                                     "| Words/s |")
    assert "| rules | 0.900 | 0.800 | 0.847 | 0.847 | 12,345 |" in table


def test_split_name_avoids_clashes():
    assert split_name("corpus/test.spacy") == "test"
    assert split_name("other/test.txt", ["test"]) == "test2"


def test_evaluate_cli_writes_metrics(pipeline, gold_path, tmp_path):
    pipeline.remove_pipe("fake_ner")  # evaluate a saved pipeline: rules + merge only
    pipeline.to_disk(tmp_path / "pipe")
    out = tmp_path / "metrics"
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "pipe"), str(gold_path),
                                      "--output", str(out)])
    assert result.exit_code == 0, result.output
    metrics = srsly.read_json(out / "test.json")
    assert metrics["systems"]["rules"]["f"] == 1.0
    assert "| rules |" in (out / "results.md").read_text(encoding="utf8")


def test_evaluate_cli_unknown_pipeline_says_what_to_do(gold_path):
    result = CliRunner().invoke(app, ["evaluate", "no_such_pipeline_xyz", str(gold_path)])
    assert result.exit_code == 1
    assert "assemble" in result.output
