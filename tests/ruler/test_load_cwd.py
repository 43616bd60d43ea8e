"""A saved pipeline reads its own copies of the catalogue and calibration, never the
relative paths of its config, whatever folder it is loaded from."""
import json
import os
import warnings

import pytest
import spacy

from spacy_rulelang.catalogue.load import load_catalogue

ENTRY = {"id": "mylang", "name": "MyLang", "aliases": ["mylang", "myl"]}
TEXTS = ["We rewrote MyLang code in Python.", "It is written in myl, not Go."]


def spans(nlp):
    docs = list(nlp.pipe(TEXTS))
    return [[(s.start, s.end, s.id_, s._.rulelang_rule, s._.rulelang_score) for s in doc.spans["rulelang"]]
            for doc in docs]


@pytest.fixture
def saved(tmp_path, monkeypatch):
    """A pipeline built with relative paths (src/cat.jsonl, src/calibration.json), saved,
    its src/ deleted."""
    build = tmp_path / "build"
    (build / "src").mkdir(parents=True)
    (build / "src" / "cat.jsonl").write_text(json.dumps(ENTRY) + "\n", encoding="utf8")
    (build / "src" / "calibration.json").write_text(json.dumps({"unambiguous_alias": 0.75}))
    monkeypatch.chdir(build)
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"catalogue": "src/cat.jsonl", "calibration": "src/calibration.json",
                                     "pos_checks": False})
    before = spans(nlp)
    assert any(s[2] == "mylang" for doc in before for s in doc)
    assert any(s[4] == 0.75 for doc in before for s in doc)
    nlp.to_disk(tmp_path / "pipeline")
    for name in ("cat.jsonl", "calibration.json"):
        os.remove(build / "src" / name)
    return tmp_path / "pipeline", before


@pytest.mark.parametrize("catalogue", [
    "{not json\n",  # E002 if read
    json.dumps({"id": "other", "name": "Other", "aliases": ["python"]}) + "\n",  # E005 if read
    json.dumps({"id": "python", "name": "Python"}) + "\n",  # W002 if read
])
def test_saved_pipeline_ignores_files_at_its_config_paths(saved, tmp_path, monkeypatch, catalogue):
    path, before = saved
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "src").mkdir(parents=True)
    (elsewhere / "src" / "cat.jsonl").write_text(catalogue, encoding="utf8")
    (elsewhere / "src" / "calibration.json").write_text("[not a calibration")
    monkeypatch.chdir(elsewhere)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nlp = spacy.load(path)
        assert spans(nlp) == before
        assert "other" not in nlp.get_pipe("rulelang").ids


def test_add_pipe_still_reads_a_bad_file_at_once(tmp_path):
    """Made by a user's add_pipe (not from a saved config), a bad file fails at once."""
    bad = tmp_path / "cat.jsonl"
    bad.write_text("{not json\n", encoding="utf8")
    with pytest.raises(ValueError, match=r"\[E002\]"):
        spacy.blank("en").add_pipe("rulelang", config={"catalogue": str(bad), "pos_checks": False})


def test_config_built_pipeline_reads_its_paths_at_initialize(tmp_path, monkeypatch):
    """`spacy assemble`-style: from a config, the paths are read at initialize."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cat.jsonl").write_text(json.dumps(ENTRY) + "\n", encoding="utf8")
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"catalogue": "cat.jsonl", "pos_checks": False})
    config = nlp.config
    fresh = spacy.util.load_model_from_config(config, auto_fill=True)
    fresh.initialize()
    assert "mylang" in fresh.get_pipe("rulelang").ids
    assert len(fresh.get_pipe("rulelang").entries) == len(load_catalogue("cat.jsonl"))
