"""With CSRF on, as in production: a POST without a valid token stores nothing, and a
form comes back with the person's words kept and a fresh token to send again."""

import re

import pytest
from conftest import PASSWORD, csrf_token

from journal.db import get_db

DAY = "2026-01-05"


def count(app, table):
    with app.app_context():
        return get_db()[table].count


FORMS = [
    ("/checkin", {"date": DAY, "mood": "5", "reflection": "words to keep 🌊"}, "checkins"),
    (
        "/sessions/new",
        {"started_at": f"{DAY}T10:00", "product": "ketamine", "route": "iv",
         "reflection": "words to keep 🌊"},
        "sessions",
    ),
    ("/assessments/phq9", {"date": DAY, **{f"q{n}": "1" for n in range(1, 10)}}, "assessments"),
    ("/settings/symptoms", {"name": "words to keep 🌊"}, "symptoms"),
    ("/share", {"label": "words to keep 🌊", "days": "7"}, "share_links"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "data", "table"), FORMS)
@pytest.mark.parametrize("token", [None, "wrong-token", ""])
def test_post_without_a_valid_token_stores_nothing_and_keeps_the_words(
    secure, url, data, table, token
):
    app, client = secure
    form = dict(data) if token is None else {**data, "csrf_token": token}
    response = client.post(url, data=form)
    assert response.status_code == 400
    assert count(app, table) == 0
    assert "This form has expired" in response.text
    if "🌊" in str(data):
        assert "words to keep 🌊" in response.text
    # The page carries a fresh token: sending it again works.
    fresh = csrf_token(response)
    assert client.post(url, data={**data, "csrf_token": fresh}).status_code in (201, 302)
    assert count(app, table) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/auth/logout",
        "/entries/2026-01-05/delete",
        "/settings/symptoms/1/retire",
        "/share/1/revoke",
        "/settings/therapist/unlink",
    ],
)
def test_action_buttons_need_the_token(secure, url):
    app, client = secure
    token = csrf_token(client.get("/checkin"))
    client.post("/checkin", data={"date": DAY, "mood": "5", "csrf_token": token})
    client.post("/settings/symptoms", data={"name": "Pain", "csrf_token": token})
    client.post("/share", data={"label": "x", "days": "7", "csrf_token": token})
    before = {t: count(app, t) for t in ("checkins", "symptoms", "share_links")}
    response = client.post(url, data={"csrf_token": "forged"})
    assert response.status_code in (400, 404)  # 404: nothing to unlink
    assert {t: count(app, t) for t in before} == before
    with app.app_context():
        assert get_db()["symptoms"].get(1)["retired_at"] is None
        assert get_db()["share_links"].get(1)["revoked_at"] is None
    assert client.get("/checkin").status_code == 200  # still signed in
    assert re.search(r"Log out", client.get("/checkin").text)


@pytest.mark.parametrize("token", [None, "an-older-token"])
@pytest.mark.parametrize(
    "url", ["/settings/devices/signout-others", "/settings/2fa", "/share/1/revoke"]
)
def test_a_refused_token_is_explained_in_plain_words(secure, url, token):
    # A tab opened before a newer sign-in (a password change, a log-in in another tab) holds
    # an older token. Its form answered "The CSRF tokens do not match. Nothing was saved.":
    # Flask-WTF's words, not the page's own, which say what to do.
    _, client = secure
    response = client.post(url, data={} if token is None else {"csrf_token": token})
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert "Go back, reload the page, and send it again." in response.text
    assert "CSRF" not in response.text


@pytest.mark.parametrize(("url", "data", "table"), FORMS)
@pytest.mark.parametrize(
    "referrer", [None, "https://evil.example/", "http://localhost/"], ids=["none", "other", "http"]
)
def test_over_https_every_form_needs_a_referer_of_this_site(app, url, data, table, referrer):
    # Flask-WTF's Referer check over HTTPS (WTF_CSRF_SSL_STRICT), also for the forms that
    # check their token themselves to keep the person's words: a valid token alone is not
    # enough from another origin. The same post from this site's own page is saved.
    app.config.update(WTF_CSRF_ENABLED=True, PREFERRED_URL_SCHEME="https")
    client = app.test_client()
    here = "https://localhost"
    page = client.get("/auth/register", base_url=here)
    form = {"email": "pat@example.com", "password": "correct horse battery", "timezone": "UTC",
            "csrf_token": csrf_token(page)}  # fmt: skip
    registered = client.post("/auth/register", data=form, base_url=here,
                             headers={"Referer": f"{here}/auth/register"})  # fmt: skip
    assert registered.status_code == 302
    token = csrf_token(client.get(url, base_url=here))
    headers = {"Referer": referrer} if referrer else {}
    refused = client.post(url, data={**data, "csrf_token": token}, base_url=here, headers=headers)
    assert refused.status_code == 400 and count(app, table) == 0
    saved = client.post(url, data={**data, "csrf_token": token}, base_url=here,
                        headers={"Referer": f"{here}{url}"})  # fmt: skip
    assert saved.status_code in (201, 302) and count(app, table) == 1


@pytest.mark.parametrize(
    ("headers", "logs_out"),
    [
        ({"Sec-Fetch-Site": "same-origin"}, True),
        ({"Origin": "http://localhost"}, True),  # a browser that sends no Sec-Fetch-Site
        ({"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),
        ({"Origin": "https://evil.example"}, False),
        ({"Origin": "null"}, False),
        ({}, False),
    ],
)
def test_log_out_from_a_page_older_than_the_sign_in_still_logs_out(secure, headers, logs_out):
    # A tab opened before a newer sign-in in another tab holds an older token: its Log out
    # was refused, and the person handed the phone on still signed in. From this site's own
    # page it logs out; from anywhere else it is refused, saying the person is still in.
    app, client = secure
    response = client.post("/auth/logout", data={"csrf_token": "an-older-token"}, headers=headers)
    if logs_out:
        assert response.status_code == 302 and response.location == "/auth/login"
        assert client.get("/checkin").status_code == 302
    else:
        assert response.status_code == 400
        # Another site's post is refused before the view ("This form has expired"); one the
        # browser does not place says so.
        said = "This form has expired" if headers else "You are still signed in"
        assert said in response.text
        assert client.get("/checkin").status_code == 200


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/auth/logout", {"Sec-Fetch-Site": "cross-site"}),
        ("/auth/logout", {"Origin": "https://evil.example"}),  # no Sec-Fetch-Site sent
        ("/auth/login", {"Sec-Fetch-Site": "cross-site"}),
        ("/auth/login", {"Origin": "https://evil.example"}),  # no Sec-Fetch-Site sent
        ("/auth/register", {"Sec-Fetch-Site": "same-site"}),
    ],
)
def test_another_sites_post_gets_no_new_session_cookie(secure, path, headers):
    # The browser keeps the session's cookie back from another site's post (SameSite=Lax):
    # an answer holding a form with a new token set a new session cookie, which replaced the
    # signed-in one. So another site's post to log out signed the person out while its page
    # said "You are still signed in" (and one to log in did the same).
    app, _ = secure
    without_cookies = app.test_client()
    form = {"email": "pat@example.com", "password": PASSWORD, "timezone": "UTC"}
    response = without_cookies.post(path, data=form, headers=headers)
    assert response.status_code == 400
    cookies = response.headers.getlist("Set-Cookie")
    assert not [c for c in cookies if c.startswith("session=")], cookies
