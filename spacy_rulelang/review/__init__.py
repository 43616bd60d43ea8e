"""Review decisions flow back into data: corrected gold, a catalogue patch, model errors.

`python -m spacy_rulelang apply DECISIONS --corpus DATA --output DIR` reads a
reviewer's decisions (docs/decisions.md, or Prodigy's db-out after `review`).
"""
from spacy_rulelang.review.gold_edits import Applied, apply_to_gold, check_consistent, region_of
from spacy_rulelang.review.decision import DECISIONS, Decision
from spacy_rulelang.review.reader import Read, parse_line, read_decision_file, read_decisions
from spacy_rulelang.review.patch import PatchBuilder, catalogue_effects, slug
from spacy_rulelang.review.run import OUTPUT_FILES, run_apply

__all__ = ["Applied", "apply_to_gold", "check_consistent", "region_of", "DECISIONS", "Decision",
           "parse_line", "read_decisions", "read_decision_file", "Read", "PatchBuilder", "catalogue_effects", "slug",
           "OUTPUT_FILES", "run_apply"]
