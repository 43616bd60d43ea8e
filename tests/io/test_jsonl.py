"""JSONL (and CoNLL) read and written by one helper: lines end at "\\n" only, a BOM is
skipped, and every problem is a coded error naming the file and line."""
import json
import warnings

import pytest
import spacy

from spacy_rulelang.catalogue.load import entries_from_jsonl, read_catalogue
from spacy_rulelang.io.corpus import read_conll_sentences, read_jsonl_texts
from spacy_rulelang.io.jsonl import dumps_line, loads, read_jsonl, read_jsonl_data, write_jsonl

SEPARATORS = "\u2028\u2029\u0085"
BOM = b"\xef\xbb\xbf"
RECORDS = [{"text": f"one{SEPARATORS}two", "n": 1}, {"text": "plain line", "n": 2},
           {"text": "tab\there, and a \"quote\"", "n": 3}]


def test_jsonl_round_trip_keeps_line_separators_inside_strings(tmp_path):
    path = tmp_path / "texts.jsonl"
    assert write_jsonl(path, RECORDS) == 3
    raw = path.read_bytes()
    assert raw.count(b"\n") == 3
    assert not any(sep.encode("utf8") in raw for sep in SEPARATORS)  # escaped when written
    assert [r for _, r in read_jsonl(path)] == RECORDS
    assert len(raw.decode("utf8").splitlines()) == 3  # other readers see three lines too


def test_jsonl_raw_separators_and_bom_written_by_others_read_back(tmp_path):
    """What another tool writes: raw U+2028/U+2029/U+0085 (valid JSON), a BOM, CRLF ends."""
    path = tmp_path / "texts.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in RECORDS]
    path.write_bytes(BOM + "\r\n".join(lines).encode("utf8") + b"\r\n")
    assert [(n, r) for n, r in read_jsonl(path)] == list(enumerate(RECORDS, start=1))
    assert [t for t, _ in read_jsonl_texts(path)] == [r["text"] for r in RECORDS]
    assert [r for _, r in read_jsonl_data(path.read_bytes(), str(path))] == RECORDS


def test_jsonl_dumps_line_is_one_line():
    line = dumps_line({"a": SEPARATORS + "\n\r"})
    assert line.endswith("\n") and len(line.splitlines()) == 1
    assert loads(line) == {"a": SEPARATORS + "\n\r"}


@pytest.mark.parametrize("content, line, problem", [
    (b'{"text": "ok"}\n{"text": "broken"\n', 2, "[E270]"),
    (b'{"text": "ok"}\n\n{"text": "caf\xe9"}\n', 3, "[E026]"),
    (b'{"text": "ok"}\n{"text": "lone \\ud800 half"}\n', 2, "lone surrogate"),
    (b'{"text": "ok"}\n{"text": "' + b"x" * 5_000_000 + b'"\n', 2, "[E270]"),
])
def test_jsonl_bad_line_is_a_coded_error_naming_file_and_line(tmp_path, content, line, problem):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    for read in (lambda: list(read_jsonl(path)),
                 lambda: list(read_jsonl_data(path.read_bytes(), str(path)))):
        with pytest.raises(ValueError) as err:
            read()
        message = str(err.value)
        assert f"{path}, line {line}" in message and problem in message, message[:300]
        assert len(message) < 1000  # the 5 MB line is not copied into the message


def test_jsonl_lone_surrogate_in_a_corpus_names_file_and_line(tmp_path):
    path = tmp_path / "texts.jsonl"
    path.write_bytes(b'{"text": "a pair \\ud83d\\ude00 is fine"}\n{"text": "\\udc00"}\n')
    with pytest.raises(ValueError, match=r"\[E024\]") as err:
        list(read_jsonl_texts(path))
    assert f"{path}, line 2" in str(err.value) and "lone surrogate" in str(err.value)


def test_jsonl_five_megabyte_line_simply_works(tmp_path):
    path = tmp_path / "big.jsonl"
    text = "Python " * 750_000
    write_jsonl(path, [{"text": text}, {"text": "small"}])
    assert path.stat().st_size > 5_000_000
    assert [t for t, _ in read_jsonl_texts(path)] == [text, "small"]


def test_conll_bom_is_not_part_of_the_first_word(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes(BOM + "Ruby\tB-Language\tRuby\tO\nrocks\tO\trocks\tO\n".encode("utf8"))
    assert [words for words, _, _ in read_conll_sentences(path)] == [["Ruby", "rocks"]]


def test_conll_empty_word_is_a_coded_error(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("I\tO\tI\tO\n\tO\t\tO\nRust\tB-Language\tRust\tO\n", encoding="utf8")
    with pytest.raises(ValueError, match=r"\[E271\]") as err:
        list(read_conll_sentences(path))
    assert f"{path}, line 2" in str(err.value)


def test_catalogue_file_with_bom_and_line_separator_reads(tmp_path):
    path = tmp_path / "langs.jsonl"
    entry = {"id": "mylang", "name": "MyLang", "aliases": ["mylang", f"my{SEPARATORS}lang"]}
    path.write_bytes(BOM + (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf8"))
    assert [e.id for e in read_catalogue(path)] == ["mylang"]


def _saved_pipeline(tmp_path):
    catalogue = tmp_path / "extra.jsonl"
    entry = {"id": "mylang", "name": f"My{SEPARATORS[0]}Lang", "aliases": ["mylang", "myl"]}
    catalogue.write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf8")
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"catalogue": str(catalogue), "pos_checks": False})
    nlp.to_disk(tmp_path / "pipeline")
    return nlp, tmp_path / "pipeline" / "rulelang" / "catalogue.jsonl"


def test_saved_pipeline_with_line_separator_in_catalogue_loads(tmp_path):
    nlp, saved = _saved_pipeline(tmp_path)
    text = "We use myl and Python."
    doc = nlp(text)
    before = [(s.text, s.id_) for s in doc.spans["rulelang"]]
    assert ("myl", "mylang") in before
    # a catalogue.jsonl written raw (as saves did before), with a BOM: it loads
    raw = "".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n"
                  for e in nlp.get_pipe("rulelang").entries)
    assert SEPARATORS[0] in raw
    saved.write_bytes(BOM + raw.encode("utf8"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = spacy.load(tmp_path / "pipeline")
    doc = loaded(text)
    assert [(s.text, s.id_) for s in doc.spans["rulelang"]] == before
    assert "mylang" in loaded.get_pipe("rulelang").ids


def test_saved_pipeline_bad_byte_in_catalogue_names_file_and_line(tmp_path):
    _, saved = _saved_pipeline(tmp_path)
    lines = saved.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"', b'"\xff', 1)
    saved.write_bytes(b"\n".join(lines))
    with pytest.raises(ValueError, match=r"\[E026\]") as err:
        spacy.load(tmp_path / "pipeline")
    assert f"{saved}, line 3" in str(err.value)


def test_saved_catalogue_bytes_parse_like_the_file():
    text = json.dumps({"id": "x1", "name": f"X{SEPARATORS}1"}, ensure_ascii=False) + "\n"
    assert [e.name for e in entries_from_jsonl(BOM + text.encode("utf8"), "cat.jsonl")] == [f"X{SEPARATORS}1"]
    assert [e.name for e in entries_from_jsonl(text, "cat.jsonl")] == [f"X{SEPARATORS}1"]
