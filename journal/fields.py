"""Form pieces shared by every feature: text clean-up and checks that give a clear message."""

import re
import unicodedata
from datetime import date

from flask import abort, request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import InputRequired, ValidationError

from . import timezones

REFLECTION_MAX = 20_000
EARLIEST_DAY = date(1990, 1, 1)

# Control characters other than tab, newline and carriage return never belong in a journal
# entry; NUL in particular would be cut short by some tools that read the database.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# A UTF-16 surrogate on its own is not a character: JSON's "\ud800" escape can carry one, and
# SQLite (or any UTF-8 encoder) then fails on it.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_JSON_KINDS = {
    type(None): "null",
    bool: "true or false",
    int: "a number",
    float: "a number",
    dict: "an object",
    list: "a list",
}


def text_problem(value):
    """Why a value sent for a form field is not text a person could have typed, or None."""
    if not isinstance(value, str):
        kind = _JSON_KINDS.get(type(value), "not text")
        return f"Send this as text (a JSON string), not {kind}."
    if _LONE_SURROGATE.search(value):
        return "This holds a broken character (a lone UTF-16 surrogate); please retype it."
    return None


def json_formdata(body):
    """A JSON body as form data: (MultiDict of its text values, {name: why} for the others).

    A browser's form only ever sends text, one value or several under one name; a JSON body
    stands for the same thing, so each value must be a string or a list of strings. Anything
    else is left out of the form data and refused at its field by `JournalForm.validate`.
    """
    if not isinstance(body, dict):
        abort(400, description="Send the form as a JSON object of field names and text values.")
    data, refused = MultiDict(), {}
    for name, value in body.items():
        values = value if isinstance(value, list) else [value]
        problems = [p for p in map(text_problem, [name, *values]) if p]
        if problems:
            refused[name] = problems[0]
        else:
            data.setlist(name, values)
    return data, refused


def _json_body():
    """The request's JSON body, or a 400 that says why it cannot be read (nesting too deep
    for the parser would otherwise be a crash)."""
    try:
        return request.get_json()
    except BadRequest:
        abort(400, description="That is not valid JSON.")
    except RecursionError:
        abort(400, description="That JSON is nested too deeply to read.")


class JournalForm(FlaskForm):
    """The base of every form in Afterglow (and, used bare, of a button's CSRF-only form).

    Flask-WTF hands a JSON body's values to the fields as they are; a number, null, list or
    object then crashes filters such as `strip`, and a lone surrogate crashes SQLite. Here a
    JSON body is read as a browser's form would be: text only, anything else refused with a
    message at its field (400 from the view, like any invalid form), nothing stored.
    """

    class Meta:
        def wrap_formdata(self, form, formdata):
            self.json_refused = {}
            # Flask-WTF's own marker for "read the request": anything else was passed in.
            reads_request = formdata is not None and not hasattr(formdata, "getlist")
            if (
                reads_request
                and request
                and request.method in SUBMIT_METHODS
                and not request.files
                and not request.form
                and request.is_json
            ):
                formdata, self.json_refused = json_formdata(_json_body())
            return super().wrap_formdata(form, formdata)

    def validate(self, extra_validators=None):
        """Validate as usual; a JSON value that is not text is an error at its field (or of
        the whole form, for a name that is no field: the body is malformed all the same).

        Text that the `strip` filter left empty counts as not given: InputRequired looks at
        the raw value, and would otherwise let "   " through as an empty name.
        """
        for field in self:
            if field.data == "" and field.raw_data and not str(field.raw_data[0]).strip():
                field.raw_data = []
        valid = super().validate(extra_validators)
        for name, message in self.meta.json_refused.items():
            if name in self._fields:
                self._fields[name].errors = [message]
            else:
                self.form_errors.append(f"{name}: {message}")
        return valid and not self.meta.json_refused


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


