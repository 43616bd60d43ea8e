"""Named rules that accept or reject candidate mentions, and the order they run in.

Every accepted span records the rule that accepted it, so a user can see why a
match exists and switch a rule off by name (`disabled_rules`). Rejections are
named too (`Candidate.rejected_by`), which `tag --explain` shows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from spacy.tokens import Doc

from .candidates import Candidate, CandidateFinder
from .data import data_path
from .errors import Errors

# Rules that accept a candidate, in the order they are tried.
ACCEPT_RULES = (
    "unambiguous_alias",  # the name is not an ordinary word: "Python", "golang", "C#"
    "versioned_alias",    # a name that counts only with a version: "ES6", "AS3"
    "compound_token",     # one token joining a name with more: "html/css", "C-based"
    "version_follows",    # an ambiguous name with a version: "Go 1.21", "C99"
    "cue_before",         # "written in Go", "ported to Rust"
    "cue_after",          # "Go code", "the Rust compiler"
    "list_member",        # "Python, Go and Rust"
    "cue_window",         # a programming word nearby: "compile", "syntax"
    "pos_propn",          # a proper noun in the name's own casing: "The Go team"
)
# Rules that reject a candidate, whatever accepted it.
REJECT_RULES = (
    "code_token",         # part of code: "java . util", "java -jar"
    "file_type",          # a format, not a language: "an XML file", "the HTML page"
    "product_name",       # a product named after a language: "SQL Server", "Java EE"
    "data_format",        # data formats (JSON, YAML) are not labelled as languages
    "corpus_exclusion",   # names the corpus labels as tools, not languages (JSP, LINQ)
    "pos_check",          # the tagger says verb/adposition/...: "I go home"
    "casing",             # ambiguous names need their own casing: "rust" vs "Rust"
    "single_letter",      # "A, B, C", "drive C:", "press C"
    "inside_word",        # part of a longer word: "python-dateutil", "mailgun-js", "C-string"
)
# Rules that shape spans after the decisions.
SPAN_RULES = (
    "adjacent_run",       # "HTML JS" is one mention in StackOverflowNER
)
ALL_RULES: Tuple[str, ...] = ACCEPT_RULES + REJECT_RULES + SPAN_RULES
NOT_NAME_POS = frozenset({"VERB", "AUX", "ADP", "ADV", "PRON", "DET", "CCONJ", "SCONJ", "PART", "INTJ"})
NAME_POS = frozenset({"PROPN", "NOUN", "X"})
STRONG_CONTEXT_RULES = frozenset({"cue_before", "cue_after", "list_member"})
QUOTES = frozenset({'"', "'", "`", "“", "”", "‘", "’"})


def _load_json(name: str) -> dict:
    return json.loads(data_path(name).read_text(encoding="utf8"))


def _glued_after(doc: Doc, i: int, limit: int = 3) -> str:
    """The text from token i up to the next space: raw text splits "->" into "-" ">"."""
    end = i
    while end < len(doc) and end - i < limit and (end == i or not doc[end - 1].whitespace_):
        end += 1
    return doc[i:end].text.lower() if end > i else ""


def check_rule_names(names: Iterable[str], setting: str = "disabled_rules") -> None:
    unknown = sorted(set(names) - set(ALL_RULES))
    if unknown:
        raise ValueError(Errors.E003.format(names=unknown, setting=setting, known=", ".join(ALL_RULES)))


# Conventions attribute -> (data file, key in it, shape): "set" of lowercase words,
# "map" of id -> set, "list" kept in order.
CONVENTION_FIELDS: Dict[str, Tuple[str, str, str]] = {
    "cues_before": ("cues", "before", "set"),
    "cues_after": ("cues", "after", "set"),
    "cues_window": ("cues", "window", "set"),
    "file_type_kinds": ("conventions", "file_type_kinds", "set"),
    "file_type_ids": ("conventions", "file_type_after_ids", "set"),
    "file_type_after": ("conventions", "file_type_after", "set"),
    "file_type_after_any": ("conventions", "file_type_after_any", "set"),
    "product_after": ("conventions", "product_after", "map"),
    "product_before": ("conventions", "product_before", "map"),
    "separators": ("conventions", "list_separators", "set"),
    "code_before": ("conventions", "code_neighbours_before", "set"),
    "code_after": ("conventions", "code_neighbours_after", "set"),
    "compound_suffixes": ("conventions", "compound_suffixes", "list"),
    "compound_prefixes": ("conventions", "compound_prefixes", "list"),
    "exclusions": ("conventions", "corpus_exclusions", "set"),
    "letter_before": ("conventions", "single_letter_before", "set"),
    "letter_after": ("conventions", "single_letter_after", "set"),
    "person_verbs": ("conventions", "person_verbs", "set"),
}


@dataclass
class Conventions:
    """Cue words and corpus conventions, loaded from the package's data files."""

    cues_before: FrozenSet[str]
    cues_after: FrozenSet[str]
    cues_window: FrozenSet[str]
    file_type_kinds: FrozenSet[str]
    file_type_ids: FrozenSet[str]
    file_type_after: FrozenSet[str]
    file_type_after_any: FrozenSet[str]
    product_after: Dict[str, FrozenSet[str]]
    product_before: Dict[str, FrozenSet[str]]
    separators: FrozenSet[str]
    code_before: FrozenSet[str]
    code_after: FrozenSet[str]
    compound_suffixes: Tuple[str, ...]
    compound_prefixes: Tuple[str, ...]
    exclusions: FrozenSet[str] = frozenset()
    letter_before: FrozenSet[str] = frozenset()
    letter_after: FrozenSet[str] = frozenset()
    person_verbs: FrozenSet[str] = frozenset()
    max_before_words: int = field(init=False)

    def __post_init__(self) -> None:
        self.max_before_words = max((len(c.split()) for c in self.cues_before), default=0)

    @classmethod
    def load(cls, cues: Optional[dict] = None, conventions: Optional[dict] = None) -> "Conventions":
        """From dicts shaped like the data files; a missing dict means the packaged file."""
        sources = {"cues": cues if cues is not None else _load_json("cues.json"),
                   "conventions": conventions if conventions is not None else _load_json("conventions.json")}
        low = lambda items: frozenset(str(i).lower() for i in items)  # noqa: E731
        values = {}
        for attr, (source, key, shape) in CONVENTION_FIELDS.items():
            raw = sources[source].get(key, {} if shape == "map" else [])
            if shape == "map":
                values[attr] = {k: low(v) for k, v in raw.items()}
            else:
                values[attr] = tuple(raw) if shape == "list" else low(raw)
        return cls(**values)

    def to_dicts(self) -> Tuple[dict, dict]:
        """The (cues, conventions) dicts, for serialization with the component."""
        out: Dict[str, dict] = {"cues": {}, "conventions": {}}
        for attr, (source, key, shape) in CONVENTION_FIELDS.items():
            value = getattr(self, attr)
            if shape == "map":
                out[source][key] = {k: sorted(v) for k, v in sorted(value.items())}
            else:
                out[source][key] = list(value) if shape == "list" else sorted(value)
        return out["cues"], out["conventions"]


