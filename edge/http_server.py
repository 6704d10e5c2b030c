"""Uvicorn inside the daemon's own asyncio loop, on 127.0.0.1 only: start, report the port, stop."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn
from starlette.types import ASGIApp

from shared.errors import ConfigError

LOOPBACK_HOST = "127.0.0.1"
SHUTDOWN_GRACE_S = 5.0
LISTEN_BACKLOG = 128


class _DaemonOwnedServer(uvicorn.Server):
    """Uvicorn inside the daemon's loop: the daemon, not uvicorn, owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield


class LocalHttpServer:
    """Serves an ASGI app on 127.0.0.1 as a task on the running loop."""

    def __init__(self, app: ASGIApp, port: int) -> None:
        self.app = app
        self.requested_port = port
        self.port: int | None = None
        self._server: _DaemonOwnedServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bind 127.0.0.1:port (ConfigError if taken) and start serving."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this: without it Nagle holds each small SSE chunk for the peer's delayed ACK (~40 ms).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((LOOPBACK_HOST, self.requested_port))
        except OSError as exc:
            sock.close()
            raise ConfigError(f"listen.http_port: cannot bind {LOOPBACK_HOST}:{self.requested_port} ({exc.strerror})") from None
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_level="warning",
            access_log=False,  # request lines are not private, but keep the daemon's log quiet
            timeout_graceful_shutdown=int(SHUTDOWN_GRACE_S),
        )
        self._server = _DaemonOwnedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="tandem-openai-http")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # surfaces the startup error
                raise ConfigError("listen.http_port: the HTTP server stopped during startup")
            await asyncio.sleep(0.01)

    async def stop(self, grace: float = SHUTDOWN_GRACE_S) -> None:
        """Stop accepting, let open responses finish within `grace`, then stop."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=grace + 1.0)
        except (TimeoutError, asyncio.CancelledError):
            self._server.force_exit = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._server = None
        self._task = None
