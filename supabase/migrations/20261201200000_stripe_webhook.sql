-- The Stripe webhook's own state (event ledger, object snapshots, customer bindings, pending events, resync
-- cursors) and the Stripe columns it keeps on subscriptions and payments.
-- Everything here is written only by the stripe-webhook function, which runs as service_role: webhooks have
-- no user. The ledger tables hold raw Stripe payloads, so no API role but service_role may read them.

-- stripe_events: the event ledger -----------------------------------------------------------------------------
create table public.stripe_events (
  id text primary key,
  type text not null,
  api_version text,
  livemode boolean not null default false,
  created timestamptz not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  attempts integer not null default 1 constraint stripe_events_attempts_positive check (attempts > 0),
  outcome text not null
    constraint stripe_events_outcome_check check (outcome in ('applied', 'pending', 'ignored', 'acknowledged', 'failed')),
  error text,
  source text not null default 'webhook' constraint stripe_events_source_check check (source in ('webhook', 'resync', 'replay')),
  payload jsonb not null
);
comment on table public.stripe_events is 'Ledger of Stripe events: one row per event id, written in the same transaction as its effects (a failed attempt is recorded afterwards with outcome failed). Service role only.';
comment on column public.stripe_events.outcome is 'applied | pending (waits for another event, see stripe_pending_events) | ignored (not ours / not handled) | acknowledged (no state change by design) | failed (rolled back; Stripe retries)';
comment on column public.stripe_events.attempts is 'Deliveries of this event id received (duplicates included).';
create index idx_stripe_events_open on public.stripe_events (outcome, received_at) where outcome in ('pending', 'failed');

-- stripe_objects: the latest snapshot of every Stripe object we were told about --------------------------------
create table public.stripe_objects (
  kind text not null,
  id text not null,
  version_terminal smallint not null,
  version_created bigint not null,
  version_rank bigint not null,
  version_event text not null,
  customer text,
  payment_intent text,
  invoice text,
  product text,
  data jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (kind, id)
);
comment on table public.stripe_objects is 'Latest normalised snapshot of each Stripe object, chosen by the version (terminal, event created, status rank, event id). Our billing rows are projections of these. Service role only.';
-- one lookup per link value returns the snapshots of every kind linked to it
create index idx_stripe_objects_customer on public.stripe_objects (customer) where customer is not null;
create index idx_stripe_objects_payment_intent on public.stripe_objects (payment_intent) where payment_intent is not null;
create index idx_stripe_objects_invoice on public.stripe_objects (invoice) where invoice is not null;
create index idx_stripe_objects_product on public.stripe_objects (product) where product is not null;

-- stripe_customer_bindings: which organization a Stripe customer bills ----------------------------------------
create table public.stripe_customer_bindings (
  stripe_customer_id text primary key,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  deleted boolean not null default false,
  bound_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table public.stripe_customer_bindings is 'Stripe customer -> organization (from checkout.session.completed). Tombstoned, never removed, by customer.deleted, so late events still reach the right tenant and nothing rebinds it. Service role only.';
create index idx_stripe_customer_bindings_org on public.stripe_customer_bindings (organization_id);

-- stripe_pending_events: events waiting for the event they depend on --------------------------------------------
create table public.stripe_pending_events (
  waiting_for text not null,
  event_id text not null references public.stripe_events (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (waiting_for, event_id)
);
comment on table public.stripe_pending_events is 'Events whose effect needs another event first (waiting_for, e.g. customer:cus_123); resolved in the transaction of the event that supplies it. Service role only.';
create index idx_stripe_pending_events_event on public.stripe_pending_events (event_id);

-- stripe_sync_cursors: where a resync stopped ----------------------------------------------------------------------
create table public.stripe_sync_cursors (
  name text primary key,
  starting_after text,
  created_gte bigint,
  updated_at timestamptz not null default now()
);
comment on table public.stripe_sync_cursors is 'Resumable position of `odyssey stripe resync` (last event id applied). Service role only.';

-- Stripe columns on the billing tables -----------------------------------------------------------------------------
alter table public.subscriptions
  add column stripe_status text,
  add column stripe_customer_id text,
  add column stripe_price_id text,
  add column last_event_created bigint;
comment on column public.subscriptions.stripe_status is 'Stripe''s own status (incomplete, incomplete_expired, paused, canceled, ...); status is its mapping to our five values.';
comment on column public.subscriptions.last_event_created is 'created (unix seconds) of the Stripe event whose snapshot this row shows.';
create index idx_subscriptions_stripe_customer on public.subscriptions (stripe_customer_id);

alter table public.payments
  add column stripe_invoice_id text constraint payments_stripe_invoice_key unique,
  add column stripe_subscription_id text,
  add column amount_refunded numeric(10,2) not null default 0
    constraint payments_amount_refunded_nonnegative check (amount_refunded >= 0),
  add column dispute_status text,
  add column updated_at timestamptz default now();
comment on column public.payments.stripe_invoice_id is 'The Stripe invoice a subscription payment pays (the row key for platform billing).';
comment on column public.payments.amount_refunded is 'Refunded so far (major units), the sum of the refunds whatever order they arrived in.';
comment on column public.payments.dispute_status is 'Status of the latest dispute on the payment (needs_response, under_review, won, lost, ...).';
create index idx_payments_stripe_subscription on public.payments (stripe_subscription_id);

-- Row level security: service role only --------------------------------------------------------------------------------
alter table public.stripe_events enable row level security;
alter table public.stripe_objects enable row level security;
alter table public.stripe_customer_bindings enable row level security;
alter table public.stripe_pending_events enable row level security;
alter table public.stripe_sync_cursors enable row level security;

create policy "Service role manages stripe events" on public.stripe_events
  for all to service_role using (true) with check (true);
create policy "Service role manages stripe objects" on public.stripe_objects
  for all to service_role using (true) with check (true);
create policy "Service role manages stripe customer bindings" on public.stripe_customer_bindings
  for all to service_role using (true) with check (true);
create policy "Service role manages stripe pending events" on public.stripe_pending_events
  for all to service_role using (true) with check (true);
create policy "Service role manages stripe sync cursors" on public.stripe_sync_cursors
  for all to service_role using (true) with check (true);

revoke all on table public.stripe_events, public.stripe_objects, public.stripe_customer_bindings,
  public.stripe_pending_events, public.stripe_sync_cursors from public, anon, authenticated, service_role;
grant select, insert, update, delete on table public.stripe_events, public.stripe_objects,
  public.stripe_customer_bindings, public.stripe_pending_events, public.stripe_sync_cursors to service_role;
