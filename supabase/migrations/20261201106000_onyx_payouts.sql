-- OnyxOS payouts engine: immutability of finalized runs, and the RPCs calculate / finalize / mark paid.
--
-- The RPCs are SECURITY INVOKER: RLS already gives owners/admins exactly what the engine reads and writes
-- (timesheets, revenue, settings, runs and items of their own agency), so no privilege is borrowed. Each one
-- still checks the caller explicitly first, for a clear error instead of an empty result:
--   * a signed-in user (auth.uid() set) must be an owner or admin of the run's agency;
--   * without a user, the calling role must bypass RLS (service_role, or postgres for maintenance), so the
--     run-payroll function can act for an explicit agency with the service key.
-- Errors (SQLSTATE): 42501 not allowed, 22023 invalid parameter, P0002 not found, 55000 wrong run status.
--
-- Amounts (see shared reference payroll.md): rates are never rounded; each line (hourly pay, commission) is
-- rounded once, half-up, to cents; a person's total and the run's total are sums of rounded lines.
--   hourly pay  = round(seconds of completed timesheets inside the period × hourly_rate / 3600, 2)
--                 where the period is [period_start 00:00, period_end + 1 day 00:00) in the agency's time zone,
--                 and an entry crossing an edge counts only its part inside;
--   commission  = round(Σ over the period's daily revenue snapshots of an assigned model:
--                 net_total × (assignment.commission_override, else settings.commission_percent), 2)
--                 where a snapshot counts when an assignment of the person to that model covers its date;
--   hybrid      = both; owners excluded; no payout settings → a zero item whose note says why.

-- Immutability -----------------------------------------------------------------------------------------
create function onyx.payout_runs_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.status <> 'draft' then
      raise exception 'a payout run starts as a draft' using errcode = '55000';
    end if;
    new.total_payout := 0;  -- a new run has no lines yet
    return new;
  end if;

  if tg_op = 'DELETE' then
    -- deleting the agency removes everything it owns, finalized history included
    if old.status <> 'draft' and exists (select 1 from onyx.agencies a where a.id = old.agency_id) then
      raise exception 'payout run % is % and cannot be deleted', old.id, old.status using errcode = '55000';
    end if;
    return old;
  end if;

  -- UPDATE
  if old.status = 'draft' then
    if new.status not in ('draft', 'finalized') then
      raise exception 'a draft payout run can only be finalized' using errcode = '55000';
    end if;
    -- total_payout is what the run pays: always the sum of its lines, never a figure typed into the run
    -- (a manager may update a draft directly, and finalizing freezes whatever total it then has)
    new.total_payout := coalesce((select sum(i.total_payout) from onyx.payout_items i where i.run_id = new.id), 0);
  elsif old.status = 'finalized' then
    if new.status not in ('finalized', 'paid')
       or (new.agency_id, new.period_start, new.period_end, new.total_payout, new.currency, new.calculated_at,
           new.created_by, new.finalized_at, new.finalized_by, new.created_at)
          is distinct from
          (old.agency_id, old.period_start, old.period_end, old.total_payout, old.currency, old.calculated_at,
           old.created_by, old.finalized_at, old.finalized_by, old.created_at) then
      raise exception 'payout run % is finalized and immutable (it can only be marked paid)', old.id
        using errcode = '55000';
    end if;
  else
    raise exception 'payout run % is paid and immutable', old.id using errcode = '55000';
  end if;
  return new;
end
$$;
comment on function onyx.payout_runs_guard() is
  'Trigger: draft → finalized → paid only; finalized and paid runs are frozen; a draft''s total_payout is the sum of its items.';
revoke all on function onyx.payout_runs_guard() from public, anon, authenticated;

create trigger payout_runs_guard
  before insert or update or delete on onyx.payout_runs
  for each row execute function onyx.payout_runs_guard();

create function onyx.payout_items_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_status text;
  v_row onyx.payout_items := case when tg_op = 'DELETE' then old else new end;
