"""Build the language catalogue from GitHub Linguist, our overlay and train/dev evidence.

Linguist (the pinned `linguist-languages` npm package) gives names, aliases and types
of ~830 languages; `data/linguist_rules.json` says which types count (programming and
markup; query languages of type data) and how types map to our `kind`s. The overlay
(`data/overlay.jsonl`) is our hand-made knowledge on top: canonical ids, extra aliases
("golang"), casing, versioned aliases, example sentences, entries Linguist lacks, and
Linguist languages to leave out (`spacy_rulelang.catalogue.build.overlay` reads it, and the example
sentences of `data/examples.jsonl`). Which names are ordinary words is computed
(`spacy_rulelang.catalogue.build.ambiguity`). The output is sorted and carries no timestamp, so a
rebuild from the same inputs is byte-identical.

Merging: an overlay entry absorbs every Linguist language whose slug is its id, whose
lower-cased name is one of its aliases, or that its `linguist` field names. Overlay
aliases win a clash. A Linguist alias (not a language's name) is dropped when another
entry has it, when it is an ordinary word (`spacy_rulelang.catalogue.build.ambiguity`) or a phrase of
ordinary words none of which names a language ("man page" for Roff), when it is shorter
than three characters, when it ends in a version ("python3": the rules read versions), or
when train/dev use it but never label it a language.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Union

from spacy_rulelang.catalogue.build.ambiguity import (CORPUS_LANG_MIN, CORPUS_WORD_MIN, ZIPF_ALWAYS, ZIPF_WORD, Verdict, ZipfFn, is_phrase_of_words,
                        judge_all)
from spacy_rulelang.catalogue.load import Entry, check_unique_aliases, entries_to_jsonl, parse_entry
from spacy_rulelang.data import data_path
from spacy_rulelang.errors import Errors
from spacy_rulelang.catalogue.build.tarball import PACKAGE, SHA256, VERSION, LinguistLanguage, read_languages, read_licence
from spacy_rulelang.catalogue.build.name_evidence import NameCounts, count_names
from spacy_rulelang.catalogue.build.overlay import EXAMPLES_FILE, Overlay, OverlayItem, read_examples, read_overlay
from spacy_rulelang.catalogue.versions import split_attached_version

CATALOGUE_FILE = "languages.jsonl"
PROVENANCE_FILE = "languages.provenance.json"
LICENCE_FILE = "languages.LICENSE-linguist.txt"
# Linguist aliases shorter than this are search keys, not names people write ("m2", "rb");
# the overlay lists the short ones that people do write ("js", "py").
MIN_ALIAS_LENGTH = 3


def slug(name: str) -> str:
    """Our id for a Linguist name: "C++" -> "cpp", "C#" -> "csharp", "Emacs Lisp" -> "emacs_lisp"."""
    text = name.lower().replace("++", "pp").replace("#", "sharp")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def load_rules(path: Optional[Union[str, Path]] = None) -> dict:
    return json.loads(Path(path or data_path("linguist_rules.json")).read_text(encoding="utf8"))


def selected(lang: LinguistLanguage, rules: dict) -> bool:
    """Types that StackOverflowNER labels as languages, and query languages of type data."""
    if lang.type in rules["types"]:
        return True
    return lang.ace_mode in rules["query_ace_modes"] or any(lang.name.endswith(s) for s in rules["query_name_suffixes"])


def kind_of(lang: LinguistLanguage, rules: dict) -> str:
    return rules["kind_by_ace_mode"].get(lang.ace_mode) or rules["kind_by_type"][lang.type]


@dataclass
class Build:
    """The result of a build: entries and what the provenance file records."""

    entries: List[Entry]
    verdicts: Dict[str, Verdict]
    provenance: dict
    licence: str


def _match_overlay(lang: LinguistLanguage, items: Sequence[OverlayItem]) -> Optional[OverlayItem]:
    for item in items:
        aliases = {a.lower() for a in [item.record["name"]] + item.record.get("aliases", [])}
        if lang.name in item.linguist or slug(lang.name) == item.record["id"] or lang.name.lower() in aliases:
            return item
    return None


def build_catalogue(tarball: Union[str, Path], overlay_path: Union[str, Path], corpus: Sequence[Union[str, Path]],
                    zipf: ZipfFn, rules: Optional[dict] = None, expected_sha256: str = SHA256,
                    examples_path: Optional[Union[str, Path]] = None) -> Build:
    """Every selected Linguist language plus the overlay, with computed ambiguity."""
    rules = rules or load_rules()
    examples = read_examples(examples_path or data_path(EXAMPLES_FILE))
    languages = read_languages(tarball, expected_sha256)
    known = {lang.name for lang in languages}
    overlay = read_overlay(overlay_path)
    for item in overlay.items:
        for name in item.linguist:
            if name not in known:
                raise ValueError(Errors.E034.format(id=item.record["id"], name=name, package=f"{PACKAGE}@{VERSION}"))
    claimed: Dict[str, str] = {}
    for item in overlay.items:
        for alias in [item.record["name"]] + item.record.get("aliases", []) + item.record.get("versioned_aliases", []):
            claimed.setdefault(alias.lower(), item.record["id"])
    # Which Linguist languages go where.
    merged: Dict[str, List[LinguistLanguage]] = {item.record["id"]: [] for item in overlay.items}
    new: List[LinguistLanguage] = []
    for lang in languages:
        if lang.name in overlay.excluded:
            continue
        item = _match_overlay(lang, overlay.items)
        if item is not None:
            merged[item.record["id"]].append(lang)
        elif selected(lang, rules) and lang.name.lower() not in claimed:
            new.append(lang)
    # Candidate names: every overlay alias and every Linguist name/alias that may be used.
    all_names: Set[str] = set(claimed)
    for lang in [lg for langs in merged.values() for lg in langs] + new:
        all_names.update(a.lower() for a in (lang.name,) + lang.aliases)
    # Names of the catalogue's languages (not Linguist's search keys, not types left out: "Text").
    language_names = set(claimed) | {lang.name.lower() for langs in merged.values() for lang in langs} | \
        {lang.name.lower() for lang in new}
    counts = count_names(corpus, all_names)
    verdicts = judge_all(all_names, zipf, counts)
    taken: Dict[str, str] = dict(claimed)
    records: List[dict] = []

    def linguist_aliases(lang: LinguistLanguage, owner: str, drop: Sequence[str] = ()) -> List[str]:
        out = []
        for i, alias in enumerate(a.lower() for a in (lang.name,) + lang.aliases):
            is_name = i == 0
            if alias in drop or taken.setdefault(alias, owner) != owner:
                continue
            if not is_name and verdicts[alias].word and not verdicts[alias].corpus_language:
                continue  # a search key that is an ordinary word ("node", "be")
            if not is_name and is_phrase_of_words(alias, zipf, language_names):
                continue  # ordinary words that name no language ("man page" for Roff)
            if not is_name and split_attached_version(alias) is not None:
                continue  # "python3": the rules read the glued-on version themselves
            if not is_name and (len(alias) < MIN_ALIAS_LENGTH or verdicts[alias].counts.never_labelled):
                continue  # a key like "m2"; or train/dev use it, never as a language ("lhs", "vim")
            out.append(alias)
        return out

    for item in overlay.items:
        record = dict(item.record)
        extra = [a for lang in merged[record["id"]] for a in linguist_aliases(lang, record["id"], item.drop_aliases)]
        record["aliases"] = list(dict.fromkeys([a.lower() for a in record.get("aliases", [])] + extra))
        record.setdefault("accept_propn", True)
        records.append(record)
    for lang in new:
        owner = slug(lang.name)
        record = {"id": owner, "name": lang.name, "kind": kind_of(lang, rules),
                  "aliases": linguist_aliases(lang, owner), **examples.pop(owner, {})}
        name = lang.name.lower()
        if is_phrase_of_words(name, zipf, language_names) and not verdicts[name].corpus_language:
            record["ambiguous_aliases"] = [name]  # rule (4) of spacy_rulelang.catalogue.build.ambiguity
        records.append(record)
    if examples:
        raise ValueError(Errors.E033.format(path=examples_path or data_path(EXAMPLES_FILE), line="?",
                                            problem=f"no Linguist entry has the id(s) {sorted(examples)}"))
    rejected = set(json.loads(data_path("conventions.json").read_text(encoding="utf8"))["corpus_exclusions"])
    entries = [_finish(record, verdicts, rules, rejected) for record in records]
    entries.sort(key=lambda e: e.id)
    check_unique_aliases(entries)
    provenance = _provenance(tarball, overlay, merged, new, entries, counts, rules, corpus)
    return Build(entries, verdicts, provenance, read_licence(tarball))


def _finish(record: dict, verdicts: Dict[str, Verdict], rules: dict, rejected: Set[str]) -> Entry:
    """Add the computed ambiguity and the generated example, then validate as an Entry.

    The example is a must_match sentence, or a must_not_match one for entries the rules
    always reject (data formats, the corpus exclusions of conventions.json). A rare name
    from Linguist that is an ordinary word needs a cue: a proper noun in its casing is
    not enough ("I flew to Cairo"), so `accept_propn` is off unless the overlay says.
    """
    aliases = list(dict.fromkeys([record["name"].lower()] + record.get("aliases", [])))
    forced = [a.lower() for a in record.get("ambiguous_aliases", [])]
    if record.get("ambiguous") and not forced:
        forced = [record["name"].lower()]
    computed = [a for a in aliases if verdicts.get(a) is not None and verdicts[a].ambiguous]
    ambiguous = [a for a in aliases if a in forced or a in computed]
    example = [rules["example"].format(name=record["name"])]
    never = record.get("kind") == "data" or record["id"] in rejected
    must_match = list(dict.fromkeys(([] if never else example) + record.get("must_match", [])))
    must_not_match = list(dict.fromkeys(record.get("must_not_match", []) + (example if never else [])))
    out = {
        "id": record["id"], "name": record["name"], "kind": record.get("kind", "programming"),
        "aliases": aliases, "ambiguous": bool(ambiguous), "ambiguous_aliases": ambiguous,
        "versioned_aliases": record.get("versioned_aliases", []), "casing": record.get("casing", "strict"),
        "must_match": must_match, "must_not_match": must_not_match,
        "accept_propn": record.get("accept_propn", not ambiguous),
    }
    return parse_entry(out, "<build>", 0)


def _provenance(tarball, overlay: Overlay, merged: Dict[str, List[LinguistLanguage]], new: List[LinguistLanguage],
                entries: List[Entry], counts: Dict[str, NameCounts], rules: dict, corpus) -> dict:
    from importlib.metadata import version

    try:
        wordfreq_version = version("wordfreq")
    except Exception:  # noqa: BLE001 - only recorded
        wordfreq_version = "unknown"
    from_linguist = sorted({e for e, langs in merged.items() if langs} | {slug(lang.name) for lang in new})
    return {
        "source": {"package": PACKAGE, "version": VERSION, "sha256": SHA256,
                   "url": f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz",
                   "upstream": "https://github.com/github-linguist/linguist (languages.yml)",
                   "licence": "MIT (linguist-languages by Ika; Linguist by GitHub, Inc.); "
                              f"the notices are in {LICENCE_FILE}"},
        "overlay": "spacy_rulelang/data/overlay.jsonl",
        "rules": "spacy_rulelang/data/linguist_rules.json",
        "selection": {"types": rules["types"], "query_ace_modes": rules["query_ace_modes"],
                      "query_name_suffixes": rules["query_name_suffixes"]},
        "ambiguity": {"zipf_word": ZIPF_WORD, "zipf_always": ZIPF_ALWAYS, "corpus_word_min": CORPUS_WORD_MIN,
                      "corpus_language_min": CORPUS_LANG_MIN, "wordfreq": wordfreq_version,
                      "evidence": [Path(p).name for p in corpus]},
        "counts": {"entries": len(entries), "ambiguous": sum(e.ambiguous for e in entries),
                   "from_linguist": len(from_linguist), "overlay_only": len(entries) - len(from_linguist)},
        "overlay_only_ids": sorted({e.id for e in entries} - set(from_linguist)),
        "excluded_linguist": dict(sorted(overlay.excluded.items())),
    }


def write_build(build: Build, out_dir: Union[str, Path]) -> List[Path]:
    """The catalogue, its provenance and Linguist's licence notices, written deterministically."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        CATALOGUE_FILE: entries_to_jsonl(build.entries),
        PROVENANCE_FILE: json.dumps(build.provenance, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
        LICENCE_FILE: build.licence,
    }
    paths = []
    for name, text in files.items():
        path = out_dir / name
        path.write_bytes(text.encode("utf8"))
        paths.append(path)
    return paths
