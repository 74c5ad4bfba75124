"""Therapists are invited, not self-declared (issue 9): /auth/register makes patients only by
default, an admin's invitation (`/admin/invitations`, `/auth/invite/<token>`) makes a
therapist (single use, 7 days, only its hash stored), and the JOURNAL_OPEN_THERAPIST_SIGNUP
and JOURNAL_OPEN_SIGNUP settings."""

import hashlib
import re
import sqlite3
from datetime import timedelta

import pytest
from conftest import PASSWORD, AuthActions, csrf_token, make_app
from factories import NOW, invitation, make_admin, person, reset_link, sql

from journal import FLAGS, clock, create_app, onetime
from journal.auth import THERAPIST_BY_INVITATION
from journal.db import get_db

SIGN_UP = {"email": "doc@example.com", "password": PASSWORD, "timezone": "UTC"}


def everything(app):
    return [sql(app, f"select * from [{t}]") for t in ("users", "tokens", "signins", "activity")]  # noqa: S608


def made_link(response):
    """The one-time link an admin's page shows, as a path."""
    found = re.search(
        r'id="one-time-link" type="url" value="http://localhost(/[^"]+)"', response.text
    )
    assert found, response.text
    return found.group(1)


# /auth/register by default: patients only


def test_the_register_form_offers_no_role_by_default(client):
    page = client.get("/auth/register").text
    assert "a therapist" not in page and 'name="role"' not in page


def test_a_posted_therapist_role_is_refused_with_a_message_and_nothing_stored(app, client):
    before = everything(app)
    response = client.post(
        "/auth/register", data={**SIGN_UP, "role": "therapist", "display_name": "Dr Ana 🌿"}
    )
    assert response.status_code == 400
    assert THERAPIST_BY_INVITATION in response.text
    assert 'value="doc@example.com"' in response.text and "Dr Ana 🌿" in response.text
    assert everything(app) == before


@pytest.mark.parametrize("role", ["admin", "root", "", "patient\u0000"])
def test_any_other_role_is_refused(app, client, role):
    before = everything(app)
    response = client.post("/auth/register", data={**SIGN_UP, "role": role})
    assert response.status_code == 400
    assert THERAPIST_BY_INVITATION in response.text
    assert everything(app) == before


def test_a_patient_still_registers_openly(app, client):
    assert client.post("/auth/register", data={**SIGN_UP, "role": "patient"}).location == "/checkin"
    assert sql(app, "select role from users") == [("patient",)]


def test_open_therapist_signup_restores_the_role_choice(app, client):
    app.config["OPEN_THERAPIST_SIGNUP"] = True
    assert "a therapist" in client.get("/auth/register").text
    response = client.post("/auth/register", data={**SIGN_UP, "role": "therapist"})
    assert response.location == "/caseload"
    assert sql(app, "select role from users") == [("therapist",)]
    assert client.post("/auth/logout").status_code == 302
    other = app.test_client().post(
        "/auth/register", data={**SIGN_UP, "email": "x@example.com", "role": "admin"}
    )
    assert other.status_code == 400  # never an admin, open or not


@pytest.mark.parametrize("role", ["admin", "", "Therapist"])
def test_a_role_not_offered_is_refused_at_its_field_when_both_are(app, client, role):
    """With both roles open, a body asking for another role (an admin, none) comes back with
    the reason at the role choice and the name kept, not a bare 400."""
    app.config["OPEN_THERAPIST_SIGNUP"] = True
    before = everything(app)
    response = client.post("/auth/register", data={**SIGN_UP, "display_name": "Ana", "role": role})
    assert response.status_code == 400
    assert 'id="role-error">Choose whether you are a patient or a therapist.' in response.text
    assert 'value="Ana"' in response.text
    assert everything(app) == before


