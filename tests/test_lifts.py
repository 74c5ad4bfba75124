"""The length of the lift (issue 10), tested from the definitions with hand-computed cases.

DESIGN.md "The length of the lift" and issue 10: per session `reference`, `lift_days`,
`lift_ended` and `day1_change`; across sessions `lift` and `trend`; the PHQ-9's
`percent_change` and `first_response_date`; and the words that tell a person about them.

Three parts: the pure functions of journal/windows.py on lists of (date, value); a patient's
hand-built history read back from `/progress/summary.json`; `figures.lift_words` on hand-built
course dicts. Every expected value is a literal with its arithmetic beside it, worked from the
definitions, never copied from the code's output. Dates in the unit tests are offsets from one
session date S, as in tests/test_windows.py.
"""

import json
import math
import re
from datetime import date, timedelta
from types import SimpleNamespace

import factories
import pytest
from conftest import pdf_text
from factories import TODAY

from journal import figures, rules
from journal.windows import (
    lift_summary,
    open_lift_reasons,
    phq9_course,
    session_lifts,
    session_windows,
    theil_sen,
    trend,
)

S = date(2024, 3, 15)
LIFT_KEYS = {"reference", "lift_days", "lift_ended", "day1_change"}


def day(offset):
    """The date `offset` days after S (negative: before)."""
    return S + timedelta(days=offset)


def moods(pairs):
    """Check-ins from (offset, mood) pairs, in the order given."""
    return [(day(offset), mood) for offset, mood in pairs]


def lift(checkins, base, sessions=(0,), **extra):
    """session_lifts for sessions at the given offsets; the list of per-session dicts."""
    return session_lifts(moods(checkins), [day(offset) for offset in sessions], base, **extra)


def expect(reference, lift_days, lift_ended, day1_change):
    return {
        "reference": reference,
        "lift_days": lift_days,
        "lift_ended": lift_ended,
        "day1_change": day1_change,
    }


# --- the constants --------------------------------------------------------------------------


def test_constants_are_those_of_the_issue():
    assert rules.LIFT_HORIZON_DAYS == 42
    assert rules.TREND_MIN_SESSIONS == 3


# --- session_lifts: walking the horizon -----------------------------------------------------


def test_no_sessions_no_lifts():
    assert session_lifts(moods([(1, 7)]), [], 5.0) == []


def test_gaps_in_the_checkins_are_skipped_not_zeros():
    # Reference 5.0 (the baseline). Days 2, 4, 5, 7, 8 are gaps. Walk: d1 7 > 5, d3 6 > 5,
    # d6 8 > 5, d9 5 <= 5 ends it: the last above before it is day 6. Day 10 comes after.
    # pre_level: day -2 only = 4.0; day1_change 7 - 4.0 = 3.0.
    [result] = lift([(-2, 4), (1, 7), (3, 6), (6, 8), (9, 5), (10, 9)], 5.0)
    assert set(result) == LIFT_KEYS
    assert result == expect(5.0, 6, True, 3.0)
    assert isinstance(result["lift_days"], int) and result["lift_ended"] is True


def test_a_lift_cut_by_the_next_session_is_open():
    # Sessions on days 0 and 5: the first's horizon is days 1..4 (day 5 is the next one's
    # day 0, its mood 2 is not part of it). d1 6, d3 7, both above 5.0, none at or below:
    # open, lasted at least to day 3. No check-in on days -3..-1: no pre_level, no day1_change.
    # The second: pre_level days 2..4 = d3 7 -> 7.0; its day 1 (offset 6) is 4 <= 5.0: 0, ended;
    # day1_change 4 - 7.0 = -3.0.
    first, second = lift([(1, 6), (3, 7), (5, 2), (6, 4), (8, 9)], 5.0, sessions=(0, 5))
    assert first == expect(5.0, 3, False, None)
    assert second == expect(5.0, 0, True, -3.0)


def test_the_next_sessions_own_date_is_not_in_the_horizon():
    # Next session on day 3: horizon days 1..2. Day 3's mood 1 would end the lift; it does not.
    first, _ = lift([(1, 8), (2, 7), (3, 1)], 5.0, sessions=(0, 3))
    assert first["lift_days"] == 2 and first["lift_ended"] is False


def test_a_next_session_the_day_after_leaves_no_horizon():
    # Next session on day 1: H = min(42, 0) = 0, no horizon day, so no lift. day1_change is read
    # literally (the lead's decision, docstring): day 1's mood 8 - pre_level (day -1: 6) = 2.0.
    first, second = lift([(-1, 6), (1, 8), (2, 4)], 5.0, sessions=(0, 1))
    assert first == expect(5.0, None, None, 2.0)
    # The second (day 1): its day 1 is offset 2, mood 4 <= 5.0: 0, ended. Its pre_level is
    # offsets -2..0, where only -1 has a check-in: 6.0; day1_change 4 - 6.0 = -2.0.
    assert second == expect(5.0, 0, True, -2.0)


def test_a_first_checkin_already_at_the_reference_is_0_and_ended():
    # d1 5 <= 5.0 straight away: 0 days, ended, whatever comes after.
    assert lift([(1, 5), (2, 9), (3, 9)], 5.0) == [expect(5.0, 0, True, None)]


def test_a_first_checkin_below_the_reference_after_a_gap_is_0():
    # Day 1 is a gap; the first check-in, day 2, is 3 < 5.0: 0, ended.
    assert lift([(2, 3), (3, 9)], 5.0) == [expect(5.0, 0, True, None)]


def test_a_checkin_equal_to_the_reference_ends_the_lift():
    # d1 7, d2 6 above; d3 5 equals 5.0 and ends it (at or below): 2 days. d4 9 comes after.
    assert lift([(1, 7), (2, 6), (3, 5), (4, 9)], 5.0)[0]["lift_days"] == 2
    # With a reference of 5.5, 6 is above and 5 below: d1 6, d2 5 -> 1 day.
    assert lift([(1, 6), (2, 5)], 5.5) == [expect(5.5, 1, True, None)]


def test_without_a_baseline_the_reference_is_the_sessions_pre_level():
    # No baseline: pre_level days -3..-1 = (4 + 5 + 6) / 3 = 5.0 is the reference.
    # d1 6 > 5.0, d2 5 <= 5.0 ends it: 1 day. day1_change 6 - 5.0 = 1.0.
    checkins = [(-3, 4), (-2, 5), (-1, 6), (1, 6), (2, 5)]
    assert lift(checkins, None) == [expect(5.0, 1, True, 1.0)]
    # With a baseline of 4.0 established, it is the reference instead: d1 6 and d2 5 are both
    # above 4.0, none at or below: open at day 2. day1_change stays against pre_level: 1.0.
    assert lift(checkins, 4.0) == [expect(4.0, 2, False, 1.0)]


