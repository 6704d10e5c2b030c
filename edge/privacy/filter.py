"""The privacy filter: find sensitive spans and replace them according to the per-type policy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from edge.privacy.vault import Vault
from shared.config import PrivacySettings
from shared.privacy import DEFAULT_DETECTORS, Detector, Span, detect_all


@dataclass(frozen=True)
class SanitizedText:
    """A text with its sensitive spans replaced, and what was found (types and counts, never values)."""

    text: str
    spans: tuple[Span, ...] = ()
    entity_counts: dict[str, int] = field(default_factory=dict)
    blocked_types: frozenset[str] = frozenset()

    @property
    def blocked(self) -> bool:
        """Whether it holds a type whose policy is `block` (it must never be escalated)."""
        return bool(self.blocked_types)


class PrivacyFilter:
    """Detects sensitive spans and pseudonymizes, redacts, blocks or allows each by its type's policy."""

    def __init__(self, settings: PrivacySettings, vault: Vault, detectors: Sequence[Detector] = DEFAULT_DETECTORS) -> None:
        self._settings = settings
        self._vault = vault
        self.detectors = tuple(detectors)

    def detect(self, text: str) -> list[Span]:
        """Sensitive spans in `text`, non-overlapping, in order."""
        return detect_all(text, self.detectors)

    def sanitize(self, text: str, session_id: str) -> SanitizedText:
        """`text` with each span replaced per policy; placeholders come from this session's vault."""
        spans = self.detect(text)
        pieces: list[str] = []
        cursor = 0
        blocked: set[str] = set()
        for span in spans:
            action = self._settings.action_for(span.entity_type)
            pieces.append(text[cursor:span.start])
            value = text[span.start:span.end]
            if action == "allow":
                pieces.append(value)
            elif action == "redact":
                pieces.append(f"<{span.entity_type}>")
            else:
                if action == "block":
                    blocked.add(span.entity_type)
                pieces.append(self._vault.placeholder_for(session_id, span.entity_type, value))
            cursor = span.end
        pieces.append(text[cursor:])
        counts = Counter(s.entity_type for s in spans)
        return SanitizedText("".join(pieces), tuple(spans), dict(counts), frozenset(blocked))
