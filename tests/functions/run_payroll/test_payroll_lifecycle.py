"""Run lifecycle: deterministic drafts, dry runs, approval locks, void, off-cycle corrections, concurrency,
and who may run payroll."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import psycopg
import pytest

from tests.conftest import Database
from tests.functions.run_payroll.payroll_db import PayrollDb, sqlstate

D = Decimal
WEEK1 = ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"]
MONEY = (
    "regular_hours",
    "overtime_hours",
    "regular_pay",
    "overtime_pay",
    "salary_pay",
    "gross_pay",
    "federal_income_tax",
    "social_security_tax",
    "medicare_tax",
    "net_pay",
    "ytd_gross_pay",
    "details",
)


def _scenario(p: PayrollDb) -> tuple[int, int, int]:
    org = p.org("UTC", pay_frequency="weekly")
    hourly = p.employee(org, rate="21.37")
    salaried = p.employee(org, pay_type="salary", salary="61234.56")
    p.days(org, hourly, WEEK1, "08:00", "17:10")
    return org, hourly, salaried


def _stubs(db: psycopg.Connection, run_id: int) -> list[tuple]:
    cols = ", ".join(("id", "employee_id", *MONEY))
    return db.execute(
        f"select {cols} from public.paystubs where payroll_run_id = %s order by employee_id", (run_id,)
    ).fetchall()


def test_running_a_draft_again_recalculates_it_identically(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org, hourly, _ = _scenario(p)
    first = p.run(org, "2026-01-05", "2026-01-11")
    before = _stubs(db, first["payroll_run_id"])
    second = p.run(org, "2026-01-05", "2026-01-11")
    assert second["payroll_run_id"] == first["payroll_run_id"]
    assert _stubs(db, first["payroll_run_id"]) == before  # same rows, byte-identical amounts
    assert {k: v for k, v in second.items()} == {k: v for k, v in first.items()}
    # a change in the inputs changes the draft
    p.entry(org, hourly, "2026-01-10 08:00", "2026-01-10 12:00")
    third = p.run(org, "2026-01-05", "2026-01-11")
    assert third["payroll_run_id"] == first["payroll_run_id"]
    assert D(third["total_gross"]) > D(first["total_gross"])
    assert db.execute(
        "select count(*) from public.payroll_runs where organization_id = %s", (org,)
    ).fetchone() == (1,)


def test_recalculating_a_draft_removes_the_stubs_of_employees_no_longer_paid(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org, hourly, salaried = _scenario(p)
    others = [p.employee(org, rate="18.00") for _ in range(3)]
    for emp in others:
        p.days(org, emp, WEEK1[:2], "09:00", "13:00")
    first = p.run(org, "2026-01-05", "2026-01-11")
    rid = first["payroll_run_id"]
    kept = {row[1]: row[0] for row in _stubs(db, rid)}
    assert set(kept) == {hourly, salaried, *others}
    # two employees drop out: one loses their time (skipped), one their W-4 (held)
    db.execute("delete from public.time_entries where employee_id = %s", (others[0],))
    db.execute("update public.employees set tax_info = '{}'::jsonb where id = %s", (others[1],))
    second = p.run(org, "2026-01-05", "2026-01-11")
    assert second["payroll_run_id"] == rid and second["paystubs_created"] == 3
    after = {row[1]: row[0] for row in _stubs(db, rid)}
    assert after == {e: kept[e] for e in (hourly, salaried, others[2])}  # the same rows for those still paid
    assert [e["employee_id"] for e in second["errors"]] == [others[1]]


def test_dry_run_previews_everything_and_writes_nothing(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org, hourly, salaried = _scenario(p)
    preview = p.run(org, "2026-01-05", "2026-01-11", dry_run=True)
    assert preview["dry_run"] is True and preview["status"] == "preview" and preview["payroll_run_id"] is None
    assert {s["employee_id"] for s in preview["paystubs"]} == {hourly, salaried}
    assert db.execute(
        "select count(*) from public.payroll_runs where organization_id = %s", (org,)
    ).fetchone() == (0,)
    assert db.execute(
        "select count(*) from public.paystubs where organization_id = %s", (org,)
    ).fetchone() == (0,)
    real = p.run(org, "2026-01-05", "2026-01-11")
    assert (real["total_gross"], real["total_net"], real["total_amount"]) == (
        preview["total_gross"],
        preview["total_net"],
        preview["total_amount"],
    )
    stub = p.stub(real["payroll_run_id"], hourly)
    shown = next(s for s in preview["paystubs"] if s["employee_id"] == hourly)
    assert D(str(shown["net_pay"])) == stub["net_pay"]


def test_approved_run_is_immutable_and_locks_its_entries(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org, hourly, salaried = _scenario(p)
    run = p.run(org, "2026-01-05", "2026-01-11")
    rid = run["payroll_run_id"]
    approved = p.action(rid, "approve")
    assert approved["status"] == "approved" and approved["time_entries_locked"] == 5
    assert p.stub(rid, hourly)["status"] == "approved"

    def refused(sql: str, params: tuple) -> str | None:
        db.execute("savepoint s")
        try:
            db.execute(sql, params)
        except psycopg.Error as exc:
            db.execute("rollback to savepoint s")
            return sqlstate(exc)
        return None

    assert (
        refused(
            "update public.time_entries set clock_out = clock_out + interval '1 hour' where employee_id = %s",
            (hourly,),
        )
        == "PR409"
    )
    assert refused("delete from public.time_entries where employee_id = %s", (hourly,)) == "PR409"
    assert (
        refused(
            "update public.paystubs set net_pay = net_pay + 1, gross_pay = gross_pay + 1, regular_pay = regular_pay + 1 where payroll_run_id = %s",
            (rid,),
        )
        == "PR409"
    )
    assert refused("update public.payroll_runs set total_gross = 0 where id = %s", (rid,)) == "PR409"
    assert refused("delete from public.payroll_runs where id = %s", (rid,)) == "PR409"
    assert refused("select public.run_payroll_for_period(%s, '2026-01-05', '2026-01-11')", (org,)) == "PR409"
    # an entry of an employee not paid by the run is not locked
    other = p.employee(org)
    free = p.entry(org, other, "2026-01-05 08:00", "2026-01-05 09:00")
    assert refused("update public.time_entries set notes = 'ok' where id = %s", (free,)) is None

    paid = p.action(rid, "mark_paid")
    assert paid["status"] == "paid" and p.stub(rid, salaried)["status"] == "processed"
    with pytest.raises(psycopg.Error) as err:
        p.action(rid, "approve")
    assert sqlstate(err.value) == "PR409"


def test_an_employee_cannot_edit_own_entries_once_a_run_paid_them(db: psycopg.Connection) -> None:
    """Employees may edit their own unapproved entries, and cannot read payroll runs: the lock holds anyway."""
    p = PayrollDb(db)
    org, hourly, _ = _scenario(p)
    worker = p.user(org, "member")
    db.execute("update public.employees set user_id = %s where id = %s", (worker, hourly))
    db.execute(
        "update public.time_entries set approved_at = null, approved_by = null where employee_id = %s",
        (hourly,),
    )
    rid = p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"]
    db.execute("savepoint before_pay")
    _as_user(db, worker)
    # before the run is approved, the employee edits their own entry as usual
    assert (
        db.execute(
            "update public.time_entries set notes = 'forgot lunch' where employee_id = %s", (hourly,)
        ).rowcount
        == 5
    )
    db.execute("rollback to savepoint before_pay")
    p.action(rid, "approve")
    _as_user(db, worker)
    assert db.execute("select count(*) from public.payroll_runs").fetchone() == (0,)  # invisible to them
    for sql in (
        "update public.time_entries set clock_out = clock_out + interval '5 hours' where employee_id = %s",
        "delete from public.time_entries where employee_id = %s",
    ):
        db.execute("savepoint s")
        with pytest.raises(psycopg.Error) as err:
            db.execute(sql, (hourly,))
        assert sqlstate(err.value) == "PR409", sql
        db.execute("rollback to savepoint s")


def test_void_releases_the_entries_and_allows_a_new_regular_run(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org, hourly, _ = _scenario(p)
    rid = p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"]
    p.action(rid, "approve")
    voided = p.action(rid, "void")
    assert voided["status"] == "void" and voided["time_entries_released"] == 5
    db.execute("update public.time_entries set notes = 'fixed' where employee_id = %s", (hourly,))
    again = p.run(org, "2026-01-05", "2026-01-11")
    assert again["payroll_run_id"] != rid


def test_a_run_approved_or_voided_by_a_direct_update_is_approved_or_voided_in_full(
    db: psycopg.Connection,
) -> None:
    """An admin may update payroll_runs through the API (PATCH status): approving that way must still mark
    the stubs approved and lock the entries the run paid (else an off-cycle run pays them a second time),
    and voiding that way must still void the stubs and release the entries."""
    p = PayrollDb(db)
    org, hourly, salaried = _scenario(p)
    admin = p.user(org, "admin")
    rid = p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"]
    locked = "select count(*) from public.time_entries where payroll_run_id = %s"

    _as_user(db, admin)
    db.execute("update public.payroll_runs set status = 'approved' where id = %s", (rid,))
    db.execute("reset role")
    assert {p.stub(rid, e)["status"] for e in (hourly, salaried)} == {"approved"}
    assert db.execute(locked, (rid,)).fetchone() == (5,)
    stamps = db.execute(
        "select approved_by::text, approved_at is not null from public.payroll_runs where id = %s", (rid,)
    ).fetchone()
    assert stamps == (admin, True)
    fix = p.run(org, "2026-01-05", "2026-01-11", kind="off_cycle")
    assert fix["paystubs_created"] == 0  # nothing is paid twice

    _as_user(db, admin)
    db.execute("update public.payroll_runs set status = 'void' where id = %s", (rid,))
    db.execute("reset role")
    assert p.stub(rid, hourly)["status"] == "voided"
    assert db.execute(locked, (rid,)).fetchone() == (0,)


def test_an_approved_run_totals_its_stubs_whatever_was_typed_into_the_draft(db: psycopg.Connection) -> None:
    """The run's totals (what the employer pays) are the sums of its stubs: an admin who updates a draft's
    totals directly (the update policy lets them) does not get a run approved with other figures."""
    p = PayrollDb(db)
    org, _, _ = _scenario(p)
    admin = p.user(org, "admin")
    run = p.run(org, "2026-01-05", "2026-01-11")
    rid = run["payroll_run_id"]
    _as_user(db, admin)
    db.execute(
        "update public.payroll_runs set total_gross = total_gross + 1000, total_net = total_net + 1000,"
        " total_amount = total_amount + 1000, paystubs_created = 7 where id = %s",
        (rid,),
    )
    approved = p.action(rid, "approve")
    db.execute("reset role")
    sums = db.execute(
        """select sum(gross_pay), sum(net_pay),
                  sum(federal_income_tax + social_security_tax + medicare_tax + additional_medicare_tax
                      + other_deductions),
                  sum(social_security_tax + medicare_tax), count(*)
           from public.paystubs where payroll_run_id = %s""",
        (rid,),
    ).fetchone()
    totals = db.execute(
        "select total_gross, total_net, total_employee_taxes, total_employer_taxes, paystubs_created,"
        " total_amount from public.payroll_runs where id = %s",
        (rid,),
    ).fetchone()
    assert sums is not None and totals is not None
    assert totals[:5] == sums and totals[5] == sums[0] + sums[3]
    assert approved["total_gross"] == run["total_gross"] and approved["total_amount"] == run["total_amount"]


def test_a_stub_records_who_approved_and_processed_it_and_keeps_notes(db: psycopg.Connection) -> None:
    """A paystub holds approved_by/at, processed_by/at and notes (the original workflow prepared → approved →
    processed); the stamps are those of the run's approval and payment, and notes stay editable."""
    p = PayrollDb(db)
    org, hourly, _ = _scenario(p)
    admin, owner = p.user(org, "admin"), p.user(org, "owner")
    rid = p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"]
    _as_user(db, admin)
    p.action(rid, "approve")
    db.execute(
        "update public.paystubs set notes = 'bonus paid separately' where payroll_run_id = %s and employee_id = %s",
        (rid, hourly),
    )
    db.execute("reset role")
    _as_user(db, owner)
    p.action(rid, "mark_paid")
    db.execute("reset role")
    stub = p.stub(rid, hourly)
    run = db.execute(
        "select approved_by::text, approved_at, paid_by::text, paid_at from public.payroll_runs where id = %s",
        (rid,),
    ).fetchone()
    assert run is not None and run[0] == admin and run[2] == owner
    assert (
        str(stub["approved_by"]),
        stub["approved_at"],
        str(stub["processed_by"]),
        stub["processed_at"],
    ) == run
    assert stub["status"] == "processed" and stub["notes"] == "bonus paid separately"