def test_each_session_falls_back_to_its_own_pre_level():
    # No baseline, sessions on days 0 and 10. Session 1: pre_level (days -2, -1) (3 + 5) / 2 =
    # 4.0; d1 5 > 4, d2 4 <= 4: 1 day, ended; day1_change 5 - 4.0 = 1.0.
    # Session 2: pre_level days 7..9 = d8 7, d9 8 -> 7.5; offset 11 (its day 1) 8 > 7.5,
    # offset 12 7 <= 7.5: 1 day, ended; day1_change 8 - 7.5 = 0.5.
    checkins = [(-2, 3), (-1, 5), (1, 5), (2, 4), (8, 7), (9, 8), (11, 8), (12, 7)]
    assert lift(checkins, None, sessions=(0, 10)) == [
        expect(4.0, 1, True, 1.0),
        expect(7.5, 1, True, 0.5),
    ]


def test_neither_baseline_nor_pre_level_is_all_null():
    # Check-ins after the session only: no reference, so no lift, and no pre_level, so no
    # day1_change. Null, never 0.
    assert lift([(1, 9), (2, 3)], None) == [expect(None, None, None, None)]


@pytest.mark.parametrize(
    "checkins",
    [
        [],
        [(0, 2)],  # day 0 is not a horizon day
        [(-1, 6), (43, 2)],  # day 43 is past the cap
    ],
)
def test_no_checkin_in_the_horizon_is_null(checkins):
    [result] = lift(checkins, 5.0)
    assert result["lift_days"] is None and result["lift_ended"] is None
    assert result["reference"] == 5.0


def test_the_sessions_own_day_is_not_day_1():
    # Day 0's mood 1 would end the lift at once if it counted; it does not. d1 7, d2 4: 1 day.
    assert lift([(0, 1), (1, 7), (2, 4)], 5.0)[0]["lift_days"] == 1


def test_the_lift_can_outlast_the_window():
    # Above 5.0 on days 1, 8, 15, 20; 5 on day 21 ends it: a lift of 20 days.
    checkins = [(1, 7), (8, 7), (15, 8), (20, 6), (21, 5)]
    [result] = lift(checkins, 5.0)
    assert result == expect(5.0, 20, True, None)
    # The 7-day window of the same session holds only day 1.
    [window] = session_windows(moods(checkins), [S], 5.0, 7)
    assert window["n_checkins"] == 1


def test_the_42_day_cap_ignores_day_43_and_after():
    # Above on days 1 and 42; day 43's 3 is past the cap: open, at least 42 days.
    assert lift([(1, 6), (42, 6), (43, 3)], 5.0) == [expect(5.0, 42, False, None)]
    # Above on day 40, then a gap to day 43 (9) and 44 (2): day 40, open.
    assert lift([(40, 6), (43, 9), (44, 2)], 5.0) == [expect(5.0, 40, False, None)]


def test_a_next_session_after_the_cap_does_not_lengthen_the_horizon():
    # Next session on day 50: H = min(42, 49) = 42. Day 45's 3 is not part of it.
    first, _ = lift([(10, 7), (42, 6), (45, 3)], 5.0, sessions=(0, 50))
    assert (first["lift_days"], first["lift_ended"]) == (42, False)


@pytest.mark.parametrize(
    ("next_offset", "expected"),
    [
        (43, (42, False)),  # H = min(42, 42) = 42: day 42 is in, still open
        (42, (41, False)),  # H = min(42, 41) = 41: day 42 is the next session's day 0
    ],
)
def test_the_horizon_is_the_smaller_of_42_and_the_day_before_the_next(next_offset, expected):
    first, _ = lift([(41, 7), (42, 6), (44, 2)], 5.0, sessions=(0, next_offset))
    assert (first["lift_days"], first["lift_ended"]) == expected


def test_a_shorter_horizon_can_be_given():
    # horizon_days=10: days 1..10. Day 11's 2 is past it: open at day 10.
    assert lift([(1, 6), (10, 6), (11, 2)], 5.0, horizon_days=10)[0]["lift_days"] == 10


def test_two_checkins_on_one_date_the_later_in_the_list_wins():
    # Day 1 given as 3 then 8: 8 counts, above 5.0; d2 4 ends it: 1 day.
    assert lift([(1, 3), (1, 8), (2, 4)], 5.0)[0]["lift_days"] == 1
    # Given as 8 then 3: 3 counts, at or below at once: 0 days.
    assert lift([(1, 8), (1, 3), (2, 4)], 5.0)[0]["lift_days"] == 0


def test_unsorted_checkins_and_sessions():
    # The same history as in order, reversed: sessions on days 0 and 10, reference 5.0.
    # Session 1 (horizon 1..9): d1 6, d2 7, d4 5 ends it: 2, ended. pre_level d-1 4: day1 2.0.
    # Session 2 (horizon 11..52): d11 8, d12 6, none at or below: open at 2 (offset 12).
    # pre_level days 7..9: d9 6 -> 6.0; day1_change 8 - 6.0 = 2.0.
    in_order = [(-1, 4), (1, 6), (2, 7), (4, 5), (9, 6), (10, 1), (11, 8), (12, 6)]
    expected_first = expect(5.0, 2, True, 2.0)
    expected_second = expect(5.0, 12 - 10, False, 2.0)
    assert lift(in_order, 5.0, sessions=(0, 10)) == [expected_first, expected_second]
    shuffled = [in_order[i] for i in (5, 2, 7, 0, 4, 1, 6, 3)]
    assert lift(shuffled, 5.0, sessions=(10, 0)) == [expected_second, expected_first]


def test_same_date_sessions_only_the_later_one_has_a_lift():
    # Two sessions on day 0: the later in the list owns the horizon (the lead's decision,
    # docstring, as for windows); the earlier has no horizon, so no lift. Both keep the
    # reference and, read literally, day 1's mood 7 - pre_level (day -1: 5) = 2.0.
    # The later: d1 7 > 5.0, d2 4 ends it: 1 day.
    first, second = lift([(-1, 5), (1, 7), (2, 4)], 5.0, sessions=(0, 0))
    assert first == expect(5.0, None, None, 2.0)
    assert second == expect(5.0, 1, True, 2.0)


def test_moods_of_none_or_nan_are_gaps():
    # d1 None and d3 NaN are gaps: d2 7 above, d4 5 ends it: the lift is 2 days.
    # Day 1 has no usable mood: no day1_change, even with a pre_level (d-1 6).
    [result] = lift([(-1, 6), (1, None), (2, 7), (3, math.nan), (4, 5)], 5.0)
    assert result == expect(5.0, 2, True, None)
    # Every horizon mood missing: no lift at all.
    assert lift([(1, None), (2, None)], 5.0)[0]["lift_days"] is None


def test_lifts_are_strict_json():
    result = lift([(-3, 4), (1, 6), (2, 5)], None, sessions=(0, 5))
    json.dumps(result, allow_nan=False)


# --- open_lift_reasons: why a lift is open ----------------------------------------------------


