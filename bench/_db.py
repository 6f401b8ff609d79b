"""The database a benchmark runs against: BENCH_DATABASE_URL, or a throwaway cluster made for the run."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def bench_database(seed_scale: str | None = None) -> Iterator[str]:
    """Yield a migrated database URL: BENCH_DATABASE_URL as it is, or a throwaway cluster (seeded at
    `seed_scale` when given), removed afterwards. Raises whatever migrating or seeding raises."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        yield url
        return
    from devkit import migrate
    from devkit.pg import Cluster, free_port

    base = Path(tempfile.mkdtemp(prefix="odyssey-bench-", dir="/tmp"))
    os.chmod(base, 0o755)
    cluster = Cluster(data_dir=base / "cluster", port=free_port(), fsync=False)
    try:
        cluster.start()
        migrate.migrate(cluster.url(), superuser_url=cluster.superuser_url())
        if seed_scale:
            from devkit import seed

            print(f"seeding scale {seed_scale} (several minutes)...", flush=True)
            with open(os.devnull, "w") as sink:
                seed.run(cluster.url(), scale=seed_scale, out=sink)
        yield cluster.url()
    finally:
        cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)
