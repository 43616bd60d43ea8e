"""evaluate: rules, model and combined scored in one pass, JSON + markdown outputs."""
from __future__ import annotations

from pathlib import Path

import pytest
import spacy
import srsly
from spacy.tokens import Doc, DocBin
from typer.testing import CliRunner

from spacy_rulelang.cli import app
from spacy_rulelang.io.corpus import write_docbin
from spacy_rulelang.scoring.evaluation import (evaluate_pipeline, results_table, split_name,
                                       summarize_runs, system_components)

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


def test_results_table_lists_test_first_then_a_group_per_split():
    row = {"p": 0.9, "r": 0.8, "f": 0.847, "words_per_second": 12345}
    results = {"dev": {"systems": {"rules": row, "combined": row}},
               "test": {"systems": {"rules": row, "combined": row}}}
    table = results_table([results])
    assert table.splitlines()[0] == ("| System | P (test) | R (test) | F1 (test) | P (dev) | R (dev) "
                                     "| F1 (dev) | Words/s |")
    assert "| rules | 0.900 | 0.800 | 0.847 | 0.900 | 0.800 | 0.847 | 12,345 |" in table
    assert "±" not in table  # one run: no sd
    assert "macro" not in table  # one dev split: no macro average


def system_row(f: float, p: float = 0.9, r: float = 0.8, wps: int = 1000) -> dict:
    return {"p": p, "r": r, "f": f, "words_per_second": wps, "components": []}


def make_run(rules_f: float, model_f: float, combined_f: float, *, wps: int = 1000,
             raw_f: float = None, splits=("dev", "test")) -> dict:
    """One seed's evaluate outputs: split -> result (what <split>.json holds)."""
    run = {}
    for split in splits:
        result = {"data": f"corpus/{split}.spacy", "tokenization": "words", "systems": {
            "rules": system_row(rules_f, wps=wps), "model": system_row(model_f, wps=wps),
            "combined": system_row(combined_f, wps=wps)}}
        if raw_f is not None:
            result["raw_text"] = {"systems": {k: {"p": 0.5, "r": 0.5, "f": raw_f}
                                              for k in ("rules", "model", "combined")}}
        run[split] = result
    return run


def test_results_table_over_runs_gives_mean_and_sd():
    runs = [make_run(0.8, 0.85, 0.9, wps=1000, raw_f=0.7), make_run(0.8, 0.9, 0.85, wps=3000, raw_f=0.8)]
    table = results_table(runs)
    lines = table.splitlines()
    assert lines[0] == ("| System | P (test) | R (test) | F1 (test) | F1 (test, raw text) | P (dev) "
                        "| R (dev) | F1 (dev) | Words/s |")
    assert len(lines) == 2 + 3
    # sd of (0.9, 0.85) = 0.0354; of (0.85, 0.9) too; of (0.7, 0.8) = 0.0707
    assert ("| combined | 0.900 ± 0.000 | 0.800 ± 0.000 | 0.875 ± 0.035 | 0.750 ± 0.071 "
            "| 0.900 ± 0.000 | 0.800 ± 0.000 | 0.875 ± 0.035 | 2,000 |") in lines
    assert "| rules | 0.900 ± 0.000 | 0.800 ± 0.000 | 0.800 ± 0.000 |" in table


def test_results_table_without_raw_text_in_every_run_has_no_raw_column():
    table = results_table([make_run(0.8, 0.85, 0.9, raw_f=0.7), make_run(0.8, 0.9, 0.85)])
    assert "raw text" not in table.splitlines()[0]


def test_results_table_main_split_and_missing_system():
    run = make_run(0.8, 0.85, 0.9, splits=("train", "dev"))
    del run["train"]["systems"]["model"]
    table = results_table([run], main="dev")
    assert table.splitlines()[0].startswith("| System | P (dev) | R (dev) | F1 (dev) | P (train) "
                                            "| R (train) | F1 (train) | P (dev macro) |")
    # train lacks the model: "-" there and in the macro average, which needs every split
    assert "| model | 0.900 | 0.800 | 0.850 | - | - | - | - | - | - | 1,000 |" in table
    assert "| rules | 0.900 | 0.800 | 0.800 | 0.900 | 0.800 | 0.800 | 0.900 | 0.800 | 0.800 |" in table


