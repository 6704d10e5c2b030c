"""The privacy filter: find sensitive spans and replace them according to the per-type policy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from edge.privacy.timeout import call_with_timeout
from edge.privacy.vault import Vault
from shared.config import PrivacySettings
from shared.privacy import Detector, Span, detect_all
from shared.privacy.dictionary import drop_allowed
from shared.privacy.presets import build_detectors


@dataclass(frozen=True)
class SanitizedText:
    """A text with its sensitive spans replaced, and what was found (types and counts, never values).

    `spans` are offsets in the original text; `replacements[i]` is what replaced `spans[i]`
    (a placeholder, a redaction marker, or, for `allow`, the value itself).
    """

    text: str
    spans: tuple[Span, ...] = ()
    entity_counts: dict[str, int] = field(default_factory=dict)
    blocked_types: frozenset[str] = frozenset()
    replacements: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        """Whether it holds a type whose policy is `block` (it must never be escalated)."""
        return bool(self.blocked_types)


def detectors_for(settings: PrivacySettings, guard: bool = False) -> list[Detector]:
    """The detectors `settings` ask for (its preset, deny-list and NER choice)."""
    return build_detectors(
        settings.preset,
        deny_list=settings.deny_list,
        ner=settings.ner,
        ner_model=settings.ner_model,
        phone_regions=settings.phone_regions,
        guard=guard,
    )


class PrivacyFilter:
    """Detects sensitive spans and pseudonymizes, redacts, blocks or allows each by its type's policy.

    Detection runs under `settings.detector_timeout_s`; an error or a time-out raises
    PrivacyBlocked, so a caller that escalates only clean text fails closed.
    """

    def __init__(self, settings: PrivacySettings, vault: Vault, detectors: Sequence[Detector] | None = None) -> None:
        self._settings = settings
        self._vault = vault
        self.detectors = tuple(detectors) if detectors is not None else tuple(detectors_for(settings))

    @property
    def settings(self) -> PrivacySettings:
        """The privacy settings this filter applies."""
        return self._settings

    def warm_up(self) -> None:
        """Load lazy models (NER) now, so the first request does not pay for it; raises if one is missing."""
        for detector in self.detectors:
            warm = getattr(detector, "warm_up", None)
            if warm is not None:
                warm()

    def detect(self, text: str) -> list[Span]:
        """Sensitive spans in `text`, non-overlapping, in order (allow-listed terms left out)."""
        # Loading the NER model (once per process, seconds) is not scanning: keep it outside the time limit.
        # A missing model raises ModelError here, and the caller fails closed.
        self.warm_up()
        spans = call_with_timeout(lambda: detect_all(text, self.detectors), self._settings.detector_timeout_s, "privacy scan")
        return drop_allowed(spans, text, self._settings.allow_list)

    def sanitize(self, text: str, session_id: str) -> SanitizedText:
        """`text` with each span replaced per policy; placeholders come from this session's vault."""
        spans = self.detect(text)
        actions = [self._settings.action_for(span.entity_type) for span in spans]
        # Every placeholder of this text in one vault transaction.
        wanted = [(s.entity_type, text[s.start : s.end]) for s, a in zip(spans, actions, strict=True) if a in ("pseudonymize", "block")]
        placeholders = iter(self._vault.placeholders_for(session_id, wanted))
        pieces: list[str] = []
        replacements: list[str] = []
        cursor = 0
        blocked: set[str] = set()
        for span, action in zip(spans, actions, strict=True):
            pieces.append(text[cursor : span.start])
            if action == "allow":
                replacement = text[span.start : span.end]
            elif action == "redact":
                replacement = f"<{span.entity_type}>"
            else:
                if action == "block":
                    blocked.add(span.entity_type)
                replacement = next(placeholders)
            pieces.append(replacement)
            replacements.append(replacement)
            cursor = span.end
        pieces.append(text[cursor:])
        counts = Counter(s.entity_type for s in spans)
        return SanitizedText("".join(pieces), tuple(spans), dict(counts), frozenset(blocked), tuple(replacements))
