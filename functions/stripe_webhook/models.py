"""Typed models at the boundaries: the Stripe event envelope, the normalised object snapshots the service
merges (one shape whatever the endpoint's API version), and the rows it projects into our tables.

Stripe payloads change shape with the pinned API version. From `2025-03-31.basil` a subscription's periods
live on its items and an invoice points at its subscription through `parent.subscription_details`; before,
both were top-level. `Snapshot.from_stripe` reads either.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

# Currencies without minor units (Stripe's list); three-decimal currencies are charged in multiples of 10.
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())


def to_major(amount: int | None, currency: str | None) -> Decimal:
    """Stripe integer minor units -> Decimal major units of `currency` (never a float)."""
    cur = (currency or "usd").lower()
    value = Decimal(int(amount or 0))
    if cur in ZERO_DECIMAL:
        return value
    if cur in THREE_DECIMAL:
        return (value / 1000).quantize(Decimal("0.01"))
    return (value / 100).quantize(Decimal("0.01"))


def ts(value: int | None) -> datetime | None:
    """Unix seconds -> aware UTC datetime."""
    return None if value is None else datetime.fromtimestamp(int(value), UTC)


def _id(value: Any) -> str | None:
    """A Stripe reference is an id string or an expanded object with `id`."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        got = value.get("id")
        return got if isinstance(got, str) else None
    return None


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    object: dict[str, Any]
    previous_attributes: dict[str, Any] | None = None


class Event(BaseModel):
    """A snapshot event (`object: "event"`) as Stripe delivers it."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=255)
    object: Literal["event"] = "event"
    type: str = Field(min_length=1, max_length=255)
    api_version: str | None = None
    created: int
    livemode: bool = False
    data: EventData
    _snapshot: Any = PrivateAttr(default=None)  # the parsed snapshot, computed once per event object


class RelatedObject(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    type: str
    url: str


class ThinEvent(BaseModel):
    """A thin event (`object: "v2.core.event"`): no snapshot, only a pointer to the object."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=255)
    object: Literal["v2.core.event"]
    type: str
    created: str
    livemode: bool = False
    related_object: RelatedObject | None = None


# ---------------------------------------------------------------------------------------------------------
# Normalised snapshots. `kind` names the Stripe resource; `link_*` fields are what other objects are found by.


