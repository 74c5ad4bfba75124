"""Print the worst case that one request can cost within the bounds (README, "Bounds").

    .venv/bin/python benchmarks/bench_bounds.py [--export-days 13500] [--repeat 3]

In process, through Flask's test client (no network, no gunicorn), on a temporary database:

- hostile input to every pattern that reads a person's text, at the largest size a request
  can carry (2 MB): import files whose header names hold long runs of spaces (the issue's
  case), a million columns, a cell over the csv module's limit, 160,000 rows, and long runs
  in every cell; and the log redaction of a 2 MB message;
- the largest import: 5,000 rows (the row bound) filling the 2 MB body: upload, preview and
  confirm;
- the longest report (731 days) with the largest text (a 20,000-character shared reflection
  every day), every section;
- each export at its largest: a check-in every day since 1990 (the earliest day the app
  takes; `--export-days`), each with a 20,000-character reflection, a session and a PHQ-9
  every two weeks, and the most memory Python held at once while streaming it;
- the pages built from a whole history at the per-day bounds (`--history-years` of 4
  sessions a day, 3 check-ups of each kind a day and a check-in every day): /sessions,
  /assessments (their first and last pages), a session's page, /progress, the caseload's page
  of the person and a share link, each over 90 days, with the size of the HTML sent.

Prints the median of `--repeat` runs (and the slowest) in milliseconds. Figures only; nothing
asserts but the status codes.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import ROOT, STAMP

sys.path.insert(0, str(ROOT))

from journal import assessments, create_app, imports, logs, reports, sessions, share  # noqa: E402
from journal.data import connect  # noqa: E402
from journal.fields import EARLIEST_DAY, REFLECTION_MAX  # noqa: E402

PASSWORD = "correct horse battery"
LARGEST = 2 * 1024 * 1024 - 4096  # a file the 2 MB body limit lets through, with framing
TODAY = datetime.now(UTC).date()
WORDS = "Slept badly, but the walk at lunch helped a little; called my sister, felt less alone. "
LONGEST_TEXT = (WORDS * (REFLECTION_MAX // len(WORDS) + 1))[:REFLECTION_MAX]
SPACED_NAME = "note" + " " * 120_000 + "x"
HOSTILE_FILES = {
    "header names with 120,000 spaces": "date,mood,"
    + ",".join([SPACED_NAME] * (LARGEST // len(SPACED_NAME))),
    "2 million columns": "date,mood" + "," * (LARGEST - 9),
    "a 2 MB cell": "date,mood,note\n2025-01-01,5," + "x" * (LARGEST - 40),
    "160,000 rows": "date,mood\n" + "2025-01-01,5\n" * (LARGEST // 13),
    "spaces in every cell": "full_date,time,mood\n"
    + f"2025-01-01,1:00{' ' * 180}p,5{' ' * 180}x\n" * 5_000,
}
HOSTILE_LOGS = {
    "2 MB with no @": "x" * (2 * 1024 * 1024),
    "2 MB of a@": "a@" * (1024 * 1024),
    "2 MB of /s/": "/s/" * (2 * 1024 * 1024 // 3),
}
EXPORTS = ["checkins.csv", "sessions.csv", "assessments.csv", "data.json", "fhir.json"]


def multipart(data):
    """A multipart body holding `data` as the upload's file (built by hand: no spooling)."""
    return (
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="file"; filename="bench.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + data.encode() + b"\r\n--BOUNDARY--\r\n"
    )


def upload(client, data):
    return client.post(
        "/import", data=multipart(data), content_type="multipart/form-data; boundary=BOUNDARY"
    )


