"""The one live server the tests and the benchmarks start: the app under gunicorn, as in
production, on a free loopback port, with a database of its own.

`LiveServer` always stops what it started: gunicorn runs in a process group (a session) of its
own, and leaving the `with` block, or a start-up that fails (the server exits, or never answers
/healthz), kills that whole group, master and workers. Imported by tests/conftest.py and by
benchmarks/harness.py (which puts tests/ on sys.path).
"""

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Cheap hashing keeps the suite fast (one round: a thousand took about a second of the fast
# suite's CPU); production uses werkzeug's default (scrypt).
FAST_HASH = "pbkdf2:sha256:1"


def free_port():
    """A free TCP port on the loopback address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(url, process, seconds=60):
    """Poll /healthz until the server answers; fail if it dies first or never answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def stop_group(process, seconds=15):
    """Stop `process` and everything in its process group: SIGTERM, then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=seconds)
    # Workers left behind by a master that died, or a group that would not stop.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=seconds)


class LiveServer:
    """The app served by gunicorn with CSRF on and a fresh database at `folder/database`.

    `now` (an aware datetime) holds the server's clock there (JOURNAL_NOW, read by
    `clock.from_environment()` in create_app); by default it follows the real clock. `env`
    adds or overrides environment variables; `workers=None` and `threads=None` leave them to
    the gunicorn settings. `seconds` bounds the start-up: workers import the app (matplotlib
    and all), which on a busy machine takes far longer than the second it takes on a quiet one.

    For the benchmarks: `app` is what gunicorn serves, imported from the checkout at `code`
    (another commit's `git worktree`, for a side-by-side run), with the settings in the file
    `config` (by default the `gunicorn.conf.py` in `code`, as gunicorn reads it by itself) and
    `worker_class` over them; its output goes to `folder/log`.
    """

    def __init__(
        self,
        folder,
        workers=2,
        threads=4,
        database="live.sqlite3",
        secret_key="live-server",  # noqa: S107 - a test server's
        password_hash=FAST_HASH,
        now=None,
        env=None,
        seconds=60,
        app="journal:create_app()",
        code=ROOT,
        config=None,
        worker_class=None,
        log="gunicorn.log",
    ):
        folder = Path(folder)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = folder / database
        self.command = [sys.executable, "-m", "gunicorn"]
        for option, value in [
            ("--config", config),
            ("--workers", workers),
            ("--threads", threads),
            ("--worker-class", worker_class),
        ]:
            if value is not None:
                self.command += [option, str(value)]
        self.command += ["--bind", f"127.0.0.1:{self.port}", app]
        self.code = Path(code)
        self.env = {
            **os.environ,
            "JOURNAL_DATABASE": str(self.database),
            "JOURNAL_SECRET_KEY": secret_key,
            # Staff reach their work at once (as in tests/conftest.py); `env` may turn it on.
            "JOURNAL_REQUIRE_2FA_FOR_STAFF": "false",
        }
        if self.code != ROOT:  # its own journal package before the one installed from here
            self.env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(self.code), os.environ.get("PYTHONPATH")])
            )
        self.env.pop("JOURNAL_NOW", None)
        if password_hash:
            self.env["JOURNAL_PASSWORD_HASH_METHOD"] = password_hash
        if now is not None:
            self.env["JOURNAL_NOW"] = now.isoformat()
        self.env.update(env or {})
        self.log = folder / log
        self.seconds = seconds
        self.process = None

    def start(self):
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.code,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed whole by stop()
            )
        try:
            wait_until_healthy(self.url, self.process, self.seconds)
        except BaseException as error:
            self.stop()
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{error}; gunicorn's log ends:\n{tail}") from error
        return self

    def stop(self):
        if self.process is not None:
            stop_group(self.process)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def query(self, sql, *args):
        """Rows from the server's database, opened read-only (what it stored, as it is)."""
        uri = f"file:{self.database}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as db:
            return db.execute(sql, args).fetchall()
