"""Throughput of the comparison stage (`benchmark-compare`): words/second and memory over
a repeated corpus; with worker counts, one run per backend and count on the same corpus
(local first: its one-worker run is the reference), each with words/second, the speedup
over the local one-worker run, the driver's peak memory after half and after all of the
docs, and whether its outputs are the reference's bytes.

Why a repeated corpus: the corpus is streamed `repeat` times (a generator, never a list)
through the whole comparison, so memory that grows with the docs would show between the
first and the last sample.
"""
from __future__ import annotations

import math
import resource
from contextlib import ExitStack
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple, Union

from spacy.language import Language

from spacy_rulelang.backends import BlockStats, RayOptions, load_ray_backend
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
                      min_docs: int = BENCHMARK_MIN_DOCS, worker_counts: Sequence[int] = (),
                      log: Log = _quiet) -> Benchmark:
    """Stream DATA `repeat` times through the whole comparison (outputs go to a temporary
    folder). Without `worker_counts`, one local run with `options.n_process` whose memory
    is sampled at 10/25/50/75/100% of the docs (with n_process > 1 the workers' memory is
    not counted); with them, `benchmark_backends`: a run per worker count locally and,
    with `options.ray`, on Ray too. `log` gets a line before the (long) runs."""
    data = Path(data)
    check_input(data)
    import_code(options.code)
    nlp, _ = load_pipeline(pipeline, options.model_key)
    n_sentences, passes = passes_for(nlp, data, repeat, min_docs)
    log(f"{n_sentences} sentences x {passes} = {n_sentences * passes} docs")
    if worker_counts:
        backends = ("local", "ray") if options.ray is not None else ("local",)
        rows = benchmark_backends(nlp, pipeline, data, options, repeat=passes, docs=n_sentences * passes,
                                  worker_counts=worker_counts, backends=backends, log=log)
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


def _timed_compare(nlp: Language, pipeline: str, data: Path, out: Path, options: CompareOptions,
                   docs: int) -> Dict[str, object]:
    """One whole run: words/s, and the driver's peak resident memory (sampled after each
    block) over the first half of the docs and over all of them."""
    peaks = {"half": 0.0, "all": 0.0}

    def on_doc(n_docs: int, n_words: int) -> None:
        rss = rss_mb()
        peaks["all"] = max(peaks["all"], rss)
        if n_docs <= docs // 2:
            peaks["half"] = max(peaks["half"], rss)

    timing = BlockStats()
    start = time.perf_counter()
    summary = run_compare(nlp, data, out, options, pipeline=pipeline, on_doc=on_doc, timing=timing)
    seconds = time.perf_counter() - start
    half, full = peaks["half"] or peaks["all"], peaks["all"]
    return {"docs": summary["docs"]["in"], "words": summary["n_words"], "seconds": round(seconds, 1),
            "words_per_second": round(summary["n_words"] / seconds),
            "driver_mb_half": round(half, 1), "driver_mb_all": round(full, 1),
            "driver_growth": round((full - half) / half, 4) if half else None,
            "block_overhead": round(timing.overhead, 4), "workers_busy": round(timing.utilization, 3)}


def benchmark_backends(nlp: Language, pipeline: str, data: Path, options: CompareOptions, *,
                       repeat: int, docs: int, worker_counts: Sequence[int],
                       backends: Sequence[str] = ("local", "ray"), log: Log = _quiet) -> List[Dict[str, object]]:
    """A whole comparison per backend and worker count over the same repeated corpus,
    local first: its first run is the reference for the speedup and the byte identity.
    The Ray runs share one Ray session (an embedded one unless `options.ray.address`);
    each one's time includes starting its actors (each loads the pipeline)."""
    pool = options.ray or RayOptions()
    rows: List[Dict[str, object]] = []
    quiet = replace(options, show_progress=False, repeat=repeat)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        reference = None
        pool = replace(pool, log_file=pool.log_file or Path(tmp) / "ray.log")
        for backend in backends:
            if backend == "ray":  # one session for all Ray runs, sized for the largest
                stack.enter_context(load_ray_backend().ray_session(replace(pool, workers=max(worker_counts))))
            for workers in worker_counts:
                folder = Path(tmp) / f"{backend}-{workers}"
                if backend == "local":
                    log(f"local, {workers} worker(s), {repeat} pass(es) over {data}")
                    run = replace(quiet, ray=None, n_process=workers)
                else:
                    log(f"ray, {workers} worker(s), {repeat} pass(es) over {data}")
                    run = replace(quiet, n_process=1, ray=replace(pool, workers=workers))
                row = _timed_compare(nlp, pipeline, data, folder, run, docs)
                row = {"backend": backend, "workers": workers, **row}
                if reference is None:
                    reference = (folder, row["words_per_second"])
                row["speedup"] = round(row["words_per_second"] / reference[1], 2) if reference[1] else None
                row["identical"] = all(d.identical for d in compare_folders(reference[0], folder))
                rows.append(row)
    return rows


__all__ = ["BENCHMARK_MIN_DOCS", "Benchmark", "benchmark_backends", "benchmark_compare",
           "parse_worker_counts", "passes_for", "peak_mb", "rss_mb"]
