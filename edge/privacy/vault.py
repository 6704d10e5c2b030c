"""The vault: stable typed placeholders per session, kept in SQLite on the device and nowhere else."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from edge.storage import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vault (
    session_id  TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    value       TEXT NOT NULL,
    number      INTEGER NOT NULL,
    placeholder TEXT NOT NULL,
    PRIMARY KEY (session_id, entity_type, value),
    UNIQUE (session_id, placeholder)
);
"""


def placeholder_key(entity_type: str, number: int) -> str:
    """The canonical key of a placeholder, e.g. PERSON_1 (what restoration matches on)."""
    return f"{entity_type.upper()}_{number}"


class Vault:
    """Maps private values to placeholders like <EMAIL_ADDRESS_1>, per session; thread-safe.

    The same value always gets the same placeholder within a session. Values never
    leave this object except through `originals()`, which only restoration uses.
    """

    def __init__(self, path: Path) -> None:
        self._db = Database(path, _SCHEMA)

    def placeholder_for(self, session_id: str, entity_type: str, value: str) -> str:
        """The placeholder for `value` in this session, allocating the next number if new."""
        return self.placeholders_for(session_id, [(entity_type, value)])[0]

    def placeholders_for(self, session_id: str, items: Sequence[tuple[str, str]]) -> list[str]:
        """Placeholders for many (entity type, value) pairs in one transaction (one commit per text, not per span)."""
        if not items:
            return []
        with self._db.transaction() as conn:
            return [self._placeholder(conn, session_id, entity_type, value) for entity_type, value in items]

    @staticmethod
    def _placeholder(conn: sqlite3.Connection, session_id: str, entity_type: str, value: str) -> str:
        row = conn.execute(
            "SELECT placeholder FROM vault WHERE session_id=? AND entity_type=? AND value=?",
            (session_id, entity_type, value),
        ).fetchone()
        if row:
            return str(row[0])
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM vault WHERE session_id=? AND entity_type=?", (session_id, entity_type)
        ).fetchone()
        number = int(count) + 1
        placeholder = f"<{placeholder_key(entity_type, number)}>"
        conn.execute(
            "INSERT INTO vault VALUES (?, ?, ?, ?, ?)", (session_id, entity_type, value, number, placeholder)
        )
        return placeholder

    def originals(self, session_id: str) -> dict[str, str]:
        """Placeholder key (PERSON_1) → original value, for this session only."""
        rows = self._db.query("SELECT entity_type, number, value FROM vault WHERE session_id=?", (session_id,))
        return {placeholder_key(str(t), int(n)): str(v) for t, n, v in rows}  # type: ignore[call-overload]

    def forget_session(self, session_id: str) -> None:
        """Drop every mapping of a session."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM vault WHERE session_id=?", (session_id,))

    def close(self) -> None:
        """Close the store."""
        self._db.close()
