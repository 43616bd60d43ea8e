"""Where a rule span's rule name comes from, so that any rule component can be compared.

`rulelang` names each span's rule in `span._.rulelang_rule`; spaCy's `SpanRuler`
and `EntityRuler` keep the id of the pattern that matched in `span.id_`. The
comparison stage and the per-rule scores read the name through one getter.

    get_rule = rule_name_getter("id")        # SpanRuler pattern ids
    get_rule = rule_name_getter("rulelang_rule")  # span._.rulelang_rule (default)
"""
from __future__ import annotations

from typing import Callable, Optional

from spacy.tokens import Span

DEFAULT_RULE_NAME = "rulelang_rule"
BUILT_IN = {"id": lambda span: span.id_ or None, "label": lambda span: span.label_ or None}


def rule_name_getter(source: str = DEFAULT_RULE_NAME) -> Callable[[Span], Optional[str]]:
    """"id" (span.id_), "label" (span.label_), or the name of a Span extension."""
    if source in BUILT_IN:
        return BUILT_IN[source]

    def from_extension(span: Span) -> Optional[str]:
        value = getattr(span._, source) if Span.has_extension(source) else None
        return None if value is None else str(value)

    return from_extension
