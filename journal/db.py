"""The SQLite database: one sqlite-utils `Database` per request, and the data CLI commands."""

import os
import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import click
from flask import abort, current_app, g, request
from flask.cli import with_appcontext
from flask_login import current_user
from sqlite_utils import Database

from .migrations import migrate

BUSY_TIMEOUT_MS = 5000


def connect(path):
    """Open `path` with the settings every connection needs.

    WAL lets readers and one writer work at once across gunicorn workers;
    synchronous=FULL makes an acknowledged save survive a power cut; the busy
    timeout makes a writer wait its turn instead of failing; secure_delete
    overwrites deleted text rather than leaving it in free pages.
    """
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")
    return Database(conn, execute_plugins=False)


def get_db():
    """The request's database, opened on first use."""
    if "db" not in g:
        _keep_open(current_app)
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def _keep_open(app):
    """Hold one idle connection per worker process.

    In WAL mode the last connection to close checkpoints the log and deletes
    it: with one connection per request that would happen on almost every
    request, costing several fsyncs. An idle reader that stays open makes every
    request's close cheap; SQLite still checkpoints on its own schedule. Opened
    in the worker (keyed by pid) because a connection must not cross a fork.
    """
    path = app.config["DATABASE"]
    keeper = app.extensions.get("journal_keeper")
    if keeper is None or keeper[0] != (os.getpid(), path):
        conn = sqlite3.connect(path, check_same_thread=False)
        conn.execute("select count(*) from sqlite_master").fetchone()
        app.extensions["journal_keeper"] = ((os.getpid(), path), conn)


def owned_or_404(table, **where):
    """The signed-in person's row of `table` matching `where` (column=value), or 404.

    Every lookup names its owner: someone else's record is a 404, never a 403 that would
    confirm it exists.
    """
    clauses = "".join(f" and {column} = ?" for column in where)
    rows = list(
        get_db()[table].rows_where(
            f"user_id = ?{clauses}", [current_user.id, *where.values()], limit=1
        )
    )
    if not rows:
        abort(404)
    return rows[0]


PAGE_NUMBER = re.compile(r"[0-9]{1,9}")


def page_of(total):
    """(page, pages, offset) for the request's `?page=N` of a list of `total` rows, newest
    first, ENTRIES_PER_PAGE a page (take `limit=` that, `offset=` the offset); 404 for a page
    that is not there.

    Only ASCII digits name a page: "abc", "-1", "", "1_0", "٢" (which int() would read as 2)
    or a 30-digit number is no page, a 404 like a page past the last, never a 500.
    """
    per_page = current_app.config["ENTRIES_PER_PAGE"]
    pages = max(1, -(-total // per_page))
    text = request.args.get("page", "1")
    if not PAGE_NUMBER.fullmatch(text) or not 1 <= int(text) <= pages:
        abort(404)
    page = int(text)
    return page, pages, (page - 1) * per_page


class Page(NamedTuple):
    """One page of a person's list (`owned_page`): its rows, its number, how many pages and
    rows there are, and how many rows come before it."""

    rows: list
    page: int
    pages: int
    total: int
    offset: int


def owned_page(table, order_by):
    """The signed-in person's rows of `table` on the request's `?page=N`, in `order_by` order
    (newest first), as a `Page`; 404 for a page that is not there (see `page_of`).

    The one way History, Sessions and the like count and fetch a page, so every list pages
    alike.
    """
    db = get_db()
    total = db[table].count_where("user_id = ?", [current_user.id])
    page, pages, offset = page_of(total)
    rows = db[table].rows_where(
        "user_id = ?",
        [current_user.id],
        order_by=order_by,
        limit=current_app.config["ENTRIES_PER_PAGE"],
        offset=offset,
    )
    return Page(list(rows), page, pages, total, offset)


@contextmanager
def write_transaction():
    """One transaction that holds the write lock from its start.

    Two requests with the same key then take turns: the second sees the first one's key. (A
    deferred transaction would read first and fail at its first write instead.)
    """
    db = get_db()
    if db.conn.in_transaction:  # already inside one (nothing here does that today): nest
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


def close_db(exc=None):
    """Close the request's database, if it was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app):
    """Migrate the database at start-up and register teardown and CLI commands.

    Not when the app is loaded for another `flask` command: `backup` must copy the database
    as it is (a copy taken before an upgrade has to be the old schema), and `init-db` reports
    what it applied. `flask run` serves, so it migrates as gunicorn does: on a database with
    no tables, sqlite-utils would otherwise make them, wrongly, from the first insert.
    """
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
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
    db = connect(current_app.config["DATABASE"])
    try:
        applied = migrate(db)
    finally:
        db.close()
    where = current_app.config["DATABASE"]
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
    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists; pass --force to overwrite it.")
    if not path.parent.is_dir():
        raise click.ClickException(f"The folder {path.parent} does not exist.")
    tmp = path.with_name(path.name + ".partial")
    # Patients' journals: only the owner may read the copy, whatever the umask. The file is
    # made 0600 before SQLite writes to it (SQLite gives its journal the same mode).
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    os.close(fd)
    source = connect(current_app.config["DATABASE"])
    try:
        target = sqlite3.connect(tmp)
        try:
            source.conn.backup(target)
            problems = target.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            target.close()
    finally:
        source.close()
    if problems != "ok":
        tmp.unlink()
        raise click.ClickException(f"The copy failed its integrity check: {problems}")
    tmp.replace(path)
    click.echo(f"Backed up {current_app.config['DATABASE']} to {path} (integrity check: ok).")
