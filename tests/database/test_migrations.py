"""The migration runner and the shim, against the real test cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from devkit import migrate
from devkit.pg import Cluster
from tests.conftest import Database


def test_migrations_ran_as_non_superuser_postgres(db: psycopg.Connection) -> None:
    row = db.execute(
        "select rolsuper, rolbypassrls, rolcreaterole from pg_roles where rolname = current_user"
    ).fetchone()
    assert db.info.user == "postgres"
    assert row == (False, True, True)
    # every application table is owned by postgres, not by the bootstrap superuser
    owners = db.execute(
        "select distinct pg_get_userbyid(c.relowner) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname in ('public', 'ops', 'onyx', 'private') and c.relkind in ('r', 'p', 'v', 'S')"
    ).fetchall()
    assert {o for (o,) in owners} <= {"postgres"}


def test_history_is_recorded_like_the_supabase_cli(db: psycopg.Connection) -> None:
    rows = db.execute(
        "select version, name, statements from supabase_migrations.schema_migrations order by version"
    ).fetchall()
    files = migrate.discover()
    assert [r[0] for r in rows] == [m.version for m in files]
    assert [r[1] for r in rows] == [m.name for m in files]
    assert all(r[2] == [m.sql] for r, m in zip(rows, files, strict=True))


def test_second_run_is_a_no_op(fresh_db: Database) -> None:
    before = _history(fresh_db)
    assert migrate.migrate(fresh_db.url, superuser_url=fresh_db.superuser_url) == []
    assert _history(fresh_db) == before


def test_changed_applied_file_is_refused(fresh_db: Database, tmp_path: Path) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy)
    first = sorted(copy.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(migrate.MigrationError, match="changed after it was applied"):
        migrate.migrate(fresh_db.url, superuser_url=fresh_db.superuser_url, directory=copy)


def test_failing_migration_leaves_database_as_it_was(fresh_db: Database, tmp_path: Path) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy)
    (copy / "99991231235959_broken.sql").write_text(
        "create table public.half_written (id int);\nselect 1/0;\n"
    )
    with pytest.raises(migrate.MigrationError, match="99991231235959_broken.sql failed: 22012"):
        migrate.migrate(fresh_db.url, superuser_url=fresh_db.superuser_url, directory=copy)
    with fresh_db.connect() as conn:
        assert conn.execute("select to_regclass('public.half_written')").fetchone() == (None,)
        assert conn.execute(
            "select count(*) from supabase_migrations.schema_migrations where version = '99991231235959'"
        ).fetchone() == (0,)


def test_shim_refuses_real_supabase(fresh_db: Database) -> None:
    with psycopg.connect(fresh_db.superuser_url, autocommit=True) as conn:
        conn.execute("create table auth.schema_migrations (version text primary key)")
    with pytest.raises(psycopg.errors.RaiseException, match="real Supabase"):
        with psycopg.connect(fresh_db.superuser_url) as conn:
            conn.execute(migrate.SHIM_DIR.joinpath("00_supabase_shim.sql").read_text().encode())
    # and the runner does not even try: it recognises the platform and skips the shim
    assert migrate.apply_shim(fresh_db.superuser_url) is False


def test_shim_is_idempotent(fresh_db: Database) -> None:
    assert migrate.apply_shim(fresh_db.superuser_url) is True
    assert migrate.apply_shim(fresh_db.superuser_url) is True


def test_auth_functions_read_claims_like_supabase(db: psycopg.Connection) -> None:
    uid = "4f1c1f64-3f7e-4b8e-9d0a-2a3c5b6d7e8f"
    db.execute(
        "select set_config('request.jwt.claims', %s, true)",
        (f'{{"sub": "{uid}", "role": "authenticated", "email": "a@b.c"}}',),
    )
    assert db.execute(
        "select auth.uid()::text, auth.role(), auth.email(), auth.jwt() ->> 'sub'"
    ).fetchone() == (
        uid,
        "authenticated",
        "a@b.c",
        uid,
    )
    # the legacy per-claim setting wins; empty strings count as missing
    db.execute("select set_config('request.jwt.claim.sub', '', true)")
    assert db.execute("select auth.uid()::text").fetchone() == (uid,)
    other = "00000000-0000-0000-0000-000000000001"
    db.execute("select set_config('request.jwt.claim.sub', %s, true)", (other,))
    assert db.execute("select auth.uid()::text").fetchone() == (other,)


def _history(database: Database) -> list[tuple[str, str]]:
    with database.connect() as conn:
        return conn.execute(
            "select version, name from supabase_migrations.schema_migrations order by 1"
        ).fetchall()


def _bare_database(cluster: Cluster, name: str) -> str:
    with psycopg.connect(cluster.superuser_url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}" template template0 owner postgres')
    return name


def test_plain_target_without_shim_needs_a_superuser(pg_cluster: Cluster) -> None:
    name = _bare_database(pg_cluster, "bare_no_shim")
    try:
        with pytest.raises(migrate.MigrationError, match="without the Supabase shim"):
            migrate.migrate(pg_cluster.url("postgres", name))
        applied = migrate.migrate(
            pg_cluster.url("postgres", name), superuser_url=pg_cluster.superuser_url(name)
        )
        assert applied == [m.version for m in migrate.discover()]
        # once the shim is there, the non-superuser alone can continue (nothing left to do)
        assert migrate.migrate(pg_cluster.url("postgres", name)) == []
    finally:
        with psycopg.connect(pg_cluster.superuser_url(), autocommit=True) as conn:
            conn.execute(f'drop database "{name}" with (force)')


def test_cli_errors_are_one_line_and_exit_non_zero(pg_cluster: Cluster) -> None:
    import subprocess
    import sys

    def migrate_cli(url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "devkit.cli", "db", "migrate", "--database-url", url],
            capture_output=True,
            text=True,
            timeout=60,
        )

    unreachable = migrate_cli("postgresql://postgres@127.0.0.1:1/x")
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("odyssey: database unreachable:")
    assert len(unreachable.stderr.strip().splitlines()) == 1
    ok = migrate_cli(pg_cluster.url("postgres", "odyssey_shared"))
    assert (ok.returncode, ok.stdout.strip()) == (0, "database is up to date")
