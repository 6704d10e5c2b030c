"""SQLite on the device: one file per store, private to the user, safe to share across threads."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user only."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


class Database:
    """A SQLite connection guarded by a lock, so one store can be used from any thread."""

    def __init__(self, path: Path, schema: str) -> None:
        ensure_private_dir(path.parent)
        # Create the file 0600 before SQLite opens it, so it is never readable by others.
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(schema)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A locked, atomic transaction (committed on success, rolled back on error)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query."""
        with self._lock:
            return list(self._conn.execute(sql, params))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
