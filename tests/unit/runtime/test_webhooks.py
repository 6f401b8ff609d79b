"""Database-webhook payloads `{type, table, schema, record, old_record}`: validated, service-only."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.webhooks import DatabaseWebhook

INSERT = {
    "type": "INSERT",
    "table": "invoices",
    "schema": "public",
    "record": {"id": 7, "total": "10.00"},
    "old_record": None,
}
UPDATE = {**INSERT, "type": "UPDATE", "old_record": {"id": 7, "total": "9.00"}}
DELETE = {"type": "DELETE", "table": "invoices", "schema": "public", "record": None, "old_record": {"id": 7}}


@pytest.mark.parametrize("payload", [INSERT, UPDATE, DELETE])
def test_valid_payloads(payload):
    hook = DatabaseWebhook.model_validate(payload)
    assert hook.type == payload["type"] and hook.schema_ == "public" and hook.table == "invoices"
    assert hook.model_dump(by_alias=True)["schema"] == "public"


@pytest.mark.parametrize(
    "payload",
    [
        {**INSERT, "type": "TRUNCATE"},
        {**INSERT, "record": None},
        {**UPDATE, "old_record": None},
        {**DELETE, "old_record": None},
        {k: v for k, v in INSERT.items() if k != "table"},
        {**INSERT, "schema": ""},
        {**INSERT, "unexpected": 1},
    ],
)
def test_invalid_payloads(payload):
    with pytest.raises(ValidationError):
        DatabaseWebhook.model_validate(payload)


def test_receiver_through_every_way(invoke, probes, tokens):
    ok = invoke(probes.dbhook, "POST", "/", headers=tokens.bearer(tokens.service_key), json=UPDATE)
    assert ok.status == 200 and ok.json() == {
        "type": "UPDATE",
        "table": "invoices",
        "schema": "public",
        "id": 7,
    }
    bad = invoke(
        probes.dbhook, "POST", "/", headers=tokens.bearer(tokens.service_key), json={**INSERT, "record": None}
    )
    assert bad.status == 422 and bad.headers["content-type"] == "application/problem+json"
    as_user = invoke(probes.dbhook, "POST", "/", headers=tokens.bearer(tokens.user()), json=UPDATE)
    assert as_user.status == 403
    anonymous = invoke(probes.dbhook, "POST", "/", json=UPDATE)
    assert anonymous.status == 401
