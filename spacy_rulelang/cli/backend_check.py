"""Local vs ray backend: `check-backends` (are the four outputs the same bytes?) and the
ray part of `benchmark-compare` (words/s per worker count, driver memory, identity).

Why sha256 and nothing else: the check is meant to run on the test split, whose scores
must not be looked at while developing; identical/different and digests say all that
is needed.
"""
from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import srsly
import typer
from spacy.language import Language
from wasabi import Printer

from spacy_rulelang.io.atomic import atomic_file
from spacy_rulelang.backends import RayOptions, load_ray_backend
from spacy_rulelang.compare.runner import OUTPUT_FILES, load_pipeline, run_compare
from spacy_rulelang.cli._app import app
from spacy_rulelang.cli._options import ADDRESS, BLOCK_SIZE, NUM_CPUS, NUM_GPUS, ray_options

Digests = List[Tuple[str, bool, str, str]]  # file, identical, sha256 local, sha256 ray


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fileh:
        for chunk in iter(lambda: fileh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def compare_folders(local: Path, other: Path) -> Digests:
    rows = []
    for name in OUTPUT_FILES:
        a, b = sha256_of(local / name), sha256_of(other / name)
        rows.append((name, a == b, a, b))
    return rows


def _timed_compare(nlp: Language, pipeline: str, data: Path, out: Path, *, backend: str,
                   options: Optional[RayOptions], **settings) -> Dict[str, float]:
    start = time.perf_counter()
    summary = run_compare(nlp, data, out, pipeline=pipeline, show_progress=False,
                          backend=backend, ray_options=options, **settings)
    seconds = time.perf_counter() - start
    return {"docs": summary["docs"]["in"], "words": summary["n_words"], "seconds": round(seconds, 1),
            "words_per_second": round(summary["n_words"] / seconds)}


def benchmark_ray(nlp: Language, pipeline: str, data: Path, *, repeat: int,
                  worker_counts: Sequence[int], options: RayOptions, n_process: int = 1,
                  msg: Printer, **settings) -> List[Dict[str, object]]:
    """Ray runs with each worker count over the whole repeated corpus, after one over
    half of it (the driver's peak memory after the half and after the whole: flat when
    the driver streams), then the local backend for the byte-identity check. One Ray
    session for all runs; each run's time includes starting its actors."""
    rows: List[Dict[str, object]] = []
    ray = load_ray_backend()
    with tempfile.TemporaryDirectory() as tmp, ray.ray_session(
            RayOptions(address=options.address, workers=max(worker_counts),
                       num_cpus=options.num_cpus, num_gpus=options.num_gpus)):
        runs = [(max(worker_counts), max(1, repeat // 2))] + [(w, repeat) for w in worker_counts]
        for i, (workers, passes) in enumerate(runs):
            run_options = RayOptions(address=options.address, workers=workers,
                                     num_cpus=options.num_cpus, num_gpus=options.num_gpus,
                                     batch_size=options.batch_size)
            msg.info(f"ray, {workers} worker(s), {passes} pass(es) over {data}")
            row = _timed_compare(nlp, pipeline, data, Path(tmp) / f"ray-{i}", backend="ray",
                                 options=run_options, repeat=passes, **settings)
            row.update(backend="ray", workers=workers, driver_peak_mb=round(_peak_mb(), 1),
                       folder=Path(tmp) / f"ray-{i}", passes=passes)
            rows.append(row)
        msg.info(f"local, n_process={n_process}, {repeat} passes (the reference outputs)")
        local = _timed_compare(nlp, pipeline, data, Path(tmp) / "local", backend="local",
                               options=None, repeat=repeat, n_process=n_process, **settings)
        local.update(backend="local", workers=n_process, driver_peak_mb=None,
                     folder=Path(tmp) / "local", passes=repeat)
        for row in rows:
            if row["passes"] == repeat:
                row["identical"] = all(same for _, same, _, _ in
                                       compare_folders(Path(tmp) / "local", row["folder"]))
        rows.append(local)
        for row in rows:
            row.pop("folder")
    table = [(r["backend"], r["workers"], r["docs"], r["words"], r["seconds"], r["words_per_second"],
              "" if r["driver_peak_mb"] is None else r["driver_peak_mb"],
              {True: "yes", False: "NO"}.get(r.get("identical"), "")) for r in rows]
    msg.table(table, header=("backend", "workers", "docs", "words", "s", "words/s",
                             "driver peak MB", "same bytes as local"), aligns=("l",) + ("r",) * 7)
    return rows


def _peak_mb() -> float:
    from spacy_rulelang.cli.compare import _peak_mb as peak  # one definition of the driver's peak RSS

    return peak()


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
        options = ray_options("ray", address, workers, num_cpus, num_gpus, block_size)
        nlp, _ = load_pipeline(pipeline, model_key)
        with tempfile.TemporaryDirectory() as tmp:
            for backend in ("local", "ray"):
                run_compare(nlp, data, Path(tmp) / backend, pipeline=pipeline, model_key=model_key,
                            show_progress=False, backend=backend,
                            ray_options=options if backend == "ray" else None)
            rows = compare_folders(Path(tmp) / "local", Path(tmp) / "ray")
    except (ValueError, FileNotFoundError, TypeError) as err:
        msg.fail("Backend check failed.", str(err), exits=1)
        raise
    msg.table([(name, "identical" if same else "DIFFERENT", a, b) for name, same, a, b in rows],
              header=("file", "local vs ray", "sha256 local", "sha256 ray"))
    if output is not None:
        with atomic_file(output) as tmp:
            srsly.write_json(tmp, {name: {"identical": same, "sha256_local": a, "sha256_ray": b}
                                   for name, same, a, b in rows})
    if not all(same for _, same, _, _ in rows):
        msg.fail("The backends' outputs differ.", exits=1)
    msg.good(f"All {len(rows)} outputs are byte-identical (ray: {options.workers} workers, "
             f"blocks of {options.batch_size}).")
