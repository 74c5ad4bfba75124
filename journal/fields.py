"""Form pieces shared by every feature: text clean-up and checks that give a clear message."""

import hashlib
import json
import re
import secrets
import unicodedata
from collections import Counter
from datetime import date
from functools import lru_cache
from urllib.parse import parse_qsl

from flask import Request, abort, g, request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.formparser import FormDataParser
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import Select, html_params

from . import timezones
from .numbers import number_text

REFLECTION_MAX = 20_000
EARLIEST_DAY = date(1990, 1, 1)

# Control characters other than tab, newline and carriage return never belong in a journal
# entry; NUL in particular would be cut short by some tools that read the database. The C1
# controls (U+0080-U+009F) too: nobody types them; they come from text read in the wrong
# encoding (UTF-8's "’" read as Latin-1 is "â" and two of them) or from terminal escapes, and
# the therapist's PDF printed them as boxes; kept in a name others see, U+009B starts an
# escape sequence in a terminal that shows an export.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

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
        # In this order: true is an int too, and an object comes as a JsonObject (a dict).
        kind = next((kind for t, kind in _JSON_KINDS.items() if isinstance(value, t)), "not text")
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
    repeated = getattr(body, "repeated", ())
    for name, value in body.items():
        values = value if isinstance(value, list) else [value]
        problems = [p for p in map(text_problem, [name, *values]) if p]
        if not problems and name in repeated:
            problems = [ONE_VALUE]
        if problems:
            # The name is shown back in the message: a lone surrogate in it cannot be encoded.
            refused[_LONE_SURROGATE.sub("\ufffd", name)] = problems[0]
        else:
            data.setlist(name, values)
    return data, refused


ONE_VALUE = "Send one text value here, not a list."


def one_value_each(form, formdata):
    """{name: why} for the names of a body (JSON, or a form's) given several values where
    `form` takes one (every field but a checklist's, and names that are no field): a
    browser's form sends one, and all but the first would be dropped unsaid. They leave
    `formdata` too (a mutable MultiDict)."""
    refused = {}
    for name in list(formdata):
        checklist = name in form and isinstance(form[name], SelectMultipleField)
        if len(formdata.getlist(name)) > 1 and not checklist:
            refused[name] = ONE_VALUE
            del formdata[name]
    return refused


def wants_json():
    """True when the client asked for a JSON answer rather than a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


class JsonObject(dict):
    """A JSON object, with the `repeated` names it gives more than once: JSON's parser keeps
    the last of them unsaid, where a form's body sending a name twice is refused."""

    def __init__(self, pairs):
        super().__init__(pairs)
        counts = Counter(name for name, _ in pairs)
        self.repeated = frozenset(name for name, count in counts.items() if count > 1)


def json_body():
    """The request's JSON body (each object a `JsonObject`), read once a request, or a 400
    that says why it cannot be read (nesting too deep for the parser would otherwise be a
    crash). Read as Flask's get_json reads it (bytes, their encoding detected), with the
    names an object repeats kept in the same pass."""
    if "json_body" not in g:
        try:
            g.json_body = json.loads(request.get_data(cache=True), object_pairs_hook=JsonObject)
        except ValueError:  # not JSON, or not text in any encoding JSON may come in
            abort(400, description="That is not valid JSON.")
        except RecursionError:
            abort(400, description="That JSON is nested too deeply to read.")
    return g.json_body


NOT_UTF8 = "This holds bytes that are not UTF-8 text, so it cannot be read; please retype it."


