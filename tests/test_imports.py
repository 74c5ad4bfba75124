import html
import io
import json
import re
import sqlite3
import time
from datetime import date, timedelta

import pytest
from conftest import AuthActions, csrf_token
from factories import (
    TODAY,
    deleted_first,
    invite_code,
    link,
    person,
    session,
    share_link,
    signed_in_twice,
    signed_out_as_deleted,
    sql,
    take,
    therapist,
)

from journal import clock
from journal.data import imports as import_data
from journal.db import get_db
from journal.imports import MOOD_WORDS, header_key, minutes, parse, read_mood, read_note, separator

FUTURE = (TODAY + timedelta(days=2)).isoformat()

# A Daylio export as the app writes it: newest first, every text field quoted, a multi-line
# note, activities joined with " | ", and columns we do not read (date, weekday, time).
DAYLIO = (
    "full_date,date,weekday,time,mood,activities,note_title,note\n"
    '2025-06-03,"June 3",Tuesday,"21:14",good,"friends | walk | good sleep","Picnic",'
    '"Lunch in the park, then a long walk.\nFelt light 🌿"\n'
    '2025-06-02,"June 2",Monday,"22:01",meh,"work","",""\n'
    '2025-06-01,"June 1",Sunday,"09:30",rad,"family | cooking","","Café with Zoë, 心"\n'
    '2025-05-31,"May 31",Saturday,"23:45",bad,"","","Couldn\'t sleep"\n'
    '2025-05-30,"May 30",Friday,"20:00",awful,"","Hard day",""\n'
)
DAYLIO_SAVED = [
    ("2025-05-30", 1, "Hard day", "imported"),
    ("2025-05-31", 3, "Couldn't sleep", "imported"),
    ("2025-06-01", 9, "Café with Zoë, 心", "imported, family, cooking"),
    ("2025-06-02", 5, "", "imported, work"),
    (
        "2025-06-03",
        7,
        "Picnic\n\nLunch in the park, then a long walk.\nFelt light 🌿",
        "imported, friends, walk, good sleep",
    ),
]
GENERIC = 'date,mood,note\n2025-01-02,4,Slow start\n2025-01-03,10,\n2025-01-04,0,"a, b"\n'


def upload(client, data, filename="export.csv", **fields):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return client.post(
        "/import",
        data={"file": (io.BytesIO(data), filename), **fields},
        content_type="multipart/form-data",
    )


def pending_id(response):
    assert response.status_code == 302, problems(response)
    match = re.fullmatch(r"/import/(\d+)", response.location)
    assert match, response.location
    return int(match.group(1))


def checkins(app):
    with app.app_context():
        return [
            (r["day"], r["mood"], r["reflection"], r["tags"])
            for r in get_db()["checkins"].rows_where(order_by="day")
        ]


def checkin_rows(app):
    with app.app_context():
        return list(get_db()["checkins"].rows_where(order_by="day"))


def pendings(app):
    with app.app_context():
        return list(get_db()["pending_imports"].rows)


def problems(response):
    """The problems listed on the upload form, as text."""
    match = re.search(r'id="import-problems".*?<ul>(.*?)</ul>', response.text, re.S)
    if match is None:
        return []
    return [html.unescape(p) for p in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


# Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/import"),
        ("post", "/import"),
        ("get", "/import/1"),
        ("post", "/import/1/confirm"),
        ("post", "/import/1/cancel"),
    ],
)
def test_login_required(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")


def test_upload_page_explains_formats(client, patient):
    page = client.get("/import")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'type="file"' in page.text and 'name="file"' in page.text
    for word, value in (("rad", 9), ("good", 7), ("meh", 5), ("bad", 3), ("awful", 1)):
        assert f"<td>{word}</td><td>{value}</td>" in page.text
    assert "private" in page.text


def test_a_file_with_two_byte_order_marks_reads(app, client, patient):
    """A file read by a tool that kept its byte order mark as text and saved again with one of
    its own (Python's "utf-8" read, "utf-8-sig" write) starts with two: it reads as one."""
    import_id = pending_id(upload(client, ("\ufeff" + GENERIC).encode("utf-8-sig")))
    assert "The file has <strong>3</strong> check-ins." in client.get(f"/import/{import_id}").text


# Daylio ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: text.replace("\n", "\r\n").encode("utf-8"),  # CRLF, notes included
        lambda text: text.encode("utf-8-sig"),  # with a byte order mark
    ],
    ids=["lf", "crlf", "bom"],
)
def test_daylio_import(app, client, patient, encode):
    import_id = pending_id(upload(client, encode(DAYLIO), "daylio_export_2025_06_04.csv"))
    assert checkins(app) == []  # nothing saved before confirming

    page = client.get(f"/import/{import_id}")
    assert page.status_code == 200
    assert "daylio_export_2025_06_04.csv" in page.text
    assert "The file has <strong>5</strong> check-ins, exported from Daylio." in page.text
    for word, value, rows in (("rad", 9, 1), ("good", 7, 1), ("meh", 5, 1), ("bad", 3, 1)):
        assert f"<td>{word}</td><td>{value}</td><td>{rows}</td>" in page.text
    assert "<td>awful</td><td>1</td><td>1</td>" in page.text
    assert '7 <span class="hint">(good)</span>' in page.text
    assert "Import 5 check-ins" in page.text

    response = client.post(f"/import/{import_id}/confirm")
    assert response.status_code == 302
    assert response.location == "/entries"
    crlf_free = [(d, m, r.replace("\r", ""), t) for d, m, r, t in checkins(app)]
    assert crlf_free == DAYLIO_SAVED
    assert checkins(app) == DAYLIO_SAVED  # CRLF inside notes became one line break
    for row in checkin_rows(app):
        assert row["private"] == 1  # imported notes start private
        assert row["self_harm"] is None and row["anxiety"] is None
    assert pendings(app) == []
    entries = client.get("/entries")
    assert "Imported 5 check-ins from daylio_export_2025_06_04.csv." in entries.text


# Daylio logs several times a day, newest first, with times in the app's own format.
DAYLIO_SEVERAL = (
    "full_date,date,weekday,time,mood,activities,note_title,note\n"
    '2025-06-03,"June 3",Tuesday,"9:40 pm",meh,"reading","","Calmer by night"\n'
    '2025-06-03,"June 3",Tuesday,"1:05 pm",awful,"work | walk","Lunch","Panic at lunch"\n'
    '2025-06-03,"June 3",Tuesday,"8:15 am",rad,"walk","",""\n'
    '2025-06-02,"June 2",Monday,"22:01",good,"work","","One entry"\n'
    '2025-06-01,"June 1",Sunday,"",good,"","","Second, no time"\n'
    '2025-06-01,"June 1",Sunday,"",meh,"","","First, no time"\n'
)


def test_daylio_days_with_several_entries_become_one_check_in_each(app, client, patient):
    import_id = pending_id(upload(client, DAYLIO_SEVERAL, "daylio_export.csv"))
    page = client.get(f"/import/{import_id}")
    assert "The file has <strong>3</strong> check-ins, exported from Daylio." in page.text
    merged = re.search(r'id="import-merged">(.*?)</p>', page.text, re.S).group(1)
    assert merged.startswith("2 days have more than one entry in Daylio.")
    # Rad 9, awful 1, meh 5: a mean of 5. Good 7 and meh 5: 6.
    assert '5 <span class="hint">(average of 3 entries)</span>' in page.text
    assert '6 <span class="hint">(average of 2 entries)</span>' in page.text
    assert "<td>2, 3, 4</td>" in page.text  # the lines that made the day
    for word, entries in (("rad", 1), ("good", 2), ("meh", 2), ("awful", 1)):
        assert f"<td>{word}</td><td>{MOOD_WORDS[word]}</td><td>{entries}</td>" in page.text

    assert client.post(f"/import/{import_id}/confirm").status_code == 302
    assert checkins(app) == [
        ("2025-06-01", 6, "First, no time\n\nSecond, no time", "imported"),  # file reversed
        ("2025-06-02", 7, "One entry", "imported, work"),
        (
            "2025-06-03",
            5,
            "13:05 \u2014 Lunch\n\nPanic at lunch\n\n21:40 \u2014 Calmer by night",
            "imported, walk, work, reading",
        ),
    ]


