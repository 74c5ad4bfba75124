"""Who may see what: the one place that decides it.

- Owner checks (`owned_or_404`, `owned_page`): a person's own records, looked up with their
  id. Someone else's record is a 404, never a 403 that would confirm it exists.
- Roles: a therapist keeps no journal, so a therapist who opens a patient's page (any page
  of the blueprints in `PATIENT_BLUEPRINTS` and the pages in `PATIENT_PAGES`, except what
  `OPEN_TO_ALL` names) is sent to the caseload; views for one role only are decorated with
  `patient_required`, `therapist_required` or `admin_required`, which answer 404 to anyone
  else. An admin (clinic staff who run the service, never a clinician) reaches only the pages
  `ADMIN_REACHES` names (the admin pages, their own account's settings, help, log-in and
  out): every other page, a patient's or a therapist's, answers an admin 404
  (`admins_to_admin_pages`), so no road leads an admin to health data.
- Two-factor for staff: while REQUIRE_2FA_FOR_STAFF (the default), a therapist or admin
  without two-factor sign-in reaches only `BEFORE_TWO_FACTOR` (their settings, log-in and
  out, pages for anyone): a page elsewhere (the caseload, /admin) leads to /settings/2fa,
  a POST is a 403 (`staff_to_two_factor`).
- What a therapist or a share link may see of a patient (`flagged_days`,
  `shared_reflections`, `shared_session`, `shared_checkins`, `symptoms_seen`,
  `linked_patient_or_404`): share links, the caseload, reports and every chart fetch a
  patient's words through here, so a reflection marked private (on a check-in or a
  session, its prompt answers included), or a symptom's name, can never reach them by
  another road. The person's own exports do not
  come through here: their data is theirs in full.
- CSRF: Flask-WTF's `CSRFProtect` checks every POST of the app, after the other checks of
  the request (log-in, roles), and a refused token is answered by the app's "This form has
  expired" page (400). The one exception, named in `CHECKS_ITS_OWN_TOKEN`: views whose form
  checks the token itself, so that a refused one comes back as a message on the same form
  with the person's words kept (or, for the check-in's JSON answer, as errors under
  `csrf_token`), still 400 and still saving nothing. Log out is the one that acts on a
  refused token: from this site's own page (`sent_from`) it still logs out, since its
  token may be a sign-in older than another tab's (auth.logout). tests/test_access.py posts
  without a token to every POST route.
"""

import json
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, after_this_request, current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect, same_origin
from werkzeug.exceptions import Forbidden, NotFound

from . import clock, rules, two_factor
from .charts import CHARTS
from .data import audit, links, owned, users
from .data import symptoms as symptom_data
from .db import Page, get_db, page_of, pages_for, per_page, requested_page
from .numbers import plural
from .people import User, is_active, unauthorized
from .rules import CRISIS_MOOD
from .session_record import (
    LABELS,
    PROMPTS,
    latest_mood,
    needs_crisis_resources,
    stored_side_effects,
)
from .tags import visible

# Owner checks


def owned_or_404(table, gone=None, back=None, **where):
    """The signed-in person's row of `table` matching `where` (column=value), or 404: with
    the words `gone` when given (what is not there, for a page reached by Back after a
    delete), else the plain "nothing at this address", and a link to the list the words name
    (`back`: (endpoint, link text)) in place of the start page's.

    Every lookup names its owner: someone else's record is a 404, never a 403 that would
    confirm it exists (and its words are the same as for one that never was).
    """
    row = owned.owned_row(get_db(), table, current_user.id, **where)
    if row is None:
        error = NotFound(description=gone)
        error.back = back
        raise error
    return row


