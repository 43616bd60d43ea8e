"""Run a pipeline over a stream in worker processes: input order, bounded memory, failing fast.

Why not `nlp.pipe(n_process=N)`: when a component raises inside one of spaCy's
workers, the parent can wait forever in `proc.join()`, and after Ctrl-C the
parent hangs with its workers orphaned. Here the parent only ever blocks in one
`multiprocessing.connection.wait` (on the workers' result pipes and process
sentinels, with a timeout), so a failed batch, a dead worker, a stalled worker,
Ctrl-C, SIGTERM or a consumer that stops early all end the same way: every
worker is terminated and joined, then the error propagates.

    for doc, context in pipe_in_processes(nlp, ((text, i) for i, text in enumerate(texts)),
                                          n_process=2, batch_size=64):
        ...

`map_blocks` is the same pool for any per-block function: each worker applies
`fn(nlp, payload)` to a block and sends back only what `fn` returns (the backends'
block jobs return small results, not Docs), in input order.
"""
from __future__ import annotations

import ctypes
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, TypeVar, Union

from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens.underscore import Underscore
from spacy.util import minibatch

from spacy_rulelang.errors import Errors

__all__ = ["DEFAULT_TIMEOUT", "map_blocks", "pipe_in_processes"]

C = TypeVar("C")
R = TypeVar("R")
BlockFn = Callable[[Language, Any], Any]
DEFAULT_TIMEOUT = 600.0  # seconds without any result from the workers: a stalled worker
JOIN_TIMEOUT = 5.0  # seconds a stopping worker gets before it is killed
IDLE_POLL = 1.0  # seconds between a worker's checks that its parent is still alive
_STOP = pickle.dumps(None)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
HINT_WORKERS = ("The other workers were stopped. Run with --workers 1 to debug it in one "
                "process (the traceback is chained below).")
HINT_ONE = "The component's traceback is chained below."


def pipe_in_processes(nlp: Language, items: Iterable[Tuple[Union[str, Doc], C]], *,
                      n_process: int, batch_size: int,
                      timeout: Optional[float] = DEFAULT_TIMEOUT) -> Iterator[Tuple[Doc, C]]:
    """Like `nlp.pipe(items, as_tuples=True, n_process=n_process, batch_size=batch_size)`:
    yields (doc, context) in input order. Doc inputs keep their doc.spans and user_data.

    An exception in a component raises E140 (with the component's error chained), with
    any n_process, so that a caller handles one error; an error of the input iterator
    itself (a bad line of a corpus file) propagates as it is. With n_process > 1, a
    worker that dies or sends nothing for `timeout` seconds (None: no limit) raises
    E141. At most 2 * n_process batches are in flight.
    """
    for setting, value in (("n_process", n_process), ("batch_size", batch_size)):
        if value < 1:
            raise ValueError(Errors.E103.format(setting=setting, minimum=1, value=value))
    if n_process == 1:
        return _pipe_here(nlp, items, batch_size)
    return _pipe_in_workers(nlp, items, n_process, batch_size, timeout)


class _InputError(Exception):
    """Carries an exception of the caller's input iterator through nlp.pipe untouched."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


def _guarded(items: Iterable[Tuple[Union[str, Doc], C]]) -> Iterator[Tuple[Union[str, Doc], C]]:
    try:
        yield from items
    except Exception as err:  # noqa: BLE001  re-raised as it is by _pipe_here
        raise _InputError(err) from err


def _pipe_here(nlp: Language, items: Iterable[Tuple[Union[str, Doc], C]],
               batch_size: int) -> Iterator[Tuple[Doc, C]]:
    """n_process=1: nlp.pipe in this process, a component's exception wrapped as the
    workers' is (E140), the input iterator's own exception unchanged."""
    docs = nlp.pipe(_guarded(items), as_tuples=True, batch_size=batch_size)
    while True:
        try:
            pair = next(docs)
        except StopIteration:
            return
        except _InputError as err:
            raise err.error from err.error.__cause__
        except Exception as err:  # noqa: BLE001  a component failed
            summary = "".join(traceback.format_exception_only(type(err), err)).strip()
            raise ValueError(Errors.E140.format(n_process=1, err=summary, hint=HINT_ONE)) from err
        yield pair


def _pipe_in_workers(nlp: Language, items: Iterable[Tuple[Union[str, Doc], C]], n_process: int,
                     batch_size: int, timeout: Optional[float]) -> Iterator[Tuple[Doc, C]]:
    blocks = ((([item.to_bytes() if isinstance(item, Doc) else item for item, _ in pairs]),
               [context for _, context in pairs]) for pairs in minibatch(items, batch_size))
    for data, contexts in _map_in_workers(nlp, blocks, _annotate, n_process, timeout):
        for doc_bytes, context in zip(data, contexts):
            yield Doc(nlp.vocab).from_bytes(doc_bytes), context


def _annotate(nlp: Language, payloads: List[Union[str, bytes]]) -> List[bytes]:
    """pipe_in_processes' block function: texts or Doc bytes in, annotated Doc bytes out."""
    inputs = [Doc(nlp.vocab).from_bytes(p) if isinstance(p, bytes) else p for p in payloads]
    return [doc.to_bytes() for doc in nlp.pipe(inputs, batch_size=len(inputs))]


