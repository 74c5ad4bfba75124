import html
import json
import math
import re
from datetime import date, timedelta
from io import BytesIO
from xml.etree import ElementTree

import factories
import pytest
from conftest import asked_twice, traced
from factories import DAY_AHEAD, TODAY, share_link
from matplotlib.image import imread
from matplotlib.text import Text

from journal import charts, figures, joined, windows
from journal.db import get_db
from journal.figures import describe_timeline, heatmap, timeline_data
from journal.timezones import day_text

SESSION_DAY = TODAY - timedelta(days=10)


def day(offset):
    """A date relative to the session day, as text."""
    return (SESSION_DAY + timedelta(days=offset)).isoformat()


def checkin(client, offset, mood, **extra):
    factories.checkin(client, day(offset), mood, **extra)


def add_session(app, offset, route="iv", user_id=1):
    return factories.add_session(app, day(offset), user_id=user_id, route=route)


def add_assessment(app, kind, offset, total, user_id=1):
    factories.add_assessment(app, kind, day(offset), total, user_id=user_id)


@pytest.fixture
def course(app, client, patient):
    """Baseline moods 4, 5, 6 (mean 5.0); a session; window moods 7 and 8 on days 1 and 2."""
    for offset, mood in [(-5, 4), (-3, 5), (-1, 6), (1, 7), (2, 8)]:
        checkin(client, offset, mood)
    session_id = add_session(app, 0)
    add_assessment(app, "phq9", -1, 16)
    add_assessment(app, "phq9", 5, 7)
    add_assessment(app, "gad7", 5, 11)
    return session_id


def test_summary_hand_computed(client, course):
    response = client.get("/progress/summary.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "baseline": 5.0,  # (4 + 5 + 6) / 3
        "window_days": 7,
        "sessions": [
            {
                "id": course,
                "date": day(0),
                "route": "iv",
                "pre_level": 5.5,  # days -3 and -1: (5 + 6) / 2
                "window_mean": 7.5,  # (7 + 8) / 2
                "change": 2.5,  # 7.5 - 5.0
                "peak_change": 3.0,  # 8 - 5.0
                "peak_day": 2,
                "days_above_baseline": 2,
                "n_checkins": 2,
                "reference": 5.0,  # the baseline, established
                "lift_days": 2,  # days 1 and 2 above 5.0, none at or below: still going
                "lift_ended": False,
                "day1_change": 1.5,  # 7 - 5.5
            }
        ],
        "lift": {
            "median_days": None,
            "min_days": None,
            "max_days": None,
            "n_ended": 0,
            "n_open": 1,
        },
        "trend": {"pre_level_slope": None, "window_mean_slope": None},  # one session
        "phq9": {
            "baseline": 16,
            "latest": 7,
            "band": "mild",
            "response": True,  # 7 <= 16 / 2
            "remission": False,
            "percent_change": -56.25,  # (7 - 16) / 16 x 100
            "first_response_date": day(5),
        },
        # Taken on day 5, after treatment began: not a baseline (issue 8).
        "gad7": {"baseline": None, "latest": 11, "band": "moderate"},
    }


def test_summary_with_nothing_is_null_not_nan(client, patient):
    response = client.get("/progress/summary.json")
    body = response.get_data(as_text=True)
    assert "NaN" not in body
    assert json.loads(body) == {
        "baseline": None,
        "window_days": 7,
        "sessions": [],
        "lift": {
            "median_days": None,
            "min_days": None,
            "max_days": None,
            "n_ended": 0,
            "n_open": 0,
        },
        "trend": {"pre_level_slope": None, "window_mean_slope": None},
        "phq9": {
            "baseline": None,
            "latest": None,
            "band": None,
            "response": None,
            "remission": None,
            "percent_change": None,
            "first_response_date": None,
        },
        "gad7": {"baseline": None, "latest": None, "band": None},
    }


def test_session_without_data_has_nulls(app, client, patient):
    checkin(client, -2, 5)
    add_session(app, 0)
    (session,) = client.get("/progress/summary.json").get_json()["sessions"]
    assert session["window_mean"] is None and session["change"] is None
    assert session["peak_day"] is None and session["n_checkins"] == 0


def test_summary_follows_the_window_setting(app, client, course):
    client.post("/settings", data={"timezone": "UTC", "window_days": "2", "clinic_phone": ""})
    checkin(client, 3, 10)  # day 3 is outside a 2-day window
    body = client.get("/progress/summary.json").get_json()
    assert body["window_days"] == 2
    assert body["sessions"][0]["window_mean"] == 7.5


def test_summary_is_private(client, auth, course):
    auth.logout()
    assert client.get("/progress/summary.json").status_code == 302
    auth.register(email="other@example.com")
    assert client.get("/progress/summary.json").get_json()["sessions"] == []


def test_progress_page(client, course):
    response = client.get("/progress")
    assert response.status_code == 200
    page = response.text
    for name in ("mood-timeline", "window-overlay", "assessments"):
        assert f'id="{name}"' in page
        assert re.search(rf'srcset="/charts/{name}\.svg\?[^"]*theme=dark', page)
    alts = re.findall(r'<img src="/charts/[^"]+" alt="([^"]+)"', page)
    assert len(alts) == 3 and all(len(a) > 30 for a in alts)
    assert "against a baseline of 5.0" in page
    assert "7.5" in page  # the window mean in the session table
    assert '<th scope="col">7-day mean</th>' in page
    assert 'class="calendar"' in page and ", session day" in page
    assert "Latest PHQ-9" in page and "Mild" in page and "Response" in page
    assert "10 days" in page  # since the last session


