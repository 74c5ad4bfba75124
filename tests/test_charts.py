"""Tests for journal.charts: drawn figures, deterministic SVG and PNG bytes, no pyplot.

Figures are inspected through matplotlib's own objects (lines, collections, texts) and the
SVG through xml.etree; nothing is mocked.
"""

import ast
import inspect
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from conftest import contrast_ratio, relative_luminance
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.font_manager import findfont
from matplotlib.image import imread
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from journal import charts

ROOT = Path(__file__).resolve().parent.parent
SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2025, 3, 1)
END = date(2025, 3, 31)


def day(n: int) -> date:
    return START + timedelta(days=n)


# --- sample data and builders ------------------------------------------------------------------


def timeline(theme="light", points=None, **kwargs):
    if points is None:
        points = [(day(n), 3 + n % 5) for n in range(0, 30) if n not in (8, 9, 20)]
    args = {
        "points": points,
        "rolling": [(d, 4.0 + (d.day % 3) / 2) for d, _ in points],
        "sessions": [(day(5), "#1"), (day(12), "#2"), (day(22), "#3")],
        "window_days": 7,
        "start": START,
        "end": END,
        "theme": theme,
    }
    return charts.mood_timeline(**{**args, **kwargs})


def overlay(theme="light", series=None, **kwargs):
    if series is None:
        series = [
            ("#1 6 Mar", [(0, 3.0), (1, 2.5), (2, 1.0), (4, 0.5)]),
            ("#2 13 Mar", [(0, 2.0), (1, 1.5), (2, 1.5), (3, -0.5)]),
        ]
    args = {
        "series": series,
        "mean": [(0, 2.5), (1, 2.0), (2, 1.25), (3, -0.5), (4, 0.5)],
        "window_days": 7,
        "theme": theme,
    }
    return charts.window_overlay(**{**args, **kwargs})


def assessments(theme="light", phq9=None, **kwargs):
    if phq9 is None:
        phq9 = [(day(0), 18), (day(7), 14), (day(14), 11), (day(28), 6)]
    args = {
        "phq9": phq9,
        "gad7": [(day(0), 12), (day(14), 9), (day(28), 4)],
        "sessions": [day(5), day(12), day(22)],
        "start": START,
        "end": END,
        "theme": theme,
    }
    return charts.assessments_chart(**{**args, **kwargs})


BUILDERS = {"timeline": timeline, "overlay": overlay, "assessments": assessments}
THEMES = ["light", "dark"]

# One changed data point per chart, to show the bytes follow the data.
CHANGED = {
    "timeline": {"points": [(day(n), 3 + n % 5 + (n == 3)) for n in range(30)]},
    "overlay": {"mean": [(0, 2.5), (1, 2.0), (2, 1.0), (3, -0.5), (4, 0.5)]},
    "assessments": {"phq9": [(day(0), 18), (day(7), 15), (day(14), 11), (day(28), 6)]},
}

EMPTY = [
    pytest.param(
        lambda: charts.mood_timeline([], [], [], 7, START, END),
        charts.NO_CHECKINS_MESSAGE,
        id="timeline",
    ),
    pytest.param(
        # Check-ins and sessions exist, but none of the check-ins falls in the range.
        lambda: timeline(points=[(day(-40), 5.0)], rolling=[]),
        "No check-ins in this range",
        id="timeline-out-of-range",
    ),
    pytest.param(
        lambda: charts.window_overlay([], [], 7),
        "Not enough data: a baseline needs 3 check-ins in the 14 days before the first session",
        id="overlay",
    ),
    pytest.param(
        lambda: charts.window_overlay([("#1 3 Mar", []), ("#2 9 Mar", [])], [], 7),
        charts.NO_BASELINE_MESSAGE,
        id="overlay-sessions-without-points",
    ),
    pytest.param(
        lambda: charts.assessments_chart([], [], [], START, END),
        "No PHQ-9 scores in this range",
        id="assessments-phq9",
    ),
    pytest.param(
        lambda: charts.assessments_chart([], [], [day(3)], START, END),
        "No GAD-7 scores in this range",
        id="assessments-gad7",
    ),
]


# --- helpers ---------------------------------------------------------------------------------


