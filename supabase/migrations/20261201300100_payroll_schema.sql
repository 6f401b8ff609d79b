-- run-payroll, part 2: the money and hours columns of payroll_runs / paystubs, the time-entry lock, the
-- immutability rules of approved runs, and the small helpers the computation uses.
--
-- payroll_runs and paystubs are created by the ODYSSEY-1 schema migration; this file only ALTERs them
-- (every column `if not exists`, so it also works where the schema migration already has one of them).

-- payroll_runs ---------------------------------------------------------------------------------------------
alter table public.payroll_runs
  add column if not exists period_start date,
  add column if not exists period_end date,
  add column if not exists pay_date date,
  add column if not exists kind text default 'regular',
  add column if not exists status text default 'draft',
  add column if not exists created_by uuid references auth.users(id),
  add column if not exists approved_by uuid references auth.users(id),
  add column if not exists approved_at timestamptz,
  add column if not exists paid_by uuid references auth.users(id),
  add column if not exists paid_at timestamptz,
  add column if not exists voided_by uuid references auth.users(id),
  add column if not exists voided_at timestamptz,
  add column if not exists window_start timestamptz,
  add column if not exists window_end timestamptz,
  add column if not exists employees_processed integer not null default 0,
  add column if not exists paystubs_created integer not null default 0,
  add column if not exists total_gross numeric(14,2) not null default 0,
  add column if not exists total_employee_taxes numeric(14,2) not null default 0,
  add column if not exists total_employer_taxes numeric(14,2) not null default 0,
  add column if not exists total_net numeric(14,2) not null default 0,
  add column if not exists total_amount numeric(14,2) not null default 0,
  add column if not exists calculated_at timestamptz,
  add column if not exists details jsonb not null default '{}'::jsonb;

alter table public.payroll_runs
  add constraint payroll_runs_period_order check (period_end >= period_start),
  add constraint payroll_runs_totals_foot check (total_net = total_gross - total_employee_taxes),
  add constraint payroll_runs_window_order check (window_end is null or window_end > window_start);

comment on column public.payroll_runs.window_start is 'Start (inclusive) of the whole workweeks this run pays, in the organization''s timezone: a workweek is paid in the period in which it ends.';
comment on column public.payroll_runs.window_end is 'End (exclusive) of the whole workweeks this run pays.';
comment on column public.payroll_runs.total_employee_taxes is 'Sum of every withheld line of the run''s stubs (FIT, Social Security, Medicare, Additional Medicare, other deductions).';
comment on column public.payroll_runs.total_employer_taxes is 'Employer match: Social Security plus the 1.45% Medicare of the employee stubs (no match on Additional Medicare).';
comment on column public.payroll_runs.total_amount is 'Cost of the run to the employer: total gross plus total_employer_taxes.';
comment on column public.payroll_runs.details is 'Rules applied (settings, period alignment rule, tax year and source), validation errors [{employee_id, reason, message}] and skipped employees [{employee_id, reason}].';

-- One live regular run per organization and period (void runs do not count); off-cycle runs are extra.
create unique index if not exists payroll_runs_one_regular_per_period
  on public.payroll_runs (organization_id, period_start, period_end)
  where kind = 'regular' and status <> 'void';
create index if not exists payroll_runs_org_pay_date_idx on public.payroll_runs (organization_id, pay_date);
create index if not exists payroll_runs_created_by_idx on public.payroll_runs (created_by);
create index if not exists payroll_runs_approved_by_idx on public.payroll_runs (approved_by);
create index if not exists payroll_runs_paid_by_idx on public.payroll_runs (paid_by);
create index if not exists payroll_runs_voided_by_idx on public.payroll_runs (voided_by);

