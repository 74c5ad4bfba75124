import hashlib
import logging
import re
import secrets
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from conftest import AuthActions, csrf_token
from factories import deleted_first, signed_in_twice, signed_out_as_deleted
from icalendar import Calendar

from journal.calendar.ics import TIME_MESSAGE, build_calendar
from journal.db import get_db
from journal.settings import reminders

URL = re.compile(r'value="(http://localhost/calendar/([A-Za-z0-9_-]{43})\.ics)"')
FEED_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
# Everything a session can say about someone's health: none of it may reach the feed.
HEALTH_TEXT = {
    "started_at": "2025-03-01T09:30",
    "product": "esketamine",
    "route": "intranasal",
    "dose_mg": "12.5",
    "clinic": "Riverside Wellness Clinic",
    "intention": "Let go of the grief about Marguerite",
    "mood_before": "2",
    "mood_after": "8",
    "dissociation": "7",
    "side_effects": ["nausea", "dizziness"],
    "side_effects_other": "tingling in my feet",
    "prompt_stood_out": "the cello swelled like the sea",
    "reflection": "I cried about Marguerite and felt lighter",
}
LEAKS = [
    "esketamine",
    "ketamine",
    "intranasal",
    "12.5",
    "Riverside",
    "Marguerite",
    "grief",
    "nausea",
    "dizziness",
    "tingling",
    "cello",
    "lighter",
    "pat@example.com",
    "Patricia",
]


# Properties that carry words a person could read.
TEXT_PROPERTIES = {
    "SUMMARY",
    "DESCRIPTION",
    "LOCATION",
    "COMMENT",
    "CATEGORIES",
    "X-WR-CALNAME",
    "NAME",
}


def user(app, user_id=1):
    with app.app_context():
        return get_db()["users"].get(user_id)


def set_reminder(client, value):
    return client.post("/settings/reminders", data={"reminder_time": value})


def make_link(client):
    """Make a calendar link through the form; (response, full URL, secret)."""
    response = client.post("/settings/reminders/link")
    assert response.status_code == 201, response.text
    match = URL.search(response.text)
    assert match, "no calendar URL on the page"
    return response, match.group(1), match.group(2)


def feed(client, secret):
    return client.get(f"/calendar/{secret}.ics")


def parsed(response):
    assert response.status_code == 200, response.text
    return Calendar.from_ical(response.data)


def events(cal, summary):
    return [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == summary]


def add_session(client, **changes):
    """Log a session through the real form; the form's data must be accepted."""
    response = client.post("/sessions/new", data={**HEALTH_TEXT, **changes})
    assert response.status_code == 302, response.text


def has_feed_headers(response):
    return all(response.headers.get(k) == v for k, v in FEED_HEADERS.items())


@pytest.fixture
def new_yorker(auth):
    """A signed-in patient in New York, named Patricia."""
    response = auth.register(timezone="America/New_York", display_name="Patricia")
    assert response.status_code == 302
    return auth


# The reminders page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/settings/reminders"),
        ("post", "/settings/reminders"),
        ("post", "/settings/reminders/link"),
        ("post", "/settings/reminders/link/off"),
    ],
)
def test_log_in_required(app, client, method, path):
    response = getattr(client, method)(path, data={"reminder_time": "07:00"})
    assert response.status_code == 302
    location = urlsplit(response.location)
    assert location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == [path]


def test_page_explains_the_calendar(client, patient):
    response = client.get("/settings/reminders")
    assert response.status_code == 200
    page = response.text
    assert 'type="time"' in page
    assert 'name="reminder_time"' in page
    assert "sends no e-mails and no notifications" in page
    assert "your own calendar app" in page
    assert "Make my calendar link" in page
    assert "Turn off the calendar link" not in page  # there is no link yet
    assert "/calendar/" not in page
    assert response.headers["Cache-Control"] == "no-store"


