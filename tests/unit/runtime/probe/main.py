"""Test-only functions that exercise every part of the runtime (auth modes, models, db roles, failures)."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[4]))

from pydantic import BaseModel, Field  # noqa: E402

from shared.function import Call, function  # noqa: E402
from shared.lambda_adapter import lambda_handler  # noqa: E402
from shared.settings import DATABASE, FunctionSettings  # noqa: E402
from shared.webhooks import DatabaseWebhook  # noqa: E402


class Settings(FunctionSettings):
    """The probes use the database."""

    required = DATABASE


class EchoIn(BaseModel):
    """A body with a few constraints, to produce field-level validation errors."""

    name: str = Field(min_length=1, max_length=40)
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    tags: list[str] = Field(default_factory=list, max_length=3)


class EchoOut(BaseModel):
    """What the user probe answers: who the database thinks we are, and the echoed body."""

    uid: str | None
    db_role: str
    statement_timeout: str
    name: str
    amount: Decimal


@function(
    name="probe_user",
    methods=("POST",),
    auth="user",
    request_model=EchoIn,
    response_model=EchoOut,
    settings=Settings,
    cors=True,
    max_body_bytes=2048,
)
def probe_user(call: Call[Settings]) -> EchoOut:
    """Echo the body and the database identity seen under `as_user` (RLS identity)."""
    with call.db.as_user() as conn:
        uid, role, timeout = conn.execute(
            "select auth.uid()::text, current_user::text, current_setting('statement_timeout')"
        ).fetchone()
    return EchoOut(
        uid=uid, db_role=role, statement_timeout=timeout, name=call.body.name, amount=call.body.amount
    )


@function(name="probe_service", methods=("POST",), auth="service", settings=Settings, content_types=())
def probe_service(call: Call[Settings]) -> dict[str, object]:
    """Service-only: the database role under `as_service`, how we were called; optional `{"sleep": s}`.

    Uses the service role because it is a probe of that role itself.
    """
    data = call.request.json() if call.request.body else {}
    with call.db.as_service() as conn:
        if isinstance(data, dict) and data.get("sleep"):
            conn.execute("select pg_sleep(%s)", (float(data["sleep"]),))
        (role,) = conn.execute("select current_user::text").fetchone()
    return {"db_role": role, "via": call.principal.via, "trigger": call.request.trigger, "input": data}


@function(name="probe_any", methods=("GET",), auth="user_or_service", settings=Settings)
def probe_any(call: Call[Settings]) -> dict[str, object]:
    """Either a user or the service."""
    return {
        "kind": call.principal.kind,
        "user_id": str(call.principal.user_id) if call.principal.user_id else None,
    }


@function(name="probe_boom", methods=("GET",), auth="public", settings=Settings)
def probe_boom(call: Call[Settings]) -> None:
    """Fail with an unexpected exception whose message must not leak."""
    raise RuntimeError("internal detail: password=hunter2")


@function(
    name="probe_dbhook", methods=("POST",), auth="service", request_model=DatabaseWebhook, settings=Settings
)
def probe_dbhook(call: Call[Settings]) -> dict[str, object]:
    """A database-webhook receiver: service credential + the validated payload."""
    hook: DatabaseWebhook = call.body
    return {
        "type": hook.type,
        "table": hook.table,
        "schema": hook.schema_,
        "id": (hook.record or hook.old_record or {}).get("id"),
    }


handler_user = lambda_handler(probe_user)
handler_service = lambda_handler(probe_service)
handler_any = lambda_handler(probe_any)
handler_boom = lambda_handler(probe_boom)
handler_dbhook = lambda_handler(probe_dbhook)
