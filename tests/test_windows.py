"""Unit tests for journal.windows, with hand-computed expected values.

Dates are written as offsets from one session date S (2024-03-15) so the window arithmetic is
easy to follow; every expected figure is a literal with its arithmetic in a comment.
"""

import ast
import json
import math
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from journal import rules, windows
from journal.windows import (
    GAD7_BANDS,
    PHQ9_BANDS,
    band,
    baseline,
    day_streak,
    gad7_summary,
    mean_between,
    mean_series,
    phq9_summary,
    rolling_mean,
    session_windows,
    window_series,
)

S = date(2024, 3, 15)

WINDOW_KEYS = {
    "pre_level",
    "window_mean",
    "change",
    "peak_change",
    "peak_day",
    "days_above_baseline",
    "n_checkins",
}


def day(offset):
    """The date `offset` days after S (negative: before)."""
    return S + timedelta(days=offset)


def moods(pairs):
    """Check-ins from (offset, mood) pairs."""
    return [(day(offset), mood) for offset, mood in pairs]


def json_ok(value):
    """True when value serialises as strict JSON (no NaN, no odd types)."""
    json.dumps(value, allow_nan=False)
    return True


# --- baseline ---------------------------------------------------------------------------------


def test_baseline_none_without_a_session():
    assert baseline(moods([(-3, 5), (-2, 6), (-1, 7)]), None) is None


@pytest.mark.parametrize(
    "pairs",
    [
        [],
        [(-2, 6), (-1, 7)],
        # Day -15 and day 0 are outside days -14..-1, so only 2 count.
        [(-15, 5), (-2, 6), (-1, 7), (0, 8)],
    ],
)
def test_baseline_not_established_with_fewer_than_3_checkins(pairs):
    assert baseline(moods(pairs), S) is None


def test_baseline_with_exactly_3_checkins_at_the_edges():
    # Days -14, -7, -1: (3 + 4 + 8) / 3 = 15 / 3 = 5.0
    assert baseline(moods([(-14, 3), (-7, 4), (-1, 8)]), S) == 5.0


def test_baseline_ignores_days_outside_the_14_before_the_session():
    # -15 (10) and 0 (10) are outside; (2 + 3 + 4) / 3 = 3.0
    assert baseline(moods([(-15, 10), (-14, 2), (-2, 3), (-1, 4), (0, 10)]), S) == 3.0


def test_baseline_gaps_are_not_zeros():
    # 4 check-ins over 14 days: (4 + 5 + 6 + 7) / 4 = 22 / 4 = 5.5 (not 22 / 14)
    assert baseline(moods([(-13, 4), (-9, 5), (-6, 6), (-2, 7)]), S) == 5.5


def test_baseline_same_day_twice_later_one_wins():
    # Day -1 is given as 2 then 8: the 8 counts once. (8 + 4 + 6) / 3 = 18 / 3 = 6.0
    assert baseline(moods([(-1, 2), (-2, 4), (-3, 6), (-1, 8)]), S) == 6.0


def test_baseline_nan_or_missing_mood_is_a_gap():
    # Only days -2 and -3 are usable: 2 check-ins, not enough.
    assert baseline(moods([(-1, math.nan), (-4, None), (-2, 5), (-3, 6)]), S) is None


# --- session_windows --------------------------------------------------------------------------


def test_no_sessions_give_no_windows_and_no_series():
    checkins = moods([(-1, 5), (1, 6)])
    assert session_windows(checkins, [], 5.0) == []
    assert window_series(checkins, [], 5.0) == []


