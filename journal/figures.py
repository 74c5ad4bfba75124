"""A person's figures and charts: the read model behind /progress, summary.json, the shared
view (links and the caseload), the sessions pages and the PDF report.

Not a view (no Blueprint): every page that shows a person's course calls here. It fetches
plain rows through `journal/data/`, turns them into numbers with `journal/windows.py` and
`journal/instruments.py` and into pictures with `journal/charts.py`. A chart's ETag is a
fingerprint of exactly what the chart is drawn from (the range, the settings, and how many
times each table it draws on has changed: `change_counts`, kept by triggers), found in one
lookup by primary key, so a repeated request answers 304 before anything is read or drawn,
and a new or changed entry changes the chart at once. summary.json reads only the check-ins
the baseline and the windows stand on, in one query, and three check-ups per instrument.

Decisions: `days=30|90|365` ends today in the person's time zone; `all` starts
at their first entry. Every range starts no earlier than the person's first day (their first
check-in, session or check-up, or the day the account was made when there is none), so a new
patient reads "check-ins on 4 of 5 days", not 4 of 90. A metric other than mood has its own
baseline, defined as mood's is (14 days before the first session, at least 3 values). The
mood calendar shows at most the last 365 days of the range.

`some_window_figures` gives a page of sessions their figures from only what their windows
reach, and `window_label` words the days a window stands on ("days 1–4 (cut short)") for the
sessions pages and the PDF report.
"""

import hashlib
import json
from datetime import date, timedelta
from functools import lru_cache

from flask import Response, abort, current_app, request

from . import access, charts, clock, instruments, timezones, windows
from .charts import CHARTS
from .data import assessments as assessment_data
from .data import progress as progress_data
from .data import sessions as session_data
from .data import symptoms as symptom_data
from .db import get_db
from .joined import joined_day
from .numbers import difference, figure, plural, rounded, rounded_difference
from .rules import (
    BASELINE_DAYS,
    BASELINE_MIN_CHECKINS,
    CHECKUP_EVERY_DAYS,
    LIFT_HORIZON_DAYS,
    PRE_LEVEL_DAYS,
    RECENT_DAYS,
    REMISSION_AT_MOST,
    ROLLING_DAYS,
    lower_is_better,
    response_at_most,
)
from .timezones import day_text

RANGES = {"30": 30, "90": 90, "365": 365, "all": None}
# Each range's button on the page, in RANGES's order.
RANGE_WORDS = {"30": "30 days", "90": "90 days", "365": "1 year", "all": "All"}
# The range of a page or chart whose address names none.
DEFAULT_RANGE = "90"
BUILTIN_METRICS = {"mood": "Mood", "anxiety": "Anxiety", "energy": "Energy", "sleep": "Sleep"}
# The lift chart draws the latest LIFT_CHART_MAX sessions of the range (12 rows fit a phone;
# those up to the latest with a figure when none of them has one, lift_drawn);
# its table lists every session of the range, up to TABLE_SESSIONS_MAX.
LIFT_CHART_MAX = 12
HEATMAP_MAX_DAYS = 365
# The most sessions the window table lists (the latest of the range); 90 days hold at most
# 360 (session_record.PER_DAY_MAX a day).
TABLE_SESSIONS_MAX = 100
THEMES = ("light", "dark")
SUGGEST_EVERY = timedelta(days=CHECKUP_EVERY_DAYS)


# Fetching


def _dated(rows):
    """(day text, value) rows as (date, value) pairs."""
    return [(date.fromisoformat(day), value) for day, value in rows]


def metric_points(user_id, metric="mood"):
    """(date, value) for each check-in day with a value of `metric`, oldest first.

    `metric` is a built-in name or a custom symptom's id (int); a missing value is a gap.
    """
    return _dated(progress_data.metric_points(get_db(), user_id, metric))


def session_rows(user_id):
    """The person's sessions, oldest first, each with its number (#1 is the first)."""
    return list(numbered_sessions(user_id))


def numbered_sessions(user_id):
    """session_rows one at a time, read from the database as they are taken. The one place
    that orders and numbers a person's sessions is `data.sessions.numbered`, which the
    streamed exports read too (exports/reading.py)."""
    return session_data.numbered(get_db(), user_id)


def assessment_scores(user_id, kind):
    """(date, total) of each PHQ-9 or GAD-7, oldest first."""
    return _dated(assessment_data.scores(get_db(), user_id, kind))


def summary_scores(user_id, kind, first_session):
    """The (date, total) pairs windows' summaries read, oldest first: the first day's, the
    last on or before `first_session` and the latest, each the later of its day. The
    summaries are the same as from every score, for three index lookups."""
    first = None if first_session is None else first_session.isoformat()
    return sorted(_dated(assessment_data.summary_scores(get_db(), user_id, kind, first)))


def latest_item9(user_id, kind, end):
    """The safety item's answer (PHQ-9 item 9) of the latest `kind` on or before `end`, or
    None (no such check-up, or an instrument without the item)."""
    return assessment_data.latest_item9(get_db(), user_id, kind, end.isoformat())


def suggested_from(latest_day):
    """The day the next check-up of a kind is suggested from, SUGGEST_EVERY after the day
    (text) of the latest; None without one (suggested now)."""
    return None if latest_day is None else date.fromisoformat(latest_day) + SUGGEST_EVERY


def is_due(suggested, today):
    """True when a check-up suggested from `suggested` (suggested_from) is due by `today`."""
    return suggested is None or suggested <= today


def phq9_due(user):
    """True when no PHQ-9 is dated within the last week (suggested weekly and before a session)."""
    latest = assessment_data.latest_day(get_db(), user.id, "phq9")
    return is_due(suggested_from(latest), timezones.local_today(user.timezone))


def window_figures(user, sessions=None, points=None):
    """(baseline, [(session row, figures)]) for `points` (the person's mood by default)."""
    sessions = session_rows(user.id) if sessions is None else sessions
    points = metric_points(user.id) if points is None else points
    dates = [date.fromisoformat(s["day"]) for s in sessions]
    base = windows.baseline(points, dates[0] if dates else None)
    figures = windows.session_windows(points, dates, base, user.window_days)
    return base, list(zip(sessions, figures, strict=True))


def first_session_day(user_id):
    """The day of the person's first session (in date order, as session_rows orders), or None."""
    day = session_data.first_day(get_db(), user_id)
    return date.fromisoformat(day) if day else None