def drawn_texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text of the figure, tick labels included."""
    fig.draw_without_rendering()
    return [
        text
        for text in fig.findobj(Text)
        if text.get_visible() and text.get_text().strip() and text.get_figure() is not None
    ]


def words(fig: Figure) -> list[str]:
    """Visible texts with whitespace normalised (messages are wrapped over lines)."""
    return [" ".join(text.get_text().split()) for text in drawn_texts(fig)]


def by_gid(fig: Figure, gid: str):
    found = [artist for artist in fig.findobj() if artist.get_gid() == gid]
    assert len(found) == 1, f"expected one artist with gid {gid!r}, found {len(found)}"
    return found[0]


def parse_svg(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)


def luminance(colour) -> float:
    return relative_luminance(to_rgb(colour))


def contrast(a, b) -> float:
    return contrast_ratio(to_rgb(a), to_rgb(b))


def three_years():
    """1,095 daily check-ins (three years), 50 sessions, as the web layer would pass them."""
    start = date(2022, 1, 1)
    points = [(start + timedelta(days=n), 3 + (n * 7919) % 6) for n in range(1095)]
    rolling = [(d, 4 + (d.toordinal() % 10) / 5) for d, _ in points]
    sessions = [(start + timedelta(days=20 + 21 * k), f"#{k + 1}") for k in range(50)]
    return points, rolling, sessions, start, start + timedelta(days=1094)


# --- SVG -------------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", BUILDERS)
def test_svg_is_well_formed_with_size(name, theme):
    fig = BUILDERS[name](theme)
    root = parse_svg(charts.to_svg(fig))
    assert root.tag == f"{SVG_NS}svg"
    width, height = fig.get_size_inches() * 72
    assert root.get("width") == f"{width:g}pt"
    assert root.get("height") == f"{height:g}pt"
    assert root.get("viewBox") == f"0 0 {width:g} {height:g}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("timeline", "Mood from 1 Mar 2025 to 31 Mar 2025: 27 check-ins, 3 sessions"),
        ("overlay", "Mood change from baseline over the 7 days after each of 2 sessions"),
        ("assessments", "PHQ-9 and GAD-7 scores from 1 Mar 2025 to 31 Mar 2025: 4 PHQ-9,"),
    ],
)
def test_svg_has_a_title(name, expected):
    root = parse_svg(charts.to_svg(BUILDERS[name]()))
    title = root.find(f"{SVG_NS}title")
    assert title is not None
    assert title.text.startswith(expected)
    # One: matplotlib writes it too now, and a screen reader read the chart's name twice.
    assert len(root.findall(f"{SVG_NS}title")) == 1


def test_svg_title_is_escaped_and_optional():
    fig = timeline(label="Sleep <hours> & naps")
    root = parse_svg(charts.to_svg(fig))
    title = root.find(f"{SVG_NS}title")
    assert title.text.startswith("Sleep <hours> & naps from")
    assert len(root.findall(f"{SVG_NS}title")) == 1
    bare = Figure()
    assert parse_svg(charts.to_svg(bare)).find(f"{SVG_NS}title") is None


@pytest.mark.parametrize("name", BUILDERS)
def test_svg_is_deterministic(name):
    first = charts.to_svg(BUILDERS[name]())
    second = charts.to_svg(BUILDERS[name]())
    assert first == second
    fig = BUILDERS[name]()
    assert charts.to_svg(fig) == charts.to_svg(fig) == first
    assert b"<dc:date>" not in first


@pytest.mark.parametrize("name", BUILDERS)
def test_a_figure_is_laid_out_with_one_draw_and_saved_with_one_more(name, monkeypatch):
    # Counted, not replaced: each draw is matplotlib's own. A layout engine left on the figure
    # (even the "none" placeholder) would make savefig draw it all once more before saving.
    draws = []
    draw = Figure.draw

    def counted(fig, renderer):
        draws.append(fig)
        return draw(fig, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    fig = BUILDERS[name]()
    assert draws == [fig]
    assert fig.get_layout_engine() is None
    charts.to_svg(fig)
    assert draws == [fig, fig]


@pytest.mark.parametrize("asked", ["figure.autolayout", "figure.constrained_layout.use"])
def test_a_matplotlibrc_asking_for_a_layout_engine_changes_no_chart(asked):
    # set_layout_engine(None) means "what rcParams ask for": a server's matplotlibrc could
    # otherwise lay a chart out again at each save, and no two saves would agree.
    expected = charts.to_svg(BUILDERS["timeline"]())
    with matplotlib.rc_context({asked: True}):
        fig = BUILDERS["timeline"]()
        saved = [charts.to_svg(fig), charts.to_svg(fig)]
    assert saved == [expected, expected]


@pytest.mark.parametrize("name", BUILDERS)
def test_changed_data_point_changes_svg(name):
    before = charts.to_svg(BUILDERS[name]())
    after = charts.to_svg(BUILDERS[name](**CHANGED[name]))
    assert before != after


@pytest.mark.parametrize("name", BUILDERS)
def test_to_svg_leaves_global_rcparams_alone(name):
    # copy() reads the stored values: dict(rcParams) would resolve "backend" through pyplot.
    before = matplotlib.rcParams.copy()
    charts.to_svg(BUILDERS[name]())
    assert matplotlib.rcParams.copy() == before


def test_threads_render_the_same_bytes_as_one_thread():
    jobs = [(name, theme) for name in BUILDERS for theme in THEMES] * 4
    expected = {job: charts.to_svg(BUILDERS[job[0]](job[1])) for job in set(jobs)}

    def render(job):
        return job, charts.to_svg(BUILDERS[job[0]](job[1]))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(render, jobs))
    assert len(results) == len(jobs)
    for job, svg in results:
        assert svg == expected[job], job


# --- PNG -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi", [100, 150])
@pytest.mark.parametrize("name", BUILDERS)
def test_png_signature_and_pixel_size(name, dpi):
    fig = BUILDERS[name]()
    png = charts.to_png(fig, dpi=dpi)
    assert png.startswith(PNG_SIGNATURE)
    pixels = imread(BytesIO(png))
    width, height = fig.get_size_inches()
    assert pixels.shape[:2] == (round(height * dpi), round(width * dpi))


def test_png_default_dpi_is_150_and_has_no_software_stamp():
    png = charts.to_png(timeline())
    assert imread(BytesIO(png)).shape[:2] == (540, 960)
    assert b"Software" not in png
    assert b"matplotlib" not in png.lower()
    assert png == charts.to_png(timeline())


@pytest.mark.parametrize("dpi", [0, -72])
def test_png_refuses_a_dpi_that_is_not_positive(dpi):
    with pytest.raises(ValueError, match="dpi"):
        charts.to_png(timeline(), dpi=dpi)


# --- themes and readability ------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILDERS)
def test_dark_theme_background_differs_from_light(name):
    light = BUILDERS[name]("light")
    dark = BUILDERS[name]("dark")
    assert to_rgb(light.get_facecolor()) == (1.0, 1.0, 1.0)
    assert luminance(dark.get_facecolor()) < 0.02
    light_corner = imread(BytesIO(charts.to_png(light, dpi=50)))[0, 0, :3]
    dark_corner = imread(BytesIO(charts.to_png(dark, dpi=50)))[0, 0, :3]
    assert light_corner.min() > 0.95
    assert dark_corner.max() < 0.15

    def background_fill(fig):
        # The first shape in the SVG is the figure's background rectangle.
        patch = parse_svg(charts.to_svg(fig)).find(f".//{SVG_NS}g[@id='patch_1']/{SVG_NS}path")
        return patch.get("style")

    assert "fill: #ffffff" in background_fill(light)
    assert "fill: #111418" in background_fill(dark)


@pytest.mark.parametrize("name", BUILDERS)
def test_unknown_theme_is_refused(name):
    with pytest.raises(ValueError, match="theme"):
        BUILDERS[name]("sepia")


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", BUILDERS)
def test_text_is_dejavu_sans_at_least_11_pt_with_aa_contrast(name, theme):
    fig = BUILDERS[name](theme)
    texts = drawn_texts(fig)
    assert len(texts) >= 8
    bundled = Path(matplotlib.get_data_path())
    for text in texts:
        assert text.get_fontsize() >= 11, text.get_text()
        assert text.get_fontfamily() == ["DejaVu Sans"], text.get_text()
        assert Path(findfont(text.get_fontproperties())).is_relative_to(bundled)
        assert contrast(text.get_color(), fig.get_facecolor()) >= 4.5, text.get_text()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(
    ("name", "gids"),
    [
        ("timeline", ["daily", "rolling"]),
        ("overlay", ["session-0", "session-1", "mean"]),
        ("assessments", ["phq9", "gad7"]),
    ],
)
def test_data_lines_have_3_to_1_contrast(name, gids, theme):
    fig = BUILDERS[name](theme)
    for gid in gids:
        line = by_gid(fig, gid)
        assert line.get_alpha() in (None, 1)
        assert contrast(line.get_color(), fig.get_facecolor()) >= 3, gid


@pytest.mark.parametrize("theme", THEMES)
def test_palette_is_okabe_ito(theme):
    okabe_ito = {
        "#000000",
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
    }
    colours = charts.THEMES[theme]
    used = {colours["primary"], colours["secondary"], colours["window"], *colours["series"]}
    assert used <= okabe_ito


@pytest.mark.parametrize("name", BUILDERS)
def test_caller_text_is_never_read_as_mathtext(name):
    # "$\frac$" is broken mathtext: drawing it as mathtext raises ValueError.
    odd = r"$\frac$"
    if name == "timeline":
        fig = timeline(label=odd, sessions=[(day(5), odd)])
    elif name == "overlay":
        fig = overlay(label=odd, series=[(odd, [(0, 1.0), (1, 2.0)])])
    else:
        fig = assessments()
    root = parse_svg(charts.to_svg(fig))
    assert root.tag == f"{SVG_NS}svg"


# --- empty data ------------------------------------------------------------------------------


@pytest.mark.parametrize(("build", "message"), EMPTY)
def test_empty_input_draws_a_message(build, message):
    fig = build()
    assert message in words(fig)
    assert parse_svg(charts.to_svg(fig)).tag == f"{SVG_NS}svg"


@pytest.mark.parametrize("series", [[], [("#1 3 Mar", []), ("#2 9 Mar", [])]])
def test_an_empty_window_chart_with_a_baseline_does_not_say_it_needs_one(series):
    # The baseline is there (the sessions page shows it); no session of the range has a
    # check-in around it yet.
    shown = words(charts.window_overlay(series, [], 7, has_baseline=True))
    assert charts.NO_BASELINE_MESSAGE not in shown
    assert "No sessions with check-ins around them in this range" in shown


@pytest.mark.parametrize("name", BUILDERS)
def test_data_draws_no_empty_message(name):
    messages = {
        charts.NO_CHECKINS_MESSAGE,
        charts.NO_BASELINE_MESSAGE,
        charts.NO_PHQ9_MESSAGE,
        charts.NO_GAD7_MESSAGE,
    }
    assert not messages & set(words(BUILDERS[name]()))


# --- mood timeline ---------------------------------------------------------------------------


def test_missing_days_break_the_daily_line():
    points = [(day(0), 5), (day(1), 6), (day(2), 4), (day(4), 7), (day(5), 3), (day(9), 2)]
    line = by_gid(timeline(points=points), "daily")
    y = np.asarray(line.get_ydata(), dtype=float)
    x = np.asarray(line.get_xdata(), dtype=float)
    assert np.isnan(y).sum() == 2
    assert list(np.nonzero(np.isnan(y))[0]) == [3, 6]
    assert np.isnan(x[[3, 6]]).all()
    assert list(y[~np.isnan(y)]) == [5, 6, 4, 7, 3, 2]
    assert list(x[~np.isnan(x)]) == list(date2num([d for d, _ in points]))


def test_consecutive_days_make_one_unbroken_line_in_date_order():
    points = [(day(n), n % 10) for n in range(10)][::-1]
    line = by_gid(timeline(points=points), "daily")
    y = np.asarray(line.get_ydata(), dtype=float)
    assert not np.isnan(y).any()
    assert list(y) == list(range(10))


def test_missing_or_non_finite_values_are_gaps_not_zeros():
    points = [(day(0), 5), (day(1), None), (day(2), float("nan")), (day(3), 4)]
    y = np.asarray(by_gid(timeline(points=points), "daily").get_ydata(), dtype=float)
    assert 0 not in y
    assert list(y[~np.isnan(y)]) == [5, 4]
    assert np.isnan(y).sum() == 1


@pytest.mark.parametrize(("gap_days", "breaks"), [(1, 0), (7, 0), (8, 1), (30, 1)])
def test_rolling_line_bridges_gaps_of_up_to_7_days(gap_days, breaks):
    rolling = [(day(0), 4.0), (day(1), 4.5), (day(1 + gap_days), 5.0)]
    line = by_gid(timeline(rolling=rolling), "rolling")
    assert np.isnan(np.asarray(line.get_ydata(), dtype=float)).sum() == breaks


def test_sessions_are_labelled_markers():
    fig = timeline()
    markers = by_gid(fig, "sessions")
    assert isinstance(markers, LineCollection)
    xs = sorted(segment[0][0] for segment in markers.get_segments())
    assert xs == list(date2num([day(5), day(12), day(22)]))
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["#1", "#2", "#3"]
    for text, x in zip(fig.axes[0].texts, xs, strict=True):
        assert text.get_position()[0] == x
    assert b'id="sessions"' in charts.to_svg(fig)


def test_sessions_outside_the_range_get_no_marker():
    fig = timeline(sessions=[(day(-3), "#1"), (day(5), "#2"), (day(40), "#3")])
    segments = by_gid(fig, "sessions").get_segments()
    assert [segment[0][0] for segment in segments] == [date2num(day(5))]
    assert [t.get_text() for t in fig.axes[0].texts] == ["#2"]


def test_crowded_session_labels_are_thinned_and_do_not_overlap():
    sessions = [(day(n), f"#{n + 1}") for n in range(0, 30, 1)]
    fig = timeline(sessions=sessions)
    assert len(by_gid(fig, "sessions").get_segments()) == 30
    labels = fig.axes[0].texts
    assert 3 <= len(labels) < 30
    fig.draw_without_rendering()
    boxes = sorted((t.get_window_extent() for t in labels), key=lambda box: box.x0)
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.x1 <= right.x0


def test_windows_are_shaded_and_cut_at_the_next_session():
    sessions = [(day(10), "#1"), (day(14), "#2"), (day(25), "#3")]
    shading = by_gid(timeline(sessions=sessions, window_days=7), "windows")
    assert isinstance(shading, PolyCollection)
    spans = sorted(
        (path.vertices[:, 0].min(), path.vertices[:, 0].max()) for path in shading.get_paths()
    )
    expected = [
        (day(10), day(13)),  # cut: the next session is on day 14
        (day(14), day(21)),
        (day(25), day(32)),
    ]
    assert spans == [(date2num(a), date2num(b) + 0.5) for a, b in expected]


def test_no_sessions_means_no_markers_or_shading():
    fig = timeline(sessions=[])
    assert not [a for a in fig.findobj() if a.get_gid() in ("sessions", "windows")]
    assert len(fig.axes[0].texts) == 0


@pytest.mark.parametrize(
    ("y_max", "values", "ticks"),
    [
        (10, [1, 2, 3], [0, 2, 4, 6, 8, 10]),
        (10, [9, 10], [0, 2, 4, 6, 8, 10]),
        (24, [6.5, 7.5, 8], [0, 6, 12, 18, 24]),
    ],
)
def test_value_axis_is_fixed_whatever_the_data(y_max, values, ticks):
    points = [(day(n), v) for n, v in enumerate(values)]
    ax = timeline(points=points, y_max=y_max).axes[0]
    assert ax.get_ylim() == (0, y_max)
    assert list(ax.get_yticks()) == ticks


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (START, START),
        (START, END),
        (date(2024, 1, 1), date(2024, 12, 31)),
        (date(2022, 1, 1), date(2024, 12, 30)),
    ],
)
def test_date_axis_spans_the_range_with_few_ticks(start, end):
    ax = timeline(start=start, end=end).axes[0]
    left, right = ax.get_xlim()
    assert left <= date2num(start) and right >= date2num(end)
    assert right - left == pytest.approx((end - start).days + 1)
    ticks = ax.get_xticks()
    assert 1 <= len(ticks) <= 5
    assert all(left <= t <= right for t in ticks)


def test_start_after_end_is_refused():
    with pytest.raises(ValueError, match="after"):
        timeline(start=END, end=START)
    with pytest.raises(ValueError, match="after"):
        assessments(start=END, end=START)


def test_three_year_timeline_renders_quickly(capsys):
    points, rolling, sessions, start, end = three_years()
    charts.to_svg(charts.mood_timeline(points, rolling, sessions, 7, start, end))  # warm-up
    timings = []
    for _ in range(3):
        began = time.perf_counter()
        fig = charts.mood_timeline(points, rolling, sessions, 7, start, end)
        svg = charts.to_svg(fig)
        timings.append((time.perf_counter() - began) * 1000)
    with capsys.disabled():
        print(
            f"\n3-year mood_timeline + to_svg ({len(points)} points, {len(sessions)} sessions):"
            f" best {min(timings):.0f} ms, worst {max(timings):.0f} ms, {len(svg) // 1024} KiB"
        )
    daily = by_gid(fig, "daily")
    assert np.count_nonzero(~np.isnan(np.asarray(daily.get_ydata(), dtype=float))) == len(points)
    # One artist for all the daily points, one for all the markers, one for all the windows.
    assert len(fig.axes[0].lines) == 2
    assert len(by_gid(fig, "sessions").get_segments()) == 50
    assert len(by_gid(fig, "windows").get_paths()) == 50
    assert parse_svg(svg).tag == f"{SVG_NS}svg"


# --- window overlay --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("series", "mean"),
    [
        ([("#1", [(0, 3.0), (1, 2.4)])], [(0, 3.0), (1, 2.4)]),
        ([("#1", [(0, -4.5), (1, -1.0)])], [(0, -4.5)]),
        ([("#1", [(0, 0.1)])], [(0, 0.1)]),
        ([("#1", [(0, 9.0), (3, -10.0)])], [(0, 9.0), (3, -10.0)]),
    ],
)
def test_overlay_axis_is_symmetric_around_zero(series, mean):
    ax = charts.window_overlay(series, mean, 7).axes[0]
    low, high = ax.get_ylim()
    assert low == -high
    assert high >= 2
    largest = max(abs(v) for _, points in series for _, v in points)
    assert high >= largest
    assert 0 in list(ax.get_yticks())


@pytest.mark.parametrize("window_days", [2, 7, 28])
def test_overlay_x_axis_is_days_since_session(window_days):
    ax = overlay(window_days=window_days).axes[0]
    low, high = ax.get_xlim()
    assert low < 0 < window_days < high < window_days + 1
    assert ax.get_xlabel() == "Days since session"


def test_overlay_zero_line_is_labelled_baseline():
    fig = overlay()
    zero = by_gid(fig, "baseline")
    assert list(zero.get_ydata()) == [0, 0]
    assert "baseline" in words(fig)
    ax = fig.axes[0]
    labels = dict(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True))
    assert labels[0] == "baseline"
    assert labels[ax.get_ylim()[1]].startswith("+")
    assert labels[ax.get_ylim()[0]].startswith("\u2212")


def test_overlay_session_lines_break_at_gaps_and_mean_is_thick():
    fig = overlay()
    first = np.asarray(by_gid(fig, "session-0").get_ydata(), dtype=float)
    assert list(np.nonzero(np.isnan(first))[0]) == [3]  # day 3 is missing
    mean = by_gid(fig, "mean")
    assert mean.get_linewidth() > 2 * by_gid(fig, "session-0").get_linewidth()


def session_series(count):
    return [(f"#{i + 1} {i + 1} Mar", [(0, 1.0 + i / 10), (1, 0.5)]) for i in range(count)]


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, ["#1 1 Mar", "mean"]),
        (3, ["#1 1 Mar", "#2 2 Mar", "#3 3 Mar", "mean"]),
        (8, [*(f"#{i} {i} Mar" for i in range(1, 9)), "mean"]),
        (9, ["each session", "mean"]),
        (40, ["each session", "mean"]),
    ],
)
def test_overlay_legend_names_sessions_only_up_to_eight(count, expected):
    fig = charts.window_overlay(session_series(count), [(0, 1.0), (1, 0.5)], 7)
    assert len(fig.legends) == 1
    assert [t.get_text() for t in fig.legends[0].get_texts()] == expected
    assert len([line for line in fig.axes[0].lines if line.get_gid().startswith("session-")]) == (
        count
    )


def test_overlay_sessions_up_to_eight_are_told_apart():
    fig = charts.window_overlay(session_series(8), [(0, 1.0)], 7)
    styles = {
        (line.get_color(), line.get_linestyle())
        for line in fig.axes[0].lines
        if line.get_gid().startswith("session-")
    }
    assert len(styles) == 8


# --- assessments -----------------------------------------------------------------------------

PHQ9_NAMES = ["minimal", "mild", "moderate", "moderately severe", "severe"]
GAD7_NAMES = ["minimal", "mild", "moderate", "severe"]


@pytest.mark.parametrize("theme", THEMES)
def test_assessment_band_labels_are_present(theme):
    top, bottom = assessments(theme).axes
    assert [t.get_text() for t in top.texts if t.get_gid() != "message"] == PHQ9_NAMES
    assert [t.get_text() for t in bottom.texts if t.get_gid() != "message"] == GAD7_NAMES
    assert top.get_ylim() == (0, 27)
    assert bottom.get_ylim() == (0, 21)
    assert top.get_shared_x_axes().joined(top, bottom)


@pytest.fixture(scope="module")
def assessments_chart():
    """One check-ups chart, drawn once for the tests below that only read it."""
    return assessments()


# Band edges from CLINICAL.md (Kroenke et al. 2001; Spitzer et al. 2006), written out here
# rather than read from the code under test.
@pytest.mark.parametrize(
    ("key", "score", "name"),
    [
        ("phq9", 0, "minimal"),
        ("phq9", 4, "minimal"),
        ("phq9", 5, "mild"),
        ("phq9", 9, "mild"),
        ("phq9", 10, "moderate"),
        ("phq9", 14, "moderate"),
        ("phq9", 15, "moderately-severe"),
        ("phq9", 19, "moderately-severe"),
        ("phq9", 20, "severe"),
        ("phq9", 27, "severe"),
        ("gad7", 0, "minimal"),
        ("gad7", 4, "minimal"),
        ("gad7", 5, "mild"),
        ("gad7", 9, "mild"),
        ("gad7", 10, "moderate"),
        ("gad7", 14, "moderate"),
        ("gad7", 15, "severe"),
        ("gad7", 21, "severe"),
    ],
)
def test_assessment_bands_follow_the_published_cut_offs(assessments_chart, key, score, name):
    holding = []
    for artist in assessments_chart.findobj():
        gid = artist.get_gid() or ""
        if gid.startswith(f"{key}-band-"):
            low, high = artist.get_y(), artist.get_y() + artist.get_height()
            if low <= score <= high:
                holding.append(gid.removeprefix(f"{key}-band-"))
    assert holding == [name]


def test_severe_bands_are_shaded_more_than_minimal():
    fig = assessments()
    alphas = [by_gid(fig, f"phq9-band-{name.replace(' ', '-')}").get_alpha() for name in PHQ9_NAMES]
    assert alphas == sorted(alphas)
    assert alphas[-1] <= 0.2  # faint


def test_assessment_scores_and_session_ticks():
    fig = assessments(sessions=[day(-10), day(5), day(12)])
    phq9 = by_gid(fig, "phq9")
    assert list(phq9.get_ydata()) == [18, 14, 11, 6]
    assert phq9.get_marker() == "o"
    assert list(by_gid(fig, "gad7").get_ydata()) == [12, 9, 4]
    for key in ("phq9", "gad7"):
        ticks = by_gid(fig, f"sessions-{key}")
        assert [s[0][0] for s in ticks.get_segments()] == list(date2num([day(5), day(12)]))
    assert "session" in words(fig)


# --- purity ----------------------------------------------------------------------------------


def test_module_imports_no_pyplot_flask_or_sql():
    tree = ast.parse(Path(charts.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported, "the import scan found nothing"
    for name in imported:
        assert not name.startswith(("flask", "sqlite", "matplotlib.pyplot", "pylab")), name


@pytest.mark.subprocess
def test_rendering_never_imports_pyplot():
    script = """
