"""The evidence tables are computed by a stated formula from annotated files (made-up here)."""
import pytest

from spacy_rulelang.catalogue.build.corpus_evidence import compute, main
from spacy_rulelang.catalogue.load import parse_entry

ENTRIES = [parse_entry(r) for r in [
    {"id": "r", "name": "R", "ambiguous": True},
    {"id": "python", "name": "Python"},
    {"id": "stata", "name": "Stata"},
    {"id": "actionscript", "name": "ActionScript", "versioned_aliases": ["as"]},
    {"id": "jinja", "name": "Jinja", "kind": "template"},
]]


def write(path, sentences):
    lines = []
    for sentence in sentences:
        for word in sentence.split():
            text, _, tag = word.partition("/")
            lines.append(f"{text}\t{tag or 'O'}")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path


def test_corpus_evidence_tables_follow_the_counts(tmp_path):
    so = write(tmp_path / "train.txt", ["I wrote a python3/B-Language script ."] * 3
               + ["The R/B-Language package works ."] * 3 + ["Plot R values ."]
               + ["Use Jinja/B-Library here ."] * 2 + ["Use Python/B-Language here ."] * 2)
    other = write(tmp_path / "sci.txt", ["We used Stata for it ."] * 25 + ["AS1 and AS2 differ ."] * 3)
    tables = compute([so], [other], ENTRIES)["tables"]
    assert "package" in tables["corpus"]["after"] and "values" not in tables["corpus"]["after"]
    assert tables["glued_version_ids"] == ["python"]
    assert tables["corpus_non_language_ids"] == ["stata"]
    assert "template" not in tables["tagged_kinds"] and "programming" in tables["tagged_kinds"]


def test_evidence_about_one_name_follows_its_own_counts(tmp_path):
    so = write(tmp_path / "train.txt",
               ["It runs in R/B-Language now ."] * 2 + ["I loaded it into R/B-Language ."]
               + ["The R/B-Language software is free ."] * 3 + ["Cells in C were fixed ."] * 3
               + ["It was written in C/B-Language ."] + ["We use R/B-Language ."] * 5
               + ["Plot R values ."])
    tables = compute([so], [], ENTRIES + [parse_entry({"id": "c", "name": "C", "ambiguous": True})])["tables"]
    assert tables["corpus_preposition_ids"] == ["r"]  # "in" and "into" counted together; "in C" is 1 of 4
    assert "in" in tables["corpus_tool_prepositions"] and "for" not in tables["corpus_tool_prepositions"]
    assert tables["corpus_name_after"] == {"r": ["software"]}
    assert tables["corpus_language_ids"] == ["r"]  # 11 of 12 written "R" mid-sentence are labelled


def test_corpus_evidence_refuses_a_test_split(tmp_path):
    path = write(tmp_path / "test.txt", ["x"])
    with pytest.raises(ValueError, match="E330"):
        main(["--so", str(path), "--output", str(tmp_path)])
