"""Shared fixtures: one real embedded upstream + cloud service per session, and real edge daemons on demand."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud.server import CloudService
from edge.daemon import EdgeDaemon
from tests.helpers import BackgroundLoop, cloud_config, edge_config, short_tmpdir


@pytest.fixture(scope="session")
def loop() -> Iterator[BackgroundLoop]:
    """The background loop every real server in the session runs on."""
    background = BackgroundLoop()
    yield background
    background.close()


class CloudHandle:
    """A running cloud service and how to reach it."""

    def __init__(self, service: CloudService, token: str) -> None:
        self.service = service
        self.token = token

    @property
    def target(self) -> str:
        return self.service.target


@pytest.fixture(scope="session")
def cloud(loop: BackgroundLoop) -> Iterator[CloudHandle]:
    """The real cloud service with its embedded llama_cpp.server upstream, on free loopback ports."""
    token = secrets.token_urlsafe(16)
    service = CloudService(cloud_config(token))
    loop.run(service.start())
    yield CloudHandle(service, token)
    loop.run(service.stop(grace=1.0))


DaemonFactory = Callable[..., EdgeDaemon]


@pytest.fixture
def make_daemon(loop: BackgroundLoop) -> Iterator[DaemonFactory]:
    """Start real edge daemons (real model, real socket); all are stopped after the test."""
    started: list[tuple[EdgeDaemon, Path]] = []

    def factory(cloud_target: str | None = None, token: str | None = None, **overrides: Any) -> EdgeDaemon:
        workdir = short_tmpdir()
        daemon = EdgeDaemon(edge_config(workdir, cloud_target, token, **overrides))
        loop.run(daemon.start())
        started.append((daemon, workdir))
        return daemon

    yield factory
    for daemon, workdir in started:
        loop.run(daemon.stop(grace=1.0))
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def hybrid_daemon(cloud: CloudHandle, make_daemon: DaemonFactory) -> EdgeDaemon:
    """A daemon that escalates to the session's cloud, with card numbers blocked."""
    return make_daemon(cloud.target, cloud.token, privacy={"entities": {"CREDIT_CARD": "block"}})
