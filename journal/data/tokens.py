"""One-time links (`tokens`): an admin's invitations to register and password-reset links.

Only a token's hash is stored. Times are ISO 8601 UTC text (as `clock.utcnow_iso()` writes
them), so they compare as text.
"""

import hashlib

from .addresses import email_key


def token_hash(token):
    """What is stored of a random token (a sign-in's, a reset link's, a share link's, a calendar
    feed's secret, a form's request key): its SHA-256 hex digest."""
    return hashlib.sha256(token.encode()).hexdigest()


def insert(db, row):
    """Record a one-time link (a dict of `tokens` columns); return its id."""
    return db["tokens"].insert(row).last_pk


def by_request_key(db, kind, created_by, request_key):
    """The `tokens` row of `kind` that `created_by`'s form with `request_key` made, or None
    (used, retired or expired alike)."""
    rows = list(
        db["tokens"].rows_where(
            "kind = ? and created_by = ? and request_key = ?",
            [kind, created_by, request_key],
            limit=1,
        )
    )
    return rows[0] if rows else None


def by_hash(db, kind, token_hash):
    """The `tokens` row of `kind` whose token hashes to `token_hash`, or None (used or not,
    expired or not: the caller says which)."""
    rows = list(db["tokens"].rows_where("kind = ? and hash = ?", [kind, token_hash], limit=1))
    return rows[0] if rows else None


def use(db, token_id, token_hash, at):
    """Mark the link used at `at`; True only for the one call that found it unused, still
    under `token_hash` and not expired (two requests racing with one link: one wins; a link
    retired or replaced since it was looked up is not spent, see `forget_resets_of`)."""
    found = db.execute(
        "update tokens set used_at = ? "
        "where id = ? and hash = ? and used_at is null and expires_at > ?",
        [at, token_id, token_hash, at],
    )
    return found.rowcount == 1


def forget_resets_of(db, user_id, keep_since=None, keep_admins=False):
    """Retire every unused reset link of `user_id` (a new one replaces the old), but an
    admin's (`clears_two_factor`) with `keep_admins`.

    One made after `keep_since` keeps its row, with a hash no token has (a SHA-256 is
    64 hex digits), so that `resets_made_since` still counts it; older ones (all of them
    without `keep_since`) are deleted.
    """
    which = (
        "kind = 'reset' and user_id = ? and used_at is null and (? = 0 or clears_two_factor = 0)"
    )
    db.execute(
        f"delete from tokens where {which} and (? is null or created_at <= ?)",  # noqa: S608 (a constant clause)
        [user_id, int(keep_admins), keep_since, keep_since],
    )
    db.execute(
        f"update tokens set hash = 'retired:' || id where {which} and hash not like 'retired:%'",  # noqa: S608
        [user_id, int(keep_admins)],
    )


def forget_made_by(db, user_id):
    """Retire every unused link `user_id` made: its invitations are deleted, its reset links
    for others kept with a hash no token has (so that `resets_made_since` still counts them)."""
    db.execute(
        "delete from tokens where kind = 'invitation' and created_by = ? and used_at is null",
        [user_id],
    )
    db.execute(
        "update tokens set hash = 'retired:' || id "
        "where kind = 'reset' and created_by = ? and used_at is null and hash not like 'retired:%'",
        [user_id],
    )


def resets_made_since(db, user_id, since):
    """How many reset links were made for `user_id` after `since` (used, retired or open)."""
    found = db.execute(
        "select count(*) from tokens where kind = 'reset' and user_id = ? and created_at > ?",
        [user_id, since],
    )
    return found.fetchone()[0]


def forget(db, kind, token_hash):
    """Delete the link of `kind` whose token hashes to `token_hash` (one never handed out)."""
    db.execute("delete from tokens where kind = ? and hash = ?", [kind, token_hash])


def open_invitations(db, now):
    """The invitations neither used nor expired at `now`, newest first: dicts of `id`,
    `email`, `role`, `created_at`, `expires_at`, `created_by_email` and `holder_role`: the
    role of an account the invited address has now (made since, by another road: this
    invitation can never make one), else None. The address is matched as accounts are
    looked up (email_key), here, not in SQL: NOCASE folds only A-Z, so an invitation to
    "Émile@…" missed the account "émile@…"."""
    found = db.execute(
        "select t.id, t.email, t.role, t.created_at, t.expires_at, u.email as created_by_email "
        "from tokens t left join users u on u.id = t.created_by "
        "where t.kind = 'invitation' and t.used_at is null and t.expires_at > ? "
        "order by t.created_at desc, t.id desc",
        [now],
    )
    columns = [d[0] for d in found.description]
    rows = [dict(zip(columns, row, strict=True)) for row in found.fetchall()]
    keys = sorted({email_key(row["email"]) for row in rows if row["email"]})
    holders = {}
    if keys:
        marks = ", ".join("?" * len(keys))
        found = db.execute(f"select email, role from users where email in ({marks})", keys)  # noqa: S608 (placeholders only)
        holders = dict(found.fetchall())
    for row in rows:
        row["holder_role"] = holders.get(email_key(row["email"])) if row["email"] else None
    return rows


def withdraw_invitation(db, token_id, now):
    """Delete the invitation `token_id` if it is open at `now` (neither used nor expired), so
    its link stops working: its `email` and `role`, or None when it was not open."""
    found = db.execute(
        "delete from tokens where id = ? and kind = 'invitation' and used_at is null "
        "and expires_at > ? returning email, role",
        [token_id, now],
    ).fetchone()
    return {"email": found[0], "role": found[1]} if found else None


def closed_invitation(db, token_id):
    """What became of the invitation `token_id`, one no longer open: "used", "expired", or
    "withdrawn" when its row is gone (withdrawn, or retired with its admin's account)."""
    found = db.execute(
        "select used_at from tokens where id = ? and kind = 'invitation'", [token_id]
    ).fetchone()
    if found is None:
        return "withdrawn"
    return "used" if found[0] else "expired"


def forget_invitations_to(db, email):
    """Delete the invitations addressed to `email` in any case or Unicode form, used or not
    (an erased account's address must not stay behind in them). Compared here, not in SQL:
    SQLite's lower() folds only A-Z, so an invitation to "Émile@…" outlived "émile@…"."""
    wanted = email_key(email)
    found = db.execute("select id, email from tokens where kind = 'invitation' and email != ''")
    ids = [token_id for token_id, to in found.fetchall() if to and email_key(to) == wanted]
    for token_id in ids:
        db.execute("delete from tokens where id = ?", [token_id])
