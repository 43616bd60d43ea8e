"""pipe_in_processes and `compare --n-process 2`: input order, errors, and never a hang or an orphan."""
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.language import Language
from spacy.tokens import Span
from spacy.util import import_file

from spacy_rulelang.io.parallel import pipe_in_processes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="process-group checks read /proc (Linux)")

WORDS = ["I love Python and Java .", "We moved from Java to Kotlin in 2020 .", "Hello world",
         "Use C++ or Rust , maybe Go .", "Objective-C and VB.NET", "html/css with ES6 and Python 3"]
TEXTS = [f"{WORDS[i % len(WORDS)]} (line {i})" for i in range(40)]
CLI_TIMEOUT = 60


@Language.component("test_parallel_exit_on_marker")
def exit_on_marker(doc):
    if "EXIT" in doc.text:
        os._exit(3)
    return doc


@Language.component("test_parallel_raise_on_marker")
def raise_on_marker(doc):
    if "KABOOM" in doc.text:
        raise RuntimeError(f"kaboom in {doc.text!r}")
    return doc


@Language.component("test_parallel_stall_on_marker")
def stall_on_marker(doc):
    if "STALL" in doc.text:
        time.sleep(30)
    return doc


def rule_nlp(*extra):
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_checks": False})
    for name in extra:
        nlp.add_pipe(name)
    return nlp


def spans(doc, key):
    return [(s.start, s.end, s.label_, s.id_, s._.rulelang_rule) for s in doc.spans.get(key, [])]


def no_children_left(seconds=2.0):
    deadline = time.monotonic() + seconds
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return multiprocessing.active_children() == []


def test_parallel_keeps_order_spans_and_contexts():
    nlp = rule_nlp()
    items = [(text, {"i": i}) for i, text in enumerate(TEXTS)]
    one = [(spans(d, "rulelang"), c) for d, c in pipe_in_processes(nlp, items, n_process=1, batch_size=3)]
    two = [(spans(d, "rulelang"), c) for d, c in pipe_in_processes(nlp, items, n_process=2, batch_size=3)]
    assert two == one
    assert [c["i"] for _, c in two] == list(range(len(TEXTS)))
    assert sum(len(found) for found, _ in two) > 40
    assert all(span[4] for found, _ in two for span in found)  # _.rulelang_rule travelled
    assert no_children_left()


def _count_spans(nlp, texts):
    """A block function: what a worker sends back is this small tuple, not the docs."""
    return os.getpid(), [len(doc.spans["rulelang"]) for doc in nlp.pipe(texts)]


def test_map_blocks_sends_back_small_results_in_order():
    from spacy_rulelang.io.parallel import map_blocks

    nlp = rule_nlp()
    blocks = [(TEXTS[i:i + 5], i) for i in range(0, len(TEXTS), 5)]
    one = list(map_blocks(nlp, blocks, _count_spans, n_process=1))
    two = list(map_blocks(nlp, blocks, _count_spans, n_process=2))
    assert [c for _, c in two] == list(range(0, len(TEXTS), 5))
    assert [r[1] for r, _ in two] == [r[1] for r, _ in one] and sum(sum(r[1]) for r, _ in one) > 40
    assert {r[0] for r, _ in one} == {os.getpid()} and os.getpid() not in {r[0] for r, _ in two}
    assert no_children_left()


@Language.component("test_parallel_torch_op")
def torch_op(doc):
    """A transformer's work in small: a parallel PyTorch op (large enough for its thread pool)."""
    import torch

    x = torch.ones(512, 512)
    doc.user_data["torch"] = float(torch.nn.functional.gelu(x @ x).mean())
    return doc


def test_map_blocks_runs_torch_after_the_parent_did():
    """A transformer pipeline used in the driver, then run in forked workers: the parent's
    OpenMP pool does not survive the fork, and without one thread per worker the first
    parallel op in a child waits for ever (seen as E141 in `compare` on the trf pipeline)."""
    torch = pytest.importorskip("torch")
    from spacy_rulelang.io.parallel import map_blocks

    nlp = spacy.blank("en")
    nlp.add_pipe("test_parallel_torch_op")
    threads = torch.get_num_threads()
    torch.set_num_threads(max(2, threads))
    try:
        expected = nlp("warm the pool in the parent").user_data["torch"]
        blocks = [(TEXTS[i:i + 10], i) for i in range(0, len(TEXTS), 10)]
        two = list(map_blocks(nlp, blocks, _torch_values, n_process=2, timeout=30))
    finally:
        torch.set_num_threads(threads)
    assert [c for _, c in two] == [0, 10, 20, 30]
    assert {value for values, _ in two for value in values} == {expected}
    assert no_children_left()


