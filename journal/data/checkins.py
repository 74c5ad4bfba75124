"""Check-ins (`checkins`, one per person and local day) and the idempotency keys of check-ins
sent by a device (`checkin_requests`).

Days are ISO dates (YYYY-MM-DD), as they are stored.
"""

# The answers a check-in stores besides its person, day and times (the form's fields).
COLUMNS = ("mood", "anxiety", "energy", "sleep_hours", "tags", "reflection", "private", "self_harm")
# History's order: the newest day first (one check-in a day).
NEWEST_FIRST = "day desc"


def for_day(db, user_id, day):
    """The person's check-in for `day` (ISO date), or None."""
    rows = list(db["checkins"].rows_where("user_id = ? and day = ?", [user_id, day], limit=1))
    return rows[0] if rows else None


def save(db, user_id, day, values, now, written_at):
    """Insert or replace the person's check-in for `day` with `values` (every one of
    COLUMNS), stamped `now`, written by the person at `written_at` (a queued check-in's time
    on the phone, else the server's): its id. Run it inside the caller's transaction."""
    (checkin_id,) = db.execute(
        f"""
        insert into checkins (user_id, day, {", ".join(COLUMNS)}, created_at, updated_at,
                              written_at)
        values (:user_id, :day, {", ".join(":" + c for c in COLUMNS)}, :now, :now, :written_at)
        on conflict (user_id, day) do update set
            {", ".join(f"{c} = excluded.{c}" for c in COLUMNS)}, updated_at = excluded.updated_at,
            written_at = excluded.written_at
        returning id
        """,  # noqa: S608 (column names are constants)
        {**values, "user_id": user_id, "day": day, "now": now, "written_at": written_at},
    ).fetchone()
    return checkin_id


IMPORTED_COLUMNS = (
    "day", "mood", "anxiety", "energy", "sleep_hours", "tags", "reflection", "private",
    "self_harm",
)  # fmt: skip


def add_if_new(db, user_id, values, now, written_at):
    """Add a check-in of `values` (the IMPORTED_COLUMNS; one left out is empty), written at
    `written_at`, unless the person has one for its day already (an import): 1 when it was
    added, 0 when the day was kept as it is."""
    row = {name: values.get(name) for name in IMPORTED_COLUMNS}
    names = ", ".join(row)
    cursor = db.execute(
        f"insert into checkins (user_id, {names}, created_at, updated_at, written_at) "  # noqa: S608
        f"values (?, {', '.join('?' * len(row))}, ?, ?, ?) on conflict (user_id, day) do nothing",
        [user_id, *row.values(), now, now, written_at],
    )
    return cursor.rowcount


def report_self_harm(db, user_id, day, now):
    """Record a self-harm answer of "yes" on the person's check-in for `day` at `now` (nothing
    else of it changes; `updated_at` does, so a therapist's review sees the day as changed
    since); whether it was not recorded before."""
    # A row from before `written_at` was kept has its `updated_at` stand in for it: kept
    # there first, so that a later queued check-in is still compared with when it was written.
    found = db.execute(
        "update checkins set self_harm = 1, written_at = coalesce(written_at, updated_at), "
        "updated_at = ? where user_id = ? and day = ? and (self_harm is null or self_harm != 1)",
        [now, user_id, day],
    )
    return found.rowcount == 1


def delete(db, user_id, day):
    """Delete the person's check-in for `day` (its symptom scores go with it)."""
    db.execute("delete from checkins where user_id = ? and day = ?", [user_id, day])


def recent_tags(db, user_id, limit=200):
    """The tags text of the person's latest `limit` check-ins that have tags, newest first."""
    return [
        tags
        for (tags,) in db.execute(
            "select tags from checkins where user_id = ? and tags != '' order by day desc limit ?",
            [user_id, limit],
        )
    ]


def first_day(db, user_id):
    """The ISO date of the person's first check-in, or None."""
    (first,) = db.execute("select min(day) from checkins where user_id = ?", [user_id]).fetchone()
    return first


def has_only_one(db, user_id):
    """Whether the person has exactly one check-in (their first)."""
    rows = db.execute("select 1 from checkins where user_id = ? limit 2", [user_id]).fetchall()
    return len(rows) == 1


def days_between(db, user_id, start, end):
    """The ISO dates from `start` to `end` (both included) on which the person checked in."""
    return {
        day
        for (day,) in db.execute(
            "select day from checkins where user_id = ? and day between ? and ?",
            [user_id, start, end],
        )
    }


def days(db, user_id):
    """The ISO date of every check-in the person has."""
    return {day for (day,) in db.execute("select day from checkins where user_id = ?", [user_id])}


def find_request(db, user_id, key):
    """The person's earlier check-in request with this idempotency key, as {"day", "outcome"}
    (the day as its ISO date), or None."""
    found = db.execute(
        "select day, outcome from checkin_requests where user_id = ? and key = ?",
        [user_id, key],
    ).fetchone()
    return None if found is None else {"day": found[0], "outcome": found[1]}


def record_request(db, user_id, key, day, outcome, now):
    """Remember a check-in request's idempotency key, its day and what became of it."""
    db.execute(
        "insert into checkin_requests (user_id, key, day, outcome, created_at)"
        " values (?, ?, ?, ?, ?)",
        [user_id, key, day, outcome, now],
    )


def insert_many(db, rows):
    """Insert check-ins (dicts of `checkins` columns, each with its `user_id`): the demo."""
    db["checkins"].insert_all(rows)


def oldest_first(db, user_id):
    """The person's check-ins, oldest first, read one at a time as they are taken (an
    export's rows)."""
    yield from db["checkins"].rows_where("user_id = ?", [user_id], order_by="day")
