"""`catalogue`: build the language catalogue from the pinned Linguist package and the overlay."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from wasabi import Printer

from spacy_rulelang.catalogue.build.ambiguity import english_zipf, measure
from spacy_rulelang.data import DATA_DIR
from spacy_rulelang.catalogue.build.linguist import Build, build_catalogue, write_build
from spacy_rulelang.catalogue.build.tarball import TARBALL
from spacy_rulelang.cli._app import project_app

TUNING_SPLITS = ("train.txt", "dev.txt")


def catalogue(tarball: Path, evidence: List[Path], *, overlay: Optional[Path] = None,
              examples: Optional[Path] = None, output: Optional[Path] = None, silent: bool = True) -> Build:
    """Build and write the catalogue; `evidence` must be the tuning splits (train, dev)."""
    msg = Printer(no_print=silent, pretty=not silent)
    bad = [p for p in evidence if p.name not in TUNING_SPLITS]
    if bad:
        msg.fail(f"Evidence must be the tuning splits ({', '.join(TUNING_SPLITS)}), not {', '.join(map(str, bad))}",
                 "The test split is for reporting only; pass train.txt and dev.txt.", exits=1)
    try:
        build = build_catalogue(tarball, overlay or DATA_DIR / "overlay.jsonl", evidence, english_zipf(),
                                examples_path=examples)
    except (OSError, ValueError) as err:
        msg.fail(str(err), exits=1)
    paths = write_build(build, output or DATA_DIR)
    counts = build.provenance["counts"]
    msg.good(f"{counts['entries']} languages ({counts['ambiguous']} ambiguous; {counts['from_linguist']} from "
             f"Linguist, {counts['overlay_only']} from the overlay only)", ", ".join(map(str, paths)))
    used = {a for e in build.entries for a in e.aliases}
    rows = [(group, *vals.values()) for group, vals in sorted(measure(build.verdicts, used).items())]
    if rows:
        msg.table(rows, header=("names", "n", "occurrences", "labelled", "lower mid", "mostly word"), divider=True)
    return build


@project_app.command("catalogue")
def catalogue_cli(
    # fmt: off
    evidence: List[Path] = typer.Argument(..., help="The tuning splits train.txt and dev.txt (StackOverflowNER CoNLL)", exists=True, dir_okay=False),
    tarball: Path = typer.Option(Path("assets") / TARBALL, "--tarball", "-t", help="The pinned linguist-languages npm tarball"),
    overlay: Optional[Path] = typer.Option(None, "--overlay", help="Overlay JSONL (default: the packaged data/overlay.jsonl)"),
    examples: Optional[Path] = typer.Option(None, "--examples", help="Example sentences JSONL (default: the packaged data/examples.jsonl)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Folder for languages.jsonl and its provenance (default: the package's data folder)", file_okay=False),
    # fmt: on
) -> None:
    """Build languages.jsonl from GitHub Linguist + overlay, ambiguity computed from wordfreq and train/dev."""
    catalogue(tarball, evidence, overlay=overlay, examples=examples, output=output, silent=False)
