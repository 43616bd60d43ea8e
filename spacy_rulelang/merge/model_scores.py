"""A probability per model span, from a `spancat` trained beside the NER.

Why: a greedy NER says yes or no. To let a model veto a weak rule guess ("72 ° C"),
the merge and the review ranking need *how sure* the model is. The CNN config
trains a `spancat` (n-gram suggester, sizes 1-3) on the same tok2vec as the NER;
its sigmoid output is a probability for every suggested span. (The NER's own beam
was tried first: decoding the greedy-trained NER with a beam gives probabilities
of 1.0 for nearly every span, so it cannot rank anything.)

The component runs after the NER and the spancat, reads the spancat's scores for
every suggested span (whatever the spancat's own threshold) and writes:

- `doc.spans[model_key]`: the NER's entities (`doc.ents`), with `attrs["scores"]`,
  the spancat probability of each (0.0 for a span the suggester does not make);
  `compare` reads these and ranks by them;
- `doc.spans[candidates_key]`: every suggested span with probability >= `min_score`,
  with `attrs["scores"]` (the learned merge's model-side candidates and features).

    nlp = spacy.load("training/seeds/0/model-best")   # tok2vec, ner, spancat
    nlp.add_pipe("rulelang_model_scores")
    doc = nlp("It is written in C.")
    list(zip(doc.spans["model"], doc.spans["model"].attrs["scores"]))
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from spacy_rulelang.errors import Errors
from spacy_rulelang.ruler.settings import default_config, with_settings_signature

SpanScores = Dict[Tuple[int, int, str], float]


@dataclass
class ModelScoreSettings:
    """Every setting of `rulelang_model_scores`, declared once."""

    spancat: str = "spancat"      # the spancat component whose probabilities are read
    label: str = "PROG_LANG"      # the label whose probability is read
    min_score: float = 0.05       # spans below this probability stay out of candidates_key
    model_key: str = "model"
    candidates_key: str = "model_candidates"

    def check(self, name: str) -> None:
        value = self.min_score
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ValueError(Errors.E223.format(setting="min_score", name=name,
                                                expected="a number in [0, 1)", value=value))


class ModelScores(Pipe):
    """Pipeline component: spancat probabilities of the NER's spans (see the module docstring)."""

    def __init__(self, nlp: Language, name: str = "rulelang_model_scores", **settings: Any) -> None:
        self.nlp = nlp
        self.name = name
        self.settings = ModelScoreSettings(**settings)
        self.settings.check(name)

    def _spancat(self) -> Any:
        """Looked up at call time: the spancat may be added or sourced after this component."""
        if self.settings.spancat not in self.nlp.component_names:
            raise ValueError(Errors.E222.format(name=self.name, spancat=self.settings.spancat,
                                                names=self.nlp.pipe_names))
        spancat = self.nlp.get_pipe(self.settings.spancat)
        if self.settings.label not in spancat.labels:
            raise ValueError(Errors.E223.format(setting="label", name=self.name,
                                                expected=f"one of {list(spancat.labels)}",
                                                value=self.settings.label))
        return spancat

    def score_spans(self, docs: List[Doc]) -> List[SpanScores]:
        """(start, end, label) -> probability, one dict per doc."""
        spancat = self._spancat()
        label = self.settings.label
        column = list(spancat.labels).index(label)
        indices, scores = spancat.predict(docs)
        scores = spancat.model.ops.to_numpy(scores)
        lengths = spancat.model.ops.to_numpy(indices.lengths)
        starts_ends = spancat.model.ops.to_numpy(indices.dataXd)
        scored: List[SpanScores] = []
        offset = 0
        for n in lengths:
            rows = range(offset, offset + int(n))
            scored.append({(int(starts_ends[i, 0]), int(starts_ends[i, 1]), label):
                           float(scores[i, column]) for i in rows})
            offset += int(n)
        return scored

    def set_annotations(self, docs: Iterable[Doc], scored: Iterable[SpanScores]) -> None:
        cfg = self.settings
        for doc, scores in zip(docs, scored):
            ents = list(doc.ents)
            doc.spans[cfg.model_key] = ents
            doc.spans[cfg.model_key].attrs["scores"] = [round(scores.get((e.start, e.end, e.label_), 0.0), 6) for e in ents]
            likely = sorted((key, p) for key, p in scores.items() if p >= cfg.min_score)
            doc.spans[cfg.candidates_key] = [Span(doc, s, e, label=label) for (s, e, label), _ in likely]
            doc.spans[cfg.candidates_key].attrs["scores"] = [round(p, 6) for _, p in likely]

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        error_handler = self.get_error_handler()
        for batch in minibatch(stream, size=batch_size):
            batch = list(batch)
            try:
                self.set_annotations(batch, self.score_spans(batch))
            except Exception as err:  # noqa: BLE001  spaCy's error-handler protocol
                error_handler(self.name, self, batch, err)
            yield from batch

    def to_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> None:
        """Nothing to save beyond the config: the spancat owns the weights."""

    def from_disk(self, path: Any, *, exclude: Iterable[str] = ()) -> "ModelScores":
        return self


def model_span_scores(doc: Doc, key: str) -> Dict[Tuple[int, int, str], float]:
    """(start, end, label) -> score of the spans in doc.spans[key] (empty when unscored)."""
    if key not in doc.spans:
        return {}
    group = doc.spans[key]
    scores: Optional[List[float]] = group.attrs.get("scores")
    if scores is None or len(scores) != len(group):
        return {}
    return {(s.start, s.end, s.label_): float(p) for s, p in zip(group, scores)}


@Language.factory(
    "rulelang_model_scores",
    assigns=["doc.spans"],
    requires=["doc.ents"],
    default_config=default_config(ModelScoreSettings),
)
@with_settings_signature(ModelScoreSettings)
def make_model_scores(nlp: Language, name: str, **settings: Any) -> ModelScores:
    return ModelScores(nlp, name, **settings)
