"""The ODYSSEY-1 RLS matrix: every organization-scoped table × action × actor (see rls_matrix.py)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import Database
from tests.database import odyssey_rls
from tests.database.rls_matrix import ACTIONS, ACTORS, Case, World, cases, check_case
from tests.database.test_catalog import ODYSSEY_TABLES

CASES = cases(odyssey_rls.SPECS)


@pytest.fixture(scope="module")
def matrix(shared_db: Database) -> Iterator[tuple[psycopg.Connection, World]]:
    """One connection with the seeded world, in a transaction rolled back after the module."""
    conn = psycopg.connect(shared_db.url)
    try:
        world = odyssey_rls.build_world(conn)
        yield conn, world
    finally:
        conn.rollback()
        conn.close()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rls_case(matrix: tuple[psycopg.Connection, World], case: Case) -> None:
    conn, world = matrix
    check_case(conn, world, case)


def test_matrix_covers_every_organization_scoped_table(db: psycopg.Connection) -> None:
    scoped = {
        f"{s}.{t}"
        for s, t in db.execute(
            "select table_schema, table_name from information_schema.columns where column_name = 'organization_id'"
        ).fetchall()
        if f"{s}.{t}" in ODYSSEY_TABLES
    } | {"public.organizations"}
    assert scoped == {spec.qualified for spec in odyssey_rls.SPECS}


def test_matrix_shape() -> None:
    # every covered table gets every action for every actor (MOVE for signed-in actors only)
    signed_in = sum(a.signed_in for a in ACTORS)
    movable = sum(s.movable for s in odyssey_rls.SPECS)
    expected = len(odyssey_rls.SPECS) * (len(ACTIONS) - 1) * len(ACTORS) + movable * signed_in
    assert len(CASES) == expected
    # the matrix holds both verdicts for every table: some actor is allowed to read, someone is refused
    for spec in odyssey_rls.SPECS:
        verdicts = {c.allowed for c in CASES if c.spec is spec and c.action == "SELECT"}
        assert verdicts == {True, False}, spec.qualified
