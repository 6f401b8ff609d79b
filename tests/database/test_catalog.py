"""Generic invariants of the migrated schema, read from the catalog.

Every check runs over every table, policy, index and function of the application schemas (public, ops, onyx,
private), so tables added later — by any migration — are covered without touching this file. These are the
same invariants as Supabase's database advisor (splinter) security and performance lints, written as our own
catalog queries. Exceptions are explicit allow-lists below, each with the reason.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import psycopg
import pytest

APP_SCHEMAS = ("public", "ops", "onyx", "private")
# The schemas PostgREST exposes (supabase/config.toml [api] schemas, minus graphql_public which holds nothing of ours).
EXPOSED_SCHEMAS = ("public", "onyx")
CONFIG_TOML = Path(__file__).resolve().parents[2] / "supabase" / "config.toml"

# The tables of the ODYSSEY-1 schema (supabase/migrations/20261201000100..0999).
ODYSSEY_TABLES = tuple(
    f"public.{t}"
    for t in (
        "subscription_plans profiles organizations user_organizations system_logs system_config system_knowledge"
        " employees customers bids invoices time_entries appointments payroll_runs paystubs subscriptions"
        " payments ai_usage_logs ai_compliance_logs study_groups study_group_members study_group_messages"
        " tutoring_sessions academic_search_results"
    ).split()
) + tuple(f"ops.{t}" for t in ("roman_events", "roman_commands", "agents", "system_health", "alerts"))

# ODYSSEY-1 tables whose updated_at column comes from another migration that sets it in its own statements.
UPDATED_AT_KEPT_BY_WRITER: dict[str, str] = {
    "public.payments": "updated_at added by the stripe_webhook migration; its upserts set updated_at = now()",
}

# SECURITY DEFINER functions in an exposed schema that anon/authenticated may call as RPCs, with the reason.
# Empty on purpose: Supabase's advisor warns about every such function (lints 0028/0029), so an RPC that
# needs raised rights is a SECURITY INVOKER wrapper over an implementation in the unexposed schema private.
SECURITY_DEFINER_RPC_ALLOW_LIST: dict[str, str] = {}

# Functions in the unexposed schemas that anon may execute, with the reason.
ANON_PRIVATE_EXECUTE_ALLOW_LIST: dict[str, str] = {
    # OnyxOS link analytics: anonymous visitors of a published bio page record a view/click through the
    # invoker RPC onyx.record_tracking_event; this implementation validates its input and stores only a
    # hash of the IP (see the onyx_social migration).
    "private.record_tracking_event(text,uuid,text,text,text,text,text)": "anonymous bio-page views and clicks",
}

# Tables anon may read (SELECT), with the reason. Anon may write nowhere.
ANON_SELECT_ALLOW_LIST: dict[str, str] = {
    "public.subscription_plans": "the pricing page lists the plans before sign-in",
    "onyx.bio_pages": "published link-in-bio pages are public web pages",
    "onyx.bio_blocks": "the blocks of a published bio page",
}


def _rows(db: psycopg.Connection, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
    return db.execute(sql, params).fetchall()


def test_exposed_schemas_match_config() -> None:
    config = tomllib.loads(CONFIG_TOML.read_text(encoding="utf-8"))
    exposed = set(config["api"]["schemas"])
    assert set(EXPOSED_SCHEMAS) <= exposed
    assert "ops" not in exposed and "private" not in exposed


def test_schemas_exist_and_hold_tables(db: psycopg.Connection) -> None:
    counts = dict(
        _rows(
            db,
            "select n.nspname, count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where c.relkind in ('r', 'p') and n.nspname = any(%s) group by 1",
            (list(APP_SCHEMAS),),
        )
    )
    # guards the generic checks below against passing vacuously
    assert counts.get("public", 0) >= 25
    assert counts.get("ops", 0) >= 5


def test_rls_enabled_on_every_table(db: psycopg.Connection) -> None:
    missing = _rows(
        db,
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p') and n.nspname = any(%s) and not c.relrowsecurity order by 1",
        (list(APP_SCHEMAS),),
    )
    assert missing == []


def test_no_table_in_private_schema(db: psycopg.Connection) -> None:
    tables = _rows(
        db,
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'private' and c.relkind in ('r', 'p', 'v', 'm')",
    )
    assert tables == []


def test_every_policy_names_its_roles(db: psycopg.Connection) -> None:
    to_public = _rows(
        db,
        "select schemaname || '.' || tablename || ': ' || policyname from pg_policies"
        " where schemaname = any(%s) and 'public' = any(roles) order by 1",
        (list(APP_SCHEMAS),),
    )
    assert to_public == []


_CALL = re.compile(r"(auth\.\w+|current_setting)\s*\(", re.IGNORECASE)
_WRAPPED = re.compile(r"select\s+$", re.IGNORECASE)


def _unwrapped_calls(expression: str) -> list[str]:
    """The auth.*()/current_setting() calls of a policy expression not written as `(select f(...))`."""
    bad = []
    for m in _CALL.finditer(expression):
        before = expression[: m.start()]
        if not _WRAPPED.search(before):
            bad.append(m.group(1))
    return bad


def test_unwrapped_call_detector() -> None:
    assert _unwrapped_calls("(user_id = auth.uid())") == ["auth.uid"]
    assert _unwrapped_calls("(user_id = ( SELECT auth.uid() AS uid))") == []
    assert _unwrapped_calls("(current_setting('x'::text) = 'y'::text)") == ["current_setting"]
    assert _unwrapped_calls("((select auth.jwt()) ->> 'role') = 'x' or auth.role() = 'y'") == ["auth.role"]


def test_policies_wrap_auth_calls_in_a_subselect(db: psycopg.Connection) -> None:
    offenders = []
    for name, qual, check in _rows(
        db,
        "select schemaname || '.' || tablename || ': ' || policyname, qual, with_check from pg_policies"
        " where schemaname = any(%s)",
        (list(APP_SCHEMAS),),
    ):
        for expression in (qual, check):
            if expression and _unwrapped_calls(expression):
                offenders.append((name, expression))
    assert offenders == []


def test_policies_never_read_user_metadata(db: psycopg.Connection) -> None:
    offenders = _rows(
        db,
        "select schemaname || '.' || tablename || ': ' || policyname from pg_policies where schemaname = any(%s)"
        " and (coalesce(qual, '') || coalesce(with_check, '')) ~* '(user_metadata|raw_user_meta_data)'",
        (list(APP_SCHEMAS),),
    )
    assert offenders == []


def test_at_most_one_permissive_policy_per_role_and_action(db: psycopg.Connection) -> None:
    duplicates = _rows(
        db,
        """
        with expanded as (
          select n.nspname || '.' || c.relname as tbl, p.polname, r.role, k.cmd
          from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
          -- a policy TO public applies to every API role
          cross join lateral unnest(case when p.polroles = '{0}' then array['anon', 'authenticated', 'service_role']::name[]
                        else array(select rolname from pg_roles x where x.oid = any(p.polroles)) end) r(role)
          cross join lateral unnest(case p.polcmd when '*' then array['r', 'a', 'w', 'd']
                                     else array[p.polcmd::text] end) k(cmd)
          where p.polpermissive and n.nspname = any(%s)
        )
        select tbl, role, cmd, array_agg(polname order by polname) from expanded
        group by tbl, role, cmd having count(*) > 1 order by 1, 2, 3
        """,
        (list(APP_SCHEMAS),),
    )
    assert duplicates == []


def test_write_policies_are_never_always_true(db: psycopg.Connection) -> None:
    offenders = _rows(
        db,
        "select schemaname || '.' || tablename || ': ' || policyname from pg_policies"
        " where schemaname = any(%s) and cmd in ('INSERT', 'UPDATE', 'DELETE', 'ALL')"
        " and not (roles <@ array['service_role']::name[])"
        " and (qual = 'true' or with_check = 'true')",
        (list(APP_SCHEMAS),),
    )
    assert offenders == []


def test_every_foreign_key_has_an_index(db: psycopg.Connection) -> None:
    unindexed = _rows(
        db,
        """
        select n.nspname || '.' || c.relname || ' ' || con.conname
        from pg_constraint con
        join pg_class c on c.oid = con.conrelid
        join pg_namespace n on n.oid = c.relnamespace
        where con.contype = 'f' and n.nspname = any(%s)
          and not exists (
            select 1 from pg_index i
            where i.indrelid = con.conrelid and i.indpred is null
              and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] @> con.conkey
              and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] <@ con.conkey
          )
        order by 1
        """,
        (list(APP_SCHEMAS),),
    )
    assert unindexed == []


def test_no_duplicate_indexes(db: psycopg.Connection) -> None:
    duplicates = _rows(
        db,
        """
        select n.nspname || '.' || c.relname, array_agg(ic.relname::text order by ic.relname)
        from pg_index i
        join pg_class c on c.oid = i.indrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_class ic on ic.oid = i.indexrelid
        join pg_am am on am.oid = ic.relam
        where n.nspname = any(%s)
        group by n.nspname, c.relname, am.amname, i.indkey::text, i.indclass::text, i.indcollation::text,
                 coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')
        having count(*) > 1
        order by 1
        """,
        (list(APP_SCHEMAS),),
    )
    assert duplicates == []


def test_every_table_has_a_primary_key(db: psycopg.Connection) -> None:
    missing = _rows(
        db,
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p') and n.nspname = any(%s)"
        " and not exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p') order by 1",
        (list(APP_SCHEMAS),),
    )
    assert missing == []


def test_every_function_has_a_fixed_search_path(db: psycopg.Connection) -> None:
    mutable = _rows(
        db,
        """
        select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any(%s)
          and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
          and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) cfg where cfg like 'search_path=%%')
        order by 1
        """,
        (list(APP_SCHEMAS),),
    )
    assert mutable == []


def test_security_definer_functions_in_exposed_schemas_are_not_callable_by_api_roles(
    db: psycopg.Connection,
) -> None:
    callable_ = _rows(
        db,
        """
        select n.nspname || '.' || p.proname, r.rolname
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        cross join (values ('anon'), ('authenticated')) r(rolname)
        where p.prosecdef and n.nspname = any(%s) and has_function_privilege(r.rolname, p.oid, 'execute')
        order by 1, 2
        """,
        (list(EXPOSED_SCHEMAS),),
    )
    unexpected = [(f, role) for f, role in callable_ if f not in SECURITY_DEFINER_RPC_ALLOW_LIST]
    assert unexpected == []


def test_private_helpers_are_not_executable_by_anon(db: psycopg.Connection) -> None:
    executable = _rows(
        db,
        "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname in ('private', 'ops') and has_function_privilege('anon', p.oid, 'execute') order by 1",
    )
    assert [f for (f,) in executable if f not in ANON_PRIVATE_EXECUTE_ALLOW_LIST] == []


def test_anon_has_no_write_privilege_anywhere(db: psycopg.Connection) -> None:
    writable = _rows(
        db,
        """
        select n.nspname || '.' || c.relname, priv
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) priv
        where c.relkind in ('r', 'p', 'v', 'm', 'f') and n.nspname = any(%s)
          and (has_table_privilege('anon', c.oid, priv)
               or (case when priv in ('INSERT', 'UPDATE', 'REFERENCES')
                        then has_any_column_privilege('anon', c.oid, priv) end))
        order by 1, 2
        """,
        (list(APP_SCHEMAS),),
    )
    assert writable == []


def test_anon_reads_only_the_documented_tables(db: psycopg.Connection) -> None:
    readable = {
        t
        for (t,) in _rows(
            db,
            "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where c.relkind in ('r', 'p', 'v', 'm', 'f') and n.nspname = any(%s)"
            " and has_any_column_privilege('anon', c.oid, 'SELECT')",
            (list(APP_SCHEMAS),),
        )
    }
    assert readable <= set(ANON_SELECT_ALLOW_LIST)
    assert "public.subscription_plans" in readable


def test_anon_uses_no_sequence(db: psycopg.Connection) -> None:
    usable = _rows(
        db,
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind = 'S' and n.nspname = any(%s)"
        " and (has_sequence_privilege('anon', c.oid, 'USAGE') or has_sequence_privilege('anon', c.oid, 'UPDATE'))",
        (list(APP_SCHEMAS),),
    )
    assert usable == []


def test_api_roles_never_truncate_or_add_triggers(db: psycopg.Connection) -> None:
    granted = _rows(
        db,
        """
        select n.nspname || '.' || c.relname, r.rolname, priv
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join (values ('authenticated'), ('service_role')) r(rolname)
        cross join unnest(array['TRUNCATE', 'TRIGGER', 'REFERENCES']) priv
        where c.relkind in ('r', 'p') and n.nspname = any(%s) and has_table_privilege(r.rolname, c.oid, priv)
        order by 1, 2, 3
        """,
        (list(APP_SCHEMAS),),
    )
    assert granted == []


def test_tables_have_explicit_grants(db: psycopg.Connection) -> None:
    """Every table lists service_role in its ACL (set by its migration, not left to default privileges), and
    no table of ours still carries the platform's ALL-to-everyone default."""
    rows = _rows(
        db,
        """
        select n.nspname || '.' || c.relname, c.relacl::text[]
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname = any(%s)
        """,
        (list(APP_SCHEMAS),),
    )
    assert rows
    no_acl = [t for t, acl in rows if acl is None]
    assert no_acl == []
    without_service_role = [t for t, acl in rows if not any(a.startswith("service_role=") for a in acl)]
    assert without_service_role == []
    # the default grant is `anon=arwdDxt` (ALL)
    default_all = [t for t, acl in rows if any(re.match(r"^(anon|authenticated)=arwdDxt", a) for a in acl)]
    assert default_all == []


