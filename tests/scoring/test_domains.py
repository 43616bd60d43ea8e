"""Every evaluation covers every domain: per-split scores and the macro average over the dev
splits in `evaluate`, `project results`, `evaluate-merge` and `benchmark`, on small made-up data."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.tokens import Doc
from typer.testing import CliRunner

from conftest import TAGGER_PACKAGE
from spacy_rulelang.cli import app
from spacy_rulelang.io.corpus import write_docbin
from spacy_rulelang.scoring.domains import dev_splits, macro_result, macro_scores, order_splits
from spacy_rulelang.scoring.evaluation import results_table, summarize_runs

LABEL = "PROG_LANG"
DOMAINS = ("dev", "sner_train", "somesci_train", "somesci_devel")
# (words, tags) per split, made up: each split is a different mix of hits and misses for the rules
TEXTS = {
    "dev": [("I use Python and JavaScript daily .", "O O B O B O O")],
    "sner_train": [("Rewrite it in Rust please .", "O O O B O O"),
                   ("Is Brainfudge a language ?", "O B O O O")],  # rules miss it
    "somesci_devel": [("We used MATLAB for statistics .", "O O B O O O"),
                      ("Nothing in panel C here .", "O O O O O O")],
    "test": [("Kotlin compiles to bytecode .", "B O O O O")],
}


def row(p: float, r: float, f: float) -> dict:
    return {"p": p, "r": r, "f": f, "words_per_second": 1000, "components": []}


def run_of(f_by_split: dict, model: bool = True) -> dict:
    """One seed's evaluate outputs with the same P, R, F1 = f for every system of a split."""
    return {split: {"systems": {s: row(f, f, f) for s in (("rules", "model", "combined") if model
                                                          else ("rules", "combined"))},
                    "raw_text": {"systems": {s: {"p": f, "r": f, "f": f / 2}
                                             for s in ("rules", "model", "combined")}}}
            for split, f in f_by_split.items()}


# --- the domains and the macro average ----------------------------------------------


def test_macro_scores_weigh_each_domain_the_same():
    macro = macro_scores([{"p": 1.0, "r": 0.5, "f": 0.6}, {"p": 0.5, "r": 0.5, "f": 0.5},
                          {"p": None, "r": 0.0, "f": 0.1}])  # a None P (nothing predicted) counts 0
    assert macro == pytest.approx({"p": 0.5, "r": 1 / 3, "f": 0.4})


def test_dev_splits_leave_every_test_split_out():
    assert dev_splits(["dev", "test", "sner_train", "test2", "my_test_set"]) == ["dev", "sner_train"]


def test_order_splits_puts_the_dev_domains_first_and_test_last():
    names = ["test", "zeta", "somesci_devel", "alpha", "somesci_train", "dev", "sner_train"]
    assert order_splits(names) == ["dev", "sner_train", "somesci_train", "somesci_devel",
                                   "alpha", "zeta", "test"]


def test_macro_result_needs_two_dev_splits_and_never_reads_test():
    assert macro_result(run_of({"dev": 0.9, "test": 0.1})) is None
    macro = macro_result(run_of({"test": 0.0, "somesci_devel": 0.4, "dev": 0.8}))
    assert macro["splits"] == ["dev", "somesci_devel"]
    assert macro["systems"]["rules"]["f"] == pytest.approx(0.6)
    assert macro["raw_text"]["systems"]["combined"]["f"] == pytest.approx(0.3)


def test_macro_result_keeps_only_systems_every_split_has():
    run = run_of({"dev": 0.9, "sner_train": 0.5})
    del run["sner_train"]["systems"]["model"]
    assert set(macro_result(run)["systems"]) == {"rules", "combined"}


# --- the results table and the summary over seeds -----------------------------------


def test_results_table_has_a_group_per_domain_and_the_macro_over_the_dev_domains():
    scores = {"test": 0.7, "somesci_devel": 0.2, "dev": 0.9, "somesci_train": 0.3, "sner_train": 0.6}
    table = results_table([run_of(scores)])
    lines = table.splitlines()
    assert lines[0] == ("| System | P (test) | R (test) | F1 (test) | F1 (test, raw text) "
                        + "".join(f"| P ({d}) | R ({d}) | F1 ({d}) " for d in DOMAINS)
                        + "| P (dev macro) | R (dev macro) | F1 (dev macro) | Words/s |")
    # test in its own columns only; the macro = (0.9 + 0.6 + 0.3 + 0.2) / 4 = 0.5
    assert lines[2] == ("| rules | 0.700 | 0.700 | 0.700 | 0.350 | 0.900 | 0.900 | 0.900 | 0.600 "
                        "| 0.600 | 0.600 | 0.300 | 0.300 | 0.300 | 0.200 | 0.200 | 0.200 "
                        "| 0.500 | 0.500 | 0.500 | 1,000 |")
    assert "dev macro: the mean of P, of R and of F1 over dev, sner_train, somesci_train, somesci_devel" in table


