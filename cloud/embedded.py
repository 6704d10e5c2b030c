"""The embedded default upstream: llama.cpp's own OpenAI-compatible server as a child process on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from shared import constants as C
from shared.config import EmbeddedUpstreamSettings
from shared.errors import ModelError, Unavailable
from shared.model_files import resolve_model, verify_model
from shared.net import free_port

log = logging.getLogger(__name__)

EMBEDDED_MODEL_ALIAS = C.BUNDLED_MODEL_NAME
_POLL_INTERVAL_S = 0.25
_STOP_TIMEOUT_S = 10.0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    # Linux: the child gets SIGTERM if the parent dies, so a crashed service leaves no orphan.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class EmbeddedUpstream:
    """Starts `python -m llama_cpp.server` on a free loopback port and stops it again."""

    def __init__(self, settings: EmbeddedUpstreamSettings, log_path: Path | None = None) -> None:
        path, digest = resolve_model(settings.model_path, None)
        self.model_path = verify_model(path, digest)
        self.settings = settings
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.model_alias = EMBEDDED_MODEL_ALIAS if settings.model_path is None else self.model_path.stem
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The child's command line."""
        cmd = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", self.model_alias,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.settings.n_ctx),
            # llama_cpp.server's default cuts off a running stream when another request arrives;
            # queue concurrent escalations instead, so no answer is truncated.
            "--interrupt_requests", "False",
        ]  # fmt: skip
        if self.settings.n_threads:
            cmd += ["--n_threads", str(self.settings.n_threads)]
        return cmd

    async def start(self) -> None:
        """Start the child and wait until it serves /v1/models."""
        try:
            import llama_cpp.server  # noqa: F401
        except ImportError:
            raise ModelError("the embedded upstream needs `pip install 'llama-cpp-python[server]'`") from None
        output = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        log.info("starting embedded upstream (llama_cpp.server, pid %d) on %s", self._process.pid, self.base_url)
        deadline = time.monotonic() + self.settings.startup_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise Unavailable(f"the embedded upstream exited with code {self._process.returncode} while starting")
            if await asyncio.to_thread(self._ready):
                log.info("embedded upstream ready")
                return
            await asyncio.sleep(_POLL_INTERVAL_S)
        await self.stop()
        raise Unavailable(f"the embedded upstream did not start within {self.settings.startup_timeout_s:.0f}s")

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=1.0) as response:
                return response.status == 200 and "data" in json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return False

    async def stop(self) -> None:
        """Terminate the child (kill it if it lingers) and reap it."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, _STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(process.wait, _STOP_TIMEOUT_S)

    @property
    def pid(self) -> int | None:
        """The child's pid while it runs."""
        return self._process.pid if self._process else None


def embedded_log_path() -> Path | None:
    """Where the embedded upstream's output goes ($TANDEM_EMBEDDED_LOG), else nowhere."""
    value = os.environ.get("TANDEM_EMBEDDED_LOG")
    return Path(value) if value else None
