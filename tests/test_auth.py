import re
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from conftest import FAST_HASH, PASSWORD, ROOT, AuthActions, csrf_token, make_app, traced
from factories import signed_in
from wtforms import Form
from wtforms.widgets import Select

from journal import clock, timezones
from journal.auth import REGISTER_AGAIN_SECONDS, safe_next
from journal.fields import ZoneSelect, timezone_field


def error_messages(response):
    return re.findall(r'class="error[^"]*"[^>]*>([^<]+)<', response.text)


def test_register_page_and_timezone_choices(client):
    response = client.get("/auth/register")
    assert response.status_code == 200
    assert 'name="email"' in response.text
    assert '<option value="Pacific/Kiritimati">' in response.text
    assert "data-detect" in response.text


def test_the_register_page_says_who_sees_the_name(client):
    # "Name to show (optional)" alone did not say to whom: a newcomer could not tell that a
    # linked therapist, their reports and their share links show it.
    page = client.get("/auth/register").text
    hint = re.search(r'<p class="hint" id="display_name-hint">([^<]+)</p>', page)
    assert hint and "therapist" in hint[1] and "reports" in hint[1] and "share links" in hint[1]
    assert 'aria-describedby="display_name-hint"' in page


def test_a_register_form_sent_back_keeps_the_chosen_zone_over_the_browsers(client):
    # The script picks the browser's own zone wherever the select says data-detect: on the
    # form sent back with a mistake it replaced the zone the person had chosen, which was
    # then saved with the corrected form.
    data = {"email": "pat@example.com", "password": "short", "timezone": "Europe/Paris"}
    response = client.post("/auth/register", data=data)
    assert response.status_code == 400
    assert '<option selected value="Europe/Paris">' in response.text
    assert "data-detect" not in response.text


def test_a_new_password_box_cuts_nothing_short(client):
    # With maxlength=256 a longer paste was cut short without a word (the "again" box, which
    # has no length rule, was not), so the password kept was not the one typed; too long is
    # said at the field instead (test_register_bad_input).
    box = re.search(r'<input[^>]*name="password"[^>]*>', client.get("/auth/register").text)[0]
    assert "maxlength" not in box and 'autocomplete="new-password"' in box


ZONES_CHOSEN = ["Europe/Berlin", "UTC", "Africa/Abidjan", "Pacific/Kiritimati", "No/Such_Zone", ""]
# Sent back by hand: quotes and brackets, a real zone with more after it, the start of one.
ZONES_HOSTILE = ['"><script>alert(1)</script>', 'Europe/Berlin">', "Europe/Ber", "UTC\x00", "utc"]


@pytest.mark.parametrize("data", [*ZONES_CHOSEN, *ZONES_HOSTILE, None])
@pytest.mark.parametrize("detect", [False, True])
@pytest.mark.parametrize("required", [False, True])
def test_the_zone_select_writes_what_wtforms_own_select_writes(data, detect, required):
    class ZoneForm(Form):
        timezone = timezone_field(detect=detect)

    field = ZoneForm(data={"timezone": data}).timezone
    field.flags.required = required
    assert isinstance(field.widget, ZoneSelect)
    attributes = {"aria-describedby": "timezone-hint", **(field.render_kw or {})}
    ours = field(**attributes)
    assert ours == Select()(field, **attributes)
    assert ours.count("<option") == len(timezones.choices())
    assert ours.count("<option selected") == (data in timezones.choices())
    assert ('data-detect=""' in ours) is detect
    assert (" required" in ours) is required


