import html
import json
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from conftest import error_for, unlabelled_inputs
from factories import TODAY, checkin, person, session

from journal import clock
from journal.db import get_db
from journal.numbers import signed
from journal.session_record import figure_text
from journal.timezones import day_text

# A past moment: expectations come from fixed inputs, never from the clock.
GOOD = {
    "started_at": "2025-03-01T09:30",
    "product": "esketamine",
    "route": "intranasal",
    "dose_mg": "56",
}
RANGE_0_10 = "Choose a whole number from 0 to 10."
BOTH = "Enter both numbers of the reading, or leave both empty."
TOP_ABOVE = "The top number (systolic) must be higher than the bottom one (diastolic)."
SYSTOLIC = "The systolic (top) number must be from 60 to 260 mmHg."
DIASTOLIC = "The diastolic (bottom) number must be from 30 to 160 mmHg."


def rows(app):
    with app.app_context():
        return list(get_db()["sessions"].rows_where(order_by="id"))


def reading(when, systolic, diastolic):
    """Form data for a blood pressure reading taken `when` ("before" or "after")."""
    return {f"bp_{when}_systolic": systolic, f"bp_{when}_diastolic": diastolic}


def post(client, url="/sessions/new", **data):
    form = {k: v for k, v in {**GOOD, **data}.items() if v is not None}
    return client.post(url, data=form)


def check_in(client, day, mood):
    checkin(client, day, mood, read_flash=False)


def cards(page):
    """Each session's card on the list, top to bottom."""
    return page.text.split('<article class="session-card"')[1:]


def shown(html, term):
    """The text shown for the figure named `term`."""
    match = re.search(rf"<dt>{re.escape(term)}</dt><dd>(.*?)</dd>", html, re.S)
    assert match, f"no figure {term!r}"
    return match.group(1)


NOT_ENOUGH = '<span aria-hidden="true">—</span><span class="visually-hidden">not enough data</span>'


# Log-in ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/sessions"),
        ("get", "/sessions/new"),
        ("post", "/sessions/new"),
        ("get", "/sessions/1"),
        ("get", "/sessions/1/edit"),
        ("post", "/sessions/1/edit"),
        ("get", "/sessions/1/delete"),
        ("post", "/sessions/1/delete"),
    ],
)
def test_log_in_required(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    location = urlsplit(response.location)
    assert location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == [path]


# The form ---------------------------------------------------------------------------------


def test_the_form_says_what_dissociation_means(client, patient):
    # "Dissociation (not a validated scale)", none to intense, said nothing of what it is: a
    # newcomer could not rate it, and the hint after the group was not read with it.
    page = client.get("/sessions/new").text
    group = re.search(r'<fieldset[^>]*id="dissociation"[^>]*>', page)[0]
    assert 'aria-describedby="dissociation-hint"' in group
    hint = re.search(r'<p class="hint" id="dissociation-hint">([^<]+)</p>', page)[1]
    assert "detached" in hint and "not a validated scale" in page


def test_new_form(client, patient):
    response = client.get("/sessions/new")
    assert response.status_code == 200
    page = response.text
    assert 'type="datetime-local"' in page
    for name in ("mood_before", "mood_after", "dissociation"):
        assert page.count(f'type="radio" name="{name}"') == 11
    assert "not a validated scale" in page
    assert re.findall(r'name="side_effects" type="checkbox" value="(\w+)"', page) == [
        "nausea",
        "vomiting",
        "dizziness",
        "headache",
        "drowsiness",
        "numbness",
        "taste_change",
        "blurred_vision",
        "raised_bp",
        "anxiety",
        "fatigue",
        "other",
    ]
    assert re.findall(r'<option value="(\w+)">', page) == [
        "iv",
        "im",
        "sc",
        "intranasal",
        "oral",
        "sublingual",
        "other",
    ]
    assert ">IV infusion<" in page and ">Intranasal spray<" in page
    assert re.findall(r'name="product" required type="radio" value="(\w+)"', page) == [
        "ketamine",
        "esketamine",
    ]
    for prompt in ("prompt_stood_out", "prompt_noticed", "prompt_carry"):
        assert f'name="{prompt}"' in page
    assert "only you will ever see them" in page
    # The optional parts start folded, so logging on a phone is quick.
    assert page.count('<details class="more">') == 4
    assert "filled in from your last session" not in page


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Los_Angeles", "UTC"])
def test_new_form_starts_at_now_in_the_persons_zone(client, auth, zone):
    auth.register(timezone=zone)
    before = clock.now().astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)
    page = client.get("/sessions/new").text
    after = clock.now().astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    value = re.search(r'name="started_at" required type="datetime-local" value="([^"]+)"', page)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", value.group(1))  # to the minute
    assert before <= datetime.fromisoformat(value.group(1)) <= after


def test_every_input_is_labelled_and_nothing_is_inline(client, patient):
    post(client, reflection="r", prompt_carry="c")
    for path in ("/sessions/new", "/sessions/1/edit", "/sessions/1", "/sessions"):
        page = client.get(path).text
        assert unlabelled_inputs(page) == [], path
        # A strict Content-Security-Policy comes later: no inline script or style.
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert not re.search(r"\sstyle=|<style", page), path


# Saving -----------------------------------------------------------------------------------

FULL = {
    "started_at": "2025-03-01T20:15",
    "product": "ketamine",
    "route": "iv",
    "dose_mg": "35",
    "dose_mg_per_kg": "0,5",
    "weight_kg": " 70 ",
    "clinic": "  Bay Clinic ",
    "intention": "Be open\r\nto what comes",
    "mood_before": "3",
    "mood_after": "6",
    "dissociation": "0",
    "side_effects": ["headache", "nausea", "headache"],
    "bp_before_systolic": "118",
    "bp_before_diastolic": "76",
    "bp_after_systolic": "135",
    "bp_after_diastolic": "85",
    "reflection": "Line one\r\nLine two",
    "prompt_stood_out": "The light",
    "prompt_noticed": "",
    "prompt_carry": "Patience",
    "private": "y",
}


def test_save_full_session(app, client, auth):
    auth.register(timezone="America/Los_Angeles")
    response = client.post("/sessions/new", data=FULL)
    assert response.status_code == 302
    assert response.location == "/sessions/1"
    (row,) = rows(app)
    # 20:15 on 1 March in Los Angeles (PST, UTC-8) is 04:15 on 2 March in UTC.
    assert row["started_at"] == "2025-03-02T04:15:00+00:00"
    assert row["day"] == "2025-03-01"
    assert (row["product"], row["route"]) == ("ketamine", "iv")
    assert (row["dose_mg"], row["dose_mg_per_kg"], row["weight_kg"]) == (35, 0.5, 70)
    assert row["clinic"] == "Bay Clinic"
    assert row["intention"] == "Be open\nto what comes"
    assert (row["mood_before"], row["mood_after"], row["dissociation"]) == (3, 6, 0)
    assert row["side_effects"] == "nausea,headache"  # the list's order, each once
    assert row["side_effects_other"] == ""
    assert (row["bp_before_systolic"], row["bp_before_diastolic"]) == (118, 76)
    assert (row["bp_after_systolic"], row["bp_after_diastolic"]) == (135, 85)
    assert row["reflection"] == "Line one\nLine two"
    assert json.loads(row["prompts"]) == {"stood_out": "The light", "carry": "Patience"}
    assert row["private"] == 1
    assert row["user_id"] == 1 and row["created_at"] == row["updated_at"]
    page = client.get("/sessions/1")
    assert "Saved session #1, Saturday 1 March 2025." in page.text


def test_minimal_session(app, client, patient):
    response = post(client, dose_mg="")
    assert response.status_code == 302
    (row,) = rows(app)
    for column in (
        "dose_mg",
        "dose_mg_per_kg",
        "weight_kg",
        "mood_before",
        "mood_after",
        "dissociation",
        "bp_before_systolic",
        "bp_after_diastolic",
    ):
        assert row[column] is None, column
    assert (row["clinic"], row["intention"], row["reflection"], row["side_effects"]) == (
        "",
        "",
        "",
        "",
    )
    assert row["prompts"] == "{}" and row["private"] == 0
    page = client.get("/sessions/1")
    assert page.status_code == 200
    assert "<dt>Dose</dt>" not in page.text and "Reflection" not in page.text


def test_private_reflection_is_stored_private(app, client, patient):
    post(client, reflection="just for me", private="y")
    post(client, started_at="2025-03-02T09:30", reflection="shareable")
    assert [(r["reflection"], r["private"]) for r in rows(app)] == [
        ("just for me", 1),
        ("shareable", 0),
    ]
    assert "Private: only you see this" in client.get("/sessions/1").text
    assert "Private: only you see this" not in client.get("/sessions/2").text


@pytest.mark.parametrize(
    ("zone", "typed", "utc", "day"),
    [
        # UTC+14: late evening locally is the morning of the same date in UTC.
        ("Pacific/Kiritimati", "2025-03-01T23:30", "2025-03-01T09:30:00+00:00", "2025-03-01"),
        # Early morning locally is still the day before in UTC: day is the local date.
        ("Pacific/Kiritimati", "2025-03-02T06:00", "2025-03-01T16:00:00+00:00", "2025-03-02"),
        ("America/Los_Angeles", "2025-03-01T20:15", "2025-03-02T04:15:00+00:00", "2025-03-01"),
        ("America/Los_Angeles", "2025-07-04T18:00", "2025-07-05T01:00:00+00:00", "2025-07-04"),
        # 01:30 happens twice when the clocks go back: the first (still PDT, UTC-7).
        ("America/Los_Angeles", "2025-11-02T01:30", "2025-11-02T08:30:00+00:00", "2025-11-02"),
        # Without a date-time picker: a space, and seconds.
        ("UTC", "2025-03-01 09:30:15", "2025-03-01T09:30:15+00:00", "2025-03-01"),
    ],
)
def test_started_at_stored_in_utc_and_day_is_local(app, client, auth, zone, typed, utc, day):
    auth.register(timezone=zone)
    assert post(client, started_at=typed).status_code == 302
    (row,) = rows(app)
    assert (row["started_at"], row["day"]) == (utc, day)


