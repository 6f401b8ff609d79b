"""The merge logic in memory: every delivery order of a subscription lifecycle and of an invoice's payments
and refunds gives the same final rows, and those rows are the right ones."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from devkit.stripe_tools import EventFactory
from functions.stripe_webhook import service
from functions.stripe_webhook.models import Event, OrgInvoice, to_major
from tests.unit.stripe_webhook.stripe_fixtures import MemoryStore

ORG, PLAN = 7, 2
T0 = 1_764_000_000
TODAY = date(2026, 12, 1)


def ev(raw: dict[str, Any]) -> Event:
    return Event.model_validate(raw)


def store() -> MemoryStore:
    return MemoryStore(orgs={ORG, 8}, plans={"price_pro_monthly": PLAN})


def run(events: Any, st: MemoryStore | None = None) -> MemoryStore:
    st = st or store()
    for e in events:
        st.deliver(e, TODAY)
    return st


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


EXPECTED_SUBSCRIPTION = {
    "organization_id": ORG,
    "stripe_subscription_id": "sub_L",
    "stripe_customer_id": "cus_L",
    "plan_id": PLAN,
    "stripe_price_id": "price_pro_monthly",
    "status": "cancelled",
    "stripe_status": "canceled",
    "current_period_start": at(T0),
    "current_period_end": at(T0 + 30 * 86400),
    "cancel_at_period_end": False,
    "cancelled_at": at(T0 + 900),
    "trial_start": None,
    "trial_end": None,
    "last_event_created": T0 + 900,
}
EXPECTED_PAYMENT = {
    "organization_id": ORG,
    "stripe_invoice_id": "in_L",
    "stripe_payment_intent_id": "pi_L",
    "stripe_subscription_id": "sub_L",
    "invoice_id": None,
    "amount": Decimal("99.00"),
    "currency": "USD",
    "status": "succeeded",
    "payment_method": "card",
    "stripe_charge_id": "ch_L",
    "failure_reason": None,
    "processed_at": at(T0 + 2),
    "amount_refunded": Decimal("0.00"),
    "dispute_status": None,
}


def test_every_order_of_the_lifecycle_gives_the_same_rows() -> None:
    events = [ev(e) for e in EventFactory().lifecycle(ORG, "L", t0=T0)]
    assert len(events) == 8
    # same-second ties are part of the lifecycle: created/checkout/invoice.created share T0, paid/PI/active T0+2
    assert len({e.created for e in events}) == 4
    reference = run(events).final_rows()
    assert reference["subscriptions"] == [EXPECTED_SUBSCRIPTION]
    assert reference["payments"] == [EXPECTED_PAYMENT]
    assert reference["org_customer"] == {ORG: "cus_L"}
    assert reference["org_plan"] == {ORG: None}  # cancelled: no current plan
    first = run(events)
    fingerprint = first.fingerprint()
    count = 0
    for order in itertools.permutations(events):
        st = run(order)
        if st.fingerprint() != fingerprint:
            assert st.final_rows() == reference, [e.type for e in order]
        assert set(st.ledger.values()) == {"applied"}, [e.type for e in order]
        count += 1
    assert count == 40_320


def test_duplicates_change_nothing() -> None:
    events = [ev(e) for e in EventFactory().lifecycle(ORG, "L", t0=T0)]
    once = run(events).final_rows()
    st = run(events + events[::-1])
    assert st.final_rows() == once
    assert sum(1 for o in st.ledger.values() if o == "applied") == 8


def test_pre_basil_and_basil_shapes_give_the_same_rows() -> None:
    old = [ev(e) for e in EventFactory(basil=False).lifecycle(ORG, "L", t0=T0)]
    new = [ev(e) for e in EventFactory(basil=True).lifecycle(ORG, "L", t0=T0)]
    assert "current_period_start" in old[1].data.object and "current_period_start" not in new[1].data.object
    assert "subscription" in old[2].data.object and "parent" in new[2].data.object
    reference = run(old).final_rows()
    assert run(new).final_rows() == reference
    rng = random.Random(5)
    for _ in range(300):
        assert run(rng.sample(new, len(new))).final_rows() == reference


def test_basil_without_invoice_payment_still_records_the_payment() -> None:
    new = [ev(e) for e in EventFactory(basil=True).lifecycle(ORG, "L", t0=T0, invoice_payment=False)]
    (payment,) = run(new).final_rows()["payments"]
    assert payment["status"] == "succeeded" and payment["amount"] == Decimal("99.00")
    assert payment["stripe_payment_intent_id"] is None  # basil links it only through invoice_payment


@pytest.mark.parametrize("checkout_first", [True, False])
def test_event_before_its_customer_binding_is_pending_then_applied(checkout_first: bool) -> None:
    f = EventFactory()
    events = f.lifecycle(ORG, "P", t0=T0)
    checkout, created = ev(events[0]), ev(events[1])
    st = store()
    if checkout_first:
        assert st.deliver(checkout).outcome == "applied"
        assert st.deliver(created).outcome == "applied"
    else:
        out = st.deliver(created)
        assert (out.outcome, out.detail) == ("pending", "waiting for customer:cus_P")
        assert st.final_rows()["subscriptions"] == []  # never written to a guessed tenant
        assert st.deliver(checkout).outcome == "applied"
        assert st.ledger[created.id] == "applied"
    (row,) = st.final_rows()["subscriptions"]
    assert (row["organization_id"], row["status"], row["stripe_status"]) == (ORG, "unpaid", "incomplete")
    assert st.final_rows()["pending"] == {}


def _sub_event(f: EventFactory, type_: str, status: str, created: int, **kw: Any) -> Event:
    return ev(
        f.event(
            type_,
            f.subscription("sub_S", "cus_S", status, T0, "price_pro_monthly", (T0, T0 + 86400), **kw),
            created,
        )
    )


def _bound() -> MemoryStore:
    st = store()
    st.org_customer[ORG] = "cus_S"  # bound before (organizations.stripe_customer_id)
    return st


def test_deletion_is_permanent_even_against_a_later_update() -> None:
    f = EventFactory()
    deleted = _sub_event(f, "customer.subscription.deleted", "canceled", T0 + 10, canceled_at=T0 + 10)
    stale = _sub_event(f, "customer.subscription.updated", "active", T0 + 5)
    late = _sub_event(f, "customer.subscription.updated", "active", T0 + 50)
    for order in itertools.permutations([deleted, stale, late]):
        (row,) = run(order, _bound()).final_rows()["subscriptions"]
        assert row["status"] == "cancelled" and row["cancelled_at"] == at(T0 + 10)


def test_older_information_never_overwrites_newer() -> None:
    f = EventFactory()
    older = _sub_event(f, "customer.subscription.updated", "past_due", T0 + 5)
    newer = _sub_event(f, "customer.subscription.updated", "active", T0 + 6, cancel_at_period_end=True)
    for order in ([older, newer], [newer, older]):
        (row,) = run(order, _bound()).final_rows()["subscriptions"]
        assert (row["status"], row["cancel_at_period_end"]) == ("active", True)


def test_same_second_tie_goes_to_the_later_lifecycle_state() -> None:
    f = EventFactory()
    a = _sub_event(f, "customer.subscription.updated", "active", T0 + 5)
    b = _sub_event(f, "customer.subscription.updated", "past_due", T0 + 5)
    c = _sub_event(f, "customer.subscription.updated", "trialing", T0 + 5)
    results = {
        run(order, _bound()).final_rows()["subscriptions"][0]["stripe_status"]
        for order in itertools.permutations([a, b, c])
    }
    assert results == {"past_due"}


def test_exact_ties_resolve_by_event_id_whatever_the_order() -> None:
    f = EventFactory()
    a = _sub_event(f, "customer.subscription.updated", "active", T0 + 5, cancel_at_period_end=True)
    b = _sub_event(f, "customer.subscription.updated", "active", T0 + 5, cancel_at_period_end=False)
    winner = max([a, b], key=lambda e: e.id)
    for order in ([a, b], [b, a]):
        (row,) = run(order, _bound()).final_rows()["subscriptions"]
        assert row["cancel_at_period_end"] is winner.data.object["cancel_at_period_end"]


@pytest.mark.parametrize(
    ("status", "ours"),
    [
        ("incomplete", "unpaid"),
        ("incomplete_expired", "cancelled"),
        ("paused", "unpaid"),
        ("trialing", "trialing"),
        ("unpaid", "unpaid"),
    ],
)
def test_status_mapping(status: str, ours: str) -> None:
    (row,) = run(
        [_sub_event(EventFactory(), "customer.subscription.updated", status, T0)], _bound()
    ).final_rows()["subscriptions"]
    assert (row["status"], row["stripe_status"]) == (ours, status)


# -- invoices of an organization's customers ----------------------------------------------------------------

INV = 41


def _invoice_store(due: date) -> MemoryStore:
    st = store()
    st.invoices[INV] = OrgInvoice(
        id=INV,
        organization_id=ORG,
        total=Decimal("100.00"),
        status="sent",
        due_date=due,
        amount_paid=Decimal("0"),
        balance_due=Decimal("100.00"),
        paid_at=None,
        stripe_payment_intent_id=None,
    )
    return st


def _invoice_events() -> list[Event]:
    f = EventFactory()
    meta = {"organization_id": str(ORG), "invoice_id": str(INV)}
    return [
        ev(
            f.event(
                "payment_intent.succeeded", f.payment_intent("pi_one", 6000, "succeeded", metadata=meta), T0
            )
        ),
        ev(
            f.event(
                "payment_intent.succeeded",
                f.payment_intent("pi_two", 4000, "succeeded", metadata=meta),
                T0 + 60,
            )
        ),
        ev(f.event("refund.created", f.refund("re_one", "pi_one", 2000), T0 + 120)),
        ev(
            f.event("charge.refunded", f.charge("pi_one", 6000, 2000), T0 + 120)
        ),  # the same refund, seen on the charge
        ev(f.event("charge.refunded", f.charge("pi_two", 4000, 4000), T0 + 180)),  # full refund of the second
    ]


@pytest.mark.parametrize(("due", "reopened"), [(date(2027, 1, 1), "sent"), (date(2026, 11, 1), "overdue")])
def test_partial_payments_and_refunds_in_every_order(due: date, reopened: str) -> None:
    events = _invoice_events()
    seen = set()
    for order in itertools.permutations(events):
        rows = run(order, _invoice_store(due)).final_rows()
        (inv,) = rows["invoices"]
        assert (inv["amount_paid"], inv["balance_due"], inv["status"], inv["paid_at"]) == (
            Decimal("40.00"),
            Decimal("60.00"),
            reopened,
            None,
        ), [e.type for e in order]
        pays = {p["stripe_payment_intent_id"]: p for p in rows["payments"]}
        assert (pays["pi_one"]["status"], pays["pi_one"]["amount_refunded"]) == (
            "succeeded",
            Decimal("20.00"),
        )
        assert (pays["pi_two"]["status"], pays["pi_two"]["amount_refunded"]) == ("refunded", Decimal("40.00"))
        assert {p["invoice_id"] for p in pays.values()} == {INV}
        seen.add(repr(rows))
    assert len(seen) == 1


def test_two_partial_payments_pay_the_invoice() -> None:
    events = _invoice_events()[:2]
    for order in (events, events[::-1]):
        (inv,) = run(order, _invoice_store(date(2027, 1, 1))).final_rows()["invoices"]
        assert (inv["amount_paid"], inv["balance_due"], inv["status"]) == (
            Decimal("100.00"),
            Decimal("0.00"),
            "paid",
        )
        assert inv["paid_at"] == at(T0 + 60) and inv["stripe_payment_intent_id"] == "pi_two"
    (inv,) = run(events[:1], _invoice_store(date(2027, 1, 1))).final_rows()["invoices"]
    assert (inv["amount_paid"], inv["balance_due"], inv["status"]) == (
        Decimal("60.00"),
        Decimal("40.00"),
        "sent",
    )


def test_payment_naming_another_tenants_invoice_writes_nothing() -> None:
    f = EventFactory()
    st = _invoice_store(date(2027, 1, 1))
    wrong = ev(
        f.event(
            "payment_intent.succeeded",
            f.payment_intent(
                "pi_x", 10000, "succeeded", metadata={"organization_id": "8", "invoice_id": str(INV)}
            ),
            T0,
        )
    )
    out = st.deliver(wrong)
    assert out.outcome == "ignored" and "outside the organization" in (out.detail or "")
    assert st.final_rows()["payments"] == [] and st.invoices[INV].amount_paid == 0


def test_checkout_cannot_move_a_customer_to_another_tenant() -> None:
    f = EventFactory()
    st = _bound()
    out = st.deliver(ev(f.event("checkout.session.completed", f.checkout_session("cs_x", "cus_S", 8), T0)))
    assert out.outcome == "ignored"
    assert st.org_customer == {ORG: "cus_S"}


def test_failed_payment_and_dispute_are_recorded() -> None:
    f = EventFactory()
    meta = {"organization_id": str(ORG), "invoice_id": str(INV)}
    err = {
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds.",
    }
    st = _invoice_store(date(2027, 1, 1))
    st.deliver(
        ev(
            f.event(
                "payment_intent.payment_failed",
                f.payment_intent("pi_f", 10000, "requires_payment_method", metadata=meta, error=err),
                T0,
            )
        )
    )
    (p,) = st.final_rows()["payments"]
    assert (p["status"], p["failure_reason"]) == (
        "failed",
        "insufficient_funds: Your card has insufficient funds.",
    )
    st.deliver(
        ev(
            f.event(
                "payment_intent.succeeded",
                f.payment_intent("pi_f", 10000, "succeeded", metadata=meta),
                T0 + 5,
            )
        )
    )
    st.deliver(
        ev(f.event("charge.dispute.created", f.dispute("dp_1", "pi_f", 10000, "needs_response"), T0 + 9))
    )
    st.deliver(ev(f.event("charge.dispute.closed", f.dispute("dp_1", "pi_f", 10000, "won"), T0 + 99)))
    st.deliver(
        ev(f.event("charge.dispute.updated", f.dispute("dp_1", "pi_f", 10000, "under_review"), T0 + 50))
    )
    (p,) = st.final_rows()["payments"]
    assert (p["status"], p["failure_reason"], p["dispute_status"]) == ("succeeded", None, "won")
    assert st.invoices[INV].status == "paid"


def test_subscription_invoice_payment_failure_has_a_reason() -> None:
    f = EventFactory()
    st = _bound()
    inv = f.invoice("in_F", "cus_S", "sub_S", "open", 9900, "pi_F", attempted=True, attempt_count=2)
    st.deliver(ev(f.event("invoice.payment_failed", inv, T0)))
    (p,) = st.final_rows()["payments"]
    assert (p["status"], p["failure_reason"]) == ("failed", "invoice payment failed (attempt 2)")
    err = {"code": "card_declined", "message": "Your card was declined."}
    st.deliver(
        ev(
            f.event(
                "payment_intent.payment_failed",
                f.payment_intent("pi_F", 9900, "requires_payment_method", invoice="in_F", error=err),
                T0,
            )
        )
    )
    (p,) = st.final_rows()["payments"]
    assert p["failure_reason"] == "card_declined: Your card was declined."


def test_types_we_do_not_handle_are_ignored_and_notifications_acknowledged() -> None:
    st = store()
    f = EventFactory()
    assert (
        st.deliver(ev(f.event("radar.early_fraud_warning.created", {"id": "issfr_1"}, T0))).outcome
        == "ignored"
    )
    trial = ev(
        f.event(
            "customer.subscription.trial_will_end",
            f.subscription("sub_T", "cus_T", "trialing", T0, "price_pro_monthly", (T0, T0 + 9)),
            T0,
        )
    )
    assert st.deliver(trial).outcome == "acknowledged"
    assert st.objects == {}


def test_every_event_type_in_the_reference_table_is_routed() -> None:
    for t in (
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.deleted",
        "customer.subscription.trial_will_end",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "invoice.upcoming",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.processing",
        "payment_intent.canceled",
        "charge.refunded",
        "refund.created",
        "refund.updated",
        "charge.dispute.created",
        "charge.dispute.closed",
        "customer.deleted",
        "product.created",
        "product.updated",
        "product.deleted",
        "price.created",
        "price.updated",
        "price.deleted",
    ):
        assert t in service.ROUTES, t


def test_customer_deleted_tombstones_the_binding_and_later_events_still_reach_the_tenant() -> None:
    f = EventFactory()
    st = store()
    events = [ev(e) for e in f.lifecycle(ORG, "D", t0=T0)]
    st.deliver(events[0])
    st.deliver(
        ev(f.event("customer.deleted", {"id": "cus_D", "object": "customer", "deleted": True}, T0 + 1000))
    )
    assert st.org_customer[ORG] is None
    st.deliver(events[7])  # its subscription's deletion follows as its own event
    assert st.final_rows()["subscriptions"][0]["status"] == "cancelled"
    assert st.deliver(events[0]).outcome == "duplicate"  # and a replay of the checkout does not rebind
    assert st.org_customer[ORG] is None


def test_price_and_product_events_keep_plans_in_step() -> None:
    f = EventFactory()
    st = store()
    st.deliver(ev(f.event("price.updated", f.price("price_pro_monthly", amount=10900), T0)))
    st.deliver(ev(f.event("price.updated", f.price("price_pro_monthly", amount=9900), T0 - 5)))  # stale
    assert st.plan_rows["price_pro_monthly"].price_monthly == Decimal("109.00")
    st.deliver(
        ev(f.event("product.deleted", {"id": "prod_pro", "object": "product", "active": False}, T0 + 1))
    )
    assert st.plan_rows["price_pro_monthly"].active is False
    st.deliver(ev(f.event("price.created", f.price("price_unknown"), T0)))
    assert (
        "price_unknown" not in st.plan_rows
    )  # plans are ours; Stripe only updates the ones bound to a price


@pytest.mark.parametrize(
    ("amount", "currency", "major"),
    [(9900, "usd", "99.00"), (9900, "jpy", "9900"), (12340, "kwd", "12.34"), (1, "eur", "0.01")],
)
def test_minor_units(amount: int, currency: str, major: str) -> None:
    assert to_major(amount, currency) == Decimal(major)


def test_customer_deleted_before_its_checkout_still_tombstones() -> None:
    f = EventFactory()
    events = [ev(e) for e in f.lifecycle(ORG, "E", t0=T0)]
    deleted = ev(
        f.event("customer.deleted", {"id": "cus_E", "object": "customer", "deleted": True}, T0 + 1000)
    )
    finals = []
    for order in itertools.permutations([events[0], events[1], deleted]):
        st = run(order)
        finals.append(st.final_rows())
        assert st.org_customer.get(ORG) is None, [e.type for e in order]
        assert st.bindings["cus_E"].deleted
    assert all(r == finals[0] for r in finals)
    assert finals[0]["subscriptions"][0]["organization_id"] == ORG  # late events still reach the tenant


def test_refunding_everything_in_every_order_reopens_the_invoice() -> None:
    f = EventFactory()
    events = _invoice_events()[:3] + [
        ev(f.event("charge.refunded", f.charge("pi_one", 6000, 6000), T0 + 200)),  # the rest of the first
        ev(f.event("charge.refunded", f.charge("pi_two", 4000, 4000), T0 + 180)),
    ]
    for order in itertools.permutations(events):
        rows = run(order, _invoice_store(date(2027, 1, 1))).final_rows()
        (inv,) = rows["invoices"]
        assert (inv["amount_paid"], inv["balance_due"], inv["status"], inv["paid_at"]) == (
            Decimal("0.00"),
            Decimal("100.00"),
            "sent",
            None,
        )
        assert {(p["status"], p["amount_refunded"]) for p in rows["payments"]} == {
            ("refunded", Decimal("60.00")),
            ("refunded", Decimal("40.00")),
        }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("1e3", None),
        ("", None),
        (None, None),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),
    ],
)
def test_organization_ids_from_metadata_are_ascii_digits_or_nothing(
    text: str | None, expected: int | None
) -> None:
    # metadata and client_reference_id are free text: a digit of another script must not crash the event
    assert service.org_id(text) == expected
