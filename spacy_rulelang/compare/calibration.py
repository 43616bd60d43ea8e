"""calibration.json: each rule's precision measured on gold, for rulelang to load.

Format (docs/formats.md, "calibration.json"): {"version": 1, "source": "<data file>", "rules": {"<rule>":
{"precision": .., "recall": .., "tp": .., "fp": .., "fn": ..}}}. Rules that produced
no span on gold have no measurable precision and are left out; without gold,
"rules" is empty. Load it with the rulelang config setting `calibration`, so each
rule span carries `span._.rulelang_score` (`component.read_calibration` reads it).
"""
from __future__ import annotations

from typing import Dict

from spacy_rulelang.scoring.rule_scores import NO_RULE
from spacy_rulelang.compare.summary import SummaryStats

CALIBRATION_VERSION = 1


def calibration_from_stats(stats: SummaryStats, source: str) -> Dict[str, object]:
    rules = {}
    for rule, row in stats.per_rule().items():
        if rule == NO_RULE or not row["spans_on_gold"]:
            continue
        rules[rule] = {k: row[k] for k in ("precision", "recall", "tp", "fp", "fn")}
    return {"version": CALIBRATION_VERSION, "source": source, "rules": rules}

