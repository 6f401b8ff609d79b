"""Employee pay privacy (migration 20261201400000): members read the roster of public.employees but never
salary, hourly_rate, tax_info or direct_deposit; owners/admins read them through public.employee_pay, the
employee reads their own, the service keeps everything, and payroll computes the same amounts for an
owner/admin as for the service. Each test runs in the rolled-back transaction of the `db` fixture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.database import odyssey_rls
from tests.database.rls_matrix import ANON, SERVICE_ROLE, Actor, Outcome, World, act
from tests.functions.run_payroll.payroll_db import PayrollDb

P = psycopg.sql.SQL

PAY_COLUMNS = ("salary", "hourly_rate", "tax_info", "direct_deposit")
ROSTER_COLUMNS = (
    "id",
    "organization_id",
    "user_id",
    "employee_number",
    "full_name",
    "email",
    "phone",
    "hire_date",
    "termination_date",
    "job_title",
    "department",
    "pay_type",
    "employment_type",
    "status",
    "created_at",
    "updated_at",
)
SIGNED_IN = ("member_a", "admin_a", "owner_a", "member_b", "platform_admin", "spare")

COLLEAGUE_TAX = {
    "w4": {"filing_status": "married_filing_jointly", "step3_amount": "2000"},
    "flsa_exempt": True,
}
COLLEAGUE_BANK = {"routing": "021000021", "account": "000987654321"}
OWN_TAX = {"w4": {"filing_status": "single"}}
OWN_BANK = {"routing": "011000015", "account": "000123456789"}


def as_(db: psycopg.Connection, world: World, who: str, query: str, params: tuple[Any, ...] = ()) -> Outcome:
    """Run one statement as a World user (PostgREST-style), or as anon / service_role."""
    actor = {"anon": ANON, "service_role": SERVICE_ROLE}.get(who, Actor(who, "authenticated"))
    return act(db, world, actor, P(query), params)  # type: ignore[arg-type]


@pytest.fixture
def world(db: psycopg.Connection) -> World:
    """The matrix World, plus pay data: A's employee linked to member_a (their own record), a salaried
    colleague in A linked to nobody, and B's employee linked to member_b."""
    w = odyssey_rls.build_world(db)
    a, b = w.refs["A"], w.refs["B"]
    db.execute(
        "update public.employees set tax_info = %s, direct_deposit = %s where id = %s",
        (Jsonb(OWN_TAX), Jsonb(OWN_BANK), a["employee_id"]),
    )
    db.execute(
        "update public.employees set tax_info = %s, direct_deposit = %s, hourly_rate = 31.50 where id = %s",
        (
            Jsonb({"w4": {"filing_status": "head_of_household"}}),
            Jsonb({"account": "B-000555"}),
            b["employee_id"],
        ),
    )
    row = db.execute(
        """insert into public.employees (organization_id, full_name, email, phone, job_title, department,
             hire_date, pay_type, employment_type, status, salary, tax_info, direct_deposit)
           values (%s, 'Colleague', 'colleague@example.test', '555-0100', 'Controller', 'Finance', '2025-03-01',
                   'salary', 'full_time', 'active', 123456.78, %s, %s) returning id""",
        (w.tenants["A"], Jsonb(COLLEAGUE_TAX), Jsonb(COLLEAGUE_BANK)),
    ).fetchone()
    assert row is not None
    a["colleague_id"] = row[0]  # type: ignore[index]
    return w


def _pay_rows(out: Outcome) -> dict[int, tuple[Any, ...]]:
    assert out.sqlstate is None, out.sqlstate
    assert out.rows is not None
    return {r[0]: tuple(r[1:]) for r in out.rows}


PAY_VIEW = "select employee_id, organization_id, hourly_rate, salary, tax_info, direct_deposit from public.employee_pay"


# the roster ----------------------------------------------------------------------------------------------------


