"""`benchmark`: accuracy (P/R/F1, per rule) and speed of the rules, printed as tables."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import srsly
import typer
from wasabi import msg

from spacy_rulelang.scoring.rule_benchmark import doc_length_scaling, lazy_pos_speed, load_gold, matcher_speed, score_gazetteer, score_rules
from spacy_rulelang.io.pipeline import load_with_rulelang
from spacy_rulelang.cli._app import app


def run_benchmark(data: Path, pipeline: str, pos_model: Optional[str] = None, limit: Optional[int] = None,
                  speed: bool = True, output: Optional[Path] = None) -> dict:
    nlp = load_with_rulelang(pipeline, {"write_ents": False})
    gold = load_gold(data, nlp, limit)
    result: dict = {"data": str(data), "pipeline": pipeline, "n_docs": len(gold),
                    "n_words": sum(len(d) for d in gold), "accuracy": {}}
    rows = []
    for mode in ("tokens", "raw"):
        acc = score_rules(nlp, gold, mode)
        result["accuracy"][mode] = {"p": acc.precision, "r": acc.recall, "f": acc.f1, "per_rule": acc.per_rule}
        rows.append((f"rules ({mode})", f"{acc.precision:.3f}", f"{acc.recall:.3f}", f"{acc.f1:.3f}"))
    gaz = score_gazetteer(nlp, gold)
    result["accuracy"]["gazetteer"] = {"p": gaz.precision, "r": gaz.recall, "f": gaz.f1}
    rows.append(("gazetteer (EntityRuler, same catalogue)", f"{gaz.precision:.3f}", f"{gaz.recall:.3f}", f"{gaz.f1:.3f}"))
    msg.divider(f"Accuracy on {data} ({len(gold)} docs, exact span match)")
    msg.table(rows, header=("system", "P", "R", "F1"), divider=True)
    per_rule = result["accuracy"]["tokens"]["per_rule"]
    msg.divider("Spans per rule (corpus tokens)")
    msg.table([(r, tp + fp, tp, fp, f"{tp / (tp + fp):.2f}") for r, (tp, fp) in per_rule.items()],
              header=("rule", "spans", "correct", "wrong", "precision"), divider=True)
    if speed:
        result["speed"] = matcher_speed(nlp, gold)
        sp = result["speed"]
        msg.divider("Matching speed on the same tagged docs (words/second, best of 3)")
        msg.table([("rulelang", f"{sp['rulelang_wps']:,.0f}"), ("EntityRuler (same catalogue)", f"{sp['entity_ruler_wps']:,.0f}"),
                   ("ratio rulelang / EntityRuler", f"{sp['ratio']:.2f}")], divider=True)
        if pos_model:
            texts = [g.text for g in gold]
            result["lazy_pos"] = lz = lazy_pos_speed(pos_model, texts)
            msg.divider(f"Whole pipeline on raw text with POS from {pos_model} (words/second)")
            msg.table([("tag every doc", f"{lz['always_wps']:,.0f}"), ("lazy: tag only docs with an ambiguous candidate", f"{lz['lazy_wps']:,.0f}"),
                       ("share of docs tagged", f"{lz['lazy_docs_tagged_share']:.1%}"), ("speedup", f"{lz['speedup']:.1f}x")], divider=True)
    if output is not None:
        srsly.write_json(output, result)
        msg.good(f"Saved {output}")
    return result


@app.command("benchmark")
def benchmark_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline with a tagger (name or path)"),
    data: Path = typer.Argument(..., help="Gold data: StackOverflowNER CoNLL file or .spacy DocBin"),
    pos_model: Optional[str] = typer.Option(None, "--pos-model", help="Also measure lazy POS tagging with this pipeline as POS source"),
    limit: Optional[int] = typer.Option(None, "--limit", help="Use only the first N docs"),
    speed: bool = typer.Option(True, "--speed/--no-speed", help="Measure words/second"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write all figures to this JSON file"),
    # fmt: on
) -> None:
    """Entity-level P/R/F1 of the rules alone, per-rule counts, and speed vs EntityRuler."""
    try:
        run_benchmark(data, pipeline, pos_model, limit, speed, output)
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)


@app.command("benchmark-scaling")
def benchmark_scaling_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline with a tagger (name or path)"),
    data: Path = typer.Argument(..., help="Sentences to join into long docs: StackOverflowNER CoNLL file or .spacy DocBin"),
    sizes: str = typer.Option("10000,20000,40000", "--sizes", help="Comma-separated doc lengths in tokens"),
    ents_every: int = typer.Option(24, "--ents-every", help="An existing entity on every N-th token"),
    limit: Optional[int] = typer.Option(2000, "--limit", help="Sentences read from DATA (they are cycled)"),
    # fmt: on
) -> None:
    """Time inside rulelang as one doc doubles in length, with and without write_ents."""
    try:
        lengths = [int(s) for s in sizes.split(",") if s.strip()]
        if not lengths or min(lengths) < 1 or ents_every < 1:
            raise ValueError("--sizes takes positive token counts, e.g. 10000,20000,40000; --ents-every is at least 1")
        nlp = load_with_rulelang(pipeline, {"write_ents": False})
        rows = doc_length_scaling(nlp, load_gold(data, nlp, limit), lengths, ents_every)
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
    msg.divider("Seconds inside rulelang on one long doc (best of 5)")
    msg.table([(f"{r['tokens']:,}", f"{r['entities']:,}", f"{r['spans_only_s']:.3f}",
                f"{r['spans_only_us_per_token']:.1f}", f"{r['write_ents_s']:.3f}",
                f"{r['write_ents_us_per_token']:.1f}") for r in rows],
              header=("tokens", "entities", "spans only s", "µs/token", "write_ents s", "µs/token"),
              aligns=("r",) * 6, divider=True)
    for key in ("spans_only", "write_ents"):
        per_token = [r[f"{key}_us_per_token"] for r in rows]
        msg.info(f"{key}: µs/token grows {max(per_token) / min(per_token):.2f}x from the shortest "
                 "to the slowest doc (linear time: close to 1)")