def test_summarize_runs_gives_mean_and_sd_of_the_macro_over_seeds():
    runs = [run_of({"dev": 0.9, "sner_train": 0.5, "test": 0.1}),
            run_of({"dev": 0.8, "sner_train": 0.4, "test": 0.2})]
    summary = summarize_runs(runs)
    macro = summary["macro"]
    assert macro["splits"] == ["dev", "sner_train"]
    # per seed: 0.7 and 0.6
    assert macro["words"]["rules"]["f"]["mean"] == pytest.approx(0.65)
    assert macro["words"]["rules"]["f"]["sd"] == pytest.approx(0.0707107, abs=1e-6)
    assert macro["words"]["rules"]["f_runs"] == [0.7, 0.6]
    assert "combined_minus_best_part" in macro["words"] and "text" in macro
    assert list(summary["splits"]) == ["dev", "sner_train", "test"]


def test_project_results_cli_orders_the_domains_and_adds_the_macro(tmp_path):
    folders = []
    for seed, shift in enumerate((0.0, 0.1, -0.1)):
        folder = tmp_path / "seeds" / str(seed)
        folder.mkdir(parents=True)
        names = ["test", *DOMAINS]
        random.Random(seed).shuffle(names)  # the files' order on disk must not matter
        for name, result in run_of({n: 0.5 + shift for n in names}).items():
            srsly.write_json(folder / f"{name}.json", result)
        folders.append(folder)
    out = tmp_path / "results"
    result = CliRunner().invoke(app, ["project", "results", *map(str, folders), "--output", str(out)])
    assert result.exit_code == 0, result.output
    header = (out / "results.md").read_text(encoding="utf8").splitlines()[0]
    positions = [header.index(f"F1 ({name})") for name in ("test", *DOMAINS, "dev macro")]
    assert positions == sorted(positions)
    assert "| rules | 0.500 ± 0.100 |" in (out / "results.md").read_text(encoding="utf8")
    summary = srsly.read_json(out / "results.json")
    assert list(summary["splits"]) == [*DOMAINS, "test"]
    assert summary["macro"]["words"]["rules"]["f"]["mean"] == pytest.approx(0.5)
    assert "dev macro: combined F1 minus the better of rules and model" in result.output


# --- the commands on small files, one per domain --------------------------------------


def write_conll2(path: Path, sentences) -> Path:
    """The out-of-domain format: word<TAB>tag (B-Language/O), a blank line between sentences."""
    lines = []
    for text, tags in sentences:
        lines += [f"{w}\t{'B-Language' if t == 'B' else 'O'}" for w, t in zip(text.split(), tags.split())]
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path


def write_spacy(path: Path, sentences) -> Path:
    vocab = spacy.blank("en").vocab
    docs = [Doc(vocab, words=text.split(), ents=[f"B-{LABEL}" if t == "B" else "O" for t in tags.split()])
            for text, tags in sentences]
    write_docbin(docs, path)
    return path


def test_two_column_files_read_like_four_column_ones_but_not_mixed(tmp_path):
    from spacy_rulelang.io.corpus import read_conll

    vocab = spacy.blank("en").vocab
    two = write_conll2(tmp_path / "two.txt", TEXTS["sner_train"])
    assert [[e.text for e in d.ents] for d in read_conll(two, vocab)] == [["Rust"], ["Brainfudge"]]
    mixed = tmp_path / "mixed.txt"
    mixed.write_text("We\tO\nuse\tO\tuse\tO\n", encoding="utf8")
    with pytest.raises(ValueError, match=r"\[E020\].*line 2: expected 2 "):
        list(read_conll(mixed, vocab))


@pytest.fixture
def domain_files(tmp_path) -> list:
    """dev and test as .spacy, S-NER and SoMeSci devel as 2-column text files."""
    return [write_spacy(tmp_path / "dev.spacy", TEXTS["dev"]),
            write_conll2(tmp_path / "sner_train.txt", TEXTS["sner_train"]),
            write_conll2(tmp_path / "somesci_devel.txt", TEXTS["somesci_devel"]),
            write_spacy(tmp_path / "test.spacy", TEXTS["test"])]


