"""Score rules alone, the model alone and the merged result in one pass over a pipeline.

The assembled pipeline keeps all three apart (see merge.py): the rules in
`doc.spans[<rulelang spans_key>]`, the NER's entities in `doc.spans[<model_key>]`
and the merged entities in `doc.ents`. Each is scored against the gold entities
with spaCy's `Scorer.score_spans` (entity-level, exact boundaries and label).

One tokenization, stated: the models are trained on the gold words (gold_preproc),
and every system is scored on docs built from the gold words. The raw-text view
(the pipeline's tokenizer over the text, spans aligned to the gold words by the
Scorer) is reported beside it: it is what a user's text goes through.

Speed is measured per component while the docs go through the pipeline one
component at a time (each with its own `pipe` batching), so one pass gives the
words/second of each system: rules = the POS source and `rulelang`, model = the
NER and its tok2vec/transformer, combined = everything. Tokenization is not part
of any timing.

Usage:

    nlp = spacy.load("training/assembled")
    result = evaluate_pipeline(nlp, "corpus/test.spacy")
    result["systems"]["combined"]["f"]
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc
from spacy.training import Example

from spacy_rulelang.io.corpus import as_input_doc, read_gold_docs
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.pipeline import MERGE_FACTORIES
from spacy_rulelang.io.spans import spans_or_ents
from spacy_rulelang.scoring.domains import MACRO_TITLE, is_test_split, macro_result, order_splits
from spacy_rulelang.scoring.rule_scores import RuleCounts

MODEL_FACTORIES = {"ner", "tok2vec", "transformer", "curated_transformer", "spancat", "span_finder",
                   "rulelang_model_scores"}
RULE_FACTORY = "rulelang"
SYSTEMS = ("rules", "model", "combined")
TOKENIZATIONS = ("words", "text")


def _factory(nlp: Language, name: str) -> str:
    return nlp.get_pipe_meta(name).factory


def system_components(nlp: Language,
                      model_components: Optional[Sequence[str]] = None) -> Dict[str, List[str]]:
    """Which components each system needs; a system the pipeline lacks is left out.

    The model's components are those made by MODEL_FACTORIES unless named.
    """
    names = list(nlp.pipe_names)
    if model_components is None:
        model = [n for n in names if _factory(nlp, n) in MODEL_FACTORIES]
    else:
        model = [n for n in names if n in model_components]
    merge = [n for n in names if _factory(nlp, n) in MERGE_FACTORIES]
    rules = [n for n in names if n not in model and n not in merge]
    systems: Dict[str, List[str]] = {}
    if any(_factory(nlp, n) == RULE_FACTORY for n in names):
        systems["rules"] = rules
    if model and merge:
        systems["model"] = model
    systems["combined"] = names
    return systems


def system_getters(nlp: Language) -> Dict[str, Any]:
    """How to read each system's spans off a predicted doc (gold docs give their ents)."""
    getters: Dict[str, Any] = {"combined": None}
    for name in nlp.pipe_names:
        factory = _factory(nlp, name)
        cfg = nlp.get_pipe_config(name)
        if factory == RULE_FACTORY:
            getters["rules"] = spans_or_ents(cfg.get("spans_key", "rulelang"))
        elif factory in MERGE_FACTORIES:
            getters["model"] = spans_or_ents(cfg.get("model_key", "model"))
    return getters


def _chunks(docs: Iterable[Doc], size: int) -> Iterator[List[Doc]]:
    chunk: List[Doc] = []
    for doc in docs:
        chunk.append(doc)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _scores(examples: List[Example], getter: Any) -> Dict[str, float]:
    if getter is None:
        raw = Scorer.score_spans(examples, "ents")
        prefix = "ents"
    else:
        raw = Scorer.score_spans(examples, "spans_eval", getter=getter, allow_overlap=True)
        prefix = "spans_eval"
    return {k: float(raw[f"{prefix}_{k}"] or 0.0) for k in ("p", "r", "f")}


