"""The admin role (issue 9): `flask create-admin`, the `/admin` pages (accounts, search,
deactivate and reactivate, reset links), and an admin kept away from every page with health
data. The invitations are tests/test_invitations.py; reset links tests/test_reset_links.py."""

import html
import re
import sqlite3
from datetime import timedelta

import pytest
from conftest import PASSWORD, AuthActions, csrf_token, error_for, make_app
from factories import (
    ADMIN_PASSWORD,
    NOW,
    TODAY,
    checkin,
    deleted_first,
    invite_code,
    link,
    make_admin,
    person,
    reset_link,
    session,
    sql,
    therapist,
    user_id,
)

from journal import access, clock
from journal.db import get_db
from journal.migrations import migrations

DAY = TODAY.isoformat()
# Words that stand for a patient's health data: none may reach an admin's page.
HEALTH_WORDS = ("Slept badly after the drive", "walked-by-the-river", "Quiet infusion room")


@pytest.fixture
def clinic(app):
    """A patient with health data, a therapist linked to them, and an admin: (app, clients)."""
    pat = person(app, "pat@example.com")
    checkin(pat, DAY, 3, reflection=HEALTH_WORDS[0], tags=HEALTH_WORDS[1])
    session(pat, DAY, intention=HEALTH_WORDS[2])
    doc = therapist(app)
    assert link(pat, invite_code(doc)).status_code == 302
    boss = make_admin(app)
    return app, {"patient": pat, "therapist": doc, "admin": boss, "stranger": app.test_client()}


# The command line


def test_create_admin_asks_for_the_password_twice_and_stores_an_admin(app):
    make_admin(app)
    ((role, password_hash, deactivated),) = sql(
        app, "select role, password_hash, deactivated_at from users"
    )
    assert (role, deactivated) == ("admin", None)
    assert ADMIN_PASSWORD not in password_hash
    # Written to the audit log, as the command line's other account actions are.
    assert sql(app, "select actor_id, actor_role, action, subject_id from audit") == [
        (None, "command line", "create-admin", 1)
    ]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("short one\nshort one\n", "Use 10 to 256 characters."),
        ("password123\npassword123\n", "one of the most common"),
        ("a long enough phrase\nanother long phrase\na\na\na\n", "do not match"),
    ],
)
def test_create_admin_refuses_a_bad_password_and_stores_nothing(app, typed, message):
    result = app.test_cli_runner().invoke(args=["create-admin", "boss@example.com"], input=typed)
    assert result.exit_code != 0
    assert message in result.output
    assert sql(app, "select count(*) from users") == [(0,)]


