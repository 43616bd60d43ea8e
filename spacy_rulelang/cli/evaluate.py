"""`evaluate`: rules alone, model alone and combined, on one or more gold files."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import srsly
import typer
from wasabi import Printer

from ..evaluation import SYSTEMS, evaluate_pipeline, results_table, split_name
from ._app import app


@app.command("evaluate")
def evaluate_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline name or path, e.g. training/assembled"),
    data: List[Path] = typer.Argument(..., help="Gold files (.spacy or StackOverflowNER CoNLL), e.g. corpus/dev.spacy corpus/test.spacy", exists=True, dir_okay=False),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Folder for <split>.json and results.md", file_okay=False),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, or -1 for the CPU"),
    batch_size: int = typer.Option(256, "--batch-size", "-b", help="Batch size of each component's pipe()"),
    # fmt: on
) -> None:
    """Entity P/R/F1 and words/second of rules, model and combined (see evaluation.py)."""
    evaluate(pipeline, data, output=output, gpu_id=gpu_id, batch_size=batch_size, silent=False)


def evaluate(pipeline: str, data: List[Path], *, output: Optional[Path] = None,
             gpu_id: int = -1, batch_size: int = 256,
             silent: bool = True) -> Dict[str, Dict[str, Any]]:
    """Evaluate on each file; write <split>.json and results.md under `output` if given."""
    import spacy
    from spacy.cli._util import setup_gpu

    msg = Printer(no_print=silent, pretty=not silent)
    setup_gpu(gpu_id, silent=silent)
    try:
        nlp = spacy.load(pipeline)
    except (OSError, IOError) as err:
        msg.fail(f"Could not load the pipeline '{pipeline}'", f"{err}\nRun the 'assemble' "
                 "step first (spacy project run assemble) or pass an installed pipeline.",
                 exits=1)
    results: Dict[str, Dict[str, Any]] = {}
    for path in data:
        name = split_name(path, list(results))
        msg.info(f"Evaluating {pipeline} on {path}")
        results[name] = evaluate_pipeline(nlp, path, batch_size=batch_size)
        results[name]["pipeline"] = str(pipeline)
        rows = [(system, f"{s['p']:.3f}", f"{s['r']:.3f}", f"{s['f']:.3f}",
                 s["words_per_second"])
                for system, s in results[name]["systems"].items() if system in SYSTEMS]
        msg.table(rows, header=("System", "P", "R", "F1", "Words/s"), divider=True)
    table = results_table(results)
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        for name, result in results.items():
            srsly.write_json(output / f"{name}.json", result)
        (output / "results.md").write_text(table, encoding="utf8")
        msg.good(f"Wrote {', '.join(f'{n}.json' for n in results)} and results.md", output)
    return results
