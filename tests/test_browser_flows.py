"""Flows in a real browser that the other browser tests do not walk: an import confirmed
with a double tap, then Back to its preview and Confirm again."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import sign_up

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
    assert "Imported 3 check-ins from export.csv." in texts
    assert "Imported 0" not in texts and GONE in texts
    assert len(checkin_days(live_server, email)) == 3
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
