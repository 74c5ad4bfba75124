"""Dosing sessions: log, list (with each session's window figures), view, edit, delete.

Decisions where DESIGN.md, CLINICAL.md and issue 3 are silent:

- `started_at` is typed (or picked) as the person's own wall-clock time and stored in UTC to
  the second; `day` is the local date of that moment when it is saved, and stays as saved
  (day 0 of the window) even if the person later moves time zone. A time the clocks skip
  (spring forward) is refused; a time that happens twice (fall back) is read as the first.
  A space instead of the "T" and optional seconds are accepted, for browsers without a
  date-time picker.
- Doses and weight are plain text inputs with a decimal keypad (`inputmode="decimal"`) rather
  than `type="number"`: a number input sends nothing at all for text it cannot parse, which
  would store an empty dose without a word, and refuses "7,5" in some browsers. "7,5" is read
  as 7.5; "1,000" is refused rather than guessed (one thousand or one?).
- Side effects are stored comma-joined in the checklist's own order, each once. Text under
  "something else" ticks "other" by itself, so nothing typed is lost.
- Prompt answers are stored as JSON, `{key: answer}`, only for the prompts answered; `private`
  covers the reflection and those answers.
- A new session starts with the product, route, dose, weight and clinic of the latest one
  (people usually repeat them), with a note saying so.
- The crisis panel of the check-in also follows a session whose latest mood rating (after, or
  else before) is 0–2: same rule, same calm panel, shown once.
- Two tabs, a deleted session, a double tap (the check-in's mechanism, `fields.answers_version`):
  the edit form carries a fingerprint of the answers it was shown with (`loaded_version`). If
  the session was saved elsewhere since, sending it saves nothing and shows the session as it
  is now with the answers the person changed on top and a note (400); if it was deleted
  since, their answers come back in a new-session form. A form whose answers are what is
  stored already just goes on (a double tap on Save changes). Someone else's session id is
  treated as a deleted one, so nothing tells the two apart.
- The new-session form carries a random `request_key`: the same form sent again (a double tap,
  a reload) stores no second session. Sent again unchanged, it goes to the session it saved;
  with changes (Back, a field changed, Save), that session's edit form is shown with the
  changes on top (when the session was edited since, the note says so: the form's answers
  may be the edit's old values). The key is kept with the session it saved (`request_key`,
  migration m020).
- The list is paginated as History is (30 a page, newest first, `?page=N`, 404 for a page
  that is not there): a day holds up to four sessions, so a history can hold thousands. A
  page fetches only its sessions, the sessions that can cut their windows and the check-ins
  the windows stand on (figures.some_window_figures); numbers count all of a person's.
"""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from . import clock, crisis, drafts, figures, timezones
from .access import owned_or_404, owned_page
from .data import sessions as session_data
from .db import get_db, write_transaction
from .fields import (
    REFLECTION_MAX,
    DeleteForm,
    answers_version,
    changed_since_shown,
    given_answers,
    put_back,
    version_digests,
    with_version,
)
from .numbers import figure
from .session_form import (
    CARRIED_OVER,
    SessionForm,
    local_input_value,
    stored_when,
)
from .session_record import (
    COLUMNS,
    LABELS,
    PROMPTS,
    SIDE_EFFECTS,
    figure_text,
    needs_crisis_resources,
    stored_prompts,
    stored_side_effects,
)
from .signed_in import their_day
from .timezones import day_text

bp = Blueprint("sessions", __name__, url_prefix="/sessions")


def get_session(session_id):
    """The signed-in person's session `session_id`, or 404 saying it is not there (Back after
    a delete lands here)."""
    gone = "This session is not in your journal: it may have been deleted. Sessions lists yours."
    return owned_or_404(
        "sessions", gone=gone, back=("sessions.index", "Go to Sessions"), id=session_id
    )


def latest_session():
    """The signed-in person's session given last (by start time), or None."""
    return session_data.latest(get_db(), current_user.id)


def find_session(session_id):
    """The signed-in person's session `session_id` with its "number", or None."""
    row = session_data.find(get_db(), current_user.id, session_id)
    return with_number(row) if row else None


def get_numbered(session_id):
    """The person's session `session_id` with its "number" (#1 is the first), or 404."""
    return with_number(get_session(session_id))


