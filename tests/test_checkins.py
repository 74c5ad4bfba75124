import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import make_app

from journal.checkins import parse_tags
from journal.db import get_db
from journal.timezones import local_today

TODAY = datetime.now(UTC).date()  # the patient fixture lives in UTC
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()


def rows(app, user_id=None):
    with app.app_context():
        where = "user_id = ?" if user_id else None
        return list(get_db()["checkins"].rows_where(where, [user_id] if user_id else None))


def error_for(response, field):
    match = re.search(rf'id="{field}-error">([^<]+)<', response.text)
    return match.group(1) if match else None


def post(client, url="/checkin", **data):
    return client.post(url, data={"date": YESTERDAY, "mood": "6", **data})


def test_checkin_page_defaults_to_today(client, patient):
    response = client.get("/checkin")
    assert response.status_code == 200
    assert f'value="{TODAY.isoformat()}"' in response.text
    assert response.text.count('type="radio" name="mood"') == 11


def test_save_full_checkin(app, client, patient):
    response = post(
        client,
        mood="7",
        anxiety="3",
        energy="5",
        sleep_hours="7,5",
        tags=" walk, Friends ,walk,, friends ",
        reflection="First line\r\nSecond line",
        private="y",
    )
    assert response.status_code == 302
    assert response.location == f"/entries/{YESTERDAY}"
    (row,) = rows(app)
    assert row["day"] == YESTERDAY
    assert (row["mood"], row["anxiety"], row["energy"], row["sleep_hours"]) == (7, 3, 5, 7.5)
    assert row["tags"] == "walk, Friends"
    assert row["reflection"] == "First line\nSecond line"
    assert row["private"] == 1 and row["self_harm"] is None  # unticked: not answered


def test_mood_only_is_enough(app, client, patient):
    assert post(client, mood="0").status_code == 302
    (row,) = rows(app)
    assert row["anxiety"] is None and row["energy"] is None and row["sleep_hours"] is None
    assert row["reflection"] == "" and row["tags"] == ""


def test_same_day_again_from_its_own_form_replaces(app, client, patient):
    post(client, mood="3", reflection="morning", tags="walk")
    response = post(client, mood="8", reflection="evening", loaded_for=YESTERDAY)
    assert response.status_code == 302
    (row,) = rows(app)
    assert (row["mood"], row["reflection"], row["tags"]) == (8, "evening", "")
    assert row["created_at"] <= row["updated_at"]


def test_same_day_from_a_blank_form_adds_and_never_wipes(app, client, patient):
    client.post("/settings/symptoms", data={"name": "Pain"})
    post(client, mood="3", anxiety="6", sleep_hours="7", tags="walk",
         reflection="morning words", symptom_1="4")  # fmt: skip
    # A second device, or the date changed on today's blank form: not loaded from that day.
    response = post(client, mood="5", tags="friends", reflection="evening words")
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Added to your check-in for" in page
    (row,) = rows(app)
    assert row["mood"] == 5  # the new answer wins
    assert (row["anxiety"], row["sleep_hours"]) == (6, 7.0)  # left empty: kept
    assert row["tags"] == "walk, friends"
    assert row["reflection"] == "morning words\n\nevening words"
    with app.app_context():
        assert get_db().execute("select value from symptom_scores").fetchall() == [(4,)]
    # Sending the same words again does not repeat them; a blank reflection keeps them.
    post(client, mood="5", reflection="evening words")
    post(client, mood="6")
    assert rows(app)[0]["reflection"] == "morning words\n\nevening words"


def test_merge_keeps_private_and_self_harm(app, client, patient):
    post(client, mood="4", reflection="secret", private="y", self_harm="y")
    post(client, mood="6", reflection="more")
    (row,) = rows(app)
    assert (row["private"], row["self_harm"]) == (1, 1)


def test_form_for_a_stored_day_says_what_it_was_loaded_from(client, patient):
    post(client, mood="4")
    page = client.get(f"/checkin?date={YESTERDAY}").text
    assert f'id="loaded_for" name="loaded_for" type="hidden" value="{YESTERDAY}"' in page
    assert 'name="loaded_for" type="hidden" value=""' in client.get("/checkin").text


