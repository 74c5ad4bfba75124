import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import factories
import pytest
from conftest import error_for
from factories import DAY_AHEAD, TODAY

from journal import access, clock, instruments
from journal.db import get_db
from journal.rules import GAD7_BANDS, PHQ9_BANDS
from journal.timezones import day_text

YESTERDAY = (TODAY - timedelta(days=1)).isoformat()

# Copied from CLINICAL.md, not from the code, so a slip in either shows up here.
PHQ9_ITEMS = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family "
    "down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being "
    "so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
]
GAD7_ITEMS = [
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
]
STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
ANSWERS = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
DIFFICULTY = (
    "If you checked off any problems, how difficult have these problems made it for you to do "
    "your work, take care of things at home, or get along with other people?"
)
# The GAD-7's own wording (CLINICAL.md), never the PHQ-9's.
GAD7_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"
GAD7_DIFFICULTY = (
    "If you checked off any problems, how difficult have these made it for you to do your work, "
    "take care of things at home, or get along with other people?"
)
DIFFICULTY_ANSWERS = [
    "Not difficult at all",
    "Somewhat difficult",
    "Very difficult",
    "Extremely difficult",
]
ATTRIBUTION = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute."
)
CRISIS = 'id="crisis-resources"'

PHQ9_CALM = [1, 1, 1, 1, 1, 0, 0, 0, 0]  # total 5, item 9 = 0
GAD7_CALM = [1, 1, 1, 1, 1, 0, 0]  # total 5


def rows(app, user_id=None):
    with app.app_context():
        where = "user_id = ?" if user_id else None
        return list(
            get_db()["assessments"].rows_where(where, [user_id] if user_id else None, order_by="id")
        )


def form_data(answers, day=YESTERDAY, **extra):
    data = {"date": day, **{f"q{n}": str(a) for n, a in enumerate(answers, start=1)}, **extra}
    return {k: v for k, v in data.items() if v is not None}


def take(client, kind, answers, day=YESTERDAY, **extra):
    return client.post(f"/assessments/{kind}", data=form_data(answers, day, **extra))


def add_session(app, user_id, day):
    factories.add_session(app, day, user_id, stamp=f"{day}T15:00:00+00:00")


def summary_figures(page, kind):
    """The dt/dd pairs of the summary card for `kind` on /assessments."""
    match = re.search(rf'<dl class="figures" id="{kind}-summary">(.*?)</dl>', page.text, re.S)
    assert match, f"no {kind} summary"
    pairs = re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", match.group(1), re.S)
    return {name: re.sub(r"<[^>]+>", "", value).strip() for name, value in pairs}


def days_ago(n):
    return (TODAY - timedelta(days=n)).isoformat()


# The form: the published wording, one-tap answers, the attribution.


@pytest.mark.parametrize(
    ("kind", "items", "title", "stem", "difficulty"),
    [
        ("phq9", PHQ9_ITEMS, "PHQ-9", STEM, DIFFICULTY),
        ("gad7", GAD7_ITEMS, "GAD-7", GAD7_STEM, GAD7_DIFFICULTY),
    ],
)
def test_form_shows_the_published_wording(client, patient, kind, items, title, stem, difficulty):
    response = client.get(f"/assessments/{kind}")
    assert response.status_code == 200
    page = response.text
    assert title in page
    assert f"<strong>{stem}</strong>" in page
    for number, item in enumerate(items, start=1):
        assert f'<span class="item-number">{number}.</span> {item}</legend>' in page
        for value, answer in enumerate(ANSWERS):
            assert (
                f'<input type="radio" name="q{number}" value="{value}" required> '
                f"<span>{answer}</span></label>"
            ) in page
    assert f'name="q{len(items) + 1}"' not in page
    assert f"<legend>{difficulty}</legend>" in page
    for value, answer in enumerate(DIFFICULTY_ANSWERS):
        assert f'name="difficulty" value="{value}"> <span>{answer}</span>' in page
    assert ATTRIBUTION in page
    assert ("PHQ-9 copyright © Pfizer Inc." in page) is (kind == "phq9")
    assert f'name="date" required type="date" value="{TODAY.isoformat()}"' in page
    assert "two weeks" in page  # why daily is not valid
    assert "<script>" not in page and "style=" not in page


@pytest.mark.parametrize("kind", ["xyz", "phq10", "PHQ9", "1x"])
def test_unknown_kind_is_404(app, client, patient, kind):
    assert client.get(f"/assessments/{kind}").status_code == 404
    assert take(client, kind, PHQ9_CALM).status_code == 404
    assert rows(app) == []


# Scoring and banding at every boundary, through the web (totals worked out by hand).


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "Minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "Minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "Mild"),
        ([3, 3, 3, 0, 0, 0, 0, 0, 0], 9, "Mild"),
        ([3, 3, 3, 1, 0, 0, 0, 0, 0], 10, "Moderate"),
        ([2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "Moderate"),
        ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "Moderately severe"),
        ([3, 3, 3, 3, 3, 2, 2, 0, 0], 19, "Moderately severe"),
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "Severe"),
        ([3, 3, 3, 3, 3, 3, 3, 3, 0], 24, "Severe"),
        ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "Severe"),
    ],
)
def test_phq9_total_and_band(app, client, patient, answers, total, band):
    response = take(client, "phq9", answers, difficulty="1")
    assert response.status_code == 302
    (row,) = rows(app)
    assert response.location == f"/assessments/{row['id']}"
    assert (row["kind"], row["day"], row["total"]) == ("phq9", YESTERDAY, total)
    assert json.loads(row["answers"]) == answers
    assert row["item9"] == answers[8]
    assert row["difficulty"] == 1
    page = client.get(response.location).text
    assert f"<dt>Total</dt><dd>{total} <span" in page
    assert f"<dt>Range</dt><dd>{band}</dd>" in page
    assert f"in the {band.lower()} range" in page
    assert "screening questionnaire, not a diagnosis" in page
    assert "5 points is the smallest change that matters" in page
    assert "merits further evaluation" not in page


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ([0, 0, 0, 0, 0, 0, 0], 0, "Minimal"),
        ([1, 1, 1, 1, 0, 0, 0], 4, "Minimal"),
        ([2, 2, 1, 0, 0, 0, 0], 5, "Mild"),
        ([3, 3, 3, 0, 0, 0, 0], 9, "Mild"),
        ([3, 3, 3, 1, 0, 0, 0], 10, "Moderate"),
        ([2, 2, 2, 2, 2, 2, 2], 14, "Moderate"),
        ([3, 3, 3, 3, 3, 0, 0], 15, "Severe"),
        ([3, 3, 3, 3, 3, 3, 3], 21, "Severe"),
    ],
)
def test_gad7_total_and_band(app, client, patient, answers, total, band):
    response = take(client, "gad7", answers)
    assert response.status_code == 302
    (row,) = rows(app)
    assert (row["kind"], row["total"], row["item9"], row["difficulty"]) == (
        "gad7",
        total,
        None,
        None,
    )
    assert json.loads(row["answers"]) == answers
    page = client.get(response.location).text
    assert f"<dt>Total</dt><dd>{total} <span" in page
    assert f"<dt>Range</dt><dd>{band}</dd>" in page
    assert "screening questionnaire, not a diagnosis" in page
    assert ("10 or more merits further evaluation" in page) is (total >= 10)
    assert CRISIS not in page  # the GAD-7 has no item 9


