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
from test_browser import ANSWERS, sign_up, tap_scale
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


def zone_changed_elsewhere(page, zone=MORNING):
    """The person's zone changed in another tab (to MORNING: their day moves on)."""
    other = page.context.new_page()
    other.goto("/settings")
    other.get_by_label("Time zone").select_option(zone)
    other.get_by_role("button", name="Save settings").tap()
    expect(other.get_by_label("Time zone")).to_have_value(zone)
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
    expect(status).to_have_text(
        f"Not saved yet: save again to keep it for {label(evening)}, or change the date to today.",
        timeout=10_000,
    )
    expect(status).to_be_focused()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"How was {label(evening)}?")
    assert stored(live_server, email, evening.isoformat()) is None
    page.get_by_role("button", name="Save check-in").tap()
    expect(page).to_have_url(re.compile(rf"/entries/{evening}$"), timeout=10_000)
    assert stored(live_server, email, evening.isoformat())["reflection"] == WORDS


def checkup_days(live_server, email):
    return [
        day
        for (day,) in live_server.query(
            "select day from assessments join users on users.id = user_id where email = ?",
            email,
        )
    ]


def answer_first(page):
    question = page.get_by_role("group", name=re.compile(r"^1\. "))
    question.get_by_text(ANSWERS[1], exact=True).tap()


def test_an_untouched_check_up_is_dated_the_new_today(page, live_server):
    """Nothing answered yet: the date is the new today's, and the check-up is saved there."""
    email, _ = signed_up_in_the_evening(page)
    page.goto("/assessments/gad7")
    morning = midnight_passes(page)
    expect(date_field(page)).to_have_value(morning.isoformat(), timeout=10_000)
    expect(date_field(page)).to_have_attribute("max", morning.isoformat())
    for number in range(1, 8):
        question = page.get_by_role("group", name=re.compile(rf"^{number}\. "))
        question.get_by_text(ANSWERS[0], exact=True).tap()
    page.get_by_role("button", name="Save and see my score").tap()
    expect(page).to_have_url(re.compile(r"/assessments/\d+$"), timeout=10_000)
    assert checkup_days(live_server, email) == [morning.isoformat()]


def test_a_check_up_answered_before_midnight_keeps_its_day_and_says_which(page, live_server):
    """Answered on the evening, saved on the morning: dated the evening, said beside the date
    (the Save waits once to say it), and today may be chosen."""
    email, evening = signed_up_in_the_evening(page)
    page.goto("/assessments/gad7")
    for number in range(1, 8):
        question = page.get_by_role("group", name=re.compile(rf"^{number}\. "))
        question.get_by_text(ANSWERS[1], exact=True).tap()
    zone_changed_elsewhere(page)
    page.get_by_role("button", name="Save and see my score").click()
    note = page.locator("#new-day-note")
    expect(note).to_have_text(
        f"It's past midnight: this check-up is dated {label(evening)}. To date it today "
        "instead, change the date.",
        timeout=10_000,
    )
    expect(note).to_be_focused()
    expect(date_field(page)).to_have_value(evening.isoformat())
    expect(date_field(page)).to_have_attribute("max", day_in(MORNING).isoformat())
    assert checkup_days(live_server, email) == []
    page.get_by_role("button", name="Save and see my score").click()
    expect(page).to_have_url(re.compile(r"/assessments/\d+$"), timeout=10_000)
    assert checkup_days(live_server, email) == [evening.isoformat()]


def session_days(live_server, email):
    return [
        day
        for (day,) in live_server.query(
            "select day from sessions join users on users.id = user_id where email = ?", email
        )
    ]


def test_an_untouched_session_form_takes_the_new_days_time(page):
    """Nothing changed: its date and time (and their latest) are the new day's."""
    signed_up_in_the_evening(page)
    page.goto("/sessions/new")
    morning = midnight_passes(page)
    when = page.get_by_label("Date and time")
    expect(when).to_have_value(re.compile(rf"^{morning}T\d\d:\d\d$"), timeout=10_000)
    expect(when).to_have_attribute("max", re.compile(rf"^{morning}T"))


def test_a_session_written_before_midnight_keeps_its_day_and_says_which(page, live_server):
    """Filled in on the evening: the time it was given stays, said beside it, and a later one
    may be chosen; saved, it is the evening's."""
    email, evening = signed_up_in_the_evening(page)
    page.goto("/sessions/new")
    page.get_by_text("Esketamine (Spravato)").tap()
    page.get_by_label("How it was given").select_option("intranasal")
    page.get_by_label("Total dose in mg").fill("56")
    morning = midnight_passes(page)
    expect(page.locator("#new-day-note")).to_have_text(
        f"It's past midnight: this session is dated {label(evening)}. To date it today "
        "instead, change the date.",
        timeout=10_000,
    )
    when = page.get_by_label("Date and time")
    expect(when).to_have_value(re.compile(rf"^{evening}T"))
    expect(when).to_have_attribute("max", re.compile(rf"^{morning}T"))
    page.get_by_role("button", name="Save session").tap()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"), timeout=10_000)
    assert session_days(live_server, email) == [evening.isoformat()]


def test_a_session_form_left_open_the_same_day_takes_a_later_time(context, page):
    """Made at 09:00 and saved at 11:30: the picker refused a session at 11:00, past the page's
    moment (its latest). Shown again, and before Save, its latest is this moment, the same
    day too."""
    context.clock.install(time=datetime.now(UTC))
    signed_up_in_the_evening(page)
    # The same day is the case here: within half an hour of EVENING's midnight, the person
    # lives in London (eleven or twelve hours from it) instead.
    there = datetime.now(ZoneInfo(EVENING))
    if there.hour == 23 and there.minute >= 30:
        zone_changed_elsewhere(page, "Europe/London")
    page.goto("/sessions/new")
    when = page.get_by_label("Date and time")
    made = when.get_attribute("max")
    evening = made[:10]
    minutes = 20
    context.clock.fast_forward(minutes * 60_000)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    later = (datetime.fromisoformat(made) + timedelta(minutes=minutes)).isoformat()[:16]
    expect(when).to_have_attribute("max", re.compile(rf"^{evening}T"), timeout=10_000)
    expect(when).not_to_have_attribute("max", made, timeout=10_000)
    assert when.get_attribute("max") >= later
    expect(page.locator("#new-day-note")).to_have_count(0)
