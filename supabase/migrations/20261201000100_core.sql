-- Core of ODYSSEY-1: subscription plans (organizations reference them), profiles, organizations, memberships,
-- system logs, system configuration and learned knowledge; the private membership helpers every policy uses;
-- a profile for each new auth user.
--
-- Access model (see tests/database/rls_matrix.py for the executable version):
--   * a user reads and edits their own profile, but never is_admin or email;
--   * organization data is reached through private.user_org_ids() / private.user_admin_org_ids() /
--     private.user_owner_org_ids(), SECURITY DEFINER helpers over user_organizations;
--   * only owners add, change or remove memberships, and never their own;
--   * platform admins (profiles.is_admin) read every profile and every log;
--   * schema ops is not exposed through the API: service role only, except the reads the document grants.

-- Schema ops ---------------------------------------------------------------------------------------------
create schema if not exists ops;
revoke all on schema ops from public;
grant usage on schema ops to authenticated, service_role;
comment on schema ops is 'R.O.M.A.N. operations: events, commands, agents, health. Not exposed through the API.';

-- subscription_plans ---------------------------------------------------------------------------------------
create table public.subscription_plans (
  id bigserial primary key,
  tier text unique not null,
  name text not null,
  price_monthly numeric(10,2) not null,
  price_yearly numeric(10,2),
  features jsonb not null,
  limits jsonb not null,
  stripe_price_id text unique,
  active boolean default true,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  constraint subscription_plans_tier_check check (tier in ('free', 'professional', 'business', 'enterprise')),
  constraint subscription_plans_price_monthly_check check (price_monthly >= 0),
  constraint subscription_plans_price_yearly_check check (price_yearly is null or price_yearly >= 0),
  constraint subscription_plans_features_object check (jsonb_typeof(features) = 'object'),
  constraint subscription_plans_limits_object check (jsonb_typeof(limits) = 'object')
);
comment on table public.subscription_plans is 'Available subscription tiers (reference data); readable by everyone.';
comment on column public.subscription_plans.features is
  'Plan features: users, organizations, ai_requests, storage_gb, theme_access {type,count}, knowledge_bases {type,count}, support.';
comment on column public.subscription_plans.limits is 'Hard limits enforced by the functions (-1 = unlimited).';

-- profiles -------------------------------------------------------------------------------------------------
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text not null constraint idx_profiles_email unique,
  full_name text,
  avatar_url text,
  phone text,
  is_admin boolean default false,
  is_onboarded boolean default false,
  onboarding_completed_at timestamptz,
  preferences jsonb default '{}',
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
comment on table public.profiles is 'User profile extending auth.users one-to-one; created by a trigger on auth.users.';
comment on column public.profiles.is_admin is 'Platform administrator. Never writable by the user (no column grant).';
comment on column public.profiles.full_name is 'Display only: copied from user-editable metadata, never used for authorization.';
create index idx_profiles_is_admin on public.profiles (is_admin) where is_admin = true;