def test_member_reads_the_roster_of_colleagues(db: psycopg.Connection, world: World) -> None:
    colleague = world.refs["A"]["colleague_id"]
    cols = ", ".join(ROSTER_COLUMNS)
    out = as_(db, world, "member_a", f"select {cols} from public.employees where id = %s", (colleague,))
    assert out.sqlstate is None and out.rows is not None and len(out.rows) == 1
    row = dict(zip(ROSTER_COLUMNS, out.rows[0], strict=True))
    assert (
        row["full_name"],
        row["job_title"],
        row["department"],
        row["email"],
        row["phone"],
        row["status"],
    ) == ("Colleague", "Controller", "Finance", "colleague@example.test", "555-0100", "active")
    # the whole roster of A, and nothing of B
    out = as_(db, world, "member_a", "select organization_id, count(*) from public.employees group by 1")
    assert out.rows == [(world.tenants["A"], 2)]


@pytest.mark.parametrize("column", [*PAY_COLUMNS, "*"])
def test_member_is_denied_each_pay_column_and_select_star(
    db: psycopg.Connection, world: World, column: str
) -> None:
    colleague = world.refs["A"]["colleague_id"]
    own = world.refs["A"]["employee_id"]
    for target in (colleague, own):
        out = as_(db, world, "member_a", f"select {column} from public.employees where id = %s", (target,))
        assert out.sqlstate == "42501", (column, target)


@pytest.mark.parametrize("who", SIGNED_IN)
def test_no_signed_in_user_reads_pay_columns_from_the_table(
    db: psycopg.Connection, world: World, who: str
) -> None:
    """Column privileges are per role: the table refuses them to every signed-in user alike (admins read them
    through public.employee_pay), so the answer reveals nothing about the row."""
    for column in PAY_COLUMNS:
        out = as_(db, world, who, f"select id, {column} from public.employees")
        assert out.sqlstate == "42501", (who, column)


def test_pay_columns_cannot_be_probed_through_filters_or_ordering(
    db: psycopg.Connection, world: World
) -> None:
    for query in (
        "select id from public.employees where salary > 100000",
        "select id from public.employees where tax_info ->> 'flsa_exempt' = 'true'",
        "select id from public.employees order by hourly_rate desc nulls last limit 1",
        "select count(*) from public.employees where direct_deposit is not null",
        "select to_jsonb(e) from public.employees e",
    ):
        assert as_(db, world, "member_a", query).sqlstate == "42501", query


def test_update_returning_star_does_not_leak(db: psycopg.Connection, world: World) -> None:
    colleague = world.refs["A"]["colleague_id"]
    before = db.execute("select to_jsonb(e) from public.employees e where id = %s", (colleague,)).fetchone()
    for who in ("member_a", "admin_a"):
        out = as_(
            db,
            world,
            who,
            "update public.employees set job_title = 'X' where id = %s returning *",
            (colleague,),
        )
        assert out.sqlstate == "42501" and out.rows is None, who
        out = as_(
            db,
            world,
            who,
            "update public.employees set job_title = 'X' where id = %s returning salary",
            (colleague,),
        )
        assert out.sqlstate == "42501", who
    after = db.execute("select to_jsonb(e) from public.employees e where id = %s", (colleague,)).fetchone()
    assert after == before


# owners/admins write and read pay data --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin_a", "owner_a"])
def test_admin_writes_pay_columns_and_reads_them_back_through_the_view(
    db: psycopg.Connection, world: World, who: str
) -> None:
    org, colleague = world.tenants["A"], world.refs["A"]["colleague_id"]
    new_tax = {"w4": {"filing_status": "single", "step4c_extra_withholding": "25.00"}}
    out = as_(
        db,
        world,
        who,
        "update public.employees set salary = 130000.00, tax_info = %s, direct_deposit = %s where id = %s"
        " returning id, full_name",
        (Jsonb(new_tax), Jsonb({"account": "000111"}), colleague),
    )
    assert out.sqlstate is None and out.rows == [(colleague, "Colleague")]
    out = as_(
        db,
        world,
        who,
        "insert into public.employees (organization_id, full_name, pay_type, hourly_rate, tax_info,"
        " direct_deposit) values (%s, 'New hire', 'hourly', 19.25, %s, %s) returning id",
        (org, Jsonb(OWN_TAX), Jsonb({"account": "000222"})),
    )
    assert out.sqlstate is None and out.rows is not None
    hire = out.rows[0][0]

    rows = _pay_rows(as_(db, world, who, PAY_VIEW + " where organization_id = %s", (org,)))
    assert set(rows) == {world.refs["A"]["employee_id"], colleague, hire}
    assert rows[colleague] == (org, None, Decimal("130000.00"), new_tax, {"account": "000111"})
    assert rows[hire] == (org, Decimal("19.25"), None, OWN_TAX, {"account": "000222"})
    assert rows[world.refs["A"]["employee_id"]] == (org, Decimal("25.00"), None, OWN_TAX, OWN_BANK)


