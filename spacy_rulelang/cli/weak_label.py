"""`weak-label`: unlabelled text -> a .spacy DocBin whose entities are the rule spans."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator, Optional, Tuple

import typer
from spacy.tokens import Doc
from wasabi import Printer

from spacy_rulelang.backends import decoded_docs, load_ray_backend
from spacy_rulelang.io.corpus import data_kind, write_docbin
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.pipeline import NO_TAGGER, load_with_rulelang
from spacy_rulelang.review.weak_supervision import (DEFAULT_MISSING, MissingPolicy, input_docs, weak_label_docs,
                           weak_label_job)
from spacy_rulelang.cli._app import app
from spacy_rulelang.cli._options import ADDRESS, BACKEND, BLOCK_SIZE, NUM_CPUS, NUM_GPUS, WORKERS, ray_options


@app.command("weak-label")
def weak_label_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help=f"Pipeline with rulelang, or one with a tagger to add it to (name or path), or '{NO_TAGGER}' (no POS checks)"),
    data: Path = typer.Argument(..., help="Unlabelled input: JSONL with \"text\", StackOverflowNER CoNLL (tags ignored) or .spacy (entities ignored)", exists=True, dir_okay=False),
    output: Path = typer.Argument(..., help="Output .spacy file for `spacy train`", dir_okay=False),
    missing: str = typer.Option(DEFAULT_MISSING, "--missing", "-m", help="Candidates to mark missing instead of O: none, undecided, rejected[:RULE,...], weak:RULE,... (or several joined by '+')"),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N texts"),
    n_process: int = typer.Option(1, "--n-process", "-n", help="Worker processes"),
    batch_size: int = typer.Option(256, "--batch-size", "-b", help="Texts per batch"),
    backend: str = BACKEND,
    address: Optional[str] = ADDRESS,
    workers: Optional[int] = WORKERS,
    num_cpus: Optional[float] = NUM_CPUS,
    num_gpus: Optional[float] = NUM_GPUS,
    block_size: Optional[int] = BLOCK_SIZE,
    # fmt: on
) -> None:
    """Weak labels from the rules: training docs whose entities are the rule spans."""
    weak_label(pipeline, data, output, missing=missing, limit=limit, n_process=n_process,
               batch_size=batch_size, silent=False, backend=backend,
               ray=(address, workers, num_cpus, num_gpus, block_size))


def weak_label(pipeline: str, data: Path, output: Path, *, missing: str = DEFAULT_MISSING,
               limit: Optional[int] = None, n_process: int = 1, batch_size: int = 256,
               silent: bool = True, backend: str = "local", ray: Tuple = ()) -> Counter:
    """Write the weakly labelled docs to `output` (all at once); returns counts of docs,
    entities and missing tokens. `ray`: (address, workers, num_cpus, num_gpus, block_size)."""
    msg = Printer(no_print=silent, pretty=not silent)
    try:
        options = ray_options(backend, *ray, show_progress=not silent)
        if options is not None and n_process > 1:
            raise ValueError(Errors.E177)
        policy = MissingPolicy.parse(missing)
        nlp = load_with_rulelang(pipeline)
        if options is not None:
            rows = load_ray_backend().pipe_file(Path(data), data_kind(data),
                                                weak_label_job(pipeline, policy), options,
                                                limit=limit)
            docs: Iterable[Doc] = (doc for _, doc, _ in decoded_docs(rows, nlp.vocab))
        else:
            docs = weak_label_docs(nlp, input_docs(data, nlp, limit), policy,
                                   n_process=n_process, batch_size=batch_size)
        counts: Counter = Counter()
        write_docbin(_counted(docs, counts), output)
    except (OSError, ValueError) as err:
        msg.fail("Weak labelling failed; the output was left as it was.", str(err), exits=1)
    msg.good(f"Wrote {counts['docs']} docs with {counts['entities']} entities and "
             f"{counts['missing']} missing tokens (--missing {missing}) to {output}")
    return counts


def _counted(docs: Iterable[Doc], counts: Counter) -> Iterator[Doc]:
    for doc in docs:
        counts["docs"] += 1
        counts["entities"] += len(doc.ents)
        counts["missing"] += sum(1 for t in doc if t.ent_iob == 0)
        yield doc
