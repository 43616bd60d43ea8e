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
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import AbstractSet, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

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
        raise ValueError(f"A rule's stage must be one of {', '.join(STAGES)}, not {stage!r}.")

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

    def neighbours(self, cand: Candidate) -> List[Candidate]:
        i = self.index[id(cand)]
        return self.cands[max(0, i - 1):i] + self.cands[i + 1:i + 2]

    def canonical(self, cand: Candidate, pos_stage: bool = False, weak: bool = False) -> bool:
        """Written as the language writes itself ("Go", "R"), or casing is not checked."""
        text, name = self.doc[cand.start].text, cand.entry.name
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

    def on(self, rule: str) -> bool:
        return rule in self.enabled

    def decide(self, doc: Doc, cands: List[Candidate], finder: CandidateFinder,
               ensure_pos: Callable[[Doc], None]) -> List[Decided]:
        """Every candidate (after chunk widening) with the decision of the first rule that applied."""
        cands = self._expand_chunks(doc, cands, finder)
        ctx = RuleContext(doc, cands, self.conv, self.enabled, self.window, self.pos_checks, ensure_pos)
        for rule in self.table:
            while self._apply(rule, ctx):
                pass
        return [Decided(c, d) for c, d in zip(cands, ctx.decisions)]

    @staticmethod
    def _apply(rule: Rule, ctx: RuleContext) -> bool:
        """One pass of `rule` over the candidates open to it; whether it decided any."""
        changed = False
        veto = rule.stage == "veto"
        ctx.read_others = False
        for i, cand in enumerate(ctx.cands):
            current = ctx.decisions[i]
            if current is not None and not (veto and current.tentative):
                continue
            if rule(cand, ctx):
                ctx.decisions[i] = Decision(rule.name, accept=rule.stage in ("accept", "cue"),
                                            tentative=rule.stage == "cue")
                changed = True
        return changed and ctx.read_others  # a rule blind to other decisions is done in one pass

    def mentions(self, doc: Doc, decided: List[Decided]) -> List[Mention]:
        """The accepted candidates as mentions, adjacent ones joined ("adjacent_run")."""
        out: List[Mention] = []
        for item in decided:
            if item.rule is None:
                continue
            cand = item.candidate
            last = out[-1] if out else None
            if (self.on("adjacent_run") and last is not None and cand.start == last.end
                    and last.version is None and doc[last.end - 1].whitespace_):
                out[-1] = Mention(last.start, cand.end, last.ids + (cand.entry.id,), "adjacent_run", None)
            else:
                out.append(Mention(cand.start, cand.end, (cand.entry.id,), item.rule, cand.version))
        return out

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
            while start > 0 and not doc[start - 1].whitespace_ and doc[start - 1].text not in CHUNK_OPENERS:
                start -= 1
            while end < len(doc) and not doc[end - 1].whitespace_:
                end += 1
            while end > cand.end and (doc[end - 1].is_punct and doc[end - 1].text not in ("#", "+", "++")
                                      or doc[end - 1].lower_ in ("'s", "’s")):
                end -= 1
            if (start, end) != (cand.start, cand.end) and end - start > 1:
                hit = finder.match_token(doc[start:end].text.lower())
                if (hit is not None and hit[2] and hit[0].entry.id == cand.entry.id and start == cand.start
                        and self.on("compound_token")):
                    cand = Candidate(start, end, hit[0], cand.version, cand.version_attached, True)
                    covered_until = end
                elif hit is None and self.on("inside_word"):
                    cand = replace(cand, inside_word=True)
            out.append(cand)
        return out
