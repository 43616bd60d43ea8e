"""Accuracy and speed of the rules, measured in one run (the numbers the README reports).

Accuracy: entity-level P/R/F1 with spaCy's Scorer, on corpus tokens and on raw text
(tokens joined by spaces, re-tokenized by spaCy). Speed: words/second of `rulelang`
and of spaCy's EntityRuler built from the same catalogue, on the same tagged docs;
and, when a POS source is given, a blank pipeline with lazy tagging against a
pipeline that tags every doc.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple, Union

import spacy
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc
from spacy.training import Example
from tqdm import tqdm

from .catalogue import Entry
from .corpus import as_input_doc, read_gold_docs
from .scoring import score_rulelang


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
        raise ValueError(f"mode must be 'tokens' or 'raw', not {mode!r}")
    examples = []
    per_rule: Counter = Counter()
    docs = nlp.pipe(inputs, batch_size=batch_size)
    for g, pred in tqdm(zip(gold, docs), total=len(gold), desc=f"score ({mode})", leave=False, disable=None):
        example = Example(pred, g)
        examples.append(example)
        gold_chars = {(e.start_char, e.end_char) for e in g.ents}
        for span in pred.spans[key]:
            hit = (span.start_char, span.end_char) in gold_chars
            per_rule[(span._.rulelang_rule, hit)] += 1
    scores = score_rulelang(examples, spans_key=key)
    rules = sorted({r for r, _ in per_rule})
    return Accuracy(
        mode=mode, precision=scores[f"spans_{key}_p"], recall=scores[f"spans_{key}_r"],
        f1=scores[f"spans_{key}_f"], n_docs=len(gold),
        per_rule={r: (per_rule[(r, True)], per_rule[(r, False)]) for r in rules},
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