def test_merged_daylio_notes_keep_the_reflection_limit(client, patient):
    half = "x" * 10_000
    text = (
        "full_date,time,mood,note\n"
        f"2025-06-03,21:00,good,{half}\n2025-06-03,08:00,meh,{half}\n2025-06-02,08:00,meh,ok\n"
    )
    response = upload(client, text)
    assert response.status_code == 400
    # 2 x 10,000, each after its time ("08:00 — ", 8 characters), a blank line between.
    assert problems(response) == [
        "Lines 2, 3: the notes of 2025-06-03 have 20,018 characters together; a check-in's "
        "reflection can be up to 20,000."
    ]


def test_an_unreadable_daylio_time_is_left_out_of_the_note():
    text = (
        "full_date,time,mood,note\n"
        "2025-06-03,9:40\x07pm\u202e,good,Later\n2025-06-03,08:00,meh,Earlier\n"
    )
    parsed = parse(text.encode(), TODAY)
    assert parsed.problems == []
    # One time unreadable: the file's order, reversed (Daylio lists the newest first).
    (row,) = parsed.rows
    assert row["note"] == "08:00 \u2014 Earlier\n\nLater"


def test_merged_daylio_mood_rounds_halves_up():
    text = "full_date,mood\n2025-06-03,7\n2025-06-03,6\n2025-06-02,0\n2025-06-02,1\n"
    parsed = parse(text.encode(), TODAY)
    assert parsed.problems == []
    assert [(row["day"], row["mood"]) for row in parsed.rows] == [
        ("2025-06-03", 7),
        ("2025-06-02", 1),
    ]


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        ("21:14", 21 * 60 + 14),
        ("9:14 pm", 21 * 60 + 14),
        ("12:05 am", 5),
        ("12:05 PM", 12 * 60 + 5),
        ("7:00 a.m.", 7 * 60),
        ("", None),
        ("noon", None),
        ("13:00 pm", None),
        ("24:00", None),
    ],
)
def test_minutes_reads_daylio_times(time, expected):
    assert minutes(time) == expected


# Generic CSV ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        GENERIC,
        "Day;MOOD (0-10);Notes\n2025-01-02;4;Slow start\n2025-01-03;10;\n2025-01-04;0;a, b\n",
        "Date\tMood\tReflection\n"
        "2025-01-02\t4\tSlow start\n2025-01-03\t10\t\n2025-01-04\t0\ta, b\n",
        "time,weather,Date,mood,note\n"
        '9:00,sun,2025-01-02,4,Slow start\n,,2025-01-03,10,\n,rain,2025-01-04,0,"a, b"\n',
        '\n\ndate,mood,note\n\n2025-01-02,4,Slow start\n2025-01-03,10,\n\n2025-01-04,0,"a, b"\n\n',
    ],
    ids=["plain", "semicolons", "tabs", "extra-columns", "blank-lines"],
)
def test_generic_csv(app, client, patient, text):
    import_id = pending_id(upload(client, text))
    page = client.get(f"/import/{import_id}")
    assert "The file has <strong>3</strong> check-ins." in page.text
    assert "Moods are numbers from 0 (very low) to 10 (very good)" in page.text
    assert client.post(f"/import/{import_id}/confirm").status_code == 302
    assert checkins(app) == [
        ("2025-01-02", 4, "Slow start", "imported"),
        ("2025-01-03", 10, "", "imported"),
        ("2025-01-04", 0, "a, b", "imported"),
    ]


def test_generic_csv_may_use_mood_words_and_tags(app, client, patient):
    import_id = pending_id(upload(client, 'date,mood,tags\n2025-01-02,Good,"walk, -x"\n'))
    page = client.get(f"/import/{import_id}")
    assert "<td>good</td><td>7</td><td>1</td>" in page.text
    client.post(f"/import/{import_id}/confirm")
    assert checkins(app) == [("2025-01-02", 7, "", "imported, walk, -x")]


def imported_by_another_account(app, client, auth, columns):
    """Export the signed-in person's checkins.csv, import it into a new account; `columns`
    of the new account's check-ins, oldest first."""
    exported = client.get("/export/checkins.csv").data
    auth.logout()
    auth.register(email="new@example.com")
    import_id = pending_id(upload(client, exported, "afterglow-checkins.csv"))
    client.post(f"/import/{import_id}/confirm")
    with app.app_context():
        rows = get_db()["checkins"].rows_where("user_id = 2", order_by="day")
        return [tuple(r[c] for c in columns) for r in rows]


def test_own_checkins_export_reads_back_in(app, client, auth):
    auth.register(email="old@example.com")
    for day, mood, text in (
        ("2025-02-01", "3", "=not a formula\nline two"),
        ("2025-02-02", "8", ""),
    ):
        client.post(
            "/checkin", data={"date": day, "mood": mood, "reflection": text, "tags": "a, b"}
        )
    rows = imported_by_another_account(app, client, auth, ("day", "mood", "reflection", "tags"))
    assert rows == [
        ("2025-02-01", 3, "=not a formula\nline two", "imported, a, b"),
        ("2025-02-02", 8, "", "imported, a, b"),
    ]


@pytest.mark.parametrize(
    ("export", "named"),
    [
        ("sessions.csv", "your sessions (sessions.csv)"),
        ("assessments.csv", "your check-ups (assessments.csv)"),
        ("data.json", "your whole journal as JSON (data.json)"),
    ],
)
def test_another_of_our_own_exports_says_only_check_ins_are_imported(
    app, client, auth, export, named
):
    # Moving to a new account, a person uploads each of the files they exported. Told to
    # name a "mood" column, they could rename sessions.csv's mood_before and bring their
    # sessions in as check-ins (their session reflections with them).
    auth.register(email="old@example.com")
    session(client, "2025-02-01")
    take(client, "phq9", "2025-02-01", [1] * 9)
    exported = client.get(f"/export/{export}").data
    auth.logout()
    auth.register(email="new@example.com")
    response = upload(client, exported, f"afterglow-{export}")
    assert response.status_code == 400
    [problem] = problems(response)
    assert problem.startswith(f"This is Afterglow's export of {named}: only check-ins")
    assert "name it" not in problem
    assert sql(app, "select count(*) from pending_imports")[0][0] == 0
    assert checkins(app) == []


@pytest.mark.parametrize(
    "text",
    ['[{"date": "2025-02-01", "mood": 5}]', '{"entries": [{"day": "2025-02-01", "mood": 5}]}'],
    ids=["a list", "an object"],
)
def test_another_apps_json_is_told_it_is_not_a_csv(app, client, patient, text):
    response = upload(client, text, "moods.json")
    assert response.status_code == 400
    assert problems(response) == [
        "This is a JSON file, not a CSV: only check-ins can be imported, from Afterglow's "
        "checkins.csv or another app's CSV."
    ]
    assert sql(app, "select count(*) from pending_imports")[0][0] == 0
    assert checkins(app) == []


def test_a_csv_whose_first_cell_opens_with_a_bracket_is_read_as_csv(client, patient):
    # Its first line opens as JSON would ("[", "{"): it is a CSV all the same, not refused as
    # JSON, and its date and mood columns are read.
    for first in ("[id]", "{entry}"):
        text = f"{first},date,mood\n1,2025-02-01,5\n2,2025-02-02,6\n"
        page = client.get(f"/import/{pending_id(upload(client, text))}")
        assert "The file has <strong>2</strong> check-ins." in page.text


def test_own_export_reads_back_text_that_starts_with_a_quote_as_typed(app, client, auth):
    # The export's quote before a would-be formula is taken off on import; a quote the person
    # typed there themselves ("'+1 for ...") is kept, as are quotes anywhere else.
    auth.register(email="old@example.com")
    texts = ["'+1 for getting outside", "''=both quotes", "+1 plain", "'just quoted", "it's"]
    for n, text in enumerate(texts):
        client.post("/checkin", data={"date": f"2025-02-0{n + 1}", "mood": "5",
                                      "reflection": text, "tags": text})  # fmt: skip
    rows = imported_by_another_account(app, client, auth, ("reflection", "tags"))
    assert [reflection for reflection, _ in rows] == texts
    assert [tags for _, tags in rows] == [f"imported, {text}" for text in texts]