def input_docs(golds: Sequence[Doc], nlp: Language, tokenization: str) -> List[Doc]:
    """The docs a pipeline annotates: the gold words ("words"), or the raw text through the
    pipeline's own tokenizer ("text"; spaCy's Scorer aligns the spans to the gold words)."""
    if tokenization == "words":
        return [as_input_doc(gold, nlp.vocab) for gold in golds]
    if tokenization == "text":
        return [nlp.make_doc(gold.text) for gold in golds]
    raise ValueError(Errors.E223.format(setting="tokenization", name="evaluate",
                                        expected="one of " + ", ".join(TOKENIZATIONS), value=tokenization))


def evaluate_pipeline(nlp: Language, path: Union[str, Path], *, batch_size: int = 256,
                      chunk_size: int = 2000, tokenization: str = "words",
                      model_components: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """P/R/F1 and words/second of rules, model and combined on one gold file.

    `tokenization`: "words" scores every system on docs built from the gold words
    (what the models are trained on, gold_preproc); "text" runs the raw text
    through the pipeline's tokenizer, as a user's text would be."""
    systems = system_components(nlp, model_components)
    getters = system_getters(nlp)
    timings = {name: 0.0 for name in nlp.pipe_names}
    examples: List[Example] = []
    n_words = 0
    n_gold = 0
    for golds in _chunks(read_gold_docs(path, nlp.vocab), chunk_size):
        preds = input_docs(golds, nlp, tokenization)
        for name, proc in nlp.pipeline:
            start = time.perf_counter()
            if hasattr(proc, "pipe"):
                preds = list(proc.pipe(preds, batch_size=batch_size))
            else:
                preds = [proc(doc) for doc in preds]
            timings[name] += time.perf_counter() - start
        for pred, gold in zip(preds, golds):
            n_words += len(gold)
            n_gold += len(gold.ents)
            examples.append(Example(pred, gold))
    if not examples or not any(eg.reference.has_annotation("ENT_IOB") for eg in examples):
        raise ValueError(Errors.E217.format(path=path))
    result: Dict[str, Any] = {"data": str(path), "tokenization": tokenization,
                              "n_docs": len(examples), "n_words": n_words,
                              "n_gold_entities": n_gold, "systems": {}}
    for system, components in systems.items():
        seconds = sum(timings[name] for name in components)
        scores = _scores(examples, getters.get(system))
        scores["words_per_second"] = round(n_words / seconds) if seconds > 0 else None
        scores["components"] = components
        result["systems"][system] = scores
    if "rules" in systems and tokenization == "words":
        result["rules_by_rule"] = precision_by_rule(examples, getters["rules"])
    result["component_seconds"] = {k: round(v, 3) for k, v in timings.items()}
    return result


def precision_by_rule(examples: Iterable[Example], getter: Any) -> Dict[str, Dict[str, Any]]:
    """tp/fp/precision of each rule's spans: the numbers behind the merge's rule_precision.

    Predicted docs are built from the gold tokens, so offsets compare directly.
    """
    counts = RuleCounts()
    for eg in examples:
        counts.add([((s.start, s.end, s.label_), s._.rulelang_rule) for s in getter(eg.predicted, "spans")],
                   [(e.start, e.end, e.label_) for e in eg.reference.ents])
    return {rule: {"tp": row["tp"], "fp": row["fp"], "precision": round(row["precision"], 4)}
            for rule, row in counts.table().items() if row["spans_on_gold"]}


def _mean_sd(values: Sequence[float]) -> Tuple[float, Optional[float]]:
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else None)


def _cell(values: Sequence[float]) -> str:
    mean, sd = _mean_sd(values)
    return f"{mean:.3f}" if sd is None else f"{mean:.3f} ± {sd:.3f}"


