"""The therapist's five-minute review (issue 10): "Since your last review", "Mark as reviewed",
the history newest first and paginated, the PDF, notices of patients who left, and the
invite code folding away."""

import html
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from conftest import (
    PASSWORD,
    AuthActions,
    asked_twice,
    csrf_token,
    make_app,
    pdf_text,
    register_with_csrf,
    traced,
)
from factories import (
    DAY_AHEAD,
    NOW,
    TODAY,
    checkin,
    insert,
    invite_code,
    link,
    make_admin,
    person,
    session,
    share_link,
    sql,
    take,
    therapist,
    user_id,
)
from test_caseload import ago, cards
from test_erasure import found

from journal import clock, timezones
from journal.db import get_db


@pytest.fixture
def linked(app):
    """Dr Rivera and Robin, linked at NOW; sign-ins never go idle while the clock moves."""
    app.config["IDLE_MINUTES"] = 0
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Robin")
    assert link(pat, invite_code(doc)).status_code == 302
    return doc, pat, user_id(app, "pat@example.com")


def later(**delta):
    """Move the app's clock on from NOW."""
    clock.set(NOW + timedelta(**delta))


def day(offset):
    """TODAY + offset days, as text."""
    return (TODAY + timedelta(days=offset)).isoformat()


def since(page):
    """The "Since ..." part of a patient's page, up to its "Mark as reviewed" button."""
    start = page.index('id="since-title"')
    return page[start : page.index("Mark as reviewed", start)]


def history(page):
    """The history part of a patient's page."""
    return page[page.index('id="history-title"') :]


def rows(app, sql, *params):
    with app.app_context():
        return get_db().execute(sql, params).fetchall()


def mark(doc, pid):
    return doc.post(f"/caseload/{pid}/reviewed")


# Since your last review


def test_since_linking_then_since_the_review_with_old_and_new_flags(linked):
    doc, pat, pid = linked
    checkin(pat, ago(1), 1, reflection="a hard evening")  # before any review
    page = doc.get(f"/caseload/{pid}").text
    part = since(page)
    assert 'id="since-title">Since linking</h2>' in part
    assert f'<time datetime="{ago(1)}">' in part and "<span>mood 1 of 10</span>" in part
    assert "Not reviewed yet." in page

    later(hours=1)
    response = mark(doc, pid)
    assert response.status_code == 302 and response.location == f"/caseload/{pid}"
    page = doc.get(f"/caseload/{pid}").text
    assert "Marked Robin as reviewed." in page
    part = since(page)
    assert "Since your last review" in part
    assert f"Nothing new since your review on {TODAY:%-d %b} at 13:00." in part
    assert "mood 1 of 10" not in part
    assert "mood 1 of 10" in history(page)  # the history keeps every flag

    later(hours=2)  # a new flag: every reason, the most serious first
    checkin(pat, ago(0), 2, self_harm="y")
    take(pat, "phq9", ago(0), [0, 0, 0, 0, 0, 0, 0, 0, 2])
    part = since(doc.get(f"/caseload/{pid}").text)
    assert f'<time datetime="{ago(0)}">' in part
    reasons = "thoughts of self-harm reported; PHQ-9 item 9 answered 2 of 3; mood 2 of 10"
    assert f"<span>{reasons}</span>" in part
    assert "mood 1 of 10" not in part  # the reviewed one stays reviewed
    assert "Flagged days (1)" in part


def test_an_entry_saved_after_the_review_is_new_even_when_dated_before_it(linked):
    doc, pat, pid = linked
    assert mark(doc, pid).status_code == 302
    later(hours=1)
    checkin(pat, ago(5), 2)  # back-dated after the review
    part = since(doc.get(f"/caseload/{pid}").text)
    assert f'<time datetime="{ago(5)}">' in part and "<span>mood 2 of 10</span>" in part


def test_a_new_session_shows_dose_pressure_dissociation_and_side_effects(linked):
    doc, pat, pid = linked
    mark(doc, pid)
    later(hours=1)
    session(
        pat,
        ago(0),
        dose_mg="35",
        dose_mg_per_kg="0.5",
        bp_before_systolic="128",
        bp_before_diastolic="82",
        bp_after_systolic="141",
        bp_after_diastolic="88",
        dissociation="6",
        mood_before="4",
        mood_after="7",
        side_effects=["nausea", "other"],
        side_effects_other="hiccups",
        reflection="SESSION-WORDS",
        intention="INTENTION-WORDS",
        clinic="CLINIC-NAME",
    )
    session(pat, ago(1), side_effects=["other"], side_effects_other="PRIVATE-OTHER", private="y")
    part = since(doc.get(f"/caseload/{pid}").text)
    assert "Sessions (2)" in part
    facts = part.split('id="since-sessions"')[1].split("</ul>")[0]
    first, second = facts.split("<li>")[1:3]  # newest first
    assert "#2" in first and "Ketamine (racemic), IV infusion" in first
    assert "<dd>35 mg (0.5 mg/kg)</dd>" in first
    assert '<dd>128/82 <span class="unit">mmHg</span></dd>' in first
    assert '<dd>141/88 <span class="unit">mmHg</span></dd>' in first
    assert '<dd>6 <span class="unit">of 10</span></dd>' in first
    assert '<dd>4 → 7 <span class="unit">of 10</span></dd>' in first
    assert "<dd>Nausea, hiccups</dd>" in first
    assert "#1" in second and "<dd>Something else</dd>" in second
    assert "<dd>Not given</dd>" in second  # no dose, no pressures, no dissociation
    assert "SESSION-WORDS" not in facts  # the shared reflection is under its own heading
    for words in ("INTENTION-WORDS", "CLINIC-NAME", "PRIVATE"):
        assert words not in part


def test_new_scores_with_their_change(linked):
    doc, pat, pid = linked
    take(pat, "phq9", ago(20), [2, 2, 2, 2, 2, 2, 2, 2, 0])  # 16
    take(pat, "gad7", ago(20), [1, 1, 1, 1, 1, 1, 1])  # 7
    later(seconds=1)  # the review comes after them (in their second, they would be new still)
    mark(doc, pid)
    later(hours=1)
    take(pat, "phq9", ago(0), [1, 1, 1, 1, 1, 1, 1, 1, 0])  # 8: down 8 from 16
    take(pat, "gad7", ago(0), [1, 1, 1, 1, 1, 1, 1])  # 7 again
    part = since(doc.get(f"/caseload/{pid}").text)
    old = timezones.day_text_near(TODAY - timedelta(days=20), TODAY)
    assert f"<span>PHQ-9 8 (mild), down 8 from 16 on {old}</span>" in part
    assert f"<span>GAD-7 7 (mild), no change from 7 on {old}</span>" in part
    assert "PHQ-9 16" not in part  # reviewed already
    assert "Check-up scores (2)" in part


def test_the_patient_page_reads_the_scores_once(app, linked):
    """The page's charts and its "new since your review" share one read of the PHQ-9 and
    GAD-7 totals (each was read twice)."""
    doc, pat, pid = linked
    take(pat, "phq9", ago(0), [1, 1, 1, 1, 1, 1, 1, 1, 0])
    with traced(app) as statements:
        assert doc.get(f"/caseload/{pid}").status_code == 200
    scores = [s for s in statements if "from assessments" in s]
    assert scores != []
    assert asked_twice(scores) == []


def test_a_first_score_says_so(linked):
    doc, pat, pid = linked
    later(hours=1)
    take(pat, "phq9", ago(0), [3, 3, 3, 0, 0, 0, 0, 0, 0])
    part = since(doc.get(f"/caseload/{pid}").text)
    assert "<span>PHQ-9 9 (mild), the first</span>" in part


def test_shared_reflections_are_new_and_private_ones_never_show(linked):
    doc, pat, pid = linked
    mark(doc, pid)
    later(hours=1)
    checkin(pat, ago(0), 6, reflection="SHARED-TODAY calm")
    checkin(pat, ago(1), 6, reflection="PRIVATE-YESTERDAY mine", private="y")
    session(pat, ago(2), reflection="SHARED-SESSION words", prompt_stood_out="SHARED-PROMPT")
    session(pat, ago(3), reflection="PRIVATE-SESSION", prompt_noticed="PRIVATE-PROMPT", private="y")
    page = doc.get(f"/caseload/{pid}").text
    part = since(page)
    assert "Shared reflections (2)" in part
    assert part.index("SHARED-TODAY") < part.index("SHARED-SESSION")  # newest first
    assert "SHARED-PROMPT" in part
    assert "PRIVATE" not in page


