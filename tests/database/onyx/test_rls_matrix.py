"""The onyx RLS matrix and its mutation check.

For every onyx table (world.SPECS) and every actor — tenant A's owner, admin and staff, tenant B's owner and
staff, anon and the service role — SELECT/INSERT/UPDATE/DELETE on A's fixture row either succeed exactly as the
spec says or are refused (zero rows or a privilege error; row counts are checked, not only exceptions).

The mutation check proves the matrix can fail: each onyx policy in turn is made always-true, then dropped, and
each table in turn loses RLS and gains full grants; every such mutant must change what the matrix observes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from tests.conftest import Database
from tests.database.onyx.helpers import acting_as, scalar
from tests.database.onyx.world import ACTORS, OPS, SPECS, Spec, World, _insert, build_world

SPEC_BY_TABLE = {s.table: s for s in SPECS}


@pytest.fixture(scope="module")
def matrix_db(shared_db: Database) -> Iterator[tuple[psycopg.Connection, World]]:
    """One connection and world for the whole module, in a transaction rolled back at the end.

    Every probe runs in a savepoint that is rolled back too, so the tests cannot disturb one another.
    """
    conn = shared_db.connect()
    try:
        w = build_world(conn)
        # a draft page (and its block) in A: anon must never see them
        w.a.ids["draft_page"] = _insert(conn, "onyx.bio_pages", {
            "agency_id": w.a.agency, "model_id": w.a.ids["models"], "slug": f"draft-{w.a.agency.hex[:8]}",
            "title": "Draft"})
        w.a.ids["draft_block"] = _insert(conn, "onyx.bio_blocks", {
            "agency_id": w.a.agency, "page_id": w.a.ids["draft_page"], "type": "text"})
        yield conn, w
    finally:
        conn.rollback()
        conn.close()


def _attempt(db: psycopg.Connection, world: World, actor: str, action: Callable[[], bool]) -> bool:
    """Run `action` as `actor` in a rolled-back savepoint; a privilege error means "refused"."""
    role, uid = world.actor(actor)
    try:
        with db.transaction(force_rollback=True):
            with acting_as(db, role, uid):
                return action()
    except psycopg.errors.InsufficientPrivilege:
        return False


def _observe(db: psycopg.Connection, world: World, spec: Spec, op: str, actor: str) -> bool:
    """Whether `actor` succeeds at `op` on tenant A's fixture row of `spec` (a new row in A for INSERT).

    UPDATE and DELETE are tried twice: filtered by the row's key (which also needs SELECT rights) and unfiltered
    (which needs none), the latter detected through the row's ctid/existence as seen by `postgres`.
    """
    table = sql.SQL(spec.table)
    key = sql.Identifier(spec.key)
    target = world.a.ids[spec.name]
    locate = sql.SQL("select ctid::text from {} where {} = %s").format(table, key)
    before = scalar(db, locate, (target,))

    def select() -> bool:
        return scalar(db, sql.SQL("select count(*) from {} where {} = %s").format(table, key), (target,)) == 1

    def insert() -> bool:
        values = spec.new_row(world.a)
        db.execute(
            sql.SQL("insert into {} ({}) values ({})").format(
                table, sql.SQL(", ").join(map(sql.Identifier, values)), sql.SQL(", ").join([sql.Placeholder()] * len(values))
            ),
            tuple(values.values()),
        )
        return True

    def touched() -> bool:
        db.execute("reset role")
        return scalar(db, locate, (target,)) != before

    def update() -> bool:
        cur = db.execute(sql.SQL("update {} set updated_at = now() where {} = %s").format(table, key), (target,))
        return cur.rowcount == 1

    def update_all() -> bool:
        db.execute(sql.SQL("update {} set updated_at = now()").format(table))
        return touched()

    def delete() -> bool:
        cur = db.execute(sql.SQL("delete from {} where {} = %s").format(table, key), (target,))
        return cur.rowcount == 1

    def delete_all() -> bool:
        db.execute(sql.SQL("delete from {}").format(table))
        return touched()

    if op == "update":
        return _attempt(db, world, actor, update) or _attempt(db, world, actor, update_all)
    if op == "delete":
        return _attempt(db, world, actor, delete) or _attempt(db, world, actor, delete_all)
    return _attempt(db, world, actor, {"select": select, "insert": insert}[op])


def _matrix(db: psycopg.Connection, world: World, spec: Spec, ops: tuple[str, ...] = OPS) -> dict[str, dict[str, bool]]:
    observed = {op: {actor: _observe(db, world, spec, op, actor) for actor in ACTORS} for op in ops}
    if spec.table in ("onyx.bio_pages", "onyx.bio_blocks") and "select" in ops:
        draft = world.a.ids["draft_page" if spec.table == "onyx.bio_pages" else "draft_block"]
        observed["select"]["anon_sees_draft"] = _attempt(
            db, world, "anon",
            lambda: scalar(db, sql.SQL("select count(*) from {} where id = %s").format(sql.SQL(spec.table)), (draft,)) == 1,
        )
    return observed


def _expected(spec: Spec, ops: tuple[str, ...] = OPS) -> dict[str, dict[str, bool]]:
    expected = {op: {actor: actor in spec.allowed[op] for actor in ACTORS} for op in ops}
    if spec.table in ("onyx.bio_pages", "onyx.bio_blocks") and "select" in ops:
        expected["select"]["anon_sees_draft"] = False
    return expected


def test_specs_cover_every_onyx_table(db: psycopg.Connection) -> None:
    tables = {
        f"onyx.{name}" for (name,) in db.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = 'onyx' and c.relkind in ('r', 'p')"
        ).fetchall()
    }
    assert tables == set(SPEC_BY_TABLE)
    assert len(tables) == 26  # the 23 tables of the brief (with payout_items) and the 3 secret tables


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_rls_matrix(matrix_db: tuple[psycopg.Connection, World], spec: Spec) -> None:
    db, world = matrix_db
    assert _matrix(db, world, spec) == _expected(spec)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.table != "onyx.agencies"], ids=lambda s: s.name)
def test_rows_cannot_be_moved_to_another_agency(matrix_db: tuple[psycopg.Connection, World], spec: Spec) -> None:
    db, world = matrix_db
    table, key = sql.SQL(spec.table), sql.Identifier(spec.key)
    for actor in ("owner", "admin", "staff"):
        moved = _attempt(db, world, actor, lambda: db.execute(
            sql.SQL("update {} set agency_id = %s where {} = %s").format(table, key),
            (world.b.agency, world.a.ids[spec.name])).rowcount == 1)
        assert not moved, f"{actor} moved a {spec.name} row to another agency"


# Mutation check ---------------------------------------------------------------------------------------
def _onyx_policies(db: psycopg.Connection) -> list[tuple[str, str, str, list[str]]]:
    return db.execute(
        "select tablename, policyname, cmd, roles::text[] from pg_policies where schemaname = 'onyx' order by 1, 2"
    ).fetchall()


def _mutants(db: psycopg.Connection) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(label, table, DDL, ops the mutant should disturb) for every mutation of the onyx access rules."""
    mutants = []
    for table, policy, cmd, roles in _onyx_policies(db):
        ops = OPS if cmd == "ALL" else (cmd.lower(),)
        on = sql.SQL("onyx.{}").format(sql.Identifier(table)).as_string(db)
        name = sql.Identifier(policy).as_string(db)
        to = ", ".join(roles)
        clauses = {"SELECT": "using (true)", "DELETE": "using (true)", "INSERT": "with check (true)",
                   "UPDATE": "using (true) with check (true)", "ALL": "using (true) with check (true)"}[cmd]
        mutants.append((f"{policy}:always_true", f"onyx.{table}",
                        f"drop policy {name} on {on}; create policy {name} on {on} for {cmd.lower()} to {to} {clauses}",
                        ops))
        mutants.append((f"{policy}:dropped", f"onyx.{table}", f"drop policy {name} on {on}", ops))
    for spec in SPECS:
        mutants.append((f"{spec.name}:rls_off_and_granted", spec.table,
                        f"alter table {spec.table} disable row level security;"
                        f" grant select, insert, update, delete on {spec.table} to anon, authenticated", OPS))
    return mutants


def test_every_mutation_of_the_access_rules_is_caught(matrix_db: tuple[psycopg.Connection, World]) -> None:
    db, world = matrix_db
    mutants = _mutants(db)
    assert len(mutants) > 100  # 4 policies on most tables, two mutations each, plus one per table
    survivors = []
    for label, table, ddl, ops in mutants:
        spec = SPEC_BY_TABLE[table]
        with db.transaction(force_rollback=True):
            db.execute(ddl)
            if _matrix(db, world, spec, ops) == _expected(spec, ops):
                survivors.append(label)
    assert survivors == [], "\n".join(survivors)