@pytest.mark.parametrize(
    "email", ["not-an-email", "boss@", "a" * 250 + "@example.com", "bo\u0000ss@x.org"]
)
def test_create_admin_refuses_a_bad_email(app, email):
    result = app.test_cli_runner().invoke(args=["create-admin", email, "--link"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert sql(app, "select count(*) from users") == [(0,)]


def test_create_admin_never_turns_an_existing_account_into_an_admin(app):
    person(app, "pat@example.com")
    result = app.test_cli_runner().invoke(args=["create-admin", "PAT@example.com", "--link"])
    assert result.exit_code == 1
    assert "already exists (a patient)" in result.output
    assert sql(app, "select role from users") == [("patient",)]


def test_create_admin_for_an_admins_address_says_an_admin(app):
    # "already exists (a admin)".
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-admin", "it@clinic.example", "--link"]).exit_code == 0
    result = runner.invoke(args=["create-admin", "it@clinic.example", "--link"])
    assert result.exit_code == 1
    assert "already exists (an admin)" in result.output


def test_create_admin_with_link_prints_a_set_password_link_that_works_once(app):
    app.config["PUBLIC_URL"] = "https://journal.example.org/"
    result = app.test_cli_runner().invoke(args=["create-admin", "boss@example.com", "--link"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"https://journal\.example\.org/auth/reset/[A-Za-z0-9_-]{43}", link)
    path = link.removeprefix("https://journal.example.org")
    client = app.test_client()
    assert client.get(path).status_code == 200
    assert client.post(path, data={"password": ADMIN_PASSWORD}).status_code == 302
    assert client.get(path).status_code == 410
    response = AuthActions(client).login(email="boss@example.com", password=ADMIN_PASSWORD)
    assert response.location == "/admin"


# Who reaches the admin pages

ADMIN_GETS = ["/admin", "/admin/users/1", "/admin/invitations", "/admin?q=pat"]
ADMIN_POSTS = [
    "/admin/users/1/deactivate",
    "/admin/users/1/reactivate",
    "/admin/users/1/reset-link",
    "/admin/invitations",
]


@pytest.mark.parametrize("who", ["patient", "therapist"])
def test_the_admin_pages_are_404_for_patients_and_therapists(clinic, who):
    app, clients = clinic
    before = sql(app, "select * from users") + sql(app, "select * from tokens")
    for path in ADMIN_GETS:
        assert clients[who].get(path).status_code == 404, path
    for path in ADMIN_POSTS:
        response = clients[who].post(path, data={"role": "therapist"})
        assert response.status_code == 404, path
    assert sql(app, "select * from users") + sql(app, "select * from tokens") == before


def test_the_admin_pages_send_a_stranger_to_log_in(clinic):
    app, clients = clinic
    for path in ADMIN_GETS:
        response = clients["stranger"].get(path)
        assert response.status_code == 302, path
        assert response.location.startswith("/auth/login?next=")
    for path in ADMIN_POSTS:
        assert clients["stranger"].post(path, data={"role": "therapist"}).status_code == 302


def test_the_admin_pages_are_open_to_an_admin(clinic):
    app, clients = clinic
    for path in ADMIN_GETS:
        assert clients["admin"].get(path).status_code == 200, path


def test_an_admin_reaches_no_page_with_health_data(clinic):
    """Every GET route of the URL map, as an admin: only the admin pages, the account's own
    settings, help and the like answer; everything else is 404; no health data anywhere."""
    app, clients = clinic
    boss = clients["admin"]
    pat_id = user_id(app, "pat@example.com")
    with app.app_context():
        db = get_db()
        values = {
            "day": DAY,
            "id": db.execute("select id from sessions").fetchone()[0],
            "kind": "phq9",
            "patient_id": pat_id,
            "user_id": pat_id,
            "name": "mood",
            "fmt": "svg",
            "token": "x" * 43,
            "secret": "x" * 43,
            "filename": "style.css",
        }
    reached = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = rule.build({name: values.get(name, 1) for name in rule.arguments})[1]
        response = boss.get(path)
        body = response.get_data(as_text=True) if response.mimetype.startswith("text") else ""
        response.close()
        for words in HEALTH_WORDS:
            assert words not in body, rule.endpoint
        if response.status_code != 404:
            reached.add(rule.endpoint)
    allowed = {
        "static", "pages.index", "pages.help", "pages.healthz", "offline.manifest",
        "offline.service_worker", "offline.offline", "auth.login", "auth.register",
        "auth.invite", "auth.reset", "settings.index", "settings.activity", "settings.delete",
        "settings.devices", "admin.index", "admin.account", "admin.invitations",
        "auth.second_step", "settings.two_factor_page", "settings.passkeys_page",
    }  # fmt: skip
    assert reached <= allowed, reached - allowed
    assert {"admin.index", "admin.account", "settings.index", "pages.help"} <= reached
    # The patient's own pages, the caseload and a share link's page are all 404.
    for path in ("/checkin", "/entries", "/progress", "/sessions", "/assessments", "/export",
                 "/export/checkins.csv", "/export/report.pdf", "/charts/mood.svg",
                 f"/caseload/{pat_id}", "/caseload", "/settings/therapist", "/settings/symptoms",
                 "/settings/reminders", "/share", "/import"):  # fmt: skip
        assert boss.get(path).status_code == 404, path


def test_an_admin_changes_nothing_of_anyone_through_another_post_route(clinic):
    """Every POST route of the URL map but the admin's own and their account's: 404, and not
    a row changes."""
    app, clients = clinic
    boss = clients["admin"]
    with app.app_context():
        db = get_db()
        before = {t: db.execute(f"select * from [{t}]").fetchall() for t in db.table_names()}  # noqa: S608
    own = {"auth.login", "auth.register", "auth.invite", "auth.reset", "auth.logout",
           "auth.second_step", "auth.passkey_options", "auth.passkey_signin"}  # fmt: skip
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.startswith("admin."):
            continue
        if rule.endpoint in own or rule.endpoint in access.ADMIN_REACHES:
            continue
        path = rule.build(dict.fromkeys(rule.arguments, 1))[1]
        response = boss.post(path, data={"mood": "5", "date": DAY, "invite_code": "x"})
        assert response.status_code == 404, rule.endpoint
    with app.app_context():
        db = get_db()
        after = {t: db.execute(f"select * from [{t}]").fetchall() for t in db.table_names()}  # noqa: S608
    assert after == before


def test_the_admin_account_page_shows_no_health_data(clinic):
    app, clients = clinic
    page = clients["admin"].get(f"/admin/users/{user_id(app, 'pat@example.com')}").text
    assert "pat@example.com" in page and "Patient" in page
    for words in (*HEALTH_WORDS, "mood", "PHQ"):
        assert words not in page


def test_the_admin_nav_leads_to_the_accounts_not_a_journal(clinic):
    app, clients = clinic
    page = clients["admin"].get("/settings").text
    assert 'href="/admin"' in page
    for path in ("/checkin", "/caseload", "/settings/therapist", "/export"):
        assert f'href="{path}"' not in page


# The list and its search


def test_the_list_shows_each_account_with_its_role_and_state(clinic):
    app, clients = clinic
    page = clients["admin"].get("/admin").text
    assert "3 accounts." in page
    for email, role in (
        ("pat@example.com", "Patient"),
        ("doc@example.com", "Therapist"),
        ("boss@example.com", "Admin"),
    ):
        item = re.search(
            rf'<li id="account-\d+"><a [^>]*>{re.escape(email)}</a>(.*?)</li>', page, re.S
        )
        assert item, email
        assert f"{role} · active · two-factor off" in item.group(1)
        assert "last sign-in" in item.group(1)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("pat", ["pat@example.com"]),
        ("PAT@EXAMPLE", ["pat@example.com"]),
        ("example.com", ["pat@example.com", "doc@example.com", "boss@example.com"]),
        ("%", []),
        ("_", []),
        ("nobody", []),
        ("  doc  ", ["doc@example.com"]),
    ],
)
def test_search_by_email(clinic, query, found):
    app, clients = clinic
    response = clients["admin"].get("/admin", query_string={"q": query})
    assert response.status_code == 200
    shown = re.findall(r'<li id="account-\d+"><a [^>]*>([^<]+)</a>', response.text)
    assert shown == found


@pytest.mark.parametrize("query", ["Émile", "ÉMILE@EXAMPLE", "e\u0301mile", "E\u0301"])
def test_search_finds_an_address_with_a_letter_beyond_a_to_z_in_any_case_and_form(clinic, query):
    # SQLite's LIKE ignores the case of A-Z only: "Émile" found nothing of "émile@...".
    app, clients = clinic
    person(app, "émile@example.com")
    response = clients["admin"].get("/admin", query_string={"q": query})
    assert response.status_code == 200
    shown = re.findall(r'<li id="account-\d+"><a [^>]*>([^<]+)</a>', response.text)
    assert shown == ["émile@example.com"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("a" * 255, "Search with at most 254 characters."),
        ("pat\u0000", "Search with letters, digits"),
        ("pat\u202e", "Search with letters, digits"),
    ],
)
def test_a_bad_search_is_400_with_the_message_at_the_field(clinic, query, message):
    app, clients = clinic
    response = clients["admin"].get("/admin", query_string={"q": query})
    assert response.status_code == 400
    assert 'id="q-error"' in response.text and message in response.text
    assert "pat@example.com" not in response.text


