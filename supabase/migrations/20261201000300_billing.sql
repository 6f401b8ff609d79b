-- Subscriptions and payments (kept by the Stripe webhooks, i.e. the service role) and the subscription tiers.

-- subscriptions --------------------------------------------------------------------------------------------
create table public.subscriptions (
  id bigserial primary key,
  organization_id bigint not null constraint idx_subscriptions_org unique
    references public.organizations (id) on delete cascade,
  plan_id bigint references public.subscription_plans (id),
  stripe_subscription_id text constraint idx_subscriptions_stripe unique,
  status text check (status in ('active', 'trialing', 'past_due', 'cancelled', 'unpaid')),
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean default false,
  cancelled_at timestamptz,
  trial_start timestamptz,
  trial_end timestamptz,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
comment on table public.subscriptions is 'The subscription of an organization (one each). Written by the Stripe webhooks (service role).';
create index idx_subscriptions_status on public.subscriptions (status);
create index idx_subscriptions_plan on public.subscriptions (plan_id);

-- payments -------------------------------------------------------------------------------------------------
create table public.payments (
  id bigserial primary key,
  organization_id bigint not null references public.organizations (id) on delete cascade,
  subscription_id bigint references public.subscriptions (id),
  invoice_id bigint references public.invoices (id),
  amount numeric(10,2) not null,
  currency text default 'USD',
  status text check (status in ('pending', 'succeeded', 'failed', 'refunded')),
  payment_method text,
  stripe_payment_intent_id text constraint idx_payments_stripe_intent unique,
  stripe_charge_id text,
  failure_reason text,
  metadata jsonb,
  processed_at timestamptz,
  created_at timestamptz default now(),
  constraint payments_currency_format check (currency ~ '^[A-Z]{3}$')
);
comment on table public.payments is 'Payment history of an organization (subscription and invoice payments). Written by the service role.';
create index idx_payments_org on public.payments (organization_id);
create index idx_payments_subscription on public.payments (subscription_id);
create index idx_payments_invoice on public.payments (invoice_id);

-- a payment references only its own organization's subscription and invoice
select private.same_organization_triggers('payments', 'subscriptions', 'subscription_id', 'check_subscription_organization');
select private.same_organization_triggers('payments', 'invoices', 'invoice_id', 'check_invoice_organization');
-- the installer was only for these migrations
drop function private.same_organization_triggers(text, text, text, text);

create trigger set_updated_at before update on public.subscriptions
for each row execute function public.update_updated_at_column();

-- Row level security -----------------------------------------------------------------------------------------
alter table public.subscriptions enable row level security;
alter table public.payments enable row level security;

create policy "Members read their subscription" on public.subscriptions
  for select to authenticated using (organization_id in (select private.user_org_ids()));
create policy "Members read their payments" on public.payments
  for select to authenticated using (organization_id in (select private.user_org_ids()));

revoke all on table public.subscriptions, public.payments from public, anon, authenticated, service_role;
revoke all on sequence public.subscriptions_id_seq, public.payments_id_seq from public, anon, authenticated, service_role;
grant select on table public.subscriptions, public.payments to authenticated;
grant select, insert, update, delete on table public.subscriptions, public.payments to service_role;
grant usage, select on sequence public.subscriptions_id_seq, public.payments_id_seq to service_role;

-- Reference data: the subscription tiers -------------------------------------------------------------------
-- limits: -1 means unlimited.
insert into public.subscription_plans (tier, name, price_monthly, price_yearly, features, limits) values
  ('free', 'Free', 0.00, 0.00,
   '{"users": 1, "organizations": 1, "ai_requests": 100, "storage_gb": 1,
     "theme_access": {"type": "limited", "count": 1},
     "knowledge_bases": {"type": "limited", "count": 3},
     "support": "community"}',
   '{"users": 1, "organizations": 1, "ai_requests_per_month": 100, "storage_gb": 1,
     "employees": 5, "customers": 50, "invoices_per_month": 10}'),
  ('professional', 'Professional', 99.00, 990.00,
   '{"users": 5, "organizations": 1, "ai_requests": 1000, "storage_gb": 10,
     "theme_access": {"type": "limited", "count": 5},
     "knowledge_bases": {"type": "full", "count": 17},
     "support": "email"}',
   '{"users": 5, "organizations": 1, "ai_requests_per_month": 1000, "storage_gb": 10,
     "employees": 25, "customers": 1000, "invoices_per_month": 500}'),
  ('business', 'Business', 299.00, 2990.00,
   '{"users": 25, "organizations": 3, "ai_requests": 10000, "storage_gb": 100,
     "theme_access": {"type": "full", "count": 20},
     "knowledge_bases": {"type": "full", "count": 17},
     "support": "priority"}',
   '{"users": 25, "organizations": 3, "ai_requests_per_month": 10000, "storage_gb": 100,
     "employees": 250, "customers": 25000, "invoices_per_month": 5000}'),
  ('enterprise', 'Enterprise', 999.00, 9990.00,
   '{"users": -1, "organizations": -1, "ai_requests": -1, "storage_gb": 1000,
     "theme_access": {"type": "full", "count": -1},
     "knowledge_bases": {"type": "full", "count": -1},
     "support": "dedicated"}',
   '{"users": -1, "organizations": -1, "ai_requests_per_month": -1, "storage_gb": 1000,
     "employees": -1, "customers": -1, "invoices_per_month": -1}');
