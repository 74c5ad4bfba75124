"""Passkeys (WebAuthn, issue 9): adding, naming and removing them in settings, and signing in
with one. A small software authenticator here (an ECDSA P-256 key, "none" attestation) makes
the browser's answers byte by byte as WebAuthn defines them, so the real `webauthn` library
checks real signatures; tests/test_browser_passkeys.py does the same in real Chromium."""

import base64
import hashlib
import json
import os
import re
from datetime import timedelta
from types import SimpleNamespace

import cbor2
import pytest
from conftest import PASSWORD, AuthActions, csrf_token, register_with_csrf
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from factories import (
    ADMIN_PASSWORD,
    NOW,
    deleted_first,
    person,
    reset_link,
    signed_in,
    signed_out_as_deleted,
    sql,
    therapist,
)
from werkzeug.test import EnvironBuilder

from journal import clock
from journal.settings import passkeys as settings_passkeys

ORIGIN = "http://localhost"  # the test client's own origin


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftKey:
    """A passkey on a pretend authenticator that verifies its user."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.count = 0

    def cose_key(self):
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})

    @staticmethod
    def client_data(kind, challenge, origin):
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin}).encode()

    def create(self, options, origin=ORIGIN):
        """The answer to navigator.credentials.create(options)."""
        rp_hash = hashlib.sha256(options["rp"]["id"].encode()).digest()
        flags = bytes([0x01 | 0x04 | 0x40])  # user present, verified, attested data follows
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id
        auth_data = rp_hash + flags + (0).to_bytes(4, "big") + attested + self.cose_key()
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self.client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(self, options, origin=ORIGIN):
        """The answer to navigator.credentials.get(options)."""
        self.count += 1
        rp_hash = hashlib.sha256(options["rpId"].encode()).digest()
        auth_data = rp_hash + bytes([0x01 | 0x04]) + self.count.to_bytes(4, "big")
        client_data = self.client_data("webauthn.get", options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": b64(b"1"),
            },
            "clientExtensionResults": {},
        }


def answer(credential):
    return {"credential": json.dumps(credential)}


def add_passkey(client, name="My phone", key=None):
    """Add a passkey named `name` for the signed-in person: the SoftKey."""
    key = key or SoftKey()
    options = client.post("/settings/passkeys/options", json={"name": name, "password": PASSWORD})
    assert options.status_code == 200, options.text
    added = client.post("/settings/passkeys/add", json=answer(key.create(options.json)))
    assert added.status_code == 200, added.text
    assert added.json == {"next": "/settings/passkeys"}
    return key


def passkey_rows(app, email="pat@example.com"):
    return sql(
        app,
        "select p.id, p.name, p.sign_count, p.transports, p.created_at, p.last_used_at "
        "from passkeys p join users u on u.id = p.user_id where u.email = ? order by p.id",
        [email],
    )


def sign_in_with(client, key, origin=ORIGIN):
    """Ask for options and answer them with `key`: the answer to `POST /auth/passkey`."""
    options = client.post("/auth/passkey/options", json={})
    assert options.status_code == 200, options.text
    return client.post("/auth/passkey", json=answer(key.get(options.json, origin)))


@pytest.fixture
def pat(app):
    return person(app, "pat@example.com")


# Settings: the options, adding, naming, removing


def test_the_page_lists_nothing_at_first_and_is_linked_from_settings(app, pat):
    assert "/settings/passkeys" in pat.get("/settings").text
    page = pat.get("/settings/passkeys")
    assert page.status_code == 200
    assert "You have no passkeys yet." in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_registration_options_name_this_site_and_ask_for_a_discoverable_verified_passkey(app, pat):
    response = pat.post(
        "/settings/passkeys/options", json={"name": "My phone", "password": PASSWORD}
    )
    assert response.status_code == 200 and response.is_json
    options = response.json
    assert options["rp"] == {"id": "localhost", "name": "Afterglow"}
    assert options["user"]["name"] == "pat@example.com"
    assert b64(b"1") == options["user"]["id"]  # the first account's id, "1"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert len(base64.urlsafe_b64decode(options["challenge"] + "==")) >= 16
    assert options["excludeCredentials"] == []


def test_adding_a_passkey_stores_it_with_its_name_and_lists_it(app, pat):
    key = add_passkey(pat, "Pixel 🌙 de Zoë")
    ((_, name, count, transports, created, used),) = passkey_rows(app)
    assert (name, count, json.loads(transports), used) == ("Pixel 🌙 de Zoë", 0, ["internal"], None)
    assert created == NOW.isoformat(timespec="seconds")
    page = pat.get("/settings/passkeys").text
    assert "Pixel 🌙 de Zoë" in page and "not used yet" in page
    assert "Your passkey is added." in page
    # The next options leave that passkey out, so the authenticator does not make a second.
    options = pat.post(
        "/settings/passkeys/options", json={"name": "Again", "password": PASSWORD}
    ).json
    assert [c["id"] for c in options["excludeCredentials"]] == [b64(key.credential_id)]


@pytest.mark.parametrize(
    ("password", "message"),
    [(None, "Enter your password to add a passkey."), ("", "Enter your password to add a passkey."),
     ("not my password", "That is not your current password.")],
)  # fmt: skip
def test_adding_a_passkey_asks_for_the_password(app, pat, password, message):
    # A passkey signs in on its own (both steps of two-factor): a session left open or copied
    # must not be able to add one for whoever holds it.
    body = {"name": "Intruder's key"} | ({} if password is None else {"password": password})
    response = pat.post("/settings/passkeys/options", json=body)
    assert response.status_code == 400
    assert response.json == {"errors": {"password": [message]}}
    # No challenge was kept: an answer made up now is not stored.
    made_up = {"rp": {"id": "localhost"}, "challenge": b64(b"x" * 32)}
    assert (
        pat.post("/settings/passkeys/add", json=answer(SoftKey().create(made_up))).status_code
        == 400
    )
    assert passkey_rows(app) == []


def test_wrong_passwords_for_a_passkey_are_throttled_like_log_in(app, pat):
    for _ in range(5):
        pat.post("/settings/passkeys/options", json={"name": "k", "password": "wrong guess"})
    response = pat.post("/settings/passkeys/options", json={"name": "k", "password": PASSWORD})
    assert response.status_code == 400
    assert "Too many wrong passwords" in response.json["errors"]["password"][0]
    assert passkey_rows(app) == []


def test_a_name_of_sixty_characters_is_kept_and_one_of_sixty_one_is_refused(app, pat):
    add_passkey(pat, "é" * 60)
    response = pat.post("/settings/passkeys/options", json={"name": "é" * 61, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json == {"errors": {"name": ["Keep the name to 60 characters."]}}
    assert [r[1] for r in passkey_rows(app)] == ["é" * 60]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the passkey a name, such as “My phone”."),
        ("   ", "Give the passkey a name, such as “My phone”."),
        ("my\x07phone", "This contains invisible control characters; please remove them."),
    ],
)
def test_bad_names_are_refused_with_a_message_at_the_field(app, pat, name, message):
    response = pat.post("/settings/passkeys/options", json={"name": name, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json["errors"]["name"] == [message]
    # No challenge was kept: an answer made up now is not stored.
    added = pat.post(
        "/settings/passkeys/add",
        json=answer(SoftKey().create({"rp": {"id": "localhost"}, "challenge": b64(b"x" * 32)})),
    )
    assert added.status_code == 400
    assert passkey_rows(app) == []


def test_renaming_keeps_odd_unicode_and_a_bad_name_comes_back_at_its_field(app, pat):
    add_passkey(pat)
    ((passkey_id, *_),) = passkey_rows(app)
    response = pat.post(f"/settings/passkeys/{passkey_id}/name", data={"name": "Ноутбук 💻"})
    assert response.status_code == 302
    assert [r[1] for r in passkey_rows(app)] == ["Ноутбук 💻"]
    response = pat.post(f"/settings/passkeys/{passkey_id}/name", data={"name": "x" * 61})
    assert response.status_code == 400
    assert (
        f'<p class="error" id="passkey-name-{passkey_id}-error">Keep the name to 60 characters.</p>'
        in response.text
    )
    assert f'value="{"x" * 61}"' in response.text  # the input kept
    assert [r[1] for r in passkey_rows(app)] == ["Ноутбук 💻"]


def test_someone_elses_passkey_is_a_404_to_rename_or_remove(app, pat):
    add_passkey(pat)
    ((passkey_id, *_),) = passkey_rows(app)
    other = person(app, "sam@example.com")
    assert other.post(f"/settings/passkeys/{passkey_id}/remove").status_code == 404
    assert (
        other.post(f"/settings/passkeys/{passkey_id}/name", data={"name": "Mine"}).status_code
        == 404
    )
    assert [r[1] for r in passkey_rows(app)] == ["My phone"]
    assert pat.post(f"/settings/passkeys/{passkey_id}/remove").status_code == 302
    assert passkey_rows(app) == []


@pytest.mark.parametrize(("action", "sent"), [("remove", {}), ("name", {"name": "Mine"})])
def test_renaming_or_removing_as_the_account_is_deleted_elsewhere_signs_out(
    app, pat, monkeypatch, action, sent
):
    """The account is deleted on another device after the request read who sent it: the
    passkey went with it, and the answer was "There is nothing at this address". Now the
    person is signed out and told the account was deleted."""
    add_passkey(pat)
    ((passkey_id, *_),) = passkey_rows(app)
    phone = app.test_client()
    assert AuthActions(phone).login().status_code == 302
    deleted_first(monkeypatch, settings_passkeys, "write_transaction", phone)
    path = f"/settings/passkeys/{passkey_id}/{action}"
    response = pat.post(path, data=sent)
    signed_out_as_deleted(pat, response, path)


def test_a_removed_passkey_no_longer_signs_in(app, pat):
    key = add_passkey(pat)
    ((passkey_id, *_),) = passkey_rows(app)
    pat.post(f"/settings/passkeys/{passkey_id}/remove")
    pat.post("/auth/logout")
    assert sign_in_with(pat, key).status_code == 400
    assert not signed_in(pat)


def test_removing_a_passkey_signs_out_the_devices_it_signed_in(app, pat):
    """A lost phone: its passkey signed it in; removing the passkey from another device ends
    that sign-in too (as a password change ends those of the password). The device removing
    it, and a sign-in by password, stay signed in."""
    key = add_passkey(pat)
    ((passkey_id, *_),) = passkey_rows(app)
    lost = app.test_client()
    assert sign_in_with(lost, key).status_code == 200
    by_passkey_here = app.test_client()
    assert sign_in_with(by_passkey_here, key).status_code == 200
    assert signed_in(lost) and signed_in(by_passkey_here)
    removed = by_passkey_here.post(f"/settings/passkeys/{passkey_id}/remove")
    assert removed.status_code == 302
    assert not signed_in(lost)
    assert signed_in(by_passkey_here) and signed_in(pat)


def test_a_passkey_added_later_under_a_removed_ones_id_ends_only_its_own_sign_ins(app, pat):
    """The device that removed a passkey it had signed in with stays signed in; a passkey
    added later gets the same id (SQLite gives the highest id again once it is deleted), and
    removing that one signed the first device out too."""
    first = add_passkey(pat, "Old phone")
    ((old_id, *_),) = passkey_rows(app)
    remover = app.test_client()
    assert sign_in_with(remover, first).status_code == 200
    assert remover.post(f"/settings/passkeys/{old_id}/remove").status_code == 302
    add_passkey(pat, "New phone")
    ((new_id, *_),) = passkey_rows(app)
    assert new_id == old_id  # the id is given again
    assert pat.post(f"/settings/passkeys/{new_id}/remove").status_code == 302
    assert signed_in(remover)


def test_a_password_changed_on_a_device_a_passkey_signed_in_keeps_it_ended_by_the_passkey(app, pat):
    """The password change gives the device a new sign-in: it is still the passkey's, so the
    lost phone that changed the password is signed out when its passkey is removed."""
    key = add_passkey(pat)
    ((passkey_id, *_),) = passkey_rows(app)
    lost = app.test_client()
    assert sign_in_with(lost, key).status_code == 200
    changed = lost.post(
        "/settings/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert changed.status_code == 302, changed.text
    assert signed_in(lost)
    here = app.test_client()
    assert sign_in_with(here, key).status_code == 200
    assert here.post(f"/settings/passkeys/{passkey_id}/remove").status_code == 302
    assert not signed_in(lost)
    assert signed_in(here)


def test_an_answer_from_another_origin_is_not_added(app, pat):
    options = pat.post(
        "/settings/passkeys/options", json={"name": "Phish", "password": PASSWORD}
    ).json
    bad = SoftKey().create(options, origin="http://evil.example")
    response = pat.post("/settings/passkeys/add", json=answer(bad))
    assert response.status_code == 400
    assert response.json["errors"]["passkey"]
    assert passkey_rows(app) == []


# Signing in


def test_authentication_options_ask_for_any_passkey_of_this_site_verified(app, client):
    response = client.post("/auth/passkey/options", json={})
    assert response.status_code == 200 and response.is_json
    options = response.json
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert options.get("allowCredentials", []) == []  # discoverable: no email asked


@pytest.mark.parametrize("path", ["/settings/activity", "/settings/devices"])
def test_the_advice_for_a_sign_in_that_was_not_you_reaches_passkeys_too(pat, path):
    """Changing the password signs out every other device, but an intruder's passkey signs in
    again without it: the pages that say what to do said only the password."""
    page = pat.get(path).text
    assert re.search(
        r'<a href="/settings/passkeys">remove any passkey you did not add</a>: a passkey '
        r"signs in without the password",
        page,
    )


def wsgi_post(app, path, headers):
    """POST an empty JSON object to `app` as a server would hand it on: (status, body text)."""
    environ = EnvironBuilder(path, method="POST", json={}, headers=headers).get_environ()
    started = []
    body = b"".join(app(environ, lambda status, _headers, *_: started.append(status)))
    return SimpleNamespace(status_code=int(started[0].split()[0]), text=body.decode())


@pytest.mark.parametrize("host", ["a b", "xn--", "[::1", "a:b:c", "127.0.0.1:99999", ""])
def test_a_host_that_names_no_host_gets_a_400_not_a_500(app, pat, host):
    """Without WEBAUTHN_RP_ID the passkey's site is the request's host: a Host header werkzeug
    reads as no host (or cannot decode) made py_webauthn raise, a 500 on both option routes."""
    answers = [wsgi_post(app, "/auth/passkey/options", {"Host": host})]
    # werkzeug's test client cannot itself make out "xn--" (nor file cookies under it).
    if host != "xn--":
        answers.append(
            pat.post(
                "/settings/passkeys/options",
                json={"name": "My phone", "password": PASSWORD},
                headers={"Host": host},
            )
        )
    for response in answers:
        assert response.status_code == 400, (host, response.status_code)
        assert "no host name a passkey can belong to" in response.text
    assert passkey_rows(app) == []


def test_a_passkey_signs_in_and_counts_as_both_factors(app, pat):
    key = add_passkey(pat)
    # Two-factor on: the passkey still signs in with no /auth/2fa step.
    from test_two_factor import turn_on

    turn_on(pat)
    pat.post("/auth/logout")
    assert not signed_in(pat)
    clock.set(NOW + timedelta(minutes=3))
    response = sign_in_with(pat, key)
    assert response.status_code == 200, response.text
    assert response.json == {"next": "/checkin"}
    assert signed_in(pat)
    ((_, _, count, _, _, used),) = passkey_rows(app)
    assert (count, used) == (1, (NOW + timedelta(minutes=3)).isoformat(timespec="seconds"))
    assert "Signed in with a passkey" in pat.get("/settings/activity").text
    assert "last used" in pat.get("/settings/passkeys").text


@pytest.mark.parametrize(("remember", "kept"), [("yes", True), ("no", False), (None, False)])
def test_keep_me_signed_in_holds_for_a_passkey_as_for_a_password(app, pat, remember, kept):
    # A passkey's sign-in ignored the log-in page's box: it always ended at the idle timeout.
    key = add_passkey(pat)
    pat.post("/auth/logout")
    options = pat.post("/auth/passkey/options", json={})
    sent = answer(key.get(options.json, ORIGIN))
    if remember is not None:
        sent["remember"] = remember
    response = pat.post("/auth/passkey", json=sent)
    assert response.status_code == 200, response.text
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") for c in cookies) is kept
    assert sql(app, "select remember from signins order by id desc limit 1") == [(int(kept),)]


def test_a_keep_me_signed_in_that_is_neither_yes_nor_no_signs_no_one_in(app, pat):
    key = add_passkey(pat)
    pat.post("/auth/logout")
    options = pat.post("/auth/passkey/options", json={})
    sent = {**answer(key.get(options.json, ORIGIN)), "remember": "forever"}
    response = pat.post("/auth/passkey", json=sent)
    assert response.status_code == 400 and "error" in response.json
    assert not signed_in(pat)
    assert "remember_token=" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_a_replayed_answer_is_refused(app, pat):
    key = add_passkey(pat)
    pat.post("/auth/logout")
    options = pat.post("/auth/passkey/options", json={}).json
    first = answer(key.get(options))
    assert pat.post("/auth/passkey", json=first).status_code == 200
    pat.post("/auth/logout")
    # The same answer again: its challenge was used.
    assert pat.post("/auth/passkey", json=first).status_code == 400
    # ...even with a new challenge waiting in the session.
    pat.post("/auth/passkey/options", json={})
    response = pat.post("/auth/passkey", json=first)
    assert response.status_code == 400
    assert "could not sign you in" in response.json["error"]
    assert not signed_in(pat)


class SyncedKey(SoftKey):
    """A synced passkey (iCloud Keychain, Google Password Manager): its counter is always 0,
    so the counter never catches a replayed answer."""

    def get(self, options, origin=ORIGIN):
        self.count = -1
        return super().get(options, origin)


def test_an_answer_replayed_with_a_copy_of_the_cookie_is_refused(app, pat):
    """The challenge lives in the signed session cookie: a copy of the cookie taken with the
    answer (a proxy log, a HAR file) and sent again with it, in another browser, within the
    five minutes, signed in again. The server keeps each answered challenge until it runs out."""
    key = add_passkey(pat, key=SyncedKey())
    pat.post("/auth/logout")
    options = pat.post("/auth/passkey/options", json={}).json
    copied = pat.get_cookie("session").value
    sent = answer(key.get(options))
    assert pat.post("/auth/passkey", json=sent).status_code == 200
    pat.post("/auth/logout")

    clock.set(NOW + timedelta(minutes=2))
    for _ in range(2):
        replayer = app.test_client()
        replayer.set_cookie("session", copied)
        response = replayer.post("/auth/passkey", json=sent)
        assert response.status_code == 400
        assert "could not sign you in" in response.json["error"]
        assert not signed_in(replayer)
    # The counter stays at 0 (a synced key's), so it was the kept challenge that refused it;
    # a fresh challenge still signs the owner in.
    assert sign_in_with(app.test_client(), key).status_code == 200
    # Answered challenges (the passkey's registration and two sign-ins) are kept until they
    # run out, then forgotten.
    assert sql(app, "select count(*) from passkey_challenges") == [(3,)]
    clock.set(NOW + timedelta(minutes=20))
    assert sign_in_with(app.test_client(), key).status_code == 200
    assert sql(app, "select count(*) from passkey_challenges") == [(1,)]


def test_a_challenge_older_than_five_minutes_is_refused(app, pat):
    key = add_passkey(pat)
    pat.post("/auth/logout")
    options = pat.post("/auth/passkey/options", json={}).json
    clock.set(NOW + timedelta(minutes=5, seconds=1))
    assert pat.post("/auth/passkey", json=answer(key.get(options))).status_code == 400
    assert not signed_in(pat)


def test_a_wrong_origin_or_an_unknown_passkey_is_refused(app, pat):
    key = add_passkey(pat)
    pat.post("/auth/logout")
    assert sign_in_with(pat, key, origin="http://evil.example").status_code == 400
    assert sign_in_with(pat, SoftKey()).status_code == 400
    assert not signed_in(pat)


def test_an_answer_holding_a_lone_surrogate_is_refused_not_a_500(app, pat):
    # The credential's id, read from its JSON text, held "\\ud800": looking it up crashed
    # SQLite's encoder (a 500 for anyone, signed in or not).
    pat.post("/auth/logout")
    assert pat.post("/auth/passkey/options", json={}).status_code == 200
    inner = '{"id": "\\ud800", "rawId": "x", "type": "public-key", "response": {}}'
    response = pat.post("/auth/passkey", json={"credential": inner})
    assert response.status_code == 400
    assert not signed_in(pat)


def test_a_deactivated_accounts_passkey_is_refused(app, pat):
    key = add_passkey(pat)
    pat.post("/auth/logout")
    sql(app, "update users set deactivated_at = ? where email = 'pat@example.com'", ["2026-01-01"])
    with app.app_context():
        from journal.db import get_db

        get_db().conn.commit()
    response = sign_in_with(pat, key)
    assert response.status_code == 403
    assert "deactivated" in response.json["error"]
    assert not signed_in(pat)


def test_staff_signed_in_with_a_passkey_still_set_up_two_factor(app):
    """Decision: a passkey counts as both factors of a sign-in, but does not replace the TOTP
    set-up the clinic requires of staff (REQUIRE_2FA_FOR_STAFF)."""
    app.config["REQUIRE_2FA_FOR_STAFF"] = True  # the `app` fixture restores the test config
    doc = therapist(app)
    key = add_passkey(doc)
    doc.post("/auth/logout")
    assert sign_in_with(doc, key).status_code == 200
    response = doc.get("/caseload")
    assert response.status_code == 302 and response.location == "/settings/2fa"


def test_staff_turning_two_factor_on_removes_the_passkeys_added_while_it_was_off(app):
    """Someone who knew only a therapist's password signed in (kept to settings), added a
    passkey, and once the owner turned two-factor on, that passkey signed in with the caseload
    open. Turning it on removes the passkeys added while it was off, ends the sign-ins they
    made, and the page names them, so the owner adds their own again; one added once it is
    on stays at a later change."""
    from test_two_factor import code_at, page_secret, turn_on

    app.config["REQUIRE_2FA_FOR_STAFF"] = True
    doc = therapist(app)
    thief = app.test_client()
    assert AuthActions(thief).login(email="doc@example.com").status_code == 302
    planted = add_passkey(thief, "Planted")
    by_planted = app.test_client()
    assert sign_in_with(by_planted, planted).status_code == 200
    secret, _ = turn_on(doc)
    assert "Passkeys removed" not in doc.get("/settings/2fa").text  # said once, not on a reload
    assert passkey_rows(app, "doc@example.com") == []
    assert not signed_in(by_planted) and not signed_in(thief)
    later = app.test_client()
    assert sign_in_with(later, planted).status_code == 400
    assert later.get("/caseload").location.startswith("/auth/login")
    assert doc.get("/caseload").status_code == 200
    activity = doc.get("/settings/activity").text
    assert "Removed 1 passkey added while it was off" in activity
    # One added now, with two-factor on, stays when it is turned off and on again.
    work = add_passkey(doc, "Work laptop")
    clock.set(clock.now() + timedelta(minutes=1))  # a code of a later time step
    assert (
        doc.post("/settings/2fa/off", data={"code": code_at(secret, clock.now())}).status_code
        == 302
    )
    clock.set(clock.now() + timedelta(minutes=1))
    secret = page_secret(doc.get("/settings/2fa").text)
    again = doc.post(
        "/settings/2fa", data={"code": code_at(secret, clock.now()), "password": PASSWORD}
    )
    assert again.status_code == 200 and "Passkeys removed" not in again.text
    assert [row[1] for row in passkey_rows(app, "doc@example.com")] == ["Work laptop"]
    assert sign_in_with(app.test_client(), work).status_code == 200


def test_the_page_that_says_two_factor_is_on_names_the_passkeys_it_removed(app):
    from test_two_factor import code_at, page_secret

    app.config["REQUIRE_2FA_FOR_STAFF"] = True
    doc = therapist(app)
    add_passkey(doc, "Planted")
    clock.set(clock.now() + timedelta(minutes=1))
    add_passkey(doc, "My phone")
    secret = page_secret(doc.get("/settings/2fa").text)
    response = doc.post(
        "/settings/2fa", data={"code": code_at(secret, clock.now()), "password": PASSWORD}
    )
    assert response.status_code == 200
    text = response.text
    assert "Your recovery codes" in text and "Passkeys removed" in text
    assert "anyone who knew the password could have added them" in text
    listed = re.findall(r"<li><strong>([^<]+)</strong>, added <time datetime=\"([^\"]+)\">", text)
    assert listed == [
        ("Planted", NOW.isoformat(timespec="seconds")),
        ("My phone", clock.now().isoformat(timespec="seconds")),
    ]
    assert "you can add them again now" in text
    assert 'href="/settings/passkeys"' in text


def test_staff_signed_in_by_a_removed_passkey_go_on_under_a_sign_in_of_no_passkey(app):
    """The therapist turning two-factor on from a sign-in made by a passkey it removes stays
    signed in (the password and a code were just given), and the new sign-in names no passkey:
    one added later under the same id must not end it when removed."""
    from test_two_factor import turn_on

    app.config["REQUIRE_2FA_FOR_STAFF"] = True
    doc = therapist(app)
    key = add_passkey(doc)
    doc.post("/auth/logout")
    assert sign_in_with(doc, key).status_code == 200
    turn_on(doc)
    assert doc.get("/caseload").status_code == 200
    assert sql(app, "select passkey_id from signins") == [(None,)]


def test_a_patient_turning_two_factor_on_keeps_their_passkeys(app, pat):
    from test_two_factor import turn_on

    key = add_passkey(pat, "My phone")
    turn_on(pat)
    assert [row[1] for row in passkey_rows(app)] == ["My phone"]
    assert sign_in_with(app.test_client(), key).status_code == 200


# CSRF


def test_every_new_post_needs_the_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = register_with_csrf(app.test_client())
    token = csrf_token(client.get("/settings/passkeys"))
    posts = ["/settings/passkeys/options", "/settings/passkeys/add", "/auth/passkey/options"]
    posts += ["/auth/passkey", "/settings/passkeys/1/name", "/settings/passkeys/1/remove"]
    for path in posts:
        assert client.post(path, json={"name": "x"}).status_code == 400, path
    # With the token in the header, as static/passkeys.js sends it.
    response = client.post(
        "/settings/passkeys/options",
        json={"name": "My phone", "password": PASSWORD},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert re.fullmatch(r"[A-Za-z0-9_-]+", response.json["challenge"])


def test_changes_to_how_one_signs_in_show_in_recent_activity(app, pat):
    # So that a change the person did not make (from a session left open) is seen.
    from test_two_factor import code_at, turn_on

    add_passkey(pat, "My phone")
    ((passkey_id, *_),) = passkey_rows(app)
    assert pat.post(f"/settings/passkeys/{passkey_id}/remove").status_code == 302
    secret, _ = turn_on(pat)
    clock.set(clock.now() + timedelta(minutes=1))  # a code of a later time step
    assert (
        pat.post("/settings/2fa/off", data={"code": code_at(secret, clock.now())}).status_code
        == 302
    )
    form = {
        "current_password": PASSWORD,
        "new_password": "a new passphrase",
        "confirm": "a new passphrase",
    }
    assert pat.post("/settings/password", data=form).status_code == 302
    page = pat.get("/settings/activity").text
    for what in ("Added a passkey", "Removed a passkey", "Turned two-factor sign-in on",
                 "Turned two-factor sign-in off", "Changed the password"):  # fmt: skip
        assert what in page, what


def test_an_admins_reset_link_removes_the_passkeys_and_a_mailed_one_keeps_them(app, pat):
    """Recovering an account through the clinic's admin ends every way in but the new password:
    a passkey planted by whoever had the account still signed in after the owner took it back.
    The reset page says so first. A link by mail (owning the mailbox) leaves them."""
    from test_admin import make_admin

    key = add_passkey(pat)
    boss = make_admin(app)
    pat_id = sql(app, "select id from users where email = 'pat@example.com'")[0][0]
    path = re.search(
        r"/auth/reset/[\w-]{43}",
        boss.post(f"/admin/users/{pat_id}/reset-link", data={"password": ADMIN_PASSWORD}).text,
    )[0]
    stranger = app.test_client()
    assert "removes the account's passkeys" in stranger.get(path).text
    assert stranger.post(path, data={"password": "a brand new passphrase"}).status_code == 302
    assert passkey_rows(app) == []
    assert sign_in_with(app.test_client(), key).status_code == 400

    add_passkey(person(app, "sam@example.com"), key=SoftKey())
    mailed = reset_link(app, sql(app, "select id from users where email = 'sam@example.com'")[0][0])
    assert "removes the account" not in app.test_client().get(mailed).text
    assert (
        app.test_client().post(mailed, data={"password": "another passphrase!"}).status_code == 302
    )
    assert len(passkey_rows(app, "sam@example.com")) == 1


def test_a_challenge_in_a_session_whose_sign_in_ended_adds_no_passkey_to_another_account(app):
    """Someone with a copy of a victim's "Keep me signed in" cookie asks for passkey options
    with their own password, ends their own sign-in, and sends the session cookie holding the
    challenge with the victim's remember cookie: flask-login falls back to the victim's sign-in.
    A session whose sign-in ended keeps nothing of it, so the challenge is gone; and a
    challenge asked for by one account never adds a passkey to another."""

    person(app, "victim@example.com")
    phone = app.test_client()
    assert AuthActions(phone).login(email="victim@example.com", remember="y").status_code == 302
    copied = phone.get_cookie("remember_token").value

    mallory = person(app, "mallory@example.com")
    options = mallory.post("/settings/passkeys/options", json={"name": "M", "password": PASSWORD})
    assert options.status_code == 200, options.text
    with_challenge = mallory.get_cookie("session").value
    ender = app.test_client()
    ender.set_cookie("session", with_challenge)
    ender.post("/auth/logout")
    assert not signed_in(ender)

    mixed = app.test_client()
    mixed.set_cookie("session", with_challenge)
    mixed.set_cookie("remember_token", copied)
    key = SoftKey()
    added = mixed.post("/settings/passkeys/add", json=answer(key.create(options.json)))
    assert added.status_code == 400
    assert passkey_rows(app, "victim@example.com") == []
    assert sign_in_with(app.test_client(), key).status_code == 400


def test_a_challenge_asked_for_by_one_account_adds_no_passkey_to_another(app):
    person(app, "victim@example.com")
    person(app, "mallory@example.com")
    ids = dict(sql(app, "select email, id from users"))
    victim, mallory = ids["victim@example.com"], ids["mallory@example.com"]
    with app.test_request_context():
        from journal import passkeys
        from journal.db import get_db

        def answered(asked_by, added_to):
            asker = SimpleNamespace(id=asked_by, email="m@example.com", display_name="")
            options = json.loads(passkeys.registration_options(get_db(), asker, "Key"))
            return passkeys.register(get_db(), added_to, SoftKey().create(options))

        assert answered(mallory, victim) is None
        assert answered(victim, victim) is not None  # the same answer, for its own account
    assert len(passkey_rows(app, "victim@example.com")) == 1


def test_a_session_whose_sign_in_ended_keeps_nothing_of_it_under_another_sign_in(app):

    from journal.passkeys import CHALLENGE

    person(app, "victim@example.com")
    phone = app.test_client()
    assert AuthActions(phone).login(email="victim@example.com", remember="y").status_code == 302
    mallory = person(app, "mallory@example.com")
    mallory.post("/settings/passkeys/options", json={"name": "M", "password": PASSWORD})
    with_challenge = mallory.get_cookie("session").value
    mallory.post("/auth/logout")

    mixed = app.test_client()
    mixed.set_cookie("session", with_challenge)
    mixed.set_cookie("remember_token", phone.get_cookie("remember_token").value)
    assert signed_in(mixed)  # as the victim, by the remember-me cookie
    serializer = app.session_interface.get_signing_serializer(app)
    assert CHALLENGE in serializer.loads(with_challenge)
    assert CHALLENGE not in serializer.loads(mixed.get_cookie("session").value)


def test_staff_not_held_back_keep_their_passkeys_when_turning_it_on(app):
    """Where the clinic does not require two-factor of staff (REQUIRE_2FA_FOR_STAFF off), a
    therapist's passkeys were never kept to settings: turning two-factor on removes none of
    them (it took a real laptop's passkey away without cause). Their other sign-ins end, as
    anyone's do (made with the password alone: tests/test_two_factor.py)."""
    from test_two_factor import turn_on

    app.config["REQUIRE_2FA_FOR_STAFF"] = False
    doc = therapist(app)
    add_passkey(doc, "Work laptop")
    other = app.test_client()
    assert AuthActions(other).login(email="doc@example.com").status_code == 302
    turn_on(doc)
    assert [row[1] for row in passkey_rows(app, "doc@example.com")] == ["Work laptop"]
    assert signed_in(doc)
    assert not signed_in(other)


@pytest.mark.parametrize(("action", "sent"), [("remove", {}), ("name", {"name": "Mine"})])
def test_a_passkey_removed_already_says_so_with_the_way_back(app, pat, action, sent):
    """Remove tapped twice on a slow phone (or a rename from a tab opened before the passkey
    was removed in another): the second met "There is nothing at this address", the person
    unsure whether the passkey had gone. It says it is not there, nothing else changed, with
    the way back to the passkeys; the same words for someone else's, confirming nothing."""
    add_passkey(pat)
    ((passkey_id, *_),) = passkey_rows(app)
    assert pat.post(f"/settings/passkeys/{passkey_id}/remove").status_code == 302
    for client in (pat, person(app, "sam@example.com")):
        response = client.post(f"/settings/passkeys/{passkey_id}/{action}", data=sent)
        assert response.status_code == 404
        assert "That passkey is not there" in response.text
        assert 'href="/settings/passkeys"' in response.text
        assert "There is nothing at this address" not in response.text
    assert passkey_rows(app) == [] and signed_in(pat)
