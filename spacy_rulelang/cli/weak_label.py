"""`weak-label`: unlabelled text -> a .spacy DocBin whose entities are the rule spans.
A thin typer wrapper over `review.weak_supervision.weak_label`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from wasabi import Printer

from spacy_rulelang.backends import BlockStats
from spacy_rulelang.io.pipeline import NO_TAGGER
from spacy_rulelang.review.weak_supervision import DEFAULT_MISSING, WeakLabelOptions, weak_label
from spacy_rulelang.cli._app import app
from spacy_rulelang.cli._options import RaySettings, with_ray_parameters


@app.command("weak-label")
@with_ray_parameters
def weak_label_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help=f"Pipeline with rulelang, or one with a tagger to add it to (name or path), or '{NO_TAGGER}' (no POS checks)"),
    data: Path = typer.Argument(..., help="Unlabelled input: JSONL with \"text\", StackOverflowNER CoNLL (tags ignored) or .spacy (entities ignored)", exists=True, dir_okay=False),
    output: Path = typer.Argument(..., help="Output .spacy file for `spacy train`", dir_okay=False),
    missing: str = typer.Option(DEFAULT_MISSING, "--missing", "-m", help="Candidates to mark missing instead of O: none, undecided, rejected[:RULE,...], weak:RULE,... (or several joined by '+')"),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N texts"),
    batch_size: int = typer.Option(256, "--batch-size", "-b", help="Texts per batch"),
    ray: RaySettings = RaySettings(),  # --backend and its settings (with_ray_parameters)
    # fmt: on
) -> None:
    """Weak labels from the rules: training docs whose entities are the rule spans."""
    msg = Printer()
    timing = BlockStats()
    try:
        options = WeakLabelOptions(missing=missing, limit=limit, n_process=ray.n_process,
                                   batch_size=batch_size, ray=ray.options(),
                                   block_size=ray.local_block_size)
        counts = weak_label(pipeline, data, output, options, timing=timing)
    except (OSError, ValueError) as err:
        msg.fail("Weak labelling failed; the output was left as it was.", str(err), exits=1)
    msg.good(f"Wrote {counts['docs']} docs with {counts['entities']} entities and "
             f"{counts['missing']} missing tokens (--missing {missing}) to {output}")
    if ray.verbose:
        for line in timing.lines():
            msg.info(line)
