"""Owner checks of any table with a `user_id` column: one row of the person's own, or a
page of their rows (journal/access.py answers 404 for what is not theirs)."""


def owned_row(db, table, user_id, **where):
    """The row of `table` owned by `user_id` matching `where` (column=value), or None."""
    clauses = "".join(f" and {column} = ?" for column in where)
    rows = list(db[table].rows_where(f"user_id = ?{clauses}", [user_id, *where.values()], limit=1))
    return rows[0] if rows else None


def owned_count(db, table, user_id):
    """How many rows of `table` `user_id` owns."""
    return db[table].count_where("user_id = ?", [user_id])


def owned_rows(db, table, user_id, order_by, limit, offset):
    """A slice of the rows of `table` owned by `user_id`, in `order_by` order."""
    return list(
        db[table].rows_where(
            "user_id = ?", [user_id], order_by=order_by, limit=limit, offset=offset
        )
    )
