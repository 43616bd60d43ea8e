"""The domain profile: policies change the rules' decisions, travel with the pipeline, and the
reviewed sentences are tests that fail if a rejected behaviour comes back."""
import warnings

import pytest
import spacy
from spacy.tokens import Doc
from spacy.util import make_tempdir

from spacy_rulelang.ruler.context import context_signature, name_kind
from spacy_rulelang.ruler.profile import Profile, check_profile
from spacy_rulelang.ruler.records import tag_texts

from conftest import TAGGER_PACKAGE

WRITTEN = "The code is written in C ."
STATA = "We used Stata for the analysis ."


def words_and_spaces(text):
    words = text.split()
    return words, [True] * (len(words) - 2) + [False, False]


def spans(nlp, text):
    doc = nlp(Doc(nlp.vocab, *words_and_spaces(text)))
    return [(s.text, s._.rulelang_rule) for s in doc.spans["rulelang"]]


def profile_test(text, start, end, expect):
    words, spaces = words_and_spaces(text)
    return {"expect": expect, "words": words, "spaces": spaces, "start": start, "end": end}


PROFILE = {
    "policies": [
        {"policy": "never", "surface": "c", "rule": "cue_before", "signature": "plain"},
        {"policy": "always", "surface": "stata", "rule": None, "signature": "plain"},
    ],
    "entries": [{"id": "zorblang", "name": "Zorblang", "aliases": ["zorblang"]}],
    "tests": [profile_test(WRITTEN, 5, 6, "no_match"), profile_test(STATA, 2, 3, "match")],
}


@pytest.mark.parametrize("text,start,end,signature", [
    ("Panel C shows the mean .", 1, 2, "figure"),
    ("AS1 and AS2 were compared .", 2, 3, "list:short_code"),
    ("Samples ( C ) were kept at 4 C .", 2, 3, "parenthesised"),
    ("Samples were kept at 4 C .", 5, 6, "after_number"),
    ("C is small .", 0, 1, "sentence_initial"),
])
def test_profile_context_signature(text, start, end, signature):
    assert context_signature(text.split(), start, end) == signature


def test_profile_signature_skips_whitespace_tokens():
    assert context_signature(["Panel", "\n", "C", "shows"], 2, 3) == context_signature(["Panel", "C", "shows"], 1, 2)


def test_profile_policies_change_decisions(fresh_rule_nlp):
    nlp = fresh_rule_nlp
    assert spans(nlp, WRITTEN) == [("C", "cue_before")]
    assert spans(nlp, STATA) == []
    nlp.get_pipe("rulelang").set_profile(Profile.from_dict(PROFILE))
    assert spans(nlp, WRITTEN) == []
    assert spans(nlp, STATA) == [("Stata", "profile_always")]
    assert spans(nlp, "The tool is written in Zorblang .") == [("Zorblang", "unambiguous_alias")]
    # the same surface form elsewhere keeps the rules' decision
    assert spans(nlp, "It compiles C code quickly .") == [("C", "cue_after")]
    why = next(tag_texts(nlp, [WRITTEN], explain=True))["candidates"][0]
    assert why["rejected_by"] == "profile_never" and why["evidence"]["profile"].startswith("never")


def test_profile_kind_policy_needs_evidence(fresh_rule_nlp):
    nlp = fresh_rule_nlp
    nlp.get_pipe("rulelang").set_profile(Profile.from_dict({"policies": [
        {"policy": "needs_evidence", "rule": "cue_before", "name_kind": "single_capital"}]}))
    assert spans(nlp, WRITTEN) == [("C", "cue_before")]  # "written in" is a cue: evidence
    nlp.get_pipe("rulelang").set_profile(Profile.from_dict({"policies": [
        {"policy": "never", "rule": "cue_before", "name_kind": "single_capital"}]}))
    assert spans(nlp, WRITTEN) == []


def test_profile_check_fails_when_behaviour_comes_back(fresh_rule_nlp):
    nlp = fresh_rule_nlp
    profile = Profile.from_dict(PROFILE)
    failing = check_profile(nlp, profile)  # the rules as shipped: both reviewed cases fail
    assert [f.test.name for f in failing] == ["C", "Stata"]
    nlp.get_pipe("rulelang").set_profile(profile)
    assert check_profile(nlp, profile) == []


