"""The CoNLL reader and `convert`: gold entities, and errors that name the line."""
import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from spacy_rulelang.cli import app
from spacy_rulelang.io.corpus import bio_to_spans, read_conll, read_jsonl_texts

SAMPLE = "I\tO\tI\tO\nlike\tO\tlike\tO\nObjective\tB-Language\tObjective\tO\nC\tI-Language\tC\tO\n" \
         "and\tO\tand\tO\nPython\tB-Language\tPython\tO\n\t\nNumPy\tB-Library\tNumPy\tO\n"


@pytest.mark.parametrize("tags,expected", [
    (["O", "B-Language", "I-Language", "O"], [(1, 3, "PROG_LANG")]),
    (["B-Language", "B-Language"], [(0, 1, "PROG_LANG"), (1, 2, "PROG_LANG")]),
    (["I-Language", "O"], [(0, 1, "PROG_LANG")]),
    (["B-Library", "I-Library", "B-Language"], [(2, 3, "PROG_LANG")]),
    (["B-Language", "I-Library"], [(0, 1, "PROG_LANG")]),
])
def test_corpus_bio_to_spans(tags, expected):
    assert bio_to_spans(tags, {"Language": "PROG_LANG"}) == expected


def test_corpus_read_conll(tmp_path):
    path = tmp_path / "sample.txt"
    path.write_text(SAMPLE, encoding="utf8")
    docs = list(read_conll(path, spacy.blank("en").vocab))
    assert [d.text for d in docs] == ["I like Objective C and Python", "NumPy"]
    assert [(e.text, e.label_) for e in docs[0].ents] == [("Objective C", "PROG_LANG"), ("Python", "PROG_LANG")]
    assert list(docs[1].ents) == []


@pytest.mark.parametrize("bad,message", [
    ("word\tO\tword\n", "line 3: expected 4 tab-separated columns"),
    ("word\tX-Language\tword\tO\n", "line 3: the tag 'X-Language' is not a BIO tag"),
])
def test_corpus_malformed_line_names_the_line(tmp_path, bad, message):
    path = tmp_path / "bad.txt"
    path.write_text("a\tO\ta\tO\n\n" + bad, encoding="utf8")
    with pytest.raises(ValueError, match=message):
        list(read_conll(path, spacy.blank("en").vocab))


def test_corpus_jsonl_errors_name_the_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "ok"}\n{"text": 3}\n', encoding="utf8")
    with pytest.raises(ValueError, match=r"line 2: .*\"text\""):
        list(read_jsonl_texts(path))
    path.write_text('{"text": "ok"}\n{"text": "no end}\n', encoding="utf8")
    with pytest.raises(ValueError, match=r"line 2: not valid JSON"):
        list(read_jsonl_texts(path))


def test_corpus_non_utf8_conll_names_line_and_byte(tmp_path):
    path = tmp_path / "bad.txt"
    data = b"a\tO\ta\tO\n\nb\tO\tb\tO\nc\xff\tO\tc\tO\n"
    path.write_bytes(data)
    offset = data.index(b"\xff")
    with pytest.raises(ValueError, match=r"\[E026\]") as err:
        list(read_conll(path, spacy.blank("en").vocab))
    assert f"{path}, line 4 (byte {offset})" in str(err.value) and "iconv" in str(err.value)


def test_corpus_convert_cli_non_utf8_keeps_earlier_output(tmp_path):
    src, out = tmp_path / "sample.txt", tmp_path / "train.spacy"
    src.write_text(SAMPLE, encoding="utf8")
    assert CliRunner().invoke(app, ["convert", str(src), str(out)]).exit_code == 0
    before = out.read_bytes()
    src.write_bytes(SAMPLE.encode() + b"caf\xe9\tO\tcafe\tO\n")
    result = CliRunner().invoke(app, ["convert", str(src), str(out)])
    output = " ".join(result.output.split())  # wasabi wraps long paths at the terminal width
    assert result.exit_code == 1 and "E026" in output and "line 9" in output
    assert out.read_bytes() == before


def test_corpus_convert_cli(tmp_path):
    src, out = tmp_path / "sample.txt", tmp_path / "out" / "train.spacy"
    src.write_text(SAMPLE, encoding="utf8")
    result = CliRunner().invoke(app, ["convert", str(src), str(out)])
    assert result.exit_code == 0, result.output
    docs = list(DocBin().from_disk(out).get_docs(spacy.blank("en").vocab))
    assert len(docs) == 2 and [e.label_ for e in docs[0].ents] == ["PROG_LANG", "PROG_LANG"]


def test_corpus_convert_cli_bad_line_fails_cleanly(tmp_path):
    src, out = tmp_path / "bad.txt", tmp_path / "train.spacy"
    src.write_text("a\tO\ta\tO\nb\tO\n", encoding="utf8")
    result = CliRunner().invoke(app, ["convert", str(src), str(out)])
    assert result.exit_code == 1 and "line 2" in result.output and not out.exists()


def test_corpus_convert_real_train_split(data_dir, tmp_path):
    out = tmp_path / "train.spacy"
    result = CliRunner().invoke(app, ["convert", str(data_dir / "train.txt"), str(out)])
    assert result.exit_code == 0, result.output
    docs = list(DocBin().from_disk(out).get_docs(spacy.blank("en").vocab))
    assert len(docs) == 14545
    assert sum(len(d.ents) for d in docs) == 736
