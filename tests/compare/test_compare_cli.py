"""`python -m spacy_rulelang compare`: outputs, bad input, atomic writes, determinism."""
import json

import pytest
import spacy
import srsly
from typer.testing import CliRunner

from spacy_rulelang.cli import app
from spacy_rulelang.compare.runner import OUTPUT_FILES, CompareOptions, load_pipeline, prepare, run_compare

from support import MODEL_PATTERNS, SENTENCES, write_conll
from support import read_outputs

runner = CliRunner()


@pytest.fixture(scope="module")
def pipelines(tagger_nlp, tmp_path_factory):
    """A tagger + stand-in 'model' (EntityRuler writing doc.ents) + the real rulelang,
    and the same pipeline without rulelang. Saved, as the CLI takes a path."""
    base = tmp_path_factory.mktemp("pipelines")
    tagger_nlp.to_disk(base / "tagger")
    nlp = spacy.load(base / "tagger", exclude=["ner", "parser", "lemmatizer"])
    nlp.add_pipe("entity_ruler").add_patterns(MODEL_PATTERNS)
    nlp.to_disk(base / "no_rulelang")
    nlp.add_pipe("rulelang")  # write_ents=True: the CLI must keep doc.ents the model's
    nlp.to_disk(base / "with_rulelang")
    merged = spacy.load(base / "no_rulelang")  # as configs/assemble.cfg builds it
    merged.add_pipe("rulelang", config={"write_ents": False})
    merged.add_pipe("rulelang_merge")  # doc.ents = merged, doc.spans["model"] = the model's
    merged.to_disk(base / "with_merge")
    return {"good": str(base / "with_rulelang"), "no_rulelang": str(base / "no_rulelang"),
            "merge": str(base / "with_merge")}


@pytest.fixture
def conll(tmp_path):
    return write_conll(tmp_path / "small.conll")


@pytest.fixture
def jsonl(tmp_path):
    path = tmp_path / "texts.jsonl"
    srsly.write_jsonl(path, [{"text": text} for text, _ in SENTENCES] + [{"text": "  "}])
    return path


def run(*args):
    result = runner.invoke(app, ["compare", *map(str, args)])
    return result


def test_compare_cli_conll_writes_all_outputs(pipelines, conll, tmp_path):
    out = tmp_path / "out"
    result = run(pipelines["good"], conll, "--output", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)  # no temp files left
    summary = json.loads((out / "summary.json").read_text())
    docs = summary["docs"]
    assert docs["in"] == docs["out"] == len(SENTENCES) and docs["accounted"]
    assert docs["with_disagreements"] + docs["without_disagreements"] == len(SENTENCES)
    assert summary["categories"] == {"rule_only": 1, "model_only": 1, "boundary": 1, "label": 1,
                                     "suspect_label": 2}
    assert summary["settings"]["model_key"] == "doc.ents"
    assert summary["rules"]["unambiguous_alias"]["precision"] == round(5 / 6, 6)  # "Java beans"
    calibration = json.loads((out / "calibration.json").read_text())
    assert calibration["version"] == 1
    assert calibration["rules"]["unambiguous_alias"]["precision"] == round(5 / 6, 6)
    assert "write_ents=False" in result.output
    groups = [json.loads(line) for line in (out / "groups.jsonl").read_text().splitlines()]
    assert groups and all(g["_view_id"] == "choice" and len(g["options"]) == 4 for g in groups)
    kinds = [g for g in groups if g["rulelang_group"]["group"]["level"] == "kind"]
    assert sum(g["meta"]["count"] for g in kinds) <= sum(summary["categories"].values())


def test_compare_cli_second_run_is_byte_identical(pipelines, conll, tmp_path):
    assert run(pipelines["good"], conll, "-o", tmp_path / "a").exit_code == 0
    assert run(pipelines["good"], conll, "-o", tmp_path / "b", "--n-process", 2).exit_code == 0
    assert read_outputs(tmp_path / "a") == read_outputs(tmp_path / "b")
    assert run(pipelines["good"], conll, "-o", tmp_path / "a").exit_code == 0
    assert read_outputs(tmp_path / "a") == read_outputs(tmp_path / "b")


