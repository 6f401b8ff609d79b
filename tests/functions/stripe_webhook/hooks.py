"""Running the stripe-webhook endpoint against a test database, and signing deliveries like Stripe."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devkit import gateway
from functions.stripe_webhook import signature
from shared import db as shared_db
from shared.function import Endpoint
from shared.http import Headers, Request, Response

MAIN = Path(__file__).resolve().parents[3] / "functions" / "stripe_webhook" / "main.py"
SECRET_A, SECRET_B = "whsec_test_first_0123456789", "whsec_test_second_0123456789"


@dataclass
class Hook:
    """The endpoint, loaded with the test database's URL and two webhook secrets (rotation).

    `frozen` (unix seconds), when set, is the time the endpoint's signature check sees."""

    endpoint: Endpoint
    frozen: float | None = None

    def time(self) -> float:
        return time.time() if self.frozen is None else self.frozen

    def post(self, body: bytes, header: str | None) -> Response:
        headers = Headers({"Content-Type": "application/json; charset=utf-8"})
        if header is not None:
            headers.set("Stripe-Signature", header)
        return self.endpoint.handle(Request(method="POST", path="/", headers=headers, body=body))

    def deliver(self, event: dict[str, Any], secret: str = SECRET_A, at: int | None = None) -> Response:
        body = json.dumps(event).encode()
        return self.post(body, signature.header_for(body, [secret], int(time.time()) if at is None else at))


def load_hook(monkeypatch: pytest.MonkeyPatch, db_url: str, **env: str) -> Hook:
    monkeypatch.setenv("SUPABASE_DB_URL", db_url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", f"{SECRET_A},{SECRET_B}")
    monkeypatch.setenv("ODYSSEY_DB_POOL_MAX_SIZE", "16")
    monkeypatch.setenv("ODYSSEY_DB_POOL_TIMEOUT_S", "10")
    monkeypatch.setenv("ODYSSEY_SYSTEM_LOGS", "false")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    module = gateway.load_module(MAIN, fresh=True)
    hook = Hook(module.stripe_webhook.endpoint)
    # main.py reads the clock as `time.time()`: give this copy of the module a clock the test can freeze
    module.time = type("Clock", (), {"time": staticmethod(hook.time)})
    return hook


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch, fresh_db: Any) -> Iterator[Hook]:
    """The webhook over a fresh database of the test's own."""
    yield load_hook(monkeypatch, fresh_db.url)
    shared_db.close_pools()


class FakeStripe:
    """A local HTTP server answering like Stripe's API for what we call: `GET /v1/events` (newest first,
    `delivery_success`, `created[gte]`, `starting_after`, `limit`) and `GET /v1/<resource>/<id>`.
    Every request is recorded; `fail_on` makes the n-th request (1-based) answer a Stripe error."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs, urlsplit

        self.events: list[dict[str, Any]] = []  # newest first, like Stripe
        self.objects: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, list[str]], str | None]] = []
        self.fail_on: set[int] = set()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                outer.requests.append((url.path, query, self.headers.get("Authorization")))
                if len(outer.requests) in outer.fail_on:
                    self._send(
                        400, {"error": {"type": "invalid_request_error", "message": "injected failure"}}
                    )
                    return
                if url.path == "/v1/events":
                    self._send(200, outer._list(query))
                elif url.path in outer.objects:
                    self._send(200, outer.objects[url.path])
                else:
                    self._send(404, {"error": {"type": "invalid_request_error", "message": "No such object"}})

            def _send(self, status: int, doc: dict[str, Any]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Request-Id", "req_test")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        items = self.events
        if query.get("delivery_success") == ["false"]:
            items = [e for e in items if not e.get("_delivered")]
        if "created[gte]" in query:
            items = [e for e in items if e["created"] >= int(query["created[gte]"][0])]
        if "starting_after" in query:
            ids = [e["id"] for e in items]
            items = items[ids.index(query["starting_after"][0]) + 1 :]
        limit = int(query.get("limit", ["10"])[0])
        page = [{k: v for k, v in e.items() if not k.startswith("_")} for e in items[:limit]]
        return {"object": "list", "url": "/v1/events", "has_more": len(items) > limit, "data": page}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """The local Stripe API."""
    server = FakeStripe()
    try:
        yield server
    finally:
        server.close()
