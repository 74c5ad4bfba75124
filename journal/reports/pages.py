"""The report's pages: the plain dict of `content.report_data` drawn into PDF bytes.

`build_pdf` is pure (no Flask, no SQL): page 1, then the chosen sections in the order of
`content.SECTIONS`, drawn with the building blocks of `layout.ReportDocument`.

- Page 1 is a one-minute summary for the care team: figure boxes, treatment, mood and
  check-ups (with the lift, the floor's trend and the PHQ-9's change), safety flags
  (FIRST_PAGE_FLAGS of them, the days with a self-harm answer first, then the latest; fewer
  when the page has no room for them all) and what the report holds.
- The sessions table keeps its seven columns at 8 pt; each session's blood pressure before and
  after, day-1 change and lift are a second line under it (ten columns on Letter or A4 would
  wrap every cell to three lines, or need smaller type). The lift reads "9 days", "12+ days
  (still going)" for one still going at the next session, the latest check-in or day 42, or a
  dash.
- Each reflection or prompt answer is printed up to TEXT_MAX (3,000) characters, then a note
  says how much was left out (README, "Bounds"). A character no font has is printed as
  `layout.PLACEHOLDER`, and the reflections section then says what the square means; the
  patient's own export keeps the original text.
- Charts are the web's charts (`figures.DRAW` over the same data builders) in the light
  theme, as PNG at CHART_DPI (`charts.to_png`): sharp enough to print, small enough to keep
  a two-year report well under 1 MB. Each keeps its text alternative as a caption.
- US Letter paper: the crisis resources and clinics the product is written for are in the US.
"""

import io
from datetime import date

from fpdf.enums import XPos, YPos

from .. import charts, figures, instruments, numbers
from ..numbers import DASH, difference, plural
from ..rules import (
    BASELINE_DAYS,
    BASELINE_MIN_CHECKINS,
    FLAG_RULE,
    LIFT_HORIZON_DAYS,
    PRE_LEVEL_DAYS,
    SAFETY_ITEM_ABOVE,
    is_crisis_answer,
)
from ..session_record import figure_text
from ..timezones import day_text
from .content import SECTION_LABELS, SECTIONS
from .layout import (
    ALERT,
    FONT,
    MUTED,
    PLACEHOLDER,
    SHADE,
    TEXT,
    ReportDocument,
    lacks_glyphs,
    printable,
)

CHART_DPI = 120
# Of the width between the margins: two 16:9 charts and their captions fit on a page.
CHART_WIDTH = 0.8
CHART_TITLES = {
    "mood-timeline": "Mood over time",
    "window-overlay": "Mood in the days after each session",
    "assessments": "PHQ-9 and GAD-7",
}
FOOTER = "Self-reported in a personal journal; not a clinical measurement."
NO_DATA = "No check-ins, sessions or check-ups were recorded in this range."
# The most of one reflection or prompt answer a report prints (README, "Bounds").
TEXT_MAX = 3_000
# Page 1 lists up to this many flagged days (first_page_flags: self-harm answers first, then
# the latest).
FIRST_PAGE_FLAGS = 6
# Space (mm) above page 1's last line, what the report holds.
CONTENTS_GAP = 2
# Room a table section's heading needs below it: its note, the headings and a few rows.
TABLE_START = 50


# Formatting


def _iso_day(text):
    return date.fromisoformat(text)


def last_days(recent):
    """ "last 7 days" (RECENT_DAYS), or as many as a shorter range holds: the recent mean
    is taken within the report's range, so a three-day report's is of three days."""
    days = (recent["end"] - recent["start"]).days + 1
    return f"last {days} days" if days > 1 else "last day"


def _num(value, fmt=None):
    """A figure to one decimal (rounded half up, numbers.figure), or with `fmt`; DASH for None."""
    if value is None:
        return DASH
    return numbers.figure(value) if fmt is None else fmt.format(value)


