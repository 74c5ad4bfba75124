"""Time the therapist's PDF report over two years of data, and weigh it.

    .venv/bin/python benchmarks/bench_report.py [--repeat 5] [--mixed]

Makes a temporary database with one person and two years of data (730 daily
check-ins, each with a reflection of a few sentences, a few of them private;
50 sessions with reflections and prompt answers; a PHQ-9 and GAD-7 every two
weeks), then builds the full report (every section) for the two years in
process, as the download does: the first build (cold: fonts and matplotlib
warming up) and then `--repeat` more. Prints the fetch and drawing times, the
total, the size and the page count. With `--mixed`, the reflections are in
Japanese, Korean and Chinese with emoji too, so the fallback fonts load and are
subset. Figures only; nothing asserts.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from harness import STAMP, new_person

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from journal import access, create_app, reports  # noqa: E402
from journal.reports import pages as report_pages  # noqa: E402

DAYS = 730
SESSIONS = 50
SENTENCES = [
    "Slept badly, but the walk at lunch helped a little.",
    "Called my sister in the evening and felt less alone.",
    "Noticed colours more today; small things felt manageable.",
    "Work was a lot, so I kept going back to the breathing exercise.",
    "Read on the balcony for an hour — a quiet, good hour.",
    "Felt flat most of the day; cooked a real dinner anyway.",
]
MIXED = [
    "よく眠れなかったけれど、昼の散歩が少し助けになった。🚶",
    "저녁에 언니에게 전화했고 덜 외로웠다. 📞",
    "今天颜色更鲜明了；小事都能应付。🌈",
    "Work was a lot, so I kept going back to the breathing exercise. 😮‍💨",
    "Read on the balcony for an hour — a quiet, good hour. 📚",
    "Felt flat most of the day; cooked a real dinner anyway. 🍲",
]


def make_data(path, sentences=SENTENCES):
    """Two years of data for one person, written straight into a fresh database."""
    db, user_id = new_person(
        path, email="two-years@example.com", password_hash="-", display_name="Two Years"
    )
    stamp = STAMP
    first = date.today() - timedelta(days=DAYS - 1)
    days = [first + timedelta(days=n) for n in range(DAYS)]
    db["checkins"].insert_all(
        {
            "user_id": user_id,
            "day": d.isoformat(),
            "mood": 2 + (n * 7) % 8,
            "reflection": " ".join(sentences[(n + k) % len(sentences)] for k in range(3)),
            "private": int(n % 9 == 0),
            "self_harm": int(n % 97 == 0),
            **stamp,
        }
        for n, d in enumerate(days)
    )
    step = (DAYS - 20) // SESSIONS
    db["sessions"].insert_all(
        {
            "user_id": user_id,
            "started_at": f"{d.isoformat()}T10:00:00+00:00",
            "day": d.isoformat(),
            "product": "esketamine" if n % 2 else "ketamine",
            "route": "intranasal" if n % 2 else "iv",
            "dose_mg": 56 if n % 2 else 35,
            "mood_before": 4,
            "mood_after": 7,
            "dissociation": 5,
            "side_effects": "nausea,dizziness",
            "reflection": "Felt like floating above a lake. Some fear at the start, then calm.",
            "prompts": json.dumps({"stood_out": "The music.", "carry": "Rest is allowed."}),
            "private": int(n % 4 == 3),
            **stamp,
        }
        for n, d in enumerate(days[20::step][:SESSIONS])
    )
    db["assessments"].insert_all(
        {
            "user_id": user_id,
            "kind": kind,
            "day": d.isoformat(),
            "answers": "[]",
            "total": total,
            "item9": 0 if kind == "phq9" else None,
            "created_at": stamp["created_at"],
        }
        for n, d in enumerate(days[13::14])
        for kind, total in (("phq9", max(4, 18 - n // 4)), ("gad7", max(3, 12 - n // 5)))
    )
    counts = db["checkins"].count, db["sessions"].count, db["assessments"].count
    db.close()
    return user_id, first, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mixed", action="store_true", help="CJK and emoji in the reflections")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="afterglow-bench-"))
    database = workdir / "two-years.sqlite3"
    user_id, first, counts = make_data(database, MIXED if args.mixed else SENTENCES)
    app = create_app({"TESTING": True, "SECRET_KEY": "benchmark", "DATABASE": str(database)})
    fetch, draw, total = [], [], []
    with app.app_context():
        person = access.person(user_id)
        end = first + timedelta(days=DAYS - 1)
        for _ in range(args.repeat + 1):
            started = time.perf_counter()
            data = reports.report_data(person, first, end)
            fetched = time.perf_counter()
            pdf = report_pages.build_pdf(data)
            done = time.perf_counter()
            fetch.append((fetched - started) * 1000)
            draw.append((done - fetched) * 1000)
            total.append((done - started) * 1000)
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    print(
        f"two years: {counts[0]} check-ins, {counts[1]} sessions, {counts[2]} assessments; "
        f"{len(data['reflections'])} shared reflections in the report"
        + (", in Japanese, Korean, Chinese and English with emoji" if args.mixed else "")
    )
    print(f"{'report build':<22}{'cold ms':>9}{'median ms':>11}{'max ms':>9}{'n':>4}")
    for name, samples in (("fetch", fetch), ("draw", draw), ("total", total)):
        warm = samples[1:] or samples
        print(
            f"{name:<22}{samples[0]:>9.0f}{statistics.median(warm):>11.0f}"
            f"{max(warm):>9.0f}{len(warm):>4}"
        )
    print(f"size: {len(pdf) / 1024:.0f} KB ({len(pdf):,} bytes), {pages} pages")


if __name__ == "__main__":
    main()