class TextFormParser(FormDataParser):
    """Werkzeug's form parser, but a field whose bytes are not UTF-8 is marked, not disguised.

    Werkzeug turns undecodable bytes into something that looks like text: "%FF" in a
    urlencoded body stays the three characters "%FF", and in a multipart body becomes "\ufffd";
    either was then stored as the person's words. Here the form data records the names of
    those fields (`undecodable`), still holding their text with "\ufffd" for the bad bytes so
    the rest is kept on the page, and `JournalForm` refuses each at its field.
    """

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        # Latin-1 maps each byte to one character and back, so every value's bytes, escaped
        # or sent raw, come back exactly and are decoded strictly below.
        pairs = parse_qsl(stream.read().decode("latin-1"), True, encoding="latin-1")
        items, undecodable = [], set()
        for name, value in pairs:
            (name, name_ok), (value, value_ok) = _utf8(name), _utf8(value)
            if not (name_ok and value_ok):
                undecodable.add(name)
            items.append((name, value))
        return stream, _marked(self.cls(items), undecodable), self.cls()

    def _parse_multipart(self, stream, mimetype, content_length, options):
        # Werkzeug has already decoded each field, a bad byte as "\ufffd": a field holding
        # one is taken as undecodable (a "\ufffd" typed on purpose is itself damaged text).
        stream, form, files = super()._parse_multipart(stream, mimetype, content_length, options)
        undecodable = {n for n, v in form.items(multi=True) if "\ufffd" in n + v}
        return stream, _marked(form, undecodable), files


def _utf8(latin1):
    """(text, True) for bytes (as Latin-1 text) that are UTF-8; else ("\ufffd" for each bad
    byte, False)."""
    raw = latin1.encode("latin-1")
    try:
        return raw.decode(), True
    except UnicodeDecodeError:
        return raw.decode(errors="replace"), False


def _marked(form, undecodable):
    form.undecodable = frozenset(undecodable)
    return form


class JournalRequest(Request):
    """Flask's request with `TextFormParser` reading form bodies (the app's `request_class`)."""

    form_data_parser_class = TextFormParser


class JournalForm(FlaskForm):
    """The base of every form in Afterglow (and, used bare, of a button's CSRF-only form).

    Flask-WTF hands a JSON body's values to the fields as they are; a number, null, list or
    object then crashes filters such as `strip`, and a lone surrogate crashes SQLite. Here a
    JSON body is read as a browser's form would be: text only, anything else refused with a
    message at its field (400 from the view, like any invalid form), nothing stored.
    """

    # The saved words that typed ones replace on a form shown again (see `put_back`).
    replaced = {}  # noqa: RUF012 (never changed in place: put_back gives a form its own)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The token's input has no id: a page of several forms (settings, share links) had
        # one "csrf_token" id per form, and an id must be the page's only one. Nothing
        # points at it.
        if "csrf_token" in self._fields:
            self.csrf_token.render_kw = {"id": False}

    class Meta:
        # What the form read from the request (a JSON body's text values, or the form body),
        # for the fields a view reads beside it (checkins.replay_fields); None until then.
        sent = None

        def wrap_formdata(self, form, formdata):
            self.refused = {}
            # Flask-WTF's own marker for "read the request": anything else was passed in.
            reads_request = formdata is not None and not hasattr(formdata, "getlist")
            if reads_request and request and request.method in SUBMIT_METHODS:
                # A JSON body has no form fields or files (werkzeug parses only form bodies).
                if request.is_json:
                    formdata, self.refused = json_formdata(json_body())
                    self.refused.update(one_value_each(form, formdata))
                else:
                    undecodable = getattr(request.form, "undecodable", ())
                    self.refused = dict.fromkeys(sorted(undecodable), NOT_UTF8)
                    # A name sent twice (by hand: a browser's form sends one) is refused as in
                    # a JSON body, not cut to its first value unsaid: a file's too (the upload
                    # read the first file and dropped the others).
                    for sent in (request.form, request.files):
                        if any(len(values) > 1 for _, values in sent.lists()):
                            self.refused.update(one_value_each(form, sent.copy()))
            self.sent = super().wrap_formdata(form, formdata)
            return self.sent

    def validate(self, extra_validators=None):
        """Validate as usual; a JSON value that is not text, or a value whose bytes are not
        UTF-8, is an error at its field (or of the whole form, for a name that is no field:
        the body is malformed all the same).

        Text that the `strip` filter left empty counts as not given: InputRequired looks at
        the raw value, and would otherwise let "   " through as an empty name.
        """
        for field in self:
            if field.data == "" and field.raw_data and not str(field.raw_data[0]).strip():
                field.raw_data = []
        valid = super().validate(extra_validators)
        for name, message in self.meta.refused.items():
            if name in self._fields:
                self._fields[name].errors = [message]
            else:
                self.form_errors.append(f"{name}: {message}")
        return valid and not self.meta.refused


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
# Every name and label others see (a display name, a report name, a share link's label) is at
# most NAME_MAX characters: text ten times longer than that is not cleaned character by
# character (its field refuses it for its length, in no time).
NAME_MAX = 80
NAME_LENGTH_MESSAGE = f"Keep it to {NAME_MAX} characters."
NAME_SCAN_MAX = 10 * NAME_MAX


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