def summarize_runs(runs: Sequence[Dict[str, Dict[str, Any]]]) -> Dict[str, Any]:
    """Mean and sd over runs (seeds) of each system's P/R/F1 per split and tokenization,
    and of the margin of combined over the better of rules and model; the same for the
    macro average over the dev splits (`domains.macro_result`), under "macro"."""
    summary: Dict[str, Any] = {"n_runs": len(runs), "splits": {}}
    for split in runs[0]:
        summary["splits"][split] = _summarize_views([run[split] for run in runs])
    macros = [macro_result(run) for run in runs]
    if all(macros):
        summary["macro"] = {"splits": macros[0]["splits"], **_summarize_views(macros)}
    return summary


def _summarize_views(results: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """{"words": table, "text": table} over one split's result in each run."""
    views: Dict[str, Any] = {}
    for view in ("words", "text"):
        rows = [result if view == "words" else result.get("raw_text") for result in results]
        if any(row is None for row in rows):
            continue
        table: Dict[str, Any] = {}
        for system in SYSTEMS:
            if not all(system in row["systems"] for row in rows):
                continue
            table[system] = {k: dict(zip(("mean", "sd"), _mean_sd([r["systems"][system][k] for r in rows])))
                             for k in ("p", "r", "f")}
            table[system]["f_runs"] = [round(r["systems"][system]["f"], 4) for r in rows]
        if {"rules", "model", "combined"} <= set(table):
            margins = [r["systems"]["combined"]["f"] - max(r["systems"]["rules"]["f"], r["systems"]["model"]["f"])
                       for r in rows]
            table["combined_minus_best_part"] = dict(zip(("mean", "sd"), _mean_sd(margins)))
        views[view] = table
    return views


def results_table(runs: Sequence[Dict[str, Dict[str, Any]]], main: Optional[str] = None) -> str:
    """A markdown table over one or more runs (seeds), "mean ± sd" over runs: P, R, F1 on
    `main` (the test split; else the first split), its F1 on raw text, then a P, R, F1 column
    group per other split (domain) on the gold words, the macro average over the dev splits
    (when there are two or more; `domains.macro_result`) and the words/s on `main`."""
    names = order_splits(runs[0])
    main = main or next((n for n in names if is_test_split(n)), names[0])
    others = [n for n in names if n != main]
    has_text = all("raw_text" in run[main] for run in runs)
    macros = [macro_result(run) for run in runs]
    groups: List[Tuple[str, List[Optional[Dict[str, Any]]]]] = [
        (name, [run[name] for run in runs]) for name in others]
    if all(macros):
        groups.append((MACRO_TITLE, macros))
    header = ["System", f"P ({main})", f"R ({main})", f"F1 ({main})"]
    header += [f"F1 ({main}, raw text)"] if has_text else []
    header += [f"{k} ({name})" for name, _ in groups for k in ("P", "R", "F1")] + ["Words/s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for system in SYSTEMS:
        if system not in runs[0][main]["systems"]:
            continue
        rows = [run[main]["systems"][system] for run in runs]
        cells = [system] + [_cell([r[k] for r in rows]) for k in ("p", "r", "f")]
        if has_text:
            cells.append(_cell([run[main]["raw_text"]["systems"][system]["f"] for run in runs]))
        for _, results in groups:
            group_rows = [result["systems"].get(system) for result in results]
            cells += ([_cell([r[k] for r in group_rows]) for k in ("p", "r", "f")] if all(group_rows)
                      else ["-"] * 3)
        speeds = [r.get("words_per_second") for r in rows]
        cells.append(f"{round(statistics.fmean(speeds)):,}" if all(speeds) else "-")
        lines.append("| " + " | ".join(cells) + " |")
    if all(macros):
        lines += ["", f"{MACRO_TITLE}: the mean of P, of R and of F1 over "
                  f"{', '.join(macros[0]['splits'])}, each domain weighing the same; "
                  "a test split is never in it."]
    return "\n".join(lines) + "\n"


def split_name(path: Union[str, Path], taken: Sequence[str] = ()) -> str:
    """'test' for corpus/test.spacy; a second file with the same stem gets a suffix."""
    stem = Path(path).stem
    name, i = stem, 2
    while name in taken:
        name, i = f"{stem}{i}", i + 1
    return name
