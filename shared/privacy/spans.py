"""Detected sensitive spans and how overlapping ones are resolved."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A sensitive span `text[start:end]` of one entity type."""

    start: int
    end: int
    entity_type: str
    score: float = 1.0

    @property
    def length(self) -> int:
        """Characters covered."""
        return self.end - self.start


def resolve_overlaps(spans: Iterable[Span], text: str | None = None) -> list[Span]:
    """Non-overlapping spans in text order; where spans overlap the widest wins, then the higher score.

    The loser keeps whatever part of it no winner covers: when a card number runs into an
    IBAN beside it, the IBAN wins the shared digits and the rest of the card is still hidden.
    With `text`, such remainders are trimmed of spaces and punctuation and dropped if empty.
    """
    ranked = sorted(spans, key=lambda s: (-s.length, -s.score, s.start))
    kept: list[Span] = []
    for span in ranked:
        pieces = [(span.start, span.end)]
        for k in kept:
            pieces = [part for a, b in pieces for part in _minus(a, b, k.start, k.end)]
        for start, end in pieces:
            if (start, end) == (span.start, span.end):
                kept.append(span)
                continue
            if text is not None:
                while start < end and not text[start].isalnum():
                    start += 1
                while end > start and not text[end - 1].isalnum():
                    end -= 1
            if end > start:
                kept.append(Span(start, end, span.entity_type, span.score))
    return sorted(kept, key=lambda s: s.start)


def _minus(a: int, b: int, c: int, d: int) -> list[tuple[int, int]]:
    """The parts of [a, b) outside [c, d)."""
    if d <= a or c >= b:
        return [(a, b)]
    return [(x, y) for x, y in ((a, c), (d, b)) if y > x]
