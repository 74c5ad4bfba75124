"""The journal's answer to a stored Save names its draft's token (journal/drafts.py).

static/drafts.js sends a random `draft` token with each Save of a form marked data-draft and
forgets that draft when the `draft_saved` cookie names it. These tests read what the journal
answers; tests/test_browser_sessions.py follows a person tapping Back before the next page's
script ran.
"""

from datetime import timedelta

import pytest
from factories import TODAY, session

from journal import drafts

YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
TOKEN = "0123456789abcdef0123456789abcdef"

SAVES = {
    "a new session": ("/sessions/new", {"started_at": f"{YESTERDAY}T09:00", "product": "ketamine",
                                        "route": "iv"}),
    "a check-in": ("/checkin", {"date": YESTERDAY, "mood": "6"}),
    "a check-up": ("/assessments/gad7", {"date": YESTERDAY, **{f"q{n}": "1" for n in range(1, 8)}}),
    "an edited session": ("/sessions/1/edit", {"started_at": f"{YESTERDAY}T08:00",
                                               "product": "ketamine", "route": "iv"}),
}  # fmt: skip


def saved_cookie(response):
    """The Set-Cookie header for drafts.COOKIE, or None."""
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{drafts.COOKIE}=")]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.mark.parametrize("kind", sorted(SAVES))
def test_a_stored_save_names_its_token_in_a_cookie_the_script_can_read(client, patient, kind):
    session(client, YESTERDAY)  # the session an edit changes
    url, form = SAVES[kind]
    response = client.post(url, data={**form, "draft": TOKEN})
    assert response.status_code in (302, 303), response.text
    cookie = saved_cookie(response)
    assert cookie is not None
    parts = cookie.split("; ")
    assert parts[0] == f"{drafts.COOKIE}={TOKEN}"
    assert "Path=/" in parts and "SameSite=Strict" in parts and "Max-Age=86400" in parts
    assert "HttpOnly" not in parts  # static/drafts.js reads it


def test_a_refused_save_names_no_token(client, patient):
    response = client.post("/checkin", data={"date": YESTERDAY, "mood": "11", "draft": TOKEN})
    assert response.status_code == 400
    assert saved_cookie(response) is None


@pytest.mark.parametrize(
    "token", ["", "0123", TOKEN.upper(), TOKEN + "0", "<script>", "0123456789abcdef\u0660" * 2]
)
def test_only_a_token_as_the_script_makes_it_is_named(client, patient, token):
    response = client.post("/checkin", data={"date": YESTERDAY, "mood": "6", "draft": token})
    assert response.status_code == 302
    assert saved_cookie(response) is None


def test_a_save_sent_to_the_log_in_page_names_no_token(app, client, patient):
    """The sign-in had ended: the Save's answer is the log-in page, and nothing was stored."""
    client.post("/auth/logout")
    response = client.post("/checkin", data={"date": YESTERDAY, "mood": "6", "draft": TOKEN})
    assert response.status_code == 302 and "/auth/login" in response.location
    assert saved_cookie(response) is None


def test_a_save_sent_over_https_sends_its_cookie_only_over_https(app, client, patient):
    app.config["HTTPS"] = True
    response = client.post("/checkin", data={"date": YESTERDAY, "mood": "6", "draft": TOKEN})
    assert "Secure" in saved_cookie(response).split("; ")


def test_an_answer_that_stored_nothing_names_no_token_though_it_leaves_a_message(client, patient):
    """Deleting a session leaves a message for the next page, as a Save does, and is no Save
    (a message alone once said so, and a message left from an earlier request too)."""
    session(client, YESTERDAY)
    with client.session_transaction() as kept:
        kept["_flashes"] = [("message", "Left from an earlier request.")]
    response = client.post("/sessions/1/delete", data={"draft": TOKEN})
    assert response.status_code == 302
    assert saved_cookie(response) is None


@pytest.mark.parametrize("url", ["/checkin", "/auth/login"])
def test_every_page_says_how_long_the_script_keeps_a_draft(client, patient, url):
    """static/drafts.js has no lifetime of its own: it reads the journal's (the cookie's),
    on any page it may run on, signed in or not (a log-out forgets drafts on the next page)."""
    if url == "/auth/login":
        client.post("/auth/logout")
    page = client.get(url).text
    assert f'<body data-draft-seconds="{drafts.LASTS_SECONDS}">' in page
