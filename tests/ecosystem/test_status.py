"""`tandem status` against a real daemon and a real cloud, and with no daemon at all."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from edge.daemon import EdgeDaemon
from edge.sdk import EdgeClient
from shared.config import dump_config
from tests.conftest import CloudHandle

ROOT = Path(__file__).resolve().parents[2]


def status(config: Path, *extra: str) -> tuple[int, str, str]:
    """Run the real `tandem status` CLI."""
    result = subprocess.run(
        [sys.executable, "-m", "edge", "status", "--config", str(config), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    return result.returncode, result.stdout, result.stderr


@pytest.mark.e2e
def test_status_reports_daemon_model_cloud_and_todays_egress(
    cloud: CloudHandle, http_daemon: EdgeDaemon, tmp_path: Path
) -> None:
    with EdgeClient(http_daemon.socket_path) as client:
        answer = client.ask("Name a fruit.", prefer="cloud", max_tokens=8)
    assert answer.route == "cloud", answer.reason
    config = tmp_path / "edge.yaml"
    config.write_text(dump_config(http_daemon.config))

    code, out, err = status(config, "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    assert data["daemon"] == "serving" and data["local_model"] == http_daemon.model.name
    assert data["cloud"] == "reachable" and data["cloud_target"] == cloud.target
    # Every record in this session's ledger was written today (UTC), this one included.
    assert data["today"]["escalations"] == http_daemon.ledger.count() >= 1
    assert data["today"]["bytes_sent"] == sum(len(r.payload) for r in http_daemon.ledger.records())
    assert data["today"]["budget_tokens"] == 1_000_000 and data["today"]["budget_spent"] > 0
    assert data["http"] == "on (port chosen at start)"

    code, out, _ = status(config)
    assert code == 0
    assert "serving" in out and http_daemon.model.name in out and "of 1000000 cloud tokens" in out
    assert f"{data['today']['escalations']} escalation" in out


def test_status_without_a_daemon_says_how_to_start_one(tmp_path: Path) -> None:
    config = tmp_path / "edge.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\nlisten:\n  socket_path: {tmp_path / 'edge.sock'}\n")
    code, out, _ = status(config, "--json")
    data = json.loads(out)
    assert code == 1 and data["daemon"] == "down"
    assert "tandem edge serve" in data["error"]
    assert data["today"]["escalations"] == 0
    assert not (tmp_path / "state").exists(), "a status check must not create state"


@pytest.mark.e2e
def test_edge_serve_prints_progress_then_its_endpoints(tmp_path: Path) -> None:
    config = tmp_path / "edge.yaml"
    config.write_text(
        f"state_dir: {tmp_path / 'state'}\nlisten:\n  socket_path: {tmp_path / 'edge.sock'}\n  http_port: 0\nlog_level: WARNING\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge", "edge", "serve", "--config", str(config)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        serving = proc.stdout.readline()
        endpoint = proc.stdout.readline()
        # serve() installs its SIGTERM handler just after on_ready prints; give it that moment.
        time.sleep(1.0)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    assert serving.startswith(f"tandem edge: serving on unix://{tmp_path / 'edge.sock'} (model "), serving + err
    assert "ready in" in serving
    assert endpoint.startswith("tandem edge: OpenAI-compatible endpoint on http://127.0.0.1:"), endpoint + err
    assert "tandem edge: loading the bundled SmolLM2-135M-Instruct" in err
    assert proc.returncode == 0, err
