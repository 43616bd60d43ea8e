"""The `rulelang` pipeline component: programming-language mentions that explain themselves.

    nlp = spacy.load("en_core_web_sm")
    nlp.add_pipe("rulelang")
    doc = nlp("We rewrote the Go service in Rust.")
    [(s.text, s.id_, s._.rulelang_rule) for s in doc.spans["rulelang"]]
"""

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import SimpleFrozenList, ensure_path, filter_spans

from spacy_rulelang.ruler.candidates import CandidateFinder
from spacy_rulelang.catalogue.load import Entry, entries_from_jsonl, entries_to_jsonl, load_catalogue
from spacy_rulelang.errors import Errors
from spacy_rulelang.ruler.extensions import register_extensions
from spacy_rulelang.ruler.pos_tags import LazyPOS
from spacy_rulelang.ruler.conventions import Conventions
from spacy_rulelang.ruler.rules import DEFAULT_RULES
from spacy_rulelang.ruler.engine import Decided, Mention, RuleSet
from spacy_rulelang.ruler.profile import Profile, merge_entries
from spacy_rulelang.ruler.scorer import score_rulelang
from spacy_rulelang.ruler.settings import default_config, with_settings_signature
from spacy_rulelang.io.spans import covered, token_mask
from spacy_rulelang.io.textfiles import read_text

# What to_disk writes, one file per serializer.
DATA_FILES = {"catalogue": "catalogue.jsonl", "cues": "cues.json", "conventions": "conventions.json",
              "calibration": "calibration.json", "profile": "profile.json"}


@dataclass
class RuleLangSettings:
    """Every setting of `rulelang`, declared once (see the README's configuration table)."""

    spans_key: str = "rulelang"
    undecided_key: str = "rulelang_undecided"  # candidates that no rule decided
    rejected_key: str = "rulelang_rejected"    # candidates a rule rejected (span._.rulelang_rule says which)
    label: str = "PROG_LANG"
    write_ents: bool = True
    overwrite_ents: bool = False
    catalogue: Optional[str] = None
    extend_catalogue: bool = True
    pos_checks: bool = True
    pos_model: Optional[str] = None
    rules: List[str] = field(default_factory=lambda: list(DEFAULT_RULES))
    disabled_rules: List[str] = field(default_factory=list)
    # Tag every kind in the catalogue (templates, document markup such as Markdown, ...), not
    # only the kinds StackOverflowNER labels as languages: turns rule `language_kind` off.
    all_kinds: bool = False
    calibration: Optional[str] = None
    context_window: int = 5
    # A domain profile (profile.json, written by `apply`): the reviewer's policies, new
    # names and reviewed sentences for one domain (ruler/profile.py). None: the rules as shipped.
    profile: Optional[str] = None

    def __post_init__(self) -> None:
        if self.context_window < 0:
            raise ValueError(Errors.E011.format(setting="context_window", minimum=0, value=self.context_window))


@Language.factory(
    "rulelang",
    assigns=["doc.spans", "doc.ents", "token.ent_type", "token.ent_iob"],
    default_config=default_config(RuleLangSettings, scorer={"@scorers": "spacy-rulelang.scorer.v1"}),
    default_score_weights={"spans_rulelang_f": 1.0, "spans_rulelang_p": 0.0, "spans_rulelang_r": 0.0},
)
@with_settings_signature(RuleLangSettings, scorer=Optional[Callable])
def make_rulelang(nlp: Language, name: str, **settings: Any) -> "RuleLang":
    return RuleLang(nlp, name, **settings)


