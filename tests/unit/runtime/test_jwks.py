"""The JWKS cache: fetched lazily, cached, refetched only for an unknown kid and never per request."""

from __future__ import annotations

import json

import pytest

from shared.auth import Authenticator, JwksCache
from shared.errors import ServiceUnavailableError, UnauthorizedError
from shared.settings import FunctionSettings


class Recorder:
    def __init__(self, documents):
        self.documents = list(documents)
        self.calls = 0

    def __call__(self, url: str, timeout: float) -> bytes:
        self.calls += 1
        doc = self.documents[min(self.calls - 1, len(self.documents) - 1)]
        if isinstance(doc, Exception):
            raise doc
        return json.dumps(doc).encode()


def test_lazy_cached_and_refetched_only_for_unknown_kids(keyset):
    doc = keyset.jwks()
    first_only = {"keys": [doc["keys"][0]]}
    get = Recorder([first_only, doc])
    cache = JwksCache("http://x/jwks", get, min_refresh_s=0)
    assert get.calls == 0  # lazy
    assert cache.key(keyset.ec_kid)["kty"] == "EC"
    assert cache.key(keyset.ec_kid) is not None
    assert get.calls == 1
    assert cache.key(keyset.rsa_kid)["kty"] == "RSA"  # rotation: unknown kid → one refetch
    assert get.calls == 2


def test_unknown_kid_refetch_is_rate_limited(keyset):
    get = Recorder([keyset.jwks()])
    cache = JwksCache("http://x/jwks", get, min_refresh_s=60)
    assert cache.key(keyset.ec_kid) is not None
    for _ in range(20):
        assert cache.key("attacker-chosen") is None
    assert get.calls == 1


def test_fetch_failure_without_any_keys_is_503_and_with_keys_keeps_them(keyset):
    down = JwksCache("http://x/jwks", Recorder([OSError("down")]), min_refresh_s=0)
    with pytest.raises(ServiceUnavailableError):
        down.key(keyset.ec_kid)
    failing = Recorder([OSError("down")])
    limited = JwksCache("http://x/jwks", failing, min_refresh_s=60)
    for _ in range(10):
        with pytest.raises(ServiceUnavailableError):
            limited.key(keyset.ec_kid)
    assert failing.calls == 1  # a failed fetch is not retried once per request
    flaky = JwksCache("http://x/jwks", Recorder([keyset.jwks(), OSError("down")]), min_refresh_s=0)
    assert flaky.key(keyset.ec_kid) is not None
    assert flaky.key("other") is None
    assert flaky.key(keyset.ec_kid) is not None


def test_authenticator_uses_the_injected_client(keyset, tokens):
    get = Recorder([keyset.jwks()])
    settings = FunctionSettings(SUPABASE_URL="http://injected.example", SUPABASE_JWT_SECRET=tokens.secret)
    auth = Authenticator(settings, http_get=get)
    for alg in ("ES256", "RS256", "ES256"):
        principal = auth.principal_from_token(tokens.user("11111111-1111-1111-1111-111111111111", alg=alg))
        assert principal.kind == "user" and str(principal.user_id) == "11111111-1111-1111-1111-111111111111"
    assert get.calls == 1


def test_hs256_refused_when_no_secret_is_configured(tokens, keyset):
    auth = Authenticator(
        FunctionSettings(SUPABASE_URL="http://i.example"), http_get=Recorder([keyset.jwks()])
    )
    with pytest.raises(UnauthorizedError, match="HS256"):
        auth.principal_from_token(tokens.user())
