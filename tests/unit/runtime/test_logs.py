"""Logs: JSON lines with the request id and function; never credentials or personal data."""

from __future__ import annotations

import json
import logging
import uuid

from shared import logs


def _lines(capfd) -> list[dict]:
    err = capfd.readouterr().err
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_every_line_carries_the_request_context(capfd):
    logger = logs.get_logger("demo")
    with logs.request_context("demo", "req-123456"):
        logs.bind(organization_id=7, email="ada@example.com", access_token="abc")
        logger.info(
            "hello %s",
            "world",
            extra={"duration_ms": 1.5, "password": "hunter2", "nested": {"api_key": "k", "n": 1}},
        )
    (line,) = [x for x in _lines(capfd) if x["message"] == "hello world"]
    assert line["function"] == "demo" and line["request_id"] == "req-123456" and line["level"] == "info"
    assert line["organization_id"] == 7 and line["duration_ms"] == 1.5
    assert line["time"].endswith("Z")
    text = json.dumps(line)
    assert "hunter2" not in text and "ada@example.com" not in text and '"abc"' not in text
    assert line["password"] == "[redacted]" and line["nested"] == {"api_key": "[redacted]", "n": 1}
    assert "email" not in line and "access_token" not in line


def test_request_log_line_has_status_duration_and_user(invoke, probes, tokens, capfd):
    sub = uuid.uuid4()
    token = tokens.user(sub, email="grace@example.com")
    r = invoke(
        probes.user,
        "POST",
        "/",
        headers={**tokens.bearer(token), "X-Request-Id": "log-check-0001"},
        json={"name": "Grace", "amount": "3.00"},
    )
    assert r.status == 200
    err = capfd.readouterr().err
    assert token not in err and "grace@example.com" not in err and "Grace" not in err
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    (done,) = [
        x for x in lines if x.get("request_id") == "log-check-0001" and x["message"] == "request handled"
    ]
    assert done["status"] == 200 and done["method"] == "POST" and done["function"] == "probe_user"
    assert done["user_id"] == str(sub) and done["duration_ms"] >= 0 and done["caller"] == "user"


def test_warnings_are_collected_for_system_logs_but_not_flagged_lines():
    logger = logs.get_logger("demo")
    with logs.request_context("demo", "req-collect") as ctx:
        logger.info("fine")
        logger.warning("watch out")
        logger.warning("quiet", extra={"no_system_log": True})
        logging.getLogger("odyssey.demo").error("bad")
    assert [r.getMessage() for r in ctx.collected] == ["watch out", "bad"]