-- paystubs -------------------------------------------------------------------------------------------------
alter table public.paystubs
  add column if not exists organization_id bigint references public.organizations(id) on delete cascade,
  add column if not exists worker_type text not null default 'employee',
  add column if not exists period_start date,
  add column if not exists period_end date,
  add column if not exists pay_date date,
  add column if not exists status text default 'prepared',
  add column if not exists regular_hours numeric(10,4) not null default 0,
  add column if not exists overtime_hours numeric(10,4) not null default 0,
  add column if not exists double_time_hours numeric(10,4) not null default 0,
  add column if not exists regular_pay numeric(12,2) not null default 0,
  add column if not exists overtime_pay numeric(12,2) not null default 0,
  add column if not exists double_time_pay numeric(12,2) not null default 0,
  add column if not exists salary_pay numeric(12,2) not null default 0,
  add column if not exists gross_pay numeric(12,2) not null default 0,
  add column if not exists federal_income_tax numeric(12,2) not null default 0,
  add column if not exists social_security_tax numeric(12,2) not null default 0,
  add column if not exists medicare_tax numeric(12,2) not null default 0,
  add column if not exists additional_medicare_tax numeric(12,2) not null default 0,
  add column if not exists other_deductions numeric(12,2) not null default 0,
  add column if not exists net_pay numeric(12,2) not null default 0,
  add column if not exists ytd_regular_pay numeric(14,2) not null default 0,
  add column if not exists ytd_overtime_pay numeric(14,2) not null default 0,
  add column if not exists ytd_double_time_pay numeric(14,2) not null default 0,
  add column if not exists ytd_salary_pay numeric(14,2) not null default 0,
  add column if not exists ytd_gross_pay numeric(14,2) not null default 0,
  add column if not exists ytd_federal_income_tax numeric(14,2) not null default 0,
  add column if not exists ytd_social_security_tax numeric(14,2) not null default 0,
  add column if not exists ytd_medicare_tax numeric(14,2) not null default 0,
  add column if not exists ytd_additional_medicare_tax numeric(14,2) not null default 0,
  add column if not exists ytd_other_deductions numeric(14,2) not null default 0,
  add column if not exists ytd_net_pay numeric(14,2) not null default 0,
  add column if not exists details jsonb not null default '{}'::jsonb,
  add column if not exists approved_by uuid references auth.users(id),
  add column if not exists approved_at timestamptz,
  add column if not exists processed_by uuid references auth.users(id),
  add column if not exists processed_at timestamptz,
  add column if not exists notes text;

alter table public.paystubs
  add constraint paystubs_worker_type_check check (worker_type in ('employee', 'contractor')),
  add constraint paystubs_gross_foots check (
    gross_pay = regular_pay + overtime_pay + double_time_pay + salary_pay),
  add constraint paystubs_net_foots check (
    net_pay = gross_pay - federal_income_tax - social_security_tax - medicare_tax
              - additional_medicare_tax - other_deductions),
  add constraint paystubs_contractor_untaxed check (
    worker_type = 'employee' or (federal_income_tax = 0 and social_security_tax = 0 and medicare_tax = 0
                                 and additional_medicare_tax = 0 and net_pay = gross_pay));

comment on column public.paystubs.worker_type is 'employee (W-2 wages, taxes withheld) or contractor (a 1099 payment: gross = net, no withholding, no overtime).';
comment on column public.paystubs.regular_hours is 'Hours rounded to 4 decimals for display; pay is computed from the exact seconds worked, then rounded once.';
comment on column public.paystubs.salary_pay is 'Annual salary / pay periods per year, rounded half-up to the cent; the remainder cent is not trued up later in the year (documented policy). Prorated by calendar days for a hire or termination inside the period.';
comment on column public.paystubs.details is 'Per-workweek breakdown [{week_start, week_end, worked_hours, regular_hours, overtime_hours, double_time_hours, days_worked}], the rate, the W-4 used and the FICA wage bases.';

comment on column public.paystubs.approved_by is 'Who approved the stub: the approval of its run (approved_by/at are the run''s).';
comment on column public.paystubs.processed_by is 'Who processed (paid) the stub: the payment of its run (processed_by/at are the run''s paid_by/at).';
comment on column public.paystubs.notes is 'Free notes on the stub; still editable once the run is approved (the amounts are not).';

create unique index if not exists paystubs_run_employee_key on public.paystubs (payroll_run_id, employee_id);
create index if not exists paystubs_approved_by_idx on public.paystubs (approved_by);
create index if not exists paystubs_processed_by_idx on public.paystubs (processed_by);
create index if not exists paystubs_employee_pay_date_idx on public.paystubs (employee_id, pay_date);
create index if not exists paystubs_organization_idx on public.paystubs (organization_id);

-- time_entries: which approved run paid (and locked) the entry -------------------------------------------
alter table public.time_entries
  add column if not exists payroll_run_id bigint references public.payroll_runs(id);
comment on column public.time_entries.payroll_run_id is 'The approved payroll run that paid this entry; while that run is approved or paid the entry cannot be edited or deleted (corrections go through an off-cycle run).';
create index if not exists time_entries_payroll_run_idx on public.time_entries (payroll_run_id);
create index if not exists time_entries_org_clock_in_idx on public.time_entries (organization_id, clock_in);

