"""Fixtures of the stripe-webhook tests: `hook` (the endpoint over a fresh database) and `fake_stripe`."""

from tests.functions.stripe_webhook.hooks import fake_stripe, hook  # noqa: F401 - fixtures