class RuleSet:
    """Decides, for each candidate, whether it is a language mention and by which rule."""

    def __init__(self, conventions: Conventions, disabled: Sequence[str] = (), pos_checks: bool = True,
                 window: int = 5):
        check_rule_names(disabled)
        self.conv = conventions
        self.enabled: Set[str] = set(ALL_RULES) - set(disabled)
        self.pos_checks = pos_checks
        self.window = window

    def on(self, rule: str) -> bool:
        return rule in self.enabled

    # -- the decision ------------------------------------------------------
    def decide(self, doc: Doc, cands: List[Candidate], finder: CandidateFinder,
               ensure_pos: Callable[[Doc], None]) -> List[Candidate]:
        """Return accepted candidates (with .rule set), merged into final mentions."""
        cands = self._expand_chunks(doc, cands, finder)
        lowers = [t.lower_ for t in doc] if cands else []
        pending: List[Candidate] = []
        for cand in cands:
            cand.rule = None
            cand.rejected_by = cand.rejected_by or self._reject_any(doc, lowers, cand)
            if cand.rejected_by is None:
                self._accept_strong(cand)
            if cand.rejected_by is None and cand.rule is None:
                pending.append(cand)
        for cand in pending:
            self._accept_cues(doc, lowers, cand)
        self._accept_lists(doc, lowers, cands)
        if self.pos_checks and any(self._needs_pos(doc, c) for c in pending):
            ensure_pos(doc)
        for cand in pending:
            if self._pos_rejects(doc, cand):
                cand.rule, cand.rejected_by = None, "pos_check"
            elif cand.rule is None:
                self._accept_pos(doc, cand)
        accepted = [c for c in cands if c.rule is not None and c.rejected_by is None]
        return self._merge_runs(doc, accepted)

    # -- rejections that apply to every candidate ---------------------------
    def _reject_any(self, doc: Doc, lowers: List[str], cand: Candidate) -> Optional[str]:
        entry, conv = cand.entry, self.conv
        prev = lowers[cand.start - 1] if cand.start > 0 else ""
        nxt = lowers[cand.end] if cand.end < len(lowers) else ""
        if self.on("code_token") and not cand.compound and self._in_code(doc, cand, prev, nxt):
            return "code_token"
        if self.on("data_format") and entry.kind == "data":
            return "data_format"
        if self.on("corpus_exclusion") and entry.id in conv.exclusions:
            return "corpus_exclusion"
        if self.on("file_type") and cand.version is None:
            if nxt in conv.file_type_after_any or (
                nxt in conv.file_type_after and (entry.kind in conv.file_type_kinds or entry.id in conv.file_type_ids)
            ):
                return "file_type"
        if self.on("product_name"):
            after, before = conv.product_after, conv.product_before
            if nxt in after.get(entry.id, ()) or nxt in after.get("*", ()) \
                    or prev in before.get(entry.id, ()) or prev in before.get("*", ()):
                return "product_name"
        if cand.ambiguous and len(cand.alias.text) == 1 and self.on("single_letter"):
            if self._letter_context(doc, cand):
                return "single_letter"
        return None

    def _in_code(self, doc: Doc, cand: Candidate, prev: str, nxt: str) -> bool:
        """`java . util`, `java -jar`, `$php`: the name is part of code, not prose."""
        conv = self.conv
        if prev == ".":
            return doc[cand.start].text[:1].islower()
        if prev in conv.code_before:
            return True
        if nxt == ".":
            nxt2 = doc[cand.end + 1].text if cand.end + 1 < len(doc) else ""
            return nxt2[:1].islower() and nxt2.isidentifier()
        return nxt in conv.code_after or _glued_after(doc, cand.end) in conv.code_after

    def _letter_context(self, doc: Doc, cand: Candidate) -> bool:
        """A one-letter name among other letters, quoted, or before a colon is not a language."""
        i = cand.start
        text = doc[i].text
        if cand.version_attached:
            return False
        if not text.isupper():
            return False
        before = doc[i - 1].text if i > 0 else ""
        after = doc[i + 1].text if i + 1 < len(doc) else ""
        if before in QUOTES or after in QUOTES or after == ":" or after.startswith("="):
            return True
        if before.lower() in self.conv.letter_before or after.lower() in self.conv.letter_after:
            return True
        for j in range(max(0, i - 6), min(len(doc), i + 7)):
            other = doc[j].text
            if len(other) == 1 and other.isupper() and other not in ("I", "A", text):
                return True
        return False

    # -- acceptance -------------------------------------------------------
    def _accept_strong(self, cand: Candidate) -> None:
        """Names that need no context: unambiguous, versioned, compound, or with a version."""
        if cand.compound and self.on("compound_token"):
            cand.rule = "compound_token"
        elif cand.alias.versioned_only:
            if self.on("versioned_alias"):
                cand.rule = "versioned_alias"
        elif not cand.ambiguous:
            if self.on("unambiguous_alias"):
                cand.rule = "unambiguous_alias"
        elif cand.version is not None and self.on("version_follows"):
            cand.rule = "version_follows"

    def _accept_cues(self, doc: Doc, lowers: List[str], cand: Candidate) -> None:
        conv = self.conv
        if not self._canonical(doc, cand):
            return
        if self.on("cue_before"):
            for k in range(1, conv.max_before_words + 1):
                if cand.start - k < 0:
                    break
                if " ".join(lowers[cand.start - k:cand.start]) in conv.cues_before:
                    cand.rule = "cue_before"
                    return
        if self.on("cue_after") and cand.end < len(lowers) and lowers[cand.end] in conv.cues_after:
            cand.rule = "cue_after"
            return
        if self.on("cue_window"):
            lo, hi = max(0, cand.start - self.window), min(len(lowers), cand.end + self.window)
            if any(lowers[j] in conv.cues_window for j in range(lo, hi) if not cand.start <= j < cand.end):
                if self._canonical(doc, cand, weak=True):
                    cand.rule = "cue_window"

    def _accept_lists(self, doc: Doc, lowers: List[str], cands: List[Candidate]) -> None:
        """Coordination with an accepted language ("Python, Go and Rust"), to a fixpoint.

        An ordinary word must be written as the language writes itself: "Scilab for
        signal processing" is no list of languages.
        """
        if not self.on("list_member"):
            return
        changed = True
        while changed:
            changed = False
            for idx, cand in enumerate(cands):
                if cand.rule is not None or cand.rejected_by is not None:
                    continue
                if cand.ambiguous and not self._canonical(doc, cand):
                    continue
                for other in cands[max(0, idx - 1):idx] + cands[idx + 1:idx + 2]:
                    if other.rule is None or other.rejected_by is not None:
                        continue
                    lo, hi = (other.end, cand.start) if other.end <= cand.start else (cand.end, other.start)
                    between = lowers[lo:hi]
                    if 1 <= len(between) <= 2 and all(w in self.conv.separators for w in between):
                        cand.rule = "list_member"
                        changed = True
                        break

    def _needs_pos(self, doc: Doc, cand: Candidate) -> bool:
        """Whether tags could change the decision; if none could, a lazy POS source skips the doc.

        A cue's acceptance may be vetoed by pos_check; otherwise only pos_propn could accept,
        and never a lower-case ordinary word ("just", "move") that must be capitalized.
        """
        if cand.rule is not None:
            return True
        if not (self.on("pos_propn") and cand.entry.accept_propn):
            return False
        return not (self.on("casing") and doc[cand.start].is_lower and cand.entry.casing != "any")

    def _pos_rejects(self, doc: Doc, cand: Candidate) -> bool:
        """A verb (etc.) is not a name, unless a direct cue or a list says so and the casing agrees."""
        if not (self.pos_checks and self.on("pos_check")):
            return False
        token = doc[cand.start]
        if self._in_longer_name(doc, cand):
            return True
        if token.pos_ not in NOT_NAME_POS and not (token.pos_ == "ADJ" and token.is_lower):
            return False
        return not (cand.rule in STRONG_CONTEXT_RULES and self._canonical(doc, cand))

    def _canonical(self, doc: Doc, cand: Candidate, pos_stage: bool = False, weak: bool = False) -> bool:
        """Written as the language writes itself ("Go", "R"), or casing is not checked."""
        text, name = doc[cand.start].text, cand.entry.name
        if not self.on("casing") or cand.entry.casing == "any":
            return True
        if cand.entry.casing == "cues" and not (pos_stage or weak):
            return True
        last = name.split()[-1]
        if text == name or (text == last and last[:1].isupper()):  # "Go"; "Octave" for "GNU Octave"
            return True
        if cand.end - cand.start > 1 and doc[cand.start:cand.end].text == name:  # "DIGITAL Command Language"
            return True
        # another alias, capitalized as a name: "Jade" (Pug)
        return text.lower() != name.lower() and text[:1].isupper() and not text.isupper()

    def _accept_pos(self, doc: Doc, cand: Candidate) -> None:
        """A proper noun in the name's own casing, mid-sentence, used as a name ("the Go team")."""
        if not (self.pos_checks and self.on("pos_propn")) or not cand.entry.accept_propn:
            return
        token = doc[cand.start]
        if token.pos_ not in NAME_POS:
            return
        nxt = doc[cand.end] if cand.end < len(doc) else None
        prev = doc[cand.start - 1] if cand.start > 0 else None
        if self.on("casing"):
            lowercase_ok = cand.entry.casing == "any" and token.is_lower
            canonical = self._canonical(doc, cand, pos_stage=True) and not token.is_lower
            sentence_start = cand.start == 0 or bool(token.is_sent_start) or prev.text in {".", "!", "?", ":", ")"}
            subject = nxt is not None and nxt.pos_ in ("AUX", "VERB")  # "Ruby has four levels"
            if not (lowercase_ok or canonical) or (sentence_start and not subject):
                cand.rejected_by = "casing"
                return
        if nxt is not None and nxt.lower_ in self.conv.person_verbs:
            return  # "Julia reviewed the PR", "Ruby said": a person
        if prev is not None and prev.pos_ == "DET" and (nxt is None or nxt.pos_ not in ("NOUN", "PROPN")):
            return  # "plugged the Arduino into": a thing; "the Go team" is fine
        if token.is_lower and nxt is not None and nxt.pos_ in ("NOUN", "ADJ"):
            return  # "a ruby ring"
        cand.rule = "pos_propn"

    @staticmethod
    def _in_longer_name(doc: Doc, cand: Candidate) -> bool:
        """ "Taylor Swift", "Arduino Uno", "Basic ComboTree": an ambiguous name inside a longer one."""
        for j in (cand.start - 1, cand.end):
            if 0 <= j < len(doc) and doc[j].pos_ == "PROPN" and doc[j].text[:1].isupper():
                return True
        return False

    # -- spans -------------------------------------------------------------
    def _expand_chunks(self, doc: Doc, cands: List[Candidate], finder: CandidateFinder) -> List[Candidate]:
        """In raw text, widen a name to the whitespace-free chunk it sits in ("C-based", "html/css")."""
        if not (self.on("compound_token") or self.on("inside_word")) or not cands:
            return cands
        out: List[Candidate] = []
        covered_until = -1
        for cand in cands:
            if cand.start < covered_until:
                continue
            start, end = cand.start, cand.end
            while start > 0 and not doc[start - 1].whitespace_ and doc[start - 1].text not in "([\"'“‘":
                start -= 1
            while end < len(doc) and not doc[end - 1].whitespace_:
                end += 1
            while end > cand.end and (doc[end - 1].is_punct and doc[end - 1].text not in ("#", "+", "++")
                                      or doc[end - 1].lower_ in ("'s", "’s")):
                end -= 1
            if (start, end) != (cand.start, cand.end) and end - start > 1:
                text = doc[start:end].text.lower()
                hit = finder.match_token(text)
                if (hit is not None and hit[2] and hit[0].entry.id == cand.entry.id and start == cand.start
                        and self.on("compound_token")):
                    cand = Candidate(start, end, hit[0], cand.version, cand.version_attached, True)
                    covered_until = end
                elif hit is None and self.on("inside_word"):
                    cand.rejected_by = "inside_word"
            out.append(cand)
        return out

    def _merge_runs(self, doc: Doc, accepted: List[Candidate]) -> List[Candidate]:
        if not self.on("adjacent_run") or len(accepted) < 2:
            return accepted
        merged: List[Candidate] = [accepted[0]]
        for cand in accepted[1:]:
            last = merged[-1]
            if cand.start == last.end and last.version is None and doc[last.end - 1].whitespace_:
                run = Candidate(last.start, cand.end, last.alias, None, False, last.compound,
                                rule="adjacent_run")
                run.run_ids = getattr(last, "run_ids", [last.entry.id]) + [cand.entry.id]  # type: ignore[attr-defined]
                merged[-1] = run
            else:
                merged.append(cand)
        return merged
