"""Database access: one lazily created pool per process, one transaction per request, explicit roles.

* The pool (psycopg_pool) is created on first use and reused across warm invocations. Connections use
  `prepare_threshold=None` and autocommit outside our explicit transactions, so the code is safe behind
  Supabase's transaction pooler: nothing is session-scoped, identity is set with `SET LOCAL` per transaction.
* `as_user(claims)`: `SET LOCAL ROLE authenticated` + `request.jwt.claims` (transaction-local), so RLS
  decides what the caller sees. `as_service()`: `SET LOCAL ROLE service_role` (BYPASSRLS) — only in functions
  whose docstring says why. `as_anon()`: the `anon` role, for public functions.
* Each transaction sets `statement_timeout` locally. Role, claims and timeout are set by one statement sent
  with the BEGIN (one round trip), and a connection is checked on checkout only when it has been idle in the
  pool for a while (`RECHECK_IDLE_S`): one that was returned healthy a moment ago is handed out directly.
* Pool exhausted, database unreachable, or a statement
  cancelled by the timeout → `DatabaseUnavailableError` (503 with Retry-After), within the pool timeout
  (1 s by default) rather than a hang: connections use `connect_timeout`.

psycopg is imported on first use so that functions which never touch the database (and cheap ones such as
heartbeat) do not pay for it at cold start.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from shared.errors import DatabaseUnavailableError
from shared.settings import FunctionSettings

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

DbRole = Literal["authenticated", "service_role", "anon"]
_ROLES = frozenset(("authenticated", "service_role", "anon"))

# A connection returned healthy less than this many seconds ago is not checked again on checkout (the check
# costs a round trip per request); one idle for longer is checked, as before.
RECHECK_IDLE_S = 2.0
_RETURNED_AT = "_odyssey_returned_at"  # attribute on the psycopg connection: monotonic time it was put back

_pools: dict[tuple[str, int, float, int], ConnectionPool] = {}
_pools_lock = threading.Lock()
_checked_out: dict[int, int] = {}  # connections handed out per pool, to tell "busy" from "unreachable"


def _pool_key(settings: FunctionSettings) -> tuple[str, int, float, int]:
    return (
        settings.secret("SUPABASE_DB_URL"),
        settings.db_pool_max_size,
        settings.db_pool_timeout_s,
        settings.db_connect_timeout_s,
    )


def get_pool(settings: FunctionSettings) -> ConnectionPool:
    """The process-wide pool for this database URL and pool configuration, created (not connected) lazily."""
    last = _last_pool
    if last is not None and last[0] is settings and _pools.get(last[1]) is last[2]:
        return last[2]  # the same settings object as the previous call (a warm function): no key to rebuild
    key = _pool_key(settings)
    pool = _pools.get(key)
    if pool is not None:
        _remember(settings, key, pool)
        return pool
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            from psycopg_pool import ConnectionPool

            url, max_size, timeout, connect_timeout = key
            pool = ConnectionPool(
                url,
                min_size=0,
                max_size=max_size,
                timeout=timeout,
                open=True,
                check=_check_if_idle,
                reconnect_timeout=max(5.0, timeout * 4),
                max_idle=300,
                kwargs={
                    "autocommit": True,
                    "prepare_threshold": None,
                    "connect_timeout": connect_timeout,
                    # a peer that vanished mid-query is noticed in ~10 s instead of hanging until the OS gives up
                    "keepalives": 1,
                    "keepalives_idle": 5,
                    "keepalives_interval": 2,
                    "keepalives_count": 2,
                },
                name="odyssey",
            )
            _pools[key] = pool
    _remember(settings, key, pool)
    return pool


# (settings, key, pool) of the last lookup; the settings object is held, so `is` cannot match a new object
# that reuses its id. Settings are immutable in practice (read once at cold start).
_last_pool: tuple[FunctionSettings, tuple[str, int, float, int], ConnectionPool] | None = None


def _remember_nothing() -> None:
    global _last_pool
    _last_pool = None


def _remember(settings: FunctionSettings, key: tuple[str, int, float, int], pool: ConnectionPool) -> None:
    global _last_pool
    _last_pool = (settings, key, pool)


def _check_if_idle(conn: Connection[Any]) -> None:
    """The pool's checkout check: a round trip only for connections idle longer than RECHECK_IDLE_S."""
    from psycopg import pq
    from psycopg_pool import ConnectionPool

    returned = getattr(conn, _RETURNED_AT, None)
    if (
        returned is not None
        and time.monotonic() - returned < RECHECK_IDLE_S
        and conn.pgconn.transaction_status == pq.TransactionStatus.IDLE
    ):
        return
    ConnectionPool.check_connection(conn)