def test_compare_cli_docbin_with_merge_reads_model_key(pipelines, conll, tmp_path):
    from spacy.vocab import Vocab

    from spacy_rulelang.io.corpus import read_conll, write_docbin

    gold = tmp_path / "test.spacy"
    write_docbin(read_conll(conll, Vocab()), gold)
    out = tmp_path / "out"
    result = run(pipelines["merge"], gold, "-o", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["model_key"] == "model" and summary["settings"]["data_kind"] == "spacy"
    assert summary["categories"] == {"rule_only": 1, "model_only": 1, "boundary": 1, "label": 1,
                                     "suspect_label": 2}


def test_compare_cli_jsonl_has_no_gold(pipelines, jsonl, tmp_path):
    out = tmp_path / "out"
    result = run(pipelines["good"], jsonl, "-o", out, "--gold")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["gold"] is False and summary["gold_agrees"] is None
    assert summary["docs"]["in"] == summary["docs"]["out"] == len(SENTENCES) + 1
    assert summary["docs"]["skipped"] == {"empty_text": 1}
    assert summary["categories"]["suspect_label"] == 0
    assert json.loads((out / "calibration.json").read_text())["rules"] == {}
    sessions = {t["_session_id"] for t in srsly.read_jsonl(out / "disagreements.jsonl")}
    assert sessions == {"rulelang_compare-rules", "rulelang_compare-model"}


def test_compare_cli_no_gold_and_limit(pipelines, conll, tmp_path):
    out = tmp_path / "out"
    result = run(pipelines["good"], conll, "-o", out, "--no-gold", "--limit", 3)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["docs"]["in"] == summary["docs"]["out"] == 3
    assert summary["docs"]["with_gold"] == 0 and summary["systems"] is None


@pytest.mark.parametrize("name,content,extra,code,line", [
    ("bad.jsonl", '{"text": "I love Python ."}\n{"text": "Java"}\n{"text": oops}\n', [], "E024", "line 3"),
    ("bad.jsonl", '{"text": "I love Python ."}\n{"body": "Java"}\n', ["--n-process", 2], "E025", "line 2"),
    ("bad.conll", "I\tO\tI\tO\nlove\tO\tlove\nPython\tB-Language\tPython\tO\n", [], "E020", "line 2"),
], ids=["jsonl-bad-json", "jsonl-no-text-n2", "conll-wrong-columns"])
def test_compare_cli_malformed_input_names_the_line(pipelines, tmp_path, name, content, extra, code, line):
    data = tmp_path / name
    data.write_text(content, encoding="utf8")
    result = run(pipelines["good"], data, "-o", tmp_path / "out", *extra)
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # wasabi wraps long paths at the terminal width
    assert code in output and line in output


@pytest.mark.parametrize("name,content,code,where", [
    ("latin1.jsonl", b'{"text": "I love Python ."}\n{"text": "caf\xe9 and Java"}\n', "E026",
     "line 2 (byte 41)"),
    ("latin1.conll", b"I\tO\tI\tO\n\nJ\xe4va\tO\tJava\tO\n", "E026", "line 3 (byte 10)"),
    ("garbage.spacy", b"\x00\xffnot a docbin", "E029", "garbage.spacy"),
], ids=["jsonl-latin1", "conll-latin1", "docbin-garbage"])
def test_compare_cli_undecodable_input_is_named_and_keeps_outputs(pipelines, conll, tmp_path, name,
                                                                  content, code, where):
    out = tmp_path / "out"
    assert run(pipelines["good"], conll, "-o", out).exit_code == 0
    before = read_outputs(out)
    data = tmp_path / name
    data.write_bytes(content)
    result = run(pipelines["good"], data, "-o", out)
    assert result.exit_code == 1
    assert code in result.output and where in result.output.replace("\n", " "), result.output
    assert read_outputs(out) == before


def test_compare_cli_data_folder_is_a_clear_error(pipelines, tmp_path):
    folder = tmp_path / "data.jsonl"
    folder.mkdir()
    result = run(pipelines["good"], folder, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "E027" in result.output


def test_compare_cli_pipeline_without_rulelang_says_how_to_fix(pipelines, conll, tmp_path):
    result = run(pipelines["no_rulelang"], conll, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "E100" in result.output and "add_pipe('rulelang')" in result.output


def test_compare_cli_missing_data_file(pipelines, tmp_path):
    result = run(pipelines["good"], tmp_path / "nope.conll", "-o", tmp_path / "out")
    assert result.exit_code == 1 and "E022" in result.output


def test_compare_cli_unknown_pipeline(conll, tmp_path):
    result = run(str(tmp_path / "missing_pipeline"), conll, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "E101" in result.output


def test_compare_cli_failing_run_keeps_earlier_outputs(pipelines, conll, tmp_path):
    out = tmp_path / "out"
    assert run(pipelines["good"], conll, "-o", out).exit_code == 0
    before = read_outputs(out)
    bad = tmp_path / "bad.conll"
    bad.write_text(conll.read_text() + "broken line with no tabs\n", encoding="utf8")
    result = run(pipelines["good"], bad, "-o", out)
    assert result.exit_code == 1 and "E020" in result.output
    assert read_outputs(out) == before
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)


def test_compare_cli_output_is_a_file(pipelines, conll, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    result = run(pipelines["good"], conll, "-o", target)
    assert result.exit_code == 1 and "E104" in result.output
    assert target.read_text() == "keep me"


def test_compare_run_requires_model_key_when_rulelang_writes_ents(pipelines, conll, tmp_path):
    nlp = spacy.load(pipelines["good"])  # rulelang has write_ents=True
    with pytest.raises(ValueError, match="E102"):
        prepare(nlp)
    nlp, notes = load_pipeline(pipelines["good"])  # the CLI path turns write_ents off
    assert notes and nlp.get_pipe_config("rulelang")["write_ents"] is False
    summary = run_compare(nlp, conll, tmp_path / "out", CompareOptions(show_progress=False))
    assert summary["docs"]["accounted"]
    assert "rulelang_compare_run" not in nlp.pipe_names  # the nlp is left as it was


def test_compare_cli_benchmark_streams_repeats(pipelines, conll):
    result = runner.invoke(app, ["benchmark-compare", pipelines["good"], str(conll), "--repeat", "3"])
    assert result.exit_code == 0, result.output
    assert "words/s" in result.output and "RSS MB" in result.output
    assert f"{len(SENTENCES)} sentences x 3 = {3 * len(SENTENCES)} docs" in result.output


def test_compare_cli_benchmark_worker_counts_side_by_side(pipelines, conll, tmp_path):
    result = runner.invoke(app, ["benchmark-compare", pipelines["good"], str(conll), "--repeat", "20",
                                 "--workers", "1,2", "--output", str(tmp_path / "bench.json")])
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "bench.json").read_text())
    assert [(r["backend"], r["workers"]) for r in rows] == [("local", 1), ("local", 2)]
    assert all(r["identical"] and r["docs"] == 20 * len(SENTENCES) for r in rows)
    assert rows[0]["speedup"] == 1.0 and all(r["driver_mb_all"] >= r["driver_mb_half"] > 0 for r in rows)
    assert "speedup" in result.output and "same bytes" in result.output


@pytest.mark.slow
def test_compare_cli_real_dev_split_accounts_for_every_sentence(pipelines, data_dir, tmp_path):
    out = tmp_path / "out"
    result = run(pipelines["good"], data_dir / "dev.txt", "-o", out, "--n-process", 2)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    docs = summary["docs"]
    assert docs["in"] == docs["out"] == 4607 and docs["accounted"]
    assert docs["with_disagreements"] + docs["without_disagreements"] + \
        sum(docs["skipped"].values()) == 4607
    assert docs["with_gold"] == 4607
    n_tasks = sum(1 for _ in srsly.read_jsonl(out / "disagreements.jsonl"))
    assert n_tasks == 3 * docs["with_disagreements"]  # gold, rules and model versions
    assert summary["rules"]["unambiguous_alias"]["spans"] > 0
    html = (out / "report.html").read_text()
    assert html.count('<section class="example"') == min(500, docs["with_disagreements"])


DRUG_SENTENCES = [  # (words, gold DRUG spans)
    (["Take", "aspirin", "or", "ibuprofen", "daily", "."], [(1, 2), (3, 4)]),
    (["No", "paracetamol", "after", "ibuprofen", "."], [(1, 2), (3, 4)]),
    (["The", "aspirin", "tree", "is", "green", "."], []),
]


@pytest.fixture(scope="module")
def span_ruler_pipeline(tmp_path_factory):
    """No rulelang: a SpanRuler with pattern ids is the rule source, an EntityRuler the model."""
    base = tmp_path_factory.mktemp("span_ruler")
    nlp = spacy.blank("en")
    nlp.add_pipe("span_ruler").add_patterns([
        {"label": "DRUG", "pattern": "aspirin", "id": "painkiller_list"},
        {"label": "DRUG", "pattern": "ibuprofen", "id": "painkiller_list"},
        {"label": "DRUG", "pattern": [{"LOWER": "paracetamol"}], "id": "token_pattern"}])
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "DRUG", "pattern": "ibuprofen"},
                                               {"label": "DRUG", "pattern": "paracetamol"}])
    nlp.to_disk(base / "pipe")
    gold = base / "gold.spacy"
    from spacy.tokens import Doc, DocBin, Span
    db = DocBin()
    for words, spans in DRUG_SENTENCES:
        doc = Doc(nlp.vocab, words=words)
        doc.ents = [Span(doc, s, e, label="DRUG") for s, e in spans]
        db.add(doc)
    db.to_disk(gold)
    return base / "pipe", gold