def _torch_values(nlp, texts):
    return [doc.user_data["torch"] for doc in nlp.pipe(texts)]


def test_parallel_doc_inputs_keep_gold_spans():
    nlp = rule_nlp()

    def docs():
        for i, text in enumerate(TEXTS):
            doc = nlp.make_doc(text)
            doc.spans["gold"] = [Span(doc, 0, 1, label="GOLD"), Span(doc, 1, 2, label="OTHER")]
            yield doc, i

    one = [(spans(d, "rulelang"), spans(d, "gold"), i)
           for d, i in pipe_in_processes(nlp, docs(), n_process=1, batch_size=4)]
    two = [(spans(d, "rulelang"), spans(d, "gold"), i)
           for d, i in pipe_in_processes(nlp, docs(), n_process=2, batch_size=4)]
    assert two == one
    assert all(gold[0][2] == "GOLD" and len(gold) == 2 for _, gold, _ in two)


def test_parallel_component_error_is_e140_and_stops_workers():
    nlp = rule_nlp("test_parallel_raise_on_marker")
    texts = TEXTS[:20] + ["a KABOOM here"] + TEXTS[20:]
    with pytest.raises(ValueError, match=r"\[E140\]") as info:
        list(pipe_in_processes(nlp, ((t, i) for i, t in enumerate(texts)), n_process=2, batch_size=4))
    assert "RuntimeError: kaboom in 'a KABOOM here'" in str(info.value)
    assert "kaboom" in str(info.value.__cause__)  # the worker's traceback
    assert no_children_left()


def test_parallel_dead_worker_is_e141_without_orphans():
    nlp = rule_nlp("test_parallel_exit_on_marker")
    texts = TEXTS[:25] + ["EXIT now"] + TEXTS[25:]
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"\[E141\].*exited with code 3"):
        list(pipe_in_processes(nlp, ((t, i) for i, t in enumerate(texts)), n_process=2, batch_size=4))
    assert time.monotonic() - start < 20
    assert no_children_left()


def test_parallel_stalled_worker_times_out():
    nlp = rule_nlp("test_parallel_stall_on_marker")
    texts = ["STALL here"] + TEXTS
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"\[E141\].*no result for 1 s"):
        list(pipe_in_processes(nlp, ((t, i) for i, t in enumerate(texts)), n_process=2,
                               batch_size=4, timeout=1))
    assert time.monotonic() - start < 15  # the sleeping worker was terminated, not waited for
    assert no_children_left()


def test_parallel_early_close_stops_workers():
    nlp = rule_nlp()
    docs = pipe_in_processes(nlp, ((t, i) for i, t in enumerate(TEXTS * 50)), n_process=2, batch_size=4)
    first = [next(docs) for _ in range(5)]
    assert [i for _, i in first] == list(range(5))
    pids = [w.pid for w in multiprocessing.active_children()]
    assert len(pids) >= 2
    docs.close()
    assert no_children_left()
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)  # reaped, not zombies


# --- the CLI, as a subprocess in its own process group ---------------------------------

CODE = '''
import time
from spacy.language import Language


@Language.component("raise_on_boom")
def raise_on_boom(doc):
    if "BOOM" in doc.text:
        raise ValueError("BOOM found in the text")
    return doc


@Language.component("sleep_on_doc")
def sleep_on_doc(doc):
    time.sleep(0.2)
    return doc
'''


@pytest.fixture(scope="module")
def code_and_pipelines(tmp_path_factory):
    base = tmp_path_factory.mktemp("parallel")
    code = base / "code.py"
    code.write_text(CODE, encoding="utf8")
    import_file("test_parallel_code", code)  # registers the components in this process too
    paths = {}
    for extra in ("raise_on_boom", "sleep_on_doc"):
        nlp = spacy.blank("en")
        nlp.add_pipe("rulelang", config={"pos_checks": False, "write_ents": False})
        nlp.add_pipe(extra)
        nlp.to_disk(base / extra)
        paths[extra] = base / extra
    return code, paths