def test_editing_after_moving_time_zone_keeps_day_zero(app, client, auth):
    auth.register(timezone="Pacific/Kiritimati")
    post(client, started_at="2025-03-02T06:00")  # 16:00 UTC on 1 March; local day 2 March
    client.post(
        "/settings", data={"timezone": "Pacific/Honolulu", "window_days": "7", "clinic_phone": ""}
    )
    form = client.get("/sessions/1/edit").text
    shown = re.search(r'name="started_at"[^>]*value="([^"]+)"', form).group(1)
    assert shown == "2025-03-01T06:00"  # the same moment, on Honolulu's clock
    response = post(client, "/sessions/1/edit", started_at=shown, reflection="added later")
    assert response.status_code == 302
    (row,) = rows(app)
    assert (row["started_at"], row["day"]) == ("2025-03-01T16:00:00+00:00", "2025-03-02")
    assert row["reflection"] == "added later"
    # Changing the time does move it, in the zone the person now lives in.
    post(client, "/sessions/1/edit", started_at="2025-03-03T08:00")
    assert rows(app)[0]["day"] == "2025-03-03"


def test_a_sessions_date_is_its_day_whatever_the_clock_after_a_move(app, client, auth):
    """Logged in Kiritimati on 2 March, 06:00 (16:00 UTC on 1 March), then a move to Honolulu:
    the session's pages name 2 March, its window's day 0, as the saved message and the
    figures do, and say when it started on the person's clock now; not 'Sat 1 Mar'. The start
    in a past year names its year: "Sat 1 Mar" alone read as this year's (until 2026-12-07)."""
    auth.register(timezone="Pacific/Kiritimati")
    post(client, started_at="2025-03-02T06:00")
    assert "Sun 2 Mar 2025, 06:00</time>" in client.get("/sessions/1").text
    client.post(
        "/settings", data={"timezone": "Pacific/Honolulu", "window_days": "7", "clinic_phone": ""}
    )
    shown = "Sun 2 Mar 2025 (started Sat 1 Mar 2025, 06:00 in your time zone now)</time>"
    for path in ("/sessions/1", "/sessions", "/sessions/1/delete"):
        assert shown in client.get(path).text, path
    assert '<span class="sub">Sun 2 Mar 2025</span>' in client.get("/sessions/1/edit").text
    saved = post(client, "/sessions/1/edit", started_at="2025-03-01T06:00")
    assert "Sunday 2 March 2025" in html.unescape(client.get(saved.location).text)


def test_an_edit_after_moving_zone_counts_the_sessions_of_the_day_it_keeps(app, client, auth):
    """The edit form checked "this day already has 4 sessions" against the session's date in
    the new zone, though an edit that leaves the time alone keeps its stored day, which had
    room: the edit was refused."""
    from journal.session_record import PER_DAY_MAX

    auth.register(timezone="Pacific/Kiritimati")
    post(client, started_at="2025-03-02T06:00")  # stored on 2 March (16:00 UTC on 1 March)
    client.post(
        "/settings", data={"timezone": "Pacific/Honolulu", "window_days": "7", "clinic_phone": ""}
    )
    for hour in range(PER_DAY_MAX):  # Honolulu's 1 March, full
        assert post(client, started_at=f"2025-03-01T0{hour}:00").status_code == 302
    form = client.get("/sessions/1/edit").text
    shown = re.search(r'name="started_at"[^>]*value="([^"]+)"', form).group(1)
    assert shown == "2025-03-01T06:00"
    response = post(client, "/sessions/1/edit", started_at=shown, dose_mg="84")
    assert response.status_code == 302, response.text
    assert (rows(app)[0]["day"], rows(app)[0]["dose_mg"]) == ("2025-03-02", 84)
    # Moved onto the full day, it is refused as before.
    response = post(client, "/sessions/1/edit", started_at="2025-03-01T07:00")
    assert response.status_code == 400
    assert f"This day already has {PER_DAY_MAX} sessions" in response.text


def test_editing_a_session_in_the_hour_the_clocks_go_back_keeps_its_time(app, client, auth):
    # 09:30 UTC on 2 November 2025 is the second 01:30 in Los Angeles (PST, after the change).
    auth.register(timezone="UTC")
    post(client, started_at="2025-11-02T09:30")
    client.post(
        "/settings",
        data={"timezone": "America/Los_Angeles", "window_days": "7", "clinic_phone": ""},
    )
    form = client.get("/sessions/1/edit").text
    shown = re.search(r'name="started_at"[^>]*value="([^"]+)"', form).group(1)
    assert shown == "2025-11-02T01:30"
    response = post(client, "/sessions/1/edit", started_at=shown, clinic="Bay clinic")
    assert response.status_code == 302
    (row,) = rows(app)
    assert (row["started_at"], row["clinic"]) == ("2025-11-02T09:30:00+00:00", "Bay clinic")
    # Typed anew, the time means the first 01:30 (PDT), as for a new session.
    post(client, "/sessions/1/edit", started_at="2025-11-02T01:31")
    assert rows(app)[0]["started_at"] == "2025-11-02T08:31:00+00:00"


def test_text_under_something_else_ticks_other(app, client, patient):
    post(client, side_effects=["nausea"], side_effects_other=" metallic taste ")
    (row,) = rows(app)
    assert (row["side_effects"], row["side_effects_other"]) == ("nausea,other", "metallic taste")
    page = client.get("/sessions/1").text
    assert '<span class="chip">metallic taste</span>' in page
    assert '<span class="chip">Nausea</span>' in page


def test_odd_unicode_round_trips(app, client, patient):
    text = "Zalgo z̸̢̛a̵l̷g̶o, RTL \u202eטקסט\u202c, emoji 👩🏽‍🦰, CJK 心, combining é"
    response = post(
        client,
        clinic="Clínica Ñandú 心",
        intention=text,
        reflection=text,
        prompt_noticed="手が温かい ✋",
        side_effects_other="味 changed",
    )
    assert response.status_code == 302
    (row,) = rows(app)
    assert row["reflection"] == text and row["intention"] == text
    assert row["clinic"] == "Clínica Ñandú 心"
    assert json.loads(row["prompts"]) == {"noticed": "手が温かい ✋"}
    page = client.get("/sessions/1").text
    assert "👩🏽‍🦰" in page and "Clínica Ñandú 心" in page and "手が温かい ✋" in page


def test_reflection_is_text_not_html(client, patient):
    post(client, reflection="<script>alert(1)</script>\n<b>bold</b>", prompt_carry="<i>x</i>")
    page = client.get("/sessions/1").text
    assert "<script>alert(1)</script>" not in page and "<i>x</i>" not in page
    assert (
        '<div class="reflection">&lt;script&gt;alert(1)&lt;/script&gt;\n&lt;b&gt;bold&lt;/b&gt;'
        in page
    )
    assert '<div class="reflection">&lt;i&gt;x&lt;/i&gt;</div>' in page


# Bad input --------------------------------------------------------------------------------

