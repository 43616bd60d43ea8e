"""Which names are ordinary words: the ambiguity rule of the generated catalogue.

A name (a language's name or alias, lower-cased) is **ambiguous** — the rules then need
evidence before they accept it — when

1. it is a single letter ("c", "r", "j"); or
2. the overlay says so (hand-made knowledge: "Swift" the singer, "ruby" the stone); or
3. it is a word and the tuning splits do not show it to be a language name:
   - *word* = alphabetic (spaces allowed) and either
     (a) one word whose English Zipf frequency (wordfreq) is at least ``ZIPF_WORD``
         (3.0, about once in a million words: "go" 6.03, "self" 5.25, "rust" 3.74,
         "haskell" 3.26), or
     (b) train/dev show it as a word or phrase: at least ``CORPUS_WORD_MIN`` (2)
         unlabelled, lower-case, mid-sentence occurrences, more than its labelled ones;
     (wordfreq has no phrases: it estimates "structured query language" from its
     rarest word, so names of several words are judged by (b) alone);
   - *a language name in the corpus* = at least ``CORPUS_LANG_MIN`` (3) occurrences
     labelled `Language` in train/dev, at least as many as its lower-case mid-sentence
     unlabelled uses — "java" 75 vs 10, "python" 59 vs 5, "haskell" 13 vs 0, "xml"
     27 vs 15 — and a Zipf below ``ZIPF_ALWAYS`` (4.5): the web's use of "python" or
     "java" inflates their Zipf, which the corpus corrects, but a very common word
     ("go", "basic", "scheme") stays ambiguous whatever one corpus says.

4. it is the name of a Linguist language that the overlay does not curate and a phrase
   of ordinary words (each word Zipf >= ``ZIPF_WORD``, none of them a language's name)
   that train/dev do not show to be a language name: "Linear Programming", "Rich Text
   Format", "Power Query" (but not "Python console" or "Common Lisp", which hold a name).

Names with digits or symbols ("c#", "c++", "4d", "objective-c") are never words by this
rule (wordfreq would read "c#" as "c"); single letters with a symbol are not single
letters. A Linguist *alias* (not the language's own name) that is a word by (3) is
dropped instead of flagged: Linguist lists "node" for JavaScript and "be" for Berry as
search keys, not as what people call the languages; so is an alias that is a phrase by (4)
("man page" for Roff).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Set

from spacy_rulelang.catalogue.build.name_evidence import NameCounts

ZIPF_WORD = 3.0
ZIPF_ALWAYS = 4.5
CORPUS_WORD_MIN = 2
CORPUS_LANG_MIN = 3

ZipfFn = Callable[[str], float]


def english_zipf() -> ZipfFn:
    """wordfreq's English Zipf frequency (wordfreq is needed only to build the catalogue)."""
    from wordfreq import zipf_frequency

    return lambda word: zipf_frequency(word, "en")


@dataclass(frozen=True)
class Verdict:
    """Why a name is (or is not) taken for an ordinary word."""

    name: str
    zipf: float
    counts: NameCounts
    single_letter: bool
    word: bool
    corpus_language: bool

    @property
    def ambiguous(self) -> bool:
        return self.single_letter or (self.word and not self.corpus_language)


def is_alphabetic(name: str) -> bool:
    return all(part.isalpha() for part in name.split())


def judge(name: str, zipf: ZipfFn, counts: Optional[NameCounts] = None) -> Verdict:
    """Apply the rule above to one lower-cased name."""
    counts = counts or NameCounts()
    alphabetic = is_alphabetic(name)
    score = zipf(name) if alphabetic else 0.0
    corpus_word = counts.lower_mid >= CORPUS_WORD_MIN and counts.lower_mid > counts.labelled
    word = alphabetic and ((score >= ZIPF_WORD and " " not in name) or corpus_word)
    corpus_language = (counts.labelled >= CORPUS_LANG_MIN and counts.labelled >= counts.lower_mid
                       and score < ZIPF_ALWAYS)
    return Verdict(name, round(score, 2), counts, len(name) == 1 and name.isalpha(), word, corpus_language)


def is_phrase_of_words(name: str, zipf: ZipfFn, language_names: Set[str]) -> bool:
    """Several ordinary words, none of which names a language: rule (4)."""
    words = name.split()
    return len(words) > 1 and all(w.isalpha() and zipf(w) >= ZIPF_WORD and w not in language_names for w in words)


def judge_all(names, zipf: ZipfFn, counts: Dict[str, NameCounts]) -> Dict[str, Verdict]:
    return {name: judge(name, zipf, counts.get(name)) for name in sorted(set(names))}


def measure(verdicts: Dict[str, Verdict], used: Optional[set] = None) -> Dict[str, Dict[str, int]]:
    """The flags against train/dev: occurrences of flagged and unflagged names, labelled or not.

    A good flag marks the names whose occurrences are mostly not labelled; `names_mostly_word`
    counts the names of a group that occur with fewer than half of them labelled.
    """
    out: Dict[str, Dict[str, int]] = {}
    for verdict in verdicts.values():
        if used is not None and verdict.name not in used:
            continue
        counts = verdict.counts
        if not counts.total:
            continue
        group = out.setdefault("ambiguous" if verdict.ambiguous else "unambiguous",
                               {"names": 0, "occurrences": 0, "labelled": 0, "lower_mid": 0, "names_mostly_word": 0})
        group["names"] += 1
        group["occurrences"] += counts.total
        group["labelled"] += counts.labelled
        group["lower_mid"] += counts.lower_mid
        group["names_mostly_word"] += counts.labelled * 2 < counts.total
    return out
