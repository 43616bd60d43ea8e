"""`project adapt`: the rows, the simulated reviewer, the recipe, the S-NER half split.

Everything here is made up: a few sentences, a CNN trained for a couple of steps, the rules
without POS checks. What is tested is the workflow, not its numbers."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Sequence, Tuple

import pytest
import spacy
from spacy.cli.train import train as spacy_train
from spacy.tokens import Doc, DocBin, Span

from spacy_rulelang.workflow import adapt as adapt_mod
from spacy_rulelang.workflow.adapt import (AdaptSettings, Recipe, SimulatedReviewer, annotate, group_lines, measure,
                                           model_key, split_half, training_indices)
from spacy_rulelang.compare.groups import groups_from_docs

from support import REPO_ROOT

P = "PROG_LANG"
# Made-up sentences: (text, PROG_LANG token offsets)
USER: List[Tuple[str, Sequence[Tuple[int, int]]]] = [
    ("Panel C shows the mean of the samples .", []),
    ("The plots in panel B and panel C were made in R .", [(10, 11)]),
    ("We wrote the analysis in Python and R .", [(5, 6), (7, 8)]),
    ("Figure 2 C shows the trend .", []),
    ("The code is written in C and compiled with gcc .", [(5, 6)]),
    ("Samples were kept at 4 C overnight .", []),
    ("The script uses Python 3 and pandas .", [(3, 4)]),
    ("Table 1 lists the scores of groups A and B .", []),
    ("Data were analysed in Stata and R .", [(4, 5), (6, 7)]),
    ("Panel C of figure 3 shows the control .", []),
]
EVAL: List[Tuple[str, Sequence[Tuple[int, int]]]] = [
    ("Panel C shows the treated group .", []),
    ("The pipeline is written in Python .", [(5, 6)]),
    ("We fitted the models in R .", [(5, 6)]),
    ("Figure 4 C shows the result .", []),
]


def docbin(path: Path, sentences, vocab=None) -> Path:
    vocab = vocab or spacy.blank("en").vocab
    db = DocBin()
    for text, ents in sentences:
        doc = Doc(vocab, words=text.split())
        doc.ents = [Span(doc, s, e, label=P) for s, e in ents]
        db.add(doc)
    db.to_disk(path)
    return path


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    """A tiny 'shipped' pipeline like configs/assemble.cfg's: configs/ner.cfg trained 2 steps,
    the model scores, the rules (no POS checks) and the hand-set merge."""
    root = tmp_path_factory.mktemp("adapt_shipped")
    train = docbin(root / "train.spacy", USER + EVAL)
    spacy_train(REPO_ROOT / "configs" / "ner.cfg", root / "cnn", overrides={
        "paths.train": str(train), "paths.dev": str(train), "training.max_steps": 2, "training.eval_frequency": 2})
    model = spacy.load(root / "cnn" / "model-last")
    nlp = spacy.blank("en")
    for name in ("tok2vec", "ner", "spancat"):
        nlp.add_pipe(name, source=model)
    nlp.add_pipe("rulelang_model_scores", config={"spancat": "spancat", "label": P})
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    nlp.add_pipe("rulelang_merge")
    nlp.disable_pipe("spancat")
    nlp.to_disk(root / "shipped")
    return root / "shipped"


def test_adapt_split_half_is_deterministic_and_disjoint(tmp_path):
    data = docbin(tmp_path / "all.spacy", USER[:5])
    assert split_half(data, tmp_path / "a1.spacy", tmp_path / "b1.spacy") == (2, 3)
    split_half(data, tmp_path / "a2.spacy", tmp_path / "b2.spacy")
    for name in ("a", "b"):
        assert (tmp_path / f"{name}1.spacy").read_bytes() == (tmp_path / f"{name}2.spacy").read_bytes()
    vocab = spacy.blank("en").vocab
    first = [d.text.strip() for d in DocBin().from_disk(tmp_path / "a1.spacy").get_docs(vocab)]
    second = [d.text.strip() for d in DocBin().from_disk(tmp_path / "b1.spacy").get_docs(vocab)]
    assert first + second == [" ".join(t.split()) for t, _ in USER[:5]]  # file order, each once


def test_adapt_split_half_needs_two_sentences(tmp_path):
    data = docbin(tmp_path / "one.spacy", USER[:1])
    with pytest.raises(ValueError, match="E363"):
        split_half(data, tmp_path / "a.spacy", tmp_path / "b.spacy")


def test_adapt_recipe_rejects_an_unknown_init():
    with pytest.raises(ValueError, match="E364"):
        Recipe(init="warm")


def test_adapt_needs_the_rules_and_for_fine_tuning_the_trained_components(tmp_path):
    with pytest.raises(ValueError, match="E360"):
        adapt_mod.rules_name(spacy.blank("en"), "blank")
    recipe = Recipe(ner_config=REPO_ROOT / "configs" / "ner.cfg")
    with pytest.raises(ValueError, match="E361"):
        adapt_mod.training_config(recipe, tmp_path / "shipped", ["tok2vec", "ner"], tmp_path / "out")
    scratch = adapt_mod.training_config(Recipe(init="scratch", ner_config=recipe.ner_config), tmp_path,
                                        [], tmp_path / "out")
    assert "source" not in scratch.read_text(encoding="utf8")


def test_adapt_pipeline_sees_no_gold_and_only_the_reviewer_reads_it(shipped, tmp_path):
    """The pipeline gets the words alone; groups (and their ranking) are the same whatever the
    gold says; the reviewer's answers follow the gold, and it leaves no gold on the docs."""
    nlp = spacy.load(shipped)
    seen = []

    @spacy.Language.component("adapt_test_spy")
    def spy(doc):
        seen.append((len(doc.ents), sorted(doc.spans)))
        return doc

    nlp.add_pipe("adapt_test_spy", first=True)
    golds = list(DocBin().from_disk(docbin(tmp_path / "u.spacy", USER)).get_docs(nlp.vocab))
    docs = annotate(nlp, golds)
    assert seen == [(0, [])] * len(USER)
    key = model_key(nlp)
    ranked = [(g.gid, g.count) for g in groups_from_docs(docs, model_key=key).ranked()]
    no_gold = [Doc(nlp.vocab, words=[t.text for t in g]) for g in golds]  # the same words, no entity
    flipped = [Doc(nlp.vocab, words=[t.text for t in g], ents=["B-" + P if t.is_alpha else "O" for t in g])
               for g in golds]
    reviewer = SimulatedReviewer(golds, docs, key)
    assert all("rulelang_gold" not in d.spans for d in docs)
    assert [(g.gid, g.count) for g in groups_from_docs(docs, model_key=key).ranked()] == ranked
    groups = groups_from_docs(docs, model_key=key).ranked()
    if groups:  # the answers come from gold: all-gold and no-gold reviewers answer differently
        yes = SimulatedReviewer(flipped, docs, key).answer(groups[0])
        assert yes == "language" and reviewer.answer(groups[0]) in {"language", "never", "needs_evidence",
                                                                   "one_by_one"}
    with pytest.raises(ValueError, match="E362"):
        SimulatedReviewer(no_gold, docs, key)


