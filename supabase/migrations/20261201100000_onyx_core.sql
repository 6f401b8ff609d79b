-- OnyxOS core: the `onyx` schema, agencies, profiles (one per auth user), the membership helpers that every
-- onyx policy uses, and models (content creators) with their platform credentials kept out of the API.
--
-- Conventions for the whole onyx schema (all 2026120110xxxx migrations):
--   * every table has `agency_id uuid not null references onyx.agencies on delete cascade`, uuid ids,
--     created_at/updated_at with public.update_updated_at_column();
--   * references to agency-owned rows are composite foreign keys `(x_id, agency_id)` → `(id, agency_id)`, so a
--     row can never point at another agency's row, whatever the caller's privileges;
--   * policies: members read their agency's rows (`agency_id = (select private.onyx_agency_id())`), owners and
--     admins manage them (`(select private.onyx_is_manager())`); one permissive policy per role and action;
--   * secrets (platform tokens, invitation tokens) live in service-only tables: no grant to anon/authenticated.

create schema if not exists onyx;
comment on schema onyx is 'OnyxOS: agency-management data, every row owned by an agency. Exposed through the Data API.';
revoke all on schema onyx from public;
grant usage on schema onyx to anon, authenticated, service_role;

-- Agencies ---------------------------------------------------------------------------------------------
create table onyx.agencies (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(btrim(name)) between 1 and 200),
  registration_number text check (length(registration_number) <= 100),
  treasury_balance numeric(14, 2) not null default 0,
  tax_jurisdiction text check (length(tax_jurisdiction) <= 100),
  tax_rate numeric(5, 4) check (tax_rate between 0 and 1),
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  timezone text not null default 'UTC',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table onyx.agencies is 'OnyxOS tenant: the agency every other onyx row belongs to.';
comment on column onyx.agencies.tax_rate is 'A fraction between 0 and 1 (0.2 = 20%).';
comment on column onyx.agencies.timezone is 'IANA time zone name (validated); payout periods and daily figures are cut in it.';

-- A check constraint cannot read pg_timezone_names, so a trigger validates the name on insert and change.
create function onyx.agencies_validate_timezone()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_timezone_names where name = new.timezone) then
    raise exception 'unknown time zone "%"', new.timezone
      using errcode = '22023', hint = 'use an IANA name such as Europe/Berlin or America/New_York';
  end if;
  return new;
end
$$;
comment on function onyx.agencies_validate_timezone() is 'Trigger: refuses an agency time zone that is not an IANA name.';
revoke all on function onyx.agencies_validate_timezone() from public, anon, authenticated;

create trigger agencies_validate_timezone
  before insert or update of timezone on onyx.agencies
  for each row execute function onyx.agencies_validate_timezone();
create trigger agencies_updated_at
  before update on onyx.agencies
  for each row execute function public.update_updated_at_column();

alter table onyx.agencies enable row level security;

-- Profiles ---------------------------------------------------------------------------------------------
create table onyx.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  username text not null check (length(btrim(username)) between 1 and 50),
  role text not null default 'chatter' check (role in ('owner', 'admin', 'chatter', 'smm', 'recruiter')),
  avatar_url text,
  xp_count integer not null default 0 check (xp_count >= 0),
  total_xp integer not null default 0 check (total_xp >= 0),
  current_streak integer not null default 0 check (current_streak >= 0),
  last_login_date date,
  league_rank text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint profiles_id_agency_key unique (id, agency_id),
  constraint profiles_agency_username_key unique (agency_id, username)
);
comment on table onyx.profiles is 'OnyxOS member: one per auth user, in exactly one agency, with a role (owner/admin manage).';
comment on column onyx.profiles.role is 'owner and admin manage the agency; chatter, smm and recruiter are staff roles.';
create index idx_profiles_agency on onyx.profiles (agency_id);

create trigger profiles_updated_at
  before update on onyx.profiles
  for each row execute function public.update_updated_at_column();

alter table onyx.profiles enable row level security;

-- Membership helpers (SECURITY DEFINER: they read onyx.profiles without recursing into its own policies).
create function private.onyx_agency_id()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select p.agency_id from onyx.profiles p where p.id = (select auth.uid())
$$;
comment on function private.onyx_agency_id() is 'The calling user''s OnyxOS agency (null when the user has no onyx profile).';

