"""The daily check-in: one per local date per person, its history, edit and delete.

Names: the list of check-ins is History on the page and `entries` in the code (the views
`entries` and `entry`, after DESIGN.md's `/entries` routes); its template is
checkins/list.html.

A check-in form is bound to its day. `/checkin?date=YYYY-MM-DD` shows that day: its saved
answers, or an empty form. A form filled with a saved day's answers names that day in
`loaded_for`; sent with another `date`, it saves nothing (those answers are the other day's)
and shows the chosen day's form instead, with the answers the person gave on top (see
`given_answers`) and a note to check and save. The script loads the chosen day as soon as the
date is changed, so this is the path without JavaScript. A form without `loaded_for` (an empty
one, the offline page's, any other client) saves as it always did. History lists the days of
the last two weeks without a check-in, each with a link to fill it in.

A form filled with a saved day's answers (the check-in form and `/entries/<day>/edit`) also
carries `loaded_version`, a fingerprint of each answer it was shown with. When that day was
saved or deleted elsewhere (another tab, another device) after the form was opened, sending it
saves nothing and shows the day as it is now, with the answers the person changed on top and a
note (400; JSON `{"errors": {"date": [...]}}`, which the device keeps as refused input).

Check-ins sent by the device (the enhanced form, and the queue `static/app.js` keeps in
IndexedDB while offline) carry two extra fields, and may ask for a JSON answer:

- `idempotency_key` (1-64 characters, letters, digits and hyphens; one per saved form): a key
  this person has sent before answers exactly as the first time did (the same redirect, or
  `{"status": "duplicate", "day": ...}`) and changes nothing, whatever the body says now. The
  key is recorded in the same transaction as the save, so a retry after a lost answer never
  makes a second save; a refused request (bad input, 413) records nothing, so a corrected retry
  works.
- `saved_at` (ISO 8601 in UTC, the device's clock when the person pressed Save): when the
  stored check-in for that day was written at or after that moment (its `written_at`: the
  phone's time for one that came from a queue, the server's for one saved live; not when the
  server received it), a newer entry exists and
  the queued one is *not* applied at all, not even merged: the stored row stays exactly as it
  is and the answer is `{"status": "kept-newer"}`. Merging (see `merged`) would still change
  the newer entry (the older mood would win, its tags and words would be added), and the
  promise is that a late delivery never overwrites a newer entry. The queued words are not
  lost: the device keeps a kept-newer entry, shows it with its text and a link to the day, and
  removes it only when the person dismisses it. A stored time with whole seconds only (a
  row from before `written_at`) ties within its second, which keeps the stored entry. The
  comparison trusts the device's clock, never later than the server's; a queue that also
  sends `sent_at` (the device's clock as it sends) has `saved_at` read on the server's clock
  (see `replay_fields`), so a phone's clock a day off makes no check-in "newer".

With `Accept: application/json` the answer is 200 `{"status": "saved" | "updated" |
"duplicate" | "kept-newer", "day": "YYYY-MM-DD"}`, or 400 `{"errors": {"field": [message,
...]}}` (an expired form's is under `csrf_token`); 413 stays 413. A JSON save without
`saved_at` is the person pressing Save right now, so like the plain form post it leaves the
"Saved ..." message and any crisis resources for the next page; a queued one, delivered later,
does not (the device tells the person itself).

The check-in form carries an opaque tag of the signed-in person (`data-queue-owner`, see
`signed_in.queue_owner`): the device stores it with each queued check-in and sends a queue
only while the same person is signed in, so on a shared phone nobody's entry lands in another
account.
"""

import re
from datetime import UTC, datetime, timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from wtforms.validators import ValidationError

from . import clock, crisis, drafts, rules, timezones
from .access import owned_or_404, owned_page
from .checkin_form import (
    COLUMNS,
    FUTURE_DAY,
    CheckinForm,
    EditForm,
    field_name,
    make_form,
    ratings,
)
from .data import checkins as checkin_data
from .data import symptoms as symptom_data
from .db import get_db, write_transaction
from .fields import (
    REFLECTION_MAX,
    DeleteForm,
    answers_version,
    changed_since_shown,
    check_local_day,
    given_answers,
    holds,
    json_body,
    json_formdata,
    put_back,
    version_digests,
    wants_json,
    with_version,
)
from .joined import joined_day
from .signed_in import queue_owner, their_day, today
from .tags import TAGS_MAX, parse_tags, tag_key
from .timezones import day_text

