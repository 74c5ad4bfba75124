"""Progress: the person's course through their sessions, as a page, JSON and charts.

Only the views: what they show is built by `journal/figures.py` (the read model that the
shared view, the caseload, the sessions pages and the PDF report share), from rows fetched
through `journal/data/`.
"""

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from . import figures

bp = Blueprint("progress", __name__)


@bp.route("/charts/<name>.<fmt>")
@login_required
def chart(name, fmt):
    return figures.chart_response(current_user, name, fmt, request.args)


@bp.route("/progress/summary.json")
@login_required
def summary_json():
    return Response(
        figures.summary_json(current_user),
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


@bp.route("/progress")
@login_required
def index():
    return render_template(
        "progress/index.html",
        page_endpoint="progress.index",
        chart_endpoint="progress.chart",
        endpoint_args={},
        **figures.view_context(current_user, request.args),
    )
