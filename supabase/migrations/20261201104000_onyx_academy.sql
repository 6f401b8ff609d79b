-- OnyxOS academy: magic-link invitations (their tokens in a service-only table), the knowledge base
-- (visible per role), and chat script templates.

create table onyx.invitations (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  email text not null check (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' and length(email) <= 320),
  role text not null default 'chatter' check (role in ('admin', 'chatter', 'smm', 'recruiter')),
  expires_at timestamptz not null default (now() + interval '7 days'),
  status text not null default 'pending' check (status in ('pending', 'accepted', 'expired', 'revoked')),
  invited_by uuid references onyx.profiles (id) on delete set null,
  accepted_by uuid references auth.users (id) on delete set null,
  accepted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint invitations_id_agency_key unique (id, agency_id),
  constraint invitations_accepted_stamps check ((status = 'accepted') = (accepted_at is not null))
);
comment on table onyx.invitations is
  'OnyxOS magic-link invitation into an agency (never as owner). Its secret token is in onyx.invitation_tokens, '
  'readable by the service role only; acceptance is a service-side action.';
create index invitations_agency_idx on onyx.invitations (agency_id);
create unique index invitations_one_pending_per_email on onyx.invitations (agency_id, lower(email)) where status = 'pending';
create index invitations_invited_by_idx on onyx.invitations (invited_by);
create index invitations_accepted_by_idx on onyx.invitations (accepted_by);
create trigger invitations_updated_at
  before update on onyx.invitations
  for each row execute function public.update_updated_at_column();
alter table onyx.invitations enable row level security;

create policy invitations_select on onyx.invitations for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy invitations_insert on onyx.invitations for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy invitations_update on onyx.invitations for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy invitations_delete on onyx.invitations for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.invitations from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.invitations to authenticated, service_role;

create table onyx.invitation_tokens (
  invitation_id uuid primary key,
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  token text not null default encode(extensions.gen_random_bytes(32), 'hex'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint invitation_tokens_invitation_fkey foreign key (invitation_id, agency_id)
    references onyx.invitations (id, agency_id) on delete cascade,
  constraint invitation_tokens_token_key unique (token)
);
comment on table onyx.invitation_tokens is
  'SECRET magic-link token of an invitation (256 random bits, hex). service_role only: RLS on with no policy '
  'and no privilege for anon or authenticated.';
create index invitation_tokens_agency_idx on onyx.invitation_tokens (agency_id);
create index invitation_tokens_invitation_agency_idx on onyx.invitation_tokens (invitation_id, agency_id);
create trigger invitation_tokens_updated_at
  before update on onyx.invitation_tokens
  for each row execute function public.update_updated_at_column();
alter table onyx.invitation_tokens enable row level security;
revoke all on onyx.invitation_tokens from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.invitation_tokens to service_role;

-- SECURITY DEFINER because the inviting owner/admin has no privilege on invitation_tokens (by design): the
-- token is minted here, server-side, and never returned to the caller. Not callable directly (trigger).
create function private.onyx_mint_invitation_token()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into onyx.invitation_tokens (invitation_id, agency_id) values (new.id, new.agency_id);
  return null;
end
$$;
comment on function private.onyx_mint_invitation_token() is 'Trigger: mints the secret token of a new invitation.';
revoke all on function private.onyx_mint_invitation_token() from public, anon, authenticated;

create trigger invitations_mint_token
  after insert on onyx.invitations
  for each row execute function private.onyx_mint_invitation_token();

-- Knowledge base ---------------------------------------------------------------------------------------
create table onyx.knowledge_base (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  title text not null check (length(btrim(title)) between 1 and 200),
  slug text not null check (slug ~ '^[a-z0-9][a-z0-9-]{0,98}[a-z0-9]$'),
  content text not null default '',
  excerpt text check (length(excerpt) <= 500),
  category text check (length(category) <= 50),
  tags text[] not null default '{}',
  visible_to text[] not null default array['owner', 'admin', 'chatter', 'smm', 'recruiter']
    check (visible_to <@ array['owner', 'admin', 'chatter', 'smm', 'recruiter']),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint knowledge_base_agency_slug_key unique (agency_id, slug)
);
comment on table onyx.knowledge_base is
  'OnyxOS wiki/playbook article. Staff read it only when their role is listed in visible_to; owners/admins '
  'read and manage all of the agency''s articles.';
create index knowledge_base_visible_to_idx on onyx.knowledge_base using gin (visible_to);
create trigger knowledge_base_updated_at
  before update on onyx.knowledge_base
  for each row execute function public.update_updated_at_column();
alter table onyx.knowledge_base enable row level security;

create policy knowledge_base_select on onyx.knowledge_base for select to authenticated
  using (agency_id = (select private.onyx_agency_id())
         and ((select private.onyx_is_manager()) or visible_to @> array[(select private.onyx_role())]));
create policy knowledge_base_insert on onyx.knowledge_base for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy knowledge_base_update on onyx.knowledge_base for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy knowledge_base_delete on onyx.knowledge_base for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.knowledge_base from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.knowledge_base to authenticated, service_role;

-- Chat scripts -----------------------------------------------------------------------------------------
create table onyx.chat_scripts (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  title text not null check (length(btrim(title)) between 1 and 200),
  content text not null check (length(content) <= 10000),
  category text not null default 'custom'
    check (category in ('opener', 'closer', 'upsell', 'objection', 'ppv', 'custom')),
  tags text[] not null default '{}',
  usage_count integer not null default 0 check (usage_count >= 0),
  conversion_rate numeric(5, 4) check (conversion_rate between 0 and 1),
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table onyx.chat_scripts is 'OnyxOS sales script template for chatters; conversion_rate is a fraction 0–1.';
create index chat_scripts_agency_idx on onyx.chat_scripts (agency_id);
create trigger chat_scripts_updated_at
  before update on onyx.chat_scripts
  for each row execute function public.update_updated_at_column();
alter table onyx.chat_scripts enable row level security;

create policy chat_scripts_select on onyx.chat_scripts for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy chat_scripts_insert on onyx.chat_scripts for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy chat_scripts_update on onyx.chat_scripts for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy chat_scripts_delete on onyx.chat_scripts for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.chat_scripts from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.chat_scripts to authenticated, service_role;
