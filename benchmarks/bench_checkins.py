"""Time saving a check-in and loading /entries against gunicorn, next to /healthz.

    .venv/bin/python benchmarks/bench_checkins.py [--requests 500] [--workers 2]

Starts gunicorn on a free loopback port with a fresh database, signs up one
person through the real forms (CSRF on), then interleaves the three requests
so that all three see the same machine state. Prints median and 99th
percentile latencies and the ratios to /healthz. Figures only; nothing asserts.
"""

import argparse
import tempfile
from datetime import date, timedelta
from pathlib import Path

from harness import gunicorn, signed_up, summary, timed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="afterglow-bench-"))
    with gunicorn(workdir / "bench.sqlite3", args.workers) as (port, _):
        client = signed_up(port, "bench@example.com", "benchmark passphrase")
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
