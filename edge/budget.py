"""The daily cloud token budget: a small SQLite counter per UTC day; once spent, answers stay local.

Tokens are what the cloud reports (prompt + completion) for each escalation. The day rolls
over at 00:00 UTC. The counter lives beside the egress ledger, so it survives restarts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from edge.storage import Database
from shared.errors import Overloaded

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cloud_tokens (
    day     TEXT PRIMARY KEY,
    tokens  INTEGER NOT NULL
);
"""


def utc_day() -> str:
    """Today's date in UTC, as YYYY-MM-DD."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


class CloudBudget:
    """Counts cloud tokens per UTC day against `daily_tokens`."""

    def __init__(self, path: Path, daily_tokens: int, today: Callable[[], str] = utc_day) -> None:
        self.daily_tokens = daily_tokens
        self._today = today
        self._db = Database(path, _SCHEMA)

    def spent(self) -> int:
        """Tokens used today."""
        rows = self._db.query("SELECT tokens FROM cloud_tokens WHERE day = ?", (self._today(),))
        return int(rows[0][0]) if rows else 0

    def check(self) -> None:
        """Overloaded if today's budget is spent (so nothing is sent)."""
        spent = self.spent()
        if spent >= self.daily_tokens:
            raise Overloaded(
                f"the daily cloud token budget ({self.daily_tokens}) is spent ({spent} used); answers stay local until 00:00 UTC"
            )

    def record(self, tokens: int) -> None:
        """Add `tokens` to today's count."""
        if tokens <= 0:
            return
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO cloud_tokens(day, tokens) VALUES(?, ?) ON CONFLICT(day) DO UPDATE SET tokens = tokens + excluded.tokens",
                (self._today(), tokens),
            )

    def close(self) -> None:
        """Close the database."""
        self._db.close()
