"""The event loop `tandem cloud serve` runs on: uvloop when it is installed (the `cloud` extra), else asyncio's own.

Measured side by side (bench.perf.ab cloud, interleaved rounds), uvloop took about 6% off the
service's CPU per escalation and about 8% off its 1-stream latency: the HTTP client toward the
upstream and the event loop's own callbacks are much of what the service spends per request.
Nothing in the service depends on which loop runs it, so without uvloop it runs unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion on a new uvloop loop if uvloop is importable, else with `asyncio.run`."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
