"""The domain logic of the stripe-webhook: apply one Stripe event so that the final state depends only on
the *set* of events received, never on their order, their duplicates or their timing.

How (the two rules everything else follows):

1. Every Stripe object is kept as its latest snapshot, chosen by a total order on versions
   `(terminal, created, status rank, event id)`: terminal states (deleted, cancelled, succeeded, ...) beat
   everything, then the newer event, then — for several events in the same second — the state further
   along the object's lifecycle, then the event id, so even exact ties resolve the same way every time.
   Taking the maximum is commutative, associative and idempotent.
2. Our rows (subscriptions, payments, invoices, plans, the customer binding) are *projections*: pure
   functions of the stored snapshots, recomputed whenever an event touches one of their inputs. A
   projection whose input is missing (a subscription whose customer is not yet bound to an organization)
   leaves the event pending; the event that supplies the input re-projects and resolves it.

Collaborators come in through `Store` (SQL in repo.py, dictionaries in tests); this module does no I/O.
Serialisation: each event first takes every lock it needs in one sorted call (`lock_keys`), and any later
lock is of a higher class, so two events never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from functions.stripe_webhook.models import (
    AnySnap,
    Binding,
    ChargeSnap,
    CheckoutSessionSnap,
    CustomerSnap,
    DisputeSnap,
    Event,
    InvoicePaymentSnap,
    InvoiceSnap,
    OrgInvoice,
    Outcome,
    PaymentIntentSnap,
    PaymentRow,
    PlanPrice,
    PriceSnap,
    ProductSnap,
    RefundSnap,
    SubscriptionRow,
    SubscriptionSnap,
    parse_snapshot,
    to_major,
    ts,
)
from shared.http import ascii_int

Version = tuple[int, int, int, str]

ACK = "acknowledged"

# event type -> (snapshot kind, the event itself marks the object deleted) or ACK
ROUTES: dict[str, tuple[str, bool] | str] = {
    **{
        f"checkout.session.{s}": ("checkout_session", False)
        for s in ("completed", "async_payment_succeeded", "async_payment_failed", "expired")
    },
    **{
        f"customer.subscription.{s}": ("subscription", False)
        for s in (
            "created",
            "updated",
            "paused",
            "resumed",
            "pending_update_applied",
            "pending_update_expired",
        )
    },
    "customer.subscription.deleted": ("subscription", True),
    "customer.subscription.trial_will_end": ACK,
    **{
        f"invoice.{s}": ("invoice", False)
        for s in (
            "created",
            "finalized",
            "updated",
            "paid",
            "payment_succeeded",
            "payment_failed",
            "voided",
            "marked_uncollectible",
            "payment_action_required",
            "finalization_failed",
            "overdue",
            "sent",
            "will_be_due",
        )
    },
    "invoice.deleted": ("invoice", True),
    "invoice.upcoming": ACK,
    "invoice_payment.paid": ("invoice_payment", False),
    **{
        f"payment_intent.{s}": ("payment_intent", False)
        for s in (
            "succeeded",
            "payment_failed",
            "processing",
            "canceled",
            "created",
            "requires_action",
            "amount_capturable_updated",
            "partially_funded",
        )
    },
    **{f"charge.{s}": ("charge", False) for s in ("refunded", "succeeded", "updated", "captured", "failed")},
    "charge.refund.updated": ("refund", False),
    **{f"refund.{s}": ("refund", False) for s in ("created", "updated", "failed")},
    **{
        f"charge.dispute.{s}": ("dispute", False)
        for s in ("created", "updated", "closed", "funds_withdrawn", "funds_reinstated")
    },
    "customer.created": ACK,
    "customer.updated": ACK,
    "customer.deleted": ("customer", True),
    "product.created": ("product", False),
    "product.updated": ("product", False),
    "product.deleted": ("product", True),
    "price.created": ("price", False),
    "price.updated": ("price", False),
    "price.deleted": ("price", True),
}

# Lifecycle order of statuses (ties within one second go to the later stage) and the terminal ones.
_RANK: dict[str, dict[str | None, int]] = {
    "subscription": {
        "incomplete": 0,
        "trialing": 1,
        "active": 2,
        "past_due": 3,
        "unpaid": 4,
        "paused": 4,
        "incomplete_expired": 9,
        "canceled": 9,
    },
    "invoice": {"draft": 0, "open": 1, "uncollectible": 2, "paid": 3, "void": 3},
    "invoice_payment": {"open": 0, "paid": 1, "canceled": 1},
    "payment_intent": {
        "requires_payment_method": 0,
        "requires_confirmation": 1,
        "requires_action": 2,
        "processing": 3,
        "requires_capture": 4,
        "canceled": 5,
        "succeeded": 6,
    },
    "refund": {"pending": 0, "requires_action": 0, "succeeded": 1, "failed": 2, "canceled": 2},
    "dispute": {
        "warning_needs_response": 0,
        "warning_under_review": 1,
        "needs_response": 2,
        "under_review": 3,
        "warning_closed": 8,
        "won": 9,
        "lost": 9,
    },
    "checkout_session": {"open": 0, "complete": 1, "expired": 2},
}
_TERMINAL: dict[str, frozenset[str]] = {
    "subscription": frozenset({"canceled", "incomplete_expired"}),
    "invoice": frozenset({"paid", "void"}),
    "invoice_payment": frozenset({"paid", "canceled"}),
    "payment_intent": frozenset({"succeeded", "canceled"}),
    "refund": frozenset({"failed", "canceled"}),
    "dispute": frozenset({"won", "lost", "warning_closed"}),
    "checkout_session": frozenset({"expired"}),
}

# Stripe subscription status -> ours (the table allows active, trialing, past_due, cancelled, unpaid).
# incomplete: the first invoice is not paid yet -> unpaid; incomplete_expired: it never was -> cancelled;
# paused: a trial ended without a payment method, nothing is being collected -> unpaid. The exact Stripe
# status is kept beside it in subscriptions.stripe_status.
STATUS_MAP = {
    "active": "active",
    "trialing": "trialing",
    "past_due": "past_due",
    "canceled": "cancelled",
    "unpaid": "unpaid",
    "incomplete": "unpaid",
    "incomplete_expired": "cancelled",
    "paused": "unpaid",
}
LIVE_STATUSES = frozenset({"active", "trialing", "past_due"})
_PAID_LIKE = frozenset({"succeeded", "refunded"})
_COUNTED_REFUNDS = frozenset({"succeeded", "pending", "requires_action", None})


def _status_of(snap: AnySnap) -> str | None:
    if isinstance(snap, CheckoutSessionSnap):
        return snap.status
    return getattr(snap, "status", None)


def version_of(snap: AnySnap, event_id: str, created: int) -> Version:
    """The version of `snap` as carried by one event; the stored snapshot is the maximum version seen."""
    status = _status_of(snap)
    terminal = snap.deleted or status in _TERMINAL.get(snap.kind, frozenset())
    rank = _RANK.get(snap.kind, {}).get(status, 0)
    if isinstance(snap, ChargeSnap):
        rank = snap.amount_refunded  # a charge's refunded amount only grows within one second
    elif isinstance(snap, CheckoutSessionSnap):
        rank = rank * 10 + {"unpaid": 0, "no_payment_required": 1, "paid": 2}.get(
            snap.payment_status or "", 0
        )
    return (int(terminal), created, rank, event_id)


@dataclass(frozen=True)
class Stored:
    """A snapshot with the version that put it there."""

    kind: str
    id: str
    version: Version
    snap: AnySnap


def links(snap: AnySnap) -> dict[str, str]:
    """The fields other projections find this snapshot by (indexed columns in the SQL store)."""
    out: dict[str, str] = {}
    customer = getattr(snap, "customer", None)
    if customer:
        out["customer"] = customer
    pi = (
        snap.payment_intent
        if isinstance(snap, ChargeSnap | RefundSnap | DisputeSnap | CheckoutSessionSnap | InvoicePaymentSnap)
        else None
    )
    if pi:
        out["payment_intent"] = pi
    if isinstance(snap, InvoicePaymentSnap) and snap.invoice:
        out["invoice"] = snap.invoice
    if isinstance(snap, PriceSnap) and snap.product:
        out["product"] = snap.product
    return out


class Store(Protocol):
    """What the service needs from storage. Every method may raise the storage's own errors."""

    def lock(self, keys: Sequence[str]) -> None:
        """Serialise on `keys` (already sorted) until the end of the current event."""

    def get(self, kind: str, object_id: str) -> Stored | None:
        """The stored snapshot of one object."""

    def put(self, stored: Stored) -> None:
        """Replace the stored snapshot of `stored.id` (the caller checked that it is newer)."""

    def find(self, kind: str, link: str, value: str) -> list[Stored]:
        """Snapshots of `kind` whose `links()[link]` equals `value`."""

    def binding(self, customer: str) -> Binding | None:
        """Which organization a Stripe customer belongs to (a binding or organizations.stripe_customer_id)."""

    def bind(self, binding: Binding) -> None:
        """Record the binding and keep organizations.stripe_customer_id in step (cleared when deleted)."""

    def organization_exists(self, organization_id: int) -> bool:
        """True if the organization row exists."""

    def plan_for_price(self, price_id: str) -> int | None:
        """subscription_plans.id whose stripe_price_id is `price_id`."""

    def update_plan(self, plan: PlanPrice) -> None:
        """Bring the plan with `plan.stripe_price_id` (if any) in step with Stripe."""

    def put_subscription(self, row: SubscriptionRow) -> None:
        """Upsert the organization's subscription row; link its payments; set organizations.subscription_id."""

    def put_payment(self, row: PaymentRow) -> None:
        """Upsert a payments row by its Stripe key (invoice for subscription billing, else PaymentIntent)."""

    def payments_for_invoice(self, invoice_id: int) -> list[PaymentRow]:
        """Every payments row paying the organization's invoice `invoice_id`."""

    def org_invoice(self, invoice_id: int) -> OrgInvoice | None:
        """The organization's invoice, locked for update."""

    def put_org_invoice(self, invoice: OrgInvoice) -> None:
        """Write amount_paid, balance_due, status, paid_at, stripe_payment_intent_id."""

    def add_pending(self, event_id: str, waiting_for: str) -> None:
        """Remember that `event_id` waits for `waiting_for` (e.g. `customer:cus_...`)."""

    def resolve_pending(self, waiting_for: str) -> None:
        """Mark every event waiting for `waiting_for` as applied (and no longer waiting)."""