def test_each_list_shows_its_newest_twenty_and_says_how_many_more(app, linked):
    doc, pat, pid = linked
    mark(doc, pid)
    later(hours=1)
    for n in range(23):
        stamp = clock.utcnow_iso()
        insert(app, "checkins", pid, stamp, day=ago(n + 1), mood=1, reflection=f"R{n:02d}")
    part = since(doc.get(f"/caseload/{pid}").text)
    assert "Flagged days (23)" in part and "And 3 flagged days more" in part
    assert "Shared reflections (23)" in part and "And 3 reflections more" in part
    assert "R00" in part and "R19" in part and "R20" not in part


# Needs attention, and when


def test_a_review_clears_the_flags_it_covers_and_a_later_flag_raises_attention(app, linked):
    doc, pat, pid = linked
    checkin(pat, ago(1), 1)
    checkin(pat, ago(0), 6)
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "Needs attention" in card and "not reviewed yet" in card
    assert f"Flagged {TODAY - timedelta(days=1):%-d %b}: mood 1 of 10" in card

    later(minutes=5)
    mark(doc, pid)
    page = doc.get("/caseload").text
    card = cards(page)["Robin"]
    assert "Needs attention" not in card and "reviewed today" in card
    assert 'id="attention-title"' not in page

    later(days=1)  # the next day, a new flag
    checkin(pat, day(1), 2)
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "Needs attention" in card and "reviewed yesterday" in card
    assert f"<li>Flagged {TODAY + timedelta(days=1):%-d %b}: mood 2 of 10</li>" in card


def test_a_self_harm_answer_added_to_a_reviewed_day_from_the_queue_is_new(linked):
    """A check-in of mood 6 is reviewed; then the phone delivers a queued one for the same day,
    written before it, that ticked thoughts of self-harm. The stored check-in is kept, with
    the "yes" added: the day is flagged again, and new to the therapist."""
    doc, pat, pid = linked
    checkin(pat, day(0), 6)
    later(hours=1)
    assert mark(doc, pid).status_code == 302
    later(hours=2)
    written = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    queued = {"date": day(0), "mood": "5", "self_harm": "y", "saved_at": written,
              "idempotency_key": "queued-key-0001"}  # fmt: skip
    answer = pat.post("/checkin", data=queued, headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.json["status"] == "kept-newer"
    assert "thoughts of self-harm reported" in since(doc.get(f"/caseload/{pid}").text)
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "Needs attention" in card and "Flagged" in card


def test_after_a_move_west_the_day_already_lived_is_counted_and_reviewed(app):
    """Robin checks in for Kiritimati's today (a day ahead of UTC at NOW), then moves to Los
    Angeles, where today is a day earlier. The card's 7 days end on that later day, as Robin's
    own progress page counts them, and marking Robin reviewed clears its flag: it was dated
    after the review's day, but saved before the review."""
    app.config["IDLE_MINUTES"] = 0
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Robin", timezone=DAY_AHEAD)
    assert link(pat, invite_code(doc)).status_code == 302
    pid = user_id(app, "pat@example.com")
    for offset in range(-5, 1):
        checkin(pat, day(offset), 8)
    checkin(pat, day(1), 2)  # Kiritimati's today at NOW
    moved = {"timezone": "America/Los_Angeles", "window_days": "7", "clinic_phone": ""}
    assert pat.post("/settings", data=moved).status_code == 302

    card = cards(doc.get("/caseload").text)["Robin"]
    mean = re.search(r"<dt>Mood, last 7 days</dt>\s*<dd>([^<]+)</dd>", card).group(1)
    assert mean == "7.1"  # (6 x 8 + 2) / 7, not 8.0 without the day of 2
    assert f"Flagged {TODAY + timedelta(days=1):%-d %b}: mood 2 of 10" in card
    assert "Needs attention" in card

    later(minutes=5)
    assert mark(doc, pid).status_code == 302
    later(minutes=10)
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "Needs attention" not in card and "reviewed today" in card
    assert "Flagged" not in since(doc.get(f"/caseload/{pid}").text)
    # A later entry that flags the day raises it again.
    later(minutes=15)
    assert pat.post(f"/entries/{day(1)}/edit", data={"mood": "1"}).status_code == 302
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "Needs attention" in card
    assert f"Flagged {TODAY + timedelta(days=1):%-d %b}: mood 1 of 10" in card


def test_after_a_move_west_a_review_covers_the_later_days_entries_too(app, linked):
    """Robin saves a session, a check-in's words and a PHQ-9 on Kiritimati's today, then moves to
    Los Angeles, where that day is still to come. Dr Rivera sees them and marks Robin reviewed:
    they were saved before the review, so "Since your last review" no longer lists them (it
    said "added or changed after your review" of all three until the day came)."""
    doc, pat, pid = linked
    moved = {"window_days": "7", "clinic_phone": ""}
    assert pat.post("/settings", data={**moved, "timezone": DAY_AHEAD}).status_code == 302
    tomorrow = day(1)
    checkin(pat, tomorrow, 6, reflection="MOVED-CHECKIN-WORDS")
    session(pat, tomorrow, started_at=f"{tomorrow}T00:30", reflection="MOVED-SESSION-WORDS",
            mood_after="7")  # fmt: skip
    take(pat, "phq9", tomorrow, [1] * 8 + [0])
    west = {**moved, "timezone": "America/Los_Angeles"}
    assert pat.post("/settings", data=west).status_code == 302
    later(minutes=5)
    part = since(doc.get(f"/caseload/{pid}").text)
    for words in ("MOVED-CHECKIN-WORDS", "MOVED-SESSION-WORDS", "Sessions (1)", "PHQ-9 8"):
        assert words in part, words
    assert mark(doc, pid).status_code == 302
    later(minutes=10)
    part = since(doc.get(f"/caseload/{pid}").text)
    for words in ("MOVED-CHECKIN-WORDS", "MOVED-SESSION-WORDS", "Sessions (", "PHQ-9 8"):
        assert words not in part, words
    # Changed after the review, the day's entry is new again.
    later(minutes=15)
    edited = {"mood": "6", "reflection": "EDITED"}
    assert pat.post(f"/entries/{tomorrow}/edit", data=edited).status_code == 302
    part = since(doc.get(f"/caseload/{pid}").text)
    assert "EDITED" in part and "MOVED-SESSION-WORDS" not in part


@pytest.mark.parametrize(
    "saved",
    ["a GAD-7", "a PHQ-9 with item 9 at 0", "a session"],
)
def test_a_reviewed_flag_comes_back_only_with_an_entry_that_flags_its_day(app, linked, saved):
    # Saved after the review on the flagged day, an entry that flags nothing is new (it shows
    # under "Since"), but the flag the therapist reviewed stays reviewed. A flagging entry
    # saved since (here the check-in, edited to report thoughts of self-harm) raises it again.
    doc, pat, pid = linked
    checkin(pat, ago(1), 1)
    later(minutes=5)
    mark(doc, pid)
    later(minutes=10)
    if saved == "a GAD-7":
        take(pat, "gad7", ago(1), [0] * 7)
    elif saved == "a PHQ-9 with item 9 at 0":
        take(pat, "phq9", ago(1), [1] * 8 + [0])
    else:
        session(pat, ago(1), mood_after="6")
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "Needs attention" not in card and "reviewed today" in card
    later(minutes=15)
    checkin(pat, ago(1), 1, loaded_for=ago(1), self_harm="y")
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "Needs attention" in card
    assert f"Flagged {TODAY - timedelta(days=1):%-d %b}: thoughts of self-harm reported" in card


def test_a_flag_saved_in_the_second_the_page_was_shown_stays_unreviewed(app, linked):
    # Stored times have whole seconds: the page is shown at 12:00:00.2, the patient reports
    # thoughts of self-harm at 12:00:00.6 (the same second), the page's button is pressed. The
    # page never showed the flag, so it must not be taken as seen.
    doc, pat, pid = linked
    page = doc.get(f"/caseload/{pid}").text
    shown_at = re.search(r'name="shown_at" type="hidden" value="([^"]+)"', page).group(1)
    checkin(pat, ago(0), 1, self_harm="y")
    later(seconds=5)
    assert doc.post(f"/caseload/{pid}/reviewed", data={"shown_at": shown_at}).status_code == 302
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "Needs attention" in card and "thoughts of self-harm reported" in card
    assert "thoughts of self-harm reported" in since(doc.get(f"/caseload/{pid}").text)


def self_harm_after_the_page(doc, pat, pid):
    """The patient's page shown at noon, thoughts of self-harm reported at 12:20, and it is
    12:30 now: the noon page's `shown_at`, for its Mark as reviewed."""
    checkin(pat, ago(0), 6)
    page = doc.get(f"/caseload/{pid}").text
    shown_at = re.search(r'name="shown_at" type="hidden" value="([^"]+)"', page).group(1)
    later(minutes=20)
    checkin(pat, ago(0), 1, loaded_for=ago(0), self_harm="y")
    later(minutes=30)
    return shown_at


def test_a_review_sent_from_a_page_left_open_leaves_what_came_since_unreviewed(app, linked):
    # The therapist opens the page at noon; the patient reports thoughts of self-harm at
    # 12:20; the button on the noon page is pressed at 12:30. The review counts from noon:
    # the flag the page never showed stays under "needs attention" and "Since".
    doc, pat, pid = linked
    shown_at = self_harm_after_the_page(doc, pat, pid)
    assert doc.post(f"/caseload/{pid}/reviewed", data={"shown_at": shown_at}).status_code == 302
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "Needs attention" in card and "thoughts of self-harm reported" in card
    assert "thoughts of self-harm reported" in since(doc.get(f"/caseload/{pid}").text)
    # A moment that is no moment is refused and records nothing; one in the future counts
    # as now, never later.
    for bad in ("yesterday", "2026-12-03T12:00:00"):
        assert doc.post(f"/caseload/{pid}/reviewed", data={"shown_at": bad}).status_code == 400
    assert rows(app, "select reviewed_at from caseload_reviews") == [(NOW.isoformat(),)]
    future = (NOW + timedelta(days=3)).isoformat()
    assert doc.post(f"/caseload/{pid}/reviewed", data={"shown_at": future}).status_code == 302
    assert rows(app, "select reviewed_at from caseload_reviews") == [
        ((NOW + timedelta(minutes=30)).isoformat(),)
    ]


@pytest.mark.parametrize(
    "shown_at",
    ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00+00:00",
     "1989-12-31T23:59:59+00:00"],
)  # fmt: skip
def test_a_review_time_no_page_could_have_written_is_refused(app, linked, shown_at):
    # Before, one past what a UTC clock holds was a 500 (OverflowError), and one in year 1
    # was stored: every caseload page of a patient west of UTC was then a 500.
    doc, pat, pid = linked
    settings = {"timezone": "America/New_York", "window_days": "7"}
    assert pat.post("/settings", data=settings).status_code == 302
    assert doc.post(f"/caseload/{pid}/reviewed", data={"shown_at": shown_at}).status_code == 400
    assert rows(app, "select reviewed_at from caseload_reviews") == []
    assert doc.get(f"/caseload/{pid}").status_code == 200
    assert doc.get("/caseload").status_code == 200