def last_session_day(user_id):
    """The latest day any of the person's sessions is dated, or None."""
    day = session_data.last_day(get_db(), user_id)
    return date.fromisoformat(day) if day else None


def latest_score(user_id, kind):
    """(date, total, safety item's answer) of the person's latest PHQ-9 or GAD-7 (the later of
    its day), or None. The answer is PHQ-9 item 9's (None for the GAD-7), as latest_item9
    gives it: an answer above 0 is said beside the total, whatever the total."""
    rows = assessment_data.newest(get_db(), user_id, kind, limit=1)
    if not rows:
        return None
    return date.fromisoformat(rows[0]["day"]), rows[0]["total"], rows[0]["item9"]


def mood_between(user_id, start, end):
    """(date, mood) for each check-in dated start..end, oldest first (metric_points, bounded)."""
    return _dated(progress_data.mood_between(get_db(), user_id, start.isoformat(), end.isoformat()))


def mood_around(user_id, first, days, window_days):
    """(date, mood), oldest first, of the check-ins that the baseline (the 14 days before
    `first`, the first session's day) and the windows of sessions on `days` stand on: a
    window reads days -3..window_days of its session. One query, over only those days."""
    reach = [
        (day - timedelta(days=PRE_LEVEL_DAYS), day + timedelta(days=window_days)) for day in days
    ]
    if first is not None:
        reach.append((first - timedelta(days=BASELINE_DAYS), first))
    return _mood_in(user_id, reach)


def review_points(user_id, today, first):
    """(date, mood), oldest first, of the check-ins a caseload row reads (caseload.review):
    the latest, the RECENT_DAYS days up to it or to `today` (the later), and the baseline's
    days before `first` (the first session's day). Index lookups, whatever the history."""
    last = progress_data.last_checkin_day(get_db(), user_id)
    if last is None:
        return []
    last = date.fromisoformat(last)
    end = max(today, last)
    reach = [(last, last), (end - timedelta(days=RECENT_DAYS - 1), end)]
    if first is not None:
        reach.append((first - timedelta(days=BASELINE_DAYS), first))
    return _mood_in(user_id, reach)


def _mood_in(user_id, reach):
    """(date, mood), oldest first, of the check-ins dated within any of the (low, high)
    spans of `reach`: one query over only those days."""
    spans = []  # the days to read, overlapping or touching spans merged
    for low, high in sorted(reach):
        if spans and low <= spans[-1][1] + timedelta(days=1):
            spans[-1][1] = max(spans[-1][1], high)
        else:
            spans.append([low, high])
    if not spans:
        return []
    bounds = [[low.isoformat(), high.isoformat()] for low, high in spans]
    return _dated(progress_data.mood_in_spans(get_db(), user_id, bounds))


def some_window_figures(user, rows):
    """(mood baseline, [(row, figures, window label)]) for `rows`, some of the person's sessions
    oldest first (a page of the list, or one session): the figures window_figures and the
    labels window_labels give them among all the person's sessions, from only what their
    windows reach.

    A window stands on the check-ins of its days -3..window_days and is cut by the next
    session within window_days; the baseline on the 14 days before the first session. So
    this fetches those check-ins and the sessions from the first row's day to window_days
    after the last row's, and a page costs the same however long the history is.
    """
    if not rows:
        return None, []
    window_days = user.window_days
    first = first_session_day(user.id)
    days = sorted({date.fromisoformat(row["day"]) for row in rows})
    near = session_data.between(
        get_db(),
        user.id,
        days[0].isoformat(),
        (days[-1] + timedelta(days=window_days)).isoformat(),
    )
    points = mood_around(user.id, first, days, window_days)
    base = windows.baseline(points, first)
    figures = windows.session_windows(
        points, [date.fromisoformat(s["day"]) for s in near], base, window_days
    )
    by_id = {
        s["id"]: (f, label)
        for s, f, label in zip(
            near,
            figures,
            window_labels(near, window_days, timezones.local_today(user.timezone)),
            strict=True,
        )
    }
    return base, [(row, *by_id[row["id"]]) for row in rows]


# Parameters


def date_range(days_param, today, first_day):
    """(start, end) for a `days` value; 400 for anything but 30, 90, 365 or all.

    The start is never before `first_day` (the person's first day here), nor after today.
    """
    if days_param not in RANGES:
        abort(400, description="Choose a range of 30, 90 or 365 days, or all.")
    days = RANGES[days_param]
    start = first_day or today if days is None else today - timedelta(days=days - 1)
    if first_day is not None:
        start = max(start, first_day)
    return min(start, today), today


def last_day(person, today=None):
    """The person's today, or a later day they have already lived: the day of their latest
    check-in or check-up, or of their latest session that has started, when it is after
    today. Such a day was saved under a time zone ahead of the one they have now (they moved
    west), and counts as `cards` counts it: the range of every view (the page, its charts,
    the report) may end on it.
    A session that has not started yet (started_at after now) never moves it."""
    today = timezones.local_today(person.timezone) if today is None else today
    day = progress_data.last_lived_day(get_db(), person.id, clock.utcnow_iso())
    return max(today, date.fromisoformat(day)) if day else today


def first_day(user_id):
    """The person's first check-in, session or assessment day, or None."""
    day = progress_data.first_day(get_db(), user_id)
    return date.fromisoformat(day) if day else None


# Building the data a chart draws (pure: plain data in, plain data out)


def in_range(points, start, end):
    """The (date, value) points with start <= date <= end."""
    return [(d, v) for d, v in points if start <= d <= end]


def entry_of(label):
    """What one day's value of the metric labelled `label` is called, singular and plural:
    mood's are check-ins (every check-in has one); another rating, which a check-in may leave
    out, is named for itself ("anxiety entry", a symptom as the person wrote it), so that a
    count of its days never reads as the check-ins the calendar beside it shows."""
    if label == BUILTIN_METRICS["mood"]:
        return charts.CHECK_IN
    name = label.lower() if label in BUILTIN_METRICS.values() else label
    return (f"{name} entry", f"{name} entries")