def test_window_figures_for_one_session_with_gaps():
    checkins = moods([(-4, 1), (-3, 4), (-1, 6), (0, 10), (1, 7), (2, 8), (4, 6), (7, 5), (8, 9)])
    [result] = session_windows(checkins, [S], 5.0)
    assert set(result) == WINDOW_KEYS
    assert result == {
        "pre_level": 5.0,  # days -3, -1 (day -2 is a gap): (4 + 6) / 2 = 5.0
        "window_mean": 6.5,  # days 1, 2, 4, 7 (not 0, not 8): (7 + 8 + 6 + 5) / 4 = 6.5
        "change": 1.5,  # 6.5 - 5.0
        "peak_change": 3.0,  # day 2: 8 - 5.0
        "peak_day": 2,
        "days_above_baseline": 3,  # 7, 8, 6 are above 5.0; 5 on day 7 is not
        "n_checkins": 4,
    }


def test_session_with_no_data_after_it_is_all_none():
    [result] = session_windows(moods([(-2, 4), (-1, 6), (8, 9)]), [S], 5.0)
    assert result == {
        "pre_level": 5.0,  # (4 + 6) / 2
        "window_mean": None,
        "change": None,
        "peak_change": None,
        "peak_day": None,
        "days_above_baseline": None,
        "n_checkins": 0,
    }


def test_unknown_baseline_keeps_the_mean_but_not_the_comparisons():
    [result] = session_windows(moods([(1, 6), (2, 9)]), [S], None)
    assert result == {
        "pre_level": None,
        "window_mean": 7.5,  # (6 + 9) / 2
        "change": None,
        "peak_change": None,
        "peak_day": None,
        "days_above_baseline": None,
        "n_checkins": 2,
    }


def test_pre_level_uses_days_minus_3_to_minus_1_only():
    # Day -4 (10) and day 0 (9) are outside; day -2 is a gap: (2 + 5) / 2 = 3.5
    [result] = session_windows(moods([(-4, 10), (-3, 2), (-1, 5), (0, 9)]), [S], 5.0)
    assert result["pre_level"] == 3.5


def test_pre_level_none_when_nothing_in_the_3_days_before():
    [result] = session_windows(moods([(-4, 10), (0, 9), (1, 6)]), [S], 5.0)
    assert result["pre_level"] is None


def test_next_session_inside_the_window_cuts_it_short():
    checkins = moods([(0, 4), (1, 6), (2, 7), (3, 9), (4, 8)])
    first, second = session_windows(checkins, [S, day(3)], 5.0)
    # First: days 1, 2 only (day 3 is the next session's day 0): (6 + 7) / 2 = 6.5
    assert first["window_mean"] == 6.5
    assert first["n_checkins"] == 2
    assert first["peak_change"] == 2.0  # 7 - 5.0 on day 2
    assert first["peak_day"] == 2
    # Second: its day 1 is S+4: 8.0; pre-level over S, S+1, S+2: (4 + 6 + 7) / 3 = 17 / 3
    assert second["window_mean"] == 8.0
    assert second["n_checkins"] == 1
    assert second["peak_day"] == 1
    assert second["pre_level"] == pytest.approx(5.666666666666667)


def test_two_sessions_on_the_same_date_the_later_owns_the_window():
    checkins = moods([(-1, 3), (1, 6), (2, 8)])
    earlier, later = session_windows(checkins, [S, S], 5.0)
    assert earlier == {
        "pre_level": 3.0,  # day -1 only
        "window_mean": None,
        "change": None,
        "peak_change": None,
        "peak_day": None,
        "days_above_baseline": None,
        "n_checkins": 0,
    }
    assert later["window_mean"] == 7.0  # (6 + 8) / 2
    assert later["n_checkins"] == 2
    assert later["pre_level"] == 3.0


def test_unsorted_sessions_come_back_in_input_order_and_still_cut():
    checkins = moods([(1, 6), (4, 9)])
    later, earlier = session_windows(checkins, [day(3), S], 5.0)
    assert later["window_mean"] == 9.0  # S+3's day 1 is S+4
    # S is cut by S+3, so S+4 (9) is not in it: 6.0, not (6 + 9) / 2 = 7.5
    assert earlier["window_mean"] == 6.0
    assert earlier["n_checkins"] == 1


