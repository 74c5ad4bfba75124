"""What the therapist's report says: its data, gathered as one plain dict.

`report_data` fetches (only through the figures, windows and access helpers, scoped to the
person's id) and returns a plain dict of dates, numbers, strings, lists and dicts; the pages
(`pages.build_pdf`) draw it with no Flask and no SQL.

Decisions where the issue and DESIGN.md are silent:

- The range is whole local days, start..end inclusive, and may not end after the person's
  today, or after a later day they have already lived (`figures.last_day`: a check-in or a
  session that has taken place, dated under a time zone ahead of their new one after a move
  west; never a session still to come). With no `start`/`end` it is the last 90 days
  ending on that day (`default_range`). It
  covers at most RANGE_MAX_DAYS (731: two years); see `pages.TEXT_MAX` for the other bound:
  the worst case (a 20,000-character reflection every day for two years) printed in full took
  6 s and 2,900 pages, and now 1.6 s and under 500 (benchmarks/bench_bounds.py).
- Page 1 reads "as of the end of the range": the 7-day mood is the mean of the range's last 7
  days, and the latest PHQ-9 and GAD-7 are the latest on or before `end` (with their dates,
  even when they fall before `start`). Baselines are the treatment's own (DESIGN.md), so they
  may lie before the range; that is what "against baseline" means.
- Window figures are those of the whole course (a window is cut by the next session even if
  that session falls outside the range), and so are their labels ("days 1-7", or "so far"
  only for a window still open today); the report lists the sessions in the range.
- Only what a therapist may see enters the data: session rows are copied field by field
  (never the reflection, prompt answers or intention), and words come from
  `access.shared_reflections` alone, so a private reflection cannot reach the PDF. Side
  effects typed under "something else" are shown: they are a side effect, not a reflection.
- `sections` chooses what follows page 1, always in the order of SECTIONS. Page 1 is always
  there.
- The lift (figures.lift_course, worded by figures.lift_words for a clinician) reads as of the
  end of the range, as the rest of page 1 does: page 1's sentences stand on every session on
  or before `end` (those before `start` too: like the baselines, the lift is the course's),
  and the sessions table shows the lift and day-1 change of the sessions in the range. Each
  session's lift is that of the whole record, as its window figures are: a lift that went on
  after `end` is measured to its real end, and one cut by a later session is open.
- The PHQ-9's percent change is from the treatment baseline to the latest score on or before
  `end` (the scores page 1 shows); with no such baseline, or no score after it, there is no
  percent change ("not yet"), never a 0% made from the baseline set against itself.
"""

from datetime import date, timedelta

from .. import access, figures, instruments, timezones, windows
from ..rules import RECENT_DAYS

SECTIONS = ("charts", "sessions", "windows", "flags", "reflections")
SECTION_LABELS = {
    "charts": "Charts",
    "sessions": "Sessions",
    "windows": "Window figures for each session",
    "flags": "Flagged days",
    "reflections": "Shared reflections",
}
DEFAULT_DAYS = 90
# The longest range a report covers (two years, a leap day included): so that one report
# costs seconds, not minutes, whatever the person has written (README, "Bounds").
RANGE_MAX_DAYS = 731


def default_range(person):
    """The last 90 days, ending today in the person's time zone (or on the later day of a
    check-in or a session that has taken place, saved before a move west: figures.last_day):
    (start, end)."""
    end = figures.last_day(person)
    return end - timedelta(days=DEFAULT_DAYS - 1), end


def _session_row(row, figs, days, lift):
    """What the report shows of one session: named fields only, never its words. `days`
    names the window days its figures stand on (figures.window_label); `lift` is its entry
    in figures.lift_course ("lift_days", "lift_ended", "day1_change")."""
    # Privacy: access.shared_session decides what of the session a therapist sees.
    return {
        **access.shared_session(row),
        "day": date.fromisoformat(row["day"]),
        "figures": figs,
        "window": days,
        "lift_days": lift["lift_days"],
        "lift_ended": lift["lift_ended"],
        "day1_change": lift["day1_change"],
    }


def _lift(person, end):
    """(the lift as page 1 words it, as of `end`: {"text", "trend"} of figures.lift_words
    over the sessions on or before `end`, the trend None without one; {session number: its
    lift} for the sessions table)."""
    course = figures.lift_course(person, until=end)
    words = figures.lift_words(course, whose="the")
    summary = {"text": words["lift"], "trend": words["trend"]}
    return summary, {s["number"]: s for s in course["sessions"]}