def timeline_data(points, sessions, window_days, start, end, label, y_max):
    """Keyword arguments for charts.mood_timeline."""
    return {
        "points": in_range(points, start, end),
        # Each day's average reaches ROLLING_DAYS back: from the days it needs, not the
        # whole history (ten years of it for a chart of 30 days).
        "rolling": in_range(
            windows.rolling_mean(in_range(points, start - timedelta(ROLLING_DAYS - 1), end)),
            start,
            end,
        ),
        # Sessions shortly before the range are included: their windows reach into it.
        "sessions": [
            (date.fromisoformat(s["day"]), f"#{s['number']}")
            for s in sessions
            if start - timedelta(days=window_days) <= date.fromisoformat(s["day"]) <= end
        ],
        "window_days": window_days,
        "start": start,
        "end": end,
        "label": label,
        "y_max": y_max,
        "entry": entry_of(label),
    }


def session_label(number, day, today):
    """A session as the charts and their words name it: "#3 4 Nov", or "#3 4 Nov 2025" in
    another year than `today`'s (a past year's session read as this year's without it)."""
    return f"#{number} {timezones.day_text_near(day, today)}"


def overlay_data(points, sessions, window_days, start, end, label, today):
    """(keyword arguments for charts.window_overlay, the baseline it is drawn against, used).

    `used` holds (label, last window day) for each drawn session: the last day is below
    window_days when the next session cut the window short. A session is labelled "#3 4 Nov",
    with its year when that is not `today`'s (session_label).
    """
    dates = [date.fromisoformat(s["day"]) for s in sessions]
    base = windows.baseline(points, dates[0] if dates else None)
    all_series = windows.window_series(points, dates, base, window_days)
    ends = windows.window_ends(dates, window_days)
    drawn = [
        (session_label(s["number"], d, today), pts, last)
        for s, d, pts, last in zip(sessions, dates, all_series, ends, strict=True)
        if start <= d <= end and pts
    ]
    series = [(name, pts) for name, pts, _ in drawn]
    return (
        {
            "series": series,
            "mean": windows.mean_series([pts for _, pts in series], window_days),
            "window_days": window_days,
            "label": label,
            "has_baseline": base is not None,
            "entry": entry_of(label),
        },
        base,
        [(name, last) for name, _, last in drawn],
    )


def assessments_data(phq9, gad7, sessions, start, end):
    """Keyword arguments for charts.assessments_chart."""
    return {
        "phq9": in_range(phq9, start, end),
        "gad7": in_range(gad7, start, end),
        "sessions": [
            date.fromisoformat(s["day"])
            for s in sessions
            if start <= date.fromisoformat(s["day"]) <= end
        ],
        "start": start,
        "end": end,
    }


def lift_sessions_in_range(sessions, start, end):
    """The sessions of lift_course(...)["sessions"] dated start..end, oldest first."""
    return [s for s in sessions if start <= s["day"] <= end]


def lift_drawn(sessions, start, end):
    """(the sessions of lift_course(...)["sessions"] that the lift chart draws, oldest
    first; how many sessions the range holds; how many of them come after the drawn ones):
    the sessions dated in the range (the range
    decides which sessions, not which of their days: a lift is measured over the 42 days
    after its session, wherever they fall), the latest LIFT_CHART_MAX of them. When none of
    those has a figure but an earlier session of the range has, the LIFT_CHART_MAX sessions
    up to the latest one with a figure instead: never a chart of "no figure" rows beside a
    sentence that counts measured lifts."""
    shown = lift_sessions_in_range(sessions, start, end)
    end_at = len(shown)
    if not any(s["lift_days"] is not None for s in shown[-LIFT_CHART_MAX:]):
        measured = [n for n, s in enumerate(shown) if s["lift_days"] is not None]
        if measured:
            end_at = measured[-1] + 1
    return shown[max(0, end_at - LIFT_CHART_MAX) : end_at], len(shown), len(shown) - end_at


def lift_data(sessions, start, end, today):
    """Keyword arguments for charts.lift_chart: the sessions lift_drawn draws, labelled
    "#3 4 Nov" (session_label); `total` is how many sessions the range holds, and `later`,
    only when the drawn sessions are not the range's latest, how many come after them (none
    with a figure)."""
    drawn, total, later = lift_drawn(sessions, start, end)
    data = {
        "sessions": [
            (session_label(s["number"], s["day"], today), s["lift_days"], s["lift_ended"])
            for s in drawn
        ],
        "total": total,
    }
    if later:
        data["later"] = later
    return data


# Raise when charts.py draws differently, so browsers fetch the new picture after a deploy.
CHART_VERSION = 4


def chart_etag(person, name, theme, fmt, metric, label, y_max, start, end):
    """A strong ETag for `person`'s chart `name`: a hash of everything the chart is drawn
    from, without reading it. The drawing version, name, theme and format, the person, the
    metric and how it is labelled, the window length and the range; and how many times each
    table the chart draws on (the check-ins or the check-ups, and the sessions) has changed.
    One lookup by primary key, whatever the history."""
    counts = progress_data.change_counts(get_db(), person.id)
    payload = json.dumps(
        [
            CHART_VERSION,
            name,
            theme,
            fmt,
            person.id,
            metric,
            label,
            y_max,
            person.window_days,
            start.isoformat(),
            end.isoformat(),
            counts["assessments" if name == "assessments" else "checkins"],
            counts["sessions"],
        ]
    )
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


# Describing charts in words, for screen readers and for anyone


def describe_timeline(data):
    """A text alternative for the timeline. The label leads ("Rumination from …"), so a rating
    other than mood counts plain "entries", not "Rumination entries" again; mood's count is of
    check-ins (every check-in has one)."""
    points, label = data["points"], data["label"]
    entries = data["entry"][1] if data["entry"] == charts.CHECK_IN else "entries"
    span = f"{day_text(data['start'], 'date_year')} to {day_text(data['end'], 'date_year')}"
    if not points:
        return f"{label} from {span}: no {entries} in this range."
    low = min(points, key=lambda p: p[1])
    high = max(points, key=lambda p: p[1])
    mean = sum(v for _, v in points) / len(points)
    sessions = sum(1 for day, _ in data["sessions"] if data["start"] <= day <= data["end"])
    days = (data["end"] - data["start"]).days + 1
    # Over more than a year a day and month ("8 Dec") can name two days: the year says which.
    length = "date_year" if days > 365 else "date"
    return (
        f"{label} from {span}: {entries} on {len(points)} of {plural(days, 'day')}, averaging "
        f"{figure(mean)}; lowest {low[1]:g} on {day_text(low[0], length)}, highest "
        f"{high[1]:g} on {day_text(high[0], length)}. {plural(sessions, 'session')} in this "
        "range."
    )


