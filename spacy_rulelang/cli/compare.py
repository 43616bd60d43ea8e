"""`compare` and `benchmark-compare`: rules vs model, as reviewable items.

Thin typer wrappers over plain functions (`compare`, `benchmark_compare`) that
print through wasabi and exit through `msg.fail(..., exits=1)` on bad input.
"""
from __future__ import annotations

import math
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import srsly
import typer
from spacy.util import import_file
from wasabi import Printer

from spacy_rulelang.io.atomic import atomic_file
from spacy_rulelang.compare.core import CATEGORIES
from spacy_rulelang.compare.runner import OUTPUT_FILES, _raw_items, load_pipeline, run_compare
from spacy_rulelang.io.corpus import data_kind
from spacy_rulelang.errors import Errors
from spacy_rulelang.compare.rule_names import DEFAULT_RULE_NAME
from spacy_rulelang.cli._app import app
from spacy_rulelang.cli._options import ADDRESS, BACKEND, BLOCK_SIZE, NUM_CPUS, NUM_GPUS, WORKERS, ray_options

BENCHMARK_MIN_DOCS = 100_000
CHECKPOINTS = (0.1, 0.25, 0.5, 0.75, 1.0)


def check_data(data: Path) -> None:
    data_kind(data)
    if not Path(data).exists():
        raise FileNotFoundError(Errors.E022.format(path=data))


def _split(value: Optional[str]) -> Optional[List[str]]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def import_code(code: Optional[Path]) -> None:
    """Import the --code file before the pipeline loads, so the components it registers
    (@Language.component) exist; with n_process > 1 the forked workers inherit them.
    Like spaCy's own `import_code`, but raising E142 instead of exiting."""
    if code is None:
        return
    if not Path(code).is_file():
        raise ValueError(Errors.E142.format(path=code, err="no such file"))
    try:
        import_file("python_code", code)
    except Exception as err:  # noqa: BLE001  any error in the user's file
        raise ValueError(Errors.E142.format(path=code, err=f"{type(err).__name__}: {err}")) from err


@app.command("compare")
def compare_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline name or path with the 'rulelang' component, or with other rules named by --rules-key"),
    data: Path = typer.Argument(..., help="Gold .spacy file, StackOverflowNER CoNLL file, or JSONL with a \"text\" field (no gold)"),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for disagreements.jsonl, report.html, summary.json, calibration.json"),
    n_process: int = typer.Option(1, "--n-process", "-n", help="Processes for nlp.pipe"),
    gold: bool = typer.Option(True, "--gold/--no-gold", help="Use the data's gold spans (ignored for JSONL)"),
    model_key: Optional[str] = typer.Option(None, "--model-key", help="Span key with the model's own entities (default: doc.ents; 'model' when the pipeline has rulelang_merge)"),
    rules_key: Optional[str] = typer.Option(None, "--rules-key", help="Span key of another rule component (e.g. a SpanRuler's 'ruler'); default: rulelang's"),
    rule_name: str = typer.Option(DEFAULT_RULE_NAME, "--rule-name", help="Where a rule span's rule name is: a Span extension (rulelang_rule), 'id' (pattern ids) or 'label'"),
    limit: Optional[int] = typer.Option(None, "--limit", help="Read only the first N sentences"),
    max_examples: int = typer.Option(500, "--max-examples", help="Examples kept (highest priority) in report.html"),
    dataset: str = typer.Option("rulelang_compare", "--dataset", help="Prodigy dataset name, used in the _session_id of each version"),
    labels: Optional[str] = typer.Option(None, "--labels", help="Comma-separated labels to compare (default: the rulelang component's label)"),
    batch_size: int = typer.Option(64, "--batch-size", help="Batch size for nlp.pipe"),
    code: Optional[Path] = typer.Option(None, "--code", "-c", help="Python file to import first, e.g. one that registers custom components"),
    backend: str = BACKEND,
    address: Optional[str] = ADDRESS,
    workers: Optional[int] = WORKERS,
    num_cpus: Optional[float] = NUM_CPUS,
    num_gpus: Optional[float] = NUM_GPUS,
    block_size: Optional[int] = BLOCK_SIZE,
    # fmt: on
):
    """Run rules and model side by side and export their disagreements for review."""
    compare(pipeline, data, output, n_process=n_process, use_gold=gold, model_key=model_key,
            rules_key=rules_key, rule_name=rule_name,
            limit=limit, max_examples=max_examples, dataset=dataset, labels=_split(labels),
            batch_size=batch_size, code=code, silent=False, backend=backend,
            ray=(address, workers, num_cpus, num_gpus, block_size))


