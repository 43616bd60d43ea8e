"""Review decisions flow back into data: corrected gold, a catalogue patch, model errors.

`python -m spacy_rulelang apply DECISIONS --corpus DATA --output DIR` reads a
reviewer's decisions (docs/decisions.md, or Prodigy's db-out after `review`).
"""
from .apply import Applied, apply_to_gold, check_consistent, region_of
from .decision import DECISIONS, Decision
from .decisions import parse_line, read_decisions
from .patch import PatchBuilder, catalogue_effects, slug
from .run import OUTPUT_FILES, run_apply

__all__ = ["Applied", "apply_to_gold", "check_consistent", "region_of", "DECISIONS", "Decision",
           "parse_line", "read_decisions", "PatchBuilder", "catalogue_effects", "slug",
           "OUTPUT_FILES", "run_apply"]