def test_sequences_of_tables_authenticated_inserts_into_are_usable(db: psycopg.Connection) -> None:
    missing = _rows(
        db,
        """
        select n.nspname || '.' || c.relname, s.relname
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        join pg_depend d on d.refobjid = c.oid and d.classid = 'pg_class'::regclass and d.deptype in ('a', 'i')
        join pg_class s on s.oid = d.objid and s.relkind = 'S'
        where c.relkind in ('r', 'p') and n.nspname = any(%s)
          and has_table_privilege('authenticated', c.oid, 'INSERT')
          and not (case when s.relkind = 'S' then has_sequence_privilege('authenticated', s.oid, 'USAGE') end)
        order by 1
        """,
        (list(APP_SCHEMAS),),
    )
    assert missing == []


def test_ops_tables_are_not_writable_by_authenticated(db: psycopg.Connection) -> None:
    writable = _rows(
        db,
        """
        select c.relname, priv from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join unnest(array['INSERT', 'UPDATE', 'DELETE']) priv
        where n.nspname = 'ops' and c.relkind in ('r', 'p')
          and (has_table_privilege('authenticated', c.oid, priv)
               or (case when priv <> 'DELETE' then has_any_column_privilege('authenticated', c.oid, priv) end))
        """,
    )
    assert writable == []


