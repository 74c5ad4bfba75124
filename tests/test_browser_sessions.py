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


def fill_new_session(page, mood_after, words):
    """Fill the new-session form (left unsaved): esketamine, 56 mg, moods 4 and `mood_after`."""
    page.get_by_text("Esketamine (Spravato)").tap()
    page.get_by_label("How it was given").select_option("intranasal")
    page.get_by_label("Total dose in mg").fill("56")
    tap_scale(page, "Mood before the session", 4)
    tap_scale(page, "Mood after the session", mood_after)
    page.get_by_text("Reflection and prompts").tap()
    reflection(page).fill(words)


def test_words_left_in_one_tab_and_put_back_in_another_save_as_a_session_of_their_own(
    page, live_server
):
    """A new session written in one tab, unsaved, comes back in a second tab's form; written
    over there as another session and saved, it must not make the first tab's Save "the same
    form sent again": the draft carried the first form's key, and that Save replaced the
    second tab's session instead of adding its own."""
    email = sign_up(page)
    page.goto("/sessions/new")
    fill_new_session(page, 3, "ALPHA: the morning session")
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    other = page.context.new_page()
    other.goto("/sessions/new")
    expect(other.locator("#draft-note")).to_contain_text("before you left this page")
    expect(reflection(other)).to_have_value("ALPHA: the morning session")
    reflection(other).fill("BRAVO: the evening session")
    tap_scale(other, "Mood after the session", 8)
    other.get_by_role("button", name="Save session").tap()
    expect(other).to_have_url(re.compile(r"/sessions/\d+$"))
    page.bring_to_front()
    page.get_by_role("button", name="Save session").tap()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    assert [(mood, words) for _, mood, words in stored(live_server, email)] == [
        (8, "BRAVO: the evening session"),
        (3, "ALPHA: the morning session"),
    ]


def test_a_save_that_reached_the_journal_unseen_keeps_its_key_however_often_its_words_are_left(
    page, live_server
):
    """A Save stored by the journal whose answer never arrived: the words come back with
    their form's key, so saving them again makes no second session. Left once more (another
    page, then the form again) they were judged words never sent, and came back with a new
    key: a second session."""
    email = sign_up(page)
    page.goto("/sessions/new")
    fill_new_session(page, 3, "ALPHA: saved, the answer lost")
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key

    lost = []

    def answer_lost(route):
        route.fetch()  # the journal stores it
        page.context.clear_cookies(name="draft_saved")
        route.abort()  # but its answer never arrives
        lost.append(route)

    page.route("**/sessions/new", lambda r: answer_lost(r) if r.request.method == "POST"
               else r.continue_())  # fmt: skip
    page.get_by_role("button", name="Save session").tap()
    for _ in range(100):  # until the answer is dropped (unrouted before, the route went on)
        if lost:
            break
        page.wait_for_timeout(100)
    assert len(stored(live_server, email)) == 1
    page.unroute("**/sessions/new")
    page.goto("/sessions/new")
    expect(page.locator("#draft-note")).to_contain_text("did not reach the journal")
    page.goto("/sessions")
    page.goto("/sessions/new")
    expect(reflection(page)).to_have_value("ALPHA: saved, the answer lost")
    page.get_by_role("button", name="Save session").tap()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    assert [(mood, words) for _, mood, words in stored(live_server, email)] == [
        (3, "ALPHA: saved, the answer lost")
    ]


def edit_open_while_deleted(page, meanwhile=None):
    """Log a session (then do `meanwhile(page)`), open its edit page in a second tab, and
    delete it from the first: the second tab's page, its edit form still open."""
    log_session(page, reflection=FIRST_WORDS)
    session_url = page.url
    if meanwhile:
        meanwhile(page)
    other = page.context.new_page()
    other.goto(session_url + "/edit")
    page.goto(session_url + "/delete")
    page.get_by_role("button", name=re.compile("^Delete")).tap()
    expect(page).to_have_url(re.compile(r"/sessions$"))
    return other


