"""What the pages need to know about the signed-in person, shared by views: their today (and
how a day is written for them), the
tag their device keeps with queued check-ins, and what the layout hands the script of them
(`signed_in_here`, a template global: journal/pages.py). Not a view: no routes."""

import hashlib
from datetime import timedelta

from flask import current_app
from flask_login import current_user

from . import clock, timezones

# How long the offline page offers its form after a page seen signed in, where sessions have
# no idle timeout (IDLE_MINUTES = 0) and no remember-me cookie: a working day.
SESSION_ONLY_MINUTES = 12 * 60


def today():
    """Today in the signed-in person's time zone."""
    return timezones.local_today(current_user.timezone)


def their_day(day, length="weekday"):
    """`day` as the signed-in person reads it, at `length`, with its year when that is not
    their today's (timezones.day_text_near): "Monday 28 December 2026" on 3 January."""
    return timezones.day_text_near(day, today(), length)


def queue_owner():
    """An opaque tag for the signed-in person, kept with each check-in queued on a device.

    The device sends a queued check-in only while the same person is signed in (a shared phone,
    a second account). The creation time makes it differ for a new account that gets an id
    SQLite reused.
    """
    return hashlib.sha256(f"{current_user.id}:{current_user.created_at}".encode()).hexdigest()[:24]


def signed_in_here():
    """What the script keeps on the device for the offline page's check-in form, as data
    attributes for the layout's log-out form: the patient's queue tag, whether their new
    reflections start private, their time zone (the offline form's "today" is the account's
    day, as /checkin's, not the phone's), until when the sign-in lasts, and the server's time
    now (milliseconds since 1970; the script reads both on the server's clock, a phone's own
    may be a day off).

    That is when the server ends this sign-in (`User.signin_ends_at`: when "Keep me signed in"
    runs out, else the idle timeout after the last request the server recorded), so the form
    is not offered to whoever picks up the phone after the sign-in has ended. Where there is
    no idle timeout (IDLE_MINUTES = 0) a sign-in without "Keep me signed in" lives in a cookie
    that ends with the browser, which the server cannot see: SESSION_ONLY_MINUTES from now, at
    most. Refreshed by every page a patient sees; a therapist gets none.
    """
    if current_user.role != "patient":
        return {}
    until = current_user.signin_ends_at
    if not current_user.signin["remember"] and not current_app.config.get("IDLE_MINUTES"):
        until = min(until, clock.now() + timedelta(minutes=SESSION_ONLY_MINUTES))
    return {
        "data-queue-owner": queue_owner(),
        "data-private-default": "1" if current_user.private_by_default else "0",
        "data-time-zone": current_user.timezone,
        "data-signed-in-until": str(int(until.timestamp() * 1000)),
        # The server's clock as the page is made: how far off the phone's is (a day, say).
        "data-server-now": str(int(clock.timestamp() * 1000)),
    }
