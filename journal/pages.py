"""Pages every visitor shares: home, "Get help now", the health check and error pages."""

import re
import sqlite3
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context
from wtforms import Form

from . import crisis, drafts, numbers, phones
from .data import health
from .db import get_db, serves_its_file
from .fields import isolated, wants_json
from .people import forget_here, messages_shown
from .signed_in import signed_in_here
from .timezones import day_text, day_text_near, parse_day
from .urls import home_url

bp = Blueprint("pages", __name__)


@cache
def script_modules(static_folder):
    """The ES modules static/app.js imports (every script but itself and the service worker),
    named once per process: base.html asks for them all at once (modulepreload) instead of
    finding them import by import."""
    skip = {"app.js", "sw.js"}
    return tuple(sorted(p.name for p in Path(static_folder).glob("*.js") if p.name not in skip))


def init_app(app):
    """Error pages and the values every template can use."""
    app.jinja_env.globals["script_modules"] = lambda: script_modules(app.static_folder)

    # Globals rather than a context processor: imported macros see globals, not context.
    app.jinja_env.globals.update(
        answers_a_post=answers_a_post,  # base.html: Back opens this address afresh (page.js)
        crisis=crisis,
        described=described,
        difference=numbers.difference,
        drafts=drafts,  # base.html: how long static/drafts.js keeps a draft
        forget_here=forget_here,  # base.html: an account erased elsewhere, for the device
        # Flask's own, replaced: a script's page (a fetch, a HEAD) takes no message meant for
        # the next page the person sees.
        get_flashed_messages=messages_shown,
        sent_back=sent_back,
        signed_in_here=signed_in_here,  # the layout's log-out form, for the offline page
    )
    app.jinja_env.filters.update(
        figure=numbers.figure,
        signed=numbers.signed,
        plural=numbers.plural,
        number_text=numbers.number_text,
        tel=phones.tel,  # a clinic number as a tel: link
        isolated=isolated,  # a name in a sentence (fields.isolated)
    )

    app.add_template_filter(day_text)  # {{ day | day_text("short") }}: timezones.DAY_FORMATS
    # {{ day | day_text_near(today) }}: "7 Dec", or "7 Dec 2025" in another year than today's.
    app.add_template_filter(day_text_near)

    @app.template_filter("day_label")
    def day_label(text):
        """A stored YYYY-MM-DD day as "Sat 21 Nov 2026"."""
        day = parse_day(text)
        return day_text(day, "short_year") if day else text

    def error_page(status, title, message):
        def handler(error):
            if request.path == "/healthz":
                return jsonify(status="error"), status
            # A description given with abort(400, description=...) says what was wrong.
            detail = getattr(error, "description", None)
            if isinstance(error, CSRFError) and "CSRF" in (detail or ""):
                # Flask-WTF's reason for a stale token ("The CSRF tokens do not match."):
                # words no one reading the page knows; the page's own message says what to do.
                detail = None
            if status == 400 and detail and detail != type(error).description:
                message_shown = f"{detail} Nothing was saved."
            elif status in (403, 404) and detail and detail != type(error).description:
                message_shown = detail  # what is gone or refused, and why (description=...)
            else:
                message_shown = message
            if wants_json():  # a client of the JSON answers (the offline queue) reads JSON
                return jsonify(errors={"form": [message_shown]}), status
            back = getattr(error, "back", None)  # the list a 404's words name (owned_or_404)
            page = render_template("error.html", title=title, message=message_shown, back=back)
            return page, status

        return handler

    app.register_error_handler(
        CSRFError,
        error_page(
            400,
            "This form has expired",
            "For your safety, forms stop working after you log out or the page is very old. "
            "Nothing was saved. Go back, reload the page, and send it again.",
        ),
    )
    app.after_request(security_headers)
    app.after_request(drafts.confirm_saved)
    limit = numbers.megabytes(app.config["MAX_CONTENT_LENGTH"])
    for status, title, message in (
        (400, "Something in that request was not right", "Nothing was saved. Please try again."),
        (403, "Not allowed", "Nothing was saved. This account cannot do that."),
        (404, "Not found", "There is nothing at this address."),
        (405, "Not allowed", "That address does not take this kind of request."),
        (
            413,
            "That was too large to send",
            f"Nothing was saved. The limit is {limit} per page; "
            "a very long reflection can be split across two days.",
        ),
        (
            500,
            "Something went wrong on our side",
            "What you sent may not have been saved. Your browser's Back button usually "
            "brings back the form with your words in it; please try again.",
        ),
    ):
        app.register_error_handler(status, error_page(status, title, message))


