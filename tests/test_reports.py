import json
import logging
import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from conftest import AuthActions, make_app
from pypdf import PdfReader

from journal import reports
from journal.db import get_db
from journal.sharing import person

TODAY = datetime.now(UTC).date()  # the patients here live in UTC
SESSION_DAY = TODAY - timedelta(days=20)
START = TODAY - timedelta(days=29)
RANGE = f"start={START.isoformat()}&end={TODAY.isoformat()}"
STAMP = "2026-01-01T00:00:00+00:00"


def day(offset):
    """A date relative to the first session, as text."""
    return (SESSION_DAY + timedelta(days=offset)).isoformat()


def short(offset):
    """A date relative to the first session as the report prints it ("3 Mar 2026")."""
    return reports.day_text(SESSION_DAY + timedelta(days=offset))


def add(app, table, user_id=1, **row):
    stamps = (
        {"created_at": STAMP}
        if table == "assessments"
        else {"created_at": STAMP, "updated_at": STAMP}
    )
    with app.app_context():
        get_db()[table].insert({"user_id": user_id, **stamps, **row})


def add_session(app, offset, user_id=1, **row):
    add(
        app,
        "sessions",
        user_id,
        started_at=f"{day(offset)}T10:00:00+00:00",
        day=day(offset),
        **{"product": "ketamine", "route": "iv", **row},
    )


def pages(pdf_bytes):
    """The text of each page."""
    return [page.extract_text() for page in PdfReader(BytesIO(pdf_bytes)).pages]


def image_count(pdf_bytes):
    return sum(len(page.images) for page in PdfReader(BytesIO(pdf_bytes)).pages)


SHARED_WORDS = "Grüße vom See, naïve café, Ω and ß"
PRIVATE = ("PRIVATE-CHECKIN thoughts", "PRIVATE-SESSION trip", "PRIVATE-PROMPT answer")