def test_peak_tie_takes_the_earliest_day():
    # 8 on days 2 and 5: peak 8 - 5.0 = 3.0 on day 2
    [result] = session_windows(moods([(2, 8), (3, 6), (5, 8)]), [S], 5.0)
    assert result["peak_change"] == 3.0
    assert result["peak_day"] == 2


def test_negative_changes_when_every_day_is_below_baseline():
    [result] = session_windows(moods([(1, 4), (2, 5), (3, 3)]), [S], 6.0)
    assert result["window_mean"] == 4.0  # (4 + 5 + 3) / 3 = 12 / 3
    assert result["change"] == -2.0  # 4.0 - 6.0
    assert result["peak_change"] == -1.0  # best day: 5 - 6.0 on day 2
    assert result["peak_day"] == 2
    assert result["days_above_baseline"] == 0  # known baseline, check-ins, none above
    assert result["n_checkins"] == 3


def test_window_of_2_days():
    # Days 1, 2 count, day 3 does not: (6 + 7) / 2 = 6.5
    [result] = session_windows(moods([(1, 6), (2, 7), (3, 10)]), [S], 5.0, window_days=2)
    assert result["window_mean"] == 6.5
    assert result["n_checkins"] == 2
    assert result["peak_change"] == 2.0  # 7 - 5.0
    assert result["peak_day"] == 2


def test_window_of_28_days():
    # Days 1 and 28 count, 29 does not: (6 + 10) / 2 = 8.0
    [result] = session_windows(moods([(1, 6), (28, 10), (29, 10)]), [S], 5.0, window_days=28)
    assert result["window_mean"] == 8.0
    assert result["n_checkins"] == 2
    assert result["peak_change"] == 5.0  # 10 - 5.0
    assert result["peak_day"] == 28


def test_default_window_is_7_days():
    # Day 7 counts, day 8 does not: (6 + 8) / 2 = 7.0
    [result] = session_windows(moods([(1, 6), (7, 8), (8, 10)]), [S], 5.0)
    assert result["window_mean"] == 7.0


@pytest.mark.parametrize("bad", [1, 29, 0, -7, 7.0, "7", True, None])
@pytest.mark.parametrize(
    "call",
    [
        lambda w: session_windows(moods([(1, 6)]), [S], 5.0, window_days=w),
        lambda w: window_series(moods([(1, 6)]), [S], 5.0, window_days=w),
        lambda w: mean_series([[(1, 1.0)]], w),
    ],
    ids=["session_windows", "window_series", "mean_series"],
)
def test_invalid_window_days_are_refused(call, bad):
    with pytest.raises(ValueError):
        call(bad)


def test_window_figures_are_plain_json_numbers():
    # An int baseline and int moods still give float means and deltas, int counts.
    [result] = session_windows(moods([(-1, 4), (1, 6), (2, 8)]), [S], 5)
    assert type(result["pre_level"]) is float
    assert type(result["window_mean"]) is float
    assert type(result["change"]) is float
    assert type(result["peak_change"]) is float
    assert type(result["peak_day"]) is int
    assert type(result["days_above_baseline"]) is int
    assert type(result["n_checkins"]) is int


# --- window_series and mean_series ------------------------------------------------------------


def test_window_series_includes_day_0_and_skips_gaps():
    # base 5.0: day 0: 6 - 5 = 1.0, day 1: 7 - 5 = 2.0, day 3: 4 - 5 = -1.0; day 8 > W
    series = window_series(moods([(-1, 9), (0, 6), (1, 7), (3, 4), (8, 9)]), [S], 5.0)
    assert series == [[(0, 1.0), (1, 2.0), (3, -1.0)]]


def test_window_series_empty_when_baseline_unknown():
    assert window_series(moods([(0, 6), (1, 7)]), [S, day(3)], None) == [[], []]