def test_future_date_is_never_offered(client, patient):
    page = client.get("/checkin?date=2999-01-01").text
    assert f'max="{TODAY.isoformat()}" name="date" required type="date" value="{TODAY}"' in page


def test_checkin_for_existing_day_prefills(client, patient):
    post(client, mood="4", reflection="kept text")
    response = client.get(f"/checkin?date={YESTERDAY}")
    assert "saving again updates it" in response.text
    assert "kept text" in response.text
    assert re.search(r'value="4" checked', response.text)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"mood": ""}, "mood", "Choose your mood today, from 0 to 10."),
        ({"mood": None}, "mood", "Choose your mood today, from 0 to 10."),
        ({"mood": "11"}, "mood", "Choose a whole number from 0 to 10."),
        ({"mood": "-1"}, "mood", "Choose a whole number from 0 to 10."),
        ({"mood": "5.5"}, "mood", "Choose a whole number from 0 to 10."),
        ({"mood": "five"}, "mood", "Choose a whole number from 0 to 10."),
        ({"mood": "٥"}, "mood", "Choose a whole number from 0 to 10."),  # Arabic-Indic five
        ({"anxiety": "12"}, "anxiety", "Choose a whole number from 0 to 10."),
        ({"energy": "x"}, "energy", "Choose a whole number from 0 to 10."),
        ({"sleep_hours": "25"}, "sleep_hours", "Hours of sleep must be from 0 to 24."),
        ({"sleep_hours": "-1"}, "sleep_hours", "Hours of sleep must be from 0 to 24."),
        ({"sleep_hours": "7.3"}, "sleep_hours", "Use whole or half hours, like 7 or 7.5."),
        ({"sleep_hours": "nan"}, "sleep_hours", "Hours of sleep must be from 0 to 24."),
        ({"sleep_hours": "inf"}, "sleep_hours", "Hours of sleep must be from 0 to 24."),
        ({"sleep_hours": "lots"}, "sleep_hours", "Enter hours as a number, like 7 or 7.5."),
        ({"sleep_hours": "1_0"}, "sleep_hours", "Enter hours as a number, like 7 or 7.5."),
        ({"sleep_hours": "1e1"}, "sleep_hours", "Enter hours as a number, like 7 or 7.5."),
        ({"sleep_hours": "７.５"}, "sleep_hours", "Enter hours as a number, like 7 or 7.5."),
        ({"date": ""}, "date", "Enter the date of this check-in."),
        ({"date": None}, "date", "Enter the date of this check-in."),
        ({"date": "2026-02-30"}, "date", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ({"date": "21/11/2026"}, "date", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ({"date": "2026-1-5"}, "date", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ({"date": "1900-01-01"}, "date", "That date is too far back; check the year."),
        ({"tags": ",".join(f"t{n}" for n in range(21))}, "tags", "Use at most 20 tags."),
        ({"tags": "x" * 41}, "tags", "Keep each tag to 40 characters."),
        ({"reflection": "nul\x00byte"}, "reflection", "invisible control characters"),
    ],
)
def test_bad_checkin(app, client, patient, data, field, message):
    form = {"date": YESTERDAY, "mood": "6", "reflection": "Kept 🌊 text", **data}
    form = {k: v for k, v in form.items() if v is not None}
    response = client.post("/checkin", data=form)
    assert response.status_code == 400
    assert message in (error_for(response, field) or ""), error_for(response, field)
    if "reflection" not in data:
        assert "Kept 🌊 text" in response.text  # the person's words are still there
    assert rows(app) == []


def test_future_date_refused(app, client, patient):
    tomorrow = (TODAY + timedelta(days=2)).isoformat()
    response = post(client, date=tomorrow, reflection="tomorrow's")
    assert response.status_code == 400
    assert "still to come" in error_for(response, "date")
    assert f'value="{tomorrow}"' in response.text
    assert "tomorrow&#39;s" in response.text
    assert rows(app) == []


def test_huge_reflection_refused_and_kept(app, client, patient):
    text = "ü" * 20_001
    response = post(client, reflection=text)
    assert response.status_code == 400
    assert "up to 20,000 characters; yours has 20,001" in error_for(response, "reflection")
    assert text in response.text
    assert rows(app) == []


def test_reflection_at_the_limit_counts_line_breaks_once(app, client, patient):
    text = ("a" * 99 + "\r\n") * 200  # 20,000 characters once CRLF counts as one
    assert post(client, reflection=text).status_code == 302
    assert len(rows(app)[0]["reflection"]) == 20_000


def test_odd_unicode_round_trips(app, client, patient):
    text = "Zalgo z̸̢̛a̵l̷g̶o, RTL \u202eטקסט\u202c, emoji 👩🏽‍🦰, CJK 心, combining é"
    assert post(client, reflection=text, tags="café, 心").status_code == 302
    assert rows(app)[0]["reflection"] == text
    page = client.get(f"/entries/{YESTERDAY}")
    assert "👩🏽‍🦰" in page.text and "café" in page.text


def test_body_over_2mb_is_413(app, client, patient):
    response = post(client, reflection="x" * (2 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "too large" in response.text
    assert rows(app) == []


def test_reflection_is_text_not_html(client, patient):
    post(client, reflection="<script>alert(1)</script>\n<b>bold</b>")
    page = client.get(f"/entries/{YESTERDAY}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\n&lt;b&gt;bold&lt;/b&gt;" in page.text
    assert 'class="reflection"' in page.text  # styled white-space: pre-wrap


def test_entries_newest_first_and_paginated(tmp_path):
    app = make_app(tmp_path, ENTRIES_PER_PAGE=3)
    client = app.test_client()
    from conftest import AuthActions

    AuthActions(client).register()
    for back in range(1, 8):
        post(client, date=(TODAY - timedelta(days=back)).isoformat(), mood=str(back))
    first = client.get("/entries")
    days = re.findall(r'<time datetime="([\d-]+)"', first.text)
    assert days == [(TODAY - timedelta(days=n)).isoformat() for n in (1, 2, 3)]
    assert "Page 1 of 3" in first.text
    third = client.get("/entries?page=3")
    assert re.findall(r'<time datetime="([\d-]+)"', third.text) == [
        (TODAY - timedelta(days=7)).isoformat()
    ]
    assert client.get("/entries?page=4").status_code == 404
    assert client.get("/entries?page=0").status_code == 404


def test_empty_history(client, patient):
    response = client.get("/entries")
    assert response.status_code == 200
    assert "No check-ins yet" in response.text


def test_entry_page(client, patient):
    post(client, mood="7", sleep_hours="8", tags="walk", reflection="ok")
    response = client.get(f"/entries/{YESTERDAY}")
    assert response.status_code == 200
    assert "7 / 10" in response.text and "8 h" in response.text and "walk" in response.text
    assert 'id="crisis-resources"' not in response.text


@pytest.mark.parametrize("day", ["2020-01-01", "2026-13-01", "yesterday", "1"])
def test_missing_or_malformed_day_is_404(client, patient, day):
    for url in (f"/entries/{day}", f"/entries/{day}/edit", f"/entries/{day}/delete"):
        assert client.get(url).status_code == 404
    assert client.post(f"/entries/{day}/delete").status_code == 404
    assert client.post(f"/entries/{day}/edit", data={"mood": "5"}).status_code == 404


def test_edit(app, client, patient):
    post(client, mood="3", reflection="before", private="y")
    page = client.get(f"/entries/{YESTERDAY}/edit")
    assert page.status_code == 200 and "before" in page.text and 'name="date"' not in page.text
    response = client.post(f"/entries/{YESTERDAY}/edit", data={"mood": "9", "reflection": "after"})
    assert response.location == f"/entries/{YESTERDAY}"
    (row,) = rows(app)
    assert (row["mood"], row["reflection"], row["private"]) == (9, "after", 0)


def test_edit_bad_input_keeps_stored_row(app, client, patient):
    post(client, mood="3", reflection="before")
    response = client.post(
        f"/entries/{YESTERDAY}/edit", data={"mood": "99", "reflection": "new words"}
    )
    assert response.status_code == 400
    assert "new words" in response.text
    assert error_for(response, "mood") == "Choose a whole number from 0 to 10."
    assert rows(app)[0]["reflection"] == "before"


def test_delete_asks_first(app, client, patient):
    post(client)
    confirm = client.get(f"/entries/{YESTERDAY}/delete")
    assert confirm.status_code == 200 and "can't be undone" in confirm.text
    assert len(rows(app)) == 1
    response = client.post(f"/entries/{YESTERDAY}/delete")
    assert response.location == "/entries"
    assert rows(app) == []
    assert client.get(f"/entries/{YESTERDAY}").status_code == 404


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"mood": "2"}, True),
        ({"mood": "0"}, True),
        ({"mood": "3"}, False),
        ({"mood": "8", "self_harm": "y"}, True),
    ],
)
def test_crisis_resources_after_low_mood_or_self_harm(app, client, patient, data, shown):
    response = post(client, **data)
    assert response.status_code == 302  # saved all the same
    page = client.get(response.location)
    assert ('id="crisis-resources"' in page.text) is shown
    if shown:
        assert 'href="tel:988"' in page.text and 'href="sms:988"' in page.text
        assert "nobody reads entries as they are written" in page.text
    # Shown once, in the response to that save; not on every later visit.
    assert 'id="crisis-resources"' not in client.get(response.location).text
    assert len(rows(app)) == 1