@pytest.mark.parametrize(
    ("kind", "answers", "message"),
    [
        ("phq9", [1] * 8, "needs 9 answers, not 8"),
        ("phq9", [1] * 10, "needs 9 answers, not 10"),
        ("gad7", [0] * 9, "needs 7 answers, not 9"),
        ("phq9", [1] * 8 + [4], "outside 0-3"),
        ("gad7", [1] * 6 + [-1], "outside 0-3"),
        ("gad7", [1] * 6 + [True], "not a whole number"),
        ("gad7", [1] * 6 + [1.0], "not a whole number"),
        ("gad7", [1] * 6 + ["1"], "not a whole number"),
    ],
)
def test_score_refuses_an_invalid_questionnaire(kind, answers, message):
    with pytest.raises(ValueError, match=message):
        instruments.score(kind, answers)


@pytest.mark.parametrize(
    ("kind", "total", "previous", "expected"),
    [
        ("phq9", 9, 15, "This one is 6 points lower (from 15 to 9). That reaches 5 points"),
        ("phq9", 10, 15, "This one is 5 points lower (from 15 to 10). That reaches 5 points"),
        ("phq9", 11, 15, "This one is 4 points lower (from 15 to 11). That is less than 5"),
        ("phq9", 16, 15, "This one is 1 point higher (from 15 to 16). That is less than 5"),
        ("phq9", 20, 15, "5 points higher (from 15 to 20). That reaches 5 points, a change"),
        ("phq9", 15, 15, "This one has the same total (15)."),
        ("gad7", 4, 12, "This one is 8 points lower (from 12 to 4)."),
    ],
)
def test_change_text(kind, total, previous, expected):
    text = instruments.change_text(kind, total, previous)
    assert expected in text
    assert ("5 points" in text) is (kind == "phq9" and total != previous)


# The result page compares with the previous one of the same kind.


def test_result_compares_with_the_previous_of_the_same_kind(client, patient):
    take(client, "phq9", [3, 3, 3, 3, 3, 0, 0, 0, 0], day=days_ago(14))  # 15
    take(client, "gad7", [0] * 7, day=days_ago(10))  # another kind in between
    second = take(client, "phq9", [3, 3, 3, 0, 0, 0, 0, 0, 0], day=days_ago(7))  # 9
    third = take(client, "phq9", [3, 3, 3, 2, 0, 0, 0, 0, 0], day=days_ago(0))  # 11
    page = client.get(second.location).text
    assert f'previous PHQ-9 was on <time datetime="{days_ago(14)}">' in page
    assert "6 points lower (from 15 to 9). That reaches 5 points" in page
    page = client.get(third.location).text
    assert f'previous PHQ-9 was on <time datetime="{days_ago(7)}">' in page
    assert "2 points higher (from 9 to 11). That is less than 5 points" in page


def test_a_retake_the_same_day_is_not_called_a_change_that_matters(client, patient):
    # 0 by a slip, then 8 minutes later the same day: both cover the same two weeks, so the
    # 8 points are a correction, not the 5-point change that matters for one person, and the
    # later one is the one that counts.
    take(client, "phq9", [0] * 9, day=days_ago(1))
    again = take(client, "phq9", [1] * 8 + [0], day=days_ago(1))
    page = client.get(again.location).text
    assert f'previous PHQ-9 was on <time datetime="{days_ago(1)}">' in page
    assert "a change that matters" not in page
    assert "worth mentioning to your care team" not in page
    assert "dated the same day, with a total of 0. Both cover the same two weeks" in page
    assert "the latest of a day is the one that counts" in page


def test_a_retake_the_same_day_says_an_earlier_safety_answer_stays_shown(client, patient):
    # "The latest of a day is the one that counts", but an earlier PHQ-9 of the day with the
    # last question above 0 stays flagged for a therapist: the page says so, calmly.
    take(client, "phq9", [0] * 8 + [1], day=days_ago(1))
    again = take(client, "phq9", [0] * 9, day=days_ago(1))
    page = client.get(again.location).text
    assert "the latest of a day is the one that counts" in page
    assert (
        "An answer above 0 to the last question, in any of them, stays shown to anyone you "
        "share your journal with." in page
    )
    # The GAD-7 has no such question: nothing more is said.
    take(client, "gad7", GAD7_CALM, day=days_ago(1))
    retake = client.get(take(client, "gad7", GAD7_CALM, day=days_ago(1)).location).text
    assert "the latest of a day is the one that counts" in retake
    assert "last question" not in retake


def test_a_retake_the_same_day_is_compared_with_the_last_of_an_earlier_day(client, patient):
    # The same-day note says the difference is no change over time; the comparison a
    # clinician looks for, with the latest check-up of an earlier day, was gone with it.
    take(client, "phq9", [2] * 9, day=days_ago(9))  # 18
    take(client, "phq9", [0] * 9, day=days_ago(1))
    again = take(client, "phq9", [1] * 8 + [0], day=days_ago(1))  # 8
    page = client.get(again.location).text
    assert "dated the same day, with a total of 0" in page
    assert f'PHQ-9 before that day was on <time datetime="{days_ago(9)}">' in page
    assert "This one is 10 points lower (from 18 to 8)." in page
    # Without an earlier day, nothing more is said.
    first = client.get(take(client, "gad7", GAD7_CALM, day=days_ago(1)).location).text
    retake = client.get(take(client, "gad7", GAD7_CALM, day=days_ago(1)).location).text
    assert 'id="change-earlier"' not in first and 'id="change-earlier"' not in retake


def test_first_result_has_nothing_to_compare(client, patient):
    page = client.get(take(client, "gad7", GAD7_CALM).location).text
    assert "This is your first GAD-7 here." in page


def test_result_shows_the_answers_given(client, patient):
    response = take(client, "phq9", [0, 1, 2, 3, 0, 1, 2, 3, 0], difficulty="3")
    page = client.get(response.location).text
    assert f"{PHQ9_ITEMS[3]}: <strong>Nearly every day</strong>" in page
    assert f"{PHQ9_ITEMS[2]}: <strong>More than half the days</strong>" in page
    assert f"{DIFFICULTY} <strong>Extremely difficult</strong>" in page
    assert ATTRIBUTION in page


