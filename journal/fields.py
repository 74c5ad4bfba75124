"""Form pieces shared by every feature: text clean-up and checks that give a clear message."""

import re
from datetime import date

from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import InputRequired, ValidationError

from . import timezones

REFLECTION_MAX = 20_000
EARLIEST_DAY = date(1990, 1, 1)

# Control characters other than tab, newline and carriage return never belong in a journal
# entry; NUL in particular would be cut short by some tools that read the database.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip(value):
    """WTForms filter: trim surrounding white space from text, leave other values alone."""
    return value.strip() if isinstance(value, str) else value


def has_control_characters(text):
    """True when `text` holds invisible control characters other than tab and line breaks."""
    return bool(_CONTROL.search(text))


def without_control_characters(text):
    """`text` with those characters removed (for names shown back, such as a file's)."""
    return _CONTROL.sub("", text)


def no_control_characters(form, field):
    """Refuse invisible control characters (pasted from elsewhere, or sent by a broken client)."""
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError("This contains invisible control characters; please remove them.")


def max_chars(limit):
    """A validator for long text that says how long it is, so nobody guesses what to cut."""

    def check(form, field):
        if field.data and len(field.data) > limit:
            raise ValidationError(
                f"This can be up to {limit:,} characters; yours has {len(field.data):,}. "
                "Your text is still here: shorten it, then save again."
            )

    return check


def normalize_newlines(value):
    """Browsers send line breaks as CRLF; count and keep them as one character each."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class ScaleField(RadioField):
    """A 0–10 rating chosen with one tap; a clear message for anything that is not one."""

    def __init__(self, label, low=0, high=10, labels=None, **kwargs):
        self.low, self.high = low, high
        labels = labels or [str(i) for i in range(low, high + 1)]
        choices = [
            SelectChoice(i, text) for i, text in zip(range(low, high + 1), labels, strict=True)
        ]
        super().__init__(label, choices=choices, coerce=int, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip() != "":
            if not re.fullmatch(r"-?[0-9]{1,3}", valuelist[0].strip()):
                raise ValueError(f"Choose a whole number from {self.low} to {self.high}.")
            self.data = int(valuelist[0])

    def pre_validate(self, form):
        if self.data is not None and not self.low <= self.data <= self.high:
            raise ValidationError(f"Choose a whole number from {self.low} to {self.high}.")

    def iter_choices(self):
        for choice in self.choices:
            yield (choice.value, choice.label, self.data == choice.value, {})


def day_field(missing, label="Date"):
    """A required local date, typed into the browser's date picker; `missing` says it lacks.

    Checked by the form with `check_local_day`, against the person's own today.
    """
    return StringField(
        label, filters=[strip], validators=[InputRequired(missing)], render_kw={"type": "date"}
    )


def check_local_day(text, today, future="That date is still to come; choose today or a past day."):
    """The YYYY-MM-DD in `text` as a date, or a ValidationError saying what is wrong.

    `today` is the person's own today; a later date gets the `future` message. Dates before
    1990 are refused as a typo'd year rather than stored.
    """
    day = timezones.parse_day(text)
    if day is None:
        raise ValidationError("Enter a date as YYYY-MM-DD, like 2026-03-14.")
    if today and day > today:
        raise ValidationError(future)
    if day < EARLIEST_DAY:
        raise ValidationError("That date is too far back; check the year.")
    return day
