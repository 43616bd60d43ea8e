"""Build-time only: evidence about names, computed from annotated corpora and shipped as data.

    python -m spacy_rulelang.catalogue.build.corpus_evidence \\
        --so ../shared/data/stackoverflow_ner/train.txt ../shared/data/stackoverflow_ner/dev.txt \\
        --other ../shared/data/out_of_domain/sner_train.txt ../shared/data/out_of_domain/somesci_train.txt

writes its tables into `data/cues.json` ("corpus", "corpus_name_before",
"corpus_name_after") and `data/conventions.json` ("glued_version_ids",
"glued_version_forms", "corpus_non_language_ids", "corpus_preposition_ids",
"corpus_tool_prepositions", "corpus_language_ids", "tagged_kinds", "tagged_markup_ids"), and
the counts behind them, with the files' sha256 and the thresholds, into
`data/corpus_evidence.provenance.json`. Only tuning splits may be passed (never a test
split); SO dev and SoMeSci devel are best left out, so that they measure the result.

How each table is computed (an *occurrence* is one token whose lower case is a catalogue
alias; it is *labelled* when it is exactly a gold `Language` span):

1. **Context cues** ("corpus": {"before": [...], "after": [...]}). For every occurrence of an
   ambiguous alias (one the catalogue marks as an ordinary word or a single letter), the
   alphabetic word right before it and right after it (lower case, 2+ letters), and the
   two words before it where the nearer one is a function word ("analysed in"), counted
   separately for labelled (L) and unlabelled (U) occurrences, over all corpora. A word
   is a cue on its side when L >= ``CUE_MIN_LABELLED`` (2), it occurs with at least
   ``CUE_MIN_NAMES`` (1) distinct names, and the smoothed share
   (L + 1) / (L + U + 2) >= ``CUE_MIN_SHARE`` (0.6). Words of ``STOP_WORDS`` (function
   words: "the", "in", "of", ...) never count: they say nothing about the name.
2. **Glued versions** ("glued_version_ids"): the entries whose name takes a version
   glued on by convention ("python3", "c++17", "es6", "html5"). Over all corpora, the
   tokens that split into an alias and a glued number (catalogue.versions); an entry
   qualifies when at least ``GLUED_MIN_LABELLED`` (2) of them are labelled and labelled
   ones are at least ``GLUED_MIN_SHARE`` (0.5) of all. "AS1" (a region, a gene) and "C18"
   (a column) are then not versions of ActionScript and C without other evidence. The same
   counts per written form, lower case ("glued_version_forms"), with the same thresholds:
   "as3" is labelled where "as1" never is, so ActionScript 3 keeps its usual name.
3. **Names the corpora do not call languages** ("corpus_non_language_ids"): entries whose
   name or alias, three letters or more, not first in its sentence, occurs at least ``NON_LANGUAGE_MIN`` (20) times over all corpora and is labelled in at most
   ``NON_LANGUAGE_MAX_SHARE`` (0.05) of them: statistics packages that SoMeSci labels as
   applications ("Stata"), tools. A name that has been labelled is never dropped for
   being rare. Counted in any casing where the catalogue does not call the name an
   ordinary word ("Stata"); an ordinary word only as an acronym in capitals ("SAS"), so
   that "red" or "fish" in prose never drops the languages Red and fish.
4. **Tagged kinds** ("tagged_kinds", "tagged_markup_ids"): in the StackOverflowNER
   files (`--so`) only, the entity type of every occurrence, summed by catalogue kind. A
   kind is tagged when its names are labelled `Language` in at least ``KIND_MIN_SHARE``
   (1/3) of their occurrences labelled as any entity: programming, query, stylesheet,
   assembly and schema names are; template (Blade, JSP: libraries) and data names are
   not. Shell is tagged too, being how StackOverflowNER labels bash and sh commands
   in prose (see the counts). Markup is split: a markup entry is tagged when train/dev
   label it `Language` at least ``MARKUP_MIN_LABELLED`` (5) times (HTML, XML, XAML);
   other markup (Markdown, AsciiDoc, reStructuredText) is a document format.
5. **Cues of one name** ("corpus_name_before", "corpus_name_after" in cues.json): the word
   right before and right after, as in (1), counted per language and for the name written
   exactly as the language writes itself ("R", not "r"): "R software" is labelled where
   "Processing software" is not, so the pooled table of (1) cannot hold it. A word is a cue
   of that name when it is next to it L >= ``NAME_CUE_MIN_LABELLED`` (3) times labelled and
   the smoothed share (L + 1) / (L + U + 2) >= ``CUE_MIN_SHARE`` (0.6).
6. **Names the corpora show as tools** ("corpus_preposition_ids"): function words say
   nothing about ambiguous names in general ("in C" is a figure panel in scientific text),
   but they do about some names. The entries whose name, written its own way, follows a
   preposition of ``TOOL_PREPOSITIONS`` ("in", "using", "with", "into", "within", ...: what
   a thing is done in or with; written to conventions.json as "corpus_tool_prepositions")
   at least ``NAME_CUE_MIN_LABELLED`` (3) times labelled, with the smoothed share >=
   ``CUE_MIN_SHARE``, the prepositions counted together: "analysed in R", "using R", "into
   R"; C is not one. English grammar names the slot; the corpora say which names fill it as
   languages.
7. **Names the corpora call languages** ("corpus_language_ids"): the mirror of (3). Entries
   whose ambiguous name, written exactly as the language writes it and not first in its
   sentence, is labelled at least ``LANGUAGE_MIN_LABELLED`` (5) times and in at least
   ``LANGUAGE_MIN_SHARE`` (0.9) of its occurrences: the ordinary-word reading does not show
   in developer or scientific text ("Ruby"), so the tagger's proper noun is evidence enough
   and `needs_evidence` leaves the name to the later rules (casing, the person verbs).
"""
from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Sequence, Set, Tuple, Union

