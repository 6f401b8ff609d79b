"""Properties over many stubs: one database run over 10,000 generated employees, and hypothesis over the
SQL withholding function in batches. The oracle below is an independent Decimal implementation of the
reference rules (it reads only the bracket rows, whose figures the hand cases check)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.functions.run_payroll.payroll_db import PayrollDb

D = Decimal
CENT = D("0.01")
STATUSES = ("single", "married_filing_jointly", "head_of_household", "married_filing_separately")


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


class Oracle:
    """Worksheet 1A and FICA, written from the reference text."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.brackets: dict[tuple[int, str, str], list[tuple[Decimal, Decimal, Decimal]]] = defaultdict(list)
        for year, status, schedule, a, c, d in conn.execute(
            "select tax_year, filing_status, schedule, lower_bound, base_tax, rate from public.federal_withholding_brackets"
            " order by lower_bound"
        ):
            self.brackets[(year, status, schedule)].append((a, c, d))

    def fit(self, year: int, status: str, step2: bool, wages: Decimal, periods: int,
            s3: Decimal, s4a: Decimal, s4b: Decimal, s4c: Decimal) -> Decimal:
        status = "single" if status == "married_filing_separately" else status
        adjustment = D(0) if step2 else (D(12900) if status == "married_filing_jointly" else D(8600))
        annual = max(D(0), wages * periods + s4a - s4b - adjustment)
        tentative = D(0)
        for a, c, d in self.brackets[(year, status, "step2_checkbox" if step2 else "standard")]:
            if a <= annual:
                tentative = c + (annual - a) * d
        return cents(max(D(0), tentative / periods - s3 / periods) + s4c)


def test_ten_thousand_generated_stubs_foot_and_match_the_oracle(db: psycopg.Connection) -> None:
    rng = random.Random(20261201)
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    n = 10_000
    emps = []
    for _ in range(n):
        w4 = {
            "filing_status": rng.choice(STATUSES),
            "step2_checkbox": rng.random() < 0.2,
            "step3_amount": str(rng.choice([0, 0, 500, 2000, 4000])),
            "step4a_other_income": str(rng.choice([0, 0, 1000, 12000])),
            "step4b_deductions": str(rng.choice([0, 0, 3000, 20000])),
            "step4c_extra_withholding": rng.choice(["0", "0", "12.50", "100"]),
        }
        rate = D(rng.randint(725, 12500)) / 100
        minutes = [rng.randint(60, 12 * 60) for _ in range(rng.randint(1, 6))]
        emps.append((w4, rate, minutes))
    ids = [r[0] for r in db.execute(
        """insert into public.employees (organization_id, full_name, pay_type, hourly_rate, employment_type, tax_info)
           select %s, 'Gen ' || i, 'hourly', rate, 'full_time', jsonb_build_object('w4', w4)
           from unnest(%s::numeric[], %s::jsonb[]) with ordinality as u(rate, w4, i)
           order by i returning id""",
        (org, [e[1] for e in emps], [psycopg.types.json.Jsonb(e[0]) for e in emps]),
    ).fetchall()]
    emp_col, ins, outs = [], [], []
    monday = datetime(2026, 3, 2, 6, 0)
    for emp_id, (_, _, minutes) in zip(ids, emps, strict=True):
        for day, m in enumerate(minutes):
            start = monday + timedelta(days=day)
            emp_col.append(emp_id)
            ins.append(start)
            outs.append(start + timedelta(minutes=m))
    db.execute(
        """insert into public.time_entries (organization_id, employee_id, clock_in, clock_out)
           select %s, e, i at time zone 'UTC', o at time zone 'UTC' from unnest(%s::bigint[], %s::timestamp[], %s::timestamp[]) u(e, i, o)""",
        (org, emp_col, ins, outs),
    )
    run = p.run(org, "2026-03-02", "2026-03-08")
    assert run["paystubs_created"] == n and run["errors"] == []

    oracle = Oracle(db)
    stubs = db.execute(
        """select employee_id, regular_pay, overtime_pay, gross_pay, federal_income_tax, social_security_tax,
                  medicare_tax, additional_medicare_tax, other_deductions, net_pay
           from public.paystubs where payroll_run_id = %s order by employee_id""",
        (run["payroll_run_id"],),
    ).fetchall()
    by_id = dict(zip(ids, emps, strict=True))
    total_gross = total_net = D(0)
    for emp_id, reg, ot, gross, fit, ss, med, addl, other, net in stubs:
        w4, rate, minutes = by_id[emp_id]
        worked = sum(minutes)
        reg_min, ot_min = min(worked, 40 * 60), max(0, worked - 40 * 60)
        assert reg == cents(D(reg_min) * rate / 60)
        assert ot == cents(D(ot_min) * rate * D("1.5") / 60)
        assert gross == reg + ot
        assert fit == oracle.fit(2026, w4["filing_status"], w4["step2_checkbox"], gross, 52, D(w4["step3_amount"]),
                                 D(w4["step4a_other_income"]), D(w4["step4b_deductions"]), D(w4["step4c_extra_withholding"]))
        assert ss == cents(gross * D("0.062"))
        assert med == cents(gross * D("0.0145"))
        assert addl == D("0.00")
        assert net == gross - fit - ss - med - addl - other
        assert all(x.as_tuple().exponent == -2 for x in (reg, ot, gross, fit, ss, med, net))
        total_gross += gross
        total_net += net
    assert D(run["total_gross"]) == total_gross and D(run["total_net"]) == total_net


money = st.decimals(min_value=0, max_value=40_000, places=2, allow_nan=False, allow_infinity=False)
case = st.tuples(
    st.sampled_from([2025, 2026]), st.sampled_from(STATUSES), st.booleans(), money, st.sampled_from([52, 26, 24, 12]),
    st.sampled_from([D(0), D(500), D(2000), D(6000)]), st.sampled_from([D(0), D(5000)]),
    st.sampled_from([D(0), D(2500), D(30000)]), st.sampled_from([D(0), D("20.00"), D("7.77")]),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(case, min_size=200, max_size=200))
def test_withholding_function_matches_the_oracle_in_batches(db: psycopg.Connection, cases: list[tuple]) -> None:
    cols = list(zip(*cases, strict=True))
    got = db.execute(
        """select public.federal_income_tax_withholding(y, s, c, w, n, s3, s4a, s4b, s4c)
           from unnest(%s::int[], %s::text[], %s::bool[], %s::numeric[], %s::int[], %s::numeric[], %s::numeric[],
                       %s::numeric[], %s::numeric[]) with ordinality u(y, s, c, w, n, s3, s4a, s4b, s4c, i) order by i""",
        [list(c) for c in cols],
    ).fetchall()
    oracle = Oracle(db)
    for (y, s, c, w, n, s3, s4a, s4b, s4c), (fit,) in zip(cases, got, strict=True):
        assert fit == oracle.fit(y, s, c, w, n, s3, s4a, s4b, s4c), (y, s, c, w, n, s3, s4a, s4b, s4c)