import sys
from datetime import date
from journal import charts
d = date(2025, 3, 1)
figs = [
    charts.mood_timeline([(d, 5)], [(d, 5)], [(d, "#1")], 7, d, date(2025, 3, 31), theme="dark"),
    charts.window_overlay([("#1", [(0, 1.0)])], [(0, 1.0)], 7),
    charts.assessments_chart([(d, 10)], [(d, 8)], [d], d, date(2025, 3, 31)),
]
for fig in figs:
    charts.to_svg(fig)
    charts.to_png(fig, dpi=50)
print("pyplot" if "matplotlib.pyplot" in sys.modules else "clean")
"""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_every_public_function_has_a_docstring():
    public = [
        obj
        for name, obj in vars(charts).items()
        if inspect.isfunction(obj)
        and not name.startswith("_")
        and obj.__module__ == charts.__name__
    ]
    assert {f.__name__ for f in public} >= {
        "mood_timeline",
        "window_overlay",
        "assessments_chart",
        "to_svg",
        "to_png",
    }
    for function in public:
        assert function.__doc__ and function.__doc__.strip(), function.__name__


def test_figures_are_phone_sized():
    for name, build in BUILDERS.items():
        width, height = build().get_size_inches()
        assert width == pytest.approx(6.4), name
        assert 3.6 <= height <= 4.8, name


# --- every point with data is visible (issue 8) ----------------------------------------------

# Check-ins with no neighbour the day before and after: a line alone draws nothing there.
LONE = [(0, 1.0), (2, 2.5), (3, 2.0), (6, -1.5)]
LONE_DAYS = [(day(n), v) for n, v in [(1, 4), (3, 6), (4, 7), (20, 2), (29, 8)]]
LONE_CHARTS = {
    "overlay": lambda theme: charts.window_overlay(
        [("#1 6 Mar", LONE), ("#2 13 Mar", [(5, 3.0)])], [(0, 1.0), (2, 2.0), (5, 3.0)], 7, theme
    ),
    "overlay-cloud": lambda theme: charts.window_overlay(
        [(f"#{i}", LONE) for i in range(1, 11)], LONE, 7, theme
    ),
    "timeline": lambda theme: timeline(theme, points=LONE_DAYS, rolling=LONE_DAYS),
    "sleep-timeline": lambda theme: timeline(
        theme, points=LONE_DAYS, rolling=[(day(10), 7.5)], label="Sleep", y_max=24
    ),
    "assessments": lambda theme: assessments(theme, phq9=[(day(9), 14)], gad7=[(day(20), 6)]),
}


def data_lines(fig: Figure) -> list:
    """The lines that carry data (every Line2D with a gid, e.g. daily, mean, session-0, phq9)."""
    return [line for ax in fig.axes for line in ax.lines if line.get_gid()]


def marked(line) -> np.ndarray:
    """Which of the line's points carry a marker."""
    count = len(line.get_xdata())
    if line.get_marker() in ("None", "", " ", None) or line.get_markersize() <= 0:
        return np.zeros(count, dtype=bool)
    every = line.get_markevery()
    if every is None:
        return np.ones(count, dtype=bool)
    assert len(every) == count and all(isinstance(m, bool) for m in every), every
    return np.asarray(every, dtype=bool)


