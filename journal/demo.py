"""`flask --app journal seed-demo`: a demo patient with a believable course of treatment.

A baseline fortnight, an induction series of six IV infusions over two
weeks (about three a week, as in Murrough et al. 2013), then a maintenance infusion
every three weeks; daily check-ins with the lift after each session fading
over about a week; a PHQ-9 and GAD-7 before the first session and about
weekly after. Seeded, so the same day gives the same data.
"""

import json
import math
import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

from . import clock, timezones
from .data import assessments as assessment_data
from .data import checkins as checkin_data
from .data import connect, users
from .data import sessions as session_data
from .migrations import migrate
from .passwords import hash_method

DEMO_EMAIL = "demo@afterglow.example"
DEMO_PASSWORD = "afterglow-demo"  # noqa: S105 (a published demo account)
DEMO_TIMEZONE = "America/New_York"
DEMO_DAYS = 120
# Days after the first day: a baseline fortnight, six induction infusions, then maintenance.
INDUCTION = [14, 16, 18, 21, 24, 28]
MAINTENANCE_EVERY = 21

REFLECTIONS = [
    "Slept badly, but the walk at lunch helped a little.",
    "Heavy morning. Called my sister in the evening and felt less alone.",
    "Noticed colours more today. Small things felt manageable.",
    "Work was a lot. I kept going back to the breathing exercise.",
    "Quiet day. Read on the balcony for an hour.",
    "Felt flat most of the day; cooked a real dinner anyway.",
    "Integration session today. Talked about the image of the open window.",
    "Anxious before the appointment, better after.\nWrote three things I'm grateful for.",
    "Good day. Laughed at something on the radio and meant it.",
    "Tired. Didn't want to see anyone, but the dog got me outside.",
]
SESSION_REFLECTIONS = [
    "Felt like floating above a lake. Some fear at the start, then a lot of calm.",
    "Saw my grandmother's kitchen. Cried, but it felt like letting something go.",
    "Mostly music and colours. Hard to put into words, lighter afterwards.",
    "Nausea in the first half. Later a clear thought: I am allowed to rest.",
]
INTENTIONS = [
    "To be kinder to myself.",
    "To see what is underneath the tiredness.",
    "To let go of the argument with my brother.",
    "To notice what I need.",
]
TAGS = ["slept well", "slept badly", "exercise", "outdoors", "friends", "family", "work",
        "therapy", "integration", "meditation", "stress"]  # fmt: skip


def session_days(days=DEMO_DAYS):
    """Offsets (from the first day) of every session: induction, then maintenance."""
    offsets = list(INDUCTION)
    while offsets[-1] + MAINTENANCE_EVERY < days:
        offsets.append(offsets[-1] + MAINTENANCE_EVERY)
    return offsets


def expected_mood(offset, sessions):
    """The underlying mood on a day: a low baseline, lifted by each session for about a week."""
    lift = 0.0
    done = [s for s in sessions if s <= offset]
    # Each infusion of the series adds a little lasting benefit, up to a ceiling.
    lift += min(len(done), 6) * 0.35
    if done:
        since = offset - done[-1]
        lift += 2.2 * math.exp(-since / 5)  # the acute lift fades over about a week
    return 3.2 + lift


def clamp(value, low=0, high=10):
    """`value` rounded into low..high."""
    return int(min(high, max(low, round(value))))