AMOUNT_MG = "This must be more than 0 and at most 1,000 mg."
FORMAT_MG = "Enter a number in mg, like 56 or 7.5."
WHEN = "Enter the date and time like 2026-03-14T09:30."


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"route": "intravenous"}, "route", "Choose how it was given from the list."),
        ({"route": "IV"}, "route", "Choose how it was given from the list."),
        ({"route": ""}, "route", "Choose how it was given."),
        ({"route": None}, "route", "Choose how it was given."),
        ({"product": "lsd"}, "product", "Choose ketamine or esketamine."),
        ({"product": None}, "product", "Choose ketamine or esketamine."),
        ({"dose_mg": "-5"}, "dose_mg", AMOUNT_MG),
        ({"dose_mg": "0"}, "dose_mg", AMOUNT_MG),
        ({"dose_mg": "0,0"}, "dose_mg", AMOUNT_MG),
        ({"dose_mg": "1000.5"}, "dose_mg", AMOUNT_MG),
        ({"dose_mg": "9" * 400}, "dose_mg", FORMAT_MG),
        ({"dose_mg": "1e3"}, "dose_mg", FORMAT_MG),
        ({"dose_mg": "nan"}, "dose_mg", FORMAT_MG),
        ({"dose_mg": "inf"}, "dose_mg", FORMAT_MG),
        ({"dose_mg": "56 mg"}, "dose_mg", FORMAT_MG),
        ({"dose_mg": "٥٦"}, "dose_mg", FORMAT_MG),  # Arabic-Indic 56
        ({"dose_mg": "５６"}, "dose_mg", FORMAT_MG),  # full-width 56
        ({"dose_mg": "1_000"}, "dose_mg", FORMAT_MG),
        ({"dose_mg": "1,000"}, "dose_mg", "without a thousands separator"),
        ({"dose_mg_per_kg": "0"}, "dose_mg_per_kg", "more than 0 and at most 5 mg/kg."),
        ({"dose_mg_per_kg": "-0.5"}, "dose_mg_per_kg", "more than 0 and at most 5 mg/kg."),
        ({"dose_mg_per_kg": "5,01"}, "dose_mg_per_kg", "more than 0 and at most 5 mg/kg."),
        ({"weight_kg": "19.9"}, "weight_kg", "This must be from 20 to 400 kg."),
        ({"weight_kg": "401"}, "weight_kg", "This must be from 20 to 400 kg."),
        ({"weight_kg": "heavy"}, "weight_kg", "Enter a number in kg, like 70 or 70.5."),
        ({"mood_before": "11"}, "mood_before", RANGE_0_10),
        ({"mood_before": "-1"}, "mood_before", RANGE_0_10),
        ({"mood_after": "5.5"}, "mood_after", RANGE_0_10),
        ({"mood_after": "seven"}, "mood_after", RANGE_0_10),
        ({"mood_after": "٥"}, "mood_after", RANGE_0_10),
        ({"dissociation": "12"}, "dissociation", RANGE_0_10),
        ({"started_at": ""}, "started_at", "Enter when the session started."),
        ({"started_at": None}, "started_at", "Enter when the session started."),
        ({"started_at": "2025-02-30T10:00"}, "started_at", WHEN),
        ({"started_at": "2025-03-01T25:00"}, "started_at", WHEN),
        ({"started_at": "2025-03-01"}, "started_at", WHEN),
        ({"started_at": "01/03/2025 10:00"}, "started_at", WHEN),
        ({"started_at": "2025-03-01T10:00Z"}, "started_at", WHEN),
        ({"started_at": "2025-03-01T10:00+02:00"}, "started_at", WHEN),
        ({"started_at": "２０２５-03-01T10:00"}, "started_at", WHEN),
        ({"started_at": "1989-12-31T10:00"}, "started_at", "too far back"),
        ({"side_effects": ["nausea", "hallucinations"]}, "side_effects", "from the list"),
        ({"side_effects": ["NAUSEA"]}, "side_effects", "from the list"),
        ({"side_effects_other": "x" * 201}, "side_effects_other", "up to 200 characters"),
        ({"side_effects_other": "\u200b"}, "side_effects_other", "Type words people can read"),
        ({"side_effects_other": "itch \u202e"}, "side_effects_other", "type it again without"),
        ({"clinic": "é" * 201}, "clinic", "up to 200 characters; yours has 201"),
        ({"clinic": "bad\x00byte"}, "clinic", "invisible control characters"),
        ({"clinic": "\u200b\u200b"}, "clinic", "only invisible characters"),
        ({"clinic": " \u2060\ufeff "}, "clinic", "only invisible characters"),
        ({"clinic": "Mercy \u202eetats"}, "clinic", "change the direction of text"),
        ({"intention": "x" * 2001}, "intention", "up to 2,000 characters; yours has 2,001"),
        ({"reflection": "ü" * 20_001}, "reflection", "up to 20,000 characters; yours has"),
        ({"reflection": "colour \x1b[31m"}, "reflection", "invisible control characters"),
        ({"prompt_stood_out": "x" * 5001}, "prompt_stood_out", "up to 5,000 characters"),
        ({"prompt_carry": "bell\x07"}, "prompt_carry", "invisible control characters"),
        ({"bp_before_systolic": "120"}, "bp_before_diastolic", BOTH),
        ({"bp_after_diastolic": "80"}, "bp_after_systolic", BOTH),
        (reading("before", "59", "40"), "bp_before_systolic", SYSTOLIC),
        (reading("after", "261", "90"), "bp_after_systolic", SYSTOLIC),
        (reading("before", "120", "29"), "bp_before_diastolic", DIASTOLIC),
        (reading("before", "200", "161"), "bp_before_diastolic", DIASTOLIC),
        (reading("before", "120.5", "80"), "bp_before_systolic", "Enter a whole number, like 120."),
        (reading("after", "１２０", "80"), "bp_after_systolic", "Enter a whole number, like 120."),
        (reading("after", "80", "80"), "bp_after_systolic", TOP_ABOVE),
        (reading("after", "70", "90"), "bp_after_systolic", TOP_ABOVE),
    ],
)
def test_bad_session(app, client, patient, data, field, message):
    kept = {"intention": "Stay curious", "reflection": "Kept 🌊 text", "prompt_noticed": "Warm ✋"}
    form = {**GOOD, "clinic": "Bay Clinic", **kept, **data}
    form = {k: v for k, v in form.items() if v is not None}
    response = client.post("/sessions/new", data=form)
    assert response.status_code == 400
    assert message in (error_for(response, field) or ""), error_for(response, field)
    for name, text in kept.items():
        if name not in data:
            assert text in response.text, name  # the person's words are still there
    assert 'value="Bay Clinic"' in response.text or "clinic" in data
    assert rows(app) == []


@pytest.mark.parametrize(
    ("when", "data", "named"),
    [("before", {"bp_before_systolic": "120"}, "Blood pressure before the dose: diastolic"),
     ("after", {"bp_after_diastolic": "80"}, "Blood pressure after the dose: systolic")],
)  # fmt: skip
def test_the_error_summary_says_which_blood_pressure_reading(client, patient, when, data, named):
    # Both readings' fields are labelled "Systolic (top number)" and "Diastolic (bottom
    # number)": the summary's link alone did not say which one to fix.
    response = client.post("/sessions/new", data={**GOOD, **data})
    assert response.status_code == 400
    summary = response.text[response.text.index('id="error-summary"') :]
    assert re.search(rf'<li><a href="#bp_{when}_\w+">{named} \((top|bottom) number\)</a>', summary)


def test_bad_input_keeps_every_answer_and_opens_its_section(app, client, patient):
    data = {
        **FULL,
        "started_at": "2025-03-01T09:30",
        "dose_mg": "7,5",
        "dose_mg_per_kg": "0,125",
        "side_effects": ["dizziness", "other"],
        "side_effects_other": "ringing ears",
        "bp_after_systolic": "",  # half a reading: the one error
        "private": "y",
    }
    response = client.post("/sessions/new", data=data)
    assert response.status_code == 400
    page = response.text
    assert error_for(response, "bp_after_systolic") == BOTH
    assert 'value="2025-03-01T09:30"' in page
    assert re.search(r'checked id="product-0"[^>]*value="ketamine"', page)
    assert '<option selected value="iv">' in page
    assert 'value="7,5"' in page and 'value="0,125"' in page and 'value=" 70 "' in page
    assert re.search(r'name="mood_before" value="3" checked', page)
    assert re.search(r'name="dissociation" value="0" checked', page)
    checked = re.findall(
        r'checked id="side_effects-\d+" name="side_effects"[^>]*value="(\w+)"', page
    )
    assert checked == ["dizziness", "other"]
    assert 'value="ringing ears"' in page
    assert 'value="85"' in page  # the other half of the reading
    for text in ("Be open\nto what comes", "Line one\nLine two", "The light", "Patience"):
        assert text in page
    assert re.search(r'checked id="private" name="private"', page)
    # Every optional part that holds an answer or an error is open.
    assert page.count('<details class="more" open>') == 4
    assert rows(app) == []


def test_huge_texts_refused_and_kept(app, client, patient):
    reflection, answer = "ü" * 20_001, "心" * 5_001
    response = post(client, reflection=reflection, prompt_carry=answer)
    assert response.status_code == 400
    assert "yours has 20,001" in error_for(response, "reflection")
    assert "yours has 5,001" in error_for(response, "prompt_carry")
    assert reflection in response.text and answer in response.text
    assert rows(app) == []


def test_texts_at_their_limits_count_line_breaks_once(app, client, patient):
    reflection = ("a" * 99 + "\r\n") * 200  # 20,000 characters once CRLF counts as one
    answer = ("b" * 49 + "\r\n") * 100  # 5,000
    assert post(client, reflection=reflection, prompt_stood_out=answer).status_code == 302
    (row,) = rows(app)
    assert len(row["reflection"]) == 20_000
    assert len(json.loads(row["prompts"])["stood_out"]) == 5_000


