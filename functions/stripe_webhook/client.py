"""The one Stripe API call the webhook can make: fetching a thin event's related object.

The stripe library is imported lazily (≈ 200 ms) so snapshot events never pay for it at cold start; the
client is created once per key and reused across warm invocations.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr


def fetcher(api_key: SecretStr | None, api_base: str | None = None) -> Callable[[str], dict[str, Any]] | None:
    """A function `url -> object JSON` using the secret key, or None when no key is configured."""
    if api_key is None or not api_key.get_secret_value():
        return None
    return _fetcher(api_key.get_secret_value(), api_base)


@functools.lru_cache(maxsize=4)
def _fetcher(key: str, api_base: str | None) -> Callable[[str], dict[str, Any]]:
    client: list[Any] = []

    def fetch(url: str) -> dict[str, Any]:
        """GET `url` (a path such as /v1/subscriptions/sub_1) from Stripe; raises the library's errors."""
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
