-- OnyxOS finance: expenses, daily revenue snapshots, payout settings, payout runs and their per-person items.
-- Money is numeric throughout. Pay, payout settings and runs are owner/admin only; a person sees their own
-- payout settings and payout items; staff see per-model revenue only for the models assigned to them.

-- Expenses ---------------------------------------------------------------------------------------------
create table onyx.expenses (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  model_id uuid,
  name text not null check (length(btrim(name)) between 1 and 200),
  description text check (length(description) <= 2000),
  amount numeric(12, 2) not null check (amount >= 0),
  category text not null default 'other' check (length(category) between 1 and 50),
  frequency text not null default 'one-time'
    check (frequency in ('one-time', 'daily', 'weekly', 'monthly', 'yearly')),
  status text not null default 'active' check (status in ('active', 'paused', 'cancelled')),
  is_recurring boolean not null default false,
  expense_date date not null default current_date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint expenses_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete set null (model_id),
  constraint expenses_recurring_matches_frequency check (is_recurring = (frequency <> 'one-time'))
);
comment on table onyx.expenses is 'OnyxOS agency expense, optionally attributed to a model; recurring unless one-time.';
create index expenses_agency_date_idx on onyx.expenses (agency_id, expense_date);
create index expenses_model_agency_idx on onyx.expenses (model_id, agency_id);
create trigger expenses_updated_at
  before update on onyx.expenses
  for each row execute function public.update_updated_at_column();
alter table onyx.expenses enable row level security;

create policy expenses_select on onyx.expenses for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy expenses_insert on onyx.expenses for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy expenses_update on onyx.expenses for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy expenses_delete on onyx.expenses for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.expenses from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.expenses to authenticated, service_role;