from spacy_rulelang.catalogue.load import Entry, load_catalogue
from spacy_rulelang.catalogue.versions import split_attached_version
from spacy_rulelang.data import data_path
from spacy_rulelang.errors import Errors

CUE_MIN_LABELLED = 2
CUE_MIN_NAMES = 1
CUE_MIN_SHARE = 0.6
GLUED_MIN_LABELLED = 2
GLUED_MIN_SHARE = 0.5
NON_LANGUAGE_MIN = 20
NON_LANGUAGE_MAX_SHARE = 0.05
KIND_MIN_SHARE = 1 / 3
MARKUP_MIN_LABELLED = 5
NAME_CUE_MIN_LABELLED = 3
LANGUAGE_MIN_LABELLED = 5
LANGUAGE_MIN_SHARE = 0.9
TOOL_PREPOSITIONS = frozenset("in into within inside using with via through under onto".split())
ALWAYS_TAGGED_KINDS = ("programming", "shell")
PROVENANCE_FILE = "corpus_evidence.provenance.json"
STOP_WORDS = frozenset(
    "a an the and or but nor of in on at to for from by with as into onto than then that this these those "
    "is are was were be been being it its their our your his her my we you they he she i me us them not no "
    "if so such which who what when where while also both either each all any some can could may might "
    "will would should must do does did has have had".split())

Sentence = Tuple[List[str], List[str]]  # words, entity types ("O", "Language", "Application", ...)


def read_tagged(path: Union[str, Path]) -> Iterator[Sentence]:
    """Sentences of a `word<TAB>BIO-tag[...]` file as (words, entity type of each word)."""
    words: List[str] = []
    types: List[str] = []
    with Path(path).open(encoding="utf8") as fileh:
        for line in fileh:
            parts = line.rstrip("\n").split("\t")
            if not parts[0].strip():
                if words:
                    yield words, types
                words, types = [], []
                continue
            tag = parts[1] if len(parts) > 1 else "O"
            words.append(parts[0])
            types.append(tag[2:] if tag[:2] in ("B-", "I-") else "O")
    if words:
        yield words, types


def _neighbours(words: List[str], i: int) -> Iterator[Tuple[str, str]]:
    """The context of words[i]: the word before and after it, and the two words before
    when the nearer one is a function word ("analysed in", "written in")."""
    lowers = [w.lower() for w in words]
    word = lambda j: lowers[j] if 0 <= j < len(lowers) and lowers[j].isalpha() and len(lowers[j]) > 1 else None  # noqa: E731
    before, after = word(i - 1), word(i + 1)
    if before is not None and before not in STOP_WORDS:
        yield "before", before
    if before is not None and before in STOP_WORDS and word(i - 2) not in (None, *STOP_WORDS):
        yield "before", f"{lowers[i - 2]} {before}"
    if after is not None and after not in STOP_WORDS:
        yield "after", after


def _own_neighbours(words: List[str], i: int) -> Iterator[Tuple[str, str]]:
    """The word before and after words[i], lower case, 2+ letters, no function word."""
    for side, j in (("before", i - 1), ("after", i + 1)):
        if 0 <= j < len(words) and words[j].isalpha() and len(words[j]) > 1 and words[j].lower() not in STOP_WORDS:
            yield side, words[j].lower()


def _share_ok(labelled: int, unlabelled: int) -> bool:
    return (labelled + 1) / (labelled + unlabelled + 2) >= CUE_MIN_SHARE