def test_the_latest_phq9s_safety_item_shows_on_its_card_as_in_the_report(client, patient):
    """A minimal PHQ-9 whose item 9 is above 0 read "4 Minimal" on the progress, share and
    caseload pages (one template), while the report said "item 9 answered 2 of 3"."""
    factories.take(client, "phq9", day(-20), [2, 2, 1, 1, 1, 1, 1, 1, 1])  # 11
    factories.take(client, "phq9", day(-1), [1, 1, 0, 0, 0, 0, 0, 0, 2])  # 4, item 9: 2
    card = re.compile(r"<dt>Latest PHQ-9</dt><dd>4</dd>\s*<dd class=\"hint\">([^\n]*)</dd>")
    _, token = share_link(client)
    for path in ("/progress", f"/s/{token}"):
        hint = card.search(client.get(path).text).group(1)
        assert hint == "Minimal; <strong>item 9 answered 2 of 3</strong>", path
    factories.take(client, "phq9", day(0), [1, 1, 0, 0, 0, 0, 0, 0, 0])  # 2, item 9: 0
    hint = re.search(r"<dt>Latest PHQ-9</dt><dd>2</dd>\s*<dd class=\"hint\">([^\n]*)</dd>",
                     client.get("/progress").text).group(1)  # fmt: skip
    assert hint == "Minimal"  # the latest's own answer, not an earlier one's


def test_the_latest_phq9_card_says_the_day_it_was_taken(app, client, patient):
    """The card gave a score with no day: one taken a year ago read as this week's. Its day
    is written as the caseload's card writes it, with the year only in another year."""
    _, token = share_link(client)
    assert "Taken on" not in client.get("/progress").text  # none yet
    long_ago = TODAY - timedelta(days=400)
    factories.add_assessment(app, "phq9", long_ago.isoformat(), 12)
    taken = re.compile(r'<dt>Latest PHQ-9</dt>.*?<dd class="hint">Taken on ([^<]+)</dd>', re.S)
    for path in ("/progress", f"/s/{token}"):
        assert taken.search(client.get(path).text).group(1) == day_text(long_ago, "date_year")
    factories.add_assessment(app, "phq9", TODAY.isoformat(), 6)
    for path in ("/progress", f"/s/{token}"):
        assert taken.search(client.get(path).text).group(1) == day_text(TODAY, "date")


def test_the_safety_item_shown_is_the_latest_phq9s_even_one_dated_after_a_move_west(client, auth):
    # NOW is 12:00 UTC: 02:00 tomorrow in Kiritimati. A PHQ-9 taken then keeps tomorrow's date;
    # after a move to Los Angeles the page's range ends today, but the card's score is still
    # that check-up's (the latest of all): its item 9 must be that check-up's too, not the
    # earlier one's.
    tomorrow = TODAY + timedelta(days=1)
    auth.register(timezone=DAY_AHEAD)
    factories.take(client, "phq9", TODAY.isoformat(), [1, 1, 0, 0, 0, 0, 0, 0, 2])  # 4, item 9: 2
    factories.take(client, "phq9", tomorrow.isoformat(), [1, 1, 1, 0, 0, 0, 0, 0, 0])  # 3, none
    settings = {"window_days": "7", "clinic_phone": ""}
    client.post("/settings", data={**settings, "timezone": "America/Los_Angeles"})
    hint = re.search(r"<dt>Latest PHQ-9</dt><dd>3</dd>\s*<dd class=\"hint\">([^\n]*)</dd>",
                     client.get("/progress").text).group(1)  # fmt: skip
    assert hint == "Minimal"


def test_progress_page_when_empty(client, patient):
    response = client.get("/progress")
    assert response.status_code == 200
    assert "no check-ins in this range" in response.text
    assert "No sessions yet" in response.text


@pytest.mark.parametrize("days", ["30", "90", "365", "all"])
def test_progress_ranges(client, course, days):
    assert client.get(f"/progress?days={days}").status_code == 200
    assert client.get(f"/charts/mood-timeline.svg?days={days}").status_code == 200


@pytest.mark.parametrize(
    "query", ["days=7", "days=", "days=all;drop", "metric=nope", "theme=blue", "metric=%00"]
)
def test_bad_parameters_are_400(client, course, query):
    assert client.get(f"/charts/mood-timeline.svg?{query}").status_code == 400
    if not query.startswith("theme"):
        assert client.get(f"/progress?{query}").status_code == 400


def test_unknown_chart_is_404(client, course):
    assert client.get("/charts/nope.svg").status_code == 404
    assert client.get("/charts/mood-timeline.gif").status_code == 404


def test_charts_need_login(client):
    assert client.get("/charts/mood-timeline.svg").status_code == 302
    assert client.get("/progress").status_code == 302


@pytest.mark.parametrize("name", ["mood-timeline", "window-overlay", "assessments"])
def test_svg_and_png(client, course, name):
    svg = client.get(f"/charts/{name}.svg")
    assert svg.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(svg.data)
    assert root.tag.endswith("svg")
    png = client.get(f"/charts/{name}.png")
    assert png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert imread(BytesIO(png.data)).shape[0] > 100


def test_dark_theme_draws_differently(client, course):
    light = client.get("/charts/mood-timeline.svg").data
    dark = client.get("/charts/mood-timeline.svg?theme=dark").data
    assert light != dark


