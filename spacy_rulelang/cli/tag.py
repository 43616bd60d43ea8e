"""`tag`: print the language mentions in texts, with the rule that accepted each.

The workers (local processes or Ray actors) run the pipeline and `tag_block`, and send
back one JSON-ready record per text; this process only prints them, in input order."""
from __future__ import annotations

import sys
from functools import partial
from typing import Iterator, List, Optional

import srsly
import typer
from spacy.language import Language
from wasabi import msg

from spacy_rulelang.backends import BlockJob, BlockStats, Row, load_ray_backend, run_local
from spacy_rulelang.io.pipeline import NO_TAGGER, load_with_rulelang
from spacy_rulelang.io.jsonl import read_texts
from spacy_rulelang.ruler.records import tag_texts
from spacy_rulelang.cli._app import app
from spacy_rulelang.cli._options import RaySettings, with_ray_parameters


def tag_block(explain: bool, nlp: Language, rows: Iterator[Row]) -> List[dict]:
    """tag's per-document part, run by a worker on one block: a record per text."""
    return list(tag_texts(nlp, [], explain, (doc for doc, _ in rows)))


@app.command("tag")
@with_ray_parameters
def tag_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help=f"Pipeline with a tagger (name or path), or '{NO_TAGGER}'"),
    text: Optional[str] = typer.Argument(None, help="Text to tag; without it, read stdin (one text a line, or JSONL with \"text\")"),
    pos_model: Optional[str] = typer.Option(None, "--pos-model", help=f"Give rulelang its own POS source (use with PIPELINE {NO_TAGGER})"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object a line"),
    explain: bool = typer.Option(False, "--explain", help="Also show candidates that a rule rejected"),
    ray: RaySettings = RaySettings(),  # --backend and its settings (with_ray_parameters)
    # fmt: on
) -> None:
    """Find programming-language mentions and say which rule accepted each."""
    config = {"pos_model": pos_model} if pos_model else {}
    timing = BlockStats()
    try:
        options = ray.options()
        nlp = load_with_rulelang(pipeline, config)
        texts: List[str] = [text] if text is not None else list(read_texts(sys.stdin))
        # the ray workers load the pipeline as above; local ones fork this one
        job = BlockJob(partial(load_with_rulelang, str(pipeline), config), stage=partial(tag_block, explain))
        if options is not None and texts:
            blocks = load_ray_backend().run_texts(texts, job, options, stats=timing)
        else:
            blocks = run_local(job, nlp, texts, n_process=ray.n_process,
                               block_size=ray.local_block_size, stats=timing)
        for record in (record for block in blocks for record in block.result):
            if as_json:
                print(srsly.json_dumps(record))
                continue
            msg.divider(record["text"][:80])
            rows = [(s["text"], s["id"], s["rule"], s["version"] or "") for s in record["spans"]]
            if rows:
                msg.table(rows, header=("mention", "id", "rule", "version"), divider=True)
            else:
                msg.text("no language mentions")
            for cand in record.get("candidates", []):
                if cand["rejected_by"] or not cand["rule"]:
                    msg.text(f"  rejected: {cand['text']!r} ({cand['id']}) by {cand['rejected_by'] or 'no rule'}")
                if cand.get("evidence"):  # an ambiguous name: what the rules weighed
                    msg.text(f"    evidence {cand['text']!r}: " + ", ".join(f"{k}={v}" for k, v in cand["evidence"].items()))
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
    if ray.verbose:  # stderr: stdout stays one record a line with --json
        for line in timing.lines():
            print(f"i {line}", file=sys.stderr)
