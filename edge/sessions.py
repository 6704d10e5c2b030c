"""Multi-turn sessions kept on the device in SQLite; the local model sees their history."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from edge.storage import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    role       TEXT NOT NULL,
    content    TEXT NOT NULL,
    route      TEXT NOT NULL,
    created    REAL NOT NULL,
    PRIMARY KEY (session_id, seq)
);
"""

SESSION_ID_BYTES = 12
MAX_SESSION_ID_CHARS = 128


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of a conversation, as the user saw it (private values included)."""

    role: str
    content: str
    route: str


def new_session_id() -> str:
    """A fresh random session id."""
    return "s_" + secrets.token_hex(SESSION_ID_BYTES)


class SessionStore:
    """Conversation history per session; thread-safe."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, _SCHEMA)

    def history(self, session_id: str, max_turns: int) -> list[Turn]:
        """The last `max_turns` user/assistant pairs, oldest first."""
        if max_turns <= 0:
            return []
        rows = self._db.query(
            "SELECT role, content, route FROM turns WHERE session_id=? ORDER BY seq DESC LIMIT ?",
            (session_id, max_turns * 2),
        )
        return [Turn(str(r), str(c), str(rt)) for r, c, rt in reversed(rows)]

    def append_exchange(self, session_id: str, question: str, answer: str, route: str) -> None:
        """Record one question and its answer atomically."""
        now = time.time()
        with self._db.transaction() as conn:
            (last,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM turns WHERE session_id=?", (session_id,)).fetchone()
            conn.execute("INSERT INTO turns VALUES (?, ?, 'user', ?, ?, ?)", (session_id, last + 1, question, route, now))
            conn.execute("INSERT INTO turns VALUES (?, ?, 'assistant', ?, ?, ?)", (session_id, last + 2, answer, route, now))

    def close(self) -> None:
        """Close the store."""
        self._db.close()