def test_summarize_runs_gives_the_margin_over_the_better_part():
    runs = [make_run(0.8, 0.85, 0.9, raw_f=0.7), make_run(0.8, 0.9, 0.85, raw_f=0.8)]
    summary = summarize_runs(runs)
    assert summary["n_runs"] == 2 and list(summary["splits"]) == ["dev", "test"]
    words = summary["splits"]["test"]["words"]
    # margins: 0.9 - 0.85 = +0.05 and 0.85 - 0.9 = -0.05
    assert words["combined_minus_best_part"]["mean"] == pytest.approx(0.0, abs=1e-12)
    assert words["combined_minus_best_part"]["sd"] == pytest.approx(0.0707107, abs=1e-6)
    assert words["combined"]["f"]["mean"] == pytest.approx(0.875)
    assert words["model"]["f"]["sd"] == pytest.approx(0.0353553, abs=1e-6)
    assert words["combined"]["f_runs"] == [0.9, 0.85]
    text = summary["splits"]["test"]["text"]
    assert text["rules"]["f"]["mean"] == pytest.approx(0.75)
    assert text["combined_minus_best_part"]["mean"] == pytest.approx(0.0)


def test_summarize_one_run_has_no_sd_and_no_text_view_without_raw_text():
    summary = summarize_runs([make_run(0.7, 0.8, 0.86)])
    margin = summary["splits"]["dev"]["words"]["combined_minus_best_part"]
    assert margin["mean"] == pytest.approx(0.06) and margin["sd"] is None
    assert "text" not in summary["splits"]["dev"]


def test_summarize_runs_without_model_has_no_margin():
    run = make_run(0.7, 0.8, 0.86)
    for result in run.values():
        del result["systems"]["model"]
    words = summarize_runs([run])["splits"]["test"]["words"]
    assert set(words) == {"rules", "combined"}


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
    assert metrics["tokenization"] == "words"
    assert set(metrics["raw_text"]["systems"]["rules"]) == {"p", "r", "f"}
    assert metrics["raw_text"]["systems"]["rules"]["f"] == 1.0
    table = (out / "results.md").read_text(encoding="utf8")
    assert "| rules |" in table and "F1 (test, raw text)" in table


def whitespace_pipeline():
    """rulelang behind a tokenizer that splits on whitespace only: "Python." stays one token."""
    from spacy.tokenizer import Tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = Tokenizer(nlp.vocab)
    nlp.add_pipe("rulelang", config={"pos_checks": False})
    return nlp


@pytest.fixture
def glued_gold_path(tmp_path) -> Path:
    vocab = spacy.blank("en").vocab
    doc = Doc(vocab, words=["I", "like", "Python", "."], spaces=[True, True, False, False],
              ents=["O", "O", f"B-{LABEL}", "O"])
    path = tmp_path / "glued.spacy"
    write_docbin([doc], path)
    return path


def test_evaluate_text_tokenization_uses_the_pipeline_tokenizer(glued_gold_path):
    nlp = whitespace_pipeline()
    words = evaluate_pipeline(nlp, glued_gold_path)
    text = evaluate_pipeline(nlp, glued_gold_path, tokenization="text")
    assert words["tokenization"] == "words" and text["tokenization"] == "text"
    assert words["systems"]["combined"]["f"] == 1.0
    assert text["systems"]["combined"]["f"] == 0.0  # "Python." is not an alias
    assert "rules_by_rule" in words and "rules_by_rule" not in text
    assert text["n_words"] == words["n_words"] == 4


