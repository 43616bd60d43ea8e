"""`evaluate`: rules alone, model alone and combined, on one or more gold files (domains),
with the macro average over the dev domains; `evaluate-merge` likewise for merge policies."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import srsly
import typer
from wasabi import Printer

from spacy_rulelang.io.atomic import AtomicOutputDir
from spacy_rulelang.errors import Errors
from spacy_rulelang.scoring.domains import MACRO_TITLE, macro_result, order_splits
from spacy_rulelang.scoring.evaluation import SYSTEMS, evaluate_pipeline, results_table, split_name, summarize_runs
from spacy_rulelang.cli._app import app, project_app


@app.command("evaluate")
def evaluate_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline name or path, e.g. training/assembled"),
    data: List[Path] = typer.Argument(..., help="Gold files (.spacy or CoNLL), one per domain, e.g. corpus/dev.spacy corpus/ood/sner_train.spacy corpus/ood/somesci_train.spacy corpus/ood/somesci_devel.spacy corpus/test.spacy", exists=True, dir_okay=False),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Folder for <split>.json and results.md", file_okay=False),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, or -1 for the CPU"),
    batch_size: int = typer.Option(256, "--batch-size", "-b", help="Batch size of each component's pipe()"),
    # fmt: on
) -> None:
    """Entity P/R/F1 and words/second of rules, model and combined (see evaluation.py), on the
    gold words and on the raw text through the pipeline's tokenizer, per gold file (domain),
    and the macro average over the files that are not a test split."""
    try:
        evaluate(pipeline, data, output=output, gpu_id=gpu_id, batch_size=batch_size,
                 silent=False)
    except (ValueError, FileNotFoundError) as err:
        Printer().fail("Evaluation failed; nothing in the output folder was changed.", str(err),
                       exits=1)


def evaluate(pipeline: str, data: List[Path], *, output: Optional[Path] = None,
             gpu_id: int = -1, batch_size: int = 256,
             silent: bool = True) -> Dict[str, Dict[str, Any]]:
    """Evaluate on each file; write <split>.json and results.md under `output` if given,
    all at once (AtomicOutputDir): a failed run leaves the folder as it was."""
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
        raw = evaluate_pipeline(nlp, path, batch_size=batch_size, tokenization="text")
        results[name]["raw_text"] = {"systems": {k: {m: v[m] for m in ("p", "r", "f")}
                                                 for k, v in raw["systems"].items()}}
        rows = [(system, f"{s['p']:.3f}", f"{s['r']:.3f}", f"{s['f']:.3f}",
                 f"{results[name]['raw_text']['systems'][system]['f']:.3f}", s["words_per_second"])
                for system, s in results[name]["systems"].items() if system in SYSTEMS]
        msg.table(rows, header=("System", "P", "R", "F1", "F1 raw text", "Words/s"), divider=True)
    macro = macro_result(results)
    if macro is not None:
        msg.info(f"Macro average ({MACRO_TITLE}) over {', '.join(macro['splits'])}")
        msg.table([(system, f"{s['p']:.3f}", f"{s['r']:.3f}", f"{s['f']:.3f}",
                    f"{macro['raw_text']['systems'][system]['f']:.3f}")
                   for system, s in macro["systems"].items()],
                  header=("System", "P", "R", "F1", "F1 raw text"), divider=True)
    table = results_table([results])
    if output is not None:
        with AtomicOutputDir(output) as out:
            for name, result in results.items():
                srsly.write_json(out.path(f"{name}.json"), result)
            out.path("results.md").write_text(table, encoding="utf8")
        msg.good(f"Wrote {', '.join(f'{n}.json' for n in results)} and results.md", output)
    return results


@app.command("evaluate-merge")
def evaluate_merge_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Assembled pipeline with rulelang_merge, e.g. training/assembled"),
    data: List[Path] = typer.Argument(..., help="Gold files to tune on, one per domain (.spacy or CoNLL), e.g. corpus/dev.spacy corpus/ood/sner_train.spacy corpus/ood/somesci_train.spacy corpus/ood/somesci_devel.spacy", exists=True, dir_okay=False),
    policies: Path = typer.Option(Path("configs/merge_policies.json"), "--policies", help="JSON object: policy name -> rulelang_merge settings", exists=True, dir_okay=False),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the rows to this JSON file"),
    # fmt: on
) -> None:
    """P/R/F1 of several merge policies on each gold file (domain) and their macro average
    over the dev files (tune on dev domains, never on test). Each row's top-level p/r/f are
    those of the first file; "domains" and "macro" hold the rest."""
    import spacy

    from spacy_rulelang.io.textfiles import read_text
    from spacy_rulelang.merge.policies import score_policies_per_domain

    msg = Printer()
    try:
        table = srsly.json_loads(read_text(policies))
        if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
            raise ValueError(Errors.E219.format(path=policies))
        rows = score_policies_per_domain(spacy.load(pipeline), data, table)
    except (OSError, ValueError) as err:
        msg.fail("Evaluating the merge policies failed.", str(err), exits=1)
    for name in rows[0]["domains"] if rows else []:
        msg.info(f"{name} ({rows[0]['domains'][name]['data']})")
        msg.table([(r["policy"], *(f"{r['domains'][name][k]:.3f}" for k in ("p", "r", "f"))) for r in rows],
                  header=("policy", "P", "R", "F1"), divider=True)
    if rows and "macro" in rows[0]:
        msg.info(f"Macro average ({MACRO_TITLE}) over {', '.join(rows[0]['macro']['splits'])}")
        msg.table([(r["policy"], *(f"{r['macro'][k]:.3f}" for k in ("p", "r", "f"))) for r in rows],
                  header=("policy", "P", "R", "F1"), divider=True)
    if output is not None:
        srsly.write_json(output, rows)
        msg.good(f"Saved {output}")


@project_app.command("results")
def results_cli(
    # fmt: off
    runs: List[Path] = typer.Argument(..., help="Folders written by `evaluate` (one per seed), e.g. metrics/seeds/0 metrics/seeds/1", exists=True, file_okay=False),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for results.md and results.json", file_okay=False),
    # fmt: on
) -> None:
    """The results table over seeds: mean ± sd of every system (the README's table)."""
    msg = Printer()
    try:
        loaded = [_read_run(folder) for folder in runs]
        splits = list(loaded[0])
        if any(list(run) != splits for run in loaded):
            raise ValueError(Errors.E229.format(runs=", ".join(f"{f}: {list(r)}" for f, r in zip(runs, loaded))))
        table = results_table(loaded)
        summary = summarize_runs(loaded)
        summary["runs"] = [str(folder) for folder in runs]
        with AtomicOutputDir(output) as out:
            out.path("results.md").write_text(table, encoding="utf8")
            srsly.write_json(out.path("results.json"), summary)
    except (OSError, ValueError) as err:
        msg.fail("Building the results table failed; nothing was changed.", str(err), exits=1)
    print(table)
    views_by_split = dict(summary["splits"])
    if "macro" in summary:
        views_by_split[MACRO_TITLE] = summary["macro"]
    for split, views in views_by_split.items():
        margin = views.get("words", {}).get("combined_minus_best_part")
        if margin:
            msg.info(f"{split}: combined F1 minus the better of rules and model: "
                     f"{margin['mean']:+.3f}" + (f" ± {margin['sd']:.3f}" if margin["sd"] is not None else ""))
    msg.good(f"Wrote results.md and results.json over {len(runs)} run(s)", str(output))


def _read_run(folder: Path) -> Dict[str, Dict[str, Any]]:
    """split name -> the evaluate result, in table order (dev domains, then test)."""
    files = {p.stem: p for p in folder.glob("*.json") if p.stem != "results"}
    run = {name: srsly.read_json(files[name]) for name in order_splits(files)}
    if not run:
        raise ValueError(Errors.E229.format(runs=f"{folder}: no <split>.json written by `evaluate`"))
    return run