def test_body_over_2mb_is_413(app, client, patient):
    response = post(client, reflection="x" * (2 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert rows(app) == []


def test_future_time_refused(app, client, auth):
    auth.register(timezone="America/Los_Angeles")
    later = clock.now().astimezone(ZoneInfo("America/Los_Angeles")) + timedelta(hours=2)
    typed = later.strftime("%Y-%m-%dT%H:%M")
    response = post(client, started_at=typed, reflection="not yet")
    assert response.status_code == 400
    assert "still to come" in error_for(response, "started_at")
    assert f'value="{typed}"' in response.text and "not yet" in response.text
    assert rows(app) == []


@pytest.mark.parametrize("typed", ["9999-12-31T23:59", "9999-12-31T19:00"])
def test_a_time_past_the_last_utc_year_is_still_to_come(app, client, auth, typed):
    # West of UTC, the last evening of year 9999 is year 10000 in UTC: an OverflowError (a
    # 500) before, rather than the message for a time still to come.
    auth.register(timezone="America/New_York")
    response = post(client, started_at=typed, reflection="not yet")
    assert response.status_code == 400
    assert "still to come" in error_for(response, "started_at")
    assert f'value="{typed}"' in response.text and "not yet" in response.text
    assert rows(app) == []


def test_future_is_relative_to_the_persons_own_zone(app, client, auth):
    # Honolulu (UTC-10) is a day behind Kiritimati (UTC+14) on the clock on the wall.
    honolulu_now = clock.now().astimezone(ZoneInfo("Pacific/Honolulu")).strftime("%Y-%m-%dT%H:%M")
    kiritimati_now = (
        clock.now().astimezone(ZoneInfo("Pacific/Kiritimati")).strftime("%Y-%m-%dT%H:%M")
    )
    auth.register(email="hono@example.com", timezone="Pacific/Honolulu")
    assert "still to come" in error_for(post(client, started_at=kiritimati_now), "started_at")
    auth.logout()
    auth.register(email="kiri@example.com", timezone="Pacific/Kiritimati")
    assert post(client, started_at=honolulu_now).status_code == 302
    assert len(rows(app)) == 1


def test_time_the_clocks_skip_is_refused(app, client, auth):
    auth.register(timezone="America/Los_Angeles")
    response = post(client, started_at="2025-03-09T02:30")  # clocks jump from 02:00 to 03:00
    assert response.status_code == 400
    assert "does not exist in your time zone" in error_for(response, "started_at")
    assert rows(app) == []


# Viewing ------------------------------------------------------------------------------------


def test_a_sessions_window_is_not_said_to_be_cut_short_when_no_session_followed(client, patient):
    # The page said "cut short by the next one" of every session, the latest too.
    session(client, (TODAY - timedelta(days=3)).isoformat())
    page = client.get("/sessions/1").text
    assert "or fewer if the next session comes sooner" in page
    assert "cut short" not in page


def test_detail_shows_everything(client, auth):
    auth.register(timezone="America/Los_Angeles")
    client.post("/sessions/new", data={**FULL, "side_effects_other": "ringing ears"})
    response = client.get("/sessions/1")
    assert response.status_code == 200
    page = response.text
    assert "Session #1" in page
    assert '<time datetime="2025-03-02T04:15:00+00:00">Sat 1 Mar 2025, 20:15</time>' in page
    assert shown(page, "Medicine") == "Ketamine (racemic)"
    assert shown(page, "How it was given") == "IV infusion"
    assert shown(page, "Dose") == "35 mg (0.5 mg/kg)"
    assert shown(page, "Body weight") == "70 kg"
    assert shown(page, "Mood before") == "3 / 10"
    assert shown(page, "Mood after") == "6 / 10"
    assert "not a validated scale" in page and "0 / 10" in page
    assert '118/76 <span class="unit">mmHg</span>' in page
    assert '135/85 <span class="unit">mmHg</span>' in page
    assert shown(page, "Clinic or setting") == "Bay Clinic"
    assert '<div class="reflection">Be open\nto what comes</div>' in page
    assert '<span class="chip">Nausea</span> <span class="chip">Headache</span>' in page
    assert '<span class="chip">ringing ears</span>' in page
    assert '<div class="reflection">Line one\nLine two</div>' in page
    assert "<h3>What stood out most?</h3>" in page and "The light" in page
    assert "<h3>What would you like to carry into the coming days?</h3>" in page
    assert "What did you notice in your body or feelings?" not in page  # skipped
    assert "Private: only you see this" in page
    assert 'href="/sessions/1/edit"' in page and 'href="/sessions/1/delete"' in page
    assert "Baseline not established yet" in page
    assert shown(page, "Mean mood, days 1–7") == NOT_ENOUGH
    assert shown(page, "Check-ins in the window") == "0"
    assert "nan<" not in page.lower()


def test_empty_list(client, patient):
    response = client.get("/sessions")
    assert response.status_code == 200
    assert "No sessions yet" in response.text
    assert 'href="/sessions/new"' in response.text


def test_numbering_follows_start_time(client, patient):
    post(client, started_at="2025-02-01T10:00")  # id 1
    post(client, started_at="2025-03-01T10:00")  # id 2
    response = post(client, started_at="2025-01-15T10:00")  # id 3, the earliest
    assert "Saved session #1," in client.get(response.location).text
    post(client, started_at="2025-03-01T08:00")  # id 4: same day as id 2, earlier
    listed = re.findall(
        r'<a href="/sessions/(\d+)">Session #(\d+)</a>', client.get("/sessions").text
    )
    assert listed == [("2", "4"), ("4", "3"), ("1", "2"), ("3", "1")]  # newest first
    for session_id, number in listed:
        assert f"<h1>Session #{number} " in client.get(f"/sessions/{session_id}").text
    # Deleting the first renumbers the rest.
    client.post("/sessions/3/delete")
    assert "<h1>Session #1 " in client.get("/sessions/1").text


def test_list_shows_window_figures(client, patient):
    # Baseline: days -14..-1 before the first session (10 Jan): moods 4, 5, 6 -> 5.0.
    for day, mood in (("2025-01-03", 4), ("2025-01-05", 5), ("2025-01-07", 6)):
        check_in(client, day, mood)
    check_in(client, "2025-01-10", 9)  # day 0: not a window day
    # Window days 1, 2, 4, 5, 7: moods 7, 8, 8, 4, 6.
    for day, mood in (
        ("2025-01-11", 7),
        ("2025-01-12", 8),
        ("2025-01-14", 8),
        ("2025-01-15", 4),
        ("2025-01-17", 6),
    ):
        check_in(client, day, mood)
    check_in(client, "2025-01-18", 3)  # day 8: after a 7-day window
    post(client, started_at="2025-01-10T10:00", mood_before="4", mood_after="7")
    post(client, started_at="2025-03-01T10:00")  # no check-ins around it at all
    page = client.get("/sessions")
    assert "Your baseline mood is <strong>5.0</strong>" in page.text
    newest, first = cards(page)
    assert "Session #2" in newest and "Session #1" in first
    # Mean 33 / 5 = 6.6; change 6.6 - 5.0; best day 8 - 5 on day 2 (day 4 ties, the earlier
    # wins); 4 of the 5 window days are above 5.0 (the 4 is not).
    assert shown(first, "Mean mood, days 1–7") == "6.6"
    assert shown(first, "Change from baseline") == "+1.6"
    assert shown(first, "Best day against baseline") == "+3.0 on day 2"
    assert shown(first, "Days above baseline") == "4 of 5"
    assert shown(first, "Check-ins in the window") == "5"
    assert "not enough data" not in first
    assert "Mood 4" in first and "7<span" in first
    for term in (
        "Mean mood, days 1–7",
        "Change from baseline",
        "Best day against baseline",
        "Days above baseline",
    ):
        assert shown(newest, term) == NOT_ENOUGH
    assert shown(newest, "Check-ins in the window") == "0"
    # The session's own page: the same figures, and the level it came in at (days -3..-1).
    detail = client.get("/sessions/1").text
    assert shown(detail, "Mood, 3 days before") == "6.0"
    assert shown(detail, "Change from baseline") == "+1.6"


def test_window_figures_without_a_baseline(client, patient):
    check_in(client, "2025-01-05", 5)
    check_in(client, "2025-01-07", 6)  # only two days before the session
    check_in(client, "2025-01-11", 7)
    post(client, started_at="2025-01-10T10:00")
    page = client.get("/sessions").text
    assert (
        "Baseline not established yet: it needs at least 3 check-ins in the 14 days before "
        "your first session" in page
    )
    (card,) = cards(client.get("/sessions"))
    assert shown(card, "Mean mood, days 1–7") == "7.0"
    assert shown(card, "Change from baseline") == NOT_ENOUGH
    assert shown(card, "Days above baseline") == NOT_ENOUGH


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.6, "+1.6"), (-0.5, "\u22120.5"), (-0.04, "0.0"), (0.0, "0.0"), (2.96, "+3.0")],
)
def test_signed(value, text):
    assert signed(value) == text


def test_figure_text_keeps_none_as_none():
    empty = {
        "pre_level": None,
        "window_mean": None,
        "change": None,
        "peak_change": None,
        "peak_day": None,
        "days_above_baseline": None,
        "n_checkins": 0,
    }
    assert figure_text(empty) == {
        "pre_level": None,
        "window_mean": None,
        "change": None,
        "peak_change": None,
        "days_above_baseline": None,
        "n_checkins": "0",
        "days": None,
    }


@pytest.mark.parametrize(
    ("data", "shown_panel"),
    [
        ({"mood_after": "2"}, True),
        ({"mood_before": "0"}, True),
        ({"mood_before": "1", "mood_after": "5"}, False),  # the latest rating counts
        ({"mood_after": "3"}, False),
        ({}, False),
    ],
)
def test_crisis_resources_after_a_very_low_mood(app, client, patient, data, shown_panel):
    response = post(client, **data)
    assert response.status_code == 302  # saved all the same
    page = client.get(response.location).text
    assert ('id="crisis-resources"' in page) is shown_panel
    assert 'id="crisis-resources"' not in client.get(response.location).text  # once
    assert len(rows(app)) == 1


def test_new_form_starts_from_the_last_session(client, patient):
    post(client, product="ketamine", route="iv", dose_mg="35", clinic="Bay Clinic", mood_after="7")
    page = client.get("/sessions/new").text
    assert "filled in from your last session" in page
    assert re.search(r'checked id="product-0"[^>]*value="ketamine"', page)
    assert '<option selected value="iv">' in page
    assert 'name="dose_mg" type="text" value="35"' in page
    assert 'value="Bay Clinic"' in page
    assert " checked" not in re.search(r'name="mood_after".*?</fieldset>', page, re.S).group(0)


# Editing and deleting ----------------------------------------------------------------------


def test_edit(app, client, auth):
    auth.register(timezone="America/Los_Angeles")
    client.post("/sessions/new", data=FULL)
    created = rows(app)[0]["created_at"]
    page = client.get("/sessions/1/edit")
    assert page.status_code == 200
    assert 'value="2025-03-01T20:15"' in page.text  # shown in the person's own time
    assert re.search(r'checked id="product-0"[^>]*value="ketamine"', page.text)
    assert re.findall(r'checked id="side_effects-\d+"[^>]*value="(\w+)"', page.text) == [
        "nausea",
        "headache",
    ]
    assert "The light" in page.text and "Patience" in page.text
    response = client.post(
        "/sessions/1/edit",
        data={
            **FULL,
            "started_at": "2025-03-01T21:00",
            "product": "esketamine",
            "route": "intranasal",
            "dose_mg": "84",
            "dose_mg_per_kg": "",
            "side_effects": [],
            "prompt_stood_out": "",
            "prompt_noticed": "Calm",
            "private": None,
        },
    )
    assert response.status_code == 302 and response.location == "/sessions/1"
    (row,) = rows(app)
    assert row["started_at"] == "2025-03-02T05:00:00+00:00" and row["day"] == "2025-03-01"
    assert (row["product"], row["route"], row["dose_mg"]) == ("esketamine", "intranasal", 84)
    assert row["dose_mg_per_kg"] is None and row["side_effects"] == ""
    assert json.loads(row["prompts"]) == {"noticed": "Calm", "carry": "Patience"}
    assert row["private"] == 0
    assert row["created_at"] == created and row["updated_at"] >= created
    assert "Updated session #1" in client.get("/sessions/1").text


def test_edit_shows_the_time_in_the_persons_current_zone(app, client, auth):
    auth.register(timezone="America/Los_Angeles")
    post(client, started_at="2025-03-01T20:15")  # 04:15 UTC on 2 March
    with app.app_context():  # the person moves to Kiritimati (UTC+14)
        get_db()["users"].update(1, {"timezone": "Pacific/Kiritimati"})
    assert 'value="2025-03-02T18:15"' in client.get("/sessions/1/edit").text


def test_edit_bad_input_keeps_stored_row(app, client, patient):
    post(client, reflection="before")
    response = post(client, "/sessions/1/edit", route="teleport", reflection="new words")
    assert response.status_code == 400
    assert error_for(response, "route") == "Choose how it was given from the list."
    assert "new words" in response.text
    (row,) = rows(app)
    assert (row["route"], row["reflection"]) == ("intranasal", "before")