def reasons(checkins, sessions, last_checkin):
    """open_lift_reasons for sessions at the given offsets, reference 5.0; the latest
    check-in is the day at offset `last_checkin` (None: no check-in at all)."""
    dates = [day(offset) for offset in sessions]
    lifts = session_lifts(moods(checkins), dates, 5.0)
    last = None if last_checkin is None else day(last_checkin)
    return open_lift_reasons(dates, lifts, last)


def test_a_lift_open_at_the_42_day_cap_is_told_apart_from_the_next_session():
    # Days 1..42 at 7, none at or below 5.0: open at 42. Day 43's 3 is past the cap and the
    # next session comes on day 45 (H = min(42, 44) = 42): open because of the cap, not the
    # next session. The second session (day 45): d46 5, ended at once.
    checkins = [*[(n, 7) for n in range(1, 43)], (43, 3), (46, 5)]
    assert [(x["lift_days"], x["lift_ended"]) for x in lift(checkins, 5.0, sessions=(0, 45))] == [
        (42, False),
        (0, True),
    ]
    assert reasons(checkins, (0, 45), last_checkin=46) == ["horizon", None]
    # The same lift with no session after it, the latest check-in on day 43: the cap again.
    assert reasons(checkins[:43], (0,), last_checkin=43) == ["horizon"]


def test_a_lift_last_seen_early_in_the_42_days_is_not_said_to_go_on_to_day_42():
    # Above on days 1..5, then no check-in until day 60: the 42 days went by, but the lift was
    # last seen on day 5. It was said to be "still going on day 42, the last day counted".
    from journal.figures import OPEN_AT

    checkins = [*[(n, 8) for n in range(1, 6)], (60, 6)]
    assert [(x["lift_days"], x["lift_ended"]) for x in lift(checkins, 5.0)] == [(5, False)]
    assert reasons(checkins, (0,), last_checkin=60) == ["within_horizon"]
    assert OPEN_AT["within_horizon"] == "at its last check-in of the 42 days counted"


def test_a_lift_open_at_the_next_session_or_at_the_latest_checkin():
    # Sessions on days 0 and 5: the first's horizon is days 1..4 (d1 6, d3 7: open), cut by
    # the second. The second (horizon days 6..47): d6 8, the latest check-in there is: open
    # at the latest check-in.
    assert reasons([(1, 6), (3, 7), (6, 8)], (0, 5), last_checkin=6) == [
        "next_session",
        "latest_checkin",
    ]
    # Above on days 1..10 and nothing after: day 10 is the latest check-in, though the 42
    # days are long over (the record says nothing of days 11..42).
    assert reasons([(n, 7) for n in range(1, 11)], (0,), last_checkin=10) == ["latest_checkin"]


@pytest.mark.parametrize(
    ("next_offset", "expected"),
    [
        # H = min(42, 42) = 42: the horizon ends the day before the next session either way.
        (43, "next_session"),
        # H = min(42, 43) = 42: the cap ends the horizon (day 43 is no session's), and a
        # check-in came after it (day 44).
        (44, "horizon"),
    ],
)
def test_the_next_session_cuts_a_lift_only_when_it_ends_the_horizon(next_offset, expected):
    checkins = [(1, 7), (42, 7), (44, 9)]
    assert reasons(checkins, (0, next_offset), last_checkin=44)[0] == expected


def test_an_ended_or_unmeasured_lift_has_no_reason():
    # #1 ended (d1 4); #2 (day 10) has no check-in in its horizon; #3 (day 20) open.
    assert reasons([(1, 4), (21, 6)], (0, 10, 20), last_checkin=21) == [
        None,
        None,
        "latest_checkin",
    ]


# --- lift_summary ---------------------------------------------------------------------------


def ended(days):
    return {"reference": 5.0, "lift_days": days, "lift_ended": True, "day1_change": None}


def still_open(days):
    return {"reference": 5.0, "lift_days": days, "lift_ended": False, "day1_change": None}


NOT_MEASURED = {"reference": None, "lift_days": None, "lift_ended": None, "day1_change": None}


def summary_of(median_days, min_days, max_days, n_ended, n_open):
    return {
        "median_days": median_days,
        "min_days": min_days,
        "max_days": max_days,
        "n_ended": n_ended,
        "n_open": n_open,
    }


@pytest.mark.parametrize(
    ("lifts", "expected"),
    [
        ([], summary_of(None, None, None, 0, 0)),
        ([NOT_MEASURED, NOT_MEASURED], summary_of(None, None, None, 0, 0)),
        # One ended: no median (needs 2); least and most are that one (the lead's decision).
        ([ended(7)], summary_of(None, 7, 7, 1, 0)),
        # Median of 2: (3 + 9) / 2 = 6.
        ([ended(3), ended(9)], summary_of(6, 3, 9, 2, 0)),
        # Odd count: 2, 4, 9 -> 4.
        ([ended(9), ended(2), ended(4)], summary_of(4, 2, 9, 3, 0)),
        # Even count giving .5: 1, 4, 5, 10 -> (4 + 5) / 2 = 4.5.
        ([ended(10), ended(4), ended(1), ended(5)], summary_of(4.5, 1, 10, 4, 0)),
        # A lift of 0 is a lift that ended at once: it counts, and is the least.
        ([ended(0), ended(6)], summary_of(3, 0, 6, 2, 0)),
        # Open lifts are counted apart: the 40 and 41 are never in the median, least or most.
        (
            [still_open(40), ended(3), NOT_MEASURED, ended(5), still_open(41)],
            summary_of(4, 3, 5, 2, 2),
        ),
        # Only open ones: nothing to take a median of.
        ([still_open(6)], summary_of(None, None, None, 0, 1)),
    ],
)
def test_lift_summary(lifts, expected):
    assert lift_summary(lifts) == expected


def test_lift_summary_of_computed_lifts():
    # Sessions on days 0, 5 and 20, reference 5.0. Session 1 (horizon 1..4): d1 7, d2 4: 1 day,
    # ended. Session 2 (6..19): d6 8, d9 6, d12 5: 4 days (offset 9), ended. Session 3 (21..62):
    # d21 6: open. Median of 1 and 4: 2.5.
    lifts = lift([(1, 7), (2, 4), (6, 8), (9, 6), (12, 5), (21, 6)], 5.0, sessions=(0, 5, 20))
    assert [(x["lift_days"], x["lift_ended"]) for x in lifts] == [(1, True), (4, True), (1, False)]
    assert lift_summary(lifts) == summary_of(2.5, 1, 4, 2, 1)


# --- theil_sen and trend --------------------------------------------------------------------


@pytest.mark.parametrize(
    "points",
    [[], [(1, 5.0)], [(1, 5.0), (2, 7.0)], [(1, 4.0), (2, None), (3, 6.0)]],
)
def test_theil_sen_needs_3_points(points):
    assert theil_sen(points) is None


def test_theil_sen_of_three_points():
    # Pairs: (1,4)-(2,5): 1/1 = 1; (1,4)-(4,8): 4/3; (2,5)-(4,8): 3/2. Median 4/3.
    assert theil_sen([(1, 4.0), (2, 5.0), (4, 8.0)]) == pytest.approx(4 / 3)


