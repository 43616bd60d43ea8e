"""The ray backend: Ray Data reads the input in blocks and an actor pool runs the job.

Why this shape: each actor loads the pipeline once (`BlockJob.load`), a `map_batches`
call hands it one block of inputs and it runs `BlockJob.run` on it, as a local worker
does: the pipeline and the command's stage, and only the stage's small result (one row
per block) goes back through the object store. Ray restarts a dead actor and retries its
block, and with `preserve_order` the driver receives each block once, in input order,
streaming: it merges and writes, holds a few results, never the corpus, so outputs do
not depend on the number of actors, the block size or which actor ran what.

Why quiet: unless --verbose (`show_progress`), Ray's Python loggers and whatever Ray
writes to this process's stderr (its C++ core worker, the token-auth notice) go to
`RayOptions.log_file`, and the workers' output stays in Ray's session logs.

Inputs: CoNLL, JSONL and .spacy files are read on the cluster by the package's own
readers (`corpus.read_items`, one read task per pass over the file, streaming blocks),
a Parquet file by `ray.data.read_parquet` (its 'text' column). Paths must be visible to
the workers (shared storage).
"""
from __future__ import annotations

import logging
import math
import os
import pickle
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import numpy as np
import ray
import ray.data
import spacy
from ray.data import ActorPoolStrategy, DataContext, Dataset
from spacy.vocab import Vocab

from spacy_rulelang.io.corpus import check_parquet_texts, read_items
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.parallel import _sigterm_as_exit
from spacy_rulelang.backends import (BlockJob, BlockResult, BlockStats, RayOptions, available_cpus,
                                     encode_item, exit_once_for_tests, reason)

Results = Iterator[BlockResult]
READ_BLOCK_BYTES = 1024 ** 2
RAY_LOGGERS = ("ray", "ray.data")
DEFAULT_LOG = "spacy-rulelang-ray.log"  # in the temp folder, for commands without an output folder
_QUIET: List[logging.Handler] = []  # the log file handlers of the quiet sessions now open
KEY_STRIDE = 1 << 40  # key = pass * KEY_STRIDE + position in the pass
NO_KEY = -1  # Parquet rows: Ray Data's own order
WORKER_NICENESS = "RAY_worker_niceness"


class PipeActor:
    """One worker of the pool: loads the pipeline once, then runs the job block after block."""

    def __init__(self, job: BlockJob, use_gpu: bool = False) -> None:
        if use_gpu:  # Ray has set CUDA_VISIBLE_DEVICES to this actor's GPU
            spacy.require_gpu()
        self.job = job
        self.nlp = job.load()

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """One block in, one row out: the stage's pickled result, the block's first and
        last input key (the driver checks the order) and the worker's seconds."""
        exit_once_for_tests()
        start = time.perf_counter()
        items = [pickle.loads(data) for data in batch["item"]]
        data, n_items, work_s, busy_s = self.job.run(self.nlp, items)
        keys = batch["key"]
        if any(b <= a for a, b in zip(keys, keys[1:]) if a != NO_KEY):
            raise RuntimeError("internal error (please report it): a ray block's inputs are out of order")
        busy_s = time.perf_counter() - start  # with decoding the block's rows
        return {"result": _objects([data]), "n": np.array([n_items]), "first": keys[:1],
                "last": keys[-1:], "work": np.array([work_s]), "busy": np.array([busy_s])}


