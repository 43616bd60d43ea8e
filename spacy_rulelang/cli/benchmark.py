"""`benchmark`: accuracy (P/R/F1, per rule) and speed of the rules, printed as tables."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import srsly
import typer
from spacy.language import Language
from spacy.tokens import Doc
from wasabi import msg

from spacy_rulelang.errors import Errors
from spacy_rulelang.scoring.domains import MACRO_TITLE, macro_result
from spacy_rulelang.scoring.evaluation import split_name
from spacy_rulelang.scoring.rule_benchmark import lazy_pos_speed, load_gold, matcher_speed, score_gazetteer, score_rules
from spacy_rulelang.io.pipeline import load_with_rulelang
from spacy_rulelang.cli._app import app


def run_benchmark(data: Union[Path, Sequence[Path]], pipeline: str, pos_model: Optional[str] = None,
                  limit: Optional[int] = None, speed: bool = True, output: Optional[Path] = None) -> dict:
    """Rules' accuracy on each gold file (domain) and their macro average over the dev
    files; speed on the first file. The top-level figures are the first file's (as with
    one file); "domains" holds every file's and "macro" the macro average."""
    paths = [Path(data)] if isinstance(data, (str, Path)) else [Path(d) for d in data]
    if not paths:
        raise ValueError(Errors.E322)
    nlp = load_with_rulelang(pipeline, {"write_ents": False})
    domains: Dict[str, dict] = {}
    golds: Dict[str, List[Doc]] = {}
    for path in paths:
        name = split_name(path, list(domains))
        golds[name] = gold = load_gold(path, nlp, limit)
        domains[name] = _domain_accuracy(nlp, path, gold)
    first = next(iter(domains))
    result: dict = {**domains[first], "pipeline": pipeline, "domains": domains}
    rows = [(name, mode, *(f"{d['accuracy'][mode][k]:.3f}" for k in ("p", "r", "f")))
            for name, d in domains.items() for mode in ("tokens", "raw", "gazetteer")]
    macro = macro_result({name: {"systems": d["accuracy"]} for name, d in domains.items()})
    if macro is not None:
        result["macro"] = {"splits": macro["splits"], **macro["systems"]}
        rows += [(MACRO_TITLE, mode, *(f"{macro['systems'][mode][k]:.3f}" for k in ("p", "r", "f")))
                 for mode in ("tokens", "raw", "gazetteer")]
    if len(domains) > 1:
        msg.divider("Accuracy per domain (rules on corpus tokens / raw text; gazetteer baseline)")
        msg.table(rows, header=("domain", "system", "P", "R", "F1"), divider=True)
    if speed:
        gold = golds[first]
        result["speed"] = matcher_speed(nlp, gold)
        sp = result["speed"]
        msg.divider(f"Matching speed on the same tagged docs of {first} (words/second, best of 3)")
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


def _domain_accuracy(nlp: Language, path: Path, gold: List[Doc]) -> dict:
    """One file: rules on corpus tokens and raw text, the gazetteer, and the per-rule table."""
    result: dict = {"data": str(path), "n_docs": len(gold), "n_words": sum(len(d) for d in gold),
                    "accuracy": {}}
    rows = []
    for mode in ("tokens", "raw"):
        acc = score_rules(nlp, gold, mode)
        result["accuracy"][mode] = {"p": acc.precision, "r": acc.recall, "f": acc.f1, "per_rule": acc.per_rule}
        rows.append((f"rules ({mode})", f"{acc.precision:.3f}", f"{acc.recall:.3f}", f"{acc.f1:.3f}"))
    gaz = score_gazetteer(nlp, gold)
    result["accuracy"]["gazetteer"] = {"p": gaz.precision, "r": gaz.recall, "f": gaz.f1}
    rows.append(("gazetteer (EntityRuler, same catalogue)", f"{gaz.precision:.3f}", f"{gaz.recall:.3f}", f"{gaz.f1:.3f}"))
    msg.divider(f"Accuracy on {path} ({len(gold)} docs, exact span match)")
    msg.table(rows, header=("system", "P", "R", "F1"), divider=True)
    per_rule = result["accuracy"]["tokens"]["per_rule"]
    msg.divider(f"Spans per rule (corpus tokens of {path})")
    msg.table([(r, tp + fp, tp, fp, f"{tp / (tp + fp):.2f}") for r, (tp, fp) in per_rule.items()],
              header=("rule", "spans", "correct", "wrong", "precision"), divider=True)
    return result


@app.command("benchmark")
def benchmark_cli(
    # fmt: off
    pipeline: str = typer.Argument(..., help="Pipeline with a tagger (name or path)"),
    data: List[Path] = typer.Argument(..., help="Gold files, one per domain (CoNLL or .spacy), e.g. assets/dev.txt assets/ood/sner_train.txt assets/ood/somesci_train.txt assets/ood/somesci_devel.txt"),
    pos_model: Optional[str] = typer.Option(None, "--pos-model", help="Also measure lazy POS tagging with this pipeline as POS source"),
    limit: Optional[int] = typer.Option(None, "--limit", help="Use only the first N docs of each file"),
    speed: bool = typer.Option(True, "--speed/--no-speed", help="Measure words/second"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write all figures to this JSON file"),
    # fmt: on
) -> None:
    """Entity-level P/R/F1 of the rules alone and per-rule counts on each gold file (domain),
    their macro average over the dev files, and speed vs EntityRuler on the first file."""
    try:
        run_benchmark(data, pipeline, pos_model, limit, speed, output)
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