def test_own_export_reads_back_each_reflection_to_its_ends(app, client, auth):
    # The import trimmed a note: an indented first line, leading blank lines, spaces (and
    # no-break or ideographic ones) at either end were lost, which the check-in form keeps.
    auth.register(email="old@example.com")
    texts = ["  indented first line\n\tand a tab  ", "\n\nafter two blank lines",
             "\u00a0\u3000wide\u3000\u00a0", "plain"]  # fmt: skip
    for n, text in enumerate(texts):
        client.post("/checkin", data={"date": f"2025-02-0{n + 1}", "mood": "5",
                                      "reflection": text})  # fmt: skip
    rows = imported_by_another_account(app, client, auth, ("reflection",))
    assert [reflection for (reflection,) in rows] == texts


def test_a_daylio_title_and_note_are_joined_each_trimmed():
    assert read_note("  Good day ", "\n  walked by the sea  \n") == (
        "Good day\n\nwalked by the sea",
        None,
    )
    assert read_note("", "   ") == ("", None)


def test_own_export_reads_back_with_every_answer_of_the_check_in_form(app, client, auth):
    # Anxiety, energy, sleep and the self-harm answer came back empty, a symptom named
    # "Notes" took the reflection's place, and a day with 20 tags stopped the whole file.
    auth.register(email="old@example.com")
    client.post("/settings/symptoms", data={"name": "Notes"})
    twenty = ", ".join(f"t{n}" for n in range(20))
    client.post("/checkin", data={"date": "2025-02-01", "mood": "3", "anxiety": "6",
                                  "energy": "0", "sleep_hours": "7.5", "self_harm": "y",
                                  "reflection": "my words", "symptom_1": "4"})  # fmt: skip
    client.post("/checkin", data={"date": "2025-02-02", "mood": "8", "tags": twenty})
    columns = ("day", "mood", "anxiety", "energy", "sleep_hours", "self_harm", "reflection",
               "tags")  # fmt: skip
    rows = [dict(zip(columns, row, strict=True))
            for row in imported_by_another_account(app, client, auth, columns)]  # fmt: skip
    assert rows == [
        {"day": "2025-02-01", "mood": 3, "anxiety": 6, "energy": 0, "sleep_hours": 7.5,
         "self_harm": 1, "reflection": "my words", "tags": "imported"},
        {"day": "2025-02-02", "mood": 8, "anxiety": None, "energy": None, "sleep_hours": None,
         "self_harm": None, "reflection": "", "tags": twenty},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ("anxiety\n2025-01-01,5,11", "anxiety '11' is not a whole number from 0 to 10."),
        ("energy\n2025-01-01,5,７", "energy '７' is not a whole number from 0 to 10."),
        ("sleep_hours\n2025-01-01,5,7.25", "sleep: use whole or half hours, like 7 or 7.5."),
        ("sleep_hours\n2025-01-01,5,25", "sleep: hours of sleep must be from 0 to 24."),
        ("self_harm\n2025-01-01,5,maybe", "self_harm 'maybe' is neither yes nor no."),
    ],
)
def test_the_other_answers_keep_the_check_in_forms_rules(app, client, patient, cells, problem):
    response = upload(client, "date,mood," + cells)
    assert response.status_code == 400
    assert f"Line 2: {problem}" in html.unescape(response.text)
    assert checkins(app) == []


def test_a_yes_or_no_cell_reads_as_the_check_in_form_reads_it(app, client, patient):
    # One list of yes and no words (fields.TICKED, UNTICKED) for the form, JSON and a file.
    text = "date,mood,self_harm\n2025-01-01,5, On \n2025-01-02,5,OFF\n2025-01-03,5,\n"
    import_id = pending_id(upload(client, text))
    assert client.post(f"/import/{import_id}/confirm").status_code == 302
    with app.app_context():
        rows = get_db().execute("select day, self_harm from checkins order by day").fetchall()
    assert [tuple(row) for row in rows] == [
        ("2025-01-01", 1), ("2025-01-02", 0), ("2025-01-03", None)
    ]  # fmt: skip


# Preview, confirm, cancel ---------------------------------------------------------------


@pytest.mark.parametrize("action", ["confirm", "cancel"])
def test_an_import_confirmed_or_cancelled_as_the_account_is_deleted_elsewhere_signs_out(
    app, monkeypatch, action
):
    """The account is deleted on the phone after the request read the parked import: the
    page said the import "was saved or cancelled already", of an account that was gone.
    Now the person is signed out and told nothing was saved."""
    client, phone = signed_in_twice(app)
    import_id = pending_id(upload(client, GENERIC))
    deleted_first(monkeypatch, import_data, "delete", phone)
    path = f"/import/{import_id}/{action}"
    response = client.post(path)
    signed_out_as_deleted(client, response, path)
    assert checkins(app) == [] and pendings(app) == []


def test_existing_days_are_skipped_not_overwritten(app, client, patient):
    client.post("/checkin", data={"date": "2025-01-03", "mood": "6", "reflection": "mine"})
    import_id = pending_id(upload(client, GENERIC))
    page = client.get(f"/import/{import_id}")
    assert "1 of them is a day you already have: it will be skipped" in page.text
    assert "2 new check-ins will be added." in page.text
    assert "already here: skipped" in page.text
    assert 'id="skipped-title"' in page.text and 'href="/entries/2025-01-03"' in page.text
    assert "Import 2 check-ins" in page.text
    client.post(f"/import/{import_id}/confirm")
    assert checkins(app) == [
        ("2025-01-02", 4, "Slow start", "imported"),
        ("2025-01-03", 6, "mine", ""),  # untouched
        ("2025-01-04", 0, "a, b", "imported"),
    ]
    flash = client.get("/entries").text
    assert "Imported 2 check-ins from export.csv. Kept the 1 day you already had." in flash


def test_a_check_in_from_the_phones_queue_is_added_to_an_imported_day(app, client, patient):
    """Written here offline the evening before, sent after the import of the same day: it was
    kept out as older than the imported row (counted as written at the import), so a mood of
    2 written here never reached the journal. What was written here wins: it is added to the
    imported day, as to any older entry."""
    day = (TODAY - timedelta(days=1)).isoformat()
    import_id = pending_id(upload(client, f"date,mood,note\n{day},7,from daylio\n"))
    client.post(f"/import/{import_id}/confirm")
    queued = {
        "date": day,
        "mood": "2",
        "reflection": "written here",
        "saved_at": f"{day}T20:00:00Z",
        "idempotency_key": "0b6d7c1e-2f7a-4c1e-9a51-7f0e3c2d1b4a",
    }
    answer = client.post("/checkin", data=queued, headers={"Accept": "application/json"})
    assert answer.json == {"status": "updated", "day": day}
    assert checkins(app) == [(day, 2, "from daylio\n\nwritten here", "imported")]


def test_day_saved_after_the_preview_is_kept(app, client, patient):
    import_id = pending_id(upload(client, GENERIC))
    client.post("/checkin", data={"date": "2025-01-02", "mood": "8", "reflection": "typed since"})
    client.post(f"/import/{import_id}/confirm")
    assert checkins(app)[0] == ("2025-01-02", 8, "typed since", "")
    assert len(checkins(app)) == 3


def test_nothing_new_to_import(app, client, patient):
    client.post("/checkin", data={"date": "2025-01-02", "mood": "5"})
    import_id = pending_id(upload(client, "date,mood\n2025-01-02,9\n"))
    page = client.get(f"/import/{import_id}")
    assert "There is nothing new to add." in page.text
    assert "/confirm" not in page.text
    assert f'action="/import/{import_id}/cancel"' in page.text


