"""One-time links (issue 9): an admin's invitation to register, and a password-reset link.

Each is a random token handed out once, as a link; only its SHA-256 is stored (as for
sign-ins and share links, `data.tokens.token_hash`), so a copy of the database opens nothing.
A link is good once, until it expires: an invitation for INVITATION_DAYS, a reset link for
RESET_HOURS. Made by the admin pages (journal/admin.py) and the `flask` commands, opened by
the auth pages (journal/auth.py).
"""

import secrets
from datetime import timedelta

from flask import current_app, has_request_context, url_for

from . import clock
from .data import tokens
from .data.tokens import token_hash
from .urls import public_base, public_url

INVITATION_DAYS = 7
RESET_HOURS = 24
# "Forgot your password?" mails at most this many links to an account in this time.
RESET_MAILS_PER_WINDOW = 3
RESET_MAIL_WINDOW = timedelta(hours=1)
# Under /auth/reset/ and /auth/invite/, errors too (create_app): the address is the secret and
# an invitation's page shows the address it was made for, so no cache (the browser's, or a
# proxy's) keeps either page, and no search engine lists it. The Referer stays as everywhere
# (same-origin): its forms are checked against it over HTTPS.
LINK_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
# What an invitation may make: never an admin (admins come from the command line).
INVITABLE_ROLES = ("patient", "therapist")
# Why a link no longer opens: (HTTP status, page title, message).
USED = (410, "This link has been used", "Each link works once. Ask your clinic for a new one.")
EXPIRED = (410, "This link has expired", "Ask your clinic for a new one.")
# Also a link retired since it was handed out (a newer one, a new password, an account
# ended): its row keeps no trace of it, so the page names every likely cause, not a typo alone.
UNKNOWN = (
    404,
    "This link does not work",
    "It may not have been copied whole, or it was replaced since: a newer link, or a new "
    "password, stops an older one. Ask your clinic for a new one if you still need it.",
)


def _iso(moment):
    return moment.isoformat(timespec="seconds")


def make(db, kind, lasts, created_by, **row):
    """Store a new one-time link of `kind` lasting `lasts` (a timedelta); its token."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    tokens.insert(
        db,
        {
            "kind": kind,
            "hash": token_hash(token),
            "created_at": _iso(now),
            "expires_at": _iso(now + lasts),
            "created_by": created_by,
            **row,
        },
    )
    return token


def make_invitation(db, role, email=None, created_by=None, request_key=None):
    """An invitation to register as `role` (patient or therapist; never admin); its token.
    `request_key`: the admin's form that asked for it (`made_by_form`)."""
    if role not in INVITABLE_ROLES:
        raise ValueError(role)
    lasts = timedelta(days=INVITATION_DAYS)
    return make(
        db,
        "invitation",
        lasts,
        created_by,
        role=role,
        email=email or None,
        request_key=request_key,
    )


def make_reset(db, user_id, created_by=None, clears_two_factor=False, request_key=None):
    """A password-reset link for `user_id` (any older unused one of theirs is retired, but
    a mailed link never retires an admin's: anyone who knows the address may ask for a mail,
    and the link an admin handed to someone who lost their phone must keep working); its
    token. `clears_two_factor`: an admin's link (from /admin or the command line), whose use
    also turns the person's two-factor sign-in off (a mailed link does not)."""
    with db.atomic():
        retire_resets(db, user_id, keep_admins=not clears_two_factor)
        return make(
            db,
            "reset",
            timedelta(hours=RESET_HOURS),
            created_by,
            user_id=user_id,
            clears_two_factor=int(clears_two_factor),
            request_key=request_key,
        )


def made_by_form(db, kind, created_by, request_key):
    """Whether `created_by`'s form with `request_key` made a link of `kind` already (the page
    that showed it reloaded: its link is not shown again, and no second one is made)."""
    return (
        bool(request_key) and tokens.by_request_key(db, kind, created_by, request_key) is not None
    )


def retire_resets(db, user_id, keep_admins=False):
    """Retire every unused reset link of `user_id` (an admin's too, unless `keep_admins`):
    a new one replaces them, and a password changed in the settings or the account
    deactivated makes them worthless (a link someone else saw can no longer set the
    password). Those of the last RESET_MAIL_WINDOW are still counted by may_mail_reset."""
    tokens.forget_resets_of(db, user_id, _iso(clock.now() - RESET_MAIL_WINDOW), keep_admins)


def retire_made_by(db, user_id):
    """Retire the unused links `user_id` handed out (invitations, reset links for others): a
    deactivated account's links stop working with it, perhaps made by whoever had it."""
    tokens.forget_made_by(db, user_id)


def may_mail_reset(db, user_id):
    """True while fewer than RESET_MAILS_PER_WINDOW reset links were made for `user_id` in
    the last RESET_MAIL_WINDOW (by mail or by an admin)."""
    since = _iso(clock.now() - RESET_MAIL_WINDOW)
    return tokens.resets_made_since(db, user_id, since) < RESET_MAILS_PER_WINDOW


def forget(db, kind, token):
    """Delete the link of `kind` made with `token` (made but never handed out: its mail
    could not be sent)."""
    tokens.forget(db, kind, token_hash(token))


def find(db, kind, token):
    """(the `tokens` row, None) for a link of `kind` that still opens, or (None, why) with
    why one of UNKNOWN, USED, EXPIRED."""
    row = tokens.by_hash(db, kind, token_hash(token)) if 0 < len(token) <= 100 else None
    if row is None:
        return None, UNKNOWN
    if row["used_at"]:
        return None, USED
    if row["expires_at"] <= clock.utcnow_iso():
        return None, EXPIRED
    return row, None


def use(db, row):
    """Spend the link of `row` (as `find` found it); False when another request spent it
    first, or it was retired (a password changed, a newer link made) or ran out meanwhile."""
    return tokens.use(db, row["id"], row["hash"], clock.utcnow_iso())


def link(endpoint, token):
    """The link to hand out: absolute in a request; outside one (the command line, a reset
    mail made after its request), JOURNAL_PUBLIC_URL (the server's address as people reach
    it) in front of the path, or the path alone."""
    if has_request_context():
        return public_url(endpoint, token=token)
    with current_app.test_request_context():
        path = url_for(endpoint, token=token)
    return public_base(current_app.config) + path
