"""Fixtures the merge tests share."""
import pytest
import spacy

from spacy_rulelang.ruler.extensions import register_extensions


@pytest.fixture(scope="module")
def rules_nlp():
    """Blank English with rulelang (rule spans only); the merges below are built on it."""
    register_extensions()
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    return nlp