begin
  select r.status into v_status from onyx.payout_runs r where r.id = v_row.run_id;
  if v_status is null or v_status = 'draft' then
    return v_row;  -- a draft (or a run already deleted with its agency) may change freely
  end if;
  if tg_op = 'DELETE' and not exists (select 1 from onyx.agencies a where a.id = old.agency_id) then
    return old;  -- the agency is being deleted: its history goes with it, whatever order the cascades run in
  end if;
  if tg_op = 'UPDATE'
     and (to_jsonb(new) - array['status', 'updated_at', 'total_payout']) = (to_jsonb(old) - array['status', 'updated_at', 'total_payout'])
     and (old.status, new.status) in (('pending', 'processing'), ('pending', 'paid'), ('pending', 'failed'),
                                      ('processing', 'paid'), ('processing', 'failed'), ('failed', 'processing'),
                                      ('failed', 'paid'), ('pending', 'pending'), ('processing', 'processing'),
                                      ('paid', 'paid'), ('failed', 'failed')) then
    return new;  -- payment progress of one person is still tracked after finalization
  end if;
  raise exception 'payout run % is % and its items are immutable', v_row.run_id, v_status using errcode = '55000';
end
$$;
comment on function onyx.payout_items_guard() is 'Trigger: items of a finalized or paid run only change their payment status.';
revoke all on function onyx.payout_items_guard() from public, anon, authenticated;

create trigger payout_items_guard
  before insert or update or delete on onyx.payout_items
  for each row execute function onyx.payout_items_guard();

-- The run total follows its (rounded) items, so a hand-entered bonus on a draft keeps the run footing.
create function onyx.payout_items_sync_run_total()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_run uuid := case when tg_op = 'DELETE' then old.run_id else new.run_id end;
begin
  update onyx.payout_runs r
     set total_payout = coalesce((select sum(i.total_payout) from onyx.payout_items i where i.run_id = v_run), 0)
   where r.id = v_run
     and r.status = 'draft'
     and r.total_payout is distinct from
         coalesce((select sum(i.total_payout) from onyx.payout_items i where i.run_id = v_run), 0);
  return null;
end
$$;
comment on function onyx.payout_items_sync_run_total() is 'Trigger: keeps payout_runs.total_payout = Σ item totals on drafts.';
revoke all on function onyx.payout_items_sync_run_total() from public, anon, authenticated;

create trigger payout_items_sync_run_total
  after insert or update or delete on onyx.payout_items
  for each row execute function onyx.payout_items_sync_run_total();

-- Caller check shared by the three RPCs ----------------------------------------------------------------
create function private.onyx_assert_payout_manager(p_agency_id uuid)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if (select auth.uid()) is null then
    if not coalesce((select r.rolbypassrls from pg_catalog.pg_roles r where r.rolname = current_user), false) then
      raise exception 'payouts need an owner or admin, or the service role' using errcode = '42501';
    end if;
  elsif (select private.onyx_agency_id()) is distinct from p_agency_id
        or not (select private.onyx_is_manager()) then
    raise exception 'only owners and admins of the agency manage its payouts' using errcode = '42501';
  end if;
end
$$;
comment on function private.onyx_assert_payout_manager(uuid) is
  'Raises 42501 unless the caller is an owner/admin of the agency, or a role that bypasses RLS with no user.';
revoke all on function private.onyx_assert_payout_manager(uuid) from public, anon;
grant execute on function private.onyx_assert_payout_manager(uuid) to authenticated, service_role;

-- calculate --------------------------------------------------------------------------------------------
create function onyx.calculate_payout_run(p_agency_id uuid, p_period_start date, p_period_end date)
returns onyx.payout_runs
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_agency onyx.agencies;
  v_run onyx.payout_runs;
  v_from timestamptz;
  v_to timestamptz;
  v_person record;
  v_seconds numeric;
  v_open integer;
  v_sales numeric;
  v_commission_base numeric;
  v_hourly_pay numeric(12, 2);
  v_commission_pay numeric(12, 2);
  v_notes text[];
