"""The catalogue built from GitHub Linguist: provenance, honest overlay, reproducible build."""
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacy_rulelang.catalogue.build.ambiguity import judge
from spacy_rulelang.catalogue.load import read_catalogue
from spacy_rulelang.cli import app
from spacy_rulelang.data import DATA_DIR
from spacy_rulelang.catalogue.build.linguist import CATALOGUE_FILE, LICENCE_FILE, PROVENANCE_FILE, slug
from spacy_rulelang.catalogue.build.overlay import read_overlay
from spacy_rulelang.catalogue.build.tarball import FETCH_COMMAND, SHA256, TARBALL, check_tarball, parse_module
from spacy_rulelang.catalogue.build.name_evidence import NameCounts, count_names

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSET = REPO_ROOT / "assets" / TARBALL
PROVENANCE = json.loads((DATA_DIR / PROVENANCE_FILE).read_text(encoding="utf8"))


def test_linguist_catalogue_is_large_with_provenance():
    entries = read_catalogue(DATA_DIR / CATALOGUE_FILE)
    counts = PROVENANCE["counts"]
    assert len(entries) == counts["entries"] >= 500 and counts["from_linguist"] >= 500
    assert counts["ambiguous"] == sum(e.ambiguous for e in entries)
    assert PROVENANCE["source"]["package"] == "linguist-languages" and PROVENANCE["source"]["version"] == "9.5.0"
    assert PROVENANCE["source"]["sha256"] == SHA256
    assert PROVENANCE["ambiguity"]["evidence"] == ["train.txt", "dev.txt"]
    licence = (DATA_DIR / LICENCE_FILE).read_text(encoding="utf8")
    assert "MIT License" in licence and "Copyright (c) 2017 GitHub, Inc." in licence


def test_linguist_overlay_entries_occur_in_train_dev_or_name_their_source(data_dir):
    """No entry may exist because of a test sentence: each one is in train/dev or cites a source."""
    overlay = read_overlay(DATA_DIR / "overlay.jsonl")
    names = {item.record["id"]: [item.record["name"]] + item.record.get("aliases", []) for item in overlay.items}
    quoted = {name: [name] + re.findall(r"'([^']+)'", why) for name, why in overlay.excluded.items()}
    counts = count_names([data_dir / "train.txt", data_dir / "dev.txt"],
                         [n for ns in list(names.values()) + list(quoted.values()) for n in ns])
    overlay_only = set(PROVENANCE["overlay_only_ids"])
    unsupported = []
    for item in overlay.items:
        in_corpus = any(counts[n.lower()].total for n in names[item.record["id"]])
        from_linguist = item.record["id"] not in overlay_only  # provenance: merged with a Linguist language
        if not (in_corpus or item.source or from_linguist):
            unsupported.append(item.record["id"])
    assert not unsupported, "add train/dev evidence or a 'source' for these overlay entries"
    # Exclusions are justified by train/dev usage: the name, or a form their 'why' quotes, occurs there.
    assert all(any(counts[n.lower()].total for n in forms) for forms in quoted.values())
    assert {"core_erlang", "twiml"}.isdisjoint(names)


def test_linguist_rebuild_is_byte_identical(data_dir, tmp_path):
    if not ASSET.exists():
        pytest.skip(f"{ASSET.relative_to(REPO_ROOT)} not found: fetch it with `{FETCH_COMMAND}` "
                    "(or `spacy project run catalogue .`)")
    pytest.importorskip("wordfreq", reason="the catalogue build needs wordfreq: pip install -e '.[catalogue]'")
    from spacy_rulelang.cli.build_catalogue import catalogue

    catalogue(ASSET, [data_dir / "train.txt", data_dir / "dev.txt"], output=tmp_path)
    for name in (CATALOGUE_FILE, PROVENANCE_FILE, LICENCE_FILE):
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name


def test_linguist_cli_refuses_the_test_split(tmp_path):
    test_split = tmp_path / "test.txt"
    test_split.write_text("x\tO\tx\tO\n", encoding="utf8")
    result = CliRunner().invoke(app, ["project", "catalogue", str(test_split), "--tarball", str(tmp_path / "none.tgz")])
    assert result.exit_code == 1 and "tuning splits" in result.output


def test_linguist_tarball_missing_or_wrong_says_how_to_fetch(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"\[E030\].*npm pack linguist-languages@9\.5\.0"):
        check_tarball(tmp_path / TARBALL)
    wrong = tmp_path / TARBALL
    wrong.write_bytes(b"not the package")
    with pytest.raises(ValueError, match=r"\[E031\].*sha256"):
        check_tarball(wrong)


def test_linguist_parse_module_reads_object_literals():
    source = """export default {
  name: "Cap'n Proto",
  type: 'programming',
  aliases: ['a\\'b', "c"],
  languageId: 12,
  wrap: true,
}
"""
    assert parse_module(source) == {"name": "Cap'n Proto", "type": "programming", "aliases": ["a'b", "c"],
                                    "languageId": 12, "wrap": True}


@pytest.mark.parametrize("name,expected", [("C++", "cpp"), ("C#", "csharp"), ("Emacs Lisp", "emacs_lisp"),
                                           ("Objective-C++", "objective_cpp"), ("Visual Basic .NET", "visual_basic_net")])
def test_linguist_slug_keeps_our_ids(name, expected):
    assert slug(name) == expected


ZIPF = {"go": 6.03, "python": 3.78, "java": 4.0, "rust": 3.74, "haskell": 3.26, "kotlin": 2.08, "basic": 4.89,
        "sed": 2.94}


@pytest.mark.parametrize("name,counts,ambiguous", [
    ("go", NameCounts(86, 0, 83), True),           # a word, never labelled
    ("python", NameCounts(65, 59, 5), False),      # the corpus corrects the web's Zipf
    ("java", NameCounts(100, 75, 10), False),
    ("rust", NameCounts(), True),                  # a word, no corpus evidence
    ("haskell", NameCounts(13, 13, 0), False),
    ("kotlin", NameCounts(), False),               # not a word
    ("basic", NameCounts(30, 10, 5), True),        # too common for one corpus to clear it
    ("sed", NameCounts(8, 0, 8), True),            # rare on the web, a word in the corpus
    ("r", NameCounts(21, 17, 2), True),            # a single letter
    ("c#", NameCounts(), False),                   # symbols: never a word
    ("structured query language", NameCounts(), False),  # phrases: only corpus evidence counts
])
def test_ambiguity_rule(name, counts, ambiguous):
    assert judge(name, lambda w: ZIPF.get(w, 5.0), counts).ambiguous is ambiguous


@pytest.mark.parametrize("name,phrase", [("linear programming", True), ("rich text format", True),
                                         ("python console", False), ("common lisp", False), ("kotlin", False),
                                         ("visual basic 6", False)])
def test_ambiguity_phrase_of_ordinary_words(name, phrase):
    from spacy_rulelang.catalogue.build.ambiguity import is_phrase_of_words

    zipf = {"linear": 4.5, "programming": 4.3, "rich": 4.9, "text": 5.0, "format": 4.4, "python": 3.8,
            "console": 4.1, "common": 5.2, "lisp": 3.0, "visual": 4.5, "basic": 4.9}
    assert is_phrase_of_words(name, lambda w: zipf.get(w, 0.0), {"python", "lisp"}) is phrase