def test_window_series_cut_by_next_session_and_same_date():
    checkins = moods([(0, 6), (1, 7), (2, 8), (3, 9)])
    series = window_series(checkins, [S, S, day(2)], 5.0)
    assert series == [
        [],  # the earlier of the two sessions on S: its day 0 belongs to the later one
        [(0, 1.0), (1, 2.0)],  # 6 - 5, 7 - 5; day 2 is the next session's day 0
        [(0, 3.0), (1, 4.0)],  # 8 - 5, 9 - 5
    ]


def test_mean_series_averages_each_offset_that_has_values():
    series = [[(0, 1.0), (1, 2.0)], [(1, 4.0), (3, -1.0)], []]
    # offset 0: 1.0; offset 1: (2.0 + 4.0) / 2 = 3.0; offset 2: none (left out); offset 3: -1.0
    assert mean_series(series, 7) == [(0, 1.0), (1, 3.0), (3, -1.0)]


def test_mean_series_of_nothing_is_empty():
    assert mean_series([], 7) == []
    assert mean_series([[], []], 7) == []


def test_mean_series_ignores_offsets_beyond_the_window():
    # Offset 5 is outside 0..3
    assert mean_series([[(2, 1.0), (5, 3.0)], [(2, 2.0)]], 3) == [(2, 1.5)]  # (1 + 2) / 2


# --- rolling_mean -----------------------------------------------------------------------------


def test_rolling_mean_with_gaps():
    points = [
        (date(2024, 3, 1), 2),
        (date(2024, 3, 2), 4),
        (date(2024, 3, 5), 6),
        (date(2024, 3, 9), 8),
    ]
    assert rolling_mean(points, days=3) == [
        (date(2024, 3, 1), 2.0),  # (Feb 27, Mar 1]: 2
        (date(2024, 3, 2), 3.0),  # (Feb 28, Mar 2]: (2 + 4) / 2
        (date(2024, 3, 5), 6.0),  # (Mar 2, Mar 5]: Mar 2 is excluded, gaps are not zeros
        (date(2024, 3, 9), 8.0),  # (Mar 6, Mar 9]: 8
    ]


def test_rolling_mean_default_7_days_and_unsorted_input():
    points = [(date(2024, 3, 8), 8), (date(2024, 3, 1), 1), (date(2024, 3, 7), 3)]
    assert rolling_mean(points) == [
        (date(2024, 3, 1), 1.0),
        (date(2024, 3, 7), 2.0),  # (Feb 29, Mar 7] (2024 is a leap year): (1 + 3) / 2
        (date(2024, 3, 8), 5.5),  # (Mar 1, Mar 8]: (3 + 8) / 2
    ]


def test_rolling_mean_two_values_on_one_date_give_one_point():
    points = [(date(2024, 3, 1), 2), (date(2024, 3, 1), 4), (date(2024, 3, 2), 6)]
    assert rolling_mean(points, days=2) == [
        (date(2024, 3, 1), 3.0),  # (2 + 4) / 2
        (date(2024, 3, 2), 4.0),  # (2 + 4 + 6) / 3
    ]


def test_rolling_mean_skips_unusable_values():
    points = [(date(2024, 3, 1), 4), (date(2024, 3, 2), math.nan), (date(2024, 3, 3), None)]
    # Mar 2 and Mar 3 are gaps, so they get no point and do not drag Mar 1's 4 down.
    assert rolling_mean(points, days=3) == [(date(2024, 3, 1), 4.0)]


def test_rolling_mean_of_nothing_is_empty():
    assert rolling_mean([]) == []


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_rolling_mean_refuses_a_bad_number_of_days(bad):
    with pytest.raises(ValueError):
        rolling_mean([(date(2024, 3, 1), 5)], days=bad)


# --- bands ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands_at_every_boundary(total, expected):
    assert band(total, PHQ9_BANDS) == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands_at_every_boundary(total, expected):
    assert band(total, GAD7_BANDS) == expected


def test_band_of_no_score_is_none():
    assert band(None, PHQ9_BANDS) is None


