"""Run a function three ways and compare: functions-framework's test client, the AWS Lambda handler with a
function-URL event (payload 2.0, base64 body), and the local gateway's WSGI app.

Use in a function's tests::

    def test_ping(invoke):                       # parametrised: runs once per way
        r = invoke("heartbeat", "GET", "/")
        assert r.status == 200 and r.json()["status"] == "ok"

    def test_with_env(invoke, function_env, monkeypatch):
        monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_test")   # before the first invoke
        r = invoke("stripe_webhook", "POST", "/", headers={...}, body=b"...")

`invoke(fn, method="GET", path="/", headers=None, body=None, json=None)` returns a `Result` (status, lower-cased
headers, raw body, `.json()`, `.way`). `fn` is a folder name under functions/ or a `FunctionRef` (a main.py
anywhere, e.g. test-only functions). The function is loaded afresh (settings read from the environment as it is
at the first invoke of that function in the test). `function_env` sets: SUPABASE_URL (a local server that
serves the test JWKS), SUPABASE_JWT_SECRET, SUPABASE_SERVICE_ROLE_KEY, SUPABASE_ANON_KEY, SUPABASE_DB_URL (the
shared test database), ODYSSEY_CORS_ORIGINS=https://app.example.com, ODYSSEY_SYSTEM_LOGS=false (turn it on
with monkeypatch and a database of your own to test system_logs rows). `tokens` mints user/service tokens
(HS256 with the test secret, ES256/RS256 with keys published in that JWKS); `tokens.service_key` is the exact
SUPABASE_SERVICE_ROLE_KEY and `tokens.service_jwt()` a service_role JWT. `invoke.load(fn)` loads a function
before a timing starts; `invoke.scheduled(fn, payload)` runs it as a schedule would (EventBridge event on Lambda,
a service-key POST elsewhere); `invoke.way` says which way runs; `url_event(...)` builds a function-URL event.
"""

from __future__ import annotations

import base64
import json as jsonlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from devkit import gateway
from shared.function import Endpoint

ROOT = Path(__file__).resolve().parents[2]
WAYS = ("functions_framework", "lambda", "gateway")
TEST_JWT_SECRET = "test-only-jwt-secret-0123456789abcdef-0123456789abcdef"
TEST_SERVICE_KEY = "sb_secret_test_only_service_key_0123456789"
ALLOWED_ORIGIN = "https://app.example.com"


# -- functions and results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionRef:
    """Where a function lives: its main.py, the functions-framework target and the Lambda handler's name."""

    source: Path
    target: str
    lambda_attr: str = "handler"

    @classmethod
    def named(cls, name: str) -> FunctionRef:
        """A function folder under functions/ (target = folder name, Lambda handler = `handler`)."""
        return cls(ROOT / "functions" / name / "main.py", name)


@dataclass
class Result:
    """What came back: status, headers (lower-case names, repeated ones joined with ', '), raw body."""

    status: int
    headers: dict[str, str]
    body: bytes
    way: str

    def json(self) -> Any:
        """The body parsed as JSON."""
        return jsonlib.loads(self.body)


