"""Adapt the shipped pipeline to a user's own text: review groups of disagreements, and the
rules and the model learn that domain (issue #20; `spacy project run adapt .`).

Why measure it this way: whether a reviewer's time is better spent on groups than on
sentences is a number, and it needs many reviews, so a simulated reviewer answers from the
gold labels of the user's text. Gold is read by nobody else: the pipeline runs on the words
alone, the groups and their ranking come from rules and model, and the scorer reads the
gold of another set (the scoring set).

Every row goes through the same steps (`Adapt.row`):

1. the shipped pipeline has run once over the user's text (`annotate`, no gold);
2. its disagreements (rules vs model) make groups, ranked by count (compare/groups.py);
3. the row's decisions: the first `budget` ranked groups, `budget` random groups, or
   `budget` random sentences with a disagreement (the old review, one sentence at a time,
   as a Prodigy `review` answer); the reviewer answers each from gold;
4. `apply` turns them into a domain profile (review/run.py), with the model's span key:
   the model agreeing is evidence for a "needs evidence" policy (ruler/profile.py);
5. the rules with the profile weak-label the user's text, and `apply` puts the reviewer's
   corrections on top (`weak_corpus`);
6. the CNN is retrained on it with one recipe for every row (`Recipe`);
7. the retrained model replaces the shipped one in a copy of the shipped pipeline, whose
   rules get the profile and whose merge keeps its shipped settings (`assemble`); rules,
   model and combined are scored on the scoring set (spaCy's Scorer, entity level).

Beside them: the start (the shipped pipeline as it is), no review (step 6 on the rules'
labels alone, the recipe's turn 0), and the gold ceiling (every group answered, the model
trained on the user text's gold). Each row is written to metrics/adapt/<name>.md and .json
as it finishes (loop.py's `RowWriter`); a row that needs a package that is not installed
is a row that says so.
"""
from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab
from tqdm import tqdm
from wasabi import Printer

from spacy_rulelang.compare.core import from_spacy, span_tuples
from spacy_rulelang.compare.export import prodigy_spans, token_offsets
from spacy_rulelang.compare.groups import GroupAggregator, GroupStats, answer_from_gold, group_decision_line, \
    groups_from_docs
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.corpus import as_input_doc, read_gold_docs, write_docbin
from spacy_rulelang.io.jsonl import write_jsonl
from spacy_rulelang.review.run import run_apply
from spacy_rulelang.review.weak_supervision import MissingPolicy, weak_label_docs
from spacy_rulelang.ruler.profile import Profile
from spacy_rulelang.scoring.evaluation import evaluate_pipeline
from spacy_rulelang.workflow.loop import SYSTEMS, RowWriter, reviewer_answers, run

GOLD_KEY = "rulelang_gold"  # where groups_from_docs reads gold: the simulated reviewer's view only
INITS = ("shipped", "scratch")
KEYS = ("method", "decisions", "policies")
RANKED, RANDOM_GROUPS, SENTENCES = "ranked groups", "random groups", "random sentences"
METHODS = (RANKED, RANDOM_GROUPS, SENTENCES)


@dataclass(frozen=True)
class Recipe:
    """How every row's model is trained, the ceiling's and the no-review row's included.

    `init`: "shipped" fine-tunes the shipped pipeline's tok2vec, ner and spancat;
    "scratch" trains configs/ner.cfg from random weights. `max_sents`: the user's
    sentences the model trains on, the same ones in every row (`training_indices`; 0: all).
    No early stopping: the model after `max_steps` steps is the row's model."""

    max_steps: int = 300
    max_sents: int = 2000
    init: str = "shipped"
    seed: int = 0
    ner_config: Path = Path("configs/ner.cfg")

    def __post_init__(self) -> None:
        if self.init not in INITS:
            raise ValueError(Errors.E364.format(allowed=", ".join(INITS), value=self.init))

    def describe(self) -> str:
        start = ("fine-tuned from the shipped model's tok2vec, ner and spancat" if self.init == "shipped"
                 else f"trained from scratch ({self.ner_config})")
        sents = "all the user's sentences" if self.max_sents <= 0 else \
            f"at most {self.max_sents:,} of the user's sentences (the same in every row)"
        return (f"Every row's model: {start}, {self.max_steps:,} steps, seed {self.seed}, no early stopping, "
                f"on {sents}.")


