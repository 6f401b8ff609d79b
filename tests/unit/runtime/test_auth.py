"""Authentication through all three ways: every bad-token case is a 401 with a Bearer challenge."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from cryptography.hazmat.primitives import serialization

BODY = {"name": "Ada", "amount": "12.50"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict, header: dict) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _hs256_with_key(claims: dict, key: bytes, kid: str | None = None) -> str:
    header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(sig)}"


def _assert_401(r, fragment: str | None = None) -> None:
    assert r.status == 401, (r.way, r.body)
    assert r.headers["content-type"] == "application/problem+json"
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="odyssey"')
    body = r.json()
    assert body["status"] == 401 and body["code"] == "unauthorized"
    assert body["request_id"] == r.headers["x-request-id"]
    if fragment:
        assert fragment in body["detail"], body["detail"]
        assert 'error="invalid_token"' in challenge


def bad_tokens(tokens, keyset):
    now = int(time.time())
    rsa_public_pem = keyset.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "malformed": ("not-a-jwt", "malformed"),
        "garbage segments": ("abc.def.ghi", "malformed"),
        "alg none": (_unsigned(tokens.claims(), {"alg": "none", "typ": "JWT"}), "algorithm is not allowed"),
        "alg confusion (HS256 keyed with the RSA public key)": (
            _hs256_with_key(tokens.claims(), rsa_public_pem, kid=keyset.rsa_kid),
            "signature",
        ),
        "expired": (tokens.user(exp=now - 120), "expired"),
        "not yet valid": (tokens.user(nbf=now + 300), "not valid yet"),
        "wrong audience": (tokens.user(aud="something-else"), "audience"),
        "no audience": (tokens.user(aud=None), "audience"),
        "no exp": (tokens.user(exp=None), "exp"),
        "no sub": (tokens.sign({k: v for k, v in tokens.claims().items() if k != "sub"}), "sub"),
        "empty sub": (tokens.sign(tokens.claims() | {"sub": ""}), "sub"),
        "anon key": (tokens.sign({"role": "anon", "iss": "supabase", "exp": now + 600}), "audience"),
        "wrong HS256 secret": (
            tokens.sign(tokens.claims(), key="another-secret-that-is-long-enough-0123456789"),
            "signature",
        ),
        "ES256 signed by an unpublished key": (
            tokens.sign(tokens.claims(), "ES256", key=keyset.rogue),
            "signature",
        ),
        "ES256 with an unknown kid": (
            tokens.sign(tokens.claims(), "ES256", kid="nobody", key=keyset.rogue),
            "unknown",
        ),
        "RS256 token naming the EC key": (
            tokens.sign(tokens.claims(), "RS256", kid=keyset.ec_kid),
            "does not match",
        ),
        "tampered payload": (_tamper(tokens.user()), "signature"),
    }


def _tamper(token: str) -> str:
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(uuid.uuid4())
    return f"{header}.{_b64(json.dumps(claims).encode())}.{sig}"


CASES = [
    "malformed",
    "garbage segments",
    "alg none",
    "alg confusion (HS256 keyed with the RSA public key)",
    "expired",
    "not yet valid",
    "wrong audience",
    "no audience",
    "no exp",
    "no sub",
    "empty sub",
    "anon key",
    "wrong HS256 secret",
    "ES256 signed by an unpublished key",
    "ES256 with an unknown kid",
    "RS256 token naming the EC key",
    "tampered payload",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_tokens_are_401(invoke, probes, tokens, keyset, case):
    token, fragment = bad_tokens(tokens, keyset)[case]
    r = invoke(probes.user, "POST", "/", headers=tokens.bearer(token), json=BODY)
    _assert_401(r, fragment)


def test_no_token_is_401_without_error_code(invoke, probes):
    r = invoke(probes.user, "POST", "/", json=BODY)
    _assert_401(r)
    assert r.headers["www-authenticate"] == 'Bearer realm="odyssey"'


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "token"])
def test_malformed_authorization_header_is_401(invoke, probes, header):
    r = invoke(probes.user, "POST", "/", headers={"Authorization": header}, json=BODY)
    _assert_401(r)
    assert 'error="invalid_request"' in r.headers["www-authenticate"]


@pytest.mark.parametrize("alg", ["HS256", "ES256", "RS256"])
def test_valid_user_tokens_run_as_authenticated_with_claims(invoke, probes, tokens, alg):
    sub = uuid.uuid4()
    r = invoke(probes.user, "POST", "/", headers=tokens.bearer(tokens.user(sub, alg=alg)), json=BODY)
    assert r.status == 200, r.body
    body = r.json()
    assert body["uid"] == str(sub)  # auth.uid() inside the transaction = the token's sub
    assert body["db_role"] == "authenticated"
    assert body["amount"] == "12.50" and body["name"] == "Ada"


def test_leeway_accepts_a_token_expired_a_moment_ago(invoke, probes, tokens):
    r = invoke(
        probes.user, "POST", "/", headers=tokens.bearer(tokens.user(exp=int(time.time()) - 3)), json=BODY
    )
    assert r.status == 200


def test_service_key_runs_as_service_role(invoke, probes, tokens):
    r = invoke(probes.service, "POST", "/", headers=tokens.bearer(tokens.service_key), json={"x": 1})
    assert r.status == 200, r.body
    assert r.json() == {"db_role": "service_role", "via": "service_key", "trigger": "http", "input": {"x": 1}}


def test_service_role_jwt_is_the_service(invoke, probes, tokens):
    r = invoke(probes.service, "POST", "/", headers=tokens.bearer(tokens.service_jwt()))
    assert r.status == 200, r.body
    assert r.json()["via"] == "jwt"


def test_expired_service_jwt_is_401(invoke, probes, tokens):
    r = invoke(
        probes.service, "POST", "/", headers=tokens.bearer(tokens.service_jwt(exp=int(time.time()) - 600))
    )
    _assert_401(r, "expired")


def test_almost_the_service_key_is_401(invoke, probes, tokens):
    r = invoke(probes.service, "POST", "/", headers=tokens.bearer(tokens.service_key[:-1] + "X"))
    _assert_401(r)


def test_user_token_on_a_service_function_is_403(invoke, probes, tokens):
    r = invoke(probes.service, "POST", "/", headers=tokens.bearer(tokens.user()))
    assert r.status == 403 and r.json()["code"] == "forbidden"


def test_service_key_on_a_user_function_is_403(invoke, probes, tokens):
    r = invoke(probes.user, "POST", "/", headers=tokens.bearer(tokens.service_key), json=BODY)
    assert r.status == 403


def test_user_or_service_accepts_both(invoke, probes, tokens):
    sub = uuid.uuid4()
    as_user = invoke(probes.any, "GET", "/", headers=tokens.bearer(tokens.user(sub)))
    as_service = invoke(probes.any, "GET", "/", headers=tokens.bearer(tokens.service_key))
    nobody = invoke(probes.any, "GET", "/")
    assert as_user.json() == {"kind": "user", "user_id": str(sub)}
    assert as_service.json() == {"kind": "service", "user_id": None}
    assert nobody.status == 401