def hidden_points(line) -> list[tuple[float, float]]:
    """The line's data points that nothing draws: no marker and no neighbour to join."""
    y = np.asarray(line.get_ydata(), dtype=float)
    finite = np.isfinite(y)
    joined = np.zeros(len(y), dtype=bool)
    if line.get_linestyle() not in ("None", "", " ") and line.get_linewidth() > 0:
        both = finite[:-1] & finite[1:]
        joined[:-1] |= both
        joined[1:] |= both
    x = np.asarray(line.get_xdata(), dtype=float)
    alone = finite & ~joined & ~marked(line)
    return list(zip(x[alone].tolist(), y[alone].tolist(), strict=True))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", LONE_CHARTS)
def test_every_point_with_data_is_drawn(name, theme):
    fig = LONE_CHARTS[name](theme)
    lines = data_lines(fig)
    assert lines
    for line in lines:
        assert hidden_points(line) == [], f"{name}: {line.get_gid()} hides points"


def test_overlay_marks_each_sessions_lone_day_in_its_own_colour():
    fig = LONE_CHARTS["overlay"]("light")
    first, second = by_gid(fig, "session-0"), by_gid(fig, "session-1")
    assert marked(first)[np.isfinite(first.get_ydata())].all()
    assert list(second.get_xdata()) == [5] and marked(second).all()
    mean = by_gid(fig, "mean")
    # The mean's lone day 5 is marked; days 0 and 2 are joined by nothing either.
    assert hidden_points(mean) == []
    assert marked(mean).sum() == 3
    # Day 5's mean is #2's lone value: a ring around its dot, not a disc on top of it.
    assert mean.get_markerfacecolor() == "none"
    assert mean.get_markersize() > second.get_markersize() + 2 * mean.get_markeredgewidth()


