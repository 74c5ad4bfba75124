import json
import logging
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import BytesIO

import factories
import pytest
from conftest import AuthActions, make_app, pdf_pages, refused_after
from factories import TODAY
from fpdf import FPDF
from pypdf import PdfReader

from journal import reports
from journal.access import person
from journal.db import get_db
from journal.reports import layout as report_layout
from journal.reports import pages as report_pages
from journal.timezones import day_text

SESSION_DAY = TODAY - timedelta(days=20)
START = TODAY - timedelta(days=29)
RANGE = f"start={START.isoformat()}&end={TODAY.isoformat()}"
STAMP = "2026-01-01T00:00:00+00:00"


def day(offset):
    """A date relative to the first session, as text."""
    return (SESSION_DAY + timedelta(days=offset)).isoformat()


def short(offset):
    """A date relative to the first session as the report prints it ("3 Mar 2026")."""
    return day_text(SESSION_DAY + timedelta(days=offset), "date_year")


def add(app, table, user_id=1, **row):
    factories.insert(app, table, user_id, STAMP, **row)


def add_session(app, offset, user_id=1, **row):
    factories.add_session(app, day(offset), user_id, hour=10, stamp=STAMP, **row)


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
    return {"app": app, "client": client, "response": response, "pages": pdf_pages(response.data)}


@pytest.fixture(scope="module")
def text(course):
    return "\n".join(course["pages"])


