"""The person's settings: time zone, window length, clinic number and password."""

import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import BooleanField, IntegerField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, ValidationError

from .auth import (
    User,
    hash_password,
    password_field,
    record_failure,
    sign_in,
    throttle_wait,
    timezone_field,
    validate_timezone,
)
from .db import get_db
from .fields import no_control_characters, strip

bp = Blueprint("settings", __name__, url_prefix="/settings")


class SettingsForm(FlaskForm):
    timezone = timezone_field()
    window_days = IntegerField(
        "Days after a session to follow",
        validators=[
            InputRequired("Enter a number of days from 2 to 28."),
            NumberRange(2, 28, "Choose from 2 to 28 days."),
        ],
        description="The therapeutic window is commonly described as about a week; "
        "it is not proven. 7 unless you choose otherwise.",
        render_kw={"min": 2, "max": 28, "inputmode": "numeric"},
    )
    clinic_phone = StringField(
        "Your clinic's phone number (optional)",
        filters=[strip],
        validators=[Length(max=30, message="Keep it to 30 characters.")],
        description="Offered beside the crisis lines when you might need support.",
        render_kw={"type": "tel", "autocomplete": "tel"},
    )

    private_by_default = BooleanField("Start new reflections as private")
    report_name = StringField(
        "Name on reports and shared pages (optional)",
        filters=[strip],
        validators=[Length(max=80, message="Keep it to 80 characters."), no_control_characters],
        description="Your first name, initials or a pseudonym: what your therapist sees.",
    )

    validate_timezone = validate_timezone

    def validate_clinic_phone(self, field):
        if field.data and not re.fullmatch(r"\+?[0-9][0-9 ().-]{2,28}", field.data):
            raise ValidationError("Use digits, spaces, +, -, ( and ) only, like +1 555 010 0199.")


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = password_field("New password", "new-password")
    confirm = PasswordField(
        "New password again",
        validators=[
            InputRequired("Enter the new password again."),
            EqualTo("new_password", "The two new passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_current_password(self, field):
        # Throttled like log-in, so a borrowed session can't be used to guess the password.
        db, address = get_db(), request.remote_addr or "unknown"
        if throttle_wait(db, current_user.email.lower(), address):
            raise ValidationError("Too many wrong passwords. Please wait 15 minutes and try again.")
        row = db["users"].get(current_user.id)
        if not check_password_hash(row["password_hash"], field.data):
            record_failure(db, current_user.email.lower(), address)
            raise ValidationError("That is not your current password.")


def render(settings_form=None, password_form=None, status=200):
    """The settings page with both forms (one of them possibly holding errors)."""
    settings_form = settings_form or SettingsForm(
        formdata=None,
        data={
            "timezone": current_user.timezone,
            "window_days": current_user.window_days,
            "clinic_phone": current_user.clinic_phone,
            "private_by_default": current_user.private_by_default,
            "report_name": current_user.report_name,
        },
    )
    password_form = password_form or PasswordForm(formdata=None)
    return render_template(
        "settings/index.html", settings_form=settings_form, password_form=password_form
    ), status


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    form = SettingsForm()
    if not form.is_submitted():
        return render()
    if form.validate():
        get_db()["users"].update(
            current_user.id,
            {
                "timezone": form.timezone.data,
                "window_days": form.window_days.data,
                "clinic_phone": form.clinic_phone.data or "",
                "private_by_default": int(form.private_by_default.data),
                "report_name": form.report_name.data or "",
            },
        )
        flash("Settings saved.")
        return redirect(url_for("settings.index"))
    return render(settings_form=form, status=400)


@bp.route("/password", methods=["POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        db = get_db()
        db.execute(
            "update users set password_hash = ?, session_version = session_version + 1 "
            "where id = ?",
            [hash_password(form.new_password.data), current_user.id],
        )
        # Every other device is signed out; this one carries on with the new version.
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
        sign_in(User(db["users"].get(current_user.id)), remember=remembered in request.cookies)
        flash("Your password is changed. Any other device you were signed in on is signed out.")
        return redirect(url_for("settings.index"))
    return render(password_form=form, status=400)
