"""Imports parked between upload and confirm (`pending_imports`): at most one a person.

A parked import's `rows` are JSON text, as stored; callers decode them.
"""

from datetime import timedelta

# A parked import holds unsaved words, private ones too: it lasts a day.
LIFETIME = timedelta(days=1)


def drop_stale(db, now):
    """Forget every parked import created more than LIFETIME before `now` (an aware
    datetime), whoever's: the import pages do it for what they show, sign-ins and sign-outs
    so that one nobody came back to is not kept however long its owner stays away (found by
    the index on created_at)."""
    cutoff = (now - LIFETIME).isoformat(timespec="seconds")
    db.execute("delete from pending_imports where created_at < ?", [cutoff])


def replace(db, pending):
    """Park `pending` (a row: id, user_id, filename, source, rows, created_at) in place of the
    person's earlier import, if any. Run it inside the caller's transaction."""
    db.execute("delete from pending_imports where user_id = ?", [pending["user_id"]])
    db["pending_imports"].insert(pending)


def waiting(db, user_id):
    """The person's parked import (its id and filename), or None."""
    row = db.execute(
        "select id, filename from pending_imports where user_id = ?", [user_id]
    ).fetchone()
    return None if row is None else {"id": row[0], "filename": row[1]}


def delete(db, user_id, import_id):
    """Drop the person's parked import: True, or False when it was no longer parked."""
    cursor = db.execute(
        "delete from pending_imports where id = ? and user_id = ?", [import_id, user_id]
    )
    return cursor.rowcount > 0