@pytest.mark.subprocess
def test_a_worker_loads_fpdf2_with_its_first_report_not_as_it_starts(tmp_path):
    # fpdf2 brings some 240 modules (matplotlib loads fontTools anyway): 19 MB of each
    # worker, most of which never print a report. Every report printed here tests that it
    # loads when one is.
    script = f"""
import sys
from journal import create_app
app = create_app({{"DATABASE": {str(tmp_path / "start.sqlite3")!r}, "SECRET_KEY": "start"}})
with app.test_client() as client:
    assert client.get("/healthz").status_code == 200
    assert client.get("/auth/login").status_code == 200
print(sorted(name for name in sys.modules if name.split(".")[0] == "fpdf"))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


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
    assert f"{day_text(START, 'date_year')} to {day_text(TODAY, 'date_year')} (30 days)" in first
    assert "Sessions in this range 2 (of 2 recorded)" in first
    assert f"First and last {short(0)} and {short(12)}" in first
    assert "Ketamine (racemic), IV infusion; Esketamine (Spravato), Intranasal spray" in first
    assert "days 1–7 after each session" in first
    assert "Baseline mood 5.0 of 10" in first
    # The last 7 days of the range hold no check-in (the last is on day 10 = today - 10).
    assert "no check-ins in the last 7 days of this range" in first
    assert f"7 (mild) on {short(6)}; baseline 16 (moderately severe)" in first
    assert f"11 (moderate) on {short(6)}" in first
    assert "Response (latest 7 is at most half the baseline of 16)" in first
    assert "3 days flagged in this range." in first
    assert f"{short(6)} PHQ-9 item 9 answered 1 of 3" in first
    assert f"{short(9)} mood 2 of 10" in first
    assert f"{short(10)} thoughts of self-harm reported" in first
    assert report_pages.NO_DATA not in first


def test_session_rows(text):
    assert re.search(rf"#1 {short(0)} Ketamine \(racemic\), IV\s+infusion\s+35 mg 4 → 7 6", text)
    assert "Nausea, Headache" in text
    assert re.search(rf"#2 {short(12)} Esketamine\s+\(Spravato\),\s+Intranasal spray\s+56 mg", text)


def test_window_figures(text):
    # pre-level (5 + 6) / 2; window mean (7 + 8) / 2; change 7.5 - 5.0; peak 8 - 5 on day 2.
    # Both windows had their full days 1-7 (#2 came 12 days after #1).
    assert re.search(rf"#1 {short(0)} days 1–7 5\.5 7\.5 \+2\.5 \+3\.0 on day 2 2 of 2 2", text)
    # Nothing after session #2: its figures are dashes, never 0 or NaN.
    assert re.search(rf"#2 {short(12)} days 1–7 4\.0 — — — — 0", text)
    assert "nan" not in text.lower()


def test_flagged_days_section(text):
    section = text[text.index("Flagged days\nDate Why") :]
    for offset, reason in [
        (6, "PHQ-9 item 9 answered 1 of 3"),
        (9, "mood 2 of 10"),
        (10, "thoughts of self-harm reported"),
    ]:
        long_day = day_text(SESSION_DAY + timedelta(days=offset), "short_year")
        assert f"{long_day} {reason}" in section


def test_shared_reflections_in_date_order(text):
    section = text[text.index("Reflections shared by Sam R.") :]
    expected = [
        f"{day_text(SESSION_DAY, 'short_year')} · session\nShared session: I saw the sea.",
        "What stood out most?\nThe colour of the water.",
        f"{day_text(SESSION_DAY + timedelta(days=1), 'short_year')} · check-in\n{SHARED_WORDS}",
        f"{day_text(SESSION_DAY + timedelta(days=9), 'short_year')} · check-in\n"
        "A heavy day, said so.",
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
        assert report_pages.FOOTER in page
        assert f"Page {number} of {len(numbered)}" in page


def test_charts_are_embedded_only_when_chosen(course):
    client = course["client"]
    with_charts = client.get(f"/export/report.pdf?{RANGE}&sections=charts")
    without = client.get(f"/export/report.pdf?{RANGE}&sections=sessions&sections=flags")
    assert image_count(course["response"].data) == 3
    assert image_count(with_charts.data) == 3
    assert image_count(without.data) == 0
    text = "\n".join(pdf_pages(without.data))
    assert "Mood over time" not in text
    assert "Flagged days" in text
    assert "Reflections shared by" not in text
    assert SHARED_WORDS not in text


def test_summary_page_alone(course):
    # The form sends an empty "sections" value, so unticking every box means "none".
    response = course["client"].get(f"/export/report.pdf?{RANGE}&sections=")
    numbered = pdf_pages(response.data)
    assert len(numbered) == 1
    assert "In this report: this summary only." in numbered[0]
    assert "Sam R." in numbered[0]


def test_no_data_in_range_still_renders(client, patient):
    response = client.get("/export/report.pdf?start=2020-01-01&end=2020-01-31")
    assert response.status_code == 200
    first = pdf_pages(response.data)[0]
    assert report_pages.NO_DATA in first
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
        f"{day_text(start, 'date_year')} to {day_text(TODAY, 'date_year')} (90 days)"
        in pdf_pages(response.data)[0]
    )


def test_form_shows_the_defaults(client, patient):
    response = client.get("/export/report")
    assert response.status_code == 200
    assert 'action="/export/report.pdf"' in response.text
    assert f'value="{(TODAY - timedelta(days=89)).isoformat()}"' in response.text
    assert f'value="{TODAY.isoformat()}"' in response.text
    for section in reports.SECTIONS:
        assert re.search(rf'<input checked[^>]*value="{section}"', response.text)


def test_a_range_given_by_its_end_alone_is_the_default_length_ending_there(client, patient):
    # Not the last 90 days: a bookmark of last spring's report by its end date was refused
    # as "before the start".
    from journal.timezones import day_text

    end = TODAY - timedelta(days=200)
    first = first_page(client, f"end={end.isoformat()}&sections=")
    start = end - timedelta(days=89)
    assert f"{day_text(start, 'date_year')} to {day_text(end, 'date_year')} (90 days)" in first


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
        # An end alone in the first days of year 1: the default range ending there would
        # start before the first day a date can name (a 500 before).
        ("end=0001-01-05", "0001-01-05", "That date is too far back"),
        ("end=0001-01-01&start=", "0001-01-01", "That date is too far back"),
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


def test_a_start_left_empty_with_an_end_still_to_come_is_not_called_wrong(client, patient):
    """From left empty and To months ahead: the start made from that end was months ahead
    too, and the empty From was refused ("A report can start today at the latest") with a
    date the person never chose in it. Only the end is wrong, and it alone says so."""
    end = TODAY + timedelta(days=200)
    response = client.get(f"/export/report.pdf?start=&end={end.isoformat()}")
    assert response.status_code == 400
    assert "A report can end today at the latest" in response.text
    assert "A report can start today at the latest" not in response.text
    assert 'class="field has-error"' in response.text
    assert response.text.count('class="error"') == 1
    start = (TODAY - timedelta(days=89)).isoformat()
    assert f'value="{start}"' in response.text


@pytest.mark.parametrize("path", ["/export/report", "/export/report.pdf"])
def test_login_required(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")


def test_ones_own_report_is_built_a_few_times_in_a_few_minutes_and_then_waits(
    client, patient, report_builds
):
    """Building a report takes the small server a second or more for a long journal, and a
    signed-in person could ask for theirs in a loop (a share link's report was limited, this
    one was not). Past reports.pdf.PERSON_BUILDS in a few minutes the report waits: a 429 with
    Retry-After, the form kept with a calm word at its top; a HEAD builds nothing, is never
    counted, and is told the same wait."""
    from journal import clock
    from journal.reports import pdf

    path = f"/export/report.pdf?{RANGE}&sections=charts"
    assert pdf.PERSON_BUILDS >= 5
    for _ in range(2 * pdf.PERSON_BUILDS):
        head = client.head(path)
        assert (head.status_code, head.mimetype) == (200, "application/pdf")
    assert report_builds == []
    refused, wait = refused_after(client, path, pdf.PERSON_BUILDS, pdf.PERSON_WINDOW_SECONDS)
    assert "please try again in about" in refused.text
    assert f'value="{START.isoformat()}"' in refused.text  # the form kept
    assert re.search(r'<input checked[^>]*value="charts"', refused.text)
    assert "Content-Disposition" not in refused.headers
    head = client.head(path)
    assert (head.status_code, head.headers.get("Retry-After"), head.data) == (429, str(wait), b"")
    # A bad range is still told as such (and never counted).
    assert client.get("/export/report.pdf?start=2020-01-31&end=2020-01-01").status_code == 400
    assert len(report_builds) == pdf.PERSON_BUILDS
    clock.set(clock.now() + timedelta(seconds=wait))
    assert client.get(path).status_code == 200
    assert len(report_builds) == pdf.PERSON_BUILDS + 1


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
    numbered = pdf_pages(response.data)
    assert len(numbered) > 3
    for number, page in enumerate(numbered, start=1):
        assert report_pages.FOOTER in page
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
    with report_layout.ReportDocument("test") as pdf:
        pdf.add_page()
        pdf.set_font(report_layout.FONT, "", 10)
        lines = pdf.wrap(text, 50)
        assert all(pdf.text_width(line) <= 50 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    assert "" in lines  # the blank line between paragraphs is kept


needs_fallback_fonts = pytest.mark.skipif(
    set(report_layout.fallback_fonts()) != set(report_layout.FALLBACK_FONTS),
    reason="fonts-noto-cjk and fonts-noto-color-emoji are not installed (make test installs them)",
)


@pytest.fixture
def without_fallback_fonts(monkeypatch):
    """A server without Debian's CJK and emoji fonts."""
    monkeypatch.setattr(report_layout, "FALLBACK_FONTS", {"cjk": {"": "/nonexistent/font.ttc"}})
    report_layout.fallback_fonts.cache_clear()
    report_layout._fallback_covered.cache_clear()
    yield
    monkeypatch.undo()
    report_layout.fallback_fonts.cache_clear()
    report_layout._fallback_covered.cache_clear()


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
    assert report_layout.printable(text) == printed