@dataclass(frozen=True)
class AdaptSettings:
    """One adaptation measurement (project.yml's `adapt` commands)."""

    pipeline: Path             # the shipped pipeline: training/assembled
    user_data: Path            # the user's text; its gold is read only by the simulated reviewer
    eval_data: Path            # the scoring set
    output: Path               # decisions, profiles, corpora, models of every row
    metrics: Path              # <name>.md and <name>.json
    name: str                  # e.g. "somesci"
    budgets: Sequence[int] = (10, 25, 50)
    recipe: Recipe = field(default_factory=Recipe)
    threshold: float = 0.8     # the reviewer's share of gold that makes a group "a language" or "never"
    seed: int = 0              # the random baselines' draws
    batch_size: int = 256
    also_score: Optional[Path] = None  # another set (SO dev): the shipped pipeline with and without the profile


# -- the pipeline on the user's text ------------------------------------------------------
def rules_name(nlp: Language, where: object = "The pipeline") -> str:
    for name in nlp.component_names:
        if nlp.get_pipe_meta(name).factory == "rulelang":
            return name
    raise ValueError(Errors.E360.format(pipeline=where))


def model_key(nlp: Language) -> Optional[str]:
    """The span key of the model's own entities (a merge writes doc.ents): the `model_key` of
    `rulelang_model_scores` or the merge; None (doc.ents) in a pipeline without either."""
    for name in nlp.component_names:
        key = nlp.config["components"].get(name, {}).get("model_key")
        if key:
            return str(key)
    return None


def annotate(nlp: Language, golds: Sequence[Doc], batch_size: int = 256) -> List[Doc]:
    """The pipeline over the user's words: fresh docs, no gold in them."""
    inputs = (as_input_doc(g, nlp.vocab) for g in golds)
    return list(tqdm(nlp.pipe(inputs, batch_size=batch_size), total=len(golds), desc="annotate", unit="doc",
                     disable=None))


def disagreeing_docs(docs: Sequence[Doc], key: Optional[str]) -> List[int]:
    """Docs where rules and model disagree: what a per-sentence review goes through."""
    out = []
    for i, doc in enumerate(docs):
        rules = list(doc.spans["rulelang"]) if "rulelang" in doc.spans else []
        model = list(doc.ents) if key is None else list(doc.spans[key]) if key in doc.spans else []
        if from_spacy(rules, model, None, ("PROG_LANG",)):
            out.append(i)
    return out


# -- the simulated reviewer ---------------------------------------------------------------
class SimulatedReviewer:
    """Answers from gold, and is the only reader of it: it puts gold on the annotated docs
    just long enough to count each group's gold (`answer_from_gold` needs all instances,
    not only the examples a decision line carries), then takes it off again."""

    def __init__(self, gold: Sequence[Doc], docs: Sequence[Doc], key: Optional[str], threshold: float = 0.8,
                 where: object = "the user's text") -> None:
        if not any(g.ents for g in gold):
            raise ValueError(Errors.E362.format(path=where))
        self.gold, self.docs, self.threshold = gold, docs, threshold
        for g, d in zip(gold, docs):
            d.spans[GOLD_KEY] = [Span(d, e.start, e.end, label=e.label_) for e in g.ents]
        try:
            self.groups = {g.gid: g for g in groups_from_docs(docs, model_key=key).groups.values()}
        finally:
            for d in docs:
                del d.spans[GOLD_KEY]

    def answer(self, group: GroupStats) -> str:
        return answer_from_gold(self.groups[group.gid], self.threshold)

    def sentences(self, chosen: Iterable[int], key: Optional[str]) -> List[dict]:
        """Prodigy `review` answers with each sentence's gold (loop.py's), with the rules' and
        the model's versions beside it, as `prodigy review` exports them: `apply` then knows
        which rule spans the reviewer judged wrong."""
        answers = reviewer_answers(self.gold, chosen)
        for task in answers:
            doc = self.docs[task["meta"]["doc"]]
            _, tokens = token_offsets([t.text for t in doc], [bool(t.whitespace_) for t in doc])
            model = list(doc.ents) if key is None else list(doc.spans.get(key, []))
            task["versions"] = [
                {"spans": prodigy_spans(span_tuples(list(doc.spans.get("rulelang", []))), tokens),
                 "sessions": ["adapt-rules"]},
                {"spans": prodigy_spans(span_tuples(model), tokens), "sessions": ["adapt-model"]}]
        return answers


