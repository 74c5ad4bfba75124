"""What a spreadsheet reads as a formula: the exports quote such text, the import unquotes it.

`quoted` and `unquoted` are each other's inverse on any text: a cell that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return, after any number of single quotes, gets one quote
more in front; the import takes one off such a cell. So "+1" is written "'+1", and "'+1"
(typed by the person) is written "''+1", and both read back as they were typed.
"""

import re

# Characters that make a spreadsheet read a cell as a formula (or strip them to reach one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTES_BEFORE_A_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def quoted(text):
    """`text` as a cell a spreadsheet shows as the text it is."""
    return "'" + text if _QUOTES_BEFORE_A_FORMULA.match(text) else text


def unquoted(text):
    """A cell of Afterglow's exports (or a spreadsheet's, quoted the same way) as it was typed."""
    return text[1:] if text.startswith("'") and _QUOTES_BEFORE_A_FORMULA.match(text, 1) else text
