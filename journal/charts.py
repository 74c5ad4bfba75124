"""Charts for Afterglow: the mood timeline, the window overlay, the assessment scores and
the length of each session's lift.

Pure drawing: every function takes plain Python data (dates, numbers, strings) and returns a
matplotlib :class:`~matplotlib.figure.Figure`, built with ``Figure()`` and never with pyplot, so
nothing here touches pyplot's global figure registry and any number of web-server threads can
draw at once. ``to_svg`` (for the page) and ``to_png`` (for the PDF report) turn a figure into
bytes. No Flask, no SQL.

Decisions where DESIGN.md and STYLE.md are silent:

- Sized for a phone: 6.4 x 3.6 inches, shown at about 360 CSS px (a scale of 0.78), so text
  is 12-14 pt (never under 11), axes have few ticks and only the left and bottom spines.
  The assessments chart stacks two axes and is 6.4 x 4.8 inches so each keeps room for its
  five band labels.
- Text is DejaVu Sans, the font bundled with matplotlib, and the SVG stores glyphs as paths
  (``svg.fonttype = "path"``): it looks the same on every device and needs no web font.
  Mathtext is switched off for caller-supplied labels (a ``$`` is just a dollar sign).
- Colours are Okabe-Ito. Per theme only the ones with at least 3:1 contrast against the
  background are used for data (WCAG 1.4.11): blue and vermillion on white, sky blue and
  orange on the dark background. Text has at least 4.5:1.
- Daily values are joined only across consecutive days: a missing day is a NaN in the one line
  that draws them, so the line breaks. The rolling mean, which already spans 7 days, is joined
  across gaps of up to 7 days and broken across longer ones. Over more than 120 days the
  daily dots shrink and their line fades (below 3:1 on purpose) so the average, at full
  contrast, carries the trend.
- Every value with data is drawn, on the web and in the PDF: a line alone draws nothing at a
  point with no neighbour on either side, so daily values, each session's window and the
  check-up scores have a dot on every point, and the averages (rolling, overlay mean) a ring
  on each lone point (it often sits on a daily dot of the same value, which stays in sight).
- Figures come back laid out: the constrained layout runs once and is then frozen, so saving
  a figure twice, or two figures of the same data, gives identical bytes.
- Session labels are thinned when they would overlap (every session keeps its marker line).
  Window shading runs from the session's date to half a day after its last window day, so
  the last day's dot sits inside; it is cut at the next session's date.
- The window overlay's y axis is symmetric around 0 (at least +/-2, so that noise is not
  magnified into a trend) and its 0 tick reads "baseline", where no data line can cover the
  word. With 8 sessions or fewer each session gets its own colour (4 colours, then dashed)
  and a legend entry, drawn thin but opaque: translucency would take the lighter Okabe-Ito
  colours below 3:1 on white. With more sessions they share one colour, translucent, as a
  cloud behind the mean.
- The severity bands are shaded between half-points (a PHQ-9 band 5-9 covers 4.5-9.5), in
  a neutral grey that deepens with severity, and labelled in the right margin. The session
  key sits in its own row below the dates: beside them it ran into the last date label.
- The lift chart (6.4 inches wide, 0.3 inches a row: 6.4 x 5.0 for 12 rows) has one
  horizontal bar per session, the first at the top, its length the days the lift lasted,
  written beside it. Every bar is in the theme's primary colour (no alarm colours): solid
  when the lift ended; hatched, ending in an arrow and written "15+ days" when it was still
  going (a lower bound, so it must not look like a measured end, nor rely on colour alone);
  a lift of 0 days is a diamond on the axis; a session without a figure is a row saying
  "no figure", never a zero-length bar.
- ``to_svg`` changes the global rcParams ``svg.hashsalt`` and ``svg.fonttype`` only inside
  ``matplotlib.rc_context`` and under a module lock, because matplotlib's SVG writer reads
  them from the global rcParams at render time; without the lock two threads could restore
  each other's settings mid-render and give random element ids.
"""

import math
import threading
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import cache
from io import BytesIO
from unicodedata import east_asian_width
from xml.sax.saxutils import escape

import matplotlib
import numpy as np
from bidi import get_display
from matplotlib.collections import PolyCollection
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from .numbers import plural
from .rules import BASELINE_DAYS, BASELINE_MIN_CHECKINS, GAD7_BANDS, PHQ9_BANDS, ROLLING_DAYS

# The charts the app draws, by the name in their address (/charts/<name>.svg).
CHARTS = ("mood-timeline", "window-overlay", "assessments", "lift")
FIGSIZE = (6.4, 3.6)
ASSESSMENTS_FIGSIZE = (6.4, 4.8)
FONT_FAMILY = "DejaVu Sans"
# A symptom's name may be Chinese, Japanese or Korean, which DejaVu Sans lacks: drawn in this
# face where it is installed (Debian's fonts-noto-cjk, as the PDF report's), else as squares.
CJK_FAMILY = "Noto Sans CJK JP"
# Characters a line of a y-axis label holds on the phone-size chart (a symptom's name is up to
# 40, and "change" follows it on the window chart): a longer label takes more lines, at most
# YLABEL_LINES.
YLABEL_WIDTH = 22
YLABEL_LINES = 3
TICK_SIZE = 13
LABEL_SIZE = 13
SMALL_SIZE = 12
MESSAGE_SIZE = 14
MAX_LEGEND_SESSIONS = 8
ROLLING_GAP_DAYS = ROLLING_DAYS