def test_adapt_group_lines_never_decide_one_name_twice(shipped, tmp_path):
    nlp = spacy.load(shipped)
    golds = list(DocBin().from_disk(docbin(tmp_path / "u.spacy", USER)).get_docs(nlp.vocab))
    docs = annotate(nlp, golds)
    key = model_key(nlp)
    groups = groups_from_docs(docs, model_key=key).ranked()
    lines = group_lines(groups, SimulatedReviewer(golds, docs, key))
    names = [(i["doc"], i["token_start"], i["token_end"]) for line in lines for i in line["instances"]]
    assert len(names) == len(set(names)) and len(lines) == len(groups)


def test_adapt_training_indices_are_chosen_without_gold_and_fixed():
    vocab = spacy.blank("en").vocab
    docs = [Doc(vocab, words=["w"] * 3) for _ in range(10)]
    for i in (2, 7):
        docs[i].spans["rulelang"] = [Span(docs[i], 0, 1, label=P)]
    picked = training_indices(docs, cap=3, seed=0)
    assert picked == training_indices(docs, cap=3, seed=0) and {2, 7} <= set(picked) and len(picked) == 3
    assert training_indices(docs, cap=0) == list(range(10))


def test_adapt_end_to_end_rows_written_as_they_finish_with_one_recipe(shipped, tmp_path, monkeypatch):
    user = docbin(tmp_path / "user.spacy", USER)
    evaluation = docbin(tmp_path / "eval.spacy", EVAL)
    metrics = tmp_path / "metrics"
    written: List[int] = []
    trains: List[List[str]] = []
    real_write = adapt_mod.RowWriter.add

    def add(self, *rows):
        real_write(self, *rows)
        written.append(len(json.loads((metrics / "tiny.json").read_text(encoding="utf8"))))
        assert "| method | decisions | policies |" in (metrics / "tiny.md").read_text(encoding="utf8")

    def run(args):  # the same `spacy train` command, in this process (no interpreter start per row)
        from spacy.cli._util import parse_config_overrides

        trains.append(list(args))
        assert args[:2] == ["spacy", "train"] and args[3] == "--output"
        spacy_train(Path(args[2]), Path(args[4]), overrides=parse_config_overrides(list(args[5:])))

    monkeypatch.setattr(adapt_mod.RowWriter, "add", add)
    monkeypatch.setattr(adapt_mod, "run", run)
    monkeypatch.chdir(REPO_ROOT)  # configs/ner.cfg, as the project runs it
    recipe = Recipe(max_steps=2, max_sents=6, seed=0)
    settings = AdaptSettings(shipped, user, evaluation, tmp_path / "out", metrics, "tiny", budgets=(1,),
                             recipe=recipe, also_score=evaluation)
    writer = measure(settings)
    methods = [row["method"] for row in writer.rows]
    # start, no review, three methods at budget 1, the ceiling, then the other set without and with the profile
    assert written == list(range(1, 9))
    assert methods[0].startswith("start") and methods[5].startswith("gold ceiling")
    assert "no profile" in methods[6] and "the profile of 1 ranked groups" in methods[7]
    assert methods[2:5] == ["ranked groups", "random groups", "random sentences"]
    assert "2 steps, seed 0" in (metrics / "tiny.md").read_text(encoding="utf8")
    # one recipe for every row: the same command but for its paths, and the same config
    assert len(trains) == 5
    shape = {tuple(a for a in cmd if not a.startswith(str(tmp_path))) for cmd in trains}
    assert len(shape) == 1
    configs = {(Path(cmd[2])).read_text(encoding="utf8") for cmd in trains}
    assert len(configs) == 1
    # the assembled pipeline of a row with decisions carries its profile
    ranked = tmp_path / "out" / "ranked_groups_1" / "assembled"
    assert (ranked / "rulelang").is_dir() and spacy.load(ranked).get_pipe("rulelang").profile is not None