def test_views_in_exposed_schemas_are_security_invoker(db: psycopg.Connection) -> None:
    definer_views = _rows(
        db,
        """
        select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'v' and n.nspname = any(%s)
          and not coalesce(
            (select lower(split_part(o, '=', 2)) in ('true', 'on', '1', 'yes')
             from unnest(c.reloptions) o where o like 'security_invoker=%%'), false)
        order by 1
        """,
        (list(EXPOSED_SCHEMAS),),
    )
    assert definer_views == []


def test_no_materialized_view_in_exposed_schemas(db: psycopg.Connection) -> None:
    assert (
        _rows(
            db,
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where c.relkind = 'm' and n.nspname = any(%s)",
            (list(EXPOSED_SCHEMAS),),
        )
        == []
    )


def test_no_extension_in_public(db: psycopg.Connection) -> None:
    in_public = _rows(
        db,
        "select e.extname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where n.nspname = 'public'",
    )
    assert in_public == []


def test_every_table_and_its_updated_at_trigger(db: psycopg.Connection) -> None:
    """Each ODYSSEY-1 table with an updated_at column has the BEFORE UPDATE trigger that keeps it current."""
    missing = _rows(
        db,
        """
        select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'updated_at' and not a.attisdropped
        where c.relkind in ('r', 'p') and n.nspname || '.' || c.relname = any(%s)
          and not exists (
            select 1 from pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal
              and t.tgfoid = 'public.update_updated_at_column()'::regprocedure)
        order by 1
        """,
        (list(ODYSSEY_TABLES),),
    )
    assert [t for (t,) in missing if t not in UPDATED_AT_KEPT_BY_WRITER] == []


