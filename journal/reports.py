"""The therapist's PDF report: a one-minute first page, then charts, sessions and shared words.

`report_data` fetches (only through the progress, windows and sharing helpers, scoped to the
person's id) and returns a plain dict; `build_pdf` draws that dict into PDF bytes with fpdf2,
with no Flask and no SQL, so the document is tested without HTTP. `report_pdf` does both, for
this module's view and for anything else that shows a patient's report (share links).

Why fpdf2: pure Python (no system libraries to install), maintained, small, and it embeds
subsets of TrueType fonts (so any text the font covers is printed, searchable and copyable),
PNG images, a header and footer on every page and a total-page count. ReportLab would do too,
but is larger for what this needs. fpdf2's own `multi_cell` and `table` wrap text as well, but
measure it character by character through its general text engine, which took seconds for a
two-year report; `ReportDocument` wraps text itself (see there) and uses fpdf2 to place it.

Decisions where the issue and DESIGN.md are silent:

- The range is whole local days, start..end inclusive, and may not end after the person's
  today. With no `start`/`end` it is the last 90 days ending today (`default_range`). It
  covers at most RANGE_MAX_DAYS (731: two years), and each reflection or prompt answer is
  printed up to TEXT_MAX (3,000) characters, then a note says how much was left out: the
  worst case (a 20,000-character reflection every day for two years) printed in full took
  6 s and 2,900 pages, and now 1.6 s and under 500 (benchmarks/bench_bounds.py).
- Page 1 reads "as of the end of the range": the 7-day mood is the mean of the range's last 7
  days, and the latest PHQ-9 and GAD-7 are the latest on or before `end` (with their dates,
  even when they fall before `start`). Baselines are the treatment's own (DESIGN.md), so they
  may lie before the range; that is what "against baseline" means.
- Window figures are those of the whole course (a window is cut by the next session even if
  that session falls outside the range); the report lists the sessions in the range.
- Only what a therapist may see enters the data: session rows are copied field by field
  (never the reflection, prompt answers or intention), and words come from
  `sharing.shared_reflections` alone, so a private reflection cannot reach the PDF. Side
  effects typed under "something else" are shown: they are a side effect, not a reflection.
- `sections` chooses what follows page 1, always in the order of SECTIONS. Page 1 is always
  there. On the form a hidden empty `sections` value marks "the boxes were shown", so
  unticking every box gives the summary page alone; a URL with no `sections` at all gets
  every section.
- Fonts: DejaVu Sans (regular and bold) from matplotlib's own data folder, so the charts and
  the text share one face. It covers Latin, Greek, Cyrillic, Hebrew and many symbols; for the
  rest, FALLBACK_FONTS from Debian's packages (`make run` and `make test` install them):
  Noto Sans CJK for Chinese, Japanese and Korean, Noto Color Emoji for emoji. They are loaded
  only for a report whose text needs them (each costs about 0.15 s to load). A character no
  font has (or every character, where the packages are missing) is printed as PLACEHOLDER (a
  white square) rather than silently dropped or left to fpdf2's missing-glyph log, and the
  reflections section then says what the square means; the patient's own export keeps the
  original text. Without text shaping (fpdf2 needs uharfbuzz for it) joiners, variation
  selectors, skin-tone modifiers and combining marks that DejaVu lacks are dropped: an emoji
  sequence prints as its plain emoji, a family as its members. Right-to-left scripts are
  printed unshaped: legible for Hebrew, poor for Arabic. Han characters take the Japanese
  forms of the collection's first face.
- Charts are the web's charts (`progress.DRAW` over the same data builders) in the light
  theme, as PNG at CHART_DPI (`charts.to_png`): sharp enough to print, small enough to keep
  a two-year report well under 1 MB. Each keeps its text alternative as a caption.
- US Letter paper: the crisis resources and clinics the product is written for are in the US.
"""

import io
import unicodedata
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import matplotlib
from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from wtforms import Form, StringField
from wtforms.validators import ValidationError

from . import account, charts, instruments, numbers, progress, sharing, timezones, windows
from .fields import check_local_day, strip
from .numbers import difference, plural
from .sessions import LABELS, ChecklistField, figure_text

bp = Blueprint("reports", __name__, url_prefix="/export")

