"""Nothing a user's pipeline, data or notes hold is run as markup: report.html escapes
labels, rule names (pattern ids) and texts, its JSON blocks cannot end their <script>,
report.js writes data only as text, and the Prodigy tasks carry no raw-HTML field.

The payloads come in the ways a user would bring them: a model (an EntityRuler) that
writes a label made of markup, rule spans (a SpanRuler, compared with
`--rules-key ruler --rule-name id`) whose pattern ids and labels are markup, tokens
of the data that are markup, and a decisions file (then a typed note) holding markup.
A browser test (Playwright driving Debian's chromium) checks that no script runs and
the strings are shown literally; a fast test checks the HTML itself, without a browser.
"""
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import spacy
import srsly
from typer.testing import CliRunner

from spacy_rulelang.cli import app
from spacy_rulelang.compare.report import page_js, script_json

from support import write_conll

TITLE = "spacy-rulelang: rules vs model"
# each payload, if it ran, would set window.__pwned (or the page's title)
LABEL = "<img src=x onerror=\"window.__pwned='label'\">"          # the model's and a rule's label
LABEL_SCRIPT = "<script>window.__pwned='label2'</script>"          # another model label
RULE = "<script>document.title='pwned'</script><img src=x onerror=\"window.__pwned='rule'\">"
TEXT_IMG = "<img/src=x/onerror=window.__pwned='text'>"             # tokens of the data
TEXT_END = "</script><script>window.__pwned='text2'</script><!--"
NOTE = "<img src=x onerror=\"window.__pwned='note'\"><script>window.__pwned='note2'</script>"
NOTE_TYPED = "</textarea><svg onload=\"window.__pwned='typed'\">"
PAYLOADS = {"label": LABEL, "label_script": LABEL_SCRIPT, "rule": RULE, "text_img": TEXT_IMG,
            "text_end": TEXT_END}
P = "PROG_LANG"
SENTENCES = [  # (words, gold tags), made up
    ("I love Python .", "O O B-Language O"),                 # rule_only, rule name RULE
    ("Java is here .", "O O O O"),                            # model_only, model label LABEL
    ("Gizmo rocks .", "O O O"),                               # label: rules LABEL, model P
    (f"Try {TEXT_IMG} and {TEXT_END} now .", "O B-Language O O O O"),  # model: LABEL_SCRIPT, P
]


def payload_pipeline():
    """A SpanRuler (rules, spans_key "ruler") whose pattern ids and one label are markup,
    and an EntityRuler (the 'model') that writes markup labels."""
    nlp = spacy.blank("en")
    nlp.add_pipe("span_ruler", config={"spans_key": "ruler"}).add_patterns([
        {"label": P, "pattern": [{"TEXT": "Python"}], "id": RULE},
        {"label": LABEL, "pattern": [{"TEXT": "Gizmo"}], "id": RULE},
        {"label": LABEL_SCRIPT, "pattern": [{"TEXT": "Zyzzyva"}], "id": RULE}])
    nlp.add_pipe("entity_ruler").add_patterns([
        {"label": LABEL, "pattern": [{"TEXT": "Java"}]},
        {"label": P, "pattern": [{"TEXT": "Gizmo"}]},
        {"label": LABEL_SCRIPT, "pattern": [{"TEXT": TEXT_IMG}]},
        {"label": P, "pattern": [{"TEXT": TEXT_END}]}])
    return nlp


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    base = tmp_path_factory.mktemp("escaping")
    payload_pipeline().to_disk(base / "pipeline")
    data = write_conll(base / "payload.conll", SENTENCES)
    out = base / "out"
    result = CliRunner().invoke(app, ["compare", str(base / "pipeline"), str(data), "-o", str(out),
                                      "--rules-key", "ruler", "--rule-name", "id"])
    assert result.exit_code == 0, result.output
    return out, data


def strings(value):
    """Every string inside a JSON value (keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


class PageParser(HTMLParser):
    """Every start tag with its attributes, the text of each <script>, and the text shown."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self.text = [], [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = []

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None

    def handle_data(self, data):
        (self._script if self._script is not None else self.text).append(data)


