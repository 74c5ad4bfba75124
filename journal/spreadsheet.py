"""What a spreadsheet reads as a formula (the exports quote such text, the import unquotes it),
and how the import reads a column's name (`header_key`).

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


# The names of the columns the import reads (journal/imports.py), as `header_key` gives them.
DATE_HEADERS = ("date", "day")
MOOD_HEADERS = ("mood",)
# "reflection" first: Afterglow's own checkins.csv has it, and may also have a symptom
# column that someone named "Notes".
NOTE_HEADERS = ("reflection", "note", "notes")
# The check-in's other answers, each read from the column of its name when a file has one
# (Afterglow's own checkins.csv does); the first two are 0–10 scales.
ANSWERS = ("anxiety", "energy", "sleep_hours", "self_harm")
TAGS_HEADERS = ("tags",)
DAYLIO_DATE = "full_date"
# The columns read in Daylio's export only, by what each holds.
DAYLIO_HEADERS = {"title": "note_title", "note": "note", "tags": "activities", "time": "time"}
READ_KEYS = (*DATE_HEADERS, *MOOD_HEADERS, *NOTE_HEADERS, *TAGS_HEADERS, *ANSWERS, "private",
             DAYLIO_DATE, *DAYLIO_HEADERS.values())  # fmt: skip

# The heading of a symptom column in checkins.csv whose name would be read as another column
# ("Tags (symptom)"); the import reads such a column as none of its own.
SYMPTOM_SUFFIX = " (symptom)"


def header_key(name):
    """A header as a key: "  Mood (0-10) " -> "mood", "Full Date" -> "full_date".

    A name that ends in SYMPTOM_SUFFIX keeps it ("Tags (symptom)" -> "tags_(symptom)"), so
    a symptom's column in Afterglow's own checkins.csv is never taken for the column it is
    named after, nor for a second column of that name.

    Plain string operations and one pattern that never backtracks: linear in any name.
    """
    name = name.casefold()
    if name.rstrip().endswith(SYMPTOM_SUFFIX.casefold()):
        return re.sub(r"[\s-]+", "_", name.strip())
    cut = min((at for at in (name.find("("), name.find("[")) if at >= 0), default=len(name))
    return re.sub(r"[\s-]+", "_", name[:cut].strip())
