"""The payout engine (onyx.calculate_payout_run / finalize_payout_run / mark_payout_run_paid), with
hand-computed amounts.

Agency "Nightfall" is in America/New_York (UTC-5 in January), currency USD; the period is 2026-01-01 to
2026-01-15 inclusive, i.e. [2026-01-01 05:00Z, 2026-01-16 05:00Z).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.database.onyx.helpers import acting_as, new_agency, new_member, scalar

START, END = "2026-01-01", "2026-01-15"


@dataclass
class Payroll:
    agency: uuid.UUID
    owner: uuid.UUID
    admin: uuid.UUID
    hank: uuid.UUID  # hourly
    cora: uuid.UUID  # commission
    hugo: uuid.UUID  # hybrid
    nora: uuid.UUID  # no payout settings
    m1: uuid.UUID
    m2: uuid.UUID
    other_owner: uuid.UUID  # owner of another agency


def _ts(conn: psycopg.Connection, agency: uuid.UUID, who: uuid.UUID, start: str, end: str | None) -> None:
    # local wall-clock times of the agency (America/New_York)
    conn.execute(
        "insert into onyx.timesheets (agency_id, employee_id, clock_in, clock_out, status)"
        " values (%s, %s, (%s::timestamp at time zone 'America/New_York'),"
        " (%s::timestamp at time zone 'America/New_York'), %s)",
        (agency, who, start, end, "active" if end is None else "completed"),
    )


def _revenue(conn: psycopg.Connection, agency: uuid.UUID, model: uuid.UUID, day: str, net: str) -> None:
    conn.execute(
        "insert into onyx.revenue_snapshots (agency_id, model_id, snapshot_date, gross_tips, net_tips)"
        " values (%s, %s, %s, %s::numeric * 1.25, %s)",
        (agency, model, day, net, net),
    )


@pytest.fixture
def payroll(db: psycopg.Connection) -> Payroll:
    a = new_agency(db, "Nightfall", timezone="America/New_York")
    owner = new_member(db, a, "olivia", "owner")
    admin = new_member(db, a, "ada", "admin")
    hank = new_member(db, a, "hank", "chatter")
    cora = new_member(db, a, "cora", "chatter")
    hugo = new_member(db, a, "hugo", "smm")
    nora = new_member(db, a, "nora", "recruiter")
    b = new_agency(db, "Elsewhere")
    other_owner = new_member(db, b, "bert", "owner")

    settings = [
        (owner, "hourly", "99.00", None),  # owners are excluded whatever their settings
        (admin, "hourly", "30.00", None),
        (hank, "hourly", "17.35", None),
        (cora, "commission", None, "0.1250"),
        (hugo, "hybrid", "20.00", "0.0500"),
    ]
    for who, model, rate, pct in settings:
        db.execute(
            "insert into onyx.payout_settings (agency_id, profile_id, pay_model, hourly_rate, commission_percent)"
            " values (%s, %s, %s, %s, %s)",
            (a, who, model, rate, pct),
        )

    # Hank: 8.5 h + 3 h 20 min inside; 23:00→01:00 across the start edge (1 h inside); 22:00→02:00 across
    # the end edge (2 h inside); one entry after the period; one open entry.
    _ts(db, a, hank, "2026-01-02 09:00", "2026-01-02 17:30")
    _ts(db, a, hank, "2026-01-03 10:00", "2026-01-03 13:20")
    _ts(db, a, hank, "2025-12-31 23:00", "2026-01-01 01:00")
    _ts(db, a, hank, "2026-01-15 22:00", "2026-01-16 02:00")
    _ts(db, a, hank, "2026-01-20 09:00", "2026-01-20 17:00")
    _ts(db, a, hank, "2026-01-14 09:00", None)
    _ts(db, a, cora, "2026-01-05 09:00", "2026-01-05 11:00")  # commission only: hours shown, not paid
    _ts(db, a, hugo, "2026-01-04 08:00", "2026-01-04 12:15")
    _ts(db, a, nora, "2026-01-06 09:00", "2026-01-06 12:00")
    _ts(db, a, owner, "2026-01-06 09:00", "2026-01-06 12:00")

    m1 = scalar(db, "insert into onyx.models (agency_id, name) values (%s, 'Model One') returning id", (a,))
    m2 = scalar(db, "insert into onyx.models (agency_id, name) values (%s, 'Model Two') returning id", (a,))
    for day, net in [
        ("2025-12-31", "500.00"),
        ("2026-01-05", "1000.00"),
        ("2026-01-08", "99.99"),
        ("2026-01-10", "333.33"),
        ("2026-01-16", "700.00"),
    ]:
        _revenue(db, a, m1, day, net)
    for day, net in [("2026-01-07", "200.00"), ("2026-01-09", "50.00")]:
        _revenue(db, a, m2, day, net)

    assignments = [
        (m1, cora, "2026-01-01", None, True, None),
        (m2, cora, "2026-01-08", None, True, "0.2000"),
        (m1, hugo, "2026-01-06", "2026-01-09", False, None),
        (m1, owner, "2026-01-01", None, True, None),
    ]
    for model, who, since, until, active, override in assignments:
        db.execute(
            "insert into onyx.model_assignments (agency_id, model_id, profile_id, assigned_from, assigned_until,"
            " is_active, commission_override) values (%s, %s, %s, %s, %s, %s, %s)",
            (a, model, who, since, until, active, override),
        )
    return Payroll(a, owner, admin, hank, cora, hugo, nora, m1, m2, other_owner)


def _calculate(db: psycopg.Connection, p: Payroll, as_uid: uuid.UUID | None = None) -> dict:
    with acting_as(db, "authenticated", as_uid or p.owner):
        with db.cursor(row_factory=dict_row) as cur:
            run = cur.execute(
                "select * from onyx.calculate_payout_run(%s, %s, %s)", (p.agency, START, END)
            ).fetchone()
    assert run is not None
    return run


def _items(db: psycopg.Connection, run_id: uuid.UUID) -> dict[str, dict]:
    with db.cursor(row_factory=dict_row) as cur:
        rows = cur.execute("select * from onyx.payout_items where run_id = %s", (run_id,)).fetchall()
    return {r["username"]: r for r in rows}


def test_amounts_are_the_hand_computed_ones(db: psycopg.Connection, payroll: Payroll) -> None:
    run = _calculate(db, payroll)
    assert run["status"] == "draft" and run["currency"] == "USD" and run["created_by"] == payroll.owner
    items = _items(db, run["id"])
    # owners are excluded; everybody else has exactly one line, admins included
    assert sorted(items) == ["ada", "cora", "hank", "hugo", "nora"]

    hank = items["hank"]
    # 8.5 h + 3 h 20 m + 1 h (start edge) + 2 h (end edge) = 53,400 s; 53,400 × 17.35 / 3600 = 257.358…
    # (rounding the hours first would give 14.83 × 17.35 = 257.29)
    assert hank["hours_worked"] == Decimal("14.83")
    assert hank["hourly_pay"] == Decimal("257.36")
    assert hank["commission_pay"] == Decimal("0.00")
    assert hank["total_payout"] == Decimal("257.36")
    assert "1 open timesheet" in hank["note"]

    cora = items["cora"]
    # Model One in the period: 1000.00 + 99.99 + 333.33 = 1433.32 × 0.125 = 179.165
    # Model Two from 01-08 with override 0.2: 50.00 × 0.2 = 10.00 (the 01-07 snapshot precedes the assignment)
    # 189.165 rounded once, half-up → 189.17 (half-even would give 189.16)
    assert cora["sales_generated"] == Decimal("1483.32")
    assert cora["commission_pay"] == Decimal("189.17")
    assert cora["hours_worked"] == Decimal("2.00") and cora["hourly_pay"] == Decimal("0.00")
    assert cora["total_payout"] == Decimal("189.17")

    hugo = items["hugo"]
    # 4.25 h × 20.00 = 85.00; Model One while assigned (01-06..01-09): 99.99 × 0.05 = 4.9995 → 5.00
    assert (hugo["hourly_pay"], hugo["sales_generated"], hugo["commission_pay"]) == (
        Decimal("85.00"),
        Decimal("99.99"),
        Decimal("5.00"),
    )
    assert hugo["total_payout"] == Decimal("90.00")

    nora = items["nora"]
    assert nora["pay_model"] is None and nora["total_payout"] == Decimal("0.00")
    assert nora["hours_worked"] == Decimal("3.00")
    assert "no payout settings" in nora["note"]

    assert items["ada"]["total_payout"] == Decimal("0.00") and items["ada"]["note"] is None
    # the run total is the sum of the rounded lines
    assert run["total_payout"] == Decimal("536.53") == sum(i["total_payout"] for i in items.values())


def test_edges_are_cut_in_the_agency_time_zone(db: psycopg.Connection, payroll: Payroll) -> None:
    # The same entries cut in UTC would count 22:00→02:00 New York (03:00→07:00Z on the 16th) not at all and
    # 23:00→01:00 (04:00→06:00Z on Jan 1) fully. Moving the agency to UTC changes Hank's hours accordingly.
    db.execute("update onyx.agencies set timezone = 'UTC' where id = %s", (payroll.agency,))
    run = _calculate(db, payroll)
    # in UTC: 8.5 + 3.333… + 2 (the 23:00→01:00 NY entry is 04:00→06:00Z, fully inside) + 0 = 13.83 h
    assert _items(db, run["id"])["hank"]["hours_worked"] == Decimal("13.83")


def test_recalculating_a_draft_replaces_it(db: psycopg.Connection, payroll: Payroll) -> None:
    first = _calculate(db, payroll)
    db.execute("update onyx.payout_settings set hourly_rate = 18.00 where profile_id = %s", (payroll.hank,))
    db.execute(
        "insert into onyx.payout_settings (agency_id, profile_id, pay_model, hourly_rate) values (%s, %s, 'hourly', 10.00)",
        (payroll.agency, payroll.nora),
    )
    second = _calculate(db, payroll, as_uid=payroll.admin)
    assert second["id"] == first["id"] and second["status"] == "draft"
    items = _items(db, second["id"])
    assert len(items) == 5
    assert items["hank"]["hourly_pay"] == Decimal("267.00")  # 53,400 s × 18.00 / 3600
    assert items["nora"]["hourly_pay"] == Decimal("30.00") and items["nora"]["note"] is None
    assert second["total_payout"] == Decimal("576.17")  # 267.00 + 189.17 + 90.00 + 30.00 + 0
    assert scalar(db, "select count(*) from onyx.payout_runs where agency_id = %s", (payroll.agency,)) == 1


def test_finalized_run_is_immutable_then_paid(db: psycopg.Connection, payroll: Payroll) -> None:
    run = _calculate(db, payroll)
    with acting_as(db, "authenticated", payroll.admin):
        status = scalar(db, "select status from onyx.finalize_payout_run(%s)", (run["id"],))
    assert status == "finalized"

    refused = [
        ("update onyx.payout_items set bonus = 10 where run_id = %s", (run["id"],)),
        ("delete from onyx.payout_items where run_id = %s", (run["id"],)),
        ("update onyx.payout_runs set total_payout = 1 where id = %s", (run["id"],)),
        ("update onyx.payout_runs set status = 'draft', finalized_at = null where id = %s", (run["id"],)),
        ("delete from onyx.payout_runs where id = %s", (run["id"],)),
        ("select onyx.calculate_payout_run(%s, %s, %s)", (payroll.agency, START, END)),
        ("select onyx.finalize_payout_run(%s)", (run["id"],)),
    ]
    for sql, params in refused:
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
            with acting_as(db, "authenticated", payroll.owner):
                db.execute(sql, params)
    # even the service role (which bypasses RLS) cannot rewrite a finalized run
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        with acting_as(db, "service_role"):
            db.execute("update onyx.payout_items set hourly_pay = 0 where run_id = %s", (run["id"],))
    # an overlapping period cannot be paid twice either
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="overlaps a finalized"):
        with acting_as(db, "authenticated", payroll.owner):
            db.execute("select onyx.calculate_payout_run(%s, '2026-01-10', '2026-01-31')", (payroll.agency,))

    # the payment status of one line still moves forward
    with acting_as(db, "authenticated", payroll.owner):
        db.execute(
            "update onyx.payout_items set status = 'processing' where profile_id = %s", (payroll.hank,)
        )
        paid = scalar(db, "select status from onyx.mark_payout_run_paid(%s)", (run["id"],))
    assert paid == "paid"
    assert scalar(
        db, "select array_agg(distinct status) from onyx.payout_items where run_id = %s", (run["id"],)
    ) == ["paid"]
    assert scalar(db, "select total_payout from onyx.payout_runs where id = %s", (run["id"],)) == Decimal(
        "536.53"
    )
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        with acting_as(db, "authenticated", payroll.owner):
            db.execute("select onyx.mark_payout_run_paid(%s)", (run["id"],))


def test_mark_paid_needs_a_finalized_run(db: psycopg.Connection, payroll: Payroll) -> None:
    run = _calculate(db, payroll)
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="only a finalized run"):
        with acting_as(db, "authenticated", payroll.owner):
            db.execute("select onyx.mark_payout_run_paid(%s)", (run["id"],))


def test_draft_lines_can_be_adjusted_and_the_run_still_foots(
    db: psycopg.Connection, payroll: Payroll
) -> None:
    run = _calculate(db, payroll)
    with acting_as(db, "authenticated", payroll.owner):
        db.execute(
            "update onyx.payout_items set bonus = 12.50, deductions = 2.50 where run_id = %s and profile_id = %s",
            (run["id"], payroll.hugo),
        )
        total = scalar(db, "select total_payout from onyx.payout_runs where id = %s", (run["id"],))
        hugo = scalar(
            db,
            "select total_payout from onyx.payout_items where run_id = %s and profile_id = %s",
            (run["id"], payroll.hugo),
        )
    assert hugo == Decimal("100.00") and total == Decimal("546.53")


def test_the_run_total_is_always_the_sum_of_its_lines(db: psycopg.Connection, payroll: Payroll) -> None:
    # total_payout is what gets paid: a manager cannot type another figure into a draft (nor start a run
    # with one) and finalize a run whose total is not the sum of its people's lines
    run = _calculate(db, payroll)
    with acting_as(db, "authenticated", payroll.admin):
        db.execute("update onyx.payout_runs set total_payout = 999999 where id = %s", (run["id"],))
        db.execute("select onyx.finalize_payout_run(%s)", (run["id"],))
    total = scalar(db, "select total_payout from onyx.payout_runs where id = %s", (run["id"],))
    lines = scalar(db, "select sum(total_payout) from onyx.payout_items where run_id = %s", (run["id"],))
    assert total == lines == Decimal("536.53")
    with acting_as(db, "authenticated", payroll.admin):
        db.execute(
            "insert into onyx.payout_runs (agency_id, period_start, period_end, currency, total_payout)"
            " values (%s, '2026-02-01', '2026-02-15', 'USD', 1234.56)",
            (payroll.agency,),
        )
    assert scalar(db, "select total_payout from onyx.payout_runs where period_start = '2026-02-01'") == 0


def test_only_owners_admins_or_the_service_role_run_payouts(db: psycopg.Connection, payroll: Payroll) -> None:
    for uid in (payroll.hank, payroll.other_owner):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with acting_as(db, "authenticated", uid):
                db.execute("select onyx.calculate_payout_run(%s, %s, %s)", (payroll.agency, START, END))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with acting_as(db, "anon"):
            db.execute("select onyx.calculate_payout_run(%s, %s, %s)", (payroll.agency, START, END))
    # a signed-in role without a user (a forged "authenticated" call with no sub) is refused too
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with acting_as(db, "authenticated"):
            db.execute("select onyx.calculate_payout_run(%s, %s, %s)", (payroll.agency, START, END))
    assert scalar(db, "select count(*) from onyx.payout_runs") == 0

    # the run-payroll function's service call: no user, role service_role, explicit agency
    with acting_as(db, "service_role"):
        total = scalar(
            db, "select total_payout from onyx.calculate_payout_run(%s, %s, %s)", (payroll.agency, START, END)
        )
        run_id = scalar(db, "select id from onyx.payout_runs where agency_id = %s", (payroll.agency,))
        assert scalar(db, "select status from onyx.finalize_payout_run(%s)", (run_id,)) == "finalized"
    assert total == Decimal("536.53")
    # a staff member cannot finalize or see the run, but sees their own line
    with acting_as(db, "authenticated", payroll.hank):
        assert scalar(db, "select count(*) from onyx.payout_runs") == 0
        assert scalar(db, "select array_agg(username) from onyx.payout_items") == ["hank"]
        assert scalar(db, "select count(*) from onyx.payout_settings") == 1
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with acting_as(db, "authenticated", payroll.hank):
            db.execute("select onyx.mark_payout_run_paid(%s)", (run_id,))


def test_an_owner_of_another_agency_is_refused_not_told_not_found(
    db: psycopg.Connection, payroll: Payroll
) -> None:
    # the run is invisible to a manager of another agency under their row level security; the caller check
    # must still be made against the run's own agency (42501), not against the caller's agency
    run = _calculate(db, payroll)
    for rpc in ("finalize_payout_run", "mark_payout_run_paid"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with acting_as(db, "authenticated", payroll.other_owner):
                db.execute(f"select onyx.{rpc}(%s)", (run["id"],))
    # an unknown run is still "not found" for a manager
    with pytest.raises(psycopg.errors.NoDataFound):
        with acting_as(db, "authenticated", payroll.owner):
            db.execute("select onyx.finalize_payout_run(%s)", (uuid.uuid4(),))
    assert scalar(db, "select status from onyx.payout_runs where id = %s", (run["id"],)) == "draft"


def test_bad_periods_are_refused(db: psycopg.Connection, payroll: Payroll) -> None:
    cases = [("2026-01-15", "2026-01-01", "before period_start"), ("2026-01-01", "2027-06-01", "at most")]
    for start, end, message in cases:
        with pytest.raises(psycopg.errors.InvalidParameterValue, match=message):
            with acting_as(db, "authenticated", payroll.owner):
                db.execute("select onyx.calculate_payout_run(%s, %s, %s)", (payroll.agency, start, end))
    with pytest.raises(psycopg.errors.NoDataFound):
        with acting_as(db, "service_role"):
            db.execute("select onyx.calculate_payout_run(%s, %s, %s)", (uuid.uuid4(), START, END))


def test_deleting_the_agency_removes_its_finalized_history(db: psycopg.Connection, payroll: Payroll) -> None:
    run = _calculate(db, payroll)
    db.execute("select onyx.finalize_payout_run(%s)", (run["id"],))
    db.execute("delete from onyx.agencies where id = %s", (payroll.agency,))
    assert scalar(db, "select count(*) from onyx.payout_items where run_id = %s", (run["id"],)) == 0


def test_hours_are_elapsed_time_across_a_dst_change(db: psycopg.Connection, payroll: Payroll) -> None:
    # New York springs forward on 2026-03-08 at 02:00: 22:00 → 06:00 on the clock is 7 hours worked, and the
    # period edge at 2026-03-16 00:00 is EDT (04:00Z), not EST.
    db.execute("delete from onyx.timesheets where employee_id = %s", (payroll.hank,))
    _ts(db, payroll.agency, payroll.hank, "2026-03-07 22:00", "2026-03-08 06:00")
    _ts(db, payroll.agency, payroll.hank, "2026-03-15 23:00", "2026-03-16 01:00")
    with acting_as(db, "authenticated", payroll.owner):
        run = scalar(
            db, "select id from onyx.calculate_payout_run(%s, '2026-03-01', '2026-03-15')", (payroll.agency,)
        )
    hank = _items(db, run)["hank"]
    assert hank["hours_worked"] == Decimal("8.00")  # 7 h + the 1 h before midnight
    assert hank["hourly_pay"] == Decimal("138.80")  # 8 × 17.35