-- tax_info is parsed inline in private.payroll_compute (missing amount = 0, a non-negative number or decimal
-- string as given, anything else invalid and reported), not by helper functions: a function call per
-- employee and field cost more than the rest of the computation.

-- The caller's role in an organization (security definer: reads memberships without RLS recursion).
create or replace function private.payroll_org_role(p_org_id bigint) returns text
language sql stable security definer set search_path = ''
as $$
  select u.role from public.user_organizations u
  where u.organization_id = p_org_id and u.user_id = (select auth.uid())
  limit 1
$$;
comment on function private.payroll_org_role(bigint) is 'The role (owner/admin/member) of auth.uid() in the organization, or NULL for a non-member. SECURITY DEFINER so that policies and the payroll RPCs can read memberships without depending on user_organizations RLS.';
revoke all on function private.payroll_org_role(bigint) from public, anon;
grant execute on function private.payroll_org_role(bigint) to authenticated, service_role;

-- Authorization of the payroll RPCs (security invoker, so current_user is the caller's role):
-- authenticated callers must be owner or admin of the organization (a member gets PR403, an outsider
-- PR404 so that they learn nothing); service_role and the owner role postgres are trusted.
create or replace function private.payroll_authorize(p_org_id bigint) returns void
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_role text;
begin
  if current_user in ('service_role', 'postgres') then
    return;
  end if;
  if current_user <> 'authenticated' or (select auth.uid()) is null then
    raise exception using errcode = 'PR403', message = 'payroll requires a signed-in owner or admin', detail = 'forbidden';
  end if;
  v_role := private.payroll_org_role(p_org_id);
  if v_role is null then
    raise exception using errcode = 'PR404', message = 'organization not found', detail = 'not_found';
  elsif v_role not in ('owner', 'admin') then
    raise exception using errcode = 'PR403', message = 'only an owner or admin of the organization may run payroll', detail = 'forbidden';
  end if;
end
$$;
comment on function private.payroll_authorize(bigint) is 'Raises PR404 (outsider) or PR403 (member, not owner/admin) unless the caller may run payroll for the organization.';
revoke all on function private.payroll_authorize(bigint) from public, anon;
grant execute on function private.payroll_authorize(bigint) to authenticated, service_role;

-- Immutability: an approved, paid or void run only moves along its lifecycle; its stubs only change status.
create or replace function private.payroll_runs_guard() returns trigger
language plpgsql set search_path = ''
as $$
declare
  v_lifecycle text[] := array['status', 'approved_by', 'approved_at', 'paid_by', 'paid_at', 'voided_by',
                              'voided_at', 'updated_at'];
begin
  if tg_op = 'INSERT' then
    -- a run inserted as approved, paid or void would hold its period without stubs or locks (and a paid run
    -- can be neither voided nor deleted): runs start as drafts and move by update
    if new.status is distinct from 'draft' then
      raise exception using errcode = 'PR409', message = format('a payroll run starts as a draft, not %s', new.status), detail = 'invalid_transition';
    end if;
    return new;
  end if;
  if tg_op = 'DELETE' then
    -- deleting the whole organization (cascade) is the one way a non-draft run goes away
    if old.status <> 'draft' and exists (select 1 from public.organizations o where o.id = old.organization_id) then
      raise exception using errcode = 'PR409', message = format('payroll run %s is %s and cannot be deleted', old.id, old.status), detail = 'run_immutable';
    end if;
    return old;
  end if;
  if old.status <> 'draft' and (to_jsonb(new) - v_lifecycle) is distinct from (to_jsonb(old) - v_lifecycle) then
    raise exception using errcode = 'PR409', message = format('payroll run %s is %s: its amounts cannot change; use an off-cycle run', old.id, old.status), detail = 'run_immutable';
  end if;
  if new.status is distinct from old.status and not (
       (old.status = 'draft' and new.status in ('approved', 'void'))
    or (old.status = 'approved' and new.status in ('paid', 'void'))) then
    raise exception using errcode = 'PR409', message = format('payroll run %s cannot go from %s to %s', old.id, old.status, new.status), detail = 'invalid_transition';
  end if;
  -- a draft's totals are the sums of its stubs, never figures typed into the run (an owner/admin may update a
  -- draft directly, and approving freezes whatever totals it then has); the employer's share is the Social
  -- Security match plus the 1.45% Medicare match, as private.payroll_write_run computes it
  if old.status = 'draft' then
    select count(*), coalesce(sum(p.gross_pay), 0),
           coalesce(sum(p.federal_income_tax + p.social_security_tax + p.medicare_tax + p.additional_medicare_tax
                        + p.other_deductions), 0),
           coalesce(sum(p.social_security_tax + p.medicare_tax), 0), coalesce(sum(p.net_pay), 0)
      into new.paystubs_created, new.total_gross, new.total_employee_taxes, new.total_employer_taxes, new.total_net
      from public.paystubs p where p.payroll_run_id = new.id;
    new.total_amount := new.total_gross + new.total_employer_taxes;
  end if;
  -- who moved the run and when, also when an owner/admin updates the status directly through the API
  if new.status is distinct from old.status then
    if new.status = 'approved' then
      new.approved_by := coalesce(new.approved_by, (select auth.uid()));
      new.approved_at := coalesce(new.approved_at, now());
    elsif new.status = 'paid' then
      new.paid_by := coalesce(new.paid_by, (select auth.uid()));
      new.paid_at := coalesce(new.paid_at, now());
    elsif new.status = 'void' then
      new.voided_by := coalesce(new.voided_by, (select auth.uid()));
      new.voided_at := coalesce(new.voided_at, now());
    end if;
  end if;
  return new;
