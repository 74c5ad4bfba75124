"""The audit log (`audit`): who reached a patient's data, when, and by which route.

Append-only (the schema's triggers refuse updates and deletes), so there is no function
here to change or remove a row. Never any health data: `detail` is a route's or a chart's
name or a share link's id; `actor_id` and `subject_id` are opaque account ids.
"""

from .. import clock

COLUMNS = ("at", "actor_id", "actor_role", "action", "subject_id", "detail")


def kept(db):
    """Whether this database has an audit log yet (a file `init-db` has not migrated has none)."""
    return "audit" in db.table_names()


def record(db, actor_id, action, subject_id=None, actor_role=None, detail=None, at=None):
    """Append one entry (at `at`, ISO 8601 UTC text, or now); return its id."""
    found = db.execute(
        "insert into audit (at, actor_id, actor_role, action, subject_id, detail) "
        "values (?, ?, ?, ?, ?, ?)",
        [at or clock.utcnow_iso(), actor_id, actor_role, action, subject_id, detail],
    )
    return found.lastrowid


def rows_from(db, subject_id, prefix, since, most):
    """How many entries about `subject_id` from `since` (ISO text) on have a `detail` that
    starts with `prefix`, counted up to `most`."""
    (count,) = db.execute(
        "select count(*) from (select 1 from audit where subject_id = ? and at >= ? "
        "and substr(detail, 1, ?) = ? limit ?)",
        [subject_id, since, len(prefix), prefix, most],
    ).fetchone()
    return count


def about(db, subject_id, limit, offset=0, since="", leave_out_role=None):
    """The entries about `subject_id` from `since` (ISO text) on, but those whose actor_role
    is `leave_out_role`, newest first, at most `limit` from `offset`: dicts of the COLUMNS
    plus `id` and the actor's `actor_name`: their display name, or a therapist's email when
    they have none (as the patient's "Your therapist" page names them, so that a former
    therapist's views do not read as the one linked now's); '' for anyone else without one,
    or an actor with no account, or whose account was deleted (named by role, a deleted
    former therapist too)."""
    found = db.execute(
        "select a.id, a.at, a.actor_id, a.actor_role, a.action, a.subject_id, a.detail, "
        "coalesce(nullif(u.display_name, ''), "
        "case when a.actor_role = 'therapist' then u.email end, '') as actor_name "
        "from audit a left join users u on u.id = a.actor_id "
        "where a.subject_id = ? and a.at >= ? and (? is null or a.actor_role is not ?) "
        "order by a.at desc, a.id desc limit ? offset ?",
        [subject_id, since, leave_out_role, leave_out_role, limit, offset],
    )
    columns = [d[0] for d in found.description]
    return [dict(zip(columns, row, strict=True)) for row in found.fetchall()]


def since(db, day):
    """Every entry from the start of `day` (a date, UTC) on, oldest first: dicts of the
    COLUMNS."""
    found = db.execute(
        "select at, actor_id, actor_role, action, subject_id, detail from audit "
        "where at >= ? order by at, id",
        [day.isoformat()],
    )
    return [dict(zip(COLUMNS, row, strict=True)) for row in found.fetchall()]
