"""heartbeat: GET → {status, version, time, database: {reachable, latency_ms}}. Public and cheap.

Answers 200 when the database answers `select 1`, and 503 (with Retry-After and the same body, status
"degraded") when it does not — so a monitor needs only the status code, and a person still sees why.
The probe runs as `anon` and never waits more than the pool timeout (ODYSSEY_DB_POOL_TIMEOUT_S, 1 s).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # loaded by functions-framework as a top-level `main`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from functions.heartbeat import repo, service  # noqa: E402
from functions.heartbeat.models import HeartbeatResponse  # noqa: E402
from shared.function import Call, function  # noqa: E402
from shared.http import Response  # noqa: E402
from shared.lambda_adapter import lambda_handler  # noqa: E402
from shared.settings import DATABASE, FunctionSettings  # noqa: E402


class Settings(FunctionSettings):
    """Heartbeat needs only the database URL."""

    required = DATABASE


@function(
    name="heartbeat",
    methods=("GET",),
    auth="public",
    response_model=HeartbeatResponse,
    settings=Settings,
    cors=True,
    responses={503: HeartbeatResponse},
)
def heartbeat(call: Call[Settings]) -> Response:
    """Report whether the function runtime and its database are up."""
    report = service.heartbeat(call.settings.version, lambda: datetime.now(UTC), lambda: repo.probe(call.db))
    if report.database.reachable:
        return Response.json(report)
    return Response.json(report, status=503, headers={"Retry-After": "5"})


handler = lambda_handler(heartbeat)
