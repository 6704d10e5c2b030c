"""Restoration: map placeholders in the cloud's answer back to the originals, also across stream chunks.

Models rewrite placeholders: `<PERSON_1>`, `[PERSON_1]`, `{PERSON_1}`, `PERSON_1`, `person_1`.
All of these are restored, but only when the vault holds that placeholder for this
session; anything else stays exactly as written. Inside JSON (tool-call arguments) the
document is parsed, its strings restored and re-encoded, so a value with quotes or
backslashes still yields valid JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"([<\[{]?)\b([A-Za-z]+(?:_[A-Za-z]+)*_\d+)\b([>\]}]?)")
# A tail that might still grow into a placeholder: an opening bracket and/or a word run.
_PARTIAL_TAIL = re.compile(r"[<\[{]?[A-Za-z0-9_]*$")
_PAIRS = {("<", ">"), ("[", "]"), ("{", "}")}
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
        if (opening, closing) in _PAIRS:
            return value
        # An unpaired bracket belongs to the surrounding text ("(see [PERSON_1" or "PERSON_1>"): keep it.
        return opening + value + closing

    return _PLACEHOLDER.sub(replace, text)


def restore_json(value: Any, originals: Mapping[str, str]) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) with placeholders restored in every string, keys too."""
    if isinstance(value, str):
        return restore_text(value, originals)
    if isinstance(value, list):
        return [restore_json(item, originals) for item in value]
    if isinstance(value, dict):
        return {restore_text(k, originals) if isinstance(k, str) else k: restore_json(v, originals) for k, v in value.items()}
    return value


def restore_tool_arguments(arguments: str, originals: Mapping[str, str]) -> str:
    """Tool-call arguments (a JSON string) with placeholders restored, still valid JSON; plain text otherwise."""
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return restore_text(arguments, originals)
    return json.dumps(restore_json(parsed, originals), ensure_ascii=False)


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