def _dumps(value: Any) -> bytes:
    """An input row's bytes: pickle, ~2 us a row to load (srsly's msgpack takes ~400 us)."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _objects(values: Sequence[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _read_file(row: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    """All inputs of one pass over a file, read by the package's reader on a worker;
    `key` (pass, position) lets the driver check that they come back in order."""
    for pos, item in enumerate(read_items(row["path"], Vocab())):
        yield {"item": _dumps(encode_item(item)), "key": row["part"] * KEY_STRIDE + pos}


def _texts_to_items(batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    return {"item": _objects([_dumps(text or "") for text in batch["text"]]),
            "key": np.full(len(batch["text"]), NO_KEY, dtype=np.int64)}


def file_source(path: Path, kind: str, *, repeat: int = 1, limit: Optional[int] = None) -> Dataset:
    """The inputs of PATH, `repeat` times over, the first `limit` of them, as rows {"item"}."""
    if kind == "parquet":
        check_parquet_texts(path)
        paths = [str(Path(path).resolve())] * repeat
        ds = ray.data.read_parquet(paths).select_columns(["text"]).map_batches(
            _texts_to_items, batch_format="numpy")
    else:
        rows = [{"path": str(Path(path).resolve()), "part": part} for part in range(repeat)]
        ds = ray.data.from_items(rows, override_num_blocks=repeat).flat_map(_read_file)
    return ds if limit is None else ds.limit(limit)


def text_source(texts: Sequence[str]) -> Dataset:
    """In-memory texts (e.g. what `tag` read from stdin) as rows {"item"}."""
    return ray.data.from_items([{"item": _dumps(text), "key": pos}
                                for pos, text in enumerate(texts)])


def log_path(options: RayOptions) -> Path:
    return Path(options.log_file) if options.log_file else Path(tempfile.gettempdir()) / DEFAULT_LOG


@contextmanager
def quiet_ray(options: RayOptions) -> Iterator[None]:
    """Unless `options.show_progress` (--verbose): Ray's Python loggers and everything
    written to file descriptor 2 (Ray's C++ core worker logs there) go to the log file;
    this program's own stderr (sys.stderr: progress bars, messages) stays the terminal's."""
    if options.show_progress:
        yield
        return
    path = log_path(options)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # ray.init(configure_logging=False) clears the "ray" logger's handlers: what Ray logs
    # then (the token-auth notice) reaches logging.lastResort, which must not be stderr
    saved_last_resort, logging.lastResort = logging.lastResort, handler
    _QUIET.append(handler)
    saved_loggers = []
    for name in RAY_LOGGERS:
        logger = logging.getLogger(name)
        saved_loggers.append((logger, logger.handlers[:], logger.propagate))
        for old in logger.handlers[:]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.propagate = False
    sys.stderr.flush()
    saved_fd = os.dup(2)
    saved_stderr = sys.stderr
    log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    if _writes_to_fd2(saved_stderr):  # our own stderr writes keep going to the terminal
        sys.stderr = os.fdopen(os.dup(saved_fd), "w", buffering=1, encoding="utf8", errors="replace")
    try:
        yield
    finally:
        if sys.stderr is not saved_stderr:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = saved_stderr
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        for logger, handlers, propagate in saved_loggers:
            logger.removeHandler(handler)
            for old in handlers:
                if old not in logger.handlers:
                    logger.addHandler(old)
            logger.propagate = propagate
        logging.lastResort = saved_last_resort
        _QUIET.remove(handler)
        handler.close()


def _writes_to_fd2(stream: Any) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):  # e.g. a test runner's capture
        return False


def pool_size(options: RayOptions) -> int:
    """--workers, or what pays: the Ray's CPUs (all of them for an embedded Ray, one
    logical CPU being kept for the read tasks) over --num-cpus."""
    if options.workers is not None:
        return options.workers
    if options.num_gpus:
        gpus = ray.cluster_resources().get("GPU", 0) if ray.is_initialized() else 0
        return max(1, int(gpus // options.num_gpus))
    if ray.is_initialized():
        cpus = ray.cluster_resources().get("CPU", 1)
        cpus -= 1 if options.address is None and cpus > available_cpus() else 0
    else:
        cpus = available_cpus()
    return max(1, int(cpus // max(options.num_cpus, 1e-9)))


@contextmanager
def ray_session(options: RayOptions) -> Iterator[None]:
    """Use the Ray this process already joined; else start a local one (address None)
    or join `options.address`, and leave it again at the end (SIGTERM included, so an
    embedded Ray does not outlive the command). Quiet unless `options.show_progress`."""
    with quiet_ray(options):
        if ray.is_initialized():
            yield
            return
        with _started(options):
            yield


@contextmanager
def _started(options: RayOptions) -> Iterator[None]:
    verbose = options.show_progress
    kwargs: Dict[str, Any] = {"include_dashboard": False, "log_to_driver": verbose,
                              "configure_logging": verbose,
                              "logging_level": logging.INFO if verbose else logging.WARNING}
    env: Dict[str, str] = {}
    if options.address is None:
        # logical CPUs: the actors, plus one for the read tasks
        workers = pool_size(options)
        need = math.ceil(workers * options.num_cpus) + 1
        kwargs.update(address="local", num_cpus=max(available_cpus(), need))
        if options.num_gpus:
            kwargs["num_gpus"] = math.ceil(workers * options.num_gpus)
        # Ray runs workers at niceness 15; the local backend's processes run at 0, and on a
        # machine shared with other jobs a niced pool would get only their leftovers
        env[WORKER_NICENESS] = os.environ.get(WORKER_NICENESS, "0")
    else:
        kwargs["address"] = options.address
    with _sigterm_as_exit(), _environ(env):
        try:
            ray.init(**kwargs)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise ValueError(Errors.E174.format(address=options.address, err=reason(err))) from err
    if logging.lastResort in _QUIET:  # ray.init cleared the "ray" logger's handlers: ours again
        logging.getLogger("ray").addHandler(logging.lastResort)
    with _sigterm_as_exit():
        try:
            yield
        finally:
            ray.shutdown()


@contextmanager
def _environ(values: Dict[str, str]) -> Iterator[None]:
    """Environment variables for what starts inside (the raylet reads its config there)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def configure(options: RayOptions) -> None:
    """Settings of this driver's DataContext; a dataset copies them when it is created,
    so this runs before the sources are made."""
    context = DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = options.show_progress
    context.raise_original_map_exception = True  # a reader's or component's own error
    # a read task streams blocks of about this size; cut into blocks of `batch_size` rows
    # in run_job, so the actors share the work and each call handles one block
    context.target_max_block_size = min(context.target_max_block_size or READ_BLOCK_BYTES,
                                        READ_BLOCK_BYTES)


