"""Afterglow's data layer: every SQL statement of the app lives in this package.

One module per table family. Each is plain functions that take a sqlite-utils `Database`
first and return dicts (or lists of dicts, or a scalar), in the manner of sqlite-utils and
Datasette: no ORM, no repository classes, no Flask. Views fetch with these functions, call
the pure modules (`windows`, `instruments`, `charts`), and respond. Every function that reads
a person's health data takes that person's id and scopes its query to it. Writes that must be
atomic are wrapped by the caller in `journal.db.write_transaction`; functions here never
commit on their own unless their name says so. The schema itself is `journal/migrations.py`.
"""

import os
import sqlite3
import stat
from collections import OrderedDict
from contextlib import contextmanager

from sqlite_utils import Database

BUSY_TIMEOUT_MS = 5000


class ServingDatabase(Database):
    """sqlite-utils' `Database` for a connection that serves requests: the names of the
    schema's tables and views are read once, not two or three times for every table a
    request touches (sqlite-utils asks `sqlite_master` whether a table is a view and whether
    it exists before each read). The schema changes only in `journal.migrations.migrate`,
    which runs before the app serves, on a connection of its own; it only ever adds tables.
    """

    def table_names(self, fts4=False, fts5=False):
        if fts4 or fts5:
            return super().table_names(fts4=fts4, fts5=fts5)
        if not hasattr(self, "_table_names"):
            self._table_names = super().table_names()
        return self._table_names

    def view_names(self):
        if not hasattr(self, "_view_names"):
            self._view_names = super().view_names()
        return self._view_names

    # How many derived results a connection remembers (see `remembered`).
    REMEMBERED_MAX = 64

    def remembered(self, key, compute):
        """compute(), or what it gave before for the same `key`: a result derived from this
        database, remembered by the connection that read it (one per worker thread and
        database file) under a key that holds everything it depends on, such as the change
        counts of the tables it reads (`data.progress.change_counts`). A write anywhere moves
        those counts, so a stale result is never found; the least recently used of
        REMEMBERED_MAX results is forgotten first."""
        if not hasattr(self, "_remembered"):
            self._remembered = OrderedDict()
        if key in self._remembered:
            self._remembered.move_to_end(key)
            return self._remembered[key]
        result = compute()
        self._remembered[key] = result
        if len(self._remembered) > self.REMEMBERED_MAX:
            self._remembered.popitem(last=False)
        return result


def connect(path, serving=False):
    """Open `path` with the settings every connection needs.

    WAL lets readers and one writer work at once across gunicorn workers;
    synchronous=FULL makes an acknowledged save survive a power cut; the busy
    timeout makes a writer wait its turn instead of failing; secure_delete
    overwrites deleted text rather than leaving it in free pages. `serving`: a connection
    that serves requests (see `ServingDatabase`).
    """
    made_private(path)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")
    return (ServingDatabase if serving else Database)(conn, execute_plugins=False)


def made_private(path):
    """Create the database file at `path`, readable by its owner alone, if there is none yet:
    SQLite would make it with the umask's mode (0644 for most: anyone on the machine could
    read the journals), and gives its -wal and -shm files the database's own mode.

    A database there already (one made before this rule, or copied back with `cp`) that others
    may read or write is made its owner's alone too, with its -wal and -shm."""
    if str(path) == ":memory:":
        return
    # A link's file, which SQLite opens and keeps the -wal and -shm beside: made here when
    # the link names none yet (O_EXCL would not follow the link, and SQLite made it 0644).
    real = os.path.realpath(path)
    try:
        fd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for name in (real, f"{real}-wal", f"{real}-shm"):
            try:
                mode = os.stat(name).st_mode
                if mode & 0o077:
                    os.chmod(name, stat.S_IMODE(mode) & 0o700)
            except OSError:  # not there, or another account's: SQLite says what it can't do
                pass
        return
    except OSError:  # no folder to make it in: SQLite says so
        return
    os.close(fd)


@contextmanager
def immediate_transaction(db):
    """One transaction on `db` that holds the write lock from its start; yields `db`.

    Two writers with the same request key then take turns: the second sees the first one's
    key (a deferred transaction would read first and fail at its first write instead).
    Inside a transaction already, it nests as a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("begin immediate")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.execute("commit")


def copy_checked(db, path):
    """Copy `db` into the file at `path` with SQLite's online backup; the copy's integrity
    check answer ("ok" when sound)."""
    target = sqlite3.connect(path)
    try:
        db.conn.backup(target)
        return target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
