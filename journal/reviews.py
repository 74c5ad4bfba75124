"""A therapist's review of a linked patient: what is new since their last review, and the
notice a therapist is left when a patient unlinks (no views: the pages are journal/caseload.py;
the unlink calls `note_unlink` from journal/therapist_link.py; a deleted account's notice is
written by journal/account.py, which may not import this module).

Decisions:

- "New" is measured from the therapist's last review of the patient, or from the link when
  there is none. An entry is new when its day is after the local date (in the patient's time
  zone) of that moment, or when it was saved (made or changed) after it: a check-in
  back-dated, or edited to report thoughts of self-harm, after the therapist looked is new
  to them all the same. After a review, an entry dated after its day but saved before it (a
  day lived under a time zone ahead of the patient's new one: they moved west) was on the
  page reviewed, so it is not new again. Before any review, every flagged day of the last
  FLAG_DAYS days counts as unreviewed too (even from before the link): those are what put
  the patient under "needs attention", and marking them reviewed is the only way to clear
  them.
- Flagged days come from `access.flagged_days` and words from `access.shared_reflections`
  only: a private reflection never reaches a therapist by this road either. A session shows
  its named fields (product, route, dose, moods, blood pressure, dissociation, side effects),
  never its reflection, intention or clinic; a side effect typed under "something else"
  follows the session's "keep private", as in the PDF report.
- Each list shows its newest SINCE_MAX items and says how many more there are (an import of
  years of history after a review would otherwise make the page as long as the history).
"""

from datetime import UTC, date, datetime, timedelta

from . import access, clock, figures, instruments, timezones
from .data import links
from .data import reviews as data
from .db import get_db, write_transaction
from .rules import FLAG_DAYS

SINCE_MAX = 20


def last_review(therapist_id, patient_id):
    """When the therapist last marked the patient as reviewed (ISO text, UTC), or None."""
    return data.reviewed_at(get_db(), therapist_id, patient_id)


def reviews_of(therapist_id):
    """{patient_id: reviewed_at} of the therapist's reviews."""
    return data.reviews_of(get_db(), therapist_id)


def _utc(moment):
    """A page's moment (ISO text with its offset) as stored: UTC, to the second."""
    return datetime.fromisoformat(moment).astimezone(UTC).isoformat(timespec="seconds")


def mark_reviewed(therapist_id, patient_id, shown_at=None, page_review=None):
    """Record a review, only while the patient is linked to the therapist. Its time is when
    the page the button is on was shown (`shown_at`, ISO text; never later than now), so that
    what the patient saved while the page stood open is not taken as seen; now without one.
    The latest time wins.

    Returns None when nothing was recorded (not linked since that page), else what undoing
    it needs: {"made": the review time now recorded, "before": the one it replaced, None for
    none}; "before" equals "made" when the post changed nothing (a stale page's), except for
    the same page sent again (a double tap, whose first post recorded this page's time):
    that one undoes to the review the page showed (`page_review`), when earlier."""
    at = clock.utcnow_iso()
    if shown_at is not None:
        at = min(at, _utc(shown_at))
    with write_transaction() as db:
        before = data.reviewed_at(db, therapist_id, patient_id)
        if not data.mark_reviewed(db, therapist_id, patient_id, at):
            return None
        made = data.reviewed_at(db, therapist_id, patient_id)
    if before == made == at:
        shown = page_review and _utc(page_review)
        before = shown if shown is None or shown < made else made
    return {"made": made, "before": before}


def undo_review(therapist_id, patient_id, made, before):
    """Put back the review `before` (ISO text, or None) that the therapist's review at `made`
    replaced: "undone"; "already" when it is back already (Undo sent twice); "relinked" when
    the patient unlinked and linked again since (their reviews went with the unlink); "since"
    when another review came since (or the link ended), which is then left as it is."""
    with write_transaction() as db:
        if data.restore_review(db, therapist_id, patient_id, made, before):
            return "undone"
        now = data.reviewed_at(db, therapist_id, patient_id)
        link = links.therapist_link_of(db, patient_id)
    if link is None or link["therapist_id"] != therapist_id:
        return "since"
    if link["linked_at"] > made:
        return "relinked"
    return "already" if now == before else "since"