def test_an_edit_saved_after_the_session_was_deleted_in_another_tab_keeps_the_words(
    page, live_server
):
    email = sign_up(page)
    other = edit_open_while_deleted(page)
    reflection(other).fill("Words typed while it was being deleted")
    other.get_by_role("button", name="Save changes").tap()
    expect(other.locator("#form-note")).to_contain_text("was deleted after you opened this form")
    expect(reflection(other)).to_have_value("Words typed while it was being deleted")
    assert stored(live_server, email) == []
    other.get_by_role("button", name="Save session").tap()
    expect(other).to_have_url(re.compile(r"/sessions/\d+$"))
    ((_, _, words),) = stored(live_server, email)
    assert words == "Words typed while it was being deleted"


def test_words_on_a_deleted_sessions_form_come_back_after_the_sign_in_ended(page, live_server):
    """The form shown again after its session was deleted in another tab lives at the old
    session's address and saves as a new session. Its words were kept under the address, to
    which nothing leads back: after the sign-in ended, Save led to log in, then to an empty
    new-session form, and the words waited where no form would come again."""
    from test_browser import log_in_here
    from test_browser_offline import end_sign_ins

    email = sign_up(page)
    other = edit_open_while_deleted(page)
    page.close()
    reflection(other).fill("Words typed while it was being deleted")
    other.get_by_role("button", name="Save changes").tap()
    expect(other.locator("#form-note")).to_contain_text("was deleted after you opened this form")
    reflection(other).fill("Words typed while it was being deleted, and more")
    other.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    end_sign_ins(live_server, email, "idle timeout")
    other.get_by_role("button", name=re.compile("^Save")).tap()
    expect(other).to_have_url(re.compile(r"/auth/login\?next=(/|%2F)sessions(/|%2F)new$"))
    log_in_here(other, email)
    expect(other).to_have_url(re.compile(r"/sessions/new$"))
    expect(other.locator("#draft-note")).to_contain_text("What you wrote is back in the form")
    expect(reflection(other)).to_have_value("Words typed while it was being deleted, and more")
    assert stored(live_server, email) == []


def test_a_deleted_sessions_form_shown_again_keeps_its_words_over_an_older_draft(page, live_server):
    """The deleted session's form shown again saves as a new session, and its words were
    then kept under /sessions/new, where an older new session's words, left unsaved, waited:
    those were put back over the words the journal had just returned."""

    def leave_a_new_session(page):
        page.goto("/sessions/new")
        fill_new_session(page, 7, "Older words of another new session")
        page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
        page.goto("/sessions")

    sign_up(page)
    other = edit_open_while_deleted(page, leave_a_new_session)
    reflection(other).fill("Words typed while it was being deleted")
    other.get_by_role("button", name="Save changes").tap()
    expect(other.locator("#form-note")).to_contain_text("was deleted after you opened this form")
    other.wait_for_timeout(500)  # time for a draft to be put back, were it
    expect(other.locator("#draft-note")).to_have_count(0)
    expect(reflection(other)).to_have_value("Words typed while it was being deleted")


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


def test_words_saved_after_the_sign_in_ended_come_back_after_logging_in(page, live_server):
    """An intention written before a dosing session and saved after it, the sign-in having
    gone idle meanwhile: Save led to the log-in page and the words were gone. Now the log-in
    leads back to the form with them, unsaved until Save; logging out leaves nothing here."""
    from test_browser import log_in_here
    from test_browser_offline import end_sign_ins

    email = sign_up(page)
    page.goto("/sessions/new")
    page.get_by_text("Esketamine (Spravato)").tap()
    page.get_by_label("How it was given").select_option("intranasal")
    page.get_by_label("Total dose in mg").fill("56")
    page.get_by_text("Weight, clinic and intention").tap()
    words = "To meet the fear with kindness.\nAnd to rest after."
    page.get_by_label("Your intention").fill(words)
    end_sign_ins(live_server, email, "idle timeout")
    page.get_by_role("button", name="Save session").tap()
    expect(page).to_have_url(re.compile(r"/auth/login\?next=(/|%2F)sessions(/|%2F)new$"))
    assert not stored(live_server, email)
    log_in_here(page, email)

    expect(page).to_have_url(re.compile(r"/sessions/new$"))
    expect(page.locator("#draft-note")).to_contain_text("What you wrote is back in the form")
    expect(page.get_by_label("Your intention")).to_have_value(words)
    expect(page.get_by_label("Your intention")).to_be_visible()  # its folded part opened
    expect(page.get_by_label("Total dose in mg")).to_have_value("56")
    expect(page.get_by_label("How it was given")).to_have_value("intranasal")
    assert not stored(live_server, email)  # nothing saved until the person says so
    page.get_by_role("button", name="Save session").tap()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    saved = live_server.query(
        "select intention, dose_mg from sessions join users on users.id = user_id "
        "where users.email = ?",
        email,
    )
    assert saved == [(words, 56.0)]
    # Saved: the draft is gone; a new form starts empty.
    page.goto("/sessions/new")
    expect(page.locator("#draft-note")).to_have_count(0)
    expect(page.get_by_label("Total dose in mg")).to_have_value("56")  # carried from the last
    assert page.evaluate("localStorage.getItem('afterglow-drafts')") is None


