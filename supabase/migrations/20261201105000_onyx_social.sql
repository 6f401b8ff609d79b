-- OnyxOS social & tracking: platform connections (tokens in a service-only table), fetched social stats,
-- watched (competitor) accounts, and the append-only link analytics with its one public RPC.

create table onyx.social_connections (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  model_id uuid not null,
  platform text not null check (platform in ('onlyfans', 'fansly', 'instagram', 'tiktok', 'twitter', 'reddit',
                                             'youtube', 'threads', 'snapchat', 'other')),
  platform_user_id text check (length(platform_user_id) <= 200),
  scopes text[] not null default '{}',
  is_active boolean not null default true,
  last_sync_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint social_connections_id_agency_key unique (id, agency_id),
  constraint social_connections_model_platform_key unique (model_id, platform),
  constraint social_connections_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete cascade
);
comment on table onyx.social_connections is
  'OnyxOS OAuth connection of a model to a platform. The tokens are NOT here: they are in the service-only '
  'onyx.social_connection_secrets.';
create index social_connections_agency_idx on onyx.social_connections (agency_id);
create index social_connections_model_agency_idx on onyx.social_connections (model_id, agency_id);
create trigger social_connections_updated_at
  before update on onyx.social_connections
  for each row execute function public.update_updated_at_column();
alter table onyx.social_connections enable row level security;

create policy social_connections_select on onyx.social_connections for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy social_connections_insert on onyx.social_connections for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy social_connections_update on onyx.social_connections for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy social_connections_delete on onyx.social_connections for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.social_connections from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.social_connections to authenticated, service_role;

create table onyx.social_connection_secrets (
  connection_id uuid primary key,
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  access_token text not null,
  refresh_token text,
  token_expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint social_connection_secrets_connection_fkey foreign key (connection_id, agency_id)
    references onyx.social_connections (id, agency_id) on delete cascade
);
comment on table onyx.social_connection_secrets is
  'SECRET OAuth access/refresh tokens of a social connection. service_role only: RLS on with no policy and no '
  'privilege for anon or authenticated.';
create index social_connection_secrets_agency_idx on onyx.social_connection_secrets (agency_id);
create index social_connection_secrets_connection_agency_idx on onyx.social_connection_secrets (connection_id, agency_id);
create trigger social_connection_secrets_updated_at
  before update on onyx.social_connection_secrets
  for each row execute function public.update_updated_at_column();
alter table onyx.social_connection_secrets enable row level security;
revoke all on onyx.social_connection_secrets from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.social_connection_secrets to service_role;

