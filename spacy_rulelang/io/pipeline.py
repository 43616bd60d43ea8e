"""Load a user's pipeline and make sure it has a `rulelang` component."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Union

import spacy
from spacy.language import Language

from spacy_rulelang.errors import Errors

NO_TAGGER = "blank"
# The components that combine rules and model; evaluation and compare find them by factory.
MERGE_FACTORIES = ("rulelang_merge", "rulelang_learned_merge")
NOT_NEEDED = ("parser", "ner", "lemmatizer")  # rulelang needs POS only


def load_with_rulelang(pipeline: Union[str, Path], config: Optional[Dict[str, Any]] = None) -> Language:
    """`pipeline` is an installed package, a path, or "blank" (no tagger: POS checks off).

    A pipeline that already has `rulelang` (an assembled one) is used as it is; any other
    gets `rulelang` added after its tagger, with the NER, parser and lemmatizer switched off.
    """
    config = dict(config or {})
    if str(pipeline) == NO_TAGGER:
        nlp = spacy.blank("en")
        if "pos_model" not in config:
            config.setdefault("pos_checks", False)
    else:
        try:
            nlp = spacy.load(pipeline)
        except OSError as err:
            raise OSError(Errors.E302.format(pipeline=pipeline, err=err, blank=NO_TAGGER)) from None
    if "rulelang" not in nlp.pipe_names:
        nlp.select_pipes(disable=[n for n in NOT_NEEDED if n in nlp.pipe_names])
        nlp.add_pipe("rulelang", config=config)
    return nlp