def test_delete_asks_first(app, client, patient):
    post(client, reflection="gone soon")
    confirm = client.get("/sessions/1/delete")
    assert confirm.status_code == 200
    assert "can't be undone" in confirm.text and "Delete session #1?" in confirm.text
    assert len(rows(app)) == 1
    response = client.post("/sessions/1/delete")
    assert response.status_code == 302 and response.location == "/sessions"
    assert rows(app) == []
    assert "Deleted session #1 of Saturday 1 March 2025." in client.get("/sessions").text
    assert client.get("/sessions/1").status_code == 404


@pytest.mark.parametrize(
    ("words", "erased"),
    [
        ({}, "dose, ratings and side effects"),
        ({"intention": "To meet my father again."}, "dose, ratings, side effects and intention"),
        (
            {"intention": "To meet my father again.", "reflection": "He smiled."},
            "dose, ratings, side effects, intention, reflection and answers",
        ),
        ({"reflection": "He smiled."}, "dose, ratings, side effects, reflection and answers"),
    ],
    ids=["no words", "intention", "intention and reflection", "reflection"],
)
def test_delete_names_the_words_it_erases(client, patient, words, erased):
    """A session logged with its intention alone ("What you hoped to explore", written before
    the dose): the page asking first listed dose, ratings and side effects, as if none of the
    person's words would go (and "dose, ratings, side effects will be gone", without "and")."""
    post(client, **words)
    confirm = client.get("/sessions/1/delete").text
    assert f"Its {erased} will be gone for good" in confirm


def first_session_note(client, session_id):
    """The words of a delete page's note that the session is the first, or None."""
    page = client.get(f"/sessions/{session_id}/delete")
    found = re.search(r'<p class="note" id="first-session-note">(.*?)</p>', page.text, re.S)
    return found and " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


def test_deleting_the_first_session_says_the_treatment_baselines_move(app, client, patient):
    """Every baseline (mood, PHQ-9, GAD-7) is measured up to the first session's day: deleting
    it moved them to the next session's, where a PHQ-9 taken during treatment could become
    the baseline and a response vanish, while the page only said sessions are renumbered."""
    early, later = (
        (TODAY - timedelta(days=20)).isoformat(),
        (TODAY - timedelta(days=10)).isoformat(),
    )
    session(client, early)
    session(client, later)
    second = day_text(datetime.fromisoformat(later).date(), "short_year")
    note = first_session_note(client, 1)
    assert note.startswith("This is your first session: your baselines")
    assert f"session #2 of {second} becomes the first" in note
    assert first_session_note(client, 2) is None
    # Another session on the first one's day: the baselines stay where they are.
    session(client, early, started_at=f"{early}T18:00")
    assert first_session_note(client, 1) is None
    client.post("/sessions/3/delete")
    client.post("/sessions/2/delete")
    assert "no session is left, so there is no treatment baseline" in first_session_note(client, 1)


# Two people never see each other's sessions ------------------------------------------------


def test_another_persons_session_is_404(app, client, auth):
    auth.register(email="one@example.com")
    post(client, reflection="one's secret", clinic="One's clinic")
    auth.logout()
    auth.register(email="two@example.com")
    listing = client.get("/sessions").text
    assert "No sessions yet" in listing and "secret" not in listing
    assert client.get("/sessions/1").status_code == 404
    assert client.get("/sessions/1/edit").status_code == 404
    assert post(client, "/sessions/1/edit", reflection="overwritten").status_code == 404
    assert client.get("/sessions/1/delete").status_code == 404
    assert client.post("/sessions/1/delete").status_code == 404
    (row,) = rows(app)
    assert (row["user_id"], row["reflection"]) == (1, "one's secret")
    # Their own first session is their #1.
    response = post(client, started_at="2025-01-01T09:00")
    assert "Saved session #1," in client.get(response.location).text


@pytest.mark.parametrize("session_id", ["999", "0"])
def test_missing_session_is_404(client, patient, session_id):
    post(client)
    for url in (f"/sessions/{session_id}", f"/sessions/{session_id}/edit"):
        assert client.get(url).status_code == 404
    assert client.get(f"/sessions/{session_id}/delete").status_code == 404
    assert client.post(f"/sessions/{session_id}/delete").status_code == 404
    assert post(client, f"/sessions/{session_id}/edit").status_code == 404


@pytest.mark.parametrize("path", ["/sessions/abc", "/sessions/-1", "/sessions/1.5/edit"])
def test_malformed_id_is_404(client, patient, path):
    post(client)
    assert client.get(path).status_code == 404


def test_side_effects_stored_with_spaces_are_read(app, client, patient):
    post(client)
    with app.app_context():  # as seed-demo writes them
        get_db()["sessions"].update(1, {"side_effects": "dizziness, nausea"})
    assert '<span class="chip">Dizziness or vertigo</span>' in client.get("/sessions/1").text
    page = client.get("/sessions/1/edit").text
    assert re.findall(r'checked id="side_effects-\d+"[^>]*value="(\w+)"', page) == [
        "nausea",
        "dizziness",
    ]


def test_new_session_suggests_a_phq9_when_none_this_week(app, client, patient):
    assert "No PHQ-9 in the last week" in client.get("/sessions/new").text
    client.post("/assessments/phq9", data={"date": clock.now().date().isoformat(),
                **{f"q{n}": "1" for n in range(1, 10)}})  # fmt: skip
    assert "No PHQ-9 in the last week" not in client.get("/sessions/new").text