def test_tag_suggestions_prefer_own_tags(client, patient):
    post(client, tags="piano, piano2")
    page = client.get("/checkin")
    chips = re.findall(r'data-tag="([^"]+)"', page.text)
    assert chips[:2] in (["piano", "piano2"], ["piano2", "piano"])
    assert "exercise" in chips


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("a, b", ["a", "b"]),
        (" a ,, A ,b  c ", ["a", "b c"]),
        ("Ça, ça", ["Ça"]),
    ],
)
def test_parse_tags(text, expected):
    assert parse_tags(text) == expected


# Two people never see each other's entries.


def test_isolation_between_people(app, client, auth):
    auth.register(email="one@example.com")
    post(client, mood="2", reflection="one's secret")
    auth.logout()
    auth.register(email="two@example.com")
    assert "one&#39;s secret" not in client.get("/entries").text
    assert client.get(f"/entries/{YESTERDAY}").status_code == 404
    assert client.get(f"/entries/{YESTERDAY}/edit").status_code == 404
    assert client.post(f"/entries/{YESTERDAY}/edit", data={"mood": "9"}).status_code == 404
    assert client.get(f"/entries/{YESTERDAY}/delete").status_code == 404
    assert client.post(f"/entries/{YESTERDAY}/delete").status_code == 404
    # Their own check-in for the same day is a separate row.
    assert post(client, mood="9").status_code == 302
    assert sorted((r["user_id"], r["mood"], r["reflection"]) for r in rows(app)) == [
        (1, 2, "one's secret"),
        (2, 9, ""),
    ]


