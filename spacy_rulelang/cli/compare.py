"""`compare` and `benchmark-compare`: rules vs model, as reviewable items.

Thin typer wrappers over plain functions of `spacy_rulelang.compare` (`runner.compare`,
`throughput.benchmark_compare`) that take a `CompareOptions`: the commands build it once,
print through wasabi and exit through `msg.fail(..., exits=1)` on a coded error.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import srsly
import typer
from wasabi import Printer

from spacy_rulelang.backends import BlockStats
from spacy_rulelang.compare.core import CATEGORIES
from spacy_rulelang.compare.rule_names import DEFAULT_RULE_NAME
from spacy_rulelang.compare.runner import OUTPUT_FILES, CompareOptions, compare
from spacy_rulelang.compare.throughput import BENCHMARK_MIN_DOCS, Benchmark, benchmark_compare, parse_worker_counts
from spacy_rulelang.io.atomic import atomic_file
from spacy_rulelang.cli._app import app
from spacy_rulelang.cli._options import ADDRESS, BACKEND, BLOCK_SIZE, CODE, NUM_CPUS, NUM_GPUS, RaySettings, ray_settings, with_ray_parameters

ERRORS = (ValueError, FileNotFoundError, TypeError)  # what the plain functions raise for bad input


def split_labels(value: Optional[str]) -> Optional[List[str]]:
    """--labels "A, B" -> ["A", "B"]; None when not given."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@app.command("compare")
@with_ray_parameters
def compare_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline name or path with the 'rulelang' component, or with other rules named by --rules-key"),
    data: Path = typer.Argument(..., help="Gold .spacy file, StackOverflowNER CoNLL file, or JSONL with a \"text\" field (no gold)"),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for disagreements.jsonl, report.html, summary.json, calibration.json"),
    gold: bool = typer.Option(True, "--gold/--no-gold", help="Use the data's gold spans (ignored for JSONL)"),
    model_key: Optional[str] = typer.Option(None, "--model-key", help="Span key with the model's own entities (default: doc.ents; 'model' when the pipeline has a merge step)"),
    rules_key: Optional[str] = typer.Option(None, "--rules-key", help="Span key of another rule component (e.g. a SpanRuler's 'ruler'); default: rulelang's"),
    rule_name: str = typer.Option(DEFAULT_RULE_NAME, "--rule-name", help="Where a rule span's rule name is: a Span extension (rulelang_rule), 'id' (pattern ids) or 'label'"),
    limit: Optional[int] = typer.Option(None, "--limit", help="Read only the first N sentences"),
    max_examples: int = typer.Option(500, "--max-examples", help="Examples kept (highest priority) in report.html"),
    dataset: str = typer.Option("rulelang_compare", "--dataset", help="Prodigy dataset name, used in the _session_id of each version"),
    labels: Optional[str] = typer.Option(None, "--labels", help="Comma-separated labels to compare (default: the rulelang component's label)"),
    batch_size: int = typer.Option(64, "--batch-size", help="Batch size for nlp.pipe"),
    code: Optional[Path] = CODE,
    ray: RaySettings = RaySettings(),  # --backend and its settings (with_ray_parameters)
    # fmt: on
) -> None:
    """Run rules and model side by side and export their disagreements for review."""
    msg = Printer()
    notes: List[str] = []
    timing = BlockStats()
    try:
        options = CompareOptions(model_key=model_key, rules_key=rules_key, rule_name=rule_name,
                                 labels=split_labels(labels), use_gold=gold, limit=limit,
                                 max_examples=max_examples, dataset=dataset, n_process=ray.n_process,
                                 batch_size=batch_size, code=code, ray=ray.options(),
                                 block_size=ray.local_block_size)
        summary = compare(pipeline, data, output, options, notes=notes, timing=timing)
    except ERRORS as err:
        for note in notes:
            msg.info(note)
        msg.fail("Comparison failed; nothing in the output folder was changed.", str(err), exits=1)
    for note in notes:
        msg.info(note)
    docs = summary["docs"]
    msg.good(f"Compared {docs['in']} docs ({summary['n_words']} words): "
             f"{docs['with_disagreements']} with disagreements, "
             f"{docs['without_disagreements']} without, {sum(docs['skipped'].values())} skipped")
    msg.table([(c, summary["categories"][c]) for c in CATEGORIES],
              header=("category", "count"), aligns=("l", "r"))
    for name in OUTPUT_FILES:
        msg.text(f"  {Path(output) / name}")
    if ray.verbose:
        for line in timing.lines():
            msg.info(line)