# Every pattern that reads a form field answers promptly at the largest field accepted (a
# URL-encoded form's field is held back only by the 2 MB body limit), with its message.
FIELD_MAX = 2_000_000  # bytes, URL-encoded


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("started_at", "2025-03-01T" + "0" * FIELD_MAX),
        ("started_at", "2" * FIELD_MAX),
        ("dose_mg", "1" * FIELD_MAX),
        ("dose_mg", "1." + "0" * FIELD_MAX),
        ("dose_mg", "1,000" * (FIELD_MAX // 7)),  # a comma is sent as %2C
        ("weight_kg", "-" + "9" * FIELD_MAX),
        ("bp_before_systolic", "1" * FIELD_MAX),
        ("mood_after", "7" * FIELD_MAX),
        ("reflection", "a\x01" * (FIELD_MAX // 4)),
    ],
)
def test_hostile_fields_answer_promptly(app, client, patient, field, value):
    started = time.perf_counter()
    response = post(client, **{field: value})
    assert time.perf_counter() - started < 5  # a hang guard
    assert response.status_code == 400
    assert error_for(response, field)
    assert rows(app) == []


# A day holds at most four sessions: one person's history, and every window built from it,
# stays bounded.
FULL_DAY = "This day already has 4 sessions, the most one day can hold; edit or delete one of them"


def test_a_day_holds_at_most_four_sessions(app, client, patient):
    for hour in range(4):
        assert post(client, started_at=f"2025-03-01T0{hour}:30").status_code == 302
    response = post(client, started_at="2025-03-01T23:30", reflection="kept")
    assert response.status_code == 400
    assert FULL_DAY in error_for(response, "started_at")
    assert "kept" in response.text
    assert len(rows(app)) == 4
    assert post(client, started_at="2025-03-02T00:30").status_code == 302  # the next day is open


def test_a_double_tap_on_the_days_last_session_is_saved_once_and_no_error(app, client, patient):
    """The fourth session of a day, Save tapped twice (or the page reloaded): the second send
    answered 400 "This day already has 4 sessions" under the session it had just saved."""
    for hour in range(3):
        assert post(client, started_at=f"2025-03-01T0{hour}:30").status_code == 302
    key = hidden(client.get("/sessions/new"), "request_key")
    first = post(client, started_at="2025-03-01T23:30", request_key=key)
    second = post(client, started_at="2025-03-01T23:30", request_key=key)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert "already saved" in client.get(second.location).text
    assert len(rows(app)) == 4
    # A new form for that day is still refused.
    response = post(client, started_at="2025-03-01T22:30")
    assert response.status_code == 400
    assert FULL_DAY in error_for(response, "started_at")


def test_a_session_cannot_be_moved_onto_a_full_day_but_edits_on_its_own_day(app, client, patient):
    for hour in range(4):
        assert post(client, started_at=f"2025-03-01T0{hour}:30").status_code == 302
    other = post(client, started_at="2025-03-02T09:30").location
    moved = post(client, url=f"{other}/edit", started_at="2025-03-01T10:00")
    assert moved.status_code == 400
    assert FULL_DAY in error_for(moved, "started_at")
    first = rows(app)[0]["id"]
    kept = post(client, url=f"/sessions/{first}/edit", started_at="2025-03-01T05:00")
    assert kept.status_code == 302


def test_a_window_cut_short_says_which_days_it_had(client, patient):
    """Hand-computed: baseline 3, 4, 3, 3 -> 3.25 (3.3). #1 on 10 Jan has days 1-5 before
    #2 on 16 Jan: moods 5, 7, 7, 2 on days 1, 2, 4, 5 -> 5.25 (5.3), +2.0, best 7 - 3.3 on
    day 2. #2 has no day after it (#3 the next day); #3 at 09:00 none either (#4 at 18:00 the
    same day); #4 has its full 7 days."""
    for day, mood in (("2024-12-27", 3), ("2024-12-31", 4), ("2025-01-04", 3), ("2025-01-09", 3)):
        check_in(client, day, mood)
    for day, mood in (("2025-01-11", 5), ("2025-01-12", 7), ("2025-01-14", 7), ("2025-01-15", 2)):
        check_in(client, day, mood)
    for started in ("2025-01-10T10:00", "2025-01-16T10:00", "2025-01-17T09:00", "2025-01-17T18:00"):
        assert post(client, started_at=started).status_code == 302
    fourth, third, second, first = cards(client.get("/sessions"))
    assert shown(first, "Mean mood, days 1–5 (cut short)") == "5.3"
    assert shown(first, "Change from baseline") == "+2.0"
    assert shown(first, "Best day against baseline") == "+3.7 on day 2"
    assert shown(first, "Days above baseline") == "3 of 4"
    assert shown(second, "Mean mood, no days (the next session was the next day)") == NOT_ENOUGH
    assert shown(third, "Mean mood, no days (another session followed the same day)") == (
        NOT_ENOUGH
    )
    assert shown(fourth, "Mean mood, days 1–7") == NOT_ENOUGH
    detail = client.get("/sessions/1").text
    assert shown(detail, "Mean mood, days 1–5 (cut short)") == "5.3"
    assert "days 1–7" not in detail.split('id="window-title"')[1].split("</dl>")[0]


# Two tabs (or devices), a deleted session, a double tap: nothing typed is lost, nothing is
# stored twice. The same mechanism as the check-in's (fields.answers_version).


def hidden(response, name):
    """The value of the hidden field `name` on a page."""
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', response.text)
    return html.unescape(match[1])


def checked(response, scale):
    """The value checked on a 0-10 scale on a page, or None."""
    match = re.search(rf'name="{scale}" value="(\d+)" checked', response.text)
    return match and match[1]


def shown_text(response, field):
    """The text a text area shows on a page."""
    text = r"(?:\r?\n)?([^<]*)</textarea>"
    match = re.search(rf'<textarea[^>]*id="{field}"[^>]*>{text}', response.text)
    return html.unescape(match[1])


def test_a_json_edit_saved_elsewhere_meanwhile_keeps_its_answers(app, client, patient):
    # The answers put back on the page were read from request.form, which a JSON body leaves
    # empty: the mood typed in this tab was lost.
    post(client, reflection="first words", mood_after="6")
    version = hidden(client.get("/sessions/1/edit"), "loaded_version")
    elsewhere = post(client, "/sessions/1/edit", reflection="saved elsewhere", mood_after="6")
    assert elsewhere.status_code == 302
    sent = {**GOOD, "mood_after": "3", "reflection": "first words", "loaded_version": version}
    response = client.post("/sessions/1/edit", json=sent)
    assert response.status_code == 400
    assert "was saved elsewhere (another tab or device)" in html.unescape(response.text)
    assert checked(response, "mood_after") == "3"
    (row,) = rows(app)
    assert (row["mood_after"], row["reflection"]) == (6, "saved elsewhere")


def test_a_session_saved_in_another_tab_is_never_overwritten(app, client, patient):
    """Tab one adds to the reflection and saves; tab two, opened before, changes only the mood
    after: tab one's words are kept, tab two sees them with its mood on top, then saves both."""
    post(client, reflection="first words", mood_after="6", clinic="Northside")
    first, second = client.get("/sessions/1/edit"), client.get("/sessions/1/edit")
    assert hidden(first, "loaded_version") == hidden(second, "loaded_version") != ""
    sent = {"clinic": "Northside", "mood_after": "6", "reflection": "first words"}
    saved = post(client, "/sessions/1/edit", **{**sent, "reflection": "first words, and more",
                 "loaded_version": hidden(first, "loaded_version")})  # fmt: skip
    assert saved.status_code == 302
    response = post(client, "/sessions/1/edit", **{**sent, "mood_after": "3",
                    "loaded_version": hidden(second, "loaded_version")})  # fmt: skip
    assert response.status_code == 400
    assert "was saved elsewhere (another tab or device)" in html.unescape(response.text)
    (row,) = rows(app)
    assert (row["mood_after"], row["reflection"]) == (6, "first words, and more")
    assert checked(response, "mood_after") == "3"
    assert shown_text(response, "reflection") == "first words, and more"
    again = post(client, "/sessions/1/edit", **{**sent, "mood_after": "3",
                 "reflection": shown_text(response, "reflection"),
                 "loaded_version": hidden(response, "loaded_version")})  # fmt: skip
    assert again.status_code == 302
    (row,) = rows(app)
    assert (row["mood_after"], row["reflection"], row["clinic"]) == (
        3, "first words, and more", "Northside"
    )  # fmt: skip


def test_session_words_saved_in_another_tab_are_shown_beside_the_words_typed_over_them(
    app, client, patient
):
    """Both tabs changed the reflection: the second sees its words in the box and the first
    tab's saved ones beside them (they were hidden, and lost by saving again)."""
    from test_checkins import replaced_words

    post(client, reflection="Base.")
    first, second = client.get("/sessions/1/edit"), client.get("/sessions/1/edit")
    one = "Base. Tab one's long paragraph."
    saved = post(client, "/sessions/1/edit", reflection=one,
                 loaded_version=hidden(first, "loaded_version"))  # fmt: skip
    assert saved.status_code == 302
    response = post(client, "/sessions/1/edit", reflection="Base. Tab two.",
                    loaded_version=hidden(second, "loaded_version"))  # fmt: skip
    assert response.status_code == 400
    assert shown_text(response, "reflection") == "Base. Tab two."
    assert replaced_words(response) == {"Reflection": one}
    (row,) = rows(app)
    assert row["reflection"] == one


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        (("69.85322", "34.926610", "0.5"), ("69.85322", "34.92661", "0.5")),
        (("70", "0.00001", "0.000000143"), ("70", "0.00001", "0.000000143")),
        (("70.0", "56", "0.8"), ("70", "56", "0.8")),
    ],
)
def test_an_edit_saved_unchanged_keeps_every_digit_of_each_number(
    app, client, patient, typed, shown
):
    """The edit form showed numbers to six significant digits ("{:g}"): saving it with only the
    reflection changed rounded a weight of 69.85322 kg to 69.8532, and a dose of 0.00001 mg
    came back as "1e-05", which the form then refused."""
    from test_checkins import shown_value

    names = ("weight_kg", "dose_mg", "dose_mg_per_kg")
    assert post(client, **dict(zip(names, typed, strict=True))).status_code == 302
    (before,) = rows(app)
    page = client.get("/sessions/1/edit")
    assert tuple(shown_value(page, name) for name in names) == shown
    version = hidden(page, "loaded_version")
    edited = post(client, "/sessions/1/edit", **dict(zip(names, shown, strict=True)),
                  reflection="added later", loaded_version=version)  # fmt: skip
    assert edited.status_code == 302, edited.text
    (after,) = rows(app)
    assert [after[name] for name in names] == [before[name] for name in names]
    assert after["reflection"] == "added later"


@pytest.mark.parametrize(
    ("dose", "per_kg", "weight", "worked_out"),
    [("350", "0.5", "70", "35"), ("3.5", "0.5", "70", "35"), ("70", "0.5", "35", None),
     ("56", "0.5", "70", "35")],
)  # fmt: skip
def test_a_dose_that_disagrees_with_its_dose_by_weight_is_asked_about(
    app, client, patient, dose, per_kg, weight, worked_out
):
    """350 mg given with 0.5 mg/kg for 70 kg (35 mg) was stored and shown to the clinician as
    '350 mg (0.5 mg/kg)': a slipped decimal point passed without a word."""
    response = post(client, dose_mg=dose, dose_mg_per_kg=per_kg, weight_kg=weight)
    if worked_out is None:  # 0.5 mg/kg for 35 kg is 17.5 mg: 70 mg is four times that
        assert response.status_code == 400
        assert "0.5 mg/kg for 35 kg is 17.5 mg, not 70 mg" in response.text
    else:
        assert response.status_code == 400
        assert f"0.5 mg/kg for 70 kg is {worked_out} mg, not {dose} mg" in response.text
        assert 'id="dose_mg-error"' in response.text
        assert f'value="{dose}"' in response.text  # kept to correct
    assert rows(app) == []


@pytest.mark.parametrize(
    ("dose", "per_kg", "weight"),
    [("36.5", "0.5", "73"), ("35", "0.5", "73"), ("40", "0.5", "73"), ("56", "0.8", "70"),
     ("56", "", "70"), ("", "0.5", "70"), ("56", "0.5", "")],
)  # fmt: skip
def test_a_rounded_dose_or_one_without_all_three_numbers_saves(
    app, client, patient, dose, per_kg, weight
):
    response = post(client, dose_mg=dose, dose_mg_per_kg=per_kg, weight_kg=weight)
    assert response.status_code == 302, response.text
    assert len(rows(app)) == 1


def test_the_dose_message_writes_each_number_as_typed(client, patient):
    # "{:g}" rounded a weight of 69.85322 to 69.8532 and wrote 1,000 mg as "1e+03".
    response = post(client, dose_mg="56", dose_mg_per_kg="2.5", weight_kg="400")
    assert "2.5 mg/kg for 400 kg is 1000 mg, not 56 mg" in response.text
    response = post(client, dose_mg="350", dose_mg_per_kg="0.5", weight_kg="69.85322")
    assert "0.5 mg/kg for 69.85322 kg is 34.93 mg, not 350 mg" in response.text


def test_an_edit_leaving_disagreeing_stored_numbers_as_they_are_saves(app, client, patient):
    """A session stored before the dose check, its numbers disagreeing: an edit that only
    adds a reflection was refused for numbers it did not touch."""
    assert post(client, dose_mg="35", dose_mg_per_kg="0.5", weight_kg="70").status_code == 302
    with app.app_context():
        get_db().execute("update sessions set dose_mg = 350")
        get_db().conn.commit()
    page = client.get("/sessions/1/edit")
    version = hidden(page, "loaded_version")
    sent = {"dose_mg": "350", "dose_mg_per_kg": "0.5", "weight_kg": "70", "loaded_version": version}
    assert post(client, "/sessions/1/edit", reflection="added", **sent).status_code == 302
    assert rows(app)[0]["reflection"] == "added"
    # Changing one of them asks again.
    sent["loaded_version"] = hidden(client.get("/sessions/1/edit"), "loaded_version")
    response = post(client, "/sessions/1/edit", **{**sent, "weight_kg": "71"})
    assert response.status_code == 400
    assert "0.5 mg/kg for 71 kg is 35.5 mg, not 350 mg" in response.text