def test_reminder_saved_and_cleared(app, client, patient):
    response = set_reminder(client, "07:30")
    assert response.status_code == 302
    assert response.location == "/settings/reminders"
    assert user(app)["reminder_time"] == "07:30"
    page = client.get("/settings/reminders").text
    assert "Your daily reminder is set for 07:30." in page
    assert 'value="07:30"' in page

    response = set_reminder(client, "")
    assert response.status_code == 302
    assert user(app)["reminder_time"] == ""
    assert "Your daily reminder is off." in client.get("/settings/reminders").text


@pytest.mark.parametrize("value", ["00:00", "23:59", " 06:05 "])
def test_edge_times_accepted(app, client, patient, value):
    assert set_reminder(client, value).status_code == 302
    assert user(app)["reminder_time"] == value.strip()


def test_spaces_alone_turn_the_reminder_off(app, client, patient):
    set_reminder(client, "07:30")
    assert set_reminder(client, "   ").status_code == 302
    assert user(app)["reminder_time"] == ""


@pytest.mark.parametrize(
    "value",
    [
        "25:00",
        "24:00",
        "7pm",
        "12:60",
        "7:30",
        "07:30:00",
        "0730",
        "07-30",
        "٠٧:٣٠",  # Arabic-Indic digits: \d would take them, the pattern does not
        "07:30\x00",
        "\x0707:30",
        "07:\x1b30",
    ],
)
def test_bad_times_refused(app, client, patient, value):
    set_reminder(client, "06:00")
    response = set_reminder(client, value)
    assert response.status_code == 400
    match = re.search(r'id="reminder_time-error">([^<]+)<', response.text)
    assert match, "no message at the field"
    assert match.group(1) == TIME_MESSAGE
    assert 'aria-invalid="true"' in response.text
    assert user(app)["reminder_time"] == "06:00"


@pytest.mark.parametrize("value", ["25:00", "7pm", "12:60"])
def test_bad_time_kept_in_the_form(client, patient, value):
    response = set_reminder(client, value)
    assert response.status_code == 400
    assert f'value="{value}"' in response.text


# Making, replacing and turning off the link ---------------------------------------------


