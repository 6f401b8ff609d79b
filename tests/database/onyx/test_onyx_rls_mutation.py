"""Mutation check of the onyx RLS matrix: every onyx policy, and RLS itself on every onyx table, matters.

Per table and mode (rls_matrix DROP / OPEN), each policy is mutated in a rolled-back savepoint and the cases of
the table's specs (all variants) are run: at least one must fail. An UPDATE/DELETE policy opened to `true` on
a table whose readers may already write it is invisible to a filtered statement (PostgreSQL applies the SELECT
policy to the rows an UPDATE/DELETE filters), so such survivors get one more probe here: an UNFILTERED update or
delete by each refused signed-in actor, which needs no SELECT right, must leave tenant A's row untouched.
Finally each table loses RLS and gains full grants: some case must notice.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from tests.conftest import Database
from tests.database.onyx import onyx_rls
from tests.database.rls_matrix import (
    ACTORS,
    DROP,
    OPEN,
    CaseFailure,
    Policy,
    TableSpec,
    World,
    act,
    cases,
    check_case,
    insert_as_owner,
    mutation_detected,
    policies,
)

TABLES = sorted({spec.name for spec in onyx_rls.SPECS})


def _specs(table: str) -> list[TableSpec]:
    return [spec for spec in onyx_rls.SPECS if spec.name == table]


@pytest.fixture(scope="module")
def matrix(shared_db: Database) -> Iterator[tuple[psycopg.Connection, World]]:
    conn = psycopg.connect(shared_db.url)
    try:
        yield conn, onyx_rls.build_world(conn)
    finally:
        conn.rollback()
        conn.close()


def _unfiltered_write_reaches_a(
    conn: psycopg.Connection, world: World, spec: TableSpec, policy: Policy
) -> bool:
    """With the policy already mutated: does an unfiltered UPDATE/DELETE by a refused actor touch A's row?"""
    action = {"w": spec.update, "d": spec.delete}[policy.command]
    statement = (
        sql.SQL("update {} set updated_at = now()") if policy.command == "w" else sql.SQL("delete from {}")
    )
    locate = sql.SQL("select ctid::text from {} where {} = %s").format(spec.ident, sql.Identifier(spec.key))
    for actor in ACTORS:
        if not actor.signed_in or actor.name in action:
            continue
        with conn.transaction(force_rollback=True):
            key = (
                spec.target(conn, world, "A")
                if spec.target
                else insert_as_owner(conn, spec, spec.row(world, "A"))
            )
            before = conn.execute(locate, (key,)).fetchone()
            act(conn, world, actor, statement.format(spec.ident), [])
            if conn.execute(locate, (key,)).fetchone() != before:
                return True
    return False


@pytest.mark.parametrize("mode", (DROP, OPEN))
@pytest.mark.parametrize("table", TABLES)
def test_every_onyx_policy_is_needed(matrix: tuple[psycopg.Connection, World], table: str, mode: str) -> None:
    conn, world = matrix
    specs = _specs(table)
    found = policies(conn, specs[0])
    assert found or all(s.select == {"service_role"} for s in specs)
    survivors = []
    for policy in found:
        if any(mutation_detected(conn, world, s, cases([s]), policy, mode) for s in specs):
            continue
        if mode == OPEN and policy.command in ("w", "d"):
            with conn.transaction(force_rollback=True):
                conn.execute(
                    sql.SQL("alter policy {} on {} {}").format(
                        sql.Identifier(policy.name),
                        specs[0].ident,
                        sql.SQL(
                            "using (true) with check (true)" if policy.command == "w" else "using (true)"
                        ),
                    )
                )
                if any(_unfiltered_write_reaches_a(conn, world, s, policy) for s in specs):
                    continue
        survivors.append(policy.name)
    assert survivors == [], f"onyx.{table}: no case fails when these policies are {mode}ed"


@pytest.mark.parametrize("table", TABLES)
def test_rls_itself_is_needed(matrix: tuple[psycopg.Connection, World], table: str) -> None:
    conn, world = matrix
    spec = _specs(table)[0]
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("alter table {} disable row level security").format(spec.ident))
        conn.execute(
            sql.SQL("grant select, insert, update, delete on {} to anon, authenticated").format(spec.ident)
        )
        failures = []
        for case in cases([spec]):
            try:
                check_case(conn, world, case)
            except CaseFailure as exc:
                failures.append(str(exc))
                break
    assert failures, f"onyx.{table}: the matrix still passes with RLS off and full grants"


def test_secret_tables_have_no_policy_and_no_api_grant(matrix: tuple[psycopg.Connection, World]) -> None:
    conn, _ = matrix
    secret = [s for s in onyx_rls.SPECS if s.select == {"service_role"}]
    assert {s.name for s in secret} == {"model_credentials", "invitation_tokens", "social_connection_secrets"}
    for spec in secret:
        assert policies(conn, spec) == []
        for role in ("anon", "authenticated"):
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
                assert not conn.execute(
                    "select has_table_privilege(%s, %s, %s)", (role, spec.qualified, privilege)
                ).fetchone()[0], (role, spec.qualified)
