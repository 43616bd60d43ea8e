"""Corpus assets of the spaCy project: the StackOverflowNER splits, checked by md5."""
from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import Dict, Optional

from wasabi import Printer

from spacy_rulelang.errors import Errors

UPSTREAM = ("https://raw.githubusercontent.com/jeniyat/StackOverflowNER/"
            "d1f408d235fcfbb268f028ef53162398ecb8a328/resources/annotated_ner_data/StackOverflow/")
ASSETS: Dict[str, str] = {  # file name -> md5 of the upstream file
    "train.txt": "3dc5145d324751158790f9f4d157994f",
    "dev.txt": "fe3483c76064c1896b5f29a053cfb97d",
    "test.txt": "c23dd876220c1973d5b131193bb4082b",
}


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as fileh:
        for block in iter(lambda: fileh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, target: Path, timeout: float) -> None:
    tmp = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, tmp.open("wb") as out:
            shutil.copyfileobj(response, out)
        tmp.replace(target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _slice_sentences(source: Path, target: Path, max_sents: int) -> int:
    """Copy the first `max_sents` sentences (blank-line separated) of a CoNLL file."""
    n = 0
    in_sentence = False
    with source.open(encoding="utf8") as src, target.open("w", encoding="utf8") as out:
        for line in src:
            blank = not line.strip()
            if blank and in_sentence:
                n += 1
                in_sentence = False
                if n >= max_sents:
                    out.write(line)
                    break
            elif not blank:
                in_sentence = True
            out.write(line)
    return n + (1 if in_sentence else 0)


def fetch_assets(data_dir: Optional[Path], dest: Path, *, max_sents: int = 0,
                 base_url: str = UPSTREAM, timeout: float = 30.0,
                 msg: Optional[Printer] = None) -> Dict[str, Path]:
    """Put train/dev/test.txt into `dest`: from `data_dir` if there, else from `base_url`.

    Every full file is checked against the md5 of the upstream commit; a file that
    is already in `dest` with the right checksum is left alone. With `max_sents`,
    the files in `dest` hold only the first N sentences of each split (for tests).
    """
    msg = msg or Printer(no_print=True)
    dest.mkdir(parents=True, exist_ok=True)
    paths: Dict[str, Path] = {}
    for name, expected in ASSETS.items():
        target = dest / name
        paths[name] = target
        if not max_sents and target.exists() and md5sum(target) == expected:
            msg.info(f"{target} is up to date")
            continue
        local = data_dir / name if data_dir is not None else None
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / name
            if local is not None and local.exists():
                found = md5sum(local)
                if found != expected:
                    raise ValueError(Errors.E211.format(path=local, found=found,
                                                        expected=expected, name=name))
                shutil.copyfile(local, source)
                origin = str(local)
            else:
                url = base_url + name
                try:
                    _download(url, source, timeout)
                except (OSError, ValueError) as err:  # URLError, timeouts, bad URLs
                    raise FileNotFoundError(Errors.E210.format(
                        name=name, data_dir=data_dir, url=url, err=err)) from None
                found = md5sum(source)
                if found != expected:
                    raise ValueError(Errors.E211.format(path=url, found=found,
                                                        expected=expected, name=name))
                origin = url
            if max_sents:
                n = _slice_sentences(source, target, max_sents)
                msg.good(f"{target}: first {n} sentences of {origin}")
            else:
                shutil.copyfile(source, target)
                msg.good(f"{target} from {origin}")
    return paths