def days_used(last):
    """The window days a session had, up to day `last`: "days 1–4", "day 1", "day 0 only"."""
    if last >= 2:
        return f"days 1\u2013{last}"
    return "day 1" if last == 1 else "day 0 only"


def window_label(last, window_days, so_far=None):
    """The days a session's window figures stand on, for their label (`last` from
    windows.window_ends): "days 1–7", "days 1–4 (cut short)", "day 1 (cut short)", or why
    there are none (the next session the next day, or later the same day). `so_far`, the
    days since the session as of today, marks a window still under way: "days 1–3 so far",
    "no days yet"."""
    if so_far is not None and so_far < min(last, window_days):
        return f"{days_used(so_far)} so far" if so_far >= 1 else "no days yet"
    if last >= window_days:
        return f"days 1\u2013{window_days}"
    if last >= 1:
        return f"{days_used(last)} (cut short)"
    if last == 0:
        return "no days (the next session was the next day)"
    return "no days (another session followed the same day)"


def window_labels(sessions, window_days, today=None):
    """window_label for each of `sessions` (rows with "day", oldest first), in order; with
    `today`, a window not over by then says how many of its days have passed."""
    dates = [date.fromisoformat(s["day"]) for s in sessions]
    return [
        window_label(last, window_days, None if today is None else (today - day).days)
        for day, last in zip(dates, windows.window_ends(dates, window_days), strict=True)
    ]


def describe_overlay(data, base, used=(), metric="mood"):
    """A text alternative for the window overlay of `metric` (a built-in's name or a
    symptom's id).

    Day 0 (the session's own date) is told apart from the days after it (1..window_days), and
    a window cut short by the next session says which days it had (`used`, from overlay_data).
    The best day after is the highest mean change, or the lowest for a scale that eases as it
    falls (rules.lower_is_better: anxiety, a symptom): "highest ... -1.0" named anxiety's
    worse day.
    """
    label, entries = data["label"], data["entry"][1]
    if base is None:
        return (
            f"{label} after sessions: no baseline yet. It needs at least "
            f"{BASELINE_MIN_CHECKINS} {entries} in the {BASELINE_DAYS} days before the first "
            "session."
        )
    if not data["series"]:
        return f"{label} after sessions: no sessions with {entries} around them in this range."
    days = data["window_days"]
    parts = [
        f"{label} against a baseline of {figure(base)}, for "
        f"{plural(len(data['series']), 'session')}: day 0 is the session's date, days "
        f"1\u2013{days} the {plural(days, 'day')} after it."
    ]

    def shown(change):
        # As the tables show a change: the mood as shown less the baseline as shown, so the
        # text never reads +3.8 where the table beside it reads +3.7 for the same day.
        return difference(change + base, base)

    day0 = [change for offset, change in data["mean"] if offset == 0]
    if day0:
        parts.append(f"On the session's date the mean change was {shown(day0[0])}.")
    after = [(offset, change) for offset, change in data["mean"] if offset >= 1]
    if after:
        falls = lower_is_better(metric)
        best = (min if falls else max)(after, key=lambda p: p[1])  # the earliest, on a tie
        overall = sum(change for _, change in after) / len(after)
        parts.append(
            f"In the days after, the change was {shown(overall)} on average; the "
            f"{'lowest' if falls else 'highest'} mean change was {shown(best[1])} on day "
            f"{best[0]}."
        )
    else:
        parts.append(f"No {entries} in the days after.")
    short = [f"{name}, {days_used(last)}" for name, last in used if last < days]
    if short:
        parts.append("Cut short by the next session: " + "; ".join(short) + ".")
    return " ".join(parts)


def describe_assessments(data):
    """A text alternative for the assessments chart."""
    parts = []
    for key, instrument in instruments.INSTRUMENTS.items():
        scores = data[key]
        if scores:
            last_day, last = scores[-1]
            parts.append(
                f"{instrument.title}: {len(scores)} in this range, latest {last} "
                f"({instruments.band(key, last)}) on {day_text(last_day, 'date_year')}"
            )
        else:
            parts.append(f"{instrument.title}: none in this range")
    return "; ".join(parts) + "."


def describe_lift(data, base, open_at=None):
    """A text alternative for the lift chart (`data` from lift_data; `base` the mood
    baseline, the reference when established): each drawn session's lift in words, oldest
    first: "9 days", "at least 15 days and still going when the next session came", "0
    days", "no figure". `open_at` holds, for each drawn session, why an open lift is open
    (lift_drawn's sessions' "open_at"); without it an open lift's words name every way a
    lift can be open."""
    sessions, total = data["sessions"], data["total"]
    if not sessions:
        return "How long the lift lasted: no sessions in this range."
    reference = (
        f"the baseline of {figure(base)}"
        if base is not None
        else f"the mean mood of the {PRE_LEVEL_DAYS} days before each session"
    )
    count = plural(len(sessions), "session")
    later = data.get("later", 0)
    if later:
        count = (
            f"{len(sessions)} of the {plural(total, 'session')} in this range, up to the "
            "latest with a figure"
        )
    elif total > len(sessions):
        count = f"the latest {len(sessions)} of the {plural(total, 'session')} in this range"
    open_at = [None] * len(sessions) if open_at is None else open_at
    parts = []
    unknown = False
    for (label, days, ended), reason in zip(sessions, open_at, strict=True):
        if days is None:
            parts.append(f"{label}, no figure")
        elif ended:
            parts.append(f"{label}, {plural(days, 'day')}")
        elif reason in OPEN_AT:
            parts.append(
                f"{label}, at least {plural(days, 'day')} and still going {OPEN_AT[reason]}"
            )
        else:
            unknown = True
            parts.append(f"{label}, at least {plural(days, 'day')} and still going")
    return (
        f"How many days mood stayed above {reference} after each of {count}: "
        + "; ".join(parts)
        + "."
        + (f" A lift still going had not ended {OPEN_AT_ANY}." if unknown else "")
        + (
            f" The {plural(later, 'later session')} of this range"
            f" {'has' if later == 1 else 'have'} no figure."
            if later
            else ""
        )
    )


# What the pages show. Every function below takes the `person` whose progress is shown (a
# User: the signed-in patient on /progress; the patient behind a share link or a caseload
# row elsewhere), so that shared, read-only views draw exactly what the patient sees.


