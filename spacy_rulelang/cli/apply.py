"""`apply`: a reviewer's decisions back into data (corrected gold, catalogue patch,
model errors, audit) and behaviour (the domain profile, profile.json).

A thin typer wrapper over a plain function (`apply_decisions`) that prints through
wasabi and exits through `msg.fail(..., exits=1)` on bad input.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

import typer
from wasabi import Printer

from spacy_rulelang.review.run import run_apply
from spacy_rulelang.cli._app import app


@app.command("apply")
def apply_cli(
    # fmt: off
    decisions: Path = typer.Argument(..., help="decisions.jsonl (docs/decisions.md), or the JSONL `prodigy db-out` writes after `prodigy review` on disagreements.jsonl"),
    corpus: Path = typer.Option(..., "--corpus", help="The gold DATA file `compare` ran on (.spacy DocBin or StackOverflowNER CoNLL)"),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for corrected.spacy, catalogue_patch.jsonl, model_errors.jsonl, audit.jsonl, profile.json"),
    catalogue: Optional[Path] = typer.Option(None, "--catalogue", help="Catalogue JSONL the rules use, added to the packaged one (default: the packaged catalogue)"),
    label: str = typer.Option("PROG_LANG", "--label", help="Label of language mentions: the spans the catalogue patch learns from"),
    pipeline: Optional[str] = typer.Option(None, "--pipeline", help="A pipeline (name or path) to run the profile's reviewed sentences with, the profile loaded: the summary lists those it fails"),
    model_key: Optional[str] = typer.Option(None, "--model-key", help="The span key of the model's entities in the pipeline that will load the profile (e.g. model): the model finding a name is then evidence for a 'needs evidence' policy"),
    # fmt: on
):
    """Apply a reviewer's decisions to the gold corpus, all outputs or none."""
    apply_decisions(decisions, corpus, output, catalogue=catalogue, label=label, pipeline=pipeline,
                    model_key=model_key, silent=False)


def apply_decisions(decisions: Path, corpus: Path, output: Path, *, catalogue: Optional[Path] = None,
                    label: str = "PROG_LANG", pipeline: Optional[str] = None,
                    model_key: Optional[str] = None, silent: bool = True) -> Dict[str, object]:
    msg = Printer(no_print=silent)
    try:
        summary = run_apply(decisions, corpus, output, catalogue=catalogue, label=label, pipeline=pipeline,
                            model_key=model_key)
    except (ValueError, FileNotFoundError) as err:
        Printer().fail("Applying the decisions failed; nothing in the output folder was changed.",
                       str(err), exits=1)
        raise  # unreachable: fail() exits
    msg.good(f"Applied {sum(summary['decisions'].values())} decisions to {summary['docs']} docs: "
             f"{summary['docs_changed']} docs changed, {summary['model_errors']} model errors")
    msg.table(sorted(summary["outcomes"].items()), header=("outcome", "decisions"), aligns=("l", "r"))
    cat = summary["catalogue"]
    msg.info(f"Catalogue patch: {len(cat['new'])} new entries, {len(cat['updated'])} updated")
    prof = summary["profile"]
    msg.info(f"Domain profile: {prof['policies']} policies, {prof['entries']} new entries, "
             f"{prof['tests']} reviewed sentences as tests; {len(summary['groups'])} kinds of group "
             f"decision, {summary['duplicates']} repeated lines read once")
    if pipeline is not None:
        if prof["failing"]:
            msg.warn(f"{len(prof['failing'])} reviewed sentences fail with the profile loaded:")
            for line in prof["failing"]:
                msg.text(f"  {line}")
        else:
            msg.good("Every reviewed sentence passes with the profile loaded")
    for name in summary["files"]:
        msg.text(f"  {name}")
    return summary
