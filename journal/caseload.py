"""Therapist accounts: the caseload and the therapist's invite code.

A therapist gives a patient an invite code (journal/therapist_link.py); the patient enters it
at `/settings/therapist` (journal/settings/therapist.py) and is linked (one therapist at a
time) until they unlink, which ends access at once. The caseload lists the linked patients,
those needing attention first, and `/caseload/<patient_id>` shows one of them read-only,
with the figures and charts a share link gives (`templates/progress/_view.html`): what
reaches a therapist is decided in `journal/access.py` alone, so private reflections never do.

Decisions:

- Every caseload route answers 404, never 403, to anyone who may not see it: a patient
  account on `/caseload`, a therapist asking for a patient who is not linked to them (or
  who does not exist).
- The caseload shows each patient by the name they chose for therapists
  (`User.shared_name`) with their email address beneath it: the therapist knows the
  person and needs to tell two "Patient"s apart and reach them. `/settings/therapist`
  tells the patient both are shown before they link.
- Needs attention (each reason shown as text): a flagged day in the last 14 days that the
  therapist has not marked as reviewed (`reviews.unreviewed_flags`, from
  `access.flagged_days`: thoughts of self-harm, PHQ-9 item 9 above 0, a mood of 0-2 on a
  check-in or as a session's last mood rating; most serious reason first); a
  7-day mean below baseline (compared as shown, to one decimal, so the text never reads
  "3.0, below baseline 3.0"); no check-in for 5 days or more, or never (unless the clinic
  turned the patient's account off: none can come, and the card says why). Flagged patients
  come first, most recent flag first; then the others needing attention, longest silence
  first; then the rest, longest silence first. Ties go by name. "Today", the 14 and 7
  days and the silence are counted in each patient's own time zone.
- Therapist pages send `Cache-Control: no-store`, charts and the PDF included (overriding
  the chart's `private, no-cache`): a therapist's computer should keep no copy of a
  patient's data, so unlinking leaves nothing behind. (`/settings/therapist` does too.)

The five-minute review (issue 10; what is "new" is decided in journal/reviews.py):

- `/caseload/<patient_id>` opens on "Since your last review" ("Since linking" before the
  first): new flagged days with every reason, sessions, check-up scores with their change,
  and shared reflections, newest first; then "Mark as reviewed"
  (`POST /caseload/<patient_id>/reviewed`, the time on the app's clock, one per therapist
  and patient, the latest wins, so a repeated or stale post is harmless); then the lift, the
  figures, charts and calendar of the chosen range; then the range's flagged days and shared
  reflections as one history, newest first, ENTRIES_PER_PAGE a page. A page number that is
  not a number is a 400; one past the last page shows the last page (the history may have
  shrunk since the link was made).
- Marking a patient reviewed clears the flags it covers from "needs attention"; a flag
  that an entry saved after it gives (a later day's, or an earlier day's edited) raises it
  again. The other reasons (a low mean, silence) are not cleared by a review: the button's
  hint says so, and so does its flash when they keep the patient there; the flash also
  names a flag saved after the page the button was on was shown, which the review does not
  cover (that page never showed it). Each card says when the patient was last reviewed,
  counted in the therapist's own days.
- A review just marked can be undone (a stray tap on a phone cleared a patient's flags for
  good): its answer offers "Undo" (`POST /caseload/<patient_id>/reviewed/undo`, `made`: the
  review's time) for UNDO_MINUTES, on the device that marked, which puts back the review
  before it (or none) while it is still the therapist's latest: after a later review it
  says it can no longer be undone, sent twice that it is undone already. Recorded in the
  audit log as `caseload.undo_review`. No migration: the review it replaced is kept in the
  signed session, never taken from the page.
- `/caseload/<patient_id>/report.pdf` is the report the patient would make of the last 90
  days (journal/reports), which holds only what a therapist may see.
- A patient who unlinks (or links elsewhere) or deletes the account leaves a notice on the
  caseload for 30 days (`data.reviews.NOTICE_DAYS`): "Robin unlinked on 3 Dec" with "had
  flags you had not reviewed" when unreviewed flags of the last 14 days were there; "A linked
  patient deleted their account on 3 Dec", with nothing of theirs. Dates are the therapist's.
- The invite code folds away (a closed `<details>`) once a therapist has a linked patient.
"""

from collections import Counter
from datetime import UTC, date, datetime, time

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from wtforms import HiddenField
from wtforms.validators import Optional, ValidationError

