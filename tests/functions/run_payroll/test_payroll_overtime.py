"""Overtime by workweek (federal) and by day (California), computed in SQL from real elapsed time."""

from __future__ import annotations

from decimal import Decimal

import psycopg

from tests.functions.run_payroll.payroll_db import PayrollDb

D = Decimal


def test_thirty_then_fifty_hours_is_ten_hours_overtime(db: psycopg.Connection) -> None:
    """Each workweek stands alone: 30 h + 50 h in a biweekly period is 10 h overtime, never averaged."""
    p = PayrollDb(db)
    org = p.org("America/New_York", pay_frequency="biweekly", workweek_start="monday")
    emp = p.employee(org, rate="20.00")
    p.days(org, emp, ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"], "09:00", "15:00")
    p.days(org, emp, ["2026-01-12", "2026-01-13", "2026-01-14", "2026-01-15", "2026-01-16"], "08:00", "18:00")
    run = p.run(org, "2026-01-05", "2026-01-18")
    stub = p.stub(run["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"]) == (D("70"), D("10"))
    assert stub["regular_pay"] == D("1400.00")  # 70 x 20
    assert stub["overtime_pay"] == D("300.00")  # 10 x 20 x 1.5
    weeks = stub["details"]["workweeks"]
    assert [(w["week_start"], w["regular_hours"], w["overtime_hours"]) for w in weeks] == [
        ("2026-01-05", D("30.0"), D("0.0")),
        ("2026-01-12", D("40.0"), D("10.0")),
    ]
    assert run["period_alignment"] == "aligned"


def test_sunday_night_shift_is_split_at_the_workweek_boundary_in_the_org_timezone(
    db: psycopg.Connection,
) -> None:
    """Sun 20:00 -> Mon 06:00 Chicago: 4 h in week one, 6 h in week two (in UTC it would all be Monday)."""
    p = PayrollDb(db)
    org = p.org("America/Chicago", pay_frequency="biweekly", workweek_start="monday")
    emp = p.employee(org, rate="10.00")
    p.days(org, emp, ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"], "08:00", "17:00")  # 36 h
    p.entry(org, emp, "2026-01-11 20:00", "2026-01-12 06:00")  # 4 h + 6 h
    p.days(org, emp, ["2026-01-13", "2026-01-14", "2026-01-15", "2026-01-16"], "08:00", "17:00")  # 36 h
    run = p.run(org, "2026-01-05", "2026-01-18")
    stub = p.stub(run["payroll_run_id"], emp)
    # week one 36 + 4 = 40 (no overtime); week two 6 + 36 = 42 -> 2 h overtime. Splitting in UTC would give
    # 36 and 46 -> 6 h.
    assert stub["overtime_hours"] == D("2")
    assert stub["regular_hours"] == D("80")
    assert [w["worked_hours"] for w in stub["details"]["workweeks"]] == [D("40.0"), D("42.0")]


def test_workweek_start_setting_moves_the_boundary(db: psycopg.Connection) -> None:
    """With workweeks starting on Sunday the same Sunday-night shift belongs wholly to the second week."""
    p = PayrollDb(db)
    org = p.org("America/Chicago", pay_frequency="weekly", workweek_start="sunday")
    emp = p.employee(org, rate="10.00")
    p.entry(org, emp, "2026-01-11 20:00", "2026-01-12 06:00")
    p.days(org, emp, ["2026-01-13", "2026-01-14", "2026-01-15", "2026-01-16"], "08:00", "17:00")
    run = p.run(org, "2026-01-11", "2026-01-17")
    stub = p.stub(run["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"]) == (D("40"), D("6"))


def test_a_shift_across_the_spring_forward_change_counts_real_elapsed_time(db: psycopg.Connection) -> None:
    """Sat 22:00 -> Sun 08:00 New York on 8 Mar 2026 (clocks jump 02:00 -> 03:00) is 9 hours, not 10."""
    p = PayrollDb(db)
    org = p.org("America/New_York", pay_frequency="weekly")
    emp = p.employee(org, rate="20.00")
    p.days(org, emp, ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"], "08:00", "18:00")  # 40 h
    p.entry(org, emp, "2026-03-07 22:00", "2026-03-08 08:00")  # 2 h Saturday + 7 h Sunday
    run = p.run(org, "2026-03-02", "2026-03-08")
    stub = p.stub(run["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"]) == (D("40"), D("9"))
    assert stub["overtime_pay"] == D("270.00")  # 9 x 20 x 1.5
    summary = p.summary(emp, "2026-03-02", "2026-03-08")
    assert summary["total_hours"] == D("49.0")


def test_a_shift_across_the_fall_back_change_counts_real_elapsed_time(db: psycopg.Connection) -> None:
    """Sat 22:00 -> Sun 08:00 New York on 1 Nov 2026 (01:00-02:00 happens twice) is 11 hours."""
    p = PayrollDb(db)
    org = p.org("America/New_York", pay_frequency="weekly")
    emp = p.employee(org, rate="20.00")
    p.entry(org, emp, "2026-10-31 22:00", "2026-11-01 08:00")
    run = p.run(org, "2026-10-26", "2026-11-01")
    stub = p.stub(run["payroll_run_id"], emp)
    assert stub["regular_hours"] == D("11")
    assert stub["regular_pay"] == D("220.00")


def test_unpaid_breaks_are_subtracted_and_rates_are_never_rounded(db: psycopg.Connection) -> None:
    """7 h 50 min minus a 30 min break = 7 h 20 min at $17.77: 7.3333... x 17.77 = 130.313... -> 130.31."""
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, rate="17.77")
    p.entry(org, emp, "2026-02-02 09:00", "2026-02-02 16:50", break_minutes=30)
    run = p.run(org, "2026-02-02", "2026-02-08")
    stub = p.stub(run["payroll_run_id"], emp)
    assert stub["regular_hours"] == D("7.3333")
    assert stub["regular_pay"] == D("130.31")  # from exact seconds: 26,400 s x 17.77 / 3,600 = 130.3133...


def _california(p: PayrollDb, rate: str = "30.00") -> tuple[int, int]:
    org = p.org(
        "America/Los_Angeles", pay_frequency="weekly", overtime_rules="california", workweek_start="monday"
    )
    return org, p.employee(org, rate=rate)


def test_california_four_twelve_hour_days(db: psycopg.Connection) -> None:
    """4 x 12 h: each day 8 regular + 4 overtime -> 32 regular, 16 overtime, no double time."""
    p = PayrollDb(db)
    org, emp = _california(p)
    p.days(org, emp, ["2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05"], "06:00", "18:00")
    stub = p.stub(p.run(org, "2026-02-02", "2026-02-08")["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"], stub["double_time_hours"]) == (
        D("32"),
        D("16"),
        D("0"),
    )
    assert stub["gross_pay"] == D("1680.00")  # 32 x 30 + 16 x 45


def test_california_six_ten_hour_days_no_pyramiding(db: psycopg.Connection) -> None:
    """6 x 10 h: daily 8 + 2 -> 48 regular and 12 overtime; weekly regular over 40 (8 h) becomes overtime
    (latest day first) and daily overtime is not counted again: 40 regular, 20 overtime."""
    p = PayrollDb(db)
    org, emp = _california(p)
    p.days(
        org,
        emp,
        ["2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-06", "2026-02-07"],
        "07:00",
        "17:00",
    )
    stub = p.stub(p.run(org, "2026-02-02", "2026-02-08")["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"], stub["double_time_hours"]) == (
        D("40"),
        D("20"),
        D("0"),
    )
    assert stub["gross_pay"] == D("2100.00")  # 40 x 30 + 20 x 45


def test_california_seventh_consecutive_day(db: psycopg.Connection) -> None:
    """Mon-Sat 6 h, Sunday (7th consecutive day) 9 h: the first 8 h of day 7 are overtime, the 9th double."""
    p = PayrollDb(db)
    org, emp = _california(p)
    p.days(
        org,
        emp,
        ["2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-06", "2026-02-07"],
        "09:00",
        "15:00",
    )
    p.entry(org, emp, "2026-02-08 08:00", "2026-02-08 17:00")
    stub = p.stub(p.run(org, "2026-02-02", "2026-02-08")["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"], stub["double_time_hours"]) == (
        D("36"),
        D("8"),
        D("1"),
    )
    assert stub["gross_pay"] == D("1500.00")  # 36 x 30 + 8 x 45 + 1 x 60


def test_california_seventh_day_after_a_full_week(db: psycopg.Connection) -> None:
    """Mon-Sat 8 h + Sunday 9 h: 48 daily-regular hours -> 40 regular + 8 weekly overtime; day 7 adds 8
    overtime and 1 double: 40 / 16 / 1."""
    p = PayrollDb(db)
    org, emp = _california(p)
    p.days(
        org,
        emp,
        ["2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-06", "2026-02-07"],
        "08:00",
        "16:00",
    )
    p.entry(org, emp, "2026-02-08 08:00", "2026-02-08 17:00")
    stub = p.stub(p.run(org, "2026-02-02", "2026-02-08")["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"], stub["double_time_hours"]) == (
        D("40"),
        D("16"),
        D("1"),
    )


def test_california_double_time_over_twelve_hours(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org, emp = _california(p)
    p.entry(org, emp, "2026-02-03 05:00", "2026-02-03 19:00")  # 14 h
    stub = p.stub(p.run(org, "2026-02-02", "2026-02-08")["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"], stub["double_time_hours"]) == (
        D("8"),
        D("4"),
        D("2"),
    )


def test_federal_rules_ignore_daily_hours(db: psycopg.Connection) -> None:
    """The same 4 x 12 h under federal rules: 48 h in the week -> 40 regular + 8 overtime."""
    p = PayrollDb(db)
    org = p.org("America/Los_Angeles", pay_frequency="weekly")
    emp = p.employee(org, rate="30.00")
    p.days(org, emp, ["2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05"], "06:00", "18:00")
    stub = p.stub(p.run(org, "2026-02-02", "2026-02-08")["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"]) == (D("40"), D("8"))


def test_unaligned_period_pays_whole_workweeks_in_the_period_they_end(db: psycopg.Connection) -> None:
    """Semimonthly 1-15 Feb 2026 (Sun..Sun) with Monday workweeks: the week 26 Jan - 1 Feb ends in the
    period and is paid whole (entries before 1 Feb read); the week 9-15 Feb ends on the 15th; the run says so."""
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="semimonthly")
    emp = p.employee(org, rate="10.00")
    p.days(
        org, emp, ["2026-01-26", "2026-01-27", "2026-01-28", "2026-01-29", "2026-01-30"], "08:00", "17:00"
    )  # 45 h
    p.days(org, emp, ["2026-02-02", "2026-02-03"], "08:00", "16:00")  # 16 h
    run = p.run(org, "2026-02-01", "2026-02-15")
    assert run["period_alignment"] == "workweek_paid_in_period_it_ends"
    stub = p.stub(run["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"]) == (D("56"), D("5"))
    details = db.execute(
        "select details from public.payroll_runs where id = %s", (run["payroll_run_id"],)
    ).fetchone()
    assert details is not None
    assert details[0]["workweeks_paid"] == {"from": "2026-01-26", "to": "2026-02-15"}


def test_time_summary_agrees_with_the_paystub(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org, emp = _california(p)
    p.days(
        org,
        emp,
        ["2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-06", "2026-02-07"],
        "07:00",
        "17:00",
    )
    p.entry(org, emp, "2026-02-08 08:00", "2026-02-08 10:30")
    stub = p.stub(p.run(org, "2026-02-02", "2026-02-08")["payroll_run_id"], emp)
    s = p.summary(emp, "2026-02-02", "2026-02-08")
    assert (s["regular_hours"], s["overtime_hours"], s["double_time_hours"]) == (
        stub["regular_hours"],
        stub["overtime_hours"],
        stub["double_time_hours"],
    )
    assert s["total_hours"] == D("62.5")
    assert s["days_worked"] == 7
    assert s["avg_hours_per_day"] == D("8.9286")
