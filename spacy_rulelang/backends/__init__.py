"""Where a pipeline runs: `local` (this process, or worker processes with --workers)
or `ray` (an actor pool on a Ray cluster, `ray_backend`, imported only when chosen).

Why blocks and small results: a `BlockJob` says what a worker does with one block of
inputs (prepare each with `corpus.pipeline_input`, run the pipeline, then the command's
per-document stage: compare's disagreement records and counters, weak-label's DocBin
bytes, tag's records) and only that stage's result travels back. The driver merges the
results in input order and writes; it never rebuilds a Doc. The same `BlockJob.run`
runs in this process (`run_local` with one worker), in forked workers
(`io.parallel.map_blocks`) and in Ray actors (`ray_backend.run_blocks`).
"""
from __future__ import annotations

import math
import os
import pickle
import sys
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from spacy_rulelang.io.corpus import pipeline_input
from spacy_rulelang.io.parallel import map_blocks
from spacy_rulelang.errors import Errors

BACKENDS = ("local", "ray")
RAY_EXTRA = 'pip install "spacy-rulelang[ray]"'
MAX_DEFAULT_WORKERS = 8  # beyond this, a default should not take a whole big machine
BLOCK_SECONDS = 0.5  # local blocks: about this much work each, so that the ~1 ms a block
#                      costs (pipes, pickling, merging) stays far below 5% of its time
MAX_BLOCK_ITEMS = 4096
RAY_BLOCK_SIZE = 512  # a Ray task costs ~10-30 ms: a CNN block of 512 runs ~1 s
Row = Tuple[Optional[Doc], str]  # (annotated doc, "") or (None, why the input was skipped)
# Tests only: the first actor batch that finds no file at this path creates it and exits.
TEST_EXIT_ONCE_ENV = "RULELANG_TEST_RAY_EXIT_ONCE"


