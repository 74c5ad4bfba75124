"""A form for "today" left open past midnight, in a real browser: opened on Sunday evening,
written in and saved on Monday morning, it filed the words on Sunday under "How are you
today?".

Debian's Chromium through Playwright at 390 x 844 against the live gunicorn server from
conftest.py, which follows the real clock. The server's day for the person moves on by their
time zone instead: they sign up in EVENING (UTC-11) and, with the form open, change it in
another tab to MORNING (UTC+13), where it is always the next day, as midnight passing would.
What the server stored is read from its database file, read-only.
"""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from test_browser import sign_up, tap_scale
from test_browser_checkin import stored

pytestmark = pytest.mark.browser

EVENING = "Pacific/Pago_Pago"
MORNING = "Pacific/Tongatapu"
WORDS = "Written after the night, for today"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """The browser's own zone is EVENING, which sign_up gives the new account."""
    return {**browser_context_args, "timezone_id": EVENING}


def day_in(zone):
    return datetime.now(ZoneInfo(zone)).date()


def label(day):
    """A day as the page's script writes it (status.js dayLabel): "Sun 6 Dec"."""
    return f"{day:%a} {day.day} {day:%b}"


def signed_up_in_the_evening(page):
    """A new patient's /checkin, made on their EVENING day: (email, that day)."""
    email = sign_up(page)
    evening = day_in(EVENING)
    expect(page.get_by_label("Date", exact=True)).to_have_value(evening.isoformat())
    return email, evening


def zone_changed_elsewhere(page):
    """The person's day moves on: their zone changed to MORNING in another tab."""
    other = page.context.new_page()
    other.goto("/settings")
    other.get_by_label("Time zone").select_option(MORNING)
    other.get_by_role("button", name="Save settings").tap()
    expect(other.get_by_label("Time zone")).to_have_value(MORNING)
    other.close()


def midnight_passes(page):
    """The person's day moves on, and they come back to the page: its next day on the
    server's clock. The tab shown again is told so."""
    zone_changed_elsewhere(page)
    page.bring_to_front()
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    morning = day_in(MORNING)
    assert morning == day_in(EVENING) + timedelta(days=1)
    return morning


def date_field(page):
    return page.get_by_label("Date", exact=True)


def test_an_untouched_check_in_turns_to_the_new_today(context, page, live_server):
    """Nothing written: the form is today's again (date, its latest day, heading, question),
    and saves there. The phone's clock runs a day behind: its day is read on the server's."""
    context.clock.install(time=datetime.now(UTC) - timedelta(days=1))
    email, evening = signed_up_in_the_evening(page)
    morning = midnight_passes(page)
    expect(date_field(page)).to_have_value(morning.isoformat(), timeout=10_000)
    expect(date_field(page)).to_have_attribute("max", morning.isoformat())
    expect(page).to_have_url(re.compile(rf"/checkin\?date={morning}$"))
    expect(page.locator("#queue-status")).to_have_text(
        f"It's past midnight: this is now the check-in for today, {label(morning)}."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("How are you today?")
    tap_scale(page, "Mood today", 7)
    page.get_by_role("button", name="Save check-in").tap()
    expect(page).to_have_url(re.compile(rf"/entries/{morning}$"), timeout=10_000)
    assert stored(live_server, email, morning.isoformat())["mood"] == 7
    assert stored(live_server, email, evening.isoformat()) is None


def test_a_check_in_written_in_keeps_its_day_and_says_which(page, live_server):
    """Words written: the form stays for its day, and says so plainly; today may be chosen. A
    Save keeps it for the day shown."""
    email, evening = signed_up_in_the_evening(page)
    tap_scale(page, "Mood today", 4)
    page.get_by_label("Reflection", exact=True).fill(WORDS)
    morning = midnight_passes(page)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"How was {label(evening)}?", timeout=10_000)
    expect(page.locator("#day-note")).to_have_text(
        f"It's past midnight: this check-in is for {label(evening)}. To check in for today "
        "instead, change the date."
    )
    expect(page.get_by_role("group", name="Mood that day")).to_be_visible()
    expect(date_field(page)).to_have_value(evening.isoformat())
    expect(date_field(page)).to_have_attribute("max", morning.isoformat())
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(WORDS)
    page.get_by_role("button", name="Save check-in").tap()
    expect(page).to_have_url(re.compile(rf"/entries/{evening}$"), timeout=10_000)
    row = stored(live_server, email, evening.isoformat())
    assert (row["mood"], row["reflection"]) == (4, WORDS)


def test_a_save_past_midnight_says_which_day_first(page, live_server):
    """Saved at once on coming back (before the page was told it was shown again): the Save
    waits once, saying the day; the next one keeps it there."""
    email, evening = signed_up_in_the_evening(page)
    tap_scale(page, "Mood today", 5)
    page.get_by_label("Reflection", exact=True).fill(WORDS)
    zone_changed_elsewhere(page)
    # A click, not a tap (conftest's tap brings the tab to the front first, which tells it).
    page.get_by_role("button", name="Save check-in").click()
    status = page.locator("#queue-status")
    expect(status).to_contain_text(
        f"Not saved yet: it's past midnight, so this check-in is for {label(evening)}.",
        timeout=10_000,
    )
    expect(status).to_be_focused()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"How was {label(evening)}?")
    assert stored(live_server, email, evening.isoformat()) is None
    page.get_by_role("button", name="Save check-in").tap()
    expect(page).to_have_url(re.compile(rf"/entries/{evening}$"), timeout=10_000)
    assert stored(live_server, email, evening.isoformat())["reflection"] == WORDS
