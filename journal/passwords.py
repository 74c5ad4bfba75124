"""Passwords: the rules a new one follows (length, not among the most common), how it is
hashed, and the limits on guessing (failed log-ins, counted in SQLite so they hold across
gunicorn workers), and the password asked again before a step a borrowed session must not
take alone. Used by log-in and registration (journal/auth.py), by settings (the password
change, adding a passkey, two-factor, deleting the account) and by an admin's reset link."""

import ipaddress
import json
from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import current_app, request
from flask_login import current_user
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length, ValidationError

from . import clock, throttle
from .data import activity, immediate_transaction, users
from .db import get_db
from .fields import JournalForm
from .numbers import plural

PASSWORD_MIN = 10
# The Recent activity events of an account whose log-in waits after too many wrong tries: of
# its password, of its two-factor codes.
PAUSED = {"password": "log-in-paused", "code": "two-factor-paused"}
PASSWORD_MAX = 256
# Issue 5 (account security): the shipped list of common passwords; see its header line.
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt")
COMMON_MESSAGE = (
    "This password is one of the most common; choose a less guessable one, like a short sentence."
)
LENGTH_MESSAGE = f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters."
HARD_TO_TYPE_MESSAGE = (
    f"Use at least {PASSWORD_MIN} letters, numbers or symbols you can see: spaces and hidden "
    "characters are hard to type again."
)
# The hints under a new password's field: on signing up or from a reset link, and in Settings.
NEW_PASSWORD_HINT = f"At least {PASSWORD_MIN} characters. A short sentence is easy to remember."
CHANGE_PASSWORD_HINT = (
    f"At least {PASSWORD_MIN} characters, and not one of the most common passwords."
)


def hash_method():
    """The werkzeug method passwords are hashed with: PASSWORD_HASH_METHOD, scrypt unless set
    (tests set a cheap one)."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


def hash_password(password):
    """A werkzeug hash of `password`, by `hash_method()`."""
    return generate_password_hash(password, method=hash_method())


def dummy_hash():
    """A hash to check against when the email is unknown, by the method real ones are checked
    with, so both cases take the same time (it was always scrypt: under another configured
    method an unknown address took longer, and said it was unknown)."""
    return _dummy_hash(hash_method())


@cache
def _dummy_hash(method):
    """Made on first use of each method, not at import (scrypt costs a noticeable fraction
    of a second)."""
    return generate_password_hash("not a real password", method=method)


@cache
def common_passwords():
    """The shipped list of common passwords, lower-case, read once."""
    with COMMON_PASSWORDS.open(encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip() and not line.startswith("#"))


def not_common(form, field):
    """Inline validator: refuse a password on the list of the most common ones (any case)."""
    if field.data and field.data.lower() in common_passwords():
        raise ValidationError(COMMON_MESSAGE)


def hard_to_type(password):
    """Whether `password` is spaces alone, or has fewer than PASSWORD_MIN characters that
    show (a zero-width joiner or another invisible character shows nothing on a phone's
    keyboard): it would be accepted, and could not be typed again."""
    shown = [char for char in password if char.isprintable()]
    return len(shown) < PASSWORD_MIN or all(char.isspace() for char in shown)


def typeable(form, field):
    """Inline validator: refuse a password that is `hard_to_type`."""
    if field.data and hard_to_type(field.data):
        raise ValidationError(HARD_TO_TYPE_MESSAGE)


def password_problem(password):
    """What is wrong with `password` as a new password by the rules of `password_field` (for
    the command line, which has no form), or None."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return LENGTH_MESSAGE
    if hard_to_type(password):
        return HARD_TO_TYPE_MESSAGE
    if password.lower() in common_passwords():
        return COMMON_MESSAGE
    return None


def password_field(label, autocomplete, hint=NEW_PASSWORD_HINT):
    """A password input with the rules every new password follows (length, and not common),
    and `hint` under it, which states the length."""
    return PasswordField(
        label,
        description=hint,
        validators=[
            InputRequired("Enter a password."),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=LENGTH_MESSAGE,
            ),
            typeable,
            not_common,
        ],
        # No maxlength: the browser cut a longer paste short without a word (and the "again"
        # box, if any, not), so the password kept was not the one typed. Too long is said.
        render_kw={"autocomplete": autocomplete, "maxlength": False},
    )


# Failed log-ins live in SQLite so the limits hold across gunicorn workers.


def client_address():
    """The network address the request came from, as the limits count tries ("unknown" when
    the server was not told)."""
    return request.remote_addr or "unknown"