def owned_page(table, order_by, listed_as=None):
    """The signed-in person's rows of `table` on the request's `?page=N`, in `order_by` order
    (newest first), as a `Page`; 404 for a page that is not there (see `db.page_of`).

    The one way History, Sessions and the like count and fetch a page, so every list pages
    alike. `listed_as` is (the list's name, its endpoint): a page past the last (one shown
    before something on it was deleted, reached again by Back, a reload or another tab) is a
    404 that says how many pages the list has now, with a link to it, not a bare "nothing at
    this address" that led to the start page.
    """
    db = get_db()
    total = owned.owned_count(db, table, current_user.id)
    if listed_as is not None:
        raise_past_the_last(total, *listed_as)
    page, pages, offset = page_of(total)
    rows = owned.owned_rows(db, table, current_user.id, order_by, per_page(), offset)
    return Page(rows, page, pages, total, offset)


def raise_past_the_last(total, name, endpoint):
    """For a request's `?page=N` past the last page of the list `name` (at `endpoint`) of
    `total` rows: a 404 saying how many pages it has now, with a link to it (see
    `owned_page`). Other pages, and what names no page, are left to `db.page_of`."""
    asked, pages = requested_page(), pages_for(total)
    if asked is not None and asked > pages:
        error = NotFound(
            description=f"There is no page {asked} of {name} now: it has {plural(pages, 'page')}."
        )
        error.back = (endpoint, f"Go to {name}")
        raise error


# Roles

# A patient's journal: a therapist keeps none, and opening any of it leads to the caseload.
PATIENT_BLUEPRINTS = frozenset(
    {"checkins", "sessions", "assessments", "progress", "imports", "reports", "exports", "share"}
)
# ...and these pages of blueprints both roles use (a therapist has settings too): symptoms
# to rate and the daily check-in reminder.
PATIENT_PAGES = frozenset(
    {
        "settings.symptoms",
        "settings.retire_symptom",
        "settings.restore_symptom",
        "settings.reminders",
        "settings.reminder_link",
        "settings.reminder_link_off",
    }
)
# ...except what anyone may open: a share link's page, its charts and its report.
OPEN_TO_ALL = frozenset({"share.view", "share.chart", "share.report"})


# All an admin may open: the admin pages, the account-level settings, and pages for anyone.
ADMIN_BLUEPRINTS = frozenset({"admin", "auth"})
ADMIN_REACHES = frozenset(
    {
        "static",
        "pages.index",
        "pages.help",
        "pages.healthz",
        "offline.manifest",
        "offline.service_worker",
        "offline.offline",
        "settings.index",
        "settings.password",
        "settings.activity",
        "settings.delete",
        "settings.devices",
        "settings.signout_device",
        "settings.signout_others",
        "settings.passkeys_page",
        "settings.passkey_options",
        "settings.add_passkey",
        "settings.rename_passkey",
        "settings.remove_passkey",
        "settings.two_factor_page",
        "settings.two_factor_off",
        "settings.two_factor_codes",
    }
)


def admins_to_admin_pages(blueprint, endpoint):
    """Answer 404 to a signed-in admin who opens anything but `ADMIN_REACHES` (a patient's
    pages, the caseload, share links, a patient's settings): an admin never sees health data."""
    # The page first: a page open to admins (/healthz among them) never loads the user.
    if blueprint in ADMIN_BLUEPRINTS or endpoint in ADMIN_REACHES:
        return None
    if current_user.is_authenticated and getattr(current_user, "is_admin", False):
        abort(404)
    return None


def therapists_to_caseload(blueprint, endpoint):
    """Send a signed-in therapist who opens a patient's page to the caseload. Pages that need
    a log-in still send a stranger to log in."""
    patient_page = blueprint in PATIENT_BLUEPRINTS or endpoint in PATIENT_PAGES
    if not patient_page or endpoint in OPEN_TO_ALL:
        return None
    if current_user.is_authenticated and current_user.is_therapist:
        return redirect(url_for("caseload.index"))
    return None


# Staff (therapists, admins) without two-factor sign-in, when REQUIRE_2FA_FOR_STAFF: only
# these blueprints (their own settings, log-in and out, pages for anyone) until it is set up.
BEFORE_TWO_FACTOR = frozenset({"settings", "auth", "pages", "offline"})