class RuleLang(Pipe):
    """Finds programming-language mentions with a catalogue and named disambiguation rules."""

    def __init__(self, nlp: Language, name: str = "rulelang", *,
                 scorer: Optional[Callable] = score_rulelang, **settings: Any):
        """`settings`: the fields of `RuleLangSettings`."""
        register_extensions()
        self.settings = cfg = RuleLangSettings(**settings)
        self.nlp = nlp
        self.name = name
        self.scorer = scorer
        disabled = list(cfg.disabled_rules) + (["language_kind"] if cfg.all_kinds else [])
        self.rules = RuleSet(Conventions.load(), cfg.rules, disabled, cfg.pos_checks,
                             cfg.context_window)
        self.calibration: Dict[str, float] = {}
        self.profile: Optional[Profile] = None
        self.pos_source: Optional[LazyPOS] = LazyPOS(cfg.pos_model) if cfg.pos_model else None
        # User files named in the config: read now when they exist (a bad file fails at
        # add_pipe), else on first use. Made from a config (spacy.load, assemble, train),
        # they are only read at initialize or first use: a saved pipeline's from_disk
        # supplies its own copies and they are never read (see `_load_pending`).
        self._pending: Dict[str, Callable[[], None]] = {}
        self._defer_all = _made_from_config()
        self.set_entries(load_catalogue(None))
        if cfg.catalogue is not None:
            self._read_or_defer("catalogue", cfg.catalogue, lambda: self.set_entries(
                load_catalogue(cfg.catalogue, cfg.extend_catalogue)))
        if cfg.calibration:
            self._read_or_defer("calibration", cfg.calibration, lambda: self.set_calibration(
                read_calibration(cfg.calibration)))
        if cfg.profile:
            self._read_or_defer("profile", cfg.profile, lambda: self.set_profile(Profile.read(cfg.profile)))

    @property
    def key(self) -> str:
        return self.settings.spans_key

    @property
    def label(self) -> str:
        return self.settings.label

    # -- data ---------------------------------------------------------------
    @property
    def rule_names(self) -> List[str]:
        """The rules this component runs, in order (config `rules` less `disabled_rules`)."""
        return list(self.rules.names)

    @property
    def ids(self) -> List[str]:
        self._load_pending()
        return sorted(e.id for e in self.entries)

    def _build_finder(self) -> CandidateFinder:
        conv = self.rules.conv
        return CandidateFinder(self.entries, self.nlp, conv.compound_suffixes, conv.compound_prefixes)

    def _read_or_defer(self, key: str, path: Union[str, Path], load: Callable[[], None]) -> None:
        if not self._defer_all and Path(path).exists():
            load()
        else:
            self._pending[key] = load

    def _load_pending(self) -> None:
        """Read the config's files that were missing at construction; a missing one is
        now an error (E004, E012), unless from_disk has already supplied its copy."""
        while self._pending:
            _, load = self._pending.popitem()
            load()

    def set_entries(self, entries: Iterable[Entry]) -> None:
        """The catalogue; a loaded profile's entries are added to it (they win over the same id)."""
        self.entries = list(entries)
        if self.profile is not None and self.profile.entries:
            self.entries = merge_entries(self.entries, self.profile.entries, "the domain profile")
        self.finder = self._build_finder()

    def set_profile(self, profile: Optional[Profile]) -> None:
        """A domain profile: its policies revise the rules' decisions, its entries join the
        catalogue. None (or an empty profile) restores the rules as shipped, except for
        entries an earlier profile added."""
        self.profile = profile if profile else None
        self.rules.profile = profile if profile is not None and profile.policies else None
        self.set_entries(self.entries)

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
        profile: Optional[Union[str, Path]] = None,
    ) -> None:
        """Load user-supplied data only; the default catalogue is loaded at construction.
        The config's files not read yet are read now (or those given here instead)."""
        if catalogue is not None:
            self._pending.pop("catalogue", None)
            self.set_entries(load_catalogue(catalogue, extend_catalogue))
        if calibration is not None:
            self._pending.pop("calibration", None)
            self.set_calibration(read_calibration(calibration))
        if profile is not None:
            self._pending.pop("profile", None)
            self.set_profile(Profile.read(profile))
        self._load_pending()

    # -- processing -----------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        error_handler = self.get_error_handler()
        try:
            return self.set_annotations(doc, self.match(doc))
        except Exception as err:  # routed through spaCy's pipe error handler
            error_handler(self.name, self, [doc], err)
            return doc

    def explain(self, doc: Doc) -> List[Decided]:
        """Every candidate with the rule that accepted or rejected it (for `tag --explain`)."""
        self._load_pending()
        return self.rules.decide(doc, None, self.finder, self._ensure_pos)

    def match(self, doc: Doc) -> Tuple[List[Span], List[Span], List[Span]]:
        """(the mentions, the candidates that no rule decided, the candidates a rule rejected)."""
        self._load_pending()
        if self.settings.pos_checks and self.pos_source is None and len(doc) and not doc.has_annotation("POS"):
            raise ValueError(Errors.E001.format())
        decided = self.rules.decide(doc, None, self.finder, self._ensure_pos)
        undecided = [Span(doc, d.start, d.end, label=self.label, span_id=d.entry.id)
                     for d in decided if d.decision is None]
        rejected = []
        for d in decided:
            if d.rejected_by is not None:
                span = Span(doc, d.start, d.end, label=self.label, span_id=d.entry.id)
                span._.rulelang_rule = d.rejected_by
                rejected.append(span)
        return [self._make_span(doc, m) for m in self.rules.mentions(doc, decided)], undecided, rejected

    def _ensure_pos(self, doc: Doc) -> None:
        if self.pos_source is not None:
            self.pos_source(doc)

    def _make_span(self, doc: Doc, mention: Mention) -> Span:
        span = Span(doc, mention.start, mention.end, label=self.label, span_id="+".join(mention.ids))
        span._.rulelang_rule = mention.rule
        span._.rulelang_version = mention.version
        span._.rulelang_score = self.calibration.get(mention.rule)
        return span

    def set_annotations(self, doc: Doc, found: Tuple[List[Span], List[Span], List[Span]]) -> Doc:
        spans, undecided, rejected = found
        doc.spans[self.key] = spans
        doc.spans[self.settings.undecided_key] = undecided
        doc.spans[self.settings.rejected_key] = rejected
        # doc.ents copies share the extension values: spaCy keys them by offsets, label and id.
        if self.settings.write_ents and spans:
            ents = list(doc.ents)  # doc.ents builds a new tuple on each access: read it once
            if self.settings.overwrite_ents:
                taken = token_mask(len(doc), spans)
                doc.ents = filter_spans(spans + [e for e in ents if not covered(taken, e)])
            else:
                taken = token_mask(len(doc), ents)
                doc.ents = filter_spans(ents + [s for s in spans if not covered(taken, s)])
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
            **({"profile": self.profile.to_bytes} if self.profile is not None else {}),
        }

    def _load_data(self, data: Dict[str, bytes], where: Callable[[str], str]) -> None:
        """`where(key)`: the saved file's name for errors (E002, E026, E273 name it)."""
        if "cues" in data or "conventions" in data:
            cues, conv = (_saved_json(data[k], where(k)) if k in data else None
                          for k in ("cues", "conventions"))
            self.rules.conv = Conventions.load(cues, conv)
        # the saved copies are authoritative: the config's paths are not read again
        if "catalogue" in data:
            self._pending.pop("catalogue", None)
            self.entries = entries_from_jsonl(data["catalogue"], where("catalogue"))
        if "calibration" in data:
            self._pending.pop("calibration", None)
            self.set_calibration(_saved_json(data["calibration"], where("calibration")))
        if "profile" in data:
            self._pending.pop("profile", None)
            self.set_profile(Profile.from_bytes(data["profile"], where("profile")))
        self.finder = self._build_finder()

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        self._load_pending()
        data = {k: fn() for k, fn in self._serializers().items() if k not in exclude}
        return srsly.msgpack_dumps(data)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()) -> "RuleLang":
        data = {k: v for k, v in srsly.msgpack_loads(bytes_data).items() if k not in exclude}
        self._load_data(data, lambda key: f"<bytes>[{key}]")
        return self

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        """Write the catalogue (JSONL), cues, conventions and calibration, and a domain profile and
        a POS source if any."""
        self._load_pending()
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
        self._load_data(data, lambda key: str(path / DATA_FILES[key]))
        if (path / "pos_model").exists() and "pos_model" not in exclude:
            self.pos_source = LazyPOS.from_disk(path / "pos_model", self.pos_source.name if self.pos_source else None)
        return self


