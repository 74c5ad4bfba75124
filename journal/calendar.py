"""Daily reminders and a private calendar feed: the person's own calendar app does the reminding.

Afterglow sends no e-mail and no push notifications. Instead a person sets a daily check-in
time at `/settings/reminders` and subscribes their phone's calendar to a secret feed,
`/calendar/<secret>.ics`, opened without logging in. The feed holds one daily "Afterglow
check-in" event (with an alarm at its start) and one "Session" event per dosing session.

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
  long, marked free (TRANSP:TRANSPARENT), with a DISPLAY alarm at its start.
- Sessions are 1-hour events at their stored UTC start.
- A made-up, malformed, replaced or turned-off secret is a plain-text 404, never a 403 or a
  410: unlike a share link, nobody but the owner ever holds this address, and a calendar app
  only needs to know that nothing is there.
- Everything under `/calendar/`, errors included, answers with no-store, no-referrer and
  noindex, since the address itself is the secret. Nothing here logs the secret.
- A reminder time is HH:MM on the 24-hour clock, 00:00 to 23:59; an empty field turns the
  reminder off (stored as ''). Anything else is refused with a message at the field.
"""

import hashlib
import hmac
import re
import secrets
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from icalendar import Alarm, Calendar, Event, vDuration
from wtforms import StringField
from wtforms.validators import ValidationError

from .db import get_db, write_transaction
from .fields import JournalForm, has_control_characters, request_key_field, strip

bp = Blueprint("calendar", __name__)

SECRET_BYTES = 32
# token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet; nothing else is a secret.
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
TIME_PATTERN = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
TIME_MESSAGE = "Enter a time like 07:30 (24-hour clock, 00:00 to 23:59), or leave it empty."
PRODID = "-//Afterglow//Calendar feed//EN"
CHECKIN_SUMMARY = "Afterglow check-in"
SESSION_SUMMARY = "Session"
CHECKIN_LENGTH = timedelta(minutes=5)
SESSION_LENGTH = timedelta(hours=1)
# How often a calendar app is asked to fetch the feed again.
REFRESH_INTERVAL = timedelta(hours=1)
# How many years of daylight-saving changes the VTIMEZONE spells out.
TIMEZONE_YEARS = 20
FEED_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


def valid_reminder_time(form, field):
    """Accept '' (no reminder) or HH:MM from 00:00 to 23:59; refuse anything else."""
    if not field.data:
        return
    if has_control_characters(field.data) or not TIME_PATTERN.fullmatch(field.data):
        raise ValidationError(TIME_MESSAGE)


class ReminderForm(JournalForm):
    reminder_time = StringField(
        "Daily check-in reminder (optional)",
        filters=[strip],
        validators=[valid_reminder_time],
        description="The time of day your calendar reminds you, in your own time zone. "
        "Leave it empty for no reminder.",
        render_kw={"type": "time", "autocomplete": "off"},
    )


# The feed, as pure functions over plain data


def uid(user_key, name):
    """A stable, opaque UID for the event called `name` in one person's feed."""
    digest = hmac.new(user_key, name.encode(), hashlib.sha256).hexdigest()
    return f"{digest[:32]}@afterglow"


def build_calendar(reminder_time, timezone, sessions, user_key, *, first_day=None, now=None):
    """The iCalendar bytes of one person's feed.

    `reminder_time` is 'HH:MM' or '' (no daily event); `timezone` an IANA name; `sessions`
    (id, started_at) pairs with aware datetimes; `user_key` the bytes the UIDs are derived
    from. The daily event starts on `first_day` (default: today in `timezone`); `now` is
    the DTSTAMP (default: the real clock).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    zone = ZoneInfo(timezone)
    cal = Calendar.new(
        prodid=PRODID,
        name="Afterglow",  # also sets X-WR-CALNAME, which most calendar apps read
        uid=uid(user_key, "calendar"),
        refresh_interval=REFRESH_INTERVAL,
    )
    # RFC 7986 requires the VALUE parameter; icalendar leaves it out. Older apps read the TTL.
    cal["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    cal.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    if reminder_time:
        first_day = first_day or now.astimezone(zone).date()
        hour, minute = map(int, reminder_time.split(":"))
        checkin = Event.new(
            summary=CHECKIN_SUMMARY,
            start=datetime.combine(first_day, time(hour, minute), tzinfo=zone),
            uid=uid(user_key, "checkin"),
            stamp=now,
            classification="PRIVATE",
            transparency="TRANSPARENT",
        )
        checkin.add("duration", CHECKIN_LENGTH)
        checkin.add("rrule", {"freq": "daily"})
        alarm = Alarm.new(description=CHECKIN_SUMMARY)
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(0))
        checkin.add_component(alarm)
        cal.add_component(checkin)
    for session_id, started_at in sessions:
        session = Event.new(
            summary=SESSION_SUMMARY,
            start=started_at.astimezone(UTC),
            uid=uid(user_key, f"session-{session_id}"),
            stamp=now,
            classification="PRIVATE",
        )
        session.add("duration", SESSION_LENGTH)
        cal.add_component(session)
    if reminder_time:
        # Transitions from the first reminder on, for decades: the reminder never ends.
        cal.add_missing_timezones(
            first_date=first_day - timedelta(days=1),
            last_date=date(max(first_day, now.date()).year + TIMEZONE_YEARS, 1, 1),
        )
    return cal.to_ical()


# Secrets, and the rows they open


def hash_secret(secret):
    """The SHA-256 hex digest stored in place of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def user_key(user_id):
    """The key a person's UIDs are derived from: stable while the app's secret key is."""
    secret_key = current_app.config["SECRET_KEY"]
    if isinstance(secret_key, str):
        secret_key = secret_key.encode()
    return hmac.new(secret_key, f"calendar-uid:{user_id}".encode(), hashlib.sha256).digest()


