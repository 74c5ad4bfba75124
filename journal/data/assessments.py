"""PHQ-9 and GAD-7 check-ups (`assessments`).

Every function scopes its query to the person's `user_id`. Check-ups are ordered by day, then
by order of saving (id): on a day with two, the later one is the one that counts.
"""

import json


def scores(db, user_id, kind):
    """(day text, total) of the person's check-ups of `kind`, oldest first: one a day, the
    later of a day's (a check-up taken again the same day replaces the first in every figure
    and chart; the list of check-ups still shows both)."""
    return db.execute(
        "select day, total from assessments where id in (select max(id) from assessments "
        "where user_id = ? and kind = ? group by day) order by day",
        [user_id, kind],
    ).fetchall()


def summary_scores(db, user_id, kind, first_session=None):
    """The (day text, total) pairs windows' summaries read: the first day's, the last on or
    before `first_session` (text) and the latest, each the later of its day, in no order and
    without repeats. The summaries are the same as from every score, for three index lookups."""
    picks = [("", [], "day, id desc"), ("", [], "day desc, id desc")]
    if first_session is not None:
        picks.append((" and day <= ?", [first_session], "day desc, id desc"))
    found = set()
    for extra, params, order in picks:
        found.update(
            db.execute(
                f"select day, total from assessments where user_id = ? and kind = ?{extra} "  # noqa: S608 (constant clauses)
                f"order by {order} limit 1",
                [user_id, kind, *params],
            )
        )
    return found


def first_at_most(db, user_id, kind, after, most):
    """(day text, total) of the first day after `after` (text) whose score of `kind` (the
    later of that day's) is at most `most`, or None."""
    return db.execute(
        "select day, total from assessments as a where user_id = ? and kind = ? and day > ? "
        "and total <= ? and id = (select id from assessments where user_id = a.user_id "
        "and kind = a.kind and day = a.day order by id desc limit 1) order by day limit 1",
        [user_id, kind, after, most],
    ).fetchone()


def latest_item9(db, user_id, kind, end):
    """The safety item's answer (PHQ-9 item 9) of the latest `kind` on or before `end` (text),
    or None (no such check-up, or an instrument without the item)."""
    latest = db.execute(
        "select item9 from assessments where user_id = ? and kind = ? and day <= ? "
        "order by day desc, id desc limit 1",
        [user_id, kind, end],
    ).fetchone()
    return latest[0] if latest else None


def latest_day(db, user_id, kind):
    """The day (text) of the person's latest check-up of `kind`, or None."""
    return db.execute(
        "select max(day) from assessments where user_id = ? and kind = ?", [user_id, kind]
    ).fetchone()[0]


def taken_on_day(db, user_id, kind, day):
    """(how many check-ups of `kind` the person has dated `day` (text), the latest one's (the
    one that counts) answer to the safety item, PHQ-9 item 9, or None)."""
    return db.execute(
        "select count(*), (select item9 from assessments "
        "where user_id = ? and kind = ? and day = ? order by id desc limit 1) "
        "from assessments where user_id = ? and kind = ? and day = ?",
        [user_id, kind, day] * 2,
    ).fetchone()


def counts(db, user_id):
    """{kind: how many check-ups of that kind the person has}, for the kinds they have."""
    return dict(
        db.execute(
            "select kind, count(*) from assessments where user_id = ? group by kind", [user_id]
        )
    )


def newest(db, user_id, kind=None, limit=None, offset=None):
    """The person's check-ups (of one kind, or all), newest first (`limit` of them from
    `offset`, when given)."""
    where, params = "user_id = ?", [user_id]
    if kind is not None:
        where, params = where + " and kind = ?", [*params, kind]
    return list(
        db["assessments"].rows_where(
            where, params, order_by="day desc, id desc", limit=limit, offset=offset
        )
    )


def previous(db, user_id, kind, day, assessment_id):
    """The person's check-up of `kind` just before the one dated `day` with id
    `assessment_id` (by day, then id), or None."""
    rows = list(
        db["assessments"].rows_where(
            "user_id = ? and kind = ? and (day < ? or (day = ? and id < ?))",
            [user_id, kind, day, day, assessment_id],
            order_by="day desc, id desc",
            limit=1,
        )
    )
    return rows[0] if rows else None


def counting_on_or_before(db, user_id, kind, day, without=None):
    """{"id", "day", "total"} of the person's check-up of `kind` that counts for the latest
    day on or before `day` (text), the later of that day's (a treatment baseline), leaving out
    the one with id `without`; or None."""
    found = db.execute(
        "select id, day, total from assessments where user_id = ? and kind = ? and day <= ? "
        "and id is not ? order by day desc, id desc limit 1",
        [user_id, kind, day, without],
    ).fetchone()
    return None if found is None else dict(zip(("id", "day", "total"), found, strict=True))


def saved_for_request_key(db, user_id, kind, key):
    """{"id", "day", "answers" (a list), "difficulty"} of the person's check-up of `kind`
    saved by the form with `key`, or None."""
    found = db.execute(
        "select id, day, answers, difficulty from assessments "
        "where user_id = ? and kind = ? and request_key = ?",
        [user_id, kind, key],
    ).fetchone()
    if found is None:
        return None
    return {
        "id": found[0],
        "day": found[1],
        "answers": json.loads(found[2]),
        "difficulty": found[3],
    }


def release_request_key(db, user_id, key):
    """Take the form key `key` off the person's check-up that holds it (if any)."""
    db.execute(
        "update assessments set request_key = null where user_id = ? and request_key = ?",
        [user_id, key],
    )


def add(db, user_id, values):
    """Store one check-up of `values` (column: value); return its id."""
    return db["assessments"].insert({**values, "user_id": user_id}).last_pk


def delete(db, user_id, assessment_id):
    """Delete the person's check-up `assessment_id`."""
    db.execute("delete from assessments where user_id = ? and id = ?", [user_id, assessment_id])


def insert_many(db, rows):
    """Insert check-ups (dicts of `assessments` columns, each with its `user_id`): the demo."""
    db["assessments"].insert_all(rows)


def oldest_first(db, user_id):
    """The person's check-ups, oldest first (answers as stored: JSON text), read one at a
    time as they are taken (an export's rows)."""
    yield from db["assessments"].rows_where("user_id = ?", [user_id], order_by="day, id")
