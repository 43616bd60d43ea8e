"""The rule table: the rules that ship with `rulelang`, each a small registered function.

A rule takes a candidate and its context and answers True (it applies) or None (no
opinion); its stage (`engine.STAGES`) says what "applies" means. The engine that runs
them, and `register_rule` for your own, are in `spacy_rulelang.ruler.engine`.
`DEFAULT_RULES` is the order the component's config uses.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from spacy.tokens import Doc

from spacy_rulelang.catalogue.versions import is_version
from spacy_rulelang.ruler.candidates import Candidate
from spacy_rulelang.ruler.engine import RuleContext, register_rule

NOT_NAME_POS = frozenset({"VERB", "AUX", "ADP", "ADV", "PRON", "DET", "CCONJ", "SCONJ", "PART", "INTJ"})
NAME_POS = frozenset({"PROPN", "NOUN", "X"})
STRONG_CONTEXT_RULES = frozenset({"cue_before", "cue_after", "list_member"})
QUOTES = frozenset({'"', "'", "`", "“", "”", "‘", "’"})
SENTENCE_END = frozenset({".", "!", "?", ":", ")"})
LETTER_PREPOSITIONS = frozenset({"in", "for", "with"})


def glued_after(doc: Doc, i: int, limit: int = 3) -> str:
    """The text from token i up to the next space: raw text splits "->" into "-" ">"."""
    end = i
    while end < len(doc) and end - i < limit and (end == i or not doc[end - 1].whitespace_):
        end += 1
    return doc[i:end].text.lower() if end > i else ""


# -- rejections --------------------------------------------------------------
@register_rule("inside_word", stage="reject")
def inside_word(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """Part of a longer word in raw text: "python-dateutil", "mailgun-js", "C-string"."""
    return True if cand.inside_word else None


@register_rule("code_token", stage="reject")
def code_token(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """Part of code, not prose: `java . util`, `java -jar`, `$php`."""
    if cand.compound:
        return None
    conv, doc, prev, nxt = ctx.conv, ctx.doc, ctx.prev(cand), ctx.next(cand)
    if prev == ".":
        return doc[cand.start].text[:1].islower() or None
    if prev in conv.code_before:
        return True
    if nxt == ".":
        nxt2 = doc[cand.end + 1].text if cand.end + 1 < len(doc) else ""
        return (nxt2[:1].islower() and nxt2.isidentifier()) or None
    return (nxt in conv.code_after or glued_after(doc, cand.end) in conv.code_after) or None


@register_rule("initials", stage="reject")
def initials(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """Two capital letters coordinated with other two-capital tokens that name no language are
    people's initials or codes: "reviewers ( JS and SS )" ("JS and CSS" stays)."""
    text = ctx.doc[cand.start:cand.end].text
    if cand.end - cand.start != 1 or len(text) != 2 or not text.isalpha() or not text.isupper():
        return None
    doc, named = ctx.doc, {c.start for c in ctx.neighbours(cand)}
    for sep, j in ((cand.start - 1, cand.start - 2), (cand.end, cand.end + 1)):  # "SS and JS", "JS and SS"
        if j < 0 or j >= len(doc) or ctx.lowers[sep] not in ctx.conv.separators or j in named:
            continue
        other = doc[j].text
        if len(other) == 2 and other.isalpha() and other.isupper():
            return True
    return None


