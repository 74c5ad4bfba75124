"""The report's fonts and layout engine: fpdf2 drawing from plain values, no journal imports.

`ReportDocument` is a US Letter fpdf2 document with a running head after page 1 and a footer
on every page, and the building blocks the report's pages are drawn with (paragraphs,
headings, label and value pairs, tables, figure boxes). `printable` makes text the embedded
fonts can show. Nothing here knows what a report says: the page content (`pages`) passes
text, sizes and colours in.

Why fpdf2: pure Python (no system libraries to install), maintained, small, and it embeds
subsets of TrueType fonts (so any text the font covers is printed, searchable and copyable),
PNG images, a header and footer on every page and a total-page count. ReportLab would do too,
but is larger for what this needs. fpdf2's own `multi_cell` and `table` wrap text as well, but
measure it character by character through its general text engine, which took seconds for a
two-year report; `ReportDocument` wraps text itself (see there) and uses fpdf2 to place it.

Fonts: DejaVu Sans (regular and bold) from matplotlib's own data folder, so the charts and
the text share one face. It covers Latin, Greek, Cyrillic, Hebrew and many symbols; for the
rest, FALLBACK_FONTS from Debian's packages (`make run` and `make test` install them): Noto
Sans CJK for Chinese, Japanese and Korean, Noto Color Emoji for emoji. They are loaded only
for a report whose text needs them, and read for each (reading Noto CJK's two faces takes
0.4 s; kept, they would hold 34 MB in every worker that ever printed one), while DejaVu is
read once per process (`_read_font`). Subsetting Noto CJK at output costs most of a second.
A character no font has (or every character, where the packages are missing) is printed as
PLACEHOLDER (a white square) rather than silently dropped or left to fpdf2's missing-glyph
log. Without text shaping (fpdf2 needs uharfbuzz for it) joiners, variation selectors,
skin-tone modifiers and combining marks that DejaVu lacks are dropped: an emoji sequence
prints as its plain emoji, a family as its members. Right-to-left scripts are printed
unshaped, in the order they are read (a line holding right-to-left letters is reordered by
the Unicode bidi algorithm, python-bidi: typed order would print Hebrew backwards): legible
for Hebrew, poor for Arabic. Han characters take the Japanese forms of the collection's
first face.
"""

import copy
import os
import threading
import unicodedata
from functools import cache
from pathlib import Path

import matplotlib
from bidi import get_display
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import TextEmphasis
from fpdf.font_type_3 import get_color_font_object
from fpdf.fonts import SubsetMap
from fpdf.fonts import TTFFont as PdfFont

PLACEHOLDER = "\u25a1"
# Unicode's right-to-left bidi classes (Hebrew; Arabic, Syriac, Thaana...).
RIGHT_TO_LEFT = frozenset({"R", "AL"})
# Where a line of Chinese, Japanese or Korean text does not break: before closing punctuation,
# small kana and iteration marks, and after opening brackets.
NO_LINE_START = frozenset(
    "、。，．・：；？！）」』】〕〉》］｝〜ー々ゝゞヽヾぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ)]}"
)
NO_LINE_END = frozenset("「『（【〔〈《［｛([{")
# Format characters, combining marks and modifiers: dropped when the font lacks them.
INVISIBLE = ("Cf", "Mn", "Me", "Sk")
# A table keeps its headings on a page with at least this many of its first rows.
FIRST_ROWS_KEPT = 3

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "dejavu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
READ_ONCE = frozenset(str(FONT_DIR / name) for name in FONT_FILES.values())  # _read_font
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


def visual(text):
    """`text` in the order its characters are painted left to right: reordered by the Unicode
    bidi algorithm when it holds right-to-left letters, else as it is."""
    if text.isascii() or not any(unicodedata.bidirectional(c) in RIGHT_TO_LEFT for c in text):
        return text
    return get_display(text)


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


def lacks_glyphs(text):
    """True when `text` has a character no embedded font can show (printed as PLACEHOLDER)."""
    return PLACEHOLDER in printable(text) and PLACEHOLDER not in text


# Fonts read once


_READ_FONTS = {}  # font file -> (its stat key, fpdf2's font read from it, in no document)
_READ_FONTS_LOCK = threading.Lock()