def test_theil_sen_negative_slope():
    # (1,6) (2,5) (3,3) (4,4). Pairs: 1-2: -1; 1-3: -3/2; 1-4: -2/3; 2-3: -2; 2-4: -1/2;
    # 3-4: +1. Sorted: -2, -1.5, -1, -2/3, -1/2, 1; median (-1 - 2/3) / 2 = -5/6.
    assert theil_sen([(1, 6.0), (2, 5.0), (3, 3.0), (4, 4.0)]) == pytest.approx(-5 / 6)


def test_theil_sen_is_robust_to_one_wild_point():
    # Four points on a line of slope 0.5, a fifth far above: 6 pairs of 0.5, then 3.75, 29/6,
    # 7, 13.5. Median of the 10: (0.5 + 0.5) / 2 = 0.5 (a least-squares line would be steeper).
    points = [(1, 5.0), (2, 5.5), (3, 6.0), (4, 6.5), (5, 20.0)]
    assert theil_sen(points) == pytest.approx(0.5)


def test_theil_sen_flat_is_zero_not_none():
    assert theil_sen([(1, 5.0), (2, 5.0), (3, 5.0)]) == 0


def test_theil_sen_of_pairs_that_all_share_a_number_is_none():
    assert theil_sen([(2, 1.0), (2, 5.0), (2, 9.0)]) is None


def figure_row(pre_level, window_mean):
    return {"pre_level": pre_level, "window_mean": window_mean}


def test_trend_leaves_a_gap_for_a_session_without_the_figure():
    # Session 3 has no pre_level: points (1,4) (2,5) (4,6) (5,8), numbers kept, not renumbered.
    # Pairs: 1-2: 1; 1-4: 2/3; 1-5: 4/4 = 1; 2-4: 1/2; 2-5: 3/3 = 1; 4-5: 2.
    # Sorted: 0.5, 2/3, 1, 1, 1, 2 -> median 1.0. (Renumbered 1,2,3,4 it would be 7/6.)
    # window_mean exists for sessions 2 and 5 only: 2 points, no slope.
    rows = [
        figure_row(4.0, None),
        figure_row(5.0, 7.0),
        figure_row(None, None),
        figure_row(6.0, None),
        figure_row(8.0, 6.5),
    ]
    result = trend([1, 2, 3, 4, 5], rows)
    assert result == {"pre_level_slope": pytest.approx(1.0), "window_mean_slope": None}
    assert set(result) == {"pre_level_slope", "window_mean_slope"}


def test_trend_with_numbers_1_2_4_5():
    # The numbers come from all sessions; only those with figures are given here.
    # window_mean (1,7) (2,6) (4,6) (5,3): pairs 1-2: -1; 1-4: -1/3; 1-5: -1; 2-4: 0;
    # 2-5: -1; 4-5: -3. Sorted: -3, -1, -1, -1, -1/3, 0 -> median -1.
    # pre_level (1,5) (2,5) (4,5) (5,5): flat, 0.
    rows = [figure_row(5.0, 7.0), figure_row(5.0, 6.0), figure_row(5.0, 6.0), figure_row(5.0, 3.0)]
    assert trend([1, 2, 4, 5], rows) == {
        "pre_level_slope": 0,
        "window_mean_slope": pytest.approx(-1.0),
    }


def test_trend_needs_3_sessions_with_the_figure():
    # Exactly 3: (1,4) (2,4.5) (3,6): pairs 0.5, 1, 1.5 -> 1.0. Two: none.
    three = [figure_row(4.0, 6.0), figure_row(4.5, None), figure_row(6.0, 7.0)]
    assert trend([1, 2, 3], three) == {"pre_level_slope": 1.0, "window_mean_slope": None}
    assert trend([1, 2], three[:2]) == {"pre_level_slope": None, "window_mean_slope": None}
    assert trend([], []) == {"pre_level_slope": None, "window_mean_slope": None}


# --- phq9_course ----------------------------------------------------------------------------


def scores(pairs):
    return [(day(offset), total) for offset, total in pairs]


def course_of(pairs, first_session=S):
    return phq9_course(scores(pairs), first_session)


def test_percent_change_negative_when_the_score_fell():
    # Baseline 16 (day -1, last on or before the session), latest 7: (7 - 16) / 16 x 100.
    result = course_of([(-1, 16), (14, 7)])
    assert result["percent_change"] == pytest.approx(-56.25)
    assert set(result) == {"percent_change", "first_response_date"}


def test_percent_change_positive_when_the_score_rose():
    # Baseline 10, latest 15: (15 - 10) / 10 x 100 = +50.
    assert course_of([(-1, 10), (7, 15)])["percent_change"] == pytest.approx(50.0)


def test_percent_change_is_from_the_treatment_baseline_not_the_first_score():
    # First score 20 (day -30), treatment baseline 12 (day 0, on the session's day), latest 9:
    # (9 - 12) / 12 x 100 = -25.
    assert course_of([(-30, 20), (0, 12), (21, 9)])["percent_change"] == pytest.approx(-25.0)


def test_percent_change_with_only_the_baseline_is_zero():
    # The latest score is the baseline itself: no change, 0 (the lead's decision, docstring).
    assert course_of([(-1, 12)])["percent_change"] == 0


@pytest.mark.parametrize(
    ("pairs", "first_session"),
    [
        ([(-1, 0), (7, 5)], S),  # baseline 0: a percentage of nothing
        ([(7, 12), (14, 5)], S),  # no score on or before the first session: no baseline
        ([(-1, 12), (14, 5)], None),  # no session: no treatment baseline
        ([], S),
    ],
)
def test_percent_change_is_null_without_a_baseline_of_at_least_1(pairs, first_session):
    assert course_of(pairs, first_session) == {"percent_change": None, "first_response_date": None}


def test_percent_change_from_a_baseline_of_1():
    # Baseline 1, latest 3: (3 - 1) / 1 x 100 = 200.
    assert course_of([(-1, 1), (7, 3)])["percent_change"] == pytest.approx(200.0)


def test_first_response_date_is_the_first_later_score_at_most_half():
    # Baseline 12 (day -2): half is 6. Day -10's 4 came before the baseline: not later.
    # Day 7: 7 > 6. Day 14: 6, exactly half, counts. Day 21: 3, also a response, but later.
    # The latest (day 21) is not the first response.
    result = course_of([(-10, 4), (-2, 12), (7, 7), (14, 6), (21, 3)])
    assert result["first_response_date"] == day(14).isoformat()
    # (3 - 12) / 12 x 100 = -75.
    assert result["percent_change"] == pytest.approx(-75.0)


@pytest.mark.parametrize(
    ("baseline", "later", "responded"),
    [
        (10, 5, True),  # exactly half
        (10, 6, False),
        (11, 5, True),  # half of 11 is 5.5, not rounded
        (11, 6, False),
        (27, 13, True),
        (27, 14, False),
    ],
)
def test_first_response_date_at_most_half(baseline, later, responded):
    result = course_of([(-1, baseline), (10, later)])
    assert result["first_response_date"] == (day(10).isoformat() if responded else None)


