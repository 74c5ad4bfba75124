"""The signed-in person: the `User` flask-login works with, the server-side sign-ins
(`signins`) its cookies name, and signing in and out. The pages that do it (register, log in,
log out) are journal/auth.py; a password change (journal/settings/general.py) renews the sign-in."""

import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

from flask import (
    after_this_request,
    current_app,
    flash,
    g,
    get_flashed_messages,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME
from flask_login.utils import decode_cookie
from werkzeug.exceptions import RequestEntityTooLarge

from . import account, clock, crisis, devices, drafts, timezones
from .data import imports as import_data
from .data import signins, users
from .data.tokens import token_hash
from .data.users import AccountGone
from .db import get_db, write_transaction
from .fields import shown_name, wants_json
from .numbers import plural
from .rules import DEFAULT_WINDOW_DAYS


class Logins(LoginManager):
    """flask-login's LoginManager, whose step after every request (setting or clearing the
    "Keep me signed in" cookie) runs only for a request that loaded a user. Only those can
    ask for it: logging in or out, or a cookie naming an ended sign-in (`forget_token`), all
    load one first. Run for every request, the step reads the session, and Flask then marks
    the answer `Vary: Cookie`: /healthz, static files and other answers that never depend on
    who asks would say they do (and cost a header more to write and to read)."""

    def _update_remember_cookie(self, response):
        if g.get("_login_user") is None:
            return response
        return super()._update_remember_cookie(response)


login_manager = Logins()


def is_active(account):
    """Whether the account may sign in and be used (its sign-ins, reset links, calendar feed
    and share links work): an admin has not turned it off. `account`: a `users` row or a
    `User`. The one place this is decided; `User.is_active` (flask-login's name) asks here."""
    if isinstance(account, dict):
        return not account.get("deactivated_at")
    return not account.deactivated_at


class User(UserMixin):
    """The signed-in person, built from a `users` row (and, once signed in, their sign-in)."""

    def __init__(self, row, signin=None):
        self.id = row["id"]
        self.email = row["email"]
        # Names others see, cleaned again in case they were stored before the name filter.
        self.display_name = shown_name(row["display_name"])
        # The zone the person's days follow; `stored_timezone` is theirs as stored, which may
        # be one this server does not know (then UTC: the settings page asks for another).
        self.stored_timezone = row["timezone"]
        self.timezone = timezones.usable(self.stored_timezone)
        self.role = row["role"]
        self.window_days = row.get("window_days", DEFAULT_WINDOW_DAYS)
        self.clinic_phone = row.get("clinic_phone", "")
        self.private_by_default = bool(row.get("private_by_default", 0))
        self.report_name = shown_name(row.get("report_name", ""))
        self.created_at = row.get("created_at", "")
        # Set when an admin turned the account off (issue 9): it cannot sign in.
        self.deactivated_at = row.get("deactivated_at")
        # The sign-in this request runs under (a `signins` row and its cookie token).
        self.signin = signin

    @property
    def is_active(self):
        return is_active(self)

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
    def is_patient(self):
        return self.role == "patient"

    @property
    def is_admin(self):
        """Clinic staff who run the service: not a clinician, never shown health data."""
        return self.role == "admin"

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
    """Attach flask-login to the app (journal/access.py keeps therapists out of patients'
    own pages)."""
    login_manager.init_app(app)
    app.register_error_handler(sqlite3.IntegrityError, account_gone_meanwhile)
    app.register_error_handler(AccountGone, account_gone_meanwhile)


# What a save answers when the account was deleted (on another device, or in another tab)
# after the request had read who sent it: nothing was stored; and what a page (a GET) does.
ACCOUNT_GONE = "Your account has been deleted, so nothing was saved."
ACCOUNT_GONE_SHOWN = "Your account has been deleted."


def account_gone_words():
    """What this request's person is told of their account deleted: a page's words, or a
    save's (nothing was saved)."""
    return ACCOUNT_GONE_SHOWN if request.method in ("GET", "HEAD") else ACCOUNT_GONE


def account_gone_meanwhile(error):
    """A write refused by the database because the signed-in person's `users` row went after
    their sign-in was read at the start of the request: the account was deleted elsewhere in
    between (its rows go with it, so an insert naming it fails its foreign key); or a view
    that found so itself (`AccountGone`: a read found no row of theirs, an update changed
    none). The person is signed out, as they would have been a moment later, and sent to log
    in with a calm word, not shown an error page; the transaction was rolled back, so nothing
    is stored.

    Any other failed constraint is the error it was (a 500, logged), and so is an
    `AccountGone` of an account that is there."""
    user = current_user._get_current_object() if g.get("_login_user") is not None else None
    if not (user and user.is_authenticated) or users.by_id(get_db(), user.id) is not None:
        raise error
    owner = erased_under(user.get_id())
    forget_token(user.get_id())
    logout_user()
    told = account_gone_words()
    if owner:
        note_erased(owner, told)
    else:
        flash(told)
    return unauthorized()


# The queue tag of an account erased while this browser was signed in as it, and what the
# person is told of it, kept in the session until a page tells the device's script to forget
# what it keeps of that person and says why (`forget_here`).
FORGET_KEY = "forget_owner"
FORGET_TOLD_KEY = "forget_told"


def note_erased(owner, told):
    """Have the next page this browser shows say `told` and have its script forget what the
    device keeps of the erased account whose queue tag is `owner`: the two together, never
    one without the other (a flash and the note, kept apart, could be shown apart: the
    offline page, which shows no flash, would take the note and forget the drafts without a
    word)."""
    session[FORGET_KEY] = owner
    session[FORGET_TOLD_KEY] = told


def erased_under(token):
    """The device queue tag of the erased account whose sign-in `token` named, or None: noted
    by the erasure for as long as the sign-in would have lasted (account.erase)."""
    return users.erased_by(get_db(), token_hash(token), clock.timestamp())


def forget_here():
    """For the layout, once: {"owner": the queue tag of the erased account this browser was
    signed in as, whose drafts, queued check-ins and note of who is signed in the page's
    script removes from the device (static/sign-out.js), "told": what the page says of it
    (`note_erased`)}; else None. Only in a page the browser shows (`shown_by_the_browser`):
    a script's fetch (the check-in form opening another day, its redirect to the log-in page
    followed) or a HEAD took the note, and the page the person saw next left the queue and
    drafts on the device."""
    if not shown_by_the_browser() or FORGET_KEY not in session:
        return None
    told = session.pop(FORGET_TOLD_KEY, None) or ACCOUNT_GONE_SHOWN
    return {"owner": session.pop(FORGET_KEY), "told": told}


def raise_if_account_gone():
    """Raise AccountGone when the signed-in person's account is gone: for a view whose write
    found nothing of theirs to change, which another tab's doing explains, and so does the
    account deleted on another device since the request began."""
    if users.by_id(get_db(), current_user.id) is None:
        raise AccountGone


# Sign-ins live on the server (the `signins` table, migration m018): the session cookie and
# the "Keep me signed in" cookie carry only a random token, whose SHA-256 is stored. Logging
# out, changing the password (for the other devices), deleting the account and the idle
# timeout delete the row, and with it every copy of those cookies, whenever they were
# issued. A sign-in without "Keep me signed in" ends after IDLE_MINUTES (config, default 30;
# 0 turns it off) without a request; one with it lasts REMEMBER_COOKIE_DURATION whatever
# the idle time, which is what the person chose for their own device. The last request's
# time is written at most once a minute, so a busy page does not write on every request.

SEEN_EVERY_SECONDS = 60


def record_signin(db, user_id, remember, device="", network="", now=None, passkey_id=None):
    """Record a new sign-in of `user_id` (by the passkey `passkey_id`, if one); return it as a
    dict with its `token`."""
    now = now or clock.timestamp()
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
        "passkey_id": passkey_id,
    }
    row["id"] = signins.insert(db, row)
    return {**row, "token": token}


