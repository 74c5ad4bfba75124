"""Account security: common passwords, the idle timeout, deleting the account, recent activity."""

import io
import json
import re
from datetime import timedelta

import pyotp
import pytest
from conftest import PASSWORD, AuthActions, csrf_token, make_app
from factories import (
    TODAY,
    deleted_first,
    invitation,
    invite_code,
    make_admin,
    person,
    reset_link,
    share_link,
    signed_in,
    signed_in_twice,
    signed_out_as_deleted,
    therapist,
    user_id,
)
from test_passkeys import add_passkey

from journal import account, assessments, checkins, clock, devices, passwords, sessions
from journal.db import get_db
from journal.passwords import COMMON_MESSAGE, COMMON_PASSWORDS, PASSWORD_MIN, common_passwords

# A list entry of 10+ characters: the length rule alone would let it through.
COMMON = "Password123"
# The message as the page shows it (Jinja escapes the apostrophe).
REFUSED = COMMON_MESSAGE.replace("'", "&#39;")
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)


def count(app, table, where="1", params=()):
    with app.app_context():
        sql = f"select count(*) from [{table}] where {where}"  # noqa: S608 (the tests' own)
        return get_db().execute(sql, params).fetchone()[0]


# Common passwords


def test_the_list_is_lower_case_with_its_source_and_holds_long_entries():
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#") and "zxcvbn" in lines[0] and "MIT" in lines[0]
    words = lines[1:]
    assert len(words) == len(set(words)) > 5000
    assert all(w == w.lower() == w.strip() and w for w in words)
    assert COMMON.lower() in common_passwords()
    assert sum(len(w) >= PASSWORD_MIN for w in words) > 1000
    assert PASSWORD not in common_passwords()


@pytest.mark.parametrize("password", [COMMON, COMMON.lower(), "QWERTYUIOP", "1qaz2wsx3edc"])
def test_common_password_refused_at_register(app, client, auth, password):
    response = auth.register(password=password)
    assert response.status_code == 400
    assert REFUSED in response.text
    assert count(app, "users") == 0


def test_common_password_refused_at_password_change(app, client, patient):
    with app.app_context():
        old_hash = get_db()["users"].get(1)["password_hash"]
    response = client.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": COMMON, "confirm": COMMON},
    )
    assert response.status_code == 400
    assert REFUSED in response.text
    with app.app_context():
        assert get_db()["users"].get(1)["password_hash"] == old_hash


def test_uncommon_password_of_common_words_is_fine(client, auth):
    assert auth.register(password="tea before the long walk").status_code == 302


# Idle timeout


def move_clock(client, minutes):
    """Pretend the last request was `minutes` earlier than it was (for every sign-in)."""
    with client.application.app_context():
        db = get_db()
        db.execute("update signins set seen_at = seen_at - ?", [minutes * 60])
        db.conn.commit()


def test_session_ends_after_idle_minutes(client, patient):
    assert client.get("/entries").status_code == 200
    move_clock(client, 31)
    response = client.get("/entries")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/entries"
    page = client.get(response.location)
    assert "You were signed out after 30 minutes without activity" in page.text
    # Signed out for good: the next request is not signed in either, and no message repeats.
    again = client.get("/entries")
    assert again.status_code == 302
    assert "without activity" not in client.get(again.location).text


@pytest.mark.parametrize(
    ("sign_in", "path", "kept"),
    [
        (therapist, "/settings", "your caseload"),
        (make_admin, "/admin", "your account"),
    ],
)
def test_the_idle_sign_out_names_no_journal_to_who_has_none(app, sign_in, path, kept):
    """Therapists and admins keep no journal: the message says what it keeps private."""
    client = sign_in(app)
    assert client.get(path).status_code == 200
    move_clock(client, 31)
    page = client.get(path, follow_redirects=True).text
    assert f"without activity, to keep {kept} private. Log in to carry on." in page
    assert "journal" not in page.split("without activity")[1].split("</")[0]


PHQ9_ALL_3 = {f"q{n}": "3" for n in range(1, 10)} | {"difficulty": "3"}