def with_number(row):
    """A session `row` with its "number" (#1 is the first).

    One count, not the window analytics: pages that only name the session need no more.
    """
    before = session_data.count_before(get_db(), current_user.id, row)
    row["number"] = before + 1
    return row


def numbered(row_id):
    """(baseline, session row with its "number", its window figures, the days they stand on
    as figures.window_label words them) for one of the person's, or 404."""
    base, [(row, found, days)] = figures.some_window_figures(current_user, [get_numbered(row_id)])
    return base, row, found, days


def chosen_side_effects(form):
    """The ticked side effects in the checklist's order, each once; text typed ticks "other"."""
    ticked = set(form.side_effects.data or ())
    if form.side_effects_other.data:
        ticked.add("other")
    return [value for value, _ in SIDE_EFFECTS if value in ticked]


def session_values(form, row=None):
    """The columns a valid form stores, as `save_session` writes them over `row` (or new); an
    edit that leaves the time alone keeps the stored time and day (`stored_when`)."""
    values = {name: form[name].data for name in COLUMNS}
    values["clinic"] = values["clinic"] or ""
    values["intention"] = values["intention"] or ""
    values["reflection"] = values["reflection"] or ""
    values["private"] = int(form.private.data)
    values["side_effects"] = ",".join(chosen_side_effects(form))
    values["side_effects_other"] = form.side_effects_other.data or ""
    answers = {key: form[f"prompt_{key}"].data for key, _ in PROMPTS}
    values["prompts"] = json.dumps(
        {key: text for key, text in answers.items() if text and text.strip()}, ensure_ascii=False
    )
    values["started_at"], values["day"] = stored_when(
        row, form.started_utc, form.started_local, form.zone
    )
    return values


def save_session(form, row=None):
    """Insert a new session (or update the stored `row`) from a valid form; return its id."""
    values = session_values(form, row)
    now = clock.utcnow_iso()
    if row is None:
        return session_data.add(get_db(), current_user.id, values, now)
    session_data.update(get_db(), current_user.id, row["id"], values, now)
    return row["id"]


def form_data(row, fields=None):
    """A stored session as the form's initial data (only `fields` when given)."""
    data = {c: row[c] for c in COLUMNS}
    data["private"] = bool(row["private"])
    data["side_effects"] = stored_side_effects(row)
    data["side_effects_other"] = row["side_effects_other"]
    data["started_at"] = local_input_value(
        datetime.fromisoformat(row["started_at"]), current_user.timezone
    )
    for key, text in stored_prompts(row).items():
        data[f"prompt_{key}"] = text
    if fields is not None:
        data = {name: data[name] for name in fields}
    return data


def loaded_data(row):
    """A stored session as an edit form's data, with the fingerprint of those answers."""
    return with_version(form_data(row))


def changed_since(form, row):
    """True when `form` was filled with the answers of a session that has been saved since
    (another tab, another device), and sending it would change what that save stored. Forms
    without a `loaded_version` (other clients) are not checked."""
    sent = version_digests(form.loaded_version.data)
    if not sent or sent == version_digests(answers_version(form_data(row))):
        return False
    return not already_stored(form, row)


def already_stored(form, row):
    """True when saving the valid `form` over `row` would change nothing in it."""
    return all(row[name] == value for name, value in session_values(form, row).items())


def saved_by(form):
    """The person's session that the new-session `form` (its `request_key`) saved, or None
    (also when that session has been deleted since)."""
    return find_session(form.resent) if form.resent is not None else None


def record_key(key, row_id):
    """Keep the new-session form's `key` with the session it saved (see the decisions)."""
    session_data.set_request_key(get_db(), current_user.id, row_id, key)


def with_local_time(row):
    """`row` with "started_local": its start as an aware datetime in the person's zone, and
    "started_day": that start's date as they read it ("Sat 1 Mar", with its year in another
    year than their today's)."""
    moment = datetime.fromisoformat(row["started_at"])
    local = moment.astimezone(ZoneInfo(current_user.timezone))
    return {**row, "started_local": local, "started_day": their_day(local.date(), "short")}


