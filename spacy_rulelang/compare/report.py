"""report.html: one standalone page where a reviewer reads and decides disagreements.

Why a bounded heap: the run streams, so only the `max_examples` highest-priority
examples are kept (rendered) at any time; memory does not grow with the corpus.
Gold / rules / model rows are displaCy "ent" renderings; the disagreements row uses
displaCy's "span" style because disagreements may overlap. No server, no external
scripts or CSS: report.js (this package's data file) is inlined; it filters examples
by category and lets the reviewer decide each disagreement (buttons or keys).

Why everything is escaped here: labels, rule names (a SpanRuler's pattern ids),
texts and the header come from the user's pipeline and data, and displaCy escapes
the text but not the labels. Every such string goes through `esc` (HTML, quotes
included) before it reaches the page, the JSON data blocks through `script_json`,
and report.js writes data only through textContent / value, never as HTML.

Why groups come first: out of its domain, a rule's errors repeat (a figure panel "C",
a code "AS1"), so the page opens with the groups of compare/groups.py (count, share,
rule, the most doubtful examples); a reviewer decides a group at once ("a language
here", "never a language here", "needs evidence here", "decide one by one") and the
decision line carries the group's definition and examples (docs/formats.md).

Why the data rides in the page: each example carries a
``<script type="application/json" class="rl-data">`` block (`example_data`: its
`_input_hash`, its position `doc` and, per disagreement, the offsets, label, text,
category and the overlapping spans of each system), so the page alone can write
decisions.jsonl in the format of docs/decisions.md. Decisions are kept in the
browser's localStorage under `<body data-storage-key>`, a hash of that data: a
reload keeps them, two different reports never share them, and the page itself
stays byte-identical from one run to the next.
"""
from __future__ import annotations

import hashlib
import heapq
import html
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Dict, List, Optional, Sequence, Tuple

from spacy import displacy

from spacy_rulelang.io.spans import overlap
from spacy_rulelang.compare.core import CATEGORIES, Disagreement, SpanTuple
from spacy_rulelang.compare.export import Token, describe
from spacy_rulelang.compare.groups import GroupAggregator, GroupStats, instance_of

CATEGORY_COLORS = {"rule_only": "#fdd692", "model_only": "#aee9f0", "boundary": "#f5b0c9",
                   "label": "#c9b7f5", "suspect_label": "#ff8c69"}
SYSTEM_ROWS = (("gold", "Gold"), ("rules", "Rules"), ("model", "Model"))
ENT_COLORS = {"PROG_LANG": "#7aecec"}


def esc(value: object) -> str:
    """HTML text or a double- or single-quoted attribute value: & < > " ' escaped."""
    return html.escape(str(value), quote=True)


def _non_overlapping(spans: Sequence[SpanTuple]) -> List[SpanTuple]:
    """displaCy's ent style needs non-overlapping spans: keep longest first."""
    kept: List[SpanTuple] = []
    for span in sorted(set(spans), key=lambda s: (-(s[1] - s[0]), s[0], s[2])):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    return sorted(kept)


def render_ents(text: str, tokens: Sequence[Token], spans: Sequence[SpanTuple]) -> str:
    # displaCy escapes the text but puts labels into the markup as they are
    ents = [{"start": tokens[s][0], "end": tokens[e - 1][1], "label": esc(label)}
            for s, e, label in _non_overlapping(spans)]
    return displacy.render([{"text": text, "ents": ents, "title": None}], style="ent",
                           manual=True, page=False, jupyter=False,
                           options={"colors": ENT_COLORS})


def render_disagreements(words: Sequence[str], found: Sequence[Disagreement]) -> str:
    spans = [{"start_token": d.start, "end_token": d.end, "label": esc(d.category)} for d in found]
    return displacy.render([{"text": " ".join(words), "tokens": list(words), "spans": spans}],
                           style="span", manual=True, page=False, jupyter=False,
                           options={"colors": CATEGORY_COLORS})


def example_data(words: Sequence[str], *, systems: Dict[str, Optional[List[SpanTuple]]],
                 found: Sequence[Disagreement], input_hash: int, doc_index: int) -> Dict:
    """What a decision line needs (docs/decisions.md), so the page can write it alone.

    Offsets are token offsets with an EXCLUSIVE end; `spans` holds, per system, its
    spans overlapping the disagreement as [start, end, label], None for a system
    the example lacks (no gold).
    """
    disagreements = []
    for d in found:
        spans = {key: None if systems.get(key) is None else
                 [[s, e, label] for s, e, label in sorted(set(systems[key] or []))
                  if overlap((s, e), (d.start, d.end))]
                 for key in ("rules", "model", "gold")}
        disagreements.append({"token_start": d.start, "token_end": d.end, "label": d.label,
                              "text": describe(d, words)["text"], "category": d.category,
                              "rule": d.rule, "spans": spans})
    return {"input_hash": input_hash, "doc": doc_index, "disagreements": disagreements}


