"""One delivery, end to end: signature on the raw bytes → parse → (thin event: fetch its object) → apply
exactly once in one transaction → the response body. Framework-free; main.py plugs it into the runtime.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from functions.stripe_webhook import repo, service, signature
from functions.stripe_webhook.errors import (
    InvalidEventError,
    InvalidSignatureError,
    RelatedObjectUnavailableError,
)
from functions.stripe_webhook.models import Event, Outcome, ThinEvent

Fetch = Callable[[str], dict[str, Any]]
Connect = Callable[[], AbstractContextManager[Any]]


def parse(body: bytes) -> Event | ThinEvent:
    """Read a verified body as a snapshot event or a thin event. Raises InvalidEventError (400)."""
    try:
        return Event.model_validate_json(body)  # the common case, in one pass
    except ValidationError:
        pass
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidEventError("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidEventError("the body is not a JSON object")
    try:
        if data.get("object") == "v2.core.event":
            return ThinEvent.model_validate(data)
        return Event.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors(include_input=False)})
        raise InvalidEventError(f"not a Stripe event: {', '.join(fields)}") from None


def expand_thin(thin: ThinEvent, fetch: Fetch | None) -> tuple[Event, bytes]:
    """Turn a thin event into a snapshot event by fetching its related object (the only API call we make).

    Raises RelatedObjectUnavailableError (503: Stripe retries) when the object cannot be fetched now.
    """
    if thin.related_object is None:
        event = Event(
            id=thin.id,
            type=thin.type,
            created=_iso_seconds(thin.created),
            livemode=thin.livemode,
            data={"object": {}},
        )  # type: ignore[arg-type]
        return event, event.model_dump_json().encode()
    if fetch is None:
        raise RelatedObjectUnavailableError("no Stripe API key is configured to fetch a thin event's object")
    try:
        obj = fetch(thin.related_object.url)
    except Exception:  # the stripe library's errors: all mean "not now"
        raise RelatedObjectUnavailableError(
            "the thin event's object could not be fetched", retry_after=10
        ) from None
    type_ = thin.type[3:] if thin.type.startswith("v1.") else thin.type
    event = Event(
        id=thin.id,
        type=type_,
        created=_iso_seconds(thin.created),
        livemode=thin.livemode,
        api_version=None,
        data={"object": obj},
    )  # type: ignore[arg-type]
    return event, event.model_dump_json().encode()


def _iso_seconds(value: str) -> int:
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise InvalidEventError("thin event has an unreadable created time") from None


def receive(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    now: float,
    connect: Connect,
    fetch: Fetch | None = None,
) -> Outcome:
    """Verify, parse and apply one delivery; returns its outcome (every outcome is answered 2xx).

    Raises InvalidSignatureError / InvalidEventError (400, nothing written), RelatedObjectUnavailableError
    (503), the database's unavailability error (503) from `connect`, and any other failure (500, rolled back
    and recorded as a failed attempt) so that Stripe retries.
    """
    try:
        signature.verify(header, body, secrets, now)
    except signature.SignatureError as exc:
        raise InvalidSignatureError(exc.message, extra={"reason": exc.code}) from None
    parsed = parse(body)
    if isinstance(parsed, ThinEvent):
        event, raw = expand_thin(parsed, fetch)
    else:
        event, raw = parsed, body
    if event.type == "invoice.upcoming":
        # a preview with no invoice id: nothing to keep in step, and nothing worth a ledger row
        return Outcome(event_id=event.id, type=event.type, outcome="acknowledged", detail="preview only")
    try:
        service.snapshot_for(event)
    except service.UnroutableEvent as exc:
        raise InvalidEventError(str(exc)) from None
    with connect() as conn:
        return repo.apply_event(conn, event, raw)


class _Checkout:
    """One checkout of a pool connection (see `connections`)."""

    __slots__ = ("pool_getter", "unavailable", "pool", "conn")

    def __init__(self, pool_getter: Callable[[], Any], unavailable: Callable[[], Exception]) -> None:
        self.pool_getter = pool_getter
        self.unavailable = unavailable

    def __enter__(self) -> Any:
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            self.pool = self.pool_getter()
            self.conn = self.pool.getconn()
        except (PoolTimeout, psycopg.OperationalError):
            raise self.unavailable() from None
        return self.conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        import psycopg

        from shared.db import note_return

        note_return(self.conn, healthy=exc_type is None)
        self.pool.putconn(self.conn)
        if exc_type is not None and issubclass(
            exc_type, (psycopg.OperationalError, psycopg.errors.QueryCanceled)
        ):
            raise self.unavailable() from None


def connections(pool_getter: Callable[[], Any], unavailable: Callable[[], Exception]) -> Connect:
    """A `Connect` over a psycopg pool (autocommit connections); pool timeouts and connection failures become
    `unavailable()`. A connection is given back marked healthy only when its use succeeded (shared.db then
    skips the next checkout's check for a while)."""
    return functools.partial(_Checkout, pool_getter, unavailable)