ROLLING_LABEL = f"{ROLLING_DAYS}-day average"
# What a day's value is called in the notes: mood is on every check-in, so its days are
# check-ins; another rating (anxiety, sleep, a person's own symptom) may be left out of one,
# and is named for itself ("anxiety entries"), so a count never reads as the check-ins.
CHECK_IN = ("check-in", "check-ins")


def no_baseline(entries: str = CHECK_IN[1]) -> str:
    """The window chart's note without a baseline: what the baseline needs."""
    return (
        f"Not enough data: a baseline needs {BASELINE_MIN_CHECKINS} {entries} in the "
        f"{BASELINE_DAYS} days before the first session"
    )


def no_windows(entries: str = CHECK_IN[1]) -> str:
    """With a baseline, a window chart without a line has no session in the range with a
    value on its day or the days after it: the baseline note would say it was missing."""
    return f"No sessions with {entries} around them in this range"


NO_CHECKINS_MESSAGE = f"No {CHECK_IN[1]} in this range"
NO_BASELINE_MESSAGE = no_baseline()
NO_WINDOWS_MESSAGE = no_windows()
NO_PHQ9_MESSAGE = "No PHQ-9 scores in this range"
NO_GAD7_MESSAGE = "No GAD-7 scores in this range"
NO_SESSIONS_MESSAGE = "No sessions in this range"
# The lift chart: 6.4 inches wide and as tall as its rows (lift_figsize), at least
# LIFT_MIN_ROWS of them, so a bar is as thick whatever the number of sessions; the x axis
# reaches at least LIFT_MIN_DAYS days.
LIFT_ROW_INCHES = 0.3
LIFT_FRAME_INCHES = 1.4
LIFT_MIN_ROWS = 3
LIFT_MIN_DAYS = 7
LIFT_BAR_HEIGHT = 0.6

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

THEMES = {
    "light": {
        "background": "#FFFFFF",
        "text": "#1A1A1A",
        "muted": "#555B66",
        "grid": "#E3E6EA",
        "primary": OKABE_ITO["blue"],
        "secondary": OKABE_ITO["vermillion"],
        "window": OKABE_ITO["bluish_green"],
        "window_alpha": 0.13,
        "band_alpha": 0.035,
        "series": [
            OKABE_ITO["blue"],
            OKABE_ITO["vermillion"],
            OKABE_ITO["bluish_green"],
            OKABE_ITO["reddish_purple"],
        ],
    },
    "dark": {
        "background": "#111418",
        "text": "#E8EAED",
        "muted": "#A9B0BA",
        "grid": "#2A3038",
        "primary": OKABE_ITO["sky_blue"],
        "secondary": OKABE_ITO["orange"],
        "window": OKABE_ITO["bluish_green"],
        "window_alpha": 0.2,
        "band_alpha": 0.045,
        "series": [
            OKABE_ITO["sky_blue"],
            OKABE_ITO["orange"],
            OKABE_ITO["bluish_green"],
            OKABE_ITO["reddish_purple"],
        ],
    },
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SVG_LOCK = threading.Lock()


# --- helpers ---------------------------------------------------------------------------------


def _palette(theme: str) -> dict:
    try:
        return THEMES[theme]
    except KeyError:
        raise ValueError(f"theme must be one of {sorted(THEMES)}, not {theme!r}") from None


def _font(size: float = TICK_SIZE, text: str = "") -> FontProperties:
    """DejaVu Sans (matplotlib's own) at `size`; for a `text` written in Chinese, Japanese or
    Korean (a symptom's name), CJK_FAMILY after it, for what it lacks, where installed."""
    wide = not text.isascii() and any(east_asian_width(char) in "WF" for char in text)
    return FontProperties(family=[FONT_FAMILY, *_cjk_installed()] if wide else FONT_FAMILY,
                          size=size)  # fmt: skip


@cache
def _cjk_installed() -> list[str]:
    """[CJK_FAMILY] when that face is installed, else [] (matplotlib would otherwise look for
    it again on every text it draws)."""
    return [CJK_FAMILY] if any(font.name == CJK_FAMILY for font in fontManager.ttflist) else []


def _visual(text: str) -> str:
    """`text` in the order its characters are painted left to right: Hebrew or Arabic typed
    in reading order came out backwards (matplotlib draws characters as they come)."""
    return get_display(text) if not text.isascii() else text


def _label_lines(text: str, width: int = YLABEL_WIDTH) -> str:
    """`text` in at most YLABEL_LINES lines of at most `width` characters, a longer word cut
    into pieces and a longer label ended with an ellipsis: one line was cut off at both ends
    of the chart's height."""
    words = [word[i : i + width] for word in text.split() for i in range(0, len(word), width)]
    lines = _wrap(" ".join(words), width)
    if len(lines) > YLABEL_LINES:
        lines = [*lines[: YLABEL_LINES - 1], lines[YLABEL_LINES - 1][: width - 1] + "\u2026"]
    return "\n".join(_visual(line) for line in lines)


def _plain(text: str) -> str:
    """Text shown as written: escape dollar signs so matplotlib never reads it as mathtext."""
    return str(text).replace("$", r"\$")


def _short_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _freeze_layout(fig: Figure) -> Figure:
    """Run the constrained layout once, then fix it.

    Constrained layout starts from the current positions on every draw, so a second save of
    the same figure would come out a few thousandths of a point apart; a frozen layout makes
    every save of a figure, and of a figure built from the same data, byte-identical.

    One draw with rendering turned off lays the figure out, and the figure is then left with
    no engine at all: with one, even the "none" placeholder, savefig draws the whole figure
    once more before drawing it for real. So a chart is drawn twice, once for its layout and
    once when saved (it was three times).
    """
    fig.draw_without_rendering()
    if (
        matplotlib.rcParams["figure.autolayout"]
        or matplotlib.rcParams["figure.constrained_layout.use"]
    ):
        # None would mean the engine a matplotlibrc asks for, and a layout again at every
        # save; the placeholder keeps the layout as it is, for one more draw.
        fig.set_layout_engine("none")
    else:
        fig.set_layout_engine(None)
    return fig


def _new_figure(theme: str, figsize: tuple[float, float] = FIGSIZE) -> tuple[Figure, dict]:
    colours = _palette(theme)
    fig = Figure(figsize=figsize, layout="constrained", facecolor=colours["background"])
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06)
    return fig, colours


