import json
from datetime import date

from journal.db import get_db
from journal.sharing import flagged_days, person, shared_reflections


def add(app, table, **row):
    with app.app_context():
        get_db()[table].insert(
            {
                "user_id": 1,
                "created_at": "t",
                **({} if table == "assessments" else {"updated_at": "t"}),
                **row,
            }
        )


def session_row(day, text, private, prompts):
    return {
        "started_at": f"{day}T10:00:00+00:00",
        "day": day,
        "product": "ketamine",
        "route": "iv",
        "reflection": text,
        "private": private,
        "prompts": json.dumps(prompts),
    }


def test_private_reflections_never_shared(app, patient):
    add(app, "checkins", day="2026-01-02", mood=5, reflection="shared words", private=0)
    add(app, "checkins", day="2026-01-01", mood=5, reflection="PRIVATE words", private=1)
    add(app, "checkins", day="2026-01-03", mood=5, reflection="", private=0)
    add(app, "sessions", **session_row("2026-01-04", "", 0, {"carry": "shared answer"}))
    add(app, "sessions", **session_row("2026-01-05", "PRIVATE trip", 1, {"carry": "PRIVATE a"}))
    with app.app_context():
        items = shared_reflections(1)
    assert [(i["day"], i["kind"], i["text"]) for i in items] == [
        ("2026-01-02", "check-in", "shared words"),
        ("2026-01-04", "session", ""),
    ]
    assert items[1]["answers"] == [
        ("What would you like to carry into the coming days?", "shared answer")
    ]
    assert "PRIVATE" not in json.dumps(items)


def test_reflections_in_range(app, patient):
    for day in ("2026-01-01", "2026-01-15", "2026-02-01"):
        add(app, "checkins", day=day, mood=5, reflection=f"on {day}")
    with app.app_context():
        days = [i["day"] for i in shared_reflections(1, date(2026, 1, 1), date(2026, 1, 31))]
        only_end = [i["day"] for i in shared_reflections(1, None, date(2026, 1, 1))]
    assert days == ["2026-01-01", "2026-01-15"]
    assert only_end == ["2026-01-01"]


def test_flagged_days(app, patient):
    add(app, "checkins", day="2026-01-01", mood=2)
    add(app, "checkins", day="2026-01-02", mood=3)
    add(app, "checkins", day="2026-01-03", mood=7, self_harm=1)
    add(app, "assessments", kind="phq9", day="2026-01-03", answers="[]", total=9, item9=2)
    add(app, "assessments", kind="phq9", day="2026-01-04", answers="[]", total=9, item9=0)
    with app.app_context():
        flags = flagged_days(1)
        later = flagged_days(1, start=date(2026, 1, 2))
    assert flags == [
        {"day": "2026-01-01", "reasons": ["mood 2 of 10"]},
        {
            "day": "2026-01-03",
            "reasons": ["thoughts of self-harm reported", "PHQ-9 item 9 answered 2 of 3"],
        },
    ]
    assert [f["day"] for f in later] == ["2026-01-03"]


def test_other_peoples_data_is_not_theirs(app, auth):
    auth.register(email="one@example.com")
    auth.logout()
    auth.register(email="two@example.com")
    add(app, "checkins", day="2026-01-01", mood=1, reflection="one's words")
    with app.app_context():
        assert shared_reflections(2) == [] and flagged_days(2) == []
        assert person(1).email == "one@example.com" and person(99) is None