def make_course(app):
    """Patient 1 ("Sam R." on reports), with hand-computable figures, and a second person.

    Baseline moods 4, 5, 6 (5.0); session #1 on day 0; window moods 7 and 8 on days 1 and 2;
    a mood of 2 on day 9 and a self-harm answer on day 10; session #2 on day 12 with nothing
    after it; PHQ-9 16 then 7 (item 9 answered 1); GAD-7 11.
    """
    with app.app_context():
        get_db().execute("update users set report_name = 'Sam R.' where id = 1")
        get_db().conn.commit()
    for offset, mood in [(-5, 4), (-3, 5), (-1, 6)]:
        add(app, "checkins", day=day(offset), mood=mood)
    add(app, "checkins", day=day(1), mood=7, reflection=SHARED_WORDS)
    add(app, "checkins", day=day(2), mood=8, reflection=PRIVATE[0], private=1)
    add(app, "checkins", day=day(9), mood=2, reflection="A heavy day, said so.")
    add(app, "checkins", day=day(10), mood=6, self_harm=1)
    add_session(
        app,
        0,
        dose_mg=35,
        mood_before=4,
        mood_after=7,
        dissociation=6,
        side_effects="nausea,headache",
        reflection="Shared session: I saw the sea.",
        prompts=json.dumps({"stood_out": "The colour of the water."}),
    )
    add_session(
        app,
        12,
        product="esketamine",
        route="intranasal",
        dose_mg=56,
        reflection=PRIVATE[1],
        prompts=json.dumps({"carry": PRIVATE[2]}),
        private=1,
    )
    add(app, "assessments", kind="phq9", day=day(-1), answers="[]", total=16, item9=0)
    add(app, "assessments", kind="phq9", day=day(6), answers="[]", total=7, item9=1)
    add(app, "assessments", kind="gad7", day=day(6), answers="[]", total=11)
    # Someone else, with words, a session, scores and a flag of their own.
    with app.app_context():
        get_db()["users"].insert(
            {
                "email": "other@example.com",
                "password_hash": "-",
                "display_name": "Other Person",
                "timezone": "UTC",
                "created_at": STAMP,
            }
        )
    add(app, "checkins", 2, day=day(1), mood=1, self_harm=1, reflection="OTHER-PERSON words")
    add_session(app, 3, 2, dose_mg=84, reflection="OTHER-PERSON trip")
    add(app, "assessments", 2, kind="phq9", day=day(3), answers="[]", total=27, item9=3)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course above and the full report of its last 30 days, fetched once for many tests."""
    app = make_app(tmp_path_factory.mktemp("reports"))
    client = app.test_client()
    assert AuthActions(client).register().status_code == 302
    make_course(app)
    response = client.get(f"/export/report.pdf?{RANGE}")
    return {"app": app, "client": client, "response": response, "pages": pages(response.data)}


@pytest.fixture(scope="module")
def text(course):
    return "\n".join(course["pages"])


def test_download_headers(course):
    response = course["response"]
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="afterglow-report-{START.isoformat()}-{TODAY.isoformat()}.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store"


def test_first_page_reads_in_a_minute(course):
    first = course["pages"][0]
    assert "Sam R." in first
    assert f"{reports.day_text(START)} to {reports.day_text(TODAY)} (30 days)" in first
    assert "Sessions in this range 2 (of 2 recorded)" in first
    assert f"First and last {short(0)} and {short(12)}" in first
    assert "Ketamine (racemic), IV infusion; Esketamine (Spravato), Intranasal spray" in first
    assert "days 1–7 after each session" in first
    assert "Baseline mood 5.0 of 10" in first
    # The last 7 days of the range hold no check-in (the last is on day 10 = today - 10).
    assert "no check-ins in the last 7 days of this range" in first
    assert f"7 (mild) on {short(6)}; baseline 16 (moderately severe)" in first
    assert f"11 (moderate) on {short(6)}" in first
    assert "Response: 7 is at most half of 16" in first
    assert "3 days flagged in this range." in first
    assert f"{short(6)} PHQ-9 item 9 answered 1 of 3" in first
    assert f"{short(9)} mood 2 of 10" in first
    assert f"{short(10)} thoughts of self-harm reported" in first
    assert reports.NO_DATA not in first


def test_session_rows(text):
    assert re.search(rf"#1 {short(0)} Ketamine \(racemic\), IV\s+infusion\s+35 mg 4 → 7 6", text)
    assert "Nausea, Headache" in text
    assert re.search(rf"#2 {short(12)} Esketamine\s+\(Spravato\),\s+Intranasal spray\s+56 mg", text)


def test_window_figures(text):
    # pre-level (5 + 6) / 2; window mean (7 + 8) / 2; change 7.5 - 5.0; peak 8 - 5 on day 2.
    assert re.search(rf"#1 {short(0)} 5\.5 7\.5 \+2\.5 \+3\.0 on day 2 2 of 2 2", text)
    # Nothing after session #2: its figures are dashes, never 0 or NaN.
    assert re.search(rf"#2 {short(12)} 4\.0 — — — — 0", text)
    assert "nan" not in text.lower()


def test_flagged_days_section(text):
    section = text[text.index("Flagged days\nDate Why") :]
    for offset, reason in [
        (6, "PHQ-9 item 9 answered 1 of 3"),
        (9, "mood 2 of 10"),
        (10, "thoughts of self-harm reported"),
    ]:
        long_day = reports.long_day(SESSION_DAY + timedelta(days=offset))
        assert f"{long_day} {reason}" in section


def test_shared_reflections_in_date_order(text):
    section = text[text.index("Reflections shared by Sam R.") :]
    expected = [
        f"{reports.long_day(SESSION_DAY)} · session\nShared session: I saw the sea.",
        "What stood out most?\nThe colour of the water.",
        f"{reports.long_day(SESSION_DAY + timedelta(days=1))} · check-in\n{SHARED_WORDS}",
        f"{reports.long_day(SESSION_DAY + timedelta(days=9))} · check-in\nA heavy day, said so.",
    ]
    positions = [section.index(item) for item in expected]
    assert positions == sorted(positions)
    for letters in ("é", "ß", "Ω", "Grüße"):
        assert letters in section


def test_private_reflections_never_appear(course, text):
    for words in PRIVATE:
        assert words not in text
    assert "PRIVATE" not in text
    # Not even in the data the document is drawn from.
    with course["app"].app_context():
        data = reports.report_data(person(1), START, TODAY)
    assert "PRIVATE" not in json.dumps(data, default=str)


def test_another_persons_data_never_appears(text):
    assert "OTHER-PERSON" not in text
    assert "Other Person" not in text
    assert "84 mg" not in text
    assert short(3) not in text  # their session and PHQ-9 day
    assert "answered 3 of 3" not in text


def test_footer_and_page_numbers_on_every_page(course):
    numbered = course["pages"]
    assert len(numbered) > 1
    for number, page in enumerate(numbered, start=1):
        assert reports.FOOTER in page
        assert f"Page {number} of {len(numbered)}" in page


def test_charts_are_embedded_only_when_chosen(course):
    client = course["client"]
    with_charts = client.get(f"/export/report.pdf?{RANGE}&sections=charts")
    without = client.get(f"/export/report.pdf?{RANGE}&sections=sessions&sections=flags")
    assert image_count(course["response"].data) == 3
    assert image_count(with_charts.data) == 3
    assert image_count(without.data) == 0
    text = "\n".join(pages(without.data))
    assert "Mood over time" not in text
    assert "Flagged days" in text
    assert "Reflections shared by" not in text
    assert SHARED_WORDS not in text


def test_summary_page_alone(course):
    # The form sends an empty "sections" value, so unticking every box means "none".
    response = course["client"].get(f"/export/report.pdf?{RANGE}&sections=")
    numbered = pages(response.data)
    assert len(numbered) == 1
    assert "In this report: this summary only." in numbered[0]
    assert "Sam R." in numbered[0]


def test_no_data_in_range_still_renders(client, patient):
    response = client.get("/export/report.pdf?start=2020-01-01&end=2020-01-31")
    assert response.status_code == 200
    first = pages(response.data)[0]
    assert reports.NO_DATA in first
    assert "No days flagged in this range." in first
    assert "Baseline mood not established" in first
    assert "Patient" in first  # no name or pseudonym chosen


def test_default_range_is_the_last_90_days(client, patient):
    response = client.get("/export/report.pdf?sections=")
    start = TODAY - timedelta(days=89)
    assert response.status_code == 200
    assert (
        f"afterglow-report-{start.isoformat()}-{TODAY.isoformat()}.pdf"
        in (response.headers["Content-Disposition"])
    )
    assert (
        f"{reports.day_text(start)} to {reports.day_text(TODAY)} (90 days)"
        in pages(response.data)[0]
    )


def test_form_shows_the_defaults(client, patient):
    response = client.get("/export/report")
    assert response.status_code == 200
    assert 'action="/export/report.pdf"' in response.text
    assert f'value="{(TODAY - timedelta(days=89)).isoformat()}"' in response.text
    assert f'value="{TODAY.isoformat()}"' in response.text
    for section in reports.SECTIONS:
        assert re.search(rf'<input checked[^>]*value="{section}"', response.text)


@pytest.mark.parametrize(
    ("query", "kept", "message"),
    [
        ("start=2026-13-01", "2026-13-01", "Enter a date as YYYY-MM-DD"),
        ("start=last+week", "last week", "Enter a date as YYYY-MM-DD"),
        ("start=1900-01-01", "1900-01-01", "That date is too far back"),
        (
            f"start={TODAY.isoformat()}&end={(TODAY - timedelta(days=1)).isoformat()}",
            (TODAY - timedelta(days=1)).isoformat(),
            "This is before the start",
        ),
        (
            f"end={(TODAY + timedelta(days=1)).isoformat()}",
            (TODAY + timedelta(days=1)).isoformat(),
            "A report can end today at the latest",
        ),
        ("sections=charts&sections=everything", "everything", "Choose sections from the list"),
        ("end=2026-02-30", "2026-02-30", "Enter a date as YYYY-MM-DD"),
        ("end=%E2%80%8B", "\u200b", "Enter a date as YYYY-MM-DD"),  # a zero-width space
        (
            f"start={(TODAY + timedelta(days=3)).isoformat()}",
            (TODAY + timedelta(days=3)).isoformat(),
            "A report can start today at the latest",
        ),
    ],
)
def test_bad_input_shows_the_form(client, patient, query, kept, message):
    response = client.get(f"/export/report.pdf?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert 'action="/export/report.pdf"' in response.text
    assert 'class="error"' in response.text
    assert message in response.text
    if kept == "everything":
        assert re.search(r'<input checked[^>]*value="charts"', response.text)
    else:
        assert f'value="{kept}"' in response.text
    assert "Content-Disposition" not in response.headers


@pytest.mark.parametrize("path", ["/export/report", "/export/report.pdf"])
def test_login_required(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")


def test_long_report_wraps_and_paginates(app, client, patient):
    unbroken = "x" * 1500
    for n in range(30):
        words = f"Entry {n}: " + "a few ordinary words about the day, " * 25
        add(app, "checkins", day=(TODAY - timedelta(days=n)).isoformat(), mood=5, reflection=words)
    add(
        app,
        "checkins",
        day=(TODAY - timedelta(days=40)).isoformat(),
        mood=5,
        reflection=f"before {unbroken} after",
    )
    response = client.get("/export/report.pdf?sections=reflections")
    numbered = pages(response.data)
    assert len(numbered) > 3
    for number, page in enumerate(numbered, start=1):
        assert reports.FOOTER in page
        assert f"Page {number} of {len(numbered)}" in page
    text = "\n".join(numbered)
    for n in range(30):
        assert f"Entry {n}:" in text
    # The unbroken word is cut into lines (perhaps across a page), every character kept.
    cut = re.search(r"before\s+(x.*?)\s+after", text, re.DOTALL)
    runs = re.findall("x+", cut.group(1))
    assert len(runs) > 5
    assert sum(len(run) for run in runs) == len(unbroken)


def test_wrapped_lines_fit_their_column():
    text = "short words then " + "Ω" * 400 + " and a\n\nnew paragraph"
    with reports.ReportDocument("test") as pdf:
        pdf.add_page()
        pdf.set_font(reports.FONT, "", 10)
        lines = pdf.wrap(text, 50)
        assert all(pdf.text_width(line) <= 50 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    assert "" in lines  # the blank line between paragraphs is kept


needs_fallback_fonts = pytest.mark.skipif(
    set(reports.fallback_fonts()) != set(reports.FALLBACK_FONTS),
    reason="fonts-noto-cjk and fonts-noto-color-emoji are not installed (make test installs them)",
)


@pytest.fixture
def without_fallback_fonts(monkeypatch):
    """A server without Debian's CJK and emoji fonts."""
    monkeypatch.setattr(reports, "FALLBACK_FONTS", {"cjk": {"": "/nonexistent/font.ttc"}})
    reports.fallback_fonts.cache_clear()
    reports._fallback_covered.cache_clear()
    yield
    monkeypatch.undo()
    reports.fallback_fonts.cache_clear()
    reports._fallback_covered.cache_clear()


