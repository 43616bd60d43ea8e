"""A lazy part-of-speech source: tag only the docs that hold an ambiguous candidate.

With `pos_model = "en_core_web_sm"`, `rulelang` works in a blank pipeline: the
tagger runs on a doc only when a rule needs POS, which most texts never do.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from .corpus import as_input_doc
from .errors import Errors

POS_COMPONENTS = ("tok2vec", "tagger", "attribute_ruler", "morphologizer")
SKIP_COMPONENTS = ("parser", "ner", "lemmatizer", "senter", "entity_ruler", "rulelang")


def load_pos_pipeline(name: Union[str, Path]) -> Language:
    """Load only what sets Token.pos from an installed pipeline or a path."""
    try:
        nlp = spacy.load(name, exclude=list(SKIP_COMPONENTS))
    except OSError as err:
        raise OSError(Errors.E006.format(name=name, err=err)) from None
    keep = [n for n in nlp.pipe_names if n in POS_COMPONENTS]
    if not any(n in keep for n in ("tagger", "morphologizer")):
        raise ValueError(Errors.E007.format(name=name))
    nlp.select_pipes(enable=keep)
    return nlp


class LazyPOS:
    """Copies POS from a private pipeline onto a doc, on demand."""

    def __init__(self, name: Union[str, Path]):
        self.name = str(name)
        self.nlp: Language = load_pos_pipeline(name)
        self.docs_tagged = 0

    def __call__(self, doc: Doc) -> None:
        if len(doc) == 0 or doc.has_annotation("POS"):
            return
        tagged = self.nlp(as_input_doc(doc, self.nlp.vocab))
        for token, other in zip(doc, tagged):
            token.pos = other.pos
        self.docs_tagged += 1

    def to_disk(self, path: Path) -> None:
        self.nlp.to_disk(path)

    @classmethod
    def from_disk(cls, path: Path, name: Optional[str] = None) -> "LazyPOS":
        obj = cls(path)
        obj.name = name or str(path)
        return obj
