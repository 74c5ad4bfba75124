"""Afterglow: a mobile-first journal for people in ketamine or esketamine therapy.

`create_app` follows the shape of Flask's tutorial factory: defaults, then
`instance/config.py` (or the test dict), then `JOURNAL_*` environment variables.
"""

import io
import json
import logging
import os
import re
import secrets
import weakref
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, has_request_context, request
from flask.cli import with_appcontext
from flask.sessions import SecureCookieSessionInterface
from flask.templating import Environment
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import clock, rules
from .fields import JournalRequest

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None):
    """Build the Flask application; migrate the database before the first request."""
    app = Journal(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.session_interface = KeptSerializerSessions()
    app.request_class = JournalRequest  # form fields that are not UTF-8 are refused, not kept
    app.config.from_mapping(
        DATABASE=str(Path(app.instance_path) / "journal.sqlite3"),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=timedelta(days=30),
        HTTPS=False,
        LOGIN_MAX_FAILURES=5,
        LOGIN_ADDRESS_MAX_FAILURES=50,
        LOGIN_WINDOW_MINUTES=15,
        ENTRIES_PER_PAGE=30,
        WTF_CSRF_TIME_LIMIT=None,
        # Every POST is checked (journal/access.py); a form refused for an expired token comes
        # back as a message on the same form with the person's words kept.
        WTF_CSRF_CHECK_DEFAULT=True,
        # How many proxies in front set X-Forwarded-For/-Proto (0: none; 1 behind one proxy).
        PROXY_HOPS=0,
        # A sign-in ends on the server after this many minutes without a request, unless
        # "Keep me signed in" was chosen (journal/people.py); 0 turns the idle timeout off.
        IDLE_MINUTES=30,
        # Issue 9. Who may register without an invitation: patients unless OPEN_SIGNUP is
        # false; therapists only when OPEN_THERAPIST_SIGNUP is true (a solo practitioner's
        # own server). CLINIC_NAME is named on the log-in page ("ask ... for a reset link");
        # PUBLIC_URL (e.g. https://journal.example.org) goes in front of the links the
        # command line prints.
        OPEN_SIGNUP=True,
        OPEN_THERAPIST_SIGNUP=False,
        # Therapists and admins must set up two-factor sign-in before reaching their work
        # (journal/two_factor.py; JOURNAL_REQUIRE_2FA_FOR_STAFF=false turns the rule off).
        REQUIRE_2FA_FOR_STAFF=True,
        # Passkeys (journal/passkeys.py): the WebAuthn relying party's id (a host name, such
        # as journal.example.org) and the origin answers must come from
        # (https://journal.example.org); empty: the request's own host name and origin.
        WEBAUTHN_RP_ID="",
        WEBAUTHN_ORIGIN="",
        CLINIC_NAME="",
        PUBLIC_URL="",
        # Self-service reset by e-mail (journal/mail.py): on when MAIL_SERVER and MAIL_FROM
        # are set; without them the log-in page says to ask the clinic.
        MAIL_SERVER="",
        MAIL_PORT=587,
        MAIL_USERNAME="",
        MAIL_PASSWORD="",
        MAIL_STARTTLS=True,
        MAIL_FROM="",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("JOURNAL")
        for name in TEXTS:  # as written: JSON would make a secret key of digits a number
            if f"JOURNAL_{name}" in os.environ:
                app.config[name] = os.environ[f"JOURNAL_{name}"]
    else:
        app.config.from_mapping(test_config)

    for name in FLAGS:
        app.config[name] = flag(name, app.config[name])
    for name, (least, most) in NUMBERS.items():
        app.config[name] = whole_number(name, app.config[name], least, most)
    if not str(app.config["DATABASE"]).strip():
        raise ValueError("JOURNAL_DATABASE must name the database file, not be empty")
    public_address(app.config["PUBLIC_URL"], app.config["HTTPS"])
    passkey_site(app.config["WEBAUTHN_RP_ID"], app.config["WEBAUTHN_ORIGIN"])
    from .mail import sender_address

    sender_address(app.config["MAIL_FROM"])  # a sender no mail server takes stops the start
    # The instance folder holds the secret key (and, by default, the database): its owner's.
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    key = app.config.get("SECRET_KEY")
    if isinstance(key, str) and key and not key.strip():  # anyone could guess it
        raise ValueError(
            "JOURNAL_SECRET_KEY must be a long random value, not only spaces: set one, or "
            "unset it to have instance/secret_key made"
        )
    if not key:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    if app.config["HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
        # Over HTTPS the sign-in cookies are "__Host-" ones, which a browser takes only from
        # this host itself (secure, for every path, no Domain): a sibling subdomain could set
        # a plain one for the whole domain in their place, signing a visitor in as someone
        # else (a cookie of its own for /checkin, where a check-in would be saved).
        for name, default in (("SESSION_COOKIE_NAME", "session"),
                              ("REMEMBER_COOKIE_NAME", "remember_token")):  # fmt: skip
            if app.config.get(name, default) == default:
                app.config[name] = f"__Host-{default}"

    clock.from_environment()  # JOURNAL_NOW: a server started by the tests holds its clock

    from . import (
        access,
        admin,
        assessments,
        auth,
        calendar,
        caseload,
        checkins,
        db,
        demo,
        exports,
        imports,
        logs,
        offline,
        onetime,
        pages,
        people,
        progress,
        reports,
        sessions,
        settings,
        share,
    )

    # Share links and calendar feeds: no referrer, no indexing, no caching, errors too; reset
    # links and invitations: no indexing, no caching.
    by_path = {
        "/s/": share.LINK_HEADERS,
        "/calendar/": calendar.ics.FEED_HEADERS,
        "/auth/reset/": onetime.LINK_HEADERS,
        "/auth/invite/": onetime.LINK_HEADERS,
    }
    app.wsgi_app = pages.SecurityHeaders(app.wsgi_app, app.config["HTTPS"], by_path)
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, app.config)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logs.init_app(app)
    db.init_app(app)
    people.init_app(app)
    pages.init_app(app)
    # Clinical constants for templates, and through data-* attributes for static/app.js.
    app.jinja_env.globals["rules"] = rules
    # Every blueprint, from one list: the web contract's URL namespaces (DESIGN.md).
    for feature in (auth, checkins, sessions, assessments, progress, exports, imports,
                    caseload, reports, share, settings, calendar, offline, pages,
                    admin):  # fmt: skip
        app.register_blueprint(feature.bp)
    access.init_app(app)  # last: CSRF is checked after the other gates
    if app.config["MAIL_SERVER"] or app.config["MAIL_FROM"]:  # mail meant to be on
        # Each setting reset by e-mail needs and does not have, named: with one missing it
        # stayed off, and the clinic was told only when it was the public address.
        missing = [f"JOURNAL_{name}" for name in MAIL_NEEDS if not str(app.config[name]).strip()]
        if missing:
            logging.getLogger(logs.LOGGER).warning(
                "Reset by e-mail stays off until %s %s set%s",
                " and ".join(missing),
                "is" if len(missing) == 1 else "are",
                ": a mailed link never takes its address from the request."
                if "JOURNAL_PUBLIC_URL" in missing
                else ".",
            )
    app.cli.add_command(demo.seed_demo_command)
    app.cli.add_command(audit_command)
    return app


def _since_day(ctx, param, value):
    """The `--since` option's YYYY-MM-DD as a date; anything else is a usage error (status 2)."""
    from .timezones import parse_day

    day = parse_day(value)
    if day is None:
        raise click.BadParameter(f"{value!r} is not a date: write it as YYYY-MM-DD (2026-12-01).")
    return day


@click.command("audit")
@click.option("--since", "day", required=True, callback=_since_day, metavar="DATE",
              help="The first day (YYYY-MM-DD, UTC) whose entries to print.")  # fmt: skip
@with_appcontext
def audit_command(day):
    """Print the audit log from DATE on as JSON lines, oldest first, for a compliance review:
    one object per entry (at, actor_id, actor_role, action, subject_id, detail)."""
    from .data import audit
    from .db import get_db

    db = get_db()
    if not audit.kept(db):
        raise click.ClickException(
            "This database has no audit log yet: run `flask --app journal init-db` first."
        )
    for row in audit.since(db, day):
        click.echo(json.dumps(row))


# The true/false settings. From the environment, JSON's true and false become booleans, but
# "False", "no" or "off" would stay text, and any text is true: JOURNAL_OPEN_THERAPIST_SIGNUP=no
# opened therapist sign-up. Each is read here, once, as an operator means it.
FLAGS = (
    "HTTPS",
    "OPEN_SIGNUP",
    "OPEN_THERAPIST_SIGNUP",
    "REQUIRE_2FA_FOR_STAFF",
    "MAIL_STARTTLS",
)
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})