def test_the_list_is_paged(clinic):
    app, clients = clinic
    app.config["ENTRIES_PER_PAGE"] = 2
    boss = clients["admin"]
    first = boss.get("/admin?q=example").text
    assert re.findall(r'<li id="account-\d+"><a [^>]*>([^<]+)</a>', first) == [
        "pat@example.com",
        "doc@example.com",
    ]
    assert "Page 1 of 2" in first and 'href="/admin?q=example&amp;page=2"' in first
    second = boss.get("/admin?q=example&page=2").text
    assert re.findall(r'<li id="account-\d+"><a [^>]*>([^<]+)</a>', second) == ["boss@example.com"]
    for page in ("3", "0", "x", "٢"):
        assert boss.get(f"/admin?page={page}").status_code == 404


def test_an_account_that_does_not_exist_is_404(clinic):
    app, clients = clinic
    for path in ("/admin/users/999", f"/admin/users/{2**63}"):
        assert clients["admin"].get(path).status_code == 404
    assert clients["admin"].post("/admin/users/999/deactivate").status_code == 404


# Deactivating and reactivating


def test_deactivating_ends_every_sign_in_and_refuses_log_in_and_keeps_the_data(clinic):
    app, clients = clinic
    pat = clients["patient"]
    pat_id = user_id(app, "pat@example.com")
    # A second browser, with "Keep me signed in": its remember-me cookie is copied away.
    phone = app.test_client()
    AuthActions(phone).login(email="pat@example.com", remember="y")
    remember = phone.get_cookie("remember_token").value
    data_before = sql(app, "select * from checkins") + sql(app, "select * from sessions")

    response = clients["admin"].post(f"/admin/users/{pat_id}/deactivate")
    assert response.status_code == 302
    assert "is deactivated" in clients["admin"].get(response.location).text
    assert sql(app, "select count(*) from signins where user_id = ?", [pat_id]) == [(0,)]
    assert sql(app, "select deactivated_at from users where id = ?", [pat_id]) == [
        (clock.utcnow_iso(),)
    ]

    # The cookies from before are refused: the session's and the remember-me token alone.
    assert pat.get("/checkin").status_code == 302
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)
    assert thief.get("/checkin").location.startswith("/auth/login")
    # Log-in is refused with the reason, and makes no sign-in.
    again = app.test_client()
    refused = AuthActions(again).login(email="pat@example.com")
    assert refused.status_code == 403
    assert "This account is deactivated" in refused.text and "ask your clinic" in refused.text
    assert sql(app, "select count(*) from signins where user_id = ?", [pat_id]) == [(0,)]
    # A wrong password learns nothing of it.
    wrong = AuthActions(app.test_client()).login(email="pat@example.com", password="nope nope nope")
    assert wrong.status_code == 400 and "deactivated" not in wrong.text
    # The data stays.
    assert sql(app, "select * from checkins") + sql(app, "select * from sessions") == data_before
    page = clients["admin"].get(f"/admin/users/{pat_id}").text
    assert "deactivated since" in page and "Reactivate" in page
    assert "deactivated" in clients["admin"].get("/admin?q=pat").text

    # Reactivating lets the person in again, with their journal as it was.
    assert clients["admin"].post(f"/admin/users/{pat_id}/reactivate").status_code == 302
    assert sql(app, "select deactivated_at from users where id = ?", [pat_id]) == [(None,)]
    back = app.test_client()
    assert AuthActions(back).login(email="pat@example.com").location == "/checkin"
    assert HEALTH_WORDS[0] in back.get(f"/entries/{DAY}").text


def test_a_deactivated_accounts_share_link_and_calendar_feed_open_nothing_until_reactivated(
    clinic,
):
    # An account may be turned off because someone else had it: what they could have made,
    # a link to its progress or its calendar feed, stops too; reactivating brings both back.
    from factories import share_link
    from test_calendar import make_link as make_feed

    app, clients = clinic
    pat, boss = clients["patient"], clients["admin"]
    _, token = share_link(pat)
    _, _, secret = make_feed(pat)
    addresses = [f"/s/{token}", f"/s/{token}/charts/mood-timeline.svg", f"/s/{token}/report.pdf",
                 f"/calendar/{secret}.ics"]  # fmt: skip
    stranger = clients["stranger"]
    assert [stranger.get(a).status_code for a in addresses] == [200] * 4
    pat_id = user_id(app, "pat@example.com")
    assert boss.post(f"/admin/users/{pat_id}/deactivate").status_code == 302
    for address in addresses:
        response = stranger.get(address)
        assert response.status_code == 404, address
        assert HEALTH_WORDS[0] not in response.text and "pat@example.com" not in response.text
    assert boss.post(f"/admin/users/{pat_id}/reactivate").status_code == 302
    assert [stranger.get(a).status_code for a in addresses] == [200] * 4


