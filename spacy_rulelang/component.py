"""The `rulelang` pipeline component: programming-language mentions that explain themselves.

    nlp = spacy.load("en_core_web_sm")
    nlp.add_pipe("rulelang")
    doc = nlp("We rewrote the Go service in Rust.")
    [(s.text, s.id_, s._.rulelang_rule) for s in doc.spans["rulelang"]]
"""

from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import SimpleFrozenList, ensure_path, filter_spans

from .candidates import Candidate, CandidateFinder
from .catalogue import Entry, entries_from_jsonl, entries_to_jsonl, load_catalogue
from .errors import Errors
from .extensions import register_extensions
from .pos_source import LazyPOS
from .rules import ALL_RULES, Conventions, RuleSet
from .scoring import score_rulelang

# What to_disk writes, one file per serializer.
DATA_FILES = {"catalogue": "catalogue.jsonl", "cues": "cues.json", "conventions": "conventions.json",
              "calibration": "calibration.json"}
DEFAULT_CONFIG: Dict[str, Any] = {
    "spans_key": "rulelang",
    "label": "PROG_LANG",
    "write_ents": True,
    "overwrite_ents": False,
    "catalogue": None,
    "extend_catalogue": True,
    "pos_checks": True,
    "pos_model": None,
    "disabled_rules": [],
    "calibration": None,
    "context_window": 5,
    "scorer": {"@scorers": "spacy-rulelang.scorer.v1"},
}


@Language.factory(
    "rulelang",
    assigns=["doc.spans", "doc.ents", "token.ent_type", "token.ent_iob"],
    default_config=DEFAULT_CONFIG,
    default_score_weights={"spans_rulelang_f": 1.0, "spans_rulelang_p": 0.0, "spans_rulelang_r": 0.0},
)
def make_rulelang(
    nlp: Language,
    name: str,
    spans_key: str,
    label: str,
    write_ents: bool,
    overwrite_ents: bool,
    catalogue: Optional[str],
    extend_catalogue: bool,
    pos_checks: bool,
    pos_model: Optional[str],
    disabled_rules: List[str],
    calibration: Optional[str],
    context_window: int,
    scorer: Optional[Callable],
) -> "RuleLang":
    return RuleLang(
        nlp, name, spans_key=spans_key, label=label, write_ents=write_ents,
        overwrite_ents=overwrite_ents, catalogue=catalogue, extend_catalogue=extend_catalogue,
        pos_checks=pos_checks, pos_model=pos_model, disabled_rules=disabled_rules,
        calibration=calibration, context_window=context_window, scorer=scorer,
    )