def end_signins(db, user_id):
    """End every sign-in of `user_id`."""
    signins.delete_for_user(db, user_id)


def end_signin(db, signin_id):
    """End one sign-in."""
    signins.delete(db, signin_id)


# What the idle sign-out keeps private, by role: only a patient has a journal.
IDLE_KEEPS_PRIVATE = {"patient": "your journal", "therapist": "your caseload"}


def counts_as_activity():
    """Whether this request is the person being active (not a static file or the service
    worker's own fetches)."""
    return request.endpoint != "static" and request.blueprint != "offline"


@login_manager.user_loader
def load_user(token):
    """flask-login's loader: the User of the live sign-in whose token the cookie holds.

    A token of a sign-in ended by erasing its account is told so (`erased_under`). A sign-in
    past its end, or idle for longer than IDLE_MINUTES without "Keep me signed in", is ended
    here, for every copy of its cookies; so is any sign-in of a deactivated account
    (deactivating ends them all at once; this refuses one that slipped in between).
    """
    db = get_db()
    row = signins.with_user(db, token_hash(token))
    if row is None:
        # Erased on another device (or in another tab): the person is told, and the page
        # has the device forget their unsent check-ins and drafts, which can never be sent.
        owner = erased_under(token)
        forget_token(token)
        if owner and session.get(FORGET_KEY) != owner:
            note_erased(owner, account_gone_words())
        return None
    if not is_active(row):
        end_signins(db, row["id"])
        forget_token(token)
        return None
    now = clock.timestamp()
    idle = (current_app.config.get("IDLE_MINUTES") or 0) * 60
    went_idle = idle and not row["remember"] and now - row["seen_at"] > idle
    if went_idle or now >= row["expires_at"]:
        end_signin(db, row["signin_id"])
        if went_idle:
            kept = IDLE_KEEPS_PRIVATE.get(row["role"], "your account")
            flash(
                f"You were signed out after {plural(idle // 60, 'minute')} without activity, "
                f"to keep {kept} private. Log in to carry on."
            )
        forget_token(token)
        return None
    if now - row["seen_at"] >= SEEN_EVERY_SECONDS and counts_as_activity():
        signins.touch(db, row["signin_id"], now)
        row["seen_at"] = now
    signin = {
        "id": row["signin_id"],
        "token": token,
        "remember": row["remember"],
        "seen_at": row["seen_at"],
        "expires_at": row["expires_at"],
        "passkey_id": row["passkey_id"],
    }
    return User(row, signin)


