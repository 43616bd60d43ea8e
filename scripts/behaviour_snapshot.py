"""Fingerprint what a pipeline and the CLI do, so a restructure can show "behaviour unchanged".

Run it before and after a change and diff the two JSON files:

    python scripts/behaviour_snapshot.py training/assembled before.json
    ... change the code, reinstall ...
    python scripts/behaviour_snapshot.py training/assembled after.json
    diff before.json after.json && echo identical

It uses only `spacy.load` and the command line (`python -m spacy_rulelang ...`), never the
package's internal modules, so the same script runs on both sides of a move. It records:
- the spans of every span group and `doc.ents` (rules, model, merged) on SO train and dev
  and the out-of-domain sets, one sha256 per corpus and span group;
- the sha256 of each file `compare` writes on SO dev;
- the sha256 of `tag --json` on the first 500 dev sentences.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List

import spacy
from spacy.tokens import Doc

DATA = Path(os.environ.get("RULELANG_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
CORPORA = {
    "so_train": DATA / "stackoverflow_ner" / "train.txt",
    "so_dev": DATA / "stackoverflow_ner" / "dev.txt",
    "sner_train": DATA / "out_of_domain" / "sner_train.txt",
    "somesci_train": DATA / "out_of_domain" / "somesci_train.txt",
    "somesci_devel": DATA / "out_of_domain" / "somesci_devel.txt",
}


def sentences(path: Path) -> Iterator[List[str]]:
    """Words of each sentence of a `word<TAB>...` file (blank line between sentences)."""
    words: List[str] = []
    with path.open(encoding="utf8") as fileh:
        for line in fileh:
            word = line.rstrip("\n").split("\t")[0]
            if line.strip():
                words.append(word)
            elif words:
                yield words
                words = []
    if words:
        yield words


def span_digests(nlp, path: Path) -> Dict[str, str]:
    hashes: Dict[str, "hashlib._Hash"] = {}
    docs = (Doc(nlp.vocab, words=words) for words in sentences(path))
    for i, doc in enumerate(nlp.pipe(docs, batch_size=256)):
        groups = {"ents": list(doc.ents)}
        groups.update({key: list(group) for key, group in doc.spans.items()})
        for key, spans in groups.items():
            row = [i, [(s.start, s.end, s.label_, s.id_) for s in spans]]
            hashes.setdefault(key, hashlib.sha256()).update(json.dumps(row).encode())
    return {key: h.hexdigest() for key, h in sorted(hashes.items())}


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(pipeline: str, output: str) -> None:
    nlp = spacy.load(pipeline)
    result: Dict[str, object] = {"pipeline": pipeline, "pipe_names": nlp.pipe_names, "spans": {}}
    for name, path in CORPORA.items():
        if path.exists():
            result["spans"][name] = span_digests(nlp, path)
            print(name, "done", file=sys.stderr)
    dev = CORPORA["so_dev"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "compare"
        subprocess.run([sys.executable, "-m", "spacy_rulelang", "compare", pipeline, str(dev),
                        "--output", str(out)], check=True, capture_output=True)
        result["compare"] = {p.name: file_digest(p) for p in sorted(out.iterdir())}
        texts = "".join(json.dumps({"text": " ".join(words)}) + "\n"
                        for _, words in zip(range(500), sentences(dev)))
        tagged = subprocess.run([sys.executable, "-m", "spacy_rulelang", "tag", pipeline, "--json"],
                                input=texts.encode(), check=True, capture_output=True).stdout
        result["tag_json"] = hashlib.sha256(tagged).hexdigest()
    Path(output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