def test_every_table_has_a_comment(db: psycopg.Connection) -> None:
    missing = _rows(
        db,
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p') and n.nspname in ('public', 'ops')"
        " and obj_description(c.oid, 'pg_class') is null order by 1",
    )
    assert missing == []


@pytest.mark.parametrize(
    ("table", "index"),
    [
        ("public.profiles", "idx_profiles_email"),
        ("public.profiles", "idx_profiles_is_admin"),
        ("public.organizations", "idx_organizations_stripe_customer"),
        ("public.organizations", "idx_organizations_subscription"),
        ("public.user_organizations", "idx_user_org_user"),
        ("public.user_organizations", "idx_user_org_org"),
        ("public.user_organizations", "idx_user_org_role"),
        ("public.system_logs", "idx_system_logs_timestamp"),
        ("public.system_logs", "idx_system_logs_severity"),
        ("public.system_logs", "idx_system_logs_source"),
        ("public.system_logs", "idx_system_logs_user"),
        ("public.system_logs", "idx_system_logs_correlation"),
        ("public.employees", "idx_employees_org"),
        ("public.employees", "idx_employees_user"),
        ("public.employees", "idx_employees_status"),
        ("public.customers", "idx_customers_org"),
        ("public.customers", "idx_customers_email"),
        ("public.customers", "idx_customers_stripe"),
        ("public.customers", "idx_customers_search"),
        ("public.bids", "idx_bids_org"),
        ("public.bids", "idx_bids_customer"),
        ("public.bids", "idx_bids_status"),
        ("public.bids", "idx_bids_created_at"),
        ("public.invoices", "idx_invoices_org"),
        ("public.invoices", "idx_invoices_customer"),
        ("public.invoices", "idx_invoices_status"),
        ("public.invoices", "idx_invoices_due_date"),
        ("public.invoices", "idx_invoices_stripe"),
        ("public.time_entries", "idx_time_entries_employee"),
        ("public.time_entries", "idx_time_entries_clock_in"),
        ("ops.roman_events", "idx_roman_events_timestamp"),
        ("ops.roman_events", "idx_roman_events_type"),
        ("ops.roman_events", "idx_roman_events_severity"),
        ("ops.roman_commands", "idx_roman_commands_user"),
        ("ops.roman_commands", "idx_roman_commands_status"),
        ("ops.roman_commands", "idx_roman_commands_created"),
        ("public.ai_usage_logs", "idx_ai_usage_org"),
        ("public.ai_usage_logs", "idx_ai_usage_provider"),
        ("public.ai_usage_logs", "idx_ai_usage_created"),
        ("public.ai_compliance_logs", "idx_ai_compliance_flagged"),
        ("public.ai_compliance_logs", "idx_ai_compliance_created"),
        ("public.subscriptions", "idx_subscriptions_org"),
        ("public.subscriptions", "idx_subscriptions_stripe"),
        ("public.subscriptions", "idx_subscriptions_status"),
        ("public.payments", "idx_payments_org"),
        ("public.payments", "idx_payments_subscription"),
        ("public.payments", "idx_payments_invoice"),
        ("public.payments", "idx_payments_stripe_intent"),
        ("public.tutoring_sessions", "idx_tutoring_tutor"),
        ("public.tutoring_sessions", "idx_tutoring_student"),
        ("public.tutoring_sessions", "idx_tutoring_start"),
        ("public.academic_search_results", "idx_academic_search_query"),
        ("public.academic_search_results", "idx_academic_search_expires"),
    ],
)
def test_documented_index_exists(db: psycopg.Connection, table: str, index: str) -> None:
    schema, _ = table.split(".")
    row = db.execute(
        "select i.indrelid::regclass::text from pg_index i join pg_class ic on ic.oid = i.indexrelid"
        " join pg_namespace n on n.oid = ic.relnamespace where ic.relname = %s and n.nspname = %s",
        (index, schema),
    ).fetchone()
    expected = table if schema != "public" else table.removeprefix("public.")
    assert row is not None and row[0] == expected


