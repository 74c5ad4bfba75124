"""The schema, as sqlite-utils `Migrations`: append-only, never edited once released.

Flask-free, so the CLI, the app factory, tests and benchmarks all migrate the
same way. Times are stored in UTC as ISO 8601 text; `day` columns hold the
person's local date (YYYY-MM-DD).
"""

from sqlite_utils.migrations import Migrations

migrations = Migrations("journal")


@migrations()
def m001_users(db):
    db.execute(
        """
        create table users (
            id integer primary key,
            email text not null unique collate nocase,
            password_hash text not null,
            display_name text not null default '',
            timezone text not null default 'UTC',
            role text not null default 'patient' check (role in ('patient', 'therapist')),
            created_at text not null
        )
        """
    )


@migrations()
def m002_login_failures(db):
    # One row per failed log-in; counted over a sliding window by account and by address.
    db.execute(
        """
        create table login_failures (
            id integer primary key,
            email text not null collate nocase,
            address text not null,
            at real not null
        )
        """
    )
    db.execute("create index login_failures_email on login_failures (email, at)")
    db.execute("create index login_failures_address on login_failures (address, at)")


@migrations()
def m003_checkins(db):
    db.execute(
        """
        create table checkins (
            id integer primary key,
            user_id integer not null references users (id) on delete cascade,
            day text not null,
            mood integer not null check (mood between 0 and 10),
            anxiety integer check (anxiety between 0 and 10),
            energy integer check (energy between 0 and 10),
            sleep_hours real check (sleep_hours between 0 and 24),
            tags text not null default '',
            reflection text not null default '',
            private integer not null default 0,
            self_harm integer,
            created_at text not null,
            updated_at text not null,
            unique (user_id, day)
        )
        """
    )


def migrate(db):
    """Apply pending migrations; return the names applied.

    Runs under an immediate transaction so that gunicorn workers starting at
    once take turns: the second finds nothing left to do.
    """
    db.enable_wal()
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")
    return pending
