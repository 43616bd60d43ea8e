"""Read StackOverflowNER CoNLL files, JSONL texts and DocBins as streams of Docs.

Every reader is a generator, so callers that stream (convert, compare, evaluate)
keep constant memory in the number of sentences. Errors name the file and line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Tuple, Union

from spacy.tokens import Doc, DocBin, Span
from spacy.vocab import Vocab

from spacy_rulelang.io.atomic import atomic_file
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.jsonl import describe, loads
from spacy_rulelang.io.textfiles import read_lines

DEFAULT_LABEL_MAP: Dict[str, str] = {"Language": "PROG_LANG"}
N_COLUMNS = 4
CONLL_SUFFIXES = {".txt", ".conll", ".bio", ".tsv"}

Sentence = Tuple[List[str], List[str], int]  # words, tags, first line number


def read_conll_sentences(path: Union[str, Path]) -> Iterator[Sentence]:
    """Yield (words, tags, line) per sentence of a StackOverflowNER file.

    A blank (or whitespace-only) line ends a sentence; every other line must have
    exactly four tab-separated columns (or two, word<TAB>tag, when the file's first
    line has two) and a BIO tag in the second.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(Errors.E022.format(path=path))
    words: List[str] = []
    tags: List[str] = []
    start = 0
    expected: Optional[int] = None
    for line_no, line in read_lines(path):
        if not line.strip():
            if words:
                yield words, tags, start
            words, tags = [], []
            continue
        cols = line.split("\t")
        if expected is None and len(cols) in (2, N_COLUMNS):  # 2: word<TAB>tag (out-of-domain sets)
            expected = len(cols)  # the file's first line sets it for every line
        if len(cols) != (expected or N_COLUMNS):
            raise ValueError(
                Errors.E020.format(path=path, line=line_no, expected=expected or N_COLUMNS,
                                   found=len(cols), text=line[:80])
            )
        if not cols[0]:
            raise ValueError(Errors.E271.format(path=path, line=line_no))
        tag = cols[1]
        if not (tag == "O" or (len(tag) > 2 and tag[:2] in ("B-", "I-"))):
            raise ValueError(Errors.E021.format(path=path, line=line_no, tag=tag))
        if not words:
            start = line_no
        words.append(cols[0])
        tags.append(tag)
    if words:
        yield words, tags, start


def bio_to_spans(tags: List[str], label_map: Dict[str, str]) -> List[Tuple[int, int, str]]:
    """Turn BIO tags into (start, end, label) token spans, keeping mapped types only.

    A stray I- tag without a B- (it happens in the corpus) starts a new span, as
    conlleval does.
    """
    spans: List[Tuple[int, int, str]] = []
    start: Optional[int] = None
    current = None
    for i, tag in enumerate(tags + ["O"]):
        prefix, _, etype = tag.partition("-")
        continues = prefix == "I" and etype == current
        if start is not None and not continues:
            spans.append((start, i, label_map[current]))
            start, current = None, None
        if prefix in ("B", "I") and etype in label_map and not continues:
            start, current = i, etype
    return spans


def sentence_to_doc(vocab: Vocab, words: List[str], tags: List[str],
                    label_map: Dict[str, str] = DEFAULT_LABEL_MAP) -> Doc:
    """A pre-tokenized Doc (space after every word) with the mapped entities as gold."""
    doc = Doc(vocab, words=words, spaces=[True] * (len(words) - 1) + [False])
    doc.ents = [Span(doc, s, e, label=label) for s, e, label in bio_to_spans(tags, label_map)]
    return doc


def read_conll(path: Union[str, Path], vocab: Vocab,
               label_map: Dict[str, str] = DEFAULT_LABEL_MAP) -> Iterator[Doc]:
    """Stream gold Docs from a StackOverflowNER CoNLL file, one per sentence."""
    for words, tags, _ in read_conll_sentences(path):
        yield sentence_to_doc(vocab, words, tags, label_map)


