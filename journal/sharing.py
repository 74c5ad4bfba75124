"""What a therapist may see of a patient: the one place that decides it.

Reports, share links and the caseload all fetch a patient's words through
here, so a reflection marked private (on a check-in or a session, its prompt
answers included) can never reach them by another road. The person's own
exports do not come through here: their data is theirs in full.
"""

import json

from . import rules, sessions
from .auth import User
from .db import get_db
from .progress import view_context
from .rules import CRISIS_MOOD, FLAG_RULE
from .sessions import PROMPTS


def person(user_id):
    """The User for a patient's id (for views that show someone other than the viewer)."""
    rows = list(get_db()["users"].rows_where("id = ?", [user_id], limit=1))
    return User(rows[0]) if rows else None


# Dates as YYYY-MM-DD text compare in date order; None leaves that end open.
IN_RANGE = "day between coalesce(?, '0000-00-00') and coalesce(?, '9999-99-99')"


def _bounds(start, end):
    """Parameters for IN_RANGE."""
    return [start.isoformat() if start else None, end.isoformat() if end else None]


def shared_reflections(user_id, start=None, end=None):
    """The reflections the patient chose to share, oldest first.

    Each is {"day", "kind" ("check-in" or "session"), "text", "answers": [(prompt, answer)]};
    private ones and empty ones are left out.
    """
    db = get_db()
    items = [
        {"day": day, "kind": "check-in", "text": text, "answers": []}
        for day, text in db.execute(
            f"select day, reflection from checkins where user_id = ? and {IN_RANGE} "  # noqa: S608
            "and private = 0 and reflection != '' order by day",
            [user_id, *_bounds(start, end)],
        )
    ]
    for day, text, prompts in db.execute(
        f"select day, reflection, prompts from sessions where user_id = ? and private = 0 "  # noqa: S608
        f"and {IN_RANGE} order by started_at",
        [user_id, *_bounds(start, end)],
    ):
        answers = json.loads(prompts or "{}")
        shown = [(label, answers[key]) for key, label in PROMPTS if answers.get(key)]
        if text or shown:
            items.append({"day": day, "kind": "session", "text": text, "answers": shown})
    return sorted(items, key=lambda item: item["day"])


def flagged_days(user_id, start=None, end=None):
    """Days that call for a therapist's attention, oldest first: [{"day", "reasons"}].

    The one place that decides it (the caseload, share links and the PDF all ask here). A
    day is flagged by a check-in reporting thoughts of self-harm, a PHQ-9 whose item 9
    (thoughts of being better off dead or of self-harm) is above 0, a check-in mood of 0-2,
    or a session whose latest mood rating is 0-2 (the rule that shows the crisis panel).
    Each day's reasons come most serious first, in that order. A private entry still
    flags its day; only the reason is given, never its words.
    """
    db = get_db()
    flags = {}  # day: [(rank, reason)]

    def add(day, rank, reason):
        flags.setdefault(day, []).append((rank, reason))

    for day, mood, self_harm in db.execute(
        f"select day, mood, self_harm from checkins where user_id = ? and {IN_RANGE} "  # noqa: S608
        "and (self_harm = 1 or mood <= ?)",
        [user_id, *_bounds(start, end), CRISIS_MOOD],
    ):
        if self_harm:
            add(day, 0, "thoughts of self-harm reported")
        if rules.is_crisis_mood(mood):
            add(day, 2, f"mood {mood} of 10")
    for day, item9 in db.execute(
        f"select day, item9 from assessments where user_id = ? and {IN_RANGE} "  # noqa: S608
        "and kind = 'phq9' and item9 > 0",
        [user_id, *_bounds(start, end)],
    ):
        add(day, 1, f"PHQ-9 item 9 answered {item9} of 3")
    for row in db.query(
        f"select day, mood_before, mood_after from sessions where user_id = ? and {IN_RANGE} "  # noqa: S608
        "order by started_at",
        [user_id, *_bounds(start, end)],
    ):
        if sessions.needs_crisis_resources(row):
            when = "after" if row["mood_after"] is not None else "before"
            add(row["day"], 3, f"mood {sessions.latest_mood(row)} of 10 {when} a session")
    return [
        {"day": day, "reasons": [reason for _, reason in sorted(reasons, key=lambda r: r[0])]}
        for day, reasons in sorted(flags.items())
    ]


def patient_context(patient, args):
    """What templates/sharing/_patient.html needs: the progress view, flags and shared words.

    Used by share links and the caseload, so a therapist sees the same read-only page
    whichever road they came by.
    """
    context = view_context(patient, args, shared=True)
    return {
        **context,
        "shared": True,
        "flags": flagged_days(patient.id, context["start"], context["end"]),
        "flag_rule": FLAG_RULE,
        "reflections": shared_reflections(patient.id, context["start"], context["end"]),
    }