def test_admin_of_one_organization_sees_no_pay_data_of_another(db: psycopg.Connection, world: World) -> None:
    rows = _pay_rows(as_(db, world, "owner_a", PAY_VIEW))
    assert {org for org, *_ in rows.values()} == {world.tenants["A"]}
    assert world.refs["B"]["employee_id"] not in rows
    out = as_(
        db,
        world,
        "owner_a",
        "update public.employees set salary = 1 where id = %s",
        (world.refs["B"]["employee_id"],),
    )
    assert out.sqlstate is None and out.rowcount == 0


# the employee and everyone else ---------------------------------------------------------------------------------


def test_employee_reads_only_their_own_pay_data(db: psycopg.Connection, world: World) -> None:
    own = world.refs["A"]["employee_id"]
    rows = _pay_rows(as_(db, world, "member_a", PAY_VIEW))
    assert rows == {own: (world.tenants["A"], Decimal("25.00"), None, OWN_TAX, OWN_BANK)}


def test_employee_who_left_the_organization_still_reads_their_own(
    db: psycopg.Connection, world: World
) -> None:
    db.execute("delete from public.user_organizations where user_id = %s", (world.users["member_a"],))
    rows = _pay_rows(as_(db, world, "member_a", PAY_VIEW))
    assert list(rows) == [world.refs["A"]["employee_id"]]


def test_member_of_another_organization_gets_nothing_of_a(db: psycopg.Connection, world: World) -> None:
    rows = _pay_rows(as_(db, world, "member_b", PAY_VIEW))
    assert list(rows) == [world.refs["B"]["employee_id"]]  # only their own record in B
    out = as_(
        db,
        world,
        "member_b",
        "select id, full_name from public.employees where organization_id = %s",
        (world.tenants["A"],),
    )
    assert out.sqlstate is None and out.rows == []


@pytest.mark.parametrize("who", ["platform_admin", "spare"])
def test_users_without_an_employee_record_or_admin_role_see_no_pay_data(
    db: psycopg.Connection, world: World, who: str
) -> None:
    assert _pay_rows(as_(db, world, who, PAY_VIEW)) == {}


def test_anon_cannot_read_the_view_or_the_helpers(db: psycopg.Connection, world: World) -> None:
    org = world.tenants["A"]
    for query, params in (
        (PAY_VIEW, ()),
        ("select * from private.employee_pay_checked(%s)", (org,)),
        ("select * from private.employee_pay(%s)", (org,)),
        ("select * from private.payroll_employee_pay(%s)", (org,)),
    ):
        assert as_(db, world, "anon", query, params).sqlstate == "42501", query


def test_member_calling_the_helpers_directly_gets_at_most_their_own_record(
    db: psycopg.Connection, world: World
) -> None:
    org, own = world.tenants["A"], world.refs["A"]["employee_id"]
    for query in (
        "select employee_id from private.employee_pay_checked(%s)",
        "select employee_id from private.employee_pay(%s)",
        "select employee_id from private.payroll_employee_pay(%s)",
    ):
        out = as_(db, world, "member_a", query, (org,))
        assert out.sqlstate is None and out.rows == [(own,)], query
        out = as_(db, world, "member_b", query, (org,))
        assert out.sqlstate is None and out.rows == [], query


def test_service_role_keeps_everything(db: psycopg.Connection, world: World) -> None:
    colleague = world.refs["A"]["colleague_id"]
    out = as_(
        db,
        world,
        "service_role",
        "select salary, tax_info, direct_deposit from public.employees where id = %s",
        (colleague,),
    )
    assert out.rows == [(Decimal("123456.78"), COLLEAGUE_TAX, COLLEAGUE_BANK)]
    rows = _pay_rows(as_(db, world, "service_role", PAY_VIEW))
    assert {colleague, world.refs["A"]["employee_id"], world.refs["B"]["employee_id"]} <= set(rows)
    assert rows[colleague] == (world.tenants["A"], None, Decimal("123456.78"), COLLEAGUE_TAX, COLLEAGUE_BANK)


