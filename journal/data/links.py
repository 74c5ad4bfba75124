"""Share links (`share_links`, `share_openings`) and therapist links (`therapist_links`)."""

from . import sessions


def openings_since(db, user_id, since, limit):
    """Openings of the person's share links from `since` on, newest first, at most `limit`:
    dicts of `opened_at`, `what` and the link's `label`."""
    rows = db.execute(
        "select o.opened_at, o.what, l.label from share_openings o "
        "join share_links l on l.id = o.link_id "
        "where l.user_id = ? and o.opened_at >= ? order by o.opened_at desc, o.id desc limit ?",
        [user_id, since, limit],
    )
    return [{"opened_at": at, "what": what, "label": label} for at, what, label in rows]


# Share links


def share_link_insert(db, row):
    """Store a share link (a dict of `share_links` columns); return its id.

    Raises sqlite3.IntegrityError when the person's `request_key` already made a link.
    """
    return db["share_links"].insert(row).last_pk


def share_link_by_request_key(db, user_id, request_key):
    """The person's link that the form with `request_key` made, or None."""
    rows = db["share_links"].rows_where(
        "user_id = ? and request_key = ?", [user_id, request_key], limit=1
    )
    return next(iter(rows), None)


def share_links_of(db, user_id):
    """The person's share links, newest first."""
    return list(db["share_links"].rows_where("user_id = ?", [user_id], order_by="id desc"))


def active_share_link_labels(db, user_id, now):
    """The labels of the person's share links that still open at `now` (ISO text, UTC),
    newest first."""
    return [
        label
        for (label,) in db.execute(
            "select label from share_links "
            "where user_id = ? and revoked_at is null and expires_at > ? order by id desc",
            [user_id, now],
        )
    ]


def share_links_made_since(db, user_id, since, limit):
    """When the person's share links made after `since` (ISO text, UTC) were made, revoked
    ones too: at most `limit` of them, newest first."""
    return [
        made
        for (made,) in db.execute(
            "select created_at from share_links where user_id = ? and created_at > ? "
            "order by created_at desc limit ?",
            [user_id, since, limit],
        )
    ]


def share_link_by_token_hash(db, token_hash):
    """The share link whose token hashes to `token_hash`, or None."""
    rows = list(db["share_links"].rows_where("token_hash = ?", [token_hash], limit=1))
    return rows[0] if rows else None


def count_opening(db, link_id, now):
    """Count one opening of a link that still works at `now` (ISO text); True when counted.

    Call inside a transaction: the check and the count are one step.
    """
    counted = db.execute(
        "update share_links set last_opened_at = ?, open_count = open_count + 1 "
        "where id = ? and revoked_at is null and expires_at > ?",
        [now, link_id, now],
    ).rowcount
    return bool(counted)


def list_opening(db, link_id, now, what):
    """Keep one opening (`what`: 'page' or 'report') of the link at `now` (ISO text), for the
    owner's Recent activity."""
    db.execute(
        "insert into share_openings (link_id, opened_at, what) values (?, ?, ?)",
        [link_id, now, what],
    )


def revoke_share_link(db, user_id, link_id, now):
    """Revoke the person's link `link_id` at `now`, unless it was already revoked. False when
    the person has no such link (their account was deleted since it was read)."""
    found = db.execute(
        "update share_links set revoked_at = coalesce(revoked_at, ?) where id = ? and user_id = ?",
        [now, link_id, user_id],
    )
    return found.rowcount == 1


def revoke_all_share_links(db, user_id, now):
    """Revoke every share link of the person still open at `now` (ISO text, UTC); one that
    has expired stays "expired"."""
    db.execute(
        "update share_links set revoked_at = ? "
        "where user_id = ? and revoked_at is null and expires_at > ?",
        [now, user_id, now],
    )


# Therapists: invite codes and therapist links


def invite_code_of(db, therapist_id):
    """The therapist's stored invite code, or None (none made yet, or no such account)."""
    row = db.execute("select invite_code from users where id = ?", [therapist_id]).fetchone()
    return None if row is None else row[0]


def replace_invite_code(db, therapist_id, new, old):
    """Store `new` as the therapist's code, only over `old` (the code just read); True when
    stored.

    Raises sqlite3.IntegrityError when another therapist holds `new`.
    """
    stored = db.execute(
        "update users set invite_code = ? where id = ? and invite_code is ?",
        [new, therapist_id, old],
    )
    return stored.rowcount == 1


def therapist_by_code(db, code):
    """The `users` row of the therapist whose invite code is `code`, or None (also for a
    therapist whose account an admin has deactivated: no one links to it meanwhile)."""
    where = "invite_code = ? and role = 'therapist' and deactivated_at is null"
    rows = list(db["users"].rows_where(where, [code], limit=1))
    return rows[0] if rows else None


def therapist_link_of(db, patient_id):
    """The patient's link as {"therapist_id", "linked_at"}, or None."""
    row = db.execute(
        "select therapist_id, linked_at from therapist_links where patient_id = ?",
        [patient_id],
    ).fetchone()
    return None if row is None else {"therapist_id": row[0], "linked_at": row[1]}


