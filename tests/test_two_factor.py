"""Two-factor sign-in with TOTP (issue 9): turning it on and off in settings, the second step
of signing in (`/auth/2fa`), recovery codes, replays, the throttle, staff who must use it,
and an admin's reset link clearing it. Codes are computed with pyotp at the held clock."""

import html
import re
from datetime import timedelta

import pyotp
import pytest
from conftest import PASSWORD, AuthActions, csrf_token, register_with_csrf
from factories import (
    ADMIN_PASSWORD,
    NOW,
    TODAY,
    checkin,
    invite_code,
    make_admin,
    person,
    reset_link,
    share_link,
    signed_in,
    signed_in_twice,
    sql,
    therapist,
)
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import URLSafeTimedSerializer
from test_calendar import make_link

from journal import clock, qr

HEALTH = "A reflection only the patient and their therapist should read"


def page_secret(text):
    """The secret as the page shows it, in groups of four."""
    match = re.search(r'<code class="secret" id="secret">([A-Z2-7 ]+)</code>', text)
    assert match, "no secret on the page"
    return match.group(1).replace(" ", "")


def code_at(secret, moment):
    return pyotp.TOTP(secret).at(moment)


def other_than(code):
    """A 6-digit code that is not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def turn_on(client, password=PASSWORD):
    """Turn two-factor on for the signed-in person at the held clock: (secret, recovery codes)."""
    secret = page_secret(client.get("/settings/2fa").text)
    response = client.post(
        "/settings/2fa", data={"code": code_at(secret, NOW), "password": password}
    )
    assert response.status_code == 200, response.text
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", response.text)
    assert len(codes) == 10
    return secret, codes


def error_at_code(text):
    match = re.search(r'<p class="error" id="code-error">([^<]+)</p>', text)
    return html.unescape(match.group(1)) if match else None


def signins_of(app, email):
    return sql(
        app,
        "select count(*) from signins s join users u on u.id = s.user_id where u.email = ?",
        [email],
    )[0][0]


@pytest.fixture
def pat(app):
    """A patient with two-factor on, signed out: (client, secret, recovery codes)."""
    client = person(app, "pat@example.com")
    secret, codes = turn_on(client)
    client.post("/auth/logout")
    return client, secret, codes


def password_step(client, email="pat@example.com", password=PASSWORD):
    response = AuthActions(client).login(email=email, password=password)
    assert response.status_code == 302 and response.location == "/auth/2fa", response.location
    return response


# Turning it on


def test_turning_on_shows_a_qr_code_and_the_secret_and_needs_a_right_first_code(app):
    client = person(app, "pat@example.com")
    page = client.get("/settings/2fa")
    assert page.status_code == 200
    assert (
        '<svg width="' in page.text
        and 'aria-label="QR code for your authenticator app"' in page.text
    )
    secret = page_secret(page.text)
    assert len(secret) == 32
    # The same secret on a reload, until confirmed: the app may already hold it.
    assert page_secret(client.get("/settings/2fa").text) == secret

    wrong = other_than(code_at(secret, NOW))
    response = client.post("/settings/2fa", data={"code": wrong, "password": PASSWORD})
    assert response.status_code == 400
    assert error_at_code(response.text).startswith("That code does not match")
    assert f'value="{wrong}"' in response.text  # the input kept
    assert sql(app, "select count(*) from two_factor") == [(0,)]
    assert sql(app, "select count(*) from recovery_codes") == [(0,)]

    response = client.post(
        "/settings/2fa", data={"code": code_at(secret, NOW), "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "Your recovery codes" in response.text
    ((stored, last_step),) = sql(app, "select secret, last_step from two_factor")
    assert stored == secret
    assert last_step == int(NOW.timestamp()) // 30  # the confirming code is spent
    # On now: the page shows how many codes are left, never the codes again.
    again = client.get("/settings/2fa")
    assert "Recovery codes left: <strong>10</strong> of 10." in again.text
    assert "Your recovery codes" not in again.text and "secret" not in again.text


def test_turning_on_sent_twice_says_where_the_recovery_codes_went(app):
    # A double tap on a slow connection sent the form twice, both with the cookie the page
    # had: the first turned two-factor on and showed the recovery codes, on a page the
    # second's answer replaced; that answer said nothing of them, and the person never saw
    # their codes.
    client = person(app, "pat@example.com")
    secret = page_secret(client.get("/settings/2fa").text)
    cookie = client.get_cookie("session").value
    form = {"code": code_at(secret, NOW), "password": PASSWORD}
    assert "Your recovery codes" in client.post("/settings/2fa", data=form).text
    client.set_cookie("session", cookie)  # the second tap, sent before the first's answer
    again = client.post("/settings/2fa", data=form)
    assert again.status_code == 302 and again.location == "/settings/2fa"
    text = html.unescape(client.get("/settings/2fa").text)
    assert "Two-factor sign-in is on. Its recovery codes were shown only once" in text
    assert "make new ones here with the next code from your app" in text
    assert "was not kept" not in text
    assert sql(app, "select secret from two_factor") == [(secret,)]


def test_the_key_being_set_up_is_not_readable_from_the_session_cookie(app):
    """The session cookie is signed, not secret: anyone holding a copy (read without the
    app's key here) must not find the key in it, which, once confirmed, would be the
    account's second factor for good, long after that copy's sign-in had ended."""
    client = person(app, "pat@example.com")
    secret = page_secret(client.get("/settings/2fa").text)
    cookie = client.get_cookie("session").value
    reader = URLSafeTimedSerializer(
        "not the app's key", salt="cookie-session", serializer=TaggedJSONSerializer()
    )
    _, payload = reader.loads_unsafe(cookie)
    assert payload is not None and "_user_id" in payload  # the cookie was read
    assert secret not in repr(payload)
    # It is still the same key on a reload, and the one a first code turns on.
    assert page_secret(client.get("/settings/2fa").text) == secret
    response = client.post(
        "/settings/2fa", data={"code": code_at(secret, NOW), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert sql(app, "select secret from two_factor") == [(secret,)]


def test_a_qr_code_drawn_again_is_the_one_kept_and_each_text_has_its_own():
    """The set-up page draws the same secret's code on every reload and wrong code: it is kept
    (journal/qr.py), the same markup as drawn afresh, and never another text's or label's."""
    text = "otpauth://totp/Afterglow:pat%40example.com?secret=AAAABBBBCCCCDDDD&issuer=Afterglow"
    first = qr.qr_svg(text, "QR code for your authenticator app")
    assert qr.qr_svg(text, "QR code for your authenticator app") is first
    assert qr.qr_svg.__wrapped__(text, "QR code for your authenticator app") == first
    other = qr.qr_svg(text.replace("AAAA", "EEEE"), "QR code for your authenticator app")
    assert other != first
    relabelled = qr.qr_svg(text, "QR code of the link")
    assert 'aria-label="QR code of the link"' in relabelled and relabelled != first
    assert qr.qr_svg.cache_info().maxsize == qr.QR_KEPT


@pytest.mark.parametrize("password", ["", "not the password!"], ids=["missing", "wrong"])
def test_turning_on_needs_the_password(app, password):
    """A session left open can't tie the account to someone else's phone: the right first
    code without the password turns nothing on, and is not counted as a wrong code."""
    client = person(app, "pat@example.com")
    secret = page_secret(client.get("/settings/2fa").text)
    code = code_at(secret, NOW)
    response = client.post("/settings/2fa", data={"code": code, "password": password})
    assert response.status_code == 400
    error = re.search(r'<p class="error" id="password-error">([^<]+)</p>', response.text)
    assert error and html.unescape(error[1]) in (
        "Enter your password to turn two-factor sign-in on.",
        "That is not your current password.",
    )
    assert f'value="{code}"' in response.text  # the code kept, the password never sent back
    assert sql(app, "select count(*) from two_factor") == [(0,)]
    assert sql(app, "select count(*) from recovery_codes") == [(0,)]
    assert error_at_code(response.text) is None
    response = client.post("/settings/2fa", data={"code": code, "password": PASSWORD})
    assert response.status_code == 200 and "Your recovery codes" in response.text


def test_setting_up_on_the_phone_itself_needs_no_scan(app):
    """The page asked a person on their phone to scan a QR code shown on that same phone; a
    link with the same otpauth address opens the authenticator app there."""
    client = person(app, "pat@example.com")
    page = client.get("/settings/2fa").text
    secret = page_secret(page).replace(" ", "")
    match = re.search(r'<a class="button" id="authenticator-link" href="([^"]+)">', page)
    assert match, "no link to the authenticator app"
    address = html.unescape(match.group(1))
    assert address.startswith("otpauth://totp/") and f"secret={secret}" in address
    assert pyotp.parse_uri(address).secret == secret


@pytest.mark.parametrize("ended", ["idle timeout", "signed out elsewhere"])
@pytest.mark.parametrize("arrives", ["log in", "register"])
def test_a_secret_being_set_up_never_passes_to_the_next_person_on_the_browser(app, ended, arrives):
    # A shared computer: Ana opens the set-up page (her phone may already hold the secret),
    # and her sign-in ends without her logging out. Ben then signs in on that browser.
    browser = person(app, "ana@example.com")
    anas = page_secret(browser.get("/settings/2fa").text)
    if ended == "idle timeout":
        clock.set(NOW + timedelta(minutes=31))
    else:
        elsewhere = app.test_client()
        AuthActions(elsewhere).login(email="ana@example.com")
        assert elsewhere.post("/settings/devices/signout-others").status_code == 302
    assert browser.get("/entries").status_code == 302
    if arrives == "log in":
        person(app, "ben@example.com")
        assert AuthActions(browser).login(email="ben@example.com").status_code == 302
    else:
        assert AuthActions(browser).register(email="ben@example.com").status_code == 302
    bens = page_secret(browser.get("/settings/2fa").text)
    assert bens != anas
    response = browser.post(
        "/settings/2fa", data={"code": code_at(bens, clock.now()), "password": PASSWORD}
    )
    assert response.status_code == 200
    assert sql(app, "select secret from two_factor") == [(bens,)]


def test_recovery_codes_are_stored_hashed_and_shown_once(app):
    client = person(app, "pat@example.com")
    secret, codes = turn_on(client)
    assert len(set(codes)) == 10
    with app.app_context():
        from journal.db import get_db

        dump = "\n".join(get_db().conn.iterdump())
    for code in codes:
        assert code not in dump and code.replace("-", "") not in dump
    hashes = {row[0] for row in sql(app, "select hash from recovery_codes")}
    assert len(hashes) == 10 and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
    for code in codes[:2]:
        assert code not in client.get("/settings/2fa").text


# Signing in


def test_signing_in_needs_the_code_and_no_sign_in_exists_before(app, pat):
    client, secret, _ = pat
    password_step(client)
    assert signins_of(app, "pat@example.com") == 0
    assert client.get("/checkin").status_code == 302  # not signed in yet
    page = client.get("/auth/2fa")
    assert page.status_code == 200 and 'name="code"' in page.text

    clock.set(NOW + timedelta(seconds=30))  # the next step: NOW's code was spent turning it on
    response = client.post("/auth/2fa", data={"code": code_at(secret, clock.timestamp())})
    assert response.status_code == 302 and response.location == "/checkin"
    assert signins_of(app, "pat@example.com") == 1
    assert client.get("/checkin").status_code == 200


def test_the_code_step_keeps_next_and_remember(app, pat):
    client, secret, _ = pat
    response = AuthActions(client).login(next_="/progress", remember="y")
    assert response.location == "/auth/2fa"
    clock.set(NOW + timedelta(seconds=30))
    response = client.post("/auth/2fa", data={"code": code_at(secret, clock.timestamp())})
    assert response.location == "/progress"
    assert sql(app, "select remember from signins") == [(1,)]


def test_a_code_is_accepted_once(app, pat):
    client, secret, _ = pat
    # The code that turned it on is spent already.
    password_step(client)
    response = client.post("/auth/2fa", data={"code": code_at(secret, NOW)})
    assert response.status_code == 400
    assert error_at_code(response.text) == "That code does not match, or was used already."
    # A new step's code works once; replayed on another sign-in it is refused.
    clock.set(NOW + timedelta(seconds=60))
    code = code_at(secret, clock.timestamp())
    assert client.post("/auth/2fa", data={"code": code}).status_code == 302
    other = app.test_client()
    password_step(other)
    assert other.post("/auth/2fa", data={"code": code}).status_code == 400
    # So is an older code still inside the window.
    assert (
        other.post("/auth/2fa", data={"code": code_at(secret, clock.timestamp() - 30)}).status_code
        == 400
    )
    assert signins_of(app, "pat@example.com") == 1


def test_codes_from_outside_the_window_are_refused(app, pat):
    client, secret, _ = pat
    clock.set(NOW + timedelta(minutes=10))
    now = clock.timestamp()
    password_step(client)
    for moment in (now - 90, now - 60, now + 60, now + 90):
        response = client.post("/auth/2fa", data={"code": code_at(secret, moment)})
        assert response.status_code == 400, moment
    assert signins_of(app, "pat@example.com") == 0
    # One step early (a phone's clock behind) is still inside the window.
    assert client.post("/auth/2fa", data={"code": code_at(secret, now - 30)}).status_code == 302


def test_a_key_from_before_the_sign_in_ended_is_named_when_its_code_is_refused(app):
    """The key waits in the session: signed in again (the idle time-out, a password changed
    elsewhere), the page shows a new one, and the app's entry from the old key only met
    "Check the app's newest code", however often the person tried."""
    client = person(app, "pat@example.com")
    scanned = page_secret(client.get("/settings/2fa").text)
    client.post("/auth/logout")
    AuthActions(client).login()
    shown = page_secret(client.get("/settings/2fa").text)
    assert shown != scanned
    response = client.post(
        "/settings/2fa", data={"code": code_at(scanned, NOW), "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "that entry holds an older key: delete it and add the key on this page" in (
        error_at_code(response.text)
    )
    assert sql(app, "select count(*) from two_factor") == [(0,)]


def test_a_lock_by_wrong_codes_shows_once_in_recent_activity(app, pat):
    """Wrong codes after the right password mean someone has the password: the lock they
    met is one line in the owner's Recent activity, saying so."""
    client, secret, _ = pat
    clock.set(NOW + timedelta(minutes=1))
    password_step(client)
    right = code_at(secret, clock.timestamp())
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        client.post("/auth/2fa", data={"code": other_than(right)})
    clock.set(clock.now() + timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"]))
    password_step(client)
    signed_in = client.post("/auth/2fa", data={"code": code_at(secret, clock.timestamp())})
    assert signed_in.status_code == 302
    page = client.get("/settings/activity").text
    assert page.count("Logging in paused after several wrong two-factor codes") == 1
    assert "knew your password" in page


def test_wrong_codes_are_throttled_even_after_the_password_again(app, pat):
    client, secret, _ = pat
    clock.set(NOW + timedelta(minutes=1))
    password_step(client)
    right = code_at(secret, clock.timestamp())
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post("/auth/2fa", data={"code": other_than(right)}).status_code == 400
    response = client.post("/auth/2fa", data={"code": right})
    assert response.status_code == 429
    assert "Too many wrong codes" in error_at_code(response.text)
    assert int(response.headers["Retry-After"]) > 0
    # The right password again (which clears the password's own count) buys no more tries.
    password_step(client)
    assert client.post("/auth/2fa", data={"code": right}).status_code == 429
    assert signins_of(app, "pat@example.com") == 0
    # After the window the right code works (the password asked for again: 5 minutes passed).
    clock.set(NOW + timedelta(minutes=1 + app.config["LOGIN_WINDOW_MINUTES"], seconds=1))
    password_step(client)
    response = client.post("/auth/2fa", data={"code": code_at(secret, clock.timestamp())})
    assert response.status_code == 302


def code_page_step(client):
    """The pending step's id that the code form carries."""
    match = re.search(r'name="step" value="([^"]+)"', client.get("/auth/2fa").text)
    assert match, "no step on the code form"
    return match.group(1)


def test_a_code_sent_from_a_tab_left_open_while_another_signed_in_is_answered(app, pat):
    # A shared phone: Pat reaches the code step; in another tab Sam logs in; Pat's tab sends
    # the code. It led into Sam's journal as if it were Pat's; now it says so and does nothing.
    client, secret, _ = pat
    password_step(client)
    step = code_page_step(client)
    AuthActions(app.test_client()).register(email="sam@example.com")
    assert AuthActions(client).login(email="sam@example.com").status_code == 302
    clock.set(NOW + timedelta(seconds=30))
    code = code_at(secret, clock.timestamp())
    response = client.post("/auth/2fa", data={"code": code, "step": step})
    assert response.status_code == 400
    assert "Another account is signed in on this browser, so nothing was done." in response.text
    assert f'value="{code}"' in response.text  # the code typed is kept
    assert signins_of(app, "pat@example.com") == 0
    assert signins_of(app, "sam@example.com") == 2  # the register, and this browser's
    # A step id that is not text the server made (odd bytes) is answered the same way.
    odd = client.post("/auth/2fa", data={"code": code, "step": "éé"})
    assert odd.status_code == 400


def test_the_code_form_sent_twice_goes_on_the_second_time(app, pat):
    # A double tap, or Back and Sign in again: the sign-in it made goes on, no message.
    client, secret, _ = pat
    AuthActions(client).login(next_="/progress")
    step = code_page_step(client)
    clock.set(NOW + timedelta(seconds=30))
    form = {"code": code_at(secret, clock.timestamp()), "step": step}
    assert client.post("/auth/2fa", data=form).location == "/progress"
    again = client.post("/auth/2fa", data=form)
    assert again.status_code == 302 and again.location == "/checkin"
    assert signins_of(app, "pat@example.com") == 1


def test_the_code_is_asked_for_within_five_minutes_of_the_password(app, pat):
    client, secret, _ = pat
    password_step(client)
    clock.set(NOW + timedelta(minutes=5, seconds=1))
    response = client.post("/auth/2fa", data={"code": code_at(secret, clock.timestamp())})
    assert response.status_code == 302 and response.location == "/auth/login"
    assert signins_of(app, "pat@example.com") == 0
    assert client.get("/auth/2fa").location == "/auth/login"


@pytest.mark.parametrize("how", ["changed in settings", "reset by a mailed link"])
def test_a_password_changed_after_the_first_step_ends_the_pending_step(app, pat, how):
    # Someone else knows Pat's password (and has a recovery code): they pass the first step.
    # Pat, told of it, changes the password; the pending step must not sign them in after.
    stranger, _, codes = pat
    password_step(stranger)
    new = "another long password"
    if how == "changed in settings":
        owner = app.test_client()
        password_step(owner)
        assert owner.post("/auth/2fa", data={"code": codes[1]}).status_code == 302
        response = owner.post(
            "/settings/password",
            data={"current_password": PASSWORD, "new_password": new, "confirm": new},
        )
        assert response.status_code == 302
    else:
        pat_id = sql(app, "select id from users where email = 'pat@example.com'")[0][0]
        assert (
            app.test_client().post(reset_link(app, pat_id), data={"password": new}).status_code
            == 302
        )
    before = signins_of(app, "pat@example.com")
    response = stranger.post("/auth/2fa", data={"code": codes[0]})
    assert response.status_code == 302 and response.location == "/auth/login"
    assert signins_of(app, "pat@example.com") == before
    # Not blamed on the 5 minutes alone (the code came within them).
    assert "ends sooner if the password changes" in stranger.get("/auth/login").text
    assert stranger.get("/checkin").status_code == 302
    # The recovery code was not spent, and the new password's own first step goes on.
    password_step(stranger, password=new)
    assert stranger.post("/auth/2fa", data={"code": codes[0]}).status_code == 302


def test_a_recovery_code_works_once(app, pat):
    client, _, codes = pat
    password_step(client)
    response = client.post("/auth/2fa", data={"code": codes[0].upper()})
    assert response.status_code == 302 and response.location == "/checkin"
    assert "Recovery codes left: <strong>9</strong> of 10." in client.get("/settings/2fa").text
    client.post("/auth/logout")
    password_step(client)
    assert client.post("/auth/2fa", data={"code": codes[0]}).status_code == 400
    assert client.post("/auth/2fa", data={"code": codes[1].replace("-", "")}).status_code == 302


def test_a_sign_in_with_a_recovery_code_says_how_many_are_left(app, pat):
    # Someone signing in with recovery codes has likely lost the phone: each sign-in spent one
    # without a word, and after the tenth the person was locked out with no warning (a mailed
    # reset link keeps two-factor on).
    client, _, codes = pat
    for used, code in enumerate(codes, start=1):
        password_step(client)
        assert client.post("/auth/2fa", data={"code": code}).status_code == 302
        said = html.unescape(client.get("/checkin").text)
        if used < 10:
            left = 10 - used
            assert f"You signed in with a recovery code: {left} recovery code" in said
        else:
            assert "You signed in with your last recovery code." in said
            assert "ask your clinic for a reset link" in said
        client.post("/auth/logout")
    # A code from the app says nothing of recovery codes.
    secret = sql(app, "select secret from two_factor")[0][0]
    password_step(client)
    clock.set(NOW + timedelta(minutes=1))
    client.post("/auth/2fa", data={"code": code_at(secret, NOW + timedelta(minutes=1))})
    assert "recovery code" not in client.get("/checkin").text


ODD = [
    "١٢٣٤٥٦",  # Arabic-Indic digits
    "１２３４５６",  # full-width digits
    "123\u200b456",  # a zero-width space
    "12345",
    "<script>",
    "x" * 41,
]


@pytest.mark.parametrize("code", ODD)
def test_odd_codes_are_refused_with_a_message_at_the_field(app, pat, code):
    client, _, _ = pat
    password_step(client)
    response = client.post("/auth/2fa", data={"code": code})
    assert response.status_code == 400
    assert error_at_code(response.text).startswith("Enter the 6-digit code")
    assert f'value="{html.escape(code)}"' in response.text.replace("&#34;", "&quot;")
    settings = person(app, "sam@example.com")
    response = settings.post("/settings/2fa", data={"code": code})
    assert response.status_code == 400 and error_at_code(response.text)
    assert sql(app, "select count(*) from two_factor") == [(1,)]
    assert signins_of(app, "pat@example.com") == 0


def test_a_huge_code_is_refused_with_a_message(app, pat):
    client, _, _ = pat
    password_step(client)
    response = client.post("/auth/2fa", data={"code": "9" * 200_000})
    assert response.status_code == 400
    assert error_at_code(response.text).startswith("Enter the 6-digit code")
    assert client.post("/auth/2fa", data={"code": ""}).status_code == 400


# Turning it off, new codes


def test_turning_off_needs_a_code(app):
    client = person(app, "pat@example.com")
    secret, codes = turn_on(client)
    response = client.post("/settings/2fa/off", data={})
    assert response.status_code == 400 and error_at_code(response.text)
    clock.set(NOW + timedelta(seconds=30))
    right = code_at(secret, clock.timestamp())
    response = client.post("/settings/2fa/off", data={"code": other_than(right)})
    assert response.status_code == 400
    assert sql(app, "select count(*) from two_factor") == [(1,)]
    response = client.post("/settings/2fa/off", data={"code": right})
    assert response.status_code == 302
    assert sql(app, "select count(*) from two_factor") == [(0,)]
    assert sql(app, "select count(*) from recovery_codes") == [(0,)]
    client.post("/auth/logout")
    assert AuthActions(client).login().location == "/checkin"  # no second step now


def test_turning_off_and_new_codes_are_two_forms_so_go_does_what_its_form_says(app):
    # One form with both buttons: after a wrong code for "Turn off", a right one sent with the
    # phone's Go key took the form's first button, made new recovery codes and left it on.
    client = person(app, "pat@example.com")
    turn_on(client)
    response = client.post("/settings/2fa/off", data={"code": "000000x"})
    assert response.status_code == 400
    found = re.findall(r"<form method=\"post\" action=\"(/settings/2fa[^\"]*)\".*?</form>",
                       response.text, re.S)  # fmt: skip
    assert found == ["/settings/2fa/codes", "/settings/2fa/off"]
    new_codes, off = re.findall(r"<form method=\"post\" action=\"/settings/2fa.*?</form>",
                                response.text, re.S)  # fmt: skip
    for form, button in (
        (new_codes, "Make new recovery codes"),
        (off, "Turn two-factor sign-in off"),
    ):
        assert re.findall(r"<button[^>]*>([^<]+)</button>", form) == [button]
        assert "formaction" not in form and form.count('name="code"') == 1
    assert 'class="error"' in off and 'value="000000x"' in off  # the message and the input
    assert 'class="error"' not in new_codes and "000000x" not in new_codes
    assert 'id="code"' in off and 'id="new-code"' in new_codes  # each label finds its field


@pytest.mark.parametrize("path", ["/settings/2fa/off", "/settings/2fa/codes"])
def test_a_bad_code_sent_to_turn_off_what_is_off_shows_the_turn_on_form(app, path):
    """A tab left open on the "on" page, two-factor turned off meanwhile: its form sent with
    a bad code answers the turn-on form (asking for the password too), not a 500."""
    client = person(app, "pat@example.com")
    response = client.post(path, data={"code": ""})
    assert response.status_code == 400
    assert 'name="password"' in response.text
    assert "Turn two-factor sign-in on" in response.text
    assert sql(app, "select count(*) from two_factor") == [(0,)]


def test_new_recovery_codes_replace_the_old(app):
    client = person(app, "pat@example.com")
    _, codes = turn_on(client)
    response = client.post("/settings/2fa/codes", data={"code": codes[0]})
    assert response.status_code == 200
    new = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", response.text)
    assert len(new) == 10 and not set(new) & set(codes)
    client.post("/auth/logout")
    password_step(client)
    assert client.post("/auth/2fa", data={"code": codes[1]}).status_code == 400
    assert client.post("/auth/2fa", data={"code": new[0]}).status_code == 302


def test_new_recovery_codes_sent_twice_say_the_first_tap_made_them(app):
    # A double tap on a slow connection sent the form twice: the first made new codes (its
    # page, the only one to show them, was replaced by the second's), and the second, its code
    # spent by the first, said "That code does not match, or was used already. Nothing
    # changed." while the codes the person held had stopped working.
    client = person(app, "pat@example.com")
    _, codes = turn_on(client)
    key = re.search(
        r'name="request_key" type="hidden" value="([^"]+)"', client.get("/settings/2fa").text
    ).group(1)
    form = {"code": codes[0], "request_key": key}
    first = client.post("/settings/2fa/codes", data=form)
    new = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", first.text)
    assert len(new) == 10
    again = client.post("/settings/2fa/codes", data=form)
    assert again.status_code == 302
    text = html.unescape(client.get(again.location).text)
    assert "This form made new recovery codes already" in text
    assert "the codes you had before no longer work" in text
    assert "Nothing changed" not in text and error_at_code(text) is None
    # Nothing made twice, and no wrong code counted: the first tap's codes are the ones.
    client.post("/auth/logout")
    password_step(client)
    assert client.post("/auth/2fa", data={"code": new[1]}).status_code == 302


# Staff


@pytest.fixture
def linked(app):
    """A patient with a reflection shared with a linked therapist; then the rule on:
    (patient id, therapist client)."""
    pat = person(app, "pat@example.com")
    checkin(pat, TODAY.isoformat(), 3, reflection=HEALTH)
    doc = therapist(app)
    code = invite_code(doc)
    assert pat.post("/settings/therapist", data={"invite_code": code}).status_code == 302
    app.config["REQUIRE_2FA_FOR_STAFF"] = True
    return sql(app, "select id from users where email = 'pat@example.com'")[0][0], doc


def test_a_therapist_without_two_factor_reaches_no_patient_data(app, linked):
    pat_id, doc = linked
    values = {"patient_id": pat_id, "name": "mood", "fmt": "svg", "day": TODAY.isoformat()}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("caseload."):
            continue
        path = rule.build({name: values.get(name, 1) for name in rule.arguments})[1]
        if "GET" in rule.methods:
            response = doc.get(path)
            assert response.status_code == 302, rule.endpoint
            assert response.location == "/settings/2fa", rule.endpoint
        if "POST" in rule.methods:
            assert doc.post(path, data={}).status_code == 403, rule.endpoint
    assert HEALTH not in doc.get("/caseload", follow_redirects=True).text
    assert sql(app, "select count(*) from audit") == [(0,)]
    # A fresh log-in lands on the set-up page too.
    doc.post("/auth/logout")
    response = AuthActions(doc).login(email="doc@example.com")
    assert doc.get(response.location).location == "/settings/2fa"
    page = doc.get("/settings/2fa")
    assert "Your clinic asks staff to use two-factor sign-in" in page.text
    # Set up: the caseload and the patient open.
    turn_on(doc)
    assert doc.get("/caseload").status_code == 200
    assert HEALTH in doc.get(f"/caseload/{pat_id}").text


def test_a_form_sent_by_staff_without_two_factor_gets_the_apps_page_saying_why(app, linked):
    # "Mark as reviewed" from a patient's page opened before two-factor was turned off (in
    # another tab) answered werkzeug's bare "403 Forbidden" page: no phone layout, no "Get
    # help now", nothing said of two-factor and no way on.
    pat_id, doc = linked
    response = doc.post(f"/caseload/{pat_id}/reviewed", data={})
    assert response.status_code == 403
    page = response.text
    assert "Your clinic asks staff to use two-factor sign-in: nothing was saved." in page
    assert '<a href="/settings/2fa">Set up two-factor sign-in</a>' in page
    assert "Get help now" in page and 'name="viewport"' in page
    assert sql(app, "select count(*) from caseload_reviews") == [(0,)]


def test_a_sign_in_that_never_gave_a_code_does_not_reach_patients_once_it_is_on(app, linked):
    # A therapist signed in with the password alone (another device, "Keep me signed in": or
    # whoever else knew the password) waits at the set-up page. Once two-factor was turned on
    # from the therapist's own phone, that sign-in, which never gave a code, opened the
    # caseload and every linked patient's journal for 30 days. Turning it on now ends every
    # other sign-in of staff, and this browser's earlier cookies with them.
    pat_id, doc = linked
    other = app.test_client()
    assert AuthActions(other).login(email="doc@example.com", remember="y").status_code == 302
    assert other.get("/caseload").location == "/settings/2fa"
    copied = doc.get_cookie("session").value
    turn_on(doc)
    assert doc.get(f"/caseload/{pat_id}").status_code == 200
    for response in (other.get("/caseload"), other.get(f"/caseload/{pat_id}")):
        assert response.status_code == 302
        assert response.location.startswith("/auth/login")
    copy = app.test_client()
    copy.set_cookie("session", copied)
    assert copy.get(f"/caseload/{pat_id}").location.startswith("/auth/login")
    assert HEALTH not in copy.get(f"/caseload/{pat_id}", follow_redirects=True).text
    assert signins_of(app, "doc@example.com") == 1


def test_turning_it_on_signs_a_patient_out_everywhere_else(app):
    # A patient turns two-factor on because they fear someone else knows their password: a
    # sign-in made elsewhere with the password alone ("Keep me signed in" on another device)
    # went on reading their journal. Turning it on now ends every other sign-in of anyone;
    # this browser stays signed in.
    client, phone = signed_in_twice(app)
    assert "A calm morning" in phone.get("/entries", follow_redirects=True).text
    response = client.post(
        "/settings/2fa",
        data={"code": code_at(page_secret(client.get("/settings/2fa").text), NOW),
              "password": PASSWORD},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Every other device signed in to your account is now signed out" in response.text
    assert phone.get("/entries").location.startswith("/auth/login")
    assert "A calm morning" not in phone.get("/entries", follow_redirects=True).text
    assert signed_in(client)
    assert "A calm morning" in client.get("/entries", follow_redirects=True).text
    assert signins_of(app, "pat@example.com") == 1


def test_a_new_therapist_is_not_pointed_at_an_invite_code_the_set_up_page_lacks(app):
    # Invited and registered under the rule, a therapist lands on the two-factor set-up page,
    # which said "Give your patients the invite code below to link." with no code below.
    app.config["REQUIRE_2FA_FOR_STAFF"] = True
    doc = app.test_client()
    response = AuthActions(doc).register(email="doc@example.com", role="therapist")
    assert doc.get(response.location).location == "/settings/2fa"
    page = doc.get("/settings/2fa").text
    assert "invite code below" not in page
    assert "Once two-factor sign-in is set up, your caseload shows the invite code" in page


def test_an_admin_without_two_factor_reaches_no_admin_page(app):
    app.config["REQUIRE_2FA_FOR_STAFF"] = True
    boss = make_admin(app)
    for path in ("/admin", "/admin/users/1", "/admin/invitations"):
        assert boss.get(path).location == "/settings/2fa", path
    assert boss.post("/admin/invitations", data={"role": "therapist"}).status_code == 403
    assert sql(app, "select count(*) from tokens") == [(0,)]
    turn_on(boss, ADMIN_PASSWORD)
    assert boss.get("/admin").status_code == 200


def test_a_patient_is_never_made_to_set_it_up(app):
    app.config["REQUIRE_2FA_FOR_STAFF"] = True
    client = person(app, "pat@example.com")
    assert client.get("/checkin").status_code == 200


def test_with_the_rule_off_staff_go_on_without_it(app, linked):
    app.config["REQUIRE_2FA_FOR_STAFF"] = False
    _, doc = linked
    assert doc.get("/caseload").status_code == 200


def test_the_admin_list_shows_two_factor_on_or_off(app):
    boss = make_admin(app)
    client = person(app, "pat@example.com")
    person(app, "sam@example.com")
    turn_on(client)
    page = boss.get("/admin").text
    pat_row = re.search(r"pat@example\.com</a>\s*<br>[^<]*", page).group(0)
    sam_row = re.search(r"sam@example\.com</a>\s*<br>[^<]*", page).group(0)
    assert "two-factor on" in pat_row and "two-factor off" in sam_row


def test_an_accounts_admin_page_shows_two_factor_on_or_off(app):
    # It always said "off": the page never looked.
    boss = make_admin(app)
    turn_on(person(app, "pat@example.com"))
    person(app, "sam@example.com")
    ids = dict(sql(app, "select email, id from users"))
    facts = {
        email: re.search(r"<dt>Two-factor</dt><dd>(\w+)</dd>", boss.get(f"/admin/users/{i}").text)[
            1
        ]
        for email, i in ids.items()
        if email != "boss@example.com"
    }
    assert facts == {"pat@example.com": "on", "sam@example.com": "off"}


# Reset links


def test_an_admins_reset_link_clears_two_factor(app, pat):
    boss = make_admin(app)
    pat_id = sql(app, "select id from users where email = 'pat@example.com'")[0][0]
    page = boss.post(f"/admin/users/{pat_id}/reset-link", data={"password": ADMIN_PASSWORD})
    path = re.search(r"/auth/reset/[A-Za-z0-9_-]{43}", page.text).group(0)
    assert sql(app, "select count(*) from two_factor") == [(1,)]  # not until the link is used
    stranger = app.test_client()
    assert stranger.post(path, data={"password": "a brand new passphrase"}).status_code == 302
    assert sql(app, "select count(*) from two_factor") == [(0,)]
    assert sql(app, "select count(*) from recovery_codes") == [(0,)]
    response = AuthActions(stranger).login(password="a brand new passphrase")
    assert response.location == "/checkin"
    # Said in Recent activity, where "Turned two-factor sign-in on" would read as still true.
    activity = re.sub(r"\s+", " ", stranger.get("/settings/activity").text)
    assert re.search(
        r"Password set from a reset link</strong>.*?Every device was signed out; two-factor "
        r"sign-in was turned off and every passkey removed",
        activity,
    )


def test_an_admins_reset_link_also_revokes_share_links_and_the_calendar_link(app):
    # Taking an account back: a share link or a calendar feed made by whoever had it read the
    # journal (for up to 90 days) after every sign-in had ended. A mailed link, the owner's
    # own, leaves them.
    client = person(app, "pat@example.com")
    checkin(client, TODAY.isoformat(), 6, reflection="WORDS-FOR-THE-LINK")
    _, token = share_link(client, "Made by someone else", "90")
    _, _, secret = make_link(client)
    visitor = app.test_client()
    assert visitor.get(f"/s/{token}").status_code == 200
    assert visitor.get(f"/calendar/{secret}.ics").status_code == 200
    pat_id = sql(app, "select id from users where email = 'pat@example.com'")[0][0]
    boss = make_admin(app)
    page = boss.post(f"/admin/users/{pat_id}/reset-link", data={"password": ADMIN_PASSWORD})
    path = re.search(r"/auth/reset/[A-Za-z0-9_-]{43}", page.text).group(0)
    shown = app.test_client().get(path).text
    assert "revokes its share links and turns its calendar link off" in shown
    assert app.test_client().post(path, data={"password": "a brand new passphrase"})
    assert "WORDS-FOR-THE-LINK" not in visitor.get(f"/s/{token}").text
    gone = visitor.get(f"/s/{token}")
    assert gone.status_code == 410
    # The person who shared it did not turn it off: the page says only what happened.
    assert "This link has been turned off" in gone.text
    assert "by the person who shared it" not in gone.text
    assert visitor.get(f"/calendar/{secret}.ics").status_code == 404
    owner = app.test_client()
    AuthActions(owner).login(password="a brand new passphrase")
    activity = re.sub(r"\s+", " ", owner.get("/settings/activity").text)
    assert "share links were revoked and the calendar link turned off" in activity


def test_the_command_lines_reset_link_clears_it_too(app, pat):
    result = app.test_cli_runner().invoke(args=["reset-link", "pat@example.com"])
    path = result.output.strip().splitlines()[-1]
    client = app.test_client()
    assert client.post(path, data={"password": "a brand new passphrase"}).status_code == 302
    assert sql(app, "select count(*) from two_factor") == [(0,)]


def test_a_reset_link_not_from_an_admin_keeps_two_factor(app, pat):
    """A link made for a "Forgot your password?" mail: owning the mailbox is not the phone."""
    from factories import reset_link

    path = reset_link(app, 1)
    client = app.test_client()
    assert client.post(path, data={"password": "a brand new passphrase"}).status_code == 302
    assert sql(app, "select count(*) from two_factor") == [(1,)]
    password_step(client, password="a brand new passphrase")


# CSRF


def test_every_new_post_keeps_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = register_with_csrf(app.test_client())
    secret = page_secret(client.get("/settings/2fa").text)
    code = code_at(secret, NOW)
    assert (
        client.post("/settings/2fa", data={"code": code, "password": PASSWORD}).status_code == 400
    )
    assert sql(app, "select count(*) from two_factor") == [(0,)]
    token = csrf_token(client.get("/settings/2fa"))
    response = client.post(
        "/settings/2fa", data={"code": code, "csrf_token": token, "password": PASSWORD}
    )
    assert response.status_code == 200
    clock.set(NOW + timedelta(seconds=30))
    code = code_at(secret, clock.timestamp())
    for path in ("/settings/2fa/off", "/settings/2fa/codes"):
        assert client.post(path, data={"code": code}).status_code == 400, path
    assert sql(app, "select count(*) from two_factor") == [(1,)]
    assert sql(app, "select count(*) from recovery_codes where used_at is null") == [(10,)]
    token = csrf_token(client.get("/settings/2fa"))
    client.post("/auth/logout", data={"csrf_token": token})
    login = client.get("/auth/login")
    response = client.post(
        "/auth/login",
        data={"email": "pat@example.com", "password": PASSWORD, "csrf_token": csrf_token(login)},
    )
    assert response.location == "/auth/2fa"
    assert client.post("/auth/2fa", data={"code": code}).status_code == 400
    assert signins_of(app, "pat@example.com") == 0
    token = csrf_token(client.get("/auth/2fa"))
    assert client.post("/auth/2fa", data={"code": code, "csrf_token": token}).status_code == 302


def test_turned_on_from_two_devices_at_once_one_key_is_kept_and_only_its_device_is_told(
    app, monkeypatch
):
    """Two devices, each showing its own key, confirmed their first codes at the same moment:
    both were told two-factor was on and shown recovery codes, but only the second's key and
    codes were kept; the first device's app entry and codes never worked (a locked-out
    sign-in). Now the second waits its turn, finds it on and is sent to the page saying so."""
    import threading

    import journal.two_factor

    client = app.test_client()
    AuthActions(client).register()
    phone = app.test_client()
    assert AuthActions(phone).login().status_code == 302
    first_key = page_secret(client.get("/settings/2fa").text)
    other_key = page_secret(phone.get("/settings/2fa").text)
    assert first_key != other_key
    real = journal.two_factor.turn_on
    answers, started = [], []

    def the_other_device_confirms_meanwhile(*args):
        if not started:
            code = {"code": code_at(other_key, NOW), "password": PASSWORD}
            started.append(
                threading.Thread(
                    target=lambda: answers.append(phone.post("/settings/2fa", data=code))
                )
            )
            started[0].start()
            started[0].join(timeout=1)
        return real(*args)

    monkeypatch.setattr(journal.two_factor, "turn_on", the_other_device_confirms_meanwhile)
    first = client.post(
        "/settings/2fa", data={"code": code_at(first_key, NOW), "password": PASSWORD}
    )
    started[0].join()
    assert first.status_code == 200 and "Recovery codes" in first.text
    assert answers[0].status_code == 302 and answers[0].location == "/settings/2fa"
    # Its sign-in ended with it on (every other one does): the log-in page tells it.
    told = phone.get("/settings/2fa", follow_redirects=True)
    assert told.request.path == "/auth/login"
    assert "the key on the page you sent was not kept" in told.text
    # The first device's form sent again (a reload of the page with its codes) is not told so.
    again = client.post(
        "/settings/2fa", data={"code": code_at(first_key, NOW), "password": PASSWORD}
    )
    assert again.status_code == 302
    assert "was not kept" not in client.get("/settings/2fa").text
    with app.app_context():
        from journal.db import get_db

        assert get_db().execute("select secret from two_factor").fetchall() == [(first_key,)]


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/settings/2fa/off", "Two-factor sign-in is off."),
        ("/settings/2fa/codes", "Two-factor sign-in is off, so no recovery codes were made."),
    ],
)
def test_a_code_sent_once_two_factor_is_off_says_it_is_off(app, path, said):
    """ "Turn off" tapped twice on a slow phone: the second left before the first's answer
    came, with the cookie that never held the first's "Two-factor sign-in is off", and
    answered the set-up page without a word, the person unsure it had worked (so did new
    recovery codes asked for from a tab left open). The answer says it is off."""
    client = person(app, "pat@example.com")
    secret, _codes = turn_on(client)
    clock.set(NOW + timedelta(seconds=30))
    code = code_at(secret, clock.timestamp())
    before = client.get_cookie("session").value
    assert client.post("/settings/2fa/off", data={"code": code}).status_code == 302
    client.set_cookie("session", before)  # the first's answer never came back
    response = client.post(path, data={"code": code})
    assert response.status_code == 302
    page = client.get(response.location).text
    assert said in page and "Turn two-factor sign-in on" in page
    assert sql(app, "select count(*) from two_factor") == [(0,)]
