"""`tandem sanitize --jsonl` and `tandem audit`, run as the user runs them (a real subprocess)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from edge.ledger import EgressLedger

TANDEM = [sys.executable, "-m", "edge.cli"]


def run(args: list[str], stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TANDEM, *args], input=stdin, capture_output=True, text=True, timeout=120, env=env)


def test_sanitize_jsonl_in_order_with_error_lines() -> None:
    lines = [
        json.dumps({"text": "Mail ada@example.org or call +1 415 555 2671."}),
        "{not json",
        json.dumps({"txt": "no text field"}),
        "",
        json.dumps({"text": "Card 4111 1111 1111 1111, key sk-proj-abcDEF1234567890abcdefGHIJ"}),
        json.dumps({"text": 7}),
    ]
    result = run(["sanitize", "--jsonl", "--preset", "strict"], "\n".join(lines) + "\n")
    assert result.returncode == 1, result.stderr  # some lines were bad
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 5  # the blank line is skipped, every other line answered in order
    assert out[0]["sanitized"] == "Mail <EMAIL_ADDRESS_1> or call <PHONE_NUMBER_1>."
    assert out[0]["entities"][0] == {"type": "EMAIL_ADDRESS", "start": 5, "end": 20, "placeholder": "<EMAIL_ADDRESS_1>"}
    assert out[1]["line"] == 2 and "not valid JSON" in out[1]["error"]
    assert out[2]["line"] == 3 and '"text" field' in out[2]["error"]
    assert {"CREDIT_CARD", "API_KEY"} <= {e["type"] for e in out[3]["entities"]}
    assert out[4]["line"] == 6 and "must be a string" in out[4]["error"]
    for secret in ("ada@example.org", "415 555 2671", "4111 1111 1111 1111", "sk-proj-abcDEF"):
        assert secret not in result.stdout


def test_sanitize_requires_jsonl_flag() -> None:
    result = run(["sanitize"])
    assert result.returncode == 2 and "--jsonl" in result.stderr


def test_audit_lists_verifies_and_reports_tampering(tmp_path: Path) -> None:
    state = tmp_path / "state"
    ledger = EgressLedger(state / "egress.db")
    for i in range(3):
        ledger.append(f"s{i}", "cloud.example:443", f"hello <PERSON_{i}>".encode(), {"PERSON": 1})
    ledger.close()
    env = {**os.environ, "TANDEM_STATE_DIR": str(state)}

    listed = run(["audit", "--json"], env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert rows[0]["entities"] == {"PERSON": 1} and rows[0]["destination"] == "cloud.example:443"
    assert "3 record(s), hash chain intact" in run(["audit", "--verify"], env=env).stdout

    conn = sqlite3.connect(state / "egress.db")
    conn.execute("UPDATE egress SET payload = ? WHERE seq = 2", (b"hello Ada",))
    conn.commit()
    conn.close()
    verify = run(["audit", "--verify", "--json"], env=env)
    assert verify.returncode == 1
    assert json.loads(verify.stdout) == {"ok": False, "records": 3, "first_bad_seq": 2, "problem": "record content does not match its hash"}


def test_audit_without_a_ledger_is_a_clear_error(tmp_path: Path) -> None:
    result = run(["audit"], env={**os.environ, "TANDEM_STATE_DIR": str(tmp_path / "none")})
    assert result.returncode == 2
    assert "no egress ledger at" in result.stderr and "Traceback" not in result.stderr