def resolve_metric(person, name, shared=False, offered=None):
    """(key for metric_points, label, y_max) for a `metric` value; 400 when unknown.

    A symptom is a metric only where the viewer may see it: among `offered`, the view's
    `access.symptoms_seen` (read here when the view has not; never in a shared view, a link or
    the caseload).
    """
    if name in BUILTIN_METRICS:
        return name, BUILTIN_METRICS[name], 24 if name == "sleep" else 10
    if offered is None:
        offered = access.symptoms_seen(person, shared)
    symptom = symptom_data.named(offered, name)
    if symptom is None:
        abort(400, description="That is not a symptom tracked here.")
    return symptom["id"], symptom["name"], 10


def start_day(person):
    """The person's first day: their first entry, or the day they joined when there is none."""
    return first_day(person.id) or joined_day(person)


def course(person, metric="mood", scores=True, today=None, first=None):
    """Everything the page, charts and summary draw on, fetched once per request; the
    PHQ-9 and GAD-7 scores only with `scores` (a chart other than the assessments has no
    use for them). `today` and `first` (the person's first day), when the caller has them
    already. The sessions are what the figures and charts read of them (id, day, route and
    number)."""
    data = {
        "today": timezones.local_today(person.timezone) if today is None else today,
        "metric": metric,
        "points": metric_points(person.id, metric),
        "sessions": session_data.numbered_brief(get_db(), person.id),
        "first_day": start_day(person) if first is None else first,
    }
    if scores:
        data["phq9"] = assessment_scores(person.id, "phq9")
        data["gad7"] = assessment_scores(person.id, "gad7")
    return data


def chart_data(person, name, data, metric_label, y_max, start, end):
    """(data for the chart function, text alternative) of chart `name`."""
    window_days = person.window_days
    if name == "mood-timeline":
        kwargs = timeline_data(
            data["points"], data["sessions"], window_days, start, end, metric_label, y_max
        )
        return kwargs, describe_timeline(kwargs)
    if name == "window-overlay":
        kwargs, base, used = overlay_data(
            data["points"], data["sessions"], window_days, start, end, metric_label, data["today"]
        )
        return kwargs, describe_overlay(kwargs, base, used, data["metric"])
    if name == "lift":
        # Mood's lift whatever the metric; the page passes its lift_course in `data`, a chart
        # its course's sessions (read once a request).
        lift = data.get("lift") or lift_course(person, sessions=data["sessions"])
        kwargs = lift_data(lift["sessions"], start, end, data["today"])
        drawn = lift_drawn(lift["sessions"], start, end)[0]
        open_at = [s.get("open_at") for s in drawn]
        return kwargs, describe_lift(kwargs, lift["baseline"], open_at)
    kwargs = assessments_data(data["phq9"], data["gad7"], data["sessions"], start, end)
    return kwargs, describe_assessments(kwargs)


DRAW = {
    "mood-timeline": charts.mood_timeline,
    "window-overlay": charts.window_overlay,
    "assessments": charts.assessments_chart,
    "lift": charts.lift_chart,
}


def chart_response(person, name, fmt, args, shared=False):
    """A chart of `person`'s data as SVG or PNG, or 304 when the browser's copy is current
    (answered from the chart's fingerprint, before any of its data is read)."""
    if name not in CHARTS or fmt not in ("svg", "png"):
        abort(404)
    theme = args.get("theme", "light")
    if theme not in THEMES:
        abort(400, description="Choose the light or dark theme.")
    metric, label, y_max = resolve_metric(person, args.get("metric", "mood"), shared)
    today, first = timezones.local_today(person.timezone), start_day(person)
    start, end = date_range(args.get("days", DEFAULT_RANGE), today, first)
    end = last_day(person, end)  # as the page's range (view_context)
    tag = chart_etag(person, name, theme, fmt, metric, label, y_max, start, end)
    headers = {"ETag": f'"{tag}"', "Cache-Control": "private, no-cache"}
    if tag in request.if_none_match:
        return Response(status=304, headers=headers)
    data = course(person, metric, scores=name == "assessments", today=today, first=first)
    kwargs, _ = chart_data(person, name, data, label, y_max, start, end)
    drawn = DRAW[name](**kwargs, theme=theme)
    if fmt == "svg":
        return Response(charts.to_svg(drawn), mimetype="image/svg+xml", headers=headers)
    return Response(charts.to_png(drawn), mimetype="image/png", headers=headers)


def session_course(person, sessions=None, points=None):
    """(numbered sessions, mood baseline, window figures, lifts) of all the person's
    sessions, oldest first: what summary.json and the lift's card, chart and report stand
    on. One pass over only that: the sessions' days and the check-ins of the baseline and
    of each session's days -3 .. the longer of its window and its lift's horizon (one query).
    A caller that has fetched them already passes `sessions` (session_data.numbered_brief)
    and `points` (the person's mood, or at least those days)."""
    if sessions is None:
        sessions = session_data.numbered_brief(get_db(), person.id)
    dates = [date.fromisoformat(s["day"]) for s in sessions]
    first = dates[0] if dates else None
    if points is None:
        reach = max(person.window_days, LIFT_HORIZON_DAYS)
        points = mood_around(person.id, first, sorted(set(dates)), reach)
    base = windows.baseline(points, first)
    figures = windows.session_windows(points, dates, base, person.window_days)
    lifts = windows.session_lifts(points, dates, base)
    return sessions, base, figures, lifts


def phq9_course(person, first, remission=False):
    """windows.phq9_summary and windows.phq9_course of the person's PHQ-9s, in one dict, from
    the few scores they turn on: the first, the treatment baseline, the latest and the first
    response after the baseline; with `remission`, also the first remission
    (`first_remission_date`, for the check-ups page's "No longer"). The percent change is
    None until a score follows the baseline."""
    scores = summary_scores(person.id, "phq9", first)
    phq9 = windows.phq9_summary(scores, first)
    most = response_at_most(phq9["baseline"])
    if most is not None:
        base_day = max(day for day, _ in scores if day <= first).isoformat()
        for at_most in (most, REMISSION_AT_MOST) if remission else (most,):
            found = assessment_data.first_at_most(get_db(), person.id, "phq9", base_day, at_most)
            if found is not None:
                scores = [*scores, *_dated([found])]
    course = {**phq9, **windows.phq9_course(scores, first)}
    course["percent_change"] = windows.phq9_percent_change(scores, first)
    if remission:
        course["first_remission_date"] = windows.phq9_first_remission(scores, first)
    return course


