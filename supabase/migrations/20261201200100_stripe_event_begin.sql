-- stripe-webhook: the start of one event's transaction in one statement (one round trip, cached plans).
-- public.stripe_event_begin writes the ledger row (or counts another attempt), decides whether the event is
-- processed, takes the event's advisory locks in the given (sorted) order, and only then reads what the
-- event's projection is going to read: snapshots by (kind, id), snapshots by link value, customer bindings,
-- plans by Stripe price and which organizations exist. Everything is read after the locks, exactly as the
-- function's caller would read it one statement at a time. Security invoker: it runs as the caller
-- (service_role) with the caller's table privileges; no API role may execute it.

create or replace function public.stripe_event_begin(
  p_id text,
  p_type text,
  p_api_version text,
  p_livemode boolean,
  p_created bigint,
  p_source text,
  p_payload jsonb,
  p_force boolean,
  p_locks text[],
  p_object_kinds text[],
  p_object_ids text[],
  p_link_customers text[],
  p_link_payment_intents text[],
  p_link_invoices text[],
  p_link_products text[],
  p_bind_customers text[],
  p_prices text[],
  p_orgs bigint[]
) returns jsonb
language plpgsql
volatile
set search_path = ''
-- every statement below is planned once per connection: with custom plans each call would plan all of them
-- again (their array parameters make the generic plan look dearer), which costs more than running them
set plan_cache_mode = force_generic_plan
as $$
declare
  v_inserted boolean;
  v_outcome text;
  v_key text;
  v_objects jsonb;
  v_links jsonb;
  v_bindings jsonb;
  v_plans jsonb;
  v_orgs jsonb;
begin
  -- a concurrent delivery of the same id waits here on the primary key until the first one ends
  insert into public.stripe_events as e (id, type, api_version, livemode, created, outcome, processed_at, source,
    payload)
  values (p_id, p_type, p_api_version, p_livemode, to_timestamp(p_created), 'applied', now(), p_source, p_payload)
  on conflict (id) do update set attempts = e.attempts + 1
  returning (e.xmax = 0), e.outcome into v_inserted, v_outcome;

  if not (v_inserted or v_outcome not in ('applied', 'pending', 'ignored', 'acknowledged') or p_force) then
    return jsonb_build_object('inserted', v_inserted, 'process', false);
  end if;

  -- one at a time, in the order given (the caller sorts them: the global lock order)
  foreach v_key in array coalesce(p_locks, '{}') loop
    perform pg_advisory_xact_lock(hashtextextended(v_key, 7155));
  end loop;

  select coalesce(jsonb_agg(jsonb_build_array(o.kind, o.id, o.version_terminal, o.version_created, o.version_rank,
           o.version_event, o.data)), '[]'::jsonb)
    into v_objects
    from unnest(coalesce(p_object_kinds, '{}'), coalesce(p_object_ids, '{}')) as w(kind, id)
    join public.stripe_objects o on o.kind = w.kind and o.id = w.id;

  select coalesce(jsonb_agg(jsonb_build_array(l.link, l.value, l.kind, l.id, l.version_terminal, l.version_created,
           l.version_rank, l.version_event, l.data)), '[]'::jsonb)
    into v_links
    from (
      select 'customer' as link, o.customer as value, o.* from public.stripe_objects o
       where o.customer = any(coalesce(p_link_customers, '{}'))
      union all
      select 'payment_intent', o.payment_intent, o.* from public.stripe_objects o
       where o.payment_intent = any(coalesce(p_link_payment_intents, '{}'))
      union all
      select 'invoice', o.invoice, o.* from public.stripe_objects o
       where o.invoice = any(coalesce(p_link_invoices, '{}'))
      union all
      select 'product', o.product, o.* from public.stripe_objects o
       where o.product = any(coalesce(p_link_products, '{}'))
    ) l;

  -- bindings: the customers asked for, and the customers of the invoices read above (a recorded binding,
  -- possibly tombstoned, wins over organizations.stripe_customer_id set elsewhere)
  select coalesce(jsonb_agg(jsonb_build_array(c.customer, b.organization_id, b.deleted)), '[]'::jsonb)
    into v_bindings
    from (
      select unnest(coalesce(p_bind_customers, '{}')) as customer
      union
      select r -> 6 ->> 'customer' from jsonb_array_elements(v_objects) as x(r) where r ->> 0 = 'invoice'
    ) c
    left join lateral (
      select organization_id, deleted from (
        select bb.organization_id, bb.deleted, 0 as pref from public.stripe_customer_bindings bb
         where bb.stripe_customer_id = c.customer
        union all
        select og.id, false, 1 from public.organizations og where og.stripe_customer_id = c.customer
      ) u order by pref limit 1
    ) b on true
   where c.customer is not null;

  -- plans: the prices asked for, and the prices of the customers' subscriptions read above
  select coalesce(jsonb_agg(jsonb_build_array(pr.price, sp.id)), '[]'::jsonb)
    into v_plans
    from (
      select unnest(coalesce(p_prices, '{}')) as price
      union
      select r -> 8 ->> 'price_id' from jsonb_array_elements(v_links) as x(r)
       where r ->> 2 = 'subscription' and r -> 8 ->> 'price_id' is not null
    ) pr
    left join public.subscription_plans sp on sp.stripe_price_id = pr.price
   where pr.price is not null;

  select coalesce(jsonb_agg(og.id), '[]'::jsonb) into v_orgs
    from public.organizations og where og.id = any(coalesce(p_orgs, '{}'));

  return jsonb_build_object('inserted', v_inserted, 'process', true, 'objects', v_objects, 'links', v_links,
    'bindings', v_bindings, 'plans', v_plans, 'orgs', v_orgs);
end;
$$;

comment on function public.stripe_event_begin(text, text, text, boolean, bigint, text, jsonb, boolean, text[], text[],
  text[], text[], text[], text[], text[], text[], text[], bigint[]) is
  'stripe-webhook: ledger row + advisory locks (in the given order) + the reads the event needs, in one call. Service role only.';

revoke all on function public.stripe_event_begin(text, text, text, boolean, bigint, text, jsonb, boolean, text[],
  text[], text[], text[], text[], text[], text[], text[], text[], bigint[]) from public, anon, authenticated;
grant execute on function public.stripe_event_begin(text, text, text, boolean, bigint, text, jsonb, boolean, text[],
  text[], text[], text[], text[], text[], text[], text[], text[], bigint[]) to service_role;