def _sha256(path: Union[str, Path]) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def compute(so_paths: Sequence[Union[str, Path]], other_paths: Sequence[Union[str, Path]],
            entries: Iterable[Entry]) -> dict:
    """All the tables and their counts (see the module docstring)."""
    entries = list(entries)
    alias_of: Dict[str, Entry] = {}
    ambiguous: Set[str] = set()
    for entry in entries:
        for alias in entry.aliases + entry.versioned_aliases:
            alias_of.setdefault(alias, entry)
        ambiguous.update(entry.ambiguous_aliases)
    cue_counts: Dict[str, Dict[str, List[int]]] = {"before": defaultdict(lambda: [0, 0]),
                                                   "after": defaultdict(lambda: [0, 0])}
    cue_names: Dict[str, Dict[str, Set[str]]] = {"before": defaultdict(set), "after": defaultdict(set)}
    glued: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    glued_forms: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    capital: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    own_cues: Dict[Tuple[str, str, str], List[int]] = defaultdict(lambda: [0, 0])  # (id, side, word)
    own_name: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    as_tool: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    kind_types: Dict[str, Counter] = defaultdict(Counter)
    markup_labelled: Counter = Counter()
    so = {str(p) for p in so_paths}
    for path in list(so_paths) + list(other_paths):
        for words, types in read_tagged(path):
            for i, word in enumerate(words):
                lower = word.lower()
                entry = alias_of.get(lower)
                label = types[i] == "Language"
                if entry is None:
                    split = split_attached_version(lower)
                    base = alias_of.get(split[0]) if split is not None else None
                    if base is not None and word[:1].isalpha():
                        glued[base.id][0 if label else 1] += 1
                        glued_forms[lower][0 if label else 1] += 1
                    continue
                if str(path) in so and types[i] != "O":
                    kind_types[entry.kind][types[i]] += 1
                    if entry.kind == "markup" and label:
                        markup_labelled[entry.id] += 1
                if lower in ambiguous:
                    for side, other in _neighbours(words, i):
                        cue_counts[side][other][0 if label else 1] += 1
                        if label:
                            cue_names[side][other].add(entry.id)
                    if word == entry.name:
                        for side, other in _own_neighbours(words, i):
                            own_cues[entry.id, side, other][0 if label else 1] += 1
                        if i > 0:
                            own_name[entry.id][0 if label else 1] += 1
                        if i > 0 and words[i - 1].lower() in TOOL_PREPOSITIONS:
                            as_tool[entry.id][0 if label else 1] += 1
                if i > 0 and len(word) >= 3 and lower in entry.aliases \
                        and (lower not in ambiguous or (entry.name.isupper() and word == entry.name)):
                    capital[entry.id][0 if label else 1] += 1
    cues = {side: sorted(w for w, (lab, unl) in counts.items()
                         if lab >= CUE_MIN_LABELLED and len(cue_names[side][w]) >= CUE_MIN_NAMES
                         and _share_ok(lab, unl))
            for side, counts in cue_counts.items()}
    name_cues: Dict[str, Dict[str, List[str]]] = {"before": defaultdict(list), "after": defaultdict(list)}
    for (entry_id, side, other), (lab, unl) in sorted(own_cues.items()):
        if lab >= NAME_CUE_MIN_LABELLED and _share_ok(lab, unl):
            name_cues[side][entry_id].append(other)
    tool_ids = sorted(i for i, (lab, unl) in as_tool.items() if lab >= NAME_CUE_MIN_LABELLED and _share_ok(lab, unl))
    language_ids = sorted(i for i, (lab, unl) in own_name.items()
                          if lab >= LANGUAGE_MIN_LABELLED and lab >= LANGUAGE_MIN_SHARE * (lab + unl))
    glued_ids = sorted(i for i, (lab, unl) in glued.items()
                       if lab >= GLUED_MIN_LABELLED and lab >= GLUED_MIN_SHARE * (lab + unl))
    glued_form_list = sorted(f for f, (lab, unl) in glued_forms.items()
                             if lab >= GLUED_MIN_LABELLED and lab >= GLUED_MIN_SHARE * (lab + unl))
    non_language = sorted(i for i, (lab, unl) in capital.items()
                          if lab + unl >= NON_LANGUAGE_MIN and lab <= NON_LANGUAGE_MAX_SHARE * (lab + unl))
    kinds = sorted(k for k, c in kind_types.items()
                   if c["Language"] >= KIND_MIN_SHARE * sum(c.values()) and k != "markup")
    kinds = sorted(set(kinds) | set(ALWAYS_TAGGED_KINDS))
    markup_ids = sorted(i for i, n in markup_labelled.items() if n >= MARKUP_MIN_LABELLED)
    return {
        "tables": {"corpus": cues, "corpus_name_before": dict(name_cues["before"]),
                   "corpus_name_after": dict(name_cues["after"]), "glued_version_ids": glued_ids,
                   "glued_version_forms": glued_form_list,
                   "corpus_non_language_ids": non_language, "corpus_preposition_ids": tool_ids,
                   "corpus_tool_prepositions": sorted(TOOL_PREPOSITIONS),
                   "corpus_language_ids": language_ids,
                   "tagged_kinds": kinds, "tagged_markup_ids": markup_ids},
        "counts": {
            "cues": {side: {w: counts[w] for w in cues[side]} for side, counts in cue_counts.items()},
            "glued_versions": {i: v for i, v in sorted(glued.items())},
            "glued_version_forms": {f: glued_forms[f] for f in glued_form_list},
            "capitalised_unambiguous": {i: v for i, v in sorted(capital.items()) if sum(v) >= NON_LANGUAGE_MIN},
            "name_cues": {f"{i} {side} {w}": v for (i, side, w), v in sorted(own_cues.items())
                          if w in name_cues[side].get(i, ())},
            "own_casing_not_first": {i: v for i, v in sorted(own_name.items()) if v[0] >= LANGUAGE_MIN_LABELLED},
            "after_tool_preposition": {i: v for i, v in sorted(as_tool.items()) if v[0] >= NAME_CUE_MIN_LABELLED},
            "entity_types_by_kind": {k: dict(c.most_common()) for k, c in sorted(kind_types.items())},
            "markup_labelled": dict(markup_labelled.most_common()),
        },
        "thresholds": {"cue_min_labelled": CUE_MIN_LABELLED, "cue_min_names": CUE_MIN_NAMES,
                       "cue_min_share": CUE_MIN_SHARE, "glued_min_labelled": GLUED_MIN_LABELLED,
                       "glued_min_share": GLUED_MIN_SHARE, "non_language_min": NON_LANGUAGE_MIN,
                       "non_language_max_share": NON_LANGUAGE_MAX_SHARE, "kind_min_share": round(KIND_MIN_SHARE, 3),
                       "markup_min_labelled": MARKUP_MIN_LABELLED, "always_tagged_kinds": list(ALWAYS_TAGGED_KINDS),
                       "name_cue_min_labelled": NAME_CUE_MIN_LABELLED, "language_min_labelled": LANGUAGE_MIN_LABELLED,
                       "language_min_share": LANGUAGE_MIN_SHARE},
        "sources": {Path(p).name: _sha256(p) for p in list(so_paths) + list(other_paths)},
    }


