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
  changes on top. The key is kept with the session it saved (`request_key`, migration m020).
- The list is paginated as History is (30 a page, newest first, `?page=N`, 404 for a page
  that is not there): a day holds up to four sessions, so a history can hold thousands. A
  page fetches only its sessions, the sessions that can cut their windows and the check-ins
  the windows stand on (progress.some_window_figures); numbers count all of a person's.
"""

import json
import math
import re
from datetime import UTC, datetime
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
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from . import assessments, clock, crisis, progress, rules, timezones
from .db import get_db, owned_or_404, owned_page, write_transaction
from .fields import (
    EARLIEST_DAY,
    REFLECTION_MAX,
    JournalForm,
    ScaleField,
    answers_version,
    given_answers,
    max_chars,
    no_control_characters,
    normalize_newlines,
    put_back,
    request_key_field,
    strip,
    version_digests,
    with_version,
)
from .numbers import difference, figure, signed  # noqa: F401 (signed: for older imports)

bp = Blueprint("sessions", __name__, url_prefix="/sessions")

PRODUCTS = [("ketamine", "Ketamine (racemic)"), ("esketamine", "Esketamine (Spravato)")]
ROUTES = [
    ("iv", "IV infusion"),
    ("im", "Intramuscular injection (IM)"),
    ("sc", "Injection under the skin (SC)"),
    ("intranasal", "Intranasal spray"),
    ("oral", "Oral (swallowed)"),
    ("sublingual", "Sublingual (under the tongue)"),
    ("other", "Other"),
]
SIDE_EFFECTS = [
    ("nausea", "Nausea"),
    ("vomiting", "Vomiting"),
    ("dizziness", "Dizziness or vertigo"),
    ("headache", "Headache"),
    ("drowsiness", "Drowsiness"),
    ("numbness", "Numbness or tingling"),
    ("taste_change", "Changed taste"),
    ("blurred_vision", "Blurred vision"),
    ("raised_bp", "Raised blood pressure"),
    ("anxiety", "Anxiety"),
    ("fatigue", "Tiredness (fatigue)"),
    ("other", "Something else"),
]
PROMPTS = [
    ("stood_out", "What stood out most?"),
    ("noticed", "What did you notice in your body or feelings?"),
    ("carry", "What would you like to carry into the coming days?"),
]
LABELS = {
    "products": dict(PRODUCTS),
    "routes": dict(ROUTES),
    "side_effects": dict(SIDE_EFFECTS),
    "prompts": dict(PROMPTS),
}
CLINIC_MAX = 200
# Sessions on one local day. A clinic gives one, an at-home protocol at most two; four leave
# room for a split dose logged apart and a slip, and bound what one person's history (and
# every window, list and report built from it) can cost.
PER_DAY_MAX = 4
INTENTION_MAX = 2_000
OTHER_MAX = 200
PROMPT_MAX = 5_000
# Filled in from the latest session on a new form.
CARRIED_OVER = ("product", "route", "dose_mg", "dose_mg_per_kg", "weight_kg", "clinic")
COLUMNS = (
    "product",
    "route",
    "dose_mg",
    "dose_mg_per_kg",
    "weight_kg",
    "clinic",
    "intention",
    "mood_before",
    "mood_after",
    "dissociation",
    "bp_before_systolic",
    "bp_before_diastolic",
    "bp_after_systolic",
    "bp_after_diastolic",
    "reflection",
    "private",
)
# The optional parts of the form, each a <details> that is open when it holds anything.
SECTIONS = {
    "dose": ("dose_mg_per_kg", "weight_kg", "clinic", "intention"),
    "effects": ("dissociation", "side_effects", "side_effects_other"),
    "pressure": (
        "bp_before_systolic",
        "bp_before_diastolic",
        "bp_after_systolic",
        "bp_after_diastolic",
    ),
    "reflection": ("reflection", *(f"prompt_{key}" for key, _ in PROMPTS), "private"),
}

_LOCAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?")
# ASCII digits only: Python's float() and \d would also take "٥" or "５".
_AMOUNT = re.compile(r"[+-]?([0-9]{1,9}(\.[0-9]{0,9})?|\.[0-9]{1,9})")
_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2},[0-9]{3}")
_WHOLE = re.compile(r"[+-]?[0-9]{1,9}")


def parse_local(text):
    """A datetime-local value (YYYY-MM-DDTHH:MM, seconds optional) as a naive datetime, or None."""
    if not isinstance(text, str) or not _LOCAL_TIME.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def local_to_utc(naive, zone):
    """The UTC moment of wall-clock time `naive` in `zone`, or None when the clocks skip it.

    A time that happens twice (when the clocks go back) is read as the first of the two.
    """
    tz = ZoneInfo(zone)
    moment = naive.replace(tzinfo=tz).astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return moment


def local_input_value(moment, zone):
    """An aware datetime as a datetime-local value in `zone` (seconds only when there are any)."""
    local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return local.isoformat(timespec="minutes" if local.second == 0 else "seconds")


class AmountField(Field):
    """An optional amount above `low` and at most `high` (or from `low` when `low_inclusive`).

    "7,5" is read as 7.5. The text typed is shown back as it was, so a mistake can be seen.
    """

    widget = TextInput()

    def __init__(self, label, low, high, unit, example, low_inclusive=False, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, render_kw=render_kw, **kwargs)
        self.low, self.high, self.low_inclusive = low, high, low_inclusive
        self.format_message = f"Enter a number in {unit}, like {example}."
        if low_inclusive:
            self.range_message = f"This must be from {low:g} to {high:,g} {unit}."
        else:
            self.range_message = f"This must be more than {low:g} and at most {high:,g} {unit}."

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:g}"

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            return
        if _THOUSANDS.fullmatch(text):
            raise ValueError(
                "Write this without a thousands separator (like 1000), "
                "or with one decimal separator (like 7,5 or 7.5)."
            )
        text = text.replace(",", ".")
        if not _AMOUNT.fullmatch(text):
            raise ValueError(self.format_message)
        value = float(text)
        above_low = value >= self.low if self.low_inclusive else value > self.low
        if not math.isfinite(value) or not above_low or value > self.high:
            raise ValueError(self.range_message)
        self.data = value


class PressureField(Field):
    """One number of a blood pressure reading: a whole number from `low` to `high` mmHg."""

    widget = TextInput()

    def __init__(self, label, low, high, what, **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, render_kw=render_kw, **kwargs)
        self.low, self.high = low, high
        self.range_message = f"The {what} must be from {low} to {high} mmHg."

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            return
        if not _WHOLE.fullmatch(text):
            raise ValueError("Enter a whole number, like 120.")
        value = int(text)
        if not self.low <= value <= self.high:
            raise ValueError(self.range_message)
        self.data = value


class ChecklistField(SelectMultipleField):
    """Checkboxes sharing one name; a value that is not on the list is refused, not dropped."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label, choices, message, **kwargs):
        super().__init__(label, choices=select_choices(choices), validate_choice=False, **kwargs)
        self.known = {value for value, _ in choices}
        self.message = message

    def pre_validate(self, form):
        if any(value not in self.known for value in self.data or ()):
            raise ValidationError(self.message)


