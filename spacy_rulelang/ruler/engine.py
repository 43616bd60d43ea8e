"""The rule engine: how rules are registered, what they see, and the loop that runs them.

A rule takes a candidate and its context and answers True (it applies) or None
(no opinion). What "applies" means is the rule's stage:

- "reject": the candidate is not a mention ("I go home");
- "accept": it is one, and that is final ("Python");
- "cue": it is one, unless a later "veto" says otherwise ("written in Go");
- "veto": rejects an undecided candidate or one accepted by a "cue" rule.

Rules live in spaCy's registry as `registry.rulelang_rules`, so a user adds one
without forking:

    from spacy_rulelang.ruler.engine import register_rule

    @register_rule("hashtag", stage="accept")
    def hashtag(cand, ctx):
        return True if ctx.prev(cand) == "#" else None

and names it in the config: `nlp.add_pipe("rulelang", config={"rules": [..., "hashtag"]})`.
The config's `rules` list is the order; `disabled_rules` filters it. Each
accepted span records the rule that accepted it (`span._.rulelang_rule`).

`RuleSet.decide` loops over the rules in config order. Each rule sees every
candidate still open to it (rule by rule, so that "list_member" sees what the
earlier rules accepted); a rule that reads other candidates' decisions is applied
again until it decides nothing new. The result is a value: one `Decided` per
candidate, and the `Mention`s to write. Two span rules shape spans around that loop:
"compound_token"/"inside_word" widen a name to the unspaced chunk it sits in
("C-based", "html/css") before it, and "adjacent_run" joins neighbouring accepted
names ("HTML JS") after.

Whitespace tokens are not words. Where a doc has them (spaCy makes one of a newline,
a tab or a second space), the rules work on a `SpaceView`: a copy without them, where
the token before one has a trailing space. Every rule, the built-in ones and yours,
so sees "Python\nJava" exactly as "Python Java", and the decisions are mapped back to
the doc's own tokens. Only "adjacent_run" looks at the real gap: it does not join
names across a line break or a tab (one name per line is a list, not one name).

A domain profile (ruler/profile.py), where one is loaded, revises the decisions after
the last rule: its policies reject (`profile_never`, `profile_needs_evidence`) or accept
(`profile_always`) candidates in the contexts a reviewer decided. Without one, nothing changes.

The loop is linear in the number of candidates: a rule that reads other decisions is
applied in alternating directions, so a chain of list members ("Go, Go, ..., and
Python") settles in three passes rather than one pass per member.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import AbstractSet, Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from spacy.attrs import IS_SPACE, LEMMA, MORPH, POS, SENT_START, TAG
from spacy.tokens import Doc
from spacy.util import registry

from spacy_rulelang.ruler.candidates import Candidate, CandidateFinder
from spacy_rulelang.ruler.conventions import Conventions
from spacy_rulelang.errors import Errors

STAGES = ("reject", "accept", "cue", "veto")
if not hasattr(registry, "rulelang_rules"):
    registry.create("rulelang_rules", entry_points=True)



@dataclass(frozen=True)
class Rule:
    """A registered rule: its name (as shown in `span._.rulelang_rule`), stage and function."""

    name: str
    stage: str
    func: Callable[[Candidate, "RuleContext"], Optional[bool]]

    def __call__(self, cand: Candidate, ctx: "RuleContext") -> Optional[bool]:
        return self.func(cand, ctx)


def register_rule(name: str, stage: str) -> Callable[[Callable], Callable]:
    """Decorator: register `func(cand, ctx) -> True | None` as rule `name`."""
    if stage not in STAGES:
        raise ValueError(Errors.E340.format(name=name, stages=", ".join(STAGES), stage=stage))

    def decorate(func: Callable[[Candidate, "RuleContext"], Optional[bool]]) -> Callable:
        registry.rulelang_rules.register(name, func=Rule(name, stage, func))
        return func

    return decorate


def get_rules(names: Iterable[str], setting: str = "rules") -> List[Rule]:
    """The registered rules of `names`, in order; an unknown name lists the known ones."""
    known = registered_rule_names()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(Errors.E003.format(names=unknown, setting=setting, known=", ".join(known)))
    return [registry.rulelang_rules.get(n) for n in names]


def registered_rule_names() -> List[str]:
    return sorted(registry.rulelang_rules.get_all())


@dataclass(frozen=True)
class Decision:
    """What a rule said about a candidate; `tentative` when a veto may still overturn it."""

    rule: str
    accept: bool
    tentative: bool = False


@dataclass
class RuleContext:
    """What a rule may look at: the doc, the other candidates and their decisions so far."""

    doc: Doc
    cands: List[Candidate]
    conv: Conventions
    enabled: AbstractSet[str]
    window: int
    pos_checks: bool
    ensure_pos: Callable[[Doc], None]
    decisions: List[Optional[Decision]] = field(default_factory=list)
    index: Dict[int, int] = field(default_factory=dict)
    lowers: List[str] = field(default_factory=list)
    read_others: bool = False  # set when a rule looks at other candidates' decisions
    evidence: Dict[int, dict] = field(default_factory=dict)  # candidate index -> features a rule read
    memo: Dict[str, Any] = field(default_factory=dict)  # what a rule computes once per doc (linear time)
    _pos_ready: Optional[bool] = None  # decided at the first POS rule

    def __post_init__(self) -> None:
        self.lowers = [t.lower_ for t in self.doc] if self.cands else []
        self.index = {id(c): i for i, c in enumerate(self.cands)}
        self.decisions = [None] * len(self.cands)

    def on(self, rule: str) -> bool:
        return rule in self.enabled

    def pos(self) -> bool:
        """Whether the rules may read POS tags: the doc has them, or a lazy POS source tags it
        now because some open candidate's decision could depend on them. False with POS
        checks off, and where no tag could change a decision (then no doc is tagged)."""
        if not self.pos_checks:
            return False
        if self._pos_ready is None:
            tagged = self.doc.has_annotation("POS")
            if not tagged and any(self._needs_pos(c, d) for c, d in zip(self.cands, self.decisions)):
                self.ensure_pos(self.doc)
                tagged = True
            self._pos_ready = tagged
        return self._pos_ready

    def _needs_pos(self, cand: Candidate, decision: Optional[Decision]) -> bool:
        """A cue's acceptance may be vetoed by pos_check; otherwise only pos_propn could accept,
        and never a lower-case ordinary word ("just", "move") that must be capitalized."""
        if decision is not None:
            return decision.tentative
        if not (self.on("pos_propn") and cand.entry.accept_propn):
            return False
        return not (self.on("casing") and self.doc[cand.start].is_lower and cand.entry.casing != "any")

    def prev(self, cand: Candidate) -> str:
        return self.lowers[cand.start - 1] if cand.start > 0 else ""

    def next(self, cand: Candidate) -> str:
        return self.lowers[cand.end] if cand.end < len(self.lowers) else ""

    def accepted(self, cand: Candidate) -> bool:
        self.read_others = True
        decision = self.decisions[self.index[id(cand)]]
        return decision is not None and decision.accept

    def named_at(self, cand: Candidate, j: int) -> bool:
        """Whether token j belongs to a neighbouring candidate accepted for good: "JavaScript"
        beside "Rust" in "Python JavaScript Rust" is another language, not a longer name."""
        i = self.index[id(cand)]
        for k in (i - 1, i + 1):
            if 0 <= k < len(self.cands) and self.cands[k].start <= j < self.cands[k].end:
                decision = self.decisions[k]
                return decision is not None and decision.accept and not decision.tentative
        return False

    def neighbours(self, cand: Candidate) -> List[Candidate]:
        i = self.index[id(cand)]
        return self.cands[max(0, i - 1):i] + self.cands[i + 1:i + 2]

    def canonical(self, cand: Candidate, pos_stage: bool = False, weak: bool = False) -> bool:
        """Written as the language writes itself ("Go", "R"), or casing is not checked."""
        text, name = self.doc[cand.start].text, cand.entry.name
        if cand.end - cand.start == 1 and text.endswith(".") and len(text) > 1:
            text = text[:-1]  # spaCy keeps a sentence-final "R." whole: the name is "R"
        if not self.on("casing") or cand.entry.casing == "any":
            return True
        if cand.entry.casing == "cues" and not (pos_stage or weak):
            return True
        last = name.split()[-1]
        if text == name or (text == last and last[:1].isupper()):  # "Go"; "Octave" for "GNU Octave"
            return True
        if cand.end - cand.start > 1 and self.doc[cand.start:cand.end].text == name:  # "DIGITAL Command Language"
            return True
        # another alias, capitalized as a name: "Jade" (Pug)
        return text.lower() != name.lower() and text[:1].isupper() and not text.isupper()


def check_rule_names(names: Sequence[str], setting: str = "disabled_rules") -> None:
    get_rules(names, setting)


CHUNK_OPENERS = "([\"'“‘"


@dataclass(frozen=True)
class Decided:
    """A candidate and the rule that decided it (`explain`, `tag --explain`)."""

    candidate: Candidate
    decision: Optional[Decision]
    evidence: Optional[dict] = None  # the features the rules weighed (`tag --explain`)

    @property
    def start(self) -> int:
        return self.candidate.start

    @property
    def end(self) -> int:
        return self.candidate.end

    @property
    def entry(self):
        return self.candidate.entry

    @property
    def rule(self) -> Optional[str]:
        """The rule that accepted it, if any."""
        return self.decision.rule if self.decision is not None and self.decision.accept else None

    @property
    def rejected_by(self) -> Optional[str]:
        return self.decision.rule if self.decision is not None and not self.decision.accept else None


@dataclass(frozen=True)
class Mention:
    """An accepted mention: a candidate, or a run of adjacent ones ("HTML JS")."""

    start: int
    end: int
    ids: Tuple[str, ...]
    rule: str
    version: Optional[str]


class RuleSet:
    """The ordered rule table of one `rulelang` component."""

    def __init__(self, conventions: Conventions, rules: Sequence[str],
                 disabled: Sequence[str] = (), pos_checks: bool = True, window: int = 5):
        get_rules(disabled, "disabled_rules")
        self.names: List[str] = [n for n in rules if n not in set(disabled)]
        self.enabled = frozenset(self.names)
        self.table: List[Rule] = get_rules(self.names)
        self.conv = conventions
        self.pos_checks = pos_checks
        self.window = window
        # a domain profile (ruler/profile.py): revises the rules' decisions; None: none loaded
        self.profile: Optional[Any] = None

    def on(self, rule: str) -> bool:
        return rule in self.enabled

    def decide(self, doc: Doc, cands: Optional[List[Candidate]], finder: CandidateFinder,
               ensure_pos: Callable[[Doc], None]) -> List[Decided]:
        """Every candidate (after chunk widening) with the decision of the first rule that applied.

        `cands` is `finder(doc)` (None: found here). Where the doc has whitespace tokens the
        rules run on its `SpaceView` and the candidates are found there again, so that a name
        split by a line break ("Objective\nC") or a version on the next line counts as with a
        space; the result is in the doc's own token offsets either way."""
        view = SpaceView.of(doc)
        if view is not None:
            work, cands, ensure_pos = view.doc, finder(view.doc), view.pos_source(ensure_pos)
        else:
            work = doc
            cands = finder(doc) if cands is None else cands
        cands = self._expand_chunks(work, cands, finder)
        ctx = RuleContext(work, cands, self.conv, self.enabled, self.window, self.pos_checks, ensure_pos)
        for rule in self.table:
            reverse = False
            while self._apply(rule, ctx, reverse):
                reverse = not reverse
        back = view.to_doc if view is not None else (lambda c: c)
        if self.profile is not None:
            self.profile.revise(ctx, doc, back)
        return [Decided(back(c), d, ctx.evidence.get(i)) for i, (c, d) in enumerate(zip(cands, ctx.decisions))]

    @staticmethod
    def _apply(rule: Rule, ctx: RuleContext, reverse: bool = False) -> bool:
        """One pass of `rule` over the candidates open to it; whether it decided any.

        A rule that read other decisions runs again until it decides nothing new; the
        caller alternates the direction, so that what a neighbour learnt reaches its
        neighbours in the same pass, whichever side it came from ("Go, Go, and Python"
        settles in a forward, a backward and a checking pass; the fixpoint is the same
        in any order because a rule only adds decisions)."""
        changed = False
        veto = rule.stage == "veto"
        ctx.read_others = False
        decisions, cands = ctx.decisions, ctx.cands
        made = Decision(rule.name, accept=rule.stage in ("accept", "cue"), tentative=rule.stage == "cue")
        order = range(len(cands) - 1, -1, -1) if reverse else range(len(cands))
        for i in order:
            current = decisions[i]
            if current is not None and not (veto and current.tentative):
                continue
            if rule(cands[i], ctx):
                decisions[i] = made  # immutable: one per pass, not one object per candidate
                changed = True
        return changed and ctx.read_others  # a rule blind to other decisions is done in one pass

    def mentions(self, doc: Doc, decided: List[Decided]) -> List[Mention]:
        """The accepted candidates as mentions, adjacent ones joined ("adjacent_run").

        Names join across spaces only, never across a line break or a tab. Runs are
        collected in lists, so a run of N names costs N, not N squared."""
        runs: List[list] = []  # [start, end, ids, rule, version]
        join = self.on("adjacent_run")
        for item in decided:
            if item.rule is None:
                continue
            cand = item.candidate
            last = runs[-1] if runs else None
            if join and last is not None and last[4] is None and _space_gap(doc, last[1], cand.start):
                last[1] = cand.end
                last[2].append(cand.entry.id)
                last[3] = "adjacent_run"
            else:
                runs.append([cand.start, cand.end, [cand.entry.id], item.rule, cand.version])
        return [Mention(start, end, tuple(ids), rule, version) for start, end, ids, rule, version in runs]

    def _expand_chunks(self, doc: Doc, cands: List[Candidate], finder: CandidateFinder) -> List[Candidate]:
        """In raw text, widen a name to the whitespace-free chunk it sits in ("C-based", "html/css").

        Linear in the doc: the candidates come in order, so each walk stops where the
        previous candidate's walk began or ended, and each chunk is looked up once."""
        if not (self.on("compound_token") or self.on("inside_word")) or not cands:
            return cands
        out: List[Candidate] = []
        covered_until = -1
        n = len(doc)
        last_pos, last_start = -1, -1      # the previous walk to the left: from where, to where
        last_end, last_trim = -1, -1       # the previous chunk end, and its end less trailing punctuation
        lookups: Dict[Tuple[int, int], object] = {}
        for cand in cands:
            if cand.start < covered_until:
                continue
            start = cand.start
            while start > 0 and not doc[start - 1].whitespace_ and doc[start - 1].text not in CHUNK_OPENERS:
                if start == last_pos:
                    start = last_start
                    break
                start -= 1
            last_pos, last_start = cand.start, start
            if cand.end > last_end:
                end = cand.end
                while end < n and not doc[end - 1].whitespace_:
                    end += 1
                trim = end
                while trim > start and _trailing_punct(doc[trim - 1]):
                    trim -= 1
                last_end, last_trim = end, trim
            end = max(cand.end, last_trim)
            if (start, end) != (cand.start, cand.end) and end - start > 1:
                if (start, end) not in lookups:
                    lookups[(start, end)] = finder.match_token(doc[start:end].text.lower())
                hit = lookups[(start, end)]
                if (hit is not None and hit[2] and hit[0].entry.id == cand.entry.id and start == cand.start
                        and self.on("compound_token")):
                    cand = Candidate(start, end, hit[0], cand.version, cand.version_attached, True)
                    covered_until = end
                elif hit is None and self.on("inside_word"):
                    cand = replace(cand, inside_word=True)
            out.append(cand)
        return out