STAFF_TWO_FACTOR_FIRST = (
    "Your clinic asks staff to use two-factor sign-in: nothing was saved. Set it up, then "
    "go back and send this again."
)


def staff_to_two_factor(blueprint, endpoint):
    """Keep a signed-in therapist or admin without two-factor sign-in (when the clinic requires
    it: REQUIRE_2FA_FOR_STAFF, the default) to `BEFORE_TWO_FACTOR`: no caseload, no patient's
    data, no /admin. A page is redirected to /settings/2fa to set it up; any other request
    (a POST) is refused with 403 and changes nothing."""
    if blueprint in BEFORE_TWO_FACTOR or endpoint == "static":
        return None
    if not current_app.config.get("REQUIRE_2FA_FOR_STAFF", True):
        return None
    if not (current_user.is_authenticated and current_user.role in two_factor.STAFF):
        return None
    if not two_factor.required(get_db(), current_user):
        return None
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("settings.two_factor_page"))
    # A form sent from a page opened before (two-factor turned off in another tab, or the
    # rule newly on): the app's error page says why and leads to the set-up.
    error = Forbidden(description=STAFF_TWO_FACTOR_FIRST)
    error.back = ("settings.two_factor_page", "Set up two-factor sign-in")
    raise error


def gates():
    """Every request's checks of who may open it, in one hook (each hook costs every request,
    /healthz too): admins to their pages, therapists to the caseload, staff to two-factor.
    The page is read from the request once and handed to each."""
    blueprint, endpoint = request.blueprint, request.endpoint
    return (
        admins_to_admin_pages(blueprint, endpoint)
        or therapists_to_caseload(blueprint, endpoint)
        or staff_to_two_factor(blueprint, endpoint)
    )


def role_required(test):
    """A decorator: the view answers 404 unless `test(current_user)` holds."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not test(current_user):
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# Put under @login_required, so a stranger is sent to log in first (here a stranger is a 404).
patient_required = role_required(lambda user: getattr(user, "role", None) == "patient")
therapist_required = role_required(lambda user: getattr(user, "role", None) == "therapist")
admin_required = role_required(lambda user: getattr(user, "role", None) == "admin")


def still_active_or_to_log_in(db):
    """Inside the write transaction of a view that hands out a link (an admin's invitation or
    reset link): unless the signed-in account is still there and active, the transaction is
    rolled back and the person sent to log in. Deactivating an account ends its sign-ins and
    retires the links it handed out; a request of theirs already running when it landed would
    otherwise hand out one more, made after, that kept working."""
    row = users.by_id(db, current_user.id)
    if row is None or not is_active(row):
        abort(unauthorized())


# What a therapist or a share link may see of a patient


def person(user_id):
    """The User for a patient's id (for views that show someone other than the viewer)."""
    row = users.by_id(get_db(), user_id)
    return User(row) if row else None


# A therapist's page of a patient not linked to them (one who unlinked or left while the page
# was open, reached again by a reload or Back): the same words for any patient, so nothing is
# confirmed; the caseload names who left.
NOT_LINKED = (
    "This patient's journal is not shared with you: they may have unlinked, or deleted their "
    "account. Your caseload lists your patients, and who left in the last 30 days."
)


def not_linked():
    """404 with NOT_LINKED and, as the words name the caseload, a link back to it in place
    of the start page's."""
    error = NotFound(description=NOT_LINKED)
    error.back = ("caseload.index", "Back to your caseload")
    raise error


def linked_patient_or_404(patient_id):
    """The signed-in therapist's linked patient `patient_id`, or 404 for anyone else.

    Every caseload route that reaches a patient comes through here, so this is where the
    audit log is asked to record a view (`record_therapist_access`): once the view has
    answered with what it shows, so a request it refuses (a bad range or page, a chart
    format it does not draw: 400, 404) records nothing and never reads as a view in the
    patient's "Recent activity". The record is written before the answer leaves: a failure
    to record answers 500 and shows nothing. A POST is recorded by its view once its form is
    accepted: a refused form changes nothing, the audit log included. A HEAD shows nothing
    and is not recorded.
    """
    if not current_user.is_therapist:
        abort(404)
    if not links.is_linked(get_db(), patient_id, current_user.id):
        not_linked()
    patient = person(patient_id)
    if patient is None:  # they deleted their account since the link was read
        not_linked()
    if request.method == "GET":

        @after_this_request
        def record_if_shown(response):
            if response.status_code < 400:
                record_therapist_access(patient_id)
            return response

    return patient


