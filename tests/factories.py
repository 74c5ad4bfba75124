"""The tests' moment, and what they make: people, check-ins, sessions and scores.

`NOW` is noon UTC of the day the run starts; tests/conftest.py holds the app's clock
(journal/clock.py) there for every test, so `TODAY` is "today" for the tests and the app alike
and a run never straddles midnight. Test modules import `TODAY` (or `NOW`) from here (or from
conftest) instead of reading the system clock.

Two kinds of factory:
- through the real forms, with a test client (`person`, `therapist`, `make_admin`, `checkin`,
  `session`, `take`, `invite_code`, `link` and `share_link`): what a person would do, the
  app's own checks included;
- straight into the database through sqlite-utils (`insert`, `add_session`, `add_assessment`,
  `new_user`; `sql` and `user_id` read it): history in bulk, or rows the forms would refuse
  (days long past, fixed time stamps). These take the app (or, for `new_user`, an open
  `Database`, as the benchmarks use).
"""

import os
import re
from datetime import UTC, date, datetime, time


def run_day():
    """The day the tests run as: TEST_TODAY=YYYY-MM-DD (a month's last day, a leap day, a day
    the clocks change, to find a test or a page that holds only on some days), else today."""
    given = os.environ.get("TEST_TODAY")
    if not given:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(given)
    except ValueError:
        raise ValueError(f"TEST_TODAY={given!r}: give a day as YYYY-MM-DD") from None


NOW = datetime.combine(run_day(), time(12), UTC)
TODAY = NOW.date()
# A time zone where NOW is already tomorrow, all year: UTC+14 with no summer time, so NOW is
# 02:00 tomorrow there. (In Auckland it is 01:00 tomorrow only in the southern summer: in its
# winter it is 00:00, and nothing dated tomorrow has taken place yet.)
DAY_AHEAD = "Pacific/Kiritimati"
PASSWORD = "correct horse battery"
ADMIN_PASSWORD = "the clinic's own passphrase"
# Rows written straight into a database share one made-up time stamp.
STAMP = "2026-01-01T00:00:00+00:00"


# Through the real forms.


def person(app, email, role="patient", **extra):
    """A test client signed in as a newly registered person (the welcome flash read)."""
    from conftest import AuthActions

    client = app.test_client()
    response = AuthActions(client).register(email=email, role=role, **extra)
    assert response.status_code == 302, response.text
    client.get(response.location)  # read the welcome flash
    return client


def signed_in(client):
    """Whether `client` is still signed in: their settings open (a page every role reaches,
    a therapist before two-factor too) rather than sending them to log in."""
    return client.get("/settings").status_code == 200


def signed_in_twice(app, email="pat@example.com"):
    """A patient with a check-in today, signed in on two browsers, the second with "Keep me
    signed in": (client, phone). What ends every sign-in (a password reset) ends both."""
    from conftest import AuthActions

    client = person(app, email)
    checkin(client, NOW.date().isoformat(), 6, reflection="A calm morning")
    phone = app.test_client()
    assert AuthActions(phone).login(email=email, remember="y").status_code == 302
    return client, phone


def deleted_first(monkeypatch, module, name, device, password=PASSWORD, request_key=None):
    """Make `module.name`, a function a request calls midway, first have the account signed in
    on `device` (a test client) deleted, by a request of that device in another thread (by the
    deletion form of `request_key`, if given), then run as it was: the deletion lands after
    the request read who sent it, as one on another device or tab would."""
    import threading

    original = getattr(module, name)
    deleted = []  # once: the deletion's own request may call it too

    def deleted_on_the_other_device_first(*args, **kwargs):
        if not deleted:
            deleted.append(True)
            other_device = threading.Thread(
                target=device.post,
                args=["/settings/delete"],
                kwargs={"data": {"password": password, "request_key": request_key or ""}},
            )
            other_device.start()
            other_device.join()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, deleted_on_the_other_device_first)


def signed_out_as_deleted(client, response, path, told=None):
    """Check the answer to a request of `client` whose account was deleted on another device
    midway (`deleted_first`): sent to log in, back to `path`, the log-in page saying why
    (`told`, by default people.ACCOUNT_GONE) and telling the device's script whose drafts and
    queue to forget, and the sign-in ended. The log-in page's text, for what it must not say."""
    from journal.people import ACCOUNT_GONE

    told = ACCOUNT_GONE if told is None else told
    assert response.status_code == 302
    assert response.location == f"/auth/login?next={path}"
    page = client.get("/auth/login").text
    assert told in page
    assert "<div data-forget-owner=" in page  # the device forgets the person's drafts, queue
    assert not signed_in(client)
    return page


def therapist(app, email="doc@example.com", **extra):
    """A test client signed in as a newly registered therapist, Dr Rivera (registered from an
    admin's invitation, the one way a therapist joins by default: see `invitation`)."""
    return person(app, email, role="therapist", display_name="Dr Rivera", **extra)