def test_preview_shows_only_the_first_rows(client, patient):
    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(25)]
    text = "date,mood\n" + "".join(f"{d.isoformat()},{n % 11}\n" for n, d in enumerate(days))
    page = client.get(f"/import/{pending_id(upload(client, text))}")
    assert "The file has <strong>25</strong> check-ins." in page.text
    assert "The first 10 rows" in page.text
    assert page.text.count('<time datetime="2025-01-') == 10
    assert "Import 25 check-ins" in page.text


ANSWERED = (
    "date,mood,anxiety,energy,sleep_hours,self_harm,reflection\n"
    "2025-01-01,5,3,4,6,no,\n"
    "2025-01-02,2,,,7.5,yes,hard\n"
    "2025-01-03,6,,,,,\n"
)


def preview_rows(page):
    """The preview table's rows, each a list of its cells' text."""
    body = re.search(r'<table id="import-rows">.*?<tbody>(.*?)</tbody>', page.text, re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>|\s+", " ", cell)).split() for cell in cells]
        for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
                      for row in re.findall(r"<tr.*?</tr>", body.group(1), re.S))
    ]  # fmt: skip


def test_preview_shows_every_answer_that_will_be_kept(client, patient):
    # Anxiety, energy, sleep and the self-harm answer were imported but never shown, and a
    # "yes" flagged its day for a therapist without a word before Import.
    page = client.get(f"/import/{pending_id(upload(client, ANSWERED))}")
    assert '<th scope="col">Other answers</th>' in page.text
    assert [" ".join(row[-1]) for row in preview_rows(page)] == [
        "Anxiety 3 · Energy 4 · Sleep 6 h · Thoughts of self-harm: no",
        "Sleep 7.5 h · Thoughts of self-harm: yes",
        "",
    ]
    warning = re.search(r'<p class="note" id="import-self-harm">(.*?)</p>', page.text, re.S)
    assert warning, "no word of the self-harm answer before Import"
    # One day with both reasons, not "1 new day answers yes ... 1 new day has a mood of 0–2."
    # (two days, it read, until 2026-12-07).
    assert (
        "1 new day answers yes to thoughts of self-harm and has a mood of 0–2. Once imported"
    ) in html.unescape(warning.group(1))
    assert "marked as a day calling for help" in warning.group(1)
    assert "therapist" not in warning.group(1)  # no therapist is linked
    assert page.text.index('id="import-self-harm"') < page.text.index("Import 3 check-ins")


def test_preview_says_a_linked_therapist_sees_the_self_harm_days_flagged(app):
    pat = person(app, "pat@example.com")
    assert link(pat, invite_code(therapist(app))).status_code == 302
    text = "date,mood,self_harm\n2025-01-01,5,yes\n2025-01-02,5,y\n2025-01-03,5,no\n"
    page = pat.get(f"/import/{pending_id(upload(pat, text))}")
    warning = html.unescape(page.text.split('id="import-self-harm">')[1].split("</p>")[0])
    assert warning.startswith("2 new days answer yes to thoughts of self-harm.")
    assert "Your therapist, Dr Rivera, will see them flagged" in warning


def import_note(page):
    """The text of the preview's note on the days the import flags."""
    note = re.search(
        r'<p class="note" id="import-(?:self-harm|low-mood)">(.*?)</p>', page.text, re.S
    )
    return html.unescape(re.sub(r"<[^>]+>", "", note.group(1)))


def test_preview_says_an_active_share_link_sees_the_flagged_days(app, client, patient):
    # A share link shows flagged days too, but the note named only a linked therapist.
    share_link(client, label="Sam")
    share_link(client, label="Old")
    with app.app_context():
        (old,) = get_db()["share_links"].rows_where("label = 'Old'")
    assert client.post(f"/share/{old['id']}/revoke").status_code == 302
    text = "date,mood,self_harm\n2025-01-01,5,yes\n2025-01-02,5,no\n"
    note = import_note(client.get(f"/import/{pending_id(upload(client, text))}"))
    assert "Anyone with your share link “Sam” will see it flagged with that reason" in note
    assert "Old" not in note  # a revoked link sees nothing
    share_link(client, label="Jo")
    note = import_note(client.get(f"/import/{pending_id(upload(client, text))}"))
    assert "Anyone with your share links will see it flagged" in note


def test_preview_warns_of_low_mood_days_with_a_count_per_reason(app):
    # A mood of 0-2 flags its day as a self-harm answer does, but the preview said nothing.
    pat = person(app, "pat@example.com")
    assert link(pat, invite_code(therapist(app))).status_code == 302
    share_link(pat, label="Sam")
    text = "date,mood,self_harm\n2025-01-01,2,yes\n2025-01-02,0,\n2025-01-03,3,no\n"
    note = import_note(pat.get(f"/import/{pending_id(upload(pat, text))}"))
    # 1 January both answers yes and has a mood of 2: 2 days, not the 3 the counts per
    # reason added up to ("1 new day answers yes ... 2 new days have ...", until 2026-12-07).
    assert note.startswith(
        "2 new days will be flagged: 1 answers yes to thoughts of self-harm, 2 have a mood of "
        "0–2 (1 has both). Once imported, they will be marked as days calling for help"
    )
    assert (
        "Your therapist, Dr Rivera, and anyone with your share link “Sam”, will see them "
        "flagged with their reasons, but not the words of a private note."
    ) in note
    apart = "date,mood,self_harm\n2025-01-01,5,yes\n2025-01-02,1,no\n"
    assert import_note(pat.get(f"/import/{pending_id(upload(pat, apart))}")).startswith(
        "2 new days will be flagged: 1 answers yes to thoughts of self-harm, 1 has a mood of "
        "0–2. Once imported, they will be marked"
    )
    daylio = import_note(pat.get(f"/import/{pending_id(upload(pat, DAYLIO))}"))  # awful: 1
    assert daylio.startswith("1 new day has a mood of 0–2. Once imported, it will be marked")
    assert "self-harm" not in daylio


def test_preview_says_nothing_of_self_harm_for_skipped_days_or_a_no(client, patient):
    client.post("/checkin", data={"date": "2025-01-02", "mood": "5"})
    page = client.get(f"/import/{pending_id(upload(client, ANSWERED))}")
    assert "import-self-harm" not in page.text
    daylio = client.get(f"/import/{pending_id(upload(client, DAYLIO))}")
    assert "Other answers" not in daylio.text and "import-self-harm" not in daylio.text


def test_shared_notes_when_asked(app, client, patient):
    import_id = pending_id(upload(client, GENERIC))
    client.post(f"/import/{import_id}/confirm", data={"share_notes": "y"})
    assert {row["private"] for row in checkin_rows(app)} == {0}


def test_a_note_the_file_marks_private_in_any_way_stays_private_when_notes_are_shared(
    app, client, patient
):
    # Only "yes"-like words and "private" counted: a file marking a note with "x" or a tick
    # had it shared with the therapist when the preview's share box was ticked.
    text = ("date,mood,note,private\n2025-01-01,5,one,x\n2025-01-02,5,two,\u2713\n"
            "2025-01-03,5,three,no\n2025-01-04,5,four,\n2025-01-05,5,five,Private\n")  # fmt: skip
    import_id = pending_id(upload(client, text))
    assert client.post(f"/import/{import_id}/confirm", data={"share_notes": "y"}).status_code == 302
    with app.app_context():
        kept = get_db().execute("select reflection, private from checkins order by day")
        assert list(kept) == [("one", 1), ("two", 1), ("three", 0), ("four", 0), ("five", 1)]


def test_the_preview_marks_the_notes_the_file_keeps_private(client, patient):
    # The preview showed a note the file marks private as it showed any other: the person
    # could not see before Import which would stay private whatever the share box said.
    text = ("date,mood,note,private\n2025-01-01,5,one,x\n2025-01-02,5,two,no\n"
            "2025-01-03,5,,yes\n2025-01-04,5,four,\n")  # fmt: skip
    page = client.get(f"/import/{pending_id(upload(client, text))}")
    notes = [" ".join(row[3]) for row in preview_rows(page)]
    assert notes == ["Private · one", "two", "", "four"]  # as the History marks one
    assert '<span class="lock">Private · </span>one' in page.text
    hint = re.search(r'id="share_notes-hint">(.*?)</p>', page.text, re.S).group(1)
    assert "Notes marked Private stay private either way." in hint
    shared = client.get(f"/import/{pending_id(upload(client, GENERIC))}")
    assert "Private" not in shared.text


