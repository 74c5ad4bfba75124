"""The report as a whole: `content`'s data drawn by `pages`, as PDF bytes or a download.

For this package's view and for anything else that shows a patient's report (share links).
"""

from flask import Response

from .content import SECTIONS, report_data


def report_pdf(person, start, end, sections=SECTIONS):
    """The PDF report of `person` from `start` to `end` with `sections`, as bytes.

    `pages` (and with it fpdf2: some 240 modules, 19 MB of a worker and a tenth of a second
    or more to load) is loaded by the first report a worker prints, not by every worker as
    it starts: most never print one.
    """
    from .pages import build_pdf

    return build_pdf(report_data(person, start, end), sections)


def filename(start, end):
    """The download's file name."""
    return f"afterglow-report-{start.isoformat()}-{end.isoformat()}.pdf"


def headers(start, end):
    """The download's headers, but its type."""
    return {
        "Content-Disposition": f'attachment; filename="{filename(start, end)}"',
        "Cache-Control": "no-store",
    }


def pdf_response(person, start, end, sections=SECTIONS):
    """The report as a download that no cache keeps."""
    return Response(
        report_pdf(person, start, end, sections),
        mimetype="application/pdf",
        headers=headers(start, end),
    )


def head_response(start, end):
    """The answer to a HEAD of the download (a link preview peeking): the headers a GET would
    have, without building the report (a second or more of work). No Content-Length: the size
    is known only once it is built (an empty iterator, not a list, so none is added)."""
    return Response(iter(()), mimetype="application/pdf", headers=headers(start, end))