def _merge(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        low = name.lower()
        out[low] = f"{out[low]}, {value}" if low in out else value
    return out


class Invoker:
    """Calls functions one way (`way`), loading each afresh the first time a test uses it."""

    def __init__(self, way: str) -> None:
        self.way = way
        self._loaded: dict[FunctionRef, Any] = {}

    def endpoint(self, fn: str | FunctionRef) -> Endpoint:
        """The endpoint behind `fn` as loaded for this way (loads it if needed)."""
        ref = FunctionRef.named(fn) if isinstance(fn, str) else fn
        module = gateway.load_module(ref.source, fresh=True)
        return getattr(module, ref.target).endpoint  # type: ignore[no-any-return]

    def load(self, fn: str | FunctionRef) -> None:
        """Load `fn` now (so that a timing measured afterwards covers only the request)."""
        self._load(FunctionRef.named(fn) if isinstance(fn, str) else fn)

    def _load(self, ref: FunctionRef) -> Any:
        if ref in self._loaded:
            return self._loaded[ref]
        if self.way == "functions_framework":
            import functions_framework

            loaded: Any = functions_framework.create_app(
                target=ref.target, source=str(ref.source)
            ).test_client()
        elif self.way == "lambda":
            loaded = getattr(gateway.load_module(ref.source, fresh=True), ref.lambda_attr)
        else:
            from werkzeug.test import Client

            module = gateway.load_module(ref.source, fresh=True)
            loaded = Client(gateway.Gateway([getattr(module, ref.target).endpoint]))
            loaded.kebab = ref.target.replace("_", "-")
        self._loaded[ref] = loaded
        return loaded

    def __call__(
        self,
        fn: str | FunctionRef,
        method: str = "GET",
        path: str = "/",
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        json: Any = None,
    ) -> Result:
        ref = FunctionRef.named(fn) if isinstance(fn, str) else fn
        hdrs = dict(headers or {})
        if json is not None:
            body = jsonlib.dumps(json)
            if not any(k.lower() == "content-type" for k in hdrs):
                hdrs["Content-Type"] = "application/json"
        data = body.encode() if isinstance(body, str) else (body or b"")
        target = self._load(ref)
        path, _, query = path.partition("?")
        if self.way == "functions_framework":
            resp = target.open(path, method=method, headers=hdrs, data=data, query_string=query)
            return Result(resp.status_code, _merge(list(resp.headers.items())), resp.get_data(), self.way)
        if self.way == "gateway":
            url = f"/functions/v1/{target.kebab}{'' if path == '/' else path}"
            resp = target.open(url, method=method, headers=hdrs, data=data, query_string=query)
            return Result(resp.status_code, _merge(list(resp.headers.items())), resp.get_data(), self.way)
        event = url_event(method, path, hdrs, data, query)
        out = target(event, None)
        raw = base64.b64decode(out["body"]) if out.get("isBase64Encoded") else out["body"].encode()
        pairs = list(out["headers"].items()) + [("set-cookie", c) for c in out.get("cookies", [])]
        return Result(out["statusCode"], _merge(pairs), raw, self.way)

    def scheduled(self, fn: str | FunctionRef, payload: Any = None) -> Result:
        """What a schedule does: Lambda gets the EventBridge event itself (`payload` as the rule's Input, or the
        default Scheduled Event when None); functions-framework and the gateway get what cron sends, a POST with
        the service key and `payload` as JSON. The Result's body is JSON in every way."""
        ref = FunctionRef.named(fn) if isinstance(fn, str) else fn
        if self.way != "lambda":
            headers = {"Authorization": f"Bearer {TEST_SERVICE_KEY}"}
            return self(ref, "POST", "/", headers=headers, json=payload if payload is not None else {})
        event = (
            payload
            if payload is not None
            else {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "region": "eu-west-1",
                "resources": ["arn:aws:events:eu-west-1:123456789012:rule/test"],
                "detail": {},
            }
        )
        out = self._load(ref)(event, None)
        body = out["body"]
        raw = jsonlib.dumps(body).encode() if not isinstance(body, str) else body.encode()
        return Result(out["statusCode"], {"x-request-id": out.get("requestId") or ""}, raw, self.way)


def url_event(
    method: str, path: str, headers: Mapping[str, str], body: bytes, query: str = ""
) -> dict[str, Any]:
    """A Lambda function-URL event (payload format 2.0) as AWS sends it; the body always base64-encoded."""
    lower = {k.lower(): v for k, v in headers.items()}
    if body and "content-length" not in lower:
        lower["content-length"] = str(len(body))
    cookies = [c.strip() for c in lower.pop("cookie", "").split(";") if c.strip()]
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "abc123.lambda-url.eu-west-1.on.aws", "x-forwarded-proto": "https", **lower},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abc123",
            "domainName": "abc123.lambda-url.eu-west-1.on.aws",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": lower.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Dec/2026:18:00:00 +0000",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }
    if cookies:
        event["cookies"] = cookies
    return event


# -- keys, JWKS server, tokens -----------------------------------------------------------------------------


@dataclass
class KeySet:
    """Test signing keys: an EC P-256 and an RSA key published in the JWKS, and an unpublished EC key."""

    ec: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    rsa: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    rogue: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    ec_kid: str = "test-ec-1"
    rsa_kid: str = "test-rsa-1"

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document."""
        ec_jwk = jsonlib.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.ec.public_key()))
        rsa_jwk = jsonlib.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rsa.public_key()))
        ec_jwk.update(kid=self.ec_kid, alg="ES256", use="sig")
        rsa_jwk.update(kid=self.rsa_kid, alg="RS256", use="sig")
        return {"keys": [ec_jwk, rsa_jwk]}


class JwksServer:
    """A local HTTP server publishing the test JWKS at /auth/v1/.well-known/jwks.json; counts fetches."""

    def __init__(self, keys: KeySet) -> None:
        self.keys = keys
        self.fetches = 0
        self.document = keys.jwks()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path != "/auth/v1/.well-known/jwks.json":
                    self.send_error(404)
                    return
                outer.fetches += 1
                body = jsonlib.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the server."""
        self._server.shutdown()
        self._server.server_close()