def test_an_unchanged_session_saves_its_form_and_a_double_tap_saves_it_once(app, client, patient):
    post(client, reflection="first words")
    version = hidden(client.get("/sessions/1/edit"), "loaded_version")
    for _ in range(2):  # the second is the same form sent again: already saved, no warning
        response = post(client, "/sessions/1/edit", mood_after="7", loaded_version=version)
        assert response.status_code == 302 and response.location == "/sessions/1"
    (row,) = rows(app)
    assert (row["mood_after"], row["reflection"]) == (7, "")


def test_an_edit_sent_after_the_session_was_deleted_keeps_the_words(app, client, patient):
    post(client, reflection="first words")
    version = hidden(client.get("/sessions/1/edit"), "loaded_version")
    client.post("/sessions/1/delete")
    response = post(client, "/sessions/1/edit", reflection="words typed meanwhile",
                    mood_after="4", loaded_version=version)  # fmt: skip
    assert response.status_code == 400
    assert "was deleted after you opened this form" in html.unescape(response.text)
    assert shown_text(response, "reflection") == "words typed meanwhile"
    assert checked(response, "mood_after") == "4"
    assert 'action="/sessions/new"' in response.text and rows(app) == []
    again = post(client, reflection="words typed meanwhile", mood_after="4",
                 request_key=hidden(response, "request_key"))  # fmt: skip
    assert again.status_code == 302
    (row,) = rows(app)
    assert (row["reflection"], row["mood_after"]) == ("words typed meanwhile", 4)


def test_a_double_tap_on_save_stores_one_session(app, client, patient):
    key = hidden(client.get("/sessions/new"), "request_key")
    first = post(client, reflection="once", request_key=key)
    second = post(client, reflection="once", request_key=key)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location == "/sessions/1"
    (row,) = rows(app)
    assert row["reflection"] == "once"
    assert "already saved" in client.get("/sessions/1").text


def test_a_double_tap_whose_first_answer_was_lost_still_shows_crisis_resources(
    app, client, patient
):
    # As for a check-in: a mood of 0-2 after the session brings the crisis panel, even when
    # the browser shows only the second tap's answer.
    key = hidden(client.get("/sessions/new"), "request_key")
    before = client.get_cookie("session").value
    post(client, mood_after="1", request_key=key)
    client.set_cookie("session", before)
    again = post(client, mood_after="1", request_key=key)
    page = client.get(again.location).text
    assert "already saved" in page and 'id="crisis-resources"' in page
    key = hidden(client.get("/sessions/new"), "request_key")
    post(client, mood_after="6", request_key=key)
    page = client.get(post(client, mood_after="6", request_key=key).location).text
    assert "already saved" in page and 'id="crisis-resources"' not in page


def test_a_new_form_sent_again_with_changes_edits_the_session_it_saved(app, client, patient):
    """Back after saving, a field changed, Save: the form's own session is shown for editing
    with the change on top, never a second session."""
    key = hidden(client.get("/sessions/new"), "request_key")
    post(client, reflection="once", request_key=key)
    response = post(client, reflection="once", mood_after="2", request_key=key)
    assert response.status_code == 400
    assert "already saved this session" in html.unescape(response.text)
    assert 'action="/sessions/1/edit"' in response.text
    assert checked(response, "mood_after") == "2"
    assert len(rows(app)) == 1 and rows(app)[0]["mood_after"] is None
    again = post(client, "/sessions/1/edit", reflection="once", mood_after="2",
                 loaded_version=hidden(response, "loaded_version"))  # fmt: skip
    assert again.status_code == 302
    (row,) = rows(app)
    assert row["mood_after"] == 2


@pytest.mark.parametrize("key", ["", "not a key!", "x" * 65])
def test_a_form_without_a_good_key_saves_as_before(app, client, patient, key):
    for _ in range(2):
        assert post(client, request_key=key).status_code == 302
    assert len(rows(app)) == 2


# The list is paginated as History is: 30 a page, newest first, numbers across all pages, and
# each session's window figures exactly those it has among all the person's sessions.


def add_history(app, count):
    """`count` sessions ending today (2 or 3 days apart, and a same-day pair now and then, so
    windows are cut short), a check-in on most days; the signed-in patient's id."""
    with app.app_context():
        db = get_db()
        user_id = db.execute("select id from users").fetchone()[0]
        today = clock.now().date()
        days, day = [], today
        for n in range(count):
            days.append(day)
            day -= timedelta(days=0 if n % 7 == 3 else 2 + n % 2)
        for n, day in enumerate(reversed(days)):
            db["sessions"].insert(
                {"user_id": user_id, "started_at": f"{day}T{8 + n % 2 * 4:02}:00:00+00:00",
                 "day": day.isoformat(), "product": "ketamine", "route": "iv",
                 "created_at": "2026-01-01T00:00:00+00:00",
                 "updated_at": "2026-01-01T00:00:00+00:00"}
            )  # fmt: skip
        span = (today - days[-1]).days + 20
        db["checkins"].insert_all(
            {"user_id": user_id, "day": (today - timedelta(days=n)).isoformat(),
             "mood": (n * 7) % 11, "created_at": "2026-01-01T00:00:00+00:00",
             "updated_at": "2026-01-01T00:00:00+00:00"}
            for n in range(span) if n % 5 != 2
        )  # fmt: skip
        db.conn.commit()
    return user_id


def all_cards(app, user_id):
    """{session id: (number, its window figures as the list drew them from all sessions)}."""
    from types import SimpleNamespace

    from journal import figures, timezones

    with app.test_request_context():
        person = SimpleNamespace(id=user_id, window_days=7)
        base, pairs = figures.window_figures(person)
        today = timezones.local_today("UTC")  # a window under way says "so far"
        labels = figures.window_labels([row for row, _ in pairs], 7, today)
        macro = app.jinja_env.get_template("sessions/_parts.html").module.window_figures
        numbered = enumerate(zip(pairs, labels, strict=True), start=1)
        return {
            row["id"]: (number, str(macro(figure_text(figures, base, days), 7)).strip())
            for number, ((row, figures), days) in numbered
        }


CARD = re.compile(
    r'aria-labelledby="session-(\d+)-title">.*?>Session #(\d+)</a>.*?'
    r'(<dl class="figures window-figures">.*?</dl>)',
    re.DOTALL,
)


def test_sessions_list_is_paginated_with_numbers_and_figures_of_all(app, client, patient):
    user_id = add_history(app, 65)
    expected = all_cards(app, user_id)
    assert len(expected) == 65
    listed = []
    for page in (1, 2, 3):
        response = client.get(f"/sessions?page={page}")
        assert response.status_code == 200
        cards = CARD.findall(response.text)
        assert len(cards) == (30 if page < 3 else 5)
        assert "65 sessions, newest first." in response.text
        assert f"Page {page} of 3" in response.text
        assert ('rel="next" href="/sessions?page=' in response.text) is (page < 3)
        assert ('rel="prev" href="/sessions?page=' in response.text) is (page > 1)
        for session_id, number, figures in cards:
            assert (int(number), figures) == expected[int(session_id)]
            listed.append(int(number))
    assert listed == list(range(65, 0, -1))  # newest first, every one once
    assert CARD.findall(client.get("/sessions").text) == CARD.findall(
        client.get("/sessions?page=1").text
    )
    assert client.get("/sessions?page=4").status_code == 404
    # A session's own page shows the same figures.
    for session_id, (number, figures) in list(expected.items())[::9]:
        page = client.get(f"/sessions/{session_id}").text
        assert f"Session #{number}" in page
        for line in re.findall(r"<div><dt>.*?</dd></div>", figures):
            assert line in page


@pytest.mark.parametrize("page", ["abc", "-1", "0", "", "+1", " 1", "1_0", "1.0", "٢", "２",
                                  str(10**30), "9" * 5000])  # fmt: skip
@pytest.mark.parametrize("url", ["/sessions", "/assessments", "/entries"])
def test_a_malformed_page_is_a_404(app, client, patient, url, page):
    add_history(app, 40)
    response = client.get(url, query_string={"page": page})
    assert response.status_code == 404
    assert client.get(url, query_string={"page": "1"}).status_code == 200


def test_an_edit_form_sent_for_someone_elses_session_shows_nothing_of_theirs(app, client, auth):
    """Treated as a session deleted meanwhile, so a 404 never tells "someone else's" from
    "deleted": the sender's own answers come back in a new-session form, nothing is stored."""
    auth.register(email="one@example.com")
    post(client, reflection="one's secret", clinic="One's clinic")
    auth.logout()
    auth.register(email="two@example.com")
    post(client, reflection="two's words")
    version = hidden(client.get("/sessions/2/edit"), "loaded_version")
    response = post(client, "/sessions/1/edit", reflection="typed by two", loaded_version=version)
    assert response.status_code == 400
    assert "secret" not in response.text and "One's clinic" not in response.text
    assert shown_text(response, "reflection") == "typed by two"
    assert [(r["user_id"], r["reflection"]) for r in rows(app)] == [
        (1, "one's secret"), (2, "two's words")
    ]  # fmt: skip


def test_a_form_sent_back_says_at_its_top_that_nothing_was_saved(client, patient):
    # The only mistake can be screens below on a phone, behind the sticky Save bar.
    response = post(client, dose_mg="5000", mood_before="11")
    assert response.status_code == 400
    summary = re.search(r'role="alert" id="error-summary">(.*?)</div>', response.text, re.S)
    assert summary, "no summary"
    assert "Nothing is saved yet" in summary.group(1)
    assert re.findall(r'href="#([^"]+)"', summary.group(1)) == ["dose_mg", "mood_before"]
    assert response.text.index('id="error-summary"') < response.text.index('id="started_at"')
    assert 'id="error-summary"' not in client.get("/sessions/new").text


