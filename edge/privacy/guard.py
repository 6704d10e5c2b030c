"""The egress guard: the last scan of the exact outbound payload. It fails closed."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from shared.errors import PrivacyBlocked
from shared.privacy import DEFAULT_DETECTORS, Detector, detect_all

log = logging.getLogger(__name__)


class EgressGuard:
    """Raises PrivacyBlocked when the payload still holds a sensitive span, or when scanning it fails."""

    def __init__(self, detectors: Sequence[Detector] = DEFAULT_DETECTORS, allowed_types: frozenset[str] = frozenset()) -> None:
        self._detectors = tuple(detectors)
        self._allowed = allowed_types

    def check(self, payload: str) -> None:
        """Return only if `payload` is safe to send."""
        try:
            spans = detect_all(payload, self._detectors)
        except Exception as exc:  # any detector failure must stop the send, whatever its type
            log.error("egress guard: detector failed (%s); nothing sent", type(exc).__name__)
            raise PrivacyBlocked(f"the egress check failed ({type(exc).__name__}), so nothing was sent") from None
        leaked = sorted({s.entity_type for s in spans if s.entity_type not in self._allowed})
        if leaked:
            raise PrivacyBlocked(f"the outbound payload still holds {', '.join(leaked)}, so nothing was sent")