# Marks stacked on one letter: a language's own stack up to about four (Hebrew's points and
# cantillation, Tibetan's subjoined letters); pasted "glitch text" hundreds, which a browser
# draws far above and below the line, over the words around a name or tag (the caseload's
# heading under a patient's name). A name, a line or a tag may stack MARKS_MAX on a letter.
MARKS_MAX = 8
STACKED_MARKS_MESSAGE = (
    f"A letter here carries more than {MARKS_MAX} accents or marks, which draw over the text "
    "around it. Please type it without them."
)


def has_stacked_marks(text):
    """True when a letter of `text` carries more than MARKS_MAX combining marks in a row.

    A character drawn as nothing between two marks (a zero-width space or joiner, the
    combining grapheme joiner, a variation selector: format characters and marks that stack
    nothing) neither counts nor ends the run: a browser stacks the marks after it on the same
    letter, and a name loses it (`shown_text`), so "Z", eight accents and a zero-width space,
    eight times over, was one column of 64."""
    run = 0
    for char in text or "":
        if unicodedata.combining(char) or unicodedata.category(char) == "Me":
            run += 1
            if run > MARKS_MAX:
                return True
        elif unicodedata.category(char) not in ("Cf", "Mn"):
            run = 0
    return False


def has_direction_controls(text):
    """True when `text` holds a Unicode direction control (an embedding, override or
    isolate), which turns the text shown after it around."""
    return any(char in _DIRECTION_CONTROLS for char in text or "")


def name_text(value):
    """WTForms filter for names and labels others see (see above): invisible characters out,
    white space tidied; direction controls, or nothing visible, refused at the field.

    A filter's ValueError is the field's error (WTForms keeps it in `process_errors`), so
    adding this to a field's filters is all it takes. One pass: linear time.
    """
    return shown_text(value, INVISIBLE_MESSAGE, DIRECTION_MESSAGE)


LINE_INVISIBLE_MESSAGE = "This has only invisible characters. Type words people can read."
LINE_DIRECTION_MESSAGE = (
    "This holds hidden characters that change the direction of text (Unicode direction "
    "controls). Please type it again without them."
)


def line_text(value):
    """`name_text` for a line of words others read that is not a name (a session's "something
    else" side effect): the same cleaning and refusals, in words about a line."""
    return shown_text(value, LINE_INVISIBLE_MESSAGE, LINE_DIRECTION_MESSAGE)


def shown_text(value, invisible_message, direction_message):
    """`name_text` and `line_text`: `value` cleaned, or a ValueError with one of the
    messages."""
    if not isinstance(value, str) or len(value) > NAME_SCAN_MAX:
        return value  # far too long for any name: its field's length check refuses it as is
    text = unicodedata.normalize("NFC", value)
    if has_direction_controls(text):
        raise ValueError(direction_message)
    if has_stacked_marks(text):
        raise ValueError(STACKED_MARKS_MESSAGE)
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
    # Composed again once the invisible characters are out: one between a letter and its
    # accent ("U", a zero-width space, U+0308) kept the two apart through the first pass, and
    # "Übelkeit" so typed was stored decomposed, a second symptom that looks the same.
    name = unicodedata.normalize("NFC", " ".join("".join(kept).split()))
    if not name and text.strip():
        raise ValueError(invisible_message)
    return name


def shown_name(value):
    """`value` as `name_text` would store it, without refusing anything: for names saved before
    that filter existed, so a stored direction override never reaches another person's page."""
    try:
        return name_text("".join(char for char in value if char not in _DIRECTION_CONTROLS))
    except ValueError:
        return ""


