"""Two-factor sign-in in settings (`/settings/2fa`, issue 9): turning it on (a QR code and the
secret as text, confirmed by a first code), turning it off and making new recovery codes
(each asks for a current code or a recovery code), and how many recovery codes are left.
The logic is journal/two_factor.py. Decisions:

- The secret being set up waits until a first code confirms it, so a wrong code stores
  nothing; reloading the page keeps the same secret (the app may already hold it). The Flask
  session keeps only a random nonce it is derived from with the app's secret key
  (`two_factor.setup_secret`): the session cookie is signed, not secret.
- New recovery codes are shown once, on the page that answers the POST, never again.
- Wrong codes here are throttled like those of signing in.
- Turning it on asks for the password too, as adding a passkey does: a session left open must
  not be able to tie the account to someone else's phone (and lock its owner out). Turning it
  off and new recovery codes already ask for a code from the phone set up.
- Turning it on ends every other sign-in of the person, patient or staff (made with the
  password alone, which the person may fear someone else knows: why they turn it on), as
  "Sign out everywhere else" does, and the page that confirms it is on says so. A patient's
  had gone on reading the journal without ever giving a code.
- This browser's own sign-in goes on as it is, but staff's (below): renewed, as a password
  change does, it would end under a second sending of the form (a double tap on a slow
  connection, whose cookie names the old sign-in), which then signs the person out with the
  page that showed the recovery codes replaced by the log-in page.
- Turned on by staff kept to their settings until then (REQUIRE_2FA_FOR_STAFF, the default),
  this sign-in is renewed too (a copy of its cookies taken while it reached settings only
  must not reach the caseload), and the passkeys they added while it was off go, with the
  sign-ins those made (the password alone added them: anyone who knew it could have); the
  page that confirms it is on names them (the name and when each was added), so that the
  owner adds their own again. Those added once it is on stay (journal/passkeys.py). A
  patient's passkeys stay.
"""

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from .. import account, two_factor
from .. import passkeys as webauthn_passkeys
from ..data import signins
from ..db import get_db, write_transaction
from ..fields import request_key_field
from ..numbers import plural
from ..passwords import PasswordAgainForm, client_address, your_password_field
from ..people import renew_signin
from ..timezones import local_time

SETUP_KEY = "two_factor_setup"


class TurnOnForm(two_factor.CodeForm, PasswordAgainForm):
    """The first code from the app, and the password again."""

    password = your_password_field("Enter your password to turn two-factor sign-in on.")


class TurnOffForm(two_factor.CodeForm):
    """The code that turns two-factor sign-in off. It and the new-codes form are two forms on
    the page, so that the phone's Go key in each field does what its form says: one form
    with two buttons made new recovery codes (its first button) when the person meant to
    turn two-factor off."""

    code = two_factor.code_field("Code to turn it off")


class NewCodesForm(two_factor.CodeForm):
    """The code that makes new recovery codes; sent as `code` too, its field's id its own."""

    code = two_factor.code_field("Code for new recovery codes", id="new-code")
    # The same form sent again (a double tap on a slow connection, a reload of the page that
    # showed the codes) finds its codes made, not its code spent (`two_factor_codes`).
    request_key = request_key_field()