class RuleLang(Pipe):
    """Finds programming-language mentions with a catalogue and named disambiguation rules."""

    def __init__(
        self,
        nlp: Language,
        name: str = "rulelang",
        *,
        spans_key: str = "rulelang",
        label: str = "PROG_LANG",
        write_ents: bool = True,
        overwrite_ents: bool = False,
        catalogue: Optional[Union[str, Path]] = None,
        extend_catalogue: bool = True,
        pos_checks: bool = True,
        pos_model: Optional[str] = None,
        disabled_rules: Sequence[str] = SimpleFrozenList(),
        calibration: Optional[Union[str, Path]] = None,
        context_window: int = 5,
        scorer: Optional[Callable] = score_rulelang,
    ):
        register_extensions()
        self.nlp = nlp
        self.name = name
        self.key = spans_key
        self.label = label
        self.write_ents = write_ents
        self.overwrite_ents = overwrite_ents
        self.pos_checks = pos_checks
        self.scorer = scorer
        self.rules = RuleSet(Conventions.load(), disabled_rules, pos_checks, context_window)
        self.entries: List[Entry] = load_catalogue(catalogue, extend_catalogue)
        self.finder = self._build_finder()
        self.pos_source: Optional[LazyPOS] = LazyPOS(pos_model) if pos_model else None
        self.calibration: Dict[str, float] = {}
        if calibration:
            self.set_calibration(read_calibration(calibration))

    # -- data ---------------------------------------------------------------
    @property
    def rule_names(self) -> List[str]:
        return list(ALL_RULES)

    @property
    def ids(self) -> List[str]:
        return sorted(e.id for e in self.entries)

    def _build_finder(self) -> CandidateFinder:
        conv = self.rules.conv
        return CandidateFinder(self.entries, self.nlp, conv.compound_suffixes, conv.compound_prefixes)

    def set_entries(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        self.finder = self._build_finder()

    def set_calibration(self, precision_by_rule: Dict[str, float]) -> None:
        """Per-rule precision measured on gold data; each span then carries `_.rulelang_score`."""
        self.calibration = {str(k): float(v) for k, v in precision_by_rule.items()}

    def initialize(
        self,
        get_examples: Optional[Callable[[], Iterable[Example]]] = None,
        *,
        nlp: Optional[Language] = None,
        catalogue: Optional[Union[str, Path]] = None,
        extend_catalogue: bool = True,
        calibration: Optional[Union[str, Path]] = None,
    ) -> None:
        """Load user-supplied data only; the default catalogue is loaded at construction."""
        if catalogue is not None:
            self.set_entries(load_catalogue(catalogue, extend_catalogue))
        if calibration is not None:
            self.set_calibration(read_calibration(calibration))

    # -- processing -----------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        error_handler = self.get_error_handler()
        try:
            return self.set_annotations(doc, self.match(doc))
        except Exception as err:  # routed through spaCy's pipe error handler
            error_handler(self.name, self, [doc], err)
            return doc

    def explain(self, doc: Doc) -> List[Candidate]:
        """Every candidate with the rule that accepted or rejected it (for `tag --explain`)."""
        cands = self.finder(doc)
        self.rules.decide(doc, cands, self.finder, self._ensure_pos)
        return cands

    def match(self, doc: Doc) -> List[Span]:
        if self.pos_checks and self.pos_source is None and len(doc) and not doc.has_annotation("POS"):
            raise ValueError(Errors.E001.format())
        accepted = self.rules.decide(doc, self.finder(doc), self.finder, self._ensure_pos)
        return [self._make_span(doc, cand) for cand in accepted]

    def _ensure_pos(self, doc: Doc) -> None:
        if self.pos_source is not None:
            self.pos_source(doc)

    def _make_span(self, doc: Doc, cand: Candidate) -> Span:
        ids = getattr(cand, "run_ids", None)
        span_id = "+".join(ids) if ids else cand.entry.id
        span = Span(doc, cand.start, cand.end, label=self.label, span_id=span_id)
        span._.rulelang_rule = cand.rule
        span._.rulelang_version = cand.version
        span._.rulelang_score = self.calibration.get(cand.rule) if cand.rule else None
        return span

    def set_annotations(self, doc: Doc, spans: List[Span]) -> Doc:
        doc.spans[self.key] = spans
        # doc.ents copies share the extension values: spaCy keys them by offsets, label and id.
        if self.write_ents and spans:
            if self.overwrite_ents:
                kept = [e for e in doc.ents if not any(_overlap(e, s) for s in spans)]
                doc.ents = filter_spans(spans + kept)
            else:
                new = [s for s in spans if not any(_overlap(e, s) for e in doc.ents)]
                doc.ents = filter_spans(list(doc.ents) + new)
        return doc

    def score(self, examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
        if self.scorer is None:
            return {}
        return self.scorer(examples, spans_key=self.key, label=self.label, **kwargs)

    # -- serialization ----------------------------------------------------------
    def _serializers(self) -> Dict[str, Callable[[], bytes]]:
        cues, conv = self.rules.conv.to_dicts()
        return {
            "catalogue": lambda: entries_to_jsonl(self.entries).encode("utf8"),
            "cues": lambda: srsly.json_dumps(cues).encode("utf8"),
            "conventions": lambda: srsly.json_dumps(conv).encode("utf8"),
            "calibration": lambda: srsly.json_dumps(self.calibration).encode("utf8"),
        }

    def _load_data(self, data: Dict[str, bytes], source: str) -> None:
        if "cues" in data or "conventions" in data:
            cues, conv = (srsly.json_loads(data[k]) if k in data else None for k in ("cues", "conventions"))
            self.rules.conv = Conventions.load(cues, conv)
        if "catalogue" in data:
            self.entries = entries_from_jsonl(data["catalogue"].decode("utf8"), source)
        if "calibration" in data:
            self.set_calibration(srsly.json_loads(data["calibration"]))
        self.finder = self._build_finder()

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        data = {k: fn() for k, fn in self._serializers().items() if k not in exclude}
        return srsly.msgpack_dumps(data)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()) -> "RuleLang":
        data = {k: v for k, v in srsly.msgpack_loads(bytes_data).items() if k not in exclude}
        self._load_data(data, "<bytes>")
        return self

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        """Write the catalogue (JSONL), cues, conventions and calibration, and a POS source if any."""
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        for key, fn in self._serializers().items():
            if key not in exclude:
                (path / DATA_FILES[key]).write_bytes(fn())
        if self.pos_source is not None and "pos_model" not in exclude:
            self.pos_source.to_disk(path / "pos_model")

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = SimpleFrozenList()) -> "RuleLang":
        path = ensure_path(path)
        data = {k: (path / f).read_bytes() for k, f in DATA_FILES.items() if k not in exclude and (path / f).exists()}
        self._load_data(data, str(path / DATA_FILES["catalogue"]))
        if (path / "pos_model").exists() and "pos_model" not in exclude:
            self.pos_source = LazyPOS.from_disk(path / "pos_model", self.pos_source.name if self.pos_source else None)
        return self


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def read_calibration(path: Union[str, Path]) -> Dict[str, float]:
    """Per-rule precision from the comparison stage's calibration.json."""
    data = srsly.read_json(path)
    rules = data.get("rules", data) if isinstance(data, dict) else {}
    return {name: float(v["precision"] if isinstance(v, dict) else v) for name, v in rules.items()
            if (v.get("precision") if isinstance(v, dict) else v) is not None}