def link_therapist(db, patient_id, therapist_id, now):
    """Link the patient to the therapist, replacing any other therapist (keeps the date of a
    link that is already to this therapist)."""
    db.execute(
        "insert into therapist_links (patient_id, therapist_id, linked_at) values (?, ?, ?) "
        "on conflict (patient_id) do update set therapist_id = excluded.therapist_id, "
        "linked_at = excluded.linked_at where therapist_id != excluded.therapist_id",
        [patient_id, therapist_id, now],
    )


def unlink_therapist(db, patient_id):
    """End the patient's link to their therapist."""
    db.execute("delete from therapist_links where patient_id = ?", [patient_id])


def linked_patients(db, therapist_id):
    """The `users` rows of every patient linked to the therapist, each with its `linked_at`."""
    return list(
        db.query(
            "select users.*, therapist_links.linked_at as linked_at from therapist_links "
            "join users on users.id = therapist_links.patient_id "
            "where therapist_links.therapist_id = ?",
            [therapist_id],
        )
    )


def linked_patient_count(db, therapist_id):
    """How many patients are linked to the therapist (a number only: the admin pages show it,
    never who they are)."""
    (count,) = db.execute(
        "select count(*) from therapist_links where therapist_id = ?", [therapist_id]
    ).fetchone()
    return count


def is_linked(db, patient_id, therapist_id):
    """Whether the patient is linked to the therapist."""
    return (
        db.execute(
            "select 1 from therapist_links where patient_id = ? and therapist_id = ?",
            [patient_id, therapist_id],
        ).fetchone()
        is not None
    )


# What a therapist or a share link may see (journal/access.py decides; these only fetch)

# Dates as YYYY-MM-DD text compare in date order; None leaves that end open.
IN_RANGE = "day between coalesce(?, '0000-00-00') and coalesce(?, '9999-99-99')"


def _bounds(start, end):
    """Parameters for IN_RANGE."""
    return [start.isoformat() if start else None, end.isoformat() if end else None]


def shared_checkin_reflections(db, user_id, start=None, end=None):
    """[(day, reflection)] of check-ins not marked private, with words, oldest first."""
    return list(
        db.execute(
            f"select day, reflection from checkins where user_id = ? and {IN_RANGE} "  # noqa: S608
            "and private = 0 and reflection != '' order by day",
            [user_id, *_bounds(start, end)],
        )
    )


def checkin_figures(db, user_id, start=None, end=None):
    """[(day, mood, anxiety, energy, sleep_hours, updated_at)] of check-ins, oldest first:
    their figures only, never their words or tags."""
    return list(
        db.execute(
            "select day, mood, anxiety, energy, sleep_hours, updated_at from checkins "  # noqa: S608
            f"where user_id = ? and {IN_RANGE} order by day",
            [user_id, *_bounds(start, end)],
        )
    )


def shared_session_reflections(db, user_id, start=None, end=None):
    """[(day, reflection, prompts JSON)] of sessions not marked private, in order."""
    return list(
        db.execute(
            f"select day, reflection, prompts from sessions where user_id = ? and private = 0 "  # noqa: S608
            f"and {IN_RANGE} order by {sessions.ORDER}",
            [user_id, *_bounds(start, end)],
        )
    )


def checkin_flags(db, user_id, crisis_mood, start=None, end=None):
    """[(day, mood, self_harm)] of check-ins reporting self-harm or a mood of `crisis_mood`
    or below."""
    return list(
        db.execute(
            f"select day, mood, self_harm from checkins where user_id = ? and {IN_RANGE} "  # noqa: S608
            "and (self_harm = 1 or mood <= ?)",
            [user_id, *_bounds(start, end), crisis_mood],
        )
    )


def phq9_item9_flags(db, user_id, above, start=None, end=None):
    """[(day, item9)] of PHQ-9s whose item 9 is above `above`."""
    return list(
        db.execute(
            f"select day, item9 from assessments where user_id = ? and {IN_RANGE} "  # noqa: S608
            "and kind = 'phq9' and item9 > ?",
            [user_id, *_bounds(start, end), above],
        )
    )


def session_moods(db, user_id, start=None, end=None):
    """Sessions as {"day", "mood_before", "mood_after"}, in order."""
    return list(
        db.query(
            f"select day, mood_before, mood_after from sessions where user_id = ? "  # noqa: S608
            f"and {IN_RANGE} order by {sessions.ORDER}",
            [user_id, *_bounds(start, end)],
        )
    )


def share_links_oldest_first(db, user_id, columns):
    """The person's share links, oldest first, with only `columns` (an export never reads
    their token hashes)."""
    return list(
        db["share_links"].rows_where(
            "user_id = ?", [user_id], select=", ".join(columns), order_by="created_at, id"
        )
    )


def therapist_of(db, patient_id):
    """The patient's link to a therapist as {"therapist_name", "linked_at"}, or None. The
    name is the one the patient's "Your therapist" page shows: the therapist's display name,
    or their email when they have none (an empty name told the patient nothing)."""
    row = db.execute(
        "select coalesce(nullif(u.display_name, ''), u.email), t.linked_at "
        "from therapist_links t "
        "join users u on u.id = t.therapist_id where t.patient_id = ?",
        [patient_id],
    ).fetchone()
    return None if row is None else {"therapist_name": row[0], "linked_at": row[1]}
