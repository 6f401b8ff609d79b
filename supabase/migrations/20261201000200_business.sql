-- Business operations: employees, customers, bids, invoices, time entries, appointments, payroll runs and
-- paystubs. Every row belongs to one organization (organization_id); members reach it through the private
-- membership helpers. The money columns of payroll_runs/paystubs are added by the run-payroll migration.

-- employees ------------------------------------------------------------------------------------------------
create table public.employees (
  id bigserial primary key,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  user_id uuid references auth.users (id),
  employee_number text unique,
  full_name text not null,
  email text,
  phone text,
  hire_date date,
  termination_date date,
  job_title text,
  department text,
  hourly_rate numeric(10,2),
  salary numeric(10,2),
  pay_type text check (pay_type in ('hourly', 'salary')),
  employment_type text check (employment_type in ('full_time', 'part_time', 'contractor')),
  status text default 'active' check (status in ('active', 'inactive', 'terminated')),
  tax_info jsonb,
  direct_deposit jsonb,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  constraint employees_hourly_rate_check check (hourly_rate is null or hourly_rate >= 0),
  constraint employees_salary_check check (salary is null or salary >= 0),
  constraint employees_termination_after_hire check (termination_date is null or hire_date is null or termination_date >= hire_date)
);
comment on table public.employees is 'Employee records of an organization; optionally linked to a platform user (user_id).';
comment on column public.employees.tax_info is 'W-4 data used by payroll (filing status, steps 2-4).';
create index idx_employees_org on public.employees (organization_id);
create index idx_employees_user on public.employees (user_id);
create index idx_employees_status on public.employees (status);

