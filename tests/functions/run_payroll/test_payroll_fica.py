"""Social Security (wage base by pay-date year), Medicare and Additional Medicare from year-to-date wages."""

from __future__ import annotations

from decimal import Decimal

import psycopg

from tests.functions.run_payroll.payroll_db import PayrollDb

D = Decimal


def _one_thousand(p: PayrollDb, ytd: str | None, pay_date: str = "2026-02-13") -> dict:
    """An employee with `ytd` wages already paid this year, then a $1,000.00 week (40 h x $25)."""
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, rate="25.00")
    if ytd is not None:
        p.prior_wages(org, emp, pay_date[:4] + "-01-30", ytd)
    p.days(org, emp, ["2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05"], "08:00", "18:00")
    run = p.run(org, "2026-02-02", "2026-02-08", pay_date=pay_date)
    return p.stub(run["payroll_run_id"], emp)


def test_first_stub_of_the_year(db: psycopg.Connection) -> None:
    stub = _one_thousand(PayrollDb(db), None)
    assert stub["social_security_tax"] == D("62.00")  # 1,000 x 6.2%
    assert stub["medicare_tax"] == D("14.50")  # 1,000 x 1.45%
    assert stub["additional_medicare_tax"] == D("0.00")
    assert stub["ytd_gross_pay"] == D("1000.00")


def test_the_run_that_crosses_the_2026_wage_base_taxes_only_the_part_below_it(db: psycopg.Connection) -> None:
    """184,000 paid before; base 184,500: only 500 of the 1,000 is Social Security wages -> 31.00."""
    stub = _one_thousand(PayrollDb(db), "184000.00")
    assert stub["social_security_tax"] == D("31.00")
    assert stub["medicare_tax"] == D("14.50")  # Medicare has no cap
    assert stub["details"]["social_security_wages"] == D("500.00")
    assert stub["ytd_gross_pay"] == D("185000.00")


def test_above_the_wage_base_no_social_security(db: psycopg.Connection) -> None:
    stub = _one_thousand(PayrollDb(db), "184500.00")
    assert stub["social_security_tax"] == D("0.00")


def test_the_2025_wage_base_applies_to_a_2025_pay_date(db: psycopg.Connection) -> None:
    """Base 176,100 in 2025: 176,000 before -> 100 taxable -> 6.20."""
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, rate="25.00")
    p.prior_wages(org, emp, "2025-12-05", "176000.00")
    p.days(org, emp, ["2025-12-08", "2025-12-09", "2025-12-10", "2025-12-11"], "08:00", "18:00")
    stub = p.stub(p.run(org, "2025-12-08", "2025-12-14", pay_date="2025-12-19")["payroll_run_id"], emp)
    assert stub["social_security_tax"] == D("6.20")


def test_year_to_date_restarts_with_the_pay_date_year(db: psycopg.Connection) -> None:
    """Wages paid in 2025 do not count toward 2026: full Social Security again."""
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, rate="25.00")
    p.prior_wages(org, emp, "2025-12-26", "190000.00")
    p.days(org, emp, ["2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05"], "08:00", "18:00")
    stub = p.stub(p.run(org, "2026-02-02", "2026-02-08")["payroll_run_id"], emp)
    assert stub["social_security_tax"] == D("62.00")
    assert stub["ytd_gross_pay"] == D("1000.00")


def test_additional_medicare_not_at_exactly_200000(db: psycopg.Connection) -> None:
    """199,000 + 1,000 = 200,000 exactly: nothing above the threshold."""
    stub = _one_thousand(PayrollDb(db), "199000.00")
    assert stub["additional_medicare_tax"] == D("0.00")


def test_additional_medicare_on_the_part_above_200000(db: psycopg.Connection) -> None:
    """199,500 + 1,000: 500 above -> 0.9% = 4.50."""
    stub = _one_thousand(PayrollDb(db), "199500.00")
    assert stub["additional_medicare_tax"] == D("4.50")
    assert stub["details"]["additional_medicare_wages"] == D("500.00")


def test_additional_medicare_starts_one_cent_above(db: psycopg.Connection) -> None:
    """199,000.01 + 1,000: 0.01 above -> 0.00009 -> 0.00; 199,999.99 + 1,000: 999.99 -> 8.99991 -> 9.00."""
    assert _one_thousand(PayrollDb(db), "199000.01")["details"]["additional_medicare_wages"] == D("0.01")
    assert _one_thousand(PayrollDb(db), "199999.99")["additional_medicare_tax"] == D("9.00")


def test_all_wages_above_200000(db: psycopg.Connection) -> None:
    stub = _one_thousand(PayrollDb(db), "250000.00")
    assert stub["additional_medicare_tax"] == D("9.00")  # 1,000 x 0.9%
    assert stub["social_security_tax"] == D("0.00")


def test_net_is_gross_minus_the_rounded_lines(db: psycopg.Connection) -> None:
    stub = _one_thousand(PayrollDb(db), "199500.00")
    deductions = (
        stub["federal_income_tax"]
        + stub["social_security_tax"]
        + stub["medicare_tax"]
        + stub["additional_medicare_tax"]
        + stub["other_deductions"]
    )
    assert stub["net_pay"] == stub["gross_pay"] - deductions
    # 2026 single weekly 1,000 -> FIT 78.08 (see the withholding cases); SS 0 (above base); Medicare 14.50
    assert stub["federal_income_tax"] == D("78.08")
    assert stub["net_pay"] == D("1000.00") - D("78.08") - D("0.00") - D("14.50") - D("4.50")
