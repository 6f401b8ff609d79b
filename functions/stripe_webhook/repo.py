"""The stripe-webhook's SQL: `SqlStore` (the service's `Store` over one open transaction) and the delivery
pipeline around it — ledger insert, per-object locks, merge, projection, outcome — in one transaction.

Every statement is parameterised. The caller's connection must be in autocommit mode (pool connections
are); each event gets its own transaction here, as `service_role`.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from functions.stripe_webhook import service
from functions.stripe_webhook.models import (
    SNAP_TYPES,
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
)
from functions.stripe_webhook.service import Stored

log = logging.getLogger("odyssey.stripe_webhook")

_LINK_COLUMNS = {"customer", "payment_intent", "invoice", "product"}
_VALUE, _FLAG = 2, 11  # columns of stripe_event_begin's rows
RETRYABLE = (
    pg_errors.DeadlockDetected,
    pg_errors.SerializationFailure,
    pg_errors.UniqueViolation,
    pg_errors.LockNotAvailable,
)


class Batch:
    """One event's transaction on an autocommit connection, in as few round trips as its reads allow.

    Statements are bound client-side (psycopg's literal quoting: every value is still a parameter, never
    pasted text) so that several of them travel as one simple-protocol query: `queue` keeps a statement whose
    result is not needed; `one`/`all` send the queue together with a read and return the read's rows;
    `commit` sends the queue with COMMIT. The transaction is opened by `begin` with the first read. If any
    statement fails, the ones after it in the same message do not run and the error propagates as psycopg
    raises it (the caller rolls back).
    """

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.cur = psycopg.ClientCursor(conn)
        self._queued: list[str] = []

    def queue(self, query: str, params: Sequence[Any] | None = None) -> None:
        self._queued.append(query if params is None else self.cur.mogrify(query, params))

    def all(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._queued.append(self.cur.mogrify(query, params))
        self._send()
        return self.cur.fetchall()

    def one(self, query: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        self._queued.append(self.cur.mogrify(query, params))
        self._send()
        return self.cur.fetchone()

    def commit(self) -> None:
        self._queued.append("commit")
        self._send()

    def _send(self) -> None:
        text, self._queued = ";\n".join(self._queued), []
        self.cur.execute(text)  # no parameters: the simple protocol, several statements in one message
        while self.cur.nextset():  # the last statement's rows
            pass

    def rollback(self) -> None:
        self._queued = []
        try:
            self.conn.rollback()  # nothing to do when no BEGIN reached the server
        except psycopg.Error:
            pass  # a broken connection: the pool replaces it; the original error is what is reported


@dataclass
class Reads:
    """What one event's projection reads before it takes any further lock, asked for in the same call that
    writes its ledger row and takes its up-front locks (`stripe_event_begin`). The function also reads the
    bindings of the customers of the invoices asked for, and the plans of the prices of the subscriptions
    linked to the customers asked for. Anything not asked for is read when needed, as before."""

    locks: list[str] = field(default_factory=list)
    objects: list[tuple[str, str]] = field(default_factory=list)
    links: dict[str, list[str]] = field(
        default_factory=lambda: {"customer": [], "payment_intent": [], "invoice": [], "product": []}
    )
    bindings: list[str] = field(default_factory=list)
    prices: list[str] = field(default_factory=list)
    orgs: list[int] = field(default_factory=list)

    def object(self, kind: str, object_id: str | None) -> None:
        if object_id:
            self.objects.append((kind, object_id))

    def object_and_linked(self, kind: str, object_id: str | None) -> None:
        """The snapshot (kind, object_id) and every snapshot whose `kind` link column equals object_id."""
        if object_id:
            self.objects.append((kind, object_id))
            self.links[kind].append(object_id)

    def as_json(self) -> str:
        return json.dumps(
            {
                "locks": self.locks,
                "objects": self.objects,
                **self.links,
                "bindings": self.bindings,
                "prices": self.prices,
                "orgs": self.orgs,
            }
        )


def reads_for(snap: AnySnap | None) -> Reads:
    """The up-front locks of `snap`'s event and what `service.process` reads under them before any later lock.

    Only reads that happen before a later lock are listed: a snapshot read after a later lock (e.g. the
    Stripe invoice of a charge's PaymentIntent, behind `3in:`) must be read after it, so it is left out.
    """
    r = Reads()
    if snap is None:
        return r
    r.locks = service.lock_keys(snap)
    r.object(snap.kind, snap.id)
    if isinstance(snap, SubscriptionSnap):
        if snap.customer:
            r.links["customer"].append(snap.customer)
            r.bindings.append(snap.customer)
        if snap.price_id:
            r.prices.append(snap.price_id)
    elif isinstance(snap, InvoiceSnap):
        if snap.customer:
            r.bindings.append(snap.customer)
        r.links["invoice"].append(snap.id)
        r.object_and_linked("payment_intent", snap.payment_intent)
    elif isinstance(snap, InvoicePaymentSnap):
        r.object_and_linked("invoice", snap.invoice)
        r.object_and_linked("payment_intent", snap.payment_intent)
    elif isinstance(snap, PaymentIntentSnap):
        r.links["payment_intent"].append(snap.id)
        r.object_and_linked("invoice", snap.stripe_invoice)  # its lock is taken up front too
        org = service.org_id(snap.organization_id)
        if org is not None:
            r.orgs.append(org)
    elif isinstance(snap, ChargeSnap | RefundSnap | DisputeSnap):
        r.object_and_linked("payment_intent", snap.payment_intent)
    elif isinstance(snap, CheckoutSessionSnap):
        r.object_and_linked("customer", snap.customer)
        if snap.customer:
            r.bindings.append(snap.customer)
        r.object_and_linked("payment_intent", snap.payment_intent)
        org = service.org_id(snap.client_reference_id)
        if org is not None:
            r.orgs.append(org)
    elif isinstance(snap, CustomerSnap):
        r.bindings.append(snap.id)
    elif isinstance(snap, ProductSnap):
        r.links["product"].append(snap.id)
    elif isinstance(snap, PriceSnap):
        r.object("product", snap.product)
    return r


class SqlStore:
    """`service.Store` over one connection inside an open transaction.

    Reads are cached for the life of the transaction (one event, under its locks): each object, binding and
    plan is read at most once, and one query per link value (e.g. payment_intent = pi_1) returns the
    snapshots of every kind linked to it. Writes go through the cache.
    """

    def __init__(self, db: Batch) -> None:
        self.db = db
        self._objects: dict[tuple[str, str], Stored | None] = {}
        self._linked: dict[tuple[str, str], dict[tuple[str, str], Stored]] = {}
        self._bindings: dict[str, Binding | None] = {}
        self._plans: dict[str, int | None] = {}
        self._orgs: dict[int, bool] = {}
        self._locked: set[str] = set()
        self.pending: list[str] = []  # waiting_for values of this event, written with its ledger outcome

    def preload(self, reads: Reads, begun: Sequence[Sequence[Any]]) -> None:
        """Fill the caches from `stripe_event_begin`'s rows (read under the event's up-front locks): whatever
        `reads` asked for is known afterwards, found or not, and the locks count as taken."""
        self._locked.update(reads.locks)
        for kind, oid in reads.objects:
            self._objects[(kind, oid)] = None
        for link, values in reads.links.items():
            for value in values:
                self._linked.setdefault((link, value), {})
        for org in reads.orgs:
            self._orgs[org] = False
        for what, link, value, kind, oid, terminal, created, rank, event_id, data, org, flag in begun[1:]:
            if what == "object" or what == "link":
                key = (kind, oid)
                cached = self._objects.get(key)
                if cached is None:
                    cached = self._objects[key] = self._stored(
                        kind, (oid, terminal, created, rank, event_id, data)
                    )
                if what == "link":
                    self._linked[(link, value)][key] = cached
            elif what == "binding":
                self._bindings[value] = (
                    None
                    if org is None
                    else Binding(stripe_customer_id=value, organization_id=org, deleted=flag)
                )
            elif what == "plan":
                self._plans[value] = org
            elif what == "org":
                self._orgs[org] = True

    def lock(self, keys: Sequence[str]) -> None:
        wanted = [k for k in keys if k not in self._locked]
        if wanted:
            # one statement; the function scan returns the array's elements in order, so locks follow it
            self.db.queue(
                "select count(pg_advisory_xact_lock(hashtextextended(k, 7155)))"
                " from unnest(%s::text[]) with ordinality as t(k, n)",
                (wanted,),
            )
            self._locked.update(wanted)

    @staticmethod
    def _stored(kind: str, row: Sequence[Any]) -> Stored:
        oid, terminal, created, rank, event_id, data = row
        snap = SNAP_TYPES[kind].model_validate(data)
        return Stored(kind, oid, (terminal, created, rank, event_id), snap)  # type: ignore[arg-type]

    def get(self, kind: str, object_id: str) -> Stored | None:
        key = (kind, object_id)
        if key not in self._objects:
            row = self.db.one(
                "select id, version_terminal, version_created, version_rank, version_event, data"
                " from public.stripe_objects where kind = %s and id = %s",
                key,
            )
            self._objects[key] = self._stored(kind, row) if row else None
        return self._objects[key]

    def put(self, stored: Stored) -> None:
        links = service.links(stored.snap)
        t, c, r, e = stored.version
        self.db.queue(
            "insert into public.stripe_objects as o (kind, id, version_terminal, version_created, version_rank,"
            " version_event, customer, payment_intent, invoice, product, data)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)"
            " on conflict (kind, id) do update set version_terminal = excluded.version_terminal,"
            " version_created = excluded.version_created, version_rank = excluded.version_rank,"
            " version_event = excluded.version_event, customer = excluded.customer,"
            " payment_intent = excluded.payment_intent, invoice = excluded.invoice, product = excluded.product,"
            " data = excluded.data, updated_at = now()",
            (
                stored.kind,
                stored.id,
                t,
                c,
                r,
                e,
                links.get("customer"),
                links.get("payment_intent"),
                links.get("invoice"),
                links.get("product"),
                stored.snap.model_dump_json(),
            ),
        )
        key = (stored.kind, stored.id)
        self._objects[key] = stored
        for (link, value), members in self._linked.items():
            members.pop(key, None)
            if links.get(link) == value:
                members[key] = stored

    def find(self, kind: str, link: str, value: str) -> list[Stored]:
        if link not in _LINK_COLUMNS:
            raise ValueError(f"unknown link {link}")
        members = self._linked.get((link, value))
        if members is None:
            rows = self.db.all(
                "select kind, id, version_terminal, version_created, version_rank, version_event, data"  # noqa: S608
                f" from public.stripe_objects where {link} = %s",
                (value,),
            )
            members = {}
            for row in rows:
                key = (row[0], row[1])
                cached = self._objects.get(key)
                members[key] = cached if cached is not None else self._stored(row[0], row[1:])
                self._objects[key] = members[key]
            self._linked[(link, value)] = members
        return sorted((m for (k, _), m in members.items() if k == kind), key=lambda m: m.id)

    def binding(self, customer: str) -> Binding | None:
        if customer not in self._bindings:
            self._bindings[customer] = self._binding(customer)
        return self._bindings[customer]

    def _binding(self, customer: str) -> Binding | None:
        # a recorded binding (possibly tombstoned) wins over organizations.stripe_customer_id set elsewhere
        row = self.db.one(
            "select organization_id, deleted from ("
            " select organization_id, deleted, 0 as pref from public.stripe_customer_bindings where stripe_customer_id = %s"
            " union all select id, false, 1 from public.organizations where stripe_customer_id = %s"
            ") b order by pref limit 1",
            (customer, customer),
        )
        return Binding(stripe_customer_id=customer, organization_id=row[0], deleted=row[1]) if row else None

    def bind(self, binding: Binding) -> None:
        self._bindings[binding.stripe_customer_id] = binding
        self.db.queue(
            "insert into public.stripe_customer_bindings as b (stripe_customer_id, organization_id, deleted, deleted_at)"
            " values (%s, %s, %s, case when %s then now() end)"
            " on conflict (stripe_customer_id) do update set deleted = b.deleted or excluded.deleted,"
            " deleted_at = coalesce(b.deleted_at, excluded.deleted_at)",
            (binding.stripe_customer_id, binding.organization_id, binding.deleted, binding.deleted),
        )
        if binding.deleted:
            self.db.queue(
                "update public.organizations set stripe_customer_id = null, updated_at = now()"
                " where id = %s and stripe_customer_id = %s",
                (binding.organization_id, binding.stripe_customer_id),
            )
        else:
            self.db.queue(
                "update public.organizations set stripe_customer_id = %s, updated_at = now()"
                " where id = %s and stripe_customer_id is distinct from %s",
                (binding.stripe_customer_id, binding.organization_id, binding.stripe_customer_id),
            )

    def organization_exists(self, organization_id: int) -> bool:
        if organization_id not in self._orgs:
            self._orgs[organization_id] = (
                self.db.one("select 1 from public.organizations where id = %s", (organization_id,))
                is not None
            )
        return self._orgs[organization_id]

    def plan_for_price(self, price_id: str) -> int | None:
        if price_id not in self._plans:
            row = self.db.one(
                "select id from public.subscription_plans where stripe_price_id = %s", (price_id,)
            )
            self._plans[price_id] = row[0] if row else None
        return self._plans[price_id]

    def update_plan(self, plan: PlanPrice) -> None:
        self.db.queue(
            "update public.subscription_plans set active = %s, price_monthly = coalesce(%s, price_monthly),"
            " price_yearly = coalesce(%s, price_yearly)"
            " where stripe_price_id = %s and (active is distinct from %s"
            "  or (%s::numeric is not null and price_monthly is distinct from %s)"
            "  or (%s::numeric is not null and price_yearly is distinct from %s))",
            (
                plan.active,
                plan.price_monthly,
                plan.price_yearly,
                plan.stripe_price_id,
                plan.active,
                plan.price_monthly,
                plan.price_monthly,
                plan.price_yearly,
                plan.price_yearly,
            ),
        )

    def put_subscription(self, row: SubscriptionRow) -> None:
        plan = row.plan_id if row.status in service.LIVE_STATUSES else None
        # the row, the organization's current plan, and the link from its invoices' payments; nothing at all
        # when the row and the plan are already so (a stale or repeated event)
        self.db.queue(
            "select public.stripe_put_subscription(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                row.organization_id,
                row.plan_id,
                row.stripe_subscription_id,
                row.status,
                row.current_period_start,
                row.current_period_end,
                row.cancel_at_period_end,
                row.cancelled_at,
                row.trial_start,
                row.trial_end,
                row.stripe_status,
                row.stripe_customer_id,
                row.stripe_price_id,
                row.last_event_created,
                plan,
            ),
        )

    def put_payment(self, row: PaymentRow) -> None:
        # keyed by the Stripe invoice when there is one, else by the PaymentIntent; nothing when unchanged
        self.db.queue(
            "select public.stripe_put_payment(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                row.organization_id,
                row.stripe_subscription_id,
                row.invoice_id,
                row.amount,
                row.currency,
                row.status,
                row.payment_method,
                row.stripe_payment_intent_id,
                row.stripe_charge_id,
                row.failure_reason,
                row.processed_at,
                row.stripe_invoice_id,
                row.amount_refunded,
                row.dispute_status,
            ),
        )

    def payments_for_invoice(self, invoice_id: int) -> list[PaymentRow]:
        rows = self.db.all(
            "select " + ", ".join(PAYMENT_COLUMNS) + " from public.payments where invoice_id = %s"  # noqa: S608
            " order by stripe_payment_intent_id",
            (invoice_id,),
        )
        return [PaymentRow(**dict(zip(PAYMENT_COLUMNS, r, strict=True))) for r in rows]

    def org_invoice(self, invoice_id: int) -> OrgInvoice | None:
        row = self.db.one(
            "select " + ", ".join(INVOICE_COLUMNS) + " from public.invoices where id = %s for update",  # noqa: S608
            (invoice_id,),
        )
        if row is None:
            return None
        values = dict(zip(INVOICE_COLUMNS, row, strict=True))
        values["amount_paid"] = values["amount_paid"] or Decimal("0.00")
        return OrgInvoice(**values)

    def put_org_invoice(self, invoice: OrgInvoice) -> None:
        self.db.queue(
            "update public.invoices set amount_paid = %s, balance_due = %s, status = %s, paid_at = %s,"
            " stripe_payment_intent_id = %s where id = %s and (amount_paid, balance_due, status, paid_at,"
            " stripe_payment_intent_id) is distinct from (%s::numeric, %s::numeric, %s::text, %s::timestamptz, %s::text)",
            (
                invoice.amount_paid,
                invoice.balance_due,
                invoice.status,
                invoice.paid_at,
                invoice.stripe_payment_intent_id,
                invoice.id,
                invoice.amount_paid,
                invoice.balance_due,
                invoice.status,
                invoice.paid_at,
                invoice.stripe_payment_intent_id,
            ),
        )

    def add_pending(self, event_id: str, waiting_for: str) -> None:
        # written by the pipeline together with the event's ledger outcome (one statement, same transaction)
        self.pending.append(waiting_for)

    def resolve_pending(self, waiting_for: str) -> None:
        self.db.queue(
            "with done as (delete from public.stripe_pending_events where waiting_for = %s returning event_id)"
            " update public.stripe_events e set outcome = 'applied', processed_at = now(), error = null"
            " from done where e.id = done.event_id",
            (waiting_for,),
        )


PAYMENT_COLUMNS = (
    "organization_id",
    "stripe_invoice_id",
    "stripe_payment_intent_id",
    "stripe_subscription_id",
    "invoice_id",
    "amount",
    "currency",
    "status",
    "payment_method",
    "stripe_charge_id",
    "failure_reason",
    "processed_at",
    "amount_refunded",
    "dispute_status",
)
INVOICE_COLUMNS = (
    "id",
    "organization_id",
    "total",
    "status",
    "due_date",
    "amount_paid",
    "balance_due",
    "paid_at",
    "stripe_payment_intent_id",
)


# ---------------------------------------------------------------------------------------------------------
# The pipeline


_BEGIN = "select * from public.stripe_event_begin(%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s::jsonb)"


def _ledger_begin(
    db: Batch, event: Event, payload: str, source: str, force: bool, reads: Reads
) -> list[tuple[Any, ...]]:
    """Open the transaction as service_role, insert the ledger row (or count another attempt), take the
    event's locks and read what it needs: one round trip. The rows are `stripe_event_begin`'s; the first one
    says whether the event is processed (False: a duplicate, nothing else was done) and whether its ledger
    row is new.

    A new row is written as applied at now() — the transaction's time, as the final update would set it —
    so the common case needs no second statement. A concurrent delivery of the same id waits on the primary
    key until the first one commits (then it sees a final outcome: a duplicate) or rolls back (then it goes
    ahead itself).
    """
    db.queue("begin; set local role service_role")
    return db.all(
        _BEGIN,
        (
            event.id,
            event.type,
            event.api_version,
            event.livemode,
            event.created,
            source,
            payload,
            force,
            reads.as_json(),
        ),
    )


def _ledger_finish(db: Batch, event_id: str, outcome: Outcome, source: str, pending: Sequence[str]) -> None:
    error = outcome.detail if outcome.outcome in ("pending", "ignored") else None
    if pending:
        db.queue(
            "with p as (insert into public.stripe_pending_events (waiting_for, event_id)"
            " select w, %s from unnest(%s::text[]) as w on conflict do nothing)"
            " update public.stripe_events set outcome = %s, error = %s, processed_at = now(), source = %s"
            " where id = %s",
            (event_id, list(pending), outcome.outcome, error, source, event_id),
        )
    else:
        db.queue(
            "update public.stripe_events set outcome = %s, error = %s, processed_at = now(), source = %s"
            " where id = %s",
            (outcome.outcome, error, source, event_id),
        )


def record_failure(
    conn: psycopg.Connection[Any], event: Event, payload: str, source: str, error: str
) -> None:
    """After a rollback: note the failed attempt (no domain change), unless another delivery succeeded."""
    try:
        with conn.transaction():
            conn.execute("set local role service_role")
            conn.execute(
                "insert into public.stripe_events as e (id, type, api_version, livemode, created, outcome, error,"
                " source, payload) values (%s, %s, %s, %s, to_timestamp(%s), 'failed', %s, %s, %s::jsonb)"
                " on conflict (id) do update set attempts = e.attempts + 1,"
                " error = case when e.outcome = 'failed' then excluded.error else e.error end",
                (
                    event.id,
                    event.type,
                    event.api_version,
                    event.livemode,
                    event.created,
                    error,
                    source,
                    payload,
                ),
            )
    except psycopg.Error:
        log.warning("could not record the failed attempt", extra={"event_id": event.id})


# a `\u0000` escape, i.e. one not itself escaped: preceded by an even number of backslashes (kept)
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def without_nul(payload: str) -> str:
    """The JSON text without its NUL characters (jsonb refuses them; nothing of ours reads them). Only real
    `\\u0000` escapes go: text that merely spells one (an escaped backslash, then "u0000") stays as sent."""
    return _NUL_ESCAPE.sub(r"\1", payload) if "u0000" in payload else payload


def apply_event(
    conn: psycopg.Connection[Any],
    event: Event,
    raw_payload: bytes | str,
    source: str = "webhook",
    today: date | None = None,
    force: bool = False,
    max_attempts: int = 6,
) -> Outcome:
    """Apply one verified event exactly once: ledger row, locks, merge and projections in one transaction.

    Returns `duplicate` (nothing changed) when the ledger already has a final outcome for the id, unless
    `force` (replay). Deadlocks, serialisation failures and unique races are retried internally with jitter;
    any other error rolls everything back, is recorded as a failed attempt, and propagates (the caller
    answers 5xx so Stripe retries). `service.UnroutableEvent` also propagates (the caller answers 400).
    """
    payload = raw_payload.decode() if isinstance(raw_payload, bytes) else raw_payload
    payload = without_nul(payload)
    day = today or datetime.now(UTC).date()
    for attempt in range(1, max_attempts + 1):
        try:
            # statements whose results are not needed (locks, writes) wait for the next read or the COMMIT:
            # the common event is two round trips (begin + reads, writes + commit)
            reads = reads_for(service.snapshot_for(event))
            db = Batch(conn)
            try:
                begun = _ledger_begin(db, event, payload, source, force, reads)
                ledger = begun[0]
                if not ledger[_FLAG]:
                    db.commit()
                    return Outcome(event_id=event.id, type=event.type, outcome="duplicate")
                store = SqlStore(db)
                store.preload(reads, begun)
                outcome = service.process(event, store, day)
                if store.pending or ledger[_VALUE] != "true" or outcome.outcome != "applied":
                    _ledger_finish(db, event.id, outcome, source, store.pending)
                db.commit()
            except BaseException:
                db.rollback()
                raise
            return outcome
        except RETRYABLE as exc:
            if attempt == max_attempts:
                record_failure(conn, event, payload, source, f"{type(exc).__name__} after {attempt} attempts")
                raise
            time.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311 - jitter, not security
        except service.UnroutableEvent:
            raise
        except Exception as exc:
            code = getattr(getattr(exc, "diag", None), "sqlstate", None)
            record_failure(
                conn, event, payload, source, f"{type(exc).__name__}{f' ({code})' if code else ''}"
            )
            raise
    raise AssertionError("unreachable")


def replay_event(conn: psycopg.Connection[Any], event_id: str, today: date | None = None) -> Outcome | None:
    """Re-apply a stored event through the same path (the merge is idempotent). None if it is not stored."""
    with conn.transaction():
        conn.execute("set local role service_role")
        row = conn.execute("select payload from public.stripe_events where id = %s", (event_id,)).fetchone()
    if row is None:
        return None
    payload = row[0]
    event = Event.model_validate(payload)
    return apply_event(conn, event, json.dumps(payload), source="replay", today=today, force=True)


def read_cursor(conn: psycopg.Connection[Any], name: str, created_gte: int | None) -> str | None:
    """The id to resume after, when the stored cursor was made for the same window."""
    with conn.transaction():
        conn.execute("set local role service_role")
        row = conn.execute(
            "select starting_after, created_gte from public.stripe_sync_cursors where name = %s", (name,)
        ).fetchone()
    if row is None or row[1] != created_gte:
        return None
    return row[0]


def write_cursor(
    conn: psycopg.Connection[Any], name: str, starting_after: str | None, created_gte: int | None
) -> None:
    """Store the resync position (None: the last pass completed)."""
    with conn.transaction():
        conn.execute("set local role service_role")
        conn.execute(
            "insert into public.stripe_sync_cursors (name, starting_after, created_gte) values (%s, %s, %s)"
            " on conflict (name) do update set starting_after = excluded.starting_after,"
            " created_gte = excluded.created_gte, updated_at = now()",
            (name, starting_after, created_gte),
        )


def outcome_counts(conn: psycopg.Connection[Any], event_ids: Sequence[str]) -> dict[str, int]:
    """Ledger outcome -> number of the given events with it."""
    with conn.transaction():
        conn.execute("set local role service_role")
        rows = conn.execute(
            "select outcome, count(*) from public.stripe_events where id = any(%s) group by 1",
            (list(event_ids),),
        ).fetchall()
    return {r[0]: int(r[1]) for r in rows}
