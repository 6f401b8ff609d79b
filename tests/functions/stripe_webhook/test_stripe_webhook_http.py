"""The stripe-webhook end to end over HTTP against the real database: signatures, exactly-once under
duplicate and concurrent delivery, any delivery order, pending dependencies, both payload shapes, failures."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from devkit.stripe_tools import EventFactory
from functions.stripe_webhook import repo, signature
from functions.stripe_webhook.models import Event
from tests.functions.stripe_webhook import stripe_db
from tests.functions.stripe_webhook.hooks import SECRET_A, SECRET_B, Hook
from tests.unit.stripe_webhook.stripe_fixtures import MemoryStore

T0 = 1_764_000_000


def _connect(fresh_db: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(fresh_db.url, autocommit=True)


def _memory(
    events: list[dict[str, Any]],
    orgs: set[int],
    plans: dict[str, int],
    invoices: dict[int, Any] | None = None,
) -> dict[str, Any]:
    st = MemoryStore(orgs=orgs, plans=plans)
    st.invoices.update(invoices or {})
    for e in events:
        st.deliver(Event.model_validate(e), date.today())
    rows = st.final_rows()
    return {k: rows[k] for k in ("subscriptions", "payments", "invoices", "org_customer", "org_plan")}


# -- signatures -----------------------------------------------------------------------------------------------


def test_signature_table(hook: Hook, fresh_db: Any) -> None:
    f = EventFactory()
    with _connect(fresh_db) as conn:
        org = stripe_db.add_org(conn, "Sig Co")
    event = f.event("checkout.session.completed", f.checkout_session("cs_sig", "cus_sig", org), T0)
    body = json.dumps(event).encode()
    now = int(time.time())
    hook.frozen = now  # exact edges: 301 s either side of the endpoint's clock
    good = signature.header_for(body, [SECRET_A], now)
    tampered = body.replace(b"cus_sig", b"cus_siG")
    cases = [
        ("one byte changed", tampered, good, 400, "invalid_signature"),
        ("wrong secret", body, signature.header_for(body, ["whsec_wrong"], now), 400, "invalid_signature"),
        (
            "301 s old",
            body,
            signature.header_for(body, [SECRET_A], now - 301),
            400,
            "timestamp_out_of_tolerance",
        ),
        (
            "301 s in the future",
            body,
            signature.header_for(body, [SECRET_A], now + 301),
            400,
            "timestamp_out_of_tolerance",
        ),
        ("header missing", body, None, 400, "missing_signature"),
        ("timestamp with a non-ASCII digit", body, "t=\u00b2,v1=00", 400, "invalid_signature_header"),
        ("v0 only", body, f"t={now},v0={signature.compute(SECRET_A, now, body)}", 400, "no_v1_signature"),
    ]
    with _connect(fresh_db) as conn:
        for name, payload, header, status, reason in cases:
            r = hook.post(payload, header)
            assert r.status == status, name
            problem = r.json_body()
            assert (problem["code"], problem["reason"]) == ("invalid-signature", reason), name
            assert SECRET_A not in r.body.decode() and "whsec" not in r.body.decode()
            assert conn.execute("select count(*) from public.stripe_events").fetchone() == (0,), name
            assert conn.execute("select count(*) from public.stripe_objects").fetchone() == (0,), name
        # the second of two configured secrets is accepted; then the first one is a duplicate
        r = hook.post(body, signature.header_for(body, [SECRET_B], now))
        assert (r.status, r.json_body()["outcome"]) == (200, "applied")
        r = hook.post(body, good)
        assert (r.status, r.json_body()["outcome"]) == (200, "duplicate")
        assert conn.execute(
            "select stripe_customer_id from public.organizations where id = %s", (org,)
        ).fetchone() == ("cus_sig",)
        assert stripe_db.ledger(conn, [event["id"]]) == {event["id"]: ("applied", 2)}


def test_status_codes_for_what_is_not_an_error(hook: Hook, fresh_db: Any) -> None:
    f = EventFactory()
    r = hook.deliver(
        f.event(
            "radar.early_fraud_warning.created", {"id": "issfr_1", "object": "radar.early_fraud_warning"}, T0
        )
    )
    assert (r.status, r.json_body()["outcome"]) == (200, "ignored")
    r = hook.deliver(
        f.event("invoice.upcoming", {"object": "invoice", "customer": "cus_1", "status": "draft"}, T0)
    )
    assert (r.status, r.json_body()["outcome"]) == (200, "acknowledged")
    now = int(time.time())
    for body in (b"not json", b"[1, 2]", b'{"object": "event", "id": "evt_x"}'):
        r = hook.post(body, signature.header_for(body, [SECRET_A], now))
        assert r.status == 400 and r.json_body()["code"] == "invalid-event", body
    # a subscription event whose object is not a subscription is unreadable, not retryable
    r = hook.deliver(f.event("customer.subscription.updated", {"object": "subscription"}, T0))
    assert r.status == 400
    with _connect(fresh_db) as conn:
        rows = conn.execute("select type, outcome from public.stripe_events order by type").fetchall()
    assert rows == [("radar.early_fraud_warning.created", "ignored")]


def test_text_that_spells_an_escaped_nul_is_stored_as_sent(hook: Hook, fresh_db: Any) -> None:
    """jsonb refuses the NUL character, so the ledger drops real `\\u0000` escapes; a customer's text that only
    spells it (a backslash, then "u0000") must survive. Before: the raw replace cut it out of `\\\\u0000`,
    leaving `"...\\"` (unterminated: the delivery failed with 500 on every retry) or another string."""
    f = EventFactory()
    with _connect(fresh_db) as conn:
        org = stripe_db.add_org(conn, "Nul Co")
    session = f.checkout_session("cs_nul", "cus_nul", org)
    session["metadata"] = {"note": "typed \\u0000", "real": "a\u0000b", "both": "\\\u0000\\u0000x"}
    event = f.event("checkout.session.completed", session, T0)
    r = hook.deliver(event)
    assert (r.status, r.json_body()["outcome"]) == (200, "applied"), r.body
    with _connect(fresh_db) as conn:
        (payload,) = conn.execute(
            "select payload from public.stripe_events where id = %s", (event["id"],)
        ).fetchone()
    assert payload["data"]["object"]["metadata"] == {
        "note": "typed \\u0000",
        "real": "ab",
        "both": "\\\\u0000x",
    }


# -- exactly once ---------------------------------------------------------------------------------------------


def test_fifty_concurrent_deliveries_of_one_event_have_one_effect(hook: Hook, fresh_db: Any) -> None:
    f = EventFactory()
    with _connect(fresh_db) as conn:
        org = stripe_db.add_org(conn, "Busy Co")
        inv = stripe_db.add_invoice(conn, org, "INV-C-1", "100.00", date(2099, 1, 1))
    meta = {"organization_id": str(org), "invoice_id": str(inv)}
    event = f.event(
        "payment_intent.succeeded", f.payment_intent("pi_conc", 2500, "succeeded", metadata=meta), T0
    )
    body = json.dumps(event).encode()
    barrier = threading.Barrier(16)

    def send(i: int) -> tuple[int, str]:
        if i < 16:
            barrier.wait()
        r = hook.post(body, signature.header_for(body, [SECRET_A if i % 2 else SECRET_B], int(time.time())))
        return r.status, r.json_body().get("outcome", "")

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(send, range(50)))
    assert [s for s, _ in results] == [200] * 50
    assert Counter(o for _, o in results) == {"applied": 1, "duplicate": 49}
    with _connect(fresh_db) as conn:
        assert conn.execute(
            "select amount_paid, balance_due, status from public.invoices where id = %s", (inv,)
        ).fetchone() == (Decimal("25.00"), Decimal("75.00"), "sent")
        assert conn.execute(
            "select count(*), sum(amount) from public.payments where invoice_id = %s", (inv,)
        ).fetchone() == (1, Decimal("25.00"))
        assert stripe_db.ledger(conn, [event["id"]]) == {event["id"]: ("applied", 50)}


def test_a_failure_rolls_everything_back_and_asks_for_a_retry(
    hook: Hook, fresh_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = EventFactory()
    with _connect(fresh_db) as conn:
        org = stripe_db.add_org(conn, "Fragile Co")
        inv = stripe_db.add_invoice(conn, org, "INV-F-1", "50.00", date(2099, 1, 1))
    event = f.event(
        "payment_intent.succeeded",
        f.payment_intent(
            "pi_fail", 5000, "succeeded", metadata={"organization_id": str(org), "invoice_id": str(inv)}
        ),
        T0,
    )

    def broken(self: Any, row: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(repo.SqlStore, "put_payment", broken)
    r = hook.deliver(event)
    assert r.status == 500 and "disk on fire" not in r.body.decode()
    with _connect(fresh_db) as conn:
        assert conn.execute("select count(*) from public.stripe_objects").fetchone() == (0,)
        assert conn.execute("select count(*) from public.payments").fetchone() == (0,)
        assert conn.execute(
            "select outcome, attempts, error from public.stripe_events where id = %s", (event["id"],)
        ).fetchone() == ("failed", 1, "RuntimeError")
    monkeypatch.undo()
    r = hook.deliver(event)
    assert (r.status, r.json_body()["outcome"]) == (200, "applied")
    with _connect(fresh_db) as conn:
        assert conn.execute(
            "select status, amount_paid from public.invoices where id = %s", (inv,)
        ).fetchone() == ("paid", Decimal("50.00"))
        assert stripe_db.ledger(conn, [event["id"]]) == {event["id"]: ("applied", 2)}


# -- order independence ---------------------------------------------------------------------------------------


def test_sampled_lifecycle_orders_over_http_match_the_in_memory_result(hook: Hook, fresh_db: Any) -> None:
    rng = random.Random(42)
    f = EventFactory()
    with _connect(fresh_db) as conn:
        plan = stripe_db.set_price(conn, "professional", "price_pro_monthly")
        orgs = [stripe_db.add_org(conn, f"Perm {i}") for i in range(10)]
    for i, org in enumerate(orgs):
        events = f.lifecycle(org, f"perm{i}", t0=T0)
        order = rng.sample(events, len(events)) if i else events[::-1]
        for e in order:
            assert hook.deliver(e).status == 200
        with _connect(fresh_db) as conn:
            got = stripe_db.final_rows(conn, [org])
            assert got == _memory(events, {org}, {"price_pro_monthly": plan}), [e["type"] for e in order]
            assert got["subscriptions"][0]["status"] == "cancelled"
            assert {o for o, _ in stripe_db.ledger(conn, [e["id"] for e in events]).values()} == {"applied"}
            assert conn.execute("select count(*) from public.stripe_pending_events").fetchone() == (0,)
            (pay_sub,) = conn.execute(
                "select p.subscription_id = s.id from public.payments p join public.subscriptions s"
                " on s.organization_id = p.organization_id where p.organization_id = %s",
                (org,),
            ).fetchone()
            assert pay_sub is True


def test_pre_basil_and_basil_payloads_give_the_same_rows(hook: Hook, fresh_db: Any) -> None:
    with _connect(fresh_db) as conn:
        stripe_db.set_price(conn, "professional", "price_pro_monthly")
        old_org, new_org = stripe_db.add_org(conn, "Old shape"), stripe_db.add_org(conn, "New shape")
    for org, basil, key in ((old_org, False, "shapeA"), (new_org, True, "shapeB")):
        for e in reversed(EventFactory(basil=basil).lifecycle(org, key, t0=T0)):
            assert hook.deliver(e).status == 200

    def normal(org: int, key: str) -> str:
        rows = stripe_db.final_rows(conn, [org])
        for table in ("subscriptions", "payments"):
            for row in rows[table]:
                row["organization_id"] = "ORG"
        rows["org_customer"] = list(rows["org_customer"].values())
        rows["org_plan"] = list(rows["org_plan"].values())
        return json.dumps(rows, default=str).replace(key, "K")

    with _connect(fresh_db) as conn:
        old, new = normal(old_org, "shapeA"), normal(new_org, "shapeB")
        versions = conn.execute("select distinct api_version from public.stripe_events order by 1").fetchall()
    assert old == new
    assert '"status": "succeeded"' in old and '"stripe_payment_intent_id": "pi_K"' in old
    assert versions == [("2024-06-20",), ("2025-03-31.basil",)]


def test_invoice_payments_and_refunds_in_every_order(hook: Hook, fresh_db: Any) -> None:
    f = EventFactory()
    with _connect(fresh_db) as conn:
        org = stripe_db.add_org(conn, "Refund Co")
    for n, order in enumerate(itertools.permutations(range(4))):
        with _connect(fresh_db) as conn:
            inv = stripe_db.add_invoice(conn, org, f"INV-R-{n}", "100.00", date(2000, 1, 1))
        meta = {"organization_id": str(org), "invoice_id": str(inv)}
        events = [
            f.event(
                "payment_intent.succeeded",
                f.payment_intent(f"pi_r{n}a", 6000, "succeeded", metadata=meta),
                T0,
            ),
            f.event(
                "payment_intent.succeeded",
                f.payment_intent(f"pi_r{n}b", 4000, "succeeded", metadata=meta),
                T0 + 1,
            ),
            f.event("refund.created", f.refund(f"re_r{n}a", f"pi_r{n}a", 2000), T0 + 2),
            f.event("charge.refunded", f.charge(f"pi_r{n}b", 4000, 4000), T0 + 3),
        ]
        for i in order:
            assert hook.deliver(events[i]).status == 200
        with _connect(fresh_db) as conn:
            assert conn.execute(
                "select amount_paid, balance_due, status, paid_at from public.invoices where id = %s", (inv,)
            ).fetchone() == (Decimal("40.00"), Decimal("60.00"), "overdue", None), order
            assert conn.execute(
                "select stripe_payment_intent_id, status, amount_refunded from public.payments"
                " where invoice_id = %s order by 1",
                (inv,),
            ).fetchall() == [
                (f"pi_r{n}a", "succeeded", Decimal("20.00")),
                (f"pi_r{n}b", "refunded", Decimal("40.00")),
            ]


@pytest.mark.parametrize("checkout_first", [True, False])
def test_pending_event_applied_when_its_dependency_arrives(
    hook: Hook, fresh_db: Any, checkout_first: bool
) -> None:
    f = EventFactory()
    with _connect(fresh_db) as conn:
        org = stripe_db.add_org(conn, "Later Co")
    checkout, created = f.lifecycle(org, "pend", t0=T0)[:2]
    first, second = (checkout, created) if checkout_first else (created, checkout)
    r = hook.deliver(first)
    assert (r.status, r.json_body()["outcome"]) == (200, "applied" if checkout_first else "pending")
    with _connect(fresh_db) as conn:
        if not checkout_first:
            assert conn.execute("select count(*) from public.subscriptions").fetchone() == (0,)
            assert conn.execute("select waiting_for from public.stripe_pending_events").fetchall() == [
                ("customer:cus_pend",)
            ]
            assert hook.deliver(created).json_body()["outcome"] == "duplicate"  # Stripe's retry: no 4xx loop
    assert hook.deliver(second).json_body()["outcome"] == "applied"
    with _connect(fresh_db) as conn:
        assert conn.execute(
            "select organization_id, status, stripe_status from public.subscriptions"
        ).fetchall() == [(org, "unpaid", "incomplete")]
        assert stripe_db.ledger(conn, [checkout["id"], created["id"]]) == {
            checkout["id"]: ("applied", 1),
            created["id"]: ("applied", 1 if checkout_first else 2),
        }
        assert conn.execute("select count(*) from public.stripe_pending_events").fetchone() == (0,)


def _interleaved(f: EventFactory, orgs: list[int], prefix: str) -> list[dict[str, Any]]:
    """1000 events over 20 subscriptions: their lifecycles plus many same-second status updates, shuffled."""
    rng = random.Random(1000)
    statuses = ["trialing", "active", "past_due", "unpaid", "active", "paused"]
    events: list[dict[str, Any]] = []
    for i, org in enumerate(orgs):
        key = f"{prefix}{i}"
        life = f.lifecycle(org, key, t0=T0)
        if i % 4 == 0:
            life = life[:7]  # a quarter of them are never deleted
        events += life
        while len(events) < (i + 1) * 50:
            t = T0 + rng.randrange(0, 1200, 3)  # every third second: plenty of same-second ties
            sub = f.subscription(
                f"sub_{key}",
                f"cus_{key}",
                rng.choice(statuses),
                T0,
                "price_pro_monthly",
                (t, t + 86400),
                cancel_at_period_end=rng.random() < 0.3,
            )
            events.append(f.event("customer.subscription.updated", sub, t))
    rng.shuffle(events)
    return events


def _normalised(conn: psycopg.Connection[Any], orgs: list[int], prefix: str) -> list[str]:
    rows = stripe_db.final_rows(conn, orgs)
    index = {org: n for n, org in enumerate(orgs)}
    out = []
    for table in ("subscriptions", "payments"):
        for row in rows[table]:
            row["organization_id"] = index[row["organization_id"]]
            out.append(json.dumps(row, default=str, sort_keys=True).replace(f"_{prefix}", "_K"))
    out.append(json.dumps({index[k]: v for k, v in rows["org_customer"].items()}).replace(f"_{prefix}", "_K"))
    return out


def test_thousand_interleaved_events_from_sixteen_workers_equal_a_serial_replay(
    hook: Hook, fresh_db: Any
) -> None:
    f = EventFactory()
    with _connect(fresh_db) as conn:
        plan = stripe_db.set_price(conn, "professional", "price_pro_monthly")
        orgs = [stripe_db.add_org(conn, f"Load {i}") for i in range(20)]
        serial_orgs = [stripe_db.add_org(conn, f"Serial {i}") for i in range(20)]
    events = _interleaved(f, orgs, "load")
    # the same events (same structure, same relative event-id order) for other tenants, applied one by one
    serial = _interleaved(f, serial_orgs, "serial")
    assert len(events) == len(serial) == 1000
    with ThreadPoolExecutor(16) as pool:
        statuses_seen = Counter(pool.map(lambda e: hook.deliver(e).status, events))
    assert statuses_seen == {200: 1000}
    with _connect(fresh_db) as conn:  # the serial replay: one connection, one event after the other
        for e in serial:
            repo.apply_event(conn, Event.model_validate(e), json.dumps(e))
    with _connect(fresh_db) as conn:
        got = stripe_db.final_rows(conn, orgs)
        assert conn.execute("select outcome, count(*) from public.stripe_events group by 1").fetchall() == [
            ("applied", 2000)
        ]
        assert conn.execute("select max(attempts) from public.stripe_events").fetchone() == (1,)
        assert _normalised(conn, orgs, "load") == _normalised(conn, serial_orgs, "serial")
    # and both equal the in-memory model applying them in id order
    want = _memory(sorted(events, key=lambda e: e["id"]), set(orgs), {"price_pro_monthly": plan})
    assert got == want
    assert Counter(s["status"] for s in got["subscriptions"])["cancelled"] == 15


def test_database_down_is_a_retryable_503(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared import db as shared_db
    from tests.functions.stripe_webhook.hooks import load_hook

    down = load_hook(
        monkeypatch,
        "postgresql://postgres@127.0.0.1:1/nowhere",
        ODYSSEY_DB_POOL_TIMEOUT_S="0.5",
        ODYSSEY_DB_CONNECT_TIMEOUT_S="1",
    )
    try:
        f = EventFactory()
        r = down.deliver(f.event("customer.deleted", {"id": "cus_down", "object": "customer"}, T0))
        assert r.status == 503 and r.headers.get("Retry-After")
        assert "postgresql://" not in r.body.decode()
        # a bad signature is still a 400, decided before the database is needed
        assert down.post(b"{}", "t=1,v1=00").status == 400
    finally:
        shared_db.close_pools()