def select_choices(pairs):
    """(value, label) pairs as the SelectChoice objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def one_of(choices, message):
    """A validator: the value must be one of `choices` (pairs of value and label)."""
    known = {value for value, _ in choices}

    def check(form, field):
        if field.data not in known:
            raise ValidationError(message)

    return check


def long_text(label, limit, rows, description=None):
    """A multi-line text field: line breaks kept as one character each, a clear length limit."""
    return TextAreaField(
        label,
        filters=[normalize_newlines],
        validators=[max_chars(limit), no_control_characters],
        description=description,
        render_kw={"rows": rows, "data-max": limit},
    )


def pressure_fields():
    """A systolic and diastolic pair (both or neither, checked by the form)."""
    return (
        PressureField("Systolic (top number)", 60, 260, "systolic (top) number"),
        PressureField("Diastolic (bottom number)", 30, 160, "diastolic (bottom) number"),
    )


class SessionForm(JournalForm):
    started_at = StringField(
        "Date and time",
        filters=[strip],
        validators=[InputRequired("Enter when the session started.")],
        render_kw={"type": "datetime-local"},
    )
    product = RadioField(
        "Medicine",
        choices=select_choices(PRODUCTS),
        validate_choice=False,
        validators=[
            InputRequired("Choose ketamine or esketamine."),
            one_of(PRODUCTS, "Choose ketamine or esketamine."),
        ],
    )
    route = SelectField(
        "How it was given",
        choices=select_choices([("", "Choose…"), *ROUTES]),
        validate_choice=False,
        validators=[
            InputRequired("Choose how it was given."),
            one_of(ROUTES, "Choose how it was given from the list."),
        ],
    )
    dose_mg = AmountField(
        "Total dose in mg",
        0,
        1000,
        "mg",
        "56 or 7.5",
        description="The total dose. Spravato is 28 mg a device: 56 or 84 mg a session.",
    )
    dose_mg_per_kg = AmountField(
        "Dose by weight, in mg/kg",
        0,
        5,
        "mg/kg",
        "0.5",
        description="An IV dose is often given as 0.5 mg/kg.",
    )
    weight_kg = AmountField(
        "Body weight in kg",
        20,
        400,
        "kg",
        "70 or 70.5",
        low_inclusive=True,
        description="The weight the dose was worked out from, if it was.",
    )
    clinic = StringField(
        "Clinic or setting",
        filters=[strip],
        validators=[max_chars(CLINIC_MAX), no_control_characters],
    )
    intention = long_text(
        "Your intention",
        INTENTION_MAX,
        3,
        description="What you hoped to explore or feel, set before the session.",
    )
    mood_before = ScaleField("Mood before the session")
    mood_after = ScaleField("Mood after the session")
    dissociation = ScaleField("Dissociation (not a validated scale)")
    side_effects = ChecklistField(
        "Side effects", SIDE_EFFECTS, "Choose side effects from the list."
    )
    side_effects_other = StringField(
        "Something else (describe)",
        filters=[strip],
        validators=[max_chars(OTHER_MAX), no_control_characters],
    )
    bp_before_systolic, bp_before_diastolic = pressure_fields()
    bp_after_systolic, bp_after_diastolic = pressure_fields()
    reflection = long_text("Reflection", REFLECTION_MAX, 6)
    prompt_stood_out = long_text(PROMPTS[0][1], PROMPT_MAX, 3)
    prompt_noticed = long_text(PROMPTS[1][1], PROMPT_MAX, 3)
    prompt_carry = long_text(PROMPTS[2][1], PROMPT_MAX, 3)
    private = BooleanField("Keep the reflection and answers private: only you will ever see them")
    # See the module's decisions: what an edit form was shown with; new for every new form.
    loaded_version = HiddenField()
    request_key = request_key_field()

    def __init__(self, *args, zone, now=None, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.now = now or datetime.now(UTC)
        self.editing = editing  # the id of the session being edited, if one is
        self.started_utc = None
        self.started_at.render_kw = {
            **self.started_at.render_kw,
            "max": local_input_value(self.now.replace(second=0, microsecond=0), zone),
        }

    def validate_started_at(self, field):
        naive = parse_local(field.data)
        if naive is None:
            raise ValidationError("Enter the date and time like 2026-03-14T09:30.")
        if naive.date() < EARLIEST_DAY:
            raise ValidationError("That date is too far back; check the year.")
        moment = local_to_utc(naive, self.zone)
        if moment is None:
            raise ValidationError(
                "That time does not exist in your time zone (the clocks went forward); "
                "check the time."
            )
        if moment > self.now:
            raise ValidationError("That time is still to come; log a session once it has started.")
        day = moment.astimezone(ZoneInfo(self.zone)).date().isoformat()
        others = (
            get_db()
            .execute(
                "select count(*) from sessions where user_id = ? and day = ? and id is not ?",
                [current_user.id, day, self.editing],
            )
            .fetchone()[0]
        )
        if others >= PER_DAY_MAX:
            raise ValidationError(
                f"This day already has {PER_DAY_MAX} sessions, the most one day can hold; "
                "edit or delete one of them instead."
            )
        self.started_utc = moment

    def validate(self, extra_validators=None):
        """The field checks, then blood pressure: both numbers or neither, top above bottom."""
        valid = super().validate(extra_validators)
        for when in ("before", "after"):
            top, bottom = self[f"bp_{when}_systolic"], self[f"bp_{when}_diastolic"]
            if top.errors or bottom.errors:
                continue
            if (top.data is None) != (bottom.data is None):
                missing = bottom if bottom.data is None else top
                missing.errors.append("Enter both numbers of the reading, or leave both empty.")
                valid = False
            elif top.data is not None and top.data <= bottom.data:
                top.errors.append(
                    "The top number (systolic) must be higher than the bottom one (diastolic)."
                )
                valid = False
        return valid

    def prompt_fields(self):
        """The integration prompts' fields, in order."""
        return [self[f"prompt_{key}"] for key, _ in PROMPTS]

    def is_open(self, section):
        """True when a part of the form holds a value or an error, so it is shown unfolded."""
        return any(_has_value(self[name].data) or self[name].errors for name in SECTIONS[section])


