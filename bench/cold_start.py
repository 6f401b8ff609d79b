"""Cold start: how long importing each function takes, in fresh interpreters, against a bare baseline.

For every functions/<name>/main.py: the median over several fresh subprocesses of the cumulative import time
of `functions.<name>.main` as `python -X importtime` reports it, the budget (heartbeat 200 ms, others 400 ms),
the ratio to the budget, the process wall time, and the ratio of that wall time to a bare `python -c pass`
measured in the same run. It also lists which heavy packages the import pulled in, and how much a function
adds to the floor every function pays: `import pydantic_settings` alone (the settings library, with pydantic),
measured in the same rounds. The rounds take the baseline, the floor and every function in turn, so a slow
spell of the machine falls on all of them alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "11"))
BUDGET_MS = {"heartbeat": 200.0}
DEFAULT_BUDGET_MS = 400.0
FLOOR_MODULE = "pydantic_settings"
HEAVY = (
    "psycopg",
    "psycopg_pool",
    "jwt",
    "cryptography",
    "pydantic_settings",
    "stripe",
    "supabase",
    "boto3",
    "flask",
    "functions_framework",
    "httpx",
)
# dummy configuration so that settings load at import (cold start) without touching anything real
ENV = {
    "SUPABASE_URL": "http://127.0.0.1:1",
    "SUPABASE_DB_URL": "postgresql://bench@127.0.0.1:1/bench",
    "SUPABASE_JWT_SECRET": "bench-only-secret-bench-only-secret-0000",
    "SUPABASE_SERVICE_ROLE_KEY": "bench-only",
    "SUPABASE_ANON_KEY": "bench-only",
    "STRIPE_SECRET_KEY": "sk_test_bench",
    "STRIPE_WEBHOOK_SECRET": "whsec_bench",
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "STRIPE_", "ODYSSEY_"))}
    env.update(ENV)
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    return env


def _wall(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=ROOT, env=_env())
    return (time.perf_counter() - started) * 1000


def _import_once(module: str) -> tuple[float, float, list[str]]:
    code = f"import {module}, sys; print(','.join(n for n in {HEAVY!r} if n in sys.modules))"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, cwd=ROOT, env=_env()
    )
    wall = (time.perf_counter() - started) * 1000
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "import failed")
    cumulative = None
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            cumulative = int(parts[1]) / 1000
    if cumulative is None:
        raise RuntimeError(f"{module} not in the importtime report")
    return cumulative, wall, [n for n in proc.stdout.strip().split(",") if n]


def functions() -> list[str]:
    """Every function folder with a main.py."""
    return sorted(
        p.parent.name for p in (ROOT / "functions").glob("*/main.py") if not p.parent.name.startswith("_")
    )


def main() -> None:
    """Print the cold-start table."""
    names = functions()
    for _ in range(2):  # warm the OS caches and .pyc files
        _wall("pass")
        for name in names:
            try:
                _import_once(f"functions.{name}.main")
            except RuntimeError:
                pass
    # Round-robin: each round starts one bare interpreter and one per function, so that a slow spell of the
    # machine falls on every function (and on the baseline) alike instead of on whichever ran during it.
    baselines: list[float] = []
    floors: list[float] = []  # `import pydantic_settings` alone: the library every function's settings need
    runs: dict[str, list[tuple[float, float, list[str]]]] = {name: [] for name in names}
    errors: dict[str, str] = {}
    for _ in range(RUNS):
        baselines.append(_wall("pass"))
        floors.append(_import_once(FLOOR_MODULE)[0])
        for name in names:
            if name in errors:
                continue
            try:
                runs[name].append(_import_once(f"functions.{name}.main"))
            except RuntimeError as exc:
                errors[name] = str(exc)
    baseline = statistics.median(baselines)
    floor = statistics.median(floors)
    load = os.getloadavg()[0]
    print(
        f"cold start: median of {RUNS} fresh interpreters, functions taken in turn; baseline `python -c pass` = "
        f"{baseline:.1f} ms wall (fastest {min(baselines):.1f}); load average {load:.1f} on {os.cpu_count()} CPUs "
        "(figures inflate with load; compare the ratios)"
    )
    print(
        f"floor: `import {FLOOR_MODULE}` alone (with pydantic, which it loads) = {floor:.1f} ms median "
        f"(fastest {min(floors):.1f}); 'above floor' is what a function adds to it"
    )
    header = (
        f"{'function':<18} {'import ms':>10} {'min ms':>8} {'budget':>8} {'of budget':>10} {'wall ms':>9} "
        f"{'× baseline':>11} {'above floor':>12}  heavy imports"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        budget = BUDGET_MS.get(name, DEFAULT_BUDGET_MS)
        if name in errors:
            print(f"{name:<18} {'error':>10} {budget:>8.0f}  {errors[name]}")
            continue
        imp = statistics.median(r[0] for r in runs[name])
        fastest = min(r[0] for r in runs[name])
        wall = statistics.median(r[1] for r in runs[name])
        verdict = "" if imp <= budget else "  OVER BUDGET"
        print(
            f"{name:<18} {imp:>10.1f} {fastest:>8.1f} {budget:>8.0f} {imp / budget:>9.0%} {wall:>9.1f} "
            f"{wall / baseline:>10.1f}× {imp - floor:>12.1f}  {', '.join(runs[name][0][2]) or '-'}{verdict}"
        )
    print(
        "every run, ms: "
        + "; ".join(f"{n} " + " ".join(f"{r[0]:.0f}" for r in runs[n]) for n in names if runs[n])
    )
    tightest = min(BUDGET_MS.get(n, DEFAULT_BUDGET_MS) for n in names)
    if floor > tightest:
        print(
            f"note: in this run the floor alone ({floor:.0f} ms) is over the tightest budget ({tightest:.0f} ms): "
            f"nothing that loads pydantic-settings can meet it at this machine speed (`python -c pass` took "
            f"{baseline:.0f} ms); compare 'above floor', or run again when the machine is quieter"
        )


if __name__ == "__main__":
    main()
