"""Load: many people saving check-ins and reading their progress at once, against gunicorn.

    .venv/bin/python benchmarks/bench_load.py [--duration 60] [--people 24] [--workers N]
        [--threads N] [--worker-class gthread|sync]

Starts gunicorn with the repository's gunicorn.conf.py on a free loopback port and a fresh
database, registers `--people` accounts through the real forms (CSRF on), then for
`--duration` seconds each person, in a thread of their own and with no pause, saves a
check-in for a new past day (a new day each time; it wraps round to updating old days only
if it runs out), reads /progress/summary.json, and every tenth round the /progress page.
Alongside, `--probes` threads ask for /healthz ten times a second each, the same way.

Prints saves, saves per second, median and 99th-percentile latency of saves, reads and
/healthz, the CPU time gunicorn and this load generator used, and the errors. Then it reads
the database: every save that was acknowledged (a 302 came back) must be stored, with the
mood that was sent. Figures only; the exit status is 1 when there were errors or a save is
missing, so a run can be checked by a script.
Only loopback is ever a target; everything stops by itself after `--duration`.
"""

import argparse
import contextlib
import os
import runpy
import sqlite3
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from harness import ROOT, Client, signed_up, start_server, summary, timed

DAYS = 10_000  # past days a person can save before wrapping round (back to 1999)
PROBE_INTERVAL = 0.1


def register(port, n, keep_alive=False):
    """Person `n`, registered and so signed in; returns their client (on one kept-alive
    connection with `keep_alive`, else a new one per request) and CSRF token."""
    client = signed_up(
        port, f"load{n}@example.com", f"load benchmark passphrase {n}", keep_alive=keep_alive
    )
    return client, client.token("/checkin")


class Run:
    """What every thread records: latencies by kind, acknowledged saves, errors."""

    def __init__(self, deadline):
        self.deadline = deadline
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.acked = {}  # (email, day) -> mood
        self.errors = defaultdict(int)

    def call(self, kind, client, method, path, form=None, expect=200, keep_cookies=True):
        """One timed request; an unexpected status or a failure counts as an error."""
        try:
            ms, (status, _) = timed(lambda: client.request(method, path, form, None, keep_cookies))
        except OSError as error:
            with self.lock:
                self.errors[f"{kind}: {type(error).__name__}"] += 1
            return False
        with self.lock:
            self.times[kind].append(ms)
            if status != expect:
                self.errors[f"{kind}: HTTP {status}"] += 1
        return status == expect


def person(run, n, client, token):
    """Save a check-in for a new day, read progress; again until the deadline."""
    email = f"load{n}@example.com"
    yesterday = date.today() - timedelta(days=1)
    i = 0
    while time.monotonic() < run.deadline:
        day = (yesterday - timedelta(days=i % DAYS)).isoformat()
        mood = (i * 7 + n) % 11
        form = {
            "csrf_token": token,
            "date": day,
            "mood": str(mood),
            "anxiety": str(i % 11),
            "tags": "load, benchmark",
            "reflection": f"Load benchmark, person {n}, round {i}. " * 5,
        }
        # The save's response sets a flash message in the session cookie; a browser would
        # read it on the next page. Not following the redirect, the cookie is kept as it was
        # so it doesn't grow with every save.
        if run.call("save", client, "POST", "/checkin", form, expect=302, keep_cookies=False):
            with run.lock:
                run.acked[(email, day)] = mood
        run.call("summary.json", client, "GET", "/progress/summary.json")
        if i % 10 == 9:
            run.call("/progress", client, "GET", "/progress")
        i += 1


def probe(run, port):
    """/healthz ten times a second, timed the same way as everything else."""
    client = Client(port)
    while time.monotonic() < run.deadline:
        run.call("/healthz", client, "GET", "/healthz")
        time.sleep(PROBE_INTERVAL)