def test_the_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNAL_DATABASE", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("JOURNAL_SECRET_KEY", "env")
    monkeypatch.setenv("JOURNAL_OPEN_THERAPIST_SIGNUP", "true")
    monkeypatch.setenv("JOURNAL_OPEN_SIGNUP", "false")
    monkeypatch.setenv("JOURNAL_CLINIC_NAME", "Riverside Clinic")
    app = create_app()
    assert app.config["OPEN_THERAPIST_SIGNUP"] is True
    assert app.config["OPEN_SIGNUP"] is False
    assert app.config["CLINIC_NAME"] == "Riverside Clinic"
    (tmp_path / "default").mkdir()
    default = make_app(tmp_path / "default")
    assert (default.config["OPEN_SIGNUP"], default.config["OPEN_THERAPIST_SIGNUP"]) == (True, False)


@pytest.mark.parametrize(
    ("written", "meant"),
    [("False", False), ("no", False), ("OFF", False), (" 0 ", False),
     ("True", True), ("yes", True), ("On", True), ("1", True)],
)  # fmt: skip
def test_true_false_settings_read_as_an_operator_means_them(tmp_path, monkeypatch, written, meant):
    # JOURNAL_OPEN_THERAPIST_SIGNUP=no once opened therapist sign-up: any text counted as true.
    # Every true/false setting the app reads (journal.FLAGS) is tried.
    assert set(FLAGS) >= {
        "OPEN_SIGNUP", "OPEN_THERAPIST_SIGNUP", "REQUIRE_2FA_FOR_STAFF", "HTTPS", "MAIL_STARTTLS"
    }  # fmt: skip
    monkeypatch.setenv("JOURNAL_DATABASE", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("JOURNAL_SECRET_KEY", "env")
    for name in FLAGS:
        monkeypatch.setenv(f"JOURNAL_{name}", written)
    app = create_app()
    assert {name: app.config[name] for name in FLAGS} == dict.fromkeys(FLAGS, meant)
    if not meant:
        app.config["WTF_CSRF_ENABLED"] = False
        response = app.test_client().post("/auth/register", data={**SIGN_UP, "role": "therapist"})
        assert response.status_code == 400
        assert sql(app, "select count(*) from users") == [(0,)]


@pytest.mark.parametrize("written", ["maybe", "2", "ture", "[]", "", " "])
def test_a_true_false_setting_that_is_neither_stops_the_start(tmp_path, monkeypatch, written):
    monkeypatch.setenv("JOURNAL_DATABASE", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("JOURNAL_SECRET_KEY", "env")
    monkeypatch.setenv("JOURNAL_OPEN_THERAPIST_SIGNUP", written)
    with pytest.raises(ValueError, match="JOURNAL_OPEN_THERAPIST_SIGNUP must be true or false"):
        create_app()


def test_an_existing_therapist_keeps_working(app, client):
    app.config["OPEN_THERAPIST_SIGNUP"] = True  # how therapists joined before the upgrade
    assert client.post("/auth/register", data={**SIGN_UP, "role": "therapist"}).status_code == 302
    app.config["OPEN_THERAPIST_SIGNUP"] = False
    client.post("/auth/logout")
    assert AuthActions(client).login(email="doc@example.com").location == "/caseload"
    assert client.get("/caseload").status_code == 200


# Invitations


def test_an_admin_invites_a_therapist_who_registers_once(app):
    boss = make_admin(app)
    page = boss.get("/admin/invitations")
    assert page.status_code == 200 and "None: every invitation" in page.text
    response = boss.post("/admin/invitations", data={"email": "", "role": "therapist"})
    assert response.status_code == 200
    assert "Shown only now" in response.text and "within 7 days" in response.text
    path = made_link(response)
    token = path.rsplit("/", 1)[1]
    # Only the hash is stored.
    ((stored, kind, role, expires),) = sql(app, "select hash, kind, role, expires_at from tokens")
    assert (kind, role) == ("invitation", "therapist")
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in str(
        everything(app)
    )
    assert expires == (NOW + timedelta(days=7)).isoformat(timespec="seconds")
    # The admin's list shows it open, and never the link again.
    listed = boss.get("/admin/invitations").text
    assert "Therapist · until" in listed and token not in listed

    doc = app.test_client()
    form = doc.get(path)
    assert form.status_code == 200
    assert "Create your therapist account" in form.text and 'name="role"' not in form.text
    response = doc.post(path, data={**SIGN_UP, "role": "patient"})  # the role is the invitation's
    assert response.location == "/caseload"
    assert sql(app, "select role from users where email = 'doc@example.com'") == [("therapist",)]
    assert sql(app, "select used_at from tokens") == [(clock.utcnow_iso(),)]
    assert "None: every invitation" in boss.get("/admin/invitations").text

    # Used: a clear page, nothing changes, for anyone.
    before = everything(app)
    again = app.test_client()
    for answer in (again.get(path), again.post(path, data={**SIGN_UP, "email": "b@example.com"})):
        assert answer.status_code == 410
        assert "This link has been used" in answer.text
    assert everything(app) == before


def test_an_invitation_opened_while_signed_in_says_to_log_out_first(app):
    """The admin trying the link they just made, or a shared computer: the invitation led
    to the signed-in person's start page without a word, and a form sent from it was
    dropped there."""
    boss = make_admin(app)
    path = made_link(boss.post("/admin/invitations", data={"email": "", "role": "therapist"}))
    pat = person(app, "pat@example.com")
    before = everything(app)
    for client in (boss, pat):
        for response in (client.get(path), client.post(path, data=SIGN_UP)):
            assert response.status_code == 404
            assert "Log out first, then open the link again" in response.text
    assert everything(app) == before
    pat.post("/auth/logout")
    assert pat.get(path).status_code == 200  # still unspent
    assert pat.post(path, data=SIGN_UP).location == "/caseload"


def test_a_used_invitation_opened_again_while_signed_in_never_says_to_log_in(app):
    """The therapist, signed in with the account their invitation made, opening the invitation
    again (from the mail, to reach the app) was told "If you made yours with it, log in":
    they are. It says so and leads to their start page; nothing changes."""
    path = invitation(app)
    doc = app.test_client()
    assert doc.post(path, data=SIGN_UP).location == "/caseload"
    before = everything(app)
    for response in (doc.get(path), doc.post(path, data=SIGN_UP)):
        assert response.status_code == 410
        assert "This link has been used" in response.text
        assert "log in" not in response.text.split("<main", 1)[1].split("</main>", 1)[0]
        assert "You are signed in" in response.text
    assert everything(app) == before


def test_an_invitation_form_sent_after_the_link_was_used_says_what_to_do_next(app):
    """The form open in a second tab, sent after the first made the account (and logged
    out, or from another browser): the 410 page, which has no form, lost what was typed
    without a word and named "log in" with no way there. It says nothing was saved and
    leads to the log-in page; opening the link (no form sent) says no more than it did."""
    path = invitation(app)
    first = app.test_client()
    assert first.post(path, data=SIGN_UP).location == "/caseload"
    before = everything(app)
    second = app.test_client()
    sent = second.post(path, data={**SIGN_UP, "display_name": "Dr Second Tab"})
    main = sent.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert sent.status_code == 410
    assert "This link has been used" in main and "Nothing was saved." in main
    assert "If you made yours with it, log in" in main
    assert '<a href="/auth/login">Log in</a>' in main
    assert everything(app) == before
    opened = second.get(path).text.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Nothing was saved." not in opened
    assert '<a href="/auth/login">Log in</a>' in opened


@pytest.mark.parametrize("ended", ["inviter deactivated", "withdrawn", "expired"])
def test_an_invitation_form_sent_after_the_link_stopped_working_says_nothing_was_saved(app, ended):
    """The form filled in while the admin who made the link was turned off (or withdrew it, or
    it ran out): its page, which has no form, lost what was typed and did not say so, as the
    page of a used link does."""
    boss = make_admin(app)
    other = make_admin(app, "other@example.com")
    made = other.post("/admin/invitations", data={"role": "therapist"}).text
    path = re.search(r"/auth/invite/[\w-]{43}", made)[0]
    client = app.test_client()
    assert client.get(path).status_code == 200  # the form is open, being filled in
    if ended == "inviter deactivated":
        other_id = sql(app, "select id from users where email = 'other@example.com'")[0][0]
        assert boss.post(f"/admin/users/{other_id}/deactivate").status_code == 302
    elif ended == "withdrawn":
        (token_id,) = sql(app, "select id from tokens where kind = 'invitation'")[0]
        assert boss.post(f"/admin/invitations/{token_id}/withdraw").status_code == 302
    else:
        clock.set(NOW + timedelta(days=8))
    before = everything(app)
    sent = client.post(path, data=SIGN_UP)
    main = sent.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert sent.status_code in (404, 410)
    assert "Nothing was saved." in main and "Ask your clinic for a new one" in main
    assert everything(app) == before
    opened = client.get(path).text.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Nothing was saved." not in opened


def test_an_invitation_expires_after_seven_days(app):
    path = invitation(app)
    client = app.test_client()
    clock.set(NOW + timedelta(days=7) - timedelta(seconds=1))
    assert client.get(path).status_code == 200
    clock.set(NOW + timedelta(days=7))
    before = everything(app)
    response = client.post(path, data=SIGN_UP)
    assert response.status_code == 410 and "This link has expired" in response.text
    assert everything(app) == before


def test_an_admin_withdraws_an_invitation_and_its_link_stops_working(app):
    """An invitation sent to the wrong address stayed usable for seven days by whoever held it:
    nothing but deactivating the admin who made it stopped it."""
    boss = make_admin(app)
    made = boss.post("/admin/invitations", data={"email": "wrong@example.com", "role": "therapist"})
    path = made_link(made)
    ((token_id,),) = sql(app, "select id from tokens where kind = 'invitation'")
    listed = boss.get("/admin/invitations").text
    assert f'action="/admin/invitations/{token_id}/withdraw"' in listed
    assert 'Withdraw<span class="visually-hidden"> the invitation for wrong@example.com' in listed

    response = boss.post(f"/admin/invitations/{token_id}/withdraw")
    assert response.location == "/admin/invitations"
    listed = boss.get("/admin/invitations").text
    assert "The invitation for wrong@example.com is withdrawn: its link no longer works." in listed
    assert "None: every invitation" in listed
    doc = app.test_client()
    assert doc.get(path).status_code == 404
    assert doc.post(path, data={**SIGN_UP, "email": "wrong@example.com"}).status_code == 404
    assert sql(app, "select count(*) from users where email = 'wrong@example.com'") == [(0,)]
    # A second tap, or another admin's: said so, nothing else changes.
    before = everything(app)
    again = boss.post(f"/admin/invitations/{token_id}/withdraw")
    assert "That invitation was no longer open" in boss.get(again.location).text
    assert everything(app) == before
    actions = sql(app, "select action from audit where action like 'invitation%' order by id")
    assert actions == [("invitation",), ("invitation-withdrawn",)]


def test_withdraw_on_an_invitation_no_longer_open_says_which_way_it_closed(app):
    """A double tap on Withdraw (or a second admin's) was answered "it had been used, withdrawn
    or had expired": an admin who had just withdrawn it was left wondering whether someone had
    used the link. The answer names what happened to it."""
    app.config["IDLE_MINUTES"] = 0  # the admin's sign-in lasts while the clock moves on
    boss = make_admin(app)
    links = {
        address: made_link(
            boss.post("/admin/invitations", data={"email": address, "role": "therapist"})
        )
        for address in ("wrong@example.com", "doc@example.com", "late@example.com")
    }
    ids = dict(sql(app, "select email, id from tokens where kind = 'invitation'"))
    boss.post(f"/admin/invitations/{ids['wrong@example.com']}/withdraw")
    assert app.test_client().post(links["doc@example.com"], data=SIGN_UP).location == "/caseload"
    clock.set(NOW + timedelta(days=8))  # the third has run out
    answers = {}
    for address, token_id in ids.items():
        again = boss.post(f"/admin/invitations/{token_id}/withdraw")
        answers[address] = boss.get(again.location).text
    assert "no longer open: it was withdrawn already" in answers["wrong@example.com"]
    assert "no longer open: it was used" in answers["doc@example.com"]
    assert "no longer open: it had expired" in answers["late@example.com"]
    for answer in answers.values():
        assert "That invitation was no longer open" in answer
        assert "used, withdrawn or had expired" not in answer


def test_the_empty_list_after_a_withdrawal_says_withdrawn(app):
    """With the one open invitation withdrawn, the list said every invitation "has been used
    or has expired": neither was so. It now names withdrawal too."""
    boss = make_admin(app)
    boss.post("/admin/invitations", data={"email": "wrong@example.com", "role": "therapist"})
    ((token_id,),) = sql(app, "select id from tokens where kind = 'invitation'")
    boss.post(f"/admin/invitations/{token_id}/withdraw")
    listed = boss.get("/admin/invitations").text
    assert "None: every invitation has been used, has expired or was withdrawn." in listed


def test_only_an_admin_withdraws_and_a_used_invitation_stays_used(app):
    path = invitation(app)
    ((token_id,),) = sql(app, "select id from tokens where kind = 'invitation'")
    for who in (person(app, "pat@example.com"), person(app, "doc@example.com", role="therapist")):
        assert who.post(f"/admin/invitations/{token_id}/withdraw").status_code == 404
    assert sql(app, "select used_at from tokens where id = ?", [token_id]) == [(None,)]
    doc = app.test_client()
    assert doc.post(path, data={**SIGN_UP, "email": "new@example.com"}).location == "/caseload"
    boss = make_admin(app)
    before = sql(app, "select used_at from tokens where id = ?", [token_id])
    assert before != [(None,)]
    boss.post(f"/admin/invitations/{token_id}/withdraw")
    assert sql(app, "select used_at from tokens where id = ?", [token_id]) == before


@pytest.mark.parametrize(
    "token",
    ["x" * 43, "", "a" * 5000, "%C3%A9t%C3%A9", "..%2F..%2Fadmin", "\u202egnp"],
)
def test_a_forged_invitation_is_404_and_changes_nothing(app, client, token):
    invitation(app)
    before = everything(app)
    for response in (
        client.get(f"/auth/invite/{token}"),
        client.post(f"/auth/invite/{token}", data=SIGN_UP),
    ):
        assert response.status_code == 404
    assert everything(app) == before


def test_a_reset_link_is_no_invitation(app, client):
    pat = person(app, "pat@example.com")
    pat.post("/auth/logout")
    token = reset_link(app, 1).rsplit("/", 1)[1]
    before = everything(app)
    assert client.post(f"/auth/invite/{token}", data=SIGN_UP).status_code == 404
    assert everything(app) == before


def test_an_invitation_cannot_make_an_admin(app):
    boss = make_admin(app)
    before = everything(app)
    for role in ("admin", "root", "", "therapist\u0000", "Therapist"):
        response = boss.post("/admin/invitations", data={"email": "x@example.com", "role": role})
        assert response.status_code == 400, role
        assert 'id="role-error"' in response.text and "never an admin" in response.text
        assert 'value="x@example.com"' in response.text
    assert everything(app) == before
    with app.app_context():
        with pytest.raises(ValueError):
            onetime.make_invitation(get_db(), "admin")
        with pytest.raises(sqlite3.IntegrityError):  # the schema refuses it too
            get_db()["tokens"].insert({"kind": "invitation", "hash": "h", "role": "admin",
                                       "created_at": "t", "expires_at": "t"})  # fmt: skip
    # Nor is a patient invitation made while patients register openly.
    assert boss.post("/admin/invitations", data={"role": "patient"}).status_code == 400


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-email", "Enter an email address like name@example.com"),
        ("a" * 300 + "@example.com", "at most 254 characters"),
        ("doc\u0000@example.com", ""),
    ],
)
def test_a_bad_invitation_email_is_400_at_the_field(app, email, message):
    boss = make_admin(app)
    before = everything(app)
    response = boss.post("/admin/invitations", data={"email": email, "role": "therapist"})
    assert response.status_code == 400
    assert 'id="email-error"' in response.text and message in response.text
    assert everything(app) == before


