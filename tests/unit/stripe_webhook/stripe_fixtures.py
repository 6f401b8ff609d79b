"""An in-memory `Store` for the stripe-webhook service: the same contract as repo.SqlStore, in dictionaries,
so that tens of thousands of delivery orders run in seconds. Imported by full path
(`tests.unit.stripe_webhook.stripe_fixtures`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from functions.stripe_webhook import service
from functions.stripe_webhook.models import (
    Binding,
    Event,
    OrgInvoice,
    Outcome,
    PaymentRow,
    PlanPrice,
    SubscriptionRow,
)
from functions.stripe_webhook.service import Stored


@dataclass
class MemoryStore:
    orgs: set[int] = field(default_factory=set)
    plans: dict[str, int] = field(default_factory=dict)
    objects: dict[tuple[str, str], Stored] = field(default_factory=dict)
    index: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    bindings: dict[str, Binding] = field(default_factory=dict)
    org_customer: dict[int, str | None] = field(default_factory=dict)
    plan_rows: dict[str, PlanPrice] = field(default_factory=dict)
    subscriptions: dict[int, SubscriptionRow] = field(default_factory=dict)
    org_plan: dict[int, int | None] = field(default_factory=dict)
    payments: dict[tuple[str, str], PaymentRow] = field(default_factory=dict)
    invoices: dict[int, OrgInvoice] = field(default_factory=dict)
    pending: dict[str, set[str]] = field(default_factory=dict)
    ledger: dict[str, str] = field(default_factory=dict)
    locks: list[str] = field(default_factory=list)

    # -- Store ------------------------------------------------------------------------------------------
    def lock(self, keys: Sequence[str]) -> None:
        assert list(keys) == sorted(keys)
        self.locks.extend(keys)

    def get(self, kind: str, object_id: str) -> Stored | None:
        return self.objects.get((kind, object_id))

    def put(self, stored: Stored) -> None:
        old = self.objects.get((stored.kind, stored.id))
        if old is not None:
            for link, value in service.links(old.snap).items():
                self.index[(stored.kind, link, value)].discard(stored.id)
        self.objects[(stored.kind, stored.id)] = stored
        for link, value in service.links(stored.snap).items():
            self.index.setdefault((stored.kind, link, value), set()).add(stored.id)

    def find(self, kind: str, link: str, value: str) -> list[Stored]:
        return [self.objects[(kind, i)] for i in sorted(self.index.get((kind, link, value), ()))]

    def binding(self, customer: str) -> Binding | None:
        if customer in self.bindings:
            return self.bindings[customer]
        for org, cus in self.org_customer.items():
            if cus == customer:
                return Binding(stripe_customer_id=customer, organization_id=org)
        return None

    def bind(self, binding: Binding) -> None:
        self.bindings[binding.stripe_customer_id] = binding
        if binding.deleted:
            if self.org_customer.get(binding.organization_id) in (binding.stripe_customer_id, None):
                self.org_customer[binding.organization_id] = (
                    None  # like organizations.stripe_customer_id null
                )
        else:
            self.org_customer[binding.organization_id] = binding.stripe_customer_id

    def organization_exists(self, organization_id: int) -> bool:
        return organization_id in self.orgs

    def plan_for_price(self, price_id: str) -> int | None:
        return self.plans.get(price_id)

    def update_plan(self, plan: PlanPrice) -> None:
        if plan.stripe_price_id in self.plans:
            self.plan_rows[plan.stripe_price_id] = plan

    def put_subscription(self, row: SubscriptionRow) -> None:
        self.subscriptions[row.organization_id] = row
        self.org_plan[row.organization_id] = row.plan_id if row.status in service.LIVE_STATUSES else None

    def put_payment(self, row: PaymentRow) -> None:
        key = (
            ("in", row.stripe_invoice_id)
            if row.stripe_invoice_id
            else ("pi", row.stripe_payment_intent_id or "")
        )
        self.payments[key] = row

    def payments_for_invoice(self, invoice_id: int) -> list[PaymentRow]:
        return [p for _, p in sorted(self.payments.items()) if p.invoice_id == invoice_id]

    def org_invoice(self, invoice_id: int) -> OrgInvoice | None:
        return self.invoices.get(invoice_id)

    def put_org_invoice(self, invoice: OrgInvoice) -> None:
        self.invoices[invoice.id] = invoice

    def add_pending(self, event_id: str, waiting_for: str) -> None:
        self.pending.setdefault(waiting_for, set()).add(event_id)

    def resolve_pending(self, waiting_for: str) -> list[str]:
        done = sorted(self.pending.pop(waiting_for, set()))
        for event_id in done:
            self.ledger[event_id] = "applied"
        return done

    # -- the delivery pipeline (the ledger part that repo.py does in SQL) ---------------------------------
    def deliver(self, event: Event, today: date = date(2026, 12, 1)) -> Outcome:
        if event.id in self.ledger:
            return Outcome(event_id=event.id, type=event.type, outcome="duplicate")
        out = service.process(event, self, today)
        self.ledger[event.id] = out.outcome
        return out

    def fingerprint(self) -> tuple[Any, ...]:
        """A cheap, order-free value of every row the webhook keeps (for comparing thousands of runs)."""
        return (
            tuple(sorted(self.subscriptions.items())),
            tuple(sorted(self.payments.items())),
            tuple(sorted(self.invoices.items())),
            tuple(sorted(self.org_customer.items())),
            tuple(sorted(self.org_plan.items())),
            tuple(sorted(self.plan_rows.items())),
            tuple(sorted((k, tuple(sorted(v))) for k, v in self.pending.items() if v)),
        )

    # -- what the tests compare --------------------------------------------------------------------------
    def final_rows(self) -> dict[str, Any]:
        return {
            "subscriptions": sorted(
                (r.model_dump() for r in self.subscriptions.values()), key=lambda r: r["organization_id"]
            ),
            "payments": sorted(
                (p.model_dump() for p in self.payments.values()),
                key=lambda r: (r["stripe_invoice_id"] or "", r["stripe_payment_intent_id"] or ""),
            ),
            "invoices": sorted((i.model_dump() for i in self.invoices.values()), key=lambda r: r["id"]),
            "org_customer": dict(sorted(self.org_customer.items())),
            "org_plan": dict(sorted(self.org_plan.items())),
            "plans": dict(sorted((k, v.model_dump()) for k, v in self.plan_rows.items())),
            "pending": {k: sorted(v) for k, v in sorted(self.pending.items()) if v},
        }
