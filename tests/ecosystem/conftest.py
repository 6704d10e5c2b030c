"""Fixtures for the ecosystem tests: one real hybrid daemon with its OpenAI-compatible endpoint, per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from edge.daemon import EdgeDaemon
from tests.conftest import CloudHandle
from tests.helpers import BackgroundLoop, edge_config, short_tmpdir


@pytest.fixture(scope="session")
def http_daemon(loop: BackgroundLoop, cloud: CloudHandle) -> Iterator[EdgeDaemon]:
    """A real daemon (real model, real socket) escalating to the session's cloud, serving HTTP on a free port.

One per session, shared by the ecosystem tests (they compare counts before and after, never totals)."""
    workdir = short_tmpdir()
    config = edge_config(
        workdir,
        cloud.target,
        cloud.token,
        listen={"http_port": 0},
        privacy={"entities": {"CREDIT_CARD": "block"}},
        cloud={"daily_token_budget": 1_000_000},
    )
    daemon = EdgeDaemon(config)
    loop.run(daemon.start())
    yield daemon
    loop.run(daemon.stop(grace=1.0))
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def base_url(http_daemon: EdgeDaemon) -> str:
    """The daemon's OpenAI base URL."""
    assert http_daemon.http is not None and http_daemon.http.port
    return f"http://127.0.0.1:{http_daemon.http.port}/v1"
