"""A domain profile: what a reviewer decided about a user's own text, as behaviour of the rules.

`apply` writes it (profile.json, docs/formats.md); the `rulelang` component reads it through
its one setting `profile`, saves it with `to_disk` and reads it back with `from_disk`. It
holds:

- `policies`: `never`, `needs_evidence` or `always`, each scoped where the decision was:
  a surface form in a context signature (`surface`, `rule`, `signature`; `rule` null for
  any rule) or a rule on a kind of name (`rule`, `name_kind`); see ruler/context.py;
- `entries`: catalogue entries for confirmed names that no alias matched (added to the
  component's catalogue, no warning: they are new ids);
- `tests`: the reviewed sentences (words, spaces, the name's tokens and whether the
  rules must or must not match it); `check_profile` runs them.

How a policy changes a decision (after every rule has run, `RuleSet.decide`): for each
candidate, the most specific policy that matches wins (surface + rule + signature, then
surface + any rule + signature, then rule + kind of name). `never` rejects an accepted
candidate (rule `profile_never`); `needs_evidence` rejects it unless the evidence the
rules weigh (a cue, a corpus cue, a developer word next to a letter or in a word name's
sentence, another language in the doc) speaks for it (`profile_needs_evidence`); `always`
accepts a candidate that a rule rejected or no rule decided (`profile_always`).

`model_key` (optional): the span key where the pipeline's model writes its entities. With
it, the model finding the same span is evidence too for `needs_evidence`: a group decided
"needs evidence here" is made of names the model disputed, so the policy reaches those
and leaves alone the names the model agrees with ("the rule alone is not enough here; the
rule and the model together are"). `adapt` writes the key of the pipeline it reviewed.

`tag --explain` shows the rule and, in `evidence.profile`, the policy that fired.

>>> profile = Profile.from_dict({"policies": [{"policy": "never", "surface": "c",
...     "rule": "pos_propn", "signature": "figure"}]})
>>> profile.policy_for("c", "pos_propn", "single_capital", "figure").policy
'never'
>>> profile.policy_for("c", "pos_propn", "single_capital", "plain") is None
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import srsly
from spacy.language import Language
from spacy.tokens import Doc

from spacy_rulelang.catalogue.load import Entry, check_unique_aliases, parse_entry
from spacy_rulelang.errors import Errors
from spacy_rulelang.ruler.context import NAME_KINDS, context_signature, name_kind
from spacy_rulelang.ruler.engine import Decision, RuleContext
from spacy_rulelang.ruler.rules import evidence

NEVER, NEEDS_EVIDENCE, ALWAYS = "never", "needs_evidence", "always"
POLICIES: Tuple[str, ...] = (NEVER, NEEDS_EVIDENCE, ALWAYS)
RULE_NAMES = {NEVER: "profile_never", NEEDS_EVIDENCE: "profile_needs_evidence", ALWAYS: "profile_always"}
MATCH, NO_MATCH = "match", "no_match"
PROFILE_VERSION = 1
Where = Union[str, Path]


def surface_text(words: Sequence[str]) -> str:
    """A surface form as groups and policies key it: the words joined by one space, lowercased
    (as compare's ranking counts surface forms)."""
    return " ".join(w for w in words if w.strip()).lower()


@dataclass(frozen=True)
class Policy:
    """One decision about a group: `surface` + `signature` (a context), or `name_kind` (a kind)."""

    policy: str
    rule: Optional[str] = None
    surface: Optional[str] = None
    signature: Optional[str] = None
    name_kind: Optional[str] = None
    note: str = ""

    @property
    def scope(self) -> str:
        return "context" if self.surface is not None else "kind"

    def describe(self) -> str:
        where = (f"'{self.surface}' in {self.signature}" if self.scope == "context"
                 else f"a {self.name_kind} name")
        return f"{self.policy}: {where}" + (f" ({self.rule})" if self.rule else "")

    def to_dict(self) -> Dict[str, Any]:
        keys = ("policy", "rule", "surface", "signature") if self.scope == "context" else \
            ("policy", "rule", "name_kind")
        out = {k: getattr(self, k) for k in keys}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class ProfileTest:
    """A reviewed sentence: tokens [start, end) must (`match`) or must not (`no_match`) be a rule span."""

    words: Tuple[str, ...]
    spaces: Tuple[bool, ...]
    start: int
    end: int
    expect: str

    @property
    def text(self) -> str:
        return "".join(w + (" " if s else "") for w, s in zip(self.words, self.spaces)).strip()

    @property
    def name(self) -> str:
        return " ".join(self.words[self.start:self.end])

    def to_dict(self) -> Dict[str, Any]:
        return {"expect": self.expect, "name": self.name, "start": self.start, "end": self.end,
                "words": list(self.words), "spaces": list(self.spaces)}


def _problem(where: Where, what: str) -> ValueError:
    return ValueError(Errors.E351.format(path=where, problem=what))


def _str(value: Any, where: Where, what: str, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise _problem(where, f"{what} must be a non-empty string, not {value!r}")
    return value


def parse_policy(data: Any, where: Where, i: int) -> Policy:
    what = f"policies[{i}]"
    if not isinstance(data, dict):
        raise _problem(where, f"{what} must be an object")
    unknown = sorted(set(data) - {"policy", "rule", "surface", "signature", "name_kind", "note"})
    if unknown:
        raise _problem(where, f"{what} has unknown field(s) {unknown}")
    if data.get("policy") not in POLICIES:
        raise ValueError(Errors.E352.format(path=where, what=f"{what}.policy", value=data.get("policy"),
                                            allowed=", ".join(POLICIES)))
    rule = _str(data.get("rule"), where, f"{what}.rule", optional=True)
    if "surface" in data or "signature" in data:
        if "name_kind" in data:
            raise _problem(where, f"{what} is scoped to a context (surface, signature) or a kind "
                                  "of name (rule, name_kind), not both")
        return Policy(data["policy"], rule, _str(data.get("surface"), where, f"{what}.surface"),
                      _str(data.get("signature"), where, f"{what}.signature"), note=str(data.get("note", "")))
    if data.get("name_kind") not in NAME_KINDS:
        raise ValueError(Errors.E352.format(path=where, what=f"{what}.name_kind", value=data.get("name_kind"),
                                            allowed=", ".join(NAME_KINDS)))
    if rule is None:
        raise _problem(where, f"{what}: a policy on a kind of name needs the rule it is about")
    return Policy(data["policy"], rule, name_kind=data["name_kind"], note=str(data.get("note", "")))


def parse_test(data: Any, where: Where, i: int) -> ProfileTest:
    what = f"tests[{i}]"
    if not isinstance(data, dict):
        raise _problem(where, f"{what} must be an object")
    if data.get("expect") not in (MATCH, NO_MATCH):
        raise ValueError(Errors.E352.format(path=where, what=f"{what}.expect", value=data.get("expect"),
                                            allowed=f"{MATCH}, {NO_MATCH}"))
    words, spaces = data.get("words"), data.get("spaces")
    if not (isinstance(words, list) and words and all(isinstance(w, str) and w for w in words)):
        raise _problem(where, f"{what}.words must be a list of non-empty strings")
    if not (isinstance(spaces, list) and len(spaces) == len(words) and all(isinstance(s, bool) for s in spaces)):
        raise _problem(where, f"{what}.spaces must be a list of booleans, one per word")
    start, end = data.get("start"), data.get("end")
    if not (isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool)
            and 0 <= start < end <= len(words)):
        raise _problem(where, f"{what}: start and end must be token offsets with 0 <= start < end <= "
                              f"{len(words)} (end exclusive), not {start!r}, {end!r}")
    return ProfileTest(tuple(words), tuple(spaces), start, end, data["expect"])


@dataclass
class Profile:
    """Policies, new catalogue entries and reviewed sentences (module docstring)."""

    policies: List[Policy] = field(default_factory=list)
    entries: List[Entry] = field(default_factory=list)
    tests: List[ProfileTest] = field(default_factory=list)
    model_key: Optional[str] = None  # the model's span key: its agreement is evidence (docstring)

    def __post_init__(self) -> None:
        self._context: Dict[Tuple[str, Optional[str], str], Policy] = {}
        self._kind: Dict[Tuple[Optional[str], str], Policy] = {}
        for p in self.policies:  # the last one of a key wins (as apply writes them: one per key)
            if p.scope == "context":
                self._context[(p.surface, p.rule, p.signature)] = p  # type: ignore[index]
            else:
                self._kind[(p.rule, p.name_kind)] = p  # type: ignore[index]

    def __bool__(self) -> bool:
        return bool(self.policies or self.entries or self.tests)

    def policy_for(self, surface: str, rule: Optional[str], kind: str, signature: str) -> Optional[Policy]:
        """The most specific policy for a candidate: its context with its rule, with any rule,
        then its rule on its kind of name."""
        return (self._context.get((surface, rule, signature)) or self._context.get((surface, None, signature))
                or self._kind.get((rule, kind)))

    # -- reading and writing ---------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"version": PROFILE_VERSION}
        if self.model_key is not None:
            out["model_key"] = self.model_key
        out.update({"policies": [p.to_dict() for p in self.policies],
                    "entries": [e.to_json() for e in self.entries],
                    "tests": [t.to_dict() for t in self.tests]})
        return out

    @classmethod
    def from_dict(cls, data: Any, where: Where = "<profile>") -> "Profile":
        if not isinstance(data, dict):
            raise _problem(where, "a profile is a JSON object with \"policies\", \"entries\" and \"tests\"")
        unknown = sorted(set(data) - {"version", "model_key", "policies", "entries", "tests"})
        if unknown:
            raise _problem(where, f"unknown field(s) {unknown}")
        if data.get("version", PROFILE_VERSION) != PROFILE_VERSION:
            raise _problem(where, f"version {data.get('version')!r} is not known (this package writes "
                                  f"{PROFILE_VERSION})")
        for key in ("policies", "entries", "tests"):
            if not isinstance(data.get(key, []), list):
                raise _problem(where, f"\"{key}\" must be a list")
        entries = [parse_entry(e, where, i) for i, e in enumerate(data.get("entries", []), start=1)]
        check_unique_aliases(entries, where)
        return cls([parse_policy(p, where, i) for i, p in enumerate(data.get("policies", []))], entries,
                   [parse_test(t, where, i) for i, t in enumerate(data.get("tests", []))],
                   _str(data.get("model_key"), where, "model_key", optional=True))

    def to_bytes(self) -> bytes:
        return srsly.json_dumps(self.to_dict(), indent=2, sort_keys=False).encode("utf8") + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes, where: Where = "<bytes>") -> "Profile":
        try:
            text = data.decode("utf8").lstrip("\ufeff")
        except UnicodeDecodeError as err:
            raise ValueError(Errors.E350.format(path=where, problem=f"not UTF-8 at byte {err.start}")) from None
        try:
            parsed = srsly.json_loads(text)
        except ValueError as err:
            raise ValueError(Errors.E350.format(path=where, problem=f"not valid JSON ({err})")) from None
        return cls.from_dict(parsed, where)

    @classmethod
    def read(cls, path: Where) -> "Profile":
        path = Path(path)
        if not path.is_file():
            raise ValueError(Errors.E350.format(path=path, problem="the file does not exist"))
        return cls.from_bytes(path.read_bytes(), path)

    def write(self, path: Where) -> None:
        Path(path).write_bytes(self.to_bytes())

    # -- at run time -------------------------------------------------------------------
    def revise(self, ctx: RuleContext, source: Doc, back: Callable[[Any], Any]) -> None:
        """Apply the policies to the decisions of every rule (called by `RuleSet.decide`).
        `source`: the doc as given (ctx.doc may be its whitespace-free view), whose
        `spans[model_key]` are the model's; `back` maps a candidate to its offsets."""
        if not (self._context or self._kind):
            return
        doc = ctx.doc
        model = set()
        if self.model_key is not None and self.model_key in source.spans:
            model = {(s.start, s.end) for s in source.spans[self.model_key]}
        for i, cand in enumerate(ctx.cands):
            current = ctx.decisions[i]
            words = [doc[j].text for j in range(cand.start, cand.end)]
            rule = current.rule if current is not None else None
            policy = self.policy_for(surface_text(words), rule, name_kind(" ".join(words)),
                                     context_signature(doc, cand.start, cand.end))
            if policy is None:
                continue
            accepted = current is not None and current.accept
            if policy.policy == ALWAYS:
                change = not accepted
            elif policy.policy == NEVER:
                change = accepted
            else:
                mapped = back(cand)
                change = accepted and (mapped.start, mapped.end) not in model and not _has_evidence(cand, ctx)
            if change:
                ctx.decisions[i] = Decision(RULE_NAMES[policy.policy], accept=policy.policy == ALWAYS)
                ctx.evidence[i] = {**(ctx.evidence.get(i) or {}), "profile": policy.describe()}


