"""Helpers for the onyx database tests: users, agencies, and acting as an API role the way PostgREST does.

Everything runs inside the caller's transaction (the `db` fixture rolls it back), so nothing leaks between tests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg


def new_user(conn: psycopg.Connection, label: str) -> uuid.UUID:
    """Insert an auth user (as the connection's `postgres` role) and return its id."""
    uid = uuid.uuid4()
    conn.execute(
        "insert into auth.users (id, email, created_at, updated_at) values (%s, %s, now(), now())",
        (uid, f"{label}-{uid.hex[:8]}@onyx.test"),
    )
    return uid


def new_agency(
    conn: psycopg.Connection, name: str, *, timezone: str = "UTC", currency: str = "USD"
) -> uuid.UUID:
    """Insert an agency and return its id."""
    row = conn.execute(
        "insert into onyx.agencies (name, timezone, currency) values (%s, %s, %s) returning id",
        (name, timezone, currency),
    ).fetchone()
    assert row is not None
    return row[0]


def new_member(conn: psycopg.Connection, agency_id: uuid.UUID, username: str, role: str) -> uuid.UUID:
    """Create an auth user with an onyx profile in the agency; returns the user id."""
    uid = new_user(conn, username)
    conn.execute(
        "insert into onyx.profiles (id, agency_id, username, role) values (%s, %s, %s, %s)",
        (uid, agency_id, username, role),
    )
    return uid


@contextmanager
def acting_as(conn: psycopg.Connection, role: str, uid: uuid.UUID | None = None) -> Iterator[None]:
    """Run the block as `role` with the JWT claims of `uid`, inside a savepoint.

    On error the savepoint is rolled back, which also undoes the role switch, so the caller continues as
    `postgres` either way.
    """
    claims: dict[str, Any] = {"role": role}
    if uid is not None:
        claims["sub"] = str(uid)
    with conn.transaction():
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
        conn.execute(f"set local role {role}")
        yield
        conn.execute("reset role")
        conn.execute("select set_config('request.jwt.claims', '', true)")


def scalar(conn: psycopg.Connection, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
    """The first column of the first row of a query (None when there is no row)."""
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]
