"""Issue 10: the PDF report's lift, trend and PHQ-9 change on page 1, and each session's lift,
day-1 change, blood pressure, dissociation and side effects on the sessions page.

Every expected figure below is worked out by hand in the comments, not read off the code.
"""

import re
from datetime import timedelta

import factories
import pytest
from conftest import AuthActions, make_app, pdf_pages
from factories import DAY_AHEAD, TODAY, invite_code

from journal import reports
from journal.access import person
from journal.reports import layout as report_layout
from journal.reports import pages as report_pages
from journal.timezones import day_text

FIRST = TODAY - timedelta(days=40)  # session #1; #2, #3, #4 on days 10, 20, 30 (today - 10)
ODD_WORDS = "Schwindel \u00e9 \u03a9 \u201cquoted\u201d \u773c\u6688 \U0001f300"
PRIVATE_OTHER = "PRIVATE-OTHER side effect"

# Check-ins, by day from session #1 (day 0), and what each is for:
MOODS = {
    # Baseline (days -14..-1 before #1): 4, 5, 6 -> 5.0. #1's level before (days -3..-1):
    # 5, 6 -> 5.5.
    -5: 4,
    -3: 5,
    -1: 6,
    # #1: day 1 7 (+1.5 on 5.5), day 2 8, day 4 6, then day 5's 5 is at the baseline: lift 4.
    1: 7,
    2: 8,
    4: 6,
    5: 5,
    # #2 (day 10): level before, days 7..9: 5, 6 -> 5.5. Day 1 8 (+2.5), 7, 6, then 5 on day
    # 5: lift 3.
    7: 5,
    9: 6,
    11: 8,
    12: 7,
    13: 6,
    15: 5,
    # #3 (day 20): level before, days 17..19: 6, 8 -> 7.0. Its horizon is days 1..9 (#4
    # comes on day 10): 8, 8, 9, 6, 7, 8, never at or below 5: open, lasted at least to day 9.
    # Day 1 8 (+1.0).
    17: 6,
    19: 8,
    21: 8,
    23: 8,
    26: 9,
    27: 6,
    28: 7,
    29: 8,
    # #4 (day 30): level before, days 27..29: 6, 7, 8 -> 7.0. Day 1 9 (+2.0), 7, then 4: lift 2.
    31: 9,
    32: 7,
    33: 4,
}
# Lifts that ended: 4, 3, 2 -> median 3, from 2 to 4; #3 still going.
# Levels before, against the session's number: (1, 5.5), (2, 5.5), (3, 7.0), (4, 7.0).
# Pairwise slopes: 0, 0.75, 0.5, 1.5, 0.75, 0 -> sorted 0, 0, 0.5, 0.75, 0.75, 1.5; the median
# (0.5 + 0.75) / 2 = 0.625, "about 0.6" to one place.
# PHQ-9: 16 the day before #1 (the treatment baseline), 10 on day 15, 8 on day 25 (at most
# half of 16: the first response), 7 on day 35: (7 - 16) / 16 = -56.25% -> -56%.
PHQ9 = {-1: 16, 15: 10, 25: 8, 35: 7}


def day(offset):
    return (FIRST + timedelta(days=offset)).isoformat()


def shown(offset):
    return day_text(FIRST + timedelta(days=offset), "date_year")


def flat(text):
    """White space as single spaces (a table cell wraps inside its column)."""
    return re.sub(r"\s+", " ", text)


def squeezed(text):
    """No white space at all (pypdf spaces out CJK and emoji runs)."""
    return re.sub(r"[\s\x00]+", "", text)


def add_session(app, offset, **row):
    factories.add_session(app, day(offset), hour=10, **row)


