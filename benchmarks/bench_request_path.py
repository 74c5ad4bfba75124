"""The request path, side by side in one run: fixed cost, save-and-list, and the old commit.

    .venv/bin/python benchmarks/bench_request_path.py [--rounds 6] [--seconds 5]
        [--people 24] [--base COMMIT] [--clients 8] [--connections kept|new]

Three comparisons; the first two each between two gunicorn servers (each commit with its
own gunicorn.conf.py) on free loopback ports, measured in alternating rounds so both see
the same machine:

1. Fixed per-request cost: `/healthz` of Afterglow against a bare Flask hello-world
   (benchmarks/bare_app.py). `--clients` threads, each on one keep-alive connection, ask
   with no pause; requests per second of each, and the ratio (the aim: at least 0.8).
2. Save-and-list: `--people` people, each in a thread of their own with no pause, save a
   check-in for a new past day and read their History list (/entries), on this checkout and
   on `--base` (a `git worktree` of that commit, by default the one before issue 11, served
   with its own gunicorn.conf.py), each with a fresh database. Each person's connection is
   kept alive, as the nginx of docs/OPERATIONS.md keeps its connections to gunicorn
   (`--connections new`: a new one for each request, as without a proxy). Saves per
   second, p99 of saves and lists, errors, and the ratio (the aim: at least 2). Then every
   acknowledged save must be in each database.

3. Flat cost: one person's `/progress/summary.json` and a chart's 304 answer (If-None-Match)
   with 90 days of daily data and with 10 years (bench_progress.py's data), the medians of
   `--repeat` requests each, and the ratio (the aim: within 2x). summary.json is remembered
   per worker under the person's change counts, so it is also timed right after a write
   (the document computed afresh), which does grow with the history.

Figures only: never a test. Exit status 1 on errors or a missing save.
"""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from bench_load import DAYS, Run, process_tree_cpu, register, verify
from harness import ROOT, Client, start_server, summary, timed

BASE = "c4d1679"  # main before issue 11 (the structure redesign)
CONNECTIONS = {
    "kept": "each person on a kept-alive connection (as behind nginx)",
    "new": "a new connection per request",
}


def hammer(port, clients, seconds, path="/healthz"):
    """Requests per second answered with 200 by `clients` keep-alive threads in `seconds`."""
    deadline = time.monotonic() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def client(i):
        http = Client(port, keep_alive=True)
        while time.monotonic() < deadline:
            try:
                ok = http.request("GET", path)[0] == 200
            except OSError:  # (the client starts a new connection for the next request)
                ok = False
            counts[i] += ok
            errors[i] += not ok

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds, sum(errors)


def save_and_list(run, n, client, token, offset):
    """Save a check-in for a new past day, read History; again until the deadline."""
    email = f"load{n}@example.com"
    yesterday = date.today() - timedelta(days=1)
    i = offset
    while time.monotonic() < run.deadline:
        day = (yesterday - timedelta(days=i % DAYS)).isoformat()
        mood = (i * 7 + n) % 11
        form = {"csrf_token": token, "date": day, "mood": str(mood), "tags": "load",
                "reflection": f"Request path benchmark, person {n}, round {i}. " * 5}  # fmt: skip
        # As bench_load: the flash message is not read, nor kept in the cookie.
        if run.call("save", client, "POST", "/checkin", form, expect=302, keep_cookies=False):
            with run.lock:
                run.acked[(email, day)] = mood
        run.call("list", client, "GET", "/entries")
        i += 1
    return i


class Side:
    """One server of a side-by-side run and what was measured on it."""

    def __init__(self, name, workdir, app="journal:create_app()", code=ROOT):
        self.name = name
        file_name = re.sub(r"\W+", "-", name).strip("-")  # its database and log
        self.server = start_server(workdir / f"{file_name}.sqlite3", app=app, code=code)
        self.port, self.database = self.server.port, self.server.database
        self.rates = []
        self.times = defaultdict(list)
        self.errors = defaultdict(int)
        self.acked = {}
        self.cpu = 0.0

    def stop(self):
        self.server.stop()


def fixed_cost(args, workdir):
    sides = []  # each added once started, so a failed start still stops the one before it
    try:
        sides.append(Side("bare Flask", workdir, app="bare_app:app", code=ROOT / "benchmarks"))
        sides.append(Side("Afterglow", workdir))
        for _ in range(args.rounds):
            for side in sides:
                rate, errors = hammer(side.port, args.clients, args.seconds)
                side.rates.append(rate)
                side.errors["/healthz"] += errors
    finally:
        for side in sides:
            side.stop()
    bare, ours = (statistics.median(side.rates) for side in sides)
    print(f"\n/healthz, {args.clients} keep-alive clients, median of {args.rounds} rounds "
          f"of {args.seconds:g} s")  # fmt: skip
    for side in sides:
        rounds = ", ".join(f"{r:.0f}" for r in side.rates)
        print(f"  {side.name:<12} {statistics.median(side.rates):8.0f} requests/s  "
              f"(rounds: {rounds}; errors {sum(side.errors.values())})")  # fmt: skip
    print(f"  ratio Afterglow / bare Flask: {ours / bare:.2f}  (aim: at least 0.80)")
    return sum(sum(side.errors.values()) for side in sides)