def test_the_log_in_page_after_a_save_whose_sign_in_ended_says_the_words_are_kept(
    page, live_server
):
    """Save tapped after the sign-in had gone idle led to a bare "Log in" page: nothing said
    the session was not saved, nor that the words written for it were still there (they come
    back after the log-in), to someone who may well think them lost."""
    from test_browser_offline import end_sign_ins

    email = sign_up(page)
    page.goto("/sessions/new")
    page.get_by_text("Weight, clinic and intention").tap()
    page.get_by_label("Your intention").fill("To let it be what it is.")
    end_sign_ins(live_server, email, "idle timeout")
    page.get_by_role("button", name="Save session").tap()
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    said = page.locator(".flash", has_text="not saved")
    expect(said).to_have_text(
        "What you sent was not saved yet: you had been signed out first. What you wrote is "
        "kept on this device, and is back in the form once you log in."
    )


def test_a_draft_left_by_an_ended_sign_in_is_put_back_only_for_its_writer(page, live_server):
    from test_browser import log_in
    from test_browser_offline import end_sign_ins
    from test_browser_signout import log_out

    first = sign_up(page)
    page.goto("/assessments/phq9")
    page.get_by_role("group", name=re.compile(r"^1\. ")).get_by_text("Several days").tap()
    end_sign_ins(live_server, first, "ended elsewhere")
    page.get_by_role("button", name="Save and see my score").tap()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    assert page.evaluate("localStorage.getItem('afterglow-drafts')") is not None

    page.goto("/auth/register")  # someone else, on this phone
    second = sign_up(page)
    assert second != first
    page.goto("/assessments/phq9")
    expect(page.locator("#draft-note")).to_have_count(0)
    first_answer = page.get_by_role("group", name=re.compile(r"^1\. "))
    expect(first_answer.get_by_role("radio", name="Several days")).not_to_be_checked()
    log_out(page)
    assert "/assessments/phq9" in (page.evaluate("localStorage.getItem('afterglow-drafts')") or "")

    log_in(page, first)  # not led back to the form: the draft waits for it
    expect(page).to_have_url(re.compile(r"/checkin$"))
    page.goto("/assessments/phq9")
    expect(page.locator("#draft-note")).to_contain_text("What you wrote is back in the form")
    first_answer = page.get_by_role("group", name=re.compile(r"^1\. "))
    expect(first_answer.get_by_role("radio", name="Several days")).to_be_checked()
    log_out(page)
    assert page.evaluate("localStorage.getItem('afterglow-drafts')") is None  # their log-out


@pytest.mark.parametrize("older", [False, True])
def test_a_draft_lasts_as_long_as_the_journal_says(page, older):
    """static/drafts.js keeps an unsent draft for the journal's drafts.LASTS_SECONDS, read from
    the page (it had its own copy of the day): a day less a minute old it is put back, older
    than that it is dropped."""
    from journal import drafts

    sign_up(page)
    page.goto("/assessments/phq9")
    page.get_by_role("group", name=re.compile(r"^1\. ")).get_by_text("Several days").tap()
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.goto("/settings")  # left: the page's leaving keeps the draft once more
    age = drafts.LASTS_SECONDS + (60 if older else -60)
    page.evaluate(
        """(age) => {
            const all = JSON.parse(localStorage.getItem("afterglow-drafts"));
            for (const draft of Object.values(all)) draft.at = Date.now() - age * 1000;
            localStorage.setItem("afterglow-drafts", JSON.stringify(all));
        }""",
        age,
    )
    page.goto("/assessments/phq9")
    first_answer = page.get_by_role("group", name=re.compile(r"^1\. "))
    if older:
        page.wait_for_timeout(500)  # time for a draft to be put back, were it
        expect(page.locator("#draft-note")).to_have_count(0)
        expect(first_answer.get_by_role("radio", name="Several days")).not_to_be_checked()
    else:
        expect(page.locator("#draft-note")).to_contain_text("back in the form")
        expect(first_answer.get_by_role("radio", name="Several days")).to_be_checked()


