"""run-payroll end to end: 10,000 employees x two workweeks (`odyssey db seed --scale large`), against a floor.

The database is BENCH_DATABASE_URL (already seeded at scale large, e.g. `odyssey db reset --scale large`) or
a throwaway cluster that this benchmark migrates and seeds (that alone takes several minutes). The real
`run-payroll` function is served in process by the local gateway's WSGI app (werkzeug test client: the full
pipeline of authentication, validation, one transaction per request, the SQL engine, JSON out) and called
with the service key once per organization and pay period covering the seeded workweeks (weekly: two runs,
biweekly 16-29 Nov, semimonthly 16-30 Nov, monthly November): overtime, FICA with year-to-date, federal
withholding, stubs written.

Measured: sequentially (one caller) and with BENCH_PAYROLL_WORKERS concurrent callers (default 2, the cores of
this machine). The floor, measured in the same run, is one aggregate query over the same time entries
(elapsed minus break per employee). The table prints seconds, stubs/s, the ratio to the floor and the target
(< 5 s for everything). The draft runs, and the audit rows the rounds wrote, are deleted afterwards, so the
benchmark can run again on the same database.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench._db import bench_database

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 5.0
SERVICE_KEY = "bench-only-service-key-0123456789"
JWT_SECRET = "bench-only-jwt-secret-0123456789abcdef-0123456789"
PERIODS = {
    "weekly": [("2026-11-16", "2026-11-22"), ("2026-11-23", "2026-11-29")],
    "biweekly": [("2026-11-16", "2026-11-29")],
    "semimonthly": [("2026-11-16", "2026-11-30")],
    "monthly": [("2026-11-01", "2026-11-30")],
}
FLOOR_SQL = """
select employee_id, sum(extract(epoch from clock_out - clock_in) - coalesce(extract(epoch from break_duration), 0))
from public.time_entries
where clock_out > clock_in and clock_in < '2026-12-01' and clock_out > '2026-10-26'
group by employee_id
"""


def _calls(url: str) -> list[dict[str, Any]]:
    import psycopg

    with psycopg.connect(url) as conn:
        orgs = conn.execute(
            "select id, coalesce(settings -> 'payroll' ->> 'pay_frequency', 'biweekly') from public.organizations order by id"
        ).fetchall()
    return [
        {"organization_id": org, "period_start": start, "period_end": end}
        for org, frequency in orgs
        for start, end in PERIODS[frequency]
    ]


def _clean(url: str, logs_after: int) -> None:
    """Delete the bench's draft runs and the audit rows its rounds wrote (system_logs rows past `logs_after`),
    then vacuum, so that each measurement starts from the same settled database: no autovacuum of the deleted
    stubs competing with the runs for the two cores, and no audit table growing by some 22,000 rows a round
    (a long-used benchmark database, whose system_logs had grown so, measured slower than a fresh one)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "delete from public.payroll_runs where status = 'draft' and period_start >= '2026-11-01' and period_end <= '2026-11-30'"
        )
        conn.execute("delete from public.system_logs where id > %s", (logs_after,))
        conn.execute("vacuum (analyze) public.paystubs, public.payroll_runs, public.system_logs")