class UnroutableEvent(Exception):
    """The payload cannot be read as the object its event type announces (a 400: retrying cannot help)."""


def lock_keys(snap: AnySnap) -> list[str]:
    """Every lock the event needs up front, sorted: classes 1 customer < 2 PaymentIntent < 3 Stripe invoice
    < 4 our invoice < 5 product < 6 price. Later locks taken while projecting are of a higher class."""
    keys: set[str] = set()
    if isinstance(snap, SubscriptionSnap | CustomerSnap):
        keys.add(f"1cus:{snap.customer if isinstance(snap, SubscriptionSnap) else snap.id}")
    elif isinstance(snap, InvoiceSnap):
        if snap.customer:
            keys.add(f"1cus:{snap.customer}")
        keys.add(f"3in:{snap.id}")
    elif isinstance(snap, InvoicePaymentSnap):
        if snap.payment_intent:
            keys.add(f"2pi:{snap.payment_intent}")
        keys.add(f"3in:{snap.invoice}")
    elif isinstance(snap, PaymentIntentSnap):
        keys.add(f"2pi:{snap.id}")
        if snap.stripe_invoice:
            keys.add(f"3in:{snap.stripe_invoice}")
    elif isinstance(snap, ChargeSnap | RefundSnap | DisputeSnap):
        keys.add(f"2pi:{snap.payment_intent or snap.id}")
    elif isinstance(snap, CheckoutSessionSnap):
        if snap.customer:
            keys.add(f"1cus:{snap.customer}")
        if snap.payment_intent:
            keys.add(f"2pi:{snap.payment_intent}")
        keys.add(f"2cs:{snap.id}")
    elif isinstance(snap, ProductSnap):
        keys.add(f"5prod:{snap.id}")
    elif isinstance(snap, PriceSnap):
        if snap.product:
            keys.add(f"5prod:{snap.product}")
        keys.add(f"6price:{snap.id}")
    keys.discard("1cus:None")
    return sorted(keys)


