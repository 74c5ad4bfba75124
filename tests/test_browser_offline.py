"""Installable and nothing lost offline, in a real browser.

Debian's Chromium through Playwright at 390 x 844 against the live gunicorn server from
conftest.py. The service worker needs a secure context; http://127.0.0.1 counts as one.
What reached the server is read straight from its database file, read-only.
"""

import json
import re
import sqlite3
import time
from contextlib import closing
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from test_browser import (
    DAY_URL,
    check_in,
    each_scheme,
    form_today,
    log_in,
    log_in_here,
    looks_right,
    open_more,
    post_form,
    register,
    serious_violations,
    sideways_overflow,
    sign_up,
    tap_scale,
    wait_in_page,
)

pytestmark = pytest.mark.browser

SHELL_PATHS = re.compile(r"^(/static/[\w./-]+|/offline|/manifest\.webmanifest)$")


def stored_checkins(live_server, email):
    """(day, mood, reflection) of every check-in the server holds for `email`."""
    return live_server.query(
        "select day, mood, reflection from checkins"
        " join users on users.id = checkins.user_id"
        " where users.email = ? order by day",
        email,
    )


def controlled(page):
    """Wait until the service worker is active, then reload so it controls the page."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    wait_in_page(page, "() => navigator.serviceWorker.controller !== null")


def queue_status(page):
    return page.locator("#queue-status")


def save_offline(page, mood, reflection="", day=None):
    """Fill the check-in form and save it while the browser is offline."""
    tap_scale(page, "Mood today", mood)
    if day:
        page.get_by_label("Date", exact=True).fill(day)
    if reflection:
        page.get_by_label("Reflection", exact=True).fill(reflection)
    page.get_by_role("button", name=re.compile(r"^Save (check-in|changes)$")).tap()
    expect(queue_status(page)).to_contain_text("waiting to send")


def test_offline_checkin_waits_then_reaches_the_server_once(page, context, live_server):
    email = register(page)
    controlled(page)

    context.set_offline(True)
    save_offline(page, 4, reflection="Written in the waiting room")
    waiting = page.get_by_role("region", name="Check-ins on this device")
    expect(waiting.get_by_role("listitem")).to_have_count(1)
    expect(waiting).to_contain_text("mood 4: waiting to send")
    assert stored_checkins(live_server, email) == []

    # Another page, still offline: the offline page from the service worker's cache.
    page.goto("/entries")
    expect(page.get_by_role("heading", name="No connection")).to_be_visible()
    expect(page.get_by_role("link", name="Get help now").first).to_be_visible()
    expect(page.locator('a[href="tel:988"]')).to_be_visible()
    expect(queue_status(page)).to_contain_text("1 check-in is saved on this device")
    assert stored_checkins(live_server, email) == []

    context.set_offline(False)
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    (row,) = stored_checkins(live_server, email)
    assert row[1:] == (4, "Written in the waiting room")

    # Nothing left to send: loading pages again sends nothing more.
    page.goto("/checkin")
    page.goto("/entries")
    expect(page.locator("ol.entries li")).to_have_count(1)
    assert stored_checkins(live_server, email) == [row]


def test_an_empty_form_turned_to_an_earlier_day_offline_asks_that_days_mood(
    page, context, live_server
):
    """Offline, an empty check-in form keeps the earlier date chosen (the day cannot be
    asked of the server): its mood question names that day, and today's again when the date
    comes back to today; once a check-in for that day is kept on the device, the emptied
    form is today's again, and says so."""
    register(page)
    controlled(page)
    today = form_today(page)
    earlier = "2026-01-05" if today != "2026-01-05" else "2026-01-04"
    legend = page.locator("fieldset#mood > legend")
    expect(legend).to_have_text("Mood today")
    context.set_offline(True)
    date = page.get_by_label("Date", exact=True)
    date.fill(earlier)
    expect(legend).to_have_text("Mood that day")
    date.fill(today)
    expect(legend).to_have_text("Mood today")
    date.fill(earlier)
    tap_scale(page, "Mood that day", 6)
    page.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    expect(date).to_have_value(today)
    expect(legend).to_have_text("Mood today")
    assert [e["day"] for e in queued(page)] == [earlier]
    context.set_offline(False)


def focused(page):
    """The element that has the keyboard focus: its tag, id and text."""
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return [e.tagName, e.id, e.textContent.trim().slice(0, 60)]; })()"
    )


@pytest.mark.parametrize("how", ["offline", "connection dropped"])
def test_saving_on_the_device_with_the_keyboard_leaves_the_focus_on_what_it_said(
    page, context, how
):
    """The Save button, disabled while saving, lost the focus to the page, and the form was
    emptied: the next Tab started again at "Skip to content".

    The page is under the service worker's control first, as in the other tests that route:
    a POST sent while the worker was taking control got past `page.route` now and then."""
    register(page)
    controlled(page)
    if how == "offline":
        context.set_offline(True)
    else:
        page.route(
            "**/checkin", lambda r: r.abort() if r.request.method == "POST" else r.fallback()
        )
    tap_scale(page, "Mood today", 6)
    page.get_by_role("button", name="Save check-in").focus()
    page.keyboard.press("Enter")
    status = queue_status(page)
    expect(status).to_contain_text("Saved on this device, waiting to send")
    expect(status).to_be_focused()
    assert focused(page)[:2] == ["P", "queue-status"]
    # The next Tab goes on from there, into the form, not back to the top of the page.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('form.checkin') !== null"), focused(page)
    context.set_offline(False)


def kept_here_as_the_connection_drops(page, mood):
    """A new person's check-in of `mood`, saved while its POST is dropped: it waits on the
    device, and the page says so. The person's email."""
    email = register(page)
    controlled(page)
    dropped = re.compile(r"/checkin$")
    page.route(dropped, lambda r: r.abort() if r.request.method == "POST" else r.fallback())
    tap_scale(page, "Mood today", mood)
    page.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("Saved on this device, waiting to send")
    page.unroute(dropped)
    return email


