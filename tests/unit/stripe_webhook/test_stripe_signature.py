"""Stripe-Signature verification, pure: every rejection reason, rotation on both sides, and agreement with
the stripe library's own signing helper."""

from __future__ import annotations

import pytest
import stripe

from functions.stripe_webhook import signature
from functions.stripe_webhook.signature import SignatureError, verify

BODY = b'{"id": "evt_1", "object": "event", "type": "customer.created"}'
NOW = 1_800_000_000
A, B = "whsec_first_secret", "whsec_second_secret"


def header(secret: str = A, t: int = NOW, body: bytes = BODY) -> str:
    return signature.header_for(body, [secret], t)


def test_matches_the_stripe_library_signature() -> None:
    theirs = stripe.WebhookSignature.generate_signature_header(BODY.decode(), A, timestamp=NOW)
    assert verify(theirs, BODY, [A], now=NOW) == NOW
    assert theirs == header()


@pytest.mark.parametrize(
    ("hdr", "body", "secrets", "now", "code"),
    [
        (None, BODY, [A], NOW, "missing_signature"),
        ("", BODY, [A], NOW, "missing_signature"),
        ("v1=abc", BODY, [A], NOW, "invalid_signature_header"),
        ("t=abc,v1=abc", BODY, [A], NOW, "invalid_signature_header"),
        # str.isdigit() is true for these, int() refuses the first and reads the second: neither is a timestamp
        ("t=\u00b2,v1=abc", BODY, [A], NOW, "invalid_signature_header"),
        (
            "t=" + "".join(chr(0x0660 + int(c)) for c in str(NOW)) + ",v1=abc",
            BODY,
            [A],
            NOW,
            "invalid_signature_header",
        ),
        (f"t={NOW}", BODY, [A], NOW, "no_v1_signature"),
        (f"t={NOW},v0={signature.compute(A, NOW, BODY)}", BODY, [A], NOW, "no_v1_signature"),
        (header(B), BODY, [A], NOW, "invalid_signature"),
        (header(), BODY[:-1] + b"!", [A], NOW, "invalid_signature"),
        (header(t=NOW - 301), BODY, [A], NOW, "timestamp_out_of_tolerance"),
        (header(t=NOW + 301), BODY, [A], NOW, "timestamp_out_of_tolerance"),
        (header(), BODY, [], NOW, "no_secret_configured"),
    ],
    ids=[
        "none",
        "empty",
        "no-t",
        "bad-t",
        "superscript-t",
        "arabic-indic-t",
        "no-v1",
        "v0-only",
        "wrong-secret",
        "byte-changed",
        "301s-old",
        "301s-future",
        "no-secret",
    ],
)
def test_rejections(hdr: str | None, body: bytes, secrets: list[str], now: int, code: str) -> None:
    with pytest.raises(SignatureError) as info:
        verify(hdr, body, secrets, now=now)
    assert info.value.code == code


def test_edges_of_the_window_are_accepted() -> None:
    assert verify(header(t=NOW - 300), BODY, [A], now=NOW) == NOW - 300
    assert verify(header(t=NOW + 300), BODY, [A], now=NOW) == NOW + 300


def test_rotation_on_both_sides() -> None:
    # our side: the second configured secret signs
    assert verify(header(B), BODY, [A, B], now=NOW) == NOW
    # Stripe's side: several v1 values, only one made with our secret; v0 is ignored
    mixed = f"t={NOW},v0=deadbeef,v1={signature.compute('whsec_other', NOW, BODY)},v1={signature.compute(A, NOW, BODY)}"
    assert verify(mixed, BODY, [A], now=NOW) == NOW


def test_every_single_byte_change_is_rejected() -> None:
    good = header()
    for i in range(len(BODY)):
        tampered = BODY[:i] + bytes([BODY[i] ^ 0x01]) + BODY[i + 1 :]
        with pytest.raises(SignatureError):
            verify(good, tampered, [A], now=NOW)
