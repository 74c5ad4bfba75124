"""Daily reminders and a private calendar feed: the person's own calendar app does the reminding.

Afterglow sends no e-mail and no push notifications. Instead a person sets a daily check-in
time at `/settings/reminders` (its views are in journal/settings/reminders.py) and
subscribes their phone's calendar to a secret feed, `/calendar/<secret>.ics`, opened without
logging in. The feed holds one daily "Afterglow check-in" event (with an alarm at its start)
and one "Session" event per dosing session.

The secret is `secrets.token_urlsafe(32)` and, as for share links (`share.py`), only its
SHA-256 is stored (`users.calendar_secret_hash`), so the full address is shown once, on the
page that answers the form that made it (rendered directly, never through a redirect or the
session). Making a new one replaces the hash: the old address stops working on the very next
request. Turning the link off clears it.

Decisions:
- Nothing about health is in the feed: summaries are only "Afterglow check-in" and
  "Session", with no description, location, mood, route, dose, clinic or reflection. Events
  are CLASS:PRIVATE, so a calendar shared with others shows them as busy time only.
- UIDs are stable (a calendar app updates an event rather than duplicating it) but opaque:
  an HMAC of the session's id under a key derived from the app's secret key and the user's
  id, so they reveal neither row ids nor how many sessions anyone else has.
- The daily event starts on the local date the account was made, in the person's time zone
  (DTSTART with TZID and a VTIMEZONE from `icalendar`'s zoneinfo support), so that the same
  data always gives the same events and a refresh never re-fires a reminder. It is 5 minutes
  long, marked free (TRANSP:TRANSPARENT), with a DISPLAY alarm at its start. On a day the
  clocks go forward over the reminder's time (02:30 in New York), RFC 5545 has calendar apps
  drop that day's instance of the daily rule: the feed adds it at the same moment read after
  the change (03:30) as an RDATE (`ics.skipped_reminders`), for the years the VTIMEZONE covers.
- Sessions are 1-hour events at their stored UTC start.
- A made-up, malformed, replaced or turned-off secret is a plain-text 404, never a 403 or a
  410: unlike a share link, nobody but the owner ever holds this address, and a calendar app
  only needs to know that nothing is there.
- Everything under `/calendar/`, errors included, answers with no-store, no-referrer and
  noindex, since the address itself is the secret. Nothing here logs the secret.
- A reminder time is HH:MM on the 24-hour clock, 00:00 to 23:59; an empty field turns the
  reminder off (stored as ''). Anything else is refused with a message at the field.
"""

from datetime import datetime

from flask import Blueprint, abort, make_response

from ..data import sessions as session_data
from ..data import users
from ..data.tokens import token_hash
from ..db import get_db
from ..people import is_active
from ..timezones import local_date, usable
from .ics import SECRET_PATTERN, build_calendar, user_key

bp = Blueprint("calendar", __name__)


def feed_owner(secret):
    """The `users` row the secret opens, or a plain-text 404 (also while an admin has the
    account deactivated, as its share links)."""
    row = None
    if SECRET_PATTERN.fullmatch(secret):
        row = users.by_calendar_secret_hash(get_db(), token_hash(secret))
    if row is None or not is_active(row):
        abort(
            make_response(
                "There is no calendar at this address.\n",
                404,
                {"Content-Type": "text/plain; charset=utf-8"},
            )
        )
    return row


def session_times(user_id):
    """(id, started_at) of each of the person's sessions, oldest first; nothing else."""
    return [
        (row["id"], datetime.fromisoformat(row["started_at"]))
        for row in session_data.start_times(get_db(), user_id)
    ]


# Views: the feed a calendar app fetches


@bp.route("/calendar/<secret>.ics")
def feed(secret):
    owner = feed_owner(secret)
    zone = usable(owner["timezone"])
    body = build_calendar(
        owner["reminder_time"],
        zone,
        session_times(owner["id"]),
        user_key(owner["id"]),
        first_day=local_date(owner["created_at"], zone),
    )
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="afterglow.ics"'
    return response
