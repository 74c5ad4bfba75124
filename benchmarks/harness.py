"""What every benchmark shares: a gunicorn on a free loopback port and a small HTTP client."""

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # every benchmark imports the journal package from the repo


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A tiny HTTP client that keeps the session cookie and never follows redirects."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.last_headers = None

    def request(self, method, path, form=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        self.last_headers = response.headers
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, data.decode(errors="replace")

    def token(self, path):
        status, page = self.request("GET", path)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


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
    """
    port = free_port()
    env = {**os.environ, "JOURNAL_DATABASE": str(database), "JOURNAL_SECRET_KEY": "benchmark"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "journal:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = Client(port)
        for _ in range(200):
            try:
                if client.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:  # not listening yet, or a worker still booting
                pass
            time.sleep(0.05)
        time.sleep(0.5)  # let every worker finish booting
        yield port, server
    finally:
        server.terminate()
        server.wait(timeout=10)


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
    from journal.db import connect
    from journal.migrations import migrate

    db = connect(path)
    migrate(db)
    user_id = (
        db["users"].insert({"timezone": "UTC", "created_at": STAMP["created_at"], **user}).last_pk
    )
    return db, user_id
