"""Private share links: a read-only view of a person's progress, opened without logging in.

A link is `/s/<token>`. The token is `secrets.token_urlsafe(32)` (256 random bits) and
only its SHA-256 is stored, so the database alone opens nothing; the person sees the
full link once, on the page that answers the form that made it (rendered directly,
never carried through a redirect or the session). A link lives 1–90 days and can be
revoked at any moment; every check reads the row afresh, so revoking ends access on
the very next request, and recording an opening re-checks the row in the same
transaction that counts it.

What a visitor sees (`figures.patient_context`) is the caseload's read-only progress view:
charts, figures, flagged days and the reflections the person chose to share; never a
private one.

Decisions:
- An opening is a page view (`what='page'`, any range or metric) or a PDF download
  (`what='report'`); charts are part of the page and are not counted. HEAD requests
  (link previews that only peek) are not counted either, and a HEAD of the report answers
  the download's headers without building it (or, while the report waits, the same 429 and
  Retry-After as a download, with no body).
- Every opening is counted (`open_count`, `last_opened_at`: the owner's list of links says how
  many and when last), but only the first `access.LINK_ROWS` of a kind (page, report, chart)
  within `access.LINK_ROWS_WINDOW` are written down, each a row kept for good (the audit log's,
  and for an opening the one Recent activity lists): anyone holding the link may ask for it
  in a loop, and each row was kept. A person reading the page (changing its range a few
  times) stays well within it, and the visitor is never refused for it.
- A link's report is built at most REPORT_BUILDS times in REPORT_WINDOW_SECONDS (counted in
  the log-in throttle's table, journal/throttle.py), whoever asks: more is a
  429 with a calm page and Retry-After; and counted against the builds of the person who
  shared it (journal/reports/pdf.py, which limits a signed-in person's own reports and the
  caseload's), so that making link after link builds no more.
- Everything under `/s/`, error pages included, answers with no-referrer, noindex and
  no-store, since the address itself is the secret.
- A made-up or malformed token is a 404; a real one that expired or was revoked is a
  410 with a plain page saying which, so the therapist knows to ask for a new one.
- The page that shows a new link is sent with `Cache-Control: no-store`, so the link
  does not stay in the browser's cache or history of pages.
- A person has at most LIVE_LINKS_MAX links that still work: one more is refused at the
  form's name (400, its input kept), saying to revoke one first. Revoked and expired links
  stay listed and do not count. Counted in the transaction that stores the link (holding the
  write lock), so two forms sent at once cannot both pass at one below the limit.
- A person makes at most LINKS_MADE_MAX links within LINKS_MADE_WINDOW, revoked ones
  included (they stay listed for good: making and revoking without end would add rows without
  end). One more is refused at the form's name (400, its input kept), saying from when
  another can be made; counted in the same transaction as LIVE_LINKS_MAX.
- The form carries a random `request_key`, stored with the link it makes. The same form sent
  again (reloading the page that showed the link resends it) makes no second link: the page
  says the link was made already and that its address was shown once; revoking it and making
  a new one is the way to a fresh address. The same key with another label or lifetime (an
  old form brought back with the Back button and filled in anew) makes a new link, as does a
  form without a key.
"""

import re
import secrets
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from . import access, account, clock, figures, qr, throttle
from .access import owned_or_404
from .data import immediate_transaction
from .data import links as data
from .data.tokens import token_hash
from .db import get_db
from .fields import (
    NAME_MAX,
    JournalForm,
    WholeNumberField,
    isolated,
    name_text,
    no_control_characters,
    request_key_field,
)
from .people import AccountGone
from .reports.content import DEFAULT_DAYS, default_range
from .reports.pdf import head_response, pdf_response, person_limit
from .timezones import local_time
from .urls import public_url

bp = Blueprint("share", __name__)

