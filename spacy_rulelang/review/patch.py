"""catalogue_patch.jsonl: what the review taught the catalogue, in the catalogue's own format.

- A name the reviewer confirmed as a language that no catalogue alias matches becomes
  a new entry (id: a slug of the name; `must_match`: the sentences).
- An existing entry that a confirmed name matches gets the sentence in `must_match`;
  one that a rule span judged wrong matches gets it in `must_not_match`. Such an entry
  is written in FULL: with `extend_catalogue = true` it replaces the packaged one.
Load the file with `catalogue = "catalogue_patch.jsonl"` and `extend_catalogue = true`.
Lines are sorted by id, sentences are added sorted: the same decisions, the same bytes.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import spacy

from spacy_rulelang.ruler.candidates import CandidateFinder
from spacy_rulelang.catalogue.load import Entry, check_unique_aliases, parse_entry
from spacy_rulelang.compare.core import BOUNDARY, SpanTuple
from spacy_rulelang.ruler.conventions import Conventions
from spacy_rulelang.io.spans import overlap
from spacy_rulelang.review.gold_edits import Applied
from spacy_rulelang.review.decision import BOTH_WRONG, GOLD_WRONG


def slug(name: str) -> str:
    """An id in the catalogue's style: "C++" -> "cpp", "F#" -> "fsharp", "Foo Lang" -> "foo_lang"."""
    text = name.lower().replace("+", "p").replace("#", "sharp")
    return re.sub(r"[\W_]+", "_", text).strip("_")


def catalogue_effects(applied: Applied, label: str) -> Tuple[List[SpanTuple], List[SpanTuple]]:
    """(spans confirmed as languages, rule spans judged wrong) by one decision.

    Confirmed: the `label` spans of what gold became (`gold_wrong`: the ones it added).
    Judged wrong: a rule span that no confirmed span overlaps (e.g. `model` on a
    rule_only span), and the rule spans of `both_wrong` unless only boundaries were wrong.
    """
    decision = applied.decision
    target = decision.target
    rules = [s for s in decision.rules or () if s[2] == label]
    if target is not None:
        confirmed = [s for s in target if s[2] == label]
        if decision.decision == GOLD_WRONG:
            confirmed = [s for s in confirmed if s not in applied.before]
        wrong = [r for r in rules if not any(overlap(r, t) for t in target if t[2] == label)]
        return confirmed, wrong
    if decision.decision == BOTH_WRONG and decision.category != BOUNDARY:
        return [], rules
    return [], []


class NameIndex:
    """Which catalogue entry a name means: an exact alias, else what the rules' finder sees."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        conv = Conventions.load()
        self.nlp = spacy.blank("en")
        self.finder = CandidateFinder(entries, self.nlp, conv.compound_suffixes, conv.compound_prefixes)
        self.by_alias = {alias: e for e in entries for alias in e.aliases + e.versioned_aliases}

    def lookup(self, name: str) -> Optional[Entry]:
        entry = self.by_alias.get(name.strip().lower())
        if entry is not None:
            return entry
        found = self.finder(self.nlp.make_doc(name))
        return found[0].entry if found else None


class PatchBuilder:
    """Collects confirmed and rejected names with their sentences; `build` makes the entries.

    `entries`: the catalogue in use; `packaged`: the packaged one, whose ids and aliases a
    new entry must avoid too (the patch is loaded on top of it)."""

    def __init__(self, entries: Sequence[Entry], packaged: Sequence[Entry] = ()) -> None:
        self.entries = {e.id: e for e in entries}
        self.index = NameIndex(entries)
        self.reserved_ids = set(self.entries) | {e.id for e in packaged}
        self.reserved_aliases = {a for e in list(entries) + list(packaged)
                                 for a in e.aliases + e.versioned_aliases}
        self.confirmed: Dict[str, Set[str]] = defaultdict(set)
        self.wrong: Dict[str, Set[str]] = defaultdict(set)
        self.new_names: Dict[str, Counter] = defaultdict(Counter)
        self.new_sentences: Dict[str, Set[str]] = defaultdict(set)

    def confirm(self, name: str, sentence: str) -> None:
        entry = self.index.lookup(name)
        if entry is not None:
            self.confirmed[entry.id].add(sentence)
            return
        key = slug(name)
        if key and name.strip().lower() not in self.reserved_aliases:
            self.new_names[key][name.strip()] += 1
            self.new_sentences[key].add(sentence)

    def reject(self, name: str, sentence: str) -> None:
        entry = self.index.lookup(name)
        if entry is not None:
            self.wrong[entry.id].add(sentence)

    def _updated(self) -> Iterable[Entry]:
        for id_, entry in self.entries.items():
            added = sorted(self.confirmed.get(id_, set()) - set(entry.must_match))
            must_match = entry.must_match + tuple(added)
            refused = sorted(self.wrong.get(id_, set()) - set(must_match) - set(entry.must_not_match))
            if added or refused:
                yield replace(entry, must_match=must_match,
                              must_not_match=entry.must_not_match + tuple(refused))

    def _new(self) -> Iterable[Entry]:
        taken = set(self.reserved_ids)
        for key in sorted(self.new_names):
            id_, n = key, 2
            while id_ in taken:
                id_, n = f"{key}_{n}", n + 1
            taken.add(id_)
            names = self.new_names[key]
            name = min(names, key=lambda text: (-names[text], text))
            record = {"id": id_, "name": name, "aliases": sorted({text.lower() for text in names}),
                      "must_match": sorted(self.new_sentences[key])}
            yield parse_entry(record, "<catalogue patch>", 0)

    def build(self) -> List[Entry]:
        return sorted(list(self._updated()) + list(self._new()), key=lambda e: e.id)


def check_loads(patch: Sequence[Entry], packaged: Sequence[Entry], path: Union[str, Path]) -> None:
    """What load_catalogue(path, extend=True) checks: no alias names two languages (E005)."""
    ids = {e.id for e in patch}
    lines = {e.id: (path, n) for n, e in enumerate(patch, start=1)}
    check_unique_aliases([e for e in packaged if e.id not in ids] + list(patch), path, lines)
