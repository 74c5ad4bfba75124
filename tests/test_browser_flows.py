"""Flows in a real browser that the other browser tests do not walk: an import confirmed
with a double tap, then Back to its preview and Confirm again; Back after a form sent back
with a mistake, then saved."""

import re
from urllib.parse import urlsplit

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect
from test_browser import save, scale_radio, sign_up, tap_scale

pytestmark = pytest.mark.browser

CSV = b'date,mood,note\n2025-01-02,4,Slow start\n2025-01-03,10,\n2025-01-04,0,"a, b"\n'
GONE = "This import is no longer waiting: it was saved or cancelled already"


def checkin_days(live_server, email):
    return live_server.query(
        "select day from checkins join users on users.id = user_id where users.email = ?"
        " order by day",
        email,
    )


def test_an_import_confirmed_twice_saves_once_and_never_says_zero(page, live_server):
    email = sign_up(page)
    page.goto("/import")
    page.locator('input[type="file"]').set_input_files(
        {"name": "export.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    page.get_by_role("button", name="Read the file").tap()
    expect(page).to_have_url(re.compile(r"/import/\d+$"))
    # A double tap on Import: both requests leave before either answer comes back.
    answers = page.evaluate(
        """async () => {
          const form = document.querySelector("form[action$='/confirm']");
          const send = () => fetch(form.action, {method: "POST", body: new FormData(form)});
          const answers = await Promise.all([send(), send()]);
          return Promise.all(answers.map(async (r) => [r.status, await r.text()]));
        }"""
    )
    assert sorted(status for status, _ in answers) == [200, 404]
    texts = " ".join(text for _, text in answers)
    assert "Imported" not in texts and GONE in texts
    assert len(checkin_days(live_server, email)) == 3
    # What the import said waits for a page the person sees (a script's fetch takes no
    # message), here one opened in another tab, which leaves this one on the preview.
    other = page.context.new_page()
    other.goto("/entries")
    expect(other.locator(".flash")).to_have_text("Imported 3 check-ins from export.csv.")
    other.close()
    # Back to the preview (a page kept in the browser), then Import again: it says why not.
    page.get_by_role("button", name="Import 3 check-ins").tap()
    expect(page.get_by_text(GONE)).to_be_visible()
    assert len(checkin_days(live_server, email)) == 3


def test_an_import_refused_starts_the_focus_on_what_to_put_right(page):
    """A file refused at /import: the box listing what to fix in it (an alert) takes the
    focus, as a form's summary of mistakes does, so a keyboard's next Tab goes to the file
    field rather than back through the header and menu, and a screen reader reads it first.
    The box had tabindex="-1" for that, but nothing focused it."""
    sign_up(page)
    page.goto("/import")
    page.locator('input[type="file"]').set_input_files(
        {
            "name": "export.csv",
            "mimeType": "text/csv",
            "buffer": b"date,mood,mood\n2025-01-02,4,5\n",
        }
    )
    page.get_by_role("button", name="Read the file").tap()
    problems = page.get_by_role("alert").filter(has_text="Nothing was imported")
    expect(problems).to_be_visible()
    expect(problems).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator('input[type="file"]')).to_be_focused()


def in_view(page, locator):
    """Whether the element's box is within the screen."""
    box = locator.bounding_box()
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= page.viewport_size["height"]
    )


def test_a_short_form_sent_back_takes_the_focus_to_its_mistake(page):
    """Forms without a summary of mistakes (delete the account, link to a therapist,
    two-factor) came back at the top of the page, their one message a screen below: the
    person saw the same page and could think it had worked. The field to put right takes the
    focus, scrolled into view with its message."""
    sign_up(page)
    for path, fill, button in (
        ("/settings/delete", {"Your password": "not my password"},
         "Delete my account and all my data"),
        ("/settings/therapist", {"Invite code from your therapist": "NOPE-NOPE"}, "Link"),
        ("/settings/2fa", {"Code": "123456", "Your password": "not my password"},
         "Turn two-factor sign-in on"),
    ):  # fmt: skip
        page.goto(path)
        for label, value in fill.items():
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_role("button", name=button, exact=True).tap()
        wrong = page.locator("main [aria-invalid='true']").first
        expect(wrong).to_be_focused()
        error = page.locator("main .field.has-error .error").first
        assert in_view(page, wrong) and in_view(page, error), path


# The page after something done: its message, or what is shown only once, is read first -----

IN_MAIN = "document.querySelector('main').contains(document.activeElement)"


