"""Properties over random event sets: any order and any duplication converge to one state, and that state
is the one the version rule names (terminal first, then newest, then lifecycle rank, then event id)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from devkit.stripe_tools import EventFactory
from functions.stripe_webhook import service
from functions.stripe_webhook.models import Event, OrgInvoice
from tests.unit.stripe_webhook.stripe_fixtures import MemoryStore

ORG, T0 = 3, 1_764_000_000
STATUSES = [
    "incomplete",
    "trialing",
    "active",
    "past_due",
    "unpaid",
    "paused",
    "canceled",
    "incomplete_expired",
]
FACTORY = EventFactory()

sub_events = st.lists(
    st.tuples(st.sampled_from(STATUSES), st.integers(0, 5), st.booleans(), st.booleans()),
    min_size=1,
    max_size=8,
)


def _sub_event(i: int, status: str, second: int, cancel: bool, deleted: bool) -> Event:
    type_ = "customer.subscription.deleted" if deleted else "customer.subscription.updated"
    sub = FACTORY.subscription(
        "sub_H",
        "cus_H",
        "canceled" if deleted else status,
        T0,
        "price_p",
        (T0 + second, T0 + second + 99),
        cancel_at_period_end=cancel,
    )
    return Event.model_validate(FACTORY.event(type_, sub, T0 + second, event_id=f"evt_h{i:03d}"))


def _store() -> MemoryStore:
    st_ = MemoryStore(orgs={ORG}, plans={"price_p": 1})
    st_.org_customer[ORG] = "cus_H"
    return st_


@settings(max_examples=300, deadline=None)
@given(sub_events, st.randoms(use_true_random=False))
def test_subscription_converges_to_the_maximum_version(specs: list[tuple[str, int, bool, bool]], rnd) -> None:  # type: ignore[no-untyped-def]
    events = [_sub_event(i, *spec) for i, spec in enumerate(specs)]
    shuffled = events + rnd.sample(events, len(events))  # every event once more, in another order
    rnd.shuffle(shuffled)
    a, b = _store(), _store()
    for e in events:
        a.deliver(e)
    for e in shuffled:
        b.deliver(e)
    assert a.fingerprint() == b.fingerprint()
    winner = max(events, key=lambda e: service.version_of(service.snapshot_for(e), e.id, e.created))  # type: ignore[arg-type]
    row = a.subscriptions[ORG]
    expected_status = "canceled" if winner.type.endswith("deleted") else winner.data.object["status"]
    assert row.stripe_status == expected_status
    assert row.last_event_created == winner.created
    ended = [
        e
        for e in events
        if e.type.endswith("deleted") or e.data.object["status"] in ("canceled", "incomplete_expired")
    ]
    if ended:  # a cancellation or deletion anywhere in the set is permanent
        assert row.status == "cancelled"


refund_specs = st.lists(
    st.tuples(st.integers(1, 3000), st.sampled_from(["succeeded", "pending", "failed"])),
    min_size=0,
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(refund_specs, st.randoms(use_true_random=False))
def test_refund_total_is_the_sum_whatever_the_order(specs: list[tuple[int, str]], rnd) -> None:  # type: ignore[no-untyped-def]
    meta = {"organization_id": str(ORG), "invoice_id": "9"}
    events = [
        Event.model_validate(
            FACTORY.event(
                "payment_intent.succeeded",
                FACTORY.payment_intent("pi_h", 10000, "succeeded", metadata=meta),
                T0,
                event_id="evt_pi",
            )
        )
    ]
    for i, (amount, status) in enumerate(specs):
        events.append(
            Event.model_validate(
                FACTORY.event(
                    "refund.updated",
                    FACTORY.refund(f"re_h{i}", "pi_h", amount, status),
                    T0 + i,
                    event_id=f"evt_re{i}",
                )
            )
        )
    rnd.shuffle(events)
    store = MemoryStore(orgs={ORG})
    store.invoices[9] = OrgInvoice(
        id=9,
        organization_id=ORG,
        total=Decimal("100.00"),
        status="sent",
        due_date=date(2099, 1, 1),
        amount_paid=Decimal(0),
        balance_due=Decimal("100.00"),
        paid_at=None,
        stripe_payment_intent_id=None,
    )
    for e in events:
        store.deliver(e)
    refunded = min(10000, sum(a for a, s in specs if s != "failed"))
    (payment,) = store.payments.values()
    assert payment.amount_refunded == Decimal(refunded) / 100
    assert payment.status == ("refunded" if refunded == 10000 else "succeeded")
    inv = store.invoices[9]
    assert inv.amount_paid == Decimal(10000 - refunded) / 100
    assert inv.status == ("paid" if refunded == 0 else "sent")
