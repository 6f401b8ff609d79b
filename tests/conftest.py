"""The test harness: one throwaway PostgreSQL 15 cluster per test run.

* The cluster lives under /tmp (reachable by the `postgres` OS user when we are root), fsync off.
* The shim is applied by the bootstrap superuser and every migration by the NON-superuser `postgres` role,
  once, into a template database.
* `fresh_db` gives a test its own database cloned from the template (CREATE DATABASE … TEMPLATE).
* `db` gives a test a connection (as `postgres`) inside a transaction that is rolled back afterwards.

The suite fails (never skips) when PostgreSQL cannot be started.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from devkit import migrate
from devkit.pg import Cluster, free_port

TEMPLATE = "odyssey_template"
SHARED = "odyssey_shared"


@dataclass
class Database:
    """A database in the test cluster, with the URLs to reach it as each login role."""

    cluster: Cluster
    name: str

    @property
    def url(self) -> str:
        """As `postgres` (non-superuser, BYPASSRLS, owner) — the role the migrations ran as."""
        return self.cluster.url("postgres", self.name)

    @property
    def superuser_url(self) -> str:
        return self.cluster.superuser_url(self.name)

    def connect(self, **kwargs: object) -> psycopg.Connection:
        return psycopg.connect(self.url, **kwargs)  # type: ignore[arg-type]


def _create_from_template(cluster: Cluster, name: str) -> None:
    with psycopg.connect(cluster.superuser_url(), autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{TEMPLATE}" owner postgres')


def _drop(cluster: Cluster, name: str) -> None:
    with psycopg.connect(cluster.superuser_url(), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """The run's cluster with the migrated template database; removed at the end of the run."""
    base = Path(tempfile.mkdtemp(prefix="odyssey-test-", dir="/tmp"))
    os.chmod(base, 0o755)
    cluster = Cluster(data_dir=base / "cluster", port=free_port(), fsync=False)
    try:
        cluster.start()
        # the shim creates the cluster-wide roles; the template database is then owned by postgres
        migrate.apply_shim(cluster.superuser_url())
        with psycopg.connect(cluster.superuser_url(), autocommit=True) as conn:
            conn.execute(f'create database "{TEMPLATE}" owner postgres')
        migrate.migrate(cluster.url("postgres", TEMPLATE), superuser_url=cluster.superuser_url(TEMPLATE))
        _create_from_template(cluster, SHARED)
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)


_counter = itertools.count()


@pytest.fixture
def fresh_db(pg_cluster: Cluster) -> Iterator[Database]:
    """A database of the test's own, cloned from the migrated template, dropped afterwards."""
    name = f"t_{os.getpid()}_{next(_counter)}"
    _create_from_template(pg_cluster, name)
    try:
        yield Database(pg_cluster, name)
    finally:
        _drop(pg_cluster, name)


@pytest.fixture(scope="session")
def shared_db(pg_cluster: Cluster) -> Database:
    """One migrated database shared by the tests that only work inside rolled-back transactions."""
    return Database(pg_cluster, SHARED)


@pytest.fixture
def db(shared_db: Database) -> Iterator[psycopg.Connection]:
    """A connection as `postgres` inside a transaction that is rolled back when the test ends."""
    conn = psycopg.connect(shared_db.url)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()
