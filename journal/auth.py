"""Accounts: register, log in (throttled), log out; the `User` flask-login works with, and the
server-side sign-ins (`signins`) its cookies name; therapists kept to the caseload."""

import hashlib
import secrets
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    after_this_request,
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
from flask_login.config import COOKIE_NAME
from flask_login.utils import decode_cookie
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

from . import clock, devices, timezones
from .db import get_db
from .fields import JournalForm, name_text, no_control_characters, shown_name, strip
from .numbers import plural
from .rules import DEFAULT_WINDOW_DAYS

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager = LoginManager()

PASSWORD_MIN = 10
PASSWORD_MAX = 256
# Issue 5 (account security): the shipped list of common passwords; see its header line.
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt")
COMMON_MESSAGE = (
    "This password is one of the most common; choose a less guessable one, like a short sentence."
)


class User(UserMixin):
    """The signed-in person, built from a `users` row (and, once signed in, their sign-in)."""

    def __init__(self, row, signin=None):
        self.id = row["id"]
        self.email = row["email"]
        # Names others see, cleaned again in case they were stored before the name filter.
        self.display_name = shown_name(row["display_name"])
        self.timezone = row["timezone"]
        self.role = row["role"]
        self.window_days = row.get("window_days", DEFAULT_WINDOW_DAYS)
        self.clinic_phone = row.get("clinic_phone", "")
        self.private_by_default = bool(row.get("private_by_default", 0))
        self.report_name = shown_name(row.get("report_name", ""))
        self.created_at = row.get("created_at", "")
        # The sign-in this request runs under (a `signins` row and its cookie token).
        self.signin = signin

    def get_id(self):
        """What the session and the remember-me cookie hold: this sign-in's random token.

        Never the account's id: a cookie names one sign-in, which logging out, a password
        change, the idle timeout or deleting the account ends for every copy of the cookie.
        """
        return self.signin["token"] if self.signin else None

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

    @property
    def signin_ends_at(self):
        """When the server ends this sign-in unless another request comes first (a UTC
        datetime, as `load_user` decides), or None when not signed in: the end of "Keep me
        signed in", else IDLE_MINUTES after the last request it recorded, never later than
        the sign-in's own end."""
        if not self.signin:
            return None
        ends = self.signin["expires_at"]
        idle = (current_app.config.get("IDLE_MINUTES") or 0) * 60
        if idle and not self.signin["remember"]:
            ends = min(ends, self.signin["seen_at"] + idle)
        return datetime.fromtimestamp(ends, UTC)


def init_app(app):
    """Attach flask-login to the app, and keep therapists out of patients' own pages."""
    login_manager.init_app(app)
    app.before_request(therapists_to_caseload)


# Sign-ins live on the server (the `signins` table, migration m018): the session cookie and
# the "Keep me signed in" cookie carry only a random token, whose SHA-256 is stored. Logging
# out, changing the password (for the other devices), deleting the account and the idle
# timeout delete the row, and with it every copy of those cookies, whenever they were
# issued. A sign-in without "Keep me signed in" ends after IDLE_MINUTES (config, default 30;
# 0 turns it off) without a request; one with it lasts REMEMBER_COOKIE_DURATION whatever
# the idle time, which is what the person chose for their own device. The last request's
# time is written at most once a minute, so a busy page does not write on every request.

SEEN_EVERY_SECONDS = 60


def token_hash(token):
    """What is stored of a sign-in's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def record_signin(db, user_id, remember, device="", network="", now=None):
    """Record a new sign-in of `user_id`; return it as a dict with its `token`."""
    now = now or time.time()
    lasts = current_app.config["REMEMBER_COOKIE_DURATION"]
    lasts = lasts.total_seconds() if isinstance(lasts, timedelta) else float(lasts)
    token = secrets.token_urlsafe(32)
    row = {
        "user_id": user_id,
        "token_hash": token_hash(token),
        "remember": int(bool(remember)),
        "created_at": clock.utcnow_iso(),
        "seen_at": now,
        "expires_at": now + lasts,
        "device": device,
        "network": network,
    }
    row["id"] = db["signins"].insert(row).last_pk
    return {**row, "token": token}


def end_signins(db, user_id):
    """End every sign-in of `user_id`."""
    db.execute("delete from signins where user_id = ?", [user_id])


def end_signin(db, signin_id):
    """End one sign-in."""
    db.execute("delete from signins where id = ?", [signin_id])


def counts_as_activity():
    """Whether this request is the person being active (not a static file or the service
    worker's own fetches)."""
    return request.endpoint != "static" and request.blueprint != "offline"


@login_manager.user_loader
def load_user(token):
    """flask-login's loader: the User of the live sign-in whose token the cookie holds.

    A sign-in past its end, or idle for longer than IDLE_MINUTES without "Keep me signed in",
    is ended here, for every copy of its cookies.
    """
    db = get_db()
    found = db.execute(
        "select s.id as signin_id, s.remember, s.seen_at, s.expires_at, u.* "
        "from signins s join users u on u.id = s.user_id where s.token_hash = ?",
        [token_hash(token)],
    )
    columns = [d[0] for d in found.description]
    row = found.fetchone()
    if row is None:
        forget_token(token)
        return None
    row = dict(zip(columns, row, strict=True))
    now = time.time()
    idle = (current_app.config.get("IDLE_MINUTES") or 0) * 60
    went_idle = idle and not row["remember"] and now - row["seen_at"] > idle
    if went_idle or now >= row["expires_at"]:
        end_signin(db, row["signin_id"])
        if went_idle:
            flash(
                f"You were signed out after {plural(idle // 60, 'minute')} without activity, "
                "to keep your journal private. Log in to carry on."
            )
        forget_token(token)
        return None
    if now - row["seen_at"] >= SEEN_EVERY_SECONDS and counts_as_activity():
        db.execute("update signins set seen_at = ? where id = ?", [now, row["signin_id"]])
        row["seen_at"] = now
    signin = {
        "id": row["signin_id"],
        "token": token,
        "remember": row["remember"],
        "seen_at": row["seen_at"],
        "expires_at": row["expires_at"],
    }
    return User(row, signin)


def forget_token(token):
    """Stop this browser sending `token`, which names no live sign-in: the session forgets it,
    and a remember-me cookie that holds it is cleared (else the browser would send it with
    every request until its own date ran out)."""
    if session.get("_user_id") == token:
        session.pop("_user_id")
        session.pop("_fresh", None)
    cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))
    if cookie and decode_cookie(cookie) == token:
        session["_remember"] = "clear"  # flask-login deletes the cookie in its answer