@pytest.mark.parametrize(
    ("path", "sent", "shown"),
    [
        ("/checkin", {"mood": "1"}, True),
        ("/checkin", {"mood": "6", "self_harm": "y"}, True),
        ("/checkin", {"mood": "6"}, False),
        ("/checkin", {"mood": "٠"}, False),  # not a rating: read as sent, never guessed
        ("/assessments/phq9", PHQ9_ALL_3, True),
        ("/assessments/phq9", PHQ9_ALL_3 | {"q9": "0"}, False),
        ("/assessments/gad7", {f"q{n}": "3" for n in range(1, 8)}, False),
        ("/sessions/new", {"mood_before": "1", "mood_after": "7"}, False),
        ("/sessions/new", {"mood_before": "7", "mood_after": "2"}, True),
        ("/sessions/new", {"mood_before": "2"}, True),
    ],
)
def test_answers_sent_after_the_sign_in_ended_still_show_the_crisis_resources(
    client, patient, path, sent, shown
):
    """The log-in page is the page after such a form: it shows the resources (once), as a
    refused form would, though nothing could be saved; answers that do not call for them
    leave it as it was."""
    move_clock(client, 31)
    response = client.post(path, data={"date": "2026-01-02", **sent})
    assert response.status_code == 302 and response.location.startswith("/auth/login?next=")
    page = client.get(response.location).text
    assert "You were signed out after 30 minutes without activity" in page
    assert ('id="crisis-resources"' in page) is shown
    if shown:
        assert "Call 988" in page and "Your entry is saved" not in page
        assert 'id="crisis-resources"' not in client.get(response.location).text  # once


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},  # the offline queue, which reads the redirect itself
        {"Sec-Fetch-Mode": "cors"},  # any script's fetch
        {"Sec-Fetch-Site": "cross-site"},  # another site's form
    ],
)
def test_the_log_in_page_shows_the_crisis_resources_only_after_a_page_sent_them(
    client, patient, headers
):
    """A check-in of mood 1 sent by a script (or from another site) after the sign-in ended:
    no person sees that redirect, so no panel is left for whoever opens the log-in page
    next on this device."""
    move_clock(client, 31)
    response = client.post("/checkin", data={"date": "2026-01-02", "mood": "1"}, headers=headers)
    assert response.status_code == 302
    assert 'id="crisis-resources"' not in client.get("/auth/login").text
    navigated = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin"}
    client.post("/checkin", data={"date": "2026-01-02", "mood": "1"}, headers=navigated)
    assert 'id="crisis-resources"' in client.get("/auth/login").text


def test_a_form_over_the_size_limit_sent_after_the_sign_in_ended_goes_to_log_in(client, patient):
    """Reading such a form to look for crisis answers must not turn the redirect into a 413."""
    move_clock(client, 31)
    body = {"date": "2026-01-02", "mood": "1", "reflection": "x" * (2 * 1024 * 1024 + 1)}
    response = client.post("/checkin", data=body)
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/checkin"


def test_activity_keeps_the_session(client, patient):
    assert client.get("/entries").status_code == 200
    for _ in range(3):
        move_clock(client, 29)
        assert client.get("/entries").status_code == 200


def test_idle_minutes_is_configurable(tmp_path):
    app = make_app(tmp_path, IDLE_MINUTES=5)
    client = app.test_client()
    AuthActions(client).register()
    client.get("/entries")
    move_clock(client, 4)
    assert client.get("/entries").status_code == 200
    move_clock(client, 6)
    response = client.get("/checkin")
    assert response.status_code == 302
    assert "signed out after 5 minutes" in client.get(response.location).text


def test_idle_timeout_can_be_turned_off(tmp_path):
    app = make_app(tmp_path, IDLE_MINUTES=0)
    client = app.test_client()
    AuthActions(client).register()
    assert client.get("/entries").status_code == 200
    with client.session_transaction() as session:
        assert "seen_at" not in session


