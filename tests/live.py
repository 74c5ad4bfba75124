"""The one live server the tests and the benchmarks start: the app under gunicorn, as in
production, on a free loopback port, with a database of its own.

`LiveServer` always stops what it started: gunicorn runs in a process group (a session) of its
own, and leaving the `with` block, or a start-up that fails (the server exits, or never answers
/healthz), kills that whole group, master and workers; and a run that ends without leaving the
block (killed) takes the server with it (`ENDS_WITH_ITS_STARTER`). `Client` talks to it over a
real socket (for the tests that need one, and every benchmark). Imported by tests/conftest.py and by
benchmarks/harness.py (which puts tests/ on sys.path).
"""

import contextlib
import http.client
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

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


# Run by the server's interpreter before it becomes gunicorn (os.execv keeps the process):
# the kernel sends the server SIGTERM when the process that started it ends, however that
# ends (a run killed by `timeout`, an xdist worker that crashed: no `with` block's exit runs
# then), and gunicorn stops its workers. A starter already gone by then: it stops at once.
ENDS_WITH_ITS_STARTER = (
    "import ctypes, os, signal, sys; "
    "sys.platform == 'linux' and ctypes.CDLL(None).prctl(1, signal.SIGTERM); "  # PDEATHSIG
    "os.getppid() == int(sys.argv[1]) or sys.exit('the process that started it has ended'); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])"
)


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
        self.command = [sys.executable, "-c", ENDS_WITH_ITS_STARTER, str(os.getpid())]
        self.command += ["-m", "gunicorn"]
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


TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Client:
    """A person's cookies over plain http.client to a server on loopback, as the tests that
    need a real socket (a body sent in chunks, a server killed mid-save) and the benchmarks
    use it. It never follows a redirect, and gives (status, text) for each request.

    One connection for every request with `keep_alive` (HTTP keep-alive, as a browser does),
    otherwise a new one for each. One thread's: another thread takes a `copy()`. The text is
    decoded leniently (a benchmark reads PDFs and PNGs too) unless `strict_text`, with which a
    body that is not UTF-8 fails the request, as a test of the pages wants.
    """

    def __init__(self, port, keep_alive=False, timeout=10, strict_text=False):
        self.port = port
        self.keep_alive = keep_alive
        self.timeout = timeout
        self.strict_text = strict_text
        self.cookies = {}
        self.last_headers = None
        self.conn = None

    def copy(self):
        """Another client with this one's settings and cookies (for another thread)."""
        other = Client(self.port, self.keep_alive, self.timeout, self.strict_text)
        other.cookies = dict(self.cookies)
        return other

    def request(self, method, path, form=None, headers=None, keep_cookies=True):
        """`form` (a dict) sent url-encoded; see `send`."""
        headers = dict(headers or {})
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.send(method, path, body, headers, keep_cookies)

    def send(self, method, path, body=None, headers=None, keep_cookies=True):
        """(status, text) of one request with `body` as given: text, bytes, or an iterable of
        bytes, which http.client sends in chunks. A server that answers (a 413) and closes
        before the whole body was sent has that answer read.

        The answer's cookies are kept, unless `keep_cookies` is false: a save's flash message,
        never read here, would otherwise grow the session cookie with every save."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        conn = self.conn
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answered_early = False
        try:
            try:
                conn.request(method, path, body=body, headers={"Cookie": cookie, **(headers or {})})
                response = conn.getresponse()
            except BrokenPipeError:
                response = http.client.HTTPResponse(conn.sock, method=method)
                response.begin()
                answered_early = True  # the server closed; `conn` still awaits its answer
            data = response.read()
        except Exception:  # the connection is of no more use (refused, reset, timed out)
            conn.close()
            self.conn = None
            raise
        self.last_headers = response.headers
        if keep_cookies:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name] = value
        if answered_early or not self.keep_alive or response.will_close:
            conn.close()
            self.conn = None
        return response.status, data.decode(errors="strict" if self.strict_text else "replace")

    def token(self, path):
        """The CSRF token of the form at `path`."""
        status, page = self.request("GET", path)
        assert status == 200, f"{path}: HTTP {status}"
        return TOKEN.search(page).group(1)


def signed_up(port, email, password, **options):
    """A `Client` (with `options`) for a new patient registered on the server at `port`
    through the real form, CSRF on: so signed in."""
    client = Client(port, **options)
    form = {
        "csrf_token": client.token("/auth/register"),
        "email": email,
        "password": password,
        "timezone": "UTC",
        "role": "patient",
    }
    status, _ = client.request("POST", "/auth/register", form)
    assert status == 302, f"registering {email}: HTTP {status}"
    return client
