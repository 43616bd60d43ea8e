"""A learned merge: a logistic regression decides each candidate span from stated features.

Why: the hand-set merge (`rulelang_merge`, v1) lets the rules win every conflict, so
the model can neither veto a weak rule guess ("performed at 72 ° C") nor add much.
Here every candidate -- a rule span, a catalogue candidate no rule decided, an NER
entity, a span the model's spancat finds likely (whether a rule rejected it is one of its
features) -- gets a probability

    p = sigmoid(intercept + sum(weight[f] * value[f] for f in features(candidate)))

and the merge keeps the candidates with p >= threshold, most probable first where
they overlap. A candidate that a rule rejected is never kept (`rejections_veto`): the
rules' rejections are deliberate ("an XML file", "SQL Server", "72 ° C"), and a model
trained on StackOverflow has no evidence against them out of domain. The weights and the threshold are fitted on dev gold by `train-merge`
(merge_training.py) and saved with the pipeline (`to_disk`/`from_disk`, a JSON
file), so a saved pipeline needs spaCy alone. The features are a registered
function (`spacy-rulelang.merge_features.v1`), swappable in the config.

Every decision can be explained: `explain(doc)` lists each candidate with its
probability, the decision and the features that moved it most (weight * value).

    nlp = spacy.load("training/assembled")          # trained with train-merge
    doc = nlp("The PCR ran at 72 ° C, with a script written in C.")
    nlp.get_pipe("rulelang_learned_merge").explain(doc)
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span
from spacy.util import registry

from spacy_rulelang.errors import Errors
from spacy_rulelang.ruler.extensions import register_extensions
from spacy_rulelang.merge.model_scores import model_span_scores
from spacy_rulelang.ruler.settings import default_config, with_settings_signature

RULE_FACTORY = "rulelang"
WEIGHTS_FILE = "weights.json"
WEIGHTS_VERSION = 1
NO_RULE = "none"
SENTENCE_END = {".", "!", "?", ":", ";"}
Features = Dict[str, float]


@dataclass(frozen=True)
class MergeCandidate:
    """One span the merge decides on, with what each source said about it."""

    start: int
    end: int
    label: str
    rule: Optional[str] = None        # the rule that accepted it, if any
    rule_score: Optional[float] = None  # that rule's calibrated precision (span._.rulelang_score)
    span_id: str = ""
    undecided: bool = False           # a catalogue candidate that no rule decided on
    rejected_by: Optional[str] = None   # the rule that rejected this catalogue candidate
    model_prob: float = 0.0           # the spancat's probability for exactly this span
    model_agrees: bool = False        # the NER has exactly this entity
    model_overlaps: bool = False      # the NER has a different entity over these tokens


@dataclass
class Lexicon:
    """What the catalogue says about a surface form (from the rulelang component)."""

    aliases: Set[str]
    ambiguous: Set[str]

    @classmethod
    def from_pipeline(cls, nlp: Language, spans_key: str) -> "Lexicon":
        for name in nlp.component_names:
            cfg = nlp.get_pipe_config(name)
            if cfg.get("factory") == RULE_FACTORY and cfg.get("spans_key", "rulelang") == spans_key:
                ruler = nlp.get_pipe(name)
                ruler._load_pending()
                return cls({a for e in ruler.entries for a in e.aliases},
                           {a for e in ruler.entries for a in e.ambiguous_aliases})
        raise ValueError(Errors.E226.format(names=nlp.pipe_names))


def _casing(text: str) -> str:
    if text.isupper():
        return "upper"
    if text.islower():
        return "lower"
    if text[:1].isupper() and text[1:].islower():
        return "title"
    return "mixed"


def merge_features_v1(doc: Doc, cand: MergeCandidate, lexicon: Lexicon,
                      rule_precision: Dict[str, float]) -> Features:
    """The features named in the README ("The learned merge"), all in [0, 1]."""
    text = doc[cand.start:cand.end].text
    lower = text.lower()
    rule = cand.rule or NO_RULE
    precision = rule_precision.get(rule, cand.rule_score) if cand.rule else None
    single = len(text) == 1 and text.isalpha()
    ambiguous = lower in lexicon.ambiguous
    sentence_start = cand.start == 0 or doc[cand.start - 1].text in SENTENCE_END
    feats: Features = {
        f"rule={rule}": 1.0,
        "rule_precision": 0.0 if precision is None else float(precision),
        "undecided": float(cand.undecided),
        "rejected": float(cand.rejected_by is not None),
        "in_catalogue": float(lower in lexicon.aliases),
        "ambiguous": float(ambiguous),
        "single_letter": float(single),
        "model_prob": cand.model_prob,
        "model_agrees": float(cand.model_agrees),
        "model_overlaps": float(cand.model_overlaps),
        "ambiguous*model_prob": float(ambiguous) * cand.model_prob,
        "single_letter*model_prob": float(single) * cand.model_prob,
        f"casing={_casing(text)}": 1.0,
        "sentence_start": float(sentence_start),
        "position": cand.start / max(1, len(doc) - 1),
    }
    return feats


@registry.misc("spacy-rulelang.merge_features.v1")
def make_merge_features() -> Callable[[Doc, MergeCandidate, Lexicon, Dict[str, float]], Features]:
    return merge_features_v1


@dataclass
class LearnedMergeSettings:
    """Every setting of `rulelang_learned_merge` but the features function, declared once."""

    spans_key: str = "rulelang"                  # rule spans (rulelang, write_ents = false)
    undecided_key: str = "rulelang_undecided"    # candidates no rule decided (rulelang)
    rejected_key: str = "rulelang_rejected"      # candidates a rule rejected (rulelang)
    model_key: str = "model"                     # NER entities with spancat scores (rulelang_model_scores)
    candidates_key: str = "model_candidates"     # likely spancat spans (rulelang_model_scores)
    merged_key: str = "rulelang_merged"          # the kept spans, with attrs["scores"]
    threshold: Optional[float] = None            # None: the threshold chosen on dev by train-merge
    rejections_veto: bool = True                 # a candidate a rule rejected is never kept
    keep_unseen_rule_spans: bool = False         # a rule span on a name the model never saw labelled is kept

    def check(self, name: str) -> None:
        value = self.threshold
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0.0 <= value <= 1.0):
            raise ValueError(Errors.E223.format(setting="threshold", name=name,
                                                expected="null or a number in [0, 1]", value=value))


def collect_candidates(doc: Doc, cfg: LearnedMergeSettings) -> List[MergeCandidate]:
    """Every span some source proposes, once, in position order."""
    model_scores = model_span_scores(doc, cfg.candidates_key)
    model_scores.update(model_span_scores(doc, cfg.model_key))
    # the NER's entities: as rulelang_model_scores copied them, else doc.ents as the NER left them
    model_spans = doc.spans[cfg.model_key] if cfg.model_key in doc.spans else doc.ents
    ents = {(s.start, s.end, s.label_) for s in model_spans}
    ent_tokens = [None] * len(doc)
    for start, end, label in ents:
        for i in range(start, end):
            ent_tokens[i] = (start, end, label)
    found: Dict[Tuple[int, int, str], Dict[str, Any]] = {}
    for span in doc.spans.get(cfg.spans_key, []):
        found.setdefault((span.start, span.end, span.label_), {}).update(
            rule=span._.rulelang_rule, rule_score=span._.rulelang_score, span_id=span.id_)
    for span in doc.spans.get(cfg.undecided_key, []):
        found.setdefault((span.start, span.end, span.label_), {}).update(undecided=True, span_id=span.id_)
    rejected = {(s.start, s.end, s.label_): s._.rulelang_rule for s in doc.spans.get(cfg.rejected_key, [])}
    for key in list(ents) + list(model_scores):
        found.setdefault(key, {})
    for key, rule in rejected.items():  # only where another source proposes the span
        if key in found and "rule" not in found[key]:
            found[key]["rejected_by"] = rule
    out = []
    for key in sorted(found):
        start, end, label = key
        others = {ent_tokens[i] for i in range(start, end)} - {None, key}
        out.append(MergeCandidate(start, end, label, model_prob=model_scores.get(key, 0.0),
                                  model_agrees=key in ents, model_overlaps=bool(others),
                                  **found[key]))
    return out


def probability(weights: Dict[str, Any], feats: Features) -> float:
    coef = weights["coef"]
    z = weights["intercept"] + sum(coef.get(name, 0.0) * value for name, value in feats.items())
    return 1.0 / (1.0 + math.exp(-z)) if z >= -700 else 0.0


def choose(candidates: Sequence[MergeCandidate], probs: Sequence[float],
           threshold: float) -> List[int]:
    """Indices of the kept candidates: p >= threshold, most probable first, no overlaps."""
    order = sorted(range(len(candidates)), key=lambda i: (-probs[i],
                                                          -(candidates[i].end - candidates[i].start),
                                                          candidates[i].start))
    taken: Set[int] = set()
    kept = []
    for i in order:
        if probs[i] < threshold:
            break
        tokens = set(range(candidates[i].start, candidates[i].end))
        if tokens & taken:
            continue
        taken |= tokens
        kept.append(i)
    return sorted(kept, key=lambda i: candidates[i].start)


def check_weights(weights: Any, source: str) -> Dict[str, Any]:
    problem = None
    if not isinstance(weights, dict):
        problem = "not a JSON object"
    elif weights.get("version") != WEIGHTS_VERSION:
        problem = f"version {weights.get('version')!r}, expected {WEIGHTS_VERSION}"
    elif not isinstance(weights.get("coef"), dict) or not all(
            isinstance(v, (int, float)) for v in weights["coef"].values()):
        problem = "'coef' must map feature names to numbers"
    elif not isinstance(weights.get("intercept"), (int, float)) or \
            not isinstance(weights.get("threshold"), (int, float)):
        problem = "'intercept' and 'threshold' must be numbers"
    elif not isinstance(weights.get("rule_precision", {}), dict):
        problem = "'rule_precision' must map rule names to numbers"
    elif not isinstance(weights.get("seen_names", []), list) or not all(
            isinstance(v, str) for v in weights.get("seen_names", [])):
        problem = "'seen_names' must be a list of lowercased names"
    if problem:
        raise ValueError(Errors.E225.format(path=source, problem=problem))
    return weights


class LearnedMerge(Pipe):
    """Pipeline component: the merged `doc.ents`, decided span by span (module docstring)."""

    def __init__(self, nlp: Language, name: str = "rulelang_learned_merge", *,
                 features: Callable[..., Features] = merge_features_v1, **settings: Any) -> None:
        register_extensions()
        self.nlp = nlp
        self.name = name
        self.features = features
        self.settings = LearnedMergeSettings(**settings)
        self.settings.check(name)
        self.weights: Optional[Dict[str, Any]] = None
        self._lexicon: Optional[Lexicon] = None
        self._seen: Optional[Tuple[List[str], frozenset]] = None

    @property
    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            self._lexicon = Lexicon.from_pipeline(self.nlp, self.settings.spans_key)
        return self._lexicon

    @property
    def threshold(self) -> float:
        if self.settings.threshold is not None:
            return float(self.settings.threshold)
        return float(self._trained()["threshold"])

    def _trained(self) -> Dict[str, Any]:
        if self.weights is None:
            raise ValueError(Errors.E224.format(name=self.name))
        return self.weights

    def set_weights(self, weights: Dict[str, Any]) -> None:
        self.weights = check_weights(weights, "the weights given")

    def featurize(self, doc: Doc) -> Tuple[List[MergeCandidate], List[Features]]:
        precision = (self.weights or {}).get("rule_precision", {})
        candidates = collect_candidates(doc, self.settings)
        return candidates, [self.features(doc, c, self.lexicon, precision) for c in candidates]

    def decide(self, doc: Doc) -> Tuple[List[MergeCandidate], List[Features], List[float], List[int]]:
        weights = self._trained()
        candidates, feats = self.featurize(doc)
        probs = [probability(weights, f) for f in feats]
        protected = [i for i, c in enumerate(candidates) if self.protected(doc, c)]
        taken = {t for i in protected for t in range(candidates[i].start, candidates[i].end)}
        allowed = [i for i, c in enumerate(candidates) if not self.vetoed(c) and i not in protected
                   and not taken & set(range(c.start, c.end))]
        kept = choose([candidates[i] for i in allowed], [probs[i] for i in allowed], self.threshold)
        return candidates, feats, probs, sorted(protected + [allowed[j] for j in kept])

    def protected(self, doc: Doc, cand: MergeCandidate) -> bool:
        """With `keep_unseen_rule_spans`, a span a rule accepted on a name that the model's
        training data never labelled ("Stata" for a model trained on StackOverflow) is kept:
        the model's silence about a name it never saw is no evidence against the rule."""
        if not self.settings.keep_unseen_rule_spans or cand.rule is None:
            return False
        seen = self._trained().get("seen_names")
        if seen is None:
            raise ValueError(Errors.E390.format(name=self.name))
        if self._seen is None or self._seen[0] is not seen:
            self._seen = (seen, frozenset(seen))
        return doc[cand.start:cand.end].text.lower() not in self._seen[1]

    def vetoed(self, cand: MergeCandidate) -> bool:
        """A rule's rejection ("an XML file", "72 ° C") is a decision, not a missing opinion:
        the model may not overrule it (`rejections_veto`, as the v1 merge's gaps_need_candidate)."""
        return self.settings.rejections_veto and cand.rejected_by is not None

    def __call__(self, doc: Doc) -> Doc:
        error_handler = self.get_error_handler()
        try:
            candidates, _, probs, kept = self.decide(doc)
            spans = [Span(doc, candidates[i].start, candidates[i].end, label=candidates[i].label,
                          span_id=candidates[i].span_id) for i in kept]
            doc.set_ents(spans, default="outside")
            doc.spans[self.settings.merged_key] = spans
            doc.spans[self.settings.merged_key].attrs["scores"] = [round(probs[i], 6) for i in kept]
            return doc
        except Exception as err:  # noqa: BLE001  spaCy's error-handler protocol
            error_handler(self.name, self, [doc], err)
            return doc

    def explain(self, doc: Doc, top: int = 5) -> List[Dict[str, Any]]:
        """Each candidate: text, probability, kept or not, and the `top` features that moved
        it most (weight * value, signed), read off a doc this pipeline has processed."""
        weights = self._trained()
        candidates, feats, probs, kept = self.decide(doc)
        kept_set = set(kept)
        rows = []
        for i, (cand, f) in enumerate(zip(candidates, feats)):
            parts = sorted(((name, weights["coef"].get(name, 0.0) * value) for name, value in f.items()),
                           key=lambda item: (-abs(item[1]), item[0]))
            rows.append({"text": doc[cand.start:cand.end].text, "start": cand.start, "end": cand.end,
                         "label": cand.label, "rule": cand.rule, "model_prob": round(cand.model_prob, 4),
                         "p": round(probs[i], 4), "threshold": round(self.threshold, 4),
                         "kept": i in kept_set,
                         "vetoed_by": cand.rejected_by if self.vetoed(cand) else None,
                         "kept_unseen": self.protected(doc, cand),
                         "why": [(name, round(value, 3)) for name, value in parts[:top] if value]})
        return rows

    # -- serialization: the weights are one JSON file ----------------------------
    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self.weights is not None:
            (path / WEIGHTS_FILE).write_text(_dump_weights(self.weights), encoding="utf8")

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = ()) -> "LearnedMerge":
        file = Path(path) / WEIGHTS_FILE
        if file.exists():
            self.weights = _read_weights(file.read_text(encoding="utf8"), str(file))
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return _dump_weights(self.weights).encode("utf8")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "LearnedMerge":
        weights = _read_weights(data.decode("utf8"), "bytes")
        self.weights = weights
        return self


