"""Sign-ins: the `signins` table, one row per signed-in browser (its token's hash)."""


def insert(db, row):
    """Record a sign-in (a dict of `signins` columns); return its id."""
    return db["signins"].insert(row).last_pk


def with_user(db, token_hash):
    """The sign-in whose token hashes to `token_hash`, joined with its person's `users` row
    (`signin_id`, `remember`, `seen_at`, `expires_at`, `passkey_id`, then every `users`
    column), or None."""
    found = db.execute(
        "select s.id as signin_id, s.remember, s.seen_at, s.expires_at, s.passkey_id, u.* "
        "from signins s join users u on u.id = s.user_id where s.token_hash = ?",
        [token_hash],
    )
    columns = [d[0] for d in found.description]
    row = found.fetchone()
    return None if row is None else dict(zip(columns, row, strict=True))


def touch(db, signin_id, seen_at):
    """Note the time of the sign-in's last request."""
    db.execute("update signins set seen_at = ? where id = ?", [seen_at, signin_id])


def delete(db, signin_id):
    """End one sign-in."""
    db.execute("delete from signins where id = ?", [signin_id])


def delete_by_passkey(db, user_id, passkey_id, keep):
    """End every sign-in of `user_id` that the passkey `passkey_id` made, but `keep` (the
    sign-in removing it), which no longer names it: a passkey's id is given again once it is
    the highest removed (`integer primary key`), and a passkey added later under it must not
    end this sign-in when it is removed in turn."""
    db.execute(
        "delete from signins where user_id = ? and passkey_id = ? and id != ?",
        [user_id, passkey_id, keep],
    )
    db.execute(
        "update signins set passkey_id = null where user_id = ? and passkey_id = ?",
        [user_id, passkey_id],
    )


def delete_for_user(db, user_id):
    """End every sign-in of `user_id`."""
    db.execute("delete from signins where user_id = ?", [user_id])


def live_of(db, user_id, now, idle_since=None):
    """The person's sign-ins still live at `now` (Unix time), most recently seen first: dicts
    of `id`, `remember`, `created_at`, `seen_at`, `expires_at`, `device` and `network`.
    `idle_since`: a sign-in without "Keep me signed in" last seen before this time has
    ended (None when the idle timeout is off)."""
    found = db.execute(
        "select id, remember, created_at, seen_at, expires_at, device, network from signins "
        "where user_id = ? and expires_at > ? and (remember or ? is null or seen_at >= ?) "
        "order by seen_at desc, id desc",
        [user_id, now, idle_since, idle_since],
    )
    columns = [d[0] for d in found.description]
    return [dict(zip(columns, row, strict=True)) for row in found.fetchall()]


def delete_of(db, user_id, signin_id):
    """End the person's sign-in `signin_id`; True when it was theirs and there to end."""
    return (
        db.execute(
            "delete from signins where id = ? and user_id = ?", [signin_id, user_id]
        ).rowcount
        > 0
    )


def delete_others(db, user_id, keep_id):
    """End every sign-in of the person but `keep_id`; how many ended."""
    return db.execute(
        "delete from signins where user_id = ? and id != ?", [user_id, keep_id]
    ).rowcount
