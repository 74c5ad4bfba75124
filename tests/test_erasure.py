"""Proof: after an account is deleted, its words are absent from the database files.

Two people write; one deletes the account; then the bytes of the SQLite file, its -wal and
its -shm are read. The leaver's words, name and email must be in none of them, while the
other person's words are still there. Once through the test client, and once over HTTP
against gunicorn, whose workers each keep an idle connection open (journal/db.py).
"""

import http.cookiejar
import sqlite3
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import PASSWORD, LiveServer, make_app

# Strings found nowhere else: what must go, and what must stay.
LEAVER = "Qzv7-leaver-words"
STAYER = "Kxw3-stayer-words"
LEAVER_EMAIL = "qzv7-leaver@example.com"
STAYER_EMAIL = "kxw3-stayer@example.com"


def files(database):
    """The database file and its -wal and -shm companions, those that exist."""
    database = Path(database)
    paths = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    return [p for p in paths if p.exists()]


def found(database, text):
    """The names of the database files whose bytes contain `text` (UTF-8)."""
    needle = text.encode("utf-8")
    return [p.name for p in files(database) if needle in p.read_bytes()]


def writings(marker):
    """(url, form) pairs that put `marker` into every kind of text a person writes."""
    long = " ".join([f"{marker} on a long day"] * 400)  # spills into overflow pages
    return [
        ("/checkin", {"date": "2026-01-05", "mood": "6", "reflection": f"{marker} short"}),
        ("/checkin", {"date": "2026-01-06", "mood": "4", "reflection": long, "tags": marker}),
        (
            "/sessions/new",
            {"started_at": "2026-01-04T10:00", "product": "ketamine", "route": "iv",
             "clinic": marker, "intention": marker, "reflection": long},
        ),
        ("/settings/symptoms", {"name": marker[:20]}),
        ("/share", {"label": marker, "days": "7"}),
    ]  # fmt: skip


def test_deleted_words_leave_the_database_files(tmp_path):
    app = make_app(tmp_path)
    database = app.config["DATABASE"]
    people = {}
    for email, marker in ((LEAVER_EMAIL, LEAVER), (STAYER_EMAIL, STAYER)):
        client = app.test_client()
        response = client.post(
            "/auth/register",
            data={"email": email, "password": PASSWORD, "timezone": "UTC",
                  "display_name": f"{marker} name"},
        )  # fmt: skip
        assert response.status_code == 302
        for url, form in writings(marker):
            assert client.post(url, data=form).status_code in (201, 302), url
        people[email] = client
    assert found(database, LEAVER), "the words should be in the files before the deletion"
    assert found(database, LEAVER_EMAIL)

    response = people[LEAVER_EMAIL].post("/settings/delete", data={"password": PASSWORD})
    assert response.status_code == 200
    assert "Your account and all its data are erased" in response.text

    assert found(database, LEAVER) == []
    assert found(database, LEAVER_EMAIL) == []
    assert found(database, STAYER)
    assert Path(f"{database}-wal").stat().st_size == 0  # the checkpoint emptied the log
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


class Browser:
    """A cookie-keeping HTTP client that sends forms with their CSRF token."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path):
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path, form, page=None):
        """POST `form` to `path` with the token of `page` (default: `path` itself)."""
        token = csrf(self.get(page or path))
        body = urllib.parse.urlencode({**form, "csrf_token": token}, doseq=True).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def csrf(page):
    marker = 'name="csrf_token" type="hidden" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


@pytest.mark.subprocess
def test_deleted_words_leave_the_files_of_a_running_server(tmp_path):
    with LiveServer(tmp_path, workers=2) as server:
        people = {}
        for email, marker in ((LEAVER_EMAIL, LEAVER), (STAYER_EMAIL, STAYER)):
            browser = Browser(server.url)
            status, _ = browser.post(
                "/auth/register",
                {"email": email, "password": PASSWORD, "timezone": "UTC",
                 "display_name": f"{marker} name"},
            )  # fmt: skip
            assert status == 200, "registering redirects to the check-in page"
            for url, form in writings(marker):
                page = "/sessions/new" if url == "/sessions/new" else url
                status, _ = browser.post(url, form, page=page)
                assert status in (200, 201), url
            people[email] = browser
        for _ in range(20):  # reach both workers, so each holds its idle connection
            people[STAYER_EMAIL].get("/entries")
        assert found(server.database, LEAVER)

        status, page = people[LEAVER_EMAIL].post("/settings/delete", {"password": PASSWORD})
        assert status == 200
        assert "Your account and all its data are erased" in page

        # Read while the server runs, its workers' connections open.
        assert found(server.database, LEAVER) == []
        assert found(server.database, LEAVER_EMAIL) == []
        assert found(server.database, STAYER)
        assert Path(f"{server.database}-wal").stat().st_size == 0
        assert STAYER in people[STAYER_EMAIL].get("/entries/2026-01-05")
