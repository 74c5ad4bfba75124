"""Analytics for Afterglow: baseline, therapeutic windows, trends and assessment summaries.

Pure functions over plain data (no Flask, no SQL, standard library only), so they can be
unit-tested with hand-computed cases and reused by the pages, the charts, the PDF report and
``/progress/summary.json``. The definitions are those of DESIGN.md ("Core ideas", "Analytics
definitions") and CLINICAL.md. Nothing is rounded here; callers format. Every result is made of
plain ``int``, ``float``, ``bool``, ``str``, ``None``, lists, tuples and dicts, so
``json.dumps(result, allow_nan=False)`` always works. Missing days are gaps, never zeros; a
figure with nothing to stand on is ``None``.

Decisions where the definitions are silent:

- Check-ins are ``(date, mood)`` pairs. The app keeps one per day; should a list still hold two
  for the same date, the later one in the list wins (as saving again the same day does). A mood
  of ``None`` or a non-finite number is treated as a missing day rather than poisoning a mean
  with NaN.
- ``baseline`` needs check-ins on at least 3 distinct days in the 14 days before the first
  session (days -14..-1; day 0, the session's own date, is not part of it).
- Sessions on the same date: sessions are dates only, so among equal dates the one later in the
  input list is taken as the later session (the caller sorts by start time). It owns the window;
  the earlier one keeps its ``pre_level`` but has no window days and an empty overlay series
  (its day 0 belongs to the later session, so the same point is not drawn twice).
- ``pre_level`` (days -3..-1) is not cut by an earlier session: with twice-weekly dosing it
  overlaps the previous window, which is exactly the level the person came in at.
- ``days_above_baseline`` is ``None`` when the baseline is unknown or the window has no
  check-ins (0 would claim "checked in, never above"); otherwise the count. Equal to baseline is
  not above.
- ``peak_change`` may be negative: it is the best day of the window, even if every day was
  below baseline.
- ``window_days`` must be an ``int`` in 2..28 (DESIGN.md); anything else raises ``ValueError``.
  ``rolling_mean`` accepts any whole number of days from 1.
- ``mean_series`` ignores points whose offset is outside 0..window_days, so series built for a
  longer window can be averaged over a shorter one.
- ``rolling_mean`` is generic over any daily series: every point counts, even two on one date,
  and each distinct date gives one output point. ``None`` and non-finite values are gaps there
  too.
- PHQ-9/GAD-7: scores may come unsorted; on a tied date the later one in the list wins. The
  ``baseline`` is the treatment baseline only: the last score on or before the first session's
  date. With no session, or no score by then, it is ``None`` and ``first`` holds the first
  score instead (when a later score exists to compare with), so a change can still be shown,
  labelled as a change since the first score, never as one from a baseline.
- ``response`` (latest at most half of baseline) and ``remission`` (latest below 5) follow the
  HEDIS measures (CLINICAL.md): both need a treatment baseline of 10 or more and a later score;
  otherwise both are ``None`` and ``reason`` says why (see ``RESPONSE_REASONS``). Half of an odd
  baseline is not rounded: baseline 11 needs a latest of 5 or less.
- ``band`` returns ``None`` for ``None`` and raises ``ValueError`` for a total outside the
  instrument's range: an impossible score is a bug upstream, and a made-up band is worse than
  an error. The summaries check every score this way, not only the latest; a total of
  ``None`` in a score list is skipped as missing.
- ``day_streak`` ignores dates after ``today`` (a clock or time-zone slip must not break it).
- ``mean_between`` with ``start`` after ``end`` is an empty range and answers ``None``.
- The lift (``session_lifts``): its horizon is days 1..42, cut before the next session with a
  strictly later date, as a window is (the earlier of two same-date sessions has no horizon,
  so no lift). ``day1_change`` is read literally, the mood on the day after the session less
  its ``pre_level``, whether or not the next session fell on that day.
- ``open_lift_reasons`` tells apart the three ways a lift is open: cut by the next session,
  the 42 days over with no check-in at or below the reference, or the record not yet past
  its last check-in. A next session on day 43 counts as cutting it (the horizon ends the day
  before it either way).
- ``lift_summary``: ``min_days`` and ``max_days`` are given from one ended lift; the median
  needs two. Open lifts are only counted.
- ``trend``: Theil–Sen over the sessions' own numbers; with numbers given more than once
  (never, from the app) pairs with equal numbers are skipped. The median slope is worked out
  from the means as the exact fractions they are (10/3, not its float), so a slope of exactly
  0.25 reads 0.3 on the page, as half up gives it, not 0.2 from a float of 0.2499999999999999.
- PHQ-9 ``percent_change`` is (latest − baseline) / baseline × 100, negative when the score
  fell; with the baseline the latest score it is 0. ``first_response_date`` is the first
  score dated after the baseline's day with at most half a baseline of 10 or more.
"""

