"""Development JWTs, signed with the fixed local JWT secret. Never deployed; never used outside this machine.

`DEV_JWT_SECRET` is the same well-known value the Supabase CLI uses for local stacks. It is public knowledge,
so anything signed with it must only ever be accepted by a local gateway pointed at the local database.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import jwt

DEV_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"  # noqa: S105 - documented, local only
DEV_ISSUER = "http://127.0.0.1:54321/auth/v1"
DEV_STRIPE_WEBHOOK_SECRET = "whsec_local_development_only"  # noqa: S105 - local only, like DEV_JWT_SECRET


def mint(
    sub: str | uuid.UUID | None,
    *,
    role: str = "authenticated",
    email: str | None = None,
    expires_in: int = 3600,
    secret: str = DEV_JWT_SECRET,
    app_metadata: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """An HS256 token shaped like a Supabase access token (aud=authenticated for users)."""
    now = int(time.time())
    claims: dict[str, Any] = {"iss": DEV_ISSUER, "iat": now, "exp": now + expires_in, "role": role}
    if role == "authenticated":
        claims["aud"] = "authenticated"
        claims["session_id"] = str(uuid.uuid4())
        claims["aal"] = "aal1"
        claims["is_anonymous"] = False
    if sub is not None:
        claims["sub"] = str(sub)
    if email is not None:
        claims["email"] = email
    claims["app_metadata"] = dict(app_metadata or {"provider": "email", "providers": ["email"]})
    claims["user_metadata"] = {}
    claims.update(extra or {})
    return jwt.encode(claims, secret, algorithm="HS256")


def service_role_key(secret: str = DEV_JWT_SECRET) -> str:
    """A long-lived service_role JWT, the local equivalent of SUPABASE_SERVICE_ROLE_KEY."""
    return mint(None, role="service_role", expires_in=10 * 365 * 86400, secret=secret)


def anon_key(secret: str = DEV_JWT_SECRET) -> str:
    """A long-lived anon JWT, the local equivalent of SUPABASE_ANON_KEY."""
    return mint(None, role="anon", expires_in=10 * 365 * 86400, secret=secret)


def dev_environment(database_url: str, port: int = 54321) -> dict[str, str]:
    """The environment the functions see under the local gateway (the names Supabase uses)."""
    return {
        "SUPABASE_URL": f"http://127.0.0.1:{port}",
        "SUPABASE_JWT_SECRET": DEV_JWT_SECRET,
        "SUPABASE_SERVICE_ROLE_KEY": service_role_key(),
        "SUPABASE_ANON_KEY": anon_key(),
        "SUPABASE_DB_URL": database_url,
        "ODYSSEY_CORS_ORIGINS": "http://localhost:3000,http://127.0.0.1:3000",
        "ODYSSEY_ENVIRONMENT": "local",
        # a local-only endpoint secret so stripe-webhook loads; `stripe listen` prints the one to export instead
        "STRIPE_WEBHOOK_SECRET": DEV_STRIPE_WEBHOOK_SECRET,
    }