def test_an_error_summary_link_to_a_box_shows_its_label_and_message(page):
    """The summary's link to "Total dose in mg" put the box at the top edge of the screen,
    its label and its message (why the dose was refused) above it, out of sight."""
    sign_up(page)
    page.goto("/sessions/new")
    page.get_by_text("Esketamine (Spravato)").tap()
    page.get_by_label("How it was given").select_option("intranasal")
    page.get_by_label("Total dose in mg").fill("350")
    page.get_by_text("Weight, clinic and intention").tap()
    page.get_by_label("Dose by weight, in mg/kg").fill("0.5")
    page.get_by_label("Body weight in kg").fill("70")
    page.get_by_role("button", name="Save session").tap()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    # The page's script has run (it starts the focus on the summary): a link tapped before
    # it is the browser's own jump, the box at the top edge (failed once under a full run).
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("dose", re.I)).first.tap()
    dose = page.get_by_label("Total dose in mg")
    expect(dose).to_be_focused()
    message = page.locator("#dose_mg-error")
    expect(message).to_contain_text("0.5 mg/kg for 70 kg is 35 mg, not 350 mg")
    expect(message).to_be_in_viewport()
    expect(page.locator("label[for='dose_mg']")).to_be_in_viewport()


def test_a_refused_save_starts_the_focus_on_its_summary(page):
    """After a refused Save the focus was left at the top of the page: a keyboard or screen
    reader user went through the whole header again to reach what to put right. It starts on
    the summary; the next Tab reaches its first link."""
    sign_up(page)
    page.goto("/sessions/new")
    page.get_by_role("button", name="Save session").tap()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    expect(summary.get_by_role("link").first).to_be_focused()


def test_a_box_unticked_before_the_sign_in_ended_stays_unticked_in_the_draft(page, live_server):
    """A draft holds each box of a group: one unticked in an edit came back ticked, because
    another box of the same name was still ticked."""
    from test_browser import log_in_here
    from test_browser_offline import end_sign_ins

    email = sign_up(page)
    log_session(page)
    page.goto(page.url + "/edit")
    page.get_by_text("Dissociation and side effects").tap()
    effects = page.get_by_role("group", name="Side effects you noticed")
    effects.get_by_label("Nausea").check()
    effects.get_by_label("Dizziness or vertigo").check()
    page.get_by_role("button", name="Save changes").tap()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    page.goto(page.url + "/edit")
    effects = page.get_by_role("group", name="Side effects you noticed")
    expect(effects.get_by_label("Dizziness or vertigo")).to_be_checked()
    effects.get_by_label("Dizziness or vertigo").uncheck()
    end_sign_ins(live_server, email, "ended elsewhere")
    page.get_by_role("button", name="Save changes").tap()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    log_in_here(page, email)
    expect(page.locator("#draft-note")).to_be_visible()
    effects = page.get_by_role("group", name="Side effects you noticed")
    expect(effects.get_by_label("Nausea")).to_be_checked()
    expect(effects.get_by_label("Dizziness or vertigo")).not_to_be_checked()


@pytest.mark.parametrize("via", ["the form again", "another page first"])
def test_words_saved_while_offline_come_back_in_their_form(page, context, via):
    """Save tapped with no connection shows the browser's own error page; opening the form
    again found it empty (its draft reset unseen), and by way of another page the note said
    the person had been signed out."""
    sign_up(page)
    page.goto("/sessions/new")
    page.get_by_text("Esketamine (Spravato)").tap()
    page.get_by_label("How it was given").select_option("intranasal")
    page.get_by_text("Weight, clinic and intention").tap()
    words = "Written on the train, saved in a tunnel."
    page.get_by_label("Your intention").fill(words)
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    context.set_offline(True)
    page.get_by_role("button", name="Save session").tap()
    # The browser's error page (no form), waited for by a locator: a string given to
    # wait_for_function is run with eval, which that page's own CSP refuses.
    expect(page.locator("form[data-draft]")).to_have_count(0)
    context.set_offline(False)
    if via == "another page first":
        page.goto("/entries")
    page.goto("/sessions/new")
    note = page.locator("#draft-note")
    expect(note).to_contain_text("did not reach the journal")
    expect(note).not_to_contain_text("signed out")
    expect(page.get_by_label("Your intention")).to_have_value(words)
    expect(page.get_by_label("Your intention")).to_be_visible()