# Time zones: UTC+14 and UTC-10 are exactly a day apart, so their "today"s always differ.


def test_local_today_pure():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert local_today("Pacific/Kiritimati", now) == date(2026, 3, 2)
    assert local_today("Pacific/Honolulu", now) == date(2026, 3, 1)
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert local_today("Pacific/Honolulu", late) == date(2026, 3, 1)
    assert local_today("Europe/Berlin", late) == date(2026, 3, 2)


def test_timezones_give_different_todays(client, auth):
    auth.register(email="kiri@example.com", timezone="Pacific/Kiritimati")
    kiri_today = client.get("/checkin").text
    auth.logout()
    auth.register(email="hono@example.com", timezone="Pacific/Honolulu")
    hono_today = client.get("/checkin").text
    kiri = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    hono = datetime.now(ZoneInfo("Pacific/Honolulu")).date()
    assert kiri - hono == timedelta(days=1)
    assert f'name="date" required type="date" value="{kiri}"' in kiri_today
    assert f'name="date" required type="date" value="{hono}"' in hono_today


def test_future_is_relative_to_the_persons_own_day(app, client, auth):
    kiri = datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
    auth.register(email="hono@example.com", timezone="Pacific/Honolulu")
    assert "still to come" in error_for(post(client, date=kiri), "date")
    auth.logout()
    auth.register(email="kiri@example.com", timezone="Pacific/Kiritimati")
    assert post(client, date=kiri).status_code == 302
    assert [r["day"] for r in rows(app)] == [kiri]
