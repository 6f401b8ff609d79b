-- Audit trail: every insert, update and delete of the audited tables is written to public.system_logs with
-- source "schema.table", message "<OP> on <source>" and the old and/or new row in metadata.

create function ops.fn_log_change()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_source text := tg_table_schema || '.' || tg_table_name;
  -- bank and tax details never go into a log
  v_redact text[] := array['tax_info', 'direct_deposit'];
  v_row jsonb := case when tg_op = 'DELETE' then to_jsonb(old) else to_jsonb(new) end;
  v_org bigint := nullif(v_row ->> 'organization_id', '')::bigint;
  v_user uuid := (select auth.uid());
  v_metadata jsonb := jsonb_build_object('operation', tg_op, 'table', v_source);
begin
  -- the references are kept only while their targets exist (e.g. not during an organization's cascade delete)
  if v_org is not null and not exists (select 1 from public.organizations o where o.id = v_org) then
    v_org := null;
  end if;
  if v_user is not null and not exists (select 1 from auth.users u where u.id = v_user) then
    v_user := null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    v_metadata := v_metadata || jsonb_build_object('old', to_jsonb(old) - v_redact);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    v_metadata := v_metadata || jsonb_build_object('new', to_jsonb(new) - v_redact);
  end if;
  insert into public.system_logs (severity, source, message, user_id, organization_id, metadata)
  values ('info', v_source, tg_op || ' on ' || v_source, v_user, v_org,
          v_metadata || jsonb_build_object('organization_id', v_row -> 'organization_id',
                                           'role', (select auth.role())));
  return null;
end
$$;
comment on function ops.fn_log_change() is
  'Audit trigger: logs the change into public.system_logs. SECURITY DEFINER because callers may not insert logs.';
revoke all on function ops.fn_log_change() from public, anon, authenticated;
grant execute on function ops.fn_log_change() to postgres, service_role;

create trigger audit_change after insert or update or delete on public.employees
for each row execute function ops.fn_log_change();
create trigger audit_change after insert or update or delete on public.time_entries
for each row execute function ops.fn_log_change();
create trigger audit_change after insert or update or delete on public.bids
for each row execute function ops.fn_log_change();
create trigger audit_change after insert or update or delete on public.invoices
for each row execute function ops.fn_log_change();
create trigger audit_change after insert or update or delete on public.payments
for each row execute function ops.fn_log_change();
create trigger audit_change after insert or update or delete on public.subscriptions
for each row execute function ops.fn_log_change();
create trigger audit_change after insert or update or delete on public.payroll_runs
for each row execute function ops.fn_log_change();
create trigger audit_change after insert or update or delete on public.paystubs
for each row execute function ops.fn_log_change();
