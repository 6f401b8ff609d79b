"""The Lambda adapter: function-URL events (payload 2.0) and EventBridge scheduled events."""

from __future__ import annotations

import base64
import json

import pytest

from devkit import gateway
from shared.http import Response
from shared.lambda_adapter import request_from_url_event, url_response
from tests.functions.conftest import url_event


@pytest.fixture
def probe_module(function_env, probes):
    return gateway.load_module(probes.source, fresh=True)


def test_default_scheduled_event_runs_as_the_service(probe_module):
    event = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-01T06:00:00Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/run-payroll"],
        "detail": {},
    }
    out = probe_module.handler_service(event, None)
    assert out["statusCode"] == 200
    assert out["body"] == {
        "db_role": "service_role",
        "via": "trusted_event",
        "trigger": "schedule",
        "input": {},
    }
    assert out["requestId"] == "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa"  # the event id, when Lambda gives none


def test_lambda_request_ids_are_reused(probe_module):
    class Context:
        aws_request_id = "0f2f6a4e-8d0b-4d3c-a0c5-3b3f1b7d9e11"

    out = probe_module.handler_service({"period": "x"}, Context())
    assert out["requestId"] == Context.aws_request_id
    event = url_event("GET", "/", {}, b"")
    out = probe_module.handler_any(event, None)
    assert out["headers"]["x-request-id"] == event["requestContext"]["requestId"]


def test_rule_input_becomes_the_body(probe_module):
    out = probe_module.handler_service({"period": "2026-11", "dry_run": True}, None)
    assert out["statusCode"] == 200
    assert out["body"]["input"] == {"period": "2026-11", "dry_run": True}


def test_a_scheduled_event_cannot_reach_a_user_function(probe_module):
    out = probe_module.handler_user(
        {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, None
    )
    assert out["statusCode"] == 403
    assert out["body"]["code"] == "forbidden"


def test_a_url_event_never_counts_as_scheduled(probe_module):
    """A function URL caller cannot pose as EventBridge by sending an EventBridge-shaped body."""
    body = json.dumps({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}).encode()
    out = probe_module.handler_service(
        url_event("POST", "/", {"content-type": "application/json"}, body), None
    )
    assert out["statusCode"] == 401


def test_url_event_decoding():
    raw = b'{"a": "\xc3\xa9"}'
    event = url_event(
        "POST", "/sub/path", {"Content-Type": "application/json", "Cookie": "a=1; b=2"}, raw, "x=1&x=2&y="
    )
    req = request_from_url_event(event)
    assert req.method == "POST" and req.path == "/sub/path"
    assert req.body == raw
    assert req.query == {"x": ["1", "2"], "y": [""]}
    assert req.headers.get("cookie") == "a=1; b=2"
    assert req.headers.get("CONTENT-TYPE") == "application/json"
    plain = dict(event, body=raw.decode(), isBase64Encoded=False)
    assert request_from_url_event(plain).body == raw


def test_url_response_shapes_text_binary_and_cookies():
    resp = Response.json({"ok": True})
    resp.headers.add("Set-Cookie", "a=1")
    resp.headers.add("Set-Cookie", "b=2")
    resp.headers.add("Vary", "Origin")
    resp.headers.add("Vary", "Accept")
    out = url_response(resp)
    assert out["body"] == '{"ok":true}' and out["isBase64Encoded"] is False
    assert out["cookies"] == ["a=1", "b=2"]
    assert out["headers"]["vary"] == "Origin, Accept"
    binary = Response(
        200,
        b"\x89PNG\x00",
    )
    binary.headers.add("Content-Type", "image/png")
    out = url_response(binary)
    assert out["isBase64Encoded"] is True and base64.b64decode(out["body"]) == b"\x89PNG\x00"


def test_lambda_path_imports_neither_flask_nor_functions_framework():
    import subprocess
    import sys

    code = (
        "import os, sys; os.environ['SUPABASE_DB_URL']='postgresql://x@127.0.0.1:1/x';"
        "import functions.heartbeat.main as m;"
        "bad=[n for n in ('flask','functions_framework','werkzeug','jwt','psycopg','supabase','stripe','boto3') if n in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=gateway.ROOT
    )
    assert out.stdout.strip() == ""


def test_scheduled_helper_gives_the_same_answer_every_way(invoke, probes):
    r = invoke.scheduled(probes.service, {"period": "2026-11"})
    assert r.status == 200
    body = r.json()
    assert body["db_role"] == "service_role" and body["input"] == {"period": "2026-11"}
    assert body["trigger"] == ("schedule" if invoke.way == "lambda" else "http")


@pytest.mark.parametrize("raw", ["!!!not base64", "eyJhIjogMX0"], ids=["alphabet", "padding"])
def test_a_url_event_whose_base64_body_does_not_decode_is_a_400_problem(probe_module, raw):
    """Before: binascii.Error escaped the handler (no response, no request id, no log line)."""
    event = url_event("POST", "/", {"content-type": "application/json", "x-request-id": "req-b64-0001"}, b"")
    event.update(body=raw, isBase64Encoded=True)
    out = probe_module.handler_service(event, None)
    assert out["statusCode"] == 400
    assert out["headers"]["content-type"] == "application/problem+json"
    assert out["headers"]["x-request-id"] == "req-b64-0001"
    problem = json.loads(out["body"])
    assert problem["code"] == "bad-request" and problem["request_id"] == "req-b64-0001"


@pytest.mark.parametrize("length", ["\u00b2", "12abc", "-1", ""])
def test_an_odd_content_length_in_a_url_event_is_ignored_not_a_crash(probe_module, length):
    """Before: a Content-Length such as '²' passed str.isdigit() and int() raised out of the handler."""
    body = b'{"a": 1}'
    event = url_event("POST", "/", {"content-type": "application/json", "content-length": length}, body)
    assert request_from_url_event(event).content_length is None
    out = probe_module.handler_service(event, None)
    assert out["statusCode"] == 401  # the request got as far as authentication


def test_a_url_event_without_http_details_is_still_answered(probe_module):
    out = probe_module.handler_service({"requestContext": {"http": None}}, None)
    assert out["statusCode"] == 405 and json.loads(out["body"])["code"] == "method-not-allowed"