def still_linked_or_404(patient_id):
    """404, recording nothing, unless `patient_id` is still linked to the signed-in therapist:
    for a view that takes long after `linked_patient_or_404` (the report: seconds for a long
    journal), an unlink that lands meanwhile wins, as a share link's revocation does."""
    if not links.is_linked(get_db(), patient_id, current_user.id):
        not_linked()


def record_therapist_access(patient_id):
    """Append the signed-in therapist's reach into `patient_id`'s data to the audit log:
    `view` for a GET (a page, a report, a chart), `change` for a POST (marking reviewed),
    with the route's name as detail (`chart:<name>` for a chart). A chart the app does not
    have is not recorded: its route answers 404 and reaches nothing."""
    detail = request.endpoint or ""
    if detail.endswith(".chart"):
        name = (request.view_args or {}).get("name")
        if name not in CHARTS:
            return
        detail = f"chart:{name}"
    action = "view" if request.method == "GET" else "change"
    db = get_db()
    with db.atomic():
        audit.record(db, current_user.id, action, patient_id, current_user.role, detail)


# A share link's reach written down, of each kind, within the window: a page read with care
# (its range and measure changed a few times) stays within it; past it (a loop), the link's
# openings are only counted (`share_links.open_count`, `last_opened_at`).
LINK_ROWS = 10
LINK_ROWS_WINDOW = timedelta(minutes=10)


def record_link_access(db, link, what):
    """Append what a share link reached to the audit log: `what` is 'page' or 'report' (an
    opening: call in the transaction that counts it) or 'chart:<name>' (a chart the link's
    page draws, or anyone holding the link fetches: recorded, not counted as an opening).
    No account, so no actor; the link's id and `what` as detail.

    Only the first LINK_ROWS of a kind (page, report, chart) within LINK_ROWS_WINDOW: anyone
    holding the link may ask without end (a script in a loop), and each row is kept for good.
    True when appended; the opening is listed (journal/share.py) only then."""
    kind = what.split(":")[0]
    since = (clock.now() - LINK_ROWS_WINDOW).isoformat(timespec="seconds")
    prefix = f"link:{link['id']}:{kind}"
    if audit.rows_from(db, link["user_id"], prefix, since, LINK_ROWS) >= LINK_ROWS:
        return False
    audit.record(db, None, "view", link["user_id"], "share-link", f"link:{link['id']}:{what}")
    return True


def shared_session(row):
    """What a therapist or a report sees of one session row (with its "number"): named
    fields only, never its words. Product, route and side effects in words; blood pressure
    as "128/82" (mmHg) or None (the form stores both numbers or neither); the typed
    "something else" side effect (`side_effects_other`) only when the session is not kept
    private, as its reflection, and then in the list in place of its label."""
    other = "" if row["private"] else row["side_effects_other"]
    keys = stored_side_effects(row)
    names = [
        other if key == "other" and other else LABELS["side_effects"].get(key, key) for key in keys
    ]
    if other and "other" not in keys:
        names.append(other)
    return {
        "number": row["number"],
        "day": row["day"],
        "product": LABELS["products"].get(row["product"], row["product"]),
        "route": LABELS["routes"].get(row["route"], row["route"]),
        "dose_mg": row["dose_mg"],
        "dose_mg_per_kg": row["dose_mg_per_kg"],
        "mood_before": row["mood_before"],
        "mood_after": row["mood_after"],
        "dissociation": row["dissociation"],
        "bp_before": _pressure(row, "before"),
        "bp_after": _pressure(row, "after"),
        "side_effects": names,
        "side_effects_other": other,
    }


