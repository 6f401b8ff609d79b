"""The migration runner: the local shim (only where the target is not real Supabase), then each pending file
of supabase/migrations/ in lexical order, each in its own transaction, recorded in
`supabase_migrations.schema_migrations` the way the Supabase CLI records them, so that `supabase db push` can
continue from a database migrated here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = ROOT / "supabase" / "migrations"
SHIM_DIR = ROOT / "supabase" / "local"
_NAME = re.compile(r"^(?P<version>\d{14})_(?P<name>[a-z0-9_]+)\.sql$")

# A fixed key for the transaction-scoped advisory lock that serialises concurrent runners.
_LOCK_KEY = 7_155_001


def flatten(exc: BaseException) -> str:
    """An exception's message folded onto one line."""
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())


class MigrationError(RuntimeError):
    """A migration could not be applied (or was changed after it was applied); the message is one line."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Every migration file in lexical order; a badly named .sql file is an error, not silently skipped."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise MigrationError(f"{path.name}: migration files are named <14-digit timestamp>_<name>.sql")
        found.append(Migration(m["version"], m["name"], path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version")
    return found


def is_real_supabase(conn: psycopg.Connection) -> bool:
    """True when the database is a Supabase platform database (its admin role or auth service exist)."""
    row = conn.execute(
        "select exists (select 1 from pg_roles where rolname = 'supabase_admin')"
        " or to_regclass('auth.schema_migrations') is not null"
    ).fetchone()
    return bool(row and row[0])


def apply_shim(superuser_url: str) -> bool:
    """Apply supabase/local/*.sql in one transaction unless the target is real Supabase. Returns True if applied."""
    with psycopg.connect(superuser_url, autocommit=False) as conn:
        if is_real_supabase(conn):
            return False
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            for path in sorted(SHIM_DIR.glob("*.sql")):
                try:
                    conn.execute(path.read_text(encoding="utf-8").encode())
                except psycopg.Error as exc:
                    raise MigrationError(f"shim {path.name} failed: {_one_line(exc)}") from exc
    return True


def _one_line(exc: psycopg.Error) -> str:
    diag = exc.diag
    msg = diag.message_primary or str(exc).splitlines()[0]
    where = f" (line {diag.statement_position})" if diag.statement_position else ""
    return f"{diag.sqlstate or ''} {msg}{where}".strip()


def _ensure_shim(url: str, superuser_url: str | None) -> None:
    """Apply the shim to a plain PostgreSQL target: through `superuser_url`, or `url` if that is a superuser.

    A target reached only as a non-superuser must already have the shim (an earlier run applied it);
    otherwise the error says how to proceed.
    """
    if superuser_url:
        apply_shim(superuser_url)
        return
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(
            "select rolsuper, to_regprocedure('auth.uid()') is not null"
            " and exists (select 1 from pg_roles where rolname = 'authenticated')"
            " from pg_roles where rolname = current_user"
        ).fetchone()
    is_super, has_shim = bool(row and row[0]), bool(row and row[1])
    if is_super:
        apply_shim(url)
    elif not has_shim:
        raise MigrationError(
            "the target is plain PostgreSQL without the Supabase shim and this user is not a superuser:"
            " pass --superuser-url so the shim can be applied first"
        )


_HISTORY_DDL = """
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text not null primary key,
  statements text[],
  name text
);
"""


def applied(conn: psycopg.Connection) -> dict[str, tuple[str, str]]:
    """version -> (name, checksum of the recorded statements) for what the database says is applied."""
    exists = conn.execute(
        "select to_regclass('supabase_migrations.schema_migrations') is not null"
    ).fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute(
        "select version, coalesce(name, ''), coalesce(array_to_string(statements, ''), '')"
        " from supabase_migrations.schema_migrations"
    ).fetchall()
    return {v: (n, hashlib.sha256(s.encode()).hexdigest()) for v, n, s in rows}


def migrate(url: str, superuser_url: str | None = None, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Bring the database at `url` up to date; returns the versions applied now (empty when up to date).

    When the target is not real Supabase the shim is applied first (see `_ensure_shim`).
    Raises MigrationError for an applied file that has since changed, or for a failing file (whose
    transaction is rolled back, leaving the database as it was before that file).
    """
    migrations = discover(directory)
    try:
        with psycopg.connect(superuser_url or url, connect_timeout=5) as probe:
            real = is_real_supabase(probe)
    except psycopg.OperationalError as exc:
        raise MigrationError(f"database unreachable: {flatten(exc)}") from exc
    if not real:
        _ensure_shim(url, superuser_url)

    done: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            conn.execute(_HISTORY_DDL.encode())
        for mig in migrations:
            with conn.transaction():
                conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                history = applied(conn)
                if mig.version in history:
                    _, checksum = history[mig.version]
                    if checksum != mig.checksum:
                        raise MigrationError(
                            f"{mig.path.name} was changed after it was applied; add a new migration instead"
                        )
                    continue
                try:
                    conn.execute(mig.sql.encode())
                except psycopg.Error as exc:
                    raise MigrationError(f"{mig.path.name} failed: {_one_line(exc)}") from exc
                conn.execute(
                    "insert into supabase_migrations.schema_migrations (version, statements, name)"
                    " values (%s, %s, %s)",
                    (mig.version, [mig.sql], mig.name),
                )
                done.append(mig.version)
    return done