def add_a_symptom(page, name):
    page.goto("/settings/symptoms")
    page.get_by_label("Symptom to track", exact=True).fill(name)
    page.get_by_role("button", name="Add to my check-in").tap()


def leave_a_message(page, name="Rumination"):
    """Add a symptom by a request of the browser's own that stops at the redirect: its
    message waits for the next page opened, whatever it is. Returns the message."""
    html = page.request.get("/settings/symptoms").text()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    fields = {"csrf_token": token, "name": name}
    response = page.request.post("/settings/symptoms", form=fields, max_redirects=0)
    assert response.status == 302, response.status
    return f"{name} is now on your check-in form."


ACTIONS = {
    "check-in saved": (
        lambda page: (tap_scale(page, "Mood today", 6), save(page)),
        re.compile(r"^Saved your check-in for "),
    ),
    "symptom added": (
        lambda page: add_a_symptom(page, "Rumination"),
        "Rumination is now on your check-in form.",
    ),
    "settings saved": (
        lambda page: (
            page.goto("/settings"),
            page.get_by_role("button", name="Save settings").tap(),
        ),
        "Settings saved.",
    ),
    "logged out": (
        lambda page: page.get_by_role("button", name="Log out").tap(),
        "You are logged out.",
    ),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_the_message_after_an_action_takes_the_focus(page, action):
    """Every message after a redirect ("Settings saved.") is a status region already there
    when the page opens, which a screen reader does not read (it reads a region's changes):
    nothing was said, and the focus began at the skip link. The message takes the focus, so
    it is read first, and Tab goes on from it into the page."""
    sign_up(page)
    do, said = ACTIONS[action]
    do(page)
    message = page.locator("main .flash")
    expect(message).to_have_text(said)
    expect(message).to_be_focused()
    expect(page.locator(":focus")).to_have_text(said)
    page.keyboard.press("Tab")
    assert page.evaluate(IN_MAIN), page.evaluate("document.activeElement.outerHTML")


SHOWN_ONCE = {
    "new share link": (
        "/share",
        lambda page: (
            page.get_by_label("Who is this link for?").fill("Dr. Rivera"),
            page.get_by_role("button", name="Make a link").tap(),
        ),
        "Your link “Dr. Rivera”",
    ),
    "new calendar link": (
        "/settings/reminders",
        lambda page: page.get_by_role("button", name="Make my calendar link").tap(),
        "Your calendar link",
    ),
}


@pytest.mark.parametrize("what", SHOWN_ONCE)
def test_a_link_shown_only_once_takes_the_focus(page, what):
    """A new share or calendar link, shown on the page that answers the form and never again,
    began a screen reader's reading at the top of the page like any other: its section takes
    the focus, its heading on screen."""
    sign_up(page)
    path, do, heading = SHOWN_ONCE[what]
    page.goto(path)
    do(page)
    section = page.locator("main section.new-link")
    expect(section.get_by_role("heading", name=heading)).to_be_visible()
    expect(section).to_be_focused()
    expect(section.locator("h2")).to_be_in_viewport(ratio=1)


def test_mistakes_and_crisis_resources_keep_the_focus_before_a_message(page):
    """The error summary and crisis resources come first: a message on the same page leaves
    the focus on them."""
    sign_up(page)
    tap_scale(page, "Mood today", 1)
    save(page)
    expect(page.locator("main .flash")).to_contain_text("Saved your check-in for")
    expect(page.locator("#crisis-resources")).to_be_focused()

    page.goto("/sessions/new")
    said = leave_a_message(page)  # shown on the next page: the form sent back
    page.get_by_role("button", name="Save session").click()
    expect(page.locator("main .flash")).to_have_text(said)
    expect(page.locator("#error-summary")).to_be_focused()


def test_a_message_leaves_the_focus_where_the_address_points(page):
    """An address with a #fragment (/settings#pw) opens at that part of the page: a message
    there does not take the focus back to the top."""
    sign_up(page)
    said = leave_a_message(page)
    page.goto("/settings#pw")
    expect(page.locator("main .flash")).to_have_text(said)
    assert page.evaluate("document.activeElement === document.body")
    expect(page.locator("#pw")).to_be_in_viewport()


def test_a_link_shown_once_is_focused_with_its_top_on_a_small_screen(page):
    """At 360 by 740 a new share link's section is taller than the screen: scrolled to the
    "nearest" edge, its top and focus ring were cut off at the screen's top."""
    page.set_viewport_size({"width": 360, "height": 740})
    sign_up(page)
    page.goto("/share")
    page.get_by_label("Who is this link for?").fill("Dr. Rivera")
    page.get_by_role("button", name="Make a link").tap()
    section = page.locator("main section.new-link")
    expect(section).to_be_focused()
    box = section.bounding_box()
    assert box["y"] >= 5, box  # the ring: 3 px wide, 2 px out


def test_without_script_no_copy_button_is_shown_that_does_nothing(
    page, browser, browser_context_args
):
    """The Copy link buttons are hidden until the script makes them work; a button's own
    display showed them all the same, and without script a tap did nothing on a page that says
    the link is shown only this once."""
    sign_up(page)
    state = page.context.storage_state()
    plain = browser.new_context(
        **browser_context_args, java_script_enabled=False, storage_state=state
    )
    try:
        without = plain.new_page()
        without.goto("/share")
        without.get_by_label("Who is this link for?").fill("Dr. Rivera")
        without.get_by_role("button", name="Make a link").tap()
        expect(without.locator("#share-url")).to_be_visible()
        expect(without.locator("button[data-copy]")).to_be_hidden()
        without.goto("/settings/reminders")
        without.get_by_role("button", name="Make my calendar link").tap()
        expect(without.locator("button[data-copy]")).to_be_hidden()
    finally:
        plain.close()


# Back after a form sent back, then saved: the form again, never "Confirm Form Resubmission" ----


def sessions_of(live_server, email):
    return live_server.query(
        "select sessions.id from sessions join users on users.id = user_id where users.email = ?",
        email,
    )


def sent_back(page, button, path):
    """Tap `button` on a form that will be refused: the journal's 400 answer to its POST."""
    posted = page.expect_response(
        lambda r: r.request.method == "POST" and urlsplit(r.url).path == path
    )
    with posted as answer:
        page.get_by_role("button", name=button).tap()
    assert answer.value.status == 400
    # Focused by the page's script once it has run (a person reads the page first): the
    # summary is shown as soon as it is parsed, before the script starts.
    expect(page.locator("#error-summary")).to_be_focused()


def back_to(page, path):
    """Back (Android's back gesture) to the entry the refused form's page was: it must open
    `path` fetched afresh with GET, not Chromium's "Confirm Form Resubmission" page
    (ERR_CACHE_MISS), whose reload sends the form again."""
    opened = page.go_back()
    assert opened is not None, page.url
    assert (opened.request.method, opened.status) == ("GET", 200)
    assert urlsplit(page.url).path == path
    page.wait_for_load_state("load")
    assert not page.title().startswith("Error"), page.title()
    expect(page.locator("#error-summary")).to_have_count(0)


def test_back_after_a_check_in_sent_back_then_saved_opens_the_form_not_a_resend(page, live_server):
    """A check-in sent without a mood comes back (400, the answer to its POST) with the
    words kept; the mood chosen, it saves. Back then met Chromium's "Confirm Form
    Resubmission" page for the refused answer, whose reload posted the form again. It opens
    the check-in form, fetched anew, and nothing more is stored."""
    email = sign_up(page)
    page.get_by_label("Reflection", exact=True).fill("Heavy morning")
    sent_back(page, "Save check-in", "/checkin")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("Heavy morning")
    tap_scale(page, "Mood today", 5)
    day = save(page)
    assert checkin_days(live_server, email) == [(day,)]

    back_to(page, "/checkin")
    expect(page.get_by_role("heading", name="How are you today?")).to_be_visible()
    expect(page.locator("#draft-note")).to_have_count(0)
    assert checkin_days(live_server, email) == [(day,)]


def test_back_after_a_session_sent_back_then_saved_opens_the_form_not_a_resend(page, live_server):
    """The same for a session: sent with nothing chosen, put right, saved; Back opens the
    new-session form afresh, and the session is stored once."""
    email = sign_up(page)
    page.goto("/sessions/new")
    page.get_by_label("Total dose in mg").fill("56")
    sent_back(page, "Save session", "/sessions/new")
    expect(page.get_by_label("Total dose in mg")).to_have_value("56")
    page.get_by_text("Esketamine (Spravato)").tap()
    page.get_by_label("How it was given").select_option("intranasal")
    tap_scale(page, "Mood before the session", 4)
    tap_scale(page, "Mood after the session", 7)
    page.get_by_role("button", name="Save session").tap()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))
    assert len(sessions_of(live_server, email)) == 1

    back_to(page, "/sessions/new")
    expect(page.locator("#draft-note")).to_have_count(0)
    expect(scale_radio(page, "Mood after the session", 7)).not_to_be_checked()
    assert len(sessions_of(live_server, email)) == 1