SECTIONS = ("charts", "sessions", "windows", "flags", "reflections")
SECTION_LABELS = {
    "charts": "Charts",
    "sessions": "Sessions",
    "windows": "Window figures for each session",
    "flags": "Flagged days",
    "reflections": "Shared reflections",
}
DEFAULT_DAYS = 90
# The longest range a report covers (two years, a leap day included), and the most of one
# reflection or prompt answer it prints: so that one report costs seconds, not minutes,
# whatever the person has written (README, "Bounds").
RANGE_MAX_DAYS = 731
TEXT_MAX = 3_000
RECENT_DAYS = 7
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
DASH = "\u2014"
PLACEHOLDER = "\u25a1"
# Where a line of Chinese, Japanese or Korean text does not break: before closing punctuation,
# small kana and iteration marks, and after opening brackets.
NO_LINE_START = frozenset(
    "、。，．・：；？！）」』】〕〉》］｝〜ー々ゝゞヽヾぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ)]}"
)
NO_LINE_END = frozenset("「『（【〔〈《［｛([{")
# Format characters, combining marks and modifiers: dropped when the font lacks them.
INVISIBLE = ("Cf", "Mn", "Me", "Sk")
# Page 1 lists the latest flagged days, up to this many, when the Flagged days section is on.
FIRST_PAGE_FLAGS = 6
FIRST_ROWS_KEPT = 3
# Room a table section's heading needs below it: its note, the headings and a few rows.
TABLE_START = 50

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "dejavu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# For what DejaVu Sans lacks, in this order, where Debian's packages put them (fonts-noto-cjk,
# fonts-noto-color-emoji): family -> {style: file}. A family whose files are missing is skipped.
NOTO = Path("/usr/share/fonts")
FALLBACK_FONTS = {
    "cjk": {
        "": NOTO / "opentype/noto/NotoSansCJK-Regular.ttc",
        "B": NOTO / "opentype/noto/NotoSansCJK-Bold.ttc",
    },
    "emoji": {"": NOTO / "truetype/noto/NotoColorEmoji.ttf"},
}

# Colours (RGB): text and muted text at least 4.5:1 on white, as on the web.
TEXT = (26, 26, 26)
MUTED = (85, 91, 102)
RULE = (200, 204, 210)
SHADE = (243, 244, 246)
ALERT = (168, 50, 0)


# Fetching


def default_range(person):
    """The last 90 days, ending today in the person's time zone: (start, end)."""
    end = timezones.local_today(person.timezone)
    return end - timedelta(days=DEFAULT_DAYS - 1), end


def _session_row(row, figures, days=None):
    """What the report shows of one session: named fields only, never its words. `days`
    names the window days its figures stand on (progress.window_label)."""
    return {
        "number": row["number"],
        "day": date.fromisoformat(row["day"]),
        "product": LABELS["products"].get(row["product"], row["product"]),
        "route": LABELS["routes"].get(row["route"], row["route"]),
        "dose_mg": row["dose_mg"],
        "dose_mg_per_kg": row["dose_mg_per_kg"],
        "mood_before": row["mood_before"],
        "mood_after": row["mood_after"],
        "dissociation": row["dissociation"],
        "side_effects": [
            LABELS["side_effects"].get(key, key) for key in row["side_effects"].split(",") if key
        ],
        # Free text: it follows the session's "keep private", as its reflection does.
        "side_effects_other": "" if row["private"] else row["side_effects_other"],
        "figures": figures,
        "window": days,
    }


def _scores(person, kind, end, first_session):
    """(summary as of `end` with the latest score's date and the baseline's band, scores)."""
    scores = [(d, total) for d, total in progress.assessment_scores(person.id, kind) if d <= end]
    summary = (windows.phq9_summary if kind == "phq9" else windows.gad7_summary)(
        scores, first_session
    )
    summary["latest_day"] = scores[-1][0] if scores else None
    summary["baseline_band"] = instruments.band(kind, summary["baseline"])
    # The safety item of the latest PHQ-9, shown beside its total: an answer above 0 calls for
    # follow-up whatever the total (CLINICAL.md).
    summary["latest_item9"] = (
        progress.latest_item9(person.id, kind, end) if kind == "phq9" else None
    )
    return summary, scores