def lift_course(person, until=None, sessions=None, points=None, last_checkin=...):
    """The lift across the person's sessions, for the progress page, the caseload and the
    report: {"sessions": [{"number", "day", "lift_days", "lift_ended", "reference",
    "day1_change", "open_at" (why an open lift is open, windows.open_lift_reasons)}], "lift"
    (windows.lift_summary), "trend" (windows.trend), "trend_sessions" (how many sessions
    each slope stands on), "baseline"}. With `until` (a date), of the
    sessions on or before it only, each measured as over the whole record (the report of a
    range that ends earlier). `sessions` and `points` as session_course takes them;
    `last_checkin`, the day of the person's latest check-in (None without one), when the
    caller knows it already (from all of their mood points)."""
    all_sessions, base, figures, lifts = session_course(person, sessions, points)
    # Why each open lift is open (the next session, the 42 days over, or no check-in after
    # its last one yet), over the whole record as the lifts are.
    if last_checkin is ...:
        last = progress_data.last_checkin_day(get_db(), person.id)
        last_checkin = None if last is None else date.fromisoformat(last)
    reasons = windows.open_lift_reasons(
        [date.fromisoformat(s["day"]) for s in all_sessions], lifts, last_checkin
    )
    kept = [
        (s, f, lift, reason)
        for s, f, lift, reason in zip(all_sessions, figures, lifts, reasons, strict=True)
        if until is None or date.fromisoformat(s["day"]) <= until
    ]
    figures = [f for _, f, _, _ in kept]
    lifts = [lift for _, _, lift, _ in kept]
    return {
        "sessions": [
            {"number": s["number"], "day": date.fromisoformat(s["day"]), **lift, "open_at": reason}
            for s, _, lift, reason in kept
        ],
        "lift": windows.lift_summary(lifts),
        "trend": windows.trend([s["number"] for s, _, _, _ in kept], figures),
        "trend_sessions": {
            key: sum(1 for f in figures if f[key] is not None)
            for key in ("pre_level", "window_mean")
        },
        "baseline": base,
    }