@pytest.mark.subprocess
def test_importing_the_forms_reads_no_time_zone_list():
    """The zone list (a walk of the tz database) is read when a form first needs it. Counted
    before anything of journal is imported, so journal.timezones takes the counting one."""
    script = """
import zoneinfo
calls = []
real = zoneinfo.available_timezones
zoneinfo.available_timezones = lambda: calls.append(1) or real()
import journal.auth, journal.settings, journal.timezones
print(len(calls), len(journal.timezones.choices()), len(calls))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    before, zones, after = map(int, result.stdout.split())
    assert (before, after) == (0, 1)
    assert zones > 400


def test_register_signs_in_and_stores_a_hash(app, client, auth):
    response = auth.register(display_name="Ana 🌿", timezone="Europe/Lisbon")
    assert response.status_code == 302
    assert response.location == "/checkin"
    assert client.get("/checkin").status_code == 200
    with app.app_context():
        from journal.db import get_db

        row = get_db()["users"].get(1)
    assert row["email"] == "pat@example.com"
    assert row["display_name"] == "Ana 🌿"
    assert row["timezone"] == "Europe/Lisbon"
    assert row["role"] == "patient"
    assert PASSWORD not in row["password_hash"]
    assert row["password_hash"].startswith("pbkdf2:")


def test_register_as_therapist(app, auth):
    assert auth.register(role="therapist").status_code == 302
    with app.app_context():
        from journal.db import get_db

        assert get_db()["users"].get(1)["role"] == "therapist"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": ""}, "email", "Enter your email address."),
        ({"email": "not-an-email"}, "email", "Enter an email address like name@example.com."),
        ({"email": "a@" + "x" * 260 + ".com"}, "email", "Email addresses are at most 254"),
        ({"password": "short"}, "password", "Use 10 to 256 characters."),
        ({"password": ""}, "password", "Enter a password."),
        ({"password": "p" * 257}, "password", "Use 10 to 256 characters."),
        ({"password": " " * 12}, "password", "spaces and hidden characters are hard to type"),
        ({"password": "\u200d" * 12}, "password", "spaces and hidden characters are hard"),
        ({"password": "abc" + "\u200b" * 9}, "password", "spaces and hidden characters are hard"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone from the list."),
        ({"display_name": "n" * 81}, "display_name", "Keep it to 80 characters."),
        ({"display_name": "bad\x00name"}, "display_name", "invisible control characters"),
        ({"display_name": "bad\x9bname"}, "display_name", "invisible control characters"),
        ({"display_name": "Sam Z" + "\u0301" * 30}, "display_name", "accents or marks, which draw"),
    ],
)
def test_register_bad_input(app, client, data, field, message):
    form = {"email": "pat@example.com", "password": PASSWORD, "timezone": "UTC", **data}
    response = client.post("/auth/register", data=form)
    assert response.status_code == 400
    assert any(message in m for m in error_messages(response)), error_messages(response)
    assert f'id="{field}-error"' in response.text
    # The person's input is kept (except passwords, which browsers should not refill).
    if field == "email" and form["email"]:
        assert f'value="{form["email"]}"' in response.text
    with app.app_context():
        from journal.db import get_db

        assert get_db()["users"].count == 0


def test_register_duplicate_email_any_case(app, client, auth):
    auth.register()
    auth.logout()
    response = auth.register(email="PAT@Example.com")
    assert response.status_code == 400
    assert "An account with this email already exists" in response.text
    assert 'value="PAT@Example.com"' in response.text
    with app.app_context():
        from journal.db import get_db

        assert get_db()["users"].count == 1


def test_register_sent_twice_signs_the_second_in_to_the_account_the_first_made(app, client):
    """A double tap on a slow connection: the first sending made the account, and the second,
    whose answer replaced the first's, said "An account with this email already exists. Log
    in instead?", its sign-in lost. The same form, sent again, is signed in as the first."""
    page = client.get("/auth/register").text
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page)[1]
    form = {"email": "pat@example.com", "password": PASSWORD, "timezone": "UTC"}
    assert client.post("/auth/register", data={**form, "request_key": key}).status_code == 302
    client.delete_cookie("session")  # the second was sent before the first's answer came
    assert not signed_in(client)
    again = client.post("/auth/register", data={**form, "request_key": key})
    assert again.status_code == 302 and again.location == "/checkin"
    assert "Your first check-in takes half a minute." in client.get("/checkin").text
    # Nothing said to anyone else: another form, or a wrong password, is told the email is
    # taken, as before; and so is the same form once REGISTER_AGAIN_SECONDS have passed.
    for sent in ({**form, "request_key": "another-key"}, {**form, "password": "x" + PASSWORD}):
        other = app.test_client().post("/auth/register", data={"request_key": key, **sent})
        assert other.status_code == 400 and "already exists" in other.text
    later = clock.now() + timedelta(seconds=REGISTER_AGAIN_SECONDS + 1)
    clock.set(later)
    late = app.test_client().post("/auth/register", data={**form, "request_key": key})
    assert late.status_code == 400 and "already exists" in late.text
    with app.app_context():
        from journal.db import get_db

        assert get_db()["users"].count == 1
        assert key not in get_db()["users"].get(1)["register_key_hash"]


def test_login_and_logout(client, auth):
    auth.register()
    auth.logout()
    assert client.get("/checkin").status_code == 302
    response = auth.login()
    assert response.status_code == 302
    assert client.get("/checkin").status_code == 200
    response = auth.logout()
    assert response.location == "/auth/login"
    assert client.get("/checkin").location.startswith("/auth/login")


def test_logout_only_by_post(client, patient):
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/checkin").status_code == 200


def test_login_email_is_case_insensitive(client, auth):
    auth.register()
    auth.logout()
    assert auth.login(email="  Pat@EXAMPLE.com ").status_code == 302


@pytest.mark.parametrize(
    ("registered", "logs_in", "again"),
    [("Émile@example.com", "Émile@example.com", "émile@EXAMPLE.com"),
     ("ΣOFIA@example.com", "σofia@example.com", "Σofia@example.com"),
     ("zoë@example.com", "ZOË@Example.com", "Zoë@example.com"),
     # The same letters composed (NFC: "é") and decomposed (NFD: "e" and an accent): one address.
     ("émile@example.com", "e\u0301mile@example.com", "E\u0301MILE@example.com"),
     ("e\u0301mile@example.com", "émile@example.com", "Émile@example.com")],
)  # fmt: skip
def test_an_address_with_a_capital_beyond_a_to_z_logs_in_and_is_taken_in_any_case(
    app, client, auth, registered, logs_in, again
):
    # SQLite's NOCASE folds A-Z only: "Émile@..." stored as typed was never found again by
    # the log-in (which asks in lower case), and "émile@..." could register a second time.
    assert auth.register(email=registered).status_code == 302
    auth.logout()
    assert auth.login(email=registered).status_code == 302
    auth.logout()
    assert auth.login(email=logs_in).status_code == 302
    auth.logout()
    response = auth.register(email=again)
    assert response.status_code == 400
    assert "An account with this email already exists" in response.text
    with app.app_context():
        from journal.db import get_db

        assert get_db()["users"].count == 1


