"""Accounts: the register, log-in (throttled) and log-out pages, and the pages of the one-time
links an admin hands out (issue 9): registering from an invitation (`/auth/invite/<token>`) and
setting a new password from a reset link (`/auth/reset/<token>`). The `User`, the server-side
sign-ins and signing in and out are journal/people.py; the password rules and the limits on
guessing are journal/passwords.py; the links themselves are journal/onetime.py.

Who may register openly: patients, unless `OPEN_SIGNUP` is false (then everyone comes by
invitation); therapists only by an admin's invitation, unless `OPEN_THERAPIST_SIGNUP` is true
(a solo practitioner's own server), which brings back the role choice. Admins never register:
they come from `flask --app journal create-admin`.
"""

import hashlib
import hmac
import secrets
import sqlite3
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.security import check_password_hash
from wtforms import EmailField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from . import access, clock, crisis, mail, onetime, passkeys, two_factor
from .account import record_activity
from .data import links as link_data
from .data import passkeys as passkey_data
from .data import users
from .data.tokens import token_hash
from .db import get_db, write_transaction
from .fields import (
    NAME_LENGTH_MESSAGE,
    NAME_MAX,
    CheckboxField,
    JournalForm,
    email_field,
    name_text,
    no_control_characters,
    request_key_field,
    strip,
    timezone_field,
    validate_timezone,
)
from .numbers import plural
from .passwords import (
    PASSWORD_MAX,
    client_address,
    dummy_hash,
    hash_password,
    password_field,
    record_failure,
    throttle_wait,
)
from .people import User, end_signins, is_active, sign_in, sign_out
from .urls import home_url

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next(target, signed_in_now=True):
    """`target` if it leads back into this site, else the signed-in person's start page.
    `signed_in_now` is False when the person was signed in already (the log-in page opened
    again, by Back), so nothing is said of a form sent before it (`page_of_form`).

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
            return page_of_form(target, signed_in_now)
    return home_url(current_user)


def page_of_form(target, signed_in_now=True):
    """`target`, or the page its form was on when it is an address only a form posts to.

    A form sent after its sign-in ended (the idle time-out: "Mark as reviewed" pressed after
    a long read, a share link's "Revoke", "Change password") is sent to log in with its own
    address as `next`; followed after the log-in, that GET answered "Not allowed" (405) and
    the page was lost. The nearest address above it that a browser may open is where the
    person was (/caseload/4 for /caseload/4/reviewed, /settings for /settings/password);
    failing any, their start page, with a message that what was sent was not done (not for
    log out, nor when the person was signed in already: the log-in page opened again by
    Back sent nothing). An address that takes a GET is left as it is."""
    adapter = current_app.create_url_adapter(request)
    path = urlsplit(target).path
    try:
        adapter.match(path, method="GET")
        return target
    except MethodNotAllowed:
        pass
    except HTTPException:  # no such page (its view says so), or a redirect to one
        return target
    if signed_in_now and path != url_for("auth.logout"):
        # Back on the page, nothing told them the press had done nothing ("Mark as reviewed"
        # looked pressed; the log-in page had said "Log in to carry on").
        flash(FORM_NOT_SENT)
    while "/" in path.rstrip("/"):
        path = path.rstrip("/").rsplit("/", 1)[0] or "/"
        try:
            adapter.match(path, method="GET")
            return path
        except HTTPException:
            continue
    return home_url(current_user)


FORM_NOT_SENT = (
    "What you sent just before logging in was not done: you had been signed out first. "
    "Send it again from here if you still mean to."
)


# Without it a newcomer could not tell who sees the name (a linked therapist, a report, a
# share link, or a therapist's patients), so might give a full name meant for no one else.
DISPLAY_NAME_HINT = (
    "Shown on your reports and share links, and to the therapist or patients you link "
    "with. A first name, initials or a pseudonym is fine."
)


class RegisterForm(JournalForm):
    email = email_field()
    password = password_field("Password", "new-password")
    display_name = StringField(
        "Name to show (optional)",
        filters=[name_text],
        validators=[
            Optional(),
            Length(max=NAME_MAX, message=NAME_LENGTH_MESSAGE),
            no_control_characters,
        ],
        description=DISPLAY_NAME_HINT,
        render_kw={"autocomplete": "nickname"},
    )
    timezone = timezone_field(detect=True)
    # Checked here with its own message (WTForms' "Not a valid choice." was never shown: a
    # body with another role came back, 400, without a word of why).
    # The same form sent again (a double tap on a slow connection) is signed in to the account
    # its first sending made (`made_by_this_form`), not told the email is taken.
    request_key = request_key_field()
    role = RadioField(
        "I am",
        choices=[
            SelectChoice("patient", "a patient keeping a journal"),
            SelectChoice("therapist", "a therapist"),
        ],
        default="patient",
        validate_choice=False,
    )

    validate_timezone = validate_timezone

    def validate_role(self, field):
        if field.data not in ("patient", "therapist"):
            raise ValidationError(ROLE_MESSAGE)


ROLE_MESSAGE = "Choose whether you are a patient or a therapist."


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
    remember = CheckboxField("Keep me signed in on this device")


THERAPIST_BY_INVITATION = (
    "Therapist accounts are made from an invitation by your clinic. Ask your clinic for one; "
    "nothing was saved."
)
DEACTIVATED = (
    "This account is deactivated, so it cannot sign in. Please ask your clinic if you think "
    "this is a mistake."
)


def open_roles():
    """The roles anyone may choose on /auth/register: none when sign-up is by invitation only."""
    if not current_app.config.get("OPEN_SIGNUP", True):
        return ()
    if current_app.config.get("OPEN_THERAPIST_SIGNUP", False):
        return ("patient", "therapist")
    return ("patient",)


EMAIL_TAKEN = "An account with this email already exists. Log in instead?"
# An invitation makes a new account: logging in to the one the address has (a patient's,
# say) never gives the account it invites to, so "Log in instead?" led away from it.
INVITATION_EMAIL_TAKEN = (
    "An account with this email already exists, and an invitation makes a new one: use "
    "another address."
)
INVITED_ADDRESS_TAKEN = (
    "This address has an account already, so this invitation, made for it, cannot make "
    "another. Ask your clinic for an invitation to another address."
)


def email_taken(invitation=None):
    """What the form says when its address has an account already."""
    if invitation is None:
        return EMAIL_TAKEN
    return INVITED_ADDRESS_TAKEN if invitation["email"] else INVITATION_EMAIL_TAKEN


# How long after an account is made the form that made it, sent again, is signed in to it: a
# double tap or a retry on a slow connection comes within seconds.
REGISTER_AGAIN_SECONDS = 5 * 60


def register_key_hash(form):
    """What is stored of a sign-up form's request key (its SHA-256), or None without one."""
    key = form.request_key.data
    return token_hash(key) if key else None


def made_by_this_form(db, form):
    """The account the sign-up `form` made when it was sent before (a double tap on a slow
    connection), in the last REGISTER_AGAIN_SECONDS, or None. The key was in that form
    alone, and the password it holds must be the account's, so nothing is said to anyone
    who did not send it."""
    key_hash = register_key_hash(form)
    row = users.by_email(db, form.email.data) if key_hash else None
    if row is None or not is_active(row) or not row["register_key_hash"]:
        return None
    since = datetime.fromtimestamp(clock.timestamp() - REGISTER_AGAIN_SECONDS, UTC)
    if row["created_at"] < since.isoformat(timespec="seconds"):
        return None
    if not hmac.compare_digest(row["register_key_hash"], key_hash):
        return None
    return row


def create_account(form, role, invitation=None):
    """Store the account `form` describes, with `role`, spending `invitation` (a `tokens`
    row) in the same transaction; sign it in and return where to go next. None, with a
    message at the form, when the email is taken or the invitation was spent meanwhile.

    The same form sent again, once its first sending made the account, is signed in to that
    account instead (`made_by_this_form`): as the first sending's answer would have."""
    password_hash = hash_password(form.password.data)  # slow: before the write lock is taken
    try:
        with write_transaction() as db:
            made = made_by_this_form(db, form)
            if made is not None:
                user_id = made["id"]
            elif invitation is not None and not onetime.use(db, invitation):
                # Spent meanwhile (most often by a double tap whose first made the account):
                # said as an invitation's used link is, not as a reset link's.
                form.form_errors.append(INVITATION_GONE[onetime.USED][2])
                return None
            else:
                user_id = users.insert(
                    db,
                    {
                        "email": form.email.data,
                        "password_hash": password_hash,
                        "display_name": form.display_name.data or "",
                        "timezone": form.timezone.data,
                        "role": role,
                        "created_at": clock.utcnow_iso(),
                        "register_key_hash": register_key_hash(form),
                    },
                )
    except sqlite3.IntegrityError:
        form.email.errors.append(email_taken(invitation))
        return None
    # The account made by this form's first sending: its password checked too (slow, so
    # outside the write lock), as a log-in's would be.
    if made is not None and not check_password_hash(made["password_hash"], form.password.data):
        form.email.errors.append(email_taken(invitation))
        return None
    user = User(users.by_id(get_db(), user_id))
    sign_in(user, how="register")
    if user.is_therapist and two_factor.required(get_db(), user):
        # The caseload (and its invite code) opens once two-factor sign-in is set up: this
        # message is read on that set-up page, where no code is "below".
        flash(
            "Welcome to Afterglow. Once two-factor sign-in is set up, your caseload shows the "
            "invite code to give your patients."
        )
    elif user.is_therapist:
        flash("Welcome to Afterglow. Give your patients the invite code below to link.")
    else:
        flash("Welcome to Afterglow. Your first check-in takes half a minute.")
    return home_url(user)


# A form sent from a tab left open while someone else signed in on the browser; ends with
# what to do after logging out.
ANOTHER_SIGNED_IN_THEN = (
    "Another account is signed in on this browser, so nothing was done. Log out first (the "
    "button is at the foot of the page), then {}."
)
ANOTHER_SIGNED_IN = ANOTHER_SIGNED_IN_THEN.format("send this again")


def sent_for_another(form):
    """True when a log-in or sign-up `form` was sent for another address than the signed-in
    person's: a tab left open on it while someone signed in in another tab (a shared phone).
    Followed, it led into that person's journal as if it were the sender's."""
    typed = form.email.data if isinstance(form.email.data, str) else ""
    return (
        form.is_submitted()
        and typed.strip() != ""
        and users.email_key(typed.strip()) != users.email_key(current_user.email)
    )


@bp.route("/register", methods=["GET", "POST"])
def register():
    roles = open_roles()
    form = RegisterForm()
    if current_user.is_authenticated:
        if not (roles and sent_for_another(form)):
            return redirect(home_url(current_user))
        form.form_errors.append(ANOTHER_SIGNED_IN)
        return render_template("auth/register.html", form=form, show_role=len(roles) > 1), 400
    if not roles:  # invitation only: no form to fill in
        refused = request.method == "POST"
        return render_template("auth/closed.html", refused=refused), 400 if refused else 200
    # A role not offered (a therapist, an admin) is refused, never quietly made a patient.
    refused_role = form.is_submitted() and form.role.data not in roles
    if form.validate_on_submit() and not refused_role:
        target = create_account(form, form.role.data)
        if target:
            return redirect(target)
    if refused_role and len(roles) == 1:  # no role choice on the page: say it above the form
        form.form_errors.append(THERAPIST_BY_INVITATION)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form, show_role=len(roles) > 1), status