def test_back_after_a_password_change_sent_back_then_saved_opens_the_settings(page, live_server):
    """A password change refused (the current one wrong) comes back at POST
    /settings/password, an address with no page of its own; put right, it saves. Back opens
    the settings page it was sent from, fetched anew, and changes nothing more."""
    email = sign_up(page)
    new = "a quiet harbour at dawn"

    def change(current):
        page.get_by_label("Current password", exact=True).fill(current)
        page.get_by_label("New password", exact=True).fill(new)
        page.get_by_label("New password again", exact=True).fill(new)

    page.goto("/settings")
    change("not my password")
    sent_back(page, "Change password", "/settings/password")
    change(PASSWORD)
    page.get_by_role("button", name="Change password").tap()
    expect(page.locator("main .flash")).to_contain_text("Your password is changed.")
    hashed = "select password_hash from users where email = ?"
    changed = live_server.query(hashed, email)

    back_to(page, "/settings")
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    expect(page.locator("main .flash")).to_have_count(0)
    assert live_server.query(hashed, email) == changed


def test_reloading_a_check_in_sent_back_sends_nothing_and_keeps_the_words(page, live_server):
    """Reload on a refused check-in's page sent the refused form again (after Chromium's
    "Confirm Form Resubmission"). It opens the form with GET, and the words typed on it come
    back from the device's draft, said so; nothing is stored."""
    email = sign_up(page)
    page.get_by_label("Reflection", exact=True).fill("Heavy morning")
    sent_back(page, "Save check-in", "/checkin")
    reloaded = page.reload()
    assert (reloaded.request.method, reloaded.status) == ("GET", 200)
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.locator("#draft-note")).to_contain_text("It is not saved yet")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("Heavy morning")
    assert checkin_days(live_server, email) == []