@pytest.mark.parametrize(
    ("email", "password"),
    [("pat@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)],
)
def test_login_failure_says_the_same_for_both(client, auth, email, password):
    auth.register()
    auth.logout()
    response = auth.login(email=email, password=password)
    assert response.status_code == 400
    assert "That email and password don&#39;t match an account." in response.text
    assert f'value="{email}"' in response.text


@pytest.mark.parametrize("method", [FAST_HASH, "pbkdf2:sha256:2000", "scrypt"])
def test_an_unknown_address_is_checked_by_the_method_real_passwords_are(app, method):
    """The hash an unknown address's password is checked against is made as a real one is:
    it was always scrypt, so under another configured method the answer took another time."""
    from werkzeug.security import check_password_hash

    from journal.passwords import dummy_hash, hash_password

    app.config["PASSWORD_HASH_METHOD"] = method
    with app.app_context():
        dummy, real = dummy_hash(), hash_password("a real password")
    assert dummy.split("$")[0] == real.split("$")[0]  # method and its cost, as werkzeug wrote
    assert dummy.startswith(method)
    assert check_password_hash(dummy, "not a real password")


def test_login_missing_fields(client):
    response = client.post("/auth/login", data={})
    assert response.status_code == 400
    assert "Enter your email address." in response.text
    assert "Enter your password." in response.text


def test_needs_login_redirects_with_next(client):
    response = client.get("/entries?page=2")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/entries?page%3D2"


def test_login_follows_safe_next(auth):
    response = auth.login_again("/entries")
    assert response.location == "/entries"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/entries", "/entries"),
        ("/entries/2026-01-02?x=1", "/entries/2026-01-02?x=1"),
        ("https://evil.example/", "/checkin"),
        ("//evil.example/", "/checkin"),
        ("/\\evil.example", "/checkin"),
        ("\\\\evil.example", "/checkin"),
        ("javascript:alert(1)", "/checkin"),
        ("http:/evil.example", "/checkin"),
        ("entries", "/checkin"),
        ("", "/checkin"),
        (None, "/checkin"),
    ],
)
def test_safe_next(app, target, expected):
    with app.test_request_context():
        assert safe_next(target) == expected


def test_login_ignores_offsite_next(auth):
    response = auth.login_again("https://evil.example/")
    assert response.location == "/checkin"