def test_difficulty_is_optional_and_can_be_skipped(app, client, patient):
    assert take(client, "phq9", PHQ9_CALM, difficulty="").status_code == 302
    assert take(client, "gad7", GAD7_CALM, difficulty="0").status_code == 302
    assert [row["difficulty"] for row in rows(app)] == [None, 0]


# Safety: PHQ-9 item 9 above 0 shows the crisis resources once; the score is saved all the same.


@pytest.mark.parametrize("item9", [0, 1, 2, 3])
def test_crisis_panel_for_item9(app, client, patient, item9):
    response = take(client, "phq9", [0] * 8 + [item9])
    assert response.status_code == 302  # saved all the same
    (row,) = rows(app)
    assert (row["item9"], row["total"]) == (item9, item9)
    page = client.get(response.location).text
    assert (CRISIS in page) is (item9 > 0)
    assert ('id="item9-note"' in page) is (item9 > 0)
    if item9:
        assert page.count(CRISIS) == 1
        assert 'href="tel:988"' in page and 'href="sms:988"' in page
        assert "nobody reads entries as they are written" in page
        assert f"You answered question 9 with “{ANSWERS[item9]}”" in page
    # Shown once, in the response to that save; not on a later visit.
    later = client.get(response.location).text
    assert CRISIS not in later
    assert ('id="item9-note"' in later) is (item9 > 0)


@pytest.mark.parametrize(
    "why", ["a fourth on one day", "a date still to come", "an unanswered question"]
)
def test_a_refused_check_up_with_item_9_above_0_shows_the_crisis_resources(client, patient, why):
    """Refused for a mistake (or a fourth check-up on one day), a PHQ-9 answering question 9
    above 0 came back with no crisis resources: nothing may be blocked by another mistake."""
    answers, day = [0] * 8 + [3], YESTERDAY
    if why == "a fourth on one day":  # the latest of the three answered item 9 above 0
        for item9 in (0, 0, 1):
            assert take(client, "phq9", PHQ9_CALM[:8] + [item9]).status_code == 302
    elif why == "a date still to come":
        day = (TODAY + timedelta(days=2)).isoformat()
    else:
        answers = [None] + answers[1:]
    response = take(client, "phq9", answers, day)
    assert response.status_code == 400
    assert response.text.count(CRISIS) == 1
    assert "You don't have to carry this alone." in response.text
    assert "Your entry is saved" not in response.text  # it is not
    assert 'href="tel:988"' in response.text
    # Item 9 at 0, refused the same way: no resources.
    calm = take(client, "phq9", [None] + [0] * 8, day)
    assert calm.status_code == 400 and CRISIS not in calm.text


def test_crisis_panel_is_keyed_by_its_result(client, patient):
    take(client, "phq9", [0] * 8 + [2])  # its page never opened
    calm = take(client, "phq9", PHQ9_CALM)
    assert CRISIS not in client.get(calm.location).text
    again = take(client, "phq9", [0] * 8 + [1])
    assert CRISIS in client.get(again.location).text


# Bad input: 400, the same form with the input kept, a message at the field, nothing stored.