# A name inside an English sentence (on a page, in a flash, a notice, a Recent activity line)
# is isolated when it holds right-to-left letters (Hebrew, Arabic...) or Arabic digits: set
# between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, it keeps its own direction and the
# sentence its order ("שרה 2 unlinked on 3 Dec" showed the 2 on the wrong side of the name,
# and an Arabic name carried a date after it along). One rule for pages and plain-text
# messages alike (the `isolated` filter in templates); a left-to-right name stays as it is.
_RIGHT_TO_LEFT = frozenset({"R", "AL", "AN"})


def isolated(name):
    """`name` (a person's name, or the email address that names them) ready for a sentence:
    wrapped in U+2068 ... U+2069 when it holds right-to-left text, else unchanged."""
    if not isinstance(name, str) or name.isascii():
        return name
    if any(unicodedata.bidirectional(char) in _RIGHT_TO_LEFT for char in name):
        return f"\u2068{name}\u2069"
    return name


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


class NumberTextField(Field):
    """A number typed as text: shown back as typed (a refused "7,5x" stays for the person to
    fix), or as the stored number, to its last digit, without a trailing ".0"."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else number_text(self.data)


class WholeNumberField(IntegerField):
    """A whole number in ASCII digits (at most three); "7.5", "1_0", "７" or "٧", which
    Python's int() would take, are refused with `message`, and the text typed is shown back."""

    def __init__(self, label=None, validators=None, message="Enter a whole number.", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if text:
            if not re.fullmatch(r"[0-9]{1,3}", text):
                raise ValueError(self.message)
            self.data = int(text)


# Yes and no as a form or a file may say them: a browser sends a checkbox's "y" or nothing; a
# JSON body (the web contract's forms take one) or an imported file's cell may say "yes",
# "no", "true", "0" ... (read after strip and casefold).
TICKED = ("y", "yes", "on", "true", "1")
UNTICKED = ("", "n", "no", "off", "false", "0")


class CheckboxField(BooleanField):
    """A checkbox whose sent value is read as yes or no, never guessed: WTForms' BooleanField
    reads any value but "" and "false" as ticked, so a JSON body's "self_harm": "no" was
    saved as thoughts of self-harm. Any other value is refused at the field."""

    def process_formdata(self, valuelist):
        value = valuelist[0].strip().casefold() if valuelist else ""
        self.data = value in TICKED
        if value not in (*TICKED, *UNTICKED):
            raise ValueError("Send \u201cyes\u201d to tick this box, or \u201cno\u201d.")


@lru_cache(maxsize=64)
def scale_choices(low, high, labels=None):
    """The choices of a `low`–`high` scale, labelled with `labels` (or the numbers), made once:
    a form binds a new field for every scale on every request, and making its eleven choices
    afresh took about 5 µs a scale (the check-in form, with three, 165 → 150 µs to build).
    WTForms copies the tuple into a list of its own and never changes a choice."""
    labels = labels or [str(i) for i in range(low, high + 1)]
    return tuple(
        SelectChoice(i, text) for i, text in zip(range(low, high + 1), labels, strict=True)
    )


class ScaleField(RadioField):
    """A 0–10 rating chosen with one tap; a clear message for anything that is not one."""

    def __init__(self, label, low=0, high=10, labels=None, **kwargs):
        self.low, self.high = low, high
        choices = scale_choices(low, high, tuple(labels) if labels else None)
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


def email_field(
    label="Email",
    missing="Enter your email address.",
    invalid="Enter an email address like name@example.com.",
    autocomplete="email",
    **kwargs,
):
    """An email address to be checked (registration, invitations, a reset by mail): trimmed,
    at most 254 characters, no control characters, a valid address. `missing` is the
    message for an empty field, or None where it may stay empty."""
    return EmailField(
        label,
        filters=[strip],
        validators=[
            InputRequired(missing) if missing else Optional(),
            Length(max=254, message="Email addresses are at most 254 characters."),
            no_control_characters,
            Email(invalid),
        ],
        render_kw={"autocomplete": autocomplete},
        **kwargs,
    )


def day_field(missing, label="Date"):
    """A required local date, typed into the browser's date picker; `missing` says it lacks.

    Checked by the form with `check_local_day`, against the person's own today.
    """
    return StringField(
        label, filters=[strip], validators=[InputRequired(missing)], render_kw={"type": "date"}
    )


# Why a text is not a local day a person may write (`local_day`); each caller says it in its
# own words (a form at the field, an import by line).
NOT_A_DAY, DAY_TO_COME, DAY_TOO_FAR_BACK = "not a day", "to come", "too far back"


def local_day(text, today):
    """(day, None) for a YYYY-MM-DD in `text` that a person may write, or (None, why not:
    NOT_A_DAY, DAY_TO_COME or DAY_TOO_FAR_BACK).

    The one rule for a day a person writes (a form's date, an imported row's). `today` is the
    person's own today (None: no later bound); dates before EARLIEST_DAY are refused as a
    typo'd year rather than stored.
    """
    day = timezones.parse_day(text)
    if day is None:
        return None, NOT_A_DAY
    if today and day > today:
        return None, DAY_TO_COME
    if day < EARLIEST_DAY:
        return None, DAY_TOO_FAR_BACK
    return day, None


def check_local_day(text, today, future="That date is still to come; choose today or a past day."):
    """The YYYY-MM-DD in `text` as a date, or a ValidationError saying what is wrong
    (`local_day`); a date after `today` gets the `future` message."""
    day, problem = local_day(text, today)
    if problem is not None:
        raise ValidationError(
            {
                NOT_A_DAY: "Enter a date as YYYY-MM-DD, like 2026-03-14.",
                DAY_TO_COME: future,
                DAY_TOO_FAR_BACK: "That date is too far back; check the year.",
            }[problem]
        )
    return day


# A form filled with a stored record's answers (a check-in's day, a session) carries a
# fingerprint of each answer it was shown with, `loaded_version`. When the record was saved or
# deleted elsewhere (another tab, another device) after the form was opened, sending the form
# saves nothing: the person sees the record as it is now, with the answers they gave on top
# (`given_answers`) and a note. Fingerprints, not the answers, so no words wait in the page.

# Fields that pick or guard a record rather than answer anything: never "given".
NOT_ANSWERS = frozenset(
    {"csrf_token", "date", "loaded_for", "loaded_version", "rated", "request_key"}
)
REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def digest(value):
    """A short fingerprint of one answer, the same for a stored value and a sent one."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return hashlib.sha256(repr(value).encode()).hexdigest()[:10]


def answers_version(answers):
    """The fingerprints of a record's answers (its form data, or an empty form's defaults), as
    the form carries them: "name:fingerprint" pairs. A form's `loaded_version`."""
    return " ".join(f"{name}:{digest(value)}" for name, value in sorted(answers.items()))