def test_an_invitation_for_an_address_takes_only_that_address(app):
    boss = make_admin(app)
    path = made_link(
        boss.post("/admin/invitations", data={"email": "Doc@Example.com", "role": "therapist"})
    )
    client = app.test_client()
    assert 'value="Doc@Example.com"' in client.get(path).text
    before = everything(app)
    response = client.post(path, data={**SIGN_UP, "email": "someone@example.com"})
    assert response.status_code == 400
    assert "This invitation is for Doc@Example.com." in response.text
    assert 'value="someone@example.com"' in response.text
    assert everything(app) == before
    assert client.post(path, data={**SIGN_UP, "email": "doc@EXAMPLE.com"}).location == "/caseload"


def test_an_invitation_takes_its_address_in_any_case_and_form_and_leaves_with_the_account(app):
    # Invited as "Émile@..." (composed), registered as "e" and an accent in lower case: one
    # address. Deleting the account deletes the invitation too, whatever its case: SQLite's
    # lower() folds A-Z only, so the one to "Émile@..." had stayed behind with the address.
    boss = make_admin(app)
    path = made_link(
        boss.post("/admin/invitations", data={"email": "Émile@example.com", "role": "therapist"})
    )
    client = app.test_client()
    assert client.post(path, data={**SIGN_UP, "email": "e\u0301mile@example.com"}).location == (
        "/caseload"
    )
    assert sql(app, "select email from users where role = 'therapist'") == [("émile@example.com",)]
    assert client.post("/settings/delete", data={"password": PASSWORD}).status_code == 200
    assert sql(app, "select count(*) from users where role = 'therapist'") == [(0,)]
    assert sql(app, "select email from tokens where kind = 'invitation'") == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"password": "short"}, "password", "Use 10 to 256 characters."),
        ({"password": "x" * 257}, "password", "Use 10 to 256 characters."),
        ({"email": "é" * 300 + "@example.com"}, "email", "at most 254 characters"),
        ({"display_name": "Dr " + "🌿" * 100}, "display_name", "Keep it to 80 characters."),
        ({"timezone": "Mars/Olympus"}, "timezone", ""),
    ],
)
def test_a_bad_invitation_form_is_400_keeps_the_words_and_spends_nothing(app, data, field, message):
    path = invitation(app)
    client = app.test_client()
    before = everything(app)
    response = client.post(path, data={**SIGN_UP, "display_name": "Dr Ana", **data})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    if field != "display_name":
        assert "Dr Ana" in response.text
    assert everything(app) == before
    assert client.post(path, data=SIGN_UP).location == "/caseload"  # still good once


