"""How `rulelang`'s time grows with the length of one doc, on the documents that used to
make it quadratic, beside ordinary text.

Each case builds one doc per size (in tokens), tags it with the pipeline's components
before `rulelang`, then times `rulelang` alone, best of `repeats` runs on fresh copies.
Linear time means flat microseconds per token: `growth` is µs/token at a size divided
by µs/token at the smallest size of the same case.

The pathological cases: a long list ("Go, Go, ..., and Python", which once settled one
list member per pass), a run of one name ("Python Python ..."), one name per line
(whitespace tokens that once joined the whole doc into one "word"), and nested
parentheses. The corpus cases join real sentences (e.g. StackOverflowNER dev) into docs
of the same sizes, with an existing entity on every `ents_every`-th token, and time
`rulelang` with `write_ents` off and on.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Union

from spacy.language import Language
from spacy.tokens import Doc

from spacy_rulelang.errors import Errors
from spacy_rulelang.io.corpus import as_input_doc, read_gold_docs
from spacy_rulelang.io.pipeline import load_with_rulelang
from spacy_rulelang.scoring.rule_benchmark import long_docs


def _list_text(tokens: int) -> str:
    return "Go, " * max(1, (tokens - 3) // 2) + "and Python"


def _run_text(tokens: int) -> str:
    return "Python " * max(1, tokens)


def _lines_text(tokens: int) -> str:
    return "Python\n" * max(1, tokens // 2)


def _parens_text(tokens: int) -> str:
    # spaced closers: spaCy's tokenizer is itself quadratic on a long unspaced ")))..."
    depth = max(1, tokens // 3)
    return "(Python " * depth + ") " * depth


# case name -> text of about that many tokens
PATHOLOGICAL_CASES: Dict[str, Callable[[int], str]] = {
    "list": _list_text,
    "run": _run_text,
    "lines": _lines_text,
    "parens": _parens_text,
}
CORPUS_CASES = ("corpus", "corpus+write_ents")
DEFAULT_SIZES = (2_000, 32_000)


def time_component(nlp: Language, doc: Doc, name: str = "rulelang", repeats: int = 3) -> float:
    """Best wall time of the component `name` on fresh copies of a tagged doc."""
    pipe = nlp.get_pipe(name)
    best = float("inf")
    for _ in range(max(1, repeats)):
        copy = doc.copy()
        start = time.perf_counter()
        pipe(copy)
        best = min(best, time.perf_counter() - start)
    return best


def _from_rulelang_on(nlp: Language) -> List[str]:
    """The components that run after `rulelang` (they are not needed to tag its input)."""
    names = nlp.pipe_names
    return names[names.index("rulelang"):] if "rulelang" in names else []


def _tag(nlp: Language, text: str) -> Doc:
    if len(text) >= nlp.max_length:
        nlp.max_length = len(text) + 1
    with nlp.select_pipes(disable=_from_rulelang_on(nlp)):
        return nlp(text)


def benchmark_scaling(
    pipeline: Union[str, Path, Language],
    sizes: Sequence[int] = DEFAULT_SIZES,
    data: Optional[Union[str, Path]] = None,
    cases: Optional[Iterable[str]] = None,
    limit: Optional[int] = 2000,
    ents_every: int = 24,
    repeats: int = 3,
) -> List[Dict[str, Union[str, int, float]]]:
    """One row per case and size: case, size, tokens, seconds, us_per_token, growth.

    `pipeline`: a name, a path or a loaded pipeline with a tagger (`rulelang` is added
    when missing). `data`: gold sentences (CoNLL or .spacy) for the corpus cases; without
    it only the pathological cases run. `cases` limits the cases by name."""
    sizes = sorted({int(s) for s in sizes})
    if not sizes or sizes[0] < 1:
        raise ValueError(Errors.E260.format(sizes=sizes))
    nlp = pipeline if isinstance(pipeline, Language) else load_with_rulelang(pipeline)
    if "rulelang" not in nlp.pipe_names:
        nlp.add_pipe("rulelang")
    all_cases = list(PATHOLOGICAL_CASES) + list(CORPUS_CASES)
    unknown = sorted(set(cases or ()) - set(all_cases))
    if unknown:
        raise ValueError(Errors.E261.format(names=unknown, known=", ".join(all_cases)))
    wanted = [c for c in all_cases if (cases is None or c in set(cases))]
    if data is None:
        if cases is not None and any(c in CORPUS_CASES for c in wanted):
            raise ValueError(Errors.E262.format(names=", ".join(CORPUS_CASES)))
        wanted = [c for c in wanted if c not in CORPUS_CASES]
    rows: List[Dict[str, Union[str, int, float]]] = []
    ruler = nlp.get_pipe("rulelang")
    for case in wanted:
        if case in PATHOLOGICAL_CASES:
            docs = [_tag(nlp, PATHOLOGICAL_CASES[case](size)) for size in sizes]
        else:
            docs = _corpus_docs(nlp, data, sizes, limit, ents_every)  # type: ignore[arg-type]
        saved = ruler.settings.write_ents
        ruler.settings.write_ents = case == "corpus+write_ents" or (case not in CORPUS_CASES and saved)
        try:
            case_rows = []
            for size, doc in zip(sizes, docs):
                seconds = time_component(nlp, doc, repeats=repeats)
                case_rows.append({"case": case, "size": size, "tokens": len(doc), "seconds": seconds,
                                  "us_per_token": 1e6 * seconds / max(1, len(doc))})
        finally:
            ruler.settings.write_ents = saved
        base = case_rows[0]["us_per_token"] or 1e-9
        for row in case_rows:
            row["growth"] = row["us_per_token"] / base
        rows.extend(case_rows)
    return rows


def _corpus_docs(nlp: Language, data: Union[str, Path], sizes: Sequence[int], limit: Optional[int],
                 ents_every: int) -> List[Doc]:
    """Real sentences joined into one tagged doc per size (sentences cycle when too few)."""
    gold = []
    for i, doc in enumerate(read_gold_docs(data, nlp.vocab)):
        if limit and i >= limit:
            break
        gold.append(doc)
    with nlp.select_pipes(disable=_from_rulelang_on(nlp)):
        tagged = list(nlp.pipe((as_input_doc(g, nlp.vocab) for g in gold), batch_size=256))
    return long_docs(tagged, sizes, ents_every)


def max_growth(rows: List[Dict[str, Union[str, int, float]]]) -> Dict[str, float]:
    """Per case, the largest µs/token growth over its sizes."""
    out: Dict[str, float] = {}
    for row in rows:
        out[str(row["case"])] = max(out.get(str(row["case"]), 0.0), float(row["growth"]))
    return out
