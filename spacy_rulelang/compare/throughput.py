"""Throughput of the comparison stage (`benchmark-compare`): words/second and memory over
a repeated corpus; with the ray backend, words/second per worker count, the driver's peak
memory and whether the outputs are the local backend's bytes.

Why a repeated corpus: the corpus is streamed `repeat` times (a generator, never a list)
through the whole comparison, so memory that grows with the docs would show between the
first and the last sample.
"""
from __future__ import annotations

import math
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple, Union

from spacy.language import Language

from spacy_rulelang.backends import RayOptions, load_ray_backend
from spacy_rulelang.compare.identity import compare_folders
from spacy_rulelang.compare.runner import CompareOptions, repeated_items, import_code, load_pipeline, run_compare
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.corpus import check_input

BENCHMARK_MIN_DOCS = 100_000
CHECKPOINTS = (0.1, 0.25, 0.5, 0.75, 1.0)
Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class Benchmark:
    """What a benchmark measured: `rows` of figures (the JSON that --output writes)."""

    sentences: int
    passes: int
    rows: List[Dict[str, object]]

    @property
    def docs(self) -> int:
        return self.sentences * self.passes


def rss_mb() -> float:
    """Current resident memory (Linux /proc), falling back to the peak."""
    try:
        with open("/proc/self/statm") as fileh:
            pages = int(fileh.read().split()[1])
        return pages * resource.getpagesize() / 1e6
    except (OSError, ValueError, IndexError):
        return peak_mb()


def peak_mb() -> float:
    """This process's peak resident memory (the driver's, with the ray backend)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6  # bytes vs KiB


def parse_worker_counts(value: str) -> List[int]:
    """"1,2,4" -> [1, 2, 4] (sorted, once each); E103 unless all are whole numbers >= 1."""
    try:
        counts = sorted({int(w) for w in value.split(",") if w.strip()})
    except ValueError:
        counts = []
    if not counts or counts[0] < 1:
        raise ValueError(Errors.E103.format(setting="--workers", minimum=1, value=value))
    return counts


def passes_for(nlp: Language, data: Path, repeat: int, min_docs: int) -> Tuple[int, int]:
    """(sentences in DATA, passes: `repeat`, or with 0 enough for `min_docs`)."""
    n_sentences = sum(1 for _ in repeated_items(Path(data), nlp, 1))
    if repeat <= 0:
        repeat = max(1, math.ceil(min_docs / max(1, n_sentences)))
    return n_sentences, repeat


def benchmark_compare(pipeline: str, data: Union[str, Path],
                      options: CompareOptions = CompareOptions(), *, repeat: int = 0,
                      min_docs: int = BENCHMARK_MIN_DOCS, worker_counts: Sequence[int] = (1, 2),
                      log: Log = _quiet) -> Benchmark:
    """Stream DATA `repeat` times through the whole comparison (outputs go to a temporary
    folder). Locally, memory is sampled at 10/25/50/75/100% of the docs (with n_process > 1
    the workers' memory is not counted); with `options.ray`, `benchmark_ray` runs instead,
    once per worker count. `log` gets a line before the (long) runs."""
    data = Path(data)
    check_input(data)
    import_code(options.code)
    nlp, _ = load_pipeline(pipeline, options.model_key)
    n_sentences, passes = passes_for(nlp, data, repeat, min_docs)
    log(f"{n_sentences} sentences x {passes} = {n_sentences * passes} docs")
    if options.ray is not None:
        rows = benchmark_ray(nlp, pipeline, data, options, repeat=passes,
                             worker_counts=worker_counts, log=log)
        return Benchmark(n_sentences, passes, rows)
    total = n_sentences * passes
    marks = sorted({max(1, int(total * c)) for c in CHECKPOINTS})
    rows: List[Dict[str, object]] = []
    start = time.perf_counter()

    def on_doc(n_docs: int, n_words: int) -> None:
        if marks and n_docs >= marks[0]:
            marks.pop(0)
            elapsed = time.perf_counter() - start
            rows.append({"docs": n_docs, "words": n_words, "seconds": round(elapsed, 2),
                         "words_per_second": round(n_words / elapsed) if elapsed else 0.0,
                         "rss_mb": round(rss_mb(), 1), "peak_mb": round(peak_mb(), 1)})

    with tempfile.TemporaryDirectory() as tmp:
        run_compare(nlp, data, tmp, replace(options, repeat=passes), pipeline=pipeline,
                    on_doc=on_doc)
    return Benchmark(n_sentences, passes, rows)


def _timed_compare(nlp: Language, pipeline: str, data: Path, out: Path,
                   options: CompareOptions) -> Dict[str, object]:
    start = time.perf_counter()
    summary = run_compare(nlp, data, out, options, pipeline=pipeline)
    seconds = time.perf_counter() - start
    return {"docs": summary["docs"]["in"], "words": summary["n_words"], "seconds": round(seconds, 1),
            "words_per_second": round(summary["n_words"] / seconds)}


def benchmark_ray(nlp: Language, pipeline: str, data: Path, options: CompareOptions, *,
                  repeat: int, worker_counts: Sequence[int], log: Log = _quiet) -> List[Dict[str, object]]:
    """Ray runs with each worker count over the whole repeated corpus, after one over
    half of it (the driver's peak memory after the half and after the whole: flat when
    the driver streams), then the local backend (`options.n_process`) for the byte-identity
    check. One Ray session for all runs; each run's time includes starting its actors."""
    pool = options.ray or RayOptions()
    rows: List[Dict[str, object]] = []
    ray = load_ray_backend()
    quiet = replace(options, show_progress=False)
    with tempfile.TemporaryDirectory() as tmp, ray.ray_session(
            RayOptions(address=pool.address, workers=max(worker_counts),
                       num_cpus=pool.num_cpus, num_gpus=pool.num_gpus)):
        runs = [(max(worker_counts), max(1, repeat // 2))] + [(w, repeat) for w in worker_counts]
        for i, (workers, passes) in enumerate(runs):
            run_options = RayOptions(address=pool.address, workers=workers,
                                     num_cpus=pool.num_cpus, num_gpus=pool.num_gpus,
                                     batch_size=pool.batch_size)
            log(f"ray, {workers} worker(s), {passes} pass(es) over {data}")
            row = _timed_compare(nlp, pipeline, data, Path(tmp) / f"ray-{i}",
                                 replace(quiet, ray=run_options, n_process=1, repeat=passes))
            row.update(backend="ray", workers=workers, driver_peak_mb=round(peak_mb(), 1),
                       folder=Path(tmp) / f"ray-{i}", passes=passes)
            rows.append(row)
        log(f"local, n_process={options.n_process}, {repeat} passes (the reference outputs)")
        local = _timed_compare(nlp, pipeline, data, Path(tmp) / "local",
                               replace(quiet, ray=None, repeat=repeat))
        local.update(backend="local", workers=options.n_process, driver_peak_mb=None,
                     folder=Path(tmp) / "local", passes=repeat)
        for row in rows:
            if row["passes"] == repeat:
                row["identical"] = all(d.identical for d in
                                       compare_folders(Path(tmp) / "local", row["folder"]))
        rows.append(local)
        for row in rows:
            row.pop("folder")
    return rows


__all__ = ["BENCHMARK_MIN_DOCS", "Benchmark", "benchmark_compare", "benchmark_ray",
           "parse_worker_counts", "passes_for", "peak_mb", "rss_mb"]