def read_jsonl_texts(path: Union[str, Path]) -> Iterator[Tuple[str, dict]]:
    """Stream (text, record) from JSONL; a bad line raises with its number."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(Errors.E022.format(path=path))
    for line_no, line in read_lines(path):
        if not line.strip():
            continue
        try:
            record = loads(line)
        except ValueError as err:
            raise ValueError(Errors.E024.format(path=path, line=line_no, err=describe(err))) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise ValueError(Errors.E025.format(path=path, line=line_no))
        yield record["text"], record


def read_docbin(path: Union[str, Path], vocab: Vocab) -> Iterator[Doc]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(Errors.E022.format(path=path))
    if path.is_dir():
        raise ValueError(Errors.E027.format(path=path))
    try:
        docbin = DocBin().from_disk(path)
    except PermissionError as err:
        raise ValueError(Errors.E028.format(path=path, err=err.strerror or err)) from None
    except Exception as err:  # zlib, msgpack and KeyError alike: the file is not a DocBin
        raise ValueError(Errors.E029.format(path=path, err=f"{type(err).__name__}: {err}")) from None
    yield from docbin.get_docs(vocab)


def check_parquet_texts(path: Union[str, Path]):
    """The opened pyarrow ParquetFile; E176 unless it has a string column 'text'."""
    import pyarrow.parquet as pq  # only Parquet inputs need it (the `ray` extra brings it)

    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    if "text" not in schema.names or str(schema.field("text").type) not in ("string", "large_string"):
        raise ValueError(Errors.E176.format(path=path, columns=schema.names))
    return parquet


def read_parquet_texts(path: Union[str, Path], batch_size: int = 1024) -> Iterator[str]:
    """Stream the 'text' column of a Parquet file (row group by row group); pyarrow comes
    with the `ray` extra. A null text reads as ""."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(Errors.E022.format(path=path))
    parquet = check_parquet_texts(path)
    for batch in parquet.iter_batches(batch_size=batch_size, columns=["text"]):
        for text in batch.column(0).to_pylist():
            yield text or ""


TEXT_KINDS = ("jsonl", "parquet")  # texts without gold; the other kinds are gold docs


def data_kind(path: Union[str, Path]) -> str:
    """'spacy', 'conll', 'jsonl' or 'parquet' by file suffix; anything else is a clear error."""
    suffix = Path(path).suffix.lower()
    if suffix == ".spacy":
        return "spacy"
    if suffix == ".jsonl":
        return "jsonl"
    if suffix == ".parquet":
        return "parquet"
    if suffix in CONLL_SUFFIXES:
        return "conll"
    raise ValueError(Errors.E023.format(path=path))


def check_input(path: Union[str, Path]) -> str:
    """The kind of an input file (`data_kind`, E023), once it is known to exist (E022):
    what a command checks before its (slow) pipeline load."""
    kind = data_kind(path)
    if not Path(path).exists():
        raise FileNotFoundError(Errors.E022.format(path=path))
    return kind


def read_gold_docs(path: Union[str, Path], vocab: Vocab,
                   label_map: Dict[str, str] = DEFAULT_LABEL_MAP) -> Iterator[Doc]:
    """Gold docs from a .spacy or CoNLL file (JSONL has no gold: use read_jsonl_texts)."""
    kind = data_kind(path)
    if kind == "spacy":
        return read_docbin(path, vocab)
    if kind == "conll":
        return read_conll(path, vocab, label_map)
    raise ValueError(Errors.E023.format(path=path))


def read_items(path: Union[str, Path], vocab: Vocab) -> Iterator[Union[str, Doc]]:
    """Every input of a data file, in order: texts (JSONL, Parquet) or gold docs."""
    kind = data_kind(path)
    if kind == "jsonl":
        return (text for text, _ in read_jsonl_texts(path))
    if kind == "parquet":
        return read_parquet_texts(path)
    return read_gold_docs(path, vocab)


def pipeline_input(item: Union[str, Doc], vocab: Vocab, gold_key: Optional[str] = None,
                   skip_empty: bool = False) -> Tuple[Optional[Union[str, Doc]], Optional[str]]:
    """(what the pipeline runs on, None) or, with `skip_empty`, (None, why it is skipped).

    A gold doc becomes a fresh doc with its words (`as_input_doc`), its entities kept
    as doc.spans[gold_key] when a key is given. Every backend prepares inputs here."""
    if isinstance(item, str):
        return (None, "empty_text") if skip_empty and not item.strip() else (item, None)
    if skip_empty and len(item) == 0:
        return None, "empty_doc"
    doc = as_input_doc(item, vocab)
    if gold_key is not None:
        doc.spans[gold_key] = [Span(doc, e.start, e.end, label=e.label_) for e in item.ents]
    return doc, None


def raw_text_of(doc: Doc) -> str:
    """The sentence as a user would type it: tokens joined by single spaces."""
    return " ".join(t.text for t in doc)


def write_docbin(docs: Iterable[Doc], path: Union[str, Path]) -> int:
    """Write docs to a .spacy file; returns how many were written. The file is
    replaced in one step, so a failed or killed run leaves the previous one intact."""
    db = DocBin(store_user_data=False)
    n = 0
    for doc in docs:
        db.add(doc)
        n += 1
    with atomic_file(path) as tmp:
        db.to_disk(tmp)
    return n


def as_input_doc(gold: Doc, vocab: Vocab) -> Doc:
    """A fresh, unannotated doc with the gold doc's words, for a pipeline to annotate."""
    return Doc(vocab, words=[t.text for t in gold], spaces=[bool(t.whitespace_) for t in gold])
