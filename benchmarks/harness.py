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


def start_server(database, workers=None, worker_class=None, app="journal:create_app()", code=ROOT):
    """gunicorn serving `database` on a free loopback port, started and booted; returns the
    LiveServer (tests/live.py), whose `stop()` stops master and workers, as a failed start
    does. Its log is beside the database, named after it. Only loopback is ever a target.

    The settings are those of `code`'s gunicorn.conf.py (workers, threads, logging), with
    `workers` and `worker_class` over them; the bare app's directory has none and is served
    with this checkout's. `app` is what gunicorn serves, imported from the checkout at
    `code` (another commit's, for a side-by-side run). Passwords are hashed as in production.
    """
    database = Path(database)
    conf = Path(code) / "gunicorn.conf.py"
    server = LiveServer(
        database.parent,
        workers=workers,
        threads=None,
        database=database.name,
        secret_key="benchmark",
        password_hash=None,  # production's hashing
        seconds=30,
        app=app,
        code=code,
        config=conf if conf.exists() else ROOT / "gunicorn.conf.py",
        worker_class=worker_class,
        log=f"{database.stem}.log",
    )
    server.start()
    time.sleep(1)  # let every worker finish booting
    return server


@contextmanager
def gunicorn(database, workers=2):
    """`start_server(database, workers)` for a `with` block: yields (port, the master
    process) and stops the server at the end."""
    server = start_server(database, workers)
    try:
        yield server.port, server.process
    finally:
        server.stop()


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