def gone(why, back=None):
    """The page for a one-time link that does not open (`onetime.UNKNOWN`, `USED`,
    `EXPIRED`); `back`, (endpoint, words) of the link under it, when not the start page."""
    status, title, message = why
    return render_template("error.html", title=title, message=message, back=back), status


# With reset by mail on, a person whose mailed link ran out, was used or was replaced can ask
# for another themselves: "Ask your clinic for a new one" sent them to the clinic for it.
RESET_GONE_BY_MAIL = {
    onetime.USED: "Each link works once.",
    onetime.EXPIRED: f"Each link works for {onetime.RESET_HOURS} hours.",
    onetime.UNKNOWN: "It may not have been copied whole, or it was replaced since: a newer "
    "link, or a new password, stops an older one.",
}
ASK_AGAIN_BY_MAIL = (
    "For a new one, use “Forgot your password?” on the log-in page, or ask your clinic."
)


def reset_gone(why):
    """The page for a reset link that does not open: as `gone`, saying how to get a new one
    by mail when the clinic sends them."""
    if why not in RESET_GONE_BY_MAIL or not mail.configured(current_app.config):
        return gone(why)
    status, title, _ = why
    return gone((status, title, f"{RESET_GONE_BY_MAIL[why]} {ASK_AGAIN_BY_MAIL}"))