def map_blocks(nlp: Language, blocks: Iterable[Tuple[Any, C]], fn: Callable[[Language, Any], R], *,
               n_process: int, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Iterator[Tuple[R, C]]:
    """(fn(nlp, payload), context) per (payload, context) block, in input order.

    With n_process > 1, `n_process` forked workers (they inherit `nlp` and `fn`) run the
    blocks, at most 2 * n_process in flight; what `fn` returns is pickled back, so it
    should be small. Errors as `pipe_in_processes`: E140 for an exception in `fn` (any
    n_process), E141 for a dead or stalled worker; an error of the `blocks` iterator
    itself propagates as it is, after the workers are stopped."""
    if n_process < 1:
        raise ValueError(Errors.E103.format(setting="n_process", minimum=1, value=n_process))
    if n_process == 1:
        return _map_here(nlp, blocks, fn)
    return _map_in_workers(nlp, blocks, fn, n_process, timeout)


def _map_here(nlp: Language, blocks: Iterable[Tuple[Any, C]], fn: Callable[[Language, Any], R]) -> Iterator[Tuple[R, C]]:
    for payload, context in blocks:
        try:
            result = fn(nlp, payload)
        except Exception as err:  # noqa: BLE001  a component (or the block function) failed
            summary = "".join(traceback.format_exception_only(type(err), err)).strip()
            raise ValueError(Errors.E140.format(n_process=1, err=summary, hint=HINT_ONE)) from err
        yield result, context


def _map_in_workers(nlp: Language, blocks: Iterable[Tuple[Any, C]], fn: Callable[[Language, Any], R],
                    n_process: int, timeout: Optional[float]) -> Iterator[Tuple[R, C]]:
    pool = _Pool(nlp, n_process, timeout, fn)
    done = False
    try:
        with _sigterm_as_exit():
            contexts: Dict[int, C] = {}
            results: Dict[int, Any] = {}
            numbered = enumerate(blocks)
            n_sent = n_yielded = 0
            exhausted = False
            while True:
                while not exhausted and n_sent - n_yielded < 2 * n_process:
                    block = next(numbered, None)
                    if block is None:
                        exhausted = True
                        break
                    seq, (payload, context) = block
                    contexts[seq] = context
                    pool.submit(seq, payload)
                    n_sent += 1
                if n_yielded == n_sent:
                    break
                while n_yielded not in results:
                    seq, data = pool.receive()
                    results[seq] = data
                yield results.pop(n_yielded), contexts.pop(n_yielded)
                n_yielded += 1
            done = True
    finally:
        pool.stop(graceful=done)


class _RemoteTraceback(Exception):
    """The worker's traceback, chained to E140 so that it shows when debugging."""


class _Worker:
    """One process, a pipe each way, and a sender thread so the parent never blocks on a send."""

    def __init__(self, index: int, process: BaseProcess, tasks: Connection,
                 results: Connection) -> None:
        self.index = index
        self.process = process
        self.tasks = tasks
        self.results = results
        self.outstanding = 0
        self.outbox: "queue.SimpleQueue[bytes]" = queue.SimpleQueue()
        self.sender = threading.Thread(target=self._send_loop, daemon=True,
                                       name=f"rulelang-sender-{index}")

    def _send_loop(self) -> None:
        while True:
            data = self.outbox.get()
            try:
                self.tasks.send_bytes(data)
            except OSError:  # the worker is gone; the parent sees it through its sentinel
                return
            if data is _STOP:
                return

    def death(self) -> str:
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        return f"worker {self.index} (pid {self.process.pid}) {how}"


class _Pool:
    def __init__(self, nlp: Language, n_process: int, timeout: Optional[float],
                 fn: Callable[[Language, Any], Any]) -> None:
        self.n_process = n_process
        self.timeout = timeout
        self.workers: List[_Worker] = []
        # The default context (fork on Linux) inherits the nlp, the registered
        # components (also those from --code) and the underscore extensions. With
        # spawn/forkserver the nlp is pickled and the components must be importable.
        ctx = get_context()
        state = Underscore.get_state()
        try:
            for index in range(n_process):
                task_recv, task_send = ctx.Pipe(duplex=False)
                result_recv, result_send = ctx.Pipe(duplex=False)
                # Ends the child must not keep: another worker's pipes would hide
                # that worker's death (no EOF) and keep its pipes open.
                # Its own pipes' other ends, too: with them open, a worker whose parent was
                # killed never sees EOF and blocks for ever sending a result.
                inherited = [end for w in self.workers for end in (w.tasks, w.results)]
                inherited += [task_send, result_recv]
                process = ctx.Process(target=_work, name=f"rulelang-worker-{index}", daemon=True,
                                      args=(nlp, state, task_recv, result_send, inherited,
                                            os.getpid(), fn))
                process.start()
                task_recv.close()
                result_send.close()
                self.workers.append(_Worker(index, process, task_send, result_recv))
            for worker in self.workers:  # threads after the forks: a child gets none of them
                worker.sender.start()
        except BaseException:
            self.stop(graceful=False)
            raise

    def submit(self, seq: int, payload: Any) -> None:
        worker = min(self.workers, key=lambda w: w.outstanding)
        worker.outstanding += 1
        worker.outbox.put(pickle.dumps((seq, payload), protocol=pickle.HIGHEST_PROTOCOL))

    def receive(self) -> Tuple[int, Any]:
        """The next finished batch from any worker; raises E140/E141."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait([w.results for w in self.workers] +
                         [w.process.sentinel for w in self.workers], timeout=left)
            for worker in self.workers:  # replies first: one may have come before a death
                if worker.results in ready:
                    try:
                        seq, data, error = worker.results.recv()
                    except EOFError:
                        worker.process.join(JOIN_TIMEOUT)
                        raise ValueError(Errors.E141.format(n_process=self.n_process,
                                                            why=worker.death())) from None
                    worker.outstanding -= 1
                    if error is not None:
                        summary, remote = error
                        raise ValueError(Errors.E140.format(n_process=self.n_process, err=summary,
                                                            hint=HINT_WORKERS)) from _RemoteTraceback(remote)
                    return seq, data
            for worker in self.workers:
                if worker.process.sentinel in ready:
                    worker.process.join(JOIN_TIMEOUT)
                    raise ValueError(Errors.E141.format(n_process=self.n_process,
                                                        why=worker.death()))
            if not ready:
                raise ValueError(Errors.E141.format(
                    n_process=self.n_process, why=f"no result for {self.timeout:g} s"))

    def stop(self, graceful: bool) -> None:
        """Stop and reap every worker. Graceful: they finish and exit on their own
        (a few seconds at most), then whatever still runs is terminated, then killed."""
        if graceful:
            for worker in self.workers:
                worker.outbox.put(_STOP)
            deadline = time.monotonic() + JOIN_TIMEOUT
            for worker in self.workers:
                worker.process.join(max(0.0, deadline - time.monotonic()))
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self.workers:
            worker.process.join(JOIN_TIMEOUT)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        for worker in self.workers:
            if worker.sender.is_alive():  # a send to a dead worker fails at once (EPIPE)
                worker.outbox.put(_STOP)
                worker.sender.join(JOIN_TIMEOUT)
            if not worker.sender.is_alive():
                worker.tasks.close()
            worker.results.close()
            worker.process.close()
        self.workers = []


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM raises SystemExit while workers run, so the `finally` that stops them
    runs (the default action would end the parent at once and orphan them). Left
    alone when the program handles SIGTERM itself or this is not the main thread."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGTERM) is handler:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the parent dies, even by SIGKILL (which
    leaves it no `finally`). Elsewhere, the closed pipe ends and the idle check do it."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no libc handle: the pipes still end the worker
        pass


def _one_torch_thread() -> None:
    """A forked worker runs PyTorch (a transformer pipeline) on one intra-op thread. The
    parent's OpenMP thread pool does not survive a fork: a child whose first parallel op
    enters it waits for ever (a transformer's `compare -n 2` stalled until E141). One
    thread per worker is also what N workers on N CPUs want."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _work(nlp: Language, underscore_state: Tuple[dict, dict, dict], tasks: Connection,
          results: Connection, inherited: List[Connection], parent_pid: int,
          fn: Callable[[Language, Any], Any]) -> None:
    """Worker loop: (seq, payload) in, (seq, fn(nlp, payload), error) out."""
    # Ctrl-C reaches the whole process group: the parent handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for end in inherited:
        end.close()
    _die_with_parent()
    if os.getppid() != parent_pid:  # killed before the line above took effect
        return
    Underscore.load_state(underscore_state)
    _one_torch_thread()
    while True:
        if not tasks.poll(IDLE_POLL):
            if os.getppid() != parent_pid:  # the parent was killed: nobody will read
                return
            continue
        try:
            message = pickle.loads(tasks.recv_bytes())
        except EOFError:
            return
        if message is None:
            return
        seq, payload = message
        try:
            reply: Tuple[int, Any, Optional[Tuple[str, str]]] = (seq, fn(nlp, payload), None)
        except Exception as err:  # noqa: BLE001  sent to the parent, which raises E140
            summary = "".join(traceback.format_exception_only(type(err), err)).strip()
            reply = (seq, None, (summary, traceback.format_exc()))
        try:
            results.send(reply)
        except OSError:  # the parent closed our pipe: it is stopping
            return