def test_an_email_already_taken_spends_no_invitation(app):
    person(app, "doc@example.com")
    path = invitation(app)
    client = app.test_client()
    response = client.post(path, data=SIGN_UP)
    assert response.status_code == 400 and "already exists" in response.text
    assert sql(app, "select used_at from tokens") == [(None,)]


def test_the_invitation_form_needs_its_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    path = invitation(app)
    client = app.test_client()
    before = everything(app)
    assert client.post(path, data=SIGN_UP).status_code == 400
    assert client.post(path, data={**SIGN_UP, "csrf_token": "forged"}).status_code == 400
    assert everything(app) == before
    token = csrf_token(client.get(path))
    assert client.post(path, data={**SIGN_UP, "csrf_token": token}).location == "/caseload"


# JOURNAL_OPEN_SIGNUP=false: patients by invitation too


def test_closed_signup_takes_invitations_only(app, client):
    app.config["OPEN_SIGNUP"] = False
    app.config["CLINIC_NAME"] = "Riverside Clinic"
    page = client.get("/auth/register")
    assert page.status_code == 200
    assert "Accounts are by invitation" in page.text and "ask Riverside Clinic" in page.text
    assert 'name="password"' not in page.text and "Nothing was saved" not in page.text
    assert "Create an account" not in client.get("/auth/login").text
    before = everything(app)
    refused = client.post("/auth/register", data={**SIGN_UP, "role": "patient"})
    assert refused.status_code == 400 and "Nothing was saved." in refused.text
    assert everything(app) == before

    boss = make_admin(app)
    assert "Patient" in boss.get("/admin/invitations").text
    path = made_link(boss.post("/admin/invitations", data={"role": "patient"}))
    response = client.post(path, data={**SIGN_UP, "email": "pat@example.com"})
    assert response.location == "/checkin"
    assert sql(app, "select role from users where email = 'pat@example.com'") == [("patient",)]


