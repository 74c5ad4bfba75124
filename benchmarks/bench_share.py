"""Time the share-link page, its charts and its report on three years of data, against gunicorn.

    .venv/bin/python benchmarks/bench_share.py [--repeat 200] [--workers 2]

Uses bench_progress's three-year person (1,095 check-ins with reflections, a session every
three weeks, monthly PHQ-9 and GAD-7), gives them a share link written straight into the
database (only its hash, as the app stores it), starts gunicorn on a free loopback port and
prints, without logging in: /s/<token> in the default 90-day range and in "all" (each one
also records an opening, a write with synchronous=FULL), a chart drawn and answered from its
ETag (304), and the PDF report (as many times as a link may build it in its window).
Figures only; nothing asserts but the status codes.
"""

import argparse
import secrets
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_progress import make_data
from harness import ROOT, Client, gunicorn, summary, timed

sys.path.insert(0, str(ROOT))

from journal.data import connect  # noqa: E402
from journal.data.tokens import token_hash  # noqa: E402
from journal.share import REPORT_BUILDS  # noqa: E402


def add_link(path):
    """A 14-day link for the benchmark's person; its token."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC).replace(microsecond=0)
    db = connect(path)
    db["share_links"].insert(
        {
            "user_id": 1,
            "label": "Benchmark",
            "token_hash": token_hash(token),
            "created_at": now.isoformat(),
            "expires_at": (now + timedelta(days=14)).isoformat(),
        }
    )
    db.close()
    return token


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="afterglow-bench-"))
    database = workdir / "three-years.sqlite3"
    counts = make_data(database)
    token = add_link(database)
    results = {}

    def sample(name, path, n, expect=200, headers=None):
        results[name] = []
        for _ in range(n):
            ms, (status, _) = timed(lambda: client.request("GET", path, headers=headers))
            assert status == expect, (path, status)
            results[name].append(ms)

    with gunicorn(database, args.workers) as (port, _):
        client = Client(port)
        for _ in range(args.workers * 2):  # warm every worker (imports, templates, fonts)
            client.request("GET", f"/s/{token}")
            client.request("GET", f"/s/{token}/charts/mood-timeline.svg?days=90&metric=mood")

        sample("/s/<token> days=90", f"/s/{token}", args.repeat)
        sample("/s/<token> days=all", f"/s/{token}?days=all", args.repeat // 2)
        chart = f"/s/{token}/charts/mood-timeline.svg?days=90&metric=mood"
        sample("chart 90 days, drawn", chart, 20)
        etag = client.last_headers["ETag"]
        sample("chart 90 days, 304", chart, args.repeat, 304, {"If-None-Match": etag})
        # A link's report is built at most REPORT_BUILDS times in its window (then 429): the
        # samples and the one read for its size stay within that.
        sample("report.pdf (90 days)", f"/s/{token}/report.pdf", REPORT_BUILDS - 1)
        client.request("GET", f"/s/{token}/report.pdf")
        pdf_bytes = int(client.last_headers["Content-Length"])
        sample("made-up token (404)", "/s/" + "A" * 43, args.repeat, 404)

    print(
        f"three years: {counts[0]} check-ins, {counts[1]} sessions, {counts[2]} assessments; "
        f"gunicorn, {args.workers} workers; no log-in"
    )
    print(f"{'request':<24}{'median ms':>11}{'p99 ms':>9}{'n':>6}")
    for name, samples in results.items():
        median, p99 = summary(samples)
        print(f"{name:<24}{median:>11.1f}{p99:>9.1f}{len(samples):>6}")
    print(f"report.pdf size: {pdf_bytes / 1024:.0f} KB")


if __name__ == "__main__":
    main()
