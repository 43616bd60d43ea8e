"""report.html: a reviewer decides disagreements in a real browser (Playwright + Debian's
chromium), the decisions survive a reload and download in the format of docs/decisions.md."""
import json
import re
import shutil
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.tokens import Doc
from typer.testing import CliRunner

from spacy_rulelang.cli import app

from support import MODEL_PATTERNS, P, SENTENCES, write_conll

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="no chromium binary (apt-get install -y chromium; never `playwright install`)")

DECISION_KEYS = ["input_hash", "doc", "token_start", "token_end", "label", "text", "category",
                 "rule", "decision", "note", "time", "spans"]
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TRICKY = 'a</script>&"b\''  # one token: the page must carry it through its JSON blocks intact
SENTENCES_PLUS = SENTENCES + [(f"Use {TRICKY} today .", "O O O O")]


@pytest.fixture(scope="module")
def compared(tagger_nlp, tmp_path_factory):
    """A tagger + an EntityRuler stand-in 'model' (which also tags TRICKY) + rulelang,
    compared with the CLI over a tiny CoNLL file."""
    base = tmp_path_factory.mktemp("decisions")
    tagger_nlp.to_disk(base / "tagger")
    nlp = spacy.load(base / "tagger", exclude=["ner", "parser", "lemmatizer"])
    nlp.add_pipe("entity_ruler").add_patterns(
        MODEL_PATTERNS + [{"label": P, "pattern": [{"TEXT": TRICKY}]}])
    nlp.add_pipe("rulelang", config={"write_ents": False})
    nlp.to_disk(base / "pipeline")
    data = write_conll(base / "small.conll", SENTENCES_PLUS)
    out = base / "out"
    result = CliRunner().invoke(app, ["compare", str(base / "pipeline"), str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def expected_items(out: Path):
    """(doc, token_start, token_end, category) -> the decision line's fields other than
    decision/note/time, computed from disagreements.jsonl as docs/decisions.md says."""
    by_hash = {}
    for task in srsly.read_jsonl(out / "disagreements.jsonl"):
        by_hash.setdefault(task["_input_hash"], {})[task["meta"]["system"]] = task
    expected = {}
    for input_hash, versions in by_hash.items():
        first = versions["rules"]
        for d in first["rulelang_disagreements"]:
            start, end = d["token_start"], d["token_end"] + 1  # inclusive -> exclusive

            def spans(system):
                if system not in versions:
                    return None
                return sorted([s["token_start"], s["token_end"] + 1, s["label"]]
                              for s in versions[system]["spans"]
                              if s["token_start"] < end and s["token_end"] + 1 > start)
            expected[(first["meta"]["doc"], start, end, d["category"])] = {
                "input_hash": input_hash, "doc": first["meta"]["doc"], "token_start": start,
                "token_end": end, "label": d["label"], "text": d["text"],
                "category": d["category"], "rule": d["rule"],
                "spans": {"rules": spans("rules"), "model": spans("model"), "gold": spans("gold")}}
    return expected


def test_report_decisions_click_keys_note_reload_download(compared, tmp_path):
    expected = expected_items(compared)
    assert any(v["text"] == TRICKY for v in expected.values())
    page_errors = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            page.on("pageerror", lambda err: page_errors.append(str(err)))
            page.goto((compared / "report.html").as_uri())
            items = page.locator("li.rl-item")
            assert items.count() == len(expected)
            # the data blocks parse back to exactly what disagreements.jsonl says (escaping)
            blocks = page.evaluate("Array.from(document.querySelectorAll('script.rl-data'))"
                                   ".map(function (s) { return JSON.parse(s.textContent); })")
            for block in blocks:
                for d in block["disagreements"]:
                    key = (block["doc"], d["token_start"], d["token_end"], d["category"])
                    assert {"input_hash": block["input_hash"], "doc": block["doc"], **d} == \
                        expected[key]

            def key_of(n):
                data = page.evaluate(
                    "function (n) { var li = document.querySelectorAll('li.rl-item')[n];"
                    " var ex = JSON.parse(li.closest('section').querySelector('script.rl-data')"
                    ".textContent); var d = ex.disagreements[Number(li.dataset.index)];"
                    " return [ex.doc, d.token_start, d.token_end, d.category]; }", n)
                return tuple(data)

            # 1: a click; 2: the keyboard (j moves, 1 = rules right); 3: a note, then g
            items.nth(0).locator("button[data-decision=model]").click()
            page.keyboard.press("j")
            page.keyboard.press("1")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("n")
            page.keyboard.type("gold misses it")
            page.keyboard.press("Enter")
            page.keyboard.press("g")
            assert page.locator("#rl-decided").inner_text() == "3"
            decided = {key_of(0): ("model", ""), key_of(1): ("rules", ""),
                       key_of(2): ("gold_wrong", "gold misses it")}

            page.reload()
            assert page.locator("#rl-decided").inner_text() == "3"
            assert items.nth(1).get_attribute("data-decision") == "rules"
            assert items.nth(2).locator("input.rl-note").input_value() == "gold misses it"
            assert "rules right" in items.nth(1).locator(".rl-state").inner_text()

            with page.expect_download() as info:
                page.click("#rl-download")
            download = info.value
            assert download.suggested_filename == "decisions.jsonl"
            lines = Path(download.path()).read_text(encoding="utf8").splitlines()

            page.once("dialog", lambda dialog: dialog.accept())
            page.click("#rl-clear")
            page.reload()
            assert page.locator("#rl-decided").inner_text() == "0"
        finally:
            browser.close()
    assert not page_errors
    assert len(lines) == 3
    seen = {}
    for line in lines:
        record = json.loads(line)
        assert list(record) == DECISION_KEYS
        assert ISO_UTC.match(record["time"])
        key = (record["doc"], record["token_start"], record["token_end"], record["category"])
        assert (record["decision"], record["note"]) == decided[key]
        fields = {k: v for k, v in record.items() if k not in ("decision", "note", "time")}
        assert fields == expected[key]
        seen[key] = record
    assert set(seen) == set(decided)
    assert [k[0] for k in seen] == sorted(k[0] for k in seen)  # lines in input order


def test_report_decisions_group_decision_changes_every_instance(compared, tmp_path, tagger_nlp):
    """Decide one group in the page, download decisions.jsonl, `apply` it: the profile it
    writes changes the rule spans of every instance of the group."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            page.goto((compared / "report.html").as_uri())
            group = page.locator("details.rl-group[data-level=context]").filter(
                has_text="rule_only").first
            group.locator("summary").click()
            group.locator("button[data-decision=never]").click()
            assert page.locator("#rl-decided").inner_text() == "1"
            with page.expect_download() as info:
                page.click("#rl-download")
            lines = Path(info.value.path()).read_text(encoding="utf8").splitlines()
        finally:
            browser.close()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["decision"] == "never" and record["group"]["level"] == "context"
    instances = [(i["doc"], i["token_start"], i["token_end"]) for i in record["instances"]]
    assert instances
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text(lines[0] + "\n", encoding="utf8")
    corpus = write_conll(tmp_path / "small.conll", SENTENCES_PLUS)
    result = CliRunner().invoke(app, ["apply", str(decisions), "--corpus", str(corpus),
                                      "--output", str(tmp_path / "applied")])
    assert result.exit_code == 0, result.output
    profile = srsly.read_json(tmp_path / "applied" / "profile.json")
    assert [p["policy"] for p in profile["policies"]] == ["never"]

    def rule_spans(config):
        nlp = spacy.load(compared.parent / "pipeline")
        nlp.remove_pipe("rulelang")
        nlp.add_pipe("rulelang", config={"write_ents": False, **config})
        docs = [nlp(Doc(nlp.vocab, words=text.split())) for text, _ in SENTENCES_PLUS]
        return {(i, s.start, s.end) for i, doc in enumerate(docs) for s in doc.spans["rulelang"]}

    before = rule_spans({})
    after = rule_spans({"profile": str(tmp_path / "applied" / "profile.json")})
    assert set(instances) <= before and not set(instances) & after
    assert before - after == set(instances)  # nothing else changed
