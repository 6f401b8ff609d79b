-- run-payroll, part 3: the set-based computation and the RPCs.
--
-- Security model (documented choice): every function here is SECURITY INVOKER. A user call runs as
-- `authenticated` with the caller's claims, so RLS on organizations / employees / time_entries /
-- payroll_runs / paystubs applies, and private.payroll_authorize adds the explicit check (owner or admin;
-- a member gets PR403, an outsider PR404). service_role (BYPASSRLS) and postgres are trusted callers.
-- Employees' pay data (hourly_rate, salary, tax_info) is read only through private.payroll_employee_pay,
-- which the employee pay privacy migration (20261201400000) routes through its owner/admin-checked reader.
--
-- Errors are raised with SQLSTATEs the function maps to HTTP: PR400 bad input or settings, PR403, PR404,
-- PR409 lifecycle conflicts; the DETAIL carries a machine-readable code.
--
-- Period rule: overtime is computed over whole workweeks (workweek_start at 00:00 in the organization's
-- timezone), reading entries before the period start when a workweek straddles it; every workweek is paid
-- in the period in which it ends. Runs say which applied: details.period_alignment = 'aligned' or
-- 'workweek_paid_in_period_it_ends'.

-- Validated payroll settings of an organization, with documented defaults:
-- timezone 'UTC', workweek_start 'monday', pay_frequency 'biweekly', overtime_rules 'federal',
-- pay_date_offset_days 0 (pay date = period end), period_anchor = the first workweek start on/after
-- 2025-01-01 (a date on which a weekly/biweekly pay period starts; used by the scheduler).
create or replace function private.payroll_settings(p_org_id bigint) returns jsonb
language plpgsql stable security invoker set search_path = ''
as $$
declare
  s jsonb;
  v_tz text;
  v_ws text;
  v_dow int;
  v_pf text;
  v_ot text;
  v_offset int;
  v_anchor date;
begin
  select coalesce(o.settings -> 'payroll', '{}'::jsonb) into s from public.organizations o where o.id = p_org_id;
  if not found then
    raise exception using errcode = 'PR404', message = 'organization not found', detail = 'not_found';
  end if;
  if jsonb_typeof(s) = 'null' then
    s := '{}'::jsonb;
  elsif jsonb_typeof(s) <> 'object' then
    raise exception using errcode = 'PR400', message = 'organizations.settings.payroll must be an object', detail = 'invalid_setting';
  end if;
  v_tz := coalesce(s ->> 'timezone', 'UTC');
  -- an IANA name (Area/Location, or UTC/GMT) that the server knows; abbreviations and POSIX offsets such as
  -- 'PST' or 'UTC+3' are refused because they ignore daylight-saving rules
  if v_tz !~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)+$' and v_tz not in ('UTC', 'GMT') then
    raise exception using errcode = 'PR400', message = format('settings.payroll.timezone %s is not an IANA time zone', v_tz), detail = 'invalid_setting';
  end if;
  begin
    perform pg_catalog.now() at time zone v_tz;
  exception when others then
    raise exception using errcode = 'PR400', message = format('settings.payroll.timezone %s is not an IANA time zone', v_tz), detail = 'invalid_setting';
  end;
  v_ws := lower(coalesce(s ->> 'workweek_start', 'monday'));
  v_dow := array_position(array['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'], v_ws);
  if v_dow is null then
    raise exception using errcode = 'PR400', message = format('settings.payroll.workweek_start %s is not a weekday name', v_ws), detail = 'invalid_setting';
  end if;
  v_pf := coalesce(s ->> 'pay_frequency', 'biweekly');
  if v_pf not in ('weekly', 'biweekly', 'semimonthly', 'monthly') then
    raise exception using errcode = 'PR400', message = format('settings.payroll.pay_frequency %s is not weekly, biweekly, semimonthly or monthly', v_pf), detail = 'invalid_setting';
  end if;
  v_ot := coalesce(s ->> 'overtime_rules', 'federal');
  if v_ot not in ('federal', 'california') then
    raise exception using errcode = 'PR400', message = format('settings.payroll.overtime_rules %s is not federal or california', v_ot), detail = 'invalid_setting';
  end if;
  if coalesce(s ->> 'pay_date_offset_days', '0') !~ '^[0-9]{1,2}$' then
    raise exception using errcode = 'PR400', message = 'settings.payroll.pay_date_offset_days must be a whole number of days 0..31', detail = 'invalid_setting';
  end if;
  v_offset := coalesce(s ->> 'pay_date_offset_days', '0')::int;
  if v_offset > 31 then
    raise exception using errcode = 'PR400', message = 'settings.payroll.pay_date_offset_days must be a whole number of days 0..31', detail = 'invalid_setting';
  end if;
  if s ? 'period_anchor' then
    if (s ->> 'period_anchor') !~ '^\d{4}-\d{2}-\d{2}$' then
      raise exception using errcode = 'PR400', message = 'settings.payroll.period_anchor must be a date YYYY-MM-DD', detail = 'invalid_setting';
    end if;
    begin
      v_anchor := (s ->> 'period_anchor')::date;
    exception when others then
      raise exception using errcode = 'PR400', message = 'settings.payroll.period_anchor must be a date YYYY-MM-DD', detail = 'invalid_setting';
    end;
  else
    v_anchor := date '2025-01-01' + ((v_dow - extract(isodow from date '2025-01-01')::int + 7) % 7);
  end if;
  return jsonb_build_object(
    'timezone', v_tz, 'workweek_start', v_ws, 'workweek_start_isodow', v_dow, 'pay_frequency', v_pf,
    'periods_per_year', case v_pf when 'weekly' then 52 when 'biweekly' then 26 when 'semimonthly' then 24 else 12 end,
    'overtime_rules', v_ot, 'pay_date_offset_days', v_offset, 'period_anchor', v_anchor);
end
$$;
comment on function private.payroll_settings(bigint) is 'organizations.settings.payroll validated and completed with the documented defaults; raises PR400 (invalid_setting) for a bad value, PR404 for an unknown organization.';
revoke all on function private.payroll_settings(bigint) from public, anon;
grant execute on function private.payroll_settings(bigint) to authenticated, service_role;

-- The first day of the workweek containing a date.
create or replace function private.payroll_week_start(p_day date, p_isodow int) returns date
language sql immutable parallel safe set search_path = ''
as $$ select p_day - ((extract(isodow from p_day)::int - p_isodow + 7) % 7) $$;
comment on function private.payroll_week_start(date, int) is 'The first day (ISO weekday p_isodow) of the workweek containing p_day.';
revoke all on function private.payroll_week_start(date, int) from public, anon;
grant execute on function private.payroll_week_start(date, int) to authenticated, service_role;

-- The pay data the computation needs (hourly_rate, salary, tax_info) of an organization's employees. The
-- computation reads these columns only through this function, never from public.employees directly: the
-- employee pay privacy migration (20261201400000) revokes them from `authenticated` and replaces this body
-- with the owner/admin-checked read. Until then it is a plain read under the caller's RLS.
create or replace function private.payroll_employee_pay(p_org_id bigint)
returns table (employee_id bigint, hourly_rate numeric, salary numeric, tax_info jsonb)
language sql stable security invoker set search_path = ''
as $$
  select e.id, e.hourly_rate, e.salary, e.tax_info from public.employees e where e.organization_id = p_org_id
$$;
comment on function private.payroll_employee_pay(bigint) is 'hourly_rate, salary and tax_info of the employees of an organization, for the payroll computation (the only way it reads them).';
revoke all on function private.payroll_employee_pay(bigint) from public, anon;
grant execute on function private.payroll_employee_pay(bigint) to authenticated, service_role;

