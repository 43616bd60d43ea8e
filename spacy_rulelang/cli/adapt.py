"""`project adapt`, `project adapt-summary` and `project split-half`: adapt the shipped
pipeline to a user's text, measure what each kind of review is worth (see workflow/adapt.py),
and print several domains' tables side by side."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from wasabi import Printer

from spacy_rulelang.cli._app import project_app
from spacy_rulelang.io.atomic import atomic_file
from spacy_rulelang.cli._options import budgets_or_exit
from spacy_rulelang.workflow.adapt import INITS, KEYS, AdaptSettings, Recipe, measure, read_rows, split_half, \
    summary_table
from spacy_rulelang.workflow.loop import table


@project_app.command("adapt")
def adapt_cli(
    # fmt: off
    pipeline: Path = typer.Argument(..., help="The shipped pipeline, e.g. training/assembled", exists=True),
    user_data: Path = typer.Argument(..., help="The user's text (.spacy or CoNLL); its gold is read only by the simulated reviewer", exists=True),
    eval_data: Path = typer.Argument(..., help="The scoring set, e.g. corpus/ood/somesci_devel.spacy", exists=True),
    name: str = typer.Option(..., "--name", help="The table's name: METRICS/NAME.md and NAME.json"),
    output: Path = typer.Option(Path("training/adapt"), "--output", "-o", help="Decisions, profiles, corpora and models of every row (under NAME)"),
    metrics: Path = typer.Option(Path("metrics/adapt"), "--metrics", help="Where NAME.md and NAME.json go"),
    budgets: str = typer.Option("10,25,50", "--budgets", help="Decisions per row: groups or sentences"),
    max_steps: int = typer.Option(300, "--max-steps", help="Training steps of every row's model (the same for all)"),
    max_sents: int = typer.Option(2000, "--max-sents", help="The user's sentences every model trains on (the same ones; 0: all)"),
    init: str = typer.Option("shipped", "--init", help=f"Start each model from the shipped one or from scratch: {', '.join(INITS)}"),
    seed: int = typer.Option(0, "--seed", help="Training seed and the random baselines' seed"),
    also_score: Optional[Path] = typer.Option(None, "--also-score", help="Another gold set (e.g. corpus/dev.spacy): the shipped pipeline scored there without and with the profile of the largest ranked budget", exists=True),
    # fmt: on
) -> None:
    """Ranked groups vs random groups vs random sentences at each budget, the start and the gold
    ceiling; every row trains the same way, and each is written to --metrics as it finishes."""
    msg = Printer()
    sizes = budgets_or_exit(budgets, max_steps, "decisions", "10,25,50")
    try:
        recipe = Recipe(max_steps=max_steps, max_sents=max_sents, init=init, seed=seed)
        settings = AdaptSettings(pipeline, user_data, eval_data, output / name, metrics, name,
                                 budgets=sizes, recipe=recipe, seed=seed, also_score=also_score)
        writer = measure(settings, msg)
    except (OSError, ValueError, RuntimeError) as err:
        msg.fail(f"adapt stopped; the rows it finished are in {metrics / (name + '.md')}.", str(err), exits=1)
    print(table(writer.rows, KEYS))
    msg.good(f"Wrote {metrics / (name + '.md')}")


@project_app.command("split-half")
def split_half_cli(
    # fmt: off
    data: Path = typer.Argument(..., help="A gold file (.spacy or CoNLL)", exists=True),
    first: Path = typer.Argument(..., help="The first half of its sentences, in file order (.spacy)"),
    second: Path = typer.Argument(..., help="The second half (.spacy)"),
    # fmt: on
) -> None:
    """Split a corpus by sentence order: the first half to review, the second to score."""
    msg = Printer()
    try:
        n_first, n_second = split_half(data, first, second)
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
    msg.good(f"{first}: {n_first} sentences; {second}: {n_second}")


@project_app.command("adapt-summary")
def adapt_summary_cli(
    # fmt: off
    tables: List[str] = typer.Argument(..., help="NAME=PATH pairs: a domain's name and the NAME.json that `project adapt` wrote, e.g. somesci=metrics/adapt/somesci.json"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the table to this Markdown file"),
    # fmt: on
) -> None:
    """Print the adapt tables of several domains side by side (the README's table): per row,
    the pipeline's F1 and the retrained model's F1 in each domain."""
    msg = Printer()
    pairs = []
    for item in tables:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            msg.fail(f"{item!r}: pass NAME=PATH, e.g. somesci=metrics/adapt/somesci.json", exits=1)
        pairs.append((name, path))
    try:
        text = summary_table([(name, read_rows(Path(path))) for name, path in pairs])
        if output is not None:
            with atomic_file(output) as tmp:
                tmp.write_text(text, encoding="utf8")
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
    print(text, end="")