def test_an_invitation_or_reset_page_is_never_cached(app, client):
    """Anonymous pages had no Cache-Control: an invitation's page, showing the address it was
    made for ("newdoc@example.org", a patient of this clinic), and a reset link's, whose
    address is itself the secret, stayed in the browser's cache (and could in a proxy's) as
    share links' pages never do. Errors too: a used or unknown link."""
    person(app, "pat@example.com")
    with app.app_context():
        user_id = get_db().execute("select id from users").fetchone()[0]
    paths = [
        invitation(app, "patient", "newpat@example.com"),
        reset_link(app, user_id),
        "/auth/invite/" + "x" * 43,
        "/auth/reset/" + "x" * 43,
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 404)
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["X-Robots-Tag"] == "noindex", path
        assert response.headers["Referrer-Policy"] == "same-origin", path  # its form needs it


@pytest.mark.parametrize(
    ("email", "words"), [("Pat@Example.com", "a patient"), ("boss@example.com", "an admin")]
)
def test_an_invitation_for_an_address_that_has_an_account_is_refused_at_the_field(
    app, email, words
):
    # A therapist who first signed up as a patient: the invitation to their address was made,
    # and its link could never be used (the page said "Log in instead?", into the patient's
    # journal), with nothing telling the admin why.
    person(app, "pat@example.com")
    boss = make_admin(app)
    before = everything(app)
    response = boss.post("/admin/invitations", data={"email": email, "role": "therapist"})
    assert response.status_code == 400
    assert 'id="email-error"' in response.text
    assert f"{email} already has an account ({words})" in response.text
    assert f'value="{email}"' in response.text
    assert everything(app) == before
    made = boss.post("/admin/invitations", data={"email": "doc@example.com", "role": "therapist"})
    assert made.status_code == 200 and made_link(made)