def process_tree_cpu(pid):
    """CPU seconds used by gunicorn: the master, its live workers, and the workers it reaped."""
    ticks = os.sysconf("SC_CLK_TCK")

    def stat(p):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        return [int(x) for x in fields[11:15]]  # utime, stime, cutime, cstime

    total = sum(stat(pid))
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        with contextlib.suppress(FileNotFoundError):  # gone: in the master's cutime
            total += sum(stat(child)[:2])
    return total / ticks


def verify(database, acked):
    """Compare the acknowledged saves with the rows stored; return (missing, wrong mood)."""
    conn = sqlite3.connect(database)
    try:
        stored = {
            (email, day): mood
            for email, day, mood in conn.execute(
                "select users.email, checkins.day, checkins.mood"
                " from checkins join users on users.id = checkins.user_id"
            )
        }
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    missing = [key for key in acked if key not in stored]
    wrong = [key for key, mood in acked.items() if key in stored and stored[key] != mood]
    return missing, wrong, len(stored), integrity


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--people", type=int, default=24)
    parser.add_argument("--probes", type=int, default=2, help="threads asking for /healthz")
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, help="per worker; default: gunicorn.conf.py's")
    parser.add_argument("--worker-class", choices=["gthread", "sync"])
    args = parser.parse_args()
    # Read by gunicorn.conf.py, in the server and below when reporting what it ran.
    if args.workers:
        os.environ["WEB_CONCURRENCY"] = str(args.workers)
    if args.threads:
        os.environ["GUNICORN_THREADS"] = str(args.threads)

    workdir = Path(tempfile.mkdtemp(prefix="afterglow-load-"))
    server = start_server(workdir / "load.sqlite3", worker_class=args.worker_class)
    port, database = server.port, server.database
    try:
        people = [register(port, n) for n in range(args.people)]
        run = Run(time.monotonic() + args.duration)
        threads = [
            threading.Thread(target=person, args=(run, n, client, token))
            for n, (client, token) in enumerate(people)
        ] + [threading.Thread(target=probe, args=(run, port)) for _ in range(args.probes)]
        started = time.monotonic()
        server_cpu_before = process_tree_cpu(server.process.pid)
        client_cpu_before = time.process_time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        server_cpu = process_tree_cpu(server.process.pid) - server_cpu_before
        client_cpu = time.process_time() - client_cpu_before
    finally:
        server.stop()

    missing, wrong, stored, integrity = verify(database, run.acked)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))  # as the server read it
    worker_class = args.worker_class or config["worker_class"]
    saves = len(run.times["save"])
    print(
        f"gunicorn: {config['workers']} workers, {worker_class}"
        + (f", {config['threads']} threads" if worker_class == "gthread" else "")
        + f"; {args.people} people and {args.probes} /healthz probes for {elapsed:.1f} s"
        + f" on {os.cpu_count()} cores"
    )
    print(f"saves: {saves} ({saves / elapsed:.1f}/s)")
    print(f"{'request':<14}{'count':>8}{'per s':>8}{'median ms':>11}{'p99 ms':>9}")
    for kind in ("save", "summary.json", "/progress", "/healthz"):
        samples = run.times[kind]
        if samples:
            median, p99 = summary(samples)
            print(
                f"{kind:<14}{len(samples):>8}{len(samples) / elapsed:>8.1f}"
                f"{median:>11.1f}{p99:>9.1f}"
            )
    print(
        f"CPU: gunicorn {server_cpu:.1f} s ({server_cpu / max(saves, 1) * 1000:.2f} ms per save"
        f" with its reads), this client {client_cpu:.1f} s, of {os.cpu_count() * elapsed:.0f} s"
    )
    errors = sum(run.errors.values())
    print(f"errors: {errors}" + "".join(f"\n  {k}: {v}" for k, v in sorted(run.errors.items())))
    print(
        f"stored: {len(run.acked)} acknowledged (person, day) saves; {stored} rows in the"
        f" database; missing: {len(missing)}; wrong mood: {len(wrong)};"
        f" integrity_check: {integrity}"
    )
    if errors or missing or wrong or integrity != "ok":
        sys.exit(1)


if __name__ == "__main__":
    main()