def script_json(obj: object) -> str:
    """JSON that is safe inside a <script> element: `<`, `>` and `&` become \\u escapes
    (so neither "</script" nor "<!--" can occur: a text holding them cannot end the
    element or switch the parser's state; JSON.parse undoes the escapes)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


DATA_SCRIPT = '<script type="application/json" class="rl-data">'
DATA_RE = re.compile(re.escape(DATA_SCRIPT) + r"(.*?)</script>", re.S)


def render_example(words: Sequence[str], text: str, tokens: Sequence[Token], *,
                   systems: Dict[str, Optional[List[SpanTuple]]],
                   found: Sequence[Disagreement], input_hash: int, doc_index: int) -> str:
    """The inner HTML of one example (its header is added when the page is built).

    `input_hash` (the tasks' `_input_hash`) and `doc_index` go into the example's
    data block, which the decision buttons of each `li.rl-item` read.
    """
    rows = []
    for key, title in SYSTEM_ROWS:
        if systems.get(key) is not None:
            rows.append(f'<tr class="row-{key}"><th>{title}</th>'
                        f'<td>{render_ents(text, tokens, systems[key] or [])}</td></tr>')
    rows.append(f'<tr class="row-disagreements"><th>Disagreements</th>'
                f"<td>{render_disagreements(words, found)}</td></tr>")
    items = []
    for i, d in enumerate(found):
        info = describe(d, words)
        details = ", ".join(f"{k}={info[k]}" for k in ("rule", "rule_score", "model_score",
                                                        "gold_agrees", "priority")
                            if info[k] is not None)
        items.append(f'<li class="rl-item" data-index="{i}" data-category="{esc(d.category)}" '
                     f'tabindex="-1"><b>{esc(d.category)}</b> '
                     f"&ldquo;{esc(info['text'])}&rdquo; {esc(details)}</li>")
    data = example_data(words, systems=systems, found=found, input_hash=input_hash,
                        doc_index=doc_index)
    return (f'<table class="systems">{"".join(rows)}</table>'
            f'<ul class="details">{"".join(items)}</ul>{DATA_SCRIPT}{script_json(data)}</script>')


class ReportBuilder:
    """Keeps the top `max_examples` examples by (priority desc, input position asc)."""

    def __init__(self, max_examples: int = 500, max_groups: int = 100) -> None:
        self.max_examples = max_examples
        self.max_groups = max_groups
        self._heap: List[Tuple[float, int, List[str], str]] = []
        self.groups = GroupAggregator()

    def add_instances(self, doc_index: int, words: Sequence[str],
                      systems: Dict[str, Optional[List[SpanTuple]]], found: Sequence[Disagreement]) -> None:
        """Every ranked disagreement of every doc counts in the groups (not only those shown)."""
        for d in found:
            self.groups.add(instance_of(d, words, doc_index=doc_index, systems=systems))

    def add(self, priority: float, doc_index: int, categories: Sequence[str], body: str) -> None:
        item = (priority, -doc_index, sorted(set(categories)), body)
        if len(self._heap) < self.max_examples:
            heapq.heappush(self._heap, item)
        elif item[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, item)

    def would_keep(self, priority: float, doc_index: int) -> bool:
        """Lets the caller skip rendering an example that would be dropped at once."""
        return len(self._heap) < self.max_examples or (priority, -doc_index) > self._heap[0][:2]

    def ranked(self) -> List[Tuple[int, float, int, List[str], str]]:
        """(rank, priority, doc_index, categories, body), best first."""
        items = sorted(self._heap, key=lambda it: (-it[0], -it[1]))
        return [(i, p, -neg, cats, body) for i, (p, neg, cats, body) in enumerate(items, 1)]

    def ranks(self) -> Dict[int, int]:
        return {doc_index: rank for rank, _, doc_index, _, _ in self.ranked()}

    def render(self, counts: Dict[str, int], header: Dict[str, object]) -> str:
        ranked = self.ranked()
        groups = render_groups(self.groups.ranked()[:self.max_groups], self.groups.total,
                               {doc: rank for rank, _, doc, _, _ in ranked})
        return build_page(ranked, counts, header, groups)


GROUP_DATA_SCRIPT = '<script type="application/json" class="rl-group-data">'


def render_groups(groups: Sequence[GroupStats], total: int, ranks: Dict[int, int]) -> str:
    """The groups section: one <details> per group, its examples inside; report.js adds the
    decision buttons and reads the group's definition from its data block."""
    if not groups:
        return ""
    out = []
    for g in groups:
        items = []
        for e in g.examples:
            link = (f' <a href="#example-{ranks[e.doc]}">example #{ranks[e.doc]}</a>'
                    if e.doc in ranks else "")
            items.append(f'<li>{esc(e.left)} <mark>{esc(e.text)}</mark> {esc(e.right)} '
                         f'<span class="rl-meta">&middot; {esc(e.category)} &middot; doc {int(e.doc)} '
                         f"&middot; doubt {e.doubt:.2f}</span>{link}</li>")
        data = {"gid": g.gid, "group": g.definition(), "count": g.count, "share": g.share,
                "instances": [e.to_dict() for e in g.examples]}
        rule = g.rule or "no rule"
        out.append(
            f'<details class="rl-group" data-gid="{esc(g.gid)}" data-level="{esc(g.level)}">'
            f'<summary><b>{int(g.count)}</b> ({g.share:.1%}) &middot; {esc(g.describe())} '
            f'&middot; <span class="rl-level">{esc(g.level)}</span> &middot; rule {esc(rule)} '
            f'<span class="rl-gstate"></span></summary>'
            f'<ol class="rl-instances">{"".join(items)}</ol>'
            f"{GROUP_DATA_SCRIPT}{script_json(data)}</script></details>")
    return (f'<h2>Groups</h2><p class="meta">{len(groups)} groups of {int(total)} disagreements, '
            "largest first: a surface form in a context signature (context), a rule on a kind "
            "of name (kind). Open a group for its most doubtful examples; decide it once.</p>"
            f'<div id="rl-groups">{"".join(out)}</div>')


PAGE_CSS = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} .meta{color:#555} table.counts td,table.counts th{padding:2px 10px;text-align:left}
.filters button{margin:2px;padding:4px 10px;border:1px solid #999;border-radius:4px;background:#f7f7f7;cursor:pointer}
.filters button.active{background:#333;color:#fff}
.example{border:1px solid #ddd;border-radius:6px;padding:0.6em 1em;margin:1em 0}
.example h2{font-size:1em;margin:0 0 0.4em} table.systems{width:100%;border-collapse:collapse}
table.systems th{width:8em;text-align:left;vertical-align:top;padding-top:1em;color:#555}
ul.details{font-size:0.9em;color:#333;list-style:none;padding-left:0}
.review{position:sticky;top:0;z-index:10;background:#fff;border-bottom:1px solid #ccc;padding:0.5em 0}
.review button{margin:0 4px;padding:4px 10px;border:1px solid #999;border-radius:4px;background:#f7f7f7;cursor:pointer}
.review button:disabled{opacity:0.5;cursor:default} .review .keys{color:#555;font-size:0.85em;margin:0.3em 0 0}
#rl-storage{color:#b00020} kbd{border:1px solid #bbb;border-radius:3px;padding:0 4px;background:#f7f7f7;font-size:0.9em}
li.rl-item{margin:0.4em 0;padding:0.3em 0.5em;border-left:4px solid #ddd;outline:none;scroll-margin:9em 0 1em}
li.rl-item.rl-current{border-left-color:#1a73e8;background:#eef4fd}
li.rl-item.rl-decided{border-left-color:#2e7d32}
.rl-controls{margin-top:0.3em;display:flex;flex-wrap:wrap;gap:4px;align-items:center}
.rl-controls button{padding:2px 8px;border:1px solid #aaa;border-radius:4px;background:#fafafa;cursor:pointer;font-size:0.9em}
.rl-controls button.active{background:#2e7d32;border-color:#2e7d32;color:#fff}
.rl-controls button:disabled{opacity:0.4;cursor:default}
.rl-state{display:inline-block;min-width:7em;font-weight:bold;color:#888}
li.rl-decided .rl-state{color:#2e7d32} .rl-note{flex:1;min-width:12em;max-width:30em;padding:2px 6px}
details.rl-group{border:1px solid #ddd;border-radius:6px;padding:0.3em 0.8em;margin:0.4em 0}
details.rl-group.rl-decided{border-color:#2e7d32} details.rl-group summary{cursor:pointer}
.rl-gstate{font-weight:bold;color:#2e7d32} .rl-meta{color:#777;font-size:0.85em}
ol.rl-instances{font-size:0.9em} mark{background:#fdd692}
"""

KEYS_HELP = ("Keys: <kbd>j</kbd>/<kbd>k</kbd> or <kbd>&darr;</kbd>/<kbd>&uarr;</kbd> next/previous "
             "disagreement &middot; <kbd>1</kbd>&ndash;<kbd>5</kbd> or <kbd>r</kbd> <kbd>m</kbd> "
             "<kbd>b</kbd> <kbd>g</kbd> <kbd>s</kbd>: rules right, model right, both wrong, "
             "gold wrong, skip &middot; <kbd>u</kbd> undo the decision &middot; <kbd>n</kbd> "
             "note (<kbd>Enter</kbd> or <kbd>Esc</kbd> leaves it). Decisions stay in this "
             "browser for this report; download them as decisions.jsonl (docs/decisions.md).")


@lru_cache(maxsize=1)
def page_js() -> str:
    """report.js, read once; a package data file so it can be read and linted as JS."""
    text = resources.files(__package__).joinpath("report.js").read_text(encoding="utf8")
    if "</script" in text.lower():  # would end the inline <script> element early
        raise ValueError("internal error (please report it): the packaged report.js contains '</script'")
    return text


def storage_key(bodies: Sequence[str]) -> str:
    """The localStorage key of a report: a hash of its examples' data blocks, so the
    same comparison keeps its decisions across runs and two reports never clash."""
    digest = hashlib.sha256()
    for blob in sorted(m for body in bodies for m in DATA_RE.findall(body)):
        digest.update(blob.encode("utf8") + b"\n")
    return f"spacy-rulelang-decisions:{digest.hexdigest()[:16]}"


def build_page(ranked: Sequence[Tuple[int, float, int, List[str], str]],
               counts: Dict[str, int], header: Dict[str, object], groups: str = "") -> str:
    head_rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in header.items())
    count_rows = "".join(
        f'<tr><td><span class="count" data-category="{esc(c)}" '
        f'style="background:{esc(CATEGORY_COLORS[c])};padding:1px 6px;border-radius:3px">{esc(c)}</span></td>'
        f'<td class="count-value" data-category="{esc(c)}">{int(counts.get(c, 0))}</td></tr>'
        for c in CATEGORIES)
    # the categories are this module's constants; esc turns ' into &#x27; even so, so the
    # inline handler's argument stays one string literal
    buttons = ['<button data-category="all" class="active" onclick="rlFilter(\'all\')">all</button>']
    buttons += [f'<button data-category="{esc(c)}" onclick="rlFilter(\'{esc(c)}\')">'
                f"{esc(c)} ({int(counts.get(c, 0))})</button>" for c in CATEGORIES]
    examples = []
    for rank, priority, doc_index, cats, body in ranked:
        examples.append(
            f'<section class="example" id="example-{int(rank)}" data-rank="{int(rank)}" '
            f'data-doc="{int(doc_index)}" data-categories="{esc(" ".join(cats))}">'
            f"<h2>#{int(rank)} &middot; doc {int(doc_index)} &middot; priority {priority:.4f} "
            f'&middot; {esc(", ".join(cats))}</h2>{body}</section>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>spacy-rulelang: rules vs model</title>"
        f"<style>{PAGE_CSS}</style><script>{page_js()}</script></head>"
        f'<body data-storage-key="{esc(storage_key([r[4] for r in ranked]))}">'
        "<h1>spacy-rulelang: where rules and model disagree</h1>"
        f'<table class="meta">{head_rows}</table>'
        f'<h2>Disagreements per category</h2><table class="counts">{count_rows}</table>'
        '<div class="review" id="rl-review"><b id="rl-decided">0</b> decided of '
        '<span id="rl-total">0</span> disagreements '
        '<button type="button" id="rl-download" disabled>Download decisions</button>'
        '<button type="button" id="rl-clear">Clear</button> <span id="rl-storage"></span>'
        f'<p class="keys">{KEYS_HELP}</p>'
        f'<div class="filters">Filter: {"".join(buttons)}</div></div>'
        f"{groups}"
        f'<p>Showing <span id="shown">{len(ranked)}</span> of {len(ranked)} examples '
        "(highest priority first).</p>"
        f'<div id="examples">{"".join(examples)}</div></body></html>\n'
    )
