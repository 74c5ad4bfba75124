"""Import check-ins from another mood tracker: a CSV of dates and moods, Daylio's included.

Two steps, so nothing is saved unseen. `POST /import` reads the file; if any row is wrong,
nothing is kept and the form comes back (400) with every problem by line number. A clean
file is parked in `pending_imports` and `GET /import/<id>` shows it: how many rows, the
mood-word mapping, the first rows and the days already in the journal. "Import" saves all
of it in one transaction; "Cancel" drops it.

Decisions where DESIGN.md and issue 4 are silent:

- Formats. Daylio's export is recognised by its `full_date` column (ISO dates); its
  `mood`, `activities`, `note_title` and `note` are read and the rest (date, weekday,
  time, ...) ignored. Any other CSV needs a header row with a `date` (or `day`) column
  and a `mood` column, and may have a `note` (or `notes`, or `reflection`) column and a
  `tags` column (comma-separated), so Afterglow's own checkins.csv reads back in. Header
  names are read without regard to case, surrounding spaces or a bracketed suffix, so
  "Mood (0-10)" is `mood`. Other columns are ignored; a column that is read may not be
  named twice (which one is meant can't be known). The separator is whichever of
  comma, semicolon or tab the header line uses most (spreadsheets in some countries save
  CSV with semicolons), or the one a first line such as "sep=;" names (a hint some apps
  write for Excel; the header follows it). The file must be UTF-8 (a byte order mark is
  fine). A note or tag that starts with quotes before =, +, -, @ loses one of them (the
  way Afterglow's exports keep a spreadsheet from running text as a formula:
  journal/spreadsheet.py).
- Moods are whole numbers 0–10 or a mood word. Daylio's five default moods are spread
  evenly over 0–10, each at the middle of its fifth: rad 9, good 7, meh 5, bad 3, awful 1.
  The preview shows this mapping. Renamed or translated Daylio moods are not guessed: the
  line is reported, and the person can change the word to a number. An imported "awful"
  day has a mood of 1, so it counts as a very low day (0–2) in therapist reports, like any
  other; no crisis panel is shown for past days brought in from another app.
- Dates are YYYY-MM-DD, from 1990 to today in the person's time zone. One check-in a day.
  Daylio keeps an entry each time someone logs, often several a day: such entries become
  one check-in for their day (`merge_days`), with the mean of their moods rounded to a
  whole number (halves up), their notes joined in time order (each after its time), and
  their activities together; the preview says how many days were merged and shows each
  merged mood as an average. In any other CSV two rows for one date are a problem (both
  lines are named): one row per day is what such a file means, so a repeat is a mistake.
- Days already in the journal are skipped, never overwritten: what was written here wins.
  The preview lists them, and confirming counts only the new days. For the same reason an
  imported check-in counts as written at its day's first moment anywhere (`written_before`),
  before anything written here: one from the phone's queue for that day, sent after the
  import, is added to it as to any older entry. Counted as written at the import, it was
  newer than the queued one and kept it out ("kept-newer").
- Notes become the check-in's reflection (Daylio's title, a blank line, then its note).
  Imported reflections are private, because they were written for another app and for
  the person alone; the preview offers a box to share them instead, unticked. Notes keep
  the check-in form's rules: at most 20,000 characters, no control characters.
- Every imported check-in is tagged "imported"; Daylio's activities ("a | b | c") or a
  tags column become tags too, within the check-in form's limits (20 tags, 40 characters
  each). A comma inside an activity splits it, since tags are stored comma-separated.
- Anxiety, energy, hours of sleep and the self-harm question are read from columns named
  `anxiety`, `energy`, `sleep_hours` and `self_harm` (yes/no), as in Afterglow's own
  checkins.csv, with the check-in form's rules; without such a column they stay empty
  (never asked). Symptom columns are not read: a symptom is the person's own, and the
  importing account may track others. A row with as many tags as a check-in holds keeps
  them and goes without "imported".
- Bounds, so that one upload costs a bounded time (README, "Bounds"): besides the 2 MB body
  limit, at most ROWS_MAX rows (5,000: about 13 years of daily check-ins; a longer
  history is imported a year or so at a time), COLUMNS_MAX columns and HEADER_NAME_MAX
  characters in a column's name. Over a bound, the form comes back (400) saying which.
- A parked import lasts a day, and a person has at most one: uploading another file drops
  the earlier one. Once a day old it goes at anyone's sign-in or sign-out too
  (`data.imports.drop_stale`), as it holds unsaved words. Another person's, a finished or an
  expired import is a 404. Its id is random, never reused, so an old preview tab cannot
  confirm a newer file.
"""

