"""The egress guard: the last scan of the exact outbound payload. It fails closed.

It re-runs the deterministic detectors (patterns, secrets, encoded values, the user's
deny-list) but not NER: the payload is already pseudonymized, and NER guesses on
rewritten text would stop good sends without finding anything the filter missed.
A finding, a detector error or a scan past its time limit all stop the send.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from edge.privacy.timeout import call_with_timeout
from shared.config import PrivacySettings
from shared.errors import PrivacyBlocked
from shared.privacy import DEFAULT_DETECTORS, Detector, Span, detect_all

log = logging.getLogger(__name__)

DEFAULT_GUARD_TIMEOUT_S = 5.0
# Our own placeholders (and redaction markers) are what a clean payload is made of.
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*>")


class EgressGuard:
    """Raises PrivacyBlocked when the payload still holds a sensitive span, or when scanning it fails or hangs."""

    def __init__(
        self,
        detectors: Sequence[Detector] = DEFAULT_DETECTORS,
        allowed_types: frozenset[str] = frozenset(),
        timeout_s: float = DEFAULT_GUARD_TIMEOUT_S,
    ) -> None:
        self._detectors = tuple(detectors)
        self._allowed = allowed_types
        self._timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: PrivacySettings) -> EgressGuard:
        """A guard with the deterministic detectors of `settings`' preset and deny-list."""
        from edge.privacy.filter import detectors_for

        allowed = frozenset(t for t, action in settings.entities.items() if action == "allow")
        return cls(detectors_for(settings, guard=True), allowed, settings.detector_timeout_s)

    def check(self, payload: str) -> None:
        """Return only if `payload` is safe to send."""
        try:
            spans = call_with_timeout(lambda: detect_all(payload, self._detectors), self._timeout_s, "egress check")
        except PrivacyBlocked as exc:
            log.error("egress guard: %s", exc.message)
            raise
        leaked = sorted({s.entity_type for s in _outside_placeholders(spans, payload) if s.entity_type not in self._allowed})
        if leaked:
            log.warning("egress guard: payload still holds %s; nothing sent", ", ".join(leaked))
            raise PrivacyBlocked(f"the outbound payload still holds {', '.join(leaked)}, so nothing was sent")


def _outside_placeholders(spans: list[Span], payload: str) -> list[Span]:
    holes = [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(payload)]
    return [s for s in spans if not any(a <= s.start and s.end <= b for a, b in holes)]