def new_app(path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "DATABASE": str(path),
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    client = app.test_client()
    response = client.post(
        "/auth/register",
        data={"email": "bounds@example.com", "password": PASSWORD, "timezone": "UTC"},
    )
    assert response.status_code == 302, response.status_code
    db = connect(path)
    user_id = db.execute("select id from users where email = 'bounds@example.com'").fetchone()[0]
    db.close()
    return app, client, user_id


def runs(fn, repeat):
    """(median ms, slowest ms, last result) of `repeat` calls."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


def row(name, median, slowest, note=""):
    print(f"  {name:<44}{median:>9.0f}{slowest:>9.0f}  {note}")


def heading(title):
    print(f"\n{title}\n  {'':<44}{'median':>9}{'max':>9}  (ms)")


def add_checkins(path, user_id, days, text, end=TODAY):
    db = connect(path)
    with db.conn:
        db["checkins"].insert_all(
            (
                {"user_id": user_id, "day": (end - timedelta(days=n)).isoformat(),
                 "mood": n % 11, "reflection": text, "private": 0, **STAMP}
                for n in range(days)
            ),
            batch_size=500,
        )  # fmt: skip
    db.close()


def bench_hostile(workdir, repeat):
    heading("Hostile input at the largest size accepted (each answers 400 with a message)")
    _, client, _ = new_app(workdir / "hostile.sqlite3")
    for name, data in HOSTILE_FILES.items():
        median, slowest, response = runs(lambda data=data: upload(client, data), repeat)
        assert response.status_code == 400, response.status_code
        row(f"import: {name}", median, slowest)
    for name, text in HOSTILE_LOGS.items():
        median, slowest, _ = runs(lambda text=text: logs.redact_text(text), repeat)
        row(f"log redaction: {name}", median, slowest)
    median, slowest, _ = runs(lambda: imports.header_key(" " * 2_000_000 + "x"), repeat)
    row("header name: 2 MB of spaces (no bound first)", median, slowest)


def bench_import(workdir, repeat):
    heading(f"The largest import: {imports.ROWS_MAX:,} rows filling the 2 MB body")
    path = workdir / "import.sqlite3"
    _, client, user_id = new_app(path)
    first = TODAY - timedelta(days=imports.ROWS_MAX + 10)
    note_room = LARGEST // imports.ROWS_MAX - len('2000-01-01,10,""\n') - 2
    note = (WORDS * 10)[:note_room]
    lines = [f'{first + timedelta(days=n)},{n % 11},"{note}"' for n in range(imports.ROWS_MAX)]
    data = "date,mood,note\n" + "\n".join(lines) + "\n"
    times = {"upload": [], "preview": [], "confirm": []}
    for _ in range(repeat):
        db = connect(path)
        with db.conn:
            db.execute("delete from checkins where user_id = ?", [user_id])
        db.close()
        started = time.perf_counter()
        response = upload(client, data)
        assert response.status_code == 302, response.status_code
        location = response.location
        uploaded = time.perf_counter()
        assert client.get(location).status_code == 200
        previewed = time.perf_counter()
        assert client.post(f"{location}/confirm").status_code == 302
        done = time.perf_counter()
        times["upload"].append((uploaded - started) * 1000)
        times["preview"].append((previewed - uploaded) * 1000)
        times["confirm"].append((done - previewed) * 1000)
    for name, samples in times.items():
        note = f"{len(data.encode()):,} bytes" if name == "upload" else ""
        row(name, statistics.median(samples), max(samples), note)


def bench_report(workdir, repeat):
    days = reports.RANGE_MAX_DAYS
    heading(
        f"The longest report: {days} days, a {REFLECTION_MAX:,}-character shared reflection "
        "on each, every section"
    )
    path = workdir / "report.sqlite3"
    _, client, user_id = new_app(path)
    add_checkins(path, user_id, days, LONGEST_TEXT)
    start = TODAY - timedelta(days=days - 1)
    query = f"/export/report.pdf?start={start}&end={TODAY}"
    median, slowest, response = runs(lambda: client.get(query), repeat)
    assert response.status_code == 200, response.status_code
    pdf = response.data
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    row("report.pdf", median, slowest, f"{len(pdf) / 1024:,.0f} KB, {pages} pages")
    longer = f"/export/report.pdf?start={start - timedelta(days=1)}&end={TODAY}"
    median, slowest, response = runs(lambda: client.get(longer), repeat)
    row(f"report.pdf over {days + 1} days (refused)", median, slowest, str(response.status_code))


def bench_exports(workdir, repeat, days):
    every_day = (TODAY - EARLIEST_DAY).days + 1
    heading(
        f"Each export: {days:,} check-ins of {REFLECTION_MAX:,} characters (a check-in every "
        f"day since {EARLIEST_DAY}, the most there can be, is {every_day:,})"
    )
    path = workdir / "exports.sqlite3"
    _, client, user_id = new_app(path)
    add_checkins(path, user_id, days, LONGEST_TEXT)
    db = connect(path)
    with db.conn:
        db["assessments"].insert_all(
            {"user_id": user_id, "kind": "phq9", "day": (TODAY - timedelta(days=n)).isoformat(),
             "answers": json.dumps([1] * 9), "total": 9, "item9": 1,
             "created_at": STAMP["created_at"]}
            for n in range(0, days, 14)
        )  # fmt: skip
        prompts = json.dumps({"stood_out": LONGEST_TEXT[:5000], "carry": LONGEST_TEXT[:5000]})
        db["sessions"].insert_all(
            {"user_id": user_id, "started_at": f"{TODAY - timedelta(days=n)}T10:00:00+00:00",
             "day": (TODAY - timedelta(days=n)).isoformat(), "product": "ketamine",
             "route": "iv", "reflection": LONGEST_TEXT, "prompts": prompts, **STAMP}
            for n in range(0, days, 14)
        )  # fmt: skip
    db.close()
    for name in EXPORTS:

        def fetch(name=name):
            response = client.get(f"/export/{name}", buffered=False)
            size = sum(len(piece) for piece in response.response)  # read as a client would
            response.close()
            return response.status_code, size

        median, slowest, (status, size) = runs(fetch, repeat)
        assert status == 200, status
        tracemalloc.start()  # one more run, slower, for the most memory it held at once
        fetch()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        row(name, median, slowest, f"{size / 1e6:,.1f} MB sent; at most {peak / 1e6:,.1f} MB held")


def bench_history(workdir, repeat, years):
    days = round(365.25 * years)
    heading(
        f"Pages over a whole history at the per-day bounds: {years:g} years of "
        f"{sessions.PER_DAY_MAX} sessions, {assessments.PER_DAY_MAX} PHQ-9s and "
        f"{assessments.PER_DAY_MAX} GAD-7s a day and a check-in every day"
    )
    path = workdir / "history.sqlite3"
    app, client, user_id = new_app(path)
    add_checkins(path, user_id, days, "")
    first = TODAY - timedelta(days=days - 1)
    db = connect(path)
    with db.conn:
        db["sessions"].insert_all(
            ({"user_id": user_id,
              "started_at": f"{first + timedelta(days=n)}T{8 + 3 * k:02}:00:00+00:00",
              "day": (first + timedelta(days=n)).isoformat(), "product": "ketamine",
              "route": "iv", "mood_before": 4, "mood_after": 7, **STAMP}
             for n in range(days) for k in range(sessions.PER_DAY_MAX)),
            batch_size=500,
        )  # fmt: skip
        db["assessments"].insert_all(
            ({"user_id": user_id, "kind": kind, "day": (first + timedelta(days=n)).isoformat(),
              "answers": json.dumps([1] * size), "total": size,
              "item9": 1 if kind == "phq9" else None,
              "created_at": STAMP["created_at"]}
             for n in range(days) for kind, size in (("phq9", 9), ("gad7", 7))
             for _ in range(assessments.PER_DAY_MAX)),
            batch_size=500,
        )  # fmt: skip
        counts = {t: db.execute(f"select count(*) from {t}").fetchone()[0]  # noqa: S608
                  for t in ("sessions", "assessments", "checkins")}  # fmt: skip
    db.close()
    therapist = app.test_client()
    response = therapist.post(
        "/auth/register",
        data={"email": "therapist@example.com", "password": PASSWORD, "timezone": "UTC",
              "role": "therapist"},
    )  # fmt: skip
    assert response.status_code == 302, response.status_code
    db = connect(path)
    with db.conn:
        therapist_id = db.execute(
            "select id from users where email = 'therapist@example.com'"
        ).fetchone()[0]
        db["therapist_links"].insert(
            {"patient_id": user_id, "therapist_id": therapist_id, "linked_at": STAMP["created_at"]}
        )
        session_id = db.execute(
            "select id from sessions where user_id = ? order by started_at limit 1 offset ?",
            [user_id, counts["sessions"] // 2],
        ).fetchone()[0]
    db.close()
    with app.app_context():
        _, token = share.create_link(user_id, "Bench", 90)
    print(
        f"  ({counts['sessions']:,} sessions, {counts['assessments']:,} check-ups, "
        f"{counts['checkins']:,} check-ins)"
    )
    last_sessions = -(-counts["sessions"] // app.config["ENTRIES_PER_PAGE"])
    last_assessments = -(-counts["assessments"] // 2 // app.config["ENTRIES_PER_PAGE"])
    pages = [
        (client, "/sessions"),
        (client, f"/sessions?page={last_sessions}"),
        (client, f"/sessions/{session_id}"),
        (client, "/assessments"),
        (client, f"/assessments?page={last_assessments}"),
        (client, "/progress?days=90"),
        (therapist, f"/caseload/{user_id}?days=90"),
        (client, f"/s/{token}?days=90"),
    ]
    for who, url in pages:
        median, slowest, response = runs(lambda who=who, url=url: who.get(url), repeat)
        size = f"{len(response.data) / 1e6:,.2f} MB" if response.status_code == 200 else ""
        row(url.replace(token, "<token>"), median, slowest, f"{response.status_code} {size}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--export-days", type=int, default=(TODAY - EARLIEST_DAY).days + 1,
        help="check-ins for the exports (default: every day since the earliest day taken)",
    )  # fmt: skip
    parser.add_argument(
        "--history-years", type=float, default=3,
        help="years of sessions and check-ups at the per-day bounds for the pages",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="afterglow-bench-bounds-") as folder:
        workdir = Path(folder)  # the exports' database alone is about 300 MB: removed after
        bench_hostile(workdir, args.repeat)
        bench_import(workdir, args.repeat)
        bench_report(workdir, args.repeat)
        bench_exports(workdir, args.repeat, args.export_days)
        bench_history(workdir, args.repeat, args.history_years)


if __name__ == "__main__":
    main()