def test_a_tab_that_said_waiting_says_so_no_more_once_another_tab_sent_it(
    page, context, live_server
):
    """Saved on the device in one tab, sent by another: the first tab's line went on saying
    "waiting to send" through its own retries and on coming back into view, with nothing
    waiting any more."""
    email = kept_here_as_the_connection_drops(page, 6)

    other = context.new_page()
    other.goto("/entries")
    expect(queue_status(other)).to_contain_text("Sent 1 check-in saved on this device.")
    assert [mood for _, mood, _ in stored_checkins(live_server, email)] == [6]
    page.evaluate("window.dispatchEvent(new Event('online'))")  # its next sync finds nothing
    expect(queue_status(page)).to_have_text("The check-ins saved on this device have been sent.")


def test_a_tab_that_said_waiting_never_says_sent_when_another_tab_had_it_kept_out(
    page, context, browser, browser_context_args, live_server
):
    """Saved on the device in one tab; another tab sent it and a newer check-in for that day
    kept it out: the first tab's next sync said "The check-ins saved on this device have been
    sent", of a check-in that never was and still waits on the phone to be read."""
    email = kept_here_as_the_connection_drops(page, 3)
    newer_from_another_device(browser, browser_context_args, email)

    other = context.new_page()
    other.goto("/entries")
    expect(queue_status(other)).to_contain_text("1 check-in saved on this device was not sent")
    page.evaluate("window.dispatchEvent(new Event('online'))")  # its next sync finds nothing
    status = queue_status(page)
    expect(status).to_contain_text("1 check-in saved on this device was not sent")
    expect(status).not_to_contain_text("have been sent")
    assert [mood for _, mood, _ in stored_checkins(live_server, email)] == [8]


def test_two_check_ins_of_one_day_written_offline_are_added_together_in_order(
    page, context, live_server
):
    # Sent in the order written (the queue's keys are random): the morning's first, the
    # evening's added to it, its mood the day's, as two saves online would be.
    email = register(page)
    controlled(page)
    context.set_offline(True)
    for mood, words in ((3, "morning"), (7, "evening"), (5, "night")):
        save_offline(page, mood, reflection=words)
    context.set_offline(False)
    expect(queue_status(page)).to_contain_text("Sent 3 check-ins")
    ((_, mood, reflection),) = stored_checkins(live_server, email)
    assert (mood, reflection) == (5, "morning\n\nevening\n\nnight")


def is_checkin_post(response):
    return response.request.method == "POST" and urlsplit(response.url).path == "/checkin"


def server_answer(page, action):
    """Do `action` and return the status of the server's JSON answer to the check-in it sends.

    The body is read here, in the test's own flow: read in an event handler it could arrive
    after the test had moved on.
    """
    with page.expect_response(is_checkin_post) as answer:
        action()
    return answer.value.json()["status"]


def test_answer_lost_on_the_way_is_sent_again_and_saved_once(page, context, live_server):
    email = register(page)
    controlled(page)
    lost = []

    def lose_the_first_answer(route):
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch())  # the server saves it...
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    page.route(re.compile(r"/checkin$"), lose_the_first_answer)
    tap_scale(page, "Mood today", 6)
    page.get_by_label("Reflection", exact=True).fill("Said once")
    page.get_by_role("button", name="Save check-in").tap()

    expect(queue_status(page)).to_contain_text("waiting to send")
    assert lost[0].json()["status"] == "saved"
    assert stored_checkins(live_server, email)[0][1:] == (6, "Said once")

    assert server_answer(page, page.reload) == "duplicate"  # every page load sends what waits
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    page.reload()
    expect(page.get_by_role("region", name="Check-ins on this device")).to_be_hidden()
    assert len(stored_checkins(live_server, email)) == 1
    keys = live_server.query(
        "select outcome from checkin_requests join users on users.id = user_id where email = ?",
        email,
    )
    assert keys == [("saved",)]


def queued(page):
    """The check-ins waiting in the device's IndexedDB queue."""
    return page.evaluate(
        """() => new Promise((resolve) => {
            indexedDB.open("afterglow").onsuccess = (e) => {
                e.target.result.transaction("checkins").objectStore("checkins").getAll()
                    .onsuccess = (r) => resolve(r.target.result);
            };
        })"""
    )


def said_when(page, action):
    """The message of the dialog `action` brings up, at once or after the script has tried
    to send what waits (answered "no")."""
    said = []

    def answer(dialog):
        said.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer)
    action()
    for _ in range(100):  # the handler runs while Playwright waits
        if said:
            return said[0]
        page.wait_for_timeout(100)
    raise AssertionError("no dialog came up")


def test_log_out_never_deletes_an_unsent_check_in_unasked(page, context, live_server):
    # Offline, the log-out could not reach the server: it says so and changes nothing (it
    # deleted the queued check-in and left the person signed in). Online with a check-in the
    # server has not taken, it asks first; "no" keeps both the sign-in and the words.
    email = register(page)
    controlled(page)
    context.set_offline(True)
    save_offline(page, 5, reflection="Not in the journal yet")
    log_out = page.get_by_role("contentinfo").get_by_role("button", name="Log out")
    assert "You're offline" in said_when(page, log_out.tap)
    assert [e["reflection"] for e in queued(page)] == ["Not in the journal yet"]

    # Online, but the check-in does not get through (the server out of reach for /checkin).
    page.route(re.compile(r"/checkin$"), lambda route: route.abort("connectionrefused"))
    context.set_offline(False)
    asked = said_when(page, log_out.tap)
    assert asked.startswith("1 check-in written on this phone is not in your journal yet")
    expect(log_out).to_be_visible()  # still signed in
    assert [e["reflection"] for e in queued(page)] == ["Not in the journal yet"]
    assert stored_checkins(live_server, email) == []

    # Through again: it is sent, and logging out asks nothing.
    page.unroute(re.compile(r"/checkin$"))
    page.reload()
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    page.get_by_role("contentinfo").get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    assert [r[1:] for r in stored_checkins(live_server, email)] == [(5, "Not in the journal yet")]