def test_etag_answers_304_before_drawing_and_changes_with_data(client, course):
    first = client.get("/charts/mood-timeline.svg")
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get("/charts/mood-timeline.svg", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    checkin(client, 2, 3)  # change a window day's mood
    changed = client.get("/charts/mood-timeline.svg", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert changed.data != first.data
    overlay = client.get("/charts/window-overlay.svg")
    checkin(client, 1, 2)
    assert client.get("/charts/window-overlay.svg").headers["ETag"] != overlay.headers["ETag"]


def test_etag_differs_by_format_theme_and_range(client, course):
    checkin(client, -50, 5)  # 60 days ago: the 30 and 90-day ranges now start on other days
    tags = {
        client.get(url).headers["ETag"]
        for url in (
            "/charts/mood-timeline.svg",
            "/charts/mood-timeline.png",
            "/charts/mood-timeline.svg?theme=dark",
            "/charts/mood-timeline.svg?days=30",
        )
    }
    assert len(tags) == 4


def test_custom_symptom_metric(client, course):
    client.post("/settings/symptoms", data={"name": "Rumination"})
    checkin(client, 1, 7, symptom_1="6")
    page = client.get("/progress?metric=Rumination")
    assert page.status_code == 200 and "Rumination over time" in page.text
    chart = client.get("/charts/mood-timeline.svg?metric=rumination")
    assert chart.status_code == 200
    assert chart.headers["ETag"] != client.get("/charts/mood-timeline.svg").headers["ETag"]


def test_sleep_metric_uses_hours(client, course):
    checkin(client, 1, 7, sleep_hours="9.5")
    assert "Sleep over time" in client.get("/progress?metric=sleep").text
    assert client.get("/charts/window-overlay.png?metric=sleep").status_code == 200


def test_timeline_data_keeps_rolling_history_before_the_range():
    points = [(date(2026, 1, d), float(d)) for d in range(1, 11)]
    data = timeline_data(points, [], 7, date(2026, 1, 8), date(2026, 1, 10), "Mood", 10)
    assert [d.day for d, _ in data["points"]] == [8, 9, 10]
    # The mean on the 8th spans the 2nd..8th: (2 + ... + 8) / 7 = 5.
    assert data["rolling"][0] == (date(2026, 1, 8), 5.0)


def test_a_ratings_chart_words_name_it_once():
    # A symptom's timeline read "Rumination from …: Rumination entries on 1 of 1 day" (and
    # anxiety's "Anxiety from …: anxiety entries"): the label leads, the count says entries.
    day = date(2026, 1, 8)
    for label in ["Rumination", "Anxiety"]:
        text = describe_timeline(timeline_data([(day, 6.0)], [], 7, day, day, label, 10))
        assert text.startswith(f"{label} from ")
        assert ": entries on 1 of 1 day, averaging 6" in text
        assert text.lower().count(label.lower()) == 1
        empty = describe_timeline(timeline_data([], [], 7, day, day, label, 10))
        assert empty.endswith(": no entries in this range.")
        assert empty.lower().count(label.lower()) == 1
    # Mood's count is of check-ins, as before: every check-in has a mood.
    text = describe_timeline(timeline_data([(day, 6.0)], [], 7, day, day, "Mood", 10))
    assert ": check-ins on 1 of 1 day" in text


def test_heatmap_months_start_on_their_weekday():
    months = heatmap(
        [(date(2026, 11, 18), 6)], [{"day": "2026-11-19"}], date(2026, 11, 18), date(2026, 12, 2)
    )
    assert [m["month"] for m in months] == [date(2026, 11, 1), date(2026, 12, 1)]
    # Wednesday 18 November and Tuesday 1 December: blank Monday-first cells before them.
    assert [m["lead"] for m in months] == [2, 1]
    assert [len(m["days"]) for m in months] == [13, 2]
    cells = {c["day"]: c for m in months for c in m["days"]}
    assert cells[date(2026, 11, 18)]["mood"] == 6
    assert cells[date(2026, 11, 19)]["session"] is True
    assert cells[date(2026, 11, 20)]["mood"] is None
    assert not any(isinstance(c["mood"], float) and math.isnan(c["mood"]) for c in cells.values())


def test_a_session_just_before_the_range_still_shades_its_window():
    sessions = [
        {"day": "2026-01-05", "number": 1},  # its 7-day window reaches 8..12 January
        {"day": "2025-12-01", "number": 0},  # long before: nothing of it is in range
    ]
    points = [(date(2026, 1, 9), 6)]
    data = timeline_data(points, sessions, 7, date(2026, 1, 8), date(2026, 1, 31), "Mood", 10)
    assert data["sessions"] == [(date(2026, 1, 5), "#1")]
    assert "0 sessions in this range" in describe_timeline(data)


def test_every_tables_scroll_area_is_reached_and_named_from_the_keyboard(client, course):
    # A table wider than a phone scrolls sideways in its area: a keyboard must be able to
    # reach it (axe's scrollable-region-focusable), and a screen reader hears what it holds.
    page = client.get("/progress").text
    areas = re.findall(r'<div class="table-wrap"([^>]*)>\s*<table>\s*<caption([^>]*)>', page)
    assert len(areas) >= 3
    for attributes, caption in areas:
        named = re.fullmatch(r' tabindex="0" role="region" aria-labelledby="([\w-]+)"', attributes)
        assert named, attributes
        assert f'id="{named.group(1)}"' in caption


def test_overlay_table_follows_the_chosen_metric(client, course):
    client.post("/settings/symptoms", data={"name": "Pain"})
    page = client.get("/progress?metric=Pain").text
    assert "Pain in each session's window against its baseline" in page
    assert "7.5" not in page.split('id="window-overlay"')[1].split("</figure>")[0]


def chart_words(client, monkeypatch, name, query=""):
    """The visible texts of chart `name` as the server draws it for `query`."""
    drawn = []
    draw = figures.DRAW[name]
    monkeypatch.setitem(figures.DRAW, name, lambda **kw: drawn.append(draw(**kw)) or drawn[-1])
    assert client.get(f"/charts/{name}.svg{query}").status_code == 200
    drawn[0].draw_without_rendering()
    return [" ".join(t.get_text().split()) for t in drawn[0].findobj(Text) if t.get_text().strip()]


def test_the_window_chart_with_a_baseline_but_no_window_days_does_not_ask_for_one(
    app, client, patient, monkeypatch
):
    # A newcomer fills in a few earlier days, then logs a session with no check-in on or
    # after its day yet: the sessions page shows the baseline, and the words under the chart
    # say "no sessions with check-ins around them", but the chart said the baseline was
    # missing ("a baseline needs 3 check-ins in the 14 days before the first session").
    for offset in (-5, -3, -1):
        checkin(client, offset, 4)
    add_session(app, 0)
    assert "Your baseline mood is <strong>4.0</strong>" in client.get("/sessions").text
    words = chart_words(client, monkeypatch, "window-overlay")
    assert charts.NO_BASELINE_MESSAGE not in words
    assert "No sessions with check-ins around them in this range" in words


def test_a_rating_left_out_of_check_ins_is_not_counted_as_check_ins(
    app, client, patient, monkeypatch
):
    # Every day of the range has a check-in (the calendar shows them all), anxiety only two:
    # the anxiety chart's words said "check-ins on 2 of 16 days", and with none "no check-ins
    # in this range"; the window chart asked for "3 check-ins" before the first session while
    # the sessions page showed the baseline they make.
    for offset in range(-5, 3):
        checkin(client, offset, 4, **({"anxiety": "3"} if offset in (1, 2) else {}))
    add_session(app, 0)
    page = client.get("/progress?days=all&metric=anxiety").text
    assert "check-ins on 2 of" not in page
    assert ": entries on 2 of 16 days" in page  # after "Anxiety from …"
    assert "It needs at least 3 check-ins" not in page
    assert "It needs at least 3 anxiety entries in the 14 days before" in page
    words = chart_words(client, monkeypatch, "window-overlay", "?metric=anxiety")
    assert charts.NO_BASELINE_MESSAGE not in words
    assert (
        "Not enough data: a baseline needs 3 anxiety entries in the 14 days before the first "
        "session" in words
    )
    page = client.get("/progress?days=all&metric=energy").text
    assert "no check-ins in this range" not in page
    assert ": no entries in this range." in page  # after "Energy from …"
    assert "No energy entries in this range." in page  # the table
    monkeypatch.undo()
    words = chart_words(client, monkeypatch, "mood-timeline", "?metric=energy")
    assert charts.NO_CHECKINS_MESSAGE not in words
    assert "No energy entries in this range" in words
    # Mood's words are as they were: every check-in has a mood.
    assert "check-ins on 8 of 16 days" in client.get("/progress?days=all").text


def test_304_comes_before_any_drawing(client, course, monkeypatch):
    tag = client.get("/charts/window-overlay.svg").headers["ETag"]

    def refuse(**kwargs):
        raise AssertionError("drew a chart the browser already has")

    monkeypatch.setitem(figures.DRAW, "window-overlay", refuse)
    response = client.get("/charts/window-overlay.svg", headers={"If-None-Match": tag})
    assert response.status_code == 304
    with pytest.raises(AssertionError, match="drew a chart"):
        client.get("/charts/window-overlay.svg")


# The mood calendar (issue 8): months, day numbers, a link per day, names that say the mood.


def calendar_html(page):
    return page.split('class="calendar"')[1].split("</section>")[0]


def test_calendar_has_month_labels_day_numbers_and_a_link_per_day(client, patient):
    first = TODAY - timedelta(days=29)
    checkin(client, -19, 5)  # on the range's first day (a range starts at the first entry)
    checkin(client, -1, 0)  # mood 0 on the day before the session day
    checkin(client, 0, 7)
    calendar = calendar_html(client.get("/progress?days=30").text)
    months = re.findall(r'<h3 class="month"[^>]*>([^<]+)</h3>', calendar)
    expected = sorted({(first + timedelta(days=n)).replace(day=1) for n in range(30)})
    assert months == [m.strftime("%B %Y") for m in expected]
    links = re.findall(r'<a class="day[^"]*" href="([^"]+)">\s*<span class="date"', calendar)
    assert len(links) == 30
    zero, seven = day(-1), day(0)
    assert f"/entries/{zero}" in links and f"/entries/{seven}" in links
    assert links.count(f"/checkin?date={TODAY.isoformat()}") == 1
    assert len([link for link in links if link.startswith("/checkin?date=")]) == 27
    numbers = re.findall(r'<span class="date" aria-hidden="true">(\d+)</span>', calendar)
    assert numbers == [str((first + timedelta(days=n)).day) for n in range(30)]


def test_calendar_offers_no_check_in_for_a_day_still_to_come_after_a_move_west(app, client, auth):
    # NOW is 12:00 UTC: 02:00 tomorrow in Kiritimati. A session logged then keeps tomorrow's
    # date; after a move to Los Angeles (before dawn today) the calendar reaches that day, but a
    # check-in for it is refused there as still to come: its cell links to no form.
    tomorrow = TODAY + timedelta(days=1)
    auth.register(timezone=DAY_AHEAD)
    factories.session(client, tomorrow.isoformat(), started_at=f"{tomorrow.isoformat()}T00:30")
    settings = {"window_days": "7", "clinic_phone": ""}
    client.post("/settings", data={**settings, "timezone": "America/Los_Angeles"})
    calendar = calendar_html(client.get("/progress?days=30").text)
    assert f"/checkin?date={tomorrow.isoformat()}" not in calendar
    assert f"/checkin?date={TODAY.isoformat()}" in calendar
    name = f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B}: no check-in, session day"
    assert f'<span class="visually-hidden">{name}</span>' in calendar
    assert client.get(f"/checkin?date={tomorrow.isoformat()}").status_code == 400


@pytest.mark.parametrize(
    ("offset", "mood", "css", "name"),
    [
        (-1, 0, "mood-0", ": mood 0</span>"),
        (0, 7, "mood-7", ": mood 7, session day</span>"),
        (1, None, "empty", ": no check-in, add one</span>"),
        (2, 10, "mood-10", ": mood 10</span>"),
    ],
)
def test_each_calendar_day_is_named_by_its_date_and_mood(
    app, client, patient, offset, mood, css, name
):
    if mood is not None:
        checkin(client, offset, mood)
    add_session(app, 0)
    calendar = calendar_html(client.get("/progress?days=30").text)
    when = SESSION_DAY + timedelta(days=offset)
    cell = re.search(
        rf'<a class="day ([^"]+)" href="[^"]*{when.isoformat()}">(.*?)</a>', calendar, re.S
    )
    assert cell, calendar
    assert cell.group(1).split()[0] == css
    label = re.search(r'<span class="visually-hidden">([^<]+)</span>', cell.group(2)).group(1)
    assert label == f"{when:%A} {when.day} {when:%B}" + name.removesuffix("</span>")
    # A mood 0 shows its 0; an empty day shows only its date.
    values = re.findall(r'<span class="value" aria-hidden="true">(\d+)</span>', cell.group(2))
    assert values == ([] if mood is None else [str(mood)])


def test_calendar_caption_does_not_depend_on_the_theme(client, patient):
    key = re.search(r'<p class="hint" id="calendar-key">([^<]+)</p>', client.get("/progress").text)
    # Dark mode reverses light and dark: the key may not say which is which.
    assert key and not re.search(r"\b(dark|light)(er|est)?\b", key.group(1), re.I)


# --- issue 8: one way to round, count and subtract; what the overlay text says; new patients ---

from journal import numbers  # noqa: E402


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (6.125, 2, "6.13"),  # half up, as a calculator does (round() and "%.2f" give 6.12)
        (6.25, 1, "6.3"),  # "%.1f" gives 6.2
        (2.675, 2, "2.68"),
        (-0.04, 1, "0.0"),  # never "-0.0"
        (-0.05, 1, "-0.1"),
        (5, 1, "5.0"),
        (None, 1, "\u2014"),
        # A mean of 5.75 rebuilt as its mean change plus a baseline of 4/3: a slip in the last
        # digit (5.749999999999999) read 5.7.
        (sum(m - 4 / 3 for m in (0, 3, 10, 10)) / 4 + 4 / 3, 1, "5.8"),
        (5.749999999999999, 2, "5.75"),
    ],
)
def test_figure_rounds_half_up(value, places, text):
    assert numbers.figure(value, places) == text