@pytest.mark.parametrize("status", ["approved", "paid", "void"])
def test_a_run_starts_as_a_draft(db: psycopg.Connection, status: str) -> None:
    """A run inserted directly (the insert policy lets an owner/admin) as approved or paid would hold its
    period's one regular run without stubs or locks, and a paid run can be neither voided nor deleted: the
    period could never be paid again."""
    p = PayrollDb(db)
    org, _, _ = _scenario(p)
    admin = p.user(org, "admin")
    _as_user(db, admin)
    with pytest.raises(psycopg.Error) as err:
        db.execute(
            "insert into public.payroll_runs (organization_id, period_start, period_end, pay_date, status)"
            " values (%s, '2026-01-05', '2026-01-11', '2026-01-11', %s)",
            (org, status),
        )
    assert sqlstate(err.value) == "PR409"


def test_off_cycle_run_pays_only_what_the_approved_run_did_not(db: psycopg.Connection) -> None:
    """38 h approved; 4 h added later: the correction pays 2 h regular + 2 h overtime (week total 42)."""
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, rate="20.00")
    salaried = p.employee(org, pay_type="salary", salary="52000.00")
    p.days(org, emp, WEEK1[:4], "08:00", "17:30")  # 4 x 9.5 = 38 h
    rid = p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"]
    p.action(rid, "approve")
    p.entry(org, emp, "2026-01-09 08:00", "2026-01-09 12:00")
    fix = p.run(org, "2026-01-05", "2026-01-11", kind="off_cycle")
    assert fix["kind"] == "off_cycle" and fix["payroll_run_id"] != rid
    stub = p.stub(fix["payroll_run_id"], emp)
    assert (stub["regular_hours"], stub["overtime_hours"]) == (D("2"), D("2"))
    assert stub["gross_pay"] == D("100.00")  # 2 x 20 + 2 x 30
    assert stub["ytd_gross_pay"] == D("860.00")  # 760 approved before + 100
    assert {s["employee_id"]: s["reason"] for s in fix["skipped"]}[salaried] == "nothing_unpaid_in_period"