@pytest.mark.parametrize("answer", ["no", "off", "0", "n", "false"])
def test_a_share_box_sent_as_no_keeps_the_notes_private(app, client, patient, answer):
    # WTForms' BooleanField read every value but "" and "false" as ticked: "no" shared the
    # imported notes with the therapist.
    import_id = pending_id(upload(client, GENERIC))
    response = client.post(f"/import/{import_id}/confirm", data={"share_notes": answer})
    assert response.status_code == 302
    assert {row["private"] for row in checkin_rows(app)} == {1}


def test_a_share_box_sent_as_neither_yes_nor_no_is_refused_at_the_box(app, client, patient):
    import_id = pending_id(upload(client, GENERIC))
    response = client.post(f"/import/{import_id}/confirm", data={"share_notes": "maybe"})
    assert response.status_code == 400
    assert re.search(
        r'id="share_notes-error">Send “yes” to tick this box, or “no”\.<', response.text
    )
    assert re.search(r'aria-describedby="share_notes-hint share_notes-error"', response.text)
    assert checkin_rows(app) == []


def test_two_files_in_one_upload_are_refused_at_the_field(app, client, patient):
    # The upload read the first file and dropped the second unsaid.
    files = [(io.BytesIO(b"date,mood\n2025-01-02,4\n"), "a.csv"),
             (io.BytesIO(b"date,mood\n2025-01-03,9\n"), "b.csv")]  # fmt: skip
    response = client.post("/import", data={"file": files}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert re.search(r'id="file-error">Send one text value here, not a list\.<', response.text)
    assert pendings(app) == []


def test_shared_notes_when_asked_in_a_json_body(app, client, patient):
    # The box was read from request.form alone: a JSON body's answer was dropped unsaid, and
    # the notes kept private.
    import_id = pending_id(upload(client, GENERIC))
    response = client.post(f"/import/{import_id}/confirm", json={"share_notes": "y"})
    assert response.status_code == 302
    assert {row["private"] for row in checkin_rows(app)} == {0}


def test_a_refused_confirm_keeps_the_share_box_ticked(secure):
    app, client = secure
    token = csrf_token(client.get("/import"))
    import_id = pending_id(upload(client, GENERIC, csrf_token=token))
    response = client.post(f"/import/{import_id}/confirm", data={"share_notes": "y"})
    assert response.status_code == 400
    assert re.search(r'<input [^>]*checked id="share_notes"', response.text)
    assert checkin_rows(app) == []


def test_confirm_is_one_transaction(app, client, patient):
    import_id = pending_id(upload(client, GENERIC))
    with app.app_context():
        db = get_db()
        rows = json.loads(db["pending_imports"].get(import_id)["rows"])
        rows[-1]["mood"] = 11  # the database refuses this one, after two good inserts
        db["pending_imports"].update(import_id, {"rows": json.dumps(rows)})
    with pytest.raises(sqlite3.IntegrityError):
        client.post(f"/import/{import_id}/confirm")
    assert checkins(app) == []
    assert [p["id"] for p in pendings(app)] == [import_id]


def test_cancel_saves_nothing(app, client, patient):
    import_id = pending_id(upload(client, DAYLIO))
    response = client.post(f"/import/{import_id}/cancel")
    assert response.status_code == 302 and response.location == "/import"
    assert "Import cancelled: nothing was saved." in client.get("/import").text
    assert checkins(app) == [] and pendings(app) == []
    assert client.post(f"/import/{import_id}/confirm").status_code == 404


def test_confirm_twice_is_404(app, client, patient):
    import_id = pending_id(upload(client, GENERIC))
    assert client.post(f"/import/{import_id}/confirm").status_code == 302
    assert client.post(f"/import/{import_id}/confirm").status_code == 404
    assert client.get(f"/import/{import_id}").status_code == 404
    assert client.post(f"/import/{import_id}/cancel").status_code == 404
    assert len(checkins(app)) == 3


@pytest.mark.parametrize(
    ("method", "suffix"), [("get", ""), ("post", "/confirm"), ("post", "/cancel")]
)
def test_another_persons_import_is_404(app, client, method, suffix):
    auth = AuthActions(client)
    auth.register(email="a@example.com")
    import_id = pending_id(upload(client, GENERIC))
    auth.logout()
    auth.register(email="b@example.com")
    response = getattr(client, method)(f"/import/{import_id}{suffix}")
    assert response.status_code == 404
    assert [p["id"] for p in pendings(app)] == [import_id]
    assert checkins(app) == []


def test_every_form_needs_its_csrf_token(secure):
    app, client = secure  # registered through the form: a 302

    response = upload(client, GENERIC)
    assert response.status_code == 400
    assert "This form has expired. Nothing was saved" in response.text
    assert pendings(app) == []
    import_id = pending_id(upload(client, GENERIC, csrf_token=csrf_token(client.get("/import"))))

    for action in ("confirm", "cancel"):
        response = client.post(f"/import/{import_id}/{action}")
        assert response.status_code == 400
        assert "This form has expired. Nothing was saved" in response.text
        assert "Import 3 check-ins" in response.text  # the preview, to choose again
    assert checkins(app) == [] and len(pendings(app)) == 1

    token = csrf_token(client.get(f"/import/{import_id}"))
    response = client.post(f"/import/{import_id}/confirm", data={"csrf_token": token})
    assert response.status_code == 302
    assert len(checkins(app)) == 3 and pendings(app) == []


def test_missing_import_is_404(client, patient):
    assert client.get("/import/999").status_code == 404


def test_import_ids_are_never_reused(client, patient):
    first = pending_id(upload(client, GENERIC))
    client.post(f"/import/{first}/confirm")
    second = pending_id(upload(client, "date,mood\n2024-01-01,5\n"))
    assert second != first
    # An old tab confirming the first import again finds nothing, not the second file.
    assert client.post(f"/import/{first}/confirm").status_code == 404


def test_a_new_upload_replaces_the_waiting_one(app, client, patient):
    first = pending_id(upload(client, GENERIC))
    second = pending_id(upload(client, DAYLIO))
    assert client.get(f"/import/{first}").status_code == 404
    assert client.get(f"/import/{second}").status_code == 200
    assert [p["id"] for p in pendings(app)] == [second]


@pytest.mark.parametrize("then", ["confirm", "cancel", "expire"])
def test_the_upload_form_says_an_import_is_waiting_and_leads_back_to_it(app, client, patient, then):
    # Back from the preview to the upload form: it said nothing of the file just read, kept
    # unsaved for a day with its private notes, nor how to get back to it to import or cancel.
    import_id = pending_id(upload(client, GENERIC, "moods.csv"))
    back = client.get("/import")
    assert back.status_code == 200
    waiting = re.search(r'<p class="note" id="import-waiting">(.*?)</p>', back.text, re.S)
    assert waiting, back.text
    assert "moods.csv is read and waiting for you to check it" in waiting[1]
    assert f'<a href="/import/{import_id}">' in waiting[1]
    # A file refused meanwhile leaves it waiting, and the form still says so.
    refused = upload(client, "date,mood\n2025-01-01,so-so\n")
    assert refused.status_code == 400 and f'href="/import/{import_id}"' in refused.text
    if then == "expire":
        old = (clock.now() - timedelta(days=1, minutes=1)).isoformat(timespec="seconds")
        with app.app_context():
            get_db()["pending_imports"].update(import_id, {"created_at": old})
    else:
        assert client.post(f"/import/{import_id}/{then}").status_code == 302
    assert 'id="import-waiting"' not in client.get("/import").text


def test_a_waiting_import_expires_after_a_day(app, client, patient):
    import_id = pending_id(upload(client, GENERIC))
    old = (clock.now() - timedelta(days=1, minutes=1)).isoformat(timespec="seconds")
    with app.app_context():
        get_db()["pending_imports"].update(import_id, {"created_at": old})
    assert client.post(f"/import/{import_id}/confirm").status_code == 404
    assert pendings(app) == [] and checkins(app) == []


def test_filename_is_shown_as_text(client, patient):
    import_id = pending_id(upload(client, GENERIC, "Users/me/<i>moods.csv"))
    page = client.get(f"/import/{import_id}")
    assert "&lt;i&gt;moods.csv" in page.text and "<i>moods" not in page.text
    assert "Users" not in page.text  # only the file's own name, not the folder it was in


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("\u202eusc.moods.csv", "usc.moods.csv"),  # a right-to-left override
        ("mo\u200bods\ufeff.csv", "moods.csv"),  # invisible characters
        ("\ufffd\ufffdx.csv", "x.csv"),  # bytes that were not text
        ("\u202e", "upload.csv"),  # nothing left to show
    ],
)
def test_a_file_name_is_shown_without_hidden_characters(client, patient, sent, shown):
    import_id = pending_id(upload(client, GENERIC, sent))
    page = client.get(f"/import/{import_id}").text
    assert shown in page
    assert not any(char in page for char in "\u202e\u200b\ufeff\ufffd")