def test_link_shown_once_and_only_its_hash_stored(app, client, patient):
    response, url, secret = make_link(client)
    assert response.headers["Cache-Control"] == "no-store"
    assert "This is the only time the link is shown" in response.text
    assert f'href="webcal://localhost/calendar/{secret}.ics"' in response.text
    assert "subscribed calendar" in response.text

    stored = user(app)["calendar_secret_hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(user(app))

    # Shown once: the page afterwards says the link is on, without it.
    page = client.get("/settings/reminders").text
    assert secret not in page
    assert "Your calendar link is on." in page
    assert "Turn off the calendar link" in page
    # Nor was it kept in the session cookie for later.
    with client.session_transaction() as session:
        assert secret not in repr(dict(session))
    assert feed(client, secret).status_code == 200


def test_link_is_https_when_the_app_is_configured_for_it(app, client, patient):
    # Behind a TLS proxy that does not say so (no PROXY_HOPS), the request looks like plain
    # http; the secret address must still be handed out as https, as a share link is, or a
    # calendar app would fetch it (and send the secret) unencrypted.
    app.config["HTTPS"] = True
    response = client.post("/settings/reminders/link")
    assert response.status_code == 201, response.text
    secret = re.search(r"/calendar/([A-Za-z0-9_-]{43})\.ics", response.text).group(1)
    assert f'value="https://localhost/calendar/{secret}.ics"' in response.text
    assert "http://localhost/calendar/" not in response.text
    assert f'href="webcal://localhost/calendar/{secret}.ics"' in response.text


def test_secret_not_in_database_files(app, client, patient, tmp_path):
    _, _, secret = make_link(client)
    assert feed(client, secret).status_code == 200
    for path in tmp_path.glob("journal.sqlite3*"):
        assert secret.encode() not in path.read_bytes(), path.name


def test_secret_never_logged(app, client, patient, caplog):
    caplog.set_level(logging.DEBUG)
    _, _, secret = make_link(client)
    assert feed(client, secret).status_code == 200
    assert feed(client, secret[::-1]).status_code == 404
    for record in caplog.records:
        text = f"{record.getMessage()} {record.__dict__!r}"
        assert secret not in text
        assert secret[::-1] not in text


def test_regenerate_stops_the_old_link_at_once(app, client, patient):
    _, _, old = make_link(client)
    assert feed(client, old).status_code == 200
    _, _, new = make_link(client)
    assert new != old
    assert feed(client, old).status_code == 404
    assert feed(client, new).status_code == 200
    assert user(app)["calendar_secret_hash"] == hashlib.sha256(new.encode()).hexdigest()


def test_turned_off_link_is_gone(app, client, patient):
    _, _, secret = make_link(client)
    response = client.post("/settings/reminders/link/off")
    assert response.status_code == 302
    assert user(app)["calendar_secret_hash"] is None
    assert feed(client, secret).status_code == 404
    page = client.get("/settings/reminders").text
    assert "Your calendar link is off" in page
    assert "Make my calendar link" in page


@pytest.mark.parametrize(
    ("path", "sent", "midway"),
    [
        ("/settings/reminders", {"reminder_time": "07:00"}, "get_db"),
        ("/settings/reminders/link", {}, "write_transaction"),
        ("/settings/reminders/link/off", {}, "ics"),
    ],
)
def test_a_reminder_change_as_the_account_is_deleted_elsewhere_signs_out(
    app, monkeypatch, path, sent, midway
):
    """The account is deleted on the phone after the change's request read who sent it: the
    time and the link off answered "saved" for an account that was gone, the new link a 500.
    Now the person is signed out and told, as a save of a check-in is."""
    client, phone = signed_in_twice(app)
    target = reminders.ics if midway == "ics" else reminders
    deleted_first(monkeypatch, target, "set_secret_hash" if midway == "ics" else midway, phone)
    response = client.post(path, data=sent)
    signed_out_as_deleted(client, response, path)


def test_turning_off_twice_is_harmless(app, client, patient):
    assert client.post("/settings/reminders/link/off").status_code == 302
    assert client.post("/settings/reminders/link/off").status_code == 302
    assert user(app)["calendar_secret_hash"] is None


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(secrets.token_urlsafe(32), id="made-up"),
        "short",
        "A" * 44,
        "A" * 42,
        "A" * 42 + "!",
        "%00" * 43,
    ],
)
def test_made_up_or_malformed_secret_is_404(app, client, patient, secret):
    make_link(client)
    response = feed(client, secret)
    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert has_feed_headers(response)


def test_stored_hash_does_not_open_the_feed(app, client, patient):
    make_link(client)
    stored = user(app)["calendar_secret_hash"]
    assert feed(client, stored).status_code == 404
    assert feed(client, stored[:43]).status_code == 404


def test_other_paths_under_calendar_are_404_with_link_headers(client, patient):
    _, _, secret = make_link(client)
    for path in (f"/calendar/{secret}", f"/calendar/{secret}.json", "/calendar/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert has_feed_headers(response), path


# The feed --------------------------------------------------------------------------------


def test_feed_answer(client, patient):
    _, _, secret = make_link(client)
    client.post("/auth/logout")  # the feed needs no log-in
    response = feed(client, secret)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert has_feed_headers(response)
    cal = parsed(response)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]).startswith("-//Afterglow//")
    assert str(cal["X-WR-CALNAME"]) == "Afterglow"
    assert cal.walk("VEVENT") == []  # no reminder, no sessions
    # Yet not an empty calendar, which RFC 5545 does not allow (a strict app refuses it): the
    # person's zone is in it.
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["UTC"]
    assert b"BEGIN:VTIMEZONE" in response.data