# An invitation that does not open, in its own words: the reset link's named causes (a newer
# link, a new password) never apply to one, and the two that do went unsaid: the clinic
# withdrew it (or the admin who made it left), or the person made their account with it
# already (opening the link again from the mail later, to reach the app).
INVITATION_GONE = {
    onetime.UNKNOWN: (
        404,
        "This link does not work",
        "It may not have been copied whole, or your clinic withdrew it. Ask your clinic for a "
        "new one if you still need it.",
    ),
    onetime.USED: (
        410,
        "This link has been used",
        "Each invitation makes one account. If you made yours with it, log in; otherwise ask "
        "your clinic for a new one.",
    ),
}
# The same used link opened by someone signed in: most often the person it made, back at the
# mail to reach the app. "Log in" told them to do what they had done.
INVITATION_USED_WHILE_SIGNED_IN = (
    410,
    "This link has been used",
    "Each invitation makes one account. You are signed in already: the start page below "
    "leads to your account. If this is not the account the invitation made, log out and ask "
    "your clinic for a new one.",
)


def invitation_gone(why, back=None):
    """The page for an invitation that does not open (`why`: onetime.UNKNOWN, USED, EXPIRED),
    in an invitation's words. Its form sent from a tab opened before the link stopped working
    (used, withdrawn, its admin turned off, run out: no form here to keep what was typed) says
    that nothing was saved."""
    status, title, message = INVITATION_GONE.get(why, why)
    if request.method == "POST":
        message = f"Nothing was saved. {message}"
    return gone((status, title, message), back=back)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token):
    """Register from an admin's invitation: the role is the invitation's, fixed. Opened
    while someone is signed in on the browser (the admin trying the link, a shared
    computer), it says to log out first rather than leading to that person's start page."""
    invitation, why = onetime.find(get_db(), "invitation", token)
    if invitation is None:
        if why == onetime.USED and current_user.is_authenticated:
            return gone(INVITATION_USED_WHILE_SIGNED_IN)
        if why == onetime.USED:  # signed out: the way to log in under its words
            return invitation_gone(why, back=("auth.login", "Log in"))
        return invitation_gone(why)
    if current_user.is_authenticated:
        return gone(INVITED_WHILE_SIGNED_IN)
    form = RegisterForm()
    if not form.is_submitted() and invitation["email"]:
        form.email.data = invitation["email"]
    if form.validate_on_submit():
        wanted = invitation["email"]
        if wanted and users.email_key(form.email.data) != users.email_key(wanted):
            form.email.errors.append(f"This invitation is for {wanted}.")
        else:
            target = create_account(form, invitation["role"], invitation)
            if target:
                return redirect(target)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "auth/register.html", form=form, show_role=False, invited_as=invitation["role"]
    ), status


