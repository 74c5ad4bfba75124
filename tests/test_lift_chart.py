"""How long the lift lasted (issue 10), as patients see it: the chart /charts/lift.svg|png,
its text alternative and table, and the card on /progress and on a share link's page.

Every expected figure is computed by hand from the history in `history` below.
"""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from io import BytesIO

import pytest
from conftest import contrast_ratio
from factories import (
    DAY_AHEAD,
    TODAY,
    add_session,
    checkin,
    insert,
    invite_code,
    person,
    share_link,
    therapist,
)
from matplotlib.colors import to_rgb
from matplotlib.image import imread
from matplotlib.patches import Rectangle

from journal import charts, figures
from journal.db import get_db

SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def day(offset):
    return TODAY + timedelta(days=offset)


def iso(offset):
    return day(offset).isoformat()


def short(offset):
    """As the chart labels a session's date: "4 Nov"."""
    d = day(offset)
    return f"{d.day} {d:%b}"


# Sessions 60, 39, 18, 9 and 2 days ago.
S1, S2, S3, S4, S5 = -60, -39, -18, -9, -2
HISTORY = [
    # The baseline: 14 days before the first session, moods 4, 5, 6, mean 5.0.
    (S1 - 10, 4),
    (S1 - 5, 5),
    (S1 - 2, 6),
    # #1: days 1-3 above 5.0 (7, 6, 8), day 4 at 5: ended, 3 days.
    (S1 + 1, 7),
    (S1 + 2, 6),
    (S1 + 3, 8),
    (S1 + 4, 5),
    # #2: days 1-5 at 6, day 6 at 4: ended, 5 days.
    *[(S2 + n, 6) for n in range(1, 6)],
    (S2 + 6, 4),
    # #3: day 1 at 4, already at or below: ended, 0 days.
    (S3 + 1, 4),
    (S3 + 2, 9),
    # #4: days 1, 3 and 5 above; #5 came on day 7 (horizon days 1-6): open, at least 5 days.
    (S4 + 1, 7),
    (S4 + 3, 6),
    (S4 + 5, 6),
    # #5: nothing after it: no figure.
]


@pytest.fixture
def history(app, client, patient):
    for offset, mood in HISTORY:
        checkin(client, iso(offset), mood, read_flash=False)
    for offset in (S1, S2, S3, S4, S5):
        add_session(app, iso(offset))
    return client


# Over every session: ended 3, 5, 0 (median 3, from 0 to 5), one open, #5 without a figure.
CARD = (
    "After 4 of your 5 sessions, your mood stayed above your usual level for a median of "
    "3 days, from 0 to 5; 1 lift was still going when the next session came."
)


def alt_text():
    return (
        "How many days mood stayed above the baseline of 5.0 after each of 5 sessions: "
        f"#1 {short(S1)}, 3 days; #2 {short(S2)}, 5 days; #3 {short(S3)}, 0 days; "
        f"#4 {short(S4)}, at least 5 days and still going when the next session came; "
        f"#5 {short(S5)}, no figure."
    )


def lift_card(page):
    """The card's HTML, from its section to the end of the section."""
    match = re.search(r'<section class="lift-card".*?</section>', page, re.S)
    assert match, "no lift card"
    return match.group(0)


