"""Cue words and corpus conventions: what the rules know, kept as data.

The words live in the package's `cues.json` and `conventions.json`; a saved
`rulelang` writes its own copies, which `Conventions.load` reads back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Optional, Tuple

from spacy_rulelang.data import data_path


def _load_json(name: str) -> dict:
    return json.loads(data_path(name).read_text(encoding="utf8"))


# Conventions attribute -> (data file, key in it, shape): "set" of lowercase words,
# "map" of id -> set, "list" kept in order.
CONVENTION_FIELDS: Dict[str, Tuple[str, str, str]] = {
    "cues_before": ("cues", "before", "set"),
    "cues_after": ("cues", "after", "set"),
    "cues_window": ("cues", "window", "set"),
    "file_type_kinds": ("conventions", "file_type_kinds", "set"),
    "file_type_ids": ("conventions", "file_type_after_ids", "set"),
    "file_type_after": ("conventions", "file_type_after", "set"),
    "file_type_after_any": ("conventions", "file_type_after_any", "set"),
    "product_after": ("conventions", "product_after", "map"),
    "product_before": ("conventions", "product_before", "map"),
    "separators": ("conventions", "list_separators", "set"),
    "code_before": ("conventions", "code_neighbours_before", "set"),
    "code_after": ("conventions", "code_neighbours_after", "set"),
    "compound_suffixes": ("conventions", "compound_suffixes", "list"),
    "compound_prefixes": ("conventions", "compound_prefixes", "list"),
    "exclusions": ("conventions", "corpus_exclusions", "set"),
    "letter_before": ("conventions", "single_letter_before", "set"),
    "letter_after": ("conventions", "single_letter_after", "set"),
    "person_verbs": ("conventions", "person_verbs", "set"),
    "programming_nouns": ("conventions", "programming_nouns", "set"),
    # computed from annotated corpora (spacy_rulelang.catalogue.build.corpus_evidence)
    "corpus_cues": ("cues", "corpus", "map"),
    "name_cues_before": ("cues", "corpus_name_before", "map"),
    "name_cues_after": ("cues", "corpus_name_after", "map"),
    "glued_version_ids": ("conventions", "glued_version_ids", "set"),
    "glued_version_forms": ("conventions", "glued_version_forms", "set"),
    "non_language_ids": ("conventions", "corpus_non_language_ids", "set"),
    "language_ids": ("conventions", "corpus_language_ids", "set"),
    "tool_ids": ("conventions", "corpus_preposition_ids", "set"),
    "tool_prepositions": ("conventions", "corpus_tool_prepositions", "set"),
    "tagged_kinds": ("conventions", "tagged_kinds", "set"),
    "tagged_markup_ids": ("conventions", "tagged_markup_ids", "set"),
}


@dataclass
class Conventions:
    """Cue words and corpus conventions, loaded from the package's data files."""

    cues_before: FrozenSet[str]
    cues_after: FrozenSet[str]
    cues_window: FrozenSet[str]
    file_type_kinds: FrozenSet[str]
    file_type_ids: FrozenSet[str]
    file_type_after: FrozenSet[str]
    file_type_after_any: FrozenSet[str]
    product_after: Dict[str, FrozenSet[str]]
    product_before: Dict[str, FrozenSet[str]]
    separators: FrozenSet[str]
    code_before: FrozenSet[str]
    code_after: FrozenSet[str]
    compound_suffixes: Tuple[str, ...]
    compound_prefixes: Tuple[str, ...]
    exclusions: FrozenSet[str] = frozenset()
    letter_before: FrozenSet[str] = frozenset()
    letter_after: FrozenSet[str] = frozenset()
    person_verbs: FrozenSet[str] = frozenset()
    programming_nouns: FrozenSet[str] = frozenset()
    corpus_cues: Dict[str, FrozenSet[str]] = field(default_factory=dict)
    name_cues_before: Dict[str, FrozenSet[str]] = field(default_factory=dict)
    name_cues_after: Dict[str, FrozenSet[str]] = field(default_factory=dict)
    glued_version_ids: FrozenSet[str] = frozenset()
    glued_version_forms: FrozenSet[str] = frozenset()
    non_language_ids: FrozenSet[str] = frozenset()
    language_ids: FrozenSet[str] = frozenset()
    tool_ids: FrozenSet[str] = frozenset()
    tool_prepositions: FrozenSet[str] = frozenset()
    tagged_kinds: FrozenSet[str] = frozenset()
    tagged_markup_ids: FrozenSet[str] = frozenset()
    max_before_words: int = field(init=False)
    programming_words: FrozenSet[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.max_before_words = max((len(c.split()) for c in self.cues_before), default=0)
        # every word that says "programming" next to a name: the cue words, the file and
        # product words and the plain developer nouns ("feature", "header", "community")
        self.programming_words = frozenset().union(
            self.cues_after, self.cues_window, self.programming_nouns, self.file_type_after,
            self.file_type_after_any, (c for c in self.cues_before if " " not in c),
            *self.product_after.values())

    def programming_word(self, word: str) -> bool:
        """Whether a lowercase word is about programming, singular or plural ("headers")."""
        words = self.programming_words
        return (word in words or (word.endswith("s") and word[:-1] in words)
                or (word.endswith("es") and word[:-2] in words))

    @classmethod
    def load(cls, cues: Optional[dict] = None, conventions: Optional[dict] = None) -> "Conventions":
        """From dicts shaped like the data files; a missing dict means the packaged file."""
        sources = {"cues": cues if cues is not None else _load_json("cues.json"),
                   "conventions": conventions if conventions is not None else _load_json("conventions.json")}
        low = lambda items: frozenset(str(i).lower() for i in items)  # noqa: E731
        values = {}
        for attr, (source, key, shape) in CONVENTION_FIELDS.items():
            raw = sources[source].get(key, {} if shape == "map" else [])
            if shape == "map":
                values[attr] = {k: low(v) for k, v in raw.items()}
            else:
                values[attr] = tuple(raw) if shape == "list" else low(raw)
        return cls(**values)

    def to_dicts(self) -> Tuple[dict, dict]:
        """The (cues, conventions) dicts, for serialization with the component."""
        out: Dict[str, dict] = {"cues": {}, "conventions": {}}
        for attr, (source, key, shape) in CONVENTION_FIELDS.items():
            value = getattr(self, attr)
            if shape == "map":
                out[source][key] = {k: sorted(v) for k, v in sorted(value.items())}
            else:
                out[source][key] = list(value) if shape == "list" else sorted(value)
        return out["cues"], out["conventions"]
