"""Candidate finding on its own: which token runs a catalogue alias could name, before any rule."""
from __future__ import annotations

import pytest
from spacy.tokens import Doc

from support import blank_finder



@pytest.fixture(scope="module")
def blank():
    return blank_finder()


@pytest.fixture(scope="module")
def nlp(blank):
    return blank[0]


@pytest.fixture(scope="module")
def finder(blank):
    return blank[1]


def found(nlp, finder, words):
    doc = Doc(nlp.vocab, words=words)
    return [(doc[c.start:c.end].text, c.entry.id, c.version, c.ambiguous) for c in finder(doc)]


def test_candidates_plain_and_ambiguous_names(nlp, finder):
    result = found(nlp, finder, ["Python", "and", "Go", "or", "go", "home"])
    assert ("Python", "python", None, False) in result
    assert ("Go", "go", None, True) in result and ("go", "go", None, True) in result
    assert all(text != "home" for text, *_ in result)


def test_candidates_versions_following_and_glued(nlp, finder):
    result = found(nlp, finder, ["Python", "3.11", "and", "python3"])
    assert ("Python", "python", "3.11", False) in result
    assert ("python3", "python", "3", False) in result


def test_candidates_raw_and_corpus_tokenizations_agree(nlp, finder):
    raw = nlp("I use C# daily")
    corpus = Doc(nlp.vocab, words=["I", "use", "C#", "daily"])
    assert [c.entry.id for c in finder(raw)] == [c.entry.id for c in finder(corpus)] == ["csharp"]


def test_candidates_empty_doc(nlp, finder):
    assert finder(Doc(nlp.vocab, words=[])) == []
