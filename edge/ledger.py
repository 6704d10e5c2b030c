"""The egress ledger: an append-only, hash-chained record of every byte that left the device.

A record is written, and committed, before its payload is sent. Each record's hash
covers its fields and the previous record's hash, so editing, deleting or reordering
any record breaks the chain from that point, and `verify()` says where.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from edge.storage import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS egress (
    seq          INTEGER PRIMARY KEY,
    ts           REAL NOT NULL,
    session_id   TEXT NOT NULL,
    destination  TEXT NOT NULL,
    payload      BLOB NOT NULL,
    entities     TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
"""

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class LedgerRecord:
    """One send: when, for which session, to where, the exact bytes, and entity counts by type."""

    seq: int
    ts: float
    session_id: str
    destination: str
    payload: bytes
    entities: dict[str, int]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain check."""

    ok: bool
    records: int
    first_bad_seq: int | None = None
    problem: str = ""


def _record_hash(seq: int, ts: float, session_id: str, destination: str, payload: bytes, entities: str, prev: str) -> str:
    digest = hashlib.sha256()
    header = json.dumps([seq, repr(ts), session_id, destination, entities, prev], separators=(",", ":"))
    digest.update(header.encode("utf-8"))
    digest.update(hashlib.sha256(payload).digest())
    return digest.hexdigest()


class EgressLedger:
    """Appends and verifies egress records; thread-safe."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, _SCHEMA)

    def append(self, session_id: str, destination: str, payload: bytes, entities: Mapping[str, int]) -> LedgerRecord:
        """Commit a record of a send that is about to happen."""
        entity_json = json.dumps(dict(sorted(entities.items())), separators=(",", ":"))
        with self._db.transaction() as conn:
            row = conn.execute("SELECT seq, hash FROM egress ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS_HASH)
            ts = time.time()
            digest = _record_hash(seq, ts, session_id, destination, payload, entity_json, prev)
            conn.execute(
                "INSERT INTO egress VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, ts, session_id, destination, payload, entity_json, prev, digest),
            )
        return LedgerRecord(seq, ts, session_id, destination, payload, dict(entities), prev, digest)

    def records(self, limit: int | None = None) -> list[LedgerRecord]:
        """Records oldest first (the last `limit` when given)."""
        sql = "SELECT * FROM egress ORDER BY seq"
        rows = self._db.query(sql)
        if limit is not None:
            rows = rows[-limit:] if limit > 0 else []
        return [
            LedgerRecord(int(s), float(t), str(sid), str(d), bytes(p), json.loads(str(e)), str(ph), str(h))  # type: ignore[arg-type]
            for s, t, sid, d, p, e, ph, h in rows
        ]

    def verify(self) -> VerifyResult:
        """Walk the chain and report the first record that does not fit."""
        rows = self._db.query("SELECT * FROM egress ORDER BY seq")
        prev = GENESIS_HASH
        expected_seq = 1
        for row in rows:
            try:
                seq, ts, sid, dest, payload, entities, prev_hash, digest = row
                seq = int(seq)  # type: ignore[call-overload]
                payload = bytes(payload)  # type: ignore[call-overload]
                json.loads(str(entities))
            except (TypeError, ValueError):
                # A row edited by hand into another type is tampering too, not a crash.
                return VerifyResult(False, len(rows), expected_seq, "record is malformed")
            if seq != expected_seq:
                return VerifyResult(False, len(rows), int(seq), f"record {expected_seq} is missing")  # type: ignore[call-overload]
            if prev_hash != prev:
                return VerifyResult(False, len(rows), int(seq), "previous-hash link is broken")  # type: ignore[call-overload]
            actual = _record_hash(int(seq), float(ts), str(sid), str(dest), bytes(payload), str(entities), str(prev_hash))  # type: ignore[arg-type,call-overload]
            if actual != digest:
                return VerifyResult(False, len(rows), int(seq), "record content does not match its hash")  # type: ignore[call-overload]
            prev = str(digest)
            expected_seq += 1
        return VerifyResult(True, len(rows))

    def count(self) -> int:
        """Number of records."""
        return int(self._db.query("SELECT COUNT(*) FROM egress")[0][0])  # type: ignore[call-overload]

    def close(self) -> None:
        """Close the store."""
        self._db.close()
