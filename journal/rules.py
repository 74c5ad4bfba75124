"""Afterglow's clinical constants and rules, each stated once.

The lowest layer of the app: standard library only, no Flask, no SQL. The analytics
(`windows`), the score wording (`instruments`), the pages, the charts, the report and the
front-end script (through data attributes the server renders) all read these names; nothing
else spells out a threshold, a band or a bound again. Sources: DESIGN.md ("Core ideas",
"Analytics definitions") and CLINICAL.md.
"""

# Bands of the PHQ-9 (0-27) and GAD-7 (0-21) totals: (low, high, name), inclusive.
PHQ9_BANDS = [
    (0, 4, "minimal"),
    (5, 9, "mild"),
    (10, 14, "moderate"),
    (15, 19, "moderately severe"),
    (20, 27, "severe"),
]
GAD7_BANDS = [(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")]

# The therapeutic window: days after a session that are followed (a person picks 2..28).
MIN_WINDOW_DAYS = 2
MAX_WINDOW_DAYS = 28
DEFAULT_WINDOW_DAYS = 7

# Baseline: the mean mood of days -14..-1 before the first session, with at least 3 check-ins.
BASELINE_DAYS = 14
BASELINE_MIN_CHECKINS = 3
# A session's pre-level: the mean mood of days -3..-1 before it.
PRE_LEVEL_DAYS = 3
# The recent mood on the progress page, the caseload card and the report: its last 7 days.
RECENT_DAYS = 7

# The timeline's average: each day's trailing mean over its last ROLLING_DAYS calendar days.
ROLLING_DAYS = 7

# The length of a session's lift is followed over days 1..LIFT_HORIZON_DAYS after it (or to
# the day before the next session, when that comes sooner): the lift may outlast the window.
LIFT_HORIZON_DAYS = 42
# A slope across sessions (the trend) needs at least this many sessions with the figure.
TREND_MIN_SESSIONS = 3

# A check-up (PHQ-9, GAD-7) is suggested this many days after the last of its kind (weekly, as
# its recall period is two weeks), or before a session.
CHECKUP_EVERY_DAYS = 7

# PHQ-9 response (latest at most half a baseline of 10 or more) and remission (latest below 5).
RESPONSE_MIN_BASELINE = 10
REMISSION_BELOW = 5
REMISSION_AT_MOST = REMISSION_BELOW - 1  # the highest total that is a remission


def response_at_most(baseline):
    """The highest PHQ-9 total that counts as a response from the treatment `baseline` (at
    most half of it: 11 gives 5), or None when there is no response to count (no baseline,
    or one below RESPONSE_MIN_BASELINE)."""
    if baseline is None or baseline < RESPONSE_MIN_BASELINE:
        return None
    return baseline // 2


# The check-in scales that rise as they improve: mood (0 very low .. 10 very good), energy and
# hours of sleep. The others fall as they ease: anxiety (0 calm .. 10 very anxious) and a
# person's own symptoms (0 none .. 10 worst), as the PHQ-9 and GAD-7 totals do.
RISE_AS_THEY_IMPROVE = ("mood", "energy", "sleep")


def lower_is_better(metric):
    """Whether check-in scale `metric` (a built-in's name, or a symptom's id) improves as it
    falls: its best change against baseline is its lowest, not its highest."""
    return metric not in RISE_AS_THEY_IMPROVE


# A total dose, a dose by weight and a weight that disagree by more than this (a slipped
# decimal point, a dose typed in the weight's box) are asked about, not stored: a rounded dose
# (0.5 mg/kg for 73 kg given as 35 or 40 mg) agrees.
DOSE_AGREES = (0.75, 4 / 3)

# Who needs attention on the caseload: a flagged day of the last FLAG_DAYS days (to the
# patient's today) not yet reviewed, a RECENT_DAYS mean below baseline, or SILENT_DAYS or more
# without a check-in.
FLAG_DAYS = 14
SILENT_DAYS = 5

# A mood of 0..CRISIS_MOOD, on a check-in or as a session's latest rating, calls for the
# crisis resources and flags the day for the therapist.
CRISIS_MOOD = 2


def is_crisis_mood(mood):
    """True for a mood rating low enough to call for the crisis resources."""
    return mood is not None and mood <= CRISIS_MOOD


# An answer above SAFETY_ITEM_ABOVE to the safety item (PHQ-9 item 9: thoughts of being better
# off dead or of self-harm), whatever the total, calls for the crisis resources and flags the
# day for the therapist.
SAFETY_ITEM_ABOVE = 0


def is_crisis_answer(answer):
    """True for an answer to the safety item that calls for the crisis resources."""
    return answer is not None and answer > SAFETY_ITEM_ABOVE


# What flags a day, in words, for every page that explains it (caseload, link page, PDF).
FLAG_RULE = (
    f"thoughts of self-harm on a check-in, PHQ-9 item 9 above {SAFETY_ITEM_ABOVE}, or a mood "
    f"of 0\u2013{CRISIS_MOOD} on a check-in or as the last mood rating of a session"
)