class ResetForm(JournalForm):
    password = password_field("New password", "new-password")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token):
    """Set a new password from a reset link: every sign-in of the account ends, and the
    person's "Recent activity" shows it."""
    db = get_db()
    link, why = onetime.find(db, "reset", token)
    if link is None:
        return reset_gone(why)
    if current_user.is_authenticated and current_user.id != link["user_id"]:
        return gone(OTHER_ACCOUNT)
    form = ResetForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        clears = bool(link.get("clears_two_factor"))
        return render_template("auth/reset.html", form=form, clears=clears), status
    password_hash = hash_password(form.password.data)  # slow: before the write lock is taken
    with write_transaction() as db:
        if not onetime.use(db, link):  # spent, retired or out of time since it was found
            return reset_gone(onetime.find(db, "reset", token)[1] or onetime.USED)
        users.set_password_hash(db, link["user_id"], password_hash)
        end_signins(db, link["user_id"])
        # Guesses at the forgotten password (the usual way to a reset) locked the account
        # for 15 minutes, and "Log in with it" met "Too many attempts": they counted against
        # a password that is gone. The address's own count stays.
        row = users.by_id(db, link["user_id"])
        turned_off = row is not None and not is_active(row)
        if row is not None:
            users.clear_failures(db, users.email_key(row["email"]))
        # A password set is a password changed: any other open link (a mailed one beside an
        # admin's) would let whoever saw it set it again, and clear what the owner set up.
        onetime.retire_resets(db, link["user_id"])
        if link.get("clears_two_factor"):
            # An admin's link, for an account whose phone (or whose safety) may be lost: every
            # other way in goes too, or a passkey planted by whoever had the account would
            # still sign in after the owner took it back.
            two_factor.turn_off(db, link["user_id"])
            passkey_data.forget_all(db, link["user_id"])
            # The read-only ways in as well: share links and the calendar feed, any of which
            # whoever had the account may have made (the owner makes new ones in a minute).
            link_data.revoke_all_share_links(db, link["user_id"], clock.utcnow_iso())
            users.set_calendar_secret(db, link["user_id"], None)
        cleared = {"cleared": True} if link.get("clears_two_factor") else {}
        record_activity("password-reset", user_id=link["user_id"], how="a reset link", **cleared)
    if current_user.is_authenticated:
        sign_out()
    if turned_off:
        # An admin's link for an account they deactivated: "Log in with it" met "This account
        # is deactivated" at the log-in.
        flash(TURNED_OFF_AFTER_RESET)
    else:
        flash("Your new password is set, and every device was signed out. Log in with it.")
    return redirect(url_for("auth.login"))