# Bad input ------------------------------------------------------------------------------

LONG_NOTE = "ü" * 20_001


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "date,mood,note\n2025-01-01,5,ok\n2025-01-02,great,x\n",
            "Line 3: mood 'great' is not a number from 0 to 10 or a mood word we know "
            "(rad, good, meh, bad, awful).",
        ),
        ("date,mood\n2025-01-01,11\n", "Line 2: mood '11' is not a number from 0 to 10"),
        ("date,mood\n2025-01-01,-1\n", "Line 2: mood '-1' is not a number from 0 to 10"),
        ("date,mood\n2025-01-01,6.5\n", "Line 2: mood '6.5' is not a number from 0 to 10"),
        ("date,mood\n2025-01-01,٥\n", "Line 2: mood '٥' is not a number from 0 to 10"),
        ("date,mood\n2025-01-01,\n", "Line 2: the mood is missing."),
        (
            "date,mood\n14/03/2025,5\n",
            "Line 2: date '14/03/2025' is not a date like 2026-03-14 (YYYY-MM-DD).",
        ),
        ("date,mood\n2025-02-30,5\n", "Line 2: date '2025-02-30' is not a date like"),
        ("date,mood\n,5\n", "Line 2: the date is missing."),
        (
            f"date,mood\n{FUTURE},5\n",
            f"Line 2: {FUTURE} is still to come; only today and earlier days can be imported.",
        ),
        ("date,mood\n1985-01-01,5\n", "Line 2: 1985-01-01 is too far back; check the year."),
        (
            "date,mood\n2025-01-01,5\n2025-01-02,5\n2025-01-01,6\n",
            "Line 4: 2025-01-01 is also on line 2; keep one row per day.",
        ),
        (
            f'date,mood,note\n2025-01-01,5,"{LONG_NOTE}"\n',
            "Line 2: the note has 20,001 characters; a check-in's reflection can be up to 20,000.",
        ),
        (
            "date,mood,note\n2025-01-01,5,bell\x07\n",
            "Line 2: the note contains invisible control characters; remove them.",
        ),
        (  # UTF-8 read as Latin-1 and saved again: "don't" with C1 controls in it
            "date,mood,note\n2025-01-01,5,don\u00e2\u0080\u0099t\n",
            "Line 2: the note contains invisible control characters; remove them.",
        ),
        (
            "date,mood,note\n2025-01-01,5,one, two\n",
            "Line 2: it has 4 cells but the first line names 3; check the quotes",
        ),
        (
            'date,mood,note\n2025-01-01,5,"open\n2025-01-02,6,x\n',
            "Line 2: this line cannot be read as CSV: check its quotes",
        ),
        (
            'date,mood,note\n2025-01-01,5,"a\nb\nc"\n2025-01-02,so-so,x\n',
            "Line 5: mood 'so-so' is not a number",  # the line in the file, past a long note
        ),
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n\r\n", "The file is empty."),
        # A sheet's formatted but empty cells: separators and quotes, no text (was a 500).
        (b",,\n", "The file has no text in any cell"),
        (b'""\n', "The file has no text in any cell"),
        (b',,,\n"",""\n', "The file has no text in any cell"),
        (b";;\r\n\t\r\n", "The file has no text in any cell"),
        ("date,mood\n", "The file has a first line but no rows to import."),
        (
            "date,mood,note\n2025-01-01,5,café\n".encode("cp1252"),
            "This file is not UTF-8 text, so it cannot be read.",
        ),
        ("date,mood\n2025-01-01,5\n".encode("utf-16"), "This file is not UTF-8 text"),
        (b"date,mood\n\x00\x01\x02\x03", "This does not look like a CSV file"),
        ("when,mood\n2025-01-01,5\n", "The first line has no date column"),
        ("date,feeling\n2025-01-01,5\n", "The first line has no mood column: name it “mood”."),
        # Two columns of one name: which is meant can't be known (the first was read).
        (
            "date,mood,mood\n2025-01-01,5,7\n",
            "The first line has more than one column named “mood”: keep one",
        ),
        (
            "Date,Mood (0-10),note,Note\n2025-01-01,5,a,b\n",
            "The first line has more than one column named “note”: keep one",
        ),
        (
            "full_date,mood,activities\n2025-01-01,super,\n",
            "Line 2: mood 'super' is not a number from 0 to 10 or a mood word we know",
        ),
        (
            "full_date,mood,activities\n2025-01-01,good,a | " + "x" * 41 + "\n",
            f"Line 2: tag '{'x' * 39}…' is longer than 40 characters.",
        ),
        (
            "full_date,mood,activities\n2025-01-01,good," + " | ".join(f"a{n}" for n in range(21)),
            "Line 2: 21 tags are more than a check-in holds (at most 20).",
        ),
        (
            "full_date,mood,activities\n2025-01-01,good,a\x0bb\n",
            "Line 2: the tags contain invisible control characters; remove them.",
        ),
        (
            "full_date,mood,activities\n2025-01-01,good,calm | \u202eevil\n",
            "Line 2: the tags contain characters that change the direction of text",
        ),
        # The check-in form refuses such a tag (it draws over the text around it), so an
        # imported one made its day impossible to edit without first removing it.
        (
            'date,mood,tags\n2025-01-01,5,"calm, Z' + "\u0301" * 9 + '"\n',
            "Line 2: a tag has a letter with more than 8 accents or marks",
        ),
    ],
)
def test_bad_file(app, client, patient, data, message):
    response = upload(client, data)
    assert response.status_code == 400
    assert "Nothing was imported." in response.text
    found = problems(response)
    assert any(p.startswith(message) for p in found), found
    assert pendings(app) == [] and checkins(app) == []


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_text_in_utf_16_without_its_mark_is_told_to_be_saved_as_utf_8(app, encoding):
    # Read as UTF-8, each letter had a zero byte beside it: the file was said to hold binary
    # data ("does not look like a CSV file"), and the person went looking for another file.
    client = person(app, "pat@example.com")
    response = upload(client, GENERIC.encode(encoding))
    assert response.status_code == 400
    assert problems(response) == [
        "This file is not UTF-8 text, so it cannot be read. If it is a spreadsheet, save or "
        "export it as “CSV UTF-8” and upload that."
    ]
    assert pendings(app) == [] and checkins(app) == []


def test_a_column_not_read_may_be_named_twice(app, client, patient):
    response = upload(client, "date,mood,extra,extra\n2025-01-01,5,a,b\n")
    assert response.status_code == 302, problems(response)
    assert len(pendings(app)) == 1


def test_every_problem_is_listed_and_nothing_kept(app, client, patient):
    text = "date,mood\n2025-01-01,5\n2025-01-02,lots\n2025-01-03,5\n2099-01-01,x\n"
    found = problems(upload(client, text))
    assert found == [
        "Line 3: mood 'lots' is not a number from 0 to 10 or a mood word we know "
        "(rad, good, meh, bad, awful).",
        "Line 5: 2099-01-01 is still to come; only today and earlier days can be imported.",
        "Line 5: mood 'x' is not a number from 0 to 10 or a mood word we know "
        "(rad, good, meh, bad, awful).",
    ]
    assert pendings(app) == [] and checkins(app) == []


