"""Put a set of outputs in place all at once, or not at all.

Why: a command that fails half-way (a bad input line, a full disk, kill -9) must
not leave a mix of old and new files, nor lose an earlier run's outputs. A folder
of outputs is written into a staging folder next to it and swapped in with one
atomic rename (Linux: renameat2 with RENAME_EXCHANGE); a single file is written
to a temp file and moved over the old one with os.replace. What a killed run
left behind is removed by the next run, but only when its owner is provably gone:
each run holds an flock on a lock file next to its staging folder (and on its
temp file) for its whole life, and the kernel drops the lock when the process
ends, however it ends. A pid in a name is not proof: another host, or another
PID namespace sharing the volume (containers), has its own pid numbers. Leftovers
without a lock file (an older version's) fall back to the pid check.
"""
from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Callable, Dict, Iterator, List, Optional, Pattern, Tuple, Type, Union

from spacy_rulelang.errors import Errors

try:
    import fcntl
except ImportError:  # Windows: the pid check alone
    fcntl = None  # type: ignore[assignment]

__all__ = ["AtomicOutputDir", "atomic_file"]

AT_FDCWD = -100
RENAME_EXCHANGE = 2
# renameat2 errors that mean "not on this kernel or file system": use two renames
NO_EXCHANGE_ERRNOS = {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}
# errors of writing itself, whichever file they name
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _load_renameat2() -> Optional[Callable[..., int]]:
    if not sys.platform.startswith("linux"):
        return None
    try:
        func = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no libc handle, or glibc < 2.28
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_RENAMEAT2 = _load_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically. False where the platform or file system
    cannot; any other failure raises OSError."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in NO_EXCHANGE_ERRNOS:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _swap_in(staging: Path, target: Path, token: str) -> Optional[Path]:
    """Put `staging` at `target`; returns where the previous `target` now is (to remove).
    `token`: the run's `{pid}-{hex}`, whose lock file also covers the old folder."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return None
    if _exchange(staging, target):
        return staging
    old = target.parent / f".{target.name}.old-{token}"
    os.rename(target, old)  # a kill between these two renames: the next run restores `old`
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(old, target)
        raise
    return old


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    except OverflowError:  # no such pid
        return False
    return True


def _take_lock(path: Path, create: bool) -> Optional[int]:
    """An fd holding an exclusive flock on `path`, or None when another process holds it
    or the file is gone. create=True makes a new file (it must not exist) and waits for
    the lock; create=False only tries (a cleaner). Without fcntl: a plain fd."""
    flags = os.O_RDWR | (os.O_CREAT | os.O_EXCL if create else 0)
    try:
        fd = os.open(path, flags, 0o666)
    except FileNotFoundError:
        if create:
            raise
        return None
    if fcntl is None:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if create else fcntl.LOCK_EX | fcntl.LOCK_NB)
        # A cleaner may have taken the new file's lock first and removed it: the path
        # must still be this file, or the lock protects nothing.
        if create and os.stat(path).st_ino != os.fstat(fd).st_ino:
            raise FileNotFoundError(errno.ENOENT, "removed while being locked", str(path))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _owner_gone(path: Path, pid: int) -> Tuple[bool, Optional[int]]:
    """Whether the run that made `path` (a temp file) is provably gone: its flock is free
    and its pid is not alive here (an older version's file has no lock, only a pid).
    Returns the fd holding the lock while the caller removes the file."""
    if fcntl is None:
        return not _pid_alive(pid), None
    fd = _take_lock(path, create=False)
    if fd is None:
        return False, None
    if _pid_alive(pid):
        os.close(fd)
        return False, None
    return True, fd


def _tmp_pattern(name: Optional[str]) -> Pattern[str]:
    """`.{name}.{pid}-{hex}.tmp` (atomic_file) or `.{name}.{8 chars}.tmp` (tempfile.mkstemp,
    as the earlier implementation made them inside the output folder)."""
    base = ".+" if name is None else re.escape(name)
    return re.compile(rf"^\.{base}\.(?:(\d+)-[0-9a-f]+|[a-z0-9_]{{8}})\.tmp$")


def _remove_stale_tmp(folder: Path, name: Optional[str] = None) -> None:
    pattern = _tmp_pattern(name)
    with os.scandir(folder) as entries:
        for entry in entries:
            match = pattern.match(entry.name)
            if match is None or not entry.is_file(follow_symlinks=False):
                continue
            if match.group(1) is None:  # mkstemp's name: an older version's, no pid
                os.unlink(entry.path)
                continue
            gone, fd = _owner_gone(Path(entry.path), int(match.group(1)))
            try:
                if gone:
                    os.unlink(entry.path)
            finally:
                if fd is not None:
                    os.close(fd)


def _lock_path(target: Path, token: str) -> Path:
    return target.parent / f".{target.name}.run-{token}.lock"


def _clean_stale(target: Path) -> None:
    """Remove the staging/old folders of finished or killed runs into `target` and the
    temp files they left inside it; restore `target` from an old folder when it is
    missing. A folder whose run's lock is held (a live run, here or on another host
    or PID namespace) is left alone."""
    name = re.escape(target.name)
    folder_re = re.compile(rf"^\.{name}\.(staging|old)-((\d+)-[0-9a-f]+)$")
    lock_re = re.compile(rf"^\.{name}\.run-((\d+)-[0-9a-f]+)\.lock$")
    folders: List[Tuple[str, str, Path]] = []
    locks: Dict[str, Path] = {}
    with os.scandir(target.parent) as entries:
        for entry in entries:
            match = folder_re.match(entry.name)
            if match and entry.is_dir(follow_symlinks=False):
                folders.append((match.group(1), match.group(2), Path(entry.path)))
            match = lock_re.match(entry.name)
            if match and entry.is_file(follow_symlinks=False):
                locks[match.group(1)] = Path(entry.path)
    held: Dict[str, int] = {}  # the locks of gone runs, held while their folders go
    try:
        for token, lock in locks.items():
            fd = _take_lock(lock, create=False)
            if fd is not None:
                held[token] = fd
        stale = [(kind, path) for kind, token, path in folders
                 if token in held or (token not in locks and not _pid_alive(int(token.split("-")[0])))]
        olds = sorted((path for kind, path in stale if kind == "old"), key=lambda p: p.stat().st_mtime)
        if olds and not os.path.lexists(target):  # killed between the two fallback renames
            os.rename(olds[-1], target)
            stale = [(kind, path) for kind, path in stale if path != olds[-1]]
        for _, path in stale:
            shutil.rmtree(path)
        for token in held:
            locks[token].unlink(missing_ok=True)
    finally:
        for fd in held.values():
            os.close(fd)
    if target.is_dir():
        _remove_stale_tmp(target)


def _is_write_error(err: OSError, where: Path) -> bool:
    """Whether `err` comes from writing under `where` (not, say, from reading an input)."""
    where = Path(os.path.abspath(where))
    for name in (err.filename, err.filename2):
        if isinstance(name, (str, bytes, os.PathLike)) and \
                Path(os.path.abspath(os.fsdecode(name))).is_relative_to(where):
            return True
    return err.errno in WRITE_ERRNOS


def _link_or_copy(src: str, dst: str) -> str:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or no hard links there: copy instead
        shutil.copy2(src, dst)
    return dst


def _carry_over(src: Path, dst: Path) -> None:
    """Link into `dst` every entry of `src` that `dst` lacks (folders merged), so a
    user's own files and other runs' subfolders survive the swap."""
    with os.scandir(src) as entries:
        for entry in entries:
            target = dst / entry.name
            if os.path.lexists(target):
                if entry.is_dir(follow_symlinks=False) and target.is_dir() and not target.is_symlink():
                    _carry_over(Path(entry.path), target)
            elif entry.is_symlink():
                os.symlink(os.readlink(entry.path), target)
            elif entry.is_dir():
                shutil.copytree(entry.path, target, symlinks=True, copy_function=_link_or_copy)
            else:
                _link_or_copy(entry.path, str(target))


def _cwd_inside(target: Path) -> Optional[str]:
    """The working directory when it lies in `target` (the swap moves it away)."""
    try:
        cwd = os.getcwd()
    except FileNotFoundError:
        return None
    return cwd if Path(cwd).is_relative_to(target) else None


def _discard(path: Path) -> None:
    # Best effort, on a path that already failed or is done with: what cannot be
    # removed has a pid in its name, and the next run removes it.
    shutil.rmtree(path, ignore_errors=True)


class AtomicOutputDir:
    """Write a command's outputs into a staging folder, swapped in on a clean exit.

        with AtomicOutputDir("metrics") as out:
            out.path("test.json").write_text("{}", encoding="utf8")
            with out.open("results.md") as fileh:
                fileh.write("| system |")
        # "metrics" holds both new files, or, after an exception, just what it held before

    Entries of the output folder that the run does not write (a user's notes, the
    subfolder of another run) are carried over as hard links. Errors: E104 when the
    path is a file, E130 when the outputs cannot be written, E131 when they cannot
    be put in place.
    """

    def __init__(self, output_dir: Union[str, Path]) -> None:
        self.output_dir = Path(output_dir)
        if self.output_dir.exists() and not self.output_dir.is_dir():
            raise ValueError(Errors.E104.format(path=self.output_dir))
        self._target = Path(os.path.realpath(self.output_dir))  # swap a symlink's folder
        self._staging: Optional[Path] = None
        self._scratch: Dict[str, Path] = {}
        self._token = ""
        self._lock: Optional[int] = None

    def __enter__(self) -> "AtomicOutputDir":
        target = self._target
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _clean_stale(target)
        except OSError as err:
            raise ValueError(Errors.E130.format(path=self.output_dir, err=err)) from err
        self._token = token = f"{os.getpid()}-{secrets.token_hex(8)}"
        lock = _lock_path(target, token)
        try:  # the lock first: a staging folder is never without its held lock
            self._lock = _take_lock(lock, create=True)
        except OSError as err:
            lock.unlink(missing_ok=True)
            raise ValueError(Errors.E274.format(path=lock, err=err)) from err
        staging = target.parent / f".{target.name}.staging-{token}"
        try:
            os.mkdir(staging)
        except OSError as err:
            self._release()
            raise ValueError(Errors.E130.format(path=self.output_dir, err=err)) from err
        self._staging = staging
        return self

    def _release(self) -> None:
        """Drop the run's lock; its file goes too unless a folder of the run is left
        (a failed removal): the next run then sees a free lock and removes them."""
        if self._lock is None:
            return
        target, token = self._target, self._token
        left = [target.parent / f".{target.name}.{kind}-{token}" for kind in ("staging", "old")]
        try:
            if not any(os.path.lexists(path) for path in left):
                _lock_path(target, token).unlink(missing_ok=True)
        finally:
            os.close(self._lock)
            self._lock = None

    def _active(self) -> Path:
        if self._staging is None:
            raise RuntimeError("internal error: AtomicOutputDir is used in a `with` statement")
        return self._staging

    def path(self, name: str) -> Path:
        """Where to write the output `name` (a path relative to the output folder)."""
        path = self._active() / name
        if path.parent != self._staging:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise ValueError(Errors.E130.format(path=self.output_dir, err=err)) from err
        return path

    def open(self, name: str, mode: str = "w") -> IO:
        path = self.path(name)
        try:
            return path.open(mode) if "b" in mode else path.open(mode, encoding="utf8")
        except OSError as err:
            raise ValueError(Errors.E130.format(path=self.output_dir, err=err)) from err

    def scratch(self, name: str) -> Path:
        """A file for intermediate results, removed at exit whatever happens."""
        if name not in self._scratch:
            self._scratch[name] = self._active() / f".{name}.scratch.tmp"
        return self._scratch[name]

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        try:
            self._finish(exc)
        finally:
            self._release()

    def _finish(self, exc: Optional[BaseException]) -> None:
        staging = self._active()
        self._staging = None
        scratch, self._scratch = list(self._scratch.values()), {}
        if exc is not None:
            _discard(staging)
            if isinstance(exc, OSError) and _is_write_error(exc, staging):
                raise ValueError(Errors.E130.format(path=self.output_dir, err=exc)) from exc
            return None  # the exception goes on
        target = self._target
        cwd = _cwd_inside(target)
        try:
            for path in scratch:
                path.unlink(missing_ok=True)
            if target.is_dir():
                _carry_over(target, staging)
                shutil.copymode(target, staging)
            previous = _swap_in(staging, target, self._token)
        except OSError as err:
            _discard(staging)
            raise ValueError(Errors.E131.format(path=self.output_dir, err=err)) from err
        if cwd is not None:  # e.g. --output . : follow the path into the new folder
            os.chdir(cwd)
        if previous is not None:
            _discard(previous)
        return None


@contextmanager
def atomic_file(path: Union[str, Path]) -> Iterator[Path]:
    """Yield a temp path next to `path`; on a clean exit it replaces `path`, else it
    is removed, so a reader sees the old file or the new one, never a truncated one.

        with atomic_file("corpus/train.spacy") as tmp:
            doc_bin.to_disk(tmp)
    """
    path = Path(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(8)}.tmp"
    lock: Optional[int] = None  # held on the temp file until it is in place or removed
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_tmp(path.parent, path.name)
        lock = _take_lock(tmp, create=True)
        if path.is_file():
            shutil.copymode(path, tmp)
    except OSError as err:
        if lock is not None:
            tmp.unlink(missing_ok=True)
            os.close(lock)
        raise ValueError(Errors.E130.format(path=path, err=err)) from err
    try:
        try:
            yield tmp
        except BaseException as err:
            tmp.unlink(missing_ok=True)
            if isinstance(err, OSError) and _is_write_error(err, tmp):
                raise ValueError(Errors.E130.format(path=path, err=err)) from err
            raise
        try:
            os.replace(tmp, path)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise ValueError(Errors.E131.format(path=path, err=err)) from err
    finally:
        if lock is not None:
            os.close(lock)
