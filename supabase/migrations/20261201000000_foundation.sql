-- Foundation: extensions, the private helper schema, and the shared trigger function.
-- Everything here applies unchanged on the Supabase platform and on plain PostgreSQL 15 + supabase/local.

create schema if not exists extensions;
create extension if not exists pg_trgm with schema extensions;
create extension if not exists pgcrypto with schema extensions;

-- Helpers that policies call live here. The schema is never exposed through the API (config.toml), and
-- nothing in it is executable by anon; authenticated gets EXECUTE only on the helpers a policy needs.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;
comment on schema private is 'Security-definer helpers used by RLS policies; not exposed through the API.';

-- Functions are not executable by everyone unless a migration says so.
alter default privileges for role postgres revoke execute on functions from public;
alter default privileges for role postgres in schema public revoke execute on functions from anon;

create or replace function public.update_updated_at_column()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at = now();
  return new;
end
$$;
comment on function public.update_updated_at_column() is 'Trigger: keeps updated_at at the time of the last change.';
revoke all on function public.update_updated_at_column() from public, anon, authenticated;
