"""Two-factor sign-in with TOTP (RFC 6238, issue 9): the logic, with no page of its own.

The codes come from `pyotp`, a maintained implementation of RFC 6238, at the app's clock
(`clock.timestamp()`), so tests compute codes with `TOTP.at(...)` at the held time. Decisions:

- A code is good for its 30-second step and one step either side (clocks of phones drift);
  one from further away is refused. A step accepted once is spent: that code, or an older
  one, is refused after (`last_step`), so an overheard code cannot be replayed.
- Ten recovery codes ("abcde-fghij": ten letters and digits, 50 random bits), each good once,
  only their SHA-256 stored (as for tokens); they are shown once, when made.
- Wrong codes count as failed log-ins (journal/passwords.py's throttle) under their own key
  ("2fa:" and the email), so knowing the password, which clears the password's count, does
  not buy more guesses at the code.
- Staff (therapists, admins) must have it on when REQUIRE_2FA_FOR_STAFF (the default):
  journal/access.py keeps them to their settings until it is.

The pages: journal/settings/two_factor.py (turning it on and off) and journal/auth.py (the
second step of signing in, `/auth/2fa`).
"""

import base64
import hashlib
import hmac
import re
import secrets

import pyotp
from flask import current_app
from wtforms import StringField
from wtforms.validators import InputRequired, Length, ValidationError

from . import clock, qr
from .data import two_factor, users
from .fields import JournalForm, strip
from .numbers import plural
from .passwords import record_failure, throttle_wait

STEP_SECONDS = 30
VALID_STEPS = (-1, 0, 1)  # the current step and one either side
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
ISSUER = "Afterglow"
QR_PIXELS_PER_MODULE = 4  # otpauth addresses are long: a denser code than the share page's
STAFF = ("therapist", "admin")
TOTP_SHAPE = re.compile(r"[0-9]{6}")
RECOVERY_SHAPE = re.compile(r"[a-z0-9]{10}")
CODE_MESSAGE = "Enter the 6-digit code from your authenticator app, or one of your recovery codes."


def code_shape(form, field):
    """Inline validator: a 6-digit code or a recovery code, nothing else (no other script's
    digits, no invisible characters)."""
    if not well_formed(field.data):
        raise ValidationError(CODE_MESSAGE)


def code_field(label="Code", **kwargs):
    """A field for a 6-digit code, or (where it says so) a recovery code."""
    return StringField(
        label,
        filters=[strip],
        validators=[
            InputRequired("Enter the code."),
            Length(max=40, message=CODE_MESSAGE),
            code_shape,
        ],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
        **kwargs,
    )


class CodeForm(JournalForm):
    """One field, `code`: a 6-digit code, or (where it says so) a recovery code."""

    code = code_field()


def new_setup_nonce():
    """What the session keeps of a key being set up (`setup_secret`): random, and no secret."""
    return secrets.token_urlsafe(16)


def setup_secret(nonce, user_id):
    """The key being set up for `user_id`, from the `nonce` the session keeps: an HMAC under
    the app's secret key: 160 bits in base 32, as pyotp.random_base32(32) gives.

    The session is a cookie, signed but not secret (see auth.password_mark): the key itself,
    kept there while the page waited for its first code, could be read from any copy of that
    cookie and, once turned on, stood as the second factor for good, long after the sign-in
    the copy belonged to had ended. The nonce is worth nothing without the server's key."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    message = f"two-factor-setup:{user_id}:{nonce}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:20]
    return base64.b32encode(digest).decode()


def provisioning_uri(secret, email):
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri):
    """The QR code of the otpauth:// address (journal/qr.py)."""
    return qr.qr_svg(uri, "QR code for your authenticator app", QR_PIXELS_PER_MODULE)


def secret_words(secret):
    """The secret in groups of four, easier to type into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normal(code):
    """`code` without spaces and hyphens, lower case (a recovery code may be typed anyhow)."""
    return re.sub(r"[\s-]", "", code or "").lower()


def well_formed(code):
    """Whether `code` looks like a 6-digit code or a recovery code (ASCII only)."""
    code = normal(code)
    return bool(TOTP_SHAPE.fullmatch(code) or RECOVERY_SHAPE.fullmatch(code))


def matching_step(secret, code, now=None):
    """The time step at which `code` is `secret`'s code, within VALID_STEPS of `now` (the
    app's clock), or None."""
    code = normal(code)
    if not TOTP_SHAPE.fullmatch(code):
        return None
    now = clock.timestamp() if now is None else now
    totp = pyotp.TOTP(secret)
    current = int(now) // STEP_SECONDS
    for offset in VALID_STEPS:
        step = current + offset
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def code_hash(code):
    """What is stored of a recovery code."""
    return hashlib.sha256(normal(code).encode()).hexdigest()


