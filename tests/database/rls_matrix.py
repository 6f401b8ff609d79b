"""A data-driven row-level-security matrix: every covered table × action × actor, run exactly like PostgREST.

Each case runs in its own rolled-back savepoint on one connection (as the owner `postgres`), and impersonates
the actor the way PostgREST does: ``set local role <role>`` and ``set_config('request.jwt.claims', <json>,
true)``. What a case asserts:

* SELECT — an allowed actor sees the target row; anyone else sees 0 rows (or gets 42501 permission denied).
* INSERT — an allowed actor inserts a row of tenant A; anyone else gets SQLSTATE 42501 and nothing is written.
* UPDATE — an allowed actor changes exactly the target row (re-read by the owner); anyone else affects 0 rows
  (or gets 42501) and the row, re-read by the owner, is unchanged.
* DELETE — likewise: the row is gone, or it is still there unchanged.
* MOVE — an UPDATE of the tenant column to tenant B: refused for every signed-in actor; an actor who may
  update the row gets 42501 (WITH CHECK or column privilege), the others 0 rows or 42501; the row is unchanged.

How to add a table
------------------
1. Build a :class:`World` for your tenancy model: the auth user id of each actor of :data:`ACTORS` that is a
   signed-in user, the ids of tenants "A" and "B" (the actors ``*_a`` belong to A, ``member_b`` to B), and any
   rows the factories need (``refs["A"]["customer_id"]``...). See ``odyssey_rls.build_world``.
2. Write a :class:`TableSpec`: schema, name, tenant column (``organization_id``, ``agency_id``...), key
   column, ``row(world, tenant)`` returning the column values of a valid new row of that tenant,
   ``changes(world, tenant)`` returning the columns an UPDATE sets, and per action the actors allowed.
3. ``cases(specs)`` lists the cases (parametrize a test with them and call ``check_case``), and
   ``mutation_survivors(conn, world, spec, cases_of_spec)`` proves every policy of the table matters.
The tables are set up and rolled back by the caller; nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

SELECT, INSERT, UPDATE, DELETE, MOVE = "SELECT", "INSERT", "UPDATE", "DELETE", "MOVE"
ACTIONS = (SELECT, INSERT, UPDATE, DELETE, MOVE)

INSUFFICIENT_PRIVILEGE = "42501"


@dataclass(frozen=True)
class Actor:
    """Who makes the request: a database role, and for signed-in users the name of their World user."""

    name: str
    role: str  # authenticated | anon | service_role

    @property
    def signed_in(self) -> bool:
        return self.role == "authenticated"


MEMBER_A = Actor("member_a", "authenticated")
MEMBER_B = Actor("member_b", "authenticated")
ADMIN_A = Actor("admin_a", "authenticated")
OWNER_A = Actor("owner_a", "authenticated")
PLATFORM_ADMIN = Actor("platform_admin", "authenticated")
ANON = Actor("anon", "anon")
SERVICE_ROLE = Actor("service_role", "service_role")
ACTORS: tuple[Actor, ...] = (MEMBER_A, MEMBER_B, ADMIN_A, OWNER_A, PLATFORM_ADMIN, ANON, SERVICE_ROLE)

# Handy sets for TableSpec permissions.
ORG_MEMBERS = frozenset({"member_a", "admin_a", "owner_a", "service_role"})
ORG_ADMINS = frozenset({"admin_a", "owner_a", "service_role"})
ORG_OWNERS = frozenset({"owner_a", "service_role"})
SERVICE_ONLY = frozenset({"service_role"})


@dataclass
class World:
    """The seeded tenants and users the cases run against (created by the caller, inside its transaction)."""

    users: Mapping[str, Any]  # actor name -> auth.users id
    tenants: Mapping[str, Any]  # "A" / "B" -> tenant id
    refs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # tenant -> name -> value
    emails: Mapping[str, str] = field(default_factory=dict)

    def claims(self, actor: Actor) -> str:
        """The JWT payload PostgREST would put in request.jwt.claims for this actor."""
        if not actor.signed_in:
            return json.dumps({"role": actor.role})
        uid = str(self.users[actor.name])
        return json.dumps(
            {
                "sub": uid,
                "role": "authenticated",
                "aud": "authenticated",
                "email": self.emails.get(actor.name, f"{actor.name}@example.test"),
            }
        )


Factory = Callable[[World, str], dict[str, Any]]
TargetFactory = Callable[[psycopg.Connection, World, str], Any]


@dataclass(frozen=True)
class TableSpec:
    """How to exercise one table: where its tenant is, how to make rows, and who may do what."""

    schema: str
    name: str
    row: Factory
    changes: Factory
    select: frozenset[str]
    insert: frozenset[str]
    update: frozenset[str]
    delete: frozenset[str]
    tenant_column: str = "organization_id"
    key: str = "id"
    # the key of an existing row to act on; default: insert row(world, tenant) as the owner
    target: TargetFactory | None = None
    # False when the tenant column is the key itself (the tenant table)
    movable: bool = True

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def ident(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.name)

    def allowed(self, action: str) -> frozenset[str]:
        """Actors allowed to perform the action (MOVE: those allowed to UPDATE, who must still be refused)."""
        return {
            SELECT: self.select,
            INSERT: self.insert,
            UPDATE: self.update,
            DELETE: self.delete,
            MOVE: self.update,
        }[action]


@dataclass(frozen=True)
class Case:
    """One cell of the matrix."""

    spec: TableSpec
    action: str
    actor: Actor

    @property
    def allowed(self) -> bool:
        return self.actor.name in self.spec.allowed(self.action)

    @property
    def id(self) -> str:
        verdict = "allowed" if self.allowed else "denied"
        if self.action == MOVE:
            verdict = "refused"
        return f"{self.spec.qualified}-{self.action}-{self.actor.name}-{verdict}"


class CaseFailure(AssertionError):
    """A matrix case did not behave as its TableSpec says."""


def cases(specs: Iterable[TableSpec], actors: Sequence[Actor] = ACTORS) -> list[Case]:
    """Every (table, action, actor) case; MOVE only for signed-in actors of movable tables."""
    out = []
    for spec in specs:
        for action in ACTIONS:
            for actor in actors:
                if action == MOVE and (not spec.movable or not actor.signed_in):
                    continue
                out.append(Case(spec, action, actor))
    return out


@dataclass
class Outcome:
    rows: list[tuple[Any, ...]] | None
    rowcount: int
    sqlstate: str | None


def act(
    conn: psycopg.Connection, world: World, actor: Actor, query: sql.Composable, params: Sequence[Any]
) -> Outcome:
    """Run one statement as the actor (PostgREST-style) in a savepoint; errors become an Outcome, not raised."""
    try:
        with conn.transaction():
            # what PostgREST runs at the start of each request's transaction
            conn.execute(
                "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                (actor.role, world.claims(actor)),
            )
            cur = conn.execute(query, params)
            rows = cur.fetchall() if cur.description else None
            rowcount = cur.rowcount
            conn.execute("reset role; select set_config('request.jwt.claims', '', true)")
        return Outcome(rows, rowcount, None)
    except psycopg.Error as exc:
        return Outcome(None, 0, exc.sqlstate)


def insert_as_owner(conn: psycopg.Connection, spec: TableSpec, values: Mapping[str, Any]) -> Any:
    """Insert a row bypassing RLS (as the owner) and return its key."""
    cols = list(values)
    query = sql.SQL("insert into {} ({}) values ({}) returning {}").format(
        spec.ident,
        sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.SQL(", ").join(sql.Placeholder() * len(cols)),
        sql.Identifier(spec.key),
    )
    row = conn.execute(query, [values[c] for c in cols]).fetchone()
    assert row is not None
    return row[0]


def _snapshot(conn: psycopg.Connection, spec: TableSpec, key: Any) -> Any:
    row = conn.execute(
        sql.SQL("select to_jsonb(t) from {} t where {} = %s").format(spec.ident, sql.Identifier(spec.key)),
        (key,),
    ).fetchone()
    return row[0] if row else None


def _count(conn: psycopg.Connection, spec: TableSpec) -> int:
    row = conn.execute(sql.SQL("select count(*) from {}").format(spec.ident)).fetchone()
    assert row is not None
    return int(row[0])


def _has_values(conn: psycopg.Connection, spec: TableSpec, key: Any, values: Mapping[str, Any]) -> bool:
    cols = list(values)
    query = sql.SQL("select {} from {} where {} = %s").format(
        sql.SQL(" and ").join(
            sql.SQL("{} is not distinct from {}").format(sql.Identifier(c), sql.Placeholder()) for c in cols
        ),
        spec.ident,
        sql.Identifier(spec.key),
    )
    row = conn.execute(query, [*(values[c] for c in cols), key]).fetchone()
    return bool(row and row[0])


def _fail(case: Case, what: str) -> CaseFailure:
    return CaseFailure(f"{case.id}: {what}")


def check_case(conn: psycopg.Connection, world: World, case: Case) -> None:
    """Run the case in a rolled-back savepoint; raise CaseFailure when the database disagrees with the spec."""
    with conn.transaction(force_rollback=True):
        _check(conn, world, case)


def _check(conn: psycopg.Connection, world: World, case: Case) -> None:
    spec, actor, allowed = case.spec, case.actor, case.allowed
    if case.action == INSERT:
        values = spec.row(world, "A")
        before = _count(conn, spec)
        cols = list(values)
        query = sql.SQL("insert into {} ({}) values ({})").format(
            spec.ident,
            sql.SQL(", ").join(map(sql.Identifier, cols)),
            sql.SQL(", ").join(sql.Placeholder() * len(cols)),
        )
        out = act(conn, world, actor, query, [values[c] for c in cols])
        after = _count(conn, spec)
        if allowed:
            if out.sqlstate is not None or after != before + 1:
                raise _fail(case, f"insert refused (sqlstate {out.sqlstate}, rows {before}→{after})")
        elif out.sqlstate != INSUFFICIENT_PRIVILEGE or after != before:
            raise _fail(
                case, f"expected 42501 and no row, got sqlstate {out.sqlstate}, rows {before}→{after}"
            )
        return

    key = spec.target(conn, world, "A") if spec.target else insert_as_owner(conn, spec, spec.row(world, "A"))
    before = _snapshot(conn, spec, key)
    assert before is not None, f"{case.id}: target row missing"
    key_filter = sql.SQL("{} = %s").format(sql.Identifier(spec.key))

    if case.action == SELECT:
        query = sql.SQL("select count(*) from {} where {}").format(spec.ident, key_filter)
        out = act(conn, world, actor, query, [key])
        seen = out.rows[0][0] if out.rows else 0
        if allowed and (out.sqlstate is not None or seen != 1):
            raise _fail(case, f"row not visible (sqlstate {out.sqlstate}, seen {seen})")
        if not allowed and (out.sqlstate not in (None, INSUFFICIENT_PRIVILEGE) or seen != 0):
            raise _fail(case, f"row visible to a denied actor (sqlstate {out.sqlstate}, seen {seen})")
        return

    if case.action in (UPDATE, MOVE):
        values = (
            spec.changes(world, "A") if case.action == UPDATE else {spec.tenant_column: world.tenants["B"]}
        )
        cols = list(values)
        query = sql.SQL("update {} set {} where {}").format(
            spec.ident,
            sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder()) for c in cols),
            key_filter,
        )
        out = act(conn, world, actor, query, [*(values[c] for c in cols), key])
        after = _snapshot(conn, spec, key)
        if case.action == UPDATE and allowed:
            if out.sqlstate is not None or out.rowcount != 1 or not _has_values(conn, spec, key, values):
                raise _fail(case, f"update not applied (sqlstate {out.sqlstate}, rowcount {out.rowcount})")
            return
        if case.action == MOVE and allowed and out.sqlstate != INSUFFICIENT_PRIVILEGE:
            raise _fail(
                case, f"moving the row to tenant B: expected 42501, got {out.sqlstate} ({out.rowcount} rows)"
            )
        if out.sqlstate not in (None, INSUFFICIENT_PRIVILEGE) or out.rowcount != 0 or after != before:
            raise _fail(
                case, f"denied update changed data (sqlstate {out.sqlstate}, rowcount {out.rowcount})"
            )
        return

    if case.action == DELETE:
        query = sql.SQL("delete from {} where {}").format(spec.ident, key_filter)
        out = act(conn, world, actor, query, [key])
        after = _snapshot(conn, spec, key)
        if allowed:
            if out.sqlstate is not None or out.rowcount != 1 or after is not None:
                raise _fail(case, f"delete refused (sqlstate {out.sqlstate}, rowcount {out.rowcount})")
        elif out.sqlstate not in (None, INSUFFICIENT_PRIVILEGE) or out.rowcount != 0 or after != before:
            raise _fail(
                case, f"denied delete removed data (sqlstate {out.sqlstate}, rowcount {out.rowcount})"
            )
        return

    raise ValueError(f"unknown action {case.action}")


# Mutation check -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    name: str
    command: str  # r a w d *
    permissive: bool


def policies(conn: psycopg.Connection, spec: TableSpec) -> list[Policy]:
    """The policies on the spec's table."""
    rows = conn.execute(
        "select p.polname, p.polcmd::text, p.polpermissive from pg_policy p"
        " join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relname = %s order by 1",
        (spec.schema, spec.name),
    ).fetchall()
    return [Policy(name, cmd, permissive) for name, cmd, permissive in rows]


