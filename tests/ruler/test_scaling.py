"""Linear time on pathological documents: long lists, runs of one name, one name per line,
nested parentheses. The sizes differ 16x (1k and 16k tokens, to stay well under a minute
on a 2-core CI machine; `benchmark-scaling` shows 2k and 32k): quadratic time would make
µs/token grow 16x, the test allows 2.5x for a noisy machine."""
from __future__ import annotations

import pytest

from spacy_rulelang.ruler.engine import RuleSet
from spacy_rulelang.scoring.scaling import PATHOLOGICAL_CASES, benchmark_scaling, max_growth

SIZES = (1_000, 16_000)
MAX_GROWTH = 2.5


@pytest.mark.parametrize("case", sorted(PATHOLOGICAL_CASES))
def test_pathological_doc_time_per_token_stays_flat(rule_nlp, case):
    rows = benchmark_scaling(rule_nlp, SIZES, cases=[case], repeats=3)
    assert [r["size"] for r in rows] == list(SIZES)
    assert rows[1]["tokens"] >= 15 * rows[0]["tokens"]
    growth = max_growth(rows)[case]
    if growth > MAX_GROWTH:  # one retry: a busy machine, not a quadratic pass, if it passes now
        growth = max_growth(benchmark_scaling(rule_nlp, SIZES, cases=[case], repeats=3))[case]
    assert growth <= MAX_GROWTH, rows


def test_long_list_settles_in_three_passes(rule_nlp, monkeypatch):
    """ "Go, Go, ..., and Python": list membership reaches every member in a forward and a
    backward pass (and a third finds nothing new), not one pass per member."""
    passes = []
    apply = RuleSet._apply

    def counting(rule, ctx, reverse=False):
        passes.append(rule.name)
        return apply(rule, ctx, reverse)

    monkeypatch.setattr(RuleSet, "_apply", staticmethod(counting))
    doc = rule_nlp("Go, " * 300 + "and Python")
    assert passes.count("list_member") == 3
    assert len(doc.spans["rulelang"]) == 301
    assert {s._.rulelang_rule for s in list(doc.spans["rulelang"])[:-1]} == {"list_member"}


def test_run_of_one_name_is_one_mention_with_every_id(rule_nlp):
    doc = rule_nlp("Python " * 2000)
    spans = list(doc.spans["rulelang"])
    assert len(spans) == 1 and spans[0]._.rulelang_rule == "adjacent_run"
    assert spans[0].id_ == "+".join(["python"] * 2000)


def test_benchmark_scaling_rejects_unknown_cases(rule_nlp):
    with pytest.raises(ValueError, match="E261"):
        benchmark_scaling(rule_nlp, SIZES, cases=["nope"])
    with pytest.raises(ValueError, match="E262"):
        benchmark_scaling(rule_nlp, SIZES, cases=["corpus"])