def test_deactivating_retires_the_reset_links_made_before(app, clinic):
    # A link made before (perhaps mailed to whoever had the account) must not set a password
    # for the account while it is off, nor for the owner to find changed when it comes back.
    _, clients = clinic
    pat_id = user_id(app, "pat@example.com")
    path = reset_link(app, pat_id)
    assert clients["admin"].post(f"/admin/users/{pat_id}/deactivate").status_code == 302
    stranger = app.test_client()
    assert stranger.get(path).status_code == 404
    assert stranger.post(path, data={"password": "the stranger's passphrase"}).status_code == 404
    assert clients["admin"].post(f"/admin/users/{pat_id}/reactivate").status_code == 302
    assert AuthActions(app.test_client()).login(email="pat@example.com").location == "/checkin"


def test_no_one_links_to_a_deactivated_therapist(clinic):
    app, clients = clinic
    code = invite_code(clients["therapist"])
    doc_id = user_id(app, "doc@example.com")
    assert clients["admin"].post(f"/admin/users/{doc_id}/deactivate").status_code == 302
    sam = person(app, "sam@example.com")
    response = sam.post("/settings/therapist", data={"invite_code": code})
    assert response.status_code == 400
    assert "You are not linked to a therapist" in response.text
    sam_id = user_id(app, "sam@example.com")
    assert sql(app, "select count(*) from therapist_links where patient_id = ?", [sam_id]) == [(0,)]
    # Reactivated, the same code links again.
    assert clients["admin"].post(f"/admin/users/{doc_id}/reactivate").status_code == 302
    assert sam.post("/settings/therapist", data={"invite_code": code}).status_code == 302


def test_the_code_of_a_deactivated_therapist_says_what_the_patient_can_do(clinic):
    """The right code of a therapist the clinic turned off was answered "No therapist has this
    code. Check it with your therapist.": the therapist could only confirm it was right. The
    same words answer a code no one has, so nothing is confirmed to a guesser."""
    app, clients = clinic
    code = invite_code(clients["therapist"])
    doc_id = user_id(app, "doc@example.com")
    assert clients["admin"].post(f"/admin/users/{doc_id}/deactivate").status_code == 302
    sam = person(app, "sam@example.com")
    said = error_for(sam.post("/settings/therapist", data={"invite_code": code}), "invite_code")
    assert "turned off" in html.unescape(said) and "ask your clinic" in html.unescape(said)
    wrong = error_for(
        sam.post("/settings/therapist", data={"invite_code": "ZZZZ-ZZZX"}), "invite_code"
    )
    assert wrong == said


def test_a_patient_is_told_when_their_therapists_account_is_off(clinic):
    # "You are linked to Dr Rivera ... Their access ends at once" while the clinic had turned
    # the therapist off: the patient could not know that, nor that a reactivation shows all.
    app, clients = clinic
    doc_id = user_id(app, "doc@example.com")
    said = "Your clinic has turned Dr Rivera's account off"
    assert said not in clients["patient"].get("/settings/therapist").text
    assert clients["admin"].post(f"/admin/users/{doc_id}/deactivate").status_code == 302
    assert said in clients["patient"].get("/settings/therapist").text
    assert clients["admin"].post(f"/admin/users/{doc_id}/reactivate").status_code == 302
    assert said not in clients["patient"].get("/settings/therapist").text


def test_the_admin_is_told_a_therapists_patients_stay_linked_unseen_while_it_is_off(clinic):
    """Deactivating a therapist (one who left the clinic) said nothing of their patients: they
    stay linked to an account no one signs in to, their flagged days seen by no one, and the
    admin could not know to have another therapist take them on."""
    app, clients = clinic
    boss = clients["admin"]
    sam = person(app, "sam@example.com")
    assert link(sam, invite_code(clients["therapist"])).status_code == 302
    doc_id = user_id(app, "doc@example.com")
    page = html.unescape(boss.get(f"/admin/users/{doc_id}").text)
    assert "<dt>Linked patients</dt><dd>2</dd>" in page
    assert "2 patients linked to this therapist stay linked while the account is off" in page
    response = boss.post(f"/admin/users/{doc_id}/deactivate")
    told = html.unescape(boss.get(response.location).text)
    assert "doc@example.com is deactivated and signed out everywhere." in told
    assert "Their 2 linked patients stay linked, and no one sees their journals" in told
    # Neither is said of an account that is not a therapist's; nothing names the patients.
    pat_id = user_id(app, "pat@example.com")
    page = boss.get(f"/admin/users/{pat_id}").text
    assert "Linked patients" not in page and "stay linked" not in page
    assert "sam@example.com" not in told and "pat@example.com" not in told
    told = boss.get(boss.post(f"/admin/users/{pat_id}/deactivate").location).text
    assert "stay linked" not in told


def test_the_admin_is_told_a_deactivated_admins_open_links_no_longer_work(app, clinic):
    _, clients = clinic
    make_admin(app, "other@example.com")
    other_id = user_id(app, "other@example.com")
    response = clients["admin"].post(f"/admin/users/{other_id}/deactivate")
    told = clients["admin"].get(response.location).text
    assert "Invitations and reset links they made that were not used yet no longer work" in told


