"""heartbeat end to end through functions-framework, the Lambda function URL and the gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.heartbeat import service
from shared.settings import VERSION


def test_healthy(invoke):
    before = datetime.now(UTC)
    r = invoke("heartbeat", "GET", "/")
    assert r.status == 200, r.body
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"status", "version", "time", "database"}
    assert body["status"] == "ok" and body["version"] == VERSION
    stamp = datetime.fromisoformat(body["time"].replace("Z", "+00:00"))
    assert stamp.tzinfo is not None and before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)
    assert body["database"]["reachable"] is True
    assert (
        isinstance(body["database"]["latency_ms"], float | int) and 0 <= body["database"]["latency_ms"] < 2000
    )


def test_public_even_with_a_bad_token(invoke):
    r = invoke("heartbeat", "GET", "/", headers={"Authorization": "Bearer nonsense"})
    assert r.status == 200


def test_version_comes_from_the_settings(invoke, monkeypatch):
    monkeypatch.setenv("ODYSSEY_VERSION", "9.9.9-test")
    assert invoke("heartbeat", "GET", "/").json()["version"] == "9.9.9-test"


def test_only_get(invoke):
    r = invoke("heartbeat", "DELETE", "/")
    assert r.status == 405 and r.headers["allow"] == "GET"
    assert r.headers["content-type"] == "application/problem+json"


def test_head_is_answered_like_get_without_a_body(invoke):
    r = invoke("heartbeat", "HEAD", "/")
    assert r.status == 200 and r.body == b""
    assert r.headers["content-type"] == "application/json"


def test_browser_preflight(invoke):
    r = invoke(
        "heartbeat",
        "OPTIONS",
        "/",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
    )
    assert r.status == 204 and r.headers["access-control-allow-origin"] == "https://app.example.com"


def test_service_logic_without_http():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    up = service.heartbeat("1.2.3", lambda: now, lambda: 3.14159)
    down = service.heartbeat("1.2.3", lambda: now, lambda: None)
    assert up.model_dump() == {
        "status": "ok",
        "version": "1.2.3",
        "time": now,
        "database": {"reachable": True, "latency_ms": 3.14},
    }
    assert down.status == "degraded" and down.database.reachable is False and down.database.latency_ms is None
