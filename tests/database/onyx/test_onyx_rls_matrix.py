"""The onyx RLS matrix: every onyx table (and its variants) × action × actor, through tests/database/rls_matrix.py."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import Database
from tests.database.onyx import onyx_rls
from tests.database.rls_matrix import Case, World, cases, check_case

CASES: list[tuple[str, Case]] = [(label, c) for label, spec in onyx_rls.VARIANTS for c in cases([spec])]


@pytest.fixture(scope="module")
def matrix(shared_db: Database) -> Iterator[tuple[psycopg.Connection, World]]:
    """One connection with the onyx world, in a transaction rolled back after the module."""
    conn = psycopg.connect(shared_db.url)
    try:
        yield conn, onyx_rls.build_world(conn)
    finally:
        conn.rollback()
        conn.close()


@pytest.mark.parametrize(
    "case",
    [c for _, c in CASES],
    ids=[f"{label}-{c.action}-{c.actor.name}-{'allowed' if c.allowed else 'denied'}" for label, c in CASES],
)
def test_onyx_rls_case(matrix: tuple[psycopg.Connection, World], case: Case) -> None:
    conn, world = matrix
    check_case(conn, world, case)


def test_matrix_covers_every_onyx_table(db: psycopg.Connection) -> None:
    tables = {
        f"onyx.{name}"
        for (name,) in db.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'onyx' and c.relkind in ('r', 'p')"
        ).fetchall()
    }
    # the 23 tables of the brief (payout_items included) and the 3 service-only secret tables
    assert len(tables) == 26
    assert tables == {spec.qualified for spec in onyx_rls.SPECS}


def test_every_table_has_an_allowed_and_a_refused_reader() -> None:
    for label, spec in onyx_rls.VARIANTS:
        verdicts = {c.allowed for c in cases([spec]) if c.action == "SELECT"}
        assert verdicts == {True, False}, label