import math
from datetime import date, timedelta
from fractions import Fraction
from statistics import fmean, median

from .rules import (
    BASELINE_DAYS,
    BASELINE_MIN_CHECKINS,
    DEFAULT_WINDOW_DAYS,
    GAD7_BANDS,
    LIFT_HORIZON_DAYS,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    PHQ9_BANDS,
    PRE_LEVEL_DAYS,
    RECENT_DAYS,
    REMISSION_AT_MOST,
    REMISSION_BELOW,
    RESPONSE_MIN_BASELINE,
    ROLLING_DAYS,
    TREND_MIN_SESSIONS,
    response_at_most,
)

# The largest denominator `_exact` reads a mean as: a mean of whole-number moods over at
# most MAX_WINDOW_DAYS days has a far smaller one.
EXACT_DENOMINATOR = 10**6


def _check_window_days(window_days: int) -> None:
    # A float such as 7.0 is refused too: offsets are whole days, and range() would reject it
    # later with a less helpful TypeError.
    if not isinstance(window_days, int) or not MIN_WINDOW_DAYS <= window_days <= MAX_WINDOW_DAYS:
        raise ValueError(
            f"window_days must be a whole number from {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS},"
            f" not {window_days!r}"
        )


def _daily(checkins: list[tuple[date, float]]) -> dict[date, float]:
    """Map each date to its mood, the later check-in in the list winning a tie.

    Unusable moods are dropped so that they read as gaps, not as NaN or zero.
    """
    days: dict[date, float] = {}
    for day, mood in checkins:
        if mood is None or not math.isfinite(mood):
            continue
        days[day] = float(mood)
    return days


def _mean_on(days: dict[date, float], start: date, end: date) -> float | None:
    """Mean mood of the days start..end, None if none has one.

    A short span is looked up day by day rather than by scanning every day of the history:
    each session's pre-level span is 3 days, and scanning made a page cost sessions × days.
    (fmean sums exactly, so the order the values come in cannot change the mean.)
    """
    span = (end - start).days + 1
    if span <= len(days):
        found = (days.get(start + timedelta(days=n)) for n in range(max(span, 0)))
        values = [mood for mood in found if mood is not None]
    else:
        values = [mood for day, mood in days.items() if start <= day <= end]
    return fmean(values) if values else None


def _next_dates(session_dates: list[date]) -> list[date | None]:
    """For each session (input order), the date its window is cut at, or None for the last.

    A stable sort keeps equal dates in input order, so the next session in sorted order is
    either on the same date (the earlier of a same-day pair: cut at once, no window) or the
    next session with a strictly later date.
    """
    order = sorted(range(len(session_dates)), key=lambda i: session_dates[i])
    cut: list[date | None] = [None] * len(session_dates)
    for pos, index in enumerate(order[:-1]):
        cut[index] = session_dates[order[pos + 1]]
    return cut


def _window_points(
    days: dict[date, float], session: date, cut: date | None, first: int, last: int
) -> list[tuple[int, float]]:
    points = []
    for offset in range(first, last + 1):
        day = session + timedelta(days=offset)
        if cut is not None and day >= cut:
            break
        if day in days:
            points.append((offset, days[day]))
    return points


def baseline(checkins: list[tuple[date, float]], first_session: date | None) -> float | None:
    """Mean daily mood over the 14 days before the first session, or None.

    The days are ``first_session - 14`` .. ``first_session - 1``. At least 3 of them must have a
    check-in; otherwise the baseline is "not established" and None. None when there is no
    session.
    """
    if first_session is None:
        return None
    days = _daily(checkins)
    start = first_session - timedelta(days=BASELINE_DAYS)
    end = first_session - timedelta(days=1)
    values = [mood for day, mood in days.items() if start <= day <= end]
    if len(values) < BASELINE_MIN_CHECKINS:
        return None
    return fmean(values)