# What is new


def _newness(patient, reviewed_at, linked_at):
    """(the moment after which a saved entry is new, the local date of the review or link,
    the days saved since, by kind). Time stamps are to the second, so an entry saved in the
    same second as the link or the review counts as after it: the patient links, then checks
    in at once; a self-harm answer saved in the second the page reviewed was shown was not on
    it. Such an entry may show as new once more; a flag is never taken as seen unseen."""
    since = reviewed_at or linked_at
    since_day = timezones.local_date(since, patient.timezone)
    moment = datetime.fromisoformat(since) - timedelta(seconds=1)
    since = moment.isoformat(timespec="seconds")
    return since, since_day, data.changed_days(get_db(), patient.id, since)


def _first(days, fallback):
    """The earliest of `days` (text) and `fallback` (a date)."""
    return min([fallback, *(date.fromisoformat(d) for d in days)])


def _new_flags(patient, never_reviewed, since_day, changed, today):
    """The unreviewed flagged days, oldest first (as access.flagged_days gives them): those
    an entry saved since the review (or the link) flags itself. A day reviewed already is
    raised again only by such an entry (a check-in edited, still low or now reporting
    thoughts of self-harm), not by any entry of that day (a GAD-7 back-filled onto a day
    flagged for its mood); and a flag dated after the review's day but saved before it (a day
    lived under a time zone ahead of the patient's new one: they moved west) was seen by it."""
    saved = set().union(*changed.values())
    recent = today - timedelta(days=FLAG_DAYS - 1)
    start = _first(saved, since_day + timedelta(days=1))
    if never_reviewed:
        start = min(start, recent)
    recent = recent.isoformat()
    return [
        {"day": flag["day"], "reasons": flag["reasons"]}
        for flag in access.flagged_days(patient.id, start, None, with_kinds=True)
        if any(flag["day"] in changed[kind] for kind in flag["kinds"])
        or (never_reviewed and flag["day"] >= recent)
    ]


def unreviewed_flags(patient, reviewed_at, linked_at, today=None):
    """The flagged days of the last FLAG_DAYS days (to the patient's `today`) the therapist has
    not reviewed, oldest first: what puts a patient under "needs attention". A day after
    `today` counts too: saved under a time zone ahead of the patient's new one (they moved
    west), it is as recent as a flag gets."""
    today = today or timezones.local_today(patient.timezone)
    _, since_day, changed = _newness(patient, reviewed_at, linked_at)
    start = (today - timedelta(days=FLAG_DAYS - 1)).isoformat()
    flags = _new_flags(patient, reviewed_at is None, since_day, changed, today)
    return [flag for flag in flags if start <= flag["day"]]


def _dated_new(day, dated_after):
    """Whether an entry of `day` (text) is new by its date alone: dated after `dated_after`
    (text; None after a review, when only what was saved since is new)."""
    return dated_after is not None and day > dated_after


def _scores(patient, dated_after, changed, scores=None):
    """New PHQ-9 and GAD-7 scores, newest first, each with the change from the one before.
    `scores`, every total of each kind (figures.assessment_scores), when the caller has them."""
    found = []
    for kind, instrument in instruments.INSTRUMENTS.items():
        previous = None
        totals = figures.assessment_scores(patient.id, kind) if scores is None else scores[kind]
        for day, total in totals:
            if _dated_new(day.isoformat(), dated_after) or day.isoformat() in changed[kind]:
                found.append(
                    {
                        "kind": kind,
                        "name": instrument.title,
                        "day": day,
                        "total": total,
                        "band": instruments.band(kind, total),
                        "previous": previous,
                        "change": None if previous is None else total - previous[1],
                    }
                )
            previous = (day, total)
    return sorted(found, key=lambda s: (s["day"], s["kind"]), reverse=True)


