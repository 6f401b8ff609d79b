"""Stripe tooling for local work (never deployed).

* `odyssey stripe resync [--since DATE]` pages Stripe's events whose delivery failed
  (`GET /v1/events?delivery_success=false`) through the webhook's own pipeline: rate-limited, resumable from
  a cursor stored in the database, idempotent (the event ledger makes a second run change nothing).
* `odyssey stripe replay EVENT_ID` re-applies an event already stored in the ledger.
* `EventFactory` builds realistic Stripe events in both payload shapes (before and after
  `2025-03-31.basil`) for tests, the benchmark and demos; `signed()` signs a body like Stripe does.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

PRE_BASIL = "2024-06-20"
BASIL = "2025-03-31.basil"


# ---------------------------------------------------------------------------------------------------------
# Event building


def signed(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `body` (one v1 made with `secret`)."""
    from functions.stripe_webhook import signature

    return signature.header_for(body, [secret], int(time.time()) if timestamp is None else timestamp)


_ids = itertools.count(1)


@dataclass
class EventFactory:
    """Stripe events with realistic payloads. `basil=True` uses the 2025-03-31.basil shapes."""

    basil: bool = False
    livemode: bool = False
    _seq: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def api_version(self) -> str:
        return BASIL if self.basil else PRE_BASIL

    def event(
        self, type_: str, obj: dict[str, Any], created: int, event_id: str | None = None
    ) -> dict[str, Any]:
        """The envelope Stripe POSTs for one event."""
        return {
            "id": event_id or f"evt_{next(_ids):06d}{next(self._seq):04d}",
            "object": "event",
            "api_version": self.api_version,
            "created": created,
            "livemode": self.livemode,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
            "data": {"object": obj},
        }

    # -- objects -----------------------------------------------------------------------------------------
    def price(
        self,
        price_id: str,
        amount: int = 9900,
        interval: str = "month",
        product: str = "prod_pro",
        active: bool = True,
        currency: str = "usd",
    ) -> dict[str, Any]:
        return {
            "id": price_id,
            "object": "price",
            "active": active,
            "currency": currency,
            "product": product,
            "unit_amount": amount,
            "type": "recurring",
            "livemode": self.livemode,
            "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"},
        }

    def subscription(
        self,
        sub_id: str,
        customer: str,
        status: str,
        created: int,
        price_id: str,
        period: tuple[int, int],
        cancel_at_period_end: bool = False,
        canceled_at: int | None = None,
        trial: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": f"si_{sub_id[4:]}",
            "object": "subscription_item",
            "quantity": 1,
            "price": self.price(price_id),
            "subscription": sub_id,
        }
        sub: dict[str, Any] = {
            "id": sub_id,
            "object": "subscription",
            "customer": customer,
            "status": status,
            "created": created,
            "start_date": created,
            "cancel_at_period_end": cancel_at_period_end,
            "canceled_at": canceled_at,
            "ended_at": canceled_at if status == "canceled" else None,
            "collection_method": "charge_automatically",
            "trial_start": trial[0] if trial else None,
            "trial_end": trial[1] if trial else None,
            "currency": "usd",
            "livemode": self.livemode,
            "metadata": {},
            "items": {"object": "list", "data": [item], "has_more": False},
        }
        if self.basil:
            item["current_period_start"], item["current_period_end"] = period
        else:
            sub["current_period_start"], sub["current_period_end"] = period
            sub["plan"] = {"id": price_id, "object": "plan", "amount": 9900, "interval": "month"}
            item["plan"] = sub["plan"]
        return sub

    def invoice(
        self,
        invoice_id: str,
        customer: str,
        subscription: str,
        status: str,
        amount: int,
        payment_intent: str | None,
        paid_at: int | None = None,
        attempted: bool = False,
        attempt_count: int = 0,
        currency: str = "usd",
    ) -> dict[str, Any]:
        inv: dict[str, Any] = {
            "id": invoice_id,
            "object": "invoice",
            "customer": customer,
            "status": status,
            "amount_due": amount,
            "amount_paid": amount if status == "paid" else 0,
            "amount_remaining": 0 if status == "paid" else amount,
            "currency": currency,
            "attempted": attempted or status == "paid",
            "attempt_count": attempt_count or (1 if status == "paid" else 0),
            "billing_reason": "subscription_create",
            "collection_method": "charge_automatically",
            "livemode": self.livemode,
            "status_transitions": {
                "finalized_at": None if status == "draft" else paid_at,
                "paid_at": paid_at,
                "voided_at": None,
                "marked_uncollectible_at": None,
            },
        }
        if self.basil:
            inv["parent"] = {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {"subscription": subscription, "metadata": {}},
            }
        else:
            inv["subscription"] = subscription
            inv["payment_intent"] = payment_intent if status != "draft" else None
        return inv

    def invoice_payment(
        self, inpay_id: str, invoice_id: str, payment_intent: str, amount: int
    ) -> dict[str, Any]:
        return {
            "id": inpay_id,
            "object": "invoice_payment",
            "invoice": invoice_id,
            "amount_paid": amount,
            "amount_requested": amount,
            "currency": "usd",
            "is_default": True,
            "status": "paid",
            "payment": {"type": "payment_intent", "payment_intent": payment_intent},
            "livemode": self.livemode,
        }

    def payment_intent(
        self,
        pi_id: str,
        amount: int,
        status: str,
        metadata: dict[str, str] | None = None,
        invoice: str | None = None,
        customer: str | None = None,
        error: dict[str, str] | None = None,
        currency: str = "usd",
    ) -> dict[str, Any]:
        pi: dict[str, Any] = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "currency": currency,
            "status": status,
            "amount_received": amount if status == "succeeded" else 0,
            "customer": customer,
            "metadata": metadata or {},
            "payment_method_types": ["card"],
            "livemode": self.livemode,
            "latest_charge": f"ch_{pi_id[3:]}" if status == "succeeded" or error else None,
            "last_payment_error": error,
            "cancellation_reason": None,
        }
        if not self.basil:
            pi["invoice"] = invoice
        return pi

    def charge(self, pi_id: str, amount: int, amount_refunded: int, currency: str = "usd") -> dict[str, Any]:
        return {
            "id": f"ch_{pi_id[3:]}",
            "object": "charge",
            "payment_intent": pi_id,
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": amount_refunded,
            "currency": currency,
            "refunded": amount_refunded >= amount,
            "status": "succeeded",
            "paid": True,
            "livemode": self.livemode,
        }

    def refund(self, refund_id: str, pi_id: str, amount: int, status: str = "succeeded") -> dict[str, Any]:
        return {
            "id": refund_id,
            "object": "refund",
            "payment_intent": pi_id,
            "charge": f"ch_{pi_id[3:]}",
            "amount": amount,
            "currency": "usd",
            "status": status,
            "reason": "requested_by_customer",
        }

    def dispute(self, dispute_id: str, pi_id: str, amount: int, status: str) -> dict[str, Any]:
        return {
            "id": dispute_id,
            "object": "dispute",
            "payment_intent": pi_id,
            "charge": f"ch_{pi_id[3:]}",
            "amount": amount,
            "currency": "usd",
            "status": status,
            "reason": "fraudulent",
            "livemode": self.livemode,
        }

    def checkout_session(
        self,
        cs_id: str,
        customer: str,
        organization_id: int,
        mode: str = "subscription",
        subscription: str | None = None,
        payment_intent: str | None = None,
        amount_total: int = 9900,
        payment_status: str = "paid",
    ) -> dict[str, Any]:
        return {
            "id": cs_id,
            "object": "checkout.session",
            "mode": mode,
            "status": "complete",
            "payment_status": payment_status,
            "customer": customer,
            "client_reference_id": str(organization_id),
            "subscription": subscription,
            "payment_intent": payment_intent,
            "amount_total": amount_total,
            "currency": "usd",
            "livemode": self.livemode,
            "metadata": {},
        }

    # -- scenarios ---------------------------------------------------------------------------------------
    def lifecycle(
        self,
        organization_id: int,
        key: str,
        price_id: str = "price_pro_monthly",
        t0: int = 1_764_000_000,
        invoice_payment: bool | None = None,
    ) -> list[dict[str, Any]]:
        """The 8-event lifecycle of one subscription (checkout, created incomplete, invoice created,
        finalized, paid, payment_intent succeeded, updated active, deleted), with same-second ties.
        Basil shapes add `invoice_payment.paid`, the event that links invoice and payment there."""
        cus, sub, inv, pi = f"cus_{key}", f"sub_{key}", f"in_{key}", f"pi_{key}"
        period = (t0, t0 + 30 * 86400)
        amount = 9900
        events = [
            self.event(
                "checkout.session.completed",
                self.checkout_session(f"cs_{key}", cus, organization_id, subscription=sub),
                t0,
            ),
            self.event(
                "customer.subscription.created",
                self.subscription(sub, cus, "incomplete", t0, price_id, period),
                t0,
            ),
            self.event("invoice.created", self.invoice(inv, cus, sub, "draft", amount, pi), t0),
            self.event("invoice.finalized", self.invoice(inv, cus, sub, "open", amount, pi), t0 + 1),
            self.event(
                "invoice.paid", self.invoice(inv, cus, sub, "paid", amount, pi, paid_at=t0 + 2), t0 + 2
            ),
            self.event(
                "payment_intent.succeeded",
                self.payment_intent(pi, amount, "succeeded", invoice=inv, customer=cus),
                t0 + 2,
            ),
            self.event(
                "customer.subscription.updated",
                self.subscription(sub, cus, "active", t0, price_id, period),
                t0 + 2,
            ),
            self.event(
                "customer.subscription.deleted",
                self.subscription(sub, cus, "canceled", t0, price_id, period, canceled_at=t0 + 900),
                t0 + 900,
            ),
        ]
        if self.basil if invoice_payment is None else invoice_payment:
            events.append(
                self.event(
                    "invoice_payment.paid", self.invoice_payment(f"inpay_{key}", inv, pi, amount), t0 + 2
                )
            )
        return events