def test_a_review_leaves_the_other_reasons_alone(app, linked):
    doc, _, pid = linked
    mark(doc, pid)
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "<li>No check-ins yet</li>" in card and "reviewed today" in card


@pytest.mark.parametrize(
    ("days", "text"),
    [
        (0, "reviewed today"),
        (1, "reviewed yesterday"),
        (2, "reviewed 2 days ago"),
        (9, "reviewed 9 days ago"),
    ],
)
def test_each_card_says_when_it_was_reviewed(linked, days, text):
    doc, _, pid = linked
    assert "not reviewed yet" in cards(doc.get("/caseload").text)["Robin"]
    mark(doc, pid)
    later(days=days)
    assert f'<span class="reviewed">{text}</span>' in cards(doc.get("/caseload").text)["Robin"]


def test_reviewed_days_are_the_therapists_own(app):
    app.config["IDLE_MINUTES"] = 0
    doc = therapist(app, timezone="Pacific/Kiritimati")  # UTC+14: NOW is 02:00 tomorrow there
    pat = person(app, "pat@example.com", display_name="Robin")
    link(pat, invite_code(doc))
    mark(doc, user_id(app, "pat@example.com"))
    later(hours=11)  # 13:00 there: the same day
    assert "reviewed today" in cards(doc.get("/caseload").text)["Robin"]
    later(hours=22)  # 00:00 the day after there
    assert "reviewed yesterday" in cards(doc.get("/caseload").text)["Robin"]


# Mark as reviewed: bad input


def reviews(app):
    return rows(app, "select therapist_id, patient_id, reviewed_at from caseload_reviews")


def test_repeated_and_stale_posts_are_harmless_and_the_latest_time_wins(app, linked):
    doc, _, pid = linked
    doc_id = user_id(app, "doc@example.com")
    later(hours=2)
    assert mark(doc, pid).status_code == 302
    assert mark(doc, pid).status_code == 302
    latest = (NOW + timedelta(hours=2)).isoformat(timespec="seconds")
    assert reviews(app) == [(doc_id, pid, latest)]
    later(hours=1)  # a post that left earlier arrives late: the time never moves back
    assert mark(doc, pid).status_code == 302
    assert reviews(app) == [(doc_id, pid, latest)]
    later(hours=3)
    assert mark(doc, pid).status_code == 302
    assert reviews(app) == [(doc_id, pid, (NOW + timedelta(hours=3)).isoformat())]


def test_review_posts_for_anyone_not_linked_are_404_and_record_nothing(app, linked):
    doc, pat, pid = linked
    other = therapist(app, "other@example.com")
    stranger = person(app, "sam@example.com", display_name="Sam")
    sam = user_id(app, "sam@example.com")
    doc_id = user_id(app, "doc@example.com")
    assert other.post(f"/caseload/{pid}/reviewed").status_code == 404  # another's patient
    assert doc.post(f"/caseload/{sam}/reviewed").status_code == 404  # not linked
    assert doc.post(f"/caseload/{sam + 100}/reviewed").status_code == 404  # nobody
    assert doc.post(f"/caseload/{doc_id}/reviewed").status_code == 404  # the therapist
    assert pat.post(f"/caseload/{pid}/reviewed").status_code == 404  # a patient account
    assert stranger.post(f"/caseload/{sam}/reviewed").status_code == 404
    assert doc.get(f"/caseload/{pid}/reviewed").status_code == 405
    assert reviews(app) == []


def test_review_needs_the_csrf_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    doc = register_with_csrf(app.test_client(), "doc@example.com", role="therapist")
    pat = register_with_csrf(app.test_client(), "pat@example.com")
    code = invite_code(doc)
    token = csrf_token(pat.get("/settings/therapist"))
    pat.post("/settings/therapist", data={"invite_code": code, "csrf_token": token})
    pid = user_id(app, "pat@example.com")
    for data in ({}, {"csrf_token": "forged"}):
        assert doc.post(f"/caseload/{pid}/reviewed", data=data).status_code == 400
    assert reviews(app) == []
    token = csrf_token(doc.get(f"/caseload/{pid}"))
    assert doc.post(f"/caseload/{pid}/reviewed", data={"csrf_token": token}).status_code == 302
    assert len(reviews(app)) == 1


# The history, newest first and paginated


@pytest.fixture
def long_history(app, linked):
    """Robin with 40 shared reflections and 3 flagged days in the last 90 days."""
    _, _, pid = linked
    for n in range(40):
        insert(app, "checkins", pid, day=ago(n), mood=5, reflection=f"WORDS-{n:02d}-")
    for n in (3, 12, 39):
        insert(app, "assessments", pid, kind="phq9", day=ago(n), answers="[]", total=3, item9=1)
    return linked


def history_days(page):
    return re.findall(r'<time datetime="([\d-]+)">', history(page).split("</ol>")[0])


def test_history_is_newest_first_a_page_at_a_time(app, long_history):
    doc, _, pid = long_history
    first = doc.get(f"/caseload/{pid}").text
    assert "3 flagged days" in history(first) and "40 shared reflections" in history(first)
    assert "Page 1 of 2" in first
    days = history_days(first)
    assert len(days) == 30 and days == sorted(days, reverse=True)
    # Days 0..27: 28 reflections and the flags of days 3 and 12 make the first 30.
    assert "WORDS-00-" in history(first) and "WORDS-27-" in history(first)
    assert "WORDS-28-" not in first
    # On a day with both, the flag comes first.
    assert history(first).index("PHQ-9 item 9 answered 1 of 3") < history(first).index("WORDS-03-")
    assert f'href="/caseload/{pid}?page=2&amp;days=90&amp;metric=mood#history-title"' in first
    second = doc.get(f"/caseload/{pid}?page=2").text
    assert "Page 2 of 2" in second and "WORDS-28-" in history(second)
    assert "WORDS-39-" in history(second) and "WORDS-27-" not in history(second)
    assert len(history_days(second)) == 13
    assert history_days(second)[0] <= days[-1]


