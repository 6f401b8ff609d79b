"""The authenticated caller of a request (kept free of PyJWT so that public functions stay cheap to import)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

AuthMode = Literal["public", "user", "service", "user_or_service"]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. `kind` is anonymous, user or service; `claims` is the verified JWT payload."""

    kind: Literal["anonymous", "user", "service"]
    claims: Mapping[str, Any] = field(default_factory=dict)
    via: Literal["none", "jwt", "service_key", "trusted_event"] = "none"

    @classmethod
    def anonymous(cls) -> Principal:
        """Nobody in particular (public functions)."""
        return cls("anonymous")

    @classmethod
    def service(
        cls, via: Literal["jwt", "service_key", "trusted_event"], claims: Mapping[str, Any] | None = None
    ) -> Principal:
        """The platform itself (cron, database webhook, a scheduled event)."""
        return cls("service", dict(claims or {"role": "service_role"}), via)

    @property
    def user_id(self) -> uuid.UUID | None:
        """The user's id (`sub`) for user principals."""
        if self.kind != "user":
            return None
        try:
            return uuid.UUID(str(self.claims.get("sub")))
        except ValueError:
            return None

    @property
    def organization_id(self) -> int | None:
        """`app_metadata.organization_id` when the token carries one (server-controlled metadata only)."""
        meta = self.claims.get("app_metadata")
        value = meta.get("organization_id") if isinstance(meta, Mapping) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None