class Tokens:
    """Mint tokens for tests: user tokens (any algorithm), service tokens, and deliberately broken ones."""

    def __init__(self, keys: KeySet, secret: str = TEST_JWT_SECRET) -> None:
        self.keys = keys
        self.secret = secret
        self.service_key = TEST_SERVICE_KEY

    def claims(self, sub: str | uuid.UUID | None = None, **overrides: Any) -> dict[str, Any]:
        """Claims shaped like a Supabase access token; `overrides` replace or (with None) remove claims."""
        now = int(time.time())
        out: dict[str, Any] = {
            "iss": "http://127.0.0.1/auth/v1",
            "sub": str(sub or uuid.uuid4()),
            "aud": "authenticated",
            "role": "authenticated",
            "iat": now,
            "exp": now + 600,
            "email": "someone@example.com",
            "app_metadata": {"provider": "email"},
            "user_metadata": {},
        }
        for key, value in overrides.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    def user(self, sub: str | uuid.UUID | None = None, alg: str = "HS256", **overrides: Any) -> str:
        """A valid user token signed with `alg` (HS256 test secret, ES256/RS256 published keys)."""
        return self.sign(self.claims(sub, **overrides), alg)

    def sign(
        self, claims: Mapping[str, Any], alg: str = "HS256", kid: str | None = None, key: Any = None
    ) -> str:
        """Sign arbitrary claims; `key`/`kid` default to the published key for `alg`."""
        if alg == "HS256":
            return jwt.encode(dict(claims), key or self.secret, algorithm="HS256")
        if alg == "ES256":
            return jwt.encode(
                dict(claims), key or self.keys.ec, algorithm="ES256", headers={"kid": kid or self.keys.ec_kid}
            )
        if alg == "RS256":
            return jwt.encode(
                dict(claims),
                key or self.keys.rsa,
                algorithm="RS256",
                headers={"kid": kid or self.keys.rsa_kid},
            )
        raise ValueError(alg)

    def service_jwt(self, **overrides: Any) -> str:
        """A service_role JWT (what the legacy SUPABASE_SERVICE_ROLE_KEY is)."""
        now = int(time.time())
        claims = {"iss": "supabase", "role": "service_role", "iat": now, "exp": now + 600, **overrides}
        return jwt.encode(claims, self.secret, algorithm="HS256")

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        """An Authorization header."""
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def keyset() -> KeySet:
    """The session's signing keys."""
    return KeySet()


@pytest.fixture(scope="session")
def jwks_server(keyset: KeySet) -> Iterator[JwksServer]:
    """The local server standing in for `${SUPABASE_URL}/auth/v1/.well-known/jwks.json`."""
    server = JwksServer(keyset)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def tokens(keyset: KeySet) -> Tokens:
    """Token minting for tests."""
    return Tokens(keyset)


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, shared_db: Any, jwks_server: JwksServer) -> dict[str, str]:
    """The environment the functions see in tests (see the module docstring); returns the values set."""
    from devkit import tokens as devtokens

    env = {
        "SUPABASE_URL": jwks_server.url,
        "SUPABASE_JWT_SECRET": TEST_JWT_SECRET,
        "SUPABASE_SERVICE_ROLE_KEY": TEST_SERVICE_KEY,
        "SUPABASE_ANON_KEY": devtokens.anon_key(TEST_JWT_SECRET),
        "SUPABASE_DB_URL": shared_db.url,
        "ODYSSEY_CORS_ORIGINS": ALLOWED_ORIGIN,
        "ODYSSEY_ENVIRONMENT": "test",
        # warnings would otherwise be committed into the shared database's public.system_logs
        "ODYSSEY_SYSTEM_LOGS": "false",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(params=WAYS)
def invoke(request: pytest.FixtureRequest, function_env: dict[str, str]) -> Callable[..., Result]:
    """`invoke(fn, method, path, headers, body | json=)` → Result; parametrised over the three ways."""
    return Invoker(request.param)