def test_words_saved_offline_stay_when_another_tab_saves_something_else(page, context):
    """Save tapped with no connection, then a setting saved in another tab once it was back:
    that page's message ("Settings saved.") was read as the session's, and its words, which
    never reached the journal, were deleted from the device."""
    sign_up(page)
    other = context.new_page()
    other.goto("/settings")
    page.goto("/sessions/new")
    fill_new_session(page, 6, "Written in the waiting room, saved in the lift.")
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    context.set_offline(True)
    page.get_by_role("button", name="Save session").tap()
    expect(page.locator("form[data-draft]")).to_have_count(0)  # the browser's error page
    context.set_offline(False)
    other.get_by_label("Days after a session to follow").fill("10")
    other.get_by_role("button", name="Save settings").tap()
    expect(other.locator(".flash")).to_contain_text("Settings saved.")
    other.goto("/sessions/new")
    expect(other.locator("#draft-note")).to_contain_text("did not reach the journal")
    expect(reflection(other)).to_have_value("Written in the waiting room, saved in the lift.")


@pytest.mark.parametrize("leave", ["close the tab", "tap another page at once"])
def test_words_left_in_a_form_come_back_when_it_is_opened_again(page, context, leave):
    """An intention typed and then left (the tab closed, or a tap on another page straight
    after the last key) was gone when the form was opened again; Cancel lets it go."""
    sign_up(page)
    page.goto("/sessions/new")
    page.get_by_text("Weight, clinic and intention").tap()
    words = "To be gentle with myself."
    page.get_by_label("Your intention").fill(words)
    if leave == "close the tab":
        page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
        page.close()
        page = context.new_page()
    else:
        page.goto("/progress")
    page.goto("/sessions/new")
    expect(page.locator("#draft-note")).to_contain_text("It is not saved yet")
    expect(page.get_by_label("Your intention")).to_have_value(words)
    expect(page.get_by_label("Your intention")).to_be_visible()
    page.get_by_role("link", name="Cancel").tap()
    expect(page).to_have_url(re.compile(r"/sessions$"))
    page.goto("/sessions/new")
    expect(page.locator("#draft-note")).to_have_count(0)
    expect(page.get_by_label("Your intention")).to_have_value("")


def test_cancel_tapped_straight_after_typing_lets_the_words_go(page):
    """Cancel tapped within the pause after the last key: the page's leaving kept the words
    again (pagehide saves a draft still waiting), so they came back after Cancel."""
    sign_up(page)
    page.goto("/sessions/new")
    page.get_by_text("Weight, clinic and intention").tap()
    page.get_by_label("Your intention").fill("Words I chose to drop.")
    page.get_by_role("link", name="Cancel").tap()
    expect(page).to_have_url(re.compile(r"/sessions$"))
    page.goto("/sessions/new")
    expect(page.locator("#draft-note")).to_have_count(0)
    expect(page.get_by_label("Your intention")).to_have_value("")


def test_back_after_a_saved_session_offers_no_copy_of_it_to_save_again(page, live_server):
    """Back from a saved session showed its form filled in again by the browser (under a new
    request key), and Save kept the session twice; Back now shows the form as new."""
    email = sign_up(page)
    log_session(page, mood_before=3, reflection=FIRST_WORDS)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/sessions/new$"))
    expect(page.get_by_role("button", name="Save session")).to_be_visible()
    expect(scale_radio(page, "Mood before the session", 3)).not_to_be_checked()
    expect(reflection(page)).to_have_value("")
    assert len(stored(live_server, email)) == 1


