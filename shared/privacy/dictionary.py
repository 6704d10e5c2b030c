"""User dictionaries: deny-listed terms (client names, project code names) found as whole words, any case."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from shared.privacy.spans import Span


class DictionaryDetector:
    """Finds each configured term as a whole word, case-insensitively, and tags it with its entity type."""

    name = "dictionary"

    def __init__(self, terms: Mapping[str, Iterable[str]]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for entity_type, values in terms.items():
            words = sorted({v.strip() for v in values if v.strip()}, key=len, reverse=True)
            if words:
                alternation = "|".join(re.escape(w) for w in words)
                # Whole words only: "Atlas" must not match inside "Atlassian".
                self._patterns.append((entity_type, re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)))

    def detect(self, text: str) -> list[Span]:
        """Every occurrence of a configured term in `text`; dictionary hits outrank detector guesses."""
        return [Span(m.start(), m.end(), t, 1.0) for t, p in self._patterns for m in p.finditer(text)]


def drop_allowed(spans: Iterable[Span], text: str, allowed: Iterable[str]) -> list[Span]:
    """`spans` without those whose text is an allow-listed term (compared case-insensitively)."""
    keep = {a.strip().lower() for a in allowed if a.strip()}
    if not keep:
        return list(spans)
    return [s for s in spans if text[s.start : s.end].strip().lower() not in keep]