# ---------------------------------------------------------------------------------------------------------
# Resync and replay


class ResyncError(RuntimeError):
    """The resync could not finish; the cursor keeps what was done, so running it again resumes."""


@dataclass
class ResyncReport:
    seen: int = 0
    applied: int = 0
    duplicates: int = 0
    pages: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # ledger outcome -> events seen, after the run


def _stripe_client(api_key: str, api_base: str | None) -> Any:
    import stripe

    kwargs: dict[str, Any] = {}
    if api_base:
        kwargs["base_addresses"] = {"api": api_base}
    return stripe.StripeClient(api_key, max_network_retries=2, **kwargs)


def resync(
    database_url: str,
    api_key: str,
    since: date | None = None,
    api_base: str | None = None,
    max_per_second: float = 20.0,
    page_size: int = 100,
    sleep: Callable[[float], None] = time.sleep,
    cursor_name: str = "failed_deliveries",
    clock: Callable[[], float] = time.monotonic,
) -> ResyncReport:
    """Apply every event Stripe lists as undelivered (`delivery_success=false`) through the webhook pipeline.

    Pages newest to oldest with `starting_after`; the last id applied is stored in
    public.stripe_sync_cursors after each event, so an interrupted run resumes after it. At most
    `max_per_second` API requests are made. Raises ResyncError when Stripe answers with an error.
    """
    import psycopg

    from functions.stripe_webhook import repo
    from functions.stripe_webhook.models import Event

    client = _stripe_client(api_key, api_base)
    report = ResyncReport()
    seen: list[str] = []
    created_gte = int(datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp()) if since else None
    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = repo.read_cursor(conn, cursor_name, created_gte)
        starting_after = cursor
        interval = 1.0 / max_per_second if max_per_second > 0 else 0.0
        last_request: float | None = None
        while True:
            if last_request is not None:
                wait = last_request + interval - clock()
                if wait > 0:
                    sleep(wait)
            last_request = clock()
            params: dict[str, Any] = {"delivery_success": False, "limit": page_size}
            if created_gte is not None:
                params["created"] = {"gte": created_gte}
            if starting_after:
                params["starting_after"] = starting_after
            try:
                page = client.v1.events.list(params=params)
            except Exception as exc:  # the stripe library's error tree: report one line
                raise ResyncError(
                    f"Stripe answered an error while listing events: {type(exc).__name__}"
                ) from exc
            report.pages += 1
            data = list(page.data)
            for item in data:
                raw = json.loads(json.dumps(item.to_dict()))
                event = Event.model_validate(raw)
                result = repo.apply_event(conn, event, raw_payload=json.dumps(raw).encode(), source="resync")
                report.seen += 1
                seen.append(event.id)
                if result.outcome == "duplicate":
                    report.duplicates += 1
                else:
                    report.applied += 1
                starting_after = event.id
                repo.write_cursor(conn, cursor_name, starting_after, created_gte)
            if not page.has_more or not data:
                break
        repo.write_cursor(conn, cursor_name, None, created_gte)  # a complete pass: start afresh next time
        # what the ledger says now (an event pending when it was applied may have been resolved by a later one)
        report.outcomes = repo.outcome_counts(conn, seen)
    return report


