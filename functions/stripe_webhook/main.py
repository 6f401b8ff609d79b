"""stripe-webhook: Stripe POSTs an event → verify its signature on the raw body → apply it exactly once.

It runs as the **service role** because a webhook has no user: the caller is Stripe, authenticated by the
signature, and one event may change billing rows of any organization (subscriptions, payments, invoices,
organizations.stripe_customer_id), plus the service-only ledger tables. RLS has no user to check; tenant
safety comes from the event itself (the customer binding, PaymentIntent metadata checked against the
invoice's organization), never from the request.

Answers: 200 for every processed outcome (applied, pending, duplicate, ignored, acknowledged); 400 only for
a bad signature or an unreadable body (nothing written); 503 when the database or Stripe is unavailable and
500 for anything else (rolled back, Stripe retries).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # loaded by functions-framework as a top-level `main`: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pydantic import Field  # noqa: E402

from functions.stripe_webhook import webhook  # noqa: E402
from functions.stripe_webhook.client import fetcher  # noqa: E402
from shared.db import get_pool  # noqa: E402
from shared.errors import DatabaseUnavailableError  # noqa: E402
from shared.function import Call, function  # noqa: E402
from shared.http import Response  # noqa: E402
from shared.lambda_adapter import lambda_handler  # noqa: E402
from shared.settings import DATABASE, FunctionSettings  # noqa: E402


class Settings(FunctionSettings):
    """The database and the endpoint secret(s); STRIPE_SECRET_KEY only for thin events."""

    required = (*DATABASE, "STRIPE_WEBHOOK_SECRET")
    # where the Stripe API is (tests point it at a local server); Stripe's own default otherwise
    stripe_api_base: str | None = Field(default=None, validation_alias="STRIPE_API_BASE")


@function(name="stripe_webhook", methods=("POST",), auth="public", settings=Settings, content_types=())
def stripe_webhook(call: Call[Settings]) -> Response:
    """Receive one Stripe event delivery and apply it exactly once, in any order."""
    settings = call.settings
    outcome = webhook.receive(
        call.request.body,
        call.request.headers.get("Stripe-Signature"),
        settings.webhook_secrets(),
        time.time(),
        webhook.connections(
            lambda: get_pool(settings),
            lambda: DatabaseUnavailableError("the database is unavailable", retry_after=2),
        ),
        fetch=fetcher(settings.stripe_secret_key, settings.stripe_api_base),
    )
    if outcome.event_id:
        call.bind(stripe_event_id=outcome.event_id, stripe_event_type=outcome.type, outcome=outcome.outcome)
    return Response.json({"received": True, **outcome.model_dump()})


handler = lambda_handler(stripe_webhook)
