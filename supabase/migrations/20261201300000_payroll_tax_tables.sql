-- run-payroll, part 1: federal payroll tax constants as versioned data.
--
-- Sources: SSA 2025 and 2026 wage-base announcements; IRS Publication 15-T, Worksheet 1A (percentage method
-- for automated payroll systems, 2020-or-later Form W-4) for 2025 (Rev. Proc. 2024-40) and 2026 (Rev. Proc.
-- 2025-32). Figures rebuilt from the Rev. Proc. brackets and cross-checked (see `source` on every row).
-- A pay date in a year that has no row here is an error in the run, never a silent fallback.

create table public.payroll_tax_years (
  tax_year integer primary key check (tax_year between 2000 and 2100),
  social_security_rate numeric not null check (social_security_rate > 0 and social_security_rate < 1),
  social_security_wage_base numeric(12,2) not null check (social_security_wage_base > 0),
  medicare_rate numeric not null check (medicare_rate > 0 and medicare_rate < 1),
  additional_medicare_rate numeric not null check (additional_medicare_rate > 0 and additional_medicare_rate < 1),
  additional_medicare_threshold numeric(12,2) not null check (additional_medicare_threshold > 0),
  -- Worksheet 1A step 1(g): subtracted from annualised wages unless the W-4 Step 2 box is checked.
  w4_adjustment_married_filing_jointly numeric(12,2) not null,
  w4_adjustment_other numeric(12,2) not null,
  source text not null
);
comment on table public.payroll_tax_years is
  'Per calendar year (of the pay date): FICA rates, the Social Security wage base, the Additional Medicare threshold and the Pub 15-T Worksheet 1A step-1 adjustments, with their source.';
comment on column public.payroll_tax_years.social_security_wage_base is 'Wages per employee per calendar year above which no Social Security tax is withheld.';
comment on column public.payroll_tax_years.additional_medicare_threshold is 'Year-to-date wages with this employer above which the employee-only Additional Medicare tax applies, whatever the filing status.';
comment on column public.payroll_tax_years.w4_adjustment_married_filing_jointly is 'Worksheet 1A line 1g for married filing jointly (not applied when the Step 2 box is checked).';
comment on column public.payroll_tax_years.w4_adjustment_other is 'Worksheet 1A line 1g for every other filing status (not applied when the Step 2 box is checked).';

create table public.federal_withholding_brackets (
  tax_year integer not null references public.payroll_tax_years(tax_year),
  filing_status text not null check (filing_status in ('single', 'married_filing_jointly', 'head_of_household')),
  schedule text not null check (schedule in ('standard', 'step2_checkbox')),
  lower_bound numeric(12,2) not null check (lower_bound >= 0),   -- column A
  base_tax numeric(12,2) not null check (base_tax >= 0),         -- column C
  rate numeric(6,4) not null check (rate >= 0 and rate < 1),     -- column D
  derived boolean not null default false,
  source text not null,
  primary key (tax_year, filing_status, schedule, lower_bound)
);
comment on table public.federal_withholding_brackets is
  'Pub 15-T Worksheet 1A annual percentage-method tables: one row per bracket (A = lower bound, C = tentative tax at A, D = rate above A; the next row''s A is the upper bound; below the first A the tax is 0). Married filing separately uses the single rows.';
comment on column public.federal_withholding_brackets.schedule is 'standard = Form W-4 Step 2 box not checked; step2_checkbox = the box is checked.';
comment on column public.federal_withholding_brackets.derived is 'True where the row was computed from the Rev. Proc. brackets (half the standard deduction as the 0% band, halved bracket widths, thresholds rounded half-up to whole dollars, base amounts to cents) rather than copied from the published table.';

alter table public.payroll_tax_years enable row level security;
alter table public.federal_withholding_brackets enable row level security;

-- Public reference data: any signed-in user may read it (it is published by the IRS); nobody but the
-- migrations writes it.
create policy "Signed-in users read payroll tax years" on public.payroll_tax_years
  for select to authenticated using (true);
create policy "Signed-in users read withholding brackets" on public.federal_withholding_brackets
  for select to authenticated using (true);

revoke all on public.payroll_tax_years, public.federal_withholding_brackets from public, anon, authenticated, service_role;
grant select on public.payroll_tax_years, public.federal_withholding_brackets to authenticated, service_role;

insert into public.payroll_tax_years values
  (2025, 0.062, 176100.00, 0.0145, 0.009, 200000.00, 12900.00, 8600.00,
   'SSA 2025 COLA fact sheet (wage base 176,100); IRC 3101(b)(2) Additional Medicare; IRS Pub 15-T (2025) Worksheet 1A'),
  (2026, 0.062, 184500.00, 0.0145, 0.009, 200000.00, 12900.00, 8600.00,
   'SSA 2026 COLA fact sheet (wage base 184,500); IRC 3101(b)(2) Additional Medicare; IRS Pub 15-T (2026) Worksheet 1A');

