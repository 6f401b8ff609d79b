-- stripe-webhook: the start of one event's transaction in one statement (one round trip, cached plans).
-- public.stripe_event_begin writes the ledger row (or counts another attempt), decides whether the event is
-- processed, takes the event's advisory locks in the given (sorted) order, and only then reads what the
-- event's projection is going to read: snapshots by (kind, id), snapshots by link value, customer bindings
-- (one primary-key lookup each; organizations.stripe_customer_id only when no binding is recorded), plans by
-- Stripe price and which organizations exist. Everything is read after the locks, exactly as the caller
-- would read it one statement at a time. It answers rows (the snapshots as they are stored, never copied into
-- a new document) and takes the event's reads as one jsonb argument. Security invoker: it runs as the caller
-- (service_role) with the caller's table privileges; no API role may execute it.

-- p_reads: {"locks": [...], "objects": [[kind, id], ...], "customer": [...], "payment_intent": [...],
--           "invoice": [...], "product": [...], "bindings": [customer, ...], "prices": [...], "orgs": [id, ...]}
-- Rows, by `what`:
--   ledger   (inserted, process)                        always first; when process is false nothing follows
--   object   kind, id, version, data                    a snapshot asked for by (kind, id)
--   link     link, value, kind, id, version, data       a snapshot whose link column `link` equals `value`
--   binding  customer, organization_id, deleted         customers asked for, and those of the invoices read
--   plan     price, plan_id                             prices asked for, and those of the subscriptions read
--   org      organization_id                            the organizations asked for that exist
create function public.stripe_event_begin(
  p_id text,
  p_type text,
  p_api_version text,
  p_livemode boolean,
  p_created bigint,
  p_source text,
  p_payload jsonb,
  p_force boolean,
  p_reads jsonb
) returns table (
  what text,
  link text,
  value text,
  kind text,
  id text,
  version_terminal smallint,
  version_created bigint,
  version_rank bigint,
  version_event text,
  data jsonb,
  organization_id bigint,
  flag boolean
)
language plpgsql
volatile
set search_path = ''
-- planned once per connection (custom plans would plan every statement on every call); every read below is
-- a lookup by an indexed column, so a plan made while the tables were still small (a seq scan) must not
-- stay cached while they grow
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
  v_inserted boolean;
  v_outcome text;
  v_key text;
  v_customers text[];
  v_prices text[];
  v_org bigint;
  v_deleted boolean;
  v_pair jsonb;
  r record;
begin
  insert into public.stripe_events as e (id, type, api_version, livemode, created, outcome, processed_at, source,
    payload)
  values (p_id, p_type, p_api_version, p_livemode, to_timestamp(p_created), 'applied', now(), p_source, p_payload)
  on conflict on constraint stripe_events_pkey do update set attempts = e.attempts + 1
  returning (e.xmax = 0), e.outcome into v_inserted, v_outcome;

  what := 'ledger';
  flag := v_inserted or v_outcome not in ('applied', 'pending', 'ignored', 'acknowledged') or p_force;
  value := v_inserted::text;
  return next;
  if not flag then
    return;
  end if;

  -- one at a time, in the order given (the caller sorts them: the global lock order)
  for v_key in select jsonb_array_elements_text(p_reads -> 'locks') loop
    perform pg_advisory_xact_lock(hashtextextended(v_key, 7155));
  end loop;

  v_customers := array(select jsonb_array_elements_text(p_reads -> 'bindings'));
  v_prices := array(select jsonb_array_elements_text(p_reads -> 'prices'));
  link := null;
  value := null;
  organization_id := null;
  flag := null;

  what := 'object';
  for v_pair in select jsonb_array_elements(p_reads -> 'objects') loop
    -- one primary-key lookup each (a join would be planned without knowing how few pairs there are)
    select o.* into r from public.stripe_objects o where o.kind = v_pair ->> 0 and o.id = v_pair ->> 1;
    if found then
      kind := r.kind; id := r.id; version_terminal := r.version_terminal; version_created := r.version_created;
      version_rank := r.version_rank; version_event := r.version_event; data := r.data;
      return next;
      if r.kind = 'invoice' and r.customer is not null then
        v_customers := v_customers || r.customer;
      end if;
    end if;
  end loop;

  what := 'link';
  for r in
    select 'customer' as l, o.customer as v, o.* from public.stripe_objects o
     where o.customer = any(array(select jsonb_array_elements_text(p_reads -> 'customer')))
    union all
    select 'payment_intent', o.payment_intent, o.* from public.stripe_objects o
     where o.payment_intent = any(array(select jsonb_array_elements_text(p_reads -> 'payment_intent')))
    union all
    select 'invoice', o.invoice, o.* from public.stripe_objects o
     where o.invoice = any(array(select jsonb_array_elements_text(p_reads -> 'invoice')))
    union all
    select 'product', o.product, o.* from public.stripe_objects o
     where o.product = any(array(select jsonb_array_elements_text(p_reads -> 'product')))
  loop
    link := r.l; value := r.v; kind := r.kind; id := r.id; version_terminal := r.version_terminal;
    version_created := r.version_created; version_rank := r.version_rank; version_event := r.version_event;
    data := r.data;
    return next;
    if r.l = 'customer' and r.kind = 'subscription' and r.data ->> 'price_id' is not null then
      v_prices := v_prices || (r.data ->> 'price_id');
    end if;
  end loop;
  link := null; kind := null; id := null; version_terminal := null; version_created := null; version_rank := null;
  version_event := null; data := null;

  -- a recorded binding (possibly tombstoned) wins over organizations.stripe_customer_id set elsewhere
  what := 'binding';
  for v_key in select distinct c from unnest(v_customers) as c where c is not null loop
    select b.organization_id, b.deleted into v_org, v_deleted
      from public.stripe_customer_bindings b where b.stripe_customer_id = v_key;
    if not found then
      select og.id, false into v_org, v_deleted
        from public.organizations og where og.stripe_customer_id = v_key limit 1;
    end if;
    value := v_key; organization_id := v_org; flag := v_deleted;
    return next;
    v_org := null; v_deleted := null;
  end loop;

  what := 'plan';
  flag := null;
  for v_key in select distinct p from unnest(v_prices) as p where p is not null loop
    value := v_key;
    organization_id := (select sp.id from public.subscription_plans sp where sp.stripe_price_id = v_key);
    return next;
  end loop;

  what := 'org';
  value := null;
  for v_org in
    select og.id from public.organizations og
     where og.id = any(array(select jsonb_array_elements_text(p_reads -> 'orgs')::bigint))
  loop
    organization_id := v_org;
    return next;
  end loop;
end;
$$;

comment on function public.stripe_event_begin(text, text, text, boolean, bigint, text, jsonb, boolean, jsonb) is
  'stripe-webhook: ledger row + advisory locks (in the given order) + the reads the event needs, in one call. Service role only.';

revoke all on function public.stripe_event_begin(text, text, text, boolean, bigint, text, jsonb, boolean, jsonb)
  from public, anon, authenticated;
grant execute on function public.stripe_event_begin(text, text, text, boolean, bigint, text, jsonb, boolean, jsonb)
  to service_role;
