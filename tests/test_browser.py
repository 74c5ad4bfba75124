"""Afterglow in a real browser, used the way a person uses it on a phone.

Debian's Chromium through Playwright at 390 x 844 (touch, mobile), against the live
server from conftest.py (CSRF on, one database for the whole run, so every test signs
up with its own email).
"""

import functools
import re
import uuid
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import LIVE, PASSWORD, pdf_text
from factories import invitation_on
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DAY_URL = re.compile(r"/entries/(\d{4}-\d\d-\d\d)$")
WIDTHS = (390, 360)
SCHEMES = ("light", "dark")
TAP_MIN = 44


# What a person does -------------------------------------------------------------------


def register(page, name="", therapist=False, database=None):
    """Sign up with a fresh email through the form; lands on the check-in page (a therapist,
    through the form of an admin's invitation made in `database`, the live server's unless
    told, on the caseload)."""
    email = f"pat-{uuid.uuid4().hex}@example.com"
    invited = therapist and invitation_on(database or LIVE["database"])
    page.goto(invited or "/auth/register")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    if name:
        page.get_by_label("Name to show (optional)").fill(name)
    page.get_by_role("button", name="Create account").tap()
    expect(page).to_have_url(re.compile(r"/caseload$" if therapist else r"/checkin$"))
    # Its scripts run and the page is theirs before the test goes on: a test that went offline
    # at once could cut the modules' download, and its Save then left for the browser's own
    # offline page.
    page.wait_for_load_state("load")
    return email


def sign_up(page, name="", therapist=False, database=None):
    """As `register`, but the same form is posted to the live server by the browser's own
    request context (its cookies, user agent and time zone) instead of being filled in on
    screen; then the person's first page opens. For tests about the pages after sign-up;
    signing up on screen is tested through `register`."""
    email = f"pat-{uuid.uuid4().hex}@example.com"
    path = (therapist and invitation_on(database or LIVE["database"])) or "/auth/register"
    agent, zone = page.evaluate(
        "[navigator.userAgent, Intl.DateTimeFormat().resolvedOptions().timeZone]"
    )
    fields = {"email": email, "password": PASSWORD, "timezone": zone, "display_name": name}
    post_form(page, path, fields, headers={"User-Agent": agent})
    page.goto("/caseload" if therapist else "/checkin")
    expect(page).to_have_url(re.compile(r"/caseload$" if therapist else r"/checkin$"))
    return email


def log_in_here(page, email):
    """Fill in the log-in form the page shows and tap "Log in" (where it leads is the test's)."""
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").tap()


def log_in(page, email):
    """Open the log-in page and log in as `email` on screen."""
    page.goto("/auth/login")
    log_in_here(page, email)


def post_form(page, path, data, form_path=None, multipart=False, headers=None):
    """Send a form as the page would: its CSRF token from a GET of `form_path` (or `path`)."""
    html = page.request.get(form_path or path).text()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token, f"no CSRF token on {form_path or path}"
    fields = {"csrf_token": token.group(1), **data}
    send = {"multipart": fields} if multipart else {"form": fields}
    response = page.request.post(path, headers=headers, **send)
    assert response.ok, f"{path}: {response.status} {response.text()[:300]}"
    return response


def wait_in_page(page, predicate, arg=None, timeout=10_000):
    """Wait until `predicate(arg)` holds in the page; `predicate` is a function's source.

    Not wait_for_function: that checks again through eval, which the page's CSP refuses once
    its first check fails. Here the source is compiled once, by Playwright's evaluate, and the
    page calls the function it made every 50 ms."""
    page.evaluate(
        f"""arg => new Promise((holds, late) => {{
            const check = {predicate};
            const until = Date.now() + {timeout};
            const again = () => {{
                if (check(arg)) holds(true);
                else if (Date.now() > until) late(new Error("still not true: " + check));
                else setTimeout(again, 50);
            }};
            again();
        }})""",
        arg,
    )


def tap_scale(page, group, value):
    """Tap the visible number on a 0-10 scale.

    The radio button is an invisible layer over the number, inside the same label, so the
    finger lands on the label that shows the number.
    """
    number = re.compile(rf"^\s*{value}\b")
    page.get_by_role("group", name=group).locator("label").filter(has_text=number).tap()


def open_more(page):
    """Open the optional part of the check-in (anxiety, energy, sleep)."""
    page.get_by_text(re.compile(r"^Anxiety, energy")).tap()
    expect(page.get_by_label("Hours of sleep last night")).to_be_visible()


def scale_radio(page, group, value):
    """The radio button for `value` on a 0-10 scale."""
    return page.get_by_role("group", name=group).get_by_role("radio", name=str(value), exact=True)


def save(page):
    """Tap the form's save button and wait for the saved day's page."""
    page.get_by_role("button", name=re.compile(r"^Save (check-in|changes)$")).tap()
    expect(page).to_have_url(DAY_URL)
    # The URL changes when the response starts; layout (line breaks shown by the style
    # sheet's pre-wrap) is only settled once the page has loaded.
    page.wait_for_load_state("load")
    return DAY_URL.search(page.url).group(1)


def check_in(page, mood, reflection="", day=None, tags=""):
    """Log a check-in from the check-in page; returns its day (YYYY-MM-DD)."""
    page.goto("/checkin")
    tap_scale(page, "Mood today", mood)
    if day:
        page.get_by_label("Date", exact=True).fill(day)
    if tags:
        page.get_by_label("Tags", exact=True).fill(tags)
    if reflection:
        page.get_by_label("Reflection", exact=True).fill(reflection)
    return save(page)


def log_session(page, started_at=None, mood_before=4, mood_after=7, reflection=""):
    """Log an esketamine session through the form; lands on the session's page."""
    page.goto("/sessions/new")
    if started_at:
        page.get_by_label("Date and time").fill(started_at)
    page.get_by_text("Esketamine (Spravato)").tap()
    page.get_by_label("How it was given").select_option("intranasal")
    page.get_by_label("Total dose in mg").fill("56")
    tap_scale(page, "Mood before the session", mood_before)
    tap_scale(page, "Mood after the session", mood_after)
    if reflection:
        page.get_by_text("Reflection and prompts").tap()
        page.get_by_label("Reflection", exact=True).fill(reflection)
    page.get_by_role("button", name="Save session").tap()
    expect(page).to_have_url(re.compile(r"/sessions/\d+$"))


