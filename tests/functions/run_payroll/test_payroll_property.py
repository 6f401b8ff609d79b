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

    def fit(
        self,
        year: int,
        status: str,
        step2: bool,
        wages: Decimal,
        periods: int,
        s3: Decimal,
        s4a: Decimal,
        s4b: Decimal,
        s4c: Decimal,
    ) -> Decimal:
        status = "single" if status == "married_filing_separately" else status
        adjustment = D(0) if step2 else (D(12900) if status == "married_filing_jointly" else D(8600))
        annual = max(D(0), wages * periods + s4a - s4b - adjustment)
        tentative = D(0)
        for a, c, d in self.brackets[(year, status, "step2_checkbox" if step2 else "standard")]:
            if a <= annual:
                tentative = c + (annual - a) * d
        return cents(max(D(0), tentative / periods - s3 / periods) + s4c)


WEEKS = ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"]
COMPUTED = """select employee_id, outcome, worker_type, regular_pay, overtime_pay, salary_pay, gross_pay,
                     federal_income_tax, social_security_tax, medicare_tax, additional_medicare_tax,
                     other_deductions, net_pay
              from private.payroll_compute(%s, %s::date, %s::date + 6, %s::date + 6, 'regular',
                                           private.payroll_settings(%s), null)"""


def test_ten_thousand_generated_stubs_foot_and_match_the_oracle(db: psycopg.Connection) -> None:
    """2,000 generated workers (hourly with one 1-70 h shift a week anywhere in it, salaried, contractors)
    over five weekly periods = 10,000 stubs computed by the engine, each checked line by line; the first
    week is also written as a run and must equal what was computed."""
    rng = random.Random(20261201)
    p = PayrollDb(db)
    org = p.org("UTC", pay_frequency="weekly")
    people = []
    for _ in range(2_000):
        w4 = {
            "filing_status": rng.choice(STATUSES),
            "step2_checkbox": rng.random() < 0.2,
            "step3_amount": str(rng.choice([0, 0, 500, 2000, 4000])),
            "step4a_other_income": str(rng.choice([0, 0, 1000, 12000])),
            "step4b_deductions": str(rng.choice([0, 0, 3000, 20000])),
            "step4c_extra_withholding": rng.choice(["0", "0", "12.50", "100"]),
        }
        kind = rng.choices(["hourly", "salary", "contractor"], weights=[60, 35, 5])[0]
        rate = D(rng.randint(725, 12500)) / 100
        salary = D(rng.randint(2_000_000, 40_000_000)) / 100
        shifts = []
        if kind != "salary":
            for _week in WEEKS:
                length = rng.randint(60, 70 * 60)
                shifts.append((rng.randint(0, 7 * 24 * 60 - length), length))
        people.append((kind, w4, rate, salary, shifts))
    ids = [
        r[0]
        for r in db.execute(
            """insert into public.employees (organization_id, full_name, pay_type, hourly_rate, salary, employment_type, tax_info)
           select %s, 'Gen ' || i, case when k = 'salary' then 'salary' else 'hourly' end,
                  case when k = 'salary' then null else rate end, case when k = 'salary' then sal end,
                  case when k = 'contractor' then 'contractor' else 'full_time' end,
                  case when k = 'contractor' then '{}'::jsonb else jsonb_build_object('w4', w4) end
           from unnest(%s::text[], %s::numeric[], %s::numeric[], %s::jsonb[]) with ordinality as u(k, rate, sal, w4, i)
           order by i returning id""",
            (
                org,
                [x[0] for x in people],
                [x[2] for x in people],
                [x[3] for x in people],
                [psycopg.types.json.Jsonb(x[1]) for x in people],
            ),
        ).fetchall()
    ]
    emp_col, ins, outs = [], [], []
    for emp_id, person in zip(ids, people, strict=True):
        for week, (offset, length) in zip(WEEKS, person[4], strict=False):
            start = datetime.fromisoformat(week) + timedelta(minutes=offset)
            emp_col.append(emp_id)
            ins.append(start)
            outs.append(start + timedelta(minutes=length))
    db.execute(
        """insert into public.time_entries (organization_id, employee_id, clock_in, clock_out)
           select %s, e, i at time zone 'UTC', o at time zone 'UTC' from unnest(%s::bigint[], %s::timestamp[], %s::timestamp[]) u(e, i, o)""",
        (org, emp_col, ins, outs),
    )

    oracle = Oracle(db)
    by_id = dict(zip(ids, people, strict=True))
    checked = 0
    first_week: list[tuple] = []
    for w, week in enumerate(WEEKS):
        rows = db.execute(COMPUTED, (org, week, week, week, org)).fetchall()
        for emp_id, outcome, worker, reg, ot, sal, gross, fit, ss, med, addl, other, net in rows:
            kind, w4, rate, salary, shifts = by_id[emp_id]
            assert outcome == "paid"
            if kind == "salary":
                assert (reg, ot, sal) == (D(0), D(0), cents(salary / 52))
            else:
                worked = shifts[w][1]
                overtime = max(0, worked - 40 * 60) if kind == "hourly" else 0
                assert reg == cents(D(worked - overtime) * rate / 60)
                assert ot == cents(D(overtime) * rate * D("1.5") / 60)
                assert sal == D(0)
            assert gross == reg + ot + sal
            if kind == "contractor":
                assert worker == "contractor" and fit == ss == med == addl == D(0) and net == gross
            else:
                assert fit == oracle.fit(
                    2026,
                    w4["filing_status"],
                    w4["step2_checkbox"],
                    gross,
                    52,
                    D(w4["step3_amount"]),
                    D(w4["step4a_other_income"]),
                    D(w4["step4b_deductions"]),
                    D(w4["step4c_extra_withholding"]),
                )
                assert (ss, med, addl) == (cents(gross * D("0.062")), cents(gross * D("0.0145")), D(0))
            assert net == gross - fit - ss - med - addl - other  # foots to the cent
            assert all(x == cents(x) for x in (reg, ot, sal, gross, fit, ss, med, net))  # whole cents
            checked += 1
        if w == 0:
            first_week = sorted(r[:1] + r[2:] for r in rows)
    assert checked == 10_000

    run = p.run(org, WEEKS[0], "2026-03-08")
    written = db.execute(
        """select employee_id, worker_type, regular_pay, overtime_pay, salary_pay, gross_pay, federal_income_tax,
                  social_security_tax, medicare_tax, additional_medicare_tax, other_deductions, net_pay
           from public.paystubs where payroll_run_id = %s order by employee_id""",
        (run["payroll_run_id"],),
    ).fetchall()
    assert [tuple(r) for r in written] == first_week
    assert D(run["total_gross"]) == sum(r[5] for r in written)


money = st.decimals(min_value=0, max_value=40_000, places=2, allow_nan=False, allow_infinity=False)
case = st.tuples(
    st.sampled_from([2025, 2026]),
    st.sampled_from(STATUSES),
    st.booleans(),
    money,
    st.sampled_from([52, 26, 24, 12]),
    st.sampled_from([D(0), D(500), D(2000), D(6000)]),
    st.sampled_from([D(0), D(5000)]),
    st.sampled_from([D(0), D(2500), D(30000)]),
    st.sampled_from([D(0), D("20.00"), D("7.77")]),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(case, min_size=200, max_size=200))
def test_withholding_function_matches_the_oracle_in_batches(
    db: psycopg.Connection, cases: list[tuple]
) -> None:
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