class Snap(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    id: str
    deleted: bool = False


class SubscriptionSnap(Snap):
    kind: Literal["subscription"] = "subscription"
    customer: str | None
    status: str
    created: int = 0
    price_id: str | None = None
    current_period_start: int | None = None
    current_period_end: int | None = None
    cancel_at_period_end: bool = False
    canceled_at: int | None = None
    ended_at: int | None = None
    trial_start: int | None = None
    trial_end: int | None = None


class InvoiceSnap(Snap):
    kind: Literal["invoice"] = "invoice"
    customer: str | None
    subscription: str | None = None
    status: str | None = None
    amount_due: int = 0
    amount_paid: int = 0
    currency: str = "usd"
    attempted: bool = False
    attempt_count: int = 0
    paid_at: int | None = None
    payment_intent: str | None = None
    billing_reason: str | None = None


class InvoicePaymentSnap(Snap):
    kind: Literal["invoice_payment"] = "invoice_payment"
    invoice: str | None
    payment_intent: str | None = None
    status: str | None = None


class PaymentError(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None


class PaymentIntentSnap(Snap):
    kind: Literal["payment_intent"] = "payment_intent"
    amount: int = 0
    amount_received: int = 0
    currency: str = "usd"
    status: str
    customer: str | None = None
    organization_id: str | None = None
    invoice_id: str | None = None
    stripe_invoice: str | None = None
    latest_charge: str | None = None
    payment_method_type: str | None = None
    last_payment_error: PaymentError | None = None
    cancellation_reason: str | None = None


class ChargeSnap(Snap):
    kind: Literal["charge"] = "charge"
    payment_intent: str | None
    amount: int = 0
    amount_refunded: int = 0
    currency: str = "usd"


class RefundSnap(Snap):
    kind: Literal["refund"] = "refund"
    payment_intent: str | None
    charge: str | None = None
    amount: int = 0
    currency: str = "usd"
    status: str | None = None


class DisputeSnap(Snap):
    kind: Literal["dispute"] = "dispute"
    payment_intent: str | None
    charge: str | None = None
    status: str
    amount: int = 0


class CheckoutSessionSnap(Snap):
    kind: Literal["checkout_session"] = "checkout_session"
    mode: str | None = None
    status: str | None = None
    payment_status: str | None = None
    customer: str | None = None
    client_reference_id: str | None = None
    subscription: str | None = None
    payment_intent: str | None = None
    amount_total: int | None = None
    currency: str = "usd"


class PriceSnap(Snap):
    kind: Literal["price"] = "price"
    product: str | None = None
    active: bool = True
    unit_amount: int | None = None
    currency: str = "usd"
    interval: str | None = None


class ProductSnap(Snap):
    kind: Literal["product"] = "product"
    active: bool = True


class CustomerSnap(Snap):
    kind: Literal["customer"] = "customer"


AnySnap = (
    SubscriptionSnap
    | InvoiceSnap
    | InvoicePaymentSnap
    | PaymentIntentSnap
    | ChargeSnap
    | RefundSnap
    | DisputeSnap
    | CheckoutSessionSnap
    | PriceSnap
    | ProductSnap
    | CustomerSnap
)

SNAP_TYPES: dict[str, type[Snap]] = {
    "subscription": SubscriptionSnap,
    "invoice": InvoiceSnap,
    "invoice_payment": InvoicePaymentSnap,
    "payment_intent": PaymentIntentSnap,
    "charge": ChargeSnap,
    "refund": RefundSnap,
    "dispute": DisputeSnap,
    "checkout_session": CheckoutSessionSnap,
    "price": PriceSnap,
    "product": ProductSnap,
    "customer": CustomerSnap,
}


def _first_item(obj: dict[str, Any]) -> dict[str, Any]:
    items = obj.get("items")
    data = items.get("data") if isinstance(items, dict) else None
    return data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}


def parse_snapshot(kind: str, obj: dict[str, Any], deleted: bool = False) -> AnySnap:
    """Normalise a Stripe object of resource `kind` (pre-basil or basil-or-later shape) into its snapshot.

    Raises pydantic.ValidationError when a required field is missing or mistyped.
    """
    o = obj
    if kind == "subscription":
        item = _first_item(o)
        price = item.get("price") or item.get("plan") or o.get("plan") or {}
        return SubscriptionSnap(
            id=o["id"],
            customer=_id(o.get("customer")),
            status=o.get("status") or "incomplete",
            created=o.get("created") or 0,
            price_id=_id(price),
            # basil+: periods on the item; before: on the subscription (some versions carry both)
            current_period_start=item.get("current_period_start", o.get("current_period_start")),
            current_period_end=item.get("current_period_end", o.get("current_period_end")),
            cancel_at_period_end=bool(o.get("cancel_at_period_end")),
            canceled_at=o.get("canceled_at"),
            ended_at=o.get("ended_at"),
            trial_start=o.get("trial_start"),
            trial_end=o.get("trial_end"),
            deleted=deleted,
        )
    if kind == "invoice":
        parent = o.get("parent") or {}
        details = parent.get("subscription_details") or {} if isinstance(parent, dict) else {}
        transitions = o.get("status_transitions") or {}
        return InvoiceSnap(
            id=o["id"],
            customer=_id(o.get("customer")),
            subscription=_id(o.get("subscription")) or _id(details.get("subscription")),
            status=o.get("status"),
            amount_due=o.get("amount_due") or 0,
            amount_paid=o.get("amount_paid") or 0,
            currency=o.get("currency") or "usd",
            attempted=bool(o.get("attempted")),
            attempt_count=o.get("attempt_count") or 0,
            paid_at=transitions.get("paid_at"),
            payment_intent=_id(o.get("payment_intent")),
            billing_reason=o.get("billing_reason"),
            deleted=deleted,
        )
    if kind == "invoice_payment":
        payment = o.get("payment") or {}
        return InvoicePaymentSnap(
            id=o["id"],
            invoice=_id(o.get("invoice")),
            payment_intent=_id(payment.get("payment_intent")),
            status=o.get("status"),
        )
    if kind == "payment_intent":
        meta = o.get("metadata") or {}
        err = o.get("last_payment_error")
        types = o.get("payment_method_types") or []
        return PaymentIntentSnap(
            id=o["id"],
            amount=o.get("amount") or 0,
            amount_received=o.get("amount_received") or 0,
            currency=o.get("currency") or "usd",
            status=o.get("status") or "requires_payment_method",
            customer=_id(o.get("customer")),
            organization_id=str(meta["organization_id"]) if meta.get("organization_id") else None,
            invoice_id=str(meta["invoice_id"]) if meta.get("invoice_id") else None,
            stripe_invoice=_id(o.get("invoice")),
            latest_charge=_id(o.get("latest_charge")),
            payment_method_type=types[0] if types else None,
            last_payment_error=PaymentError.model_validate(err) if isinstance(err, dict) else None,
            cancellation_reason=o.get("cancellation_reason"),
        )
    if kind == "charge":
        return ChargeSnap(
            id=o["id"],
            payment_intent=_id(o.get("payment_intent")),
            amount=o.get("amount") or 0,
            amount_refunded=o.get("amount_refunded") or 0,
            currency=o.get("currency") or "usd",
        )
    if kind == "refund":
        return RefundSnap(
            id=o["id"],
            payment_intent=_id(o.get("payment_intent")),
            charge=_id(o.get("charge")),
            amount=o.get("amount") or 0,
            currency=o.get("currency") or "usd",
            status=o.get("status"),
        )
    if kind == "dispute":
        return DisputeSnap(
            id=o["id"],
            payment_intent=_id(o.get("payment_intent")),
            charge=_id(o.get("charge")),
            status=o.get("status") or "needs_response",
            amount=o.get("amount") or 0,
        )
    if kind == "checkout_session":
        return CheckoutSessionSnap(
            id=o["id"],
            mode=o.get("mode"),
            status=o.get("status"),
            payment_status=o.get("payment_status"),
            customer=_id(o.get("customer")),
            client_reference_id=o.get("client_reference_id"),
            subscription=_id(o.get("subscription")),
            payment_intent=_id(o.get("payment_intent")),
            amount_total=o.get("amount_total"),
            currency=o.get("currency") or "usd",
        )
    if kind == "price":
        recurring = o.get("recurring") or {}
        return PriceSnap(
            id=o["id"],
            product=_id(o.get("product")),
            active=bool(o.get("active", True)) and not deleted,
            unit_amount=o.get("unit_amount"),
            currency=o.get("currency") or "usd",
            interval=recurring.get("interval") if isinstance(recurring, dict) else None,
            deleted=deleted,
        )
    if kind == "product":
        return ProductSnap(id=o["id"], active=bool(o.get("active", True)) and not deleted, deleted=deleted)
    if kind == "customer":
        return CustomerSnap(id=o["id"], deleted=deleted)
    raise ValueError(f"unknown snapshot kind {kind}")


# ---------------------------------------------------------------------------------------------------------
# Rows the service projects into our tables (compared as plain values in tests).


class Binding(BaseModel):
    """Which organization a Stripe customer bills; `deleted` tombstones it (customer.deleted)."""

    model_config = ConfigDict(frozen=True)
    stripe_customer_id: str
    organization_id: int
    deleted: bool = False


class SubscriptionRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    organization_id: int
    stripe_subscription_id: str
    stripe_customer_id: str | None
    plan_id: int | None
    stripe_price_id: str | None
    status: str
    stripe_status: str
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    cancelled_at: datetime | None
    trial_start: datetime | None
    trial_end: datetime | None
    last_event_created: int


class PaymentRow(BaseModel):
    """A `payments` row, keyed by the Stripe invoice (subscription billing) or by the PaymentIntent."""

    model_config = ConfigDict(frozen=True)
    organization_id: int
    stripe_invoice_id: str | None
    stripe_payment_intent_id: str | None
    stripe_subscription_id: str | None
    invoice_id: int | None
    amount: Decimal
    currency: str
    status: str
    payment_method: str | None
    stripe_charge_id: str | None
    failure_reason: str | None
    processed_at: datetime | None
    amount_refunded: Decimal
    dispute_status: str | None


class OrgInvoice(BaseModel):
    """The parts of an organization's `invoices` row that Stripe payments change."""

    model_config = ConfigDict(frozen=True)
    id: int
    organization_id: int
    total: Decimal
    status: str
    due_date: date
    amount_paid: Decimal
    balance_due: Decimal
    paid_at: datetime | None
    stripe_payment_intent_id: str | None


class PlanPrice(BaseModel):
    """What price/product events change on a `subscription_plans` row."""

    model_config = ConfigDict(frozen=True)
    stripe_price_id: str
    active: bool
    price_monthly: Decimal | None
    price_yearly: Decimal | None


class Outcome(BaseModel):
    """What processing one event did; the response body of the webhook."""

    event_id: str | None
    type: str
    outcome: Literal["applied", "pending", "ignored", "acknowledged", "duplicate"]
    detail: str | None = None