def test_concurrent_runs_for_the_same_period_produce_one_run(fresh_db: Database) -> None:
    with fresh_db.connect() as setup:
        p = PayrollDb(setup)
        org, _, _ = _scenario(p)
        setup.commit()
    first = fresh_db.connect()
    second = fresh_db.connect()
    try:
        r1 = first.execute(
            "select public.run_payroll_for_period(%s, '2026-01-05', '2026-01-11')", (org,)
        ).fetchone()
        got: dict = {}

        def other() -> None:
            row = second.execute(
                "select public.run_payroll_for_period(%s, '2026-01-05', '2026-01-11')", (org,)
            ).fetchone()
            got["row"] = row
            second.commit()

        t = threading.Thread(target=other)
        t.start()
        t.join(0.5)
        assert t.is_alive()  # waiting on the advisory lock while the first transaction is open
        first.commit()
        t.join(10)
        assert not t.is_alive()
        assert r1 is not None and got["row"][0]["payroll_run_id"] == r1[0]["payroll_run_id"]
        count = first.execute(
            "select count(*) from public.payroll_runs where organization_id = %s", (org,)
        ).fetchone()
        assert count == (1,)
    finally:
        first.close()
        second.close()


def _as_user(db: psycopg.Connection, uid: str) -> None:
    db.execute("set local role authenticated")
    db.execute(
        "select set_config('request.jwt.claims', %s, true)",
        (json.dumps({"sub": uid, "role": "authenticated"}),),
    )


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_or_admin_runs_payroll_under_rls(db: psycopg.Connection, role: str) -> None:
    p = PayrollDb(db)
    org, hourly, _ = _scenario(p)
    uid = p.user(org, role)
    _as_user(db, uid)
    run = p.run(org, "2026-01-05", "2026-01-11")
    assert run["paystubs_created"] == 2
    created = db.execute(
        "select created_by from public.payroll_runs where id = %s", (run["payroll_run_id"],)
    ).fetchone()
    assert created is not None and str(created[0]) == uid
    assert p.summary(hourly, "2026-01-05", "2026-01-11")["total_hours"] == D("45.8333")
    assert p.action(run["payroll_run_id"], "approve")["status"] == "approved"


