"""Pure pieces of shared.http: headers, JSON encoding (money never float), request ids, CORS policy."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shared.errors import RequestValidationError, UnauthorizedError
from shared.http import (
    CorsPolicy,
    Headers,
    Request,
    Response,
    accept_request_id,
    correlation_uuid,
    dumps,
    problem_response,
)


def test_headers_are_case_insensitive_and_multi_valued():
    h = Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("Content-Type", "text/plain")])
    assert h.get("SET-COOKIE") == "a=1" and h.get_all("Set-Cookie") == ["a=1", "b=2"]
    h.set("content-type", "application/json")
    assert h.get_all("Content-Type") == ["application/json"] and "CONTENT-TYPE" in h
    assert "text/plain" not in repr(h) and "a=1" not in repr(h)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12))
def test_money_round_trips_exactly_as_a_string(amount):
    out = json.loads(dumps({"amount": amount}))
    assert isinstance(out["amount"], str) and Decimal(out["amount"]) == amount


def test_json_encoding_of_common_types():
    stamp = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    uid = uuid.uuid4()
    assert json.loads(dumps({"t": stamp, "u": uid, "s": {1}})) == {
        "t": "2026-12-01T12:00:00+00:00",
        "u": str(uid),
        "s": [1],
    }
    assert Response.json({"é": 1}).body == '{"é":1}'.encode()


@given(
    st.text(
        alphabet=st.characters(codec="ascii", categories=["L", "N"]) | st.sampled_from("._:-"),
        min_size=1,
        max_size=200,
    )
)
def test_request_ids_are_kept_only_when_sane(candidate):
    out = accept_request_id(candidate)
    sane = 8 <= len(candidate) <= 128 and candidate[0].isalnum()
    assert (out == candidate) == sane
    if not sane:
        uuid.UUID(out)


def test_correlation_uuid_is_stable_and_passes_uuids_through():
    rid = str(uuid.uuid4())
    assert correlation_uuid(rid) == uuid.UUID(rid)
    assert (
        correlation_uuid("req-abc-123") == correlation_uuid("req-abc-123") != correlation_uuid("req-abc-124")
    )


def test_request_json_and_content_type():
    req = Request(
        "POST", headers=Headers({"Content-Type": "Application/JSON; charset=utf-8"}), body=b'{"a": 1}'
    )
    assert req.content_type == "application/json" and req.json() == {"a": 1}
    assert Request("POST").json() == {}


def test_problem_documents():
    resp = problem_response(
        RequestValidationError([{"field": "a", "message": "m", "type": "t"}]), "rid-12345678"
    )
    body = json.loads(resp.body)
    assert resp.status == 422 and resp.headers.get("Content-Type") == "application/problem+json"
    assert (
        body["errors"] == [{"field": "a", "message": "m", "type": "t"}]
        and body["request_id"] == "rid-12345678"
    )
    unauthorized = problem_response(UnauthorizedError('bad "quoted" token'), "rid-12345678")
    assert unauthorized.headers.get("WWW-Authenticate") == (
        'Bearer realm="odyssey", error="invalid_token", error_description="bad \'quoted\' token"'
    )


def test_cors_wildcard_and_exact_origins():
    exact = CorsPolicy(("https://a.example",))
    anyone = CorsPolicy(("*",))
    assert exact.allowed("https://a.example") == "https://a.example"
    assert exact.allowed("https://a.example.evil") is None and exact.allowed(None) is None
    assert anyone.allowed("https://whoever.example") == "*"


def test_absurdly_nested_json_is_a_400_not_a_crash():
    import pytest

    from shared.errors import InvalidJsonError

    with pytest.raises(InvalidJsonError):
        Request("POST", body=b"[" * 200_000 + b"]" * 200_000).json()


def test_json_numbers_with_a_fraction_are_read_as_decimal_never_float():
    """Before: json.loads made 10000000000000001.5 the float 1.0000000000000002e16, so a Decimal field got
    10000000000000002 — a changed amount, silently accepted."""
    from pydantic import BaseModel

    class Payment(BaseModel):
        amount: Decimal
        count: int
        rate: float

    data = Request("POST", body=b'{"amount": 10000000000000001.5, "count": 3, "rate": 0.25}').json()
    assert data == {"amount": Decimal("10000000000000001.5"), "count": 3, "rate": 0.25}
    assert type(data["count"]) is int
    paid = Payment.model_validate(data)
    assert paid.amount == Decimal("10000000000000001.5") and paid.rate == 0.25
    assert json.loads(dumps({"a": data["amount"]})) == {"a": "10000000000000001.5"}


def test_json_numbers_with_absurd_exponents_are_a_400():
    """Exact decimals must not turn a 12-byte body into a million-digit integer for an int field."""
    import pytest

    from shared.errors import InvalidJsonError

    for body in (b'{"n": 1E+10000000}', b'{"n": 1e-10000000}'):
        with pytest.raises(InvalidJsonError):
            Request("POST", body=body).json()
    assert Request("POST", body=b'{"n": 1.5e3}').json() == {"n": Decimal("1.5E+3")}


def test_a_request_id_with_a_trailing_newline_is_replaced():
    """Before: the pattern ended in `$`, which also matches before a final newline, so 'abcdefgh\\n' was kept
    and echoed into the X-Request-Id response header and every log line."""
    for bad in ("abcdefgh\n", "req-0001-abcd\n"):
        out = accept_request_id(bad)
        assert out != bad and "\n" not in out
        uuid.UUID(out)
