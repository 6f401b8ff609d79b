"""Two OnyxOS agencies with one fixture row in every onyx table, and a data-driven description of who may do
what on each table (the onyx RLS matrix).

Each agency (a Tenant) has an owner, an admin, a staff member (`staff`, a chatter), a second staff member
(`staff2`, whose personal rows — timesheet, payout settings and item, assignment — are the fixtures) and a
spare member (`spare`, the subject of profile updates/deletes and of new personal rows). `staff` is assigned to
no model and is not in the knowledge-base row's visible_to, so staff-level restrictions show up in the matrix.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from tests.database.onyx.helpers import new_agency, new_member, new_user, scalar

ACTORS = ("owner", "admin", "staff", "other_owner", "other_staff", "anon", "service")
OPS = ("select", "insert", "update", "delete")
MANAGERS = frozenset({"owner", "admin", "service"})
MEMBERS = frozenset({"owner", "admin", "staff", "service"})
SERVICE = frozenset({"service"})


@dataclass
class Tenant:
    """One agency and the ids of its people and fixture rows."""

    agency: uuid.UUID
    owner: uuid.UUID
    admin: uuid.UUID
    staff: uuid.UUID
    staff2: uuid.UUID
    spare: uuid.UUID
    loose_user: uuid.UUID  # an auth user without an onyx profile yet
    ids: dict[str, uuid.UUID] = field(default_factory=dict)


def _insert(conn: psycopg.Connection, table: str, values: dict[str, Any], key: str = "id") -> Any:
    query = sql.SQL("insert into {} ({}) values ({}) returning {}").format(
        sql.SQL(table),
        sql.SQL(", ").join(sql.Identifier(c) for c in values),
        sql.SQL(", ").join(sql.Placeholder() for _ in values),
        sql.Identifier(key),
    )
    row = conn.execute(query, tuple(values.values())).fetchone()
    assert row is not None
    return row[0]


@dataclass(frozen=True)
class Spec:
    """What every actor may do on one table, as seen from tenant A's fixture row.

    `allowed[op]` is the set of actors for whom `op` succeeds; everyone else must be refused (an error for
    INSERT, zero rows for SELECT/UPDATE/DELETE or a privilege error). `new_row(t)` gives the values of a valid
    new row in tenant t (for INSERT); `key` is the column that identifies the fixture row.
    """

    table: str
    new_row: Callable[[Tenant], dict[str, Any]]
    allowed: dict[str, frozenset[str]]
    key: str = "id"
    fixture: Callable[[Tenant], dict[str, Any]] | None = None

    @property
    def name(self) -> str:
        return self.table.removeprefix("onyx.")


def _std(read: frozenset[str] = MEMBERS, write: frozenset[str] = MANAGERS) -> dict[str, frozenset[str]]:
    return {"select": read, "insert": write, "update": write, "delete": write}


def _u() -> str:
    return uuid.uuid4().hex[:10]


# The order matters: fixtures are created in this order, so parents come first.
SPECS: list[Spec] = [
    Spec("onyx.agencies", lambda t: {"name": "Another agency"},
         {"select": MEMBERS, "insert": SERVICE, "update": MANAGERS, "delete": SERVICE}),
    Spec("onyx.profiles", lambda t: {"id": t.loose_user, "agency_id": t.agency, "username": "newbie"},
         {"select": MEMBERS, "insert": SERVICE, "update": MANAGERS, "delete": MANAGERS}),
    Spec("onyx.models", lambda t: {"agency_id": t.agency, "name": "New model"}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "name": "Fixture model"}),
    Spec("onyx.model_credentials",
         lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "platform": "fansly", "access_token": "tok"},
         _std(SERVICE, SERVICE),
         fixture=lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "platform": "onlyfans",
                            "access_token": f"secret-access-{_u()}", "refresh_token": f"secret-refresh-{_u()}"}),
    Spec("onyx.model_assignments",
         lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "profile_id": t.spare}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "profile_id": t.staff2}),
    Spec("onyx.expenses", lambda t: {"agency_id": t.agency, "name": "Ads", "amount": "10.00"}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "name": "Software", "amount": "49.99",
                            "model_id": t.ids["models"]}),
    Spec("onyx.revenue_snapshots",
         lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "snapshot_date": "2030-01-02"},
         _std(MANAGERS),
         fixture=lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "snapshot_date": "2026-01-05",
                            "gross_tips": "100.00", "net_tips": "80.00"}),
    Spec("onyx.payout_settings",
         lambda t: {"agency_id": t.agency, "profile_id": t.spare, "pay_model": "hourly", "hourly_rate": "10.00"},
         _std(MANAGERS),
         fixture=lambda t: {"agency_id": t.agency, "profile_id": t.staff2, "pay_model": "hourly",
                            "hourly_rate": "15.00"}),
    Spec("onyx.payout_runs",
         lambda t: {"agency_id": t.agency, "period_start": "2030-02-01", "period_end": "2030-02-15", "currency": "USD"},
         _std(MANAGERS),
         fixture=lambda t: {"agency_id": t.agency, "period_start": "2026-01-01", "period_end": "2026-01-15",
                            "currency": "USD"}),
    Spec("onyx.payout_items",
         lambda t: {"agency_id": t.agency, "run_id": t.ids["payout_runs"], "profile_id": t.spare, "username": "spare",
                    "role": "smm", "currency": "USD", "period_start": "2026-01-01", "period_end": "2026-01-15"},
         _std(MANAGERS),
         fixture=lambda t: {"agency_id": t.agency, "run_id": t.ids["payout_runs"], "profile_id": t.staff2,
                            "username": "staff2", "role": "chatter", "currency": "USD", "period_start": "2026-01-01",
                            "period_end": "2026-01-15", "hourly_pay": "120.00"}),
    Spec("onyx.shifts",
         lambda t: {"agency_id": t.agency, "employee_id": t.staff2, "start_time": "2030-01-01 09:00Z",
                    "end_time": "2030-01-01 17:00Z"}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "employee_id": t.staff2, "model_id": t.ids["models"],
                            "start_time": "2026-01-05 09:00Z", "end_time": "2026-01-05 17:00Z"}),
    # staff2's own entry: `staff` may not touch it (their own entries are covered in test_onyx_rules)
    Spec("onyx.timesheets",
         lambda t: {"agency_id": t.agency, "employee_id": t.staff2, "clock_in": "2030-01-01 09:00Z",
                    "clock_out": "2030-01-01 17:00Z", "status": "completed"}, _std(MANAGERS),
         fixture=lambda t: {"agency_id": t.agency, "employee_id": t.staff2, "shift_id": t.ids["shifts"],
                            "clock_in": "2026-01-05 09:05Z", "clock_out": "2026-01-05 17:00Z", "status": "completed"}),
    Spec("onyx.content_assets",
         lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "file_name": "b.jpg", "file_url": "s3://b",
                    "media_type": "image"}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "file_name": "a.jpg",
                            "file_url": "s3://a", "media_type": "image"}),
    Spec("onyx.content_tasks", lambda t: {"agency_id": t.agency, "title": "New post"}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "title": "Fixture post", "model_id": t.ids["models"],
                            "assignee_id": t.staff2, "asset_id": t.ids["content_assets"]}),
    Spec("onyx.bio_pages",
         lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "slug": f"new-{_u()}", "title": "New"},
         {"select": MEMBERS | {"anon"}, "insert": MANAGERS, "update": MANAGERS, "delete": MANAGERS},
         fixture=lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "slug": f"page-{_u()}",
                            "title": "Fixture page", "status": "published"}),
    Spec("onyx.bio_blocks",
         lambda t: {"agency_id": t.agency, "page_id": t.ids["bio_pages"], "type": "text"},
         {"select": MEMBERS | {"anon"}, "insert": MANAGERS, "update": MANAGERS, "delete": MANAGERS},
         fixture=lambda t: {"agency_id": t.agency, "page_id": t.ids["bio_pages"], "type": "button",
                            "content": '{"label": "Subscribe"}'}),
    Spec("onyx.quests", lambda t: {"agency_id": t.agency, "title": "New quest"}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "title": "Fixture quest", "assigned_to": t.staff2,
                            "created_by": t.owner}),
    Spec("onyx.invitations", lambda t: {"agency_id": t.agency, "email": f"n{_u()}@x.test"}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "email": f"f{_u()}@x.test", "invited_by": t.owner}),
    Spec("onyx.invitation_tokens",
         lambda t: {"invitation_id": t.ids["bare_invitation"], "agency_id": t.agency},
         _std(SERVICE, SERVICE), key="invitation_id"),
    # visible to owner/admin/smm only: `staff` (a chatter) must not see it
    Spec("onyx.knowledge_base", lambda t: {"agency_id": t.agency, "title": "New", "slug": f"new-{_u()}"}, _std(MANAGERS),
         fixture=lambda t: {"agency_id": t.agency, "title": "Pricing playbook", "slug": "pricing",
                            "visible_to": ["owner", "admin", "smm"]}),
    Spec("onyx.chat_scripts", lambda t: {"agency_id": t.agency, "title": "New", "content": "Hi"}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "title": "Opener", "content": "Hey you", "category": "opener"}),
    Spec("onyx.social_connections",
         lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "platform": "youtube"}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "platform": "instagram"}),
    Spec("onyx.social_connection_secrets",
         lambda t: {"connection_id": t.ids["bare_connection"], "agency_id": t.agency, "access_token": "tok"},
         _std(SERVICE, SERVICE), key="connection_id",
         fixture=lambda t: {"connection_id": t.ids["social_connections"], "agency_id": t.agency,
                            "access_token": f"secret-access-{_u()}", "refresh_token": f"secret-refresh-{_u()}"}),
    Spec("onyx.social_stats",
         lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "platform": "instagram", "stat_date": "2030-01-01"},
         _std(),
         fixture=lambda t: {"agency_id": t.agency, "model_id": t.ids["models"], "platform": "instagram",
                            "stat_date": "2026-01-05", "followers": 1000}),
    Spec("onyx.watched_accounts",
         lambda t: {"agency_id": t.agency, "username": f"u{_u()}", "platform": "tiktok"}, _std(),
         fixture=lambda t: {"agency_id": t.agency, "username": "rival", "platform": "instagram"}),
    Spec("onyx.tracking_events",
         lambda t: {"agency_id": t.agency, "source_type": "bio_page", "source_id": t.ids["bio_pages"], "event_type": "view"},
         {"select": MEMBERS, "insert": SERVICE, "update": SERVICE, "delete": SERVICE},
         fixture=lambda t: {"agency_id": t.agency, "source_type": "bio_page", "source_id": t.ids["bio_pages"],
                            "event_type": "view", "ip_hash": "ab" * 32}),
]


def build_tenant(conn: psycopg.Connection, name: str) -> Tenant:
    """Create one agency with its people and one fixture row in every onyx table (as `postgres`)."""
    agency = new_agency(conn, name)
    t = Tenant(
        agency=agency,
        owner=new_member(conn, agency, f"{name}-owner", "owner"),
        admin=new_member(conn, agency, f"{name}-admin", "admin"),
        staff=new_member(conn, agency, f"{name}-staff", "chatter"),
        staff2=new_member(conn, agency, f"{name}-staff2", "chatter"),
        spare=new_member(conn, agency, f"{name}-spare", "smm"),
        loose_user=new_user(conn, f"{name}-loose"),
    )
    t.ids["agencies"] = agency
    t.ids["profiles"] = t.spare
    for spec in SPECS:
        if spec.fixture is not None:
            t.ids[spec.name] = _insert(conn, spec.table, spec.fixture(t), spec.key)
    t.ids["invitation_tokens"] = t.ids["invitations"]  # minted by the invitation trigger
    # parents without their secret row, for the INSERT checks of the two secret tables
    t.ids["bare_invitation"] = _insert(conn, "onyx.invitations", {"agency_id": agency, "email": f"b{_u()}@x.test"})
    conn.execute("delete from onyx.invitation_tokens where invitation_id = %s", (t.ids["bare_invitation"],))
    t.ids["bare_connection"] = _insert(
        conn, "onyx.social_connections", {"agency_id": agency, "model_id": t.ids["models"], "platform": "tiktok"}
    )
    return t


@dataclass
class World:
    a: Tenant
    b: Tenant

    def actor(self, name: str) -> tuple[str, uuid.UUID | None]:
        """The database role and user id of a matrix actor (tenant A's people, B's, anon, the service role)."""
        return {
            "owner": ("authenticated", self.a.owner),
            "admin": ("authenticated", self.a.admin),
            "staff": ("authenticated", self.a.staff),
            "other_owner": ("authenticated", self.b.owner),
            "other_staff": ("authenticated", self.b.staff),
            "anon": ("anon", None),
            "service": ("service_role", None),
        }[name]


def build_world(conn: psycopg.Connection) -> World:
    """Agencies A and B, each with its people and fixture rows."""
    world = World(build_tenant(conn, "alpha"), build_tenant(conn, "beta"))
    assert scalar(conn, "select count(*) from onyx.invitation_tokens") == 2
    return world
