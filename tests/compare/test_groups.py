"""Groups of disagreements: keys, counts, examples by model doubt, and merging partial results."""
import pickle
import random

from spacy_rulelang.compare.core import Disagreement
from spacy_rulelang.compare.groups import (GroupAggregator, answer_from_gold, doubt, group_decision_line,
                                           instance_of)

P = "PROG_LANG"
SENTENCES = [  # (words, start, end, rule, model score, gold says language)
    ("Panel C shows the mean .", 1, 2, "pos_propn", None, False),
    ("In panel C the mean rises .", 2, 3, "pos_propn", None, False),
    ("See panel C for the spread .", 2, 3, "pos_propn", None, False),
    ("AS1 and AS2 were compared .", 2, 3, "versioned_alias", None, False),
    ("The tool is written in C .", 5, 6, "cue_before", None, True),
    ("Panel R shows the median .", 1, 2, "pos_propn", None, False),
]


def instances():
    out = []
    for i, (text, start, end, rule, score, gold) in enumerate(SENTENCES):
        d = Disagreement("rule_only", start, end, P, rule_span=(start, end, P), rule=rule,
                         gold_span=(start, end, P) if gold else None, gold_agrees="rules" if gold else "model",
                         score=0.25)
        out.append(instance_of(d, text.split(), doc_index=i, systems={"rules": [(start, end, P)], "model": [],
                                                                         "gold": [(start, end, P)] if gold else []}))
    return out


def test_groups_keys_and_counts():
    agg = GroupAggregator().add_all(instances())
    by_key = {(g.level, g.key): g for g in agg.ranked()}
    kind = by_key[("kind", ("pos_propn", "single_capital"))]
    assert kind.count == 4 and kind.share == round(4 / 6, 4)
    assert by_key[("context", ("c", "pos_propn", "figure"))].count == 3
    assert by_key[("kind", ("versioned_alias", "short_code"))].count == 1
    assert agg.ranked()[0].key == ("pos_propn", "single_capital")
    assert answer_from_gold(kind) == "never"
    assert answer_from_gold(by_key[("context", ("c", "cue_before", "plain"))]) == "language"


def test_groups_merge_is_order_independent_and_pickles():
    items = instances() * 3
    whole = GroupAggregator(max_examples=2).add_all(items)
    shuffled = list(items)
    random.Random(0).shuffle(shuffled)
    parts = [GroupAggregator(max_examples=2).add_all(shuffled[i::3]) for i in range(3)]
    merged = GroupAggregator(max_examples=2)
    for part in reversed(parts):
        merged.merge(pickle.loads(pickle.dumps(part)))
    assert merged.total == whole.total
    summary = lambda agg: [(g.level, g.key, g.count, dict(g.gold), g.examples) for g in agg.ranked()]
    assert summary(merged) == summary(whole)


def test_groups_examples_by_model_doubt():
    assert doubt(None) == 1.0 and doubt(0.9) == 0.2 and doubt(0.1) == 0.2
    found = []
    for i, score in enumerate([0.95, 0.55, None]):
        d = Disagreement("model_only", 1, 2, P, model_span=(1, 2, P), model_score=score)
        found.append(instance_of(d, "Panel C shows the mean .".split(), doc_index=i))
    group = GroupAggregator(max_examples=2).add_all(found).ranked()[0]
    assert [e.doc for e in group.examples] == [2, 1]  # no score (0.5): the most doubtful
    line = group_decision_line(group, "never")
    assert line["group"] == {"level": "context", "rule": None, "surface": "c", "signature": "figure"}
    assert [i["doc"] for i in line["instances"]] == [2, 1]


def test_prodigy_offers_one_task_per_group_and_its_answer_is_the_reports_group_line(tmp_path):
    """groups.jsonl -> Prodigy `choice` -> db-out: `apply` reads the answered task as the very
    group decision the report downloads; rejected or unanswered tasks decide nothing."""
    import json

    from spacy_rulelang.compare.export import GROUP_OPTIONS, group_tasks
    from spacy_rulelang.review.reader import read_decision_file

    groups = GroupAggregator().add_all(instances()).ranked()
    tasks = group_tasks(groups, "dev")
    assert len(tasks) == len(groups) and len({t["_input_hash"] for t in tasks}) == len(tasks)
    panel = next(t for t in tasks if t["meta"]["group"] == "context:c|pos_propn|figure")
    assert [o["id"] for o in panel["options"]] == [key for key, _ in GROUP_OPTIONS]
    assert panel["_view_id"] == "choice" and panel["meta"]["count"] == 3
    assert panel["html"].count("<li>") == 3 and "<mark>C</mark>" in panel["html"]
    answered = [{**panel, "answer": "accept", "accept": ["never"]},
                {**tasks[-1], "answer": "reject", "accept": ["language"]},
                {**tasks[0], "answer": "accept", "accept": []}]
    (tmp_path / "db-out.jsonl").write_text("".join(json.dumps(t) + "\n" for t in answered), encoding="utf8")
    group = next(g for g in groups if g.gid == "context:c|pos_propn|figure")
    (tmp_path / "report.jsonl").write_text(json.dumps(group_decision_line(group, "never")) + "\n", encoding="utf8")
    from_prodigy, from_report = (read_decision_file(tmp_path / name) for name in ("db-out.jsonl", "report.jsonl"))
    assert len(from_prodigy.groups) == 1 and from_prodigy.groups[0].decision == "never"
    assert [g.gid for g in from_prodigy.groups] == [g.gid for g in from_report.groups]
    assert [d.target for d in from_prodigy.decisions] == [d.target for d in from_report.decisions]


def test_prodigy_group_task_with_two_options_is_a_clear_error(tmp_path):
    import json

    import pytest

    from spacy_rulelang.compare.export import group_tasks
    from spacy_rulelang.review.reader import read_decision_file

    (task,) = group_tasks(GroupAggregator().add_all(instances()[:1]).ranked(level="kind"), "dev")
    (tmp_path / "d.jsonl").write_text(json.dumps({**task, "answer": "accept", "accept": ["never", "language"]}) + "\n",
                                      encoding="utf8")
    with pytest.raises(ValueError, match="line 1.*one option"):
        read_decision_file(tmp_path / "d.jsonl")


def test_group_task_html_is_escaped():
    from spacy_rulelang.compare.export import group_tasks

    d = Disagreement("rule_only", 1, 2, P, rule_span=(1, 2, P), rule="pos_propn")
    agg = GroupAggregator()
    agg.add(instance_of(d, ["<b>", "C", "&", "x"], doc_index=0))
    (task,) = group_tasks(agg.ranked(level="kind"), "dev")
    assert "<b>" not in task["html"].replace("<p><b>", "").replace("</b>:", "") and "&lt;b&gt;" in task["html"]