@pytest.mark.parametrize("page", ["abc", "0", "-1", "", "1.5", "٢", "9" * 30])
def test_a_page_that_is_not_a_page_number_is_400(long_history, page):
    doc, _, pid = long_history
    assert doc.get(f"/caseload/{pid}?page={page}").status_code == 400


def test_a_page_past_the_last_shows_the_last(long_history):
    doc, _, pid = long_history
    response = doc.get(f"/caseload/{pid}?page=7")
    assert response.status_code == 200
    assert "Page 2 of 2" in response.text and "WORDS-39-" in history(response.text)


def test_an_empty_history_says_so(linked):
    doc, _, pid = linked
    page = history(doc.get(f"/caseload/{pid}").text)
    assert "No flagged days in this range." in page
    assert "No shared reflections in this range." in page
    assert "Page 1 of" not in page


def test_the_history_counts_read_as_sentences(long_history):
    """The counts are two sentences, never "3 flagged days 40 shared reflections"."""
    doc, _, pid = long_history
    words = " ".join(re.sub(r"<[^>]+>", " ", history(doc.get(f"/caseload/{pid}").text)).split())
    assert "3 flagged days. 40 shared reflections." in words


# The lift, between "Since" and the charts


def test_the_lift_card_and_chart_come_after_since_and_before_the_charts(linked):
    doc, pat, pid = linked
    for days_ago, mood in ((10, 4), (9, 4), (8, 4)):
        checkin(pat, ago(days_ago), mood)
    session(pat, ago(7))
    for days_ago, mood in ((6, 7), (5, 7), (4, 3)):
        checkin(pat, ago(days_ago), mood)
    page = doc.get(f"/caseload/{pid}").text
    since_at, lift_at = page.index('id="since-title"'), page.index('id="lift-title"')
    assert since_at < lift_at < page.index('id="mood-timeline"') < page.index('id="history-title"')
    chart = f"/caseload/{pid}/charts/lift.svg?days=90"
    assert f'src="{chart}"' in page
    response = doc.get(chart)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-store"


# The PDF


