"""The POS base pipeline: check that it is installed and has a tagger."""
from __future__ import annotations

from pathlib import Path
from typing import List

from spacy_rulelang.errors import Errors

POS_COMPONENTS = ("tagger", "attribute_ruler")


def check_base(name: str) -> List[str]:
    """Fail with a clear message unless `name` is an installed pipeline with a POS tagger."""
    import spacy
    from spacy import util

    if not (util.is_package(name) or Path(name).is_dir()):
        installed = ", ".join(sorted(util.get_installed_models())) or "none"
        raise OSError(Errors.E212.format(name=name, installed=installed))
    nlp = spacy.load(name, exclude=["parser", "ner", "lemmatizer", "senter"])
    missing = [c for c in POS_COMPONENTS if c not in nlp.component_names]
    if missing:
        raise ValueError(Errors.E213.format(name=name, pipes=nlp.component_names))
    return nlp.component_names
