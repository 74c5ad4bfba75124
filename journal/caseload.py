"""Therapist accounts: the caseload, invite codes, and a patient linking to a therapist.

A therapist gives a patient an invite code; the patient enters it at `/settings/therapist`
and is linked (one therapist at a time) until they unlink, which ends access at once.
The caseload lists the linked patients, those needing attention first, and
`/caseload/<patient_id>` shows one of them through `templates/sharing/_patient.html`, the
same read-only view a share link gives: what reaches a therapist is decided in
`journal/sharing.py` alone, so private reflections never do.

Decisions:

- Invite codes are 8 symbols of Crockford's base32 (digits and capitals without I, L, O
  and U): 40 random bits from `secrets`, shown as XXXX-XXXX. A patient may type them in
  any case, with spaces or dashes, and O, I or L for 0, 1 and 1. A code is made the first
  time the therapist needs it and kept in `users.invite_code` (unique: a collision is
  retried). "Make a new code" replaces it; the old one stops working at once, and
  patients already linked stay linked. Guessing a code gains nothing: it would only show
  the guesser's own journal to a stranger, so wrong codes are not throttled.
- Every caseload route answers 404, never 403, to anyone who may not see it: a patient
  account on `/caseload`, a therapist asking for a patient who is not linked to them (or
  who does not exist). `/settings/therapist` is the patient's page, so a therapist
  account gets 404 there too, and cannot link to another therapist.
- The caseload shows each patient by the name they chose for therapists
  (`User.shared_name`) with their email address beneath it: the therapist knows the
  person and needs to tell two "Patient"s apart and reach them. `/settings/therapist`
  tells the patient both are shown before they link.
- Needs attention (each reason shown as text): a flagged day in the last 14 days
  (`sharing.flagged_days`: thoughts of self-harm, PHQ-9 item 9 above 0, a mood of 0-2 on a
  check-in or as a session's last mood rating; most serious reason first); a
  7-day mean below baseline (compared as shown, to one decimal, so the text never reads
  "3.0, below baseline 3.0"); no check-in for 5 days or more, or never. Flagged patients
  come first, most recent flag first; then the others needing attention, longest silence
  first; then the rest, longest silence first. Ties go by name. "Today", the 14 and 7
  days and the silence are counted in each patient's own time zone.
- Therapist pages send `Cache-Control: no-store`, charts included (overriding the
  chart's `private, no-cache`): a therapist's computer should keep no copy of a
  patient's data, so unlinking leaves nothing behind.
- Unlinking when not linked (a second tab, a double tap) is harmless: it redirects back
  to `/settings/therapist` with a message rather than an error page.
- Linking to the therapist one is already linked to keeps the original "linked since".
"""

import re
import secrets
import sqlite3
from datetime import date, datetime, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from . import clock, instruments, progress, sharing, timezones, windows
from .auth import User
from .db import get_db
from .fields import JournalForm, strip
from .numbers import figure, plural, rounded

bp = Blueprint("caseload", __name__)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: 5 bits a symbol
CODE_LENGTH = 8
CODE_ATTEMPTS = 10
# Look-alikes a patient may type, read as Crockford does; spaces and dashes of any kind go.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
WRONG_CODE = "No therapist has this code. Check it with your therapist."

FLAG_DAYS = 14
RECENT_DAYS = 7
SILENT_DAYS = 5


# Invite codes


def make_code():
    """A new random invite code (40 bits), as stored: 8 symbols, no dash."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text):
    """What a patient typed, as stored codes are written: capitals, no spaces or dashes."""
    return _SEPARATORS.sub("", text or "").upper().translate(_CONFUSABLE)


def format_code(code):
    """A stored code as shown: XXXX-XXXX."""
    return f"{code[:4]}-{code[4:]}"


def invite_code(therapist_id, replace=False):
    """The therapist's invite code, made on first need; with `replace`, a new one.

    A collision with another therapist's code (a unique index) is retried with a fresh one.
    """
    db = get_db()
    collisions = 0
    while True:
        (code,) = db.execute(
            "select invite_code from users where id = ?", [therapist_id]
        ).fetchone()
        if code and not replace:
            return code
        try:
            # Only over the code just read, so two requests at once end up agreeing on one.
            db.execute(
                "update users set invite_code = ? where id = ? and invite_code is ?",
                [make_code(), therapist_id, code],
            )
        except sqlite3.IntegrityError:
            collisions += 1
            if collisions >= CODE_ATTEMPTS:
                raise RuntimeError("could not store a unique invite code") from None
            continue
        replace = False  # read back what is stored now


def therapist_by_code(code):
    """The therapist whose invite code is `code` (normalized), or None."""
    rows = list(
        get_db()["users"].rows_where(
            "invite_code = ? and role = 'therapist'", [normalize_code(code)], limit=1
        )
    )
    return User(rows[0]) if rows else None


# Links


def link_of(patient_id):
    """The patient's link as {"therapist": User, "linked_at"}, or None."""
    row = (
        get_db()
        .execute(
            "select therapist_id, linked_at from therapist_links where patient_id = ?",
            [patient_id],
        )
        .fetchone()
    )
    if row is None:
        return None
    return {"therapist": sharing.person(row[0]), "linked_at": row[1]}


