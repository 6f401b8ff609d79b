"""Problem documents, 400/405/413/415/422/500, request ids and CORS, through all three ways."""

from __future__ import annotations

import json
import uuid

import pytest

BODY = {"name": "Ada", "amount": "12.50"}
ORIGIN = "https://app.example.com"


def _problem(r, status: int, code: str) -> dict:
    assert r.status == status, (r.way, r.status, r.body)
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:odyssey:problem:{code}"
    assert body["title"] and body["detail"]
    assert body["request_id"] == r.headers["x-request-id"]
    return body


def test_unparseable_json_is_400(invoke, probes, tokens):
    r = invoke(
        probes.user,
        "POST",
        "/",
        headers={**tokens.bearer(tokens.user()), "Content-Type": "application/json"},
        body=b'{"name": "Ada",',
    )
    _problem(r, 400, "invalid-json")


def test_validation_failure_is_422_listing_every_failing_field(invoke, probes, tokens):
    r = invoke(
        probes.user,
        "POST",
        "/",
        headers=tokens.bearer(tokens.user()),
        json={"name": "", "amount": "-1", "tags": ["a", "b", "c", "d"]},
    )
    body = _problem(r, 422, "validation-failed")
    assert sorted(e["field"] for e in body["errors"]) == ["amount", "name", "tags"]
    assert all(e["message"] for e in body["errors"])


def test_missing_fields_are_422(invoke, probes, tokens):
    r = invoke(probes.user, "POST", "/", headers=tokens.bearer(tokens.user()), json={})
    body = _problem(r, 422, "validation-failed")
    assert {e["field"] for e in body["errors"]} == {"name", "amount"}
    assert {e["type"] for e in body["errors"]} == {"missing"}


def test_float_money_with_too_many_decimals_is_rejected(invoke, probes, tokens):
    r = invoke(
        probes.user, "POST", "/", headers=tokens.bearer(tokens.user()), json={"name": "A", "amount": 0.125}
    )
    assert _problem(r, 422, "validation-failed")["errors"][0]["field"] == "amount"


def test_validation_input_is_not_echoed(invoke, probes, tokens):
    r = invoke(
        probes.user, "POST", "/", headers=tokens.bearer(tokens.user()), json={"name": "x" * 41, "amount": "1"}
    )
    assert "xxxxxxxxxx" not in r.body.decode()


def test_wrong_method_is_405_with_allow(invoke, probes, tokens):
    r = invoke(probes.user, "PUT", "/", headers=tokens.bearer(tokens.user()), json=BODY)
    body = _problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "POST"
    assert body["allowed"] == ["POST"]


def test_too_large_is_413_before_authentication(invoke, probes):
    r = invoke(probes.user, "POST", "/", json={"name": "A", "amount": "1", "pad": "x" * 4000})
    body = _problem(r, 413, "payload-too-large")
    assert body["limit_bytes"] == 2048


def test_exactly_at_the_limit_is_accepted(invoke, probes, tokens):
    base = json.dumps({"name": "A", "amount": "1", "pad": ""})
    body = json.dumps({"name": "A", "amount": "1", "pad": "x" * (2048 - len(base))}).encode()
    assert len(body) == 2048
    r = invoke(
        probes.user,
        "POST",
        "/",
        headers={**tokens.bearer(tokens.user()), "Content-Type": "application/json"},
        body=body,
    )
    assert r.status == 200, r.body


def test_wrong_content_type_is_415(invoke, probes, tokens):
    r = invoke(
        probes.user,
        "POST",
        "/",
        headers={**tokens.bearer(tokens.user()), "Content-Type": "text/plain"},
        body=json.dumps(BODY),
    )
    body = _problem(r, 415, "unsupported-media-type")
    assert body["accepted"] == ["application/json"]


def test_json_with_charset_is_accepted(invoke, probes, tokens):
    r = invoke(
        probes.user,
        "POST",
        "/",
        headers={**tokens.bearer(tokens.user()), "Content-Type": "application/json; charset=utf-8"},
        body=json.dumps(BODY),
    )
    assert r.status == 200


