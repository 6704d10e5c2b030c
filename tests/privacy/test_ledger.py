"""The egress ledger: hash chain, and every kind of tampering is reported at the right record."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge.ledger import EgressLedger


def filled(path: Path, n: int = 5) -> EgressLedger:
    ledger = EgressLedger(path)
    for i in range(n):
        ledger.append(f"s{i}", "cloud:443", f"payload {i} <PERSON_1>".encode(), {"PERSON": 1})
    return ledger


def tamper(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(sql)
    conn.commit()
    conn.close()


def test_intact_chain_verifies(tmp_path: Path) -> None:
    ledger = filled(tmp_path / "egress.db")
    assert ledger.verify().ok and ledger.verify().records == 5
    assert [r.seq for r in ledger.records(limit=2)] == [4, 5]
    ledger.close()


@pytest.mark.parametrize(
    ("sql", "bad_seq", "problem"),
    [
        ("UPDATE egress SET payload = X'41' WHERE seq = 3", 3, "does not match its hash"),
        ("UPDATE egress SET entities = '{}' WHERE seq = 2", 2, "does not match its hash"),
        ("UPDATE egress SET destination = 'evil' WHERE seq = 4", 4, "does not match its hash"),
        ("DELETE FROM egress WHERE seq = 2", 3, "record 2 is missing"),
        ("UPDATE egress SET prev_hash = hash WHERE seq = 5", 5, "previous-hash link is broken"),
        ("UPDATE egress SET entities = 'not json' WHERE seq = 1", 1, "malformed"),
    ],
)
def test_tampering_is_found(tmp_path: Path, sql: str, bad_seq: int, problem: str) -> None:
    path = tmp_path / "egress.db"
    filled(path).close()
    tamper(path, sql)
    ledger = EgressLedger(path)
    result = ledger.verify()
    ledger.close()
    assert not result.ok
    assert result.first_bad_seq == bad_seq
    assert problem in result.problem


def test_rehashing_one_record_still_breaks_the_next_link(tmp_path: Path) -> None:
    import json

    from edge.ledger import _record_hash

    path = tmp_path / "egress.db"
    filled(path).close()
    conn = sqlite3.connect(path)
    seq, ts, sid, dest, _payload, ent, prev, _h = conn.execute("SELECT * FROM egress WHERE seq = 2").fetchone()
    forged = _record_hash(seq, ts, sid, dest, b"forged", ent, prev)
    conn.execute("UPDATE egress SET payload = ?, hash = ? WHERE seq = 2", (b"forged", forged))
    conn.commit()
    conn.close()
    ledger = EgressLedger(path)
    result = ledger.verify()
    ledger.close()
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert json.loads(ent) == {"PERSON": 1}
