"""Split a gold file into k folds for out-of-fold model predictions.

Why: the learned merge must learn how far to trust the model on text it was not trained
on. Fitted on dev alone it saw a model that confirmed nearly every true mention (dev is
easy for it), and so learned to drop the rule spans the model did not confirm. Models
trained on k-1 folds of train and run on the held-out fold give the merge rows where the
model's misses are real, and 4-5x more of them than dev has.

    write_folds("corpus/train.spacy", "corpus/folds", k=3)
    # corpus/folds/0/train.spacy (folds 1, 2) and corpus/folds/0/heldout.spacy (fold 0), ...

The folds are contiguous blocks of sentences, so a StackOverflow post (question and its
answers, in order in the file) stays in one fold, and a rerun writes the same files.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple, Union

from spacy.vocab import Vocab

from spacy_rulelang.io.corpus import read_gold_docs, write_docbin
from spacy_rulelang.errors import Errors


def fold_bounds(n_docs: int, k: int) -> List[Tuple[int, int]]:
    """[lo, hi) of each of k contiguous, near-equal blocks."""
    return [(i * n_docs // k, (i + 1) * n_docs // k) for i in range(k)]


def write_folds(path: Union[str, Path], output: Union[str, Path], k: int = 3) -> List[Tuple[int, int]]:
    """Write OUTPUT/i/train.spacy (every fold but i) and OUTPUT/i/heldout.spacy (fold i)."""
    docs = list(read_gold_docs(path, Vocab()))
    if k < 2 or len(docs) < k:
        raise ValueError(Errors.E231.format(path=path, k=k, n=len(docs)))
    bounds = fold_bounds(len(docs), k)
    for i, (lo, hi) in enumerate(bounds):
        folder = Path(output) / str(i)
        folder.mkdir(parents=True, exist_ok=True)
        write_docbin(docs[:lo] + docs[hi:], folder / "train.spacy")
        write_docbin(docs[lo:hi], folder / "heldout.spacy")
    return bounds