def test_the_therapist_is_told_when_their_patients_account_is_off(clinic):
    """A patient the clinic turned off stayed on the caseload as if they had gone quiet ("No
    check-in for 12 days"), and their therapist could not know why."""
    app, clients = clinic
    pat_id = user_id(app, "pat@example.com")
    doc = clients["therapist"]
    said = "Your clinic turned Patient's account off on"
    assert said not in doc.get("/caseload").text
    assert clients["admin"].post(f"/admin/users/{pat_id}/deactivate").status_code == 302
    for page in (doc.get("/caseload"), doc.get(f"/caseload/{pat_id}")):
        assert page.status_code == 200
        assert said in page.text and "until the clinic turns it on again" in page.text
    assert clients["admin"].post(f"/admin/users/{pat_id}/reactivate").status_code == 302
    assert said not in doc.get("/caseload").text
    assert said not in doc.get(f"/caseload/{pat_id}").text


def test_a_patient_whose_account_is_off_does_not_need_attention_for_their_silence(clinic):
    """A patient the clinic turned off cannot check in, so their silence grew day by day and
    put them at the top of "Needs attention" (longest silence first), above patients whose
    silence means something; a review could never clear it."""
    app, clients = clinic
    app.config["IDLE_MINUTES"] = 0
    pat_id = user_id(app, "pat@example.com")
    doc = clients["therapist"]
    clock.set(NOW + timedelta(days=10))
    silence = "No check-in for 10 days"
    assert silence in doc.get("/caseload").text
    assert clients["admin"].post(f"/admin/users/{pat_id}/deactivate").status_code == 302
    page = doc.get("/caseload").text
    assert silence not in page and "Needs attention (" not in page
    assert "10 days ago" in page  # the card still says when they last checked in
    assert clients["admin"].post(f"/admin/users/{pat_id}/reactivate").status_code == 302
    assert silence in doc.get("/caseload").text


def test_a_sign_in_of_a_deactivated_account_that_slipped_through_is_refused(clinic):
    """Belt and braces: even a sign-in row left behind does not let a deactivated account in."""
    app, clients = clinic
    pat_id = user_id(app, "pat@example.com")
    sql(app, "update users set deactivated_at = ? where id = ?", [clock.utcnow_iso(), pat_id])
    assert clients["patient"].get("/checkin").status_code == 302
    assert sql(app, "select count(*) from signins where user_id = ?", [pat_id]) == [(0,)]


def test_an_admin_cannot_deactivate_themself(clinic):
    app, clients = clinic
    boss_id = user_id(app, "boss@example.com")
    response = clients["admin"].post(f"/admin/users/{boss_id}/deactivate")
    assert response.status_code == 400
    assert "You cannot deactivate your own account." in response.text
    assert sql(app, "select deactivated_at from users where id = ?", [boss_id]) == [(None,)]
    assert clients["admin"].get("/admin").status_code == 200