def test_remember_me_outlives_the_idle_timeout(app, client, auth):
    auth.register()
    auth.logout()
    assert auth.login(remember="y").status_code == 302
    assert client.get("/entries").status_code == 200
    move_clock(client, 60 * 24)
    response = client.get("/entries")
    assert response.status_code == 200  # signed back in by the remember cookie
    assert "without activity" not in response.text
    # The clock starts again, so the session carries on as a fresh one.
    move_clock(client, 10)
    assert client.get("/entries").status_code == 200


def test_stale_clock_does_not_end_a_new_log_in(app, client, auth, patient):
    client.get("/entries")
    # Another device changes the password: this session's id goes stale (signed out).
    other = app.test_client()
    AuthActions(other).login()
    new = "a new and longer passphrase"
    other.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm": new},
    )
    move_clock(client, 45)
    # Logging in again long after must not meet the old clock.
    assert auth.login(password=new).status_code == 302
    assert client.get("/entries").status_code == 200


def test_logging_out_ends_remember_me_too(client, auth):
    auth.register()
    auth.logout()
    auth.login(remember="y")
    assert client.get("/entries").status_code == 200
    response = auth.logout()
    assert any(c.startswith("remember_token=;") for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/entries").status_code == 302


# Deleting the account: the page


def test_delete_page_offers_the_export_first(client, patient):
    response = client.get("/settings/delete")
    assert response.status_code == 200
    page = response.text
    assert 'href="/export/data.json"' in page
    assert page.index('href="/export/data.json"') < page.index('name="password"')
    for words in ("check-ins", "sessions", "check-ups", "symptoms", "share links", "therapist"):
        assert words in page
    assert "Delete my account and all my data" in page
    assert 'autocomplete="current-password"' in page


def test_a_therapists_delete_page_lists_what_a_therapist_has(app):
    # A therapist keeps no journal: the page listed check-ins and sessions they never had.
    from factories import therapist

    page = therapist(app).get("/settings/delete").text
    assert "Your patients' links to you" in page.replace("&#39;", "'")
    for words in ("check-ins", "Your sessions", "check-ups", "share links", "data.json"):
        assert words not in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_delete_needs_login(client, method):
    response = getattr(client, method)("/settings/delete", data={"password": PASSWORD})
    assert response.location == "/auth/login?next=/settings/delete"


# Deleting the account: two people with everything, one of whom leaves


def fill(app, client, email, reflection):
    """Give the signed-in person a row in every table that can hold one; return a share token."""
    assert client.post(
        "/checkin",
        data={"date": "2026-01-05", "mood": "6", "reflection": reflection,
              "idempotency_key": "first-checkin"},
    ).status_code in (302, 303)  # fmt: skip
    assert client.post("/settings/symptoms", data={"name": "Headache"}).status_code == 302
    with app.app_context():
        symptom = (
            get_db()
            .execute(
                "select s.id from symptoms s join users u on u.id = s.user_id where u.email = ?",
                [email],
            )
            .fetchone()[0]
        )
    client.post(
        "/checkin",
        data={
            "date": "2026-01-06",
            "mood": "5",
            "reflection": reflection,
            f"symptom_{symptom}": "4",
        },
    )
    assert client.post(
        "/sessions/new",
        data={"started_at": "2026-01-04T10:00", "product": "ketamine", "route": "iv",
              "reflection": reflection},
    ).status_code == 302  # fmt: skip
    assert client.post(
        "/assessments/phq9", data={"date": "2026-01-05", **{f"q{n}": "1" for n in range(1, 10)}}
    ).status_code in (200, 302)
    client.post(
        "/import",
        data={"file": (io.BytesIO(b"date,mood\n2025-01-02,4\n"), "moods.csv")},
        content_type="multipart/form-data",
    )
    _, token = share_link(client, f"link of {email}")
    assert app.test_client().get(f"/s/{token}").status_code == 200
    client.get("/export/data.json")
    return token


def owned_counts(app, uid, email):
    """How many rows name the person, table by table."""
    with app.app_context():
        db = get_db()
        counts = {
            table: db.execute(
                f"select count(*) from [{table}] where user_id = ?",  # noqa: S608
                [uid],
            ).fetchone()[0]
            for table in db.table_names()
            if "user_id" in db[table].columns_dict
        }
        q = db.execute
        counts["users"] = q("select count(*) from users where id = ?", [uid]).fetchone()[0]
        counts["symptom_scores"] = q(
            "select count(*) from symptom_scores where checkin_id in "
            "(select id from checkins where user_id = ?) or symptom_id in "
            "(select id from symptoms where user_id = ?)",
            [uid, uid],
        ).fetchone()[0]
        counts["share_openings"] = q(
            "select count(*) from share_openings where link_id in "
            "(select id from share_links where user_id = ?)",
            [uid],
        ).fetchone()[0]
        counts["therapist_links"] = q(
            "select count(*) from therapist_links where patient_id = ? or therapist_id = ?",
            [uid, uid],
        ).fetchone()[0]
        # Under the email, or a key made from it (wrong two-factor codes: "2fa:" + email).
        counts["login_failures"] = q(
            "select count(*) from login_failures where email = ? or email like '%:' || ?",
            [email, email],
        ).fetchone()[0]
        counts["invitations"] = q(
            "select count(*) from tokens where kind = 'invitation' and email = ?", [email]
        ).fetchone()[0]
    return counts


def all_rows(app):
    with app.app_context():
        db = get_db()
        return {
            t: db.execute(f"select count(*) from [{t}]").fetchone()[0]  # noqa: S608
            for t in db.table_names()
        }


@pytest.fixture
def two_people(app, client):
    """pat (this client) and sam (another), each with data, both linked to one therapist."""
    doc = app.test_client()
    AuthActions(doc).register(email="doc@example.com", role="therapist")
    code = invite_code(doc)
    people = {}
    for email, words in (("pat@example.com", "pat's own words"), ("sam@example.com", "sam's")):
        person = client if email.startswith("pat") else app.test_client()
        actions = AuthActions(person)
        actions.register(email=email)
        assert person.post("/settings/therapist", data={"invite_code": code}).status_code == 302
        people[email] = (person, fill(app, person, email, words))
        # A failed log-in that names the person (from some other browser).
        AuthActions(app.test_client()).login(email=email, password="not the password!")
        # A password-reset link an admin made for them (issue 9), not yet used.
        reset_link(app, user_id(app, email))
        # Two-factor sign-in on (issue 9): a secret and ten recovery codes.
        page = person.get("/settings/2fa").text
        secret = re.search(r'id="secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
        first = pyotp.TOTP(secret).at(clock.timestamp())
        assert (
            person.post("/settings/2fa", data={"code": first, "password": PASSWORD}).status_code
            == 200
        )
        # A wrong code, counted under a key of its own that names the email.
        assert person.post("/settings/2fa/off", data={"code": "000000"}).status_code == 400
        # An admin's invitation addressed to them (as a therapist invited by address has).
        invitation(app, "patient", email)
        add_passkey(person)  # a passkey (issue 9)
    return people


def test_every_table_with_a_user_id_is_filled(app, two_people):
    """The fixture reaches every table, so the deletion test below can fail for any."""
    counts = owned_counts(app, user_id(app, "pat@example.com"), "pat@example.com")
    empty = {t for t, n in counts.items() if n == 0}
    assert empty <= {"checkin_requests"}, empty


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Enter your password to confirm."),
        (None, "Enter your password to confirm."),
        ("not my password", "That is not your current password."),
        (PASSWORD.upper(), "That is not your current password."),
    ],
)
def test_wrong_or_missing_password_deletes_nothing(app, client, two_people, password, message):
    before = all_rows(app)
    failures = count(app, "login_failures")
    data = {} if password is None else {"password": password}
    response = client.post("/settings/delete", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert 'id="password-error"' in response.text
    after = all_rows(app)
    wrong = password not in ("", None)
    assert after.pop("login_failures") == failures + wrong
    before.pop("login_failures")
    assert after == before
    assert client.get("/entries").status_code == 200  # still signed in


def test_password_guesses_on_delete_are_throttled(app, client, two_people):
    before = all_rows(app)
    for _ in range(5):
        client.post("/settings/delete", data={"password": "not my password"})
    response = client.post("/settings/delete", data={"password": PASSWORD})
    assert response.status_code == 400
    assert "Too many wrong passwords" in response.text
    assert all_rows(app)["users"] == before["users"]


def test_right_password_erases_every_row_of_the_person(app, client, two_people):
    pat, sam = user_id(app, "pat@example.com"), user_id(app, "sam@example.com")
    assert any(owned_counts(app, pat, "pat@example.com").values())
    sams = owned_counts(app, sam, "sam@example.com")
    pat_token = two_people["pat@example.com"][1]
    sam_client, sam_token = two_people["sam@example.com"]

    response = client.post("/settings/delete", data={"password": PASSWORD})
    assert response.status_code == 200
    assert "Your account and all its data are erased" in response.text
    assert response.headers["Cache-Control"] == "no-store"

    assert owned_counts(app, pat, "pat@example.com") == dict.fromkeys(sams, 0)
    assert owned_counts(app, sam, "sam@example.com") == sams  # untouched
    assert count(app, "users", "email = 'doc@example.com'") == 1
    # Signed out, cannot sign in again, and the share link is gone; sam's still opens.
    assert client.get("/entries").status_code == 302
    assert AuthActions(client).login().status_code == 400
    assert app.test_client().get(f"/s/{pat_token}").status_code == 404
    assert app.test_client().get(f"/s/{sam_token}").status_code == 200
    assert sam_client.get("/entries").status_code == 200
    # The address is free again.
    assert AuthActions(app.test_client()).register().status_code == 302


def test_a_deleted_remembered_session_is_not_signed_back_in(app, client, auth):
    auth.register()
    auth.logout()
    auth.login(remember="y")
    response = client.post("/settings/delete", data={"password": PASSWORD})
    assert response.status_code == 200
    assert any(c.startswith("remember_token=;") for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/entries").status_code == 302


@pytest.mark.parametrize(
    ("view", "path", "sent", "table"),
    [
        (checkins, "/checkin", {"date": TODAY.isoformat(), "mood": "5"}, "checkins"),
        (
            sessions,
            "/sessions/new",
            {"started_at": f"{TODAY}T10:00", "product": "ketamine", "route": "iv"},
            "sessions",
        ),
        (
            assessments,
            "/assessments/gad7",
            {"date": TODAY.isoformat(), **{f"q{n}": "1" for n in range(1, 8)}},
            "assessments",
        ),
    ],
)
def test_a_save_as_the_account_is_deleted_elsewhere_signs_out_and_keeps_nothing(
    app, monkeypatch, view, path, sent, table
):
    """The account is deleted on the phone after the save's request read who sent it, and
    before it takes the write lock: the save met a missing `users` row and answered 500. Now
    the person is signed out, as the next request would find them, and told why."""
    client, phone = signed_in_twice(app)
    deleted_first(monkeypatch, view, "write_transaction", phone)
    response = client.post(path, data=sent)
    assert count(app, "users") == 0
    signed_out_as_deleted(
        client, response, path, "Your account has been deleted, so nothing was saved."
    )
    assert count(app, table) == 0


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        (
            "/settings/password",
            {
                "current_password": PASSWORD,
                "new_password": "a new passphrase",
                "confirm": "a new passphrase",
            },
        ),
        ("/settings/delete", {"password": PASSWORD}),
    ],
)
def test_a_password_asked_again_as_the_account_is_deleted_elsewhere_signs_out(
    app, monkeypatch, path, sent
):
    """The account is deleted on the phone after the request read who sent it, before the
    password typed again is checked: the check met no account and answered 500. Now the
    person is signed out and told, as a save is."""
    client, phone = signed_in_twice(app)
    deleted_first(monkeypatch, passwords, "throttle_wait", phone)
    response = client.post(path, data=sent)
    assert count(app, "users") == 0
    signed_out_as_deleted(
        client, response, path, "Your account has been deleted, so nothing was saved."
    )