end
$$;
comment on function private.payroll_runs_guard() is 'Trigger: a run starts as a draft; approved/paid/void runs are immutable except for their lifecycle columns; a draft''s totals are the sums of its stubs; status moves draft -> approved -> paid, or to void from draft/approved, stamping who and when; only drafts can be deleted (except when the whole organization is deleted).';
revoke all on function private.payroll_runs_guard() from public, anon, authenticated;

create trigger payroll_runs_guard before insert or update or delete on public.payroll_runs
  for each row execute function private.payroll_runs_guard();

-- What a status change does, whoever makes it: public.payroll_run_action, or an owner/admin updating the run
-- directly (the update policy lets them, as the API would). Approving marks the stubs approved and locks the
-- time entries the run paid (an off-cycle run then never pays them again); paying marks the stubs processed;
-- voiding voids them and releases the entries. Security invoker, like payroll_run_action: the caller who may
-- update the run (owner/admin under RLS, or the service) may write its stubs and entries.
create or replace function private.payroll_run_status_effects() returns trigger
language plpgsql set search_path = ''
as $$
begin
  if new.status = 'approved' then
    update public.paystubs p set status = 'approved', approved_by = new.approved_by, approved_at = new.approved_at
    where p.payroll_run_id = new.id;
    update public.time_entries t set payroll_run_id = new.id
    where t.organization_id = new.organization_id
      and t.payroll_run_id is null
      and t.clock_out > t.clock_in
      and t.clock_in < new.window_end and t.clock_out > new.window_start
      and exists (select 1 from public.paystubs p where p.payroll_run_id = new.id and p.employee_id = t.employee_id);
  elsif new.status = 'paid' then
    update public.paystubs p set status = 'processed', processed_by = new.paid_by, processed_at = new.paid_at
    where p.payroll_run_id = new.id;
  elsif new.status = 'void' then
    update public.paystubs p set status = 'voided' where p.payroll_run_id = new.id;
    update public.time_entries t set payroll_run_id = null where t.payroll_run_id = new.id;
  end if;
  return null;
end
$$;
comment on function private.payroll_run_status_effects() is 'Trigger (after a status change of a payroll run): approve -> stubs approved (with the run''s approved_by/at) and the paid time entries locked; paid -> stubs processed (processed_by/at = the run''s paid_by/at); void -> stubs voided and the entries released.';
revoke all on function private.payroll_run_status_effects() from public, anon, authenticated;

create trigger payroll_run_status_effects after update of status on public.payroll_runs
  for each row when (new.status is distinct from old.status)
  execute function private.payroll_run_status_effects();

-- Statement-level (transition tables): one check per statement, not one query per stub of a 10,000-stub run.
create or replace function private.paystubs_guard() returns trigger
language plpgsql set search_path = ''
as $$
declare
  v_run bigint;