@login_manager.unauthorized_handler
def unauthorized():
    """Send the person to log in, and back to this path afterwards."""
    path = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=path))


# A patient's journal: a therapist keeps none, and opening any of it leads to the caseload.
PATIENT_BLUEPRINTS = frozenset(
    {"checkins", "sessions", "assessments", "progress", "imports", "reports", "symptoms", "share"}
)
# ...except what anyone may open: a share link's page, its charts and its report.
OPEN_TO_ALL = frozenset({"share.view", "share.chart", "share.report"})


def therapists_to_caseload():
    """Send a signed-in therapist who opens a patient's page to the caseload. Pages that need
    a log-in still send a stranger to log in."""
    if request.blueprint not in PATIENT_BLUEPRINTS or request.endpoint in OPEN_TO_ALL:
        return None
    if current_user.is_authenticated and current_user.is_therapist:
        return redirect(url_for("caseload.index"))
    return None


def home_url(user):
    """Where `user` starts: the caseload for a therapist, the check-in for anyone else."""
    return url_for("caseload.index" if getattr(user, "is_therapist", False) else "checkins.checkin")


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


@cache
def dummy_hash():
    """A hash to check against when the email is unknown, so both cases take the same time.
    Made on first use, not at import (scrypt costs a noticeable fraction of a second)."""
    return generate_password_hash("not a real password", method="scrypt")


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
                        "created_at": clock.utcnow_iso(),
                    }
                )
                .last_pk
            )
        except sqlite3.IntegrityError:
            form.email.errors.append("An account with this email already exists. Log in instead?")
        else:
            user = User(db["users"].get(user_id))
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

    row = user_by_email(db, email)
    if not check_password_hash(row["password_hash"] if row else dummy_hash(), form.password.data):
        record_failure(db, email, address)
        form.password.errors.append("That email and password don't match an account.")
        return render_template("auth/login.html", form=form), 400

    db.execute("delete from login_failures where email = ?", [email])
    sign_in(User(row), remember=form.remember.data)
    return redirect(safe_next(request.args.get("next")))


def sign_in(user, remember=False, how="password"):
    """Start a new server-side sign-in of `user` in this browser, and note it in "Recent
    activity"."""
    from .account import record_activity  # account imports this module: import at call time

    begin_signin(user, remember)
    record_activity("sign-in", how=how)


def renew_signin():
    """End every sign-in of the signed-in person, this browser's too, and give this browser a
    new one (after a password change, every cookie copied earlier dies with the old password,
    even one copied from this browser). "Keep me signed in" carries over."""
    user = current_user._get_current_object()
    end_signins(get_db(), user.id)
    begin_signin(user, bool(user.signin["remember"]))


def begin_signin(user, remember):
    """Record a sign-in of `user` for this browser and log it in under it.

    The CSRF token changes with it: a token fetched before signing in is refused after.
    """
    device = devices.device_words(request.headers.get("User-Agent"))
    network = devices.network_start(request.remote_addr)
    user.signin = record_signin(get_db(), user.id, remember, device, network)
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    login_user(user, remember=remember)


@bp.route("/logout", methods=["POST"])
def logout():
    if not JournalForm().validate_on_submit():
        abort(400)
    sign_out()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


def sign_out():
    """End this browser's sign-in on the server, and sign it out, "remember me" included."""
    if current_user.is_authenticated and current_user.signin:
        end_signin(get_db(), current_user.signin["id"])
    logout_user()
    # Nothing of this person stays in the cookie for whoever uses the browser next.
    session.clear()
    # Issue 5: clearing the session also dropped flask-login's note to delete the remember
    # cookie, which then signed the person straight back in; restore the note.
    session["_remember"] = "clear"
    after_this_request(forget_pages)


def forget_pages(response):
    """Ask the browser to drop every copy of this site's pages and charts it keeps (its HTTP
    cache and back/forward cache), so neither Back nor the next person on this browser sees
    the signed-out person's. Not "storage": the device's queue can hold another person's
    unsent check-ins, so the script forgets only this person's (static/app.js)."""
    response.headers["Clear-Site-Data"] = '"cache"'
    return response