def _pressure(row, when):
    top, bottom = row[f"bp_{when}_systolic"], row[f"bp_{when}_diastolic"]
    return None if top is None or bottom is None else f"{top}/{bottom}"


def shared_reflections(user_id, start=None, end=None):
    """The reflections the patient chose to share, oldest first.

    Each is {"day", "kind" ("check-in" or "session"), "text", "answers": [(prompt, answer)]};
    private ones and empty ones are left out.
    """
    db = get_db()
    # Words as typed are kept (spaces and all), but a reflection that shows nothing (spaces,
    # a zero-width space) reached the therapist as an empty "shared reflection".
    items = [
        {"day": day, "kind": "check-in", "text": text, "answers": []}
        for day, text in links.shared_checkin_reflections(db, user_id, start, end)
        if visible(text)
    ]
    for day, text, prompts in links.shared_session_reflections(db, user_id, start, end):
        answers = json.loads(prompts or "{}")
        shown = [(label, answers[key]) for key, label in PROMPTS if visible(answers.get(key))]
        text = text if visible(text) else ""
        if text or shown:
            items.append({"day": day, "kind": "session", "text": text, "answers": shown})
    return sorted(items, key=lambda item: item["day"])


def shared_checkins(user_id, start=None, end=None):
    """What a therapist sees of each check-in, oldest first: its day and figures (mood,
    anxiety, energy, sleep: what the shared charts draw) and when it was saved; never its
    reflection or tags (a shared reflection comes through `shared_reflections`)."""
    return [
        {
            "day": day,
            "mood": mood,
            "anxiety": anxiety,
            "energy": energy,
            "sleep_hours": sleep_hours,
            "updated_at": updated_at,
        }
        for day, mood, anxiety, energy, sleep_hours, updated_at in links.checkin_figures(
            get_db(), user_id, start, end
        )
    ]


# The ranks of flagged_days' reasons, most serious first: 0 thoughts of self-harm on a
# check-in, 1 PHQ-9 item 9 above 0, 2 a crisis mood on a check-in, 3 one as a session's
# latest rating. Those up to SELF_HARM_RANK are self-harm answers.
SELF_HARM_RANK = 1


def flagged_days(user_id, start=None, end=None, with_kinds=False, with_self_harm=False):
    """Days that call for a therapist's attention, oldest first: [{"day", "reasons"}], and
    with `with_kinds` the kinds of entry that flag each day ("kinds": a set of "checkin",
    "phq9", "session"; journal/reviews.py asks whether what was saved since a review did),
    with `with_self_harm` whether the day has a self-harm answer ("self_harm": thoughts of
    self-harm on a check-in or PHQ-9 item 9 above 0, not only a low mood; the report's first
    page lists those days first).

    The one place that decides it (the caseload, share links and the PDF all ask here). A
    day is flagged by a check-in reporting thoughts of self-harm, a PHQ-9 whose item 9
    (thoughts of being better off dead or of self-harm) is above 0, a check-in mood of 0-2,
    or a session whose latest mood rating is 0-2 (the rule that shows the crisis panel).
    Each day's reasons come most serious first, in that order. A private entry still
    flags its day; only the reason is given, never its words.
    """
    db = get_db()
    flags = {}  # day: [((rank, severity), reason, kind)]

    def add(day, rank, reason, kind, severity=0):
        flags.setdefault(day, []).append(((rank, severity), reason, kind))

    for day, mood, self_harm in links.checkin_flags(db, user_id, CRISIS_MOOD, start, end):
        if self_harm:
            add(day, 0, "thoughts of self-harm reported", "checkin")
        if rules.is_crisis_mood(mood):
            add(day, 2, f"mood {mood} of 10", "checkin", mood)
    for day, item9 in links.phq9_item9_flags(db, user_id, rules.SAFETY_ITEM_ABOVE, start, end):
        add(day, 1, f"PHQ-9 item 9 answered {item9} of 3", "phq9", -item9)
    for row in links.session_moods(db, user_id, start, end):
        if needs_crisis_resources(row):
            when = "after" if row["mood_after"] is not None else "before"
            mood = latest_mood(row)
            add(row["day"], 3, f"mood {mood} of 10 {when} a session", "session", mood)
    found = []
    for day, reasons in sorted(flags.items()):
        # Within a kind too, the most serious first (item 9 answered 3 before 1, a mood of 0
        # before 2); a reason two entries of the day give alike is said once.
        reasons.sort(key=lambda r: r[0])
        said = list(dict.fromkeys(reason for _, reason, _ in reasons))
        flag = {"day": day, "reasons": said}
        if with_kinds:
            flag["kinds"] = {kind for _, _, kind in reasons}
        if with_self_harm:
            flag["self_harm"] = reasons[0][0][0] <= SELF_HARM_RANK
        found.append(flag)
    return found