from . import access, clock, figures, instruments, reviews, timezones, windows
from .access import flagged_days, linked_patient_or_404, shared_reflections, therapist_required
from .data.reviews import NOTICE_DAYS
from .db import pages_for, per_page, requested_page
from .fields import EARLIEST_DAY, JournalForm, isolated, strip
from .numbers import figure, plural, rounded
from .people import AccountGone, is_active
from .reports.content import default_range
from .reports.pdf import busy_words, head_response, pdf_response, person_wait
from .rules import FLAG_DAYS, RECENT_DAYS, SILENT_DAYS
from .therapist_link import format_code, invite_code, link_of, linked_patients
from .timezones import local_date

bp = Blueprint("caseload", __name__)

# Who needs attention (pure: plain data in, plain data out)


def review(today, points, first_session, flags, lived=None, can_check_in=True):
    """The caseload's figures and reasons for one patient.

    `points` are the patient's (date, mood) check-ins, `first_session` the date of their
    first session or None, `flags` the flagged days of the last 14 days (as
    `access.flagged_days` gives them, oldest first), `lived` the patient's latest lived day
    when later than today (figures.last_day): the 7-day mean ends on it, as on their
    progress page and report. `can_check_in` false (the clinic turned the account off):
    silence is no reason, since none can come. Returns {"last_checkin", "silent_days"
    (None: never checked in), "recent_mean", "baseline", "latest_flag", "reasons",
    "attention"}.
    """
    # A day after today is one saved under a time zone ahead of the patient's new one (they
    # moved west): it is still their latest check-in, checked in 0 days ago.
    last = max((d for d, _ in points), default=None)
    silent = max(0, (today - last).days) if last else None
    recent = windows.recent_mean(points, lived or today)
    base = windows.baseline(points, first_session)
    reasons = []
    latest_flag = None
    if flags:
        latest = flags[-1]
        latest_flag = date.fromisoformat(latest["day"])
        when = timezones.day_text_near(latest_flag, today)
        text = f"Flagged {when}: {'; '.join(latest['reasons'])}"
        if len(flags) > 1:
            earlier = len(flags) - 1
            text += f" (and {plural(earlier, 'earlier flagged day')} in the last {FLAG_DAYS} days)"
        reasons.append(text)
    # Compared as shown (rounded half up, as the card shows them), so never "3.0, below 3.0".
    low_mean = recent is not None and base is not None and rounded(recent, 1) < rounded(base, 1)
    if low_mean:
        reasons.append(f"{RECENT_DAYS}-day mean {figure(recent)}, below baseline {figure(base)}")
    quiet = can_check_in and (silent is None or silent >= SILENT_DAYS)
    if quiet and silent is None:
        reasons.append("No check-ins yet")
    elif quiet:
        reasons.append(f"No check-in for {plural(silent, 'day')}")
    return {
        "last_checkin": last,
        "silent_days": silent,
        "recent_mean": recent,
        "baseline": base,
        "latest_flag": latest_flag,
        "reasons": reasons,
        "attention": bool(reasons),
        # What a review does not clear (`still_in_attention`).
        "low_mean": low_mean,
        "silent": quiet,
    }


def order_key(row):
    """Sort key: flagged (latest flag first), other attention, then the rest.

    Within the last two groups the longest silence comes first (never checked in is the
    longest); ties go by name.
    """
    silence = float("inf") if row["silent_days"] is None else row["silent_days"]
    name = (row["patient"].shared_name.casefold(), row["patient"].email.casefold())
    if row["latest_flag"] is not None:
        return (0, -row["latest_flag"].toordinal(), -silence, name)
    return (1 if row["attention"] else 2, 0, -silence, name)


def still_in_attention(row):
    """Why a patient just marked reviewed stays under "Needs attention", as sentences without
    the name ("stays ..."), none when nothing keeps them: a flag saved after the page the
    button was on was shown (that page never showed it, so the review does not cover it);
    silence until a check-in arrives; a low 7-day mean until it is back up to baseline (a
    review clears flags only)."""
    said = []
    if row["latest_flag"] is not None:
        flag = row["reasons"][0]  # `review` puts the flag's reason first
        said.append(
            '"Needs attention" for a flag saved after that page was shown, which this review '
            f'does not cover ({flag[:1].lower() + flag[1:]}): it is under "Since your last '
            'review".'
        )
    until = []
    if row["silent"]:
        until.append("a check-in arrives")
    if row["low_mean"]:
        until.append(f"the {RECENT_DAYS}-day mean is back up to baseline")
    if until:
        kept = row["reasons"][1:] if row["latest_flag"] is not None else row["reasons"]
        why = "; ".join(reason[:1].lower() + reason[1:] for reason in kept)
        said.append(
            f'"Needs attention" until {" and ".join(until)} ({why}): '
            "marking as reviewed clears flags only."
        )
    return [f"{'also ' if n else ''}stays under {words}" for n, words in enumerate(said)]