def test_a_sessions_day_and_time_name_one_moment_after_a_zone_change(app):
    # Logged in Los Angeles at 23:30, seen after moving to Auckland (a day ahead): the list
    # and the page give the start's time with its own Auckland date, never the stored Los
    # Angeles day joined to an Auckland time (a moment a day off). The session's date is its
    # stored day, as its saved message and its figures have it (since 2026-12-04: the
    # heading named the Auckland date alone, which disagreed with both).
    client = person(app, "la@example.com", timezone="America/Los_Angeles")
    yesterday = TODAY - timedelta(days=1)
    session(client, yesterday.isoformat(), started_at=f"{yesterday}T23:30")
    moved = {"timezone": "Pacific/Auckland", "window_days": "7", "clinic_phone": ""}
    assert client.post("/settings", data=moved).status_code == 302
    logged = datetime.fromisoformat(f"{yesterday}T23:30").replace(
        tzinfo=ZoneInfo("America/Los_Angeles")
    )
    started = logged.astimezone(ZoneInfo("Pacific/Auckland"))
    shown = (
        rf"{yesterday:%a %-d %b %Y} \(started {started:%a %-d %b}, {started:%H:%M} "
        r"in your time zone now\)"
    )
    for path in ("/sessions", "/sessions/1"):
        assert re.search(rf"<time [^>]*>{shown}</time>", client.get(path).text), path
    assert (
        f'<span class="sub">{yesterday:%a %-d %b %Y}</span>' in client.get("/sessions/1/edit").text
    )


@pytest.mark.parametrize(
    ("moods", "shown"), [(("4", "1"), True), (("1", ""), True), (("1", "6"), False)]
)
def test_a_refused_session_with_a_latest_mood_of_0_to_2_shows_the_crisis_resources(
    client, patient, moods, shown
):
    """Refused for a mistake (half a blood-pressure reading), a session whose latest mood is
    0-2 came back with no resources."""
    before, after = moods
    response = post(client, mood_before=before, mood_after=after, bp_before_systolic="120")
    assert response.status_code == 400
    assert ('id="crisis-resources"' in response.text) is shown


def test_sessions_are_numbered_in_date_order_after_a_move_west(app):
    """A session dated 10 February in Auckland (20:00 UTC on the 9th), then, after a move to
    Los Angeles, one dated 9 February (22:00 UTC on the 9th): by date the second is the
    first session, which ends the baseline and is #1 in the list, the pages and the trend."""
    clock.set(datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("UTC")))
    pat = person(app, "pat@example.com", timezone="Pacific/Auckland")
    for day, mood in [("01", 3), ("03", 3), ("05", 3), ("09", 9), ("11", 7)]:
        checkin(pat, f"2026-02-{day}", mood)
    session(pat, "2026-02-10", started_at="2026-02-10T09:00", clinic="Auckland Clinic")
    moved = {"timezone": "America/Los_Angeles", "window_days": "7", "clinic_phone": ""}
    assert pat.post("/settings", data=moved).status_code == 302
    session(pat, "2026-02-09", started_at="2026-02-09T14:00", clinic="LA Clinic")
    with app.app_context():
        stored = get_db().execute("select id, day, started_at from sessions order by id")
        assert [tuple(r) for r in stored] == [
            (1, "2026-02-10", "2026-02-09T20:00:00+00:00"),
            (2, "2026-02-09", "2026-02-09T22:00:00+00:00"),
        ]

    summary = pat.get("/progress/summary.json").json
    assert summary["baseline"] == 3.0  # the 14 days before 9 February: 3, 3 and 3
    assert [s["date"] for s in summary["sessions"]] == ["2026-02-09", "2026-02-10"]
    listed = pat.get("/sessions").text
    assert listed.index("/sessions/1") < listed.index("/sessions/2")  # newest (10 Feb) first
    assert "Session #1" in pat.get("/sessions/2").text
    assert "Session #2" in pat.get("/sessions/1").text
    # A new session's form carries over the session given last, not the last by date.
    assert 'value="LA Clinic"' in pat.get("/sessions/new").text


def test_back_after_a_delete_says_the_session_is_gone(client, patient):
    post(client)
    assert client.post("/sessions/1/delete").status_code == 302
    for path in ("/sessions/1", "/sessions/1/edit", "/sessions/1/delete", "/sessions/99"):
        response = client.get(path)
        assert response.status_code == 404
        assert "This session is not in your journal: it may have been deleted." in response.text


def test_a_session_that_is_gone_links_to_sessions(client, patient):
    post(client)
    assert client.post("/sessions/1/delete").status_code == 302
    response = client.get("/sessions/1")
    assert response.status_code == 404
    assert '<a href="/sessions">Go to Sessions</a>' in response.text


def test_doses_and_weight_are_shown_to_their_last_digit(app, client, patient):
    """A weight of 69.85322 kg read "69.8532 kg" on the session's page, and a dose of
    0.00001 mg "1e-05 mg" on the list, the page, the caseload and the PDF ("%g" keeps six
    significant digits and turns small numbers to exponents); the edit form showed them as
    typed."""
    from journal.reports.pages import _dose

    post(client, dose_mg="0.00001")
    post(
        client,
        started_at="2025-03-02T09:30",
        dose_mg=None,
        dose_mg_per_kg="0.1234567",
        weight_kg="69.85322",
    )
    listed = client.get("/sessions").text
    assert "0.00001 mg" in listed and "0.1234567 mg/kg" in listed
    first, second = (client.get(f"/sessions/{row['id']}").text for row in rows(app))
    assert "0.00001 mg" in first and "e-05" not in first
    assert "0.1234567 mg/kg" in second and "69.85322 kg" in second
    assert _dose(rows(app)[0]) == "0.00001 mg"
    assert _dose({**rows(app)[1], "dose_mg": 123.4567}) == "123.4567 mg (0.1234567 mg/kg)"


def test_a_new_form_sent_again_with_answers_cleared_shows_them_cleared(app, client, patient):
    """Back after saving, every side effect unticked, the blood pressure and the reflection
    cleared, Save: the session's edit form came back with them all filled in again, under a
    note saying it held "what you changed on top", and saving it kept them."""
    key = hidden(client.get("/sessions/new"), "request_key")
    answers = {"side_effects": "nausea", "reflection": "once", **reading("before", "130", "80")}
    post(client, request_key=key, **answers)
    response = post(client, request_key=key)
    assert response.status_code == 400
    page = response.text
    assert 'value="nausea" checked' not in page and 'checked id="side_effects-0"' not in page
    assert 'value="130"' not in page and shown_text(response, "reflection") == ""
    again = post(client, "/sessions/1/edit", loaded_version=hidden(response, "loaded_version"))
    assert again.status_code == 302
    (row,) = rows(app)
    assert (row["side_effects"], row["bp_before_systolic"], row["reflection"]) == ("", None, "")


def test_an_answer_cleared_in_a_second_tab_comes_back_cleared(app, client, patient):
    """Tab one changes the mood; tab two, opened before, clears the blood pressure: tab two
    sees the session as saved with its clearing on top, not the reading again."""
    post(client, mood_after="6", **reading("after", "140", "90"))
    first, second = client.get("/sessions/1/edit"), client.get("/sessions/1/edit")
    kept = reading("after", "140", "90")
    saved = post(client, "/sessions/1/edit", mood_after="7", **kept,
                 loaded_version=hidden(first, "loaded_version"))  # fmt: skip
    assert saved.status_code == 302
    response = post(client, "/sessions/1/edit", mood_after="6",
                    loaded_version=hidden(second, "loaded_version"))  # fmt: skip
    assert response.status_code == 400
    assert checked(response, "mood_after") == "7" and 'value="140"' not in response.text


def test_a_new_form_sent_again_after_its_session_was_edited_says_so(app, client, patient):
    """Saved, then edited (mood after 2 to 7), then Back to the new-session form and Save: the
    form's old mood came back on top under "what you changed on top", and saving as the
    note asked undid the edit without a word. The note now says the session was edited
    after this form saved it."""
    key = hidden(client.get("/sessions/new"), "request_key")
    post(client, mood_after="2", request_key=key)
    clock.set(clock.now() + timedelta(minutes=5))
    edit = client.get("/sessions/1/edit")
    saved = post(client, "/sessions/1/edit", mood_after="7",
                 loaded_version=hidden(edit, "loaded_version"))  # fmt: skip
    assert saved.status_code == 302
    response = post(client, mood_after="2", request_key=key)
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "was edited after this form saved it" in text
    assert "with what you changed on top" not in text
    assert rows(app)[0]["mood_after"] == 7


def test_a_delete_confirmed_after_the_session_was_saved_elsewhere_deletes_nothing(
    app, client, patient
):
    # As a check-in's (tests/test_checkins.py): the words saved from another device after
    # the delete page was opened were deleted with the session, unseen.
    post(client, reflection="")
    confirm = client.get("/sessions/1/delete")
    version = hidden(client.get("/sessions/1/edit"), "loaded_version")
    post(client, "/sessions/1/edit", reflection="what came up, written later",
         loaded_version=version)  # fmt: skip
    response = client.post("/sessions/1/delete", data={
        "loaded_version": hidden(confirm, "loaded_version")})  # fmt: skip
    assert response.status_code == 400
    assert "changed after you opened this page" in html.unescape(response.text)
    (row,) = rows(app)
    assert row["reflection"] == "what came up, written later"
    again = client.post("/sessions/1/delete", data={
        "loaded_version": hidden(response, "loaded_version")})  # fmt: skip
    assert again.status_code == 302 and rows(app) == []


def test_a_new_session_form_left_open_past_midnight_is_saved_at_the_time_it_is_given(
    app, client, auth
):
    """Opened at 23:50, sent at 00:10 with a time after midnight: the page says the day it was
    made on (data-today: static/new-day.js moves its time and latest on), and the Save is
    checked against the server's clock as it comes, so that time is no time still to come."""
    evening = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 50, tzinfo=UTC)
    clock.set(evening)
    auth.register()
    page = client.get("/sessions/new").text
    assert f'data-today="{TODAY}" data-today-what="session"' in page
    assert f'max="{TODAY}T23:50"' in page
    clock.set(evening + timedelta(minutes=20))
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert post(client, started_at=f"{tomorrow}T00:05").status_code == 302
    assert [row["day"] for row in rows(app)] == [tomorrow]
