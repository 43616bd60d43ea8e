"""Apply a decisions file to the gold corpus and write the five outputs, all or nothing.

The corpus streams by once: each doc gets its decisions (checked against it first),
then goes into corrected.spacy; the audit, the model errors, the catalogue patch and
the domain profile (profile_builder.py) are collected on the way. Everything is written into a staging folder that replaces
the output folder only when every line was good (AtomicOutputDir), and no input is
ever written to.
"""
from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Union

from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from spacy_rulelang.io.atomic import AtomicOutputDir
from spacy_rulelang.io.pipeline import load_with_rulelang
from spacy_rulelang.ruler.profile import Profile, check_profile
from spacy_rulelang.catalogue.load import entries_to_jsonl, load_catalogue
from spacy_rulelang.compare.core import SpanTuple
from spacy_rulelang.io.corpus import data_kind, read_gold_docs, write_docbin
from spacy_rulelang.errors import Errors
from spacy_rulelang.review.gold_edits import Applied, apply_to_gold, check_consistent
from spacy_rulelang.review.checks import check_against_doc, check_known_docs
from spacy_rulelang.review.decision import RULES, Decision
from spacy_rulelang.review.reader import read_decision_file
from spacy_rulelang.review.patch import PatchBuilder, catalogue_effects, check_loads
from spacy_rulelang.review.profile_builder import ProfileBuilder
from spacy_rulelang.review.records import audit_record, dumps, training_example

OUTPUT_FILES = ("corrected.spacy", "catalogue_patch.jsonl", "model_errors.jsonl", "audit.jsonl",
                "profile.json")
Where = Union[str, Path]


def check_outputs_spare_inputs(output_dir: Path, inputs: List[Optional[Path]]) -> None:
    """E159 when an output file is one of the inputs (e.g. --corpus OUT/corrected.spacy)."""
    for name in OUTPUT_FILES:
        target = os.path.realpath(output_dir / name)
        for path in inputs:
            if path is not None and os.path.realpath(path) == target:
                raise ValueError(Errors.E159.format(output=output_dir / name, path=path))


def set_gold(doc: Doc, gold: List[SpanTuple]) -> None:
    """Replace doc.ents, keeping the Span objects (and kb ids) of the entities that stay."""
    old = {(e.start, e.end, e.label_): e for e in doc.ents}
    doc.ents = [old.get(s) or Span(doc, s[0], s[1], label=s[2]) for s in gold]


class Run:
    """What the stream collects besides the corrected docs."""

    def __init__(self, path: Path, corpus: Path, patch: PatchBuilder, label: str) -> None:
        self.path, self.corpus, self.patch, self.label = path, corpus, patch, label
        self.profile = ProfileBuilder(lambda name: patch.index.lookup(name) is not None)
        self.audit: List[Dict] = []
        self.model_errors: List[Dict] = []
        self.n_docs = 0
        self.docs_changed = 0

    def apply_doc(self, doc: Doc, decisions: List[Decision]) -> None:
        for decision in decisions:
            check_against_doc(decision, doc, self.path, self.corpus)
        check_consistent(decisions, len(doc), self.path)
        before = sorted({(e.start, e.end, e.label_) for e in doc.ents})
        gold, applied = apply_to_gold(before, decisions, len(doc))
        if gold != before:
            set_gold(doc, gold)
            self.docs_changed += 1
        sentence = doc.text.strip()
        for item in applied:
            self.audit.append(audit_record(item))
            self._learn(doc, sentence, item)
            if item.decision.decision == RULES:
                self.model_errors.append(training_example(doc, gold, item))

    def _learn(self, doc: Doc, sentence: str, item: Applied) -> None:
        confirmed, wrong = catalogue_effects(item, self.label)
        self.profile.learn(doc, item, confirmed, wrong)
        for start, end, _ in confirmed:
            self.patch.confirm(doc[start:end].text, sentence)
        for start, end, _ in wrong:
            self.patch.reject(doc[start:end].text, sentence)

    def corrected(self, by_doc: Dict[int, List[Decision]]) -> Iterator[Doc]:
        for idx, doc in enumerate(read_gold_docs(self.corpus, Vocab())):
            self.n_docs += 1
            decisions = by_doc.pop(idx, None)
            if decisions:
                self.apply_doc(doc, decisions)
            yield doc
        check_known_docs(by_doc, self.n_docs, self.path, self.corpus)