def _dump_weights(weights: Optional[Dict[str, Any]]) -> str:
    """The stdlib's JSON: floats round-trip exactly, so a saved merge decides as the fitted one."""
    return json.dumps(weights, indent=2, sort_keys=True) + "\n"


def _read_weights(text: str, source: str) -> Optional[Dict[str, Any]]:
    try:
        weights = json.loads(text)
    except ValueError as err:
        raise ValueError(Errors.E225.format(path=source, problem=f"not valid JSON ({err})")) from None
    return None if weights is None else check_weights(weights, source)


@Language.factory(
    "rulelang_learned_merge",
    assigns=["doc.ents", "doc.spans"],
    default_config=default_config(LearnedMergeSettings,
                                  features={"@misc": "spacy-rulelang.merge_features.v1"},
                                  scorer={"@scorers": "spacy-rulelang.merge_scorer.v1"}),
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0,
                           "ents_per_type": None, "spans_model_f": 0.0},
)
@with_settings_signature(LearnedMergeSettings, features=Callable, scorer=Optional[Callable])
def make_learned_merge(nlp: Language, name: str, *, features: Callable, scorer: Optional[Callable] = None,
                       **settings: Any) -> LearnedMerge:
    merge = LearnedMerge(nlp, name, features=features, **settings)
    merge.scorer = scorer
    merge.cfg = {"model_key": merge.settings.model_key}
    return merge