def test_the_same_queued_check_in_sent_twice_is_stored_once(page, context, live_server):
    email = register(page)
    controlled(page)
    context.set_offline(True)
    save_offline(page, 5, reflection="Only once")
    waiting = queued(page)
    assert len(waiting) == 1 and waiting[0]["state"] == "waiting"

    assert server_answer(page, lambda: context.set_offline(False)) == "saved"
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    # A replay: the same entry, same key, back in the queue (as after a crash mid-send).
    page.evaluate(
        """(entry) => new Promise((resolve) => {
            indexedDB.open("afterglow").onsuccess = (e) => {
                const tx = e.target.result.transaction("checkins", "readwrite");
                tx.objectStore("checkins").put(entry);
                tx.oncomplete = resolve;
            };
        })""",
        waiting[0],
    )
    assert server_answer(page, page.reload) == "duplicate"
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    (row,) = stored_checkins(live_server, email)
    assert row[1:] == (5, "Only once")


def log_in_on(context, email):
    """A second device: a fresh page in `context`, signed in as `email`."""
    page = context.new_page()
    log_in(page, email)
    expect(page).to_have_url(re.compile(r"/checkin$"))
    return page


def test_older_queued_check_in_never_overwrites_a_newer_one(
    page, context, browser, browser_context_args, live_server
):
    email = register(page)
    controlled(page)
    context.set_offline(True)
    day = page.get_by_label("Date", exact=True).input_value()
    save_offline(page, 3, reflection="Older words, from the phone")
    time.sleep(1.1)  # stored times have whole seconds

    other = browser.new_context(**browser_context_args)
    try:
        laptop = log_in_on(other, email)
        tap_scale(laptop, "Mood today", 8)
        laptop.get_by_label("Reflection", exact=True).fill("Newer words, from the laptop")
        laptop.get_by_role("button", name="Save check-in").tap()
        expect(laptop).to_have_url(DAY_URL)
    finally:
        other.close()
    newer = stored_checkins(live_server, email)
    assert newer == [(day, 8, "Newer words, from the laptop")]

    context.set_offline(False)
    kept = page.get_by_role("region", name="Check-ins on this device").get_by_role("listitem")
    expect(kept).to_contain_text("not sent. A newer check-in for this day was already saved")
    # The phone's words are still there to copy, until the person dismisses them.
    expect(kept.locator(".reflection")).to_have_text("Older words, from the phone")
    expect(kept.get_by_role("link", name="Open that day")).to_have_attribute(
        "href", f"/entries/{day}"
    )
    assert stored_checkins(live_server, email) == newer

    page.reload()
    expect(kept).to_have_count(1)
    kept.get_by_role("button", name="Dismiss").tap()
    expect(kept).to_have_count(0)
    page.reload()
    expect(page.get_by_role("region", name="Check-ins on this device")).to_be_hidden()
    assert stored_checkins(live_server, email) == newer


def kept_out_by_a_newer_one(page, browser, browser_context_args, email, moods=(3,)):
    """Save a check-in of each of `moods` on `page`, offline, then a newer one for the same
    day from a second device: sent later, they are kept out ("kept-newer")."""
    for mood in moods:
        save_offline(page, mood, reflection=f"Older words, mood {mood}")
    newer_from_another_device(browser, browser_context_args, email)


def newer_from_another_device(browser, browser_context_args, email):
    """Today's check-in, mood 8, saved by `email` on a second device a second later."""
    time.sleep(1.1)  # stored times have whole seconds
    other = browser.new_context(**browser_context_args)
    try:
        laptop = log_in_on(other, email)
        tap_scale(laptop, "Mood today", 8)
        laptop.get_by_role("button", name="Save check-in").tap()
        expect(laptop).to_have_url(DAY_URL)
    finally:
        other.close()


@pytest.mark.parametrize("where", ["/checkin", "/entries"])
def test_a_queued_check_in_kept_out_is_told_on_the_page_the_person_is_on(
    page, context, browser, browser_context_args, live_server, where
):
    """The list on the check-in page changed to "not sent", while the status line went on
    saying "waiting to send"; on any other page nothing was said at all."""
    email = register(page)
    context.set_offline(True)
    day = page.get_by_label("Date", exact=True).input_value()
    kept_out_by_a_newer_one(page, browser, browser_context_args, email)
    if where == "/checkin":
        context.set_offline(False)
    else:
        # Back online on another page: the check-in page's own attempt does not get through.
        page.route(
            "**/checkin", lambda r: r.abort() if r.request.method == "POST" else r.fallback()
        )
        with page.expect_event("requestfailed", lambda r: r.method == "POST"):
            context.set_offline(False)
        page.unroute("**/checkin")
        page.goto(where)
    label = page.evaluate(
        "d => new Date(d + 'T12:00:00').toLocaleDateString('en-GB',"
        " { weekday: 'short', day: 'numeric', month: 'short' })",
        day,
    )
    status = queue_status(page)
    expect(status).to_contain_text(
        f"1 check-in saved on this device was not sent: a newer check-in for {label} was"
        " already saved."
    )
    expect(status).not_to_contain_text("waiting to send")
    if where == "/checkin":
        expect(status).to_contain_text("It is listed below, with its words.")
    else:
        status.get_by_role("link", name="Open the check-in page").tap()
        kept = page.get_by_role("region", name="Check-ins on this device")
        expect(kept).to_contain_text("not sent. A newer check-in for this day was already saved")
    assert [e["state"] for e in queued(page)] == ["kept-newer"]


