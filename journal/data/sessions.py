"""Dosing sessions (`sessions`): a person's sessions, numbered in date order.

Every function scopes its query to the person's `user_id`. A session's number (#1 is the
first) is its place among all of the person's sessions by its date (`day`, the local date
its window counts from), then start time, then id. Not by start time alone: after a move
across time zones a session started later in absolute time can be dated a day earlier, and
the first session (the baseline's end) and the trend's numbers follow the dates.
"""

ORDER = "day, started_at, id"
NEWEST_FIRST = "day desc, started_at desc, id desc"


def numbered(db, user_id):
    """The person's sessions oldest first, each with its "number", read as they are taken
    (a streamed export's rows): the one place that orders and numbers a person's sessions."""
    rows = db["sessions"].rows_where("user_id = ?", [user_id], order_by=ORDER)
    for number, row in enumerate(rows, start=1):
        row["number"] = number
        yield row


def numbered_brief(db, user_id):
    """The person's sessions oldest first as {"id", "day", "route", "number"}: what the
    figures, the charts and summary.json read of them, without the rest of each row."""
    rows = db.execute(
        f"select id, day, route from sessions where user_id = ? order by {ORDER}",  # noqa: S608 (a constant)
        [user_id],
    )
    return [
        {"id": id_, "day": day, "route": route, "number": number}
        for number, (id_, day, route) in enumerate(rows, start=1)
    ]


def first_day(db, user_id):
    """The day (text) of the person's first session, or None."""
    row = db.execute(
        f"select day from sessions where user_id = ? order by {ORDER} limit 1",  # noqa: S608 (a constant)
        [user_id],
    ).fetchone()
    return row[0] if row else None


def last_day(db, user_id):
    """The latest day (text) any of the person's sessions is dated, or None."""
    return db.execute("select max(day) from sessions where user_id = ?", [user_id]).fetchone()[0]


def between(db, user_id, start, end):
    """{"id", "day"} of the person's sessions dated `start`..`end` (text), in date order."""
    return list(
        db["sessions"].rows_where(
            "user_id = ? and day between ? and ?",
            [user_id, start, end],
            order_by=ORDER,
            select="id, day",
        )
    )


def find(db, user_id, session_id):
    """The person's session `session_id`, or None."""
    rows = list(db["sessions"].rows_where("user_id = ? and id = ?", [user_id, session_id], limit=1))
    return rows[0] if rows else None


def latest(db, user_id):
    """The person's session given last, by start time (not by number: after a move west the
    last given can be dated a day before another), or None: what a new session's form
    carries over (dose, clinic)."""
    rows = list(
        db["sessions"].rows_where(
            "user_id = ?", [user_id], order_by="started_at desc, id desc", limit=1
        )
    )
    return rows[0] if rows else None


def count_before(db, user_id, row):
    """How many of the person's sessions come before the session `row` (a dict with its
    "day", "started_at" and "id") in ORDER."""
    return db.execute(
        "select count(*) from sessions where user_id = ? and (day, started_at, id) < (?, ?, ?)",
        [user_id, row["day"], row["started_at"], row["id"]],
    ).fetchone()[0]


def count_on_day(db, user_id, day, other_than=None):
    """How many of the person's sessions are dated `day` (text), leaving out `other_than`."""
    return db.execute(
        "select count(*) from sessions where user_id = ? and day = ? and id is not ?",
        [user_id, day, other_than],
    ).fetchone()[0]


def id_for_request_key(db, user_id, key):
    """The id of the person's session that the new-session form with `key` saved, or None."""
    found = db.execute(
        "select id from sessions where user_id = ? and request_key = ?", [user_id, key]
    ).fetchone()
    return found[0] if found else None


def add(db, user_id, values, now):
    """Store a new session of `values` (column: value) at `now`; return its id."""
    return (
        db["sessions"]
        .insert({**values, "user_id": user_id, "created_at": now, "updated_at": now})
        .last_pk
    )


def update(db, user_id, session_id, values, now):
    """Write `values` (column: value, from a fixed list of columns) over the person's session."""
    assignments = ", ".join(f"{c} = :{c}" for c in values)
    db.execute(
        f"update sessions set {assignments}, updated_at = :now "  # noqa: S608 (constant columns)
        "where id = :id and user_id = :user_id",
        {**values, "now": now, "id": session_id, "user_id": user_id},
    )


def set_request_key(db, user_id, session_id, key):
    """Keep the new-session form's `key` with the session it saved."""
    db.execute(
        "update sessions set request_key = ? where user_id = ? and id = ?",
        [key, user_id, session_id],
    )


def delete(db, user_id, session_id):
    """Delete the person's session `session_id`."""
    db.execute("delete from sessions where user_id = ? and id = ?", [user_id, session_id])


def start_times(db, user_id):
    """The person's sessions oldest first as {"id", "started_at"}: nothing else (the
    calendar feed)."""
    rows = db.execute(
        "select id, started_at from sessions where user_id = ? order by started_at, id",
        [user_id],
    )
    return [{"id": id_, "started_at": started_at} for id_, started_at in rows]


def insert_many(db, rows):
    """Insert sessions (dicts of `sessions` columns, each with its `user_id`): the demo."""
    db["sessions"].insert_all(rows)
