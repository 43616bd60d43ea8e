"""`convert`: StackOverflowNER CoNLL -> .spacy DocBin with PROG_LANG entities."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional

import spacy
import typer
from wasabi import msg

from spacy_rulelang.io.corpus import read_conll, write_docbin
from spacy_rulelang.cli._app import app
from spacy_rulelang.errors import Errors


def parse_label_map(items: List[str]) -> Dict[str, str]:
    """["Language=PROG_LANG"] -> {"Language": "PROG_LANG"}; a bad item is a clear error."""
    mapping = {}
    for item in items:
        source, sep, target = item.partition("=")
        if not sep or not source or not target:
            raise ValueError(Errors.E341.format(item=item))
        mapping[source] = target
    return mapping


def convert(input_path: Path, output_path: Path, label_map: Dict[str, str],
            limit: Optional[int] = None) -> int:
    """Write the corpus as a DocBin; returns the number of docs written."""
    nlp = spacy.blank("en")
    docs = read_conll(input_path, nlp.vocab, label_map)
    if limit is not None:
        docs = (doc for _, doc in zip(range(limit), docs))
    return write_docbin(docs, output_path)


@app.command("convert")
def convert_cli(
    # fmt: off
    input_path: Path = typer.Argument(..., help="StackOverflowNER CoNLL file (word<TAB>tag<TAB>word<TAB>markdown-tag)"),
    output_path: Path = typer.Argument(..., help="Output .spacy file"),
    label_map: List[str] = typer.Option(["Language=PROG_LANG"], "--label-map", "-l", help="CORPUS_TYPE=LABEL; repeat for more types"),
    limit: Optional[int] = typer.Option(None, "--limit", help="Keep only the first N sentences (small runs)"),
    # fmt: on
) -> None:
    """Convert a StackOverflowNER CoNLL file to a .spacy DocBin."""
    try:
        n_docs = convert(input_path, output_path, parse_label_map(label_map), limit)
    except (ValueError, FileNotFoundError) as err:
        msg.fail(str(err), exits=1)
    msg.good(f"Wrote {n_docs} docs to {output_path}")