def test_dismissing_kept_check_ins_with_the_keyboard_keeps_the_focus_in_the_list(
    page, context, browser, browser_context_args, live_server
):
    """The list is built anew on each change: the Dismiss button pressed went with it, and
    the focus fell back to the page, its next Tab at "Skip to content"."""
    email = register(page)
    context.set_offline(True)
    kept_out_by_a_newer_one(page, browser, browser_context_args, email, moods=(3, 4))
    context.set_offline(False)
    kept = page.get_by_role("region", name="Check-ins on this device").get_by_role("listitem")
    expect(kept.filter(has_text="not sent")).to_have_count(2)
    first, second = (kept.nth(i).get_by_role("button", name="Dismiss") for i in (0, 1))
    expect(second).to_have_accessible_description(re.compile(r"mood 4: not sent"))

    # A sync that finds nothing still builds the list anew: the focus stays where it was.
    first.focus()
    page.evaluate("document.querySelector('.queue li').dataset.before = 'yes'")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    # A locator, not wait_for_function's string: polled in the page, that runs through eval,
    # which the page's CSP refuses.
    expect(page.locator(".queue li").first).not_to_have_attribute("data-before", "yes")
    expect(first).to_be_focused()

    page.keyboard.press("Enter")  # the next one's Dismiss takes the focus
    expect(kept).to_have_count(1)
    expect(kept).to_contain_text("mood 4")
    expect(kept.get_by_role("button", name="Dismiss")).to_be_focused()

    page.keyboard.press("Enter")  # none left: the status line that says it was dismissed
    expect(kept).to_have_count(0)
    expect(queue_status(page)).to_have_text("Dismissed.")
    expect(queue_status(page)).to_be_focused()
    assert queued(page) == []


def test_a_queued_check_in_kept_out_stays_on_the_phone_when_its_first_answer_was_lost(
    page, context, browser, browser_context_args, live_server
):
    """The server kept the newer check-in and answered "kept-newer", but the answer never
    reached the phone (the connection dropped, or the person moved on to another page). Sent
    again under the same key, it was answered "duplicate", which the phone took as sent: it
    dropped the words and said "Sent 1 check-in"."""
    email = register(page)
    context.set_offline(True)
    kept_out_by_a_newer_one(page, browser, browser_context_args, email)
    newer = stored_checkins(live_server, email)

    answered = []

    def lose_the_answer(route):
        if route.request.method != "POST":
            return route.fallback()
        answered.append(route.fetch().json())  # the server saw it; the phone never hears
        return route.abort()

    page.route("**/checkin", lose_the_answer)
    context.set_offline(False)
    for _ in range(150):  # until the queue has sent it once
        if answered:
            break
        page.wait_for_timeout(100)
    assert [answer["status"] for answer in answered] == ["kept-newer"]
    page.unroute("**/checkin")
    page.goto("/checkin")  # the next page sends what waits again
    kept = page.get_by_role("region", name="Check-ins on this device").get_by_role("listitem")
    expect(kept).to_contain_text("not sent. A newer check-in for this day was already saved")
    expect(kept.locator(".reflection")).to_have_text("Older words, mood 3")
    expect(queue_status(page)).not_to_contain_text("Sent")
    assert stored_checkins(live_server, email) == newer


def test_a_queue_is_only_sent_by_the_person_who_wrote_it(page, context, live_server):
    first = register(page)
    controlled(page)
    context.set_offline(True)
    save_offline(page, 2, reflection="Mine, not yours")
    # Crisis help is offered at once, even offline.
    expect(queue_status(page).get_by_role("link", name="Get help now")).to_be_visible()

    context.clear_cookies()  # the session ends while the phone is offline
    context.set_offline(False)
    second = register(page)  # someone else signs up on the same phone
    expect(page.get_by_role("region", name="Check-ins on this device")).to_be_hidden()
    page.goto("/entries")
    page.goto("/checkin")
    assert stored_checkins(live_server, second) == []
    assert stored_checkins(live_server, first) == []

    page.get_by_role("contentinfo").get_by_role("button", name="Log out").tap()
    log_in_here(page, first)
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    assert [r[1:] for r in stored_checkins(live_server, first)] == [(2, "Mine, not yours")]
    assert stored_checkins(live_server, second) == []


def check_in_privately_under_the_worker(page):
    """Register and, with the service worker in control, save a check-in with words."""
    register(page)
    controlled(page)
    tap_scale(page, "Mood today", 7)
    open_more(page)
    page.get_by_label("Reflection", exact=True).fill("Private words")
    page.get_by_role("button", name="Save check-in").tap()
    expect(page).to_have_url(DAY_URL)


