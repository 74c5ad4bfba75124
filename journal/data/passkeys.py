"""Passkeys: the `passkeys` table, one row per WebAuthn credential a person registered."""


def spend_challenge(db, challenge, expires_at, now):
    """Record `challenge` (base64url text) as answered until `expires_at` (Unix seconds), and
    forget those run out by `now`; False when it was answered before."""
    db.execute("delete from passkey_challenges where expires_at < ?", [now])
    spent = db.execute(
        "insert or ignore into passkey_challenges (challenge, expires_at) values (?, ?)",
        [challenge, expires_at],
    )
    return spent.rowcount == 1


def insert(db, row):
    """Store a passkey (a dict of `passkeys` columns); return its id."""
    return db["passkeys"].insert(row).last_pk


def of_user(db, user_id):
    """The person's passkeys, newest first: dicts of every column."""
    return list(
        db.query(
            "select * from passkeys where user_id = ? order by created_at desc, id desc",
            [user_id],
        )
    )


def credential_ids_of(db, user_id):
    """The base64url credential ids of the person's passkeys."""
    return [
        row["credential_id"]
        for row in db.query("select credential_id from passkeys where user_id = ?", [user_id])
    ]


def by_credential(db, credential_id):
    """The passkey whose base64url credential id is `credential_id`, or None."""
    rows = list(db.query("select * from passkeys where credential_id = ?", [credential_id]))
    return rows[0] if rows else None


def used(db, passkey_id, sign_count, used_at):
    """Note a sign-in with the passkey: its new counter and the time."""
    db.execute(
        "update passkeys set sign_count = ?, last_used_at = ? where id = ?",
        [sign_count, used_at, passkey_id],
    )


def rename_of(db, user_id, passkey_id, name):
    """Rename the person's passkey; whether there was one."""
    cursor = db.execute(
        "update passkeys set name = ? where id = ? and user_id = ?", [name, passkey_id, user_id]
    )
    return cursor.rowcount > 0


def forget_all(db, user_id):
    """Remove every passkey of `user_id`; how many there were."""
    return db.execute("delete from passkeys where user_id = ?", [user_id]).rowcount


def forget_added_without_two_factor(db, user_id):
    """Remove every passkey of `user_id` added while their two-factor sign-in was off; the
    removed ones, oldest first: dicts of `id`, `name` and `created_at`."""
    removed = list(
        db.query(
            "select id, name, created_at from passkeys "
            "where user_id = ? and not with_two_factor order by created_at, id",
            [user_id],
        )
    )
    db.execute("delete from passkeys where user_id = ? and not with_two_factor", [user_id])
    return removed


def delete_of(db, user_id, passkey_id):
    """Remove the person's passkey; whether there was one."""
    cursor = db.execute("delete from passkeys where id = ? and user_id = ?", [passkey_id, user_id])
    return cursor.rowcount > 0
