"""profile.json: what `apply` makes of the decisions for the rules (ruler/profile.py).

- A group decision is a policy at its level: "a language here" -> `always`, "never a
  language here" -> `never`, "needs evidence here" -> `needs_evidence` ("decide one by one"
  makes none; its examples still count as sentences below).
- A decision on one sentence is a policy in that sentence's context: a rule span judged
  wrong -> `never` for (its text, its rule, its signature); a confirmed name the rules
  missed that an alias matches -> `always` for (its text, any rule, its signature); one no
  alias matches -> a new catalogue entry (the catalogue patch's, see patch.py).
- A rejecting decision ("never", "needs evidence", a span judged wrong) makes a policy only
  where the rules emitted the names: on names no rule accepted it would change nothing
  it was decided on, and a policy for "any rule" would reach names that other rules
  accepted in contexts the reviewer never saw ("never R in plain text", decided on the
  model's "R"s, would drop the rules' "written in R"). Those names stay tests.
- Where decisions on sentences disagree about one context, it gets no policy (the
  sentences stay tests); a group decision wins over decisions on sentences.
- Every reviewed name is a test: confirmed -> `match`, judged wrong -> `no_match`.
Policies and tests are sorted: the same decisions, the same bytes.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Set, Tuple

from spacy.tokens import Doc

from spacy_rulelang.catalogue.load import Entry
from spacy_rulelang.compare.core import SpanTuple
from spacy_rulelang.compare.groups import POLICY_OF
from spacy_rulelang.review.decision import GroupDecision
from spacy_rulelang.review.gold_edits import Applied
from spacy_rulelang.ruler.context import context_signature
from spacy_rulelang.ruler.profile import ALWAYS, MATCH, NEVER, NO_MATCH, Policy, Profile, ProfileTest, surface_text

ContextKey = Tuple[str, Optional[str], str]


class ProfileBuilder:
    """Collects policies and tests decision by decision; `build` makes the `Profile`."""

    def __init__(self, known_name) -> None:
        """`known_name(text) -> bool`: whether a catalogue alias matches a name."""
        self.known_name = known_name
        self.by_context: Dict[ContextKey, Set[str]] = defaultdict(set)
        self.groups: Dict[Tuple, Policy] = {}
        self.tests: Dict[Tuple, ProfileTest] = {}

    def add_group(self, group: GroupDecision) -> None:
        policy = POLICY_OF[group.decision]
        if policy is None or (policy != ALWAYS and group.rule is None):
            return  # nothing decided for names the rules emit (module docstring)
        if group.level == "context":
            made = Policy(policy, group.rule, surface=group.surface, signature=group.signature, note=group.note)
            self.groups[("context", group.surface, group.rule, group.signature)] = made
        else:
            self.groups[("kind", group.rule, group.name_kind)] = Policy(
                policy, group.rule, name_kind=group.name_kind, note=group.note)

    def learn(self, doc: Doc, item: Applied, confirmed: Sequence[SpanTuple], wrong: Sequence[SpanTuple]) -> None:
        """One applied decision: its names as tests, and (a decision on one sentence) policies."""
        words = tuple(t.text for t in doc)
        spaces = tuple(bool(t.whitespace_) for t in doc)
        from_group = item.decision.group is not None
        rules = {(s, e) for s, e, _ in item.decision.rules or ()}
        for (start, end, _), expect in [(s, MATCH) for s in confirmed] + [(s, NO_MATCH) for s in wrong]:
            self.tests[(words, start, end)] = ProfileTest(words, spaces, start, end, expect)
            if from_group:
                continue
            surface = surface_text(words[start:end])
            signature = context_signature(words, start, end)
            if expect == NO_MATCH and (start, end) in rules:
                self.by_context[(surface, item.decision.rule, signature)].add(NEVER)
            elif (start, end) not in rules and self.known_name(" ".join(words[start:end])):
                self.by_context[(surface, None, signature)].add(ALWAYS)

    def build(self, entries: Sequence[Entry] = (), model_key: Optional[str] = None) -> Profile:
        policies: Dict[Tuple, Policy] = {}
        for (surface, rule, signature), kinds in self.by_context.items():
            if len(kinds) == 1:  # sentences that disagree about a context make no policy
                policies[("context", surface, rule, signature)] = Policy(
                    next(iter(kinds)), rule, surface=surface, signature=signature)
        policies.update(self.groups)
        ordered = [policies[k] for k in sorted(policies, key=lambda k: tuple("" if v is None else v for v in k))]
        tests = [self.tests[k] for k in sorted(self.tests)]
        return Profile(ordered, list(entries), tests, model_key)

    @property
    def conflicts(self) -> List[ContextKey]:
        return sorted((k for k, v in self.by_context.items() if len(v) > 1),
                      key=lambda k: tuple("" if v is None else v for v in k))
