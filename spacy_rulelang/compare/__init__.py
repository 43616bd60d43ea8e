"""Comparison stage: where rules and a trained model disagree, as reviewable items."""
from spacy_rulelang.compare.core import CATEGORIES, Disagreement, find_disagreements, from_spacy, span_tuples
from spacy_rulelang.compare.ranking import Ranker, priority

__all__ = ["CATEGORIES", "Disagreement", "find_disagreements", "from_spacy", "span_tuples",
           "Ranker", "priority"]
