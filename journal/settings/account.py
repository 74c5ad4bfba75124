"""The account itself: "Recent activity" (`/settings/activity`) and deleting the account
(`/settings/delete`); their workings are journal/account.py."""

from flask import make_response, render_template
from flask_login import current_user, login_required

from .. import account, signed_in, timezones
from ..data import users
from ..db import get_db
from ..fields import request_key_field
from ..passwords import PasswordAgainForm
from ..people import AccountGone, sign_out, unauthorized


class DeleteForm(PasswordAgainForm):
    """Deleting the account: the password again, nothing else but its request key, with which
    the same form sent again (a double tap on a slow connection) is told the first sending
    erased the account (`account.erased_by`)."""

    request_key = request_key_field()


# The clinic would be left with no one to run it (invitations, resets, deactivations).
LAST_ADMIN = (
    "You are the only admin, so this account can't be deleted yet: make another admin first "
    "(on the server: flask create-admin), then delete it."
)


def erased_page(owner):
    """The page that says the account is erased; its script makes the device forget what it
    keeps of the person whose queue tag is `owner` (static/sign-out.js)."""
    response = make_response(render_template("settings/deleted.html", forget_owner=owner))
    response.headers["Cache-Control"] = "no-store"
    return response


def erased_already(form):
    """The erased page, when `form` was sent before and that sending erased the account (a
    double tap on a slow connection): this sending's sign-in went with it, so it is answered
    as the first was, the device told whose drafts and queue to forget. Else None."""
    owner = account.erased_by(form.request_key.data) if form.is_submitted() else None
    if owner is None:
        return None
    sign_out()
    return erased_page(owner)


def delete():
    form = DeleteForm()
    if not current_user.is_authenticated:
        return erased_already(form) or unauthorized()
    if current_user.is_admin and not users.other_active_admins(get_db(), current_user.id):
        if form.is_submitted():
            form.form_errors.append(LAST_ADMIN)
        status = 400 if form.is_submitted() else 200
        return render_template("settings/delete.html", form=form, last_admin=LAST_ADMIN), status
    try:
        valid = form.validate_on_submit()
    except AccountGone:  # erased since this request began: by this same form, sent before?
        answer = erased_already(form)
        if answer is None:
            raise
        return answer
    if not valid:
        status = 400 if form.is_submitted() else 200
        return render_template("settings/delete.html", form=form), status
    owner = signed_in.queue_owner()  # the device forgets what it keeps of this person
    try:
        account.erase(current_user.id, current_user.email, form.request_key.data, owner)
    except account.LastAdmin:  # the other admins went while the password was checked
        form.form_errors.append(LAST_ADMIN)
        return render_template("settings/delete.html", form=form, last_admin=LAST_ADMIN), 400
    sign_out()
    return erased_page(owner)


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