@pytest.mark.parametrize(
    ("kind", "data", "field", "message"),
    [
        ("phq9", {"q1": None}, "q1", "Choose one answer for this question."),
        ("phq9", {"q9": None}, "q9", "Choose one answer for this question."),
        ("phq9", {"q5": ""}, "q5", "Choose one answer for this question."),
        ("gad7", {"q7": None}, "q7", "Choose one answer for this question."),
        ("phq9", {"q9": "4"}, "q9", "Choose a whole number from 0 to 3."),
        ("phq9", {"q3": "-1"}, "q3", "Choose a whole number from 0 to 3."),
        ("phq9", {"q3": "1.5"}, "q3", "Choose a whole number from 0 to 3."),
        ("phq9", {"q3": "two"}, "q3", "Choose a whole number from 0 to 3."),
        ("phq9", {"q3": "٣"}, "q3", "Choose a whole number from 0 to 3."),  # Arabic-Indic 3
        ("gad7", {"q1": "10"}, "q1", "Choose a whole number from 0 to 3."),
        ("gad7", {"q6": "1e0"}, "q6", "Choose a whole number from 0 to 3."),
        ("phq9", {"difficulty": "4"}, "difficulty", "Choose a whole number from 0 to 3."),
        ("gad7", {"difficulty": "very"}, "difficulty", "Choose a whole number from 0 to 3."),
        ("phq9", {"date": ""}, "date", "Enter the date you answered these questions."),
        ("gad7", {"date": None}, "date", "Enter the date you answered these questions."),
        ("phq9", {"date": "2026-02-30"}, "date", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ("phq9", {"date": "21/11/2026"}, "date", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ("gad7", {"date": "2026-1-5"}, "date", "Enter a date as YYYY-MM-DD, like 2026-03-14."),
        ("phq9", {"date": "1900-01-01"}, "date", "That date is too far back; check the year."),
        (
            "phq9",
            {"date": (TODAY + timedelta(days=2)).isoformat()},
            "date",
            "That date is still to come; choose today or a past day.",
        ),
    ],
)
def test_bad_input(app, client, patient, kind, data, field, message):
    answers = [2, 1, 3, 0, 2, 1, 3, 0, 1][: 9 if kind == "phq9" else 7]
    form = {**form_data(answers, difficulty="2"), **data}
    form = {k: v for k, v in form.items() if v is not None}
    response = client.post(f"/assessments/{kind}", data=form)
    assert response.status_code == 400
    assert error_for(response, field) == message
    assert f'<a href="#{field}">' in response.text  # listed at the top, linked to the field
    assert len(re.findall(r'class="error" id="[^"]+-error"', response.text)) == 1
    # Every valid answer is still chosen; the person only fixes the one that is wrong.
    for number, answer in enumerate(answers, start=1):
        if f"q{number}" not in data:
            assert f'name="q{number}" value="{answer}" checked' in response.text
    if "difficulty" not in data:
        assert 'name="difficulty" value="2" checked' in response.text
    if data.get("date"):
        assert f'name="date" required type="date" value="{data["date"]}"' in response.text
    assert rows(app) == []


def test_nothing_answered(app, client, patient):
    response = client.post("/assessments/phq9", data={"date": YESTERDAY})
    assert response.status_code == 400
    for number in range(1, 10):
        assert error_for(response, f"q{number}") == "Choose one answer for this question."
    assert error_for(response, "difficulty") is None
    assert re.findall(r'value="\d" checked', response.text) == []
    assert 'name="difficulty" value="" checked' in response.text
    assert rows(app) == []


def test_future_is_relative_to_the_persons_own_day(app, client, auth):
    kiri = clock.now().astimezone(ZoneInfo(DAY_AHEAD)).date().isoformat()
    auth.register(email="hono@example.com", timezone="Pacific/Honolulu")
    refused = take(client, "gad7", GAD7_CALM, day=kiri)
    assert refused.status_code == 400 and "still to come" in error_for(refused, "date")
    auth.logout()
    auth.register(email="kiri@example.com", timezone=DAY_AHEAD)
    assert f'value="{kiri}"' in client.get("/assessments/gad7").text  # today by default
    assert take(client, "gad7", GAD7_CALM, day=kiri).status_code == 302
    assert [row["day"] for row in rows(app)] == [kiri]


# History and suggestions.


def test_empty_history_suggests_a_phq9(client, patient):
    page = client.get("/assessments")
    assert page.status_code == 200
    assert "You haven't answered a PHQ-9 yet" in page.text
    assert "No PHQ-9 yet." in page.text and "No GAD-7 yet." in page.text
    assert "taking them every day would not give a valid score" in page.text
    assert 'class="button primary" href="/assessments/phq9"' in page.text


def test_history_lists_every_one_newest_first(app, client, patient):
    take(client, "phq9", [3, 3, 3, 3, 3, 3, 3, 0, 0], day=days_ago(20))  # 21
    take(client, "phq9", [3, 3, 3, 0, 0, 0, 0, 0, 0], day=days_ago(3))  # 9
    take(client, "phq9", [1, 1, 1, 0, 0, 0, 0, 0, 0], day=days_ago(3))  # 3, same day, later
    take(client, "gad7", [3, 3, 3, 3, 3, 0, 0], day=days_ago(5))  # 15
    ids = [row["id"] for row in rows(app)]
    page = client.get("/assessments").text
    phq9, gad7 = page.split('id="gad7-title"')
    listed = re.findall(r'href="/assessments/(\d+)"', phq9)
    assert [int(i) for i in listed] == [ids[2], ids[1], ids[0]]
    assert re.findall(r'<time datetime="([\d-]+)">', phq9.split('<ol class="entries">')[1]) == [
        days_ago(3),
        days_ago(3),
        days_ago(20),
    ]
    entries = re.findall(
        r'<span class="visually-hidden">Total </span>(\d+)<span class="visually-hidden"> of '
        r'(\d+)</span></span>\s*<span class="entry-text">([^<]+)</span>',
        page,
    )
    assert entries == [
        ("3", "27", "Minimal range"),
        ("9", "27", "Mild range"),
        ("21", "27", "Severe range"),
        ("15", "21", "Severe range"),
    ]
    assert [int(i) for i in re.findall(r'href="/assessments/(\d+)"', gad7)] == [ids[3]]
    # The last PHQ-9 was 3 days ago: the next is suggested 7 days after it, never forced.
    assert f'suggested from <time datetime="{(TODAY + timedelta(days=4)).isoformat()}">' in page
    assert 'class="button" href="/assessments/phq9"' in page


@pytest.mark.parametrize(("ago", "suggested"), [(0, False), (6, False), (7, True), (30, True)])
def test_weekly_suggestion(client, patient, ago, suggested):
    take(client, "phq9", PHQ9_CALM, day=days_ago(ago))
    page = client.get("/assessments").text
    assert ("It has been a week or more since your last PHQ-9" in page) is suggested
    assert ("The next one is suggested from" in page) is not suggested
    form = client.get("/assessments/phq9").text
    assert f'You last answered the PHQ-9 on <time datetime="{days_ago(ago)}">' in form
    assert ("you can still answer it now" in form) is not suggested


def test_gad7_does_not_count_as_a_phq9(client, patient):
    take(client, "gad7", GAD7_CALM, day=days_ago(1))
    assert "You haven't answered a PHQ-9 yet" in client.get("/assessments").text


def test_more_than_one_a_day_is_stored(app, client, patient):
    for _ in range(2):
        assert take(client, "phq9", PHQ9_CALM).status_code == 302
    assert [row["day"] for row in rows(app)] == [YESTERDAY, YESTERDAY]


# The PHQ-9 summary: baseline (last on or before the first session), response, remission.


def test_phq9_summary_around_the_first_session(app, client, patient):
    add_session(app, 1, days_ago(30))
    add_session(app, 1, days_ago(40))  # the first session, logged second
    take(client, "phq9", [3, 3, 3, 3, 3, 3, 2, 0, 0], day=days_ago(50))  # 20
    take(client, "phq9", [3, 3, 3, 3, 3, 3, 0, 0, 0], day=days_ago(40))  # 18: baseline (same day)
    take(client, "phq9", [3, 3, 3, 3, 3, 2, 0, 0, 0], day=days_ago(35))  # 17
    page = client.get("/assessments")
    assert summary_figures(page, "phq9") == {
        "Baseline": "18",
        "Latest": "17 moderately severe",
        "Response": "Not yet",
        "Remission": "Not yet",
    }
    assert f'first session was on <time datetime="{days_ago(40)}">' in page.text
    take(client, "phq9", [3, 3, 3, 0, 0, 0, 0, 0, 0], day=days_ago(14))  # 9: half of 18
    assert summary_figures(client.get("/assessments"), "phq9") == {
        "Baseline": "18",
        "Latest": "9 mild",
        "Response": "Yes",
        "Remission": "Not yet",
    }
    take(client, "phq9", [1, 1, 1, 1, 0, 0, 0, 0, 0], day=days_ago(0))  # 4
    assert summary_figures(client.get("/assessments"), "phq9") == {
        "Baseline": "18",
        "Latest": "4 minimal",
        "Response": "Yes",
        "Remission": "Yes",
    }


def test_phq9_summary_without_a_session_has_no_baseline(client, patient):
    take(client, "phq9", [3, 3, 3, 3, 3, 0, 0, 0, 0], day=days_ago(21))  # 15
    page = client.get("/assessments")
    assert summary_figures(page, "phq9") == {
        "Baseline": "None",
        "Latest": "15 moderately severe",
        "Response": "Not shown",
        "Remission": "Not shown",
    }
    assert "Baseline: none yet (no session logged)." in page.text
    assert "not shown: no session logged yet, so there is no treatment baseline." in page.text
    take(client, "phq9", [2, 2, 2, 2, 0, 0, 0, 0, 0], day=days_ago(7))  # 8
    page = client.get("/assessments")
    assert summary_figures(page, "phq9") == {
        "Baseline": "None",
        "First": "15",
        "Latest": "8 mild",
        "Response": "Not shown",
        "Remission": "Not shown",
    }
    assert "the latest is 7 points lower than the first (15)" in page.text


def test_phq9_summary_takes_the_later_of_one_day(client, patient):
    take(client, "phq9", [3, 3, 3, 3, 3, 0, 0, 0, 0], day=days_ago(7))  # 15
    take(client, "phq9", [1, 1, 1, 0, 0, 0, 0, 0, 0], day=days_ago(0))  # 3
    take(client, "phq9", [2, 2, 2, 0, 0, 0, 0, 0, 0], day=days_ago(0))  # 6, saved later
    figures = summary_figures(client.get("/assessments"), "phq9")
    assert (figures["Latest"], figures["Remission"]) == ("6 mild", "Not shown")


def test_gad7_summary(app, client, patient):
    add_session(app, 1, days_ago(10))
    take(client, "gad7", [3, 3, 3, 1, 0, 0, 0], day=days_ago(12))  # 10: baseline
    take(client, "gad7", [1, 1, 1, 0, 0, 0, 0], day=days_ago(2))  # 3
    assert summary_figures(client.get("/assessments"), "gad7") == {
        "Baseline": "10",
        "Latest": "3 minimal",
    }


# Privacy and log-in.


def test_another_persons_result_is_404(app, client, auth):
    auth.register(email="one@example.com")
    mine = take(client, "phq9", [0] * 8 + [3]).location
    auth.logout()
    auth.register(email="two@example.com")
    assert client.get(mine).status_code == 404
    assert client.get("/assessments/999").status_code == 404
    page = client.get("/assessments").text
    assert "No PHQ-9 yet." in page and mine not in page
    # Their own history and summary stand apart.
    take(client, "phq9", PHQ9_CALM)
    assert [(row["user_id"], row["total"]) for row in rows(app)] == [(1, 3), (2, 5)]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/assessments"),
        ("get", "/assessments/phq9"),
        ("get", "/assessments/gad7"),
        ("post", "/assessments/phq9"),
        ("get", "/assessments/1"),
    ],
)
def test_login_required(app, client, method, url):
    response = getattr(client, method)(url, data=form_data(PHQ9_CALM) if method == "post" else None)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")
    assert rows(app) == []