def _dose(row):
    parts = []
    if row["dose_mg"] is not None:
        parts.append(f"{numbers.number_text(row['dose_mg'])} mg")
    if row["dose_mg_per_kg"] is not None:
        parts.append(f"{numbers.number_text(row['dose_mg_per_kg'])} mg/kg")
    if len(parts) == 2:
        return f"{parts[0]} ({parts[1]})"
    return parts[0] if parts else DASH


def _moods(row):
    before, after = row["mood_before"], row["mood_after"]
    if before is None and after is None:
        return DASH
    return f"{_num(before, '{}')} \u2192 {_num(after, '{}')}"


def _side_effects(row):
    """A shared session's side effects (access.shared_session: the typed one in place of its
    label), or DASH."""
    return ", ".join(row["side_effects"]) if row["side_effects"] else DASH


def _pressures(row):
    """ "before 128/82, after 141/90" (mmHg: the table's note says so), a dash for a reading
    not taken, one dash for neither."""
    before, after = row["bp_before"], row["bp_after"]
    if before is None and after is None:
        return DASH
    return f"before {before or DASH}, after {after or DASH}"


def _lift_text(row):
    """A session's lift: "9 days", "12+ days (still going)", or a dash when not measured."""
    days = row["lift_days"]
    if days is None:
        return DASH
    if row["lift_ended"]:
        return plural(days, "day")
    return f"{days}+ days (still going)"


def _day1_text(row):
    """Day 1's mood less the level of the 3 days before, as the other changes are shown: the
    difference of the two as printed (the level before is in the window figures table)."""
    change, before = row["day1_change"], row["figures"]["pre_level"]
    if change is None or before is None:
        return DASH
    return difference(before + change, before)


def _phq9_change(phq9, first_session):
    """The PHQ-9 from the treatment baseline to the latest score on or before the range's end,
    with the percent change and the first response's date; "not yet" and why, without them."""
    base, latest = phq9["baseline"], phq9["latest"]
    if latest is None:
        return "not yet: no PHQ-9 on or before the end of this range"
    if base is None:
        if first_session is None:
            return "not yet: it needs a session, and a PHQ-9 on or before the first one"
        return (
            "not yet: there is no treatment baseline (a PHQ-9 on or before the first session, "
            f"{day_text(first_session, 'date_year')})"
        )
    if not phq9["later_score"]:
        return f"not yet: no PHQ-9 since the treatment baseline of {base}"
    text = f"{base} \u2192 {latest} from the treatment baseline"
    if phq9["percent_change"] is None:
        text += " (no percent change from a baseline of 0)"
    elif latest == base:
        text += ", no change"
    else:
        text += f", {numbers.signed(phq9['percent_change'], 0)}%"
    if phq9["first_response_date"] is not None:
        text += f"; first response on {day_text(phq9['first_response_date'], 'date_year')}"
    return text


def _score_text(summary, has_session):
    if summary["latest"] is None:
        return "none on or before the end of this range"
    text = (
        f"{summary['latest']} ({summary['band']}) on {day_text(summary['latest_day'], 'date_year')}"
    )
    if summary["baseline"] is not None:
        return (
            f"{text}; baseline {summary['baseline']} ({summary['baseline_band']}), the last "
            "on or before the first session"
        )
    # Not taken before treatment: say so, never "the last on or before the first session".
    return f"{text}; baseline: {instruments.baseline_text(summary, has_session)}"


def _has_data(data):
    return bool(
        data["checkin_days"]
        or data["sessions"]
        or data["assessment_count"]
        or data["flags"]
        or data["reflections"]
    )


# Drawing (pure: a plain dict in, PDF bytes out)


def build_pdf(data, sections=SECTIONS):
    """The report of `data` (from report_data) with `sections` after page 1, as PDF bytes.

    Pure: no Flask, no SQL; charts are drawn here, so a report without them draws none.
    """
    span = f"{day_text(data['start'], 'date_year')} to {day_text(data['end'], 'date_year')}"
    running_head = printable(f"Afterglow report \u00b7 {data['name']} \u00b7 {span}")
    with ReportDocument(running_head, FOOTER) as pdf:
        pdf.set_title(f"Afterglow report: {data['name']}, {span}")
        pdf.add_page()
        _first_page(pdf, data, span, sections)
        for section in SECTIONS:
            if section in sections:
                DRAW_SECTION[section](pdf, data)
        return bytes(pdf.output())


