"""A draft's Save that the journal stored, said in the journal's answer (static/drafts.js).

static/drafts.js keeps what a person types in a form marked data-draft on their device until
the journal has it. Each Save sends a random `draft` token with the form. The answer to a
Save that was stored (a redirect for a signed-in person, with its message for the next page,
as every save's answer has) sets a cookie naming that token; the script reads it on whichever
page opens next, forgets the draft that Save sent, and deletes the cookie.

Before, only the next page's message said so: a Back tapped before that page's script had
run (a slow phone) found the draft sent and never confirmed, and the form opened again said
its Save had not reached the journal, with the saved words put back to save a second time.

The cookie holds the random token and nothing of what was written; the script must read it,
so it is not HttpOnly, and it lasts a day at most, as a draft does.
"""

import re

from flask import current_app, g, request, session

FIELD = "draft"
COOKIE = "draft_saved"
TOKEN = re.compile(r"[0-9a-f]{32}")
LASTS_SECONDS = 24 * 60 * 60


def confirm_saved(response):
    """Set COOKIE to the Save's token on the answer to a stored Save (an `after_request`)."""
    if request.method != "POST" or response.status_code not in (302, 303):
        return response
    user = g.get("_login_user")
    if user is None or not user.is_authenticated or not session.get("_flashes"):
        return response  # a log-in redirect (the sign-in had ended) is no save
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