import csv
import io
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from . import clock
from .access import owned_or_404
from .checkin_form import parse_hours
from .data import checkins as checkin_data
from .data import imports as import_data
from .data import links
from .db import get_db
from .exports.document import FORMAT as EXPORT_FORMAT
from .fields import (
    DAY_TO_COME,
    DAY_TOO_FAR_BACK,
    MARKS_MAX,
    NOT_A_DAY,
    REFLECTION_MAX,
    TICKED,
    UNTICKED,
    CheckboxField,
    JournalForm,
    has_control_characters,
    has_direction_controls,
    has_stacked_marks,
    local_day,
    normalize_newlines,
    shown_name,
    without_control_characters,
)
from .numbers import megabytes, plural
from .people import raise_if_account_gone
from .rules import CRISIS_MOOD, is_crisis_mood
from .signed_in import today
from .spreadsheet import (
    ANSWERS,
    DATE_HEADERS,
    DAYLIO_DATE,
    DAYLIO_HEADERS,
    MOOD_HEADERS,
    NOTE_HEADERS,
    TAGS_HEADERS,
    header_key,
    unquoted,
)
from .tags import TAG_MAX, TAGS_MAX, parse_tags

bp = Blueprint("imports", __name__, url_prefix="/import")

MOOD_WORDS = {"rad": 9, "good": 7, "meh": 5, "bad": 3, "awful": 1}
IMPORTED_TAG = "imported"
SCALES = ANSWERS[:2]
SEPARATORS = (",", ";", "\t")
PROBLEMS_SHOWN = 50
PREVIEW_ROWS = 10
SKIPPED_SHOWN = 30
# A parked import's preview, Confirm or Cancel once it is gone: a 404 that says why.
GONE = (
    "This import is no longer waiting: it was saved or cancelled already, or a newer upload "
    "replaced it. History shows what is saved."
)
# ...and the link under those words: to the History they name, not the start page.
GONE_BACK = ("checkins.entries", "Go to History")
FILENAME_MAX = 200
# Bounds on one file (besides the 2 MB body limit), so one upload costs a bounded time:
# rows (about 13 years of daily check-ins; split a longer history by year), columns, and
# the length of a column's name.
ROWS_MAX = 5_000
EMPTY_CELLS = "The file has no text in any cell: it holds no check-ins to import."
COLUMNS_MAX = 50
HEADER_NAME_MAX = 100
# Afterglow's exports that hold no check-ins, known by a column of the first line that only
# each has: uploaded on a move to a new account, they are named, never told to gain a "mood"
# column (sessions.csv's mood_before renamed brought sessions in as check-ins).
ONLY_CHECKINS = "only check-ins can be imported, from Afterglow's checkins.csv or another app's CSV"
OTHER_EXPORTS = (
    (
        {"started_at_utc"},
        "your sessions (sessions.csv)",
        "Add each past session on Sessions, with its date and time.",
    ),
    (
        {"kind", "total", "q1"},
        "your check-ups (assessments.csv)",
        "Enter each past check-up on Check-ups, with its date.",
    ),
)
UNREADABLE = (
    "this line cannot be read as CSV: check its quotes (text with a comma or a line break "
    "goes inside double quotes, and a double quote inside such text is written twice)."
)


# Reading a file (pure: no Flask, no SQL) ------------------------------------------------


@dataclass
class Parsed:
    """What a file holds: its source ("daylio" or "csv"), good rows, and problems."""

    source: str = "csv"
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def shown(text, limit=40):
    """A value quoted in a message, cut short when long."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def separator(first_line):
    """The separator the header line uses most (comma when it uses none)."""
    counts = {sep: first_line.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


# Excel's hint line ("sep=;") before the header: the separator it names, on a line of its own.
SEPARATOR_HINT = re.compile(r"sep=([,;\t|])", re.I)


def non_blank_row(reader):
    """The reader's next row with text in a cell, or None at the end."""
    return next((row for row in reader if any(cell.strip() for cell in row)), None)


def find_column(keys, names):
    """The index of the first header in `names`, or None."""
    for name in names:
        if name in keys:
            return keys.index(name)
    return None


NOT_UTF8 = (
    "This file is not UTF-8 text, so it cannot be read. If it is a spreadsheet, "
    "save or export it as “CSV UTF-8” and upload that."
)


