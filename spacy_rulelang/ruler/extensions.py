"""Span extensions, registered once (re-registering would clobber users' own)."""
from spacy.tokens import Span

SPAN_EXTENSIONS = {
    "rulelang_rule": None,     # name of the rule that accepted the span
    "rulelang_version": None,  # version that follows the name ("3.11" in "Python 3.11")
    "rulelang_score": None,    # calibrated precision of the rule, when a calibration is loaded
}


def register_extensions() -> None:
    for name, default in SPAN_EXTENSIONS.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
