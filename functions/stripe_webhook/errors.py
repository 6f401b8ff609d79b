"""The stripe-webhook's errors, in the runtime's tree (each carries its HTTP status).

BadRequestError (400)
├── InvalidSignatureError     missing / malformed / stale / future / unmatched Stripe-Signature
└── InvalidEventError         the verified body is not a Stripe event we can read
ServiceUnavailableError (503)
└── RelatedObjectUnavailableError  a thin event's object could not be fetched (Stripe retries)
"""

from __future__ import annotations

from shared.errors import BadRequestError, ServiceUnavailableError


class InvalidSignatureError(BadRequestError):
    """The Stripe-Signature header does not prove that Stripe sent this body just now."""

    code = "invalid-signature"
    title = "Invalid Stripe signature"


class InvalidEventError(BadRequestError):
    """The body is signed but is not a readable Stripe event."""

    code = "invalid-event"
    title = "Unreadable Stripe event"


class RelatedObjectUnavailableError(ServiceUnavailableError):
    """A thin event's related object could not be fetched from Stripe now; a retry may succeed."""

    code = "related-object-unavailable"
    title = "Stripe object unavailable"
