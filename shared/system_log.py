"""Copy a request's warnings and errors to `public.system_logs`, cheaply and without ever failing the request.

Runs after the response is built, in its own short transaction as `service_role` (the table is written only
by the platform), with a short pool wait and statement timeout. Every failure is swallowed and reported on
the JSON log only (never recursively into the table).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Sequence
from typing import Any

from shared.http import correlation_uuid
from shared.logs import LogContext
from shared.settings import FunctionSettings

_SEVERITY = {logging.WARNING: "warning", logging.ERROR: "error", logging.CRITICAL: "critical"}
_INSERT = """
insert into public.system_logs
  (timestamp, severity, source, message, user_id, organization_id, metadata, stack_trace, correlation_id)
select to_timestamp(%(ts)s), %(severity)s, %(source)s, %(message)s,
       (select u.id from auth.users u where u.id = %(user_id)s::uuid),
       (select o.id from public.organizations o where o.id = %(organization_id)s::bigint),
       %(metadata)s::jsonb, %(stack)s, %(correlation_id)s
"""


def _row(record: logging.LogRecord, ctx: LogContext) -> dict[str, Any]:
    user_id = ctx.fields.get("user_id")
    org = ctx.fields.get("organization_id")
    stack = None
    if record.exc_info and record.exc_info[0] is not None:
        stack = "".join(traceback.format_exception(*record.exc_info))[-8000:]
    meta = {k: v for k, v in ctx.fields.items() if k not in ("user_id", "organization_id")}
    meta["logger"] = record.name
    return {
        "ts": record.created,
        "severity": _SEVERITY.get(record.levelno, "error" if record.levelno > logging.WARNING else "warning"),
        "source": f"function:{ctx.function}",
        "message": record.getMessage()[:2000],
        "user_id": str(user_id) if user_id else None,
        "organization_id": org if isinstance(org, int) else None,
        "metadata": json.dumps(meta, default=str),
        "stack": stack,
        "correlation_id": correlation_uuid(ctx.request_id),
    }


def write(settings: FunctionSettings, ctx: LogContext, records: Sequence[logging.LogRecord]) -> bool:
    """Insert `records` into public.system_logs; True when written. Never raises."""
    if not records or not settings.system_logs or not settings.database_configured:
        return False
    try:
        from shared.db import transaction

        rows = [_row(r, ctx) for r in records]
        with transaction(
            settings, "service_role", {"role": "service_role"}, statement_timeout_ms=1000, pool_timeout_s=0.3
        ) as conn:
            with conn.cursor() as cur:
                cur.executemany(_INSERT, rows)
        return True
    except Exception as exc:  # noqa: BLE001 - logging must never fail the request
        logging.getLogger("odyssey.runtime").warning(
            "system_logs write failed: %s", type(exc).__name__, extra={"no_system_log": True}
        )
        return False


__all__ = ["write"]
