"""Options declared once and shared by several commands: where a command's pipeline runs
(`--backend ray` and its settings, used by compare, tag and weak-label; see README
"Running on a Ray cluster"), and `--code`.

typer has no parameter groups, so a command lists the parameters (`backend: str = BACKEND`,
...) and builds the options once with `ray_settings(...)`.
"""
from __future__ import annotations

from typing import Optional

import typer

from spacy_rulelang.backends import BACKENDS, RAY_EXTRA, RayOptions, ray_options


def literal(text: str) -> str:
    """Help text shown as written: typer formats help with Rich, which reads `[ray]` in
    `spacy-rulelang[ray]` as markup and drops it."""
    try:
        from rich.markup import escape
    except ImportError:  # without Rich, typer prints help as it is
        return text
    return escape(text)


# fmt: off
BACKEND = typer.Option("local", "--backend", help=literal(f"Where the pipeline runs: {' or '.join(BACKENDS)} (an actor pool on Ray; {RAY_EXTRA})"))
ADDRESS = typer.Option(None, "--address", help="ray: none starts a local Ray in this process; 'auto' joins the cluster of this machine, 'ray://HOST:10001' a remote one")
WORKERS = typer.Option(None, "--workers", help="ray: actors in the pool, each loading the pipeline once (default 1)")
NUM_CPUS = typer.Option(None, "--num-cpus", help="ray: CPUs per actor (default 1)")
NUM_GPUS = typer.Option(None, "--num-gpus", help="ray: GPUs per actor, e.g. 1 or 0.5 for a transformer pipeline (default 0)")
BLOCK_SIZE = typer.Option(None, "--block-size", help="ray: inputs per block, the unit an actor runs and a failure retries (default 256)")
CODE = typer.Option(None, "--code", "-c", help="Python file to import first, e.g. one that registers custom components")
# fmt: on


def ray_settings(backend: str, address: Optional[str], workers: Optional[int],
                 num_cpus: Optional[float], num_gpus: Optional[float], block_size: Optional[int],
                 show_progress: bool = False) -> Optional[RayOptions]:
    """The command's RayOptions (None for the local backend) from the shared parameters,
    in the order a command lists them; errors as `backends.ray_options`."""
    return ray_options(backend, address=address, workers=workers, num_cpus=num_cpus,
                       num_gpus=num_gpus, block_size=block_size, show_progress=show_progress)


__all__ = ["BACKEND", "ADDRESS", "WORKERS", "NUM_CPUS", "NUM_GPUS", "BLOCK_SIZE", "CODE",
           "literal", "ray_settings"]