# Names and labels other people see (display names, the name on reports, share labels,
# symptom names) must read as what they are. Decisions:
# - Direction controls that reorder what follows them (embeddings, overrides, isolates) can
#   draw "Ann" from other letters or flip a name around: a name holding one is refused,
#   with a message, rather than silently changed under the person's eyes.
# - Invisible characters are removed: every format character (Unicode Cf: zero-width
#   spaces and joiners, direction marks, word joiners, BOM, soft hyphen, tags...), Hangul
#   fillers, the combining grapheme joiner, Khmer's invisible vowels and the blank braille
#   cell. Kept where they draw something: a zero-width joiner inside an emoji sequence
#   (👩‍⚕️) or between letters of a script that joins (Arabic, Indic...), as is a
#   non-joiner there; a variation selector after a character it can vary (❤️, CJK), not
#   after a plain ASCII letter or on its own; tag characters only in a flag (🏴 ... cancel).
# - Runs of white space of any kind become one space; the text is NFC-normalized, so
#   "é" typed two ways is one name.
# - A name with nothing visible left is refused.
_DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ALSO_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")
_ZWJ, _ZWNJ, _VS16, _KEYCAP = "\u200d", "\u200c", "\ufe0f", "\u20e3"
_BLACK_FLAG, _CANCEL_TAG = "\U0001f3f4", "\U000e007f"
_SKIN_TONES = frozenset(map(chr, range(0x1F3FB, 0x1F400)))
DIRECTION_MESSAGE = (
    "This holds hidden characters that change the direction of text (Unicode direction "
    "controls), which can disguise a name. Please type it again without them."
)
INVISIBLE_MESSAGE = "This has only invisible characters. Type a name people can read."


def _variation_selector(char):
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0x180B <= code <= 0x180F


def _emoji(char):
    """A pictograph (or skin tone) that emoji sequences join."""
    return ord(char) > 0x7F and (unicodedata.category(char) == "So" or char in _SKIN_TONES)


def _joining_letter(char):
    """A letter or mark of a script whose shaping a (non-)joiner changes (Hebrew onwards)."""
    return ord(char) >= 0x0590 and unicodedata.category(char)[0] in "LM"


def _varies(char):
    """A character a variation selector may follow: a symbol, punctuation or an uncased
    letter (CJK, Mongolian...) beyond ASCII; never a Latin, Greek or Cyrillic letter."""
    return ord(char) > 0x7F and unicodedata.category(char) in ("So", "Sm", "Sk", "Po", "Pd", "Lo")


def _tag_flag_end(text, start):
    """Where a flag's tag sequence starting after the black flag at `start` ends, or None."""
    end = start + 1
    while end < len(text) and 0xE0020 <= ord(text[end]) <= 0xE007E:
        end += 1
    if end > start + 1 and end < len(text) and text[end] == _CANCEL_TAG:
        return end + 1
    return None


def _shown(char, before, after):
    """Whether `char`, between the kept `before` and the text's `after`, stays in a name."""
    if char in (_ZWJ, _ZWNJ):
        if char == _ZWJ and _emoji(after) and (_emoji(before) or before == _VS16):
            return True
        return _joining_letter(before) and _joining_letter(after)
    if _variation_selector(char):
        keycap = char == _VS16 and before in tuple("0123456789#*") and after == _KEYCAP
        return keycap or _varies(before)
    return not (char in _ALSO_INVISIBLE or unicodedata.category(char) == "Cf")


def name_text(value):
    """WTForms filter for names and labels others see (see above): invisible characters out,
    white space tidied; direction controls, or nothing visible, refused at the field.

    A filter's ValueError is the field's error (WTForms keeps it in `process_errors`), so
    adding this to a field's filters is all it takes. One pass: linear time.
    """
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFC", value)
    if any(char in _DIRECTION_CONTROLS for char in text):
        raise ValueError(DIRECTION_MESSAGE)
    kept = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == _BLACK_FLAG and (end := _tag_flag_end(text, i)):
            kept.append(text[i:end])
            i = end
            continue
        before = kept[-1][-1] if kept else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        if _shown(char, before, after):
            kept.append(char)
        i += 1
    name = " ".join("".join(kept).split())
    if not name and text.strip():
        raise ValueError(INVISIBLE_MESSAGE)
    return name


def shown_name(value):
    """`value` as `name_text` would store it, without refusing anything: for names saved before
    that filter existed, so a stored direction override never reaches another person's page."""
    try:
        return name_text("".join(char for char in value if char not in _DIRECTION_CONTROLS))
    except ValueError:
        return ""


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
        if valuelist and valuelist[0].strip() == "":
            # Blank is no answer: InputRequired (which looks at the raw value) must say so,
            # rather than let a required rating through as None.
            self.raw_data = []
        elif valuelist:
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