def test_an_invitation_that_no_longer_opens_says_why_in_an_invitations_words(app):
    # A withdrawn invitation's page named a reset link's causes ("a newer link, or a new
    # password, stops an older one"), never the withdrawal; a used one sent the therapist who
    # made their account with it, opening the mail's link again, to ask the clinic for another.
    boss = make_admin(app)
    made = boss.post("/admin/invitations", data={"email": "wrong@example.com", "role": "therapist"})
    withdrawn = made_link(made)
    ((token_id,),) = sql(app, "select id from tokens where kind = 'invitation'")
    boss.post(f"/admin/invitations/{token_id}/withdraw")
    used = invitation(app)
    doc = app.test_client()
    assert doc.post(used, data=SIGN_UP).location == "/caseload"
    doc.post("/auth/logout")
    client = app.test_client()
    response = client.get(withdrawn)
    assert response.status_code == 404
    assert "or your clinic withdrew it" in response.text
    assert "new password" not in response.text
    response = client.get(used)
    assert response.status_code == 410
    assert "If you made yours with it, log in" in response.text


def test_an_invitation_to_an_address_that_has_an_account_says_it_cannot_make_another(app):
    # Made before the address signed up as a patient: its page answered "Log in instead?",
    # and logging in led into the patient's journal, never to the account it invites to.
    path = invitation(app, email="doc@example.com")
    person(app, "doc@example.com")
    client = app.test_client()
    before = everything(app)
    response = client.post(path, data=SIGN_UP)
    assert response.status_code == 400
    assert "this invitation, made for it, cannot make another" in response.text
    assert "Log in instead?" not in response.text
    assert everything(app) == before
    # An invitation for no address in particular: another address will do.
    response = client.post(invitation(app), data=SIGN_UP)
    assert "an invitation makes a new one: use another address" in response.text