def test_no_first_response_date_from_a_baseline_below_10():
    # Baseline 9: a response needs a baseline of 10 or more, even though 2 <= 4.5.
    # The percent change still stands: (2 - 9) / 9 x 100 = -77.78 (to two places).
    result = course_of([(-1, 9), (7, 2)])
    assert result["first_response_date"] is None
    assert result["percent_change"] == pytest.approx(-700 / 9)


def test_first_response_date_on_a_tied_date_the_later_score_wins():
    # Baseline 14 (half 7). Day 7 has 4 then 9: 9 counts, not a response. Day 14: 7, one.
    assert course_of([(-1, 14), (7, 4), (7, 9), (14, 7)])["first_response_date"] == (
        day(14).isoformat()
    )
    # Day 7 has 9 then 4: 4 counts, a response on day 7.
    assert course_of([(-1, 14), (7, 9), (7, 4), (14, 7)])["first_response_date"] == (
        day(7).isoformat()
    )


def test_a_tie_on_the_baseline_day_the_later_score_is_the_baseline():
    # Day -1: 20 then 12. Baseline 12: latest 6 <= 6 responds; (6 - 12) / 12 x 100 = -50.
    result = course_of([(-1, 20), (-1, 12), (7, 6)])
    assert result == {
        "percent_change": pytest.approx(-50.0),
        "first_response_date": day(7).isoformat(),
    }


def test_phq9_course_with_unsorted_scores():
    # In order: baseline 16 (day -3), day 5 10, day 12 8 (response: 8 <= 8), day 30 4.
    # Given out of order. percent (4 - 16) / 16 x 100 = -75.
    result = course_of([(30, 4), (12, 8), (-3, 16), (5, 10)])
    assert result == {
        "percent_change": pytest.approx(-75.0),
        "first_response_date": day(12).isoformat(),
    }


# --- end to end: /progress/summary.json ---------------------------------------------------

# The first session's day; the whole history lies in the past (day 92 is TODAY - 28).
B = TODAY - timedelta(days=120)


def on(offset):
    """The day `offset` days after B, as text."""
    return (B + timedelta(days=offset)).isoformat()


def store_checkins(app, pairs, user_id=1):
    for offset, mood in pairs:
        factories.insert(app, "checkins", user_id=user_id, day=on(offset), mood=mood)


# Check-ins of the hand-built history, by offset from B (session days 0, 14, 21, 40, 90).
HISTORY = [
    # Baseline days -14..-1: -12 4, -8 5, -3 5, -1 6 -> 20 / 4 = 5.0. Day -15 is outside.
    (-15, 9),
    (-12, 4),
    (-8, 5),
    (-3, 5),
    (-1, 6),
    # Session 1 (day 0). Day 0's 9 is neither baseline nor lift.
    (0, 9),
    (1, 7),
    (2, 8),
    (4, 6),
    (5, 5),
    (6, 7),
    (9, 6),
    # Session 2 (day 14): nothing on days 11..13, so no pre_level.
    (15, 8),
    (17, 7),
    (18, 7),
    (20, 6),
    # Session 3 (day 21): its day 0 is 3, outside session 2's horizon.
    (21, 3),
    (22, 6),
    (24, 7),
    (30, 6),
    (36, 6),
    (38, 5),
    (39, 4),
    # Session 4 (day 40): no check-in on its day 1.
    (43, 7),
    (60, 6),
    (82, 6),
    (83, 4),
    (84, 3),
    # Session 5 (day 90).
    (87, 6),
    (89, 7),
    (91, 5),
    (92, 6),
]
SESSION_OFFSETS = [0, 14, 21, 40, 90]


@pytest.fixture
def history(app, patient):
    """The hand-built patient: check-ins, five sessions and PHQ-9s; the sessions' ids."""
    store_checkins(app, HISTORY)
    ids = [
        factories.add_session(app, on(offset), route="intranasal" if offset == 14 else "iv")
        for offset in SESSION_OFFSETS
    ]
    phq9 = [
        (-20, 8),  # the first score, at most half of 14, but before the baseline: not later
        (-1, 20),
        (-1, 14),  # the later of day -1's: the treatment baseline is 14 (half: 7)
        (30, 7),
        (30, 9),  # the later of day 30's: 9 > 7, no response that day
        (50, 7),  # exactly half of 14: the first response
        (80, 9),  # the latest, not a response
    ]
    for offset, total in phq9:
        factories.add_assessment(app, "phq9", on(offset), total)
    return ids


def test_summary_lift_hand_computed(client, history):
    body = client.get("/progress/summary.json").get_json()
    assert body["baseline"] == 5.0
    sessions = body["sessions"]
    assert [s["id"] for s in sessions] == history
    assert [s["date"] for s in sessions] == [on(offset) for offset in SESSION_OFFSETS]
    assert all(
        set(s)
        == {
            "id",
            "date",
            "route",
            "pre_level",
            "window_mean",
            "change",
            "peak_change",
            "peak_day",
            "days_above_baseline",
            "n_checkins",
            *LIFT_KEYS,
        }
        for s in sessions
    )
    assert [{key: s[key] for key in LIFT_KEYS} for s in sessions] == [
        # 1 (day 0), horizon days 1..13: d1 7, d2 8, d4 6 above 5.0; d5 5 ends it -> 4, ended.
        # pre_level days -3, -1: (5 + 6) / 2 = 5.5; day1_change 7 - 5.5 = 1.5.
        expect(5.0, 4, True, 1.5),
        # 2 (day 14), horizon days 15..20 (day 21 is session 3's): 8, 7, 7, 6 all above,
        # none at or below: open at day 6 (day 20). No pre_level, so no day1_change.
        expect(5.0, 6, False, None),
        # 3 (day 21), horizon days 22..39: 6, 7, 6, 6 above (d1, d3, d9, d15); d17 (day 38) 5
        # ends it -> 15, longer than the 7-day window. pre_level days 18..20: (7 + 6) / 2 =
        # 6.5; day1_change 6 - 6.5 = -0.5.
        expect(5.0, 15, True, -0.5),
        # 4 (day 40), horizon days 41..82 (42 days; the next session, day 90, is further):
        # d3 7, d20 6, d42 6 all above; day 83's 4 and 84's 3 are past the cap -> 42, open.
        # No check-in on day 41: no day1_change (pre_level days 38, 39: (5 + 4) / 2 = 4.5).
        expect(5.0, 42, False, None),
        # 5 (day 90): d1 (day 91) 5, equal to 5.0, at once -> 0, ended.
        # pre_level days 87, 89: (6 + 7) / 2 = 6.5; day1_change 5 - 6.5 = -1.5.
        expect(5.0, 0, True, -1.5),
    ]
    # The window figures the trend stands on (window 7 days, cut by the next session):
    # window_mean 1: days 1..7: (7 + 8 + 6 + 5 + 7) / 5 = 6.6; 2: days 15..20: (8+7+7+6) / 4 =
    # 7.0; 3: days 22..28: (6 + 7) / 2 = 6.5; 4: days 41..47: 7.0; 5: days 91..97: 5.5.
    assert [s["pre_level"] for s in sessions] == [5.5, None, 6.5, 4.5, 6.5]
    assert [s["window_mean"] for s in sessions] == [6.6, 7.0, 6.5, 7.0, 5.5]
    # Ended: 4, 15, 0 -> sorted 0, 4, 15, median 4. Open: sessions 2 and 4.
    assert body["lift"] == {
        "median_days": 4,
        "min_days": 0,
        "max_days": 15,
        "n_ended": 3,
        "n_open": 2,
    }
    # pre_level against the sessions' numbers, session 2 left out (a gap, not renumbered):
    # (1, 5.5) (3, 6.5) (4, 4.5) (5, 6.5). Pairs: 1-3: 1/2 = 0.5; 1-4: -1/3; 1-5: 1/4 = 0.25;
    # 3-4: -2; 3-5: 0; 4-5: 2. Sorted: -2, -1/3, 0, 0.25, 0.5, 2 -> (0 + 0.25) / 2 = 0.125,
    # 0.13 rounded half up to two places. (Renumbered 1..4 it would be 1/6, 0.17.)
    # window_mean (1, 6.6) (2, 7.0) (3, 6.5) (4, 7.0) (5, 5.5). Pairs: 1-2: 0.4; 1-3: -0.05;
    # 1-4: 0.4/3; 1-5: -1.1/4 = -0.275; 2-3: -0.5; 2-4: 0; 2-5: -1.5/3 = -0.5; 3-4: 0.5;
    # 3-5: -0.5; 4-5: -1.5. Sorted: -1.5, -0.5, -0.5, -0.5, -0.275, -0.05, 0, 0.133, 0.4, 0.5
    # -> (-0.275 - 0.05) / 2 = -0.1625, -0.16 to two places.
    assert body["trend"] == {"pre_level_slope": 0.13, "window_mean_slope": -0.16}
    assert body["phq9"] == {
        "baseline": 14,
        "latest": 9,
        "band": "mild",
        "response": False,  # 9 > 14 / 2
        "remission": False,
        "percent_change": -35.71,  # (9 - 14) / 14 x 100 = -35.714...
        "first_response_date": on(50),  # not day 30 (its later score is 9), not the latest
    }
    assert body["gad7"] == {"baseline": None, "latest": None, "band": None}