@pytest.mark.parametrize(("total", "bands"), [(28, PHQ9_BANDS), (-1, PHQ9_BANDS), (22, GAD7_BANDS)])
def test_band_refuses_impossible_totals(total, bands):
    with pytest.raises(ValueError):
        band(total, bands)


# --- PHQ-9 and GAD-7 summaries ----------------------------------------------------------------


def test_phq9_summary_without_scores():
    assert phq9_summary([], S) == {
        "baseline": None,
        "latest": None,
        "band": None,
        "first": None,
        "response": None,
        "remission": None,
        "reason": "no_scores",
    }


def test_phq9_baseline_is_the_last_score_on_or_before_the_first_session():
    scores = [(day(-14), 20), (day(-7), 18), (day(0), 16), (day(14), 8)]
    assert phq9_summary(scores, S) == {
        "baseline": 16,  # day 0 is "on" the session's date
        "latest": 8,
        "band": "mild",
        "first": None,  # there is a treatment baseline
        "response": True,  # 8 <= 16 / 2 = 8 (at most half: the boundary counts)
        "remission": False,  # 8 is not below 5
        "reason": None,
    }


def test_phq9_without_a_score_before_the_first_session_has_no_baseline():
    scores = [(day(21), 6), (day(7), 12)]
    summary = phq9_summary(scores, S)
    assert summary["baseline"] is None  # nothing on or before S: no treatment baseline
    assert summary["first"] == 12  # the change since the first score can be shown
    assert summary["latest"] == 6
    assert summary["response"] is None and summary["remission"] is None
    assert summary["reason"] == "no_baseline"


def test_phq9_without_a_session_has_no_baseline_only_a_first_score():
    summary = phq9_summary([(day(0), 14), (day(14), 10)], None)
    assert summary["baseline"] is None
    assert summary["first"] == 14
    assert summary["response"] is None
    assert summary["reason"] == "no_session"


@pytest.mark.parametrize(
    ("base", "latest", "expected"),
    [
        (11, 5, True),  # 5 <= 11 / 2 = 5.5
        (11, 6, False),  # 6 > 5.5
        (10, 5, True),  # the smallest baseline that counts
        (20, 10, True),  # 10 <= 10
        (20, 11, False),  # 11 > 10
        (12, 27, False),  # worse than baseline
        (9, 4, None),  # baseline below 10: not defined
        (1, 0, None),
        (0, 0, None),
    ],
)
def test_phq9_response(base, latest, expected):
    summary = phq9_summary([(day(-1), base), (day(14), latest)], S)
    assert summary["response"] is expected


@pytest.mark.parametrize(("latest", "expected"), [(0, True), (4, True), (5, False), (27, False)])
def test_phq9_remission_is_latest_below_5(latest, expected):
    summary = phq9_summary([(day(-1), 20), (day(14), latest)], S)
    assert summary["remission"] is expected


def test_phq9_single_score_has_no_response():
    assert phq9_summary([(day(-1), 3)], S) == {
        "baseline": 3,
        "latest": 3,
        "band": "minimal",
        "first": None,
        "response": None,  # nothing to compare, and a baseline below 10
        "remission": None,  # a single 3 is not a remission
        "reason": "baseline_below_10",
    }


def test_phq9_latest_is_the_baseline_record_when_all_scores_precede_the_session():
    summary = phq9_summary([(day(-14), 20), (day(-2), 8)], S)
    assert summary["baseline"] == 8
    assert summary["latest"] == 8
    assert summary["response"] is None


def test_phq9_unsorted_scores_and_ties_later_in_list_wins():
    scores = [(day(14), 6), (day(-7), 20), (day(14), 9), (day(-7), 18)]
    summary = phq9_summary(scores, S)
    assert summary["baseline"] == 18  # day -7: 20 then 18, the later wins
    assert summary["latest"] == 9  # day 14: 6 then 9, the later wins
    assert summary["band"] == "mild"
    assert summary["response"] is True  # 9 <= 18 / 2 = 9


