"""The report as a whole: `content`'s data drawn by `pages`, as PDF bytes or a download.

For this package's view and for anything else that shows a patient's report (share links,
the caseload).

A signed-in person's builds, of their own report or of a caseload patient's, and those of
their share links, are counted together under their id (journal/throttle.py; a share link's
under the link too): at most PERSON_BUILDS in PERSON_WINDOW_SECONDS, then a 429 with
Retry-After (`person_wait`).
"""

from flask import Response

from .. import throttle
from .content import SECTIONS, report_data

# Builds by one signed-in person within the window: a long journal's report takes a second or
# more of the small server's work, and anyone signed in could ask for it in a loop. Far more
# than a person trying a few ranges, or a therapist reading a morning's patients, needs.
PERSON_BUILDS = 10
PERSON_WINDOW_SECONDS = throttle.window(5 * 60)


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


def person_limit(person_id):
    """The limit on the report builds `person_id` answers for (`throttle.take`): their own
    reports, their caseload's, and their share links' (links they can make any number of)."""
    return (f"report-by:{person_id}", PERSON_BUILDS, PERSON_WINDOW_SECONDS)


def person_wait(person_id, count=True):
    """Seconds before `person_id` may have another report built; 0 when they may now, and then
    this build is counted, unless `count` is false (a HEAD, which builds nothing)."""
    return throttle.take([person_limit(person_id)], count)


def busy_words(wait):
    """What the person is told while their reports wait `wait` seconds."""
    return (
        "Several reports were made in the last few minutes. To keep Afterglow quick for "
        f"everyone, please try again {throttle.when(wait)}."
    )
