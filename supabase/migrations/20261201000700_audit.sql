-- Audit trail: every insert, update and delete of the audited tables is written to public.system_logs with
-- source "schema.table", message "<OP> on <source>" and the old and/or new row in metadata.

-- Statement-level, over the statement's transition tables: a statement that writes 10,000 paystubs adds its
-- 10,000 log rows in one set-based INSERT instead of 10,000 trigger calls (run-payroll writes whole runs).
create function ops.fn_log_change()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_source text := tg_table_schema || '.' || tg_table_name;
  v_message text := tg_op || ' on ' || v_source;
  -- pay, bank and tax details never go into a log, nor does a paystub's computed breakdown (`details`, which
  -- repeats the W-4 and every workweek; the stub itself keeps it): the money lines are what is audited
  v_redact text[] := array['tax_info', 'direct_deposit', 'salary', 'hourly_rate', 'details'];
  v_user uuid := (select auth.uid());
  v_role text := (select auth.role());
begin
  -- the references are kept only while their targets exist (e.g. not during an organization's cascade delete)
  if v_user is not null and not exists (select 1 from auth.users u where u.id = v_user) then
    v_user := null;
  end if;
  -- Each row is turned into jsonb once (`offset 0` keeps the subquery from being flattened into the three
  -- references). An inserted or updated row's organization exists (its foreign key is checked in the same
  -- statement), so it is read from the row itself; a deleted row's organization may be going in the same
  -- cascade, hence the join below.
  if tg_op = 'INSERT' then
    -- only the logged columns are turned into jsonb (not converted, then removed again): the statement is
    -- made for the table's columns, planned once per statement, which bulk inserts such as a payroll run's
    -- stubs (with their large `details`) repay many times over
    execute format($q$
      insert into public.system_logs (severity, source, message, user_id, organization_id, metadata)
      select 'info', $1, $2, $3, (r.new_row ->> 'organization_id')::bigint,
             jsonb_build_object('operation', 'INSERT', 'table', $1, 'new', r.new_row,
                                'organization_id', r.new_row -> 'organization_id', 'role', $4)
      from (select to_jsonb(x) as new_row from (select %s from new_rows n) x offset 0) r
    $q$, (select string_agg(format('n.%I', a.attname), ', ' order by a.attnum) from pg_catalog.pg_attribute a
          where a.attrelid = tg_relid and a.attnum > 0 and not a.attisdropped and a.attname <> all (v_redact)))
    using v_source, v_message, v_user, v_role;
  elsif tg_op = 'UPDATE' then
    -- EXECUTE: planned for this statement's row count, so that new_rows and old_rows are paired by a hash
    -- join, not by a nested loop over one-row estimates (quadratic for a recalculated payroll run)
    execute $q$
      insert into public.system_logs (severity, source, message, user_id, organization_id, metadata)
      select 'info', $1, $2, $3, (r.new_row ->> 'organization_id')::bigint,
             jsonb_build_object('operation', 'UPDATE', 'table', $1, 'old', r.old_row, 'new', r.new_row,
                                'organization_id', r.new_row -> 'organization_id', 'role', $5)
      from (select to_jsonb(n) - $4 as new_row, to_jsonb(d) - $4 as old_row
            from new_rows n join old_rows d on d.id = n.id offset 0) r
    $q$ using v_source, v_message, v_user, v_redact, v_role;
  else
    insert into public.system_logs (severity, source, message, user_id, organization_id, metadata)
    with c as materialized (select to_jsonb(d) - v_redact as old_row from old_rows d),
    k as materialized (select c.old_row, (c.old_row ->> 'organization_id')::bigint as org_id from c)
    select 'info', v_source, v_message, v_user, o.id,
           jsonb_build_object('operation', tg_op, 'table', v_source, 'old', k.old_row,
                              'organization_id', k.old_row -> 'organization_id', 'role', v_role)
    from k left join public.organizations o on o.id = k.org_id;
  end if;
  return null;
end
$$;
comment on function ops.fn_log_change() is
  'Audit trigger (statement level, transition tables new_rows/old_rows): logs each changed row into '
  'public.system_logs in one set-based INSERT per statement. SECURITY DEFINER because callers may not insert logs.';
revoke all on function ops.fn_log_change() from public, anon, authenticated;
grant execute on function ops.fn_log_change() to postgres, service_role;

do $audit$
declare
  v_table text;
begin
  foreach v_table in array array['employees', 'time_entries', 'bids', 'invoices', 'payments', 'subscriptions',
                                 'payroll_runs', 'paystubs'] loop
    execute format('create trigger audit_insert after insert on public.%I referencing new table as new_rows'
                   ' for each statement execute function ops.fn_log_change()', v_table);
    execute format('create trigger audit_update after update on public.%I'
                   ' referencing old table as old_rows new table as new_rows'
                   ' for each statement execute function ops.fn_log_change()', v_table);
    execute format('create trigger audit_delete after delete on public.%I referencing old table as old_rows'
                   ' for each statement execute function ops.fn_log_change()', v_table);
  end loop;
end
$audit$;
