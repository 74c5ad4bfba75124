"""Filling in another day in a real browser: a form never carries one day's answers onto another.

Debian's Chromium through Playwright at 390 x 844 against the live gunicorn server from
conftest.py, with script and without. What the server stored is read from its database file,
read-only.
"""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from test_browser import (
    check_in,
    flash,
    form_today,
    open_more,
    post_form,
    save,
    scale_radio,
    serious_violations,
    sideways_overflow,
    sign_up,
    tap_scale,
    wait_in_page,
)

from journal.timezones import day_text, day_text_near

pytestmark = pytest.mark.browser

COLUMNS = ("mood", "sleep_hours", "tags", "reflection", "private", "self_harm")
TODAYS_WORDS = "Today's own words"


def stored(live_server, email, day):
    """The answers stored for `email` on `day`, or None."""
    rows = live_server.query(
        f"select {', '.join(COLUMNS)} from checkins join users on users.id = user_id"  # noqa: S608
        " where users.email = ? and day = ?",
        email,
        day,
    )
    return dict(zip(COLUMNS, rows[0], strict=True)) if rows else None


def check_in_fully(page):
    """Today's check-in with a reflection, a tag, sleep, private and the self-harm box."""
    page.goto("/checkin")
    tap_scale(page, "Mood today", 7)
    open_more(page)
    page.get_by_label("Hours of sleep last night").fill("7.5")
    page.get_by_label("Tags", exact=True).fill("walk")
    page.get_by_label("Reflection", exact=True).fill(TODAYS_WORDS)
    page.get_by_label("Keep this reflection private").check()
    page.get_by_label("I've had thoughts of harming myself").check()
    return save(page)


def write_on(page, day, mood, words):
    """Open the check-in form of `day` (ISO text), choose `mood` and write `words` (unsaved)."""
    page.goto(f"/checkin?date={day}")
    tap_scale(page, "Mood that day", mood)
    page.get_by_label("Reflection", exact=True).fill(words)


YESTERDAYS_WORDS = "Yesterday's words, not saved yet."


def yesterdays_words_left(page):
    """A new patient who wrote YESTERDAYS_WORDS (mood 3) on yesterday's check-in and left it
    unsaved for History: (their email, today, yesterday), days as ISO text."""
    email = sign_up(page)
    today = form_today(page)
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    write_on(page, yesterday, 3, YESTERDAYS_WORDS)
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.goto("/entries")
    return email, today, yesterday


def only_the_mood(mood):
    return {"mood": mood, "sleep_hours": None, "tags": "", "reflection": "", "private": 0,
            "self_harm": None}  # fmt: skip


def expect_empty_answers(page):
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("")
    expect(page.get_by_label("Tags", exact=True)).to_have_value("")
    expect(page.get_by_label("Hours of sleep last night")).to_have_value("")
    expect(page.get_by_label("Keep this reflection private")).not_to_be_checked()
    expect(page.get_by_label("I've had thoughts of harming myself")).not_to_be_checked()


def change_the_date_of_todays_form(page, live_server):
    """Register, check in fully today, open the check-in again (today's answers) and change
    only its date, to three days back: (email, today, today's stored row, that day)."""
    email = sign_up(page)
    today = check_in_fully(page)
    today_before = stored(live_server, email, today)
    earlier = (date.fromisoformat(today) - timedelta(days=3)).isoformat()

    page.get_by_role("link", name="Check in", exact=True).tap()
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(TODAYS_WORDS)
    page.get_by_label("Date", exact=True).fill(earlier)
    return email, today, today_before, earlier


def test_changing_the_date_opens_that_day_and_never_copies_today(page, live_server):
    """The issue's steps: today in full, Check in again, only the date changed, a mood."""
    email, today, today_before, earlier = change_the_date_of_todays_form(page, live_server)
    said = day_text_near(date.fromisoformat(earlier), date.fromisoformat(today), "weekday")
    expect(page.locator("h1")).to_have_text(f"How was {said}?")
    expect(page).to_have_url(re.compile(rf"/checkin\?date={earlier}$"))
    # The mood question asks about that day, not about today.
    expect(page.locator("fieldset#mood > legend")).to_have_text("Mood that day")
    expect_empty_answers(page)
    expect(scale_radio(page, "Mood that day", 7)).not_to_be_checked()
    expect(page.get_by_role("button", name="Save check-in")).to_be_visible()
    tap_scale(page, "Mood that day", 3)
    assert save(page) == earlier

    expect(flash(page)).to_contain_text("Saved your check-in for")
    expect(page.locator("#crisis-resources")).to_have_count(0)  # nothing to flag
    expect(page.locator(".reflection")).to_have_count(0)
    assert stored(live_server, email, earlier) == only_the_mood(3)
    assert stored(live_server, email, today) == today_before


def test_changing_the_date_shows_the_words_that_day_had_saved_beside_the_typed_ones(
    page, live_server
):
    """Today's reflection edited, then the date changed onto a day with its own reflection:
    the typed words stay in the box and that day's saved words show beside them, never hidden
    under them; back on today, today's own saved words show instead."""
    email = sign_up(page)
    today = form_today(page)
    earlier = (date.fromisoformat(today) - timedelta(days=2)).isoformat()
    write_on(page, earlier, 4, "Mum's birthday\nprecious words")
    assert save(page) == earlier
    check_in_fully(page)

    page.goto("/checkin")
    typed = f"{TODAYS_WORDS}. And in the evening I felt calmer."
    page.get_by_label("Reflection", exact=True).fill(typed)
    page.get_by_label("Date", exact=True).fill(earlier)
    expect(page.locator("#queue-status")).to_contain_text("with what you changed")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(typed)
    replaced = page.locator("#replaced-words")
    expect(replaced).to_be_visible()
    expect(replaced.locator("dt")).to_have_text(["Reflection, as saved"])
    expect(replaced.locator("dd")).to_have_text(["Mum's birthday\nprecious words"])
    assert stored(live_server, email, earlier)["reflection"] == "Mum's birthday\nprecious words"

    page.get_by_label("Date", exact=True).fill(today)  # back to the day the words came from
    expect(replaced.locator("dd")).to_have_text([TODAYS_WORDS])
    expect(page.locator("fieldset#mood > legend")).to_have_text("Mood today")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(typed)