def test_remember_me_sets_a_persistent_cookie(client, auth):
    auth.register()
    auth.logout()
    response = auth.login(remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
    assert "Expires=" in remember[0]


@pytest.mark.parametrize("answer", ["no", "off", "0", "n", ""])
def test_remember_me_sent_as_no_sets_no_persistent_cookie(client, auth, answer):
    # Read by WTForms' BooleanField, "no" kept the person signed in for 30 days.
    auth.register()
    auth.logout()
    response = auth.login(remember=answer)
    assert response.status_code == 302
    assert not [c for c in response.headers.getlist("Set-Cookie") if "remember_token=" in c]


def test_remember_me_sent_as_neither_yes_nor_no_is_refused_at_the_box(client, auth):
    auth.register()
    auth.logout()
    response = auth.login(remember="forever")
    assert response.status_code == 400
    assert re.search(r'id="remember-error">Send “yes” to tick this box, or “no”\.<', response.text)
    assert not [c for c in response.headers.getlist("Set-Cookie") if "remember_token=" in c]
    assert client.get("/checkin").status_code == 302  # not signed in


def session_cookie(response):
    cookies = response.headers.getlist("Set-Cookie")
    return next(c for c in cookies if c.startswith(("session=", "__Host-session=")))


def test_session_cookie_flags(auth):
    cookie = session_cookie(auth.register())
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_when_https(tmp_path):
    from conftest import AuthActions

    app = make_app(tmp_path, HTTPS=True)
    cookie = session_cookie(AuthActions(app.test_client()).register())
    assert "Secure" in cookie


def test_over_https_the_sign_in_cookies_are_this_hosts_alone(tmp_path):
    # Plain "session" and "remember_token" cookies could be set for the whole domain by a
    # sibling subdomain, signing a visitor in as someone else; "__Host-" ones only by this
    # host, Secure, for Path=/ and without a Domain (the browser refuses any other).
    from conftest import AuthActions

    app = make_app(tmp_path, HTTPS=True)
    client = app.test_client()
    auth = AuthActions(client)
    auth.register()
    auth.logout()
    cookies = auth.login(remember="y").headers.getlist("Set-Cookie")
    for name in ("__Host-session=", "__Host-remember_token="):
        (cookie,) = [c for c in cookies if c.startswith(name)]
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie, cookie
    assert client.get("/checkin").status_code == 200  # the cookies sign the person in


# Throttling: the counters are rows in SQLite, so every gunicorn worker sees them.


def fail(auth, email="pat@example.com", times=1, address="10.0.0.1"):
    responses = []
    for _ in range(times):
        responses.append(
            auth._client.post(
                "/auth/login",
                data={"email": email, "password": "wrong password"},
                environ_base={"REMOTE_ADDR": address},
            )
        )
    return responses


def test_account_locked_after_five_failures(client, auth):
    auth.register()
    auth.logout()
    assert [r.status_code for r in fail(auth, times=5)] == [400] * 5
    locked = auth.login()  # even the right password waits out the window
    assert locked.status_code == 429
    assert "Too many attempts to log in" in locked.text
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert client.get("/checkin").status_code == 302


def test_a_lock_shows_once_in_recent_activity(app, client, auth):
    """Wrong passwords that made the account wait were nowhere for its owner to see: someone
    guessing at it left no trace. The lock is one calm line in Recent activity (not one per
    wrong try, nor for a try refused while it waits); a typo or two is none. Locks again
    before the owner signs in add nothing (anyone may lock any address, every window, and
    each line is kept); one after they have signed in is a new line."""
    window = timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"])
    line = "Logging in paused after several wrong passwords"

    def lines():
        return client.get("/settings/activity").text.count(line)

    auth.register()
    auth.logout()
    fail(auth, times=app.config["LOGIN_MAX_FAILURES"] - 1)
    clock.set(clock.now() + timedelta(minutes=1))
    fail(auth, times=3)  # the last try that counts, then two refused while it waits
    for _ in range(3):  # locked again and again while the owner is away
        clock.set(clock.now() + window)
        fail(auth, times=app.config["LOGIN_MAX_FAILURES"])
    clock.set(clock.now() + window)
    assert auth.login().status_code == 302
    assert lines() == 1
    page = client.get("/settings/activity").text
    assert "If it was not you" in page
    # The owner's own typo later, under the limit, adds no line; a lock after their sign-in does.
    auth.logout()
    fail(auth, times=2)
    assert auth.login().status_code == 302
    assert lines() == 1
    auth.logout()
    fail(auth, times=app.config["LOGIN_MAX_FAILURES"])
    clock.set(clock.now() + window)
    assert auth.login().status_code == 302
    assert lines() == 2


def test_wrong_passwords_asked_again_in_settings_note_the_lock_too(app, client, auth):
    """A session left open, its password guessed where Settings asks for it again (deleting
    the account): the same lock, the same one line."""
    auth.register()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        refused = client.post("/settings/delete", data={"password": "wrong password"})
        assert refused.status_code == 400
    page = client.get("/settings/activity").text
    assert page.count("Logging in paused after several wrong passwords") == 1


def test_lock_is_per_account_not_per_clinic(client, auth):
    auth.register()
    auth.logout()
    auth.register(email="other@example.com")
    auth.logout()
    fail(auth, times=5)
    # Someone else in the same waiting room (same address) can still log in.
    response = client.post(
        "/auth/login",
        data={"email": "other@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert response.status_code == 302


def test_address_limit_is_looser(tmp_path):
    app = make_app(tmp_path, LOGIN_ADDRESS_MAX_FAILURES=8)
    from conftest import AuthActions

    auth = AuthActions(app.test_client())
    for n in range(8):  # eight different people, one typo each: all answered normally
        assert fail(auth, email=f"p{n}@example.com")[0].status_code == 400
    assert fail(auth, email="p9@example.com")[0].status_code == 429
    assert fail(auth, email="p9@example.com", address="10.0.0.2")[0].status_code == 400


def test_the_address_limit_counts_an_ipv6_network_as_one_address(tmp_path):
    # A home or a phone has a whole IPv6 /64 and may use any address in it: counted one by
    # one, each guess could come from a fresh address. Another /64 is someone else.
    app = make_app(tmp_path, LOGIN_ADDRESS_MAX_FAILURES=8)
    from conftest import AuthActions

    auth = AuthActions(app.test_client())
    for n in range(8):
        (response,) = fail(auth, email=f"p{n}@example.com", address=f"2001:db8:1:2::{n + 1:x}")
        assert response.status_code == 400
    (refused,) = fail(auth, email="p9@example.com", address="2001:db8:1:2:ffff::9")
    assert refused.status_code == 429
    assert fail(auth, email="p9@example.com", address="2001:db8:1:3::1")[0].status_code == 400
    assert fail(auth, email="p9@example.com", address="10.0.0.2")[0].status_code == 400


@pytest.mark.parametrize(
    ("address", "key"),
    [("10.0.0.7", "10.0.0.7"), ("::ffff:10.0.0.7", "10.0.0.7"),
     ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"), ("2001:DB8:1:2::9", "2001:db8:1:2::/64"),
     ("unknown", "unknown"), ("", ""), ("10.0.0.300", "10.0.0.300")],
)  # fmt: skip
def test_what_the_address_limit_counts_an_address_under(address, key):
    from journal.passwords import address_key

    assert address_key(address) == key


def test_lock_ends_when_the_window_passes(app, client, auth):
    auth.register()
    auth.logout()
    fail(auth, times=5)
    assert auth.login().status_code == 429
    with app.app_context():
        from journal.db import get_db

        # Age the failures past the 15-minute window, as time would.
        get_db().execute("update login_failures set at = at - 15 * 60 - 1")
    assert auth.login().status_code == 302


def test_success_clears_failures(app, client, auth):
    auth.register()
    auth.logout()
    fail(auth, times=4)
    assert auth.login().status_code == 302
    auth.logout()
    assert [r.status_code for r in fail(auth, times=4)] == [400] * 4
    assert auth.login().status_code == 302


def test_counters_shared_across_app_instances(tmp_path):
    """Two apps on one database file stand for two gunicorn workers."""
    from conftest import AuthActions

    one, two = make_app(tmp_path), make_app(tmp_path)
    AuthActions(one.test_client()).register()
    fail(AuthActions(one.test_client()), times=3)
    fail(AuthActions(two.test_client()), times=2)
    assert AuthActions(one.test_client()).login().status_code == 429


def test_csrf_enforced_when_enabled(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    data = {"email": "pat@example.com", "password": PASSWORD, "timezone": "UTC"}
    response = client.post("/auth/register", data=data)
    assert response.status_code == 400
    assert "This form has expired" in response.text
    with app.app_context():
        from journal.db import get_db

        assert get_db()["users"].count == 0
    token = csrf_token(client.get("/auth/register"))
    response = client.post("/auth/register", data={**data, "csrf_token": token})
    assert response.status_code == 302
    # The check-in form carries a token too, and refuses a post without one.
    assert client.post("/checkin", data={"mood": "5", "date": "2026-01-01"}).status_code == 400
    token = csrf_token(client.get("/checkin"))
    response = client.post(
        "/checkin", data={"mood": "5", "date": "2026-01-01", "csrf_token": token}
    )
    assert response.status_code == 302
    # Logging out needs the token as well.
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/checkin").status_code == 200


# Sign-ins live on the server (issue 8): every copy of a sign-in's cookies dies with it.


def cookies_of(client):
    """The session and remember-me cookies a browser holds, to replay from another one."""
    return {
        name: cookie.value
        for name in ("session", "remember_token")
        if (cookie := client.get_cookie(name)) is not None
    }


def browser_with(app, cookies):
    """A new browser that sends `cookies` (copied from another)."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def user_ids(app):
    with app.app_context():
        from journal.db import get_db

        return [row["id"] for row in get_db()["users"].rows]


@pytest.mark.parametrize("remember", ["", "y"])
def test_logging_out_kills_every_copy_of_the_cookies(app, client, auth, remember):
    auth.register()
    auth.logout()
    auth.login(remember=remember)
    copied = cookies_of(client)
    assert signed_in(browser_with(app, copied))
    auth.logout()
    assert not signed_in(browser_with(app, copied))
    # Each cookie alone is dead too (the remember-me one would sign a browser back in).
    for name, value in copied.items():
        assert not signed_in(browser_with(app, {name: value})), name


def test_a_deleted_accounts_cookies_never_open_the_next_persons_journal(app, client, auth):
    # Someone stays, so the old rule (largest id in use plus one) would give the leaver's id again.
    auth.register(email="first@example.com")
    leaver = app.test_client()
    AuthActions(leaver).register(email="leaver@example.com")
    AuthActions(leaver).logout()
    AuthActions(leaver).login(email="leaver@example.com", remember="y")
    copied = cookies_of(leaver)
    leaver_id = max(user_ids(app))
    assert leaver.post("/settings/delete", data={"password": PASSWORD}).status_code == 200

    newcomer = app.test_client()
    AuthActions(newcomer).register(email="newcomer@example.com", display_name="Newcomer")
    saved = newcomer.post(
        "/checkin", data={"mood": "6", "reflection": "words only the newcomer wrote"}
    )
    assert saved.status_code == 302  # stored: the words below are there to be leaked
    assert "words only the newcomer wrote" in newcomer.get(saved.location).text
    assert max(user_ids(app)) > leaver_id  # ids are never given twice
    for cookies in (
        copied,
        {"session": copied["session"]},
        {"remember_token": copied["remember_token"]},
    ):
        old = browser_with(app, cookies)
        response = old.get("/entries")
        assert response.status_code == 302
        assert (
            "words only the newcomer wrote" not in old.get("/entries", follow_redirects=True).text
        )


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/sessions/new", {"started_at": "2026-01-02T10:00", "product": "ketamine", "route": "iv"}),
        ("/share", {"label": "Dr. R", "days": "7"}),
        ("/settings/symptoms", {"name": "Pain"}),
    ],
)
def test_ids_in_urls_are_never_given_twice(app, client, patient, path, data):
    table = {"/sessions/new": "sessions", "/share": "share_links", "/settings/symptoms": "symptoms"}
    from journal.db import get_db

    assert client.post(path, data=data).status_code in (201, 302)
    with app.app_context():
        db = get_db()
        first = max(row["id"] for row in db[table[path]].rows)
        db.execute(f"delete from {table[path]} where id = ?", [first])  # noqa: S608
        db.conn.commit()
    assert client.post(path, data=data).status_code in (201, 302)
    with app.app_context():
        assert max(row["id"] for row in get_db()[table[path]].rows) > first


def test_changing_the_password_kills_the_other_sign_ins_and_keeps_this_one(app, client, auth):
    auth.register()
    other = app.test_client()
    AuthActions(other).login(remember="y")
    copied_here, copied_there = cookies_of(client), cookies_of(other)
    new = "a new and longer passphrase"
    response = client.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm": new},
    )
    assert response.status_code == 302
    assert signed_in(client)
    # This browser carries on under a new sign-in: a copy of its old cookies is dead.
    assert not signed_in(browser_with(app, copied_here))
    assert not signed_in(other)
    assert not signed_in(browser_with(app, copied_there))
    assert not signed_in(browser_with(app, {"remember_token": copied_there["remember_token"]}))


@pytest.mark.parametrize("how", ["register", "login"])
def test_idle_timeout_holds_for_the_cookie_the_sign_in_answer_itself_set(app, client, auth, how):
    if how == "login":
        auth.register()
        auth.logout()
        response = auth.login()
    else:
        response = auth.register()
    assert response.status_code == 302
    # The cookie exactly as the sign-in answer set it, before any other request.
    copied = cookies_of(client)
    with app.app_context():
        from journal.db import get_db

        get_db().execute("update signins set seen_at = seen_at - ?", [31 * 60])
        get_db().conn.commit()
    assert not signed_in(browser_with(app, copied))
    assert not signed_in(client)


def test_the_csrf_token_changes_when_a_person_signs_in(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    data = {"email": "pat@example.com", "password": PASSWORD, "timezone": "UTC"}
    before = csrf_token(client.get("/auth/register"))
    assert client.post("/auth/register", data={**data, "csrf_token": before}).status_code == 302
    # The token fetched before signing in is refused now; a fresh one works.
    day = {"mood": "5", "date": "2026-01-01"}
    refused = client.post("/checkin", data={**day, "csrf_token": before})
    assert refused.status_code == 400
    assert "This form has expired" in refused.text
    after = csrf_token(client.get("/checkin"))
    assert after != before
    assert client.post("/checkin", data={**day, "csrf_token": after}).status_code == 302
    # And again across a log-out and a log-in.
    client.post("/auth/logout", data={"csrf_token": after})
    login_token = csrf_token(client.get("/auth/login"))
    response = client.post(
        "/auth/login",
        data={"email": "pat@example.com", "password": PASSWORD, "csrf_token": login_token},
    )
    assert response.status_code == 302
    assert client.post("/auth/logout", data={"csrf_token": login_token}).status_code == 400


def test_a_sign_in_ends_when_its_time_is_up_even_when_remembered(app, client, auth):
    auth.register()
    auth.logout()
    auth.login(remember="y")
    with app.app_context():
        from journal.db import get_db

        get_db().execute("update signins set expires_at = expires_at - ?", [31 * 86400])
        get_db().conn.commit()
    assert not signed_in(client)


@pytest.mark.parametrize(
    "path",
    [
        "/checkin",
        "/entries",
        "/sessions",
        "/sessions/new",
        "/progress",
        "/progress/summary.json",
        "/charts/mood-timeline.svg",
        "/assessments",
        "/assessments/phq9",
        "/import",
        "/share",
        "/settings/symptoms",
        "/export/report",
    ],
)
def test_a_therapist_opening_a_patient_page_is_sent_to_the_caseload(client, auth, path):
    auth.register(email="doc@example.com", role="therapist")
    response = client.get(path)
    assert response.status_code == 302
    assert response.location == "/caseload"
    assert client.post("/checkin", data={"mood": "5"}).location == "/caseload"


@pytest.mark.parametrize(
    ("display_name", "shown"), [("", "Signed in."), ("Robin", "Signed in as Robin.")]
)
def test_the_footer_never_shows_the_email_address(client, auth, display_name, shown):
    auth.register(email="private.person@example.com", display_name=display_name)
    page = client.get("/entries").text
    assert shown in page
    assert "private.person@example.com" not in page


# Issue 8: a display name cannot hide direction controls or invisible characters


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Ann\u202eeeL", "change the direction of text"),
        ("\u202dDr Rivera", "change the direction of text"),
        ("\u2066Dr Rivera\u2069", "change the direction of text"),
        ("Dr\u202a Rivera\u202c", "change the direction of text"),
        ("\u200b", "only invisible characters"),
        ("\u200b\u2060\ufeff\u00ad", "only invisible characters"),
        ("\u3164", "only invisible characters"),
    ],
)
def test_register_refuses_a_spoofing_display_name(app, client, typed, message):
    form = {"email": "pat@example.com", "password": PASSWORD, "timezone": "UTC"}
    response = client.post("/auth/register", data={**form, "display_name": typed})
    assert response.status_code == 400
    assert any(message in m for m in error_messages(response)), error_messages(response)
    assert 'id="display_name-error"' in response.text
    assert 'value="pat@example.com"' in response.text
    with app.app_context():
        from journal.db import get_db

        assert get_db()["users"].count == 0


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ann\u200b Lee", "Ann Lee"),
        ("\ufeffAnn\u200e", "Ann"),
        ("An\u00adn  \t Lee", "Ann Lee"),
        ("Ana \U0001f33f", "Ana \U0001f33f"),
        ("Jo \U0001f469\u200d\u2695\ufe0f", "Jo \U0001f469\u200d\u2695\ufe0f"),
    ],
)
def test_register_stores_a_display_name_without_invisible_characters(app, auth, typed, stored):
    assert auth.register(display_name=typed).status_code == 302
    with app.app_context():
        from journal.db import get_db

        assert get_db()["users"].get(1)["display_name"] == stored


@pytest.mark.parametrize("remember", ["", "y"])
def test_a_password_change_kills_copies_of_this_browsers_own_cookies(app, client, auth, remember):
    """Someone who copied this browser's cookies is signed out by the password change too;
    the person changing it stays signed in, with "Keep me signed in" as they chose it."""
    auth.register()
    auth.logout()
    auth.login(remember=remember)
    copied = cookies_of(client)
    new = "a new and longer passphrase"
    response = client.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm": new},
    )
    assert response.status_code == 302
    assert not signed_in(browser_with(app, copied))
    for name, value in copied.items():
        assert not signed_in(browser_with(app, {name: value})), name
    assert signed_in(client)
    assert ("remember_token" in cookies_of(client)) == bool(remember)
    if remember:
        renewed = cookies_of(client)["remember_token"]
        assert signed_in(browser_with(app, {"remember_token": renewed}))
    with app.app_context():
        from journal.db import get_db

        assert get_db()["signins"].count == 1


def test_log_out_asks_the_browser_to_drop_its_copies_of_the_persons_pages(client, patient):
    """The HTTP and back/forward caches: neither Back nor the next person on this browser sees
    a page or chart of the signed-out person (tests/test_browser_signout.py in Chromium)."""
    client.get("/progress")
    assert "Clear-Site-Data" not in client.get("/checkin").headers
    response = client.post("/auth/logout")
    assert response.headers["Clear-Site-Data"] == '"cache"'


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (1, "You were signed out after 1 minute without activity"),
        (30, "You were signed out after 30 minutes without activity"),
    ],
)
def test_the_idle_sign_out_counts_its_minutes(tmp_path, minutes, message):
    app = make_app(tmp_path, IDLE_MINUTES=minutes)
    client = app.test_client()
    assert AuthActions(client).register().status_code == 302
    with app.app_context():
        from journal.db import get_db

        get_db().execute("update signins set seen_at = seen_at - ?", [minutes * 60 + 5])
        get_db().conn.commit()
    response = client.get("/checkin", follow_redirects=True)
    assert message in response.text


# Both cookies, as a browser keeps them (helper on the offline flows, issue 8).


def set_cookie(response, name):
    """The Set-Cookie header `response` sends for cookie `name`, or None."""
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert len(found) <= 1
    return found[0] if found else None


def remembered_sign_in(client):
    """Register, log out and log in again with "Keep me signed in": the log-in answer."""
    auth = AuthActions(client)
    auth.register()
    auth.logout()
    return auth.login(remember="y")


def test_both_cookies_are_http_only_lax_and_secure_when_journal_https_is_true(
    tmp_path, monkeypatch
):
    from journal import create_app

    for name, value in {
        "HTTPS": "true",
        "DATABASE": str(tmp_path / "journal.sqlite3"),
        "SECRET_KEY": "env",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "WTF_CSRF_ENABLED": "false",
    }.items():
        monkeypatch.setenv(f"JOURNAL_{name}", value)
    app = create_app()
    response = remembered_sign_in(app.test_client())
    # Named "__Host-session" and "__Host-remember_token" over HTTPS (the test below).
    for name in (app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]):
        cookie = set_cookie(response, name)
        for attribute in ("HttpOnly", "SameSite=Lax", "Secure", "Path=/"):
            assert attribute in cookie.split("; "), (name, attribute)


def test_the_remember_cookie_lasts_exactly_as_long_as_its_sign_in(app, client):
    from email.utils import parsedate_to_datetime

    from journal import clock
    from journal.db import get_db

    clock.reset()  # flask-login dates the cookie by the real clock, as the app's is in use
    cookie = set_cookie(remembered_sign_in(client), "remember_token")
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    with app.app_context():
        (end,) = get_db().execute("select expires_at from signins").fetchone()
    assert abs(expires.timestamp() - end) < 2


@pytest.mark.parametrize(
    ("ended", "sql"),
    [
        ("logged out or password changed elsewhere", "delete from signins"),
        ("its 30 days are up", "update signins set expires_at = 0"),
    ],
)
@pytest.mark.parametrize("with_session", [True, False], ids=["with session", "browser restarted"])
def test_a_remember_cookie_whose_sign_in_ended_is_cleared_on_the_next_request(
    app, client, ended, sql, with_session
):
    from journal.db import get_db

    remembered_sign_in(client)
    with app.app_context():
        get_db().execute(sql)
        get_db().conn.commit()
    if not with_session:
        client.delete_cookie("session")
    response = client.get("/entries")
    assert response.status_code == 302
    cleared = set_cookie(response, "remember_token")
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared, ended
    assert client.get_cookie("remember_token") is None
    # Nor does the session cookie keep naming the dead sign-in.
    kept = client.get_cookie("session")
    if kept is not None:
        with app.test_request_context():
            session = app.session_interface.get_signing_serializer(app).loads(kept.value)
        assert "_user_id" not in session


@pytest.mark.parametrize(
    ("path", "form", "said"),
    [
        (
            "/share",
            {"label": "For Dr Rivera", "days": "14"},
            "What you sent was not done: you had been signed out first. Log in, then send it "
            "again.",
        ),
        (  # a form whose page keeps its words on the device sends a draft token with them
            "/sessions/new",
            {"started_at": "2025-03-01T09:30", "draft": "0123456789abcdef" * 2},
            "What you sent was not saved yet: you had been signed out first. What you wrote is "
            "kept on this device, and is back in the form once you log in.",
        ),
    ],
)
def test_a_form_sent_after_the_sign_in_ended_is_told_not_saved_on_the_log_in_page(
    app, client, auth, path, form, said
):
    auth.register()
    with app.app_context():
        from journal.db import get_db

        get_db().execute("delete from signins")
        get_db().conn.commit()
    response = client.post(path, data=form)
    assert response.status_code == 302 and response.location.startswith("/auth/login?next=")
    assert said in client.get(response.location).text
    # A page merely opened (a link) is not a form sent: nothing to say it was not saved.
    response = client.get("/entries")
    assert "What you sent" not in client.get(response.location).text


def test_a_signed_in_page_reads_its_sign_in_once_and_writes_it_once_a_minute(app, client, auth):
    """flask-login's loader runs on every signed-in request: one query for the sign-in and its
    person, and the last request's time written only when a minute has passed."""
    from journal.db import get_db

    # Traced from the first thing each request does, before anything can load the person.
    with traced(app) as statements:
        auth.register()
        statements.clear()
        assert client.get("/entries").status_code == 200
        assert len([s for s in statements if "signins" in s]) == 1, statements
        assert not [s for s in statements if "users" in s and "signins" not in s], statements
        with app.app_context():
            get_db().execute("update signins set seen_at = seen_at - 61")
            get_db().conn.commit()
        statements.clear()
        assert client.get("/entries").status_code == 200
    assert [s.split()[0].lower() for s in statements if "signins" in s] == ["select", "update"]


def test_a_log_in_or_sign_up_sent_while_another_account_signed_in_does_nothing_and_says_so(
    app,
):
    """A shared phone: a tab left on the log-in (or sign-up) page while Pat signed in in
    another; Sam's log-in sent from it led into Pat's journal without a word, as if it were
    Sam's, and Sam's sign-up made no account and did the same."""
    from factories import person, sql

    sam = person(app, "sam@example.com")
    sam.post("/auth/logout")
    phone = person(app, "pat@example.com")  # Pat signs in on the phone
    before = sql(app, "select id, email from users")
    sent = (
        AuthActions(phone).login(email="sam@example.com"),
        AuthActions(phone).register(email="new@example.com"),
    )
    for response in sent:
        assert response.status_code == 400
        assert "Another account is signed in on this browser" in response.text
    assert 'value="new@example.com"' in sent[1].text  # the words typed are kept
    assert sql(app, "select id, email from users") == before
    # Pat's own address, or a page opened while signed in, still just goes on.
    assert AuthActions(phone).login(email="PAT@example.com").status_code == 302
    assert phone.get("/auth/login").status_code == 302
    assert phone.get("/auth/register").status_code == 302


# A log-in racing a password change or the account's deletion. The password check is slow on
# purpose (scrypt), so another request can change the account between the check and the
# sign-in; the real check runs, and the other request is made at that moment.


def log_in_while(app, monkeypatch, meanwhile):
    """Log in as pat@example.com from a new browser, running `meanwhile()` between the
    password check (the real one, which passes) and the sign-in; that browser's answer."""
    import journal.auth

    real = journal.auth.check_password_hash

    def check_then_change(stored, password):
        matched = real(stored, password)
        monkeypatch.setattr(journal.auth, "check_password_hash", real)  # once
        # Another request, so in a thread of its own (as another gunicorn thread would be).
        done = []
        other_request = threading.Thread(target=lambda: done.append(meanwhile() or True))
        other_request.start()
        other_request.join()
        assert done == [True]  # its assertions held
        return matched

    monkeypatch.setattr(journal.auth, "check_password_hash", check_then_change)
    other = app.test_client()
    return other, AuthActions(other).login()


def signins_of_pat(app):
    with app.app_context():
        from journal.db import get_db

        return get_db().execute("select count(*) from signins").fetchone()[0]


def test_a_log_in_checked_against_the_old_password_does_not_outlive_its_change(
    app, client, auth, monkeypatch
):
    auth.register()
    new = "a new and longer passphrase"

    def change():
        data = {"current_password": PASSWORD, "new_password": new, "confirm": new}
        assert client.post("/settings/password", data=data).status_code == 302

    other, response = log_in_while(app, monkeypatch, change)
    assert response.status_code == 400
    assert "That email and password don&#39;t match an account." in response.text
    assert not signed_in(other)
    assert signed_in(client) and signins_of_pat(app) == 1  # the owner's own, renewed


def test_a_log_in_racing_the_accounts_deletion_is_refused_not_a_500(app, client, auth, monkeypatch):
    auth.register()

    def delete():
        assert client.post("/settings/delete", data={"password": PASSWORD}).status_code == 200

    other, response = log_in_while(app, monkeypatch, delete)
    assert response.status_code == 400
    assert not signed_in(other) and signins_of_pat(app) == 0


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        # An address only a form posts to (a form sent after its sign-in ended): the page
        # the form was on, never the address itself, which answers a GET with 405.
        ("/settings/password", "/settings"),
        ("/share/7/revoke", "/share"),
        ("/settings/devices/signout-others", "/settings/devices"),
        ("/settings/symptoms/3/retire", "/settings/symptoms"),
        ("/import/2/confirm", "/import/2"),
        ("/auth/logout", "/"),
        # Pages are left as they are, and so is an address no page has.
        ("/settings/devices", "/settings/devices"),
        ("/sessions/3", "/sessions/3"),
        ("/nowhere/at/all", "/nowhere/at/all"),
    ],
)
def test_safe_next_never_leads_to_an_address_only_a_form_posts_to(app, target, expected):
    with app.test_request_context():
        assert safe_next(target) == expected
