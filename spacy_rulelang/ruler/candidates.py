"""Find candidate language mentions: every token run that a catalogue alias could name.

The finder works on token texts only, so it treats a doc built from raw text
(`C` `#`) and one built from corpus tokens (`C#`) alike. It reads each token's
lowercase hash once and caches what a hash means, which keeps matching at least as
fast as spaCy's PhraseMatcher-backed EntityRuler.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.attrs import LOWER
from spacy.language import Language
from spacy.tokens import Doc

from spacy_rulelang.catalogue.load import Entry
from spacy_rulelang.catalogue.versions import is_version, split_attached_version

# Single-letter names only take a glued-on version that looks like a standard ("C11", "C99"),
# never with an underscore: "Q_30" is a placeholder, not the language q.
SHORT_NAME_VERSION = re.compile(r"^\d\d$")
COMPOUND_SPLIT = re.compile(r"^(?P<left>[^/()\-]+?)(?P<sep>[/(\-])(?P<right>[a-z][a-z0-9.+#/]*)\)?$")


@dataclass(frozen=True)
class Alias:
    """What a surface form means: which entry, and whether it is an ordinary word."""

    text: str
    entry: Entry
    ambiguous: bool
    versioned_only: bool = False


@dataclass(frozen=True)
class Candidate:
    """A token run [start, end) that may name a language; rules decide on it."""

    start: int
    end: int
    alias: Alias
    version: Optional[str] = None     # glued on ("python3") or following ("Python 3")
    version_attached: bool = False
    compound: bool = False            # "html/css", "C-based", "pure-Python" in one token
    inside_word: bool = False         # raw text: part of a longer unspaced word ("C-string")

    @property
    def entry(self) -> Entry:
        return self.alias.entry

    @property
    def ambiguous(self) -> bool:
        return self.alias.ambiguous


TokenMatch = Tuple[Alias, Optional[str], bool]  # alias, glued-on version, compound


class CandidateFinder:
    def __init__(self, entries: Iterable[Entry], nlp: Language, compound_suffixes: Sequence[str] = (),
                 compound_prefixes: Sequence[str] = ()):
        self.single: Dict[str, Alias] = {}
        self.versioned: Dict[str, Alias] = {}
        self.multi: Dict[str, List[Tuple[Tuple[str, ...], Alias]]] = {}
        self.compound_suffixes = set(compound_suffixes)
        self.compound_prefixes = set(compound_prefixes)
        for entry in entries:
            for text in entry.aliases:
                alias = Alias(text, entry, ambiguous=text in entry.ambiguous_aliases)
                self._add(alias, nlp)
            self._add_name_tokens(entry, nlp)
            for text in entry.versioned_aliases:
                self.versioned[text] = Alias(text, entry, ambiguous=False, versioned_only=True)
        for sequences in self.multi.values():
            sequences.sort(key=lambda item: -len(item[0]))
        # lowercase hash -> (multi-token aliases starting here, what the token alone names)
        self._cache: Dict[int, Tuple[Optional[list], Optional[TokenMatch]]] = {}

    def _add(self, alias: Alias, nlp: Language) -> None:
        self.single[alias.text] = alias
        words = tuple(t.lower_ for t in nlp.make_doc(alias.text))
        if len(words) > 1:
            self.multi.setdefault(words[0], []).append((words, alias))
        spaced = tuple(alias.text.split())
        if len(spaced) > 1 and spaced != words:
            self.multi.setdefault(spaced[0], []).append((spaced, alias))

    def _add_name_tokens(self, entry: Entry, nlp: Language) -> None:
        """The name as written may split differently from its lower-cased alias ("68K" vs "68k")."""
        alias = self.single.get(entry.name.lower())
        words = tuple(t.lower_ for t in nlp.make_doc(entry.name))
        if alias is None or len(words) < 2 or any(w == words for w, _ in self.multi.get(words[0], [])):
            return
        self.multi.setdefault(words[0], []).append((words, alias))

    # -- one token ---------------------------------------------------------
    def match_token(self, text: str) -> Optional[TokenMatch]:
        """What a single lowercase token names, if anything."""
        alias = self.single.get(text)
        if alias is not None:
            return alias, None, False
        split = split_attached_version(text)
        if split is not None:
            base, version = split
            alias = self.single.get(base) or self.versioned.get(base)
            if alias is not None and (len(base) > 1 or (SHORT_NAME_VERSION.match(version) and "_" not in text)):
                return alias, version, False
        if text.endswith(".") and text[:-1] in self.single:  # spaCy keeps "LaTeX." whole
            return self.single[text[:-1]], None, False
        return self._match_compound(text)

    def _match_compound(self, text: str) -> Optional[TokenMatch]:
        """One corpus token that joins a name with more: "html/css", "C-based", "pure-Python"."""
        match = COMPOUND_SPLIT.match(text)
        if match is None:
            return None
        left, sep, right = match.group("left"), match.group("sep"), match.group("right")
        if sep == "-" and left in self.compound_prefixes:
            inner = self.single.get(right)
            return (inner, None, True) if inner is not None else None
        first = self.single.get(left) or self._versioned_base(left)
        if first is None:
            return None
        if sep == "-" and right not in self.compound_suffixes:
            return None
        if first.ambiguous and sep == "(":
            return None  # "d(ev)" is not D
        if first.ambiguous and sep == "/" and not any(p in self.single for p in right.split("/")):
            return None  # "processing/summary" is not a language
        return first, None, True

    def _versioned_base(self, text: str) -> Optional[Alias]:
        split = split_attached_version(text)
        if split is None:
            return None
        return self.single.get(split[0]) or self.versioned.get(split[0])

    # -- a whole doc -------------------------------------------------------
    def __call__(self, doc: Doc) -> List[Candidate]:
        hashes = doc.to_array(LOWER).tolist() if len(doc) else []
        strings = doc.vocab.strings
        cache = self._cache
        found: List[Candidate] = []
        i = 0
        n = len(hashes)
        while i < n:
            entry = cache.get(hashes[i])
            if entry is None:  # first sight of this lowercase form
                text = strings[hashes[i]]
                entry = cache[hashes[i]] = (self.multi.get(text), self.match_token(text))
            sequences, hit = entry
            if sequences is not None:
                cand = self._match_multi(doc, hashes, i, sequences)
                if cand is not None:
                    found.append(cand)
                    i = cand.end
                    continue
            if hit is not None:
                alias, version, compound = hit
                found.append(Candidate(i, i + 1, alias, version, version is not None, compound))
            i += 1
        found = [replace(c, version=doc[c.end].text)
                 if c.version is None and c.end < n and self._version_token(doc, c.end) else c
                 for c in found]
        return [c for c in found if not c.alias.versioned_only or c.version is not None]

    @staticmethod
    def _version_token(doc: Doc, i: int) -> bool:
        """A version on its own ("3.11" in "Python 3.11"), not the start of "4-function"."""
        token = doc[i]
        if not is_version(token.text):
            return False
        return bool(token.whitespace_) or i + 1 == len(doc) or doc[i + 1].is_punct and doc[i + 1].text != "-"

    def _match_multi(self, doc: Doc, hashes: List[int], i: int,
                     sequences: List[Tuple[Tuple[str, ...], Alias]]) -> Optional[Candidate]:
        strings = doc.vocab.strings
        for words, alias in sequences:
            end = i + len(words)
            if end > len(hashes):
                continue
            if any(strings[hashes[i + k]] != words[k] for k in range(len(words) - 1)):
                continue
            last = strings[hashes[end - 1]]
            if last == words[-1] or last == words[-1] + ".":  # spaCy keeps "Objective-C." as "C."
                return Candidate(i, end, alias)
            split = split_attached_version(last)
            if split is not None and split[0] == words[-1]:  # "Visual FoxPro9"
                return Candidate(i, end, alias, split[1], True)
        return None
