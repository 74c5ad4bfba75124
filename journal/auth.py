"""Accounts: register, log in (throttled), log out; the `User` flask-login works with."""

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from . import timezones
from .db import get_db
from .fields import no_control_characters, strip

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager = LoginManager()

PASSWORD_MIN = 10
PASSWORD_MAX = 256
# Issue 5 (account security): the shipped list of common passwords; see its header line.
COMMON_PASSWORDS = Path(__file__).with_name("data") / "common-passwords.txt"
COMMON_MESSAGE = (
    "This password is one of the most common; choose a less guessable one, like a short sentence."
)


class User(UserMixin):
    """The signed-in person, built from a `users` row."""

    def __init__(self, row):
        self.id = row["id"]
        self.email = row["email"]
        self.display_name = row["display_name"]
        self.timezone = row["timezone"]
        self.role = row["role"]
        self.session_version = row.get("session_version", 0)
        self.window_days = row.get("window_days", 7)
        self.clinic_phone = row.get("clinic_phone", "")
        self.private_by_default = bool(row.get("private_by_default", 0))
        self.report_name = row.get("report_name", "")
        self.created_at = row.get("created_at", "")

    def get_id(self):
        """What the session and the remember-me cookie hold: the id and the session version."""
        return f"{self.id}-{self.session_version}"

    @property
    def name(self):
        """What the pages call the person: their display name, or their email."""
        return self.display_name or self.email

    @property
    def shared_name(self):
        """What a therapist, a report or a share link calls the person."""
        return self.report_name or self.display_name or "Patient"

    @property
    def is_therapist(self):
        return self.role == "therapist"


def init_app(app):
    """Attach flask-login to the app, and end sessions left idle."""
    login_manager.init_app(app)
    app.before_request(end_idle_session)


# Issue 5 (account security): idle timeout. A session ends after IDLE_MINUTES (config, default
# 30; 0 turns it off) without a request. "Keep me signed in" is flask-login's 30-day remember
# cookie, and it outlives the idle timeout: the ended session is restored from the cookie at
# once, with no message, which is what the person chose for their own device. The time of the
# last request is kept in the (signed) session, to the minute, so a busy page does not rewrite
# the cookie on every request.


def end_idle_session():
    """Sign out a session idle for more than IDLE_MINUTES, and note this request's time."""
    minutes = current_app.config.get("IDLE_MINUTES")
    # Static files and the service worker's own fetches are not the person being active.
    if not minutes or request.endpoint == "static" or request.blueprint == "offline":
        return
    # Not signed in (or only by an id from before a password change, which flask-login
    # ignores): no clock runs, so the next log-in starts afresh.
    if "_user_id" not in session or not current_user.is_authenticated:
        if "seen_at" in session:
            del session["seen_at"]
        return
    now = int(time.time())
    seen = session.get("seen_at")
    if seen is not None and now - seen > minutes * 60:
        # The remember cookie stays: with it flask-login signs the person straight back in,
        # and the rest of the session (the form's CSRF token) carries on as before.
        for key in ("_user_id", "_fresh", "_id"):
            session.pop(key, None)
        g.pop("_login_user", None)
        if not current_user.is_authenticated:
            session.clear()
            # Pages that need a log-in now send the person there, back to this page after.
            flash(
                f"You were signed out after {minutes} minutes without activity, to keep your "
                "journal private. Log in to carry on."
            )
            return
        seen = None
    if seen is None or now - seen >= 60:
        session["seen_at"] = now


@login_manager.user_loader
def load_user(user_id):
    """flask-login's loader: the User for "id-version", or None once the version has moved on."""
    user_id, _, version = user_id.partition("-")
    rows = list(get_db()["users"].rows_where("id = ?", [user_id], limit=1))
    if not rows or str(rows[0]["session_version"]) != (version or "0"):
        return None
    return User(rows[0])


@login_manager.unauthorized_handler
def unauthorized():
    """Send the person to log in, and back to this path afterwards."""
    path = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=path))


def home_url(user):
    """Where `user` starts: the caseload for a therapist, the check-in for anyone else."""
    return url_for("caseload.index" if getattr(user, "is_therapist", False) else "checkins.checkin")


def safe_next(target):
    """`target` if it leads back into this site, else the signed-in person's start page."""
    if target:
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


def hash_password(password):
    """A werkzeug hash of `password` (method from config, so tests can use a cheap one)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


@cache
def common_passwords():
    """The shipped list of common passwords, lower-case, read once."""
    with COMMON_PASSWORDS.open(encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip() and not line.startswith("#"))


def not_common(form, field):
    """Inline validator: refuse a password on the list of the most common ones (any case)."""
    if field.data and field.data.lower() in common_passwords():
        raise ValidationError(COMMON_MESSAGE)


def password_field(label, autocomplete):
    """A password input with the rules every new password follows: length, and not common."""
    return PasswordField(
        label,
        validators=[
            InputRequired("Enter a password."),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
            ),
            not_common,
        ],
        render_kw={"autocomplete": autocomplete},
    )


def timezone_field(detect=False):
    """The time zone select; with `detect`, static/app.js picks the browser's own zone."""
    return SelectField(
        "Time zone",
        choices=timezones.choices(),
        default="UTC",
        validate_choice=False,
        description="Your days start at midnight here.",
        render_kw={"data-detect": ""} if detect else None,
    )