def user_row(user_id):
    """The person's `users` row (reminder time, time zone, calendar secret hash)."""
    return get_db()["users"].get(user_id)


def set_secret_hash(user_id, secret_hash, request_key=None):
    """Store `secret_hash` (or None, to turn the feed off) and the key of the form that made
    it; any earlier secret stops working, and so does its form's key."""
    get_db()["users"].update(
        user_id, {"calendar_secret_hash": secret_hash, "calendar_request_key": request_key}
    )


def feed_owner(secret):
    """The `users` row the secret opens, or a plain-text 404."""
    rows = []
    if SECRET_PATTERN.fullmatch(secret):
        rows = list(
            get_db()["users"].rows_where("calendar_secret_hash = ?", [hash_secret(secret)], limit=1)
        )
    if not rows:
        abort(
            make_response(
                "There is no calendar at this address.\n",
                404,
                {"Content-Type": "text/plain; charset=utf-8"},
            )
        )
    return rows[0]


def session_times(user_id):
    """(id, started_at) of each of the person's sessions, oldest first; nothing else."""
    rows = get_db().execute(
        "select id, started_at from sessions where user_id = ? order by started_at, id",
        [user_id],
    )
    return [(session_id, datetime.fromisoformat(started)) for session_id, started in rows]


def local_day(iso, zone):
    """The local date, in `zone`, of a stored UTC time."""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).date()


def webcal(url):
    """`url` with the webcal scheme, which phones open as "subscribe to this calendar"."""
    return urlunsplit(("webcal", *urlsplit(url)[1:]))


@bp.after_app_request
def feed_headers(response):
    """No caching, no referrer and no indexing for anything under /calendar/, errors too."""
    if request.path.startswith("/calendar/"):
        response.headers.update(FEED_HEADERS)
    return response


# Views: the person's reminder settings


class LinkForm(JournalForm):
    # New for every form shown: sent again (a reload of the page that showed the new link),
    # it makes no second link, so the link just copied keeps working.
    request_key = request_key_field()


def render(form=None, new_url=None, status_code=200):
    """The reminders page: the time form, the calendar link's state, and a new link once."""
    row = user_row(current_user.id)
    form = form or ReminderForm(formdata=None, data={"reminder_time": row["reminder_time"]})
    response = make_response(
        render_template(
            "calendar/reminders.html",
            form=form,
            action_form=JournalForm(formdata=None),
            link_form=LinkForm(formdata=None),
            reminder_time=row["reminder_time"],
            link_on=bool(row["calendar_secret_hash"]),
            new_url=new_url,
            new_webcal=webcal(new_url) if new_url else None,
        ),
        status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def check_action_form():
    """Stop with a 400 unless the POST carries a valid CSRF token."""
    if not JournalForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and send it again.")


@bp.route("/settings/reminders", methods=["GET", "POST"])
@login_required
def reminders():
    form = ReminderForm()
    if not form.is_submitted():
        return render()
    if not form.validate():
        return render(form, status_code=400)
    value = form.reminder_time.data or ""
    get_db()["users"].update(current_user.id, {"reminder_time": value})
    flash(f"Your daily reminder is set for {value}." if value else "Your daily reminder is off.")
    return redirect(url_for("calendar.reminders"))


@bp.route("/settings/reminders/link", methods=["POST"])
@login_required
def make_link():
    form = LinkForm()
    if not form.validate_on_submit():
        abort(400, description="This form has expired: reload the page and send it again.")
    key = form.request_key.data
    with write_transaction():  # two taps take turns: the second sees the first's key
        made = key and user_row(current_user.id)["calendar_request_key"] == key
        if not made:
            secret = secrets.token_urlsafe(SECRET_BYTES)
            set_secret_hash(current_user.id, hash_secret(secret), key)
    if made:
        flash(
            "This form made your calendar link already, and it was shown once: the link you "
            "copied then still works. If you did not copy it, make a new one."
        )
        return redirect(url_for("calendar.reminders"))
    url = url_for("calendar.feed", secret=secret, _external=True)
    # Rendered here rather than redirected: the secret must not wait in the session.
    return render(new_url=url, status_code=201)


@bp.route("/settings/reminders/link/off", methods=["POST"])
@login_required
def turn_off():
    check_action_form()
    set_secret_hash(current_user.id, None)
    flash("Your calendar link is off: calendars subscribed to it get nothing new.")
    return redirect(url_for("calendar.reminders"))


# Views: the feed a calendar app fetches


@bp.route("/calendar/<secret>.ics")
def feed(secret):
    owner = feed_owner(secret)
    body = build_calendar(
        owner["reminder_time"],
        owner["timezone"],
        session_times(owner["id"]),
        user_key(owner["id"]),
        first_day=local_day(owner["created_at"], owner["timezone"]),
    )
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="afterglow.ics"'
    return response