_ACTIONS_OF_COMMAND = {"r": {SELECT}, "a": {INSERT}, "w": {UPDATE, MOVE}, "d": {DELETE}, "*": set(ACTIONS)}

DROP, OPEN = "drop", "open"


def _mutate(conn: psycopg.Connection, spec: TableSpec, policy: Policy, mode: str) -> None:
    name = sql.Identifier(policy.name)
    if mode == DROP:
        conn.execute(sql.SQL("drop policy {} on {}").format(name, spec.ident))
        return
    # OPEN: the policy lets everything through for its roles
    if policy.command == "a":
        clause = sql.SQL("with check (true)")
    elif policy.command in ("r", "d"):
        clause = sql.SQL("using (true)")
    else:
        clause = sql.SQL("using (true) with check (true)")
    conn.execute(sql.SQL("alter policy {} on {} {}").format(name, spec.ident, clause))


def mutation_detected(
    conn: psycopg.Connection,
    world: World,
    spec: TableSpec,
    table_cases: Sequence[Case],
    policy: Policy,
    mode: str,
) -> str | None:
    """Apply one mutation (drop the policy, or open it to `true`) in a rolled-back savepoint and run the table's
    cases; return the id of the first case that fails, or None when the mutation survives."""
    actions = _ACTIONS_OF_COMMAND[policy.command]
    # the cases most likely to notice first: allowed ones for a dropped policy, denied ones for an opened one
    want_allowed = mode == DROP
    ordered = sorted(table_cases, key=lambda c: (c.action not in actions, c.allowed != want_allowed))
    with conn.transaction(force_rollback=True):
        _mutate(conn, spec, policy, mode)
        for case in ordered:
            try:
                check_case(conn, world, case)
            except CaseFailure:
                return case.id
    return None
