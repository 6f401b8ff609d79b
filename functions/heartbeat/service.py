"""Heartbeat's logic: combine a database probe with the clock and the version. No HTTP, no environment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from functions.heartbeat.models import DatabaseStatus, HeartbeatResponse


def heartbeat(
    version: str, now: Callable[[], datetime], probe: Callable[[], float | None]
) -> HeartbeatResponse:
    """Report health. `probe` returns the database round trip in ms, or None when it is unreachable."""
    latency = probe()
    reachable = latency is not None
    return HeartbeatResponse(
        status="ok" if reachable else "degraded",
        version=version,
        time=now(),
        database=DatabaseStatus(
            reachable=reachable, latency_ms=round(latency, 2) if latency is not None else None
        ),
    )