def test_compare_cli_any_rule_source_span_ruler(span_ruler_pipeline, tmp_path):
    pipe, gold = span_ruler_pipeline
    result = run(pipe, gold, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "E100" in result.output and "--rules-key" in result.output
    result = run(pipe, gold, "-o", tmp_path / "out", "--rules-key", "ruler", "--rule-name", "id")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["settings"]["labels"] == ["DRUG"] and summary["settings"]["rule_name"] == "id"
    assert summary["categories"]["rule_only"] == 2  # "aspirin" twice: the model never finds it
    assert summary["rules"]["painkiller_list"]["tp"] == 3 and summary["rules"]["painkiller_list"]["fp"] == 1
    assert summary["rules"]["token_pattern"]["precision"] == 1.0
    calibration = json.loads((tmp_path / "out" / "calibration.json").read_text())
    assert set(calibration["rules"]) == {"painkiller_list", "token_pattern"}
    tasks = list(srsly.read_jsonl(tmp_path / "out" / "disagreements.jsonl"))
    assert {t["meta"]["rules"] for t in tasks} == {"painkiller_list"}


def test_compare_then_apply_with_a_span_ruler_and_no_rulelang(span_ruler_pipeline, tmp_path):
    """The loop for any spaCy user's rules: SpanRuler + a model, compare, decide, apply."""
    from spacy.tokens import DocBin

    from spacy_rulelang.review import run_apply

    pipe, gold = span_ruler_pipeline
    out = tmp_path / "out"
    assert run(pipe, gold, "-o", out, "--rules-key", "ruler", "--rule-name", "id").exit_code == 0
    verdict = {0: "model", 2: "rules"}  # the reviewer overrules the gold labels of both
    decisions = []
    for task in srsly.read_jsonl(out / "disagreements.jsonl"):
        if task["meta"]["system"] != "rules":
            continue
        for d in task["rulelang_disagreements"]:
            span = [d["token_start"], d["token_end"] + 1, d["label"]]
            decisions.append({"doc": task["meta"]["doc"], "token_start": span[0], "token_end": span[1],
                              "label": d["label"], "text": d["text"], "category": d["category"],
                              "decision": verdict[task["meta"]["doc"]],
                              "spans": {"rules": [span], "model": [], "gold": None}})
    assert [(d["doc"], d["text"], d["category"]) for d in decisions] == [(0, "aspirin", "rule_only"),
                                                                         (2, "aspirin", "rule_only")]
    srsly.write_jsonl(tmp_path / "decisions.jsonl", decisions)
    run_apply(tmp_path / "decisions.jsonl", gold, tmp_path / "applied", label="DRUG")
    docs = list(DocBin().from_disk(tmp_path / "applied" / "corrected.spacy").get_docs(spacy.blank("en").vocab))
    assert [[e.text for e in doc.ents] for doc in docs] == [["ibuprofen"], ["paracetamol", "ibuprofen"],
                                                          ["aspirin"]]


def test_compare_note_names_the_learned_merge():
    """The note names the merge step the pipeline has, not always rulelang_merge."""
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_checks": False, "write_ents": False})
    nlp.add_pipe("rulelang_learned_merge")
    setup, notes = prepare(nlp)
    assert setup.model_key == "model"
    assert notes == ["The pipeline has rulelang_learned_merge: reading the model's entities "
                     "from doc.spans['model']."]


def test_compare_plain_function_returns_the_summary_and_notes(pipelines, conll, tmp_path):
    from spacy_rulelang.compare.runner import compare

    notes = []
    summary = compare(pipelines["good"], conll, tmp_path / "out",
                      CompareOptions(limit=3, show_progress=False), notes=notes)
    assert summary["docs"]["in"] == 3 and summary["settings"]["limit"] == 3
    assert any("write_ents=False" in note for note in notes)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(OUTPUT_FILES)


@pytest.mark.parametrize("name,error,code", [("missing.conll", FileNotFoundError, "E022"),
                                             ("data.csv", ValueError, "E023")])
def test_compare_checks_the_input_before_loading_the_pipeline(tmp_path, name, error, code):
    from spacy_rulelang.compare.runner import compare

    (tmp_path / "data.csv").write_text("a,b\n", encoding="utf8")
    with pytest.raises(error, match=code):  # not E101: the pipeline is never loaded
        compare(str(tmp_path / "no_such_pipeline"), tmp_path / name, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_check_input_says_the_kind_once_the_file_exists(conll, tmp_path):
    from spacy_rulelang.io.corpus import check_input

    assert check_input(conll) == "conll"
    with pytest.raises(FileNotFoundError, match="E022"):
        check_input(tmp_path / "nope.jsonl")
    with pytest.raises(ValueError, match="E023"):
        check_input(tmp_path / "nope.xml")


@pytest.mark.parametrize("value,expected", [("1,2", [1, 2]), ("4, 1,4", [1, 4]), ("0", "E103"),
                                            ("a,2", "E103"), ("", "E103")])
def test_benchmark_worker_counts(value, expected):
    from spacy_rulelang.compare.throughput import parse_worker_counts

    if isinstance(expected, list):
        assert parse_worker_counts(value) == expected
    else:
        with pytest.raises(ValueError, match=expected):
            parse_worker_counts(value)


def test_compare_cli_benchmark_bad_worker_counts_is_e103(pipelines, conll):
    result = runner.invoke(app, ["benchmark-compare", pipelines["good"], str(conll), "--backend", "ray",
                                 "--workers", "0,x"])
    assert result.exit_code == 1 and "E103" in result.output and "--workers" in result.output


def test_compare_benchmark_plain_function_returns_figures(pipelines, conll):
    from spacy_rulelang.compare.throughput import benchmark_compare

    lines = []
    result = benchmark_compare(pipelines["good"], conll, CompareOptions(show_progress=False),
                               repeat=2, log=lines.append)
    assert lines == [f"{len(SENTENCES)} sentences x 2 = {2 * len(SENTENCES)} docs"]
    assert result.docs == 2 * len(SENTENCES) and result.rows[-1]["docs"] == result.docs
    assert all(row["words_per_second"] > 0 and row["rss_mb"] > 0 for row in result.rows)