def test_report_escaping_html_has_no_unescaped_payload(compared):
    out, _ = compared
    page = (out / "report.html").read_text(encoding="utf8")
    tasks = list(srsly.read_jsonl(out / "disagreements.jsonl"))
    # the run really carried every payload (else the test could not fail)
    blob = " ".join(strings(tasks))
    for payload in PAYLOADS.values():
        assert payload in blob
    categories = {d["category"] for t in tasks for d in t["rulelang_disagreements"]}
    assert {"rule_only", "model_only", "label"} <= categories
    for name, payload in PAYLOADS.items():
        assert payload not in page, name
    assert "<img" not in page and "<svg" not in page and "<!--" not in page
    parser = PageParser()
    parser.feed(page)
    parser.close()
    names = {tag for tag, _ in parser.tags}
    assert names <= {"html", "head", "meta", "title", "style", "script", "body", "h1", "h2", "table",
                     "tr", "th", "td", "div", "span", "mark", "p", "b", "ul", "li", "button",
                     "kbd", "br", "section", "details", "summary", "ol", "a"}, names
    for tag, attrs in parser.tags:
        for attr, value in attrs.items():
            if attr.startswith("on"):  # only the filter buttons' own handlers
                assert tag == "button" and re.fullmatch(r"rlFilter\('[a-z_]+'\)", value), value
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    data = [s for s in scripts if s.get("type") == "application/json"]
    examples = [s for s in data if s.get("class") == "rl-data"]
    groups = [s for s in data if s.get("class") == "rl-group-data"]
    assert len(scripts) == len(data) + 1 and len(examples) == len(SENTENCES)
    assert len(data) == len(examples) + len(groups) and groups  # the groups carry their data too
    assert parser.scripts[0] == page_js()
    for body in parser.scripts[1:]:
        assert "</" not in body and "<!--" not in body and "<" not in body
        json.loads(body)  # and it is still the data
    shown = "".join(parser.text)  # what the reader sees: the strings, literally
    for name in ("label", "text_img", "text_end"):
        assert PAYLOADS[name] in shown, name
    assert f"rule={RULE}" in shown
    assert TITLE in parser.text  # the <title>, untouched


def test_report_escaping_script_json_cannot_end_its_element():
    text = script_json({"a": "</script><!-- <script>", "b": "x & y > z", "c": "\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- <script>", "b": "x & y > z", "c": "\u2028"}


def test_report_escaping_js_writes_data_as_text_only():
    js = page_js()
    for api in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                "new Function", "createContextualFragment", "DOMParser"):
        assert api not in js, api


def test_report_escaping_prodigy_tasks_carry_no_raw_html(compared):
    """Prodigy's html view renders a task's "html" as markup; ner_manual shows text,
    spans and meta as text. The tasks carry the user's strings only as such data."""
    out, _ = compared
    tasks = list(srsly.read_jsonl(out / "disagreements.jsonl"))
    for task in tasks:
        assert "html" not in task and task["_view_id"] == "ner_manual"
    model_labels = {s["label"] for t in tasks if t["meta"]["system"] == "model" for s in t["spans"]}
    assert {LABEL, LABEL_SCRIPT} <= model_labels
    assert any(RULE in t["meta"]["rules"] for t in tasks)


# --- in a real browser -------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_browser = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="no chromium binary (apt-get install -y chromium; never `playwright install`)")
PWNED = "[window.__pwned === undefined ? null : String(window.__pwned), document.title]"


def decisions_file(out: Path, path: Path) -> Path:
    """decisions.jsonl (docs/decisions.md) deciding every disagreement "model" (where the
    model has spans there) or "rules", each with the note NOTE."""
    lines = []
    for task in srsly.read_jsonl(out / "disagreements.jsonl"):
        if task["meta"]["system"] != "rules":
            continue
        by_system = {}
        for other in srsly.read_jsonl(out / "disagreements.jsonl"):
            if other["_input_hash"] == task["_input_hash"]:
                by_system[other["meta"]["system"]] = other["spans"]
        for d in task["rulelang_disagreements"]:
            start, end = d["token_start"], d["token_end"] + 1

            def near(system):
                return sorted([s["token_start"], s["token_end"] + 1, s["label"]]
                              for s in by_system.get(system, [])
                              if s["token_start"] < end and s["token_end"] + 1 > start)
            spans = {name: near(name) for name in ("rules", "model", "gold")}
            lines.append({"input_hash": task["_input_hash"], "doc": task["meta"]["doc"],
                          "token_start": start, "token_end": end, "label": d["label"],
                          "text": d["text"], "category": d["category"],
                          "decision": "model" if spans["model"] else "rules", "note": NOTE,
                          "time": "2026-11-30T05:00:00.000Z", "spans": spans})
    srsly.write_jsonl(path, lines)
    return path