def _first_page(pdf, data, span, sections):
    pdf.set_font(FONT, "B", 8)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 4, "AFTERGLOW \u00b7 REPORT FOR THE CARE TEAM", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.para(data["name"], size=20, style="B")
    days = (data["end"] - data["start"]).days + 1
    pdf.para(
        f"{span} ({plural(days, 'day')}) \u00b7 made {day_text(data['made_on'], 'date_year')}"
        f" \u00b7 dates are local to {data['timezone']}",
        colour=MUTED,
    )
    pdf.ln(3)
    if not _has_data(data):
        laid_out = pdf.layout([(NO_DATA, 11, "B", TEXT)], [pdf.width], 5.5, pad=2.5)
        pdf.draw_row(laid_out, [pdf.width], 5.5, pad=2.5, fill=SHADE)
        pdf.ln(3)

    recent, base, phq9, gad7 = data["recent"], data["baseline"], data["phq9"], data["gad7"]
    if base is None:
        mood_note = "no baseline yet"
    elif recent["mean"] is None:
        mood_note = f"baseline {numbers.figure(base)}"
    else:
        mood_note = f"baseline {numbers.figure(base)} ({difference(recent['mean'], base)})"
    response, response_note = instruments.response_status(phq9)
    flags = data["flags"]
    item9_alert = is_crisis_answer(phq9["latest_item9"])
    pdf.figure_boxes(
        [
            (f"Mood, {last_days(recent)}", _num(recent["mean"]), mood_note, TEXT),
            (
                "PHQ-9 (depression)",
                _num(phq9["latest"], "{}"),
                (
                    f"{phq9['band']}; item 9 answered {phq9['latest_item9']} of 3"
                    if item9_alert
                    else phq9["band"] or "none yet"
                ),
                ALERT if item9_alert else TEXT,
            ),
            ("GAD-7 (anxiety)", _num(gad7["latest"], "{}"), gad7["band"] or "none yet", TEXT),
            ("PHQ-9 response", response, instruments.response_short(phq9), TEXT),
            (
                "Flagged days",
                str(len(flags)),
                "in this range" if flags else "none in this range",
                ALERT if flags else TEXT,
            ),
        ]
    )

    pdf.heading("Treatment", size=12, space=2)
    sessions = data["sessions"]
    rows = [("Sessions in this range", f"{len(sessions)} (of {data['sessions_total']} recorded)")]
    if sessions:
        first, last = (day_text(s["day"], "date_year") for s in (sessions[0], sessions[-1]))
        # One session, or a split dose on one day: the day once, not "… and" the same day.
        rows.append(("Date", first) if first == last else ("First and last", f"{first} and {last}"))
        rows.append(
            ("Products and routes", _tally(f"{s['product']}, {s['route']}" for s in sessions))
        )
        rows.append(("Doses", _tally(_dose(s) for s in sessions)))
    rows.append(
        (
            "Window",
            f"days 1\u2013{data['window_days']} after each session, cut short by the next "
            "(a commonly described window, not a proven one)",
        )
    )
    counted = (data["end"] - data["counted_from"]).days + 1
    checkins = f"on {data['checkin_days']} of {plural(counted, 'day')}"
    counted_from = day_text(data["counted_from"], "date_year")
    if counted < 1:
        checkins = f"none: the journal starts on {counted_from}, after this range"
    elif data["counted_from"] > data["start"]:
        checkins += f" (counted from {counted_from}, the journal's first day)"
    rows.append(("Check-ins", checkins))
    pdf.pairs(rows)

    pdf.heading("Mood and check-ups", size=12, space=3)
    if base is None:
        base_text = (
            f"not established: it needs {BASELINE_MIN_CHECKINS} check-ins in the "
            f"{BASELINE_DAYS} days before the first session"
        )
    else:
        base_text = (
            f"{numbers.figure(base)} of 10 (mean of the {BASELINE_DAYS} days before the first "
            "session)"
        )
    if recent["mean"] is None:
        recent_text = f"no check-ins in the {last_days(recent)} of this range"
    else:
        recent_text = (
            f"{numbers.figure(recent['mean'])} of 10 ({day_text(recent['start'], 'date_year')} to "
            f"{day_text(recent['end'], 'date_year')})"
        )
    lift = data["lift"]
    rows = [
        ("Baseline mood", base_text),
        (f"Mood, {last_days(recent)}", recent_text),
        # The floor's trend follows the lift in its row, when there is one (a row less).
        ("How long the lift lasted", " ".join(filter(None, (lift["text"], lift["trend"])))),
        ("PHQ-9", _score_text(phq9, bool(data["sessions_total"]))),
        ("PHQ-9 change", _phq9_change(phq9, data["first_session"])),
        ("GAD-7", _score_text(gad7, bool(data["sessions_total"]))),
        ("Response, remission", f"{response} ({response_note})"),
    ]
    pdf.pairs(rows)
    pdf.para(
        f"{instruments.RESPONSE_RULE} Bands as published (Kroenke 2001; "
        f"Spitzer 2006). {instruments.PHQ9.copyright} {instruments.ATTRIBUTION}",
        size=8,
        colour=MUTED,
    )

    pdf.heading("Safety flags", size=12, space=3)
    rule = (f"A day is flagged for {FLAG_RULE}. Entries are not watched in real time.", 8)
    included = [SECTION_LABELS[s] for s in SECTIONS if s in sections]
    contents = (
        "In this report: " + ("; ".join(included) if included else "this summary only") + ".",
        9,
    )
    if not flags:
        pdf.para("No days flagged in this range.")
    else:
        pdf.para(
            f"{plural(len(flags), 'day')} flagged in this range.",
            style="B",
            colour=ALERT,
        )
        # Page 1 stays one page: a few days, however many there are, fewer when the rows
        # above took the room (always one), and the notes that end the page. The days that
        # call for help most come first (first_page_flags), shown oldest first.
        picked = first_page_flags(flags)[:FIRST_PAGE_FLAGS]
        where = "under Flagged days" if "flags" in sections else "in the full report"

        def rows_of(chosen):
            return [
                (day_text(_iso_day(f["day"]), "date_year"), "; ".join(f["reasons"]))
                for f in sorted(chosen, key=lambda f: f["day"])
            ]

        def rest_notes(chosen):
            """What is said of the days not shown: how many, where, and, when some of them
            are later than one shown, which were chosen."""
            count = len(flags) - len(chosen)
            if not count:
                return []
            verb = "is" if count == 1 else "are"
            days = {f["day"] for f in chosen}
            first_shown = min(days)
            if all(f["day"] < first_shown for f in flags if f["day"] not in days):
                return [(f"The {plural(count, 'earlier flagged day')} {verb} {where}.", 9)]
            listed = (
                "Listed here: days with thoughts of self-harm or PHQ-9 item 9 above "
                f"{SAFETY_ITEM_ABOVE} first, then the latest."
            )
            return [(f"{listed} The {plural(count, 'other flagged day')} {verb} {where}.", 9)]

        def fits(chosen):
            notes = [rule, contents, *rest_notes(chosen)]
            tail = sum(pdf.para_height(text, size) for text, size in notes) + CONTENTS_GAP
            return pdf.pairs_height(rows_of(chosen), 30) + tail <= pdf.room()

        while len(picked) > 1 and not fits(picked):
            picked = picked[:-1]
        pdf.pairs(rows_of(picked), 30)
        for text, size in rest_notes(picked):
            pdf.para(text, size=size, colour=MUTED)
    pdf.para(rule[0], size=rule[1], colour=MUTED)
    pdf.ln(CONTENTS_GAP)
    pdf.para(contents[0], size=contents[1], colour=MUTED)


