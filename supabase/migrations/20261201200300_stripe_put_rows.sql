-- stripe-webhook: the two projections written on most events, as functions. Each first checks whether the row
-- already holds exactly the projected values (a stale or repeated event: about half of all deliveries) and
-- then does nothing at all — the upsert it replaces changed no row in that case either, but still ran the
-- tables' statement-level triggers (audit, same-organization checks) and was parsed and planned each time.
-- Otherwise the same statement as before runs, with a cached plan. Security invoker: they run as the caller
-- (service_role, under the event's advisory locks); no API role may execute them.

-- The organization's subscription row, organizations.subscription_id (the live plan, or null), and the link
-- from the payments of that Stripe subscription.
create function public.stripe_put_subscription(
  p_organization_id bigint,
  p_plan_id bigint,
  p_stripe_subscription_id text,
  p_status text,
  p_current_period_start timestamptz,
  p_current_period_end timestamptz,
  p_cancel_at_period_end boolean,
  p_cancelled_at timestamptz,
  p_trial_start timestamptz,
  p_trial_end timestamptz,
  p_stripe_status text,
  p_stripe_customer_id text,
  p_stripe_price_id text,
  p_last_event_created bigint,
  p_organization_plan bigint
) returns void
language plpgsql
volatile
set search_path = ''
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
begin
  if exists (
       select 1 from public.subscriptions s
        where s.organization_id = p_organization_id
          and (s.plan_id, s.stripe_subscription_id, s.status, s.current_period_start, s.current_period_end,
               s.cancel_at_period_end, s.cancelled_at, s.trial_start, s.trial_end, s.stripe_status,
               s.stripe_customer_id, s.stripe_price_id, s.last_event_created)
              is not distinct from
              (p_plan_id, p_stripe_subscription_id, p_status, p_current_period_start, p_current_period_end,
               p_cancel_at_period_end, p_cancelled_at, p_trial_start, p_trial_end, p_stripe_status,
               p_stripe_customer_id, p_stripe_price_id, p_last_event_created))
     and exists (
       select 1 from public.organizations o
        where o.id = p_organization_id and o.subscription_id is not distinct from p_organization_plan) then
    return;  -- nothing would change (payments were linked when the row was written)
  end if;

  with s as (
    insert into public.subscriptions as s (organization_id, plan_id, stripe_subscription_id, status,
      current_period_start, current_period_end, cancel_at_period_end, cancelled_at, trial_start, trial_end,
      stripe_status, stripe_customer_id, stripe_price_id, last_event_created)
    values (p_organization_id, p_plan_id, p_stripe_subscription_id, p_status, p_current_period_start,
      p_current_period_end, p_cancel_at_period_end, p_cancelled_at, p_trial_start, p_trial_end, p_stripe_status,
      p_stripe_customer_id, p_stripe_price_id, p_last_event_created)
    on conflict on constraint idx_subscriptions_org do update set plan_id = excluded.plan_id,
      stripe_subscription_id = excluded.stripe_subscription_id, status = excluded.status,
      current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
      cancel_at_period_end = excluded.cancel_at_period_end, cancelled_at = excluded.cancelled_at,
      trial_start = excluded.trial_start, trial_end = excluded.trial_end, stripe_status = excluded.stripe_status,
      stripe_customer_id = excluded.stripe_customer_id, stripe_price_id = excluded.stripe_price_id,
      last_event_created = excluded.last_event_created
    where (s.plan_id, s.stripe_subscription_id, s.status, s.current_period_start, s.current_period_end,
           s.cancel_at_period_end, s.cancelled_at, s.trial_start, s.trial_end, s.stripe_status,
           s.stripe_customer_id, s.stripe_price_id, s.last_event_created)
          is distinct from
          (excluded.plan_id, excluded.stripe_subscription_id, excluded.status, excluded.current_period_start,
           excluded.current_period_end, excluded.cancel_at_period_end, excluded.cancelled_at, excluded.trial_start,
           excluded.trial_end, excluded.stripe_status, excluded.stripe_customer_id, excluded.stripe_price_id,
           excluded.last_event_created)
    returning s.id, s.organization_id, s.stripe_subscription_id
  ), o as (
    update public.organizations og set subscription_id = p_organization_plan, updated_at = now()
     where og.id = p_organization_id and og.subscription_id is distinct from p_organization_plan
  )
  update public.payments p set subscription_id = s.id from s
   where p.organization_id = s.organization_id and p.stripe_subscription_id = s.stripe_subscription_id
     and p.subscription_id is distinct from s.id;
end;
$$;

-- A payments row by its Stripe key: the Stripe invoice (platform billing) when given, else the PaymentIntent.
-- Its subscription_id is the organization's subscription of that Stripe subscription, as it is now.
create function public.stripe_put_payment(
  p_organization_id bigint,
  p_stripe_subscription_id text,
  p_invoice_id bigint,
  p_amount numeric,
  p_currency text,
  p_status text,
  p_payment_method text,
  p_stripe_payment_intent_id text,
  p_stripe_charge_id text,
  p_failure_reason text,
  p_processed_at timestamptz,
  p_stripe_invoice_id text,
  p_amount_refunded numeric,
  p_dispute_status text
) returns void
language plpgsql
volatile
set search_path = ''
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
  v_subscription bigint;
begin
  v_subscription := (select s.id from public.subscriptions s
                      where s.stripe_subscription_id = p_stripe_subscription_id
                        and s.organization_id = p_organization_id);
  if exists (
       select 1 from public.payments p
        where ((p_stripe_invoice_id is not null and p.stripe_invoice_id = p_stripe_invoice_id)
               or (p_stripe_invoice_id is null and p.stripe_payment_intent_id = p_stripe_payment_intent_id))
          and (p.organization_id, p.subscription_id, p.invoice_id, p.amount, p.currency, p.status, p.payment_method,
               p.stripe_payment_intent_id, p.stripe_charge_id, p.failure_reason, p.processed_at,
               p.stripe_subscription_id, p.amount_refunded, p.dispute_status)
              is not distinct from
              (p_organization_id, v_subscription, p_invoice_id, p_amount::numeric(10,2), p_currency, p_status,
               p_payment_method, p_stripe_payment_intent_id, p_stripe_charge_id, p_failure_reason, p_processed_at,
               p_stripe_subscription_id, p_amount_refunded::numeric(10,2), p_dispute_status)) then
    return;  -- a stale or repeated event changes nothing
  end if;

  -- the row by the same key (one statement whichever key it is; ON CONFLICT would need one per unique index);
  -- the event's advisory lock on the payment serialises writers, and a lost race is a unique violation that
  -- the caller retries
  update public.payments p set organization_id = p_organization_id, subscription_id = v_subscription,
      invoice_id = p_invoice_id, amount = p_amount, currency = p_currency, status = p_status,
      payment_method = p_payment_method, stripe_payment_intent_id = p_stripe_payment_intent_id,
      stripe_charge_id = p_stripe_charge_id, failure_reason = p_failure_reason, processed_at = p_processed_at,
      stripe_subscription_id = p_stripe_subscription_id, amount_refunded = p_amount_refunded,
      dispute_status = p_dispute_status, updated_at = now()
   where (p_stripe_invoice_id is not null and p.stripe_invoice_id = p_stripe_invoice_id)
      or (p_stripe_invoice_id is null and p.stripe_payment_intent_id = p_stripe_payment_intent_id);
  if not found then
    insert into public.payments (organization_id, subscription_id, invoice_id, amount, currency, status,
      payment_method, stripe_payment_intent_id, stripe_charge_id, failure_reason, processed_at, stripe_invoice_id,
      stripe_subscription_id, amount_refunded, dispute_status)
    values (p_organization_id, v_subscription, p_invoice_id, p_amount, p_currency, p_status, p_payment_method,
      p_stripe_payment_intent_id, p_stripe_charge_id, p_failure_reason, p_processed_at, p_stripe_invoice_id,
      p_stripe_subscription_id, p_amount_refunded, p_dispute_status);
  end if;
end;
$$;

comment on function public.stripe_put_subscription(bigint, bigint, text, text, timestamptz, timestamptz, boolean,
  timestamptz, timestamptz, timestamptz, text, text, text, bigint, bigint) is
  'stripe-webhook: upsert an organization''s subscription projection (nothing when unchanged). Service role only.';
comment on function public.stripe_put_payment(bigint, text, bigint, numeric, text, text, text, text, text, text,
  timestamptz, text, numeric, text) is
  'stripe-webhook: upsert a payment projection by its Stripe key (nothing when unchanged). Service role only.';

revoke all on function public.stripe_put_subscription(bigint, bigint, text, text, timestamptz, timestamptz, boolean,
  timestamptz, timestamptz, timestamptz, text, text, text, bigint, bigint) from public, anon, authenticated;
revoke all on function public.stripe_put_payment(bigint, text, bigint, numeric, text, text, text, text, text, text,
  timestamptz, text, numeric, text) from public, anon, authenticated;
grant execute on function public.stripe_put_subscription(bigint, bigint, text, text, timestamptz, timestamptz,
  boolean, timestamptz, timestamptz, timestamptz, text, text, text, bigint, bigint) to service_role;
grant execute on function public.stripe_put_payment(bigint, text, bigint, numeric, text, text, text, text, text, text,
  timestamptz, text, numeric, text) to service_role;