def render_form(form, row=None, number=None, carried=False, note=None, action=None):
    """The session form, with 400 when it was sent and did not validate (or saved nothing).

    `note` says why a sent form saved nothing; `action` is where the form goes, when that is
    not the page it was sent to.
    """
    status = 400 if form.is_submitted() else 200
    return render_template(
        "sessions/form.html",
        form=form,
        # Sent with a latest mood of 0-2 and not saved: the resources show all the same.
        crisis_unsaved=status == 400
        and needs_crisis_resources(
            {"mood_before": form.mood_before.data, "mood_after": form.mood_after.data}
        ),
        row=with_local_time(row) if row else None,
        number=number,
        carried=carried,
        note=note,
        action=action,
        phq9_due=row is None and figures.phq9_due(current_user),
        reflection_max=REFLECTION_MAX,
    ), status


def after_save(row_id, verb):
    """Redirect to the saved session; ask that page for crisis resources after a very low mood."""
    row = get_numbered(row_id)
    if needs_crisis_resources(row):
        crisis.flag("session", row_id)
    day = timezones.parse_day(row["day"])
    flash(f"{verb} session #{row['number']}, {day_text(day, 'weekday_year')}.")
    drafts.stored()
    return redirect(url_for("sessions.detail", id=row_id))


@bp.route("")
@login_required
def index():
    listed = owned_page(
        "sessions", order_by=session_data.NEWEST_FIRST, listed_as=("Sessions", "sessions.index")
    )
    for number, row in enumerate(listed.rows):
        row["number"] = listed.total - listed.offset - number  # #1 is the first of all
    base, triples = figures.some_window_figures(current_user, listed.rows[::-1])
    items = [
        (with_local_time(row), figure_text(found, base, days))
        for row, found, days in reversed(triples)
    ]
    return render_template(
        "sessions/list.html",
        items=items,
        page=listed.page,
        pages=listed.pages,
        total=listed.total,
        baseline=None if base is None else figure(base),
        window_days=current_user.window_days,
        labels=LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    zone = current_user.timezone
    if request.method == "POST":
        form = SessionForm(zone=zone)
        key = form.request_key.data
        with write_transaction():  # two taps take turns: the second sees the first's key
            valid = form.validate_on_submit()
            earlier = saved_by(form) if valid else None
            if valid and earlier is None:
                row_id = save_session(form)
                if key:
                    record_key(key, row_id)
        if not valid:
            return render_form(form)
        if earlier is None:
            return after_save(row_id, "Saved")
        if already_stored(form, earlier):
            # The first answer may never have reached the browser (a double tap): this one
            # asks for the crisis panel as it would have.
            if needs_crisis_resources(earlier):
                crisis.flag("session", earlier["id"])
            flash(f"Session #{earlier['number']} was already saved from this form: saved once.")
            drafts.stored()
            return redirect(url_for("sessions.detail", id=earlier["id"]))
        return sent_again(form, earlier)
    now = clock.now()
    latest = latest_session()
    initial = form_data(latest, CARRIED_OVER) if latest else {}
    started = local_input_value(now.replace(second=0, microsecond=0), zone)
    form = SessionForm(
        zone=zone,
        now=now,
        data={**initial, "started_at": started, "private": current_user.private_by_default},
    )
    return render_form(form, carried=latest is not None)


@bp.route("/<int:id>")
@login_required
def detail(id):
    base, row, found, days = numbered(id)
    crisis_panel = crisis.take("session", id)
    return render_template(
        "sessions/detail.html",
        row=with_local_time(row),
        figures=figure_text(found, base, days),
        baseline=None if base is None else figure(base),
        window_days=current_user.window_days,
        side_effects=stored_side_effects(row),
        prompts=stored_prompts(row),
        labels=LABELS,
        crisis_panel=crisis_panel,
    )


@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@login_required
def edit(id):
    if request.method != "POST":
        row = get_numbered(id)
        form = SessionForm(zone=current_user.timezone, data=loaded_data(row), editing=id)
        return render_form(form, row=with_local_time(row), number=row["number"])
    form = SessionForm(zone=current_user.timezone, editing=id)
    if not form.loaded_version.data:
        get_session(id)  # only a form shown for a stored session may be sent without one
    valid = form.validate_on_submit()
    with write_transaction():
        row = find_session(id)
        saved = valid and row is not None and not changed_since(form, row)
        if saved:
            save_session(form, row)
    if saved:
        return after_save(id, "Updated")
    if row is None:
        return deleted_meanwhile(form)
    if not valid:
        return render_form(form, row=with_local_time(row), number=row["number"])
    return edited_elsewhere(form, row)


def reshown(form, row, given, note):
    """Save nothing: `row`'s edit form as it is stored now, with the `given` answers of the
    sent `form` on top, and a `note` that says why."""
    shown = SessionForm(
        zone=current_user.timezone, formdata=None, data=loaded_data(row), editing=row["id"]
    )
    put_back(shown, given, form.meta.sent)
    action = url_for("sessions.edit", id=row["id"])
    return render_form(
        shown, row=with_local_time(row), number=row["number"], note=note, action=action
    )


def edited_elsewhere(form, row):
    """The session was saved elsewhere after this edit form was opened."""
    given = given_answers(form, version_digests(form.loaded_version.data), cleared=True)
    kept = ", with what you changed on top" if given else ""
    note = (
        f"Session #{row['number']} was saved elsewhere (another tab or device) after you "
        f"opened this form, so nothing was saved yet. This is the session as it is saved "
        f"now{kept}. Check it, then save."
    )
    return reshown(form, row, given, note)


def sent_again(form, row):
    """A new-session form that saved `row` was sent again with changes (Back, then Save)."""
    given = given_answers(form, version_digests(answers_version(form_data(row))), cleared=True)
    if row["updated_at"] != row["created_at"]:
        # Edited since this form saved it: an answer of the form that differs from it may be
        # the edit's old value rather than a change, and saving it back would undo the edit.
        what = (
            ", and the session was edited after this form saved it. This is the session as it "
            "is saved now, with the answers of this form that differ from it on top: check "
            "each of them before you save, or leave this page to keep the session as it is."
        )
    else:
        what = ". This is that session with what you changed on top: save to update it."
    note = (
        f"This form already saved this session (#{row['number']}), so no second one was made"
        f"{what} To log another session, use Log a session."
    )
    return reshown(form, row, given, note)


def deleted_meanwhile(form):
    """The session of this edit form was deleted after it was opened (or is not the person's):
    every answer sent comes back in a new-session form, nothing is saved."""
    form.request_key.data = form.request_key.default()
    note = (
        "This session was deleted after you opened this form, so nothing was saved. Your "
        "answers are below: save to log it again."
    )
    return render_form(form, note=note, action=url_for("sessions.new"))


@bp.route("/<int:id>/delete", methods=["GET", "POST"])
@login_required
def delete(id):
    row = get_numbered(id)
    form = DeleteForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        with write_transaction() as db:
            row = get_numbered(id)  # deleted meanwhile (another tab): the page that says so
            if changed_since_shown(form.loaded_version.data, answers_version(form_data(row))):
                # Saved elsewhere since the page was opened: asked again, as it is now.
                return delete_page(row, DELETE_CHANGED, 400)
            session_data.delete(db, current_user.id, id)
        day = timezones.parse_day(row["day"])
        flash(f"Deleted session #{row['number']} of {day_text(day, 'weekday_year')}.")
        return redirect(url_for("sessions.index"))
    return delete_page(row)


DELETE_CHANGED = (
    "This session was changed after you opened this page (in another tab or on another "
    "device), so nothing was deleted. Look at it as it is now before you delete it."
)


def delete_page(row, note=None, status=200):
    """The page that asks before deleting the session `row` (numbered), its form carrying the
    fingerprint of the answers it asks about; `note` says why it is asked again."""
    version = answers_version(form_data(row))
    form = DeleteForm(formdata=None, data={"loaded_version": version})
    page = render_template(
        "sessions/delete.html",
        row=with_local_time(row),
        form=form,
        note=note,
        first=as_first(row),
    )
    return page, status


def as_first(row):
    """{"next": the session that would be the first without it, or None} when `row`
    (numbered) is the first session and deleting it moves the day every treatment baseline is
    measured up to (figures.first_session_day); else None. Its delete page says so."""
    if row["number"] != 1:
        return None
    after = session_data.numbered_brief(get_db(), current_user.id)[1:2]
    if after and after[0]["day"] == row["day"]:
        return None
    return {"next": after[0] if after else None}