def session_windows(
    checkins: list[tuple[date, float]],
    session_dates: list[date],
    base: float | None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> list[dict]:
    """Figures for each session's therapeutic window, one dict per session in input order.

    Day 0 is the session's date; window days are days 1..window_days, ending before the next
    session with a strictly later date (the earlier of two same-date sessions has no window
    days). Keys: ``pre_level`` (mean mood of days -3..-1), ``window_mean``, ``change``
    (window_mean - base), ``peak_change`` and ``peak_day`` (largest mood - base on a window day
    and the earliest 1-based day reaching it), ``days_above_baseline`` (window days with mood
    above base) and ``n_checkins`` (check-ins on window days). A figure with nothing to stand
    on is None; ``n_checkins`` is always an int. Raises ValueError unless window_days is 2..28.
    """
    _check_window_days(window_days)
    days = _daily(checkins)
    results = []
    for session, cut in zip(session_dates, _next_dates(session_dates), strict=True):
        pre_level = _mean_on(
            days, session - timedelta(days=PRE_LEVEL_DAYS), session - timedelta(days=1)
        )
        points = _window_points(days, session, cut, 1, window_days)
        moods = [mood for _, mood in points]
        window_mean = fmean(moods) if moods else None
        change = None
        peak_change = None
        peak_day = None
        days_above = None
        if base is not None and points:
            change = window_mean - base
            for offset, mood in points:
                # Strictly greater keeps the earliest day on a tie (points are in day order).
                if peak_change is None or mood - base > peak_change:
                    peak_change = mood - base
                    peak_day = offset
            days_above = sum(1 for mood in moods if mood > base)
        results.append(
            {
                "pre_level": pre_level,
                "window_mean": window_mean,
                "change": change,
                "peak_change": peak_change,
                "peak_day": peak_day,
                "days_above_baseline": days_above,
                "n_checkins": len(points),
            }
        )
    return results


def session_lifts(
    checkins: list[tuple[date, float]],
    session_dates: list[date],
    base: float | None,
    horizon_days: int = LIFT_HORIZON_DAYS,
) -> list[dict]:
    """How long each session's lift lasted, one dict per session in input order.

    Keys (DESIGN.md, "The length of the lift"): ``reference`` (base when established, else
    the session's pre_level, else None), ``lift_days``, ``lift_ended`` and ``day1_change``
    (the mood of day 1 less pre_level). The horizon is days 1..horizon_days, ending before
    the next session with a strictly later date. Walking its check-ins in date order: the
    first at or below the reference ends the lift, whose length is the day of the last
    check-in above it before (0 when the first is already at or below); with none at or
    below, the lift is open and lasted at least to the last check-in of the horizon.
    """
    days = _daily(checkins)
    results = []
    for session, cut in zip(session_dates, _next_dates(session_dates), strict=True):
        pre_level = _mean_on(
            days, session - timedelta(days=PRE_LEVEL_DAYS), session - timedelta(days=1)
        )
        reference = base if base is not None else pre_level
        lift_days = None
        ended = None
        points = _window_points(days, session, cut, 1, horizon_days)
        if reference is not None and points:
            lift_days, ended = 0, False
            for offset, mood in points:
                if mood <= reference:
                    ended = True
                    break
                lift_days = offset
        day1 = days.get(session + timedelta(days=1))
        results.append(
            {
                "reference": reference,
                "lift_days": lift_days,
                "lift_ended": ended,
                "day1_change": None if day1 is None or pre_level is None else day1 - pre_level,
            }
        )
    return results


def open_lift_reasons(
    session_dates: list[date],
    lifts: list[dict],
    last_checkin: date | None,
    horizon_days: int = LIFT_HORIZON_DAYS,
) -> list[str | None]:
    """Why each open lift (``lift_ended`` False) of session_lifts is counted open, in the
    order of session_dates; None for a lift that ended or was not measured.

    - ``"next_session"``: its horizon ends the day before the next session's date (a next
      session with a strictly later date on or before day horizon_days + 1), as issue 10's
      words have it ("still going when the next session came"), wherever its last check-in;
    - ``"horizon"``: no next session cut it, the person checked in after its last day
      (``last_checkin``, their latest check-in, is later), and its last check-in is on day
      horizon_days: the days counted went by with no check-in at or below the reference;
      ``"within_horizon"`` when its last check-in is earlier;
    - ``"latest_checkin"``: otherwise, the horizon is not over in the record: its last
      check-in is the person's latest.
    """
    reasons: list[str | None] = []
    for session, cut, lift in zip(session_dates, _next_dates(session_dates), lifts, strict=True):
        if lift["lift_ended"] is not False:
            reasons.append(None)
        elif cut is not None and (cut - session).days <= horizon_days + 1:
            reasons.append("next_session")
        elif last_checkin is not None and last_checkin > session + timedelta(days=horizon_days):
            reasons.append("horizon" if lift["lift_days"] >= horizon_days else "within_horizon")
        else:
            reasons.append("latest_checkin")
    return reasons


def lift_summary(lifts: list[dict]) -> dict:
    """Across sessions: ``{"median_days", "min_days", "max_days", "n_ended", "n_open"}``.

    Median, least and most are over the lifts that ended (the median None below two ended
    lifts, least and most None with none); open lifts are counted apart, never averaged in.
    """
    ended = [lift["lift_days"] for lift in lifts if lift["lift_ended"] is True]
    return {
        "median_days": median(ended) if len(ended) >= 2 else None,
        "min_days": min(ended, default=None),
        "max_days": max(ended, default=None),
        "n_ended": len(ended),
        "n_open": sum(1 for lift in lifts if lift["lift_ended"] is False),
    }


def _exact(y: float) -> Fraction:
    """A mean of whole-number moods (k / n) as the exact fraction it stands for.

    The float of 10/3 is not 10/3, and a slope worked out from such floats can land just
    below a half (0.2499999999999999 for an exact 0.25), which then rounds the wrong way on
    the page ("0.2" beside a JSON 0.25). Distinct fractions whose denominators are at most
    EXACT_DENOMINATOR lie far further apart than a float's error, so this recovers k / n
    exactly; any other value moves by less than 1e-12.
    """
    return Fraction(y).limit_denominator(EXACT_DENOMINATOR)


def theil_sen(points: list[tuple[int, float]]) -> float | None:
    """The Theil–Sen slope of (x, y) points: the median of the slopes of every pair with
    different x. None below TREND_MIN_SESSIONS points; None and non-finite y are left out.

    The slopes are ordered as floats (cheap, and distinct exact slopes of means are much
    further apart than a float's error), and the median pair (or two) is then worked out
    exactly (`_exact`), so a slope of exactly 0.25 is 0.25, not 0.2499999999999999."""
    usable = [(x, y) for x, y in points if y is not None and math.isfinite(y)]
    if len(usable) < TREND_MIN_SESSIONS:
        return None
    pairs = [
        (x1, y1, x2, y2)
        for i, (x1, y1) in enumerate(usable)
        for x2, y2 in usable[i + 1 :]
        if x2 != x1
    ]
    if not pairs:
        return None
    slopes = [(y2 - y1) / (x2 - x1) for x1, y1, x2, y2 in pairs]
    ordered = sorted(slopes)
    middle = len(ordered) // 2

    def exact(slope):
        # The pair whose float slope is this one (any, when several are: equal floats here
        # are equal exact slopes), worked out exactly.
        x1, y1, x2, y2 = pairs[slopes.index(slope)]
        return (_exact(y2) - _exact(y1)) / (x2 - x1)

    if len(ordered) % 2:
        return float(exact(ordered[middle]))
    return float((exact(ordered[middle - 1]) + exact(ordered[middle])) / 2)


def trend(numbers: list[int], figures: list[dict]) -> dict:
    """``{"pre_level_slope", "window_mean_slope"}``: each figure's Theil–Sen slope against the
    session's own number (1, 2, 3 … among all the person's sessions), in mood points per
    session. A session without the figure is left out, leaving a gap in the numbers; None
    below three sessions with it. Descriptive only."""
    return {
        f"{key}_slope": theil_sen(
            [(n, f[key]) for n, f in zip(numbers, figures, strict=True) if f[key] is not None]
        )
        for key in ("pre_level", "window_mean")
    }


def window_ends(session_dates: list[date], window_days: int = DEFAULT_WINDOW_DAYS) -> list[int]:
    """The last window day each session can use, in the order of session_dates.

    window_days, or less when the next session (with a strictly later date) cuts the window
    short: a session followed 5 days later by the next one has days 1..4. The earlier of two
    same-date sessions gets -1 (no window, not even day 0). Raises ValueError unless
    window_days is 2..28.
    """
    _check_window_days(window_days)
    return [
        window_days if cut is None else min(window_days, (cut - session).days - 1)
        for session, cut in zip(session_dates, _next_dates(session_dates), strict=True)
    ]


def window_series(
    checkins: list[tuple[date, float]],
    session_dates: list[date],
    base: float | None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> list[list[tuple[int, float]]]:
    """Per-session points for the window overlay chart, in the order of session_dates.

    Each point is ``(day offset, mood - base)`` for days 0..window_days that have a check-in,
    cut by the next session as in ``session_windows`` (the earlier of two same-date sessions
    gets an empty list). Every list is empty when base is None, since a delta from an unknown
    baseline means nothing. Raises ValueError unless window_days is 2..28.
    """
    _check_window_days(window_days)
    if base is None:
        return [[] for _ in session_dates]
    days = _daily(checkins)
    series = []
    for session, cut in zip(session_dates, _next_dates(session_dates), strict=True):
        points = _window_points(days, session, cut, 0, window_days)
        series.append([(offset, mood - base) for offset, mood in points])
    return series


def mean_series(series: list[list[tuple[int, float]]], window_days: int) -> list[tuple[int, float]]:
    """Mean of the per-session deltas at each day offset 0..window_days that has a value.

    Offsets with no value in any session are left out (a gap, not a zero); the result is in
    offset order. Points outside 0..window_days are ignored. Raises ValueError unless
    window_days is 2..28.
    """
    _check_window_days(window_days)
    by_offset: dict[int, list[float]] = {}
    for points in series:
        for offset, delta in points:
            if 0 <= offset <= window_days:
                by_offset.setdefault(offset, []).append(delta)
    return [(offset, fmean(by_offset[offset])) for offset in sorted(by_offset)]


def rolling_mean(
    points: list[tuple[date, float]], days: int = ROLLING_DAYS
) -> list[tuple[date, float]]:
    """Trailing calendar-day rolling mean, one point per date that has a value, in date order.

    Each point is the mean of the values whose dates fall in ``(date - days, date]``. Gaps stay
    gaps: a date with no value gets no point and counts as nothing, not as zero. Raises
    ValueError unless days is a whole number of at least 1.
    """
    # bool is an int subclass; refuse it so a stray flag (True) is never read as 1 day.
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a whole number of at least 1, not {days!r}")
    ordered = sorted(
        (point for point in points if point[1] is not None and math.isfinite(point[1])),
        key=lambda point: point[0],
    )
    result: list[tuple[date, float]] = []
    start = 0
    for end, (day, _) in enumerate(ordered):
        # Several values on one date: emit the date once, after its last value.
        if end + 1 < len(ordered) and ordered[end + 1][0] == day:
            continue
        while ordered[start][0] <= day - timedelta(days=days):
            start += 1
        result.append((day, fmean(value for _, value in ordered[start : end + 1])))
    return result


def band(total: int | None, bands: list[tuple[int, int, str]]) -> str | None:
    """The name of the band holding total, or None when total is None.

    Bands are inclusive ``(low, high, name)`` triples such as PHQ9_BANDS or GAD7_BANDS. A total
    that falls in no band is not a valid score and raises ValueError.
    """
    if total is None:
        return None
    for low, high, name in bands:
        if low <= total <= high:
            return name
    raise ValueError(f"score {total!r} is outside every band")


# Why a PHQ-9 response and remission are not given (phq9_summary's "reason"), in the order
# they are checked. journal/instruments.py words them.
RESPONSE_REASONS = ("no_scores", "no_session", "no_baseline", "baseline_below_10", "no_later_score")


def _assessment(
    scores: list[tuple[date, int]], first_session: date | None, bands: list[tuple[int, int, str]]
) -> tuple[dict, list[tuple[date, int]]]:
    """Treatment baseline, latest, band and first, plus the (date, total) scores dated after
    the baseline's day, oldest first (the later of a day's scores)."""
    by_day: dict[date, int] = {}
    for day, total in scores:
        if total is None:
            continue
        # Checked for every score, not just the latest, so a bad baseline cannot slip through.
        band(total, bands)
        by_day[day] = total
    if not by_day:
        return {"baseline": None, "latest": None, "band": None, "first": None}, []
    ordered = sorted(by_day)
    before = [day for day in ordered if first_session is not None and day <= first_session]
    base_day = before[-1] if before else None
    latest_day = ordered[-1]
    latest = by_day[latest_day]
    summary = {
        "baseline": None if base_day is None else by_day[base_day],
        "latest": latest,
        "band": band(latest, bands),
        # No treatment baseline: the first score, when a later one can be compared with it.
        "first": by_day[ordered[0]] if base_day is None and len(ordered) > 1 else None,
    }
    after = [] if base_day is None else [(day, by_day[day]) for day in ordered if day > base_day]
    return summary, after


def phq9_summary(scores: list[tuple[date, int]], first_session: date | None) -> dict:
    """PHQ-9 summary: ``{"baseline", "latest", "band", "first", "response", "remission",
    "reason"}``.

    baseline is the treatment baseline, the last total on or before the first session's date
    (None without one); first is the first total when there is no such baseline and a later
    total exists (else None). latest is the most recent total and band its band. response
    (latest at most half the baseline) and remission (latest below 5) are given only from a
    baseline of 10 or more with a later total; otherwise both are None and reason is one of
    RESPONSE_REASONS (None when they are given). Scores may be unsorted; on a tied date the
    later one in the list wins.
    """
    summary, after = _assessment(scores, first_session, PHQ9_BANDS)
    later = bool(after)
    base = summary["baseline"]
    latest = summary["latest"]
    if latest is None:
        reason = "no_scores"
    elif first_session is None:
        reason = "no_session"
    elif base is None:
        reason = "no_baseline"
    elif base < RESPONSE_MIN_BASELINE:
        reason = "baseline_below_10"
    elif not later:
        reason = "no_later_score"
    else:
        reason = None
    defined = reason is None
    summary["response"] = latest <= response_at_most(base) if defined else None
    summary["remission"] = latest < REMISSION_BELOW if defined else None
    summary["reason"] = reason
    return summary


def phq9_course(scores: list[tuple[date, int]], first_session: date | None) -> dict:
    """The PHQ-9's course from the treatment baseline (as phq9_summary finds it):
    ``{"percent_change", "first_response_date"}``. percent_change is (latest - baseline) /
    baseline x 100, None without a baseline of at least 1; first_response_date the ISO date
    of the first score after the baseline's day at most half a baseline of 10 or more, None
    if none. Scores may be unsorted; on a tied date the later one in the list wins."""
    summary, after = _assessment(scores, first_session, PHQ9_BANDS)
    base, latest = summary["baseline"], summary["latest"]
    return {
        "percent_change": (latest - base) / base * 100 if base is not None and base >= 1 else None,
        "first_response_date": _first_at_most(after, response_at_most(base)),
    }


def phq9_percent_change(scores: list[tuple[date, int]], first_session: date | None):
    """phq9_course's percent change when a score follows the treatment baseline, else None:
    with the baseline alone no change has been measured (phq9_course gives the 0% of the
    baseline set against itself). What the report, summary.json and the pages show."""
    _, after = _assessment(scores, first_session, PHQ9_BANDS)
    return phq9_course(scores, first_session)["percent_change"] if after else None


def phq9_first_remission(scores: list[tuple[date, int]], first_session: date | None):
    """The ISO date of the first score after the treatment baseline's day below
    REMISSION_BELOW, from a baseline of 10 or more (as phq9_course's first response), or None.
    """
    summary, after = _assessment(scores, first_session, PHQ9_BANDS)
    most = response_at_most(summary["baseline"])
    return None if most is None else _first_at_most(after, REMISSION_AT_MOST)


def _first_at_most(after, most):
    """The ISO date of the first of `after`'s (day, total), in day order, at most `most`."""
    found = [] if most is None else [day for day, total in after if total <= most]
    return found[0].isoformat() if found else None


def gad7_summary(scores: list[tuple[date, int]], first_session: date | None) -> dict:
    """GAD-7 summary: ``{"baseline", "latest", "band", "first"}``, chosen as in phq9_summary."""
    summary, _ = _assessment(scores, first_session, GAD7_BANDS)
    return summary


def day_streak(days: list[date], today: date) -> int:
    """Number of consecutive days with a check-in, ending today.

    If today has no check-in yet the streak ends yesterday instead, so it does not read as
    broken in the morning. 0 when neither day has one. Dates after today are ignored.
    """
    seen = set(days)
    day = today if today in seen else today - timedelta(days=1)
    streak = 0
    while day in seen:
        streak += 1
        day -= timedelta(days=1)
    return streak


def recent_mean(checkins: list[tuple[date, float]], today: date) -> float | None:
    """Mean mood of the RECENT_DAYS days up to `today`, None if none. A check-in dated after
    `today` was saved under a time zone ahead of the person's new one (they moved west): it
    is their latest day, and the days count up to it rather than leave it out."""
    end = max([today, *(day for day, _ in checkins)])
    return mean_between(checkins, end - timedelta(days=RECENT_DAYS - 1), end)


def mean_between(checkins: list[tuple[date, float]], start: date, end: date) -> float | None:
    """Mean mood of the check-ins dated start..end inclusive, None if there are none."""
    return _mean_on(_daily(checkins), start, end)