def one_round(side, people, offsets, seconds):
    """Every person of `side` saves and lists for `seconds`; add what was measured to it."""
    run = Run(time.monotonic() + seconds)
    cpu = process_tree_cpu(side.server.process.pid)

    def person(n, client, token):
        offsets[(side.name, n)] = save_and_list(run, n, client, token, offsets[(side.name, n)])

    threads = [threading.Thread(target=person, args=(n, *p)) for n, p in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    side.cpu += process_tree_cpu(side.server.process.pid) - cpu
    side.rates.append(len(run.times["save"]) / seconds)
    for kind, samples in run.times.items():
        side.times[kind] += samples
    for kind, count in run.errors.items():
        side.errors[kind] += count
    side.acked.update(run.acked)


def worktree(base, workdir):
    """A checkout of `base` beside the repository (a git worktree, removed afterwards)."""
    path = workdir / f"base-{base}"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(path), base],
                   cwd=ROOT, check=True)  # fmt: skip
    return path


def save_and_list_run(args, workdir):
    code = worktree(args.base, workdir)
    sides = []
    try:
        sides.append(Side(f"{args.base} (before)", workdir, code=code))
        sides.append(Side("this checkout", workdir))
        kept = args.connections == "kept"
        people = {
            side.name: [register(side.port, n, keep_alive=kept) for n in range(args.people)]
            for side in sides
        }
        offsets = defaultdict(int)  # where each person's days go on from, per side
        for _ in range(args.rounds):
            for side in sides:
                one_round(side, people[side.name], offsets, args.seconds)
    finally:
        for side in sides:
            side.stop()
        subprocess.run(["git", "worktree", "remove", "--force", str(code)], cwd=ROOT, check=False)
    print(f"\nSave-and-list, {args.people} people, {args.rounds} alternating rounds of "
          f"{args.seconds:g} s each, {CONNECTIONS[args.connections]}")  # fmt: skip
    bad = 0
    for side in sides:
        missing, wrong, stored, integrity = verify(side.database, side.acked)
        saves = len(side.times["save"])
        save_p50, save_p99 = summary(side.times["save"])
        list_p50, list_p99 = summary(side.times["list"])
        errors = sum(side.errors.values())
        bad += errors + len(missing) + len(wrong) + (integrity != "ok")
        print(f"  {side.name:<18} {statistics.median(side.rates):7.1f} saves/s  "
              f"save p50 {save_p50:.0f} ms p99 {save_p99:.0f} ms  "
              f"list p50 {list_p50:.0f} ms p99 {list_p99:.0f} ms  "
              f"CPU {1000 * side.cpu / max(saves, 1):.1f} ms/save-and-list  errors {errors}  "
              f"stored {len(side.acked) - len(missing)}/{len(side.acked)} acknowledged"
              f"{', wrong mood ' + str(len(wrong)) if wrong else ''}"
              f"{'' if integrity == 'ok' else ', integrity: ' + integrity}")  # fmt: skip
    before, after = (statistics.median(side.rates) for side in sides)
    print(f"  ratio this checkout / {args.base}: {after / before:.2f}  (aim: at least 2)")
    return bad


def median_ms(client, url, repeat, headers=None):
    """The median time of `repeat` GETs of `url`, in ms."""
    return statistics.median(
        timed(lambda: client.request("GET", url, headers=headers))[0] for _ in range(repeat)
    )


def changed_ms(client, database, repeat):
    """The median time of summary.json right after a write to the person's check-ins (made
    untimed, on a connection of its own, as another worker's would be): the document
    computed afresh, not remembered."""
    import sqlite3

    samples = []
    for n in range(repeat):
        writer = sqlite3.connect(database)
        with writer:
            writer.execute("update checkins set mood = ? where id = 1", [n % 10])
        writer.close()
        samples.append(timed(lambda: client.request("GET", "/progress/summary.json"))[0])
    return statistics.median(samples)


def flat_cost(args, workdir):
    """summary.json and two charts' 304 answers, 90 days against 10 years of data."""
    import bench_progress
    from harness import gunicorn, log_in

    urls = ["/charts/mood-timeline.svg?days=all", "/charts/window-overlay.svg?days=90"]
    medians = defaultdict(dict)
    for days in (90, 3650):
        bench_progress.DAYS = days
        database = workdir / f"flat-{days}.sqlite3"
        bench_progress.make_data(database)
        with gunicorn(database, 2) as (port, _):
            client = Client(port, keep_alive=True)
            log_in(client, bench_progress.EMAIL, bench_progress.PASSWORD)
            for url in urls:
                client.request("GET", url)
                tag = {"If-None-Match": client.last_headers["ETag"]}
                name = f"{url.split('/')[2].split('?')[0]} 304"
                medians[name][days] = median_ms(client, url, args.repeat, tag)
            medians["summary.json"][days] = median_ms(client, "/progress/summary.json", args.repeat)
            medians["summary.json after a write"][days] = changed_ms(client, database, args.repeat)
    print(f"\nFlat cost: medians of {args.repeat} requests, 90 days against 10 years of data")
    for name, by in medians.items():
        print(f"  {name:<26} {by[90]:6.1f} ms {by[3650]:7.1f} ms  ratio {by[3650] / by[90]:.2f}"
              "  (aim: at most 2)")  # fmt: skip
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--people", type=int, default=24)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--base", default=BASE, help="the commit to compare with")
    parser.add_argument("--repeat", type=int, default=100, help="requests per flat-cost figure")
    parser.add_argument("--only", choices=["fixed", "save", "flat"], help="run one comparison")
    parser.add_argument("--connections", choices=CONNECTIONS, default="kept",
                        help="save-and-list: each person's connection kept alive, as nginx "
                        "keeps its upstream ones, or a new one per request")  # fmt: skip
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="afterglow-path-"))
    bad = 0
    if args.only in (None, "fixed"):
        bad += fixed_cost(args, workdir)
    if args.only in (None, "save"):
        bad += save_and_list_run(args, workdir)
    if args.only in (None, "flat"):
        bad += flat_cost(args, workdir)
    print(f"\n(server logs: {workdir}/*.log)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