TURNED_OFF_AFTER_RESET = (
    "Your new password is set, and every device was signed out. Your account is turned off "
    "by your clinic for now, so it cannot sign in yet: ask your clinic to turn it back on."
)


OTHER_ACCOUNT = (
    404,
    "This link is for another account",
    "Someone else is signed in on this browser. Log out first, then open the link again.",
)
INVITED_WHILE_SIGNED_IN = (
    404,
    "This link makes a new account",
    "An account is signed in on this browser. Log out first, then open the link again to "
    "make the account it invites.",
)


class ForgotForm(JournalForm):
    email = email_field()


@bp.app_template_global()
def reset_by_mail():
    """Whether "Forgot your password?" mails a link (journal/mail.py decides), for the log-in
    page."""
    return mail.configured(current_app.config)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    """Ask for a reset link by mail (only when the clinic configured SMTP). Every address that
    looks like one gets the same answer, whether it has an account or not; an active account
    is mailed a link (`onetime.make_reset`, as an admin's), at most RESET_MAILS_PER_WINDOW an
    hour. A mail server that fails is logged and changes nothing on the page."""
    config = current_app.config
    if not mail.configured(config):
        abort(404)
    form = ForgotForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/forgot.html", form=form), status
    row = users.by_email(get_db(), form.email.data)
    response = make_response(
        render_template("auth/forgot.html", form=None, reset_hours=onetime.RESET_HOURS), 200
    )
    # The link is made and mailed once the answer has gone, on a thread of its own. Mailed
    # before it, or on the request's thread after it, the answer (or the next one on a
    # kept-alive connection) to an address with an account came the mail server's round
    # trips later than to one without; and made before it, the link's write (a commit,
    # synced to disk) made that answer a millisecond or more slower, which told anyone
    # timing a few requests who has an account here.
    app = current_app._get_current_object()
    user_id = row["id"] if row and is_active(row) else None
    response.call_on_close(lambda: mail_reset_if_allowed(app, user_id))
    return response