def test_a_day_of_another_year_is_told_with_its_year(page):
    """The form turned to a day of last year said "This is now the form for Mon 28 Dec", as
    if it were a day still to come: the script writes the year, as the page's heading does."""
    sign_up(page)
    last_year = date(date.fromisoformat(form_today(page)).year - 1, 12, 28)
    page.get_by_label("Date", exact=True).fill(last_year.isoformat())
    expect(page.locator("#queue-status")).to_contain_text(
        f"This is now the form for {day_text(last_year, 'short_year')}: an empty check-in."
    )
    expect(page.locator("h1")).to_have_text(f"How was {day_text(last_year, 'weekday_year')}?")


def test_a_day_still_to_come_is_said_when_chosen_not_only_at_save(page):
    """Tomorrow chosen in the date field left the form as it was, heading and all ("How are
    you today?" above a date of tomorrow), with no word until Save. It says at once that the
    day is still to come and which day the form is still for."""
    sign_up(page)
    today = date.fromisoformat(form_today(page))
    tomorrow = today + timedelta(days=1)
    page.get_by_label("Date", exact=True).fill(tomorrow.isoformat())
    status = page.locator("#queue-status")
    expect(status).to_contain_text(f"{day_text_near(tomorrow, today, 'short')} is still to come")
    expect(status).to_contain_text(f"still for {day_text_near(today, today, 'short')}")


def test_a_day_still_to_come_leaves_the_mood_question_the_forms_own(page):
    """With tomorrow refused, the heading still asked "How are you today?" and the note said
    the form was still for today, but the mood question above the scale had turned to "Mood
    that day", as if the answer were for tomorrow."""
    sign_up(page)
    today = date.fromisoformat(form_today(page))
    page.get_by_label("Date", exact=True).fill((today + timedelta(days=1)).isoformat())
    expect(page.locator("#queue-status")).to_contain_text("is still to come")
    expect(page.locator("h1")).to_have_text("How are you today?")
    expect(page.locator("fieldset#mood > legend")).to_have_text("Mood today")


def test_what_was_changed_before_the_date_stays_and_a_saved_day_shows_its_answers(
    page, live_server
):
    email = sign_up(page)
    today = form_today(page)
    earlier = (date.fromisoformat(today) - timedelta(days=2)).isoformat()
    page.get_by_label("Date", exact=True).fill(earlier)
    # As a person sees the form turn to that day before answering: opening it can show the
    # day's note above the scale, and a tap aimed before the page moved would miss.
    expect(page.locator("#queue-status")).to_contain_text("This is now the form for")
    tap_scale(page, "Mood that day", 4)
    page.get_by_label("Tags", exact=True).fill("piano")
    page.get_by_label("Reflection", exact=True).fill("That day's words")
    assert save(page) == earlier
    check_in_fully(page)

    page.goto("/checkin")
    tap_scale(page, "Mood today", 6)  # changed before the date: kept
    page.get_by_label("Date", exact=True).fill(earlier)
    expect(page.locator("#queue-status")).to_contain_text(
        "its saved answers, with what you changed"
    )
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("That day's words")
    expect(page.get_by_label("Tags", exact=True)).to_have_value("piano")
    expect(scale_radio(page, "Mood that day", 6)).to_be_checked()
    expect(page.get_by_label("I've had thoughts of harming myself")).not_to_be_checked()
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    assert save(page) == earlier
    assert stored(live_server, email, earlier) == {
        **only_the_mood(6),
        "tags": "piano",
        "reflection": "That day's words",
    }


def test_without_script_a_changed_date_saves_nothing_and_shows_that_day(
    browser, browser_context_args, live_server
):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        page = context.new_page()
        email, today, today_before, earlier = change_the_date_of_todays_form(page, live_server)
        tap_scale(page, "Mood today", 3)
        page.get_by_role("button", name="Save changes").tap()

        expect(page.locator("#day-note")).to_contain_text(
            "You changed the date, so nothing was saved yet."
        )
        assert stored(live_server, email, earlier) is None
        expect_empty_answers(page)
        expect(scale_radio(page, "Mood that day", 3)).to_be_checked()
        assert save(page) == earlier
        assert stored(live_server, email, earlier) == only_the_mood(3)
        assert stored(live_server, email, today) == today_before
    finally:
        context.close()


@pytest.mark.parametrize("width", (390, 360))
def test_history_add_link_fills_in_a_missed_day(page, live_server, width):
    page.set_viewport_size({"width": width, "height": 844})
    email = sign_up(page)
    today = date.fromisoformat(form_today(page))
    days = [(today - timedelta(days=n)).isoformat() for n in range(5)]
    page.get_by_label("Date", exact=True).fill(days[4])
    expect(page.locator("#queue-status")).to_contain_text("This is now the form for")
    tap_scale(page, "Mood that day", 5)
    save(page)

    page.goto("/entries")
    summary = page.get_by_text("3 days without a check-in in the last two weeks")
    summary.tap()
    links = page.get_by_role("link", name=re.compile(r"^Add a check-in for "))
    expect(links).to_have_count(3)
    assert sideways_overflow(page) == 0
    assert serious_violations(page) == []
    box = links.first.bounding_box()
    assert box["height"] >= 44
    links.first.tap()
    expect(page).to_have_url(re.compile(rf"/checkin\?date={days[1]}$"))
    expect(page.get_by_label("Date", exact=True)).to_have_value(days[1])
    expect_empty_answers(page)
    tap_scale(page, "Mood that day", 6)
    assert save(page) == days[1]

    page.goto("/entries")
    page.get_by_text("2 days without a check-in").tap()
    hrefs = page.get_by_role("link", name=re.compile(r"^Add ")).evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert hrefs == [f"/checkin?date={days[2]}", f"/checkin?date={days[3]}"]
    assert stored(live_server, email, days[1]) == only_the_mood(6)