@app.command("benchmark-compare")
def benchmark_compare_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline name or path with the 'rulelang' component"),
    data: Path = typer.Argument(..., help="Gold .spacy / CoNLL file or JSONL texts"),
    repeat: int = typer.Option(0, "--repeat", "-r", help="Passes over the corpus (0: enough for --min-docs)"),
    min_docs: int = typer.Option(BENCHMARK_MIN_DOCS, "--min-docs", help="Sentences to reach when --repeat is 0"),
    n_process: int = typer.Option(1, "--n-process", "-n", help="Workers of the single local run (without --workers)"),
    model_key: Optional[str] = typer.Option(None, "--model-key", help="Span key with the model's own entities"),
    batch_size: int = typer.Option(64, "--batch-size", help="Batch size for nlp.pipe"),
    code: Optional[Path] = CODE,
    backend: str = BACKEND,
    workers: Optional[str] = typer.Option(None, "--workers", help="Worker counts to time side by side, comma-separated, e.g. 1,2 (the default with --backend ray): a run per count locally, and on Ray with --backend ray"),
    address: Optional[str] = ADDRESS,
    num_cpus: Optional[float] = NUM_CPUS,
    num_gpus: Optional[float] = NUM_GPUS,
    block_size: Optional[int] = BLOCK_SIZE,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the figures to this JSON file"),
    # fmt: on
) -> None:
    """Words/second and memory of the comparison stage over a repeated corpus. With
    --workers (and --backend ray): a run per backend and worker count on the same corpus,
    with words/s, the speedup over local with one worker, the driver's peak memory after
    half and all of the corpus, and whether the outputs are the same bytes."""
    msg = Printer()
    try:
        if workers is None and backend == "ray":
            workers = "1,2"
        counts = parse_worker_counts(workers) if workers is not None else []
        ray = ray_settings(backend, address, None, num_cpus, num_gpus, block_size)
        options = CompareOptions(model_key=model_key, n_process=n_process, batch_size=batch_size,
                                 code=code, ray=ray, block_size=None if ray else block_size)
        result = benchmark_compare(pipeline, data, options, repeat=repeat, min_docs=min_docs,
                                   worker_counts=counts, log=msg.info)
    except ERRORS as err:
        msg.fail("Benchmark failed.", str(err), exits=1)
    if counts:
        print_backends_benchmark(msg, result)
    else:
        print_benchmark(msg, result)
    if output is not None:
        with atomic_file(output) as tmp:
            srsly.write_json(tmp, result.rows)


def print_benchmark(msg: Printer, result: Benchmark) -> None:
    rows = result.rows
    table = [(f"{100 * r['docs'] / result.docs:.0f}%", r["docs"], r["words"], r["seconds"],
              r["words_per_second"], r["rss_mb"], r["peak_mb"]) for r in rows]
    msg.table(table, header=("progress", "docs", "words", "s", "words/s", "RSS MB", "peak MB"),
              aligns=("r",) * 7)
    if len(rows) >= 2:
        msg.info(f"RSS from {rows[0]['docs']} to {rows[-1]['docs']} docs: "
                 f"{rows[-1]['rss_mb'] - rows[0]['rss_mb']:+.1f} MB")


def print_backends_benchmark(msg: Printer, result: Benchmark) -> None:
    table = [(r["backend"], r["workers"], r["docs"], r["words"], r["seconds"], r["words_per_second"],
              f"{r['speedup']:.2f}x", r["driver_mb_half"], r["driver_mb_all"],
              f"{100 * r['driver_growth']:+.1f}%", f"{100 * r['block_overhead']:.1f}%",
              "yes" if r["identical"] else "NO") for r in result.rows]
    msg.table(table, header=("backend", "workers", "docs", "words", "s", "words/s", "speedup",
                             "driver MB (half)", "driver MB (all)", "growth", "overhead",
                             "same bytes"), aligns=("l",) + ("r",) * 11)
    if not all(r["identical"] for r in result.rows):
        msg.fail("The runs' outputs differ.", exits=1)
