-- AI usage and compliance logs (public), and R.O.M.A.N.'s operational tables in schema ops: events, commands,
-- the agent registry, health checks and the alerts they raise. Schema ops is not exposed through the API;
-- only the service role writes it, and authenticated users get the reads the document grants.

-- ai_usage_logs --------------------------------------------------------------------------------------------
create table public.ai_usage_logs (
  id bigserial primary key,
  user_id uuid references auth.users (id),
  organization_id bigint references public.organizations (id),
  provider text not null,
  model text not null,
  operation text,
  input_tokens integer check (input_tokens is null or input_tokens >= 0),
  output_tokens integer check (output_tokens is null or output_tokens >= 0),
  total_tokens integer check (total_tokens is null or total_tokens >= 0),
  cost_usd numeric(10,6) check (cost_usd is null or cost_usd >= 0),
  latency_ms integer,
  success boolean default true,
  error_message text,
  metadata jsonb,
  created_at timestamptz default now()
);
comment on table public.ai_usage_logs is 'One row per AI API call, for cost and usage monitoring. Inserted by the service role.';
create index idx_ai_usage_org on public.ai_usage_logs (organization_id);
create index idx_ai_usage_provider on public.ai_usage_logs (provider);
create index idx_ai_usage_created on public.ai_usage_logs (created_at desc);
create index idx_ai_usage_user on public.ai_usage_logs (user_id);

-- ai_compliance_logs ---------------------------------------------------------------------------------------
create table public.ai_compliance_logs (
  id bigserial primary key,
  user_id uuid references auth.users (id),
  organization_id bigint references public.organizations (id),
  operation text not null,
  input_text text,
  output_text text,
  safety_check_results jsonb,
  flagged boolean default false,
  flag_reason text,
  reviewed_by uuid references auth.users (id),
  reviewed_at timestamptz,
  created_at timestamptz default now()
);
comment on table public.ai_compliance_logs is 'AI safety and compliance records. Platform admins only (read and review).';
create index idx_ai_compliance_flagged on public.ai_compliance_logs (flagged) where flagged = true;
create index idx_ai_compliance_created on public.ai_compliance_logs (created_at desc);
create index idx_ai_compliance_user on public.ai_compliance_logs (user_id);
create index idx_ai_compliance_org on public.ai_compliance_logs (organization_id);
create index idx_ai_compliance_reviewed_by on public.ai_compliance_logs (reviewed_by);

-- ops.roman_events -----------------------------------------------------------------------------------------
create table ops.roman_events (
  id bigserial primary key,
  timestamp timestamptz default now(),
  event_type text not null,
  severity text check (severity in ('debug', 'info', 'warning', 'error', 'critical')),
  message text not null,
  metadata jsonb,
  user_id uuid references auth.users (id),
  organization_id bigint references public.organizations (id),
  correlation_id uuid,
  constitutional_validation jsonb,
  created_at timestamptz default now()
);
comment on table ops.roman_events is 'R.O.M.A.N.''s autonomous action log. Service role writes; admins read all, users their own.';
create index idx_roman_events_timestamp on ops.roman_events (timestamp desc);
create index idx_roman_events_type on ops.roman_events (event_type);
create index idx_roman_events_severity on ops.roman_events (severity);
create index idx_roman_events_user on ops.roman_events (user_id);
create index idx_roman_events_org on ops.roman_events (organization_id);

-- ops.roman_commands ---------------------------------------------------------------------------------------
create table ops.roman_commands (
  id bigserial primary key,
  user_id uuid references auth.users (id),
  organization_id bigint references public.organizations (id),
  command_intent text not null,
  command_type text,
  parameters jsonb,
  result jsonb,
  status text check (status in ('pending', 'executing', 'success', 'failed', 'rejected')),
  execution_time_ms integer,
  principle_validation jsonb,
  error_message text,
  created_at timestamptz default now(),
  executed_at timestamptz,
  completed_at timestamptz
);
comment on table ops.roman_commands is 'Command history of the R.O.M.A.N. processor. Service role writes; users read their own, admins all.';
create index idx_roman_commands_user on ops.roman_commands (user_id);
create index idx_roman_commands_status on ops.roman_commands (status);
create index idx_roman_commands_created on ops.roman_commands (created_at desc);
create index idx_roman_commands_org on ops.roman_commands (organization_id);

-- ops.agents -----------------------------------------------------------------------------------------------
create table ops.agents (
  id bigserial primary key,
  organization_id bigint references public.organizations (id) on delete cascade,
  name text not null,
  type text not null default 'assistant',
  status text not null default 'idle' check (status in ('idle', 'active', 'standby')),
  last_activity timestamptz,
  last_heartbeat timestamptz,
  requests_today integer not null default 0 check (requests_today >= 0),
  confidence_score numeric(3,2) check (confidence_score is null or confidence_score between 0 and 1),
  model_version text,
  config jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique nulls not distinct (organization_id, name)
);
comment on table ops.agents is 'AI agent registry (organization_id null = a platform agent). Service role only.';

-- ops.system_health / ops.alerts ---------------------------------------------------------------------------
create table ops.system_health (
  id bigserial primary key,
  component text not null,
  status text not null check (status in ('ok', 'degraded', 'down')),
  metrics jsonb not null default '{}',
  heartbeat_id uuid,
  checked_at timestamptz not null default now()
);
comment on table ops.system_health is 'One row per health check per heartbeat (heartbeat_id groups the checks of one run). Service role only.';
create index idx_system_health_component on ops.system_health (component, checked_at desc);
create index idx_system_health_checked on ops.system_health (checked_at desc);
create index idx_system_health_heartbeat on ops.system_health (heartbeat_id);

