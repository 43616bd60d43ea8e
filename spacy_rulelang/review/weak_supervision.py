"""Weak labels: training docs whose entities are the rule spans, for a bootstrapped NER.

    nlp = load_with_rulelang("en_core_web_sm")
    policy = MissingPolicy.parse("undecided")
    docs = weak_label_docs(nlp, input_docs("assets/train.txt", nlp), policy)
    write_docbin(docs, "corpus/weak/train.spacy")

Every rule span becomes an entity. Other tokens are O, except those of the catalogue
candidates that the policy marks *missing* (`token.ent_iob_ == ""`, "-" in BILUO): the
NER learns nothing from them, neither entity nor O. `--missing` takes one mode or
several joined by "+":

- `none`: nothing is missing; every token that is not in a rule span is O.
- `undecided`: the candidates that no rule decided (doc.spans["rulelang_undecided"]).
- `rejected` or `rejected:RULE[,RULE...]`: the candidates rejected by any rule, or by these.
- `weak:RULE[,RULE...]`: the rule spans accepted only by these rules are missing,
  not entities (an adjacent run counts as accepted by the rules of its parts).

Where a missing candidate overlaps an entity, the entity wins.

`weak_label(pipeline, data, output, WeakLabelOptions(...))` is what the `weak-label`
command runs: the whole file, locally or on Ray, into a .spacy file replaced in one step.
Each worker runs the rules and `weak_label_block` on a block of inputs and sends back
the block's DocBin; this process merges them in input order (a DocBin's strings are
sorted when written, so the file is the same bytes for any split) and writes.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import FrozenSet, Iterable, Iterator, List, Optional, Set, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans
from tqdm import tqdm

from spacy_rulelang.backends import BlockJob, BlockStats, CurrentStderr, RayOptions, Row, load_ray_backend, run_local
from spacy_rulelang.io.atomic import atomic_file
from spacy_rulelang.io.corpus import as_input_doc, check_input, pipeline_input, read_items
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.parallel import pipe_in_processes
from spacy_rulelang.io.pipeline import load_with_rulelang
from spacy_rulelang.ruler.engine import check_rule_names
from spacy_rulelang.io.spans import token_mask

__all__ = ["MissingPolicy", "DEFAULT_MISSING", "WeakLabelOptions", "input_docs", "rulelang_name",
           "weak_label", "weak_label_block", "weak_label_doc", "weak_label_docs", "weak_label_job"]

DEFAULT_MISSING = "none"
MODES = ("none", "undecided", "rejected", "rejected:RULE[,RULE...]", "weak:RULE[,RULE...]")
ANY_RULE = "*"


@dataclass(frozen=True)
class MissingPolicy:
    """Which catalogue candidates become missing rather than O (or rather than entities)."""

    undecided: bool = False
    rejected: FrozenSet[str] = frozenset()  # rule names; ANY_RULE for every rule
    weak: FrozenSet[str] = frozenset()

    @classmethod
    def parse(cls, mode: str) -> "MissingPolicy":
        """"none", "undecided", "rejected[:RULES]", "weak:RULES", or several joined by "+"."""
        undecided, rejected, weak = False, set(), set()
        for part in (p.strip() for p in mode.split("+")):
            name, sep, rules = part.partition(":")
            names = [r.strip() for r in rules.split(",") if r.strip()]
            if sep and not names or name not in ("none", "undecided", "rejected", "weak") \
                    or (sep and name in ("none", "undecided")) or (name == "weak" and not sep):
                raise ValueError(Errors.E160.format(mode=part, allowed=", ".join(MODES)))
            check_rule_names(names, "--missing")
            if name == "undecided":
                undecided = True
            elif name == "rejected":
                rejected.update(names or [ANY_RULE])
            elif name == "weak":
                weak.update(names)
        return cls(undecided, frozenset(rejected), frozenset(weak))

    @property
    def needs_decisions(self) -> bool:
        """Whether the rules' per-candidate decisions (`explain`) are needed."""
        return bool(self.rejected or self.weak)

    def is_rejected(self, rule: Optional[str]) -> bool:
        return rule is not None and (ANY_RULE in self.rejected or rule in self.rejected)


