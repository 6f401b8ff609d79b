"""The run's SQL validation of tax_info and the TaxInfo model agree on which employees are held out."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from pydantic import ValidationError

from functions.run_payroll.models import TaxInfo
from tests.functions.run_payroll.payroll_db import PayrollDb

SAMPLES: list[dict[str, Any]] = [
    {"w4": {"filing_status": "single"}},
    {"w4": {"filing_status": "head_of_household", "step2_checkbox": True, "step3_amount": "2000.00"}},
    {
        "w4": {
            "filing_status": "married_filing_jointly",
            "step4a_other_income": "1200.50",
            "step4b_deductions": "0",
        }
    },
    {"exempt_from_withholding": True},
    {"exempt_from_withholding": True, "flsa_exempt": True},
    {"flsa_exempt": False},
    {},
    {"w4": {}},
    {"w4": {"filing_status": "widowed"}},
    {"w4": {"filing_status": "single", "step3_amount": "-5"}},
    {"w4": {"filing_status": "single", "step4c_extra_withholding": "ten"}},
    {"w4": {"filing_status": "single", "step2_checkbox": "perhaps"}},
]


@pytest.mark.parametrize("tax_info", SAMPLES)
def test_sql_and_model_agree(db: psycopg.Connection, tax_info: dict[str, Any]) -> None:
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, tax_info=tax_info)
    p.entry(org, emp, "2026-01-05 09:00", "2026-01-05 17:00")
    run = p.run(org, "2026-01-05", "2026-01-11")
    held = any(e["employee_id"] == emp for e in run["errors"])
    try:
        TaxInfo.model_validate(tax_info)
        valid = True
    except ValidationError:
        valid = False
    assert held == (not valid)