def test_a_therapist_who_leaves_unlinks_their_patients(app, client, two_people):
    doc = app.test_client()
    AuthActions(doc).login(email="doc@example.com")
    assert count(app, "therapist_links") == 2
    assert doc.post("/settings/delete", data={"password": PASSWORD}).status_code == 200
    assert count(app, "therapist_links") == 0
    assert count(app, "checkins") == 4  # the patients keep everything of their own


def test_delete_needs_the_csrf_token(secure):
    app, client = secure
    for bad in ({}, {"csrf_token": "wrong"}):
        response = client.post("/settings/delete", data={"password": PASSWORD, **bad})
        assert response.status_code == 400
        assert "This form has expired" in response.text
        assert count(app, "users") == 1
    fresh = csrf_token(client.get("/settings/delete"))
    response = client.post("/settings/delete", data={"password": PASSWORD, "csrf_token": fresh})
    assert response.status_code == 200
    assert count(app, "users") == 0


# Recent activity


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        (FIREFOX_ANDROID, "Firefox on Android"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        ("Werkzeug/3.1", "A browser"),
        ("", "A browser"),
        (None, "A browser"),
    ],
)
def test_device_words(user_agent, words):
    assert devices.device_words(user_agent) == words


@pytest.mark.parametrize(
    ("address", "start"),
    [
        ("203.0.113.77", "203.0.113."),
        ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3:"),
        ("2001:0db8:0000::1", "2001:db8:0:"),
        # An IPv4 phone reaching a dual-stack listener (gunicorn bound to [::]).
        ("::ffff:203.0.113.77", "203.0.113."),
        ("fe80::1%eth0", "fe80:0:0:"),
        ("unknown", ""),
        (None, ""),
    ],
)
def test_network_start(address, start):
    assert devices.network_start(address) == start