def test_phq9_refuses_an_impossible_baseline():
    with pytest.raises(ValueError):
        phq9_summary([(day(-1), 30), (day(14), 8)], S)


def test_gad7_summary():
    scores = [(day(14), 9), (day(-3), 16), (day(-20), 12)]
    assert gad7_summary(scores, S) == {"baseline": 16, "latest": 9, "band": "mild", "first": None}


def test_gad7_summary_without_scores():
    assert gad7_summary([], None) == {"baseline": None, "latest": None, "band": None, "first": None}


def test_gad7_uses_its_own_bands():
    # 17 is "severe" on GAD-7 (15-21) but "moderately severe" on PHQ-9 (15-19).
    assert gad7_summary([(day(0), 17)], S)["band"] == "severe"
    assert phq9_summary([(day(0), 17)], S)["band"] == "moderately severe"


# --- streaks and means ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offsets", "expected"),
    [
        ([0, -1, -2], 3),  # today, yesterday, the day before
        ([-1, -2, -3], 3),  # nothing yet today: counts back from yesterday
        ([0, -1, -3, -4], 2),  # gap at -2 ends it
        ([-2, -3], 0),  # neither today nor yesterday
        ([], 0),
        ([-2, 0, -1, 0, -1], 3),  # unsorted, duplicates
        ([1, 2, 0], 1),  # future dates do not count
    ],
)
def test_day_streak(offsets, expected):
    assert day_streak([day(offset) for offset in offsets], S) == expected


def test_mean_between_is_inclusive_at_both_ends():
    checkins = moods([(-1, 10), (0, 2), (3, 5), (6, 8), (7, 10)])
    # Days 0..6: (2 + 5 + 8) / 3 = 15 / 3 = 5.0
    assert mean_between(checkins, day(0), day(6)) == 5.0


@pytest.mark.parametrize(("start", "end"), [(1, 2), (4, 1)])
def test_mean_between_none_when_nothing_in_range(start, end):
    assert mean_between(moods([(0, 5), (3, 7)]), day(start), day(end)) is None


# --- strict JSON ------------------------------------------------------------------------------


CHECKINS = moods([(-10, 4), (-5, math.nan), (-3, 5), (-1, 6), (1, 7), (2, 3), (9, 8)])


@pytest.mark.parametrize(
    "make",
    [
        lambda: baseline(CHECKINS, S),
        lambda: baseline([], S),
        lambda: session_windows(CHECKINS, [S, S, day(2), day(30)], 5.0),
        lambda: session_windows(CHECKINS, [S], None),
        lambda: session_windows(CHECKINS, [S], baseline(CHECKINS, S)),
        lambda: window_series(CHECKINS, [S, day(2)], 5.0),
        lambda: mean_series(window_series(CHECKINS, [S, day(2)], 5.0), 7),
        # Dates are the caller's to format; the values must be strict JSON numbers.
        lambda: [value for _, value in rolling_mean(CHECKINS)],
        lambda: phq9_summary([], S),
        lambda: phq9_summary([(day(-1), 0), (day(7), 0)], S),
        lambda: phq9_summary([(day(-1), 20), (day(7), 4)], S),
        lambda: phq9_summary([(day(7), 12)], None),
        lambda: gad7_summary([], S),
        lambda: gad7_summary([(day(-1), 12), (day(7), 4)], S),
        lambda: mean_between(CHECKINS, day(-5), day(-5)),
    ],
)
def test_results_serialise_as_strict_json(make):
    assert json_ok(make())