@needs_fallback_fonts
@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("plain words", "plain words"),
        ("é ß Ω — “quoted” → ✓", "é ß Ω — “quoted” → ✓"),
        ("日本語, 中文, 한국어", "日本語, 中文, 한국어"),
        ("ok 👍🏽!", "ok 👍!"),  # no shaping to apply the skin tone: the plain emoji
        ("keycap 1\ufe0f\u20e3", "keycap 1\ufe0f"),  # the enclosing keycap is dropped
        ("hieroglyph \U00013000 and \U0010fffd", "hieroglyph □ and □"),  # in no font here
        ("a\tb\r\nc", "a    b\nc"),
        ("\u304b\u3099 e\u0301", "\u304c \u00e9"),  # decomposed が and é, composed
        ("\ufa19 \u795e", "\ufa19 \u795e"),  # a compatibility ideograph stays itself
    ],
)
def test_printable(text, printed):
    assert reports.printable(text) == printed


@pytest.mark.parametrize(
    ("text", "printed"),
    [("日本語", "□□□"), ("ok 👍🏽!", "ok □!"), ("é ß Ω", "é ß Ω")],
)
def test_printable_without_the_fallback_fonts(without_fallback_fonts, text, printed):
    assert reports.printable(text) == printed


def extracted(pdf_bytes):
    """All the text of a PDF without white space (pypdf spaces out CJK runs with blanks or
    NULs, as it reads the CFF fonts)."""
    return re.sub(r"[\s\x00]+", "", "".join(pages(pdf_bytes)))