def test_activity_lists_sign_ins_exports_and_openings(app, client, auth):
    headers = {"User-Agent": FIREFOX_ANDROID}
    client.post(
        "/auth/register",
        data={"email": "pat@example.com", "password": PASSWORD, "timezone": "UTC"},
        headers=headers,
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    client.post("/checkin", data={"date": "2026-01-05", "mood": "6", "reflection": "quiet"})
    auth.logout()
    client.post("/auth/login", data={"email": "pat@example.com", "password": PASSWORD},
                headers={"User-Agent": EDGE_WINDOWS})  # fmt: skip
    assert client.get("/export/data.json").status_code == 200
    assert client.get("/export/checkins.csv").status_code == 200
    assert client.get("/export/report.pdf").status_code == 200
    _, token = share_link(client, "Dr Rivera")
    visitor = app.test_client()
    assert visitor.get(f"/s/{token}").status_code == 200
    assert visitor.get(f"/s/{token}/report.pdf").status_code == 200
    # Someone else's sign-in and export never show.
    other = app.test_client()
    other.post(
        "/auth/register",
        data={"email": "sam@example.com", "password": PASSWORD, "timezone": "UTC"},
        headers={"User-Agent": "Mozilla/5.0 (X11; CrOS x86_64) Chrome/126.0"},
    )
    other.get("/export/sessions.csv")

    # Spread the events a minute apart, in the order they happened.
    pat = user_id(app, "pat@example.com")
    with app.app_context():
        db = get_db()
        events = [("activity", r[0]) for r in db.execute("select id from activity")]
        events += [("share_openings", r[0]) for r in db.execute("select id from share_openings")]
        rows = sorted(events, key=lambda e: (e[0] == "share_openings", e[1]))
        now = clock.now().replace(microsecond=0)
        for n, (table, row_id) in enumerate(rows):
            at = (now - timedelta(minutes=len(rows) - n)).isoformat()
            column = "opened_at" if table == "share_openings" else "at"
            db.execute(f"update {table} set {column} = ? where id = ?", [at, row_id])  # noqa: S608
        details = [r[0] for r in db.execute("select detail from activity where user_id = ?", [pat])]

    page = client.get("/settings/activity").text
    items = re.findall(r'<li class="activity-([a-z-]+)">\s*<div>\s*<strong>([^<]+)</strong>', page)
    assert items == [
        ("link-opened", "Someone with your share link “Dr Rivera” opened it"),
        ("link-opened", "Someone with your share link “Dr Rivera” opened it"),
        ("link-made", "Made a share link"),
        ("export", "Downloaded report.pdf"),
        ("export", "Downloaded checkins.csv"),
        ("export", "Downloaded data.json"),
        ("sign-in", "Signed in"),
        ("sign-in", "Created the account and signed in"),
    ]
    assert page.index("The PDF report was downloaded") < page.index("Downloaded report.pdf")
    assert "Edge on Windows" in page
    assert "Firefox on Android, from an address starting 203.0.113." in page
    assert "203.0.113.77" not in page
    # Only the words: never the User-Agent, the address, a token or the reflection.
    assert FIREFOX_ANDROID not in page and "Gecko" not in str(details)
    assert "203.0.113.77" not in str(details)
    assert token not in page and token not in str(details)
    assert "quiet" not in str(details)
    for detail in details:
        assert set(json.loads(detail)) <= {"how", "device", "network", "file"}
    # Nothing of sam's.
    assert "ChromeOS" not in page and "sessions.csv" not in page


def test_activity_keeps_ninety_days(app, client, patient):
    pat = user_id(app, "pat@example.com")
    old = (clock.now() - timedelta(days=91)).isoformat(timespec="seconds")
    recent = (clock.now() - timedelta(days=89)).isoformat(timespec="seconds")
    with app.app_context():
        db = get_db()
        db.execute(
            "insert into activity (user_id, at, kind, detail) values (?, ?, 'export', ?)",
            [pat, old, json.dumps({"file": "old.csv"})],
        )
        db.execute(
            "insert into activity (user_id, at, kind, detail) values (?, ?, 'export', ?)",
            [pat, recent, json.dumps({"file": "recent.csv"})],
        )
    page = client.get("/settings/activity").text
    assert "Downloaded recent.csv" in page and "old.csv" not in page
    client.get("/export/data.json")  # recording the next event forgets the old row
    assert count(app, "activity", "detail like '%old.csv%'") == 0
    assert count(app, "activity", "detail like '%recent.csv%'") == 1


def test_activity_shows_at_most_a_hundred(app, client, patient):
    for _ in range(account.ACTIVITY_LIMIT + 5):
        client.get("/export/checkins.csv")
    page = client.get("/settings/activity").text
    assert page.count("Downloaded checkins.csv") == account.ACTIVITY_LIMIT
    assert "Only the latest 100 are shown." in page


def test_activity_needs_login(client):
    assert client.get("/settings/activity").location == "/auth/login?next=/settings/activity"


def test_an_erased_account_leaves_nothing_on_the_device(app, client, patient):
    """The browser drops its copies of the person's pages; the page tells the script whose
    check-ins kept on the device to remove (tests/test_browser_signout.py in Chromium)."""
    owner = re.search(r'data-queue-owner="(\w+)"', client.get("/checkin").text)[1]
    response = client.post("/settings/delete", data={"password": PASSWORD})
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert f'data-forget-owner="{owner}"' in response.text


def test_delete_sent_twice_tells_the_second_the_account_is_erased(app, client, patient):
    """A double tap on a slow connection: the second sending, under the sign-in the first
    erased with the account, was sent to log in (/auth/login?next=/settings/delete), so the
    person was not told the account was gone and the device kept their drafts and queue."""
    owner = re.search(r'data-queue-owner="(\w+)"', client.get("/checkin").text)[1]
    page = client.get("/settings/delete").text
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page)[1]
    sent_under = client.get_cookie("session").value  # the browser's cookie at both taps
    form = {"password": PASSWORD, "request_key": key}
    assert f'data-forget-owner="{owner}"' in client.post("/settings/delete", data=form).text
    client.set_cookie("session", sent_under)
    again = client.post("/settings/delete", data=form)
    assert again.status_code == 200
    assert "Your account and all its data are erased" in again.text
    assert f'data-forget-owner="{owner}"' in again.text
    assert again.headers["Cache-Control"] == "no-store"
    # Another form, or the same one once the note has run out, is sent to log in as before.
    other = client.post("/settings/delete", data={**form, "request_key": "another-key"})
    assert other.location == "/auth/login?next=/settings/delete"
    with app.app_context():
        rows = get_db().execute("select * from erasures").fetchall()
        # This form's note, and its sign-in's (for another device: tests/test_browser_signout.py)
        assert len(rows) == 2 and key not in str(rows) and "@" not in str(rows)
    later = clock.timestamp() + account.ERASED_NOTE_SECONDS + 1
    with pytest.MonkeyPatch.context() as m:
        m.setattr(clock, "timestamp", lambda: later)
        assert client.post("/settings/delete", data=form).location == (
            "/auth/login?next=/settings/delete"
        )


