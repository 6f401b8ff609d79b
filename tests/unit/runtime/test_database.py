"""Database behaviour through all three ways: 503s that never hang, timeouts, transactions, system_logs."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from devkit import migrate
from devkit.pg import Cluster, free_port
from shared import db as shared_db_module
from shared.http import correlation_uuid
from shared.settings import FunctionSettings, load_settings


@pytest.fixture(scope="module")
def stopped_cluster():
    """A cluster of our own, migrated for the shim roles, then stopped: its URL points at a dead server."""
    base = Path(tempfile.mkdtemp(prefix="odyssey-down-", dir="/tmp"))
    os.chmod(base, 0o755)
    cluster = Cluster(data_dir=base / "cluster", port=free_port(), fsync=False)
    try:
        cluster.start()
        migrate.apply_shim(cluster.superuser_url())
        url = cluster.url()
        cluster.stop("immediate")
        yield url
    finally:
        shared_db_module.close_pools()  # stop the pools' background reconnection attempts
        cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)


def test_database_down_is_503_within_two_seconds(invoke, monkeypatch, stopped_cluster, probes, tokens):
    monkeypatch.setenv("SUPABASE_DB_URL", stopped_cluster)
    invoke.load(probes.service)
    started = time.monotonic()
    r = invoke(probes.service, "POST", "/", headers=tokens.bearer(tokens.service_key))
    elapsed = time.monotonic() - started
    assert r.status == 503, r.body
    assert elapsed < 2.0, elapsed
    assert r.headers["content-type"] == "application/problem+json"
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["code"] == "database-unavailable"
    assert r.json()["detail"] == "the database is unreachable"
    assert stopped_cluster.split("@")[1] not in r.body.decode()  # no connection details leak


def test_heartbeat_reports_a_down_database_as_503_degraded(invoke, monkeypatch, stopped_cluster):
    monkeypatch.setenv("SUPABASE_DB_URL", stopped_cluster)
    monkeypatch.setenv("ODYSSEY_DB_POOL_TIMEOUT_S", "0.5")
    invoke.load("heartbeat")
    started = time.monotonic()
    r = invoke("heartbeat", "GET", "/")
    assert time.monotonic() - started < 2.0
    assert r.status == 503
    assert r.headers["retry-after"] == "5"
    body = r.json()
    assert body["status"] == "degraded"
    assert body["database"] == {"reachable": False, "latency_ms": None}


def test_pool_exhausted_is_503_with_retry_after(invoke, monkeypatch, function_env, probes, tokens):
    monkeypatch.setenv("ODYSSEY_DB_POOL_MAX_SIZE", "1")
    monkeypatch.setenv("ODYSSEY_DB_POOL_TIMEOUT_S", "0.3")
    settings = load_settings(FunctionSettings)
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with shared_db_module.transaction(settings, "service_role"):
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(5)
        invoke.load(probes.service)
        started = time.monotonic()
        r = invoke(probes.service, "POST", "/", headers=tokens.bearer(tokens.service_key))
        assert time.monotonic() - started < 1.5
    finally:
        release.set()
        holder.join(5)
    assert r.status == 503
    assert r.json()["code"] == "database-unavailable"
    assert r.json()["detail"] == "no database connection became available in time"
    assert int(r.headers["retry-after"]) >= 1
    # once the connection is back, the same pool serves again
    again = invoke(probes.service, "POST", "/", headers=tokens.bearer(tokens.service_key))
    assert again.status == 200


def test_statement_timeout_is_per_request_and_becomes_503(invoke, monkeypatch, function_env, probes, tokens):
    monkeypatch.setenv("ODYSSEY_STATEMENT_TIMEOUT_MS", "150")
    invoke.load(probes.service)
    started = time.monotonic()
    r = invoke(probes.service, "POST", "/", headers=tokens.bearer(tokens.service_key), json={"sleep": 2})
    assert time.monotonic() - started < 1.5
    assert r.status == 503
    assert "statement timeout" in r.json()["detail"]


def test_statement_timeout_is_set_locally(invoke, probes, tokens):
    r = invoke(
        probes.user, "POST", "/", headers=tokens.bearer(tokens.user()), json={"name": "A", "amount": "1"}
    )
    assert r.json()["statement_timeout"] == "5s"


def test_nothing_session_scoped_survives_a_transaction(function_env):
    settings = load_settings(FunctionSettings)
    claims = {"sub": str(uuid.uuid4()), "role": "authenticated"}
    with shared_db_module.Database(settings).as_user(claims) as conn:
        assert conn.execute("select current_user").fetchone()[0] == "authenticated"
        assert conn.execute("select auth.uid()::text").fetchone()[0] == claims["sub"]
    with shared_db_module.Database(settings).as_anon() as conn:
        role, jwt_claims = conn.execute(
            "select current_user, current_setting('request.jwt.claims', true)"
        ).fetchone()
    assert role == "anon" and claims["sub"] not in (jwt_claims or "")
    pool = shared_db_module.get_pool(settings)
    with pool.connection() as raw:
        assert raw.execute("select current_user").fetchone()[0] == "postgres"
        assert raw.execute("select current_setting('request.jwt.claims', true)").fetchone()[0] in (None, "")


def test_a_failing_block_rolls_back(function_env, shared_db):
    settings = load_settings(FunctionSettings)
    marker = f"rollback-{uuid.uuid4()}"
    with pytest.raises(RuntimeError):
        with shared_db_module.Database(settings).as_service() as conn:
            conn.execute(
                "insert into public.system_logs (severity, source, message) values ('info', 'test', %s)",
                (marker,),
            )
            raise RuntimeError("boom")
    with psycopg.connect(shared_db.url) as conn:
        assert (
            conn.execute("select count(*) from public.system_logs where message = %s", (marker,)).fetchone()[
                0
            ]
            == 0
        )


def test_as_user_refuses_claims_without_sub(function_env):
    with pytest.raises(ValueError):
        shared_db_module.Database(load_settings(FunctionSettings)).as_user({"role": "authenticated"})


@pytest.fixture(scope="module")
def logs_db(pg_cluster):
    """A database of this module's own for the tests that commit rows into public.system_logs."""
    from tests.conftest import Database, _create_from_template, _drop

    name = f"t_system_logs_{os.getpid()}"
    _create_from_template(pg_cluster, name)
    try:
        yield Database(pg_cluster, name)
    finally:
        shared_db_module.close_pools()
        _drop(pg_cluster, name)


