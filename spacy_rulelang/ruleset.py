"""Run the configured rule table over a doc's candidates and shape the mentions.

`RuleSet.decide` loops over the rules in config order. Each rule sees every
candidate still open to it (rule by rule, so that "list_member" sees what the
earlier rules accepted); a rule that reads other candidates' decisions is applied
again until it decides nothing new. The
result is a value: one `Decided` per candidate, and the `Mention`s to write.
Two span rules shape spans around that loop: "compound_token"/"inside_word"
widen a name to the unspaced chunk it sits in ("C-based", "html/css") before it,
and "adjacent_run" joins neighbouring accepted names ("HTML JS") after.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, List, Optional, Sequence, Tuple

from spacy.tokens import Doc

from .candidates import Candidate, CandidateFinder
from .conventions import Conventions
from .rules import DEFAULT_RULES, Decision, Rule, RuleContext, get_rules

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

    def __init__(self, conventions: Conventions, rules: Sequence[str] = DEFAULT_RULES,
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
