"""Fixtures in the shape of Flask's tutorial (app, client, runner, auth), plus a live gunicorn
server and Chromium settings for the browser tests.

The clock: the in-process app's clock (journal/clock.py) is held at `factories.NOW`, noon UTC
of the day the run starts, for every test, so a run never straddles midnight and "today" is
`factories.TODAY` (re-exported here) for the tests and the app alike. A test that needs time to
pass moves it with `clock.set` (reset before the next test) or passes `now=`. The browser
tests' live server follows the real clock (see `live_server`).

The database: one migrated template file per session; each test's app gets a copy of it, and
the `app` fixture is one app for the whole session pointed at that copy (its config and
before-request hooks restored after each test). `make_app` builds a new app for a test that
needs another config.
"""

import os
import re
import shutil
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from io import BytesIO

import pytest
from factories import NOW, PASSWORD, TODAY, invitation  # noqa: F401 - re-exported
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from live import FAST_HASH, ROOT, TOKEN, LiveServer, free_port, wait_until_healthy  # noqa: F401
from playwright.sync_api import Locator, expect
from pypdf import PdfReader

from journal import Journal, clock, create_app, mail

# Debian's chromium, as the Makefile installs it. TEST_CHROMIUM names another build of the
# same Chromium for a local run: Debian's `chromium-headless-shell` (what Playwright itself
# runs headless) took the whole suite from 4 min 39 s to 3 min 1 s here (README, Tests).
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test",
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": FAST_HASH,
    # Tests make staff everywhere and expect the caseload at once; tests/test_two_factor.py
    # turns the rule on for its own tests.
    "REQUIRE_2FA_FOR_STAFF": False,
}


class CompiledTemplates(BytecodeCache):
    """Each template compiled once per test process and kept in memory, for every app a test
    builds (about 90 in a run, each of which compiled all its templates again: a twentieth of
    the run). Jinja keys a template's code by its name and checks it against the source."""

    def __init__(self):
        self.codes = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.codes:  # (a changed source's checksum differs: recompiled)
            bucket.bytecode_from_string(self.codes[bucket.key])

    def dump_bytecode(self, bucket):
        self.codes[bucket.key] = bucket.bytecode_to_string()


Journal.jinja_options = {**Journal.jinja_options, "bytecode_cache": CompiledTemplates()}


def pytest_configure(config):
    """Hold the clock from the start, for anything made before the first fixture runs."""
    clock.set(NOW)


def pytest_unconfigure(config):
    clock.reset()


@pytest.fixture(autouse=True)
def held_clock():
    """Every test starts at `NOW`, whatever the one before did with the clock."""
    clock.set(NOW)
    yield
    clock.set(NOW)


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    """A database with every migration applied, made once; tests get copies of it."""
    folder = tmp_path_factory.mktemp("template")
    create_app({**TEST_CONFIG, "DATABASE": str(folder / "journal.sqlite3")})
    return folder / "journal.sqlite3"


def fresh_database(tmp_path, template=None):
    """A copy of the migrated template at `tmp_path/journal.sqlite3` (left alone if the file is
    there already: a second app on the same folder shares its database, as before)."""
    path = tmp_path / "journal.sqlite3"
    template = template or _TEMPLATE.get("path")
    if template is not None and not path.exists():
        shutil.copy(template, path)
    return path


_TEMPLATE = {}


@pytest.fixture(scope="session", autouse=True)
def _remember_template(template_database):
    _TEMPLATE["path"] = template_database


class ClosingClient(FlaskClient):
    """Flask's test client, but each answer read whole and closed at once, as a WSGI server
    does once it has sent it: what a view leaves for after its answer (`call_on_close`, the
    reset mail) runs before the test goes on, not whenever the response is collected; and a
    mail it started on a thread of its own (`mail.in_background`) has been sent."""

    def open(self, *args, buffered=True, **kwargs):
        response = super().open(*args, buffered=buffered, **kwargs)
        if buffered:
            wait_for_mail()
        return response


def wait_for_mail():
    """Wait until every mail being sent (`journal.mail.in_background`) has gone."""
    for thread in threading.enumerate():
        if thread.name == mail.SENDER:
            thread.join()


def make_app(tmp_path, **config):
    """A new app on a fresh database in `tmp_path` (a copy of the migrated template)."""
    database = fresh_database(tmp_path)
    app = create_app({**TEST_CONFIG, "DATABASE": str(database), **config})
    app.test_client_class = ClosingClient
    return app


@pytest.fixture(scope="session")
def session_app(tmp_path_factory, template_database):
    """One app for the whole run (building one costs more than most tests)."""
    return make_app(tmp_path_factory.mktemp("session-app"))


@pytest.fixture
def app(session_app, tmp_path):
    """The session's app on a fresh database of this test's own."""
    from journal.db import forget_connections

    config = dict(session_app.config)
    hooks = {key: list(funcs) for key, funcs in session_app.before_request_funcs.items()}
    session_app.config["DATABASE"] = str(fresh_database(tmp_path))
    yield session_app
    forget_connections()
    session_app.config.clear()
    session_app.config.update(config)
    session_app.before_request_funcs.clear()
    session_app.before_request_funcs.update(hooks)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(response):
    """The CSRF token in a rendered form."""
    match = TOKEN.search(response.text)
    assert match, "no csrf_token in the page"
    return match.group(1)


