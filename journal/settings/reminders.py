"""The daily reminder and its calendar link (`/settings/reminders`); the feed itself is
journal/calendar/."""

import secrets

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..calendar import ics
from ..data import users
from ..data.tokens import token_hash
from ..db import get_db, write_transaction
from ..fields import JournalForm
from ..people import AccountGone
from ..urls import public_url


def render_reminders(form=None, new_url=None, status_code=200):
    """The reminders page: the time form, the calendar link's state, and a new link once."""
    row = users.by_id(get_db(), current_user.id)
    if row is None:
        raise AccountGone  # deleted on another device since this request began
    form = form or ics.ReminderForm(formdata=None, data={"reminder_time": row["reminder_time"]})
    response = make_response(
        render_template(
            "calendar/reminders.html",
            form=form,
            action_form=JournalForm(formdata=None),
            link_form=ics.LinkForm(formdata=None),
            reminder_time=row["reminder_time"],
            link_on=bool(row["calendar_secret_hash"]),
            new_url=new_url,
            new_webcal=ics.webcal(new_url) if new_url else None,
        ),
        status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
def reminders():
    form = ics.ReminderForm()
    if not form.is_submitted():
        return render_reminders()
    if not form.validate():
        return render_reminders(form, status_code=400)
    value = form.reminder_time.data or ""
    if not users.update(get_db(), current_user.id, {"reminder_time": value}):
        raise AccountGone  # deleted on another device since this request began
    flash(f"Your daily reminder is set for {value}." if value else "Your daily reminder is off.")
    return redirect(url_for("settings.reminders"))


@login_required
def reminder_link():
    form = ics.LinkForm()
    if not form.validate_on_submit():
        abort(400, description="This form has expired: reload the page and send it again.")
    key = form.request_key.data
    with write_transaction():  # two taps take turns: the second sees the first's key
        row = users.by_id(get_db(), current_user.id)
        if row is None:
            raise AccountGone  # deleted on another device since this request began
        made = key and row["calendar_request_key"] == key
        # Asked from a page that showed no link, while one was made elsewhere meanwhile.
        made_elsewhere = not made and form.had_link.data == "no" and row["calendar_secret_hash"]
        if not (made or made_elsewhere):
            secret = secrets.token_urlsafe(ics.SECRET_BYTES)
            ics.set_secret_hash(current_user.id, token_hash(secret), key)
    if made_elsewhere:
        flash(
            "Your calendar link was made meanwhile, in another tab or on another device, and "
            "shown there once. Nothing changed: that link keeps working. If you did not copy "
            "it, make a new one here (the older one then stops working)."
        )
        return redirect(url_for("settings.reminders"))
    if made:
        flash(
            "This form made your calendar link already, and it was shown once: the link you "
            "copied then still works. If you did not copy it, make a new one."
        )
        return redirect(url_for("settings.reminders"))
    url = public_url("calendar.feed", secret=secret)
    # Rendered here rather than redirected: the secret must not wait in the session.
    return render_reminders(new_url=url, status_code=201)


@login_required
def reminder_link_off():
    if not JournalForm().validate_on_submit():
        abort(400, description="This form has expired: reload the page and send it again.")
    if not ics.set_secret_hash(current_user.id, None):
        raise AccountGone
    flash("Your calendar link is off: calendars subscribed to it get nothing new.")
    return redirect(url_for("settings.reminders"))