def test_service_worker_caches_hold_no_page_with_health_data(page, context):
    check_in_privately_under_the_worker(page)
    for path in ("/entries", "/progress", "/sessions", "/settings", "/help"):
        page.goto(path)
    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push([name, request.url]);
            }
            return urls;
        }"""
    )
    paths = {urlsplit(url).path for _, url in cached}
    assert {"/offline", "/static/style.css", "/static/app.js"} <= paths
    assert all(SHELL_PATHS.match(p) for p in paths), paths
    assert len({name for name, _ in cached}) == 1  # one versioned cache
    assert all(name.startswith("afterglow-shell-") for name, _ in cached)


def test_queue_and_offline_page_are_accessible_and_fit_the_phone(
    page, context, browser, browser_context_args, live_server
):
    email = register(page)
    controlled(page)
    context.set_offline(True)
    save_offline(page, 2, reflection="A-very-long-word-without-any-break-" * 8)
    save_offline(page, 6, reflection="Second one")
    # One that will come back "not sent": a newer check-in reaches the server meanwhile.
    newer_from_another_device(browser, browser_context_args, email)
    context.set_offline(False)
    kept = page.get_by_role("region", name="Check-ins on this device").get_by_role("listitem")
    expect(kept.filter(has_text="not sent")).to_have_count(2)
    context.set_offline(True)
    save_offline(page, 5)
    expect(kept).to_have_count(3)
    for scheme in each_scheme(page):
        assert sideways_overflow(page) == 0, scheme
        found = serious_violations(page)
        assert found == [], f"axe on the queue ({scheme}):\n" + "\n".join(found)

    page.goto("/progress")
    expect(page.get_by_role("heading", name="No connection")).to_be_visible()
    for scheme in each_scheme(page):
        assert sideways_overflow(page) == 0, scheme
        found = serious_violations(page)
        assert found == [], f"axe on the offline page ({scheme}):\n" + "\n".join(found)


def offline_form(page):
    return page.get_by_role("form", name="Check in now")


def browser_today(page):
    return page.evaluate("new Date().toLocaleDateString('en-CA')")  # YYYY-MM-DD, local


def test_the_offline_check_in_is_for_the_accounts_day_not_the_phones(page, context, live_server):
    # The account keeps a time zone whose date today differs from the phone's: /checkin
    # counts days in the account's zone, and so must the offline page's form (a phone a day
    # behind saved the check-in on yesterday; one a day ahead, on a day still to come).
    email = register(page)
    phone_today = browser_today(page)
    zone = next(z for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago")
                if datetime.now(ZoneInfo(z)).date().isoformat() != phone_today)  # fmt: skip
    page.goto("/settings")
    page.get_by_label("Time zone").select_option(zone)
    page.get_by_role("button", name="Save settings").tap()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    controlled(page)
    context.set_offline(True)
    page.goto("/checkin")
    form = offline_form(page)
    tap_scale(page, "Mood today", 6)
    form.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    context.set_offline(False)
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    account_today = datetime.now(ZoneInfo(zone)).date().isoformat()
    assert stored_checkins(live_server, email) == [(account_today, 6, "")]


def test_the_offline_page_says_when_a_kept_check_in_could_not_be_saved(page, context):
    # The server refuses the queued check-in (with today's saved reflection it would be too
    # long): the offline page, where it was written, says so, not only /checkin.
    register(page)
    check_in(page, 6, reflection="a" * 15_000)
    controlled(page)
    # Stored times have whole seconds: one written offline in the same second as the saved
    # check-in counts as older ("kept-newer"), not as one to add to it.
    time.sleep(1.1)
    context.set_offline(True)
    page.goto("/progress")
    form = offline_form(page)
    tap_scale(page, "Mood today", 4)
    form.get_by_label("Reflection", exact=True).fill("b" * 6_000)
    form.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    context.set_offline(False)
    expect(queue_status(page)).to_contain_text(
        "1 check-in kept on this device could not be saved as written"
    )
    assert [e["state"] for e in queued(page)] == ["refused"]


def test_app_opened_with_no_connection_still_takes_todays_check_in(page, context, live_server):
    email = register(page)  # the check-in page leaves the person's queue tag on the device
    controlled(page)
    context.set_offline(True)
    page.goto("/checkin")  # the app opened again, with no signal this time
    expect(page.get_by_role("heading", name="No connection")).to_be_visible()
    form = offline_form(page)
    expect(form).to_be_visible()
    expect(form.get_by_label("Keep this reflection private", exact=False)).not_to_be_checked()

    form.get_by_role("button", name="Save check-in").tap()  # no mood chosen yet
    expect(queue_status(page)).to_contain_text("Choose your mood, from 0 to 10")
    tap_scale(page, "Mood today", 2)
    form.get_by_label("Reflection", exact=True).fill("Written with no signal")
    form.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    # A mood of 2: help is offered at once, and calls and texts need no internet.
    expect(queue_status(page).get_by_role("link", name="Get help now")).to_be_visible()
    expect(form.get_by_role("radio", name="2", exact=True)).not_to_be_checked()  # ready again
    assert stored_checkins(live_server, email) == []

    context.set_offline(False)
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    assert stored_checkins(live_server, email) == [
        (browser_today(page), 2, "Written with no signal")
    ]


@pytest.mark.parametrize("therapist", [False, True], ids=["patient", "therapist"])
def test_the_offline_page_speaks_of_check_ins_only_to_who_writes_them(page, context, therapist):
    """The page is the same for everyone (kept by the service worker, rendered as for a
    visitor): its script tells a therapist nothing of check-ins; help is there for all."""
    sign_up(page, therapist=therapist)
    controlled(page)
    context.set_offline(True)
    page.goto("/settings")
    expect(page.get_by_role("heading", name="No connection")).to_be_visible()
    about_check_ins = page.get_by_text("Check-ins you save on the check-in page")
    plain = page.get_by_text("You're offline. The app opens again when you're back online.")
    if therapist:
        expect(about_check_ins).to_be_hidden()
        expect(plain).to_be_visible()
        expect(offline_form(page)).to_be_hidden()
    else:
        expect(about_check_ins).to_be_visible()
        expect(plain).to_be_hidden()
        expect(offline_form(page)).to_be_visible()
    expect(page.get_by_role("heading", name="Get help now")).to_be_visible()
    expect(page.get_by_role("link", name="Call 988")).to_be_visible()


def test_try_again_never_drops_a_check_in_written_on_the_offline_page(page, context, live_server):
    """Back online, the page says to tap "Try again", which loaded the page afresh and
    dropped the words written in its form and not saved yet."""
    email = register(page)
    controlled(page)
    context.set_offline(True)
    page.goto("/checkin")
    form = offline_form(page)
    tap_scale(page, "Mood today", 6)
    form.get_by_label("Reflection", exact=True).fill("Words from the bus")
    context.set_offline(False)
    expect(queue_status(page)).to_contain_text("Tap “Try again”")
    page.get_by_role("button", name="Try again").tap()
    expect(queue_status(page)).to_contain_text("Save your check-in first")
    expect(form.get_by_label("Reflection", exact=True)).to_have_value("Words from the bus")
    form.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    page.get_by_role("button", name="Try again").tap()  # nothing left to lose: the page loads
    expect(page.get_by_role("heading", name="No connection")).to_have_count(0)
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")  # sent from the device
    assert stored_checkins(live_server, email) == [(browser_today(page), 6, "Words from the bus")]


def test_offline_form_starts_private_as_set_and_leaves_with_log_out(page, context, live_server):
    email = register(page)
    page.goto("/settings")
    page.get_by_label("Start new reflections as private").check()
    page.get_by_role("button", name="Save settings").tap()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    controlled(page)  # any page seen signed in keeps the setting for the offline form

    context.set_offline(True)
    page.goto("/progress")
    form = offline_form(page)
    expect(form.get_by_label("Keep this reflection private", exact=False)).to_be_checked()
    tap_scale(page, "Mood today", 7)
    form.get_by_label("Reflection", exact=True).fill("Only mine")
    form.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    context.set_offline(False)
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    private = live_server.query(
        "select private from checkins join users on users.id = user_id where email = ?",
        email,
    )
    assert private == [(1,)]

    page.goto("/checkin")
    page.get_by_role("contentinfo").get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    context.set_offline(True)
    page.goto("/checkin")
    expect(page.get_by_role("heading", name="No connection")).to_be_visible()
    expect(offline_form(page)).to_be_hidden()  # nobody is signed in on this phone now


def save_refused_offline(page, form, mood, words, said):
    """Save a check-in on the offline page's `form` that it must refuse: it says `said`, the
    words stay in the form, and nothing waits on the device."""
    tap_scale(page, "Mood today", mood)
    form.get_by_label("Reflection", exact=True).fill(words)
    form.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text(said)
    expect(form.get_by_label("Reflection", exact=True)).to_have_value(words)
    assert queued(page) == []


def test_offline_form_is_not_offered_once_the_sign_in_has_lapsed(page, context):
    register(page)
    controlled(page)
    context.set_offline(True)
    page.goto("/entries")
    form = offline_form(page)
    expect(form).to_be_visible()
    # As if the phone lay unused past the idle sign-out, this page still open: the device's
    # note of who is signed in here has run out.
    page.evaluate(
        """() => {
            const note = JSON.parse(localStorage.getItem("afterglow-signed-in"));
            note.until = Date.now() - 1000;
            localStorage.setItem("afterglow-signed-in", JSON.stringify(note));
        }"""
    )
    save_refused_offline(page, form, 5, "Words to keep", "You were signed out on this device")
    assert page.evaluate("localStorage.getItem('afterglow-signed-in')") is None

    page.goto("/checkin")
    expect(page.get_by_role("heading", name="No connection")).to_be_visible()
    expect(offline_form(page)).to_be_hidden()


def test_the_offline_form_keeps_nothing_once_someone_else_signed_in_meanwhile(
    page, context, live_server
):
    """A shared phone: the offline page stood open in a tab while its person logged out in
    another and someone else signed up there. The second person's check-in on that page was
    kept for the first and, sent at the first's next sign-in, went into their journal."""
    first = register(page)
    controlled(page)
    context.set_offline(True)
    offline_tab = context.new_page()
    offline_tab.goto("/checkin")
    form = offline_form(offline_tab)
    expect(form).to_be_visible()
    context.set_offline(False)
    page.bring_to_front()
    page.get_by_role("contentinfo").get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    second = register(page)
    context.set_offline(True)
    offline_tab.bring_to_front()
    save_refused_offline(
        offline_tab, form, 2, "The second person's words", "Someone else has signed in"
    )
    context.set_offline(False)
    assert stored_checkins(live_server, first) == []
    assert stored_checkins(live_server, second) == []


