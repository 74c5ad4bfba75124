"""What the pages need to know about the signed-in person, shared by views: their today and the
tag their device keeps with queued check-ins. Not a view: no routes."""

import hashlib

from flask_login import current_user

from . import timezones


def today():
    """Today in the signed-in person's time zone."""
    return timezones.local_today(current_user.timezone)


def queue_owner():
    """An opaque tag for the signed-in person, kept with each check-in queued on a device.

    The device sends a queued check-in only while the same person is signed in (a shared phone,
    a second account). The creation time makes it differ for a new account that gets an id
    SQLite reused.
    """
    return hashlib.sha256(f"{current_user.id}:{current_user.created_at}".encode()).hexdigest()[:24]
