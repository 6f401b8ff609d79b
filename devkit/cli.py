"""The `odyssey` command: local tooling that is never deployed.

    odyssey db start | stop | status | url      the private cluster under .odyssey/
    odyssey db migrate [--database-url URL]     shim (not on real Supabase) + pending migrations
    odyssey db reset                            drop, recreate, migrate, seed
    odyssey db seed [--scale small|medium|large]
    odyssey run                                 what `make run` does

Errors print one line to stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg

from devkit import migrate
from devkit.pg import Cluster, ClusterError

ROOT = Path(__file__).resolve().parent.parent
LOCAL_DIR = ROOT / ".odyssey"
DEFAULT_PORT = 54322


class CliError(RuntimeError):
    """A user-facing failure: printed as one line, exit status 1."""


def local_cluster() -> Cluster:
    """The private development cluster (created on first use, kept between runs)."""
    port = int(os.environ.get("ODYSSEY_DB_PORT", DEFAULT_PORT))
    data_dir = Path(os.environ["ODYSSEY_DB_DIR"]) if os.environ.get("ODYSSEY_DB_DIR") else LOCAL_DIR / "db"
    return Cluster(data_dir=data_dir, port=port)


def target_urls(
    database_url: str | None, superuser_url: str | None = None
) -> tuple[str, str | None, Cluster | None]:
    """(application URL, superuser URL or None, the local cluster if that is the target)."""
    url = database_url or os.environ.get("SUPABASE_DB_URL")
    if url:
        return url, superuser_url, None
    cluster = local_cluster()
    cluster.start()
    return cluster.url(), cluster.superuser_url(), cluster


def _print_migrated(done: list[str]) -> None:
    if done:
        print(f"applied {len(done)} migration(s): {', '.join(done)}")
    else:
        print("database is up to date")


def cmd_db_start(_: argparse.Namespace) -> None:
    cluster = local_cluster()
    cluster.start()
    print(f"PostgreSQL running: {cluster.url()}")


def cmd_db_stop(_: argparse.Namespace) -> None:
    local_cluster().stop()
    print("PostgreSQL stopped")


def cmd_db_status(_: argparse.Namespace) -> None:
    cluster = local_cluster()
    if cluster.running():
        print(f"running on port {cluster.port} ({cluster.data_dir})")
    elif cluster.initialized:
        print(f"stopped ({cluster.data_dir})")
        raise SystemExit(3)
    else:
        print("not created yet: run `odyssey db start`")
        raise SystemExit(3)


def cmd_db_url(_: argparse.Namespace) -> None:
    print(local_cluster().url())


def cmd_db_migrate(args: argparse.Namespace) -> None:
    url, su_url, _ = target_urls(args.database_url, args.superuser_url)
    _print_migrated(migrate.migrate(url, superuser_url=su_url))


def cmd_db_reset(args: argparse.Namespace) -> None:
    url, su_url, cluster = target_urls(args.database_url)
    if cluster is None:
        raise CliError("db reset only works on the private cluster; it would drop a database you named")
    with psycopg.connect(cluster.superuser_url("template1"), autocommit=True) as conn:
        conn.execute("drop database if exists postgres with (force)")
        conn.execute("create database postgres")
    _print_migrated(migrate.migrate(url, superuser_url=su_url))
    _seed(url, args.scale)


def _seed(url: str, scale: str) -> None:
    from devkit import seed  # imported lazily: only seeding needs it

    try:
        seed.run(url, scale=scale)
    except seed.SeedError as exc:
        raise CliError(str(exc)) from exc


def cmd_db_seed(args: argparse.Namespace) -> None:
    url, su_url, _ = target_urls(args.database_url, args.superuser_url)
    migrate.migrate(url, superuser_url=su_url)
    _seed(url, args.scale)


def cmd_run(args: argparse.Namespace) -> None:
    """Start (or reuse) the database, migrate, seed demo data when empty, then serve the functions."""
    url, su_url, _ = target_urls(None)
    _print_migrated(migrate.migrate(url, superuser_url=su_url))
    from devkit import seed

    if seed.is_empty(url):
        _seed(url, "small")
    print(f"database: {url}")
    print(seed.summary(url))
    try:
        from devkit import gateway
    except ImportError:
        return
    gateway.serve_from_cli(url, port=args.port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="odyssey", description="ODYSSEY Functions local tooling")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the database").add_subparsers(dest="db_command", required=True)
    handlers: dict[str, Callable[[argparse.Namespace], None]] = {
        "start": cmd_db_start,
        "stop": cmd_db_stop,
        "status": cmd_db_status,
        "url": cmd_db_url,
    }
    for name, fn in handlers.items():
        db.add_parser(name).set_defaults(func=fn)
    p = db.add_parser("migrate", help="apply pending migrations")
    p.add_argument("--database-url")
    p.add_argument("--superuser-url", help="plain PostgreSQL only: a superuser connection for the shim")
    p.set_defaults(func=cmd_db_migrate)
    p = db.add_parser("reset", help="drop, recreate, migrate, seed (private cluster only)")
    p.add_argument("--database-url")
    p.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    p.set_defaults(func=cmd_db_reset)
    p = db.add_parser("seed", help="load deterministic demo data")
    p.add_argument("--database-url")
    p.add_argument("--superuser-url", help="plain PostgreSQL only: a superuser connection for the shim")
    p.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    p.set_defaults(func=cmd_db_seed)

    p = sub.add_parser("run", help="database + demo data + the local gateway")
    p.add_argument("--port", type=int, default=54321)
    p.set_defaults(func=cmd_run)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:  # type: ignore[type-arg]
    """Sub-commands contributed by other devkit modules (gateway, stripe tools), when present."""
    found = []
    for module_name in ("devkit.gateway", "devkit.stripe_tools"):
        try:
            module = __import__(module_name, fromlist=["register_cli"])
        except ImportError as exc:
            if exc.name != module_name:
                raise
            continue
        found.append(module.register_cli)
    return found


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (CliError, ClusterError, migrate.MigrationError) as exc:
        print(f"odyssey: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except psycopg.OperationalError as exc:
        print(f"odyssey: database unreachable: {migrate.flatten(exc)}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
