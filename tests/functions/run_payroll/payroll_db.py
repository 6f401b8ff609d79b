"""Builders for run-payroll tests: organizations, employees, time entries and runs inside one connection.

Everything goes through plain SQL on the connection the test gives (usually the rolled-back `db` fixture, as
`postgres`), so a test reads as the scenario it checks. Local times are written in the organization's
timezone and converted by PostgreSQL (`timestamp at time zone`), exactly as a clock would record them.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb, set_json_loads

W4_SINGLE: dict[str, Any] = {"filing_status": "single"}


def decimal_json(conn: psycopg.Connection) -> None:
    """Parse json/jsonb results with Decimal for numbers (never float) on this connection."""
    set_json_loads(lambda s: json.loads(s, parse_float=Decimal), conn)


class PayrollDb:
    """A small scenario builder over one connection."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        decimal_json(conn)
        self.tz: dict[int, str] = {}

    # -- setup ---------------------------------------------------------------------------------------------

    def org(self, timezone: str = "America/New_York", **payroll: Any) -> int:
        """An organization whose settings.payroll has the timezone and any other given keys."""
        settings = {"payroll": {"timezone": timezone, **payroll}}
        row = self.conn.execute(
            "insert into public.organizations (name, settings) values (%s, %s) returning id",
            (f"Org {uuid.uuid4().hex[:8]}", Jsonb(settings)),
        ).fetchone()
        assert row is not None
        self.tz[row[0]] = timezone
        return int(row[0])

    def user(self, org: int, role: str) -> str:
        """A platform user who is a member of `org` with `role`; returns the user id."""
        uid = str(uuid.uuid4())
        self.conn.execute(
            "insert into auth.users (id, email) values (%s, %s)", (uid, f"{uid[:8]}@example.com")
        )
        self.conn.execute(
            "insert into public.user_organizations (user_id, organization_id, role) values (%s, %s, %s)",
            (uid, org, role),
        )
        return uid

    def employee(
        self,
        org: int,
        *,
        pay_type: str = "hourly",
        rate: str | None = "20.00",
        salary: str | None = None,
        employment_type: str = "full_time",
        status: str = "active",
        w4: dict[str, Any] | None = None,
        tax_info: dict[str, Any] | None = None,
        hire_date: str | None = None,
        termination_date: str | None = None,
    ) -> int:
        """An employee; by default hourly at $20.00, single W-4, non-exempt."""
        if tax_info is None:
            tax_info = {"w4": w4 if w4 is not None else W4_SINGLE}
        row = self.conn.execute(
            """insert into public.employees (organization_id, full_name, pay_type, hourly_rate, salary,
                 employment_type, status, tax_info, hire_date, termination_date)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning id""",
            (
                org,
                f"Worker {uuid.uuid4().hex[:6]}",
                pay_type,
                Decimal(rate) if rate is not None and pay_type == "hourly" else None,
                Decimal(salary) if salary is not None else None,
                employment_type,
                status,
                Jsonb(tax_info),
                hire_date,
                termination_date,
            ),
        ).fetchone()
        assert row is not None
        return int(row[0])

    def entry(
        self,
        org: int,
        emp: int,
        clock_in: str,
        clock_out: str | None,
        break_minutes: int = 0,
        tz: str | None = None,
    ) -> int:
        """A time entry between two local wall-clock times of the organization (clock_out None = open)."""
        zone = tz or self.tz[org]
        row = self.conn.execute(
            """insert into public.time_entries (organization_id, employee_id, clock_in, clock_out, break_duration)
               values (%s, %s, %s::timestamp at time zone %s, %s::timestamp at time zone %s,
                       make_interval(mins => %s)) returning id""",
            (org, emp, clock_in, zone, clock_out, zone, break_minutes),
        ).fetchone()
        assert row is not None
        return int(row[0])

    def days(self, org: int, emp: int, dates: list[str], start: str, end: str) -> list[int]:
        """The same shift (local `start`-`end`, HH:MM) on each date."""
        return [self.entry(org, emp, f"{d} {start}", f"{d} {end}") for d in dates]

    def prior_wages(self, org: int, emp: int, pay_date: str, gross: str) -> int:
        """An approved off-cycle run paying `gross` on `pay_date` (year-to-date history for FICA tests)."""
        run = self.conn.execute(
            """insert into public.payroll_runs (organization_id, period_start, period_end, pay_date, kind)
               values (%s, %s::date - 13, %s::date, %s, 'off_cycle') returning id""",
            (org, pay_date, pay_date, pay_date),
        ).fetchone()
        assert run is not None
        self.conn.execute(
            """insert into public.paystubs (organization_id, payroll_run_id, employee_id, period_start, period_end,
                 pay_date, regular_pay, gross_pay, net_pay)
               values (%s, %s, %s, %s::date - 13, %s, %s, %s, %s, %s)""",
            (org, run[0], emp, pay_date, pay_date, pay_date, Decimal(gross), Decimal(gross), Decimal(gross)),
        )
        self.conn.execute("update public.payroll_runs set status = 'approved' where id = %s", (run[0],))
        return int(run[0])

    # -- actions -------------------------------------------------------------------------------------------

    def run(
        self,
        org: int,
        start: str,
        end: str,
        pay_date: str | None = None,
        dry_run: bool = False,
        kind: str = "regular",
    ) -> dict[str, Any]:
        """public.run_payroll_for_period → the response object."""
        row = self.conn.execute(
            "select public.run_payroll_for_period(%s, %s::date, %s::date, %s::date, %s, %s)",
            (org, start, end, pay_date, dry_run, kind),
        ).fetchone()
        assert row is not None
        return dict(row[0])

    def action(self, run_id: int, action: str) -> dict[str, Any]:
        """public.payroll_run_action → the run summary."""
        row = self.conn.execute("select public.payroll_run_action(%s, %s)", (run_id, action)).fetchone()
        assert row is not None
        return dict(row[0])

    def stub(self, run_id: int, emp: int) -> dict[str, Any]:
        """The paystub of `emp` in `run_id` as a dict (Decimal money)."""
        cur = self.conn.execute(
            "select * from public.paystubs where payroll_run_id = %s and employee_id = %s", (run_id, emp)
        )
        row = cur.fetchone()
        assert row is not None, f"no paystub for employee {emp} in run {run_id}"
        assert cur.description is not None
        return dict(zip([c.name for c in cur.description], row, strict=True))

    def summary(self, emp: int, start: str, end: str) -> dict[str, Any]:
        """public.get_employee_time_summary."""
        row = self.conn.execute(
            "select public.get_employee_time_summary(%s, %s::date, %s::date)", (emp, start, end)
        ).fetchone()
        assert row is not None
        return dict(row[0])

    def withholding(
        self,
        year: int,
        status: str,
        step2: bool,
        wages: str,
        periods: int,
        step3: str = "0",
        step4a: str = "0",
        step4b: str = "0",
        step4c: str = "0",
    ) -> Decimal:
        """public.federal_income_tax_withholding for one period."""
        row = self.conn.execute(
            "select public.federal_income_tax_withholding(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                year,
                status,
                step2,
                Decimal(wages),
                periods,
                Decimal(step3),
                Decimal(step4a),
                Decimal(step4b),
                Decimal(step4c),
            ),
        ).fetchone()
        assert row is not None
        return Decimal(row[0])


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a psycopg error."""
    return getattr(getattr(exc, "diag", None), "sqlstate", None)