def wide_text(data):
    """Whether `data` starts as UTF-16 (or UTF-32) text without a byte order mark: plain
    letters, each with zero bytes beside it, every other byte of the start zero."""
    head = data[:200]
    return len(head) >= 4 and any(not any(head[at::2]) for at in (0, 1))


def decode(data):
    """(text, problem): the file as text, or a message saying why it cannot be read."""
    try:
        # Every byte order mark at the start, not only the first: a file saved again by a tool
        # that kept the first as text and wrote its own ("\ufeffdate" was no date column).
        text = data.decode("utf-8-sig").lstrip("\ufeff")
    except UnicodeDecodeError:
        return None, NOT_UTF8
    if not text.strip():
        return None, "The file is empty."
    if "\x00" in text:
        # UTF-16 without its byte order mark reads as UTF-8 with a zero byte after each
        # letter: text in another encoding, not "binary data" (which sent the person looking
        # for another file).
        if wide_text(data):
            return None, NOT_UTF8
        return None, "This does not look like a CSV file: it holds binary data."
    return text, None


def read_scale(text):
    """A whole number 0–10 in ASCII digits, or None."""
    value = text.strip()
    return int(value) if re.fullmatch(r"[0-9]{1,2}", value) and int(value) <= 10 else None


def read_mood(text):
    """(mood, word): a whole number 0–10 or a known mood word; (None, None) otherwise."""
    value = text.strip()
    number = read_scale(value)
    if number is not None:
        return number, None
    word = value.casefold()
    if word in MOOD_WORDS:
        return MOOD_WORDS[word], word
    return None, None


def read_day(text, today):
    """(day, problem) for a date cell."""
    value = text.strip()
    if not value:
        return None, "the date is missing."
    day, problem = local_day(value, today)
    if problem is None:
        return day, None
    return None, {
        NOT_A_DAY: f"date '{shown(value)}' is not a date like 2026-03-14 (YYYY-MM-DD).",
        DAY_TO_COME: f"{value} is still to come; only today and earlier days can be imported.",
        DAY_TOO_FAR_BACK: f"{value} is too far back; check the year.",
    }[problem]


def read_note(title, body):
    """(note, problem): Daylio's title and note (or a note alone), checked like a reflection.

    A note alone is kept as written, spaces and blank lines at its ends included, as the
    check-in form keeps a reflection (Afterglow's own export, imported again, gives back the
    same words); a title and a note are joined by a blank line, each trimmed."""
    parts = [normalize_newlines(p) for p in (title, body) if p and p.strip()]
    note = "\n\n".join(p.strip() for p in parts) if len(parts) > 1 else "".join(parts)
    if has_control_characters(note):
        return None, "the note contains invisible control characters; remove them."
    if len(note) > REFLECTION_MAX:
        return None, (
            f"the note has {len(note):,} characters; a check-in's reflection can be up to "
            f"{REFLECTION_MAX:,}."
        )
    return note, None


def read_tags(text, sep):
    """(tags, problem): "imported" and the row's own tags (Daylio's activities, split on
    "|"; a tags column, split on commas), within the check-in form's limits."""
    if has_control_characters(text):
        return None, "the tags contain invisible control characters; remove them."
    if has_direction_controls(text):
        return None, "the tags contain characters that change the direction of text; remove them."
    if has_stacked_marks(text):  # as the check-in form refuses them (fields.STACKED_MARKS_MESSAGE)
        return None, (
            f"a tag has a letter with more than {MARKS_MAX} accents or marks, which draw over "
            "the text around it; remove them."
        )
    own = parse_tags(", ".join(text.split(sep)))
    long = [t for t in own if len(t) > TAG_MAX]
    if long:
        return None, f"tag '{shown(long[0])}' is longer than {TAG_MAX} characters."
    if len(own) > TAGS_MAX:
        return None, f"{len(own)} tags are more than a check-in holds (at most {TAGS_MAX})."
    return with_imported(own), None


def with_imported(own):
    """ "imported" and the tags `own` (at most TAGS_MAX); a row that already has as many as a
    check-in holds (one of Afterglow's own, say) keeps them all, without "imported"."""
    tags = parse_tags(", ".join([IMPORTED_TAG, *own]))
    return tags if len(tags) <= TAGS_MAX else own


