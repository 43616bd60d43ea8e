"""Measure the loop: rules bootstrap a model, a (simulated) reviewer decides, the model retrains.

Why simulate: whether disagreement-ranked review is worth a reviewer's time is a
number, and it needs many reviews. The reviewer here answers from the gold labels
of the split under review (train, never test): for each example picked, the
sentence's gold spans, written as a Prodigy `review` answer, which `apply` turns
into a corrected corpus like any real decision.

Turn 0 trains the model on the rules' own labels with the same recipe as every other
row (steps, seed, early-stopping data), so the rows compare like for like. Each turn:
compare rules and the current model on the (weakly labelled) train texts WITHOUT gold, pick the top-ranked examples not reviewed yet (the budget),
apply the reviewer's answers to the training corpus, retrain, assemble with the
rules and evaluate on the reporting split. Beside it, the same budgets spent on
randomly chosen sentences, skweak's HMM over the same rules (no review), and the
ceiling: the same training on all gold labels. Each row is written to loop.json and
loop.md as it finishes (`RowWriter`), so a late failure loses nothing, and an optional
baseline whose package is missing becomes a row that says so.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import spacy
from spacy.tokens import Doc
from wasabi import Printer

from spacy_rulelang.compare.export import prodigy_spans, prodigy_tokens, set_hashes, token_offsets
from spacy_rulelang.io.atomic import atomic_file
from spacy_rulelang.io.corpus import read_gold_docs
from spacy_rulelang.io.jsonl import read_jsonl, write_jsonl
from spacy_rulelang.scoring.evaluation import evaluate_pipeline
from spacy_rulelang.errors import Errors

SYSTEMS = ("rules", "model", "combined")
SKWEAK_MISSING = 'skipped: skweak is not installed (pip install "spacy-rulelang[loop]")'


@dataclass(frozen=True)
class LoopSettings:
    """Paths and budgets of one loop measurement (see project.yml's `loop` command)."""

    train_gold: Path          # gold of the split under review: the simulated reviewer's answers
    weak_train: Path          # the rules' labels of the same texts: what the model trains on
    weak_dev: Path            # early stopping without gold
    eval_data: Path           # the reporting split (test)
    base: str                 # POS base pipeline for assembling
    output: Path              # models, decisions, corrected corpora
    budgets: Sequence[int] = (50, 100, 200)
    ner_config: Path = Path("configs/ner.cfg")
    assemble_config: Path = Path("configs/assemble_v1.cfg")  # no gold dev to fit a learned merge on
    max_steps: int = 1000
    eval_frequency: int = 200
    seed: int = 0


def ranked_examples(disagreements: Path) -> List[int]:
    """Doc indices of disagreements.jsonl, highest priority first (ties: input order)."""
    best: Dict[int, float] = {}
    for _, task in read_jsonl(disagreements):
        meta = task["meta"]
        best[meta["doc"]] = max(best.get(meta["doc"], 0.0), float(meta["priority"]))
    return sorted(best, key=lambda doc: (-best[doc], doc))


def pick(candidates: Iterable[int], reviewed: set, budget: int) -> List[int]:
    """The first `budget` docs of `candidates` that were not reviewed yet."""
    out = []
    for doc in candidates:
        if len(out) >= budget:
            break
        if doc not in reviewed:
            out.append(doc)
    return out


def reviewer_answers(gold: Sequence[Doc], docs: Iterable[int]) -> List[dict]:
    """The simulated reviewer: a Prodigy `review` answer with the gold spans of each doc."""
    lines = []
    for i in sorted(docs):
        doc = gold[i]
        words, spaces = [t.text for t in doc], [bool(t.whitespace_) for t in doc]
        text, tokens = token_offsets(words, spaces)
        task = {"text": text, "spans": prodigy_spans([(e.start, e.end, e.label_) for e in doc.ents], tokens),
                "answer": "accept", "meta": {"doc": i}, "_view_id": "review",
                "tokens": prodigy_tokens(words, tokens)}
        lines.append(set_hashes(task))
    return lines


def run(args: Sequence[str]) -> None:
    """A `python -m ...` step; its failure stops the loop with the command's own message."""
    result = subprocess.run([sys.executable, "-m", *args])
    if result.returncode != 0:
        raise RuntimeError(Errors.E344.format(code=result.returncode, command=" ".join(args)))


class Loop:
    """Runs the turns; `apply` is the `apply` command's plain function (decisions, corpus, out)."""

    def __init__(self, settings: LoopSettings, apply: Callable[[Path, Path, Path], None],
                 compare: Callable[[Path, Path, Path], None], msg: Optional[Printer] = None):
        self.s = settings
        self.apply = apply
        self.compare = compare
        self.msg = msg or Printer()
        self.gold = list(read_gold_docs(settings.train_gold, spacy.blank("en").vocab))

    def train(self, corpus: Path, out: Path) -> Path:
        run(["spacy", "train", str(self.s.ner_config), "--output", str(out),
             "--paths.train", str(corpus), "--paths.dev", str(self.s.weak_dev),
             "--training.max_steps", str(self.s.max_steps),
             "--training.eval_frequency", str(self.s.eval_frequency),
             "--system.seed", str(self.s.seed)])
        return out / "model-best"

    def assemble_and_score(self, model: Path, out: Path) -> Dict[str, Dict[str, float]]:
        run(["spacy", "assemble", str(self.s.assemble_config), str(out),
             "--paths.base", self.s.base, "--paths.model", str(model)])
        result = evaluate_pipeline(spacy.load(out), self.s.eval_data)
        return {name: {k: round(v[k], 3) for k in ("p", "r", "f")}
                for name, v in result["systems"].items() if name in SYSTEMS}

    def start(self) -> dict:
        """Turn 0: rules and a model trained on the rules' labels (this loop's recipe), no review."""
        self.first_assembled = self.s.output / "turn0" / "assembled"
        model = self.train(self.s.weak_train, self.s.output / "turn0" / "model")
        scores = self.assemble_and_score(model, self.first_assembled)
        return {"method": "rules + model on the rules' labels", "turn": 0, "decisions": 0, **scores}

    def turns(self, method: str, on_row: Callable[[dict], None] = lambda row: None) -> List[dict]:
        """One turn per budget after turn 0 (`start`); `method` "ranked" or "random".
        `on_row` gets each row as it finishes (to write it at once)."""
        rows: List[dict] = []
        assembled, corpus, reviewed = self.first_assembled, self.s.weak_train, set()
        order = list(range(len(self.gold)))
        random.Random(self.s.seed).shuffle(order)
        for turn, budget in enumerate(self.s.budgets, start=1):
            step = self.s.output / method / f"turn{turn}"
            step.mkdir(parents=True, exist_ok=True)
            if method == "ranked":  # the rules and the current model, on the texts alone
                self.compare(assembled, self.s.train_gold, step / "compare")
                candidates: Sequence[int] = ranked_examples(step / "compare" / "disagreements.jsonl")
            else:
                candidates = order
            chosen = pick(candidates, reviewed, budget)
            reviewed.update(chosen)
            write_jsonl(step / "decisions.jsonl", reviewer_answers(self.gold, chosen))
            self.apply(step / "decisions.jsonl", corpus, step / "applied")
            corpus = step / "applied" / "corrected.spacy"
            assembled = step / "assembled"
            scores = self.assemble_and_score(self.train(corpus, step / "model"), assembled)
            rows.append({"method": method, "turn": turn, "decisions": len(reviewed), **scores})
            on_row(rows[-1])
            self.msg.info(f"{method} turn {turn}: {len(reviewed)} reviewed, combined F1 "
                          f"{scores['combined']['f']:.3f}")
        return rows

    def skweak(self) -> dict:
        """skweak's HMM over the same rules (and a gazetteer), no review, the same training;
        without skweak installed, a row that says it was skipped and how to add it."""
        import importlib.util

        if importlib.util.find_spec("skweak") is None:
            return {"method": "skweak HMM over the rules", "turn": None, "decisions": 0,
                    "skipped": SKWEAK_MISSING}
        from spacy_rulelang.io.pipeline import load_with_rulelang
        from spacy_rulelang.workflow.skweak_baseline import write_skweak_labels

        nlp = load_with_rulelang(self.s.base, {"write_ents": False})
        corpus = self.s.output / "skweak" / "train.spacy"
        write_skweak_labels(nlp, self.gold, corpus)
        scores = self.assemble_and_score(self.train(corpus, self.s.output / "skweak" / "model"),
                                         self.s.output / "skweak" / "assembled")
        return {"method": "skweak HMM over the rules", "turn": None, "decisions": 0, **scores}

    def ceiling(self) -> dict:
        """The same training on every gold label of the split under review."""
        model = self.train(self.s.train_gold, self.s.output / "gold" / "model")
        scores = self.assemble_and_score(model, self.s.output / "gold" / "assembled")
        return {"method": "gold (all labels)", "turn": None, "decisions": len(self.gold), **scores}


KEYS = ("method", "turn", "decisions")


def table(rows: Sequence[dict], keys: Sequence[str] = KEYS) -> str:
    """The README's loop table, as markdown: the `keys` columns, then each system's P / R / F1
    (`project adapt` passes its own keys)."""
    head = "| " + " | ".join(keys) + " | " + " | ".join(f"{s} P / R / F1" for s in SYSTEMS) + " |"
    lines = [head, "|" + "---|" * (len(keys) + len(SYSTEMS))]
    for row in rows:
        cells = [f"{row[s]['p']:.3f} / {row[s]['r']:.3f} / **{row[s]['f']:.3f}**" if s in row else "-"
                 for s in SYSTEMS]
        if "skipped" in row:
            cells = [row["skipped"]] + [""] * (len(SYSTEMS) - 1)
        lead = ["" if row.get(k) is None else str(row[k]) for k in keys]
        lines.append("| " + " | ".join(lead + cells) + " |")
    return "\n".join(lines) + "\n"


class RowWriter:
    """<name>.json and <name>.md (loop.json and loop.md by default), rewritten (atomically)
    after every row: a run that fails late keeps the rows it finished. `header`: text above
    the markdown table (what every row shares, e.g. the training recipe)."""

    def __init__(self, metrics: Path, name: str = "loop", header: str = "", keys: Sequence[str] = KEYS) -> None:
        self.metrics = metrics
        self.name, self.header, self.keys = name, header, tuple(keys)
        self.rows: List[dict] = []

    def add(self, *rows: dict) -> None:
        self.rows.extend(rows)
        write_results(self.rows, self.metrics, self.name, self.header, self.keys)


def write_results(rows: Sequence[dict], metrics: Path, name: str = "loop", header: str = "",
                  keys: Sequence[str] = KEYS) -> None:
    markdown = (header.rstrip() + "\n\n" if header.strip() else "") + table(rows, keys)
    for path, text in ((f"{name}.json", json.dumps(list(rows), indent=2) + "\n"), (f"{name}.md", markdown)):
        with atomic_file(metrics / path) as tmp:
            tmp.write_text(text, encoding="utf8")
