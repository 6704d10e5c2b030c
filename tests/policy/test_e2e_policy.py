"""End to end: `tandem calibrate` / `tandem eval` with the real model, and the default policy and
sub-query planner inside a real daemon escalating to the real cloud service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from edge.calibration import LogisticModel, PolicyParams, load_params, params_to_yaml
from edge.daemon import EdgeDaemon
from edge.ledger import EgressLedger
from edge.policy import LogisticPolicy
from edge.sdk import EdgeClient
from tests.conftest import CloudHandle

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ITEMS = [
    {"id": "cap", "prompt": "What is the capital of France?", "context": None, "answer": "Paris", "match": "contains"},
    {"id": "rec", "prompt": "What is the employee ID in this record?", "context": "Name: Ana Silva\nEmployee ID: 48213",
     "answer": "48213", "match": "contains"},
    {"id": "mul", "prompt": "What is 3817 * 5923?", "context": None, "answer": "22608091", "match": "numeric"},
    {"id": "add", "prompt": "Add 4821 and 7395.", "context": None, "answer": "12216", "match": "numeric"},
]
NEEDLE = "The access code for the river depot is 7712."
FILLER = (
    "The quarterly report notes that office traffic rose slightly after the renovation. "
    "A reminder that badges must be worn at all times inside the west wing. "
    "The cafeteria will serve green curry on Tuesdays starting next month. "
)


def _tandem(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edge", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "mini.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ITEMS), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cache(suite: Path) -> Path:
    """Where `tandem eval` caches the local answers, so `tandem calibrate` reuses them instead of generating again."""
    return suite.with_name("local.jsonl")


@pytest.mark.slow
def test_eval_cli_prints_the_report_and_plots(suite: Path, cache: Path, tmp_path: Path) -> None:
    plot = tmp_path / "curve.png"
    done = _tandem("eval", "--data", str(suite), "--cloud", "oracle", "--json", "--plot", str(plot),
                   "--cache", str(cache), "--threads", "1")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for key in ("n", "edge_accuracy", "auroc", "escalation_rate", "accuracy", "savings_at_95",
                "oracle_savings_at_95", "cloud_bytes_ratio"):
        assert key in report
    assert report["n"] == len(ITEMS)
    assert report["by_kind"]  # per-kind breakdown is there
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert len(cache.read_text().splitlines()) == len(ITEMS)
    # The model cannot multiply four-digit numbers: the oracle cloud makes the escalated items right.
    assert report["accuracy"] >= report["edge_accuracy"]


def test_calibrate_cli_writes_a_loadable_policy(suite: Path, cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "policy.yaml"
    done = _tandem("calibrate", "--data", str(suite), "--target-accuracy", "95", "--out", str(out), "--threads", "1",
                   "--cache", str(cache))
    assert done.returncode == 0, done.stderr
    params = load_params(out)
    assert params.meta["target_share"] == 0.95 and params.meta["n"] == len(ITEMS)
    assert LogisticPolicy(params).threshold == params.threshold


def test_cli_errors_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "prompt": "q", "answer": "x", "match": "fuzzy"}\n', encoding="utf-8")
    done = _tandem("eval", "--data", str(bad))
    assert done.returncode == 2
    assert "line 1: field 'match'" in done.stderr and "Traceback" not in done.stderr
    done = _tandem("calibrate", "--data", str(bad), "--target-accuracy", "0.9", "--budget", "0.2")
    assert done.returncode == 2 and "not allowed with" in done.stderr


@pytest.mark.slow
def test_daemon_routes_with_the_default_policy_and_sends_snippets(hybrid_daemon: EdgeDaemon) -> None:
    context = FILLER * 6 + NEEDLE + " " + FILLER * 6
    with EdgeClient(hybrid_daemon.socket_path) as client:
        easy = client.ask("What is the capital of France?", max_tokens=24)
        hard = client.ask("What is 3817 * 5923?", max_tokens=24)
        long = client.ask("What is the access code for the river depot?", context={"notes.txt": context},
                          prefer="cloud", max_tokens=24)
    assert easy.route == "local" and "P(local right)" in easy.reason and "≥ threshold" in easy.reason
    assert hard.route == "cloud" and "P(local right)" in hard.reason and "< threshold" in hard.reason
    assert long.route == "cloud", long.reason
    assert NEEDLE in long.sent_text and len(long.sent_text) < 0.3 * len(context)
    # The ledger holds exactly the planned snippet query, recorded before the send.
    assert long.sent_text.encode() in hybrid_daemon.ledger.records()[-1].payload


@pytest.mark.slow
def test_eval_against_a_real_openai_compatible_cloud(
    suite: Path, cache: Path, cloud: CloudHandle, tmp_path: Path
) -> None:
    """`--cloud URL` sends each item's planned sub-query to a real upstream (the embedded llama.cpp server),
    pseudonymized, guarded and recorded in the egress ledger like any escalation."""
    assert cloud.service.embedded is not None
    private = tmp_path / "private.jsonl"
    rows = [*ITEMS, {"id": "mail", "prompt": "Who wrote this note?", "context": "From: ana.silva@contoso.com\nSee you.",
                     "answer": "ana.silva@contoso.com", "match": "contains"}]
    private.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    state = tmp_path / "state"
    done = _tandem("eval", "--data", str(private), "--cloud", cloud.service.embedded.base_url, "--json",
                   "--cache", str(cache), "--threads", "1", env={"TANDEM_STATE_DIR": str(state)})
    assert done.returncode == 0, done.stderr
    ledger = EgressLedger(state / "egress.db")
    try:
        records = ledger.records()
        assert len(records) == len(rows) and ledger.verify().ok
        assert all(b"ana.silva@contoso.com" not in r.payload for r in records)
        assert b"<EMAIL_ADDRESS_1>" in records[-1].payload
    finally:
        ledger.close()
    report = json.loads(done.stdout)
    # The same small model upstream: its accuracy is measured, not assumed perfect.
    assert 0.0 <= report["cloud_accuracy"] < 1.0
    assert report["cloud"] == cloud.service.embedded.base_url


@pytest.mark.slow
def test_daemon_computes_the_optional_features_and_picks_hybrid_snippets(
    cloud: CloudHandle, make_daemon: Any, tmp_path: Path
) -> None:
    # A policy over the two optional features only: with them missing its score would be exactly sigmoid(0) = 0.5.
    names = ("sc_agreement", "self_check_yes")
    model = LogisticModel({n: 1.0 for n in names}, {n: 0.0 for n in names}, {n: 1.0 for n in names}, 0.0)
    policy = tmp_path / "checks.yaml"
    policy.write_text(params_to_yaml(PolicyParams(model, 0.01)), encoding="utf-8")
    daemon = make_daemon(cloud.target, cloud.token, policy={
        "file": str(policy), "self_consistency_samples": 2, "self_consistency_max_tokens": 8, "self_check": True,
        "snippets": "hybrid",
    })
    context = FILLER * 6 + NEEDLE + " " + FILLER * 6
    with EdgeClient(daemon.socket_path) as client:
        easy = client.ask("What is the capital of France?", max_tokens=16)
        long = client.ask("What is the access code for the river depot?", context={"notes.txt": context},
                          prefer="cloud", max_tokens=16)
    assert easy.route == "local" and 0.5 < easy.confidence < 0.9, (easy.confidence, easy.reason)
    assert long.route == "cloud", long.reason
    assert NEEDLE in long.sent_text and len(long.sent_text) < 0.3 * len(context)
