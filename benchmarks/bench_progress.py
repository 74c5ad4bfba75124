"""Time the progress page, summary.json and charts on three years of data, against gunicorn.

    .venv/bin/python benchmarks/bench_progress.py [--repeat 200] [--workers 2]

Makes a database with one person and three years of data (1,095 daily
check-ins, a session every three weeks, a monthly PHQ-9 and GAD-7), starts
gunicorn on a free loopback port, logs in through the real form, and prints:
the timeline chart for days=all drawn cold (first request) and drawn again
without a cached copy, the same chart answered from its ETag (304),
summary.json, /progress, and each worker's resident memory after every chart
has been drawn in every range, format and theme. Figures only; nothing asserts.
"""

import argparse
import tempfile
from datetime import date, timedelta
from pathlib import Path

from harness import STAMP, Client, gunicorn, log_in, new_person, summary, timed
from werkzeug.security import generate_password_hash

EMAIL, PASSWORD = "three-years@example.com", "benchmark passphrase"
DAYS = 1095


def make_data(path):
    """Three years of data for one person, written straight into a fresh database."""
    db, user_id = new_person(path, email=EMAIL, password_hash=generate_password_hash(PASSWORD))
    stamp = STAMP
    first = date.today() - timedelta(days=DAYS - 1)
    days = [first + timedelta(days=n) for n in range(DAYS)]
    db["checkins"].insert_all(
        {
            "user_id": user_id,
            "day": d.isoformat(),
            "mood": 3 + (n * 7) % 6,
            "anxiety": 6 - (n * 5) % 5,
            "energy": 4 + n % 4,
            "sleep_hours": 6.5 + (n % 3) / 2,
            "reflection": f"Day {n}: a few sentences about the day, as people write. " * 3,
            **stamp,
        }
        for n, d in enumerate(days)
    )
    db["sessions"].insert_all(
        {
            "user_id": user_id,
            "started_at": f"{d.isoformat()}T10:00:00+00:00",
            "day": d.isoformat(),
            "product": "ketamine",
            "route": "iv",
            "dose_mg": 35,
            **stamp,
        }
        for d in days[14::21]
    )
    db["assessments"].insert_all(
        {
            "user_id": user_id,
            "kind": kind,
            "day": d.isoformat(),
            "answers": "[]",
            "total": total,
            "created_at": stamp["created_at"],
        }
        for n, d in enumerate(days[13::30])
        for kind, total in (("phq9", max(4, 18 - n // 2)), ("gad7", max(3, 12 - n // 3)))
    )
    counts = db["checkins"].count, db["sessions"].count, db["assessments"].count
    db.close()
    return counts


def worker_rss_mb(master_pid):
    """Resident memory (MB) of each gunicorn worker, children of the master."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="afterglow-bench-"))
    database = workdir / "three-years.sqlite3"
    counts = make_data(database)
    results = {}
    with gunicorn(database, args.workers) as (port, server):
        client = Client(port)
        log_in(client, EMAIL, PASSWORD)

        timeline = "/charts/mood-timeline.svg?days=all"
        # Cold: the first drawing in each worker (no cached copy anywhere).
        results["timeline all, cold"] = [
            timed(lambda: client.request("GET", timeline))[0] for _ in range(args.workers)
        ]
        results["timeline all, drawn"] = [
            timed(lambda: client.request("GET", timeline))[0] for _ in range(20)
        ]
        etag = client.last_headers["ETag"]
        results["timeline all, 304"] = []
        for _ in range(args.repeat):
            ms, (status, _) = timed(
                lambda: client.request("GET", timeline, headers={"If-None-Match": etag})
            )
            assert status == 304, status
            results["timeline all, 304"].append(ms)
        results["summary.json"] = [
            timed(lambda: client.request("GET", "/progress/summary.json"))[0]
            for _ in range(args.repeat)
        ]
        results["/progress days=all"] = [
            timed(lambda: client.request("GET", "/progress?days=all"))[0]
            for _ in range(args.repeat // 2)
        ]
        results["/progress days=90"] = [
            timed(lambda: client.request("GET", "/progress"))[0] for _ in range(args.repeat // 2)
        ]
        for name in ("mood-timeline", "window-overlay", "assessments"):
            for fmt in ("svg", "png"):
                for theme in ("light", "dark"):
                    for days in ("30", "90", "365", "all"):
                        for _ in range(args.workers):  # reach every worker
                            client.request("GET", f"/charts/{name}.{fmt}?days={days}&theme={theme}")
        rss = worker_rss_mb(server.pid)

    print(
        f"three years: {counts[0]} check-ins, {counts[1]} sessions, {counts[2]} assessments; "
        f"gunicorn, {args.workers} workers"
    )
    print(f"{'request':<24}{'median ms':>11}{'p99 ms':>9}{'n':>6}")
    for name, samples in results.items():
        median, p99 = summary(samples)
        print(f"{name:<24}{median:>11.1f}{p99:>9.1f}{len(samples):>6}")
    print("worker memory after drawing every chart: " + ", ".join(f"{mb:.0f} MB" for mb in rss))


if __name__ == "__main__":
    main()