def hold_the_scripts_of(page, next_page):
    """Leave the scripts of the page whose address matches `next_page` (the one a Save leads
    to) unanswered, as a slow phone would not have run them yet: the held requests. The page's
    context must fetch scripts from the server (`service_workers="block"`), not its cache."""
    held = []

    def hold(route):
        if re.search(next_page, route.request.headers.get("referer", "")):
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"\.js$"), hold)
    return held


def back_before_its_script_ran(page, held):
    """Tap Back while the page a Save led to still waits for its scripts (`held`)."""
    page.go_back(wait_until="commit")
    assert held, "the page after the Save ran its script before Back"
    for route in held:
        route.abort()


def test_back_tapped_before_the_saved_session_s_page_ran_its_script_offers_no_copy(
    browser, browser_context_args, live_server
):
    """On a slow phone, Back tapped as the saved session's page arrived, before its script
    ran: only that page's message had said the Save was stored, so the form opened again said
    the Save had not reached the journal and put the saved answers back. The journal's answer
    to the Save says so itself now (a cookie naming the Save's token)."""
    context = browser.new_context(**browser_context_args, service_workers="block")
    page = context.new_page()
    email = sign_up(page)
    page.goto("/sessions/new")
    held = hold_the_scripts_of(page, r"/sessions/\d+$")
    page.get_by_text("Esketamine (Spravato)").tap()
    page.get_by_label("How it was given").select_option("intranasal")
    page.get_by_label("Total dose in mg").fill("56")
    tap_scale(page, "Mood before the session", 3)
    page.get_by_role("button", name="Save session").tap()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    back_before_its_script_ran(page, held)
    expect(page).to_have_url(re.compile(r"/sessions/new$"))
    expect(page.get_by_role("button", name="Save session")).to_be_visible()
    expect(scale_radio(page, "Mood before the session", 3)).not_to_be_checked()
    expect(page.locator("#draft-note")).to_have_count(0)
    assert len(stored(live_server, email)) == 1
    context.close()


def test_words_changed_on_a_refused_save_s_page_come_back_after_a_reload(page):
    """A Save refused (no dose), the intention then changed on that page, and the page
    reloaded: the browser sent the first Save again and its page showed the first words, the
    changed ones hidden in the draft (and lost at the next key). They come back, with a note."""
    sign_up(page)
    page.goto("/sessions/new")
    page.get_by_text("Weight, clinic and intention").tap()
    page.get_by_label("Your intention").fill("To rest.")
    page.get_by_role("button", name="Save session").tap()
    expect(page.locator("#error-summary")).to_be_visible()
    words = "To rest, and to let the day be slow."
    page.get_by_label("Your intention").fill(words)
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.reload()
    expect(page.locator("#draft-note")).to_contain_text("It is not saved yet")
    expect(page.get_by_label("Your intention")).to_have_value(words)
    expect(page.get_by_label("Your intention")).to_be_visible()


def test_back_tapped_before_the_saved_check_in_s_page_ran_its_script_offers_no_copy(
    browser, browser_context_args, live_server
):
    """The check-in is sent by its page's script, whose answer (JSON, not a redirect) named no
    draft token: Back tapped as the saved day's page arrived, before its script ran, reopened
    the check-in saying its Save had not reached the journal, with the saved words put back
    (and a second Save added them to the day again)."""
    context = browser.new_context(**browser_context_args, service_workers="block")
    page = context.new_page()
    email = sign_up(page)
    page.goto("/checkin")
    held = hold_the_scripts_of(page, r"/entries/[0-9-]+$")
    tap_scale(page, "Mood today", 4)
    page.get_by_label("Reflection", exact=True).fill(FIRST_WORDS)
    page.get_by_role("button", name="Save check-in").tap()
    expect(page).to_have_url(re.compile(r"/entries/[0-9-]+$"))
    back_before_its_script_ran(page, held)
    expect(page).to_have_url(re.compile(r"/checkin$"))
    page.wait_for_load_state("load")
    # The day as saved (its own form, "Save changes"), with nothing said about a lost Save.
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    expect(page.locator("#draft-note")).to_have_count(0)
    expect(page.locator("#replaced-words")).to_be_hidden()
    rows = live_server.query(
        "select reflection from checkins join users on users.id = user_id where email = ?", email
    )
    assert rows == [(FIRST_WORDS,)]
    context.close()
