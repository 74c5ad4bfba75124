"""The reads behind a person's figures and charts (journal/figures.py): daily values of a
metric from check-ins and symptom scores, and the fingerprints that validate a chart.

A metric is a check-in column (`mood`, `anxiety`, `energy`, `sleep`) or a custom symptom's
id (an int). Days are ISO text here; journal/figures.py turns them into dates.
"""

import json

# The check-in column of each built-in metric; anything else is a symptom's id.
COLUMNS = {"mood": "mood", "anxiety": "anxiety", "energy": "energy", "sleep": "sleep_hours"}


def _column(metric):
    return COLUMNS.get(metric, "sleep_hours")


def metric_points(db, user_id, metric="mood"):
    """(day, value) for each check-in day with a value of `metric`, oldest first."""
    if isinstance(metric, int):
        return db.execute(
            "select c.day, s.value from symptom_scores s join checkins c on c.id = s.checkin_id "
            "where c.user_id = ? and s.symptom_id = ? order by c.day",
            [user_id, metric],
        ).fetchall()
    column = _column(metric)
    return db.execute(
        f"select day, {column} from checkins where user_id = ? and {column} is not null "  # noqa: S608 (a fixed column)
        "order by day",
        [user_id],
    ).fetchall()


def mood_between(db, user_id, start, end):
    """(day, mood) for each check-in dated `start`..`end` (text), oldest first."""
    return db.execute(
        "select day, mood from checkins where user_id = ? and mood is not null "
        "and day between ? and ? order by day",
        [user_id, start, end],
    ).fetchall()


def mood_in_spans(db, user_id, spans):
    """(day, mood) for each check-in in any of `spans` ([(start, end)] as text, in order and
    not overlapping), oldest first: one query that reads only the days the spans hold (the
    cross join keeps the spans outside, so each is one range of the (user_id, day) index).
    The rows come in span order; they are sorted here (a pass over sorted rows) rather than
    by SQLite, which would gather them into a temporary tree first."""
    return sorted(
        db.execute(
            "select c.day, c.mood from json_each(?) as span cross join checkins as c "
            "on c.user_id = ? and c.day "
            "between json_extract(span.value, '$[0]') and json_extract(span.value, '$[1]') "
            "where c.mood is not null",
            [json.dumps(spans), user_id],
        )
    )


def first_day(db, user_id):
    """The person's first check-in, session or check-up day (text), or None."""
    return db.execute(
        "select min(day) from (select min(day) as day from checkins where user_id = :u "
        "union all select min(day) from sessions where user_id = :u "
        "union all select min(day) from assessments where user_id = :u)",
        {"u": user_id},
    ).fetchone()[0]


def last_checkin_day(db, user_id):
    """The day (text) of the person's latest check-in, or None (the index's last entry)."""
    return db.execute("select max(day) from checkins where user_id = ?", [user_id]).fetchone()[0]


def last_lived_day(db, user_id, now):
    """The latest (text) of the person's latest check-in day, latest check-up day and the day
    of their latest session that has started by `now` (ISO UTC text, as sessions'
    started_at), or None. A check-up is dated the day it was taken (never later), so each of
    these is a day the person has lived."""
    return db.execute(
        "select max(day) from (select max(day) as day from checkins where user_id = :u "
        "union all select max(day) from assessments where user_id = :u "
        "union all select max(day) from sessions where user_id = :u and started_at <= :now)",
        {"u": user_id, "now": now},
    ).fetchone()[0]


def change_counts(db, user_id):
    """{"checkins", "sessions", "assessments"}: how many times each of the person's tables
    has changed (check-ins with their symptom scores), as the triggers of migration m025
    count them. One lookup by primary key, however long the history: what a chart's ETag
    is made of."""
    row = db.execute(
        "select checkins, sessions, assessments from change_counts where user_id = ?",
        [user_id],
    ).fetchone()
    return dict(zip(("checkins", "sessions", "assessments"), row or (0, 0, 0), strict=True))