create table onyx.social_stats (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  model_id uuid not null,
  platform text not null check (platform in ('onlyfans', 'fansly', 'instagram', 'tiktok', 'twitter', 'reddit',
                                             'youtube', 'threads', 'snapchat', 'other')),
  stat_date date not null,
  followers bigint not null default 0 check (followers >= 0),
  views bigint not null default 0 check (views >= 0),
  likes bigint not null default 0 check (likes >= 0),
  comments bigint not null default 0 check (comments >= 0),
  shares bigint not null default 0 check (shares >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint social_stats_model_platform_date_key unique (model_id, platform, stat_date),
  constraint social_stats_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete cascade
);
comment on table onyx.social_stats is 'OnyxOS daily metrics of a model on one platform (one row per model, platform and day).';
create index social_stats_agency_date_idx on onyx.social_stats (agency_id, stat_date);
create index social_stats_model_agency_idx on onyx.social_stats (model_id, agency_id);
create trigger social_stats_updated_at
  before update on onyx.social_stats
  for each row execute function public.update_updated_at_column();
alter table onyx.social_stats enable row level security;

create policy social_stats_select on onyx.social_stats for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy social_stats_insert on onyx.social_stats for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy social_stats_update on onyx.social_stats for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy social_stats_delete on onyx.social_stats for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.social_stats from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.social_stats to authenticated, service_role;

create table onyx.watched_accounts (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  model_id uuid,
  username text not null check (length(btrim(username)) between 1 and 100),
  platform text not null check (platform in ('onlyfans', 'fansly', 'instagram', 'tiktok', 'twitter', 'reddit',
                                             'youtube', 'threads', 'snapchat', 'other')),
  account_type text not null default 'competitor' check (account_type in ('competitor', 'inspiration', 'partner', 'other')),
  last_stats jsonb not null default '{}'::jsonb,
  is_active boolean not null default true,
  last_scanned_at timestamptz,
  scan_error text,
  notes text check (length(notes) <= 2000),
  tags text[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint watched_accounts_agency_username_platform_key unique (agency_id, username, platform),
  constraint watched_accounts_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete set null (model_id)
);
comment on table onyx.watched_accounts is 'OnyxOS "ghost tracker" target: a public account the agency watches.';
create index watched_accounts_model_agency_idx on onyx.watched_accounts (model_id, agency_id);
create trigger watched_accounts_updated_at
  before update on onyx.watched_accounts
  for each row execute function public.update_updated_at_column();
alter table onyx.watched_accounts enable row level security;

create policy watched_accounts_select on onyx.watched_accounts for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy watched_accounts_insert on onyx.watched_accounts for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy watched_accounts_update on onyx.watched_accounts for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy watched_accounts_delete on onyx.watched_accounts for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.watched_accounts from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.watched_accounts to authenticated, service_role;

-- Tracking events --------------------------------------------------------------------------------------
-- NOT partitioned by month, deliberately. A partitioned table needs the partition key in every unique key
-- (the uuid id alone could not be the primary key), needs partitions created ahead of time by a scheduler
-- (pg_cron is not portable to the local cluster), and buys nothing until the table holds tens of millions of
-- rows: the per-source and per-day counts below are served by (source_type, source_id, created_at) and
-- (agency_id, created_at) b-tree indexes, and retention is a service-role DELETE by created_at. Revisit
-- (declarative range partitions on created_at, primary key (id, created_at)) when a year of events no
-- longer fits comfortably in memory.
create table onyx.tracking_events (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  source_type text not null check (source_type in ('bio_page', 'bio_block', 'redirect_link')),
  source_id uuid not null,
  event_type text not null check (event_type in ('view', 'click')),
  user_agent text check (length(user_agent) <= 512),
  ip_hash text check (ip_hash ~ '^[0-9a-f]{64}$'),
  referrer text check (length(referrer) <= 2048),
  device_type text check (device_type in ('desktop', 'mobile', 'tablet', 'bot', 'other')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table onyx.tracking_events is
  'OnyxOS link analytics, append-only: inserted only through onyx.record_tracking_event (or by the service '
  'role); members read their agency''s events; nobody but the service role updates or deletes. ip_hash is a '
  'SHA-256 hex digest computed by the caller, never a raw IP. Not partitioned (see the migration).';
comment on column onyx.tracking_events.source_id is
  'The bio page or bio block (no foreign key: events outlive the page and the table stays append-only).';
comment on column onyx.tracking_events.updated_at is 'Kept for the schema-wide convention; equals created_at (rows never change).';
create index tracking_events_agency_created_idx on onyx.tracking_events (agency_id, created_at);
create index tracking_events_source_created_idx on onyx.tracking_events (source_type, source_id, created_at);
create trigger tracking_events_updated_at
  before update on onyx.tracking_events
  for each row execute function public.update_updated_at_column();
alter table onyx.tracking_events enable row level security;

create policy tracking_events_select on onyx.tracking_events for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));

revoke all on onyx.tracking_events from public, anon, authenticated, service_role;
grant select on onyx.tracking_events to authenticated;
grant select, insert, update, delete on onyx.tracking_events to service_role;

-- The one write path for the public: onyx.record_tracking_event (below), a SECURITY INVOKER RPC that calls
-- this SECURITY DEFINER implementation. The implementation lives in the unexposed schema `private` (so the
-- advisor's "security definer function executable by anon" lints stay clean: nothing in an exposed schema
-- runs with raised rights) and is the only private function anon may execute. It needs raised rights because
-- its callers (anon visitors of a bio page) have, by design, no privilege on tracking_events and no right to
-- touch the page counters. It is safe to call:
--   * the source must be a published bio page (event 'view') or a block of a published page (event 'click');
--     the agency is taken from that row, never from the caller;
--   * it inserts exactly one row and advances exactly the matching counters, nothing else;
--   * ip_hash must already be a SHA-256 hex digest (64 lowercase hex characters), so a raw IPv4/IPv6 address
--     is refused; the function hashes nothing itself;
--   * free-text fields are length-checked; search_path is empty and every name is schema-qualified.
-- Errors: 22023 (invalid parameter) for bad input, P0002 (no data found) for an unknown or unpublished source.
create function private.record_tracking_event(
  p_source_type text,
  p_source_id uuid,
  p_event_type text,
  p_ip_hash text default null,
  p_user_agent text default null,
  p_referrer text default null,
  p_device_type text default null
)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_agency uuid;
  v_page uuid;
begin
  if p_source_type is null or p_source_id is null or p_event_type is null then
    raise exception 'source_type, source_id and event_type are required' using errcode = '22023';
  end if;
  if p_event_type not in ('view', 'click') then
    raise exception 'unknown event_type "%"', left(p_event_type, 20) using errcode = '22023';
  end if;
  if p_ip_hash is not null and p_ip_hash !~ '^[0-9a-f]{64}$' then
    raise exception 'ip_hash must be a SHA-256 hex digest (64 lowercase hex characters), never a raw IP'
      using errcode = '22023';
  end if;
  if length(p_user_agent) > 512 or length(p_referrer) > 2048 then
    raise exception 'user_agent (512) or referrer (2048) too long' using errcode = '22023';
  end if;
  if p_device_type is not null and p_device_type not in ('desktop', 'mobile', 'tablet', 'bot', 'other') then
    raise exception 'unknown device_type' using errcode = '22023';
  end if;

  if p_source_type = 'bio_page' then
    if p_event_type <> 'view' then
      raise exception 'a bio page records views; clicks are recorded on its blocks' using errcode = '22023';
    end if;
    select p.agency_id, p.id into v_agency, v_page
      from onyx.bio_pages p where p.id = p_source_id and p.status = 'published';
  elsif p_source_type = 'bio_block' then
    if p_event_type <> 'click' then
      raise exception 'a bio block records clicks; views are recorded on its page' using errcode = '22023';
    end if;
    select p.agency_id, p.id into v_agency, v_page
      from onyx.bio_blocks b join onyx.bio_pages p on p.id = b.page_id and p.agency_id = b.agency_id
      where b.id = p_source_id and p.status = 'published';
  else
    raise exception 'unknown source_type "%"', left(p_source_type, 20) using errcode = '22023';
  end if;

  if v_agency is null then
    raise exception 'no published % with this id', replace(p_source_type, '_', ' ') using errcode = 'P0002';
  end if;

  insert into onyx.tracking_events (agency_id, source_type, source_id, event_type, user_agent, ip_hash, referrer, device_type)
  values (v_agency, p_source_type, p_source_id, p_event_type, p_user_agent, p_ip_hash, p_referrer, p_device_type);

  if p_source_type = 'bio_page' then
    update onyx.bio_pages set total_visits = total_visits + 1 where id = v_page;
  else
    update onyx.bio_blocks set click_count = click_count + 1 where id = p_source_id;
    update onyx.bio_pages set total_clicks = total_clicks + 1 where id = v_page;
  end if;
end
$$;
comment on function private.record_tracking_event(text, uuid, text, text, text, text, text) is
  'Implementation of onyx.record_tracking_event (SECURITY DEFINER, see the migration). Raises 22023 on bad '
  'input, P0002 on an unknown or unpublished source.';
revoke all on function private.record_tracking_event(text, uuid, text, text, text, text, text) from public;
grant usage on schema private to anon;
grant execute on function private.record_tracking_event(text, uuid, text, text, text, text, text)
  to anon, authenticated, service_role;

create function onyx.record_tracking_event(
  p_source_type text,
  p_source_id uuid,
  p_event_type text,
  p_ip_hash text default null,
  p_user_agent text default null,
  p_referrer text default null,
  p_device_type text default null
)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.record_tracking_event(
    p_source_type, p_source_id, p_event_type, p_ip_hash, p_user_agent, p_referrer, p_device_type
  )
$$;
comment on function onyx.record_tracking_event(text, uuid, text, text, text, text, text) is
  'Public RPC: records a view of a published bio page or a click on a block of one, with a caller-computed '
  'SHA-256 ip_hash. Raises 22023 on bad input, P0002 on an unknown or unpublished source.';
revoke all on function onyx.record_tracking_event(text, uuid, text, text, text, text, text) from public;
grant execute on function onyx.record_tracking_event(text, uuid, text, text, text, text, text)
  to anon, authenticated, service_role;
