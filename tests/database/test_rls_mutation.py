"""Mutation check of the RLS matrix: every policy of every covered table matters.

For each policy, inside a rolled-back savepoint, the policy is (1) dropped and (2) opened up to `true`; at
least one matrix case of that table must then fail. A policy whose removal or widening no case notices is
either dead or untested — both are defects. (An UPDATE/DELETE policy opened to `true` is exempt where the
SELECT policy already hides the row from everyone it would newly admit; see _shielded_by_select.) Finally RLS
itself is switched off per table: some case must then fail wherever an API role holds a privilege.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from tests.conftest import Database
from tests.database import odyssey_rls
from tests.database.rls_matrix import (
    DROP,
    OPEN,
    TableSpec,
    World,
    cases,
    check_case,
    mutation_detected,
    policies,
)

# the policies are read from the template database's catalog when the tests run; the parametrization is by
# table and mode so that a policy added later is covered without touching this file
MODES = (DROP, OPEN)


@pytest.fixture(scope="module")
def matrix(shared_db: Database) -> Iterator[tuple[psycopg.Connection, World]]:
    conn = psycopg.connect(shared_db.url)
    try:
        world = odyssey_rls.build_world(conn)
        yield conn, world
    finally:
        conn.rollback()
        conn.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("spec", odyssey_rls.SPECS, ids=[s.qualified for s in odyssey_rls.SPECS])
def test_every_policy_is_needed(matrix: tuple[psycopg.Connection, World], spec: TableSpec, mode: str) -> None:
    conn, world = matrix
    table_cases = cases([spec])
    found = policies(conn, spec)
    assert found or mode == OPEN or spec.select == {"service_role"}
    survivors = [
        p.name
        for p in found
        if mutation_detected(conn, world, spec, table_cases, p, mode) is None
        and not (mode == OPEN and _shielded_by_select(spec, p.command))
    ]
    assert survivors == [], f"{spec.qualified}: no matrix case fails when these policies are {mode}ed"


def _shielded_by_select(spec: TableSpec, command: str) -> bool:
    """An UPDATE/DELETE policy opened to `true` widens nothing a test can see when every signed-in actor who
    may read the row may already change it: the others cannot see the row (PostgreSQL applies the SELECT
    policies to the rows an UPDATE or DELETE filters), so widening it is not observable by design."""
    action = {"w": spec.update, "d": spec.delete}.get(command)
    if action is None:
        return False
    return (spec.select - {"service_role"}) <= action


def test_tables_without_policies_are_service_only(matrix: tuple[psycopg.Connection, World]) -> None:
    conn, _ = matrix
    for spec in odyssey_rls.SPECS:
        if not policies(conn, spec):
            assert spec.select == spec.insert == spec.update == spec.delete == frozenset({"service_role"})


def test_unmutated_matrix_passes_for_the_mutated_tables(matrix: tuple[psycopg.Connection, World]) -> None:
    """Control: without a mutation no case fails, so a detected mutation is caused by the mutation."""
    conn, world = matrix
    spec = next(s for s in odyssey_rls.SPECS if s.name == "time_entries")
    for case in cases([spec]):
        check_case(conn, world, case)


@pytest.mark.parametrize("spec", odyssey_rls.SPECS, ids=[s.qualified for s in odyssey_rls.SPECS])
def test_row_level_security_itself_is_needed(
    matrix: tuple[psycopg.Connection, World], spec: TableSpec
) -> None:
    """With RLS disabled on the table, some case fails — unless no API role but the service role holds any
    privilege on it (then the grants alone keep everyone out, which the matrix also proves)."""
    conn, world = matrix
    row = conn.execute(
        "select bool_or(has_table_privilege(r, %s::regclass, p) or has_any_column_privilege(r, %s::regclass, p))"
        " from unnest(array['anon', 'authenticated']) r, unnest(array['SELECT', 'INSERT', 'UPDATE']) p",
        (spec.qualified, spec.qualified),
    ).fetchone()
    granted = bool(row and row[0])
    failed = None
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("alter table {} disable row level security").format(spec.ident))
        for case in sorted(cases([spec]), key=lambda c: c.allowed):
            try:
                check_case(conn, world, case)
            except AssertionError:
                failed = case.id
                break
    assert (failed is not None) == granted, failed
