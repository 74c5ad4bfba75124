"""The person's own data, to keep or take elsewhere: three CSV files, a JSON file and FHIR.

Everything here is the signed-in person's own, in full: private reflections included, since
the data is theirs (a therapist never reaches these routes; what a therapist may see goes
through `journal/access.py`). Every query names its owner (`user_id`).

A package by job: `reading` reads the person's rows through `journal.data` as the stream
takes them, `tables` writes the CSV files, `document` data.json and `fhir` fhir.json; this
module is the blueprint: the exports page and the streamed downloads. The decisions where
DESIGN.md and issue 4 are silent are in each module's docstring.

Every file is an attachment no cache keeps, streamed (README, "Bounds"): rows are read from
the database and written a batch at a time, so memory stays small whatever the person has
kept (at most one check-in a day since 1990, each with up to 20,000 characters: about 270 MB
of CSV). The status and headers go first; the body follows in pieces of about CHUNK
characters. A HEAD is answered the headers alone, reading nothing of the journal.
"""

from functools import partial

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user, login_required

from .. import account, timezones
from ..people import AccountGone
from .document import data_document, json_pieces
from .fhir import fhir_bundle
from .reading import counts
from .tables import assessments_table, cell, checkins_table, csv_pieces, sessions_table

__all__ = ["bp", "cell"]

bp = Blueprint("exports", __name__, url_prefix="/export")

# A streamed download is sent in pieces of about this many characters.
CHUNK = 64 * 1024


def encoded(pieces):
    """Text pieces as UTF-8 bytes, joined into chunks of about CHUNK characters."""
    batch, size = [], 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(batch).encode("utf-8")
            batch, size = [], 0
    if batch:
        yield "".join(batch).encode("utf-8")


def download(pieces, name, extension, mimetype):
    """An attachment named afterglow-NAME-YYYY-MM-DD.EXT that no cache keeps, streamed from the
    text pieces `pieces()` gives, which are taken as the body is sent, inside the request's
    context. A HEAD is answered the same headers without calling it: nothing is read (a
    checker peeking at the file had the journal read to build a body it dropped) and no
    download is noted."""
    today = timezones.local_today(current_user.timezone).isoformat()
    peek = request.method == "HEAD"
    body = iter(()) if peek else stream_with_context(encoded(pieces()))
    response = Response(body, content_type=f"{mimetype}; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="afterglow-{name}-{today}.{extension}"'
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return account.export_recorded(response, f"{name}.{extension}")  # issue 5: "Recent activity"


def csv_download(name, table):
    """A CSV attachment, streamed from `table(user_id)`'s (header, rows)."""
    return download(lambda: csv_pieces(*table(current_user.id)), name, "csv", "text/csv")


def json_download(name, document, mimetype="application/json"):
    """A strict JSON attachment, streamed (see `document.json_pieces`) from `document()`'s
    dict; None from it is an account deleted on another device since this request began."""

    def pieces():
        found = document()
        if found is None:
            raise AccountGone
        return json_pieces(found)

    return download(pieces, name, "json", mimetype)


@bp.route("")
@login_required
def index():
    return render_template("exports/index.html", counts=counts(current_user.id))


@bp.route("/checkins.csv")
@login_required
def checkins_csv():
    return csv_download("checkins", checkins_table)


@bp.route("/sessions.csv")
@login_required
def sessions_csv():
    return csv_download("sessions", sessions_table)


@bp.route("/assessments.csv")
@login_required
def assessments_csv():
    return csv_download("assessments", assessments_table)


@bp.route("/data.json")
@login_required
def data_json():
    return json_download("data", partial(data_document, current_user.id))


@bp.route("/fhir.json")
@login_required
def fhir_json():
    bundle = partial(fhir_bundle, current_user.id, current_user.shared_name)
    return json_download("fhir", bundle, mimetype="application/fhir+json")
