"""What `tag` prints for a doc: its rule spans and, with `explain`, every candidate with the
rule that decided it and the evidence the rules weighed. One JSON-ready dict per doc."""
from __future__ import annotations

from typing import Iterable, Iterator, Optional

from spacy.language import Language
from spacy.tokens import Doc


def doc_record(doc: Doc, key: str = "rulelang", explain: Optional[list] = None) -> dict:
    record = {
        "text": doc.text,
        "spans": [
            {"start": s.start_char, "end": s.end_char, "text": s.text, "label": s.label_, "id": s.id_,
             "rule": s._.rulelang_rule, "version": s._.rulelang_version, "score": s._.rulelang_score}
            for s in doc.spans[key]
        ],
    }
    if explain is not None:
        record["candidates"] = explain
    return record


def tag_texts(nlp: Language, texts: Iterable[str], explain: bool = False,
              docs: Optional[Iterable[Doc]] = None) -> Iterator[dict]:
    """One record per text; `docs`: the texts already annotated (by another backend)."""
    ruler = nlp.get_pipe("rulelang")
    for doc in nlp.pipe(texts) if docs is None else docs:
        why = None
        if explain:
            why = [{"text": doc[c.start:c.end].text, "id": c.entry.id, "rule": c.rule, "rejected_by": c.rejected_by,
                    "evidence": c.evidence} for c in ruler.explain(doc)]
        yield doc_record(doc, ruler.key, why)