def _has_value(data):
    # 0 is a real rating, so falsiness will not do.
    return data is not None and data is not False and data != "" and data != []


def get_session(session_id):
    """The signed-in person's session `session_id`, or 404."""
    return owned_or_404("sessions", id=session_id)


def latest_session():
    """The signed-in person's latest session by start time, or None."""
    rows = list(
        get_db()["sessions"].rows_where(
            "user_id = ?", [current_user.id], order_by="started_at desc, id desc", limit=1
        )
    )
    return rows[0] if rows else None


def find_session(session_id):
    """The signed-in person's session `session_id` with its "number", or None."""
    rows = list(
        get_db()["sessions"].rows_where(
            "user_id = ? and id = ?", [current_user.id, session_id], limit=1
        )
    )
    return with_number(rows[0]) if rows else None


def get_numbered(session_id):
    """The person's session `session_id` with its "number" (#1 is the first), or 404."""
    return with_number(get_session(session_id))


def with_number(row):
    """A session `row` with its "number" (#1 is the first).

    One count, not the window analytics: pages that only name the session need no more.
    """
    (before,) = (
        get_db()
        .execute(
            "select count(*) from sessions where user_id = ? and (started_at < ? "
            "or (started_at = ? and id < ?))",
            [current_user.id, row["started_at"], row["started_at"], row["id"]],
        )
        .fetchone()
    )
    row["number"] = before + 1
    return row