def compare(pipeline: str, data: Path, output: Path, *, n_process: int = 1,
            use_gold: bool = True, model_key: Optional[str] = None,
            rules_key: Optional[str] = None, rule_name: str = DEFAULT_RULE_NAME,
            limit: Optional[int] = None,
            max_examples: int = 500, dataset: str = "rulelang_compare",
            labels: Optional[List[str]] = None, batch_size: int = 64,
            code: Optional[Path] = None, silent: bool = True, backend: str = "local",
            ray: Tuple = ()) -> Dict[str, object]:
    """`ray`: (address, workers, num_cpus, num_gpus, block_size) for --backend ray."""
    msg = Printer(no_print=silent)
    try:
        options = ray_options(backend, *ray, show_progress=not silent)
        check_data(data)  # before the (slow) pipeline load
        import_code(code)
        nlp, notes = load_pipeline(pipeline, model_key, rules_key)
        n_load_notes = len(notes)
        for note in notes:
            msg.info(note)
        summary = run_compare(nlp, data, output, pipeline=pipeline, model_key=model_key,
                              rules_key=rules_key, rule_name=rule_name,
                              use_gold=use_gold, limit=limit, max_examples=max_examples,
                              dataset=dataset, n_process=n_process, batch_size=batch_size,
                              labels=labels, show_progress=not silent, notes=notes,
                              backend=backend, ray_options=options, code=code)
    except (ValueError, FileNotFoundError, TypeError) as err:
        Printer().fail("Comparison failed; nothing in the output folder was changed.",
                       str(err), exits=1)
        raise  # unreachable: fail() exits
    for note in notes[n_load_notes:]:
        msg.info(note)
    docs = summary["docs"]
    msg.good(f"Compared {docs['in']} docs ({summary['n_words']} words): "
             f"{docs['with_disagreements']} with disagreements, "
             f"{docs['without_disagreements']} without, {sum(docs['skipped'].values())} skipped")
    msg.table([(c, summary["categories"][c]) for c in CATEGORIES],
              header=("category", "count"), aligns=("l", "r"))
    for name in OUTPUT_FILES:
        msg.text(f"  {Path(output) / name}")
    return summary


def _rss_mb() -> float:
    """Current resident memory (Linux /proc), falling back to the peak."""
    try:
        with open("/proc/self/statm") as fileh:
            pages = int(fileh.read().split()[1])
        return pages * resource.getpagesize() / 1e6
    except (OSError, ValueError, IndexError):
        return _peak_mb()


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6  # bytes vs KiB


def _passes(nlp, data: Path, repeat: int, min_docs: int) -> Tuple[int, int]:
    """(sentences in DATA, passes: `repeat`, or with 0 enough for `min_docs`)."""
    n_sentences = sum(1 for _ in _raw_items(Path(data), nlp, 1))
    if repeat <= 0:
        repeat = max(1, math.ceil(min_docs / max(1, n_sentences)))
    return n_sentences, repeat


def _benchmark_ray(pipeline: str, data: Path, *, repeat: int, min_docs: int, n_process: int,
                   model_key: Optional[str], batch_size: int, code: Optional[Path], msg: Printer,
                   worker_counts: str, ray: Tuple) -> List[Dict[str, float]]:
    address, num_cpus, num_gpus, block_size = ray or (None,) * 4
    try:
        counts = sorted({int(w) for w in worker_counts.split(",") if w.strip()})
    except ValueError:
        counts = []
    if not counts or counts[0] < 1:
        raise ValueError(Errors.E103.format(setting="--workers", minimum=1, value=worker_counts))
    options = ray_options("ray", address, max(counts), num_cpus, num_gpus, block_size)
    check_data(data)
    import_code(code)
    nlp, _ = load_pipeline(pipeline, model_key)
    n_sentences, repeat = _passes(nlp, data, repeat, min_docs)
    msg.info(f"{n_sentences} sentences x {repeat} = {n_sentences * repeat} docs")
    from spacy_rulelang.cli.backend_check import benchmark_ray

    return benchmark_ray(nlp, pipeline, data, repeat=repeat, worker_counts=counts,
                         options=options, n_process=n_process, msg=msg, model_key=model_key,
                         batch_size=batch_size, code=code)