def link(patient_id, therapist_id):
    """Link the patient to the therapist, replacing any other therapist."""
    get_db().execute(
        "insert into therapist_links (patient_id, therapist_id, linked_at) values (?, ?, ?) "
        "on conflict (patient_id) do update set therapist_id = excluded.therapist_id, "
        "linked_at = excluded.linked_at where therapist_id != excluded.therapist_id",
        [patient_id, therapist_id, clock.utcnow_iso()],
    )


def linked_patients(therapist_id):
    """[(User, linked_at)] for every patient linked to the therapist."""
    rows = get_db().query(
        "select users.*, therapist_links.linked_at as linked_at from therapist_links "
        "join users on users.id = therapist_links.patient_id "
        "where therapist_links.therapist_id = ?",
        [therapist_id],
    )
    return [(User(row), row["linked_at"]) for row in rows]


def linked_patient_or_404(patient_id):
    """The signed-in therapist's linked patient `patient_id`, or 404 for anyone else."""
    if not current_user.is_therapist:
        abort(404)
    row = (
        get_db()
        .execute(
            "select 1 from therapist_links where patient_id = ? and therapist_id = ?",
            [patient_id, current_user.id],
        )
        .fetchone()
    )
    if row is None:
        abort(404)
    return sharing.person(patient_id)


def local_date(moment, zone):
    """A stored UTC time (ISO 8601) as a local date in `zone`."""
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(zone)).date()


# Who needs attention (pure: plain data in, plain data out)


def review(today, points, first_session, flags):
    """The caseload's figures and reasons for one patient.

    `points` are the patient's (date, mood) check-ins, `first_session` the date of their
    first session or None, `flags` the flagged days of the last 14 days (as
    `sharing.flagged_days` gives them, oldest first). Returns {"last_checkin",
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
        text = f"Flagged {latest_flag:%-d %b}: {'; '.join(latest['reasons'])}"
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
    points = progress.metric_points(patient.id)
    sessions = progress.session_rows(patient.id)
    first = date.fromisoformat(sessions[0]["day"]) if sessions else None
    start = today - timedelta(days=FLAG_DAYS - 1)
    flags = sharing.flagged_days(patient.id, start, today)
    phq9 = progress.assessment_scores(patient.id, "phq9")
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


def therapist_required(view):
    """Only a therapist's account sees the view; anyone else gets 404 (see module notes)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_therapist:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def patient_required(view):
    """Only a patient's account sees the view; a therapist gets 404."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_therapist:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


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
        flag_rule=sharing.FLAG_RULE,
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
def patient(patient_id):
    person = linked_patient_or_404(patient_id)
    return render_template(
        "caseload/patient.html",
        page_endpoint="caseload.patient",
        chart_endpoint="caseload.chart",
        endpoint_args={"patient_id": patient_id},
        link=link_of(patient_id),
        local_date=local_date,
        **sharing.patient_context(person, request.args),
    )


@bp.route("/caseload/<int:patient_id>/charts/<name>.<fmt>")
@login_required
def chart(patient_id, name, fmt):
    patient = linked_patient_or_404(patient_id)
    return progress.chart_response(patient, name, fmt, request.args, shared=True)


class LinkForm(JournalForm):
    invite_code = StringField(
        "Invite code from your therapist",
        filters=[strip],
        validators=[
            DataRequired("Enter the code your therapist gave you."),
            Length(max=40, message=WRONG_CODE),
        ],
        description="8 letters and digits, like K7QM-3XWD. Capitals, spaces and dashes "
        "don't matter.",
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


def render_link(form, status=200):
    """The patient's "Your therapist" page."""
    return render_template(
        "caseload/link.html",
        form=form,
        link=link_of(current_user.id),
        local_date=local_date,
        unlink_form=JournalForm(),
        flag_rule=sharing.FLAG_RULE,
    ), status


@bp.route("/settings/therapist", methods=["GET", "POST"])
@login_required
@patient_required
def settings():
    form = LinkForm()
    if not form.is_submitted():
        return render_link(form)
    if not form.validate():
        return render_link(form, 400)
    therapist = therapist_by_code(form.invite_code.data)
    if therapist is None:
        form.invite_code.errors.append(WRONG_CODE)
        return render_link(form, 400)
    link(current_user.id, therapist.id)
    flash(
        f"You are linked to {therapist.name}. They can now see your progress and the "
        "reflections you share."
    )
    return redirect(url_for("caseload.settings"))


@bp.route("/settings/therapist/unlink", methods=["POST"])
@login_required
@patient_required
def unlink():
    if not JournalForm().validate_on_submit():
        abort(400)
    current = link_of(current_user.id)
    if current is None:
        flash("You are not linked to a therapist.")
    else:
        get_db().execute("delete from therapist_links where patient_id = ?", [current_user.id])
        flash(
            f"You are unlinked. {current['therapist'].name} can no longer see your journal "
            "in their caseload. Share links you made stay open until they expire or you "
            "revoke them on the Share links page."
        )
    return redirect(url_for("caseload.settings"))