def test_rolling_line_marks_only_its_lone_points():
    fig = timeline(rolling=[(day(1), 4.0), (day(2), 4.5), (day(20), 6.0)])
    rolling = by_gid(fig, "rolling")
    # Days 1-2 and 20 are 18 days apart: the line breaks, and day 20 alone gets a dot.
    assert marked(rolling).tolist() == [False, False, False, True]
    assert hidden_points(rolling) == []
    # A lone average equals its day's value: a ring, so the daily dot inside stays in sight.
    assert rolling.get_markerfacecolor() == "none"
    daily = by_gid(fig, "daily")
    assert rolling.get_markersize() > daily.get_markersize() + 2 * rolling.get_markeredgewidth()


def test_a_joined_average_needs_no_dot():
    rolling = by_gid(timeline(), "rolling")
    assert rolling.get_marker() == "None"


def test_a_lone_point_is_in_the_svg_and_the_png():
    """The web's SVG holds one marker per point; the PDF's PNG shows the session's colour
    where the lone day 6 is drawn."""
    fig = charts.window_overlay([("#1 6 Mar", LONE)], [], 7)
    svg = parse_svg(charts.to_svg(fig))
    group = next(g for g in svg.iter(f"{SVG_NS}g") if g.get("id") == "session-0")
    assert len(list(group.iter(f"{SVG_NS}use"))) == len(LONE)

    dpi = 100
    pixels = imread(BytesIO(charts.to_png(fig, dpi=dpi)))
    x, y = fig.axes[0].transData.transform((6, -1.5)) * dpi / fig.dpi
    row, column = round(pixels.shape[0] - y), round(x)
    patch = pixels[row - 1 : row + 2, column - 1 : column + 2, :3].reshape(-1, 3)
    blue = np.array(to_rgb(charts.THEMES["light"]["series"][0]))
    assert min(np.abs(patch - blue).max(axis=1)) < 0.1


