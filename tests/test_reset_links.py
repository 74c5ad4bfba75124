"""Password-reset links without e-mail (issue 9): `flask reset-link EMAIL` and the admin's
button make `/auth/reset/<token>` (single use, 24 hours, only its hash stored); using it sets
the password, ends every sign-in of the account and shows in "Recent activity"."""

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from conftest import AuthActions, csrf_token
from factories import (
    ADMIN_PASSWORD,
    NOW,
    PASSWORD,
    invitation,
    make_admin,
    person,
    reset_link,
    signed_in_twice,
    sql,
)

from journal import clock

NEW = "a brand new passphrase"


def everything(app):
    return [sql(app, f"select * from [{t}]") for t in ("users", "tokens", "signins", "activity")]  # noqa: S608


@pytest.fixture
def pat(app):
    return signed_in_twice(app)


def test_the_command_prints_a_link_that_sets_the_password_once(app, pat):
    client, phone = pat
    result = app.test_cli_runner().invoke(args=["reset-link", "PAT@example.com"])
    assert result.exit_code == 0, result.output
    assert "good once within 24 hours" in result.output
    path = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"/auth/reset/[A-Za-z0-9_-]{43}", path)
    token = path.rsplit("/", 1)[1]
    ((stored, user, expires),) = sql(app, "select hash, user_id, expires_at from tokens")
    assert stored == hashlib.sha256(token.encode()).hexdigest() and user == 1
    assert expires == (NOW + timedelta(hours=24)).isoformat(timespec="seconds")

    stranger = app.test_client()
    form = stranger.get(path)
    assert form.status_code == 200 and "Choose a new password" in form.text
    response = stranger.post(path, data={"password": NEW})
    assert response.status_code == 302 and response.location == "/auth/login"
    assert "Your new password is set" in stranger.get("/auth/login").text

    # Every sign-in of the account ended: both browsers, remember-me and all.
    assert sql(app, "select count(*) from signins where user_id = 1") == [(0,)]
    assert client.get("/checkin").status_code == 302
    assert phone.get("/checkin").status_code == 302
    # The old password is refused, the new one works; the journal is as it was.
    assert AuthActions(app.test_client()).login().status_code == 400
    back = app.test_client()
    assert AuthActions(back).login(password=NEW).location == "/checkin"
    assert "A calm morning" in back.get(f"/entries/{NOW.date().isoformat()}").text
    # Recorded in the person's own "Recent activity".
    activity = back.get("/settings/activity").text
    assert "Password set from a reset link" in activity
    assert sql(app, "select kind from activity where user_id = 1 and kind = 'password-reset'") == [
        ("password-reset",)
    ]
    # Used: a clear page, nothing changes.
    before = everything(app)
    for answer in (
        stranger.get(path),
        stranger.post(path, data={"password": "yet another passphrase"}),
    ):
        assert answer.status_code == 410 and "This link has been used" in answer.text
    assert everything(app) == before


def test_the_command_refuses_an_unknown_email(app):
    result = app.test_cli_runner().invoke(args=["reset-link", "nobody@example.com"])
    assert result.exit_code == 1
    assert "No account has the email 'nobody@example.com'." in result.output
    assert sql(app, "select count(*) from tokens") == [(0,)]


def test_a_reset_link_expires_after_24_hours(app, pat):
    path = reset_link(app, 1)
    client = app.test_client()
    clock.set(NOW + timedelta(hours=24) - timedelta(seconds=1))
    assert client.get(path).status_code == 200
    clock.set(NOW + timedelta(hours=24))
    before = everything(app)
    response = client.post(path, data={"password": NEW})
    assert response.status_code == 410 and "This link has expired" in response.text
    assert everything(app) == before


def test_a_password_changed_in_the_settings_retires_the_reset_links_made_before(app, pat):
    # Someone who changes their password because a link may have been seen is safe from it.
    client, _ = pat
    path = reset_link(app, 1)
    form = {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW}
    assert client.post("/settings/password", data=form).status_code == 302
    stranger = app.test_client()
    for response in (
        stranger.get(path),
        stranger.post(path, data={"password": "the stranger's passphrase"}),
    ):
        assert response.status_code == 404
    assert (
        AuthActions(app.test_client()).login(password="the stranger's passphrase").status_code
        == 400
    )
    assert AuthActions(app.test_client()).login(password=NEW).location == "/checkin"
    # A link made after the change works as any other.
    assert stranger.get(reset_link(app, 1)).status_code == 200


def test_a_link_retired_while_its_form_is_being_sent_sets_no_password(app, pat, monkeypatch):
    # The reset form looks its link up, then hashes the new password (slow); the owner's
    # password change lands in between. The link was retired meanwhile: it must not be spent.
    from journal import auth

    client, _ = pat
    path = reset_link(app, 1)
    hash_password = auth.hash_password

    def owner_changes_password_meanwhile(password):
        # The owner's request, on a thread of its own as a server would run it.
        form = {"current_password": PASSWORD, "new_password": NEW, "confirm": NEW}
        answers = []
        owner = threading.Thread(
            target=lambda: answers.append(client.post("/settings/password", data=form))
        )
        owner.start()
        owner.join()
        assert [a.location for a in answers] == ["/settings"]
        return hash_password(password)

    monkeypatch.setattr(auth, "hash_password", owner_changes_password_meanwhile)
    response = app.test_client().post(path, data={"password": "the stranger's passphrase"})
    assert response.status_code == 404 and "This link does not work" in response.text
    assert sql(app, "select count(*) from tokens where used_at is not null") == [(0,)]
    assert AuthActions(app.test_client()).login(password=NEW).location == "/checkin"


