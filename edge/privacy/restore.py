"""Restoration: map placeholders in the cloud's answer back to the originals, also across stream chunks.

Models rewrite placeholders: `<PERSON_1>`, `[PERSON_1]`, `PERSON_1`, `person_1`. All of
these are restored, but only when the vault holds that placeholder for this session;
anything else stays exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PLACEHOLDER = re.compile(r"([<\[]?)\b([A-Za-z]+(?:_[A-Za-z]+)*_\d+)\b([>\]]?)")
# A tail that might still grow into a placeholder: an opening bracket and/or a word run.
_PARTIAL_TAIL = re.compile(r"[<\[]?[A-Za-z0-9_]*$")
MAX_PLACEHOLDER_CHARS = 64


def restore_text(text: str, originals: Mapping[str, str]) -> str:
    """`text` with every placeholder the vault knows replaced by its original value."""
    if not originals:
        return text

    def replace(match: re.Match[str]) -> str:
        value = originals.get(match.group(2).upper())
        if value is None:
            return match.group(0)
        opening, closing = match.group(1), match.group(3)
        # Keep brackets that are not part of the placeholder itself (e.g. "[<X_1>" never happens, "[X_1" might).
        paired = (opening, closing) in {("<", ">"), ("[", "]")}
        if paired:
            return value
        return (opening if opening and not closing else "") + value + (closing if closing and not opening else "")

    return _PLACEHOLDER.sub(replace, text)


class StreamRestorer:
    """Restores a streamed answer chunk by chunk, holding back a tail that may be half a placeholder."""

    def __init__(self, originals: Mapping[str, str]) -> None:
        self._originals = dict(originals)
        self._pending = ""

    def feed(self, chunk: str) -> str:
        """Restored text that is safe to emit now."""
        self._pending += chunk
        tail = _PARTIAL_TAIL.search(self._pending)
        cut = tail.start() if tail and len(self._pending) - tail.start() <= MAX_PLACEHOLDER_CHARS else len(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return restore_text(ready, self._originals)

    def flush(self) -> str:
        """Whatever is still held back, restored."""
        ready, self._pending = self._pending, ""
        return restore_text(ready, self._originals)