def snapshot_for(event: Event) -> AnySnap | None:
    """The normalised snapshot an event carries, or None for types we acknowledge or ignore.

    Raises UnroutableEvent when the object does not have the shape its type announces.
    """
    route = ROUTES.get(event.type)
    if route is None or isinstance(route, str):
        return None
    if event._snapshot is not None:
        return event._snapshot  # type: ignore[no-any-return]
    kind, deleted = route
    try:
        snap = parse_snapshot(kind, event.data.object, deleted=deleted)
    except (KeyError, TypeError, ValueError) as exc:
        raise UnroutableEvent(f"{event.type}: data.object is not a {kind}") from exc
    event._snapshot = snap
    return snap


def process(event: Event, store: Store, today: date) -> Outcome:
    """Apply one (new or replayed) event through `store`: merge its snapshot, re-project what depends on it.

    Returns the outcome (applied / pending / ignored / acknowledged). Raises UnroutableEvent for a payload
    that does not match its type, and whatever the store raises (the caller rolls back and answers 5xx).
    """
    route = ROUTES.get(event.type)
    if route is None:
        return Outcome(event_id=event.id, type=event.type, outcome="ignored", detail="event type not handled")
    if route == ACK:
        return Outcome(event_id=event.id, type=event.type, outcome="acknowledged", detail="no state change")
    snap = snapshot_for(event)
    assert snap is not None
    store.lock(lock_keys(snap))
    version = version_of(snap, event.id, event.created)
    current = store.get(snap.kind, snap.id)
    if current is None or version > current.version:
        store.put(Stored(snap.kind, snap.id, version, snap))
    projector = _Projector(store, today)
    waiting = projector.after(snap)
    if waiting:
        store.add_pending(event.id, waiting)
        return Outcome(event_id=event.id, type=event.type, outcome="pending", detail=f"waiting for {waiting}")
    if projector.rejected:
        return Outcome(event_id=event.id, type=event.type, outcome="ignored", detail=projector.rejected)
    return Outcome(event_id=event.id, type=event.type, outcome="applied")


