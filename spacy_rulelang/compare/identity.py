"""Local vs ray backend: are the four outputs of `compare` the same bytes? (`check-backends`,
and the identity column of `benchmark-compare --backend ray`.)

Why sha256 and nothing else: the check is meant to run on the test split, whose scores
must not be looked at while developing; identical/different and digests say all that
is needed.
"""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import List, NamedTuple, Optional, Union

from spacy_rulelang.backends import RayOptions
from spacy_rulelang.compare.runner import OUTPUT_FILES, CompareOptions, load_pipeline, run_compare


class Digest(NamedTuple):
    """One output file of the two runs: whether the bytes are the same, and their sha256."""

    name: str
    identical: bool
    sha256_local: str
    sha256_ray: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fileh:
        for chunk in iter(lambda: fileh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def compare_folders(local: Path, other: Path) -> List[Digest]:
    """A Digest per output file of `compare` in the two folders."""
    rows = []
    for name in OUTPUT_FILES:
        a, b = sha256_of(local / name), sha256_of(other / name)
        rows.append(Digest(name, a == b, a, b))
    return rows


def check_backends(pipeline: str, data: Union[str, Path], ray: RayOptions, *,
                   model_key: Optional[str] = None) -> List[Digest]:
    """Run `compare` over DATA with the local backend and with `ray` (outputs in a
    temporary folder) and return a Digest per output file; no scores."""
    nlp, _ = load_pipeline(pipeline, model_key)
    options = CompareOptions(model_key=model_key, show_progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        run_compare(nlp, data, Path(tmp) / "local", options, pipeline=pipeline)
        run_compare(nlp, data, Path(tmp) / "ray", replace(options, ray=ray), pipeline=pipeline)
        return compare_folders(Path(tmp) / "local", Path(tmp) / "ray")