def _log_mark(url: str) -> int:
    """The last system_logs id before the benchmark writes anything."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("select coalesce(max(id), 0) from public.system_logs").fetchone()
    return int(row[0]) if row else 0


def _client() -> Any:
    from werkzeug.test import Client

    from devkit import gateway

    module = gateway.load_module(ROOT / "functions" / "run_payroll" / "main.py", fresh=True)
    return Client(gateway.Gateway([module.run_payroll.endpoint]))


def _post(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(
        "/functions/v1/run-payroll",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {SERVICE_KEY}"},
    )
    if resp.status_code != 200:
        raise RuntimeError(f"run-payroll answered {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
    return dict(json.loads(resp.get_data()))


def _run_all(calls: list[dict[str, Any]], workers: int) -> tuple[float, list[dict[str, Any]], list[float]]:
    queue = list(reversed(calls))
    lock = threading.Lock()
    results: list[dict[str, Any]] = []
    latencies: list[float] = []
    failures: list[BaseException] = []
    clients = [_client() for _ in range(workers)]

    def work(client: Any) -> None:
        while True:
            with lock:
                if not queue or failures:
                    return
                body = queue.pop()
            started = time.perf_counter()
            try:
                out = _post(client, body)
            except BaseException as exc:  # noqa: BLE001 - reported after the threads end
                with lock:
                    failures.append(exc)
                return
            with lock:
                latencies.append(time.perf_counter() - started)
                results.append(out)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise failures[0]
    return elapsed, results, latencies


def _floor(url: str) -> float:
    import psycopg

    best = float("inf")
    with psycopg.connect(url) as conn:
        for _ in range(3):
            started = time.perf_counter()
            conn.execute(FLOOR_SQL).fetchall()
            best = min(best, time.perf_counter() - started)
    return best


def _check(url: str) -> tuple[int, int]:
    """(stubs written, stubs that do not foot) over the bench's runs."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            """select count(*), count(*) filter (where net_pay <> gross_pay - federal_income_tax - social_security_tax
                                                  - medicare_tax - additional_medicare_tax - other_deductions
                                                  or gross_pay <> regular_pay + overtime_pay + double_time_pay + salary_pay)
               from public.paystubs s join public.payroll_runs r on r.id = s.payroll_run_id
               where r.status = 'draft' and r.period_start >= '2026-11-01' and r.period_end <= '2026-11-30'"""
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def main() -> None:
    """Run the benchmark and print its table."""
    with bench_database("large") as url:
        os.environ.update(
            {
                "SUPABASE_DB_URL": url,
                "SUPABASE_URL": "http://127.0.0.1:9",
                "SUPABASE_JWT_SECRET": JWT_SECRET,
                "SUPABASE_SERVICE_ROLE_KEY": SERVICE_KEY,
                "ODYSSEY_LOG_LEVEL": "WARNING",
                "ODYSSEY_SYSTEM_LOGS": "false",
                "ODYSSEY_DB_POOL_MAX_SIZE": "8",
            }
        )
        import psycopg

        with psycopg.connect(url) as conn:
            employees, entries = conn.execute(
                "select (select count(*) from public.employees), (select count(*) from public.time_entries)"
            ).fetchone() or (0, 0)
        calls = _calls(url)
        mark = _log_mark(url)
        _clean(url, mark)
        floor = _floor(url)
        workers = int(os.environ.get("BENCH_PAYROLL_WORKERS", "2"))
        rounds = int(os.environ.get("BENCH_PAYROLL_ROUNDS", "3"))
        modes = (("sequential", 1), (f"{workers} concurrent callers", workers))
        measured: dict[str, list[tuple[int, int, int, int, int, float, float, float]]] = {
            m: [] for m, _ in modes
        }
        for _ in range(rounds):  # alternate, so that a spell of load on the machine hits both modes alike
            for label, n in modes:
                _clean(url, mark)
                elapsed, results, latencies = _run_all(calls, n)
                stubs = sum(int(r["paystubs_created"]) for r in results)
                held = sum(len(r["errors"]) for r in results)
                written, unbalanced = _check(url)
                measured[label].append(
                    (
                        len(results),
                        stubs,
                        held,
                        written,
                        unbalanced,
                        elapsed,
                        statistics.median(latencies) * 1000,
                        max(latencies) * 1000,
                    )
                )
        rows = []
        for label, runs in measured.items():
            median_run = sorted(runs, key=lambda r: r[5])[len(runs) // 2]
            rows.append((label, *median_run, [r[5] for r in runs]))
        _clean(url, mark)

    print(
        f"{employees:,} employees, {entries:,} time entries, {len(calls)} calls (organization x pay period)"
    )
    print(
        f"floor (one aggregate query over the same entries): {floor * 1000:.1f} ms; each mode run"
        f" {len(rows[0][-1])} times, alternating; the median run is shown, every run's seconds after it"
    )
    print(
        f"{'mode':<24} {'calls':>5} {'stubs':>6} {'held':>5} {'seconds':>8} {'stubs/s':>8} {'p50 ms':>7} "
        f"{'max ms':>7} {'x floor':>8} {'target':>10}"
    )
    for label, ncalls, stubs, held, written, unbalanced, elapsed, p50, worst, every in rows:
        verdict = "ok" if elapsed < TARGET_S else "MISSED"
        print(
            f"{label:<24} {ncalls:>5} {stubs:>6} {held:>5} {elapsed:>8.2f} {stubs / elapsed:>8.0f} {p50:>7.1f} "
            f"{worst:>7.1f} {elapsed / floor:>8.0f} {'< 5 s ' + verdict:>10}   runs: "
            + ", ".join(f"{e:.2f}" for e in every)
        )
        if written != stubs or unbalanced:
            print(f"  !! {written} stubs in the database for {stubs} reported; {unbalanced} do not foot")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    main()