@register_rule("data_format", stage="reject")
def data_format(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """Data formats (JSON, YAML) are not labelled as languages."""
    return True if cand.entry.kind == "data" else None


@register_rule("corpus_exclusion", stage="reject")
def corpus_exclusion(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """Names the corpus labels as tools, not languages (JSP, LINQ)."""
    return True if cand.entry.id in ctx.conv.exclusions else None


@register_rule("file_type", stage="reject")
def file_type(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A format, not a language: "an XML file", "the HTML page"."""
    if cand.version is not None:
        return None
    conv, nxt, entry = ctx.conv, ctx.next(cand), cand.entry
    if nxt in conv.file_type_after_any:
        return True
    return (nxt in conv.file_type_after and (entry.kind in conv.file_type_kinds or entry.id in conv.file_type_ids)) or None


@register_rule("product_name", stage="reject")
def product_name(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A product named after a language: "SQL Server", "Java EE"."""
    after, before, entry = ctx.conv.product_after, ctx.conv.product_before, cand.entry
    nxt, prev = ctx.next(cand), ctx.prev(cand)
    if nxt in after.get(entry.id, ()) or nxt in after.get("*", ()) \
            or prev in before.get(entry.id, ()) or prev in before.get("*", ()):
        return True
    return None


@register_rule("single_letter", stage="reject")
def single_letter(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A one-letter name among other letters, quoted, or before a colon: "A, B, C", "drive C:"."""
    if not (cand.ambiguous and len(cand.alias.text) == 1) or cand.version_attached:
        return None
    doc, i = ctx.doc, cand.start
    text = doc[i].text
    if not text.isupper():
        return None
    before = doc[i - 1].text if i > 0 else ""
    after = doc[i + 1].text if i + 1 < len(doc) else ""
    if before in QUOTES or after in QUOTES or after == ":" or after.startswith("="):
        return True
    if before.lower() in ctx.conv.letter_before or after.lower() in ctx.conv.letter_after:
        return True
    for j in range(max(0, i - 6), min(len(doc), i + 7)):
        other = doc[j].text
        if len(other) == 1 and other.isupper() and other not in ("I", "A", text):
            return True
    return None


DEGREE_SIGNS = frozenset({"°", "º", "˚"})
HYPHENS = frozenset({"-", "‐", "‑", "–"})


def _one_letter(cand: Candidate, ctx: RuleContext) -> bool:
    """A one-token, one-letter name with no version: "C", "R", "D"."""
    return (cand.ambiguous and len(cand.alias.text) == 1 and cand.end - cand.start == 1
            and cand.version is None and ctx.doc[cand.start].text.isalpha())


def _noun_run(ctx: RuleContext, i: int) -> List[str]:
    """The lowercase common nouns from token i on: "value" in "the R value of", "arrow
    function syntax" in "ES6 arrow function syntax" (needs POS tags)."""
    doc, run = ctx.doc, []
    while i < len(doc) and doc[i].pos_ == "NOUN" and doc[i].is_lower and doc[i].is_alpha:
        run.append(doc[i].lower_)
        i += 1
    return run


@register_rule("degree_unit", stage="reject")
def degree_unit(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A one-letter name right after a degree sign is a unit of temperature, not a language:
    "the samples were kept at 37 ° C", "a 4° F drop"."""
    if not _one_letter(cand, ctx) or cand.start == 0:
        return None
    return True if ctx.doc[cand.start - 1].text[-1:] in DEGREE_SIGNS else None


@register_rule("hyphen_letter", stage="reject")
def hyphen_letter(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A capital letter hyphenated to the word on its left ends another name: "the Tri - C
    assay", "pro - B cells" (split text; raw "Tri-C" is `inside_word`). A catalogue name
    that ends so ("Objective - C") is one candidate already and never gets here.

    Kept where the hyphen is a dash before a list or after a programming word: "two
    languages - C and Go", "pure - C". The same on the right, before a capitalised word that
    names no language: "the R - Forge site", "the R - Scan module" ("R - packages" stays)."""
    i = cand.start
    if not _one_letter(cand, ctx) or not ctx.doc[i].text.isupper():
        return None
    doc, conv = ctx.doc, ctx.conv
    if i + 2 < len(doc) and doc[i + 1].text in HYPHENS and doc[i + 2].is_alpha and doc[i + 2].text[:1].isupper() \
            and not any(c.start == i + 2 for c in ctx.neighbours(cand)):
        return True
    if i < 2 or doc[i - 1].text not in HYPHENS or not doc[i - 2].is_alpha:
        return None
    left = doc[i - 2].lower_
    if conv.programming_word(left) or left in conv.compound_prefixes or ctx.next(cand) in conv.separators:
        return None
    return True


@register_rule("letter_after_noun", stage="reject")
def letter_after_noun(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A capital letter right after a common noun labels it, like a variable or a class:
    "the weight W , is", "the cost matrix C satisfies", "the error term E" ("group C" and
    "vitamin D" are `single_letter`'s words). Kept where the noun or the next word is about
    programming: "the language C", "the embedded firmware C code"."""
    i = cand.start
    if not _one_letter(cand, ctx) or i == 0 or not ctx.doc[i].text.isupper():
        return None
    prev = ctx.doc[i - 1]
    if not (prev.is_lower and prev.is_alpha) or ctx.conv.programming_word(prev.lower_):
        return None
    if ctx.conv.programming_word(ctx.next(cand)) or not ctx.pos() or prev.pos_ != "NOUN":
        return None
    return True


@register_rule("letter_before_noun", stage="reject")
def letter_before_noun(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A capital letter between a determiner and a noun that is not about programming is a
    symbol or a label: "the R factor of the crystal", "a T cell" ("the C compiler", "an R
    package", "the C preprocessor" stay, and so does "the R software": a noun that the
    corpora show after that very name, see `corpus_cue`)."""
    i = cand.start
    if not _one_letter(cand, ctx) or i == 0 or not ctx.doc[i].text.isupper():
        return None
    if ctx.lowers[i - 1] not in ("the", "a", "an") or not ctx.pos():
        return None
    run = _noun_run(ctx, cand.end)
    if not run or any(ctx.conv.programming_word(w) for w in run) \
            or (_exact_name(cand, ctx) and run[0] in ctx.conv.name_cues_after.get(cand.entry.id, ())):
        return None  # "the R software": a word the corpora show after this very name
    return True


@register_rule("versioned_noun", stage="reject")
def versioned_noun(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A short name glued to a number, before a noun that is not about programming, names
    something else: "the ES1 and ES2 cell lines", "the AS4 domain". Developer nouns keep it
    ("my AS3 code", "ES6 arrow function syntax", "ES6 features")."""
    if not (cand.alias.versioned_only and cand.version_attached and len(cand.alias.text) <= 2):
        return None
    doc, i = ctx.doc, cand.end
    # "AS1 and AS2 regions": the noun after a coordinated sibling
    if i + 1 < len(doc) and ctx.lowers[i] in ("and", "or", ",", "/", "&") \
            and any(ch.isdigit() for ch in doc[i + 1].text) and doc[i + 1].text[:1].isupper():
        i += 2
    if i >= len(doc) or not (doc[i].is_lower and doc[i].is_alpha) or ctx.conv.programming_word(doc[i].lower_):
        return None
    if not ctx.pos():
        return None
    run = _noun_run(ctx, i)
    if not run or any(ctx.conv.programming_word(w) for w in run):
        return None
    return True


# -- names that need no context ------------------------------------------------
@register_rule("compound_token", stage="accept")
def compound_token(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """One token or unspaced chunk joining a name with more: "html/css", "pure-Python"."""
    return True if cand.compound else None


@register_rule("versioned_alias", stage="accept")
def versioned_alias(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A name that counts only with a version: "ES6", "AS3"."""
    return True if cand.alias.versioned_only else None


@register_rule("unambiguous_alias", stage="accept")
def unambiguous_alias(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A name that is not an ordinary word: "Python", "golang", "C#"."""
    return True if not (cand.alias.versioned_only or cand.ambiguous) else None


@register_rule("version_follows", stage="accept")
def version_follows(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """An ambiguous name with a version: "Go 1.21", "C11"."""
    return True if cand.ambiguous and not cand.alias.versioned_only and cand.version is not None else None


# -- context cues ----------------------------------------------------------------
@register_rule("cue_before", stage="cue")
def cue_before(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """ "written in Go", "ported to Rust"."""
    if not ctx.canonical(cand):
        return None
    for k in range(1, ctx.conv.max_before_words + 1):
        if cand.start - k < 0:
            break
        if " ".join(ctx.lowers[cand.start - k:cand.start]) in ctx.conv.cues_before:
            return True
    return None


@register_rule("cue_after", stage="cue")
def cue_after(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """ "Go code", "the Rust compiler"."""
    return (ctx.canonical(cand) and ctx.next(cand) in ctx.conv.cues_after) or None


@register_rule("list_member", stage="cue")
def list_member(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """Coordination with an accepted language: "Python, Go and Rust" (to a fixpoint).

    An ordinary word must be written as the language writes itself: "Scilab for signal
    processing" is no list of languages."""
    if cand.ambiguous and not ctx.canonical(cand):
        return None
    for other in ctx.neighbours(cand):
        if not ctx.accepted(other):
            continue
        lo, hi = (other.end, cand.start) if other.end <= cand.start else (cand.end, other.start)
        between = ctx.lowers[lo:hi]
        if 1 <= len(between) <= 2 and all(w in ctx.conv.separators for w in between):
            return True
    return None


@register_rule("cue_window", stage="cue")
def cue_window(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A programming word within `context_window` tokens: "compile", "syntax"."""
    if not (ctx.canonical(cand) and ctx.canonical(cand, weak=True)):
        return None
    lo, hi = max(0, cand.start - ctx.window), min(len(ctx.lowers), cand.end + ctx.window)
    words = ctx.conv.cues_window
    return any(ctx.lowers[j] in words for j in range(lo, hi) if not cand.start <= j < cand.end) or None


# -- evidence for ambiguous names (out-of-domain text) ---------------------------------
# The tables these rules read are computed from annotated corpora by
# `spacy_rulelang.catalogue.build.corpus_evidence` (its docstring states each formula);
# an empty table (a component saved before they existed) switches its rule off.
def evidence(cand: Candidate, ctx: RuleContext) -> dict:
    """What speaks for a candidate being a language, beyond the tagger's PROPN: recorded
    for `explain` / `tag --explain`, so that a user sees why "R" was taken in one sentence
    and not in another. Features: `cue` (a cue word or phrase of cues.json next to it),
    `corpus_cue` (a neighbour that the corpora show next to labelled names, or next to this
    name written its own way: "in R"),
    `programming_word` (a developer word within `context_window` tokens), `version`,
    `other_language` (another name in the doc that needs no context), `pos` (the tag)."""
    i = ctx.index[id(cand)]
    found = ctx.evidence.get(i)
    if found is not None:
        return found
    conv, doc = ctx.conv, ctx.doc
    cue = None
    for k in range(1, conv.max_before_words + 1):
        phrase = " ".join(ctx.lowers[max(0, cand.start - k):cand.start])
        if cand.start - k >= 0 and phrase in conv.cues_before:
            cue = phrase
    if cue is None and ctx.next(cand) in conv.cues_after:
        cue = ctx.next(cand)
    if cue is None and cand.start >= 2 and doc[cand.start - 1].text in HYPHENS \
            and ctx.lowers[cand.start - 2] in conv.compound_prefixes:  # split "pure - C"
        cue = ctx.lowers[cand.start - 2]
    corpus_cue = None
    before, after = conv.corpus_cues.get("before", ()), conv.corpus_cues.get("after", ())
    two = " ".join(ctx.lowers[cand.start - 2:cand.start]) if cand.start >= 2 else ""
    if ctx.prev(cand) in before or two in before:
        corpus_cue = ctx.prev(cand) if ctx.prev(cand) in before else two
    elif ctx.next(cand) in after:
        corpus_cue = ctx.next(cand)
    elif _exact_name(cand, ctx):  # this name's own cues: "R software", "in R", "using R"
        if ctx.prev(cand) in conv.name_cues_before.get(cand.entry.id, ()) \
                or (cand.entry.id in conv.tool_ids and ctx.prev(cand) in conv.tool_prepositions):
            corpus_cue = ctx.prev(cand)
        elif ctx.next(cand) in conv.name_cues_after.get(cand.entry.id, ()):
            corpus_cue = ctx.next(cand)
    other = next((doc[c.start:c.end].text for c in _context_free_names(ctx) if c.entry.id != cand.entry.id), None)
    lo, hi = max(0, cand.start - ctx.window), min(len(doc), cand.end + ctx.window)
    nearby = _developer_word_in(ctx, cand, lo, hi)
    sentence_word = None
    if nearby is None and len(cand.alias.text) > 1 and not _names_a_thing(cand, ctx):
        sentence_word = _developer_word_in(ctx, cand, *_sentence_bounds(ctx, cand))
    found = {"cue": cue, "corpus_cue": corpus_cue, "programming_word": nearby,
             "sentence_word": sentence_word, "version": cand.version,
             "other_language": other, "pos": doc[cand.start].pos_ or None}
    ctx.evidence[i] = found
    return found


def _exact_name(cand: Candidate, ctx: RuleContext) -> bool:
    """Written exactly as the language writes its name ("R", "Ruby"; spaCy keeps a
    sentence-final "R." whole), as the per-name corpus tables were counted."""
    text = ctx.doc[cand.start:cand.end].text
    if cand.end - cand.start == 1 and len(text) > 1 and text.endswith("."):
        text = text[:-1]
    return text == cand.entry.name


def _corpus_language(cand: Candidate, ctx: RuleContext) -> bool:
    """A name the annotated corpora call a language wherever it is written the language's way
    ("Ruby"; computed: "corpus_language_ids"), written so here."""
    return cand.entry.id in ctx.conv.language_ids and _exact_name(cand, ctx)


SENTENCE_STOPS = frozenset({".", "!", "?"})
SENTENCE_REACH = 25  # tokens searched on each side at most: linear on a doc without full stops


def _sentence_bounds(ctx: RuleContext, cand: Candidate) -> Tuple[int, int]:
    """The candidate's sentence, [lo, hi): up to the nearest ".", "!" or "?" on each side, and
    at most SENTENCE_REACH tokens away ("Swift is a general-purpose programming language")."""
    lo = cand.start
    while lo > 0 and cand.start - lo < SENTENCE_REACH and ctx.lowers[lo - 1] not in SENTENCE_STOPS:
        lo -= 1
    hi, n = cand.end, len(ctx.lowers)
    while hi < n and hi - cand.end < SENTENCE_REACH and ctx.lowers[hi] not in SENTENCE_STOPS:
        hi += 1
    return lo, hi


def _developer_word_in(ctx: RuleContext, cand: Candidate, lo: int, hi: int) -> Optional[str]:
    return next((ctx.lowers[j] for j in range(lo, hi) if not cand.start <= j < cand.end
                 and _developer_word(ctx.conv, ctx.lowers[j])), None)


def _names_a_thing(cand: Candidate, ctx: RuleContext) -> bool:
    """The name modifies a noun that is not about programming ("the Processing screen", "the
    Logo image"): then only a developer word close by speaks for a language, not one elsewhere
    in the sentence."""
    if cand.end >= len(ctx.doc) or not ctx.doc[cand.end].pos_:
        return False
    return ctx.doc[cand.end].pos_ == "NOUN" and not _developer_word(ctx.conv, ctx.lowers[cand.end])


def _developer_word(conv, word: str) -> bool:
    """A cue word or developer noun ("compiler", "loops", "preprocessor"); not the file and
    product words ("image", "form"), which name other things as often."""
    words = (conv.cues_after, conv.cues_window, conv.programming_nouns)
    return any(w in group for group in words
               for w in (word, word[:-1] if word.endswith("s") else None, word[:-2] if word.endswith("es") else None)
               if w)


def _context_free_names(ctx: RuleContext) -> List[Candidate]:
    """The doc's first two names of different languages that need no context, found once
    per doc (a scan per candidate made a long list quadratic): the first of them that is
    not the candidate's own language is the doc's first such other language."""
    firsts = ctx.memo.get("context_free_names")
    if firsts is None:
        firsts = []
        for c in ctx.cands:
            # no ordinary word, or a word name (not a letter) written as the language writes
            # itself ("the Go service in Rust": each speaks for the other)
            plain = not c.ambiguous or (len(c.alias.text) > 1 and ctx.doc[c.start:c.end].text == c.entry.name)
            if (plain and not c.alias.versioned_only and not c.inside_word and _tagged_kind(c, ctx)
                    and (not firsts or c.entry.id != firsts[0].entry.id)):
                firsts.append(c)
                if len(firsts) == 2:
                    break
        ctx.memo["context_free_names"] = firsts
    return firsts


def _tagged_kind(cand: Candidate, ctx: RuleContext) -> bool:
    """Whether the candidate's kind is tagged by default (see `language_kind`)."""
    kinds, entry = ctx.conv.tagged_kinds, cand.entry
    if not kinds or not ctx.on("language_kind"):
        return True
    if entry.kind == "markup":
        return entry.id in ctx.conv.tagged_markup_ids
    return entry.kind in kinds


@register_rule("record_evidence", stage="reject")
def record_evidence(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """Never decides: records `evidence` for every ambiguous name, whichever rule decides it,
    so that `explain` shows it for accepted and rejected names alike."""
    if cand.ambiguous:
        evidence(cand, ctx)
    return None


@register_rule("language_kind", stage="reject")
def language_kind(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A kind that StackOverflowNER does not label as a language: a template engine ("Jinja
    templates"), document markup ("notes in Markdown"). Computed: `tagged_kinds` and
    `tagged_markup_ids` in conventions.json. The setting `all_kinds = true` turns it off."""
    return None if _tagged_kind(cand, ctx) else True


@register_rule("corpus_usage", stage="reject")
def corpus_usage(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A name that the annotated corpora, written as the language writes it, all but never
    label a language: statistics packages ("analysed in Stata"). Computed:
    `corpus_non_language_ids` in conventions.json."""
    return True if cand.entry.id in ctx.conv.non_language_ids else None


@register_rule("glued_version", stage="reject")
def glued_version(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A number glued to a name is a version only for names that take one by convention
    ("python3", "C++17", "ES6", "php5"; computed: `glued_version_ids`), or in a written form
    the corpora label ("AS3"; `glued_version_forms`); elsewhere it is a
    code or a label ("AS1 and AS2", "a C18 column"), unless a cue or a developer word
    nearby says otherwise ("AS3 code", "C99 allows declarations in loops"). Hyphenated to a
    code on its left, it is part of that code whatever else: the gene "AFAP1 - AS1"."""
    if not (cand.version_attached and ctx.conv.glued_version_ids) or cand.compound or cand.end - cand.start > 1:
        return None  # "Visual FoxPro9": a name of several words is no code
    doc, i = ctx.doc, cand.start
    if i >= 2 and doc[i - 1].text in HYPHENS and any(ch.isdigit() for ch in doc[i - 2].text) \
            and any(ch.isalpha() for ch in doc[i - 2].text):
        return True  # a code hyphenated to a code: the gene "AFAP1 - AS1" (split text)
    if cand.entry.id in ctx.conv.glued_version_ids or ctx.lowers[cand.start] in ctx.conv.glued_version_forms:
        return None
    found = evidence(cand, ctx)
    return None if (found["cue"] or found["corpus_cue"] or found["programming_word"]) else True


FILE_NAME = re.compile(r"^[\w\-./~]*[\w\-]\.[a-z][a-z0-9]{0,3}$")


@register_rule("shell_invocation", stage="reject")
def shell_invocation(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A command, not prose: the lower-case name runs a file ("python setup.py install", "node
    server.js") or follows `sudo`. StackOverflowNER labels such commands Code_Block (in
    train/dev every language name followed by a script file or an option is one)."""
    if cand.compound or cand.version is not None or not ctx.doc[cand.start].is_lower:
        return None  # commands are typed in lower case; "CSS main.css:" is a heading
    nxt = ctx.doc[cand.end].text if cand.end < len(ctx.doc) else ""
    if ctx.prev(cand) == "sudo" or (FILE_NAME.match(nxt) and not is_version(nxt)):
        return True
    return None


@register_rule("code_like_name", stage="reject")
def code_like_name(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A name of at most three characters that mixes letters and digits ("P4", "C3", "4D",
    "M4") reads as a code in most text (a processor, a protein, a day, a macro), like a
    glued version: it needs a cue or a corpus cue."""
    text = cand.alias.text
    if cand.compound or cand.end - cand.start > 1 or len(text) > 3 or not ctx.conv.glued_version_ids:
        return None
    if not (any(ch.isdigit() for ch in text) and any(ch.isalpha() for ch in text)):
        return None
    found = evidence(cand, ctx)
    return None if (found["cue"] or found["corpus_cue"]) else True


@register_rule("version_casing", stage="reject")
def version_casing(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A number after an ordinary word is no version unless the word is written as the
    language writes itself: "lean 2 weeks", "factor 3", "Eq 4" are not Lean, Factor, EQ
    ("Go 1.21" stays)."""
    if not (cand.ambiguous and cand.version is not None and not cand.version_attached):
        return None
    if len(cand.alias.text) == 1 or not ctx.conv.glued_version_ids:
        return None
    text = ctx.doc[cand.start:cand.end].text
    return None if text == cand.entry.name else True


@register_rule("corpus_cue", stage="cue")
def corpus_cue(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A neighbour word that the annotated corpora show next to labelled names ("the R
    package"; computed: "corpus" in cues.json), or next to this very name ("R software",
    "Ruby code"; computed per language: "corpus_name_before" and "corpus_name_after"), or
    after a preposition of a tool for a name the corpora show there ("analysed in R",
    "loaded into R"; computed: "corpus_preposition_ids"), the name written its own way."""
    if not (cand.ambiguous and ctx.canonical(cand)):
        return None
    return True if evidence(cand, ctx)["corpus_cue"] else None


@register_rule("needs_evidence", stage="reject")
def needs_evidence(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """An ambiguous name that only the tagger's PROPN could still accept needs evidence, the
    way a cue gives it: a single capital ("where C is the cost") or an ordinary word, a
    product or a place ("Crystal clear", "the Logo image") is taken only with a developer
    word nearby (for a letter, right after it: "the C preprocessor", or before a preposition
    before it: "pointers in C"; for a word name anywhere in its sentence, unless it
    modifies a noun that is not about programming: "Swift is a general-purpose programming
    language", not "the Processing screen ... API") or where the same text names another
    language ("Elm and Haskell" is `list_member`; "compared Elm with Python", where no cue
    joins them, is this). Names that the annotated corpora call a language wherever they are
    written the language's way ("Ruby"; computed: "corpus_language_ids") need no more."""
    if not (cand.ambiguous and _proper_noun_candidate(cand, ctx)):
        return None
    if _corpus_language(cand, ctx):
        return None
    found = evidence(cand, ctx)
    near = found["programming_word"]
    if len(cand.alias.text) == 1:  # a letter: only the next word ("the C preprocessor"), or a
        # developer word right before a preposition before it ("pointers in C")
        before = (ctx.lowers[cand.start - 2] if cand.start >= 2 and ctx.prev(cand) in LETTER_PREPOSITIONS
                  and _developer_word(ctx.conv, ctx.lowers[cand.start - 2]) else None)
        near = near if near is not None and near == ctx.next(cand) else before
    return None if (found["other_language"] or near or found["cue"] or found["sentence_word"]) else True


# -- part of speech ----------------------------------------------------------------
@register_rule("pos_check", stage="veto")
def pos_check(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """The tagger says verb, adposition, ...: "I go home"; or part of a longer name ("Taylor Swift";
    not before a capitalised developer word: "a Groovy Script").

    A direct cue or a list overrules the tagger where the casing agrees."""
    if not ctx.pos():
        return None
    doc, token = ctx.doc, ctx.doc[cand.start]
    for j in (cand.start - 1, cand.end):  # "Taylor Swift", "Arduino Uno"; not "JavaScript Rust"
        if 0 <= j < len(doc) and doc[j].pos_ == "PROPN" and doc[j].text[:1].isupper() \
                and not ctx.named_at(cand, j) and not (j == cand.end and ctx.conv.programming_word(doc[j].lower_)):
            return True  # a developer word after it is a title-cased heading: "in Groovy Script"
    if token.pos_ not in NOT_NAME_POS and not (token.pos_ == "ADJ" and token.is_lower):
        return None
    decision = ctx.decisions[ctx.index[id(cand)]]
    strong = decision is not None and decision.rule in STRONG_CONTEXT_RULES and ctx.canonical(cand)
    return None if strong else True


def _proper_noun_candidate(cand: Candidate, ctx: RuleContext) -> bool:
    """Only pos_propn could still accept it: a name the catalogue lets a capital accept
    (`accept_propn`; off for rare names that are also people or places, "Cairo")."""
    return (ctx.on("pos_propn") and cand.entry.accept_propn and ctx.pos()
            and ctx.doc[cand.start].pos_ in NAME_POS)


@register_rule("casing", stage="reject")
def casing(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """Where only the tagger could accept it, an ambiguous name must be written its own way,
    mid-sentence ("Go", not "go"), unless the catalogue says lowercase is fine."""
    if not _proper_noun_candidate(cand, ctx):
        return None
    doc, token = ctx.doc, ctx.doc[cand.start]
    nxt = doc[cand.end] if cand.end < len(doc) else None
    prev = doc[cand.start - 1] if cand.start > 0 else None
    lowercase_ok = cand.entry.casing == "any" and token.is_lower
    canonical = ctx.canonical(cand, pos_stage=True) and not token.is_lower
    sentence_start = cand.start == 0 or bool(token.is_sent_start) or prev.text in SENTENCE_END
    subject = nxt is not None and nxt.pos_ in ("AUX", "VERB")  # "Ruby has four levels"
    # a name the corpora call a language: its capital says nothing at the start of a
    # sentence, and nothing speaks for the ordinary word ("Ruby core team")
    known = _corpus_language(cand, ctx)
    return True if not (lowercase_ok or canonical) or (sentence_start and not subject and not known) else None


@register_rule("pos_propn", stage="cue")
def pos_propn(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """A proper noun in the name's own casing, mid-sentence, used as a name ("the Go team")."""
    if not _proper_noun_candidate(cand, ctx):
        return None
    doc, token = ctx.doc, ctx.doc[cand.start]
    nxt = doc[cand.end] if cand.end < len(doc) else None
    prev = doc[cand.start - 1] if cand.start > 0 else None
    if nxt is not None and nxt.lower_ in ctx.conv.person_verbs:
        return None  # "Julia reviewed the PR", "Ruby said": a person
    if prev is not None and prev.pos_ == "DET" and (nxt is None or nxt.pos_ not in ("NOUN", "PROPN")):
        return None  # "plugged the Arduino into": a thing; "the Go team" is fine
    if token.is_lower and nxt is not None and nxt.pos_ in ("NOUN", "ADJ"):
        return None  # "a ruby ring"
    return True


# Span rules: they shape spans rather than decide candidates (see ruleset.py).
@register_rule("adjacent_run", stage="accept")
def adjacent_run(cand: Candidate, ctx: RuleContext) -> Optional[bool]:
    """ "HTML JS" is one mention in StackOverflowNER: joins accepted neighbours."""
    return None


DEFAULT_RULES = (
    "record_evidence", "inside_word", "code_token", "initials", "data_format", "language_kind",
    "corpus_exclusion", "corpus_usage",
    "file_type", "product_name", "single_letter", "degree_unit", "hyphen_letter", "letter_after_noun",
    "letter_before_noun", "versioned_noun", "glued_version", "shell_invocation", "code_like_name", "version_casing",
    "compound_token", "versioned_alias",
    "unambiguous_alias", "version_follows", "cue_before", "cue_after", "cue_window", "corpus_cue",
    "list_member", "pos_check", "needs_evidence", "casing", "pos_propn", "adjacent_run",
)

