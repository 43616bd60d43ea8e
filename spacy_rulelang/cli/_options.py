"""The options that choose where a command's pipeline runs, shared by compare, tag and
weak-label (`--backend ray` and its settings; see README "Running on a Ray cluster")."""
from __future__ import annotations

from typing import Optional

import typer

from spacy_rulelang.backends import BACKENDS, RayOptions, check_backend
from spacy_rulelang.errors import Errors

# fmt: off
BACKEND = typer.Option("local", "--backend", help=f"Where the pipeline runs: {' or '.join(BACKENDS)} (an actor pool on Ray; pip install \"spacy-rulelang[ray]\")")
ADDRESS = typer.Option(None, "--address", help="ray: none starts a local Ray in this process; 'auto' joins the cluster of this machine, 'ray://HOST:10001' a remote one")
WORKERS = typer.Option(None, "--workers", help="ray: actors in the pool, each loading the pipeline once (default 1)")
NUM_CPUS = typer.Option(None, "--num-cpus", help="ray: CPUs per actor (default 1)")
NUM_GPUS = typer.Option(None, "--num-gpus", help="ray: GPUs per actor, e.g. 1 or 0.5 for a transformer pipeline (default 0)")
BLOCK_SIZE = typer.Option(None, "--block-size", help="ray: inputs per block, the unit an actor runs and a failure retries (default 256)")
# fmt: on


def ray_options(backend: str, address: Optional[str] = None, workers: Optional[int] = None,
                num_cpus: Optional[float] = None, num_gpus: Optional[float] = None,
                block_size: Optional[int] = None, show_progress: bool = False) -> Optional[RayOptions]:
    """The RayOptions for `--backend ray` (None for local); E170 for an unknown backend,
    E173 for a ray setting given with the local backend, E171 when Ray is missing."""
    given = {"--address": address, "--workers": workers, "--num-cpus": num_cpus,
             "--num-gpus": num_gpus, "--block-size": block_size}
    if backend != "ray":
        check_backend(backend)
        for setting, value in given.items():
            if value is not None:
                raise ValueError(Errors.E173.format(setting=setting))
        return None
    defaults = RayOptions()
    options = RayOptions(address=address,
                         workers=defaults.workers if workers is None else workers,
                         num_cpus=defaults.num_cpus if num_cpus is None else num_cpus,
                         num_gpus=defaults.num_gpus if num_gpus is None else num_gpus,
                         batch_size=defaults.batch_size if block_size is None else block_size,
                         show_progress=show_progress)
    check_backend(backend, options)
    return options