def test_evaluate_text_tokenization_aligns_to_the_gold_words(pipeline, tmp_path):
    # the gold splits "C++" in three words; the tokenizer keeps it whole: the Scorer aligns
    vocab = spacy.blank("en").vocab
    doc = Doc(vocab, words=["I", "use", "Python", "and", "C", "+", "+", "."],
              spaces=[True, True, True, True, False, False, False, False],
              ents=["O", "O", f"B-{LABEL}", "O", f"B-{LABEL}", f"I-{LABEL}", f"I-{LABEL}", "O"])
    assert doc.text == "I use Python and C++."
    path = tmp_path / "split.spacy"
    write_docbin([doc], path)
    words = evaluate_pipeline(pipeline, path, model_components=["fake_ner"])
    text = evaluate_pipeline(pipeline, path, model_components=["fake_ner"], tokenization="text")
    assert words["systems"]["rules"]["r"] == 0.5  # "C + +" as three words is no alias
    assert text["systems"]["rules"]["r"] == 1.0 and text["systems"]["rules"]["p"] == 1.0


def test_evaluate_unknown_tokenization_is_E223(pipeline, gold_path):
    with pytest.raises(ValueError, match=r"\[E223\].*tokenization"):
        evaluate_pipeline(pipeline, gold_path, tokenization="tokens")


def write_run(folder: Path, run: dict) -> Path:
    folder.mkdir(parents=True)
    for split, result in run.items():
        srsly.write_json(folder / f"{split}.json", result)
    srsly.write_json(folder / "results.json", {"not": "a split"})  # ignored if present
    return folder


def test_project_results_cli_over_seeds(tmp_path):
    runs = [write_run(tmp_path / "seeds" / "0", make_run(0.8, 0.85, 0.9, raw_f=0.7)),
            write_run(tmp_path / "seeds" / "1", make_run(0.8, 0.9, 0.85, raw_f=0.8))]
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["project", "results", *map(str, runs), "--output", str(out)])
    assert result.exit_code == 0, result.output
    table = (out / "results.md").read_text(encoding="utf8")
    assert table == results_table([make_run(0.8, 0.85, 0.9, raw_f=0.7), make_run(0.8, 0.9, 0.85, raw_f=0.8)])
    assert "F1 (test)" in table and "F1 (dev)" in table and "0.875 ± 0.035" in table
    assert table in result.output
    summary = srsly.read_json(out / "results.json")
    assert summary["n_runs"] == 2 and summary["runs"] == [str(r) for r in runs]
    assert list(summary["splits"]) == ["dev", "test"]
    margin = summary["splits"]["test"]["words"]["combined_minus_best_part"]
    assert margin["sd"] == pytest.approx(0.0707107, abs=1e-6)
    assert "combined F1 minus the better of rules and model" in result.output


def test_project_results_cli_runs_with_different_splits_is_E229(tmp_path):
    a = write_run(tmp_path / "a", make_run(0.8, 0.85, 0.9))
    b = write_run(tmp_path / "b", make_run(0.8, 0.85, 0.9, splits=("test",)))
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["project", "results", str(a), str(b), "--output", str(out)])
    assert result.exit_code == 1
    assert "E229" in result.output
    assert not out.exists()


def test_project_results_cli_empty_run_folder_is_E229(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(app, ["project", "results", str(tmp_path / "empty"),
                                      "--output", str(tmp_path / "out")])
    assert result.exit_code == 1 and "E229" in result.output


def test_project_results_cli_reads_what_evaluate_wrote(pipeline, gold_path, tmp_path):
    pipeline.remove_pipe("fake_ner")
    pipeline.to_disk(tmp_path / "pipe")
    for seed in ("0", "1"):
        result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "pipe"), str(gold_path),
                                          "--output", str(tmp_path / "metrics" / seed)])
        assert result.exit_code == 0, result.output
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["project", "results", str(tmp_path / "metrics" / "0"),
                                      str(tmp_path / "metrics" / "1"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    table = (out / "results.md").read_text(encoding="utf8")
    assert "| rules | 1.000 ± 0.000 | 1.000 ± 0.000 | 1.000 ± 0.000 | 1.000 ± 0.000 |" in table


def test_evaluate_cli_unknown_pipeline_says_what_to_do(gold_path):
    result = CliRunner().invoke(app, ["evaluate", "no_such_pipeline_xyz", str(gold_path)])
    assert result.exit_code == 1
    assert "assemble" in result.output
