"""Deterministic OnyxOS demo data (schema `onyx`), called by devkit/seed.py inside its one transaction.

`seed(conn, scale, rng)` creates agencies with their people (auth.users rows — the auth trigger of the core
schema adds the matching public.profiles — and onyx.profiles), payout settings, models and assignments, shifts
and timesheets, daily revenue, and bio pages (published and draft) with their blocks. Every value derives from
`rng` and from fixed dates ending at ANCHOR_DATE, never from today's date, so two runs load identical rows.
Rows are streamed with COPY.

Demo logins (password DEMO_PASSWORD): owner@<agency>.onyx.test, admin@<agency>.onyx.test and
<staff username>@<agency>.onyx.test, e.g. owner@nightfall.onyx.test and chatter1@nightfall.onyx.test. The last
staff member of every agency has no payout settings on purpose (payouts show them as "no payout settings").
Timesheets cover the four weeks ending ANCHOR_DATE, clock times local to the agency's time zone; revenue
covers the 60 days ending ANCHOR_DATE.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

ANCHOR_DATE = date(2026, 11, 29)
TIMESHEET_DAYS = 28
REVENUE_DAYS = 60
DEMO_PASSWORD = "odyssey-demo"  # noqa: S105 - the documented password of local demo logins
_BCRYPT_SALT = "$2a$06$OnyxOSSeedDemoSaltXyz1"  # fixed salt: the same hash on every run
_INSTANCE = "00000000-0000-0000-0000-000000000000"
_CREATED = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class OnyxScale:
    """How much OnyxOS data one scale holds."""

    agencies: int
    staff_per_agency: int  # besides the owner and the admin
    models_per_agency: int


SCALES: dict[str, OnyxScale] = {
    "small": OnyxScale(agencies=2, staff_per_agency=4, models_per_agency=3),
    "medium": OnyxScale(agencies=6, staff_per_agency=10, models_per_agency=8),
    "large": OnyxScale(agencies=20, staff_per_agency=25, models_per_agency=15),
}

_AGENCY_NAMES = [
    "Nightfall",
    "Velvet Room",
    "Starlight",
    "Crimson Desk",
    "Blue Hour",
    "Aurora",
    "Midnight Oil",
    "Silver Lining",
    "Golden Gate",
    "Northwind",
]
_TIMEZONES = [
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "America/Los_Angeles",
    "Asia/Manila",
    "Australia/Sydney",
]
_CURRENCY = {
    "America/New_York": "USD",
    "America/Los_Angeles": "USD",
    "Europe/London": "GBP",
    "Europe/Berlin": "EUR",
    "Asia/Manila": "USD",
    "Australia/Sydney": "AUD",
}
_STAFF_ROLES = ["chatter", "chatter", "smm", "chatter", "recruiter"]
_MODEL_NAMES = [
    "Luna",
    "Aria",
    "Mia",
    "Zoe",
    "Ivy",
    "Nova",
    "Skye",
    "Jade",
    "Ruby",
    "Lexi",
    "Cleo",
    "Nina",
    "Rose",
    "Tess",
    "Vera",
]
_BLOCK_TYPES = ["header", "social_row", "button", "button", "text", "divider", "image"]


@dataclass
class _Person:
    id: uuid.UUID
    agency_id: uuid.UUID
    username: str
    role: str
    email: str


@dataclass
class _Agency:
    id: uuid.UUID
    name: str
    slug: str
    timezone: str
    currency: str
    people: list[_Person] = field(default_factory=list)
    models: list[uuid.UUID] = field(default_factory=list)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _money(value: float) -> Decimal:
    # rng floats only pick a demo amount; it is converted to exact cents at once
    return Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _copy(conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with conn.cursor() as cur:
        with cur.copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def _plan(scale: OnyxScale, rng: random.Random) -> list[_Agency]:
    agencies = []
    for i in range(scale.agencies):
        base = _AGENCY_NAMES[i % len(_AGENCY_NAMES)]
        name = base if i < len(_AGENCY_NAMES) else f"{base} {i // len(_AGENCY_NAMES) + 1}"
        slug = name.lower().replace(" ", "-")
        tz = _TIMEZONES[i % len(_TIMEZONES)]
        agency = _Agency(_uuid(rng), name, slug, tz, _CURRENCY[tz])
        roles = ["owner", "admin"] + [
            _STAFF_ROLES[n % len(_STAFF_ROLES)] for n in range(scale.staff_per_agency)
        ]
        counters: dict[str, int] = {}
        for role in roles:
            counters[role] = counters.get(role, 0) + 1
            username = role if role in ("owner", "admin") else f"{role}{counters[role]}"
            agency.people.append(
                _Person(_uuid(rng), agency.id, username, role, f"{username}@{slug}.onyx.test")
            )
        agency.models = [_uuid(rng) for _ in range(scale.models_per_agency)]
        agencies.append(agency)
    return agencies


def seed(conn: psycopg.Connection, scale: str, rng: random.Random) -> None:
    """Load the OnyxOS data set of `scale` (small, medium or large) through `conn`, in its transaction.

    Deterministic for a given `rng` state. Raises ValueError for an unknown scale and lets psycopg errors
    propagate (the caller's transaction then rolls everything back).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    agencies = _plan(SCALES[scale], rng)
    row = conn.execute("select extensions.crypt(%s, %s)", (DEMO_PASSWORD, _BCRYPT_SALT)).fetchone()
    assert row is not None
    password_hash = row[0]
    people = [p for a in agencies for p in a.people]

    _copy(
        conn,
        "auth.users",
        [
            "instance_id",
            "id",
            "aud",
            "role",
            "email",
            "encrypted_password",
            "email_confirmed_at",
            "raw_app_meta_data",
            "raw_user_meta_data",
            "created_at",
            "updated_at",
            # empty strings, not NULL: the Supabase auth service cannot read NULL token columns
            "confirmation_token",
            "recovery_token",
            "email_change_token_new",
            "email_change",
        ],
        (
            [
                _INSTANCE,
                p.id,
                "authenticated",
                "authenticated",
                p.email,
                password_hash,
                _CREATED,
                '{"provider": "email", "providers": ["email"]}',
                f'{{"full_name": "{p.username.title()}"}}',
                _CREATED,
                _CREATED,
                "",
                "",
                "",
                "",
            ]
            for p in people
        ),
    )
    _copy(
        conn,
        "onyx.agencies",
        [
            "id",
            "name",
            "registration_number",
            "treasury_balance",
            "tax_jurisdiction",
            "tax_rate",
            "currency",
            "timezone",
            "created_at",
            "updated_at",
        ],
        (
            [
                a.id,
                a.name,
                f"REG-{n + 1:05d}",
                _money(rng.uniform(5_000, 250_000)),
                a.timezone.split("/")[0],
                Decimal("0.2000"),
                a.currency,
                a.timezone,
                _CREATED,
                _CREATED,
            ]
            for n, a in enumerate(agencies)
        ),
    )
    _copy(
        conn,
        "onyx.profiles",
        [
            "id",
            "agency_id",
            "username",
            "role",
            "xp_count",
            "total_xp",
            "current_streak",
            "last_login_date",
            "league_rank",
            "created_at",
            "updated_at",
        ],
        (
            [
                p.id,
                p.agency_id,
                p.username,
                p.role,
                xp,
                xp + rng.randint(0, 5000),
                rng.randint(0, 30),
                ANCHOR_DATE - timedelta(days=rng.randint(0, 6)),
                rng.choice(["bronze", "silver", "gold", "platinum"]),
                _CREATED,
                _CREATED,
            ]
            for p in people
            for xp in [rng.randint(0, 2000)]
        ),
    )

    for agency in agencies:
        _seed_agency(conn, agency, rng)


def _seed_agency(conn: psycopg.Connection, agency: _Agency, rng: random.Random) -> None:
    tz = ZoneInfo(agency.timezone)
    staff = [p for p in agency.people if p.role != "owner"]
    owner = agency.people[0]

    # payout settings: everyone but the owner and the last staff member (left without on purpose)
    settings = []
    for n, person in enumerate(staff[:-1]):
        model = ("hourly", "commission", "hybrid")[n % 3]
        rate = _money(rng.uniform(12, 30)) if model != "commission" else None
        pct = (
            Decimal(str(rng.choice([0.05, 0.08, 0.1, 0.125, 0.15]))).quantize(Decimal("0.0001"))
            if model != "hourly"
            else None
        )
        settings.append(
            [
                _uuid(rng),
                agency.id,
                person.id,
                agency.currency,
                model,
                rate,
                pct,
                rng.choice(["bank_transfer", "paypal", "wise"]),
                "{}",
                _CREATED,
                _CREATED,
            ]
        )
    _copy(
        conn,
        "onyx.payout_settings",
        [
            "id",
            "agency_id",
            "profile_id",
            "currency",
            "pay_model",
            "hourly_rate",
            "commission_percent",
            "payment_method",
            "payment_details",
            "created_at",
            "updated_at",
        ],
        settings,
    )

    names = [
        f"{_MODEL_NAMES[n % len(_MODEL_NAMES)]}"
        + (f" {n // len(_MODEL_NAMES) + 1}" if n >= len(_MODEL_NAMES) else "")
        for n in range(len(agency.models))
    ]
    _copy(
        conn,
        "onyx.models",
        [
            "id",
            "agency_id",
            "name",
            "bio",
            "onlyfans_handle",
            "instagram_handle",
            "agency_split_percentage",
            "status",
            "followers_count",
            "subscribers_count",
            "created_at",
            "updated_at",
        ],
        (
            [
                m,
                agency.id,
                name,
                f"{name} — demo creator of {agency.name}.",
                f"{name.lower().replace(' ', '')}_of",
                f"{name.lower().replace(' ', '')}.ig",
                Decimal(rng.choice(["40.00", "50.00", "60.00"])),
                "active" if n % 7 else "onboarding",
                rng.randint(1_000, 500_000),
                rng.randint(50, 20_000),
                _CREATED,
                _CREATED,
            ]
            for n, (m, name) in enumerate(zip(agency.models, names, strict=True))
        ),
    )

    # every staff member works on one or two models since the start of the revenue window
    assignments = []
    since = ANCHOR_DATE - timedelta(days=REVENUE_DAYS - 1)
    for n, person in enumerate(staff):
        chosen = {agency.models[n % len(agency.models)], rng.choice(agency.models)}
        for model_id in sorted(chosen):
            assignments.append(
                [_uuid(rng), agency.id, model_id, person.id, None, True, since, None, _CREATED, _CREATED]
            )
    _copy(
        conn,
        "onyx.model_assignments",
        [
            "id",
            "agency_id",
            "model_id",
            "profile_id",
            "commission_override",
            "is_active",
            "assigned_from",
            "assigned_until",
            "created_at",
            "updated_at",
        ],
        assignments,
    )

    # shifts and the matching timesheets, weekdays of the last four weeks, in the agency's local time
    shifts, sheets = [], []
    for day_offset in range(TIMESHEET_DAYS - 1, -1, -1):
        day = ANCHOR_DATE - timedelta(days=day_offset)
        if day.weekday() >= 5:
            continue
        for person in staff:
            if rng.random() < 0.1:
                continue  # a day off
            start = datetime.combine(day, time(9 + rng.randint(0, 3)), tzinfo=tz)
            end = start + timedelta(hours=rng.choice([6, 8, 8, 9]))
            shift_id = _uuid(rng)
            shifts.append(
                [
                    shift_id,
                    agency.id,
                    person.id,
                    rng.choice(agency.models),
                    start,
                    end,
                    "Chat shift",
                    "completed",
                    owner.id,
                    _CREATED,
                    _CREATED,
                ]
            )
            late = max(0, rng.randint(-10, 20))
            early = max(0, rng.randint(-30, 15))
            clock_in = start + timedelta(minutes=late)
            clock_out = end - timedelta(minutes=early)
            sheets.append(
                [
                    _uuid(rng),
                    agency.id,
                    person.id,
                    shift_id,
                    clock_in,
                    clock_out,
                    late > 0,
                    late,
                    early > 0,
                    early,
                    "completed",
                    _CREATED,
                    _CREATED,
                ]
            )
    _copy(
        conn,
        "onyx.shifts",
        [
            "id",
            "agency_id",
            "employee_id",
            "model_id",
            "start_time",
            "end_time",
            "title",
            "status",
            "created_by",
            "created_at",
            "updated_at",
        ],
        shifts,
    )
    _copy(
        conn,
        "onyx.timesheets",
        [
            "id",
            "agency_id",
            "employee_id",
            "shift_id",
            "clock_in",
            "clock_out",
            "is_late",
            "late_minutes",
            "is_early_leave",
            "early_leave_minutes",
            "status",
            "created_at",
            "updated_at",
        ],
        sheets,
    )

    # daily revenue per model; net is after the platform's 20% fee
    revenue = []
    for model_id in agency.models:
        level = rng.uniform(80, 900)
        for day_offset in range(REVENUE_DAYS - 1, -1, -1):
            gross = [_money(level * rng.uniform(0.2, 0.6) * share) for share in (0.45, 0.25, 0.2, 0.1)]
            net = [(g * Decimal("0.80")).quantize(_CENT, rounding=ROUND_HALF_UP) for g in gross]
            revenue.append(
                [
                    _uuid(rng),
                    agency.id,
                    model_id,
                    ANCHOR_DATE - timedelta(days=day_offset),
                    *gross,
                    *net,
                    rng.randint(100, 5000),
                    _CREATED,
                    _CREATED,
                ]
            )
    _copy(
        conn,
        "onyx.revenue_snapshots",
        [
            "id",
            "agency_id",
            "model_id",
            "snapshot_date",
            "gross_subscriptions",
            "gross_tips",
            "gross_messages",
            "gross_posts",
            "net_subscriptions",
            "net_tips",
            "net_messages",
            "net_posts",
            "subscribers",
            "created_at",
            "updated_at",
        ],
        revenue,
    )

    # one bio page per model: two of three published, the rest drafts; four to seven blocks each
    pages, blocks = [], []
    for n, (model_id, name) in enumerate(zip(agency.models, names, strict=True)):
        page_id = _uuid(rng)
        slug = f"{name.lower().replace(' ', '-')}-{agency.slug}"
        status = "draft" if n % 3 == 2 else "published"
        pages.append(
            [
                page_id,
                agency.id,
                model_id,
                slug,
                f"{name}'s links",
                f"Everything {name}, in one place.",
                status,
                '{"palette": "midnight"}',
                rng.randint(0, 20_000),
                rng.randint(0, 5_000),
                _CREATED,
                _CREATED,
            ]
        )
        for order in range(rng.randint(4, 7)):
            kind = _BLOCK_TYPES[order % len(_BLOCK_TYPES)]
            blocks.append(
                [
                    _uuid(rng),
                    agency.id,
                    page_id,
                    kind,
                    f'{{"label": "{kind} {order + 1}"}}',
                    "{}",
                    order,
                    rng.randint(0, 2_000),
                    _CREATED,
                    _CREATED,
                ]
            )
    _copy(
        conn,
        "onyx.bio_pages",
        [
            "id",
            "agency_id",
            "model_id",
            "slug",
            "title",
            "description",
            "status",
            "theme",
            "total_visits",
            "total_clicks",
            "created_at",
            "updated_at",
        ],
        pages,
    )
    _copy(
        conn,
        "onyx.bio_blocks",
        [
            "id",
            "agency_id",
            "page_id",
            "type",
            "content",
            "config",
            "order_index",
            "click_count",
            "created_at",
            "updated_at",
        ],
        blocks,
    )
