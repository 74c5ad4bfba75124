"""Layouts in a real browser (issue 8): the mood calendar, words kept whole, the import preview.

Debian's Chromium at a phone's size against the live server (conftest.py), in light and dark.
Data is entered through the real forms over HTTP (page.request shares the page's cookies,
so every post carries the signed-in person's session and the form's CSRF token).
"""

import re
from datetime import date, timedelta

import pytest
from conftest import contrast_ratio
from factories import SHARE_TOKEN
from playwright.sync_api import expect
from test_browser import (
    SCHEMES,
    WIDTHS,
    as_prepared,
    check_in,
    each_scheme,
    log_session,
    open_more,
    open_page,
    post_form,
    save,
    scale_radio,
    serious_violations,
    sideways_overflow,
    sign_up,
    small_links,
    tap_scale,
    wait_in_page,
)

pytestmark = pytest.mark.browser


def today(page):
    """Today in the person's time zone, as the check-in form offers it."""
    page.goto("/checkin")
    return date.fromisoformat(page.get_by_label("Date", exact=True).input_value())


def log_mood(page, day, mood):
    post_form(page, "/checkin", {"date": day.isoformat(), "mood": str(mood)}, "/checkin")


# Words (between spaces) that a line could hold but that end one line and start the next
# anywhere but after a hyphen, dash or slash, or beside an emoji or CJK character (where a
# line may end). A word longer than the page's column (an address) has to break: left out.
BROKEN_WORDS = """
root => {
  const column = document.querySelector('main').clientWidth;
  const wide = /[\\u2e80-\\uffff]|\\p{Extended_Pictographic}/u;
  const mayBreak = (before, after) => /[\\-\\u2010-\\u2014\\/]/.test(before)
    || wide.test(before) || wide.test(after);
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const word of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
      if (rects.length < 2 || rects.reduce((sum, r) => sum + r.width, 0) > column) continue;
      let line = null, before = '', at = word.index;
      for (const char of word[0]) {
        range.setStart(node, at);
        range.setEnd(node, at + char.length);
        at += char.length;
        const box = range.getBoundingClientRect();
        if (box.width === 0) continue;
        const bottom = Math.round(box.bottom);
        if (line !== null && bottom !== line && !mayBreak(before, char)) {
          broken.push(`${word[0]} in <${node.parentElement.tagName.toLowerCase()}>`);
          break;
        }
        line = bottom;
        before = char;
      }
    }
  }
  return broken;
}
"""


def broken_words(page, selector="main"):
    return page.locator(selector).evaluate(BROKEN_WORDS)


def test_the_broken_word_check_notices_a_broken_word(page):
    """The check below must be able to fail: a 2-letter-wide box breaks "optional"."""
    page.goto("/help")
    assert broken_words(page) == []
    page.evaluate(
        "const narrow = document.createElement('p'); narrow.textContent = '(optional)';"
        " narrow.style.width = '2ch'; narrow.style.overflowWrap = 'anywhere';"
        " document.querySelector('main').append(narrow)"
    )
    assert broken_words(page) == ["(optional) in <p>"]


# The "(optional)" label ----------------------------------------------------------------------


