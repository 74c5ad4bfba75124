"""The check-in form: its fields and checks, and a 0–10 field for each tracked symptom.

A form module, not a view: the check-in pages and the offline page both render it.
"""

import math
import re
from functools import lru_cache

from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import TextInput

from .data.checkins import COLUMNS
from .fields import (
    REFLECTION_MAX,
    STACKED_MARKS_MESSAGE,
    CheckboxField,
    JournalForm,
    NumberTextField,
    ScaleField,
    check_local_day,
    day_field,
    has_direction_controls,
    has_stacked_marks,
    max_chars,
    no_control_characters,
    normalize_newlines,
    strip,
)
from .tags import DIRECTION_MESSAGE as TAGS_DIRECTION_MESSAGE
from .tags import TAG_MAX, TAGS_MAX, parse_tags

__all__ = ["COLUMNS", "FUTURE_DAY", "CheckinForm", "EditForm", "HoursField", "make_form", "ratings"]

FUTURE_DAY = "That date is still to come; check in for today or a past day."
# How many check-in form classes (one per set of tracked symptoms and their names) a worker
# keeps; the least recently used is made again when needed.
FORM_CLASSES_KEPT = 256


class HoursField(NumberTextField):
    """Hours of sleep, 0–24 in whole or half hours ("7,5" is read as 7.5).

    A text input with a decimal keypad, as a session's dose (journal/sessions.py): a number
    input sends nothing for text it cannot read ("7,5" in an English browser, "1e309"), and
    the check-in was saved without its sleep and without a word."""

    widget = TextInput()

    def __init__(self, label, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        self.data = parse_hours(valuelist[0] if valuelist else "")


def parse_hours(text):
    """Hours of sleep typed as `text`: a float, None when blank, or a ValueError that says
    what is wrong (the check-in form's field and the import read it alike)."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    # ASCII digits only: float() would also take "1_0", "1e1" and other scripts' digits.
    if not re.fullmatch(r"-?([0-9]{1,3}(\.[0-9]{1,3})?|\.[0-9]{1,3})|nan|inf", text.lower()):
        raise ValueError("Enter hours as a number, like 7 or 7.5.")
    value = float(text)
    if not math.isfinite(value) or not 0 <= value <= 24:
        raise ValueError("Hours of sleep must be from 0 to 24.")
    if value * 2 != int(value * 2):
        raise ValueError("Use whole or half hours, like 7 or 7.5.")
    return value


# The mood question names the day it asks about: a missed day filled in later is rated as it
# was, not as the person feels while filling it in.
MOOD_TODAY = "Mood today"
MOOD_THAT_DAY = "Mood that day"


class CheckinForm(JournalForm):
    date = day_field("Enter the date of this check-in.")
    mood = ScaleField(MOOD_TODAY, validators=[InputRequired("Choose your mood, from 0 to 10.")])
    anxiety = ScaleField("Anxiety")
    energy = ScaleField("Energy")
    sleep_hours = HoursField("Hours of sleep last night")
    tags = StringField(
        "Tags",
        filters=[strip],
        validators=[Length(max=1000, message="Tags are too long."), no_control_characters],
        description="Separate tags with commas.",
        render_kw={"autocomplete": "off", "autocapitalize": "none"},
    )
    reflection = TextAreaField(
        "Reflection",
        filters=[normalize_newlines],
        validators=[max_chars(REFLECTION_MAX), no_control_characters],
        # dir auto: words in Hebrew or Arabic are set right to left as they are written.
        render_kw={"rows": 5, "dir": "auto"},
    )
    private = CheckboxField("Keep this reflection private (only you will ever see it)")
    self_harm = CheckboxField("I've had thoughts of harming myself")
    # The day whose stored check-in filled this form, if any: saving that day replaces it;
    # sent for another day it saves nothing (see `checkins.day_changed`). Empty on an empty
    # form, which carries no day's answers: saving onto a stored day merges (`checkins.merged`).
    loaded_for = HiddenField()
    # A fingerprint of each answer the form was shown with (see `answers_version`): when the
    # day was saved elsewhere meanwhile (another tab, another device), sending this form saves
    # nothing and shows the day as it is now, with the answers the person changed on top.
    loaded_version = HiddenField()
    # The ids of the symptoms the form's page showed a rating for ("1 3"): sent, it rates
    # those, whatever another tab did to the list meanwhile (see `checkins.sent_symptoms`).
    rated = HiddenField()

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        # The web contract: a check-in sent without a date (a client that leaves it out) is
        # for the person's today. Not one written earlier (a `saved_at`, the queue's) nor a
        # form filled from a stored day (`loaded_for`): their day is not today's to guess. A
        # date sent empty is still asked for at the field. (None: not read from a request.)
        sent = self.meta.sent or {}
        bare = not sent.get("saved_at") and not sent.get("loaded_for")
        if self.date is not None and self.date.raw_data == [] and today and bare:
            self.date.data = today.isoformat()
            self.date.raw_data = [self.date.data]

    def ask_about(self, day):
        """Word the mood question for `day` (None: today): "Mood today", or "Mood that day"
        for an earlier day, in its legend and in the error summary alike."""
        past = day is not None and day != self.today
        self.mood.label.text = MOOD_THAT_DAY if past else MOOD_TODAY

    @staticmethod
    def mood_questions():
        """The mood question for today and for an earlier day: the date-change script words
        it from these when it cannot ask the server (offline)."""
        return MOOD_TODAY, MOOD_THAT_DAY

    def validate_date(self, field):
        check_local_day(field.data, self.today, FUTURE_DAY)

    def validate_tags(self, field):
        if has_direction_controls(field.data):
            raise ValidationError(TAGS_DIRECTION_MESSAGE)
        if has_stacked_marks(field.data):
            raise ValidationError(STACKED_MARKS_MESSAGE)
        tags = parse_tags(field.data)
        if len(tags) > TAGS_MAX:
            raise ValidationError(f"Use at most {TAGS_MAX} tags.")
        if any(len(tag) > TAG_MAX for tag in tags):
            raise ValidationError(f"Keep each tag to {TAG_MAX} characters.")


class EditForm(CheckinForm):
    """The same form for a day already saved; the day comes from the address."""

    date = None
    loaded_for = None


def field_name(symptom):
    """The check-in form's field for a symptom."""
    return f"symptom_{symptom['id']}"


def make_form(form_class, tracked, **kwargs):
    """`form_class` with a 0–10 field for each tracked symptom, after the built-in ones."""
    scales = tuple((field_name(s), s["name"]) for s in tracked)
    return form_class_with(form_class, scales)(**kwargs)


@lru_cache(maxsize=FORM_CLASSES_KEPT)
def form_class_with(form_class, scales):
    """`make_form`'s class with a 0–10 field for each of `scales` ((field name, label)
    pairs): `form_class` itself when there are none, else a subclass made once and kept. A new
    class on every request cost about a third of building the form: WTForms reads a class's
    fields from the class itself on its first use (measured: 75 µs a request)."""
    if not scales:
        return form_class
    fields = {name: ScaleField(label) for name, label in scales}
    return type(form_class.__name__, (form_class,), fields)


def ratings(form, tracked, keep_unanswered=False):
    """{symptom_id: value} of the form's ratings for the `tracked` symptoms; None (a cleared
    rating) removes a stored score, unless `keep_unanswered` (a merge: an empty answer keeps
    the stored one, so it is left out)."""
    out = {}
    for symptom in tracked:
        value = form[field_name(symptom)].data
        if value is None and keep_unanswered:
            continue
        out[symptom["id"]] = value
    return out