-- Revenue snapshots ------------------------------------------------------------------------------------
create table onyx.revenue_snapshots (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  model_id uuid not null,
  snapshot_date date not null,
  gross_subscriptions numeric(12, 2) not null default 0 check (gross_subscriptions >= 0),
  gross_tips numeric(12, 2) not null default 0 check (gross_tips >= 0),
  gross_messages numeric(12, 2) not null default 0 check (gross_messages >= 0),
  gross_posts numeric(12, 2) not null default 0 check (gross_posts >= 0),
  net_subscriptions numeric(12, 2) not null default 0 check (net_subscriptions >= 0),
  net_tips numeric(12, 2) not null default 0 check (net_tips >= 0),
  net_messages numeric(12, 2) not null default 0 check (net_messages >= 0),
  net_posts numeric(12, 2) not null default 0 check (net_posts >= 0),
  gross_total numeric(14, 2) generated always as (gross_subscriptions + gross_tips + gross_messages + gross_posts) stored,
  net_total numeric(14, 2) generated always as (net_subscriptions + net_tips + net_messages + net_posts) stored,
  subscribers integer not null default 0 check (subscribers >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint revenue_snapshots_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete cascade,
  constraint revenue_snapshots_model_date_key unique (model_id, snapshot_date),
  constraint revenue_snapshots_net_not_above_gross check (
    net_subscriptions <= gross_subscriptions and net_tips <= gross_tips
    and net_messages <= gross_messages and net_posts <= gross_posts)
);
comment on table onyx.revenue_snapshots is
  'OnyxOS daily revenue of one model (snapshot_date is the agency-local calendar day), gross and net of the '
  'platform fee by category. Payout commission is computed on net_total.';
create index revenue_snapshots_agency_date_idx on onyx.revenue_snapshots (agency_id, snapshot_date);
create index revenue_snapshots_model_agency_idx on onyx.revenue_snapshots (model_id, agency_id);
create trigger revenue_snapshots_updated_at
  before update on onyx.revenue_snapshots
  for each row execute function public.update_updated_at_column();
alter table onyx.revenue_snapshots enable row level security;

create policy revenue_snapshots_select on onyx.revenue_snapshots for select to authenticated
  using (agency_id = (select private.onyx_agency_id())
         and ((select private.onyx_is_manager()) or model_id in (select private.onyx_assigned_model_ids())));
create policy revenue_snapshots_insert on onyx.revenue_snapshots for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy revenue_snapshots_update on onyx.revenue_snapshots for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy revenue_snapshots_delete on onyx.revenue_snapshots for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.revenue_snapshots from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.revenue_snapshots to authenticated, service_role;

-- Payout settings --------------------------------------------------------------------------------------
create table onyx.payout_settings (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  profile_id uuid not null,
  currency char(3) not null default 'USD'
    check (currency in ('USD', 'EUR', 'GBP', 'CAD', 'AUD', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'PHP', 'INR', 'BRL', 'MXN')),
  pay_model text not null check (pay_model in ('hourly', 'commission', 'hybrid')),
  hourly_rate numeric(10, 2) check (hourly_rate >= 0),
  commission_percent numeric(5, 4) check (commission_percent between 0 and 1),
  payment_method text check (payment_method in ('bank_transfer', 'paypal', 'wise', 'crypto', 'other')),
  payment_details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payout_settings_profile_fkey foreign key (profile_id, agency_id)
    references onyx.profiles (id, agency_id) on delete cascade,
  constraint payout_settings_profile_key unique (profile_id),
  constraint payout_settings_rates_match_model check (
    (pay_model = 'hourly' and hourly_rate is not null)
    or (pay_model = 'commission' and commission_percent is not null)
    or (pay_model = 'hybrid' and hourly_rate is not null and commission_percent is not null))
);
comment on table onyx.payout_settings is
  'OnyxOS pay configuration of one staff member. Owners/admins manage it; the person may read their own.';
comment on column onyx.payout_settings.commission_percent is 'A fraction 0–1 (0.1 = 10%) of the net revenue of assigned models.';
comment on column onyx.payout_settings.hourly_rate is 'Per hour, never rounded further: pay is rounded once per line.';
create index payout_settings_agency_idx on onyx.payout_settings (agency_id);
create index payout_settings_profile_agency_idx on onyx.payout_settings (profile_id, agency_id);
create trigger payout_settings_updated_at
  before update on onyx.payout_settings
  for each row execute function public.update_updated_at_column();
alter table onyx.payout_settings enable row level security;

create policy payout_settings_select on onyx.payout_settings for select to authenticated
  using (agency_id = (select private.onyx_agency_id())
         and ((select private.onyx_is_manager()) or profile_id = (select auth.uid())));
create policy payout_settings_insert on onyx.payout_settings for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy payout_settings_update on onyx.payout_settings for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy payout_settings_delete on onyx.payout_settings for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.payout_settings from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.payout_settings to authenticated, service_role;

-- Payout runs ------------------------------------------------------------------------------------------
create table onyx.payout_runs (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  period_start date not null,
  period_end date not null,
  total_payout numeric(12, 2) not null default 0,
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  status text not null default 'draft' check (status in ('draft', 'finalized', 'paid')),
  calculated_at timestamptz,
  created_by uuid references onyx.profiles (id) on delete set null,
  finalized_at timestamptz,
  finalized_by uuid references onyx.profiles (id) on delete set null,
  paid_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payout_runs_id_agency_key unique (id, agency_id),
  constraint payout_runs_period_key unique (agency_id, period_start, period_end),
  constraint payout_runs_period_check check (period_end >= period_start),
  constraint payout_runs_status_stamps check (
    (status = 'draft' and finalized_at is null and paid_at is null)
    or (status = 'finalized' and finalized_at is not null and paid_at is null)
    or (status = 'paid' and finalized_at is not null and paid_at is not null))
);
comment on table onyx.payout_runs is
  'OnyxOS payroll batch for one agency and period (inclusive agency-local dates): draft → finalized → paid. '
  'Built by onyx.calculate_payout_run; immutable once finalized (only the paid transition remains). Owner/admin only.';
comment on column onyx.payout_runs.total_payout is 'Sum of the rounded item totals (kept in step by a trigger).';
create index payout_runs_created_by_idx on onyx.payout_runs (created_by);
create index payout_runs_finalized_by_idx on onyx.payout_runs (finalized_by);
create trigger payout_runs_updated_at
  before update on onyx.payout_runs
  for each row execute function public.update_updated_at_column();
alter table onyx.payout_runs enable row level security;

create policy payout_runs_select on onyx.payout_runs for select to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy payout_runs_insert on onyx.payout_runs for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy payout_runs_update on onyx.payout_runs for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy payout_runs_delete on onyx.payout_runs for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.payout_runs from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.payout_runs to authenticated, service_role;

-- Payout items: one per person per run -----------------------------------------------------------------
create table onyx.payout_items (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  run_id uuid not null,
  profile_id uuid not null,
  username text not null,
  role text not null,
  pay_model text check (pay_model in ('hourly', 'commission', 'hybrid')),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  period_start date not null,
  period_end date not null,
  hourly_rate numeric(10, 2),
  commission_percent numeric(5, 4),
  hours_worked numeric(10, 2) not null default 0 check (hours_worked >= 0),
  hourly_pay numeric(12, 2) not null default 0 check (hourly_pay >= 0),
  sales_generated numeric(14, 2) not null default 0 check (sales_generated >= 0),
  commission_pay numeric(12, 2) not null default 0 check (commission_pay >= 0),
  bonus numeric(12, 2) not null default 0 check (bonus >= 0),
  deductions numeric(12, 2) not null default 0 check (deductions >= 0),
  total_payout numeric(12, 2) generated always as (hourly_pay + commission_pay + bonus - deductions) stored,
  status text not null default 'pending' check (status in ('pending', 'processing', 'paid', 'failed')),
  note text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payout_items_run_fkey foreign key (run_id, agency_id)
    references onyx.payout_runs (id, agency_id) on delete cascade,
  -- cascade: a person's draft lines go with them, but the immutability trigger of the payouts migration
  -- refuses to delete the lines of a finalized or paid run, so a person with payout history stays.
  constraint payout_items_profile_fkey foreign key (profile_id, agency_id)
    references onyx.profiles (id, agency_id) on delete cascade,
  constraint payout_items_run_profile_key unique (run_id, profile_id),
  constraint payout_items_period_check check (period_end >= period_start)
);
comment on table onyx.payout_items is
  'OnyxOS payout of one person in one run. Lines are rounded once, half-up, to cents; total_payout is their '
  'sum. Owners/admins manage; a person reads their own. Frozen (except status) once the run is finalized.';
comment on column onyx.payout_items.hours_worked is
  'Completed timesheet time inside the period, in hours rounded to 2 decimals for display; hourly_pay is '
  'computed from the exact seconds, not from this figure.';
comment on column onyx.payout_items.note is 'Why an amount is zero or partial (no payout settings, open timesheets, ...).';
create index payout_items_agency_idx on onyx.payout_items (agency_id);
create index payout_items_run_agency_idx on onyx.payout_items (run_id, agency_id);
create index payout_items_profile_agency_idx on onyx.payout_items (profile_id, agency_id);
create trigger payout_items_updated_at
  before update on onyx.payout_items
  for each row execute function public.update_updated_at_column();
alter table onyx.payout_items enable row level security;

create policy payout_items_select on onyx.payout_items for select to authenticated
  using (agency_id = (select private.onyx_agency_id())
         and ((select private.onyx_is_manager()) or profile_id = (select auth.uid())));
create policy payout_items_insert on onyx.payout_items for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy payout_items_update on onyx.payout_items for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy payout_items_delete on onyx.payout_items for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.payout_items from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.payout_items to authenticated, service_role;