class CurrentStderr:
    """Writes to whatever `sys.stderr` is when it writes: a progress bar made before a quiet
    Ray session starts (which sends file descriptor 2 to its log) stays on the terminal."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, e.g. a container's share)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """What pays by default: one worker per CPU this process may use, at most
    MAX_DEFAULT_WORKERS (spaCy's CNN runs one thread per process)."""
    return max(1, min(available_cpus(), MAX_DEFAULT_WORKERS))


@dataclass(frozen=True)
class RayOptions:
    """How the ray backend runs: `address` None starts a local Ray in this process,
    "auto" or "ray://HOST:PORT" joins a cluster; `workers` actors (the pool size; None:
    the CPUs of this machine, or of the cluster, over `num_cpus`), each with `num_cpus` /
    `num_gpus`; `batch_size` inputs per actor call (one block); `show_progress`: Ray's
    progress bars and logs on the terminal (--verbose), else Ray's logs go to `log_file`."""

    address: Optional[str] = None
    workers: Optional[int] = None
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    batch_size: int = RAY_BLOCK_SIZE
    show_progress: bool = False
    log_file: Optional[Path] = None

    def check(self) -> None:
        for setting, value, minimum in (("--workers", 1 if self.workers is None else self.workers, 1),
                                        ("--block-size", self.batch_size, 1),
                                        ("--num-cpus", self.num_cpus, 0),
                                        ("--num-gpus", self.num_gpus, 0)):
            if value < minimum:
                raise ValueError(Errors.E103.format(setting=setting, minimum=minimum, value=value))


@dataclass
class BlockResult:
    """What comes back for one block: the stage's `result`, the block's `n_items` inputs,
    and the worker's seconds on it: `work_s` in the pipeline and stage, `busy_s` in all
    (decoding the inputs and pickling the result too)."""

    result: Any
    n_items: int
    work_s: float
    busy_s: float


@dataclass(frozen=True)
class BlockJob:
    """What a worker does with a block. `load` (picklable, e.g. a functools.partial of a
    module function with the pipeline's path) runs once per Ray actor (local workers fork
    the driver's pipeline); inputs (texts, Docs or `encode_item` values) are prepared as
    `pipeline_input(item, vocab, gold_key, skip_empty)` prepares them and run through
    the pipeline `batch_size` at a time; `stage(nlp, rows)` gets (doc, "") or (None, skip
    reason) per input, in order, and returns the block's small result (what the driver
    merges)."""

    load: Callable[[], Language]
    stage: Callable[[Language, Iterator[Row]], Any]
    gold_key: Optional[str] = None
    skip_empty: bool = False
    batch_size: int = 64

    def run(self, nlp: Language, items: Sequence[Any]) -> Tuple[bytes, int, float, float]:
        """(pickled stage result, n items, work seconds, busy seconds) for one block of
        `encode_item` values (or the items themselves)."""
        start = time.perf_counter()
        inputs, slots = [], []
        for data in items:
            if isinstance(data, (list, tuple)):  # an encoded gold doc: one Doc, not two
                value, skip = self._gold_input(data, nlp.vocab)
            else:
                value, skip = pipeline_input(data, nlp.vocab, self.gold_key, self.skip_empty)
            slots.append(skip or "")
            if value is not None:
                inputs.append(value)
        work_start = time.perf_counter()
        docs = iter(nlp.pipe(inputs, batch_size=self.batch_size))
        result = self.stage(nlp, ((None, skip) if skip else (next(docs), "") for skip in slots))
        work = time.perf_counter() - work_start
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        return data, len(slots), work, time.perf_counter() - start

    def _gold_input(self, data: Sequence[Any], vocab: Vocab) -> Tuple[Optional[Doc], Optional[str]]:
        """`pipeline_input` of the gold doc that `encode_item` encoded, built from its parts."""
        words, spaces, ents = data
        if self.skip_empty and not words:
            return None, "empty_doc"
        doc = Doc(vocab, words=list(words), spaces=[bool(space) for space in spaces])
        if self.gold_key is not None:
            doc.spans[self.gold_key] = [Span(doc, int(start), int(end), label=label)
                                        for start, end, label in ents]
        return doc, None


def encode_item(item: Union[str, Doc]) -> Union[str, Tuple[List[str], List[bool], List[Tuple[int, int, str]]]]:
    """An input as it travels to a worker: a text, or a gold doc's words, spaces and
    entities (all `pipeline_input` reads of it; a fraction of `Doc.to_bytes`)."""
    if isinstance(item, str):
        return item
    return ([t.text for t in item], [bool(t.whitespace_) for t in item],
            [(e.start, e.end, e.label_) for e in item.ents])


@dataclass
class BlockStats:
    """Where a run's time went, per block (printed by --verbose): the workers' `work_s`
    (pipeline and stage) and `busy_s` (also decoding inputs and pickling results), the
    driver's `driver_s` per block (encoding, unpickling and merging) and `read_s` (reading
    the input, which any design pays once per doc), and the `wall_s`."""

    workers: int = 1
    blocks: int = 0
    items: int = 0
    work_s: float = 0.0
    busy_s: float = 0.0
    driver_s: float = 0.0
    read_s: float = 0.0
    wall_s: float = 0.0
    sizes: List[int] = field(default_factory=list)

    def add(self, block: BlockResult) -> None:
        self.blocks += 1
        self.items += block.n_items
        self.work_s += block.work_s
        self.busy_s += block.busy_s
        if len(self.sizes) < 3 or block.n_items != self.sizes[-1]:
            self.sizes.append(block.n_items)

    @property
    def overhead(self) -> float:
        """The share of a block's time not spent in the pipeline and stage: the worker's
        decoding and pickling, and the driver's time per block."""
        total = self.busy_s + self.driver_s
        return (total - self.work_s) / total if total else 0.0

    @property
    def utilization(self) -> float:
        """How busy the workers were over the run (1.0: never idle)."""
        return self.busy_s / (self.workers * self.wall_s) if self.wall_s else 0.0

    def lines(self) -> List[str]:
        if not self.blocks:
            return ["no blocks ran"]
        per_block = 1000 * (self.busy_s + self.driver_s) / self.blocks
        sizes = ", ".join(str(n) for n in self.sizes[:6]) + (", ..." if len(self.sizes) > 6 else "")
        return [f"{self.blocks} blocks of {self.items} inputs (sizes {sizes}) on {self.workers} worker(s), "
                f"{self.wall_s:.1f} s",
                f"per block: {per_block:.0f} ms, overhead {100 * self.overhead:.1f}% (encoding, "
                f"pickling, merging); workers busy {100 * self.utilization:.0f}% of the time; "
                f"reading the input: {self.read_s:.1f} s"]


class BlockSizer:
    """Block sizes for the local backend: `fixed` when given; else a first block of one
    batch, then as many batches as take about BLOCK_SECONDS of work, from what the
    blocks so far took (a whole number of batches, so nlp.pipe's batches stay the same)."""

    def __init__(self, batch_size: int, fixed: Optional[int] = None) -> None:
        self.batch_size = batch_size
        self.fixed = fixed
        self.size = fixed or batch_size
        self.items = 0
        self.work_s = 0.0

    def update(self, block: BlockResult) -> None:
        self.items += block.n_items
        self.work_s += block.work_s
        if self.fixed or not self.items or self.work_s <= 0:
            return
        per_item = self.work_s / self.items
        batches = max(1, math.floor(BLOCK_SECONDS / per_item / self.batch_size))
        self.size = min(MAX_BLOCK_ITEMS, batches * self.batch_size) or self.batch_size


def run_local(job: BlockJob, nlp: Language, items: Iterable[Union[str, Doc]], *,
              n_process: int = 1, block_size: Optional[int] = None,
              stats: Optional[BlockStats] = None) -> Iterator[BlockResult]:
    """The local executor: `job.run` over blocks of ITEMS, in this process (one worker,
    or an input that fits one block) or in `n_process` forked workers that inherit
    `nlp`; yields each block's result in input order. The driver only reads the input
    and merges what comes back."""
    for setting, value in (("--workers", n_process),
                           ("--block-size", 1 if block_size is None else block_size)):
        if value < 1:
            raise ValueError(Errors.E103.format(setting=setting, minimum=1, value=value))
    sizer = BlockSizer(job.batch_size, block_size)
    stats = BlockStats() if stats is None else stats
    start = time.perf_counter()
    driver = 0.0
    items = iter(items)
    first = list(islice(items, sizer.size))
    peek = list(islice(items, 1))
    read = time.perf_counter() - start
    workers = n_process if peek else 1  # one block: no pool to start
    stats.workers = workers
    encode = (lambda item: item) if workers == 1 else encode_item

    def blocks() -> Iterator[Tuple[List[Any], None]]:
        nonlocal driver, read
        block, rest = first, peek
        while block:
            t0 = time.perf_counter()
            payload = [encode(item) for item in block]
            driver += time.perf_counter() - t0
            yield payload, None
            t0 = time.perf_counter()
            block = rest + list(islice(items, sizer.size - len(rest)))
            rest = []
            read += time.perf_counter() - t0

    try:
        for (data, n_items, work_s, busy_s), _ in map_blocks(nlp, blocks(), job.run, n_process=workers):
            t0 = time.perf_counter()
            block = BlockResult(pickle.loads(data), n_items, work_s, busy_s)
            sizer.update(block)
            stats.add(block)
            driver += time.perf_counter() - t0
            t0 = time.perf_counter()
            yield block
            driver += time.perf_counter() - t0
    finally:
        stats.driver_s = driver
        stats.read_s = read
        stats.wall_s = time.perf_counter() - start


def exit_once_for_tests() -> None:
    """The fault test's hook: with TEST_EXIT_ONCE_ENV set, the first worker batch
    that finds no marker file creates it and ends its process (as a crash would)."""
    marker = os.environ.get(TEST_EXIT_ONCE_ENV)
    if marker and not os.path.exists(marker):
        with open(marker, "w", encoding="utf8"):
            pass
        os._exit(1)


def ray_options(backend: str, *, address: Optional[str] = None, workers: Optional[int] = None,
                num_cpus: Optional[float] = None, num_gpus: Optional[float] = None,
                block_size: Optional[int] = None, show_progress: bool = False) -> Optional[RayOptions]:
    """The RayOptions for backend "ray", None for "local", built once from the settings a
    user gave (None: not given, the default). E170 for an unknown backend, E173 for a ray
    setting given with the local backend (--workers and --block-size serve both), E103
    for a value too small, E171 without Ray."""
    given = {"--address": address, "--num-cpus": num_cpus, "--num-gpus": num_gpus}
    if backend != "ray":
        check_backend(backend)
        for setting, value in given.items():
            if value is not None:
                raise ValueError(Errors.E173.format(setting=setting))
        return None
    defaults = RayOptions()
    options = RayOptions(address=address, workers=workers,
                         num_cpus=defaults.num_cpus if num_cpus is None else num_cpus,
                         num_gpus=defaults.num_gpus if num_gpus is None else num_gpus,
                         batch_size=defaults.batch_size if block_size is None else block_size,
                         show_progress=show_progress)
    check_backend(backend, options)
    return options


def reason(err: BaseException) -> str:
    """An error's text to sit inside one of our sentences: without its final period, so a
    message reads "...: could not connect. Without..." and not "connect.. Without"."""
    return str(err).rstrip().rstrip(".")


def check_backend(backend: str, options: Optional[RayOptions] = None) -> None:
    if backend not in BACKENDS:
        raise ValueError(Errors.E170.format(backend=backend, allowed=", ".join(BACKENDS)))
    if backend == "ray":
        (options or RayOptions()).check()
        load_ray_backend()


def load_ray_backend():
    """The ray backend module; E171 (how to install the extra) when Ray Data is missing."""
    try:
        import importlib

        module = importlib.import_module(f"{__name__}.ray_backend")
    except ImportError as err:
        raise ValueError(Errors.E171.format(err=err)) from None
    return module
