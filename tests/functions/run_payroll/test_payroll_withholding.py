"""Federal income tax withholding (Pub 15-T Worksheet 1A) against cases computed by hand from the tables.

Each case writes out the worksheet: annual wages = period wages x periods, + 4(a), - 4(b), - the line-1g
adjustment (12,900 married filing jointly, 8,600 others; none with the Step 2 box), then the bracket row
A | C | D, tentative annual tax = C + (wage - A) x D, / periods, - Step 3 / periods (floor 0), + 4(c), and
round once half-up. The expected values are literals, never computed with the code under test.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from tests.functions.run_payroll.payroll_db import PayrollDb, sqlstate

D = Decimal

CASES = [
    # id, year, status, step2, wages, periods, step3, 4a, 4b, 4c, expected
    # 52,000 - 8,600 = 43,400; row 18,325|1,192.50|12%: 1,192.50 + 25,075 x .12 = 4,201.50; / 52 = 80.798
    ("2025-single-weekly", 2025, "single", False, "1000", 52, "0", "0", "0", "0", D("80.80")),
    # 78,000 - 12,900 = 65,100; row 40,950|2,385|12%: 2,385 + 24,150 x .12 = 5,283; / 26 = 203.192
    ("2025-mfj-biweekly", 2025, "married_filing_jointly", False, "3000", 26, "0", "0", "0", "0", D("203.19")),
    # 60,000 - 8,600 = 51,400; row 30,900|1,700|12%: 1,700 + 20,500 x .12 = 4,160; / 24 = 173.333
    ("2025-hoh-semimonthly", 2025, "head_of_household", False, "2500", 24, "0", "0", "0", "0", D("173.33")),
    # step 2: 60,000; checkbox row 59,175|8,825.50|24%: 8,825.50 + 825 x .24 = 9,023.50; / 12 = 751.958
    ("2025-single-step2-monthly", 2025, "single", True, "5000", 12, "0", "0", "0", "0", D("751.96")),
    # 104,000 - 12,900 = 91,100; 2,385 + 50,150 x .12 = 8,403; (8,403 - 4,000) / 52 = 84.673
    (
        "2025-mfj-step3-weekly",
        2025,
        "married_filing_jointly",
        False,
        "2000",
        52,
        "4000",
        "0",
        "0",
        "0",
        D("84.67"),
    ),
    # 39,000 + 5,000 - 2,000 - 8,600 = 33,400; 1,192.50 + 15,075 x .12 = 3,001.50; / 26 = 115.442 + 25
    (
        "2025-single-step4abc-biweekly",
        2025,
        "single",
        False,
        "1500",
        26,
        "0",
        "5000",
        "2000",
        "25",
        D("140.44"),
    ),
    # step 2: 52,000; HoH checkbox row 43,675|3,721|22%: 3,721 + 8,325 x .22 = 5,552.50; / 26 = 213.558
    ("2025-hoh-step2-biweekly", 2025, "head_of_household", True, "2000", 26, "0", "0", "0", "0", D("213.56")),
    # step 2: 96,000; MFJ checkbox row 63,475|5,578.50|22%: 5,578.50 + 32,525 x .22 = 12,734; / 24 = 530.583
    (
        "2025-mfj-step2-semimonthly",
        2025,
        "married_filing_jointly",
        True,
        "4000",
        24,
        "0",
        "0",
        "0",
        "0",
        D("530.58"),
    ),
    # 15,600 - 12,900 = 2,700 < 17,100 (first row): no tax
    (
        "2025-mfj-below-first-row",
        2025,
        "married_filing_jointly",
        False,
        "600",
        26,
        "0",
        "0",
        "0",
        "0",
        D("0.00"),
    ),
    # 720,000 - 8,600 = 711,400; top row 632,750|188,769.75|37%: + 78,650 x .37 = 217,870.25; / 12 = 18,155.854
    ("2025-single-top-monthly", 2025, "single", False, "60000", 12, "0", "0", "0", "0", D("18155.85")),
    # 5,200 - 50,000 - 8,600 < 0 -> 0; tax 0; + 4(c) 5
    ("2025-single-4b-floor", 2025, "single", False, "100", 52, "0", "0", "50000", "5", D("5.00")),
    # 2026: 52,000 - 8,600 = 43,400; row 19,900|1,240|12%: 1,240 + 23,500 x .12 = 4,060; / 52 = 78.077
    ("2026-single-weekly", 2026, "single", False, "1000", 52, "0", "0", "0", "0", D("78.08")),
    # married filing separately uses the single rows
    ("2026-mfs-weekly", 2026, "married_filing_separately", False, "1000", 52, "0", "0", "0", "0", D("78.08")),
    # 120,000 - 12,900 = 107,100; row 44,100|2,480|12%: 2,480 + 63,000 x .12 = 10,040; / 12 = 836.667
    ("2026-mfj-monthly", 2026, "married_filing_jointly", False, "10000", 12, "0", "0", "0", "0", D("836.67")),
    # 78,000 - 8,600 = 69,400; row 33,250|1,770|12%: 1,770 + 36,150 x .12 = 6,108; / 26 = 234.923
    ("2026-hoh-biweekly", 2026, "head_of_household", False, "3000", 26, "0", "0", "0", "0", D("234.92")),
    # step 2 (derived table): 72,000; row 60,900|8,983|24%: 8,983 + 11,100 x .24 = 11,647; / 24 = 485.292
    ("2026-single-step2-semimonthly", 2026, "single", True, "3000", 24, "0", "0", "0", "0", D("485.29")),
    # step 2: 78,000; MFJ checkbox row 66,500|5,800|22%: 5,800 + 11,500 x .22 = 8,330; / 52 = 160.192
    (
        "2026-mfj-step2-weekly",
        2026,
        "married_filing_jointly",
        True,
        "1500",
        52,
        "0",
        "0",
        "0",
        "0",
        D("160.19"),
    ),
    # step 2 (derived): 72,000; HoH row 64,925|8,077.50|24%: 8,077.50 + 7,075 x .24 = 9,775.50; / 12 = 814.625
    # exactly half a cent: rounds up
    (
        "2026-hoh-step2-monthly-half-cent",
        2026,
        "head_of_household",
        True,
        "6000",
        12,
        "0",
        "0",
        "0",
        "0",
        D("814.63"),
    ),
    # step 2 top MFJ row 400,450|103,291.75|37%: 520,000 -> 103,291.75 + 119,550 x .37 = 147,525.25; / 52
    (
        "2026-mfj-step2-top-weekly",
        2026,
        "married_filing_jointly",
        True,
        "10000",
        52,
        "0",
        "0",
        "0",
        "0",
        D("2837.02"),
    ),
    # 48,000 - 10,000 - 8,600 = 29,400; 1,240 + 9,500 x .12 = 2,380; (2,380 - 2,000) / 12 = 31.667 + 50
    (
        "2026-single-step3-4b-4c-monthly",
        2026,
        "single",
        False,
        "4000",
        12,
        "2000",
        "0",
        "10000",
        "50",
        D("81.67"),
    ),
    # step 2, 2025 HoH top row 324,425|93,515.75|37%: 2,080,000 + 5,000 - 2,500 = 2,082,500;
    # 93,515.75 + 1,758,075 x .37 = 744,003.50; (744,003.50 - 6,000) / 52 = 14,192.375 exactly -> 14,192.38
    # (found by the property test: two separately rounded quotients gave 14,192.3749999... -> .37)
    (
        "2025-hoh-step2-exact-half-cent",
        2025,
        "head_of_household",
        True,
        "40000",
        52,
        "6000",
        "5000",
        "2500",
        "0",
        D("14192.38"),
    ),
    # 26,000 - 8,600 = 17,400; 9,900 x .10 = 990; 990/52 - 2,000/52 < 0 -> 0; + 4(c) 10
    (
        "2026-single-step3-exceeds-weekly",
        2026,
        "single",
        False,
        "500",
        52,
        "2000",
        "0",
        "0",
        "10",
        D("10.00"),
    ),
]


@pytest.mark.parametrize(
    ("year", "status", "step2", "wages", "periods", "step3", "step4a", "step4b", "step4c", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_worksheet_1a_hand_cases(
    db: psycopg.Connection, year, status, step2, wages, periods, step3, step4a, step4b, step4c, expected
) -> None:
    got = PayrollDb(db).withholding(year, status, step2, wages, periods, step3, step4a, step4b, step4c)
    assert got == expected
    assert got.as_tuple().exponent == -2  # a cent amount, rounded once


def test_a_year_without_tables_is_a_clear_error(db: psycopg.Connection) -> None:
    with pytest.raises(psycopg.Error) as err:
        PayrollDb(db).withholding(2024, "single", False, "1000", 52)
    assert sqlstate(err.value) == "PR400"
    assert "2024" in str(err.value)


def test_tables_name_their_source_and_mark_derived_rows(db: psycopg.Connection) -> None:
    rows = db.execute(
        """select tax_year, filing_status, schedule, bool_or(derived), count(*), bool_and(source <> '')
           from public.federal_withholding_brackets group by 1, 2, 3 order by 1, 2, 3"""
    ).fetchall()
    assert len(rows) == 12  # 2 years x 3 statuses x 2 schedules
    assert all(r[4] == 8 and r[5] for r in rows)  # a zero row + seven brackets, each with a source
    derived = {(r[0], r[1]) for r in rows if r[2] == "step2_checkbox" and r[3]}
    assert {(2026, "single"), (2026, "head_of_household")} <= derived
    assert not any(r[3] for r in rows if r[0] == 2025)


def test_payroll_run_uses_the_pay_date_year_tables(db: psycopg.Connection) -> None:
    """The same wages withheld by the 2025 or the 2026 table depending only on the pay date."""
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    emp = p.employee(org, rate="25.00")
    p.days(org, emp, ["2025-12-22", "2025-12-23", "2025-12-24", "2025-12-25"], "08:00", "18:00")  # 40 h
    late = p.run(org, "2025-12-22", "2025-12-28", pay_date="2026-01-02")
    stub = p.stub(late["payroll_run_id"], emp)
    # gross 1,000 weekly -> the 2026 single case above; 2025 would have been 80.80
    assert stub["gross_pay"] == D("1000.00")
    assert stub["federal_income_tax"] == D("78.08")
    assert stub["details"]["tax_year"] == 2026
