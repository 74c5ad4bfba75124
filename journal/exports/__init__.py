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
characters.
"""

from flask import Blueprint, Response, render_template, stream_with_context
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
    """An attachment named afterglow-NAME-YYYY-MM-DD.EXT that no cache keeps, streamed from
    text `pieces`, which are taken as the body is sent, inside the request's context."""
    today = timezones.local_today(current_user.timezone).isoformat()
    body = stream_with_context(encoded(pieces))
    response = Response(body, content_type=f"{mimetype}; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="afterglow-{name}-{today}.{extension}"'
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return account.export_recorded(response, f"{name}.{extension}")  # issue 5: "Recent activity"


def csv_download(name, header, rows):
    """A CSV attachment, streamed."""
    return download(csv_pieces(header, rows), name, "csv", "text/csv")


def json_download(name, document, mimetype="application/json"):
    """A strict JSON attachment, streamed (see `document.json_pieces`)."""
    return download(json_pieces(document), name, "json", mimetype)


@bp.route("")
@login_required
def index():
    return render_template("exports/index.html", counts=counts(current_user.id))


@bp.route("/checkins.csv")
@login_required
def checkins_csv():
    return csv_download("checkins", *checkins_table(current_user.id))


@bp.route("/sessions.csv")
@login_required
def sessions_csv():
    return csv_download("sessions", *sessions_table(current_user.id))


@bp.route("/assessments.csv")
@login_required
def assessments_csv():
    return csv_download("assessments", *assessments_table(current_user.id))


@bp.route("/data.json")
@login_required
def data_json():
    document = data_document(current_user.id)
    if document is None:
        raise AccountGone  # deleted on another device since this request began
    return json_download("data", document)


@bp.route("/fhir.json")
@login_required
def fhir_json():
    bundle = fhir_bundle(current_user.id, current_user.shared_name)
    if bundle is None:
        raise AccountGone  # deleted on another device since this request began
    return json_download("fhir", bundle, mimetype="application/fhir+json")