@pytest.mark.parametrize("cookie", ["session", "remember me"])
def test_another_device_of_an_erased_account_is_told_and_forgets_what_it_keeps(app, cookie):
    """Erased on one device, the account's other device (its check-ins written offline and
    drafts waiting on it) was sent to log in without a word, and its page never told its
    script whose drafts and queue to forget: they stayed there for whoever used it next."""
    client, phone = signed_in_twice(app)
    owner = re.search(r'data-queue-owner="(\w+)"', phone.get("/checkin").text)[1]
    page = client.get("/settings/delete").text
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page)[1]
    client.post("/settings/delete", data={"password": PASSWORD, "request_key": key})
    if cookie == "remember me":  # the browser was closed: its session cookie went
        phone.delete_cookie("session")
    told = phone.get("/entries", follow_redirects=True)
    assert told.request.path == "/auth/login"
    assert "Your account has been deleted." in told.text
    assert f'<div data-forget-owner="{owner}" hidden></div>' in told.text
    assert "data-forget-owner" not in phone.get("/auth/login").text  # told once
    # A sign-in ended otherwise says nothing of an erasure.
    other = person(app, "sam@example.com")
    cookie = other.get_cookie("session").value
    AuthActions(other).logout()
    other.set_cookie("session", cookie)  # its sign-in ended
    ended = other.get("/entries", follow_redirects=True)
    assert ended.request.path == "/auth/login" and "data-forget-owner" not in ended.text