@needs_fallback_fonts
def test_chinese_japanese_korean_and_emoji_are_printed(app, client, patient, caplog):
    with app.app_context():
        get_db().execute("update users set report_name = '山田 🌸' where id = 1")
        get_db().conn.commit()
    words = "今日は良い日 👍🏽 오늘은 좋은 날 今天很好 but é ß Ω\nplain words after"
    add(app, "checkins", day=TODAY.isoformat(), mood=6, reflection=words)
    longer = "一日中、静かに過ごした。" * 300  # runs onto further pages
    add(app, "checkins", day=(TODAY - timedelta(days=1)).isoformat(), mood=5, reflection=longer)
    with caplog.at_level(logging.WARNING):
        response = client.get("/export/report.pdf?sections=reflections")
    assert response.status_code == 200
    text = extracted(response.data)
    assert "今日は良い日👍오늘은좋은날今天很好butéßΩ" in text
    # A line in DejaVu after a line that needed the fallback fonts is printed in DejaVu.
    assert "plainwordsafter" in text
    assert "Reflectionssharedby山田🌸" in text
    assert text.count("静") == 300 and text.count("。") == 300  # all of it, across pages
    later = [re.sub(r"[\s\x00]+", "", page) for page in pages(response.data)[1:]]
    assert later and all(page.startswith("Afterglowreport·山田🌸·") for page in later)
    assert "□" not in text  # and so no note about squares
    fonts = {
        font["/BaseFont"] if "/BaseFont" in font else font["/Subtype"]
        for page in PdfReader(BytesIO(response.data)).pages
        for font in page["/Resources"]["/Font"].values()
        for font in [font.get_object()]
    }
    assert any("NotoSansCJK" in name for name in fonts)  # CJK in Noto Sans CJK
    assert any("NotoSansCJK" in name and "Bold" in name for name in fonts)  # the heading
    assert "/Type3" in fonts  # the colour emoji
    assert not [r for r in caplog.records if "missing" in r.getMessage()]


