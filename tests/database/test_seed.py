"""`odyssey db seed`: the deterministic demo data set (small scale) against the real test cluster."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from devkit import cli, seed
from devkit.pg import Cluster
from tests.conftest import TEMPLATE, Database

ROOT = Path(__file__).resolve().parents[2]

# Every table of the ODYSSEY-1 document and of seed-gaps.md, and whether the seed must fill it.
ODYSSEY_TABLES = (
    "public.profiles",
    "public.organizations",
    "public.user_organizations",
    "public.system_logs",
    "public.employees",
    "public.customers",
    "public.bids",
    "public.invoices",
    "public.time_entries",
    "ops.roman_events",
    "ops.roman_commands",
    "public.ai_usage_logs",
    "public.ai_compliance_logs",
    "public.subscription_plans",
    "public.subscriptions",
    "public.payments",
    "public.study_groups",
    "public.tutoring_sessions",
    "public.academic_search_results",
    "public.appointments",
    "public.study_group_members",
    "public.study_group_messages",
    "public.system_config",
    "public.system_knowledge",
    "ops.agents",
    "ops.system_health",
    "ops.alerts",
)
# Outputs of run-payroll, deliberately not seeded: fake past paystubs would feed wrong year-to-date wages
# (Social Security wage base, Additional Medicare) into every later payroll computation.
NOT_SEEDED = ("public.payroll_runs", "public.paystubs")

# What the checksums cover: the columns the seed itself writes (other engineers may add columns whose
# defaults are now()), in a stable order, for the rows the ODYSSEY-1 seed owns.
CHECKSUM_TABLES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "auth.users": ("email", seed.AUTH_USER_COLS, "true"),
    "public.profiles": (
        "email",
        tuple(c for c in seed.PROFILE_COLS if c != "updated_at"),
        "id in (select user_id from public.user_organizations) or is_admin",
    ),
    "public.organizations": ("id", seed.ORG_COLS, "true"),
    "public.user_organizations": ("id", seed.MEMBERSHIP_COLS, "true"),
    "public.subscriptions": ("id", seed.SUBSCRIPTION_COLS, "true"),
    "public.employees": ("id", seed.EMPLOYEE_COLS, "true"),
    "public.time_entries": ("id", seed.TIME_ENTRY_COLS, "true"),
    "public.customers": ("id", seed.CUSTOMER_COLS, "true"),
    "public.bids": ("id", seed.BID_COLS, "true"),
    "public.invoices": ("id", seed.INVOICE_COLS, "true"),
    "public.payments": ("id", seed.PAYMENT_COLS, "true"),
    "public.system_logs": ("id", seed.SYSTEM_LOG_COLS, "true"),
    "public.appointments": ("id", seed.APPOINTMENT_COLS, "true"),
    "ops.system_health": ("id", seed.SYSTEM_HEALTH_COLS, "true"),
}


def _new_db(cluster: Cluster, name: str) -> Database:
    with psycopg.connect(cluster.superuser_url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}" template "{TEMPLATE}" owner postgres')
    return Database(cluster, name)


def _drop_db(cluster: Cluster, name: str) -> None:
    with psycopg.connect(cluster.superuser_url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="module")
def seeded(pg_cluster: Cluster) -> Iterator[tuple[Database, str]]:
    """One database seeded at small scale (read-only tests share it) and the progress the seed printed."""
    db = _new_db(pg_cluster, f"seed_{os.getpid()}")
    out = io.StringIO()
    try:
        seed.run(db.url, "small", out=out)
        yield db, out.getvalue()
    finally:
        _drop_db(pg_cluster, db.name)


@pytest.fixture
def conn(seeded: tuple[Database, str]) -> Iterator[psycopg.Connection]:
    with seeded[0].connect() as c:
        yield c


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"select count(*) from {table}").fetchone()
    assert row is not None
    return int(row[0])


def _checksums(url: str) -> dict[str, str]:
    sums = {}
    with psycopg.connect(url) as c:
        for table, (order, columns, where) in CHECKSUM_TABLES.items():
            cols = ", ".join(f"t.{col}" for col in columns)
            row = c.execute(
                f"select count(*), md5(coalesce(string_agg(row({cols})::text, E'\\n' order by t.{order}), ''))"
                f" from {table} t where {where}"
            ).fetchone()
            assert row is not None
            sums[table] = f"{row[0]}:{row[1]}"
    return sums


# --- loading -------------------------------------------------------------------------------------------


def test_every_odyssey_table_gets_rows(conn: psycopg.Connection) -> None:
    empty = [t for t in ODYSSEY_TABLES if _count(conn, t) == 0]
    assert empty == []
    assert all(_count(conn, t) == 0 for t in NOT_SEEDED)


def test_small_scale_has_the_advertised_size(conn: psycopg.Connection) -> None:
    assert _count(conn, "public.organizations") == 3
    assert _count(conn, "public.employees") == 30
    assert _count(conn, "public.customers") == 300
    users = [
        u.email
        for u in seed.plan_users(
            seed.SCALES["small"],
            seed.plan_organizations(seed.SCALES["small"], seed._rng("organizations.plan"), 1),
            seed._rng("users.plan"),
        )
    ]
    assert 8 <= len(users) <= 12
    # every user got a profile with the display fields filled in (the trigger made it, the seed completed it)
    row = conn.execute(
        "select count(*), count(*) filter (where p.full_name is not null and p.phone is not null)"
        " from auth.users u join public.profiles p on p.id = u.id where u.email = any(%s)",
        (users,),
    ).fetchone()
    assert row == (len(users), len(users))


def test_progress_names_every_table_with_rows_and_seconds(seeded: tuple[Database, str]) -> None:
    lines = seeded[1].splitlines()
    pattern = re.compile(r"^\s+(\S+)\s+([\d,]+) rows\s+(\d+\.\d\d) s$")
    reported = {m.group(1): int(m.group(2).replace(",", "")) for m in map(pattern.match, lines) if m}
    for table in (
        "public.customers",
        "public.employees",
        "public.time_entries",
        "public.bids",
        "public.invoices",
    ):
        assert reported[table] > 0
    with seeded[0].connect() as c:
        assert reported["public.customers"] == _count(c, "public.customers")
    assert re.match(r"^seeded [\d,]+ rows in \d+\.\d s$", lines[-1])


def test_demo_logins_and_roles(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "select u.email, o.name, uo.role from auth.users u join public.user_organizations uo on uo.user_id = u.id"
        " join public.organizations o on o.id = uo.organization_id order by 1, 2"
    ).fetchall()
    roles = {(e, r) for e, _, r in rows}
    assert {
        ("owner@acme.test", "owner"),
        ("admin@acme.test", "admin"),
        ("member@acme.test", "member"),
        ("member@globex.test", "member"),
    } <= roles
    assert {n for e, n, _ in rows if e == "multi@odyssey.test"} == {
        "Acme Field Services",
        "Globex Mechanical",
    }
    admin = conn.execute(
        "select p.is_admin from public.profiles p join auth.users u on u.id = p.id where u.email = 'admin@odyssey.test'"
    ).fetchone()
    assert admin == (True,)
    # member@acme.test is also an employee of Acme (employees read their own record through user_id)
    linked = conn.execute(
        "select o.name from public.employees e join auth.users u on u.id = e.user_id"
        " join public.organizations o on o.id = e.organization_id where u.email = 'member@acme.test'"
    ).fetchall()
    assert linked == [("Acme Field Services",)]
    # the demo password works with the same bcrypt check the auth service does
    ok = conn.execute(
        "select encrypted_password = extensions.crypt(%s, encrypted_password) from auth.users where email = 'owner@acme.test'",
        (seed.DEMO_PASSWORD,),
    ).fetchone()
    assert ok == (True,)


# --- determinism, refusal, atomicity -------------------------------------------------------------------


def test_two_fresh_databases_get_identical_data(seeded: tuple[Database, str], pg_cluster: Cluster) -> None:
    other = _new_db(pg_cluster, f"seed_twin_{os.getpid()}")
    try:
        # a separate interpreter with another hash seed: nothing may depend on process state
        env = {**os.environ, "PYTHONHASHSEED": "12345"}
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from devkit import seed; seed.run(sys.argv[1], 'small', out=open('/dev/null', 'w'))",
                other.url,
            ],
            check=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
        first, second = _checksums(seeded[0].url), _checksums(other.url)
        assert first == second
        assert all(not v.startswith("0:") for v in first.values())
    finally:
        _drop_db(pg_cluster, other.name)


def test_a_non_empty_database_is_refused_and_left_alone(seeded: tuple[Database, str]) -> None:
    db = seeded[0]
    before = _checksums(db.url)
    assert seed.is_empty(db.url) is False
    with pytest.raises(seed.SeedError, match="already has 3 organization"):
        seed.run(db.url, "small", out=io.StringIO())
    assert _checksums(db.url) == before


def test_cli_turns_a_refusal_into_its_one_line_error(seeded: tuple[Database, str]) -> None:
    # the CLI prints a CliError as "odyssey: <message>" and exits 1
    with pytest.raises(cli.CliError) as err:
        cli._seed(seeded[0].url, "small")
    message = str(err.value)
    assert "refusing to seed" in message and "odyssey db reset" in message
    assert "\n" not in message


def test_a_failing_table_rolls_everything_back(fresh_db: Database) -> None:
    assert seed.is_empty(fresh_db.url) is True
    with psycopg.connect(fresh_db.superuser_url, autocommit=True) as su:
        su.execute("alter table public.bids add constraint test_no_bids check (false) not valid")
    with pytest.raises(
        seed.SeedError,
        match=r"nothing was written.*test_no_bids|test_no_bids.*nothing was written|nothing was written",
    ):
        seed.run(fresh_db.url, "small", out=io.StringIO())
    with fresh_db.connect() as c:
        assert seed.is_empty(fresh_db.url) is True
        assert _count(c, "auth.users") == 0 and _count(c, "public.customers") == 0
        # the audit triggers suspended during the load are enabled again (the rollback restored them)
        disabled = c.execute(
            "select count(*) from pg_trigger t join pg_proc p on p.oid = t.tgfoid"
            " where p.proname = 'fn_log_change' and t.tgenabled = 'D'"
        ).fetchone()
        assert disabled == (0,)


def test_unknown_scale_and_unmigrated_database_are_clear_errors(pg_cluster: Cluster) -> None:
    with pytest.raises(seed.SeedError, match="unknown scale 'huge'"):
        seed.run("postgresql://unused", "huge")
    name = f"seed_bare_{os.getpid()}"
    with psycopg.connect(pg_cluster.superuser_url(), autocommit=True) as su:
        su.execute(f'create database "{name}" owner postgres')
    try:
        with pytest.raises(seed.SeedError, match="not migrated"):
            seed.is_empty(pg_cluster.url("postgres", name))
    finally:
        _drop_db(pg_cluster, name)


def test_summary_lists_counts_and_demo_logins(seeded: tuple[Database, str]) -> None:
    text = seed.summary(seeded[0].url)
    assert "customers 300" in text and "employees 30" in text and "organizations 3" in text
    for email in ("owner@acme.test", "admin@acme.test", "member@acme.test", "member@globex.test"):
        assert email in text
    assert seed.DEMO_PASSWORD in text


def test_audit_triggers_are_back_on_and_the_load_is_logged_once_per_table(conn: psycopg.Connection) -> None:
    disabled = conn.execute(
        "select count(*) from pg_trigger t join pg_proc p on p.oid = t.tgfoid"
        " where p.proname = 'fn_log_change' and t.tgenabled = 'D'"
    ).fetchone()
    assert disabled == (0,)
    logged = dict(
        conn.execute(
            "select metadata ->> 'table', (metadata ->> 'rows')::int from public.system_logs where source = 'devkit.seed'"
        ).fetchall()
    )
    assert logged["public.time_entries"] == _count(conn, "public.time_entries")
    assert logged["public.bids"] == _count(conn, "public.bids")


def test_sequences_continue_after_the_seeded_ids(conn: psycopg.Connection) -> None:
    for table in (
        "public.organizations",
        "public.customers",
        "public.bids",
        "public.invoices",
        "public.employees",
    ):
        row = conn.execute(
            f"select (select last_value from {table}_id_seq) >= (select max(id) from {table})"
        ).fetchone()
        assert row == (True,), table


# --- the shapes other code relies on -------------------------------------------------------------------


def test_payroll_settings_of_every_organization(conn: psycopg.Connection) -> None:
    rows = conn.execute("select settings -> 'payroll' from public.organizations order by id").fetchall()
    zones = {r[0] for r in conn.execute("select name from pg_timezone_names").fetchall()}
    for (payroll,) in rows:
        assert set(payroll) == {"timezone", "workweek_start", "pay_frequency", "overtime_rules"}
        assert payroll["timezone"] in zones
        assert payroll["workweek_start"] in {
            "sunday",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
        }
        assert payroll["pay_frequency"] in {"weekly", "biweekly", "semimonthly", "monthly"}
        assert payroll["overtime_rules"] in {"federal", "california"}
    assert {p["overtime_rules"] for (p,) in rows} == {"federal", "california"}
    assert "weekly" in {p["pay_frequency"] for (p,) in rows}


W4_KEYS = {
    "filing_status",
    "step2_checkbox",
    "step3_amount",
    "step4a_other_income",
    "step4b_deductions",
    "step4c_extra_withholding",
}
DECIMAL = re.compile(r"^\d+\.\d\d$")


def test_employees_of_every_pay_type_with_w4_data(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "select pay_type, employment_type, status, hourly_rate, salary, tax_info, termination_date from public.employees"
    ).fetchall()
    kinds = {(p, e) for p, e, *_ in rows}
    assert {("hourly", "full_time"), ("hourly", "part_time"), ("salary", "full_time")} <= kinds
    assert any(e == "contractor" for _, e, *_ in rows)
    complete = missing = exempt = 0
    for pay_type, employment, status, hourly, salary, tax, terminated in rows:
        if pay_type == "hourly":
            assert salary is None and Decimal("18.50") <= hourly <= Decimal("65.00")
        else:
            assert hourly is None and Decimal("40000") <= salary <= Decimal("180000")
        assert (status == "terminated") == (terminated is not None)
        if employment == "contractor":
            assert tax is None or "w4" not in tax
            continue
        w4 = (tax or {}).get("w4")
        if w4 is None or set(w4) != W4_KEYS:
            missing += 1
            continue
        complete += 1
        assert w4["filing_status"] in {"single", "married_filing_jointly", "head_of_household"}
        assert isinstance(w4["step2_checkbox"], bool)
        for key in W4_KEYS - {"filing_status", "step2_checkbox"}:
            assert DECIMAL.match(w4[key]), (key, w4[key])
        assert isinstance(tax["flsa_exempt"], bool) and isinstance(tax["exempt_from_withholding"], bool)
        exempt += tax["flsa_exempt"]
        if tax["flsa_exempt"]:
            assert pay_type == "salary"
    assert complete >= 20 and 1 <= missing <= 5
    assert {s for _, _, s, *_ in rows} >= {"active", "terminated"}


def test_time_entries_are_two_realistic_weeks_in_the_org_timezone(conn: psycopg.Connection) -> None:
    bad_hours = conn.execute(
        "select count(*) from public.time_entries where total_hours <>"
        " round((extract(epoch from clock_out - clock_in - break_duration) / 3600)::numeric, 2)"
    ).fetchone()
    assert bad_hours == (0,)
    row = conn.execute(
        "select min((t.clock_in at time zone (o.settings #>> '{payroll,timezone}'))::date),"
        "       max((t.clock_in at time zone (o.settings #>> '{payroll,timezone}'))::date),"
        "       count(*) filter (where extract(isodow from t.clock_in at time zone (o.settings #>> '{payroll,timezone}')) >= 6),"
        "       count(*) filter (where t.total_hours >= 10),"
        "       count(*) filter (where t.break_duration between interval '30 min' and interval '60 min'),"
        "       count(*) filter (where e.organization_id <> t.organization_id),"
        "       count(*) filter (where t.clock_out is null)"
        " from public.time_entries t join public.employees e on e.id = t.employee_id"
        " join public.organizations o on o.id = t.organization_id"
    ).fetchone()
    assert row is not None
    first, last, weekend, long_shifts, with_breaks, cross_tenant, open_entries = row
    assert (first, last) == (seed.PERIOD_START, seed.ANCHOR_DATE) == (date(2026, 11, 16), date(2026, 11, 29))
    assert weekend > 0 and long_shifts > 0 and with_breaks > 0
    assert cross_tenant == 0 and open_entries == 0
    # local start times look like a working day (the night shift starts late evening)
    hours = {
        int(h)
        for (h,) in conn.execute(
            "select distinct extract(hour from t.clock_in at time zone (o.settings #>> '{payroll,timezone}'))"
            " from public.time_entries t join public.organizations o on o.id = t.organization_id"
        ).fetchall()
    }
    assert hours <= set(range(5, 24))
    overtime_weeks = conn.execute(
        "select count(*) from (select employee_id, date_trunc('week', clock_in) w, sum(total_hours) h"
        " from public.time_entries group by 1, 2 having sum(total_hours) > 40) x"
    ).fetchone()
    assert overtime_weeks is not None and overtime_weeks[0] >= 1


def test_customers_look_real(conn: psycopg.Connection) -> None:
    row = conn.execute(
        "select count(*) filter (where email like '%@%.%'), count(*) filter (where phone is not null),"
        "       count(*) filter (where address ?& array['street', 'city', 'state', 'zip']),"
        "       count(*) filter (where company is not null), count(*) filter (where cardinality(tags) > 0),"
        "       count(*) filter (where name ~ '[^[:ascii:]]'), count(*) filter (where lifetime_value > 0)"
        " from public.customers"
    ).fetchone()
    assert row is not None
    emails, phones, addresses, companies, tagged, accented, valued = row
    assert emails > 200 and phones > 150 and addresses == 300 and companies > 60 and tagged == 300
    assert 10 <= accented <= 90  # some accented names for search to fold
    assert valued > 100


def test_bids_have_outcomes_segments_and_footing_totals(conn: psycopg.Connection) -> None:
    statuses = {s for (s,) in conn.execute("select distinct status from public.bids").fetchall()}
    assert statuses == {"draft", "sent", "accepted", "rejected", "expired"}
    rows = conn.execute(
        "select subtotal, tax_amount, total, margin_percentage, line_items, notes, status, accepted_at, sent_at"
        " from public.bids"
    ).fetchall()
    for subtotal, tax, total, margin, items, notes, status, accepted_at, sent_at in rows:
        assert total == subtotal + tax
        assert sum(Decimal(i["amount"]) for i in items) == subtotal
        cost = sum(Decimal(i["unit_cost"]) * i["quantity"] for i in items)
        assert margin == ((subtotal - cost) * 100 / subtotal).quantize(Decimal("0.01"))
        segment = {(i["service_type"], i["region"], i["complexity"]) for i in items}
        assert len(segment) == 1
        service, region, complexity = segment.pop()
        assert (
            notes.splitlines()[0]
            == f"segment: service_type={service}; region={region}; complexity={complexity}"
        )
        assert (status == "accepted") == (accepted_at is not None)
        assert (status == "draft") == (sent_at is None)


def test_invoices_agree_with_their_payments(conn: psycopg.Connection) -> None:
    mismatched = conn.execute(
        "select count(*) from public.invoices i left join lateral ("
        "  select coalesce(sum(p.amount), 0) paid from public.payments p"
        "  where p.invoice_id = i.id and p.status = 'succeeded') p on true"
        " where i.amount_paid <> p.paid or i.balance_due <> i.total - i.amount_paid"
        "    or (i.status = 'paid') <> (i.balance_due = 0 and i.paid_at is not null)"
        "    or (i.status = 'overdue' and i.due_date >= %s)"
        "    or i.total <> i.subtotal + i.tax_amount",
        (seed.ANCHOR_DATE,),
    ).fetchone()
    assert mismatched == (0,)
    statuses = {s for (s,) in conn.execute("select distinct status from public.invoices").fetchall()}
    assert {"paid", "sent", "overdue"} <= statuses
    linked = conn.execute(
        "select count(*) filter (where b.status <> 'accepted'), count(*) filter (where b.organization_id <> i.organization_id),"
        "       count(*) from public.invoices i join public.bids b on b.id = i.bid_id"
    ).fetchone()
    assert linked is not None and linked[0] == 0 and linked[1] == 0 and linked[2] > 0
    subs = conn.execute(
        "select count(*) from public.payments where subscription_id is not null and status = 'succeeded'"
    ).fetchone()
    assert subs is not None and subs[0] > 0


# --- supabase/seed.sql ---------------------------------------------------------------------------------


def test_seed_sql_applies_on_a_migrated_database_and_twice(fresh_db: Database) -> None:
    text = (ROOT / "supabase" / "seed.sql").read_text(encoding="utf-8")
    with fresh_db.connect() as c:
        c.execute(text.encode())
        c.commit()
        c.execute(text.encode())  # harmless the second time
        c.commit()
        assert _count(c, "public.organizations") == 2
        assert _count(c, "public.user_organizations") == 5
        assert _count(c, "public.profiles") == 5
        assert _count(c, "public.employees") == 6 and _count(c, "public.customers") == 5
        owner = c.execute(
            "select o.settings #>> '{payroll,overtime_rules}' from public.user_organizations uo"
            " join auth.users u on u.id = uo.user_id join public.organizations o on o.id = uo.organization_id"
            " where u.email = 'owner@globex.test' and uo.role = 'owner'"
        ).fetchone()
        assert owner == ("california",)
        nulls = c.execute(
            "select count(*) from auth.users where confirmation_token is null or email_change is null"
        ).fetchone()
        assert nulls == (0,)
    assert seed.is_empty(fresh_db.url) is False


def test_logins_are_complete_for_the_supabase_auth_service(fresh_db: Database) -> None:
    # every user (OnyxOS staff included) gets the email identity the platform's auth service needs
    seed.run(fresh_db.url, "small", out=io.StringIO())
    with fresh_db.connect() as c:
        row = c.execute(
            "select count(*), count(*) filter (where i.identity_data ->> 'email' = u.email and i.provider = 'email')"
            " from public.user_organizations uo join auth.users u on u.id = uo.user_id"
            " join auth.identities i on i.user_id = u.id"
        ).fetchone()
        assert row is not None and row[0] == row[1] == _count(c, "public.user_organizations")
        # NULL token columns make the auth service fail to read a user (supabase/auth#1940)
        nulls = c.execute(
            "select count(*) from auth.users u where confirmation_token is null or recovery_token is null"
            " or email_change_token_new is null or email_change is null"
        ).fetchone()
        assert nulls == (0,)
        without_identity = c.execute(
            "select count(*) from auth.users u"
            " where not exists (select 1 from auth.identities i where i.user_id = u.id and i.provider = 'email')"
        ).fetchone()
        assert without_identity == (0,)
