"""The access rules and triggers of the ODYSSEY-1 schema that are not a tenant × action matrix: profiles,
memberships, study groups, tutoring sessions, plans, time-entry approval, audit, profiles for new users,
updated_at, health alerts. Each test runs in the rolled-back transaction of the `db` fixture."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.database import odyssey_rls
from tests.database.rls_matrix import ANON, Actor, Outcome, World, act

P = psycopg.sql.SQL


def as_(
    conn: psycopg.Connection, world: World, who: str, query: str, params: tuple[Any, ...] = ()
) -> Outcome:
    """Run one statement as a World user (PostgREST-style), or as anon / service_role."""
    actor = {"anon": ANON, "service_role": Actor("service_role", "service_role")}.get(
        who, Actor(who, "authenticated")
    )
    return act(conn, world, actor, P(query), params)  # type: ignore[arg-type]


@pytest.fixture
def world(db: psycopg.Connection) -> World:
    return odyssey_rls.build_world(db)


def _user(db: psycopg.Connection, world: World, name: str) -> uuid.UUID:
    uid, email = odyssey_rls.create_user(db, name)
    world.users[name] = uid  # type: ignore[index]
    world.emails[name] = email  # type: ignore[index]
    return uid


# profiles -----------------------------------------------------------------------------------------------------


def test_user_reads_and_updates_only_their_own_profile(db: psycopg.Connection, world: World) -> None:
    me, other = world.users["member_a"], world.users["member_b"]
    seen = as_(db, world, "member_a", "select id from public.profiles")
    assert seen.rows == [(me,)]
    updated = as_(
        db,
        world,
        "member_a",
        "update public.profiles set full_name = 'Ann' where id in (%s, %s)",
        (me, other),
    )
    assert updated.sqlstate is None and updated.rowcount == 1
    names = dict(
        db.execute("select id, full_name from public.profiles where id in (%s, %s)", (me, other)).fetchall()
    )
    assert names[me] == "Ann" and names[other] == "member_b"


def test_platform_admin_reads_every_profile(db: psycopg.Connection, world: World) -> None:
    ids = [world.users[n] for n in ("member_a", "member_b", "admin_a", "owner_a", "platform_admin", "spare")]
    seen = as_(db, world, "platform_admin", "select count(*) from public.profiles where id = any(%s)", (ids,))
    assert seen.rows == [(6,)]
    # an organization admin is not a platform admin
    seen = as_(db, world, "admin_a", "select count(*) from public.profiles where id = any(%s)", (ids,))
    assert seen.rows == [(1,)]


@pytest.mark.parametrize("column, value", [("is_admin", True), ("email", "boss@example.test"), ("id", None)])
def test_user_cannot_change_protected_profile_columns(
    db: psycopg.Connection, world: World, column: str, value: object
) -> None:
    me = world.users["member_a"]
    value = uuid.uuid4() if column == "id" else value
    out = as_(db, world, "member_a", f"update public.profiles set {column} = %s where id = %s", (value, me))
    assert out.sqlstate == "42501"
    row = db.execute("select is_admin, email from public.profiles where id = %s", (me,)).fetchone()
    assert row == (False, world.emails["member_a"])


def test_user_cannot_create_or_delete_profiles(db: psycopg.Connection, world: World) -> None:
    uid = _user(db, world, "newbie")
    db.execute("delete from public.profiles where id = %s", (uid,))
    out = as_(
        db,
        world,
        "newbie",
        "insert into public.profiles (id, email, is_admin) values (%s, 'x@example.test', true)",
        (uid,),
    )
    assert out.sqlstate == "42501"
    out = as_(db, world, "member_a", "delete from public.profiles where id = %s", (world.users["member_a"],))
    assert out.sqlstate == "42501"


def test_profile_created_for_new_auth_user_and_email_kept_in_sync(db: psycopg.Connection) -> None:
    uid = uuid.uuid4()
    db.execute(
        "insert into auth.users (id, email, raw_user_meta_data) values (%s, 'new@example.test', %s)",
        (uid, psycopg.types.json.Jsonb({"full_name": "New Person"})),
    )
    row = db.execute(
        "select email, full_name, is_admin, is_onboarded from public.profiles where id = %s", (uid,)
    ).fetchone()
    assert row == ("new@example.test", "New Person", False, False)
    db.execute("update auth.users set email = 'renamed@example.test' where id = %s", (uid,))
    assert db.execute("select email from public.profiles where id = %s", (uid,)).fetchone() == (
        "renamed@example.test",
    )
    # metadata cannot make anyone an admin
    uid2 = uuid.uuid4()
    db.execute(
        "insert into auth.users (id, email, raw_user_meta_data) values (%s, 'sneaky@example.test', %s)",
        (uid2, psycopg.types.json.Jsonb({"is_admin": True})),
    )
    assert db.execute("select is_admin from public.profiles where id = %s", (uid2,)).fetchone() == (False,)


def test_phone_only_user_gets_a_profile_once_an_email_is_set(db: psycopg.Connection) -> None:
    uid = uuid.uuid4()
    db.execute("insert into auth.users (id, phone) values (%s, '+15550100')", (uid,))
    assert db.execute("select count(*) from public.profiles where id = %s", (uid,)).fetchone() == (0,)
    db.execute("update auth.users set email = 'late@example.test' where id = %s", (uid,))
    assert db.execute("select email from public.profiles where id = %s", (uid,)).fetchone() == (
        "late@example.test",
    )


# memberships --------------------------------------------------------------------------------------------------


def test_only_owners_manage_memberships(db: psycopg.Connection, world: World) -> None:
    org_a, spare = world.tenants["A"], world.users["spare"]
    insert = "insert into public.user_organizations (user_id, organization_id, role) values (%s, %s, %s)"
    assert as_(db, world, "admin_a", insert, (spare, org_a, "member")).sqlstate == "42501"
    assert as_(db, world, "member_a", insert, (spare, org_a, "member")).sqlstate == "42501"
    assert as_(db, world, "owner_a", insert, (spare, org_a, "admin")).sqlstate is None
    changed = as_(
        db,
        world,
        "owner_a",
        "update public.user_organizations set role = 'member' where user_id = %s",
        (spare,),
    )
    assert changed.rowcount == 1
    removed = as_(db, world, "owner_a", "delete from public.user_organizations where user_id = %s", (spare,))
    assert removed.rowcount == 1


def test_user_cannot_join_an_organization_or_promote_themselves(db: psycopg.Connection, world: World) -> None:
    me, org_a, org_b = world.users["member_a"], world.tenants["A"], world.tenants["B"]
    out = as_(
        db,
        world,
        "member_a",
        "insert into public.user_organizations (user_id, organization_id, role) values (%s, %s, 'owner')",
        (me, org_b),
    )
    assert out.sqlstate == "42501"
    for who in ("member_a", "admin_a", "owner_a"):
        uid = world.users[who]
        out = as_(
            db, world, who, "update public.user_organizations set role = 'owner' where user_id = %s", (uid,)
        )
        assert out.sqlstate is None and out.rowcount == 0, who
    # an owner cannot demote or remove themselves either (the organization would lose its owner)
    out = as_(
        db,
        world,
        "owner_a",
        "delete from public.user_organizations where user_id = %s",
        (world.users["owner_a"],),
    )
    assert out.rowcount == 0
    roles = dict(
        db.execute(
            "select user_id, role from public.user_organizations where organization_id = %s", (org_a,)
        ).fetchall()
    )
    assert roles[me] == "member" and roles[world.users["owner_a"]] == "owner"


def test_membership_role_is_validated(db: psycopg.Connection, world: World) -> None:
    out = as_(
        db,
        world,
        "owner_a",
        "insert into public.user_organizations (user_id, organization_id, role) values (%s, %s, 'superuser')",
        (world.users["spare"], world.tenants["A"]),
    )
    assert out.sqlstate == "23514"


def test_members_see_their_own_organization_only(db: psycopg.Connection, world: World) -> None:
    out = as_(db, world, "member_b", "select id from public.organizations")
    assert out.rows == [(world.tenants["B"],)]
    # a member cannot rename the organization or touch its billing columns; an admin renames it
    out = as_(
        db,
        world,
        "member_a",
        "update public.organizations set name = 'Mine' where id = %s",
        (world.tenants["A"],),
    )
    assert out.rowcount == 0
    out = as_(
        db,
        world,
        "admin_a",
        "update public.organizations set stripe_customer_id = 'cus_x' where id = %s",
        (world.tenants["A"],),
    )
    assert out.sqlstate == "42501"


# time entries -------------------------------------------------------------------------------------------------


def test_employee_cannot_approve_own_time_and_approved_entries_are_locked(
    db: psycopg.Connection, world: World
) -> None:
    org_a, emp = world.tenants["A"], world.refs["A"]["employee_id"]
    me = world.users["member_a"]
    now = datetime(2026, 11, 3, 9, tzinfo=UTC)
    out = as_(
        db,
        world,
        "member_a",
        "insert into public.time_entries (organization_id, employee_id, clock_in, approved_by,"
        " approved_at) values (%s, %s, %s, %s, %s)",
        (org_a, emp, now, me, now),
    )
    assert out.sqlstate == "42501"
    entry = db.execute(
        "insert into public.time_entries (organization_id, employee_id, clock_in) values (%s, %s, %s)"
        " returning id",
        (org_a, emp, now),
    ).fetchone()[0]  # type: ignore[index]
    out = as_(
        db,
        world,
        "member_a",
        "update public.time_entries set approved_at = now(), approved_by = %s where id = %s",
        (me, entry),
    )
    assert out.sqlstate == "42501"
    out = as_(
        db,
        world,
        "admin_a",
        "update public.time_entries set approved_at = now(), approved_by = %s where id = %s",
        (world.users["admin_a"], entry),
    )
    assert out.rowcount == 1
    out = as_(
        db,
        world,
        "member_a",
        "update public.time_entries set clock_in = clock_in - interval '1 hour' where id = %s",
        (entry,),
    )
    assert out.rowcount == 0
    out = as_(db, world, "member_a", "delete from public.time_entries where id = %s", (entry,))
    assert out.rowcount == 0
    # still readable by its employee
    assert as_(
        db, world, "member_a", "select count(*) from public.time_entries where id = %s", (entry,)
    ).rows == [(1,)]


def test_member_sees_only_their_own_time_entries(db: psycopg.Connection, world: World) -> None:
    org_a = world.tenants["A"]
    colleague = db.execute(
        "insert into public.employees (organization_id, full_name) values (%s, 'Colleague') returning id",
        (org_a,),
    ).fetchone()[0]  # type: ignore[index]
    db.execute(
        "insert into public.time_entries (organization_id, employee_id, clock_in) values (%s, %s, now())",
        (org_a, colleague),
    )
    out = as_(
        db, world, "member_a", "select count(*) from public.time_entries where employee_id = %s", (colleague,)
    )
    assert out.rows == [(0,)]
    out = as_(
        db,
        world,
        "member_a",
        "insert into public.time_entries (organization_id, employee_id, clock_in) values (%s, %s, now())",
        (org_a, colleague),
    )
    assert out.sqlstate == "42501"


@pytest.mark.parametrize(
    "insert",
    [
        "insert into public.time_entries (organization_id, employee_id, clock_in) values (%(org)s, %(employee)s, now())",
        "insert into public.paystubs (organization_id, payroll_run_id, employee_id) values (%(org)s, %(own_run)s, %(employee)s)",
        "insert into public.paystubs (organization_id, payroll_run_id, employee_id) values (%(org)s, %(run)s, %(own_employee)s)",
        "insert into public.bids (organization_id, customer_id, title, subtotal, total) values (%(org)s, %(customer)s, 'x', 1, 1)",
        "insert into public.invoices (organization_id, customer_id, invoice_number, due_date, subtotal, total, balance_due)"
        " values (%(org)s, %(customer)s, 'X-1', current_date, 1, 1, 1)",
        "insert into public.appointments (organization_id, customer_id, title, start_time, end_time)"
        " values (%(org)s, %(customer)s, 'x', now(), now())",
        "insert into public.payments (organization_id, invoice_id, amount) values (%(org)s, %(invoice)s, 1)",
    ],
    ids=[
        "time_entry-employee",
        "paystub-employee",
        "paystub-run",
        "bid-customer",
        "invoice-customer",
        "appointment-customer",
        "payment-invoice",
    ],
)
def test_references_to_another_organizations_rows_are_refused(
    db: psycopg.Connection, world: World, insert: str
) -> None:
    b = world.refs["B"]
    invoice = db.execute(
        "insert into public.invoices (organization_id, invoice_number, due_date, subtotal, total,"
        " balance_due) values (%s, 'B-1', current_date, 1, 1, 1) returning id",
        (b["org"],),
    ).fetchone()
    params = {
        "org": world.tenants["A"],
        "employee": b["employee_id"],
        "run": b["payroll_run_id"],
        "own_run": world.refs["A"]["payroll_run_id"],
        "own_employee": world.refs["A"]["employee_id"],
        "customer": b["customer_id"],
        "invoice": invoice[0] if invoice else None,
    }
    # refused even for the service role (and for the owner, who bypasses RLS): this is integrity, not access
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="is not a row of organization"):
        with db.transaction():
            db.execute(insert, params)
    # the same statement with the organization's own rows works
    own = {**params, "org": b["org"], "own_run": b["payroll_run_id"], "own_employee": b["employee_id"]}
    with db.transaction(force_rollback=True):
        db.execute(insert, own)


def test_updating_a_reference_to_another_organizations_row_is_refused(
    db: psycopg.Connection, world: World
) -> None:
    a, b = world.refs["A"], world.refs["B"]
    row = db.execute(
        "insert into public.time_entries (organization_id, employee_id, clock_in)"
        " values (%s, %s, now()) returning id",
        (world.tenants["A"], a["employee_id"]),
    ).fetchone()
    assert row is not None
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="is not a row of organization"):
        with db.transaction():
            db.execute(
                "update public.time_entries set employee_id = %s where id = %s", (b["employee_id"], row[0])
            )
    # a multi-row insert with one foreign reference among own ones is refused as a whole
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="is not a row of organization"):
        with db.transaction():
            db.execute(
                "insert into public.time_entries (organization_id, employee_id, clock_in)"
                " values (%(org)s, %(own)s, now()), (%(org)s, %(foreign)s, now()), (%(org)s, %(own)s, now())",
                {"org": world.tenants["A"], "own": a["employee_id"], "foreign": b["employee_id"]},
            )


def test_a_member_of_two_organizations_cannot_move_rows_between_them(
    db: psycopg.Connection, world: World
) -> None:
    # The policies' WITH CHECK only asks that the new organization be one of the caller's, so a user who
    # belongs to both A and B passes it; the same-organization triggers check the referencing rows, not the
    # referenced one, so moving a customer (or an employee) would leave A's bids (or time entries) pointing
    # into B. A row never moves to another organization.
    a, b = world.tenants["A"], world.tenants["B"]
    odyssey_rls.add_member(db, world.users["admin_a"], b, "admin")
    customer, employee = world.refs["A"]["customer_id"], world.refs["A"]["employee_id"]
    db.execute(
        "insert into public.bids (organization_id, customer_id, title, subtotal, total) values (%s, %s, 'x', 1, 1)",
        (a, customer),
    )
    db.execute(
        "insert into public.time_entries (organization_id, employee_id, clock_in) values (%s, %s, now())",
        (a, employee),
    )
    moves = [
        ("customers", customer),
        ("employees", employee),
        ("payroll_runs", world.refs["A"]["payroll_run_id"]),
    ]
    for table, row_id in moves:
        out = as_(
            db, world, "admin_a", f"update public.{table} set organization_id = %s where id = %s", (b, row_id)
        )
        assert out.sqlstate == "42501", table
        assert db.execute(
            f"select organization_id from public.{table} where id = %s", (row_id,)
        ).fetchone() == (a,)
    # other changes of the same rows still work
    out = as_(db, world, "admin_a", "update public.customers set notes = 'moved?' where id = %s", (customer,))
    assert out.rowcount == 1


# study groups ---------------------------------------------------------------------------------------------------


def _group(db: psycopg.Connection, creator: uuid.UUID, *, public: bool, max_members: int = 10) -> int:
    row = db.execute(
        "insert into public.study_groups (name, is_public, max_members, created_by) values (%s, %s, %s, %s)"
        " returning id",
        (f"group-{uuid.uuid4().hex[:6]}", public, max_members, creator),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_public_groups_for_all_private_groups_for_members(db: psycopg.Connection, world: World) -> None:
    creator = world.users["member_a"]
    public, private = _group(db, creator, public=True), _group(db, creator, public=False)
    q = "select id from public.study_groups where id in (%s, %s) order by id"
    assert as_(db, world, "member_b", q, (public, private)).rows == [(public,)]
    assert as_(db, world, "member_a", q, (public, private)).rows == [(public,), (private,)]
    assert as_(db, world, "anon", q, (public, private)).sqlstate == "42501"
    db.execute(
        "insert into public.study_group_members (group_id, user_id) values (%s, %s)",
        (private, world.users["member_b"]),
    )
    assert as_(db, world, "member_b", q, (public, private)).rows == [(public,), (private,)]


def test_creating_a_group_makes_the_creator_its_creator_member(db: psycopg.Connection, world: World) -> None:
    me = world.users["member_b"]
    out = as_(
        db, world, "member_b", "insert into public.study_groups (name, created_by) values ('Calc', %s)", (me,)
    )
    assert out.sqlstate is None
    row = db.execute(
        "select m.role from public.study_group_members m join public.study_groups g on g.id = m.group_id"
        " where g.name = 'Calc' and m.user_id = %s",
        (me,),
    ).fetchone()
    assert row == ("creator",)
    out = as_(
        db,
        world,
        "member_b",
        "insert into public.study_groups (name, created_by) values ('Fake', %s)",
        (world.users["member_a"],),
    )
    assert out.sqlstate == "42501"


def test_joining_rules(db: psycopg.Connection, world: World) -> None:
    public = _group(db, world.users["member_a"], public=True)
    private = _group(db, world.users["member_a"], public=False)
    join = "insert into public.study_group_members (group_id, user_id, role) values (%s, %s, %s)"
    b = world.users["member_b"]
    assert as_(db, world, "member_b", join, (private, b, "member")).sqlstate == "42501"
    assert as_(db, world, "member_b", join, (public, b, "creator")).sqlstate == "42501"
    assert as_(db, world, "member_b", join, (public, b, "moderator")).sqlstate == "42501"
    assert as_(db, world, "member_b", join, (public, world.users["spare"], "member")).sqlstate == "42501"
    assert as_(db, world, "member_b", join, (public, b, "member")).sqlstate is None
    # the creator adds members to a private group, and may not be removed
    assert as_(db, world, "member_a", join, (private, world.users["spare"], "member")).sqlstate is None
    out = as_(
        db,
        world,
        "member_b",
        "delete from public.study_group_members where group_id = %s and role = 'creator'",
        (public,),
    )
    assert out.rowcount == 0
    out = as_(
        db,
        world,
        "member_b",
        "delete from public.study_group_members where group_id = %s and user_id = %s",
        (public, b),
    )
    assert out.rowcount == 1


def test_joining_a_full_group_is_refused(db: psycopg.Connection, world: World) -> None:
    group = _group(db, world.users["member_a"], public=True, max_members=2)  # the creator is member 1
    join = "insert into public.study_group_members (group_id, user_id) values (%s, %s)"
    assert as_(db, world, "member_b", join, (group, world.users["member_b"])).sqlstate is None
    full = as_(db, world, "spare", join, (group, world.users["spare"]))
    assert full.sqlstate == "P0001"
    count = db.execute(
        "select count(*) from public.study_group_members where group_id = %s", (group,)
    ).fetchone()
    assert count == (2,)
    # the service role is held to the same capacity
    with pytest.raises(psycopg.errors.RaiseException, match="is full"):
        with db.transaction():
            db.execute(join, (group, world.users["admin_a"]))


def test_messages_are_for_members_only(db: psycopg.Connection, world: World) -> None:
    group = _group(db, world.users["member_a"], public=True)
    db.execute(
        "insert into public.study_group_members (group_id, user_id) values (%s, %s)",
        (group, world.users["member_b"]),
    )
    post = "insert into public.study_group_messages (group_id, user_id, message, message_type) values (%s, %s, %s, %s)"
    assert as_(db, world, "member_b", post, (group, world.users["member_b"], "hi", "text")).sqlstate is None
    assert (
        as_(db, world, "member_b", post, (group, world.users["member_b"], "sys", "system")).sqlstate
        == "42501"
    )
    assert (
        as_(db, world, "member_b", post, (group, world.users["member_a"], "as you", "text")).sqlstate
        == "42501"
    )
    assert (
        as_(db, world, "spare", post, (group, world.users["spare"], "let me in", "text")).sqlstate == "42501"
    )
    read = "select message from public.study_group_messages where group_id = %s"
    assert as_(db, world, "member_a", read, (group,)).rows == [("hi",)]
    assert as_(db, world, "spare", read, (group,)).rows == []  # public group, but not a member
    edit = "update public.study_group_messages set message = 'edited', edited_at = now() where group_id = %s"
    assert as_(db, world, "member_a", edit, (group,)).rowcount == 0  # not the author
    assert as_(db, world, "member_b", edit, (group,)).rowcount == 1
    delete = "delete from public.study_group_messages where group_id = %s"
    assert as_(db, world, "member_a", delete, (group,)).rowcount == 0
    assert as_(db, world, "member_b", delete, (group,)).rowcount == 1


# tutoring -------------------------------------------------------------------------------------------------------


def test_tutoring_sessions_are_visible_to_tutor_and_student_only(
    db: psycopg.Connection, world: World
) -> None:
    tutor, student, other = world.users["member_a"], world.users["member_b"], world.users["spare"]
    start = datetime(2026, 12, 2, 15, tzinfo=UTC)
    book = (
        "insert into public.tutoring_sessions (tutor_id, student_id, subject, start_time, end_time)"
        " values (%s, %s, 'Algebra', %s, %s)"
    )
    assert (
        as_(db, world, "spare", book, (tutor, student, start, start + timedelta(hours=1))).sqlstate == "42501"
    )
    assert (
        as_(db, world, "member_b", book, (tutor, student, start, start + timedelta(hours=1))).sqlstate is None
    )
    q = "select count(*) from public.tutoring_sessions where tutor_id = %s"
    assert as_(db, world, "member_a", q, (tutor,)).rows == [(1,)]
    assert as_(db, world, "member_b", q, (tutor,)).rows == [(1,)]
    assert as_(db, world, "spare", q, (tutor,)).rows == [(0,)]
    assert as_(db, world, "platform_admin", q, (tutor,)).rows == [(0,)]
    rate = "update public.tutoring_sessions set rating = 5 where tutor_id = %s"
    assert as_(db, world, "spare", rate, (tutor,)).rowcount == 0
    assert as_(db, world, "member_b", rate, (tutor,)).rowcount == 1
    # nobody hands the session to someone else
    out = as_(
        db,
        world,
        "member_b",
        "update public.tutoring_sessions set tutor_id = %s where tutor_id = %s",
        (other, tutor),
    )
    assert out.sqlstate == "42501"


# plans, config, logs ------------------------------------------------------------------------------------------


def test_subscription_plans_are_public_and_admin_written(db: psycopg.Connection, world: World) -> None:
    out = as_(
        db,
        world,
        "anon",
        "select tier, price_monthly, features from public.subscription_plans order by price_monthly",
    )
    assert out.sqlstate is None and out.rows is not None
    assert [(t, p) for t, p, _ in out.rows] == [
        ("free", Decimal("0.00")),
        ("professional", Decimal("99.00")),
        ("business", Decimal("299.00")),
        ("enterprise", Decimal("999.00")),
    ]
    for _, _, features in out.rows:
        assert set(features) == {
            "users",
            "organizations",
            "ai_requests",
            "storage_gb",
            "theme_access",
            "knowledge_bases",
            "support",
        }
        assert set(features["theme_access"]) == set(features["knowledge_bases"]) == {"type", "count"}
    assert (
        as_(db, world, "anon", "update public.subscription_plans set price_monthly = 0").sqlstate == "42501"
    )
    assert as_(db, world, "owner_a", "update public.subscription_plans set price_monthly = 0").rowcount == 0
    out = as_(
        db,
        world,
        "platform_admin",
        "update public.subscription_plans set price_monthly = 109 where tier = 'professional'",
    )
    assert out.rowcount == 1


def test_system_config_and_knowledge_are_for_platform_admins(db: psycopg.Connection, world: World) -> None:
    db.execute("insert into public.system_config (key, value) values ('maintenance', '{\"on\": false}')")
    db.execute(
        "insert into public.system_knowledge (category, knowledge_key, value) values ('bids', 'margin', '0.25')"
    )
    for table in ("system_config", "system_knowledge"):
        assert as_(db, world, "platform_admin", f"select count(*) from public.{table}").rows == [(1,)]
        assert as_(db, world, "owner_a", f"select count(*) from public.{table}").rows == [(0,)]
        assert as_(db, world, "platform_admin", f"delete from public.{table}").sqlstate == "42501"
        assert as_(db, world, "anon", f"select count(*) from public.{table}").sqlstate == "42501"


def test_ops_is_closed_to_anon_and_read_only_for_users(db: psycopg.Connection, world: World) -> None:
    for table in ("roman_events", "roman_commands", "agents", "system_health", "alerts"):
        assert as_(db, world, "anon", f"select count(*) from ops.{table}").sqlstate == "42501"
    for table in ("agents", "system_health", "alerts"):
        assert as_(db, world, "platform_admin", f"select count(*) from ops.{table}").sqlstate == "42501"
    assert as_(db, world, "service_role", "select count(*) from ops.alerts").sqlstate is None


# triggers -------------------------------------------------------------------------------------------------------


def test_audit_trigger_logs_every_change(db: psycopg.Connection, world: World) -> None:
    org_a = world.tenants["A"]
    admin = world.users["admin_a"]
    add = as_(
        db,
        world,
        "admin_a",
        "insert into public.employees (organization_id, full_name, employee_number, tax_info,"
        " direct_deposit) values (%s, 'Audited', 'AUD-1', %s, %s)",
        (
            org_a,
            psycopg.types.json.Jsonb({"filing_status": "single"}),
            psycopg.types.json.Jsonb({"account": "000123456789"}),
        ),
    )
    assert add.sqlstate is None
    emp = db.execute("select id from public.employees where employee_number = 'AUD-1'").fetchone()[0]  # type: ignore[index]
    assert (
        as_(
            db, world, "admin_a", "update public.employees set job_title = 'Foreman' where id = %s", (emp,)
        ).rowcount
        == 1
    )
    assert as_(db, world, "admin_a", "delete from public.employees where id = %s", (emp,)).rowcount == 1
    logs = db.execute(
        "select message, source, user_id, organization_id, metadata from public.system_logs"
        " where source = 'public.employees' and (metadata -> 'new' ->> 'id' = %s or metadata -> 'old' ->> 'id' = %s)"
        " order by id",
        (str(emp), str(emp)),
    ).fetchall()
    assert [m for m, *_ in logs] == [
        "INSERT on public.employees",
        "UPDATE on public.employees",
        "DELETE on public.employees",
    ]
    assert {(s, u, o) for _, s, u, o, _ in logs} == {("public.employees", admin, org_a)}
    inserted, updated, deleted = (m for *_, m in logs)
    assert "old" not in inserted and inserted["new"]["full_name"] == "Audited"
    assert updated["old"]["job_title"] is None and updated["new"]["job_title"] == "Foreman"
    assert "new" not in deleted and deleted["old"]["id"] == emp
    # pay, bank and tax details never reach the log
    assert all(
        not {"direct_deposit", "tax_info", "salary", "hourly_rate"} & set(m.get(k, {}))
        for *_, m in logs
        for k in ("old", "new")
    )
    assert all(m.get("new", {}).get("full_name") == "Audited" or "old" in m for *_, m in logs)
    # the author reads their own audit rows through the API
    assert as_(
        db,
        world,
        "admin_a",
        "select count(*) from public.system_logs where source = 'public.employees' and user_id = %s",
        (admin,),
    ).rows == [(3,)]


@pytest.mark.parametrize(
    "table",
    [
        "employees",
        "time_entries",
        "bids",
        "invoices",
        "payments",
        "subscriptions",
        "payroll_runs",
        "paystubs",
    ],
)
def test_audited_tables(db: psycopg.Connection, table: str) -> None:
    # one trigger per event (transition tables), each firing once per statement: insert 4, delete 8, update 16
    rows = db.execute(
        "select tgtype & (4 | 8 | 16), tgtype & 1 from pg_trigger"
        " where tgrelid = %s::regclass and tgfoid = 'ops.fn_log_change()'::regprocedure order by 1",
        (f"public.{table}",),
    ).fetchall()
    assert rows == [(4, 0), (8, 0), (16, 0)]


def test_audit_function_is_not_callable_by_api_users(db: psycopg.Connection) -> None:
    for role, allowed in (("anon", False), ("authenticated", False), ("service_role", True)):
        row = db.execute(
            "select has_function_privilege(%s, 'ops.fn_log_change()', 'execute')", (role,)
        ).fetchone()
        assert row == (allowed,), role


def test_one_statement_over_many_rows_logs_each_row(db: psycopg.Connection, world: World) -> None:
    org_a = world.tenants["A"]
    db.execute(
        "insert into public.employees (organization_id, full_name, employee_number)"
        " select %s, 'Bulk ' || g, 'BULK-' || g from generate_series(1, 3) g",
        (org_a,),
    )
    changed = db.execute(
        "update public.employees set department = 'Field' where employee_number like 'BULK-%%' returning id"
    ).fetchall()
    assert len(changed) == 3
    logs = db.execute(
        "select message, (metadata -> 'old' ->> 'id')::bigint, metadata -> 'old' ->> 'department',"
        " (metadata -> 'new' ->> 'id')::bigint, metadata -> 'new' ->> 'department', organization_id"
        " from public.system_logs where source = 'public.employees' and metadata -> 'new' ->> 'employee_number' like 'BULK-%%'"
        " order by id"
    ).fetchall()
    inserts = [r for r in logs if r[0] == "INSERT on public.employees"]
    updates = [r for r in logs if r[0] == "UPDATE on public.employees"]
    assert len(inserts) == 3 and all(r[1] is None and r[5] == org_a for r in inserts)
    # each update row pairs the old and the new version of the same employee
    assert sorted((r[1], r[2], r[3], r[4]) for r in updates) == sorted(
        (i, None, i, "Field") for (i,) in changed
    )


def test_audit_rows_are_the_table_rows_without_the_redacted_columns(
    db: psycopg.Connection, world: World
) -> None:
    org_a = world.tenants["A"]
    redacted = ["tax_info", "direct_deposit", "salary", "hourly_rate", "details"]
    stub = db.execute(
        "insert into public.paystubs (organization_id, payroll_run_id, employee_id, salary_pay, gross_pay, net_pay,"
        " details) values (%s, %s, %s, 100.00, 100.00, 100.00, %s) returning id",
        (
            org_a,
            world.refs["A"]["payroll_run_id"],
            world.refs["A"]["employee_id"],
            psycopg.types.json.Jsonb({"workweeks": [{"hours": 40}], "w4": {"step3_amount": 0}}),
        ),
    ).fetchone()[0]  # type: ignore[index]
    as_inserted = db.execute(
        "select to_jsonb(p) - %s::text[] from public.paystubs p where id = %s", (redacted, stub)
    ).fetchone()[0]  # type: ignore[index]
    db.execute(
        "update public.paystubs set salary_pay = 120.00, gross_pay = 120.00, net_pay = 120.00 where id = %s",
        (stub,),
    )
    as_updated = db.execute(
        "select to_jsonb(p) - %s::text[] from public.paystubs p where id = %s", (redacted, stub)
    ).fetchone()[0]  # type: ignore[index]
    db.execute("delete from public.paystubs where id = %s", (stub,))
    logs = db.execute(
        "select message, metadata -> 'old', metadata -> 'new', organization_id from public.system_logs"
        " where source = 'public.paystubs' and coalesce(metadata -> 'new', metadata -> 'old') ->> 'id' = %s"
        " order by id",
        (str(stub),),
    ).fetchall()
    # every logged column, exactly as the row holds it, and nothing of the redacted ones (`details` included)
    assert logs == [
        ("INSERT on public.paystubs", None, as_inserted, org_a),
        ("UPDATE on public.paystubs", as_inserted, as_updated, org_a),
        ("DELETE on public.paystubs", as_updated, None, org_a),
    ]
    assert "details" not in as_inserted and as_inserted["gross_pay"] == 100 and as_updated["gross_pay"] == 120


def test_service_role_changes_are_audited_without_a_user(db: psycopg.Connection, world: World) -> None:
    org_b = world.tenants["B"]
    out = as_(
        db,
        world,
        "service_role",
        "insert into public.payments (organization_id, amount, status) values (%s, 12.50, 'pending')",
        (org_b,),
    )
    assert out.sqlstate is None
    row = db.execute(
        "select user_id, organization_id, metadata -> 'new' ->> 'amount' from public.system_logs"
        " where source = 'public.payments' order by id desc limit 1"
    ).fetchone()
    assert row == (None, org_b, "12.50")


def test_deleting_an_organization_keeps_its_audit_trail(db: psycopg.Connection, world: World) -> None:
    org_a = world.tenants["A"]
    db.execute(
        "insert into public.paystubs (organization_id, payroll_run_id, employee_id) values (%s, %s, %s)",
        (org_a, world.refs["A"]["payroll_run_id"], world.refs["A"]["employee_id"]),
    )
    logs_before = db.execute(
        "select count(*) from public.system_logs where organization_id = %s", (org_a,)
    ).fetchone()
    assert logs_before is not None and logs_before[0] >= 2
    db.execute("delete from public.organizations where id = %s", (org_a,))
    assert db.execute(
        "select count(*) from public.employees where organization_id = %s", (org_a,)
    ).fetchone() == (0,)
    deleted = db.execute(
        "select count(*) from public.system_logs where message like 'DELETE on %%'"
        " and (metadata ->> 'organization_id')::bigint = %s",
        (org_a,),
    ).fetchone()
    assert deleted is not None and deleted[0] >= 3  # employee, payroll run, paystub


def test_updated_at_follows_each_change(db: psycopg.Connection, world: World) -> None:
    customer = world.refs["A"]["customer_id"]
    old = datetime(2020, 1, 1, tzinfo=UTC)
    db.execute("update public.customers set updated_at = %s where id = %s", (old, customer))
    # the trigger overrides whatever the statement sets: updated_at is the time of the change
    row = db.execute("select updated_at = now() from public.customers where id = %s", (customer,)).fetchone()
    assert row == (True,)
    out = as_(
        db,
        world,
        "member_a",
        "update public.customers set notes = 'x' where id = %s returning updated_at > %s",
        (customer, old),
    )
    assert out.rows == [(True,)]


# health alerts --------------------------------------------------------------------------------------------------


def test_health_rows_raise_bump_and_resolve_alerts(db: psycopg.Connection) -> None:
    hb = "insert into ops.system_health (component, status, metrics) values (%s, %s, '{}')"
    db.execute(hb, ("database", "degraded"))
    db.execute(hb, ("queue", "down"))
    alerts = db.execute(
        "select alert_key, severity, occurrences from ops.alerts where not resolved order by 1"
    ).fetchall()
    assert alerts == [("health:database", "high", 1), ("health:queue", "critical", 1)]
    assert db.execute("select ops.health_score()").fetchone() == (65,)
    db.execute(hb, ("database", "down"))
    assert db.execute(
        "select severity, occurrences from ops.alerts where alert_key = 'health:database' and not resolved"
    ).fetchone() == ("critical", 2)
    db.execute(hb, ("database", "ok"))
    db.execute(hb, ("queue", "ok"))
    assert db.execute("select count(*) from ops.alerts where not resolved").fetchone() == (0,)
    assert db.execute(
        "select count(*) from ops.alerts where resolved and resolved_at is not null"
    ).fetchone() == (2,)
    assert db.execute("select ops.health_score()").fetchone() == (100,)
    # a new failure after recovery opens a new alert
    db.execute(hb, ("queue", "down"))
    assert db.execute("select count(*) from ops.alerts where alert_key = 'health:queue'").fetchone() == (2,)
