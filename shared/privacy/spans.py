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


def resolve_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Non-overlapping spans in text order; where spans overlap the widest wins, then the higher score."""
    ranked = sorted(spans, key=lambda s: (-s.length, -s.score, s.start))
    kept: list[Span] = []
    for span in ranked:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)