@pytest.mark.parametrize("token", ["x" * 43, "a" * 5000, "%00", "\u202e" * 3, "é"])
def test_a_forged_reset_link_is_404_and_changes_nothing(app, pat, token):
    reset_link(app, 1)
    client = app.test_client()
    before = everything(app)
    for response in (
        client.get(f"/auth/reset/{token}"),
        client.post(f"/auth/reset/{token}", data={"password": NEW}),
    ):
        assert response.status_code == 404
        assert "This link does not work" in response.text
    assert everything(app) == before


def test_an_invitation_is_no_reset_link(app, pat):
    token = invitation(app).rsplit("/", 1)[1]
    before = everything(app)
    assert app.test_client().post(f"/auth/reset/{token}", data={"password": NEW}).status_code == 404
    assert everything(app) == before


def test_a_new_link_retires_the_older_one(app, pat):
    old = reset_link(app, 1)
    new = reset_link(app, 1)
    client = app.test_client()
    retired = client.get(old)
    assert retired.status_code == 404
    # Not only "check that the whole link was copied": it was, and replaced since.
    assert "a newer link, or a new password, stops an older one" in retired.text
    assert client.get(new).status_code == 200


def test_someone_elses_link_changes_nothing_for_whoever_is_signed_in(app, pat):
    client, _ = pat
    sam = person(app, "sam@example.com")
    path = reset_link(app, 1)  # pat's link, opened in sam's browser
    before = everything(app)
    for response in (sam.get(path), sam.post(path, data={"password": NEW})):
        assert response.status_code == 404
        assert "This link is for another account" in response.text
    assert everything(app) == before
    assert sam.get("/checkin").status_code == 200
    assert client.post(path, data={"password": NEW}).status_code == 302  # pat's own browser


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Enter a password."),
        ("short", "Use 10 to 256 characters."),
        ("x" * 257, "Use 10 to 256 characters."),
        ("password123", "one of the most common"),
        ("🌿" * 300, "Use 10 to 256 characters."),
    ],
)
def test_a_bad_new_password_is_400_at_the_field_and_spends_nothing(app, pat, password, message):
    path = reset_link(app, 1)
    client = app.test_client()
    before = everything(app)
    response = client.post(path, data={"password": password})
    assert response.status_code == 400
    assert 'id="password-error"' in response.text and message in response.text
    assert everything(app) == before
    assert client.post(path, data={"password": "🌿 a passphrase with a leaf"}).status_code == 302
    assert (
        AuthActions(app.test_client()).login(password="🌿 a passphrase with a leaf").status_code
        == 302
    )


def test_the_reset_form_needs_its_csrf_token(app, pat):
    app.config["WTF_CSRF_ENABLED"] = True
    path = reset_link(app, 1)
    client = app.test_client()
    before = everything(app)
    assert client.post(path, data={"password": NEW}).status_code == 400
    assert client.post(path, data={"password": NEW, "csrf_token": "forged"}).status_code == 400
    assert everything(app) == before
    token = csrf_token(client.get(path))
    assert client.post(path, data={"password": NEW, "csrf_token": token}).status_code == 302


def test_the_admin_button_shows_a_link_once_that_works(app, pat):
    boss = make_admin(app)
    response = boss.post("/admin/users/1/reset-link", data={"password": ADMIN_PASSWORD})
    assert response.status_code == 200
    assert "Shown only now" in response.text and "within 24 hours" in response.text
    path = re.search(r'value="http://localhost(/auth/reset/[^"]+)"', response.text).group(1)
    assert path.rsplit("/", 1)[1] not in boss.get("/admin/users/1").text
    assert app.test_client().post(path, data={"password": NEW}).status_code == 302
    assert AuthActions(app.test_client()).login(password=NEW).status_code == 302


def test_the_log_in_page_says_to_ask_the_clinic(app, client):
    page = client.get("/auth/login").text
    assert "Forgot your password? Ask your clinic for a reset link." in page
    app.config["CLINIC_NAME"] = "Riverside Clinic"
    assert (
        "Forgot your password? Ask Riverside Clinic for a reset link."
        in client.get("/auth/login").text
    )


def test_a_link_for_a_deactivated_account_never_says_log_in(app, pat):
    """An admin deactivated an account, then made it a reset link (to hand over before
    turning it back on). Its page said nothing of it, and setting the password said "Log in
    with it", which the log-in then refused: "This account is deactivated". Both say so now;
    the password is still set."""
    boss = make_admin(app)
    assert boss.post("/admin/users/1/deactivate").status_code == 302
    response = boss.post("/admin/users/1/reset-link", data={"password": ADMIN_PASSWORD})
    assert "This account is deactivated" in response.text
    assert "until you reactivate it" in response.text
    path = re.search(r'value="http://localhost(/auth/reset/[^"]+)"', response.text).group(1)
    person_ = app.test_client()
    assert person_.post(path, data={"password": NEW}).location == "/auth/login"
    page = person_.get("/auth/login").text
    assert "Your new password is set" in page and "Log in with it" not in page
    assert "turned off by your clinic" in page
    boss.post("/admin/users/1/reactivate")
    assert AuthActions(app.test_client()).login(password=NEW).location == "/checkin"