# Issue 8: wording that does not minimise, the GAD-7's own wording, response and remission.

FREQUENCY_WORDS = ("rarely", "if at all", "several days", "many days", "most days", "every day")


@pytest.mark.parametrize(
    ("kind", "total"),
    [("phq9", total) for total in range(28)] + [("gad7", total) for total in range(22)],
)
def test_explanations_never_guess_how_often_a_problem_bothered(kind, total):
    text = " ".join(instruments.explanation(kind, total)).lower()
    assert not [word for word in FREQUENCY_WORDS if word in text]
    assert f"{instruments.band(kind, total)} range" in text


def test_each_band_text_states_the_range_rules_py_gives_it():
    # Band bounds are stated once, in journal/rules.py: the words read them from there.
    for instrument, bands in ((instruments.PHQ9, PHQ9_BANDS), (instruments.GAD7, GAD7_BANDS)):
        for low, high, name in bands:
            assert instrument.band_text(name).startswith(
                f"A total of {low} to {high} is in the {name} range"
            )
    assert instruments.PHQ9.band_text("minimal").endswith("the PHQ-9's lowest band.")
    assert instruments.GAD7.band_text("severe").endswith("the GAD-7's highest band.")
    moved = replace(instruments.GAD7, bands=[(0, 6, "minimal"), (7, 21, "severe")])
    assert moved.band_text("severe").startswith("A total of 7 to 21 is in the severe range")


def test_a_low_total_with_item9_nearly_every_day_is_not_minimised(client, patient):
    page = client.get(take(client, "phq9", [1, 0, 0, 0, 0, 0, 0, 0, 3]).location).text
    assert "minimal range" in page and 'id="item9-note"' in page
    assert "rarely" not in page and "if at all" not in page


@pytest.mark.parametrize(
    ("kind", "heading", "difficulty", "other"),
    [
        ("phq9", "PHQ-9: A depression check-up · 9 questions", DIFFICULTY, GAD7_DIFFICULTY),
        ("gad7", "GAD-7: An anxiety check-up · 7 questions", GAD7_DIFFICULTY, DIFFICULTY),
    ],
)
def test_each_check_up_has_its_own_title_and_difficulty_question(
    client, patient, kind, heading, difficulty, other
):
    form = client.get(f"/assessments/{kind}").text
    h1 = re.sub(r"<[^>]+>", "", re.search(r"<h1>(.*?)</h1>", form, re.S).group(1))
    assert h1.startswith(heading)
    answers = [0] * len(instruments.get(kind).items)
    result = client.get(take(client, kind, answers, difficulty="2").location).text
    assert f"{difficulty} <strong>Very difficult</strong>" in result
    assert other not in form and other not in result


@pytest.mark.parametrize(
    ("baseline", "later", "figures", "why"),
    [
        # A single minimal PHQ-9 of 3 before the first session: no "Remission".
        ([0, 0, 0, 0, 0, 0, 1, 1, 1], None, ("Not shown", "Not shown"), "baseline below 10"),
        # A minimal baseline of 4 falling to 2: neither response nor remission.
        (
            [1, 1, 1, 1, 0, 0, 0, 0, 0],
            [1, 1, 0, 0, 0, 0, 0, 0, 0],
            ("Not shown", "Not shown"),
            "baseline below 10",
        ),
        (
            [2, 2, 2, 2, 2, 2, 0, 0, 0],
            None,
            ("Not shown", "Not shown"),
            "no PHQ-9 since the baseline",
        ),
        # 12 -> 5: a response (5 <= 6), not a remission (5 is not below 5); 12 -> 4: both.
        (
            [2, 2, 2, 2, 2, 2, 0, 0, 0],
            [1, 1, 1, 1, 1, 0, 0, 0, 0],
            ("Yes", "Not yet"),
            "Response: latest 5 is at most half the baseline of 12.",
        ),
        (
            [2, 2, 2, 2, 2, 2, 0, 0, 0],
            [1, 1, 1, 1, 0, 0, 0, 0, 0],
            ("Yes", "Yes"),
            "Remission: latest 4, below 5, from a baseline of 12.",
        ),
    ],
)
def test_phq9_response_and_remission_need_a_baseline_of_10(
    app, client, patient, baseline, later, figures, why
):
    add_session(app, 1, days_ago(20))
    take(client, "phq9", baseline, day=days_ago(21))
    if later:
        take(client, "phq9", later, day=days_ago(1))
    page = client.get("/assessments")
    shown = summary_figures(page, "phq9")
    assert (shown["Response"], shown["Remission"]) == figures
    assert why in page.text


def after_a_baseline_of_18(app, client, month_ago, now):
    """The check-ups page after a first session 60 days ago, a PHQ-9 of 18 the day before it
    (the baseline), `month_ago`'s answers 30 days ago and `now`'s yesterday."""
    add_session(app, 1, days_ago(60))
    take(client, "phq9", [3, 3, 3, 3, 3, 3, 0, 0, 0], day=days_ago(61))  # 18: the baseline
    take(client, "phq9", month_ago, day=days_ago(30))
    take(client, "phq9", now, day=days_ago(1))
    return client.get("/assessments")


