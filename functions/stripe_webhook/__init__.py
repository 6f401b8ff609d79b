"""stripe-webhook: every Stripe event applied exactly once, in any order (see main.py and service.py)."""