begin
  if tg_op = 'INSERT' then
    select n.payroll_run_id into v_run from new_rows n
    join public.payroll_runs r on r.id = n.payroll_run_id
    where r.status <> 'draft' limit 1;
  elsif tg_op = 'UPDATE' then
    -- EXECUTE: planned for the real row count (a cached plan assumes one-row transition tables and would
    -- pair old and new rows in a nested loop: quadratic for a recalculated run of hundreds of stubs). min(),
    -- not LIMIT 1: under a LIMIT the planner expects an early match and pairs the rows in a nested loop again,
    -- and when nothing matches, which is every legitimate update, that loop runs to the end
    execute $q$
      select min(o.payroll_run_id) from old_rows o
      join public.payroll_runs r on r.id = o.payroll_run_id
      join new_rows n on n.id = o.id
      where r.status <> 'draft'
        and (to_jsonb(n) - array['status', 'updated_at', 'approved_by', 'approved_at', 'processed_by', 'processed_at', 'notes'])
            is distinct from
            (to_jsonb(o) - array['status', 'updated_at', 'approved_by', 'approved_at', 'processed_by', 'processed_at', 'notes'])
    $q$ into v_run;
  else
    select o.payroll_run_id into v_run from old_rows o
    join public.payroll_runs r on r.id = o.payroll_run_id
    where r.status <> 'draft' limit 1;
  end if;
  if v_run is not null then
    raise exception using errcode = 'PR409', message = format('paystubs of non-draft payroll run %s cannot change (only their status and stamps follow the run, and their notes stay editable)', v_run), detail = 'run_immutable';
  end if;
  return null;
end
$$;
comment on function private.paystubs_guard() is 'Trigger (per statement): stubs of a non-draft run cannot be inserted, deleted or edited; only their status and approved/processed stamps follow the run, and their notes stay editable.';
revoke all on function private.paystubs_guard() from public, anon, authenticated;

create trigger paystubs_guard_insert after insert on public.paystubs
  referencing new table as new_rows for each statement execute function private.paystubs_guard();
create trigger paystubs_guard_update after update on public.paystubs
  referencing old table as old_rows new table as new_rows for each statement execute function private.paystubs_guard();
create trigger paystubs_guard_delete after delete on public.paystubs
  referencing old table as old_rows for each statement execute function private.paystubs_guard();

-- Time entries paid by an approved run are locked. The lock is set only by approving a run that has a stub
-- for the employee, and released only by voiding that run.
-- SECURITY DEFINER: the lock must hold whoever edits the entry, and an employee may edit their own unapproved
-- entries but may not read payroll runs; under the caller's row level security the run would be invisible
-- and the lock skipped. It reads only the run and stubs named by the row being changed.
create or replace function private.time_entries_payroll_lock() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_status text;
begin
  if tg_op = 'INSERT' then
    if new.payroll_run_id is not null then
      raise exception using errcode = 'PR409', message = 'a new time entry cannot be created as already paid', detail = 'invalid_lock';
    end if;
    return new;
  end if;
  if old.payroll_run_id is not null then
    select r.status into v_status from public.payroll_runs r where r.id = old.payroll_run_id;
    if v_status in ('approved', 'paid')
       and (tg_op <> 'DELETE' or exists (select 1 from public.organizations o where o.id = old.organization_id)) then
      raise exception using errcode = 'PR409',
        message = format('time entry %s was paid by %s payroll run %s and is locked; corrections go through an off-cycle run', old.id, v_status, old.payroll_run_id),
        detail = 'time_entry_locked';
    end if;
    -- a void run released its entries: they may be edited again (and the lock cleared)
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  if new.payroll_run_id is not null and new.payroll_run_id is distinct from old.payroll_run_id then
    if not exists (select 1 from public.payroll_runs r join public.paystubs p on p.payroll_run_id = r.id
                   where r.id = new.payroll_run_id and r.status = 'approved'
                     and p.employee_id = new.employee_id and r.organization_id = new.organization_id) then
      raise exception using errcode = 'PR409', message = format('time entry %s can only be locked by an approved run that paid it', new.id), detail = 'invalid_lock';
    end if;
  end if;
  return new;
end
$$;
comment on function private.time_entries_payroll_lock() is 'Trigger: refuses edits and deletes of time entries paid by an approved or paid run; the lock column is set only by approval.';
revoke all on function private.time_entries_payroll_lock() from public, anon, authenticated;

create trigger time_entries_payroll_lock before insert or update or delete on public.time_entries
  for each row execute function private.time_entries_payroll_lock();