def test_the_admin_sees_which_open_invitation_an_account_made_since_has_blocked(app):
    """The invited address signed up as a patient meanwhile: the person was told to ask for an
    invitation to another address, while the admin's list showed theirs open, as if unused."""
    boss = make_admin(app)
    boss.post("/admin/invitations", data={"email": "doc@example.com", "role": "therapist"})
    boss.post("/admin/invitations", data={"email": "new@example.com", "role": "therapist"})
    assert "cannot be used" not in boss.get("/admin/invitations").text
    person(app, "Doc@Example.com")
    page = boss.get("/admin/invitations").text
    rows = page[page.index('id="open-invitations"') :].split("<li>")[1:]
    blocked = [row for row in rows if "doc@example.com" in row]
    assert len(rows) == 2 and len(blocked) == 1
    assert (
        "doc@example.com has an account now (a patient), so this invitation cannot be used: "
        "withdraw it, and invite another address" in blocked[0]
    )
    assert "cannot be used" not in "".join(row for row in rows if row not in blocked)


@pytest.mark.parametrize("signed_up_as", ["émile@example.com", "E\u0301MILE@example.com"])
def test_the_admin_sees_an_invitation_blocked_whatever_the_case_or_form_of_its_address(
    app, signed_up_as
):
    # Invited as "Émile@..." and signed up since as a patient, in lower case or with "E" and
    # an accent: one address (its page says it cannot make another), but SQLite's NOCASE,
    # comparing the two in the list, folds A-Z only, and the list showed it as still open.
    boss = make_admin(app)
    boss.post("/admin/invitations", data={"email": "Émile@example.com", "role": "therapist"})
    person(app, signed_up_as)
    page = boss.get("/admin/invitations").text
    assert (
        "Émile@example.com has an account now (a patient), so this invitation cannot be used"
        in page
    )


