"""Crash: SIGKILL gunicorn, master and workers, while it is saving check-ins.

Every save the server acknowledged (a 302 came back) must still be there afterwards, the
database must pass SQLite's integrity check, and a restarted server must serve it all.
Runs gunicorn with the repository's own gunicorn.conf.py, as a clinic would.
"""

import contextlib
import http.client
import os
import signal
import sqlite3
import threading
import time
from datetime import date, timedelta

import pytest
from factories import PASSWORD
from live import ROOT, LiveServer, signed_up

PEOPLE = 2
WRITERS_PER_PERSON = 2
WRITE_SECONDS = 1.5  # of saving before the kill (longer if nothing was acknowledged yet)


class Person:
    """One account on the live server: its email, signed-in client and check-in form token."""

    def __init__(self, port, email):
        self.email = email
        self.client = signed_up(port, email, PASSWORD, strict_text=True)
        self.token = self.client.token("/checkin")


class Writers:
    """Threads saving check-ins as fast as they can, each on its own days, recording acks."""

    def __init__(self, people):
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}  # (email, day) -> mood
        self.unexpected = []  # statuses other than the save's redirect
        self.threads = [
            threading.Thread(target=self.write, args=(person, k))
            for person in people
            for k in range(WRITERS_PER_PERSON)
        ]

    def write(self, person, k):
        client = person.client.copy()  # a thread's own
        yesterday = date.today() - timedelta(days=1)
        for i in range(10_000):
            if self.stop.is_set():
                return
            day = (yesterday - timedelta(days=k + WRITERS_PER_PERSON * i)).isoformat()
            mood = (i + k) % 11
            form = {
                "csrf_token": person.token,
                "date": day,
                "mood": str(mood),
                "reflection": f"Crash test, writer {k}, save {i}.",
            }
            try:
                # The save's flash message is never read: not kept, or the cookie would
                # outgrow gunicorn's header limit after hundreds of saves.
                status, _ = client.request("POST", "/checkin", form, keep_cookies=False)
            except (OSError, http.client.HTTPException):
                return  # the server is gone: this save was never acknowledged
            with self.lock:
                if status == 302:
                    self.acked[(person.email, day)] = mood
                else:
                    self.unexpected.append(status)

    def acks(self):
        with self.lock:
            return len(self.acked)


def crash_server(folder, log):
    """gunicorn with gunicorn.conf.py's settings and three workers, through tests/live.py
    (which stops it whole if it does not start), on the database `folder/crash.sqlite3`."""
    return LiveServer(
        folder,
        workers=3,
        threads=None,
        database="crash.sqlite3",
        secret_key="crash-test",  # noqa: S106 - a test server's
        config=ROOT / "gunicorn.conf.py",
        seconds=20,
        log=log,
    )


def kill_group(process):
    """SIGKILL the master and every worker at once (they share the master's process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    # Orphaned workers are reaped by init; give them a moment to be gone.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def stored_checkins(database):
    """integrity_check's answer and {(email, day): mood} as a fresh reader sees them."""
    conn = sqlite3.connect(database)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = conn.execute(
            "select users.email, checkins.day, checkins.mood"
            " from checkins join users on users.id = checkins.user_id"
        ).fetchall()
    finally:
        conn.close()
    return integrity, {(email, day): mood for email, day, mood in rows}


@pytest.mark.subprocess
def test_sigkill_while_saving_loses_no_acknowledged_save(tmp_path):
    server = crash_server(tmp_path, "gunicorn.log").start()
    try:
        people = [Person(server.port, f"crash{n}@example.com") for n in range(PEOPLE)]
        writers = Writers(people)
        for thread in writers.threads:
            thread.start()
        started = time.monotonic()
        while time.monotonic() - started < WRITE_SECONDS or (
            writers.acks() == 0 and time.monotonic() - started < 10
        ):
            time.sleep(0.01)
    finally:
        kill_group(server.process)  # with saves in flight: the writers never stop on their own
    writers.stop.set()
    for thread in writers.threads:
        thread.join(timeout=15)
    assert not any(thread.is_alive() for thread in writers.threads)

    acked = dict(writers.acked)
    assert writers.unexpected == []
    assert acked, "no save was acknowledged before the kill"
    integrity, stored = stored_checkins(server.database)
    assert integrity == "ok"
    assert {key: stored.get(key) for key in acked} == acked

    # A restarted server opens the same file and serves every acknowledged day.
    with crash_server(tmp_path, "restarted.log") as restarted:
        for person in people:
            person.client.port = restarted.port  # the same session cookie still signs them in
            for email, day in acked:
                if email == person.email:
                    status, page = person.client.request("GET", f"/entries/{day}")
                    assert status == 200, (day, status)
                    assert "Crash test, writer" in page