def flag(name, value):
    """The setting `name` as True or False: a bool, 0 or 1, or one of TRUE_WORDS and
    FALSE_WORDS in any case; anything else stops the app from starting, with the reason,
    rather than being guessed."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = value.strip().lower() if isinstance(value, str) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"JOURNAL_{name} must be true or false, not {value!r}")


# What reset by e-mail needs, all of it (journal/mail.py's `configured`).
MAIL_NEEDS = ("MAIL_SERVER", "MAIL_FROM", "PUBLIC_URL")


# The settings that are text. From the environment every value is read as JSON first, so a
# secret key or mail password of digits (JOURNAL_SECRET_KEY=8402...) became a number, and
# then every form and sign-in was a 500 ("'int' object is not iterable") while /healthz said
# ok; "true" became True, "null" None. Each is taken as written.
TEXTS = (
    "SECRET_KEY",
    "DATABASE",
    "CLINIC_NAME",
    "PUBLIC_URL",
    "WEBAUTHN_RP_ID",
    "WEBAUTHN_ORIGIN",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_FROM",
    "PASSWORD_HASH_METHOD",
)


# The settings that are whole numbers, each with the least it may be: a value that is none (a
# typo, "one", -5) stops the app from starting, with the reason, instead of failing on every
# request that reads it (LOGIN_MAX_FAILURES=0 made every log-in a 500).
NUMBERS = {
    "LOGIN_MAX_FAILURES": (1, 1_000),
    "LOGIN_ADDRESS_MAX_FAILURES": (1, 100_000),
    "LOGIN_WINDOW_MINUTES": (1, 10_080),  # a week
    "IDLE_MINUTES": (0, 525_600),  # 0 turns the idle timeout off; at most a year
    "PROXY_HOPS": (0, 10),
    "ENTRIES_PER_PAGE": (1, 500),
    "MAIL_PORT": (1, 65_535),
}


def whole_number(name, value, least, most):
    """The setting `name` as an int from `least` to `most` (from the environment, JSON's
    numbers come as ints; one past what SQLite holds made every log-in a 500); anything else
    stops the app from starting, with the reason."""
    if isinstance(value, int) and not isinstance(value, bool) and least <= value <= most:
        return value
    raise ValueError(
        f"JOURNAL_{name} must be a whole number from {least} to {most:,}, not {value!r}"
    )


def public_address(value, https):
    """Check JOURNAL_PUBLIC_URL, which reset links and invitations start with: empty, or a
    whole address with its scheme (https:// behind TLS). Without one ("journal.example.org"),
    a mail program made the mailed link an http:// one, which sent the reset token in the
    clear to the proxy's port 80 (whose log keeps it), and a printed link had no way in."""
    text = str(value or "").strip()
    if not text:
        return
    scheme, _, rest = text.partition("://")
    if scheme.lower() not in ("https", "http") or not rest.split("/", 1)[0]:
        raise ValueError(
            f"JOURNAL_PUBLIC_URL must be a whole address such as https://journal.example.org, "
            f"not {text!r}"
        )
    if https and scheme.lower() != "https":
        raise ValueError(
            f"JOURNAL_PUBLIC_URL must start with https:// when JOURNAL_HTTPS is true, not {text!r}"
        )


def passkey_site(rp_id, origin):
    """Check JOURNAL_WEBAUTHN_RP_ID (a host name: journal.example.org) and
    JOURNAL_WEBAUTHN_ORIGIN (a scheme and host: https://journal.example.org), each empty or
    in a form a browser can use. A relying party written as an address or with a port is
    refused by the browser, and an origin with a slash, a path or no scheme is never the one
    a browser's answer names: the app started, and no passkey could be added or used."""
    rp = str(rp_id or "").strip()
    if rp and not HOST_NAME.fullmatch(rp):
        raise ValueError(
            f"JOURNAL_WEBAUTHN_RP_ID must be a host name such as journal.example.org "
            f"(no https://, port or slash), not {rp!r}"
        )
    text = str(origin or "").strip()
    if not text:
        return
    parts = urlsplit(text)
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or text != f"{parts.scheme}://{parts.netloc}"
    ):
        raise ValueError(
            f"JOURNAL_WEBAUTHN_ORIGIN must be a scheme and host such as "
            f"https://journal.example.org (no path, no slash at the end), not {text!r}"
        )
    host = parts.hostname
    if rp and host != rp.lower() and not host.endswith("." + rp.lower()):
        raise ValueError(
            f"JOURNAL_WEBAUTHN_RP_ID must be the host name of JOURNAL_WEBAUTHN_ORIGIN or end it "
            f"({host}), not {rp!r}"
        )