create table ops.alerts (
  id bigserial primary key,
  alert_key text not null,
  component text not null,
  severity text not null check (severity in ('critical', 'high', 'medium', 'low', 'info')),
  message text not null,
  metadata jsonb not null default '{}',
  occurrences integer not null default 1 check (occurrences >= 1),
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  resolved boolean not null default false,
  resolved_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint alerts_resolved_consistent check (resolved = (resolved_at is not null))
);
comment on table ops.alerts is
  'Alerts raised by health checks: one open alert per alert_key ("check:scope"), bumped while it stays open. Resolved alerts may be purged after 30 days. Service role only.';
create unique index uq_alerts_open_key on ops.alerts (alert_key) where not resolved;
create index idx_alerts_open_severity on ops.alerts (severity) where not resolved;
create index idx_alerts_resolved_at on ops.alerts (resolved_at) where resolved;

-- A health row that is not ok raises (or bumps) the open alert of its component; an ok row resolves it.
create function ops.insert_heartbeat_alert()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_key text := 'health:' || new.component;
begin
  if new.status = 'ok' then
    update ops.alerts
       set resolved = true, resolved_at = new.checked_at
     where alert_key = v_key and not resolved;
    return new;
  end if;
  insert into ops.alerts (alert_key, component, severity, message, metadata, first_seen_at, last_seen_at)
  values (v_key, new.component,
          case new.status when 'down' then 'critical' else 'high' end,
          new.component || ' is ' || new.status,
          jsonb_build_object('metrics', new.metrics, 'heartbeat_id', new.heartbeat_id, 'status', new.status),
          new.checked_at, new.checked_at)
  on conflict (alert_key) where not resolved do update
     set occurrences = ops.alerts.occurrences + 1,
         last_seen_at = excluded.last_seen_at,
         severity = case when excluded.severity = 'critical' then 'critical' else ops.alerts.severity end,
         message = excluded.message,
         metadata = excluded.metadata;
  return new;
end
$$;
comment on function ops.insert_heartbeat_alert() is
  'Trigger on ops.system_health: status down → critical alert, degraded → high, ok → resolves the component''s open alert.';
revoke all on function ops.insert_heartbeat_alert() from public, anon, authenticated;

create trigger raise_alert after insert on ops.system_health
for each row execute function ops.insert_heartbeat_alert();

-- The health score of the original: 100 − 25 per open critical alert − 10 per open high alert, floored at 0.
create function ops.health_score()
returns integer
language sql stable
set search_path = ''
as $$
  select greatest(0, 100
    - 25 * count(*) filter (where a.severity = 'critical')
    - 10 * count(*) filter (where a.severity = 'high'))::integer
  from ops.alerts a where not a.resolved
$$;
comment on function ops.health_score() is 'Health score from the open alerts: 100 − 25 per critical − 10 per high, at least 0.';
revoke all on function ops.health_score() from public, anon, authenticated;
grant execute on function ops.health_score() to service_role;

create trigger set_updated_at before update on ops.agents
for each row execute function public.update_updated_at_column();
create trigger set_updated_at before update on ops.alerts
for each row execute function public.update_updated_at_column();

-- Row level security -----------------------------------------------------------------------------------------
alter table public.ai_usage_logs enable row level security;
alter table public.ai_compliance_logs enable row level security;
alter table ops.roman_events enable row level security;
alter table ops.roman_commands enable row level security;
alter table ops.agents enable row level security;
alter table ops.system_health enable row level security;
alter table ops.alerts enable row level security;

create policy "Members read their organization's AI usage" on public.ai_usage_logs
  for select to authenticated using (organization_id in (select private.user_org_ids()));

create policy "Platform admins read compliance logs" on public.ai_compliance_logs
  for select to authenticated using ((select private.is_platform_admin()));
create policy "Platform admins review compliance logs" on public.ai_compliance_logs
  for update to authenticated using ((select private.is_platform_admin()))
  with check ((select private.is_platform_admin()));

create policy "Users read own events, admins all" on ops.roman_events
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_platform_admin()));
create policy "Users read own commands, admins all" on ops.roman_commands
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_platform_admin()));
-- ops.agents, ops.system_health, ops.alerts: no policy on purpose — service role only (it bypasses RLS).

-- Grants ---------------------------------------------------------------------------------------------------
revoke all on table public.ai_usage_logs, public.ai_compliance_logs from public, anon, authenticated, service_role;
revoke all on sequence public.ai_usage_logs_id_seq, public.ai_compliance_logs_id_seq
  from public, anon, authenticated, service_role;
revoke all on table ops.roman_events, ops.roman_commands, ops.agents, ops.system_health, ops.alerts
  from public, anon, authenticated, service_role;
revoke all on sequence ops.roman_events_id_seq, ops.roman_commands_id_seq, ops.agents_id_seq,
  ops.system_health_id_seq, ops.alerts_id_seq from public, anon, authenticated, service_role;

grant select on table public.ai_usage_logs, public.ai_compliance_logs to authenticated;
grant update (flagged, flag_reason, reviewed_by, reviewed_at) on table public.ai_compliance_logs to authenticated;
grant select on table ops.roman_events, ops.roman_commands to authenticated;

grant select, insert, update, delete on table public.ai_usage_logs, public.ai_compliance_logs,
  ops.roman_events, ops.roman_commands, ops.agents, ops.system_health, ops.alerts to service_role;
grant usage, select on sequence public.ai_usage_logs_id_seq, public.ai_compliance_logs_id_seq,
  ops.roman_events_id_seq, ops.roman_commands_id_seq, ops.agents_id_seq, ops.system_health_id_seq,
  ops.alerts_id_seq to service_role;
