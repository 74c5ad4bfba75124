"""journal/access.py: CSRF checked on every POST of the app, and each role kept to its pages.

The routes are read from the app's URL map, so a route added later is covered without
naming it here.
"""

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PASSWORD, csrf_token, make_app
from factories import TODAY, checkin, person, session, sql, take, therapist
from flask_login import login_user
from werkzeug.exceptions import NotFound

from journal import access
from journal.db import get_db
from journal.people import User

DAY = TODAY.isoformat()
LATER = "2026-01-05"
CSV = f"date,mood,note\n{LATER},4,Slow start\n"


def dump(app):
    """Every row of every table, as SQL text."""
    with app.app_context():
        return list(get_db().conn.iterdump())


@pytest.fixture
def world(tmp_path):
    """A patient with one of everything, a therapist linked to them, and a stranger; then CSRF
    on, as in production: (app, {"patient", "therapist", "stranger"}, URL values)."""
    app = make_app(tmp_path)
    patient = person(app, "pat@example.com")
    checkin(patient, DAY, 5)
    session(patient, DAY)
    patient.post("/settings/symptoms", data={"name": "Pain"})
    patient.post("/share", data={"label": "Dr", "days": "7"})
    response = patient.post(
        "/import",
        data={"file": (io.BytesIO(CSV.encode()), "export.csv")},
        content_type="multipart/form-data",
    )
    import_id = int(re.fullmatch(r"/import/(\d+)", response.location).group(1))
    doc = therapist(app)
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", doc.get("/caseload").text).group(0)
    assert patient.post("/settings/therapist", data={"invite_code": code}).status_code == 302
    with app.app_context():
        db = get_db()
        values = {
            "day": DAY,
            "id": db["sessions"].rows_where(limit=1).__next__()["id"],
            "kind": "phq9",
            "import_id": import_id,
            "link_id": db["share_links"].rows_where(limit=1).__next__()["id"],
            "symptom_id": db["symptoms"].rows_where(limit=1).__next__()["id"],
            "patient_id": 1,
            "name": "mood",
            "fmt": "svg",
            "token": "x" * 43,
            "invite_code": code,
        }
    app.config["WTF_CSRF_ENABLED"] = True
    clients = {"patient": patient, "therapist": doc, "stranger": app.test_client()}
    return app, clients, values


def url(rule, values):
    """The rule's path with each URL parameter filled in."""
    return rule.build({name: values.get(name, 1) for name in rule.arguments})[1]


def post_rules(app):
    return [r for r in app.url_map.iter_rules() if "POST" in r.methods]


def poster(endpoint):
    """Who sends the POST: the person whose page it is."""
    if endpoint in ("auth.register", "auth.login"):
        return "stranger"
    return "therapist" if endpoint == "caseload.new_code" else "patient"


def body(values, endpoint=""):
    """Every form's fields, filled in validly: only the CSRF token is missing."""
    return {
        "email": "new@example.com" if endpoint == "auth.register" else "pat@example.com",
        "password": PASSWORD,
        "current_password": PASSWORD,
        "new_password": "another long passphrase",
        "timezone": "UTC",
        "date": LATER,
        "mood": "5",
        "reflection": "words",
        "started_at": f"{LATER}T10:00",
        "product": "ketamine",
        "route": "iv",
        "name": "Nausea",
        "label": "Dr Okafor",
        "days": "7",
        "invite_code": values["invite_code"],
        "reminder_time": "07:30",
        **{f"q{n}": "1" for n in range(1, 10)},
    }


def test_every_post_route_refuses_a_missing_token_and_stores_nothing(world):
    app, clients, values = world
    before = dump(app)
    answers = {}
    for rule in post_rules(app):
        client = clients[poster(rule.endpoint)]
        answers[rule.endpoint] = client.post(
            url(rule, values), data=body(values, rule.endpoint)
        ).status_code
    assert answers == dict.fromkeys(answers, 400)
    assert dump(app) == before
    assert clients["patient"].get("/checkin").status_code == 200  # still signed in


