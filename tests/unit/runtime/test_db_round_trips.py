"""shared.db's cheap paths: the checkout check only for connections idle a while (or returned after a failure),
BEGIN + role + claims + timeout in one message with the values quoted as literals, rollback on errors."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from shared import db as shared_db
from shared.settings import FunctionSettings, load_settings


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch, function_env: dict[str, str]) -> list[int]:
    """Counts the pool's real connection checks (round trips) from here on, on a fresh pool."""
    shared_db.close_pools()
    seen: list[int] = []
    real = ConnectionPool.check_connection

    def counting(conn: psycopg.Connection) -> None:
        seen.append(1)
        real(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counting))
    yield seen
    shared_db.close_pools()


def _settings() -> FunctionSettings:
    return load_settings(FunctionSettings)


def test_a_connection_returned_healthy_is_not_checked_again_right_away(checks: list[int]) -> None:
    settings = _settings()
    for _ in range(5):
        with shared_db.transaction(settings, "service_role") as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    # only the first checkout of the new connection is checked: every reuse came back healthy a moment ago
    assert checks == [1]


def test_a_connection_idle_for_longer_is_checked(checks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings()
    with shared_db.transaction(settings, "service_role"):
        pass
    monkeypatch.setattr(shared_db, "RECHECK_IDLE_S", 0.0)
    with shared_db.transaction(settings, "service_role"):
        pass
    with shared_db.transaction(settings, "service_role"):
        pass
    assert len(checks) == 3


def test_a_connection_returned_after_a_failure_is_checked(checks: list[int]) -> None:
    settings = _settings()
    with pytest.raises(psycopg.errors.UndefinedTable):
        with shared_db.transaction(settings, "service_role") as conn:
            conn.execute("select * from public.no_such_table")
    with shared_db.transaction(settings, "service_role") as conn:
        assert conn.execute("select current_user").fetchone() == ("service_role",)
    assert checks == [1, 1]  # the new connection's first checkout, then the one after the failure


def test_claims_are_quoted_as_literals_and_local_to_the_transaction(function_env: dict[str, str]) -> None:
    settings = _settings()
    claims = {
        "sub": str(uuid.uuid4()),
        "role": "authenticated",
        "name": "O'Brien \\ '); drop table x; --",
        "emoji": "\u00e9\u2603",
        "pct": "100% %s %(x)s",
    }
    with shared_db.transaction(settings, "authenticated", claims, statement_timeout_ms=1234) as conn:
        role, raw, timeout = conn.execute(
            "select current_user, current_setting('request.jwt.claims'), current_setting('statement_timeout')"
        ).fetchone()
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    assert (role, json.loads(raw), timeout) == ("authenticated", claims, "1234ms")
    with shared_db.get_pool(settings).connection() as raw_conn:
        assert raw_conn.execute("select current_user").fetchone() == ("postgres",)
        assert raw_conn.execute("select current_setting('request.jwt.claims', true)").fetchone()[0] in (
            None,
            "",
        )


def test_a_nested_savepoint_inside_the_transaction_still_works(function_env: dict[str, str]) -> None:
    marker = f"savepoint-{uuid.uuid4()}"
    with shared_db.transaction(_settings(), "service_role") as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            with conn.transaction():
                conn.execute("select 1 / 0")
        # the outer transaction survives the rolled-back savepoint
        assert conn.execute("select %s::text", (marker,)).fetchone() == (marker,)


def test_an_unknown_role_is_refused(function_env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        with shared_db.transaction(_settings(), "postgres"):  # type: ignore[arg-type]
            pass


def test_get_pool_is_the_same_pool_for_the_same_settings(function_env: dict[str, str]) -> None:
    settings = _settings()
    pool = shared_db.get_pool(settings)
    assert shared_db.get_pool(settings) is pool
    assert shared_db.get_pool(_settings()) is pool  # an equal configuration shares it
    shared_db.close_pools()
    assert shared_db.get_pool(settings) is not pool  # a closed pool is never handed out again
    shared_db.close_pools()