def mail_reset_if_allowed(app, user_id):
    """Once the answer has gone, on the request's thread: start the reset mail of the active
    account `user_id` (None for an address with none) unless the hour's mails are made.

    The hour's count is asked for every address alike, one with no account too (for no one:
    it counts none), so whoever times the next answer on a kept-alive connection sees an
    account over its limit as an address with no account, and an account under it as before:
    a thread started. Before, every request for an active account started a thread, which
    then found the limit reached. `send_reset_mail` checks the limit again, in the write
    transaction that makes the link: two requests at once are counted there."""
    with app.app_context():
        allowed = onetime.may_mail_reset(get_db(), user_id)
    if user_id is not None and allowed:
        mail.in_background(send_reset_mail, app, user_id)


def send_reset_mail(app, user_id):
    """Make a reset link for the account `user_id`, if it is still active and has had fewer
    than the hour's mails, and mail it (on the public address, never the Host's: made
    outside the request, `onetime.link` puts PUBLIC_URL in front); when the mail server
    fails, log it and forget the link (never handed out, so it neither works nor counts).
    Runs after the request, in an app context of its own; the link is committed before it
    is mailed, so it works by the time it arrives."""
    with app.app_context():
        with write_transaction() as db:
            row = users.by_id(db, user_id)
            if row is None or not is_active(row) or not onetime.may_mail_reset(db, user_id):
                return
            token = onetime.make_reset(db, user_id)
        link = onetime.link("auth.reset", token)
        if not mail.send_reset(app.config, row, link):
            with write_transaction() as db:
                onetime.forget(db, "reset", token)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if current_user.is_authenticated:
        if not sent_for_another(form):
            return redirect(safe_next(request.args.get("next"), signed_in_now=False))
        form.form_errors.append(ANOTHER_SIGNED_IN)
        return render_template("auth/login.html", form=form), 400
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        crisis_unsaved = not form.is_submitted() and crisis.take(*crisis.SIGNED_OUT)
        return render_template("auth/login.html", form=form, crisis_unsaved=crisis_unsaved), status

    db = get_db()
    email, address = users.email_key(form.email.data), client_address()
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
        record_failure(db, email, address, user_id=row["id"] if row else None)
        form.password.errors.append("That email and password don't match an account.")
        return render_template("auth/login.html", form=form), 400

    users.clear_failures(db, email)
    if not is_active(row):  # told only to whoever knows the password
        form.form_errors.append(DEACTIVATED)
        return render_template("auth/login.html", form=form), 403
    if two_factor.is_on(db, row["id"]):  # the second step: /auth/2fa signs in
        session[PENDING] = {
            "user_id": row["id"],
            "remember": bool(form.remember.data),
            "next": request.args.get("next") or "",
            "at": clock.timestamp(),
            "password": password_mark(row),
            "step": secrets.token_urlsafe(9),  # the code form carries it (second_step)
        }
        return redirect(url_for("auth.second_step"))
    if not sign_in(User(row), remember=form.remember.data, password_hash=row["password_hash"]):
        # The password changed (or the account went) while this one was being checked.
        form.password.errors.append("That email and password don't match an account.")
        return render_template("auth/login.html", form=form), 400
    return redirect(safe_next(request.args.get("next")))