# Fetching a caseload row


def patient_row(patient, linked_at, reviewed_at=None):
    """Everything the caseload shows of one patient, dated in their own time zone. Only the
    flags the therapist has not reviewed count (journal/reviews.py). Read by index lookups
    and the few days the figures stand on (figures.review_points), never the whole history:
    the list reads this for every linked patient."""
    today = timezones.local_today(patient.timezone)
    # A later day the patient has lived (a session dated under a zone ahead of their new one):
    # the 7-day mean ends on it, as their page's and report's do.
    lived = figures.last_day(patient, today)
    first = figures.first_session_day(patient.id)
    points = figures.review_points(patient.id, lived, first)
    flags = reviews.unreviewed_flags(patient, reviewed_at, linked_at, today)
    phq9 = figures.latest_score(patient.id, "phq9")
    last_session = figures.last_session_day(patient.id)
    latest_phq9 = None
    if phq9:
        day, total, item9 = phq9
        latest_phq9 = {
            "day": day,
            # Any age: "5 Dec" in the patient's current year, "5 Dec 2025" before it.
            "when": timezones.day_text_near(day, today),
            "total": total,
            "band": instruments.band("phq9", total),
            # Said beside the total as on the patient's page and the report, however old: a
            # flag leaves "needs attention" after 14 days or a review, the answer stays.
            "item9": item9,
        }
    return {
        "patient": patient,
        "linked_at": linked_at,
        "reviewed": reviewed_text(reviewed_at, current_user.timezone),
        "phq9": latest_phq9,
        # Counted from the later lived day, as the patient's page counts it.
        "days_since_session": figures.days_since(lived, last_session),
        # An account the clinic turned off cannot check in: its silence is no news (its card
        # says the account is off).
        **review(today, points, first, flags, lived, can_check_in=is_active(patient)),
    }


def reviewed_text(reviewed_at, zone):
    """ "reviewed today", "reviewed yesterday", "reviewed 2 days ago" (the therapist's days), or
    "not reviewed yet"."""
    if reviewed_at is None:
        return "not reviewed yet"
    days = (timezones.local_today(zone) - local_date(reviewed_at, zone)).days
    if days <= 0:
        return "reviewed today"
    return "reviewed yesterday" if days == 1 else f"reviewed {days} days ago"


def notice_text(notice, zone, named_alike=()):
    """A notice of a patient who left, in words, dated in the therapist's time zone. A name
    in `named_alike` (two patients of the caseload, or two who left, go by it) comes with the
    patient's email, as their card showed it: of two "Alex"s who left, the therapist must
    know which one had flags they had not reviewed."""
    day = timezones.day_text_near(local_date(notice["at"], zone), timezones.local_today(zone))
    if notice["kind"] == "deleted":
        return f"A linked patient deleted their account on {day}."
    name = isolated(notice["name"])
    if notice["name"] in named_alike and notice["email"] and notice["email"] != notice["name"]:
        name = f"{name} ({isolated(notice['email'])})"
    text = f"{name} unlinked on {day}"
    if notice["unreviewed_flags"]:
        text += " and had flags you had not reviewed"
    return text + "."


def history(patient, start, end):
    """The range's flagged days and shared reflections as one list, newest first: dicts of
    "day" and either "reasons" (a flagged day) or "reflection"; then how many of each."""
    flags = flagged_days(patient.id, start, end)
    words = shared_reflections(patient.id, start, end)
    items = [{"day": f["day"], "reasons": f["reasons"]} for f in flags]
    items += [{"day": r["day"], "reflection": r} for r in words]
    # Newest day first; on one day the flag comes before the words.
    items.sort(key=lambda item: "reasons" in item, reverse=True)
    items.sort(key=lambda item: item["day"], reverse=True)
    return items, len(flags), len(words)


def history_page(items):
    """(the request's `?page=N` of `items`, its number, how many pages). Not a number: 400;
    past the last page: the last page."""
    page = requested_page()
    if page is None or page < 1:
        abort(400, description="The page number should be a whole number from 1.")
    pages = pages_for(len(items))
    page, size = min(page, pages), per_page()
    return items[(page - 1) * size : page * size], page, pages


# Views


