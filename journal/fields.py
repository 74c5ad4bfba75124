"""Form pieces shared by every feature: text clean-up and checks that give a clear message."""

import re

from wtforms.validators import ValidationError

# Control characters other than tab, newline and carriage return never belong in a journal
# entry; NUL in particular would be cut short by some tools that read the database.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip(value):
    """WTForms filter: trim surrounding white space from text, leave other values alone."""
    return value.strip() if isinstance(value, str) else value


def no_control_characters(form, field):
    """Refuse invisible control characters (pasted from elsewhere, or sent by a broken client)."""
    if isinstance(field.data, str) and _CONTROL.search(field.data):
        raise ValidationError("This contains invisible control characters; please remove them.")
