"""`project loop`: measure what each turn of review is worth (see workflow/loop.py)."""
from __future__ import annotations

from pathlib import Path

import typer
from wasabi import Printer

from spacy_rulelang.workflow.loop import Loop, LoopSettings, RowWriter, table
from spacy_rulelang.cli._app import project_app
from spacy_rulelang.cli._options import budgets_or_exit, literal


@project_app.command("loop")
def loop_cli(
    # fmt: off
    train_gold: Path = typer.Argument(..., help="Gold of the split under review (the simulated reviewer's answers), e.g. corpus/train.spacy", exists=True),
    weak_train: Path = typer.Argument(..., help="The rules' labels of the same texts, e.g. corpus/weak/train.spacy", exists=True),
    weak_dev: Path = typer.Argument(..., help="The rules' labels of dev, for early stopping", exists=True),
    eval_data: Path = typer.Argument(..., help="The reporting split, e.g. corpus/test.spacy", exists=True),
    output: Path = typer.Option(Path("training/loop"), "--output", "-o", help="Models, decisions and corrected corpora"),
    metrics: Path = typer.Option(Path("metrics/loop"), "--metrics", help="loop.json and loop.md"),
    base: str = typer.Option("en_core_web_sm", "--base", help="POS base pipeline for assembling"),
    budgets: str = typer.Option("50,100,200", "--budgets", help="Examples reviewed in each turn"),
    max_steps: int = typer.Option(1000, "--max-steps", help="Training steps of each model, turn 0 and the ceiling included (the same for all)"),
    seed: int = typer.Option(0, "--seed", help="Training seed and the random baseline's seed"),
    skweak: bool = typer.Option(True, "--skweak/--no-skweak", help=literal("Add skweak's HMM over the same rules (pip install \"spacy-rulelang[loop]\")")),
    # fmt: on
) -> None:
    """Ranked review vs random review at the same budgets, skweak, and the gold ceiling; every
    row trains the same way, and each is written to --metrics as it finishes."""
    from spacy_rulelang.compare.runner import CompareOptions, compare as run_compare
    from spacy_rulelang.review import run_apply

    msg = Printer()
    sizes = budgets_or_exit(budgets, max_steps, "examples", "50,100,200")
    settings = LoopSettings(train_gold, weak_train, weak_dev, eval_data, base, output,
                            budgets=sizes, max_steps=max_steps, seed=seed)

    def compare(pipeline: Path, data: Path, out: Path) -> None:
        run_compare(str(pipeline), data, out, CompareOptions(use_gold=False, show_progress=False))

    def apply(decisions: Path, corpus: Path, out: Path) -> None:
        run_apply(decisions, corpus, out)

    writer = RowWriter(metrics)
    try:
        loop = Loop(settings, apply, compare, msg)
        writer.add(loop.start())
        loop.turns("ranked", on_row=writer.add)
        loop.turns("random", on_row=writer.add)
        if skweak:
            writer.add(loop.skweak())
        writer.add(loop.ceiling())
    except (OSError, ValueError, RuntimeError, ImportError) as err:
        msg.fail(f"The loop stopped; the {len(writer.rows)} rows it finished are in {metrics}.", str(err), exits=1)
    print(table(writer.rows))
    msg.good(f"Wrote {metrics / 'loop.md'}")