LABEL_MAX = NAME_MAX
DAYS_MIN, DAYS_MAX, DAYS_DEFAULT = 1, 90, 14
TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet; nothing else is a token.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
DAYS_MESSAGE = f"Choose a whole number of days from {DAYS_MIN} to {DAYS_MAX}."
QR_PIXELS_PER_MODULE = 5
# Links that still work, per person: far more than the therapists, clinics and relatives one
# shares with; each is a door into the journal, and an account could make thousands.
LIVE_LINKS_MAX = 20
LIVE_LINKS_MESSAGE = (
    f"You have {LIVE_LINKS_MAX} links that still work, the most at once. Revoke one you no "
    "longer need below, then make this one."
)
# Links made (revoked ones too, which stay listed for good) within LINKS_MADE_WINDOW, per
# person: making, revoking and making again would add rows without end. Far more than a
# person sharing their journal, and fixing a mistake or two, makes in a day.
LINKS_MADE_MAX = 50
LINKS_MADE_WINDOW = timedelta(days=1)
LINKS_MADE_MESSAGE = (
    f"You have made {LINKS_MADE_MAX} links in the last day, the most in a day. You can make "
    "another from {when}."
)
# Builds of one link's report within the window: a download takes a second or more of the
# server's work, and anyone holding the link could ask for it in a loop. Far more than a
# therapist downloading it again needs.
REPORT_BUILDS = 5
REPORT_WINDOW_SECONDS = throttle.window(5 * 60)
LINK_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Cache-Control": "no-store",
}


class ShareForm(JournalForm):
    label = StringField(
        "Who is this link for?",
        filters=[name_text],
        validators=[
            # DataRequired, not InputRequired: a label of spaces is empty once stripped.
            DataRequired("Name the link, like the therapist it is for."),
            Length(max=LABEL_MAX, message=f"Keep the name to {LABEL_MAX} characters."),
            no_control_characters,
        ],
        description="Only you see this name, in the list of your links.",
        render_kw={"autocomplete": "off", "maxlength": LABEL_MAX},
    )
    days = WholeNumberField(
        "Days the link works",
        message=DAYS_MESSAGE,
        default=DAYS_DEFAULT,
        validators=[
            InputRequired(DAYS_MESSAGE),
            NumberRange(DAYS_MIN, DAYS_MAX, message=DAYS_MESSAGE),
        ],
        description=f"From {DAYS_MIN} to {DAYS_MAX}. You can revoke it sooner at any time.",
        render_kw={"inputmode": "numeric", "min": DAYS_MIN, "max": DAYS_MAX},
    )
    # New for every form shown; see the module's decisions.
    request_key = request_key_field()


# Tokens, links and what they show


def status(link, now=None):
    """'active', 'expired' or 'revoked' for a share_links row."""
    if link["revoked_at"]:
        return "revoked"
    if datetime.fromisoformat(link["expires_at"]) <= (now or clock.now()):
        return "expired"
    return "active"


class LinkRefused(Exception):
    """The person may make no link now: they made LINKS_MADE_MAX in the last day, and may
    make another from `again` (a UTC datetime), or (`again` None) LIVE_LINKS_MAX still work."""

    def __init__(self, again=None):
        super().__init__(again)
        self.again = again

    def message(self, zone):
        """What the form's name says, with a time in `zone`."""
        if self.again is None:
            return LIVE_LINKS_MESSAGE
        when = local_time(self.again.isoformat(), zone, "short_year_time")
        return LINKS_MADE_MESSAGE.format(when=when)


