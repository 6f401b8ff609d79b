"""A private PostgreSQL 15 cluster for local work and for the test suite.

The cluster is created with `initdb` under a directory of our choosing (never a system cluster), listens on
127.0.0.1 only, and is run by the `postgres` OS user through `runuser` when we are root (initdb refuses to
run as root). Its bootstrap superuser is `local_superuser`; the `postgres` role that owns the application
database is created by the shim as a NON-superuser, as on the Supabase platform.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "local_superuser"
APP_USER = "postgres"
DEFAULT_DB = "postgres"


class ClusterError(RuntimeError):
    """The local cluster could not be created, started or stopped; the message says why in one line."""


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise ClusterError(f"PostgreSQL binary {name!r} not found on PATH or under /usr/lib/postgresql")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """One data directory and the server that runs it."""

    data_dir: Path
    port: int
    fsync: bool = True

    @property
    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _run(
        self, args: list[str], check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        cmd = ["runuser", "-u", "postgres", "--", *args] if self._as_root else args
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise ClusterError(f"{Path(args[0]).name} failed: {detail[-1] if detail else proc.returncode}")
        return proc

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "pgdata" / "PG_VERSION").exists()

    def url(self, user: str = APP_USER, dbname: str = DEFAULT_DB) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def superuser_url(self, dbname: str = DEFAULT_DB) -> str:
        return self.url(SUPERUSER, dbname)

    def init(self) -> None:
        """Create the data directory with initdb if it does not exist yet."""
        if self.initialized:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = self.data_dir / "pgdata"
        self.socket_dir.mkdir(exist_ok=True)
        if self._as_root:
            pw = pwd.getpwnam("postgres")
            for p in (self.data_dir, self.socket_dir):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            # the postgres OS user must be able to reach the directory
            for parent in self.data_dir.resolve().parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    raise ClusterError(
                        f"{parent} is not reachable by the postgres user; choose another location"
                    )
        self._run(
            [
                _pg_bin("initdb"),
                "-D",
                str(pgdata),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ]
        )
        conf = pgdata / "postgresql.conf"
        extra = [
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.socket_dir}'",
            "max_connections = 200",
            "shared_buffers = 256MB",
            "timezone = 'UTC'",
            "log_min_messages = warning",
        ]
        if not self.fsync:
            extra += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with conf.open("a") as fh:
            fh.write("\n# added by devkit.pg\n" + "\n".join(extra) + "\n")

    def running(self) -> bool:
        pgdata = self.data_dir / "pgdata"
        if not self.initialized:
            return False
        proc = self._run([_pg_bin("pg_ctl"), "-D", str(pgdata), "status"], check=False)
        return proc.returncode == 0

    def start(self) -> None:
        """Initialise if needed and start the server; waits until it accepts connections."""
        self.init()
        if self.running():
            return
        pgdata = self.data_dir / "pgdata"
        log = self.data_dir / "server.log"
        if self._as_root and not log.exists():
            log.touch()
            pw = pwd.getpwnam("postgres")
            os.chown(log, pw.pw_uid, pw.pw_gid)
        self._run(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(pgdata),
                "-l",
                str(log),
                "-o",
                f"-p {self.port}",
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise ClusterError(f"PostgreSQL did not accept connections on port {self.port}; see {log}")

    def stop(self, mode: str = "fast") -> None:
        if not self.running():
            return
        pgdata = self.data_dir / "pgdata"
        self._run([_pg_bin("pg_ctl"), "-D", str(pgdata), "-m", mode, "-w", "stop"])

    def destroy(self) -> None:
        """Stop the server (immediately) and remove the whole data directory."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)