def test_a_long_list_of_problems_is_cut_short(client, patient):
    text = "date,mood\n" + "".join(f"2025-01-{d:02d},bad mood\n" for d in range(1, 31)) * 2
    response = upload(client, text)
    found = problems(response)
    assert len(found) == 51  # 60 mood problems and 30 repeated dates: 50 shown, then a count
    assert found[-1] == "…and 40 more problems."


def test_no_file_chosen(app, client, patient):
    response = client.post("/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert problems(response) == ["Choose a CSV file to upload."]
    response = upload(client, GENERIC, filename="")
    assert response.status_code == 400
    assert pendings(app) == []


def test_file_over_2mb_is_413(app, client, patient):
    text = "date,mood,note\n2025-01-01,5," + "x" * (2 * 1024 * 1024) + "\n"
    # The multipart body built by hand: the test client would spool a large one to a
    # temporary file that it never closes once the app refuses to read it.
    body = (
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + text.encode() + b"\r\n--BOUNDARY--\r\n"
    )
    response = client.post(
        "/import", data=body, content_type="multipart/form-data; boundary=BOUNDARY"
    )
    assert response.status_code == 413
    assert pendings(app) == [] and checkins(app) == []
    # The upload form, saying what to do with the file: not the page about a long reflection.
    assert problems(response) == [
        "That file is over 2 MB, more than one import takes, so nothing was read. Split it "
        "into smaller files (a year each, say) and import each."
    ]
    assert 'type="file"' in response.text and "reflection can be split" not in response.text
    # Only the upload says so: a body that large sent to confirm holds no file.
    pending = pending_id(upload(client, GENERIC))
    response = client.post(
        f"/import/{pending}/confirm",
        data=body,
        content_type="multipart/form-data; boundary=BOUNDARY",
    )
    assert response.status_code == 413 and "Split it into smaller files" not in response.text


# The reading itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", (0, None)),
        ("10", (10, None)),
        (" 7 ", (7, None)),
        ("07", (7, None)),
        ("rad", (9, "rad")),
        ("Good", (7, "good")),
        ("MEH", (5, "meh")),
        ("bad", (3, "bad")),
        ("awful", (1, "awful")),
        ("11", (None, None)),
        ("-0", (None, None)),
        ("5.0", (None, None)),
        ("great", (None, None)),
        ("", (None, None)),
    ],
)
def test_read_mood(text, expected):
    assert read_mood(text) == expected


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("date", "date"),
        (" Date ", "date"),
        ("Mood (0-10)", "mood"),
        ("mood [0–10]", "mood"),
        ("Full Date", "full_date"),
        ("note-title", "note_title"),
    ],
)
def test_header_key(header, key):
    assert header_key(header) == key


@pytest.mark.parametrize(
    ("line", "sep"),
    [("date,mood", ","), ("date;mood;note", ";"), ("date\tmood", "\t"), ("date", ",")],
)
def test_separator(line, sep):
    assert separator(line) == sep


def test_parse_counts_lines_from_the_header():
    parsed = parse(b'date,mood,note\n2025-01-01,5,"two\nlines"\n2025-01-02,6,\n', date(2026, 1, 1))
    assert parsed.problems == []
    assert [(r["line"], r["day"], r["note"]) for r in parsed.rows] == [
        (2, "2025-01-01", "two\nlines"),
        (4, "2025-01-02", ""),
    ]


@pytest.mark.parametrize("sep", [";", ",", "\t", "|"])
def test_a_first_line_naming_the_separator_for_excel_is_read_as_a_hint(app, client, patient, sep):
    # Some apps write "sep=;" above the header so that Excel opens the file in columns: it
    # was read as the header, and the file was said to have no date and no mood column.
    text = f"sep={sep}\r\ndate{sep}mood{sep}note\r\n2025-01-02{sep}4{sep}Slow start\r\n"
    import_id = pending_id(upload(client, text.encode("utf-8-sig")))
    assert client.post(f"/import/{import_id}/confirm").status_code == 302
    assert checkins(app) == [("2025-01-02", 4, "Slow start", "imported")]
    # A problem is still named by its line in the file, the hint line counted.
    response = upload(client, f"sep={sep}\ndate{sep}mood\n2025-01-03{sep}so-so\n")
    assert problems(response)[0].startswith("Line 3: mood 'so-so' is not a number")


def test_a_file_of_the_separator_hint_alone_holds_no_check_ins(app, client, patient):
    # "sep=;" and nothing after it (a spreadsheet saved with no rows): the hint is no header
    # and no check-in; the file is refused as empty of cells, nothing parked.
    response = upload(client, "sep=;\r\n\r\n")
    assert response.status_code == 400
    assert problems(response) == [
        "The file has no text in any cell: it holds no check-ins to import."
    ]
    assert sql(app, "select count(*) from pending_imports")[0][0] == 0
    assert checkins(app) == []


# Bounds: hostile files of the largest size accepted answer promptly --------------------

# A file as large as the 2 MB body limit lets through, room left for the multipart framing.
LARGEST = 2 * 1024 * 1024 - 4096
# A column name with a long run of spaces, under the csv module's cell limit (131,072).
SPACED_NAME = "note" + " " * 120_000 + "x"
HOSTILE_ROW = f"2025-01-01,1:00{' ' * 180}p,5{' ' * 180}x\n"


