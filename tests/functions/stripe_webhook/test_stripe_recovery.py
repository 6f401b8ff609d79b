"""Recovery: `odyssey stripe resync` over a local Stripe API (rate-limited, resumable, idempotent),
`odyssey stripe replay`, and thin events whose object is fetched before applying."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from devkit import cli, stripe_tools
from devkit.stripe_tools import EventFactory
from functions.stripe_webhook import signature
from shared import db as shared_db
from tests.functions.stripe_webhook import stripe_db
from tests.functions.stripe_webhook.hooks import SECRET_A, FakeStripe, load_hook

T0 = 1_764_000_000


def _lifecycles(conn: psycopg.Connection[Any], n: int) -> tuple[list[int], list[dict[str, Any]]]:
    stripe_db.set_price(conn, "professional", "price_pro_monthly")
    orgs = [stripe_db.add_org(conn, f"Resync {i}") for i in range(n)]
    f = EventFactory()
    events: list[dict[str, Any]] = []
    for i, org in enumerate(orgs):
        events += f.lifecycle(org, f"rs{i}", t0=T0 + i)
    return orgs, events


def test_resync_applies_failed_deliveries_idempotently_and_resumes(
    fresh_db: Any, fake_stripe: FakeStripe
) -> None:
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        orgs, events = _lifecycles(conn, 3)
    delivered = events[0]  # delivered fine: Stripe does not list it
    fake_stripe.events = [
        {**e, "_delivered": e is delivered} for e in sorted(events, key=lambda e: -e["created"])
    ]
    waits: list[float] = []
    fake_stripe.fail_on = {3}  # the third page fails: the run stops, keeping its cursor
    with pytest.raises(stripe_tools.ResyncError):
        stripe_tools.resync(
            fresh_db.url,
            "sk_test_local",
            api_base=fake_stripe.url,
            page_size=5,
            max_per_second=50,
            sleep=waits.append,
        )
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        (cursor,) = conn.execute("select starting_after from public.stripe_sync_cursors").fetchone()
        assert conn.execute("select count(*) from public.stripe_events").fetchone() == (10,)
    listed = [e for e in fake_stripe.events if not e["_delivered"]]
    assert cursor == listed[9]["id"]  # two full pages of five were applied before the failure
    assert all(q["delivery_success"] == ["false"] for _, q, _ in fake_stripe.requests)
    assert all(auth == "Bearer sk_test_local" for *_, auth in fake_stripe.requests)
    first_pass = len(fake_stripe.requests)

    waits.clear()
    now = [1000.0]  # a clock that only moves when the resync sleeps: every request must wait its turn
    report = stripe_tools.resync(
        fresh_db.url,
        "sk_test_local",
        api_base=fake_stripe.url,
        page_size=5,
        max_per_second=4,
        sleep=lambda s: (waits.append(s), now.__setitem__(0, now[0] + s)),
        clock=lambda: now[0],
    )
    # it resumed after the cursor instead of starting over
    assert fake_stripe.requests[first_pass][1]["starting_after"] == [cursor]
    assert report.seen == len(events) - 1 - 10 and report.duplicates == 0
    second_pass = len(fake_stripe.requests) - first_pass
    assert second_pass == 3 and waits == [0.25] * (second_pass - 1)  # at most 4 requests per second
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        rows = stripe_db.final_rows(conn, orgs)
        assert [(s["organization_id"], s["status"]) for s in rows["subscriptions"]] == [
            (orgs[1], "cancelled"),
            (orgs[2], "cancelled"),
        ]
        # only the delivered checkout is missing; its organization waits for it
        assert (
            conn.execute("select count(*) from public.stripe_events where outcome = 'pending'").fetchone()[0]
            > 0
        )
        ledger_before = conn.execute(
            "select id, outcome, attempts, processed_at from public.stripe_events order by id"
        ).fetchall()

    again = stripe_tools.resync(
        fresh_db.url,
        "sk_test_local",
        api_base=fake_stripe.url,
        page_size=100,
        max_per_second=50,
        sleep=waits.append,
    )
    assert (again.seen, again.duplicates, again.applied) == (len(events) - 1, len(events) - 1, 0)
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        assert stripe_db.final_rows(conn, orgs) == rows
        after = conn.execute(
            "select id, outcome, processed_at from public.stripe_events order by id"
        ).fetchall()
    assert after == [(i, o, p) for i, o, _, p in ledger_before]


def test_resync_since_a_date_and_replay_through_the_cli(
    fresh_db: Any,
    fake_stripe: FakeStripe,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        orgs, events = _lifecycles(conn, 1)
    old = EventFactory().event("customer.created", {"id": "cus_old", "object": "customer"}, 1_600_000_000)
    fake_stripe.events = sorted(events, key=lambda e: -e["created"]) + [old]
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_local")
    monkeypatch.setenv("STRIPE_API_BASE", fake_stripe.url)
    cli.main(["stripe", "resync", "--since", "2025-11-01", "--database-url", fresh_db.url, "--rate", "100"])
    out = capsys.readouterr().out
    assert out.strip() == "resync: 8 event(s) in 1 page(s), 0 already applied; ledger: applied 8"
    assert fake_stripe.requests[0][1]["created[gte]"] == [
        str(int(datetime(2025, 11, 1, tzinfo=UTC).timestamp()))
    ]
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        assert conn.execute(
            "select count(*) from public.stripe_events where id = %s", (old["id"],)
        ).fetchone() == (0,)
        before = stripe_db.final_rows(conn, orgs)
        conn.execute(
            "update public.subscriptions set status = 'active' where organization_id = %s", (orgs[0],)
        )
    # replay re-applies the stored event through the same path: the projection repairs the row
    cli.main(["stripe", "replay", events[7]["id"], "--database-url", fresh_db.url])
    assert f"replay {events[7]['id']}: applied" in capsys.readouterr().out
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        assert stripe_db.final_rows(conn, orgs) == before
        assert conn.execute(
            "select source, attempts from public.stripe_events where id = %s", (events[7]["id"],)
        ).fetchone() == ("replay", 2)
    with pytest.raises(SystemExit):
        cli.main(["stripe", "replay", "evt_missing", "--database-url", fresh_db.url])
    assert "no stored event evt_missing" in capsys.readouterr().err


def test_thin_event_is_verified_then_its_object_fetched_and_applied(
    fresh_db: Any, fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = EventFactory(basil=True)
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        org = stripe_db.add_org(conn, "Thin Co")
        conn.execute("update public.organizations set stripe_customer_id = 'cus_thin' where id = %s", (org,))
    fake_stripe.objects["/v1/subscriptions/sub_thin"] = f.subscription(
        "sub_thin", "cus_thin", "active", T0, "price_pro_monthly", (T0, T0 + 86400)
    )
    hook = load_hook(
        monkeypatch, fresh_db.url, STRIPE_SECRET_KEY="sk_test_local", STRIPE_API_BASE=fake_stripe.url
    )
    try:
        thin = {
            "id": "evt_thin_1",
            "object": "v2.core.event",
            "type": "customer.subscription.updated",
            "created": "2025-11-24T16:00:05.000Z",
            "livemode": False,
            "related_object": {"id": "sub_thin", "type": "subscription", "url": "/v1/subscriptions/sub_thin"},
        }
        body = json.dumps(thin).encode()
        bad = hook.post(body, signature.header_for(body, ["whsec_other"], int(time.time())))
        assert bad.status == 400 and fake_stripe.requests == []  # verified before anything is fetched
        r = hook.post(body, signature.header_for(body, [SECRET_A], int(time.time())))
        assert (r.status, r.json_body()["outcome"]) == (200, "applied")
        assert [p for p, _, _ in fake_stripe.requests] == ["/v1/subscriptions/sub_thin"]
        fake_stripe.objects.clear()
        missing = dict(thin, id="evt_thin_2")
        body = json.dumps(missing).encode()
        r = hook.post(body, signature.header_for(body, [SECRET_A], int(time.time())))
        assert r.status == 503 and r.headers.get("Retry-After")
        with psycopg.connect(fresh_db.url, autocommit=True) as conn:
            assert conn.execute(
                "select status, stripe_status, last_event_created from public.subscriptions"
                " where organization_id = %s",
                (org,),
            ).fetchone() == ("active", "active", T0 + 5)
            assert conn.execute("select id from public.stripe_events order by id").fetchall() == [
                ("evt_thin_1",)
            ]
    finally:
        shared_db.close_pools()
