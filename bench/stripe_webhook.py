"""stripe-webhook throughput and latency, against a floor measured in the same run.

A throwaway PostgreSQL cluster (or BENCH_DATABASE_URL) is migrated; the local gateway (its WSGI app on its
own server, `devkit.gateway.make_server`: waitress, keep-alive) serves two functions in this process: the
real `stripe-webhook`, and a floor doing only what no receiver can skip (signature check + ledger insert, one
transaction). Four concurrent senders POST signed events over kept-alive connections, from a separate
process as Stripe's deliveries come from elsewhere (senders inside the server process would take its
interpreter lock from the server): subscription lifecycles of many organizations in shuffled order, plus
duplicate deliveries. The table shows events/s, p50 and p99 latency for both, the ratio to the floor, and the
targets (p50 < 50 ms, p99 < 250 ms, >= 300 events/s per server process, >= 50 % of the floor's throughput).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench._db import bench_database

SECRET = "whsec_bench_only_secret"
SENDERS = 4
ORGS = int(os.environ.get("BENCH_STRIPE_ORGS", "100"))
ROUNDS = int(os.environ.get("BENCH_STRIPE_ROUNDS", "3"))
FLOOR, WEBHOOK = "floor (signature + ledger)", "stripe-webhook"
DUPLICATE_SHARE = 0.1
ROOT = Path(__file__).resolve().parent.parent


def _floor_module(url: str) -> Any:
    """The floor: verify the signature, insert the ledger row, answer 200 (no merge, no projection)."""
    from functions.stripe_webhook import signature
    from shared.db import transaction
    from shared.function import Call, function
    from shared.http import Response
    from shared.settings import DATABASE, FunctionSettings

    class FloorSettings(FunctionSettings):
        required = (*DATABASE, "STRIPE_WEBHOOK_SECRET")

    @function(name="stripe_floor", methods=("POST",), auth="public", settings=FloorSettings, content_types=())
    def stripe_floor(call: Call[FloorSettings]) -> Response:
        """Signature check and ledger insert only."""
        body = call.request.body
        signature.verify(
            call.request.headers.get("Stripe-Signature"), body, call.settings.webhook_secrets(), time.time()
        )
        event = json.loads(body)
        with transaction(call.settings, "service_role") as conn:
            conn.execute(
                "insert into public.stripe_events (id, type, api_version, livemode, created, outcome, payload)"
                " values (%s, %s, %s, %s, to_timestamp(%s), 'applied', %s::jsonb) on conflict (id) do nothing",
                (
                    event["id"],
                    event["type"],
                    event.get("api_version"),
                    event.get("livemode", False),
                    event["created"],
                    body.decode(),
                ),
            )
        return Response.json({"received": True})

    return stripe_floor


def _events(url: str, prefix: str) -> list[bytes]:
    import psycopg

    from devkit.stripe_tools import EventFactory

    rng = random.Random(prefix)
    factory = EventFactory()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "update public.subscription_plans set stripe_price_id = 'price_pro_monthly'"
            " where tier = 'professional'"
        )
        orgs = [
            conn.execute(
                "insert into public.organizations (name) values (%s) returning id", (f"bench {prefix} {i}",)
            ).fetchone()[0]
            for i in range(ORGS)
        ]  # type: ignore[index]
    events: list[dict[str, Any]] = []
    for i, org in enumerate(orgs):
        events += factory.lifecycle(org, f"{prefix}{i}", t0=1_764_000_000 + i)
    rng.shuffle(events)
    events += rng.sample(events, int(len(events) * DUPLICATE_SHARE))
    return [json.dumps(e).encode() for e in events]


def _run(port: int, path: str, bodies: list[bytes]) -> tuple[float, list[float], int]:
    """One round from a fresh sender process: (seconds, latencies in ms, non-200 answers)."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_send_all, (port, path, bodies))


