"""`train-merge`: fit the learned merge on dev gold and save the pipeline with it;
`explain-merge`: why the learned merge kept or dropped each candidate of a text."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import srsly
import typer
from wasabi import Printer

from spacy_rulelang.io.atomic import AtomicOutputDir
from spacy_rulelang.cli._app import app


@app.command("train-merge")
def train_merge_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Assembled pipeline with rulelang, the NER, rulelang_model_scores and rulelang_learned_merge (configs/assemble.cfg)"),
    data: Path = typer.Argument(..., help="Gold file to fit on: dev, never test (.spacy or CoNLL)", exists=True, dir_okay=False),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for the pipeline with the fitted merge", file_okay=False),
    rule_precision: Optional[Path] = typer.Option(None, "--rule-precision", help="Gold file to measure each rule's precision on (train), a feature of the merge", exists=True, dir_okay=False),
    oof_pipelines: List[str] = typer.Option([], "--oof-pipeline", help="A fold pipeline: assembled with a model trained without --oof-data (project's train-folds); repeat, one per fold"),
    oof_data: List[Path] = typer.Option([], "--oof-data", help="The gold held out from that fold's model (corpus/folds/N/heldout.spacy); repeat, in the same order", exists=True, dir_okay=False),
    model_trained_on: Optional[Path] = typer.Option(None, "--model-trained-on", help="The model's training data (train): the names labelled there are saved as seen_names, for keep_unseen_rule_spans", exists=True, dir_okay=False),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="weights.json of another fitted merge (e.g. one fitted on dev alone), scored on the same rows for comparison", exists=True, dir_okay=False),
    # fmt: on
) -> None:
    """Fit the learned merge (logistic regression; threshold by 5-fold CV) on DATA, plus the
    out-of-fold rows of each --oof-pipeline on its --oof-data, and save PIPELINE with it to
    OUTPUT (the fit's report is in the merge's weights.json)."""
    import spacy

    from spacy_rulelang.errors import Errors
    from spacy_rulelang.merge.learned import check_weights
    from spacy_rulelang.merge.fit import fit_merge

    msg = Printer()
    if len(oof_pipelines) != len(oof_data):
        msg.fail(Errors.E232.format(n_pipes=len(oof_pipelines), n_data=len(oof_data)), exits=1)
    try:
        base = check_weights(srsly.read_json(baseline), str(baseline)) if baseline else None
        nlp = spacy.load(pipeline)
        weights, report = fit_merge(nlp, data, rule_precision_from=rule_precision,
                                    held_out=list(zip(oof_pipelines, oof_data)), baseline=base,
                                    model_trained_on=model_trained_on)
        with AtomicOutputDir(output) as out:
            nlp.to_disk(out.path("."))
    except (OSError, ValueError, ImportError) as err:
        msg.fail("Training the merge failed; the output folder was left as it was.", str(err), exits=1)
    cv = report["cross_validated"]
    msg.good(f"Fitted on {report['candidates']} candidates ({report['positives']} right); threshold "
             f"{report['threshold']:.2f}; cross-validated: P {cv['p']:.3f} R {cv['r']:.3f} "
             f"F1 {cv['f']:.3f}", str(output))
    if len(report["sources"]) > 1 or baseline:
        msg.table([(s["data"], s["candidates"], s["positives"],
                    *(f"{s[k][m]:.3f}" for k in ("cross_validated", "baseline") if k in s for m in "prf"))
                   for s in report["sources"]],
                  header=("rows from", "candidates", "right", "CV P", "CV R", "CV F1",
                          *(("baseline P", "baseline R", "baseline F1") if baseline else ())),
                  divider=True)
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

    from spacy_rulelang.merge.fit import learned_merge_of

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


@app.command("choose-merge")
def choose_merge_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline with a fitted rulelang_learned_merge (train-merge's output)"),
    data: List[Path] = typer.Argument(..., help="The dev domains' gold files, e.g. corpus/dev.spacy corpus/ood/sner_train.spacy corpus/ood/somesci_train.spacy corpus/ood/somesci_devel.spacy (never test)", exists=True, dir_okay=False),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for the pipeline with the chosen merge", file_okay=False),
    candidates: Path = typer.Option(Path("configs/merge_candidates.json"), "--candidates", help="JSON object: name -> merge settings ({\"merge\": \"learned\", ...} or rulelang_merge's), simpler first; one must be \"rules only\"", exists=True, dir_okay=False),
    report: Optional[Path] = typer.Option(None, "--report", help="Write every candidate's scores and the verdicts to this JSON file"),
    use_choice: Optional[Path] = typer.Option(None, "--use-choice", help="A --report of an earlier run: apply its choice without scoring (the other seeds)", exists=True, dir_okay=False),
    # fmt: on
) -> None:
    """Choose the merge to ship by the rule written in `merge.policies.choose_policy`: no dev
    domain may lose more than 0.005 F1 to the rules alone, nor the macro average anything;
    of the rest, the best macro F1. Saves PIPELINE with that merge to OUTPUT."""
    import spacy

    from spacy_rulelang.errors import Errors
    from spacy_rulelang.io.textfiles import read_text
    from spacy_rulelang.merge.policies import apply_choice, choose_policy, score_policies_per_domain

    msg = Printer()
    try:
        nlp = spacy.load(pipeline)
        if use_choice is not None:
            choice = srsly.read_json(use_choice)["choice"]
        else:
            table = srsly.json_loads(read_text(candidates))
            if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
                raise ValueError(Errors.E219.format(path=candidates))
            rows = score_policies_per_domain(nlp, data, table)
            choice = choose_policy(rows)
            for row in rows:
                cells = [f"{row['domains'][d]['f']:.3f}" for d in row["domains"]]
                msg.text(f"{row['policy']}: F1 {' / '.join(cells)}"
                         + (f", macro {row['macro']['f']:.3f}" if "macro" in row else "")
                         + f" -- {choice['verdicts'][row['policy']]}")
            if report is not None:
                report.parent.mkdir(parents=True, exist_ok=True)
                srsly.write_json(report, {"data": [str(p) for p in data], "rows": rows, "choice": choice})
        apply_choice(nlp, choice["config"])
        with AtomicOutputDir(output) as out:
            nlp.to_disk(out.path("."))
    except (OSError, ValueError, KeyError) as err:
        msg.fail("Choosing the merge failed; the output folder was left as it was.", str(err), exits=1)
    msg.good(f"Chose {choice['chosen']!r} ({srsly.json_dumps(choice['config'])})", str(output))