@pytest.mark.parametrize(
    ("value", "reference", "text"),
    [
        (5.75, 3.14, "+2.7"),  # shown as 5.8 and 3.1; 5.75 - 3.14 = 2.61 would read +2.6
        (3.04, 3.0, "0.0"),
        (2.96, 3.04, "0.0"),  # both shown as 3.0, so no "\u22120.1" beside them
        (6.25, 6.2, "+0.1"),
        (None, 3.0, "\u2014"),
    ],
)
def test_difference_is_of_the_values_as_shown(value, reference, text):
    assert numbers.difference(value, reference) == text


@pytest.mark.parametrize(
    ("value", "text"), [(-0.04, "0.0"), (0.0, "0.0"), (0.05, "+0.1"), (-1.25, "\u22121.3")]
)
def test_signed_never_shows_minus_zero(value, text):
    assert numbers.signed(value) == text


@pytest.mark.parametrize(
    ("count", "word", "many", "text"),
    [
        (1, "session", None, "1 session"),
        (0, "session", None, "0 sessions"),
        (2, "day", None, "2 days"),
        (1, "entry", "entries", "1 entry"),
        (3, "entry", "entries", "3 entries"),
    ],
)
def test_plural(count, word, many, text):
    assert numbers.plural(count, word, many) == text