@pytest.mark.parametrize("module", [windows, rules], ids=["windows", "rules"])
def test_module_imports_only_the_standard_library(module):
    """The analytics and the rules they apply: standard library only (the one journal module
    windows may import is rules, itself standard library only)."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            imported.add("journal." + node.module)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported or module is rules
    assert imported - {"journal.rules"} <= sys.stdlib_module_names


# --- PHQ-9 response and remission need a treatment baseline of 10 or more (issue 8) -----------


@pytest.mark.parametrize(
    ("scores", "first_session", "response", "remission", "reason"),
    [
        ([(-1, 3)], S, None, None, "baseline_below_10"),  # a single 3 is not a remission
        ([(-1, 4), (14, 2)], S, None, None, "baseline_below_10"),  # minimal 4 -> 2: neither
        ([(-1, 12), (14, 5)], S, True, False, None),  # 5 <= 6: response, 5 is not below 5
        ([(-1, 12), (14, 4)], S, True, True, None),  # both
        ([(-1, 12), (14, 7)], S, False, False, None),  # 7 > 6
        ([(0, 15)], S, None, None, "no_later_score"),  # on the session day: baseline only
        ([(-7, 18), (-1, 14)], S, None, None, "no_later_score"),  # both before treatment
        ([(3, 12), (14, 4)], S, None, None, "no_baseline"),  # first taken after the session
        ([(0, 12), (14, 4)], None, None, None, "no_session"),
        ([], S, None, None, "no_scores"),
    ],
)
def test_phq9_response_and_remission_hand_computed(
    scores, first_session, response, remission, reason
):
    summary = phq9_summary([(day(offset), total) for offset, total in scores], first_session)
    assert (summary["response"], summary["remission"], summary["reason"]) == (
        response,
        remission,
        reason,
    )


def test_phq9_reason_codes_are_the_documented_ones():
    assert windows.RESPONSE_REASONS == (
        "no_scores",
        "no_session",
        "no_baseline",
        "baseline_below_10",
        "no_later_score",
    )


def test_gad7_after_treatment_began_has_no_baseline_but_a_first_score():
    summary = gad7_summary([(day(3), 12), (day(10), 8)], S)
    assert summary == {"baseline": None, "latest": 8, "band": "mild", "first": 12}


@pytest.mark.parametrize(
    ("offsets", "window_days", "expected"),
    [
        ([0], 7, [7]),
        ([0, 5], 7, [4, 7]),  # cut short by the next session: days 1..4
        ([0, 1], 7, [0, 7]),  # only day 0
        ([0, 0], 7, [-1, 7]),  # the earlier of a same-date pair has no window
        ([0, 30], 7, [7, 7]),
        ([5, 0], 3, [3, 3]),  # input order kept
    ],
)
def test_window_ends(offsets, window_days, expected):
    assert windows.window_ends([day(o) for o in offsets], window_days) == expected


def test_session_windows_cost_grows_with_the_history_not_with_its_square():
    """The largest history the forms accept: a check-in and four sessions (sessions.PER_DAY_MAX)
    on every day since 1990. Each session's pre-level used to scan every check-in day, half a
    minute of work for one page here; a lookup per day of its 3-day span is not."""
    import time

    first = date(1990, 1, 1)
    checkins = [(first + timedelta(days=n), n % 11) for n in range(13_500)]
    sessions = [first + timedelta(days=n // 4) for n in range(4 * 13_500)]
    started = time.perf_counter()
    figures = windows.session_windows(checkins, sessions, 5.0, 7)
    assert time.perf_counter() - started < 10  # a hang guard
    assert len(figures) == len(sessions)
    last_of_a_day = figures[4 * 100 + 3]  # day 100's 4th session
    pre = [(100 - k) % 11 for k in (3, 2, 1)]
    assert last_of_a_day["pre_level"] == pytest.approx(sum(pre) / 3)
    assert last_of_a_day["n_checkins"] == 0  # cut the next day, by the next day's sessions


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [(0, 2, 1.0), (1, 1, 1.0), (2, 1, None), (5, 400, 5.0), (-400, 0, 0.0), (-400, 400, 2.0)],
)
def test_mean_between_looks_up_short_and_long_spans_alike(start, end, expected):
    checkins = [(day(0), 0), (day(1), 1), (day(2), 2), (day(5), 5)]
    assert windows.mean_between(checkins, day(start), day(end)) == expected
