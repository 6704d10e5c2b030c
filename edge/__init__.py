"""The Tandem edge: daemon, local model, privacy filter and vault, escalation policy, ledger and SDK.

The SDK is importable from here: `from edge import EdgeClient, AsyncEdgeClient`.
"""

from __future__ import annotations

from typing import Any

_SDK_NAMES = {"Answer", "AnswerChunk", "AnswerStream", "AsyncAnswerStream", "AsyncEdgeClient", "EdgeClient"}


def __getattr__(name: str) -> Any:
    # Lazy, so that `import edge.privacy` in the daemon does not pull in the client.
    if name in _SDK_NAMES:
        from edge import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'edge' has no attribute {name!r}")


__all__ = sorted(_SDK_NAMES)