def _scores(person, kind, end, first_session):
    """(summary as of `end` with the latest score's date and the baseline's band, scores)."""
    scores = [(d, total) for d, total in figures.assessment_scores(person.id, kind) if d <= end]
    summary = (windows.phq9_summary if kind == "phq9" else windows.gad7_summary)(
        scores, first_session
    )
    summary["latest_day"] = scores[-1][0] if scores else None
    if kind == "phq9":
        # From the treatment baseline to the latest score on or before `end`, with a score
        # after the baseline (windows.phq9_percent_change).
        course = windows.phq9_course(scores, first_session)
        later = summary["baseline"] is not None and summary["latest_day"] > first_session
        summary["percent_change"] = windows.phq9_percent_change(scores, first_session)
        summary["later_score"] = later
        summary["first_response_date"] = (
            date.fromisoformat(course["first_response_date"])
            if course["first_response_date"]
            else None
        )
        # A remission that came and went is said beside the response, as on the check-ups
        # page (instruments.response_status).
        summary["first_remission_date"] = windows.phq9_first_remission(scores, first_session)
    summary["baseline_band"] = instruments.band(kind, summary["baseline"])
    # The safety item of the latest PHQ-9, shown beside its total: an answer above 0 calls for
    # follow-up whatever the total (CLINICAL.md).
    summary["latest_item9"] = figures.latest_item9(person.id, kind, end) if kind == "phq9" else None
    return summary, scores


def report_data(person, start, end):
    """Everything the report shows of `person` from `start` to `end`, as a plain dict.

    Needs an application context (it reads the database); the result holds only dates,
    numbers, strings, lists and dicts, and only what a therapist may see. A range longer
    than RANGE_MAX_DAYS is refused (the form says so first).
    """
    if (end - start).days + 1 > RANGE_MAX_DAYS:
        raise ValueError(f"A report covers at most {RANGE_MAX_DAYS} days.")
    points = figures.metric_points(person.id)
    sessions = figures.session_rows(person.id)
    base, session_figures = figures.window_figures(person, sessions, points)
    first_session = date.fromisoformat(sessions[0]["day"]) if sessions else None
    phq9, phq9_scores = _scores(person, "phq9", end, first_session)
    gad7, gad7_scores = _scores(person, "gad7", end, first_session)
    window_days = person.window_days
    # Check-ins are counted from the person's first day when it is later than the start, and
    # the charts (and their words) start there too, as on the progress page: "6 of 32 days"
    # on page 1 and "6 of 90" under the chart would contradict each other.
    first_day = figures.start_day(person)
    counted_from = max(start, first_day or start)
    shown_from = counted_from if counted_from <= end else start
    timeline = figures.timeline_data(points, sessions, window_days, shown_from, end, "Mood", 10)
    made_on = timezones.local_today(person.timezone)
    overlay, _, used = figures.overlay_data(
        points, sessions, window_days, shown_from, end, "Mood", made_on
    )
    scores_chart = figures.assessments_data(phq9_scores, gad7_scores, sessions, shown_from, end)
    # As of the person's today, as the figures beside them (the whole course): as of `end`, a
    # window still open then said "days 1-2 so far" over figures of days 1-5.
    labels = figures.window_labels(sessions, window_days, made_on)
    lift, lifts = _lift(person, end)
    in_range = [
        _session_row(row, figs, days, lifts[row["number"]])
        for (row, figs), days in zip(session_figures, labels, strict=True)
        if start <= date.fromisoformat(row["day"]) <= end
    ]
    recent_start = max(start, end - timedelta(days=RECENT_DAYS - 1))
    return {
        "name": person.shared_name,
        "timezone": person.timezone,
        "start": start,
        "end": end,
        "made_on": made_on,
        "window_days": window_days,
        "baseline": base,
        "recent": {
            "start": recent_start,
            "end": end,
            "mean": windows.mean_between(points, recent_start, end),
        },
        "checkin_days": len(timeline["points"]),
        "counted_from": counted_from,
        "assessment_count": len(scores_chart["phq9"]) + len(scores_chart["gad7"]),
        "sessions_total": len(sessions),
        "first_session": first_session,
        "sessions": in_range,
        "phq9": phq9,
        "gad7": gad7,
        "lift": lift,
        # Privacy: flagged days and shared words come from `access` alone (its filter of
        # what a therapist or a link may see), never from the person's own rows.
        "flags": access.flagged_days(person.id, start, end, with_self_harm=True),
        "reflections": access.shared_reflections(person.id, start, end),
        "charts": {
            "mood-timeline": (timeline, figures.describe_timeline(timeline)),
            "window-overlay": (overlay, figures.describe_overlay(overlay, base, used)),
            "assessments": (scores_chart, figures.describe_assessments(scores_chart)),
        },
    }
