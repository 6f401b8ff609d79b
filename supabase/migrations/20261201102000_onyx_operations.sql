-- OnyxOS operations: scheduled shifts and clock-in/clock-out timesheets.
-- Members read the agency's schedule; owners/admins manage it. A person reads and writes their own timesheet
-- entries (owners/admins all of the agency's); only owners/admins delete them.

create table onyx.shifts (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  employee_id uuid not null,
  model_id uuid,
  start_time timestamptz not null,
  end_time timestamptz not null,
  title text check (length(title) <= 100),
  notes text check (length(notes) <= 500),
  status text not null default 'scheduled'
    check (status in ('scheduled', 'in_progress', 'completed', 'missed', 'cancelled')),
  created_by uuid references onyx.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint shifts_id_agency_key unique (id, agency_id),
  constraint shifts_employee_fkey foreign key (employee_id, agency_id)
    references onyx.profiles (id, agency_id) on delete cascade,
  constraint shifts_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete set null (model_id),
  constraint shifts_end_after_start check (end_time > start_time)
);
comment on table onyx.shifts is 'OnyxOS scheduled work shift of one staff member, optionally on one model.';
create index idx_shifts_employee on onyx.shifts (employee_id);
create index shifts_agency_start_idx on onyx.shifts (agency_id, start_time);
create index shifts_employee_agency_idx on onyx.shifts (employee_id, agency_id);
create index shifts_model_agency_idx on onyx.shifts (model_id, agency_id);
create index shifts_created_by_idx on onyx.shifts (created_by);
create trigger shifts_updated_at
  before update on onyx.shifts
  for each row execute function public.update_updated_at_column();
alter table onyx.shifts enable row level security;

create policy shifts_select on onyx.shifts for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy shifts_insert on onyx.shifts for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy shifts_update on onyx.shifts for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy shifts_delete on onyx.shifts for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.shifts from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.shifts to authenticated, service_role;

create table onyx.timesheets (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  employee_id uuid not null,
  shift_id uuid,
  clock_in timestamptz not null,
  clock_out timestamptz,
  is_late boolean not null default false,
  late_minutes integer not null default 0 check (late_minutes >= 0),
  is_early_leave boolean not null default false,
  early_leave_minutes integer not null default 0 check (early_leave_minutes >= 0),
  total_minutes integer generated always as (
    (floor(extract(epoch from (clock_out - clock_in)) / 60))::integer) stored,
  status text not null default 'active' check (status in ('active', 'completed')),
  notes text check (length(notes) <= 500),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint timesheets_employee_fkey foreign key (employee_id, agency_id)
    references onyx.profiles (id, agency_id) on delete cascade,
  constraint timesheets_shift_fkey foreign key (shift_id, agency_id)
    references onyx.shifts (id, agency_id) on delete set null (shift_id),
  constraint timesheets_clock_out_after_clock_in check (clock_out > clock_in),
  constraint timesheets_status_matches_clock_out check ((status = 'active') = (clock_out is null))
);
comment on table onyx.timesheets is
  'OnyxOS clock-in/clock-out entry. active = still clocked in (no clock_out), at most one per person; '
  'completed entries are what payouts count.';
comment on column onyx.timesheets.total_minutes is 'Whole minutes between clock_in and clock_out (null while active).';
create index idx_timesheets_employee on onyx.timesheets (employee_id);
-- One active (open) entry per person. Keyed on (employee_id, status) so it is not a copy of idx_timesheets_employee.
create unique index timesheets_one_active_per_employee on onyx.timesheets (employee_id, status) where status = 'active';
create index timesheets_agency_clock_in_idx on onyx.timesheets (agency_id, clock_in);
create index timesheets_employee_agency_idx on onyx.timesheets (employee_id, agency_id);
create index timesheets_shift_agency_idx on onyx.timesheets (shift_id, agency_id);
create trigger timesheets_updated_at
  before update on onyx.timesheets
  for each row execute function public.update_updated_at_column();
alter table onyx.timesheets enable row level security;

create policy timesheets_select on onyx.timesheets for select to authenticated
  using (agency_id = (select private.onyx_agency_id())
         and ((select private.onyx_is_manager()) or employee_id = (select auth.uid())));
create policy timesheets_insert on onyx.timesheets for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id())
              and ((select private.onyx_is_manager()) or employee_id = (select auth.uid())));
create policy timesheets_update on onyx.timesheets for update to authenticated
  using (agency_id = (select private.onyx_agency_id())
         and ((select private.onyx_is_manager()) or employee_id = (select auth.uid())))
  with check (agency_id = (select private.onyx_agency_id())
              and ((select private.onyx_is_manager()) or employee_id = (select auth.uid())));
create policy timesheets_delete on onyx.timesheets for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.timesheets from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.timesheets to authenticated, service_role;