def forget_token(token):
    """Stop this browser sending `token`, which names no live sign-in: the session forgets it,
    and a remember-me cookie that holds it is cleared (else the browser would send it with
    every request until its own date ran out).

    A session whose sign-in ended keeps nothing of it but `KEPT_WHEN_SIGN_IN_ENDS`: flask-login
    then tries the remember-me cookie, which may name another live sign-in (a copied cookie of
    someone else's), and that person must not inherit what this one left (a passkey challenge
    or a two-factor secret asked for with this one's password)."""
    if session.get("_user_id") == token:
        kept = {key: session[key] for key in KEPT_WHEN_SIGN_IN_ENDS if key in session}
        session.clear()
        session.update(kept)
    cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))
    if cookie and decode_cookie(cookie) == token:
        session["_remember"] = "clear"  # flask-login deletes the cookie in its answer


# What the log-in page says to a form sent from a page whose sign-in had ended (a Save after
# the idle time-out): it was not saved, and whether its words wait on the device (drafts.py).
NOT_SAVED = "What you sent was not done: you had been signed out first. Log in, then send it again."
NOT_SAVED_KEPT = (
    "What you sent was not saved yet: you had been signed out first. What you wrote is kept "
    "on this device, and is back in the form once you log in."
)


@login_manager.unauthorized_handler
def sign_in_needed():
    """flask-login's answer to a request that needs a sign-in and has none. A form sent from a
    page is told on the log-in page that it was not saved: a Save after the idle time-out met
    a bare "Log in", and a person who had just written about a session read their words as
    lost. (An account erased meanwhile says so instead: `AccountGone`, `unauthorized`.)"""
    if sent_from_a_page():
        flash(NOT_SAVED_KEPT if drafts.sent_with_draft(sent_form()) else NOT_SAVED)
    return unauthorized()


def unauthorized():
    """Send the person to log in, and back to this path afterwards. A form sent with answers
    that call for the crisis resources has the log-in page show them: it is the next page."""
    if sent_from_a_page() and crisis.called_for_by(sent_form()):
        crisis.flag(*crisis.SIGNED_OUT)
    path = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=path))


def sent_from_a_page():
    """Whether the request is a form a person sent from one of the journal's pages, whose
    answer (a redirect) the browser shows next: a POST of a navigation, from this site. Not
    a script's (the offline queue asks for JSON and reads the redirect itself: a panel left
    for a later log-in page could meet whoever opens it next), nor another site's."""
    return (
        request.method == "POST"
        and not request.is_json
        and not wants_json()
        and navigating()
        and request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
    )


