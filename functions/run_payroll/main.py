"""run-payroll: POST /functions/v1/run-payroll — US payroll for an organization and period, to the cent.

Bodies (see models.py): {organization_id, period_start, period_end, pay_date?, dry_run?, kind?} calculates
or recalculates a draft run (dry_run: the full preview, nothing written); {action, payroll_run_id} approves,
marks paid or voids a run; {due: true, as_of?} (service only, the scheduled entry) prepares the draft runs
of every organization whose pay period ended, idempotently; {agency_id, period_start, period_end} runs the
OnyxOS payout calculation.

Callers: an owner or admin of the organization (user JWT; the request runs as `authenticated` with the
caller's claims so RLS applies), or the service (service key / scheduled event → `service_role`, because
the scheduler acts for every organization). A member gets 403, an outsider 404. One transaction per request.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # loaded by functions-framework as a top-level `main`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pydantic import BaseModel, Field  # noqa: E402

from functions.run_payroll import service  # noqa: E402
from functions.run_payroll.models import PayrollRequest  # noqa: E402
from shared.db import transaction  # noqa: E402
from shared.function import Call, function  # noqa: E402
from shared.lambda_adapter import lambda_handler  # noqa: E402
from shared.settings import DATABASE, FunctionSettings  # noqa: E402


class Settings(FunctionSettings):
    """The database; payroll statements may run longer than the default timeout (10,000 employees)."""

    required = DATABASE
    payroll_statement_timeout_ms: int = Field(
        default=120_000, gt=0, validation_alias="ODYSSEY_PAYROLL_STATEMENT_TIMEOUT_MS"
    )


@function(
    name="run_payroll",
    methods=("POST",),
    auth="user_or_service",
    request_model=PayrollRequest,
    settings=Settings,
    cors=True,
)
def run_payroll(call: Call[Settings]) -> BaseModel:
    """Run, preview or move along the lifecycle a payroll run (or prepare due runs / an OnyxOS payout)."""
    settings = call.settings
    timeout = settings.payroll_statement_timeout_ms
    claims = {**call.principal.claims, "role": "authenticated"}
    body = call.body.root
    for key in ("organization_id", "payroll_run_id"):
        if hasattr(body, key):
            call.bind(**{key: getattr(body, key)})
    return service.handle(
        body,
        "service" if call.principal.kind == "service" else "user",
        user_tx=lambda: transaction(settings, "authenticated", claims, statement_timeout_ms=timeout),
        service_tx=lambda: transaction(
            settings, "service_role", {"role": "service_role"}, statement_timeout_ms=timeout
        ),
    )


handler = lambda_handler(run_payroll)