def test_every_post_route_refuses_a_forged_token(world):
    app, clients, values = world
    before = dump(app)
    for rule in post_rules(app):
        client = clients[poster(rule.endpoint)]
        data = {**body(values, rule.endpoint), "csrf_token": "forged"}
        assert client.post(url(rule, values), data=data).status_code == 400, rule.endpoint
    assert dump(app) == before


def test_the_csrf_lists_name_real_post_routes(world):
    app, _, _ = world
    posts = {rule.endpoint for rule in post_rules(app)}
    assert posts >= access.CHECKS_ITS_OWN_TOKEN
    assert len(access.CHECKS_ITS_OWN_TOKEN) < len(posts)  # the app-wide check does the rest


def test_a_refused_form_comes_back_with_a_token_that_works(world):
    app, clients, _ = world
    patient = clients["patient"]
    response = patient.post("/settings/symptoms", data={"name": "Nausea 🌙"})
    assert response.status_code == 400
    assert "This form has expired" in response.text and "Nausea 🌙" in response.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text)[1]
    sent = patient.post("/settings/symptoms", data={"name": "Nausea", "csrf_token": token})
    assert sent.status_code == 302, re.findall(r'class="error[^>]*>([^<]*)<', sent.text)


# Log-in

# What anyone may open without signing in: logging in and its steps, the public pages, the
# offline shell and static files, and what a share link or a calendar feed opens (each
# behind its own secret in the address).
PUBLIC_BLUEPRINTS = {"auth", "pages", "offline", "calendar", "static"}
PUBLIC_PAGES = {"share.view", "share.chart", "share.report"}


def private_rules(app):
    """Every route but those public by design."""
    private = rules_of(
        app,
        lambda rule: (
            rule.endpoint.split(".")[0] not in PUBLIC_BLUEPRINTS
            and rule.endpoint not in PUBLIC_PAGES
        ),
    )
    assert len(private) > 60
    return private


def assert_sent_to_log_in(app, browser, values, token=None):
    """Every private route sends `browser` to log in: its GETs, and with a CSRF `token` its
    POSTs too (without one, a POST is refused for its token before its log-in is asked)."""
    methods = {"GET", "POST"} if token else {"GET"}
    for rule in private_rules(app):
        path = url(rule, values)
        for method in sorted(rule.methods & methods):
            data = {**body(values), "csrf_token": token} if method == "POST" else None
            response = browser.open(path, method=method, data=data)
            assert response.status_code == 302, (rule.endpoint, method)
            sent_to = urlsplit(response.location)
            assert sent_to.path == "/auth/login", (rule.endpoint, method)
            assert parse_qs(sent_to.query)["next"] == [path], (rule.endpoint, method)


def test_every_other_route_sends_a_stranger_to_log_in_and_stores_nothing(world):
    """Read from the URL map: a page added later without its log-in check fails here. A POST
    carries the stranger's own valid CSRF token, so only the log-in check can stop it."""
    app, clients, values = world
    stranger = clients["stranger"]
    token = csrf_token(stranger.get("/auth/login"))
    before = dump(app)
    assert_sent_to_log_in(app, stranger, values, token)
    assert dump(app) == before