def first_page_flags(flags):
    """The flagged days in the order page 1 picks them: the days with a self-harm answer
    (thoughts of self-harm on a check-in, PHQ-9 item 9 above 0: access.flagged_days'
    "self_harm") first, then the days of a crisis mood alone; the latest first within each.
    A self-harm answer weeks ago is not left among "the earlier flagged days"."""
    latest_first = sorted(flags, key=lambda f: f["day"], reverse=True)
    return sorted(latest_first, key=lambda f: not f.get("self_harm"))


def _tally(values):
    """ "a ×2; b" for a list of values, in order of first appearance."""
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return "; ".join(f"{v} \u00d7{n}" if n > 1 else v for v, n in counts.items())


def _charts(pdf, data):
    """The web's three charts of the range, light theme, each with its text alternative."""
    pdf.add_page()
    pdf.heading("Charts")
    for name, title in CHART_TITLES.items():
        kwargs, description = data["charts"][name]
        figure = figures.DRAW[name](**kwargs, theme="light")
        inches_wide, inches_high = figure.get_size_inches()
        width = pdf.width * CHART_WIDTH
        height = width * inches_high / inches_wide
        pdf.keep(height + 24)
        pdf.heading(title, size=11, space=4)
        png = io.BytesIO(charts.to_png(figure, CHART_DPI))
        pdf.image(png, x=pdf.l_margin + (pdf.width - width) / 2, w=width, h=height)
        pdf.ln(1)
        pdf.para(description, size=8.5, colour=MUTED)


