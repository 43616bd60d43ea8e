"""Packaging: a pipeline wheel that vendors spacy_rulelang and loads with only spaCy."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Tuple

import srsly
from wasabi import Printer

from spacy_rulelang.errors import Errors

DIST_NAME = "spacy-rulelang"
PACKAGE_NAME = "spacy_rulelang"
VENDOR_DIR = "_vendor"
SHIM_MODULE = "rulelang_code"

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


def wheel_path(output_dir: Path, name: str, version: str,
               lang: str = "en") -> Tuple[Path, str]:
    """Where `package` puts the wheel, and the package name spacy.load takes."""
    model_name = name if name.startswith(f"{lang}_") else f"{lang}_{name}"
    dist = output_dir / f"{model_name}-{version}" / "dist"
    return dist / f"{model_name}-{version}-py3-none-any.whl", model_name