def _has_evidence(cand, ctx: RuleContext) -> bool:
    """What the rule `needs_evidence` accepts as evidence, for any candidate."""
    found = evidence(cand, ctx)
    if found["cue"] or found["corpus_cue"] or found["other_language"]:
        return True
    near = found["programming_word"]
    if len(cand.alias.text) == 1:  # a letter: only the next word counts ("the C preprocessor")
        return near is not None and near == ctx.next(cand)
    return bool(near or found["sentence_word"])


def read_profile(path: Where) -> Profile:
    return Profile.read(path)


# -- the reviewed sentences as tests ---------------------------------------------------------
@dataclass(frozen=True)
class Failure:
    """A profile test the pipeline fails: what was expected and the rule spans found."""

    test: ProfileTest
    found: Tuple[Tuple[int, int, Optional[str]], ...]

    def describe(self) -> str:
        spans = ", ".join(f"{' '.join(self.test.words[s:e])!r} ({r})" for s, e, r in self.found) or "none"
        want = "must be matched" if self.test.expect == MATCH else "must not be matched"
        return f"{self.test.name!r} {want} in: {self.test.text} (rule spans: {spans})"


def check_profile(nlp: Language, profile: Profile, key: str = "rulelang") -> List[Failure]:
    """The profile's tests that `nlp` fails: a rejected name that is matched again, or a
    confirmed one that is not. Each sentence runs as the corpus tokenized it."""
    failures = []
    docs = (Doc(nlp.vocab, words=list(t.words), spaces=list(t.spaces)) for t in profile.tests)
    for test, doc in zip(profile.tests, nlp.pipe(docs)):
        spans = tuple((s.start, s.end, s._.rulelang_rule) for s in doc.spans.get(key, []))
        if test.expect == MATCH:
            ok = any(s <= test.start and test.end <= e for s, e, _ in spans)
        else:
            ok = not any(s < test.end and test.start < e for s, e, _ in spans)
        if not ok:
            failures.append(Failure(test, spans))
    return failures


def merge_entries(current: Iterable[Entry], added: Sequence[Entry], where: Where) -> List[Entry]:
    """The catalogue with a profile's entries: a profile entry replaces one of the same id (its
    own, from an earlier load), aliases must stay unique (E005)."""
    ids = {e.id for e in added}
    entries = [e for e in current if e.id not in ids] + list(added)
    check_unique_aliases(entries, where)
    return entries