def rulelang_name(nlp: Language) -> str:
    """The name of the pipeline's first `rulelang` component."""
    for name in nlp.pipe_names:
        if nlp.get_pipe_meta(name).factory == "rulelang":
            return name
    raise ValueError(Errors.E161.format(names=nlp.pipe_names))


def input_docs(path: Union[str, Path], nlp: Language,
               limit: Optional[int] = None) -> Iterator[Union[str, Doc]]:
    """What to annotate: JSONL texts as strings; CoNLL and .spacy files as unannotated docs
    with the corpus tokens (their tags and entities are ignored), so the weak labels align
    with the gold ones."""
    for item in islice(read_items(path, nlp.vocab), limit):
        yield pipeline_input(item, nlp.vocab)[0]


def _weak_span(span: Span, accepted: List[Tuple[int, int, str]], weak: FrozenSet[str]) -> bool:
    """Whether every rule that accepted a part of `span` is weak (or its own rule is)."""
    if span._.rulelang_rule in weak:
        return True
    rules = [rule for start, end, rule in accepted if span.start <= start and end <= span.end]
    return bool(rules) and all(rule in weak for rule in rules)


def weak_label_doc(doc: Doc, ruler, policy: MissingPolicy) -> Doc:
    """A fresh doc with `doc`'s words, the rule spans of an annotated `doc` as entities and
    the policy's candidates as missing tokens."""
    spans = list(doc.spans[ruler.key]) if ruler.key in doc.spans else []
    missing: List[Tuple[int, int]] = []
    if policy.undecided and ruler.settings.undecided_key in doc.spans:
        missing.extend((s.start, s.end) for s in doc.spans[ruler.settings.undecided_key])
    if policy.needs_decisions:
        decided = ruler.explain(doc)
        missing.extend((d.start, d.end) for d in decided if policy.is_rejected(d.rejected_by))
        if policy.weak:
            accepted = [(d.start, d.end, d.rule) for d in decided if d.rule is not None]
            weak = [s for s in spans if _weak_span(s, accepted, policy.weak)]
            missing.extend((s.start, s.end) for s in weak)
            spans = [s for s in spans if s not in weak]
    out = as_input_doc(doc, doc.vocab)
    ents = filter_spans([Span(out, s.start, s.end, label=s.label_) for s in spans])
    taken = token_mask(len(out), ents)
    blank: Set[int] = {i for start, end in missing for i in range(start, end) if not taken[i]}
    out.set_ents(ents, missing=[out[i:i + 1] for i in sorted(blank)], default="outside")
    return out


def _not_run(nlp: Language) -> List[str]:
    """Components after `rulelang`, and the parser, NER and lemmatizer: not needed."""
    name = rulelang_name(nlp)
    after = nlp.pipe_names[nlp.pipe_names.index(name) + 1:]
    return [n for n in nlp.pipe_names if n in after or n in ("parser", "ner", "lemmatizer")]


def rules_pipeline(pipeline: str) -> Language:
    """What a ray worker loads: the pipeline with rulelang, only the needed components on."""
    nlp = load_with_rulelang(pipeline)
    nlp.select_pipes(disable=_not_run(nlp))
    return nlp


def weak_label_block(policy: MissingPolicy, nlp: Language, rows: Iterator[Row]) -> Tuple[DocBin, Counter]:
    """The per-document part of `weak_label`, run by a worker on one block: the block's
    weakly labelled docs as a DocBin, and its counts."""
    ruler = nlp.get_pipe(rulelang_name(nlp))
    docbin = DocBin(store_user_data=False)
    counts: Counter = Counter()
    for doc, _ in rows:
        out = weak_label_doc(doc, ruler, policy)
        docbin.add(out)
        counts["docs"] += 1
        counts["entities"] += len(out.ents)
        counts["missing"] += sum(1 for t in out if t.ent_iob == 0)
        counts["with_text"] += bool(out.text.strip())
    return docbin, counts