ANSWERS = ["Not at all", "Several days", "More than half the days", "Nearly every day"]


def answer_checkup(page, kind, answers):
    """Answer a PHQ-9 or GAD-7 by tapping each question's answer; lands on the result."""
    page.goto(f"/assessments/{kind}")
    for number, answer in enumerate(answers, start=1):
        question = page.get_by_role("group", name=re.compile(rf"^{number}\. "))
        question.get_by_text(ANSWERS[answer], exact=True).tap()
    page.get_by_role("button", name="Save and see my score").tap()
    expect(page).to_have_url(re.compile(r"/assessments/\d+$"))


def form_today(page):
    """The day the check-in form offers by default: today in the person's time zone."""
    page.goto("/checkin")
    return page.get_by_label("Date", exact=True).input_value()


def figure(page, name):
    """The value shown next to `name` ("Mood", "Sleep", ...) on a day's page."""
    return (
        page.locator("dl.figures > div")
        .filter(has=page.get_by_role("term").filter(has_text=re.compile(f"^{name}$")))
        .get_by_role("definition")
    )


def history_days(page):
    """The days listed on the history page, top to bottom."""
    page.goto("/entries")
    return page.locator("ol.entries time").evaluate_all(
        "times => times.map(t => t.getAttribute('datetime'))"
    )


def flash(page):
    return page.get_by_role("status").filter(has_text=re.compile(r"\S"))


def sideways_overflow(page):
    """How many CSS px the page is wider than the screen (0 when nothing scrolls sideways).

    With is_mobile, Chromium widens window.innerWidth to fit over-wide content (it zooms
    the page out), so `scrollWidth <= innerWidth` would always pass. The layout viewport
    (documentElement.clientWidth) keeps the device width.
    """
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


@functools.cache
def axe_script():
    """axe-core, as axe-playwright-python ships it."""
    return Axe().axe_script


def serious_violations(page):
    """axe's serious and critical violations on the page, as readable lines.

    axe is put into the page once per page load (a second look at the same page, in the other
    colour scheme, runs it again), and only its violations come back: the rest of its answer
    (every rule that passed or did not apply) is most of the work of sending it back."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_script())
    violations = page.evaluate("axe.run({resultTypes: ['violations']}).then(r => r.violations)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(map(str, node["target"])) for node in v["nodes"])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


# The pages a person sees ----------------------------------------------------------------

# Reflections with long unbroken words and many tags are what push a phone layout sideways.
LONG_REFLECTION = (
    "A long day after the session. Notes from https://example.org/integration/"
    "a-very-long-address-without-any-break-in-it-at-all?with=parameters&and=more\n"
    "Supercalifragilisticexpialidociousnessandevenlongerwordsthanthatone 🌅🌅🌅"
)
LONG_TAGS = "outdoors, friends, integration, meditation, a-long-tag-without-spaces-at-all"

PAGES = [
    "landing",
    "register",
    "login",
    "checkin",
    "entries",
    "entry",
    "entry with crisis resources",
    "edit",
    "delete confirmation",
    "settings",
    "help",
    "not found",
    "sessions",
    "new session",
    "session",
    "progress",
    "check-ups",
    "phq9",
    "check-up result",
    "symptoms",
    "share",
    "new share link",
    "exports",
    "report form",
    "import",
    "your therapist",
    "caseload",
    "reminders",
    "recent activity",
    "delete account",
    "offline",
]
ANONYMOUS = {"landing": "/", "register": "/auth/register", "login": "/auth/login"}


# The people the page checks look at, made once per test process on first use (the pages
# are only opened, never changed): a patient with a check-in today and a session, both with
# LONG_REFLECTION, and a therapist.
PREPARED = {}


def as_prepared(page, who):
    """Sign `page`'s browser in as the prepared "patient" or "therapist"; the patient's
    check-in day."""
    if who in PREPARED:
        page.context.add_cookies(PREPARED[who]["cookies"])
        return PREPARED[who]["day"]
    day = None
    if who == "therapist":
        sign_up(page, name="Dr. Alexandra Konstantinopoulou-Wright", therapist=True)
    else:
        sign_up(page, name="Alexandra Konstantinopoulou-Wright")
        day = check_in(page, mood=6, reflection=LONG_REFLECTION, tags=LONG_TAGS)
        log_session(page, reflection=LONG_REFLECTION)
    PREPARED[who] = {"cookies": page.context.cookies(), "day": day}
    return day


# Pages reached by doing something (each on a person of its own) rather than by address.
ACTIONS = ("entry with crisis resources", "session", "check-up result", "new share link")


def open_page(page, name):
    """Go to one of the pages a person sees, signed in as who sees it."""
    if name in ANONYMOUS:
        response = page.goto(ANONYMOUS[name])
        assert response.status == 200
        return
    if name == "caseload":
        as_prepared(page, "therapist")
        assert page.goto("/caseload").status == 200
        return
    if name in ACTIONS:
        open_by_doing(page, name)
        return
    day = as_prepared(page, "patient")
    path, status = {
        "checkin": ("/checkin", 200),
        "entries": ("/entries", 200),
        "entry": (f"/entries/{day}", 200),
        "edit": (f"/entries/{day}/edit", 200),
        "delete confirmation": (f"/entries/{day}/delete", 200),
        "settings": ("/settings", 200),
        "help": ("/help", 200),
        "not found": ("/no-such-page", 404),
        "sessions": ("/sessions", 200),
        "new session": ("/sessions/new", 200),
        "progress": ("/progress", 200),
        "check-ups": ("/assessments", 200),
        "phq9": ("/assessments/phq9", 200),
        "symptoms": ("/settings/symptoms", 200),
        "share": ("/share", 200),
        "exports": ("/export", 200),
        "report form": ("/export/report", 200),
        "import": ("/import", 200),
        "your therapist": ("/settings/therapist", 200),
        "reminders": ("/settings/reminders", 200),
        "recent activity": ("/settings/activity", 200),
        "delete account": ("/settings/delete", 200),
        "offline": ("/offline", 200),
    }[name]
    response = page.goto(path)
    assert response.status == status
    if name == "checkin":
        open_more(page)


def open_by_doing(page, name):
    """Open one of `ACTIONS`' pages the way a new person with a check-in today reaches it."""
    sign_up(page, name="Alexandra Konstantinopoulou-Wright")
    if name == "entry with crisis resources":
        check_in(page, mood=1, reflection=LONG_REFLECTION, tags=LONG_TAGS)
        expect(page.locator("#crisis-resources")).to_be_visible()
        return
    check_in(page, mood=6, reflection=LONG_REFLECTION, tags=LONG_TAGS)
    if name == "session":
        log_session(page, reflection=LONG_REFLECTION)
    if name == "check-up result":
        answer_checkup(page, "phq9", [1, 2, 1, 0, 3, 1, 0, 2, 0])
    if name == "new share link":
        page.goto("/share")
        page.get_by_label("Who is this link for?").fill("Dr. Konstantinopoulou-Wright")
        page.get_by_role("button", name="Make a link").tap()
        expect(page.locator("#share-url")).to_be_visible()