def test_summary_rounds_half_up_and_changes_match_the_rounded_figures(app, client, patient):
    # Baseline: 6, 6, 6, 6, 6, 6, 6, 7 -> 49 / 8 = 6.125; window days 1 and 2: 7 and 8 -> 7.5.
    for offset, mood in zip(range(-8, 0), [6, 6, 6, 6, 6, 6, 6, 7], strict=True):
        checkin(client, offset, mood)
    checkin(client, 1, 7)
    checkin(client, 2, 8)
    add_session(app, 0)
    body = client.get("/progress/summary.json").get_json()
    assert body["baseline"] == 6.13  # half up; round(6.125, 2) gives 6.12
    (session,) = body["sessions"]
    assert session["window_mean"] == 7.5
    assert session["change"] == 1.37  # 7.5 - 6.13, as shown
    assert session["peak_change"] == 1.87  # 8 - 6.13
    page = client.get("/progress").text
    assert "+1.4" in page and "+1.9 (day 2)" in page  # 7.5 - 6.1 and 8.0 - 6.1, as shown


def test_timeline_text_counts_in_words_that_agree():
    start = date(2026, 11, 1)
    data = timeline_data(
        [(start, 6)], [{"day": start.isoformat(), "number": 1}], 7, start, start, "Mood", 10
    )
    text = describe_timeline(data)
    assert "check-ins on 1 of 1 day, averaging 6.0" in text
    assert "1 session in this range" in text
    assert "1 sessions" not in text and "1 check-ins" not in text


def test_timeline_text_dates_its_lowest_and_highest_days_with_the_year_over_a_year():
    """Over two years "lowest 2 on 8 Dec" named either of two days; within a year the day
    and month alone are enough."""
    start, end = date(2024, 12, 8), date(2026, 12, 7)
    points = [(start, 2), (date(2025, 6, 1), 9), (date(2026, 6, 1), 9), (end, 5)]
    text = describe_timeline(timeline_data(points, [], 7, start, end, "Mood", 10))
    assert "lowest 2 on 8 Dec 2024, highest 9 on 1 Jun 2025." in text
    a_year = describe_timeline(timeline_data(points, [], 7, date(2025, 12, 8), end, "Mood", 10))
    assert "check-ins on 2 of 365 days" in a_year
    assert "lowest 5 on 7 Dec, highest 9 on 1 Jun." in a_year


def overlay_text(moods, session_offsets, window_days=7):
    start = date(2026, 11, 1)
    points = [(start + timedelta(days=offset), mood) for offset, mood in moods]
    sessions = [
        {"day": (start + timedelta(days=offset)).isoformat(), "number": n}
        for n, offset in enumerate(session_offsets, start=1)
    ]
    end = start + timedelta(days=60)
    data, base, used = figures.overlay_data(
        points, sessions, window_days, start - timedelta(days=30), end, "Mood", today=end
    )
    return figures.describe_overlay(data, base, used)


def test_the_overlay_names_a_past_years_session_with_its_year():
    """The overlay's legend (and its words, of a window cut short) read "#1 29 Dec" for a
    session of a past year, as if it were this year's (until 2026-12-07)."""
    start = date(2025, 12, 29)
    points = [(start + timedelta(days=offset), mood) for offset, mood in [*BASE_5, (1, 7)]]
    sessions = [{"day": "2025-12-29", "number": 1}, {"day": "2026-01-01", "number": 2}]
    data, base, used = figures.overlay_data(
        points, sessions, 7, date(2025, 12, 1), date(2026, 1, 31), "Mood", today=date(2026, 12, 7)
    )
    assert [name for name, _ in data["series"]] == ["#1 29 Dec 2025"]
    assert "Cut short by the next session: #1 29 Dec 2025, days 1–2." in (
        figures.describe_overlay(data, base, used)
    )


BASE_5 = [(-5, 4), (-3, 5), (-1, 6)]  # baseline 5.0