begin
  if p_agency_id is null or p_period_start is null or p_period_end is null then
    raise exception 'agency_id, period_start and period_end are required' using errcode = '22023';
  end if;
  if p_period_end < p_period_start then
    raise exception 'period_end (%) is before period_start (%)', p_period_end, p_period_start using errcode = '22023';
  end if;
  if p_period_end - p_period_start > 366 then
    raise exception 'a payout period spans at most 367 days' using errcode = '22023';
  end if;

  perform private.onyx_assert_payout_manager(p_agency_id);

  select * into v_agency from onyx.agencies a where a.id = p_agency_id;
  if not found then
    raise exception 'agency % not found', p_agency_id using errcode = 'P0002';
  end if;

  if exists (select 1 from onyx.payout_runs r
              where r.agency_id = p_agency_id and r.status <> 'draft'
                and r.period_start <= p_period_end and r.period_end >= p_period_start
                and (r.period_start, r.period_end) <> (p_period_start, p_period_end)) then
    raise exception 'the period overlaps a finalized payout run' using errcode = '22023';
  end if;

  -- the period's edges, as instants, in the agency's time zone
  v_from := p_period_start::timestamp at time zone v_agency.timezone;
  v_to := (p_period_end + 1)::timestamp at time zone v_agency.timezone;

  select * into v_run from onyx.payout_runs r
   where r.agency_id = p_agency_id and r.period_start = p_period_start and r.period_end = p_period_end
   for update;
  if found then
    if v_run.status <> 'draft' then
      raise exception 'payout run % for this period is % and cannot be recalculated', v_run.id, v_run.status
        using errcode = '55000';
    end if;
    delete from onyx.payout_items i where i.run_id = v_run.id;  -- recalculating replaces the draft's lines
  else
    insert into onyx.payout_runs (agency_id, period_start, period_end, currency, created_by)
    values (p_agency_id, p_period_start, p_period_end, v_agency.currency,
            (select p.id from onyx.profiles p where p.id = (select auth.uid())))
    returning * into v_run;
  end if;

  for v_person in
    select p.id, p.username, p.role, s.id as settings_id, s.pay_model, s.currency, s.hourly_rate, s.commission_percent
      from onyx.profiles p
      left join onyx.payout_settings s on s.profile_id = p.id and s.agency_id = p.agency_id
     where p.agency_id = p_agency_id and p.role <> 'owner'
     order by p.username, p.id
  loop
    v_notes := '{}';

    select coalesce(sum(extract(epoch from (least(t.clock_out, v_to) - greatest(t.clock_in, v_from)))), 0)
      into v_seconds
      from onyx.timesheets t
     where t.agency_id = p_agency_id and t.employee_id = v_person.id and t.status = 'completed'
       and t.clock_in < v_to and t.clock_out > v_from;

    select count(*) into v_open
      from onyx.timesheets t
     where t.agency_id = p_agency_id and t.employee_id = v_person.id and t.status = 'active' and t.clock_in < v_to;
    if v_open > 0 then
      v_notes := v_notes || format('%s open timesheet entry not counted (no clock-out yet)', v_open);
    end if;

    -- revenue of the models the person was assigned to, day by day, with the rate in force that day
    select coalesce(sum(rs.net_total), 0),
           coalesce(sum(rs.net_total * coalesce(x.commission_override, v_person.commission_percent, 0)), 0)
      into v_sales, v_commission_base
      from onyx.revenue_snapshots rs
      cross join lateral (
        select a.commission_override
          from onyx.model_assignments a
         where a.agency_id = p_agency_id and a.profile_id = v_person.id and a.model_id = rs.model_id
           and a.assigned_from <= rs.snapshot_date
           and (a.assigned_until is null or a.assigned_until >= rs.snapshot_date)
         order by a.assigned_from desc
         limit 1
      ) x
     where rs.agency_id = p_agency_id and rs.snapshot_date between p_period_start and p_period_end;

    if v_person.settings_id is null then
      v_hourly_pay := 0;
      v_commission_pay := 0;
      v_notes := array['no payout settings: nothing is paid until they are set'] || v_notes;
    elsif v_person.currency <> v_agency.currency then
      v_hourly_pay := 0;
      v_commission_pay := 0;
      v_notes := array[format('payout settings currency %s differs from the agency currency %s: not paid',
                              v_person.currency, v_agency.currency)] || v_notes;
    else
      v_hourly_pay := case when v_person.pay_model in ('hourly', 'hybrid')
                           then round(v_seconds * v_person.hourly_rate / 3600, 2) else 0 end;
      v_commission_pay := case when v_person.pay_model in ('commission', 'hybrid')
                               then round(v_commission_base, 2) else 0 end;
    end if;

    insert into onyx.payout_items (
      agency_id, run_id, profile_id, username, role, pay_model, currency, period_start, period_end,
      hourly_rate, commission_percent, hours_worked, hourly_pay, sales_generated, commission_pay, note)
    values (
      p_agency_id, v_run.id, v_person.id, v_person.username, v_person.role, v_person.pay_model,
      v_agency.currency, p_period_start, p_period_end, v_person.hourly_rate, v_person.commission_percent,
      round(v_seconds / 3600, 2), v_hourly_pay, round(v_sales, 2), v_commission_pay,
      nullif(array_to_string(v_notes, '; '), ''));
  end loop;

  update onyx.payout_runs r
     set total_payout = coalesce((select sum(i.total_payout) from onyx.payout_items i where i.run_id = v_run.id), 0),
         calculated_at = now()
   where r.id = v_run.id
  returning * into v_run;
  return v_run;