def _read_font(path):
    """fpdf2's font for the file at `path` (one of READ_ONCE, DejaVu's two faces), read once
    per process, and again if the file changes (an upgrade): its character map, widths and
    glyph ids, which fpdf2 reads afresh for every document, 60 ms of each report. Only those
    are kept (9 MB): the parsed font file is closed, as each document opens its own."""
    info = os.stat(path)
    key = (info.st_ino, info.st_mtime_ns, info.st_size)
    with _READ_FONTS_LOCK:
        kept = _READ_FONTS.get(path)
        if kept is None or kept[0] != key:
            font = PdfFont(FPDF(), Path(path), "", "")
            font.ttfont.close()
            font.ttfont = font.color_font = None  # each document opens its own
            kept = _READ_FONTS[path] = (key, font)
        return kept[1]


# The document


class ReportDocument(FPDF):
    """US Letter pages with a running head after page 1 and `footer` on all (with the page
    number and the total).

    Text is wrapped here rather than by fpdf2's `multi_cell` and `table`: they measure every
    character through the general text engine, which made a two-year report take seconds.
    `wrap` measures each character once per font and size, breaks at spaces (and inside a
    word too wide for its column, so nothing runs off the page) and keeps line breaks;
    `lines_at` prints each line and starts a new page when one is full, so the header and
    footer come with every page.
    """

    def __init__(self, running_head, footer=""):
        super().__init__(orientation="portrait", unit="mm", format="letter")
        self.running_head = running_head
        self.footer_text = footer
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(FONT_DIR / name))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=22)
        self.c_margin = 0
        self.set_creator("Afterglow")
        self.set_text_color(*TEXT)
        self._char_widths = {}

    def add_font(self, family, style="", fname=None, **options):
        """fpdf2's add_font, with DejaVu's two faces read once per process (`_read_font`).

        A document gets its own copy of what it changes: its index, the subset of characters it
        prints, the font descriptor its output numbers, its widths (measuring a character the
        font lacks adds it), and the font file opened afresh (lazily: only the tables its
        output reads), since writing the subset rewrites it. The character map and glyph ids
        are shared; nothing writes to them. Any other font (Noto's, a variable font, a Unicode
        range, a palette) goes to fpdf2 itself.
        """
        fontkey = f"{family.lower()}{style}"
        if options or str(fname) not in READ_ONCE or fontkey in self.fonts:
            return super().add_font(family, style, fname, **options)
        font = copy.copy(_read_font(str(fname)))
        font.cw = font.cw.copy()
        font.i = len(self.fonts) + 1
        font.fontkey = fontkey
        font.emphasis = TextEmphasis.coerce(style)
        font.desc = copy.copy(font.desc)
        font.ttfont = TTFont(font.ttffile, recalcTimestamp=False, fontNumber=0, lazy=True)
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.color_font = get_color_font_object(self, font, 0) if self.render_color_fonts else None
        self.fonts[fontkey] = font
        if font.is_cff and font.is_cid_keyed:
            self._set_min_pdf_version("1.6")

    def _font_of(self, char, style):
        """The family that draws `char` in `style`: FONT, or the first fallback font with it.

        A fallback font is loaded (in `style` where it has one) when a character first needs
        it: each takes a moment to subset at output.
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
        self.cell(0, 5, visual(self.footer_text))
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
        """`line` at `x` on `baseline`, each run in the font that has its characters, in the
        order it is read (`visual`)."""
        if line.isascii():
            self.text(x, baseline, line)
            return
        line = visual(line)
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

    def para_height(self, text, size=10, style=""):
        """The height `para` takes for `text` (to fit what comes before it to the room left)."""
        self.set_font(FONT, style, size)
        return len(self.wrap(printable(text, style), self.width)) * size * 0.48

    def heading(self, text, size=14, space=6, keep=18):
        """A bold heading, kept on the page with `keep` mm of what follows: the room for its
        own space above, line and gap below is counted too (only `keep` and half a line were,
        so a heading whose `keep` just fitted printed alone at the foot of the page)."""
        above = space if self.get_y() > self.t_margin + 12 else 0
        self.keep(above + size * 0.48 + 1.5 + keep)
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
        for laid_out in self._pair_rows(rows, widths):
            self.keep(laid_out[1])
            self.draw_row(laid_out, widths, 5)
            self.ln(0.8)

    def pairs_height(self, rows, label_width=48):
        """The height `pairs` takes for `rows` on one page (to fit them to the room left)."""
        widths = (label_width, self.width - label_width)
        return sum(height + 0.8 for _, height in self._pair_rows(rows, widths))

    def _pair_rows(self, rows, widths):
        return [
            self.layout([(label, 10, "", MUTED), (value, 10, "", TEXT)], widths, 5)
            for label, value in rows
        ]

    def table_start(self, headings, rows, widths, size=8, notes=None, note_from=1):
        """The height `table_of` keeps together at a table's start: its headings and first
        rows (for a heading above it to keep: `heading(..., keep=table_start(...))`)."""
        _, head, _, _, heights, _ = self._table(headings, rows, widths, size, notes, note_from)
        return head[1] + sum(heights[:FIRST_ROWS_KEPT])

    def table_of(self, headings, rows, widths, size=8, notes=None, note_from=1):
        """A table with horizontal rules, its headings repeated on every page it spans.

        A row is kept on one page (cells here are short: dates, figures, labels). `notes`, one
        text (or None) for each row, adds a second line to its row: under the columns from
        `note_from` on, spanning them, for what would not fit as more columns.
        """
        height, pad = size * 0.45, 1.2
        widths, head, body, below, heights, note_widths = self._table(
            headings, rows, widths, size, notes, note_from
        )
        # The headings and the first rows start a table together, never the headings alone.
        self.keep(head[1] + sum(heights[:FIRST_ROWS_KEPT]))
        self.draw_row(head, widths, height, pad, fill=SHADE, rule=True)
        for laid_out, note, row_height in zip(body, below, heights, strict=True):
            if self.room() < row_height:
                self.add_page()
                self.draw_row(head, widths, height, pad, fill=SHADE, rule=True)
            self.draw_row(laid_out, widths, height, pad, rule=note is None)
            if note:
                self.set_y(self.get_y() - pad)
                self.draw_row(note, note_widths, height, pad, rule=True)

    def _table(self, headings, rows, widths, size, notes, note_from):
        """A table laid out: (column widths, headings row, rows, their notes, each row's
        height with its note, the notes' two widths)."""
        height, pad = size * 0.45, 1.2
        widths = self.column_widths(headings, rows, widths, size, pad)
        head = self.layout([(h, size, "B", TEXT) for h in headings], widths, height, pad)
        body = [
            self.layout([(str(c), size, "", TEXT) for c in cells], widths, height, pad)
            for cells in rows
        ]
        note_widths = [sum(widths[:note_from]), sum(widths[note_from:])]
        below = [
            self.layout([("", size, "", TEXT), (note, size, "", TEXT)], note_widths, height, pad)
            if note
            else None
            for note in (notes or [None] * len(rows))
        ]
        # A row and its note share the padding between them.
        heights = [
            laid_out[1] + (note[1] - pad if note else 0)
            for laid_out, note in zip(body, below, strict=True)
        ]
        return widths, head, body, below, heights, note_widths

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

        The label wraps to two lines at most and the note to three, the row growing for a
        third (a PHQ-9's band and its item-9 answer: a safety note is never cut short); the
        figure stays on one line, in a smaller size if it must ("Remission" is wider than a
        box at full size).
        """
        gap, height, pad, note_line = 3, 27, 2, 3.3
        width = (self.width - gap * (len(boxes) - 1)) / len(boxes)
        inner = width - 2 * pad
        self.set_font(FONT, "", 7.5)
        note_lines = max(len(self.wrap(printable(note, ""), inner)) for _, _, note, _ in boxes)
        height += note_line * max(0, min(note_lines, 3) - 2)
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
                (note, 7.5, "", MUTED, 18, note_line),
            ):
                self.set_font(FONT, style, size)
                self.set_text_color(*tint)
                self.set_y(top + y)
                lines = self.wrap(printable(text, style), inner)
                most = 1 if text is figure else 3 if text is note else 2
                self.lines_at(lines[:most], x + pad, line_height)
        self.set_text_color(*TEXT)
        self.set_xy(self.l_margin, top + height + 4)
