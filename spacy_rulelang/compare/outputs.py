"""Write outputs to temporary files and move them into place only on success.

Why: a run that fails half-way (a bad input line, a crash) must not leave a mix
of old and new files, nor lose an earlier run's outputs.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Dict, IO, Union

from ..errors import Errors


class AtomicOutputs:
    """`with AtomicOutputs(dir) as out: out.path("summary.json")` -> a temp path in
    dir; on a clean exit each temp file replaces its target, else all are removed."""

    def __init__(self, output_dir: Union[str, Path]) -> None:
        self.output_dir = Path(output_dir)
        if self.output_dir.exists() and not self.output_dir.is_dir():
            raise ValueError(Errors.E104.format(path=self.output_dir))
        self._temps: Dict[str, Path] = {}
        self._scratch: Dict[str, Path] = {}

    def __enter__(self) -> "AtomicOutputs":
        self.output_dir.mkdir(parents=True, exist_ok=True)
        return self

    def path(self, name: str) -> Path:
        if name not in self._temps:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.output_dir)
            os.close(fd)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary files
            self._temps[name] = Path(tmp)
        return self._temps[name]

    def scratch(self, name: str) -> Path:
        """A temp file in the output folder that is removed at exit, success or not."""
        if name not in self._scratch:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.output_dir)
            os.close(fd)
            self._scratch[name] = Path(tmp)
        return self._scratch[name]

    def open(self, name: str, mode: str = "w") -> IO:
        return self.path(name).open(mode, encoding="utf8")

    def __exit__(self, exc_type, exc, tb) -> None:
        for tmp in self._scratch.values():
            tmp.unlink(missing_ok=True)
        self._scratch.clear()
        if exc_type is None:
            for name, tmp in self._temps.items():
                os.replace(tmp, self.output_dir / name)
        else:
            for tmp in self._temps.values():
                tmp.unlink(missing_ok=True)
        self._temps.clear()
