"""What every benchmark shares: a gunicorn on a free loopback port and the tests' HTTP client
(tests/live.py)."""

import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # every benchmark imports the journal package from the repo
# The tests' live server (tests/live.py) and factories (tests/factories.py), shared.
sys.path.insert(1, str(ROOT / "tests"))

from factories import new_user  # noqa: E402
from live import Client, LiveServer, signed_up  # noqa: E402, F401 - every benchmark's


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def summary(samples):
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


@contextmanager
def gunicorn(database, workers=2):
    """Serve the app from `database` with gunicorn; yield (port, the master process).

    Only loopback is ever a target. Waits until /healthz answers and the workers have booted.
    tests/live.py's LiveServer starts it (in a process group of its own) and always stops it,
    even when it fails to start; its log is gunicorn.log beside the database.
    """
    database = Path(database)
    server = LiveServer(
        database.parent,
        workers=workers,
        threads=None,  # gunicorn's default, as the benchmarks always measured
        database=database.name,
        secret_key="benchmark",
        password_hash=None,  # production's hashing
        seconds=20,
    )
    with server:
        time.sleep(0.5)  # let every worker finish booting
        yield server.port, server.process


def log_in(client, email, password):
    """Log `client` in through the real form (CSRF on)."""
    token = client.token("/auth/login")
    status, _ = client.request(
        "POST", "/auth/login", {"csrf_token": token, "email": email, "password": password}
    )
    assert status == 302, status


# Rows written straight into a benchmark's database share one made-up time stamp.
STAMP = {"created_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00"}


def new_person(path, **user):
    """A fresh, migrated database at `path` with one person: (the open Database, their id).

    `user` gives the users row's columns (email, password_hash, ...).
    """
    from journal.data import connect
    from journal.migrations import migrate

    db = connect(path)
    migrate(db)
    return db, new_user(db, **{"created_at": STAMP["created_at"], **user})
