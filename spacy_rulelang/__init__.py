"""spacy-rulelang: a programming-language ruler that explains itself, and a stage that
compares it with a trained NER."""
from spacy_rulelang.catalogue.load import Entry, load_catalogue
from spacy_rulelang.ruler.component import RuleLang, RuleLangSettings, make_rulelang
from spacy_rulelang.ruler.extensions import register_extensions
from spacy_rulelang.ruler.engine import register_rule
from spacy_rulelang.ruler.rules import DEFAULT_RULES
from spacy_rulelang.ruler.scorer import score_rulelang

__version__ = "0.1.0"
__all__ = ["RuleLang", "RuleLangSettings", "make_rulelang", "Entry", "load_catalogue", "DEFAULT_RULES", "register_rule",
           "register_extensions", "score_rulelang", "__version__"]
