"""Test helpers: a background event loop for real servers, config builders, and the text of detected spans."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Coroutine, Iterable
from pathlib import Path
from typing import Any, TypeVar

from shared.config import CloudConfig, EdgeConfig
from shared.privacy.spans import Span

T = TypeVar("T")


class BackgroundLoop:
    """An asyncio loop on its own thread, so servers keep serving while a test blocks on a sync client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 300.0) -> T:
        """Run `coro` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


def short_tmpdir() -> Path:
    """A short temp dir (Unix socket paths must stay under ~100 characters)."""
    return Path(tempfile.mkdtemp(prefix="tdm-", dir="/tmp"))


def cloud_config(token: str, **overrides: Any) -> CloudConfig:
    """A loopback cloud config on a free port accepting `token`."""
    data: dict[str, Any] = {"listen": {"host": "127.0.0.1", "port": 0}, "auth": {"tokens": [token]}}
    data.update(overrides)
    return CloudConfig.model_validate(data)


def edge_config(workdir: Path, cloud_target: str | None = None, token: str | None = None, **overrides: Any) -> EdgeConfig:
    """An edge config with state and socket in `workdir`, escalating to `cloud_target` if given."""
    data: dict[str, Any] = {
        "state_dir": str(workdir / "state"),
        "listen": {"socket_path": str(workdir / "edge.sock")},
        "cloud": {"target": cloud_target, "token": token, "timeout_s": 60},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return EdgeConfig.model_validate(data)


def span_texts(text: str, spans: Iterable[Span]) -> list[str]:
    """The piece of `text` each span covers, in the spans' order."""
    return [text[s.start : s.end] for s in spans]
