"""Who is calling: Supabase user JWTs and the service credential.

* Users: Supabase access tokens. HS256 with `SUPABASE_JWT_SECRET`; ES256/RS256 with the project's JWKS at
  `${SUPABASE_URL}/auth/v1/.well-known/jwks.json` (fetched lazily, cached per process, refetched only when an
  unknown `kid` shows up and at most once per `ODYSSEY_JWKS_MIN_REFRESH_S`). `exp` is required (small leeway),
  `nbf` honoured, `aud` must be `authenticated`, `sub` must be present. The algorithm is chosen by *our* key
  material, never by the token alone: HS256 only verifies against the shared secret, ES256/RS256 only against
  a JWKS key of the matching type — so an HS256 token "signed" with a public key fails.
* Internal callers (cron, database webhooks): the service credential, either the exact
  `SUPABASE_SERVICE_ROLE_KEY` (compared in constant time) or a verified JWT whose `role` is `service_role`.

Every failure is `UnauthorizedError` (401 with a `WWW-Authenticate: Bearer` challenge); a valid credential of
the wrong kind is `ForbiddenError` (403). Outbound HTTP (the JWKS) goes through an injectable `HttpGet`.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt

from shared.errors import ForbiddenError, ServiceUnavailableError, UnauthorizedError
from shared.principal import AuthMode, Principal
from shared.settings import FunctionSettings

__all__ = [
    "Authenticator",
    "AuthMode",
    "HttpGet",
    "JwksCache",
    "Principal",
    "bearer_token",
    "jwks_for",
    "urllib_get",
]

HttpGet = Callable[[str, float], bytes]
"""Fetch a URL and return the body; raise on a transport error or a non-2xx status."""

USER_AUDIENCE = "authenticated"
_KTY_FOR_ALG = {"ES256": "EC", "RS256": "RSA"}


def urllib_get(url: str, timeout: float) -> bytes:
    """The default `HttpGet`: a plain GET with urllib (cheap to import, no extra dependency)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("only http(s) URLs can be fetched")
    req = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - scheme checked above
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
        status = getattr(resp, "status", 200)
        if status // 100 != 2:
            raise OSError(f"HTTP {status}")
        return bytes(resp.read())


class JwksCache:
    """The project's signing keys, fetched on first need and again only for an unknown `kid` (rate-limited)."""

    def __init__(
        self, url: str, http_get: HttpGet, *, min_refresh_s: float = 30.0, timeout_s: float = 2.0
    ) -> None:
        self.url = url
        self._get = http_get
        self._min_refresh = min_refresh_s
        self._timeout = timeout_s
        self._keys: dict[str, dict[str, Any]] | None = None
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()
        self.fetches = 0

    def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        self.fetches += 1
        data = json.loads(self._get(self.url, self._timeout))
        keys = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(keys, list):
            raise ValueError("JWKS document without a keys list")
        self._keys = {str(k["kid"]): k for k in keys if isinstance(k, dict) and "kid" in k}

    def key(self, kid: str) -> dict[str, Any] | None:
        """The JWK with this `kid`, or None. Raises ServiceUnavailableError when no key set was ever fetched."""
        with self._lock:
            since = time.monotonic() - self._fetched_at
            if self._keys is None and since < min(self._min_refresh, 5.0):
                # the last fetch failed a moment ago: do not hammer the auth server once per request
                raise ServiceUnavailableError("the signing keys could not be fetched", retry_after=5)
            if self._keys is None or (kid not in self._keys and since >= self._min_refresh):
                try:
                    self._refresh()
                except Exception:  # noqa: BLE001 - any transport or parse failure
                    if self._keys is None:
                        raise ServiceUnavailableError(
                            "the signing keys could not be fetched", retry_after=5
                        ) from None
            return (self._keys or {}).get(kid)


_jwks_by_url: dict[str, JwksCache] = {}


def jwks_for(settings: FunctionSettings, http_get: HttpGet | None = None) -> JwksCache | None:
    """The process-wide JWKS cache for the project in `settings` (None without SUPABASE_URL)."""
    if not settings.supabase_url:
        return None
    url = settings.supabase_url.rstrip("/") + "/auth/v1/.well-known/jwks.json"
    cache = _jwks_by_url.get(url)
    if cache is None or (http_get is not None and cache._get is not http_get):
        cache = JwksCache(url, http_get or urllib_get, min_refresh_s=settings.jwks_min_refresh_s)
        _jwks_by_url[url] = cache
    return cache


