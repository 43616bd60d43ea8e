"""Check decisions against the corpus: the doc exists, the offsets fit, the text matches.

Why: a decisions file is tied to the DATA file `compare` ran on (a decision names its
doc by position). Applied to another corpus it would silently edit the wrong
sentences; these checks turn that into an error that names the line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Union

from spacy.tokens import Doc

from spacy_rulelang.errors import Errors
from spacy_rulelang.review.decision import Decision, Where


def _squeeze(text: str) -> str:
    return "".join(text.split())


def check_against_doc(decision: Decision, doc: Doc, path: Where, corpus: Union[str, Path]) -> None:
    """E154 for tokens outside the doc, E155 for text that the doc's tokens do not spell."""
    n = len(doc)
    where = [("the disagreement's", (decision.start, decision.end))] if decision.start is not None else []
    for name, spans in decision.listed_spans().items():
        where += [(f"a {name} span's", (s, e)) for s, e, _ in spans]
    for what, (start, end) in where:
        if end > n:  # start < end is checked when the line is read
            raise ValueError(Errors.E154.format(path=path, line=decision.line, what=what, start=start,
                                                end=end, doc=decision.doc, n=n))
    if decision.text is None:
        return
    if decision.start is None:  # Prodigy: the whole sentence
        words = [t.text for t in doc]
        found = doc.text
        same = decision.text == doc.text or _squeeze(decision.text) == _squeeze(doc.text)
        if decision.tokens is not None and list(decision.tokens) != words:
            same, found = False, " ".join(words)
    else:
        span = doc[decision.start:decision.end]
        found = span.text
        same = _squeeze(decision.text) == _squeeze(found)
    if not same:
        raise ValueError(Errors.E155.format(path=path, line=decision.line, text=decision.text,
                                            doc=decision.doc, corpus=corpus, found=found))


def check_known_docs(left: Dict[int, List[Decision]], n_docs: int, path: Where,
                     corpus: Union[str, Path]) -> None:
    """E153 for the first line (in file order) that names a doc past the end of the corpus."""
    if left:
        first = min((d for ds in left.values() for d in ds), key=lambda d: d.line)
        raise ValueError(Errors.E153.format(path=path, line=first.line, doc=first.doc,
                                            corpus=corpus, n=n_docs))