# `col = (select auth.uid())`, `col in (select private.helper())` as PostgreSQL prints them
_IDENTITY_FILTER = re.compile(
    r"\b(\w+)\)?\s*(?:=|IN|=\s*ANY)\s*\(\s*\(?\s*SELECT\s+(?:auth|private|onyx|ops)\.\w+\(", re.IGNORECASE
)


def _identity_columns(expression: str) -> set[str]:
    """Columns a policy expression compares with the caller's identity or memberships."""
    return {m.group(1) for m in _IDENTITY_FILTER.finditer(expression)}


def test_identity_column_detector() -> None:
    assert _identity_columns("(organization_id IN ( SELECT private.user_org_ids() AS user_org_ids))") == {
        "organization_id"
    }
    assert _identity_columns(
        "((id = ( SELECT auth.uid() AS uid)) OR ( SELECT private.is_platform_admin()))"
    ) == {"id"}
    assert _identity_columns("(is_public OR (created_by = ( SELECT auth.uid() AS uid)))") == {"created_by"}


def test_every_column_a_policy_filters_on_is_indexed(db: psycopg.Connection) -> None:
    """The columns a policy matches against the caller (user id, tenant id) lead an index, so that RLS is an
    index lookup rather than a scan."""
    unindexed = []
    for schema, table, policy, qual, check in _rows(
        db,
        "select schemaname, tablename, policyname, qual, with_check from pg_policies where schemaname = any(%s)",
        (list(APP_SCHEMAS),),
    ):
        for column in sorted(_identity_columns(qual or "") | _identity_columns(check or "")):
            row = db.execute(
                """
                select exists (
                  select 1 from pg_index i
                  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = (i.indkey::int2[])[0]
                  where i.indrelid = format('%%I.%%I', %s::text, %s::text)::regclass and a.attname = %s
                )
                """,
                (schema, table, column),
            ).fetchone()
            if not (row and row[0]):
                unindexed.append(f"{schema}.{table}.{column} ({policy})")
    assert unindexed == []