@pytest.mark.parametrize("ending", ["log out", "delete the account", "password changed"])
def test_an_ended_sign_ins_cookies_open_no_route_and_store_nothing(world, ending):
    """A phone's cookies (session and "Keep me signed in"), copied before its sign-in ends
    (logged out there, the account deleted there, the password changed on another device),
    replayed on every route with the CSRF token the old session still holds; and the "Keep
    me signed in" cookie alone."""
    app, clients, values = world
    phone = app.test_client()
    login = phone.post(
        "/auth/login",
        data={"csrf_token": csrf_token(phone.get("/auth/login")), "email": "pat@example.com",
              "password": PASSWORD, "remember": "y"},
    )  # fmt: skip
    assert login.status_code == 302
    token = csrf_token(phone.get("/settings"))
    copied = {
        name: cookie.value
        for name in ("session", "remember_token")
        if (cookie := phone.get_cookie(name)) is not None
    }
    assert set(copied) == {"session", "remember_token"}
    if ending == "log out":
        ended = phone.post("/auth/logout", data={"csrf_token": token})
    elif ending == "delete the account":
        ended = phone.post("/settings/delete", data={"csrf_token": token, "password": PASSWORD})
    else:
        laptop = clients["patient"]
        new = "another long passphrase"
        ended = laptop.post(
            "/settings/password",
            data={"csrf_token": csrf_token(laptop.get("/settings")), "current_password": PASSWORD,
                  "new_password": new, "confirm": new},
        )  # fmt: skip
    assert ended.status_code in (200, 302), ended.text
    before = dump(app)
    for cookies, with_token in (
        (copied, token),
        ({"remember_token": copied["remember_token"]}, None),
    ):
        old = app.test_client()
        for name, value in cookies.items():
            old.set_cookie(name, value)
        assert_sent_to_log_in(app, old, values, with_token)
    assert dump(app) == before


def test_every_page_answers_a_head_as_its_get_does_and_a_head_stores_nothing(world):
    """Read from the URL map: the patient asks every GET route (their own records named) with
    HEAD first, then GET. A HEAD answers the GET's status: two settings pages (two-factor,
    unlinking) answered a HEAD 400, their views taking any request but a GET for a sent
    form. And a HEAD, which carries nothing away, stores nothing: an export's noted
    "Downloaded checkins.csv" in the person's Recent activity, a download that never was."""
    app, clients, values = world
    app.config["WTF_CSRF_ENABLED"] = False
    patient = clients["patient"]
    take(patient, "phq9", DAY, [1] * 9)
    values = {**values, "assessment_id": sql(app, "select id from assessments")[0][0]}
    pages = rules_of(app, lambda rule: "GET" in rule.methods and rule.endpoint != "static")
    assert len(pages) > 40
    before = dump(app)
    heads = {rule.endpoint: patient.head(url(rule, values)).status_code for rule in pages}
    assert set(dump(app)) ^ set(before) == set()  # the rows a HEAD wrote, or changed
    assert heads == {rule.endpoint: patient.get(url(rule, values)).status_code for rule in pages}


def test_a_therapists_head_answers_as_its_get_does_and_stores_nothing(world):
    """Read from the URL map: the linked therapist asks every GET route (their patient's
    caseload page, charts and report named) with HEAD first, then GET. A HEAD of the
    patient's page, a chart or the report was written in the audit log as a view ("Dr …
    viewed your progress" in the patient's Recent activity), though it showed nothing."""
    app, clients, values = world
    app.config["WTF_CSRF_ENABLED"] = False
    values = {**values, "name": "mood-timeline"}  # a chart the caseload draws
    doc = clients["therapist"]
    pages = rules_of(app, lambda rule: "GET" in rule.methods and rule.endpoint != "static")
    caseload = [rule for rule in pages if "patient_id" in rule.arguments]
    assert len(caseload) >= 3
    before = dump(app)
    heads = {rule.endpoint: doc.head(url(rule, values)).status_code for rule in pages}
    assert set(dump(app)) ^ set(before) == set()  # the rows a HEAD wrote, or changed
    assert {heads[rule.endpoint] for rule in caseload} == {200}
    assert heads == {rule.endpoint: doc.get(url(rule, values)).status_code for rule in pages}


# Owners

# The URL parts that name one person's record (a row's id, or a day of their journal).
OWNED_PARTS = {"id", "day", "assessment_id", "import_id", "link_id", "symptom_id", "signin_id"}