def page(form, status=200, codes=None, removed=(), turned_on=False):
    """The page; `turned_on`: the answer to the form that turned it on (which says the other
    sign-ins ended)."""
    db = get_db()
    on = two_factor.is_on(db, current_user.id)
    if not on and not isinstance(form, TurnOnForm):  # a code sent to turn off what is off
        form = TurnOnForm(formdata=None)
    context = {"form": form, "on": on, "codes": codes, "required": False, "turned_on": turned_on}
    context["removed"] = [
        {
            "name": row["name"],
            "added": local_time(row["created_at"], current_user.timezone),
            "added_iso": row["created_at"],
        }
        for row in removed
    ]
    if on:
        # Its two forms, the one sent back (with its errors) as it is.
        context["form"] = form if isinstance(form, NewCodesForm) else NewCodesForm(formdata=None)
        context["off_form"] = form if isinstance(form, TurnOffForm) else TurnOffForm(formdata=None)
        context["left"] = two_factor.codes_left(db, current_user.id)
        context["made"] = two_factor.RECOVERY_CODES
    else:
        session[SETUP_KEY] = session.get(SETUP_KEY) or two_factor.new_setup_nonce()
        secret = setup_secret()
        uri = two_factor.provisioning_uri(secret, current_user.email)
        context.update(
            secret=two_factor.secret_words(secret),
            # A phone cannot scan its own screen: the same address, as a link, opens the app.
            uri=uri,
            qr=two_factor.qr_svg(uri),
            required=two_factor.required(db, current_user),
        )
    response = make_response(render_template("settings/two_factor.html", **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def setup_secret():
    """The key this browser is setting up (from the nonce its session keeps), or None."""
    nonce = session.get(SETUP_KEY)
    return two_factor.setup_secret(nonce, current_user.id) if nonce else None


def throttled(form):
    """A 429 page when too many wrong codes were tried; else None."""
    wait = two_factor.wait(get_db(), current_user.email, client_address())
    if not wait:
        return None
    minutes = max(1, round(wait / 60))
    form.code.errors.append(
        f"Too many wrong codes. Please wait about {plural(minutes, 'minute')} and try again."
    )
    response = page(form, 429)
    response.headers["Retry-After"] = str(wait)
    return response


def wrong(form, message):
    two_factor.failed(get_db(), current_user.email, client_address())
    form.code.errors.append(message)
    return page(form, 400)


@login_required
def two_factor_page():
    form = TurnOnForm()
    if request.method != "POST":  # a GET, or a HEAD asking the same
        return page(form)
    if not form.validate_on_submit():
        return page(form, 400)
    if two_factor.is_on(get_db(), current_user.id):
        return on_already()
    refused = throttled(form)
    if refused:
        return refused
    secret = setup_secret()
    with write_transaction() as db:
        # Asked again holding the write lock: turned on from another device at the same moment
        # (each with its own key), both were told it was on and shown recovery codes, while
        # the second's key and codes replaced the first's, which then never worked.
        on_meanwhile = two_factor.is_on(db, current_user.id)
        codes = None
        removed = []
        held_back = two_factor.required(db, current_user)  # staff, with the clinic's rule on
        if secret and not on_meanwhile:
            codes = two_factor.turn_on(db, current_user.id, secret, form.code.data)
        if codes is not None and held_back:
            # Staff's reached the caseload once it was on (kept to their settings only while
            # it was off: access.staff_to_two_factor). Every sign-in ends and this browser goes
            # on under a new one, so a copy of its cookies taken earlier ends too. So do the
            # passkeys added meanwhile, with the password alone: one planted then would sign
            # in, both factors in one, with the caseload open.
            removed = webauthn_passkeys.forget_added_without_two_factor(
                db, current_user.id, current_user.signin
            )
            renew_signin()
        elif codes is not None:
            # Every other sign-in was made with the password alone, which the person may fear
            # someone else knows (why they turn this on): a patient's went on reading the
            # journal without ever giving a code. They end.
            signins.delete_others(db, current_user.id, current_user.signin["id"])
    if on_meanwhile:
        return on_already()
    if codes is None:
        return wrong(form, FIRST_CODE_WRONG)
    session.pop(SETUP_KEY, None)
    two_factor.succeeded(get_db(), current_user.email)
    gone = {"passkeys_removed": len(removed)} if removed else {}
    account.record_activity("two-factor-on", **gone)
    return page(two_factor.CodeForm(formdata=None), codes=codes, removed=removed, turned_on=True)


def on_already():
    """The answer to a first code sent once two-factor is on: the page saying it is on, and
    when it was turned on with another key (shown on another device), that this form's key
    was not kept. The same form sent again before its first answer came (a double tap on a
    slow connection: the session still holds its key) is not told that, but where the
    recovery codes went: the page that showed them, the only one to, was replaced by this."""
    secret = setup_secret()
    if two_factor.on_with_another_key(get_db(), current_user.id, secret):
        flash(
            "Two-factor sign-in was already on (turned on on another device, with its own "
            "key), so the key on the page you sent was not kept: use the app entry and the "
            "recovery codes set up there."
        )
    elif secret:
        flash(
            "Two-factor sign-in is on. Its recovery codes were shown only once, on the page "
            "that answered the form's first sending. If you did not note them, make new ones "
            "here with the next code from your app."
        )
    return redirect(url_for("settings.two_factor_page"))


# The key waits in the session, which goes when a sign-in ends (the idle time-out, a password
# changed elsewhere): signed in again, the page shows a new key, and an entry the app made from
# the old one never matches. Said here, where that shows.
FIRST_CODE_WRONG = (
    "That code does not match. Check the app's newest code and try again. If you added "
    "Afterglow to the app before you last logged in, that entry holds an older key: delete "
    "it and add the key on this page."
)


# What the turn-off and new-codes forms say once two-factor is off: sent again by a double tap
# whose first turned it off (that answer, its message with it, never came back), or from a
# tab left open. The set-up page alone, without a word, left the person unsure it had worked.
TURNED_OFF = "Two-factor sign-in is off. Your recovery codes no longer work."
OFF_NO_CODES = (
    "Two-factor sign-in is off, so no recovery codes were made. Turn it on again below to "
    "get new ones."
)


def checked_code(form, when_off):
    """None when the form holds a current code or a recovery code (two-factor being on); else
    the answer to give (`when_off`, said when two-factor is off)."""
    if not form.validate_on_submit():
        return page(form, 400)
    if not two_factor.is_on(get_db(), current_user.id):
        flash(when_off)
        return redirect(url_for("settings.two_factor_page"))
    refused = throttled(form)
    if refused:
        return refused
    if two_factor.check(get_db(), current_user.id, form.code.data) is None:
        return wrong(form, "That code does not match, or was used already. Nothing changed.")
    two_factor.succeeded(get_db(), current_user.email)
    return None


@login_required
def two_factor_off():
    form = TurnOffForm()
    answer = checked_code(form, TURNED_OFF)
    if answer is not None:
        return answer
    two_factor.turn_off(get_db(), current_user.id)
    account.record_activity("two-factor-off")
    flash(TURNED_OFF)
    return redirect(url_for("settings.two_factor_page"))


# The answer to the new-codes form sent again: its first sending made the codes, and the page
# that showed them, the only one to, was replaced by this one's.
CODES_MADE_ALREADY = (
    "This form made new recovery codes already (it was sent twice), and they were shown only "
    "once: the codes you had before no longer work. If you did not note the new ones, make "
    "new ones here with the next code from your app."
)


@login_required
def two_factor_codes():
    form = NewCodesForm()
    # Two sendings take turns: the second finds the key the first stored with its codes.
    with write_transaction() as db:
        key = form.request_key.data if form.validate_on_submit() else None
        made = two_factor.codes_made_by(db, current_user.id, key)
        answer = None if made else checked_code(form, OFF_NO_CODES)
        if not made and answer is None:
            codes = two_factor.new_codes(db, current_user.id, key)
    if made:
        flash(CODES_MADE_ALREADY)
        return redirect(url_for("settings.two_factor_page"))
    if answer is not None:
        return answer
    return page(two_factor.CodeForm(formdata=None), codes=codes)
