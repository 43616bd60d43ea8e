"""Token-span arithmetic shared by the rules, the merge and the comparison.

A span is a spaCy `Span` or a `(start, end, ...)` tuple of token offsets. One
overlap helper for all of them, and a token mask for long docs: with many
spans on each side, pairwise overlap tests are quadratic, a mask is linear.
"""
from __future__ import annotations

from typing import Callable, Iterable, Tuple, Union

from spacy.tokens import Doc, Span

SpanLike = Union[Span, Tuple[int, int], Tuple[int, int, str]]


def bounds(span: SpanLike) -> Tuple[int, int]:
    return (span.start, span.end) if isinstance(span, Span) else (span[0], span[1])


def overlap(a: SpanLike, b: SpanLike) -> int:
    """How many tokens two spans share (0: disjoint)."""
    (a_start, a_end), (b_start, b_end) = bounds(a), bounds(b)
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def token_mask(n_tokens: int, spans: Iterable[SpanLike]) -> bytearray:
    """Which of a doc's tokens the spans cover (grown to fit a span past `n_tokens`)."""
    mask = bytearray(n_tokens)
    for span in spans:
        start, end = bounds(span)
        if end > len(mask):
            mask.extend(bytes(end - len(mask)))
        mask[start:end] = b"\x01" * (end - start)
    return mask


def covered(mask: bytearray, span: SpanLike) -> bool:
    """Whether any token of `span` is set in `mask`."""
    start, end = bounds(span)
    return any(mask[start:end])


def spans_or_ents(key: str) -> Callable[[Doc, str], Iterable[Span]]:
    """A Scorer getter: `doc.spans[key]` where the doc has it, else `doc.ents`.

    Predicted docs carry the key; gold docs don't, so their entities are the gold.
    """
    def getter(doc: Doc, attr: str) -> Iterable[Span]:
        if key in doc.spans:
            return doc.spans[key]
        return doc.ents

    return getter