def version_digests(version):
    """`answers_version`'s text back as {name: fingerprint}; {} when it is not one."""
    pairs = [pair.partition(":") for pair in (version or "").split()]
    return {name: value for name, sep, value in pairs if sep}


def holds(form, digests):
    """True when the sent `form` holds every answer of a record's fingerprints `digests` as
    it is: saving it over that record loses nothing (the same form sent twice, say). An answer
    the form has no field for (a symptom no longer rated, whose old scores stay) is one a save
    leaves as it is, so it cannot be lost."""
    return all(digest(form[name].data) == value for name, value in digests.items() if name in form)


def given_answers(form, loaded, cleared=False):
    """The names of the answers in a sent `form` that the person gave rather than carried.

    `loaded` holds the fingerprints (`version_digests`) of what the form was shown with (a
    record's form data, or an empty form's defaults). An answer that differs from it and is
    not empty was given; one that could not be read counts as given too, so that it comes back
    to be corrected. An empty answer is not: the record's own shows instead; unless `cleared`
    says `loaded` is what the person saw in the form, when an answer it held and the form
    sends empty was cleared by the person (every side effect unticked, a reading or a text
    erased) and is given. (A check-in form from a client without a readable fingerprint is
    compared with the day as it is now, where an answer left out was never cleared.)
    """
    given = []
    for field in form:
        if field.name in NOT_ANSWERS:
            continue
        empty = field.data is None or field.data == "" or field.data is False or field.data == []
        shown = loaded.get(field.name)
        changed = digest(field.data) != shown
        erased = cleared and empty and shown is not None and changed
        if field.process_errors or erased or (not empty and changed):
            given.append(field.name)
    return given


