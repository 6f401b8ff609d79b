"""run-payroll's domain flow: pick the RPC for the request, run it in ONE transaction as the right role, and
shape the answer. The computation itself is set-based SQL in the database (see repo.py).

Roles: a user request runs as `authenticated` with the caller's claims (RLS applies, and the RPCs check
owner/admin explicitly: a member gets 403, an outsider 404). A service request (service key, or the
scheduler's event) runs as `service_role`, which is what lets the scheduler prepare every organization's
run and the OnyxOS payout act for an explicit agency.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Literal

from pydantic import BaseModel

from functions.run_payroll import repo
from functions.run_payroll.errors import PayrollForbiddenError
from functions.run_payroll.models import (
    ActionRequest,
    ActionResult,
    DueRequest,
    DueResult,
    PayoutRequest,
    PayoutResult,
    RunRequest,
    RunResult,
)

Transaction = Callable[[], AbstractContextManager[Any]]
Caller = Literal["user", "service"]


def handle(
    body: RunRequest | ActionRequest | DueRequest | PayoutRequest,
    caller: Caller,
    user_tx: Transaction,
    service_tx: Transaction,
) -> BaseModel:
    """Serve one request. `user_tx` / `service_tx` open one transaction as `authenticated` / `service_role`.

    Raises PayrollInputError (422), PayrollForbiddenError (403: a member, or a user asking for the
    scheduler), PayrollNotFoundError (404) and PayrollConflictError (409); a failure rolls everything back.
    """
    if isinstance(body, DueRequest):
        if caller != "service":
            raise PayrollForbiddenError("only the scheduler (service role) prepares due payroll runs")
        with service_tx() as conn:
            return DueResult.model_validate(repo.prepare_due(conn, body.as_of))
    tx = service_tx if caller == "service" else user_tx
    with tx() as conn:
        if isinstance(body, RunRequest):
            return run_result(
                repo.run_period(
                    conn,
                    body.organization_id,
                    body.period_start,
                    body.period_end,
                    body.pay_date,
                    body.dry_run,
                    body.kind,
                )
            )
        if isinstance(body, ActionRequest):
            return ActionResult.model_validate(repo.run_action(conn, body.payroll_run_id, body.action))
        raw = repo.payout_run(conn, body.agency_id, body.period_start, body.period_end)
        return PayoutResult.model_validate({**raw, "payout_run_id": raw["id"]})


def run_result(raw: dict[str, Any]) -> RunResult:
    """The RPC's response object as a RunResult (full preview of stubs only for dry runs)."""
    return RunResult.model_validate(raw)