def test_a_response_that_came_and_went_is_not_called_not_yet(app, client, patient):
    # 18 before the first session, 8 a month later (a response: at most 9), 10 now. The
    # report said "first response on ..." beside "Response: Not yet"; the check-ups and
    # progress pages told the person, at 10, that a response had not come yet.
    page = after_a_baseline_of_18(
        app,
        client,
        [2, 2, 2, 2, 0, 0, 0, 0, 0],
        [2, 2, 2, 2, 2, 0, 0, 0, 0],  # 8, then 10
    )
    assert summary_figures(page, "phq9")["Response"] == "No longer"
    reached = day_text(TODAY - timedelta(days=30), "date_year")
    assert (
        f"No longer: first reached on {reached}; latest 10 is more than half the baseline of 18."
        in page.text
    )
    card = client.get("/progress").text.split('id="phq9-response"')[1].split("</div>")[0]
    assert "<dd>No longer</dd>" in card
    assert "Not yet" not in card


def test_phq9_taken_only_after_the_first_session_is_not_called_a_baseline(app, client, patient):
    add_session(app, 1, days_ago(30))
    take(client, "phq9", [3, 3, 3, 3, 0, 0, 0, 0, 0], day=days_ago(20))  # 12
    take(client, "phq9", [1, 1, 1, 0, 0, 0, 0, 0, 0], day=days_ago(2))  # 3
    page = client.get("/assessments")
    assert summary_figures(page, "phq9") == {
        "Baseline": "None",
        "First": "12",
        "Latest": "3 minimal",
        "Response": "Not shown",
        "Remission": "Not shown",
    }
    assert (
        "Baseline: none before the first session; the latest is 9 points lower than the "
        "first (12)." in page.text
    )
    assert "no PHQ-9 before the first session, so there is no treatment baseline" in page.text
    assert "the last on or before" not in page.text


# A day holds at most PER_DAY_MAX check-ups of one kind: one person's history stays bounded.


@pytest.mark.parametrize(
    ("kind", "answers", "message"),
    [
        ("phq9", PHQ9_CALM, "You have taken the PHQ-9 3 times on this day, the most a day"),
        ("gad7", GAD7_CALM, "You have taken the GAD-7 3 times on this day, the most a day"),
    ],
)
def test_a_day_holds_at_most_three_checkups_of_one_kind(
    app, client, patient, kind, answers, message
):
    for _ in range(3):
        assert take(client, kind, answers).status_code == 302
    response = take(client, kind, answers)
    assert response.status_code == 400
    assert message in error_for(response, "date")
    assert f'value="{YESTERDAY}"' in response.text  # the input is kept
    assert len(rows(app)) == 3
    other = "gad7" if kind == "phq9" else "phq9"
    assert take(client, other, PHQ9_CALM if other == "phq9" else GAD7_CALM).status_code == 302
    assert take(client, kind, answers, day=TODAY.isoformat()).status_code == 302


def test_a_safety_answer_past_the_days_limit_is_kept_once_so_the_day_is_flagged(
    app, client, patient
):
    """Three calm PHQ-9s on a day, then a fourth answering item 9 above 0: refusing it left
    the day unflagged for a linked therapist (the latest counted one said 0). One more is
    kept when it answers item 9 above 0 and none of the day's does; never a fifth."""
    for _ in range(3):
        assert take(client, "phq9", PHQ9_CALM).status_code == 302
    response = take(client, "phq9", PHQ9_CALM[:8] + [2])
    assert response.status_code == 302
    assert [row["item9"] for row in rows(app)] == [0, 0, 0, 2]
    assert client.get(response.location).text.count(CRISIS) == 1
    with app.app_context():
        user_id = get_db().execute("select id from users").fetchone()[0]
        day = date.fromisoformat(YESTERDAY)
        flagged = access.flagged_days(user_id, day, day)
    assert [flag["day"] for flag in flagged] == [YESTERDAY]
    again = take(client, "phq9", PHQ9_CALM[:8] + [3])
    assert again.status_code == 400 and CRISIS in again.text  # refused, the panel still shown
    assert "taken the PHQ-9 4 times on this day, the most a day can hold" in error_for(
        again, "date"
    )
    assert take(client, "phq9", PHQ9_CALM).status_code == 400
    assert len(rows(app)) == 4


def test_a_safety_answer_past_the_limit_is_kept_when_the_days_latest_said_0(app, client, patient):
    """Item 9 at 2, then two calm ones: the latest, the one that counts, says 0. A fourth at
    3 is kept, so the report's latest PHQ-9 carries it; a fifth is not."""
    for item9 in (2, 0, 0):
        assert take(client, "phq9", PHQ9_CALM[:8] + [item9]).status_code == 302
    assert take(client, "phq9", PHQ9_CALM[:8] + [3]).status_code == 302
    assert [row["item9"] for row in rows(app)] == [2, 0, 0, 3]
    assert take(client, "phq9", PHQ9_CALM[:8] + [1]).status_code == 400


# The history is paginated as History is: 30 of each kind a page, newest first.