class DeleteForm(JournalForm):
    """A delete page's button, with the fingerprint of the record as the page showed it
    (`loaded_version`): a record saved elsewhere (another tab, another device) after the page
    was opened is not deleted unseen (see `changed_since_shown`)."""

    loaded_version = HiddenField()


def changed_since_shown(sent, version):
    """True when a form shown with the fingerprint `sent` (its `loaded_version`) is sent for a
    record whose answers are now `version` (`answers_version`) and they differ. A form without
    a readable one (another client's) is not checked."""
    shown = version_digests(sent)
    return bool(shown) and shown != version_digests(version)


def with_version(data):
    """A stored record's form `data` with the fingerprint of those answers (`loaded_version`),
    as an edit form is filled."""
    return {**data, "loaded_version": answers_version(data)}


def put_back(form, given, sent):
    """Put the `given` answers of the `sent` form data on top of `form` (the record as it is
    stored now), so nothing the person typed is lost.

    Nor anything it had saved: the saved words a typed text answer would replace are kept in
    `form.replaced` ({name: (label, saved text)}), which the page shows beside the form
    (templates/_replaced.html). Otherwise another day's or another tab's saved reflection was
    hidden under the typed one, and gone once the person saved as the note asked."""
    form.replaced = {}
    for name in given:
        field = form[name]
        saved = field.data
        field.process(sent)
        words = isinstance(field, StringField) and isinstance(saved, str) and saved.strip()
        if words and saved != field.data:
            form.replaced[name] = (field.label.text, saved)
    return form


def request_key_field():
    """A random key, new for every form shown, that makes sending the same form twice (a
    double tap, a reload) do its work once. Anything but a key is no key."""
    return HiddenField(
        default=lambda: secrets.token_urlsafe(16),
        filters=[lambda value: value if value and REQUEST_KEY.fullmatch(value) else None],
    )


class ZoneSelect(Select):
    """The time zone select, its options written once.

    WTForms' own Select builds each of the ~600 zones' options afresh on every page (a choice
    object, its attributes, its escaping): most of the sign-up and settings pages' time. The
    list is the same on every page but for the chosen zone, so its markup is kept and a page
    writes only the <select> tag and that one option. The markup is WTForms' own, to the byte
    (tests/test_auth.py compares the two)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        if field.raw_data is not None:
            # A form sent back (a 400): the zone shown is the one the person chose, which the
            # browser's own must not replace (timezone_field's `detect`).
            kwargs.pop("data-detect", None)
        for flag in self.validation_attrs:
            if flag not in kwargs and getattr(field.flags, flag, False):
                kwargs[flag] = getattr(field.flags, flag)
        # The chosen zone's option, if it is one of them: a value that is none (empty, unknown,
        # hostile) matches no option, and no option is chosen, as in WTForms.
        value = escape(field.data or "")
        options = _options(tuple(field.choices)).replace(
            f'<option value="{value}">', f'<option selected value="{value}">', 1
        )
        # Escaped throughout: html_params escapes the attributes, `_options` the zone names.
        select = f"<select {html_params(name=field.name, **kwargs)}>{options}</select>"
        return Markup(select)  # noqa: S704


@lru_cache(maxsize=4)
def _options(names):
    """The <option>s of `names`, none of them chosen."""
    return "".join(f'<option value="{escape(name)}">{escape(name)}</option>' for name in names)


def timezone_field(detect=False):
    """The time zone select; with `detect`, static/app.js picks the browser's own zone. Its
    choices are read when a form first needs them, not when this module is imported."""
    return SelectField(
        "Time zone",
        choices=timezones.choices,
        default="UTC",
        validate_choice=False,
        description="Your days start at midnight here.",
        render_kw={"data-detect": ""} if detect else None,
        widget=ZoneSelect(),
    )


def validate_timezone(form, field):
    """Inline validator: the zone must be one we offer."""
    if not timezones.is_valid(field.data or ""):
        raise ValidationError("Choose a time zone from the list.")
