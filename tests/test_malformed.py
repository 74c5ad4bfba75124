"""Malformed input, sent to every route that reads a body or an id: a clear 400 or 404, never a
500, and nothing stored. JSON bodies whose values are not text, lone surrogates, ids SQLite
cannot hold, `next` holding control characters, dates that are not exactly YYYY-MM-DD, and
request bodies sent in chunks past the size limit."""

import inspect
import io
import json
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes, urlencode

import pytest
from conftest import PASSWORD, AuthActions, LiveServer, error_for, make_app
from factories import NOW, TODAY, invitation, invite_code, make_admin, reset_link, sql
from flask_wtf import FlaskForm
from live import signed_up
from werkzeug.exceptions import HTTPException, NotFound
from wtforms.fields.core import UnboundField

from journal.db import get_db
from journal.fields import JournalForm

ROOT = Path(__file__).resolve().parent.parent
DAY = (TODAY - timedelta(days=9)).isoformat()


# Every form is a JournalForm


def test_every_form_in_the_app_reads_json_through_the_shared_base():
    """No form may read the request through Flask-WTF's own FlaskForm: only the base refuses
    JSON values that are not text."""
    for path in sorted((ROOT / "journal").rglob("*.py")):
        if path.name != "fields.py":
            assert "FlaskForm" not in path.read_text(encoding="utf-8"), path.name
    forms = set()
    pending = [FlaskForm]
    while pending:
        pending.extend(sub := pending.pop().__subclasses__())
        forms.update(f for f in sub if f.__module__.startswith("journal"))
    assert forms and all(issubclass(f, JournalForm) for f in forms)


def field_names():
    """Every field name of every form in the app, plus a tracked symptom's."""
    names = {"csrf_token", "symptom_1"}
    pending = [JournalForm]
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names.update(n for n, v in inspect.getmembers(form) if isinstance(v, UnboundField))
    return names


# JSON values that are not text, at one field


NOT_TEXT = [
    (b"5", "not a number"),
    (b"1.5", "not a number"),
    (b"null", "not null"),
    (b"true", "not true or false"),
    (b"[1, 2]", "not a number"),
    (b'["a", null]', "not null"),
    (b'{"a": "b"}', "not an object"),
    (b"[[]]", "not a list"),
    (b'"\\ud800"', "lone UTF-16 surrogate"),
    (b'"ab\\udfffcd"', "lone UTF-16 surrogate"),
    ('"\ud800"'.encode("utf-8", "surrogatepass"), "lone UTF-16 surrogate"),  # raw bytes
]


def post_json(client, url, body, answer_in_json=False):
    """POST `body` as JSON; `answer_in_json`: as the offline queue does, asking for JSON back."""
    headers = {"Accept": "application/json"} if answer_in_json else {}
    return client.post(url, data=body, content_type="application/json", headers=headers)


@pytest.mark.parametrize(("value", "message"), NOT_TEXT)
def test_login_refuses_json_values_that_are_not_text_at_the_field(client, auth, value, message):
    auth.register()
    auth.logout()
    body = b'{"email": ' + value + b', "password": "' + PASSWORD.encode() + b'"}'
    response = post_json(client, "/auth/login", body)
    assert response.status_code == 400
    assert message in error_for(response, "email")
    assert client.get("/checkin").status_code == 302  # not signed in


@pytest.mark.parametrize(("value", "message"), NOT_TEXT)
def test_checkin_refuses_json_values_that_are_not_text_and_stores_nothing(
    app, client, patient, value, message
):
    body = b'{"date": "' + DAY.encode() + b'", "mood": "5", "reflection": ' + value + b"}"
    response = post_json(client, "/checkin", body)
    assert response.status_code == 400
    assert message in error_for(response, "reflection")
    with app.app_context():
        assert get_db()["checkins"].count == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1, 2]", "Send the form as a JSON object of field names and text values."),
        (b"5", "Send the form as a JSON object of field names and text values."),
        (b'"mood"', "Send the form as a JSON object of field names and text values."),
        (b"null", "Send the form as a JSON object of field names and text values."),
        (b"[" * 100_000 + b"]" * 100_000, "That JSON is nested too deeply to read."),
        (b'{"mood": ', "That is not valid JSON."),
    ],
)
def test_a_json_body_that_is_no_form_is_a_400_with_the_reason(app, client, patient, body, message):
    response = post_json(client, "/checkin", body)
    assert response.status_code == 400
    assert message in response.text
    with app.app_context():
        assert get_db()["checkins"].count == 0


