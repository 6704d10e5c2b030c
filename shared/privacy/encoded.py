"""Private values hidden by an encoding: base64 and percent-encoded (URL) tokens are decoded and scanned again."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from urllib.parse import unquote

from shared.privacy.spans import Span

_BASE64_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{8,}={0,2}(?![A-Za-z0-9+/=_-])")
_PERCENT_TOKEN = re.compile(r"[^\s\"'<>]*%[0-9A-Fa-f]{2}[^\s\"'<>]*")
MIN_PRINTABLE_SHARE = 0.9  # decoded bytes must read as text, or it was not base64 of anything private


def _decode_base64(token: str) -> str | None:
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    printable = sum(ch.isprintable() or ch.isspace() for ch in text)
    return text if text and printable / len(text) >= MIN_PRINTABLE_SHARE else None


class EncodedDetector:
    """Decodes base64 and percent-encoded tokens and flags the whole token when the decoded text holds a span."""

    name = "encoded"

    def __init__(self, inner: Callable[[str], list[Span]]) -> None:
        self._inner = inner

    def detect(self, text: str) -> list[Span]:
        """Every encoded token in `text` whose decoded form contains a sensitive span."""
        spans = []
        for match in _PERCENT_TOKEN.finditer(text):
            token = match.group().rstrip(".,;:!?)]}")
            decoded = unquote(token)
            if decoded != token:
                found = self._inner(decoded)
                if found:
                    spans.append(Span(match.start(), match.start() + len(token), found[0].entity_type, 0.9))
        for match in _BASE64_TOKEN.finditer(text):
            token = match.group()
            # Ordinary words are valid base64 too; only mixed-case or padded tokens are worth decoding.
            if not (token.endswith("=") or (any(c.isupper() for c in token) and any(c.islower() for c in token))):
                continue
            text_inside = _decode_base64(token)
            if text_inside:
                found = self._inner(text_inside)
                if found:
                    spans.append(Span(match.start(), match.end(), found[0].entity_type, 0.9))
        return spans