create function private.onyx_role()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select p.role from onyx.profiles p where p.id = (select auth.uid())
$$;
comment on function private.onyx_role() is 'The calling user''s OnyxOS role (null when the user has no onyx profile).';

create function private.onyx_is_manager()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((select p.role in ('owner', 'admin') from onyx.profiles p where p.id = (select auth.uid())), false)
$$;
comment on function private.onyx_is_manager() is 'True when the calling user is an owner or admin of their OnyxOS agency.';

revoke all on function private.onyx_agency_id(), private.onyx_role(), private.onyx_is_manager() from public, anon;
grant execute on function private.onyx_agency_id(), private.onyx_role(), private.onyx_is_manager()
  to authenticated, service_role;

-- Guard: nobody changes their own role or agency; moving people between agencies is a service-side action;
-- only an owner gives or takes the owner role, and so only an owner removes an owner (the delete policy lets
-- admins remove other members: removing an owner would take the role away, and leave the agency to them);
-- members edit only the harmless fields of their own profile.
create function onyx.profiles_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
begin
  if tg_op = 'DELETE' then
    -- no user: service role (account closure, the agency's cascade), migrations, maintenance
    if v_uid is not null and old.role = 'owner' and (select private.onyx_role()) is distinct from 'owner' then
      raise exception 'only an owner can remove an owner' using errcode = '42501';
    end if;
    return old;
  end if;
  if v_uid is null then
    return new;  -- service role / migrations / maintenance: constrained by grants only
  end if;
  if new.agency_id is distinct from old.agency_id then
    raise exception 'a profile cannot be moved to another agency' using errcode = '42501';
  end if;
  if new.id is distinct from old.id then
    raise exception 'a profile id cannot change' using errcode = '42501';
  end if;
  if old.id = v_uid then
    if (new.role, new.xp_count, new.total_xp, new.current_streak, new.league_rank)
       is distinct from (old.role, old.xp_count, old.total_xp, old.current_streak, old.league_rank) then
      raise exception 'you cannot change your own role, XP or rank' using errcode = '42501';
    end if;
  elsif new.role is distinct from old.role
        and 'owner' in (new.role, old.role)
        and (select private.onyx_role()) is distinct from 'owner' then
    raise exception 'only an owner can give or take the owner role' using errcode = '42501';
  end if;
  return new;
end
$$;
comment on function onyx.profiles_guard() is
  'Trigger: role/agency changes are never self-service, and only an owner removes an owner; see the migration.';
revoke all on function onyx.profiles_guard() from public, anon, authenticated;

create trigger profiles_guard
  before update or delete on onyx.profiles
  for each row execute function onyx.profiles_guard();

-- Policies: agencies and profiles ------------------------------------------------------------------------
create policy agencies_select on onyx.agencies for select to authenticated
  using (id = (select private.onyx_agency_id()));
create policy agencies_update on onyx.agencies for update to authenticated
  using (id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (id = (select private.onyx_agency_id()));
-- Creating and deleting agencies is a service-side action (onboarding, account closure).

create policy profiles_select on onyx.profiles for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy profiles_update on onyx.profiles for update to authenticated
  using (agency_id = (select private.onyx_agency_id())
         and (id = (select auth.uid()) or (select private.onyx_is_manager())))
  with check (agency_id = (select private.onyx_agency_id()));
create policy profiles_delete on onyx.profiles for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager())
         and id <> (select auth.uid()));
-- Profiles are created by the service role when an invitation is accepted (no insert policy).

revoke all on onyx.agencies, onyx.profiles from public, anon, authenticated, service_role;
grant select, update on onyx.agencies to authenticated;
grant select, update, delete on onyx.profiles to authenticated;
grant select, insert, update, delete on onyx.agencies, onyx.profiles to service_role;

-- Models (content creators) ----------------------------------------------------------------------------
create table onyx.models (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 200),
  avatar_url text,
  bio text check (length(bio) <= 5000),
  onlyfans_handle text check (length(onlyfans_handle) <= 100),
  fansly_handle text check (length(fansly_handle) <= 100),
  instagram_handle text check (length(instagram_handle) <= 100),
  tiktok_handle text check (length(tiktok_handle) <= 100),
  twitter_handle text check (length(twitter_handle) <= 100),
  agency_split_percentage numeric(5, 2) not null default 50.00 check (agency_split_percentage between 0 and 100),
  status text not null default 'active' check (status in ('onboarding', 'active', 'paused', 'archived')),
  followers_count integer not null default 0 check (followers_count >= 0),
  subscribers_count integer not null default 0 check (subscribers_count >= 0),
  stats_updated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint models_id_agency_key unique (id, agency_id)
);
comment on table onyx.models is
  'OnyxOS content creator managed by the agency. Per-model revenue lives only in revenue_snapshots (staff see '
  'it for their assigned models only), and platform tokens only in the service-only model_credentials.';