def test_profile_travels_with_the_pipeline(tmp_path, monkeypatch):
    path = tmp_path / "profile.json"
    Profile.from_dict(PROFILE).write(path)
    nlp = spacy.load(TAGGER_PACKAGE, exclude=["ner", "parser", "lemmatizer"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a profile of our own loads without a warning
        nlp.add_pipe("rulelang", config={"profile": str(path)})
    before = spans(nlp, STATA)
    nlp.to_disk(tmp_path / "pipeline")
    path.unlink()  # the saved copy is read, not the user's file
    monkeypatch.chdir(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert spans(loaded, STATA) == before == [("Stata", "profile_always")]
    assert (tmp_path / "pipeline" / "rulelang" / "profile.json").exists()


def test_profile_none_loaded_writes_no_file(rule_nlp):
    with make_tempdir() as tmp:
        rule_nlp.get_pipe("rulelang").to_disk(tmp)
        assert not (tmp / "profile.json").exists()


@pytest.mark.parametrize("data,code", [
    ({"policies": [{"policy": "maybe", "surface": "c", "signature": "plain"}]}, "E352"),
    ({"policies": [{"policy": "never", "rule": "pos_propn", "name_kind": "tiny"}]}, "E352"),
    ({"policies": [{"policy": "never", "name_kind": "single_capital"}]}, "E351"),
    ({"policies": [{"policy": "never", "surface": "c"}]}, "E351"),
    ({"tests": [{"expect": "match", "words": ["C"], "spaces": [False], "start": 0, "end": 2}]}, "E351"),
    ({"colour": "red"}, "E351"),
    ([], "E351"),
])
def test_profile_validation_has_codes(data, code):
    with pytest.raises(ValueError, match=code):
        Profile.from_dict(data, "profile.json")


def test_profile_read_errors(tmp_path):
    with pytest.raises(ValueError, match="E350"):
        Profile.read(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{", encoding="utf8")
    with pytest.raises(ValueError, match="E350"):
        Profile.read(tmp_path / "bad.json")


def test_profile_roundtrip_bytes():
    profile = Profile.from_dict(PROFILE)
    again = Profile.from_bytes(profile.to_bytes())
    assert again.to_dict() == profile.to_dict()
    assert name_kind("Zorblang") == "capitalised"


def made_up_sentences(n=500):
    """n sentences from templates we wrote: profiled and unprofiled names in several contexts."""
    names = ["C", "Stata", "Python", "R", "Go", "Zorblang", "Rust", "Java"]
    frames = ["The code is written in {} .", "We used {} for the analysis .", "Panel {} shows the mean .",
              "{} and Python were compared .", "Samples ( {} ) were kept at 4 C .", "I wrote a {} script today .",
              "Is {} faster than Java ?", "See figure 2 , where {} is plotted ."]
    out = []
    for i in range(n):
        frame, name = frames[i % len(frames)], names[(i // len(frames)) % len(names)]
        out.append(frame.format(name) if i % 3 else frame.format(name).replace(" .", " now ."))
    return out


def test_profile_travels_to_a_fresh_process_with_identical_spans(tmp_path):
    """Saved with its profile, the pipeline loads in a new process from its own folder (another
    working directory, the user's profile file gone) and gives the same spans on 500 sentences."""
    import json
    import subprocess
    import sys

    path = tmp_path / "profile.json"
    Profile.from_dict(PROFILE).write(path)
    nlp = spacy.load(TAGGER_PACKAGE, exclude=["ner", "parser", "lemmatizer"])
    nlp.add_pipe("rulelang", config={"profile": str(path)})
    texts = made_up_sentences()
    here = [[(s.start_char, s.end_char, s.label_, s._.rulelang_rule) for s in doc.spans["rulelang"]]
            for doc in nlp.pipe(texts)]
    assert any(rule == "profile_always" for doc in here for *_, rule in doc)  # Stata, kept by the profile
    assert not [t for t, doc in zip(texts, here) if t == WRITTEN and doc]  # C after "written in": never
    nlp.to_disk(tmp_path / "pipeline")
    path.unlink()
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf8")
    (tmp_path / "elsewhere").mkdir()
    script = ("import json, spacy, sys\n"
              "nlp = spacy.load(sys.argv[1])\n"
              "texts = json.load(open(sys.argv[2], encoding='utf8'))\n"
              "print(json.dumps([[(s.start_char, s.end_char, s.label_, s._.rulelang_rule)"
              " for s in d.spans['rulelang']] for d in nlp.pipe(texts)]))\n")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "pipeline"), str(tmp_path / "texts.json")],
                            cwd=tmp_path / "elsewhere", capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    there = json.loads(result.stdout)
    assert there == [[list(span) for span in doc] for doc in here]


def model_doc(nlp, words, model_spans=(), key="model"):
    doc = Doc(nlp.vocab, words=words)
    doc.spans[key] = [doc[s:e] for s, e in model_spans]
    return doc


def found(nlp, doc):
    doc = nlp(doc)  # held here: a SpanGroup does not keep its doc alive
    return [s.text for s in doc.spans["rulelang"]]


def test_profile_needs_evidence_counts_the_models_agreement(fresh_rule_nlp):
    """With `model_key`, the model finding the name is evidence: a "needs evidence" decided on
    names the model disputed leaves alone those it agrees with."""
    nlp = fresh_rule_nlp
    words = "Scala was slow for us .".split()
    doc = nlp(model_doc(nlp, words))
    assert [s.text for s in doc.spans["rulelang"]] == ["Scala"]
    rule = doc.spans["rulelang"][0]._.rulelang_rule
    policy = {"policy": "needs_evidence", "rule": rule, "name_kind": "capitalised"}
    nlp.get_pipe("rulelang").set_profile(Profile.from_dict({"model_key": "model", "policies": [policy]}))
    assert found(nlp, model_doc(nlp, words)) == []
    assert found(nlp, model_doc(nlp, words, [(0, 1)])) == ["Scala"]
    assert found(nlp, model_doc(nlp, words, [(0, 1)], key="other")) == []
    # a line break before the name: the model's offsets are the doc's, not the rules' view's
    broken = ["Notes", ":", "\n", "Scala", "was", "slow", "."]
    assert found(nlp, model_doc(nlp, broken, [(3, 4)])) == ["Scala"]
    assert found(nlp, model_doc(nlp, broken)) == []
    # without model_key the model's spans are not evidence
    nlp.get_pipe("rulelang").set_profile(Profile.from_dict({"policies": [policy]}))
    assert found(nlp, model_doc(nlp, words, [(0, 1)])) == []


def test_profile_model_key_roundtrips_and_is_validated():
    profile = Profile.from_dict({"model_key": "model", "policies": []})
    assert Profile.from_bytes(profile.to_bytes()).model_key == "model"
    assert "model_key" not in Profile.from_dict({}).to_dict()  # absent: profiles written before read the same
    with pytest.raises(ValueError, match="E351"):
        Profile.from_dict({"model_key": ""})