def test_a_json_body_of_text_still_works(app, client, patient):
    body = f'{{"date": "{DAY}", "mood": "6", "tags": "walk, tired", "reflection": "ok"}}'
    assert post_json(client, "/checkin", body.encode()).status_code == 302
    with app.app_context():
        stored = get_db().execute("select mood, reflection, tags from checkins").fetchall()
    assert stored == [(6, "ok", "walk, tired")]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("no", 0), ("n", 0), ("0", 0), ("off", 0), ("false", 0), ("", 0), ("No", 0),
     ("y", 1), ("yes", 1), ("on", 1), ("true", 1), ("1", 1)],
)  # fmt: skip
def test_a_json_checkbox_is_read_as_it_says(app, client, patient, sent, stored):
    # {"self_harm": "no", "private": "no"} saved thoughts of self-harm (a flag for the
    # therapist) and a private reflection: every value but "" and "false" read as ticked.
    body = {"date": DAY, "mood": "6", "reflection": "ok", "self_harm": sent, "private": sent}
    assert post_json(client, "/checkin", json.dumps(body).encode()).status_code == 302
    with app.app_context():
        saved = get_db().execute("select self_harm, private from checkins").fetchall()
    assert saved == [(stored or None, stored)]


@pytest.mark.parametrize("sent", ["maybe", "nope", "2"])
def test_a_json_checkbox_that_says_neither_yes_nor_no_is_refused(app, client, patient, sent):
    body = {"date": DAY, "mood": "6", "reflection": "ok", "self_harm": sent}
    response = post_json(client, "/checkin", json.dumps(body).encode())
    assert response.status_code == 400
    assert "to tick this box" in error_for(response, "self_harm")
    with app.app_context():
        assert get_db()["checkins"].count == 0


def test_a_json_list_where_the_form_takes_one_value_is_refused(app, client, patient):
    # All but the first value would have been dropped unsaid ("tired" lost).
    body = f'{{"date": "{DAY}", "mood": "6", "tags": ["walk", "tired"]}}'
    response = post_json(client, "/checkin", body.encode(), answer_in_json=True)
    assert response.status_code == 400
    assert response.json["errors"]["tags"] == ["Send one text value here, not a list."]
    with app.app_context():
        assert get_db().execute("select count(*) from checkins").fetchone() == (0,)