def report_data(person, start, end):
    """Everything the report shows of `person` from `start` to `end`, as a plain dict.

    Needs an application context (it reads the database); the result holds only dates,
    numbers, strings, lists and dicts, and only what a therapist may see. A range longer
    than RANGE_MAX_DAYS is refused (the form says so first).
    """
    if (end - start).days + 1 > RANGE_MAX_DAYS:
        raise ValueError(f"A report covers at most {RANGE_MAX_DAYS} days.")
    points = progress.metric_points(person.id)
    sessions = progress.session_rows(person.id)
    base, figures = progress.window_figures(person, sessions, points)
    first_session = date.fromisoformat(sessions[0]["day"]) if sessions else None
    phq9, phq9_scores = _scores(person, "phq9", end, first_session)
    gad7, gad7_scores = _scores(person, "gad7", end, first_session)
    window_days = person.window_days
    # Check-ins are counted from the person's first day when it is later than the start, and
    # the charts (and their words) start there too, as on the progress page: "6 of 32 days"
    # on page 1 and "6 of 90" under the chart would contradict each other.
    first_day = progress.start_day(person)
    counted_from = max(start, first_day or start)
    shown_from = counted_from if counted_from <= end else start
    timeline = progress.timeline_data(points, sessions, window_days, shown_from, end, "Mood", 10)
    overlay, _, used = progress.overlay_data(points, sessions, window_days, shown_from, end, "Mood")
    scores_chart = progress.assessments_data(phq9_scores, gad7_scores, sessions, shown_from, end)
    labels = progress.window_labels(sessions, window_days, end)  # as of the end of the range
    in_range = [
        _session_row(row, figs, days)
        for (row, figs), days in zip(figures, labels, strict=True)
        if start <= date.fromisoformat(row["day"]) <= end
    ]
    recent_start = max(start, end - timedelta(days=RECENT_DAYS - 1))
    return {
        "name": person.shared_name,
        "timezone": person.timezone,
        "start": start,
        "end": end,
        "made_on": timezones.local_today(person.timezone),
        "window_days": window_days,
        "baseline": base,
        "recent": {
            "start": recent_start,
            "end": end,
            "mean": windows.mean_between(points, recent_start, end),
        },
        "checkin_days": len(timeline["points"]),
        "counted_from": counted_from,
        "assessment_count": len(scores_chart["phq9"]) + len(scores_chart["gad7"]),
        "sessions_total": len(sessions),
        "sessions": in_range,
        "phq9": phq9,
        "gad7": gad7,
        "flags": sharing.flagged_days(person.id, start, end),
        "reflections": sharing.shared_reflections(person.id, start, end),
        "charts": {
            "mood-timeline": (timeline, progress.describe_timeline(timeline)),
            "window-overlay": (overlay, progress.describe_overlay(overlay, base, used)),
            "assessments": (scores_chart, progress.describe_assessments(scores_chart)),
        },
    }


def report_pdf(person, start, end, sections=SECTIONS):
    """The PDF report of `person` from `start` to `end` with `sections`, as bytes."""
    return build_pdf(report_data(person, start, end), sections)


def filename(start, end):
    """The download's file name."""
    return f"afterglow-report-{start.isoformat()}-{end.isoformat()}.pdf"


def pdf_response(person, start, end, sections=SECTIONS):
    """The report as a download that no cache keeps."""
    return Response(
        report_pdf(person, start, end, sections),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename(start, end)}"',
            "Cache-Control": "no-store",
        },
    )


# Text the font can show


def _code_points(path):
    font = TTFont(path, lazy=True, fontNumber=0)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


@cache
def _covered(style=""):
    """Code points DejaVu Sans in `style` ("" or "B") has a glyph for."""
    return _code_points(FONT_DIR / FONT_FILES[style])


@cache
def fallback_fonts():
    """{family: (files by style, code points)} of the FALLBACK_FONTS installed here."""
    found = {}
    for family, files in FALLBACK_FONTS.items():
        if all(Path(path).is_file() for path in files.values()):
            found[family] = (files, _code_points(files[""]))
    return found


@cache
def _fallback_covered():
    return frozenset().union(*(points for _, points in fallback_fonts().values()))