def test_unknown_exception_is_500_showing_only_the_request_id(invoke, probes):
    r = invoke(probes.boom, "GET", "/", headers={"X-Request-Id": "req-boom-0001"})
    body = _problem(r, 500, "internal")
    assert body["request_id"] == "req-boom-0001"
    text = r.body.decode()
    assert "hunter2" not in text and "RuntimeError" not in text and "internal detail" not in text
    assert set(body) == {"type", "title", "status", "detail", "code", "request_id"}


def test_request_id_is_echoed(invoke):
    rid = str(uuid.uuid4())
    r = invoke("heartbeat", "GET", "/", headers={"X-Request-Id": rid})
    assert r.headers["x-request-id"] == rid


@pytest.mark.parametrize(
    "bad", ["short", "has space in it", "x" * 200, "semi;colon-0001", "<script>alert(1)</script>"]
)
def test_insane_request_ids_are_replaced_by_a_uuid(invoke, bad):
    r = invoke("heartbeat", "GET", "/", headers={"X-Request-Id": bad})
    assert r.headers["x-request-id"] != bad
    uuid.UUID(r.headers["x-request-id"])


def test_generated_request_ids_are_unique_uuids(invoke):
    ids = {invoke("heartbeat", "GET", "/").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    for rid in ids:
        uuid.UUID(rid)


def test_cors_preflight_from_an_allowed_origin(invoke, probes):
    r = invoke(
        probes.user,
        "OPTIONS",
        "/",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"]
    assert int(r.headers["access-control-max-age"]) > 0
    assert "Origin" in r.headers["vary"]


def test_cors_preflight_from_a_foreign_origin_gets_no_grant(invoke, probes):
    r = invoke(
        probes.user,
        "OPTIONS",
        "/",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert r.status == 204
    assert "access-control-allow-origin" not in r.headers


def test_cors_headers_on_actual_responses_including_errors(invoke, probes, tokens):
    ok = invoke(
        probes.user, "POST", "/", headers={**tokens.bearer(tokens.user()), "Origin": ORIGIN}, json=BODY
    )
    denied = invoke(probes.user, "POST", "/", headers={"Origin": ORIGIN}, json=BODY)
    for r in (ok, denied):
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert "x-request-id" in r.headers["access-control-expose-headers"]
    assert (ok.status, denied.status) == (200, 401)


def test_options_on_a_function_without_cors_is_405(invoke, probes, tokens):
    r = invoke(
        probes.service, "OPTIONS", "/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert r.status == 405
    assert "access-control-allow-origin" not in r.headers


def test_the_three_ways_agree(invoke, probes, tokens):
    """The same request gives the same status, problem body (minus the request id) and key headers."""
    r = invoke(
        probes.user,
        "POST",
        "/",
        headers={**tokens.bearer(tokens.user()), "X-Request-Id": "same-id-0001"},
        json={"name": "", "amount": "x"},
    )
    assert r.status == 422
    assert r.json() == {
        "type": "urn:odyssey:problem:validation-failed",
        "title": "Validation Failed",
        "status": 422,
        "detail": "invalid field(s): name, amount",
        "code": "validation-failed",
        "errors": [
            {
                "field": "name",
                "message": "String should have at least 1 character",
                "type": "string_too_short",
            },
            {"field": "amount", "message": "Input should be a valid decimal", "type": "decimal_parsing"},
        ],
        "request_id": "same-id-0001",
    }


def test_gateway_ignores_a_content_length_that_is_not_ascii_digits(function_env, probes):
    """Before: CONTENT_LENGTH '²' (werkzeug's --reload server passes it through) passed str.isdigit() and
    int() raised out of the WSGI app."""
    from werkzeug.test import Client

    from devkit import gateway

    module = gateway.load_module(probes.source, fresh=True)
    client = Client(gateway.Gateway([module.probe_service.endpoint]))
    resp = client.post("/functions/v1/probe-service", environ_overrides={"CONTENT_LENGTH": "\u00b2"})
    assert resp.status_code == 401, resp.get_data()
    assert resp.headers["content-type"] == "application/problem+json"
