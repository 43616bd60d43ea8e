"""`check-backends`: are the four outputs of `compare` the same bytes with the local and the
ray backend? A thin typer wrapper over `compare.identity.check_backends`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import srsly
import typer
from wasabi import Printer

from spacy_rulelang.compare.identity import check_backends
from spacy_rulelang.io.atomic import atomic_file
from spacy_rulelang.cli._app import app
from spacy_rulelang.cli._options import ADDRESS, BLOCK_SIZE, NUM_CPUS, NUM_GPUS, ray_settings


@app.command("check-backends")
def check_backends_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline name or path with the 'rulelang' component"),
    data: Path = typer.Argument(..., help="Gold .spacy / CoNLL file, JSONL or Parquet texts (e.g. the test split)"),
    model_key: Optional[str] = typer.Option(None, "--model-key", help="Span key with the model's own entities"),
    address: Optional[str] = ADDRESS,
    workers: int = typer.Option(2, "--workers", help="ray: actors in the pool"),
    num_cpus: Optional[float] = NUM_CPUS,
    num_gpus: Optional[float] = NUM_GPUS,
    block_size: Optional[int] = BLOCK_SIZE,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the table to this JSON file"),
    # fmt: on
) -> None:
    """Run compare with the local and the ray backend; print, per output file, whether the
    two are identical and their sha256 (no scores: safe on the test split)."""
    msg = Printer()
    try:
        ray = ray_settings("ray", address, workers, num_cpus, num_gpus, block_size)
        rows = check_backends(pipeline, data, ray, model_key=model_key)
    except (ValueError, FileNotFoundError, TypeError) as err:
        msg.fail("Backend check failed.", str(err), exits=1)
    msg.table([(d.name, "identical" if d.identical else "DIFFERENT", d.sha256_local, d.sha256_ray)
               for d in rows], header=("file", "local vs ray", "sha256 local", "sha256 ray"))
    if output is not None:
        with atomic_file(output) as tmp:
            srsly.write_json(tmp, {d.name: {"identical": d.identical, "sha256_local": d.sha256_local,
                                            "sha256_ray": d.sha256_ray} for d in rows})
    if not all(d.identical for d in rows):
        msg.fail("The backends' outputs differ.", exits=1)
    msg.good(f"All {len(rows)} outputs are byte-identical (ray: {ray.workers} workers, "
             f"blocks of {ray.batch_size}).")