@pytest.fixture
def system_logs_on(function_env, monkeypatch, logs_db):
    """system_logs writing enabled (function_env turns it off to keep the shared database clean)."""
    monkeypatch.setenv("SUPABASE_DB_URL", logs_db.url)
    monkeypatch.setenv("ODYSSEY_SYSTEM_LOGS", "true")
    return logs_db


def _log_rows(db, request_id: str) -> list[tuple]:
    with psycopg.connect(db.url) as conn:
        return conn.execute(
            "select severity, source, message, stack_trace, metadata->>'logger', user_id from public.system_logs"
            " where correlation_id = %s",
            (correlation_uuid(request_id),),
        ).fetchall()


def test_unhandled_errors_are_copied_to_system_logs(invoke, probes, system_logs_on):
    rid = f"boom-{uuid.uuid4()}"
    r = invoke(probes.boom, "GET", "/", headers={"X-Request-Id": rid})
    assert r.status == 500
    rows = _log_rows(system_logs_on, rid)
    assert len(rows) == 1
    severity, source, message, stack, logger, user_id = rows[0]
    assert (severity, source, message, logger, user_id) == (
        "error",
        "function:probe_boom",
        "unhandled RuntimeError",
        "odyssey.probe_boom",
        None,
    )
    assert "Traceback" in stack


def test_system_logs_can_be_switched_off(invoke, probes, system_logs_on, monkeypatch):
    monkeypatch.setenv("ODYSSEY_SYSTEM_LOGS", "false")
    rid = f"boom-{uuid.uuid4()}"
    assert invoke(probes.boom, "GET", "/", headers={"X-Request-Id": rid}).status == 500
    assert _log_rows(system_logs_on, rid) == []


def test_successful_requests_write_no_system_logs(invoke, probes, tokens, system_logs_on):
    rid = str(uuid.uuid4())
    r = invoke(
        probes.user,
        "POST",
        "/",
        headers={**tokens.bearer(tokens.user()), "X-Request-Id": rid},
        json={"name": "A", "amount": "1"},
    )
    assert r.status == 200
    assert _log_rows(system_logs_on, rid) == []


def test_system_log_rows_name_known_users_only(system_logs_on):
    """user_id is kept when the user exists and becomes NULL otherwise (never an FK failure)."""
    import logging

    from shared import logs, system_log

    known = uuid.uuid4()
    with psycopg.connect(system_logs_on.url) as conn:
        conn.execute("insert into auth.users (id, email) values (%s, 'known@example.com')", (known,))
    settings = load_settings(FunctionSettings)
    for user, expected in ((known, known), (uuid.uuid4(), None)):
        rid = str(uuid.uuid4())
        with logs.request_context("demo", rid) as ctx:
            logs.bind(user_id=str(user), organization_id=999_999_999)
            record = logging.LogRecord("odyssey.demo", logging.WARNING, __file__, 1, "careful", None, None)
            assert system_log.write(settings, ctx, [record]) is True
        ((severity, source, message, _, _, user_id),) = _log_rows(system_logs_on, rid)
        assert (severity, source, message, user_id) == ("warning", "function:demo", "careful", expected)


def test_system_logs_failure_never_fails_the_request(
    invoke, probes, monkeypatch, stopped_cluster, system_logs_on
):
    """With the database gone the 500 is still a clean problem response, quickly."""
    monkeypatch.setenv("SUPABASE_DB_URL", stopped_cluster)
    monkeypatch.setenv("ODYSSEY_DB_POOL_TIMEOUT_S", "0.5")
    invoke.load(probes.boom)
    started = time.monotonic()
    r = invoke(probes.boom, "GET", "/")
    assert r.status == 500 and r.json()["code"] == "internal"
    assert time.monotonic() - started < 2.0