def test_a_report_without_cjk_or_emoji_embeds_only_dejavu(app, client, patient):
    add(app, "checkins", day=TODAY.isoformat(), mood=6, reflection="é ß Ω — “quoted” → ✓")
    response = client.get("/export/report.pdf?sections=reflections")
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in PdfReader(BytesIO(response.data)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert {name.split("+")[1] for name in fonts} == {"DejaVuSansBook", "DejaVuSansBold"}


def test_characters_no_font_has_are_squares_with_a_note(
    app, client, patient, without_fallback_fonts, caplog
):
    add(app, "checkins", day=TODAY.isoformat(), mood=6, reflection="今日は良い日 👍🏽 but é ß Ω")
    with caplog.at_level(logging.WARNING):
        response = client.get("/export/report.pdf?sections=reflections")
    assert response.status_code == 200
    text = "\n".join(pages(response.data))
    assert "□□□□□□ □ but é ß Ω" in text
    assert "□ marks a character this report's fonts cannot show" in text
    assert not [r for r in caplog.records if "missing" in r.getMessage()]


@needs_fallback_fonts
@pytest.mark.parametrize("width", [43, 50, 60])  # each puts a 「 or a small kana at a break
def test_cjk_text_breaks_between_characters_and_fills_its_lines(width):
    text = "Today " + "今日は先生と話して「ちょっと楽になった」と言った。" * 8
    with reports.ReportDocument("test") as pdf:
        pdf.add_page()
        pdf.set_font(reports.FONT, "", 10)
        lines = pdf.wrap(reports.printable(text), width)
        widths = [pdf.text_width(line) for line in lines]
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(used <= width for used in widths)
    # No line ends early for want of a space (some end a few characters short: the rules below
    # keep 「ちょっ together, say).
    assert all(used > 0.7 * width for used in widths[:-1])
    assert lines[0].startswith("Today 今日")  # the CJK run starts on the first line
    assert not any(line[0] in reports.NO_LINE_START for line in lines)  # 」、。っょ
    assert not any(line[-1] in reports.NO_LINE_END for line in lines)  # 「


def test_report_pdf_is_the_public_entry_point(app, patient):
    add(app, "checkins", day=TODAY.isoformat(), mood=6, reflection="through report_pdf")
    with app.app_context():
        who = person(1)
        start, end = reports.default_range(who)
        pdf = reports.report_pdf(who, start, end, ("reflections",))
    assert (start, end) == (TODAY - timedelta(days=89), TODAY)
    assert "through report_pdf" in "\n".join(pages(pdf))
    assert image_count(pdf) == 0


def test_build_pdf_needs_no_app(course):
    with course["app"].app_context():
        data = reports.report_data(person(1), START, TODAY)
    # Outside any application context: drawing is pure.
    first = pages(reports.build_pdf(data, ()))[0]
    assert "Sam R." in first


def test_a_long_name_wraps_and_the_running_head_is_cut_short(course):
    with course["app"].app_context():
        data = reports.report_data(person(1), START, TODAY)
    data["name"] = "Wéber " * 40
    numbered = pages(reports.build_pdf(data, ("flags",)))
    first_lines = numbered[0].splitlines()
    assert sum("Wéber" in line for line in first_lines[:8]) >= 2  # wrapped over lines
    head = numbered[1].splitlines()[0]
    assert head.startswith("Afterglow report · Wéber Wéber")
    assert head.endswith("…")