def printable(text, style=""):
    """`text` as the report prints it: every character one of the embedded fonts can show.

    A character DejaVu Sans (in `style`) has is kept. One it lacks is dropped if it is a mark
    that only shaping could place (a joiner, a variation selector, a skin-tone modifier, a
    combining mark), kept if a fallback font has it, and otherwise becomes PLACEHOLDER, so an
    emoji sequence is one emoji or one square. Tabs become spaces; line breaks are normalised.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    if text.isascii():
        return text
    # Composed, so a mark the font cannot place on its letter (a decomposed が, é) is not lost;
    # only then, since NFC also swaps CJK compatibility ideographs (used in names) for others.
    if any(unicodedata.combining(char) for char in text):
        text = unicodedata.normalize("NFC", text)
    covered = _covered(style)
    out = []
    for char in text:
        if char == "\n" or ord(char) in covered:
            out.append(char)
        elif unicodedata.category(char) in INVISIBLE or "\ufe00" <= char <= "\ufe0f":
            continue
        elif ord(char) in _fallback_covered():
            out.append(char)
        else:
            out.append(PLACEHOLDER)
    return "".join(out)


def _wide(char):
    return unicodedata.east_asian_width(char) in ("W", "F")


def _lacks_glyphs(text):
    return PLACEHOLDER in printable(text) and PLACEHOLDER not in text


# Formatting


def day_text(day):
    """A date as "3 Mar 2026"."""
    return f"{day:%-d %b %Y}"


def long_day(day):
    """A date as "Tue 3 Mar 2026"."""
    return f"{day:%a %-d %b %Y}"


def _iso_day(text):
    return date.fromisoformat(text)


def _num(value, fmt=None):
    """A figure to one decimal (rounded half up, numbers.figure), or with `fmt`; DASH for None."""
    if value is None:
        return DASH
    return numbers.figure(value) if fmt is None else fmt.format(value)


def _dose(row):
    parts = []
    if row["dose_mg"] is not None:
        parts.append(f"{row['dose_mg']:g} mg")
    if row["dose_mg_per_kg"] is not None:
        parts.append(f"{row['dose_mg_per_kg']:g} mg/kg")
    if len(parts) == 2:
        return f"{parts[0]} ({parts[1]})"
    return parts[0] if parts else DASH


def _moods(row):
    before, after = row["mood_before"], row["mood_after"]
    if before is None and after is None:
        return DASH
    return f"{_num(before, '{}')} \u2192 {_num(after, '{}')}"


def _side_effects(row):
    names = list(row["side_effects"])
    if row["side_effects_other"]:
        names = [n for n in names if n != LABELS["side_effects"]["other"]]
        names.append(row["side_effects_other"])
    return ", ".join(names) if names else DASH


def _score_text(summary, has_session):
    if summary["latest"] is None:
        return "none on or before the end of this range"
    text = f"{summary['latest']} ({summary['band']}) on {day_text(summary['latest_day'])}"
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


class ReportDocument(FPDF):
    """US Letter pages with a running head after page 1 and the self-report footer on all.

    Text is wrapped here rather than by fpdf2's `multi_cell` and `table`: they measure every
    character through the general text engine, which made a two-year report take seconds.
    `wrap` measures each character once per font and size, breaks at spaces (and inside a
    word too wide for its column, so nothing runs off the page) and keeps line breaks;
    `lines_at` prints each line and starts a new page when one is full, so the header and
    footer come with every page.
    """

    def __init__(self, running_head):
        super().__init__(orientation="portrait", unit="mm", format="letter")
        self.running_head = running_head
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(FONT_DIR / name))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=22)
        self.c_margin = 0
        self.set_creator("Afterglow")
        self.set_text_color(*TEXT)
        self._char_widths = {}

    def _font_of(self, char, style):
        """The family that draws `char` in `style`: FONT, or the first fallback font with it.

        A fallback font is loaded (in `style` where it has one) when a character first needs
        it: each takes a moment to load and to subset at output.
        """
        if char == "\n" or ord(char) in _covered(style) or char == PLACEHOLDER:
            return FONT
        for family, (files, points) in fallback_fonts().items():
            if ord(char) in points:
                font_style = style if style in files else ""
                if f"{family}{font_style}" not in self.fonts:
                    self.add_font(family, font_style, str(files[font_style]))
                    # Measuring with fpdf2 then counts the character in the font that draws it.
                    loaded = {key.rstrip("BI") for key in self.fonts}
                    self.set_fallback_fonts(
                        [name for name in FALLBACK_FONTS if name in loaded], exact_match=False
                    )
                return family
        return FONT

    def _runs(self, line, style):
        """`line` cut into (family, text) runs, each drawn in one font."""
        runs = []
        for char in line:
            family = self._font_of(char, style)
            if runs and runs[-1][0] == family:
                runs[-1][1] += char
            else:
                runs.append([family, char])
        return runs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # fpdf2 keeps each font file open for subsetting at output; close them when done.
        for font in self.fonts.values():
            if hasattr(font, "close"):
                font.close()

    def header(self):
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        lines = self.wrap(self.running_head, self.width - self.text_width("\u2026"))
        head = lines[0] + ("\u2026" if len(lines) > 1 else "")
        self.lines_at([head], self.l_margin, 5)
        self.ln(3)
        self.set_text_color(*TEXT)

    def footer(self):
        self.set_y(-16)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, FOOTER)
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*TEXT)

    # Measuring and wrapping

    @property
    def width(self):
        """The width between the margins."""
        return self.w - self.l_margin - self.r_margin

    def room(self):
        """Height left above the bottom margin on this page."""
        return self.page_break_trigger - self.get_y()

    def keep(self, height):
        """Start a new page unless `height` fits on this one."""
        if self.room() < height:
            self.add_page()

    def text_width(self, text):
        """Width of `text` in the current font and size, each character measured once."""
        key = (self.font_family, self.font_style, self.font_size_pt)
        widths = self._char_widths.setdefault(key, {})
        total = 0.0
        for char in text:
            width = widths.get(char)
            if width is None:
                self._font_of(char, self.font_style)
                width = widths[char] = self.get_string_width(char)
            total += width
        return total

    def wrap(self, text, width):
        """The lines of `text` (already printable) that fit `width` in the current font."""
        space = self.text_width(" ")
        lines = []
        for paragraph in text.strip("\n").split("\n"):
            line, line_width = "", 0.0
            for word in paragraph.split():
                word_width = self.text_width(word)
                if line and line_width + space + word_width <= width:
                    line, line_width = f"{line} {word}", line_width + space + word_width
                    continue
                if line:
                    # Chinese, Japanese and Korean text breaks between characters: fill the line.
                    head = self._wide_head(word, width - line_width - space)
                    if head:
                        line, word = f"{line} {head}", word[len(head) :]
                        word_width = self.text_width(word)
                    lines.append(line)
                while word_width > width:
                    head = self._wide_head(word, width) or self._fit(word, width)
                    lines.append(head)
                    word = word[len(head) :]
                    word_width = self.text_width(word)
                line, line_width = word, word_width
            lines.append(line)
        return lines

    def _wide_head(self, word, width):
        """The longest start of `word` that fits `width` and ends where Chinese, Japanese or
        Korean text may break: beside a wide character, not before closing punctuation or
        after an opening bracket."""
        if word.isascii():
            return ""
        used, best = 0.0, 0
        for n, char in enumerate(word[:-1]):
            used += self.text_width(char)
            if used > width:
                break
            following = word[n + 1]
            if (
                (_wide(char) or _wide(following))
                and following not in NO_LINE_START
                and char not in NO_LINE_END
            ):
                best = n + 1
        return word[:best]

    def _fit(self, word, width):
        """The longest start of `word` that fits `width` (at least one character)."""
        used = 0.0
        for n, char in enumerate(word):
            used += self.text_width(char)
            if used > width:
                return word[: max(n, 1)]
        return word

    # Building blocks

    def lines_at(self, lines, x, height):
        """Print `lines` one under the other at `x`, starting a new page when one is full.

        `text` rather than `cell`: a line is already known to fit, and `cell` costs three
        times as much. A line with characters from fallback fonts is printed run by run.
        """
        for line in lines:
            if self.y + height > self.page_break_trigger:
                self.add_page()
            if line:
                self.print_line(x, self.y + 0.5 * height + 0.3 * self.font_size, line)
            self.y += height

    def print_line(self, x, baseline, line):
        """`line` at `x` on `baseline`, each run in the font that has its characters."""
        if line.isascii():
            self.text(x, baseline, line)
            return
        style, size = self.font_style, self.font_size_pt
        for family, run in self._runs(line, style):
            fonts = fallback_fonts()[family][0] if family != FONT else FONT_FILES
            self.set_font(family, style if style in fonts else "", size)
            self.text(x, baseline, run)
            x += self.text_width(run)
        self.set_font(FONT, style, size)

    def para(self, text, size=10, style="", colour=TEXT):
        """A paragraph across the page, wrapped; long ones run on over pages."""
        self.set_font(FONT, style, size)
        self.set_text_color(*colour)
        self.lines_at(self.wrap(printable(text, style), self.width), self.l_margin, size * 0.48)
        self.set_text_color(*TEXT)

    def heading(self, text, size=14, space=6, keep=18):
        """A bold heading, kept on the page with `keep` mm of what follows."""
        self.keep(size * 0.5 + keep)
        if self.get_y() > self.t_margin + 12:
            self.ln(space)
        self.para(text, size, "B")
        self.ln(1.5)

    def layout(self, cells, widths, height, pad=0.0):
        """Wrap a row of cells [(text, size, style, colour)]: (wrapped cells, row height)."""
        wrapped = []
        for (text, size, style, colour), width in zip(cells, widths, strict=True):
            self.set_font(FONT, style, size)
            wrapped.append(
                (self.wrap(printable(text, style), width - 2 * pad), size, style, colour)
            )
        return wrapped, max(len(lines) for lines, *_ in wrapped) * height + 2 * pad

    def draw_row(self, laid_out, widths, height, pad=0.0, fill=None, rule=False):
        """Draw a row from `layout` here, then move below it."""
        wrapped, row_height = laid_out
        top, x = self.get_y(), self.l_margin
        if fill:
            self.set_fill_color(*fill)
            self.rect(self.l_margin, top, sum(widths), row_height, style="F")
        for (lines, size, style, colour), width in zip(wrapped, widths, strict=True):
            self.set_font(FONT, style, size)
            self.set_text_color(*colour)
            self.set_y(top + pad)
            self.lines_at(lines, x + pad, height)
            x += width
        self.set_text_color(*TEXT)
        self.set_xy(self.l_margin, top + row_height)
        if rule:
            self.set_draw_color(*RULE)
            self.line(self.l_margin, self.get_y(), self.l_margin + sum(widths), self.get_y())

    def pairs(self, rows, label_width=48):
        """Label and value rows, the value wrapping in its own column; a row stays on a page."""
        widths = (label_width, self.width - label_width)
        for label, value in rows:
            laid_out = self.layout([(label, 10, "", MUTED), (value, 10, "", TEXT)], widths, 5)
            self.keep(laid_out[1])
            self.draw_row(laid_out, widths, 5)
            self.ln(0.8)

    def table_of(self, headings, rows, widths, size=8):
        """A table with horizontal rules, its headings repeated on every page it spans.

        A row is kept on one page (cells here are short: dates, figures, labels).
        """
        height, pad = size * 0.45, 1.2
        widths = self.column_widths(headings, rows, widths, size, pad)
        head = self.layout([(h, size, "B", TEXT) for h in headings], widths, height, pad)
        body = [
            self.layout([(str(c), size, "", TEXT) for c in cells], widths, height, pad)
            for cells in rows
        ]
        # The headings and the first rows start a table together, never the headings alone.
        self.keep(head[1] + sum(row_height for _, row_height in body[:FIRST_ROWS_KEPT]))
        self.draw_row(head, widths, height, pad, fill=SHADE, rule=True)
        for laid_out in body:
            if self.room() < laid_out[1]:
                self.add_page()
                self.draw_row(head, widths, height, pad, fill=SHADE, rule=True)
            self.draw_row(laid_out, widths, height, pad, rule=True)

    def column_widths(self, headings, rows, weights, size, pad):
        """Column widths across the page in proportion to `weights`, each widened to hold its
        longest word (headings in bold, then cells) on one line, taking the room from columns
        that have some to spare: "Check-ins" must not print as "Check-in" over "s".

        Cells' words count only while every column's longest word fits the page together, then
        the headings' alone; where even those cannot fit, the proportions stand.
        """
        total = sum(weights)
        widths = [self.width * w / total for w in weights]

        def longest(texts, style):
            self.set_font(FONT, style, size)
            words = [word for text in texts for word in printable(str(text), style).split()]
            return max(map(self.text_width, words), default=0.0) + 2 * pad + 0.01

        heads = [longest([h], "B") for h in headings]
        cells = [max(h, longest([row[n] for row in rows], "")) for n, h in enumerate(heads)]
        for need in (cells, heads):
            if sum(need) > self.width:
                continue
            short = sum(max(0.0, n - w) for n, w in zip(need, widths, strict=True))
            spare = sum(max(0.0, w - n) for n, w in zip(need, widths, strict=True))
            return [
                max(n, w - short * (w - n) / spare if spare else w)
                for n, w in zip(need, widths, strict=True)
            ]
        return widths

    def figure_boxes(self, boxes):
        """A row of shaded boxes: a label, a large figure and a note under it.

        The label and note wrap to two lines at most; the figure stays on one line, in a
        smaller size if it must ("Remission" is wider than a box at full size).
        """
        gap, height, pad = 3, 27, 2
        width = (self.width - gap * (len(boxes) - 1)) / len(boxes)
        inner = width - 2 * pad
        self.keep(height + 4)
        top = self.get_y()
        for n, (label, figure, note, colour) in enumerate(boxes):
            x = self.l_margin + n * (width + gap)
            self.set_fill_color(*SHADE)
            self.rect(x, top, width, height, style="F")
            figure = printable(figure, "B")
            figure_size = 16
            self.set_font(FONT, "B", figure_size)
            while figure_size > 9 and self.text_width(figure) > inner:
                figure_size -= 1
                self.set_font(FONT, "B", figure_size)
            for text, size, style, tint, y, line_height in (
                (label, 8, "", MUTED, 2, 3.8),
                (figure, figure_size, "B", colour, 9.5, 7),
                (note, 7.5, "", MUTED, 18, 3.3),
            ):
                self.set_font(FONT, style, size)
                self.set_text_color(*tint)
                self.set_y(top + y)
                lines = self.wrap(printable(text, style), inner)
                self.lines_at(lines[: 1 if text is figure else 2], x + pad, line_height)
        self.set_text_color(*TEXT)
        self.set_xy(self.l_margin, top + height + 4)


def build_pdf(data, sections=SECTIONS):
    """The report of `data` (from report_data) with `sections` after page 1, as PDF bytes.

    Pure: no Flask, no SQL; charts are drawn here, so a report without them draws none.
    """
    span = f"{day_text(data['start'])} to {day_text(data['end'])}"
    with ReportDocument(printable(f"Afterglow report \u00b7 {data['name']} \u00b7 {span}")) as pdf:
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
        f"{span} ({plural(days, 'day')}) \u00b7 made {day_text(data['made_on'])}"
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
    pdf.figure_boxes(
        [
            ("Mood, last 7 days", _num(recent["mean"]), mood_note, TEXT),
            (
                "PHQ-9 (depression)",
                _num(phq9["latest"], "{}"),
                (
                    f"{phq9['band']}; item 9 answered {phq9['latest_item9']} of 3"
                    if phq9["latest_item9"]
                    else phq9["band"] or "none yet"
                ),
                ALERT if phq9["latest_item9"] else TEXT,
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
        rows.append(
            (
                "First and last",
                f"{day_text(sessions[0]['day'])} and {day_text(sessions[-1]['day'])}",
            )
        )
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
    if counted < 1:
        checkins = f"none: the journal starts on {day_text(data['counted_from'])}, after this range"
    elif data["counted_from"] > data["start"]:
        checkins += f" (counted from {day_text(data['counted_from'])}, the journal's first day)"
    rows.append(("Check-ins", checkins))
    pdf.pairs(rows)

    pdf.heading("Mood and check-ups", size=12, space=3)
    if base is None:
        base_text = "not established: it needs 3 check-ins in the 14 days before the first session"
    else:
        base_text = f"{numbers.figure(base)} of 10 (mean of the 14 days before the first session)"
    if recent["mean"] is None:
        recent_text = "no check-ins in the last 7 days of this range"
    else:
        recent_text = (
            f"{numbers.figure(recent['mean'])} of 10 ({day_text(recent['start'])} to "
            f"{day_text(recent['end'])})"
        )
    rows = [
        ("Baseline mood", base_text),
        ("Mood, last 7 days", recent_text),
        ("PHQ-9", _score_text(phq9, bool(data["sessions_total"]))),
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
    if not flags:
        pdf.para("No days flagged in this range.")
    else:
        pdf.para(
            f"{plural(len(flags), 'day')} flagged in this range.",
            style="B",
            colour=ALERT,
        )
        # Page 1 stays one page: the latest few, however many there are.
        shown = flags[-FIRST_PAGE_FLAGS:]
        pdf.pairs([(day_text(_iso_day(f["day"])), "; ".join(f["reasons"])) for f in shown], 30)
        earlier = len(flags) - len(shown)
        if earlier:
            where = "under Flagged days" if "flags" in sections else "in the full report"
            pdf.para(
                f"The {plural(earlier, 'earlier flagged day')} {'is' if earlier == 1 else 'are'} "
                f"{where}.",
                size=9,
                colour=MUTED,
            )
    pdf.para(
        f"A day is flagged for {sharing.FLAG_RULE}. Entries are not watched in real time.",
        size=8,
        colour=MUTED,
    )
    pdf.ln(2)
    included = [SECTION_LABELS[s] for s in SECTIONS if s in sections]
    pdf.para(
        "In this report: " + ("; ".join(included) if included else "this summary only") + ".",
        size=9,
        colour=MUTED,
    )


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
        figure = progress.DRAW[name](**kwargs, theme="light")
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
    pdf.heading("Sessions", keep=TABLE_START)
    if not data["sessions"]:
        pdf.para("No sessions in this range.")
        return
    rows = [
        (
            f"#{s['number']}",
            day_text(s["day"]),
            f"{s['product']}, {s['route']}",
            _dose(s),
            _moods(s),
            _num(s["dissociation"], "{}"),
            _side_effects(s),
        )
        for s in data["sessions"]
    ]
    pdf.table_of(
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
    pdf.para(
        "Moods are 0\u201310. Dissociation is the patient's own 0\u201310 rating, not a "
        "validated scale.",
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
                day_text(s["day"]),
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
            "Mood 3 days before",
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
    pdf.heading("Flagged days", keep=TABLE_START)
    if not data["flags"]:
        pdf.para("No days flagged in this range.")
        return
    pdf.table_of(
        ("Date", "Why"),
        [(long_day(_iso_day(f["day"])), "; ".join(f["reasons"])) for f in data["flags"]],
        (1, 3),
        size=9.5,
    )


def _reflections(pdf, data):
    pdf.heading(f"Reflections shared by {data['name']}")
    items = data["reflections"]
    if not items:
        pdf.para("No shared reflections in this range.")
        return
    texts = [item["text"] for item in items] + [
        answer for item in items for pair in item["answers"] for answer in pair
    ]
    if any(_lacks_glyphs(text) for text in texts):
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
        pdf.para(f"{long_day(_iso_day(item['day']))} \u00b7 {item['kind']}", size=9.5, style="B")
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


# The form and the download


class SectionsField(ChecklistField):
    """The section checkboxes; the form's hidden empty value is not a section."""

    def process_formdata(self, valuelist):
        super().process_formdata([value for value in valuelist if value])


