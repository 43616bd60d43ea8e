"""The catalogue as data: validation errors name file and line; examples are checked."""
import json

import pytest
import spacy

from spacy_rulelang.catalogue.load import default_catalogue_path, load_catalogue, read_catalogue
from spacy_rulelang.io.corpus import read_conll_sentences, bio_to_spans
from spacy_rulelang.ruler.conventions import Conventions

ENTRIES = load_catalogue()
AMBIGUOUS = [e for e in ENTRIES if e.ambiguous]
# Labelled "Language" in the train split but not languages (or tokenization debris).
NOT_LANGUAGES_IN_TRAIN = {"android", "opendds", "pythons", "pythonwith", "ruby-on-rails-2-3-9-released",
                          "+css", "+html", "java ,", "bb code", "html js"}


def test_catalogue_is_large_and_has_ambiguous_entries():
    assert len(ENTRIES) >= 500
    assert {"go", "r", "c", "d", "swift", "rust", "ruby", "julia", "dart", "crystal", "scheme",
            "shell", "assembly", "processing", "self", "io", "red", "ring", "pony", "factor", "clean",
            "reasonml", "zig", "slash"} <= {e.id for e in AMBIGUOUS}
    by_id = {e.id: e for e in ENTRIES}
    assert {"js", "javascript", "ecmascript"} <= set(by_id["javascript"].aliases)
    assert not {"node"} & set(by_id["javascript"].aliases)  # Linguist's search key, an ordinary word
    assert {"clips", "jess", "scilab", "labview", "prolog"} <= set(by_id)
    assert not {"core_erlang", "twiml"} & set(by_id)


# An entry the rules always reject (a data format, a corpus exclusion) has no must_match.
ACCEPTABLE_AMBIGUOUS = [e for e in AMBIGUOUS if e.must_match]


@pytest.mark.parametrize("entry", ACCEPTABLE_AMBIGUOUS, ids=lambda e: e.id)
def test_catalogue_ambiguous_entries_have_examples(entry):
    assert len(entry.must_match) >= 2 and len(entry.must_not_match) >= 2


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_catalogue_every_entry_has_an_example(entry):
    assert entry.must_match or entry.must_not_match


NOT_LANGUAGES_IN_CORPORA = Conventions.load().non_language_ids
EXAMPLES = [(e.id, text, True) for e in ENTRIES for text in e.must_match] + \
           [(e.id, text, False) for e in ENTRIES for text in e.must_not_match]


@pytest.fixture(scope="module")
def example_ids(tagger_nlp):
    """Every example sentence through the pipeline at once (nlp.pipe keeps this fast).

    With `all_kinds`: the examples show each entry where it is tagged, templates and
    document markup included (by default they are not; tests/ruler/test_domain_classes.py)."""
    from conftest import TAGGER_PACKAGE

    nlp = spacy.load(TAGGER_PACKAGE, exclude=["ner", "parser", "lemmatizer"])
    nlp.add_pipe("rulelang", config={"all_kinds": True})
    texts = sorted({text for _, text, _ in EXAMPLES})
    found = {}
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=256)):
        ids = {part for s in doc.spans["rulelang"] for part in s.id_.split("+")}
        found[text] = (ids, [(s.text, s.id_, s._.rulelang_rule) for s in doc.spans["rulelang"]])
    return found


@pytest.mark.parametrize("lang_id,text,expected", EXAMPLES, ids=[f"{i}:{t[:30]}" for i, t, _ in EXAMPLES])
def test_catalogue_examples(example_ids, lang_id, text, expected):
    if lang_id in NOT_LANGUAGES_IN_CORPORA:
        expected = False  # the corpora label it an application (rule corpus_usage)
    ids, spans = example_ids[text]
    assert (lang_id in ids) is expected, spans


def test_catalogue_covers_every_language_labelled_in_train(data_dir):
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("rulelang", config={"pos_checks": False})
    missing = set()
    for words, tags, _ in read_conll_sentences(data_dir / "train.txt"):
        for start, end, _ in bio_to_spans(tags, {"Language": "PROG_LANG"}):
            text = " ".join(words[start:end])
            if text.lower() in NOT_LANGUAGES_IN_TRAIN:
                continue
            doc = nlp.make_doc(text)
            if not ruler.finder(doc):
                missing.add(text)
    assert not missing


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path


GOOD = json.dumps({"id": "mylang", "name": "MyLang", "aliases": ["mylang", "myl"]})


