"""spacy-rulelang: a programming-language ruler that explains itself, and a stage that
compares it with a trained NER."""
from .catalogue import Entry, load_catalogue
from .component import RuleLang, RuleLangSettings, make_rulelang
from .extensions import register_extensions
from .rules import ALL_RULES, DEFAULT_RULES, register_rule
from .scoring import score_rulelang

__version__ = "0.1.0"
__all__ = ["RuleLang", "RuleLangSettings", "make_rulelang", "Entry", "load_catalogue", "ALL_RULES",
           "DEFAULT_RULES", "register_rule",
           "register_extensions", "score_rulelang", "__version__"]