@pytest.mark.parametrize(
    ("moods", "sessions", "expected", "absent"),
    [
        # Day 0 (+3) is the session's date, not a day "after"; the days after average +1.
        (
            [*BASE_5, (0, 8), (1, 6), (2, 6)],
            [0],
            [
                "day 0 is the session's date, days 1\u20137 the 7 days after it",
                "On the session's date the mean change was +3.0",
                "the change was +1.0 on average; the highest mean change was +1.0 on day 1",
            ],
            ["Cut short"],
        ),
        # The next session 5 days later leaves #1 with days 1-4.
        (
            [*BASE_5, (1, 7), (4, 6), (6, 9)],
            [0, 5],
            ["Cut short by the next session: #1 1 Nov, days 1\u20134."],
            ["#2 6 Nov, days"],
        ),
        ([*BASE_5, (1, 7), (2, 6)], [0, 2], ["#1 1 Nov, day 1."], []),
        ([*BASE_5, (0, 6)], [0], ["No check-ins in the days after."], ["on average"]),
    ],
)
def test_overlay_text_says_which_days_were_used(moods, sessions, expected, absent):
    text = overlay_text(moods, sessions)
    for phrase in expected:
        assert phrase in text
    for phrase in absent:
        assert phrase not in text


def test_ranges_start_at_a_new_patients_first_day(app, client, patient):
    checkin(client, 6, 5)  # four days ago: the first entry
    checkin(client, 8, 6)
    first = date.fromisoformat(day(6))
    for days in ("30", "90", "365", "all"):
        page = client.get(f"/progress?days={days}").text
        assert f"{first:%-d %b %Y} to {TODAY:%-d %b %Y}" in page, days
        assert "check-ins on 2 of 5 days" in page, days
    for name in figures.CHARTS:
        assert client.get(f"/charts/{name}.svg?days=90").status_code == 200


def test_a_range_never_starts_before_the_account_without_entries(client, patient):
    page = client.get("/progress?days=365").text
    assert f"{TODAY:%-d %b %Y} to {TODAY:%-d %b %Y}" in page
    for name in figures.CHARTS:
        assert client.get(f"/charts/{name}.png?days=365").status_code == 200


@pytest.mark.parametrize(
    ("scores", "shown", "why"),
    [
        ([(-1, 3)], "Not shown", "Baseline below 10"),  # never "Remission" for a single 3
        ([(-1, 4), (5, 2)], "Not shown", "Baseline below 10"),
        ([(3, 14), (5, 4)], "Not shown", "No PHQ-9 before the first session"),
        ([(-1, 12)], "Not shown", "No PHQ-9 since the baseline"),
        ([(-1, 12), (5, 5)], "Response", "Latest 5 is at most half the baseline of 12"),
        ([(-1, 12), (5, 4)], "Remission", "Latest 4, below 5, from a baseline of 12"),
    ],
)
def test_progress_response_card(app, client, patient, scores, shown, why):
    add_session(app, 0)
    for offset, total in scores:
        add_assessment(app, "phq9", offset, total)
    page = client.get("/progress").text
    card = re.search(r'<div id="phq9-response">(.*?)</div>', page, re.S).group(1)
    assert f"<dd>{shown}</dd>" in card
    assert why in card
    body = client.get("/progress/summary.json").get_json()["phq9"]
    assert set(body) == {
        "baseline",
        "latest",
        "band",
        "response",
        "remission",
        "percent_change",
        "first_response_date",
    }
    assert (body["response"] is None) is (shown == "Not shown")


def test_response_card_names_a_remission_that_came_and_went(app, client, patient):
    # Baseline 18 on day -1; 4 on day 3 (below 5: a remission, and at most 9: a response);
    # 6 on day 7, the latest: at most 9, a response still, but no longer below 5. The
    # check-ups page and the report say when the remission came; the progress card, which a
    # share link and the therapist's page show too, said only "latest 6 is at most half".
    add_session(app, 0)
    for offset, total in [(-1, 18), (3, 4), (7, 6)]:
        add_assessment(app, "phq9", offset, total)
    reached = day_text(SESSION_DAY + timedelta(days=3), "date_year")
    note = f"Latest 6 is at most half the baseline of 18; below 5 first on {reached}"
    _, token = share_link(client)
    doc = factories.therapist(app)
    factories.link(client, factories.invite_code(doc))
    for page in (client.get("/progress"), client.get(f"/s/{token}"), doc.get("/caseload/1")):
        card = re.search(r'<div id="phq9-response">(.*?)</div>', page.text, re.S).group(1)
        assert "<dd>Response</dd>" in card
        assert note in card


def test_shared_calendar_names_each_day_without_linking_into_the_journal(client, patient):
    """Behind a share link the days are named as on the patient's page, but are not links:
    the person who opens it has no way into the patient's entries or check-in form."""
    checkin(client, -1, 0)
    _, token = share_link(client)
    calendar = calendar_html(client.get(f"/s/{token}").text)
    when = SESSION_DAY - timedelta(days=1)
    assert f"{when:%A} {when.day} {when:%B}: mood 0</span>" in calendar
    assert "<a " not in calendar and "/entries/" not in calendar and "/checkin" not in calendar


# Baseline 3, 4, 3, 3 -> 3.25, shown 3.3. Day 0 mood 6 and day 2 mood 7: the tables show
# 6.0 - 3.3 = +2.7 and 7.0 - 3.3 = +3.7; the raw changes 2.75 and 3.75 would read +2.8, +3.8.
BASE_3_25 = [(-14, 3), (-10, 4), (-6, 3), (-1, 3)]


@pytest.mark.parametrize(
    ("moods", "expected", "absent"),
    [
        (
            [*BASE_3_25, (0, 6), (2, 7)],
            [
                "against a baseline of 3.3",
                "On the session's date the mean change was +2.7.",
                "the change was +3.7 on average; the highest mean change was +3.7 on day 2.",
            ],
            ["+2.8", "+3.8"],
        ),
        # 3.2 against 3.25: the values as shown (3.2 and 3.3) differ by -0.1, never "-0.0".
        (
            [*BASE_3_25, (1, 3), (2, 3), (3, 3), (4, 4), (5, 3)],
            ["the change was \u22120.1 on average"],
            ["-0.0", "\u22120.0"],
        ),
    ],
)
def test_overlay_text_changes_agree_with_the_values_shown(moods, expected, absent):
    text = overlay_text(moods, [0])
    for phrase in expected:
        assert phrase in text
    for phrase in absent:
        assert phrase not in text