def test_daily_event_in_the_persons_zone(app, client, new_yorker):
    set_reminder(client, "07:30")
    _, _, secret = make_link(client)
    raw = feed(client, secret).data
    assert b"DTSTART;TZID=America/New_York:" in raw
    cal = Calendar.from_ical(raw)
    [daily] = events(cal, "Afterglow check-in")
    start = daily.decoded("DTSTART")
    assert start.time() == time(7, 30)
    assert daily["DTSTART"].params["TZID"] == "America/New_York"
    assert start.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))
    # It starts on the day the account was made, in New York.
    created = datetime.fromisoformat(user(app)["created_at"])
    assert start.date() == created.astimezone(ZoneInfo("America/New_York")).date()
    rrule = daily["RRULE"]
    assert rrule["FREQ"] == ["DAILY"]
    assert "COUNT" not in rrule and "UNTIL" not in rrule
    assert daily.decoded("DURATION") == timedelta(minutes=5)
    [alarm] = daily.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert str(alarm["DESCRIPTION"]) == "Afterglow check-in"
    assert alarm.decoded("TRIGGER") == timedelta(0)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
    assert daily["DTSTAMP"] and daily["UID"]


def test_a_stored_zone_not_known_here_gives_a_feed_in_utc(app, client, patient):
    """A zone this server's time zone data lacks made the feed a 500, as it did the pages."""
    set_reminder(client, "07:30")
    _, _, secret = make_link(client)
    with app.app_context():
        get_db()["users"].update(1, {"timezone": "Mars/Olympus_Mons"})
    [daily] = events(parsed(feed(client, secret)), "Afterglow check-in")
    start = daily.decoded("DTSTART")
    assert (start.time(), start.utcoffset()) == (time(7, 30), timedelta(0))


def test_changed_reminder_time_and_zone_reach_the_feed(client, new_yorker):
    set_reminder(client, "07:30")
    _, _, secret = make_link(client)
    set_reminder(client, "21:05")
    response = client.post(
        "/settings",
        data={
            "timezone": "Europe/Berlin",
            "window_days": "7",
            "clinic_phone": "",
            "report_name": "",
        },
    )
    assert response.status_code == 302, response.text
    [daily] = events(parsed(feed(client, secret)), "Afterglow check-in")
    assert daily.decoded("DTSTART").time() == time(21, 5)
    assert daily["DTSTART"].params["TZID"] == "Europe/Berlin"


def test_reminder_turned_off_leaves_only_sessions(client, new_yorker):
    set_reminder(client, "07:30")
    add_session(client)
    _, _, secret = make_link(client)
    set_reminder(client, "")
    cal = parsed(feed(client, secret))
    assert events(cal, "Afterglow check-in") == []
    assert len(events(cal, "Session")) == 1
    assert cal.walk("VTIMEZONE") == []


def test_sessions_at_their_utc_instants(client, new_yorker):
    add_session(client, started_at="2025-03-01T09:30")  # EST: 14:30 UTC
    add_session(client, started_at="2025-07-04T18:00")  # EDT: 22:00 UTC
    _, _, secret = make_link(client)
    cal = parsed(feed(client, secret))
    sessions = events(cal, "Session")
    starts = sorted(e.decoded("DTSTART") for e in sessions)
    assert starts == [
        datetime(2025, 3, 1, 14, 30, tzinfo=UTC),
        datetime(2025, 7, 4, 22, 0, tzinfo=UTC),
    ]
    assert all(e.decoded("DURATION") == timedelta(hours=1) for e in sessions)
    assert all("RRULE" not in e and not e.walk("VALARM") for e in sessions)


