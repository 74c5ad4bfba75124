"""The account itself: "Recent activity" (`/settings/activity`) and deleting the account
(`/settings/delete`); their workings are journal/account.py."""

from flask import make_response, render_template
from flask_login import current_user, login_required

from .. import account, signed_in, timezones
from ..data import users
from ..db import get_db
from ..passwords import PasswordAgainForm
from ..people import sign_out


class DeleteForm(PasswordAgainForm):
    """Deleting the account: the password again, nothing else."""


# The clinic would be left with no one to run it (invitations, resets, deactivations).
LAST_ADMIN = (
    "You are the only admin, so this account can't be deleted yet: make another admin first "
    "(on the server: flask create-admin), then delete it."
)


@login_required
def delete():
    form = DeleteForm()
    if current_user.is_admin and not users.other_active_admins(get_db(), current_user.id):
        if form.is_submitted():
            form.form_errors.append(LAST_ADMIN)
        status = 400 if form.is_submitted() else 200
        return render_template("settings/delete.html", form=form, last_admin=LAST_ADMIN), status
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("settings/delete.html", form=form), status
    owner = signed_in.queue_owner()  # the device forgets what it keeps of this person
    try:
        account.erase(current_user.id, current_user.email)
    except account.LastAdmin:  # the other admins went while the password was checked
        form.form_errors.append(LAST_ADMIN)
        return render_template("settings/delete.html", form=form, last_admin=LAST_ADMIN), 400
    sign_out()
    response = make_response(render_template("settings/deleted.html", forget_owner=owner))
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
def activity():
    events = account.activity_of(current_user.id)
    for event in events:
        event["when"] = timezones.local_time(event["at"], current_user.timezone)
    return render_template(
        "settings/activity.html",
        events=events,
        days=account.ACTIVITY_DAYS,
        limit=account.ACTIVITY_LIMIT,
    )
