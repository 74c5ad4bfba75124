"""How figures and counts are written: one copy for the pages, the PDF report and the JSON.

Pure (standard library only). The pages get these as Jinja filters (`figure`, `signed`,
`plural`, `number_text`) and a global (`difference`), registered in `pages.init_app`.

- Rounding is half up on the number as written, as a calculator does: 6.125 to two places is
  6.13 and 6.25 to one place is 6.3 (Python's `round` and "%.1f" give 6.12 and 6.2, since
  they round the binary value half to even), after float arithmetic's slips in the last
  digits are rounded off at nine places (5.749999999999999 is 5.75). A value that rounds to
  zero is "0.0", never "-0.0".
- A difference shown beside its values is the difference of the values as shown: a mean of
  5.75 against a baseline of 3.14 reads "5.8, baseline 3.1 (+2.7)", never "(+2.6)".
- A change carries its sign: "+2.7", "−0.5" (a true minus sign), and "0.0" for no change.
"""

from decimal import ROUND_HALF_UP, Decimal

DASH = "\u2014"
MINUS = "\u2212"


def _decimal(value, places):
    """`value` rounded half up to `places` decimals, as a Decimal without a negative zero."""
    # repr gives the shortest text that reads back as the same float: the number as written,
    # once float arithmetic's last-digit slips are rounded off at nine places (a mean of 5.75
    # rebuilt as a change plus its baseline comes back as 5.749999999999999, which rounded
    # half up reads 5.7). Entries have a digit or two; nine places lose nothing of them.
    exact = Decimal(repr(round(float(value), 9)))
    result = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(result) if result == 0 else result


def number_text(value):
    """A number to its last digit, never in exponent form, without a trailing ".0": the
    shortest text that reads back as the same number. ("{:g}" kept six significant digits,
    so saving an edit form unchanged rounded a weight of 69.85322 kg to 69.8532, and wrote
    0.00001 as "1e-05".)"""
    return format(Decimal(repr(value)), "f").removesuffix(".0")


def rounded(value, places=2):
    """A float rounded half up to `places` decimals (JSON's figures); other values unchanged."""
    if not isinstance(value, float):
        return value
    return float(_decimal(value, places))


def figure(value, places=1):
    """A number as text with `places` decimals, rounded half up; DASH for None."""
    if value is None:
        return DASH
    return f"{_decimal(value, places):f}"


def megabytes(size):
    """A size limit in bytes as people read it: "2 MB", "0.5 MB" (one decimal at most, not
    the 0.488281 of an odd limit)."""
    return f"{rounded(size / (1024 * 1024), 1):g} MB"


def _signed_text(amount):
    text = f"{abs(amount):f}"
    if amount == 0:
        return text
    return ("+" if amount > 0 else MINUS) + text


def signed(value, places=1):
    """A change as "+1.5", "−0.5" or "0.0", rounded half up; DASH for None."""
    if value is None:
        return DASH
    return _signed_text(_decimal(value, places))


def difference(value, reference, places=1):
    """The signed difference of `value` and `reference` as they are shown (each rounded).

    DASH when either is None.
    """
    if value is None or reference is None:
        return DASH
    return _signed_text(_decimal(value, places) - _decimal(reference, places))


def rounded_difference(value, reference, places=2):
    """As `difference`, as a float for JSON; None when either is None."""
    if value is None or reference is None:
        return None
    return float(_decimal(value, places) - _decimal(reference, places))


def plural(count, word, many=None):
    """ "1 session", "2 sessions", "0 sessions"; `many` for an irregular plural ("entries")."""
    return f"{count} {word if count == 1 else many or word + 's'}"