def test_no_health_details_in_the_feed(client, new_yorker):
    set_reminder(client, "07:30")
    add_session(client)
    add_session(client, started_at="2025-03-08T10:00", private="y", clinic="Marguerite House")
    _, _, secret = make_link(client)
    raw = feed(client, secret).data
    for text in LEAKS:
        assert text.lower().encode() not in raw.lower(), text
    cal = Calendar.from_ical(raw)
    words = {
        str(value)
        for component in cal.walk()
        if component.name != "VTIMEZONE"
        for name, value in component.property_items(recursive=False)
        if name in TEXT_PROPERTIES
    }
    assert words == {"Afterglow", "Afterglow check-in", "Session"}
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")].count("Session") == 2


def test_deleted_session_leaves_the_feed(app, client, new_yorker):
    add_session(client)
    _, _, secret = make_link(client)
    assert len(events(parsed(feed(client, secret)), "Session")) == 1
    assert client.post("/sessions/1/delete").status_code == 302
    assert events(parsed(feed(client, secret)), "Session") == []


def test_uids_stable_and_opaque(client, new_yorker):
    set_reminder(client, "07:30")
    add_session(client)
    _, _, secret = make_link(client)
    first = [str(e["UID"]) for e in parsed(feed(client, secret)).walk("VEVENT")]
    second = [str(e["UID"]) for e in parsed(feed(client, secret)).walk("VEVENT")]
    assert first == second
    assert len(set(first)) == 2
    for uid in first:
        assert re.fullmatch(r"[0-9a-f]{32}@afterglow", uid)
        assert "session" not in uid


def test_another_persons_feed_never_shows_your_sessions(app, client, new_yorker):
    add_session(client)
    add_session(client, started_at="2025-03-08T10:00")
    _, _, mine = make_link(client)
    my_uids = {str(e["UID"]) for e in events(parsed(feed(client, mine)), "Session")}
    assert len(my_uids) == 2

    other = app.test_client()
    AuthActions(other).register(email="sam@example.com", timezone="America/New_York")
    with app.app_context():  # copies of my sessions, same times, under another owner
        get_db()["sessions"].insert_all(
            {**row, "id": None, "user_id": 2}
            for row in get_db()["sessions"].rows_where("user_id = 1")
        )
    _, _, theirs = make_link(other)
    their_events = events(parsed(feed(other, theirs)), "Session")
    assert len(their_events) == 2
    assert my_uids.isdisjoint(str(e["UID"]) for e in their_events)

    with app.app_context():
        get_db().execute("delete from sessions where user_id = 2")
    assert events(parsed(feed(other, theirs)), "Session") == []
    assert len(events(parsed(feed(client, mine)), "Session")) == 2


# build_calendar, without HTTP -------------------------------------------------------------

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def test_build_calendar_utc_zone():
    raw = build_calendar("06:00", "UTC", [], b"key", first_day=date(2026, 1, 1), now=NOW)
    [daily] = Calendar.from_ical(raw).walk("VEVENT")
    assert daily.decoded("DTSTART") == datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    assert daily.decoded("DTSTAMP") == NOW


