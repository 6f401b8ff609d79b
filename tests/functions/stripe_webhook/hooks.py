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
    """The endpoint, loaded with the test database's URL and two webhook secrets (rotation)."""

    endpoint: Endpoint

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
    return Hook(module.stripe_webhook.endpoint)


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch, fresh_db: Any) -> Iterator[Hook]:
    """The webhook over a fresh database of the test's own."""
    yield load_hook(monkeypatch, fresh_db.url)
    shared_db.close_pools()