def _sessions(pdf, data):
    if not data["sessions"]:
        pdf.heading("Sessions", keep=TABLE_START)
        pdf.para("No sessions in this range.")
        return
    rows = [
        (
            f"#{s['number']}",
            day_text(s["day"], "date_year"),
            f"{s['product']}, {s['route']}",
            _dose(s),
            _moods(s),
            _num(s["dissociation"], "{}"),
            _side_effects(s),
        )
        for s in data["sessions"]
    ]
    # A second line under each session (from its medicine on), rather than three more columns
    # in smaller type: its blood pressure, and the days after it.
    notes = [
        f"Blood pressure {_pressures(s)} \u00b7 Day-1 change {_day1_text(s)} \u00b7 "
        f"Lift {_lift_text(s)}"
        for s in data["sessions"]
    ]
    table = (
        (
            "#",
            "Date",
            "Medicine and route",
            "Dose",
            "Mood before \u2192 after",
            "Dissociation",
            "Side effects",
        ),
        rows,
        (9, 22, 38, 31, 20, 22, 38),
    )
    # Kept with the table's headings and first rows, however tall those are (a side effect
    # typed under "something else" makes a row tall).
    pdf.heading("Sessions", keep=pdf.table_start(*table, notes=notes, note_from=2))
    pdf.table_of(*table, notes=notes, note_from=2)
    reference = (
        "the baseline mood"
        if data["baseline"] is not None
        else f"the mean mood of the {PRE_LEVEL_DAYS} days before the session (no baseline is "
        "established)"
    )
    pdf.para(
        "Moods are 0\u201310. Dissociation is the patient's own 0\u201310 rating, not a "
        "validated scale. Blood pressure in mmHg, before and after the dose. Day-1 change: the "
        f"mood on the day after the session less the mean mood of the {PRE_LEVEL_DAYS} days "
        "before it. Lift: "
        f"how long mood stayed above {reference} after the session, to the last check-in above "
        f"it before the first at or below it, within {LIFT_HORIZON_DAYS} days and before the "
        "next session; \u201cstill going\u201d when no check-in in that time came back to it "
        f"(it lasted at least that long). {DASH} means not enough data.",
        size=8,
        colour=MUTED,
    )