def validate_timezone(form, field):
    """Inline validator: the zone must be one we offer."""
    if not timezones.is_valid(field.data or ""):
        raise ValidationError("Choose a time zone from the list.")


class RegisterForm(FlaskForm):
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
        filters=[strip],
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


class LoginForm(FlaskForm):
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


# Failed log-ins live in SQLite so the limits hold across gunicorn workers.


def throttle_wait(db, email, address, now=None):
    """Seconds until `email` (or `address`) may try again; 0 when not throttled.

    After LOGIN_MAX_FAILURES failures for one account within the window, that
    account waits out the rest of the window. The per-address limit is far
    looser: a clinic's waiting room shares one address.
    """
    now = now or time.time()
    window = current_app.config["LOGIN_WINDOW_MINUTES"] * 60
    since = now - window
    wait = 0.0
    for column, key, limit in (
        ("email", email, current_app.config["LOGIN_MAX_FAILURES"]),
        ("address", address, current_app.config["LOGIN_ADDRESS_MAX_FAILURES"]),
    ):
        rows = db.execute(
            f"select at from login_failures where {column} = ? and at > ? "  # noqa: S608
            "order by at desc limit ?",
            [key, since, limit],
        ).fetchall()
        if len(rows) >= limit:
            # The oldest failure that still counts must age out of the window.
            wait = max(wait, rows[-1][0] + window - now)
    return int(wait) + 1 if wait > 0 else 0


def record_failure(db, email, address, now=None):
    """Count one failed log-in, and forget failures older than the window."""
    now = now or time.time()
    since = now - current_app.config["LOGIN_WINDOW_MINUTES"] * 60
    with db.atomic():
        db.execute("delete from login_failures where at <= ?", [since])
        db.execute(
            "insert into login_failures (email, address, at) values (?, ?, ?)",
            [email, address, now],
        )


def user_by_email(db, email):
    """The `users` row for `email` (any case), or None."""
    rows = list(db["users"].rows_where("email = ?", [email], limit=1))
    return rows[0] if rows else None


# A hash to check against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        db = get_db()
        try:
            user_id = (
                db["users"]
                .insert(
                    {
                        "email": form.email.data,
                        "password_hash": hash_password(form.password.data),
                        "display_name": form.display_name.data or "",
                        "timezone": form.timezone.data,
                        "role": form.role.data,
                        "created_at": timezones.utcnow_iso(),
                    }
                )
                .last_pk
            )
        except sqlite3.IntegrityError:
            form.email.errors.append("An account with this email already exists. Log in instead?")
        else:
            user = User(db["users"].get(user_id))
            sign_in(user)
            record_sign_in("register")  # issue 5: "Recent activity"
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
            f"about {minutes} minute{'s' if minutes != 1 else ''} and try again."
        )
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}

    row = user_by_email(db, email)
    if not check_password_hash(row["password_hash"] if row else _DUMMY_HASH, form.password.data):
        record_failure(db, email, address)
        form.password.errors.append("That email and password don't match an account.")
        return render_template("auth/login.html", form=form), 400

    db.execute("delete from login_failures where email = ?", [email])
    sign_in(User(row), remember=form.remember.data)
    record_sign_in("password")  # issue 5: "Recent activity"
    return redirect(safe_next(request.args.get("next")))


def sign_in(user, remember=False):
    """Log `user` in, noting in the session until when "Keep me signed in" lasts, if chosen.

    flask-login sets the remember cookie once, here, for REMEMBER_COOKIE_DURATION; the note
    lets pages say when it runs out (checkins.signed_in_here) without trusting a cookie that
    may be left from an earlier sign-in.
    """
    login_user(user, remember=remember)
    if remember:
        lasts = current_app.config["REMEMBER_COOKIE_DURATION"]
        lasts = lasts if isinstance(lasts, timedelta) else timedelta(seconds=lasts)
        session["remember_until"] = int((datetime.now(UTC) + lasts).timestamp())
    else:
        session.pop("remember_until", None)


def record_sign_in(how):
    """Note a sign-in in the person's "Recent activity" (journal/account.py)."""
    from .account import record_activity  # account imports this module: import at call time

    record_activity("sign-in", how=how)


@bp.route("/logout", methods=["POST"])
def logout():
    if not FlaskForm().validate_on_submit():
        abort(400)
    end_session()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


def end_session():
    """Sign the person out of this browser, "remember me" cookie included."""
    logout_user()
    # Nothing of this person stays in the cookie for whoever uses the browser next.
    session.clear()
    # Issue 5: clearing the session also dropped flask-login's note to delete the remember
    # cookie, which then signed the person straight back in; restore the note.
    session["_remember"] = "clear"
