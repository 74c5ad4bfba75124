import re

import pytest
from conftest import PASSWORD, csrf_token, make_app

from journal.auth import safe_next


def error_messages(response):
    return re.findall(r'class="error[^"]*"[^>]*>([^<]+)<', response.text)


def test_register_page_and_timezone_choices(client):
    response = client.get("/auth/register")
    assert response.status_code == 200
    assert 'name="email"' in response.text
    assert '<option value="Pacific/Kiritimati">' in response.text
    assert "data-detect" in response.text


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
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone from the list."),
        ({"display_name": "n" * 81}, "display_name", "Keep it to 80 characters."),
        ({"display_name": "bad\x00name"}, "display_name", "invisible control characters"),
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


def test_login_missing_fields(client):
    response = client.post("/auth/login", data={})
    assert response.status_code == 400
    assert "Enter your email address." in response.text
    assert "Enter your password." in response.text


def test_needs_login_redirects_with_next(client):
    response = client.get("/entries?page=2")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/entries?page%3D2"


def test_login_follows_safe_next(client, auth):
    auth.register()
    auth.logout()
    response = client.post(
        "/auth/login?next=/entries", data={"email": "pat@example.com", "password": PASSWORD}
    )
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


def test_login_ignores_offsite_next(client, auth):
    auth.register()
    auth.logout()
    response = client.post(
        "/auth/login?next=https://evil.example/",
        data={"email": "pat@example.com", "password": PASSWORD},
    )
    assert response.location == "/checkin"


def test_remember_me_sets_a_persistent_cookie(client, auth):
    auth.register()
    auth.logout()
    response = auth.login(remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
    assert "Expires=" in remember[0]


def session_cookie(response):
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_session_cookie_flags(auth):
    cookie = session_cookie(auth.register())
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_when_https(tmp_path):
    from conftest import AuthActions

    app = make_app(tmp_path, HTTPS=True)
    cookie = session_cookie(AuthActions(app.test_client()).register())
    assert "Secure" in cookie


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
