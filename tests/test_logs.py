"""Logs: a JSON line for every request, and never a word, password, token or query string."""

import contextlib
import io
import json
import logging
import re
import sys
import time
import urllib.error
import urllib.request

import pytest
from conftest import ROOT, LiveServer, make_app
from factories import invitation, person, reset_link, share_link

from journal.data import users
from journal.db import get_db
from journal.logs import JsonFormatter, redact_path

REFLECTION = "reflection marker 7f3a9c"
PASSWORD = "password marker 51e0b2"
WRONG_PASSWORD = "wrong password marker c04d"
EMAIL = "logs-marker@example.com"


@pytest.fixture
def log_output():
    """What the app's logger writes as JSON lines while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("journal")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def request_lines(text):
    """The per-request lines, as dicts."""
    lines = [json.loads(line) for line in text.splitlines()]
    return [line for line in lines if line["logger"] == "journal.request"]


def test_request_lines_say_what_happened_and_nothing_that_was_written(client, auth, log_output):
    assert auth.register(email=EMAIL, password=PASSWORD).status_code == 302
    response = client.post(
        "/checkin", data={"date": "2026-01-05", "mood": "4", "reflection": REFLECTION}
    )
    assert response.status_code == 302
    _, token = share_link(client)
    assert client.get(f"/s/{token}?from=query-marker-1").status_code == 200
    client.get("/calendar/calendar-secret-marker.ics?query-marker-2")
    auth.logout()
    assert auth.login(email=EMAIL, password=WRONG_PASSWORD).status_code != 302

    text = log_output.getvalue()
    for secret in (REFLECTION, PASSWORD, WRONG_PASSWORD, EMAIL, token, "calendar-secret-marker"):
        assert secret not in text
    assert "query-marker" not in text

    lines = request_lines(text)
    seen = {(line["method"], line["path"], line["status"]) for line in lines}
    assert ("POST", "/checkin", 302) in seen
    assert ("GET", "/s/[redacted]", 200) in seen
    assert any(method == "POST" and path == "/auth/login" for method, path, _ in seen)
    assert any(line["path"] == "/calendar/[redacted].ics" for line in lines)
    for line in lines:
        assert set(line) >= {"time", "level", "message", "request_id", "duration_ms"}
        assert isinstance(line["duration_ms"], float)
    checkin = next(line for line in lines if line["path"] == "/checkin")
    assert isinstance(checkin["user_id"], int)


def test_reset_and_invitation_links_opened_leave_no_token_in_the_log(app, client, log_output):
    person(app, "pat@example.com")
    with app.app_context():
        user_id = users.by_email(get_db(), "pat@example.com")["id"]
    reset, invite = reset_link(app, user_id), invitation(app)
    assert client.get(reset).status_code == 200
    assert client.get(invite).status_code == 200

    text = log_output.getvalue()
    for path in (reset, invite):
        assert path.rsplit("/", 1)[1] not in text
    paths = {line["path"] for line in request_lines(text)}
    assert {"/auth/reset/[redacted]", "/auth/invite/[redacted]"} <= paths


@pytest.mark.parametrize(
    ("offered", "kept"),
    [("nginx-0123456789abcdef", True), ("short", False), ("x" * 65, False), ("a b c d e f", False)],
)
def test_request_id_from_the_proxy_is_kept_only_when_it_looks_like_one(
    client, log_output, offered, kept
):
    response = client.get("/help", headers={"X-Request-ID": offered})
    given = response.headers["X-Request-ID"]
    assert (given == offered) is kept
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", given)
    (line,) = request_lines(log_output.getvalue())
    assert line["request_id"] == given


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/s/abcDEF123_-", "/s/[redacted]"),
        ("/s/abc/charts/mood.svg", "/s/[redacted]/charts/mood.svg"),
        ("/s/abc/report.pdf", "/s/[redacted]/report.pdf"),
        ("/s//abc", "/s//[redacted]"),
        ("/s/a b/report.pdf", "/s/[redacted]/report.pdf"),
        ("/s/a\nforged line", "/s/[redacted]"),
        ("/calendar/abc.ics", "/calendar/[redacted].ics"),
        ("/calendar/abc", "/calendar/[redacted]"),
        ("/auth/reset/AbC-_12", "/auth/reset/[redacted]"),
        ("/auth/invite/AbC-_12", "/auth/invite/[redacted]"),
        ("/auth//reset//AbC", "/auth//reset//[redacted]"),
        # A secret after another part, which the patterns by place missed (kept whole).
        (f"/s/./{'T' * 43}", "/s/[redacted]/[redacted]"),
        (f"/s/s/{'T' * 43}/report.pdf", "/s/[redacted]/[redacted]/report.pdf"),
        (f"/calendar/./{'T' * 42}_.ics", "/calendar/[redacted]/[redacted].ics"),
        (f"/auth/reset/./{'T' * 43}", "/auth/reset/[redacted]/[redacted]"),
        ("/auth/forgot", "/auth/forgot"),
        ("/sessions/3", "/sessions/3"),
        ("/entries/2026-01-05/edit", "/entries/2026-01-05/edit"),
        ("/entries/é", "/entries/%C3%A9"),
    ],
)
def test_redact_path(path, logged):
    assert redact_path(path) == logged


def nginx_log_path(uri):
    """What the nginx set-up in docs/OPERATIONS.md logs for `uri`: its `map $uri
    $afterglow_path` read as nginx reads it (the regexes in order, the first that matches
    gives the value with its named captures put in; else the default)."""
    text = (ROOT / "docs" / "OPERATIONS.md").read_text()
    block = re.search(r"map \$uri \$afterglow_path \{[^\n]*\n(.*?)\n\}", text, re.S).group(1)
    for line in block.splitlines():
        key, value = line.split("#")[0].split()
        if key == "default":
            continue
        found = re.search(key.removeprefix("~").replace("(?<", "(?P<"), uri)
        if found:
            return found.expand(re.sub(r"\$(\w+)", r"\\g<\1>", value.strip('";')))
    return uri


@pytest.mark.parametrize(
    "uri",
    [
        "/s/SECRET",
        "/s/SECRET/report.pdf",
        "/calendar/SECRET.ics",
        "/calendar/SECRET",
        "/calendar/SECRET.ics/x",
        "/auth/reset/SECRET",
        "/auth/invite/SECRET",
    ],  # fmt: skip
)
def test_the_documented_nginx_log_leaves_out_every_secret_the_apps_log_does(uri):
    """The app's own log redacts a reset link and an invitation (either would let a reader
    of the log set someone's password or make an account); nginx's, as OPERATIONS.md sets it
    up, logged them whole."""
    assert "SECRET" not in nginx_log_path(uri)
    assert "SECRET" not in redact_path(uri)


def test_messages_and_tracebacks_are_redacted_too():
    try:
        raise ValueError("could not open /s/TOKENTOKEN for pat@example.com")
    except ValueError:
        record = logging.LogRecord(
            "journal", logging.ERROR, __file__, 1, "Exception on %s [GET]", ("/s/TOKEN2",), True
        )
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Exception on /s/[redacted] [GET]"
    assert "TOKEN" not in line["exception"] and "pat@example.com" not in line["exception"]


def test_level_from_config(tmp_path, log_output):
    app = make_app(tmp_path, LOG_LEVEL="WARNING")
    app.test_client().get("/help")
    assert log_output.getvalue() == ""


def test_a_level_that_is_none_stops_the_start_and_names_the_setting(tmp_path):
    # "ValueError: Unknown level: 'VERBOSE'" said nothing of where the level came from.
    with pytest.raises(ValueError, match="JOURNAL_LOG_LEVEL must be DEBUG, INFO"):
        make_app(tmp_path, LOG_LEVEL="verbose")
    make_app(tmp_path, LOG_LEVEL=" warn ")  # Python's own WARN, spaces and all


def test_json_lines_on_stderr_when_nothing_else_is_set_up(tmp_path, monkeypatch, capsys):
    logger = logging.getLogger("journal")
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as under gunicorn
    monkeypatch.setattr(logger, "handlers", [])
    make_app(tmp_path, TESTING=False)
    make_app(tmp_path, TESTING=False).test_client().get("/help")
    assert len(logger.handlers) == 1  # a second app adds no second handler
    (line,) = capsys.readouterr().err.splitlines()
    assert json.loads(line)["path"] == "/help"


def test_nothing_added_when_logging_is_already_set_up(tmp_path):
    # pytest's own capture is on the root logger here, as a --log-config would be.
    make_app(tmp_path, TESTING=False)
    assert not any(
        isinstance(h.formatter, JsonFormatter) for h in logging.getLogger("journal").handlers
    )


@pytest.mark.subprocess
def test_gunicorn_logs_no_token_or_query(tmp_path):
    """gunicorn.conf.py's access log, and the app's lines, from a real server."""
    with LiveServer(tmp_path) as server:
        for path in (
            "/s/TOKENMARKER0123456789?x=query-marker-3",
            "/s/TOKENMARKER0123456789/report.pdf",
            "/calendar/CALENDARMARKER.ics?query-marker-4",
            "/entries?page=query-marker-5",
        ):
            with contextlib.suppress(urllib.error.HTTPError):  # a 404 is logged all the same
                urllib.request.urlopen(server.url + path, timeout=5).close()
    text = server.log.read_text()
    for secret in ("TOKENMARKER", "CALENDARMARKER", "query-marker"):
        assert secret not in text
    assert '"GET /s/[redacted] HTTP/1.1" 404' in text  # the access line
    assert '"GET /calendar/[redacted].ics HTTP/1.1" 404' in text
    app_lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert {"path": "/s/[redacted]/report.pdf", "status": 404}.items() <= next(
        line for line in app_lines if line.get("path", "").endswith("report.pdf")
    ).items()


def test_access_atoms_are_gunicorns_own_and_nothing_more():
    """The access line's atoms are built directly (not from gunicorn's full set, which has
    every header and environ key): each kept one has gunicorn's own value, the path is
    redacted, and what may leak (query, referrer, agent, cookie, user) is never there."""
    import runpy
    from datetime import timedelta
    from pathlib import Path

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    settings = runpy.run_path(str(Path(__file__).parents[1] / "gunicorn.conf.py"))

    class Response:
        status = "404 NOT FOUND"
        sent = 1292
        headers = [("Content-Type", "text/html"), ("X-Request-ID", "c3a2df48ba99e9d5")]

    class Request:
        headers = [("HOST", "127.0.0.1"), ("COOKIE", "session=cookie-marker"),
                   ("REFERER", "https://x.example/referrer-marker")]  # fmt: skip

    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": "/s/TOKENMARKER?q=query-marker",
        "PATH_INFO": "/s/TOKENMARKER", "QUERY_STRING": "q=query-marker",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "agent-marker", "HTTP_AUTHORIZATION": "Basic dXNlci1tYXJrZXI6eA==",
    }  # fmt: skip
    took = timedelta(seconds=2, microseconds=34567)
    ours = settings["RedactingLogger"](Config()).atoms(Response, Request, environ, took)
    theirs = Logger(Config()).atoms(Response, Request, environ, took)
    for key in ("h", "s", "m", "H", "b", "B", "T", "D", "M", "L", "p", "{x-request-id}o"):
        assert ours[key] == theirs[key], key
    assert ours["U"] == "/s/[redacted]"
    assert ours["r"] == "GET /s/[redacted] HTTP/1.1"
    assert re.fullmatch(r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]", ours["t"])
    assert not {"q", "f", "a", "u", "{cookie}i", "{referer}i", "{http_user_agent}e"} & set(ours)
    assert "marker" not in repr(ours).replace("TOKENMARKER", "")
    assert "TOKENMARKER" not in repr(ours)


# The largest text a request can bring into a log line: a body at the 2 MB limit.
HOSTILE = 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("text", "logged_end"),
    [
        ("x" * HOSTILE + " pat@example.com", "x [email]"),  # a long run with no "@" was quadratic
        ("a@" * (HOSTILE // 2) + "b.com", "a@[email]"),
        ("@" * HOSTILE, "@@@"),
        ("a." * (HOSTILE // 2) + "@b.com", "[email]"),  # one address, all of it
        ("/s/" + "/" * HOSTILE, "///"),
        ("/s/" * (HOSTILE // 3), "[redacted]/"),
        ("/calendar/" + "a" * HOSTILE + ".ics", "/calendar/[redacted].ics"),
        ("/calendar/" * (HOSTILE // 10), "/calendar/"),
    ],
    ids=["no-at", "many-at", "only-at", "dots", "slashes", "share", "calendar", "calendars"],
)
def test_redaction_answers_promptly_on_hostile_text(text, logged_end):
    record = logging.LogRecord("journal", logging.ERROR, __file__, 1, text, (), None)
    started = time.perf_counter()
    line = json.loads(JsonFormatter().format(record))
    assert time.perf_counter() - started < 5  # a hang guard: minutes before
    assert line["message"].endswith(logged_end)


def test_a_hostile_request_id_or_path_is_logged_promptly(client, log_output):
    started = time.perf_counter()
    response = client.get(
        "/calendar/" + "a." * 100_000 + "ics", headers={"X-Request-ID": "a" * HOSTILE}
    )
    assert time.perf_counter() - started < 5  # a hang guard
    assert response.status_code == 404
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-ID"])
    (line,) = request_lines(log_output.getvalue())
    assert line["path"] == "/calendar/[redacted].ics"


def test_an_answer_refused_before_any_view_still_carries_its_request_id(client, log_output):
    response = client.post(
        "/auth/login", data={"password": "x" * (3 * 1024 * 1024)}, headers={"X-Request-ID": "a b"}
    )
    assert response.status_code == 413
    given = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", given)  # "a b" is no request id: a new one
    (line,) = request_lines(log_output.getvalue())
    assert (line["request_id"], line["status"]) == (given, 413)


def test_gunicorns_invalid_request_line_keeps_no_secret_or_query(capsys):
    # "Invalid request from ip=...: Invalid HTTP request line: 'GET /s/<token>?q=...'": a
    # request line gunicorn could not read (an HTTP/0.9-style "GET /s/<token>", a doubled
    # space) was logged in full, share link token and query included.
    import runpy
    from pathlib import Path

    from gunicorn.config import Config

    settings = runpy.run_path(str(Path(__file__).parents[1] / "gunicorn.conf.py"))
    logger = settings["RedactingLogger"](Config())
    logger.warning(
        "Invalid request from ip=127.0.0.1: Invalid HTTP request line: "
        "'GET /s/TOKENMARKER0123456789?q=query-marker'"
    )
    logger.warning("Invalid request from ip=127.0.0.1: Invalid HTTP Version: 'HTTP/1.1 '")
    text = capsys.readouterr().err
    assert "TOKENMARKER" not in text and "query-marker" not in text
    assert "Invalid HTTP request line: 'GET /s/[redacted]" in text
    assert "Invalid HTTP Version: 'HTTP/1.1 '" in text