def _send_all(port: int, path: str, bodies: list[bytes]) -> tuple[float, list[float], int]:
    """SENDERS threads, each on one kept-alive connection, POST `bodies` signed now."""
    from functions.stripe_webhook import signature

    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    queue = list(reversed(bodies))

    def sender() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            header = signature.header_for(body, [SECRET], int(time.time()))
            started = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    path,
                    body=body,
                    headers={"Content-Type": "application/json", "Stripe-Signature": header},
                )
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors += 0 if ok else 1
        conn.close()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, errors


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    """Run the benchmark and print the table (figures, ratios to the floor, targets)."""
    import logging

    from devkit import gateway
    from shared import db as shared_db

    logging.getLogger("odyssey").setLevel(logging.WARNING)
    logging.getLogger("waitress").setLevel(
        logging.ERROR
    )  # "task queue depth" notes: under load a request waits for a thread
    with bench_database() as url:
        os.environ.update(
            {
                "SUPABASE_DB_URL": url,
                "STRIPE_WEBHOOK_SECRET": SECRET,
                "ODYSSEY_SYSTEM_LOGS": "false",
                "ODYSSEY_DB_POOL_MAX_SIZE": str(SENDERS + 2),
                "ODYSSEY_LOG_LEVEL": "WARNING",
            }
        )
        module = gateway.load_module(ROOT / "functions" / "stripe_webhook" / "main.py", fresh=True)
        app = gateway.Gateway([module.stripe_webhook.endpoint, _floor_module(url).endpoint])
        server = gateway.make_server(app, 0)
        port = server.effective_port
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            warm = _events(url, "warm")[:200]
            _run(port, "/functions/v1/stripe-webhook", warm)
            _run(port, "/functions/v1/stripe-floor", warm)
            runs: dict[str, list[tuple[float, float, float, int, int]]] = {FLOOR: [], WEBHOOK: []}
            for rnd in range(ROUNDS):  # alternate, so that a load spike on the machine hits both alike
                for name, path in (
                    (FLOOR, "/functions/v1/stripe-floor"),
                    (WEBHOOK, "/functions/v1/stripe-webhook"),
                ):
                    bodies = _events(url, f"{name[:5]}{rnd}")
                    elapsed, lat, errors = _run(port, path, bodies)
                    runs[name].append(
                        (len(bodies) / elapsed, statistics.median(lat), _pct(lat, 0.99), errors, len(bodies))
                    )
            results = {
                name: (
                    statistics.median(r[0] for r in rs),
                    statistics.median(r[1] for r in rs),
                    statistics.median(r[2] for r in rs),
                    sum(r[3] for r in rs),
                    sum(r[4] for r in rs),
                )
                for name, rs in runs.items()
            }
            ratios = [w[0] / f[0] for f, w in zip(runs[FLOOR], runs[WEBHOOK], strict=True)]
        finally:
            server.close()
            shared_db.close_pools()
    floor_rate = results[FLOOR][0]
    print(
        f"{SENDERS} concurrent senders, {ROUNDS} alternating rounds of {ORGS} subscription lifecycles"
        f" (+{int(DUPLICATE_SHARE * 100)} % duplicates) each, sent from another process; the gateway's server"
        f" (waitress, {gateway.SERVER_THREADS} threads) in one process;"
        f" medians over the rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'':28} {'events':>7} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8} {'vs floor':>9}")
    for name, (rate, p50, p99, errors, n) in results.items():
        print(f"{name:28} {n:7d} {rate:9.0f} {p50:8.1f} {p99:8.1f} {errors:8d} {rate / floor_rate:8.0%}")
    rate, p50, p99, errors, _ = results[WEBHOOK]
    ratio = statistics.median(ratios)
    print(
        f"per-round throughput ratio to the floor: {', '.join(f'{r:.0%}' for r in ratios)} (median {ratio:.0%})"
    )
    print(
        f"targets: p50 < 50 ms: {'yes' if p50 < 50 else 'NO'} ({p50:.1f}); p99 < 250 ms: "
        f"{'yes' if p99 < 250 else 'NO'} ({p99:.1f}); >= 300 events/s: {'yes' if rate >= 300 else 'NO'} "
        f"({rate:.0f}); >= 50 % of floor: {'yes' if ratio >= 0.5 else 'NO'} ({ratio:.0%}); errors: {errors}"
    )


if __name__ == "__main__":
    main()
