-- Small demo data for `supabase db reset` (the Supabase CLI runs this file after the migrations, as postgres).
-- The full, deterministic data sets (small / medium / large) come from `odyssey db seed`; this file only gives
-- a freshly reset project something to look at: two organizations, five users who can sign in with the
-- password "odyssey-demo", their memberships, and a few employees and customers.
-- It inserts nothing that already exists, so running it twice is harmless.

-- Users: auth.users rows with fixed ids (the on_auth_user_created trigger creates their profiles). The token
-- columns are empty strings, not NULL: the auth service fails to read users whose tokens are NULL.
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
                        confirmation_token, recovery_token, email_change_token_new, email_change)
select '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated', u.email,
       extensions.crypt('odyssey-demo', '$2a$06$OdysseySeedDemoSalt123'), timestamptz '2026-01-05 09:00+00',
       '{"provider": "email", "providers": ["email"]}', jsonb_build_object('full_name', u.full_name),
       timestamptz '2026-01-05 09:00+00', timestamptz '2026-01-05 09:00+00', '', '', '', ''
from (values
  ('a0000000-0000-4000-8000-000000000001'::uuid, 'owner@acme.test', 'Olivia Owens'),
  ('a0000000-0000-4000-8000-000000000002'::uuid, 'admin@acme.test', 'Adam Alvarez'),
  ('a0000000-0000-4000-8000-000000000003'::uuid, 'member@acme.test', 'Maya Moreno'),
  ('a0000000-0000-4000-8000-000000000004'::uuid, 'owner@globex.test', 'Gabriel Gómez'),
  ('a0000000-0000-4000-8000-000000000005'::uuid, 'member@globex.test', 'Greta Müller')
) as u (id, email, full_name)
where not exists (select 1 from auth.users x where x.id = u.id or x.email = u.email);

-- On the Supabase platform an email login also needs an identity row (the local shim has no such table).
do $identities$
begin
  if to_regclass('auth.identities') is not null then
    execute $sql$
      insert into auth.identities (id, user_id, provider_id, provider, identity_data, last_sign_in_at, created_at, updated_at)
      select u.id, u.id, u.id::text, 'email',
             jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true),
             u.created_at, u.created_at, u.created_at
      from auth.users u
      where u.email in ('owner@acme.test', 'admin@acme.test', 'member@acme.test', 'owner@globex.test',
                        'member@globex.test')
        and not exists (select 1 from auth.identities i where i.user_id = u.id and i.provider = 'email')
    $sql$;
  end if;
end
$identities$;

-- Profiles: created by the trigger; make sure they exist and carry the display fields.
insert into public.profiles (id, email, full_name)
select u.id, u.email, u.raw_user_meta_data ->> 'full_name'
from auth.users u
where u.email like '%@acme.test' or u.email like '%@globex.test'
on conflict (id) do nothing;
update public.profiles p
   set full_name = u.raw_user_meta_data ->> 'full_name', is_onboarded = true,
       onboarding_completed_at = timestamptz '2026-01-05 11:00+00'
  from auth.users u
 where u.id = p.id and (u.email like '%@acme.test' or u.email like '%@globex.test') and not p.is_onboarded;

-- Organizations, with the payroll settings run-payroll reads.
insert into public.organizations (name, industry, tax_id, address, phone, email, website, subscription_id, settings)
select o.name, o.industry, o.tax_id, o.address, o.phone, o.email, o.website,
       (select id from public.subscription_plans where tier = o.tier), o.settings
from (values
  ('Acme Field Services', 'General Contracting', '74-0000001',
   '{"street": "1200 Congress Ave", "city": "Austin", "state": "TX", "zip": "78701"}'::jsonb,
   '(512) 555-0100', 'office@acme.test', 'https://acme.test', 'business',
   '{"payroll": {"timezone": "America/Chicago", "workweek_start": "monday", "pay_frequency": "biweekly",
                 "overtime_rules": "federal"}, "currency": "USD"}'::jsonb),
  ('Globex Mechanical', 'HVAC', '94-0000002',
   '{"street": "800 Market St", "city": "Oakland", "state": "CA", "zip": "94607"}'::jsonb,
   '(510) 555-0100', 'office@globex.test', 'https://globex.test', 'professional',
   '{"payroll": {"timezone": "America/Los_Angeles", "workweek_start": "sunday", "pay_frequency": "weekly",
                 "overtime_rules": "california"}, "currency": "USD"}'::jsonb)
) as o (name, industry, tax_id, address, phone, email, website, tier, settings)
where not exists (select 1 from public.organizations x where x.tax_id = o.tax_id);

insert into public.user_organizations (user_id, organization_id, role, permissions)
select u.id, org.id, m.role, m.permissions::jsonb
from (values
  ('owner@acme.test', '74-0000001', 'owner', '["*"]'),
  ('admin@acme.test', '74-0000001', 'admin', '["employees:write", "payroll:run"]'),
  ('member@acme.test', '74-0000001', 'member', '[]'),
  ('owner@globex.test', '94-0000002', 'owner', '["*"]'),
  ('member@globex.test', '94-0000002', 'member', '[]')
) as m (email, tax_id, role, permissions)
join auth.users u on u.email = m.email
join public.organizations org on org.tax_id = m.tax_id
on conflict (user_id, organization_id) do nothing;

-- Employees of each pay type, W-4 data as run-payroll expects it (amounts as decimal strings).
insert into public.employees (organization_id, user_id, employee_number, full_name, email, hire_date, job_title,
                              department, hourly_rate, salary, pay_type, employment_type, status, tax_info)
