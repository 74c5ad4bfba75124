"""Accounts: the register, log-in (throttled) and log-out pages. The `User`, the server-side
sign-ins and signing in and out are journal/people.py; the password rules and the limits on
guessing are journal/passwords.py."""

import sqlite3
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.security import check_password_hash
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import Email, InputRequired, Length, Optional

from . import clock
from .data import users
from .db import get_db
from .fields import (
    JournalForm,
    name_text,
    no_control_characters,
    strip,
    timezone_field,
    validate_timezone,
)
from .numbers import plural
from .passwords import (
    PASSWORD_MAX,
    dummy_hash,
    hash_password,
    password_field,
    record_failure,
    throttle_wait,
)
from .people import User, sign_in, sign_out
from .urls import home_url

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next(target):
    """`target` if it leads back into this site, else the signed-in person's start page.

    Control and other invisible characters are refused anywhere in it: CR/LF cannot go into
    a Location header, and browsers drop tabs and line breaks from a URL, so "/\\t/evil.example"
    would become "//evil.example", another site.
    """
    if target and target.isprintable():
        target = target.strip()
        parts = urlsplit(target)
        if (
            target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
            and not parts.scheme
            and not parts.netloc
        ):
            return target
    return home_url(current_user)


class RegisterForm(JournalForm):
    email = EmailField(
        "Email",
        filters=[strip],
        validators=[
            InputRequired("Enter your email address."),
            Length(max=254, message="Email addresses are at most 254 characters."),
            Email("Enter an email address like name@example.com."),
        ],
        render_kw={"autocomplete": "email"},
    )
    password = password_field("Password", "new-password")
    display_name = StringField(
        "Name to show (optional)",
        filters=[name_text],
        validators=[
            Optional(),
            Length(max=80, message="Keep it to 80 characters."),
            no_control_characters,
        ],
        render_kw={"autocomplete": "nickname"},
    )
    timezone = timezone_field(detect=True)
    role = RadioField(
        "I am",
        choices=[
            SelectChoice("patient", "a patient keeping a journal"),
            SelectChoice("therapist", "a therapist"),
        ],
        default="patient",
    )

    validate_timezone = validate_timezone


class LoginForm(JournalForm):
    email = EmailField(
        "Email",
        filters=[strip],
        validators=[InputRequired("Enter your email address."), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password."), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me signed in on this device")


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        db = get_db()
        try:
            user_id = users.insert(
                db,
                {
                    "email": form.email.data,
                    "password_hash": hash_password(form.password.data),
                    "display_name": form.display_name.data or "",
                    "timezone": form.timezone.data,
                    "role": form.role.data,
                    "created_at": clock.utcnow_iso(),
                },
            )
        except sqlite3.IntegrityError:
            form.email.errors.append("An account with this email already exists. Log in instead?")
        else:
            user = User(users.by_id(db, user_id))
            sign_in(user, how="register")
            if user.is_therapist:
                flash("Welcome to Afterglow. Give your patients the invite code below to link.")
            else:
                flash("Welcome to Afterglow. Your first check-in takes half a minute.")
            return redirect(home_url(user))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/login.html", form=form), status

    db = get_db()
    email, address = form.email.data.lower(), request.remote_addr or "unknown"
    wait = throttle_wait(db, email, address)
    if wait:
        minutes = max(1, round(wait / 60))
        form.form_errors.append(
            "Too many attempts to log in. For your account's safety, please wait "
            f"about {plural(minutes, 'minute')} and try again."
        )
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}

    row = users.by_email(db, email)
    if not check_password_hash(row["password_hash"] if row else dummy_hash(), form.password.data):
        record_failure(db, email, address)
        form.password.errors.append("That email and password don't match an account.")
        return render_template("auth/login.html", form=form), 400

    users.clear_failures(db, email)
    sign_in(User(row), remember=form.remember.data)
    return redirect(safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():
    if not JournalForm().validate_on_submit():
        abort(400)
    sign_out()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
