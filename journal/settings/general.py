"""`/settings` itself: time zone, window length, clinic number, the name on reports and
whether reflections start private (a therapist: the name patients see); and
`/settings/password`."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, ValidationError

from .. import account, onetime, timezones, two_factor
from ..data import users
from ..db import get_db
from ..fields import (
    NAME_LENGTH_MESSAGE,
    NAME_MAX,
    CheckboxField,
    JournalForm,
    WholeNumberField,
    answers_version,
    digest,
    isolated,
    name_text,
    no_control_characters,
    timezone_field,
    validate_timezone,
    version_digests,
)
from ..passwords import (
    CHANGE_ACTIVITY,
    CHANGE_PASSWORD_HINT,
    changed_to,
    check_own_password,
    client_address,
    hash_password,
    password_field,
)
from ..people import (
    AccountGone,
    User,
    is_active,
    remembered_here,
    renew_signin,
    sent_form,
    sign_in,
)
from ..phones import PHONE_MAX, phone_problem, phone_text
from ..rules import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, MIN_WINDOW_DAYS

# What the name on reports asks for (its hint says, too, what is shown while it is blank).
REPORT_NAME_ASKED = "Your first name, initials or a pseudonym: what your therapist sees."


class SettingsForm(JournalForm):
    timezone = timezone_field()
    window_days = WholeNumberField(
        "Days after a session to follow",
        message=f"Enter a whole number of days from {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS}.",
        validators=[
            InputRequired(f"Enter a number of days from {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS}."),
            NumberRange(
                MIN_WINDOW_DAYS,
                MAX_WINDOW_DAYS,
                f"Choose from {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS} days.",
            ),
        ],
        description="The therapeutic window is commonly described as about a week; "
        f"it is not proven. {DEFAULT_WINDOW_DAYS} unless you choose otherwise.",
        render_kw={"min": MIN_WINDOW_DAYS, "max": MAX_WINDOW_DAYS, "inputmode": "numeric"},
    )
    clinic_phone = StringField(
        "Your clinic's phone number (optional)",
        filters=[phone_text],
        description="Offered beside the crisis lines when you might need support.",
        render_kw={"type": "tel", "autocomplete": "tel", "maxlength": PHONE_MAX},
    )

    private_by_default = CheckboxField("Start new reflections as private")
    report_name = StringField(
        "Name on reports and shared pages (optional)",
        filters=[name_text],
        validators=[Length(max=NAME_MAX, message=NAME_LENGTH_MESSAGE), no_control_characters],
        description=REPORT_NAME_ASKED,
    )

    display_name = StringField(
        "Name your patients see (optional)",
        filters=[name_text],
        validators=[Length(max=NAME_MAX, message=NAME_LENGTH_MESSAGE), no_control_characters],
        description="What patients linked with you see. Left blank, they see your email address.",
        render_kw={"autocomplete": "name"},
    )

    # A fingerprint of each setting the form was shown with (fields.answers_version): only the
    # settings changed on this page are saved, so a page left open in another tab, saved
    # after this one, can't put back what this one changed.
    loaded_version = HiddenField()

    def validate_timezone(self, field):
        # A form sent without the field at all (a client's JSON body naming only what it
        # changes) would otherwise take the select's default, UTC, and move every "today".
        if not field.raw_data:
            raise ValidationError("Choose a time zone from the list.")
        validate_timezone(self, field)

    def validate_clinic_phone(self, field):
        problem = field.data and phone_problem(field.data)
        if problem:
            raise ValidationError(problem)


class PasswordForm(JournalForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = password_field("New password", "new-password", CHANGE_PASSWORD_HINT)
    confirm = PasswordField(
        "New password again",
        validators=[
            InputRequired("Enter the new password again."),
            EqualTo("new_password", "The two new passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    # Throttled like log-in, so a borrowed session can't be used to guess the password.
    validate_current_password = check_own_password


# What only a patient's journal uses: a therapist or an admin keeps no journal.
PATIENT_SETTINGS = ("window_days", "clinic_phone", "private_by_default", "report_name")
# What only a therapist has: the name linked patients see (given at sign-up, or not: with no
# way to change it, a typo stayed on every patient's page for as long as the account).
THERAPIST_SETTINGS = ("display_name",)


def make_settings_form(**kwargs):
    """The settings form for the signed-in person: the time zone alone for an admin, and the
    name patients see for a therapist."""
    form = SettingsForm(**kwargs)
    left_out = () if current_user.is_patient else PATIENT_SETTINGS
    left_out += () if current_user.is_therapist else THERAPIST_SETTINGS
    for name in left_out:
        delattr(form, name)
    return form


def render(settings_form=None, password_form=None, status=200):
    """The settings page with both forms (one of them possibly holding errors)."""
    stored = make_settings_form(
        formdata=None,
        data={
            "timezone": current_user.timezone,
            "window_days": current_user.window_days,
            "clinic_phone": current_user.clinic_phone,
            "private_by_default": current_user.private_by_default,
            "report_name": current_user.report_name,
            "display_name": current_user.display_name,
        },
    )
    shown = shown_settings(stored)
    zone_to_choose = False
    if not timezones.known(current_user.stored_timezone):
        # Their days follow UTC meanwhile, which the list shows chosen; the page was shown with
        # the stored zone, so choosing UTC itself is a change, and is saved.
        shown["timezone"] = current_user.stored_timezone
        if settings_form is None:
            stored.timezone.errors = [unknown_zone(current_user.stored_timezone)]
            zone_to_choose = True
    settings_form = settings_form or stored
    if not settings_form.loaded_version.data:  # sent back with errors, it keeps its own
        settings_form.loaded_version.data = answers_version(shown)
    password_form = password_form or PasswordForm(formdata=None)
    return render_template(
        "settings/index.html",
        settings_form=settings_form,
        password_form=password_form,
        report_name_hint=report_name_hint(current_user),
        # Asked at the field alone: the summary's "Nothing is saved yet" is for a form sent.
        zone_to_choose=zone_to_choose,
    ), status


def unknown_zone(name):
    """What the time zone field says when the stored zone `name` is one this server's time
    zone data does not have."""
    return (
        f"Your time zone \u201c{name}\u201d is not known here, so your days follow "
        f"{timezones.FALLBACK_ZONE} for now. Choose your time zone from the list."
    )


def report_name_hint(user):
    """The hint of the name on reports: what others see while it is blank (the name the
    person signed up with: an empty box read as "nothing is shown" while it was)."""
    if user.report_name:
        return REPORT_NAME_ASKED
    at_sign_up = ", your name at sign-up" if user.display_name else ""
    name = isolated(user.shared_name)
    return f"{REPORT_NAME_ASKED} Left blank, they see \u201c{name}\u201d{at_sign_up}."


def shown_settings(form):
    """{name: value} of the settings `form` holds (not its token or version)."""
    return {f.name: f.data for f in form if f.name not in ("csrf_token", "loaded_version")}


def changed_settings(form):
    """The names of the settings a sent `form` changes from what its page was shown with; when
    it carries no fingerprint (another client, a JSON body naming what it changes), those it
    sends: one it leaves out stays as it is (a body with the time zone alone erased the name
    others see, the clinic's number and "start private"). A form body leaves out an unticked
    box, as a browser does: there a box not sent is unticked. A setting the fingerprint does
    not name (a page shown before an upgrade added it) changes only when sent."""
    loaded = version_digests(form.loaded_version.data)
    settings = shown_settings(form)
    if not loaded:
        sent = {name for name in settings if form[name].raw_data}
        boxes = {name for name in settings if isinstance(form[name], BooleanField)}
        return sent | (set() if request.is_json else boxes)
    return {
        name
        for name, value in settings.items()
        if (digest(value) != loaded[name] if name in loaded else form[name].raw_data)
    }


@login_required
def index():
    form = make_settings_form()
    if not form.is_submitted():
        return render()
    if form.validate():
        values = {"timezone": form.timezone.data}
        if current_user.is_patient:
            values |= {
                "window_days": form.window_days.data,
                "clinic_phone": form.clinic_phone.data or "",
                "private_by_default": int(form.private_by_default.data),
                "report_name": form.report_name.data or "",
            }
        if current_user.is_therapist:
            values["display_name"] = form.display_name.data or ""
        changed = changed_settings(form)
        values = {name: value for name, value in values.items() if name in changed}
        if not users.update(get_db(), current_user.id, values):
            raise AccountGone  # deleted on another device since this request began
        flash("Settings saved.")
        return redirect(url_for("settings.index"))
    return render(settings_form=form, status=400)


# The same change sent again once it was made (a double tap on a slow phone): told so, not
# "What you sent was not done" on the log-in page, nor "That is not your current password".
ALREADY_CHANGED = "Your password was already changed: the form was sent twice, and changed it once."
ALREADY_CHANGED_LOG_IN = f"{ALREADY_CHANGED} Log in with your new password."


def password():
    if not current_user.is_authenticated:
        return sent_again_signed_out()
    form = PasswordForm()
    if form.validate_on_submit():
        db = get_db()
        with db.atomic():
            users.set_password_hash(db, current_user.id, hash_password(form.new_password.data))
            onetime.retire_resets(db, current_user.id)
            # Every other device is signed out; this one carries on under a new sign-in, so
            # a copy of its cookies taken earlier is signed out too.
            renew_signin()
            account.record_activity(CHANGE_ACTIVITY)
        flash("Your password is changed. Any other device you were signed in on is signed out.")
        return redirect(url_for("settings.index"))
    # Sent again after the first's answer came: the current password it names is the old one.
    if set(form.errors) == {"current_password"} and changed_to(
        get_db(), users.by_id(get_db(), current_user.id), form.new_password.data, client_address()
    ):
        flash(ALREADY_CHANGED)
        return redirect(url_for("settings.index"))
    return render(password_form=form, status=400)


def sent_again_signed_out():
    """A password change from a sign-in that has ended: the same change sent again, once the
    first had ended every sign-in (a double tap whose second left before the first's answer
    came), is told it was done, and signed in as a log-in with the new password would be
    (to log in, with two-factor on); anything else is sent to log in, as any form is."""
    sent = sent_form()
    new = sent.get("new_password", "")
    row = users.by_email(get_db(), users.email_key(sent.get("username", "")))
    if row is None or not is_active(row) or new != sent.get("confirm"):
        return current_app.login_manager.unauthorized()
    if not changed_to(get_db(), row, new, client_address()):
        return current_app.login_manager.unauthorized()
    if two_factor.is_on(get_db(), row["id"]) or not sign_in(
        User(row), remember=remembered_here(), password_hash=row["password_hash"]
    ):
        flash(ALREADY_CHANGED_LOG_IN)
        return redirect(url_for("auth.login", next=url_for("settings.index")))
    flash(ALREADY_CHANGED)
    return redirect(url_for("settings.index"))