select org.id, (select id from auth.users where email = e.login), e.number, e.full_name, e.email, e.hire_date::date,
       e.job_title, e.department, e.hourly_rate::numeric, e.salary::numeric, e.pay_type, e.employment_type, 'active',
       e.tax_info::jsonb
from (values
  ('74-0000001', 'member@acme.test', 'DEMO-A-001', 'Maya Moreno', 'maya.moreno@acme.test', '2024-03-04',
   'Technician', 'Field Operations', '28.50', null, 'hourly', 'full_time',
   '{"w4": {"filing_status": "single", "step2_checkbox": false, "step3_amount": "0.00",
            "step4a_other_income": "0.00", "step4b_deductions": "0.00", "step4c_extra_withholding": "0.00"},
     "flsa_exempt": false, "exempt_from_withholding": false}'),
  ('74-0000001', null, 'DEMO-A-002', 'Henry Nguyen', 'henry.nguyen@acme.test', '2021-08-16',
   'Project Manager', 'Operations', null, '98000.00', 'salary', 'full_time',
   '{"w4": {"filing_status": "married_filing_jointly", "step2_checkbox": false, "step3_amount": "4000.00",
            "step4a_other_income": "0.00", "step4b_deductions": "0.00", "step4c_extra_withholding": "0.00"},
     "flsa_exempt": true, "exempt_from_withholding": false}'),
  ('74-0000001', null, 'DEMO-A-003', 'Rosa Castillo', 'rosa.castillo@acme.test', '2025-05-12',
   'Laborer', 'Field Operations', '19.75', null, 'hourly', 'part_time',
   '{"w4": {"filing_status": "head_of_household", "step2_checkbox": true, "step3_amount": "2000.00",
            "step4a_other_income": "0.00", "step4b_deductions": "0.00", "step4c_extra_withholding": "25.00"},
     "flsa_exempt": false, "exempt_from_withholding": false}'),
  ('74-0000001', null, 'DEMO-A-004', 'Dev Patel', 'dev.patel@acme.test', '2026-02-02',
   'Electrician', 'Field Operations', '55.00', null, 'hourly', 'contractor',
   '{"flsa_exempt": false, "exempt_from_withholding": true, "form": "W-9"}'),
  ('94-0000002', 'member@globex.test', 'DEMO-G-001', 'Greta Müller', 'greta.muller@globex.test', '2023-10-09',
   'Senior Technician', 'Field Operations', '42.00', null, 'hourly', 'full_time',
   '{"w4": {"filing_status": "single", "step2_checkbox": false, "step3_amount": "0.00",
            "step4a_other_income": "0.00", "step4b_deductions": "0.00", "step4c_extra_withholding": "0.00"},
     "flsa_exempt": false, "exempt_from_withholding": false}'),
  ('94-0000002', null, 'DEMO-G-002', 'Tomás Núñez', 'tomas.nunez@globex.test', '2022-06-20',
   'Office Manager', 'Administration', null, '61000.00', 'salary', 'full_time',
   '{"w4": {"filing_status": "married_filing_jointly", "step2_checkbox": false, "step3_amount": "2000.00",
            "step4a_other_income": "0.00", "step4b_deductions": "0.00", "step4c_extra_withholding": "0.00"},
     "flsa_exempt": false, "exempt_from_withholding": false}')
) as e (tax_id, login, number, full_name, email, hire_date, job_title, department, hourly_rate, salary, pay_type,
        employment_type, tax_info)
join public.organizations org on org.tax_id = e.tax_id
where not exists (select 1 from public.employees x where x.employee_number = e.number);

-- A few customers per organization (one accented name, for search).
insert into public.customers (organization_id, name, email, phone, address, company, customer_since, lifetime_value, tags)
select org.id, c.name, c.email, c.phone, c.address::jsonb, c.company, c.since::date, c.ltv::numeric, c.tags::text[]
from (values
  ('74-0000001', 'Jennifer Walker', 'jennifer.walker@gmail.com', '(512) 555-0142',
   '{"street": "4410 Duval St", "city": "Austin", "state": "TX", "zip": "78751"}', null, '2023-04-11', '18450.00',
   '{residential,repeat}'),
  ('74-0000001', 'Marcus Reed', 'mreed@keystoneproperties.com', '512-555-0199',
   '{"street": "901 Lamar Blvd Suite 200", "city": "Austin", "state": "TX", "zip": "78703"}',
   'Keystone Properties LLC', '2022-09-30', '96210.50', '{commercial,vip}'),
  ('74-0000001', 'José Martínez', null, '+1 737 555 0110',
   '{"street": "77 Oak Ln", "city": "Round Rock", "state": "TX", "zip": "78664"}', null, '2025-07-02', '0.00',
   '{residential,new}'),
  ('94-0000002', 'Hélène Dubois', 'helene.dubois@outlook.com', '(510) 555-0123',
   '{"street": "3120 Telegraph Ave", "city": "Oakland", "state": "CA", "zip": "94609"}', null, '2024-01-15',
   '7320.00', '{residential}'),
  ('94-0000002', 'Kevin Chen', 'kchen@harborclinic.com', '510.555.0177',
   '{"street": "55 Harrison St", "city": "Oakland", "state": "CA", "zip": "94607"}', 'Harbor Clinic Inc.',
   '2021-11-08', '41800.00', '{commercial,net30}')
) as c (tax_id, name, email, phone, address, company, since, ltv, tags)
join public.organizations org on org.tax_id = c.tax_id
where not exists (select 1 from public.customers x where x.organization_id = org.id and x.name = c.name);
