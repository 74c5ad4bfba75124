"""Passkeys (`/settings/passkeys`): the person's passkeys, adding, naming and removing them.

Adding takes two requests from static/passkeys.js: `POST /settings/passkeys/options` (the
chosen name and the person's password, checked first, so a bad one is said before the
browser asks for the passkey) answers the options for navigator.credentials.create as JSON;
`POST /settings/passkeys/add` takes the browser's answer as JSON `{"credential": "<its JSON
as text>"}` (the workings are journal/passkeys.py). Both send the CSRF token in the
X-CSRFToken header; refused input is a 400 with `{"errors": {"name": [...]}}` (or
`password`, `passkey`). Renaming and removing are plain forms. Someone else's passkey is a
404 and nothing changes.
"""

from flask import abort, flash, jsonify, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from .. import account
from .. import passkeys as webauthn_passkeys
from ..access import owned_or_404
from ..data import passkeys, signins
from ..db import get_db, write_transaction
from ..fields import JournalForm, name_text, no_control_characters, strip
from ..passwords import PasswordAgainForm, your_password_field
from ..people import raise_if_account_gone
from ..timezones import local_time


class PasskeyNameForm(JournalForm):
    name = StringField(
        "Name of the passkey",
        filters=[strip, name_text],
        validators=[
            InputRequired("Give the passkey a name, such as “My phone”."),
            Length(
                max=webauthn_passkeys.NAME_MAX,
                message=f"Keep the name to {webauthn_passkeys.NAME_MAX} characters.",
            ),
            no_control_characters,
        ],
        render_kw={"autocomplete": "off", "maxlength": webauthn_passkeys.NAME_MAX},
    )


class PasskeyAddForm(PasskeyNameForm, PasswordAgainForm):
    """A new passkey's name, and the password again: a passkey signs in on its own (both steps
    of two-factor sign-in), so a session left open or copied must not be able to add one
    for whoever holds it."""

    password = your_password_field("Enter your password to add a passkey.")


def shown(row):
    zone = current_user.timezone
    return {
        "id": row["id"],
        "name": row["name"],
        "added": local_time(row["created_at"], zone),
        "added_iso": row["created_at"],
        "used": local_time(row["last_used_at"], zone) if row["last_used_at"] else "",
        "used_iso": row["last_used_at"] or "",
    }


def page(status=200, add_form=None, bad_id=None, bad_form=None):
    rows = [shown(row) for row in passkeys.of_user(get_db(), current_user.id)]
    response = make_response(
        render_template(
            "settings/passkeys.html",
            passkeys=rows,
            add_form=add_form or PasskeyAddForm(formdata=None),
            action_form=JournalForm(formdata=None),
            bad_id=bad_id,
            bad_form=bad_form,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# A passkey that is not the person's: most often removed already, by a double tap's first
# Remove or in another tab ("There is nothing at this address" left them unsure it had
# gone). The same words for someone else's, so nothing about it is confirmed.
NOT_THERE = (
    "That passkey is not there: it was removed already, perhaps by a tap just before this one "
    "or in another tab. Nothing else changed."
)


def not_there(passkey_id):
    """The 404 of a passkey that is not the person's (NOT_THERE, and the way back to theirs);
    signed out, and told, when it went with the account, deleted on another device."""
    raise_if_account_gone()
    owned_or_404(
        "passkeys", gone=NOT_THERE, back=("settings.passkeys_page", "Your passkeys"), id=passkey_id
    )
    abort(404)  # one added meanwhile under its id is not the passkey this page named


@login_required
def passkeys_page():
    return page()


def refused(errors, status=400):
    return jsonify(errors=errors), status


@login_required
def passkey_options():
    """The options for adding a passkey, once its name and the password are good."""
    form = PasskeyAddForm()
    if not form.validate_on_submit():
        return refused(form.errors)
    options = webauthn_passkeys.registration_options(get_db(), current_user, form.name.data)
    response = make_response(options, 200, {"Content-Type": "application/json"})
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
def add_passkey():
    """Store the passkey the browser made with the options from `passkey_options`."""
    form = webauthn_passkeys.AnswerForm()
    if not form.validate_on_submit():
        return refused(form.errors)
    with write_transaction() as db:
        added = webauthn_passkeys.register(db, current_user.id, form.answer())
    if added is None:
        return refused({"passkey": ["That passkey could not be added. Please try again."]})
    account.record_activity("passkey-added")
    flash("Your passkey is added. You can sign in with it on the log-in page.")
    return jsonify(next=url_for("settings.passkeys_page"))


@login_required
def rename_passkey(passkey_id):
    form = PasskeyNameForm()
    if not form.validate_on_submit():
        # A bad name is 400 whoever's the passkey is (the body is refused before the id is
        # looked up); shown at the passkey's field when it is the person's own.
        theirs = any(row["id"] == passkey_id for row in passkeys.of_user(get_db(), current_user.id))
        if "csrf_token" in form.errors or form.form_errors or not theirs:
            abort(400)
        return page(400, bad_id=passkey_id, bad_form=form)
    with write_transaction() as db:
        if not passkeys.rename_of(db, current_user.id, passkey_id, form.name.data):
            not_there(passkey_id)
    flash("The passkey is renamed.")
    return redirect(url_for("settings.passkeys_page"))


@login_required
def remove_passkey(passkey_id):
    if not JournalForm().validate_on_submit():
        abort(400)
    with write_transaction() as db:
        if not passkeys.delete_of(db, current_user.id, passkey_id):
            not_there(passkey_id)
        # A lost phone's passkey: the sign-ins it made elsewhere end with it.
        signins.delete_by_passkey(db, current_user.id, passkey_id, keep=current_user.signin["id"])
    account.record_activity("passkey-removed")
    flash(
        "The passkey is removed. It can no longer sign in to your journal, and any device it "
        "signed in elsewhere is signed out."
    )
    return redirect(url_for("settings.passkeys_page"))
