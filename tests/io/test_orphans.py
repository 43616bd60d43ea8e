"""kill -9 of the parent of `pipe_in_processes` workers leaves no worker behind."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")

# The parent reads one doc, then stops reading: the workers fill their result pipes
# (large batches) and block sending, as behind a slow consumer, when the parent is killed.
PARENT = r'''
import sys, time, multiprocessing
import spacy
from spacy_rulelang.io.parallel import pipe_in_processes
nlp = spacy.blank("en")
nlp.add_pipe("rulelang", config={"pos_checks": False})
texts = ((f"We ported the Java service {i} to Rust and Go, slowly and with care.", i)
         for i in range(1_000_000))
docs = pipe_in_processes(nlp, texts, n_process=2, batch_size=500)
next(docs)
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
time.sleep(600)
'''


def alive(pid):
    """Running (a zombie waiting for a reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_orphans_workers_die_with_a_killed_parent(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True,
                              cwd=tmp_path)
    pids = []
    try:
        line = parent.stdout.readline()
        pids = [int(p) for p in line.split()]
        assert len(pids) == 2, f"the parent did not start its workers: {line!r}"
        time.sleep(3)  # the workers finish their batches and block writing the results
        assert all(alive(pid) for pid in pids)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in pids if alive(pid)]
        assert left == [], f"workers still alive 5 s after the parent was killed: {left}"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in pids:  # only the workers this test started
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
