"""Passkeys (WebAuthn, issue 9) through the maintained `webauthn` library (py_webauthn).

A person adds passkeys in settings (journal/settings/passkeys.py) and signs in with one on the
log-in page (journal/auth.py, `/auth/passkey/options` then `/auth/passkey`). Decisions:

- The relying party is the config's `WEBAUTHN_RP_ID` (default: the request's host name) and
  the origin `WEBAUTHN_ORIGIN` (default: the request's scheme and host), so a clinic behind a
  proxy names its own (`JOURNAL_WEBAUTHN_RP_ID`, `JOURNAL_WEBAUTHN_ORIGIN`).
- Each challenge lives in the Flask session for CHALLENGE_SECONDS and is taken out by the
  first answer that comes back, right or wrong; the server also keeps it as answered until
  it runs out (the session is a cookie, and a copy of it would still hold the challenge), so
  a replayed answer is refused either way.
- Sign-in uses discoverable credentials (no email asked): the credential's id finds the
  passkey, its stored public key and counter check the answer, and user verification is
  required, so a passkey counts as both factors (no /auth/2fa step).
- A passkey does not replace the TOTP set-up the clinic requires of staff
  (REQUIRE_2FA_FOR_STAFF): a therapist or admin signed in with a passkey but without
  two-factor on is still led to /settings/2fa. An admin's reset link clears TOTP, and a
  person who lost a phone may still hold a passkey, so the rule stays one simple rule.
- Each passkey knows whether two-factor sign-in was on when it was added
  (`with_two_factor`). Staff turning it on lose those added while it was off
  (`forget_added_without_two_factor`): the password alone added them, so whoever knew it
  could have planted one while the account was kept to its settings, to sign in with it
  later with the caseload open. Those added while it was on stay at every later change.
  A patient's passkeys are never removed so.
"""

import json
from urllib.parse import urlsplit

from flask import abort, current_app, request, session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from . import clock
from .data import passkeys, signins
from .data import two_factor as two_factor_data
from .fields import CheckboxField, JournalForm

CHALLENGE = "passkey_challenge"
CHALLENGE_SECONDS = 5 * 60
NAME_MAX = 60
ANSWER_MAX = 64 * 1024  # an answer's JSON text; a real one is a few kilobytes at most
# What a malformed answer from a browser (or anyone) can raise inside the library.
BAD_ANSWER = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError, IndexError)


class AnswerForm(JournalForm):
    """The browser's answer, sent as JSON `{"credential": "<the credential's JSON as text>"}`:
    the app's JSON bodies hold text values only (journal/fields.py). Signing in, the log-in
    page's "Keep me signed in" box comes too (`remember`: yes or no)."""

    credential = StringField(
        validators=[InputRequired("The browser sent no passkey."), Length(max=ANSWER_MAX)]
    )
    remember = CheckboxField("Keep me signed in on this device")

    def answer(self):
        """The credential as a dict, or None when it is not a JSON object, or holds a broken
        character (JSON's lone "\\ud800", which SQLite cannot store nor look up: a 500)."""
        try:
            value = json.loads(self.credential.data)
            json.dumps(value, ensure_ascii=False).encode()  # UnicodeEncodeError: a ValueError
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None


def rp_id():
    """The relying party's id: WEBAUTHN_RP_ID, or the request's host name."""
    return current_app.config.get("WEBAUTHN_RP_ID") or urlsplit(host_url()).hostname


def origin():
    """The origin answers must come from: WEBAUTHN_ORIGIN, or the request's scheme and host."""
    return current_app.config.get("WEBAUTHN_ORIGIN") or host_url().rstrip("/")


def host_url():
    """The request's scheme and host; a 400 when its Host header names no host a passkey
    can belong to (werkzeug reads a malformed one as empty, and "xn--" cannot be decoded)."""
    try:
        url = request.host_url
        host = urlsplit(url).hostname
    except (UnicodeError, ValueError):
        host = None
    if not host:
        abort(400, description="This address has no host name a passkey can belong to.")
    return url


def keep_challenge(purpose, challenge, **more):
    session[CHALLENGE] = {
        "purpose": purpose,
        "challenge": bytes_to_base64url(challenge),
        "at": clock.timestamp(),
        **more,
    }


