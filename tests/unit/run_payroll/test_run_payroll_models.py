"""run-payroll's models and dispatch, without a database."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest
from pydantic import ValidationError

from functions.run_payroll import service
from functions.run_payroll.errors import PayrollForbiddenError
from functions.run_payroll.models import (
    ActionRequest,
    DueRequest,
    PayoutRequest,
    PayrollRequest,
    RunRequest,
    RunResult,
    TaxInfo,
)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"organization_id": 3, "period_start": "2026-01-05", "period_end": "2026-01-18"}, RunRequest),
        ({"action": "void", "payroll_run_id": 9}, ActionRequest),
        ({"due": True}, DueRequest),
        (
            {
                "agency_id": "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
                "period_start": "2026-01-01",
                "period_end": "2026-01-15",
            },
            PayoutRequest,
        ),
    ],
)
def test_each_body_shape_is_recognised(body: dict, kind: type) -> None:
    assert isinstance(PayrollRequest.model_validate(body).root, kind)


@pytest.mark.parametrize(
    "body",
    [
        {"organization_id": 3, "period_start": "2026-01-18", "period_end": "2026-01-05"},
        {"organization_id": 3, "period_start": "2026-01-01", "period_end": "2026-03-01"},
        {"organization_id": 0, "period_start": "2026-01-05", "period_end": "2026-01-18"},
        {
            "organization_id": 3,
            "period_start": "2026-01-05",
            "period_end": "2026-01-18",
            "pay_date": "2026-01-10",
        },
        {"organization_id": 3, "period_start": "2026-01-05", "period_end": "2026-01-18", "kind": "bonus"},
        {"due": False},
        {"action": "approve", "payroll_run_id": 1, "extra": True},
    ],
)
def test_bad_bodies_are_refused(body: dict) -> None:
    with pytest.raises(ValidationError):
        PayrollRequest.model_validate(body)


def test_money_leaves_as_two_place_strings() -> None:
    raw = {
        "payroll_run_id": 1,
        "status": "draft",
        "kind": "regular",
        "dry_run": False,
        "period_start": "2026-01-05",
        "period_end": "2026-01-11",
        "pay_date": "2026-01-11",
        "employees_processed": 1,
        "paystubs_created": 1,
        "total_gross": "1000",
        "total_net": "823.4",
        "total_amount": "1076.5",
        "total_employee_taxes": "176.6",
        "total_employer_taxes": "76.5",
        "period_alignment": "aligned",
        "overtime_rules": "federal",
        "errors": [],
        "skipped": [],
    }
    out = RunResult.model_validate(raw).model_dump(mode="json")
    assert (out["total_gross"], out["total_net"], out["total_amount"]) == ("1000.00", "823.40", "1076.50")
    assert RunResult.model_validate(raw).total_net == Decimal("823.4")


@pytest.mark.parametrize(
    ("tax_info", "ok"),
    [
        ({"w4": {"filing_status": "single"}}, True),
        ({"w4": {"filing_status": "married_filing_separately", "step4c_extra_withholding": "25.00"}}, True),
        ({"exempt_from_withholding": True}, True),
        ({"flsa_exempt": True}, False),  # no W-4 and not exempt from withholding
        ({"w4": {"filing_status": "widowed"}}, False),
        ({"w4": {"filing_status": "single", "step3_amount": "-1"}}, False),
        ({"w4": {"filing_status": "single", "step4a_other_income": "lots"}}, False),
    ],
)
def test_tax_info_model(tax_info: dict, ok: bool) -> None:
    if ok:
        TaxInfo.model_validate(tax_info)
    else:
        with pytest.raises(ValidationError):
            TaxInfo.model_validate(tax_info)


def test_married_filing_separately_is_withheld_as_single() -> None:
    info = TaxInfo.model_validate({"w4": {"filing_status": "married_filing_separately"}})
    assert info.w4 is not None and info.w4.withholding_status == "single"


def test_only_the_service_may_ask_for_the_scheduler_and_nothing_is_opened_for_a_user() -> None:
    opened: list[str] = []

    @contextmanager
    def tx(role: str):  # type: ignore[no-untyped-def]
        opened.append(role)
        yield None

    with pytest.raises(PayrollForbiddenError):
        service.handle(DueRequest(due=True), "user", lambda: tx("user"), lambda: tx("service"))
    assert opened == []
