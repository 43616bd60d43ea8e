"""A corpus reader that also gives the gold entities as a span group.

Why: the CNN config trains a `spancat` beside the NER (same tok2vec) so that the
model side has a probability per span. spancat learns from `doc.spans[key]`, and
our corpora (`convert`, `weak-label`) carry entities only. Copying them at read
time keeps one corpus format for every step.

    [corpora.train]
    @readers = "spacy-rulelang.EntsAsSpans.v1"
    path = ${paths.train}
    spans_key = "sc"
    gold_preproc = true
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from spacy.language import Language
from spacy.training import Corpus, Example
from spacy.util import registry


@registry.readers("spacy-rulelang.EntsAsSpans.v1")
def ents_as_spans_corpus(path: Optional[Path], *, spans_key: str = "sc", gold_preproc: bool = False,
                         max_length: int = 0, limit: int = 0,
                         augmenter: Optional[Callable] = None) -> Callable[[Language], Iterable[Example]]:
    """spaCy's `Corpus` (same settings), with doc.ents copied to doc.spans[spans_key]."""
    corpus = Corpus(path, gold_preproc=gold_preproc, max_length=max_length, limit=limit,
                    augmenter=augmenter)

    def read(nlp: Language) -> Iterator[Example]:
        for eg in corpus(nlp):
            eg.reference.spans[spans_key] = list(eg.reference.ents)
            yield eg

    return read