# A sign-in that ends while the phone is offline (issue 8 moved sign-ins to the server).

ENDINGS = {
    # The phone lay unused past IDLE_MINUTES (30) without "Keep me signed in".
    "idle timeout": "update signins set seen_at = seen_at - 31 * 60 where user_id = ?",
    # Logged out on another device, or the password changed there: the sign-in row is gone.
    "ended elsewhere": "delete from signins where user_id = ?",
}


def end_sign_ins(live_server, email, how):
    """End `email`'s sign-ins on the server, as `how` would."""
    with closing(sqlite3.connect(live_server.database, timeout=10)) as db:
        (user_id,) = db.execute("select id from users where email = ?", [email]).fetchone()
        db.execute(ENDINGS[how], [user_id])
        db.commit()


@pytest.mark.parametrize("how", ENDINGS)
@pytest.mark.parametrize("where", ["check-in page", "offline page"])
def test_a_sign_in_that_ends_offline_keeps_the_check_in_and_asks_to_log_in(
    page, context, live_server, how, where
):
    email = register(page)
    controlled(page)
    context.set_offline(True)
    if where == "check-in page":
        save_offline(page, 3, reflection="Kept for me")
    else:
        page.goto("/entries")
        form = offline_form(page)
        tap_scale(page, "Mood today", 3)
        form.get_by_label("Reflection", exact=True).fill("Kept for me")
        form.get_by_role("button", name="Save check-in").tap()
        expect(queue_status(page)).to_contain_text("waiting to send")
    end_sign_ins(live_server, email, how)

    context.set_offline(False)
    # Not lost, not sent, and the person is told what to do (not retried in silence).
    expect(queue_status(page)).to_contain_text("Log in to send it")
    assert [e["state"] for e in queued(page)] == ["waiting"]
    assert stored_checkins(live_server, email) == []
    # Signed out seen: the offline page no longer offers its form for this person.
    assert page.evaluate("localStorage.getItem('afterglow-signed-in')") is None

    # Someone else signs in on this phone: nothing of it is sent into their journal.
    page.goto("/auth/login")
    expect(queue_status(page)).to_contain_text("Log in to send it")
    other = register(page)
    page.goto("/entries")
    assert stored_checkins(live_server, other) == []
    assert [e["state"] for e in queued(page)] == ["waiting"]
    page.get_by_role("contentinfo").get_by_role("button", name="Log out").tap()

    # The same person again: it goes out, once.
    log_in_here(page, email)
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    assert [r[1:] for r in stored_checkins(live_server, email)] == [(3, "Kept for me")]
    page.goto("/entries")
    page.goto("/checkin")
    assert queued(page) == []
    assert len(stored_checkins(live_server, email)) == 1
    assert stored_checkins(live_server, other) == []