def _days(value):
    """A number of days as words: "9 days", "1 day", "9.5 days" (a median of two)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return plural(value, "day") if isinstance(value, int) else f"{figure(value)} days"


# When an open lift was last known to be going, by windows.open_lift_reasons's reason.
OPEN_AT = {
    "next_session": "when the next session came",
    "latest_checkin": "at the latest check-in",
    "horizon": f"on day {LIFT_HORIZON_DAYS}, the last day counted",
    "within_horizon": f"at its last check-in of the {LIFT_HORIZON_DAYS} days counted",
}
# For open lifts whose reason is not known: every way a lift can be open.
OPEN_AT_ANY = f"{OPEN_AT['next_session']}, {OPEN_AT['latest_checkin']} or {OPEN_AT['horizon']}"


def _open_when(sessions):
    """(when the open lifts of `sessions` were last known to be going, in words; whether
    the words count them by reason): "when the next session came" when every one was cut by
    the next session, "2 when the next session came and 1 at the latest check-in" when they
    differ, and every way a lift can be open when a reason is not known."""
    reasons = [s.get("open_at") for s in sessions if s["lift_ended"] is False]
    if not reasons or any(reason not in OPEN_AT for reason in reasons):
        return OPEN_AT_ANY, False
    counts = [(reasons.count(key), words) for key, words in OPEN_AT.items() if key in reasons]
    if len(counts) == 1:
        return counts[0][1], False
    parts = [f"{count} {words}" for count, words in counts]
    return ", ".join(parts[:-1]) + " and " + parts[-1], True


def lift_words(course, whose="your"):
    """The lift and the floor's trend in plain words, for the progress page, the caseload
    and the report: {"lift" (always a sentence: the figures, or what is needed to have
    them), "trend" (a sentence, or None without a slope), "has_lift" (any lift measured)}.
    `whose` is "your" on the person's own pages and "the" where someone else reads them.
    Self-observation only: never advice, never a verdict."""
    lift, sessions = course["lift"], course["sessions"]
    measured = lift["n_ended"] + lift["n_open"]
    if course["baseline"] is None:
        level = "the level before each session"
    else:
        level = "your usual level" if whose == "your" else "the baseline"
    if not measured and whose != "your":
        text = (
            "Not measured yet: it needs a session and check-ins on the days after it"
            + (
                ""
                if course["baseline"] is not None
                else f", and a few on the {PRE_LEVEL_DAYS} days before it"
            )
            + "."
        )
    elif not sessions:
        text = "Log a session and check in on the days after it to see how long its lift lasts."
    elif not measured:
        text = "Check in on the days after your next session to see how long it lasts."
        if all(s["reference"] is None for s in sessions):
            text = (
                f"Check in on a few of the {PRE_LEVEL_DAYS} days before your next session and "
                "on the days after it to see how long it lasts."
            )
    else:
        # "last 6" only when those are the last 6: a session without a figure in between
        # makes it "6 of your 8".
        if measured == len(sessions):
            head = (
                f"After {whose} last session"
                if measured == 1
                else f"After {whose} last {measured} sessions"
            )
        else:
            head = f"After {measured} of {whose} {plural(len(sessions), 'session')}"
        mood = "your mood" if whose == "your" else "mood"
        ended = lift["n_ended"]
        if ended >= 2 and lift["max_days"] == 0:
            # Every ended lift ended at once: there was no lift to give a median of.
            which = ", each time" if ended == measured else ""
            some = "" if ended == measured else f", in {ended} of them"
            text = f"{head}{some}, {mood} was at or below {level} from the first day checked{which}"
        elif ended >= 2:
            text = (
                f"{head}, {mood} stayed above {level} for a median of "
                f"{_days(lift['median_days'])}, from {lift['min_days']} to {lift['max_days']}"
            )
        elif ended == 1 and lift["min_days"] == 0:
            one = "" if measured == 1 else ", in one of them"
            text = f"{head}{one}, {mood} was at or below {level} from the first day checked"
        elif ended == 1:
            one = "" if measured == 1 else "in one of them "
            text = f"{head}, {mood} stayed above {level} {one}for {_days(lift['min_days'])}"
        else:
            text = f"{head}, {mood} stayed above {level} on every day checked"
        if lift["n_open"]:
            when, mixed = _open_when(sessions)
            if measured > 1:
                going = "was" if lift["n_open"] == 1 else "were"
                text += (
                    f"; {plural(lift['n_open'], 'lift')} {going} still going"
                    f"{': ' if mixed else ' '}{when}"
                )
            else:
                text += f": the lift was still going {when}"
        text += "."
    slope = course["trend"]["pre_level_slope"]
    trend = None
    if slope is not None:
        count = course["trend_sessions"]["pre_level"]
        moved = (
            "stayed about the same"
            if abs(slope) < 0.05
            else f"{'risen' if slope > 0 else 'fallen'} by about {figure(abs(slope))} points"
        )
        # "your last 8" only when those are the last 8: a session without a level before it
        # in between makes it "8 of your 9".
        total = len(course["sessions"])
        across = (
            f"{whose} last {plural(count, 'session')}"
            if count >= total
            else f"{count} of {whose} {plural(total, 'session')}"
        )
        trend = (
            f"{whose.capitalize()} mood before sessions has {moved} per session across {across}."
        )
        if abs(slope) < 0.05:
            trend = trend.replace(" per session across", " across")
    return {"lift": text, "trend": trend, "has_lift": bool(measured)}


def summary(person):
    """The summary.json document (see the web contract); plain JSON, null never NaN.

    One pass over only what the figures stand on (session_course), and a few check-ups
    per instrument.
    """
    sessions, base, figures, lifts = session_course(person)
    first = date.fromisoformat(sessions[0]["day"]) if sessions else None
    numbers = [s["number"] for s in sessions]
    phq9 = phq9_course(person, first)
    gad7 = windows.gad7_summary(summary_scores(person.id, "gad7", first), first)
    return {
        "baseline": rounded(base),
        "window_days": person.window_days,
        "sessions": [
            {
                "id": s["id"],
                "date": s["day"],
                "route": s["route"],
                **json_figures(f, base),
                **json_lift(lift, f["pre_level"]),
            }
            for s, f, lift in zip(sessions, figures, lifts, strict=True)
        ],
        "lift": windows.lift_summary(lifts),
        "trend": {key: rounded(value) for key, value in windows.trend(numbers, figures).items()},
        "phq9": {key: _rounded(phq9[key]) for key in PHQ9_KEYS},
        "gad7": {key: gad7[key] for key in GAD7_KEYS},
    }


# Raise when summary() answers differently for the same data, so no remembered document of
# the old shape is served (they live only as long as a worker, but a reload keeps workers).
SUMMARY_VERSION = 3


def summary_json(person):
    """summary.json's body as JSON text: summary(person), computed once for each state of
    the person's data (the change counts of their check-ins, sessions and check-ups, and the
    window setting) and remembered by the worker's connection, so a repeated request costs
    one lookup however long the history (ServingDatabase.remembered)."""
    db = get_db()
    counts = progress_data.change_counts(db, person.id)
    key = ("summary.json", SUMMARY_VERSION, person.id, person.window_days, *counts.values())
    return db.remembered(key, lambda: current_app.json.dumps(summary(person)))


# The keys of the web contract (DESIGN.md); the pages' extra keys ("first", "reason") stay out.
PHQ9_KEYS = (
    "baseline",
    "latest",
    "band",
    "response",
    "remission",
    "percent_change",
    "first_response_date",
)
GAD7_KEYS = ("baseline", "latest", "band")


def json_lift(lift, pre_level):
    """A session's lift for JSON: the reference rounded as the baseline is, and day 1's
    change the difference of the rounded mood and pre-level, as the other changes are."""
    change = lift["day1_change"]
    return {
        "reference": _rounded(lift["reference"]),
        "lift_days": lift["lift_days"],
        "lift_ended": lift["lift_ended"],
        "day1_change": None
        if change is None
        else _rounded_difference(change + pre_level, pre_level),
    }


# Many windows share their means (moods are whole numbers), so a summary of a long history
# rounds the same few values again and again; these are numbers.rounded and
# numbers.rounded_difference, remembered (pure functions: the same answers, once each; typed,
# so that 1 and 1.0, equal as keys, keep their own answers: JSON writes 1 and 1.0).
_rounded = lru_cache(maxsize=4096, typed=True)(rounded)
_rounded_difference = lru_cache(maxsize=4096, typed=True)(rounded_difference)


def json_figures(figures, base):
    """A session's figures for JSON: means rounded half up to two places (numbers.rounded),
    and each change the difference of the rounded figures, so that window_mean - baseline
    is exactly the change shown beside them."""
    shown = {key: _rounded(value) for key, value in figures.items()}
    if figures["change"] is not None:
        shown["change"] = _rounded_difference(figures["window_mean"], base)
    if figures["peak_change"] is not None:
        shown["peak_change"] = _rounded_difference(figures["peak_change"] + base, base)
    return shown


def days_since(today, day):
    """Whole days from `day` to `today`, or None without a day. Never below 0: a session keeps
    the local date it was logged on, and after a move to a zone further west "today" can be
    the day before it."""
    return max(0, (today - day).days) if day else None


def cards(data, base, phq9, lived=None):
    """The headline figures on the progress page. A check-in dated after today was saved
    under a time zone ahead of the person's new one (they moved west): it is their latest
    day, and the recent mean and the streak count up to it rather than leave it out.
    `lived` (last_day: the page's range ends on it) is such a later day that a check-up or a
    session that has started may be dated too: the recent mean's 7 days end on it, as the
    report's do, and the days since the last session count to it, as the caseload's card
    does."""
    points, sessions = data["points"], data["sessions"]  # points oldest first
    today = max(data["today"], points[-1][0]) if points else data["today"]
    recent = windows.recent_mean(points, lived or data["today"])
    last_session = date.fromisoformat(sessions[-1]["day"]) if sessions else None
    return {
        "recent_mean": recent,
        "baseline": base,
        "phq9": phq9,
        "response": instruments.response_status(phq9),
        "days_since_session": days_since(lived or today, last_session),
        "streak": windows.day_streak([d for d, _ in points], today),
    }


def heatmap(points, sessions, start, end, today=None):
    """The mood calendar: one dict per month, oldest first, for at most the last 365 days.

    Each month has its first day (`month`), `lead` (blank cells before its first shown day in
    a Monday-first week) and `days`: {day, mood (None without a check-in), session, addable}.
    `addable` is False for a day after `today`: the range can reach a day the person has
    lived under a zone further east (`last_day`, a session dated there), but the check-in
    form refuses a day still to come in their zone now, so the calendar offers none.
    """
    start = max(start, end - timedelta(days=HEATMAP_MAX_DAYS - 1))
    moods = dict(points)
    session_days = {s["day"] for s in sessions}
    months, day = [], start
    while day <= end:
        if not months or day.day == 1:
            months.append({"month": day.replace(day=1), "lead": day.weekday(), "days": []})
        months[-1]["days"].append(
            {
                "day": day,
                "mood": moods.get(day),
                "session": day.isoformat() in session_days,
                "addable": today is None or day <= today,
            }
        )
        day += timedelta(days=1)
    return months


# A chart's <img> on a page is IMG_WIDTH wide (templates/progress/), in its figure's shape.
IMG_WIDTH = 640


def img_height(figsize):
    """The height of a chart's <img> for a figure of `figsize` (inches: width, height)."""
    return round(figsize[1] * IMG_WIDTH / figsize[0])


def view_context(person, args, shared=False):
    """What templates/progress/_view.html needs to show `person`'s progress for `args`."""
    days = args.get("days", DEFAULT_RANGE)
    metric_name = args.get("metric", "mood")
    offered = access.symptoms_seen(person, shared)  # the metrics offered; read once
    metric, label, y_max = resolve_metric(person, metric_name, shared, offered)
    data = course(person, metric)
    start, end = date_range(days, data["today"], data["first_day"])
    # The range reaches a day after today that the person has lived (an entry saved before a
    # move west), for every part of the page: its charts, flags, reflections and lift.
    end = last_day(person, end)
    # The cards and the calendar are about mood whatever the metric; fetch its points once.
    mood = data if metric == "mood" else {**data, "points": metric_points(person.id, "mood")}
    first = date.fromisoformat(data["sessions"][0]["day"]) if data["sessions"] else None
    mood_base = windows.baseline(mood["points"], first)
    # The session table follows the chosen metric, as the overlay chart above it does.
    figure_base, figures = window_figures(person, data["sessions"], data["points"])
    # The table lists the sessions of the range (with their figures among all sessions), the
    # latest TABLE_SESSIONS_MAX of them: a page must not grow with the whole history.
    figures = [(s, f) for s, f in figures if start <= date.fromisoformat(s["day"]) <= end]
    phq9 = windows.phq9_summary(data["phq9"], first)
    # An earlier response makes a latest score above half the baseline "No longer", not "Not
    # yet" (instruments.response_status); every score is at hand already.
    phq9["first_response_date"] = windows.phq9_course(data["phq9"], first)["first_response_date"]
    # A remission that came and went is named beside the response, as on the check-ups page
    # and in the report (instruments.response_status).
    phq9["first_remission_date"] = windows.phq9_first_remission(data["phq9"], first)
    # The latest PHQ-9's safety item, beside its total as in the report (`latest_item9`): of
    # the latest of all, as the total is (one dated after the range's end is possible after
    # a move west).
    if phq9["latest"] is not None:
        phq9["latest_item9"] = latest_item9(person.id, "phq9", date.max)
        # The day it was taken, as the caseload's card gives it ("5 Dec", "5 Dec 2025").
        taken = max(day for day, total in data["phq9"] if total is not None)
        phq9["latest_when"] = timezones.day_text_near(taken, data["today"])
    # The lift is mood's, over all the sessions (its card's sentence) and the range's (its
    # chart and table), read once for both.
    latest = mood["points"][-1][0] if mood["points"] else None  # oldest first, every day
    lift = lift_course(
        person, sessions=data["sessions"], points=mood["points"], last_checkin=latest
    )
    lift_chart = chart_data(
        person, "lift", {"lift": lift, "today": data["today"]}, label, y_max, start, end
    )
    lift_rows = lift_sessions_in_range(lift["sessions"], start, end)
    return {
        # Read by someone other than the person (a link, their therapist): the templates
        # then show the view read-only, with no link into the person's own journal.
        "shared": shared,
        "person": person,
        "days": days,
        "ranges": [(r, RANGE_WORDS[r]) for r in RANGES],
        "metric": metric_name,
        "metric_label": label,
        "metric_entries": entry_of(label)[1],
        # (value, label) of each metric the picker offers: the built-in ones, then symptoms.
        "metrics": [*BUILTIN_METRICS.items(), *((s["name"], s["name"]) for s in offered)],
        "start": start,
        "end": end,
        "cards": cards(mood, mood_base, phq9, end),
        "figures": figures[-TABLE_SESSIONS_MAX:],
        "figures_in_range": len(figures),
        "has_sessions": first is not None,
        "figure_base": figure_base,
        "charts": {
            name: lift_chart
            if name == "lift"
            else chart_data(person, name, data, label, y_max, start, end)
            for name in CHARTS
        },
        # The lift card (templates/progress/_lift.html): its words are about every session;
        # the chart (drawn when a session of the range has a figure: lift_drawn draws the
        # latest LIFT_CHART_MAX, or those up to the latest with a figure) and the table (the
        # range's sessions, the latest TABLE_SESSIONS_MAX) follow the range.
        "lift": {
            "course": lift,
            "words": lift_words(lift, "the" if shared else "your"),
            "rows": lift_rows[-TABLE_SESSIONS_MAX:],
            "rows_in_range": len(lift_rows),
            "drawn": any(days is not None for _, days, _ in lift_chart[0]["sessions"]),
            # The <img>'s height (the chart grows with its rows).
            "height": img_height(charts.lift_figsize(len(lift_chart[0]["sessions"]))),
        },
        # The charts' <img> size: the lift's height is above, the others' here.
        "img_width": IMG_WIDTH,
        "chart_heights": {
            "mood-timeline": img_height(charts.FIGSIZE),
            "window-overlay": img_height(charts.FIGSIZE),
            "assessments": img_height(charts.ASSESSMENTS_FIGSIZE),
        },
        "heatmap": heatmap(mood["points"], data["sessions"], start, end, data["today"]),
        # Every PHQ-9 and GAD-7 total, oldest first (figures.assessment_scores), for a page
        # that reads them again (the caseload's "new since your review").
        "scores": {"phq9": data["phq9"], "gad7": data["gad7"]},
    }


def patient_context(patient, args):
    """What templates/share/_patient.html needs: the progress view (`view_context`,
    read-only, as the caseload's patient page shows it), the range's flagged days and shared
    words (through `access`). The caseload's page lists those two as one history instead
    (caseload.history)."""
    context = view_context(patient, args, shared=True)
    start, end = context["start"], context["end"]
    return {
        **context,
        "flags": access.flagged_days(patient.id, start, end),
        "reflections": access.shared_reflections(patient.id, start, end),
    }
