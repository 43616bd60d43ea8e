"""Helpers shared by several test modules: small corpora, stand-in models, a project copy."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import fix_random_seed

from spacy_rulelang.compare.runner import OUTPUT_FILES

REPO_ROOT = Path(__file__).resolve().parents[1]

# --- a small comparison corpus and a stand-in model (EntityRuler) --------------------
P = "PROG_LANG"
# (words, gold tags): one sentence per category, plus an agreement and a quiet one
SENTENCES = [
    ("I love Python .", "O O B-Language O"),                          # rule_only
    ("Java is verbose .", "B-Language O O O"),                        # agreement
    ("I upgraded to Python 3 yesterday .", "O O O B-Language O O O"),  # boundary
    ("We moved from Java to Kotlin .", "O O O B-Language O B-Language O"),  # label
    ("Java beans taste bitter .", "O O O O O"),                       # suspect (gold lacks it)
    ("Bananas are yellow .", "O O O O"),                              # model_only
    ("I like Brainfudge a lot .", "O O B-Language O O O"),            # suspect (both missed)
    ("Hello world .", "O O O"),                                       # nothing
]
MODEL_PATTERNS = [
    {"label": P, "pattern": [{"LOWER": "java"}]},
    {"label": P, "pattern": [{"TEXT": "Python"}, {"LIKE_NUM": True}]},
    {"label": "ORG", "pattern": [{"LOWER": "kotlin"}]},
    {"label": P, "pattern": [{"LOWER": "bananas"}]},
]

def write_conll(path, sentences=SENTENCES):
    lines = []
    for text, tags in sentences:
        for word, tag in zip(text.split(), tags.split()):
            lines.append(f"{word}\t{tag}\t{word}\tO")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path


def light_nlp():
    """No tagger: the real rulelang with pos_checks off, and an EntityRuler as the 'model'."""
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(MODEL_PATTERNS)
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    return nlp


def read_outputs(folder):
    return {name: (folder / name).read_bytes() for name in OUTPUT_FILES}


# --- a tiny trained NER + spancat ---------------------------------------------------
LABEL = "PROG_LANG"
# text (whitespace-tokenized), PROG_LANG entities as (start, end) token offsets
TRAIN: List[Tuple[str, Sequence[Tuple[int, int]]]] = [
    ("I write Python code every day .", [(2, 3)]),
    ("The script is written in C .", [(5, 6)]),
    ("We ported it from Java to Rust .", [(4, 5), (6, 7)]),
    ("The PCR ran at 72 ° C for ten minutes .", []),
    ("She prefers Haskell over Scala .", [(2, 3), (4, 5)]),
    ("Nothing to see here .", []),
    ("Plan A is better than plan B .", []),
    ("Ruby and Perl are scripting languages .", [(0, 1), (2, 3)]),
    ("Compile the C code with gcc .", [(2, 3)]),
    ("Heat the sample to 95 ° C first .", []),
]
TRAIN_STEPS = 25

_TRAINED: Optional[Path] = None


def train_examples(nlp) -> List[Example]:
    examples = []
    for text, ents in TRAIN:
        words = text.split()
        ref = Doc(nlp.vocab, words=words)
        ref.ents = [Span(ref, s, e, label=LABEL) for s, e in ents]
        ref.spans["sc"] = list(ref.ents)
        examples.append(Example(Doc(nlp.vocab, words=words), ref))
    return examples


def trained_model_dir(tmp_path_factory) -> Path:
    """A blank-English pipeline with "ner" and "spancat" (spans_key "sc", n-grams 1-3),
    trained TRAIN_STEPS steps with seed 0 and saved; trained once per session."""
    global _TRAINED
    if _TRAINED is not None and _TRAINED.exists():
        return _TRAINED
    fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("ner")
    nlp.add_pipe("spancat", config={"spans_key": "sc", "suggester": {
        "@misc": "spacy.ngram_suggester.v1", "sizes": [1, 2, 3]}})
    examples = train_examples(nlp)
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(TRAIN_STEPS):
        nlp.update(examples, sgd=optimizer, losses={})
    path = tmp_path_factory.mktemp("spancat_pipeline")
    nlp.to_disk(path)
    _TRAINED = path
    return path


# --- a copy of the spaCy project ----------------------------------------------------
PROJECT_FILES = ["project.yml", "configs", "assets/README.md"]


def copy_project(dest: Path) -> Path:
    for name in PROJECT_FILES:
        src = REPO_ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / name)
    return dest


def run_project(project: Path, target: str, *overrides: str,
                timeout: int = 1800) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "spacy", "project", "run", target, str(project), *overrides]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})


# --- candidate finding without a model ----------------------------------------------
def blank_finder():
    """A blank English pipeline and a CandidateFinder over the packaged catalogue."""
    from spacy_rulelang.catalogue.load import load_catalogue
    from spacy_rulelang.ruler.candidates import CandidateFinder

    nlp = spacy.blank("en")
    return nlp, CandidateFinder(load_catalogue(), nlp)


def merge_weights(coef: Dict[str, float], intercept: float = 0.0, threshold: float = 0.5,
                  rule_precision: Optional[Dict[str, float]] = None) -> Dict:
    """Hand-set weights of rulelang_learned_merge, in the format train-merge writes."""
    return {"version": 1, "coef": coef, "intercept": intercept, "threshold": threshold,
            "rule_precision": rule_precision or {}}


def make_doc(vocab, words: Sequence[str], *, rules=(), undecided=(), ents=(), candidates=()) -> Doc:
    """rules: (start, end, rule, score); undecided: (start, end); ents: (start, end, p);
    candidates: (start, end, p) -- what rulelang and rulelang_model_scores write."""
    doc = Doc(vocab, words=list(words))
    spans = []
    for start, end, rule, score in rules:
        span = Span(doc, start, end, label=LABEL, span_id=f"rule{start}")
        span._.rulelang_rule = rule
        span._.rulelang_score = score
        spans.append(span)
    doc.spans["rulelang"] = spans
    doc.spans["rulelang_undecided"] = [Span(doc, s, e, label=LABEL, span_id=f"cat{s}") for s, e in undecided]
    doc.ents = [Span(doc, s, e, label=LABEL) for s, e, _ in ents]
    doc.spans["model"] = [Span(doc, s, e, label=LABEL) for s, e, _ in ents]
    doc.spans["model"].attrs["scores"] = [p for _, _, p in ents]
    doc.spans["model_candidates"] = [Span(doc, s, e, label=LABEL) for s, e, _ in candidates]
    doc.spans["model_candidates"].attrs["scores"] = [p for _, _, p in candidates]
    return doc