@pytest.mark.parametrize(
    ("last", "label"),
    [
        (7, "days 1\u20137"),
        (4, "days 1\u20134 (cut short)"),
        (1, "day 1 (cut short)"),
        (0, "no days (the next session was the next day)"),
        (-1, "no days (another session followed the same day)"),
    ],
)
def test_window_label_says_which_days_the_figures_stand_on(last, label):
    assert figures.window_label(last, 7) == label


@pytest.mark.parametrize(
    ("last", "so_far", "label"),
    [
        (7, 3, "days 1\u20133 so far"),
        (7, 1, "day 1 so far"),
        (7, 0, "no days yet"),
        (7, 7, "days 1\u20137"),
        (7, 30, "days 1\u20137"),
        (4, 2, "days 1\u20132 so far"),  # cut short later, but not over yet either
        (4, 9, "days 1\u20134 (cut short)"),
    ],
)
def test_a_window_still_under_way_says_how_many_days_it_has_so_far(last, so_far, label):
    assert figures.window_label(last, 7, so_far) == label


def test_the_session_page_labels_a_window_under_way(client, patient):
    day = (TODAY - timedelta(days=2)).isoformat()
    client.post(
        "/sessions/new",
        data={"started_at": f"{day}T10:00", "product": "ketamine", "route": "iv"},
    )
    assert "days 1\u20132 so far" in client.get("/sessions").text


# The session table of a range lists the sessions of that range only (a page must not grow with
# the whole history), with the figures they have among all sessions.


def test_the_session_table_lists_only_the_range(app, client, patient):
    from journal import share

    with app.app_context():
        db = get_db()
        user_id = db.execute("select id from users").fetchone()[0]
        for ago in (400, 200, 95, 89, 10, 3):
            day = (TODAY - timedelta(days=ago)).isoformat()
            db["sessions"].insert(
                {"user_id": user_id, "started_at": f"{day}T10:00:00+00:00", "day": day,
                 "product": "ketamine", "route": "iv", "created_at": f"{day}T10:00:00+00:00",
                 "updated_at": f"{day}T10:00:00+00:00"}
            )  # fmt: skip
        db.conn.commit()
        _, token = share.create_link(user_id, "Dr", 30)
    for url in ("/progress", f"/s/{token}"):
        for days, listed in (("90", ["6", "5", "4"]), ("365", ["6", "5", "4", "3", "2"])):
            page = client.get(url, query_string={"days": days}).text
            assert re.findall(r'<th scope="row">#(\d+) <time', page) == listed


@pytest.mark.parametrize(
    ("created_at", "timezone", "expected"),
    [
        ("2026-11-30T23:30:00+00:00", "Pacific/Auckland", date(2026, 12, 1)),
        ("2026-12-01T03:00:00+00:00", "America/Chicago", date(2026, 11, 30)),
        # Stored times are UTC: one written without an offset is read as UTC, not as the
        # server's own zone.
        ("2026-11-30T23:30:00", "Pacific/Auckland", date(2026, 12, 1)),
        ("", "UTC", None),
        (None, "UTC", None),
        ("not a time", "UTC", None),
    ],
)
def test_joined_day_is_the_local_day_the_account_was_made(created_at, timezone, expected):
    """One answer for "the day this person joined", for progress ranges and History's missed
    days alike (History had a second copy of it)."""

    person = type("Person", (), {"created_at": created_at, "timezone": timezone})()
    assert joined.joined_day(person) == expected


def test_sessions_are_numbered_in_one_place_for_pages_and_exports(app, client, patient):
    """The sessions list, the progress page and the streamed exports number sessions alike:
    one function orders and numbers them (exports had its own copy of the rule)."""

    for offset in (-30, 0, -20):
        add_session(app, offset)
    with app.test_request_context():
        numbered = list(figures.numbered_sessions(1))
        assert numbered == figures.session_rows(1)
        assert [(s["number"], s["day"]) for s in numbered] == [
            (1, day(-30)),
            (2, day(-20)),
            (3, day(0)),
        ]
    lines = client.get("/export/sessions.csv").text.splitlines()
    assert [line.split(",")[:2] for line in lines[1:]] == [
        ["1", day(-30)],
        ["2", day(-20)],
        ["3", day(0)],
    ]


@pytest.mark.parametrize("metric", ["mood", "anxiety"])
def test_the_progress_page_and_the_shared_view_read_each_row_once(app, course, metric):
    """One request asks the database each question once: the page's figures, cards and
    charts share one fetch (the PHQ-9 scores were read twice, for the cards and the chart)."""
    from journal import access

    with app.test_request_context():
        person = access.person(1)
        for view in (figures.view_context, figures.patient_context):
            with traced() as statements:
                view(person, {"metric": metric})
            rows = [s for s in statements if "from assessments" in s or "from checkins" in s]
            assert rows != []
            assert asked_twice(rows) == []
            # Nor the same question asked in other words: the latest check-in's day was read
            # for the lift's open reasons and again for the last day lived.
            latest = [s for s in rows if re.search(r"max\(day\)( as day)? from checkins", s)]
            assert len(latest) <= 1, latest


@pytest.mark.parametrize("name", figures.CHARTS)
def test_a_chart_reads_each_row_once(app, course, name):
    """A chart's request asks the database each question once (the lift chart read the
    sessions for its course and again for the lift)."""
    from journal import access

    with app.test_request_context():
        person = access.person(1)
        with traced() as statements:
            response = figures.chart_response(person, name, "svg", {})
    assert response.status_code == 200
    assert asked_twice(statements) == []


