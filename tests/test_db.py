import gc
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import factories
import pytest
from conftest import LiveServer, free_port, make_app, wait_until_healthy
from flask import Flask

import journal
from journal import _instance_secret, create_app, windows
from journal.data import connect
from journal.demo import DEMO_EMAIL, DEMO_PASSWORD
from journal.migrations import migrate, migrations

ROOT = Path(__file__).resolve().parent.parent


def tables(path):
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    finally:
        conn.close()


def test_migrate_empty_database(tmp_path):
    db = connect(tmp_path / "new.sqlite3")
    applied = migrate(db)
    assert applied[:3] == ["m001_users", "m002_login_failures", "m003_checkins"]
    assert {"users", "checkins", "login_failures", "_sqlite_migrations"} <= set(db.table_names())
    assert migrations.pending(db) == []
    db.close()


def holding_the_write_lock(path):
    """A connection that has begun a write on `path`, a file still in rollback mode, as a
    worker migrating it first does; usable from another thread, to end it there."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("create table earlier (x)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("insert into earlier values (1)")
    return other


def test_a_worker_starting_while_another_migrates_a_new_file_waits_its_turn(tmp_path):
    # gunicorn's workers starting on a new file at once: switching it to WAL needs the lock
    # the first one holds, and SQLite answers "database is locked" at once there, never
    # waiting (a CI run lost its live server, "Worker failed to boot", to this).
    path = tmp_path / "new.sqlite3"
    first = holding_the_write_lock(path)
    done = threading.Timer(0.3, first.execute, ["COMMIT"])
    done.start()
    db = connect(path)
    try:
        applied = migrate(db)
        assert applied[0] == "m001_users"
        assert db.journal_mode == "wal"
        assert migrations.pending(db) == []
    finally:
        done.join()
        db.close()
        first.close()


def test_a_worker_gives_up_on_a_lock_held_past_its_busy_timeout(tmp_path, monkeypatch):
    # It tried again meanwhile (its pauses counted, not taken), then said what stopped it.
    pauses = []
    monkeypatch.setattr(journal.migrations, "sleep", pauses.append)
    path = tmp_path / "new.sqlite3"
    first = holding_the_write_lock(path)
    db = connect(path)
    db.conn.execute("PRAGMA busy_timeout = 100")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            migrate(db)
        assert pauses
        assert tables(path) == {"earlier"}
    finally:
        db.close()
        first.close()


def test_the_app_refuses_to_start_on_a_file_that_is_not_a_database_and_leaves_it_alone(
    tmp_path,
):
    # JOURNAL_DATABASE pointed at the wrong file: SQLite's own words, at once, and not a byte
    # of the file changed (no WAL switch, no schema written over it).
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"not a database, " * 512)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        create_app({"DATABASE": str(path), "SECRET_KEY": "start"})
    assert path.read_bytes() == b"not a database, " * 512
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite3"]


def test_addresses_stored_with_a_capital_beyond_a_to_z_are_lowered_once(tmp_path):
    # m030: stored as typed before it, such an address could not log in. One the lowered
    # form of which another account already has stays as it is (nothing is merged).
    from journal.migrations import m030_emails_in_lower_case

    db = connect(tmp_path / "emails.sqlite3")
    migrate(db)
    for email in ("Émile@Example.com", "ZOË@example.com", "zoë@example.com", "ok@example.com"):
        db.execute("insert into users (email, password_hash, created_at) values (?, 'x', 'y')",
                   [email])  # fmt: skip
    m030_emails_in_lower_case(db)
    emails = [e for (e,) in db.execute("select email from users order by id")]
    assert emails == ["émile@example.com", "ZOË@example.com", "zoë@example.com", "ok@example.com"]
    db.close()


def test_addresses_stored_decomposed_are_composed_once(tmp_path):
    # m032: "e" and an accent (NFD) is stored as "é" (NFC), as email_key looks it up; one
    # whose composed form another account already has stays as it is (nothing is merged).
    from journal.migrations import m032_emails_composed

    db = connect(tmp_path / "emails.sqlite3")
    migrate(db)
    for email in ("e\u0301mile@example.com", "zoe\u0308@example.com", "zoë@example.com"):
        db.execute("insert into users (email, password_hash, created_at) values (?, 'x', 'y')",
                   [email])  # fmt: skip
    m032_emails_composed(db)
    emails = [e for (e,) in db.execute("select email from users order by id")]
    assert emails == ["émile@example.com", "zoe\u0308@example.com", "zoë@example.com"]
    db.close()


def test_migrate_again_changes_nothing_and_keeps_data(tmp_path):
    path = tmp_path / "twice.sqlite3"
    db = connect(path)
    migrate(db)
    db["users"].insert(
        {"email": "a@example.com", "password_hash": "x", "created_at": "2026-01-01T00:00:00"}
    )
    before = db.execute("select count(*) from _sqlite_migrations").fetchone()[0]
    db.close()
    db = connect(path)
    assert migrate(db) == []
    assert db.execute("select count(*) from _sqlite_migrations").fetchone()[0] == before
    assert db["users"].count == 1
    db.close()


def test_connection_settings(tmp_path):
    db = connect(tmp_path / "p.sqlite3")
    migrate(db)
    pragma = {
        name: db.execute(f"pragma {name}").fetchone()[0]
        for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
    }
    assert pragma == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 2,
        "busy_timeout": 5000,
    }
    db.close()


def test_foreign_keys_cascade_on_user_delete(tmp_path):
    db = connect(tmp_path / "fk.sqlite3")
    migrate(db)
    uid = db["users"].insert({"email": "a@x.org", "password_hash": "x", "created_at": "t"}).last_pk
    db["checkins"].insert(
        {"user_id": uid, "day": "2026-01-01", "mood": 5, "created_at": "t", "updated_at": "t"}
    )
    db.execute("delete from users where id = ?", [uid])
    assert db["checkins"].count == 0
    with pytest.raises(sqlite3.IntegrityError):
        db["checkins"].insert(
            {"user_id": 999, "day": "2026-01-01", "mood": 5, "created_at": "t", "updated_at": "t"}
        )
    db.close()


@pytest.mark.parametrize("mood", [-1, 11])
def test_schema_refuses_out_of_range_mood(tmp_path, mood):
    db = connect(tmp_path / "c.sqlite3")
    migrate(db)
    uid = db["users"].insert({"email": "a@x.org", "password_hash": "x", "created_at": "t"}).last_pk
    with pytest.raises(sqlite3.IntegrityError):
        db["checkins"].insert(
            {
                "user_id": uid,
                "day": "2026-01-01",
                "mood": mood,
                "created_at": "t",
                "updated_at": "t",
            }
        )
    db.close()


def test_init_db_command(runner, app):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "is up to date" in result.output  # the factory already migrated at start-up


def test_init_db_on_a_fresh_file(tmp_path):
    app = make_app(tmp_path)
    app.config["DATABASE"] = str(tmp_path / "fresh.sqlite3")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "Applied" in result.output and "m003_checkins" in result.output
    assert {"users", "checkins"} <= tables(tmp_path / "fresh.sqlite3")


def test_init_db_on_a_file_it_cannot_open_names_it(tmp_path):
    # "sqlite3.OperationalError: unable to open database file", in a traceback naming no file.
    app = make_app(tmp_path)
    app.config["DATABASE"] = str(tmp_path)  # a folder, say
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 1
    assert f"Cannot use the database {tmp_path}: unable to open database file" in result.output
    assert "Traceback" not in result.output


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_when_database_is_gone(app, client, tmp_path):
    app.config["DATABASE"] = str(tmp_path / "missing-dir" / "x.sqlite3")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error"}


@pytest.mark.parametrize("how", ["deleted", "moved", "replaced"])
def test_healthz_when_the_database_file_goes_under_the_server(app, client, how):
    """SQLite keeps a deleted or moved file open for the connection that holds it, so the
    query /healthz asks still answered: ok, from a file the next worker will not find."""
    assert client.get("/healthz").status_code == 200  # the connection is open and kept
    database = Path(app.config["DATABASE"])
    if how == "deleted":
        database.unlink()
    else:
        database.rename(database.with_name("moved.sqlite3"))
    if how == "replaced":  # another file in its place (say, a restore copied over it)
        shutil.copy(database.with_name("moved.sqlite3"), database)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error"}


def test_backup_copies_a_consistent_database(app, runner, client, auth, tmp_path):
    auth.register()
    client.post("/checkin", data={"date": "2026-01-02", "mood": "4", "reflection": "kept"})
    target = tmp_path / "backup.sqlite3"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "integrity check: ok" in result.output
    conn = sqlite3.connect(target)
    assert conn.execute("select mood, reflection from checkins").fetchall() == [(4, "kept")]
    conn.close()


def test_backup_refuses_to_overwrite(runner, tmp_path):
    target = tmp_path / "exists.sqlite3"
    target.write_bytes(b"precious")
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 1
    assert "already exists; pass --force" in result.output
    assert "Traceback" not in result.output
    assert target.read_bytes() == b"precious"
    result = runner.invoke(args=["backup", "--force", str(target)])
    assert result.exit_code == 0
    assert target.read_bytes().startswith(b"SQLite format 3")


def test_backup_into_missing_folder(runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "nope" / "b.sqlite3")])
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_seed_demo(app, runner, client, auth):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert DEMO_EMAIL in result.output and DEMO_PASSWORD in result.output
    with app.app_context():
        from journal.db import get_db

        db = get_db()
        user = next(db["users"].rows_where("email = ?", [DEMO_EMAIL]))
        days = [r["day"] for r in db["checkins"].rows_where("user_id = ?", [user["id"]])]
        sessions = [r["day"] for r in db["sessions"].rows_where("user_id = ?", [user["id"]])]
        phq9 = [
            r["day"]
            for r in db["assessments"].rows_where("user_id = ? and kind = 'phq9'", [user["id"]])
        ]
    assert len(days) >= 90
    assert len(set(days)) == len(days)
    # A baseline fortnight, six induction sessions within three weeks, then maintenance.
    first = date.fromisoformat(sessions[0])
    moods = [(date.fromisoformat(d), 5) for d in days]
    assert windows.baseline(moods, first) is not None
    assert 14 <= (date.fromisoformat(sessions[5]) - first).days <= 21
    assert len(sessions) > 6
    assert phq9[0] < sessions[0] and len(phq9) >= 8
    # Seeding again replaces the demo data rather than doubling it.
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert auth.login(email=DEMO_EMAIL, password=DEMO_PASSWORD).status_code == 302
    assert client.get("/entries").status_code == 200
    with app.app_context():
        from journal.db import get_db

        assert get_db()["users"].count == 1
        assert get_db()["checkins"].count == len(days)


def test_instance_secret_made_once(tmp_path):
    path = tmp_path / "secret_key"
    first = _instance_secret(path)
    assert len(first) == 64
    assert _instance_secret(path) == first
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left behind


def test_config_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JOURNAL_DATABASE", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("JOURNAL_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("JOURNAL_HTTPS", "true")
    app = create_app()
    assert app.config["DATABASE"] == str(tmp_path / "env.sqlite3")
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert (tmp_path / "env.sqlite3").exists()


def test_each_hook_is_checked_for_async_once_and_a_requests_own_are_forgotten(app):
    kept = len(app._synced)

    def for_one_request(response):
        return response

    assert app.ensure_sync(for_one_request) is for_one_request
    assert app.ensure_sync(for_one_request) is for_one_request
    assert len(app._synced) == kept + 1
    del for_one_request  # as a request's after_this_request function is, once it has run
    gc.collect()
    assert len(app._synced) == kept


@pytest.mark.parametrize(
    ("endpoint", "values"),
    [
        ("checkins.entries", {}),
        ("checkins.entry", {"day": "2026-01-05"}),
        ("checkins.checkin", {"date": "2026-01-05"}),
        ("checkins.entries", {"page": 1}),
        ("checkins.entries", {"page": True}),
        ("checkins.entries", {"page": 1.0}),
        ("sessions.edit", {"id": 3}),
        ("static", {"filename": "style.css"}),
        ("progress.index", {"days": ["30", "90"]}),  # a list: built each time, not kept
        ("checkins.entry", {"day": "é/ü?#"}),
    ],
)
def test_kept_addresses_are_the_ones_flask_builds(app, endpoint, values):
    for script_root in ("", "/journal"):
        with app.test_request_context("/", base_url=f"http://localhost{script_root}/"):
            flask_built = Flask.url_for(app, endpoint, **values)
            assert app.url_for(endpoint, **values) == flask_built  # built, and kept
            assert app.url_for(endpoint, **values) == flask_built  # the kept one
            assert flask_built.startswith(script_root + "/")
            assert app.url_for(endpoint, _external=True, **values).startswith("http")


def test_kept_addresses_are_bounded(app, monkeypatch):
    monkeypatch.setattr(journal, "URLS_KEPT", 5)
    with app.test_request_context("/"):
        for n in range(12):
            assert app.url_for("checkins.entry", day=f"2026-01-{n + 1:02}").endswith(f"-{n + 1:02}")
            assert len(app._urls) <= 5


@pytest.mark.subprocess
def test_a_gunicorn_worker_sets_what_it_loaded_out_of_the_collectors_way():
    code = (
        "import gc, runpy; settings = runpy.run_path('gunicorn.conf.py'); "
        "from journal import create_app; "
        "before = gc.get_freeze_count(); settings['post_worker_init'](None); "
        "print(before, gc.get_freeze_count())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    before, frozen = map(int, result.stdout.split())
    assert before == 0
    assert frozen > 10_000  # the modules and what they hold


@pytest.mark.subprocess
def test_gunicorn_serves_the_app(tmp_path):
    with LiveServer(tmp_path) as server, urllib.request.urlopen(f"{server.url}/healthz") as r:
        assert json.load(r) == {"status": "ok"}


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("app", "failure"),
    [("no_such_module:app", "exited"), ("silent:app", "did not answer within 5 s")],
)
def test_a_live_server_that_does_not_start_leaves_no_process_behind(tmp_path, app, failure):
    # The tests' and the benchmarks' one gunicorn helper (tests/live.py). Its workers cannot
    # import the app (the master exits), or they serve one that never answers /healthz (the
    # master and its workers run on): either way nothing of its process group remains.
    (tmp_path / "silent.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('404 Not Found', [])\n"
        "    return [b'']\n"
    )
    server = LiveServer(
        tmp_path, app=app, code=tmp_path, config=ROOT / "gunicorn.conf.py", seconds=5
    )
    with pytest.raises(RuntimeError, match=failure):
        server.start()
    assert server.process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(server.process.pid, 0)


@pytest.mark.subprocess
def test_a_live_server_ends_with_the_run_that_started_it_however_that_ends(tmp_path):
    # A test run killed outright (`timeout`'s signal, an xdist worker that crashed) never
    # leaves its `with LiveServer` block: its gunicorn ran on, serving, for good (one was
    # found an hour later). The kernel now ends the server with the process that started it.
    code = (
        "import sys, time; sys.path.insert(0, 'tests'); from live import LiveServer; "
        f"server = LiveServer(__import__('pathlib').Path({str(tmp_path)!r})).start(); "
        "print(server.process.pid, flush=True); time.sleep(600)"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as run:
        try:
            server = int(run.stdout.readline())
            os.killpg(server, 0)  # serving
        finally:
            run.kill()  # SIGKILL: no `finally`, no `with` block's exit runs in it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(server, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(server, signal.SIGKILL)
        pytest.fail("the server outlived the run that started it")


def test_test_today_sets_the_day_the_tests_run_as(monkeypatch):
    monkeypatch.setenv("TEST_TODAY", "2028-02-29")
    assert factories.run_day() == date(2028, 2, 29)


@pytest.mark.parametrize("given", ["14/03/2027", "2027-02-30", "tomorrow", "2027-03-14 "])
def test_test_today_refuses_a_day_that_is_not_yyyy_mm_dd(monkeypatch, given):
    monkeypatch.setenv("TEST_TODAY", given)
    with pytest.raises(ValueError, match=re.escape(f"TEST_TODAY={given!r}: give a day as")):
        factories.run_day()


@pytest.mark.subprocess
def test_flask_run_migrates_a_new_database_before_serving(tmp_path):
    database = tmp_path / "new.sqlite3"
    port = free_port()
    env = {**os.environ, "JOURNAL_DATABASE": str(database), "JOURNAL_SECRET_KEY": "run"}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "journal", "run", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process)
        assert {"users", "checkins", "_sqlite_migrations"} <= tables(database)
        db = connect(database)
        assert migrations.pending(db) == []  # every migration applied
        db.close()
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.mark.subprocess
def test_flask_commands_do_not_migrate_on_their_own(tmp_path):
    """A backup taken before an upgrade keeps the old schema; init-db then upgrades."""
    old = tmp_path / "old.sqlite3"
    db = connect(old)
    migrations.apply(db, stop_before="m004_sessions")
    db.close()
    env = {**os.environ, "JOURNAL_DATABASE": str(old), "JOURNAL_SECRET_KEY": "cli"}

    def flask(*args):
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "journal", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    result = flask("backup", str(tmp_path / "before-upgrade.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert "sessions" not in tables(old)
    assert "sessions" not in tables(tmp_path / "before-upgrade.sqlite3")
    result = flask("init-db")
    assert result.returncode == 0 and "m004_sessions" in result.stdout
    assert "sessions" in tables(old)


def test_upgrading_takes_the_c1_controls_out_of_stored_text_and_leaves_the_audit_log(tmp_path):
    """Stored before they were refused, C1 controls (here UTF-8's apostrophe read as Latin-1)
    left an edit form no one could save: "please remove them", in text no one can see."""
    db = connect(tmp_path / "old.sqlite3")
    db.execute("PRAGMA foreign_keys = off")  # as `migrate` has it while tables are rebuilt
    migrations.apply(db, stop_before="m038_text_without_c1_controls")
    db.execute("PRAGMA foreign_keys = on")
    db.execute(
        "insert into users (email, password_hash, created_at, display_name) values "
        "('pat@example.com', 'h', 't', 'Pat\u0085 Lee')"
    )
    db.execute(
        "insert into checkins (user_id, day, mood, reflection, tags, created_at, updated_at) "
        "values (1, '2026-01-01', 5, 'Didn\u00e2\u0080\u0099t sleep', 'calm, a\u009bb', 't', 't')"
    )
    # Two symptoms that cleaning would name alike: the second keeps its name, not the upgrade.
    db.execute("insert into symptoms (user_id, name, created_at) values (1, 'Pain', 't')")
    db.execute("insert into symptoms (user_id, name, created_at) values (1, 'Pain\u0085', 't')")
    db.execute(
        "insert into audit (at, actor_id, action, detail) values ('t', 1, 'x', 'kept\u0085')"
    )
    db.conn.commit()
    assert migrate(db)[:1] == ["m038_text_without_c1_controls"]  # and any after it
    assert db.execute("select display_name from users").fetchall() == [("Pat Lee",)]
    assert db.execute("select reflection, tags from checkins").fetchall() == [
        ("Didn\u00e2t sleep", "calm, ab")
    ]
    assert db.execute("select name from symptoms order by id").fetchall() == [
        ("Pain",),
        ("Pain\u0085",),
    ]
    assert db.execute("select detail from audit").fetchall() == [("kept\u0085",)]


def test_upgrading_marks_a_passkey_added_with_two_factor_only_when_it_was_on_then(tmp_path):
    """Staff turning two-factor on lose the passkeys added while it was off: from before the
    column, only one added after the account's two-factor (on now) was turned on counts as
    added with it."""
    db = connect(tmp_path / "old.sqlite3")
    db.execute("PRAGMA foreign_keys = off")  # as `migrate` has it while tables are rebuilt
    migrations.apply(db, stop_before="m039_passkeys_added_with_two_factor")
    db.execute("PRAGMA foreign_keys = on")
    for email in ("doc@example.com", "sam@example.com"):
        db.execute(
            "insert into users (email, password_hash, created_at) values (?, 'h', 't')", [email]
        )
    db.execute(
        "insert into two_factor (user_id, secret, enabled_at) values (1, 's', ?)",
        ["2026-06-01T10:00:00+00:00"],
    )
    for user_id, name, at in [
        (1, "before", "2026-05-01T10:00:00+00:00"),
        (1, "after", "2026-06-02T10:00:00+00:00"),
        (2, "no two-factor", "2026-06-02T10:00:00+00:00"),
    ]:
        db.execute(
            "insert into passkeys (user_id, credential_id, public_key, name, created_at) "
            "values (?, ?, 'k', ?, ?)",
            [user_id, name, name, at],
        )
    db.conn.commit()
    assert migrate(db)[:1] == ["m039_passkeys_added_with_two_factor"]
    rows = db.execute("select name, with_two_factor from passkeys order by id").fetchall()
    assert rows == [("before", 0), ("after", 1), ("no two-factor", 0)]


def test_upgrading_keeps_every_row_and_ids_are_never_given_twice_after(tmp_path):
    """A database from before m017 keeps its rows, children included, and from then on an id
    freed by a deletion is never handed out again (a cookie, link or URL may still carry it)."""
    db = connect(tmp_path / "old.sqlite3")
    db.enable_wal()
    migrations.apply(db, stop_before="m017_ids_never_reused")
    db.execute(
        "insert into users (email, password_hash, created_at) values "
        "('stays@example.com', 'h', 't'), ('leaves@example.com', 'h', 't')"
    )
    db.execute(
        "insert into checkins (user_id, day, mood, created_at, updated_at) "
        "values (1, '2026-01-01', 5, 't', 't')"
    )
    db.execute("insert into symptoms (user_id, name, created_at) values (1, 'Pain', 't')")
    db.execute("insert into symptom_scores values (1, 1, 3)")
    db.execute(
        "insert into share_links (user_id, label, token_hash, created_at, expires_at) "
        "values (1, 'Dr. R', 'hash', 't', 't')"
    )
    db.execute("insert into share_openings (link_id, opened_at, what) values (1, 't', 'page')")
    db.conn.commit()

    assert migrate(db)[:2] == ["m017_ids_never_reused", "m018_signins"]
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    counts = {t: db[t].count for t in ("checkins", "symptom_scores", "share_openings", "users")}
    assert counts == {"checkins": 1, "symptom_scores": 1, "share_openings": 1, "users": 2}
    db.execute("delete from users where id = 2")
    db.execute("insert into users (email, password_hash, created_at) values ('n@x', 'h', 't')")
    assert [row["id"] for row in db["users"].rows] == [1, 3]
    # The cascades still hold after the rebuild.
    db.execute("delete from users where id = 1")
    assert [db[t].count for t in ("checkins", "symptom_scores", "share_openings")] == [0, 0, 0]


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277], ids=oct)
@pytest.mark.parametrize("force", [False, True])
def test_backup_is_readable_by_its_owner_only_whatever_the_umask(runner, tmp_path, umask, force):
    """A backup holds every patient's journal: mode 600, even under a permissive umask, also
    when it replaces an older copy and when an earlier, interrupted run left its .partial."""
    target = tmp_path / "backup.sqlite3"
    if force:
        target.write_bytes(b"older copy")
        target.chmod(0o644)
    (tmp_path / "backup.sqlite3.partial").write_bytes(b"left over")
    old = os.umask(umask)
    try:
        result = runner.invoke(args=["backup", *(["--force"] if force else []), str(target)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == [
        "backup.sqlite3"
    ]
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", (1, ["2026-11-05", "2026-11-04"])),
        ("?page=2", (2, ["2026-11-03", "2026-11-02"])),
        ("?page=3", (3, ["2026-11-01"])),
    ],
)
def test_owned_page_counts_and_fetches_only_the_persons_rows(tmp_path, query, expected):
    """The one page helper for every list (History, Sessions): the signed-in person's rows
    only, their own total, the page's rows in order, and how many come before it."""
    from flask import g

    from journal.access import owned_page
    from journal.db import Page, get_db
    from journal.people import User

    app = make_app(tmp_path, ENTRIES_PER_PAGE=2)
    with app.app_context():
        db = get_db()
        for email in ("a@example.com", "b@example.com"):
            db.execute(
                "insert into users (email, password_hash, created_at) values (?, 'h', 't')",
                [email],
            )
        for user_id, days in ((1, range(1, 6)), (2, range(1, 10))):
            for n in days:
                db["checkins"].insert(
                    {
                        "user_id": user_id,
                        "day": f"2026-11-{n:02d}",
                        "mood": 5,
                        "created_at": "t",
                        "updated_at": "t",
                    }
                )
    with app.test_request_context(f"/entries{query}"):
        g._login_user = User(get_db()["users"].get(1))
        listed = owned_page("checkins", order_by="day desc")
    page, days = expected
    assert isinstance(listed, Page)
    assert (listed.page, listed.pages, listed.total, listed.offset) == (page, 3, 5, (page - 1) * 2)
    assert [row["day"] for row in listed.rows] == days
    assert {row["user_id"] for row in listed.rows} == {1}


@pytest.mark.parametrize("query", ["?page=4", "?page=0", "?page=x", "?page=-1"])
def test_owned_page_past_the_last_or_not_a_page_is_404(tmp_path, query):
    from flask import g
    from werkzeug.exceptions import NotFound

    from journal.access import owned_page
    from journal.db import get_db
    from journal.people import User

    app = make_app(tmp_path, ENTRIES_PER_PAGE=2)
    with app.app_context():
        get_db().execute(
            "insert into users (email, password_hash, created_at) values ('a@x', 'h', 't')"
        )
    with app.test_request_context(f"/entries{query}"), pytest.raises(NotFound):
        g._login_user = User(get_db()["users"].get(1))
        owned_page("checkins", order_by="day desc")


# What an operator gets wrong, said at once (2026-12-06, a clinic IT walk-through).


def test_a_backup_of_a_database_that_is_not_there_fails_and_makes_none(app, runner, tmp_path):
    # A typo in JOURNAL_DATABASE: connecting made an empty database, and its backup passed
    # the integrity check, "ok", every night.
    folder = tmp_path / "typo"
    folder.mkdir()
    app.config["DATABASE"] = str(folder / "typo.sqlite3")
    result = runner.invoke(args=["backup", str(folder / "backup.sqlite3")])
    assert result.exit_code == 1 and "There is no database at" in result.output
    assert sorted(p.name for p in folder.iterdir()) == []


@pytest.mark.parametrize("end", ["", "-wal"])
def test_a_backup_onto_the_database_itself_is_refused(app, runner, end):
    # `backup --force` onto the live file corrupted it.
    live = app.config["DATABASE"]
    before = Path(live).read_bytes()
    result = runner.invoke(args=["backup", "--force", f"{live}{end}"])
    assert result.exit_code == 1 and "is the database itself" in result.output
    assert Path(live).read_bytes() == before


def test_a_new_database_and_its_folder_are_their_owners_alone(tmp_path):
    # Under the usual umask (022) the database, its -wal and -shm were readable by every user
    # of the machine; only a systemd unit's UMask protected them.
    old = os.umask(0o022)
    try:
        folder = tmp_path / "data"
        app = make_app(tmp_path, DATABASE=str(folder / "journal.sqlite3"))
        factories.person(app, "pat@example.com")  # a write: the -wal file
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("journal.sqlite3", "journal.sqlite3-wal", "journal.sqlite3-shm"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name


@pytest.mark.parametrize(
    ("name", "written"),
    [("LOGIN_MAX_FAILURES", "0"), ("LOGIN_WINDOW_MINUTES", "abc"), ("IDLE_MINUTES", "-5"),
     ("PROXY_HOPS", "one"), ("PROXY_HOPS", '"1"'), ("ENTRIES_PER_PAGE", "true"),
     ("LOGIN_MAX_FAILURES", str(10**19)), ("ENTRIES_PER_PAGE", "100000")],
)  # fmt: skip
def test_a_number_setting_that_is_none_stops_the_start(tmp_path, monkeypatch, name, written):
    # Each started and then failed on every request that read it (LOGIN_MAX_FAILURES=0 made
    # every log-in a 500; a PROXY_HOPS of "one" every request behind the proxy).
    monkeypatch.setenv("JOURNAL_DATABASE", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("JOURNAL_SECRET_KEY", "env")
    monkeypatch.setenv(f"JOURNAL_{name}", written)
    with pytest.raises(ValueError, match=f"JOURNAL_{name} must be a whole number"):
        create_app()


def test_an_empty_database_setting_or_secret_key_file_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNAL_SECRET_KEY", "env")
    monkeypatch.setenv("JOURNAL_DATABASE", "")
    with pytest.raises(ValueError, match="JOURNAL_DATABASE must name the database file"):
        create_app()
    key = tmp_path / "secret_key"
    key.write_text("\n")
    with pytest.raises(ValueError, match="is empty"):
        _instance_secret(key)


def test_gunicorns_error_line_shows_an_address_as_the_access_log_does():
    # "Error handling request GET /s/<token>?k=<query>": an error outside the app's own
    # handling wrote the share link's token and the query in full.
    import runpy

    settings = runpy.run_path(str(Path(__file__).parents[1] / "gunicorn.conf.py"))
    shown = settings["safe_address"]("/s/SECRETSHARE99abcdefghijklmnopqrstuvwxyz012?k=SECRETQ99")
    assert "SECRET" not in shown and shown.startswith("/s/")


def test_a_backup_where_nothing_can_be_written_says_so(runner):
    # A place it may not write to (here /proc, which takes no new file even from root) ended
    # in a traceback.
    result = runner.invoke(args=["backup", "/proc/afterglow-backup.sqlite3"])
    assert result.exit_code == 1
    assert "Cannot write /proc/afterglow-backup.sqlite3.partial" in result.output
    assert "Traceback" not in result.output


def test_a_backup_onto_the_wal_of_a_linked_database_is_refused(app, runner, tmp_path):
    # JOURNAL_DATABASE a symbolic link: SQLite keeps the -wal beside the file it points to,
    # and `backup --force` onto that -wal made every new connection fail.
    real = Path(app.config["DATABASE"])
    link = tmp_path / "linked" / "journal.sqlite3"
    link.parent.mkdir()
    link.symlink_to(real)
    app.config["DATABASE"] = str(link)
    result = runner.invoke(args=["backup", "--force", f"{real}-wal"])
    assert result.exit_code == 1 and "is the database itself" in result.output


def test_the_day_old_import_sweep_finds_imports_by_their_age(app):
    # At every sign-in and sign-out: it read every parked file in full to find the old ones.
    from journal.db import get_db

    with app.app_context():
        plan = (
            get_db()
            .execute("explain query plan delete from pending_imports where created_at < ?", ["x"])
            .fetchall()
        )
    assert "pending_imports_created" in str(plan), plan


def test_every_foreign_key_is_found_through_an_index(app):
    """A row deleted (an account erased: its share links, symptoms, parked imports) has SQLite
    find the rows that refer to it; without an index on the referring column it read the
    whole table, the clinic's, once per row, holding the write lock for seconds while other
    people's saves failed."""
    from journal.db import get_db

    with app.app_context():
        db = get_db()
        unindexed = []
        for table in db.table_names():
            firsts = {column for column in db[table].pks[:1]}
            for index in db[table].indexes:
                firsts.add(index.columns[0])
            unindexed += [
                f"{table}.{key.column}"
                for key in db[table].foreign_keys
                if key.column not in firsts
            ]
    assert unindexed == []


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (
            "select * from share_openings where link_id = ? and opened_at >= ?",
            "share_openings_link",
        ),
        ("select day from checkins where user_id = ? and updated_at > ?", "checkins_user_updated"),
        ("select day from sessions where user_id = ? and updated_at > ?", "sessions_user_updated"),
        (
            "select day from assessments where user_id = ? and created_at > ?",
            "assessments_user_created",
        ),
    ],
)
def test_link_openings_and_changes_since_a_review_are_found_through_an_index(app, query, index):
    from journal.db import get_db

    with app.app_context():
        plan = get_db().execute(f"explain query plan {query}", [1, "x"]).fetchall()
    assert index in str(plan), plan


@pytest.mark.parametrize("name", ["SECRET_KEY", "MAIL_PASSWORD", "CLINIC_NAME"])
@pytest.mark.parametrize("written", ["84021937465", "true", "null", "1e3"])
def test_a_text_setting_from_the_environment_is_taken_as_written(
    tmp_path, monkeypatch, name, written
):
    # Read as JSON, a secret key of digits became a number: every form and sign-in was then a
    # 500 ("'int' object is not iterable") while /healthz answered ok.
    monkeypatch.setenv("JOURNAL_DATABASE", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("JOURNAL_SECRET_KEY", "env")
    monkeypatch.setenv(f"JOURNAL_{name}", written)
    app = create_app()
    assert app.config[name] == written
    assert app.test_client().get("/auth/login").status_code == 200


def test_a_database_others_could_read_is_made_its_owners_alone(tmp_path):
    # A database made before new ones were 0600 (or copied back with `cp` under umask 022)
    # stayed readable by every user of the machine after the upgrade, its -wal and -shm too.
    app = make_app(tmp_path)
    factories.person(app, "pat@example.com")  # a write: the -wal file
    database = Path(app.config["DATABASE"])
    for name in ("", "-wal", "-shm"):
        Path(f"{database}{name}").chmod(0o644)
    connect(database).close()  # as `init-db` or a worker starting opens it
    for name in ("", "-wal", "-shm"):
        assert stat.S_IMODE(Path(f"{database}{name}").stat().st_mode) == 0o600, name


def test_a_linked_database_others_could_read_has_its_log_made_its_owners_alone(tmp_path):
    # JOURNAL_DATABASE naming a symbolic link: SQLite keeps the -wal and -shm beside the file
    # the link points to, and only the database itself was made 0600: its log, with the
    # words last written, stayed readable by every user of the machine.
    (tmp_path / "data").mkdir()
    database = tmp_path / "data" / "journal.sqlite3"
    link = tmp_path / "journal.sqlite3"
    link.symlink_to(database)
    running = sqlite3.connect(database)  # a worker of the version before, still open
    running.execute("pragma journal_mode = wal")
    running.execute("create table words (text)")
    running.execute("insert into words values ('a reflection')")
    running.commit()
    try:
        for name in ("", "-wal", "-shm"):
            Path(f"{database}{name}").chmod(0o644)
        connect(link).close()
        for name in ("", "-wal", "-shm"):
            assert stat.S_IMODE(Path(f"{database}{name}").stat().st_mode) == 0o600, name
    finally:
        running.close()


def test_a_new_database_through_a_link_is_made_its_owners_alone(tmp_path):
    # JOURNAL_DATABASE naming a link to a file not made yet (the operator linked it before
    # `init-db`): the 0600 file was made only when the link's name was free, so SQLite made
    # the database and its -wal and -shm with the umask's mode, readable by every user.
    (tmp_path / "data").mkdir()
    database = tmp_path / "data" / "journal.sqlite3"
    link = tmp_path / "journal.sqlite3"
    link.symlink_to(database)
    previous = os.umask(0o022)
    try:
        connect(link).close()  # as `init-db` does
        written = sqlite3.connect(link)
        try:
            written.execute("pragma journal_mode = wal")
            written.execute("create table words (text)")
            written.execute("insert into words values ('a reflection')")
            written.commit()
            for name in ("", "-wal", "-shm"):
                assert stat.S_IMODE(Path(f"{database}{name}").stat().st_mode) == 0o600, name
        finally:
            written.close()
    finally:
        os.umask(previous)


@pytest.mark.parametrize(
    ("written", "https"),
    [("journal.example.org", False), ("journal.example.org/", False), ("https://", False),
     ("ftp://journal.example.org", False), ("http://journal.example.org", True)],
)  # fmt: skip
def test_a_public_url_without_its_scheme_stops_the_start(tmp_path, written, https):
    # JOURNAL_PUBLIC_URL=journal.example.org mailed "journal.example.org/auth/reset/<token>",
    # which mail programs open as http://: the token went in the clear to the proxy's port 80.
    with pytest.raises(ValueError, match="JOURNAL_PUBLIC_URL must"):
        make_app(tmp_path, PUBLIC_URL=written, HTTPS=https)


@pytest.mark.parametrize("written", ["", "https://journal.example.org/", "http://localhost:5000"])
def test_a_whole_public_url_starts(tmp_path, written):
    assert make_app(tmp_path, PUBLIC_URL=written).config["PUBLIC_URL"] == written


@pytest.mark.parametrize(
    ("settings", "named"),
    [({"WEBAUTHN_RP_ID": "https://journal.example.org"}, "WEBAUTHN_RP_ID"),
     ({"WEBAUTHN_RP_ID": "journal.example.org:443"}, "WEBAUTHN_RP_ID"),
     ({"WEBAUTHN_RP_ID": "journal.example.org/"}, "WEBAUTHN_RP_ID"),
     ({"WEBAUTHN_ORIGIN": "journal.example.org"}, "WEBAUTHN_ORIGIN"),
     ({"WEBAUTHN_ORIGIN": "https://journal.example.org/"}, "WEBAUTHN_ORIGIN"),
     ({"WEBAUTHN_ORIGIN": "https://journal.example.org/app"}, "WEBAUTHN_ORIGIN"),
     ({"WEBAUTHN_RP_ID": "journal.example.org", "WEBAUTHN_ORIGIN": "https://example.org"},
      "WEBAUTHN_RP_ID")],
)  # fmt: skip
def test_a_passkey_site_no_browser_could_use_stops_the_start(tmp_path, settings, named):
    # Each started, and then every passkey failed: a relying party written as an address (or
    # with a port) is refused by the browser, and an origin with a slash, a path or no scheme
    # is never the one a browser's answer names, so no passkey could be added or used.
    with pytest.raises(ValueError, match=f"JOURNAL_{named} must"):
        make_app(tmp_path, **settings)


@pytest.mark.parametrize(
    "settings",
    [{}, {"WEBAUTHN_RP_ID": "journal.example.org"},
     {"WEBAUTHN_RP_ID": "example.org", "WEBAUTHN_ORIGIN": "https://journal.example.org"},
     {"WEBAUTHN_RP_ID": "localhost", "WEBAUTHN_ORIGIN": "http://localhost:5000"}],
)  # fmt: skip
def test_a_passkey_site_a_browser_can_use_starts(tmp_path, settings):
    app = make_app(tmp_path, **settings)
    assert all(app.config[name] == value for name, value in settings.items())


@pytest.mark.parametrize(
    ("name", "written"),
    [("WEB_CONCURRENCY", "0"), ("WEB_CONCURRENCY", "-2"), ("GUNICORN_THREADS", "0"),
     ("GUNICORN_THREADS", "two"), ("GUNICORN_LOGLEVEL", "loud")],
)  # fmt: skip
def test_a_gunicorn_setting_that_is_none_stops_the_start(monkeypatch, name, written):
    # WEB_CONCURRENCY=0 started a master with no worker, listening and answering nothing;
    # GUNICORN_THREADS=0 had every worker fail with "max_workers must be greater than 0";
    # a log level gunicorn does not know was read as info. Each is now refused by name.
    import runpy

    monkeypatch.setenv(name, written)
    with pytest.raises(ValueError, match=f"{name} must be"):
        runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_settings_from_the_environment(monkeypatch):
    import runpy

    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.setenv("GUNICORN_THREADS", "3")
    monkeypatch.setenv("GUNICORN_LOGLEVEL", "WARNING")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (settings["workers"], settings["threads"], settings["loglevel"]) == (4, 3, "WARNING")


@pytest.mark.parametrize("written", [" ", "\t", "   \n"])
def test_a_secret_key_of_spaces_stops_the_start(tmp_path, monkeypatch, written):
    # JOURNAL_SECRET_KEY=" " (a template left blank, a shell variable that was never set
    # between quotes) signed every session and CSRF token with a key anyone could guess.
    monkeypatch.setenv("JOURNAL_DATABASE", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("JOURNAL_SECRET_KEY", written)
    with pytest.raises(ValueError, match="JOURNAL_SECRET_KEY must"):
        create_app()