comment on column onyx.models.agency_split_percentage is 'Agency share of the model''s revenue, in percent (50.00 = half).';
create index idx_models_agency on onyx.models (agency_id);
create trigger models_updated_at
  before update on onyx.models
  for each row execute function public.update_updated_at_column();
alter table onyx.models enable row level security;

create policy models_select on onyx.models for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy models_insert on onyx.models for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy models_update on onyx.models for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy models_delete on onyx.models for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.models from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.models to authenticated, service_role;

-- Platform credentials of a model: secrets, service role only (no policy, no grant to the API roles).
create table onyx.model_credentials (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  model_id uuid not null,
  platform text not null check (platform in ('onlyfans', 'fansly', 'instagram', 'tiktok', 'twitter', 'reddit',
                                             'youtube', 'threads', 'snapchat', 'other')),
  access_token text not null,
  refresh_token text,
  token_expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint model_credentials_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete cascade,
  constraint model_credentials_model_platform_key unique (model_id, platform)
);
comment on table onyx.model_credentials is
  'SECRET platform access/refresh tokens of a model. Readable and writable by service_role only; RLS on with '
  'no policy, and no privilege at all for anon or authenticated.';
create index model_credentials_agency_idx on onyx.model_credentials (agency_id);
create index model_credentials_model_agency_idx on onyx.model_credentials (model_id, agency_id);
create trigger model_credentials_updated_at
  before update on onyx.model_credentials
  for each row execute function public.update_updated_at_column();
alter table onyx.model_credentials enable row level security;
revoke all on onyx.model_credentials from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.model_credentials to service_role;

-- Model assignments: which staff work on which models, and since when -----------------------------------
create table onyx.model_assignments (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  model_id uuid not null,
  profile_id uuid not null,
  commission_override numeric(5, 4) check (commission_override between 0 and 1),
  is_active boolean not null default true,
  assigned_from date not null default current_date,
  assigned_until date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint model_assignments_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete cascade,
  constraint model_assignments_profile_fkey foreign key (profile_id, agency_id)
    references onyx.profiles (id, agency_id) on delete cascade,
  constraint model_assignments_period_check check (assigned_until is null or assigned_until >= assigned_from),
  constraint model_assignments_inactive_has_end check (is_active or assigned_until is not null),
  constraint model_assignments_start_key unique (model_id, profile_id, assigned_from)
);
comment on table onyx.model_assignments is
  'Which staff member works on which model, from assigned_from to assigned_until (inclusive, agency-local '
  'dates). Payout commission counts a model''s revenue on the days an assignment covers.';
comment on column onyx.model_assignments.commission_override is
  'A fraction 0–1 replacing the person''s payout_settings.commission_percent for this model.';
create index model_assignments_agency_idx on onyx.model_assignments (agency_id);
create index model_assignments_model_agency_idx on onyx.model_assignments (model_id, agency_id);
create index model_assignments_profile_agency_idx on onyx.model_assignments (profile_id, agency_id);
create trigger model_assignments_updated_at
  before update on onyx.model_assignments
  for each row execute function public.update_updated_at_column();
alter table onyx.model_assignments enable row level security;

create policy model_assignments_select on onyx.model_assignments for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy model_assignments_insert on onyx.model_assignments for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy model_assignments_update on onyx.model_assignments for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy model_assignments_delete on onyx.model_assignments for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.model_assignments from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.model_assignments to authenticated, service_role;

create function private.onyx_assigned_model_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select a.model_id from onyx.model_assignments a where a.profile_id = (select auth.uid()) and a.is_active
$$;
comment on function private.onyx_assigned_model_ids() is 'Models the calling user is actively assigned to.';
revoke all on function private.onyx_assigned_model_ids() from public, anon;
grant execute on function private.onyx_assigned_model_ids() to authenticated, service_role;
