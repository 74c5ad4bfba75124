"""The session form: its fields and checks (a form module, not a view).

See journal/sessions.py for the decisions it follows: a time is the person's wall-clock time,
stored in UTC; doses and weight are text with a decimal keypad; blood pressure both numbers
or neither.
"""

import math
import re
from datetime import UTC, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from flask_login import current_user
from wtforms import (
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

from . import clock
from .data import sessions as session_data
from .db import get_db
from .fields import (
    EARLIEST_DAY,
    REFLECTION_MAX,
    CheckboxField,
    JournalForm,
    NumberTextField,
    ScaleField,
    line_text,
    max_chars,
    name_text,
    no_control_characters,
    normalize_newlines,
    number_text,
    request_key_field,
    strip,
)
from .rules import DOSE_AGREES
from .session_record import PER_DAY_MAX, PRODUCTS, PROMPTS, ROUTES, SIDE_EFFECTS

CLINIC_MAX = 200
INTENTION_MAX = 2_000
OTHER_MAX = 200
PROMPT_MAX = 5_000
# Filled in from the latest session on a new form.
CARRIED_OVER = ("product", "route", "dose_mg", "dose_mg_per_kg", "weight_kg", "clinic")
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

STILL_TO_COME = "That time is still to come; log a session once it has started."
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


class AmountField(NumberTextField):
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
        # dir auto: words in Hebrew or Arabic are set right to left as they are written.
        render_kw={"rows": rows, "data-max": limit, "dir": "auto"},
    )


def pressure_fields():
    """A systolic and diastolic pair (both or neither, checked by the form)."""
    return (
        PressureField("Systolic (top number)", 60, 260, "systolic (top) number"),
        PressureField("Diastolic (bottom number)", 30, 160, "diastolic (bottom) number"),
    )


def stored_when(row, moment, local, zone):
    """(started_at, day) a session given at `moment` (`local`, the time typed, in `zone`) is
    stored with: the moment and its local date; over `row` (an edit) that leaves the time
    alone, the stored ones. Day 0 of the window was the local date when the session was
    logged, and moving time zone since must not move it."""
    started_at = moment.isoformat(timespec="seconds")
    day = moment.astimezone(ZoneInfo(zone)).date().isoformat()
    if row is not None:
        stored = datetime.fromisoformat(row["started_at"])
        same_moment = stored.replace(second=0, microsecond=0) == moment.replace(second=0)
        # The time as the edit form showed it, sent back unchanged: in the hour the clocks go
        # back, it is read as the first of its two moments, and the stored second one stays.
        shown = stored.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        if same_moment or local == shown:
            return row["started_at"], row["day"]
    return started_at, day


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
    # A name, read back on the session's page and carried into the next session's form: the
    # rules of names (fields.name_text: invisible characters out, direction controls and
    # text with nothing visible refused at the field).
    clinic = StringField(
        "Clinic or setting",
        filters=[strip, name_text],
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
        filters=[strip, line_text],  # a line a therapist reads: something visible, or nothing
        validators=[max_chars(OTHER_MAX), no_control_characters],
    )
    bp_before_systolic, bp_before_diastolic = pressure_fields()
    bp_after_systolic, bp_after_diastolic = pressure_fields()
    reflection = long_text("Reflection", REFLECTION_MAX, 6)
    prompt_stood_out = long_text(PROMPTS[0][1], PROMPT_MAX, 3)
    prompt_noticed = long_text(PROMPTS[1][1], PROMPT_MAX, 3)
    prompt_carry = long_text(PROMPTS[2][1], PROMPT_MAX, 3)
    private = CheckboxField("Keep the reflection and answers private: only you will ever see them")
    # See the module's decisions: what an edit form was shown with; new for every new form.
    loaded_version = HiddenField()
    request_key = request_key_field()

    def __init__(self, *args, zone, now=None, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.now = now or clock.now()
        # The person's today as the form is made: static/new-day.js turns a new session's form
        # left open past midnight to the day the Save is made on.
        self.today = self.now.astimezone(ZoneInfo(zone)).date()
        self.editing = editing  # the id of the session being edited, if one is
        self.started_utc = self.started_local = None  # set by validate_started_at
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
        try:
            moment = local_to_utc(naive, self.zone)
        except OverflowError:  # past the last moment a datetime holds (9999) once in UTC
            raise ValidationError(STILL_TO_COME) from None
        if moment is None:
            raise ValidationError(
                "That time does not exist in your time zone (the clocks went forward); "
                "check the time."
            )
        if moment > self.now:
            raise ValidationError(STILL_TO_COME)
        db = get_db()
        row = self.stored
        # The day it will be stored under: an edit that leaves the time alone keeps its own.
        _, day = stored_when(row, moment, naive, self.zone)
        others = session_data.count_on_day(db, current_user.id, day, self.editing or self.resent)
        if others >= PER_DAY_MAX:
            raise ValidationError(
                f"This day already has {PER_DAY_MAX} sessions, the most one day can hold; "
                "edit or delete one of them instead."
            )
        self.started_utc, self.started_local = moment, naive

    @cached_property
    def resent(self):
        """The id of the session a new-session form's `request_key` saved already (the form
        sent again: a double tap, a reload), or None. It is not counted against its own day:
        the view answers such a form with that session, never a full day's error."""
        key = self.request_key.data
        if self.editing or not key:
            return None
        return session_data.id_for_request_key(get_db(), current_user.id, key)

    @cached_property
    def stored(self):
        """The session being edited as it is stored now (None for a new one, or one gone)."""
        return session_data.find(get_db(), current_user.id, self.editing) if self.editing else None

    def validate(self, extra_validators=None):
        """The field checks, then blood pressure (both numbers or neither, top above bottom)
        and the dose (with mg/kg and weight, the three must agree)."""
        valid = super().validate(extra_validators)
        dose, per_kg, weight = self.dose_mg, self.dose_mg_per_kg, self.weight_kg
        numbers = (dose, per_kg, weight)
        # An edit that leaves the three as they are stored is not asked about again.
        stored = self.stored is not None and all(self.stored[f.name] == f.data for f in numbers)
        if all(f.data is not None and not f.errors for f in numbers) and not stored:
            worked_out = per_kg.data * weight.data
            low, high = DOSE_AGREES
            if not low <= dose.data / worked_out <= high:
                dose.errors.append(
                    f"{number_text(per_kg.data)} mg/kg for {number_text(weight.data)} kg is "
                    f"{number_text(round(worked_out, 2))} mg, not {number_text(dose.data)} mg: "
                    "check the three numbers, or leave out the ones you are not sure of."
                )
                valid = False
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