def _reflections(patient, since_day, dated_after, changed):
    """New shared reflections, newest first."""
    words = changed["checkin"] | changed["session"]
    start = _first(words, since_day + timedelta(days=1))
    kinds = {"check-in": changed["checkin"], "session": changed["session"]}
    found = [
        r
        for r in access.shared_reflections(patient.id, start)
        if _dated_new(r["day"], dated_after) or r["day"] in kinds[r["kind"]]
    ]
    return found[::-1]


def _checkins(patient, since_day, dated_after, changed):
    """New check-ins (their figures only), newest first: a plain one, mood alone, is news
    too."""
    start = _first(changed["checkin"], since_day + timedelta(days=1))
    found = [
        c
        for c in access.shared_checkins(patient.id, start)
        if _dated_new(c["day"], dated_after) or c["day"] in changed["checkin"]
    ]
    return found[::-1]


def _newest(items):
    """(the newest SINCE_MAX of `items`, newest first already; how many are left out)."""
    return items[:SINCE_MAX], max(0, len(items) - SINCE_MAX)


def since_review(patient, reviewed_at, linked_at, scores=None):
    """Everything new for the therapist in the patient's journal, each list newest first:
    {"since", "reviewed", "flags", "sessions", "scores", "checkins", "reflections", "more",
    "empty"}
    (`more`: how many of each list are left out). `scores`: {kind: every total of that kind}
    (figures.assessment_scores), when the caller has read them already."""
    today = timezones.local_today(patient.timezone)
    since, since_day, changed = _newness(patient, reviewed_at, linked_at)
    # Before any review, an entry dated after the link's day is new by its date; after one,
    # only what was saved since is (one dated later but saved before was on the page reviewed).
    dated_after = None if reviewed_at else since_day.isoformat()
    lists = {
        "flags": _new_flags(patient, reviewed_at is None, since_day, changed, today)[::-1],
        "sessions": [
            access.shared_session(row)
            for row in reversed(figures.session_rows(patient.id))
            if _dated_new(row["day"], dated_after) or row["updated_at"] > since
        ],
        "scores": _scores(patient, dated_after, changed, scores),
        "checkins": _checkins(patient, since_day, dated_after, changed),
        "reflections": _reflections(patient, since_day, dated_after, changed),
    }
    result = {"since": reviewed_at or linked_at, "reviewed": reviewed_at is not None, "more": {}}
    for name, items in lists.items():
        result[name], result["more"][name] = _newest(items)
    result["empty"] = not any(lists.values())
    return result


# A patient who leaves


def note_link(patient_id, therapist_id):
    """A patient who left the therapist links again: the notices that they left go (the
    caseload lists them once more, with what needs attention)."""
    data.forget_notices_about(get_db(), therapist_id, patient_id)


def note_unlink(patient, therapist_id, linked_at):
    """Before the patient's link to the therapist ends (inside the same transaction): tell the
    therapist, by the patient's shared name and whether flags they had not reviewed were
    there, and forget the therapist's reviews of the patient."""
    db = get_db()
    reviewed = data.reviewed_at(db, therapist_id, patient.id)
    flagged = bool(unreviewed_flags(patient, reviewed, linked_at))
    data.forget_reviews_of(db, patient.id)
    # By the name the card showed; a patient without one was "Patient" there, their email
    # beside it, so the notice names them by that email (two nameless patients who left, one
    # with flags unreviewed, could not be told apart).
    name = patient.report_name or patient.display_name or patient.email
    data.add_notice(db, therapist_id, "unlinked", clock.utcnow_iso(), patient.id, name, flagged)


def notices(therapist_id):
    """The therapist's notices of the last NOTICE_DAYS days, newest first."""
    since = (clock.now() - timedelta(days=data.NOTICE_DAYS)).isoformat(timespec="seconds")
    return data.notices_of(get_db(), therapist_id, since)
