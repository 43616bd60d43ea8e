"""One decided disagreement, whichever file it came from, and the checks both readers share.

A decision says what gold becomes in a region of one doc (`target`), or that gold
stays as it is (`target` is None). Spans are (start, end, label) token tuples with
an exclusive end, as in compare.core.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple, Union

from spacy_rulelang.compare.core import SpanTuple
from spacy_rulelang.errors import Errors

RULES, MODEL, BOTH_WRONG, GOLD_WRONG, SKIP = "rules", "model", "both_wrong", "gold_wrong", "skip"
DECISIONS: Tuple[str, ...] = (RULES, MODEL, BOTH_WRONG, GOLD_WRONG, SKIP)
GOLD_FIXED = "gold_fixed"  # Prodigy: the reviewer's spans are neither the rules' nor the model's
SYSTEMS: Tuple[str, ...] = ("gold", "rules", "model")
EXAMPLE = ('{"doc": 17, "token_start": 4, "token_end": 5, "label": "PROG_LANG", "text": "C#", '
           '"category": "rule_only", "decision": "rules", "note": "", '
           '"spans": {"rules": [[4, 5, "PROG_LANG"]], "model": [], "gold": []}} (docs/decisions.md)')

Spans = Tuple[SpanTuple, ...]
Where = Union[str, Path]


@dataclass(frozen=True)
class Decision:
    """One decided line. `start`/`end` (end exclusive) are the disagreement's tokens;
    None for a Prodigy line, which decides the whole sentence. `reviewed`: a Prodigy
    reviewer's final spans (accept only). System spans are None when absent."""

    line: int
    doc: int
    decision: str
    category: str
    source: str  # "decisions" or "prodigy"
    start: Optional[int] = None
    end: Optional[int] = None
    text: Optional[str] = None
    note: str = ""
    time: Optional[str] = None
    rules: Optional[Spans] = None
    model: Optional[Spans] = None
    gold: Optional[Spans] = None
    reviewed: Optional[Spans] = None
    tokens: Optional[Tuple[str, ...]] = None
    rule: Optional[str] = None  # the rule of the rules' span, where the line names it
    group: Optional[str] = None  # an instance of a group decision: the group's line id

    @property
    def agreed(self) -> bool:
        """Rules and model give the same spans here (what `gold_wrong` needs)."""
        return self.rules is not None and self.model is not None and set(self.rules) == set(self.model)

    @property
    def target(self) -> Optional[Spans]:
        """What gold becomes in the region; None when the decision leaves gold alone."""
        if self.reviewed is not None:
            return self.reviewed
        if self.decision == RULES:
            return self.rules
        if self.decision == MODEL:
            return self.model
        if self.decision == GOLD_WRONG and self.agreed:
            return self.rules
        return None

    def listed_spans(self) -> Dict[str, Spans]:
        """Every span the line names, by where it came from (for range checks)."""
        return {name: spans for name, spans in
                (("gold", self.gold), ("rules", self.rules), ("model", self.model),
                 ("reviewed", self.reviewed)) if spans is not None}


def is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def problem(path: Where, line: int, text: str) -> ValueError:
    return ValueError(Errors.E151.format(path=path, line=line, problem=text, example=EXAMPLE))


def bad_value(path: Where, line: int, field: str, value: object, allowed: Sequence[str]) -> ValueError:
    return ValueError(Errors.E152.format(path=path, line=line, field=field, value=value,
                                         allowed=", ".join(allowed)))


# markup (HTML/XML/JS quoting) and path separators; labels end up in corrected.spacy,
# in report.html of a later `compare`, and in tools that use labels as file names
UNSAFE_LABEL_CHARS = frozenset("<>&\"'`/\\")
MAX_LABEL_LENGTH = 100


def label_problem(label: str) -> Optional[str]:
    """Why a label from a decisions file is not safe to write, or None.

    Why a deny-list and not the corpus's labels: a reviewer may rightly take the
    model's label (e.g. ORG) that the gold never had; what must never pass is a
    label that carries markup, a path or invisible characters into the outputs."""
    if label != label.strip():
        return "has leading or trailing whitespace"
    if set(label) <= {"."}:
        return "is made of dots only"
    if len(label) > MAX_LABEL_LENGTH:
        return f"is longer than {MAX_LABEL_LENGTH} characters"
    for char in label:
        if char in UNSAFE_LABEL_CHARS:
            return f"holds {char!r} (markup or a path separator)"
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp") or (category == "Zs" and char != " "):
            return f"holds the control, invisible or space character U+{ord(char):04X}"
    return None


def check_label(label: str, path: Where, line: int, where: str) -> str:
    """E290 for a label that `label_problem` refuses; the label otherwise."""
    why = label_problem(label)
    if why is not None:
        raise ValueError(Errors.E290.format(path=path, line=line, label=label, where=where,
                                            problem=why))
    return label


def check_target(decision: Decision, path: Where) -> Decision:
    """doc.ents cannot hold overlapping spans: a target that has them is refused."""
    ordered = sorted(decision.target or ())
    for a, b in zip(ordered, ordered[1:]):
        if b[0] < a[1]:
            raise ValueError(Errors.E157.format(
                path=path, line=decision.line, decision=decision.decision,
                problem=f"spans that do not overlap, but it gives {list(a)} and {list(b)}"))
    return decision


@dataclass(frozen=True)
class GroupDecision:
    """A decided group (compare/groups.py): `decision` is one of compare.groups.GROUP_DECISIONS;
    `definition` the group's keys (level, rule, surface + signature or name_kind);
    `instances` the examples the reviewer saw, each expanded into a `Decision` by the reader."""

    line: int
    decision: str
    level: str
    rule: Optional[str]
    surface: Optional[str] = None
    signature: Optional[str] = None
    name_kind: Optional[str] = None
    count: Optional[int] = None
    note: str = ""
    time: Optional[str] = None

    @property
    def gid(self) -> str:
        key = (self.surface, self.rule, self.signature) if self.level == "context" else (self.rule, self.name_kind)
        return self.level + ":" + "|".join("*" if k is None else str(k) for k in key)