def group_pids(pgid):
    """Processes (zombies included) whose process group is pgid, read from /proc."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[2]) == pgid:
            pids.append(int(stat.parent.name))
    return pids


def group_is_gone(pgid, seconds=2.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def start_compare(pipeline, data, out, code, *extra):
    cmd = [sys.executable, "-m", "spacy_rulelang", "compare", str(pipeline), str(data),
           "--output", str(out), "--n-process", "2", "--code", str(code), *map(str, extra)]
    # A child inherits an ignored SIGINT (something earlier in a full run may ignore it in
    # the pytest process), and would then rightly ignore Ctrl-C: give it a terminal's default.
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


CTRL_C_LIMIT = 60


def group_commands(pgid):
    """What the processes of a group are running (for a failure message)."""
    rows = []
    for pid in group_pids(pgid):
        try:
            rows.append(f"{pid}: " + (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:200])
        except OSError:
            rows.append(f"{pid}: (gone)")
    return "; ".join(rows)


def finish(proc, timeout, on_timeout=None):
    """The CLI's output; if it runs past timeout, its whole group is killed (and the test fails).
    `on_timeout(pgid)`: what to put in the TimeoutExpired's output before the group is killed."""
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as err:
        if on_timeout is not None:
            err.output = on_timeout(proc.pid)
        raise
    finally:
        if proc.poll() is None:
            kill_group(proc.pid)
            proc.wait()
    return output


def assert_group_gone(pgid):
    """No process of the CLI's group may remain (a second or two to settle); leftovers are killed."""
    if not group_is_gone(pgid):
        left = group_pids(pgid)
        kill_group(pgid)
        pytest.fail(f"processes left in the group: {left}")


def previous_outputs(out):
    out.mkdir()
    (out / "summary.json").write_text('{"previous": true}\n', encoding="utf8")
    return {"summary.json": (out / "summary.json").read_bytes()}


def outputs(out):
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_parallel_cli_component_error_exits_with_e140(code_and_pipelines, tmp_path):
    code, pipelines = code_and_pipelines
    data = tmp_path / "texts.jsonl"
    texts = [f"{WORDS[i % len(WORDS)]} ({i})" for i in range(300)]
    texts[150] = "Here is a BOOM in the middle of Python ."
    srsly.write_jsonl(data, [{"text": t} for t in texts])
    out = tmp_path / "out"
    before = previous_outputs(out)
    start = time.monotonic()
    proc = start_compare(pipelines["raise_on_boom"], data, out, code, "--batch-size", 16)
    output = finish(proc, CLI_TIMEOUT)
    assert time.monotonic() - start < CLI_TIMEOUT
    assert proc.returncode == 1, output
    assert "[E140]" in output and "BOOM found in the text" in output, output
    assert outputs(out) == before
    assert_group_gone(proc.pid)


def test_parallel_cli_ctrl_c_stops_workers(code_and_pipelines, tmp_path):
    code, pipelines = code_and_pipelines
    data = tmp_path / "texts.jsonl"
    srsly.write_jsonl(data, [{"text": f"{WORDS[i % len(WORDS)]} ({i})"} for i in range(400)])
    out = tmp_path / "out"
    before = previous_outputs(out)
    proc = start_compare(pipelines["sleep_on_doc"], data, out, code, "--batch-size", 4)
    deadline = time.monotonic() + 20
    while len(group_pids(proc.pid)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if len(group_pids(proc.pid)) < 3:
        pytest.fail(f"the workers did not start: {finish(proc, 5)}")
    time.sleep(1.0)  # let them work a little
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    start = time.monotonic()
    try:  # 60 s: a loaded 2-core CI machine; the workers are stopped in about 5 s here
        output = finish(proc, CTRL_C_LIMIT, on_timeout=group_commands)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"not stopped {CTRL_C_LIMIT} s after Ctrl-C; its process group was: {err.output}")
    assert time.monotonic() - start < CTRL_C_LIMIT
    assert proc.returncode != 0, output
    assert outputs(out) == before
    assert_group_gone(proc.pid)


def test_parallel_cli_bad_code_file_is_e142(code_and_pipelines, tmp_path):
    _, pipelines = code_and_pipelines
    bad = tmp_path / "bad.py"
    bad.write_text("import not_a_module_anywhere\n", encoding="utf8")
    data = tmp_path / "texts.jsonl"
    srsly.write_jsonl(data, [{"text": "I love Python ."}])
    proc = start_compare(pipelines["raise_on_boom"], data, tmp_path / "out", bad)
    output = finish(proc, CLI_TIMEOUT)
    assert proc.returncode == 1, output
    assert "[E142]" in output and "not_a_module_anywhere" in output, output
