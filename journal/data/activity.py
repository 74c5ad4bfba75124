""" "Recent activity": the `activity` table (a person's sign-ins and exports)."""


def forget_before(db, user_id, since):
    """Delete the person's events older than `since` (ISO 8601 text)."""
    db.execute("delete from activity where user_id = ? and at < ?", [user_id, since])


def add(db, user_id, at, kind, detail):
    """Record one event; `detail` is its JSON text."""
    db.execute(
        "insert into activity (user_id, at, kind, detail) values (?, ?, ?, ?)",
        [user_id, at, kind, detail],
    )


def since(db, user_id, since, limit):
    """The person's events from `since` on, newest first, at most `limit`: dicts of `at`,
    `kind` and `detail` (JSON text)."""
    rows = db.execute(
        "select at, kind, detail from activity where user_id = ? and at >= ? "
        "order by at desc, id desc limit ?",
        [user_id, since, limit],
    )
    return [{"at": at, "kind": kind, "detail": detail} for at, kind, detail in rows]


def latest_of(db, user_id, kind, since):
    """When the person's latest event of `kind` from `since` on was recorded (ISO text), or
    None."""
    row = db.execute(
        "select max(at) from activity where user_id = ? and kind = ? and at >= ?",
        [user_id, kind, since],
    ).fetchone()
    return row[0]
