"""`benchmark-scaling`: how rulelang's time per token grows with one doc's length."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import srsly
import typer
from wasabi import msg

from spacy_rulelang.cli._app import app
from spacy_rulelang.scoring.scaling import benchmark_scaling, max_growth
from spacy_rulelang.errors import Errors


@app.command("benchmark-scaling")
def benchmark_scaling_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline with a tagger (name or path)"),
    data: Optional[Path] = typer.Argument(None, help="Sentences to join into long docs beside the pathological cases: StackOverflowNER CoNLL file or .spacy DocBin"),
    sizes: str = typer.Option("2000,32000", "--sizes", help="Comma-separated doc lengths in tokens"),
    cases: Optional[str] = typer.Option(None, "--cases", help="Comma-separated cases (default all): list, run, lines, parens, corpus, corpus+write_ents"),
    ents_every: int = typer.Option(24, "--ents-every", help="Corpus docs: an existing entity on every N-th token"),
    limit: Optional[int] = typer.Option(2000, "--limit", help="Sentences read from DATA (they are cycled; 0: all)"),
    repeats: int = typer.Option(3, "--repeats", help="Runs per doc; the best counts"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the rows to this JSON file"),
    # fmt: on
) -> None:
    """Time inside rulelang on one doc per size, for the documents that once made it
    quadratic (a long list, a run of one name, one name per line, nested parentheses)
    and, with DATA, real sentences joined into docs of the same sizes (write_ents off
    and on). Linear time: growth (µs/token against the smallest size) close to 1."""
    try:
        lengths = [int(s) for s in sizes.split(",") if s.strip()]
        names = [c.strip() for c in cases.split(",") if c.strip()] if cases else None
        if ents_every < 1:
            raise ValueError(Errors.E103.format(setting="--ents-every", minimum=1, value=ents_every))
        rows = benchmark_scaling(pipeline, lengths, data, names, limit, ents_every, repeats)
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
    msg.divider(f"Seconds inside rulelang on one doc per size (best of {repeats})")
    msg.table([(r["case"], f"{r['tokens']:,}", f"{r['seconds']:.3f}", f"{r['us_per_token']:.1f}",
                f"{r['growth']:.2f}x") for r in rows],
              header=("case", "tokens", "seconds", "µs/token", "growth"),
              aligns=("l", "r", "r", "r", "r"), divider=True)
    for case, growth in max_growth(rows).items():
        msg.info(f"{case}: µs/token grows {growth:.2f}x from {min(lengths):,} to {max(lengths):,} tokens "
                 "(linear time: close to 1)")
    if output is not None:
        srsly.write_json(output, rows)
        msg.good(f"Saved {output}")
