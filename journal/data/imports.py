"""Imports parked between upload and confirm (`pending_imports`): at most one a person.

A parked import's `rows` are JSON text, as stored; callers decode them.
"""


def drop_older_than(db, user_id, cutoff):
    """Forget the person's parked imports created before `cutoff` (ISO 8601 text)."""
    db.execute(
        "delete from pending_imports where user_id = ? and created_at < ?", [user_id, cutoff]
    )


def replace(db, pending):
    """Park `pending` (a row: id, user_id, filename, source, rows, created_at) in place of the
    person's earlier import, if any. Run it inside the caller's transaction."""
    db.execute("delete from pending_imports where user_id = ?", [pending["user_id"]])
    db["pending_imports"].insert(pending)


def delete(db, user_id, import_id):
    """Drop the person's parked import: True, or False when it was no longer parked."""
    cursor = db.execute(
        "delete from pending_imports where id = ? and user_id = ?", [import_id, user_id]
    )
    return cursor.rowcount > 0