def test_history_is_paginated_newest_first(app, client, patient):
    with app.app_context():
        db = get_db()
        user_id = db.execute("select id from users").fetchone()[0]
        for n in range(70):
            for kind, size in (("phq9", 9), ("gad7", 7)):
                if kind == "gad7" and n >= 40:
                    continue
                total = n % (size * 3 + 1)
                db["assessments"].insert(
                    {"user_id": user_id, "kind": kind, "day": days_ago(n // 2),
                     "answers": json.dumps([0] * size), "total": total,
                     "item9": 0 if kind == "phq9" else None,
                     "created_at": "2026-01-01T00:00:00+00:00"}
                )  # fmt: skip
        db.conn.commit()
    newest_first = sorted(rows(app), key=lambda row: (row["day"], row["id"]), reverse=True)
    everything = {kind: [row["id"] for row in newest_first if row["kind"] == kind]
                  for kind in ("phq9", "gad7")}  # fmt: skip
    first = client.get("/assessments").text
    seen = {"phq9": [], "gad7": []}
    for page in (1, 2, 3):
        text = client.get(f"/assessments?page={page}").text
        phq9, gad7 = text.split('id="gad7-title"')
        seen["phq9"] += [int(i) for i in re.findall(r'href="/assessments/(\d+)"', phq9)]
        seen["gad7"] += [int(i) for i in re.findall(r'href="/assessments/(\d+)"', gad7)]
        assert f"Page {page} of 3" in text
        # The summaries stand on every check-up, whatever the page.
        assert summary_figures(client.get(f"/assessments?page={page}"), "phq9") == (
            summary_figures(client.get("/assessments"), "phq9")
        )
    assert seen == everything  # newest first (by day, then order of saving), each once
    assert "No older GAD-7s" in text
    assert client.get("/assessments?page=4").status_code == 404
    assert re.findall(r'href="/assessments/(\d+)"', first)[:30] == [
        str(i) for i in everything["phq9"][:30]
    ]


# A double tap on Save stores the check-up once (the form's request key).


def test_a_check_ups_page_gone_since_it_was_shown_says_so_and_leads_back(tmp_path):
    # The last page's one check-up deleted, then that page again (Back, a reload): it says
    # there is no such page now, with the way to Check-ups, as History does.
    from conftest import AuthActions, make_app

    app = make_app(tmp_path, ENTRIES_PER_PAGE=1)
    client = app.test_client()
    AuthActions(client).register()
    for back in (1, 2):
        factories.take(client, "phq9", (TODAY - timedelta(days=back)).isoformat(), [1] * 9)
    older = re.search(r'href="/assessments/(\d+)"', client.get("/assessments?page=2").text)[1]
    assert client.post(f"/assessments/{older}/delete").status_code == 302
    again = client.get("/assessments?page=2")
    assert again.status_code == 404
    assert "There is no page 2 of Check-ups now: it has 1 page." in again.text
    assert '<a href="/assessments">Go to Check-ups</a>' in again.text


def form_key(client, kind):
    page = client.get(f"/assessments/{kind}").text
    return re.search(r'name="request_key" type="hidden" value="([^"]+)"', page).group(1)


def stored(app, kind):
    with app.app_context():
        return [json.loads(row["answers"]) for row in get_db()["assessments"].rows_where(
            "kind = ?", [kind], order_by="id")]  # fmt: skip


@pytest.mark.parametrize("kind", ["phq9", "gad7"])
def test_a_double_tap_on_save_stores_one_check_up(app, client, patient, kind):
    items = 9 if kind == "phq9" else 7
    answers, key = [1] * items, form_key(client, kind)
    first = take(client, kind, answers, request_key=key)
    again = take(client, kind, answers, request_key=key)
    assert first.status_code == again.status_code == 302
    assert again.location == first.location  # the same check-up's result
    assert "already saved from this form: saved once" in client.get(again.location).text
    assert stored(app, kind) == [answers]
    # Back, an answer changed, Save: that is a new check-up (the later of a day counts).
    changed = [2] + [1] * (items - 1)
    assert take(client, kind, changed, request_key=key).status_code == 302
    assert stored(app, kind) == [answers, changed]
    # A form without a key, or with a new one, saves as before (on another day: a day holds 3).
    assert take(client, kind, answers).status_code == 302
    new_key = form_key(client, kind)
    assert take(client, kind, answers, day=TODAY, request_key=new_key).status_code == 302
    assert len(stored(app, kind)) == 4


def test_a_double_tap_whose_first_answer_was_lost_still_shows_crisis_resources(
    app, client, patient
):
    # The browser shows the second answer; the first one's cookie (which asked for the crisis
    # panel) may be lost with the navigation it aborted. Item 9 above 0 must still bring them.
    answers, key = [0] * 8 + [2], form_key(client, "phq9")
    before = client.get_cookie("session").value
    first = take(client, "phq9", answers, request_key=key)
    client.set_cookie("session", before)
    again = take(client, "phq9", answers, request_key=key)
    assert again.location == first.location
    page = client.get(again.location).text
    assert "already saved from this form" in page and 'id="crisis-resources"' in page
    # A repeat of a check-up that asks for nothing shows nothing.
    answers, key = [1] * 8 + [0], form_key(client, "phq9")
    take(client, "phq9", answers, day=YESTERDAY, request_key=key)
    page = client.get(take(client, "phq9", answers, day=YESTERDAY, request_key=key).location)
    assert 'id="crisis-resources"' not in page.text


def test_a_check_up_taken_again_the_same_day_counts_once_in_every_figure(app, client, patient):
    # A slip (27), then the same day the answers meant (7): the later is the one that counts,
    # in the summary, the chart and its words (and the caseload and the report, which read
    # the same scores); the list of check-ups keeps both.
    take(client, "phq9", [3] * 9, day=YESTERDAY)
    take(client, "phq9", [1] * 7 + [0, 0], day=YESTERDAY)
    assert client.get("/progress/summary.json").get_json()["phq9"]["latest"] == 7
    page = client.get("/progress").text
    assert "PHQ-9: 1 in this range, latest 7 (mild)" in page
    listed = client.get("/assessments").text
    assert re.findall(r'<span class="visually-hidden">Total </span>(\d+)<', listed) == ["7", "27"]


def saved_days(app, kind):
    with app.app_context():
        rows = get_db()["assessments"].rows_where("kind = ?", [kind], order_by="id")
        return [(row["day"], row["difficulty"]) for row in rows]


def test_a_form_sent_again_with_its_date_or_difficulty_corrected_saves_the_correction(
    app, client, patient
):
    # Back, the mistyped date (or the difficulty) corrected, Save: not dropped as a repeat.
    answers, key = [2] * 9, form_key(client, "phq9")
    assert take(client, "phq9", answers, day=days_ago(3), difficulty="1", request_key=key)
    assert saved_days(app, "phq9") == [(days_ago(3), 1)]
    corrected = take(client, "phq9", answers, day=YESTERDAY, difficulty="1", request_key=key)
    assert corrected.status_code == 302
    assert "already saved" not in client.get(corrected.location).text
    assert saved_days(app, "phq9") == [(days_ago(3), 1), (YESTERDAY, 1)]
    take(client, "phq9", answers, day=YESTERDAY, difficulty="3", request_key=key)
    assert saved_days(app, "phq9")[-1] == (YESTERDAY, 3)
    # The same again: a repeat, saved once.
    again = take(client, "phq9", answers, day=YESTERDAY, difficulty="3", request_key=key)
    assert "already saved from this form" in client.get(again.location).text
    assert len(saved_days(app, "phq9")) == 3


def test_a_double_tap_on_the_days_last_allowed_check_up_is_no_error(app, client, patient):
    answers = [0] * 9
    for _ in range(2):
        take(client, "phq9", answers)
    key = form_key(client, "phq9")
    assert take(client, "phq9", answers, request_key=key).status_code == 302  # the third
    again = take(client, "phq9", answers, request_key=key)
    assert again.status_code == 302  # not "3 times on this day"
    assert len(stored(app, "phq9")) == 3


def test_a_check_up_sent_back_names_each_mistake_at_its_top(client, patient):
    answers = [1] * 9
    answers[2] = None  # question 3 left out
    future = (TODAY + timedelta(days=1)).isoformat()
    response = take(client, "phq9", [a if a is not None else "" for a in answers], day=future)
    assert response.status_code == 400
    summary = re.search(r'role="alert" id="error-summary">(.*?)</div>', response.text, re.S)
    links = dict(re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary.group(1)))
    assert links == {"date": "The date", "q3": "Question 3"}
    assert "Nothing is saved yet" in summary.group(1)
    # In the page's order: the date comes after the questions, there and in the summary.
    assert list(links) == ["q3", "date"]