def test_the_recent_cards_keep_a_check_in_saved_before_a_move_west(app, client, patient):
    # NOW is 12:00 UTC: 02:00 tomorrow in Kiritimati, 04:00 today in Los Angeles (05:00 in summer).
    # The check-in saved on the Kiritimati date must not drop out of "Mood, last 7 days" and the
    # streak when the person sets Los Angeles, where that date is still to come.
    settings = {"window_days": "7", "clinic_phone": ""}
    client.post("/settings", data={**settings, "timezone": DAY_AHEAD})
    factories.checkin(client, (TODAY + timedelta(days=1)).isoformat(), 4)
    client.post("/settings", data={**settings, "timezone": "America/Los_Angeles"})
    page = client.get("/progress").text
    assert re.search(r"<dt>Mood, last 7 days</dt><dd>4\.0</dd>", page)
    assert "<dt>Check-in streak</dt><dd>1 day</dd>" in page


def test_since_last_session_is_never_below_zero_after_a_move_west(app, client, patient):
    # A session logged this morning in UTC keeps its day; in Pago Pago (UTC-11) it is still
    # yesterday, so the days since it would be -1.
    from journal import clock

    clock.set(clock.now().replace(hour=6))
    factories.session(client, TODAY.isoformat(), started_at=f"{TODAY.isoformat()}T05:30")
    client.post(
        "/settings", data={"timezone": "Pacific/Pago_Pago", "window_days": "7", "clinic_phone": ""}
    )
    page = client.get("/progress").text
    card = re.search(r"<dt>Since last session</dt><dd>(.*?)</dd>", page).group(1)
    assert card == "0 days"
    assert figures.days_since(date(2026, 1, 2), date(2026, 1, 3)) == 0
    assert figures.days_since(date(2026, 1, 5), date(2026, 1, 3)) == 2
    assert figures.days_since(date(2026, 1, 5), None) is None


@pytest.mark.parametrize("after", [(0, 3, 10, 10), (2, 3, 9, 9)])
def test_the_overlay_text_rounds_a_mean_as_the_mean_it_is(after):
    """Four sessions ten days apart, each with one check-in the day after, against a baseline
    of 4/3 (1.3 as shown): both histories' day-1 mean is 5.75, so +4.5 (5.8 less 1.3). The
    mean of the changes plus the baseline came back as 5.749999999999999 for the first, which
    read +4.4 beside the other's +4.5."""
    moods = [(-6, 1), (-4, 1), (-2, 2)]
    moods += [(10 * n + 1, mood) for n, mood in enumerate(after)]
    text = overlay_text(moods, [0, 10, 20, 30])
    assert "against a baseline of 1.3" in text
    assert "the change was +4.5 on average; the highest mean change was +4.5 on day 1" in text


def test_a_sessions_peak_change_is_shown_from_the_peak_as_it_is():
    """A peak of 5.75 hours of sleep against a baseline of 4/3 hours: the change plus the
    baseline gave 5.749999999999999 back, +4.4 on the session's page and 4.41 in the JSON,
    where the window's own figures read 5.8 and 1.3."""
    from journal import figures, session_record

    base = 4 / 3
    peak = sum(value - base for value in (0, 3, 10, 10)) / 4  # a mean of 5.75, less base
    assert peak + base != 5.75  # the float slip this is about
    row = {"pre_level": None, "window_mean": 5.75, "change": 5.75 - base, "peak_change": peak,
           "peak_day": 1, "days_above_baseline": 1, "n_checkins": 4}  # fmt: skip
    assert figures.json_figures(row, base)["peak_change"] == 4.42  # 5.75 less 1.33
    assert session_record.figure_text(row, base)["peak_change"] == "+4.5 on day 1"


def test_the_progress_page_of_a_symptom_reads_the_symptoms_once(app, client, patient):
    """The symptom chosen as the metric was looked up by reading every symptom, which the
    list of metrics then read again."""
    client.post("/settings/symptoms", data={"name": "Pain"})
    checkin(client, 1, 5)
    with traced(app) as statements:
        assert client.get("/progress?metric=pain").status_code == 200
    assert [s for s in statements if 'from "symptoms"' in s or "from symptoms" in s] != []
    assert asked_twice(statements) == []


def test_the_timelines_average_reads_only_the_days_it_needs_and_is_the_same():
    """Each day's 7-day average reads from 6 days before the range on, not the whole history;
    the averages drawn are those of the whole history, edges and gaps included."""
    import random

    rng = random.Random(7)
    first = date(2016, 1, 1)
    points = [
        (first + timedelta(days=offset), rng.randint(0, 10))
        for offset in range(3650)
        if rng.random() < 0.7
    ]
    points += [(points[100][0], 3)]  # two values on one date
    for start_offset, length in [(3620, 30), (3560, 90), (0, 30), (1000, 1), (3650, 30)]:
        start = first + timedelta(days=start_offset)
        end = start + timedelta(days=length)
        data = figures.timeline_data(points, [], 7, start, end, "Mood", 10)
        whole = [(d, v) for d, v in windows.rolling_mean(points) if start <= d <= end]
        assert data["rolling"] == whole


def test_the_overlay_text_names_the_best_mean_change_for_a_scale_that_falls_as_it_eases(
    app, client, patient
):
    """Anxiety (0 calm to 10 very anxious) and a person's own symptoms (0 none) ease as they
    fall, but the words named the highest mean change: "the highest mean change was -1.0 on
    day 2" for anxiety down 3 on day 1 and 1 on day 2, the worse day (until 2026-12-07).
    Mood, energy and sleep still name the highest."""
    from journal import rules

    assert [rules.lower_is_better(m) for m in ("mood", "energy", "sleep")] == [False] * 3
    assert rules.lower_is_better("anxiety") and rules.lower_is_better(7)  # a symptom's id
    for offset in (-5, -3, -1):
        checkin(client, offset, 4, anxiety="6")
    checkin(client, 1, 6, anxiety="3")
    checkin(client, 2, 7, anxiety="5")
    add_session(app, 0)
    anxiety = html.unescape(client.get("/progress?days=all&metric=anxiety").text)
    assert "the lowest mean change was \u22123.0 on day 1." in anxiety
    assert "highest mean change" not in anxiety
    mood = html.unescape(client.get("/progress?days=all").text)
    assert "the highest mean change was +3.0 on day 2." in mood