# A host name as a passkey's relying party: letters, digits, hyphens and dots, nothing else.
HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def _instance_secret(path):
    """The secret key kept in `instance/`, made once.

    Written to a temporary file and linked into place, so concurrent gunicorn
    workers never read a half-written key and all agree on one.
    """
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not key:  # an emptied file: every form would be a 500 ("no secret key was set")
        raise ValueError(f"{path} is empty: delete it to have a new key made, or restore it")
    return key


# What a plain dict has as attributes: its methods. Any other name is one of its keys.
DICT_ATTRIBUTES = frozenset(dir(dict))


class TemplateEnvironment(Environment):
    """Flask's template environment, with `row.day` on a plain dict (a row the data layer
    returned) read as the key at once. Jinja first asks the dict for an attribute, which fails
    with an exception for every field of every row: a quarter of History's rendering. The
    answer is the same: a dict's own methods (`.items`, `.get`) are still found first, and a
    missing key is still undefined."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class Journal(Flask):
    """Flask, with each hook's and view's sync check made once rather than on every request:
    Flask asks `inspect.iscoroutinefunction` of every hook and view each time it runs them.
    Weakly kept, so the functions one request adds for itself (`after_this_request`) are
    forgotten with it. Templates use `TemplateEnvironment`."""

    jinja_environment = TemplateEnvironment

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._synced = weakref.WeakSet()  # the plain (not async) functions already asked of
        self._urls = {}  # (script root, endpoint, *values) -> a relative address built

    def ensure_sync(self, func):
        if func in self._synced:
            return func
        synced = super().ensure_sync(func)
        if synced is func:
            self._synced.add(func)
        return synced

    def url_for(self, /, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None,
                **values):  # fmt: skip
        """Flask's url_for, with the relative addresses a request builds kept once built.

        A page builds dozens (the layout's links and scripts, a link per row of History), each
        about 10 µs in werkzeug's router, and the same endpoint and values always give the same
        address under one script root: the app has no URL defaults or subdomains. Absolute
        addresses, anchors and blueprint-relative endpoints (".index") are built as Flask does.
        """
        plain = not (_anchor or _method or _scheme or _external or endpoint.startswith("."))
        key = kept_address_key(endpoint, values) if plain and has_request_context() else None
        if key is None:
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)  # fmt: skip
        url = self._urls.get(key)
        if url is None:
            if len(self._urls) >= URLS_KEPT:
                self._urls.clear()
            url = self._urls[key] = super().url_for(endpoint, **values)
        return url


def kept_address_key(endpoint, values):
    """What a relative address is kept under: the script root, the endpoint and each value
    with its type (1 and True are equal keys, yet "1" and "True" in a URL); None when a value
    can't be part of a key (a list of query values), so the address is built each time."""
    key = (request.script_root, endpoint, *((k, v, type(v)) for k, v in values.items()))
    try:
        hash(key)
    except TypeError:
        return None
    return key


# At most this many addresses are kept per process (a few MB); then they are built afresh.
URLS_KEPT = 20_000


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: an id SQLite can hold (up to 2**63 − 1), any other is a 404.

    Werkzeug's own converter takes a number of any size, and SQLite then raises
    OverflowError (a 500) on an id above 2**63 in a URL.
    """

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


class ChunkedBodyLimit:
    """A body sent without Content-Length (chunked) is held to MAX_CONTENT_LENGTH like one with.

    For such a body werkzeug reads up to the limit and stops, so a view was handed the first
    2 MB of a longer body as if it were the whole of it, and could store it. Here the body is
    read first, to at most one byte past the limit, and passed on with its length: werkzeug
    then answers 413 for one over the limit, exactly as for a Content-Length over it.
    """

    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config

    def __call__(self, environ, start_response):
        limit = self.config.get("MAX_CONTENT_LENGTH")
        # Servers set wsgi.input_terminated when they end the stream themselves (chunked);
        # gunicorn sets it on every request, so a GET without a body is left alone.
        if (
            limit is not None
            and environ.get("HTTP_TRANSFER_ENCODING")
            and environ.get("wsgi.input_terminated")
            and not environ.get("CONTENT_LENGTH")
        ):
            body = bytearray()
            while len(body) <= limit:
                chunk = environ["wsgi.input"].read(limit + 1 - len(body))
                if not chunk:
                    break
                body += chunk
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # Now a plain body of known length: werkzeug ignores Content-Length beside chunked.
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.wsgi_app(environ, start_response)


class KeptSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer made once per secret key
    rather than on every request (Flask builds a new one each time, even for a request that
    carries no session at all)."""

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = app.extensions.get("journal_session_serializer")
        if kept is None or kept[0] != key:
            kept = (key, super().get_signing_serializer(app))
            app.extensions["journal_session_serializer"] = kept
        return kept[1]