def test_no_page_with_health_data_is_cached_whatever_its_query(page, context):
    """The service worker's rules against today's routes: a day's form, later pages of lists,
    and the script's own fetch of another day leave nothing but the shell in its cache."""
    check_in_privately_under_the_worker(page)
    yesterday = page.evaluate(
        "new Date(Date.now() - 86400000).toLocaleDateString('en-CA')"
    )  # YYYY-MM-DD, local
    page.goto("/checkin")
    page.get_by_label("Date", exact=True).fill(yesterday)
    page.get_by_label("Date", exact=True).dispatch_event("change")  # the script loads the day
    expect(page).to_have_url(re.compile(rf"/checkin\?date={yesterday}$"))
    for path in (
        f"/checkin?date={yesterday}",
        "/entries?page=1",
        "/entries?page=2",
        "/sessions?page=1",
        "/sessions?page=2",
        "/assessments?page=1",
        "/assessments?page=2",
        "/progress?range=90",
        "/calendar",
        "/static/../entries",
    ):
        page.goto(path)
    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push(request.url);
            }
            return urls;
        }"""
    )
    assert all(SHELL_PATHS.match(urlsplit(url).path) for url in cached), cached
    assert not any(urlsplit(url).query for url in cached), cached


def test_the_remember_cookie_lives_as_long_as_its_sign_in_and_goes_with_it(
    page, context, live_server
):
    email = register(page)
    page.get_by_role("contentinfo").get_by_role("button", name="Log out").tap()
    page.get_by_label("Keep me signed in on this device").check()
    log_in_here(page, email)
    expect(page).to_have_url(re.compile(r"/checkin$"))
    cookies = {c["name"]: c for c in context.cookies()}
    for cookie in cookies.values():
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax", cookie
    assert cookies["session"]["expires"] == -1  # ends with the browser
    ((expires_at,),) = live_server.query(
        "select expires_at from signins join users on users.id = user_id where email = ?",
        email,
    )
    assert abs(cookies["remember_token"]["expires"] - expires_at) < 2

    end_sign_ins(live_server, email, "ended elsewhere")  # e.g. the password changed elsewhere
    page.goto("/entries")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    assert "remember_token" not in {c["name"] for c in context.cookies()}


@pytest.mark.parametrize("after", ["sign-in ended", "someone else signed in"])
def test_saving_on_a_page_whose_sign_in_ended_keeps_it_for_its_writer(
    page, context, live_server, after
):
    email = register(page)
    controlled(page)
    end_sign_ins(live_server, email, "ended elsewhere")
    other = None
    if after == "someone else signed in":
        tab = context.new_page()  # another tab on the same phone, same cookies
        other = register(tab)
        tab.close()
    tap_scale(page, "Mood today", 6)
    page.get_by_label("Reflection", exact=True).fill("Still mine")
    page.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text(re.compile("log in again", re.IGNORECASE))
    expect(page).to_have_url(re.compile(r"/checkin$"))
    (entry,) = queued(page)
    assert entry["state"] == "waiting" and entry["reflection"] == "Still mine"
    assert stored_checkins(live_server, email) == []
    if other:
        assert stored_checkins(live_server, other) == []


def test_a_first_visit_downloads_the_shell_once(page, live_server):
    """The service worker's install asked for every file of the shell again bypassing the
    HTTP cache, so a newcomer's first visit downloaded the shell twice (about 150 KB, seconds
    on a slow connection). It now asks for the static files the page has just loaded with
    their ETag: 304s."""
    start = live_server.log.stat().st_size
    page.goto("/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    with open(live_server.log, "rb") as log:
        log.seek(start)
        lines = [json.loads(line) for line in log if line.startswith(b"{")]
    statuses = {}
    for line in lines:
        if line.get("message") == "request":
            statuses.setdefault(line["path"], []).append(line["status"])
    for path in ("/static/style.css", "/static/app.js", "/static/checkin-form.js"):
        assert sorted(statuses[path]) == [200, 304], (path, statuses[path])
    assert statuses["/offline"] == [200]


def test_a_not_sent_notice_is_not_replaced_by_a_tag_suggestions_words(
    page, context, browser, browser_context_args
):
    """On an edit page the check-ins' line was made beside the tag suggestions, mid-form and
    off screen, and the first suggestion tapped replaced "was not sent" with "Added ...". The
    check-ins' line is atop the page; the suggestions have their own."""
    email = register(page)
    context.set_offline(True)
    day = page.get_by_label("Date", exact=True).input_value()
    kept_out_by_a_newer_one(page, browser, browser_context_args, email)
    page.goto("about:blank")  # back online on the edit page, which sends what waits
    context.set_offline(False)
    page.goto(f"/entries/{day}/edit")
    status = queue_status(page)
    expect(status).to_contain_text("was not sent")
    assert page.evaluate("document.querySelector('main').firstElementChild.id") == "queue-status"
    page.get_by_role("button", name="exercise", exact=True).tap()
    expect(page.locator(".suggestions + [role=status]")).to_have_text("Added “exercise” to Tags.")
    expect(status).to_contain_text("was not sent")


def test_a_check_in_saved_offline_without_a_mood_is_told_at_the_scale(page, context):
    # Only the status line said it, at the top of the offline page: with text at 200% on a
    # phone it was a screen above the scale the focus went to, and nothing at the scale (or
    # read with it) said what was missing, as the server's answer does online.
    register(page)
    controlled(page)
    page.set_viewport_size({"width": 360, "height": 780})
    page.context.new_cdp_session(page).send(
        "Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}}
    )
    context.set_offline(True)
    page.goto("/checkin")
    form = offline_form(page)
    form.get_by_label("Reflection", exact=True).fill("Written with no signal")
    form.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("Choose your mood, from 0 to 10")
    scale = form.locator("fieldset#mood")
    message = scale.locator("#mood-error")
    expect(message).to_have_text("Choose your mood, from 0 to 10.")
    assert "mood-error" in scale.get_attribute("aria-describedby").split()
    box = message.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 780, box
    expect(form.get_by_role("radio", name="0 (very low)")).to_be_focused()
    tap_scale(page, "Mood today", 6)
    expect(message).to_have_count(0)  # a mood chosen: nothing is missing any more
    assert not (scale.get_attribute("aria-describedby") or "").count("mood-error")
    form.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    context.set_offline(False)