-- Hours by employee and local workday over whole workweeks [p_from, p_to) (local dates), split into
-- regular / overtime / double time by the organization's rules. Real elapsed time (timestamptz arithmetic,
-- so daylight-saving days have 23 or 25 hours), split at local midnight (hence at the workweek boundary);
-- the unpaid break is deducted from the shift's first piece(s). Entries that are open or end before they
-- start are ignored here (the run reports them). Time on or after termination_date is not paid.
--   federal: over 40 h in a workweek is overtime.
--   california: per day regular <= 8, overtime 8-12, double > 12; on the 7th consecutive day of the
--   workweek overtime for the first 8 h and double beyond; then weekly regular above 40 h becomes overtime,
--   latest day first (no pyramiding: daily overtime never counts toward the 40).
-- FLSA-exempt employees and contractors: all hours regular.
-- p_locked_only: only entries already locked by an approved run (used by off-cycle runs).
create or replace function private.payroll_daily_hours(
  p_org_id bigint, p_from date, p_to date, p_timezone text, p_week_isodow int, p_rules text,
  p_employee_id bigint default null, p_locked_only boolean default false)
returns table (employee_id bigint, work_date date, week_start date, worked_seconds numeric,
               regular_seconds numeric, overtime_seconds numeric, double_time_seconds numeric)
language plpgsql stable security invoker set search_path = ''
as $fn$
begin
  -- EXECUTE: planned for these very parameter values every time (a generic plan misjudges the row counts
  -- of one organization and degrades into nested loops).
  return query execute $q$
  with ent as (
    select t.employee_id, t.clock_in, t.clock_out, e.termination_date,
           coalesce(t.break_duration, interval '0') as brk,
           (t.clock_in at time zone $4) as local_in, (t.clock_out at time zone $4) as local_out,
           -- inline (per entry): only an explicit true exempts; an invalid flag is reported by the run
           (e.employment_type is distinct from 'contractor'
            and lower(coalesce(pay.tax_info ->> 'flsa_exempt', 'false')) <> 'true') as ot_eligible
    from public.time_entries t
    join public.employees e on e.id = t.employee_id
    join private.payroll_employee_pay($1) pay on pay.employee_id = e.id
    where t.organization_id = $1 and e.organization_id = $1
      and ($7::bigint is null or t.employee_id = $7)
      and t.clock_out > t.clock_in
      and t.clock_in < ($3::timestamp at time zone $4) and t.clock_out > ($2::timestamp at time zone $4)
      and (not $8 or t.payroll_run_id is not null)
  ),
  pieces as (
    -- the usual shift, within one local day: real elapsed time (timestamptz arithmetic) minus the break
    select ent.employee_id, ent.termination_date, ent.ot_eligible, ent.local_in::date as work_date,
           greatest(ent.clock_out - ent.clock_in - ent.brk, interval '0') as dur
    from ent
    where ent.local_out::date = ent.local_in::date
    union all
    -- a shift across local midnight is split per local day (so also at the workweek boundary); the pieces
    -- are contiguous, so the time before a piece is piece_start - clock_in and the break is taken from the
    -- earliest pieces first
    select ent.employee_id, ent.termination_date, ent.ot_eligible, d.day::date,
           (b.piece_end - b.piece_start)
           - least(b.piece_end - b.piece_start, greatest(interval '0', ent.brk - (b.piece_start - ent.clock_in)))
    from ent
    cross join lateral generate_series(ent.local_in::date::timestamp, ent.local_out::date::timestamp, interval '1 day') as d(day)
    cross join lateral (
      select greatest(ent.clock_in, d.day at time zone $4) as piece_start,
             least(ent.clock_out, (d.day + interval '1 day') at time zone $4) as piece_end
    ) b
    where ent.local_out::date <> ent.local_in::date and b.piece_end > b.piece_start
  ),
  daily as (
    select p.employee_id, p.work_date, bool_and(p.ot_eligible) as ot_eligible,
           extract(epoch from sum(p.dur)) as worked,
           p.work_date - ((extract(isodow from p.work_date)::int - $5 + 7) % 7) as week_start
    from pieces p
    where p.work_date >= $2 and p.work_date < $3
      and (p.termination_date is null or p.work_date < p.termination_date)
    group by p.employee_id, p.work_date
  ),
  cal as (
    select d.*, count(*) filter (where d.worked > 0) over (partition by d.employee_id, d.week_start) as days_in_week
    from daily d
  ),
  day_split as (
    select c.employee_id, c.work_date, c.week_start, c.worked, c.ot_eligible,
           ($6 = 'california' and c.ot_eligible and c.days_in_week = 7 and c.work_date = c.week_start + 6) as seventh
    from cal c
  ),
  cats as (
    select s.employee_id, s.work_date, s.week_start, s.worked, s.ot_eligible,
           case when not s.ot_eligible or $6 <> 'california' then s.worked
                when s.seventh then 0
                else least(s.worked, 28800) end as reg,
           case when not s.ot_eligible or $6 <> 'california' then 0
                when s.seventh then least(s.worked, 28800)
                else least(greatest(s.worked - 28800, 0), 14400) end as ot,
           case when not s.ot_eligible or $6 <> 'california' then 0
                when s.seventh then greatest(s.worked - 28800, 0)
                else greatest(s.worked - 43200, 0) end as dt
    from day_split s
  ),
  conv as (
    select c.*,
           case when c.ot_eligible
                then greatest(0, least(c.reg, sum(c.reg) over (partition by c.employee_id, c.week_start order by c.work_date) - 144000))
                else 0 end as moved
    from cats c
  )
  select c.employee_id, c.work_date, c.week_start, c.worked, c.reg - c.moved, c.ot + c.moved, c.dt
  from conv c
  $q$ using p_org_id, p_from, p_to, p_timezone, p_week_isodow, p_rules, p_employee_id, p_locked_only;
end
$fn$;
comment on function private.payroll_daily_hours(bigint, date, date, text, int, text, bigint, boolean) is
  'Seconds worked per employee and local workday over whole workweeks, split into regular / overtime / double time by the federal or California rules (see the migration for the exact rules).';
revoke all on function private.payroll_daily_hours(bigint, date, date, text, int, text, bigint, boolean) from public, anon;
grant execute on function private.payroll_daily_hours(bigint, date, date, text, int, text, bigint, boolean) to authenticated, service_role;