def _trailing_punct(token) -> bool:
    """Punctuation that ends a chunk rather than belonging to the name ("Go," but "C#", "C++")."""
    return (token.is_punct and token.text not in ("#", "+", "++")) or token.lower_ in ("'s", "’s")


LINE_BREAKS = frozenset("\n\r\t\v\f\u2028\u2029")


def _space_gap(doc: Doc, end: int, start: int) -> bool:
    """Whether tokens [end, start) are only spaces after a spaced token: "HTML JS",
    "HTML  JS"; not "HTMLJS" (never two candidates anyway), nor across a line or a tab."""
    if start < end or end == 0 or (start == end and not doc[end - 1].whitespace_):
        return False
    for i in range(end, start):
        token = doc[i]
        if not token.is_space or any(ch in LINE_BREAKS for ch in token.text):
            return False
    return True


# What a `SpaceView` copies from the doc, where the doc has it.
VIEW_ATTRS = (("POS", POS), ("TAG", TAG), ("MORPH", MORPH), ("LEMMA", LEMMA))


@dataclass
class SpaceView:
    """The doc as the rules see it: the same tokens less the whitespace tokens ("\n",
    "\t", a second space), each token before one given a trailing space.

    It carries text, POS, tag, morphology, lemma and sentence starts; not the parse,
    entities or custom extensions (a rule that needs those reads them from a doc
    without whitespace tokens). `to_doc` maps a candidate back to the doc's offsets."""

    doc: Doc
    source: Doc
    keep: numpy.ndarray  # view token i is source token keep[i]

    @classmethod
    def of(cls, doc: Doc) -> Optional["SpaceView"]:
        """The view of `doc`, or None where it has no whitespace token (the common case)."""
        if not len(doc):
            return None
        is_space = doc.to_array(IS_SPACE).astype(bool)
        if not is_space.any():
            return None
        keep = numpy.flatnonzero(~is_space)
        followed = numpy.zeros(len(doc), dtype=bool)
        followed[:-1] = is_space[1:]
        words = [doc[int(i)].text for i in keep]
        spaces = [bool(doc[int(i)].whitespace_) or bool(followed[i]) for i in keep]
        view = Doc(doc.vocab, words=words, spaces=spaces)
        attrs = [attr for name, attr in VIEW_ATTRS if doc.has_annotation(name)]
        if attrs:
            view.from_array(attrs, doc.to_array(attrs)[keep])
        if doc.has_annotation("SENT_START") or doc.has_annotation("DEP"):
            starts = doc.to_array(SENT_START).astype("int64")
            # a sentence that starts on a whitespace token starts at the next word
            pending = False
            for i in range(len(doc)):
                if is_space[i]:
                    pending = pending or starts[i] == 1
                elif pending:
                    starts[i], pending = 1, False
            view_starts = starts[keep]
            if len(view_starts):
                view_starts[0] = 1
            view.from_array([SENT_START], view_starts.astype("uint64").reshape(-1, 1))
        return cls(view, doc, keep)

    def pos_source(self, ensure_pos: Callable[[Doc], None]) -> Callable[[Doc], None]:
        """A lazy POS source tags the doc itself (the user sees its tags), then the view."""
        def ensure(_: Doc) -> None:
            ensure_pos(self.source)
            if self.source.has_annotation("POS") and not self.doc.has_annotation("POS"):
                self.doc.from_array([POS], self.source.to_array([POS])[self.keep])
        return ensure

    def to_doc(self, cand: Candidate) -> Candidate:
        keep = self.keep
        return replace(cand, start=int(keep[cand.start]), end=int(keep[cand.end - 1]) + 1)