class _Projector:
    """Recomputes the rows an updated snapshot feeds. `after` returns what the event waits for, if anything."""

    def __init__(self, store: Store, today: date) -> None:
        self.store = store
        self.today = today
        self.rejected: str | None = None

    def after(self, snap: AnySnap) -> str | None:
        s = self.store
        if isinstance(snap, SubscriptionSnap):
            return self.customer(snap.customer) if snap.customer else None
        if isinstance(snap, InvoiceSnap):
            return self.stripe_invoice(snap.id)
        if isinstance(snap, InvoicePaymentSnap):
            return self.stripe_invoice(snap.invoice) if snap.invoice else None
        if isinstance(snap, PaymentIntentSnap | ChargeSnap | RefundSnap | DisputeSnap):
            pi = snap.id if isinstance(snap, PaymentIntentSnap) else snap.payment_intent
            return self.payment_intent(pi) if pi else None
        if isinstance(snap, CheckoutSessionSnap):
            return self.checkout(snap)
        if isinstance(snap, CustomerSnap):
            binding = s.binding(snap.id)
            if binding and not binding.deleted:
                s.bind(binding.model_copy(update={"deleted": True}))
            elif binding is None:
                self.rejected = "customer not bound to an organization"
            return None
        if isinstance(snap, ProductSnap):
            prices = s.find("price", "product", snap.id)
            s.lock(sorted(f"6price:{p.id}" for p in prices))
            for p in prices:
                self.plan(p.id)
            return None
        if isinstance(snap, PriceSnap):
            self.plan(snap.id)
        return None

    # -- platform billing -------------------------------------------------------------------------------

    def checkout(self, cs: CheckoutSessionSnap) -> str | None:
        s = self.store
        stored = s.get("checkout_session", cs.id)
        cs = stored.snap if stored and isinstance(stored.snap, CheckoutSessionSnap) else cs
        if cs.status != "complete":
            return None
        org = org_id(cs.client_reference_id)
        if cs.customer and org is not None and cs.mode in ("subscription", "setup", "payment"):
            current = s.binding(cs.customer)
            if current is None:
                if not s.organization_exists(org):
                    self.rejected = "client_reference_id names no organization"
                    return None
                # a customer.deleted that arrived first still tombstones the binding it now gets
                gone = s.get("customer", cs.customer)
                s.bind(
                    Binding(
                        stripe_customer_id=cs.customer,
                        organization_id=org,
                        deleted=bool(gone and gone.snap.deleted),
                    )
                )
                self.customer(cs.customer, with_invoices=True)
                s.resolve_pending(f"customer:{cs.customer}")
            elif current.organization_id != org:
                # never move a customer to another tenant on the word of a later session
                self.rejected = "customer is bound to another organization"
                return None
        if cs.mode == "payment" and cs.payment_intent:
            return self.payment_intent(cs.payment_intent)
        return None

    def customer(self, customer: str, with_invoices: bool = False) -> str | None:
        """Project the organization's subscription row from the snapshots; with a new binding, also the
        payments of the customer's invoices (they waited for it). A subscription change alone never changes
        an invoice's payment row: its subscription_id link is kept by put_subscription."""
        s = self.store
        binding = s.binding(customer)
        if binding is None:
            return f"customer:{customer}"
        subs = s.find("subscription", "customer", customer)
        if subs:
            primary = max(subs, key=_primary_key)
            s.put_subscription(self._subscription_row(binding.organization_id, primary))
        if with_invoices:
            invoices = s.find("invoice", "customer", customer)
            s.lock(sorted(f"3in:{i.id}" for i in invoices))
            for inv in invoices:
                self.stripe_invoice(inv.id)
        return None

    def _subscription_row(self, org: int, stored: Stored) -> SubscriptionRow:
        sub = stored.snap
        assert isinstance(sub, SubscriptionSnap)
        stripe_status = "canceled" if sub.deleted else sub.status
        plan = self.store.plan_for_price(sub.price_id) if sub.price_id else None
        return SubscriptionRow(
            organization_id=org,
            stripe_subscription_id=sub.id,
            stripe_customer_id=sub.customer,
            plan_id=plan,
            stripe_price_id=sub.price_id,
            status=STATUS_MAP.get(stripe_status, "unpaid"),
            stripe_status=stripe_status,
            current_period_start=ts(sub.current_period_start),
            current_period_end=ts(sub.current_period_end),
            cancel_at_period_end=sub.cancel_at_period_end,
            cancelled_at=ts(sub.canceled_at or (sub.ended_at if stripe_status == "canceled" else None)),
            trial_start=ts(sub.trial_start),
            trial_end=ts(sub.trial_end),
            last_event_created=stored.version[1],
        )

    def stripe_invoice(self, invoice_id: str) -> str | None:
        """Project the payment row of one Stripe invoice (subscription billing of an organization)."""
        s = self.store
        stored = s.get("invoice", invoice_id)
        if stored is None:
            return None
        inv = stored.snap
        assert isinstance(inv, InvoiceSnap)
        if not inv.customer:
            return None
        binding = s.binding(inv.customer)
        if binding is None:
            return f"customer:{inv.customer}"
        pi_id = inv.payment_intent
        if pi_id is None:
            paid = [
                p.snap
                for p in s.find("invoice_payment", "invoice", inv.id)
                if isinstance(p.snap, InvoicePaymentSnap) and p.snap.status == "paid"
            ]
            pi_id = min((p.payment_intent for p in paid if p.payment_intent), default=None)
        pi_stored = s.get("payment_intent", pi_id) if pi_id else None
        pi = pi_stored.snap if pi_stored and isinstance(pi_stored.snap, PaymentIntentSnap) else None
        status, reason = _invoice_payment_status(inv, pi)
        if status is None:
            return None
        refunded = self._refunded(pi_id) if pi_id else 0
        amount = inv.amount_paid if inv.status == "paid" else inv.amount_due
        if status == "succeeded" and refunded and refunded >= amount:
            status = "refunded"
        s.put_payment(
            PaymentRow(
                organization_id=binding.organization_id,
                stripe_invoice_id=inv.id,
                stripe_payment_intent_id=pi_id,
                stripe_subscription_id=inv.subscription,
                invoice_id=None,
                amount=to_major(amount, inv.currency),
                currency=inv.currency.upper(),
                status=status,
                payment_method=pi.payment_method_type if pi else None,
                stripe_charge_id=pi.latest_charge if pi else None,
                failure_reason=reason,
                processed_at=ts(inv.paid_at) if inv.status == "paid" else None,
                amount_refunded=to_major(min(refunded, amount), inv.currency),
                dispute_status=self._dispute_status(pi_id) if pi_id else None,
            )
        )
        return None

    # -- organizations collecting from their customers ---------------------------------------------------

    def _refunded(self, pi_id: str) -> int:
        s = self.store
        by_charge = max(
            (
                c.snap.amount_refunded
                for c in s.find("charge", "payment_intent", pi_id)
                if isinstance(c.snap, ChargeSnap)
            ),
            default=0,
        )
        by_refunds = sum(
            r.snap.amount
            for r in s.find("refund", "payment_intent", pi_id)
            if isinstance(r.snap, RefundSnap) and r.snap.status in _COUNTED_REFUNDS
        )
        return max(by_charge, by_refunds)

    def _dispute_status(self, pi_id: str) -> str | None:
        disputes = self.store.find("dispute", "payment_intent", pi_id)
        if not disputes:
            return None
        latest = max(disputes, key=lambda d: d.version)
        return latest.snap.status if isinstance(latest.snap, DisputeSnap) else None

    def payment_intent(self, pi_id: str) -> str | None:
        """Project the payment keyed by a PaymentIntent, then the invoice it pays."""
        s = self.store
        stored = s.get("payment_intent", pi_id)
        pi = stored.snap if stored and isinstance(stored.snap, PaymentIntentSnap) else None
        if pi and pi.stripe_invoice:
            s.lock([f"3in:{pi.stripe_invoice}"])
            return self.stripe_invoice(pi.stripe_invoice)
        via = s.find("invoice_payment", "payment_intent", pi_id)
        if via:
            s.lock(sorted(f"3in:{v.snap.invoice}" for v in via if isinstance(v.snap, InvoicePaymentSnap)))
            for v in via:
                if isinstance(v.snap, InvoicePaymentSnap) and v.snap.invoice:
                    self.stripe_invoice(v.snap.invoice)
            return None
        sessions = [
            c.snap
            for c in s.find("checkout_session", "payment_intent", pi_id)
            if isinstance(c.snap, CheckoutSessionSnap)
            and c.snap.mode == "payment"
            and c.snap.status == "complete"
        ]
        session = min(sessions, key=lambda c: c.id) if sessions else None
        org = org_id(pi.organization_id) if pi and pi.organization_id else None
        if org is None and session is not None:
            org = org_id(session.client_reference_id)
        if org is None:
            return None  # not one of ours to record (the snapshot is kept for later events)
        invoice: OrgInvoice | None = None
        invoice_id = org_id(pi.invoice_id) if pi and pi.invoice_id else None
        if invoice_id is not None:
            s.lock([f"4inv:{invoice_id}"])
            invoice = s.org_invoice(invoice_id)
            if invoice is None or invoice.organization_id != org:
                self.rejected = "metadata names an invoice outside the organization"
                return None
        elif not s.organization_exists(org):
            self.rejected = "metadata names no organization"
            return None
        currency = pi.currency if pi else (session.currency if session else "usd")
        if pi:
            received = pi.amount_received
            status, reason = _intent_status(pi)
            amount = pi.amount
        else:
            assert session is not None
            received = session.amount_total or 0 if session.payment_status == "paid" else 0
            status = "succeeded" if session.payment_status == "paid" else "pending"
            reason = None
            amount = session.amount_total or 0
        refunded = min(self._refunded(pi_id), received)
        if status == "succeeded" and received and refunded >= received:
            status = "refunded"
        processed = stored.version[1] if stored and pi and pi.status == "succeeded" else None
        s.put_payment(
            PaymentRow(
                organization_id=org,
                stripe_invoice_id=None,
                stripe_payment_intent_id=pi_id,
                stripe_subscription_id=None,
                invoice_id=invoice.id if invoice else None,
                amount=to_major(received if status in _PAID_LIKE else amount, currency),
                currency=currency.upper(),
                status=status,
                payment_method=pi.payment_method_type if pi else None,
                stripe_charge_id=pi.latest_charge if pi else None,
                failure_reason=reason,
                processed_at=ts(processed),
                amount_refunded=to_major(refunded, currency),
                dispute_status=self._dispute_status(pi_id),
            )
        )
        if invoice is not None:
            self.org_invoice(invoice)
        return None

    def org_invoice(self, invoice: OrgInvoice) -> None:
        """amount_paid = what the invoice's payments kept (received minus refunded); status follows."""
        payments = [p for p in self.store.payments_for_invoice(invoice.id) if p.status in _PAID_LIKE]
        paid = sum((p.amount - p.amount_refunded for p in payments), Decimal("0.00"))
        balance = max(invoice.total - paid, Decimal("0.00"))
        latest = max(
            payments,
            key=lambda p: (p.processed_at is not None, p.processed_at, p.stripe_payment_intent_id),
            default=None,
        )
        if paid > 0 and balance == 0:
            status, paid_at = "paid", max((p.processed_at for p in payments if p.processed_at), default=None)
        elif invoice.status in ("paid", "sent", "overdue"):
            # not (or no longer) paid: the same answer whether or not "paid" was reached on the way
            status, paid_at = ("overdue" if invoice.due_date < self.today else "sent"), None
        else:
            status, paid_at = invoice.status, None
        self.store.put_org_invoice(
            invoice.model_copy(
                update={
                    "amount_paid": paid,
                    "balance_due": balance,
                    "status": status,
                    "paid_at": paid_at,
                    "stripe_payment_intent_id": latest.stripe_payment_intent_id
                    if latest
                    else invoice.stripe_payment_intent_id,
                }
            )
        )

    # -- catalogue ---------------------------------------------------------------------------------------

    def plan(self, price_id: str) -> None:
        s = self.store
        stored = s.get("price", price_id)
        if stored is None or not isinstance(stored.snap, PriceSnap):
            return
        price = stored.snap
        product = s.get("product", price.product) if price.product else None
        product_active = not (product and isinstance(product.snap, ProductSnap) and not product.snap.active)
        amount = to_major(price.unit_amount, price.currency) if price.unit_amount is not None else None
        s.update_plan(
            PlanPrice(
                stripe_price_id=price.id,
                active=price.active and product_active,
                price_monthly=amount if price.interval == "month" else None,
                price_yearly=amount if price.interval == "year" else None,
            )
        )