def take_challenge(db, purpose):
    """The session's challenge for `purpose` (and what was kept with it) if it is younger
    than CHALLENGE_SECONDS and was never answered before, else None; taken out of the
    session either way, and kept on the server as answered (single use, even for a copy of
    the session's cookie)."""
    kept = session.pop(CHALLENGE, None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose:
        return None
    now, at = clock.timestamp(), kept.get("at", 0)
    if not isinstance(at, int | float) or not 0 <= now - at <= CHALLENGE_SECONDS:
        return None
    if not passkeys.spend_challenge(db, kept.get("challenge"), at + CHALLENGE_SECONDS, now):
        return None
    return kept


def registration_options(db, user, name):
    """The options (JSON text) for navigator.credentials.create, for `user`; the challenge,
    the passkey's chosen `name` and who asked (with their password) are kept in the session."""
    exclude = [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(cid))
        for cid in passkeys.credential_ids_of(db, user.id)
    ]
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=current_app.config.get("CLINIC_NAME") or "Afterglow",
        user_id=str(user.id).encode(),
        user_name=user.email,
        user_display_name=user.display_name or user.email,
        exclude_credentials=exclude,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
    )
    keep_challenge("register", options.challenge, name=name, user_id=user.id)
    return options_to_json(options)


def register(db, user_id, credential):
    """Check the browser's answer `credential` (a dict) against the session's challenge and
    store the new passkey; its id, or None when refused (a challenge another account asked
    for included)."""
    kept = take_challenge(db, "register")
    if kept is None or kept.get("user_id") != user_id or not isinstance(credential, dict):
        return None
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(kept["challenge"]),
            expected_rp_id=rp_id(),
            expected_origin=origin(),
            require_user_verification=True,
        )
    except BAD_ANSWER:
        return None
    credential_id = bytes_to_base64url(verified.credential_id)
    if passkeys.by_credential(db, credential_id):
        return None
    transports = (credential.get("response") or {}).get("transports") or []
    known = {t.value for t in AuthenticatorTransport}
    return passkeys.insert(
        db,
        {
            "user_id": user_id,
            "credential_id": credential_id,
            "public_key": bytes_to_base64url(verified.credential_public_key),
            "sign_count": verified.sign_count,
            "transports": json.dumps([t for t in transports if t in known]),
            "name": kept["name"],
            "created_at": clock.utcnow_iso(),
            "with_two_factor": int(two_factor_data.of(db, user_id) is not None),
        },
    )


def forget_added_without_two_factor(db, user_id, keep_signin):
    """Remove the passkeys `user_id` added while their two-factor sign-in was off, and end the
    sign-ins they made but `keep_signin` (a dict: the sign-in doing this, which no longer
    names its passkey if that one goes); the removed ones, oldest first (`id`, `name`,
    `created_at`)."""
    removed = passkeys.forget_added_without_two_factor(db, user_id)
    for row in removed:
        signins.delete_by_passkey(db, user_id, row["id"], keep=keep_signin["id"])
        if keep_signin.get("passkey_id") == row["id"]:
            keep_signin["passkey_id"] = None
    return removed


def authentication_options():
    """The options (JSON text) for navigator.credentials.get with a discoverable passkey."""
    options = generate_authentication_options(
        rp_id=rp_id(), user_verification=UserVerificationRequirement.REQUIRED
    )
    keep_challenge("sign-in", options.challenge)
    return options_to_json(options)


def authenticate(db, credential):
    """Check the browser's answer `credential` (a dict) against the session's challenge and
    the stored passkey; (the passkey's `user_id`, its id), or None when refused (no
    challenge, an unknown passkey, a wrong origin or signature, a counter gone backwards)."""
    kept = take_challenge(db, "sign-in")
    if kept is None or not isinstance(credential, dict):
        return None
    credential_id = credential.get("id")
    if not isinstance(credential_id, str):
        return None
    stored = passkeys.by_credential(db, credential_id)
    if stored is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(kept["challenge"]),
            expected_rp_id=rp_id(),
            expected_origin=origin(),
            credential_public_key=base64url_to_bytes(stored["public_key"]),
            credential_current_sign_count=stored["sign_count"],
            require_user_verification=True,
        )
    except BAD_ANSWER:
        return None
    passkeys.used(db, stored["id"], verified.new_sign_count, clock.utcnow_iso())
    return stored["user_id"], stored["id"]
