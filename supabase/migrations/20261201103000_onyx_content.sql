-- OnyxOS content: the media vault, the content calendar, link-in-bio pages and their blocks, and quests.
-- bio_pages/bio_blocks are the one public surface: anon reads published pages and their blocks, nothing else.

create table onyx.content_assets (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  model_id uuid not null,
  file_name text not null check (length(file_name) between 1 and 255),
  file_url text not null,
  thumbnail_url text,
  media_type text not null check (media_type in ('image', 'video', 'audio', 'document')),
  title text check (length(title) <= 200),
  tags text[] not null default '{}',
  price numeric(10, 2) check (price >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint content_assets_id_agency_key unique (id, agency_id),
  constraint content_assets_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete cascade
);
comment on table onyx.content_assets is 'OnyxOS vault media file of a model (price: optional PPV price).';
create index content_assets_agency_idx on onyx.content_assets (agency_id);
create index content_assets_model_agency_idx on onyx.content_assets (model_id, agency_id);
create trigger content_assets_updated_at
  before update on onyx.content_assets
  for each row execute function public.update_updated_at_column();
alter table onyx.content_assets enable row level security;

create policy content_assets_select on onyx.content_assets for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy content_assets_insert on onyx.content_assets for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy content_assets_update on onyx.content_assets for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy content_assets_delete on onyx.content_assets for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.content_assets from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.content_assets to authenticated, service_role;

create table onyx.content_tasks (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  title text not null check (length(btrim(title)) between 1 and 200),
  caption text check (length(caption) <= 5000),
  media_url text,
  platform text check (platform in ('onlyfans', 'fansly', 'instagram', 'tiktok', 'twitter', 'reddit',
                                    'youtube', 'threads', 'snapchat', 'other')),
  content_type text check (content_type in ('post', 'story', 'reel', 'video', 'ppv', 'message', 'live', 'other')),
  status text not null default 'idea' check (status in ('idea', 'draft', 'scheduled', 'posted', 'missed', 'cancelled')),
  priority text not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
  scheduled_at timestamptz,
  posted_at timestamptz,
  model_id uuid,
  assignee_id uuid,
  asset_id uuid,
  tags text[] not null default '{}',
  created_by uuid references onyx.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint content_tasks_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete set null (model_id),
  constraint content_tasks_assignee_fkey foreign key (assignee_id, agency_id)
    references onyx.profiles (id, agency_id) on delete set null (assignee_id),
  constraint content_tasks_asset_fkey foreign key (asset_id, agency_id)
    references onyx.content_assets (id, agency_id) on delete set null (asset_id),
  constraint content_tasks_scheduled_needs_time check (status <> 'scheduled' or scheduled_at is not null)
);
comment on table onyx.content_tasks is
  'OnyxOS content calendar item. Owners/admins manage; the assignee may update their own task.';
create index idx_content_tasks_scheduled on onyx.content_tasks (scheduled_at);
create index idx_content_tasks_status on onyx.content_tasks (status);
create index content_tasks_agency_idx on onyx.content_tasks (agency_id);
create index content_tasks_model_agency_idx on onyx.content_tasks (model_id, agency_id);
create index content_tasks_assignee_agency_idx on onyx.content_tasks (assignee_id, agency_id);
create index content_tasks_asset_agency_idx on onyx.content_tasks (asset_id, agency_id);
create index content_tasks_created_by_idx on onyx.content_tasks (created_by);
create trigger content_tasks_updated_at
  before update on onyx.content_tasks
  for each row execute function public.update_updated_at_column();
alter table onyx.content_tasks enable row level security;

create policy content_tasks_select on onyx.content_tasks for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy content_tasks_insert on onyx.content_tasks for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy content_tasks_update on onyx.content_tasks for update to authenticated
  using (agency_id = (select private.onyx_agency_id())
         and ((select private.onyx_is_manager()) or assignee_id = (select auth.uid())))
  with check (agency_id = (select private.onyx_agency_id())
              and ((select private.onyx_is_manager()) or assignee_id = (select auth.uid())));
create policy content_tasks_delete on onyx.content_tasks for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.content_tasks from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.content_tasks to authenticated, service_role;

-- Link-in-bio pages ------------------------------------------------------------------------------------
create table onyx.bio_pages (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  model_id uuid not null,
  slug text not null,
  title text not null check (length(btrim(title)) between 1 and 200),
  description text check (length(description) <= 1000),
  status text not null default 'draft' check (status in ('published', 'draft', 'banned')),
  theme jsonb not null default '{}'::jsonb,
  seo_title text check (length(seo_title) <= 200),
  seo_description text check (length(seo_description) <= 500),
  seo_image_url text,
  total_visits bigint not null default 0 check (total_visits >= 0),
  total_clicks bigint not null default 0 check (total_clicks >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint bio_pages_id_agency_key unique (id, agency_id),
  constraint bio_pages_slug_key unique (slug),
  -- 2 to 50 characters: lowercase letters, digits and hyphens, not starting or ending with a hyphen
  constraint bio_pages_slug_format check (slug ~ '^[a-z0-9][a-z0-9-]{0,48}[a-z0-9]$'),
  constraint bio_pages_model_fkey foreign key (model_id, agency_id)
    references onyx.models (id, agency_id) on delete cascade
);
comment on table onyx.bio_pages is
  'OnyxOS public link-in-bio page of a model, addressed by a globally unique slug. anon reads published '
  'pages; counters are advanced only by onyx.record_tracking_event.';
create index bio_pages_agency_idx on onyx.bio_pages (agency_id);
create index bio_pages_status_idx on onyx.bio_pages (status);
create index bio_pages_model_agency_idx on onyx.bio_pages (model_id, agency_id);
create trigger bio_pages_updated_at
  before update on onyx.bio_pages
  for each row execute function public.update_updated_at_column();
alter table onyx.bio_pages enable row level security;

create policy bio_pages_select_public on onyx.bio_pages for select to anon
  using (status = 'published');
create policy bio_pages_select on onyx.bio_pages for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy bio_pages_insert on onyx.bio_pages for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy bio_pages_update on onyx.bio_pages for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy bio_pages_delete on onyx.bio_pages for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.bio_pages from public, anon, authenticated, service_role;
grant select on onyx.bio_pages to anon;
grant select, insert, update, delete on onyx.bio_pages to authenticated, service_role;

create table onyx.bio_blocks (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  page_id uuid not null,
  type text not null check (type in ('header', 'social_row', 'button', 'video', 'text', 'spacer', 'image',
                                     'divider', 'countdown')),
  content jsonb not null default '{}'::jsonb,
  config jsonb not null default '{}'::jsonb,
  order_index integer not null default 0 check (order_index >= 0),
  click_count bigint not null default 0 check (click_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint bio_blocks_page_fkey foreign key (page_id, agency_id)
    references onyx.bio_pages (id, agency_id) on delete cascade
);
comment on table onyx.bio_blocks is 'OnyxOS component of a bio page, shown in order_index order; public when its page is published.';
create index bio_blocks_agency_idx on onyx.bio_blocks (agency_id);
create index bio_blocks_page_agency_idx on onyx.bio_blocks (page_id, agency_id);
create trigger bio_blocks_updated_at
  before update on onyx.bio_blocks
  for each row execute function public.update_updated_at_column();
alter table onyx.bio_blocks enable row level security;

-- The subquery runs with anon's own rights, so it sees only published pages.
create policy bio_blocks_select_public on onyx.bio_blocks for select to anon
  using (page_id in (select p.id from onyx.bio_pages p where p.status = 'published'));
create policy bio_blocks_select on onyx.bio_blocks for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy bio_blocks_insert on onyx.bio_blocks for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy bio_blocks_update on onyx.bio_blocks for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy bio_blocks_delete on onyx.bio_blocks for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.bio_blocks from public, anon, authenticated, service_role;
grant select on onyx.bio_blocks to anon;
grant select, insert, update, delete on onyx.bio_blocks to authenticated, service_role;

-- Quests (gamification) --------------------------------------------------------------------------------
create table onyx.quests (
  id uuid primary key default gen_random_uuid(),
  agency_id uuid not null references onyx.agencies (id) on delete cascade,
  title text not null check (length(btrim(title)) between 1 and 200),
  description text check (length(description) <= 2000),
  xp_reward integer not null default 0 check (xp_reward >= 0),
  is_daily boolean not null default false,
  verification_type text not null default 'manual' check (verification_type in ('manual', 'automatic')),
  target_count integer not null default 1 check (target_count >= 1),
  current_progress integer not null default 0 check (current_progress >= 0),
  assigned_to uuid,
  expires_at timestamptz,
  completed_at timestamptz,
  created_by uuid references onyx.profiles (id) on delete set null,
  status text not null default 'active' check (status in ('active', 'completed', 'expired', 'archived')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint quests_assignee_fkey foreign key (assigned_to, agency_id)
    references onyx.profiles (id, agency_id) on delete cascade,
  constraint quests_completed_has_time check ((status = 'completed') = (completed_at is not null))
);
comment on table onyx.quests is 'OnyxOS quest (task/achievement) for one member, or for everyone when assigned_to is null.';
create index quests_agency_idx on onyx.quests (agency_id);
create index quests_assignee_agency_idx on onyx.quests (assigned_to, agency_id);
create index quests_created_by_idx on onyx.quests (created_by);
create trigger quests_updated_at
  before update on onyx.quests
  for each row execute function public.update_updated_at_column();
alter table onyx.quests enable row level security;

create policy quests_select on onyx.quests for select to authenticated
  using (agency_id = (select private.onyx_agency_id()));
create policy quests_insert on onyx.quests for insert to authenticated
  with check (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));
create policy quests_update on onyx.quests for update to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()))
  with check (agency_id = (select private.onyx_agency_id()));
create policy quests_delete on onyx.quests for delete to authenticated
  using (agency_id = (select private.onyx_agency_id()) and (select private.onyx_is_manager()));

revoke all on onyx.quests from public, anon, authenticated, service_role;
grant select, insert, update, delete on onyx.quests to authenticated, service_role;