@pytest.mark.parametrize("first", ["script's fetch", "HEAD"])
def test_an_erased_accounts_other_device_is_told_by_the_page_it_shows_not_a_script(app, first):
    """The other device's first request after the erasure was a script's: the check-in form
    fetching another day (its redirect to the log-in page followed), or a HEAD saying the
    person was still writing. That log-in page, read by the script or never sent, took the
    note to forget, and the page the person then saw left their queue and drafts on the
    device; once it no longer did, it took the message, and the page forgot their drafts
    without a word of why."""
    client, phone = signed_in_twice(app)
    owner = re.search(r'data-queue-owner="(\w+)"', phone.get("/checkin").text)[1]
    page = client.get("/settings/delete").text
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page)[1]
    client.post("/settings/delete", data={"password": PASSWORD, "request_key": key})
    if first == "HEAD":
        assert phone.head("/checkin").status_code == 302
        phone.head("/auth/login")
    else:
        fetched = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
        phone.get("/checkin?date=2026-12-01", headers=fetched, follow_redirects=True)
    shown = phone.get("/entries", follow_redirects=True)
    assert shown.request.path == "/auth/login"
    assert f'<div data-forget-owner="{owner}" hidden></div>' in shown.text
    # Said with it: the message the script's page took too, and the drafts went without a word.
    assert "Your account has been deleted." in shown.text
    again = phone.get("/auth/login").text
    assert "data-forget-owner" not in again and "has been deleted" not in again  # told once


def test_delete_sent_twice_as_the_first_erases_tells_the_second_the_account_is_erased(
    app, monkeypatch
):
    """The first sending erases the account while the second is checking the password: the
    second found no account and sent the person to log in, not to the erased page."""
    client, phone = signed_in_twice(app)
    owner = re.search(r'data-queue-owner="(\w+)"', client.get("/checkin").text)[1]
    page = client.get("/settings/delete").text
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page)[1]
    deleted_first(monkeypatch, passwords, "throttle_wait", phone, request_key=key)
    again = client.post("/settings/delete", data={"password": PASSWORD, "request_key": key})
    assert again.status_code == 200
    assert f'data-forget-owner="{owner}"' in again.text
    assert not signed_in(client)