def test_the_pdf_is_the_patients_report_without_private_reflections(app, linked):
    doc, pat, pid = linked
    checkin(pat, ago(2), 6, reflection="SHAREDPDFWORDS")
    checkin(pat, ago(1), 6, reflection="PRIVATEPDFWORDS", private="y")
    session(pat, ago(3), reflection="PRIVATESESSIONPDF", private="y", dose_mg="35")
    page = doc.get(f"/caseload/{pid}").text
    assert f'href="/caseload/{pid}/report.pdf"' in page
    response = doc.get(f"/caseload/{pid}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    start = TODAY - timedelta(days=89)
    assert f"afterglow-report-{start}-{TODAY}.pdf" in response.headers["Content-Disposition"]
    text = re.sub(r"\s+", "", pdf_text(response.data))
    assert "SHAREDPDFWORDS" in text and "Robin" in text
    assert "PRIVATE" not in text


def test_the_pdf_is_404_to_anyone_else(app, linked):
    _, pat, pid = linked
    other = therapist(app, "other@example.com")
    assert other.get(f"/caseload/{pid}/report.pdf").status_code == 404
    assert pat.get(f"/caseload/{pid}/report.pdf").status_code == 404
    assert app.test_client().get(f"/caseload/{pid}/report.pdf").status_code == 302  # log in


# Nobody vanishes without a word


def notices(app):
    return rows(
        app,
        "select therapist_id, kind, at, patient_id, name, unreviewed_flags from caseload_notices",
    )


def notice_list(page):
    if 'id="notices-title"' not in page:
        return []
    part = page.split('id="notices-title"')[1].split("</ul>")[0]
    return re.findall(r"<li>([^<]+)</li>", part)


def test_an_unlink_leaves_a_notice_and_forgets_the_reviews(app, linked):
    doc, pat, pid = linked
    checkin(pat, ago(0), 6)
    mark(doc, pid)
    later(hours=1)
    assert pat.post("/settings/therapist/unlink").status_code == 302
    page = doc.get("/caseload").text
    assert notice_list(page) == [f"Robin unlinked on {TODAY:%-d %b}."]
    assert cards(page) == {}
    assert reviews(app) == []
    assert doc.get(f"/caseload/{pid}").status_code == 404


@pytest.mark.parametrize("reviewed", [False, True])
def test_an_unlink_with_unreviewed_flags_says_so(app, linked, reviewed):
    doc, pat, pid = linked
    checkin(pat, ago(3), 1)
    if reviewed:
        later(hours=1)
        mark(doc, pid)
    pat.post("/settings/therapist/unlink")
    text = f"Robin unlinked on {TODAY:%-d %b}"
    expected = f"{text}." if reviewed else f"{text} and had flags you had not reviewed."
    assert notice_list(doc.get("/caseload").text) == [expected]


def test_a_review_page_shown_before_an_unlink_reviews_nothing_of_the_new_link(app, linked):
    # The therapist opens the page; the patient unlinks, reports thoughts of self-harm and
    # links again; the old page's button is pressed. That page saw nothing of the new link.
    doc, pat, pid = linked
    page = doc.get(f"/caseload/{pid}").text
    shown_at = re.search(r'name="shown_at" type="hidden" value="([^"]+)"', page).group(1)
    later(minutes=10)
    pat.post("/settings/therapist/unlink")
    checkin(pat, ago(0), 1, self_harm="y")
    assert link(pat, invite_code(doc)).status_code == 302
    later(minutes=20)
    response = doc.post(f"/caseload/{pid}/reviewed", data={"shown_at": shown_at})
    assert response.status_code == 302
    assert rows(app, "select reviewed_at from caseload_reviews") == []
    page = doc.get(response.location).text
    assert "Nothing was marked: that page was shown before Robin linked with you again" in page
    card = cards(doc.get("/caseload").text)["Robin"]
    assert "Needs attention" in card and "not reviewed yet" in card
    # The page shown now reviews it.
    shown_at = re.search(r'name="shown_at" type="hidden" value="([^"]+)"', page).group(1)
    later(minutes=21)
    assert doc.post(f"/caseload/{pid}/reviewed", data={"shown_at": shown_at}).status_code == 302
    assert "Needs attention" not in cards(doc.get("/caseload").text)["Robin"]


def test_a_flag_older_than_14_days_is_not_unreviewed_at_unlink(app, linked):
    doc, pat, pid = linked
    checkin(pat, ago(14), 1)
    pat.post("/settings/therapist/unlink")
    assert notice_list(doc.get("/caseload").text) == [f"Robin unlinked on {TODAY:%-d %b}."]


def test_linking_elsewhere_leaves_the_first_therapist_a_notice(app, linked):
    doc, pat, _ = linked
    two = therapist(app, "two@example.com")
    assert link(pat, invite_code(two)).status_code == 302
    assert notice_list(doc.get("/caseload").text) == [f"Robin unlinked on {TODAY:%-d %b}."]
    assert notice_list(two.get("/caseload").text) == []
    assert link(pat, invite_code(two)).status_code == 302  # the same therapist: no notice
    assert len(notices(app)) == 1


def test_a_patient_who_links_again_leaves_no_notice_that_they_left(app, linked):
    # The notice said Robin left with flags unreviewed while the caseload listed Robin
    # under "needs attention" again; a second unlink then showed two such lines.
    doc, pat, _ = linked
    checkin(pat, ago(1), 1)
    pat.post("/settings/therapist/unlink")
    assert len(notice_list(doc.get("/caseload").text)) == 1
    assert link(pat, invite_code(doc)).status_code == 302
    assert notice_list(doc.get("/caseload").text) == []
    assert "Needs attention" in cards(doc.get("/caseload").text)["Robin"]
    later(minutes=5)
    pat.post("/settings/therapist/unlink")
    expected = f"Robin unlinked on {TODAY:%-d %b} and had flags you had not reviewed."
    assert notice_list(doc.get("/caseload").text) == [expected]


def test_days_of_another_year_say_their_year_on_the_caseload(app):
    """On 3 January, "after linking on 27 Dec", "Flagged 30 Dec" and "from 14 on 28 Dec" read
    as days still to come this year: a day of another year is written with its year, as
    the PHQ-9 card's is."""
    app.config["IDLE_MINUTES"] = 0
    new_year = datetime.combine(date(TODAY.year + 1, 1, 3), time(12), UTC)
    clock.set(new_year - timedelta(days=7))  # 27 Dec
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Robin")
    sam = person(app, "sam@example.com", display_name="Sam")
    for one in (pat, sam):
        assert link(one, invite_code(doc)).status_code == 302
    clock.set(new_year - timedelta(days=3))  # 31 Dec
    assert sam.post("/settings/therapist/unlink").status_code == 302
    clock.set(new_year)
    checkin(pat, f"{TODAY.year}-12-30", 1)
    take(pat, "phq9", f"{TODAY.year}-12-28", [2, 2, 2, 2, 2, 2, 1, 1, 0])  # 14
    take(pat, "phq9", f"{TODAY.year + 1}-01-02", [1, 1, 1, 1, 1, 1, 1, 1, 0])  # 8
    year = TODAY.year
    caseload = doc.get("/caseload").text
    assert f"Flagged 30 Dec {year}: mood 1 of 10" in cards(caseload)["Robin"]
    assert notice_list(caseload) == [f"Sam unlinked on 31 Dec {year}."]
    part = since(doc.get(f"/caseload/{user_id(app, 'pat@example.com')}").text)
    assert f"after linking on 27 Dec {year} at 12:00" in part
    assert f"PHQ-9 8 (mild), down 6 from 14 on 28 Dec {year}</span>" in part
    assert "from 14 on 28 Dec</span>" not in part


def test_a_notice_is_dated_in_the_therapists_time_zone(app):
    doc = therapist(app, timezone="Pacific/Kiritimati")  # NOW is 02:00 tomorrow there
    pat = person(app, "pat@example.com", display_name="Robin")
    link(pat, invite_code(doc))
    pat.post("/settings/therapist/unlink")
    tomorrow = TODAY + timedelta(days=1)
    assert notice_list(doc.get("/caseload").text) == [f"Robin unlinked on {tomorrow:%-d %b}."]


def test_notices_show_for_30_days(app, linked):
    doc, pat, _ = linked
    pat.post("/settings/therapist/unlink")
    later(days=29, hours=23, minutes=59)
    assert len(notice_list(doc.get("/caseload").text)) == 1
    later(days=30, seconds=1)
    AuthActions(doc).login(email="doc@example.com")  # the sign-in itself lasts 30 days
    assert notice_list(doc.get("/caseload").text) == []
    # The next notice prunes the ones no longer shown.
    sam = person(app, "sam@example.com", display_name="Sam")
    link(sam, invite_code(doc))
    sam.post("/settings/therapist/unlink")
    assert [n[4] for n in notices(app)] == ["Sam"]


def delete_account(client):
    response = client.post("/settings/delete", data={"password": PASSWORD})
    assert response.status_code == 200
    return response


def test_a_deleted_account_leaves_a_notice_with_nothing_of_theirs(app, linked):
    doc, pat, pid = linked
    checkin(pat, ago(1), 1, reflection="GONE-WORDS")
    mark(doc, pid)
    doc.get(f"/caseload/{pid}")  # read the flash
    later(hours=1)
    delete_account(pat)
    page = doc.get("/caseload").text
    assert notice_list(page) == [f"A linked patient deleted their account on {TODAY:%-d %b}."]
    assert "Robin" not in page and "pat@example.com" not in page
    doc_id = user_id(app, "doc@example.com")
    at = (NOW + timedelta(hours=1)).isoformat()
    assert notices(app) == [(doc_id, "deleted", at, None, None, 0)]
    assert reviews(app) == []


def test_a_deleted_account_takes_its_unlink_notices_with_it(app, linked):
    doc, pat, _ = linked
    two = therapist(app, "two@example.com")
    link(pat, invite_code(two))  # doc is told "Robin unlinked"
    assert len(notice_list(doc.get("/caseload").text)) == 1
    delete_account(pat)
    assert notice_list(doc.get("/caseload").text) == []
    assert notice_list(two.get("/caseload").text) == [
        f"A linked patient deleted their account on {TODAY:%-d %b}."
    ]
    assert all(name is None for *_, name, _ in notices(app))


def test_an_unlinked_patient_who_deletes_leaves_no_second_notice(app, linked):
    doc, pat, _ = linked
    pat.post("/settings/therapist/unlink")
    delete_account(pat)
    assert notice_list(doc.get("/caseload").text) == []  # their name went with them
    assert notices(app) == []


def test_a_deleted_patients_name_leaves_the_database_files(tmp_path):
    """The name an unlink notice kept is gone from the files' bytes, as test_erasure checks
    for the person's own words."""
    app = make_app(tmp_path, IDLE_MINUTES=0)
    one, two = therapist(app, "one@example.com"), therapist(app, "two@example.com")
    pat = person(app, "pat@example.com", display_name="Qzv9-unlinked-name")
    link(pat, invite_code(one))
    mark(one, user_id(app, "pat@example.com"))
    link(pat, invite_code(two))  # one is told, by name
    assert "Qzv9-unlinked-name unlinked on" in one.get("/caseload").text
    assert found(app.config["DATABASE"], "Qzv9-unlinked-name")
    delete_account(pat)
    assert found(app.config["DATABASE"], "Qzv9-unlinked-name") == []
    assert notice_list(two.get("/caseload").text) == [
        f"A linked patient deleted their account on {TODAY:%-d %b}."
    ]


def test_a_therapist_who_leaves_takes_their_reviews_and_notices(app, linked):
    doc, pat, pid = linked
    sam = person(app, "sam@example.com", display_name="Sam")
    link(sam, invite_code(doc))
    mark(doc, pid)
    sam.post("/settings/therapist/unlink")
    assert len(reviews(app)) == 1 and len(notices(app)) == 1
    delete_account(doc)
    assert reviews(app) == [] and notices(app) == []


def test_a_therapist_who_deletes_their_account_leaves_their_patients_a_word(app, linked):
    """A therapist's account deleted ended their patients' links without a word: "You are not
    linked to a therapist" was all a patient who believed they were followed could find."""
    doc, pat, pid = linked
    said = "the therapist you were linked to then deleted their account"
    assert said not in html.unescape(pat.get("/settings/therapist").text)
    assert "your patients are told" in html.unescape(doc.get("/settings/delete").text)
    later(days=2)
    delete_account(doc)
    page = html.unescape(pat.get("/settings/therapist").text)
    when = (TODAY + timedelta(days=2)).strftime("%-d %b")
    assert f"On {when}, {said}, which ended that link" in page
    assert "Dr Rivera" not in page and "doc@example.com" not in page  # nothing of theirs
    activity = html.unescape(pat.get("/settings/activity").text)
    assert "Your therapist deleted their account" in activity
    # A patient of no one then, or of another therapist since, is not told.
    sam = person(app, "sam@example.com")
    assert said not in html.unescape(sam.get("/settings/therapist").text)
    link(pat, invite_code(therapist(app, "two@example.com")))
    assert said not in html.unescape(pat.get("/settings/therapist").text)
    # After NOTICE_DAYS, as the caseload's notices, it is no longer said.
    pat.post("/settings/therapist/unlink")
    assert said in html.unescape(pat.get("/settings/therapist").text)
    later(days=2 + 31)
    assert said not in html.unescape(pat.get("/settings/therapist").text)


def test_a_deleted_patients_id_is_404_on_every_caseload_route(app, linked):
    doc, pat, pid = linked
    delete_account(pat)
    paths = [
        f"/caseload/{pid}",
        f"/caseload/{pid}/charts/mood-timeline.svg",
        f"/caseload/{pid}/charts/window-overlay.png",
        f"/caseload/{pid}/report.pdf",
    ]
    for path in paths:
        assert doc.get(path).status_code == 404, path
    assert doc.post(f"/caseload/{pid}/reviewed").status_code == 404
    assert reviews(app) == []


# The invite code folds away


def test_the_invite_code_folds_away_once_a_patient_is_linked(app):
    doc = therapist(app)
    page = doc.get("/caseload").text
    assert '<section aria-labelledby="invite-title">' in page and "<details" not in page
    code = invite_code(doc)
    pat = person(app, "pat@example.com", display_name="Robin")
    link(pat, code)
    page = doc.get("/caseload").text
    folded = re.search(
        r'<details class="more invite" id="invite">\s*<summary>([^<]+)</summary>', page
    )
    assert folded and folded.group(1) == "Your invite code, for a new patient"
    assert '<details class="more invite" id="invite" open' not in page
    assert invite_code(doc) == code  # still there, a tap away
    pat.post("/settings/therapist/unlink")
    assert "<details" not in doc.get("/caseload").text  # open again with no one linked


def test_the_patient_page_is_read_only_like_the_share_page(app, linked):
    # It showed the patient's own links: "add one" on empty calendar days, "change" for the
    # window (to the therapist's own settings), "Take one" and "Log one" (each a redirect).
    doc, pat, pid = linked
    checkin(pat, day(-3), 6)
    whole = doc.get(f"/caseload/{pid}?days=30").text
    page = whole[whole.index("<main") : whole.index("</main>")]  # not the site's own menu
    journal_links = re.findall(
        r'href="(/(?:checkin|entries|sessions|assessments|settings)[^"]*)"', page
    )
    assert journal_links == []
    assert "add one" not in page and "(change)" not in page
    assert "This view uses 7 days." in page
    assert "Self-observation from the patient's own check-ins" in page


def test_a_flag_still_needs_attention_after_the_patient_moves_west(app, linked):
    # NOW is 12:00 UTC: 02:00 tomorrow in Kiritimati, 04:00 today in Los Angeles (05:00 in summer).
    # A self-harm report on the Kiritimati date must not vanish from the card when the patient sets
    # Los Angeles, where that date is still to come ("No check-ins yet", no flag, for up to a day).
    doc, pat, pid = linked
    moved = {"window_days": "7", "clinic_phone": ""}
    assert pat.post("/settings", data={**moved, "timezone": DAY_AHEAD}).status_code == 302
    ahead_today = TODAY + timedelta(days=1)
    checkin(pat, ahead_today.isoformat(), 1, self_harm="y")
    flagged = f"Flagged {ahead_today:%-d %b}"
    assert flagged in cards(doc.get("/caseload").text)["Robin"]
    west = {**moved, "timezone": "America/Los_Angeles"}
    assert pat.post("/settings", data=west).status_code == 302
    card = cards(doc.get("/caseload").text)["Robin"]
    assert flagged in card and "Needs attention" in card
    assert "No check-ins yet" not in card


def test_every_view_of_a_patient_reaches_entries_saved_before_a_move_west(app, linked):
    """A check-in and a session saved on Kiritimati's tomorrow, then the zone set to Los Angeles:
    the card, "Since your last review" and the PDF showed the flag and the words, but the
    history of the patient page and the share page ended at the new "today" and said "No
    flagged days in this range" (only the report and the lift chart reached such a day)."""
    from factories import share_link

    doc, pat, pid = linked
    moved = {"window_days": "7", "clinic_phone": ""}
    assert pat.post("/settings", data={**moved, "timezone": DAY_AHEAD}).status_code == 302
    tomorrow = day(1)
    checkin(pat, day(-3), 6, reflection="OLD-WORDS")
    checkin(pat, tomorrow, 1, self_harm="y", reflection="MOVED-CHECKIN-WORDS")
    session(pat, tomorrow, started_at=f"{tomorrow}T00:30", reflection="MOVED-SESSION-WORDS",
            mood_after="1")  # fmt: skip
    assert (
        pat.post("/settings", data={**moved, "timezone": "America/Los_Angeles"}).status_code == 302
    )
    _, token = share_link(pat)
    pages = {
        "patient page": history(doc.get(f"/caseload/{pid}").text),
        "share page": app.test_client().get(f"/s/{token}").text,
    }
    for where, page in pages.items():
        for words in ("OLD-WORDS", "MOVED-CHECKIN-WORDS", "MOVED-SESSION-WORDS"):
            assert words in page, (where, words)
        assert "No flagged days in this range" not in page, where
        assert "thoughts of self-harm reported" in page, where


def two_left(app, doc, first, second, name=""):
    """Two patients (`first` and `second`, named `name`) linked to `doc`, the first with a
    self-harm flag today that `doc` has not reviewed; both unlink. Their clients."""
    clients = [person(app, email, display_name=name) for email in (first, second)]
    for patient in clients:
        assert link(patient, invite_code(doc)).status_code == 302
    checkin(clients[0], ago(0), 1, self_harm="y")
    for patient in clients:
        patient.post("/settings/therapist/unlink")
    return clients


def test_a_nameless_patient_who_left_is_named_by_the_email_their_card_showed(app, linked):
    # Two patients without a name, "Patient" on their cards with their emails beside: the
    # notices read "Patient unlinked ... and had flags you had not reviewed" and "Patient
    # unlinked", and the therapist could not tell who had reported thoughts of self-harm.
    doc, _, _ = linked
    two_left(app, doc, "kim@example.com", "lee@example.com")
    assert notice_list(doc.get("/caseload").text) == [
        f"lee@example.com unlinked on {TODAY:%-d %b}.",
        f"kim@example.com unlinked on {TODAY:%-d %b} and had flags you had not reviewed.",
    ]


def test_two_patients_of_one_name_who_left_are_told_apart_by_their_emails(app, linked):
    # Two "Alex"es, told apart on their cards by their emails: the notices read "Alex
    # unlinked ... and had flags you had not reviewed" and "Alex unlinked", and the therapist
    # could not tell which one had reported thoughts of self-harm.
    doc, _, _ = linked
    _, two = two_left(app, doc, "alex.one@example.com", "alex.two@example.com", "Alex")
    assert notice_list(doc.get("/caseload").text) == [
        f"Alex (alex.two@example.com) unlinked on {TODAY:%-d %b}.",
        f"Alex (alex.one@example.com) unlinked on {TODAY:%-d %b} and had flags you had not "
        "reviewed.",
    ]
    # One Alex back on the caseload: the other's notice still says which Alex left.
    assert link(two, invite_code(doc)).status_code == 302
    assert notice_list(doc.get("/caseload").text) == [
        f"Alex (alex.one@example.com) unlinked on {TODAY:%-d %b} and had flags you had not "
        "reviewed."
    ]


def test_the_review_page_says_whose_days_its_dates_are(app):
    # A Los Angeles therapist read "Mon 7 Dec" (a Sydney patient's day, tomorrow in Los
    # Angeles) under "after your review on 6 Dec at 15:29", nothing naming either zone.
    app.config["IDLE_MINUTES"] = 0
    doc = therapist(app, timezone="America/Los_Angeles")
    sam = person(app, "sam@example.com", display_name="Sam", timezone="Australia/Sydney")
    assert link(sam, invite_code(doc)).status_code == 302
    page = doc.get(f"/caseload/{user_id(app, 'sam@example.com')}").text.replace("&#39;", "'")
    assert "Days and dates of entries are Sam's own, in Australia/Sydney" in page
    same = person(app, "la@example.com", display_name="Lou", timezone="America/Los_Angeles")
    assert link(same, invite_code(doc)).status_code == 302
    assert (
        "Days and dates of entries"
        not in doc.get(f"/caseload/{user_id(app, 'la@example.com')}").text
    )


def test_mark_as_reviewed_after_the_sign_in_ended_leads_back_to_the_patient(app, linked):
    # The page stood open past the idle time-out: the button leads to the log-in page, and
    # the log-in back to the patient's page, where the review is one tap away; it led to the
    # button's own address, which only a form posts to ("Not allowed", 405).
    doc, _pat, pid = linked
    app.config["IDLE_MINUTES"] = 30
    later(minutes=31)
    response = mark(doc, pid)
    assert response.location == f"/auth/login?next=/caseload/{pid}/reviewed"
    response = AuthActions(doc).login(email="doc@example.com", next_=f"/caseload/{pid}/reviewed")
    assert response.location == f"/caseload/{pid}"
    assert doc.get(response.location).status_code == 200


def test_mark_as_reviewed_after_the_sign_in_ended_says_it_was_not_done(app, linked):
    # Back on the patient's page after logging in, the button looked pressed and nothing
    # said the review had not been recorded (the log-in page had said "Log in to carry on").
    doc, _pat, pid = linked
    app.config["IDLE_MINUTES"] = 30
    later(minutes=31)
    mark(doc, pid)
    response = AuthActions(doc).login(email="doc@example.com", next_=f"/caseload/{pid}/reviewed")
    page = doc.get(response.location).text
    assert "What you sent just before logging in was not done" in page
    assert sql(app, "select count(*) from caseload_reviews") == [(0,)]
    # The log-in page opened again by Back, signed in already: it sent nothing, says nothing.
    again = doc.get(f"/auth/login?next=/caseload/{pid}/reviewed")
    assert again.location == f"/caseload/{pid}"
    assert "was not done" not in doc.get(again.location).text
    # A log-out sent after the time-out is no such loss: nothing to say.
    doc.post("/auth/logout")
    response = AuthActions(doc).login(email="doc@example.com", next_="/auth/logout")
    assert "was not done" not in doc.get(response.location).text


def test_a_plain_check_in_after_linking_is_something_new(linked):
    # A mood alone, no reflection, no flag: it was "Nothing new since linking".
    doc, pat, pid = linked
    later(minutes=5)
    checkin(pat, ago(0), 5, anxiety="3", sleep_hours="7.5", tags="secret-tag")
    part = since(doc.get(f"/caseload/{pid}").text)
    assert "Nothing new" not in part
    assert "Check-ins (1)" in part
    assert f'<time datetime="{ago(0)}">' in part
    assert "<span>mood 5 of 10; anxiety 3 of 10; sleep 7.5 h</span>" in part
    assert "secret-tag" not in part
    later(minutes=10)
    mark(doc, pid)
    part = since(doc.get(f"/caseload/{pid}").text)
    assert "Nothing new since your review" in part and "Check-ins" not in part
    later(hours=1)
    checkin(pat, ago(2), 6)  # saved after the review, back-dated
    part = since(doc.get(f"/caseload/{pid}").text)
    assert "Check-ins (1)" in part and "<span>mood 6 of 10</span>" in part


def test_marking_a_silent_patient_reviewed_says_silence_keeps_them_in_needs_attention(linked):
    # Only flags leave with a review: the button seemed to fail for a patient kept there by
    # silence, and the hint spoke of flags alone.
    doc, pat, pid = linked
    checkin(pat, ago(9), 1)  # flagged, and nothing since: 9 days silent
    later(minutes=5)
    page = html.unescape(doc.get(mark(doc, pid).location).text)
    assert (
        "Marked Robin as reviewed. New entries will show here from now on. Robin stays under "
        '"Needs attention" until a check-in arrives (no check-in for 9 days): marking as '
        "reviewed clears flags only."
    ) in page
    assert "No check-in for 5 days or more" in page and "until a check-in arrives" in page
    assert "Needs attention (1)" in doc.get("/caseload").text
    checkin(pat, ago(0), 6)  # the check-in that ends it
    later(minutes=10)
    page = html.unescape(doc.get(mark(doc, pid).location).text)
    assert "Marked Robin as reviewed." in page and "stays under" not in page
    assert "Needs attention" not in doc.get("/caseload").text.split('id="others-title"')[0]


def test_marking_reviewed_from_a_page_left_open_names_the_flag_that_came_meanwhile(linked):
    # The page is shown at noon; thoughts of self-harm are reported at 12:20; Mark as reviewed
    # is tapped at 12:30. The review covers the noon page only, and the flag stays under
    # "Needs attention", yet the answer said only "Marked Robin as reviewed": the caseload
    # then seemed to ignore the review.
    doc, pat, pid = linked
    shown_at = self_harm_after_the_page(doc, pat, pid)
    answer = doc.post(f"/caseload/{pid}/reviewed", data={"shown_at": shown_at})
    page = html.unescape(doc.get(answer.location).text)
    assert (
        "Marked Robin as reviewed. New entries will show here from now on. Robin stays under "
        '"Needs attention" for a flag saved after that page was shown, which this review does '
        f"not cover (flagged {TODAY.day} {TODAY:%b}: thoughts of self-harm reported; mood 1 of "
        '10): it is under "Since your last review".'
    ) in page
    # Reviewed from the page as it is now, it goes, and the answer says nothing more.
    later(minutes=31)
    page = html.unescape(doc.get(mark(doc, pid).location).text)
    assert "Marked Robin as reviewed." in page and "stays under" not in page


def test_marking_a_patient_below_baseline_reviewed_says_the_mean_keeps_them_there(linked):
    # Not silent, no flag: a 7-day mean below the baseline keeps the patient under "Needs
    # attention", and the flash names what ends it (not a check-in: one came today).
    doc, pat, pid = linked
    for days in range(14, 10, -1):
        checkin(pat, ago(days), 7)  # the baseline: 7.0
    session(pat, ago(10))
    for days in range(6, -1, -1):
        checkin(pat, ago(days), 4)  # the last 7 days: 4.0
    later(minutes=5)
    page = html.unescape(doc.get(mark(doc, pid).location).text)
    assert (
        'Robin stays under "Needs attention" until the 7-day mean is back up to baseline '
        "(7-day mean 4.0, below baseline 7.0): marking as reviewed clears flags only."
    ) in page


# Undo of "Mark as reviewed"


def undo_made(page):
    """The review time the page's Undo form undoes, or None when the page offers no Undo."""
    found = re.search(r'name="made" type="hidden" value="([^"]*)"', page)
    return found and found.group(1)


def attention(doc):
    """Robin's card's reasons for "Needs attention", and whether it is there."""
    page = doc.get("/caseload").text
    card = cards(page)["Robin"]
    needs = "Robin" in cards(page.split('id="others-title"')[0])
    return needs, re.findall(r"<li>([^<]*)</li>", card)


def undo(doc, pid, made):
    return doc.post(f"/caseload/{pid}/reviewed/undo", data={"made": made})


def audit_details(app, pid):
    """What the audit log holds of the patient's caseload but page views, oldest first."""
    found = rows(app, "select detail from audit where subject_id = ? order by id", pid)
    return [detail for (detail,) in found if detail != "caseload.patient"]


def test_undo_puts_the_review_back_and_the_flags_under_needs_attention(app, linked):
    # A stray tap on "Mark as reviewed" cleared thoughts of self-harm from "Needs attention"
    # for good: nothing put the review back.
    doc, pat, pid = linked
    checkin(pat, ago(1), 2, self_harm="y")
    before = attention(doc)
    assert before[0] and "thoughts of self-harm reported" in before[1][0]
    later(minutes=5)
    page = doc.get(mark(doc, pid).location).text
    made = undo_made(page)
    assert made == (NOW + timedelta(minutes=5)).isoformat()
    assert "Marked Robin as reviewed." in page and ">Undo</button>" in page
    assert attention(doc) == (False, [])

    response = undo(doc, pid, made)
    assert response.status_code == 302 and response.location == f"/caseload/{pid}"
    page = html.unescape(doc.get(response.location).text)
    assert "Undone: Robin is not reviewed yet, as before that review." in page
    assert undo_made(page) is None  # nothing more to undo
    assert reviews(app) == []
    assert attention(doc) == before  # under "Needs attention" with the same reasons
    assert "thoughts of self-harm reported" in since(doc.get(f"/caseload/{pid}").text)
    # Recorded in the audit log as its own action, and told to the patient in those words.
    assert audit_details(app, pid)[-2:] == ["caseload.reviewed", "caseload.undo_review"]
    assert "took back marking your progress as reviewed" in pat.get("/settings/activity").text

    # Undo sent twice (a double tap): the second changes nothing and says it is undone.
    page = html.unescape(doc.get(undo(doc, pid, made).location).text)
    assert "Already undone: Robin is not reviewed yet, as before that review." in page
    assert reviews(app) == [] and audit_details(app, pid).count("caseload.undo_review") == 1


def test_undo_puts_back_the_review_before_it_and_only_the_latest(app, linked):
    doc, pat, pid = linked
    doc_id = user_id(app, "doc@example.com")
    mark(doc, pid)
    first = NOW.isoformat()
    later(hours=1)
    checkin(pat, ago(0), 1)
    before = attention(doc)
    assert before[0] and "mood 1 of 10" in before[1][0]
    later(hours=2)
    made = undo_made(doc.get(mark(doc, pid).location).text)
    page = html.unescape(doc.get(undo(doc, pid, made).location).text)
    assert f"Undone: Robin is last reviewed {NOW:%a %-d %b %Y}, 12:00, as before" in page
    assert reviews(app) == [(doc_id, pid, first)]
    assert attention(doc) == before
    # The review before it is no review just made: nothing offers to undo it.
    assert undo_made(doc.get(f"/caseload/{pid}").text) is None
    assert "can no longer be undone" in doc.get(undo(doc, pid, first).location).text
    assert reviews(app) == [(doc_id, pid, first)]


def test_undo_after_another_review_since_changes_nothing(app, linked):
    doc, _, pid = linked
    doc_id = user_id(app, "doc@example.com")
    phone = app.test_client()  # the same therapist on a second device
    AuthActions(phone).login(email="doc@example.com")
    made = undo_made(doc.get(mark(doc, pid).location).text)
    later(minutes=2)
    assert mark(phone, pid).status_code == 302
    since_then = (NOW + timedelta(minutes=2)).isoformat()
    page = html.unescape(doc.get(undo(doc, pid, made).location).text)
    assert "That review of Robin can no longer be undone" in page
    assert "Nothing was changed." in page
    assert reviews(app) == [(doc_id, pid, since_then)]
    assert "caseload.undo_review" not in audit_details(app, pid)
    # Nor on this device after its own later review, nor once the time has passed.
    later(minutes=4)
    latest = undo_made(doc.get(mark(doc, pid).location).text)
    assert "can no longer be undone" in doc.get(undo(doc, pid, made).location).text
    later(minutes=4 + 16)
    assert undo_made(doc.get(f"/caseload/{pid}").text) is None
    assert "can no longer be undone" in doc.get(undo(doc, pid, latest).location).text
    assert reviews(app) == [(doc_id, pid, latest)]


def test_undo_after_the_patient_unlinked_and_linked_again_says_they_linked_again(app, linked):
    # The review went with the unlink; under the new link Robin is not reviewed yet, which
    # Undo took for its own work: "Already undone", of an Undo never sent.
    doc, pat, pid = linked
    later(minutes=1)
    made = undo_made(doc.get(mark(doc, pid).location).text)
    later(minutes=2)
    pat.post("/settings/therapist/unlink")
    later(minutes=3)
    assert link(pat, invite_code(doc)).status_code == 302
    page = html.unescape(doc.get(undo(doc, pid, made).location).text)
    assert "Already undone" not in page
    assert "That review of Robin can no longer be undone: Robin linked to you again" in page
    assert "Nothing was changed." in page
    assert reviews(app) == []
    assert "caseload.undo_review" not in audit_details(app, pid)


def test_a_double_tap_on_mark_as_reviewed_is_undone_to_what_the_page_showed(app, linked):
    # Both posts carry the page's time: the second recorded nothing new, and its answer is
    # the one the phone shows. Its Undo puts back the page's "not reviewed yet".
    doc, pat, pid = linked
    checkin(pat, ago(0), 1)
    page = doc.get(f"/caseload/{pid}").text
    sent = {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)
        for name in ("shown_at", "page_review")
    }
    assert sent["page_review"] == ""
    later(seconds=3)
    doc.post(f"/caseload/{pid}/reviewed", data=sent)
    made = undo_made(doc.get(doc.post(f"/caseload/{pid}/reviewed", data=sent).location).text)
    assert made == NOW.isoformat()
    assert "Undone: Robin is not reviewed yet" in html.unescape(
        doc.get(undo(doc, pid, made).location).text
    )
    assert reviews(app) == []
    assert "mood 1 of 10" in cards(doc.get("/caseload").text)["Robin"]