def test_lift_words_of_the_hand_built_history(app, history):
    person = SimpleNamespace(id=1, window_days=7)
    with app.app_context():
        course = figures.lift_course(person)
        words = figures.lift_words(course)
    assert [s["number"] for s in course["sessions"]] == [1, 2, 3, 4, 5]
    assert course["trend_sessions"] == {"pre_level": 4, "window_mean": 5}
    # 5 measured lifts; the 3 ended: median 4, from 0 to 15; 2 open.
    assert "last 5 sessions" in words["lift"]
    assert "median of 4 days" in words["lift"]
    assert "from 0 to 15" in words["lift"]
    assert "2 lifts were still going" in words["lift"]
    # pre_level slope 0.125: "0.1" to one place, across the 4 sessions of 5 that have one
    # (#1, #3, #4, #5: not "the last 4").
    assert words["trend"] == (
        "Your mood before sessions has risen by about 0.1 points per session across 4 of your"
        " 5 sessions."
    )
    assert words["has_lift"] is True


def test_a_slope_of_exactly_a_quarter_reads_0_3_on_the_page_and_in_the_report(app, client, patient):
    # Five sessions (days 0, 10, 20, 25, 30); #3 and #4 have no check-in on their days
    # -3..-1, so the pre_level points keep their numbers: (1, 10/3) from moods 3, 3, 4;
    # (2, 3.0) from one 3; (5, 13/3) from 3, 3, 7. Pairs: 1-2: (3 - 10/3) / 1 = -1/3;
    # 1-5: (13/3 - 10/3) / 4 = 1/4; 2-5: (13/3 - 3) / 3 = 4/9. Median: exactly 0.25, which is
    # 0.25 to two places and 0.3 to one, rounded half up. Worked out in floats the thirds
    # gave 0.2499999999999999: the JSON said 0.25 beside words reading "about 0.2".
    store_checkins(app, [(-3, 3), (-2, 3), (-1, 4), (9, 3), (27, 3), (28, 3), (29, 7)])
    for offset in (0, 10, 20, 25, 30):
        factories.add_session(app, on(offset))
    body = client.get("/progress/summary.json").get_json()
    assert [s["pre_level"] for s in body["sessions"]] == [3.33, 3.0, None, None, 4.33]
    assert body["trend"]["pre_level_slope"] == 0.25
    words = (
        "mood before sessions has risen by about 0.3 points per session across 3 of your 5 "
        "sessions."
    )
    assert "Your " + words in client.get("/progress?days=all").text
    report = client.get(f"/export/report.pdf?start={on(-10)}&end={on(40)}")
    text = " ".join(pdf_text(report.data).split())
    assert "The " + words.replace("your", "the") in text


def test_summary_without_sessions_is_null_not_zero(app, client, patient):
    # Check-ins and two PHQ-9s, but no session: no baseline, no lift, no trend; the PHQ-9 has
    # no treatment baseline, so no percent change even though 16 fell to 6.
    store_checkins(app, [(-3, 5), (-2, 6), (-1, 7), (1, 8)])
    factories.add_assessment(app, "phq9", on(-2), 16)
    factories.add_assessment(app, "phq9", on(10), 6)
    body = client.get("/progress/summary.json").get_json()
    assert body["sessions"] == []
    assert body["lift"] == {
        "median_days": None,
        "min_days": None,
        "max_days": None,
        "n_ended": 0,
        "n_open": 0,
    }
    assert body["trend"] == {"pre_level_slope": None, "window_mean_slope": None}
    assert body["phq9"]["latest"] == 6
    assert body["phq9"]["percent_change"] is None
    assert body["phq9"]["first_response_date"] is None


def test_summary_percent_change_is_null_with_only_the_treatment_baseline(app, client, patient):
    # A PHQ-9 of 12 the day before the first session and none since: nothing to measure a
    # change by. The report reads "not yet: no PHQ-9 since the treatment baseline of 12", and
    # response and remission are null beside it; percent_change read 0.0, "no change" to an
    # outside client, where DESIGN.md has a figure with nothing to stand on null, never 0.
    factories.add_session(app, on(0))
    factories.add_assessment(app, "phq9", on(-1), 12)
    phq9 = client.get("/progress/summary.json").get_json()["phq9"]
    assert phq9 == {
        "baseline": 12,
        "latest": 12,
        "band": "moderate",
        "response": None,
        "remission": None,
        "percent_change": None,
        "first_response_date": None,
    }
    page = " ".join(pdf_text(client.get("/export/report.pdf").data).split())
    assert "not yet: no PHQ-9 since the treatment baseline of 12" in page
    # One later score, the same total: a change of 0 (12 -> 12), measured.
    factories.add_assessment(app, "phq9", on(7), 12)
    assert client.get("/progress/summary.json").get_json()["phq9"]["percent_change"] == 0