end
$$;
comment on function onyx.calculate_payout_run(uuid, date, date) is
  'Creates or recalculates the draft payout run of an agency for [period_start, period_end] (agency-local '
  'dates): one item per non-owner member. Owners/admins, or the service role. Raises 42501, 22023, P0002, 55000.';
revoke all on function onyx.calculate_payout_run(uuid, date, date) from public, anon;
grant execute on function onyx.calculate_payout_run(uuid, date, date) to authenticated, service_role;

-- finalize / mark paid ---------------------------------------------------------------------------------
-- The agency of a run whatever the caller may read. SECURITY DEFINER: runs are readable only by their own
-- agency's managers, so under the caller's row level security a manager of another agency would see no run,
-- and the caller check would be made against the caller's own agency (and pass) instead of the run's. It
-- reveals nothing beyond what the check then refuses (42501), and is not exposed (schema private).
create function private.onyx_payout_run_agency(p_run_id uuid)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select r.agency_id from onyx.payout_runs r where r.id = p_run_id
$$;
comment on function private.onyx_payout_run_agency(uuid) is
  'The agency of a payout run, whatever the caller may read (SECURITY DEFINER), for the caller check of the payout RPCs.';
revoke all on function private.onyx_payout_run_agency(uuid) from public, anon;
grant execute on function private.onyx_payout_run_agency(uuid) to authenticated, service_role;

-- The common first half of both transitions: authorise, lock the run, check its status. Security invoker
-- (it runs with the caller's rights, like the two RPCs); in private because it is not an API of its own.
create function private.onyx_lock_payout_run(p_run_id uuid, p_from_status text, p_refusal text)
returns onyx.payout_runs
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_run onyx.payout_runs;
  v_agency uuid;
begin
  -- the agency is looked up before the caller check, past row level security (a stranger sees no run), so
  -- that a stranger gets 42501 rather than "not found"
  v_agency := private.onyx_payout_run_agency(p_run_id);
  perform private.onyx_assert_payout_manager(coalesce(v_agency, (select private.onyx_agency_id())));
  select * into v_run from onyx.payout_runs r where r.id = p_run_id for update;
  if not found then
    raise exception 'payout run % not found', p_run_id using errcode = 'P0002';
  end if;
  if v_run.status <> p_from_status then
    raise exception 'payout run % is %; %', p_run_id, v_run.status, p_refusal using errcode = '55000';
  end if;
  return v_run;
end
$$;
comment on function private.onyx_lock_payout_run(uuid, text, text) is
  'Authorises the caller for a payout run, locks it and checks its status. Raises 42501, P0002, 55000.';
revoke all on function private.onyx_lock_payout_run(uuid, text, text) from public, anon;
grant execute on function private.onyx_lock_payout_run(uuid, text, text) to authenticated, service_role;

create function onyx.finalize_payout_run(p_run_id uuid)
returns onyx.payout_runs
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_run onyx.payout_runs;
begin
  perform private.onyx_lock_payout_run(p_run_id, 'draft', 'only a draft run can be finalized');
  update onyx.payout_runs r
     set status = 'finalized', finalized_at = now(),
         finalized_by = (select p.id from onyx.profiles p where p.id = (select auth.uid()))
   where r.id = p_run_id
  returning * into v_run;
  return v_run;
end
$$;
comment on function onyx.finalize_payout_run(uuid) is
  'draft → finalized: the run and its items become immutable. Owners/admins or the service role. Raises 42501, P0002, 55000.';
revoke all on function onyx.finalize_payout_run(uuid) from public, anon;
grant execute on function onyx.finalize_payout_run(uuid) to authenticated, service_role;

create function onyx.mark_payout_run_paid(p_run_id uuid)
returns onyx.payout_runs
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_run onyx.payout_runs;
begin
  perform private.onyx_lock_payout_run(p_run_id, 'finalized', 'only a finalized run can be marked paid');
  update onyx.payout_runs r set status = 'paid', paid_at = now() where r.id = p_run_id returning * into v_run;
  update onyx.payout_items i set status = 'paid' where i.run_id = p_run_id and i.status <> 'paid';
  return v_run;
end
$$;
comment on function onyx.mark_payout_run_paid(uuid) is
  'finalized → paid, and every item of the run is marked paid. Owners/admins or the service role. Raises 42501, P0002, 55000.';
revoke all on function onyx.mark_payout_run_paid(uuid) from public, anon;
grant execute on function onyx.mark_payout_run_paid(uuid) to authenticated, service_role;