# The checks above must be able to fail: each is run again against a deliberately broken object, created in
# the rolled-back transaction of the `db` fixture, and must then report it.
_BROKEN_OBJECTS = {
    "bare_table": "create table public.zz_bare (id int, updated_at timestamptz)",
    "fk_without_index": (
        "create table public.zz_child (id int primary key, customer_id bigint references public.customers (id));"
        " comment on table public.zz_child is 'x'; alter table public.zz_child enable row level security;"
        " revoke all on public.zz_child from anon, authenticated; grant select on public.zz_child to service_role"
    ),
    "policy_to_public_unwrapped": (
        "create policy zz_open on public.customers for select using (organization_id = 1 and auth.uid() is not null)"
    ),
    "always_true_write_policy": "create policy zz_true on public.customers for insert to authenticated with check (true)",
    "duplicate_index": "create index zz_dup on public.customers (organization_id)",
    "definer_function": "create function public.zz_f() returns int language sql security definer as 'select 1'",
    "definer_view": "create view public.zz_v as select 1 as one",
    "policy_on_unindexed_column": (
        "create policy zz_notes on public.customers as restrictive for select to authenticated"
        " using (notes = (select auth.uid())::text)"
    ),
    "updated_at_trigger_dropped": "drop trigger set_updated_at on public.customers",
    "extension_in_public": "create extension citext schema public",
}

_SELF_TESTS = [
    ("bare_table", test_rls_enabled_on_every_table),
    ("bare_table", test_every_table_has_a_primary_key),
    ("bare_table", test_anon_has_no_write_privilege_anywhere),
    ("bare_table", test_anon_reads_only_the_documented_tables),
    ("bare_table", test_tables_have_explicit_grants),
    ("updated_at_trigger_dropped", test_every_table_and_its_updated_at_trigger),
    ("bare_table", test_every_table_has_a_comment),
    ("bare_table", test_api_roles_never_truncate_or_add_triggers),
    ("fk_without_index", test_every_foreign_key_has_an_index),
    ("policy_to_public_unwrapped", test_every_policy_names_its_roles),
    ("policy_to_public_unwrapped", test_policies_wrap_auth_calls_in_a_subselect),
    ("policy_to_public_unwrapped", test_at_most_one_permissive_policy_per_role_and_action),
    ("always_true_write_policy", test_write_policies_are_never_always_true),
    ("always_true_write_policy", test_at_most_one_permissive_policy_per_role_and_action),
    ("duplicate_index", test_no_duplicate_indexes),
    ("definer_function", test_every_function_has_a_fixed_search_path),
    ("definer_function", test_security_definer_functions_in_exposed_schemas_are_not_callable_by_api_roles),
    ("definer_view", test_views_in_exposed_schemas_are_security_invoker),
    ("extension_in_public", test_no_extension_in_public),
    ("policy_on_unindexed_column", test_every_column_a_policy_filters_on_is_indexed),
]


@pytest.mark.parametrize(
    ("broken", "check"), _SELF_TESTS, ids=[f"{b}-{c.__name__.removeprefix('test_')}" for b, c in _SELF_TESTS]
)
def test_check_reports_a_broken_object(db: psycopg.Connection, broken: str, check) -> None:  # type: ignore[no-untyped-def]
    check(db)  # clean before
    db.execute(_BROKEN_OBJECTS[broken])
    with pytest.raises(AssertionError):
        check(db)