def note_return(conn: Connection[Any], healthy: bool) -> None:
    """Call just before giving `conn` back to its pool: `healthy` (its last use succeeded) lets the next
    checkout within RECHECK_IDLE_S skip the check; otherwise the next checkout checks it."""
    setattr(conn, _RETURNED_AT, time.monotonic() if healthy else None)


def close_pools() -> None:
    """Close every pool of the process (tests and tooling; functions never need to)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close(timeout=1)
        _pools.clear()
        _checked_out.clear()
        _remember_nothing()


@contextmanager
def transaction(
    settings: FunctionSettings,
    role: DbRole,
    claims: Mapping[str, Any] | None = None,
    *,
    statement_timeout_ms: int | None = None,
    pool_timeout_s: float | None = None,
) -> Iterator[Connection[Any]]:
    """One transaction as `role`, committed when the block ends and rolled back if it raises.

    Raises `DatabaseUnavailableError` when no connection is available in time, the database is unreachable,
    or a statement is cancelled by the statement timeout. Other database errors propagate unchanged.
    """
    import psycopg
    from psycopg import sql
    from psycopg_pool import PoolTimeout

    if role not in _ROLES:
        raise ValueError(f"unknown database role {role!r}")
    pool = get_pool(settings)
    timeout_ms = int(statement_timeout_ms or settings.statement_timeout_ms)
    try:
        conn = pool.getconn(timeout=pool_timeout_s)
    except PoolTimeout:
        if _checked_out.get(id(pool), 0) < settings.db_pool_max_size:  # a free slot, yet no connection: down
            raise DatabaseUnavailableError("the database is unreachable", retry_after=5) from None
        raise DatabaseUnavailableError(
            "no database connection became available in time", retry_after=2
        ) from None
    except psycopg.OperationalError:
        raise DatabaseUnavailableError("the database is unreachable", retry_after=5) from None
    _count(pool, +1)
    healthy = False
    try:
        # BEGIN and the transaction-local role, claims and timeout in one simple-protocol round trip
        # (the values are quoted client-side as literals; the role is one of three fixed names)
        claims_json = json.dumps(dict(claims or {}), default=str)
        setup = _SETUP % (role.encode(), sql.Literal(claims_json).as_bytes(conn), str(timeout_ms).encode())
        try:
            conn.execute(setup)
            yield conn
        except BaseException:
            try:
                conn.rollback()  # a no-op when BEGIN never ran
            except psycopg.Error:
                pass  # a broken connection: the pool discards it; the original error is what matters
            raise
        conn.commit()
        healthy = True
    except psycopg.errors.QueryCanceled:
        raise DatabaseUnavailableError(
            "the database did not answer within the statement timeout", retry_after=2
        ) from None
    except psycopg.OperationalError:
        raise DatabaseUnavailableError("the database connection failed", retry_after=5) from None
    finally:
        _count(pool, -1)
        note_return(conn, healthy)
        pool.putconn(conn)


_SETUP = (
    b"begin; select set_config('role', '%s', true), set_config('request.jwt.claims', %s, true),"
    b" set_config('statement_timeout', '%s', true)"
)


def _count(pool: ConnectionPool, delta: int) -> None:
    with _pools_lock:
        _checked_out[id(pool)] = _checked_out.get(id(pool), 0) + delta


class Database:
    """The database of one function (its settings), with the three ways of opening a transaction."""

    def __init__(self, settings: FunctionSettings, claims: Mapping[str, Any] | None = None) -> None:
        self.settings = settings
        self._claims = claims

    def as_user(self, claims: Mapping[str, Any] | None = None) -> Any:
        """A transaction as `authenticated` with the caller's claims (default: the current call's). RLS applies."""
        use = claims if claims is not None else self._claims
        if not use or not use.get("sub"):
            raise ValueError("as_user needs the claims of a signed-in user")
        return transaction(self.settings, "authenticated", {**use, "role": "authenticated"})

    def as_service(self) -> Any:
        """A transaction as `service_role` (bypasses RLS). Only where the function's docstring explains why."""
        return transaction(self.settings, "service_role", {"role": "service_role"})

    def as_anon(self) -> Any:
        """A transaction as `anon`, the least privileged role (public functions)."""
        return transaction(self.settings, "anon", {"role": "anon"})