def test_a_day_edited_on_another_phone_before_the_queued_edit_keeps_every_answer_said(
    page, context, browser, browser_context_args, live_server
):
    """Phone A opens a saved day's form, phone B changes that day, then A edits it offline:
    sent later, it saves nothing (A's form held the day as it was before B's change), and A
    keeps it. The list said "This is that day as it is saved now, with what you changed on
    top. Check it, then save." with nothing of the kind under it, and showed the words only:
    the tags A wrote were nowhere."""
    email = register(page)
    day = check_in(page, 5, reflection="Morning words")
    page.goto("/checkin")
    controlled(page)
    other = browser.new_context(**browser_context_args)
    try:
        phone_b = log_in_on(other, email)
        phone_b.goto(f"/entries/{day}/edit")
        phone_b.get_by_label("Reflection", exact=True).fill("Phone B's words")
        phone_b.get_by_role("button", name="Save changes").tap()
        expect(phone_b).to_have_url(DAY_URL)
    finally:
        other.close()
    time.sleep(1.1)  # stored times have whole seconds
    context.set_offline(True)
    page.get_by_label("Tags", exact=True).fill("long walk")
    page.get_by_label("Reflection", exact=True).fill("Phone A's evening words")
    page.get_by_role("button", name=re.compile(r"^Save (check-in|changes)$")).tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    context.set_offline(False)
    kept = page.get_by_role("region", name="Check-ins on this device").get_by_role("listitem")
    expect(kept).to_contain_text("not sent")
    assert stored_checkins(live_server, email) == [(day, 5, "Phone B's words")]
    expect(kept).to_contain_text(
        "was saved elsewhere (another tab or device) after you opened this form, so this one"
        " was not saved. Open that day to add what you wrote."
    )
    expect(kept).not_to_contain_text("Check it, then save")
    expect(kept).to_contain_text("Tags: long walk")
    expect(kept.locator(".reflection")).to_have_text("Phone A's evening words")


def test_a_phone_whose_clock_runs_a_day_ahead_never_makes_its_older_check_in_the_newer(
    page, context, browser, browser_context_args, live_server
):
    """A check-in kept on a phone whose clock runs a day ahead, then a newer one from a second
    device: sent later, the phone's counted as written a day later, and its older mood and
    words were added over the newer check-in. The phone's clock is read against the server's
    as the queue sends it."""
    context.clock.install(time=datetime.now().astimezone() + timedelta(days=1))
    email = register(page)
    controlled(page)
    context.set_offline(True)
    day = page.get_by_label("Date", exact=True).input_value()
    save_offline(page, 3, reflection="Older words, from the phone")
    newer_from_another_device(browser, browser_context_args, email)
    context.set_offline(False)
    kept = page.get_by_role("region", name="Check-ins on this device").get_by_role("listitem")
    expect(kept).to_contain_text("not sent. A newer check-in for this day was already saved")
    expect(kept.locator(".reflection")).to_have_text("Older words, from the phone")
    ((stored_day, mood, words),) = stored_checkins(live_server, email)
    assert (stored_day, mood) == (day, 8) and "Older words" not in (words or "")


@pytest.mark.parametrize("days", [1, -1], ids=["a day ahead", "a day behind"])
def test_the_offline_check_in_is_for_todays_date_whatever_the_phones_clock_says(
    page, context, live_server, days
):
    """A phone whose clock is a day off: the offline page's form counted its sign-in and its
    day on that clock. A day ahead, the sign-in looked ended and no form was offered; a day
    behind, the check-in was saved on yesterday. The last page seen online tells the phone how
    far off its clock is."""
    context.clock.install(time=datetime.now().astimezone() + timedelta(days=days))
    email = register(page)
    account_today = page.get_by_label("Date", exact=True).input_value()
    controlled(page)
    context.set_offline(True)
    page.goto("/entries")
    form = offline_form(page)
    expect(form).to_be_visible()
    tap_scale(page, "Mood today", 6)
    form.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    context.set_offline(False)
    expect(queue_status(page)).to_contain_text("Sent 1 check-in")
    assert stored_checkins(live_server, email) == [(account_today, 6, "")]


def test_every_answer_kept_on_the_phone_is_listed_where_it_waits(page, context):
    """A check-in kept on the phone was listed by its day and mood alone (its words and tags
    only once it was not sent): its anxiety, energy, sleep and symptom ratings were nowhere to
    see, on the check-in page or on the offline page the app opens on with no signal, where
    not even its mood was. Every answer kept is listed, with its day, in both."""
    register(page)
    post_form(page, "/settings/symptoms", {"name": "Pain"})
    page.goto("/checkin")
    controlled(page)
    day = page.get_by_label("Date", exact=True).input_value()
    label = page.evaluate(
        "d => new Date(d + 'T12:00:00').toLocaleDateString('en-GB',"
        " { weekday: 'short', day: 'numeric', month: 'short' })",
        day,
    )
    context.set_offline(True)
    tap_scale(page, "Mood today", 6)
    open_more(page)
    tap_scale(page, "Anxiety", 3)
    tap_scale(page, "Energy", 5)
    page.get_by_label("Hours of sleep last night").fill("7.5")
    tap_scale(page, "Pain", 2)
    page.get_by_label("Tags", exact=True).fill("walk, sea")
    page.get_by_label("Reflection", exact=True).fill("A quiet day by the sea")
    page.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    answers = ["Anxiety 3 / 10", "Energy 5 / 10", "Sleep 7.5 h", "Pain 2 / 10", "Tags: walk, sea"]
    kept = page.get_by_role("region", name="Check-ins on this device")
    for answer in [f"{label}, mood 6", *answers]:
        expect(kept).to_contain_text(answer)

    page.goto("/entries")  # the app opened again with no signal: the offline page
    expect(page.get_by_role("heading", name="No connection")).to_be_visible()
    kept = page.get_by_role("region", name="Check-ins on this device")
    for answer in [f"{label}, mood 6", *answers, "A quiet day by the sea"]:
        expect(kept).to_contain_text(answer)
    form = offline_form(page)
    tap_scale(form, "Mood today", 4)
    form.get_by_label("Reflection", exact=True).fill("Later, on the bus")
    form.get_by_role("button", name="Save check-in").tap()
    expect(queue_status(page)).to_contain_text("waiting to send")
    expect(kept.get_by_role("listitem")).to_have_count(2)
    expect(kept.get_by_role("listitem").nth(1)).to_contain_text(f"{label}, mood 4")
    expect(kept.get_by_role("listitem").nth(1)).to_contain_text("Later, on the bus")
    found = []
    looks_right(page, "offline page with check-ins kept", found)
    assert found == [], "\n".join(found)
