"""Signed-in devices (`/settings/devices`): the live sign-ins in words, and signing them out
for every copy of their cookies."""

import re
from datetime import timedelta

import pytest
from conftest import PASSWORD, AuthActions, csrf_token, register_with_csrf
from factories import deleted_first, signed_in, signed_out_as_deleted

from journal import clock
from journal.db import get_db
from journal.settings import devices
from journal.settings.devices import place_words

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"


def sign_in(app, user_agent, address, email="pat@example.com", register=False):
    """A client signed in as `email` from a browser saying `user_agent`, at `address`."""
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": address})
    actions = AuthActions(client)
    response = actions.register(email=email) if register else actions.login(email=email)
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def phone_and_laptop(app):
    """(phone, laptop): the same person signed in on two browsers."""
    phone = sign_in(app, CHROME_ANDROID, "203.0.113.77", register=True)
    laptop = sign_in(app, FIREFOX_WINDOWS, "198.51.100.9")
    return phone, laptop


def signin_ids(app, email="pat@example.com"):
    with app.app_context():
        return [
            r[0]
            for r in get_db().execute(
                "select s.id from signins s join users u on u.id = s.user_id "
                "where u.email = ? order by s.id",
                [email],
            )
        ]


def device_items(page):
    """(device words, whether it is "This device") for each listed sign-in, in order."""
    chunks = page.split('<ul class="rows devices">')[1].split("</ul>")[0].split("<li")[1:]
    return [
        (re.search(r"<strong>([^<]+)</strong>", c).group(1), "This device" in c) for c in chunks
    ]


# The list


def test_the_list_shows_each_live_signin_in_words(app, phone_and_laptop):
    phone, _laptop = phone_and_laptop
    page = phone.get("/settings/devices")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert device_items(page.text) == [("Chrome on Android", True), ("Firefox on Windows", False)]
    # Only the address's first part; the times in the person's zone (UTC, the clock at noon).
    assert "From an address starting 198.51.x.x" in page.text
    assert "From an address starting 203.0.x.x" in page.text
    assert "203.0.113" not in page.text and "198.51.100" not in page.text
    assert clock.now().strftime("%a %-d %b %Y, 12:00") in page.text
    assert CHROME_ANDROID not in page.text and "Gecko" not in page.text
    assert "Sign out everywhere else" in page.text


def test_the_list_is_in_the_persons_time_zone(app):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = CHROME_ANDROID
    AuthActions(client).register(timezone="Asia/Kolkata")
    page = client.get("/settings/devices").text
    assert clock.now().strftime("%a %-d %b %Y, 17:30") in page  # noon UTC is 17:30 there


def test_the_laptops_own_list_marks_the_laptop(app, phone_and_laptop):
    _phone, laptop = phone_and_laptop
    items = device_items(laptop.get("/settings/devices").text)
    assert ("Firefox on Windows", True) in items and ("Chrome on Android", False) in items
    assert items[0] == ("Firefox on Windows", True)


def test_ended_and_expired_signins_are_not_listed(app, phone_and_laptop):
    phone, laptop = phone_and_laptop
    with app.app_context():
        db = get_db()
        db.execute("update signins set expires_at = ? where device = 'Firefox on Windows'",
                   [clock.timestamp() - 1])  # fmt: skip
        db.conn.commit()
    assert device_items(phone.get("/settings/devices").text) == [("Chrome on Android", True)]
    assert not signed_in(laptop)  # dead for that cookie too
    assert "Only this device is signed in." in phone.get("/settings/devices").text


def test_an_idle_signin_is_not_listed(app, phone_and_laptop):
    phone, _laptop = phone_and_laptop
    idle = app.config["IDLE_MINUTES"]
    assert idle  # on by default
    clock.set(clock.now() + timedelta(minutes=idle - 1))
    phone.get("/settings")  # the phone keeps going; the laptop sits idle
    clock.set(clock.now() + timedelta(minutes=2))
    assert device_items(phone.get("/settings/devices").text) == [("Chrome on Android", True)]


def test_someone_elses_signins_never_show(app, phone_and_laptop):
    phone, _laptop = phone_and_laptop
    sign_in(app, "Mozilla/5.0 (X11; CrOS x86_64) Chrome/126.0", "192.0.2.1",
            email="sam@example.com", register=True)  # fmt: skip
    page = phone.get("/settings/devices").text
    assert "ChromeOS" not in page and "192.0" not in page


def test_settings_links_to_the_page(client, patient):
    assert 'href="/settings/devices"' in client.get("/settings").text


def test_the_page_needs_login(client):
    assert client.get("/settings/devices").location == "/auth/login?next=/settings/devices"


# Signing out