def test_a_post_sent_twice_keeps_the_undo_of_the_first(app, linked):
    # The second of two posts in one second (its page's review not sent, as by a client
    # other than the page) recorded nothing new; its Undo deleted the review of 12:00 that
    # the first had replaced, instead of putting it back.
    doc, _, pid = linked
    doc_id = user_id(app, "doc@example.com")
    mark(doc, pid)
    later(hours=2)
    mark(doc, pid)
    made = undo_made(doc.get(mark(doc, pid).location).text)
    assert made == (NOW + timedelta(hours=2)).isoformat()
    undo(doc, pid, made)
    assert reviews(app) == [(doc_id, pid, NOW.isoformat())]


def test_undo_for_anyone_not_linked_is_404_and_changes_nothing(app, linked):
    doc, pat, pid = linked
    doc_id = user_id(app, "doc@example.com")
    made = undo_made(doc.get(mark(doc, pid).location).text)
    other = therapist(app, "other@example.com")
    person(app, "sam@example.com", display_name="Sam")
    sam = user_id(app, "sam@example.com")
    assert undo(other, pid, made).status_code == 404  # another therapist's patient
    assert undo(doc, sam, made).status_code == 404  # not linked
    assert undo(doc, sam + 100, made).status_code == 404  # nobody
    assert undo(pat, pid, made).status_code == 404  # a patient account
    assert doc.get(f"/caseload/{pid}/reviewed/undo").status_code == 405
    assert reviews(app) == [(doc_id, pid, made)]


