"""Crisis resources, kept in one place (see CLINICAL.md). United States; last checked 2026-11-21."""

import re

from flask import session

from . import instruments, rules
from .session_record import latest_mood

LAST_CHECKED = "2026-11-21"

# Each resource: what it is, and the ways to reach it. `href` values are tel:, sms: or the
# lifeline's own chat page; the "press 3" option of 988 ended on 17 July 2025 and is not shown.
RESOURCES = [
    {
        "name": "988 Suicide & Crisis Lifeline",
        "detail": "Free and confidential, 24 hours a day. Press 1 for the Veterans Crisis Line, "
        "2 for Spanish.",
        "actions": [
            {"label": "Call 988", "href": "tel:988"},
            {"label": "Text 988", "href": "sms:988"},
            {"label": "Chat at 988lifeline.org", "href": "https://988lifeline.org/chat/"},
        ],
    },
    {
        "name": "Crisis Text Line",
        "detail": "Text HOME to 741741 to reach a trained crisis counselor.",
        "actions": [{"label": "Text HOME to 741741", "href": "sms:741741?&body=HOME"}],
    },
    {
        "name": "Emergency services",
        "detail": "If you are in immediate danger, or might act on these thoughts.",
        "actions": [{"label": "Call 911", "href": "tel:911"}],
    },
]

NOT_MONITORED = (
    "Afterglow is a journal: nobody reads entries as they are written, "
    "so it cannot send help. If you need someone now, reach out directly."
)


# Crisis resources appear once, on the page after the entry that called for them (and not on
# every later visit). One session key holds which entry that is, whatever kind it was.
_NEXT_PAGE = "crisis_for"


def flag(kind, key):
    """Ask the next page showing entry `key` of `kind` to show the crisis resources."""
    session[_NEXT_PAGE] = [kind, str(key)]


def forget(kind, key):
    """Entry `key` of `kind` no longer calls for the crisis resources (deleted, or saved again
    without what called for them): its page must not show them, nor a later entry's of the
    same key (a check-in's day)."""
    if session.get(_NEXT_PAGE) == [kind, str(key)]:
        del session[_NEXT_PAGE]


def take(kind, key):
    """True (once) when the crisis resources were asked for on this entry's page."""
    if session.get(_NEXT_PAGE) != [kind, str(key)]:
        return False
    del session[_NEXT_PAGE]
    return True


# A form sent after its sign-in ended goes to the log-in page unread; its answers may still
# call for the crisis resources, and that page shows them (people.unauthorized).
SIGNED_OUT = ("signed-out", "log-in")
_RATING = re.compile(r"[0-9]{1,2}")
# The check-up forms' fields of a safety item (PHQ-9 item 9: "q9"), from the instruments.
_SAFETY_FIELDS = tuple(
    f"q{i.safety_item}" for i in instruments.INSTRUMENTS.values() if i.safety_item is not None
)


def called_for_by(sent):
    """Whether the answers of a form as sent (a mapping of text, unchecked) call for the
    crisis resources: thoughts of self-harm ticked, PHQ-9 item 9 above 0, or a mood of 0-2 on
    a check-in or as a session's latest rating (rules.FLAG_RULE). Read before any check, as a
    refused form shows them too."""

    def rating(name):
        value = (sent.get(name) or "").strip()
        return int(value) if _RATING.fullmatch(value) else None

    if (sent.get("self_harm") or "false").strip().lower() not in ("false", ""):
        return True
    if any(rules.is_crisis_answer(rating(name)) for name in _SAFETY_FIELDS):
        return True
    moods = {name: rating(name) for name in ("mood_before", "mood_after")}
    return rules.is_crisis_mood(rating("mood")) or rules.is_crisis_mood(latest_mood(moods))
