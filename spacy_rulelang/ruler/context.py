"""The shape of a candidate's neighbours, and the kind of name it is: the keys a reviewer's
group decision is scoped to (compare/groups.py) and a domain profile's policies match on
(ruler/profile.py), so both must compute them the same way from the same tokens.

Why token texts only: `compare` keeps the words of a doc, not its tags, and the rules
see a doc without its whitespace tokens (`engine.SpaceView`); a signature read from the
nearest non-space token texts is the same in both places. It looks at most
`REACH` words on each side, so it costs O(1) per candidate.

    signature = "+".join(features, in the order below) or "plain"

- `parenthesised`: right after "(" or "[" ("(C)", "[R]");
- `before_paren`: right before "(" ("Stata (StataCorp)");
- `after_number`: right after a number ("2 C", "37 C");
- `before_number`: right before a number or a unit ("C 2", "B 12 mg");
- `sentence_initial`: first word, or after ".", "!", "?", ":" or ";";
- `figure`: a figure, panel or table word within REACH words before ("Fig. 2 C", "panel C");
- `list:KIND`: joined by ",", "and", "or", "/", "&" to a name-like neighbour of that
  `name_kind` ("A, B and C" -> list:single_capital; "Perl and C" -> list:capitalised).

>>> words = "Panel C shows the mean .".split()
>>> context_signature(words, 1, 2), name_kind("C")
('figure', 'single_capital')
>>> context_signature("AS1 and AS2 were compared .".split(), 2, 3), name_kind("AS2")
('list:short_code', 'short_code')
>>> context_signature("It was written in C ( ISO ) .".split(), 4, 5)
'before_paren'
"""
from __future__ import annotations

import re
from typing import List, Sequence, Union

from spacy.tokens import Doc

REACH = 3
OPENERS = frozenset({"(", "["})
SENTENCE_END = frozenset({".", "!", "?", ":", ";"})
SEPARATORS = frozenset({",", "and", "or", "/", "&"})
FIGURE_WORDS = frozenset({"fig", "figs", "figure", "figures", "panel", "panels", "table", "tables",
                          "supplementary", "suppl"})
UNITS = frozenset({"mg", "g", "kg", "ml", "l", "µl", "ul", "mm", "cm", "m", "km", "s", "min", "h",
                   "hr", "%", "°", "mm2", "nm", "µm", "um", "kda", "mol", "mm3", "kb", "bp"})
NUMBER = re.compile(r"^[+\-−]?\d[\d.,]*$")
NAME_KINDS = ("multiword", "single_capital", "short_code", "with_digit", "symbolic", "lowercase",
              "all_caps", "capitalised", "mixed_case")

Tokens = Union[Doc, Sequence[str]]


def _text(doc: Tokens, i: int) -> str:
    item = doc[i]
    return item if isinstance(item, str) else item.text


def _neighbours(doc: Tokens, i: int, step: int) -> List[str]:
    """Up to REACH non-space token texts from i on, in the direction of `step` (nearest first)."""
    out: List[str] = []
    n = len(doc)
    while 0 <= i < n and len(out) < REACH:
        text = _text(doc, i)
        if text.strip():
            out.append(text)
        i += step
    return out


def _is_number(text: str) -> bool:
    return bool(NUMBER.match(text))


def name_kind(text: str) -> str:
    """A kind of name, by its spelling alone (one of NAME_KINDS).

    >>> [name_kind(t) for t in ("C", "AS1", "python3", "C#", "typescript", "SAS", "Stata", "JavaScript")]
    ['single_capital', 'short_code', 'with_digit', 'symbolic', 'lowercase', 'all_caps', 'capitalised', 'mixed_case']
    """
    text = text.strip()
    if any(ch.isspace() for ch in text):
        return "multiword"
    if len(text) == 1 and text.isupper():
        return "single_capital"
    has_digit = any(ch.isdigit() for ch in text)
    if has_digit and len(text) <= 4 and text.isalnum() and not any(ch.islower() for ch in text):
        return "short_code"
    if has_digit:
        return "with_digit"
    if not text.isalpha():
        return "symbolic"
    if text.islower():
        return "lowercase"
    if text.isupper():
        return "all_caps"
    if text[:1].isupper() and text[1:].islower():
        return "capitalised"
    return "mixed_case"


def _name_like(text: str) -> bool:
    """A neighbour that could be another name in a list: not a lowercase word or punctuation."""
    return any(ch.isalnum() for ch in text) and name_kind(text) not in ("lowercase",) \
        and not _is_number(text)


def context_signature(doc: Tokens, start: int, end: int) -> str:
    """The features of the module docstring for tokens [start, end) of a Doc or a list of words."""
    before = _neighbours(doc, start - 1, -1)
    after = _neighbours(doc, end, 1)
    prev = before[0] if before else ""
    nxt = after[0] if after else ""
    features = []
    if prev in OPENERS:
        features.append("parenthesised")
    if nxt == "(":
        features.append("before_paren")
    if _is_number(prev):
        features.append("after_number")
    if _is_number(nxt) or nxt.lower() in UNITS:
        features.append("before_number")
    if not before or prev in SENTENCE_END:
        features.append("sentence_initial")
    if any(w.lower().rstrip(".") in FIGURE_WORDS for w in before):
        features.append("figure")
    for near, far in ((before[:1], before[1:2]), (after[:1], after[1:2])):
        if near and far and near[0].lower() in SEPARATORS and _name_like(far[0]):
            features.append(f"list:{name_kind(far[0])}")
            break
    return "+".join(features) or "plain"