class ReportForm(Form):
    """Range and sections of a report, read from the query string (a GET form: no CSRF)."""

    start = StringField("From", filters=[strip], render_kw={"type": "date"})
    end = StringField("To", filters=[strip], render_kw={"type": "date"})
    sections = SectionsField(
        "Sections after the summary page",
        [(key, SECTION_LABELS[key]) for key in SECTIONS],
        "Choose sections from the list: " + ", ".join(SECTIONS) + ".",
    )

    def __init__(self, formdata, today, default):
        super().__init__(formdata)
        self.today = today
        self.default = default
        self.day = {}
        if formdata is None or "sections" not in formdata:
            self.sections.data = list(SECTIONS)
        if not self.start.data:
            self.start.data = default[0].isoformat()
        if not self.end.data:
            self.end.data = default[1].isoformat()

    def validate_start(self, field):
        self.day["start"] = check_local_day(
            field.data, self.today, "A report can start today at the latest."
        )

    def validate_end(self, field):
        end = check_local_day(
            field.data,
            self.today,
            "A report can end today at the latest; choose today or a past day.",
        )
        start = self.day.get("start")
        if start and start > end:
            raise ValidationError(
                f"This is before the start ({day_text(start)}); choose the same day or later."
            )
        if start and (end - start).days + 1 > RANGE_MAX_DAYS:
            last = start + timedelta(days=RANGE_MAX_DAYS - 1)
            raise ValidationError(
                f"A report covers at most {RANGE_MAX_DAYS} days (two years): choose "
                f"{day_text(last)} or earlier, or a later start."
            )
        self.day["end"] = end

    def chosen(self):
        """The chosen sections, in the report's order."""
        return tuple(s for s in SECTIONS if s in self.sections.data)


def report_form(person, formdata):
    """The report form for `person`, filled from `formdata` (None: the defaults)."""
    return ReportForm(formdata, timezones.local_today(person.timezone), default_range(person))


@bp.route("/report")
@login_required
def form():
    return render_template("reports/form.html", form=report_form(current_user, None))


@bp.route("/report.pdf")
@login_required
def download():
    form = report_form(current_user, request.args)
    if not form.validate():
        return render_template("reports/form.html", form=form), 400
    response = pdf_response(current_user, form.day["start"], form.day["end"], form.chosen())
    return account.export_recorded(response, "report.pdf")  # issue 5: "Recent activity"
