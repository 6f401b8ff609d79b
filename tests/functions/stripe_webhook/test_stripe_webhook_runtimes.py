"""The same deliveries through the three runtimes (functions-framework, Lambda function URL with a base64 body,
the local gateway): the signature is checked on the exact raw bytes each one hands over."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from devkit.stripe_tools import EventFactory
from functions.stripe_webhook import signature
from shared import db as shared_db
from tests.functions.stripe_webhook import stripe_db
from tests.functions.stripe_webhook.hooks import SECRET_A, SECRET_B

T0 = 1_764_000_000


@pytest.fixture
def webhook_env(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", f"{SECRET_A}, {SECRET_B}")
    monkeypatch.setenv("ODYSSEY_SYSTEM_LOGS", "false")
    yield function_env
    shared_db.close_pools()


def test_delivery_through_every_runtime(invoke: Callable[..., Any], webhook_env: dict[str, str]) -> None:
    with psycopg.connect(webhook_env["SUPABASE_DB_URL"], autocommit=True) as conn:
        org = stripe_db.add_org(conn, "Runtime Co")
    f = EventFactory()
    key = f"rt{org}"
    event = f.event("checkout.session.completed", f.checkout_session(f"cs_{key}", f"cus_{key}", org), T0)
    # non-ASCII and unusual spacing: any re-serialisation before verifying would break the signature
    body = (
        json.dumps(event, indent=1, ensure_ascii=False)
        .replace('"metadata": {}', '"metadata": {"note": "café ✓"}')
        .encode()
    )
    now = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": signature.header_for(body, [SECRET_B], now),
    }

    r = invoke("stripe_webhook", "POST", "/", headers=headers, body=body)
    assert (r.status, r.json()["outcome"], r.json()["event_id"]) == (200, "applied", event["id"]), r.way
    assert r.headers.get("x-request-id")
    r = invoke("stripe_webhook", "POST", "/", headers=headers, body=body)
    assert (r.status, r.json()["outcome"]) == (200, "duplicate"), r.way

    tampered = body.replace("café".encode(), b"cafe")
    r = invoke("stripe_webhook", "POST", "/", headers=headers, body=tampered)
    assert r.status == 400 and r.headers["content-type"].startswith("application/problem+json"), r.way
    assert r.json()["code"] == "invalid-signature" and r.json()["reason"] == "invalid_signature"

    r = invoke("stripe_webhook", "GET", "/")
    assert r.status == 405, r.way
    with psycopg.connect(webhook_env["SUPABASE_DB_URL"], autocommit=True) as conn:
        assert conn.execute(
            "select stripe_customer_id from public.organizations where id = %s", (org,)
        ).fetchone() == (f"cus_{key}",)
        assert stripe_db.ledger(conn, [event["id"]]) == {event["id"]: ("applied", 2)}