def table_rows(card):
    """(session, date, lift, ended?) per table row, as the cells read (hidden words left out)."""
    body = re.search(r"<tbody>(.*?)</tbody>", card, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append(
            tuple(
                re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">.*?</span>', "", c))
                for c in cells
            )
        )
    return rows


# --- the card on /progress -------------------------------------------------------------------


def test_summary_agrees_with_the_hand_computed_history(history):
    summary = history.get("/progress/summary.json").get_json()
    assert summary["baseline"] == 5.0
    assert [(s["lift_days"], s["lift_ended"]) for s in summary["sessions"]] == [
        (3, True),
        (5, True),
        (0, True),
        (5, False),
        (None, None),
    ]


def test_the_card_says_how_long_the_lift_lasted(history):
    page = history.get("/progress").text
    card = lift_card(page)
    assert "How long the lift lasted" in card
    assert CARD in card
    # Pre-levels exist for #1 (6) and #5 (6) only: no trend below three sessions.
    assert "mood before sessions" not in card
    assert "commonly described as about a week; it is not proven" in card
    assert "talk over with your clinic" in card
    assert "due" not in re.sub(r"<[^>]+>", " ", card).split()


def test_the_chart_has_its_text_alternative_and_table(history):
    card = lift_card(history.get("/progress").text)
    assert f'alt="{alt_text()}"' in card
    assert re.search(r'srcset="/charts/lift\.svg\?[^"]*theme=dark', card)
    assert re.search(r'<img class="lift-chart" src="/charts/lift\.svg\?days=90"', card)
    assert table_rows(card) == [
        ("#5", f"{day(S5):%-d %b %Y}", "—", "—"),
        ("#4", f"{day(S4):%-d %b %Y}", "at least 5", "still going"),
        ("#3", f"{day(S3):%-d %b %Y}", "0", "ended"),
        ("#2", f"{day(S2):%-d %b %Y}", "5", "ended"),
        ("#1", f"{day(S1):%-d %b %Y}", "3", "ended"),
    ]
    assert card.count('<span class="visually-hidden">no figure</span>') == 2


def test_the_chart_follows_the_range(history):
    """30 days hold #3 (18 days ago), #4 and #5: the sentence stays about every session."""
    card = lift_card(history.get("/progress?days=30").text)
    assert CARD in card
    assert "after each of 3 sessions: #3" in card
    assert [row[0] for row in table_rows(card)] == ["#5", "#4", "#3"]
    svg = history.get("/charts/lift.svg?days=30").data
    assert "after each of 3 sessions" in ET.fromstring(svg).find(f"{SVG_NS}title").text


def test_the_trend_shows_only_when_there_is_one(app, client, patient):
    """Pre-levels 4, 5 and 6 before sessions #1-#3: the Theil-Sen slope is +1.0 a session."""
    for offset, mood in [(-40, 4), (-20, 5), (-5, 6)]:
        checkin(client, iso(offset), mood, read_flash=False)
    for offset in (-39, -19, -4):
        add_session(app, iso(offset))
    card = lift_card(client.get("/progress").text)
    assert (
        "Your mood before sessions has risen by about 1.0 points per session across your "
        "last 3 sessions." in card
    )


@pytest.mark.parametrize(
    ("moods", "sessions", "needed"),
    [
        # No sessions at all.
        ([(-3, 5), (-1, 6)], [], "Log a session and check in on the days after it"),
        # A baseline (4, 5, 6 before the session), nothing after the session.
        (
            [(-9, 4), (-8, 5), (-7, 6)],
            [-5],
            "Check in on the days after your next session to see how long it lasts.",
        ),
        # No baseline (one check-in before) and no pre-level (not within 3 days); days after.
        (
            [(-20, 5), (-5, 7), (-4, 8)],
            [-6],
            "Check in on a few of the 3 days before your next session and on the days after it",
        ),
    ],
)
def test_too_little_data_says_what_is_needed_and_never_zero(
    app, client, patient, moods, sessions, needed
):
    for offset, mood in moods:
        checkin(client, iso(offset), mood, read_flash=False)
    for offset in sessions:
        add_session(app, iso(offset))
    card = lift_card(client.get("/progress").text)
    assert needed in card
    assert 'id="lift"' not in card and "<img" not in card  # no empty chart
    assert "0 days" not in card and "median" not in card
    rows = client.get("/progress/summary.json").get_json()["sessions"]
    assert all(s["lift_days"] is None for s in rows)


# Sessions 100, 50 and 5 days ago; the baseline 5.0 (moods 5, 5, 5 before the first).
CAP = [-100, -50, -5]
CAP_MOODS = {
    -110: 5,
    -107: 5,
    -102: 5,
    # #1: day 1 6, day 2 5: ended, 1 day.
    -99: 6,
    -98: 5,
    # #2: days 1..42 at 7, none at or below 5.0: open at 42. Day 43's 3 comes before #3 (day
    # 45): the horizon (days 1..42, min(42, 44)) ended at the cap, not at the next session.
    **{-50 + n: 7 for n in range(1, 43)},
    -7: 3,
    # #3: day 1 at 5: ended, 0 days.
    -4: 5,
}


@pytest.fixture
def capped(app, client, patient):
    for offset, mood in CAP_MOODS.items():
        insert(app, "checkins", day=iso(offset), mood=mood)
    for offset in CAP:
        add_session(app, iso(offset))
    return client


def linked_doctor(app, client):
    """A therapist the patient has linked to, and the patient's id."""
    doc = therapist(app)
    code = invite_code(doc)
    assert client.post("/settings/therapist", data={"invite_code": code}).status_code == 302
    with app.app_context():
        patient_id = next(get_db()["users"].rows_where("email = ?", ["pat@example.com"]))["id"]
    return doc, patient_id


def test_a_lift_open_at_the_42_day_cap_is_not_said_to_meet_the_next_session(app, capped):
    # Ended: 1 and 0 -> median 0.5, from 0 to 1; #2 open at the cap.
    summary = capped.get("/progress/summary.json").get_json()
    assert [(s["lift_days"], s["lift_ended"]) for s in summary["sessions"]] == [
        (1, True),
        (42, False),
        (0, True),
    ]
    card = lift_card(capped.get("/progress?days=all").text)
    assert (
        "After your last 3 sessions, your mood stayed above your usual level for a median of "
        "0.5 days, from 0 to 1; 1 lift was still going on day 42, the last day counted." in card
    )
    assert (
        f"#1 {short(CAP[0])}, 1 day; #2 {short(CAP[1])}, at least 42 days and still going on "
        f"day 42, the last day counted; #3 {short(CAP[2])}, 0 days." in card
    )
    assert "next session" not in card
    doc, patient_id = linked_doctor(app, capped)
    card = lift_card(doc.get(f"/caseload/{patient_id}?days=all").text)
    assert (
        "After the last 3 sessions, mood stayed above the baseline for a median of 0.5 days, "
        "from 0 to 1; 1 lift was still going on day 42, the last day counted." in card
    )
    assert "next session" not in card


def test_the_chart_reaches_a_session_logged_before_a_move_west(app, client, auth):
    # NOW is 12:00 UTC: 02:00 tomorrow in Kiritimati, 04:00 today in Los Angeles (05:00 in summer).
    # #1 20 days ago (baseline 5.0; 7 on each of its days 1..20: open, cut by #2); #2 logged at
    # 00:30 on Kiritimati's today (10:30 UTC: it has taken place), dated tomorrow; then Los Angeles.
    assert auth.register(timezone=DAY_AHEAD).status_code == 302
    for offset, mood in [(-25, 5), (-23, 5), (-21, 5), *[(-20 + n, 7) for n in range(1, 21)]]:
        insert(app, "checkins", day=iso(offset), mood=mood)
    add_session(app, iso(-20))
    logged = client.post(
        "/sessions/new",
        data={"started_at": f"{iso(1)}T00:30", "product": "ketamine", "route": "iv"},
    )
    assert logged.status_code == 302
    settings = {"window_days": "7", "clinic_phone": "", "timezone": "America/Los_Angeles"}
    assert client.post("/settings", data=settings).status_code == 302
    words = (
        f"after each of 2 sessions: #1 {short(-20)}, at least 20 days and still going when "
        f"the next session came; #2 {short(1)}, no figure."
    )
    card = lift_card(client.get("/progress").text)
    assert "After 1 of your 2 sessions" in card and words in card
    assert [row[0] for row in table_rows(card)] == ["#2", "#1"]
    title = ET.fromstring(client.get("/charts/lift.svg").data).find(f"{SVG_NS}title").text
    assert title.startswith("How long the lift lasted after each of 2 sessions")
    doc, patient_id = linked_doctor(app, client)
    card = lift_card(doc.get(f"/caseload/{patient_id}").text)
    assert "After 1 of the 2 sessions" in card and words in card


def test_a_session_still_to_come_is_not_drawn(app, client, patient):
    # Dated tomorrow, starting at 10:00 UTC tomorrow (the form refuses it; stored anyway).
    # #1, 3 days ago, has a figure: baseline 5.0, 7 on its day 1.
    for offset, mood in [(-10, 5), (-8, 5), (-6, 5), (-2, 7)]:
        insert(app, "checkins", day=iso(offset), mood=mood)
    add_session(app, iso(-3))
    add_session(app, iso(1))
    card = lift_card(client.get("/progress").text)
    assert [row[0] for row in table_rows(card)] == ["#1"]
    title = ET.fromstring(client.get("/charts/lift.svg").data).find(f"{SVG_NS}title").text
    assert title.startswith("How long the lift lasted after each of 1 session:")


# --- the chart over HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "mimetype"), [("svg", "image/svg+xml"), ("png", "image/png")])
def test_svg_and_png(history, fmt, mimetype):
    response = history.get(f"/charts/lift.{fmt}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    if fmt == "png":
        assert response.data.startswith(PNG_SIGNATURE)
        height, width = imread(BytesIO(response.data)).shape[:2]
        assert (width, height) == (960, 435)  # 6.4 x (1.4 + 5 x 0.3) inches at 150 dpi
    else:
        root = ET.fromstring(response.data)
        assert root.find(f"{SVG_NS}title").text.startswith(
            "How long the lift lasted after each of 5 sessions: 3 ended, 1 still going, 1 without"
        )


def test_etag_answers_304_and_changes_with_a_check_in_or_a_session(app, history):
    first = history.get("/charts/lift.svg")
    tag = first.headers["ETag"]
    again = history.get("/charts/lift.svg", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert history.get("/charts/lift.svg?theme=dark").headers["ETag"] != tag
    assert history.get("/charts/lift.png").headers["ETag"] != tag
    checkin(history, iso(S5 + 1), 8, read_flash=False)  # #5 now has a figure: 1 day, open
    changed = history.get("/charts/lift.svg", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    title = ET.fromstring(changed.data).find(f"{SVG_NS}title").text
    assert "3 ended, 2 still going, 0 without a figure" in title
    tag = changed.headers["ETag"]
    add_session(app, iso(-1))
    assert history.get("/charts/lift.svg", headers={"If-None-Match": tag}).status_code == 200


@pytest.mark.parametrize("query", ["theme=sepia", "days=7", "theme="])
def test_bad_parameters_are_400(history, query):
    assert history.get(f"/charts/lift.svg?{query}").status_code == 400


def test_another_persons_lift_is_never_used(app, history, auth):
    auth.logout()
    auth.register(email="other@example.com")
    page = history.get("/progress").text
    card = lift_card(page)
    assert "Log a session and check in on the days after it" in card
    assert "<img" not in card
    svg = history.get("/charts/lift.svg?days=all").data
    title = ET.fromstring(svg).find(f"{SVG_NS}title").text
    assert title.startswith("How long the lift lasted after each of 0 sessions")
    assert history.get("/progress/summary.json").get_json()["lift"]["n_ended"] == 0


# --- the share link and the caseload ---------------------------------------------------------


def test_the_share_link_page_and_chart(history):
    _, token = share_link(history)
    history.post("/auth/logout")
    page = history.get(f"/s/{token}").text
    card = lift_card(page)
    assert (
        "After 4 of the 5 sessions, mood stayed above the baseline for a median of 3 days" in card
    )
    assert "your" not in card.lower().replace("your own", "")
    assert "discuss together" in card
    assert re.search(rf'src="/s/{token}/charts/lift\.svg\?days=90"', card)
    chart = history.get(f"/s/{token}/charts/lift.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert history.get(f"/s/{token}/charts/lift.png").status_code == 200
    assert history.get(f"/s/{token}/charts/lift.svg?metric=Headache").status_code == 400


def test_the_caseload_chart_route_serves_it_for_a_linked_patient(app, history):
    doc, patient_id = linked_doctor(app, history)
    response = doc.get(f"/caseload/{patient_id}/charts/lift.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    title = ET.fromstring(response.data).find(f"{SVG_NS}title").text
    assert title.startswith("How long the lift lasted after each of 5 sessions")
    stranger = person(app, "stranger@example.com")
    assert stranger.get(f"/caseload/{patient_id}/charts/lift.svg").status_code in (302, 403, 404)
    other = therapist(app, "other-doc@example.com")
    assert other.get(f"/caseload/{patient_id}/charts/lift.svg").status_code == 404


# --- the text alternative for hand-built data ------------------------------------------------


def lift_rows(*lifts):
    """lift_course-like sessions, #1 on 3 Mar 2025 and then a week apart."""
    return [
        {
            "number": n,
            "day": date(2025, 3, 3) + timedelta(days=7 * (n - 1)),
            "lift_days": d,
            "lift_ended": e,
        }
        for n, (d, e) in enumerate(lifts, start=1)
    ]


def test_describe_lift_ended_open_and_missing():
    rows = lift_rows((4, True), (6, False), (None, None), (0, True))
    data = figures.lift_data(rows, date(2025, 3, 1), date(2025, 3, 31), today=date(2025, 12, 31))
    assert data == {
        "sessions": [
            ("#1 3 Mar", 4, True),
            ("#2 10 Mar", 6, False),
            ("#3 17 Mar", None, None),
            ("#4 24 Mar", 0, True),
        ],
        "total": 4,
    }
    assert figures.describe_lift(data, 5.25) == (
        "How many days mood stayed above the baseline of 5.3 after each of 4 sessions: "
        "#1 3 Mar, 4 days; #2 10 Mar, at least 6 days and still going; #3 17 Mar, no figure; "
        "#4 24 Mar, 0 days. A lift still going had not ended when the next session came, at "
        "the latest check-in or on day 42, the last day counted."
    )
    without = figures.describe_lift(data, None)
    assert without.startswith(
        "How many days mood stayed above the mean mood of the 3 days before each session after"
    )


def test_a_session_of_a_past_year_is_labelled_with_its_year():
    """The chart's and its words' labels read "#1 3 Mar" for a session of a past year, as if
    it were this year's (until 2026-12-07): a session of another year than today's names
    it."""
    rows = lift_rows((4, True)) + [
        {"number": 2, "day": date(2026, 1, 5), "lift_days": 2, "lift_ended": True}
    ]
    data = figures.lift_data(rows, date(2025, 3, 1), date(2026, 1, 31), today=date(2026, 12, 7))
    assert [label for label, _, _ in data["sessions"]] == ["#1 3 Mar 2025", "#2 5 Jan"]
    assert "#1 3 Mar 2025, 4 days; #2 5 Jan, 2 days." in figures.describe_lift(data, 5.0)


def test_describe_lift_with_no_sessions_in_the_range():
    rows = lift_rows((4, True))
    data = figures.lift_data(rows, date(2025, 4, 1), date(2025, 4, 30), today=date(2025, 12, 31))
    assert data == {"sessions": [], "total": 0}
    assert (
        figures.describe_lift(data, 5.0) == "How long the lift lasted: no sessions in this range."
    )


def test_the_chart_draws_the_latest_twelve_of_the_range():
    rows = lift_rows(*[(n % 5, True) for n in range(1, 16)])
    data = figures.lift_data(rows, date(2025, 3, 1), date(2025, 12, 31), today=date(2025, 12, 31))
    assert data["total"] == 15
    assert [label.split()[0] for label, _, _ in data["sessions"]] == [f"#{n}" for n in range(4, 16)]
    assert "after each of the latest 12 of the 15 sessions in this range" in (
        figures.describe_lift(data, 5.0)
    )


def test_with_no_figure_among_the_latest_twelve_the_chart_ends_at_the_latest_with_one():
    # 30 sessions of the range; only #2 and #15 have a figure. The latest 12 (#19-#30) have
    # none: the 12 up to #15 are drawn (#4-#15), and the 15 after it are said to have none.
    lifts = [(None, None)] * 30
    lifts[1], lifts[14] = (3, True), (8, False)
    data = figures.lift_data(
        lift_rows(*lifts), date(2025, 3, 1), date(2025, 12, 31), today=date(2025, 12, 31)
    )
    assert [label.split()[0] for label, _, _ in data["sessions"]] == [f"#{n}" for n in range(4, 16)]
    assert (data["total"], data["later"]) == (30, 15)
    text = figures.describe_lift(data, 5.0)
    assert text.startswith(
        "How many days mood stayed above the baseline of 5.0 after each of 12 of the 30 "
        "sessions in this range, up to the latest with a figure: #4 24 Mar, no figure;"
    )
    assert text.endswith("The 15 later sessions of this range have no figure.")
    # Fewer than 12 up to it: #1-#3 of 15, the 12 after #3 without a figure.
    lifts = [(1, False), (1, False), (0, True)] + [(None, None)] * 12
    data = figures.lift_data(
        lift_rows(*lifts), date(2025, 3, 1), date(2025, 12, 31), today=date(2025, 12, 31)
    )
    assert [label.split()[0] for label, _, _ in data["sessions"]] == ["#1", "#2", "#3"]
    assert (data["total"], data["later"]) == (15, 12)
    # Nothing anywhere has a figure: the latest 12, as before (and the card draws no chart).
    data = figures.lift_data(
        lift_rows(*[(None, None)] * 15),
        date(2025, 3, 1),
        date(2025, 12, 31),
        today=date(2025, 12, 31),
    )
    assert [label.split()[0] for label, _, _ in data["sessions"]] == [f"#{n}" for n in range(4, 16)]
    assert "later" not in data


# Sessions every 2 days from 40 days ago (#1) to 12 days ago (#15); check-ins stop after #3.
# The baseline: 5, 5, 5 before #1 -> 5.0. #1: its day 1 7 (#2 comes on day 2): open at 1.
# #2: day 1 7 (#3 on day 2): open at 1. #3: day 1 4: ended, 0 days. #4-#15: no check-in after.
STOPPED = [-40 + 2 * n for n in range(15)]


@pytest.fixture
def stopped(app, client, patient):
    for offset, mood in [(-45, 5), (-43, 5), (-41, 5), (-39, 7), (-37, 7), (-35, 4)]:
        insert(app, "checkins", day=iso(offset), mood=mood)
    for offset in STOPPED:
        add_session(app, iso(offset))
    return client


@pytest.mark.parametrize("days", ["all", "90"])
def test_the_card_draws_the_measured_sessions_when_the_latest_twelve_have_no_figure(
    app, stopped, days
):
    card = lift_card(stopped.get(f"/progress?days={days}").text)
    assert "After 3 of your 15 sessions" in card
    assert "has a figure yet" not in card
    assert re.search(rf'<img class="lift-chart" src="/charts/lift\.svg\?days={days}"', card)
    assert (
        "after each of 3 of the 15 sessions in this range, up to the latest with a figure: "
        f"#1 {short(STOPPED[0])}, at least 1 day and still going when the next session came; "
        f"#2 {short(STOPPED[1])}, at least 1 day and still going when the next session came; "
        f"#3 {short(STOPPED[2])}, 0 days. The 12 later sessions of this range have no figure."
        in card
    )
    rows = table_rows(card)
    assert [row[0] for row in rows] == [f"#{n}" for n in range(15, 0, -1)]
    assert rows[-3:] == [
        ("#3", f"{day(STOPPED[2]):%-d %b %Y}", "0", "ended"),
        ("#2", f"{day(STOPPED[1]):%-d %b %Y}", "at least 1", "still going"),
        ("#1", f"{day(STOPPED[0]):%-d %b %Y}", "at least 1", "still going"),
    ]
    svg = stopped.get(f"/charts/lift.svg?days={days}").data
    assert ET.fromstring(svg).find(f"{SVG_NS}title").text == (
        "How long the lift lasted after each of 3 of 15 sessions, up to the latest with a "
        "figure: 1 ended, 2 still going, 0 without a figure"
    )
    # The caseload's card is the same template over the same figures.
    doc, patient_id = linked_doctor(app, stopped)
    card = lift_card(doc.get(f"/caseload/{patient_id}?days={days}").text)
    assert "After 3 of the 15 sessions" in card and "has a figure yet" not in card
    assert "after each of 3 of the 15 sessions in this range, up to the latest" in card


# --- the drawing -----------------------------------------------------------------------------

ROWS = [
    ("#1 4 Nov", 9, True),
    ("#2 25 Nov", 15, False),
    ("#3 16 Dec", None, None),
    ("#4 6 Jan", 0, True),
]


def bars(fig, gid):
    return [p for p in fig.axes[0].patches if isinstance(p, Rectangle) and p.get_gid() == gid]


def texts(fig, gid=None):
    return [t.get_text() for t in fig.axes[0].texts if gid is None or t.get_gid() == gid]


def contrast(a, b):
    return contrast_ratio(to_rgb(a), to_rgb(b))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_one_bar_per_lift_an_open_one_continues_and_a_missing_one_is_a_labelled_gap(theme):
    fig = charts.lift_chart(ROWS, theme=theme)
    ended, still = bars(fig, "lift-ended"), bars(fig, "lift-open")
    assert [(b.get_width(), b.get_y() + b.get_height() / 2) for b in ended] == [(9, 0)]
    assert [(b.get_width(), b.get_y() + b.get_height() / 2) for b in still] == [(15, 1)]
    assert still[0].get_hatch() and not ended[0].get_hatch()
    arrow = next(line for line in fig.axes[0].lines if line.get_gid() == "lift-open-arrow")
    assert list(arrow.get_xdata()) == [15] and arrow.get_marker() == ">"
    # No bar at all for #3 (no figure) and #4 (0 days): words and a marker instead.
    assert len(ended) + len(still) == 2
    assert texts(fig, "no-figure") == ["no figure"]
    assert texts(fig, "lift-text") == ["9 days", "15+ days", "0 days"]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["#1 4 Nov", "#2 25 Nov", "#3 16 Dec", "#4 6 Jan"]
    lo, hi = fig.axes[0].get_ylim()
    assert hi < lo  # the first session at the top
    background = fig.get_facecolor()
    for bar in (*ended, *still):
        colour = bar.get_facecolor() if bar in ended else bar.get_edgecolor()
        assert contrast(colour, background) >= 3
    for text in fig.axes[0].texts:
        assert contrast(text.get_color(), background) >= 4.5
        assert text.get_fontsize() >= 11
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["ended", "still going (at least this long)"]


def test_no_alarm_colours():
    for theme in ("light", "dark"):
        fig = charts.lift_chart(ROWS, theme=theme)
        for bar in fig.axes[0].patches:
            for colour in (bar.get_facecolor(), bar.get_edgecolor()):
                r, g, b = to_rgb(colour)
                assert not (r > 0.6 and g < 0.45 and b < 0.45), colour  # nothing red


def test_no_sessions_draws_a_note_and_a_bad_theme_is_refused():
    fig = charts.lift_chart([])
    assert texts(fig) == [charts.NO_SESSIONS_MESSAGE]
    with pytest.raises(ValueError, match="theme"):
        charts.lift_chart(ROWS, theme="sepia")


def test_the_svg_is_deterministic_and_titled():
    first = charts.to_svg(charts.lift_chart(ROWS, total=9))
    assert first == charts.to_svg(charts.lift_chart(ROWS, total=9))
    title = ET.fromstring(first).find(f"{SVG_NS}title").text
    assert title == (
        "How long the lift lasted after each of the latest 4 of 9 sessions: 2 ended, "
        "1 still going, 1 without a figure"
    )