def test_build_calendar_keeps_wall_time_across_daylight_saving():
    raw = build_calendar("08:15", "Europe/Berlin", [], b"key", first_day=date(2026, 1, 1), now=NOW)
    cal = Calendar.from_ical(raw)
    [daily] = cal.walk("VEVENT")
    start = daily.decoded("DTSTART")
    assert start == datetime(2026, 1, 1, 8, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    # The VTIMEZONE alone spells out the summer change, so 08:15 stays 08:15 in July.
    [zone] = cal.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Berlin"
    tz = zone.to_tz(lookup_tzid=False)  # built from the VTIMEZONE, not the TZID
    assert datetime(2026, 1, 1, 8, 15, tzinfo=tz).utcoffset() == timedelta(hours=1)
    assert datetime(2026, 7, 1, 8, 15, tzinfo=tz).utcoffset() == timedelta(hours=2)
    assert datetime(2040, 7, 1, 8, 15, tzinfo=tz).utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("zone", "reminder", "spring_forward", "moved_to"),
    [
        ("America/New_York", "02:30", date(2026, 3, 8), time(3, 30)),
        ("Europe/London", "01:30", date(2026, 3, 29), time(2, 30)),
    ],
)
def test_build_calendar_reminder_in_the_spring_forward_gap_still_comes(
    zone, reminder, spring_forward, moved_to
):
    # RFC 5545 3.3.10: a daily rule's instance at a local time the clocks skip "MUST be
    # ignored", so a reminder at 02:30 in New York would not come on that day at all. It
    # comes at the same moment read after the change, and only on those days.
    raw = build_calendar(reminder, zone, [], b"key", first_day=date(2026, 1, 1), now=NOW)
    [daily] = Calendar.from_ical(raw).walk("VEVENT")
    extra = [d.dt for d in daily["RDATE"].dts]
    tz = ZoneInfo(zone)
    first = datetime.combine(spring_forward, moved_to, tzinfo=tz)
    assert extra[0] == first
    assert first.astimezone(UTC) == datetime.combine(
        spring_forward, time.fromisoformat(reminder), tzinfo=tz
    ).astimezone(UTC)
    assert len(extra) == 20  # one a year, 2026 to 2045: the VTIMEZONE's years
    assert {d.time() for d in extra} == {moved_to}
    # Outside the gap nothing is added.
    raw = build_calendar("08:15", zone, [], b"key", first_day=date(2026, 1, 1), now=NOW)
    [daily] = Calendar.from_ical(raw).walk("VEVENT")
    assert "RDATE" not in daily


def test_build_calendar_default_start_is_today_in_the_zone():
    late = datetime(2026, 1, 10, 23, 30, tzinfo=UTC)  # already the 11th in Tokyo
    raw = build_calendar("09:00", "Asia/Tokyo", [], b"key", now=late)
    [daily] = Calendar.from_ical(raw).walk("VEVENT")
    assert daily.decoded("DTSTART").date() == date(2026, 1, 11)


def test_build_calendar_uids_depend_on_the_key():
    sessions = [(1, datetime(2025, 5, 1, 9, tzinfo=UTC))]
    a = Calendar.from_ical(build_calendar("", "UTC", sessions, b"one", now=NOW))
    b = Calendar.from_ical(build_calendar("", "UTC", sessions, b"two", now=NOW))
    again = Calendar.from_ical(build_calendar("", "UTC", sessions, b"one", now=NOW))
    uid = [str(e["UID"]) for e in a.walk("VEVENT")]
    assert uid == [str(e["UID"]) for e in again.walk("VEVENT")]
    assert uid != [str(e["UID"]) for e in b.walk("VEVENT")]