def bearer_token(headers: Any) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; UnauthorizedError if the header is malformed."""
    raw = headers.get("Authorization")
    if raw is None:
        return None
    scheme, _, token = raw.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise UnauthorizedError("the Authorization header must be 'Bearer <token>'", error="invalid_request")
    return token


class Authenticator:
    """Verifies credentials for one function's settings. Create once per cold start; thread-safe."""

    def __init__(self, settings: FunctionSettings, http_get: HttpGet | None = None) -> None:
        self.settings = settings
        self.jwks = jwks_for(settings, http_get)
        secret = settings.supabase_jwt_secret
        self._hs_secret = secret.get_secret_value() if secret is not None else None
        key = settings.supabase_service_role_key
        self._service_key = key.get_secret_value().encode() if key is not None else None

    def _is_service_key(self, token: str) -> bool:
        return self._service_key is not None and hmac.compare_digest(token.encode(), self._service_key)

    def _key_for(self, token: str) -> tuple[Any, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise UnauthorizedError("the token is malformed") from None
        alg = header.get("alg")
        if alg == "HS256":
            if not self._hs_secret:
                raise UnauthorizedError("HS256 tokens are not accepted here")
            return self._hs_secret, alg
        if alg in _KTY_FOR_ALG:
            kid = header.get("kid")
            if not isinstance(kid, str) or self.jwks is None:
                raise UnauthorizedError("the token names no known signing key")
            jwk = self.jwks.key(kid)
            if jwk is None:
                raise UnauthorizedError("the token's signing key is unknown")
            if jwk.get("kty") != _KTY_FOR_ALG[alg] or jwk.get("alg", alg) != alg:
                raise UnauthorizedError("the token's algorithm does not match its key")
            try:
                return jwt.PyJWK(jwk, algorithm=alg).key, alg
            except jwt.PyJWTError:
                raise UnauthorizedError("the token's signing key is unusable") from None
        raise UnauthorizedError("the token's algorithm is not allowed")

    def verify_jwt(self, token: str) -> dict[str, Any]:
        """Verify signature, `exp` (required) and `nbf`; return the claims. Raises UnauthorizedError."""
        key, alg = self._key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                leeway=self.settings.jwt_leeway_s,
                options={"require": ["exp"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise UnauthorizedError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise UnauthorizedError("the token is not valid yet") from None
        except jwt.MissingRequiredClaimError as exc:
            raise UnauthorizedError(f"the token lacks the {exc.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise UnauthorizedError("the token's signature does not verify") from None
        except jwt.PyJWTError:
            raise UnauthorizedError("the token is invalid") from None
        if not isinstance(claims, dict):
            raise UnauthorizedError("the token is invalid")
        return claims

    def principal_from_token(self, token: str) -> Principal:
        """Classify a bearer token as the service or a user; UnauthorizedError when it is neither."""
        if self._is_service_key(token):
            return Principal.service("service_key")
        claims = self.verify_jwt(token)
        if claims.get("role") == "service_role":
            return Principal.service("jwt", claims)
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if USER_AUDIENCE not in audiences:
            raise UnauthorizedError("the token's audience is not 'authenticated'")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise UnauthorizedError("the token lacks the sub claim")
        if claims.get("role", USER_AUDIENCE) != USER_AUDIENCE:
            raise UnauthorizedError("the token's role is not 'authenticated'")
        return Principal("user", claims, "jwt")

    def authenticate(self, headers: Any, mode: AuthMode) -> Principal:
        """Authenticate a request's headers for `mode`. Raises UnauthorizedError (401) or ForbiddenError (403)."""
        if mode == "public":
            return Principal.anonymous()
        token = bearer_token(headers)
        if token is None:
            raise UnauthorizedError("a bearer token is required", error=None)
        principal = self.principal_from_token(token)
        if mode == "user" and principal.kind != "user":
            raise ForbiddenError("this function acts on behalf of a signed-in user")
        if mode == "service" and principal.kind != "service":
            raise ForbiddenError("this function only accepts the service credential")
        return principal