def error_for(response, field):
    """The error message shown at form field `field`, or None."""
    match = re.search(rf'id="{field}-error">([^<]+)<', response.text)
    return match.group(1) if match else None


@contextmanager
def traced(app=None):
    """The SQL statements run inside the block, in order (sqlite's trace): in this request
    context's connection, or with `app`, in every request the block's clients make, traced
    from the first thing each does."""
    from journal.db import get_db

    statements = []

    def trace():
        get_db().conn.set_trace_callback(statements.append)

    if app is None:
        trace()
        try:
            yield statements
        finally:
            get_db().conn.set_trace_callback(None)
        return
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, trace)
    try:
        yield statements
    finally:
        hooks.remove(trace)
        with app.app_context():
            get_db().conn.set_trace_callback(None)


def asked_twice(statements):
    """The statements among `statements` run more than once."""
    return [s for s, n in Counter(statements).items() if n > 1]


class AuthActions:
    """Register and log in people through the real forms."""

    def __init__(self, client):
        self._client = client

    def register(self, email="pat@example.com", password=PASSWORD, timezone="UTC", **extra):
        """Sign up through the register form; a therapist (role="therapist") through the
        form of an admin's invitation, the one way a therapist joins by default."""
        return self._client.post(
            register_path(self._client.application, extra),
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


def register_path(app, extra):
    """Where a person signs up: /auth/register, or for a therapist (unless the app lets
    therapists sign up openly) a new invitation's page; `role` then leaves `extra`."""
    if extra.get("role") == "therapist" and not app.config.get("OPEN_THERAPIST_SIGNUP"):
        extra.pop("role")
        return invitation(app, "therapist")
    return "/auth/register"


def register_with_csrf(client, email="pat@example.com", **extra):
    """Sign up through the real form with its CSRF token, as a browser does when CSRF is on."""
    path = register_path(client.application, extra)
    token = csrf_token(client.get(path))
    data = {"email": email, "password": PASSWORD, "timezone": "UTC", "csrf_token": token}
    response = client.post(path, data={**data, **extra})
    assert response.status_code == 302
    return client


@pytest.fixture
def secure(app):
    """CSRF on, as in production, and a patient signed in through the real forms: (app, client).
    (flask-wtf reads WTF_CSRF_ENABLED on each request; the `app` fixture restores it after.)"""
    app.config["WTF_CSRF_ENABLED"] = True
    return app, register_with_csrf(app.test_client())


def relative_luminance(rgb):
    """WCAG's relative luminance of an sRGB colour, (red, green, blue) each from 0 to 1."""
    red, green, blue = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def pdf_pages(data):
    """The text of each page of the PDF `data`, as pypdf extracts it."""
    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]


def pdf_text(data):
    """The text of the PDF `data`, its pages one after another."""
    return "\n".join(pdf_pages(data))


def contrast_ratio(a, b):
    """WCAG's contrast ratio of two sRGB colours (as relative_luminance takes them)."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


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
def report_builds(monkeypatch):
    """The report PDFs built during the test, one entry each: the real
    `journal.reports.pdf.report_pdf`, counted as it is called (a HEAD or a refused request
    builds none)."""
    from journal.reports import pdf

    builds = []
    build = pdf.report_pdf

    def counted(*args, **kwargs):
        builds.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(pdf, "report_pdf", counted)
    return builds


def refused_after(client, path, builds, window_seconds):
    """GET `path` `builds` times, ten seconds apart on the app's clock, each answered 200; then
    once more: (that answer, a 429, and its Retry-After in seconds, within `window_seconds`)."""
    for _ in range(builds):
        assert client.get(path).status_code == 200
        clock.set(clock.now() + timedelta(seconds=10))
    refused = client.get(path)
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= window_seconds
    return refused, wait


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


# The live server's database, for what a test must make outside the browser (an admin's
# invitation: `factories.invitation_on`).
LIVE = {}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """gunicorn (tests/live.py) on the real clock, not the held one: the browser keeps its own
    real clock (its "today" for a check-in kept offline, the times it stamps), and some browser
    tests wait for real time to pass between saves (stored times have whole seconds), so the
    server must see the same time as the browser. Those tests take "today" from the server's
    own pages, never from `TODAY`."""
    with LiveServer(tmp_path_factory.mktemp("live")) as server:
        LIVE["database"] = server.database
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


def tapped_in_front(tap):
    """`tap` that first brings the tab to the front, as a person's tap can only land on the tab
    they are looking at. Chromium acknowledges a touch on a tab behind another only after
    seconds (it draws no frames for it): a test that went back to its first tab after opening a
    second spent 2 to 4 s on each tap, 11 s of one test (clicks are not held back; bringing a
    tab to the front takes a millisecond or two)."""

    def tap_in_front(self, *args, **kwargs):
        self.page.bring_to_front()
        return tap(self, *args, **kwargs)

    return tap_in_front


Locator.tap = tapped_in_front(Locator.tap)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A phone's screen, 390 by 844 CSS pixels, touch. Drawn at one device pixel per CSS pixel:
    the layout a test sees is the same at any pixel density (no test compares pictures), and
    Chromium's drawing at two took a sixth more of its CPU, the most of any test run's time."""
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 1,
    }