def make_admin(app, email="boss@example.com"):
    """An admin from the command line (`flask create-admin`); the client signed in as them."""
    from conftest import AuthActions

    result = app.test_cli_runner().invoke(
        args=["create-admin", email], input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    response = AuthActions(client).login(email=email, password=ADMIN_PASSWORD)
    assert response.status_code == 302
    assert response.location == "/admin"
    return client


def invite_code(client):
    """The invite code on the caseload of the therapist signed in on `client`."""
    response = client.get("/caseload")
    assert response.status_code == 200
    match = re.search(r'id="invite-code">([^<]+)<', response.text)
    assert match, "no invite code on the caseload"
    return match.group(1)


SHARE_TOKEN = re.compile(r"/s/([A-Za-z0-9_-]{43})")


def share_link(client, label="Dr Rivera", days="14"):
    """Make a share link through the /share form as the patient signed in on `client`;
    (the form's answer, the link's token)."""
    response = client.post("/share", data={"label": label, "days": days})
    assert response.status_code == 201, response.text
    return response, SHARE_TOKEN.search(response.text).group(1)


def link(client, code):
    """Link the patient signed in on `client` to the therapist whose invite code is `code`,
    through the settings form; its answer."""
    return client.post("/settings/therapist", data={"invite_code": code})


def invitation(app, role="therapist", email=None):
    """The path of a new invitation to register as `role` (`/auth/invite/<token>`), made
    straight into the database as an admin's would be (journal/onetime.py)."""
    from journal import onetime
    from journal.db import get_db

    with app.app_context():
        return f"/auth/invite/{onetime.make_invitation(get_db(), role, email)}"


def invitation_on(database, role="therapist"):
    """The path of a new invitation made straight into the database file `database` (a live
    server's, for the browser tests)."""
    from journal import onetime
    from journal.data import connect

    db = connect(str(database))
    try:
        return f"/auth/invite/{onetime.make_invitation(db, role)}"
    finally:
        db.close()


def reset_link(app, user_id):
    """The path of a new password-reset link for `user_id` (`/auth/reset/<token>`)."""
    from journal import onetime
    from journal.db import get_db

    with app.app_context():
        return f"/auth/reset/{onetime.make_reset(get_db(), user_id)}"


def checkin(client, day, mood, read_flash=True, **extra):
    """Check in on `day` (ISO text) through the form; the redirect's answer."""
    response = client.post("/checkin", data={"date": day, "mood": str(mood), **extra})
    assert response.status_code == 302, response.text
    if read_flash:
        client.get(response.location)  # read the flash, as a person would
    return response


def session(client, day, **extra):
    """Log a ketamine IV session at 10:00 on `day` through the form."""
    data = {"started_at": f"{day}T10:00", "product": "ketamine", "route": "iv", **extra}
    response = client.post("/sessions/new", data=data)
    assert response.status_code == 302, response.text
    client.get(response.location)
    return response


def take(client, kind, day, answers, difficulty=None, read_flash=False):
    """Take questionnaire `kind` (phq9, gad7) on `day` with `answers` through the form."""
    form = {"date": day, **{f"q{n}": str(a) for n, a in enumerate(answers, start=1)}}
    if difficulty is not None:
        form["difficulty"] = str(difficulty)
    response = client.post(f"/assessments/{kind}", data=form)
    assert response.status_code == 302, response.text
    if read_flash:
        client.get(response.location)
    return response


# Straight into the database.


def insert(app, table, user_id=1, stamp=STAMP, **row):
    """Insert one row of `user_id` into `table` with made-up time stamps; its id."""
    from journal.db import get_db

    stamps = {"created_at": stamp}
    if table != "assessments":
        stamps["updated_at"] = stamp
    with app.app_context():
        return get_db()[table].insert({"user_id": user_id, **stamps, **row}).last_pk


def add_session(app, day, user_id=1, hour=15, stamp=STAMP, **row):
    """A ketamine IV session (unless `row` says otherwise) at `hour`:00 UTC on `day`; its id."""
    values = {"product": "ketamine", "route": "iv", **row}
    started_at = f"{day}T{hour:02d}:00:00+00:00"
    return insert(app, "sessions", user_id, stamp, started_at=started_at, day=day, **values)


def add_assessment(app, kind, day, total, user_id=1, answers="[]", stamp=STAMP, **row):
    """A stored questionnaire score; its id."""
    values = {"kind": kind, "day": day, "answers": answers, "total": total, **row}
    return insert(app, "assessments", user_id, stamp, **values)


def sql(app, statement, params=()):
    """The rows of one SQL statement on the app's database."""
    from journal.db import get_db

    with app.app_context():
        return get_db().execute(statement, params).fetchall()


def user_id(app, email):
    """The id of the account with `email`."""
    return sql(app, "select id from users where email = ?", [email])[0][0]


def new_user(db, **user):
    """Insert a users row (columns from `user`, in UTC unless told) into the open sqlite-utils
    `db`; its id. For the benchmarks' databases."""
    from journal.data import users

    return users.insert(db, {"timezone": "UTC", "created_at": STAMP, **user})
