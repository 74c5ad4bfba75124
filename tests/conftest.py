"""Fixtures in the shape of Flask's tutorial (app, client, runner, auth), plus a live gunicorn
server and Chromium settings for the browser tests."""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from journal import create_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
# Cheap hashing keeps the suite fast; production uses werkzeug's default (scrypt).
FAST_HASH = "pbkdf2:sha256:1000"
# The whole run, with room to spare: the suite takes about six minutes on a quiet machine.
RUN_MARGIN = timedelta(minutes=15)


def pytest_configure(config):
    """Tests take "today" as the UTC day they start on (the people they register live in UTC),
    and several modules fix it when imported. A run that would straddle midnight UTC waits for
    the new day instead of failing wherever the date turns. MIDNIGHT_WAIT=0 skips this (for
    a short run of a few tests)."""
    if os.environ.get("MIDNIGHT_WAIT") == "0":
        return
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    if midnight - now < RUN_MARGIN:
        wait = (midnight - now).total_seconds() + 5
        print(f"Midnight UTC is near: waiting {wait:.0f} s for the new day.", file=sys.__stderr__)
        time.sleep(wait)


def make_app(tmp_path, **config):
    """An app on a fresh database in `tmp_path`."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE": str(tmp_path / "journal.sqlite3"),
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": FAST_HASH,
            **config,
        }
    )


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(response):
    """The CSRF token in a rendered form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text)
    if match is None:
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match, "no csrf_token in the page"
    return match.group(1)


class AuthActions:
    """Register and log in people through the real forms."""

    def __init__(self, client):
        self._client = client

    def register(self, email="pat@example.com", password=PASSWORD, timezone="UTC", **extra):
        return self._client.post(
            "/auth/register",
            data={"email": email, "password": password, "timezone": timezone, **extra},
        )

    def login(self, email="pat@example.com", password=PASSWORD, next_=None, **extra):
        url = "/auth/login" if next_ is None else f"/auth/login?next={next_}"
        return self._client.post(url, data={"email": email, "password": password, **extra})

    def login_again(self, next_):
        """Sign up, log out, and log back in from `/auth/login?next=` `next_` (as it goes in
        the URL, escapes and all): the log-in's answer."""
        self.register()
        self.logout()
        return self.login(next_=next_)

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def register_with_csrf(client, email="pat@example.com", **extra):
    """Sign up through the real form with its CSRF token, as a browser does when CSRF is on."""
    token = csrf_token(client.get("/auth/register"))
    data = {"email": email, "password": PASSWORD, "timezone": "UTC", "csrf_token": token}
    response = client.post("/auth/register", data={**data, **extra})
    assert response.status_code == 302
    return client


@pytest.fixture
def secure(tmp_path):
    """CSRF on, as in production, and a patient signed in through the real forms: (app, client)."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    return app, register_with_csrf(app.test_client())


def unlabelled_inputs(html):
    """The ids of the inputs, selects and text areas in `html` that no <label for> names.

    Hidden inputs need none; radio buttons sit inside their <label>.
    """
    missing = []
    for match in re.finditer(r"<(input|select|textarea)\b([^>]*)>", html):
        attrs = match.group(2)
        if 'type="hidden"' in attrs or 'type="radio"' in attrs:
            continue
        field_id = re.search(r'id="([^"]+)"', attrs).group(1)
        if f'for="{field_id}"' not in html:
            missing.append(field_id)
    return missing


@pytest.fixture
def patient(auth):
    """A signed-in patient in UTC."""
    response = auth.register()
    assert response.status_code == 302
    return auth


def pytest_sessionfinish(session, exitstatus):
    """With CI=true nothing may be skipped: a skip fails the run."""
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; failing the run.", red=True)
        session.exitstatus = 1


# Browser tests: a real server on a free loopback port, Debian's Chromium at a phone's size.


def free_port():
    """A free TCP port on the loopback address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url, process, seconds=15):
    """Poll /healthz until the server answers; fail with its output if it dies first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


class LiveServer:
    """The app served by gunicorn, as in production, with CSRF on and a fresh database."""

    def __init__(self, tmp_path, workers=2):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.database = tmp_path / "live.sqlite3"
        self.command = [
            sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", "4",
            "--bind", self.url.removeprefix("http://"), "journal:create_app()",
        ]  # fmt: skip
        self.env = {
            **os.environ,
            "JOURNAL_DATABASE": str(self.database),
            "JOURNAL_SECRET_KEY": "live-server",
            "JOURNAL_PASSWORD_HASH_METHOD": FAST_HASH,
        }
        self.log = tmp_path / "gunicorn.log"

    def __enter__(self):
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_until_healthy(self.url, self.process)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=15)

    def query(self, sql, *args):
        """Rows from the server's database, opened read-only (what it stored, as it is)."""
        uri = f"file:{self.database}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as db:
            return db.execute(sql, args).fetchall()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="session")
def base_url(live_server):
    # Overrides pytest-playwright's own fixture (which warns under pytest 9).
    return live_server.url


@pytest.fixture(scope="session", autouse=True)
def patient_expectations():
    """A busy CI machine can take longer than Playwright's default 5 s to draw a page; the
    assertions stay the same, they wait up to 15 s."""
    expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_FLAGS],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    }
