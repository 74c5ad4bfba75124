"""Fixtures in the shape of Flask's tutorial (app, client, runner, auth), plus a live server
and Chromium settings for the browser tests."""

import os
import re
import threading

import pytest
from werkzeug.serving import make_server

from journal import create_app

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

    def login(self, email="pat@example.com", password=PASSWORD, **extra):
        return self._client.post(
            "/auth/login", data={"email": email, "password": password, **extra}
        )

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


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


class LiveServer:
    """The app served by werkzeug in a thread, with CSRF on, as people use it."""

    def __init__(self, tmp_path):
        self.app = make_app(tmp_path, WTF_CSRF_ENABLED=True, TESTING=False)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="session")
def base_url(live_server):
    # Overrides pytest-playwright's own fixture (which warns under pytest 9).
    return live_server.url


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