bp = Blueprint("checkins", __name__)

SUGGESTED_TAGS = [
    "slept well",
    "slept badly",
    "exercise",
    "outdoors",
    "friends",
    "family",
    "work",
    "therapy",
    "integration",
    "meditation",
    "alcohol",
    "stress",
]
# History offers to fill in the days without a check-in among the last this many before today.
MISSED_DAYS_WINDOW = 14


def day_or_404(text):
    """The date in a URL, or 404 when it is not one."""
    day = timezones.parse_day(text)
    if day is None:
        abort(404)
    return day


def find_checkin(day):
    """The signed-in person's check-in for `day`, or None."""
    return checkin_data.for_day(get_db(), current_user.id, day.isoformat())


def get_checkin(day):
    """The signed-in person's check-in for `day`, or 404 saying there is none (Back after a
    delete lands here)."""
    gone = (
        f"There is no check-in for {day_text(day, 'weekday_year')}: it may have been deleted. "
        "History lists your check-ins, and can add one for a missed day."
    )
    back = ("checkins.entries", "Go to History")
    return owned_or_404("checkins", gone=gone, back=back, day=day.isoformat())


def merged(stored, values):
    """What to save when a form that carries no day's answers (an empty form, the offline
    page's, another client's: no `loaded_for`) is sent for a day that has `stored`.

    A form filled with another day's answers never gets here: it saves nothing (see
    `day_changed`).

    Saving a day again updates it, but a blank form must never wipe what was written
    earlier (say, a morning check-in, then another from a second device at night): the new
    answers win, what the new form left empty keeps its stored value, tags are joined, and a
    new reflection is added below the stored one (unless it is there already as a whole
    paragraph: the same words sent again). `merge_problems` says what may then not fit.
    """
    out = dict(values)
    for column in ("anxiety", "energy", "sleep_hours"):
        if out[column] is None:
            out[column] = stored[column]
    out["tags"] = ", ".join(parse_tags(f"{stored['tags']}, {values['tags']}"))
    old, new = stored["reflection"], values["reflection"]
    if old:
        sent_before = f"\n\n{new}\n\n" in f"\n\n{old}\n\n"
        out["reflection"] = old if not new or sent_before else f"{old}\n\n{new}"
    out["private"] = values["private"] or stored["private"]  # private wins: the safer side
    out["self_harm"] = values["self_harm"] or stored["self_harm"]
    return out


def merge_problems(values):
    """Field errors for a merged check-in (`merged`) that outgrew what one check-in holds:
    the tags of both together, or the reflection with the new one added below. The form
    checked only what was sent; nothing is saved, and the person chooses what to keep."""
    problems = {}
    if (count := len(parse_tags(values["tags"]))) > TAGS_MAX:
        problems["tags"] = [
            f"This day has tags saved already; with these it would have {count}, and a "
            f"check-in holds at most {TAGS_MAX}. Remove some here, or edit the saved day."
        ]
    if (length := len(values["reflection"])) > REFLECTION_MAX:
        problems["reflection"] = [
            f"This day has a reflection saved already; this one goes below it, which makes "
            f"{length:,} characters, and a reflection can be up to {REFLECTION_MAX:,}. Your "
            "text is still here: shorten it, or edit the saved day."
        ]
    return problems


def sent_values(form, stored=None):
    """A valid check-in form's answers as the columns store them; sent for a `stored` day's
    form, an unticked self-harm box keeps the day's "no" (0, from an import: the box can't
    say "no", and saving any change had turned it into "not answered")."""
    kept_no = stored is not None and stored["self_harm"] == 0
    return {
        "mood": form.mood.data,
        "anxiety": form.anxiety.data,
        "energy": form.energy.data,
        "sleep_hours": form.sleep_hours.data,
        "tags": ", ".join(parse_tags(form.tags.data)),
        "reflection": form.reflection.data or "",
        "private": int(form.private.data),
        # Unticked is "not answered", not "no" (unless the day's answer was "no").
        "self_harm": 1 if form.self_harm.data else (0 if kept_no else None),
    }