def _made_from_config() -> bool:
    """Whether the component is being made by `Language.from_config` (spacy.load, a
    training or assemble config) rather than by a user's add_pipe: such a pipeline
    loads its saved data or is initialized next, so a relative path in its config
    must not be read from whatever folder it is loaded in."""
    code = Language.from_config.__func__.__code__  # type: ignore[attr-defined]
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


def _saved_json(data: bytes, where: str) -> Any:
    """A JSON file of a saved pipeline; damage is E273 naming the file, not a bare error."""
    try:
        return srsly.json_loads(_decode_saved(data, where))
    except ValueError as err:
        raise ValueError(Errors.E273.format(path=where, problem=f"not valid JSON ({err})")) from None


def _decode_saved(data: bytes, where: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf8")
    except UnicodeDecodeError as err:
        raise ValueError(Errors.E273.format(path=where, problem=f"not UTF-8 at byte {err.start}")) from None


def read_calibration(path: Union[str, Path]) -> Dict[str, float]:
    """Per-rule precision from the comparison stage's calibration.json (or a plain
    {rule: precision} object)."""
    path = Path(path)
    if not path.exists():
        raise ValueError(Errors.E012.format(path=path, problem="the file does not exist"))
    text = read_text(path)  # a bad byte is its own coded error (E026)
    try:
        data = srsly.json_loads(text)
    except ValueError as err:
        raise ValueError(Errors.E012.format(path=path, problem=f"not valid JSON ({err})")) from None
    rules = data.get("rules", data) if isinstance(data, dict) else None
    if not isinstance(rules, dict):
        raise ValueError(Errors.E012.format(path=path, problem="expected a JSON object"))
    precision = {}
    for name, value in rules.items():
        value = value.get("precision") if isinstance(value, dict) else value
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(Errors.E012.format(path=path, problem=f"the precision of '{name}' "
                                                f"must be a number between 0 and 1, not {value!r}"))
        precision[name] = float(value)
    return precision
