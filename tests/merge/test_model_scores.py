"""rulelang_model_scores: spancat probabilities of the NER's entities and of likely spans.

A tiny NER + spancat is trained once per session (a few seconds) on made-up sentences
and saved; each module loads its own copy (see `trained_model_dir`, also used by
test_learned_merge.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pytest
import spacy
from spacy.tokens import Doc, Span

from spacy_rulelang.merge.model_scores import ModelScores, model_span_scores

from support import LABEL, TRAIN, trained_model_dir

def words_doc(nlp, text: str) -> Doc:
    return Doc(nlp.vocab, words=text.split())


def n_ngrams(n_tokens: int, sizes: Sequence[int] = (1, 2, 3)) -> int:
    return sum(max(0, n_tokens - size + 1) for size in sizes)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return trained_model_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def scored_nlp(model_dir):
    """ner + spancat + rulelang_model_scores (default settings); do not change it."""
    nlp = spacy.load(model_dir)
    nlp.add_pipe("rulelang_model_scores")
    return nlp


@pytest.fixture
def fresh_nlp(model_dir):
    return spacy.load(model_dir)


def spancat_probs(nlp, doc: Doc) -> dict:
    """(start, end) -> PROG_LANG probability, straight from the spancat."""
    spancat = nlp.get_pipe("spancat")
    indices, scores = spancat.predict([doc])
    column = list(spancat.labels).index(LABEL)
    return {(int(s), int(e)): float(scores[i, column])
            for i, (s, e) in enumerate(spancat.model.ops.to_numpy(indices.dataXd))}


def test_model_spans_are_the_ner_entities_with_spancat_scores(scored_nlp):
    doc = scored_nlp(words_doc(scored_nlp, "I write Python code every day ."))
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(2, 3, LABEL)]
    group = doc.spans["model"]
    assert [(s.start, s.end, s.label_) for s in group] == [(2, 3, LABEL)]
    (score,) = group.attrs["scores"]
    assert score > 0.5  # a trained entity: the spancat is sure of it
    expected = spancat_probs(scored_nlp, words_doc(scored_nlp, "I write Python code every day ."))
    assert score == pytest.approx(expected[(2, 3)], abs=1e-6)


def test_candidates_are_spans_at_or_above_min_score(scored_nlp):
    text = "We ported it from Java to Rust ."
    doc = scored_nlp(words_doc(scored_nlp, text))
    probs = spancat_probs(scored_nlp, words_doc(scored_nlp, text))
    group = doc.spans["model_candidates"]
    scores = group.attrs["scores"]
    assert len(scores) == len(group)
    got = {(s.start, s.end): p for s, p in zip(group, scores)}
    want = {k: p for k, p in probs.items() if p >= 0.05}
    assert set(got) == set(want)
    assert all(got[k] == pytest.approx(want[k], abs=1e-6) for k in got)
    assert {(4, 5), (6, 7)} <= set(got)
    assert len(got) < len(probs)  # the unlikely n-grams are left out
    assert [(s.start, s.end) for s in group] == sorted(got)  # position order
    assert all(s.label_ == LABEL for s in group)


def test_min_score_zero_keeps_every_suggested_span(fresh_nlp):
    fresh_nlp.add_pipe("rulelang_model_scores", config={"min_score": 0.0})
    text = "She prefers Haskell over Scala ."
    doc = fresh_nlp(words_doc(fresh_nlp, text))
    assert len(doc.spans["model_candidates"]) == n_ngrams(len(doc))


def test_custom_keys(fresh_nlp):
    fresh_nlp.add_pipe("rulelang_model_scores", config={"model_key": "m", "candidates_key": "c"})
    doc = fresh_nlp(words_doc(fresh_nlp, "Compile the C code with gcc ."))
    assert "model" not in doc.spans and "model_candidates" not in doc.spans
    assert [(s.start, s.end) for s in doc.spans["m"]] == [(e.start, e.end) for e in doc.ents]
    assert len(doc.spans["c"].attrs["scores"]) == len(doc.spans["c"]) > 0


def test_reads_a_disabled_spancat(model_dir):
    enabled = spacy.load(model_dir)
    enabled.add_pipe("rulelang_model_scores")
    disabled = spacy.load(model_dir, disable=["spancat"])
    disabled.add_pipe("rulelang_model_scores")
    assert "spancat" not in disabled.pipe_names
    text = "The script is written in C ."
    a = enabled(words_doc(enabled, text))
    b = disabled(words_doc(disabled, text))
    assert "sc" in a.spans and "sc" not in b.spans  # the spancat itself did not run
    assert model_span_scores(b, "model_candidates") == pytest.approx(model_span_scores(a, "model_candidates"))
    assert model_span_scores(b, "model") == model_span_scores(a, "model")
    assert model_span_scores(b, "model")[(5, 6, LABEL)] > 0.5


def test_entity_the_suggester_does_not_make_scores_zero(scored_nlp):
    doc = words_doc(scored_nlp, "Plan A is better than plan B .")
    doc.ents = [Span(doc, 1, 5, label=LABEL)]  # 4 tokens: the n-gram suggester stops at 3
    doc = scored_nlp.get_pipe("rulelang_model_scores")(doc)
    assert [(s.start, s.end) for s in doc.spans["model"]] == [(1, 5)]
    assert doc.spans["model"].attrs["scores"] == [0.0]


def test_entity_of_another_label_scores_zero(scored_nlp):
    doc = words_doc(scored_nlp, "I write Python code every day .")
    doc.ents = [Span(doc, 2, 3, label="OTHER")]
    doc = scored_nlp.get_pipe("rulelang_model_scores")(doc)
    assert doc.spans["model"].attrs["scores"] == [0.0]


def test_pipe_matches_call_over_batches(scored_nlp):
    texts = [t for t, _ in TRAIN[:5]]
    one_by_one = [model_span_scores(scored_nlp(words_doc(scored_nlp, t)), "model_candidates") for t in texts]
    component = scored_nlp.get_pipe("rulelang_model_scores")
    docs = [words_doc(scored_nlp, t) for t in texts]
    for name, proc in scored_nlp.pipeline[:-1]:
        docs = [proc(d) for d in docs]
    batched = [model_span_scores(d, "model_candidates") for d in component.pipe(docs, batch_size=2)]
    assert len(batched) == len(one_by_one)
    for a, b in zip(batched, one_by_one):
        assert a.keys() == b.keys()
        assert all(a[k] == pytest.approx(b[k], abs=1e-5) for k in a)


def test_missing_spancat_is_E222():
    nlp = spacy.blank("en")
    nlp.add_pipe("ner")
    nlp.add_pipe("rulelang_model_scores")  # added fine: the spancat may be sourced later
    nlp.initialize()
    with pytest.raises(ValueError, match=r"\[E222\]"):
        nlp("It is written in C .")


def test_misnamed_spancat_is_E222(fresh_nlp):
    fresh_nlp.add_pipe("rulelang_model_scores", config={"spancat": "spans"})
    with pytest.raises(ValueError, match=r"\[E222\].*'spans'"):
        fresh_nlp("It is written in C .")


@pytest.mark.parametrize("value", [1.0, -0.1, 2])
def test_bad_min_score_is_E223(value):
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match=r"\[E223\].*min_score"):
        nlp.add_pipe("rulelang_model_scores", config={"min_score": value})


@pytest.mark.parametrize("value", [True, "0.1", None])
def test_min_score_of_another_type_is_E223(value):
    # spaCy's config validation stops these before the component; built directly, it says E223
    with pytest.raises(ValueError, match=r"\[E223\].*min_score"):
        ModelScores(spacy.blank("en"), min_score=value)


def test_unknown_label_is_E223(fresh_nlp):
    fresh_nlp.add_pipe("rulelang_model_scores", config={"label": "LANGUAGE"})
    with pytest.raises(ValueError, match=r"\[E223\].*label.*PROG_LANG"):
        fresh_nlp("It is written in C .")


def test_saved_and_loaded_pipeline_scores_the_same(scored_nlp, tmp_path):
    scored_nlp.to_disk(tmp_path / "pipe")
    loaded = spacy.load(tmp_path / "pipe")
    assert loaded.pipe_names[-1] == "rulelang_model_scores"
    text = "Ruby and Perl are scripting languages ."
    a = scored_nlp(words_doc(scored_nlp, text))
    b = loaded(words_doc(loaded, text))
    assert model_span_scores(a, "model") == model_span_scores(b, "model")
    assert model_span_scores(a, "model_candidates") == model_span_scores(b, "model_candidates")


def test_model_span_scores_reads_aligned_scores_only():
    doc = Doc(spacy.blank("en").vocab, words=["a", "b", "c"])
    assert model_span_scores(doc, "model") == {}
    doc.spans["model"] = [Span(doc, 0, 1, label=LABEL), Span(doc, 1, 3, label="X")]
    assert model_span_scores(doc, "model") == {}  # no scores
    doc.spans["model"].attrs["scores"] = [0.5]
    assert model_span_scores(doc, "model") == {}  # one score for two spans
    doc.spans["model"].attrs["scores"] = [0.5, 0.25]
    assert model_span_scores(doc, "model") == {(0, 1, LABEL): 0.5, (1, 3, "X"): 0.25}


# -- the reader that feeds the spancat ---------------------------------------------

@pytest.fixture
def ents_docbin(tmp_path) -> Path:
    from spacy.tokens import DocBin

    vocab = spacy.blank("en").vocab
    db = DocBin()
    for text, ents in TRAIN[:4]:
        doc = Doc(vocab, words=text.split())
        doc.ents = [Span(doc, s, e, label=LABEL) for s, e in ents]
        db.add(doc)
    path = tmp_path / "train.spacy"
    db.to_disk(path)
    return path


@pytest.mark.parametrize("key", ["sc", "gold_spans"])
def test_ents_as_spans_reader_copies_the_entities(ents_docbin, key):
    from spacy.util import registry

    reader = registry.readers.get("spacy-rulelang.EntsAsSpans.v1")(ents_docbin, spans_key=key)
    examples = list(reader(spacy.blank("en")))
    assert len(examples) == 4
    for eg, (text, ents) in zip(examples, TRAIN[:4]):
        assert eg.predicted.text == eg.reference.text
        assert [(e.start, e.end, e.label_) for e in eg.reference.ents] == [(s, e, LABEL) for s, e in ents]
        assert [(s.start, s.end, s.label_) for s in eg.reference.spans[key]] == \
            [(e.start, e.end, e.label_) for e in eg.reference.ents]
        assert key not in eg.predicted.spans
    assert sum(len(eg.reference.spans[key]) for eg in examples) == 4  # no doc left without its spans


def test_ents_as_spans_reader_from_a_config(ents_docbin):
    from spacy.util import registry
    from thinc.api import Config

    cfg = Config().from_str(f"""
    [train]
    @readers = "spacy-rulelang.EntsAsSpans.v1"
    path = "{ents_docbin}"
    spans_key = "sc"
    gold_preproc = true
    limit = 2
    """)
    reader = registry.resolve(cfg)["train"]
    examples = list(reader(spacy.blank("en")))
    assert len(examples) == 2
    assert [len(eg.reference.spans["sc"]) for eg in examples] == [1, 1]
