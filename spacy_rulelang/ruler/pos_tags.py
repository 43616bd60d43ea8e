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

from spacy_rulelang.io.corpus import as_input_doc
from spacy_rulelang.errors import Errors

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
    """Copies POS from a private pipeline onto a doc, on demand.

    The pipeline is loaded on first use, not at construction: a saved `rulelang`
    replaces this source with the copy in its own folder (`from_disk`), so loading
    a saved pipeline never needs the package named in its config.
    """

    def __init__(self, name: Union[str, Path]):
        self.name = str(name)
        self._source = name
        self._nlp: Optional[Language] = None
        self.docs_tagged = 0

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            self._nlp = load_pos_pipeline(self._source)
        return self._nlp

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
        """The saved copy, loaded now: the folder may be a temporary one (spaCy's from_bytes)."""
        obj = cls(path)
        obj.name = name or str(path)
        obj._nlp = load_pos_pipeline(path)
        return obj