@pytest.mark.parametrize("width", [360, 390])
def test_check_in_labels_keep_their_words_whole_with_a_symptom(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_up(page)
    post_form(page, "/settings/symptoms", {"name": "Intrusive thoughts"})
    page.goto("/checkin")
    open_more(page)
    expect(page.get_by_role("group", name="Intrusive thoughts")).to_be_visible()
    summary = page.locator("details.more > summary")
    expect(summary).to_contain_text("and your symptoms (optional)")
    assert broken_words(page, "details.more > summary") == []
    assert broken_words(page) == []
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("width", [390, 360])
def test_a_figure_that_is_a_word_stays_whole_on_the_progress_cards(page, width):
    """A PHQ-9 baseline of 18 before the first session and a latest of 0: the response card
    says "Remission", which three columns at 390 px broke mid-word."""
    page.set_viewport_size({"width": width, "height": 844})
    sign_up(page)
    today = date.fromisoformat(page.get_by_label("Date", exact=True).input_value())

    def phq9(days_ago, answer):
        day = (today - timedelta(days=days_ago)).isoformat()
        answers = {f"q{n}": str(answer if n < 9 else 0) for n in range(1, 10)}
        post_form(page, "/assessments/phq9", {"date": day, "difficulty": "1", **answers})

    phq9(20, 2)
    post_form(page, "/sessions/new", {
        "started_at": f"{today - timedelta(days=15)}T10:00", "product": "ketamine", "route": "iv",
    })  # fmt: skip
    phq9(1, 0)
    page.goto("/progress")
    card = page.locator("#phq9-response")
    expect(card.locator("dd").first).to_have_text("Remission")
    assert broken_words(page, "#phq9-response") == []
    assert broken_words(page) == []
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("width", (360, 390))
def test_the_take_one_link_on_the_progress_cards_is_a_full_size_tap_target(page, width):
    """A new patient's Progress page: the "Latest PHQ-9" card offers "Take one", a link on a
    line of its own in the card, which was 16 px high (a small hint's line) and easy to miss
    with a thumb."""
    page.set_viewport_size({"width": width, "height": 740})
    sign_up(page)
    page.goto("/progress")
    link = page.locator(".cards").get_by_role("link", name="Take one")
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box
    link.tap()
    expect(page).to_have_url(re.compile(r"/assessments$"))


# Pages with long names, tags and reflections: no word that fits the column is broken.
WHOLE_WORD_PAGES = ["checkin", "entry", "entries", "progress", "settings", "share", "caseload"]


@pytest.mark.parametrize("name", WHOLE_WORD_PAGES)
def test_no_word_that_fits_is_broken(page, name):
    page.set_viewport_size({"width": 360, "height": 800})
    open_page(page, name)
    assert broken_words(page) == [], name


# An address short enough to show whole in History's shortened reflection (120 characters),
# a tag and a clinic's name as long as their fields take, with no space to wrap at.
ADDRESS = (
    "https://www.example.org/articles/2026/11/"
    "ketamine-integration-practices-for-the-weeks-after-an-infusion"
)
UNBROKEN = {
    "tag": "ketamineassistedpsychotherapysessionsxyz",
    "clinic": "SUNRISEKETAMINEANDWELLNESSCLINIC" * 6,
    "other": "TINGLINGINTHEFINGERTIPSANDLIPS" * 6,
    "name": "AlexandraKonstantinopoulouWrightMacAllisterFitzgerald",
    "symptom": "Konzentrationsschwierigkeiten" + "Gedaechtnis",  # 40, the most a name takes
    "label": "dr.alexandra.kowalczyk@northwestclinic.org",  # a link named after its therapist
}


def test_unbroken_words_as_long_as_the_fields_take_never_widen_a_page(page):
    """Words a person can type that no line can hold (an address pasted into a reflection,
    the longest tag, a clinic's name) wrap inside their column on every page that shows
    them, at a 360 px phone's width, instead of pushing the page (and the mood beside
    them) past the screen."""
    page.set_viewport_size({"width": 360, "height": 800})
    sign_up(page, name=UNBROKEN["name"])  # in every page's footer
    post_form(page, "/settings/symptoms", {"name": UNBROKEN["symptom"]})
    link = SHARE_TOKEN.search(
        post_form(page, "/share", {"label": UNBROKEN["label"], "days": "7"}).text()
    )
    assert page.request.get(link.group(0)).ok  # an opening: its name in Recent activity
    day = today(page) - timedelta(days=1)
    reflection = f"Read this later: {ADDRESS}"
    post_form(page, "/checkin", {
        "date": day.isoformat(), "mood": "6", "reflection": reflection, "tags": UNBROKEN["tag"],
    }, "/checkin")  # fmt: skip
    session = post_form(page, "/sessions/new", {
        "started_at": f"{day}T10:00", "product": "ketamine", "route": "iv",
        "clinic": UNBROKEN["clinic"], "side_effects_other": UNBROKEN["other"],
    }).url  # fmt: skip
    assert re.search(r"/sessions/\d+$", session), session
    shown = {"/entries": ADDRESS, f"/entries/{day}": UNBROKEN["tag"], session: UNBROKEN["clinic"],
             "/sessions": "Session #1", "/settings/symptoms": UNBROKEN["symptom"],
             "/progress": "Mood, last 7 days", "/settings/activity": UNBROKEN["label"],
             f"/progress?metric={UNBROKEN['symptom']}": f"{UNBROKEN['symptom']} as a table",
             "/checkin": UNBROKEN["symptom"]}  # fmt: skip
    for path, words in shown.items():
        page.goto(path)
        if path == "/checkin":
            open_more(page)  # the symptom's scale is in the optional part
        expect(page.locator("main")).to_contain_text(words)
        expect(page.locator("footer")).to_contain_text(UNBROKEN["name"])
        assert sideways_overflow(page) <= 0, path
    page.goto("/entries")
    badge = page.locator(".entry .mood-badge").first.bounding_box()
    assert badge["x"] + badge["width"] <= 360, "the mood is pushed off the screen"


# Text at 200% and a narrow screen ------------------------------------------------------------

# Links of the header and the main menu that reach past the screen's edge, or whose words are
# wider than the link (cut off at its edge).
CUT_LINKS = """
() => [...document.querySelectorAll('.top a, .nav a')]
  .filter(a => a.getBoundingClientRect().right > document.documentElement.clientWidth
          || a.scrollWidth > a.clientWidth)
  .map(a => a.textContent.trim())
"""


def text_at_200_percent(page):
    """Chromium's default text size doubled (16 px to 32 px), as a phone's larger text does."""
    page.context.new_cdp_session(page).send(
        "Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}}
    )
    wait_in_page(page, "() => parseFloat(getComputedStyle(document.body).fontSize) >= 32")


@pytest.mark.parametrize("path", ["/checkin", "/progress", "/settings", "/help"])
@pytest.mark.parametrize("how", ["text at 200% at 390 px", "text at 200% at 360 px", "320 px wide"])
def test_the_header_and_menu_reflow_with_large_text_or_a_narrow_screen(page, path, how):
    # The menu's three fixed columns cut its words off ("Ses") and pushed the page sideways
    # once text was twice its size; the header's two links stayed side by side. At 360 px the
    # check-in's "(optional)" and the help page's "Chat at 988lifeline.org" still did.
    sign_up(page)
    page.goto(path)
    if how.startswith("text"):
        if "360" in how:
            page.set_viewport_size({"width": 360, "height": 800})
        text_at_200_percent(page)
    else:
        page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate(CUT_LINKS) == []
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("width", [360, 390])
def test_a_mood_calendar_week_fits_the_screen_at_200_percent_text(page, width):
    # A day's square took its width from its least height (2.5rem, 80 px at 200%), so a week
    # holding a Sunday pushed the page sideways: the test above saw it only when run on one.
    sign_up(page)
    week = [today(page) - timedelta(days=n) for n in range(6, -1, -1)]
    log_mood(page, week[0], 5)
    page.goto("/progress?days=30")
    page.set_viewport_size({"width": width, "height": 800})
    text_at_200_percent(page)
    calendar = page.locator("section.calendar")
    shown = calendar.locator(".day .date").all_inner_texts()
    assert shown[-7:] == [str(day.day) for day in week]  # every weekday, Sunday too
    right = calendar.evaluate("e => e.getBoundingClientRect().right")
    edges = calendar.locator(".day").evaluate_all(
        "days => days.map(d => d.getBoundingClientRect().right)"
    )
    assert max(edges) <= right
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("width", [360, 390])
def test_the_mood_scale_keeps_full_size_numbers_at_200_percent_text(page, width):
    # Six to a row whatever the text size: at 200% each number was 35 px wide at 360 px (41 at
    # 390), under the 44 px a tap needs, and "10" was wider than its box.
    sign_up(page)
    page.set_viewport_size({"width": width, "height": 800})
    text_at_200_percent(page)
    numbers = page.get_by_role("group", name="Mood today").locator("label.scale-option")
    expect(numbers).to_have_count(11)
    for label in numbers.all():
        box = label.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (label.inner_text(), box)
        shown = label.locator("span").first
        assert shown.evaluate("s => s.firstChild.length"), "a number"
        digits = shown.evaluate(
            "s => { const r = document.createRange(); r.selectNodeContents(s.firstChild);"
            " return r.getBoundingClientRect().width; }"
        )
        assert digits <= box["width"] - 4, (label.inner_text(), digits, box["width"])
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("width", [360, 390])
def test_buttons_keep_their_words_whole_at_200_percent_text(page, width):
    # A button's label could break between any two letters, so a button sharing its line
    # shrank to a letter or two wide: at 390 px the session form's sticky "Save session" read
    # "S / av / e / se / ss / io / n" and stood 350 px high over the form, a missed day's
    # "Add" read "Ad / d", and the two-factor page's "authentic / ator app".
    sign_up(page)
    log_mood(page, today(page) - timedelta(days=2), 5)  # yesterday is a missed day: "Add"
    page.set_viewport_size({"width": width, "height": 800})
    text_at_200_percent(page)
    for path in ("/sessions/new", "/entries", "/settings/2fa"):
        page.goto(path)
        page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
        broken = [word for word in broken_words(page) if word.endswith(("<button>", "<a>"))]
        assert broken == [], path
        assert sideways_overflow(page) <= 0, path
    save = page.goto("/sessions/new") and page.get_by_role("button", name="Save session")
    assert save.bounding_box()["height"] < 120  # two lines at most, not a letter a line


@pytest.mark.parametrize("width", [360, 390])
@pytest.mark.parametrize(
    ("path", "where"),
    [("/sessions/new", "main details legend"), ("/offline", "main h1")],
)
def test_long_words_of_headings_stay_whole_at_200_percent_text(page, width, path, where):
    # At 360 px the session form's folded box broke "Dissociatio / n" and the offline page's
    # heading "No connecti / on": a word as wide as the column broke between any letters.
    sign_up(page)
    page.set_viewport_size({"width": width, "height": 800})
    text_at_200_percent(page)
    page.goto(path)
    page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
    shown = page.locator(where)
    assert shown.count() > 0
    for each in shown.all():
        assert each.evaluate(BROKEN_WORDS) == [], each.inner_text()
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("width", [360, 390])
def test_blood_pressure_labels_keep_their_words_whole_at_200_percent_text(page, width):
    # The two numbers of a reading stood side by side in two columns whatever the text size:
    # at 200% each column was narrower than "Systolic", which read "Systoli / c (top /
    # numbe / r)". Side by side at the usual size, one above the other when they cannot fit.
    sign_up(page)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/sessions/new")
    page.get_by_text("Blood pressure", exact=True).tap()
    top = page.get_by_label("Systolic (top number)").first
    bottom = page.get_by_label("Diastolic (bottom number)").first
    assert top.bounding_box()["y"] == bottom.bounding_box()["y"]  # side by side
    text_at_200_percent(page)
    for reading in page.locator("fieldset.reading").all():
        assert reading.evaluate(BROKEN_WORDS) == []
    assert top.bounding_box()["y"] < bottom.bounding_box()["y"]  # one above the other
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("width", [360, 390])
def test_the_mood_scale_is_six_to_a_row_at_the_usual_text_size(page, width):
    sign_up(page)
    page.set_viewport_size({"width": width, "height": 800})
    tops = page.get_by_role("group", name="Mood today").locator("label.scale-option")
    rows = tops.evaluate_all("ls => ls.map(l => Math.round(l.getBoundingClientRect().top))")
    assert [rows.count(top) for top in sorted(set(rows))] == [6, 5]


@pytest.mark.parametrize("width", [360, 390])
def test_a_table_opened_at_200_percent_text_scrolls_in_its_box_not_the_page(page, width):
    # A table wider than the screen scrolls inside its box, but the words a screen reader reads
    # for a dash ("not enough data", "no figure") were placed against the page, at the table's
    # far right: opening the window or lift table pushed the whole page 315 px sideways.
    as_prepared(page, "patient")  # a session of today: its window and lift have no figures
    page.goto("/progress")
    page.set_viewport_size({"width": width, "height": 800})
    text_at_200_percent(page)
    tables = page.locator("main details.data")
    assert tables.count() >= 3
    for n in range(tables.count()):
        tables.nth(n).locator("summary").click()
    hidden = page.locator(".table-wrap .visually-hidden")
    assert hidden.count() > 0
    assert page.locator(".table-wrap").evaluate_all(
        f"boxes => boxes.some(b => b.scrollWidth > {width})"
    )  # a table is wider than the screen, as this is about
    assert sideways_overflow(page) <= 0


# Forced colours (Windows' contrast themes) ---------------------------------------------------

# What forced colours leave of an element's look: its colours, border, outline and underline.
LOOK = """
e => { const s = getComputedStyle(e);
  return [s.backgroundColor, s.color, s.borderColor, s.borderWidth, s.borderStyle,
          s.outlineStyle, s.outlineColor, s.textDecorationLine].join(' '); }
"""


def test_the_chosen_number_of_a_scale_shows_in_forced_colours(page):
    # The chosen number was shown by its fill alone, which forced colours replace: every
    # number looked the same, whichever was chosen (the radio itself is transparent).
    sign_up(page)
    page.emulate_media(forced_colors="active")
    page.goto("/checkin")
    tap_scale(page, "Mood today", 7)
    expect(scale_radio(page, "Mood today", 7)).to_be_checked()
    page.locator("h1").click()  # the focus ring gone, only the choice tells them apart
    numbers = page.get_by_role("group", name="Mood today").locator("label.scale-option > span")
    assert numbers.nth(7).evaluate(LOOK) != numbers.nth(6).evaluate(LOOK)
    assert numbers.nth(6).evaluate(LOOK) == numbers.nth(8).evaluate(LOOK)


def test_the_current_time_range_shows_in_forced_colours(page):
    # The current range (aria-current) was marked by its fill alone, like the scale's choice.
    as_prepared(page, "patient")
    page.emulate_media(forced_colors="active")
    page.goto("/progress?days=30")
    current = page.locator(".ranges [aria-current]")
    expect(current).to_have_text("30 days")
    others = page.locator(".ranges a:not([aria-current])")
    assert {other.evaluate(LOOK) for other in others.all()} == {others.first.evaluate(LOOK)}
    assert current.evaluate(LOOK) != others.first.evaluate(LOOK)


# The import preview --------------------------------------------------------------------------

DAYLIO = (
    "full_date,date,weekday,time,mood,activities,note_title,note\n"
    '2025-06-03,"June 3",Tuesday,"21:14",good,"friends | walk | good sleep","Picnic",'
    '"Lunch in the park, then a long walk. Felt light, wonderful, extraordinary"\n'
    '2025-06-02,"June 2",Monday,"22:01",meh,"work | commuting","","Unremarkable afternoon"\n'
    '2025-06-01,"June 1",Sunday,"09:30",rad,"family | cooking","","Café with Zoë"\n'
)


def test_import_preview_keeps_words_whole_on_a_phone(page):
    sign_up(page)
    log_mood(page, date(2025, 6, 2), 5)  # a day the journal has: listed as skipped, a link
    upload = {"name": "daylio_export.csv", "mimeType": "text/csv", "buffer": DAYLIO.encode()}
    response = post_form(page, "/import", {"file": upload}, multipart=True)
    page.goto(response.url)
    expect(page.locator("#import-rows")).to_contain_text("extraordinary")
    assert page.locator(".skipped-days a").count() == 1
    assert small_links(page, ".skipped-days a") == []
    for scheme in each_scheme(page):
        assert broken_words(page) == [], scheme
        # No column narrower than its longest word, and the page itself never scrolls
        # sideways: a table too wide for the phone scrolls inside its own frame.
        for cell in page.locator("#import-rows th, #import-rows td, #mood-mapping th").all():
            assert cell.evaluate("c => c.scrollWidth <= c.clientWidth"), cell.inner_text()
        assert sideways_overflow(page) <= 0, scheme
        assert serious_violations(page) == [], scheme


def test_import_preview_shows_every_answer_whole_on_a_phone(page):
    # Anxiety, energy, sleep and a self-harm "yes" were imported without a word in the preview.
    sign_up(page)
    text = "date,mood,anxiety,energy,sleep_hours,self_harm\n2025-01-01,5,3,4,6,yes\n"
    upload = {"name": "checkins.csv", "mimeType": "text/csv", "buffer": text.encode()}
    page.goto(post_form(page, "/import", {"file": upload}, multipart=True).url)
    table = page.get_by_role("region", name="The file's rows as they will be imported")
    expect(table.get_by_role("cell", name="Sleep 6 h", exact=False)).to_have_text(
        "Anxiety 3 · Energy 4 · Sleep 6 h · Thoughts of self-harm: yes"
    )
    expect(page.locator("#import-self-harm")).to_contain_text("calling for help")
    assert broken_words(page) == []
    for cell in page.locator("#import-rows th, #import-rows td").all():
        assert cell.evaluate("c => c.scrollWidth <= c.clientWidth"), cell.inner_text()
    assert sideways_overflow(page) <= 0


# The mood calendar ---------------------------------------------------------------------------


def srgb(css_colour):
    """A computed CSS colour ("rgb(r, g, b)", opaque) as (red, green, blue) from 0 to 1."""
    red, green, blue, *alpha = (float(v) for v in re.findall(r"[\d.]+", css_colour))
    assert not alpha or alpha[0] == 1, f"translucent colour {css_colour}"
    return red / 255, green / 255, blue / 255


def contrast(a, b):
    return contrast_ratio(srgb(a), srgb(b))


def fill(locator, page_colour):
    """A cell's background as shown: the page's colour where the cell has none."""
    colour = locator.evaluate("e => getComputedStyle(e).backgroundColor")
    return page_colour if colour in ("transparent", "rgba(0, 0, 0, 0)") else colour


def day_name(day, rest):
    return f"{day:%A} {day.day} {day:%B}: {rest}"


def test_mood_calendar_tells_mood_0_from_no_check_in(page):
    sign_up(page)
    now = today(page)
    start = now - timedelta(days=29)
    zero, empty, ten, session = (start + timedelta(days=n) for n in (3, 4, 5, 6))
    for day, mood in [(start, 5), (zero, 0), (ten, 10), (session, 6)]:
        log_mood(page, day, mood)
    log_session(page, started_at=f"{session.isoformat()}T10:30")
    page.goto("/progress?days=30")
    calendar = page.locator("section.calendar")

    # Month labels and day numbers.
    months = sorted({(start + timedelta(days=n)).replace(day=1) for n in range(30)})
    expect(calendar.get_by_role("heading", level=3)).to_have_text([f"{m:%B %Y}" for m in months])
    expect(calendar.get_by_role("link")).to_have_count(30)
    numbers = calendar.locator(".day .date").all_inner_texts()
    assert numbers == [str((start + timedelta(days=n)).day) for n in range(30)]

    # Each day is a link, named by its date and mood.
    mood_zero = calendar.get_by_role("link", name=day_name(zero, "mood 0"), exact=True)
    no_checkin = calendar.get_by_role(
        "link", name=day_name(empty, "no check-in, add one"), exact=True
    )
    expect(mood_zero).to_have_attribute("href", f"/entries/{zero.isoformat()}")
    expect(no_checkin).to_have_attribute("href", f"/checkin?date={empty.isoformat()}")
    expect(
        calendar.get_by_role("link", name=day_name(session, "mood 6, session day"), exact=True)
    ).to_be_visible()

    # In light mode and in dark: mood 0 stands apart from an empty day and from the page, at
    # 3:1 or more; its numbers are readable on every fill, at 4.5:1 or more.
    for scheme in each_scheme(page):
        page_colour = page.evaluate("getComputedStyle(document.body).backgroundColor")
        zero_fill = fill(mood_zero, page_colour)
        empty_fill = fill(no_checkin, page_colour)
        assert contrast(zero_fill, empty_fill) >= 3, scheme
        assert contrast(zero_fill, page_colour) >= 3, scheme
        for cell in calendar.locator(".day:not(.empty)").all():
            colour = cell.evaluate("e => getComputedStyle(e).color")
            assert contrast(colour, fill(cell, page_colour)) >= 4.5, scheme
        empty_text = no_checkin.evaluate("e => getComputedStyle(e).color")
        assert contrast(empty_text, page_colour) >= 4.5, scheme

        assert sideways_overflow(page) <= 0, scheme
        assert serious_violations(page) == [], scheme

    mood_zero.tap()
    expect(page).to_have_url(re.compile(rf"/entries/{zero.isoformat()}$"))

    # History's mood badges carry mood-N too, and must not take the calendar's fills (their
    # numbers were dark on dark: 1.2:1 for a 10): readable at 4.5:1 or more, for every mood.
    page.goto("/entries")
    badges = page.locator("ol.entries .mood-badge")
    expect(badges).to_have_count(4)
    for scheme in each_scheme(page):
        page_colour = page.evaluate("getComputedStyle(document.body).backgroundColor")
        for badge in badges.all():
            colour = badge.evaluate("e => getComputedStyle(e).color")
            assert contrast(colour, fill(badge, page_colour)) >= 4.5, (scheme, badge.inner_text())
        assert serious_violations(page) == [], scheme


# The PHQ-9/GAD-7 chart as the browser draws it: its last date ran into the key beside it at
# the end of the date row; the key now has a row of its own, so no date can reach it.
CHART_BOXES = """
() => {
  const box = el => el.getBoundingClientRect();
  const ticks = [...document.querySelectorAll('g[id^="xtick_"] g[id^="text_"]')].map(box);
  const keys = [...document.querySelectorAll('g[id^="legend_"]')].map(box);
  return {ticks: ticks.map(r => [r.left, r.top, r.right, r.bottom]),
          keys: keys.map(r => [r.left, r.top, r.right, r.bottom])};
}
"""


def share_a_row(a, b):
    """Whether two boxes (left, top, right, bottom) overlap from top to bottom."""
    return a[1] < b[3] and b[1] < a[3]


def test_checkup_chart_dates_stay_clear_of_its_key(page):
    sign_up(page)
    now = today(page)
    log_session(page, started_at=f"{(now - timedelta(days=40)).isoformat()}T10:30")
    for ago, answer in ((60, "2"), (1, "0")):
        day = (now - timedelta(days=ago)).isoformat()
        for kind, items in (("phq9", 9), ("gad7", 7)):
            answers = {f"q{n}": answer for n in range(1, items + 1)}
            post_form(page, f"/assessments/{kind}", {"date": day, **answers})
    for scheme in SCHEMES:
        response = page.goto(f"/charts/assessments.svg?days=90&theme={scheme}")
        assert response.status == 200
        boxes = page.evaluate(CHART_BOXES)
        assert boxes["ticks"] and boxes["keys"], f"no date labels or key in the SVG: {boxes}"
        clashes = [(t, k) for t in boxes["ticks"] for k in boxes["keys"] if share_a_row(t, k)]
        assert clashes == [], (scheme, boxes)


# "Z" carrying 500 combining accents, as pasted "glitch text" does: drawn, they reach far
# above and below the letter.
STACKED_ACCENTS = "Z" + "\u0301\u0302\u0303\u0304" * 125


def test_a_letter_with_hundreds_of_accents_stays_in_its_box(page):
    """A reflection holding a letter with hundreds of combining accents draws them inside
    its own box: they used to cover the page above it up to the menu (History, the day's
    page, and a therapist's flagged days above a shared reflection)."""
    page.set_viewport_size({"width": 360, "height": 800})
    sign_up(page)
    day = check_in(page, mood=6, reflection="Plain words")
    above = {f"/entries/{day}": ".reflection", "/entries": ".entry-text"}

    def pictures():
        shots = {}
        for path, words in above.items():
            page.goto(path)
            page.wait_for_load_state("load")
            # Accents may reach a little past the box (where a language's stacked ones go).
            top = page.locator(words).first.bounding_box()["y"] - 8
            shots[path] = page.screenshot(clip={"x": 0, "y": 0, "width": 360, "height": top})
        return shots

    before = pictures()
    page.goto(f"/entries/{day}/edit")
    page.get_by_label("Reflection", exact=True).fill(STACKED_ACCENTS + " Plain words")
    save(page)
    after = pictures()
    assert [path for path in above if after[path] != before[path]] == []


# The progress page's figure picker shows the figure it holds.
SHOWN_CHOICE = """
select => {
  const style = getComputedStyle(select);
  const probe = document.createElement('span');
  probe.style.font = style.font;
  probe.style.whiteSpace = 'pre';
  probe.textContent = select.selectedOptions[0].textContent;
  document.body.append(probe);
  const words = probe.getBoundingClientRect().width;
  probe.remove();
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [select.selectedOptions[0].textContent, words, room];
}
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_the_figure_picker_on_the_progress_page_shows_the_chosen_figure(page, width):
    """ "Show which figure", the picker and "Show chart" shared one line at 390 px: the picker
    shrank to its arrow (37 px), so a person saw no word of which figure the charts show."""
    page.set_viewport_size({"width": width, "height": 844})
    sign_up(page)
    for metric in ("mood", "anxiety"):
        page.goto(f"/progress?metric={metric}")
        picker = page.get_by_label("Show which figure")
        name, words, room = picker.evaluate(SHOWN_CHOICE)
        # The arrow takes up to 24 px of the box beside the words.
        assert room >= words + 24, (name, words, room)
        expect(page.get_by_role("button", name="Show chart")).to_be_visible()
        assert sideways_overflow(page) <= 0