-- customers ------------------------------------------------------------------------------------------------
create table public.customers (
  id bigserial primary key,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  name text not null,
  email text,
  phone text,
  address jsonb,
  company text,
  tax_id text,
  customer_since date default current_date,
  lifetime_value numeric(12,2) default 0,
  notes text,
  tags text[],
  stripe_customer_id text,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
comment on table public.customers is 'Customers/clients of an organization.';
create index idx_customers_org on public.customers (organization_id);
create index idx_customers_email on public.customers (email);
create index idx_customers_stripe on public.customers (stripe_customer_id);
-- search_customers must use exactly this expression to use the index
create index idx_customers_search on public.customers using gin (
  to_tsvector('english', name || ' ' || coalesce(email, '') || ' ' || coalesce(company, ''))
);

-- bids -----------------------------------------------------------------------------------------------------
create table public.bids (
  id bigserial primary key,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  customer_id bigint references public.customers (id) on delete cascade,
  bid_number text unique,
  title text not null,
  description text,
  status text default 'draft' check (status in ('draft', 'sent', 'accepted', 'rejected', 'expired')),
  subtotal numeric(12,2) not null,
  tax_rate numeric(5,4) default 0,
  tax_amount numeric(12,2) default 0,
  total numeric(12,2) not null,
  margin_percentage numeric(5,2),
  estimated_hours numeric(8,2),
  line_items jsonb default '[]',
  notes text,
  terms text,
  valid_until date,
  sent_at timestamptz,
  accepted_at timestamptz,
  created_by uuid references auth.users (id),
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
comment on table public.bids is 'Bid proposals for customer projects.';
create index idx_bids_org on public.bids (organization_id);
create index idx_bids_customer on public.bids (customer_id);
create index idx_bids_status on public.bids (status);
create index idx_bids_created_at on public.bids (created_at desc);
create index idx_bids_created_by on public.bids (created_by);

-- invoices -------------------------------------------------------------------------------------------------
create table public.invoices (
  id bigserial primary key,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  customer_id bigint references public.customers (id) on delete cascade,
  bid_id bigint references public.bids (id),
  invoice_number text unique not null,
  issue_date date default current_date,
  due_date date not null,
  status text default 'draft' check (status in ('draft', 'sent', 'paid', 'overdue', 'cancelled')),
  subtotal numeric(12,2) not null,
  tax_rate numeric(5,4) default 0,
  tax_amount numeric(12,2) default 0,
  total numeric(12,2) not null,
  amount_paid numeric(12,2) default 0,
  balance_due numeric(12,2) not null,
  line_items jsonb default '[]',
  notes text,
  terms text,
  payment_method text,
  stripe_payment_intent_id text,
  paid_at timestamptz,
  sent_at timestamptz,
  created_by uuid references auth.users (id),
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
comment on table public.invoices is 'Invoices sent to customers; payments reference them.';
create index idx_invoices_org on public.invoices (organization_id);
create index idx_invoices_customer on public.invoices (customer_id);
create index idx_invoices_status on public.invoices (status);
create index idx_invoices_due_date on public.invoices (due_date);
create index idx_invoices_stripe on public.invoices (stripe_payment_intent_id);
create index idx_invoices_bid on public.invoices (bid_id);
create index idx_invoices_created_by on public.invoices (created_by);

-- time_entries ---------------------------------------------------------------------------------------------
create table public.time_entries (
  id bigserial primary key,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  employee_id bigint references public.employees (id) on delete cascade,
  clock_in timestamptz not null,
  clock_out timestamptz,
  break_duration interval default '0 minutes',
  total_hours numeric(8,2),
  notes text,
  approved_by uuid references auth.users (id),
  approved_at timestamptz,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  constraint time_entries_clock_out_after_in check (clock_out is null or clock_out >= clock_in),
  constraint time_entries_break_not_negative check (break_duration is null or break_duration >= interval '0')
);
comment on table public.time_entries is 'Clock-in/clock-out records; employees manage their own unapproved entries, admins all.';
create index idx_time_entries_employee on public.time_entries (employee_id);
create index idx_time_entries_clock_in on public.time_entries (clock_in desc);
create index idx_time_entries_org on public.time_entries (organization_id);
create index idx_time_entries_approved_by on public.time_entries (approved_by);

-- appointments ---------------------------------------------------------------------------------------------
create table public.appointments (
  id bigserial primary key,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  customer_id bigint references public.customers (id) on delete cascade,
  title text not null,
  description text,
  start_time timestamptz not null,
  end_time timestamptz not null,
  location text,
  attendees text[] default '{}',
  reminder_minutes integer check (reminder_minutes is null or reminder_minutes >= 0),
  status text not null default 'scheduled' check (status in ('scheduled', 'completed', 'cancelled')),
  type text not null default 'meeting' check (type in ('meeting', 'call', 'event', 'reminder')),
  created_by uuid references auth.users (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint appointments_end_after_start check (end_time >= start_time)
);
comment on table public.appointments is 'Calendar appointments of an organization, optionally with a customer.';
create index idx_appointments_org on public.appointments (organization_id);
create index idx_appointments_customer on public.appointments (customer_id);
create index idx_appointments_start on public.appointments (start_time);
create index idx_appointments_created_by on public.appointments (created_by);

-- payroll_runs / paystubs ----------------------------------------------------------------------------------
create table public.payroll_runs (
  id bigserial primary key,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  period_start date not null,
  period_end date not null,
  pay_date date not null,
  status text not null default 'draft' check (status in ('draft', 'approved', 'paid', 'void')),
  kind text not null default 'regular' check (kind in ('regular', 'off_cycle', 'correction')),
  created_by uuid references auth.users (id),
  approved_by uuid references auth.users (id),
  approved_at timestamptz,
  paid_by uuid references auth.users (id),
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.payroll_runs is 'A payroll run of an organization for a pay period: draft → approved → paid, or void.';
create index idx_payroll_runs_org on public.payroll_runs (organization_id, period_start);
create index idx_payroll_runs_status on public.payroll_runs (status);
-- Index names shared with the run-payroll migration (it creates them `if not exists`; the period-order check
-- constraint payroll_runs_period_order is also added there).
create index payroll_runs_created_by_idx on public.payroll_runs (created_by);
create index payroll_runs_approved_by_idx on public.payroll_runs (approved_by);
create index payroll_runs_paid_by_idx on public.payroll_runs (paid_by);
-- one live regular run per organization and period (off-cycle and correction runs may repeat)
create unique index payroll_runs_one_regular_per_period on public.payroll_runs (organization_id, period_start, period_end)
  where kind = 'regular' and status <> 'void';

create table public.paystubs (
  id bigserial primary key,
  payroll_run_id bigint not null references public.payroll_runs (id) on delete cascade,
  employee_id bigint not null references public.employees (id),
  organization_id bigint not null references public.organizations (id) on delete cascade,
  status text not null default 'prepared' check (status in ('prepared', 'approved', 'processed', 'voided')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint paystubs_run_employee_key unique (payroll_run_id, employee_id)
);
comment on table public.paystubs is 'One pay statement per (payroll run, employee); its money columns come with run-payroll.';
create index idx_paystubs_employee on public.paystubs (employee_id);
create index paystubs_organization_idx on public.paystubs (organization_id);

-- A row never references a row of another organization: check_same_organization(<table>, <column>) on the
-- referencing table refuses, with the foreign-key error, a <column> whose public.<table> row has another
-- organization_id (or does not exist), so that ids of other tenants can neither be used nor probed.
-- Inserts are checked once per statement over the inserted rows (one set-based query however many rows a
-- statement writes, e.g. a payroll run's stubs); updates of the two columns row by row (transition tables
-- cannot go with a column list).
create function private.check_same_organization()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_table text := tg_argv[0];
  v_column text := tg_argv[1];
  v_ref bigint;
  v_org bigint;
  v_ok boolean;
begin
  -- AFTER triggers, so that row level security has refused a foreign tenant (42501) before this runs
  if tg_level = 'STATEMENT' then
    execute format(
      'select n.%1$I, n.organization_id from new_rows n where n.%1$I is not null and not exists'
      ' (select 1 from public.%2$I r where r.id = n.%1$I and r.organization_id = n.organization_id) limit 1',
      v_column, v_table) into v_ref, v_org;
    v_ok := v_ref is null;
  else
    v_ref := (to_jsonb(new) ->> v_column)::bigint;
    v_org := new.organization_id;
    if v_ref is null then
      return null;
    end if;
    execute format('select exists (select 1 from public.%I r where r.id = $1 and r.organization_id = $2)', v_table)
      into v_ok using v_ref, v_org;
  end if;
  if not v_ok then
    raise exception '%.% = % is not a row of organization %', tg_table_name, v_column, v_ref, v_org
      using errcode = '23503';
  end if;
  return null;
end
$$;
comment on function private.check_same_organization() is
  'Trigger (args: referenced table, column): refuses a reference to another organization''s row. SECURITY DEFINER so that the check sees the referenced row whatever the caller may read.';
revoke all on function private.check_same_organization() from public, anon, authenticated;

-- private.same_organization_triggers(<table>, <referenced table>, <column>, <trigger name>): the pair of
-- triggers (per statement on insert, per row on update of the column or organization_id).
create function private.same_organization_triggers(p_table text, p_ref_table text, p_column text, p_name text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  execute format('create trigger %I after insert on public.%I referencing new table as new_rows'
                 ' for each statement execute function private.check_same_organization(%L, %L)',
                 p_name || '_on_insert', p_table, p_ref_table, p_column);
  execute format('create trigger %I after update of %I, organization_id on public.%I'
                 ' for each row execute function private.check_same_organization(%L, %L)',
                 p_name, p_column, p_table, p_ref_table, p_column);
end
$$;
comment on function private.same_organization_triggers(text, text, text, text) is
  'Migration helper: installs the check_same_organization triggers of one reference (dropped by the billing migration).';
revoke all on function private.same_organization_triggers(text, text, text, text) from public, anon, authenticated;

select private.same_organization_triggers('time_entries', 'employees', 'employee_id', 'check_employee_organization');
select private.same_organization_triggers('paystubs', 'employees', 'employee_id', 'check_employee_organization');
select private.same_organization_triggers('paystubs', 'payroll_runs', 'payroll_run_id', 'check_run_organization');
select private.same_organization_triggers('bids', 'customers', 'customer_id', 'check_customer_organization');
select private.same_organization_triggers('invoices', 'customers', 'customer_id', 'check_customer_organization');
select private.same_organization_triggers('invoices', 'bids', 'bid_id', 'check_bid_organization');
select private.same_organization_triggers('appointments', 'customers', 'customer_id', 'check_customer_organization');

-- A row never moves to another organization (a move is a copy and a delete). The policies' WITH CHECK only
-- asks that the new organization_id be one of the caller's, which a user who belongs to two organizations
-- passes, and check_same_organization checks the referencing row, not the referenced one: moving a customer,
-- an employee or a run would leave the other organization's bids, invoices, time entries or paystubs pointing
-- into this one. Refused for every caller (integrity, not access), with 42501 like a WITH CHECK refusal.
create function private.keep_organization()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '%.% = % cannot move to organization % (a row stays in its organization)',
    tg_table_name, 'organization_id', old.organization_id, new.organization_id
    using errcode = '42501';
end
$$;
comment on function private.keep_organization() is
  'Trigger (before update of organization_id, when it changes): refuses to move a row to another organization.';
revoke all on function private.keep_organization() from public, anon, authenticated;

do $keep$
declare
  v_table text;
begin
  foreach v_table in array array['employees', 'customers', 'bids', 'invoices', 'time_entries', 'appointments',
                                 'payroll_runs', 'paystubs'] loop
    execute format('create trigger keep_organization before update of organization_id on public.%I'
                   ' for each row when (new.organization_id is distinct from old.organization_id)'
                   ' execute function private.keep_organization()', v_table);
  end loop;
end
$keep$;

-- the caller's own employee records
create function private.user_employee_ids()
returns setof bigint
language sql stable security definer
set search_path = ''
as $$
  select e.id from public.employees e where e.user_id = (select auth.uid())
$$;
comment on function private.user_employee_ids() is 'Employee records linked to the caller (employees.user_id).';
revoke all on function private.user_employee_ids() from public, anon;
grant execute on function private.user_employee_ids() to authenticated, service_role;

-- updated_at -----------------------------------------------------------------------------------------------
create trigger set_updated_at before update on public.employees
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.customers
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.bids
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.invoices
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.time_entries
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.appointments
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.payroll_runs
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.paystubs
for each row execute function public.update_updated_at_column();

-- Row level security -----------------------------------------------------------------------------------------
alter table public.employees enable row level security;
alter table public.customers enable row level security;
alter table public.bids enable row level security;
alter table public.invoices enable row level security;
alter table public.time_entries enable row level security;
alter table public.appointments enable row level security;
alter table public.payroll_runs enable row level security;
alter table public.paystubs enable row level security;

-- employees: members read, the employee reads their own record, owners/admins manage
create policy "Members and the employee read employees" on public.employees
  for select to authenticated
  using (organization_id in (select private.user_org_ids()) or user_id = (select auth.uid()));
create policy "Organization admins add employees" on public.employees
  for insert to authenticated with check (organization_id in (select private.user_admin_org_ids()));
create policy "Organization admins update employees" on public.employees
  for update to authenticated
  using (organization_id in (select private.user_admin_org_ids()))
  with check (organization_id in (select private.user_admin_org_ids()));
create policy "Organization admins delete employees" on public.employees
  for delete to authenticated using (organization_id in (select private.user_admin_org_ids()));

-- customers, bids, invoices, appointments: members read and write
create policy "Members read customers" on public.customers
  for select to authenticated using (organization_id in (select private.user_org_ids()));
create policy "Members add customers" on public.customers
  for insert to authenticated with check (organization_id in (select private.user_org_ids()));
create policy "Members update customers" on public.customers
  for update to authenticated using (organization_id in (select private.user_org_ids()))
  with check (organization_id in (select private.user_org_ids()));
create policy "Members delete customers" on public.customers
  for delete to authenticated using (organization_id in (select private.user_org_ids()));

create policy "Members read bids" on public.bids
  for select to authenticated using (organization_id in (select private.user_org_ids()));
create policy "Members add bids" on public.bids
  for insert to authenticated with check (organization_id in (select private.user_org_ids()));
create policy "Members update bids" on public.bids
  for update to authenticated using (organization_id in (select private.user_org_ids()))
  with check (organization_id in (select private.user_org_ids()));
create policy "Members delete bids" on public.bids
  for delete to authenticated using (organization_id in (select private.user_org_ids()));

create policy "Members read invoices" on public.invoices
  for select to authenticated using (organization_id in (select private.user_org_ids()));
create policy "Members add invoices" on public.invoices
  for insert to authenticated with check (organization_id in (select private.user_org_ids()));
create policy "Members update invoices" on public.invoices
  for update to authenticated using (organization_id in (select private.user_org_ids()))
  with check (organization_id in (select private.user_org_ids()));
create policy "Members delete invoices" on public.invoices
  for delete to authenticated using (organization_id in (select private.user_org_ids()));

create policy "Members read appointments" on public.appointments
  for select to authenticated using (organization_id in (select private.user_org_ids()));
create policy "Members add appointments" on public.appointments
  for insert to authenticated with check (organization_id in (select private.user_org_ids()));
create policy "Members update appointments" on public.appointments
  for update to authenticated using (organization_id in (select private.user_org_ids()))
  with check (organization_id in (select private.user_org_ids()));
create policy "Members delete appointments" on public.appointments
  for delete to authenticated using (organization_id in (select private.user_org_ids()));

-- time_entries: an employee manages their own entries until approved; owners/admins manage all
create policy "Employees read own time entries, admins all" on public.time_entries
  for select to authenticated
  using (employee_id in (select private.user_employee_ids())
         or organization_id in (select private.user_admin_org_ids()));
create policy "Employees add own time entries, admins any" on public.time_entries
  for insert to authenticated
  with check (organization_id in (select private.user_admin_org_ids())
              or (employee_id in (select private.user_employee_ids())
                  and organization_id in (select private.user_org_ids())
                  and approved_by is null and approved_at is null));
create policy "Employees update own unapproved time entries, admins any" on public.time_entries
  for update to authenticated
  using (organization_id in (select private.user_admin_org_ids())
         or (employee_id in (select private.user_employee_ids()) and approved_at is null))
  with check (organization_id in (select private.user_admin_org_ids())
              or (employee_id in (select private.user_employee_ids())
                  and organization_id in (select private.user_org_ids())
                  and approved_by is null and approved_at is null));
create policy "Employees delete own unapproved time entries, admins any" on public.time_entries
  for delete to authenticated
  using (organization_id in (select private.user_admin_org_ids())
         or (employee_id in (select private.user_employee_ids()) and approved_at is null));

-- payroll_runs: owners/admins only; only drafts can be deleted
create policy "Organization admins read payroll runs" on public.payroll_runs
  for select to authenticated using (organization_id in (select private.user_admin_org_ids()));
create policy "Organization admins create payroll runs" on public.payroll_runs
  for insert to authenticated with check (organization_id in (select private.user_admin_org_ids()));
create policy "Organization admins update payroll runs" on public.payroll_runs
  for update to authenticated using (organization_id in (select private.user_admin_org_ids()))
  with check (organization_id in (select private.user_admin_org_ids()));
create policy "Organization admins delete draft payroll runs" on public.payroll_runs
  for delete to authenticated
  using (organization_id in (select private.user_admin_org_ids()) and status = 'draft');

-- paystubs: owners/admins manage; an employee reads their own
create policy "Employees read own paystubs, admins all" on public.paystubs
  for select to authenticated
  using (organization_id in (select private.user_admin_org_ids())
         or employee_id in (select private.user_employee_ids()));
create policy "Organization admins create paystubs" on public.paystubs
  for insert to authenticated with check (organization_id in (select private.user_admin_org_ids()));
create policy "Organization admins update paystubs" on public.paystubs
  for update to authenticated using (organization_id in (select private.user_admin_org_ids()))
  with check (organization_id in (select private.user_admin_org_ids()));
create policy "Organization admins delete paystubs" on public.paystubs
  for delete to authenticated using (organization_id in (select private.user_admin_org_ids()));

-- Grants ---------------------------------------------------------------------------------------------------
revoke all on table public.employees, public.customers, public.bids, public.invoices, public.time_entries,
  public.appointments, public.payroll_runs, public.paystubs from public, anon, authenticated, service_role;
revoke all on sequence public.employees_id_seq, public.customers_id_seq, public.bids_id_seq,
  public.invoices_id_seq, public.time_entries_id_seq, public.appointments_id_seq, public.payroll_runs_id_seq,
  public.paystubs_id_seq from public, anon, authenticated, service_role;

grant select, insert, update, delete on table public.employees, public.customers, public.bids, public.invoices,
  public.time_entries, public.appointments, public.payroll_runs, public.paystubs to authenticated, service_role;
grant usage on sequence public.employees_id_seq, public.customers_id_seq, public.bids_id_seq,
  public.invoices_id_seq, public.time_entries_id_seq, public.appointments_id_seq, public.payroll_runs_id_seq,
  public.paystubs_id_seq to authenticated;
grant usage, select on sequence public.employees_id_seq, public.customers_id_seq, public.bids_id_seq,
  public.invoices_id_seq, public.time_entries_id_seq, public.appointments_id_seq, public.payroll_runs_id_seq,
  public.paystubs_id_seq to service_role;
