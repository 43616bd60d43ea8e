"""Where a pipeline runs: `local` (this process, or worker processes with --n-process)
or `ray` (an actor pool on a Ray cluster, `ray_backend`, imported only when chosen).

Why the pieces here know nothing of Ray: a `PipeJob` says what every worker does (load
the pipeline once, prepare each input with `corpus.pipeline_input`, optionally finish
each doc), and the driver turns what comes back into Docs in input order, so the
commands' own code (compare's ranking and outputs, weak-label's DocBin, tag's records)
is the same whatever the backend.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, List, Optional, Tuple, Union

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

from spacy_rulelang.io.corpus import pipeline_input
from spacy_rulelang.errors import Errors

BACKENDS = ("local", "ray")
RAY_EXTRA = 'pip install "spacy-rulelang[ray]"'
# Tests only: the first actor batch that finds no file at this path creates it and exits.
TEST_EXIT_ONCE_ENV = "RULELANG_TEST_RAY_EXIT_ONCE"


@dataclass(frozen=True)
class RayOptions:
    """How the ray backend runs: `address` None starts a local Ray in this process,
    "auto" or "ray://HOST:PORT" joins a cluster; `workers` actors (the pool size), each
    with `num_cpus` / `num_gpus`; `batch_size` inputs per actor call (one block)."""

    address: Optional[str] = None
    workers: int = 1
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    batch_size: int = 256
    show_progress: bool = False

    def check(self) -> None:
        for setting, value, minimum in (("--workers", self.workers, 1),
                                        ("--batch-size", self.batch_size, 1),
                                        ("--num-cpus", self.num_cpus, 0),
                                        ("--num-gpus", self.num_gpus, 0)):
            if value < minimum:
                raise ValueError(Errors.E103.format(setting=setting, minimum=minimum, value=value))


@dataclass(frozen=True)
class PipeJob:
    """What each worker does. `load` (picklable, e.g. a functools.partial of a module
    function with the pipeline's path) runs once per worker; inputs are prepared by
    `pipeline_input(item, vocab, gold_key, skip_empty)`; `finish(nlp, doc)`, when set,
    turns each annotated doc into the doc sent back (e.g. the weak-labelled one)."""

    load: Callable[[], Language]
    gold_key: Optional[str] = None
    skip_empty: bool = False
    finish: Optional[Callable[[Language, Doc], Doc]] = None

    def run(self, nlp: Language, items: Iterable[Union[str, Doc]],
            batch_size: int) -> List[Tuple[bytes, str]]:
        """(doc bytes, "") per input, or (b"", why it was skipped), in input order."""
        out: List[Tuple[bytes, str]] = []
        inputs, slots = [], []
        for item in items:
            value, skip = pipeline_input(item, nlp.vocab, self.gold_key, self.skip_empty)
            slots.append(skip or "")
            if value is not None:
                inputs.append(value)
        docs = iter(nlp.pipe(inputs, batch_size=batch_size))
        for skip in slots:
            if skip:
                out.append((b"", skip))
                continue
            doc = next(docs)
            if self.finish is not None:
                doc = self.finish(nlp, doc)
            out.append((doc.to_bytes(), ""))
        return out


def encode_item(item: Union[str, Doc]) -> bytes:
    """An input as it travels to a worker: a text, or a gold doc's bytes."""
    if isinstance(item, str):
        return srsly.msgpack_dumps({"text": item})
    return srsly.msgpack_dumps({"doc": item.to_bytes()})


def decode_item(data: bytes, vocab: Vocab) -> Union[str, Doc]:
    record = srsly.msgpack_loads(data)
    if "text" in record:
        return record["text"]
    return Doc(vocab).from_bytes(record["doc"])


def decoded_docs(rows: Iterable[Tuple[bytes, str]], vocab: Vocab) -> Iterator[Tuple[int, Optional[Doc], str]]:
    """(input position, doc or None, skip reason) from a backend's rows in input order."""
    for idx, (data, skip) in enumerate(rows):
        yield idx, (None if skip else Doc(vocab).from_bytes(data)), skip


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
    setting given with the local backend, E103 for a value too small, E171 without Ray."""
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