def run_apply(decisions_path: Where, corpus: Where, output_dir: Where, *,
              catalogue: Optional[Where] = None, label: str = "PROG_LANG",
              pipeline: Optional[str] = None, model_key: Optional[str] = None) -> Dict[str, object]:
    """Apply DECISIONS to CORPUS; write OUTPUT_FILES into output_dir. Returns a summary.
    `pipeline`: a pipeline (name or path) to run the profile's tests with (`check_profile`);
    the sentences it fails are listed in the summary. `model_key`: the profile's (ruler/profile.py)."""
    decisions_path, corpus, output_dir = Path(decisions_path), Path(corpus), Path(output_dir)
    catalogue = None if catalogue is None else Path(catalogue)
    check_outputs_spare_inputs(output_dir, [decisions_path, corpus, catalogue])
    if data_kind(corpus) == "jsonl":  # texts without gold: nothing to correct
        raise ValueError(Errors.E217.format(path=corpus))
    if not corpus.exists():
        raise FileNotFoundError(Errors.E022.format(path=corpus))
    read = read_decision_file(decisions_path)
    decisions = read.decisions
    packaged = load_catalogue(None)
    entries = packaged if catalogue is None else load_catalogue(catalogue, extend=True)
    by_doc: Dict[int, List[Decision]] = defaultdict(list)
    for decision in decisions:
        by_doc[decision.doc].append(decision)
    run = Run(decisions_path, corpus, PatchBuilder(entries, packaged), label)
    for group in read.groups:
        run.profile.add_group(group)
    with AtomicOutputDir(output_dir) as out:
        write_docbin(run.corrected(by_doc), out.path("corrected.spacy"))
        patch = run.patch.build()
        check_loads(patch, packaged, output_dir / "catalogue_patch.jsonl")
        out.path("catalogue_patch.jsonl").write_text(entries_to_jsonl(patch), encoding="utf8")
        out.path("model_errors.jsonl").write_text("".join(map(dumps, run.model_errors)), encoding="utf8")
        audit = sorted(run.audit, key=lambda r: r["line"])
        out.path("audit.jsonl").write_text("".join(map(dumps, audit)), encoding="utf8")
        new_ids = {e.id for e in patch} - set(run.patch.entries)
        profile = run.profile.build([e for e in patch if e.id in new_ids], model_key=model_key)
        out.path("profile.json").write_bytes(profile.to_bytes())
    failing = [] if pipeline is None else profile_failures(pipeline, profile)
    return {"docs": run.n_docs, "docs_changed": run.docs_changed,
            "decisions": dict(sorted(Counter(d.decision for d in decisions).items())),
            "outcomes": dict(sorted(Counter(r["outcome"] for r in audit).items())),
            "model_errors": len(run.model_errors),
            "catalogue": {"new": sorted(new_ids),
                          "updated": sorted({e.id for e in patch} - new_ids)},
            "groups": dict(sorted(Counter(g.decision for g in read.groups).items())),
            "duplicates": read.duplicates,
            "profile": {"policies": len(profile.policies), "entries": len(profile.entries),
                        "tests": len(profile.tests), "conflicts": len(run.profile.conflicts),
                        "failing": failing},
            "files": [str(output_dir / name) for name in OUTPUT_FILES]}


def profile_failures(pipeline: str, profile: Profile) -> List[str]:
    """The profile's tests that PIPELINE with the profile loaded fails (should be none)."""
    nlp = load_with_rulelang(pipeline)
    nlp.get_pipe("rulelang").set_profile(profile)
    return [f.describe() for f in check_profile(nlp, profile)]