insert into public.federal_withholding_brackets (tax_year, filing_status, schedule, lower_bound, base_tax, rate, derived, source)
select y, fs, sch, a, c, d, der, src
from (values
  -- 2025, Standard withholding rate schedules
  (2025, 'single', 'standard', 0::numeric, 0::numeric, 0::numeric, false),
  (2025, 'single', 'standard', 6400, 0, 0.10, false),
  (2025, 'single', 'standard', 18325, 1192.50, 0.12, false),
  (2025, 'single', 'standard', 54875, 5578.50, 0.22, false),
  (2025, 'single', 'standard', 109750, 17651, 0.24, false),
  (2025, 'single', 'standard', 203700, 40199, 0.32, false),
  (2025, 'single', 'standard', 256925, 57231, 0.35, false),
  (2025, 'single', 'standard', 632750, 188769.75, 0.37, false),
  (2025, 'married_filing_jointly', 'standard', 0, 0, 0, false),
  (2025, 'married_filing_jointly', 'standard', 17100, 0, 0.10, false),
  (2025, 'married_filing_jointly', 'standard', 40950, 2385, 0.12, false),
  (2025, 'married_filing_jointly', 'standard', 114050, 11157, 0.22, false),
  (2025, 'married_filing_jointly', 'standard', 223800, 35302, 0.24, false),
  (2025, 'married_filing_jointly', 'standard', 411700, 80398, 0.32, false),
  (2025, 'married_filing_jointly', 'standard', 518150, 114462, 0.35, false),
  (2025, 'married_filing_jointly', 'standard', 768700, 202154.50, 0.37, false),
  (2025, 'head_of_household', 'standard', 0, 0, 0, false),
  (2025, 'head_of_household', 'standard', 13900, 0, 0.10, false),
  (2025, 'head_of_household', 'standard', 30900, 1700, 0.12, false),
  (2025, 'head_of_household', 'standard', 78750, 7442, 0.22, false),
  (2025, 'head_of_household', 'standard', 117250, 15912, 0.24, false),
  (2025, 'head_of_household', 'standard', 211200, 38460, 0.32, false),
  (2025, 'head_of_household', 'standard', 264400, 55484, 0.35, false),
  (2025, 'head_of_household', 'standard', 640250, 187031.50, 0.37, false),
  -- 2025, Form W-4 Step 2 checkbox withholding rate schedules
  (2025, 'single', 'step2_checkbox', 0, 0, 0, false),
  (2025, 'single', 'step2_checkbox', 7500, 0, 0.10, false),
  (2025, 'single', 'step2_checkbox', 13463, 596.25, 0.12, false),
  (2025, 'single', 'step2_checkbox', 31738, 2789.25, 0.22, false),
  (2025, 'single', 'step2_checkbox', 59175, 8825.50, 0.24, false),
  (2025, 'single', 'step2_checkbox', 106150, 20099.50, 0.32, false),
  (2025, 'single', 'step2_checkbox', 132763, 28615.50, 0.35, false),
  (2025, 'single', 'step2_checkbox', 320675, 94384.88, 0.37, false),
  (2025, 'married_filing_jointly', 'step2_checkbox', 0, 0, 0, false),
  (2025, 'married_filing_jointly', 'step2_checkbox', 15000, 0, 0.10, false),
  (2025, 'married_filing_jointly', 'step2_checkbox', 26925, 1192.50, 0.12, false),
  (2025, 'married_filing_jointly', 'step2_checkbox', 63475, 5578.50, 0.22, false),
  (2025, 'married_filing_jointly', 'step2_checkbox', 118350, 17651, 0.24, false),
  (2025, 'married_filing_jointly', 'step2_checkbox', 212300, 40199, 0.32, false),
  (2025, 'married_filing_jointly', 'step2_checkbox', 265525, 57231, 0.35, false),
  (2025, 'married_filing_jointly', 'step2_checkbox', 390800, 101077.25, 0.37, false),
  (2025, 'head_of_household', 'step2_checkbox', 0, 0, 0, false),
  (2025, 'head_of_household', 'step2_checkbox', 11250, 0, 0.10, false),
  (2025, 'head_of_household', 'step2_checkbox', 19750, 850, 0.12, false),
  (2025, 'head_of_household', 'step2_checkbox', 43675, 3721, 0.22, false),
  (2025, 'head_of_household', 'step2_checkbox', 62925, 7956, 0.24, false),
  (2025, 'head_of_household', 'step2_checkbox', 109900, 19230, 0.32, false),
  (2025, 'head_of_household', 'step2_checkbox', 136500, 27742, 0.35, false),
  (2025, 'head_of_household', 'step2_checkbox', 324425, 93515.75, 0.37, false),
  -- 2026, Standard withholding rate schedules
  (2026, 'single', 'standard', 0, 0, 0, false),
  (2026, 'single', 'standard', 7500, 0, 0.10, false),
  (2026, 'single', 'standard', 19900, 1240, 0.12, false),
  (2026, 'single', 'standard', 57900, 5800, 0.22, false),
  (2026, 'single', 'standard', 113200, 17966, 0.24, false),
  (2026, 'single', 'standard', 209275, 41024, 0.32, false),
  (2026, 'single', 'standard', 263725, 58448, 0.35, false),
  (2026, 'single', 'standard', 648100, 192979.25, 0.37, false),
  (2026, 'married_filing_jointly', 'standard', 0, 0, 0, false),
  (2026, 'married_filing_jointly', 'standard', 19300, 0, 0.10, false),
  (2026, 'married_filing_jointly', 'standard', 44100, 2480, 0.12, false),
  (2026, 'married_filing_jointly', 'standard', 120100, 11600, 0.22, false),
  (2026, 'married_filing_jointly', 'standard', 230700, 35932, 0.24, false),
  (2026, 'married_filing_jointly', 'standard', 422850, 82048, 0.32, false),
  (2026, 'married_filing_jointly', 'standard', 531750, 116896, 0.35, false),
  (2026, 'married_filing_jointly', 'standard', 788000, 206583.50, 0.37, false),
  (2026, 'head_of_household', 'standard', 0, 0, 0, false),
  (2026, 'head_of_household', 'standard', 15550, 0, 0.10, false),
  (2026, 'head_of_household', 'standard', 33250, 1770, 0.12, false),
  (2026, 'head_of_household', 'standard', 83000, 7740, 0.22, false),
  (2026, 'head_of_household', 'standard', 121250, 16155, 0.24, false),
  (2026, 'head_of_household', 'standard', 217300, 39207, 0.32, false),
  (2026, 'head_of_household', 'standard', 271750, 56631, 0.35, false),
  (2026, 'head_of_household', 'standard', 656150, 191171, 0.37, false),
  -- 2026, Step 2 checkbox: married filing jointly as published (top base derived: 58,448 + 128,125 x 35%)
  (2026, 'married_filing_jointly', 'step2_checkbox', 0, 0, 0, false),
  (2026, 'married_filing_jointly', 'step2_checkbox', 16100, 0, 0.10, false),
  (2026, 'married_filing_jointly', 'step2_checkbox', 28500, 1240, 0.12, false),
  (2026, 'married_filing_jointly', 'step2_checkbox', 66500, 5800, 0.22, false),
  (2026, 'married_filing_jointly', 'step2_checkbox', 121800, 17966, 0.24, false),
  (2026, 'married_filing_jointly', 'step2_checkbox', 217875, 41024, 0.32, false),
  (2026, 'married_filing_jointly', 'step2_checkbox', 272325, 58448, 0.35, false),
  (2026, 'married_filing_jointly', 'step2_checkbox', 400450, 103291.75, 0.37, true),
  -- 2026, Step 2 checkbox, single and head of household: DERIVED from the Rev. Proc. 2025-32 brackets.
  -- Single: 0% band 8,050 (half of 16,100); half widths 6,200 / 25,200 / 52,850 / 100,887.50 / 128,112.50 /
  -- 320,300 added to 8,050, thresholds rounded half-up to dollars; bases accumulate the unrounded half widths.
  (2026, 'single', 'step2_checkbox', 0, 0, 0, true),
  (2026, 'single', 'step2_checkbox', 8050, 0, 0.10, true),
  (2026, 'single', 'step2_checkbox', 14250, 620, 0.12, true),
  (2026, 'single', 'step2_checkbox', 33250, 2900, 0.22, true),
  (2026, 'single', 'step2_checkbox', 60900, 8983, 0.24, true),
  (2026, 'single', 'step2_checkbox', 108938, 20512, 0.32, true),
  (2026, 'single', 'step2_checkbox', 136163, 29224, 0.35, true),
  (2026, 'single', 'step2_checkbox', 328350, 96489.63, 0.37, true),
  -- Head of household: 0% band 12,075 (half of 24,150); half widths 8,850 / 33,725 / 52,850 / 100,875 /
  -- 128,100 / 320,300.
  (2026, 'head_of_household', 'step2_checkbox', 0, 0, 0, true),
  (2026, 'head_of_household', 'step2_checkbox', 12075, 0, 0.10, true),
  (2026, 'head_of_household', 'step2_checkbox', 20925, 885, 0.12, true),
  (2026, 'head_of_household', 'step2_checkbox', 45800, 3870, 0.22, true),
  (2026, 'head_of_household', 'step2_checkbox', 64925, 8077.50, 0.24, true),
  (2026, 'head_of_household', 'step2_checkbox', 112950, 19603.50, 0.32, true),
  (2026, 'head_of_household', 'step2_checkbox', 140175, 28315.50, 0.35, true),
  (2026, 'head_of_household', 'step2_checkbox', 332375, 95585.50, 0.37, true)
) as v(y, fs, sch, a, c, d, der)
cross join lateral (select case
  when der then format('Derived from Rev. Proc. %s brackets per IRS Pub 15-T %s Worksheet 1A method (see table comment)', case y when 2025 then '2024-40' else '2025-32' end, y)
  else format('IRS Pub 15-T (%s), Worksheet 1A annual percentage method tables; Rev. Proc. %s', y, case y when 2025 then '2024-40' else '2025-32' end)
end as src) s;

