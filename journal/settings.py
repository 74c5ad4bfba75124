"""The person's settings: time zone and password."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import EqualTo, InputRequired, ValidationError

from .auth import hash_password, password_field, timezone_field, validate_timezone
from .db import get_db

bp = Blueprint("settings", __name__, url_prefix="/settings")


class SettingsForm(FlaskForm):
    timezone = timezone_field()

    validate_timezone = validate_timezone


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
        row = get_db()["users"].get(current_user.id)
        if not check_password_hash(row["password_hash"], field.data):
            raise ValidationError("That is not your current password.")


def render(settings_form=None, password_form=None, status=200):
    """The settings page with both forms (one of them possibly holding errors)."""
    settings_form = settings_form or SettingsForm(
        formdata=None, data={"timezone": current_user.timezone}
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
        get_db()["users"].update(current_user.id, {"timezone": form.timezone.data})
        flash("Settings saved.")
        return redirect(url_for("settings.index"))
    return render(settings_form=form, status=400)


@bp.route("/password", methods=["POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        get_db()["users"].update(
            current_user.id, {"password_hash": hash_password(form.new_password.data)}
        )
        flash("Your password is changed.")
        return redirect(url_for("settings.index"))
    return render(password_form=form, status=400)
