"""The domains every evaluation covers, and the macro average over the development domains.

Why: a change that helps on StackOverflow can hurt on other text, so `evaluate`, `benchmark`
and `evaluate-merge` score every gold file they are given side by side, and sum the
development domains up in one number that weighs each domain the same (a macro average:
SoMeSci's 864k tokens would swamp S-NER's 60k in a micro average).

A split is named after its file (`corpus/ood/sner_train.spacy` -> "sner_train"); a split
whose name holds "test" is a test split: it is reported in its own column and never enters
the macro average, so a number that steers a change never reads the test split.

    macro_scores([{"p": 0.9, "r": 0.8, "f": 0.85}, {"p": 0.5, "r": 0.7, "f": 0.58}])
"""
from __future__ import annotations

import statistics
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

# The project's development domains, in the order the tables show them.
DEV_DOMAINS = ("dev", "sner_train", "somesci_train", "somesci_devel")
OOD_DOMAINS = DEV_DOMAINS[1:]
MACRO = "dev_macro"
MACRO_TITLE = "dev macro"
METRICS = ("p", "r", "f")


def is_test_split(name: str) -> bool:
    return "test" in name


def dev_splits(names: Iterable[str]) -> List[str]:
    """The splits that enter the macro average: every one that is not a test split."""
    return [name for name in names if not is_test_split(name)]


def order_splits(names: Iterable[str]) -> List[str]:
    """The project's dev domains first (DEV_DOMAINS order), other dev splits by name, test last."""
    names = list(names)

    def key(name: str):
        known = DEV_DOMAINS.index(name) if name in DEV_DOMAINS else len(DEV_DOMAINS)
        return (is_test_split(name), known, name)

    return sorted(names, key=key)


def macro_scores(rows: Sequence[Mapping[str, Any]]) -> Dict[str, float]:
    """The mean of P, of R and of F1 over domains (macro F1 is the mean of the F1s, not the
    F1 of the mean P and R)."""
    return {k: statistics.fmean(float(row[k] or 0.0) for row in rows) for k in METRICS}


def macro_result(run: Mapping[str, Mapping[str, Any]],
                 splits: Optional[Sequence[str]] = None) -> Optional[Dict[str, Any]]:
    """One run's macro average as a pseudo split, shaped like an `evaluate` result:
    {"splits": [...], "systems": {system: {p, r, f}}, "raw_text": {...}}.

    `splits` defaults to the run's dev splits; None when fewer than two (a macro average of
    one domain would only repeat it). A system enters only if every split scored it; the
    raw-text view only if every split has one."""
    splits = list(splits) if splits is not None else dev_splits(order_splits(run))
    if len(splits) < 2:
        return None
    results = [run[name] for name in splits]
    out: Dict[str, Any] = {"splits": splits, "systems": _macro_systems([r["systems"] for r in results])}
    if all("raw_text" in r for r in results):
        out["raw_text"] = {"systems": _macro_systems([r["raw_text"]["systems"] for r in results])}
    return out


def _macro_systems(per_split: Sequence[Mapping[str, Mapping[str, Any]]]) -> Dict[str, Dict[str, float]]:
    common = [s for s in per_split[0] if all(s in systems for systems in per_split)]
    return {s: macro_scores([systems[s] for systems in per_split]) for s in common}
