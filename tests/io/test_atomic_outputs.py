"""Outputs are put in place all at once or not at all (atomic.py), for compare, convert, evaluate."""
import errno
import os
import subprocess
import sys

import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from typer.testing import CliRunner

from spacy_rulelang.io import atomic
from spacy_rulelang.io.atomic import AtomicOutputDir, atomic_file
from spacy_rulelang.cli import app
from spacy_rulelang.cli.evaluate import evaluate
from spacy_rulelang.compare.runner import OUTPUT_FILES, compare

from support import write_conll

CONLL = "I\tO\tI\tO\nlove\tO\tlove\tO\nPython\tB-Language\tPython\tO\n\nJava\tB-Language\tJava\tO\n"


def snapshot(folder):
    """relative path -> bytes (files), link target (symlinks) or None (folders)."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            if os.path.islink(path):
                found[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                found[rel] = None
            else:
                with open(path, "rb") as fileh:
                    found[rel] = fileh.read()
    return found


def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


@pytest.fixture
def previous(tmp_path):
    """An output folder from an earlier run, with a user's file and another run's subfolder."""
    out = tmp_path / "out"
    (out / "metrics" / "trf").mkdir(parents=True)
    (out / "summary.json").write_text('{"old": true}\n', encoding="utf8")
    (out / "report.html").write_text("<p>old</p>\n", encoding="utf8")
    (out / "notes.txt").write_text("mine\n", encoding="utf8")
    (out / "metrics" / "trf" / "test.json").write_text("{}\n", encoding="utf8")
    (out / "link").symlink_to("notes.txt")
    return out


def write_new(out):
    out.path("summary.json").write_text('{"new": true}\n', encoding="utf8")
    with out.open("report.html") as fileh:
        fileh.write("<p>new</p>\n")
    out.path("metrics/cnn.json").write_text("{}\n", encoding="utf8")


def assert_no_leftovers(out):
    assert out.is_dir()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or ".staging-" in p.name]


def test_atomic_success_replaces_outputs_and_keeps_user_files(previous):
    inode = (previous / "notes.txt").stat().st_ino
    with AtomicOutputDir(previous) as out:
        write_new(out)
        scratch = out.scratch("summary.json")
        scratch.write_text("first pass", encoding="utf8")
    assert (previous / "summary.json").read_text() == '{"new": true}\n'
    assert (previous / "report.html").read_text() == "<p>new</p>\n"
    assert (previous / "metrics" / "cnn.json").exists()
    assert (previous / "metrics" / "trf" / "test.json").read_text() == "{}\n"
    assert (previous / "notes.txt").read_text() == "mine\n"
    assert (previous / "notes.txt").stat().st_ino == inode  # hard-linked, not copied
    assert os.readlink(previous / "link") == "notes.txt"
    assert_no_leftovers(previous)


def test_atomic_fallback_without_exchange_keeps_user_files(previous, monkeypatch):
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    with AtomicOutputDir(previous) as out:
        write_new(out)
    assert (previous / "summary.json").read_text() == '{"new": true}\n'
    assert (previous / "notes.txt").read_text() == "mine\n"
    assert (previous / "metrics" / "trf" / "test.json").exists()
    assert_no_leftovers(previous)


def test_atomic_output_folder_is_the_working_directory(previous, monkeypatch):
    monkeypatch.chdir(previous / "metrics")
    with AtomicOutputDir("..") as out:
        write_new(out)
    assert os.path.samefile(os.getcwd(), previous / "metrics")
    assert open("trf/test.json").read() == "{}\n"
    assert (previous / "summary.json").read_text() == '{"new": true}\n'
    assert_no_leftovers(previous)


@pytest.mark.skipif(atomic._RENAMEAT2 is None, reason="no renameat2 on this platform")
def test_atomic_exchange_swaps_two_folders(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    if not atomic._exchange(tmp_path / "a", tmp_path / "b"):
        pytest.skip("this file system cannot exchange")
    assert (tmp_path / "b" / "x").read_text() == "a" and not (tmp_path / "a" / "x").exists()


def test_atomic_new_output_folder(tmp_path):
    target = tmp_path / "deep" / "out"
    with AtomicOutputDir(target) as out:
        out.path("a.txt").write_text("a")
    assert snapshot(target) == {"a.txt": b"a"}
    assert_no_leftovers(target)


def _fail_exchange(a, b):
    raise OSError(errno.EIO, "Input/output error", str(a), None, str(b))


def _fail_second_rename(monkeypatch):
    """Fallback swap: `out -> .old` works, `staging -> out` fails (then rolled back)."""
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    real_rename = os.rename

    def rename(src, dst, *args, **kwargs):
        if ".staging-" in os.fspath(src):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(src))
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(atomic.os, "rename", rename)


@pytest.mark.parametrize("how", ["exchange", "fallback"])
def test_atomic_swap_failure_keeps_old_outputs(previous, monkeypatch, how):
    before = snapshot(previous)
    if how == "exchange":
        monkeypatch.setattr(atomic, "_exchange", _fail_exchange)
    else:
        _fail_second_rename(monkeypatch)
    with pytest.raises(ValueError, match=r"\[E131\]"):
        with AtomicOutputDir(previous) as out:
            write_new(out)
    monkeypatch.undo()
    assert snapshot(previous) == before
    assert_no_leftovers(previous)


def test_atomic_exception_in_block_keeps_old_outputs(previous):
    before = snapshot(previous)
    with pytest.raises(KeyError):
        with AtomicOutputDir(previous) as out:
            write_new(out)
            out.scratch("x").write_text("scratch")
            raise KeyError("boom")
    assert snapshot(previous) == before
    assert_no_leftovers(previous)


def test_atomic_disk_full_in_block_is_e130(previous):
    before = snapshot(previous)
    with pytest.raises(ValueError, match=r"\[E130\].*No space left") as err:
        with AtomicOutputDir(previous) as out:
            write_new(out)
            raise OSError(errno.ENOSPC, "No space left on device")
    assert str(previous) in str(err.value)
    assert snapshot(previous) == before
    assert_no_leftovers(previous)


def test_atomic_reading_error_in_block_is_not_rewritten(previous, tmp_path):
    with pytest.raises(FileNotFoundError):
        with AtomicOutputDir(previous):
            (tmp_path / "missing_input.txt").read_text()
    assert_no_leftovers(previous)


def test_atomic_permission_error_is_e130(previous, monkeypatch):
    before = snapshot(previous)

    def mkdir(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))

    monkeypatch.setattr(atomic.os, "mkdir", mkdir)
    with pytest.raises(ValueError, match=r"\[E130\].*Permission denied") as err:
        with AtomicOutputDir(previous):
            pass
    monkeypatch.undo()
    assert str(previous) in str(err.value)
    assert snapshot(previous) == before
    assert_no_leftovers(previous)


def test_atomic_read_only_parent_is_e130(previous):
    before = snapshot(previous)
    os.chmod(previous.parent, 0o555)
    try:
        if os.access(previous.parent, os.W_OK):
            pytest.skip("running as root: chmod does not stop writing")
        with pytest.raises(ValueError, match=r"\[E130\]"):
            with AtomicOutputDir(previous) as out:
                write_new(out)
    finally:
        os.chmod(previous.parent, 0o755)
    assert snapshot(previous) == before


def test_atomic_output_is_a_file_is_e104(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    with pytest.raises(ValueError, match=r"\[E104\]"):
        AtomicOutputDir(target)
    assert target.read_text() == "keep me"


def test_atomic_removes_stale_leftovers_of_dead_runs(previous):
    parent, dead, live = previous.parent, dead_pid(), os.getppid()
    stale = [parent / f".out.staging-{dead}-0123abcd", parent / f".out.old-{dead}-4567ef01"]
    for path in stale:
        path.mkdir()
        (path / "summary.json").write_text("half written")
    alive = parent / f".out.staging-{live}-89abcdef"
    alive.mkdir()
    legacy = [previous / ".summary.json.k3j9x_2a.tmp", previous / f".report.html.{dead}-ab12.tmp"]
    for path in legacy:
        path.write_text("tmp")
    kept = [previous / ".notes.tmp", previous / f".report.html.{live}-cd34.tmp"]
    for path in kept:
        path.write_text("keep")
    with AtomicOutputDir(previous) as out:
        write_new(out)
    assert not any(path.exists() for path in stale + legacy)
    assert alive.is_dir() and all(path.read_text() == "keep" for path in kept)
    assert (previous / "summary.json").read_text() == '{"new": true}\n'


def test_atomic_restores_old_folder_after_kill_between_renames(previous):
    """A kill between `out -> .old` and `staging -> out` of the fallback swap."""
    before = snapshot(previous)
    old = previous.parent / f".out.old-{dead_pid()}-0123abcd"
    previous.rename(old)
    with AtomicOutputDir(previous):
        assert snapshot(previous) == before and not old.exists()
    assert snapshot(previous) == before
    assert_no_leftovers(previous)


def test_atomic_file_replaces_or_keeps(tmp_path):
    target = tmp_path / "train.spacy"
    target.write_bytes(b"old")
    stale = tmp_path / f".train.spacy.{dead_pid()}-abcd.tmp"
    stale.write_bytes(b"stale")
    with pytest.raises(RuntimeError):
        with atomic_file(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed")
    assert target.read_bytes() == b"old" and not stale.exists()
    with atomic_file(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.spacy"]


def test_atomic_file_permission_error_is_e130(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr(atomic.os, "open", refuse)
    with pytest.raises(ValueError, match=r"\[E130\]"):
        with atomic_file(tmp_path / "x.spacy"):
            pass
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_atomic_convert_failure_keeps_previous_file(tmp_path, monkeypatch):
    src, target = tmp_path / "train.txt", tmp_path / "train.spacy"
    src.write_text(CONLL, encoding="utf8")
    assert CliRunner().invoke(app, ["convert", str(src), str(target)]).exit_code == 0
    before = target.read_bytes()

    def to_disk(self, path):
        with open(path, "wb") as fileh:
            fileh.write(before[:3])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(DocBin, "to_disk", to_disk)
    result = CliRunner().invoke(app, ["convert", str(src), str(target), "--limit", "1"])
    assert result.exit_code == 1 and "E130" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.spacy", "train.txt"]


@pytest.fixture
def blank_pipeline(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_checks": False, "write_ents": False})
    nlp.to_disk(tmp_path / "pipe")
    return str(tmp_path / "pipe")


def test_atomic_compare_all_empty_texts_is_e109_and_keeps_outputs(blank_pipeline, tmp_path):
    out = tmp_path / "out"
    good = tmp_path / "good.jsonl"
    srsly.write_jsonl(good, [{"text": "I write Python and Java ."}])
    compare(blank_pipeline, good, out)
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    assert set(OUTPUT_FILES) <= set(before)
    empty = tmp_path / "empty.jsonl"
    srsly.write_jsonl(empty, [{"text": ""}, {"text": "  "}, {"text": ""}])
    with pytest.raises(ValueError) as error:  # the CLI prints it (test below)
        compare(blank_pipeline, empty, out)
    said = str(error.value)
    assert "E109" in said and "All 3 texts" in said
    assert snapshot(out) == before
    assert_no_leftovers(out)


def test_atomic_compare_cli_prints_e109(blank_pipeline, tmp_path):
    empty = tmp_path / "empty.jsonl"
    srsly.write_jsonl(empty, [{"text": ""}, {"text": ""}])
    result = CliRunner().invoke(app, ["compare", blank_pipeline, str(empty), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1 and "E109" in result.output and "All 2 texts" in result.output
    assert not (tmp_path / "o").exists()


def test_atomic_evaluate_keeps_user_files(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_checks": False, "write_ents": False})
    nlp.add_pipe("rulelang_merge")
    nlp.to_disk(tmp_path / "pipe")
    gold = tmp_path / "test.spacy"
    assert CliRunner().invoke(app, ["convert", str(write_conll(tmp_path / "t.conll")),
                                    str(gold)]).exit_code == 0
    out = tmp_path / "metrics"
    (out / "trf").mkdir(parents=True)
    (out / "trf" / "test.json").write_text("{}")
    (out / "test.json").write_text("old")
    evaluate(str(tmp_path / "pipe"), [gold], output=out)
    assert srsly.read_json(out / "test.json")["systems"]
    assert (out / "results.md").exists() and (out / "trf" / "test.json").read_text() == "{}"
    assert_no_leftovers(out)


def test_atomic_evaluate_cli_coded_error_has_no_traceback(tmp_path, monkeypatch):
    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_checks": False, "write_ents": False})
    nlp.to_disk(tmp_path / "pipe")
    gold = tmp_path / "test.spacy"
    CliRunner().invoke(app, ["convert", str(write_conll(tmp_path / "t.conll")), str(gold)])
    out = tmp_path / "metrics"
    monkeypatch.setattr(atomic, "_exchange", _fail_exchange)
    out.mkdir()
    (out / "test.json").write_text("old")
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "pipe"), str(gold), "-o", str(out)])
    assert result.exit_code == 1 and "E131" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert snapshot(out) == {"test.json": b"old"}
