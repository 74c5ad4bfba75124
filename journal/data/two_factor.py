"""Two-factor sign-in (issue 9): the `two_factor` table (a person's TOTP secret and the last
time step accepted) and `recovery_codes` (only each code's hash). The logic is
journal/two_factor.py."""


def of(db, user_id):
    """The `two_factor` row of `user_id` (two-factor is on), or None."""
    rows = list(db["two_factor"].rows_where("user_id = ?", [user_id], limit=1))
    return rows[0] if rows else None


def enabled_ids(db, user_ids):
    """The ids among `user_ids` whose two-factor is on, as a set."""
    ids = [int(i) for i in user_ids]
    if not ids:
        return set()
    marks = ", ".join("?" for _ in ids)
    query = f"select user_id from two_factor where user_id in ({marks})"  # noqa: S608 - marks only
    found = db.execute(query, ids)
    return {row[0] for row in found.fetchall()}


def turn_on(db, user_id, secret, at, step, code_hashes):
    """Store `user_id`'s secret (the confirming code's time `step` already spent) and new
    recovery codes, replacing any earlier ones."""
    turn_off(db, user_id)
    db["two_factor"].insert(
        {"user_id": user_id, "secret": secret, "enabled_at": at, "last_step": step}
    )
    replace_codes(db, user_id, code_hashes)


def turn_off(db, user_id):
    """Forget `user_id`'s secret and recovery codes."""
    db.execute("delete from recovery_codes where user_id = ?", [user_id])
    db.execute("delete from two_factor where user_id = ?", [user_id])


def spend_step(db, user_id, step):
    """Record `step` as `user_id`'s last accepted time step; False (nothing changed) when it
    or a later one was accepted already (a replayed code; two requests racing: one wins)."""
    found = db.execute(
        "update two_factor set last_step = ? "
        "where user_id = ? and (last_step is null or last_step < ?)",
        [step, user_id, step],
    )
    return found.rowcount == 1


def replace_codes(db, user_id, code_hashes, request_key=None):
    """Replace `user_id`'s recovery codes with the codes hashing to `code_hashes`, made by the
    form of `request_key` (None: not by the new-codes form)."""
    db.execute(
        "update two_factor set codes_request_key = ? where user_id = ?", [request_key, user_id]
    )
    db.execute("delete from recovery_codes where user_id = ?", [user_id])
    db["recovery_codes"].insert_all(
        [{"user_id": user_id, "hash": h, "used_at": None} for h in code_hashes]
    )


def spend_code(db, user_id, code_hash, at):
    """Mark `user_id`'s unused recovery code hashing to `code_hash` used at `at`; True only
    for the one call that found it unused."""
    found = db.execute(
        "update recovery_codes set used_at = ? "
        "where id = (select id from recovery_codes "
        "where user_id = ? and hash = ? and used_at is null limit 1)",
        [at, user_id, code_hash],
    )
    return found.rowcount == 1


def codes_left(db, user_id):
    """How many of `user_id`'s recovery codes are unused."""
    found = db.execute(
        "select count(*) from recovery_codes where user_id = ? and used_at is null", [user_id]
    )
    return found.fetchone()[0]
