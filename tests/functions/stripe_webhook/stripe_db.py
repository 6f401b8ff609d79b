"""Database helpers for the stripe-webhook tests: seed tenants and read back the rows the webhook keeps, in
the same shape as MemoryStore.final_rows(). Imported by full path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import psycopg

from functions.stripe_webhook.models import OrgInvoice, PaymentRow, SubscriptionRow
from functions.stripe_webhook.repo import INVOICE_COLUMNS, PAYMENT_COLUMNS

SUB_COLUMNS = tuple(SubscriptionRow.model_fields)


def add_org(conn: psycopg.Connection[Any], name: str) -> int:
    row = conn.execute("insert into public.organizations (name) values (%s) returning id", (name,)).fetchone()
    assert row
    return int(row[0])


def set_price(conn: psycopg.Connection[Any], tier: str, price_id: str) -> int:
    row = conn.execute(
        "update public.subscription_plans set stripe_price_id = %s where tier = %s returning id",
        (price_id, tier),
    ).fetchone()
    assert row
    return int(row[0])


def add_invoice(
    conn: psycopg.Connection[Any], org: int, number: str, total: str, due: date, status: str = "sent"
) -> int:
    row = conn.execute(
        "insert into public.invoices (organization_id, invoice_number, due_date, status, subtotal, total,"
        " amount_paid, balance_due) values (%s, %s, %s, %s, %s, %s, 0, %s) returning id",
        (org, number, due, status, Decimal(total), Decimal(total), Decimal(total)),
    ).fetchone()
    assert row
    return int(row[0])


def final_rows(conn: psycopg.Connection[Any], orgs: list[int], invoices: list[int] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """The webhook-kept rows of `orgs` in MemoryStore.final_rows() shape (minus plans and pending)."""
    subs = conn.execute(
        "select " + ", ".join(SUB_COLUMNS) + " from public.subscriptions where organization_id = any(%s)"
        " order by organization_id",
        (orgs,),
    ).fetchall()
    pays = conn.execute(
        "select " + ", ".join(PAYMENT_COLUMNS) + " from public.payments where organization_id = any(%s)"
        " order by coalesce(stripe_invoice_id, ''), coalesce(stripe_payment_intent_id, '')",
        (orgs,),
    ).fetchall()
    invs = conn.execute(
        "select " + ", ".join(INVOICE_COLUMNS) + " from public.invoices where id = any(%s) order by id",
        (list(invoices),),
    ).fetchall()
    custs = conn.execute(
        "select id, stripe_customer_id from public.organizations where id = any(%s) order by id", (orgs,)
    ).fetchall()
    plans = conn.execute(
        "select id, subscription_id from public.organizations where id = any(%s) order by id", (orgs,)
    ).fetchall()
    return {
        "subscriptions": [
            SubscriptionRow(**dict(zip(SUB_COLUMNS, r, strict=True))).model_dump() for r in subs
        ],
        "payments": [PaymentRow(**dict(zip(PAYMENT_COLUMNS, r, strict=True))).model_dump() for r in pays],
        "invoices": [OrgInvoice(**dict(zip(INVOICE_COLUMNS, r, strict=True))).model_dump() for r in invs],
        "org_customer": dict(custs),
        "org_plan": dict(plans),
    }


def ledger(conn: psycopg.Connection[Any], ids: list[str]) -> dict[str, tuple[str, int]]:
    rows = conn.execute(
        "select id, outcome, attempts from public.stripe_events where id = any(%s)", (ids,)
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}
