"""A clinic's phone number: how it is read from a form, checked, and dialled.

Pure core: no Flask. The settings form checks it (`phone_problem`); every page that offers
the clinic's number makes its Call link with the `tel` filter (journal/pages.py registers it).
"""

import re

from .numbers import plural

# The clinic's phone number, as a person types it: (312) 555-0142, +44 (0)20 7946 0958,
# 0800 111 222, 312.555.0142, 030/1234567, 555-0142 ext. 12. It is kept as typed and
# shown as typed; the Call link dials only its + and digits. Decisions:
# - 3 to 15 digits: 15 is E.164's most, with the country code; 3 lets a short local
#   number through. With a leading + (a country code) at least 7.
# - After a +, a "(0)" is the national trunk prefix written for callers at home: it is
#   not dialled.
# - An extension ("ext. 12", "x12", "#12", after a comma or not) is kept in the text and
#   shown, but not dialled: the Call link reaches the switchboard.
# - Other kinds of spaces and dashes (no-break spaces, en dashes, a minus sign), as phones
#   and web pages write them, are read as plain ones.
PHONE_MAX = 40
PHONE_DIGITS = (3, 15)
PHONE_INTERNATIONAL_DIGITS = 7
PHONE_HELP = (
    "Use the digits 0\u20139 with spaces, dashes, dots, slashes or brackets, and + for a "
    "country code, like (312) 555-0142 or +44 20 7946 0958."
)
_PHONE_LOOKALIKES = str.maketrans(
    dict.fromkeys("\t\u00a0\u2007\u202f\u3000", " ")
    | dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-")
)
# No part can match what the next one does, so there is no backtracking: linear time.
_PHONE = re.compile(
    r"(?P<number>\+?[0-9 ().\-/]+)"
    r"(?:(?:, *)?(?:ext(?:ension)?\.?|x|#) *(?P<extension>[0-9]{1,6}))?",
    re.ASCII | re.IGNORECASE,
)
_TRUNK_ZERO = re.compile(r"\( *0 *\)")


def phone_text(value):
    """WTForms filter: a phone number trimmed, with look-alike spaces and dashes made plain."""
    return value.translate(_PHONE_LOOKALIKES).strip() if isinstance(value, str) else value


def _phone_number_part(text):
    """The part of a phone number that is dialled (no extension), or None if it isn't one."""
    match = _PHONE.fullmatch(text)
    return match["number"] if match else None


def dial(text):
    """The + and digits a phone dials for `text` (a stored clinic number), for a tel: link."""
    number = _phone_number_part(text) or text
    international = number.startswith("+")
    if international:
        number = _TRUNK_ZERO.sub("", number)
    return ("+" if international else "") + "".join(c for c in number if c in "0123456789")


def tel(text):
    """Jinja filter: a phone number as a tel: address that holds only + and digits."""
    return "tel:" + dial(text)


def _brackets_pair_up(number):
    """True when each ( is closed by a ) before the next (, with a digit between them."""
    inside = holds_digit = False
    for char in number:
        if char == "(":
            if inside:
                return False
            inside, holds_digit = True, False
        elif char == ")":
            if not (inside and holds_digit):
                return False
            inside = False
        elif char in "0123456789":
            holds_digit = True
    return not inside


def phone_problem(text):
    """What is wrong with `text` as a phone number, or None when it will do."""
    if len(text) > PHONE_MAX:
        return f"Keep it to {PHONE_MAX} characters."
    number = _phone_number_part(text)
    if number is None:
        if any(c.isdigit() and c not in "0123456789" for c in text):
            return "Type the digits as 0\u20139. " + PHONE_HELP
        return PHONE_HELP
    if not _brackets_pair_up(number):
        return "Brackets go in pairs around digits, like (312) 555-0142."
    digits = sum(c in "0123456789" for c in dial(text))
    low = PHONE_INTERNATIONAL_DIGITS if number.startswith("+") else PHONE_DIGITS[0]
    if digits < low:
        what = " with a country code" if number.startswith("+") else ""
        return f"That has {plural(digits, 'digit')}; a phone number{what} has at least {low}."
    if digits > PHONE_DIGITS[1]:
        return (
            f"That has {digits} digits; a phone number has at most {PHONE_DIGITS[1]}. "
            "Put an extension after \u201cext.\u201d, like 555-0142 ext. 12."
        )
    return None
