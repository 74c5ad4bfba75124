"""gunicorn settings for Afterglow: `gunicorn 'journal:create_app()'` reads this file by itself.

Meant to run behind a TLS-terminating proxy on the same machine (see docs/OPERATIONS.md).
Each setting can be overridden on the command line or in GUNICORN_CMD_ARGS; the usual ones
also from the environment:

    GUNICORN_BIND      where to listen (default 127.0.0.1:8000: only the proxy reaches it)
    WEB_CONCURRENCY    worker processes (default: one per core plus one, at most 9)
    GUNICORN_THREADS   threads per worker (default 2)
"""

import gc
import multiprocessing
import os
import re

from gunicorn.glogging import Logger

from journal.logs import redact_path, redact_text

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")


def whole_number(name, default):
    """The environment's `name` as a whole number of at least 1, else `default`. Anything else
    stops the start with the setting's name: WEB_CONCURRENCY=0 started a master with no
    worker, listening and answering nothing, and GUNICORN_THREADS=0 a worker that failed."""
    written = os.environ.get(name, "").strip()
    if not written:
        return default
    if not written.isdigit() or int(written) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {written!r}")
    return int(written)


# Cores + 1, not the usual 2 × cores + 1: the app is bound by CPU, not by waiting (an
# fsync'd save takes under a millisecond of disk), so more processes than cores only take
# turns. On 2 cores, 5 workers did no more saves per second than 2 or 3 and had the longest
# tail (docs/OPERATIONS.md). Capped: past that one SQLite file is the limit, not the CPU.
workers = whole_number("WEB_CONCURRENCY", min(multiprocessing.cpu_count() + 1, 9))
# gthread over sync: about 15% more saves per second here, and a slow phone on a waiting
# room's connection holds a thread, not a whole worker; the proxy's connections stay alive.
worker_class = "gthread"
threads = whole_number("GUNICORN_THREADS", 2)

# The slowest request, a two-year PDF report, takes about half a second: a worker silent for
# 30 s is stuck and is replaced. On a restart, requests in flight get 20 s to finish.
timeout = 30
graceful_timeout = 20
# Idle connections from nginx are kept longer than nginx keeps them (its upstream
# keepalive_timeout is 60 s): nginx then always closes first and never sends a request on a
# connection gunicorn is just closing. Idle connections cost a poller slot, not a thread.
keepalive = 75
# Replace each worker after about this many requests: a slow leak (matplotlib, caches) can
# never grow for weeks. Not much lower: a new worker costs about a second of CPU to import
# the app. The jitter keeps the workers from restarting all at once.
max_requests = 20000
max_requests_jitter = 2000

# Each worker imports the app itself and opens its own SQLite connections: a connection must
# never cross a fork, and migrations run once per worker under a lock (the first one applies
# them, the others find nothing to do). It also lets `kill -HUP` load new code.
preload_app = False


def post_worker_init(worker):
    """Once a worker has loaded the app, set what it loaded (modules, the app, its routes and
    templates' machinery: some 150,000 objects that live as long as the worker) out of the
    garbage collector's way. Otherwise each of Python's full collections, which a busy worker
    runs every so often, walks all of them again: measured with wrk on /healthz, about a tenth
    of a small request's CPU (576 against 518 µs per request)."""
    gc.collect()
    gc.freeze()


# Access log on stdout, error log on stderr; the app's own JSON lines also go to stderr.
# No query strings, referrers, user agents or cookies; secret path parts are redacted.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
if loglevel.strip().lower() not in ("debug", "info", "warning", "error", "critical"):
    # gunicorn reads a level it does not know as info, without a word.
    raise ValueError(
        f"GUNICORN_LOGLEVEL must be debug, info, warning, error or critical, not {loglevel!r}"
    )
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

# What an access line may show, whatever access_log_format asks for.
SAFE_HEADERS = ("{x-request-id}o",)


class RedactingLogger(Logger):
    """gunicorn's logger with an access line that leaks nothing.

    gunicorn's format strings can't redact, so every atom is rebuilt here: the path without
    its query and with secrets redacted (also inside %(r)s), and no query string, referrer,
    user agent, remote user, cookie or environment atom at all (they come out as "-").
    """

    def atoms(self, resp, req, environ, request_time):
        """The atoms an access line may show, each as gunicorn's own `atoms` gives it, built
        directly: gunicorn's builds one for every request header, response header and
        environ key first (about 20 µs of a /healthz request's 36 µs of logging)."""
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        seconds, micro = request_time.seconds, request_time.microseconds
        method = environ.get("REQUEST_METHOD")
        protocol = environ.get("SERVER_PROTOCOL")
        # PATH_INFO holds the raw bytes as latin-1.
        path = redact_path(environ.get("PATH_INFO", "").encode("latin-1", errors="replace"))
        safe = {
            "h": environ.get("REMOTE_ADDR", "-"),
            "t": self.now(),
            "r": f"{method} {path} {protocol}",
            "s": status,
            "m": method,
            "U": path,
            "H": protocol,
            "b": sent is not None and str(sent) or "-",
            "B": sent,
            "T": seconds,
            "D": seconds * 1000000 + micro,
            "M": seconds * 1000 + int(micro / 1000),
            "L": f"{seconds}.{micro:06d}",
            "p": f"<{os.getpid()}>",
        }
        for name, value in resp.headers:
            key = f"{{{name.lower()}}}o"
            if key in SAFE_HEADERS:
                safe[key] = value
        return safe

    def exception(self, msg, *args, **kwargs):
        """gunicorn's "Error handling request %s %s" (method, address) for an error outside
        the app's own handling: the address as an access line shows it, without its query and
        with secret parts redacted (it held a share link's token and the query in full)."""
        if msg.startswith("Error handling request") and args:
            args = (*args[:-1], safe_address(args[-1]))
        super().exception(msg, *args, **kwargs)

    def warning(self, msg, *args, **kwargs):
        """gunicorn's "Invalid request from ip=...: <error>" for a request it could not read
        quotes the request line ("GET /s/<token>?q=..."): secrets redacted, no query, as an
        access line shows an address."""
        if isinstance(msg, str) and msg.startswith("Invalid request from"):
            msg = QUERY.sub("?[query]", redact_text(msg))
        super().warning(msg, *args, **kwargs)


# A query in a request line gunicorn quotes, up to the quote, space or end that ends it.
QUERY = re.compile(r"\?[^\s'\"]*")


def safe_address(uri):
    """A request's address as the logs may show it: its path, secrets redacted, no query."""
    path = str(uri).split("?", 1)[0].split("#", 1)[0]
    return redact_path(path.encode("latin-1", errors="replace"))


logger_class = RedactingLogger
# No control socket (gunicorn 25+): nothing here uses it, and one per user would be shared
# by every gunicorn this account runs (tests, benchmarks).
control_socket_disable = True