@needs_browser
def test_report_escaping_no_payload_runs_in_chromium(compared, tmp_path):
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    out, data = compared
    decisions = decisions_file(out, tmp_path / "decisions.jsonl")
    errors = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.goto((out / "report.html").as_uri())
            page.wait_for_timeout(300)  # time for a broken <img> to fire onerror
            assert page.evaluate(PWNED) == [None, TITLE]
            assert page.evaluate("document.querySelectorAll('img, svg, iframe').length") == 0
            n_data = page.evaluate("document.querySelectorAll('script.rl-data').length")
            n_groups = page.evaluate("document.querySelectorAll('script.rl-group-data').length")
            assert page.evaluate("document.scripts.length") == n_data + n_groups + 1
            assert n_data == len(SENTENCES)
            shown = page.locator("#examples").inner_text()
            for name in ("label", "text_img", "text_end"):
                assert PAYLOADS[name] in shown, name
            assert f"rule={RULE}" in shown
            assert LABEL in " ".join(page.locator("tr.row-model").all_inner_texts())

            # a decisions file's notes, put where the page keeps decisions, come back as text
            state = page.evaluate(
                """function (lines) {
                     var items = {};
                     document.querySelectorAll('section.example').forEach(function (ex) {
                       var data = JSON.parse(ex.querySelector('script.rl-data').textContent);
                       data.disagreements.forEach(function (d, i) {
                         lines.forEach(function (l) {
                           if (l.doc === data.doc && l.token_start === d.token_start &&
                               l.token_end === d.token_end && l.category === d.category) {
                             items[data.doc + ':' + i] = {decision: l.decision, note: l.note,
                                                          time: l.time};
                           }
                         });
                       });
                     });
                     localStorage.setItem(document.body.dataset.storageKey,
                                          JSON.stringify({version: 1, items: items}));
                     return Object.keys(items).length;
                   }""", list(srsly.read_jsonl(decisions)))
            n_items = page.locator("li.rl-item").count()
            assert state == n_items >= 4
            page.reload()
            page.wait_for_timeout(300)
            notes = page.locator("input.rl-note")
            assert [notes.nth(i).input_value() for i in range(n_items)] == [NOTE] * n_items
            assert page.locator("#rl-decided").inner_text() == str(n_items)
            # ... and so does a note the reviewer types (pastes)
            notes.nth(0).fill(NOTE_TYPED)
            page.reload()
            page.wait_for_timeout(300)
            assert notes.nth(0).input_value() == NOTE_TYPED
            assert page.evaluate(PWNED) == [None, TITLE]
            assert page.evaluate("document.querySelectorAll('img, svg, iframe').length") == 0
            with page.expect_download() as info:
                page.click("#rl-download")
            downloaded = Path(info.value.path()).read_text(encoding="utf8").splitlines()
        finally:
            browser.close()
    assert not errors
    records = [json.loads(line) for line in downloaded]
    assert sorted(r["note"] for r in records) == sorted([NOTE_TYPED] + [NOTE] * (n_items - 1))
    labels = {s[2] for r in records for spans in r["spans"].values() for s in spans or []}
    assert {LABEL, LABEL_SCRIPT} <= labels

    # `apply` refuses the markup labels of the downloaded decisions and writes nothing ...
    downloaded_path = tmp_path / "downloaded.jsonl"
    downloaded_path.write_text("\n".join(downloaded) + "\n", encoding="utf8")
    result = CliRunner().invoke(app, ["apply", str(downloaded_path), "--corpus", str(data),
                                      "-o", str(tmp_path / "applied")])
    assert result.exit_code == 1 and "[E290]" in result.output, result.output
    assert not (tmp_path / "applied").exists()
    # ... and keeps the notes of the safe ones as plain JSON strings
    safe = [r for r in records if all(s[2] == P for spans in r["spans"].values()
                                      for s in spans or []) and r["label"] == P]
    assert safe
    srsly.write_jsonl(tmp_path / "safe.jsonl", safe)
    result = CliRunner().invoke(app, ["apply", str(tmp_path / "safe.jsonl"), "--corpus", str(data),
                                      "-o", str(tmp_path / "applied")])
    assert result.exit_code == 0, result.output
    audit = list(srsly.read_jsonl(tmp_path / "applied" / "audit.jsonl"))
    assert sorted(a["note"] for a in audit) == sorted(r["note"] for r in safe)
    for record in srsly.read_jsonl(tmp_path / "applied" / "model_errors.jsonl"):
        assert "html" not in record
