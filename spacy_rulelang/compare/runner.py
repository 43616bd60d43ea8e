"""Stream a corpus through the pipeline and write the four comparison outputs.

Why blocks: a worker (a local process or a Ray actor, `backends.BlockJob`) runs the
pipeline and `compare_block` on a block of inputs and sends back only what the outputs
need: the block's summary counters, its surface counts, and a record per doc with
disagreements. The driver merges them in input order (the counters are sums, so any
split gives the same totals), the report keeps a bounded heap and the summary and
ranking only count, so memory is constant in the number of docs.
Why two passes: a priority uses counts over the whole input (ranking.py), so the
first pass counts and keeps each doc with disagreements in a scratch file, the
second scores and writes. The outputs depend only on the input: byte-identical
from one run to the next, for any n_process, backend, worker count or block size.
Gold docs are re-run from their words (Doc(vocab, words, spaces)) so the
pipeline's tokens align with gold; gold spans ride along in doc.spans.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import import_file
from tqdm import tqdm

from spacy_rulelang.io.atomic import AtomicOutputDir
from spacy_rulelang.backends import (BlockJob, BlockResult, BlockStats, CurrentStderr, RayOptions, Row,
                                     check_backend, load_ray_backend, reason, run_local)
from spacy_rulelang.io.corpus import TEXT_KINDS, check_input, read_items
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.pipeline import MERGE_FACTORIES
from spacy_rulelang.compare.rule_names import DEFAULT_RULE_NAME, rule_name_getter
from spacy_rulelang.io.jsonl import dumps_line as jsonl_line, loads
from spacy_rulelang.compare.calibration import calibration_from_stats
from spacy_rulelang.compare.pipe import read_disagreements
from spacy_rulelang.compare.core import Disagreement, SpanTuple, restrict_labels
from spacy_rulelang.compare.export import example_tasks, group_tasks, token_offsets
from spacy_rulelang.compare.ranking import RankCounts, Ranker, example_priority
from spacy_rulelang.compare.report import ReportBuilder, render_example
from spacy_rulelang.compare.summary import SummaryStats, categories_of

RULELANG_FACTORY = "rulelang"
MERGE_MODEL_KEY = "model"  # where rulelang_merge keeps the model's own entities
COMPARE_NAME = "rulelang_compare_run"
GOLD_KEY = "rulelang_gold"
OUTPUT_KEY = "rulelang_disagreements"
OUTPUT_FILES = ("disagreements.jsonl", "groups.jsonl", "report.html", "summary.json", "calibration.json")
RAY_LOG = "ray.log"  # with --backend ray: Ray's own logs, next to the outputs (not one of them)


@dataclass(frozen=True)
class CompareOptions:
    """How `compare` runs, built once by the command line (or a caller) and passed whole.

    `model_key`: span key of the model's entities (None: doc.ents, or the merge's key);
    `rules_key`: span key of another rule component than rulelang, whose rule name is read
    through `rule_name`; `labels`: the labels compared (None: the rule component's);
    `limit`: the first N inputs; `repeat`: passes over the input (the benchmark);
    `code`: a Python file imported before the pipeline loads; `ray`: run on Ray with these
    options (None: locally, `n_process` processes); `block_size`: inputs per local block
    (None: sized from the first blocks, see `backends.BlockSizer`)."""

    model_key: Optional[str] = None
    rules_key: Optional[str] = None
    rule_name: str = DEFAULT_RULE_NAME
    labels: Optional[Sequence[str]] = None
    use_gold: bool = True
    limit: Optional[int] = None
    repeat: int = 1
    max_examples: int = 500
    dataset: str = "rulelang_compare"
    n_process: int = 1
    batch_size: int = 64
    code: Optional[Path] = None
    ray: Optional[RayOptions] = None
    show_progress: bool = True
    block_size: Optional[int] = None

    @property
    def backend(self) -> str:
        return "local" if self.ray is None else "ray"

    def check(self) -> None:
        """E103 for a setting below its minimum, E177 for --n-process with ray, E171 without Ray."""
        for setting, value, minimum in (("--max-examples", self.max_examples, 1),
                                        ("--n-process", self.n_process, 1),
                                        ("--batch-size", self.batch_size, 1),
                                        ("--repeat", self.repeat, 1),
                                        ("--limit", 0 if self.limit is None else self.limit, 0)):
            if value < minimum:
                raise ValueError(Errors.E103.format(setting=setting, minimum=minimum, value=value))
        check_backend(self.backend, self.ray)
        if self.ray is not None and self.n_process > 1:
            raise ValueError(Errors.E177)


def import_code(code: Optional[Path]) -> None:
    """Import the --code file before the pipeline loads, so the components it registers
    (@Language.component) exist; with n_process > 1 the forked workers inherit them, and
    each ray worker imports it itself. Like spaCy's own `import_code`, but raising E142."""
    if code is None:
        return
    if not Path(code).is_file():
        raise ValueError(Errors.E142.format(path=code, err="no such file"))
    try:
        import_file("python_code", code)
    except Exception as err:  # noqa: BLE001  any error in the user's file
        raise ValueError(Errors.E142.format(path=code, err=f"{type(err).__name__}: {reason(err)}")) from err


def compare(pipeline: str, data: Union[str, Path], output_dir: Union[str, Path],
            options: CompareOptions = CompareOptions(), *,
            notes: Optional[List[str]] = None, timing: Optional[BlockStats] = None) -> Dict[str, object]:
    """Load PIPELINE (name or path) and compare its rules and model over DATA, writing
    OUTPUT_FILES into output_dir; returns the summary. The input is checked before the
    (slow) pipeline load. `notes` collects what the user should read (e.g. that
    write_ents was turned off), also when an error is raised."""
    notes = [] if notes is None else notes
    kind = check_input(data)
    import_code(options.code)
    nlp, load_notes = load_pipeline(pipeline, options.model_key, options.rules_key)
    notes.extend(load_notes)
    return run_compare(nlp, data, output_dir, options, pipeline=pipeline, kind=kind, notes=notes,
                       timing=timing)


@dataclass(frozen=True)
class Setup:
    rules_key: str
    model_key: Optional[str]
    labels: List[str]
    rule_names: List[str]
    rule_name: str = DEFAULT_RULE_NAME  # where each rule span's rule name is read


def components_by_factory(nlp: Language, factory: str) -> List[str]:
    return [name for name in nlp.pipe_names if nlp.get_pipe_meta(name).factory == factory]


def _writes_ents(nlp: Language, names: Sequence[str]) -> List[str]:
    return [n for n in names if nlp.get_pipe_config(n).get("write_ents", True)]


def load_pipeline(pipeline: str, model_key: Optional[str] = None,
                  rules_key: Optional[str] = None) -> Tuple[Language, List[str]]:
    """Load PIPELINE (name or path); returns (nlp, notes for the user).

    A rulelang component with write_ents=True would mix its spans into doc.ents
    (and into what rulelang_merge copies as the model's entities), so the pipeline
    is reloaded with write_ents=False: the model's entities stay the model's.
    Without rulelang, `rules_key` names the span group of another rule component.
    `model_key` is accepted for symmetry with `prepare`; it does not change loading.
    """
    try:
        nlp = spacy.load(pipeline)
    except OSError as err:
        raise ValueError(Errors.E101.format(pipeline=pipeline, err=err)) from None
    rulelang = components_by_factory(nlp, RULELANG_FACTORY)
    if not rulelang and rules_key is None:
        raise ValueError(Errors.E100.format(pipeline=pipeline, names=nlp.pipe_names))
    notes: List[str] = []
    writers = _writes_ents(nlp, rulelang)
    if writers:
        overrides = {"components": {name: {"write_ents": False} for name in writers}}
        nlp = spacy.load(pipeline, config=overrides)
        notes.append(f"Set write_ents=False on {writers} for the comparison, so doc.ents "
                     "holds the model's entities only.")
    return nlp, notes


def _labels_written_to(nlp: Language, key: str) -> List[str]:
    """The labels of the components that write doc.spans[key] (a SpanRuler's pattern labels)."""
    labels = set()
    for name in nlp.pipe_names:
        if nlp.get_pipe_config(name).get("spans_key") == key:
            labels.update(getattr(nlp.get_pipe(name), "labels", ()) or ())
    return sorted(labels)


def prepare(nlp: Language, model_key: Optional[str] = None,
            labels: Optional[Sequence[str]] = None, pipeline: str = "",
            rules_key: Optional[str] = None,
            rule_name: str = DEFAULT_RULE_NAME) -> Tuple[Setup, List[str]]:
    """Check the pipeline and add the comparison component (last).

    The rule spans are rulelang's, or with `rules_key` those of any component that
    writes that span group (its rule names read through `rule_name`, e.g. "id")."""
    rulelang = components_by_factory(nlp, RULELANG_FACTORY)
    if rules_key is not None and not any(nlp.get_pipe_config(n).get("spans_key") == rules_key
                                         for n in rulelang):
        return _prepare_other_rules(nlp, model_key, labels, rules_key, rule_name)
    if not rulelang:
        raise ValueError(Errors.E100.format(pipeline=pipeline or nlp.meta.get("name", "nlp"),
                                            names=nlp.pipe_names))
    notes: List[str] = []
    merges = [(name, factory) for factory in MERGE_FACTORIES
              for name in components_by_factory(nlp, factory)]
    if model_key is None and merges:
        model_key = nlp.get_pipe_config(merges[0][0]).get("model_key", MERGE_MODEL_KEY)
        notes.append(f"The pipeline has {merges[0][1]}: reading the model's entities from "
                     f"doc.spans['{model_key}'].")
    writers = _writes_ents(nlp, rulelang)
    if writers and (model_key is None or merges):
        where = "doc.ents" if model_key is None else \
            f"doc.spans['{model_key}'] ({merges[0][1]} copies it from doc.ents)"
        raise ValueError(Errors.E102.format(name=writers[0], where=where))
    configs = [nlp.get_pipe_config(name) for name in rulelang]
    rules_key = configs[0].get("spans_key", "rulelang")
    if labels is None:
        labels = sorted({cfg.get("label", "PROG_LANG") for cfg in configs})
    rule_names: List[str] = []
    for name in rulelang:
        rule_names += list(getattr(nlp.get_pipe(name), "rule_names", []) or [])
    _add_compare(nlp, rules_key, model_key, labels, rule_name)
    return Setup(rules_key, model_key, list(labels), sorted(set(rule_names)), rule_name), notes


def _prepare_other_rules(nlp: Language, model_key: Optional[str], labels: Optional[Sequence[str]],
                         rules_key: str, rule_name: str) -> Tuple[Setup, List[str]]:
    """Rules from any component (a SpanRuler, say): the model's spans are doc.ents
    unless `model_key` names a span group."""
    labels = list(labels) if labels is not None else _labels_written_to(nlp, rules_key)
    if not labels:
        raise ValueError(Errors.E107.format(key=rules_key))
    _add_compare(nlp, rules_key, model_key, labels, rule_name)
    notes = [f"Comparing the rule spans in doc.spans['{rules_key}'] (rule names from "
             f"'{rule_name}') on labels {', '.join(labels)}."]
    return Setup(rules_key, model_key, labels, [], rule_name), notes


def _add_compare(nlp: Language, rules_key: str, model_key: Optional[str], labels: Sequence[str],
                 rule_name: str) -> None:
    if COMPARE_NAME in nlp.pipe_names:
        nlp.remove_pipe(COMPARE_NAME)
    nlp.add_pipe("rulelang_compare", name=COMPARE_NAME, last=True,
                 config={"rules_key": rules_key, "model_key": model_key, "gold_key": GOLD_KEY,
                         "spans_key": OUTPUT_KEY, "labels": list(labels), "rule_name": rule_name})


def repeated_items(path: Path, nlp: Language, repeat: int) -> Iterator[Union[str, Doc]]:
    for _ in range(repeat):
        yield from read_items(path, nlp.vocab)


def dumps_line(obj: object) -> str:
    """One JSONL line; the stdlib writes the shortest float repr (0.282191, not 0.28219099999999997)."""
    return jsonl_line(obj, separators=(",", ":"))  # U+2028 and the like escaped


def dumps_pretty(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _tuples(spans) -> List[SpanTuple]:
    return [(s.start, s.end, s.label_) for s in spans]


def run_compare(nlp: Language, data: Union[str, Path], output_dir: Union[str, Path],
                options: CompareOptions = CompareOptions(), *, pipeline: str = "",
                kind: Optional[str] = None, notes: Optional[List[str]] = None,
                on_doc: Optional[Callable[[int, int], None]] = None,
                timing: Optional[BlockStats] = None) -> Dict[str, object]:
    """Compare the rules and model of a loaded `nlp` over DATA; write OUTPUT_FILES into
    output_dir and return the summary dict.

    `pipeline`: NLP's name or path (the ray workers load it by it); `kind`: what
    `check_input(data)` returned, when the caller checked the input already; `notes`
    collects what the user should read; `on_doc(n_docs, n_words)` is called after each block
    (the benchmark uses it); `timing` collects the blocks' times (--verbose). The comparison
    component is removed again at the end. The outputs are the same bytes with either
    backend, any number of workers and any block size.
    """
    data = Path(data)
    options.check()
    if options.ray is not None and not pipeline:
        raise ValueError(Errors.E172)
    kind = check_input(data) if kind is None else kind
    use_gold = options.use_gold and kind not in TEXT_KINDS
    setup, setup_notes = prepare(nlp, options.model_key, options.labels, pipeline,
                                 options.rules_key, options.rule_name)
    if notes is not None:
        notes.extend(setup_notes)
    stats = SummaryStats(setup.rule_names)
    try:
        code = None if options.code is None else str(options.code)
        job = BlockJob(partial(load_prepared, pipeline, options.model_key, options.rules_key,
                               options.labels, options.rule_name, code),
                       stage=partial(compare_block, setup), gold_key=GOLD_KEY if use_gold else None,
                       skip_empty=True, batch_size=options.batch_size)
        if options.ray is not None:
            ray = replace(options.ray, log_file=options.ray.log_file or Path(output_dir) / RAY_LOG)
            blocks = load_ray_backend().run_file(data, kind, job, ray, repeat=options.repeat,
                                                 limit=options.limit, stats=timing)
        else:
            items = islice(repeated_items(data, nlp, options.repeat), options.limit)
            blocks = run_local(job, nlp, items, n_process=options.n_process,
                               block_size=options.block_size, stats=timing)
        settings = {"pipeline": pipeline, "data": str(data), "data_kind": kind,
                    "gold": use_gold, "rules_key": setup.rules_key, "rule_name": setup.rule_name,
                    "model_key": setup.model_key or "doc.ents", "labels": setup.labels,
                    "limit": options.limit, "repeat": options.repeat,
                    "max_examples": options.max_examples, "dataset": options.dataset}
        return _run(blocks, stats, setup, data, Path(output_dir), settings=settings,
                    max_examples=options.max_examples, dataset=options.dataset,
                    show_progress=options.show_progress, on_doc=on_doc)
    finally:
        if COMPARE_NAME in nlp.pipe_names:
            nlp.remove_pipe(COMPARE_NAME)


def load_prepared(pipeline: str, model_key: Optional[str], rules_key: Optional[str],
                  labels: Optional[Sequence[str]], rule_name: str,
                  code: Optional[str] = None) -> Language:
    """The pipeline as `compare` runs it (what each ray worker loads): the --code file
    imported, loaded by `load_pipeline` and `prepare`d with the comparison component."""
    if code is not None:
        import_code(Path(code))
    nlp, _ = load_pipeline(pipeline, model_key, rules_key)
    prepare(nlp, model_key, labels, pipeline, rules_key, rule_name)
    return nlp


@dataclass
class CompareBlock:
    """What a worker sends back for a block: its counters, its disagreements' surface
    counts, and (position in the block, DocRecord json) per doc with disagreements."""

    stats: SummaryStats
    surfaces: Counter
    records: List[Tuple[int, Dict[str, object]]]


def compare_block(setup: Setup, nlp: Language, rows: Iterator[Row]) -> CompareBlock:
    """The per-document part of `compare`, run by the worker on one block."""
    label_set = set(setup.labels)
    rule_of = rule_name_getter(setup.rule_name)
    stats = SummaryStats(setup.rule_names)
    counts = RankCounts()
    records = []
    for pos, (doc, skip) in enumerate(rows):
        stats.read()
        if doc is None:
            stats.skip(skip)
            continue
        record = _record(doc, pos, setup, rule_of, label_set, stats)
        if record is not None:
            counts.add_surfaces(record.found, record.words)
            records.append((pos, record.to_json()))
    return CompareBlock(stats, counts.surfaces, records)


@dataclass(frozen=True)
class DocRecord:
    """What the ranking pass needs of one doc with disagreements (a scratch-file line)."""

    doc_index: int
    words: List[str]
    spaces: List[bool]
    rules: List[SpanTuple]
    model: List[SpanTuple]
    gold: Optional[List[SpanTuple]]
    found: List[Disagreement]

    def to_json(self) -> Dict[str, object]:
        return {"doc": self.doc_index, "words": self.words, "spaces": self.spaces,
                "rules": self.rules, "model": self.model, "gold": self.gold,
                "found": [d.to_dict() for d in self.found]}

    @classmethod
    def from_json(cls, data: Dict) -> "DocRecord":
        spans = {k: None if data[k] is None else [tuple(s) for s in data[k]]
                 for k in ("rules", "model", "gold")}
        return cls(data["doc"], data["words"], data["spaces"], spans["rules"], spans["model"],
                   spans["gold"], [Disagreement.from_dict(d) for d in data["found"]])


def _run(blocks: Iterator[BlockResult], stats: SummaryStats,
         setup: Setup, data_path: Path, output_dir: Path, *, settings: Dict[str, object],
         max_examples: int, dataset: str, show_progress: bool,
         on_doc: Optional[Callable[[int, int], None]]) -> Dict[str, object]:
    """Three passes, so that every priority uses counts of the WHOLE input (ranking.py):
    1. the blocks' results come back in input order: their counters (summary, surface
       forms, rules) are merged and each `DocRecord` goes to a scratch file at its input
       position;
    2. the records are scored from the global counts: tasks (scratch) and report heap;
    3. the tasks get their report rank on the way into disagreements.jsonl.
    Memory stays constant in the number of docs; the files depend only on the input."""
    label_set = set(setup.labels)
    counts = RankCounts(rules=stats.rules)  # one RuleCounts: summary and ranking agree
    report = ReportBuilder(max_examples)
    with AtomicOutputDir(output_dir) as out:
        records, tasks = out.scratch("records.jsonl"), out.scratch("disagreements.jsonl")
        n_read = 0
        with records.open("w", encoding="utf8") as fileh, \
                tqdm(desc="compare", unit="doc", disable=None if show_progress else True,
                     file=CurrentStderr()) as bar:
            for block in blocks:
                part: CompareBlock = block.result
                stats.merge(part.stats)
                counts.surfaces.update(part.surfaces)
                for pos, record in part.records:
                    record["doc"] = n_read + pos
                    fileh.write(dumps_line(record))
                n_read += block.n_items
                bar.update(block.n_items)
                if on_doc is not None:
                    on_doc(stats.docs_with + stats.docs_without, stats.n_words)
        n_done = stats.docs_with + stats.docs_without
        if stats.docs_in == 0:
            raise ValueError(Errors.E108.format(path=data_path))
        if n_done == 0:  # every input was skipped as empty: keep the previous outputs
            raise ValueError(Errors.E109.format(n=stats.docs_in, path=data_path))
        if stats.docs_in != stats.docs_out:  # every input doc must be accounted for
            raise RuntimeError(f"internal error (please report it): docs_in={stats.docs_in} != docs_out={stats.docs_out}")
        ranker = Ranker.from_counts(counts)
        with records.open(encoding="utf8") as src, tasks.open("w", encoding="utf8") as dst:
            for line in src:
                _write_example(DocRecord.from_json(loads(line)), ranker, label_set, dst,
                               report, dataset)
        ranks = report.ranks()
        with tasks.open(encoding="utf8") as src, out.open("disagreements.jsonl") as dst:
            for line in src:
                task = loads(line)
                task["meta"]["rank"] = ranks.get(task["meta"]["doc"])
                dst.write(dumps_line(task))
        summary = stats.to_dict(settings)
        header = {"pipeline": settings["pipeline"], "data": str(data_path),
                  "docs in": stats.docs_in, "docs with disagreements": stats.docs_with,
                  "examples shown": min(stats.docs_with, max_examples)}
        out.path("report.html").write_text(report.render(summary["categories"], header),
                                           encoding="utf8")
        with out.open("groups.jsonl") as dst:  # one Prodigy choice task per group, as the report ranks them
            for task in group_tasks(report.groups.ranked(), dataset):
                dst.write(dumps_line(task))
        out.path("summary.json").write_text(dumps_pretty(summary), encoding="utf8")
        out.path("calibration.json").write_text(
            dumps_pretty(calibration_from_stats(stats, str(data_path))), encoding="utf8")
    return summary


def _record(doc: Doc, idx: int, setup: Setup, rule_of, label_set, stats: SummaryStats) -> Optional[DocRecord]:
    """Count one annotated doc; its DocRecord when it has disagreements."""
    rule_spans = list(doc.spans[setup.rules_key]) if setup.rules_key in doc.spans else []
    model_spans = list(doc.ents) if setup.model_key is None else list(doc.spans[setup.model_key])
    rules = [((s.start, s.end, s.label_), rule_of(s)) for s in rule_spans]
    model = _tuples(model_spans)
    gold = _tuples(doc.spans[GOLD_KEY]) if GOLD_KEY in doc.spans else None
    found = read_disagreements(doc, OUTPUT_KEY)
    stats.add(len(doc), [r for r in rules if r[0][2] in label_set],
              [m for m in model if m[2] in label_set],
              None if gold is None else [g for g in gold if g[2] in label_set], found)
    if not found:
        return None
    r_spans, m_spans, g_spans = restrict_labels(label_set, [r[0] for r in rules], model, gold)
    return DocRecord(idx, [t.text for t in doc], [bool(t.whitespace_) for t in doc],
                     r_spans, m_spans, g_spans, found)


def _write_example(record: DocRecord, ranker: Ranker, label_set, fileh,
                   report: ReportBuilder, dataset: str) -> None:
    words, spaces, idx = record.words, record.spaces, record.doc_index
    found = ranker.score(record.found, words)
    systems = {"gold": record.gold, "rules": record.rules, "model": record.model}
    report.add_instances(idx, words, systems, found)  # groups count every disagreement
    priority = example_priority(found)
    tasks = example_tasks(words, spaces, systems=systems, disagreements=found,
                          dataset=dataset, doc_index=idx, priority=priority)
    for task in tasks:
        fileh.write(dumps_line(task))
    if report.would_keep(priority, idx):
        text, tokens = token_offsets(words, spaces)
        # the report's decisions name the example as the tasks do (docs/decisions.md)
        body = render_example(words, text, tokens, systems=systems, found=found,
                              input_hash=tasks[0]["_input_hash"], doc_index=idx)
        report.add(priority, idx, categories_of(found), body)