def group_lines(groups: Sequence[GroupStats], reviewer: SimulatedReviewer) -> List[dict]:
    """Each group's decision line, as the report downloads it. An example already carried by
    an earlier line is dropped from a later one (a kind group holds its context groups'
    instances), so two lines never decide one name twice."""
    taken: Dict[int, List[Tuple[int, int]]] = {}
    lines = []
    for group in groups:
        line = group_decision_line(group, reviewer.answer(group))
        kept = []
        for inst in line["instances"]:
            spans = taken.setdefault(inst["doc"], [])
            if not any(s < inst["token_end"] and inst["token_start"] < e for s, e in spans):
                spans.append((inst["token_start"], inst["token_end"]))
                kept.append(inst)
        line["instances"] = kept
        lines.append(line)
    return lines


# -- the model's training corpus ------------------------------------------------------------
def training_indices(docs: Sequence[Doc], cap: int, seed: int = 0) -> List[int]:
    """The sentences the model trains on, chosen from the text alone (no gold), the same for
    every row: with a cap, the sentences where the catalogue found a name (a rule span, a
    rejected or undecided candidate, a model entity) come first, then others, each in a
    seeded random order; returned in corpus order."""
    if cap <= 0 or cap >= len(docs):
        return list(range(len(docs)))
    keys = ("rulelang", "rulelang_rejected", "rulelang_undecided", "model")
    named = [i for i, d in enumerate(docs) if d.ents or any(d.spans.get(k) for k in keys)]
    named_set = set(named)
    rest = [i for i in range(len(docs)) if i not in named_set]
    rng = random.Random(seed)
    rng.shuffle(named)
    rng.shuffle(rest)
    return sorted((named + rest)[:cap])


def subset(path: Path, indices: Sequence[int], out: Path) -> Path:
    keep = set(indices)
    write_docbin((d for i, d in enumerate(read_gold_docs(path, Vocab())) if i in keep), out)
    return out


def weak_corpus(rules_nlp: Language, docs: Sequence[Doc], profile: Optional[Profile], out: Path,
                batch_size: int = 256) -> Path:
    """The user's text labelled by the rules with `profile` (None: as shipped). The docs carry
    the shipped pipeline's POS tags, so only `rulelang` runs again."""
    rules_nlp.get_pipe(rules_name(rules_nlp)).set_profile(profile)
    labelled = weak_label_docs(rules_nlp, docs, MissingPolicy.parse("none"), batch_size=batch_size)
    write_docbin(tqdm(labelled, total=len(docs), desc="weak-label", unit="doc", disable=None), out)
    return out


# -- train, assemble, score -----------------------------------------------------------------
def training_config(recipe: Recipe, shipped: Path, shipped_names: Sequence[str], out: Path) -> Path:
    """configs/ner.cfg, with tok2vec, ner and spancat sourced from the shipped pipeline for
    `init = "shipped"`."""
    config = spacy.util.load_config(recipe.ner_config)
    if recipe.init == "shipped":
        missing = [n for n in config["nlp"]["pipeline"] if n not in shipped_names]
        if missing:
            raise ValueError(Errors.E361.format(init=recipe.init, pipeline=shipped, missing=", ".join(missing)))
        for name in config["nlp"]["pipeline"]:
            config["components"][name] = {"source": str(shipped)}
    out.mkdir(parents=True, exist_ok=True)
    config.to_disk(out / "config.cfg")
    return out / "config.cfg"