# Deleting a check-up


def test_a_check_up_saved_by_mistake_can_be_deleted_and_its_figures_go_with_it(
    app, client, patient
):
    """A year mistyped (2025 for 2026) made a PHQ-9 of 18 the one before the first session,
    the treatment baseline, for good: there was no way to remove a check-up."""
    add_session(app, 1, days_ago(10))
    mistyped = take(client, "phq9", [3, 3, 3, 3, 3, 3, 0, 0, 0], day=days_ago(375)).location
    take(client, "phq9", [3, 3, 3, 0, 0, 0, 0, 0, 0], day=days_ago(0))  # 9
    assert summary_figures(client.get("/assessments"), "phq9")["Baseline"] == "18"
    result = client.get(mistyped)
    assert f'href="{mistyped}/delete"' in result.text
    confirm = client.get(f"{mistyped}/delete")
    assert confirm.status_code == 200
    assert "Delete your PHQ-9?" in confirm.text and "total of 18" in confirm.text
    done = client.post(f"{mistyped}/delete")
    assert done.status_code == 302 and done.location == "/assessments"
    page = client.get("/assessments")
    assert "Deleted the PHQ-9 of" in page.text
    assert summary_figures(page, "phq9")["Baseline"] != "18"
    assert [row["total"] for row in rows(app)] == [9]
    assert client.get(mistyped).status_code == 404
    assert client.post(f"{mistyped}/delete").status_code == 404  # the second tap


def baseline_note(page):
    """The words of the delete page's note that the check-up is the treatment baseline."""
    found = re.search(r'<p class="note" id="baseline-note">(.*?)</p>', page.text, re.S)
    return found and " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


def test_deleting_the_treatment_baseline_says_so_and_what_becomes_the_baseline(
    app, client, patient
):
    """The delete page read the same for any check-up: deleting the PHQ-9 that response and
    remission are measured from (on the progress page, in reports, on the therapist's page)
    moved the baseline to an earlier one, or left none, unsaid."""
    add_session(app, 1, days_ago(10))
    older = take(client, "phq9", [2] * 9, day=days_ago(30)).location  # 18
    morning = take(client, "phq9", [1] * 9, day=days_ago(12)).location  # 9
    baseline = take(client, "phq9", [3] * 9, day=days_ago(12)).location  # 27, the later
    later = take(client, "phq9", [1] * 9, day=days_ago(2)).location
    first = day_text(date.fromisoformat(days_ago(10)), "short_year")
    note = baseline_note(client.get(f"{baseline}/delete"))
    assert note.startswith(f"This PHQ-9 is your treatment baseline, the last before your first "
                           f"session on {first}")  # fmt: skip
    # The earlier one of its day becomes the baseline.
    day = day_text(date.fromisoformat(days_ago(12)), "short_year")
    assert f"the PHQ-9 of {day} (total 9) becomes the baseline" in note
    for other in (older, morning, later):
        assert baseline_note(client.get(f"{other}/delete")) is None, other
    client.post(f"{baseline}/delete")
    client.post(f"{morning}/delete")
    note = baseline_note(client.get(f"{older}/delete"))
    assert "This PHQ-9 is your treatment baseline" in note
    assert "there is no PHQ-9 before your first session to measure change from" in note
    # A GAD-7 has a treatment baseline too.
    gad7 = take(client, "gad7", [1] * 7, day=days_ago(11)).location
    assert "This GAD-7 is your treatment baseline" in baseline_note(client.get(f"{gad7}/delete"))


def test_another_persons_check_up_is_404_to_delete(app, client, auth):
    auth.register(email="one@example.com")
    mine = take(client, "phq9", PHQ9_CALM).location
    auth.logout()
    auth.register(email="two@example.com")
    assert client.get(f"{mine}/delete").status_code == 404
    assert client.post(f"{mine}/delete").status_code == 404
    assert client.post("/assessments/999/delete").status_code == 404
    for odd in ("abc", "-1", "1.0", "9" * 30):  # no check-up could have such an id
        assert client.get(f"/assessments/{odd}/delete").status_code == 404, odd
    assert len(rows(app)) == 1


def test_a_check_up_deleted_in_another_tab_says_it_may_have_been_deleted(client, patient):
    """Delete tapped in a second tab (or Back after a delete) answered "There is nothing at
    this address", as for a mistyped address: a session or a check-in there says it may have
    been deleted, and leads to its list."""
    taken = take(client, "phq9", PHQ9_CALM).location
    assert client.get(f"{taken}/delete").status_code == 200  # open in the second tab
    assert client.post(f"{taken}/delete").status_code == 302  # deleted in the first
    for again in (client.post(f"{taken}/delete"), client.get(taken)):
        assert again.status_code == 404
        assert "This check-up is not in your journal: it may have been deleted." in again.text
        assert '<a href="/assessments"' in again.text and "Go to Check-ups" in again.text


def test_a_remission_that_came_and_went_is_not_called_not_yet(app, client, patient):
    # 18 before the first session, 4 a month later (a remission: below 5), 6 now (a response,
    # no longer a remission). "Remission: Not yet" told the person it had never come.
    page = after_a_baseline_of_18(
        app,
        client,
        [1, 1, 1, 1, 0, 0, 0, 0, 0],
        [2, 2, 1, 1, 0, 0, 0, 0, 0],  # 4, then 6
    )
    shown = summary_figures(page, "phq9")
    assert (shown["Response"], shown["Remission"]) == ("Yes", "No longer")
    reached = day_text(TODAY - timedelta(days=30), "date_year")
    assert (
        f"Response: latest 6 is at most half the baseline of 18; below 5 first on {reached}."
        in page.text
    )


def test_a_check_up_form_left_open_past_midnight_is_saved_on_the_day_it_is_sent(app, client, auth):
    """Opened at 23:50, sent at 00:10: the page says the day it was made on and the date's
    latest (data-today, max: static/new-day.js moves them on), and the Save is checked against
    the server's today as it comes, so the new day is no day still to come."""
    evening = datetime.combine(TODAY, time(23, 50), UTC)
    clock.set(evening)
    auth.register()
    page = client.get("/assessments/gad7").text
    assert f'data-today="{TODAY}" data-today-what="check-up"' in page
    assert f'max="{TODAY}" name="date"' in page
    clock.set(evening + timedelta(minutes=20))
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert take(client, "gad7", GAD7_CALM, day=tomorrow).status_code == 302
    assert [row["day"] for row in rows(app)] == [tomorrow]
