"""Supabase database-webhook payloads: `{type, table, schema, record, old_record}`.

Database webhooks are not signed; protect the receiving function with `auth="service"` (the caller sends
the service credential) and make the handler idempotent — deliveries can repeat.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DatabaseWebhook(BaseModel):
    """One row change delivered by a database webhook (pg_net trigger). `schema` is exposed as `schema_`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, populate_by_name=True)

    type: Literal["INSERT", "UPDATE", "DELETE"]
    table: str = Field(min_length=1)
    schema_: str = Field(alias="schema", min_length=1)
    record: dict[str, Any] | None = None
    old_record: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _records_match_type(self) -> DatabaseWebhook:
        if self.type in ("INSERT", "UPDATE") and self.record is None:
            raise ValueError(f"{self.type} events carry a record")
        if self.type in ("UPDATE", "DELETE") and self.old_record is None:
            raise ValueError(f"{self.type} events carry an old_record")
        return self