def numbered(row_id):
    """(baseline, session row with its "number", its window figures, the days they stand on
    as progress.window_label words them) for one of the person's, or 404."""
    base, [(row, figures, days)] = progress.some_window_figures(
        current_user, [get_numbered(row_id)]
    )
    return base, row, figures, days


def chosen_side_effects(form):
    """The ticked side effects in the checklist's order, each once; text typed ticks "other"."""
    ticked = set(form.side_effects.data or ())
    if form.side_effects_other.data:
        ticked.add("other")
    return [value for value, _ in SIDE_EFFECTS if value in ticked]


def session_values(form, row=None):
    """The columns a valid form stores, as `save_session` writes them over `row` (or new).

    An edit that leaves the time alone keeps the stored `day`: day 0 of the window was the
    local date when the session was logged, and moving time zone since must not move it.
    """
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
    values["started_at"] = form.started_utc.isoformat(timespec="seconds")
    values["day"] = form.started_utc.astimezone(ZoneInfo(form.zone)).date().isoformat()
    if row is not None:
        stored = datetime.fromisoformat(row["started_at"])
        if stored.replace(second=0, microsecond=0) == form.started_utc.replace(second=0):
            values["started_at"], values["day"] = row["started_at"], row["day"]
    return values


def save_session(form, row=None):
    """Insert a new session (or update the stored `row`) from a valid form; return its id."""
    values = session_values(form, row)
    now = clock.utcnow_iso()
    db = get_db()
    if row is None:
        return (
            db["sessions"]
            .insert({**values, "user_id": current_user.id, "created_at": now, "updated_at": now})
            .last_pk
        )
    assignments = ", ".join(f"{c} = :{c}" for c in values)
    db.execute(
        f"update sessions set {assignments}, updated_at = :now "  # noqa: S608 (constant columns)
        "where id = :id and user_id = :user_id",
        {**values, "now": now, "id": row["id"], "user_id": current_user.id},
    )
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


def saved_by(key):
    """The person's session that the new-session form with `key` saved, or None (also when
    that session has been deleted since)."""
    found = (
        get_db()
        .execute(
            "select id from sessions where user_id = ? and request_key = ?",
            [current_user.id, key],
        )
        .fetchone()
    )
    return find_session(found[0]) if found else None


def record_key(key, row_id):
    """Keep the new-session form's `key` with the session it saved (see the decisions)."""
    get_db().execute(
        "update sessions set request_key = ? where user_id = ? and id = ?",
        [key, current_user.id, row_id],
    )


def stored_side_effects(row):
    """The side effects of a stored session as a list (", " between them is read too)."""
    return [value.strip() for value in row["side_effects"].split(",") if value.strip()]


def stored_prompts(row):
    """The prompt answers of a stored session, {key: answer}, for the prompts we know."""
    try:
        answers = json.loads(row["prompts"] or "{}")
    except ValueError:
        return {}
    if not isinstance(answers, dict):
        return {}
    return {key: answers[key] for key, _ in PROMPTS if isinstance(answers.get(key), str)}


def latest_mood(row):
    """The mood rating nearest the end of the session: after, else before, else None."""
    return row["mood_after"] if row["mood_after"] is not None else row["mood_before"]


def needs_crisis_resources(row):
    """A session whose latest mood is 0-2 calls for the crisis panel (and flags its day)."""
    mood = latest_mood(row)
    return rules.is_crisis_mood(mood)


