"""run-payroll end to end through the three runtimes (functions-framework, Lambda function URL, gateway).

The function reads a database of this module's own (cloned from the migrated template), so what it commits
never meets other tests' data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.conftest import Database, _create_from_template, _drop
from tests.functions.run_payroll.payroll_db import PayrollDb

WEEK1 = ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09"]


@pytest.fixture(scope="module")
def payroll_db(pg_cluster: Any) -> Iterator[Database]:
    name = f"payroll_http_{uuid.uuid4().hex[:8]}"
    _create_from_template(pg_cluster, name)
    try:
        yield Database(pg_cluster, name)
    finally:
        from shared.db import close_pools

        close_pools()
        _drop(pg_cluster, name)


@pytest.fixture
def world(
    payroll_db: Database, function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """One organization (weekly, UTC) with an owner, an admin, a member, an outsider and two employees."""
    monkeypatch.setenv("SUPABASE_DB_URL", payroll_db.url)
    with psycopg.connect(payroll_db.url) as conn:
        p = PayrollDb(conn)
        org = p.org("UTC", pay_frequency="weekly")
        w: dict[str, Any] = {
            "org": org,
            "owner": p.user(org, "owner"),
            "admin": p.user(org, "admin"),
            "member": p.user(org, "member"),
        }
        other = p.org("UTC")
        w["outsider"] = p.user(other, "owner")
        w["hourly"] = p.employee(org, rate="20.00")
        w["salaried"] = p.employee(org, pay_type="salary", salary="52000.00")
        p.days(org, w["hourly"], WEEK1, "08:00", "17:00")  # 45 h
        conn.commit()
    yield w
    with psycopg.connect(payroll_db.superuser_url) as conn:
        conn.execute("delete from public.organizations where id in (%s, %s)", (org, other))


def _run_body(w: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"organization_id": w["org"], "period_start": "2026-01-05", "period_end": "2026-01-11", **extra}


def test_owner_dry_run_then_run_approve_and_refuse_a_rerun(invoke, tokens, world, payroll_db) -> None:
    owner = tokens.bearer(tokens.user(world["owner"]))
    preview = invoke("run_payroll", "POST", "/", headers=owner, json=_run_body(world, dry_run=True))
    assert preview.status == 200, preview.body
    body = preview.json()
    assert body["dry_run"] is True and body["payroll_run_id"] is None
    # 45 h at $20: 40 x 20 + 5 x 30 = 950.00; salary 52,000 / 52 = 1,000.00
    assert body["total_gross"] == "1950.00"
    assert {s["employee_id"]: s["gross_pay"] for s in body["paystubs"]} == {
        world["hourly"]: "950.00",
        world["salaried"]: "1000.00",
    }
    with psycopg.connect(payroll_db.url) as conn:
        assert conn.execute(
            "select count(*) from public.payroll_runs where organization_id = %s", (world["org"],)
        ).fetchone() == (0,)

    run = invoke("run_payroll", "POST", "/", headers=owner, json=_run_body(world))
    assert run.status == 200, run.body
    r = run.json()
    assert r["status"] == "draft" and r["paystubs_created"] == 2 and r["errors"] == []
    assert (r["total_gross"], r["total_net"]) == (body["total_gross"], body["total_net"])
    assert Decimal(r["total_amount"]) > Decimal(r["total_gross"])  # + employer FICA

    approved = invoke(
        "run_payroll",
        "POST",
        "/",
        headers=owner,
        json={"action": "approve", "payroll_run_id": r["payroll_run_id"]},
    )
    assert approved.status == 200 and approved.json()["status"] == "approved"
    again = invoke("run_payroll", "POST", "/", headers=owner, json=_run_body(world))
    assert again.status == 409
    assert again.json()["reason"] == "run_locked"
    assert again.headers["content-type"].startswith("application/problem+json")


def test_admin_may_run_member_gets_403_outsider_404(invoke, tokens, world) -> None:
    for who, status in (("admin", 200), ("member", 403), ("outsider", 404)):
        r = invoke(
            "run_payroll",
            "POST",
            "/",
            headers=tokens.bearer(tokens.user(world[who])),
            json=_run_body(world, dry_run=True),
        )
        assert r.status == status, (who, r.body)
    leak = invoke(
        "run_payroll",
        "POST",
        "/",
        headers=tokens.bearer(tokens.user(world["outsider"])),
        json=_run_body(world, dry_run=True),
    )
    problem = leak.json()
    assert problem["reason"] == "not_found" and "paystubs" not in problem and "total_gross" not in problem


def test_service_runs_and_user_may_not_ask_for_the_scheduler(invoke, tokens, world) -> None:
    service = tokens.bearer(tokens.service_key)
    r = invoke("run_payroll", "POST", "/", headers=service, json=_run_body(world))
    assert r.status == 200 and r.json()["paystubs_created"] == 2
    user = invoke(
        "run_payroll", "POST", "/", headers=tokens.bearer(tokens.user(world["owner"])), json={"due": True}
    )
    assert user.status == 403


def test_scheduled_call_prepares_due_runs_idempotently(invoke, tokens, world) -> None:
    service = tokens.bearer(tokens.service_key)
    first = invoke("run_payroll", "POST", "/", headers=service, json={"due": True, "as_of": "2026-01-14"})
    assert first.status == 200, first.body
    mine = [c for c in first.json()["created"] if c["organization_id"] == world["org"]]
    assert len(mine) == 1 and mine[0]["period_start"] == "2026-01-05"
    second = invoke("run_payroll", "POST", "/", headers=service, json={"due": True, "as_of": "2026-01-14"})
    assert not [c for c in second.json()["created"] if c["organization_id"] == world["org"]]


@pytest.mark.parametrize(
    "body",
    [
        {"organization_id": 1, "period_start": "2026-01-11", "period_end": "2026-01-05"},
        {"organization_id": 1, "period_start": "2026-01-05", "period_end": "2026-01-11", "surprise": 1},
        {"organization_id": "one", "period_start": "2026-01-05", "period_end": "2026-01-11"},
        {"action": "approve"},
        {"action": "delete", "payroll_run_id": 1},
        # beyond bigint: refused by the model, not a 500 from the RPC (no function takes numeric)
        {"organization_id": 2**63, "period_start": "2026-01-05", "period_end": "2026-01-11"},
        {"action": "approve", "payroll_run_id": 2**63},
    ],
)
def test_bad_bodies_are_422_with_fields(invoke, tokens, world, body) -> None:
    r = invoke("run_payroll", "POST", "/", headers=tokens.bearer(tokens.service_key), json=body)
    assert r.status == 422
    assert r.json()["errors"]


def test_a_period_that_is_not_a_pay_period_is_422_with_a_reason(invoke, tokens, world) -> None:
    r = invoke(
        "run_payroll",
        "POST",
        "/",
        headers=tokens.bearer(tokens.service_key),
        json=_run_body(world, period_end="2026-01-18"),
    )
    assert r.status == 422 and r.json()["reason"] == "invalid_period"


def test_no_credentials_is_401(invoke, world) -> None:
    r = invoke("run_payroll", "POST", "/", json=_run_body(world))
    assert r.status == 401


def test_unknown_agency_payout_is_404(invoke, tokens, world) -> None:
    r = invoke(
        "run_payroll",
        "POST",
        "/",
        headers=tokens.bearer(tokens.service_key),
        json={"agency_id": str(uuid.uuid4()), "period_start": "2026-01-05", "period_end": "2026-01-11"},
    )
    assert r.status == 404, r.body


def test_service_calculates_an_onyx_payout_run(invoke, tokens, world, payroll_db) -> None:
    """An agency without staff: a draft payout run of 0.00 in its currency (the engine is OnyxOS's)."""
    with psycopg.connect(payroll_db.url) as conn:
        agency = conn.execute(
            "insert into onyx.agencies (name, currency) values ('Bench Agency', 'EUR') returning id"
        ).fetchone()[0]  # type: ignore[index]
    try:
        r = invoke(
            "run_payroll",
            "POST",
            "/",
            headers=tokens.bearer(tokens.service_key),
            json={"agency_id": str(agency), "period_start": "2026-01-05", "period_end": "2026-01-11"},
        )
        assert r.status == 200, r.body
        body = r.json()
        assert (body["agency_id"], body["status"], body["currency"], body["total_payout"]) == (
            str(agency),
            "draft",
            "EUR",
            "0.00",
        )
    finally:
        with psycopg.connect(payroll_db.superuser_url) as conn:
            conn.execute("delete from onyx.agencies where id = %s", (agency,))


def test_the_eventbridge_schedule_prepares_due_runs(world) -> None:
    """serverless.yml's daily rule invokes the Lambda handler directly with Input {due: true}: the service."""
    import json

    from devkit import gateway
    from tests.functions.conftest import FunctionRef

    handler = gateway.load_module(FunctionRef.named("run_payroll").source, fresh=True).handler
    out = handler({"due": True, "as_of": "2026-01-14"}, None)
    assert out["statusCode"] == 200, out
    body = out["body"] if isinstance(out["body"], dict) else json.loads(out["body"])
    assert [c for c in body["created"] if c["organization_id"] == world["org"]]
