"""Heartbeat's only SQL: a round trip as the least privileged role."""

from __future__ import annotations

import time

from shared.db import Database
from shared.errors import DatabaseUnavailableError


def probe(db: Database) -> float | None:
    """Milliseconds for `select 1` in a transaction as `anon`, or None when the database is unavailable."""
    started = time.perf_counter()
    try:
        with db.as_anon() as conn:
            conn.execute("select 1").fetchone()
    except DatabaseUnavailableError:
        return None
    return (time.perf_counter() - started) * 1000
