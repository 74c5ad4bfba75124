"""Time the lift chart against summary.json and the mood timeline (issue 10), on three years.

    .venv/bin/python benchmarks/bench_lift.py [--repeat 40] [--before DIR]

Makes bench_progress.py's database (one person, 1,095 daily check-ins, a session every three
weeks, a monthly PHQ-9 and GAD-7), serves it with gunicorn (one worker) on a free loopback
port, logs in through the real form and times, in one run, each of: /progress/summary.json,
/charts/mood-timeline.svg and /charts/lift.svg (days=all and days=90, each drawn afresh: no
If-None-Match), and /progress (which reads the lift too). For each it prints the median wall
time and the worker's CPU time per request (from /proc/<pid>/stat: what the server spent,
which other work on the machine moves far less than wall time), and the lift chart's ratio
to the timeline.

With `--before DIR`, a copy of the code as it was before the lift (for instance
`git archive <commit> | tar -x -C DIR`), a copy of the same database is served from that
tree at the same time, the requests alternate between the two servers (so a busy moment
slows both alike), and the ratios "now / before" are printed: "within 1.5x of today's"
reads off directly. A request the old code does not know (404) is left out. Figures only;
nothing asserts.
"""

import argparse
import os
import shutil
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench_progress import EMAIL, PASSWORD, make_data
from harness import ROOT, Client, log_in, start_server, summary, timed

REQUESTS = {
    "summary.json": "/progress/summary.json",
    "timeline all": "/charts/mood-timeline.svg?days=all",
    "lift all": "/charts/lift.svg?days=all",
    "timeline 90": "/charts/mood-timeline.svg?days=90",
    "lift 90": "/charts/lift.svg?days=90",
    "/progress 90": "/progress",
}
TICKS = os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(database, tree=None):
    """One gunicorn worker serving `database` with this repository's code, or with `tree`'s;
    yields a logged-in Client and the worker's pid."""
    server = start_server(database, workers=1, code=tree or ROOT)
    try:
        pid = server.process.pid
        (worker,) = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        client = Client(server.port, keep_alive=True)
        log_in(client, EMAIL, PASSWORD)
        yield client, int(worker)
    finally:
        server.stop()


def cpu_seconds(pid):
    """User plus system CPU time the process has used, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15)


def measure(servers, repeat):
    """{name: {server: (median ms, CPU ms per request)}}: each request `repeat` times on
    each server in turn, after one warm-up request each (a worker's first drawing)."""
    results = {}
    for name, path in REQUESTS.items():
        known = {}
        for key, (client, _) in servers.items():
            status, _ = client.request("GET", path)
            if status != 404:
                assert status == 200, (key, path, status)
                known[key] = []
        cpu = {key: cpu_seconds(servers[key][1]) for key in known}
        for _ in range(repeat):
            for key, samples in known.items():
                client = servers[key][0]
                samples.append(timed(lambda c=client, p=path: c.request("GET", p))[0])
        results[name] = {
            key: (
                summary(samples)[0],
                (cpu_seconds(servers[key][1]) - cpu[key]) * 1000 / repeat,
            )
            for key, samples in known.items()
        }
    return results


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--before", type=Path, help="a tree of the code before the lift")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="afterglow-bench-lift-"))
    (workdir / "now").mkdir()
    database = workdir / "now" / "three-years.sqlite3"
    counts = make_data(database)
    with ExitStack() as stack:
        servers = {"now": stack.enter_context(serve(database))}
        if args.before:
            (workdir / "before").mkdir()
            copy = Path(shutil.copy(database, workdir / "before" / database.name))
            servers["before"] = stack.enter_context(serve(copy, args.before.resolve()))
        results = measure(servers, args.repeat)

    print(
        f"three years: {counts[0]} check-ins, {counts[1]} sessions, {counts[2]} assessments; "
        f"gunicorn, 1 worker each, {args.repeat} requests each, alternating; ms per request"
    )
    print(
        f"{'request':<15}{'wall now':>9}{'before':>8}{'ratio':>7}"
        f"{'CPU now':>10}{'before':>8}{'ratio':>7}"
    )
    for name, by_server in results.items():
        wall, cpu = by_server["now"]
        was_wall, was_cpu = by_server.get("before", (None, None))
        print(
            f"{name:<15}{wall:>9.1f}{(f'{was_wall:.1f}' if was_wall else '-'):>8}"
            f"{ratio(wall, was_wall):>7}{cpu:>10.1f}{(f'{was_cpu:.1f}' if was_cpu else '-'):>8}"
            f"{ratio(cpu, was_cpu):>7}"
        )
    for days in ("all", "90"):
        lift, timeline = results[f"lift {days}"]["now"], results[f"timeline {days}"]["now"]
        line = (
            f"lift {days} / timeline {days}, now: wall {ratio(lift[0], timeline[0])}, "
            f"CPU {ratio(lift[1], timeline[1])}"
        )
        before = results[f"timeline {days}"].get("before")
        if before:
            line += (
                f"; lift now / timeline before: wall {ratio(lift[0], before[0])}, "
                f"CPU {ratio(lift[1], before[1])}"
            )
        print(line)


if __name__ == "__main__":
    main()
