"""Pages every visitor shares: home, "Get help now", the health check and error pages."""

import sqlite3

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from . import crisis
from .db import get_db
from .timezones import parse_day

bp = Blueprint("pages", __name__)


def init_app(app):
    """Error pages and the values every template can use."""

    # Globals rather than a context processor: imported macros see globals, not context.
    app.jinja_env.globals.update(crisis=crisis, described=described)

    @app.template_filter("day_label")
    def day_label(text):
        """A stored YYYY-MM-DD day as "Sat 21 Nov 2026"."""
        day = parse_day(text)
        return f"{day:%a %-d %b %Y}" if day else text

    def error_page(status, title, message):
        def handler(error):
            if request.path == "/healthz":
                return jsonify(status="error"), status
            return render_template("error.html", title=title, message=message), status

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
    for status, title, message in (
        (400, "Something in that request was not right", "Nothing was saved. Please try again."),
        (404, "Not found", "There is nothing at this address."),
        (405, "Not allowed", "That address does not take this kind of request."),
        (
            413,
            "That was too large to send",
            "Nothing was saved. The limit is 2 MB per page; "
            "a very long reflection can be split across two days.",
        ),
        (500, "Something went wrong on our side", "Nothing you wrote is lost. Please try again."),
    ):
        app.register_error_handler(status, error_page(status, title, message))


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
        return redirect(url_for("checkins.checkin"))
    return render_template("index.html")


@bp.route("/help")
def help():
    return render_template("help.html")


@bp.route("/healthz")
def healthz():
    try:
        get_db().execute("select 1 from _sqlite_migrations limit 1").fetchall()
    except sqlite3.Error:
        return jsonify(status="error"), 503
    return jsonify(status="ok")