def test_an_invitation_spent_by_a_double_tap_says_it_in_an_invitations_words(app, monkeypatch):
    # Two taps of "Create account" both found the invitation unspent; the first made the
    # account while the second hashed its password, and the second's page said "Each link
    # works once. Ask your clinic for a new one.", a reset link's words: the person, whose
    # account had been made, was sent to the clinic for another invitation.
    import journal.auth

    path = invitation(app)
    hashed = journal.auth.hash_password

    def first_tap_lands_meanwhile(password):
        with sqlite3.connect(app.config["DATABASE"]) as other:
            spent = "update tokens set used_at = ? where kind = 'invitation'"
            other.execute(spent, [NOW.isoformat()])
        return hashed(password)

    monkeypatch.setattr(journal.auth, "hash_password", first_tap_lands_meanwhile)
    response = app.test_client().post(path, data=SIGN_UP)
    assert response.status_code == 400
    assert "Each link works once" not in response.text
    assert "If you made yours with it, log in" in response.text


def test_reloading_the_page_of_a_new_invitation_makes_no_second_one(app):
    # Reloading the result sends the form again: it made a second invitation, silently.
    boss = make_admin(app)
    form = {"email": "", "role": "therapist", "request_key": "reload-key-0123456789"}
    first = boss.post("/admin/invitations", data=form)
    path = made_link(first)
    again = boss.post("/admin/invitations", data=form)
    assert again.status_code == 200
    assert 'id="one-time-link"' not in again.text and path not in again.text
    assert "This form was sent before" in again.text and "No second one was made" in again.text
    assert sql(app, "select count(*) from tokens where kind = 'invitation'") == [(1,)]
    assert app.test_client().get(path).status_code == 200  # the first still works
    # A new form (a new key) makes a new invitation.
    made_link(boss.post("/admin/invitations", data={**form, "request_key": "another-key-0123456"}))
    assert sql(app, "select count(*) from tokens where kind = 'invitation'") == [(2,)]