def address_key(address):
    """What the per-address limit counts a network address under: an IPv4 address itself,
    an IPv6 address's /64 (one home or phone has a whole /64 and may use any address in it:
    counted one by one, each guess could come from a new address). Anything else as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:  # ::ffff:10.0.0.1 is 10.0.0.1
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def throttle_wait(db, email, address, now=None):
    """Seconds until `email` (or `address`) may try again; 0 when not throttled.

    After LOGIN_MAX_FAILURES failures for one account within the window, that
    account waits out the rest of the window. The per-address limit is far
    looser: a clinic's waiting room shares one address.
    """
    now = now or clock.timestamp()
    window = throttle.login_window()
    config = current_app.config
    return max(
        throttle.wait(db, "email", email, config["LOGIN_MAX_FAILURES"], window, now),
        throttle.wait(
            db, "address", address_key(address), config["LOGIN_ADDRESS_MAX_FAILURES"], window, now
        ),
    )


def record_failure(db, key, address, now=None, user_id=None, by="password"):
    """Count one failed try under `key` (an email for its password, or journal/two_factor.py's
    key for its codes: `by` "code"); journal/throttle.py forgets those no limit counts any more.

    When it is the try that makes the account `user_id` wait (its LOGIN_MAX_FAILURES-th in
    the window), that is noted in the person's Recent activity (PAUSED, worded by
    journal/account.py): someone guessing at it leaves a trace. Not each wrong try (a typo is
    no event), not the looser limit on an address (which pauses no one account), and not
    again before the person has signed in since the last such note: anyone may lock any
    address in every window, and the note is kept. Written through data.activity, since
    account.py sits above this module; its next event forgets the old ones."""
    limit, window = current_app.config["LOGIN_MAX_FAILURES"], throttle.login_window()
    now = now or clock.timestamp()
    with immediate_transaction(db):  # one at a time: two tries at once note the pause once
        waited = throttle.wait(db, "email", key, limit, window, now)
        throttle.record(db, key, address_key(address), now)
        wait = throttle.wait(db, "email", key, limit, window, now)
        if user_id is None or not wait or waited:
            return
        kind = PAUSED[by]
        signed_in = activity.latest_of(db, user_id, "sign-in", "") or ""
        if activity.latest_of(db, user_id, kind, signed_in) is None:
            detail = {"minutes": max(1, round(wait / 60))}
            activity.add(db, user_id, clock.utcnow_iso(), kind, json.dumps(detail))


# The password asked again


def your_password_field(missing):
    """ "Your password", asked again before a step a borrowed session must not take alone
    (deleting the account, adding a passkey, an admin's reset link); checked by
    `check_own_password`."""
    return PasswordField(
        "Your password",
        validators=[InputRequired(missing)],
        render_kw={"autocomplete": "current-password"},
    )


def check_own_password(form, field):
    """A WTForms validator: `field` holds the signed-in person's password. Throttled like
    log-in (the wait it says is the one left), so a borrowed session can't be used to guess
    it."""
    db, address = get_db(), client_address()
    wait = throttle_wait(db, users.email_key(current_user.email), address)
    if wait:
        minutes = plural(max(1, round(wait / 60)), "minute")
        raise ValidationError(
            f"Too many wrong passwords. Please wait about {minutes} and try again."
        )
    row = users.by_id(db, current_user.id)
    if row is None:
        raise users.AccountGone  # deleted on another device since this request began
    if not check_password_hash(row["password_hash"], field.data):
        record_failure(db, users.email_key(current_user.email), address, user_id=row["id"])
        raise ValidationError("That is not your current password.")


class PasswordAgainForm(JournalForm):
    """A form that asks for the password again (`your_password_field`), checked and throttled
    as the password change checks the current one."""

    password = your_password_field("Enter your password to confirm.")
    validate_password = check_own_password


# The same password change sent again (a double tap on a slow phone: the second leaves before
# the first's answer comes) is told it was done, for this long after the change.
CHANGED_AGAIN_SECONDS = 5 * 60
# The change's kind in "Recent activity", which says when it was made.
CHANGE_ACTIVITY = "password-changed"


def changed_to(db, row, password, address):
    """Whether the account `row`'s password was changed in the last CHANGED_AGAIN_SECONDS and
    is `password` now: a change that is done already. Checked as a log-in checks a password
    (throttled, and a wrong one counted as a failed log-in), so no form sent again is a way to
    guess it; the right one clears the failures, as a log-in does."""
    email = users.email_key(row["email"])
    if not password or throttle_wait(db, email, address):
        return False
    since = (clock.now() - timedelta(seconds=CHANGED_AGAIN_SECONDS)).isoformat(timespec="seconds")
    if activity.latest_of(db, row["id"], CHANGE_ACTIVITY, since) is None:
        return False
    if not check_password_hash(row["password_hash"], password):
        record_failure(db, email, address, user_id=row["id"])
        return False
    users.clear_failures(db, email)
    return True