# Two tabs on the same day ----------------------------------------------------------------


@pytest.mark.parametrize("second_tab", ["/checkin", "/entries/{day}/edit"])
def test_a_second_tab_never_overwrites_what_the_first_saved(page, live_server, second_tab):
    """Tab one adds to today's reflection and saves; tab two, opened before that, changes only
    the mood and saves: nothing of tab one's words is lost, and tab two's mood is kept."""
    email = sign_up(page)
    day = check_in_fully(page)
    other = page.context.new_page()
    other.goto(second_tab.format(day=day))
    page.goto(f"/entries/{day}/edit")
    page.get_by_label("Reflection", exact=True).fill(f"{TODAYS_WORDS}, and more from tab one")
    save(page)
    tap_scale(other, "Mood today", 3)
    other.get_by_role("button", name="Save changes").tap()
    expect(other.locator("#day-note")).to_contain_text("was saved elsewhere")
    assert stored(live_server, email, day)["mood"] == 7  # nothing saved yet
    expect(other.get_by_label("Reflection", exact=True)).to_have_value(
        f"{TODAYS_WORDS}, and more from tab one"
    )
    expect(scale_radio(other, "Mood today", 3)).to_be_checked()
    save(other)
    saved = stored(live_server, email, day)
    assert (saved["mood"], saved["reflection"]) == (3, f"{TODAYS_WORDS}, and more from tab one")
    assert (saved["tags"], saved["sleep_hours"], saved["self_harm"]) == ("walk", 7.5, 1)