def upload_large(client, data):
    """`upload` for a file near the limit: the multipart body built by hand, since the test
    client would spool a large one to a temporary file that it never closes."""
    body = (
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="file"; filename="large.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + data.encode() + b"\r\n--BOUNDARY--\r\n"
    )
    return client.post("/import", data=body, content_type="multipart/form-data; boundary=BOUNDARY")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (  # the case: header names were matched in quadratic time
            "date,mood,note" + " " * 40_000 + "x\n2025-01-01,5,\n",
            "Line 1: column 3's name has 40,005 characters; a column's name can be up to 100.",
        ),
        (
            "date,mood," + ",".join([SPACED_NAME] * (LARGEST // len(SPACED_NAME))),
            "Line 1: column 3's name has 120,005 characters; a column's name can be up to 100.",
        ),
        (
            "date,mood" + "," * (LARGEST - 9),
            f"Line 1: the first line names {LARGEST - 7:,} columns; a file can have at most 50.",
        ),
        (
            "date,mood,note\n2025-01-01,5," + "x" * (LARGEST - 40),
            "Line 2: a cell holds more than 131,072 characters",
        ),
        (
            "date,mood\n" + "2025-01-01,5\n" * (LARGEST // 13),
            "Line 5002: the file has more than 5,000 rows, more than one import takes. Split it",
        ),
        (  # long runs of spaces in every cell a pattern reads (Daylio's time, the mood)
            "full_date,time,mood\n" + HOSTILE_ROW * 5_000,
            "Line 2: mood '5 x' is not a number from 0 to 10",
        ),
    ],
    ids=["issue-40kb-header", "spaced-names", "columns", "long-cell", "rows", "spaced-cells"],
)
def test_hostile_files_answer_promptly(app, client, patient, data, message):
    started = time.perf_counter()
    response = upload_large(client, data)
    assert time.perf_counter() - started < 5  # a hang guard: it took minutes before
    assert response.status_code == 400
    found = problems(response)
    assert any(p.startswith(message) for p in found), found[:3]
    assert pendings(app) == [] and checkins(app) == []


def test_header_key_takes_linear_time():
    started = time.perf_counter()
    assert header_key("Mood" + " " * 2_000_000 + "x") == "mood_x"
    assert header_key("Mood" + " " * 2_000_000 + "(0-10)") == "mood"
    assert time.perf_counter() - started < 2  # a hang guard


def test_the_largest_import_is_read_and_saved_promptly(app, client, patient):
    first = date(2005, 1, 1)
    note = "A note long enough to fill the file. " * 10
    rows = [f"{first + timedelta(days=n)},{n % 11},{note}" for n in range(5_000)]
    data = "date,mood,note\n" + "\n".join(rows) + "\n"
    assert len(data) < LARGEST
    started = time.perf_counter()
    import_id = pending_id(upload_large(client, data))
    assert client.get(f"/import/{import_id}").status_code == 200
    assert client.post(f"/import/{import_id}/confirm").status_code == 302
    assert time.perf_counter() - started < 20  # a hang guard
    assert len(checkins(app)) == 5_000
    # One row more is refused, saying why.
    response = upload_large(client, data + f"{first + timedelta(days=5_000)},5,\n")
    assert response.status_code == 400
    assert problems(response) == [
        "Line 5002: the file has more than 5,000 rows, more than one import takes. Split it "
        "into smaller files (a year each, say) and import each."
    ]


def test_a_second_tap_on_confirm_saves_nothing_and_says_so(app, client, patient):
    # A double tap sends two confirms that both read the parked import before either saves.
    # The second must not report "Imported 0 check-ins… Kept the 3 days you already had".
    from journal.imports import save_pending

    import_id = pending_id(upload(client, GENERIC))
    with app.app_context():
        pending = get_db()["pending_imports"].get(import_id)
        pending["rows"] = json.loads(pending["rows"])
        user_id = pending["user_id"]
        assert save_pending(user_id, pending, share_notes=False) == 3
        assert save_pending(user_id, pending, share_notes=False) is None  # the second tap
    assert len(checkins(app)) == 3 and pendings(app) == []


@pytest.mark.parametrize("action", ["confirm", "cancel"])
def test_a_confirmed_import_sent_again_says_it_is_no_longer_waiting(app, client, patient, action):
    # Back to the preview (or a second tab) after confirming, then Confirm or Cancel again.
    import_id = pending_id(upload(client, GENERIC))
    assert client.post(f"/import/{import_id}/confirm").status_code == 302
    response = client.post(f"/import/{import_id}/{action}")
    assert response.status_code == 404
    assert GONE_IMPORT in html.unescape(response.text)
    assert len(checkins(app)) == 3


GONE_IMPORT = (
    "This import is no longer waiting: it was saved or cancelled already, or a newer upload "
    "replaced it. History shows what is saved."
)


@pytest.mark.parametrize("action", ["preview", "confirm", "cancel"])
def test_an_import_no_longer_waiting_links_to_the_history_its_words_name(client, patient, action):
    # "History shows what is saved", above a link to the start page (the check-in form): the
    # person who tapped Import twice was not led to where the import can be seen.
    import_id = pending_id(upload(client, GENERIC))
    assert client.post(f"/import/{import_id}/confirm").status_code == 302
    if action == "preview":
        response = client.get(f"/import/{import_id}")
    else:
        response = client.post(f"/import/{import_id}/{action}")
    assert response.status_code == 404
    assert '<a href="/entries">Go to History</a>' in response.text
    assert "Go to the start page" not in response.text


@pytest.mark.parametrize("edit", ["/entries/{day}/edit", "/checkin"])
def test_an_imported_no_to_the_safety_question_stays_no_after_an_edit(app, client, patient, edit):
    """An import can say "no" (0); the form's box can only be ticked or not. Saving any change
    to that day with the box unticked had made it "not answered" (None), in every export."""
    day = TODAY.isoformat()
    import_id = pending_id(upload(client, f"date,mood,self_harm\n{day},5,no\n"))
    assert client.post(f"/import/{import_id}/confirm").status_code == 302
    assert checkin_rows(app)[0]["self_harm"] == 0
    page = client.get(f"/entries/{day}/edit" if "edit" in edit else f"/checkin?date={day}")
    version = re.search(r'name="loaded_version" type="hidden" value="([^"]*)"', page.text)[1]
    sent = {"mood": "6", "loaded_version": version, "date": day, "loaded_for": day}
    assert client.post(edit.format(day=day), data=sent).status_code == 302
    (row,) = checkin_rows(app)
    assert (row["mood"], row["self_harm"]) == (6, 0)
    # Ticked, it is "yes"; a day with no answer stays without one.
    sent["loaded_version"] = re.search(
        r'name="loaded_version" type="hidden" value="([^"]*)"',
        client.get(f"/entries/{day}/edit").text,
    )[1]
    assert client.post(f"/entries/{day}/edit", data={**sent, "self_harm": "y"}).status_code == 302
    assert checkin_rows(app)[0]["self_harm"] == 1


def test_own_export_reads_back_with_symptoms_named_like_its_columns(app, client, auth):
    # A symptom named after a column the import reads ("Date", whose export column is headed
    # "Date (symptom)", or "Self harm", "Mood (evening)", "Full date") stopped the person's
    # own checkins.csv: "more than one column named date", or read as a Daylio export.
    auth.register(email="old@example.com")
    names = ["Date", "Tags", "Self harm", "Mood (evening)", "Full date", "Note"]
    for name in names:
        assert client.post("/settings/symptoms", data={"name": name}).status_code == 302
    scores = {f"symptom_{n}": str(n) for n in range(1, len(names) + 1)}
    client.post("/checkin", data={"date": "2025-02-01", "mood": "3", "self_harm": "y",
                                  "reflection": "my words", "tags": "a", **scores})  # fmt: skip
    columns = ("day", "mood", "self_harm", "reflection", "tags")
    rows = imported_by_another_account(app, client, auth, columns)
    assert rows == [("2025-02-01", 3, 1, "my words", "imported, a")]


def test_a_refused_file_says_error_first_in_the_title(app, client, patient):
    """The title is the first thing a screen reader reads on the page that comes back: a file
    refused at /import (no file, a column twice, a bad mood) said "Import check-ins", as the
    empty form does; every other form sent back starts with "Error: "."""
    title = re.compile(r"<title>([^<]*)</title>")
    assert title.search(client.get("/import").text).group(1) == "Import check-ins · Afterglow"
    for response in (
        client.post("/import", data={}, content_type="multipart/form-data"),
        upload(client, "date,mood,mood\n2025-01-02,4,5\n"),
        upload(client, "date,mood\n2025-01-02,eleven\n"),
    ):
        assert response.status_code == 400
        assert problems(response)
        assert title.search(response.text).group(1) == "Error: Import check-ins · Afterglow"


def test_no_file_chosen_is_not_asked_to_be_fixed_in_the_file(app, client, patient):
    """Tapping "Read the file" before choosing one said "Please fix this in the file, then
    upload it again: Choose a CSV file to upload." There is no file to fix."""
    for response in (
        client.post("/import", data={}, content_type="multipart/form-data"),
        upload(client, GENERIC, filename=""),
    ):
        assert response.status_code == 400
        assert "Please fix this in the file" not in response.text
        assert "Nothing was imported: no file was sent." in html.unescape(response.text)
    response = upload(client, "date,mood\n2025-01-02,eleven\n")
    assert "Please fix this in the file, then upload it again:" in response.text


# A parked import holds unsaved words, private ones too.


def test_an_import_nobody_came_back_to_goes_after_a_day_whoever_signs_in(app, client, patient):
    # Only the import pages forgot one: a person who never opened them again kept it for good.
    assert upload(client, "date,mood,note\n2025-01-01,3,PARKED-WORDS\n").status_code == 302
    other = AuthActions(app.test_client())
    clock.set(clock.now() + timedelta(hours=23))
    assert other.register(email="sam@example.com").status_code == 302
    assert len(pendings(app)) == 1  # not a day old yet
    clock.set(clock.now() + timedelta(hours=2))
    other.logout()
    assert other.login(email="sam@example.com").status_code == 302
    assert pendings(app) == []


def test_the_preview_names_each_landmark_once(client, patient):
    # The rows' section and the box that scrolls their table were both named by the heading
    # "The rows": a screen reader's list of landmarks showed two regions of that name (axe:
    # landmark-unique).
    page = client.get(f"/import/{pending_id(upload(client, GENERIC))}").text
    named = re.findall(r'<(?:section|div)[^>]*aria-labelledby="([^"]+)"', page)
    assert named and len(named) == len(set(named)), named
    assert 'id="import-rows-caption">The file\'s rows as they will be imported<' in page