@bp.after_request
def no_store(response):
    """A patient's data, or who is linked to whom: never kept in a browser's cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/caseload")
@login_required
@therapist_required
def index():
    reviewed = reviews.reviews_of(current_user.id)
    rows = sorted(
        (
            patient_row(patient, linked_at, reviewed.get(patient.id))
            for patient, linked_at in linked_patients(current_user.id)
        ),
        key=order_key,
    )
    notices = reviews.notices(current_user.id)
    names = Counter(n["name"] for n in notices if n["name"])
    names.update(row["patient"].shared_name for row in rows)
    named_alike = {name for name, count in names.items() if count > 1}
    code = invite_code(current_user.id)
    if code is None:
        raise AccountGone  # deleted on another device since this request began
    return render_template(
        "caseload/index.html",
        code=format_code(code),
        attention=[row for row in rows if row["attention"]],
        others=[row for row in rows if not row["attention"]],
        notices=[notice_text(n, current_user.timezone, named_alike) for n in notices],
        notice_days=NOTICE_DAYS,
        local_date=local_date,
        form=JournalForm(),
    )


@bp.route("/caseload/invite-code", methods=["POST"])
@login_required
@therapist_required
def new_code():
    if not JournalForm().validate_on_submit():
        abort(400)
    code = invite_code(current_user.id, replace=True)
    if code is None:
        raise AccountGone  # deleted on another device since this request began
    code = format_code(code)
    flash(
        f"Your new invite code is {code}. The old one no longer works; "
        "patients already linked stay linked."
    )
    return redirect(url_for("caseload.index"))


@bp.route("/caseload/<int:patient_id>")
@login_required
@therapist_required
def patient(patient_id):
    person = linked_patient_or_404(patient_id)
    link = link_of(patient_id)
    if link is None:  # unlinked a moment ago
        access.not_linked()
    reviewed_at = reviews.last_review(current_user.id, patient_id)
    context = figures.view_context(person, request.args, shared=True)
    items, flag_count, reflection_count = history(person, context["start"], context["end"])
    shown, page, pages = history_page(items)
    return render_template(
        "caseload/patient.html",
        page_endpoint="caseload.patient",
        chart_endpoint="caseload.chart",
        endpoint_args={"patient_id": patient_id},
        link=link,
        local_date=local_date,
        local_time=timezones.local_time,
        # The therapist's today: a day of another year is written with its year.
        viewer_today=timezones.local_today(current_user.timezone),
        reviewed_at=reviewed_at,
        undo=undo_offered(patient_id, reviewed_at),
        undo_form=UndoForm(formdata=None, data={"made": reviewed_at}),
        review_state=review_state,
        since=reviews.since_review(person, reviewed_at, link["linked_at"], context["scores"]),
        form=ReviewForm(
            formdata=None, data={"shown_at": clock.utcnow_iso(), "page_review": reviewed_at}
        ),
        history=shown,
        history_page=page,
        history_pages=pages,
        flag_count=flag_count,
        reflection_count=reflection_count,
        **context,
    )


def shown_moment(form, field):
    """A page's moment as the page wrote it: ISO 8601 with its offset, from 1990 on (the
    earliest day anything is dated). One before, or beyond what a UTC clock holds, was no
    page's: stored, it broke the caseload's pages (OverflowError in a zone west of UTC)."""
    try:
        moment = datetime.fromisoformat(field.data)
        earliest = datetime.combine(EARLIEST_DAY, time(), UTC)
        if moment.tzinfo is None or moment.astimezone(UTC) < earliest:
            moment = None
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise ValidationError("Reload the page, then mark as reviewed.")


class ReviewForm(JournalForm):
    """ "Mark as reviewed", carrying when its page was shown (see reviews.mark_reviewed) and the
    review that page showed (`page_review`: what Undo puts back after a double tap); a post
    without them (another client) is a review now."""

    shown_at = HiddenField(filters=[strip], validators=[Optional(), shown_moment])
    page_review = HiddenField(filters=[strip], validators=[Optional(), shown_moment])


class UndoForm(JournalForm):
    """ "Undo" of a review just marked: `made`, the time of the review it undoes."""

    made = HiddenField(filters=[strip])


# Undo of "Mark as reviewed" (a stray tap on a phone would otherwise clear a patient's flags
# from "needs attention" for good): the review just made and the one it replaced, kept in the
# session (signed: the time put back is the server's own, never the page's), one at a time,
# for UNDO_MINUTES, for the therapist who marked. Undo puts back the review as it was, only
# while the one it undoes is still the therapist's latest (reviews.undo_review).
UNDO_KEY = "review_undo"
UNDO_MINUTES = 15


def offer_undo(patient_id, undo):
    """Keep the undo of the review just recorded (reviews.mark_reviewed), unless it changed
    nothing. An offer kept already for that same review (the first post of a double tap,
    whose answer came back first) stays as it is: it knew what the review replaced."""
    if undo["before"] != undo["made"] and undo_offered(patient_id, undo["made"]) is None:
        until = clock.timestamp() + UNDO_MINUTES * 60
        session[UNDO_KEY] = {"therapist": current_user.id, "patient": patient_id, **undo,
                             "until": until}  # fmt: skip


def undo_offered(patient_id, made):
    """The session's undo of the therapist's review of the patient at `made` (ISO text), while
    it may still be used; else None."""
    offer = session.get(UNDO_KEY)
    if (
        not offer
        or offer["therapist"] != current_user.id
        or offer["patient"] != patient_id
        or offer["made"] != made
        or offer["until"] < clock.timestamp()
    ):
        return None
    return offer


@bp.route("/caseload/<int:patient_id>/reviewed", methods=["POST"])
@login_required
@therapist_required
def reviewed(patient_id):
    person = linked_patient_or_404(patient_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    name = isolated(person.shared_name)
    undo = reviews.mark_reviewed(
        current_user.id, patient_id, form.shown_at.data or None, form.page_review.data or None
    )
    if undo is None:
        access.still_linked_or_404(patient_id)  # unless they left since the check
        # The page was shown before the patient unlinked and linked again: it reviewed
        # nothing of this link. The page as it is now, with its own button.
        flash(
            f"Nothing was marked: that page was shown before {name} linked with "
            "you again. Here is what is new since they did."
        )
        return redirect(url_for("caseload.patient", patient_id=patient_id))
    access.record_therapist_access(patient_id)
    offer_undo(patient_id, undo)
    message = f"Marked {name} as reviewed. New entries will show here from now on."
    link = link_of(patient_id)
    if link is not None:
        row = patient_row(person, link["linked_at"], undo["made"])
        for kept in still_in_attention(row):
            message += f" {name} {kept}"
    flash(message)
    return redirect(url_for("caseload.patient", patient_id=patient_id))


def review_state(reviewed_at):
    """A review time as the page's button states it: "last reviewed Sat 5 Dec 2026, 10:00"
    (the therapist's time), or "not reviewed yet"."""
    if reviewed_at is None:
        return "not reviewed yet"
    return f"last reviewed {timezones.local_time(reviewed_at, current_user.timezone)}"


@bp.route("/caseload/<int:patient_id>/reviewed/undo", methods=["POST"])
@login_required
@therapist_required
def undo_review(patient_id):
    person = linked_patient_or_404(patient_id)
    form = UndoForm()
    if not form.validate_on_submit():
        abort(400)
    name = isolated(person.shared_name)
    offer = undo_offered(patient_id, form.made.data)
    outcome = offer and reviews.undo_review(
        current_user.id, patient_id, offer["made"], offer["before"]
    )
    if outcome == "undone":
        access.record_therapist_access(patient_id)
        flash(f"Undone: {name} is {review_state(offer['before'])}, as before that review.")
    elif outcome == "already":  # Undo sent twice: the first put it back
        flash(f"Already undone: {name} is {review_state(offer['before'])}, as before that review.")
    else:
        now = review_state(reviews.last_review(current_user.id, patient_id))
        why = (
            f"{name} linked to you again since and is {now}."  # the review went with an unlink
            if outcome == "relinked"
            else f"Undo is for the latest review, within {UNDO_MINUTES} minutes, on the device "
            f"that marked it ({name} is {now})."
        )
        flash(f"That review of {name} can no longer be undone: {why} Nothing was changed.")
    return redirect(url_for("caseload.patient", patient_id=patient_id))


@bp.route("/caseload/<int:patient_id>/report.pdf")
@login_required
@therapist_required
def report(patient_id):
    person = linked_patient_or_404(patient_id)
    start, end = default_range(person)
    peek = request.method == "HEAD"
    wait = person_wait(current_user.id, count=not peek)
    if wait:
        words = busy_words(wait)
        page = "" if peek else render_template("reports/busy.html", person=person, words=words)
        return page, 429, {"Retry-After": str(wait)}
    if peek:
        return head_response(start, end)
    response = pdf_response(person, start, end)
    # Built in seconds for a long journal: a patient who unlinked meanwhile is not handed
    # over (nor recorded as read) after they left.
    access.still_linked_or_404(patient_id)
    return response


@bp.route("/caseload/<int:patient_id>/charts/<name>.<fmt>")
@login_required
@therapist_required
def chart(patient_id, name, fmt):
    patient = linked_patient_or_404(patient_id)
    return figures.chart_response(patient, name, fmt, request.args, shared=True)
