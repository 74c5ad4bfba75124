"""The SQLite database: one sqlite-utils `Database` per request, and the data CLI commands."""

import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import click
from flask import abort, current_app, g, request
from flask.cli import with_appcontext

from .data import connect, copy_checked, immediate_transaction
from .migrations import migrate


def get_db():
    """The request's database: this thread's connection, opened on first use and kept.

    Opening a connection and setting its pragmas cost more than a small request's own
    queries, so each worker thread keeps one connection to the app's database across
    requests (`close_db` ends any transaction a request left open, and closes nothing).
    Keeping it open also keeps SQLite's WAL file in place: the last connection to close
    checkpoints and deletes the log, which with a connection per request cost several fsyncs
    on almost every request. Keyed by process too, since a connection must not cross a fork.
    """
    if "db" not in g:
        g.db = _thread_connection(current_app.config["DATABASE"])
    return g.db


_threads = threading.local()


def _thread_connection(path):
    """This thread's connection to `path`; one to another file (a test's) is closed first."""
    kept = getattr(_threads, "kept", None)
    if kept is not None and kept[0] == (os.getpid(), path):
        return kept[1]
    if kept is not None and kept[0][0] == os.getpid():
        kept[1].close()
    db = connect(path, serving=True)
    db.opened_file = file_identity(path)
    _threads.kept = ((os.getpid(), path), db)
    return db


def file_identity(path):
    """Which file `path` names now: its device and inode, or None when it names none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def serves_its_file():
    """Whether the app's database path still names the file the request's connection opened.

    A database file deleted or moved under a running server stays open, and readable, to the
    connections that hold it (SQLite keeps the unlinked file's inode): every query still
    answers, from a file no one will ever back up, and the next worker to start opens a new,
    empty one. One `os.stat`: cheap enough for /healthz, which a probe asks every few seconds.
    """
    db = get_db()
    opened = getattr(db, "opened_file", None)
    return opened is not None and file_identity(current_app.config["DATABASE"]) == opened


def forget_connections():
    """Close this thread's kept connection (before a database file is replaced or deleted)."""
    kept = getattr(_threads, "kept", None)
    _threads.kept = None
    if kept is not None and kept[0][0] == os.getpid():
        kept[1].close()


PAGE_NUMBER = re.compile(r"[0-9]{1,9}")

# Paging a list (History, Sessions, Check-ups, the caseload's history of a patient, the admin's
# accounts): ENTRIES_PER_PAGE rows a page, the request's `?page=N`, one page at least.


def per_page():
    """How many rows a page of a list holds (ENTRIES_PER_PAGE)."""
    return current_app.config["ENTRIES_PER_PAGE"]


def pages_for(total):
    """How many pages a list of `total` rows fills: one at least (an empty list's)."""
    return max(1, -(-total // per_page()))


def requested_page():
    """The request's `?page=N` (1 when not given) as a number, or None when it names no page.

    Only ASCII digits name a page: "abc", "-1", "", "1_0", "٢" (which int() would read as 2)
    or a 30-digit number is no page, never a 500.
    """
    text = request.args.get("page", "1")
    return int(text) if PAGE_NUMBER.fullmatch(text) else None


def page_of(total):
    """(page, pages, offset) for the request's `?page=N` of a list of `total` rows, newest
    first, `per_page()` a page (take `limit=` that, `offset=` the offset); 404 for a page
    that is not there (`requested_page`: no page at all, or one past the last).
    """
    pages = pages_for(total)
    page = requested_page()
    if page is None or not 1 <= page <= pages:
        abort(404)
    return page, pages, (page - 1) * per_page()


class Page(NamedTuple):
    """One page of a person's list (`access.owned_page`): its rows, its number, how many pages and
    rows there are, and how many rows come before it."""

    rows: list
    page: int
    pages: int
    total: int
    offset: int


@contextmanager
def write_transaction():
    """One transaction that holds the write lock from its start.

    Two requests with the same key then take turns: the second sees the first one's key. (A
    deferred transaction would read first and fail at its first write instead.)
    """
    with immediate_transaction(get_db()) as db:
        yield db


def close_db(exc=None):
    """End the request's use of its database: a transaction it left open is rolled back (a
    write is committed by `write_transaction`, never by the end of a request)."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


def init_app(app):
    """Migrate the database at start-up and register teardown and CLI commands.

    Not when the app is loaded for another `flask` command: `backup` must copy the database
    as it is (a copy taken before an upgrade has to be the old schema), and `init-db` reports
    what it applied. `flask run` serves, so it migrates as gunicorn does: on a database with
    no tables, sqlite-utils would otherwise make them, wrongly, from the first insert.
    """
    Path(app.config["DATABASE"]).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    command = click.get_current_context(silent=True)
    if command is None or command.info_name == "run":
        db = connect(app.config["DATABASE"])
        try:
            migrate(db)
        finally:
            db.close()
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
    app.cli.add_command(backup_command)


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the schema. Never deletes data."""
    where = current_app.config["DATABASE"]
    try:
        db = connect(where)
        try:
            applied = migrate(db)
        finally:
            db.close()
    except sqlite3.Error as error:  # "unable to open database file" named no file
        raise click.ClickException(
            f"Cannot use the database {where}: {error}. Check JOURNAL_DATABASE (or "
            "instance/config.py), and that this account may write to the file and its folder."
        ) from None
    if applied:
        click.echo(f"Applied {len(applied)} migration(s) to {where}: {', '.join(applied)}")
    else:
        click.echo(f"Database {where} is up to date.")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup_command(path, force):
    """Copy the database to PATH while the app keeps running (SQLite's online backup API)."""
    database = Path(current_app.config["DATABASE"])
    if not database.is_file():  # connecting would make an empty one, and back that up "ok"
        raise click.ClickException(
            f"There is no database at {database}: check JOURNAL_DATABASE (or "
            "instance/config.py). Nothing was backed up."
        )
    # The database's own files: SQLite keeps its -wal beside the file a link points to.
    live = {
        Path(f"{name}{end}").resolve()
        for name in (database, database.resolve())
        for end in ("", "-wal", "-shm", "-journal")
    }
    if path.resolve() in live or (path.exists() and path.samefile(database)):
        raise click.ClickException(f"{path} is the database itself; back it up elsewhere.")
    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists; pass --force to overwrite it.")
    if not path.parent.is_dir():
        raise click.ClickException(f"The folder {path.parent} does not exist.")
    tmp = path.with_name(path.name + ".partial")
    # Patients' journals: only the owner may read the copy, whatever the umask. The file is
    # made 0600 before SQLite writes to it (SQLite gives its journal the same mode).
    try:
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)
        os.close(fd)
    except OSError as error:  # a folder it may not write to
        raise click.ClickException(f"Cannot write {tmp}: {error.strerror}.") from None
    source = connect(database)
    try:
        problems = copy_checked(source, tmp)
    except sqlite3.Error as error:  # a full disk, say: no half copy is left behind
        tmp.unlink(missing_ok=True)
        raise click.ClickException(f"The copy failed: {error}. Nothing was backed up.") from None
    finally:
        source.close()
    if problems != "ok":
        tmp.unlink()
        raise click.ClickException(f"The copy failed its integrity check: {problems}")
    tmp.replace(path)
    click.echo(f"Backed up {current_app.config['DATABASE']} to {path} (integrity check: ok).")
