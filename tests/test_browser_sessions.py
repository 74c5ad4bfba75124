"""Dosing sessions in a real browser: two tabs, a session deleted in another tab, a double tap.

Debian's Chromium through Playwright at 390 x 844 against the live gunicorn server from
conftest.py. What the server stored is read from its database file, read-only.
"""

import re

import pytest
from playwright.sync_api import expect
from test_browser import log_session, scale_radio, sign_up, tap_scale

pytestmark = pytest.mark.browser

FIRST_WORDS = "The light through the window"


def stored(live_server, email):
    """(id, mood_after, reflection) of each of `email`'s sessions, oldest first."""
    return live_server.query(
        "select sessions.id, mood_after, reflection from sessions"
        " join users on users.id = user_id where users.email = ? order by sessions.id",
        email,
    )


def reflection(page):
    return page.get_by_label("Reflection", exact=True)


def test_a_second_tab_never_overwrites_a_session_the_first_saved(page, live_server):
    """Tab one adds to the reflection and saves; tab two, opened before that, changes only the
    mood after and saves: tab one's words are kept, and tab two's mood once it saves again."""
    email = sign_up(page)
    log_session(page, mood_after=6, reflection=FIRST_WORDS)
    edit_url = page.url + "/edit"
    other = page.context.new_page()
    other.goto(edit_url)
    page.goto(edit_url)
    reflection(page).fill(f"{FIRST_WORDS}, and more from tab one")
    page.get_by_role("button", name="Save changes").tap()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    tap_scale(other, "Mood after the session", 3)
    other.get_by_role("button", name="Save changes").tap()
    expect(other.locator("#form-note")).to_contain_text("was saved elsewhere")
    ((session_id, mood_after, words),) = stored(live_server, email)
    assert (mood_after, words) == (6, f"{FIRST_WORDS}, and more from tab one")
    expect(reflection(other)).to_have_value(f"{FIRST_WORDS}, and more from tab one")
    expect(scale_radio(other, "Mood after the session", 3)).to_be_checked()
    other.get_by_role("button", name="Save changes").tap()
    expect(other).to_have_url(re.compile(rf"/sessions/{session_id}$"))
    assert stored(live_server, email) == [(session_id, 3, f"{FIRST_WORDS}, and more from tab one")]


def test_an_edit_saved_after_the_session_was_deleted_in_another_tab_keeps_the_words(
    page, live_server
):
    email = sign_up(page)
    log_session(page, reflection=FIRST_WORDS)
    session_url = page.url
    other = page.context.new_page()
    other.goto(session_url + "/edit")
    page.goto(session_url + "/delete")
    page.get_by_role("button", name=re.compile("^Delete")).tap()
    expect(page).to_have_url(re.compile(r"/sessions$"))
    reflection(other).fill("Words typed while it was being deleted")
    other.get_by_role("button", name="Save changes").tap()
    expect(other.locator("#form-note")).to_contain_text("was deleted after you opened this form")
    expect(reflection(other)).to_have_value("Words typed while it was being deleted")
    assert stored(live_server, email) == []
    other.get_by_role("button", name="Save session").tap()
    expect(other).to_have_url(re.compile(r"/sessions/\d+$"))
    ((_, _, words),) = stored(live_server, email)
    assert words == "Words typed while it was being deleted"


def test_a_double_tap_on_save_stores_one_session(page, live_server):
    """The same form sent twice at once (a double tap, a flaky network's retry): one session."""
    email = sign_up(page)
    page.goto("/sessions/new")
    page.get_by_text("Esketamine (Spravato)").tap()
    page.get_by_label("How it was given").select_option("intranasal")
    page.get_by_label("Total dose in mg").fill("56")
    statuses = page.evaluate(
        """async () => {
          const form = document.querySelector("form.session-form");
          const send = () => fetch(form.action, {method: "POST", body: new FormData(form)});
          return (await Promise.all([send(), send()])).map((r) => r.status);
        }"""
    )
    assert statuses == [200, 200]  # each followed to the session's page
    assert len(stored(live_server, email)) == 1