def symptoms_seen(person, shared):
    """The symptoms `person` tracks that a view of their progress offers as metrics: all of
    them to the person; none to a shared view (a link or the caseload), since a symptom's
    name is the person's own words and they never chose to share it."""
    return [] if shared else symptom_data.every(get_db(), person.id)


# CSRF

# Views whose form checks the CSRF token itself (by endpoint), to show a refused one as a
# message on the form with the person's words kept (or, for log out, to log out all the same
# from this site's page); every other POST is checked app-wide.
CHECKS_ITS_OWN_TOKEN = frozenset(
    {
        "auth.register",
        "auth.login",
        "auth.logout",
        "checkins.checkin",
        "checkins.edit",
        "sessions.new",
        "sessions.edit",
        "assessments.take",
        "imports.upload",
        "imports.confirm",
        "imports.cancel",
        "share.index",
        "settings.index",
        "settings.password",
        "settings.delete",
        "settings.reminders",
        "settings.symptoms",
        "settings.therapist",
    }
)


def sent_from():
    """Where the browser says this request comes from: "here" (this site's own pages),
    "elsewhere" (another site, or a sibling subdomain), or None when it says neither. From
    the Sec-Fetch-Site header, else, from a browser that sends none, the Origin's host (the
    host alone: behind a proxy the scheme the app sees may not be the phone's)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return {"same-origin": "here", "cross-site": "elsewhere", "same-site": "elsewhere"}.get(
            site.lower()
        )
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    return "here" if urlsplit(origin).netloc == request.host else "elsewhere"


class CheckedPosts(CSRFProtect):
    """Flask-WTF's CSRFProtect, asking the request's method first: most requests are GETs,
    which are never checked, and Flask-WTF looks up the view's exemptions before the method.
    A view in CHECKS_ITS_OWN_TOKEN gets the Referer check over HTTPS alone here: its form
    checks the token."""

    def protect(self, apply_exemptions=False):
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        if request.endpoint in CHECKS_ITS_OWN_TOKEN:
            self.check_origin()
        else:
            super().protect(apply_exemptions)

    def check_origin(self):
        """For a view that checks its own token: a post the browser says came from another
        site is refused here, before the view, which would answer with a form holding a new
        token, so a new session cookie, in place of the signed-in one the browser kept back
        (SameSite): another site's post to log in or out signed the person out. Then
        Flask-WTF's own check over HTTPS (WTF_CSRF_SSL_STRICT): a Referer of this origin (a
        same-origin browser always sends one: the Referrer-Policy is same-origin)."""
        if sent_from() == "elsewhere":
            self._error_response("The form was sent from another site.")
        strict = request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]
        if strict and not same_origin(request.referrer or "", f"https://{request.host}/"):
            self._error_response("The referrer is missing or does not match the host.")


csrf = CheckedPosts()


def init_app(app):
    """Check CSRF on every POST (the token of a view in CHECKS_ITS_OWN_TOKEN by its form),
    after the request's other checks; keep therapists to the caseload.

    Call after every blueprint is registered, so CSRFProtect's check runs after the others.
    """
    app.before_request(gates)
    csrf.init_app(app)
