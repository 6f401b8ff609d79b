-- The educational platform: study groups with members and messages, tutoring sessions, and the cache of
-- academic search results.

-- study_groups ---------------------------------------------------------------------------------------------
create table public.study_groups (
  id bigserial primary key,
  name text not null,
  description text,
  subject text,
  max_members integer default 10 check (max_members is null or max_members >= 1),
  is_public boolean default true,
  created_by uuid references auth.users (id),
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
comment on table public.study_groups is 'Study groups: public ones readable by every signed-in user, private ones by members.';
create index idx_study_groups_created_by on public.study_groups (created_by);
create index idx_study_groups_public on public.study_groups (is_public) where is_public;

-- study_group_members --------------------------------------------------------------------------------------
create table public.study_group_members (
  id bigserial primary key,
  group_id bigint not null references public.study_groups (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null default 'member' check (role in ('creator', 'moderator', 'member')),
  joined_at timestamptz not null default now(),
  last_active_at timestamptz,
  unique (group_id, user_id)
);
comment on table public.study_group_members is 'Membership of a study group; joining a full group (max_members) is refused.';
create index idx_study_group_members_user on public.study_group_members (user_id);

-- study_group_messages -------------------------------------------------------------------------------------
create table public.study_group_messages (
  id bigserial primary key,
  group_id bigint not null references public.study_groups (id) on delete cascade,
  user_id uuid references auth.users (id) on delete set null,
  message text not null check (length(message) between 1 and 10000),
  message_type text not null default 'text' check (message_type in ('text', 'file', 'system')),
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  is_deleted boolean not null default false
);
comment on table public.study_group_messages is 'Messages of a study group: only members read or post; authors edit or delete their own.';
create index idx_study_group_messages_group on public.study_group_messages (group_id, created_at);
create index idx_study_group_messages_user on public.study_group_messages (user_id);

-- tutoring_sessions ----------------------------------------------------------------------------------------
create table public.tutoring_sessions (
  id bigserial primary key,
  tutor_id uuid references auth.users (id),
  student_id uuid references auth.users (id),
  subject text not null,
  start_time timestamptz not null,
  end_time timestamptz not null,
  status text default 'scheduled' check (status in ('scheduled', 'in_progress', 'completed', 'cancelled')),
  location text,
  notes text,
  rating integer check (rating between 1 and 5),
  feedback text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  constraint tutoring_sessions_end_after_start check (end_time > start_time)
);
comment on table public.tutoring_sessions is 'Tutoring sessions; visible to and editable by their tutor and their student only.';
create index idx_tutoring_tutor on public.tutoring_sessions (tutor_id);
create index idx_tutoring_student on public.tutoring_sessions (student_id);
create index idx_tutoring_start on public.tutoring_sessions (start_time);

-- academic_search_results ----------------------------------------------------------------------------------
create table public.academic_search_results (
  id bigserial primary key,
  query text not null,
  source text not null,
  results jsonb not null,
  result_count integer check (result_count is null or result_count >= 0),
  cache_expires_at timestamptz,
  created_at timestamptz default now()
);
comment on table public.academic_search_results is 'Cache of external academic search results (arxiv, semantic_scholar, pubmed). Service role writes.';
create index idx_academic_search_query on public.academic_search_results (query);
create index idx_academic_search_expires on public.academic_search_results (cache_expires_at);

-- Helpers --------------------------------------------------------------------------------------------------
create function private.user_study_group_ids()
returns setof bigint
language sql stable security definer
set search_path = ''
as $$
  select m.group_id from public.study_group_members m where m.user_id = (select auth.uid())
$$;
comment on function private.user_study_group_ids() is 'Study groups the caller is a member of.';

create function private.user_managed_study_group_ids()
returns setof bigint
language sql stable security definer
set search_path = ''
as $$
  select m.group_id from public.study_group_members m
  where m.user_id = (select auth.uid()) and m.role in ('creator', 'moderator')
$$;
comment on function private.user_managed_study_group_ids() is 'Study groups the caller created or moderates.';

create function private.public_study_group_ids()
returns setof bigint
language sql stable security definer
set search_path = ''
as $$
  select g.id from public.study_groups g where g.is_public
$$;
comment on function private.public_study_group_ids() is 'Public study groups (anyone signed in may join them).';

revoke all on function private.user_study_group_ids(), private.user_managed_study_group_ids(),
  private.public_study_group_ids() from public, anon;
grant execute on function private.user_study_group_ids(), private.user_managed_study_group_ids(),
  private.public_study_group_ids() to authenticated, service_role;

-- The creator of a group becomes its first member, with role creator.
create function private.add_study_group_creator()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if new.created_by is not null then
    insert into public.study_group_members (group_id, user_id, role)
    values (new.id, new.created_by, 'creator')
    on conflict (group_id, user_id) do nothing;
  end if;
  return new;
end
$$;
comment on function private.add_study_group_creator() is
  'Trigger: makes the creator a member (role creator). SECURITY DEFINER: nobody may otherwise insert the creator role.';
revoke all on function private.add_study_group_creator() from public, anon, authenticated;

create trigger add_creator_membership after insert on public.study_groups
for each row execute function private.add_study_group_creator();

-- A group never holds more than max_members. The group row is locked so that concurrent joins serialise.
create function private.enforce_study_group_capacity()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_max integer;
  v_count integer;
begin
  select g.max_members into v_max from public.study_groups g where g.id = new.group_id for update;
  if v_max is null then
    return new;
  end if;
  select count(*) into v_count from public.study_group_members m where m.group_id = new.group_id;
  if v_count >= v_max then
    raise exception 'study group % is full (% members)', new.group_id, v_max
      using errcode = 'P0001', hint = 'group_full';
  end if;
  return new;
end
$$;
comment on function private.enforce_study_group_capacity() is
  'Trigger: refuses a member beyond max_members. SECURITY DEFINER so that it counts members the caller cannot see.';
revoke all on function private.enforce_study_group_capacity() from public, anon, authenticated;

create trigger enforce_capacity before insert on public.study_group_members
for each row execute function private.enforce_study_group_capacity();

create trigger set_updated_at before update on public.study_groups
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on public.tutoring_sessions
for each row execute function public.update_updated_at_column();

-- Row level security -----------------------------------------------------------------------------------------
alter table public.study_groups enable row level security;
alter table public.study_group_members enable row level security;
alter table public.study_group_messages enable row level security;
alter table public.tutoring_sessions enable row level security;
alter table public.academic_search_results enable row level security;

-- study_groups
create policy "Public groups for everyone, private ones for members" on public.study_groups
  for select to authenticated
  using (is_public or created_by = (select auth.uid()) or id in (select private.user_study_group_ids()));
create policy "Users create groups as themselves" on public.study_groups
  for insert to authenticated with check (created_by = (select auth.uid()));
create policy "Creators update their groups" on public.study_groups
  for update to authenticated using (created_by = (select auth.uid()))
  with check (created_by = (select auth.uid()));
create policy "Creators delete their groups" on public.study_groups
  for delete to authenticated using (created_by = (select auth.uid()));

-- study_group_members: members see the member list; users join public groups as members; creators and
-- moderators add members to their groups; a member leaves, a creator/moderator removes; the creator changes roles
create policy "Members see their groups' members" on public.study_group_members
  for select to authenticated
  using (user_id = (select auth.uid()) or group_id in (select private.user_study_group_ids()));
create policy "Users join public groups, moderators add members" on public.study_group_members
  for insert to authenticated
  with check (role <> 'creator' and (
    (user_id = (select auth.uid()) and role = 'member' and group_id in (select private.public_study_group_ids()))
    or group_id in (select private.user_managed_study_group_ids())));
create policy "Moderators change other members' roles" on public.study_group_members
  for update to authenticated
  using (group_id in (select private.user_managed_study_group_ids()) and user_id <> (select auth.uid())
         and role <> 'creator')
  with check (group_id in (select private.user_managed_study_group_ids()) and user_id <> (select auth.uid())
              and role <> 'creator');
create policy "Members leave, moderators remove" on public.study_group_members
  for delete to authenticated
  using ((user_id = (select auth.uid()) and role <> 'creator')
         or (group_id in (select private.user_managed_study_group_ids()) and role <> 'creator'));

-- study_group_messages: members only
create policy "Members read their groups' messages" on public.study_group_messages
  for select to authenticated using (group_id in (select private.user_study_group_ids()));
create policy "Members post as themselves" on public.study_group_messages
  for insert to authenticated
  with check (user_id = (select auth.uid()) and message_type <> 'system'
              and group_id in (select private.user_study_group_ids()));
create policy "Authors edit their messages" on public.study_group_messages
  for update to authenticated
  using (user_id = (select auth.uid()) and group_id in (select private.user_study_group_ids()))
  with check (user_id = (select auth.uid()) and message_type <> 'system'
              and group_id in (select private.user_study_group_ids()));
create policy "Authors delete their messages" on public.study_group_messages
  for delete to authenticated using (user_id = (select auth.uid()));

-- tutoring_sessions: tutor and student only
create policy "Tutor and student read the session" on public.tutoring_sessions
  for select to authenticated
  using (tutor_id = (select auth.uid()) or student_id = (select auth.uid()));
create policy "Tutor or student books a session" on public.tutoring_sessions
  for insert to authenticated
  with check (tutor_id = (select auth.uid()) or student_id = (select auth.uid()));
create policy "Tutor and student update the session" on public.tutoring_sessions
  for update to authenticated
  using (tutor_id = (select auth.uid()) or student_id = (select auth.uid()))
  with check (tutor_id = (select auth.uid()) or student_id = (select auth.uid()));
create policy "Tutor and student delete the session" on public.tutoring_sessions
  for delete to authenticated
  using (tutor_id = (select auth.uid()) or student_id = (select auth.uid()));

-- academic_search_results: every signed-in user reads the cache; the service role writes it
create policy "Signed-in users read cached search results" on public.academic_search_results
  for select to authenticated using (true);

-- Grants ---------------------------------------------------------------------------------------------------
revoke all on table public.study_groups, public.study_group_members, public.study_group_messages,
  public.tutoring_sessions, public.academic_search_results from public, anon, authenticated, service_role;
revoke all on sequence public.study_groups_id_seq, public.study_group_members_id_seq,
  public.study_group_messages_id_seq, public.tutoring_sessions_id_seq, public.academic_search_results_id_seq
  from public, anon, authenticated, service_role;

grant select, insert, delete on table public.study_groups, public.study_group_members,
  public.study_group_messages, public.tutoring_sessions to authenticated;
grant update (name, description, subject, max_members, is_public) on table public.study_groups to authenticated;
grant update (role) on table public.study_group_members to authenticated;
grant update (message, edited_at, is_deleted) on table public.study_group_messages to authenticated;
grant update (subject, start_time, end_time, status, location, notes, rating, feedback)
  on table public.tutoring_sessions to authenticated;
grant select on table public.academic_search_results to authenticated;
grant usage on sequence public.study_groups_id_seq, public.study_group_members_id_seq,
  public.study_group_messages_id_seq, public.tutoring_sessions_id_seq to authenticated;

grant select, insert, update, delete on table public.study_groups, public.study_group_members,
  public.study_group_messages, public.tutoring_sessions, public.academic_search_results to service_role;
grant usage, select on sequence public.study_groups_id_seq, public.study_group_members_id_seq,
  public.study_group_messages_id_seq, public.tutoring_sessions_id_seq, public.academic_search_results_id_seq
  to service_role;
