-- Employee pay privacy: salary, hourly_rate, tax_info (Form W-4) and direct_deposit (bank details) of
-- public.employees are readable only by the organization's owners/admins, by the employee themself, and by the
-- trusted roles (service_role, postgres). The roster (name, title, department, contact, status, dates) stays
-- readable by every member, as before.
--
-- Design (documented choice). RLS decides rows, not columns, and column privileges are per role, not per
-- row, so the two are combined:
--   * `authenticated` loses SELECT on the four columns (column-level SELECT grants on the roster columns
--     instead of the table-level grant). Reading one of them directly, or `select *`, or
--     `update ... returning *`, is `42501 permission denied` for every signed-in user, whatever the row —
--     the same answer for a member, an admin and an outsider, so nothing is revealed. INSERT, UPDATE and
--     DELETE stay table-level grants: owners/admins still write the pay columns through the API (RLS keeps
--     writes to them); a write that should return the row asks for roster columns (`Prefer:
--     return=minimal`, or `select=` without pay columns) and reads the pay data back from public.employee_pay.
--     A column added to employees later is not readable by `authenticated` until a migration grants it.
--   * Owners/admins and the employee read the pay data through the view public.employee_pay
--     (security_invoker), over private.employee_pay, which goes through the one SECURITY DEFINER reader,
--     private.employee_pay_checked, with the explicit per-row check
--     `organization_id in (select private.user_admin_org_ids()) or user_id = (select auth.uid())`.
--     A role that holds the column privileges itself (service_role, postgres) reads the table directly,
--     under its own RLS, so nothing changes for the service.
--   * The payroll engine (security invoker) reads hourly_rate / salary / tax_info only through
--     private.payroll_employee_pay, which is redefined here over private.employee_pay: an owner/admin (whom
--     private.payroll_authorize has already checked) and the service compute exactly the same amounts.

-- Column privileges ------------------------------------------------------------------------------------------
revoke select on table public.employees from authenticated;
revoke select (salary, hourly_rate, tax_info, direct_deposit) on table public.employees from authenticated;
grant select (id, organization_id, user_id, employee_number, full_name, email, phone, hire_date,
              termination_date, job_title, department, pay_type, employment_type, status, created_at, updated_at)
  on table public.employees to authenticated;

comment on column public.employees.salary is 'Annual salary. Pay data: readable only by owners/admins and the employee, through public.employee_pay (no column SELECT for authenticated).';
comment on column public.employees.hourly_rate is 'Hourly rate. Pay data: readable only by owners/admins and the employee, through public.employee_pay (no column SELECT for authenticated).';
comment on column public.employees.tax_info is 'W-4 data used by payroll (filing status, steps 2-4). Pay data: readable only by owners/admins and the employee, through public.employee_pay (no column SELECT for authenticated).';
comment on column public.employees.direct_deposit is 'Bank details for direct deposit. Pay data: readable only by owners/admins and the employee, through public.employee_pay (no column SELECT for authenticated).';

-- The checked reader (the one raised-rights piece) -----------------------------------------------------------
-- SECURITY DEFINER: `authenticated` has no SELECT on these columns, so reading them needs the owner's rights;
-- the rows are limited explicitly to the caller's admin organizations and the caller's own employee record
-- (the same rows the employees policies let them see, minus those of organizations where they are a plain
-- member). Without a signed-in user (auth.uid() null) it returns nothing.
create function private.employee_pay_checked(p_organization_id bigint default null)
returns table (employee_id bigint, organization_id bigint, hourly_rate numeric, salary numeric, tax_info jsonb,
               direct_deposit jsonb)
language sql stable security definer
set search_path = ''
as $$
  select e.id, e.organization_id, e.hourly_rate, e.salary, e.tax_info, e.direct_deposit
  from public.employees e
  where (p_organization_id is null or e.organization_id = p_organization_id)
    and (e.organization_id in (select private.user_admin_org_ids()) or e.user_id = (select auth.uid()))
$$;
comment on function private.employee_pay_checked(bigint) is
  'Pay data (hourly_rate, salary, tax_info, direct_deposit) of the employees of the caller''s owner/admin organizations and of the caller''s own employee record, optionally of one organization. SECURITY DEFINER (authenticated has no SELECT on these columns) with that explicit per-row check.';
revoke all on function private.employee_pay_checked(bigint) from public, anon;
grant execute on function private.employee_pay_checked(bigint) to authenticated, service_role;

-- Who reads what: a role holding SELECT on the pay columns (service_role, postgres) reads the table directly
-- under its own RLS; anyone else gets the checked rows.
create function private.employee_pay(p_organization_id bigint default null)
returns table (employee_id bigint, organization_id bigint, hourly_rate numeric, salary numeric, tax_info jsonb,
               direct_deposit jsonb)
language plpgsql stable security invoker
set search_path = ''
as $$
begin
  if has_column_privilege('public.employees', 'salary', 'SELECT')
     and has_column_privilege('public.employees', 'hourly_rate', 'SELECT')
     and has_column_privilege('public.employees', 'tax_info', 'SELECT')
     and has_column_privilege('public.employees', 'direct_deposit', 'SELECT') then
    return query
      select e.id, e.organization_id, e.hourly_rate, e.salary, e.tax_info, e.direct_deposit
      from public.employees e
      where p_organization_id is null or e.organization_id = p_organization_id;
  else
    return query select c.* from private.employee_pay_checked(p_organization_id) c;
  end if;
end
$$;
comment on function private.employee_pay(bigint) is
  'Pay data of the employees the caller may see it for: the table itself for a role with SELECT on the pay columns (service_role, postgres), private.employee_pay_checked (owner/admin organizations, own record) for everyone else.';
revoke all on function private.employee_pay(bigint) from public, anon;
grant execute on function private.employee_pay(bigint) to authenticated, service_role;

-- The API surface --------------------------------------------------------------------------------------------
create view public.employee_pay with (security_invoker = on) as
  select p.employee_id, p.organization_id, p.hourly_rate, p.salary, p.tax_info, p.direct_deposit
  from private.employee_pay() p;
comment on view public.employee_pay is
  'Pay data of employees (hourly_rate, salary, tax_info, direct_deposit), one row per employee_id: every employee of the organizations where the caller is owner or admin, and the caller''s own record. Members read the roster from public.employees, which does not expose these columns to them.';
revoke all on table public.employee_pay from public, anon, authenticated, service_role;
grant select on table public.employee_pay to authenticated, service_role;

-- The payroll engine ------------------------------------------------------------------------------------------
-- Same signature and columns as in 20261201300200_payroll_engine: only the source changes, so a caller who
-- passed private.payroll_authorize (owner/admin) or the service gets exactly the rows it read before.
create or replace function private.payroll_employee_pay(p_org_id bigint)
returns table (employee_id bigint, hourly_rate numeric, salary numeric, tax_info jsonb)
language sql stable security invoker set search_path = ''
as $$
  select p.employee_id, p.hourly_rate, p.salary, p.tax_info from private.employee_pay(p_org_id) p
$$;
comment on function private.payroll_employee_pay(bigint) is 'hourly_rate, salary and tax_info of the employees of an organization, for the payroll computation (the only way it reads them): through private.employee_pay, so an owner/admin gets every employee of the organization and a member at most their own record.';
revoke all on function private.payroll_employee_pay(bigint) from public, anon;
grant execute on function private.payroll_employee_pay(bigint) to authenticated, service_role;
