"""The OnyxOS tenancy for the shared RLS matrix (tests/database/rls_matrix.py): a World of agencies A and B
with their people, and the TableSpecs of every onyx table — the executable form of the onyx policies.

Actors (rls_matrix.ACTORS): owner_a, admin_a and member_a (a chatter) of agency A, member_b (a chatter) of B,
and platform_admin — an ODYSSEY-1 platform administrator with no onyx profile, who must see nothing here.
Tables whose rows belong to a person or depend on the reader's role have two specs (VARIANTS): one whose target
row is member_a's own (or visible to member_a's role), one whose target is a colleague's (or hidden from it).
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg

from tests.database.onyx.helpers import new_agency, new_user, scalar
from tests.database.rls_matrix import ORG_ADMINS, ORG_MEMBERS, SERVICE_ONLY, TableSpec, World

_seq = itertools.count(1)
STAFF_A = frozenset({"member_a"})
ANON = frozenset({"anon"})
_T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_T1 = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


def _n() -> int:
    return next(_seq)


def _one(conn: psycopg.Connection, query: str, params: tuple[Any, ...]) -> Any:
    value = scalar(conn, query, params)
    assert value is not None
    return value


def _profile(conn: psycopg.Connection, uid: uuid.UUID, agency: uuid.UUID, username: str, role: str) -> None:
    conn.execute(
        "insert into onyx.profiles (id, agency_id, username, role) values (%s, %s, %s, %s)",
        (uid, agency, username, role),
    )


def build_world(conn: psycopg.Connection) -> World:
    """Seed (as `postgres`, inside the caller's transaction) agencies A and B and every actor and parent row
    the specs need. Agency A: owner_a, admin_a, member_a (chatter), a colleague (chatter) and a spare (smm)."""
    users: dict[str, Any] = {}
    for name in ("owner_a", "admin_a", "member_a", "member_b", "platform_admin"):
        users[name] = new_user(conn, name)
    conn.execute("update public.profiles set is_admin = true where id = %s", (users["platform_admin"],))
    tenants = {"A": new_agency(conn, "Agency A"), "B": new_agency(conn, "Agency B")}
    people = {
        "A": {"owner": users["owner_a"], "admin": users["admin_a"], "member": users["member_a"]},
        "B": {
            "owner": new_user(conn, "owner_b"),
            "admin": new_user(conn, "admin_b"),
            "member": users["member_b"],
        },
    }
    refs: dict[str, dict[str, Any]] = {}
    for tenant, agency in tenants.items():
        p = people[tenant] | {
            "colleague": new_user(conn, f"colleague_{tenant}"),
            "spare": new_user(conn, f"spare_{tenant}"),
        }
        for key, role in (
            ("owner", "owner"),
            ("admin", "admin"),
            ("member", "chatter"),
            ("colleague", "chatter"),
            ("spare", "smm"),
        ):
            _profile(conn, p[key], agency, f"{key}-{tenant}", role)
        model = _one(
            conn, "insert into onyx.models (agency_id, name) values (%s, 'Model') returning id", (agency,)
        )
        assigned = _one(
            conn, "insert into onyx.models (agency_id, name) values (%s, 'Assigned') returning id", (agency,)
        )
        conn.execute(
            "insert into onyx.model_assignments (agency_id, model_id, profile_id) values (%s, %s, %s)",
            (agency, assigned, p["member"]),
        )
        run = _one(
            conn,
            "insert into onyx.payout_runs (agency_id, period_start, period_end, currency)"
            " values (%s, '2026-01-01', '2026-01-15', 'USD') returning id",
            (agency,),
        )
        page = _one(
            conn,
            "insert into onyx.bio_pages (agency_id, model_id, slug, title, status)"
            " values (%s, %s, %s, 'Page', 'published') returning id",
            (agency, model, f"page-{_n()}"),
        )
        draft = _one(
            conn,
            "insert into onyx.bio_pages (agency_id, model_id, slug, title, status)"
            " values (%s, %s, %s, 'Draft', 'draft') returning id",
            (agency, model, f"draft-{_n()}"),
        )
        shift = _one(
            conn,
            "insert into onyx.shifts (agency_id, employee_id, start_time, end_time)"
            " values (%s, %s, %s, %s) returning id",
            (agency, p["member"], _T0, _T1),
        )
        asset = _one(
            conn,
            "insert into onyx.content_assets (agency_id, model_id, file_name, file_url, media_type)"
            " values (%s, %s, 'a.jpg', 's3://a', 'image') returning id",
            (agency, model),
        )
        invitation = _one(
            conn,
            "insert into onyx.invitations (agency_id, email) values (%s, %s) returning id",
            (agency, f"invitee-{_n()}@x.test"),
        )
        conn.execute("delete from onyx.invitation_tokens where invitation_id = %s", (invitation,))
        connection = _one(
            conn,
            "insert into onyx.social_connections (agency_id, model_id, platform)"
            " values (%s, %s, 'instagram') returning id",
            (agency, model),
        )
        refs[tenant] = {
            "agency": agency,
            **p,
            "loose": new_user(conn, f"loose_{tenant}"),
            "model": model,
            "assigned_model": assigned,
            "run": run,
            "page": page,
            "draft_page": draft,
            "shift": shift,
            "asset": asset,
            "bare_invitation": invitation,
            "bare_connection": connection,
        }
    return World(users=users, tenants=tenants, refs=refs)


def _a(w: World, t: str) -> Any:
    return w.tenants[t]


def _r(w: World, t: str, name: str) -> Any:
    return w.refs[t][name]


def _spec(
    name: str, row: Any, changes: Any, select: frozenset[str], write: frozenset[str] = ORG_ADMINS, **kw: Any
) -> TableSpec:
    return TableSpec(
        "onyx",
        name,
        row=row,
        changes=changes,
        select=select,
        insert=kw.pop("insert", write),
        update=kw.pop("update", write),
        delete=kw.pop("delete", write),
        tenant_column="agency_id",
        **kw,
    )


def _timesheet(who: str) -> Any:
    return lambda w, t: {
        "agency_id": _a(w, t),
        "employee_id": _r(w, t, who),
        "shift_id": _r(w, t, "shift"),
        "clock_in": _T0,
        "clock_out": _T1,
        "status": "completed",
    }


def _settings(who: str) -> Any:
    return lambda w, t: {
        "agency_id": _a(w, t),
        "profile_id": _r(w, t, who),
        "pay_model": "hourly",
        "hourly_rate": Decimal("15.00"),
    }


def _item(who: str) -> Any:
    return lambda w, t: {
        "agency_id": _a(w, t),
        "run_id": _r(w, t, "run"),
        "profile_id": _r(w, t, who),
        "username": who,
        "role": "chatter",
        "currency": "USD",
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 1, 15),
        "hourly_pay": Decimal("120.00"),
    }


def _revenue(model: str) -> Any:
    return lambda w, t: {
        "agency_id": _a(w, t),
        "model_id": _r(w, t, model),
        "snapshot_date": date(2026, 1, 5),
        "gross_tips": Decimal("100.00"),
        "net_tips": Decimal("80.00"),
    }


def _kb(visible_to: list[str]) -> Any:
    return lambda w, t: {
        "agency_id": _a(w, t),
        "title": "Playbook",
        "slug": f"playbook-{_n()}",
        "visible_to": visible_to,
    }


def _task(assignee: str) -> Any:
    return lambda w, t: {
        "agency_id": _a(w, t),
        "title": "Post",
        "model_id": _r(w, t, "model"),
        "assignee_id": _r(w, t, assignee),
        "asset_id": _r(w, t, "asset"),
    }


MEMBERS_AND_OWN = ORG_ADMINS | STAFF_A  # owners/admins, the service role, and member_a on their own row

# (label, spec): the label tells the variants of one table apart in test ids
VARIANTS: tuple[tuple[str, TableSpec], ...] = (
    (
        "agencies",
        TableSpec(
            "onyx",
            "agencies",
            row=lambda w, t: {"name": f"New agency {_n()}"},
            changes=lambda w, t: {"name": "Renamed"},
            select=ORG_MEMBERS,
            insert=SERVICE_ONLY,
            update=ORG_ADMINS,
            delete=SERVICE_ONLY,
            tenant_column="id",
            target=lambda c, w, t: w.tenants[t],
            movable=False,
        ),
    ),
    (
        "profiles",
        _spec(
            "profiles",
            lambda w, t: {"id": _r(w, t, "loose"), "agency_id": _a(w, t), "username": f"new-{_n()}"},
            lambda w, t: {"username": f"renamed-{_n()}"},
            ORG_MEMBERS,
            insert=SERVICE_ONLY,
            target=lambda c, w, t: _r(w, t, "spare"),
        ),
    ),
    # a person edits their own profile (never its role or agency) but cannot delete themselves
    (
        "profiles:own",
        _spec(
            "profiles",
            lambda w, t: {"id": _r(w, t, "loose"), "agency_id": _a(w, t), "username": f"new-{_n()}"},
            lambda w, t: {"avatar_url": "https://cdn.test/me.png"},
            ORG_MEMBERS,
            insert=SERVICE_ONLY,
            update=MEMBERS_AND_OWN,
            target=lambda c, w, t: _r(w, t, "member"),
        ),
    ),
    (
        "models",
        _spec(
            "models",
            lambda w, t: {"agency_id": _a(w, t), "name": f"Model {_n()}"},
            lambda w, t: {"bio": "changed"},
            ORG_MEMBERS,
        ),
    ),
    (
        "model_credentials",
        _spec(
            "model_credentials",
            lambda w, t: {
                "agency_id": _a(w, t),
                "model_id": _r(w, t, "model"),
                "platform": "fansly",
                "access_token": f"secret-{_n()}",
            },
            lambda w, t: {"refresh_token": "rotated"},
            SERVICE_ONLY,
            SERVICE_ONLY,
        ),
    ),
    (
        "model_assignments",
        _spec(
            "model_assignments",
            lambda w, t: {
                "agency_id": _a(w, t),
                "model_id": _r(w, t, "model"),
                "profile_id": _r(w, t, "spare"),
            },
            lambda w, t: {"commission_override": Decimal("0.1000")},
            ORG_MEMBERS,
        ),
    ),
    (
        "expenses",
        _spec(
            "expenses",
            lambda w, t: {"agency_id": _a(w, t), "name": "Ads", "amount": Decimal("10.00")},
            lambda w, t: {"amount": Decimal("12.00")},
            ORG_MEMBERS,
        ),
    ),
    (
        "revenue_snapshots",
        _spec("revenue_snapshots", _revenue("model"), lambda w, t: {"subscribers": 5}, ORG_ADMINS),
    ),
    (
        "revenue_snapshots:assigned",
        _spec(
            "revenue_snapshots", _revenue("assigned_model"), lambda w, t: {"subscribers": 5}, MEMBERS_AND_OWN
        ),
    ),
    (
        "payout_settings",
        _spec(
            "payout_settings",
            _settings("colleague"),
            lambda w, t: {"hourly_rate": Decimal("11.00")},
            ORG_ADMINS,
        ),
    ),
    (
        "payout_settings:own",
        _spec(
            "payout_settings",
            _settings("member"),
            lambda w, t: {"hourly_rate": Decimal("11.00")},
            MEMBERS_AND_OWN,
        ),
    ),
    (
        "payout_runs",
        _spec(
            "payout_runs",
            lambda w, t: {
                "agency_id": _a(w, t),
                "period_start": date(2030, 2, 1),
                "period_end": date(2030, 2, 15),
                "currency": "USD",
            },
            lambda w, t: {"currency": "EUR"},
            ORG_ADMINS,
        ),
    ),
    (
        "payout_items",
        _spec("payout_items", _item("colleague"), lambda w, t: {"bonus": Decimal("5.00")}, ORG_ADMINS),
    ),
    (
        "payout_items:own",
        _spec("payout_items", _item("member"), lambda w, t: {"bonus": Decimal("5.00")}, MEMBERS_AND_OWN),
    ),
    (
        "shifts",
        _spec(
            "shifts",
            lambda w, t: {
                "agency_id": _a(w, t),
                "employee_id": _r(w, t, "member"),
                "start_time": _T0,
                "end_time": _T1,
            },
            lambda w, t: {"title": "changed"},
            ORG_MEMBERS,
        ),
    ),
    # a person reads and writes their own timesheet entries; deleting them is for owners/admins
    (
        "timesheets:own",
        _spec(
            "timesheets",
            _timesheet("member"),
            lambda w, t: {"notes": "changed"},
            MEMBERS_AND_OWN,
            MEMBERS_AND_OWN,
            delete=ORG_ADMINS,
        ),
    ),
    (
        "timesheets",
        _spec("timesheets", _timesheet("colleague"), lambda w, t: {"notes": "changed"}, ORG_ADMINS),
    ),
    (
        "content_assets",
        _spec(
            "content_assets",
            lambda w, t: {
                "agency_id": _a(w, t),
                "model_id": _r(w, t, "model"),
                "file_name": "b.jpg",
                "file_url": "s3://b",
                "media_type": "image",
            },
            lambda w, t: {"title": "changed"},
            ORG_MEMBERS,
        ),
    ),
    (
        "content_tasks",
        _spec("content_tasks", _task("colleague"), lambda w, t: {"caption": "changed"}, ORG_MEMBERS),
    ),
    (
        "content_tasks:assigned",
        _spec(
            "content_tasks",
            _task("member"),
            lambda w, t: {"caption": "changed"},
            ORG_MEMBERS,
            update=MEMBERS_AND_OWN,
        ),
    ),
    (
        "bio_pages",
        _spec(
            "bio_pages",
            lambda w, t: {
                "agency_id": _a(w, t),
                "model_id": _r(w, t, "model"),
                "slug": f"new-{_n()}",
                "title": "New",
                "status": "published",
            },
            lambda w, t: {"title": "changed"},
            ORG_MEMBERS | ANON,
        ),
    ),
    (
        "bio_pages:draft",
        _spec(
            "bio_pages",
            lambda w, t: {
                "agency_id": _a(w, t),
                "model_id": _r(w, t, "model"),
                "slug": f"new-{_n()}",
                "title": "New",
                "status": "draft",
            },
            lambda w, t: {"title": "changed"},
            ORG_MEMBERS,
        ),
    ),
    (
        "bio_blocks",
        _spec(
            "bio_blocks",
            lambda w, t: {"agency_id": _a(w, t), "page_id": _r(w, t, "page"), "type": "button"},
            lambda w, t: {"order_index": 3},
            ORG_MEMBERS | ANON,
        ),
    ),
    (
        "bio_blocks:draft",
        _spec(
            "bio_blocks",
            lambda w, t: {"agency_id": _a(w, t), "page_id": _r(w, t, "draft_page"), "type": "button"},
            lambda w, t: {"order_index": 3},
            ORG_MEMBERS,
        ),
    ),
    (
        "quests",
        _spec(
            "quests",
            lambda w, t: {"agency_id": _a(w, t), "title": "Quest", "assigned_to": _r(w, t, "member")},
            lambda w, t: {"xp_reward": 50},
            ORG_MEMBERS,
        ),
    ),
    (
        "invitations",
        _spec(
            "invitations",
            lambda w, t: {"agency_id": _a(w, t), "email": f"n{_n()}@x.test"},
            lambda w, t: {"role": "smm"},
            ORG_MEMBERS,
        ),
    ),
    (
        "invitation_tokens",
        _spec(
            "invitation_tokens",
            lambda w, t: {"invitation_id": _r(w, t, "bare_invitation"), "agency_id": _a(w, t)},
            lambda w, t: {"token": "ab" * 32},
            SERVICE_ONLY,
            SERVICE_ONLY,
            key="invitation_id",
        ),
    ),
    (
        "knowledge_base",
        _spec(
            "knowledge_base", _kb(["owner", "admin", "smm"]), lambda w, t: {"excerpt": "changed"}, ORG_ADMINS
        ),
    ),
    (
        "knowledge_base:visible",
        _spec("knowledge_base", _kb(["chatter"]), lambda w, t: {"excerpt": "changed"}, ORG_MEMBERS),
    ),
    (
        "chat_scripts",
        _spec(
            "chat_scripts",
            lambda w, t: {"agency_id": _a(w, t), "title": "Opener", "content": "Hey"},
            lambda w, t: {"usage_count": 3},
            ORG_MEMBERS,
        ),
    ),
    (
        "social_connections",
        _spec(
            "social_connections",
            lambda w, t: {"agency_id": _a(w, t), "model_id": _r(w, t, "model"), "platform": "youtube"},
            lambda w, t: {"platform_user_id": "changed"},
            ORG_MEMBERS,
        ),
    ),
    (
        "social_connection_secrets",
        _spec(
            "social_connection_secrets",
            lambda w, t: {
                "connection_id": _r(w, t, "bare_connection"),
                "agency_id": _a(w, t),
                "access_token": f"secret-{_n()}",
            },
            lambda w, t: {"refresh_token": "rotated"},
            SERVICE_ONLY,
            SERVICE_ONLY,
            key="connection_id",
        ),
    ),
    (
        "social_stats",
        _spec(
            "social_stats",
            lambda w, t: {
                "agency_id": _a(w, t),
                "model_id": _r(w, t, "model"),
                "platform": "instagram",
                "stat_date": date(2026, 1, 5),
            },
            lambda w, t: {"likes": 7},
            ORG_MEMBERS,
        ),
    ),
    (
        "watched_accounts",
        _spec(
            "watched_accounts",
            lambda w, t: {"agency_id": _a(w, t), "username": f"rival{_n()}", "platform": "tiktok"},
            lambda w, t: {"notes": "changed"},
            ORG_MEMBERS,
        ),
    ),
    (
        "tracking_events",
        _spec(
            "tracking_events",
            lambda w, t: {
                "agency_id": _a(w, t),
                "source_type": "bio_page",
                "source_id": _r(w, t, "page"),
                "event_type": "view",
                "ip_hash": "ab" * 32,
            },
            lambda w, t: {"device_type": "mobile"},
            ORG_MEMBERS,
            SERVICE_ONLY,
        ),
    ),
)

SPECS: tuple[TableSpec, ...] = tuple(spec for _, spec in VARIANTS)
