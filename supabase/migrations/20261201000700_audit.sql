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
  v_columns text;
begin
  -- the references are kept only while their targets exist (e.g. not during an organization's cascade delete)
  if v_user is not null and not exists (select 1 from auth.users u where u.id = v_user) then
    v_user := null;
  end if;
  -- Each row is turned into jsonb once (`offset 0` keeps the subquery from being flattened into the three
  -- references), and only its logged columns are: the statement is made for the table's columns (the
  -- redacted ones left out, not converted and removed again) and planned for this statement's row count,
  -- which bulk writes such as a payroll run's stubs, with their large `details`, repay many times over.
  -- An inserted or updated row's organization exists (its foreign key is checked in the same statement), so
  -- it is read from the row itself; a deleted row's organization may be going in the same cascade, hence the
  -- join below.
  v_columns := (select string_agg(format('%I', a.attname), ', ' order by a.attnum) from pg_catalog.pg_attribute a
                where a.attrelid = tg_relid and a.attnum > 0 and not a.attisdropped and a.attname <> all (v_redact));
  if tg_op = 'INSERT' then
    execute format($q$
      insert into public.system_logs (severity, source, message, user_id, organization_id, metadata)
      select 'info', $1, $2, $3, (r.new_row ->> 'organization_id')::bigint,
             jsonb_build_object('operation', 'INSERT', 'table', $1, 'new', r.new_row,
                                'organization_id', r.new_row -> 'organization_id', 'role', $4)
      from (select to_jsonb(x) as new_row from (select %s from new_rows) x offset 0) r
    $q$, v_columns)
    using v_source, v_message, v_user, v_role;
  elsif tg_op = 'UPDATE' then
    -- old and new rows are paired by a hash join (planned for the real row count: a nested loop over the
    -- one-row estimates of transition tables is quadratic for a recalculated payroll run)
    execute format($q$
      insert into public.system_logs (severity, source, message, user_id, organization_id, metadata)
      select 'info', $1, $2, $3, (r.new_row ->> 'organization_id')::bigint,
             jsonb_build_object('operation', 'UPDATE', 'table', $1, 'old', r.old_row, 'new', r.new_row,
                                'organization_id', r.new_row -> 'organization_id', 'role', $4)
      from (select to_jsonb(x) as new_row, to_jsonb(y) as old_row
            from (select %1$s from new_rows) x join (select %1$s from old_rows) y on y.id = x.id offset 0) r
    $q$, v_columns)
    using v_source, v_message, v_user, v_role;
  else
    execute format($q$
      insert into public.system_logs (severity, source, message, user_id, organization_id, metadata)
      select 'info', $1, $2, $3, o.id,
             jsonb_build_object('operation', 'DELETE', 'table', $1, 'old', r.old_row,
                                'organization_id', r.old_row -> 'organization_id', 'role', $4)
      from (select to_jsonb(y) as old_row from (select %s from old_rows) y offset 0) r
      left join public.organizations o on o.id = (r.old_row ->> 'organization_id')::bigint
    $q$, v_columns)
    using v_source, v_message, v_user, v_role;
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
