"""Salaried, exempt, contractor, terminated and inactive workers; per-employee validation."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from tests.functions.run_payroll.payroll_db import PayrollDb, sqlstate

D = Decimal
WEEK1 = ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"]


def test_salary_is_annual_over_periods_and_paid_without_time(db: psycopg.Connection) -> None:
    """52,000 / 26 = 2,000.00 with no time logged; 50,000 / 26 = 1,923.0769 -> 1,923.08 (remainder cent
    not trued up)."""
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="biweekly")
    even = p.employee(org, pay_type="salary", salary="52000.00")
    odd = p.employee(org, pay_type="salary", salary="50000.00")
    run = p.run(org, "2026-01-05", "2026-01-18")
    assert p.stub(run["payroll_run_id"], even)["salary_pay"] == D("2000.00")
    assert p.stub(run["payroll_run_id"], odd)["gross_pay"] == D("1923.08")


def test_salaried_non_exempt_earns_overtime(db: psycopg.Connection) -> None:
    """Salary alone is not exemption: 45 h in a week at 52,000/yr (regular rate 52,000/2,080 = 25.00/h)
    -> 5 h x 37.50 = 187.50 on top of the 1,000.00 weekly salary."""
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, pay_type="salary", salary="52000.00")
    p.days(org, emp, WEEK1, "08:00", "17:00")
    stub = p.stub(p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"], emp)
    assert (stub["salary_pay"], stub["overtime_hours"], stub["overtime_pay"]) == (
        D("1000.00"),
        D("5"),
        D("187.50"),
    )
    assert stub["gross_pay"] == D("1187.50")


def test_flsa_exempt_flag_means_no_overtime(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(
        org,
        pay_type="salary",
        salary="52000.00",
        tax_info={"w4": {"filing_status": "single"}, "flsa_exempt": True},
    )
    p.days(org, emp, WEEK1, "08:00", "17:00")
    stub = p.stub(p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"], emp)
    assert (stub["overtime_hours"], stub["overtime_pay"], stub["gross_pay"]) == (
        D("0"),
        D("0.00"),
        D("1000.00"),
    )
    assert stub["regular_hours"] == D("45")


def test_contractor_payment_has_no_withholding_and_no_overtime(db: psycopg.Connection) -> None:
    """50 h at $40 = 2,000.00 straight time, gross = net, no W-4 needed."""
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, rate="40.00", employment_type="contractor", tax_info={})
    p.days(org, emp, WEEK1, "08:00", "18:00")
    run = p.run(org, "2026-01-05", "2026-01-11")
    stub = p.stub(run["payroll_run_id"], emp)
    assert stub["worker_type"] == "contractor"
    assert (stub["regular_hours"], stub["overtime_hours"]) == (D("50"), D("0"))
    assert stub["gross_pay"] == stub["net_pay"] == D("2000.00")
    assert stub["federal_income_tax"] == stub["social_security_tax"] == stub["medicare_tax"] == D("0.00")
    assert run["errors"] == []
    assert run["total_amount"] == "2000.00"  # no employer FICA on a contractor


def test_exempt_from_withholding_pays_fica_but_no_income_tax(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, rate="25.00", tax_info={"exempt_from_withholding": True})
    p.days(org, emp, WEEK1[:4], "08:00", "18:00")
    stub = p.stub(p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"], emp)
    assert stub["federal_income_tax"] == D("0.00")
    assert (stub["social_security_tax"], stub["medicare_tax"]) == (D("62.00"), D("14.50"))


def test_terminated_employee_is_paid_only_before_the_termination_date(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, rate="20.00", status="terminated", termination_date="2026-01-08")
    p.days(org, emp, WEEK1, "09:00", "17:00")  # 5 x 8 h; only Mon-Wed are before the 8th
    stub = p.stub(p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"], emp)
    assert stub["regular_hours"] == D("24")
    assert stub["gross_pay"] == D("480.00")


def test_salaried_hire_inside_the_period_is_prorated_by_days(db: psycopg.Connection) -> None:
    """Hired on day 8 of 14: 7/14 of 52,000/26 = 1,000.00."""
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="biweekly")
    emp = p.employee(org, pay_type="salary", salary="52000.00", hire_date="2026-01-12")
    stub = p.stub(p.run(org, "2026-01-05", "2026-01-18")["payroll_run_id"], emp)
    assert stub["salary_pay"] == D("1000.00")


def test_inactive_and_idle_employees_are_skipped_with_a_reason(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    inactive = p.employee(org, status="inactive", tax_info={})
    idle = p.employee(org)
    gone = p.employee(org, status="terminated", termination_date="2025-12-31")
    worker = p.employee(org)
    p.days(org, worker, WEEK1[:1], "09:00", "17:00")
    run = p.run(org, "2026-01-05", "2026-01-11")
    assert run["paystubs_created"] == 1
    assert {(s["employee_id"], s["reason"]) for s in run["skipped"]} == {
        (inactive, "inactive_no_time"),
        (idle, "no_time_in_period"),
        (gone, "terminated_no_time_before_termination"),
    }
    assert run["errors"] == []


def test_validation_errors_hold_the_employee_out_and_the_rest_proceeds(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    overlapping = p.employee(org)
    p.entry(org, overlapping, "2026-01-05 08:00", "2026-01-05 16:00")
    overlap_id = p.entry(org, overlapping, "2026-01-05 15:00", "2026-01-05 18:00")
    open_entry = p.employee(org)
    open_id = p.entry(org, open_entry, "2026-01-06 08:00", None)
    zero = p.employee(org)
    zero_id = p.entry(org, zero, "2026-01-07 08:00", "2026-01-07 08:00")
    no_w4 = p.employee(org, tax_info={"flsa_exempt": False})
    p.days(org, no_w4, WEEK1[:1], "09:00", "17:00")
    bad_w4 = p.employee(org, w4={"filing_status": "single", "step3_amount": "-5"})
    p.days(org, bad_w4, WEEK1[:1], "09:00", "17:00")
    fine = p.employee(org)
    p.days(org, fine, WEEK1[:2], "09:00", "17:00")

    run = p.run(org, "2026-01-05", "2026-01-11")
    errors = {(e["employee_id"], e["reason"]) for e in run["errors"]}
    assert errors == {
        (overlapping, "overlapping_entries"),
        (open_entry, "open_entry"),
        (zero, "clock_out_before_clock_in"),
        (no_w4, "missing_w4"),
        (bad_w4, "invalid_w4"),
    }
    by_reason = {e["reason"]: e for e in run["errors"]}
    assert by_reason["overlapping_entries"]["time_entry_id"] == overlap_id
    assert by_reason["open_entry"]["time_entry_id"] == open_id
    assert by_reason["clock_out_before_clock_in"]["time_entry_id"] == zero_id
    # held out, never silently dropped, and counted as processed; the rest is paid
    assert run["paystubs_created"] == 1 and run["employees_processed"] == 6
    assert p.stub(run["payroll_run_id"], fine)["gross_pay"] == D("320.00")
    stored = db.execute(
        "select details -> 'errors' from public.payroll_runs where id = %s", (run["payroll_run_id"],)
    ).fetchone()
    assert stored is not None and len(stored[0]) == 5


def test_the_database_refuses_clock_out_before_clock_in(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org = p.org("UTC")
    emp = p.employee(org)
    with pytest.raises(psycopg.errors.CheckViolation):
        p.entry(org, emp, "2026-01-05 10:00", "2026-01-05 09:00")


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "UTC", "workweek_start": "funday"}, "workweek_start"),
        ({"timezone": "UTC", "pay_frequency": "fortnightly"}, "pay_frequency"),
        ({"timezone": "UTC", "overtime_rules": "texas"}, "overtime_rules"),
    ],
)
def test_invalid_settings_are_a_clear_error(db: psycopg.Connection, settings: dict, fragment: str) -> None:
    p = PayrollDb(db)
    org = p.org(**settings)
    with pytest.raises(psycopg.Error) as err:
        p.run(org, "2026-01-05", "2026-01-18")
    assert sqlstate(err.value) == "PR400"
    assert fragment in str(err.value)


def test_defaults_apply_without_settings(db: psycopg.Connection) -> None:
    """No settings.payroll: UTC, Monday workweeks, biweekly, federal rules."""
    p = PayrollDb(db)
    org = int(
        db.execute("insert into public.organizations (name) values ('Bare') returning id").fetchone()[0]
    )  # type: ignore[index]
    p.tz[org] = "UTC"
    emp = p.employee(org)
    p.days(org, emp, WEEK1, "08:00", "17:00")
    run = p.run(org, "2026-01-05", "2026-01-18")
    assert run["overtime_rules"] == "federal"
    assert p.stub(run["payroll_run_id"], emp)["overtime_hours"] == D("5")


def test_a_period_that_is_not_one_pay_period_is_refused(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="biweekly")
    with pytest.raises(psycopg.Error) as err:
        p.run(org, "2026-01-05", "2026-01-11")
    assert sqlstate(err.value) == "PR400"
    assert "biweekly" in str(err.value)
