"""`flask --app journal seed-demo`: a demo patient with months of believable data."""

import random
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.security import generate_password_hash

from . import timezones
from .db import connect

DEMO_EMAIL = "demo@afterglow.example"
DEMO_PASSWORD = "afterglow-demo"  # noqa: S105 (a published demo account)
DEMO_DAYS = 120

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
TAGS = [
    "slept well",
    "slept badly",
    "exercise",
    "outdoors",
    "friends",
    "family",
    "work",
    "therapy",
    "integration",
    "meditation",
    "stress",
]


def demo_checkins(today, days=DEMO_DAYS, seed=7):
    """Daily check-ins ending `today`: a low, noisy start that lifts slowly, with gaps."""
    rng = random.Random(seed)
    rows = []
    for back in range(days, -1, -1):
        day = today - timedelta(days=back)
        if rng.random() < 0.08:  # people miss days
            continue
        progress = (days - back) / days
        mood = round(min(10, max(0, rng.gauss(3 + 3.2 * progress, 1.1))))
        wrote = rng.random() < 0.55
        rows.append(
            {
                "day": day.isoformat(),
                "mood": mood,
                "anxiety": round(min(10, max(0, rng.gauss(7 - 3 * progress, 1.3)))),
                "energy": round(min(10, max(0, rng.gauss(mood - 0.5, 1.2)))),
                "sleep_hours": min(24, max(0, round(rng.gauss(6.8, 1.1) * 2) / 2)),
                "tags": ", ".join(rng.sample(TAGS, rng.randint(0, 3))),
                "reflection": rng.choice(REFLECTIONS) if wrote else "",
                "private": int(wrote and rng.random() < 0.3),
                "self_harm": 0,
            }
        )
    return rows


def seed(db, today, hash_method="scrypt"):
    """Replace the demo account and its data; return the number of check-ins made."""
    now = timezones.utcnow_iso()
    with db.atomic():
        db.execute("delete from users where email = ?", [DEMO_EMAIL])
        user_id = (
            db["users"]
            .insert(
                {
                    "email": DEMO_EMAIL,
                    "password_hash": generate_password_hash(DEMO_PASSWORD, method=hash_method),
                    "display_name": "Demo patient",
                    "timezone": "America/New_York",
                    "role": "patient",
                    "created_at": now,
                }
            )
            .last_pk
        )
        rows = demo_checkins(today)
        db["checkins"].insert_all(
            {**row, "user_id": user_id, "created_at": now, "updated_at": now} for row in rows
        )
    return len(rows)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Make (or remake) the demo patient and print how to log in."""
    db = connect(current_app.config["DATABASE"])
    try:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        count = seed(db, timezones.local_today("America/New_York"), method)
    finally:
        db.close()
    click.echo(f"Demo patient ready with {count} check-ins over {DEMO_DAYS} days.")
    click.echo(f"Log in at /auth/login as {DEMO_EMAIL} with the password {DEMO_PASSWORD}")
