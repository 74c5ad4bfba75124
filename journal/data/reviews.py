"""A therapist's reviews of linked patients (`caseload_reviews`) and the caseload's notices of
patients who left (`caseload_notices`); what changed in a patient's journal since a moment."""

from datetime import datetime, timedelta

# How long the caseload shows that a patient left; older notices are deleted.
NOTICE_DAYS = 30

# Reviews


def reviewed_at(db, therapist_id, patient_id):
    """When the therapist last marked the patient as reviewed (ISO text, UTC), or None."""
    row = db.execute(
        "select reviewed_at from caseload_reviews where therapist_id = ? and patient_id = ?",
        [therapist_id, patient_id],
    ).fetchone()
    return row[0] if row else None


def reviews_of(db, therapist_id):
    """{patient_id: reviewed_at} of every patient the therapist has marked as reviewed."""
    return dict(
        db.execute(
            "select patient_id, reviewed_at from caseload_reviews where therapist_id = ?",
            [therapist_id],
        )
    )


def mark_reviewed(db, therapist_id, patient_id, now):
    """Record a review at `now`, only while the patient is linked to the therapist and since
    that link began (a page shown under an earlier link reviewed none of this one); True when
    recorded. A stale or repeated post never moves the time back: the latest time wins."""
    cursor = db.execute(
        "insert into caseload_reviews (therapist_id, patient_id, reviewed_at) "
        "select ?, ?, ? where exists (select 1 from therapist_links "
        "where patient_id = ? and therapist_id = ? and linked_at <= ?) "
        "on conflict (therapist_id, patient_id) do update set "
        "reviewed_at = max(reviewed_at, excluded.reviewed_at)",
        [therapist_id, patient_id, now, patient_id, therapist_id, now],
    )
    return cursor.rowcount > 0


def restore_review(db, therapist_id, patient_id, made, before):
    """Put the review `before` (ISO text, or None: not reviewed) back in place of the review
    at `made`, only while that is still the therapist's review of the patient (none since,
    no unlink); True when put back."""
    if before is None:
        cursor = db.execute(
            "delete from caseload_reviews "
            "where therapist_id = ? and patient_id = ? and reviewed_at = ?",
            [therapist_id, patient_id, made],
        )
    else:
        cursor = db.execute(
            "update caseload_reviews set reviewed_at = ? "
            "where therapist_id = ? and patient_id = ? and reviewed_at = ?",
            [before, therapist_id, patient_id, made],
        )
    return cursor.rowcount > 0


def forget_reviews_of(db, patient_id):
    """Delete every review of the patient (they unlinked, or left)."""
    db.execute("delete from caseload_reviews where patient_id = ?", [patient_id])


# Notices of patients who left


def add_notice(db, therapist_id, kind, at, patient_id=None, name=None, flags=False):
    """Tell the therapist that a patient left (`kind` "unlinked" or "deleted") at `at` (ISO
    text, UTC), and forget the therapist's notices older than NOTICE_DAYS, no longer shown."""
    since = (datetime.fromisoformat(at) - timedelta(days=NOTICE_DAYS)).isoformat()
    db.execute(
        "delete from caseload_notices where therapist_id = ? and at < ?", [therapist_id, since]
    )
    db.execute(
        "insert into caseload_notices (therapist_id, kind, at, patient_id, name, "
        "unreviewed_flags) values (?, ?, ?, ?, ?, ?)",
        [therapist_id, kind, at, patient_id, name, int(bool(flags))],
    )


def forget_notices_about(db, therapist_id, patient_id):
    """Delete the therapist's notices that the patient left (they linked again)."""
    db.execute(
        "delete from caseload_notices where therapist_id = ? and patient_id = ?",
        [therapist_id, patient_id],
    )


def notices_of(db, therapist_id, since):
    """The therapist's notices from `since` (ISO text) on, newest first: dicts of `kind`,
    `at`, `name`, `unreviewed_flags` and `email` (the patient's, whom an "unlinked" notice
    names: the notice goes with their account; None for a "deleted" one)."""
    return list(
        db.query(
            "select n.kind, n.at, n.name, n.unreviewed_flags, u.email from caseload_notices n "
            "left join users u on u.id = n.patient_id "
            "where n.therapist_id = ? and n.at >= ? order by n.at desc, n.id desc",
            [therapist_id, since],
        )
    )


def forget_person(db, user_id):
    """Delete the reviews and notices that name `user_id`, as therapist or as patient (the
    schema cascades too). A deleted patient's "deleted" notice names no one, so it stays."""
    db.execute(
        "delete from caseload_reviews where patient_id = ? or therapist_id = ?", [user_id, user_id]
    )
    db.execute(
        "delete from caseload_notices where patient_id = ? or therapist_id = ?", [user_id, user_id]
    )


# What changed in a patient's journal since a moment


def changed_days(db, user_id, since):
    """The days (text) of the patient's entries saved (made or changed) after `since` (ISO
    text, UTC): {"checkin": set, "session": set, "phq9": set, "gad7": set}."""
    rows = db.execute(
        "select 'checkin', day from checkins where user_id = ? and updated_at > ? "
        "union select 'session', day from sessions where user_id = ? and updated_at > ? "
        "union select kind, day from assessments where user_id = ? and created_at > ?",
        [user_id, since] * 3,
    )
    found = {"checkin": set(), "session": set(), "phq9": set(), "gad7": set()}
    for kind, day in rows:
        found[kind].add(day)
    return found
