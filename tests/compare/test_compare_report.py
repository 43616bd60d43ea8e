"""report.html renders in a real (headless) browser, and its heap keeps the top examples."""
import re
import subprocess
from pathlib import Path

import pytest

from spacy_rulelang.compare.report import ReportBuilder
from spacy_rulelang.compare.runner import CompareOptions, run_compare

from support import light_nlp, write_conll

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium not found at /usr/bin/chromium (apt-get install -y chromium)")


def dump_dom(html_path: Path, profile: Path) -> str:
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", html_path.as_uri()]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    summary = run_compare(light_nlp(), write_conll(base / "small.conll"), base / "out",
                          CompareOptions(show_progress=False))
    return base / "out" / "report.html", summary


@needs_chromium
def test_compare_report_renders_examples_in_chromium(report, tmp_path):
    path, summary = report
    dom = dump_dom(path, tmp_path / "profile")
    examples = re.findall(r'<section class="example"[^>]*data-categories="([^"]*)"', dom)
    assert len(examples) == summary["docs"]["with_disagreements"] == 6
    assert dom.count('<mark class="entity"') >= 6  # displaCy marks in gold/rules/model rows
    assert "Python" in dom and "Bananas" in dom
    for category, count in summary["categories"].items():
        assert f'<td class="count-value" data-category="{category}">{count}</td>' in dom
    ranks = [int(r) for r in re.findall(r'data-rank="(\d+)"', dom)]
    assert ranks == sorted(ranks) == list(range(1, len(examples) + 1))
    assert "http://" not in dom and "https://" not in dom  # standalone: nothing to fetch


@needs_chromium
def test_compare_report_category_filter_runs(report, tmp_path):
    path, _ = report
    page = tmp_path / "filtered.html"
    page.write_text(path.read_text().replace("</body>", "<script>rlFilter('boundary')</script></body>"))
    dom = dump_dom(page, tmp_path / "profile")
    sections = re.findall(r'<section class="example"[^>]*>', dom)
    shown = [s for s in sections if "display: none" not in s]
    assert len(shown) == 1 and "boundary" in shown[0]
    assert '<span id="shown">1</span>' in dom


def test_compare_report_heap_keeps_top_examples_in_order():
    builder = ReportBuilder(max_examples=3)
    for doc_index, priority in enumerate([0.2, 0.9, 0.5, 0.9, 0.1, 0.7]):
        if builder.would_keep(priority, doc_index):
            builder.add(priority, doc_index, ["rule_only"], f"<p>{doc_index}</p>")
    assert [(rank, doc) for rank, _, doc, _, _ in builder.ranked()] == [(1, 1), (2, 3), (3, 5)]
    assert builder.ranks() == {1: 1, 3: 2, 5: 3}
    html = builder.render({"rule_only": 6}, {"data": "x"})
    assert html.count('<section class="example"') == 3 and "<script>" in html


def test_compare_report_escapes_text(tmp_path):
    sentences = [("Use <xmp> in Python .", "O O O B-Language O")]
    run_compare(light_nlp(), write_conll(tmp_path / "x.conll", sentences), tmp_path / "out",
                CompareOptions(show_progress=False))
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<xmp>" not in html and "&lt;xmp&gt;" in html
