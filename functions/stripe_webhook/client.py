"""The one Stripe API call the webhook can make: fetching a thin event's related object.

The stripe library is imported lazily (≈ 200 ms) so snapshot events never pay for it at cold start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr


def fetcher(api_key: SecretStr | None, api_base: str | None = None) -> Callable[[str], dict[str, Any]] | None:
    """A function `url -> object JSON` using the secret key, or None when no key is configured."""
    if api_key is None or not api_key.get_secret_value():
        return None
    key = api_key.get_secret_value()
    client: list[Any] = []

    def fetch(url: str) -> dict[str, Any]:
        if not client:
            import stripe

            kwargs: dict[str, Any] = {"base_addresses": {"api": api_base}} if api_base else {}
            client.append(stripe.StripeClient(key, max_network_retries=1, **kwargs))
        response = client[0].raw_request("get", url)
        data = json.loads(response.body)
        if not isinstance(data, dict):
            raise ValueError("Stripe returned a non-object")
        return data

    return fetch
