"""The three CSV files: checkins.csv, sessions.csv and assessments.csv.

(Named `tables`, not `csv`, so as not to shadow the standard library's module.)

- CSV files are UTF-8 with a byte order mark. Excel reads a CSV without one in the
  computer's legacy code page, which turns "café", "心" or an emoji into mojibake; with the
  mark it reads UTF-8. LibreOffice, Numbers, pandas (`encoding="utf-8-sig"`) and Afterglow's
  own import all accept it. Rows end in CRLF (RFC 4180, the `csv` module's default); a
  reflection keeps its line breaks inside one quoted cell.
- A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a single
  quote (`'`) in front, so a spreadsheet shows it as text rather than running it as a
  formula (OWASP's advice on CSV injection; journal/spreadsheet.py also quotes a quote the
  person typed there, so the import gives back exactly what was written). Numbers are
  written as numbers and never prefixed. Headers are text cells too (a symptom may be
  called "-energy").
- Yes/no columns (`private`, `self_harm`) read "yes" or "no"; a blank is an unanswered
  question. Dates are the person's local days, YYYY-MM-DD; times are UTC, ISO 8601.
- checkins.csv has one column per symptom the person has ever tracked (retired ones too),
  named by the symptom, between `self_harm` and `updated_at`. A symptom whose name is also a
  built-in column (say "tags") is headed "tags (symptom)".
- sessions.csv lists side effects by their codes (the web contract's values) joined with
  ", ", and each integration prompt in its own column (`prompt_stood_out`, ...).
"""

import csv

from .. import instruments
from ..data.checkins import COLUMNS as CHECKIN_FORM_COLUMNS
from ..session_record import COLUMNS as SESSION_FORM_COLUMNS
from ..session_record import PROMPTS, stored_prompts, stored_side_effects
from ..spreadsheet import READ_KEYS, SYMPTOM_SUFFIX, header_key, quoted
from .reading import assessment_rows, checkin_rows, session_rows, symptom_scores, tracked_symptoms

CHECKIN_COLUMNS = ("date", *CHECKIN_FORM_COLUMNS)
YES_NO = ("private", "self_harm")
# The sessions table's own columns, as they are (reflection and private go at the end).
SESSION_FIELDS = tuple(c for c in SESSION_FORM_COLUMNS if c not in ("reflection", "private"))
SESSION_COLUMNS = (
    "number",
    "date",
    "started_at_utc",
    *SESSION_FIELDS,
    "side_effects",
    "side_effects_other",
    "reflection",
    *(f"prompt_{key}" for key, _ in PROMPTS),
    "private",
    "updated_at",
)
MAX_ITEMS = max(len(i.items) for i in instruments.INSTRUMENTS.values())
ASSESSMENT_COLUMNS = (
    "date",
    "kind",
    "total",
    "band",
    *(f"q{n}" for n in range(1, MAX_ITEMS + 1)),
    "difficulty",
)


# Cells -----------------------------------------------------------------------------------


def number_text(value):
    """A number as CSV text: 7 for 7.0, 7.5 for 7.5, "-3" for -3 (never prefixed)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def cell(value):
    """One CSV cell: "" for None, numbers as they are, text made safe for spreadsheets."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number_text(value)
    return quoted(str(value))


def yes_no(value):
    """A stored 0/1 flag as True/False; None (never answered) stays None."""
    return None if value is None else bool(value)


class Lines:
    """A file for `csv.writer` that keeps nothing: `writerow` returns the line it wrote."""

    def write(self, line):
        return line


def csv_pieces(header, rows):
    """A CSV document (with a byte order mark for Excel) from a header and rows of values,
    as text a line at a time: `rows` may be an iterator, read as the lines are taken."""
    writer = csv.writer(Lines())
    yield "\ufeff" + writer.writerow([cell(name) for name in header])
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


# Tables ----------------------------------------------------------------------------------


def symptom_headers(tracked):
    """A column name per symptom: its name, or "NAME (symptom)" when a built-in column has it
    or the import would read it as one of its columns ("Self Harm", "Mood (evening)", "Notes",
    "Full date": journal/spreadsheet.header_key), so the file reads back in; "NAME 2
    (symptom)" when an earlier symptom's column has that name already."""
    taken = {header_key(name) for name in (*CHECKIN_COLUMNS, "updated_at", *READ_KEYS)}
    headers = []
    used = set()  # each column named so far, as the import reads names: a symptom called
    for s in tracked:  # "Tags (symptom)" and one called "Tags" made two columns of one name
        header = f"{s['name']}{SYMPTOM_SUFFIX}" if header_key(s["name"]) in taken else s["name"]
        count = 2
        while header_key(header) in used:  # "Tags 2 (symptom)": a key of its own each time
            header = f"{s['name']} {count}{SYMPTOM_SUFFIX}"
            count += 1
        used.add(header_key(header))
        headers.append(header)
    return headers


def checkins_table(user_id):
    """(header, rows) of checkins.csv; the rows are read as they are taken."""
    tracked = tracked_symptoms(user_id)
    header = [*CHECKIN_COLUMNS, *symptom_headers(tracked), "updated_at"]

    def rows():
        scores = symptom_scores(user_id)
        for row in checkin_rows(user_id):
            own = scores.get(row["id"], {})
            yield [
                row["day"],
                *(yes_no(row[c]) if c in YES_NO else row[c] for c in CHECKIN_FORM_COLUMNS),
                *(own.get(s["id"]) for s in tracked),
                row["updated_at"],
            ]

    return header, rows()


def sessions_table(user_id):
    """(header, rows) of sessions.csv; the rows are read as they are taken."""

    def rows():
        for row in session_rows(user_id):
            prompts = stored_prompts(row)
            yield [
                row["number"],
                row["day"],
                row["started_at"],
                *(row[name] for name in SESSION_FIELDS),
                ", ".join(stored_side_effects(row)),
                row["side_effects_other"],
                row["reflection"],
                *(prompts.get(key, "") for key, _ in PROMPTS),
                yes_no(row["private"]),
                row["updated_at"],
            ]

    return SESSION_COLUMNS, rows()


def assessments_table(user_id):
    """(header, rows) of assessments.csv; items an instrument lacks are blank."""

    def rows():
        for row in assessment_rows(user_id):
            answers = row["answers"] + [None] * (MAX_ITEMS - len(row["answers"]))
            yield [row["day"], row["kind"], row["total"], row["band"], *answers, row["difficulty"]]

    return ASSESSMENT_COLUMNS, rows()