# 1. Register ------------------------------------------------------------------------------


def test_register_preselects_the_browsers_time_zone(browser, browser_context_args):
    zone = "Pacific/Kiritimati"
    context = browser.new_context(**browser_context_args, timezone_id=zone)
    try:
        page = context.new_page()
        page.goto("/auth/register")
        expect(page.get_by_label("Time zone")).to_have_value(zone)

        page.get_by_label("Email", exact=True).fill(f"kiri-{uuid.uuid4().hex}@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Name to show (optional)").fill("Teuea")
        page.get_by_role("button", name="Create account").tap()

        expect(page).to_have_url(re.compile(r"/checkin$"))
        expect(flash(page)).to_contain_text("Welcome to Afterglow")
        page.goto("/settings")
        expect(page.get_by_label("Time zone")).to_have_value(zone)
    finally:
        context.close()


# 2. Log a check-in --------------------------------------------------------------------------


def test_check_in_by_touch_shows_the_entry(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    register(page)

    tap_scale(page, "Mood today", 7)
    expect(scale_radio(page, "Mood today", 7)).to_be_checked()
    open_more(page)
    page.get_by_label("Hours of sleep last night").fill("7.5")
    tags = page.get_by_label("Tags", exact=True)
    tags.fill("calm")
    page.get_by_role("button", name="exercise", exact=True).tap()
    expect(tags).to_have_value("calm, exercise")

    reflection = page.get_by_label("Reflection", exact=True)
    reflection.press_sequentially("Quiet morning <script>alert(1)</script>")
    reflection.press("Enter")
    reflection.press_sequentially("Walked by the sea 🌊")
    day = save(page)

    expect(flash(page)).to_contain_text("Saved your check-in for")
    expect(page.locator("h1 time")).to_have_attribute("datetime", day)
    expect(figure(page, "Mood")).to_have_text("7 / 10")
    expect(figure(page, "Sleep")).to_have_text("7.5 h")
    expect(page.locator(".tags .chip")).to_have_text(["calm", "exercise"])
    shown = page.locator(".reflection").inner_text()
    assert shown == "Quiet morning <script>alert(1)</script>\nWalked by the sea 🌊"
    assert page.locator("main script").count() == 0
    assert dialogs == []


def test_a_tag_suggestion_says_what_it_did(page):
    """A tapped suggestion changed the Tags field without a word, and one already there did
    nothing without a word (a tap takes it out now): a screen reader heard neither. The
    page's status line says which, on the check-in and on an edit (where the line sits just
    below the suggestions)."""
    sign_up(page)
    day = check_in(page, mood=6, tags="calm")
    for path in ("/checkin", f"/entries/{day}/edit"):
        page.goto(path)
        status = page.locator(".suggestions + [role=status]")  # its own line, below them
        expect(status).to_have_text("")  # there before anything is said, so it is read
        tags = page.get_by_label("Tags", exact=True)
        tags.fill("calm")
        page.get_by_role("button", name="exercise", exact=True).tap()
        expect(tags).to_have_value("calm, exercise")
        expect(status).to_have_text("Added “exercise” to Tags.")
        # In the field already: the tap takes it out (a chip is a toggle, see below).
        page.get_by_role("button", name="calm", exact=True).tap()
        expect(tags).to_have_value("exercise")
        expect(status).to_have_text("Removed “calm” from Tags.")


def test_a_second_tap_on_a_tag_suggestion_takes_it_back(page):
    """A suggestion tapped by mistake stayed in Tags: a second tap said it was there already,
    and taking it out meant editing a comma-separated line on a phone keyboard. A chip is a
    toggle (aria-pressed: its tag is in the field, whoever put it there): a tap on a pressed
    one takes its tag out again, and it follows the field as typed, put back or saved."""
    sign_up(page)
    page.goto("/checkin")
    tags = page.get_by_label("Tags", exact=True)
    status = page.locator(".suggestions + [role=status]")
    exercise = page.get_by_role("button", name="exercise", exact=True)
    outdoors = page.get_by_role("button", name="outdoors", exact=True)
    expect(exercise).to_have_attribute("aria-pressed", "false")
    exercise.tap()
    expect(tags).to_have_value("exercise")
    expect(exercise).to_have_attribute("aria-pressed", "true")
    exercise.tap()
    expect(tags).to_have_value("")
    expect(exercise).to_have_attribute("aria-pressed", "false")
    expect(status).to_have_text("Removed “exercise” from Tags.")
    # Typed by hand, in any case: the chip follows the field, and takes out what was typed.
    tags.fill("Outdoors, walk, exercise")
    expect(outdoors).to_have_attribute("aria-pressed", "true")
    outdoors.tap()
    expect(tags).to_have_value("walk, exercise")
    expect(outdoors).to_have_attribute("aria-pressed", "false")
    tags.fill("walk")
    expect(exercise).to_have_attribute("aria-pressed", "false")
    # Reload: the draft puts the words back after the page started; the chips follow.
    exercise.tap()
    page.reload()
    expect(tags).to_have_value("walk, exercise")
    expect(exercise).to_have_attribute("aria-pressed", "true")
    day = check_in(page, mood=6, tags="outdoors")
    page.goto(f"/entries/{day}/edit")
    expect(outdoors).to_have_attribute("aria-pressed", "true")
    expect(exercise).to_have_attribute("aria-pressed", "false")


# 3. History ---------------------------------------------------------------------------------


def test_history_lists_newest_first_and_links_to_the_day(page):
    sign_up(page)
    today = form_today(page)
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    day_before = (date.fromisoformat(today) - timedelta(days=2)).isoformat()
    # Logged out of order, so neither insertion order nor its reverse passes by chance.
    assert check_in(page, mood=5, reflection="today") == today
    assert check_in(page, mood=3, reflection="two days ago", day=day_before) == day_before
    assert check_in(page, mood=4, reflection="yesterday", day=yesterday) == yesterday

    assert history_days(page) == [today, yesterday, day_before]
    expect(page.get_by_text("3 check-ins, newest first.")).to_be_visible()

    page.locator("ol.entries a").first.tap()
    expect(page).to_have_url(re.compile(f"/entries/{today}$"))
    expect(figure(page, "Mood")).to_have_text("5 / 10")
    expect(page.locator(".reflection")).to_have_text("today")


# 4. Edit ------------------------------------------------------------------------------------


def test_edit_changes_the_day_and_keeps_one_row(page):
    sign_up(page)
    day = check_in(page, mood=6, reflection="Before the edit")

    page.get_by_role("link", name="Edit", exact=True).tap()
    expect(page).to_have_url(re.compile(f"/entries/{day}/edit$"))
    expect(scale_radio(page, "Mood today", 6)).to_be_checked()
    tap_scale(page, "Mood today", 8)
    page.get_by_label("Reflection", exact=True).fill("After the edit\nfeeling lighter")
    assert save(page) == day

    expect(flash(page)).to_contain_text("Updated your check-in for")
    expect(figure(page, "Mood")).to_have_text("8 / 10")
    assert page.locator(".reflection").inner_text() == "After the edit\nfeeling lighter"
    assert history_days(page) == [day]
    expect(page.locator("ol.entries .mood-badge")).to_have_text(["Mood 8 out of 10"])


# 5. Delete ----------------------------------------------------------------------------------


def test_delete_after_confirmation(page):
    sign_up(page)
    day = check_in(page, mood=4, reflection="To be deleted")

    # Changing one's mind on the confirmation page keeps the entry.
    page.get_by_role("link", name="Delete", exact=True).tap()
    expect(page).to_have_url(re.compile(f"/entries/{day}/delete$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete the check-in for")
    page.get_by_role("link", name="Keep it").tap()
    expect(page).to_have_url(re.compile(f"/entries/{day}$"))
    expect(page.locator(".reflection")).to_have_text("To be deleted")

    page.get_by_role("link", name="Delete", exact=True).tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete the check-in for")
    page.get_by_role("button", name="Delete for good").tap()
    expect(page).to_have_url(re.compile(r"/entries$"))
    expect(flash(page)).to_contain_text("Deleted the check-in for")
    assert history_days(page) == []
    assert page.goto(f"/entries/{day}").status == 404


# 6. Crisis resources ------------------------------------------------------------------------


def test_crisis_resources_on_a_check_in_sent_back_open_at_their_heading(page):
    """A mood of 1 sent with a mistake (a reflection over the limit): the resources show on the
    form sent back and take the focus, but the box, taller than the screen, was scrolled to
    its middle, its heading above the top."""
    page.set_viewport_size({"width": 360, "height": 640})  # a small phone: the box is taller
    sign_up(page)
    tap_scale(page, "Mood today", 1)
    page.get_by_label("Reflection", exact=True).fill("x" * 20_001)
    page.get_by_role("button", name="Save check-in").tap()
    crisis = page.locator("#crisis-resources")
    expect(crisis).to_be_focused()
    heading = crisis.locator("h2").bounding_box()
    assert 0 <= heading["y"] < page.viewport_size["height"], heading


@pytest.mark.parametrize(
    ("mood", "self_harm", "shown"),
    [(1, False, True), (2, False, True), (6, True, True), (3, False, False)],
    ids=["mood 1", "mood 2", "self-harm box", "mood 3"],
)
def test_crisis_resources_once_after_a_low_or_self_harm_entry(page, mood, self_harm, shown):
    sign_up(page)
    tap_scale(page, "Mood today", mood)
    if self_harm:
        page.get_by_label("I've had thoughts of harming myself").check()
    save(page)

    crisis = page.locator("#crisis-resources")
    if not shown:
        expect(flash(page)).to_be_visible()
        assert crisis.count() == 0
        return
    expect(crisis).to_be_visible()
    expect(crisis.locator('a[href="tel:988"]')).to_be_visible()
    expect(crisis).to_be_focused()
    page.reload()
    expect(page.locator("h1 time")).to_be_visible()
    assert crisis.count() == 0


@pytest.mark.parametrize("where", ["day", "check-up"])
def test_the_crisis_panel_stands_apart_from_the_figures_below_it(page, where):
    """The panel after a low entry ended with a rule under its last line of help, and the
    card below it (the day's mood, the check-up's total) touched its border: the page's most
    important box ran into the next one."""
    sign_up(page)
    if where == "day":
        tap_scale(page, "Mood today", 1)
        save(page)
    else:
        answer_checkup(page, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    crisis = page.locator("#crisis-resources")
    expect(crisis).to_be_visible()
    panel = crisis.bounding_box()
    below = page.locator("#crisis-resources + *").bounding_box()
    assert below["y"] - (panel["y"] + panel["height"]) >= 8, (panel, below)
    last = crisis.locator(".resources > li").last
    assert last.evaluate("li => getComputedStyle(li).borderBottomStyle") == "none"


# 7. Bad input -------------------------------------------------------------------------------


def test_missing_mood_is_explained_at_the_field_and_keeps_the_text(page):
    sign_up(page)
    page.get_by_label("Reflection", exact=True).fill("Foggy today\nbut okay")
    with page.expect_response(
        lambda r: r.request.method == "POST" and urlsplit(r.url).path == "/checkin"
    ) as answer:
        page.get_by_role("button", name="Save check-in").tap()
    assert answer.value.status == 400

    mood = page.get_by_role("group", name="Mood today")
    expect(mood.locator(".error")).to_have_text("Choose your mood, from 0 to 10.")
    expect(mood).to_have_attribute("aria-describedby", "mood-error")
    expect(page.get_by_label("Reflection", exact=True)).to_have_value("Foggy today\nbut okay")
    assert history_days(page) == []


# Forms sent back with a radio group left out: (path, button, the group's link in the summary).
EMPTY_FORMS = [
    ("/checkin", "Save check-in", "Mood today"),
    ("/sessions/new", "Save session", "Medicine"),
    ("/assessments/phq9", "Save and see my score", "Question 1"),
]


def send_empty(page, path, button):
    """Open the form at `path` and send it as it is; wait for its error summary."""
    page.goto(path)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state("load")
    expect(page.locator("#error-summary")).to_be_visible()


@pytest.mark.parametrize(("path", "button", "link"), EMPTY_FORMS)
def test_the_error_summary_link_to_a_radio_group_puts_the_focus_in_it(page, path, button, link):
    # The link pointed at the fieldset, which cannot take the focus: the page scrolled, but
    # the focus stayed on the link, so the next Tab went back to the top of the form.
    page.set_viewport_size({"width": 360, "height": 800})
    sign_up(page)
    send_empty(page, path, button)
    summary_link = page.locator("#error-summary").get_by_role("link", name=link, exact=True)
    target = summary_link.get_attribute("href")
    group = page.locator(f"fieldset{target}, fieldset:has({target})")
    summary_link.click()
    assert group.evaluate("g => g.contains(document.activeElement)"), focused(page)[:3]
    assert focused(page)[0] == "INPUT"
    # The group's question and its message are on screen above the focused answer.
    expect(group.locator("legend")).to_be_in_viewport(ratio=1)
    expect(group.locator(".error")).to_be_in_viewport(ratio=1)


@pytest.mark.parametrize(
    ("path", "button"),
    [*((path, button) for path, button, _ in EMPTY_FORMS), ("/settings", "Change password")],
)
def test_the_title_says_the_form_came_back_with_mistakes(page, path, button):
    # The title is the first thing a screen reader reads on the page that comes back: it
    # said "Check in" whether the check-in was saved or not.
    sign_up(page)
    page.goto(path)
    title = page.title()
    assert not title.startswith("Error")
    send_empty(page, path, button)
    assert page.title() == f"Error: {title}"


# 8. Log out and back in -------------------------------------------------------------------


def test_log_out_then_log_in_returns_to_the_check_in(page):
    # "Log out" sits at the foot of every signed-in page (commit ae95b69 moved it there).
    email = register(page)
    page.get_by_role("contentinfo").get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(flash(page)).to_have_text("You are logged out.")

    page.goto("/checkin")
    assert urlsplit(page.url).path == "/auth/login"
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/checkin"]

    log_in_here(page, email)
    expect(page).to_have_url(re.compile(r"/checkin$"))
    expect(page.get_by_role("heading", name="How are you today?")).to_be_visible()


# 9. No sideways scrolling -------------------------------------------------------------------


def test_sideways_scroll_check_notices_a_too_wide_page(page):
    """The check below must be able to fail, in spite of Chromium's mobile zoom-out."""
    page.goto("/help")
    assert sideways_overflow(page) <= 0
    # Set through the CSS object model: the Content-Security-Policy refuses style attributes.
    page.evaluate(
        "const wide = document.createElement('div');"
        " wide.style.width = '500px'; wide.style.height = '10px';"
        " document.querySelector('main').append(wide)"
    )
    assert sideways_overflow(page) > 0


def looks_right(page, what, found):
    """axe's serious findings and any sideways scrolling at each width, in light mode and then
    in dark (the phone's setting changed with the page open: the style sheet follows it), into
    `found`; light mode and the phone's size are put back."""
    page.wait_for_load_state("load")
    for scheme in each_scheme(page):
        found += [f"{what} ({scheme}): {line}" for line in serious_violations(page)]
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 844})
            overflow = sideways_overflow(page)
            if overflow > 0:
                found.append(f"{what} ({scheme}) scrolls sideways by {overflow} px at {width} px")
        page.set_viewport_size({"width": 390, "height": 844})


def in_scheme(page, scheme):
    """Show pages as a phone set to light or dark mode would."""
    page.emulate_media(color_scheme=scheme)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")


def each_scheme(page):
    """Light mode, then dark, switched with the page open (its style sheet and its charts'
    <picture> sources follow the phone's setting): one page load checked in both. Light again
    afterwards."""
    for scheme in SCHEMES:
        in_scheme(page, scheme)
        yield scheme
    in_scheme(page, SCHEMES[0])


@pytest.mark.parametrize("name", PAGES)
def test_no_sideways_scrolling(page, name):
    """Each page at each width, in light mode and then in dark (the phone's setting changed
    with the page open, as the style sheet follows it: one page load for both)."""
    # While at it: the strict Content-Security-Policy refuses nothing the page needs.
    refused = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    open_page(page, name)
    page.wait_for_load_state("load")
    assert refused == []
    for scheme in each_scheme(page):
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            assert page.evaluate("document.documentElement.clientWidth") == width
            overflow = sideways_overflow(page)
            assert overflow <= 0, (
                f"{name} ({scheme}) scrolls sideways by {overflow} px at {width} px wide"
            )


# 10. Tap targets ----------------------------------------------------------------------------


def test_both_choices_of_a_delete_page_are_full_size_tap_targets(page):
    # The safe choice beside the red button ("Keep my account") was a 24 px high text link.
    page.set_viewport_size({"width": 360, "height": 800})
    sign_up(page)
    day = check_in(page, mood=6)
    small = []
    for path in ("/settings/delete", f"/entries/{day}/delete"):
        page.goto(path)
        actions = page.locator("main .actions")
        choices = actions.get_by_role("button").all() + actions.get_by_role("link").all()
        names = [choice.inner_text() for choice in choices]
        assert any(name.startswith("Keep") for name in names), (path, names)
        for choice in choices:
            box = choice.bounding_box()
            if box["height"] < TAP_MIN or box["width"] < TAP_MIN:
                small.append(
                    f"{path} {choice.inner_text()}: {box['width']:.0f} x {box['height']:.0f}"
                )
    assert small == []


def small_links(page, selector):
    """The links `selector` finds that are under TAP_MIN px wide or high, with their size."""
    small = []
    for link in page.locator(selector).all():
        box = link.bounding_box()
        if box and (box["width"] < TAP_MIN or box["height"] < TAP_MIN):
            small.append(f"{link.inner_text()!r} {box['width']:.0f} x {box['height']:.0f}")
    return small


def test_links_on_a_line_of_their_own_are_full_size_tap_targets(
    page, browser, browser_context_args
):
    # Settings' list of pages, the calendar's days, each session's and each patient's name,
    # the footer's crisis link and the "Back to ..." links were 24 to 41 px high at 360 px.
    # A link inside a sentence of running text may stay as it is.
    page.set_viewport_size({"width": 360, "height": 800})
    day = as_prepared(page, "patient")
    small = []
    for path, selector in [
        ("/settings", "main .link-list li > a:first-child"),
        ("/progress?days=30", "section.calendar a.day"),
        ("/sessions", "main .session-card h2 a"),
        (f"/entries/{day}", "footer a"),
        (f"/entries/{day}", "main a:text-matches('^Back to')"),
        ("/settings/therapist", "main a:text-matches('^Back to')"),
    ]:
        page.goto(path)
        assert page.locator(selector).count() > 0, (path, selector)
        small += [f"{path} {link}" for link in small_links(page, selector)]
    page.goto("/checkin")  # "Track a symptom of your own", at the end of the optional part
    open_more(page)
    small += [f"/checkin {link}" for link in small_links(page, "main p.own-line > a")]
    assert page.locator("main p.own-line > a").count() == 1
    # A form's summary of mistakes links to each field (19 px high, a session's "Total dose").
    page.goto("/checkin?date=2999-01-01")  # a day still to come: the form says so
    summary = "#error-summary li > a"
    expect(page.locator(summary).first).to_be_visible()
    small += [f"/checkin summary {link}" for link in small_links(page, summary)]
    doc = browser.new_context(**browser_context_args).new_page()
    robin = browser.new_context(**browser_context_args).new_page()
    try:
        doc.set_viewport_size({"width": 360, "height": 800})
        sign_up(doc, therapist=True)
        sign_up(robin, name="Jo")  # a short name: its link was 39 px wide ("Alex")
        robin.goto("/settings/therapist")
        robin.get_by_label("Invite code from your therapist").fill(
            doc.locator("#invite-code").inner_text()
        )
        robin.get_by_role("button", name="Link").tap()
        expect(robin.get_by_role("button", name="Unlink")).to_be_visible()
        doc.goto("/caseload")
        expect(doc.get_by_role("link", name="Jo", exact=True)).to_be_visible()
        small += [f"/caseload {link}" for link in small_links(doc, "main h3 a")]
    finally:
        doc.context.close()
        robin.context.close()
    assert small == [], f"links under {TAP_MIN} px at 360 px wide:\n" + "\n".join(small)


def test_the_way_on_from_an_error_page_is_a_full_size_tap_target(page):
    # The one link of a 404, 400, 410 or 413 page ("Go to the start page", or the list its
    # words name: "Go to History") stood on a line of its own but was 19 px high.
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/no-such-page")
    small = [f"404 {link}" for link in small_links(page, "main a")]
    sign_up(page)
    assert page.goto("/entries/2001-01-01").status == 404  # a day with no check-in
    expect(page.locator("main").get_by_role("link", name="Go to History")).to_be_visible()
    small += [f"a day's 404 {link}" for link in small_links(page, "main a")]
    assert small == [], f"links under {TAP_MIN} px at 360 px wide:\n" + "\n".join(small)


@pytest.mark.parametrize("width", WIDTHS)
def test_tap_targets_on_the_check_in_page(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_up(page)
    open_more(page)

    targets = [
        *page.get_by_role("button").all(),
        *page.locator("header").get_by_role("link").all(),
        *page.get_by_role("navigation").get_by_role("link").all(),
        *page.locator("summary").all(),
        *(
            label
            for group in ("Mood today", "Anxiety", "Energy")
            for label in page.get_by_role("group", name=group, exact=True).locator("label").all()
        ),
    ]
    small = []
    for target in targets:
        if not target.is_visible():
            continue
        box = target.bounding_box()
        if box["height"] < TAP_MIN or box["width"] < TAP_MIN:
            html = target.evaluate("e => e.outerHTML.slice(0, 80)")
            small.append(f"{html}: {box['width']:.0f} x {box['height']:.0f} px")
    assert len(targets) > 30
    assert small == [], f"tap targets under {TAP_MIN} px at {width} px wide:\n" + "\n".join(small)


# 11. Accessibility --------------------------------------------------------------------------


def test_accessibility_check_notices_a_problem(page):
    """axe runs, and its serious findings reach the assertion with their ids and targets."""
    page.goto("/help")
    assert serious_violations(page) == []
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        ' \'<img id="unlabelled" src="/static/icon.svg">\')'
    )
    found = serious_violations(page)
    assert any(line.startswith("image-alt (critical)") and "#unlabelled" in line for line in found)


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violations(page, name):
    """axe on each page in light mode, then in dark with the page still open (contrast is
    judged on the colours the style sheet gives the current scheme)."""
    open_page(page, name)
    found = []
    for scheme in each_scheme(page):
        found += [f"({scheme}) {line}" for line in serious_violations(page)]
    assert found == [], f"axe on {name}:\n" + "\n".join(found)


# 12. Keyboard only --------------------------------------------------------------------------


def focused(page):
    """What has the keyboard focus: (tag, name attribute, value, text)."""
    return page.evaluate(
        "(() => { const e = document.activeElement;"
        " return [e.tagName, e.name || '', e.value || '', e.textContent.trim()]; })()"
    )


def tab_to(page, wanted, limit=40):
    """Press Tab until `wanted(focused(page))` holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if wanted(focused(page)):
            return
    raise AssertionError(f"Tab never reached the element; focus ends on {focused(page)}")


def test_check_in_with_the_keyboard_only(page):
    sign_up(page)
    tab_to(page, lambda f: f[:2] == ["INPUT", "mood"])
    page.keyboard.press("Space")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert focused(page)[:3] == ["INPUT", "mood", "4"]
    expect(scale_radio(page, "Mood today", 4)).to_be_checked()

    tab_to(page, lambda f: f[0] == "BUTTON" and f[3] == "Save check-in")
    page.keyboard.press("Enter")
    expect(page).to_have_url(DAY_URL)
    expect(flash(page)).to_contain_text("Saved your check-in for")
    expect(figure(page, "Mood")).to_have_text("4 / 10")


FOCUS_UNDER_THE_BAR = """
() => {
  const e = document.activeElement, bar = document.querySelector('.actions.sticky');
  if (!bar || bar.contains(e)) return null;
  const box = e.getBoundingClientRect(), top = bar.getBoundingClientRect().top;
  return box.bottom > top + 1 ? [e.name || e.textContent.trim(), box.bottom, top] : null;
}
"""


@pytest.mark.parametrize("path", ["/checkin", "/sessions/new"])
def test_no_control_takes_the_focus_hidden_under_the_sticky_save_bar(page, path):
    # At 360 px, Tab from the top to Save: each control the focus reaches shows above the bar
    # (the tag chips and the self-harm box were under it, only a sliver of their ring seen).
    page.set_viewport_size({"width": 360, "height": 844})
    sign_up(page)
    page.goto(path)
    assert tab_to_save(page) == []


def tab_to_save(page, open_parts=False, presses=150):
    """Tab from the top of the page to its Save button (opening each folded part on the way,
    with `open_parts`); the controls the focus reached under the sticky Save bar."""
    hidden = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        if found := page.evaluate(FOCUS_UNDER_THE_BAR):
            hidden.append(found)
        tag, _, _, text = focused(page)
        closed = "!document.activeElement.parentElement.open"
        if open_parts and tag == "SUMMARY" and page.evaluate(closed):
            page.keyboard.press("Enter")
        if tag == "BUTTON" and text.startswith("Save"):
            return hidden
    raise AssertionError("Tab never reached the Save button")


@pytest.mark.parametrize("form", ["check-in", "session edit"])
def test_no_control_is_hidden_under_the_save_bar_with_the_optional_parts_open(page, form):
    # As above, with each optional part opened from the keyboard on the way: Reflection (and
    # the session's intention) took the focus partly under the bar.
    page.set_viewport_size({"width": 360, "height": 844})
    sign_up(page)
    if form == "session edit":
        log_session(page)
        page.goto(page.url + "/edit")
    hidden = tab_to_save(page, open_parts=True)
    assert page.locator("details.more:not([open])").count() == 0
    assert hidden == []


# 13. A session, a check-up and the progress page -------------------------------------------


def chart_image(page, name, scheme="light"):
    """The chart's <img>, scrolled into view and loaded (lazy images load when seen), once it
    shows the picture for `scheme`: the light chart, or the dark one its <picture> offers
    to a phone in dark mode."""
    image = page.locator(f"figure#{name} img")
    image.scroll_into_view_if_needed()
    wait_in_page(
        page,
        "([i, dark]) => i.complete && i.naturalWidth > 0"
        " && i.currentSrc.includes('theme=dark') === dark",
        [image.element_handle(), scheme == "dark"],
    )
    return image


def test_session_checkup_and_progress(page):
    sign_up(page)
    today = date.fromisoformat(form_today(page))
    session_day = today - timedelta(days=3)
    # A baseline before the session (3, 4, 5: mean 4.0) and two days after it (7, 8).
    for offset, mood in [(-3, 3), (-2, 4), (-1, 5), (1, 7), (2, 8)]:
        check_in(page, mood=mood, day=(session_day + timedelta(days=offset)).isoformat())
    log_session(page, started_at=f"{session_day.isoformat()}T10:30")
    expect(page.get_by_role("heading", level=1)).to_contain_text("#1")

    answer_checkup(page, "phq9", [2, 2, 1, 1, 1, 1, 1, 1, 0])  # 10: moderate
    expect(page.get_by_text("moderate", exact=False).first).to_be_visible()
    expect(page.locator("#crisis-resources")).to_have_count(0)

    page.goto("/sessions")
    expect(page.locator("ol.entries")).to_contain_text("7.5")  # the window mean

    page.goto("/progress")
    for scheme in each_scheme(page):
        for name in ("mood-timeline", "window-overlay", "assessments"):
            image = chart_image(page, name, scheme)
            assert image.evaluate("i => i.naturalWidth") > 300
            assert ("theme=dark" in image.evaluate("i => i.currentSrc")) == (scheme == "dark")
            assert len(image.get_attribute("alt")) > 30
        assert sideways_overflow(page) <= 0
    expect(page.locator("figure#window-overlay img")).to_have_attribute(
        "alt", re.compile(r"baseline of 4\.0")
    )
    page.get_by_text("Each session's window as a table").tap()
    row = page.locator("figure#window-overlay table tbody tr").first
    expect(row).to_contain_text("7.5")
    expect(row).to_contain_text("+3.5")  # 7.5 - 4.0
    expect(page.locator(".cards")).to_contain_text("10")  # the latest PHQ-9
    assert sideways_overflow(page) <= 0

    page.get_by_role("link", name="1 year").tap()
    expect(page).to_have_url(re.compile(r"days=365"))
    chart_image(page, "mood-timeline")
    assert sideways_overflow(page) <= 0


def test_checkup_item_nine_shows_crisis_resources(page):
    sign_up(page)
    answer_checkup(page, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    panel = page.locator("#crisis-resources")
    expect(panel).to_be_visible()
    expect(panel.locator('a[href="tel:988"]')).to_be_visible()
    page.reload()
    expect(page.locator("#crisis-resources")).to_have_count(0)


# 14. A share link, opened by the therapist in a browser of their own -------------------------


def test_share_link_opened_in_a_fresh_browser_with_its_report(page, browser, browser_context_args):
    from pathlib import Path

    sign_up(page)
    today = date.fromisoformat(form_today(page))
    check_in(page, mood=6, reflection="Shared words about the walk 🌿")
    page.goto(f"/checkin?date={(today - timedelta(days=1)).isoformat()}")
    tap_scale(page, "Mood that day", 4)
    page.get_by_label("Reflection", exact=True).fill("Private words nobody else reads")
    page.get_by_label(re.compile("^Keep this reflection private")).check()
    save(page)

    page.goto("/share")
    page.get_by_label("Who is this link for?").fill("Dr. Rivera")
    page.get_by_label("Days the link works").fill("14")
    page.get_by_role("button", name="Make a link").tap()
    link = page.locator("#share-url").input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]{43}", link)
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()  # the script's copy
    expect(page.get_by_role("img", name=re.compile("QR code", re.I))).to_be_visible()
    assert sideways_overflow(page) <= 0

    therapist = browser.new_context(**browser_context_args)  # no cookies, no account
    try:
        view = therapist.new_page()
        response = view.goto(link)
        assert response.status == 200
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "noindex" in response.headers["x-robots-tag"]
        expect(view.get_by_text("Shared words about the walk 🌿")).to_be_visible()
        assert "Private words nobody else reads" not in view.content()
        chart_image(view, "mood-timeline")
        assert sideways_overflow(view) <= 0
        with view.expect_download() as download:
            view.get_by_role("link", name="Download the report (PDF)").tap()
        pdf = Path(download.value.path()).read_bytes()
        text = pdf_text(pdf)
        assert pdf.startswith(b"%PDF") and "Shared words about the walk" in text
        assert "Private words nobody else reads" not in text
    finally:
        therapist.close()

    page.goto("/share")
    expect(page.locator(".share-links")).to_contain_text("Opened 2 times")  # page and report
    assert link.rsplit("/", 1)[1] not in page.content()  # the link is shown once only
    page.get_by_role("button", name=re.compile("^Revoke")).tap()
    # Opened once the journal has said so (under load, the tap's request can still be on its
    # way when the other browser asks).
    expect(page.locator(".flash")).to_contain_text("is revoked")
    again = browser.new_context(**browser_context_args)
    try:
        response = again.new_page().goto(link)
        assert response.status == 410
    finally:
        again.close()


def test_reloading_the_new_link_page_makes_no_second_link(page):
    sign_up(page)
    page.goto("/share")
    page.get_by_label("Who is this link for?").fill("Dr. Rivera")
    page.get_by_role("button", name="Make a link").tap()
    expect(page.locator("#share-url")).to_be_visible()
    # The page answered the form's POST; its reload is a GET of /share (static/page.js), not
    # the same form sent again (the journal's answer to that: tests/test_share.py). Once the
    # page's scripts have run: a reload before them (a busy machine) resends the POST.
    page.wait_for_load_state("load")
    reloaded = page.reload()
    assert reloaded.request.method == "GET"
    expect(page.locator("#share-url")).to_have_count(0)
    expect(page.locator(".share-links li")).to_have_count(1)


NEW_LINKS = [("/share", "Make a link"), ("/settings/reminders", "Make my calendar link")]


@pytest.mark.parametrize(("path", "button"), NEW_LINKS)
def test_the_copy_button_says_the_link_is_copied(page, path, button):
    """ "Copy link" only changed its own text to "Copied", which a screen reader does not
    read out, and kept it for good. The status line says "Link copied."; the button is
    "Copy link" again a few seconds later."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_up(page)
    page.clock.install()  # time goes on as ever, and can be moved on: the few seconds below
    page.goto(path)
    if path == "/share":
        page.get_by_label("Who is this link for?").fill("Dr. Rivera")
    page.get_by_role("button", name=button).tap()
    link = page.get_by_label("Link", exact=True).input_value()
    status = page.locator("button[data-copy] + [role=status]")
    expect(status).to_have_text("")  # there before anything is said, so it is read
    copy = page.get_by_role("button", name="Copy link")
    copy.tap()
    expect(status).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == link
    expect(page.locator("button[data-copy]")).to_have_text("Copied")
    page.clock.fast_forward(2000)
    expect(page.locator("button[data-copy]")).to_have_text("Copied")
    page.clock.fast_forward(8000)
    expect(page.locator("button[data-copy]")).to_have_text("Copy link", timeout=1000)


# Dark mode, everywhere a patient and a therapist go ---------------------------------------

LONG_NAME = "Alexandra Konstantinopoulou-Wright Featherstonehaugh-Vandenberghe"


def axe_in_dark(page, paths, found):
    """axe's serious and critical findings on each of `paths`, in dark mode, into `found`."""
    in_scheme(page, "dark")
    for path in paths:
        status = page.goto(path).status
        assert status == (404 if path == "/no-such-page" else 200), path
        page.wait_for_load_state("load")
        found += [f"{path}: {line}" for line in serious_violations(page)]


def test_every_page_a_patient_and_a_therapist_see_passes_axe_in_dark_mode(
    page, browser, browser_context_args
):
    therapist = browser.new_context(**browser_context_args).new_page()
    try:
        sign_up(therapist, name=f"Dr. {LONG_NAME}", therapist=True)
        code = therapist.locator("#invite-code").inner_text()
        sign_up(page, name=LONG_NAME)
        day = check_in(page, mood=1, reflection=LONG_REFLECTION, tags=LONG_TAGS)
        log_session(page, mood_after=1, reflection=LONG_REFLECTION)
        session = urlsplit(page.url).path
        answer_checkup(page, "phq9", [1, 2, 1, 0, 3, 1, 0, 2, 1])
        checkup = urlsplit(page.url).path
        page.goto("/settings/therapist")
        page.get_by_label("Invite code from your therapist").fill(code)
        page.get_by_role("button", name="Link").tap()
        expect(page.get_by_role("button", name="Unlink")).to_be_visible()
        page.goto("/share")
        page.get_by_label("Who is this link for?").fill(f"Dr. {LONG_NAME}")
        page.get_by_role("button", name="Make a link").tap()
        link = urlsplit(page.locator("#share-url").input_value()).path
        found = []
        axe_in_dark(page, ["/share", "/", "/checkin", "/entries", f"/entries/{day}",
                           f"/entries/{day}/edit", f"/entries/{day}/delete", "/sessions",
                           "/sessions/new", session, f"{session}/edit", f"{session}/delete",
                           "/progress", "/progress?days=30", "/assessments", "/assessments/phq9",
                           "/assessments/gad7", checkup, "/settings", "/settings/symptoms",
                           "/settings/therapist", "/settings/therapist/unlink",
                           "/settings/reminders", "/settings/activity",
                           "/settings/delete", "/export", "/export/report", "/import", "/help",
                           "/no-such-page", "/offline"], found)  # fmt: skip
        therapist.goto("/caseload")
        patient = therapist.get_by_role("link", name=re.compile(LONG_NAME)).first
        expect(patient).to_be_visible()
        patient_page = urlsplit(patient.get_attribute("href")).path
        axe_in_dark(therapist, ["/caseload", patient_page, f"{patient_page}?days=30",
                                "/settings", "/help", link], found)  # fmt: skip
        page.goto("/checkin")
        page.get_by_role("contentinfo").get_by_role("button", name="Log out").tap()
        expect(page).to_have_url(re.compile(r"/auth/login"))
        axe_in_dark(page, ["/auth/login", "/auth/register", "/"], found)
        sign_up(page)
        page.goto("/settings/delete")
        page.get_by_label("Your password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Delete my account and all my data").tap()
        expect(page.get_by_role("heading", name=re.compile("erased"))).to_be_visible()
        found += [f"erased: {line}" for line in serious_violations(page)]
        assert found == [], "axe in dark mode:\n" + "\n".join(found)
    finally:
        therapist.context.close()