def write(result: dict, out_dir: Path) -> List[Path]:
    """Update the computed keys of cues.json and conventions.json; write the provenance."""
    tables = result["tables"]
    cues_path, conv_path = out_dir / "cues.json", out_dir / "conventions.json"
    cues = json.loads(cues_path.read_text(encoding="utf8"))
    for key in ("corpus", "corpus_name_before", "corpus_name_after"):
        cues[key] = tables[key]
    cues["corpus_about"] = ("corpus, corpus_name_before and corpus_name_after are computed by "
                            f"spacy_rulelang.catalogue.build.corpus_evidence; counts in {PROVENANCE_FILE}.")
    conv = json.loads(conv_path.read_text(encoding="utf8"))
    for key in ("glued_version_ids", "glued_version_forms", "corpus_non_language_ids", "corpus_preposition_ids", "corpus_tool_prepositions",
                "corpus_language_ids", "tagged_kinds", "tagged_markup_ids"):
        conv[key] = tables[key]
    conv["computed_about"] = ("glued_version_ids, glued_version_forms, corpus_non_language_ids, corpus_preposition_ids (with the "
                              "corpus_tool_prepositions it counted), corpus_language_ids, tagged_kinds and "
                              "tagged_markup_ids are computed by spacy_rulelang.catalogue.build.corpus_evidence; "
                              f"counts in {PROVENANCE_FILE}.")
    cues_path.write_text(json.dumps(cues, indent=2, ensure_ascii=False) + "\n", encoding="utf8")
    conv_path.write_text(json.dumps(conv, indent=1, ensure_ascii=False) + "\n", encoding="utf8")
    prov = out_dir / PROVENANCE_FILE
    prov.write_text(json.dumps({k: v for k, v in result.items() if k != "tables"}, indent=1,
                               ensure_ascii=False, sort_keys=True) + "\n", encoding="utf8")
    return [cues_path, conv_path, prov]


def main(argv: Sequence[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--so", nargs="+", required=True, help="StackOverflowNER tuning splits (train, dev)")
    parser.add_argument("--other", nargs="*", default=[], help="other annotated tuning files (word<TAB>tag)")
    parser.add_argument("--output", default=str(data_path("cues.json").parent))
    args = parser.parse_args(argv)
    for path in args.so + args.other:
        if Path(path).name.startswith("test"):
            raise ValueError(Errors.E330.format(path=path))
        if not Path(path).exists():
            raise ValueError(Errors.E331.format(path=path))
    result = compute(args.so, args.other, load_catalogue())
    for path in write(result, Path(args.output)):
        print(path)


if __name__ == "__main__":
    main()