def replay(database_url: str, event_id: str) -> str:
    """Re-apply a stored event through the pipeline (idempotent); returns its outcome.

    Raises ResyncError when the ledger has no such event.
    """
    import psycopg

    from functions.stripe_webhook import repo

    with psycopg.connect(database_url, autocommit=True) as conn:
        result = repo.replay_event(conn, event_id)
    if result is None:
        raise ResyncError(f"no stored event {event_id}")
    return result.outcome


# ---------------------------------------------------------------------------------------------------------
# CLI


def _database_url(args: argparse.Namespace) -> str:
    from devkit.cli import target_urls

    url, _, _ = target_urls(args.database_url)
    return url


def _cmd_resync(args: argparse.Namespace) -> None:
    from devkit.cli import CliError

    api_key = os.environ.get("STRIPE_SECRET_KEY") or os.environ.get("STRIPE_API_KEY")
    if not api_key:
        raise CliError("set STRIPE_SECRET_KEY to resync from Stripe")
    since = date.fromisoformat(args.since) if args.since else None
    try:
        report = resync(
            _database_url(args),
            api_key,
            since=since,
            api_base=os.environ.get("STRIPE_API_BASE"),
            max_per_second=args.rate,
        )
    except ResyncError as exc:
        raise CliError(str(exc)) from exc
    ledger = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items())) or "nothing to do"
    print(
        f"resync: {report.seen} event(s) in {report.pages} page(s), {report.duplicates} already applied;"
        f" ledger: {ledger}"
    )


def _cmd_replay(args: argparse.Namespace) -> None:
    from devkit.cli import CliError

    try:
        outcome = replay(_database_url(args), args.event_id)
    except ResyncError as exc:
        raise CliError(str(exc)) from exc
    print(f"replay {args.event_id}: {outcome}")


def register_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `odyssey stripe resync [--since DATE]` and `odyssey stripe replay EVENT_ID`."""
    stripe_cmd = subparsers.add_parser("stripe", help="Stripe recovery tools")
    sub = stripe_cmd.add_subparsers(dest="stripe_command", required=True)
    p = sub.add_parser("resync", help="apply events whose webhook delivery failed")
    p.add_argument("--since", help="only events created on or after this date (YYYY-MM-DD)")
    p.add_argument(
        "--rate", type=float, default=20.0, help="at most this many Stripe API requests per second"
    )
    p.add_argument("--database-url")
    p.set_defaults(func=_cmd_resync)
    p = sub.add_parser("replay", help="re-apply an event stored in the ledger")
    p.add_argument("event_id")
    p.add_argument("--database-url")
    p.set_defaults(func=_cmd_replay)
