"""Options declared once and shared by several commands: where and how wide a command's
pipeline runs (`--backend`, `--workers`/`-n`, `--block-size`, `--verbose` and the ray
settings, used by compare, tag and weak-label; see docs/scale-out.md), and `--code`.

typer has no parameter groups: `with_ray_parameters` adds the shared settings to a
command's signature and hands them to it as one `RaySettings`, which builds the options once.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Callable, List, Optional

import typer
from wasabi import Printer

from spacy_rulelang.backends import (BACKENDS, MAX_DEFAULT_WORKERS, RAY_BLOCK_SIZE, RAY_EXTRA, RayOptions,
                                     default_workers, ray_options)


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
WORKERS = typer.Option(None, "--workers", "--n-process", "-n", help=f"Workers: processes on this machine, or Ray actors, each loading the pipeline once (default: one per CPU this process may use, at most {MAX_DEFAULT_WORKERS}; here {default_workers()}; on a Ray cluster its CPUs over --num-cpus)")
NUM_CPUS = typer.Option(None, "--num-cpus", help="ray: CPUs per actor (default 1)")
NUM_GPUS = typer.Option(None, "--num-gpus", help="ray: GPUs per actor, e.g. 1 or 0.5 for a transformer pipeline (default 0)")
BLOCK_SIZE = typer.Option(None, "--block-size", help=f"Inputs per block, the unit a worker runs and Ray retries (default: local blocks of about 0.5 s of work, so that a block's overhead stays under 5%; ray {RAY_BLOCK_SIZE})")
VERBOSE = typer.Option(False, "--verbose", "-V", help="Print where the time went (blocks, overhead per block, how busy the workers were); with ray also Ray's own logs and progress bars, which otherwise go to a log file next to the output")
CODE = typer.Option(None, "--code", "-c", help="Python file to import first, e.g. one that registers custom components")
# fmt: on


def ray_settings(backend: str, address: Optional[str], workers: Optional[int],
                 num_cpus: Optional[float], num_gpus: Optional[float], block_size: Optional[int],
                 show_progress: bool = False) -> Optional[RayOptions]:
    """The command's RayOptions (None for the local backend) from the shared parameters,
    in the order a command lists them; errors as `backends.ray_options`."""
    return ray_options(backend, address=address, workers=workers, num_cpus=num_cpus,
                       num_gpus=num_gpus, block_size=block_size, show_progress=show_progress)


@dataclass(frozen=True)
class RaySettings:
    """The shared settings of one command line, as given."""

    backend: str = "local"
    address: Optional[str] = None
    workers: Optional[int] = None
    num_cpus: Optional[float] = None
    num_gpus: Optional[float] = None
    block_size: Optional[int] = None
    verbose: bool = False

    def options(self) -> Optional[RayOptions]:
        """RayOptions (None for the local backend); errors as `backends.ray_options`."""
        return ray_settings(self.backend, self.address, self.workers, self.num_cpus,
                            self.num_gpus, self.block_size, show_progress=self.verbose)

    @property
    def n_process(self) -> int:
        """Local worker processes: --workers, or one per CPU (1 with the ray backend)."""
        if self.backend != "local":
            return 1
        return default_workers() if self.workers is None else self.workers

    @property
    def local_block_size(self) -> Optional[int]:
        return self.block_size if self.backend == "local" else None


# name, type and typer option of each shared parameter, in the order --help lists them
RAY_PARAMETERS = (("backend", str, BACKEND), ("workers", Optional[int], WORKERS),
                  ("block_size", Optional[int], BLOCK_SIZE), ("verbose", bool, VERBOSE),
                  ("address", Optional[str], ADDRESS), ("num_cpus", Optional[float], NUM_CPUS),
                  ("num_gpus", Optional[float], NUM_GPUS))


def with_ray_parameters(command: Callable) -> Callable:
    """Give a typer command the shared `--backend`, `--workers`, `--block-size`, `--verbose`,
    `--address`, `--num-cpus` and `--num-gpus` options; it takes them as `ray: RaySettings`.
    Apply it below `@app.command(...)`."""
    signature = inspect.signature(command)
    own = [p for p in signature.parameters.values() if p.name != "ray"]
    shared = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=option, annotation=kind)
              for name, kind, option in RAY_PARAMETERS]

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        settings = RaySettings(**{name: kwargs.pop(name, option.default) for name, _, option in RAY_PARAMETERS})
        return command(*args, ray=settings, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + shared)  # type: ignore[attr-defined]
    annotations = {k: v for k, v in command.__annotations__.items() if k != "ray"}
    wrapper.__annotations__ = {**annotations, **{name: kind for name, kind, _ in RAY_PARAMETERS}}
    return wrapper


__all__ = ["RaySettings", "with_ray_parameters", "BACKEND", "ADDRESS", "WORKERS", "NUM_CPUS", "NUM_GPUS", "BLOCK_SIZE", "CODE", "VERBOSE",
           "literal", "ray_settings"]


def budgets_or_exit(budgets: str, max_steps: int, what: str, example: str) -> List[int]:
    """--budgets as positive numbers and --max-steps at least 1, or a clear message and exit 1
    (the review loop and adapt take the same two settings)."""
    try:
        sizes = [int(b) for b in budgets.split(",") if b.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1 or max_steps < 1:
        Printer().fail(f"--budgets takes positive numbers of {what}, e.g. {example} (got {budgets!r}); "
                       f"--max-steps must be at least 1 (got {max_steps}).", exits=1)
    return sizes