def test_a_form_sent_on_the_settings_page_keeps_what_was_changed_in_the_other(page, live_server):
    """Settings has two forms, each sending only its own fields: a time zone and window
    changed, then a password change refused (or saved), and the page came back with the
    stored time zone, the change gone without a word. What was changed and not sent is put
    back, said to be not saved yet; a password typed in the form not sent is never kept, and
    the form says the password is not changed."""
    email = sign_up(page)
    stored = "select timezone, window_days from users where email = ?"
    before = live_server.query(stored, email)
    page.goto("/settings")
    page.get_by_label("Time zone", exact=True).select_option("Asia/Kolkata")
    page.get_by_label("Days after a session to follow", exact=True).fill("10")
    page.get_by_label("Current password", exact=True).fill("not my password")
    page.get_by_label("New password", exact=True).fill("a quiet harbour at dawn")
    page.get_by_label("New password again", exact=True).fill("a quiet harbour at dawn")
    sent_back(page, "Change password", "/settings/password")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("Asia/Kolkata")
    expect(page.get_by_label("Days after a session to follow", exact=True)).to_have_value("10")
    expect(page.locator("[data-unsent-note]")).to_contain_text("Not saved yet")
    assert live_server.query(stored, email) == before
    page.get_by_role("button", name="Save settings").tap()
    expect(page.locator("main .flash")).to_contain_text("Settings saved.")
    assert live_server.query(stored, email) == [("Asia/Kolkata", 10)]
    expect(page.locator("[data-unsent-note]")).to_have_count(0)

    # The other way round: a password typed, then the settings saved.
    page.get_by_label("New password", exact=True).fill("a quiet harbour at dawn")
    page.get_by_label("Days after a session to follow", exact=True).fill("12")
    page.get_by_role("button", name="Save settings").tap()
    expect(page.locator("main .flash")).to_contain_text("Settings saved.")
    note = page.locator("[data-unsent-note]")
    expect(note).to_contain_text("Your password is not changed")
    expect(page.get_by_label("New password", exact=True)).to_have_value("")
    # Said once: a reload says nothing more.
    page.reload()
    expect(page.locator("[data-unsent-note]")).to_have_count(0)
    # The same on the reminders page: a time typed, then the calendar link made.
    page.goto("/settings/reminders")
    reminder = page.get_by_label("Daily check-in reminder (optional)", exact=True)
    reminder.fill("08:30")
    page.get_by_role("button", name="Make my calendar link").tap()
    expect(page.get_by_role("heading", name="Your calendar link")).to_be_visible()
    expect(reminder).to_have_value("08:30")
    expect(page.locator("[data-unsent-note]")).to_contain_text("Not saved yet")