@pytest.mark.parametrize(
    ("text", "printed"),
    [("日本語", "□□□"), ("ok 👍🏽!", "ok □!"), ("é ß Ω", "é ß Ω")],
)
def test_printable_without_the_fallback_fonts(without_fallback_fonts, text, printed):
    assert report_layout.printable(text) == printed


def extracted(pdf_bytes):
    """All the text of a PDF without white space (pypdf spaces out CJK runs with blanks or
    NULs, as it reads the CFF fonts)."""
    return re.sub(r"[\s\x00]+", "", "".join(pdf_pages(pdf_bytes)))


@needs_fallback_fonts
def test_chinese_japanese_korean_and_emoji_are_printed(app, client, patient, caplog):
    with app.app_context():
        get_db().execute("update users set report_name = '山田 🌸' where id = 1")
        get_db().conn.commit()
    words = "今日は良い日 👍🏽 오늘은 좋은 날 今天很好 but é ß Ω\nplain words after"
    add(app, "checkins", day=TODAY.isoformat(), mood=6, reflection=words)
    longer = "一日中、静かに過ごした。" * 240  # runs onto further pages, within TEXT_MAX
    add(app, "checkins", day=(TODAY - timedelta(days=1)).isoformat(), mood=5, reflection=longer)
    with caplog.at_level(logging.WARNING):
        response = client.get("/export/report.pdf?sections=reflections")
    assert response.status_code == 200
    text = extracted(response.data)
    assert "今日は良い日👍오늘은좋은날今天很好butéßΩ" in text
    # A line in DejaVu after a line that needed the fallback fonts is printed in DejaVu.
    assert "plainwordsafter" in text
    assert "Reflectionssharedby山田🌸" in text
    assert text.count("静") == 240 and text.count("。") == 240  # all of it, across pages
    later = [re.sub(r"[\s\x00]+", "", page) for page in pdf_pages(response.data)[1:]]
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
    text = "\n".join(pdf_pages(response.data))
    assert "□□□□□□ □ but é ß Ω" in text
    assert "□ marks a character this report's fonts cannot show" in text
    assert not [r for r in caplog.records if "missing" in r.getMessage()]


class FontsReadEachTime(report_layout.ReportDocument):
    """A report document whose fonts fpdf2 reads itself, for every document."""

    def add_font(self, *args, **kwargs):
        return FPDF.add_font(self, *args, **kwargs)


def fonts_sample(document, texts):
    """The PDF bytes of `texts` printed in regular and bold by a new `document`."""
    with document("Running head", "footer") as pdf:
        pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
        pdf.add_page()
        for text in texts:
            pdf.para(report_layout.printable(text))
            pdf.para(report_layout.printable(text, "B"), style="B")
        return bytes(pdf.output())