-- organizations --------------------------------------------------------------------------------------------
create table public.organizations (
  id bigserial primary key,
  name text not null,
  industry text,
  tax_id text unique,
  address jsonb,
  phone text,
  email text,
  website text,
  logo_url text,
  stripe_customer_id text constraint idx_organizations_stripe_customer unique,
  subscription_id bigint references public.subscription_plans (id),
  settings jsonb default '{}',
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
comment on table public.organizations is 'Companies using the platform (the tenant). Created by the service role.';
comment on column public.organizations.subscription_id is 'The current plan (subscription_plans.id), kept by the billing webhooks.';
create index idx_organizations_subscription on public.organizations (subscription_id);

-- user_organizations ---------------------------------------------------------------------------------------
create table public.user_organizations (
  id bigserial primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  role text default 'member',
  permissions jsonb default '[]',
  joined_at timestamptz default now(),
  unique (user_id, organization_id),
  constraint user_organizations_role_check check (role in ('owner', 'admin', 'member'))
);
comment on table public.user_organizations is 'Membership of a user in an organization, with the role owner, admin or member.';
create index idx_user_org_user on public.user_organizations (user_id);
create index idx_user_org_org on public.user_organizations (organization_id);
create index idx_user_org_role on public.user_organizations (role);

-- system_logs ----------------------------------------------------------------------------------------------
create table public.system_logs (
  id bigserial primary key,
  timestamp timestamptz default now(),
  severity text check (severity in ('debug', 'info', 'warning', 'error', 'critical')),
  source text not null,
  message text not null,
  user_id uuid references auth.users (id) on delete set null,
  -- set null (not the default no action): logs outlive the organization they mention
  organization_id bigint references public.organizations (id) on delete set null,
  metadata jsonb,
  stack_trace text,
  correlation_id uuid
);
comment on table public.system_logs is 'Centralised log of application, R.O.M.A.N. and audit events. Written by the service role and the audit trigger.';
create index idx_system_logs_timestamp on public.system_logs (timestamp desc);
create index idx_system_logs_severity on public.system_logs (severity);
create index idx_system_logs_source on public.system_logs (source);
create index idx_system_logs_user on public.system_logs (user_id);
create index idx_system_logs_correlation on public.system_logs (correlation_id);
create index idx_system_logs_org on public.system_logs (organization_id);

-- system_config / system_knowledge -------------------------------------------------------------------------
create table public.system_config (
  id bigserial primary key,
  key text not null unique,
  value jsonb not null default '{}',
  description text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.system_config is 'Platform configuration (key → JSON value). Service role writes, platform admins read.';

create table public.system_knowledge (
  id bigserial primary key,
  category text not null,
  knowledge_key text not null,
  value jsonb not null default '{}',
  confidence_level integer not null default 100 check (confidence_level between 0 and 100),
  learned_from text,
  metadata jsonb default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (category, knowledge_key)
);
comment on table public.system_knowledge is 'What R.O.M.A.N. has learned, by category and key. Service role writes, platform admins read.';

-- Private helpers (SECURITY DEFINER, search_path '', not exposed) -------------------------------------------
create function private.user_org_ids()
returns setof bigint
language sql stable security definer
set search_path = ''
as $$
  select uo.organization_id from public.user_organizations uo where uo.user_id = (select auth.uid())
$$;
comment on function private.user_org_ids() is 'Organizations the caller belongs to (any role). For policies: organization_id in (select private.user_org_ids()).';

create function private.user_admin_org_ids()
returns setof bigint
language sql stable security definer
set search_path = ''
as $$
  select uo.organization_id from public.user_organizations uo
  where uo.user_id = (select auth.uid()) and uo.role in ('owner', 'admin')
$$;
comment on function private.user_admin_org_ids() is 'Organizations where the caller is owner or admin.';

create function private.user_owner_org_ids()
returns setof bigint
language sql stable security definer
set search_path = ''
as $$
  select uo.organization_id from public.user_organizations uo
  where uo.user_id = (select auth.uid()) and uo.role = 'owner'
$$;
comment on function private.user_owner_org_ids() is 'Organizations where the caller is owner.';

create function private.is_platform_admin()
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select coalesce((select p.is_admin from public.profiles p where p.id = (select auth.uid())), false)
$$;
comment on function private.is_platform_admin() is 'True when the caller''s profile has is_admin. For policies: (select private.is_platform_admin()).';

revoke all on function private.user_org_ids(), private.user_admin_org_ids(), private.user_owner_org_ids(),
  private.is_platform_admin() from public, anon;
grant execute on function private.user_org_ids(), private.user_admin_org_ids(), private.user_owner_org_ids(),
  private.is_platform_admin() to authenticated, service_role;

-- A profile for each new auth user; its email follows the auth email --------------------------------------
create function private.handle_new_user()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  -- phone-only sign-ups have no email yet: their profile is created when an email is set
  if new.email is null then
    return new;
  end if;
  insert into public.profiles (id, email, full_name)
  values (new.id, new.email, nullif(new.raw_user_meta_data ->> 'full_name', ''))
  on conflict (id) do update set email = excluded.email;
  return new;
end
$$;
comment on function private.handle_new_user() is
  'Trigger on auth.users: creates (or re-syncs the email of) the user''s profile. SECURITY DEFINER: the auth service writes auth.users, not profiles.';
revoke all on function private.handle_new_user() from public, anon, authenticated;

create trigger on_auth_user_created
after insert on auth.users
for each row execute function private.handle_new_user();

create trigger on_auth_user_email_changed
after update of email on auth.users
for each row when (new.email is distinct from old.email)
execute function private.handle_new_user();

-- updated_at triggers ------------------------------------------------------------------------------------
create trigger set_updated_at before update on public.subscription_plans
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.profiles
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.organizations
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.system_config
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.system_knowledge
for each row execute function public.update_updated_at_column();

-- Row level security -----------------------------------------------------------------------------------------
alter table public.subscription_plans enable row level security;
alter table public.profiles enable row level security;
alter table public.organizations enable row level security;
alter table public.user_organizations enable row level security;
alter table public.system_logs enable row level security;
alter table public.system_config enable row level security;
alter table public.system_knowledge enable row level security;

-- subscription_plans: public read, platform-admin write
create policy "Anyone can read subscription plans" on public.subscription_plans
  for select to anon, authenticated using (true);
create policy "Platform admins can create subscription plans" on public.subscription_plans
  for insert to authenticated with check ((select private.is_platform_admin()));
create policy "Platform admins can update subscription plans" on public.subscription_plans
  for update to authenticated using ((select private.is_platform_admin()))
  with check ((select private.is_platform_admin()));
create policy "Platform admins can delete subscription plans" on public.subscription_plans
  for delete to authenticated using ((select private.is_platform_admin()));

-- profiles: own read/update, platform admins read all
create policy "Users read own profile, admins read all" on public.profiles
  for select to authenticated
  using (id = (select auth.uid()) or (select private.is_platform_admin()));
create policy "Users update own profile" on public.profiles
  for update to authenticated
  using (id = (select auth.uid())) with check (id = (select auth.uid()));

-- organizations: members read, owners/admins update
create policy "Members read their organizations" on public.organizations
  for select to authenticated using (id in (select private.user_org_ids()));
create policy "Organization admins update their organization" on public.organizations
  for update to authenticated
  using (id in (select private.user_admin_org_ids()))
  with check (id in (select private.user_admin_org_ids()));

-- user_organizations: own membership and (for owners/admins) their organization's; owners manage others
create policy "Users read own memberships, admins read their organization's" on public.user_organizations
  for select to authenticated
  using (user_id = (select auth.uid()) or organization_id in (select private.user_admin_org_ids()));
create policy "Owners add memberships" on public.user_organizations
  for insert to authenticated
  with check (organization_id in (select private.user_owner_org_ids()) and user_id <> (select auth.uid()));
create policy "Owners change other members' memberships" on public.user_organizations
  for update to authenticated
  using (organization_id in (select private.user_owner_org_ids()) and user_id <> (select auth.uid()))
  with check (organization_id in (select private.user_owner_org_ids()) and user_id <> (select auth.uid()));
create policy "Owners remove other members" on public.user_organizations
  for delete to authenticated
  using (organization_id in (select private.user_owner_org_ids()) and user_id <> (select auth.uid()));

-- system_logs: own logs and platform admins; inserts only by the service role and the audit trigger
create policy "Users read own logs, admins read all" on public.system_logs
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_platform_admin()));