def create_link(user_id, label, days, request_key=None):
    """Store a new link for `user_id`; return (row id, token). The token is not stored.

    None when `request_key` already made a link of this person's (the same form sent again).
    Raises LinkRefused when the person made LINKS_MADE_MAX links in the last day, or has
    LIVE_LINKS_MAX that still work. The counts and the link are one transaction holding the
    write lock, so two forms sent at once take turns and the second counts the first's link.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now().replace(microsecond=0)  # the precision stored
    db = get_db()
    with immediate_transaction(db):
        if request_key and made_by(user_id, request_key):
            return None  # the same form sent twice at once: the other one made the link
        made = data.share_links_made_since(
            db, user_id, (now - LINKS_MADE_WINDOW).isoformat(), LINKS_MADE_MAX
        )
        if len(made) >= LINKS_MADE_MAX:  # another once the oldest of them is a day old
            raise LinkRefused(datetime.fromisoformat(made[-1]) + LINKS_MADE_WINDOW)
        if live_links(user_id) >= LIVE_LINKS_MAX:
            raise LinkRefused()
        link_id = data.share_link_insert(
            db,
            {
                "user_id": user_id,
                "label": label,
                "token_hash": token_hash(token),
                "created_at": now.isoformat(),
                "expires_at": (now + timedelta(days=days)).isoformat(),
                "request_key": request_key,
            },
        )
    return link_id, token


def same_request(link, label, days):
    """Whether `link` is what a form asking for `label` and `days` made."""
    lasted = datetime.fromisoformat(link["expires_at"]) - datetime.fromisoformat(link["created_at"])
    return link["label"] == label and lasted == timedelta(days=days)


def made_by(user_id, request_key):
    """The person's link that the form with `request_key` made, or None."""
    return data.share_link_by_request_key(get_db(), user_id, request_key)


def live_links(user_id):
    """How many of the person's links still open something now."""
    return len(data.active_share_link_labels(get_db(), user_id, clock.utcnow_iso()))


def links_of(user_id):
    """The person's links, newest first."""
    return data.share_links_of(get_db(), user_id)


def qr_svg(url):
    """The QR code of the link, for its page (journal/qr.py)."""
    return qr.qr_svg(url, "QR code of the link", QR_PIXELS_PER_MODULE)


def plain_page(state, status_code):
    """Stop here with the plain page for a link that is missing, expired or revoked."""
    abort(make_response(render_template("share/unavailable.html", state=state), status_code))


def valid_link(token):
    """(link row, patient) for a token that opens something now; else a plain 404 or 410."""
    if not TOKEN_PATTERN.fullmatch(token):
        plain_page("missing", 404)
    link = data.share_link_by_token_hash(get_db(), token_hash(token))
    if link is None:
        plain_page("missing", 404)
    state = status(link)
    if state != "active":
        plain_page(state, 410)
    patient = access.person(link["user_id"])
    # A deactivated account's links open nothing while it is off (its clinic may have turned
    # it off because someone else had it), and open again if it is reactivated.
    if patient is None or not patient.is_active:
        plain_page("missing", 404)
    return link, patient


def record_opening(link, what):
    """Count one opening of `link`, in one transaction that first checks it still works.

    A revocation that lands between the lookup and here wins: nothing is counted and the
    visitor gets the 410.
    """
    if request.method == "HEAD":
        return
    db = get_db()
    now = clock.utcnow_iso()
    with db.atomic():
        counted = data.count_opening(db, link["id"], now)
        # Listed when the audit log takes it too, in the same transaction (not past its
        # bound on a link's rows: see the module's decisions).
        if counted and access.record_link_access(db, link, what):
            data.list_opening(db, link["id"], now, what)
    if not counted:
        plain_page("revoked", 410)


# Views: the person's own page of links


def render_index(form=None, new=None, already=None, status_code=200):
    """The /share page: the form, the new link once (when just made), a note when the form
    that made `already` came again, and every link."""
    zone = current_user.timezone
    now = clock.now()
    links = [
        {
            **link,
            "status": status(link, now),
            "created": local_time(link["created_at"], zone),
            "expires": local_time(link["expires_at"], zone),
            "revoked": local_time(link["revoked_at"], zone),
            "last_opened": local_time(link["last_opened_at"], zone),
        }
        for link in links_of(current_user.id)
    ]
    response = make_response(
        render_template(
            "share/index.html",
            form=form or ShareForm(formdata=None),
            new=new,
            already=already and {**already, "status": status(already, now)},
            links=links,
            action_form=JournalForm(formdata=None),
        ),
        status_code,
    )
    if new:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/share", methods=["GET", "POST"])
