"""`python -m bench`: run every benchmark module in bench/ that defines `main()`, in name order."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    """Module names (bench.<name>) of every bench/*.py except this file and private ones."""
    return [f"bench.{p.stem}" for p in sorted(HERE.glob("*.py")) if not p.stem.startswith("_")]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named in `argv` (default: all); returns the number that failed."""
    wanted = set(argv if argv is not None else sys.argv[1:])
    failed = 0
    for name in discover():
        if wanted and name.removeprefix("bench.") not in wanted:
            continue
        module = importlib.import_module(name)
        run = getattr(module, "main", None)
        if not callable(run):
            continue
        print(f"\n== {name} ==", flush=True)
        try:
            run()
        except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the others
            failed += 1
            print(f"{name} failed: {type(exc).__name__}: {exc}", flush=True)
    return failed


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    raise SystemExit(1 if main() else 0)