def shown_by_the_browser():
    """Whether the page this request renders is one the person sees: a navigation's (a link,
    a form, the address bar), not a script's fetch, which reads the page and drops it (the
    check-in form opening another day, the offline queue asking who is signed in), nor a
    HEAD's, whose page is never sent. Only such a page takes what the session keeps for the
    next page: the flashed messages (`messages_shown`) and an erasure's note (`forget_here`)."""
    return request.method != "HEAD" and navigating()


def messages_shown(with_categories=False, category_filter=()):
    """The layout's flashed messages ("Settings saved."), as `get_flashed_messages`, taken
    only by a page the person sees (`shown_by_the_browser`); any other page shows none and
    leaves them in the session for the next that is. A script's page took them, and the page
    the person opened next lacked the word of what was just done."""
    if not shown_by_the_browser():
        return []
    return get_flashed_messages(with_categories, category_filter)


def navigating():
    """Whether the browser asked for the answer as a page to show (a link, a form, the address
    bar), not for a script to read; a browser that sends no Sec-Fetch-Mode counts as one."""
    return request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"


def sent_form():
    """The request's form, or nothing when its body is over the size limit (answered as a
    log-in redirect all the same, not a 413 page)."""
    try:
        return request.form
    except RequestEntityTooLarge:
        return {}


# What a browser's session keeps when someone signs in: the messages still to be shown and
# flask-login's note about the "Keep me signed in" cookie. Nothing else the last person left
# in it (a two-factor secret being set up, a passkey challenge, a crisis panel still to show)
# passes to whoever signs in next, even when that person's sign-in ended without logging out.
KEPT_AT_SIGN_IN = ("_flashes", "_remember")
# and when a sign-in ends under a page still open: its form, sent, is asked to log in (its
# words kept as a draft), not refused as expired.
KEPT_WHEN_SIGN_IN_ENDS = (*KEPT_AT_SIGN_IN, "csrf_token")


def sign_in(user, remember=False, how="password", passkey_id=None, password_hash=None):
    """Start a new server-side sign-in of `user` in this browser, on a session holding only
    `KEPT_AT_SIGN_IN`, and note it in "Recent activity"; True when signed in. `passkey_id`:
    the passkey that signed in, whose removal ends the sign-in; `password_hash`: the stored
    hash the password was checked against.

    Checked and written in one transaction: False, signing no one in, when since the account
    was read it was deleted or deactivated, its password changed (a password change ends
    every sign-in: one that raced it, checked against the old password, must not begin after
    it), or the passkey was removed.
    """
    with write_transaction() as db:
        if not users.may_sign_in(db, user.id, password_hash, passkey_id):
            return False
        kept = {key: session[key] for key in KEPT_AT_SIGN_IN if key in session}
        session.clear()
        session.update(kept)
        begin_signin(user, remember, passkey_id)
        users.note_signin(db, user.id, clock.utcnow_iso())
        account.record_activity("sign-in", how=how)
        import_data.drop_stale(db, clock.now())  # parked imports a day old
        users.forget_erasures_before(db, clock.timestamp())  # notes of erasures run out
    return True


def remembered_here():
    """Whether this browser sent a "Keep me signed in" cookie, live or not (a sign-in begun
    again for it keeps that choice)."""
    return bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)))


def renew_signin():
    """End every sign-in of the signed-in person, this browser's too, and give this browser a
    new one (after a password change, every cookie copied earlier dies with the old password,
    even one copied from this browser). "Keep me signed in" carries over, and so does the
    passkey that made the sign-in: removing it still ends this one (a lost phone's)."""
    user = current_user._get_current_object()
    end_signins(get_db(), user.id)
    begin_signin(user, bool(user.signin["remember"]), user.signin.get("passkey_id"))


def begin_signin(user, remember, passkey_id=None):
    """Record a sign-in of `user` for this browser and log it in under it.

    The CSRF token changes with it: a token fetched before signing in is refused after.
    """
    device = devices.device_words(request.headers.get("User-Agent"))
    network = devices.network_start(request.remote_addr)
    user.signin = record_signin(get_db(), user.id, remember, device, network, passkey_id=passkey_id)
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    login_user(user, remember=remember)


def sign_out():
    """End this browser's sign-in on the server, and sign it out, "remember me" included."""
    if current_user.is_authenticated and current_user.signin:
        db = get_db()
        end_signin(db, current_user.signin["id"])
        import_data.drop_stale(db, clock.now())  # parked imports a day old
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
