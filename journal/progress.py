"""Progress: the person's course through their sessions, as figures, JSON and charts.

The query helpers here fetch plain lists for the pure functions in
`journal/windows.py` (numbers) and `journal/charts.py` (pictures).
"""

from datetime import date

from flask import Blueprint

from . import windows
from .db import get_db

bp = Blueprint("progress", __name__)

BUILTIN_METRICS = {"mood": "Mood", "anxiety": "Anxiety", "energy": "Energy", "sleep": "Sleep"}


def metric_points(user_id, metric="mood"):
    """(date, value) for each check-in day with a value of `metric`, oldest first.

    `metric` is a built-in name or a custom symptom's id as a string ("symptom-3" style ids are
    resolved by the caller); missing values are gaps, never zeros.
    """
    db = get_db()
    if metric in ("mood", "anxiety", "energy", "sleep"):
        column = "sleep_hours" if metric == "sleep" else metric
        rows = db.execute(
            f"select day, {column} from checkins where user_id = ? and {column} is not null "  # noqa: S608
            "order by day",
            [user_id],
        ).fetchall()
    else:
        rows = db.execute(
            "select c.day, s.value from symptom_scores s join checkins c on c.id = s.checkin_id "
            "where c.user_id = ? and s.symptom_id = ? order by c.day",
            [user_id, int(metric)],
        ).fetchall()
    return [(date.fromisoformat(day), value) for day, value in rows]


def session_rows(user_id):
    """The person's sessions, oldest first, each with its number (#1 is the first)."""
    rows = list(
        get_db()["sessions"].rows_where("user_id = ?", [user_id], order_by="started_at, id")
    )
    for number, row in enumerate(rows, start=1):
        row["number"] = number
    return rows


def window_figures(user, sessions=None, points=None):
    """(baseline, [(session row, figures)]) for the signed-in person's mood."""
    sessions = session_rows(user.id) if sessions is None else sessions
    points = metric_points(user.id) if points is None else points
    dates = [date.fromisoformat(s["day"]) for s in sessions]
    base = windows.baseline(points, dates[0] if dates else None)
    figures = windows.session_windows(points, dates, base, user.window_days)
    return base, list(zip(sessions, figures, strict=True))
