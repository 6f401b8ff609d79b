"""The ODYSSEY-1 tenancy for the RLS matrix: a seeded World (organizations A and B, their members) and one
TableSpec per organization-scoped table, saying who may do what (the executable form of the migrations'
policies)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg

from tests.database.rls_matrix import (
    ORG_ADMINS,
    ORG_MEMBERS,
    ORG_OWNERS,
    SERVICE_ONLY,
    TableSpec,
    World,
)

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def create_user(
    conn: psycopg.Connection, name: str, *, full_name: str | None = None
) -> tuple[uuid.UUID, str]:
    """Insert an auth user (its profile is created by the trigger) and return (id, email)."""
    uid = uuid.uuid4()
    email = f"{name}-{uid.hex[:8]}@example.test"
    conn.execute(
        "insert into auth.users (id, email, raw_user_meta_data, created_at) values (%s, %s, %s, now())",
        (uid, email, psycopg.types.json.Jsonb({"full_name": full_name or name})),
    )
    return uid, email


def create_org(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("insert into public.organizations (name) values (%s) returning id", (name,)).fetchone()
    assert row is not None
    return int(row[0])


def add_member(conn: psycopg.Connection, user_id: uuid.UUID, org_id: int, role: str) -> None:
    conn.execute(
        "insert into public.user_organizations (user_id, organization_id, role) values (%s, %s, %s)",
        (user_id, org_id, role),
    )


def build_world(conn: psycopg.Connection) -> World:
    """Seed (as the owner, inside the caller's transaction) two organizations and the matrix's actors:
    member_a/admin_a/owner_a in A, member_b in B, a platform admin in none, and an unaffiliated spare user.
    Each organization has a customer, a bid, an invoice, an employee linked to its member, and a payroll run."""
    users: dict[str, Any] = {}
    emails: dict[str, str] = {}
    for name in ("member_a", "member_b", "admin_a", "owner_a", "platform_admin", "spare"):
        users[name], emails[name] = create_user(conn, name)
    conn.execute("update public.profiles set is_admin = true where id = %s", (users["platform_admin"],))
    tenants = {"A": create_org(conn, "Org A"), "B": create_org(conn, "Org B")}
    add_member(conn, users["member_a"], tenants["A"], "member")
    add_member(conn, users["admin_a"], tenants["A"], "admin")
    add_member(conn, users["owner_a"], tenants["A"], "owner")
    add_member(conn, users["member_b"], tenants["B"], "member")

    plan = conn.execute("select id from public.subscription_plans where tier = 'free'").fetchone()
    assert plan is not None
    refs: dict[str, dict[str, Any]] = {}
    for tenant, member in (("A", "member_a"), ("B", "member_b")):
        org = tenants[tenant]

        def one(query: str, params: tuple[Any, ...]) -> Any:
            row = conn.execute(query, params).fetchone()
            assert row is not None
            return row[0]

        customer = one(
            "insert into public.customers (organization_id, name, email) values (%s, %s, %s) returning id",
            (org, f"Customer {tenant}", f"customer-{tenant.lower()}@example.test"),
        )
        employee = one(
            "insert into public.employees (organization_id, user_id, full_name, pay_type, hourly_rate)"
            " values (%s, %s, %s, 'hourly', 25.00) returning id",
            (org, users[member], f"Employee {tenant}"),
        )
        payroll_run = one(
            "insert into public.payroll_runs (organization_id, period_start, period_end, pay_date)"
            " values (%s, '2026-11-01', '2026-11-14', '2026-11-20') returning id",
            (org,),
        )
        refs[tenant] = {
            "org": org,
            "member": users[member],
            "customer_id": customer,
            "employee_id": employee,
            "payroll_run_id": payroll_run,
            "plan_id": plan[0],
        }
    return World(users=users, tenants=tenants, refs=refs, emails=emails)


def _org(world: World, tenant: str) -> int:
    return int(world.tenants[tenant])


def _ref(world: World, tenant: str, name: str) -> Any:
    return world.refs[tenant][name]


def _existing_org(conn: psycopg.Connection, world: World, tenant: str) -> Any:
    return world.tenants[tenant]


_T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_T1 = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
READERS_OWN_ROWS = frozenset({"member_a", "platform_admin", "service_role"})

SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "public",
        "organizations",
        row=lambda w, t: {"name": f"New org {_n()}"},
        changes=lambda w, t: {"name": "Renamed"},
        select=ORG_MEMBERS,
        insert=SERVICE_ONLY,
        update=ORG_ADMINS,
        delete=SERVICE_ONLY,
        tenant_column="id",
        target=_existing_org,
        movable=False,
    ),
    TableSpec(
        "public",
        "user_organizations",
        row=lambda w, t: {"user_id": w.users["spare"], "organization_id": _org(w, t), "role": "member"},
        changes=lambda w, t: {"role": "admin"},
        select=ORG_ADMINS,
        insert=ORG_OWNERS,
        update=ORG_OWNERS,
        delete=ORG_OWNERS,
    ),
    TableSpec(
        "public",
        "employees",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "full_name": "New hire",
            "employee_number": f"E-{_n()}",
            "pay_type": "salary",
            "salary": Decimal("52000.00"),
        },
        changes=lambda w, t: {"job_title": "Lead"},
        select=ORG_MEMBERS,
        insert=ORG_ADMINS,
        update=ORG_ADMINS,
        delete=ORG_ADMINS,
    ),
    TableSpec(
        "public",
        "customers",
        row=lambda w, t: {"organization_id": _org(w, t), "name": f"Client {_n()}", "email": "c@example.test"},
        changes=lambda w, t: {"notes": "prefers email"},
        select=ORG_MEMBERS,
        insert=ORG_MEMBERS,
        update=ORG_MEMBERS,
        delete=ORG_MEMBERS,
    ),
    TableSpec(
        "public",
        "bids",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "customer_id": _ref(w, t, "customer_id"),
            "bid_number": f"B-{_n()}",
            "title": "Roof",
            "subtotal": Decimal("100.00"),
            "total": Decimal("108.00"),
        },
        changes=lambda w, t: {"status": "sent"},
        select=ORG_MEMBERS,
        insert=ORG_MEMBERS,
        update=ORG_MEMBERS,
        delete=ORG_MEMBERS,
    ),
    TableSpec(
        "public",
        "invoices",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "customer_id": _ref(w, t, "customer_id"),
            "invoice_number": f"INV-{_n()}",
            "due_date": date(2026, 12, 31),
            "subtotal": Decimal("100.00"),
            "total": Decimal("100.00"),
            "balance_due": Decimal("100.00"),
        },
        changes=lambda w, t: {"status": "sent"},
        select=ORG_MEMBERS,
        insert=ORG_MEMBERS,
        update=ORG_MEMBERS,
        delete=ORG_MEMBERS,
    ),
    TableSpec(
        "public",
        "appointments",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "customer_id": _ref(w, t, "customer_id"),
            "title": "Site visit",
            "start_time": _T0,
            "end_time": _T1,
        },
        changes=lambda w, t: {"location": "On site"},
        select=ORG_MEMBERS,
        insert=ORG_MEMBERS,
        update=ORG_MEMBERS,
        delete=ORG_MEMBERS,
    ),
    TableSpec(
        # the target entry belongs to the tenant's member (member_a in A): own entries and admins
        "public",
        "time_entries",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "employee_id": _ref(w, t, "employee_id"),
            "clock_in": _T0,
            "clock_out": _T1,
        },
        changes=lambda w, t: {"notes": "forgot to clock out"},
        select=ORG_MEMBERS,
        insert=ORG_MEMBERS,
        update=ORG_MEMBERS,
        delete=ORG_MEMBERS,
    ),
    TableSpec(
        "public",
        "payroll_runs",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "period_start": date(2026, 11, 15),
            "period_end": date(2026, 11, 28),
            "pay_date": date(2026, 12, 4),
            "kind": "off_cycle",
        },
        changes=lambda w, t: {"pay_date": date(2026, 12, 5)},
        select=ORG_ADMINS,
        insert=ORG_ADMINS,
        update=ORG_ADMINS,
        delete=ORG_ADMINS,
    ),
    TableSpec(
        # the target stub is the tenant member's own: member_a reads it, only admins write
        "public",
        "paystubs",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "payroll_run_id": _ref(w, t, "payroll_run_id"),
            "employee_id": _ref(w, t, "employee_id"),
        },
        changes=lambda w, t: {"status": "approved"},
        select=ORG_MEMBERS,
        insert=ORG_ADMINS,
        update=ORG_ADMINS,
        delete=ORG_ADMINS,
    ),
    TableSpec(
        "public",
        "subscriptions",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "plan_id": _ref(w, t, "plan_id"),
            "status": "active",
        },
        changes=lambda w, t: {"status": "past_due"},
        select=ORG_MEMBERS,
        insert=SERVICE_ONLY,
        update=SERVICE_ONLY,
        delete=SERVICE_ONLY,
    ),
    TableSpec(
        "public",
        "payments",
        row=lambda w, t: {"organization_id": _org(w, t), "amount": Decimal("99.00"), "status": "succeeded"},
        changes=lambda w, t: {"status": "refunded"},
        select=ORG_MEMBERS,
        insert=SERVICE_ONLY,
        update=SERVICE_ONLY,
        delete=SERVICE_ONLY,
    ),
    TableSpec(
        "public",
        "ai_usage_logs",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "user_id": _ref(w, t, "member"),
            "provider": "anthropic",
            "model": "claude",
            "input_tokens": 10,
            "cost_usd": Decimal("0.000120"),
        },
        changes=lambda w, t: {"success": False},
        select=ORG_MEMBERS,
        insert=SERVICE_ONLY,
        update=SERVICE_ONLY,
        delete=SERVICE_ONLY,
    ),
    TableSpec(
        "public",
        "ai_compliance_logs",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "user_id": _ref(w, t, "member"),
            "operation": "chat",
            "flagged": True,
            "flag_reason": "pii",
        },
        changes=lambda w, t: {"flagged": False},
        select=frozenset({"platform_admin", "service_role"}),
        insert=SERVICE_ONLY,
        update=frozenset({"platform_admin", "service_role"}),
        delete=SERVICE_ONLY,
    ),
    TableSpec(
        # logs are read by the user they concern (the tenant's member) and by platform admins
        "public",
        "system_logs",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "user_id": _ref(w, t, "member"),
            "severity": "info",
            "source": "web_app",
            "message": "signed in",
        },
        changes=lambda w, t: {"severity": "warning"},
        select=READERS_OWN_ROWS,
        insert=SERVICE_ONLY,
        update=SERVICE_ONLY,
        delete=SERVICE_ONLY,
    ),
    TableSpec(
        "ops",
        "roman_events",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "user_id": _ref(w, t, "member"),
            "event_type": "audit",
            "severity": "info",
            "message": "checked",
        },
        changes=lambda w, t: {"severity": "error"},
        select=READERS_OWN_ROWS,
        insert=SERVICE_ONLY,
        update=SERVICE_ONLY,
        delete=SERVICE_ONLY,
    ),
    TableSpec(
        "ops",
        "roman_commands",
        row=lambda w, t: {
            "organization_id": _org(w, t),
            "user_id": _ref(w, t, "member"),
            "command_intent": "status report",
            "status": "pending",
        },
        changes=lambda w, t: {"status": "success"},
        select=READERS_OWN_ROWS,
        insert=SERVICE_ONLY,
        update=SERVICE_ONLY,
        delete=SERVICE_ONLY,
    ),
    TableSpec(
        "ops",
        "agents",
        row=lambda w, t: {"organization_id": _org(w, t), "name": f"agent-{_n()}"},
        changes=lambda w, t: {"status": "active"},
        select=SERVICE_ONLY,
        insert=SERVICE_ONLY,
        update=SERVICE_ONLY,
        delete=SERVICE_ONLY,
    ),
)