@app.command("benchmark-compare")
def benchmark_compare_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline name or path with the 'rulelang' component"),
    data: Path = typer.Argument(..., help="Gold .spacy / CoNLL file or JSONL texts"),
    repeat: int = typer.Option(0, "--repeat", "-r", help="Passes over the corpus (0: enough for --min-docs)"),
    min_docs: int = typer.Option(BENCHMARK_MIN_DOCS, "--min-docs", help="Sentences to reach when --repeat is 0"),
    n_process: int = typer.Option(1, "--n-process", "-n", help="Processes for nlp.pipe"),
    model_key: Optional[str] = typer.Option(None, "--model-key", help="Span key with the model's own entities"),
    batch_size: int = typer.Option(64, "--batch-size", help="Batch size for nlp.pipe"),
    code: Optional[Path] = typer.Option(None, "--code", "-c", help="Python file to import first, e.g. one that registers custom components"),
    backend: str = BACKEND,
    workers: str = typer.Option("1,2", "--workers", help="ray: the worker counts to time, comma-separated"),
    address: Optional[str] = ADDRESS,
    num_cpus: Optional[float] = NUM_CPUS,
    num_gpus: Optional[float] = NUM_GPUS,
    block_size: Optional[int] = BLOCK_SIZE,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the figures to this JSON file"),
    # fmt: on
):
    """Words/second and memory of the comparison stage over a repeated corpus. With
    --backend ray: words/s for each worker count, the driver's peak memory after half and
    all of the corpus, and whether the outputs are the bytes of the local backend's."""
    rows = benchmark_compare(pipeline, data, repeat=repeat, min_docs=min_docs,
                             n_process=n_process, model_key=model_key, batch_size=batch_size,
                             code=code, silent=False, backend=backend, worker_counts=workers,
                             ray=(address, num_cpus, num_gpus, block_size))
    if output is not None:
        with atomic_file(output) as tmp:
            srsly.write_json(tmp, rows)


def benchmark_compare(pipeline: str, data: Path, *, repeat: int = 0,
                      min_docs: int = BENCHMARK_MIN_DOCS, n_process: int = 1,
                      model_key: Optional[str] = None, batch_size: int = 64,
                      code: Optional[Path] = None, silent: bool = True, backend: str = "local",
                      worker_counts: str = "1,2", ray: Tuple = ()) -> List[Dict[str, float]]:
    """Streams the corpus `repeat` times (a generator, never a list) through the
    whole comparison (outputs go to a temporary folder) and samples memory at
    10/25/50/75/100% of the docs. With n_process > 1 the workers' memory is not counted.
    With backend "ray", `backend_check.benchmark_ray` runs instead; `ray` is
    (address, num_cpus, num_gpus, block_size)."""
    msg = Printer(no_print=silent)
    try:
        if backend == "ray":
            return _benchmark_ray(pipeline, data, repeat=repeat, min_docs=min_docs,
                                  n_process=n_process, model_key=model_key,
                                  batch_size=batch_size, code=code, msg=msg,
                                  worker_counts=worker_counts, ray=ray)
        address, num_cpus, num_gpus, block_size = ray or (None,) * 4
        ray_options(backend, address, None, num_cpus, num_gpus, block_size)  # E170, E173
        check_data(data)
        import_code(code)
        nlp, _ = load_pipeline(pipeline, model_key)
        n_sentences, repeat = _passes(nlp, data, repeat, min_docs)
        total = n_sentences * repeat
        marks = sorted({max(1, int(total * c)) for c in CHECKPOINTS})
        rows: List[Dict[str, float]] = []
        start = time.perf_counter()

        def on_doc(n_docs: int, n_words: int) -> None:
            if marks and n_docs >= marks[0]:
                marks.pop(0)
                elapsed = time.perf_counter() - start
                rows.append({"docs": n_docs, "words": n_words, "seconds": round(elapsed, 2),
                             "words_per_second": round(n_words / elapsed) if elapsed else 0.0,
                             "rss_mb": round(_rss_mb(), 1), "peak_mb": round(_peak_mb(), 1)})

        msg.info(f"{n_sentences} sentences x {repeat} = {total} docs")
        with tempfile.TemporaryDirectory() as tmp:
            run_compare(nlp, data, tmp, pipeline=pipeline, model_key=model_key,
                        n_process=n_process, batch_size=batch_size, repeat=repeat,
                        show_progress=not silent, on_doc=on_doc)
    except (ValueError, FileNotFoundError, TypeError) as err:
        Printer().fail("Benchmark failed.", str(err), exits=1)
        raise
    table = [(f"{100 * r['docs'] / total:.0f}%", r["docs"], r["words"], r["seconds"],
              r["words_per_second"], r["rss_mb"], r["peak_mb"]) for r in rows]
    msg.table(table, header=("progress", "docs", "words", "s", "words/s", "RSS MB", "peak MB"),
              aligns=("r",) * 7)
    if len(rows) >= 2:
        msg.info(f"RSS from {rows[0]['docs']} to {rows[-1]['docs']} docs: "
                 f"{rows[-1]['rss_mb'] - rows[0]['rss_mb']:+.1f} MB")
    return rows