def test_every_record_of_someone_else_is_a_404_and_nothing_changes(world):
    """Read from the URL map: another patient sends the first one's real ids (and a day they
    have written) to every route that names a record, GET and POST; another therapist, not
    linked, every caseload route with the patient's id. Each is a 404, as for a record that
    never was, and nothing changes. (A passkey's id is tested in test_passkeys.py.)"""
    app, clients, values = world
    app.config["WTF_CSRF_ENABLED"] = False  # whose record it is is what is tested here
    take(clients["patient"], "phq9", DAY, [1] * 9)
    values = {
        **values,
        "assessment_id": sql(app, "select id from assessments")[0][0],
        "signin_id": sql(app, "select id from signins where user_id = 1")[0][0],
        "patient_id": 1,
    }
    others = {
        "patient": person(app, "other@example.com"),
        "therapist": therapist(app, "kim@example.com"),
    }
    before = dump(app)
    owned = rules_of(app, lambda rule: rule.arguments & (OWNED_PARTS | {"patient_id"}))
    assert len(owned) >= 18
    for rule in owned:
        other = others["therapist" if "patient_id" in rule.arguments else "patient"]
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = other.open(url(rule, values), method=method, data=body(values))
            assert response.status_code == 404, (rule.endpoint, method, response.status_code)
    assert dump(app) == before


# Roles


def rules_of(app, test):
    return [rule for rule in app.url_map.iter_rules() if test(rule)]


def method_of(rule):
    return "get" if "GET" in rule.methods else "post"


def test_a_therapist_never_opens_a_patient_page(world):
    app, clients, values = world
    app.config["WTF_CSRF_ENABLED"] = False  # the role is what is tested here
    doc = clients["therapist"]
    before = dump(app)
    patient_pages = rules_of(
        app,
        lambda rule: (
            (
                rule.endpoint.split(".")[0] in access.PATIENT_BLUEPRINTS
                or rule.endpoint in access.PATIENT_PAGES
            )
            and rule.endpoint not in access.OPEN_TO_ALL
        ),
    )
    assert len(patient_pages) > 20
    # The journal's data and its reminder: a therapist has neither.
    journal_only = {"exports.index", "exports.data_json", "exports.fhir_json", "settings.reminders"}
    assert journal_only <= {rule.endpoint for rule in patient_pages}
    for rule in patient_pages:
        response = getattr(doc, method_of(rule))(url(rule, values), data=body(values))
        assert response.status_code == 302, rule.endpoint
        assert response.location == "/caseload", rule.endpoint
    for path in ("/settings/therapist", "/settings/therapist/unlink"):
        assert doc.post(path, data=body(values)).status_code == 404
    assert doc.get("/settings/therapist").status_code == 404
    assert dump(app) == before


def test_a_patient_never_opens_a_caseload_page(world):
    app, clients, values = world
    app.config["WTF_CSRF_ENABLED"] = False
    patient = clients["patient"]
    before = dump(app)
    caseload_pages = rules_of(
        app,
        lambda rule: rule.endpoint.startswith("caseload."),
    )
    assert {rule.endpoint for rule in caseload_pages} == {
        "caseload.index",
        "caseload.new_code",
        "caseload.patient",
        "caseload.chart",
        "caseload.reviewed",
        "caseload.undo_review",
        "caseload.report",
    }
    for rule in caseload_pages:
        response = getattr(patient, method_of(rule))(url(rule, values))
        assert response.status_code == 404, rule.endpoint
    assert dump(app) == before


def as_user(role):
    return User({"id": 1, "email": "a@example.com", "display_name": "", "timezone": "UTC",
                 "role": role})  # fmt: skip


@pytest.mark.parametrize(
    ("decorator", "allowed"),
    [
        (access.patient_required, {"patient"}),
        (access.therapist_required, {"therapist"}),
        (access.admin_required, {"admin"}),
    ],
)
def test_each_role_decorator_lets_in_its_role_only(tmp_path, decorator, allowed):
    app = make_app(tmp_path)
    view = decorator(lambda: "shown")
    for role in ("patient", "therapist", "admin"):
        with app.test_request_context():
            login_user(as_user(role))
            if role in allowed:
                assert view() == "shown"
            else:
                with pytest.raises(NotFound):
                    view()
    with app.test_request_context(), pytest.raises(NotFound):  # nobody signed in
        view()
