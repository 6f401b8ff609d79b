"""devkit.seed_onyx: deterministic, loads through COPY, and produces data the schema's features work on."""

from __future__ import annotations

import random

import psycopg
import pytest

from devkit import seed_onyx
from tests.database.onyx.helpers import acting_as, scalar

TABLES = [
    "onyx.agencies",
    "onyx.profiles",
    "onyx.payout_settings",
    "onyx.models",
    "onyx.model_assignments",
    "onyx.shifts",
    "onyx.timesheets",
    "onyx.revenue_snapshots",
    "onyx.bio_pages",
    "onyx.bio_blocks",
]


def _digest(conn: psycopg.Connection) -> dict[str, str]:
    # created_at/updated_at are fixed by the seed too, so whole rows are compared
    return {
        t: scalar(conn, f"select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from {t} x")
        for t in TABLES
    }


def test_small_seed_is_deterministic_and_complete(db: psycopg.Connection) -> None:
    with db.transaction(force_rollback=True):
        seed_onyx.seed(db, "small", random.Random(7))
        first = _digest(db)
    seed_onyx.seed(db, "small", random.Random(7))
    assert _digest(db) == first

    counts = {t: scalar(db, f"select count(*) from {t}") for t in TABLES}
    assert counts["onyx.agencies"] == 2 and counts["onyx.profiles"] == 12 and counts["onyx.models"] == 6
    assert counts["onyx.timesheets"] > 50 and counts["onyx.revenue_snapshots"] == 6 * 60
    statuses: dict[str, int] = dict(
        db.execute("select status, count(*) from onyx.bio_pages group by 1").fetchall()
    )
    assert statuses == {"published": 4, "draft": 2}
    # the auth trigger of the core schema created the public profiles too
    assert scalar(db, "select count(*) from public.profiles where email like '%%.onyx.test'") == 12

    # anon sees exactly the published pages
    with acting_as(db, "anon"):
        assert scalar(db, "select count(*) from onyx.bio_pages") == 4

    # a payout run over the seeded fortnight works, and the staff member left without settings is reported
    agency, owner = db.execute(
        "select a.id, p.id from onyx.agencies a join onyx.profiles p on p.agency_id = a.id and p.role = 'owner'"
        " where a.name = 'Nightfall'"
    ).fetchone()
    with acting_as(db, "authenticated", owner):
        total = scalar(
            db,
            "select total_payout from onyx.calculate_payout_run(%s, '2026-11-16', '2026-11-29')",
            (agency,),
        )
        notes = db.execute("select username, note from onyx.payout_items where note is not null").fetchall()
        paid_lines = scalar(db, "select count(*) from onyx.payout_items where total_payout > 0")
    assert total > 0 and paid_lines == 4
    # staff are chatter1, chatter2, smm1, chatter3: the last one has no payout settings
    assert [u for u, note in notes if "no payout settings" in note] == ["chatter3"]


def test_unknown_scale_is_refused(db: psycopg.Connection) -> None:
    with pytest.raises(ValueError, match="unknown scale"):
        seed_onyx.seed(db, "huge", random.Random(1))