@pytest.fixture
def merge_pipeline(tmp_path) -> Path:
    """Stand-in model (an entity ruler 'fake_ner' that also tags "panel") + rules + merge, saved."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="fake_ner")
    ruler.add_patterns([{"label": LABEL, "pattern": "Brainfudge"}, {"label": LABEL, "pattern": "panel"}])
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    nlp.add_pipe("rulelang_merge")
    nlp.to_disk(tmp_path / "pipe")
    return tmp_path / "pipe"


def test_evaluate_cli_scores_every_domain_and_the_macro(merge_pipeline, domain_files, tmp_path):
    out = tmp_path / "metrics"
    result = CliRunner().invoke(app, ["evaluate", str(merge_pipeline), *map(str, domain_files),
                                      "--output", str(out)])
    assert result.exit_code == 0, result.output
    written = {p.stem: srsly.read_json(p) for p in out.glob("*.json")}
    assert set(written) == {"dev", "sner_train", "somesci_devel", "test"}
    assert written["sner_train"]["n_gold_entities"] == 2  # the 2-column file was read
    assert set(written["somesci_devel"]["systems"]) == {"rules", "combined"}
    rules = {name: written[name]["systems"]["rules"] for name in written}
    assert rules["dev"]["f"] == 1.0 and rules["sner_train"]["r"] == 0.5
    table = (out / "results.md").read_text(encoding="utf8")
    assert "F1 (sner_train)" in table and "F1 (dev macro)" in table
    macro_f = (rules["dev"]["f"] + rules["sner_train"]["f"] + rules["somesci_devel"]["f"]) / 3
    assert f"{macro_f:.3f}" in table.splitlines()[2].split("|")[-3]  # rules row, F1 (dev macro)
    assert "over dev, sner_train, somesci_devel" in result.output  # test is not in the macro


def test_evaluate_merge_cli_scores_each_policy_per_domain(merge_pipeline, domain_files, tmp_path):
    policies = tmp_path / "policies.json"
    srsly.write_json(policies, {"rules only": {"model_fills_gaps": False}, "as configured": {}})
    out = tmp_path / "policies_out.json"
    dev_files = [str(p) for p in domain_files if "test" not in p.stem]
    result = CliRunner().invoke(app, ["evaluate-merge", str(merge_pipeline), *dev_files,
                                      "--policies", str(policies), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["policy"]: r for r in srsly.read_json(out)}
    assert set(rows["rules only"]["domains"]) == {"dev", "sner_train", "somesci_devel"}
    only = rows["rules only"]
    assert (only["p"], only["r"], only["f"]) == tuple(only["domains"]["dev"][k] for k in "prf")
    assert only["domains"]["sner_train"]["r"] == 0.5  # the rules miss Brainfudge
    assert only["macro"]["splits"] == ["dev", "sner_train", "somesci_devel"]
    assert only["macro"]["f"] == pytest.approx(
        sum(d["f"] for d in only["domains"].values()) / 3)
    # the model fills the rules' gap on S-NER, and its "panel" costs precision on SoMeSci
    configured = rows["as configured"]["domains"]
    assert configured["sner_train"]["r"] == 1.0
    assert configured["somesci_devel"]["p"] < only["domains"]["somesci_devel"]["p"] == 1.0
    assert "Macro average" in result.output


def test_benchmark_scores_every_domain_and_the_macro(tagger_nlp, domain_files, tmp_path):
    from spacy_rulelang.cli.benchmark import run_benchmark

    out = tmp_path / "bench.json"
    result = run_benchmark(domain_files, TAGGER_PACKAGE, speed=False, output=out)
    assert list(result["domains"]) == ["dev", "sner_train", "somesci_devel", "test"]
    assert result["data"] == str(domain_files[0])  # top level: the first file, as with one file
    assert result["n_docs"] == 1 and result["domains"]["sner_train"]["n_docs"] == 2
    tokens = {name: d["accuracy"]["tokens"] for name, d in result["domains"].items()}
    assert result["macro"]["splits"] == ["dev", "sner_train", "somesci_devel"]
    assert result["macro"]["tokens"]["f"] == pytest.approx(
        sum(tokens[n]["f"] for n in ("dev", "sner_train", "somesci_devel")) / 3)
    assert srsly.read_json(out)["macro"]["splits"] == result["macro"]["splits"]


def test_benchmark_without_data_is_E322():
    from spacy_rulelang.cli.benchmark import run_benchmark

    with pytest.raises(ValueError, match=r"\[E322\]"):
        run_benchmark([], TAGGER_PACKAGE)


def test_evaluate_merge_without_data_is_E322():
    from spacy_rulelang.merge.policies import score_policies_per_domain

    with pytest.raises(ValueError, match=r"\[E322\]"):
        score_policies_per_domain(spacy.blank("en"), [], {"rules only": {}})
