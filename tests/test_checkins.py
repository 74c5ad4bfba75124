import html
import re
import time
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from conftest import error_for, make_app
from factories import TODAY, checkin, session, take

from journal import clock
from journal.checkins import days_without, parse_tags
from journal.db import get_db
from journal.timezones import day_text, day_text_near, local_today

YESTERDAY = (TODAY - timedelta(days=1)).isoformat()


def rows(app, user_id=None):
    with app.app_context():
        where = "user_id = ?" if user_id else None
        return list(get_db()["checkins"].rows_where(where, [user_id] if user_id else None))


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


def test_new_words_found_inside_the_saved_reflection_are_still_added(app, client, patient):
    # Only the same words sent again, as a whole paragraph, are not repeated.
    post(client, mood="5", reflection="Not okay this morning.")
    response = post(client, mood="6", reflection="ok")
    assert "Added to your check-in" in client.get(response.location).text
    assert rows(app)[0]["reflection"] == "Not okay this morning.\n\nok"
    post(client, mood="6", reflection="Not okay")
    assert rows(app)[0]["reflection"] == "Not okay this morning.\n\nok\n\nNot okay"
    post(client, mood="6", reflection="ok")
    post(client, mood="6", reflection="Not okay this morning.")
    assert rows(app)[0]["reflection"] == "Not okay this morning.\n\nok\n\nNot okay"