-- The whole computation of a run, without writing anything: one row per employee of the organization,
-- outcome 'paid' (with the stub's figures), 'held' (validation errors in `issues`) or 'skipped' (`reason`).
create or replace function private.payroll_compute(
  p_org_id bigint, p_start date, p_end date, p_pay_date date, p_kind text, p_settings jsonb, p_run_id bigint)
returns table (
  employee_id bigint, outcome text, reason text, issues jsonb, worker_type text,
  regular_hours numeric, overtime_hours numeric, double_time_hours numeric,
  regular_pay numeric, overtime_pay numeric, double_time_pay numeric, salary_pay numeric, gross_pay numeric,
  federal_income_tax numeric, social_security_tax numeric, medicare_tax numeric, additional_medicare_tax numeric,
  other_deductions numeric, net_pay numeric,
  ytd_regular_pay numeric, ytd_overtime_pay numeric, ytd_double_time_pay numeric, ytd_salary_pay numeric,
  ytd_gross_pay numeric, ytd_federal_income_tax numeric, ytd_social_security_tax numeric, ytd_medicare_tax numeric,
  ytd_additional_medicare_tax numeric, ytd_other_deductions numeric, ytd_net_pay numeric,
  details jsonb)
language plpgsql stable security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_tz text := p_settings ->> 'timezone';
  v_dow int := (p_settings ->> 'workweek_start_isodow')::int;
  v_rules text := p_settings ->> 'overtime_rules';
  v_n int := (p_settings ->> 'periods_per_year')::int;
  v_from date := private.payroll_week_start(p_start, (p_settings ->> 'workweek_start_isodow')::int);
  v_to date := private.payroll_week_start(p_end + 1, (p_settings ->> 'workweek_start_isodow')::int);
  v_ws timestamptz;
  v_we timestamptz;
  v_year int := extract(year from p_pay_date)::int;
  v_tax public.payroll_tax_years%rowtype;
  v_period_days int := p_end - p_start + 1;
  v_employees bigint;
  v_plan_mode text;
begin
  v_ws := v_from::timestamp at time zone v_tz;
  v_we := v_to::timestamp at time zone v_tz;
  select * into v_tax from public.payroll_tax_years y where y.tax_year = v_year;
  if not found then
    raise exception using errcode = 'PR400', message = format('no payroll tax tables for pay date year %s', v_year), detail = 'tax_tables_missing';
  end if;

  -- Static SQL, so that its plan is cached per session: planning this query costs more than running it
  -- for a small organization. A cached generic plan cannot know an organization's size, though, and for a
  -- large one it can be far off; above 200 employees the query is planned for the actual values.
  select count(*) into v_employees from public.employees e where e.organization_id = p_org_id;
  v_plan_mode := current_setting('plan_cache_mode');
  if v_employees > 200 then
    perform set_config('plan_cache_mode', 'force_custom_plan', true);
  end if;
  -- emp, base, earn and taxed are MATERIALIZED: inlined, every reference to one of their columns (w4, the
  -- W-4 steps, e_gross, ...) would repeat its whole jsonb/CASE expression in the next CTE; stored, each is
  -- computed once per employee. Same values either way.
  return query
  with emp as materialized (
    select e.id, e.status, e.pay_type, e.employment_type, pay.hourly_rate, pay.salary, e.hire_date, e.termination_date,
           (e.employment_type = 'contractor') as is_contractor,
           pay.tax_info -> 'w4' as w4,
           (case when (pay.tax_info -> 'flsa_exempt') is null or jsonb_typeof((pay.tax_info -> 'flsa_exempt')) = 'null' then false when jsonb_typeof((pay.tax_info -> 'flsa_exempt')) = 'boolean' then ((pay.tax_info -> 'flsa_exempt') #>> '{}')::boolean when jsonb_typeof((pay.tax_info -> 'flsa_exempt')) = 'string' and lower((pay.tax_info -> 'flsa_exempt') #>> '{}') in ('true', 'false') then lower((pay.tax_info -> 'flsa_exempt') #>> '{}')::boolean end) as flsa_exempt,
           (case when (pay.tax_info -> 'exempt_from_withholding') is null or jsonb_typeof((pay.tax_info -> 'exempt_from_withholding')) = 'null' then false when jsonb_typeof((pay.tax_info -> 'exempt_from_withholding')) = 'boolean' then ((pay.tax_info -> 'exempt_from_withholding') #>> '{}')::boolean when jsonb_typeof((pay.tax_info -> 'exempt_from_withholding')) = 'string' and lower((pay.tax_info -> 'exempt_from_withholding') #>> '{}') in ('true', 'false') then lower((pay.tax_info -> 'exempt_from_withholding') #>> '{}')::boolean end) as exempt_wh
    from public.employees e
    join private.payroll_employee_pay(p_org_id) pay on pay.employee_id = e.id
    where e.organization_id = p_org_id
  ),
  all_hours as (
    select h.* from private.payroll_daily_hours(p_org_id, v_from, v_to, v_tz, v_dow, v_rules, null, false) h
  ),
  locked_hours as (
    select h.* from private.payroll_daily_hours(p_org_id, v_from, v_to, v_tz, v_dow, v_rules, null, true) h
    where p_kind = 'off_cycle'
  ),
  day_hours as (
    -- regular runs pay every hour of the window (payroll_daily_hours has one row per employee and day, so
    -- no regrouping); off-cycle runs pay what approved runs have not paid yet
    select a.employee_id, a.work_date, a.week_start, a.worked_seconds as worked, a.regular_seconds as reg,
           a.overtime_seconds as ot, a.double_time_seconds as dt
    from all_hours a
    where p_kind <> 'off_cycle'
    union all
    select x.employee_id, x.work_date, x.week_start, sum(x.w) as worked, sum(x.r) as reg, sum(x.o) as ot, sum(x.d) as dt
    from (
      select a.employee_id, a.work_date, a.week_start, a.worked_seconds w, a.regular_seconds r, a.overtime_seconds o, a.double_time_seconds d from all_hours a
      union all
      select l.employee_id, l.work_date, l.week_start, -l.worked_seconds, -l.regular_seconds, -l.overtime_seconds, -l.double_time_seconds from locked_hours l
    ) x
    where p_kind = 'off_cycle'
    group by x.employee_id, x.work_date, x.week_start
  ),
  weeks as (
    select d.employee_id, d.week_start, sum(d.worked) as worked, sum(d.reg) as reg, sum(d.ot) as ot, sum(d.dt) as dt,
           count(*) filter (where d.worked > 0) as days
    from day_hours d
    group by d.employee_id, d.week_start
  ),
  hours as materialized (
    select w.employee_id, sum(w.worked) as worked, sum(w.reg) as reg, sum(w.ot) as ot, sum(w.dt) as dt,
           jsonb_agg(jsonb_build_object(
             'week_start', w.week_start, 'week_end', w.week_start + 6,
             'worked_hours', round(w.worked / 3600, 4), 'regular_hours', round(w.reg / 3600, 4),
             'overtime_hours', round(w.ot / 3600, 4), 'double_time_hours', round(w.dt / 3600, 4),
             'days_worked', w.days) order by w.week_start) as workweeks
    from weeks w
    group by w.employee_id
  ),
  ent as (
    select t.id, t.employee_id, t.clock_in, t.clock_out, t.break_duration
    from public.time_entries t
    where t.organization_id = p_org_id
      and least(t.clock_in, coalesce(t.clock_out, t.clock_in)) < v_we
      and greatest(t.clock_in, coalesce(t.clock_out, t.clock_in + interval '1 day')) > v_ws
  ),
  entry_issues as materialized (
    select x.employee_id, jsonb_agg(jsonb_build_object('reason', x.reason, 'message', x.message, 'time_entry_id', x.id)
                                    order by x.id, x.reason) as issues
    from (
      select e.employee_id, e.id, 'open_entry' as reason,
             format('time entry %s has no clock_out', e.id) as message
      from ent e where e.clock_out is null
      union all
      select e.employee_id, e.id, 'clock_out_before_clock_in', format('time entry %s does not end after it starts', e.id)
      from ent e where e.clock_out <= e.clock_in
      union all
      select e.employee_id, e.id, 'break_longer_than_shift', format('time entry %s has a break longer than the shift', e.id)
      from ent e where e.clock_out > e.clock_in and coalesce(e.break_duration, interval '0') > e.clock_out - e.clock_in
      union all
      select o.employee_id, o.id, 'overlapping_entries', format('time entry %s overlaps an earlier entry', o.id)
      from (
        select e.employee_id, e.id, e.clock_in,
               max(e.clock_out) over (partition by e.employee_id order by e.clock_in, e.id
                                      rows between unbounded preceding and 1 preceding) as prev_end
        from ent e where e.clock_out > e.clock_in
      ) o
      where o.clock_in < o.prev_end
    ) x
    group by x.employee_id
  ),
  ytd as materialized (
    select p.employee_id,
           sum(p.regular_pay) as regular_pay, sum(p.overtime_pay) as overtime_pay, sum(p.double_time_pay) as double_time_pay,
           sum(p.salary_pay) as salary_pay, sum(p.gross_pay) as gross_pay, sum(p.federal_income_tax) as fit,
           sum(p.social_security_tax) as ss, sum(p.medicare_tax) as med, sum(p.additional_medicare_tax) as addl,
           sum(p.other_deductions) as other, sum(p.net_pay) as net,
           sum(p.gross_pay) filter (where p.worker_type = 'employee') as fica_wages
    from public.paystubs p
    join public.payroll_runs r on r.id = p.payroll_run_id
    where r.organization_id = p_org_id and r.status in ('approved', 'paid')
      and r.id is distinct from p_run_id
      and r.pay_date >= make_date(v_year, 1, 1) and r.pay_date <= p_pay_date
    group by p.employee_id
  ),
  base as materialized (
    select e.*, h.worked, h.reg, h.ot, h.dt, ei.issues as entry_issues,
           greatest(0, least(p_end + 1, coalesce(e.termination_date, p_end + 1))
                       - greatest(p_start, coalesce(e.hire_date, p_start))) as employed_days,
           (case when (e.w4 -> 'step3_amount') is null or jsonb_typeof((e.w4 -> 'step3_amount')) = 'null' then 0::numeric when jsonb_typeof((e.w4 -> 'step3_amount')) = 'number' and ((e.w4 -> 'step3_amount') #>> '{}')::numeric >= 0 then ((e.w4 -> 'step3_amount') #>> '{}')::numeric when jsonb_typeof((e.w4 -> 'step3_amount')) = 'string' and ((e.w4 -> 'step3_amount') #>> '{}') ~ '^[0-9]+(\.[0-9]+)?$' then ((e.w4 -> 'step3_amount') #>> '{}')::numeric end) as step3,
           (case when (e.w4 -> 'step4a_other_income') is null or jsonb_typeof((e.w4 -> 'step4a_other_income')) = 'null' then 0::numeric when jsonb_typeof((e.w4 -> 'step4a_other_income')) = 'number' and ((e.w4 -> 'step4a_other_income') #>> '{}')::numeric >= 0 then ((e.w4 -> 'step4a_other_income') #>> '{}')::numeric when jsonb_typeof((e.w4 -> 'step4a_other_income')) = 'string' and ((e.w4 -> 'step4a_other_income') #>> '{}') ~ '^[0-9]+(\.[0-9]+)?$' then ((e.w4 -> 'step4a_other_income') #>> '{}')::numeric end) as step4a,
           (case when (e.w4 -> 'step4b_deductions') is null or jsonb_typeof((e.w4 -> 'step4b_deductions')) = 'null' then 0::numeric when jsonb_typeof((e.w4 -> 'step4b_deductions')) = 'number' and ((e.w4 -> 'step4b_deductions') #>> '{}')::numeric >= 0 then ((e.w4 -> 'step4b_deductions') #>> '{}')::numeric when jsonb_typeof((e.w4 -> 'step4b_deductions')) = 'string' and ((e.w4 -> 'step4b_deductions') #>> '{}') ~ '^[0-9]+(\.[0-9]+)?$' then ((e.w4 -> 'step4b_deductions') #>> '{}')::numeric end) as step4b,
           (case when (e.w4 -> 'step4c_extra_withholding') is null or jsonb_typeof((e.w4 -> 'step4c_extra_withholding')) = 'null' then 0::numeric when jsonb_typeof((e.w4 -> 'step4c_extra_withholding')) = 'number' and ((e.w4 -> 'step4c_extra_withholding') #>> '{}')::numeric >= 0 then ((e.w4 -> 'step4c_extra_withholding') #>> '{}')::numeric when jsonb_typeof((e.w4 -> 'step4c_extra_withholding')) = 'string' and ((e.w4 -> 'step4c_extra_withholding') #>> '{}') ~ '^[0-9]+(\.[0-9]+)?$' then ((e.w4 -> 'step4c_extra_withholding') #>> '{}')::numeric end) as step4c,
           (case when (e.w4 -> 'step2_checkbox') is null or jsonb_typeof((e.w4 -> 'step2_checkbox')) = 'null' then false when jsonb_typeof((e.w4 -> 'step2_checkbox')) = 'boolean' then ((e.w4 -> 'step2_checkbox') #>> '{}')::boolean when jsonb_typeof((e.w4 -> 'step2_checkbox')) = 'string' and lower((e.w4 -> 'step2_checkbox') #>> '{}') in ('true', 'false') then lower((e.w4 -> 'step2_checkbox') #>> '{}')::boolean end) as step2,
           case e.w4 ->> 'filing_status' when 'married_filing_separately' then 'single' else e.w4 ->> 'filing_status' end as filing_status
    from emp e
    left join hours h on h.employee_id = e.id
    left join entry_issues ei on ei.employee_id = e.id
  ),
  judged as materialized (
    -- from here on only the columns the rest needs (no W-4 document, no weekly breakdown): every stored
    -- stage copies its rows, and the hash joins copy them again
    select b.id, b.status, b.pay_type, b.hourly_rate, b.salary, b.is_contractor, b.flsa_exempt, b.exempt_wh,
           b.reg, b.ot, b.dt, b.entry_issues, b.employed_days, b.step2, b.step3, b.step4a, b.step4b, b.step4c,
           b.filing_status,
           (coalesce(b.worked, 0) > 0
            or (b.pay_type = 'salary' and p_kind = 'regular' and b.status <> 'inactive' and b.employed_days > 0)) as has_work,
           -- employee-level problems, as one expression (no subquery per employee)
           (
             case when b.pay_type is null
                  then jsonb_build_array(jsonb_build_object('reason', 'missing_pay_type', 'message', 'employee has no pay_type')) else '[]'::jsonb end
             || case when b.pay_type = 'hourly' and coalesce(b.hourly_rate, 0) <= 0
                  then jsonb_build_array(jsonb_build_object('reason', 'missing_pay_rate', 'message', 'hourly employee has no hourly_rate')) else '[]'::jsonb end
             || case when b.pay_type = 'salary' and coalesce(b.salary, 0) <= 0
                  then jsonb_build_array(jsonb_build_object('reason', 'missing_pay_rate', 'message', 'salaried employee has no salary')) else '[]'::jsonb end
             || case when not b.is_contractor and b.flsa_exempt is null
                  then jsonb_build_array(jsonb_build_object('reason', 'invalid_tax_info', 'message', 'tax_info.flsa_exempt must be true or false')) else '[]'::jsonb end
             || case when not b.is_contractor and b.exempt_wh is null
                  then jsonb_build_array(jsonb_build_object('reason', 'invalid_tax_info', 'message', 'tax_info.exempt_from_withholding must be true or false')) else '[]'::jsonb end
             || case when not b.is_contractor and b.exempt_wh is false
                  and (b.w4 is null or jsonb_typeof(b.w4) <> 'object' or b.w4 ->> 'filing_status' is null)
                  then jsonb_build_array(jsonb_build_object('reason', 'missing_w4', 'message', 'no Form W-4 data (tax_info.w4.filing_status) on file')) else '[]'::jsonb end
             || case when not b.is_contractor and b.exempt_wh is false and jsonb_typeof(b.w4) = 'object'
                  and b.w4 ->> 'filing_status' is not null
                  and b.w4 ->> 'filing_status' not in ('single', 'married_filing_jointly', 'head_of_household', 'married_filing_separately')
                  then jsonb_build_array(jsonb_build_object('reason', 'invalid_w4', 'message', 'tax_info.w4.filing_status is not a Form W-4 filing status')) else '[]'::jsonb end
             || case when not b.is_contractor and b.exempt_wh is false and jsonb_typeof(b.w4) = 'object'
                  and (b.step2 is null or b.step3 is null or b.step4a is null or b.step4b is null or b.step4c is null)
                  then jsonb_build_array(jsonb_build_object('reason', 'invalid_w4', 'message', 'tax_info.w4 amounts must be non-negative decimal strings and step2_checkbox a boolean')) else '[]'::jsonb end
           ) as emp_issues
    from base b
  ),
  pay as materialized (
    select j.*,
      case when not (j.entry_issues is null) then 'held'
           when not j.has_work then 'skipped'
           when jsonb_array_length(j.emp_issues) > 0 then 'held'
           else 'paid' end as outcome,
      case when j.has_work or j.entry_issues is not null then null
           when p_kind = 'off_cycle' then 'nothing_unpaid_in_period'
           when j.status = 'inactive' then 'inactive_no_time'
           when j.status = 'terminated' then 'terminated_no_time_before_termination'
           when j.employed_days = 0 then 'not_employed_in_period'
           else 'no_time_in_period' end as skip_reason,
      coalesce(j.reg, 0) as reg_s, coalesce(j.ot, 0) as ot_s, coalesce(j.dt, 0) as dt_s
    from judged j
  ),
  earn as materialized (
    select p.*,
      case when p.pay_type = 'hourly' then round(p.reg_s * p.hourly_rate / 3600, 2) else 0 end as e_regular,
      case when p.pay_type = 'hourly' then round(p.ot_s * p.hourly_rate * 1.5 / 3600, 2)
           when p.pay_type = 'salary' then round(p.ot_s * p.salary * 1.5 / (2080 * 3600), 2) else 0 end as e_overtime,
      case when p.pay_type = 'hourly' then round(p.dt_s * p.hourly_rate * 2 / 3600, 2)
           when p.pay_type = 'salary' then round(p.dt_s * p.salary * 2 / (2080 * 3600), 2) else 0 end as e_double,
      case when p.pay_type <> 'salary' or p_kind <> 'regular' or p.status = 'inactive' then 0
           when p.employed_days >= v_period_days then round(p.salary / v_n, 2)
           else round(p.salary * p.employed_days / (v_n * v_period_days), 2) end as e_salary
    from pay p
    where p.outcome = 'paid'
  ),
  gross as (
    select g.*, g.e_regular + g.e_overtime + g.e_double + g.e_salary as e_gross,
           -- Worksheet 1A step 1 (the same arithmetic as public.federal_income_tax_withholding)
           greatest(0, (g.e_regular + g.e_overtime + g.e_double + g.e_salary) * v_n + coalesce(g.step4a, 0) - coalesce(g.step4b, 0)
                       - case when g.step2 then 0 when g.filing_status = 'married_filing_jointly' then v_tax.w4_adjustment_married_filing_jointly else v_tax.w4_adjustment_other end) as adj_wage,
           coalesce(y.fica_wages, 0) as ytd_wages, y.regular_pay as y_regular, y.overtime_pay as y_overtime,
           y.double_time_pay as y_double, y.salary_pay as y_salary, y.gross_pay as y_gross, y.fit as y_fit,
           y.ss as y_ss, y.med as y_med, y.addl as y_addl, y.other as y_other, y.net as y_net
    from earn g
    left join ytd y on y.employee_id = g.id
  ),
  taxed as materialized (
    select g.*,
      case when g.is_contractor then 0
           else greatest(0, least(g.e_gross, v_tax.social_security_wage_base - g.ytd_wages)) end as ss_wages,
      case when g.is_contractor then 0
           else greatest(0, g.ytd_wages + g.e_gross - greatest(g.ytd_wages, v_tax.additional_medicare_threshold)) end as addl_wages,
      -- Worksheet 1A steps 2-4, rounded once; (tentative - credits) / periods in ONE division so that an exact
      -- half cent is not lost to a rounded quotient
      case when g.is_contractor or g.exempt_wh then 0
           else round(greatest(0, (coalesce(fb.tentative, 0) - coalesce(g.step3, 0)) / v_n) + coalesce(g.step4c, 0), 2) end as t_fit
    from gross g
    left join lateral (
      select b.base_tax + (g.adj_wage - b.lower_bound) * b.rate as tentative
      from public.federal_withholding_brackets b
      where b.tax_year = v_year and b.filing_status = g.filing_status
        and b.schedule = case when g.step2 then 'step2_checkbox' else 'standard' end
        and b.lower_bound <= g.adj_wage
      order by b.lower_bound desc
      limit 1
    ) fb on not (g.is_contractor or g.exempt_wh)
  ),
  lines as (
    select t.*,
      round(t.ss_wages * v_tax.social_security_rate, 2) as t_ss,
      case when t.is_contractor then 0 else round(t.e_gross * v_tax.medicare_rate, 2) end as t_med,
      round(t.addl_wages * v_tax.additional_medicare_rate, 2) as t_addl,
      0::numeric as t_other
    from taxed t
  ),
  stubs as (
    select l.*, l.e_gross - l.t_fit - l.t_ss - l.t_med - l.t_addl - l.t_other as t_net from lines l
  )
  select p.id, p.outcome,
         case p.outcome when 'skipped' then p.skip_reason
                        when 'held' then coalesce(p.entry_issues, p.emp_issues) -> 0 ->> 'reason' end,
         case p.outcome when 'held' then coalesce(p.entry_issues, '[]'::jsonb) || p.emp_issues end,
         case when p.is_contractor then 'contractor' else 'employee' end,
         round(s.reg_s / 3600, 4), round(s.ot_s / 3600, 4), round(s.dt_s / 3600, 4),
         s.e_regular, s.e_overtime, s.e_double, s.e_salary, s.e_gross,
         s.t_fit, s.t_ss, s.t_med, s.t_addl, s.t_other, s.t_net,
         coalesce(s.y_regular, 0) + s.e_regular, coalesce(s.y_overtime, 0) + s.e_overtime,
         coalesce(s.y_double, 0) + s.e_double, coalesce(s.y_salary, 0) + s.e_salary,
         coalesce(s.y_gross, 0) + s.e_gross, coalesce(s.y_fit, 0) + s.t_fit, coalesce(s.y_ss, 0) + s.t_ss,
         coalesce(s.y_med, 0) + s.t_med, coalesce(s.y_addl, 0) + s.t_addl, coalesce(s.y_other, 0) + s.t_other,
         coalesce(s.y_net, 0) + s.t_net,
         case when s.id is not null then jsonb_build_object(
           'workweeks', coalesce(hw.workweeks, '[]'::jsonb),
           'overtime_rules', case when s.is_contractor then 'none (contractor)'
                                  when s.flsa_exempt then 'none (FLSA exempt)' else v_rules end,
           'pay_type', s.pay_type,
           'hourly_rate', s.hourly_rate, 'annual_salary', s.salary, 'periods_per_year', v_n,
           'employed_days', s.employed_days, 'period_days', v_period_days,
           'w4', case when s.is_contractor then null
                      when s.exempt_wh then jsonb_build_object('exempt_from_withholding', true)
                      else jsonb_build_object('filing_status', s.filing_status, 'step2_checkbox', s.step2,
                             'step3_amount', s.step3, 'step4a_other_income', s.step4a,
                             'step4b_deductions', s.step4b, 'step4c_extra_withholding', s.step4c) end,
           'ytd_wages_before', s.ytd_wages, 'social_security_wages', s.ss_wages,
           'additional_medicare_wages', s.addl_wages, 'tax_year', v_year) end
  from pay p
  left join stubs s on s.id = p.id
  left join hours hw on hw.employee_id = s.id
  order by p.id;

  perform set_config('plan_cache_mode', v_plan_mode, true);

end
$$;
comment on function private.payroll_compute(bigint, date, date, date, text, jsonb, bigint) is
  'The complete, read-only payroll computation for one organization and period: one row per employee (paid with the stub figures, held with its validation issues, or skipped with a reason). Raises PR400 for a pay-date year without tax tables.';
revoke all on function private.payroll_compute(bigint, date, date, date, text, jsonb, bigint) from public, anon;
grant execute on function private.payroll_compute(bigint, date, date, date, text, jsonb, bigint) to authenticated, service_role;

-- Writes (or rewrites) one run and its stubs from private.payroll_compute. Called by the public RPC, inside
-- its advisory lock. Returns the response object.
create or replace function private.payroll_write_run(
  p_org_id bigint, p_start date, p_end date, p_pay_date date, p_kind text, p_settings jsonb,
  p_existing_run_id bigint, p_include_stubs boolean)
returns jsonb
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_run_id bigint := p_existing_run_id;
  v_from date := private.payroll_week_start(p_start, (p_settings ->> 'workweek_start_isodow')::int);
  v_to date := private.payroll_week_start(p_end + 1, (p_settings ->> 'workweek_start_isodow')::int);
  v_tz text := p_settings ->> 'timezone';
  v_result jsonb;
  v_errors jsonb;
  v_skipped jsonb;
  v_stubs jsonb;
  v_totals record;
  v_run_details jsonb;
begin
  if v_run_id is null then
    insert into public.payroll_runs (organization_id, period_start, period_end, pay_date, kind, status, created_by)
    values (p_org_id, p_start, p_end, p_pay_date, p_kind, 'draft', (select auth.uid()))
    returning id into v_run_id;
  end if;

  -- One statement: compute once (materialized), write the stubs in place (upsert keeps their ids, so a
  -- recalculated draft is the same rows), drop the ones no longer paid, and aggregate the answer.
  with c as materialized (
    select * from private.payroll_compute(p_org_id, p_start, p_end, p_pay_date, p_kind, p_settings, v_run_id)
  ),
  removed as (
    -- NOT IN over the (never null) employee ids: a hashed subplan, linear however many stubs the run has
    delete from public.paystubs p
    where p.payroll_run_id = v_run_id
      and p.employee_id not in (select c.employee_id from c where c.outcome = 'paid')
    returning p.id
  ),
  written as (
    insert into public.paystubs as p (
      organization_id, payroll_run_id, employee_id, worker_type, period_start, period_end, pay_date, status,
      regular_hours, overtime_hours, double_time_hours, regular_pay, overtime_pay, double_time_pay, salary_pay,
      gross_pay, federal_income_tax, social_security_tax, medicare_tax, additional_medicare_tax, other_deductions,
      net_pay, ytd_regular_pay, ytd_overtime_pay, ytd_double_time_pay, ytd_salary_pay, ytd_gross_pay,
      ytd_federal_income_tax, ytd_social_security_tax, ytd_medicare_tax, ytd_additional_medicare_tax,
      ytd_other_deductions, ytd_net_pay, details)
    select p_org_id, v_run_id, c.employee_id, c.worker_type, p_start, p_end, p_pay_date, 'prepared',
      c.regular_hours, c.overtime_hours, c.double_time_hours, c.regular_pay, c.overtime_pay, c.double_time_pay,
      c.salary_pay, c.gross_pay, c.federal_income_tax, c.social_security_tax, c.medicare_tax,
      c.additional_medicare_tax, c.other_deductions, c.net_pay, c.ytd_regular_pay, c.ytd_overtime_pay,
      c.ytd_double_time_pay, c.ytd_salary_pay, c.ytd_gross_pay, c.ytd_federal_income_tax, c.ytd_social_security_tax,
      c.ytd_medicare_tax, c.ytd_additional_medicare_tax, c.ytd_other_deductions, c.ytd_net_pay, c.details
    from c
    where c.outcome = 'paid'
    order by c.employee_id
    on conflict (payroll_run_id, employee_id) do update set
      worker_type = excluded.worker_type, period_start = excluded.period_start, period_end = excluded.period_end,
      pay_date = excluded.pay_date, status = excluded.status,
      regular_hours = excluded.regular_hours, overtime_hours = excluded.overtime_hours,
      double_time_hours = excluded.double_time_hours, regular_pay = excluded.regular_pay,
      overtime_pay = excluded.overtime_pay, double_time_pay = excluded.double_time_pay,
      salary_pay = excluded.salary_pay, gross_pay = excluded.gross_pay,
      federal_income_tax = excluded.federal_income_tax, social_security_tax = excluded.social_security_tax,
      medicare_tax = excluded.medicare_tax, additional_medicare_tax = excluded.additional_medicare_tax,
      other_deductions = excluded.other_deductions, net_pay = excluded.net_pay,
      ytd_regular_pay = excluded.ytd_regular_pay, ytd_overtime_pay = excluded.ytd_overtime_pay,
      ytd_double_time_pay = excluded.ytd_double_time_pay, ytd_salary_pay = excluded.ytd_salary_pay,
      ytd_gross_pay = excluded.ytd_gross_pay, ytd_federal_income_tax = excluded.ytd_federal_income_tax,
      ytd_social_security_tax = excluded.ytd_social_security_tax, ytd_medicare_tax = excluded.ytd_medicare_tax,
      ytd_additional_medicare_tax = excluded.ytd_additional_medicare_tax,
      ytd_other_deductions = excluded.ytd_other_deductions, ytd_net_pay = excluded.ytd_net_pay,
      details = excluded.details
    returning p.id
  )
  select count(*) filter (where c.outcome = 'paid') as stubs,
         count(*) filter (where c.outcome in ('paid', 'held')) as processed,
         coalesce(sum(c.gross_pay), 0) as gross,
         coalesce(sum(c.federal_income_tax + c.social_security_tax + c.medicare_tax + c.additional_medicare_tax + c.other_deductions), 0) as emp_tax,
         coalesce(sum(c.social_security_tax + c.medicare_tax), 0) as er_tax,
         coalesce(sum(c.net_pay), 0) as net,
         (select count(*) from written) + (select count(*) from removed) as touched,
         (select coalesce(jsonb_agg(jsonb_build_object('employee_id', h.employee_id, 'reason', x.i ->> 'reason',
                                                       'message', x.i ->> 'message', 'time_entry_id', x.i -> 'time_entry_id')
                                    order by h.employee_id, x.n), '[]'::jsonb)
            from c h cross join lateral jsonb_array_elements(h.issues) with ordinality as x(i, n)
            where h.outcome = 'held') as errors,
         (select coalesce(jsonb_agg(jsonb_build_object('employee_id', k.employee_id, 'reason', k.reason) order by k.employee_id), '[]'::jsonb)
            from c k where k.outcome = 'skipped') as skipped,
         case when p_include_stubs then
           (select coalesce(jsonb_agg(to_jsonb(w) - 'outcome' - 'reason' - 'issues' order by w.employee_id), '[]'::jsonb)
              from c w where w.outcome = 'paid') end as stubs_json
    into v_totals
  from c;
  v_errors := v_totals.errors;
  v_skipped := v_totals.skipped;
  v_stubs := v_totals.stubs_json;

  v_run_details := jsonb_build_object(
    'settings', p_settings - 'workweek_start_isodow',
    'period_alignment', case when v_from = p_start and v_to = p_end + 1 then 'aligned' else 'workweek_paid_in_period_it_ends' end,
    'workweeks_paid', jsonb_build_object('from', v_from, 'to', v_to - 1),
    'tax_year', extract(year from p_pay_date)::int,
    'tax_source', (select y.source from public.payroll_tax_years y where y.tax_year = extract(year from p_pay_date)::int),
    'errors', v_errors, 'skipped', v_skipped);

  update public.payroll_runs r set
    pay_date = p_pay_date,
    window_start = v_from::timestamp at time zone v_tz,
    window_end = v_to::timestamp at time zone v_tz,
    employees_processed = v_totals.processed,
    paystubs_created = v_totals.stubs,
    total_gross = v_totals.gross,
    total_employee_taxes = v_totals.emp_tax,
    total_employer_taxes = v_totals.er_tax,
    total_net = v_totals.net,
    total_amount = v_totals.gross + v_totals.er_tax,
    calculated_at = now(),
    details = v_run_details
  where r.id = v_run_id;


  v_result := jsonb_build_object(
    'success', true,
    'payroll_run_id', v_run_id,
    'status', 'draft',
    'kind', p_kind,
    'period_start', p_start, 'period_end', p_end, 'pay_date', p_pay_date,
    'employees_processed', v_totals.processed,
    'paystubs_created', v_totals.stubs,
    'total_gross', to_char(v_totals.gross, 'FM9999999999990.00'),
    'total_employee_taxes', to_char(v_totals.emp_tax, 'FM9999999999990.00'),
    'total_employer_taxes', to_char(v_totals.er_tax, 'FM9999999999990.00'),
    'total_net', to_char(v_totals.net, 'FM9999999999990.00'),
    'total_amount', to_char(v_totals.gross + v_totals.er_tax, 'FM9999999999990.00'),
    'period_alignment', v_run_details ->> 'period_alignment',
    'overtime_rules', p_settings ->> 'overtime_rules',
    'errors', v_errors,
    'skipped', v_skipped);
  if p_include_stubs then
    v_result := v_result || jsonb_build_object('paystubs', v_stubs);
  end if;
  return v_result;
end
$$;
comment on function private.payroll_write_run(bigint, date, date, date, text, jsonb, bigint, boolean) is
  'Creates or recalculates (in place, same stub rows) one draft run from private.payroll_compute and returns the response object.';
revoke all on function private.payroll_write_run(bigint, date, date, date, text, jsonb, bigint, boolean) from public, anon;
grant execute on function private.payroll_write_run(bigint, date, date, date, text, jsonb, bigint, boolean) to authenticated, service_role;

-- The period a regular run may cover, by pay frequency.
create or replace function private.payroll_check_period(p_start date, p_end date, p_frequency text) returns void
language plpgsql immutable set search_path = ''
as $$
begin
  if p_start is null or p_end is null or p_end < p_start then
    raise exception using errcode = 'PR400', message = 'period_end must be on or after period_start', detail = 'invalid_period';
  end if;
  if (p_frequency = 'weekly' and p_end - p_start <> 6)
     or (p_frequency = 'biweekly' and p_end - p_start <> 13)
     or (p_frequency = 'semimonthly' and not (
           (extract(day from p_start) = 1 and p_end = p_start + 14)
        or (extract(day from p_start) = 16 and p_end = (date_trunc('month', p_start) + interval '1 month - 1 day')::date)))
     or (p_frequency = 'monthly' and not (
           extract(day from p_start) = 1 and p_end = (date_trunc('month', p_start) + interval '1 month - 1 day')::date)) then
    raise exception using errcode = 'PR400',
      message = format('%s to %s is not a %s pay period (weekly: 7 days, biweekly: 14 days, semimonthly: 1st-15th or 16th-last day, monthly: a calendar month)', p_start, p_end, p_frequency),
      detail = 'invalid_period';
  end if;
end
$$;
comment on function private.payroll_check_period(date, date, text) is 'Raises PR400 (invalid_period) unless the dates form one pay period of the frequency.';
revoke all on function private.payroll_check_period(date, date, text) from public, anon;
grant execute on function private.payroll_check_period(date, date, text) to authenticated, service_role;

-- The RPC. Regular runs: one per organization and period (advisory lock + partial unique index); running
-- again recalculates the draft in place, an approved/paid run refuses (PR409 run_locked: use off_cycle).
-- Off-cycle runs (kind = 'off_cycle') always create a new draft paying the hours of the period that no
-- approved run has paid (no salary), with overtime computed over the whole workweek.
-- dry_run: the same computation and writes inside a subtransaction that is rolled back; nothing persists,
-- and the response carries the full preview (`paystubs`).
create or replace function public.run_payroll_for_period(
  org_id bigint, start_date date, end_date date, pay_date date default null, dry_run boolean default false,
  kind text default 'regular')
returns jsonb
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_settings jsonb;
  v_pay_date date;
  v_existing_id bigint;
  v_existing_status text;
  v_result jsonb;
begin
  perform private.payroll_authorize(org_id);
  if kind is null or kind not in ('regular', 'off_cycle') then
    raise exception using errcode = 'PR400', message = 'kind must be regular or off_cycle', detail = 'invalid_kind';
  end if;
  v_settings := private.payroll_settings(org_id);
  if start_date is null or end_date is null or end_date < start_date then
    raise exception using errcode = 'PR400', message = 'period_end must be on or after period_start', detail = 'invalid_period';
  end if;
  if end_date - start_date > 31 then
    raise exception using errcode = 'PR400', message = 'a pay period is at most 31 days', detail = 'invalid_period';
  end if;
  if kind = 'regular' then
    perform private.payroll_check_period(start_date, end_date, v_settings ->> 'pay_frequency');
  end if;
  v_pay_date := coalesce(pay_date, end_date + (v_settings ->> 'pay_date_offset_days')::int);
  if v_pay_date < end_date then
    raise exception using errcode = 'PR400', message = 'pay_date cannot be before period_end', detail = 'invalid_pay_date';
  end if;
  if not exists (select 1 from public.payroll_tax_years y where y.tax_year = extract(year from v_pay_date)::int) then
    raise exception using errcode = 'PR400', message = format('no payroll tax tables for pay date year %s', extract(year from v_pay_date)::int), detail = 'tax_tables_missing';
  end if;

  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(format('run_payroll:%s:%s:%s', org_id, start_date, end_date), 0));

  if kind = 'regular' then
    select r.id, r.status into v_existing_id, v_existing_status
    from public.payroll_runs r
    where r.organization_id = org_id and r.period_start = start_date and r.period_end = end_date
      and r.kind = 'regular' and r.status <> 'void'
    for update;
    if v_existing_status is distinct from 'draft' and v_existing_id is not null then
      raise exception using errcode = 'PR409',
        message = format('payroll run %s for this period is %s and cannot be recalculated; use an off_cycle run for corrections', v_existing_id, v_existing_status),
        detail = 'run_locked';
    end if;
  end if;

  if dry_run then
    begin
      v_result := private.payroll_write_run(org_id, start_date, end_date, v_pay_date, kind, v_settings, v_existing_id, true);
      raise exception using errcode = 'PRDRY', message = 'dry run: roll back';
    exception when sqlstate 'PRDRY' then
      null;
    end;
    return v_result || jsonb_build_object('dry_run', true, 'status', 'preview', 'payroll_run_id', v_existing_id);
  end if;
  return private.payroll_write_run(org_id, start_date, end_date, v_pay_date, kind, v_settings, v_existing_id, false)
         || jsonb_build_object('dry_run', false);
end
$$;
comment on function public.run_payroll_for_period(bigint, date, date, date, boolean, text) is
  'Calculates (or recalculates, for a draft) the payroll run of an organization and period and returns {success, payroll_run_id, status, employees_processed, paystubs_created, total_gross, total_net, total_amount, errors, skipped, ...}. SECURITY INVOKER: owner/admin (RLS + explicit check) or the service. Raises PR400/PR403/PR404/PR409.';
revoke all on function public.run_payroll_for_period(bigint, date, date, date, boolean, text) from public, anon;
grant execute on function public.run_payroll_for_period(bigint, date, date, date, boolean, text) to authenticated, service_role;

-- The organization of a payroll run whatever the caller may read (so that a member gets 403, not 404).
create or replace function private.payroll_run_organization(p_run_id bigint) returns bigint
language sql stable security definer set search_path = ''
as $$ select r.organization_id from public.payroll_runs r where r.id = p_run_id $$;
comment on function private.payroll_run_organization(bigint) is 'The organization of a payroll run. SECURITY DEFINER (runs are readable only by admins) so that payroll_run_action can answer 403 to a member and 404 to an outsider; it reveals nothing beyond what payroll_authorize then refuses.';
revoke all on function private.payroll_run_organization(bigint) from public, anon;
grant execute on function private.payroll_run_organization(bigint) to authenticated, service_role;

-- Lifecycle: approve (draft -> approved; locks the time entries the run paid), mark_paid (approved -> paid),
-- void (draft or approved -> void; releases the locks).
create or replace function public.payroll_run_action(payroll_run_id bigint, action text)
returns jsonb
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_run record;
  v_locked int := 0;
  v_released int := 0;
  v_uid uuid := (select auth.uid());
  v_next text;
  v_org bigint;
begin
  v_org := private.payroll_run_organization(payroll_run_id);
  if v_org is null then
    raise exception using errcode = 'PR404', message = 'payroll run not found', detail = 'not_found';
  end if;
  perform private.payroll_authorize(v_org);
  select r.id, r.organization_id, r.status, r.window_start, r.window_end into v_run
  from public.payroll_runs r where r.id = payroll_run_id for update;

  v_next := case action when 'approve' then 'approved' when 'mark_paid' then 'paid' when 'void' then 'void' end;
  if v_next is null then
    raise exception using errcode = 'PR400', message = 'action must be approve, mark_paid or void', detail = 'invalid_action';
  end if;
  if not ((v_run.status = 'draft' and action in ('approve', 'void')) or (v_run.status = 'approved' and action in ('mark_paid', 'void'))) then
    raise exception using errcode = 'PR409', message = format('cannot %s a %s payroll run', action, v_run.status), detail = 'invalid_transition';
  end if;

  -- the stubs and time entries follow the run's status in private.payroll_run_status_effects (a trigger, so
  -- that a direct update of the status does the same); only one run ever locks an entry, so the entries it
  -- holds after approving are the ones this approval locked, and before voiding the ones voiding releases
  if action = 'approve' then
    update public.payroll_runs r set status = 'approved', approved_by = v_uid, approved_at = now() where r.id = v_run.id;
    select count(*) into v_locked from public.time_entries t where t.payroll_run_id = v_run.id;
  elsif action = 'mark_paid' then
    update public.payroll_runs r set status = 'paid', paid_by = v_uid, paid_at = now() where r.id = v_run.id;
  else
    select count(*) into v_released from public.time_entries t where t.payroll_run_id = v_run.id;
    update public.payroll_runs r set status = 'void', voided_by = v_uid, voided_at = now() where r.id = v_run.id;
  end if;

  return (select jsonb_build_object(
    'payroll_run_id', r.id, 'status', r.status, 'kind', r.kind,
    'period_start', r.period_start, 'period_end', r.period_end, 'pay_date', r.pay_date,
    'employees_processed', r.employees_processed, 'paystubs_created', r.paystubs_created,
    'total_gross', to_char(r.total_gross, 'FM9999999999990.00'),
    'total_net', to_char(r.total_net, 'FM9999999999990.00'),
    'total_amount', to_char(r.total_amount, 'FM9999999999990.00'),
    'time_entries_locked', v_locked, 'time_entries_released', v_released,
    'errors', coalesce(r.details -> 'errors', '[]'::jsonb))
    from public.payroll_runs r where r.id = v_run.id);
end
$$;
comment on function public.payroll_run_action(bigint, text) is
  'Moves a payroll run along its lifecycle (approve | mark_paid | void) and returns the run summary. Approving locks the paid time entries; voiding releases them. SECURITY INVOKER with the owner/admin check; raises PR400/PR403/PR404/PR409.';
revoke all on function public.payroll_run_action(bigint, text) from public, anon;
grant execute on function public.payroll_run_action(bigint, text) to authenticated, service_role;

-- Hours of one employee over the whole workweeks ending in [start_date, end_date], by the same rules (and the
-- same function) as the paystubs. Shape from the ODYSSEY-1 API: {total_hours, regular_hours, overtime_hours,
-- days_worked, avg_hours_per_day} plus double_time_hours and the rule applied.
create or replace function public.get_employee_time_summary(employee_id bigint, start_date date, end_date date)
returns jsonb
language plpgsql stable security invoker set search_path = ''
as $$
#variable_conflict use_variable
declare
  v_org bigint;
  v_settings jsonb;
  v_from date;
  v_to date;
  v_total numeric;
  v_reg numeric;
  v_ot numeric;
  v_dt numeric;
  v_days int;
begin
  select e.organization_id into v_org from public.employees e where e.id = employee_id;
  if not found then
    raise exception using errcode = 'PR404', message = 'employee not found', detail = 'not_found';
  end if;
  perform private.payroll_authorize(v_org);
  if start_date is null or end_date is null or end_date < start_date then
    raise exception using errcode = 'PR400', message = 'end_date must be on or after start_date', detail = 'invalid_period';
  end if;
  v_settings := private.payroll_settings(v_org);
  v_from := private.payroll_week_start(start_date, (v_settings ->> 'workweek_start_isodow')::int);
  v_to := private.payroll_week_start(end_date + 1, (v_settings ->> 'workweek_start_isodow')::int);
  select coalesce(sum(h.worked_seconds), 0), coalesce(sum(h.regular_seconds), 0), coalesce(sum(h.overtime_seconds), 0),
         coalesce(sum(h.double_time_seconds), 0), count(*) filter (where h.worked_seconds > 0)
    into v_total, v_reg, v_ot, v_dt, v_days
  from private.payroll_daily_hours(v_org, v_from, v_to, v_settings ->> 'timezone',
                                   (v_settings ->> 'workweek_start_isodow')::int, v_settings ->> 'overtime_rules',
                                   employee_id, false) h;
  return jsonb_build_object(
    'employee_id', employee_id,
    'total_hours', round(v_total / 3600, 4),
    'regular_hours', round(v_reg / 3600, 4),
    'overtime_hours', round(v_ot / 3600, 4),
    'double_time_hours', round(v_dt / 3600, 4),
    'days_worked', v_days,
    'avg_hours_per_day', case when v_days > 0 then round(v_total / 3600 / v_days, 4) else 0 end,
    'workweeks', jsonb_build_object('from', v_from, 'to', v_to - 1),
    'overtime_rules', v_settings ->> 'overtime_rules');
end
$$;
comment on function public.get_employee_time_summary(bigint, date, date) is
  'Hours of one employee (whole workweeks ending in the range, as the paystubs count them): total, regular, overtime, double time, days worked, average per day. SECURITY INVOKER with the owner/admin check.';
revoke all on function public.get_employee_time_summary(bigint, date, date) from public, anon;
grant execute on function public.get_employee_time_summary(bigint, date, date) to authenticated, service_role;

-- The last complete pay period ending before p_as_of for a frequency and anchor.
create or replace function private.payroll_last_period(p_as_of date, p_frequency text, p_anchor date,
                                                        out period_start date, out period_end date)
language plpgsql immutable set search_path = ''
as $$
declare
  v_len int;
begin
  if p_frequency in ('weekly', 'biweekly') then
    v_len := case p_frequency when 'weekly' then 7 else 14 end;
    -- the period containing p_as_of starts at anchor + k*len; the one before it is the last that ended
    period_start := p_anchor + (floor((p_as_of - p_anchor)::numeric / v_len)::int - 1) * v_len;
    period_end := period_start + v_len - 1;
  elsif p_frequency = 'semimonthly' then
    if extract(day from p_as_of) >= 16 then
      period_start := date_trunc('month', p_as_of)::date;
      period_end := period_start + 14;
    else
      period_start := (date_trunc('month', p_as_of) - interval '1 month')::date + 15;
      period_end := (date_trunc('month', p_as_of) - interval '1 day')::date;
    end if;
  else
    period_start := (date_trunc('month', p_as_of) - interval '1 month')::date;
    period_end := (date_trunc('month', p_as_of) - interval '1 day')::date;
  end if;
end
$$;
comment on function private.payroll_last_period(date, text, date) is 'The most recent pay period (of the frequency, aligned on the anchor for weekly/biweekly) that ended before p_as_of.';
revoke all on function private.payroll_last_period(date, text, date) from public, anon;
grant execute on function private.payroll_last_period(date, text, date) to service_role;

-- Scheduler entry (service only): a draft regular run for every organization whose last pay period has
-- ended and has no run yet. Idempotent: an organization that already has a (non-void) run for that period
-- is left alone. An organization whose settings are invalid is reported, not fatal to the others.
create or replace function public.prepare_due_payroll_runs(as_of date default current_date)
returns jsonb
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_org record;
  v_settings jsonb;
  v_period record;
  v_created jsonb := '[]'::jsonb;
  v_existing jsonb := '[]'::jsonb;
  v_failed jsonb := '[]'::jsonb;
  v_result jsonb;
begin
  if current_user not in ('service_role', 'postgres') then
    raise exception using errcode = 'PR403', message = 'only the service prepares scheduled payroll runs', detail = 'forbidden';
  end if;
  for v_org in select o.id from public.organizations o
               where exists (select 1 from public.employees e where e.organization_id = o.id)
               order by o.id loop
    begin
      v_settings := private.payroll_settings(v_org.id);
      select * into v_period from private.payroll_last_period(as_of, v_settings ->> 'pay_frequency', (v_settings ->> 'period_anchor')::date);
      if exists (select 1 from public.payroll_runs r
                 where r.organization_id = v_org.id and r.period_start = v_period.period_start
                   and r.period_end = v_period.period_end and r.kind = 'regular' and r.status <> 'void') then
        v_existing := v_existing || jsonb_build_object('organization_id', v_org.id, 'period_start', v_period.period_start, 'period_end', v_period.period_end);
        continue;
      end if;
      v_result := public.run_payroll_for_period(v_org.id, v_period.period_start, v_period.period_end, null, false, 'regular');
      v_created := v_created || jsonb_build_object('organization_id', v_org.id, 'payroll_run_id', v_result -> 'payroll_run_id',
                                                   'period_start', v_period.period_start, 'period_end', v_period.period_end,
                                                   'paystubs_created', v_result -> 'paystubs_created',
                                                   'errors', jsonb_array_length(v_result -> 'errors'));
    exception when sqlstate 'PR400' or sqlstate 'PR409' then
      v_failed := v_failed || jsonb_build_object('organization_id', v_org.id, 'error', sqlerrm);
    end;
  end loop;
  return jsonb_build_object('as_of', as_of, 'created', v_created, 'already_prepared', v_existing, 'failed', v_failed);
end
$$;
comment on function public.prepare_due_payroll_runs(date) is
  'Scheduled (service only): prepares the draft regular run of the last ended pay period of every organization with employees, idempotently; returns {created, already_prepared, failed}.';
revoke all on function public.prepare_due_payroll_runs(date) from public, anon, authenticated;
grant execute on function public.prepare_due_payroll_runs(date) to service_role;
