"""How names are used in the tuning splits (train, dev): as a labelled language or as a word.

For every name (lower-cased, words split on spaces), count its occurrences as a whole
token sequence in StackOverflowNER text: how many are labelled `Language`, and how many
are unlabelled and written in lower case in mid-sentence ("let's go", "in a pure
function"), which is how an ordinary word shows itself. The ambiguity rule
(`spacy_rulelang.catalogue.build.ambiguity`) reads these counts. Only train and dev may be passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple, Union

from spacy_rulelang.io.corpus import bio_to_spans, read_conll_sentences


@dataclass
class NameCounts:
    """Occurrences of one name in the tuning splits."""

    total: int = 0       # as a token sequence, any casing
    labelled: int = 0    # exactly a gold Language span
    lower_mid: int = 0   # unlabelled, all lower case, not the sentence's first word

    @property
    def never_labelled(self) -> bool:
        return self.total > 0 and self.labelled == 0

    @property
    def unlabelled(self) -> int:
        return self.total - self.labelled

    def to_json(self) -> dict:
        return {"total": self.total, "labelled": self.labelled, "lower_mid": self.lower_mid}


def count_names(paths: Sequence[Union[str, Path]], names: Iterable[str]) -> Dict[str, NameCounts]:
    """NameCounts for each lower-cased name, over all sentences of the given files."""
    index: Dict[str, List[Tuple[str, ...]]] = {}
    counts: Dict[str, NameCounts] = {}
    for name in names:
        words = tuple(name.lower().split())
        if words and name.lower() not in counts:
            counts[name.lower()] = NameCounts()
            index.setdefault(words[0], []).append(words)
    for path in paths:
        for words, tags, _ in read_conll_sentences(path):
            lowers = [w.lower() for w in words]
            gold = {(s, e) for s, e, _ in bio_to_spans(tags, {"Language": "Language"})}
            for i, first in enumerate(lowers):
                for seq in index.get(first, ()):
                    end = i + len(seq)
                    if tuple(lowers[i:end]) != seq:
                        continue
                    item = counts[" ".join(seq)]
                    item.total += 1
                    if (i, end) in gold:
                        item.labelled += 1
                    elif i > 0 and all(w.islower() or not any(c.isalpha() for c in w) for w in words[i:end]):
                        item.lower_mid += 1
    return counts
