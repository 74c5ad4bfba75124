"""Signed-in devices (`/settings/devices`): the person's live sign-ins, and signing them out.

A sign-in is a server-side row (`signins`, see journal/people.py), so ending one here ends it
for every copy of its cookies at once. Decisions:

- Only live sign-ins are listed: not past their end, and not idle past IDLE_MINUTES unless
  "Keep me signed in" was chosen (journal/people.py `load_user` ends those on their next
  request).
- The device is the few words kept at sign-in ("Chrome on Android"); the place is only the
  address's first part, "203.0.x.x" (IPv6: its first group, "2001:…"). First and last seen
  are shown in the person's own time zone.
- Signing out this device from the list signs this browser out (and on to the log-in page).
- Someone else's sign-in, or one already ended, is a 404 and nothing changes.
"""

from datetime import UTC, datetime

from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from .. import clock
from ..data import signins
from ..db import get_db, write_transaction
from ..fields import JournalForm
from ..people import raise_if_account_gone, sign_out
from ..timezones import local_time

NOT_SIGNED_IN = (
    "That device is not signed in: it logged out, or its sign-in ended, before this was sent. "
    "Nothing else changed."
)


def place_words(network):
    """The first part of a stored network start ("203.0.113." or "2001:db8:85a3:"), as
    "203.0.x.x" or "2001:…"; '' when unknown."""
    if not network:
        return ""
    if ":" in network:
        return network.split(":")[0] + ":…"
    parts = network.split(".")
    return ".".join(parts[:2]) + ".x.x"


def seen_iso(seen_at):
    """A sign-in's last request (Unix time) as ISO 8601 UTC text."""
    return datetime.fromtimestamp(seen_at, UTC).isoformat(timespec="seconds")


def live_signins():
    """The signed-in person's live sign-ins, in words, this device first."""
    now = clock.timestamp()
    idle = (current_app.config.get("IDLE_MINUTES") or 0) * 60
    rows = signins.live_of(get_db(), current_user.id, now, now - idle if idle else None)
    this = current_user.signin["id"] if current_user.signin else None
    zone = current_user.timezone
    shown = [
        {
            "id": row["id"],
            "this": row["id"] == this,
            "device": row["device"] or "A browser",
            "place": place_words(row["network"]),
            "first": local_time(row["created_at"], zone),
            "first_iso": row["created_at"],
            "last": local_time(seen_iso(row["seen_at"]), zone),
            "last_iso": seen_iso(row["seen_at"]),
            "remember": bool(row["remember"]),
        }
        for row in rows
    ]
    return sorted(shown, key=lambda s: not s["this"])  # stable: the rest stay newest first


@login_required
def devices():
    response = make_response(
        render_template(
            "settings/devices.html",
            devices=live_signins(),
            action_form=JournalForm(formdata=None),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
def signout_device(signin_id):
    if not JournalForm().validate_on_submit():
        abort(400)
    if current_user.signin and signin_id == current_user.signin["id"]:
        sign_out()
        flash("This device is signed out.")
        return redirect(url_for("auth.login"))
    with write_transaction() as db:
        ended = signins.delete_of(db, current_user.id, signin_id)
    if not ended:
        raise_if_account_gone()  # every sign-in went with the account, deleted meanwhile
        # From a list opened before the device logged out or timed out: "There is nothing at
        # this address" left the person unsure whether it was signed out. The same words for
        # someone else's sign-in, so nothing about it is confirmed.
        error = NotFound(description=NOT_SIGNED_IN)
        error.back = ("settings.devices", "Your signed-in devices")
        raise error
    flash("That device is signed out. It has to log in again to open your journal.")
    return redirect(url_for("settings.devices"))


@login_required
def signout_others():
    if not JournalForm().validate_on_submit():
        abort(400)
    keep = current_user.signin["id"] if current_user.signin else None
    with write_transaction() as db:
        ended = signins.delete_others(db, current_user.id, keep)
    if ended:
        flash("Every other device is signed out. Only this one is still signed in.")
    else:
        raise_if_account_gone()  # every sign-in went with the account, deleted meanwhile
        flash("No other device was signed in.")
    return redirect(url_for("settings.devices"))