@needs_fallback_fonts
def test_fonts_read_once_per_process_print_what_fpdf2_prints():
    # DejaVu is read once and shared; what a document changes (the characters it prints, its
    # font descriptors and widths, the font file its output rewrites) stays its own: documents
    # made after and beside others with other characters are byte for byte what fpdf2 makes
    # reading the fonts itself.
    texts = ["café — Ελληνικά, Кириллица 😀", "中"]  # DejaVu, emoji, CJK (whose subsetting is slow)
    expected = fonts_sample(FontsReadEachTime, texts)
    assert fonts_sample(report_layout.ReportDocument, ["Ж ✓ 🎉 other characters"]) != expected
    assert fonts_sample(report_layout.ReportDocument, texts) == expected
    latin = ["café — Ελληνικά 😀"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(
            pool.map(fonts_sample, [report_layout.ReportDocument] * 6, [latin, ["ñ ✓ 🎉"]] * 3)
        )
    assert made[::2] == [fonts_sample(FontsReadEachTime, latin)] * 3


def test_a_document_measuring_what_dejavu_lacks_leaves_the_kept_font_alone():
    path = str(report_layout.FONT_DIR / report_layout.FONT_FILES[""])
    kept = report_layout._read_font(path)
    widths, descriptor = dict(kept.cw), dict(vars(kept.desc))
    with report_layout.ReportDocument("test") as pdf:
        pdf.add_page()
        pdf.set_font(report_layout.FONT, "", 10)
        pdf.get_string_width("中 ✓ ж")  # 中: not in DejaVu, so fpdf2 adds its width
        pdf.cell(text="ж ✓")
        pdf.output()
    assert report_layout._read_font(path) is kept
    assert dict(kept.cw) == widths
    assert dict(vars(kept.desc)) == descriptor
    assert kept.ttfont is None  # each document opens the file itself


def test_a_font_file_that_changes_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setattr(report_layout, "_READ_FONTS", {})  # this file's, kept by this test alone
    copy = tmp_path / "DejaVuSans.ttf"
    copy.write_bytes((report_layout.FONT_DIR / report_layout.FONT_FILES[""]).read_bytes())
    first = report_layout._read_font(str(copy))
    assert report_layout._read_font(str(copy)) is first
    os.utime(copy, ns=(0, 10**18))  # as an upgrade replacing the file would
    assert report_layout._read_font(str(copy)) is not first


@needs_fallback_fonts
@pytest.mark.parametrize("width", [43, 50, 60])  # each puts a 「 or a small kana at a break
def test_cjk_text_breaks_between_characters_and_fills_its_lines(width):
    text = "Today " + "今日は先生と話して「ちょっと楽になった」と言った。" * 8
    with report_layout.ReportDocument("test") as pdf:
        pdf.add_page()
        pdf.set_font(report_layout.FONT, "", 10)
        lines = pdf.wrap(report_layout.printable(text), width)
        widths = [pdf.text_width(line) for line in lines]
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(used <= width for used in widths)
    # No line ends early for want of a space (some end a few characters short: the rules below
    # keep 「ちょっ together, say).
    assert all(used > 0.7 * width for used in widths[:-1])
    assert lines[0].startswith("Today 今日")  # the CJK run starts on the first line
    assert not any(line[0] in report_layout.NO_LINE_START for line in lines)  # 」、。っょ
    assert not any(line[-1] in report_layout.NO_LINE_END for line in lines)  # 「


def test_report_pdf_is_the_public_entry_point(app, patient):
    add(app, "checkins", day=TODAY.isoformat(), mood=6, reflection="through report_pdf")
    with app.app_context():
        who = person(1)
        start, end = reports.default_range(who)
        pdf = reports.report_pdf(who, start, end, ("reflections",))
    assert (start, end) == (TODAY - timedelta(days=89), TODAY)
    assert "through report_pdf" in "\n".join(pdf_pages(pdf))
    assert image_count(pdf) == 0


def test_build_pdf_needs_no_app(course):
    with course["app"].app_context():
        data = reports.report_data(person(1), START, TODAY)
    # Outside any application context: drawing is pure.
    first = pdf_pages(report_pages.build_pdf(data, ()))[0]
    assert "Sam R." in first


def test_a_long_name_wraps_and_the_running_head_is_cut_short(course):
    with course["app"].app_context():
        data = reports.report_data(person(1), START, TODAY)
    data["name"] = "Wéber " * 40
    numbered = pdf_pages(report_pages.build_pdf(data, ("flags",)))
    first_lines = numbered[0].splitlines()
    assert sum("Wéber" in line for line in first_lines[:8]) >= 2  # wrapped over lines
    head = numbered[1].splitlines()[0]
    assert head.startswith("Afterglow report · Wéber Wéber")
    assert head.endswith("…")


# Issue 8: a session's low mood flags its day in the PDF, like a check-in's


@pytest.mark.parametrize(("mood_after", "flagged"), [(0, True), (2, True), (3, False)])
def test_a_session_with_a_low_mood_after_is_a_flagged_day(
    app, client, patient, mood_after, flagged
):
    session_day = TODAY - timedelta(days=3)
    add(
        app,
        "sessions",
        started_at=f"{session_day.isoformat()}T10:00:00+00:00",
        day=session_day.isoformat(),
        product="ketamine",
        route="iv",
        mood_before=5,
        mood_after=mood_after,
        reflection="PRIVATE-SESSION words",
        private=1,
    )
    response = client.get(f"/export/report.pdf?{RANGE}")
    first, *rest = pdf_pages(response.data)
    reason = f"mood {mood_after} of 10 after a session"
    assert (f"{day_text(session_day, 'date_year')} {reason}" in first) is flagged
    assert ("No days flagged in this range." in first) is not flagged
    section = "\n".join(rest)
    section = section[section.index("Flagged days") :]
    assert (f"{day_text(session_day, 'short_year')} {reason}" in section) is flagged
    assert "as the last mood rating of a session" in " ".join(first.split())
    assert "PRIVATE" not in first + section


# Issue 8: a new patient's adherence, PHQ-9 wording, rounding and counts on page 1.


def first_page(client, query="sections="):
    response = client.get(f"/export/report.pdf?{query}")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", pdf_pages(response.data)[0])


def checkin_on(app, offset_from_today, mood):
    add(app, "checkins", day=(TODAY - timedelta(days=offset_from_today)).isoformat(), mood=mood)


def test_a_new_patients_check_ins_count_from_their_first_day(app, client, patient):
    for offset in (4, 3, 1, 0):  # first entry 4 days ago: 4 of 5 days, not 4 of 90
        checkin_on(app, offset, 6)
    first = first_page(client)
    assert "(90 days)" in first  # the range asked for
    since = day_text(TODAY - timedelta(days=4), "date_year")
    assert f"Check-ins on 4 of 5 days (counted from {since}, the journal's first day)" in first
    assert "of 90 days" not in first


@pytest.mark.parametrize("sessions", [1, 2])
def test_sessions_all_on_one_day_give_that_day_once(app, client, patient, sessions):
    # One session in the range (or a split dose, two on one day) read "First and last
    # 23 Nov 2026 and 23 Nov 2026".
    when = TODAY - timedelta(days=3)
    for hour in range(sessions):
        factories.add_session(app, when.isoformat(), hour=9 + hour)
    first = first_page(client)
    assert f"Sessions in this range {sessions} (of {sessions} recorded)" in first
    assert f"Date {day_text(when, 'date_year')}" in first
    assert "First and last" not in first


def test_a_range_shorter_than_a_week_names_the_days_its_recent_mood_covers(app, client, patient):
    """The recent mean is taken within the range: a three-day report's covers three days,
    and was labelled "last 7 days" (its 4.0 read as the week's mean, which was 4.7)."""
    for offset, mood in enumerate([4, 4, 4, 4, 5, 6, 6]):  # today 4, ... 6 days ago 6
        checkin_on(app, offset, mood)
    start = (TODAY - timedelta(days=2)).isoformat()
    first = first_page(client, f"start={start}&end={TODAY.isoformat()}&sections=")
    assert "Mood, last 3 days 4.0" in first
    assert "last 7 days" not in first
    one_day = first_page(client, f"start={TODAY.isoformat()}&end={TODAY.isoformat()}&sections=")
    assert "Mood, last day 4.0" in one_day


def test_a_range_before_the_journal_began_counts_no_days(client, patient):
    first = first_page(client, "start=2020-01-01&end=2020-01-01&sections=")
    assert "(1 day)" in first and "(1 days)" not in first
    assert f"Check-ins none: the journal starts on {day_text(TODAY, 'date_year')}" in first


@pytest.mark.parametrize(
    ("scores", "expected", "absent"),
    [
        # A single minimal PHQ-9 of 3 before treatment is not a "Remission".
        ([(-1, 3)], "Not shown (baseline below 10", "Remission"),
        ([(-1, 4), (5, 2)], "Not shown (baseline below 10", "Remission"),
        # Only after the first session: there is no baseline, and the page says so.
        (
            [(2, 14), (9, 10)],
            "baseline: none before the first session; the latest is 4 points lower than the "
            "first (14)",
            "the last on or before the first session",
        ),
        ([(-1, 12), (9, 5)], "Response (latest 5 is at most half the baseline of 12)", "Remission"),
    ],
)
def test_phq9_response_wording(app, client, patient, scores, expected, absent):
    add_session(app, 0)
    for offset, total in scores:
        add(app, "assessments", kind="phq9", day=day(offset), total=total, answers="[]")
    first = first_page(client)
    assert expected in first
    phq9_rows = first[first.index("Mood and check-ups") : first.index("Safety flags")]
    assert absent not in phq9_rows.replace("remission: below 5", "")


def test_baseline_is_rounded_half_up(app, client, patient):
    for offset, mood in zip((-4, -3, -2, -1), (6, 6, 6, 7), strict=True):
        add(app, "checkins", day=day(offset), mood=mood)  # mean 6.25
    add_session(app, 0)
    first = first_page(client)
    assert "Baseline mood 6.3 of 10" in first  # "%.1f" gave 6.2


def test_one_earlier_flagged_day_is_counted_in_the_singular(app, client, patient):
    for offset in range(7):
        checkin_on(app, offset, 1)  # a mood of 0-2 flags the day
    first = first_page(client, f"start={(TODAY - timedelta(days=6)).isoformat()}&end={TODAY}")
    assert "7 days flagged in this range." in first
    assert "The 1 earlier flagged day is under Flagged days." in first


def test_page_1_lists_self_harm_answers_before_the_latest_low_moods(app, client, patient):
    """Page 1 listed the latest flagged days: a PHQ-9 item 9 answer or thoughts of self-harm
    weeks ago sat among "the 20 earlier flagged days". The days with a self-harm answer come
    first, then the latest, and the count line says "other", not "earlier"."""
    for offset in range(1, 21):
        checkin_on(app, offset, 1)  # 20 days of a crisis mood alone, the latest
    phq9_day, self_harm_day = TODAY - timedelta(days=60), TODAY - timedelta(days=45)
    add(app, "assessments", kind="phq9", day=phq9_day.isoformat(), answers="[]", total=5,
        item9=1)  # fmt: skip
    add(app, "checkins", day=self_harm_day.isoformat(), mood=6, self_harm=1)
    first = first_page(client)
    assert "22 days flagged in this range." in first
    flags = first[first.index("Safety flags") :]
    assert f"{day_text(phq9_day, 'date_year')} PHQ-9 item 9 answered 1 of 3" in flags
    assert f"{day_text(self_harm_day, 'date_year')} thoughts of self-harm reported" in flags
    dates = re.findall(r"\d{1,2} \w{3} \d{4}", flags)
    moods = [n for n in range(1, 21) if day_text(TODAY - timedelta(days=n), "date_year") in dates]
    assert moods and moods == list(range(1, len(moods) + 1))  # then the latest
    other = 20 - len(moods)
    assert (
        "Listed here: days with thoughts of self-harm or PHQ-9 item 9 above 0 first, then the "
        f"latest. The {other} other flagged days are in the full report."
    ) in first
    assert "earlier flagged day" not in first


# Bounds: a report's range and what it prints of each text ------------------------------

LARGEST_TEXT = 20_000  # a reflection's limit (journal/fields.py)


@pytest.mark.parametrize(
    ("start", "status"),
    [
        (TODAY - timedelta(days=730), 200),  # 731 days: two years, with a leap day
        (TODAY - timedelta(days=731), 400),
        (TODAY.replace(year=1990, month=1, day=1), 400),  # the 36 years: 13-45 s
    ],
)
def test_a_report_covers_at_most_two_years(client, patient, start, status):
    response = client.get(f"/export/report.pdf?start={start}&end={TODAY}&sections=")
    assert response.status_code == status
    if status == 400:
        last = day_text(start + timedelta(days=730), "date_year")
        assert (
            f"A report covers at most 731 days (two years): choose {last} or earlier, or a "
            "later start." in response.text
        )
        assert f'value="{start}"' in response.text and f'value="{TODAY}"' in response.text
        assert "Content-Disposition" not in response.headers


def test_report_data_refuses_a_longer_range(app, patient):
    with app.app_context(), pytest.raises(ValueError, match="at most 731 days"):
        reports.report_data(person(1), TODAY - timedelta(days=731), TODAY)


def test_each_text_is_printed_up_to_3000_characters_with_a_note(app, client, patient):
    words = " ".join(f"w{n:05}" for n in range(LARGEST_TEXT // 7))  # 7 characters a word
    add(app, "checkins", day=TODAY.isoformat(), mood=5, reflection=words[:LARGEST_TEXT])
    add(app, "checkins", day=(TODAY - timedelta(days=1)).isoformat(), mood=5, reflection="short")
    response = client.get("/export/report.pdf?sections=reflections")
    text = re.sub(r"\s+", " ", "\n".join(pdf_pages(response.data)))
    assert "w00427" in text and "w00428" not in text  # cut at the last space before 3,000
    assert "w00427 \u2026 Cut short here: 17,003 more characters are not printed" in text
    assert "(a report prints up to 3,000 of each text). The full text is in Afterglow." in text
    assert "short" in text and text.count("Cut short here") == 1


def test_the_longest_report_of_the_largest_texts_stays_short(app, client, patient):
    text = ("A long day, written out at length. " * 600)[:LARGEST_TEXT]
    with app.app_context():
        db = get_db()
        db["checkins"].insert_all(
            {"user_id": 1, "day": (TODAY - timedelta(days=n)).isoformat(), "mood": n % 11,
             "reflection": text, "created_at": STAMP, "updated_at": STAMP}
            for n in range(731)
        )  # fmt: skip
        db.conn.commit()
    response = client.get(f"/export/report.pdf?start={TODAY - timedelta(days=730)}&end={TODAY}")
    assert response.status_code == 200
    pages_in_tree = int(re.search(rb"/Count (\d+)", response.data).group(1))
    assert pages_in_tree < 600  # about 2,900 when every text was printed in full


def test_chart_words_count_check_ins_from_the_first_day_as_page_1_does(app, client, patient):
    for offset in (4, 3, 1, 0):  # first entry 4 days ago, in a 90-day report
        checkin_on(app, offset, 6)
    response = client.get("/export/report.pdf?sections=charts")
    text = re.sub(r"\s+", " ", "\n".join(pdf_pages(response.data)))
    since = day_text(TODAY - timedelta(days=4), "date_year")
    assert "Check-ins on 4 of 5 days" in text
    assert f"Mood from {since} to {day_text(TODAY, 'date_year')}: check-ins on 4 of 5 days" in text
    assert "of 90 days" not in text


@pytest.mark.parametrize(
    ("scores", "box"),
    [
        ([(-1, 14), (9, 7)], "PHQ-9 response Response latest 7, baseline 14 Flagged days"),
        ([(-1, 12), (9, 4)], "PHQ-9 response Remission latest 4, baseline 12 Flagged days"),
        ([(2, 14), (9, 10)], "PHQ-9 response Not shown no PHQ-9 before treatment Flagged"),
        ([(-1, 4), (5, 2)], "PHQ-9 response Not shown baseline below 10 Flagged days"),
        ([(-1, 12)], "PHQ-9 response Not shown no PHQ-9 since baseline Flagged days"),
    ],
)
def test_the_response_box_shows_its_whole_note(app, client, patient, scores, box):
    """The box holds two lines of note: "latest 7 is at most half the baseline of 14" lost
    its 14 there. The box gives the totals; the row below gives the full sentence."""
    add_session(app, 0)
    for offset, total in scores:
        add(app, "assessments", kind="phq9", day=day(offset), total=total, answers="[]")
    assert box in first_page(client)


def test_window_figures_say_which_days_each_window_had(app, client, patient):
    # Baseline 3, 4, 3, 3 -> 3.25 (3.3); #1 (level before: day -1, 3.0) has days 1-4 before
    # #2 (5 days later): moods 5, 7 on days 1 and 2 -> 6.0, +2.7 as shown, best 7.0 - 3.3 on
    # day 2; #2 (level before: day 2's 7) is followed the next day by #3.
    for offset, mood in ((-14, 3), (-10, 4), (-6, 3), (-1, 3), (1, 5), (2, 7)):
        add(app, "checkins", day=day(offset), mood=mood)
    for offset in (0, 5, 6):
        add_session(app, offset)
    response = client.get(f"/export/report.pdf?{RANGE}&sections=windows")
    text = re.sub(r"\s+", " ", "\n".join(pdf_pages(response.data)))
    assert f"#1 {short(0)} days 1–4 (cut short) 3.0 6.0 +2.7 +3.7 on day 2 2 of 2 2" in text
    assert f"#2 {short(5)} no days (the next session was the next day) 7.0 — — — — 0" in text
    assert f"#3 {short(6)} days 1–7" in text


@pytest.mark.parametrize(
    ("section", "headings"),
    [
        (
            "windows",
            "# Date Window days used Mood 3 days before Window mean Change from baseline "
            "Best day against baseline Days above baseline Check-ins",
        ),
        (
            "sessions",
            "# Date Medicine and route Dose Mood before → after Dissociation Side effects",
        ),
        ("flags", "Date Why"),
    ],
)
def test_table_headings_never_break_inside_a_word(course, section, headings):
    """The windows table printed its last heading as "Check-in" over "s": a column is as
    wide as its longest word, the room taken from columns with some to spare."""
    response = course["client"].get(f"/export/report.pdf?{RANGE}&sections={section}")
    words = set(" ".join(pdf_pages(response.data)[1:]).split())
    assert [word for word in headings.split() if word not in words] == []


@pytest.mark.parametrize(
    ("item9", "shown", "others"),
    [(0, False, 0), (1, True, 0), (3, True, 0), (3, True, 2), (2, True, 3)],
    ids=["none", "minimal", "minimal, 3", "moderately severe", "severe"],
)
def test_the_latest_phq9s_item_9_stands_beside_its_total(
    app, client, patient, item9, shown, others
):
    # With a long band ("moderately severe") the note wraps to a third line: it was cut after
    # two, and "item 9 answered 3 of" lost its "3".
    answers = [others] * 6 + [0, 1, item9]
    add(app, "assessments", kind="phq9", day=day(-1), answers=json.dumps(answers),
        total=sum(answers), item9=item9)  # fmt: skip
    first = first_page(client)
    assert (f"item 9 answered {item9} of 3" in first) is shown
    box = first[first.index("PHQ-9 (depression)") : first.index("GAD-7 (anxiety)")]
    assert (f"item 9 answered {item9} of 3" in box) is shown, box


@pytest.mark.parametrize(
    ("latest", "first", "moved"),
    [
        (12, 15, "the latest is 3 points lower than the first (15)"),
        (16, 15, "the latest is 1 point higher than the first (15)"),
        (15, 15, "the latest is the same as the first (15)"),
    ],
)
def test_a_score_without_a_baseline_reads_as_a_change_since_the_first(latest, first, moved):
    """The report's PHQ-9 and GAD-7 rows word a change since the first score as the check-up
    page words a change (one helper, instruments.points_moved, for "N points lower")."""
    from journal import instruments

    summary = {"baseline": None, "latest": latest, "first": first}
    assert instruments.baseline_text(summary, has_session=True) == (
        f"none before the first session; {moved}"
    )
    if latest != first:
        assert instruments.points_moved(latest - first) in moved


def test_a_windows_label_names_the_days_its_figures_stand_on(app, client, patient):
    # A report ending two days after a session: the window's figures are the whole course's
    # (days 1-5 here), so its label is as of today ("days 1–7"), not "days 1–2 so far" over a
    # best day on day 3.
    start = TODAY - timedelta(days=10)

    def on(offset):
        return (start + timedelta(days=offset)).isoformat()

    for offset, mood in [(-5, 4), (-3, 5), (-1, 6), (1, 7), (2, 8), (3, 9), (4, 9), (5, 9)]:
        factories.insert(app, "checkins", day=on(offset), mood=mood)
    factories.add_session(app, on(0), hour=10)
    response = client.get(f"/export/report.pdf?start={on(-5)}&end={on(2)}&sections=windows")
    text = re.sub(r"\s+", " ", " ".join(pdf_pages(response.data)))
    row = text[text.index("#1 ") :]
    assert "so far" not in row and "on day 3" in row, row


def painted_runs(pdf_bytes):
    """Each text run of the PDF as its glyphs are painted, left to right (pypdf's own text
    extraction reorders right-to-left text itself, so it cannot tell typed order from read
    order): the page's Tj strings decoded through their fonts' ToUnicode maps."""
    from pypdf.generic import ContentStream

    reader = PdfReader(BytesIO(pdf_bytes))
    runs = []
    for page in reader.pages:
        maps = {}
        for name, ref in page["/Resources"]["/Font"].items():
            font = ref.get_object()
            if "/ToUnicode" in font:
                cmap = font["/ToUnicode"].get_object().get_data().decode("latin1")
                pairs = re.findall(r"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4})>", cmap)
                maps[name] = {int(a, 16): chr(int(b, 16)) for a, b in pairs}
        font = None
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"Tf":
                font = operands[0]
            elif op == b"Tj":
                raw = getattr(operands[0], "original_bytes", None) or bytes(operands[0])
                codes = (int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2))
                runs.append("".join(maps.get(font, {}).get(code, "?") for code in codes))
    return runs


@pytest.mark.parametrize(
    ("written", "painted"),
    [("שלום", "םולש"), ("היום טוב", "בוט םויה")],
    ids=["a word", "two words"],
)
def test_hebrew_is_painted_in_the_order_it_is_read(app, client, patient, written, painted):
    # Painted left to right in typing order, Hebrew read backwards on paper.
    factories.insert(app, "checkins", day=TODAY.isoformat(), mood=6, reflection=written)
    runs = painted_runs(client.get("/export/report.pdf?sections=reflections").data)
    hebrew = [run for run in runs if re.search("[\u0590-\u05ff]", run)]
    assert hebrew == [painted], hebrew


@pytest.mark.parametrize("room", range(20, 130, 5))
def test_the_sessions_heading_is_never_left_alone_at_a_pages_foot(course, room):
    """With tall first rows (a 200-character side effect typed under "something else"), the
    heading "Sessions" was printed at the foot of a page and its table began on the next."""
    with course["app"].app_context():
        data = reports.report_data(person(1), START, TODAY)
    typed = "a long description of what I felt in my hands and face " * 4
    data["sessions"] = [
        {**s, "side_effects": [*s["side_effects"], typed[:200]]} for s in data["sessions"]
    ] * 2
    with report_layout.ReportDocument("Head", "Foot") as pdf:
        pdf.add_page()
        pdf.add_page()
        pdf.set_y(pdf.page_break_trigger - room)
        report_pages._sessions(pdf, data)
        numbered = pdf_pages(bytes(pdf.output()))
    heading_page = next(n for n, page in enumerate(numbered) if "Sessions" in page.splitlines())
    assert "Medicine and route" in numbered[heading_page]


def test_a_remission_that_came_and_went_is_said_beside_the_response(app, client, patient):
    # 18 before the first session, 4 (a remission), then 6: the check-ups page says the
    # remission's day beside "Response"; the report's row said only the latest and baseline.
    add_session(app, 0)
    for offset, total in [(-1, 18), (5, 4), (9, 6)]:
        add(app, "assessments", kind="phq9", day=day(offset), total=total, answers="[]")
    first = " ".join(first_page(client).split())
    reached = day_text(SESSION_DAY + timedelta(days=5), "date_year")
    assert f"latest 6 is at most half the baseline of 18; below 5 first on {reached}" in first