def _style_axes(ax, colours: dict) -> None:
    ax.set_facecolor(colours["background"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(colours["muted"])
    ax.tick_params(
        colors=colours["muted"],
        labelcolor=colours["text"],
        labelsize=TICK_SIZE,
        labelfontfamily=FONT_FAMILY,
    )
    ax.grid(axis="y", color=colours["grid"], linewidth=0.8)
    ax.set_axisbelow(True)


def _set_ylabel(ax, text: str, colours: dict) -> None:
    ax.set_ylabel(
        _plain(_label_lines(text)), color=colours["text"], fontproperties=_font(LABEL_SIZE, text)
    )


def _message(ax, text: str, colours: dict, width: int = 44) -> None:
    """A centred note in place of data, wrapped to fit a phone-width chart.

    A line break follows a colon, so "Not enough data:" reads as a heading.
    """
    head, colon, rest = text.partition(": ")
    lines = [head + ":", *_wrap(rest, width)] if colon else _wrap(text, width)
    ax.text(
        0.5,
        0.5,
        "\n".join(lines),
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=colours["muted"],
        fontproperties=_font(MESSAGE_SIZE),
        gid="message",
        parse_math=False,
        bbox={"facecolor": colours["background"], "edgecolor": "none", "pad": 4},
    )


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _legend(fig_or_ax, handles: list, colours: dict, **kwargs) -> None:
    fig_or_ax.legend(
        handles=handles,
        prop=_font(SMALL_SIZE),
        frameon=False,
        labelcolor=colours["text"],
        handlelength=1.6,
        handletextpad=0.5,
        columnspacing=1.2,
        borderaxespad=0.2,
        **kwargs,
    )


def _broken(xs: Sequence[float], ys: Sequence[float], max_step: float) -> tuple:
    """x and y arrays with a NaN inserted wherever consecutive x are more than max_step apart.

    One Line2D then draws every run of close points and breaks the line at each gap, which is
    far cheaper than one artist per run.
    """
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    if len(x) < 2:
        return x, y
    breaks = np.nonzero(np.diff(x) > max_step + 1e-9)[0] + 1
    return np.insert(x, breaks, np.nan), np.insert(y, breaks, np.nan)


def _data_line(xs, ys, max_step: float, mark_all: bool = False, **style) -> Line2D:
    """One Line2D through the points, broken across gaps wider than max_step (see _broken).

    A line needs two points to draw anything: a point with no neighbour on either side would
    be invisible, so it gets a marker, a ring (a derived line's lone value often sits exactly
    on a daily dot, which a ring leaves in sight). With ``mark_all`` every point gets a filled
    dot. ``style`` is passed to Line2D (``markersize`` sets the dot's size).
    """
    x, y = _broken(xs, ys, max_step)
    if mark_all:
        return Line2D(x, y, **{"marker": "o", "markeredgewidth": 0, **style})
    style = {"marker": "o", "markerfacecolor": "none", "markeredgewidth": 2, **style}
    finite = np.isfinite(y)
    before = np.concatenate(([False], finite[:-1]))
    after = np.concatenate((finite[1:], [False]))
    alone = finite & ~before & ~after
    if not alone.any():
        style["marker"] = "None"
    return Line2D(x, y, markevery=alone.tolist(), **style)


def _clean_points(points: Iterable[tuple]) -> list[tuple]:
    """Points sorted by x, skipping missing or non-finite values (a gap, never a zero).

    On a repeated x the later point in the list wins, as saving a day's check-in again does.
    """
    by_x = {}
    for x, value in points:
        if value is None or not math.isfinite(value):
            continue
        by_x[x] = float(value)
    return sorted(by_x.items())


def _day_num(days: Sequence[date]) -> np.ndarray:
    return np.asarray(date2num(list(days)), dtype=float) if days else np.empty(0)


def _date_axis(ax, start: date, end: date) -> None:
    """x limits start..end (half a day of room each side) with 3-5 round date ticks."""
    left, right = date2num([start, end])
    ax.set_xlim(left - 0.5, right + 0.5)
    ticks, labels = _date_ticks(start, end)
    ax.set_xticks(_day_num(ticks), labels)


def _date_ticks(start: date, end: date) -> tuple[list[date], list[str]]:
    """Round tick dates in start..end and their labels: the first spacing giving 3-5 ticks.

    Days (every 1, 2, 3, 7, 14 or 21 from start) label as "3 Mar", months (1st of every 1, 2, 3 or
    6 months) as "Mar 2025", years as "2025". Failing that, the most ticks up to 5.
    Chosen here rather than by AutoDateLocator, which warns on some ranges (and the tests
    turn warnings into errors).
    """
    candidates = []
    for step in (1, 2, 3, 7, 14, 21):
        days = [start + timedelta(days=i) for i in range(0, (end - start).days + 1, step)]
        candidates.append((days, [f"{d.day} {_MONTHS[d.month - 1]}" for d in days]))
        if len(days) <= 5:
            break
    for step in (1, 2, 3, 6):
        months = [
            date(year, month, 1)
            for year in range(start.year, end.year + 1)
            for month in range(1, 13, step)
            if start <= date(year, month, 1) <= end
        ]
        candidates.append((months, [f"{_MONTHS[d.month - 1]} {d.year}" for d in months]))
    for step in (1, 2, 5, 10, 20, 50):
        years = [
            date(year, 1, 1)
            for year in range(start.year, end.year + 1)
            if year % step == 0 and start <= date(year, 1, 1)
        ]
        candidates.append((years, [str(d.year) for d in years]))
    for ticks, labels in candidates:
        if 3 <= len(ticks) <= 5:
            return ticks, labels
    few = [candidate for candidate in candidates if len(candidate[0]) <= 5]
    return max(few, key=lambda candidate: len(candidate[0]))


def _value_ticks(top: float) -> list[float]:
    """3-6 round ticks from 0 to top that end exactly at top (0, 2 .. 10; 0, 6 .. 24)."""
    for step in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 25, 50, 100):
        count = top / step
        if count == int(count) and 3 <= count <= 5:
            return [step * i for i in range(int(count) + 1)]
    return [tick for tick in MaxNLocator(nbins=4).tick_values(0, top) if 0 <= tick <= top]


def _check_range(start: date, end: date) -> None:
    if start > end:
        raise ValueError(f"start ({start}) is after end ({end})")


# --- charts ----------------------------------------------------------------------------------


def mood_timeline(
    points: list[tuple[date, float]],
    rolling: list[tuple[date, float]],
    sessions: list[tuple[date, str]],
    window_days: int,
    start: date,
    end: date,
    label: str = "Mood",
    theme: str = "light",
    y_max: float = 10,
    entry: tuple[str, str] = CHECK_IN,
) -> Figure:
    """Daily values over time, with the rolling mean, sessions and their windows.

    Daily values are dots joined only across consecutive days (a missing day breaks the line);
    the 7-day rolling mean is a thicker, smoother line; each session is a dashed vertical
    marker labelled with its text (e.g. ``"#3"``; labels are thinned where they would
    overlap); window days (the session's date to ``+window_days``, cut at the next session)
    are lightly shaded. x runs from ``start`` to ``end``, y from 0 to ``y_max`` (10 for mood,
    24 for hours of sleep). With no values in the range the axes carry a centred
    ``"No check-ins in this range"`` note instead of raising (``entry``, singular and plural,
    names a day's value there and in the title: an anxiety rating is not on every check-in).
    Raises ValueError for an unknown theme, ``start`` after ``end``, a negative
    ``window_days`` or a ``y_max`` not above 0.
    """
    _check_range(start, end)
    if window_days < 0:
        raise ValueError(f"window_days must not be negative, not {window_days!r}")
    if not y_max > 0:
        raise ValueError(f"y_max must be positive, not {y_max!r}")
    fig, colours = _new_figure(theme)
    ax = fig.add_subplot()
    _style_axes(ax, colours)
    _date_axis(ax, start, end)
    ax.set_ylim(0, y_max)
    ax.yaxis.set_major_locator(FixedLocator(_value_ticks(y_max)))
    _set_ylabel(ax, label, colours)

    daily = _clean_points(points)
    shown = [day for day, _ in daily if start <= day <= end]
    session_days = sorted(day for day, _ in sessions)
    handles = []

    windows = _window_spans(session_days, window_days)
    if windows:
        ax.add_collection(
            PolyCollection(
                [[(x0, 0), (x1, 0), (x1, 1), (x0, 1)] for x0, x1 in windows],
                transform=ax.get_xaxis_transform(),
                facecolors=colours["window"],
                alpha=colours["window_alpha"],
                edgecolors="none",
                gid="windows",
            ),
            autolim=False,
        )
        handles.append(
            Patch(
                facecolor=colours["window"],
                alpha=min(1.0, colours["window_alpha"] * 2),
                label=f"{window_days}-day window",
            )
        )

    visible_sessions = sorted(
        ((day, text) for day, text in sessions if start <= day <= end), key=lambda s: s[0]
    )
    if visible_sessions:
        xs = _day_num([day for day, _ in visible_sessions])
        ax.vlines(
            xs,
            0,
            1,
            transform=ax.get_xaxis_transform(),
            colors=colours["muted"],
            linewidths=1.0 if len(xs) <= 20 else 0.7,
            linestyles=(0, (4, 3)),
            gid="sessions",
        )
        _session_labels(ax, fig, visible_sessions, xs, start, end, colours)
        handles.append(
            Line2D([], [], color=colours["muted"], linewidth=1.0, dashes=(4, 3), label="session")
        )

    if daily:
        ax.add_line(
            _data_line(
                _day_num([d for d, _ in daily]),
                [v for _, v in daily],
                1,
                mark_all=True,
                color=colours["primary"],
                gid="daily",
                label="daily",
                **_daily_style(start, end),
            )
        )
        handles.insert(0, Line2D([], [], color=colours["primary"], marker="o", label="daily"))
    smooth = _clean_points(rolling)
    if smooth:
        ax.add_line(
            _data_line(
                _day_num([d for d, _ in smooth]),
                [v for _, v in smooth],
                ROLLING_GAP_DAYS,
                color=colours["secondary"],
                linewidth=2.6,
                markersize=10,
                solid_capstyle="round",
                gid="rolling",
                label=ROLLING_LABEL,
            )
        )
        handles.insert(
            1 if daily else 0,
            Line2D([], [], color=colours["secondary"], linewidth=2.6, label=ROLLING_LABEL),
        )

    if not shown:
        _message(ax, f"No {entry[1]} in this range", colours)
    else:
        _legend(fig, handles, colours, loc="outside lower center", ncols=len(handles))
    fig.set_label(
        f"{label} from {_short_date(start)} to {_short_date(end)}:"
        f" {plural(len(shown), *entry)}, {plural(len(visible_sessions), 'session')}"
    )
    return _freeze_layout(fig)


def _daily_style(start: date, end: date) -> dict:
    """Smaller dots and a fainter line as the range grows, so the average stays readable."""
    span = (end - start).days + 1
    if span <= 45:
        return {"markersize": 5, "linewidth": 1.0}
    if span <= 120:
        return {"markersize": 3.5, "linewidth": 1.0}
    return {"markersize": 2, "linewidth": 0.6, "alpha": 0.55}


def _window_spans(session_days: list[date], window_days: int) -> list[tuple[float, float]]:
    """(left, right) x of each session's shaded window, one per distinct session date."""
    distinct = sorted(set(session_days))
    spans = []
    for i, day in enumerate(distinct):
        last = day + timedelta(days=window_days)
        if i + 1 < len(distinct):
            last = min(last, distinct[i + 1] - timedelta(days=1))
        left, right = date2num([day, last])
        spans.append((float(left), float(right) + 0.5))
    return spans


def _session_labels(ax, fig, sessions, xs, start: date, end: date, colours: dict) -> None:
    """Label session markers above the axes, skipping any label that would overlap the last."""
    width_in = fig.get_figwidth() * 0.85
    days_per_inch = ((end - start).days + 1) / width_in
    char_in = SMALL_SIZE * 0.62 / 72
    last_right = -math.inf
    first_x, last_x = (float(v) for v in date2num([start, end]))
    for (_, text), x in zip(sessions, xs, strict=True):
        if not first_x <= x <= last_x:
            continue  # a session before the range is passed only for its shaded window
        half = (len(str(text)) * char_in / 2 + 0.06) * days_per_inch
        if x - half < last_right:
            continue
        ax.text(
            x,
            1.01,
            str(text),
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            color=colours["text"],
            fontproperties=_font(SMALL_SIZE),
            parse_math=False,
            clip_on=False,
        )
        last_right = x + half


def window_overlay(
    series: list[tuple[str, list[tuple[int, float]]]],
    mean: list[tuple[int, float]],
    window_days: int,
    theme: str = "light",
    label: str = "Mood",
    has_baseline: bool = False,
    entry: tuple[str, str] = CHECK_IN,
) -> Figure:
    """Each session's window drawn over the others, as change from baseline.

    x is days since the session (0..``window_days``), y the value minus baseline. Each session
    in ``series`` (``(label, points)``, label e.g. ``"#2 12 Mar"``) is a thin line with a dot
    on each day, broken where a day is missing; ``mean`` is a thick line (a ring marks a day
    of it with no neighbour); the zero line is labelled ``baseline``
    (its tick label). The y axis is symmetric around 0. With at most 8 sessions each has its
    own opaque colour and legend entry; with more they share one translucent colour and the
    legend has just ``each session`` and ``mean``. Sessions with no points are left out. With
    no points at all the axes carry the "Not enough data: a baseline needs ..." note, or, when
    ``has_baseline`` (there is one, but no session of the range has a check-in around it),
    NO_WINDOWS_MESSAGE; ``entry`` names a day's value in them, as mood_timeline's. Raises
    ValueError for an unknown theme or a negative ``window_days``.
    """
    if window_days < 0:
        raise ValueError(f"window_days must not be negative, not {window_days!r}")
    fig, colours = _new_figure(theme)
    ax = fig.add_subplot()
    _style_axes(ax, colours)
    ax.set_xlim(-0.25, window_days + 0.25)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
    ax.set_xlabel("Days since session", color=colours["text"], fontproperties=_font(LABEL_SIZE))
    _set_ylabel(ax, f"{label} change", colours)

    drawn = [(text, _clean_points(points)) for text, points in series]
    drawn = [(text, points) for text, points in drawn if points]
    average = _clean_points(mean)
    values = [v for _, points in drawn for _, v in points] + [v for _, v in average]
    limit = max(2, math.ceil(max((abs(v) for v in values), default=0)))
    if limit % 2:
        limit += 1
    ax.set_ylim(-limit, limit)
    ax.yaxis.set_major_locator(FixedLocator([-limit, -limit / 2, 0, limit / 2, limit]))
    ax.yaxis.set_major_formatter(FuncFormatter(_signed))
    # The zero line is named by its tick label, which no data line can cover.
    ax.axhline(0, color=colours["muted"], linewidth=1.2, gid="baseline")
    fig.set_label(
        f"{label} change from baseline over the {plural(window_days, 'day')} after each of"
        f" {plural(len(drawn), 'session')}"
    )
    if not values:
        _message(ax, (no_windows if has_baseline else no_baseline)(entry[1]), colours)
        return _freeze_layout(fig)

    own_colours = len(drawn) <= MAX_LEGEND_SESSIONS
    palette = colours["series"]
    for i, (text, points) in enumerate(drawn):
        if own_colours:
            style = {
                "color": palette[i % len(palette)],
                "linestyle": "-" if i < len(palette) else (0, (4, 2)),
                "linewidth": 1.4,
                "markersize": 4,
                "label": _plain(text),
            }
        else:
            style = {
                "color": colours["primary"],
                "linewidth": 1.0,
                "markersize": 3,
                "alpha": 0.35,
                "label": "each session" if i == 0 else "_nolegend_",
            }
        # A dot on every day with data: a day whose neighbours are missing has no line.
        xs, ys = [d for d, _ in points], [v for _, v in points]
        ax.add_line(_data_line(xs, ys, 1, mark_all=True, gid=f"session-{i}", **style))
    if average:
        ax.add_line(
            _data_line(
                [d for d, _ in average],
                [v for _, v in average],
                1,
                color=colours["text"],
                linewidth=3.0,
                markersize=11,
                solid_capstyle="round",
                gid="mean",
                label="mean",
            )
        )
    handles, _ = ax.get_legend_handles_labels()
    if own_colours:
        _legend(fig, handles, colours, loc="outside right upper")
    else:
        # Faint lines make faint legend keys: the key shows the colour at full strength.
        handles[0] = Line2D(
            [],
            [],
            color=colours["primary"],
            linewidth=1.4,
            marker="o",
            markersize=3,
            markeredgewidth=0,
            label="each session",
        )
        _legend(fig, handles, colours, loc="outside upper center", ncols=2)
    return _freeze_layout(fig)


def _signed(value: float, _pos=None) -> str:
    """Tick text with an explicit sign (+2, \u22122): changes, not levels; 0 is "baseline"."""
    if value == 0:
        return "baseline"
    text = f"{abs(value):g}"
    return f"+{text}" if value > 0 else f"\u2212{text}"


def assessments_chart(
    phq9: list[tuple[date, int]],
    gad7: list[tuple[date, int]],
    sessions: list[date],
    start: date,
    end: date,
    theme: str = "light",
) -> Figure:
    """PHQ-9 (0-27, top) and GAD-7 (0-21, bottom) totals on two stacked axes sharing x.

    Each axes has its published severity bands (CLINICAL.md) shaded faintly and labelled in
    the right margin; scores are markers joined by a line; session dates are thin ticks along
    the bottom of each axes. An instrument with no score in ``start``..``end`` shows a
    "No PHQ-9 scores in this range" (or GAD-7) note. The figure is 6.4 x 4.8 inches, taller
    than the others, so both axes keep room for their band labels. Raises ValueError for an
    unknown theme or ``start`` after ``end``.
    """
    _check_range(start, end)
    fig, colours = _new_figure(theme, ASSESSMENTS_FIGSIZE)
    top, bottom = fig.subplots(2, 1, sharex=True)
    instruments = (
        (top, "PHQ-9", "phq9", phq9, PHQ9_BANDS, NO_PHQ9_MESSAGE, colours["primary"]),
        (bottom, "GAD-7", "gad7", gad7, GAD7_BANDS, NO_GAD7_MESSAGE, colours["secondary"]),
    )
    session_x = _day_num(sorted(day for day in sessions if start <= day <= end))
    counts = []
    for ax, name, key, scores, bands, empty, colour in instruments:
        _style_axes(ax, colours)
        ax.grid(False)
        _date_axis(ax, start, end)
        maximum = bands[-1][1]
        ax.set_ylim(0, maximum)
        ax.yaxis.set_major_locator(FixedLocator([lo for lo, _, _ in bands] + [maximum]))
        _set_ylabel(ax, name, colours)
        _bands(ax, key, bands, colours)
        if len(session_x):
            ax.vlines(
                session_x,
                0,
                0.07,
                transform=ax.get_xaxis_transform(),
                colors=colours["muted"],
                linewidths=1.2,
                gid=f"sessions-{key}",
            )
        points = _clean_points(scores)
        in_range = [day for day, _ in points if start <= day <= end]
        counts.append(len(in_range))
        if points:
            # Check-ups are weeks apart: one line joins them all, with a dot on each score.
            ax.add_line(
                _data_line(
                    _day_num([d for d, _ in points]),
                    [v for _, v in points],
                    math.inf,
                    mark_all=True,
                    color=colour,
                    linewidth=1.6,
                    markersize=6,
                    gid=key,
                )
            )
        if not in_range:
            _message(ax, empty, colours)
    top.tick_params(labelbottom=False)
    if len(session_x):
        tick = Line2D(
            [],
            [],
            color=colours["muted"],
            marker="|",
            markersize=9,
            markeredgewidth=1.2,
            linestyle="none",
            label="session",
        )
        # Below the dates, in a row of its own: beside them it ran into the last date.
        _legend(fig, [tick], colours, loc="outside lower right")
    fig.set_label(
        f"PHQ-9 and GAD-7 scores from {_short_date(start)} to {_short_date(end)}:"
        f" {counts[0]} PHQ-9, {counts[1]} GAD-7, {plural(len(session_x), 'session')}"
    )
    return _freeze_layout(fig)


def _bands(ax, key: str, bands: list[tuple[int, int, str]], colours: dict) -> None:
    """Shade each severity band (deeper for more severe) and name it in the right margin."""
    maximum = bands[-1][1]
    for level, (low, high, name) in enumerate(bands):
        bottom = max(0, low - 0.5)
        top = min(maximum, high + 0.5)
        ax.axhspan(
            bottom,
            top,
            facecolor=colours["text"],
            alpha=colours["band_alpha"] * level,
            edgecolor="none",
            gid=f"{key}-band-{name.replace(' ', '-')}",
        )
        ax.text(
            1.02,
            (bottom + top) / 2,
            name,
            transform=ax.get_yaxis_transform(),
            ha="left",
            va="center",
            color=colours["muted"],
            fontproperties=_font(SMALL_SIZE),
            clip_on=False,
        )


def _marks(ax, rows: list[tuple[int, float]], marker: str, size: float, colour, gid: str) -> None:
    """A marker at (days, row) for each (row, days) of `rows`, drawn past the axes' edge too."""
    ax.add_line(
        Line2D(
            [days for _, days in rows],
            [row for row, _ in rows],
            linestyle="none",
            marker=marker,
            markersize=size,
            markeredgewidth=0,
            color=colour,
            clip_on=False,
            gid=gid,
        )
    )


def lift_figsize(count: int) -> tuple[float, float]:
    """The lift chart's size in inches for `count` sessions: 6.4 wide, 0.3 a row (at least
    3 rows) and 1.4 for the axis and the legend, so 12 sessions make 6.4 x 5.0."""
    return (FIGSIZE[0], round(LIFT_FRAME_INCHES + LIFT_ROW_INCHES * max(count, LIFT_MIN_ROWS), 2))


def lift_chart(
    sessions: list[tuple[str, int | None, bool | None]],
    theme: str = "light",
    total: int | None = None,
    later: int = 0,
) -> Figure:
    """How long the lift lasted: one horizontal bar per session, in date order from the top.

    ``sessions`` holds ``(label, lift_days, lift_ended)`` per session, oldest first (label e.g.
    ``"#3 4 Nov"``; ``lift_days`` and ``lift_ended`` as windows.session_lifts gives them). A
    lift that ended is a solid bar of its length; an open one (``lift_ended`` False: still going
    when the next session came, at the latest check-in or on day 42) a hatched bar ending in an
    arrow, "at least" that long; a lift of 0 days a diamond on the axis; a session without a figure
    (``lift_days`` None) a row saying "no figure", never a zero bar. Each row's length is
    written beside it. ``total``, when more sessions than drawn fall in the range, words the
    figure's title ("the latest 12 of 40"); ``later``, how many sessions of the range come
    after the drawn ones when those are not the latest (none of the later ones has a figure),
    words it "12 of 40, up to the latest with a figure". With no sessions the axes carry a
    "No sessions in this range" note. Raises ValueError for an unknown theme.
    """
    fig, colours = _new_figure(theme, lift_figsize(len(sessions)))
    ax = fig.add_subplot()
    _style_axes(ax, colours)
    ax.grid(False)
    ax.grid(axis="x", color=colours["grid"], linewidth=0.8)
    ax.set_xlabel("Days the lift lasted", color=colours["text"], fontproperties=_font(LABEL_SIZE))
    ax.tick_params(axis="y", length=0, pad=10)  # room for the 0-day diamond
    ax.spines["left"].set_visible(False)

    rows = [(str(text), days, ended) for text, days, ended in sessions]
    measured = [days for _, days, _ in rows if days is not None]
    top = max([LIFT_MIN_DAYS, *measured])
    # Room on the right for the arrow and the words after the longest bar.
    ax.set_xlim(0, top * 1.45 + 1)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    shown = max(len(rows), LIFT_MIN_ROWS)
    ax.set_ylim(shown - 0.5, -0.5)  # the first session at the top
    ax.set_yticks(range(len(rows)), [_plain(text) for text, _, _ in rows])

    count = plural(len(rows), "session")
    if later and total is not None:
        count = f"{len(rows)} of {plural(total, 'session')}, up to the latest with a figure"
    elif total is not None and total > len(rows):
        count = f"the latest {len(rows)} of {plural(total, 'session')}"
    fig.set_label(
        f"How long the lift lasted after each of {count}: "
        f"{sum(1 for _, d, e in rows if d is not None and e)} ended, "
        f"{sum(1 for _, d, e in rows if d is not None and e is False)} still going, "
        f"{sum(1 for _, d, _ in rows if d is None)} without a figure"
    )
    if not rows:
        ax.set_yticks([])
        _message(ax, NO_SESSIONS_MESSAGE, colours)
        return _freeze_layout(fig)

    gap = (top * 1.45 + 1) * 0.015  # between a bar's end and its words
    ended_rows = [(y, d) for y, (_, d, e) in enumerate(rows) if d and e]
    open_rows = [(y, d) for y, (_, d, e) in enumerate(rows) if d is not None and e is False]
    handles = []
    if ended_rows:
        ax.barh(
            [y for y, _ in ended_rows],
            [d for _, d in ended_rows],
            height=LIFT_BAR_HEIGHT,
            color=colours["primary"],
            gid="lift-ended",
        )
    # Hatched, in the primary colour: told apart from an ended lift without relying on colour.
    still_going = {
        "facecolor": colours["background"],
        "edgecolor": colours["primary"],
        "hatchcolor": colours["primary"],
        "hatch": "///",
        "linewidth": 1.4,
    }
    if open_rows:
        ax.barh(
            [y for y, _ in open_rows],
            [d for _, d in open_rows],
            height=LIFT_BAR_HEIGHT,
            gid="lift-open",
            **still_going,
        )
        # The arrow: the lift went on past its last check-in.
        _marks(ax, open_rows, ">", 11, colours["primary"], "lift-open-arrow")
    zero_rows = [(y, 0) for y, (_, d, e) in enumerate(rows) if d == 0 and e]
    if zero_rows:
        _marks(ax, zero_rows, "D", 7, colours["primary"], "lift-zero")
    for y, (_, days, ended) in enumerate(rows):
        if days is None:
            text, x, colour, gid = "no figure", gap, colours["muted"], "no-figure"
        elif ended is False:
            text, x, colour, gid = f"{days}+ days", days + gap * 3, colours["text"], "lift-text"
        else:
            text = plural(days, "day")
            x, colour, gid = days + gap * (2 if days == 0 else 1), colours["text"], "lift-text"
        ax.text(
            x,
            y,
            text,
            ha="left",
            va="center",
            color=colour,
            fontproperties=_font(SMALL_SIZE),
            parse_math=False,
            gid=gid,
        )
    if ended_rows or zero_rows:
        handles.append(Patch(facecolor=colours["primary"], label="ended"))
    if open_rows:
        handles.append(Patch(label="still going (at least this long)", **still_going))
    if handles:
        _legend(fig, handles, colours, loc="outside lower center", ncols=len(handles))
    return _freeze_layout(fig)


# --- output ----------------------------------------------------------------------------------


def to_svg(fig: Figure) -> bytes:
    """The figure as deterministic SVG bytes: the same data gives byte-identical output.

    Element ids are salted with a fixed string, no date is written and text is stored as
    paths. The figure's label (set by the chart functions to a one-line description) becomes
    the SVG's ``<title>``. Safe to call from many threads (see the module docstring).
    """
    title = fig.get_label()
    buffer = BytesIO()
    metadata = {"Date": None, "Title": title} if title else {"Date": None}
    with (
        _SVG_LOCK,
        matplotlib.rc_context({"svg.hashsalt": "afterglow", "svg.fonttype": "path"}),
    ):
        fig.savefig(buffer, format="svg", facecolor=fig.get_facecolor(), metadata=metadata)
    svg = buffer.getvalue()
    element = f"<title>{escape(title)}</title>".encode()
    if title and element not in svg:  # matplotlib 3.10 on writes it from the metadata itself
        open_tag_end = svg.index(b">", svg.index(b"<svg")) + 1
        svg = svg[:open_tag_end] + b"\n " + element + svg[open_tag_end:]
    return svg


def to_png(fig: Figure, dpi: int = 150) -> bytes:
    """The figure as PNG bytes at ``dpi`` (figure size x dpi pixels), for the PDF report.

    The ``Software`` text chunk is left out and matplotlib writes no time stamp, so the same
    figure gives the same bytes. Raises ValueError unless dpi is positive.
    """
    if dpi <= 0:
        raise ValueError(f"dpi must be positive, not {dpi!r}")
    buffer = BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=dpi,
        facecolor=fig.get_facecolor(),
        metadata={"Software": None},
    )
    return buffer.getvalue()
