"""The ray backend: Ray Data reads the input in blocks and an actor pool runs the pipeline.

Why this shape: each actor loads the pipeline once (`PipeJob.load`, e.g. from the path
passed to the actor's constructor), a `map_batches` call sends it one block of inputs
and gets back each doc as bytes; Ray restarts a dead actor and retries its block
(`max_restarts`, `max_task_retries`), and with `preserve_order` the driver receives the
docs once each, in input order, streaming (`iter_batches`): it holds a few blocks, never
the corpus, and writes every output itself, so outputs do not depend on the number of
actors, the block size or which actor ran what.

Inputs: CoNLL, JSONL and .spacy files are read on the cluster by the package's own
readers (`corpus.read_items`, one read task per pass over the file, streaming blocks),
a Parquet file by `ray.data.read_parquet` (its 'text' column). Paths must be visible to
the workers (shared storage).
"""
from __future__ import annotations

import logging
import math
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import ray
import spacy
from ray.data import ActorPoolStrategy, DataContext, Dataset
from spacy.vocab import Vocab

from spacy_rulelang.io.corpus import check_parquet_texts, read_items
from spacy_rulelang.errors import Errors
from spacy_rulelang.io.parallel import _sigterm_as_exit
from spacy_rulelang.backends import PipeJob, RayOptions, decode_item, encode_item, exit_once_for_tests, reason

Rows = Iterator[Tuple[bytes, str]]
READ_BLOCK_BYTES = 1024 ** 2
KEY_STRIDE = 1 << 40  # key = pass * KEY_STRIDE + position in the pass
NO_KEY = -1  # Parquet rows: Ray Data's own order
WORKER_NICENESS = "RAY_worker_niceness"


class PipeActor:
    """One worker of the pool: loads the pipeline once, then annotates block after block."""

    def __init__(self, job: PipeJob, batch_size: int, use_gpu: bool = False) -> None:
        if use_gpu:  # Ray has set CUDA_VISIBLE_DEVICES to this actor's GPU
            spacy.require_gpu()
        self.job = job
        self.batch_size = batch_size
        self.nlp = job.load()

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        exit_once_for_tests()
        items = [decode_item(bytes(data), self.nlp.vocab) for data in batch["item"]]
        rows = self.job.run(self.nlp, items, self.batch_size)
        return {"doc": _objects([data for data, _ in rows]),
                "skip": _objects([skip for _, skip in rows]), "key": batch["key"]}


def _objects(values: Sequence[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _read_file(row: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    """All inputs of one pass over a file, read by the package's reader on a worker;
    `key` (pass, position) lets the driver check that they come back in order."""
    for pos, item in enumerate(read_items(row["path"], Vocab())):
        yield {"item": encode_item(item), "key": row["part"] * KEY_STRIDE + pos}


def _texts_to_items(batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    return {"item": _objects([encode_item(text or "") for text in batch["text"]]),
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
    return ray.data.from_items([{"item": encode_item(text), "key": pos}
                                for pos, text in enumerate(texts)])


@contextmanager
def ray_session(options: RayOptions) -> Iterator[None]:
    """Use the Ray this process already joined; else start a local one (address None)
    or join `options.address`, and leave it again at the end (SIGTERM included, so an
    embedded Ray does not outlive the command)."""
    if ray.is_initialized():
        yield
        return
    kwargs: Dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING,
                              "log_to_driver": options.show_progress}
    env: Dict[str, str] = {}
    if options.address is None:
        # logical CPUs: the actors, plus one for the read tasks
        need = math.ceil(options.workers * options.num_cpus) + 1
        kwargs.update(address="local", num_cpus=max(os.cpu_count() or 1, need))
        if options.num_gpus:
            kwargs["num_gpus"] = math.ceil(options.workers * options.num_gpus)
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


def run_job(source: Dataset, job: PipeJob, options: RayOptions) -> Rows:
    """(doc bytes, "") or (b"", skip reason) per input row, in input order, streaming."""
    blocks = source.repartition(target_num_rows_per_block=options.batch_size)
    # A dead actor is restarted and its block retried: Ray Data's actor pools default to
    # max_restarts=-1 and max_task_retries=-1 (passing them is deprecated since 2.60).
    annotated = blocks.map_batches(
        PipeActor, fn_constructor_args=(job, options.batch_size, options.num_gpus > 0), batch_size=options.batch_size,
        batch_format="numpy", compute=ActorPoolStrategy(size=options.workers),
        num_cpus=options.num_cpus, num_gpus=options.num_gpus or None)
    last = NO_KEY
    try:
        for batch in annotated.iter_batches(batch_size=options.batch_size, batch_format="numpy"):
            for data, skip, key in zip(batch["doc"], batch["skip"], batch["key"]):
                if key != NO_KEY:
                    if key <= last:  # a doc twice, or out of input order
                        raise RuntimeError(f"internal error (please report it): ray backend input {key} came after {last}")
                    last = key
                yield bytes(data), str(skip)
    except ray.exceptions.RayError as err:
        raise ValueError(Errors.E175.format(err=_first_line(err))) from err


def _first_line(err: BaseException) -> str:
    lines = [line for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__


def pipe_file(path: Path, kind: str, job: PipeJob, options: RayOptions, *, repeat: int = 1,
              limit: Optional[int] = None) -> Rows:
    with ray_session(options):
        configure(options)
        yield from run_job(file_source(path, kind, repeat=repeat, limit=limit), job, options)


def pipe_texts(texts: List[str], job: PipeJob, options: RayOptions) -> Rows:
    with ray_session(options):
        configure(options)
        yield from run_job(text_source(texts), job, options)