def _primary_key(stored: Stored) -> tuple[int, int, str]:
    """Which of a customer's subscriptions the organization's single row shows: a live one over an ended
    one, then the most recently created."""
    sub = stored.snap
    assert isinstance(sub, SubscriptionSnap)
    ended = sub.deleted or sub.status in _TERMINAL["subscription"]
    return (0 if ended else 1, sub.created, sub.id)


def org_id(value: str | None) -> int | None:
    """An organization (or invoice) id given as text by Stripe metadata, when it is one."""
    if value is None:
        return None
    return ascii_int(str(value).strip())


def _error_text(pi: PaymentIntentSnap | None) -> str | None:
    err = pi.last_payment_error if pi else None
    if err is None:
        return None
    parts = [p for p in (err.decline_code or err.code, err.message) if p]
    return ": ".join(parts) or None


def _invoice_payment_status(inv: InvoiceSnap, pi: PaymentIntentSnap | None) -> tuple[str | None, str | None]:
    if inv.deleted or inv.status in (None, "draft"):
        return None, None
    if inv.status == "paid":
        return "succeeded", None
    if inv.status == "open":
        if inv.attempted and inv.attempt_count > 0:
            return "failed", _error_text(pi) or f"invoice payment failed (attempt {inv.attempt_count})"
        return "pending", None
    if inv.status == "uncollectible":
        return "failed", _error_text(pi) or "invoice marked uncollectible"
    if inv.status == "void":
        return ("failed", "invoice voided") if inv.attempted else (None, None)
    return None, None


def _intent_status(pi: PaymentIntentSnap) -> tuple[str, str | None]:
    if pi.status == "succeeded":
        return "succeeded", None
    if pi.status == "canceled":
        return "failed", f"canceled: {pi.cancellation_reason or 'no reason given'}"
    if pi.status == "requires_payment_method" and pi.last_payment_error is not None:
        return "failed", _error_text(pi)
    return "pending", None