def weak_label_job(pipeline: str, policy: MissingPolicy, batch_size: int = 256) -> BlockJob:
    """What every worker does: Ray actors load PIPELINE's rules (`rules_pipeline`), local
    workers fork this process's; each block becomes a DocBin."""
    return BlockJob(partial(rules_pipeline, str(pipeline)), stage=partial(weak_label_block, policy),
                    batch_size=batch_size)


def weak_label_docs(nlp: Language, items: Iterable[Union[str, Doc]], policy: MissingPolicy, *,
                    n_process: int = 1, batch_size: int = 256) -> Iterator[Doc]:
    """Run the pipeline's rules over texts or docs and yield the weakly labelled docs, in order.
    Components after `rulelang` and the parser, NER and lemmatizer are not run."""
    ruler = nlp.get_pipe(rulelang_name(nlp))
    with nlp.select_pipes(disable=_not_run(nlp)):
        pairs = pipe_in_processes(nlp, ((item, None) for item in items), n_process=n_process,
                                  batch_size=batch_size)
        for doc, _ in pairs:
            yield weak_label_doc(doc, ruler, policy)


@dataclass(frozen=True)
class WeakLabelOptions:
    """How `weak_label` runs: `missing` as `MissingPolicy.parse` reads it, the first `limit`
    inputs, locally with `n_process` processes or on Ray with `ray` (None: locally)."""

    missing: str = DEFAULT_MISSING
    limit: Optional[int] = None
    n_process: int = 1
    batch_size: int = 256
    ray: Optional[RayOptions] = None
    show_progress: bool = True
    block_size: Optional[int] = None


def weak_label(pipeline: str, data: Union[str, Path], output: Union[str, Path],
               options: WeakLabelOptions = WeakLabelOptions(), *,
               timing: Optional[BlockStats] = None) -> Counter:
    """Weak-label every input of DATA with PIPELINE's rules into the .spacy file `output`;
    returns the counts of docs, entities and missing tokens. The file is replaced in one
    step and only when there is something to write: an input with no texts (E300) or only
    empty ones (E301) leaves an existing `output` as it was. `timing` collects the
    blocks' times (--verbose)."""
    if options.ray is not None and options.n_process > 1:
        raise ValueError(Errors.E177)
    policy = MissingPolicy.parse(options.missing)
    kind = check_input(data)
    nlp = load_with_rulelang(pipeline)
    job = weak_label_job(pipeline, policy, options.batch_size)
    docbin = DocBin(store_user_data=False)
    counts: Counter = Counter()
    with nlp.select_pipes(disable=_not_run(nlp)), \
            tqdm(desc="weak-label", unit="doc", disable=None if options.show_progress else True,
                 file=CurrentStderr()) as bar:
        if options.ray is not None:
            ray = replace(options.ray, log_file=options.ray.log_file or Path(output).with_name(Path(output).name + ".ray.log"))
            blocks = load_ray_backend().run_file(Path(data), kind, job, ray, limit=options.limit, stats=timing)
        else:
            blocks = run_local(job, nlp, islice(read_items(data, nlp.vocab), options.limit),
                               n_process=options.n_process, block_size=options.block_size, stats=timing)
        for block in blocks:
            part, part_counts = block.result
            docbin.merge(part)
            counts.update(part_counts)
            bar.update(block.n_items)
    n_with_text = counts.pop("with_text", 0)
    if counts["docs"] == 0:  # nothing to train on: the previous output stays
        raise ValueError(Errors.E300.format(path=data, output=output))
    if n_with_text == 0:
        raise ValueError(Errors.E301.format(n=counts["docs"], path=data, output=output))
    with atomic_file(output) as tmp:
        docbin.to_disk(tmp)
    return counts