def make_history(app):
    for offset, mood in MOODS.items():
        factories.insert(app, "checkins", day=day(offset), mood=mood)
    for offset, total in PHQ9.items():
        factories.add_assessment(app, "phq9", day(offset), total, item9=0)
    add_session(app, 0, dose_mg=35, mood_before=4, mood_after=7, dissociation=3)
    add_session(
        app,
        10,
        dose_mg=35,
        side_effects="nausea,other",
        side_effects_other=PRIVATE_OTHER,
        bp_before_systolic=120,
        bp_before_diastolic=80,
        reflection="PRIVATE-SESSION words",
        private=1,
    )
    add_session(app, 20, dose_mg=35)
    add_session(
        app,
        30,
        dose_mg=35,
        dose_mg_per_kg=0.5,
        mood_before=4,
        mood_after=7,
        dissociation=6,
        bp_before_systolic=128,
        bp_before_diastolic=82,
        bp_after_systolic=141,
        bp_after_diastolic=90,
        side_effects="nausea,headache,other",
        side_effects_other=ODD_WORDS,
    )


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The history above and its 90-day report (today's default), fetched once."""
    app = make_app(tmp_path_factory.mktemp("report-lift"))
    client = app.test_client()
    assert AuthActions(client).register().status_code == 302
    make_history(app)
    response = client.get("/export/report.pdf")
    assert response.status_code == 200
    return {"app": app, "client": client, "pages": pdf_pages(response.data)}


def test_first_page_says_how_long_the_lift_lasted(history):
    first = flat(history["pages"][0])
    assert (
        "How long the lift lasted After the last 4 sessions, mood stayed above the baseline "
        "for a median of 3 days, from 2 to 4; 1 lift was still going when the next session "
        "came. The mood before sessions has risen by about 0.6 "
        "points per session across the last 4 sessions." in first
    )


def test_first_page_gives_the_phq9_change_from_the_treatment_baseline(history):
    first = flat(history["pages"][0])
    assert (
        f"PHQ-9 change 16 → 7 from the treatment baseline, −56%; first response on {shown(25)}"
        in first
    )


def test_the_first_page_is_still_one_page(history):
    assert "Page 1 of" in history["pages"][0]
    assert "AFTERGLOW · REPORT FOR THE CARE TEAM" not in "".join(history["pages"][1:])
    assert "In this report:" in history["pages"][0]


def test_sessions_page_gives_each_sessions_lift_and_readings(history):
    text = flat("\n".join(history["pages"][1:]))
    section = text[text.index("Sessions # Date") : text.index("Window figures for each")]
    # #4: dose, mood before → after, dissociation, side effects; then its second line: blood
    # pressure before and after, day 1's change (9 - 7.0) and its lift (2 days, ended).
    row4 = section[section.index(f"#4 {shown(30)}") :]
    assert re.match(
        rf"#4 {shown(30)} Ketamine \(racemic\), IV infusion 35 mg \(0\.5 mg/kg\) 4 → 7 6 "
        r"Nausea, Headache, Schwindel",
        row4,
    )
    assert "Blood pressure before 128/82, after 141/90 · Day-1 change +2.0 · Lift 2 days" in row4
    assert "Nausea, Headache, Schwindel é Ω “quoted”" in row4
    # #1: +1.5 (7 - 5.5), lift 4 days. #2: before only, +2.5, 3 days. #3: +1.0, open at day 9.
    for number, offset, line in [
        (1, 0, "4 → 7 3 — Blood pressure — · Day-1 change +1.5 · Lift 4 days"),
        (
            2,
            10,
            "— — Nausea, Something else Blood pressure before 120/80, after — · Day-1 change "
            "+2.5 · Lift 3 days",
        ),
        (3, 20, "— — — Blood pressure — · Day-1 change +1.0 · Lift 9+ days (still going)"),
    ]:
        assert re.search(
            rf"#{number} {shown(offset)} Ketamine .*? 35 mg {re.escape(line)}", section
        )
    assert "Blood pressure in mmHg, before and after the dose." in section


@pytest.mark.skipif(
    set(report_layout.fallback_fonts()) != set(report_layout.FALLBACK_FONTS),
    reason="fonts-noto-cjk and fonts-noto-color-emoji are not installed (make test installs them)",
)
def test_odd_characters_in_side_effects_are_printed(history):
    """Chinese characters and an emoji typed under "something else" come out in the fallback
    fonts, none as a square."""
    text = "\n".join(history["pages"][1:])
    section = text[text.index("Side effects") : text.index("Window figures for each")]
    row4 = section[section.index(f"#4 {shown(30)}") :]
    assert squeezed(ODD_WORDS) in squeezed(row4)
    assert report_layout.PLACEHOLDER not in section


def test_a_private_sessions_words_stay_out(history):
    text = "\n".join(history["pages"])
    assert "PRIVATE" not in text
    with history["app"].app_context():
        data = reports.report_data(person(1), TODAY - timedelta(days=89), TODAY)
    assert "PRIVATE" not in repr(data)


def test_a_range_ending_earlier_reads_as_of_its_end(history):
    """Ending on day 25: sessions #1-#3 only. Lifts 4 and 3 ended (median 3.5, from 3 to 4),
    #3 open; levels before 5.5, 5.5, 7.0: slopes 0, 0.75, 1.5, median 0.75 ("0.8"); the
    latest PHQ-9 by then is 8: (8 - 16) / 16 = -50%."""
    query = f"start={day(-5)}&end={day(25)}&sections=sessions"
    numbered = pdf_pages(history["client"].get(f"/export/report.pdf?{query}").data)
    first = flat(numbered[0])
    assert (
        "After the last 3 sessions, mood stayed above the baseline for a median of 3.5 "
        "days, from 3 to 4; 1 lift was still going" in first
    )
    assert "has risen by about 0.8 points per session across the last 3 sessions." in first
    assert f"16 → 8 from the treatment baseline, −50%; first response on {shown(25)}" in first
    section = flat("\n".join(numbered[1:]))
    assert "#3" in section and "#4" not in section
    # #3's lift is the whole record's: it went on past the range's end, to day 9.
    assert "9+ days (still going)" in section


ZERO = re.compile(r"(?<![\d.])0(\.0)?\s*(%|days?\b)")


def test_no_sessions_reads_not_yet(app, client, patient):
    for offset in (3, 2, 1):
        factories.insert(app, "checkins", day=(TODAY - timedelta(days=offset)).isoformat(), mood=6)
    factories.add_assessment(app, "phq9", (TODAY - timedelta(days=2)).isoformat(), 12)
    text = flat("\n".join(pdf_pages(client.get("/export/report.pdf").data)))
    assert (
        "How long the lift lasted Not measured yet: it needs a session and check-ins on the "
        "days after it, and a few on the 3 days before it." in text
    )
    assert (
        "PHQ-9 change not yet: it needs a session, and a PHQ-9 on or before the first one" in text
    )
    assert "The mood before sessions" not in text  # no trend without sessions
    assert not ZERO.search(text), ZERO.search(text)


def test_no_baseline_reads_not_yet(app, client, patient):
    """A session with check-ins only after it: no baseline, no level before, so no reference
    and no lift; PHQ-9s only after it: no treatment baseline."""
    session_day = TODAY - timedelta(days=10)
    factories.add_session(app, session_day.isoformat(), hour=10, dose_mg=35)
    for offset in (1, 2, 3):
        factories.insert(
            app, "checkins", day=(session_day + timedelta(days=offset)).isoformat(), mood=8
        )
    for offset, total in ((2, 14), (8, 9)):
        factories.add_assessment(
            app, "phq9", (session_day + timedelta(days=offset)).isoformat(), total
        )
    text = flat("\n".join(pdf_pages(client.get("/export/report.pdf").data)))
    assert (
        "How long the lift lasted Not measured yet: it needs a session and check-ins on the "
        "days after it, and a few on the 3 days before it." in text
    )
    assert (
        "PHQ-9 change not yet: there is no treatment baseline (a PHQ-9 on or before the first "
        f"session, {day_text(session_day, 'date_year')})" in text
    )
    row = text[text.index(f"#1 {day_text(session_day, 'date_year')}") :]
    assert row.startswith(
        f"#1 {day_text(session_day, 'date_year')} Ketamine (racemic), IV infusion 35 mg — — — "
        "Blood pressure — · Day-1 change — · Lift —"
    )
    assert "the mean mood of the 3 days before the session (no baseline is established)" in text
    assert not ZERO.search(text), ZERO.search(text)


def test_a_baseline_without_a_later_phq9_reads_not_yet(app, client, patient):
    session_day = TODAY - timedelta(days=10)
    factories.add_session(app, session_day.isoformat(), hour=10)
    factories.add_assessment(app, "phq9", (session_day - timedelta(days=1)).isoformat(), 16)
    text = flat(pdf_pages(client.get("/export/report.pdf?sections=").data)[0])
    assert "PHQ-9 change not yet: no PHQ-9 since the treatment baseline of 16" in text
    assert not ZERO.search(text), ZERO.search(text)


def test_a_lift_open_at_the_42_day_cap_reads_so_in_both_reports(app, client, patient):
    """Sessions 100, 50 and 5 days ago, baseline 5.0 (5, 5, 5 before the first). #1: day 1
    6, day 2 5: 1 day. #2: days 1..42 at 7, then 3 on day 43, before #3 on day 45: open only
    because the 42 days are over. #3: day 1 5: 0 days. Median of 1 and 0: 0.5."""
    first = TODAY - timedelta(days=100)
    moods = {-10: 5, -7: 5, -2: 5, 1: 6, 2: 5, **{50 + n: 7 for n in range(1, 43)}, 93: 3, 96: 5}
    for offset, mood in moods.items():
        factories.insert(
            app, "checkins", day=(first + timedelta(days=offset)).isoformat(), mood=mood
        )
    for offset in (0, 50, 95):
        factories.add_session(app, (first + timedelta(days=offset)).isoformat(), hour=10)
    doc = factories.therapist(app)
    code = invite_code(doc)
    assert client.post("/settings/therapist", data={"invite_code": code}).status_code == 302
    # The patient registered first: id 1, whose rows the factories write.
    for response in (client.get("/export/report.pdf"), doc.get("/caseload/1/report.pdf")):
        text = flat(pdf_pages(response.data)[0])
        assert (
            "How long the lift lasted After the last 3 sessions, mood stayed above the baseline "
            "for a median of 0.5 days, from 0 to 1; 1 lift was still going on day 42, the last "
            "day counted." in text
        )
        assert "when the next session came" not in text


SETTINGS = {"window_days": "7", "clinic_phone": ""}


def log_a_session_then_move_west(app, client, auth):
    """NOW is 12:00 UTC: 02:00 tomorrow in Kiritimati, 04:00 today in Los Angeles (05:00 in
    summer). #1 20 days ago (baseline 5.0 from 5, 5, 5 before it; 7 on each of its days
    1..20: open, cut by #2); #2 logged at 00:30 on Kiritimati's today (10:30 UTC, so it has
    taken place), dated tomorrow; then the patient sets Los Angeles. Returns #2's date."""
    assert auth.register(timezone=DAY_AHEAD).status_code == 302
    first = TODAY - timedelta(days=20)
    for offset, mood in [(-5, 5), (-3, 5), (-1, 5), *[(n, 7) for n in range(1, 21)]]:
        factories.insert(
            app, "checkins", day=(first + timedelta(days=offset)).isoformat(), mood=mood
        )
    factories.add_session(app, first.isoformat(), hour=10)
    tomorrow = TODAY + timedelta(days=1)
    factories.session(client, tomorrow.isoformat(), started_at=f"{tomorrow.isoformat()}T00:30")
    west = {**SETTINGS, "timezone": "America/Los_Angeles"}
    assert client.post("/settings", data=west).status_code == 302
    return tomorrow


def test_a_session_logged_before_a_move_west_is_in_both_reports(app, client, auth):
    second = log_a_session_then_move_west(app, client, auth)
    doc = factories.therapist(app)
    code = invite_code(doc)
    assert client.post("/settings/therapist", data={"invite_code": code}).status_code == 302
    # The patient registered first: id 1.
    for response in (client.get("/export/report.pdf"), doc.get("/caseload/1/report.pdf")):
        # The default range ends on #2's date, the day after Los Angeles' today.
        assert f"-{second.isoformat()}.pdf" in response.headers["Content-Disposition"]
        text = flat("\n".join(pdf_pages(response.data)))
        assert (
            "How long the lift lasted After 1 of the 2 sessions, mood stayed above the baseline "
            "on every day checked: the lift was still going when the next session came." in text
        )
        assert "After the last session" not in text
        assert f"#2 {day_text(second, 'date_year')} Ketamine (racemic), IV infusion" in text
    # A range may end on that day, not after it.
    start = (TODAY - timedelta(days=30)).isoformat()
    assert client.get(f"/export/report.pdf?start={start}&end={second}").status_code == 200
    later = (second + timedelta(days=1)).isoformat()
    assert client.get(f"/export/report.pdf?start={start}&end={later}").status_code == 400


def test_a_check_up_taken_before_a_move_west_is_in_the_report_with_its_flag(app, client, auth):
    # NOW is 12:00 UTC: 02:00 tomorrow in Kiritimati. A PHQ-9 taken then is dated tomorrow;
    # after a move to Los Angeles it is still a day the patient has lived: the report's range
    # ends on it, so its score and its item 9 flag are in, as summary.json and the caseload
    # already count them.
    assert auth.register(timezone=DAY_AHEAD).status_code == 302
    first = TODAY - timedelta(days=20)
    factories.take(client, "phq9", (first - timedelta(days=1)).isoformat(), [2] * 8 + [0])
    factories.add_session(app, first.isoformat(), hour=10)
    tomorrow = TODAY + timedelta(days=1)
    factories.take(client, "phq9", tomorrow.isoformat(), [1, 1, 1, 1, 1, 0, 0, 0, 2])  # 7
    assert client.post("/settings", data={**SETTINGS, "timezone": "America/Los_Angeles"})
    response = client.get("/export/report.pdf")
    assert f"-{tomorrow.isoformat()}.pdf" in response.headers["Content-Disposition"]
    text = flat("\n".join(pdf_pages(response.data)))
    assert "no PHQ-9 since the treatment baseline" not in text
    assert "PHQ-9 item 9 answered 2 of 3" in text
    assert "No days flagged in this range" not in text
    start = (TODAY - timedelta(days=30)).isoformat()
    assert client.get(f"/export/report.pdf?start={start}&end={tomorrow}").status_code == 200
    # The progress page's check-up chart ends there too.
    assert "latest 7 (mild)" in client.get("/progress").text


def test_a_session_still_to_come_never_lengthens_the_report(app, client, patient):
    # Dated tomorrow and starting at 10:00 UTC tomorrow (the form refuses it; stored anyway):
    # not a day the patient has lived, so the report still ends today.
    factories.add_session(app, (TODAY + timedelta(days=1)).isoformat(), hour=10)
    response = client.get("/export/report.pdf")
    assert f"-{TODAY.isoformat()}.pdf" in response.headers["Content-Disposition"]
    start = (TODAY - timedelta(days=30)).isoformat()
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert client.get(f"/export/report.pdf?start={start}&end={tomorrow}").status_code == 400


def test_page_1_stays_one_page_with_every_row_and_many_flags(history):
    """A full page 1: the lift, the trend, the PHQ-9 change and twenty flagged days with
    three reasons each (two lines a day). Page 1 shows the latest that fit, at least one,
    and says how many more there are and where."""
    with history["app"].app_context():
        data = reports.report_data(person(1), TODAY - timedelta(days=89), TODAY)
    data["name"] = "Alexandra Wéber-Montgomery"
    reasons = "thoughts of self-harm reported; PHQ-9 item 9 answered 3 of 3; mood 0 of 10 after"
    data["flags"] = [
        {"day": (TODAY - timedelta(days=n)).isoformat(), "reasons": reasons.split("; ")}
        for n in range(20, 0, -1)
    ]
    numbered = pdf_pages(report_pages.build_pdf(data, ("flags",)))
    first = flat(numbered[0])
    assert "Page 1 of" in first
    assert "How long the lift lasted" in first and "PHQ-9 change" in first
    assert "20 days flagged in this range." in first
    flags = first[first.index("Safety flags") :]
    # Whole dates: "3 Mar 2027" is also inside "13 Mar 2027" (this failed on 14 March).
    dates = re.findall(r"\d{1,2} \w{3} \d{4}", flags)
    shown = [n for n in range(1, 21) if day_text(TODAY - timedelta(days=n), "date_year") in dates]
    assert shown and shown == list(range(1, len(shown) + 1))  # the latest ones
    earlier = 20 - len(shown)
    assert f"The {earlier} earlier flagged days are under Flagged days." in first
    assert first.endswith(f"In this report: Flagged days. {report_pages.FOOTER} Page 1 of 3")
    assert "Safety flags" not in "".join(numbered[1:])
