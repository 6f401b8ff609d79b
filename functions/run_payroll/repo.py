"""run-payroll's SQL: one RPC call per request, and the mapping of its SQLSTATEs onto the error tree.

The computation lives in the database (migrations 20261201300000..300200): `public.run_payroll_for_period`,
`public.payroll_run_action`, `public.prepare_due_payroll_runs` and OnyxOS's `onyx.calculate_payout_run`.
JSON numbers are parsed as Decimal (cursor-local loader), never float.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import set_json_loads

from functions.run_payroll.errors import (
    PayrollConflictError,
    PayrollForbiddenError,
    PayrollInputError,
    PayrollNotFoundError,
)
from shared.errors import OdysseyError


def _loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def _error(exc: psycopg.Error) -> OdysseyError | None:
    """The HTTP error for a database error we raise on purpose (None: not ours, let it propagate)."""
    diag = exc.diag
    message = diag.message_primary or "payroll error"
    reason = diag.message_detail or None
    state = diag.sqlstate
    if state in ("PR400", "22023"):
        return PayrollInputError(message, reason=reason or "invalid_input")
    if state in ("PR403", "42501"):
        return PayrollForbiddenError(message, reason=reason or "forbidden")
    if state in ("PR404", "P0002"):
        return PayrollNotFoundError(message, reason=reason or "not_found")
    if state in ("PR409", "55000", "23505"):
        return PayrollConflictError(message, reason=reason or "conflict")
    return None


@contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        mapped = _error(exc)
        if mapped is None:
            raise
        raise mapped from None


def _call(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...]) -> Any:
    with _mapped(), conn.cursor() as cur:
        set_json_loads(_loads, cur)
        row = cur.execute(sql, params).fetchone()
    if row is None:  # pragma: no cover - the RPCs always return one row
        raise PayrollNotFoundError("no result", reason="not_found")
    return row[0]


def run_period(
    conn: psycopg.Connection[Any],
    organization_id: int,
    period_start: date,
    period_end: date,
    pay_date: date | None,
    dry_run: bool,
    kind: str,
) -> dict[str, Any]:
    """public.run_payroll_for_period → its response object. Raises the Payroll*Error tree."""
    return dict(
        _call(
            conn,
            "select public.run_payroll_for_period(%s, %s, %s, %s, %s, %s)",
            (organization_id, period_start, period_end, pay_date, dry_run, kind),
        )
    )


def run_action(conn: psycopg.Connection[Any], payroll_run_id: int, action: str) -> dict[str, Any]:
    """public.payroll_run_action → the run summary. Raises the Payroll*Error tree."""
    return dict(_call(conn, "select public.payroll_run_action(%s, %s)", (payroll_run_id, action)))


def prepare_due(conn: psycopg.Connection[Any], as_of: date | None) -> dict[str, Any]:
    """public.prepare_due_payroll_runs (service role only) → {as_of, created, already_prepared, failed}."""
    return dict(
        _call(conn, "select public.prepare_due_payroll_runs(coalesce(%s::date, current_date))", (as_of,))
    )


def payout_run(
    conn: psycopg.Connection[Any], agency_id: UUID, period_start: date, period_end: date
) -> dict[str, Any]:
    """onyx.calculate_payout_run → the payout run as a JSON object; PayrollNotFoundError if OnyxOS is absent."""
    with _mapped():
        present = conn.execute(
            "select to_regprocedure('onyx.calculate_payout_run(uuid, date, date)') is not null"
        ).fetchone()
    if not present or not present[0]:
        raise PayrollNotFoundError(
            "OnyxOS payouts are not installed in this database", reason="not_available"
        )
    return dict(
        _call(
            conn,
            "select to_jsonb(r) from onyx.calculate_payout_run(%s, %s, %s) as r",
            (agency_id, period_start, period_end),
        )
    )