-- Worksheet 1A as one SQL expression over the rows above. Pure (stable) and security invoker: it reads only
-- the public tax tables. Returns the federal income tax to withhold for one pay period, rounded once
-- half-up to cents. Raises PR400 (detail tax_tables_missing) for a tax year without tables.
create or replace function public.federal_income_tax_withholding(
  p_tax_year integer,
  p_filing_status text,
  p_step2_checkbox boolean,
  p_period_wages numeric,
  p_periods_per_year integer,
  p_step3_amount numeric default 0,
  p_step4a_other_income numeric default 0,
  p_step4b_deductions numeric default 0,
  p_step4c_extra_withholding numeric default 0
) returns numeric
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_year public.payroll_tax_years%rowtype;
  v_status text := case p_filing_status when 'married_filing_separately' then 'single' else p_filing_status end;
  v_adjusted numeric;
  v_tentative numeric;
  v_per_period numeric;
begin
  select * into v_year from public.payroll_tax_years y where y.tax_year = p_tax_year;
  if not found then
    raise exception using errcode = 'PR400', message = format('no federal withholding tables for tax year %s', p_tax_year),
      detail = 'tax_tables_missing';
  end if;
  if v_status not in ('single', 'married_filing_jointly', 'head_of_household') then
    raise exception using errcode = 'PR400', message = format('unknown filing status %s', p_filing_status),
      detail = 'invalid_w4';
  end if;
  if p_periods_per_year not in (12, 24, 26, 52) then
    raise exception using errcode = 'PR400', message = format('unsupported pay periods per year %s', p_periods_per_year),
      detail = 'invalid_setting';
  end if;
  -- Step 1: annualise, add 4(a), subtract 4(b) and (unless Step 2) the line-1g adjustment; floor at 0.
  v_adjusted := greatest(0,
    p_period_wages * p_periods_per_year
    + coalesce(p_step4a_other_income, 0)
    - coalesce(p_step4b_deductions, 0)
    - case when coalesce(p_step2_checkbox, false) then 0
           when v_status = 'married_filing_jointly' then v_year.w4_adjustment_married_filing_jointly
           else v_year.w4_adjustment_other end);
  -- Step 2: the bracket with A <= wage < next A.
  select b.base_tax + (v_adjusted - b.lower_bound) * b.rate into v_tentative
  from public.federal_withholding_brackets b
  where b.tax_year = p_tax_year and b.filing_status = v_status
    and b.schedule = case when coalesce(p_step2_checkbox, false) then 'step2_checkbox' else 'standard' end
    and b.lower_bound <= v_adjusted
  order by b.lower_bound desc
  limit 1;
  -- Steps 2-4: per period, less Step 3 credits (floor 0), plus 4(c); rounded once.
  -- (tentative - credits) / periods in one division: the same value as tentative/periods - credits/periods,
  -- without two rounded quotients that could lose an exact half cent
  v_per_period := greatest(0, (coalesce(v_tentative, 0) - coalesce(p_step3_amount, 0)) / p_periods_per_year)
                  + coalesce(p_step4c_extra_withholding, 0);
  return round(v_per_period, 2);
end
$$;
comment on function public.federal_income_tax_withholding(integer, text, boolean, numeric, integer, numeric, numeric, numeric, numeric) is
  'IRS Pub 15-T Worksheet 1A (2020-or-later W-4) for one pay period: annualise, adjust, look up the versioned bracket, de-annualise, Step 3 credit, Step 4(c); numeric throughout, rounded once half-up. Raises PR400 for a year without tables.';
revoke all on function public.federal_income_tax_withholding(integer, text, boolean, numeric, integer, numeric, numeric, numeric, numeric) from public, anon;
grant execute on function public.federal_income_tax_withholding(integer, text, boolean, numeric, integer, numeric, numeric, numeric, numeric) to authenticated, service_role;