# Nothing is loaded from elsewhere and nothing runs inline, so the policy can be strict.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


REPEATED_SLASHES = re.compile("/{2,}")


class SecurityHeaders:
    """WSGI middleware: the headers every response carries (SECURITY_HEADERS, and HSTS over
    HTTPS), added as they are to the list the server sends, unless the app set its own; and
    under each prefix of `by_path` ({"/s/": {...}}), that prefix's headers, in place of any the
    app set (errors included). Fixed text, so at this layer rather than through werkzeug's
    checks and a hook of the app's on every request."""

    def __init__(self, wsgi_app, https, by_path=None):
        self.wsgi_app = wsgi_app
        fixed = dict(SECURITY_HEADERS)
        if https:
            fixed["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        self.fixed = list(fixed.items())
        self.by_path = [
            (prefix, list(headers.items()), {name.lower() for name in headers})
            for prefix, headers in (by_path or {}).items()
        ]

    def __call__(self, environ, start_response):
        # As werkzeug routes it, repeated slashes merged: "//s/<token>" opens the link too.
        path = REPEATED_SLASHES.sub("/", environ.get("PATH_INFO", ""))
        forced = next((rule for rule in self.by_path if path.startswith(rule[0])), None)

        def with_headers(status, headers, exc_info=None):
            if forced:
                _, extra, names = forced
                headers[:] = [(n, v) for n, v in headers if n.lower() not in names] + extra
            named = {name.lower() for name, _ in headers}
            headers += [(n, v) for n, v in self.fixed if n.lower() not in named]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, with_headers)


def security_headers(response):
    """Pages for a signed-in person are never cached (every response's fixed headers are
    added by `SecurityHeaders`).

    Whether a person is signed in is asked only of a user the request has already loaded
    (every page that shows anything of a person loads them, base.html first): loading one
    here would cost a request that never needed it, such as /healthz, a sign-in lookup.
    """
    headers = response.headers
    user = g.get("_login_user")
    if (
        user is not None
        and user.is_authenticated
        and response.mimetype == "text/html"
        and "Cache-Control" not in headers
    ):
        headers["Cache-Control"] = "no-store"
    return response


@pass_context
def sent_back(context):
    """Whether a form the page shows came back with mistakes, whatever the view named it
    (`form`, `password_form`, ...), or a file refused with the `problems` that stopped it
    (the import's upload page): base.html's title then starts with "Error: "."""
    if context.get("problems"):
        return True
    return any(isinstance(value, Form) and value.errors for value in context.get_all().values())


def answers_a_post():
    """The address whose GET shows this page again, when the page is the answer to a POST (a
    form sent back with mistakes, a link shown once, an error): base.html renders it, and
    static/page.js makes the page's history entry a plain GET of it. Otherwise Back to it,
    after the form was put right and saved, met Chromium's "Confirm Form Resubmission" page
    (ERR_CACHE_MISS: a signed-in page is never cached), whose reload sent the form again.

    The address posted to, when it has a page of its own (/checkin, /sessions/new); else the
    page the form was on, as the browser's same-origin Referer names it (/settings for a
    password change refused at POST /settings/password, whose GET would answer 405); else
    None, and the entry stays as it is. None for any other request."""
    if request.method != "POST":
        return None
    rule = request.url_rule
    if rule is not None and "GET" in rule.methods:
        return request.full_path.removesuffix("?")
    came_from = urlsplit(request.referrer or "")
    # A path of its own on this host ("//elsewhere", "/\\elsewhere" would name another host).
    if (
        came_from.netloc != request.host
        or came_from.path[:1] != "/"
        or came_from.path[1:2] in ("/", "\\")
    ):
        return None
    return came_from._replace(scheme="", netloc="", fragment="").geturl()


def described(field, hint=None):
    """Attributes that tie an input to its hint and error message, for screen readers."""
    ids = ([f"{field.id}-hint"] if hint else []) + ([f"{field.id}-error"] if field.errors else [])
    attrs = {"aria-describedby": " ".join(ids)} if ids else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return attrs


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return render_template("index.html")


@bp.route("/help")
def help():
    return render_template("help.html")


# What /healthz answers, made once: a probe asks every few seconds, and jsonify would write
# the same few bytes afresh each time (about 8 µs, a tenth of the app's part of a probe).
HEALTHY = b'{"status":"ok"}\n'


@bp.route("/healthz")
def healthz():
    try:
        health.migrated(get_db())
    except sqlite3.Error:
        return jsonify(status="error"), 503
    if not serves_its_file():  # deleted or moved under the server, yet still open
        return jsonify(status="error"), 503
    return Response(HEALTHY, mimetype="application/json")