def test_the_character_count_counts_an_emoji_as_one_character_as_the_journal_does(page):
    """The count said two for each emoji (UTF-16 units), so it passed the limit while the
    journal, which counts characters, still took the reflection."""
    from journal.checkin_form import REFLECTION_MAX

    sign_up(page)
    open_more(page)
    box = page.get_by_label("Reflection", exact=True)
    box.fill("🌿" * (REFLECTION_MAX * 9 // 10))
    counter = page.locator("[data-counter-for='reflection']")
    expect(counter).to_have_text(f"{REFLECTION_MAX * 9 // 10:,} of {REFLECTION_MAX:,} characters")
    box.fill("🌿" * (REFLECTION_MAX // 2))
    expect(counter).to_be_hidden()  # under four fifths of the limit: no count shown


def test_a_check_in_left_unsaved_comes_back_for_its_own_day(page, context, live_server):
    """A reflection typed in the check-in and then left (the tab closed, the phone's browser
    dropping it) was gone when the check-in was opened again; written for an earlier day, it
    comes back on that day's form, and saving it saves it there, once."""
    email = sign_up(page)
    today = form_today(page)
    earlier = (date.fromisoformat(today) - timedelta(days=2)).isoformat()
    page.get_by_label("Date", exact=True).fill(earlier)
    expect(page).to_have_url(re.compile(rf"date={earlier}$"))
    tap_scale(page, "Mood that day", 3)
    words = "A heavy morning, then a walk."
    page.get_by_label("Reflection", exact=True).fill(words)
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.close()
    page = context.new_page()
    page.goto("/checkin")
    expect(page.locator("#draft-note")).to_contain_text("It is not saved yet")
    expect(page.get_by_label("Date", exact=True)).to_have_value(earlier)
    expect(page.locator("#checkin-title")).not_to_have_text("How are you today?")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(words)
    expect(scale_radio(page, "Mood that day", 3)).to_be_checked()
    assert save(page) == earlier
    assert stored(live_server, email, earlier)["reflection"] == words
    assert stored(live_server, email, today) is None
    page.goto("/checkin")
    expect(page.locator("#draft-note")).to_have_count(0)
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("")


def test_words_left_for_another_day_say_which_and_clearing_them_opens_the_day_asked_for(
    page, context
):
    """Words left on one missed day's check-in turned the next form opened, another missed
    day's (History's "Add"), to their day with only "What you wrote here ... is back": the
    person could save them, or a new mood, on a day they never meant. And "Clear what was put
    back" reloaded the words' day, empty, not the day they had opened. The note names both
    days, and clearing opens the day asked for."""
    sign_up(page)
    today = date.fromisoformat(form_today(page))
    written, asked = today - timedelta(days=2), today - timedelta(days=4)
    write_on(page, written.isoformat(), 3, "Words for the other day.")
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.close()
    page = context.new_page()
    page.goto(f"/checkin?date={asked.isoformat()}")
    note = page.locator("#draft-note")
    expect(note).to_contain_text(f"written for {day_text_near(written, today, 'short')}")
    expect(note).to_contain_text(f"not for {day_text_near(asked, today, 'short')}")
    expect(page.get_by_label("Date", exact=True)).to_have_value(written.isoformat())
    expect(page.locator("#queue-status")).to_contain_text("with what you wrote before")
    page.get_by_role("button", name="Clear what was put back").tap()
    expect(page).to_have_url(re.compile(rf"date={asked.isoformat()}$"))
    expect(page.get_by_label("Date", exact=True)).to_have_value(asked.isoformat())
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("")
    expect(page.locator("#draft-note")).to_have_count(0)


def test_every_answer_left_on_another_days_form_comes_back_even_one_today_shares(page, live_server):
    """Yesterday's saved form, changed to a mood and a private box that today's check-in
    happens to have, then left: the answers came back onto yesterday's form judged against
    today's (on which the draft is first put back), so those two looked untouched and
    yesterday's saved mood and "shared" came back instead; Save then shared words the person
    had just marked private. Every answer the draft holds comes back."""
    email = sign_up(page)
    check_in_fully(page)  # today: mood 7, private
    today = form_today(page)
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    page.get_by_label("Date", exact=True).fill(yesterday)
    expect(page).to_have_url(re.compile(rf"date={yesterday}$"))
    tap_scale(page, "Mood that day", 2)
    assert save(page) == yesterday  # yesterday: mood 2, shared
    page.goto(f"/checkin?date={yesterday}")
    expect(scale_radio(page, "Mood that day", 2)).to_be_checked()
    tap_scale(page, "Mood that day", 7)
    page.get_by_label("Keep this reflection private").check()
    words = "Not for anyone else, not even my therapist."
    page.get_by_label("Reflection", exact=True).fill(words)
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.goto("/entries")
    page.goto("/checkin")
    expect(page.locator("#draft-note")).to_contain_text("It is not saved yet")
    expect(page).to_have_url(re.compile(rf"date={yesterday}$"))
    expect(page.locator("#queue-status")).to_contain_text("with what you wrote before")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(words)
    expect(scale_radio(page, "Mood that day", 7)).to_be_checked()
    expect(page.get_by_label("Keep this reflection private")).to_be_checked()
    assert save(page) == yesterday
    kept = stored(live_server, email, yesterday)
    assert (kept["mood"], kept["private"], kept["reflection"]) == (7, 1, words)
    assert stored(live_server, email, today)["reflection"] == TODAYS_WORDS


def test_words_left_on_an_empty_days_form_never_wipe_what_was_saved_there_since(page, live_server):
    """Yesterday's empty form: a mood and words, left. Another device then saves yesterday,
    private, with a tag. Carried back to yesterday, the draft put back only what the person
    gave: its unticked box and empty tags must not make the saved words shared and drop
    the tag."""
    email = sign_up(page)
    today = form_today(page)
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    write_on(page, yesterday, 6, "Words from this phone")
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.goto("/entries")
    elsewhere = {"date": yesterday, "mood": "3", "private": "y", "tags": "walk",
                 "reflection": "Words from the other phone"}  # fmt: skip
    post_form(page, "/checkin", elsewhere, form_path=f"/checkin?date={yesterday}")
    page.goto("/checkin")
    expect(page).to_have_url(re.compile(rf"date={yesterday}$"))
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("Words from this phone")
    expect(page.get_by_label("Keep this reflection private")).to_be_checked()
    expect(page.get_by_label("Tags", exact=True)).to_have_value("walk")
    assert save(page) == yesterday
    kept = stored(live_server, email, yesterday)
    assert (kept["private"], kept["tags"]) == (1, "walk")
    assert kept["reflection"] == "Words from this phone"


def test_the_missed_days_list_looks_like_it_opens(page):
    """History's "days without a check-in" line is a summary that opens the list of days to
    fill in, but shown as flex it lost the browser's triangle and read as a heading."""
    sign_up(page)
    today = date.fromisoformat(form_today(page))
    page.get_by_label("Date", exact=True).fill((today - timedelta(days=3)).isoformat())
    expect(page).to_have_url(re.compile(r"date="))
    tap_scale(page, "Mood that day", 5)
    save(page)
    page.goto("/entries")
    summary = page.locator("details.missed > summary")
    marker = "s => getComputedStyle(s, '::before').content"
    closed = summary.evaluate(marker)
    assert closed not in ("none", "normal", "")
    summary.tap()
    expect(page.get_by_role("link", name=re.compile(r"^Add a check-in for ")).first).to_be_visible()
    assert summary.evaluate(marker) not in ("none", "normal", "", closed)


def test_words_put_back_in_the_check_in_can_be_cleared_in_one_tap(page):
    """The check-in has no Cancel: words left in it, put back when it opens again, are let go
    with the note's Clear, and the form is the day's as the journal has it."""
    sign_up(page)
    page.goto("/checkin")
    page.get_by_label("Reflection", exact=True).fill("Old words, saved another way since.")
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.reload()
    expect(page.locator("#draft-note")).to_be_visible()
    page.get_by_role("button", name="Clear what was put back").tap()
    expect(page.locator("#draft-note")).to_have_count(0)
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("")
    page.reload()
    expect(page.locator("#draft-note")).to_have_count(0)
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("")


def test_words_left_on_an_empty_day_saved_since_elsewhere_come_back_said_and_on_top(
    page, live_server, browser, browser_context_args
):
    """Words left in today's empty check-in were put back whole over the day as another phone
    saved it meanwhile: its reflection hidden under them, its mood and sleep unticked, nothing
    said, and Save silently changed its mood. Now the note says it was saved elsewhere, the
    form shows it as saved with the words on top, and its saved reflection is shown beside."""
    from test_browser import log_in

    email = sign_up(page)
    page.goto("/checkin")
    tap_scale(page, "Mood today", 3)
    words = "Written on the bus, left unsaved."
    page.get_by_label("Reflection", exact=True).fill(words)
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.goto("/entries")

    laptop = browser.new_context(**browser_context_args)
    other = laptop.new_page()
    log_in(other, email)
    expect(other).to_have_url(re.compile(r"/checkin$"))
    tap_scale(other, "Mood today", 8)
    open_more(other)
    other.get_by_label("Hours of sleep last night").fill("7.5")
    other.get_by_label("Reflection", exact=True).fill(TODAYS_WORDS)
    today = save(other)
    laptop.close()

    page.goto("/checkin")
    note = page.locator("#draft-note")
    expect(note).to_contain_text("It is not saved yet")
    expect(note).to_contain_text("saved elsewhere")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(words)
    expect(page.locator("#replaced-words")).to_be_visible()
    expect(page.locator("#replaced-words")).to_contain_text(TODAYS_WORDS)
    expect(scale_radio(page, "Mood today", 3)).to_be_checked()  # the words' own choice, on top
    expect(page.get_by_label("Hours of sleep last night")).to_have_value("7.5")
    assert save(page) == today
    saved = stored(live_server, email, today)
    assert (saved["mood"], saved["sleep_hours"], saved["reflection"]) == (3, 7.5, words)


def test_words_left_in_a_second_tab_stay_when_the_first_tab_saves(page, context, live_server):
    """The check-in open in two tabs keeps one draft: the first tab's Save took its place and
    went once saved, so words typed in the second tab and left there were gone. They come back
    when the check-in opens again."""
    email = sign_up(page)
    page.goto("/checkin")
    page.get_by_label("Reflection", exact=True).fill("From the first tab.")
    second = context.new_page()
    second.goto("/checkin")
    words = "From the second tab, written after."
    second.get_by_label("Reflection", exact=True).fill(words)
    second.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    tap_scale(page, "Mood today", 5)
    today = save(page)
    assert stored(live_server, email, today)["reflection"] == "From the first tab."
    second.goto("/progress")  # left unsaved
    second.close()
    # What a tab writes to the device's storage reaches another tab a moment later (Chromium
    # passes it between processes): under load, sooner than a person could switch tabs.
    wait_in_page(
        page, "(words) => (localStorage.getItem('afterglow-drafts') || '').includes(words)", words
    )
    page.goto("/checkin")
    expect(page.locator("#draft-note")).to_contain_text("It is not saved yet")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(words)


def test_sleep_typed_with_a_comma_or_unreadable_is_kept_or_said_never_dropped(page, live_server):
    # A number input sends nothing for text it cannot read: "7,5" in an English browser, or
    # "1e309", and the check-in was saved without its sleep and without a word.
    email = sign_up(page)
    page.goto("/checkin")
    tap_scale(page, "Mood today", 6)
    open_more(page)
    page.get_by_label("Hours of sleep last night").fill("1e309")
    page.get_by_role("button", name="Save check-in").tap()
    expect(page.locator("#sleep_hours-error")).to_contain_text("Enter hours as a number")
    expect(page.get_by_label("Hours of sleep last night")).to_have_value("1e309")
    page.get_by_label("Hours of sleep last night").fill("7,5")
    day = save(page)
    assert stored(live_server, email, day)["sleep_hours"] == 7.5


def in_another_tab(context, path):
    """Post the form at `path` (a symptom's Stop or Track again) from another tab."""
    other = context.new_page()
    post_form(other, path, {}, form_path="/settings/symptoms")
    other.close()


def pain_id(live_server, email):
    (row,) = live_server.query(
        "select s.id from symptoms s join users u on u.id = s.user_id"
        " where u.email = ? and s.name = 'Pain'",
        email,
    )
    return row[0]


def symptom_scores(live_server, email, day):
    """{symptom name: score} stored for `email`'s check-in of `day`."""
    return dict(
        live_server.query(
            "select s.name, sc.value from symptom_scores sc join symptoms s on s.id = sc.symptom_id"
            " join checkins c on c.id = sc.checkin_id join users u on u.id = c.user_id"
            " where u.email = ? and c.day = ?",
            email,
            day,
        )
    )


@pytest.mark.parametrize("mine", [9, 3])
def test_ratings_chosen_before_the_date_stay_whatever_that_day_saved(page, live_server, mine):
    """Mood and anxiety chosen on today's form, then the date changed to a day saved with
    other ratings (mood 8, anxiety 8): each group's saved rating, set as its default, ticked
    itself and unticked the person's choice, so Save cleared the anxiety without a word (and a
    lower mood than the saved one, too)."""
    email = sign_up(page)
    yesterday = (date.fromisoformat(form_today(page)) - timedelta(days=1)).isoformat()
    page.goto(f"/checkin?date={yesterday}")
    tap_scale(page, "Mood that day", 8)
    open_more(page)
    tap_scale(page, "Anxiety", 8)
    assert save(page) == yesterday
    page.goto("/checkin")
    tap_scale(page, "Mood today", mine)
    open_more(page)
    tap_scale(page, "Anxiety", 3)
    page.get_by_label("Date", exact=True).fill(yesterday)
    expect(page.locator("#queue-status")).to_contain_text("with what you changed")
    expect(scale_radio(page, "Mood that day", mine)).to_be_checked()
    expect(scale_radio(page, "Anxiety", 3)).to_be_checked()
    assert save(page) == yesterday
    rows = live_server.query(
        "select mood, anxiety from checkins join users on users.id = user_id"
        " where email = ? and day = ?",
        email,
        yesterday,
    )
    assert rows == [(mine, 3)]


def test_a_symptom_brought_back_elsewhere_keeps_its_rating_when_the_date_changes(
    page, context, live_server
):
    """Pain rated 7 yesterday, then stopped. Today's form opened (no Pain on it); Pain is
    tracked again in another tab; the date changed to yesterday and saved: the fetched form's
    list of rated symptoms (with Pain) replaced this form's, so the server took Pain as left
    empty and deleted yesterday's 7."""
    email = sign_up(page)
    yesterday = (date.fromisoformat(form_today(page)) - timedelta(days=1)).isoformat()
    post_form(page, "/settings/symptoms", {"name": "Pain"})
    page.goto(f"/checkin?date={yesterday}")
    tap_scale(page, "Mood that day", 5)
    open_more(page)
    tap_scale(page, "Pain", 7)
    assert save(page) == yesterday
    pain = pain_id(live_server, email)
    post_form(page, f"/settings/symptoms/{pain}/retire", {}, form_path="/settings/symptoms")
    page.goto("/checkin")
    expect(page.get_by_role("group", name="Pain")).to_have_count(0)
    in_another_tab(context, f"/settings/symptoms/{pain}/restore")
    page.get_by_label("Date", exact=True).fill(yesterday)
    expect(page).to_have_url(re.compile(rf"date={yesterday}$"))
    expect(scale_radio(page, "Mood that day", 5)).to_be_checked()
    page.get_by_label("Reflection", exact=True).fill("A line added later")
    assert save(page) == yesterday
    assert symptom_scores(live_server, email, yesterday) == {"Pain": 7}


def test_a_symptom_stopped_elsewhere_keeps_the_rating_given_when_the_date_changes(
    page, context, live_server
):
    """Pain rated 4 on today's form; Pain stopped in another tab; the date changed to an
    empty day and saved: the rating showed ticked but was dropped without a word."""
    email = sign_up(page)
    yesterday = (date.fromisoformat(form_today(page)) - timedelta(days=1)).isoformat()
    post_form(page, "/settings/symptoms", {"name": "Pain"})
    pain = pain_id(live_server, email)
    page.goto("/checkin")
    tap_scale(page, "Mood today", 6)
    open_more(page)
    tap_scale(page, "Pain", 4)
    in_another_tab(context, f"/settings/symptoms/{pain}/retire")
    page.get_by_label("Date", exact=True).fill(yesterday)
    expect(page).to_have_url(re.compile(rf"date={yesterday}$"))
    expect(scale_radio(page, "Pain", 4)).to_be_checked()
    assert save(page) == yesterday
    assert symptom_scores(live_server, email, yesterday) == {"Pain": 4}


def test_a_symptom_added_while_writing_keeps_its_rating_when_the_words_come_back(page, live_server):
    """Words typed on today's check-in, then "Track a symptom of your own" (a link on the form)
    to add Pain, then the check-in again, the words put back: Pain rated 6 and saved was
    dropped without a word, as the draft put back the old page's list of rated symptoms."""
    email = sign_up(page)
    page.goto("/checkin")
    tap_scale(page, "Mood today", 5)
    page.get_by_label("Reflection", exact=True).fill("Started before adding Pain")
    open_more(page)
    page.get_by_role("link", name="Track a symptom of your own").tap()
    page.get_by_label("Symptom to track").fill("Pain")
    page.get_by_role("button", name="Add to my check-in").tap()
    expect(page.locator(".flash")).to_contain_text("Pain is now on your check-in form")
    page.goto("/checkin")
    expect(page.locator("#draft-note")).to_be_visible()
    open_more(page)
    tap_scale(page, "Pain", 6)
    day = save(page)
    assert stored(live_server, email, day)["reflection"] == "Started before adding Pain"
    assert symptom_scores(live_server, email, day) == {"Pain": 6}


def test_a_symptom_stopped_while_an_edit_was_left_keeps_that_days_rating(page, live_server):
    """Words added on a day's edit (Pain rated 7 there) and left; Pain stopped; the edit opened
    again with the words put back and saved: the old page's list of rated symptoms came back
    with them, naming Pain, which had no field now, and the day's 7 was deleted."""
    email = sign_up(page)
    yesterday = (date.fromisoformat(form_today(page)) - timedelta(days=1)).isoformat()
    post_form(page, "/settings/symptoms", {"name": "Pain"})
    page.goto(f"/checkin?date={yesterday}")
    tap_scale(page, "Mood that day", 5)
    open_more(page)
    tap_scale(page, "Pain", 7)
    assert save(page) == yesterday
    page.goto(f"/entries/{yesterday}/edit")
    page.get_by_label("Reflection", exact=True).fill("A line added later")
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    pain = pain_id(live_server, email)
    post_form(page, f"/settings/symptoms/{pain}/retire", {}, form_path="/settings/symptoms")
    page.goto(f"/entries/{yesterday}/edit")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("A line added later")
    page.get_by_role("button", name="Save changes").tap()
    expect(page).to_have_url(re.compile(rf"/entries/{yesterday}$"))
    assert symptom_scores(live_server, email, yesterday) == {"Pain": 7}


def test_answers_on_a_form_sent_back_with_a_mistake_stay_when_the_date_changes(page, live_server):
    """A check-in sent back for its sleep ("7h"), every answer kept; the date then changed to
    an empty day: the form came back empty, as the sent answers were its defaults, which the
    script took for the day's own. Corrected and saved, the words were lost."""
    email = sign_up(page)
    earlier = (date.fromisoformat(form_today(page)) - timedelta(days=2)).isoformat()
    page.goto("/checkin")
    tap_scale(page, "Mood today", 5)
    open_more(page)
    page.get_by_label("Hours of sleep last night").fill("7h")
    page.get_by_label("Tags", exact=True).fill("walk")
    words = "A long reflection I wrote"
    page.get_by_label("Reflection", exact=True).fill(words)
    page.get_by_role("button", name="Save check-in").tap()
    expect(page.get_by_text("Enter hours as a number")).to_be_visible()
    page.get_by_label("Date", exact=True).fill(earlier)
    expect(page).to_have_url(re.compile(rf"date={earlier}$"))
    expect(page.locator("#queue-status")).to_contain_text("with what you changed")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(words)
    expect(page.get_by_label("Tags", exact=True)).to_have_value("walk")
    expect(scale_radio(page, "Mood that day", 5)).to_be_checked()
    page.get_by_label("Hours of sleep last night").fill("7")
    assert save(page) == earlier
    kept = stored(live_server, email, earlier)
    assert (kept["mood"], kept["sleep_hours"], kept["tags"], kept["reflection"]) == (
        5,
        7,
        "walk",
        words,
    )


def test_a_form_left_open_by_someone_who_signed_out_never_loads_the_next_persons_day(
    page, context, live_server
):
    """Person 1's check-in open with words typed; in another tab they sign out and person 2
    signs in and saves yesterday. Changing the date in person 1's tab filled it with person
    2's words and tags."""
    sign_up(page)
    yesterday = (date.fromisoformat(form_today(page)) - timedelta(days=1)).isoformat()
    page.get_by_label("Reflection", exact=True).fill("Person one's words")
    other = context.new_page()
    other.goto("/checkin")
    other.get_by_role("contentinfo").get_by_role("button", name="Log out").tap()
    expect(other).to_have_url(re.compile(r"/auth/login"))
    second = sign_up(other)
    post_form(
        other,
        "/checkin",
        {"date": yesterday, "mood": "4", "tags": "theirs", "reflection": "Person two's words"},
        form_path="/checkin",
    )
    assert stored(live_server, second, yesterday)["reflection"] == "Person two's words"
    page.get_by_label("Date", exact=True).fill(yesterday)
    page.wait_for_timeout(1500)  # time for the day's form to come, were it taken
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("Person one's words")
    expect(page.get_by_label("Tags", exact=True)).to_have_value("")
    expect(page.get_by_text("Person two's words")).to_have_count(0)


def test_a_symptom_stopped_elsewhere_never_carries_one_days_rating_onto_another(
    page, context, live_server
):
    """Pain 7 on one day and 2 on another; the first day's form open; Pain stopped in another
    tab; the date changed to the second day and only its mood changed: the first day's 7,
    still ticked on a field the second day's page does not have, was saved over its 2."""
    email = sign_up(page)
    today = date.fromisoformat(form_today(page))
    first, second = ((today - timedelta(days=n)).isoformat() for n in (1, 2))
    post_form(page, "/settings/symptoms", {"name": "Pain"})
    pain = pain_id(live_server, email)
    for day, score in ((first, 7), (second, 2)):
        page.goto(f"/checkin?date={day}")
        tap_scale(page, "Mood that day", 5)
        open_more(page)
        tap_scale(page, "Pain", score)
        assert save(page) == day
    page.goto(f"/checkin?date={first}")
    expect(scale_radio(page, "Pain", 7)).to_be_checked()
    in_another_tab(context, f"/settings/symptoms/{pain}/retire")
    page.get_by_label("Date", exact=True).fill(second)
    expect(page).to_have_url(re.compile(rf"date={second}$"))
    expect(scale_radio(page, "Pain", 7)).not_to_be_checked()
    tap_scale(page, "Mood that day", 6)
    assert save(page) == second
    assert symptom_scores(live_server, email, second) == {"Pain": 2}
    assert symptom_scores(live_server, email, first) == {"Pain": 7}


def test_words_left_for_one_day_stay_that_days_when_another_day_is_written(page, live_server):
    """The device kept one check-in draft for every day: yesterday's words, left unsaved, turned
    today's check-in to yesterday, and changing its date back to today carried them onto today's
    form ("with what you changed"), where today's words then replaced them. Each day keeps its
    own: yesterday's words stay yesterday's, today's form opens empty, and both come back, each
    on its own day, the note naming the other."""
    email, today, yesterday = yesterdays_words_left(page)
    its_label = day_text_near(date.fromisoformat(yesterday), date.fromisoformat(today), "short")
    theirs = YESTERDAYS_WORDS
    page.goto("/checkin")
    expect(page.get_by_label("Date", exact=True)).to_have_value(yesterday)
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(theirs)
    page.get_by_label("Date", exact=True).fill(today)
    expect(page).to_have_url(re.compile(rf"date={today}$"))
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("")
    expect(scale_radio(page, "Mood today", 3)).not_to_be_checked()
    note = page.locator("#draft-note")
    expect(note).to_contain_text(f"What you wrote for {its_label}")
    expect(page.get_by_role("button", name="Clear what was put back")).to_have_count(0)
    tap_scale(page, "Mood today", 6)
    page.get_by_label("Reflection", exact=True).fill(TODAYS_WORDS)
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.goto("/entries")

    page.goto("/checkin")
    expect(page.get_by_label("Date", exact=True)).to_have_value(today)
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(TODAYS_WORDS)
    expect(page.locator("#draft-note")).to_contain_text(f"What you wrote for {its_label} is kept")
    assert save(page) == today
    page.goto(f"/checkin?date={yesterday}")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(theirs)
    expect(scale_radio(page, "Mood that day", 3)).to_be_checked()
    assert save(page) == yesterday
    assert stored(live_server, email, today)["reflection"] == TODAYS_WORDS
    assert stored(live_server, email, yesterday)["reflection"] == theirs
    page.goto("/checkin")
    expect(page.locator("#draft-note")).to_have_count(0)


def test_changing_the_date_back_and_forth_never_puts_one_days_words_on_another(page, live_server):
    """Words kept for yesterday and for today, each day's own: moving the form's date from
    today to yesterday and back carried today's answers over yesterday's words (the draft of
    the day opened was written over), then back again onto today. Each day opens with its own
    words, whichever way the date goes, and each is saved on its own day."""
    email, today, yesterday = yesterdays_words_left(page)
    theirs = YESTERDAYS_WORDS
    page.goto("/checkin")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(theirs)
    day = page.get_by_label("Date", exact=True)
    day.fill(today)
    expect(page).to_have_url(re.compile(rf"date={today}$"))
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("")
    tap_scale(page, "Mood today", 6)
    page.get_by_label("Reflection", exact=True).fill(TODAYS_WORDS)
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    for _ in range(2):
        day.fill(yesterday)
        expect(page).to_have_url(re.compile(rf"date={yesterday}$"))
        expect(page.get_by_label("Reflection", exact=True)).to_have_value(theirs)
        expect(scale_radio(page, "Mood that day", 3)).to_be_checked()
        day.fill(today)
        expect(page).to_have_url(re.compile(rf"date={today}$"))
        expect(page.get_by_label("Reflection", exact=True)).to_have_value(TODAYS_WORDS)
        expect(scale_radio(page, "Mood today", 6)).to_be_checked()
    page.reload()
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(TODAYS_WORDS)
    assert save(page) == today
    page.goto(f"/checkin?date={yesterday}")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(theirs)
    assert save(page) == yesterday
    assert stored(live_server, email, today) == {**only_the_mood(6), "reflection": TODAYS_WORDS}
    assert stored(live_server, email, yesterday) == {**only_the_mood(3), "reflection": theirs}


def test_the_date_changed_back_while_a_drafts_day_opens_leaves_its_words_to_it(page, live_server):
    """Yesterday's words put back on today's check-in turn the form to yesterday, whose form
    is still loading (a slow connection) when the person sets the date back to today: the
    form stayed today's with yesterday's words on it, and Save put them on today. Today opens
    afresh, and the words stay kept for yesterday."""
    email, today, yesterday = yesterdays_words_left(page)
    theirs = YESTERDAYS_WORDS

    def slowly(route):
        page.wait_for_timeout(1500)
        route.continue_()

    page.route(re.compile(rf"/checkin\?date={yesterday}$"), slowly)
    page.goto("/checkin")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(theirs)
    page.get_by_label("Date", exact=True).fill(today)
    page.wait_for_timeout(2500)  # yesterday's form has come, late
    expect(page.get_by_label("Date", exact=True)).to_have_value(today)
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("")
    expect(scale_radio(page, "Mood today", 3)).not_to_be_checked()
    tap_scale(page, "Mood today", 6)
    assert save(page) == today
    assert stored(live_server, email, today) == only_the_mood(6)
    page.unroute(re.compile(rf"/checkin\?date={yesterday}$"))
    page.goto(f"/checkin?date={yesterday}")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value(theirs)
    expect(scale_radio(page, "Mood that day", 3)).to_be_checked()


def test_clearing_words_put_back_opens_the_day_asked_for_whatever_other_days_keep(page):
    """Words kept for two other days: the check-in of a third turned to the newer's, and its
    Clear, which says it opens the day asked for, turned the form to the other day's words
    instead, to clear in turn. It opens the day asked for, the other day's words named."""
    sign_up(page)
    today = date.fromisoformat(form_today(page))
    first, second, asked = (today - timedelta(days=n) for n in (3, 2, 1))
    write_on(page, first.isoformat(), 3, "Words for the first day.")
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.goto(f"/checkin?date={second.isoformat()}")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("Words for the first day.")
    page.get_by_label("Date", exact=True).fill(second.isoformat())  # back to the day asked for
    expect(page).to_have_url(re.compile(rf"date={second.isoformat()}$"))
    tap_scale(page, "Mood that day", 4)
    page.get_by_label("Reflection", exact=True).fill("Words for the second.")
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.goto("/entries")
    page.goto(f"/checkin?date={asked.isoformat()}")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("Words for the second.")
    page.get_by_role("button", name="Clear what was put back").tap()
    expect(page).to_have_url(re.compile(rf"date={asked.isoformat()}$"))
    expect(page.get_by_label("Date", exact=True)).to_have_value(asked.isoformat())
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("")
    note = page.locator("#draft-note")
    expect(note).to_contain_text(f"What you wrote for {day_text_near(first, today, 'short')}")
    expect(page.get_by_role("button", name="Clear what was put back")).to_have_count(0)
    page.get_by_role("link", name=f"open {day_text_near(first, today, 'short')}").tap()
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("Words for the first day.")


def test_changing_the_date_in_one_tab_keeps_the_words_another_tab_wrote_for_that_day(page, context):
    """Today's check-in open in two tabs, words typed in the newer one: the older one's date
    changed to yesterday deleted today's draft as if its own words had moved with the form, so
    the words typed in the other tab were kept only while that tab lived (a phone drops a tab
    left in the background without a word). The device keeps them."""
    sign_up(page)
    page.goto("/checkin")
    today = page.get_by_label("Date", exact=True).input_value()
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    other = context.new_page()
    other.goto("/checkin")
    words = "Typed in the other tab."
    other.get_by_label("Reflection", exact=True).fill(words)
    other.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    wait_in_page(
        page, "(words) => (localStorage.getItem('afterglow-drafts') || '').includes(words)", words
    )

    def slowly(route):  # yesterday's form comes after the pause that keeps a draft
        page.wait_for_timeout(1000)
        route.continue_()

    page.route(re.compile(rf"/checkin\?date={yesterday}$"), slowly)
    page.get_by_label("Date", exact=True).fill(yesterday)
    expect(page).to_have_url(re.compile(rf"date={yesterday}$"))
    page.wait_for_timeout(600)  # anything the date change would keep, 400 ms after it
    assert words in (page.evaluate("localStorage.getItem('afterglow-drafts')") or "")


# Where the first letter and the last character of an element's words are drawn, and its box.
RIGHT_TO_LEFT = """e => {
  const text = [...e.childNodes].filter((n) => n.nodeType === 3).pop();
  const at = (i) => { const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1);
    return r.getBoundingClientRect(); };
  const first = at(0), last = at(text.length - 1), box = e.getBoundingClientRect();
  return last.right <= first.left && first.right > box.left + box.width / 2;
}"""


def test_a_reflection_written_right_to_left_reads_right_to_left(page):
    """A reflection in Hebrew or Arabic was set left to right, in its box and while written:
    its lines ragged on the wrong side and its full stop at the start of the sentence as its
    writer reads it. Each box now takes the direction of the words in it."""
    sign_up(page)
    words = "היה יום קשה, אבל הלכתי לים."
    day = check_in(page, mood=5, reflection=words)
    shown = page.locator(".reflection")
    expect(shown).to_have_text(words)
    assert shown.evaluate(RIGHT_TO_LEFT)  # the full stop at the left, the words to the right
    page.goto(f"/entries/{day}/edit")
    box = page.get_by_label("Reflection", exact=True)
    expect(box).to_have_value(words)
    assert box.evaluate("e => getComputedStyle(e).direction") == "rtl"
    page.goto("/entries")
    assert page.locator(".entry-text").first.evaluate(RIGHT_TO_LEFT)