@pytest.mark.parametrize(
    ("body", "field"),
    [(f"date={DAY}&mood=2&mood=9", "mood"),
     (f"date={DAY}&mood=6&reflection=first&reflection=second", "reflection"),
     (f"date={DAY}&date={TODAY}&mood=6", "date")],
    ids=["mood", "reflection", "date"],
)  # fmt: skip
def test_a_form_body_sending_a_field_twice_is_refused_at_the_field(
    app, client, patient, body, field
):
    # As a JSON list is: a browser's form sends each field once, and all but the first value
    # would have been dropped unsaid.
    response = client.post("/checkin", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "Send one text value here, not a list." in response.text
    assert re.search(rf'id="{field}-error">Send one text value here', response.text)
    with app.app_context():
        assert get_db().execute("select count(*) from checkins").fetchone() == (0,)


@pytest.mark.parametrize(
    ("body", "field"),
    [(f'{{"date": "{DAY}", "mood": "2", "mood": "9"}}', "mood"),
     (f'{{"date": "{DAY}", "mood": "6", "reflection": "first", "reflection": "second"}}',
      "reflection")],
    ids=["mood", "reflection"],
)  # fmt: skip
def test_a_json_body_giving_a_name_twice_is_refused_at_the_field(app, client, patient, body, field):
    # JSON's parser keeps the last value of a repeated name: "2" was dropped unsaid, and 9
    # stored. Refused as a form body sending a field twice is.
    response = post_json(client, "/checkin", body.encode(), answer_in_json=True)
    assert response.status_code == 400
    assert response.json["errors"][field] == ["Send one text value here, not a list."]
    page = post_json(client, "/checkin", body.encode())
    assert page.status_code == 400
    assert error_for(page, field) == "Send one text value here, not a list."
    with app.app_context():
        assert get_db().execute("select count(*) from checkins").fetchone() == (0,)


def test_a_checklist_still_takes_several_values(app, client, patient):
    body = (
        f"started_at={DAY}T10:00&product=esketamine&route=intranasal&dose_mg=56"
        "&side_effects=nausea&side_effects=dizziness"
    )
    response = client.post(
        "/sessions/new", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        (effects,) = get_db().execute("select side_effects from sessions").fetchone()
    assert "nausea" in effects and "dizziness" in effects


@pytest.mark.parametrize("body", [b"{bad json", b"[1, 2]", b'"text"'])
def test_a_json_client_hears_of_a_body_it_cannot_send_in_json(client, patient, body):
    response = client.post(
        "/checkin", data=body, content_type="application/json",
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    (message,) = response.json["errors"]["form"]
    assert "Nothing was saved" in message


# The sweep: every route that reads a body or an id, as each kind of person


def sign_up(app, email, role="patient", **extra):
    client = app.test_client()
    response = AuthActions(client).register(email=email, role=role, **extra)
    assert response.status_code == 302, response.text
    return client


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    return cast(tmp_path_factory.mktemp("malformed"))


def cast(folder):
    """A patient with one of everything, linked to a therapist, and a visitor: (app, clients,
    the real value for each URL argument, the count of rows in the main tables)."""
    # Mail configured, so that /auth/forgot reads its form (no request here is a valid one:
    # nothing is sent, and port 9 on loopback has no server).
    app = make_app(folder, MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_FROM="journal@example.com",
                   PUBLIC_URL="http://localhost")  # fmt: skip
    doc = sign_up(app, "doc@example.com", role="therapist", display_name="Dr Rivera")
    code = invite_code(doc)
    pat = sign_up(app, "pat@example.com")
    for url, data in [
        ("/settings/therapist", {"invite_code": code}),
        ("/settings/symptoms", {"name": "Pain"}),
        ("/checkin", {"date": DAY, "mood": "5", "reflection": "kept"}),
        ("/sessions/new", {"started_at": f"{DAY}T10:00", "product": "ketamine", "route": "iv"}),
        ("/assessments/phq9", {"date": DAY, **{f"q{n}": "1" for n in range(1, 10)}}),
        ("/share", {"label": "Dr Rivera", "days": "7"}),
        ("/settings/reminders/link", {}),
    ]:
        assert pat.post(url, data=data).status_code in (201, 302), url
    csv = f"date,mood,note\n{DAY},4,Slow start\n".encode()
    upload = {"file": (io.BytesIO(csv), "export.csv")}
    assert pat.post("/import", data=upload, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        db = get_db()

        def one(sql):
            return db.execute(sql).fetchone()[0]

        ids = {
            "id": one("select id from sessions"),
            "assessment_id": one("select id from assessments"),
            "import_id": one("select id from pending_imports"),
            "symptom_id": one("select id from symptoms"),
            "link_id": one("select id from share_links"),
            "patient_id": one("select id from users where email = 'pat@example.com'"),
        }
        stored = {t: db[t].count for t in ("checkins", "sessions", "assessments", "symptoms")}
    values = {**ids, "day": DAY, "kind": "phq9", "name": "mood-timeline", "fmt": "svg"}
    values |= {"token": "x" * 20, "secret": "x" * 20, "filename": "app.js"}
    # Issue 9: an admin, an account for the admin pages, and real one-time links (by endpoint:
    # a forged one answers 404 before any body is read).
    values["user_id"] = ids["patient_id"]
    values[("auth.invite", "token")] = invitation(app).rsplit("/", 1)[1]
    values[("auth.reset", "token")] = reset_link(app, ids["patient_id"]).rsplit("/", 1)[1]
    values.setdefault("signin_id", 1)  # a sign-in's id (/settings/devices/<signin_id>/signout)
    values.setdefault("passkey_id", 1)  # a passkey's id (/settings/passkeys/<passkey_id>/...)
    # An open invitation's id (/admin/invitations/<token_id>/withdraw): the one made above.
    values["token_id"] = sql(app, "select id from tokens where kind = 'invitation'")[0][0]
    clients = {"patient": pat, "therapist": doc, "visitor": app.test_client()}
    clients["admin"] = make_admin(app)
    return app, clients, values, stored


def routes(app):
    """Every rule of the app but the static files', with its methods."""
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def url(rule, values, **override):
    """`rule` filled in with the real values, some replaced by `override` (text, as sent)."""
    path = rule.rule
    for name in rule.arguments:
        text = override.get(name, str(values.get((rule.endpoint, name), values[name])))
        path = re.sub(rf"<(\w+:)?{name}>", lambda _m, t=text: t, path)
    return path


def send(client, method, path, **kwargs):
    """The status of a request (a redirect with where it leads), or the exception a 500 would
    have been."""
    try:
        response = client.open(path, method=method, **kwargs)
    except Exception as error:  # noqa: BLE001 - the test reports every crash, not the first
        return f"500 {type(error).__name__}: {error}"[:200]
    if response.status_code == 302:
        return f"302 {response.location}"
    return response.status_code


def turned_away(status):
    """Sent to log in, or to their own start page (a page not for this kind of person)."""
    return status in (403, 404) or str(status).startswith(
        ("302 /auth/login", "302 /checkin", "302 /caseload", "302 /admin")
    )


def id_arguments(rule):
    return re.findall(r"<int:(\w+)>", rule.rule)


# Each kind of malformed JSON body, with every field of every form in it.
BODIES = {f"every field {text!r}": text for text, _ in NOT_TEXT} | {
    "top-level list": b'["email", "x"]',
    "top-level number": b"5",
    "nested too deep": b"[" * 50_000 + b"]" * 50_000,
}


@pytest.mark.parametrize("kind", list(BODIES))
def test_every_route_that_reads_a_body_refuses_a_malformed_json_one(people, kind):
    app, clients, values, stored = people
    body = BODIES[kind]
    if kind.startswith("every field"):
        body = b"{" + b", ".join(b'"%s": %s' % (n.encode(), body) for n in field_names()) + b"}"
    wrong, refused = [], set()
    for rule in routes(app):
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            for who, client in clients.items():
                path = url(rule, values)
                status = send(client, method, path, data=body, content_type="application/json")
                if status == 400:
                    refused.add(rule.rule)
                elif not turned_away(status):
                    wrong.append((who, method, path, status))
    assert wrong == []
    # The body reached a form on every route: each refused it (400) for someone.
    posts = {r.rule for r in routes(app) if "POST" in r.methods}
    assert posts - refused == set()
    with app.app_context():
        assert {t: get_db()[t].count for t in stored} == stored
    assert clients["patient"].get("/checkin").status_code == 200  # still signed in


# Ids SQLite cannot hold, and other malformed URL parts.
BAD_IDS = [str(2**63), str(2**64), "-1", "9" * 40, "1e3", "%ED%A0%80"]
BAD_TEXT = ["%ED%A0%80", "%C0%AF", "%00", "%0D%0A", "2026-W48-1", "9" * 25, "-1", "1e309"]


@pytest.mark.parametrize("who", ["patient", "therapist", "visitor"])
def test_every_route_that_reads_an_id_answers_404_for_one_out_of_range(people, who):
    app, clients, values, _ = people
    wrong, tried = [], 0
    adapter = app.url_map.bind("localhost")
    for rule in routes(app):
        for name in id_arguments(rule):
            for bad in BAD_IDS:
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    path = url(rule, values, **{name: bad})
                    if matches_another_route(adapter, path, method):
                        continue  # "/assessments/-1" is /assessments/<kind>: tested below
                    status = send(clients[who], method, path)
                    tried += 1
                    if status != 404:
                        wrong.append((method, path, status))
    assert tried > 50 and wrong == []


@pytest.mark.parametrize("who", ["patient", "therapist", "visitor"])
def test_every_other_url_part_and_query_argument_refuses_malformed_text(people, who):
    """Undecodable bytes, control characters and week dates in paths and query strings: a 4xx
    (or the page itself, for a query argument the page can do without), never a 500."""
    app, clients, values, _ = people
    wrong = []
    for rule in routes(app):
        texts = rule.arguments - set(id_arguments(rule))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths = [url(rule, values, **{name: bad}) for name in texts for bad in BAD_TEXT]
            for bad in BAD_TEXT:
                query = "&".join(
                    f"{arg}={bad}"
                    for arg in ("date", "start", "end", "days", "page", "metric", "theme", "next")
                )
                paths.append(f"{url(rule, values)}?{query}")
            for path in paths:
                status = send(clients[who], method, path)
                if str(status).startswith("5"):
                    wrong.append((method, path, status))
    assert wrong == []


def matches_another_route(adapter, path, method):
    try:
        adapter.match(unquote(path), method)
    except HTTPException:
        return False
    return True


# Form fields (as a browser sends them) with hostile text
HOSTILE = ["9" * 25, "-1", "1e309", "nan", "%00", "%0D%0A", "%20", "%ED%A0%80", "2026-W48-1"]
HOSTILE += ["x" * 30_000]


@pytest.mark.parametrize("text", HOSTILE)
def test_every_route_that_reads_a_form_answers_hostile_text_without_a_500(tmp_path, text):
    app, clients, values, _ = cast(tmp_path)
    body = "&".join(f"{name}={text}" for name in sorted(field_names()))
    wrong = []
    for rule in routes(app):
        if rule.endpoint == "auth.logout":
            continue  # it reads no field; the others need their people signed in
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            for who, client in clients.items():
                path = url(rule, values)
                form_type = "application/x-www-form-urlencoded"
                status = send(client, method, path, data=body, content_type=form_type)
                if str(status).startswith("5"):
                    wrong.append((who, method, path, status))
    assert wrong == []


# Ids: the converter itself


def test_ids_within_sqlites_range_still_route(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/sessions/{2**63 - 1}") == ("sessions.detail", {"id": 2**63 - 1})
    assert adapter.match("/sessions/7") == ("sessions.detail", {"id": 7})
    with pytest.raises(NotFound):
        adapter.match(f"/sessions/{2**63}")


# `next` holding control characters


@pytest.mark.parametrize(
    "next_",
    [
        "/entries%0D%0ASet-Cookie:%20a=b",
        "%0D%0A",
        "/checkin%0A",
        "%0D/entries",
        "/%09/evil.example",
        "/%0A/evil.example",
        "/entries%00",
        "/entries%7F",
        "/entries%C2%85",  # NEL
        "/entries%E2%80%A8",  # LINE SEPARATOR
        "/entries%E2%80%AE",  # RIGHT-TO-LEFT OVERRIDE
    ],
)
def test_next_with_control_characters_goes_to_the_start_page(auth, next_):
    response = auth.login_again(next_)
    assert response.status_code == 302
    assert response.location == "/checkin"


def test_a_plain_next_still_leads_back(auth):
    response = auth.login_again("/entries%3Fpage%3D1")
    assert response.location == "/entries?page=1"


# Dates are YYYY-MM-DD exactly

MONDAY = TODAY - timedelta(days=TODAY.weekday() + 7)  # last week's Monday
WEEK_DATE = "{}-W{:02d}-1".format(*MONDAY.isocalendar()[:2])
NOT_DAYS = [
    WEEK_DATE,
    "{}W{:02d}1".format(*MONDAY.isocalendar()[:2]),
    MONDAY.strftime("%Y%m%d"),
    f"{MONDAY.isoformat()}T00:00",
    f" {MONDAY.isoformat()}x",
    MONDAY.isoformat().replace("-", "/"),
    f"{MONDAY.year}-{MONDAY.timetuple().tm_yday:03d}",
    MONDAY.isoformat().replace("0", "\u0660"),  # Arabic-Indic digits
]
DATE_MESSAGE = "Enter a date as YYYY-MM-DD, like 2026-03-14."


def test_the_week_date_is_that_monday():
    assert date.fromisoformat(WEEK_DATE) == MONDAY  # what Python 3.11 alone would accept


@pytest.mark.parametrize("text", NOT_DAYS)
def test_forms_refuse_a_date_that_is_not_yyyy_mm_dd(app, client, patient, text):
    phq9 = {"date": text, **{f"q{n}": "1" for n in range(1, 10)}}
    for url_, data, table in [
        ("/checkin", {"date": text, "mood": "5"}, "checkins"),
        ("/assessments/phq9", phq9, "assessments"),
    ]:
        response = post_json(client, url_, json_text(data))
        assert response.status_code == 400, url_
        assert error_for(response, "date") == DATE_MESSAGE, url_
        with app.app_context():
            assert get_db()[table].count == 0


def json_text(data):
    """`data` as JSON bytes, lone surrogates and all (as a client could send them)."""
    return json.dumps(data).encode()


@pytest.mark.parametrize("text", NOT_DAYS)
def test_urls_and_query_arguments_refuse_a_date_that_is_not_yyyy_mm_dd(client, patient, text):
    day = MONDAY.isoformat()
    assert client.post("/checkin", data={"date": day, "mood": "5"}).status_code == 302
    assert client.get(f"/entries/{day}").status_code == 200
    for path in (f"/entries/{quote(text)}", f"/entries/{quote(text)}/edit"):
        assert client.get(path).status_code == 404, path
    response = client.get(f"/checkin?date={quote(text)}")
    assert response.status_code == 400
    assert DATE_MESSAGE in error_for(response, "date")
    for arg in ("start", "end"):
        response = client.get(f"/export/report.pdf?{arg}={quote(text)}")
        assert response.status_code == 400
        assert error_for(response, arg) == DATE_MESSAGE


@pytest.mark.parametrize("text", NOT_DAYS)
def test_a_session_time_is_yyyy_mm_ddthh_mm(app, client, patient, text):
    response = client.post(
        "/sessions/new", data={"started_at": f"{text}T10:00", "product": "ketamine", "route": "iv"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert get_db()["sessions"].count == 0


@pytest.mark.parametrize("text", NOT_DAYS)
def test_an_import_refuses_a_week_date(app, client, patient, text):
    csv = f"date,mood,note\n{text},4,x\n{MONDAY.isoformat()},5,y\n".encode()
    response = client.post(
        "/import",
        data={"file": (io.BytesIO(csv), "export.csv")},
        content_type="multipart/form-data",
    )
    assert "is not a date like 2026-03-14 (YYYY-MM-DD)" in response.text


# Bodies sent in chunks (no Content-Length), past the 2 MB limit, to a real gunicorn


def in_chunks(data, size=64 * 1024):
    """`data` as an iterable, which http.client sends with Transfer-Encoding: chunked."""
    return (data[i : i + size] for i in range(0, len(data), size))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """gunicorn as in production, one worker, and a patient signed in: (server, visitor)."""
    with LiveServer(tmp_path_factory.mktemp("chunked"), workers=1, now=NOW) as server:
        # A client of its own over http.client: a body can be sent in chunks.
        yield (
            server,
            signed_up(server.port, "chunk@example.com", PASSWORD, timeout=60, strict_text=True),
        )


def stored(server, table):
    with sqlite3.connect(server.database) as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608


LIMIT = 2 * 1024 * 1024


@pytest.mark.parametrize("extra", [1, 64 * 1024, LIMIT])
@pytest.mark.subprocess
def test_a_chunked_checkin_over_the_limit_is_413_and_nothing_is_stored(live, extra):
    server, visitor = live
    fields = {"csrf_token": visitor.token("/checkin"), "date": DAY, "mood": "5"}
    head = (urlencode(fields) + "&reflection=kept&padding=").encode()
    body = head + b"x" * (LIMIT - len(head) + extra)
    status, page = visitor.send(
        "POST", "/checkin", in_chunks(body), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 413
    assert "That was too large to send" in page
    assert stored(server, "checkins") == 0


@pytest.mark.subprocess
def test_a_chunked_import_over_the_limit_is_413_and_nothing_is_stored(live):
    server, visitor = live
    boundary = "chunkedboundary"
    csv = f"date,mood,note\n{DAY},4,x\n".encode() + b"," * LIMIT
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{visitor.token('/import')}\r\n--{boundary}\r\nContent-Disposition: form-data; "
        f'name="file"; filename="export.csv"\r\nContent-Type: text/csv\r\n\r\n'
    )
    body = head.encode() + csv + f"\r\n--{boundary}--\r\n".encode()
    status, _ = visitor.send(
        "POST",
        "/import",
        in_chunks(body),
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 413
    assert stored(server, "pending_imports") == 0


@pytest.mark.subprocess
def test_a_chunked_body_within_the_limit_is_read_whole(live):
    server, visitor = live
    fields = {"csrf_token": visitor.token("/checkin"), "date": TODAY.isoformat(), "mood": "7"}
    body = (urlencode(fields) + "&reflection=" + "y" * 19_000).encode()
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _ = visitor.send("POST", "/checkin", in_chunks(body, 4096), form_type)
    assert status == 302
    with sqlite3.connect(server.database) as conn:
        sql = "select mood, length(reflection) from checkins where day = ?"
        row = conn.execute(sql, [TODAY.isoformat()]).fetchone()
    assert row == (7, 19_000)


@pytest.mark.parametrize(("value", "message"), NOT_TEXT)
@pytest.mark.parametrize("path", ["/checkin", "/auth/logout", "/settings/delete"])
def test_a_csrf_token_that_is_not_text_is_refused_like_a_wrong_one(secure, path, value, message):
    app, client = secure
    body = b'{"csrf_token": ' + value + b', "date": "' + DAY.encode() + b'", "mood": "5"}'
    assert post_json(client, path, body).status_code == 400
    assert client.get("/checkin").status_code == 200  # still signed in
    with app.app_context():
        assert get_db()["checkins"].count == 0


@pytest.mark.parametrize(
    ("url_", "data", "field", "message", "table"),
    [
        ("/settings/symptoms", {"name": " \t "}, "name", "Name the symptom", "symptoms"),
        ("/checkin", {"date": DAY, "mood": " "}, "mood", "Choose your mood", "checkins"),
        ("/checkin", {"date": "  ", "mood": "5"}, "date", "", "checkins"),
    ],
)
def test_white_space_alone_is_no_answer(app, client, patient, url_, data, field, message, table):
    response = client.post(url_, data=data)
    assert response.status_code == 400
    assert message in error_for(response, field)
    with app.app_context():
        assert get_db()[table].count == 0


def test_white_space_alone_in_a_required_rating_is_refused_on_an_edit_too(app, client, patient):
    """Before, the edit form (which has no date to fail first) stored a blank mood: a 500."""
    assert client.post("/checkin", data={"date": DAY, "mood": "5"}).status_code == 302
    response = client.post(f"/entries/{DAY}/edit", data={"mood": "\r\n"})
    assert response.status_code == 400
    assert "Choose your mood" in error_for(response, "mood")


# Form fields whose bytes are not UTF-8 text: refused at the field, never stored as garbage

BROKEN = "This holds bytes that are not UTF-8 text, so it cannot be read; please retype it."
NOT_UTF8 = ["%FF", "%ED%A0%80", "%C0%AF", "%E2%82"]  # stray byte, surrogate, overlong, cut short


def multipart(fields, boundary="utf8boundary"):
    """`fields` ({name: raw bytes}) as a multipart/form-data body, bytes as they are."""
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


TEXT_FIELDS = [
    ("/checkin", {"date": DAY, "mood": "5"}, "reflection", "checkins"),
    ("/checkin", {"date": DAY, "mood": "5"}, "tags", "checkins"),
    ("/settings/symptoms", {}, "name", "symptoms"),
    ("/share", {"days": "7"}, "label", "share_links"),
    (
        "/sessions/new",
        {"started_at": f"{DAY}T10:00", "product": "ketamine", "route": "iv"},
        "intention",
        "sessions",
    ),
]


@pytest.mark.parametrize("bad", NOT_UTF8)
@pytest.mark.parametrize(("url_", "data", "field", "table"), TEXT_FIELDS)
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_field_that_is_not_utf8_is_refused_at_the_field(
    app, client, patient, bad, url_, data, field, table, encoding
):
    """Before, werkzeug kept "%FF" as the three characters "%FF" (urlencoded) or made it "�"
    (multipart), and the garbage was stored as the person's words."""
    if encoding == "urlencoded":
        body = urlencode(data) + f"&{field}=before{bad}after"
        content_type = "application/x-www-form-urlencoded"
    else:
        raw = {name: value.encode() for name, value in data.items()}
        body, content_type = multipart({**raw, field: b"before" + unquote_to_bytes(bad) + b"after"})
    response = client.post(url_, data=body, content_type=content_type)
    assert response.status_code == 400
    assert error_for(response, field) == BROKEN
    assert "before" in response.text and "after" in response.text  # the rest is kept
    with app.app_context():
        assert get_db()[table].count == 0


@pytest.mark.parametrize("body", ["na%FFme=Pain", "name=Pain&x%ED%A0%80=1"])
def test_a_field_name_that_is_not_utf8_is_refused(app, client, patient, body):
    form_type = "application/x-www-form-urlencoded"
    response = client.post("/settings/symptoms", data=body, content_type=form_type)
    assert response.status_code == 400
    assert BROKEN in response.text
    with app.app_context():
        assert get_db()["symptoms"].count == 0


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        ("reflection=caf%C3%A9+%F0%9F%8C%8A+100%25FF", "café 🌊 100%FF"),
        ("reflection=caf\u00e9 \U0001f30a", "café 🌊"),  # raw UTF-8 bytes, not escaped
    ],
)
def test_utf8_text_in_a_form_is_still_stored_as_sent(app, client, patient, body, stored):
    form_type = "application/x-www-form-urlencoded"
    data = f"date={DAY}&mood=5&{body}".encode()
    assert client.post("/checkin", data=data, content_type=form_type).status_code == 302
    with app.app_context():
        assert get_db().execute("select reflection from checkins").fetchone()[0] == stored


@pytest.mark.parametrize("bad", NOT_UTF8)
def test_every_form_refuses_bytes_that_are_not_utf8_and_stores_nothing(tmp_path, bad):
    """Every field of every form holds bad bytes: each route refuses (or turns the person
    away), and no table changes."""
    app, clients, values, _ = cast(tmp_path)
    body = "&".join(f"{name}=x{bad}" for name in sorted(field_names()))

    def dump():
        with app.app_context():
            db = get_db()
            return {
                t: db.execute(f"select * from [{t}]").fetchall()  # noqa: S608
                for t in db.table_names()
                # A wrong current password still counts towards the log-in throttle.
                if t not in ("signins", "activity", "login_failures")
            }

    before, wrong = dump(), []
    for rule in routes(app):
        if rule.endpoint == "auth.logout":
            continue  # it reads no field
        for who, client in clients.items():
            form_type = "application/x-www-form-urlencoded"
            status = send(client, "POST", url(rule, values), data=body, content_type=form_type)
            if status not in (400, 405) and not turned_away(status):
                wrong.append((who, rule.rule, status))
    assert wrong == []
    assert dump() == before


# A lone surrogate in a JSON body's field name, not its value: the name was echoed back in the
# form's message, and the page could not be encoded (a 500 on every route that reads a form).
@pytest.mark.parametrize("name", ["\\ud800", "mood\\udfff", "\\udc00x"])
def test_every_route_refuses_a_json_field_name_with_a_lone_surrogate(tmp_path, name):
    app, clients, values, stored = cast(tmp_path)
    body = b'{"%s": "5", "date": "%s"}' % (name.encode(), DAY.encode())
    wrong = []
    for rule in routes(app):
        if "POST" not in rule.methods or rule.endpoint == "auth.logout":  # it reads no field
            continue
        for who, client in clients.items():
            path = url(rule, values)
            status = send(client, "POST", path, data=body, content_type="application/json")
            if status != 400 and not turned_away(status):
                wrong.append((who, path, status))
    assert wrong == []
    response = clients["patient"].post("/checkin", data=body, content_type="application/json")
    assert "lone UTF-16 surrogate" in response.text
    with app.app_context():
        assert {t: get_db()[t].count for t in stored} == stored