def test_member_is_forbidden_and_outsider_learns_nothing(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org, hourly, _ = _scenario(p)
    member = p.user(org, "member")
    elsewhere = p.org("UTC")
    outsider = p.user(elsewhere, "owner")
    rid = p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"]
    db.execute("savepoint before_role")
    for uid, expected in ((member, "PR403"), (outsider, "PR404")):
        for call in (
            lambda: p.run(org, "2026-01-05", "2026-01-11"),
            lambda: p.action(rid, "approve"),
            lambda: p.summary(hourly, "2026-01-05", "2026-01-11"),
        ):
            _as_user(db, uid)
            with pytest.raises(psycopg.Error) as err:
                call()
            assert sqlstate(err.value) == expected
            db.execute("rollback to savepoint before_role")


def test_anon_cannot_call_the_rpcs(db: psycopg.Connection) -> None:
    db.execute("set local role anon")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("select public.run_payroll_for_period(1, '2026-01-05', '2026-01-11')")


def test_scheduled_preparation_is_idempotent(db: psycopg.Connection) -> None:
    """As of Wed 14 Jan 2026 the last ended weekly period (Monday anchor) is 5-11 Jan."""
    p = PayrollDb(db)
    org, _, _ = _scenario(p)
    db.execute("set local role service_role")
    first = db.execute("select public.prepare_due_payroll_runs('2026-01-14')").fetchone()[0]  # type: ignore[index]
    mine = [c for c in first["created"] if c["organization_id"] == org]
    assert len(mine) == 1 and (mine[0]["period_start"], mine[0]["period_end"]) == ("2026-01-05", "2026-01-11")
    second = db.execute("select public.prepare_due_payroll_runs('2026-01-14')").fetchone()[0]  # type: ignore[index]
    assert not [c for c in second["created"] if c["organization_id"] == org]
    assert [c for c in second["already_prepared"] if c["organization_id"] == org]
    assert db.execute(
        "select count(*) from public.payroll_runs where organization_id = %s", (org,)
    ).fetchone() == (1,)


def test_deleting_the_organization_still_cascades_over_approved_payroll(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org, _, _ = _scenario(p)
    rid = p.run(org, "2026-01-05", "2026-01-11")["payroll_run_id"]
    p.action(rid, "approve")
    db.execute("delete from public.organizations where id = %s", (org,))
    assert db.execute("select count(*) from public.payroll_runs where id = %s", (rid,)).fetchone() == (0,)