def test_summary_with_sessions_but_no_baseline(app, client, patient):
    # Only 2 check-ins in the 14 days before the first session: no baseline.
    # 1 (day 0): pre_level days -2, -1: (4 + 6) / 2 = 5.0 is the reference; d1 7, d2 6 above,
    #   d3 5 ends it: 2 days. day1_change 7 - 5.0 = 2.0.
    # 2 (day 10): nothing on days 7..9: no reference, so no lift though day 11 has 8.
    # 3 (day 20): pre_level day 18: 3.0; d1 4, d2 6 above, none at or below: open at 2.
    #   day1_change 4 - 3.0 = 1.0.
    store_checkins(app, [(-2, 4), (-1, 6), (1, 7), (2, 6), (3, 5), (11, 8), (18, 3), (21, 4)])
    store_checkins(app, [(22, 6)])
    for offset in (0, 10, 20):
        factories.add_session(app, on(offset))
    body = client.get("/progress/summary.json").get_json()
    assert body["baseline"] is None
    assert [{key: s[key] for key in LIFT_KEYS} for s in body["sessions"]] == [
        expect(5.0, 2, True, 2.0),
        expect(None, None, None, None),
        expect(3.0, 2, False, 1.0),
    ]
    # One ended lift: no median; least and most are its 2 days.
    assert body["lift"] == {
        "median_days": None,
        "min_days": 2,
        "max_days": 2,
        "n_ended": 1,
        "n_open": 1,
    }
    # pre_level: sessions 1 and 3 only, 2 points: no slope. window_mean: 1: days 1..7:
    # (7 + 6 + 5) / 3 = 6.0; 2: day 11: 8.0; 3: days 21, 22: (4 + 6) / 2 = 5.0.
    # (1, 6) (2, 8) (3, 5): pairs 2, -0.5, -3 -> -0.5. It needs no baseline.
    assert body["trend"] == {"pre_level_slope": None, "window_mean_slope": -0.5}
    assert body["phq9"]["percent_change"] is None
    assert body["phq9"]["first_response_date"] is None


def test_summary_with_sessions_and_no_checkins_is_all_null(app, client, patient):
    for offset in (0, 7, 14):
        factories.add_session(app, on(offset))
    body = client.get("/progress/summary.json").get_json()
    assert [{key: s[key] for key in LIFT_KEYS} for s in body["sessions"]] == [
        expect(None, None, None, None)
    ] * 3
    assert body["lift"] == {
        "median_days": None,
        "min_days": None,
        "max_days": None,
        "n_ended": 0,
        "n_open": 0,
    }
    assert body["trend"] == {"pre_level_slope": None, "window_mean_slope": None}


def test_summary_same_date_sessions_the_later_by_time_has_the_lift(app, client, patient):
    # Two sessions on day 0, stored later-first: the app numbers them by start time, so the
    # 09:00 one is first and the 15:00 one owns the horizon (the earlier has none: no lift).
    # Baseline days -3, -2, -1: (4 + 5 + 6) / 3 = 5.0, also the pre_level; d1 7, d2 6 above,
    # d3 5 ends it: 2 days. day1_change 7 - 5.0 = 2.0 for both, read literally.
    store_checkins(app, [(-3, 4), (-2, 5), (-1, 6), (1, 7), (2, 6), (3, 5)])
    later = factories.add_session(app, on(0), hour=15)
    earlier = factories.add_session(app, on(0), hour=9)
    sessions = client.get("/progress/summary.json").get_json()["sessions"]
    assert [s["id"] for s in sessions] == [earlier, later]
    assert [{key: s[key] for key in LIFT_KEYS} for s in sessions] == [
        expect(5.0, None, None, 2.0),
        expect(5.0, 2, True, 2.0),
    ]


# --- figures.lift_words ---------------------------------------------------------------------


def lift_session(number, lift_days, lift_ended, reference=5.0, open_at=None):
    """A session of a lift course; `open_at`, when given, says why an open lift is open."""
    session = {
        "number": number,
        "day": S + timedelta(days=7 * number),
        "lift_days": lift_days,
        "lift_ended": lift_ended,
        "reference": reference,
        "day1_change": None,
    }
    return session if open_at is None else {**session, "open_at": open_at}


def course_dict(sessions, baseline=5.0, slope=None, trend_count=0):
    """A lift course as figures.lift_course gives it, its lift summary worked from sessions."""
    days_ended = sorted(s["lift_days"] for s in sessions if s["lift_ended"] is True)
    middle = len(days_ended) // 2
    median_days = None
    if len(days_ended) >= 2:
        median_days = (
            days_ended[middle]
            if len(days_ended) % 2
            else (days_ended[middle - 1] + days_ended[middle]) / 2
        )
    return {
        "sessions": sessions,
        "lift": {
            "median_days": median_days,
            "min_days": days_ended[0] if days_ended else None,
            "max_days": days_ended[-1] if days_ended else None,
            "n_ended": len(days_ended),
            "n_open": sum(1 for s in sessions if s["lift_ended"] is False),
        },
        "trend": {"pre_level_slope": slope, "window_mean_slope": None},
        "trend_sessions": {"pre_level": trend_count, "window_mean": trend_count},
        "baseline": baseline,
        "phq9": {"percent_change": None, "first_response_date": None},
    }


SIX = [
    lift_session(1, 4, True),
    lift_session(2, 9, True),
    lift_session(3, 20, False),
    lift_session(4, 15, True),
    lift_session(5, 9, True),
    lift_session(6, 6, False),
]

WORDS_CASES = {
    "no sessions": course_dict([], baseline=None),
    "no lift measured": course_dict([lift_session(1, None, None)]),
    "no reference": course_dict([lift_session(1, None, None, reference=None)], baseline=None),
    "one ended": course_dict([lift_session(1, 9, True)]),
    "one day": course_dict([lift_session(1, 1, True)]),
    "one open": course_dict([lift_session(1, 12, False)]),
    "several with open": course_dict(SIX),
    "half day median": course_dict([lift_session(1, 9, True), lift_session(2, 10, True)]),
    "one of several ended": course_dict([lift_session(1, 5, True), lift_session(2, 8, False)]),
    "no baseline": course_dict([lift_session(1, 3, True, reference=6.0)], baseline=None),
    "none above": course_dict([lift_session(1, 0, True), lift_session(2, 0, True)]),
    "none above, one open": course_dict(
        [lift_session(1, 0, True), lift_session(2, 0, True), lift_session(3, 4, False)]
    ),
    "risen": course_dict(SIX, slope=0.3, trend_count=8),
    "fallen": course_dict(SIX, slope=-0.42, trend_count=5),
    "same": course_dict(SIX, slope=0.0, trend_count=6),
    "nearly same": course_dict(SIX, slope=-0.04, trend_count=6),
    "open at the cap": course_dict(
        [lift_session(1, 1, True), lift_session(2, 42, False, open_at="horizon")]
    ),
    "one open at the latest": course_dict([lift_session(1, 12, False, open_at="latest_checkin")]),
    "open for each reason": course_dict(
        [
            lift_session(1, 4, True),
            lift_session(2, 6, False, open_at="next_session"),
            lift_session(3, 42, False, open_at="horizon"),
            lift_session(4, 3, False, open_at="next_session"),
            lift_session(5, 9, False, open_at="latest_checkin"),
        ]
    ),
}


