"""People: the `users` table, and `login_failures` (failed log-ins, by email and address)."""

from sqlite_utils.db import NotFoundError

from . import reviews, tokens
from .addresses import email_key


class AccountGone(Exception):
    """The signed-in person's account is gone midway through a request (deleted on another
    device since the request read who sent it): raised by the code that finds no row of
    theirs, answered by journal/people.py (`account_gone_meanwhile`)."""


# Users


def by_id(db, user_id):
    """The `users` row of `user_id`, or None."""
    rows = list(db["users"].rows_where("id = ?", [user_id], limit=1))
    return rows[0] if rows else None


def may_sign_in(db, user_id, password_hash=None, passkey_id=None):
    """Whether `user_id` may be signed in now: the account is there and active, its password
    hash is still `password_hash` (when given: the one a password was checked against), and
    the passkey `passkey_id` (when given) is still theirs."""
    found = db.execute(
        "select 1 from users where id = :u and deactivated_at is null "
        "and (:h is null or password_hash = :h) "
        "and (:p is null or exists (select 1 from passkeys where id = :p and user_id = :u))",
        {"u": user_id, "h": password_hash, "p": passkey_id},
    )
    return found.fetchone() is not None


def other_active_admins(db, user_id):
    """How many active admins there are besides `user_id`."""
    found = db.execute(
        "select count(*) from users where role = 'admin' and deactivated_at is null and id != ?",
        [user_id],
    )
    return found.fetchone()[0]


def by_email(db, email):
    """The `users` row for `email` (any case), or None."""
    rows = list(db["users"].rows_where("email = ?", [email_key(email)], limit=1))
    return rows[0] if rows else None


def by_calendar_secret_hash(db, secret_hash):
    """The `users` row whose calendar feed secret hashes to `secret_hash`, or None."""
    rows = list(db["users"].rows_where("calendar_secret_hash = ?", [secret_hash], limit=1))
    return rows[0] if rows else None


def insert(db, row):
    """Add a person (a dict of `users` columns); return their id.

    Raises sqlite3.IntegrityError when the email is taken (any case).
    """
    return db["users"].insert({**row, "email": email_key(row["email"])}).last_pk


def update(db, user_id, values):
    """Set the given `users` columns of `user_id` (none: change nothing); False when there is
    no such account (deleted since it was read: sqlite-utils finds no row to update)."""
    try:
        db["users"].update(user_id, values)
    except NotFoundError:
        return False
    return True


def set_calendar_secret(db, user_id, secret_hash, request_key=None):
    """Store the calendar feed's `secret_hash` (None turns the feed off) and the key of the
    form that made it; any earlier secret stops working, and so does its form's key. False when
    there is no such account."""
    return update(
        db, user_id, {"calendar_secret_hash": secret_hash, "calendar_request_key": request_key}
    )


def set_password_hash(db, user_id, password_hash):
    """Store a new password hash for `user_id`."""
    db.execute("update users set password_hash = ? where id = ?", [password_hash, user_id])


def set_deactivated(db, user_id, at):
    """Deactivate `user_id` at `at` (ISO text), or reactivate them (`at` None)."""
    db.execute("update users set deactivated_at = ? where id = ?", [at, user_id])


def note_signin(db, user_id, at):
    """Note the time of `user_id`'s latest sign-in (for the admin's list of accounts)."""
    db.execute("update users set last_signin_at = ? where id = ?", [at, user_id])


def delete_by_email(db, email):
    """Delete the person with `email` (the schema cascades to their rows)."""
    db.execute("delete from users where email = ?", [email_key(email)])


def delete_everything_of(db, user_id, email, failure_keys=()):
    """Delete every row of the person: each table's rows that carry their `user_id`, the
    failed log-ins counted under their email or any of `failure_keys` (wrong two-factor
    codes are counted under a key of their own), the invitations addressed to their email,
    and the `users` row. The caller wraps this in one transaction."""
    tables = [
        name for name in db.table_names() if name != "users" and "user_id" in db[name].columns_dict
    ]
    # The schema cascades from `users`; deleting by user_id first also covers a table
    # whose foreign key was ever declared without the cascade.
    for table in tables:
        db.execute(f"delete from [{table}] where user_id = ?", [user_id])  # noqa: S608
    # The caseload's reviews and notices name people as therapist_id and patient_id.
    reviews.forget_person(db, user_id)
    for key in (email, *failure_keys):
        clear_failures(db, key)
    tokens.forget_invitations_to(db, email)
    # The links they handed out (invitations, reset links for others) go with them, as with a
    # deactivated account: the schema would keep them open, made by no one.
    tokens.forget_made_by(db, user_id)
    db.execute("delete from users where id = ?", [user_id])


# Erasures (migration m041): a few minutes' note of a deletion form that erased an account,
# and the erased account's sign-ins, each as long as it would have lasted (its token's hash
# and the device queue tag: nothing of the person).


def note_erasure(db, key_hash, forget_owner, expires_at, now):
    """Note that the deletion form whose request key hashes to `key_hash` erased the account
    whose device queue tag is `forget_owner`, until `expires_at`; drop the notes run out."""
    forget_erasures_before(db, now)
    db.execute(
        "insert or replace into erasures (key_hash, forget_owner, expires_at) values (?, ?, ?)",
        [key_hash, forget_owner, expires_at],
    )


def note_signins_erased(db, user_id, forget_owner, now):
    """Note that the live sign-ins of `user_id` (by the SHA-256 of their tokens, as stored)
    belonged to the account erased now, whose device queue tag is `forget_owner`, each until
    it would have run out (its `expires_at`): a device still holding one's cookie is told to
    forget the person's drafts and queue. Called before the sign-ins go with the account."""
    db.execute(
        "insert or replace into erasures (key_hash, forget_owner, expires_at) "
        "select token_hash, ?, expires_at from signins where user_id = ? and expires_at > ?",
        [forget_owner, user_id, now],
    )


def erased_by(db, key_hash, now):
    """The queue tag of the account the deletion form of `key_hash` (or the sign-in whose
    token hashes to it) erased, if noted and not run out by `now`; else None."""
    row = db.execute(
        "select forget_owner from erasures where key_hash = ? and expires_at > ?", [key_hash, now]
    ).fetchone()
    return row[0] if row else None


def forget_erasures_before(db, now):
    """Drop the notes of erasures run out by `now`."""
    db.execute("delete from erasures where expires_at <= ?", [now])


def checkpoint_truncate(db):
    """Copy the write-ahead log into the database file and truncate it; True when busy."""
    busy, _log, _done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return bool(busy)


# Failed log-ins


def failure_times(db, column, key, since, limit):
    """The times (newest first, at most `limit`) of failed log-ins after `since` whose
    `column` ("email" or "address") is `key`."""
    if column not in ("email", "address"):
        raise ValueError(column)
    rows = db.execute(
        f"select at from login_failures where {column} = ? and at > ? "  # noqa: S608
        "order by at desc limit ?",
        [key, since, limit],
    ).fetchall()
    return [row[0] for row in rows]


def forget_failures_before(db, since):
    """Delete the failed log-ins at or before `since`."""
    db.execute("delete from login_failures where at <= ?", [since])


def add_failure(db, email, address, at):
    """Count one failed log-in."""
    db.execute(
        "insert into login_failures (email, address, at) values (?, ?, ?)",
        [email, address, at],
    )


def clear_failures(db, email):
    """Forget the failed log-ins of `email`."""
    db.execute("delete from login_failures where email = ?", [email])