def test_adapt_cli_bad_budgets_are_a_clear_error(tmp_path):
    from typer.testing import CliRunner

    from spacy_rulelang.cli import app

    data = tmp_path / "d.spacy"
    data.write_bytes(b"")
    result = CliRunner().invoke(app, ["project", "adapt", str(data), str(data), str(data), "--name", "x",
                                      "--budgets", "0"])
    assert result.exit_code == 1 and "--budgets takes positive numbers" in result.output


def _row(method: str, decisions: int, pipeline: float, model: float) -> dict:
    f1 = lambda f: {"p": f, "r": f, "f": f}  # noqa: E731
    return {"method": method, "decisions": decisions, "policies": 0, "rules": f1(pipeline),
            "model": f1(model), "combined": f1(pipeline)}


def test_adapt_summary_lines_domains_up_by_row(tmp_path):
    from typer.testing import CliRunner

    from spacy_rulelang.cli import app

    first = [_row("start: the shipped pipeline", 0, 0.7, 0.3), _row("ranked groups", 10, 0.8, 0.6),
             _row("on `dev.spacy`: the shipped pipeline, no profile", 0, 0.9, 0.9)]
    second = [_row("start: the shipped pipeline", 0, 0.91, 0.89), _row("ranked groups", 7, 0.92, 0.9)]
    (tmp_path / "a.json").write_text(json.dumps(first), encoding="utf8")
    (tmp_path / "b.json").write_text(json.dumps(second), encoding="utf8")
    result = CliRunner().invoke(app, ["project", "adapt-summary", f"sci={tmp_path / 'a.json'}",
                                      f"so={tmp_path / 'b.json'}"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "| row | sci: pipeline | model | so: pipeline | model |",
        "|---|---|---|---|---|",
        "| start: the shipped pipeline | **0.700** | 0.300 | **0.910** | 0.890 |",
        "| ranked groups, 10 (so: 7) | **0.800** | 0.600 | **0.920** | 0.900 |",
    ]  # the row on other text exists in one domain only: the table ends before it


def test_adapt_summary_refuses_tables_whose_rows_differ(tmp_path):
    from typer.testing import CliRunner

    from spacy_rulelang.cli import app

    (tmp_path / "a.json").write_text(json.dumps([_row("ranked groups", 10, 0.8, 0.6)]), encoding="utf8")
    (tmp_path / "b.json").write_text(json.dumps([_row("random groups", 10, 0.8, 0.6)]), encoding="utf8")
    (tmp_path / "c.json").write_text("{not json", encoding="utf8")
    runner = CliRunner()
    differ = runner.invoke(app, ["project", "adapt-summary", f"a={tmp_path / 'a.json'}", f"b={tmp_path / 'b.json'}"])
    broken = runner.invoke(app, ["project", "adapt-summary", f"c={tmp_path / 'c.json'}"])
    assert differ.exit_code == 1 and "E366" in differ.output
    assert broken.exit_code == 1 and "E365" in broken.output and "c.json" in broken.output