@login_required
def index():
    form = ShareForm()
    if not form.is_submitted():
        return render_index(form)
    if not form.validate():
        return render_index(form, status_code=400)
    key = form.request_key.data
    earlier = made_by(current_user.id, key) if key else None
    if earlier is not None:
        if same_request(earlier, form.label.data, form.days.data):
            return render_index(already=earlier)
        key = None  # an old form, brought back and filled in anew: a new link
    try:
        made = create_link(current_user.id, form.label.data, form.days.data, key)
    except LinkRefused as refused:
        form.label.errors.append(refused.message(current_user.timezone))
        return render_index(form, status_code=400)
    if made is None:  # the same form sent twice at once: the other one made the link
        return render_index(already=made_by(current_user.id, key))
    link_id, token = made
    account.record_activity("link-made")
    url = public_url("share.view", token=token)
    new = {
        "id": link_id,
        "label": form.label.data,
        "days": form.days.data,
        "url": url,
        "qr": qr_svg(url),
    }
    # Rendered here rather than redirected: the token must not wait in the session.
    return render_index(new=new, status_code=201)


@bp.route("/share/<int:link_id>/revoke", methods=["POST"])
@login_required
def revoke(link_id):
    link = owned_or_404("share_links", id=link_id)
    if not JournalForm().validate_on_submit():
        abort(400)
    if not data.revoke_share_link(get_db(), current_user.id, link["id"], clock.utcnow_iso()):
        raise AccountGone  # deleted on another device since the link was read
    flash(f"The link “{isolated(link['label'])}” is revoked: it no longer opens anything.")
    return redirect(url_for("share.index"))


# Views: what the visitor with the link sees


@bp.route("/s/<token>")
def view(token):
    link, patient = valid_link(token)
    context = figures.patient_context(patient, request.args)
    record_opening(link, "page")
    return render_template(
        "share/view.html",
        page_endpoint="share.view",
        chart_endpoint="share.chart",
        endpoint_args={"token": token},
        token=token,
        # The visitor's time zone is unknown: the patient's date, without a time, is enough.
        expires=local_time(link["expires_at"], patient.timezone, "full_date_year"),
        # The report's range (the last DEFAULT_DAYS days), not the page's: said beside it.
        report_days=DEFAULT_DAYS,
        report_range=default_range(patient),
        **context,
    )


@bp.route("/s/<token>/charts/<name>.<fmt>")
def chart(token, name, fmt):
    link, patient = valid_link(token)
    response = figures.chart_response(patient, name, fmt, request.args, shared=True)
    # Reached through the link (a 304 too: the visitor holds the chart), so audited as a
    # therapist's chart is; a chart the app lacks, or a bad choice, answered 404 or 400 above.
    if request.method != "HEAD":
        db = get_db()
        with db.atomic():
            access.record_link_access(db, link, f"chart:{name}")
    return response


@bp.route("/s/<token>/report.pdf")
def report(token):
    link, patient = valid_link(token)
    start, end = default_range(patient)
    peek = request.method == "HEAD"
    wait = report_wait(link, count=not peek)
    if wait:
        # A HEAD is told the wait too (its body dropped): told 200, a client checking first
        # downloaded and was refused.
        when = throttle.when(wait)
        page = "" if peek else render_template("share/unavailable.html", state="busy", when=when)
        return page, 429, {"Retry-After": str(wait)}
    if peek:
        return head_response(start, end)
    # Built before the opening is counted: a report that fails to build was not opened.
    response = pdf_response(patient, start, end)
    record_opening(link, "report")
    return response


def report_wait(link, count=True):
    """Seconds before the link's report may be built again; 0 when it may be now, and then this
    build is counted, unless `count` is false (a HEAD, which builds nothing). Counted against its
    owner's builds too: a person could otherwise make link after link to build without end."""
    limits = [
        (f"report:{link['id']}", REPORT_BUILDS, REPORT_WINDOW_SECONDS),
        person_limit(link["user_id"]),
    ]
    return throttle.take(limits, count)