def test_signing_out_another_device_ends_every_copy_of_its_cookie(app, phone_and_laptop):
    phone, laptop = phone_and_laptop
    # A second browser holding a copy of the laptop's cookies.
    copy = app.test_client()
    for cookie in laptop._cookies.values():
        copy.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    assert signed_in(copy)
    phone_id, laptop_id = signin_ids(app)
    response = phone.post(f"/settings/devices/{laptop_id}/signout")
    assert response.status_code == 302 and response.location == "/settings/devices"
    assert "That device is signed out." in phone.get(response.location).text
    assert signin_ids(app) == [phone_id]
    assert not signed_in(laptop)
    assert not signed_in(copy)
    assert signed_in(phone)


def test_sign_out_everywhere_else(app, phone_and_laptop):
    phone, laptop = phone_and_laptop
    tablet = sign_in(app, CHROME_ANDROID, "203.0.113.8")
    laptop_id = signin_ids(app)[1]
    response = laptop.post("/settings/devices/signout-others")
    assert response.location == "/settings/devices"
    assert "Every other device is signed out." in laptop.get(response.location).text
    assert signin_ids(app) == [laptop_id]
    assert not signed_in(phone) and not signed_in(tablet)
    assert signed_in(laptop)
    again = laptop.post("/settings/devices/signout-others")
    assert "No other device was signed in." in laptop.get(again.location).text


@pytest.mark.parametrize("which", ["the phone", "every other"])
def test_signing_out_devices_as_the_account_is_deleted_elsewhere_signs_out(
    app, phone_and_laptop, monkeypatch, which
):
    """The account is deleted on the phone after the laptop's request read who sent it: the
    log-in page then said "No other device was signed in." (or the device list's 404 that
    the device was not signed in). Now the person is told the account was deleted."""
    phone, laptop = phone_and_laptop
    phone_id = signin_ids(app)[0]
    deleted_first(monkeypatch, devices, "write_transaction", phone)
    path = f"/settings/devices/{phone_id}/signout"
    path = path if which == "the phone" else "/settings/devices/signout-others"
    response = laptop.post(path)
    page = signed_out_as_deleted(laptop, response, path)
    assert "No other device" not in page


def test_signing_out_this_device_from_the_list_signs_it_out(app, phone_and_laptop):
    phone, laptop = phone_and_laptop
    phone_id, laptop_id = signin_ids(app)
    response = phone.post(f"/settings/devices/{phone_id}/signout")
    assert response.location == "/auth/login"
    assert signin_ids(app) == [laptop_id]
    assert not signed_in(phone) and signed_in(laptop)


def test_a_device_signed_out_already_says_so(app, phone_and_laptop):
    # The list opened before the laptop logged out: its Sign out answered "Not found. There
    # is nothing at this address.", and the person could not tell whether it was signed out.
    phone, laptop = phone_and_laptop
    phone_id, laptop_id = signin_ids(app)
    laptop.post("/auth/logout")
    response = phone.post(f"/settings/devices/{laptop_id}/signout")
    assert response.status_code == 404
    assert "That device is not signed in" in response.text
    assert 'href="/settings/devices"' in response.text
    assert "There is nothing at this address" not in response.text
    assert signin_ids(app) == [phone_id] and signed_in(phone)


def test_someone_elses_device_is_a_404_and_nothing_changes(app, phone_and_laptop):
    phone, _laptop = phone_and_laptop
    sam = sign_in(app, FIREFOX_WINDOWS, "192.0.2.1", email="sam@example.com", register=True)
    (sam_id,) = signin_ids(app, "sam@example.com")
    before = signin_ids(app)
    assert phone.post(f"/settings/devices/{sam_id}/signout").status_code == 404
    assert phone.post("/settings/devices/999999/signout").status_code == 404
    assert signin_ids(app) == before and signin_ids(app, "sam@example.com") == [sam_id]
    assert signed_in(sam)


@pytest.mark.parametrize(
    "path", ["/settings/devices/1/signout", "/settings/devices/signout-others"]
)
def test_signing_out_needs_login(client, path):
    response = client.post(path)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login")


def test_the_forms_carry_and_need_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = True
    laptop = register_with_csrf(app.test_client())
    phone = app.test_client()
    token = csrf_token(phone.get("/auth/login"))
    phone.post("/auth/login", data={"email": "pat@example.com", "password": PASSWORD,
                                    "csrf_token": token})  # fmt: skip
    laptop_id, phone_id = signin_ids(app)
    page = laptop.get("/settings/devices")
    for path in (f"/settings/devices/{phone_id}/signout", "/settings/devices/signout-others"):
        assert f'action="{path}"' in page.text
        assert laptop.post(path).status_code == 400  # no token
        assert signin_ids(app) == [laptop_id, phone_id]
    token = csrf_token(page)
    response = laptop.post(f"/settings/devices/{phone_id}/signout", data={"csrf_token": token})
    assert response.status_code == 302
    assert signin_ids(app) == [laptop_id]


@pytest.mark.parametrize(
    ("network", "words"),
    [
        ("203.0.113.", "203.0.x.x"),
        ("10.1.2.", "10.1.x.x"),
        ("2001:db8:85a3:", "2001:…"),
        ("fe80:0:0:", "fe80:…"),
        ("", ""),
    ],
)
def test_place_words(network, words):
    assert place_words(network) == words