def figure_text(figures, base=None, days=None):
    """A session's window figures as the text a page shows; None where there is no data.

    Changes are differences of the figures as shown (`numbers.difference`), so the window
    mean and the baseline `base` shown beside them always add up. `days` says which window
    days the figures stand on (progress.window_label), so a window cut short by the next
    session is never labelled "days 1–7".
    """

    def maybe(value, show):
        return None if value is None else show(value)

    return {
        "pre_level": maybe(figures["pre_level"], figure),
        "window_mean": maybe(figures["window_mean"], figure),
        "change": maybe(figures["change"], lambda v: difference(figures["window_mean"], base)),
        "peak_change": maybe(
            figures["peak_change"],
            lambda v: f"{difference(v + base, base)} on day {figures['peak_day']}",
        ),
        "days_above_baseline": maybe(
            figures["days_above_baseline"], lambda v: f"{v} of {figures['n_checkins']}"
        ),
        "n_checkins": str(figures["n_checkins"]),
        "days": days,
    }


def with_local_time(row):
    """`row` with "started_local": its start as an aware datetime in the person's zone."""
    moment = datetime.fromisoformat(row["started_at"])
    return {**row, "started_local": moment.astimezone(ZoneInfo(current_user.timezone))}


def render_form(form, row=None, number=None, carried=False, note=None, action=None):
    """The session form, with 400 when it was sent and did not validate (or saved nothing).

    `note` says why a sent form saved nothing; `action` is where the form goes, when that is
    not the page it was sent to.
    """
    status = 400 if form.is_submitted() else 200
    return render_template(
        "sessions/form.html",
        form=form,
        row=row,
        number=number,
        carried=carried,
        note=note,
        action=action,
        phq9_due=row is None and assessments.phq9_due(current_user),
        reflection_max=REFLECTION_MAX,
    ), status


def after_save(row_id, verb):
    """Redirect to the saved session; ask that page for crisis resources after a very low mood."""
    row = get_numbered(row_id)
    if needs_crisis_resources(row):
        crisis.flag("session", row_id)
    day = timezones.parse_day(row["day"])
    flash(f"{verb} session #{row['number']}, {day:%A %-d %B %Y}.")
    return redirect(url_for("sessions.detail", id=row_id))


@bp.route("")
@login_required
def index():
    listed = owned_page("sessions", order_by="started_at desc, id desc")
    for number, row in enumerate(listed.rows):
        row["number"] = listed.total - listed.offset - number  # #1 is the first of all
    base, triples = progress.some_window_figures(current_user, listed.rows[::-1])
    items = [
        (with_local_time(row), figure_text(figures, base, days))
        for row, figures, days in reversed(triples)
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
        if not form.validate_on_submit():
            return render_form(form)
        key = form.request_key.data
        with write_transaction():  # two taps take turns: the second sees the first's key
            earlier = saved_by(key) if key else None
            if earlier is None:
                row_id = save_session(form)
                if key:
                    record_key(key, row_id)
        if earlier is None:
            return after_save(row_id, "Saved")
        if already_stored(form, earlier):
            flash(f"Session #{earlier['number']} was already saved from this form: saved once.")
            return redirect(url_for("sessions.detail", id=earlier["id"]))
        return sent_again(form, earlier)
    now = datetime.now(UTC)
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
    base, row, figures, days = numbered(id)
    crisis_panel = crisis.take("session", id)
    return render_template(
        "sessions/detail.html",
        row=with_local_time(row),
        figures=figure_text(figures, base, days),
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
    put_back(shown, given, request.form)
    action = url_for("sessions.edit", id=row["id"])
    return render_form(
        shown, row=with_local_time(row), number=row["number"], note=note, action=action
    )


def edited_elsewhere(form, row):
    """The session was saved elsewhere after this edit form was opened."""
    given = given_answers(form, version_digests(form.loaded_version.data))
    kept = ", with what you changed on top" if given else ""
    note = (
        f"Session #{row['number']} was saved elsewhere (another tab or device) after you "
        f"opened this form, so nothing was saved yet. This is the session as it is saved "
        f"now{kept}. Check it, then save."
    )
    return reshown(form, row, given, note)


def sent_again(form, row):
    """A new-session form that saved `row` was sent again with changes (Back, then Save)."""
    given = given_answers(form, version_digests(answers_version(form_data(row))))
    note = (
        f"This form already saved this session (#{row['number']}), so no second one was "
        "made. This is that session with what you changed on top: save to update it. To log "
        "another session, use Log a session."
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
    form = JournalForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        get_db().execute("delete from sessions where user_id = ? and id = ?", [current_user.id, id])
        day = timezones.parse_day(row["day"])
        flash(f"Deleted session #{row['number']} of {day:%A %-d %B %Y}.")
        return redirect(url_for("sessions.index"))
    return render_template("sessions/delete.html", row=with_local_time(row), form=form)
