"""`train-merge`: fit the learned merge on dev gold and save the pipeline with it;
`explain-merge`: why the learned merge kept or dropped each candidate of a text."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import srsly
import typer
from wasabi import Printer

from ..atomic import AtomicOutputDir
from ._app import app


@app.command("train-merge")
def train_merge_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Assembled pipeline with rulelang, the NER, rulelang_model_scores and rulelang_learned_merge (configs/assemble.cfg)"),
    data: Path = typer.Argument(..., help="Gold file to fit on: dev, never test (.spacy or CoNLL)", exists=True, dir_okay=False),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for the pipeline with the fitted merge", file_okay=False),
    rule_precision: Optional[Path] = typer.Option(None, "--rule-precision", help="Gold file to measure each rule's precision on (train), a feature of the merge", exists=True, dir_okay=False),
    # fmt: on
) -> None:
    """Fit the learned merge (logistic regression; threshold by 5-fold CV) on DATA and save
    PIPELINE with it to OUTPUT (the fit's report is in the merge's weights.json)."""
    import spacy

    from ..merge_training import fit_merge

    msg = Printer()
    try:
        nlp = spacy.load(pipeline)
        weights, report = fit_merge(nlp, data, rule_precision_from=rule_precision)
        with AtomicOutputDir(output) as out:
            nlp.to_disk(out.path("."))
    except (OSError, ValueError, ImportError) as err:
        msg.fail("Training the merge failed; the output folder was left as it was.", str(err), exits=1)
    cv = report["cross_validated"]
    msg.good(f"Fitted on {report['candidates']} candidates ({report['positives']} right); threshold "
             f"{report['threshold']:.2f}; cross-validated on dev: P {cv['p']:.3f} R {cv['r']:.3f} "
             f"F1 {cv['f']:.3f}", str(output))
    top = sorted(weights["coef"].items(), key=lambda kv: -abs(kv[1]))[:12]
    msg.table([(name, f"{w:+.3f}") for name, w in top], header=("feature", "weight"), divider=True)


@app.command("explain-merge")
def explain_merge_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline with a trained rulelang_learned_merge"),
    text: str = typer.Argument(..., help="Text to explain"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object a candidate"),
    # fmt: on
) -> None:
    """Each candidate span: the merge's probability, kept or dropped, and the features that
    moved it most (weight x value)."""
    import spacy

    from ..merge_training import learned_merge_of

    msg = Printer()
    try:
        nlp = spacy.load(pipeline)
        merge = learned_merge_of(nlp)
        rows = merge.explain(nlp(text))
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
    if as_json:
        for row in rows:
            print(srsly.json_dumps(row))
        return
    msg.divider(text[:80])
    if not rows:
        msg.text("no candidates")
    for row in rows:
        verdict = "kept" if row["kept"] else (f"vetoed by rule {row['vetoed_by']}" if row["vetoed_by"] else "dropped")
        msg.text(f"{row['text']!r} [{row['start']}:{row['end']}] p={row['p']:.3f} "
                 f"(threshold {row['threshold']:.2f}) {verdict}; rule={row['rule']}, "
                 f"model_prob={row['model_prob']:.3f}")
        msg.text("    " + ", ".join(f"{name} {value:+.2f}" for name, value in row["why"]))