@pytest.mark.parametrize("bad,problem", [
    ('{"id": "x", "name": "X"', "not valid JSON"),
    ('["x"]', "expected a JSON object"),
    ('{"id": "x"}', "'name' must be a non-empty string"),
    ('{"id": "x", "name": "X", "kind": "music"}', "'kind' is 'music'"),
    ('{"id": "x", "name": "X", "aliases": "x"}', "'aliases' must be a list"),
    ('{"id": "x", "name": "X", "colour": "red"}', "unknown field"),
    ('{"id": "x", "name": "X", "ambiguous": true, "ambiguous_aliases": ["y"]}', "not in 'aliases'"),
    ('{"id": "x", "name": "X", "accept_propn": "yes"}', "'accept_propn' must be true or false"),
])
def test_catalogue_malformed_line_names_file_and_line(tmp_path, bad, problem):
    path = write_lines(tmp_path / "langs.jsonl", [GOOD, "", bad])
    with pytest.raises(ValueError) as err:
        read_catalogue(path)
    assert "[E002]" in str(err.value) and f"{path}, line 3" in str(err.value) and problem in str(err.value)


def test_catalogue_duplicate_alias_is_an_error(tmp_path):
    path = write_lines(tmp_path / "langs.jsonl", [json.dumps({"id": "notpython", "name": "NP", "aliases": ["python"]})])
    with pytest.raises(ValueError, match=r"\[E005\].*'python'"):
        load_catalogue(path, extend=True)


def test_catalogue_user_file_extends_or_replaces(tmp_path):
    path = write_lines(tmp_path / "langs.jsonl", [GOOD])
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"catalogue": str(path), "pos_checks": False})
    doc = nlp("MyLang beats Python")
    assert [(s.text, s.id_) for s in doc.spans["rulelang"]] == [("MyLang", "mylang"), ("Python", "python")]
    only = spacy.blank("en")
    only.add_pipe("rulelang", config={"catalogue": str(path), "extend_catalogue": False, "pos_checks": False})
    doc = only("MyLang beats Python")
    assert [s.text for s in doc.spans["rulelang"]] == ["MyLang"]


def test_catalogue_missing_file_is_a_clear_error_on_first_use(tmp_path):
    """Construction does not read a missing file (a saved pipeline brings its own copy);
    using the component without one is the error."""
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"catalogue": str(tmp_path / "nope.jsonl"), "pos_checks": False})
    with pytest.raises(FileNotFoundError, match=r"\[E004\].*nope.jsonl"):
        nlp("Python")


def test_catalogue_alias_clash_names_the_user_file_and_line(tmp_path):
    path = write_lines(tmp_path / "langs.jsonl", [GOOD, json.dumps({"id": "np", "name": "NP", "aliases": ["python"]})])
    with pytest.raises(ValueError, match=r"\[E005\]") as err:
        load_catalogue(path, extend=True)
    assert f"{path}, line 2" in str(err.value) and "'python'" in str(err.value)


def test_catalogue_duplicate_ids_name_both_lines(tmp_path):
    other = json.dumps({"id": "mylang", "name": "MyLang2", "aliases": ["ml2"]})
    path = write_lines(tmp_path / "langs.jsonl", [GOOD, "", other])
    with pytest.raises(ValueError, match=r"\[E009\]") as err:
        load_catalogue(path)
    assert f"{path}, line 3" in str(err.value) and "line 1" in str(err.value)


def test_catalogue_overriding_a_packaged_entry_warns(tmp_path):
    path = write_lines(tmp_path / "langs.jsonl", [json.dumps({"id": "python", "name": "Python", "aliases": ["py"]})])
    with pytest.warns(UserWarning, match=r"\[W002\].*line 1.*'python'"):
        entries = load_catalogue(path)
    assert [e.aliases for e in entries if e.id == "python"] == [("python", "py")]


@pytest.mark.parametrize("alias", [".", "  -- ", "()"])
def test_catalogue_punctuation_alias_is_an_error(tmp_path, alias):
    path = write_lines(tmp_path / "langs.jsonl", [json.dumps({"id": "dot", "name": "Dot", "aliases": [alias]})])
    with pytest.raises(ValueError, match=r"\[E010\]") as err:
        read_catalogue(path)
    assert f"{path}, line 1" in str(err.value)


def test_catalogue_non_utf8_names_file_line_and_byte(tmp_path):
    path = tmp_path / "langs.jsonl"
    path.write_bytes(GOOD.encode() + b"\n" + b'{"id": "x", "name": "\xff"}\n')
    with pytest.raises(ValueError, match=r"\[E026\]") as err:
        read_catalogue(path)
    assert f"{path}, line 2 (byte {len(GOOD) + 1 + 21})" in str(err.value)


def test_catalogue_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"\[E027\]"):
        load_catalogue(tmp_path)


def test_catalogue_default_file_is_packaged():
    assert default_catalogue_path().exists()
