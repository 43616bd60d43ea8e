"""A staging folder is removed only when its run is provably gone (its flock is free),
never because its pid looks dead: other hosts and PID namespaces have their own pids."""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from spacy_rulelang.io.atomic import AtomicOutputDir

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="flock and unshare (Linux)")

# A writer that stops inside its run until told to go on (or is killed there).
# argv: output folder, ready flag, go flag, fake pid (0: its own).
WRITER = r'''
import os, sys, time
from pathlib import Path
out, ready, go, fake = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
if fake:
    os.getpid = lambda: fake  # how a pid from another namespace looks from here
from spacy_rulelang.io.atomic import AtomicOutputDir
with AtomicOutputDir(out) as o:
    o.path("a.txt").write_text("a")
    ready.write_text("ready")
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    o.path("b.txt").write_text("b")
print("writer done", flush=True)
'''
SECOND = r'''
import sys
from spacy_rulelang.io.atomic import AtomicOutputDir
with AtomicOutputDir(sys.argv[1]) as o:
    o.path("c.txt").write_text("c")
print("second done", flush=True)
'''
NO_PID = 4_194_305  # above Linux's largest pid_max: no such process here


def start_writer(tmp_path, out, prefix=(), fake=0):
    ready, go = tmp_path / "ready", tmp_path / "go"
    proc = subprocess.Popen([*prefix, sys.executable, "-c", WRITER, str(out), str(ready), str(go), str(fake)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not ready.exists():
        proc.kill()
        pytest.fail(f"the writer did not start: {proc.communicate()[0]}")
    return proc, go


def leftovers(out):
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def finish_writer(proc, go):
    go.write_text("go")
    output, _ = proc.communicate(timeout=120)
    return output


def test_staging_live_run_with_an_unknown_pid_is_not_removed(tmp_path):
    """The live run's pid does not exist here (as from another PID namespace), but it
    holds its lock: another run leaves its staging folder alone, and both succeed."""
    out = tmp_path / "out"
    proc, go = start_writer(tmp_path, out, fake=NO_PID)
    try:
        staging = [name for name in leftovers(out) if ".staging-" in name]
        assert len(staging) == 1 and f"-{NO_PID}-" in staging[0]
        with AtomicOutputDir(out) as second:
            second.path("c.txt").write_text("c")
        assert (out.parent / staging[0]).is_dir()
        output = finish_writer(proc, go)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "writer done" in output, output
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a.txt": "a", "b.txt": "b", "c.txt": "c"}
    assert leftovers(out) == []


def test_staging_of_a_killed_run_is_removed(tmp_path):
    """kill -9 inside the run: the folder and lock file stay, the lock is free, the next
    run removes both."""
    out = tmp_path / "out"
    proc, _ = start_writer(tmp_path, out)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = leftovers(out)
    assert any(".staging-" in name for name in left) and any(name.endswith(".lock") for name in left)
    with AtomicOutputDir(out) as run:
        run.path("c.txt").write_text("c")
    assert leftovers(out) == [] and [p.name for p in out.iterdir()] == ["c.txt"]


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs `unshare --pid --fork` (util-linux) and root")
def test_staging_writers_in_two_pid_namespaces(tmp_path):
    """Two runs into one output folder, each in its own PID namespace (as two containers
    sharing a volume): the second must not remove the first's staging folder."""
    probe = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare --pid is not allowed here: {probe.stderr.decode()[:200]}")
    out = tmp_path / "out"
    # The writer gets a pid above 200 in the first namespace (`sh` forks that many
    # processes first); no such pid (nor thread id) exists in the second namespace,
    # where the second run is pid 1 with a few threads.
    first, go = start_writer(tmp_path, out, prefix=(
        "unshare", "--pid", "--fork", "sh", "-c", 'for i in $(seq 200); do /bin/true; done; "$0" "$@"'))
    try:
        second = subprocess.run(["unshare", "--pid", "--fork", sys.executable, "-c", SECOND, str(out)],
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 0 and "second done" in second.stdout, second.stdout + second.stderr
        output = finish_writer(first, go)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0 and "writer done" in output, output
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a.txt": "a", "b.txt": "b", "c.txt": "c"}
    assert leftovers(out) == []