-- system_config / system_knowledge: platform admins read; the service role writes
create policy "Platform admins read system config" on public.system_config
  for select to authenticated using ((select private.is_platform_admin()));
create policy "Platform admins read system knowledge" on public.system_knowledge
  for select to authenticated using ((select private.is_platform_admin()));

-- Grants (explicit: never rely on the platform's default privileges) ------------------------------------------
revoke all on table public.subscription_plans, public.profiles, public.organizations, public.user_organizations,
  public.system_logs, public.system_config, public.system_knowledge from public, anon, authenticated, service_role;
revoke all on sequence public.subscription_plans_id_seq, public.organizations_id_seq,
  public.user_organizations_id_seq, public.system_logs_id_seq, public.system_config_id_seq,
  public.system_knowledge_id_seq from public, anon, authenticated, service_role;

grant select, insert, update, delete on table public.subscription_plans, public.profiles, public.organizations,
  public.user_organizations, public.system_logs, public.system_config, public.system_knowledge to service_role;
grant usage, select on sequence public.subscription_plans_id_seq, public.organizations_id_seq,
  public.user_organizations_id_seq, public.system_logs_id_seq, public.system_config_id_seq,
  public.system_knowledge_id_seq to service_role;

grant select on table public.subscription_plans to anon;
grant select, insert, update, delete on table public.subscription_plans to authenticated;
grant usage on sequence public.subscription_plans_id_seq to authenticated;

grant select on table public.profiles to authenticated;
grant update (full_name, avatar_url, phone, is_onboarded, onboarding_completed_at, preferences)
  on table public.profiles to authenticated;

grant select on table public.organizations to authenticated;
grant update (name, industry, tax_id, address, phone, email, website, logo_url, settings)
  on table public.organizations to authenticated;

grant select, insert, delete on table public.user_organizations to authenticated;
grant update (role, permissions) on table public.user_organizations to authenticated;
grant usage on sequence public.user_organizations_id_seq to authenticated;

grant select on table public.system_logs, public.system_config, public.system_knowledge to authenticated;