def save_checkin(day, form, tracked, values, merging=False, saved_at=None):
    """Save `values` (`sent_values`, or `merged` ones) as the check-in for `day` (one per
    local date: a new one, or the stored one replaced), with the form's symptom ratings
    (`merging`: a rating left empty keeps the stored one); written at `saved_at` (a queued
    check-in's time on the phone) or now."""
    moment = clock.now()
    now = moment.isoformat(timespec="seconds")
    # Never later than now: a phone whose clock runs ahead must not make its entry "newer"
    # than what is saved after it. To the millisecond, as the phone tells it.
    written = min(saved_at or moment, moment).astimezone(UTC).isoformat(timespec="milliseconds")
    ratings_given = ratings(form, tracked, keep_unanswered=merging)
    db = get_db()
    with db.atomic():
        checkin_id = checkin_data.save(db, current_user.id, day.isoformat(), values, now, written)
        symptom_data.save_scores(db, checkin_id, ratings_given)
    return values


def needs_crisis_resources(values):
    """A self-harm answer or a very low mood calls for crisis resources on the next page."""
    return bool(values["self_harm"]) or rules.is_crisis_mood(values["mood"])


def form_data(row):
    """A stored check-in as the form's initial data, symptom ratings included."""
    data = {c: row[c] for c in COLUMNS}
    data["private"] = bool(row["private"])
    data["self_harm"] = bool(row["self_harm"])
    for symptom_id, value in symptom_data.scores(get_db(), row["id"]).items():
        data[f"symptom_{symptom_id}"] = value
    return data


def loaded_data(row):
    """A stored check-in as an edit form's data, with the fingerprint of those answers (as
    sessions.loaded_data does for a session)."""
    return with_version(form_data(row))


def stored_version(day):
    """The `answers_version` of the signed-in person's check-in for `day` as it is now."""
    return answers_version(day_answers(find_checkin(day)))


def empty_answers():
    """What an empty check-in form is shown with."""
    return {"private": current_user.private_by_default}


def day_answers(existing):
    """What a day's form is shown with: its stored check-in `existing`, else an empty form."""
    return form_data(existing) if existing else empty_answers()


def changed_elsewhere(form, day, existing):
    """True when `form` was filled with `day`'s answers and that day (stored now as
    `existing`, or None) has been saved (or deleted) since, in another tab or on another
    device. Forms without a `loaded_version` (other clients, the offline page) are not
    checked."""
    sent = form.loaded_version.data if form.loaded_version else ""
    bound = form.loaded_for is None or form.loaded_for.data == day.isoformat()
    if not (sent and bound):
        return False
    now = version_digests(answers_version(day_answers(existing)))
    # A form holding the day as it is saved now loses nothing by saving (a double tap).
    return version_digests(sent) != now and (existing is None or not holds(form, now))


def tag_suggestions(limit=10):
    """The person's most used tags first, topped up with common ones. A tag written in two
    cases on different days ("Work", "work") is one chip, as the newest check-in spells it,
    counted once for both: it was two chips, each counted apart."""
    counts, spelled = {}, {}
    for tags in checkin_data.recent_tags(get_db(), current_user.id):  # newest first
        for tag in parse_tags(tags):
            key = tag_key(tag)
            counts[key] = counts.get(key, 0) + 1
            spelled.setdefault(key, tag)
    own = [spelled[key] for key in sorted(counts, key=lambda k: -counts[k])]
    return (own + [t for t in SUGGESTED_TAGS if tag_key(t) not in counts])[:limit]


def announce(day, values, verb):
    """Leave the next page a "Saved ..." message, and crisis resources when called for."""
    if needs_crisis_resources(values):
        crisis.flag("checkin", day.isoformat())
    else:
        crisis.forget("checkin", day.isoformat())
    flash(f"{verb} your check-in for {their_day(day)}.")


def after_save(day, values, verb):
    """Redirect to the saved day; ask that page to show crisis resources when called for."""
    announce(day, values, verb)
    drafts.stored()
    return redirect(url_for("checkins.entry", day=day.isoformat()))


