import json
from datetime import date

from factories import insert

from journal.access import flagged_days, person, shared_reflections


def add(app, table, **row):
    insert(app, table, stamp="t", **row)


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


# Issue 8: a session's low mood flags its day (the crisis panel's rule), most serious first


def test_flagged_days_include_sessions_with_a_low_last_mood(app, patient):
    def session(day, before, after, private=0):
        row = session_row(day, "PRIVATE trip" if private else "", private, {})
        add(app, "sessions", **row, mood_before=before, mood_after=after)

    session("2026-01-01", 5, 2)
    session("2026-01-02", 5, 0, private=1)  # private: flagged all the same, without words
    session("2026-01-03", 5, 3)
    session("2026-01-04", 1, None)  # no rating after: the rating before is the last
    session("2026-01-05", 1, 3)
    session("2026-01-06", None, None)
    session("2026-01-07", 6, 1)
    add(app, "checkins", day="2026-01-07", mood=2, self_harm=1)
    add(app, "assessments", kind="phq9", day="2026-01-07", answers="[]", total=9, item9=1)
    with app.app_context():
        flags = flagged_days(1)
        in_range = flagged_days(1, date(2026, 1, 2), date(2026, 1, 4))
    assert flags == [
        {"day": "2026-01-01", "reasons": ["mood 2 of 10 after a session"]},
        {"day": "2026-01-02", "reasons": ["mood 0 of 10 after a session"]},
        {"day": "2026-01-04", "reasons": ["mood 1 of 10 before a session"]},
        {
            "day": "2026-01-07",
            "reasons": [
                "thoughts of self-harm reported",
                "PHQ-9 item 9 answered 1 of 3",
                "mood 2 of 10",
                "mood 1 of 10 after a session",
            ],
        },
    ]
    assert "PRIVATE" not in json.dumps(flags)
    assert [f["day"] for f in in_range] == ["2026-01-02", "2026-01-04"]


def test_the_flag_threshold_is_the_crisis_panels(app, client, patient):
    from journal.rules import CRISIS_MOOD

    # The crisis panel follows a session whose last mood is CRISIS_MOOD, and the day is flagged.
    response = client.post(
        "/sessions/new",
        data={
            "started_at": "2026-01-05T10:00",
            "product": "ketamine",
            "route": "iv",
            "mood_after": str(CRISIS_MOOD),
        },
    )
    assert response.status_code == 302, response.text
    assert 'id="crisis-resources"' in client.get(response.location).text
    with app.app_context():
        assert flagged_days(1) == [
            {"day": "2026-01-05", "reasons": [f"mood {CRISIS_MOOD} of 10 after a session"]}
        ]
