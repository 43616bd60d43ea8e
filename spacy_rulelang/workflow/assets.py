"""Corpus assets of the spaCy project: the StackOverflowNER splits, checked by md5, and the
out-of-domain development sets (S-NER, SoMeSci), checked by md5 and sha256."""
from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import Dict, Optional, Tuple

from wasabi import Printer

from spacy_rulelang.errors import Errors

UPSTREAM = ("https://raw.githubusercontent.com/jeniyat/StackOverflowNER/"
            "d1f408d235fcfbb268f028ef53162398ecb8a328/resources/annotated_ner_data/StackOverflow/")
ASSETS: Dict[str, str] = {  # file name -> md5 of the upstream file
    "train.txt": "3dc5145d324751158790f9f4d157994f",
    "dev.txt": "fe3483c76064c1896b5f29a053cfb97d",
    "test.txt": "c23dd876220c1973d5b131193bb4082b",
}
# The out-of-domain development sets, converted to word<TAB>tag (their README in the data
# folder gives sources, licences and conventions). No upstream URL serves these converted
# files, so they come only from a local folder: a missing copy is an error (E320).
OOD_DIR = "../shared/data/out_of_domain"
OOD_ASSETS: Dict[str, Tuple[str, str]] = {  # file name -> (md5, sha256)
    "sner_train.txt": ("ae77edadb0bed78e271640731376959b",
                       "f6d8e815fdc583d4054066cddfa7d75b410a819173bff70efb3aec36fd7941dc"),
    "somesci_train.txt": ("956a0cdf08e244a222154d8e0a9671c4",
                          "8779e2b78670ac2dc5127e8710d1f377aa6d3d8bd532508c31e4de2f8dd326da"),
    "somesci_devel.txt": ("c414cc9d7f384ca9e8d9a7a7fc8f284f",
                          "f6551131e23edb8243bc62f694732074a52f6ae1b7e6838917362ddd482fd79e"),
}


def md5sum(path: Path) -> str:
    return _digest(path, hashlib.md5())


def sha256sum(path: Path) -> str:
    return _digest(path, hashlib.sha256())


def _digest(path: Path, digest) -> str:
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


def _place(source: Path, target: Path, max_sents: int, origin: object, msg: Printer) -> None:
    """Copy a checked corpus file into the project, or only its first `max_sents` sentences."""
    if max_sents:
        n = _slice_sentences(source, target, max_sents)
        msg.good(f"{target}: first {n} sentences of {origin}")
    else:
        shutil.copyfile(source, target)
        msg.good(f"{target} from {origin}")


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
            _place(source, target, max_sents, origin, msg)
    return paths


def fetch_ood_assets(ood_dir: Optional[Path], dest: Path, *, max_sents: int = 0,
                     msg: Optional[Printer] = None) -> Dict[str, Path]:
    """Copy the out-of-domain sets from `ood_dir` into `dest`, checking md5 and sha256.

    There is nothing to download them from, so a file that is neither in `dest` (with the
    right checksums) nor in `ood_dir` is an error that says where to put it (E320); every
    evaluation scores every domain, so the project does not run on without them. With
    `max_sents`, `dest` holds only the first N sentences of each file (quick runs, tests).
    """
    msg = msg or Printer(no_print=True)
    dest.mkdir(parents=True, exist_ok=True)
    missing = [name for name in OOD_ASSETS
               if (max_sents or not _is_ood_copy(dest / name))
               and (ood_dir is None or not (ood_dir / name).is_file())]
    if missing:
        raise FileNotFoundError(Errors.E320.format(
            missing=", ".join(missing), ood_dir=ood_dir, dest=dest, names=", ".join(OOD_ASSETS)))
    paths: Dict[str, Path] = {}
    for name in OOD_ASSETS:
        target = dest / name
        paths[name] = target
        if not max_sents and _is_ood_copy(target):
            msg.info(f"{target} is up to date")
            continue
        assert ood_dir is not None  # checked above
        local = ood_dir / name
        _check_ood(local, name)
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / name
            shutil.copyfile(local, source)
            _check_ood(source, name)  # the copy we slice or keep, not only the original
            _place(source, target, max_sents, local, msg)
    return paths


def _is_ood_copy(path: Path) -> bool:
    md5, sha256 = OOD_ASSETS[path.name]
    return path.is_file() and md5sum(path) == md5 and sha256sum(path) == sha256


def _check_ood(path: Path, name: str) -> None:
    md5, sha256 = OOD_ASSETS[name]
    for kind, found, expected in (("md5", md5sum(path), md5), ("sha256", sha256sum(path), sha256)):
        if found != expected:
            raise ValueError(Errors.E321.format(path=path, kind=kind, found=found,
                                                expected=expected, name=name))
