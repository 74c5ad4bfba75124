"""Structured logs: one JSON object per line, and never a word a person wrote.

Every request ends with one line (time, level, logger, message, request id, method, path,
status, duration in ms, the numeric user id). What is never logged: form bodies (check-in
reflections, passwords), query strings, cookies, e-mail addresses, and the secret parts of
addresses (`/s/<token>`, `/calendar/<secret>.ics`), which `redact_path` blanks out. The same
function redacts gunicorn's access log (see `gunicorn.conf.py`), so both logs agree.
"""

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from urllib.parse import quote

from flask import g, has_request_context, request

LOGGER = "journal"  # the app's logger (Flask names it after the package); requests log below it
REDACTED = "[redacted]"
# A secret in the path: a share link's token (and all under it), a calendar feed's secret.
# Repeated slashes too: werkzeug answers "/s//token" with a redirect that would log it.
SECRET_PATHS = [
    (re.compile(r"(/s/+)[^/?#\s\"]+"), rf"\g<1>{REDACTED}"),
    # A reset link opened and not yet used, or an invitation, would let a reader of the log
    # set the account's password or make an account.
    (re.compile(r"(/auth/+(?:reset|invite)/+)[^/?#\s\"]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(/calendar/+)[^/?#\s\"]+?(\.ics)?(?=[/?#\s\"]|$)"), rf"\g<1>{REDACTED}\g<2>"),
    # Any secret where the patterns above do not look: every one is `token_urlsafe(32)`, 43
    # characters of its alphabet, and an address that puts a part before it ("/s/./<token>",
    # which a client that does not tidy dot segments sends, or "/s/s/<token>", a link pasted
    # twice) kept it whole. Nothing else in a path is a run of 43 such characters.
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"), REDACTED),
]
PATH_SAFE = "/:@!$&'()*+,;=-._~"
# Matched only from the start of a run of address characters (the look-behind): a long run
# with no "@" in it is then scanned once, not once from each of its characters (which took
# quadratic time). It finds exactly what it found before, since every start inside a run
# reaches the same "@".
EMAIL = re.compile(r"(?<![^\s@\"'<>])[^\s@\"'<>]+@[^\s@\"'<>]+\.[A-Za-z]{2,}")
# A request id from the proxy (nginx's $request_id) is kept only when it looks like one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Probes ask for /healthz every few seconds; their lines would drown the rest at INFO.
QUIET_PATHS = {"/healthz"}
# What a record may carry besides its message; anything else passed in `extra` is dropped.
FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id")
# The logger of the request lines (getLogger takes a lock on every call).
REQUEST_LOGGER = logging.getLogger(f"{LOGGER}.request")


def redact_path(path):
    """`path` (text, or raw bytes) fit for a log line: secret parts replaced by "[redacted]".

    Percent-encoded first, so that a space or newline in a token can't cut the redaction
    short, and a "%0A" in the address can't forge a line of its own.
    """
    return redact_secrets(quote(path, safe=PATH_SAFE))


def redact_secrets(text):
    """`text` with every secret path part replaced by "[redacted]"."""
    for pattern, replacement in SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


def redact_text(text):
    """Free text (a message, a traceback) with secret path parts and e-mail addresses blanked."""
    return EMAIL.sub("[email]", redact_secrets(text))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; request fields filled in when logged during a request."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
        if has_request_context():
            entry.update(request_fields())
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def request_fields():
    """Request id, method, redacted path and the numeric user id, for any line in a request."""
    fields = {
        "request_id": request.environ.get(REQUEST_ID_KEY),
        "method": request.method,
        "path": redact_path(request.path),
    }
    # Only a user flask-login has already loaded: loading one here would cost a query.
    user = g.get("_login_user")
    if getattr(user, "is_authenticated", False) and isinstance(user.id, int):
        fields["user_id"] = user.id
    return {k: v for k, v in fields.items() if v is not None}


# Where RequestIds keeps a request's id and start time, in the WSGI environ.
REQUEST_ID_KEY = "journal.request_id"
STARTED_KEY = "journal.request_started"


class RequestIds:
    """WSGI middleware: each request's id (the proxy's X-Request-ID when it looks like one,
    otherwise a new random one) and start time, kept in the environ for its log line, and the
    id handed back to the proxy in X-Request-ID. At this layer, like the fixed security
    headers (journal/pages.py), rather than in two hooks of the app's on every request."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ[STARTED_KEY] = time.perf_counter()
        offered = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = offered if REQUEST_ID.fullmatch(offered) else secrets.token_hex(8)
        environ[REQUEST_ID_KEY] = request_id

        def with_id(status, headers, exc_info=None):
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, with_id)


def end_request(response):
    """Log the request's line (at DEBUG for the quiet paths, unless it failed)."""
    status = response.status_code
    level = logging.ERROR if status >= 500 else logging.INFO
    if status < 500 and request.path in QUIET_PATHS:
        level = logging.DEBUG
    if REQUEST_LOGGER.isEnabledFor(level):
        started = request.environ.get(STARTED_KEY)
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        REQUEST_LOGGER.log(level, "request", extra={"status": status, "duration_ms": duration})
    return response


def init_app(app):
    """Log JSON lines to stderr at `LOG_LEVEL` (default INFO), and a line per request.

    Leaves an existing setup alone: when the app's logger or the root logger already has a
    handler (pytest's log capture, a `--log-config` for gunicorn, an embedding program's
    `logging.basicConfig`), lines go there instead, so tests stay quiet.
    """
    # Not `app.logger`: its first use would add Flask's own plain-text handler.
    logger = logging.getLogger(LOGGER)
    level = str(app.config.get("LOG_LEVEL", "INFO")).strip().upper()
    if level not in logging.getLevelNamesMapping():  # "Unknown level: 'VERBOSE'" named no setting
        raise ValueError(
            f"JOURNAL_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {level!r}"
        )
    logger.setLevel(level)
    configured = logger.handlers or logging.getLogger().handlers
    if not configured and not app.testing:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    app.wsgi_app = RequestIds(app.wsgi_app)
    app.after_request(end_request)
