"""The calendar feed's parts below its view (journal/calendar/__init__.py): the feed as pure
functions over plain data, the reminder forms, and the secret that opens a feed. The settings
page for reminders (journal/settings/reminders.py) uses these too."""

import hashlib
import hmac
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from flask import (
    current_app,
)
from icalendar import Alarm, Calendar, Event, Timezone, vDuration
from wtforms import HiddenField, StringField
from wtforms.validators import ValidationError

from .. import clock
from ..data import users
from ..db import get_db
from ..fields import JournalForm, has_control_characters, request_key_field, strip

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


class LinkForm(JournalForm):
    # New for every form shown: sent again (a reload of the page that showed the new link),
    # it makes no second link, so the link just copied keeps working.
    request_key = request_key_field()
    # "no" from a page that showed no link. Sent once a link was made meanwhile (in another
    # tab, on another device), it replaces nothing: that link, maybe in a calendar already,
    # keeps working, and the person is told. Without it (another client) a link is replaced.
    had_link = HiddenField()


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
    the DTSTAMP (default: `clock.now()`).
    """
    now = (now or clock.now()).astimezone(UTC).replace(microsecond=0)
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
        last_day = date(max(first_day, now.date()).year + TIMEZONE_YEARS, 1, 1)
        if moved := skipped_reminders(zone, time(hour, minute), first_day, last_day):
            checkin.add("rdate", list(moved))
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
        cal.add_missing_timezones(first_date=first_day - timedelta(days=1), last_date=last_day)
    if not cal.subcomponents:
        # No reminder and no session yet: RFC 5545 wants a calendar to hold at least one
        # component (a strict app refuses the subscription otherwise), so the person's zone.
        today = now.astimezone(zone).date()
        cal.add_component(
            Timezone.from_tzid(timezone, first_date=today, last_date=today + timedelta(days=366))
        )
    return cal.to_ical()


@lru_cache(maxsize=256)
def skipped_reminders(zone, at, first_day, last_day):
    """The reminders a daily `at` in `zone` would lose from after `first_day` to `last_day`:
    on a day the clocks go forward over `at` (02:30 in New York, 01:30 in London), RFC 5545
    has a calendar app ignore that day's instance of the daily rule, so it comes instead at
    the same moment read after the change (03:30, 02:30), as extra dates (RDATE). An app that
    moves the skipped instance itself sees the same moment twice, which RFC 5545 counts once.
    A tuple, remembered per worker for each zone, time and span: finding them looks at each
    day of some twenty years (about 40 ms), and a calendar app asks for its feed again and
    again.
    """
    moved = []
    day = first_day + timedelta(days=1)
    while day < last_day:
        wall = datetime.combine(day, at, tzinfo=zone)
        real = wall.astimezone(UTC).astimezone(zone)  # a skipped time reads as the one before
        if real.replace(tzinfo=None) != wall.replace(tzinfo=None):
            moved.append(real)
        day += timedelta(days=1)
    return tuple(moved)


# Secrets, and the rows they open


def user_key(user_id):
    """The key a person's UIDs are derived from: stable while the app's secret key is."""
    secret_key = current_app.config["SECRET_KEY"]
    if isinstance(secret_key, str):
        secret_key = secret_key.encode()
    return hmac.new(secret_key, f"calendar-uid:{user_id}".encode(), hashlib.sha256).digest()


def set_secret_hash(user_id, secret_hash, request_key=None):
    """Store `secret_hash` (or None, to turn the feed off) and the key of the form that made
    it; any earlier secret stops working, and so does its form's key. False when the account
    is gone (deleted since it was read)."""
    return users.set_calendar_secret(get_db(), user_id, secret_hash, request_key)


def webcal(url):
    """`url` with the webcal scheme, which phones open as "subscribe to this calendar"."""
    return urlunsplit(("webcal", *urlsplit(url)[1:]))