def run_blocks(source: Dataset, job: BlockJob, options: RayOptions,
               stats: Optional[BlockStats] = None) -> Results:
    """Each block's result, in input order, streaming; `stats` gets the blocks' times."""
    stats = BlockStats() if stats is None else stats
    stats.workers = workers = pool_size(options)
    start = time.perf_counter()
    blocks = source.repartition(target_num_rows_per_block=options.batch_size)
    # A dead actor is restarted and its block retried: Ray Data's actor pools default to
    # max_restarts=-1 and max_task_retries=-1 (passing them is deprecated since 2.60).
    results = blocks.map_batches(
        PipeActor, fn_constructor_args=(job, options.num_gpus > 0), batch_size=options.batch_size,
        batch_format="numpy", compute=ActorPoolStrategy(size=workers),
        num_cpus=options.num_cpus, num_gpus=options.num_gpus or None)
    last = NO_KEY
    driver = 0.0
    try:
        for batch in results.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=2):
            t0 = time.perf_counter()
            rows = zip(batch["result"], batch["n"], batch["first"], batch["last"], batch["work"], batch["busy"])
            for data, n_items, first, end, work_s, busy_s in rows:
                if first != NO_KEY:
                    if first <= last:  # a block twice, or out of input order
                        raise RuntimeError(f"internal error (please report it): ray backend input {first} came after {last}")
                    last = end
                block = BlockResult(pickle.loads(bytes(data)), int(n_items), float(work_s), float(busy_s))
                stats.add(block)
                driver += time.perf_counter() - t0
                yield block
                t0 = time.perf_counter()
            driver += time.perf_counter() - t0
    except ray.exceptions.RayError as err:
        raise ValueError(Errors.E175.format(err=_first_line(err))) from err
    finally:
        stats.driver_s = driver
        stats.wall_s = time.perf_counter() - start


def _first_line(err: BaseException) -> str:
    lines = [line for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__


def run_file(path: Path, kind: str, job: BlockJob, options: RayOptions, *, repeat: int = 1,
             limit: Optional[int] = None, stats: Optional[BlockStats] = None) -> Results:
    """The blocks' results for the inputs of PATH (`repeat` passes, the first `limit`)."""
    with ray_session(options):
        configure(options)
        yield from run_blocks(file_source(path, kind, repeat=repeat, limit=limit), job, options, stats)


def run_texts(texts: List[str], job: BlockJob, options: RayOptions,
              stats: Optional[BlockStats] = None) -> Results:
    with ray_session(options):
        configure(options)
        yield from run_blocks(text_source(texts), job, options, stats)
