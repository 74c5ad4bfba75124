"""The "How long the lift lasted" card (issue 10) in a real browser: Debian's Chromium at
390 x 844, light and dark, against the live server (conftest.py).

History goes in through the real forms over HTTP (page.request shares the page's cookies and
each post carries the form's CSRF token); "today" is the server's, read from the check-in form.
"""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from test_browser import (
    WIDTHS,
    chart_image,
    each_scheme,
    post_form,
    serious_violations,
    sideways_overflow,
    sign_up,
    wait_in_page,
)
from test_browser_layout import log_mood, today

pytestmark = pytest.mark.browser

# Offsets from the first session (30 days ago): a baseline of 4, 5, 6 (5.0) before it.
# #1: 7, 7, 8 then 5 on day 4: 3 days. #2 (15 days later): 6, 6 then 4 on day 3: 2 days.
# #3 (25 days later): 7, 7 on days 1 and 2, nothing at or below since: at least 2 days.
FIRST = -30
MOODS = [(-10, 4), (-5, 5), (-2, 6), (1, 7), (2, 7), (3, 8), (4, 5), (16, 6), (17, 6), (18, 4)]
MOODS += [(26, 7), (27, 7)]
SESSIONS = [0, 15, 25]


def make_history(page):
    now = today(page)
    first = now + timedelta(days=FIRST)
    for offset, mood in MOODS:
        log_mood(page, first + timedelta(days=offset), mood)
    for offset in SESSIONS:
        when = first + timedelta(days=offset)
        post_form(
            page,
            "/sessions/new",
            {"started_at": f"{when.isoformat()}T10:00", "product": "ketamine", "route": "iv"},
        )


def test_the_lift_card_in_light_and_dark(page):
    sign_up(page)
    make_history(page)
    page.goto("/progress")
    card = page.locator("#lift-card")
    expect(card.get_by_role("heading", name="How long the lift lasted")).to_be_visible()
    expect(card).to_contain_text(
        "After your last 3 sessions, your mood stayed above your usual level for a median of "
        "2.5 days, from 2 to 3; 1 lift was still going"
    )
    for scheme in each_scheme(page):
        image = chart_image(page, "lift", scheme)
        assert ("theme=dark" in image.evaluate("i => i.currentSrc")) == (scheme == "dark")
    expect(image).to_have_attribute("alt", re.compile(r"^How many days mood stayed above"))

    # The table, by keyboard: focus its summary, open it with Enter.
    summary = card.get_by_text("Each session's lift as a table")
    summary.focus()
    page.keyboard.press("Enter")
    table = card.get_by_role("table")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("still going")
    expect(rows.last).to_contain_text("ended")

    for scheme in each_scheme(page):
        found = serious_violations(page)
        assert found == [], f"axe on /progress ({scheme}):\n" + "\n".join(found)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            overflow = sideways_overflow(page)
            assert overflow <= 0, (
                f"/progress ({scheme}) scrolls sideways by {overflow} px at {width} px wide"
            )


def test_a_new_patient_sees_what_is_needed_and_no_chart(page):
    sign_up(page)
    page.goto("/progress")
    card = page.locator("#lift-card")
    expect(card).to_contain_text("Log a session and check in on the days after it")
    expect(card.locator("img")).to_have_count(0)
    assert serious_violations(page) == []
    assert sideways_overflow(page) <= 0


def test_the_share_link_page_shows_the_card(page, browser, browser_context_args):
    sign_up(page)
    make_history(page)
    made = post_form(page, "/share", {"label": "Dr Rivera", "days": "14"})
    token = re.search(r"/s/([A-Za-z0-9_-]{43})", made.text()).group(1)
    visitor = browser.new_context(**browser_context_args, color_scheme="dark").new_page()
    visitor.goto(f"/s/{token}")
    card = visitor.locator("#lift-card")
    expect(card).to_contain_text("After the last 3 sessions, mood stayed above the baseline")
    image = card.locator("figure#lift img")
    image.scroll_into_view_if_needed()
    wait_in_page(visitor, "i => i.complete && i.naturalWidth > 0", image.element_handle())
    assert "theme=dark" in image.evaluate("i => i.currentSrc")
    assert serious_violations(visitor) == []
    assert sideways_overflow(visitor) <= 0
    visitor.context.close()