def demo_course(today, days=DEMO_DAYS, seed=7):
    """(check-ins, sessions, assessments) ending `today`, as rows without user_id."""
    rng = random.Random(seed)
    first = today - timedelta(days=days)
    offsets = session_days(days)
    checkins = []
    for offset in range(days + 1):
        if rng.random() < 0.08:  # people miss days
            continue
        mood = clamp(rng.gauss(expected_mood(offset, offsets), 0.9))
        wrote = rng.random() < 0.55
        checkins.append(
            {
                "day": (first + timedelta(days=offset)).isoformat(),
                "mood": mood,
                "anxiety": clamp(rng.gauss(9 - mood, 1.2)),
                "energy": clamp(rng.gauss(mood - 0.5, 1.2)),
                "sleep_hours": min(24.0, max(0.0, round(rng.gauss(6.8, 1.1) * 2) / 2)),
                "tags": ", ".join(rng.sample(TAGS, rng.randint(0, 3))),
                "reflection": rng.choice(REFLECTIONS) if wrote else "",
                "private": int(wrote and rng.random() < 0.3),
                "self_harm": 0,
            }
        )
    zone = ZoneInfo(DEMO_TIMEZONE)
    sessions = []
    for n, offset in enumerate(offsets):
        day = first + timedelta(days=offset)
        start = datetime.combine(day, time(10, 0), tzinfo=zone).astimezone(UTC)
        before = clamp(expected_mood(offset - 1, offsets) + rng.gauss(0, 0.7))
        sessions.append(
            {
                "started_at": start.isoformat(timespec="seconds"),
                "day": day.isoformat(),
                "product": "ketamine",
                "route": "iv",
                "dose_mg": 35.0,
                "dose_mg_per_kg": 0.5,
                "weight_kg": 70.0,
                "clinic": "Riverside Ketamine Clinic",
                "intention": INTENTIONS[n % len(INTENTIONS)],
                "mood_before": before,
                "mood_after": clamp(before + rng.uniform(1, 3)),
                "dissociation": clamp(rng.gauss(5, 1.5)),
                "side_effects": ",".join(
                    sorted(rng.sample(["nausea", "dizziness", "headache", "numbness"], 2))
                ),
                "bp_before_systolic": 122 + rng.randint(-6, 6),
                "bp_before_diastolic": 78 + rng.randint(-4, 4),
                "bp_after_systolic": 138 + rng.randint(-8, 8),
                "bp_after_diastolic": 86 + rng.randint(-4, 4),
                "reflection": SESSION_REFLECTIONS[n % len(SESSION_REFLECTIONS)],
                "prompts": json.dumps({}),
                "private": int(n % 4 == 3),
            }
        )
    assessments = []
    for offset in [13, *range(20, days + 1, 7)]:  # before the first infusion, then weekly
        # Both questionnaires ask about the last two weeks.
        mood = sum(expected_mood(o, offsets) for o in range(offset - 13, offset + 1)) / 14
        phq9 = [clamp(rng.gauss((10 - mood) / 3.6, 0.4), 0, 3) for _ in range(9)]
        phq9[8] = 0 if offset > 13 else 1
        gad7 = [clamp(rng.gauss((10 - mood) / 3.8, 0.4), 0, 3) for _ in range(7)]
        day = (first + timedelta(days=offset)).isoformat()
        for kind, answers in (("phq9", phq9), ("gad7", gad7)):
            assessments.append(
                {
                    "kind": kind,
                    "day": day,
                    "answers": json.dumps(answers),
                    "total": sum(answers),
                    "item9": answers[8] if kind == "phq9" else None,
                    "difficulty": 1,
                }
            )
    return checkins, sessions, assessments


def seed(db, today, hash_method="scrypt"):
    """Replace the demo account and its data; return (check-ins, sessions, assessments)."""
    now = clock.utcnow_iso()
    checkins, sessions, assessments = demo_course(today)
    stamp = {"created_at": now, "updated_at": now}
    with db.atomic():
        users.delete_by_email(db, DEMO_EMAIL)
        user_id = users.insert(
            db,
            {
                "email": DEMO_EMAIL,
                "password_hash": generate_password_hash(DEMO_PASSWORD, method=hash_method),
                "display_name": "Demo patient",
                "timezone": DEMO_TIMEZONE,
                "role": "patient",
                "created_at": now,
            },
        )
        checkin_data.insert_many(db, ({**r, **stamp, "user_id": user_id} for r in checkins))
        session_data.insert_many(db, ({**r, **stamp, "user_id": user_id} for r in sessions))
        assessment_data.insert_many(
            db, ({**r, "user_id": user_id, "created_at": now} for r in assessments)
        )
    return len(checkins), len(sessions), len(assessments)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Make (or remake) the demo patient and print how to log in."""
    db = connect(current_app.config["DATABASE"])
    try:
        migrate(db)
        counts = seed(db, timezones.local_today(DEMO_TIMEZONE), hash_method())
    finally:
        db.close()
    click.echo(
        "Demo patient ready: {} check-ins, {} sessions and {} check-ups over {} days.".format(
            *counts, DEMO_DAYS
        )
    )
    click.echo(f"Log in at /auth/login as {DEMO_EMAIL} with the password {DEMO_PASSWORD}")