def read_answers(text, columns):
    """(values, problems) for the answers besides mood a file may hold (Afterglow's own
    checkins.csv does): anxiety and energy 0–10, hours of sleep, the self-harm question;
    each None when the file has no such column or the cell is blank."""
    values, problems = {}, []
    for name in SCALES:
        raw = text(columns.answers.get(name)).strip()
        values[name] = read_scale(raw)
        if raw and values[name] is None:
            problems.append(f"{name} '{shown(raw)}' is not a whole number from 0 to 10.")
    try:
        values["sleep_hours"] = parse_hours(text(columns.answers.get("sleep_hours")))
    except ValueError as error:
        values["sleep_hours"] = None
        problems.append(f"sleep: {str(error)[0].lower()}{str(error)[1:]}")
    raw = text(columns.answers.get("self_harm")).strip().casefold()
    values["self_harm"] = raw in TICKED if raw else None
    if raw not in (*TICKED, *UNTICKED):
        problems.append(f"self_harm '{shown(raw)}' is neither yes nor no.")
    return values, problems


@dataclass
class Columns:
    """Where a file keeps what we read (indexes into a row; None when it has no such column)."""

    date: int
    mood: int
    title: int | None = None
    note: int | None = None
    private: int | None = None  # a "private" column, as in our own checkins.csv
    tags: int | None = None
    tags_sep: str = ","
    time: int | None = None  # Daylio's time of the entry, as written ("21:14", "9:14 pm")
    answers: dict = field(default_factory=dict)  # ANSWERS' columns that the file has


def find_columns(keys):
    """(source, Columns) for a header's keys, or (source, problems) when date or mood lack."""
    if DAYLIO_DATE in keys:
        source, date_col = "daylio", keys.index(DAYLIO_DATE)
    else:
        source, date_col = "csv", find_column(keys, DATE_HEADERS)
    mood_col = find_column(keys, MOOD_HEADERS)
    problems = []
    if date_col is None:
        problems.append(
            "The first line has no date column: name it “date” (or upload Daylio's export "
            "as it is, with its full_date column)."
        )
    if mood_col is None:
        problems.append("The first line has no mood column: name it “mood”.")
    if problems:
        return source, problems
    if source == "daylio":
        columns = Columns(
            date_col,
            mood_col,
            title=find_column(keys, (DAYLIO_HEADERS["title"],)),
            note=find_column(keys, (DAYLIO_HEADERS["note"],)),
            tags=find_column(keys, (DAYLIO_HEADERS["tags"],)),
            tags_sep="|",
            time=find_column(keys, (DAYLIO_HEADERS["time"],)),
        )
    else:
        columns = Columns(
            date_col,
            mood_col,
            note=find_column(keys, NOTE_HEADERS),
            tags=find_column(keys, TAGS_HEADERS),
            private=find_column(keys, ("private",)),
            answers={name: keys.index(name) for name in ANSWERS if name in keys},
        )
    twice = named_twice(keys, columns)
    return source, twice or columns


def named_twice(keys, columns):
    """A problem for each column we read whose name the header gives more than once
    ("date,mood,mood"): which of them is meant can't be known, so nothing is guessed."""
    read = [columns.date, columns.mood, columns.title, columns.note, columns.private,
            columns.tags, columns.time, *columns.answers.values()]  # fmt: skip
    names = sorted({keys[at] for at in read if at is not None and keys.count(keys[at]) > 1})
    return [
        f"The first line has more than one column named “{name}”: keep one, so it is clear "
        "which to read."
        for name in names
    ]


def read_row(row, width, columns, today):
    """(values, problems) for one row of cells; `width` is the header's length."""
    cells = row + [""] * (width - len(row))

    def text(index):
        return unquoted(cells[index]) if index is not None else ""

    problems = []
    if any(extra.strip() for extra in row[width:]):
        problems.append(
            f"it has {len(row)} cells but the first line names {width}; check the quotes "
            "around any text with a comma in it."
        )
    day, problem = read_day(cells[columns.date], today)
    problems.append(problem)
    raw_mood = cells[columns.mood].strip()
    mood, word = read_mood(raw_mood)
    if not raw_mood:
        problems.append("the mood is missing.")
    elif mood is None:
        problems.append(
            f"mood '{shown(raw_mood)}' is not a number from 0 to 10 or a mood word we know "
            f"({', '.join(MOOD_WORDS)})."
        )
    note, problem = read_note(text(columns.title), text(columns.note))
    problems.append(problem)
    tags, problem = read_tags(text(columns.tags), columns.tags_sep)
    problems.append(problem)
    answers, more = read_answers(text, columns)
    problems += more
    # A note the file marks private stays private whatever the preview's share box says, and
    # any mark but a "no" (blank, no, false, 0, off) counts: "x" or "✓" read as shared let the
    # share box share it.
    private = text(columns.private).strip().casefold() not in UNTICKED
    values = {"day": day, "mood": mood, "word": word, "note": note, "tags": tags,
              "private": private, **answers}  # fmt: skip
    if columns.time is not None:
        values["minute"] = minutes(text(columns.time))  # None when unreadable
    return values, [p for p in problems if p]