REQUEST_KEY = re.compile(r"[A-Za-z0-9-]{1,64}")
# ASCII digits only (\d would take other scripts' digits too).
SAVED_AT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|\+00:00)"
)


def device_time(data, name, errors):
    """The time in UTC a device sent as `name` (ISO 8601), as an aware datetime; None when it
    sent none; a bad one is said in `errors`."""
    text = data.get(name, "")
    if not text:
        return None
    try:
        if not SAVED_AT.fullmatch(text):
            raise ValueError(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        errors[name] = [f"{name} must be a time in UTC in ISO 8601, like 2026-03-01T08:30:00Z."]
        return None


def replay_fields(data):
    """The `idempotency_key` and `saved_at` a device sent, checked: (key, saved_at, errors).

    Both are optional; `saved_at` comes back as an aware UTC datetime. With it the queue sends
    `sent_at`, the phone's clock as it sends: a phone whose clock is off (a day ahead, another
    zone set by hand) is off by as much at both times, so `saved_at` is moved by the gap
    between `sent_at` and the server's clock, and compared on the server's clock.
    """
    errors = {}
    key = data.get("idempotency_key", "")
    if key and not REQUEST_KEY.fullmatch(key):
        errors["idempotency_key"] = [
            "The idempotency key must be 1 to 64 letters, digits or hyphens."
        ]
    saved_at = device_time(data, "saved_at", errors)
    sent_at = device_time(data, "sent_at", errors)
    if saved_at is not None and sent_at is not None:
        saved_at += clock.now() - sent_at
    return key or None, saved_at, errors


def find_request(key):
    """The signed-in person's earlier request with this idempotency key, or None."""
    found = checkin_data.find_request(get_db(), current_user.id, key)
    return None if found is None else {**found, "day": timezones.parse_day(found["day"])}


def newer_than(row, saved_at):
    """True when `row` was written at or after `saved_at`: its `written_at` (to the
    millisecond: the phone's time of a check-in that came from a queue, not when the server
    received it), or for a row from before that column its `updated_at` (to the second)."""
    written = datetime.fromisoformat(row.get("written_at") or row["updated_at"])
    if written.microsecond == 0:  # stored to the second: the same second counts as newer
        saved_at = saved_at.replace(microsecond=0)
    return written >= saved_at


def save_once(day, form, tracked, key=None, saved_at=None):
    """Save a sent check-in at most once per key: (status, verb, values).

    `status` is "saved", "updated", "kept-newer" or "duplicate" (`values` is None for the last
    two), or "changed" or "too-long" (nothing saved, no key recorded; `values` is None, or
    the field errors of `merge_problems`). The day's stored row is read, written and the key
    recorded in one transaction.
    """
    with write_transaction() as db:
        if key and find_request(key):
            return "duplicate", None, None
        stored = find_checkin(day)
        if stored is not None and saved_at is not None and newer_than(stored, saved_at):
            status, verb, values = "kept-newer", None, None
            # The newer check-in is kept as it is, but for a self-harm "yes" from the older
            # one: a safety answer is never dropped (the day is flagged for the therapist).
            if form.self_harm.data and checkin_data.report_self_harm(
                db, current_user.id, day.isoformat(), clock.utcnow_iso()
            ):
                verb = SELF_HARM_ADDED
        elif changed_elsewhere(form, day, stored):
            return "changed", None, None  # nothing saved, no key recorded: see `reshown`
        elif stored is None:
            status, verb = "saved", "Saved"
            values = save_checkin(day, form, tracked, sent_values(form), saved_at=saved_at)
        elif form.loaded_for.data == day.isoformat():
            status, verb = "updated", "Updated"
            values = sent_values(form, stored)
            values = save_checkin(day, form, tracked, values, saved_at=saved_at)
        else:
            values = merged(stored, sent_values(form))
            if problems := merge_problems(values):
                return "too-long", None, problems
            status, verb = "updated", "Added to"
            values = save_checkin(day, form, tracked, values, merging=True, saved_at=saved_at)
        if key:
            checkin_data.record_request(
                db, current_user.id, key, day.isoformat(), status, clock.utcnow_iso()
            )
    return status, verb, values


def answer_again(earlier):
    """The answer to a check-in sent again under the key of an `earlier` request: as the first
    time for one a newer check-in kept out (its first answer may never have reached the device,
    which keeps it, with its words, until the person has seen it), else "duplicate"."""
    status = "kept-newer" if earlier["outcome"] == "kept-newer" else "duplicate"
    return answer_sent(earlier["day"], status, SENT_BEFORE)


def answer_json(status, day):
    """The JSON answer to a check-in sent by the device's script."""
    response = jsonify(status=status, day=day.isoformat())
    response.headers["Cache-Control"] = "no-store"
    return response


def refuse(errors, form=None, tracked=()):
    """A 400 answer that says what was wrong: JSON `{"errors": ...}`, or the page."""
    if wants_json():
        response = jsonify(errors=errors)
        response.headers["Cache-Control"] = "no-store"
        return response, 400
    if form is None:
        abort(400, description=" ".join(m for messages in errors.values() for m in messages))
    return render_form(form, tracked, existing=None, day=sent_day(form))


def sent_day(form):
    """The valid day a refused check-in form was sent for, which its page names; else None
    (today's)."""
    return None if form.date.errors else timezones.parse_day(form.date.data)


def form_errors(form):
    """A form's errors as {field name: [messages]}, form-wide ones under "form"."""
    return {name or "form": list(messages) for name, messages in form.errors.items()}


# save_once's word for a kept-newer check-in that took the older one's self-harm answer.
SELF_HARM_ADDED = "self-harm added"
# answer_sent's word for a check-in sent again under a key seen before.
SENT_BEFORE = "sent before"


def answer_sent(day, status, verb=None, values=None, live=True):
    """The answer to a check-in that was saved, kept as newer, or seen before."""
    if wants_json():
        if live and values is not None:
            announce(day, values, verb)
        return answer_json(status, day)
    if values is not None:
        return after_save(day, values, verb)
    stored = find_checkin(day)
    if stored is not None and needs_crisis_resources(stored):
        crisis.flag("checkin", day.isoformat())
    if status == "kept-newer" and verb == SELF_HARM_ADDED:
        flash(
            f"A newer check-in for {their_day(day)} was already saved, so it was kept; your "
            "answer about thoughts of harming yourself was added to it."
        )
    elif status == "kept-newer" and verb == SENT_BEFORE:
        # Whether its self-harm answer was added then is not kept: true either way.
        flash(
            f"This check-in was sent before, and a newer one for {their_day(day)} was already "
            "saved: that one was kept."
        )
    elif status == "kept-newer":
        flash(f"A newer check-in for {their_day(day)} was already saved; it was kept as it is.")
    else:
        flash(f"Your check-in for {their_day(day)} was already saved.")
        drafts.stored()
    return redirect(url_for("checkins.entry", day=day.isoformat()))


def checkin_form(tracked, local_today, **kwargs):
    """The check-in form, marked with the person's queue tag for the script."""
    form = make_form(CheckinForm, tracked, today=local_today, **kwargs)
    form.loaded_for.render_kw = {"data-queue-owner": queue_owner()}
    return form


def day_form(tracked, local_today, day, given=(), sent=None):
    """The check-in form for `day` (its saved answers, or an empty form) and its stored row.

    The `given` answers of a `sent` form (the person's own, see `given_answers`) go on top.
    """
    existing = find_checkin(day)
    initial = day_answers(existing)
    data = {**initial, "date": day.isoformat(), "loaded_for": existing["day"] if existing else ""}
    data["loaded_version"] = answers_version(initial) if existing else ""
    form = checkin_form(tracked, local_today, formdata=None, data=data)
    return put_back(form, given, sent), existing


def requested_day(text, local_today):
    """The day `/checkin?date=` asks for: (day, problem); today and a message when it is not a
    day that can be checked in (malformed, still to come or too far back)."""
    if not text:
        return local_today, None
    try:
        return check_local_day(text, local_today, FUTURE_DAY), None
    except ValidationError as error:
        return local_today, f"{error.args[0]} This is today's check-in."


def day_changed(form):
    """The day a form filled with another day's answers was sent for, else None.

    Only a valid date counts: a bad one is explained at the field as usual.
    """
    loaded = form.loaded_for.data or ""
    if not loaded or form.date.errors:
        return None
    day = timezones.parse_day(form.date.data)
    return None if day is None or day.isoformat() == loaded else day


def loaded_answers(form, row=None):
    """Fingerprints of what a sent form was shown with: its `loaded_version`, or (from a
    client without a readable one) the answers of the day in its `loaded_for` as they are
    now; an edit form (no `loaded_for`: its day is the address's) the stored `row`'s."""
    if digests := version_digests(form.loaded_version.data):
        return digests
    if form.loaded_for is None:
        return version_digests(answers_version(day_answers(row)))
    day = timezones.parse_day(form.loaded_for.data or "")
    return version_digests(answers_version(day_answers(find_checkin(day) if day else None)))


def reshown(form, tracked, local_today, day, note, given=None, **context):
    """Save nothing and show `day`'s form as it is stored now, with the answers the person
    gave in the sent `form` on top, and `note(day, existing, given)` to say why."""
    if wants_json():
        # Nothing of the day is shown with a JSON answer (`given` None): the device keeps the
        # answers and lists them under the message, with a link to that day.
        return refuse({"date": [note(day, find_checkin(day), None)]})
    if given is None:
        given = given_answers(form, loaded_answers(form))
    shown, existing = day_form(tracked, local_today, day, given, form.meta.sent)
    message = note(day, existing, given)
    return render_form(shown, tracked, existing=existing, day=day, day_note=message, **context)


def given_back(form, row):
    """The answers of a sent `form` to show again on its day, saved (`row`) or deleted (None)
    elsewhere meanwhile: those the person changed from what the form was shown with, or every
    one of them when the day is gone (nothing of it is left to show under them)."""
    return given_answers(form, loaded_answers(form, row) if row is not None else {})


def changed_elsewhere_note(day, existing, given):
    """What the person is told when the day of the form they sent was saved elsewhere; with
    `given` None, by the device that kept the answers (nothing of the day is shown)."""
    if given is None:
        if existing is None:
            return (
                f"Your check-in for {their_day(day)} was deleted after you opened this form, "
                "so this one was not saved. Check in for that day again to keep what you wrote."
            )
        return (
            f"Your check-in for {their_day(day)} was saved elsewhere (another tab or device) "
            "after you opened this form, so this one was not saved. Open that day to add what "
            "you wrote."
        )
    if existing is None:
        return (
            f"Your check-in for {their_day(day)} was deleted after you opened this form, so "
            "nothing was saved yet. Your answers are below: save to keep them."
        )
    kept = ", with what you changed on top" if given else ""
    return (
        f"Your check-in for {their_day(day)} was saved elsewhere (another tab or device) after "
        f"you opened this form, so nothing was saved yet. This is that day as it is saved "
        f"now{kept}. Check it, then save."
    )


def day_changed_note(day, existing, given):
    """What the person is told when the date of a filled-in form was changed; with `given`
    None, by the device that kept the answers (nothing of the day is shown)."""
    if given is None:
        return (
            f"You changed the date to {their_day(day)} on a form filled with another day's "
            "answers, so nothing was saved. Open that day to add what you wrote."
        )
    shown = "its saved answers" if existing else "an empty check-in"
    kept = ", with what you changed" if given else ""
    return (
        f"You changed the date, so nothing was saved yet. This is now the form for "
        f"{their_day(day)}: {shown}{kept}. Check it, then save."
    )


@bp.route("/checkin", methods=["GET", "POST"])
@login_required
def checkin():
    local_today = today()
    if request.method == "POST":
        tracked = sent_symptoms()
        form = checkin_form(tracked, local_today)
        valid = form.validate_on_submit()
        if "csrf_token" in form.errors:
            return refuse(form_errors(form), form, tracked)
        key, saved_at, problems = replay_fields(form.meta.sent)
        if problems:
            return refuse(problems)
        if key and (seen := find_request(key)):
            return answer_again(seen)
        if (other_day := day_changed(form)) is not None:
            # Its answers are another day's: save nothing, show the chosen day's form.
            return reshown(form, tracked, local_today, other_day, day_changed_note)
        if not valid:
            return refuse(form_errors(form), form, tracked)
        day = timezones.parse_day(form.date.data)
        status, verb, values = save_once(day, form, tracked, key, saved_at)
        if status == "duplicate":  # the same key, sent twice at once
            return answer_again(find_request(key))
        if status == "changed":  # the day was saved elsewhere since this form was filled
            given = given_back(form, find_checkin(day))
            return reshown(form, tracked, local_today, day, changed_elsewhere_note, given)
        if status == "too-long":  # the day's saved answers and these do not fit in one
            for name, messages in values.items():
                form[name].errors = [*form[name].errors, *messages]
            return refuse(form_errors(form), form, tracked)
        return answer_sent(day, status, verb, values, live=saved_at is None)
    tracked = symptom_data.active(get_db(), current_user.id)
    day, problem = requested_day(request.args.get("date", ""), local_today)
    form, existing = day_form(tracked, local_today, day)
    if problem:
        form.date.errors = [problem]
    return render_form(form, tracked, existing=existing, day=day, status=400 if problem else None)


def sent_symptoms():
    """The symptoms a sent check-in form rates: those its page showed (its `rated` ids), even
    if another tab stopped or brought one back meanwhile; else (a form without the list: the
    offline page's, another client's) the ones tracked now. A symptom brought back after the
    page was shown had no field there, and its saved rating was deleted as if cleared; one
    stopped meanwhile lost the rating typed for it without a word."""
    # A JSON body read as the form reads it (fields.json_formdata: ["1 3"] is "1 3").
    body = json_formdata(json_body())[0] if request.is_json else request.form
    sent = body.get("rated")
    shown = RATED.fullmatch(sent) if sent is not None else None
    if shown is None:
        return symptom_data.active(get_db(), current_user.id)
    ids = {int(n) for n in shown[0].split()}
    return [s for s in symptom_data.every(get_db(), current_user.id) if s["id"] in ids]


# A form's `rated`: symptom ids separated by spaces (a person tracks a handful), or none.
RATED = re.compile(r"(?:[0-9]{1,18}(?: [0-9]{1,18}){0,99})?")


def render_form(form, tracked, status=None, **context):
    """The check-in form page; 400 when it was sent (or asked for) with errors."""
    status = status or (400 if form.is_submitted() else 200)
    # Sent with a self-harm answer or a very low mood and not saved (a mistake, or another
    # day's form): the resources show all the same.
    sent = form.is_submitted() and status >= 400
    answers = {"self_harm": form.self_harm.data, "mood": form.mood.data}
    crisis_unsaved = sent and needs_crisis_resources(answers)
    if form.rated is not None:
        form.rated.data = " ".join(str(s["id"]) for s in tracked)
    form.ask_about(context.get("editing") or context.get("day"))
    # A form sent back holds the person's answers as its defaults: the date-change script
    # (checkin-days.js) is told which are theirs, or it took them for the day's own and
    # dropped them for the next day's.
    given = given_answers(form, loaded_answers(form)) if sent and form.date is not None else []
    return render_template(
        "checkins/form.html",
        form=form,
        given=given,
        symptom_fields=[form[field_name(s)] for s in tracked],
        suggestions=tag_suggestions(),
        reflection_max=REFLECTION_MAX,
        crisis_unsaved=crisis_unsaved,
        **context,
    ), status


@bp.route("/entries")
@login_required
def entries():
    listed = owned_page(
        "checkins", order_by=checkin_data.NEWEST_FIRST, listed_as=("History", "checkins.entries")
    )
    local_today = today()
    missed = missed_days(local_today) if listed.page == 1 else []
    return render_template(
        "checkins/list.html",
        today=local_today,
        rows=listed.rows,
        page=listed.page,
        pages=listed.pages,
        total=listed.total,
        missed=missed,
    )


def days_without(saved, start, end):
    """The days from `start` to `end` (both included) whose ISO date is not in `saved`,
    newest first."""
    days = (end - timedelta(days=n) for n in range((end - start).days + 1))
    return [day for day in days if day.isoformat() not in saved]


def missed_days(local_today):
    """The days without a check-in among the last MISSED_DAYS_WINDOW before today, newest
    first, counted from the person's first check-in or sign-up day, whichever is earlier."""
    db = get_db()
    start = local_today - timedelta(days=MISSED_DAYS_WINDOW)
    end = local_today - timedelta(days=1)
    first = checkin_data.first_day(db, current_user.id)
    began = [d for d in (timezones.parse_day(first or ""), joined_day(current_user)) if d]
    if began:
        start = max(start, min(began))
    saved = checkin_data.days_between(db, current_user.id, start.isoformat(), end.isoformat())
    return days_without(saved, start, end)


@bp.route("/entries/<day>")
@login_required
def entry(day):
    row = get_checkin(day_or_404(day))
    crisis_panel = crisis.take("checkin", row["day"])
    return render_template(
        "checkins/detail.html",
        row=row,
        symptom_scores=[
            (score["name"], score["value"])
            for score in symptom_data.scores_with_names(get_db(), row["id"])
        ],
        crisis_panel=crisis_panel,
        # A newcomer's first check-in: its page says what the journal is for next.
        first=checkin_data.has_only_one(get_db(), current_user.id),
    )


@bp.route("/entries/<day>/edit", methods=["GET", "POST"])
@login_required
def edit(day):
    day = day_or_404(day)
    if request.method == "POST":
        tracked = sent_symptoms()
        form = make_form(EditForm, tracked, today=today())
        if not form.loaded_version.data:
            get_checkin(day)  # only a form shown for a stored day may be sent without one
        if form.validate_on_submit():
            with write_transaction():
                existing = find_checkin(day)
                changed = existing is None or changed_elsewhere(form, day, existing)
                values = sent_values(form, existing) if not changed else None
                values = values and save_checkin(day, form, tracked, values)
            if values is not None:
                return after_save(day, values, "Updated")
            return edited_elsewhere(form, tracked, day, existing)
        return render_form(form, tracked, existing=find_checkin(day), editing=day)
    tracked = symptom_data.active(get_db(), current_user.id)
    row = get_checkin(day)
    form = make_form(EditForm, tracked, today=today(), data=loaded_data(row))
    return render_form(form, tracked, existing=row, editing=day)


def edited_elsewhere(form, tracked, day, row):
    """The edit form for `day` as it is stored now (`row`), with what the person changed on
    top; the check-in form for that day with all their answers when it was deleted meanwhile
    (`row` is None)."""
    given = given_back(form, row)
    if row is None:
        action = url_for("checkins.checkin")
        return reshown(form, tracked, today(), day, changed_elsewhere_note, given, action=action)
    shown = make_form(EditForm, tracked, today=today(), formdata=None, data=loaded_data(row))
    put_back(shown, given, form.meta.sent)
    note = changed_elsewhere_note(day, row, given)
    return render_form(shown, tracked, existing=row, editing=day, day_note=note)


@bp.route("/entries/<day>/delete", methods=["GET", "POST"])
@login_required
def delete(day):
    day = day_or_404(day)
    row = get_checkin(day)
    form = DeleteForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        with write_transaction() as db:
            row = find_checkin(day)
            changed = row is not None and changed_since_shown(
                form.loaded_version.data, answers_version(form_data(row))
            )
            if row is not None and not changed:
                checkin_data.delete(db, current_user.id, row["day"])
        if row is None:  # deleted meanwhile (another tab): the page that says so
            get_checkin(day)
        if changed:  # saved elsewhere since the page was opened: shown as it is now
            return delete_page(row, DELETE_CHANGED, 400)
        crisis.forget("checkin", row["day"])
        flash(f"Deleted the check-in for {day_text(day, 'weekday_year')}.")
        return redirect(url_for("checkins.entries"))
    return delete_page(row)


DELETE_CHANGED = (
    "This check-in was changed after you opened this page (in another tab or on another "
    "device), so nothing was deleted. Look at it as it is now before you delete it."
)


def delete_page(row, note=None, status=200):
    """The page that asks before deleting the check-in `row`, its form carrying the
    fingerprint of the answers it asks about; `note` says why it is asked again."""
    version = answers_version(form_data(row))
    form = DeleteForm(formdata=None, data={"loaded_version": version})
    return render_template("checkins/delete.html", row=row, form=form, note=note), status