def test_an_admin_makes_no_reset_link_for_their_own_account(clinic):
    """A link for one's own account set the password, and turned two-factor off, without the
    current password: anyone at an admin's open browser could take the account over and lock
    its owner out. Settings asks for the password."""
    app, clients = clinic
    boss = clients["admin"]
    boss_id = user_id(app, "boss@example.com")
    page = boss.get(f"/admin/users/{boss_id}")
    assert "/reset-link" not in page.text and 'href="/settings"' in page.text
    before = sql(app, "select count(*) from tokens")
    response = boss.post(f"/admin/users/{boss_id}/reset-link", data={"password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert "Change your own password in Settings" in response.text
    assert "/auth/reset/" not in response.text
    assert sql(app, "select count(*) from tokens") == before
    assert not sql(app, "select 1 from audit where action = 'reset-link'")
    doc_id = user_id(app, "doc@example.com")
    assert "/reset-link" in boss.get(f"/admin/users/{doc_id}").text  # others' still


@pytest.mark.parametrize(
    ("sent", "message"),
    [({}, "Enter your password to make a reset link."),
     ({"password": "not the admin's at all"}, "That is not your current password.")],
)  # fmt: skip
def test_a_reset_link_is_made_only_with_the_admins_own_password(app, clinic, sent, message):
    """A reset link sets a new password and turns two-factor off: made with a button alone,
    anyone at an admin's browser left open could take over another admin's account, and
    through it this one's, locking both out. Nothing is made, nothing is recorded."""
    _, clients = clinic
    make_admin(app, "other@example.com")
    other_id = user_id(app, "other@example.com")
    before = sql(app, "select * from tokens")
    response = clients["admin"].post(f"/admin/users/{other_id}/reset-link", data=sent)
    assert response.status_code == 400
    assert re.search(rf'id="password-error">{re.escape(message)}<', response.text)
    assert "/auth/reset/" not in response.text
    assert sql(app, "select * from tokens") == before
    assert not sql(app, "select 1 from audit where action = 'reset-link'")
    made = clients["admin"].post(
        f"/admin/users/{other_id}/reset-link", data={"password": ADMIN_PASSWORD}
    )
    assert made.status_code == 200 and re.search(r"/auth/reset/[\w-]{43}", made.text)


@pytest.mark.parametrize("ended", ["deactivated", "deleted"])
def test_an_admin_account_ended_retires_the_links_they_handed_out(app, clinic, ended):
    """A deactivated admin's invitations and reset links for others kept working (perhaps made
    by whoever had the account), and a deleted one's too; the links of other admins are left
    alone."""
    _, clients = clinic
    other = make_admin(app, "other@example.com")
    doc_id = user_id(app, "doc@example.com")
    other_id = user_id(app, "other@example.com")
    reset = re.search(
        r"/auth/reset/[\w-]{43}",
        other.post(f"/admin/users/{doc_id}/reset-link", data={"password": ADMIN_PASSWORD}).text,
    )[0]
    invited = re.search(r"/auth/invite/[\w-]{43}", other.post(
        "/admin/invitations", data={"role": "therapist"}).text)[0]  # fmt: skip
    kept = re.search(r"/auth/invite/[\w-]{43}", clients["admin"].post(
        "/admin/invitations", data={"role": "therapist"}).text)[0]  # fmt: skip
    if ended == "deactivated":
        assert clients["admin"].post(f"/admin/users/{other_id}/deactivate").status_code == 302
    else:
        assert other.post("/settings/delete", data={"password": ADMIN_PASSWORD}).status_code == 200
        assert sql(app, "select count(*) from users where id = ?", [other_id]) == [(0,)]
    stranger = app.test_client()
    assert stranger.get(reset).status_code == 404
    assert stranger.post(reset, data={"password": "the stranger's passphrase"}).status_code == 404
    assert stranger.get(invited).status_code in (404, 410)
    signed_up = stranger.post(invited, data={"email": "new@example.com", "password": PASSWORD})
    assert signed_up.status_code in (404, 410)
    assert sql(app, "select count(*) from users where email = 'new@example.com'") == [(0,)]
    assert stranger.get(kept).status_code == 200
    made_by = "select count(*) from tokens where kind = 'invitation' and created_by = ?"
    assert sql(app, made_by, [other_id]) == [(0,)]  # gone from the list of open invitations
    assert sql(app, made_by, [user_id(app, "boss@example.com")]) == [(1,)]
    assert AuthActions(app.test_client()).login(email="doc@example.com").status_code == 302


@pytest.mark.parametrize("made", ["reset link", "invitation"])
def test_a_link_asked_for_as_its_admin_is_deactivated_is_never_made(app, clinic, monkeypatch, made):
    """Deactivating an admin retires the links they handed out, perhaps made by whoever had the
    account; one they asked for as another admin deactivated them (the reset link's form checks
    their password first, long enough to land in) was made after, kept working and was shown
    to them. Now nothing is made, nothing recorded, and they are sent to log in."""
    import threading

    from journal import admin

    _, clients = clinic
    other = make_admin(app, "other@example.com")
    other_id = user_id(app, "other@example.com")
    doc_id = user_id(app, "doc@example.com")
    original = admin.write_transaction
    deactivated = []

    def deactivated_by_the_other_admin_first():
        if not deactivated:
            deactivated.append(True)
            boss = threading.Thread(
                target=clients["admin"].post, args=[f"/admin/users/{other_id}/deactivate"]
            )
            boss.start()
            boss.join()
        return original()

    monkeypatch.setattr(admin, "write_transaction", deactivated_by_the_other_admin_first)
    if made == "reset link":
        response = other.post(
            f"/admin/users/{doc_id}/reset-link", data={"password": ADMIN_PASSWORD}
        )
    else:
        response = other.post("/admin/invitations", data={"role": "therapist"})
    assert deactivated
    assert sql(app, "select deactivated_at from users where id = ?", [other_id])[0][0]
    assert response.status_code == 302
    assert response.location.startswith("/auth/login")
    assert "/auth/reset/" not in response.text and "/auth/invite/" not in response.text
    assert sql(app, "select count(*) from tokens where created_by = ?", [other_id]) == [(0,)]
    assert not sql(app, "select 1 from audit where actor_id = ?", [other_id])
    assert other.get("/admin").status_code == 302


def test_the_only_admin_cannot_delete_their_account(app, clinic):
    """Deleting it left the clinic with no one to invite, reset or deactivate (deactivating
    oneself was already refused); with another active admin it can go."""
    _, clients = clinic
    boss = clients["admin"]
    assert "You are the only admin" in boss.get("/settings/delete").text
    response = boss.post("/settings/delete", data={"password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert "You are the only admin" in response.text
    assert sql(app, "select count(*) from users where role = 'admin'") == [(1,)]
    other = make_admin(app, "other@example.com")
    assert clients["admin"].post(
        f"/admin/users/{user_id(app, 'other@example.com')}/deactivate"
    ).status_code == 302  # fmt: skip
    assert boss.post("/settings/delete", data={"password": ADMIN_PASSWORD}).status_code == 400
    assert other.get("/admin").status_code == 302  # deactivated: signed out
    assert (
        boss.post(f"/admin/users/{user_id(app, 'other@example.com')}/reactivate").status_code == 302
    )
    assert "You are the only admin" not in boss.get("/settings/delete").text
    assert boss.post("/settings/delete", data={"password": ADMIN_PASSWORD}).status_code == 200
    assert sql(app, "select email from users where role = 'admin'") == [("other@example.com",)]


def test_two_admins_deleting_their_accounts_at_once_leave_one(app, clinic, monkeypatch):
    """Each page checked for another active admin before the password was checked and the
    account erased: two admins deleting at the same moment each saw the other, and both
    went, leaving the clinic with none. Here the other admin's deletion lands while this
    one's password is checked."""
    from journal.settings import account as account_views

    _, clients = clinic
    boss = clients["admin"]
    make_admin(app, "other@example.com")
    checked = account_views.DeleteForm.validate_on_submit

    def other_goes_meanwhile(form):
        # The other admin's own deletion commits meanwhile, on its own connection.
        with sqlite3.connect(app.config["DATABASE"]) as db:
            db.execute("pragma foreign_keys = on")
            db.execute("delete from users where email = 'other@example.com'")
        return checked(form)

    monkeypatch.setattr(account_views.DeleteForm, "validate_on_submit", other_goes_meanwhile)
    response = boss.post("/settings/delete", data={"password": ADMIN_PASSWORD})
    assert response.status_code == 400
    assert "You are the only admin" in response.text
    assert sql(app, "select email from users where role = 'admin'") == [("boss@example.com",)]
    assert boss.get("/admin").status_code == 200  # still signed in


def test_two_admins_deactivating_each_other_at_once_leave_one(app, clinic, monkeypatch):
    """Each was active as their request began: both were deactivated, and no one could sign
    in to /admin. Here the other admin's deactivation of this one lands during the request."""
    from journal import admin

    _, clients = clinic
    boss = clients["admin"]
    make_admin(app, "other@example.com")
    other_id = user_id(app, "other@example.com")
    checked = admin.button_form_or_400

    def deactivated_meanwhile():
        checked()
        with sqlite3.connect(app.config["DATABASE"]) as db:
            db.execute(
                "update users set deactivated_at = ? where email = 'boss@example.com'",
                [clock.utcnow_iso()],
            )

    monkeypatch.setattr(admin, "button_form_or_400", deactivated_meanwhile)
    response = boss.post(f"/admin/users/{other_id}/deactivate")
    assert response.status_code == 400
    assert "the only active admin left" in response.text
    active = "select email from users where role = 'admin' and deactivated_at is null"
    assert sql(app, active) == [("other@example.com",)]
    assert sql(app, "select count(*) from audit where action = 'deactivate'") == [(0,)]


@pytest.mark.parametrize(
    ("action", "sent"), [("deactivate", {}), ("reset-link", {"password": ADMIN_PASSWORD})]
)
def test_an_action_on_an_account_its_owner_deletes_meanwhile_changes_nothing(
    app, clinic, monkeypatch, action, sent
):
    """The patient deletes their account while the admin's page of it is open: deactivating
    it said "deactivated" and wrote it to the audit log, for no account; a reset link failed
    its foreign key (500). Now the admin is told the account was deleted, and nothing is
    written."""
    from journal import admin

    _, clients = clinic
    pat_id = user_id(app, "pat@example.com")
    deleted_first(monkeypatch, admin, "write_transaction", clients["patient"])
    response = clients["admin"].post(f"/admin/users/{pat_id}/{action}", data=sent)
    assert response.status_code == 404
    assert admin.DELETED_MEANWHILE in html.unescape(response.text)
    assert '<a href="/admin">Back to Accounts</a>' in response.text
    assert sql(app, "select count(*) from users where id = ?", [pat_id]) == [(0,)]
    assert sql(app, "select count(*) from audit where actor_role = 'admin'") == [(0,)]
    assert sql(app, "select count(*) from tokens where kind = 'reset'") == [(0,)]


def test_reactivating_an_account_its_owner_deletes_meanwhile_changes_nothing(
    app, clinic, monkeypatch
):
    """The admin taps Reactivate on a deactivated account's page; meanwhile another admin
    turns it on and its owner signs in and deletes it. Reactivate said "can sign in again"
    and wrote "reactivate" to the audit log, for no account (Deactivate checks inside its
    transaction): now it answers as Deactivate does, and writes nothing."""
    import threading

    from journal import admin

    _, clients = clinic
    pat_id = user_id(app, "pat@example.com")
    assert clients["admin"].post(f"/admin/users/{pat_id}/deactivate").status_code == 302
    read = admin.is_active

    def turned_on_elsewhere_and_signed_in():
        sql(app, "update users set deactivated_at = null where id = ?", [pat_id])
        AuthActions(clients["patient"]).login(email="pat@example.com")

    def read_then_changed_elsewhere(row):
        monkeypatch.setattr(admin, "is_active", read)
        elsewhere = threading.Thread(target=turned_on_elsewhere_and_signed_in)
        elsewhere.start()
        elsewhere.join()
        return read(row)  # as this request read it: deactivated

    monkeypatch.setattr(admin, "is_active", read_then_changed_elsewhere)
    deleted_first(monkeypatch, admin, "write_transaction", clients["patient"])
    response = clients["admin"].post(f"/admin/users/{pat_id}/reactivate")
    assert response.status_code == 404
    assert admin.DELETED_MEANWHILE in html.unescape(response.text)
    assert sql(app, "select count(*) from users where id = ?", [pat_id]) == [(0,)]
    assert sql(app, "select count(*) from audit where action = 'reactivate'") == [(0,)]


def test_the_page_of_an_account_deleted_meanwhile_links_back_to_accounts(app, clinic):
    # It said "There is nothing at this address" with "Go to the start page".
    _, clients = clinic
    pat_id = user_id(app, "pat@example.com")
    assert clients["admin"].get(f"/admin/users/{pat_id}").status_code == 200
    clients["patient"].post("/settings/delete", data={"password": PASSWORD})
    response = clients["admin"].get(f"/admin/users/{pat_id}")
    assert response.status_code == 404
    assert "There is no account at this address: its owner may have deleted it." in (response.text)
    assert '<a href="/admin">Back to Accounts</a>' in response.text
    assert "Go to the start page" not in response.text


def test_reloading_the_page_of_a_reset_link_makes_no_second_one(app, clinic):
    # Reloading the result sent the form again: a second link, killing the first, silently.
    _, clients = clinic
    doc_id = user_id(app, "doc@example.com")
    sent = {"password": ADMIN_PASSWORD, "request_key": "reload-key-0123456789"}
    first = clients["admin"].post(f"/admin/users/{doc_id}/reset-link", data=sent)
    link = re.search(r'id="one-time-link" type="url" value="http://localhost(/[^"]+)"', first.text)
    again = clients["admin"].post(f"/admin/users/{doc_id}/reset-link", data=sent)
    assert again.status_code == 200
    assert 'id="one-time-link"' not in again.text and link.group(1) not in again.text
    assert "This form was sent before" in again.text and "No second one was made" in again.text
    assert sql(app, "select count(*) from tokens where kind = 'reset'") == [(1,)]
    assert sql(app, "select count(*) from audit where action = 'reset-link'") == [(1,)]
    assert app.test_client().get(link.group(1)).status_code == 200  # the first still works


def test_admin_actions_are_in_the_audit_log(clinic):
    app, clients = clinic
    boss = clients["admin"]
    boss_id, doc_id = user_id(app, "boss@example.com"), user_id(app, "doc@example.com")
    boss.post(f"/admin/users/{doc_id}/deactivate")
    boss.post(f"/admin/users/{doc_id}/reactivate")
    boss.post(f"/admin/users/{doc_id}/reset-link", data={"password": ADMIN_PASSWORD})
    boss.post("/admin/invitations", data={"role": "therapist"})
    rows = sql(app, "select actor_id, actor_role, action, subject_id from audit order by id")
    admin_rows = [row for row in rows if row[1] == "admin"]
    assert admin_rows == [
        (boss_id, "admin", "deactivate", doc_id),
        (boss_id, "admin", "reactivate", doc_id),
        (boss_id, "admin", "reset-link", doc_id),
        (boss_id, "admin", "invitation", None),
    ]


def test_every_admin_post_needs_its_csrf_token(clinic):
    app, clients = clinic
    app.config["WTF_CSRF_ENABLED"] = True
    boss = clients["admin"]
    pat_id = user_id(app, "pat@example.com")
    before = sql(app, "select * from users") + sql(app, "select * from tokens")
    for path in [p.replace("/1/", f"/{pat_id}/") for p in ADMIN_POSTS]:
        for token in (None, "forged"):
            data = {"role": "therapist"} | ({"csrf_token": token} if token else {})
            assert boss.post(path, data=data).status_code == 400, path
    assert sql(app, "select * from users") + sql(app, "select * from tokens") == before
    # With the page's own token, it works.
    token = csrf_token(boss.get(f"/admin/users/{pat_id}"))
    response = boss.post(f"/admin/users/{pat_id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 302


# The migration


def test_the_migration_keeps_every_account_and_never_gives_an_id_twice(tmp_path):
    """m026 rebuilds `users` for the admin role: rows, the trigger of m025 and the high-water
    mark of the ids all survive, and the old therapists keep working."""
    from journal.data import connect
    from journal.migrations import migrate

    path = tmp_path / "old.sqlite3"
    db = connect(str(path))
    db.conn.execute("PRAGMA foreign_keys = OFF")  # as `migrate` applies them
    migrations.apply(db, stop_before="m026_admins_and_tokens")
    db.conn.execute("PRAGMA foreign_keys = ON")
    for n, role in enumerate(("patient", "therapist", "patient"), start=1):
        db["users"].insert({"email": f"u{n}@example.com", "password_hash": "x", "role": role,
                            "created_at": "2026-01-01T00:00:00+00:00"})  # fmt: skip
    db.execute("delete from users where id = 3")  # the newest account was deleted
    migrate(db)
    assert db.execute("select id, role from users").fetchall() == [(1, "patient"), (2, "therapist")]
    db["users"].insert({"email": "new@example.com", "password_hash": "x", "role": "admin",
                        "created_at": "2026-01-01T00:00:00+00:00"})  # fmt: skip
    assert db.execute("select id from users where email = 'new@example.com'").fetchone() == (4,)
    # m025's trigger came back with the table: the new account has its change counts.
    assert db.execute("select count(*) from change_counts where user_id = 4").fetchone() == (1,)
    with pytest.raises(sqlite3.IntegrityError):
        db["users"].insert({"email": "x@example.com", "password_hash": "x", "role": "root",
                            "created_at": "2026-01-01T00:00:00+00:00"})  # fmt: skip
    db.close()
    app = make_app(tmp_path, DATABASE=str(path))
    client = app.test_client()
    response = AuthActions(client).login(email="u2@example.com", password="x")
    assert response.status_code == 400  # the hash "x" matches nothing: the form still answers
    with app.app_context():
        from journal.passwords import hash_password

        get_db().execute(
            "update users set password_hash = ? where id = 2", [hash_password(PASSWORD)]
        )
    assert AuthActions(client).login(email="u2@example.com").location == "/caseload"


@pytest.mark.parametrize("command", [["create-admin", "--link", "boss@example.com"],
                                     ["reset-link", "pat@example.com"]])  # fmt: skip
def test_the_commands_on_a_database_not_set_up_say_to_run_init_db(tmp_path, command):
    # On a new file, or one an older version made, they ended in a traceback ("no such table:
    # tokens", a role the old schema refused).
    app = make_app(tmp_path)
    sqlite3.connect(tmp_path / "new.sqlite3").close()  # an empty file, as SQLite makes one
    app.config["DATABASE"] = str(tmp_path / "new.sqlite3")
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1
    assert "run `flask --app journal init-db` first" in result.output
    assert "Traceback" not in result.output
