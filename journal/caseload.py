"""Therapist accounts: the caseload and the therapist's invite code.

A therapist gives a patient an invite code (journal/therapist_link.py); the patient enters it
at `/settings/therapist` (journal/settings/therapist.py) and is linked (one therapist at a
time) until they unlink, which ends access at once. The caseload lists the linked patients,
those needing attention first, and `/caseload/<patient_id>` shows one of them through
`templates/sharing/_patient.html`, the same read-only view a share link gives: what reaches
a therapist is decided in `journal/access.py` alone, so private reflections never do.

Decisions:

- Every caseload route answers 404, never 403, to anyone who may not see it: a patient
  account on `/caseload`, a therapist asking for a patient who is not linked to them (or
  who does not exist).
- The caseload shows each patient by the name they chose for therapists
  (`User.shared_name`) with their email address beneath it: the therapist knows the
  person and needs to tell two "Patient"s apart and reach them. `/settings/therapist`
  tells the patient both are shown before they link.
- Needs attention (each reason shown as text): a flagged day in the last 14 days
  (`access.flagged_days`: thoughts of self-harm, PHQ-9 item 9 above 0, a mood of 0-2 on a
  check-in or as a session's last mood rating; most serious reason first); a
  7-day mean below baseline (compared as shown, to one decimal, so the text never reads
  "3.0, below baseline 3.0"); no check-in for 5 days or more, or never. Flagged patients
  come first, most recent flag first; then the others needing attention, longest silence
  first; then the rest, longest silence first. Ties go by name. "Today", the 14 and 7
  days and the silence are counted in each patient's own time zone.
- Therapist pages send `Cache-Control: no-store`, charts included (overriding the
  chart's `private, no-cache`): a therapist's computer should keep no copy of a
  patient's data, so unlinking leaves nothing behind. (`/settings/therapist` does too.)
"""

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from . import access, figures, instruments, timezones, windows
from .access import linked_patient_or_404, therapist_required
from .fields import JournalForm
from .numbers import figure, plural, rounded
from .rules import FLAG_RULE
from .therapist_link import format_code, invite_code, link_of, linked_patients
from .timezones import day_text, local_date

bp = Blueprint("caseload", __name__)

FLAG_DAYS = 14
RECENT_DAYS = 7
SILENT_DAYS = 5


# Who needs attention (pure: plain data in, plain data out)


def review(today, points, first_session, flags):
    """The caseload's figures and reasons for one patient.

    `points` are the patient's (date, mood) check-ins, `first_session` the date of their
    first session or None, `flags` the flagged days of the last 14 days (as
    `access.flagged_days` gives them, oldest first). Returns {"last_checkin",
    "silent_days" (None: never checked in), "recent_mean", "baseline", "latest_flag",
    "reasons", "attention"}.
    """
    last = max((d for d, _ in points if d <= today), default=None)
    silent = (today - last).days if last else None
    recent = windows.mean_between(points, today - timedelta(days=RECENT_DAYS - 1), today)
    base = windows.baseline(points, first_session)
    reasons = []
    latest_flag = None
    if flags:
        latest = flags[-1]
        latest_flag = date.fromisoformat(latest["day"])
        text = f"Flagged {day_text(latest_flag, 'date')}: {'; '.join(latest['reasons'])}"
        if len(flags) > 1:
            earlier = len(flags) - 1
            text += f" (and {plural(earlier, 'earlier flagged day')} in the last {FLAG_DAYS} days)"
        reasons.append(text)
    # Compared as shown (rounded half up, as the card shows them), so never "3.0, below 3.0".
    if recent is not None and base is not None and rounded(recent, 1) < rounded(base, 1):
        reasons.append(f"{RECENT_DAYS}-day mean {figure(recent)}, below baseline {figure(base)}")
    if silent is None:
        reasons.append("No check-ins yet")
    elif silent >= SILENT_DAYS:
        reasons.append(f"No check-in for {plural(silent, 'day')}")
    return {
        "last_checkin": last,
        "silent_days": silent,
        "recent_mean": recent,
        "baseline": base,
        "latest_flag": latest_flag,
        "reasons": reasons,
        "attention": bool(reasons),
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


# Fetching a caseload row


def patient_row(patient, linked_at):
    """Everything the caseload shows of one patient, dated in their own time zone."""
    today = timezones.local_today(patient.timezone)
    points = figures.metric_points(patient.id)
    sessions = figures.session_rows(patient.id)
    first = date.fromisoformat(sessions[0]["day"]) if sessions else None
    start = today - timedelta(days=FLAG_DAYS - 1)
    flags = access.flagged_days(patient.id, start, today)
    phq9 = figures.assessment_scores(patient.id, "phq9")
    last_session = max((date.fromisoformat(s["day"]) for s in sessions), default=None)
    latest_phq9 = None
    if phq9:
        day, total = phq9[-1]
        latest_phq9 = {"day": day, "total": total, "band": instruments.band("phq9", total)}
    return {
        "patient": patient,
        "linked_at": linked_at,
        "phq9": latest_phq9,
        "days_since_session": max(0, (today - last_session).days) if last_session else None,
        **review(today, points, first, flags),
    }


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
    rows = sorted(
        (
            patient_row(patient, linked_at)
            for patient, linked_at in linked_patients(current_user.id)
        ),
        key=order_key,
    )
    return render_template(
        "caseload/index.html",
        code=format_code(invite_code(current_user.id)),
        attention=[row for row in rows if row["attention"]],
        others=[row for row in rows if not row["attention"]],
        local_date=local_date,
        flag_rule=FLAG_RULE,
        form=JournalForm(),
    )


@bp.route("/caseload/invite-code", methods=["POST"])
@login_required
@therapist_required
def new_code():
    if not JournalForm().validate_on_submit():
        abort(400)
    code = format_code(invite_code(current_user.id, replace=True))
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
    return render_template(
        "caseload/patient.html",
        page_endpoint="caseload.patient",
        chart_endpoint="caseload.chart",
        endpoint_args={"patient_id": patient_id},
        link=link_of(patient_id),
        local_date=local_date,
        **access.patient_context(person, request.args),
    )


@bp.route("/caseload/<int:patient_id>/charts/<name>.<fmt>")
@login_required
@therapist_required
def chart(patient_id, name, fmt):
    patient = linked_patient_or_404(patient_id)
    return figures.chart_response(patient, name, fmt, request.args, shared=True)