def new_recovery_codes():
    """RECOVERY_CODES new codes, as shown ("abcde-fghij")."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def is_on(db, user_id):
    return two_factor.of(db, user_id) is not None


def on_with_another_key(db, user_id, secret):
    """True when two-factor is on for `user_id` with a key other than `secret` (one shown on
    another device, which turned it on first); False when it is on with `secret` (this
    form's own key, sent again: a reload, a double tap) or no key is given."""
    row = two_factor.of(db, user_id)
    return bool(secret) and row is not None and not hmac.compare_digest(row["secret"], secret)


def required(db, user):
    """Whether `user` is staff who must set up two-factor before going on."""
    if not current_app.config.get("REQUIRE_2FA_FOR_STAFF", True):
        return False
    return getattr(user, "role", None) in STAFF and not is_on(db, user.id)


def turn_on(db, user_id, secret, code):
    """Turn two-factor on with `secret` if `code` is its code now; the new recovery codes, or
    None (nothing stored) for a wrong code."""
    step = matching_step(secret, code)
    if step is None:
        return None
    codes = new_recovery_codes()
    with db.atomic():
        two_factor.turn_on(
            db, user_id, secret, clock.utcnow_iso(), step, [code_hash(c) for c in codes]
        )
    return codes


def new_codes(db, user_id, request_key=None):
    """Replace the person's recovery codes (made by the form of `request_key`); the new ones,
    to show once."""
    codes = new_recovery_codes()
    with db.atomic():
        two_factor.replace_codes(db, user_id, [code_hash(c) for c in codes], request_key)
    return codes


def codes_made_by(db, user_id, request_key):
    """Whether the person's current recovery codes were made by the form of `request_key`."""
    row = two_factor.of(db, user_id)
    return bool(request_key) and row is not None and row["codes_request_key"] == request_key


def turn_off(db, user_id):
    with db.atomic():
        two_factor.turn_off(db, user_id)


def check(db, user_id, code):
    """ "code" when `code` is the person's current code (not used before), "recovery" when it
    is one of their unused recovery codes (now spent), else None. Changes nothing when None."""
    row = two_factor.of(db, user_id)
    if row is None:
        return None
    with db.atomic():
        step = matching_step(row["secret"], code)
        if step is not None and two_factor.spend_step(db, user_id, step):
            return "code"
        if RECOVERY_SHAPE.fullmatch(normal(code)) and two_factor.spend_code(
            db, user_id, code_hash(code), clock.utcnow_iso()
        ):
            return "recovery"
    return None


def codes_left(db, user_id):
    return two_factor.codes_left(db, user_id)


def recovery_code_used(left):
    """What a person who just signed in with a recovery code is told, `left` codes remaining:
    someone using them has likely lost the phone, and when the last one is spent, a phone
    still lost means no way in (a mailed reset link keeps two-factor on)."""
    if left:
        return (
            f"You signed in with a recovery code: {plural(left, 'recovery code')} left. "
            "If your phone is lost, make new codes in Settings › Two-factor sign-in."
        )
    return (
        "You signed in with your last recovery code. Make new codes now in Settings › "
        "Two-factor sign-in (it asks for a code from your authenticator app). Without the "
        "app, ask your clinic for a reset link: it turns two-factor sign-in off."
    )


def throttle_key(email):
    """The key wrong codes are counted under (not the password's: see the module's text)."""
    return f"2fa:{users.email_key(email)}"


def wait(db, email, address):
    """Seconds before another code may be tried (journal/passwords.py's throttle)."""
    return throttle_wait(db, throttle_key(email), address)


def failed(db, email, address):
    """Count one wrong code for the account `email` (noted in its Recent activity when it makes
    the account wait: whoever tried knew its password)."""
    row = users.by_email(db, users.email_key(email))
    user_id = row["id"] if row else None
    record_failure(db, throttle_key(email), address, user_id=user_id, by="code")


def succeeded(db, email):
    users.clear_failures(db, throttle_key(email))
