"""Crisis resources, kept in one place (see CLINICAL.md). United States; last checked 2026-11-21."""

from flask import session

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


def take(kind, key):
    """True (once) when the crisis resources were asked for on this entry's page."""
    if session.get(_NEXT_PAGE) != [kind, str(key)]:
        return False
    del session[_NEXT_PAGE]
    return True
