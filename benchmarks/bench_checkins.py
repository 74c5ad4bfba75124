"""Time saving a check-in and loading /entries against gunicorn, next to /healthz.

    .venv/bin/python benchmarks/bench_checkins.py [--requests 500] [--workers 2]

Starts gunicorn on a free loopback port with a fresh database, signs up one
person through the real forms (CSRF on), then interleaves the three requests
so that all three see the same machine state. Prints median and 99th
percentile latencies and the ratios to /healthz. Figures only; nothing asserts.
"""

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="afterglow-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "JOURNAL_DATABASE": str(workdir / "bench.sqlite3"),
        "JOURNAL_SECRET_KEY": "benchmark",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "journal:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
        token = client.token("/auth/register")
        status, _ = client.request(
            "POST",
            "/auth/register",
            {
                "csrf_token": token,
                "email": "bench@example.com",
                "password": "benchmark passphrase",
                "timezone": "UTC",
                "role": "patient",
            },
        )
        assert status == 302, status
        token = client.token("/checkin")

        times = {"healthz": [], "save": [], "entries": []}
        first_day = date.today() - timedelta(days=args.requests + 1)
        for i in range(args.requests):
            day = (first_day + timedelta(days=i)).isoformat()
            ms, (status, _) = timed(lambda: client.request("GET", "/healthz"))
            assert status == 200
            times["healthz"].append(ms)
            form = {
                "csrf_token": token,
                "date": day,
                "mood": str(i % 11),
                "tags": "bench",
                "reflection": f"Benchmark day {i}. " * 20,
            }
            ms, (status, _) = timed(lambda f=form: client.request("POST", "/checkin", f))
            assert status == 302, status
            times["save"].append(ms)
            client.request("GET", f"/entries/{day}")  # as a person would; untimed
            ms, (status, _) = timed(lambda: client.request("GET", "/entries"))
            assert status == 200
            times["entries"].append(ms)
    finally:
        server.terminate()
        server.wait(timeout=10)

    base_median, base_p99 = summary(times["healthz"])
    print(f"gunicorn, {args.workers} workers, {args.requests} requests each, interleaved")
    print(f"{'request':<10}{'median ms':>11}{'p99 ms':>9}{'median ×':>10}{'p99 ×':>8}")
    for name, samples in times.items():
        median, p99 = summary(samples)
        print(
            f"{name:<10}{median:>11.2f}{p99:>9.2f}{median / base_median:>10.2f}"
            f"{p99 / base_p99:>8.2f}"
        )


if __name__ == "__main__":
    main()
