"""The stripe-webhook's transaction shape: two messages per event (begin with its reads, writes with COMMIT),
literals that survive any payload, projections that do nothing for an unchanged row, and the new functions'
privileges."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from devkit.stripe_tools import EventFactory
from functions.stripe_webhook import repo, service
from functions.stripe_webhook.models import Event
from tests.functions.stripe_webhook import stripe_db

T0 = 1_764_000_000


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every message the webhook's transactions send."""
    seen: list[str] = []
    real = repo.Batch._send

    def recording(self: repo.Batch) -> None:
        seen.append(";".join(self._queued))
        real(self)

    monkeypatch.setattr(repo.Batch, "_send", recording)
    return seen


def _apply(conn: psycopg.Connection[Any], event: dict[str, Any], **kw: Any) -> str:
    return repo.apply_event(conn, Event.model_validate(event), json.dumps(event), **kw).outcome


def test_a_lifecycle_is_applied_in_two_messages_per_event(fresh_db: Any, sends: list[str]) -> None:
    f = EventFactory()
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        stripe_db.set_price(conn, "professional", "price_pro_monthly")
        org = stripe_db.add_org(conn, "Two Trips")
        events = f.lifecycle(org, "trips", t0=T0)
        for e in events:
            before = len(sends)
            assert _apply(conn, e) == "applied"
            assert len(sends) - before == 2, e["type"]
            assert sends[before].startswith("begin; set local role service_role")
            assert sends[before + 1].endswith("commit")
        before = len(sends)
        assert _apply(conn, events[0]) == "duplicate"
        assert len(sends) - before == 2
        rows = stripe_db.final_rows(conn, [org])
    assert rows["subscriptions"][0]["status"] == "cancelled"
    assert rows["payments"][0]["status"] == "succeeded"


def test_payloads_are_stored_exactly_whatever_they_contain(fresh_db: Any) -> None:
    f = EventFactory()
    tricky = "O'Brien \\ '); drop table public.payments; -- 100% %s %(x)s \u00e9\u2603 \"quoted\""
    event = f.event("customer.created", {"id": "cus_tricky", "object": "customer", "name": tricky}, T0)
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        assert _apply(conn, event) == "acknowledged"
        (payload,) = conn.execute(
            "select payload from public.stripe_events where id = %s", (event["id"],)
        ).fetchone()
        assert conn.execute("select count(*) from public.payments").fetchone() == (0,)
    assert payload == event


def test_a_replay_leaves_unchanged_projections_untouched(fresh_db: Any) -> None:
    f = EventFactory()
    with psycopg.connect(fresh_db.url, autocommit=True) as conn:
        stripe_db.set_price(conn, "professional", "price_pro_monthly")
        org = stripe_db.add_org(conn, "Replay Co")
        events = f.lifecycle(org, "replay", t0=T0)
        for e in events:
            _apply(conn, e)
        versions = conn.execute(
            "select (select xmin::text from public.subscriptions where organization_id = %s),"
            " (select string_agg(xmin::text, ',') from public.payments where organization_id = %s),"
            " (select xmin::text from public.organizations where id = %s)",
            (org, org, org),
        ).fetchone()
        for e in events:
            assert repo.replay_event(conn, e["id"]).outcome == "applied"
        assert (
            conn.execute(
                "select (select xmin::text from public.subscriptions where organization_id = %s),"
                " (select string_agg(xmin::text, ',') from public.payments where organization_id = %s),"
                " (select xmin::text from public.organizations where id = %s)",
                (org, org, org),
            ).fetchone()
            == versions
        )


def test_reads_are_the_up_front_locks_and_nothing_behind_a_later_lock() -> None:
    f = EventFactory()
    charge = Event.model_validate(f.event("charge.refunded", f.charge("pi_later", 4000, 4000), T0))
    snap = service.snapshot_for(charge)
    reads = repo.reads_for(snap)
    assert reads.locks == service.lock_keys(snap) == ["2pi:pi_later"]
    # the PaymentIntent is read under its lock; the Stripe invoice it may name is locked (3in:) only later
    assert [k for k, _ in reads.objects] == ["charge", "payment_intent"]
    assert reads.links["invoice"] == [] and reads.bindings == []
    sub = Event.model_validate(f.lifecycle(1, "r", t0=T0)[1])
    reads = repo.reads_for(service.snapshot_for(sub))
    assert (
        reads.locks == ["1cus:cus_r"] and reads.links["customer"] == ["cus_r"] and reads.bindings == ["cus_r"]
    )
    assert repo.reads_for(None).locks == []


@pytest.mark.parametrize(
    "function",
    [
        "public.stripe_event_begin(text, text, text, boolean, bigint, text, jsonb, boolean, jsonb)",
        "public.stripe_put_subscription(bigint, bigint, text, text, timestamptz, timestamptz, boolean, timestamptz,"
        " timestamptz, timestamptz, text, text, text, bigint, bigint)",
        "public.stripe_put_payment(bigint, text, bigint, numeric, text, text, text, text, text, text, timestamptz, text,"
        " numeric, text)",
    ],
)
def test_only_the_service_role_may_execute_the_webhook_functions(
    db: psycopg.Connection, function: str
) -> None:
    got = db.execute(
        "select r, has_function_privilege(r, %s::regprocedure, 'execute') from unnest(array['anon', 'authenticated',"
        " 'service_role']) r order by 1",
        (function,),
    ).fetchall()
    assert got == [("anon", False), ("authenticated", False), ("service_role", True)]
    (secdef, config) = db.execute(
        "select prosecdef, proconfig from pg_proc where oid = %s::regprocedure", (function,)
    ).fetchone()
    assert secdef is False and 'search_path=""' in config
