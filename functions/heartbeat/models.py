"""Heartbeat's response model."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DatabaseStatus(BaseModel):
    """Whether the database answered, and how fast."""

    model_config = ConfigDict(defer_build=True)

    reachable: bool
    latency_ms: float | None = Field(
        default=None, ge=0, description="round trip of `select 1`; null when unreachable"
    )


class HeartbeatResponse(BaseModel):
    """The body of every heartbeat answer (200 when healthy, 503 with the same shape when degraded)."""

    model_config = ConfigDict(defer_build=True)

    status: Literal["ok", "degraded"]
    version: str
    time: datetime
    database: DatabaseStatus