def train(recipe: Recipe, shipped: Path, shipped_names: Sequence[str], corpus: Path, out: Path) -> Path:
    """The recipe on `corpus`; dev is the first 200 sentences of the same corpus, read only at
    the last step (no early stopping: model-last is the model)."""
    config = training_config(recipe, shipped, shipped_names, out)
    run(["spacy", "train", str(config), "--output", str(out),
         "--paths.train", str(corpus), "--paths.dev", str(corpus), "--corpora.dev.limit", "200",
         "--training.max_steps", str(recipe.max_steps), "--training.eval_frequency", str(recipe.max_steps),
         "--training.patience", "0", "--system.seed", str(recipe.seed)])
    return out / "model-last"


def assemble(shipped: Path, model: Optional[Path], profile: Optional[Profile], out: Path) -> Language:
    """A copy of the shipped pipeline with the retrained components (those of `model`; None:
    as shipped) and the profile in its rules, saved to `out`; the merge keeps its settings."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(shipped, out)
    if model is not None:
        for name in spacy.util.load_config(model / "config.cfg")["nlp"]["pipeline"]:
            if (out / name).is_dir():
                shutil.rmtree(out / name)
                shutil.copytree(model / name, out / name)
    nlp = spacy.load(out)
    nlp.get_pipe(rules_name(nlp)).set_profile(profile)
    nlp.to_disk(out)
    return nlp


def score(nlp: Language, eval_data: Path) -> Dict[str, Dict[str, float]]:
    result = evaluate_pipeline(nlp, eval_data)
    return {name: {k: round(v[k], 3) for k in ("p", "r", "f")}
            for name, v in result["systems"].items() if name in SYSTEMS}


# -- the rows -------------------------------------------------------------------------------
class Adapt:
    """The shared work of every row (the shipped pipeline's run over the user's text, the
    groups, the rules' labels) and one method per kind of row."""

    def __init__(self, settings: AdaptSettings, msg: Optional[Printer] = None) -> None:
        self.s = settings
        self.msg = msg or Printer()
        self.shipped = spacy.load(settings.pipeline)
        rules_name(self.shipped, settings.pipeline)
        self.key = model_key(self.shipped)
        self.gold = list(read_gold_docs(settings.user_data, self.shipped.vocab))
        self.docs = annotate(self.shipped, self.gold, settings.batch_size)
        self.groups: GroupAggregator = groups_from_docs(self.docs, model_key=self.key)  # no gold in the docs
        self.reviewer = SimulatedReviewer(self.gold, self.docs, self.key, settings.threshold, settings.user_data)
        self.disagreeing = disagreeing_docs(self.docs, self.key)
        self.train_ids = training_indices(self.docs, settings.recipe.max_sents, settings.recipe.seed)
        self.rules_nlp = spacy.load(settings.pipeline, enable=[rules_name(self.shipped)], vocab=self.shipped.vocab)
        settings.output.mkdir(parents=True, exist_ok=True)
        self.weak0 = weak_corpus(self.rules_nlp, self.docs, None, settings.output / "weak.spacy")
        self.msg.info(f"{len(self.docs):,} sentences of the user's text, {self.groups.total:,} disagreements "
                      f"in {len(self.groups.groups):,} groups, {len(self.disagreeing):,} sentences with one; "
                      f"the model trains on {len(self.train_ids):,} sentences")

    def header(self) -> str:
        return (f"Adapting `{self.s.pipeline}` to `{self.s.user_data}` ({len(self.docs):,} sentences; "
                f"{self.groups.total:,} disagreements between rules and model, in {len(self.groups.groups):,} "
                f"groups), scored on `{self.s.eval_data}` (entity level, spaCy's Scorer). A simulated reviewer "
                f"answers from the user text's gold (a group: its share of gold names, threshold "
                f"{self.s.threshold}). {self.s.recipe.describe()} \"policies\": the profile's policies.")

    # decisions -----------------------------------------------------------------------------
    def decisions(self, method: str, budget: int) -> List[dict]:
        rng = random.Random(self.s.seed)
        if method == SENTENCES:
            chosen = list(self.disagreeing)
            rng.shuffle(chosen)
            return self.reviewer.sentences(sorted(chosen[:budget]), self.key)
        groups = self.groups.ranked()
        if method == RANDOM_GROUPS:
            rng.shuffle(groups)
        return group_lines(groups[:budget], self.reviewer)

    # one row -------------------------------------------------------------------------------
    def row(self, method: str, budget: int, *, gold_model: bool = False) -> dict:
        """Decide, apply, weak-label with the profile and the corrections, retrain, assemble, score."""
        step = self.s.output / f"{method.replace(' ', '_')}_{budget}"
        step.mkdir(parents=True, exist_ok=True)
        lines = self.decisions(method, budget) if budget else []
        profile = None
        corpus = self.weak0
        if lines:
            write_jsonl(step / "decisions.jsonl", lines)
            run_apply(step / "decisions.jsonl", self.weak0, step / "profile", model_key=self.key)
            profile = Profile.read(step / "profile" / "profile.json")
            weak = weak_corpus(self.rules_nlp, self.docs, profile, step / "weak.spacy", self.s.batch_size)
            run_apply(step / "decisions.jsonl", weak, step / "applied")  # the corrections on top
            corpus = step / "applied" / "corrected.spacy"
        if gold_model:
            corpus = self.s.user_data
        train_corpus = subset(corpus, self.train_ids, step / "train.spacy")
        model = train(self.s.recipe, self.s.pipeline, self.shipped.component_names, train_corpus, step / "model")
        nlp = assemble(self.s.pipeline, model, profile, step / "assembled")
        return {"method": method, "decisions": len(lines),
                "policies": len(profile.policies) if profile else 0, **score(nlp, self.s.eval_data)}

    def start(self) -> dict:
        """The shipped pipeline as it is: no decisions, no retraining."""
        return {"method": "start: the shipped pipeline", "decisions": 0, "policies": 0,
                **score(self.shipped, self.s.eval_data)}

    def no_review(self) -> dict:
        """The recipe on the rules' labels alone: what retraining gives without a decision."""
        return {**self.row(RANKED, 0), "method": "no review: the model retrained on the rules' labels"}

    def ceiling(self) -> dict:
        """Every group answered, and the model trained on the user text's gold."""
        row = self.row(RANKED, len(self.groups.groups), gold_model=True)
        return {**row, "method": "gold ceiling: every group answered, the model on gold"}

    def rows(self) -> Iterable[Tuple[str, Callable[[], dict]]]:
        """Every row, in the table's order: (what it is, the callable that measures it), so
        that each is written before the next starts."""
        yield "start", self.start
        yield "no review", self.no_review
        for budget in self.s.budgets:
            for method in METHODS:
                yield f"{method} ({budget})", lambda method=method, budget=budget: self.row(method, budget)
        yield "gold ceiling", self.ceiling
        if self.s.also_score is not None:
            yield "elsewhere, no profile", lambda: self.elsewhere(None)
            yield "elsewhere, with the profile", lambda: self.elsewhere(max(self.s.budgets))

    def elsewhere(self, budget: Optional[int]) -> dict:
        """The shipped pipeline on `also_score` (e.g. SO dev), as shipped or with the profile of
        `budget` ranked group decisions (its model as shipped): what the profile costs there."""
        data = self.s.also_score
        assert data is not None, "internal error: elsewhere() without also_score"
        profile = None if budget is None else Profile.read(
            self.s.output / f"{RANKED.replace(' ', '_')}_{budget}" / "profile" / "profile.json")
        nlp = assemble(self.s.pipeline, None, profile, self.s.output / f"elsewhere_{budget or 0}")
        what = "no profile" if profile is None else f"the profile of {budget} ranked groups, model as shipped"
        return {"method": f"on `{data}`: the shipped pipeline, {what}", "decisions": budget or 0,
                "policies": len(profile.policies) if profile else 0, **score(nlp, data)}


def guarded(make_row: Callable[[], dict], what: str) -> dict:
    """A row; one that needs a package that is not installed says so instead."""
    try:
        return make_row()
    except ImportError as err:
        return {"method": what, "decisions": None, "policies": None,
                "skipped": f"skipped: {err.name or err} is not installed ({err})"}


def measure(settings: AdaptSettings, msg: Optional[Printer] = None) -> RowWriter:
    """Run every row; each is written to metrics/<name>.md and .json as it finishes."""
    msg = msg or Printer()
    adapt = Adapt(settings, msg)
    writer = RowWriter(settings.metrics, settings.name, adapt.header(), KEYS)
    for what, make_row in adapt.rows():
        row = guarded(make_row, what)
        writer.add(row)
        if "combined" in row:
            msg.info(f"{row['method']} ({row['decisions']}): combined F1 {row['combined']['f']:.3f}")
    return writer


# -- the README's summary: several domains side by side ----------------------------------
def read_rows(path: Path) -> List[dict]:
    """The rows of a NAME.json that `measure` wrote; E365 names the file when it is not one."""
    try:
        rows = json.loads(Path(path).read_text(encoding="utf8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(Errors.E365.format(path=path, problem=f"cannot be read ({err})")) from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "method" in r for r in rows):
        raise ValueError(Errors.E365.format(path=path, problem="it is not a list of rows with a \"method\""))
    return rows


def summary_table(tables: Sequence[Tuple[str, Sequence[dict]]]) -> str:
    """One Markdown table with a column pair per domain: the pipeline's F1 (what a user gets)
    and the retrained model's F1. Rows line up by position; a row that is missing from a
    domain or was skipped there ends the table (the "on other text" rows exist in one domain
    only). A budget that a domain could not fill is shown as the decisions it had."""
    if not tables:
        return ""
    (first, first_rows), rest = tables[0], tables[1:]
    head = "| row | " + " | ".join(f"{name}: pipeline | model" for name, _ in tables) + " |"
    lines = [head, "|---|" + "---|" * (2 * len(tables))]
    for i, row in enumerate(first_rows):
        rows = [row] + [other[i] if i < len(other) else None for _, other in rest]
        if any(r is None or "combined" not in r for r in rows):
            break
        for (name, _), r in zip(rest, rows[1:]):
            if r["method"] != row["method"]:
                raise ValueError(Errors.E366.format(row=i + 1, path=name, found=r["method"], first=first,
                                                    expected=row["method"]))
        label = row["method"]
        if row["method"] in METHODS:
            label = f"{label}, {row['decisions']}"
            fewer = [f"{name}: {r['decisions']}" for (name, _), r in zip(rest, rows[1:])
                     if r["decisions"] != row["decisions"]]
            label += f" ({', '.join(fewer)})" if fewer else ""
        cells = " | ".join(f"**{r['combined']['f']:.3f}** | {r['model']['f']:.3f}" for r in rows)
        lines.append(f"| {label} | {cells} |")
    return "\n".join(lines) + "\n"


# -- S-NER: review the first half, score the second ---------------------------------------
def split_half(data: Path, first: Path, second: Path) -> Tuple[int, int]:
    """The first half of DATA's sentences (in file order) and the second half (the larger one
    when the number is odd): deterministic, and no sentence in both."""
    docs = list(read_gold_docs(data, Vocab()))
    if len(docs) < 2:
        raise ValueError(Errors.E363.format(path=data, n=len(docs)))
    half = len(docs) // 2
    return write_docbin(docs[:half], first), write_docbin(docs[half:], second)


__all__ = ["AdaptSettings", "Adapt", "Recipe", "SimulatedReviewer", "measure", "split_half", "training_indices",
           "read_rows", "summary_table",
           "group_lines", "weak_corpus", "assemble", "train", "KEYS", "METHODS"]
