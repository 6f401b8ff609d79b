"""Stripe-Signature verification on the raw request body, before anything is parsed.

The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`. Only `v1` (HMAC-SHA256 of
`"{t}." + raw body`) counts; several `v1` values (secret rotation on Stripe's side) and several endpoint
secrets (rotation on ours) are accepted when any pair matches. `v0` is ignored. Timestamps further than
`tolerance` seconds from now, in the past or in the future, are rejected.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from shared.http import ascii_int

DEFAULT_TOLERANCE = 300


class SignatureError(Exception):
    """The request is not a genuine, fresh Stripe delivery; `code` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def compute(secret: str, timestamp: int, body: bytes) -> str:
    """The hex `v1` signature Stripe sends for `body` signed at `timestamp` with `secret`."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_for(body: bytes, secrets: Sequence[str], timestamp: int) -> str:
    """A `Stripe-Signature` header signing `body` with every secret given (one `v1` each)."""
    parts = [f"t={timestamp}"] + [f"v1={compute(s, timestamp, body)}" for s in secrets]
    return ",".join(parts)


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    v1: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t" and timestamp is None:
            timestamp = ascii_int(value, max_digits=12)
            if timestamp is None:
                raise SignatureError("invalid_signature_header", "Stripe-Signature timestamp is not a number")
        elif key == "v1" and value:
            v1.append(value)
    if timestamp is None:
        raise SignatureError("invalid_signature_header", "Stripe-Signature has no timestamp")
    if not v1:
        raise SignatureError("no_v1_signature", "Stripe-Signature has no v1 signature")
    return timestamp, v1


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[str],
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> int:
    """Check `header` against the raw `body`; returns the signed timestamp.

    Raises SignatureError when the header is missing or malformed, carries no `v1`, is older or newer
    than `tolerance` seconds, or matches none of `secrets`. Comparisons are constant-time and every
    (secret, signature) pair is compared, so timing reveals nothing about which part failed.
    """
    if not header:
        raise SignatureError("missing_signature", "Stripe-Signature header is missing")
    if not secrets:
        raise SignatureError("no_secret_configured", "no webhook secret is configured")
    timestamp, candidates = _parse(header)
    if abs(now - timestamp) > tolerance:
        raise SignatureError(
            "timestamp_out_of_tolerance", "Stripe-Signature timestamp is outside the tolerance"
        )
    matched = False
    for secret in secrets:
        expected = compute(secret, timestamp, body).encode()
        for candidate in candidates:
            matched |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    if not matched:
        raise SignatureError("invalid_signature", "no v1 signature matches")
    return timestamp