def test_undo_needs_the_csrf_token(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    doc = register_with_csrf(app.test_client(), "doc@example.com", role="therapist")
    pat = register_with_csrf(app.test_client(), "pat@example.com")
    token = csrf_token(pat.get("/settings/therapist"))
    pat.post("/settings/therapist", data={"invite_code": invite_code(doc), "csrf_token": token})
    pid = user_id(app, "pat@example.com")
    token = csrf_token(doc.get(f"/caseload/{pid}"))
    doc.post(f"/caseload/{pid}/reviewed", data={"csrf_token": token})
    made = undo_made(doc.get(f"/caseload/{pid}").text)
    for data in ({"made": made}, {"made": made, "csrf_token": "forged"}):
        assert doc.post(f"/caseload/{pid}/reviewed/undo", data=data).status_code == 400
    assert len(reviews(app)) == 1
    data = {"made": made, "csrf_token": token}
    assert doc.post(f"/caseload/{pid}/reviewed/undo", data=data).status_code == 302
    assert reviews(app) == []


# Right-to-left names in English sentences

FSI, PDI = "\u2068", "\u2069"


def test_right_to_left_names_are_isolated_in_the_sentences_that_name_them(app):
    # "שרה 2 unlinked on 7 Dec" showed the 2 on the far side of the name, and an Arabic or
    # Hebrew name could carry the words after it along: each sentence isolates the name.
    app.config["IDLE_MINUTES"] = 0
    doc = person(app, "doc@example.com", role="therapist", display_name="ד״ר כהן 3")
    pat = person(app, "sarah@example.com", display_name="שרה 2")
    pid = user_id(app, "sarah@example.com")
    answer = link(pat, invite_code(doc))
    assert f"You are linked to {FSI}ד״ר כהן 3{PDI}." in pat.get(answer.location).text
    assert f"<strong>{FSI}ד״ר כהן 3{PDI}</strong>" in pat.get("/settings/therapist").text
    assert f"they see \u201c{FSI}שרה 2{PDI}\u201d" in html.unescape(pat.get("/settings").text)
    checkin(pat, ago(0), 1)

    page = doc.get("/caseload").text
    assert f">{FSI}שרה 2{PDI}</a></h3>" in page
    page = html.unescape(doc.get(f"/caseload/{pid}").text)
    assert f"Read-only: what {FSI}שרה 2{PDI} chose to share." in page
    later(minutes=5)
    page = html.unescape(doc.get(mark(doc, pid).location).text)
    assert f"Marked {FSI}שרה 2{PDI} as reviewed." in page
    assert f"Undo puts {FSI}שרה 2{PDI} back as before" in page
    page = html.unescape(doc.get(undo(doc, pid, undo_made(page)).location).text)
    assert f"Undone: {FSI}שרה 2{PDI} is not reviewed yet" in page
    assert f"{FSI}ד״ר כהן 3{PDI} viewed your progress" in pat.get("/settings/activity").text

    pat.post("/settings/therapist/unlink")
    assert f"<li>{FSI}שרה 2{PDI} unlinked on " in doc.get("/caseload").text
    # A left-to-right name needs nothing and is left as it is.
    robin = person(app, "robin@example.com", display_name="Robin 2")
    link(robin, invite_code(doc))
    assert ">Robin 2</a></h3>" in doc.get("/caseload").text


def test_right_to_left_addresses_and_link_labels_are_isolated_beside_other_text(app):
    # A Hebrew address or share-link label shown beside other words (the admin's account
    # heading, a caseload card's "address · linked since", a link's name on Share) showed
    # its digits on the wrong side and could carry the words after it along.
    app.config["IDLE_MINUTES"] = 0
    admin = make_admin(app)
    doc = therapist(app)
    pat = person(app, "שרה2@example.com", display_name="Sarah")
    pid = user_id(app, "שרה2@example.com")
    link(pat, invite_code(doc))

    page = html.unescape(admin.get(f"/admin/users/{pid}").text)
    assert f"<h1>{FSI}שרה2@example.com{PDI}</h1>" in page
    assert f">{FSI}שרה2@example.com{PDI}</a>" in admin.get("/admin").text
    assert f'<p class="hint">{FSI}שרה2@example.com{PDI} · linked since ' in html.unescape(
        doc.get("/caseload").text
    )
    page = html.unescape(doc.get(f"/caseload/{pid}").text)
    assert f'<p class="hint">{FSI}שרה2@example.com{PDI} · linked since ' in page

    made, _ = share_link(pat, label="שרה 2")
    assert f"Your link \u201c{FSI}שרה 2{PDI}\u201d" in html.unescape(made.text)
    page = html.unescape(pat.get("/share").text)
    assert f"<strong>{FSI}שרה 2{PDI}</strong>" in page
    assert f'Revoke<span class="visually-hidden"> the link \u201c{FSI}שרה 2{PDI}\u201d' in page
    revoke = re.search(r'action="(/share/\d+/revoke)"', page).group(1)
    answer = pat.post(revoke)
    assert f"The link \u201c{FSI}שרה 2{PDI}\u201d is revoked" in html.unescape(
        pat.get(answer.location).text
    )
    # A left-to-right label needs nothing and is left as it is.
    share_link(pat, label="Dr Rivera 2")
    assert "<strong>Dr Rivera 2</strong>" in pat.get("/share").text
