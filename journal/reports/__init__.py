"""The therapist's PDF report: a one-minute first page, then charts, sessions and shared words.

A package by job: `content` gathers the report's data as a plain dict (only what a therapist
may see), `pages` draws that dict into PDF bytes with the building blocks of `layout` (fonts
and the layout engine: pure fpdf2, no journal imports), `pdf` joins the two into bytes or a
download, and `range_form` is the GET form of range and sections. This module is the
blueprint (the form's page and the download) and exposes what other modules use. `layout`
and `pages` (fpdf2) load with the first report a worker prints (`pdf.report_pdf`).
"""

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from .. import account
from .content import (
    DEFAULT_DAYS,
    RANGE_MAX_DAYS,
    SECTION_LABELS,
    SECTIONS,
    default_range,
    report_data,
)
from .pdf import busy_words, filename, head_response, pdf_response, person_wait, report_pdf
from .range_form import report_form

__all__ = [
    "DEFAULT_DAYS",
    "RANGE_MAX_DAYS",
    "SECTIONS",
    "SECTION_LABELS",
    "bp",
    "default_range",
    "filename",
    "pdf_response",
    "report_form",
    "report_data",
    "report_pdf",
]

bp = Blueprint("reports", __name__, url_prefix="/export")


@bp.route("/report")
@login_required
def form():
    return render_template("reports/form.html", form=report_form(current_user, None))


@bp.route("/report.pdf")
@login_required
def download():
    form = report_form(current_user, request.args)
    if not form.validate():
        return render_template("reports/form.html", form=form), 400
    peek = request.method == "HEAD"
    wait = person_wait(current_user.id, count=not peek)
    if wait:
        form.form_errors.append(busy_words(wait))
        page = "" if peek else render_template("reports/form.html", form=form)
        return page, 429, {"Retry-After": str(wait)}
    if peek:  # the headers alone, as a share link's HEAD: nothing built, nothing recorded
        return head_response(form.day["start"], form.day["end"])
    response = pdf_response(current_user, form.day["start"], form.day["end"], form.chosen())
    return account.export_recorded(response, "report.pdf")  # issue 5: "Recent activity"
