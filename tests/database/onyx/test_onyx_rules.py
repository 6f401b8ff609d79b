"""OnyxOS rules beyond the matrix: schema consistency, self-service limits on profiles, secrets, the public
bio-page surface and the tracking RPC, and the documented indexes."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import psycopg
import pytest

from tests.database.onyx.helpers import acting_as, new_agency, new_member, scalar


@dataclass
class Agency:
    id: uuid.UUID
    owner: uuid.UUID
    admin: uuid.UUID
    staff: uuid.UUID
    model: uuid.UUID
    page: uuid.UUID  # published
    block: uuid.UUID  # on the published page
    draft: uuid.UUID
    draft_block: uuid.UUID


def _make(db: psycopg.Connection, name: str) -> Agency:
    a = new_agency(db, name, timezone="Europe/Berlin", currency="EUR")
    owner, admin, staff = (new_member(db, a, f"{name}-{r}", r) for r in ("owner", "admin", "chatter"))
    model = scalar(db, "insert into onyx.models (agency_id, name) values (%s, 'M') returning id", (a,))

    def page(slug: str, status: str) -> tuple[uuid.UUID, uuid.UUID]:
        pid = scalar(
            db,
            "insert into onyx.bio_pages (agency_id, model_id, slug, title, status)"
            " values (%s, %s, %s, 'T', %s) returning id",
            (a, model, slug, status),
        )
        bid = scalar(
            db,
            "insert into onyx.bio_blocks (agency_id, page_id, type) values (%s, %s, 'button') returning id",
            (a, pid),
        )
        return pid, bid

    published, block = page(f"{name}-live", "published")
    draft, draft_block = page(f"{name}-soon", "draft")
    return Agency(a, owner, admin, staff, model, published, block, draft, draft_block)


@pytest.fixture
def ag(db: psycopg.Connection) -> Agency:
    return _make(db, "rosa")


def _refused(
    db: psycopg.Connection,
    error: type[Exception],
    sql: str,
    params: tuple = (),
    *,
    role: str | None = None,
    uid: uuid.UUID | None = None,
) -> None:
    with pytest.raises(error):
        if role is None:
            with db.transaction():
                db.execute(sql, params)
        else:
            with acting_as(db, role, uid):
                db.execute(sql, params)


# Consistency ------------------------------------------------------------------------------------------
def test_schema_consistency_rules(db: psycopg.Connection, ag: Agency) -> None:
    a, staff = ag.id, ag.staff
    check, unique = psycopg.errors.CheckViolation, psycopg.errors.UniqueViolation
    _refused(
        db,
        check,
        "insert into onyx.shifts (agency_id, employee_id, start_time, end_time)"
        " values (%s, %s, '2026-01-01 10:00Z', '2026-01-01 09:00Z')",
        (a, staff),
    )
    _refused(
        db,
        check,
        "insert into onyx.timesheets (agency_id, employee_id, clock_in, clock_out, status)"
        " values (%s, %s, '2026-01-01 10:00Z', '2026-01-01 10:00Z', 'completed')",
        (a, staff),
    )
    # completed needs a clock_out, active must not have one
    _refused(
        db,
        check,
        "insert into onyx.timesheets (agency_id, employee_id, clock_in, status)"
        " values (%s, %s, '2026-01-01 10:00Z', 'completed')",
        (a, staff),
    )
    db.execute(
        "insert into onyx.timesheets (agency_id, employee_id, clock_in) values (%s, %s, '2026-01-02 09:00Z')",
        (a, staff),
    )
    _refused(
        db,
        unique,
        "insert into onyx.timesheets (agency_id, employee_id, clock_in) values (%s, %s, '2026-01-03 09:00Z')",
        (a, staff),
    )
    for slug in ("A-upper", "x", "-edge", "edge-", "has space", "a" * 51, "ünï"):
        _refused(
            db,
            check,
            "insert into onyx.bio_pages (agency_id, model_id, slug, title) values (%s, %s, %s, 'T')",
            (a, ag.model, slug),
        )
    db.execute(
        "insert into onyx.bio_pages (agency_id, model_id, slug, title) values (%s, %s, %s, 'T')",
        (a, ag.model, "a" * 50),
    )
    other = _make(db, "other")
    _refused(
        db,
        unique,
        "insert into onyx.bio_pages (agency_id, model_id, slug, title) values (%s, %s, 'rosa-live', 'T')",
        (other.id, other.model),
    )  # slugs are unique across agencies: they are public URLs
    stats = "insert into onyx.social_stats (agency_id, model_id, platform, stat_date) values (%s, %s, 'tiktok', '2026-01-01')"
    db.execute(stats, (a, ag.model))
    _refused(db, unique, stats, (a, ag.model))
    watched = (
        "insert into onyx.watched_accounts (agency_id, username, platform) values (%s, 'rival', 'instagram')"
    )
    db.execute(watched, (a,))
    db.execute(watched, (other.id,))  # another agency may watch the same account
    _refused(db, unique, watched, (a,))
    # a row cannot point at another agency's model, whatever the caller's rights
    _refused(
        db,
        psycopg.errors.ForeignKeyViolation,
        "insert into onyx.shifts (agency_id, employee_id, model_id, start_time, end_time)"
        " values (%s, %s, %s, '2026-01-01 09:00Z', '2026-01-01 10:00Z')",
        (a, staff, other.model),
    )


def test_agency_time_zone_must_be_an_iana_name(db: psycopg.Connection, ag: Agency) -> None:
    for bad in ("Mars/Olympus", "utc+5", ""):
        _refused(
            db,
            psycopg.errors.InvalidParameterValue,
            "update onyx.agencies set timezone = %s where id = %s",
            (bad, ag.id),
        )
    db.execute("update onyx.agencies set timezone = 'Asia/Kolkata' where id = %s", (ag.id,))
    assert scalar(db, "select timezone from onyx.agencies where id = %s", (ag.id,)) == "Asia/Kolkata"


# Profiles ---------------------------------------------------------------------------------------------
def test_nobody_changes_their_own_role_or_agency(db: psycopg.Connection, ag: Agency) -> None:
    other = _make(db, "elsewhere")
    for uid, wanted in ((ag.staff, "owner"), (ag.admin, "owner"), (ag.owner, "admin")):
        _refused(
            db,
            psycopg.errors.InsufficientPrivilege,
            "update onyx.profiles set role = %s where id = %s",
            (wanted, uid),
            role="authenticated",
            uid=uid,
        )
        _refused(
            db,
            psycopg.errors.InsufficientPrivilege,
            "update onyx.profiles set agency_id = %s where id = %s",
            (other.id, uid),
            role="authenticated",
            uid=uid,
        )
    _refused(
        db,
        psycopg.errors.InsufficientPrivilege,
        "update onyx.profiles set total_xp = 999999 where id = %s",
        (ag.staff,),
        role="authenticated",
        uid=ag.staff,
    )
    # but a person edits their own display fields
    with acting_as(db, "authenticated", ag.staff):
        assert (
            db.execute(
                "update onyx.profiles set username = 'rosa-renamed' where id = %s", (ag.staff,)
            ).rowcount
            == 1
        )
    # an admin promotes staff to admin, but only an owner hands out (or takes away) the owner role
    with acting_as(db, "authenticated", ag.admin):
        assert db.execute("update onyx.profiles set role = 'smm' where id = %s", (ag.staff,)).rowcount == 1
    _refused(
        db,
        psycopg.errors.InsufficientPrivilege,
        "update onyx.profiles set role = 'owner' where id = %s",
        (ag.staff,),
        role="authenticated",
        uid=ag.admin,
    )
    _refused(
        db,
        psycopg.errors.InsufficientPrivilege,
        "update onyx.profiles set role = 'chatter' where id = %s",
        (ag.owner,),
        role="authenticated",
        uid=ag.admin,
    )
    with acting_as(db, "authenticated", ag.owner):
        assert db.execute("update onyx.profiles set role = 'owner' where id = %s", (ag.admin,)).rowcount == 1
    assert db.execute(
        "select role from onyx.profiles where id = any(%s) order by username", ([ag.admin, ag.staff],)
    ).fetchall() == [("owner",), ("smm",)]


def test_only_an_owner_removes_an_owner(db: psycopg.Connection, ag: Agency) -> None:
    # the delete policy lets owners and admins remove other members; removing an owner takes the owner role
    # away, which only an owner may do (as for role changes)
    _refused(
        db,
        psycopg.errors.InsufficientPrivilege,
        "delete from onyx.profiles where id = %s",
        (ag.owner,),
        role="authenticated",
        uid=ag.admin,
    )
    assert scalar(db, "select count(*) from onyx.profiles where id = %s", (ag.owner,)) == 1
    # an admin still removes staff, and an owner removes a co-owner
    co_owner = new_member(db, ag.id, "rosa-co-owner", "owner")
    with acting_as(db, "authenticated", ag.admin):
        assert db.execute("delete from onyx.profiles where id = %s", (ag.staff,)).rowcount == 1
    with acting_as(db, "authenticated", ag.owner):
        assert db.execute("delete from onyx.profiles where id = %s", (co_owner,)).rowcount == 1
    # the service role (no user) removes anyone, e.g. when an account is closed
    with acting_as(db, "service_role"):
        assert db.execute("delete from onyx.profiles where id = %s", (ag.owner,)).rowcount == 1


def test_a_person_with_finalized_payouts_is_not_deleted(db: psycopg.Connection, ag: Agency) -> None:
    run = scalar(db, "select id from onyx.calculate_payout_run(%s, '2026-01-01', '2026-01-15')", (ag.id,))
    db.execute("select onyx.finalize_payout_run(%s)", (run,))
    _refused(
        db,
        psycopg.errors.ObjectNotInPrerequisiteState,
        "delete from onyx.profiles where id = %s",
        (ag.staff,),
    )
    assert scalar(db, "select count(*) from onyx.payout_items where profile_id = %s", (ag.staff,)) == 1


# Secrets ----------------------------------------------------------------------------------------------
def test_no_token_column_is_readable_through_the_api(db: psycopg.Connection) -> None:
    columns = db.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'onyx' and (column_name like '%%token%%' or column_name like '%%secret%%')"
    ).fetchall()
    assert {t for t, _ in columns} == {"model_credentials", "invitation_tokens", "social_connection_secrets"}
    for table, column in columns:
        for role in ("anon", "authenticated"):
            assert not scalar(
                db, "select has_column_privilege(%s, %s, %s, 'SELECT')", (role, f"onyx.{table}", column)
            )
        assert scalar(
            db, "select has_column_privilege('service_role', %s, %s, 'SELECT')", (f"onyx.{table}", column)
        )


def test_invitation_tokens_are_minted_and_hidden(db: psycopg.Connection, ag: Agency) -> None:
    with acting_as(db, "authenticated", ag.admin):
        invitation = scalar(
            db,
            "insert into onyx.invitations (agency_id, email, role) values (%s, 'new@x.test', 'smm')"
            " returning id",
            (ag.id,),
        )
        assert "token" not in [
            c.name for c in db.execute("select * from onyx.invitations limit 1").description or []
        ]
    _refused(
        db,
        psycopg.errors.InsufficientPrivilege,
        "select token from onyx.invitation_tokens",
        role="authenticated",
        uid=ag.owner,
    )
    with acting_as(db, "service_role"):
        token = scalar(db, "select token from onyx.invitation_tokens where invitation_id = %s", (invitation,))
    assert token is not None and len(token) == 64 and int(token, 16) >= 0
    _refused(
        db,
        psycopg.errors.CheckViolation,
        "insert into onyx.invitations (agency_id, email, role) values (%s, 'boss@x.test', 'owner')",
        (ag.id,),
        role="authenticated",
        uid=ag.owner,
    )


# The public surface -----------------------------------------------------------------------------------
def test_anon_reads_published_bio_pages_and_nothing_else(db: psycopg.Connection, ag: Agency) -> None:
    with acting_as(db, "anon"):
        page = db.execute("select id, title from onyx.bio_pages where slug = 'rosa-live'").fetchall()
        assert page == [(ag.page, "T")]
        assert db.execute("select id from onyx.bio_pages where slug = 'rosa-soon'").fetchall() == []
        assert db.execute(
            "select id from onyx.bio_blocks where page_id = any(%s)", ([ag.page, ag.draft],)
        ).fetchall() == [(ag.block,)]
    tables = [
        t for (t,) in db.execute("select tablename from pg_tables where schemaname = 'onyx'").fetchall()
    ]
    for table in tables:
        if table in ("bio_pages", "bio_blocks"):
            continue
        _refused(db, psycopg.errors.InsufficientPrivilege, f"select 1 from onyx.{table} limit 1", role="anon")
    callable_by_anon = db.execute(
        "select n.nspname, p.proname, p.prosecdef from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname in ('onyx', 'private') and has_function_privilege('anon', p.oid, 'EXECUTE')"
        " order by 1"
    ).fetchall()
    # the public RPC runs with the caller's rights; only its unexposed implementation is a definer
    assert callable_by_anon == [
        ("onyx", "record_tracking_event", False),
        ("private", "record_tracking_event", True),
    ]


def _hash(ip: str) -> str:
    return hashlib.sha256(ip.encode()).hexdigest()


def test_tracking_records_views_and_clicks_of_published_pages(db: psycopg.Connection, ag: Agency) -> None:
    with acting_as(db, "anon"):
        db.execute(
            "select onyx.record_tracking_event('bio_page', %s, 'view', %s, 'Mozilla/5.0', null, 'mobile')",
            (ag.page, _hash("203.0.113.7")),
        )
        db.execute(
            "select onyx.record_tracking_event('bio_block', %s, 'click', %s)",
            (ag.block, _hash("203.0.113.7")),
        )
        db.execute("select onyx.record_tracking_event('bio_block', %s, 'click')", (ag.block,))
    events = db.execute(
        "select agency_id, source_type, event_type, ip_hash, device_type from onyx.tracking_events"
        " order by created_at, source_type desc"
    ).fetchall()
    assert [(e[1], e[2]) for e in events] == [
        ("bio_page", "view"),
        ("bio_block", "click"),
        ("bio_block", "click"),
    ]
    assert (
        {e[0] for e in events} == {ag.id}
        and events[0][3] == _hash("203.0.113.7")
        and events[0][4] == "mobile"
    )
    assert db.execute(
        "select total_visits, total_clicks from onyx.bio_pages where id = %s", (ag.page,)
    ).fetchone() == (1, 2)
    assert scalar(db, "select click_count from onyx.bio_blocks where id = %s", (ag.block,)) == 2
    # members of the agency read their events; nobody but the service role changes them
    with acting_as(db, "authenticated", ag.staff):
        assert scalar(db, "select count(*) from onyx.tracking_events") == 3
    for sql in (
        "update onyx.tracking_events set device_type = 'bot'",
        "delete from onyx.tracking_events",
        "insert into onyx.tracking_events (agency_id, source_type, source_id, event_type)"
        f" values ('{ag.id}', 'bio_page', '{ag.page}', 'view')",
    ):
        _refused(db, psycopg.errors.InsufficientPrivilege, sql, role="authenticated", uid=ag.owner)


@pytest.mark.parametrize(
    ("source", "event", "ip_hash", "error", "message"),
    [
        ("bio_page", "view", "203.0.113.7", psycopg.errors.InvalidParameterValue, "never a raw IP"),
        ("bio_page", "view", "2001:db8::1", psycopg.errors.InvalidParameterValue, "never a raw IP"),
        (
            "bio_page",
            "view",
            "20010db8000000000000000000000001",
            psycopg.errors.InvalidParameterValue,
            "SHA-256",
        ),
        ("bio_page", "view", "AB" * 32, psycopg.errors.InvalidParameterValue, "lowercase"),
        ("bio_page", "like", None, psycopg.errors.InvalidParameterValue, "unknown event_type"),
        ("bio_page", "click", None, psycopg.errors.InvalidParameterValue, "records views"),
        ("bio_block", "view", None, psycopg.errors.InvalidParameterValue, "records clicks"),
        ("redirect_link", "click", None, psycopg.errors.InvalidParameterValue, "unknown source_type"),
        ("draft_page", "view", None, psycopg.errors.NoDataFound, "no published bio page"),
        ("draft_block", "click", None, psycopg.errors.NoDataFound, "no published bio block"),
        ("missing", "view", None, psycopg.errors.NoDataFound, "no published bio page"),
    ],
)
def test_tracking_rejects_bad_input(
    db: psycopg.Connection,
    ag: Agency,
    source: str,
    event: str,
    ip_hash: str | None,
    error: type[Exception],
    message: str,
) -> None:
    source_type, source_id = {
        "draft_page": ("bio_page", ag.draft),
        "draft_block": ("bio_block", ag.draft_block),
        "missing": ("bio_page", uuid.uuid4()),
        "bio_block": ("bio_block", ag.block),
    }.get(source, (source, ag.page))
    with pytest.raises(error, match=message):
        with acting_as(db, "anon"):
            db.execute(
                "select onyx.record_tracking_event(%s, %s, %s, %s)", (source_type, source_id, event, ip_hash)
            )
    assert scalar(db, "select count(*) from onyx.tracking_events") == 0
    assert scalar(db, "select total_visits + total_clicks from onyx.bio_pages where id = %s", (ag.page,)) == 0


# Documented indexes -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("index", "definition"),
    [
        ("idx_profiles_agency", "profiles USING btree (agency_id)"),
        ("idx_models_agency", "models USING btree (agency_id)"),
        ("idx_shifts_employee", "shifts USING btree (employee_id)"),
        ("idx_timesheets_employee", "timesheets USING btree (employee_id)"),
        ("idx_content_tasks_scheduled", "content_tasks USING btree (scheduled_at)"),
        ("idx_content_tasks_status", "content_tasks USING btree (status)"),
    ],
)
def test_the_documents_indexes_exist(db: psycopg.Connection, index: str, definition: str) -> None:
    found = scalar(
        db, "select indexdef from pg_indexes where schemaname = 'onyx' and indexname = %s", (index,)
    )
    assert found is not None and found.endswith(f"ON onyx.{definition}")
