"""Accuracy and speed of the rules, measured in one run (the numbers the README reports).

Accuracy: entity-level P/R/F1 with spaCy's Scorer, on corpus tokens and on raw text
(tokens joined by spaces, re-tokenized by spaCy). Speed: words/second of `rulelang`
and of spaCy's EntityRuler built from the same catalogue, on the same tagged docs;
and, when a POS source is given, a blank pipeline with lazy tagging against a
pipeline that tags every doc.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple, Union

import spacy
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc, Span
from spacy.training import Example
from tqdm import tqdm

from spacy_rulelang.catalogue.load import Entry
from spacy_rulelang.io.corpus import as_input_doc, read_gold_docs
from spacy_rulelang.scoring.rule_scores import RuleCounts
from spacy_rulelang.ruler.scorer import score_rulelang
from spacy_rulelang.errors import Errors


@dataclass
class Accuracy:
    mode: str
    precision: float
    recall: float
    f1: float
    n_docs: int
    per_rule: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # rule -> (tp, fp)


def load_gold(path: Union[str, Path], nlp: Language, limit: Optional[int] = None) -> List[Doc]:
    docs = read_gold_docs(path, nlp.vocab)
    return [d for _, d in zip(range(limit), docs)] if limit else list(docs)


def score_rules(nlp: Language, gold: List[Doc], mode: str = "tokens", key: str = "rulelang",
                batch_size: int = 256) -> Accuracy:
    """P/R/F1 of doc.spans[key] against the gold entities; mode "tokens" or "raw"."""
    if mode == "tokens":
        inputs: Iterable = (as_input_doc(g, nlp.vocab) for g in gold)
    elif mode == "raw":
        inputs = (g.text for g in gold)
    else:
        raise ValueError(f"internal error: mode must be 'tokens' or 'raw', not {mode!r}")
    examples = []
    per_rule = RuleCounts()
    docs = nlp.pipe(inputs, batch_size=batch_size)
    for g, pred in tqdm(zip(gold, docs), total=len(gold), desc=f"score ({mode})", leave=False, disable=None):
        examples.append(Example(pred, g))
        # character offsets: raw text is tokenized anew, so token offsets would not compare
        per_rule.add([((s.start_char, s.end_char), s._.rulelang_rule) for s in pred.spans[key]],
                     [(e.start_char, e.end_char) for e in g.ents])
    scores = score_rulelang(examples, spans_key=key)
    return Accuracy(
        mode=mode, precision=scores[f"spans_{key}_p"], recall=scores[f"spans_{key}_r"],
        f1=scores[f"spans_{key}_f"], n_docs=len(gold), per_rule=per_rule.tp_fp(),
    )


def entity_ruler_patterns(entries: Iterable[Entry], label: str = "PROG_LANG") -> List[dict]:
    """The gazetteer baseline: every alias as a case-insensitive phrase pattern."""
    return [{"label": label, "pattern": alias, "id": e.id} for e in entries for alias in e.aliases]


def gazetteer_ruler(nlp: Language) -> Language:
    """spaCy's EntityRuler with every catalogue alias as a case-insensitive phrase pattern."""
    rulelang = nlp.get_pipe("rulelang")
    baseline = spacy.blank("en", vocab=nlp.vocab)
    ruler = baseline.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(entity_ruler_patterns(rulelang.entries, rulelang.label))
    return baseline


def score_gazetteer(nlp: Language, gold: List[Doc]) -> Accuracy:
    """The plain gazetteer baseline on corpus tokens, scored like the rules."""
    baseline = gazetteer_ruler(nlp)
    examples = [Example(baseline(as_input_doc(g, nlp.vocab)), g) for g in gold]
    scores = Scorer.score_spans(examples, "ents", has_annotation=lambda doc: True)
    return Accuracy("gazetteer", scores["ents_p"], scores["ents_r"], scores["ents_f"], len(gold))


def words_per_second(process: Callable[[Doc], Doc], docs: List[Doc], repeats: int = 3) -> float:
    """Best of `repeats` passes over fresh copies of the docs (copies made outside the clock)."""
    n_words = sum(len(d) for d in docs)
    best = float("inf")
    for _ in range(repeats):
        copies = [d.copy() for d in docs]
        start = time.perf_counter()
        for doc in copies:
            process(doc)
        best = min(best, time.perf_counter() - start)
    return n_words / best if best > 0 else float("inf")


def matcher_speed(nlp: Language, gold: List[Doc], repeats: int = 3) -> Dict[str, float]:
    """rulelang vs EntityRuler on the same tagged docs: only the matching is timed."""
    tagged = list(nlp.pipe((as_input_doc(g, nlp.vocab) for g in gold),
                           disable=["rulelang"], batch_size=256))
    for doc in tagged:
        doc.ents = []
    rulelang = nlp.get_pipe("rulelang")
    ruler = gazetteer_ruler(nlp).get_pipe("entity_ruler")
    ours = words_per_second(rulelang, tagged, repeats)
    theirs = words_per_second(ruler, tagged, repeats)
    return {"rulelang_wps": ours, "entity_ruler_wps": theirs, "ratio": ours / theirs}


def lazy_pos_speed(pos_model: str, texts: List[str], repeats: int = 2) -> Dict[str, float]:
    """Whole pipeline on raw text: blank + rulelang(pos_model) vs tagger pipeline + rulelang."""
    always = spacy.load(pos_model, exclude=["parser", "ner", "lemmatizer", "senter"])
    always.add_pipe("rulelang")
    lazy = spacy.blank("en")
    lazy.add_pipe("rulelang", config={"pos_model": pos_model})
    n_words = sum(len(d) for d in lazy.tokenizer.pipe(texts))
    result = {}
    for name, nlp in (("always_wps", always), ("lazy_wps", lazy)):
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            for _doc in nlp.pipe(texts, batch_size=256):
                pass
            best = min(best, time.perf_counter() - start)
        result[name] = n_words / best
    source = lazy.get_pipe("rulelang").pos_source
    result["lazy_docs_tagged_share"] = source.docs_tagged / (repeats * len(texts)) if texts else 0.0
    result["speedup"] = result["lazy_wps"] / result["always_wps"]
    return result


def long_docs(tagged: List[Doc], sizes: Iterable[int], ents_every: int, label: str = "EXISTING") -> List[Doc]:
    """Docs of at least each size in tokens, made by joining tagged sentences (cycling
    through them), with an existing entity on every `ents_every`-th token: the case
    where `write_ents` must check rule spans against many entities already there."""
    if not tagged:
        raise ValueError(Errors.E345)
    out = []
    for size in sizes:
        parts, n = [], 0
        while n < size:
            doc = tagged[len(parts) % len(tagged)]
            parts.append(doc)
            n += len(doc)
        doc = Doc.from_docs(parts, ensure_whitespace=True)
        doc.ents = [Span(doc, i, i + 1, label=label) for i in range(0, len(doc), ents_every)]
        out.append(doc)
    return out
