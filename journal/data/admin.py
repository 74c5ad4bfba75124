"""What the admin pages read of `users`: the accounts, never anything of their journals."""

from .addresses import email_key

# The columns an admin sees of an account: no health data, no settings of the journal.
ACCOUNT_COLUMNS = "id, email, role, created_at, last_signin_at, deactivated_at"


def _matching(query):
    """The `where` clause and its parameters for accounts whose email holds `query`."""
    if not query:
        return "1 = 1", []
    # Stored addresses are in email_key's form; LIKE ignores the case of A-Z only.
    escaped = email_key(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "email like ? escape '\\'", [f"%{escaped}%"]


def count_accounts(db, query=""):
    """How many accounts' emails hold `query` (any case; all accounts for "")."""
    where, params = _matching(query)
    (count,) = db.execute(f"select count(*) from users where {where}", params).fetchone()  # noqa: S608
    return count


def accounts(db, query, limit, offset):
    """The accounts whose emails hold `query`, oldest first, `limit` from `offset`: dicts of
    ACCOUNT_COLUMNS."""
    where, params = _matching(query)
    found = db.execute(
        f"select {ACCOUNT_COLUMNS} from users where {where} "  # noqa: S608
        "order by id limit ? offset ?",
        [*params, limit, offset],
    )
    columns = [d[0] for d in found.description]
    return [dict(zip(columns, row, strict=True)) for row in found.fetchall()]


def account(db, user_id):
    """One account (ACCOUNT_COLUMNS), or None."""
    found = db.execute(
        f"select {ACCOUNT_COLUMNS} from users where id = ?",  # noqa: S608
        [user_id],
    )
    row = found.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in found.description], row, strict=True))