def test_privileges_in_the_catalog(db: psycopg.Connection) -> None:
    def has(role: str, column: str, priv: str) -> bool:
        row = db.execute(
            "select has_column_privilege(%s, 'public.employees', %s, %s)", (role, column, priv)
        ).fetchone()
        return bool(row and row[0])

    for column in PAY_COLUMNS:
        assert not has("authenticated", column, "SELECT"), column
        assert has("authenticated", column, "INSERT") and has("authenticated", column, "UPDATE"), column
        assert has("service_role", column, "SELECT"), column
    assert all(has("authenticated", c, "SELECT") for c in ROSTER_COLUMNS)
    row = db.execute(
        "select c.reloptions from pg_class c where c.oid = 'public.employee_pay'::regclass"
    ).fetchone()
    assert row is not None and "security_invoker=on" in row[0]


# payroll: same amounts for an owner/admin as for the service ---------------------------------------------------


@contextmanager
def _acting(db: psycopg.Connection, role: str, uid: str | None = None) -> Iterator[None]:
    """Run the block as `role` (with the user's claims) in a savepoint that is rolled back afterwards."""
    with db.transaction(force_rollback=True):
        claims = {"sub": uid, "role": role} if uid else {"role": role}
        db.execute(
            "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
            (role, json.dumps(claims)),
        )
        yield


def test_payroll_amounts_are_identical_for_owner_admin_service_and_postgres(db: psycopg.Connection) -> None:
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    week = ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"]
    hourly = p.employee(
        org, rate="20.00", w4={"filing_status": "single", "step4c_extra_withholding": "10.00"}
    )
    salaried = p.employee(org, pay_type="salary", salary="52000.00")
    exempt = p.employee(
        org,
        pay_type="salary",
        salary="52000.00",
        tax_info={"flsa_exempt": True, "w4": {"filing_status": "married_filing_jointly"}},
    )
    no_w4 = p.employee(org, rate="18.00", tax_info={})
    for emp in (hourly, salaried, exempt, no_w4):
        p.days(org, emp, week, "08:00", "18:00")  # 50 h: 10 h over 40
    owner, admin = p.user(org, "owner"), p.user(org, "admin")

    def dry_run() -> dict[str, Any]:
        return p.run(org, "2026-01-05", "2026-01-11", dry_run=True)

    reference = dry_run()  # as postgres
    results = {"postgres": reference}
    for name, role, uid in (
        ("service_role", "service_role", None),
        ("owner", "authenticated", owner),
        ("admin", "authenticated", admin),
    ):
        with _acting(db, role, uid):
            results[name] = dry_run()
            results[name + " summary"] = p.summary(exempt, "2026-01-05", "2026-01-11")  # type: ignore[assignment]
    for name in ("service_role", "owner", "admin"):
        assert results[name] == reference, name
        # tax_info.flsa_exempt is read by the hours computation too
        assert results[name + " summary"]["overtime_hours"] == Decimal("0"), name

    # the pay data was really read: rates, salary, the FLSA flag and the W-4
    stubs = {s["employee_id"]: s for s in reference["paystubs"]}
    assert set(stubs) == {hourly, salaried, exempt}
    assert (stubs[hourly]["regular_pay"], stubs[hourly]["overtime_pay"], stubs[hourly]["gross_pay"]) == (
        Decimal("800.00"),
        Decimal("300.00"),
        Decimal("1100.00"),
    )
    assert (stubs[salaried]["salary_pay"], stubs[salaried]["overtime_pay"]) == (
        Decimal("1000.00"),
        Decimal("375.00"),
    )
    assert (stubs[exempt]["salary_pay"], stubs[exempt]["overtime_pay"]) == (
        Decimal("1000.00"),
        Decimal("0.00"),
    )
    assert stubs[hourly]["federal_income_tax"] > Decimal("10.00")  # includes the 4(c) extra withholding
    assert [(e["employee_id"], e["reason"]) for e in reference["errors"]] == [(no_w4, "missing_w4")]

    # a member still may not run payroll at all
    member = p.user(org, "member")
    with _acting(db, "authenticated", member), pytest.raises(psycopg.Error) as err:
        dry_run()
    assert err.value.sqlstate == "PR403"
