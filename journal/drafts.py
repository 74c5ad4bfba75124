"""A draft's Save that the journal stored, said in the journal's answer (static/drafts.js).

static/drafts.js keeps what a person types in a form marked data-draft on their device until
the journal has it. Each Save sends a random `draft` token with the form. The view that
stored a Save, or found it stored already, says so (`stored()`), and its answer (a redirect)
sets a cookie naming that token; the script reads it on whichever page opens next, forgets
the draft that Save sent, and deletes the cookie. (The check-in page sends its form by
script and reads the journal's JSON answer itself: static/checkin-form.js tells drafts.js.)

Before, only the next page's message said so: a Back tapped before that page's script had
run (a slow phone) found the draft sent and never confirmed, and the form opened again said
its Save had not reached the journal, with the saved words put back to save a second time.

The cookie holds the random token and nothing of what was written; the script must read it,
so it is not HttpOnly, and it lasts a day at most, as a draft does.
"""

import re

from flask import current_app, g, request

FIELD = "draft"
COOKIE = "draft_saved"
TOKEN = re.compile(r"[0-9a-f]{32}")
# How long a draft lasts: the cookie here, and the drafts static/drafts.js keeps (base.html
# renders it as the body's data-draft-seconds; the script has no copy).
LASTS_SECONDS = 24 * 60 * 60


def sent_with_draft(form):
    """Whether `form`, as sent, came from a page that keeps its words on the device until the
    journal has them: static/drafts.js sends each Save's token with them."""
    return bool(TOKEN.fullmatch(form.get(FIELD, "")))


def stored():
    """Called by a view whose form's words the journal now holds (saved now, or saved before
    from the same form): its answer names the Save's token."""
    g.draft_stored = True


def confirm_saved(response):
    """Set COOKIE to the Save's token on the answer to a stored Save (an `after_request`).

    Only a view's own word counts: a redirect to the log-in page, a message left from an
    earlier request, or a newer check-in kept in place of the one sent stores nothing."""
    if not g.get("draft_stored") or response.status_code not in (302, 303):
        return response
    token = request.form.get(FIELD, "")
    if TOKEN.fullmatch(token):
        response.set_cookie(
            COOKIE,
            token,
            max_age=LASTS_SECONDS,
            path="/",
            secure=current_app.config["HTTPS"],
            httponly=False,
            samesite="Strict",
        )
    return response