# --- the layout: no text runs into another (issue 8) -------------------------------------------


def overlaps(fig: Figure, slack: float = 2) -> list[str]:
    """Pairs of drawn texts (tick labels, band and session labels) and legends (as a whole:
    keys, texts and padding) whose boxes meet by more than `slack` px each way (a text's box
    includes room for accents and descenders, so touching boxes are not touching ink)."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    in_legend = {id(text) for legend in legends for text in legend.get_texts()}
    boxes = [
        *((repr(t.get_text()), t.get_window_extent(renderer)) for t in drawn_texts(fig)
          if id(t) not in in_legend),
        *((f"legend {[t.get_text() for t in legend.get_texts()]}",
           legend.get_window_extent(renderer)) for legend in legends),
    ]  # fmt: skip
    found = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            meet = Bbox.intersection(box_a, box_b)
            if meet is not None and meet.width > slack and meet.height > slack:
                found.append(f"{a} meets {b}")
    return found


LAYOUTS = {
    # The range ends on a date tick ("27 Nov"), the case where the last date met the legend.
    "assessments-90-days": lambda theme: charts.assessments_chart(
        [(date(2026, 9, 10), 18), (date(2026, 12, 1), 5)],
        [(date(2026, 9, 10), 14), (date(2026, 12, 1), 3)],
        [date(2026, 9, 20), date(2026, 10, 1)],
        date(2026, 9, 4),
        date(2026, 12, 2),
        theme,
    ),
    "assessments-30-days": lambda theme: assessments(theme),
    "assessments-3-years": lambda theme: charts.assessments_chart(
        [(date(2023, 1, 5), 20)],
        [(date(2025, 12, 1), 9)],
        [date(2024, 1, 1)],
        date(2023, 1, 1),
        date(2025, 12, 31),
        theme,
    ),
    "timeline": lambda theme: timeline(theme),
    "overlay": lambda theme: overlay(theme),
    "overlay-cloud": LONE_CHARTS["overlay-cloud"],
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", LAYOUTS)
def test_no_text_runs_into_another(name, theme):
    fig = LAYOUTS[name](theme)
    assert overlaps(fig) == []


def test_the_overlap_check_notices_text_on_text():
    fig = assessments()
    bottom = fig.axes[1]
    label = bottom.get_xticklabels()[-1]
    bottom.text(*label.get_position(), "on top", transform=label.get_transform())
    assert any("'on top' meets" in pair or "meets 'on top'" in pair for pair in overlaps(fig))


@pytest.mark.parametrize("theme", THEMES)
def test_assessments_legend_stays_inside_the_figure(theme):
    fig = LAYOUTS["assessments-90-days"](theme)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    (legend,) = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    box = legend.get_window_extent(renderer)
    assert box.x0 >= 0 and box.y0 >= 0
    assert box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            lambda: timeline(points=[(day(1), 5)], sessions=[(day(5), "#1")]),
            "Mood from 1 Mar 2025 to 31 Mar 2025: 1 check-in, 1 session",
        ),
        (
            lambda: overlay(series=[("#1 6 Mar", [(0, 3.0)])], mean=[(0, 3.0)]),
            "Mood change from baseline over the 7 days after each of 1 session",
        ),
        (
            lambda: assessments(sessions=[day(5)]),
            "PHQ-9 and GAD-7 scores from 1 Mar 2025 to 31 Mar 2025: 4 PHQ-9, 3 GAD-7, 1 session",
        ),
    ],
)
def test_svg_title_counts_one_in_the_singular(build, expected):
    title = parse_svg(charts.to_svg(build())).find(f"{SVG_NS}title").text
    assert title == expected


# A symptom's name on the y axis: up to 40 characters, in any script.


def ylabel(fig):
    return fig.axes[0].yaxis.label


@pytest.mark.parametrize(
    "name",
    ["Sensitivity to loud noise after sessions", "Donaudampfschifffahrtsgesellschaftskapitän"],
    ids=["words", "one word"],
)
def test_a_long_symptom_name_is_wrapped_within_the_charts_height(name):
    # One line of "Sensitivity to loud noise after sessions change" ran off both ends.
    for fig in (timeline(label=name), overlay(label=f"{name} change")):
        label = ylabel(fig)
        lines = label.get_text().split("\n")
        assert 1 < len(lines) <= charts.YLABEL_LINES
        assert all(len(line) <= charts.YLABEL_WIDTH for line in lines)
        assert "".join(lines).replace(" ", "").startswith(name.replace(" ", ""))
        FigureCanvasAgg(fig).draw()
        box = label.get_window_extent()
        assert box.y0 >= 0 and box.y1 <= fig.bbox.height, (box, fig.bbox)


def test_a_hebrew_symptom_name_reads_right_to_left_and_a_chinese_one_is_drawn():
    # Hebrew came out in reverse letter order, Chinese as squares ("Glyph missing", which
    # this suite's warnings-as-errors would fail on).
    hebrew = timeline(label="כאב ראש")
    assert ylabel(hebrew).get_text() == "שאר באכ"
    chinese = timeline(label="头痛")
    assert ylabel(chinese).get_fontfamily() == ["DejaVu Sans", charts.CJK_FAMILY]
    FigureCanvasAgg(chinese).draw()
    BytesIO().write(charts.to_svg(chinese))
