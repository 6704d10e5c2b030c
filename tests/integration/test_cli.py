"""The `tandem` command as a user runs it: subprocesses, real sockets, signals."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import short_tmpdir

pytestmark = pytest.mark.e2e

TANDEM = [sys.executable, "-m", "edge"]


def run_tandem(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TANDEM, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def test_bad_config_is_one_line_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "edge.yaml"
    config.write_text("policy:\n  confidence_threshold: high\n")
    result = run_tandem("edge", "serve", "--config", str(config))
    assert result.returncode == 2
    assert "policy.confidence_threshold" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_show_prints_the_effective_config_with_env_overrides() -> None:
    result = run_tandem("config", "show", "edge", env={"TANDEM_EDGE__POLICY__CONFIDENCE_THRESHOLD": "0.7", "TANDEM_EDGE__CLOUD__TOKEN": "hush"})
    assert result.returncode == 0, result.stderr
    assert "confidence_threshold: 0.7" in result.stdout
    assert "hush" not in result.stdout


def test_ask_without_a_daemon_is_a_clear_error() -> None:
    result = run_tandem("ask", "hello", "--socket", str(short_tmpdir() / "none.sock"), "--timeout", "5")
    assert result.returncode == 1
    assert "Unavailable" in result.stderr or "DeadlineExceeded" in result.stderr
    assert "Traceback" not in result.stderr


def test_edge_serve_socket_is_private_and_sigterm_exits_cleanly() -> None:
    workdir = short_tmpdir()
    socket_path = workdir / "run" / "edge.sock"
    config = workdir / "edge.yaml"
    config.write_text(f"state_dir: {workdir / 'state'}\nlisten:\n  socket_path: {socket_path}\n")
    daemon = subprocess.Popen([*TANDEM, "edge", "serve", "--config", str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not socket_path.exists() and time.monotonic() < deadline:
            assert daemon.poll() is None, daemon.stderr.read() if daemon.stderr else ""
            time.sleep(0.1)
        mode = stat.S_IMODE(socket_path.stat().st_mode)
        assert mode == 0o600, oct(mode)
        assert stat.S_IMODE((workdir / "state").stat().st_mode) == 0o700
        result = run_tandem("ask", "Name the capital city of Japan.", "--prefer", "local", "--json", "--max-tokens", "16", "--socket", str(socket_path))
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["route"] == "local" and answer["text"]
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(30)
    assert code == 0
    assert not socket_path.exists(), "the daemon removes its socket on shutdown"


@pytest.mark.slow
def test_demo_shows_every_route_and_leaks_nothing() -> None:
    result = run_tandem("demo", "--json", timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    results = json.loads(result.stdout)
    routes = {r["title"]: r["route"] for r in results}
    assert set(routes.values()) >= {"local", "cloud", "refused"}, routes
    escalated = [r for r in results if r["route"] == "cloud"]
    for r in escalated:
        assert "@" not in r["sent_text"].replace("<EMAIL_ADDRESS_", ""), r["sent_text"]
        assert "<EMAIL_ADDRESS_1>" in r["sent_text"]
    refused = [r for r in results if r["route"] == "refused"]
    assert all("CREDIT_CARD" in r["reason"] for r in refused)
