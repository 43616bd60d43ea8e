"""report.html: one standalone page a reviewer can open from disk.

Why a bounded heap: the run streams, so only the `max_examples` highest-priority
examples are kept (rendered) at any time; memory does not grow with the corpus.
Gold / rules / model rows are displaCy "ent" renderings; the disagreements row uses
displaCy's "span" style because disagreements may overlap. No server, no external
scripts or CSS: a small inline script filters examples by category.
"""
from __future__ import annotations

import heapq
import html
from typing import Dict, List, Optional, Sequence, Tuple

from spacy import displacy

from .core import CATEGORIES, Disagreement, SpanTuple
from .export import Token, describe

CATEGORY_COLORS = {"rule_only": "#fdd692", "model_only": "#aee9f0", "boundary": "#f5b0c9",
                   "label": "#c9b7f5", "suspect_label": "#ff8c69"}
SYSTEM_ROWS = (("gold", "Gold"), ("rules", "Rules"), ("model", "Model"))
ENT_COLORS = {"PROG_LANG": "#7aecec"}


def _non_overlapping(spans: Sequence[SpanTuple]) -> List[SpanTuple]:
    """displaCy's ent style needs non-overlapping spans: keep longest first."""
    kept: List[SpanTuple] = []
    for span in sorted(set(spans), key=lambda s: (-(s[1] - s[0]), s[0], s[2])):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    return sorted(kept)


def render_ents(text: str, tokens: Sequence[Token], spans: Sequence[SpanTuple]) -> str:
    ents = [{"start": tokens[s][0], "end": tokens[e - 1][1], "label": label}
            for s, e, label in _non_overlapping(spans)]
    return displacy.render([{"text": text, "ents": ents, "title": None}], style="ent",
                           manual=True, page=False, jupyter=False,
                           options={"colors": ENT_COLORS})


def render_disagreements(words: Sequence[str], found: Sequence[Disagreement]) -> str:
    spans = [{"start_token": d.start, "end_token": d.end, "label": d.category} for d in found]
    return displacy.render([{"text": " ".join(words), "tokens": list(words), "spans": spans}],
                           style="span", manual=True, page=False, jupyter=False,
                           options={"colors": CATEGORY_COLORS})


def render_example(words: Sequence[str], text: str, tokens: Sequence[Token], *,
                   systems: Dict[str, Optional[List[SpanTuple]]],
                   found: Sequence[Disagreement]) -> str:
    """The inner HTML of one example (its header is added when the page is built)."""
    rows = []
    for key, title in SYSTEM_ROWS:
        if systems.get(key) is not None:
            rows.append(f'<tr class="row-{key}"><th>{title}</th>'
                        f'<td>{render_ents(text, tokens, systems[key] or [])}</td></tr>')
    rows.append(f'<tr class="row-disagreements"><th>Disagreements</th>'
                f"<td>{render_disagreements(words, found)}</td></tr>")
    items = []
    for d in found:
        info = describe(d, words)
        details = ", ".join(f"{k}={info[k]}" for k in ("rule", "rule_score", "model_score",
                                                        "gold_agrees", "priority")
                            if info[k] is not None)
        items.append(f'<li data-category="{d.category}"><b>{d.category}</b> '
                     f"&ldquo;{html.escape(info['text'])}&rdquo; {html.escape(details)}</li>")
    return (f'<table class="systems">{"".join(rows)}</table>'
            f'<ul class="details">{"".join(items)}</ul>')


class ReportBuilder:
    """Keeps the top `max_examples` examples by (priority desc, input position asc)."""

    def __init__(self, max_examples: int = 500) -> None:
        self.max_examples = max_examples
        self._heap: List[Tuple[float, int, List[str], str]] = []

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
        return build_page(self.ranked(), counts, header)


PAGE_CSS = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} .meta{color:#555} table.counts td,table.counts th{padding:2px 10px;text-align:left}
.filters button{margin:2px;padding:4px 10px;border:1px solid #999;border-radius:4px;background:#f7f7f7;cursor:pointer}
.filters button.active{background:#333;color:#fff}
.example{border:1px solid #ddd;border-radius:6px;padding:0.6em 1em;margin:1em 0}
.example h2{font-size:1em;margin:0 0 0.4em} table.systems{width:100%;border-collapse:collapse}
table.systems th{width:8em;text-align:left;vertical-align:top;padding-top:1em;color:#555}
ul.details{font-size:0.9em;color:#333}
"""

PAGE_JS = """
function rlFilter(cat){
  document.querySelectorAll('.filters button').forEach(function(b){
    b.classList.toggle('active', b.dataset.category===cat);});
  var shown=0;
  document.querySelectorAll('.example').forEach(function(ex){
    var show = cat==='all' || ex.dataset.categories.split(' ').indexOf(cat)>=0;
    ex.style.display = show ? '' : 'none'; if(show){shown++;}});
  document.getElementById('shown').textContent = shown;
}
"""


def build_page(ranked: Sequence[Tuple[int, float, int, List[str], str]],
               counts: Dict[str, int], header: Dict[str, object]) -> str:
    head_rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                        for k, v in header.items())
    count_rows = "".join(
        f'<tr><td><span class="count" data-category="{c}" '
        f'style="background:{CATEGORY_COLORS[c]};padding:1px 6px;border-radius:3px">{c}</span></td>'
        f'<td class="count-value" data-category="{c}">{counts.get(c, 0)}</td></tr>'
        for c in CATEGORIES)
    buttons = ['<button data-category="all" class="active" onclick="rlFilter(\'all\')">all</button>']
    buttons += [f'<button data-category="{c}" onclick="rlFilter(\'{c}\')">{c} ({counts.get(c, 0)})'
                "</button>" for c in CATEGORIES]
    examples = []
    for rank, priority, doc_index, cats, body in ranked:
        examples.append(
            f'<section class="example" id="example-{rank}" data-rank="{rank}" '
            f'data-doc="{doc_index}" data-categories="{" ".join(cats)}">'
            f"<h2>#{rank} &middot; doc {doc_index} &middot; priority {priority:.4f} &middot; "
            f'{", ".join(cats)}</h2>{body}</section>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>spacy-rulelang: rules vs model</title>"
        f"<style>{PAGE_CSS}</style><script>{PAGE_JS}</script></head><body>"
        "<h1>spacy-rulelang: where rules and model disagree</h1>"
        f'<table class="meta">{head_rows}</table>'
        f'<h2>Disagreements per category</h2><table class="counts">{count_rows}</table>'
        f'<div class="filters">Filter: {"".join(buttons)}</div>'
        f'<p>Showing <span id="shown">{len(ranked)}</span> of {len(ranked)} examples '
        "(highest priority first).</p>"
        f'<div id="examples">{"".join(examples)}</div></body></html>\n'
    )