def test_words_with_no_sessions_say_what_is_needed():
    words = figures.lift_words(WORDS_CASES["no sessions"])
    assert "session" in words["lift"] and "days after" in words["lift"]
    assert not re.search(r"\d", words["lift"])  # not a zero, nor any figure
    assert words["trend"] is None
    assert words["has_lift"] is False


def test_words_with_sessions_but_no_measurable_lift():
    words = figures.lift_words(WORDS_CASES["no lift measured"])
    # The issue's own sentence for a patient with too little data.
    assert words["lift"] == "Check in on the days after your next session to see how long it lasts."
    assert words["has_lift"] is False
    # Without a reference anywhere, the days before a session are needed too.
    words = figures.lift_words(WORDS_CASES["no reference"])
    assert "before" in words["lift"] and "after" in words["lift"]
    assert "0" not in words["lift"]


def test_words_for_one_ended_lift():
    text = figures.lift_words(WORDS_CASES["one ended"])["lift"]
    assert "last session" in text and "9 days" in text and "usual level" in text
    assert "median" not in text  # one lift has no median
    assert "1 day" in figures.lift_words(WORDS_CASES["one day"])["lift"]
    assert "1 days" not in figures.lift_words(WORDS_CASES["one day"])["lift"]


def test_words_when_every_ended_lift_ended_at_once_claim_no_lift():
    """Two sessions whose first check-in after each was already at or below: not "stayed
    above ... for a median of 0 days, from 0 to 0", which claims a lift there never was."""
    text = figures.lift_words(WORDS_CASES["none above"], whose="the")["lift"]
    assert text == (
        "After the last 2 sessions, mood was at or below the baseline from the first day "
        "checked, each time."
    )
    text = figures.lift_words(WORDS_CASES["none above, one open"])["lift"]
    assert text.startswith(
        "After your last 3 sessions, in 2 of them, your mood was at or below your usual level "
        "from the first day checked; 1 lift was still going"
    )
    assert "stayed above" not in text and "median" not in text


def test_words_for_one_open_lift():
    text = figures.lift_words(WORDS_CASES["one open"])["lift"]
    assert "still going" in text
    assert "median" not in text


def test_words_for_several_ended_with_open_ones():
    # Ended: 4, 9, 9, 15 -> median (9 + 9) / 2 = 9, from 4 to 15; open: 2 (20 and 6 days).
    text = figures.lift_words(WORDS_CASES["several with open"])["lift"]
    assert "After your last 6 sessions" in text
    assert "median of 9 days" in text
    assert "from 4 to 15" in text
    assert "2 lifts were still going when the next session came" in text
    assert "20" not in text  # an open lift is never a figure of the summary


def test_words_for_a_lift_open_only_because_of_the_42_day_cap():
    # #2 had no check-in at or below in its 42 days, but came down after them, before the next
    # session: "still going when the next session came" would be untrue of it.
    text = figures.lift_words(WORDS_CASES["open at the cap"])["lift"]
    assert text == (
        "After your last 2 sessions, your mood stayed above your usual level in one of them "
        "for 1 day; 1 lift was still going on day 42, the last day counted."
    )
    text = figures.lift_words(WORDS_CASES["one open at the latest"], whose="the")["lift"]
    assert text == (
        "After the last session, mood stayed above the baseline on every day checked: the lift "
        "was still going at the latest check-in."
    )


def test_words_count_the_open_lifts_by_why_they_are_open():
    # Open: #2 and #4 cut by the next session, #3 at the cap, #5 at the latest check-in.
    text = figures.lift_words(WORDS_CASES["open for each reason"])["lift"]
    assert text.endswith(
        "; 4 lifts were still going: 2 when the next session came, 1 at the latest check-in "
        "and 1 on day 42, the last day counted."
    )


def test_words_without_the_reasons_name_every_way_a_lift_is_open():
    text = figures.lift_words(WORDS_CASES["one open"])["lift"]
    assert text.endswith(
        ": the lift was still going when the next session came, at the latest check-in or on "
        "day 42, the last day counted."
    )


def test_words_for_a_median_of_half_a_day():
    # Ended 9 and 10: median 9.5.
    text = figures.lift_words(WORDS_CASES["half day median"])["lift"]
    assert "median of 9.5 days" in text and "from 9 to 10" in text


def test_words_for_one_ended_among_several():
    text = figures.lift_words(WORDS_CASES["one of several ended"])["lift"]
    assert "last 2 sessions" in text and "5 days" in text and "median" not in text
    assert "1 lift was still going" in text


def test_words_without_a_baseline_do_not_speak_of_a_usual_level():
    # The reference is then each session's own pre-level, not a usual level.
    text = figures.lift_words(WORDS_CASES["no baseline"])["lift"]
    assert "usual level" not in text and "3 days" in text


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "risen",
            "Your mood before sessions has risen by about 0.3 points per session across your"
            " last 8 sessions.",
        ),
        # -0.42 is about 0.4 points down; 5 of the 6 sessions have a level before them.
        (
            "fallen",
            "Your mood before sessions has fallen by about 0.4 points per session across 5 of"
            " your 6 sessions.",
        ),
    ],
)
def test_words_for_the_trend(case, expected):
    assert figures.lift_words(WORDS_CASES[case])["trend"] == expected


@pytest.mark.parametrize("case", ["same", "nearly same"])
def test_words_for_a_flat_trend(case):
    text = figures.lift_words(WORDS_CASES[case])["trend"]
    assert "about the same" in text and "last 6 sessions" in text
    assert "risen" not in text and "fallen" not in text


def test_no_trend_words_without_a_slope():
    assert figures.lift_words(WORDS_CASES["several with open"])["trend"] is None


def test_words_for_someone_else_reading():
    words = figures.lift_words(WORDS_CASES["risen"], whose="the")
    assert "your" not in (words["lift"] + words["trend"]).lower()
    assert words["trend"].startswith("The mood before sessions has risen")
    assert "your" not in figures.lift_words(WORDS_CASES["no lift measured"], whose="the")["lift"]


@pytest.mark.parametrize("whose", ["your", "the"])
@pytest.mark.parametrize("case", list(WORDS_CASES))
def test_words_are_calm_and_never_advice(case, whose):
    words = figures.lift_words(WORDS_CASES[case], whose=whose)
    text = f"{words['lift']} {words['trend'] or ''}".lower()
    for word in ("due", "dose", "should", "%"):
        assert word not in text