@pytest.mark.parametrize(
    ("field", "first", "second", "message"),
    [
        ("tags", ", ".join(f"a{n}" for n in range(20)), ", ".join(f"b{n}" for n in range(20)),
         "with these it would have 40, and a check-in holds at most 20"),
        ("reflection", "a" * 15_000, "b" * 15_000,
         "which makes 30,002 characters, and a reflection can be up to 20,000"),
    ],
    ids=["tags", "reflection"],
)  # fmt: skip
def test_a_merge_that_would_outgrow_a_check_in_saves_nothing_and_says_so(
    app, client, patient, field, first, second, message
):
    # Each form was within its limits; the day's saved answers and the new ones together are
    # not (a second device, the offline queue, today's blank form sent for that day).
    post(client, mood="5", **{field: first})
    before = rows(app)
    response = post(client, mood="6", **{field: second})
    assert response.status_code == 400
    assert message in html.unescape(error_for(response, field))
    assert shown_value(response, field) == second  # the input kept
    assert re.search(r'value="6"[^>]*checked', response.text)
    assert rows(app) == before
    # The offline queue is told the same, at the field, and keeps the words on the device.
    answer = client.post(
        "/checkin",
        data={"date": YESTERDAY, "mood": "6", field: second},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 400 and message in answer.json["errors"][field][0]
    assert rows(app) == before
    # The saved day opens and saves as it is.
    version = loaded_version(client.get(f"/entries/{YESTERDAY}/edit"))
    edit = {"mood": "7", field: first, "loaded_version": version}
    assert client.post(f"/entries/{YESTERDAY}/edit", data=edit).status_code == 302


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
        ({"mood": ""}, "mood", "Choose your mood, from 0 to 10."),
        ({"mood": None}, "mood", "Choose your mood, from 0 to 10."),
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
        ({"date": "2026-02-30"}, "date", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ({"date": "21/11/2026"}, "date", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ({"date": "2026-1-5"}, "date", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ({"date": "1900-01-01"}, "date", "That date is too far back; check the year."),
        ({"tags": ",".join(f"t{n}" for n in range(21))}, "tags", "Use at most 20 tags."),
        ({"tags": "x" * 41}, "tags", "Keep each tag to 40 characters."),
        ({"tags": "calm, \u202eevil, walk"}, "tags", "change the direction of text"),
        ({"tags": "calm, \u2067x"}, "tags", "change the direction of text"),
        ({"reflection": "nul\x00byte"}, "reflection", "invisible control characters"),
        # C1 controls: text decoded in the wrong encoding, or an 8-bit terminal escape.
        ({"reflection": "Didn\u00e2\u0080\u0099t sleep"}, "reflection", "invisible control"),
        ({"reflection": "colour \x9b31m"}, "reflection", "invisible control characters"),
        ({"tags": "calm, a\x9bb"}, "tags", "invisible control characters"),
        ({"tags": "calm, Z" + "\u0301" * 40}, "tags", "accents or marks, which draw over"),
        (
            {"tags": "calm, Z" + ("\u0301" * 8 + "\u200b") * 5},
            "tags",
            "accents or marks, which draw over",
        ),
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


def test_a_history_page_gone_since_it_was_shown_says_so_and_leads_back(tmp_path):
    # History's last page, its one check-in deleted (from its page, another tab), then that
    # page again by Back or a reload: "There is nothing at this address", a link to the start
    # page. It says the list is shorter now and leads to it; Sessions alike.
    app = make_app(tmp_path, ENTRIES_PER_PAGE=2)
    client = app.test_client()
    from conftest import AuthActions

    AuthActions(client).register()
    for back in range(1, 4):
        checkin(client, (TODAY - timedelta(days=back)).isoformat(), 5)
        session(client, (TODAY - timedelta(days=back)).isoformat())
    last = (TODAY - timedelta(days=3)).isoformat()
    assert last in client.get("/entries?page=2").text
    asked = client.get(f"/entries/{last}/delete")
    version = re.search(r'name="loaded_version"[^>]*value="([^"]*)"', asked.text).group(1)
    deleted = client.post(f"/entries/{last}/delete", data={"loaded_version": version})
    assert deleted.status_code == 302

    for path, name, listed in (
        ("/entries", "History", "/entries"),
        ("/sessions", "Sessions", "/sessions"),
    ):
        page = 2 if name == "History" else 3
        again = client.get(f"{path}?page={page}")
        assert again.status_code == 404
        text = html.unescape(again.text)
        assert f"There is no page {page} of {name} now: it has " in text
        assert f'<a href="{listed}">Go to {name}</a>' in again.text
        assert "Go to the start page" not in again.text
    assert "it has 1 page." in html.unescape(client.get("/entries?page=2").text)
    # Not a page at all is the plain 404, as before.
    assert client.get("/entries?page=x").status_code == 404


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


def test_a_tag_in_two_cases_or_two_compositions_is_one_suggestion(client, patient):
    post(client, date=(TODAY - timedelta(days=3)).isoformat(), tags="Work, cafe\u0301")
    post(client, tags="work, caf\u00e9")
    chips = re.findall(r'data-tag="([^"]+)"', client.get("/checkin").text)
    assert chips[:2] in (["work", "caf\u00e9"], ["caf\u00e9", "work"])  # the newest spelling
    assert len(chips) == len({chip.casefold() for chip in chips})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("caf\u00e9, cafe\u0301, CAFE\u0301", ["caf\u00e9"]),
        ("a, b", ["a", "b"]),
        (" a ,, A ,b  c ", ["a", "b c"]),
        ("Ça, ça", ["Ça"]),
        # Nothing visible is no tag (a blank chip otherwise); an emoji joined by ZWJs is one.
        ("walk, \u200d, \u200b\u2060, \u00a0", ["walk"]),
        ("walk, \u200b \u200b, \u2060 \u00a0 \u200d", ["walk"]),  # spaces between invisibles
        ("\U0001f469\u200d\U0001f4bb, x\u200b", ["\U0001f469\u200d\U0001f4bb", "x\u200b"]),
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
    kiri = clock.now().astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    hono = clock.now().astimezone(ZoneInfo("Pacific/Honolulu")).date()
    assert kiri - hono == timedelta(days=1)
    assert f'name="date" required type="date" value="{kiri}"' in kiri_today
    assert f'name="date" required type="date" value="{hono}"' in hono_today


def test_future_is_relative_to_the_persons_own_day(app, client, auth):
    kiri = clock.now().astimezone(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
    auth.register(email="hono@example.com", timezone="Pacific/Honolulu")
    assert "still to come" in error_for(post(client, date=kiri), "date")
    auth.logout()
    auth.register(email="kiri@example.com", timezone="Pacific/Kiritimati")
    assert post(client, date=kiri).status_code == 302
    assert [r["day"] for r in rows(app)] == [kiri]


# A form is bound to its day: changing the date never carries one day's answers onto another.


class FormFields(HTMLParser):
    """What a browser sends for the page's check-in form, as it stands (no script)."""

    def __init__(self):
        super().__init__()
        self.fields, self.textarea, self.inside = [], None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "checkin" in (attrs.get("class") or ""):
            self.inside = True
        if not self.inside or "name" not in attrs:
            return
        if tag == "textarea":
            self.textarea = [attrs["name"], ""]
        elif tag == "input" and attrs.get("type") in ("radio", "checkbox"):
            if "checked" in attrs:
                self.fields.append((attrs["name"], attrs.get("value", "y")))
        elif tag == "input":
            self.fields.append((attrs["name"], attrs.get("value", "")))

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea:
            # As HTML does: line breaks are LF, and one right after the tag is dropped.
            text = self.textarea[1].replace("\r\n", "\n").removeprefix("\n")
            self.fields.append((self.textarea[0], text))
            self.textarea = None
        if tag == "form":
            self.inside = False


def form_fields(page, **changes):
    """The check-in form in `page` as the browser would send it, with `changes` made."""
    parser = FormFields()
    parser.feed(page.text)
    fields = dict(parser.fields)
    assert len(fields) == len(parser.fields)
    return {**fields, **changes}


TWO_DAYS_AGO = (TODAY - timedelta(days=2)).isoformat()
TODAYS = {
    "date": TODAY.isoformat(),
    "mood": "7",
    "sleep_hours": "7.5",
    "tags": "walk",
    "reflection": "Today's own words",
    "private": "y",
    "self_harm": "y",
}


def answers(app, day):
    """The stored check-in for `day` as its answers, or None."""
    found = [r for r in rows(app) if r["day"] == day]
    if not found:
        return None
    return {c: found[0][c] for c in ("mood", "sleep_hours", "tags", "reflection", "private",
                                     "self_harm")}  # fmt: skip


def test_changing_the_date_of_todays_filled_form_saves_nothing(app, client, patient):
    """The issue's case: today's filled-in form, only the date changed and a mood picked."""
    assert client.post("/checkin", data=TODAYS).status_code == 302
    today_before = answers(app, TODAY.isoformat())
    again = client.get("/checkin")
    assert "Today&#39;s own words" in again.text  # pre-filled with today's answers
    sent = form_fields(again, date=TWO_DAYS_AGO, mood="3")
    assert sent["loaded_for"] == TODAY.isoformat()

    response = client.post("/checkin", data=sent)
    assert response.status_code == 400
    assert answers(app, TWO_DAYS_AGO) is None  # nothing stored for that day
    assert answers(app, TODAY.isoformat()) == today_before
    assert "You changed the date, so nothing was saved yet." in response.text
    assert "an empty check-in, with what you changed. Check it, then save." in response.text
    shown = form_fields(response)
    # The chosen day's (empty) form with the mood the person picked, and nothing of today's.
    assert shown["date"] == TWO_DAYS_AGO and shown["loaded_for"] == ""
    assert shown["mood"] == "3"
    assert (shown["sleep_hours"], shown["tags"], shown["reflection"]) == ("", "", "")
    assert "private" not in shown and "self_harm" not in shown

    assert client.post("/checkin", data=shown).status_code == 302
    assert answers(app, TWO_DAYS_AGO) == {
        "mood": 3, "sleep_hours": None, "tags": "", "reflection": "", "private": 0,
        "self_harm": None,
    }  # fmt: skip
    assert answers(app, TODAY.isoformat()) == today_before
    with app.app_context():
        # Not flagged for the therapist: the day has no self-harm answer and a mood of 3.
        assert get_db().execute(
            "select count(*) from checkins where day = ? and self_harm = 1", [TWO_DAYS_AGO]
        ).fetchone() == (0,)


def test_changing_the_date_onto_a_saved_day_shows_its_answers_with_what_was_changed(
    app, client, patient
):
    post(client, date=TWO_DAYS_AGO, mood="4", tags="piano", reflection="That day's words")
    assert client.post("/checkin", data=TODAYS).status_code == 302
    sent = form_fields(
        client.get("/checkin"), date=TWO_DAYS_AGO, mood="5", sleep_hours="lots", self_harm=None
    )
    sent = {k: v for k, v in sent.items() if v is not None}  # the box unticked
    response = client.post("/checkin", data=sent)
    assert response.status_code == 400
    assert "This is now the form for" in response.text and "its saved answers" in response.text
    assert answers(app, TWO_DAYS_AGO)["reflection"] == "That day's words"  # unchanged
    shown = form_fields(response)
    assert shown["loaded_for"] == TWO_DAYS_AGO  # saving it replaces that day with what it shows
    assert (shown["mood"], shown["sleep_hours"]) == ("5", "lots")  # changed: kept, to correct
    assert (shown["tags"], shown["reflection"]) == ("piano", "That day's words")
    assert "private" not in shown and "self_harm" not in shown


def replaced_words(response):
    """The saved words a page shows beside the typed ones that would replace them."""
    block = re.search(r'<div class="note replaced-words" id="replaced-words">(.*?)</div>',
                      response.text, re.S)  # fmt: skip
    if not block:
        return {}
    pairs = re.findall(r"<dt>(.*?), as saved</dt>\s*<dd[^>]*>(.*?)</dd>", block[1], re.S)
    return {html.unescape(label): html.unescape(text) for label, text in pairs}


def test_changing_the_date_never_hides_the_words_that_day_had_saved(app, client, patient):
    """Today's reflection, edited, then the date changed onto a day with its own reflection:
    the form shows the typed words (the person's), and that day's saved words beside them,
    not hidden under them (saving as the note asks would have lost them unseen)."""
    post(client, date=TWO_DAYS_AGO, mood="4", tags="piano", reflection="Mum's birthday\nwords")
    assert client.post("/checkin", data=TODAYS).status_code == 302
    typed = "Today's own words. And in the evening I felt calmer."
    sent = form_fields(client.get("/checkin"), date=TWO_DAYS_AGO, reflection=typed)
    response = client.post("/checkin", data=sent)
    assert response.status_code == 400
    assert form_fields(response)["reflection"] == typed
    assert replaced_words(response) == {"Reflection": "Mum's birthday\nwords"}
    # Tags were not changed: that day's own show, and nothing is listed for them.
    assert form_fields(response)["tags"] == "piano"


def test_a_days_own_form_shows_no_replaced_words(client, patient):
    post(client, date=TWO_DAYS_AGO, mood="4", reflection="That day's words")
    page = client.get(f"/checkin?date={TWO_DAYS_AGO}")
    assert replaced_words(page) == {}
    assert '<div class="note replaced-words" id="replaced-words" hidden>' in page.text


def test_a_day_changed_form_sent_by_the_device_is_refused_with_a_reason(app, client, patient):
    """The script (and a check-in queued offline) asks for JSON: 400, and it stays on the
    device with its words rather than being saved onto the other day."""
    client.post("/checkin", data=TODAYS)
    sent = form_fields(client.get("/checkin"), date=TWO_DAYS_AGO, mood="3")
    response = client.post(
        "/checkin",
        data={**sent, "idempotency_key": "k-1", "saved_at": "2026-01-01T08:00:00Z"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "You changed the date" in response.json["errors"]["date"][0]
    assert answers(app, TWO_DAYS_AGO) is None
    with app.app_context():  # the key is not spent: nothing was applied
        assert get_db().execute("select count(*) from checkin_requests").fetchone() == (0,)


@pytest.mark.parametrize("loaded_for", [None, "", YESTERDAY])
def test_a_form_not_filled_from_another_day_saves_as_before(app, client, patient, loaded_for):
    """Without `loaded_for` (existing clients), from an empty form, or from that day's own
    form, what is sent is saved: nothing in it is another day's."""
    data = {**TODAYS, "date": YESTERDAY, "loaded_for": loaded_for}
    if loaded_for == YESTERDAY:
        post(client, mood="2")
    response = client.post("/checkin", data={k: v for k, v in data.items() if v is not None})
    assert response.status_code == 302
    assert answers(app, YESTERDAY) == {
        "mood": 7, "sleep_hours": 7.5, "tags": "walk", "reflection": "Today's own words",
        "private": 1, "self_harm": 1,
    }  # fmt: skip


def test_checkin_for_an_empty_past_day_shows_an_empty_form(app, client, patient):
    client.post("/checkin", data=TODAYS)
    response = client.get(f"/checkin?date={TWO_DAYS_AGO}")
    assert response.status_code == 200
    shown = form_fields(response)
    assert (shown["date"], shown["loaded_for"]) == (TWO_DAYS_AGO, "")
    assert "mood" not in shown and "self_harm" not in shown and "private" not in shown
    assert (shown["sleep_hours"], shown["tags"], shown["reflection"]) == ("", "", "")
    day = date.fromisoformat(TWO_DAYS_AGO)
    assert f"How was {day_text_near(day, TODAY, 'weekday')}?" in response.text
    assert 'id="day-note" hidden' in response.text
    assert "Save check-in" in response.text


def test_a_day_of_another_year_is_written_with_its_year(app, client, patient):
    """On 3 January, "How was Monday 28 December?", "Saved your check-in for ..." and the
    days to add read as days still to come: a day of another year says its year."""
    app.config["IDLE_MINUTES"] = 0  # the clock moves on by weeks
    clock.set(datetime(TODAY.year + 1, 1, 3, 12, tzinfo=UTC))
    last_year = date(TODAY.year, 12, 28)
    said = day_text(last_year, "weekday_year")  # Monday 28 December 2026
    assert f"How was {said}?" in client.get(f"/checkin?date={last_year}").text
    saved = post(client, date=last_year.isoformat(), mood="6")
    assert f"Saved your check-in for {said}." in client.get(saved.location).text
    entries = client.get("/entries").text
    assert f"a check-in for {day_text(date(TODAY.year, 12, 31), 'weekday_year')}</span>" in entries
    assert (
        f'<time datetime="{TODAY.year}-12-30">{day_text(date(TODAY.year, 12, 30), "short_year")}'
        in entries
    )
    assert f"a check-in for {day_text(date(TODAY.year + 1, 1, 2), 'weekday')}</span>" in entries
    taken = take(client, "phq9", last_year.isoformat(), [1] * 9)
    assert f"Saved your PHQ-9 for {said}." in client.get(taken.location).text


def test_checkin_for_a_saved_day_shows_its_answers(client, patient):
    post(client, date=TWO_DAYS_AGO, mood="4", tags="piano", reflection="That day's words")
    response = client.get(f"/checkin?date={TWO_DAYS_AGO}")
    assert response.status_code == 200
    shown = form_fields(response)
    assert (shown["date"], shown["loaded_for"], shown["mood"]) == (TWO_DAYS_AGO, TWO_DAYS_AGO, "4")
    assert (shown["tags"], shown["reflection"]) == ("piano", "That day's words")
    assert "You already checked in for this day; saving again updates it." in response.text
    assert "Save changes" in response.text


@pytest.mark.parametrize(
    ("asked", "message"),
    [
        ((TODAY + timedelta(days=1)).isoformat(), "That date is still to come"),
        ("2999-01-01", "That date is still to come"),
        ("2026-13-01", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ("2026-11-31", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ("yesterday", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ("1900-01-01", "That date is too far back; check the year."),
    ],
)
def test_checkin_for_a_bad_date_says_so_and_offers_today(client, patient, asked, message):
    response = client.get("/checkin", query_string={"date": asked})
    assert response.status_code == 400
    assert message in error_for(response, "date")
    assert "This is today's check-in." in error_for(response, "date").replace("&#39;", "'")
    assert form_fields(response)["date"] == TODAY.isoformat()


def missed_links(page):
    return re.findall(r'href="/checkin\?date=([\d-]+)">Add<', page.text)


def test_history_offers_to_fill_in_the_missed_days_of_the_last_two_weeks(client, patient):
    for back in (20, 9, 3):
        post(client, date=(TODAY - timedelta(days=back)).isoformat())
    page = client.get("/entries")
    wanted = [(TODAY - timedelta(days=n)).isoformat() for n in range(1, 15) if n not in (3, 9)]
    assert missed_links(page) == wanted  # newest first; not today, not the saved days
    assert "12 days without a check-in in the last two weeks" in page.text
    add = client.get(f"/checkin?date={wanted[0]}")
    assert add.status_code == 200 and form_fields(add)["date"] == wanted[0]
    assert missed_links(client.get("/entries?page=1")) == wanted


def test_missed_days_start_at_the_first_check_in_or_sign_up(client, patient):
    assert missed_links(client.get("/entries")) == []  # signed up today: nothing missed yet
    post(client, date=(TODAY - timedelta(days=4)).isoformat())
    post(client, date=YESTERDAY)
    page = client.get("/entries")
    assert missed_links(page) == [(TODAY - timedelta(days=n)).isoformat() for n in (2, 3)]
    assert "2 days without a check-in" in page.text


@pytest.mark.parametrize(
    ("saved", "expected"),
    [
        (set(), ["2026-03-03", "2026-03-02", "2026-03-01"]),
        ({"2026-03-02"}, ["2026-03-03", "2026-03-01"]),
        ({"2026-03-01", "2026-03-02", "2026-03-03"}, []),
    ],
)
def test_days_without(saved, expected):
    days = days_without(saved, date(2026, 3, 1), date(2026, 3, 3))
    assert [d.isoformat() for d in days] == expected


# Every pattern that reads a form field answers promptly at the largest field accepted (a
# URL-encoded form's field is held back only by the 2 MB body limit), with its message.
FIELD_MAX = 2_000_000  # bytes, URL-encoded


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sleep_hours", "9" * FIELD_MAX, "Enter hours as a number, like 7 or 7.5."),
        ("sleep_hours", "1." + "0" * FIELD_MAX, "Enter hours as a number, like 7 or 7.5."),
        ("mood", "6" * FIELD_MAX, None),
        ("date", "2" * FIELD_MAX, None),
        ("reflection", "a\x01" * (FIELD_MAX // 4), "This can be up to 20,000 characters"),
        ("idempotency_key", "a" * FIELD_MAX, "The idempotency key must be 1 to 64 letters"),
        ("saved_at", "2026-01-01T" + "0" * FIELD_MAX, "saved_at must be a time in UTC in ISO"),
    ],
)
def test_hostile_fields_answer_promptly(app, client, patient, field, value, message):
    started = time.perf_counter()
    response = post(client, **{field: value})
    assert time.perf_counter() - started < 5  # a hang guard
    assert response.status_code == 400
    if message is None:  # the field's own message, whatever it says
        assert 'class="error' in response.text
    else:
        assert message in html.unescape(response.text)
    assert rows(app) == []


# Two tabs (or two devices) on the same day: a form filled with a day's answers never
# overwrites what was saved for that day after it was opened; nothing typed is lost.


def loaded_version(response):
    return re.search(r'name="loaded_version" type="hidden" value="([^"]*)"', response.text)[1]


def shown_value(response, field):
    """The value a text field or text area shows on a page."""
    match = re.search(rf'id="{field}"[^>]*value="([^"]*)"', response.text) or re.search(
        rf'<textarea[^>]*id="{field}"[^>]*>(?:\r?\n)?([^<]*)</textarea>', response.text
    )
    return html.unescape(match[1])


@pytest.mark.parametrize(
    ("first_tab", "second_tab"),
    [
        ("/checkin?date={day}", "/checkin?date={day}"),
        ("/entries/{day}/edit", "/checkin?date={day}"),
        ("/checkin?date={day}", "/entries/{day}/edit"),
        ("/entries/{day}/edit", "/entries/{day}/edit"),
    ],
)
def test_a_day_saved_in_another_tab_is_never_overwritten(
    app, client, patient, first_tab, second_tab
):
    post(client, mood="6", tags="walk", reflection="first words")
    first = client.get(first_tab.format(day=YESTERDAY))
    second = client.get(second_tab.format(day=YESTERDAY))
    sent = {"mood": "6", "tags": "walk", "loaded_for": YESTERDAY}
    client.post(
        first_tab.format(day=YESTERDAY).replace("?date=" + YESTERDAY, ""),
        data={**sent, "date": YESTERDAY, "reflection": "first words and more from tab one",
              "loaded_version": loaded_version(first)},
    )  # fmt: skip
    response = client.post(
        second_tab.format(day=YESTERDAY).replace("?date=" + YESTERDAY, ""),
        data={**sent, "date": YESTERDAY, "mood": "3", "reflection": "first words",
              "loaded_version": loaded_version(second)},
    )  # fmt: skip
    assert response.status_code == 400
    assert "was saved elsewhere (another tab or device)" in html.unescape(response.text)
    (row,) = rows(app)
    assert (row["mood"], row["reflection"]) == (6, "first words and more from tab one")
    # The form shows the day as it is now, with what the second tab changed (the mood) on top.
    assert re.search(r'value="3"[^>]*checked', response.text)
    assert shown_value(response, "reflection") == "first words and more from tab one"
    again = client.post(
        second_tab.format(day=YESTERDAY).replace("?date=" + YESTERDAY, ""),
        data={**sent, "date": YESTERDAY, "mood": "3", "loaded_version": loaded_version(response),
              "reflection": shown_value(response, "reflection")},
    )  # fmt: skip
    assert again.status_code == 302
    (row,) = rows(app)
    assert (row["mood"], row["reflection"]) == (3, "first words and more from tab one")


@pytest.mark.parametrize("second_tab", ["/checkin?date={day}", "/entries/{day}/edit"])
def test_words_saved_in_another_tab_are_shown_beside_the_words_typed_over_them(
    app, client, patient, second_tab
):
    """Both tabs changed the reflection: the second sees its own words in the box and the
    first tab's saved ones beside them, so saving again never loses them unseen."""
    post(client, mood="6", reflection="Morning.")
    first = client.get(f"/entries/{YESTERDAY}/edit")
    second = client.get(second_tab.format(day=YESTERDAY))
    one = "Morning. Tab one's long paragraph about the session."
    saved = client.post(f"/entries/{YESTERDAY}/edit", data={
        "mood": "6", "reflection": one, "loaded_version": loaded_version(first)})  # fmt: skip
    assert saved.status_code == 302
    path = second_tab.format(day=YESTERDAY).replace("?date=" + YESTERDAY, "")
    response = client.post(path, data={
        "date": YESTERDAY, "loaded_for": YESTERDAY, "mood": "6",
        "reflection": "Morning. Tab two: a short note.", "loaded_version": loaded_version(second),
    })  # fmt: skip
    assert response.status_code == 400
    assert shown_value(response, "reflection") == "Morning. Tab two: a short note."
    assert replaced_words(response) == {"Reflection": one}
    (row,) = rows(app)
    assert row["reflection"] == one


def test_an_edit_sent_after_the_day_was_deleted_keeps_the_words(app, client, patient):
    post(client, mood="6", reflection="first words")
    version = loaded_version(client.get(f"/entries/{YESTERDAY}/edit"))
    client.post(f"/entries/{YESTERDAY}/delete")
    response = client.post(
        f"/entries/{YESTERDAY}/edit",
        data={"mood": "4", "reflection": "words typed meanwhile", "loaded_version": version},
    )
    assert response.status_code == 400
    assert "was deleted after you opened this form" in html.unescape(response.text)
    assert shown_value(response, "reflection") == "words typed meanwhile"
    assert 'action="/checkin"' in response.text and rows(app) == []


@pytest.mark.parametrize("version", ["x", "mood", " 5 ", "\u202e"])
def test_an_edit_with_a_loaded_version_that_is_none_is_no_500(app, client, patient, version):
    # Before, an edit form whose hidden loaded_version held no fingerprints was taken as
    # saved elsewhere, and the answers to put back were looked up through the day form's
    # `loaded_for`, which the edit form has not: AttributeError, a 500.
    post(client, mood="6", reflection="saved words")
    response = client.post(
        f"/entries/{YESTERDAY}/edit",
        data={"mood": "4", "reflection": "typed words", "loaded_version": version},
    )
    assert response.status_code == 400
    assert "saved elsewhere" in html.unescape(response.text)
    assert shown_value(response, "reflection") == "typed words"
    assert re.search(r'value="4"[^>]*checked', response.text)
    (row,) = rows(app)
    assert (row["mood"], row["reflection"]) == (6, "saved words")


def test_a_json_form_sent_for_another_day_keeps_the_answers_typed(app, client, patient):
    # The answers put back on the chosen day's form were read from request.form, which a
    # JSON body leaves empty: what the person typed was gone from the page.
    post(client, mood="6", reflection="saved words")
    page = client.get(f"/checkin?date={YESTERDAY}")
    other = (TODAY - timedelta(days=2)).isoformat()
    sent = {"date": other, "mood": "3", "reflection": "typed words", "loaded_for": YESTERDAY,
            "loaded_version": loaded_version(page)}  # fmt: skip
    response = client.post("/checkin", json=sent)
    assert response.status_code == 400
    assert "You changed the date" in html.unescape(response.text)
    assert shown_value(response, "reflection") == "typed words"
    assert re.search(r'value="3"[^>]*checked', response.text)
    (row,) = rows(app)
    assert (row["day"], row["reflection"]) == (YESTERDAY, "saved words")
    edited = {"mood": "4", "reflection": "typed edit", "loaded_version": "mood:0000000000"}
    response = client.post(f"/entries/{YESTERDAY}/edit", json=edited)
    assert response.status_code == 400
    assert shown_value(response, "reflection") == "typed edit"


def test_a_days_form_sent_after_the_day_was_deleted_brings_back_every_answer(app, client, patient):
    # /checkin?date= for a saved day (as the edit page, above): the person adds a tag and
    # saves, but the day was deleted in another tab meanwhile. Every answer comes back, not
    # only the tag they changed.
    post(client, mood="6", reflection="a long morning entry")
    page = client.get(f"/checkin?date={YESTERDAY}")
    form = {"loaded_for": YESTERDAY, "loaded_version": loaded_version(page)}
    assert client.post(f"/entries/{YESTERDAY}/delete").status_code == 302
    response = post(client, mood="6", reflection="a long morning entry", tags="walk", **form)
    assert response.status_code == 400
    assert "Your answers are below: save to keep them." in html.unescape(response.text)
    assert re.search(r'value="6"[^>]*checked', response.text)
    assert shown_value(response, "reflection") == "a long morning entry"
    assert shown_value(response, "tags") == "walk"
    assert rows(app) == []


def test_an_unchanged_day_saves_its_form_as_before(app, client, patient):
    post(client, mood="6", reflection="first words")
    version = loaded_version(client.get(f"/entries/{YESTERDAY}/edit"))
    response = client.post(
        f"/entries/{YESTERDAY}/edit",
        data={"mood": "7", "reflection": "first words", "loaded_version": version},
    )
    assert response.status_code == 302
    assert rows(app)[0]["mood"] == 7


def test_edit_form_and_a_reshown_edit_carry_the_stored_fingerprint(app, client, patient):
    """Both edit forms (opened, and shown again after a save elsewhere) take their data from
    one helper, `loaded_data`, whose fingerprint is the stored day's, as a session's is."""
    from journal import checkins

    post(client, mood="6", reflection="first")
    with app.test_request_context():
        from flask import g

        from journal.people import User

        g._login_user = User(get_db()["users"].get(1))
        row = checkins.find_checkin(date.fromisoformat(YESTERDAY))
        data = checkins.loaded_data(row)
        assert data["loaded_version"] == checkins.stored_version(date.fromisoformat(YESTERDAY))
        assert data["reflection"] == "first"
    page = client.get(f"/entries/{YESTERDAY}/edit").text
    assert f'name="loaded_version" type="hidden" value="{data["loaded_version"]}"' in page


@pytest.mark.parametrize("url", ["/checkin", f"/entries/{YESTERDAY}/edit"])
def test_a_double_tap_on_save_is_not_taken_for_another_tab(app, client, patient, url):
    """The same filled-in form sent twice (a double tap without script): the second finds
    the day as the first saved it, which loses nothing, so it saves as before, no warning."""
    post(client, mood="6", tags="walk", reflection="first words")
    form = client.get(f"/checkin?date={YESTERDAY}" if url == "/checkin" else url)
    sent = {"date": YESTERDAY, "loaded_for": YESTERDAY, "mood": "7", "tags": "walk",
            "reflection": "first words, and more"}  # fmt: skip
    sent["loaded_version"] = loaded_version(form)
    for _ in range(2):
        assert client.post(url, data=sent).status_code == 302
    (row,) = rows(app)
    assert (row["mood"], row["reflection"]) == (7, "first words, and more")


def test_a_check_in_sent_back_links_to_each_mistake_from_its_top(client, patient):
    response = client.post("/checkin", data={"date": YESTERDAY, "sleep_hours": "30"})
    assert response.status_code == 400
    top = response.text[response.text.index('id="error-summary"') :]
    assert re.findall(r'href="#([^"]+)"', top[: top.index("</div>")]) == ["mood", "sleep_hours"]


@pytest.mark.parametrize(
    ("answers", "shown"),
    [({"self_harm": "y", "mood": "6"}, True), ({"mood": "1"}, True), ({"mood": "6"}, False)],
)
def test_a_refused_check_in_with_a_safety_answer_shows_the_crisis_resources(
    client, patient, answers, shown
):
    """A check-in refused for a mistake (a date still to come) with the self-harm box ticked or
    a mood of 0-2 came back with no resources: nothing may be blocked by another mistake."""
    future = (TODAY + timedelta(days=3)).isoformat()
    response = client.post("/checkin", data={"date": future, **answers})
    assert response.status_code == 400
    assert ('id="crisis-resources"' in response.text) is shown
    assert "Your entry is saved" not in response.text


def mood_question(response):
    match = re.search(r'id="mood"[^>]*>\s*<legend>([^<]+)</legend>', response.text)
    return match and match.group(1)


def test_the_mood_question_names_the_day_it_asks_about(client, patient):
    """A missed day filled in later asks for that day's mood, not today's: on its form, its
    edit page and its form sent back with a mistake (legend and error summary alike)."""
    assert mood_question(client.get("/checkin")) == "Mood today"
    assert mood_question(client.get(f"/checkin?date={TODAY}")) == "Mood today"
    assert mood_question(client.get(f"/checkin?date={TWO_DAYS_AGO}")) == "Mood that day"
    # The reflection's hint names no day: it is true of a missed day's form too.
    hint = client.get(f"/checkin?date={TWO_DAYS_AGO}").text
    assert "Anything you want to remember about this day." in hint
    assert "remember about today" not in hint
    # A date still to come is refused and shows today's form.
    assert mood_question(client.get("/checkin?date=2999-01-01")) == "Mood today"

    refused = client.post("/checkin", data={"date": TWO_DAYS_AGO, "tags": "walk"})
    assert refused.status_code == 400
    assert mood_question(refused) == "Mood that day"
    assert '<a href="#mood">Mood that day</a>' in refused.text
    day = date.fromisoformat(TWO_DAYS_AGO)
    assert f"How was {day_text_near(day, TODAY, 'weekday')}?" in refused.text
    assert form_fields(refused)["tags"] == "walk"
    refused_today = client.post("/checkin", data={"date": TODAY.isoformat()})
    assert mood_question(refused_today) == "Mood today"
    assert "How are you today?" in refused_today.text
    # A bad date: the form is still today's question until a day is chosen.
    assert mood_question(client.post("/checkin", data={"date": "2999-01-01"})) == "Mood today"

    post(client, date=TWO_DAYS_AGO, mood="4")
    post(client, date=TODAY.isoformat(), mood="5")
    assert mood_question(client.get(f"/entries/{TWO_DAYS_AGO}/edit")) == "Mood that day"
    assert mood_question(client.get(f"/entries/{TODAY}/edit")) == "Mood today"
    bad_edit = client.post(f"/entries/{TWO_DAYS_AGO}/edit", data={"mood": "11"})
    assert bad_edit.status_code == 400
    assert mood_question(bad_edit) == "Mood that day"


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Honolulu"])
def test_a_checkin_sent_without_a_date_is_for_the_persons_today(app, client, auth, zone):
    """The web contract: `date` defaults to today in the person's time zone (the two zones
    are a day apart at the held clock). A date sent empty is still asked for at the field."""
    auth.register(email="zone@example.com", timezone=zone)
    their_today = clock.now().astimezone(ZoneInfo(zone)).date().isoformat()
    empty = client.post("/checkin", data={"date": "", "mood": "6"})
    assert empty.status_code == 400
    assert error_for(empty, "date") == "Enter the date of this check-in."
    assert rows(app) == []
    response = client.post("/checkin", data={"mood": "6", "reflection": "no date sent"})
    assert response.status_code == 302
    assert response.location == f"/entries/{their_today}"
    (row,) = rows(app)
    assert (row["day"], row["mood"], row["reflection"]) == (their_today, 6, "no date sent")
    answer = client.post("/checkin", json={"mood": "4"}, headers={"Accept": "application/json"})
    assert answer.status_code in (200, 201), answer.text
    assert [(r["day"], r["mood"]) for r in rows(app)] == [(their_today, 4)]
    # Not for an entry written earlier (the queue's `saved_at`) or a form filled from a day:
    # their day is asked for, not guessed to be today.
    written = {"mood": "3", "saved_at": "2026-12-03T23:50:00Z", "idempotency_key": "k" * 16}
    for sent in (written, {"mood": "3", "loaded_for": YESTERDAY}):
        refused = client.post("/checkin", data=sent)
        assert refused.status_code == 400
        assert error_for(refused, "date") == "Enter the date of this check-in."
        assert "You changed the date" not in refused.text
    assert [(r["day"], r["mood"]) for r in rows(app)] == [(their_today, 4)]


def test_back_after_a_delete_says_the_check_in_is_gone(client, patient):
    """Back from History after deleting a day's check-in reaches its page and its delete
    page: they say there is no check-in for that day (not a bare "nothing at this
    address"), as they do for a day never checked in or someone else's, alike."""
    post(client, date=YESTERDAY, mood="4")
    assert client.post(f"/entries/{YESTERDAY}/delete").status_code == 302
    day = date.fromisoformat(YESTERDAY)
    for path in (
        f"/entries/{YESTERDAY}",
        f"/entries/{YESTERDAY}/delete",
        f"/entries/{YESTERDAY}/edit",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert (
            f"There is no check-in for {day:%A %-d %B %Y}: it may have been deleted."
            in html.unescape(response.text)
        )


def test_a_check_in_that_is_gone_links_to_history(client, patient):
    """The page reached by Back after a delete names History: its link goes there, not only
    to the start page. A 404 elsewhere keeps the start page's link."""
    post(client, date=YESTERDAY, mood="4")
    assert client.post(f"/entries/{YESTERDAY}/delete").status_code == 302
    response = client.get(f"/entries/{YESTERDAY}")
    assert response.status_code == 404
    assert '<a href="/entries">Go to History</a>' in response.text
    assert "Go to the start page" not in response.text
    assert '<a href="/">Go to the start page</a>' in client.get("/no-such-page").text


def test_the_first_check_in_says_what_comes_next(client, patient):
    """A newcomer's first saved check-in showed its mood and nothing about what the journal is
    for next: its page now names the next steps, once."""
    checkin(client, TODAY.isoformat(), 6)
    page = client.get(f"/entries/{TODAY.isoformat()}").text
    assert "Your first check-in is in" in page
    for address in ("/sessions/new", "/settings/therapist", "/share"):
        assert f'href="{address}"' in page
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    checkin(client, yesterday, 5)
    for day in (TODAY.isoformat(), yesterday):
        assert "Your first check-in is in" not in client.get(f"/entries/{day}").text


def test_a_note_that_nothing_was_saved_is_read_first_and_a_standing_one_is_not(client, patient):
    """The note of a check-in page shown again unsaved takes the focus as the message after
    an action does (data-result, static/page.js); it lacked the mark on /checkin, where a
    screen reader never read it. "You already checked in for this day" is not a result."""
    assert client.post("/checkin", data=TODAYS).status_code == 302
    standing = client.get("/checkin").text
    assert (
        'id="day-note"' in standing and "data-result" not in standing.split('id="day-note"')[1][:80]
    )
    sent = form_fields(client.get("/checkin"), date=TWO_DAYS_AGO, mood="3")
    response = client.post("/checkin", data=sent)
    assert re.search(
        r'<p class="note" id="day-note" role="status" data-result>You changed the date',
        response.text,
    )


def test_a_delete_confirmed_after_the_day_was_saved_elsewhere_deletes_nothing(app, client, patient):
    # The delete page was opened (its words: "Its mood and tags will be gone"), then the day
    # got a long reflection from another tab or device; tapping "Delete for good" deleted
    # those words too, which the person never saw on the page they confirmed.
    post(client, mood="5")
    confirm = client.get(f"/entries/{YESTERDAY}/delete")
    assert "Its mood and tags will be gone" in html.unescape(confirm.text)
    version = loaded_version(client.get(f"/entries/{YESTERDAY}/edit"))
    client.post(
        f"/entries/{YESTERDAY}/edit",
        data={"mood": "6", "reflection": "words written elsewhere", "loaded_version": version},
    )
    response = client.post(
        f"/entries/{YESTERDAY}/delete", data={"loaded_version": loaded_version(confirm)}
    )
    assert response.status_code == 400
    assert "changed after you opened this page" in html.unescape(response.text)
    assert "Its mood, reflection and tags will be gone" in html.unescape(response.text)
    (row,) = rows(app)
    assert (row["mood"], row["reflection"]) == (6, "words written elsewhere")
    # Confirmed again from the page as it is now, it goes.
    again = client.post(
        f"/entries/{YESTERDAY}/delete", data={"loaded_version": loaded_version(response)}
    )
    assert again.status_code == 302 and rows(app) == []