def _windows(pdf, data):
    pdf.heading("Window figures for each session", keep=TABLE_START)
    base = data["baseline"]
    pdf.para(
        f"Days 1\u2013{data['window_days']} after each session, cut short by the next one. "
        + (
            f"Changes are against the baseline mood of {numbers.figure(base)}."
            if base is not None
            else "With no baseline established, changes cannot be computed."
        )
        + f" {DASH} means not enough data.",
        size=9,
        colour=MUTED,
    )
    pdf.ln(1)
    if not data["sessions"]:
        pdf.para("No sessions in this range.")
        return
    rows = []
    for s in data["sessions"]:
        text = figure_text(s["figures"], base, s["window"])
        rows.append(
            (
                f"#{s['number']}",
                day_text(s["day"], "date_year"),
                text["days"] or DASH,
                text["pre_level"] or DASH,
                text["window_mean"] or DASH,
                text["change"] or DASH,
                text["peak_change"] or DASH,
                text["days_above_baseline"] or DASH,
                text["n_checkins"],
            )
        )
    pdf.table_of(
        (
            "#",
            "Date",
            "Window days used",
            f"Mood {PRE_LEVEL_DAYS} days before",
            "Window mean",
            "Change from baseline",
            "Best day against baseline",
            "Days above baseline",
            "Check-ins",
        ),
        rows,
        (9, 24, 30, 22, 22, 18, 30, 24, 19),
    )


def _flags(pdf, data):
    if not data["flags"]:
        pdf.heading("Flagged days", keep=TABLE_START)
        pdf.para("No days flagged in this range.")
        return
    table = (
        ("Date", "Why"),
        [
            (day_text(_iso_day(f["day"]), "short_year"), "; ".join(f["reasons"]))
            for f in data["flags"]
        ],
        (1, 3),
    )
    pdf.heading("Flagged days", keep=pdf.table_start(*table, size=9.5))
    pdf.table_of(*table, size=9.5)


def _reflections(pdf, data):
    pdf.heading(f"Reflections shared by {data['name']}")
    items = data["reflections"]
    if not items:
        pdf.para("No shared reflections in this range.")
        return
    texts = [item["text"] for item in items] + [
        answer for item in items for pair in item["answers"] for answer in pair
    ]
    if any(lacks_glyphs(text) for text in texts):
        pdf.para(
            f"{PLACEHOLDER} marks a character this report's fonts cannot show. The patient's "
            "own export holds the original text.",
            size=8.5,
            colour=MUTED,
        )
        pdf.ln(1)
    for item in items:
        pdf.keep(16)
        pdf.ln(2)
        pdf.para(
            f"{day_text(_iso_day(item['day']), 'short_year')} \u00b7 {item['kind']}",
            size=9.5,
            style="B",
        )
        pdf.ln(0.5)
        if item["text"]:
            _long_text(pdf, item["text"])
        for prompt, answer in item["answers"]:
            pdf.ln(0.8)
            pdf.para(prompt, size=8.5, colour=MUTED)
            _long_text(pdf, answer)


def clipped(text, limit=TEXT_MAX):
    """(the start of `text` printed, how many characters are left out): cut at a space."""
    if len(text) <= limit:
        return text, 0
    cut = text.rfind(" ", limit * 4 // 5, limit)
    cut = cut if cut > 0 else limit
    return text[:cut].rstrip() + " \u2026", len(text) - cut


def _long_text(pdf, text):
    """A reflection or answer, its first TEXT_MAX characters, saying what was left out."""
    shown, left_out = clipped(text)
    pdf.para(shown)
    if left_out:
        pdf.para(
            f"Cut short here: {left_out:,} more characters are not printed (a report prints up "
            f"to {TEXT_MAX:,} of each text). The full text is in Afterglow.",
            size=8.5,
            colour=MUTED,
        )


DRAW_SECTION = {
    "charts": _charts,
    "sessions": _sessions,
    "windows": _windows,
    "flags": _flags,
    "reflections": _reflections,
}