# Two-factor sign-in (journal/two_factor.py): after the right password, a person with it on
# is remembered here, in the Flask session, for PENDING_SECONDS; no sign-in exists until
# /auth/2fa accepts a code.
PENDING = "two_factor_pending"
# The pending step that signed this browser in, so that its code form sent again (a double
# tap, Back and Sign in) goes on rather than being taken for another person's (second_step).
SIGNED_IN_STEP = "two_factor_step"
ANOTHER_SIGNED_IN_STEP = ANOTHER_SIGNED_IN_THEN.format("log in again")
PENDING_SECONDS = 5 * 60


def password_mark(row):
    """What the pending state keeps of the password it accepted: an HMAC of the account's
    stored hash under the app's secret key (the session cookie is signed, not secret, so
    never the hash itself, which would let its reader guess the password offline)."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, row["password_hash"].encode(), hashlib.sha256).hexdigest()


def pending_signin():
    """(the `users` row, the pending state) of a password accepted in the last
    PENDING_SECONDS for an active account with two-factor on, whose password is still the
    one accepted, or (None, None). A password changed or reset since (perhaps because
    someone else knew it) ends the pending step: its code or recovery code signs no one in."""
    pending = session.get(PENDING)
    row = None
    if pending and 0 <= clock.timestamp() - pending.get("at", 0) <= PENDING_SECONDS:
        row = users.by_id(get_db(), pending.get("user_id"))
    if row is not None and not hmac.compare_digest(
        str(pending.get("password", "")), password_mark(row)
    ):
        row = None
    if row is None or not is_active(row) or not two_factor.is_on(get_db(), row["id"]):
        session.pop(PENDING, None)
        return None, None
    return row, pending


# The code step ends after PENDING_SECONDS, and at once if the password changes (or two-factor
# is turned off) meanwhile: the message names both, as it can't say which (or that none began).
STEP_ENDED = (
    "Please log in again: the step that asks for the code has ended. It lasts "
    f"{PENDING_SECONDS // 60} minutes, and ends sooner if the password changes."
)


def code_page(form, step):
    """The code form, carrying the pending `step` it answers (see `second_step`)."""
    return render_template("auth/two_factor.html", form=form, step=step)


@bp.route("/2fa", methods=["GET", "POST"])
def second_step():
    """The second step of signing in: a code from the app, or a recovery code.

    Its form carries its pending step's id. Sent while someone is signed in on the browser,
    from a step other than the one that signed them in (a tab left on it on a shared phone
    while another person logged in), it is answered, not followed into their journal."""
    sent_step = request.form.get("step") if request.method == "POST" else None
    if current_user.is_authenticated:
        signed_in_step = session.get(SIGNED_IN_STEP, "").encode()
        if not sent_step or hmac.compare_digest(sent_step.encode(), signed_in_step):
            return redirect(home_url(current_user))
        form = two_factor.CodeForm()
        form.form_errors.append(ANOTHER_SIGNED_IN_STEP)
        return code_page(form, sent_step), 400
    form = two_factor.CodeForm()
    if form.is_submitted() and not form.validate():  # bad input: 400 whoever sends it
        return code_page(form, sent_step), 400
    row, pending = pending_signin()
    if row is None:
        flash(STEP_ENDED)
        return redirect(url_for("auth.login"))
    step = pending.get("step", "")
    if not form.is_submitted():
        return code_page(form, step)
    db, address = get_db(), client_address()
    wait = two_factor.wait(db, row["email"], address)
    if wait:
        minutes = max(1, round(wait / 60))
        form.code.errors.append(
            "Too many wrong codes. For your account's safety, please wait "
            f"about {plural(minutes, 'minute')} and try again."
        )
        return code_page(form, step), 429, {"Retry-After": str(wait)}
    how = two_factor.check(db, row["id"], form.code.data)
    if how is None:
        two_factor.failed(db, row["email"], address)
        form.code.errors.append("That code does not match, or was used already.")
        return code_page(form, step), 400
    two_factor.succeeded(db, row["email"])
    session.pop(PENDING, None)
    signed_in = sign_in(
        User(row),
        remember=pending["remember"],
        how=f"password and {how}",
        password_hash=row["password_hash"],
    )
    if not signed_in:  # the password changed (or the account went) since the step began
        flash(STEP_ENDED)
        return redirect(url_for("auth.login"))
    session[SIGNED_IN_STEP] = step
    if how == "recovery":  # likely a lost phone: say how many are left, and what then
        flash(two_factor.recovery_code_used(two_factor.codes_left(db, row["id"])))
    return redirect(safe_next(pending["next"] or None))


# Signing in with a passkey (journal/passkeys.py): static/passkeys.js asks for the options,
# lets the browser find a passkey of this site, and sends its answer. A passkey answered with
# user verification counts as both factors: no /auth/2fa step follows.
PASSKEY_REFUSED = "That passkey could not sign you in. Try again, or log in with your password."


@bp.route("/passkey/options", methods=["POST"])
def passkey_options():
    """The options for navigator.credentials.get, as JSON (the challenge kept in the session);
    the body is an empty JSON object (or form) with the CSRF token."""
    if not JournalForm().validate_on_submit():
        return jsonify(error=PASSKEY_REFUSED), 400
    response = make_response(passkeys.authentication_options(), 200)
    response.headers.update({"Content-Type": "application/json", "Cache-Control": "no-store"})
    return response


@bp.route("/passkey", methods=["POST"])
def passkey_signin():
    """Sign in with the browser's passkey answer (`passkeys.AnswerForm`): `{"next": url}`, or
    400/403 with `{"error": message}` for an unknown passkey, a used or late challenge, a
    wrong origin or signature (400), or a deactivated account (403)."""
    form = passkeys.AnswerForm()
    if not form.validate_on_submit():
        return jsonify(error=PASSKEY_REFUSED), 400
    if current_user.is_authenticated:
        return jsonify(next=home_url(current_user))
    with write_transaction() as db:
        user_id, passkey_id = passkeys.authenticate(db, form.answer()) or (None, None)
        row = users.by_id(db, user_id) if user_id is not None else None
    if row is None:
        return jsonify(error=PASSKEY_REFUSED), 400
    if not is_active(row):
        return jsonify(error=DEACTIVATED), 403
    session.pop(PENDING, None)
    # The log-in page's "Keep me signed in" box holds for a passkey as for a password.
    if not sign_in(User(row), form.remember.data, how="a passkey", passkey_id=passkey_id):
        return jsonify(error=PASSKEY_REFUSED), 400  # removed (or the account gone) meanwhile
    return jsonify(next=safe_next(request.args.get("next")))


STILL_SIGNED_IN = (
    "You are still signed in: this log-out did not come from one of this site's pages, or "
    "its page is too old. Reload the page, then tap Log out again."
)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out. Its form checks its own token (access.CHECKS_ITS_OWN_TOKEN): the Log out of a
    tab opened before a newer sign-in in another tab (a password change, a log-in after the
    idle timeout) holds an older token, and refusing it left the person signed in on a
    shared phone while they thought they had logged out. So a refused token still logs out
    when the browser says the post came from this site's own page; from anywhere else (a
    forced log-out) it is refused, with a page that says the person is still signed in, and
    no new session cookie (a post the browser says came from another site never reaches
    here: access.CheckedPosts.check_origin)."""
    here = access.sent_from() == "here"
    form = JournalForm()
    if not form.validate_on_submit() and not (set(form.errors) <= {"csrf_token"} and here):
        abort(400, description=STILL_SIGNED_IN)  # a refused token from elsewhere, a bad body
    sign_out()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))
