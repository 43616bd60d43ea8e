"""calibration.json: each rule's precision measured on gold, for rulelang to load.

Format (INTERFACE.md): {"version": 1, "source": "<data file>", "rules": {"<rule>":
{"precision": .., "recall": .., "tp": .., "fp": .., "fn": ..}}}. Rules that produced
no span on gold have no measurable precision and are left out; without gold,
"rules" is empty. Load it with the rulelang config setting `calibration`, so each
rule span carries `span._.rulelang_score`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Union

import srsly

from .summary import NO_RULE, SummaryStats

CALIBRATION_VERSION = 1


def calibration_from_stats(stats: SummaryStats, source: str) -> Dict[str, object]:
    rules = {}
    for rule, row in stats.per_rule().items():
        if rule == NO_RULE or not row["spans_on_gold"]:
            continue
        rules[rule] = {k: row[k] for k in ("precision", "recall", "tp", "fp", "fn")}
    return {"version": CALIBRATION_VERSION, "source": source, "rules": rules}


def load_calibration(path: Union[str, Path]) -> Dict[str, float]:
    """rule name -> precision (what `component.set_calibration` takes)."""
    data = srsly.read_json(path)
    return {rule: float(row["precision"]) for rule, row in data.get("rules", {}).items()
            if row.get("precision") is not None}