def parse(data, today):
    """Read an uploaded file (bytes) into check-in rows, or the problems that stop it.

    Each row is {"line", "day", "mood", "word", "note", "tags"}; "line" is the line of the
    file the row starts on (a quoted note may span several), counting the header as 1.
    """
    result = Parsed()
    text, problem = decode(data)
    problem = problem or json_problem(text)
    if problem:
        result.problems.append(problem)
        return result
    first = next(line for line in text.splitlines() if line.strip())
    hint = SEPARATOR_HINT.fullmatch(first.strip(" "))
    sep = hint[1] if hint else separator(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        header = non_blank_row(reader)
        if hint:  # the hint line read, the header is the row after it
            header = non_blank_row(reader)
    except csv.Error as error:
        result.problems.append(f"Line {reader.line_num}: {unreadable(error)}")
        return result
    if header is None:  # only separators and quotes: a sheet's formatted but empty cells
        result.problems.append(EMPTY_CELLS)
        return result
    problem = header_problem(header)
    if problem:
        result.problems.append(f"Line {reader.line_num}: {problem}")
        return result
    keys = [header_key(name) for name in header]
    result.source, columns = find_columns(keys)
    if isinstance(columns, list):
        other = find_column(keys, MOOD_HEADERS) is None and other_export(keys)
        result.problems += [other] if other else columns
        return result
    seen = {}
    count = 0
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            result.problems.append(f"Line {start}: {unreadable(error)}")
            break
        end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        if count > ROWS_MAX:
            result.problems = [
                f"Line {start}: the file has more than {ROWS_MAX:,} rows, more than one import "
                f"takes. Split it into smaller files (a year each, say) and import each."
            ]
            result.rows = []
            return result
        values, problems = read_row(row, len(header), columns, today)
        day = values["day"]
        if day in seen and result.source != "daylio":
            problems.insert(0, f"{day} is also on line {seen[day]}; keep one row per day.")
        elif day is not None:
            seen[day] = start
        if problems:
            result.problems += [f"Line {start}: {problem}" for problem in problems]
        else:
            result.rows.append({"line": start, **values, "day": day.isoformat()})
    if result.source == "daylio" and not result.problems:
        result.rows, problems = merge_days(result.rows)
        result.problems += problems
    if not result.rows and not result.problems:
        result.problems.append("The file has a first line but no rows to import.")
    return result


def unreadable(error):
    """Why the csv module could not read a line, in the person's words."""
    if "field larger than field limit" in str(error):
        return (
            f"a cell holds more than {csv.field_size_limit():,} characters, more than anything "
            "a check-in keeps (a note can be up to "
            f"{REFLECTION_MAX:,}); check the quotes around it."
        )
    return UNREADABLE


def other_export(keys):
    """Why a file whose first line has `keys` (and no mood column) is another of our
    exports, or None."""
    for columns, named, instead in OTHER_EXPORTS:
        if columns <= set(keys):
            return f"This is Afterglow's export of {named}: {ONLY_CHECKINS}. {instead}"
    return None


def json_problem(text):
    """Why a JSON file (our data.json, say) cannot be imported, or None for other text: a CSV
    whose first cell opens with "[" or "{" is read as one (only JSON that parses is JSON)."""
    opening = text.lstrip()[:200]
    if not opening.startswith(("{", "[")):
        return None
    try:
        json.loads(text)
    except ValueError:
        return None
    if f'"{EXPORT_FORMAT}"' in opening:
        return (
            "This is Afterglow's export of your whole journal as JSON (data.json): "
            f"{ONLY_CHECKINS}, downloaded from the same page."
        )
    return f"This is a JSON file, not a CSV: {ONLY_CHECKINS}."


def header_problem(header):
    """Why a header row (its cells) cannot be a file's first line, or None."""
    if len(header) > COLUMNS_MAX:
        return (
            f"the first line names {len(header):,} columns; a file can have at most "
            f"{COLUMNS_MAX}. Check that it is a CSV of check-ins."
        )
    for number, name in enumerate(header, 1):
        if len(name) > HEADER_NAME_MAX:
            return (
                f"column {number}'s name has {len(name):,} characters; a column's name can "
                f"be up to {HEADER_NAME_MAX}."
            )
    return None


def minutes(time):
    """Minutes after midnight of a time as Daylio writes it ("21:14", "9:14 pm"), or None."""
    found = re.fullmatch(r"(\d{1,2}):(\d{2})(?:\s*([ap])\.?\s*m\.?)?", time.strip(), re.I)
    if not found:
        return None
    hour, minute, half = int(found[1]), int(found[2]), (found[3] or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    return hour * 60 + minute if hour < 24 and minute < 60 else None


def timed_note(entry):
    """A Daylio entry's note after its time (HH:MM), when its time could be read."""
    minute = entry.get("minute")
    if minute is None:
        return entry["note"]
    return f"{minute // 60:02}:{minute % 60:02} \u2014 {entry['note']}"


def merge_days(rows):
    """(rows, problems): several Daylio entries on one day made one check-in each.

    The mood is the mean of the entries' moods, rounded half up; the notes are joined in
    time order (Daylio lists the newest first, so without readable times, in the reverse of
    the file's order), each after its time as HH:MM when it could be read; the tags are all
    the entries' tags. A merged
    row keeps its first line and adds "lines", "entries" and "words" for the preview.
    """
    by_day = {}
    for row in rows:
        by_day.setdefault(row["day"], []).append(row)
    merged, problems = [], []
    for day, entries in by_day.items():
        if len(entries) == 1:
            merged.append(entries[0])
            continue
        times = [entry.get("minute") for entry in entries]
        if None in times:
            entries = entries[::-1]
        else:  # sorted is stable: entries at the same minute keep the file's order
            order = sorted(range(len(entries)), key=times.__getitem__)
            entries = [entries[n] for n in order]
        lines = sorted(entry["line"] for entry in entries)
        where = f"Lines {', '.join(map(str, lines))}"
        notes = [timed_note(entry) for entry in entries if entry["note"]]
        note = "\n\n".join(notes)
        if len(note) > REFLECTION_MAX:
            problems.append(
                f"{where}: the notes of {day} have {len(note):,} characters together; a "
                f"check-in's reflection can be up to {REFLECTION_MAX:,}."
            )
        own = parse_tags(
            ", ".join(t for entry in entries for t in entry["tags"] if t != IMPORTED_TAG)
        )
        if len(own) > TAGS_MAX:
            problems.append(
                f"{where}: the entries of {day} have {len(own)} activities together, more "
                f"than a check-in holds (at most {TAGS_MAX})."
            )
        tags = with_imported(own)
        moods = [entry["mood"] for entry in entries]
        words = [entry["word"] for entry in entries if entry["word"]]
        merged.append(
            {
                "line": lines[0],
                "lines": lines,
                "entries": len(entries),
                "day": day,
                "mood": int(sum(moods) / len(moods) + 0.5),
                "word": None,
                "words": words,
                "note": note,
                "tags": tags,
                "private": any(entry["private"] for entry in entries),
            }
        )
    return merged, problems


# Pending imports -------------------------------------------------------------------------


class UploadForm(JournalForm):
    file = FileField(
        "CSV file",
        render_kw={"accept": ".csv,text/csv"},
    )


class ConfirmForm(JournalForm):
    """The preview's buttons (and their CSRF token); sharing the notes is opt-in. A field, so
    that a JSON body's answer is read (`request.form` holds none) and a refused form keeps
    the box as it was sent."""

    share_notes = CheckboxField("Share the imported notes with my therapist")


def new_id():
    """A random id for a parked import.

    The table's ids would otherwise be reused (SQLite hands out the highest id + 1, and a
    confirmed or replaced import is deleted), so a preview left open in an old tab could
    confirm a newer file it never showed. 53 bits stay exact in JavaScript too.
    """
    return secrets.randbelow(2**53 - 1) + 1


def no_longer_waiting():
    """The 404 of a parked import gone meanwhile (a second tap, another tab), as
    `owned_or_404` answers one gone before: GONE, and a link to History."""
    error = NotFound(description=GONE)
    error.back = GONE_BACK
    return error


def get_pending(import_id):
    """The signed-in person's parked import, its rows decoded, or 404."""
    import_data.drop_stale(get_db(), clock.now())
    row = owned_or_404("pending_imports", gone=GONE, back=GONE_BACK, id=import_id)
    row["rows"] = json.loads(row["rows"])
    return row


def existing_days(user_id, days):
    """The subset of `days` (YYYY-MM-DD) on which the person already has a check-in."""
    return checkin_data.days(get_db(), user_id) & set(days)


def clean_filename(name):
    """An uploaded file's name, fit to show: its last part, no control characters, short."""
    name = re.split(r"[\\/]", name or "")[-1]
    # As a name others see is cleaned: no direction overrides or invisible characters, and
    # no "\ufffd" left where the browser sent bytes that were not text.
    name = shown_name(without_control_characters(name).replace("\ufffd", ""))
    return shown(name, FILENAME_MAX) if name else "upload.csv"


def word_counts(rows):
    """{word: how many rows used it}, in MOOD_WORDS order."""
    counts = {word: 0 for word in MOOD_WORDS}
    for row in rows:
        for word in row.get("words") or ([row["word"]] if row["word"] else []):
            counts[word] += 1
    return counts


# Views -----------------------------------------------------------------------------------


def upload_limit():
    """The most one upload may be ("2 MB"): the app's body limit (MAX_CONTENT_LENGTH)."""
    return megabytes(current_app.config["MAX_CONTENT_LENGTH"])


def render_upload(form, problems=(), status=200, sent_a_file=True):
    """The upload form, with the problems that stopped an upload (`sent_a_file` False when
    none was chosen: nothing in a file is to be fixed then), and the import still waiting to
    be checked, if any: Back from its preview led here, and nothing said that the file read
    was kept, unsaved, for a day (its private notes too) or how to get back to it."""
    shown_problems = list(problems[:PROBLEMS_SHOWN])
    return render_template(
        "imports/form.html",
        form=form,
        waiting=import_data.waiting(get_db(), current_user.id),
        limit=f"{upload_limit()} and {ROWS_MAX:,} rows",
        problems=shown_problems,
        more=len(problems) - len(shown_problems),
        sent_a_file=sent_a_file,
        mood_words=MOOD_WORDS,
        imported_tag=IMPORTED_TAG,
    ), status


def too_large():
    """A file over the upload limit: the upload form, saying what to do with the file (not
    the app's page about a long reflection). Exports have no limit, so a long history's own
    checkins.csv can be over it."""
    problem = (
        f"That file is over {upload_limit()}, more than one import takes, so nothing was "
        "read. Split it into smaller files (a year each, say) and import each."
    )
    return render_upload(UploadForm(formdata=None), [problem], 413)


@bp.route("", methods=["GET", "POST"])
@login_required
def upload():
    import_data.drop_stale(get_db(), clock.now())
    try:
        form = UploadForm()  # reads a sent body: werkzeug refuses one over the limit
    except RequestEntityTooLarge:
        return too_large()
    if not form.is_submitted():
        return render_upload(form)
    if not form.validate():  # an expired CSRF token: the form says so
        return render_upload(form, status=400)
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return render_upload(form, ["Choose a CSV file to upload."], 400, sent_a_file=False)
    parsed = parse(sent.read(), today())
    if parsed.problems:
        return render_upload(form, parsed.problems, 400)
    db = get_db()
    import_id = new_id()
    with db.atomic():
        import_data.replace(
            db,
            {
                "id": import_id,
                "user_id": current_user.id,
                "filename": clean_filename(sent.filename),
                "source": parsed.source,
                "rows": json.dumps(parsed.rows, ensure_ascii=False),
                "created_at": clock.utcnow_iso(),
            },
        )
    return redirect(url_for("imports.preview", import_id=import_id))


def other_answers(row):
    """What a preview row says of the answers besides mood, note and tags that its check-in
    will keep ("Anxiety 3", "Energy 4", "Sleep 6 h", "Thoughts of self-harm: yes"), in the
    check-in form's order; a blank answer is left out."""
    said = [f"{name.capitalize()} {row[name]}" for name in SCALES if row.get(name) is not None]
    if row.get("sleep_hours") is not None:
        said.append(f"Sleep {row['sleep_hours']:g} h")
    if row.get("self_harm") is not None:
        said.append(f"Thoughts of self-harm: {'yes' if row['self_harm'] else 'no'}")
    return said


def render_preview(pending, form, status=200):
    """The preview of a parked import (400 with the form's message when its token expired)."""
    rows = pending["rows"]
    skipped = existing_days(current_user.id, [row["day"] for row in rows])
    skipped_days = sorted(skipped)
    new_rows = [row for row in rows if row["day"] not in skipped]
    self_harm_days = sum(1 for row in new_rows if row.get("self_harm"))
    low_mood_days = sum(1 for row in new_rows if is_crisis_mood(row["mood"]))
    flagged_days = sum(1 for row in new_rows if row.get("self_harm") or is_crisis_mood(row["mood"]))
    return render_template(
        "imports/preview.html",
        pending=pending,
        rows=rows,
        first_rows=rows[:PREVIEW_ROWS],
        with_answers=any(other_answers(row) for row in rows[:PREVIEW_ROWS]),
        skipped=skipped,
        skipped_days=skipped_days[:SKIPPED_SHOWN],
        more_skipped=len(skipped_days) - SKIPPED_SHOWN,
        new_count=len(rows) - len(skipped),
        mood_words=MOOD_WORDS,
        counts=word_counts(rows),
        uses_words=any(row["word"] or row.get("words") for row in rows),
        # New notes the file marks private: they stay private whatever the share box says.
        private_notes=any(row["note"] and row.get("private") for row in new_rows),
        merged_days=sum(1 for row in rows if row.get("entries")),
        # New days answering yes to self-harm or with a mood of 0..CRISIS_MOOD: each becomes a
        # flagged day (access.flagged_days) that a linked therapist and every active share
        # link see, so the preview says so before Import.
        # A day with both reasons is one flagged day: the note gives the days, then the
        # reasons' counts and how many days have both.
        self_harm_days=self_harm_days,
        low_mood_days=low_mood_days,
        flagged_days=flagged_days,
        both_days=self_harm_days + low_mood_days - flagged_days,
        crisis_mood=CRISIS_MOOD,
        therapist=links.therapist_of(get_db(), current_user.id),
        share_links=links.active_share_link_labels(get_db(), current_user.id, clock.utcnow_iso()),
        imported_tag=IMPORTED_TAG,
        other_answers=other_answers,
        form=form,
    ), status


# The first moment of a calendar day anywhere on Earth: its midnight at UTC+14 (Kiribati).
DAY_STARTS_FIRST = timezone(timedelta(hours=14))


def written_before(day):
    """When an imported check-in for `day` (ISO date) counts as written: its day's first
    moment anywhere, in UTC, before any time a check-in of that day can be written here."""
    start = datetime.combine(date.fromisoformat(day), time(), DAY_STARTS_FIRST)
    return start.astimezone(UTC).isoformat(timespec="milliseconds")


def save_pending(user_id, pending, share_notes):
    """Save a parked import's rows as check-ins and forget it: how many were added, or None
    when it was no longer parked (a second tap or another tab saved or cancelled it first).

    The parked row is deleted first, in the same transaction, so of two confirms sent at
    once only one saves anything.
    """
    now = clock.utcnow_iso()
    db = get_db()
    added = 0
    with db.atomic():
        if not import_data.delete(db, user_id, pending["id"]):
            return None
        for row in pending["rows"]:
            # A day already in the journal (even one saved since the preview) is kept as it is.
            added += checkin_data.add_if_new(
                db,
                user_id,
                {
                    "day": row["day"],
                    "mood": row["mood"],
                    "tags": ", ".join(row["tags"]),
                    "reflection": row["note"],
                    "private": 0 if share_notes and not row.get("private") else 1,
                    # Parked before these were read, an import has none of them.
                    **{name: row.get(name) for name in ANSWERS},
                },
                now,
                written_before(row["day"]),
            )
    return added


@bp.route("/<int:import_id>")
@login_required
def preview(import_id):
    return render_preview(get_pending(import_id), ConfirmForm(formdata=None))


def sent_for(import_id):
    """(The person's pending import `import_id`, the sent form) for a valid confirm or cancel
    form; the preview again (400, with the form's message) when the form is not valid."""
    pending = get_pending(import_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(make_response(render_preview(pending, form, 400)))
    return pending, form


@bp.route("/<int:import_id>/confirm", methods=["POST"])
@login_required
def confirm(import_id):
    pending, form = sent_for(import_id)
    added = save_pending(current_user.id, pending, form.share_notes.data)
    if added is None:  # a second tap: the first one saved it (or the account went)
        raise_if_account_gone()
        raise no_longer_waiting()
    skipped = len(pending["rows"]) - added
    message = f"Imported {plural(added, 'check-in')} from {pending['filename']}."
    if skipped:
        message += f" Kept the {plural(skipped, 'day')} you already had."
    flash(message)
    return redirect(url_for("checkins.entries"))


@bp.route("/<int:import_id>/cancel", methods=["POST"])
@login_required
def cancel(import_id):
    pending, _ = sent_for(import_id)
    # False: confirmed or cancelled meanwhile, in another tab or tap.
    if not import_data.delete(get_db(), current_user.id, pending["id"]):
        raise_if_account_gone()
        raise no_longer_waiting()
    flash("Import cancelled: nothing was saved.")
    return redirect(url_for("imports.upload"))