def test_build_calendar_stores_session_instants_in_utc():
    berlin = datetime(2025, 5, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    raw = build_calendar("", "Asia/Tokyo", [(7, berlin)], b"key", now=NOW)
    assert b"DTSTART:20250501T070000Z" in raw
    assert b"VTIMEZONE" not in raw


# CSRF -----------------------------------------------------------------------------------


def test_csrf_enforced(secure):
    app, client = secure  # registered through the form: a 302

    assert set_reminder(client, "07:30").status_code == 400
    assert client.post("/settings/reminders/link").status_code == 400
    assert user(app)["reminder_time"] == ""
    assert user(app)["calendar_secret_hash"] is None

    token = csrf_token(client.get("/settings/reminders"))
    response = client.post(
        "/settings/reminders", data={"reminder_time": "07:30", "csrf_token": token}
    )
    assert response.status_code == 302
    response = client.post("/settings/reminders/link", data={"csrf_token": token})
    assert response.status_code == 201
    secret = URL.search(response.text).group(2)

    assert client.post("/settings/reminders/link/off").status_code == 400
    assert client.post("/settings/reminders/link", data={"csrf_token": "forged"}).status_code == 400
    assert user(app)["calendar_secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert feed(client, secret).status_code == 200

    response = client.post("/settings/reminders/link/off", data={"csrf_token": token})
    assert response.status_code == 302
    assert feed(client, secret).status_code == 404


# Every pattern that reads the reminder form or a feed's address answers promptly at the
# largest input accepted (a URL-encoded form's field is held back only by the 2 MB body limit).
FIELD_MAX = 2_000_000  # bytes, URL-encoded


@pytest.mark.parametrize(
    "value", ["1" * FIELD_MAX, "07:00" + " " * FIELD_MAX + "x", "07:" * (FIELD_MAX // 5)]
)
def test_a_hostile_reminder_time_answers_promptly(app, client, patient, value):
    started = perf_counter()
    response = set_reminder(client, value)
    assert perf_counter() - started < 5  # a hang guard
    assert response.status_code == 400
    assert TIME_MESSAGE in response.text
    assert user(app)["reminder_time"] in (None, "")


@pytest.mark.parametrize("secret", ["a" * 100_000, "a-" * 50_000, "_" * 43 + ".ics" * 25_000])
def test_a_hostile_feed_address_is_refused_promptly(client, secret):
    started = perf_counter()
    response = client.get(f"/calendar/{secret}.ics")
    assert perf_counter() - started < 5  # a hang guard
    assert response.status_code == 404
    assert response.text == "There is no calendar at this address.\n"


# Sending the form that made a link again (a reload of the page that showed it) makes no
# second link: the one just copied keeps working.


def link_form_key(client):
    page = client.get("/settings/reminders").text
    return re.search(r'name="request_key" type="hidden" value="([^"]+)"', page).group(1)


def test_the_form_that_made_a_link_sent_again_keeps_that_link(app, client, patient):
    key = link_form_key(client)
    made = client.post("/settings/reminders/link", data={"request_key": key})
    assert made.status_code == 201
    secret = URL.search(made.text).group(2)
    again = client.post("/settings/reminders/link", data={"request_key": key})
    assert again.status_code == 302
    assert "the link you copied then still works" in client.get(again.location).text
    assert feed(client, secret).status_code == 200
    # A new form (the page loaded again) makes a new link, which replaces it.
    newer = client.post("/settings/reminders/link", data={"request_key": link_form_key(client)})
    assert newer.status_code == 201
    assert feed(client, secret).status_code == 404
    # Turned off, the old form sent again makes a link anew rather than pretending one works.
    client.post("/settings/reminders/link/off")
    assert client.post("/settings/reminders/link", data={"request_key": key}).status_code == 201


def test_a_feed_reached_with_doubled_slashes_still_has_its_headers(client, patient):
    _, _, secret = make_link(client)
    response = client.get("/", environ_overrides={"PATH_INFO": f"//calendar/{secret}.ics"})
    assert response.status_code == 200
    assert has_feed_headers(response)


def test_a_link_made_in_another_tab_is_not_replaced_by_a_page_that_showed_none(
    app, client, patient
):
    """Reminders open in two tabs (or on the phone and the laptop), neither with a link: one
    made it and put it in a calendar; the other's "Make my calendar link" then replaced it,
    and that calendar's reminders stopped without a word."""
    stale = client.get("/settings/reminders").text
    assert 'name="had_link" type="hidden" value="no"' in stale
    stale_key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', stale).group(1)
    _, _, secret = make_link(client)  # in the first tab
    sent = client.post(
        "/settings/reminders/link", data={"request_key": stale_key, "had_link": "no"}
    )
    assert sent.status_code == 302 and sent.location == "/settings/reminders"
    page = client.get(sent.location).text
    assert "Your calendar link was made meanwhile, in another tab or on another device" in page
    assert feed(client, secret).status_code == 200
    # The page now shows the link is on: its own button replaces it, knowingly.
    assert 'name="had_link" type="hidden" value="yes"' in page
    newer_key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page).group(1)
    newer = client.post(
        "/settings/reminders/link", data={"request_key": newer_key, "had_link": "yes"}
    )
    assert newer.status_code == 201
    assert feed(client, secret).status_code == 404
