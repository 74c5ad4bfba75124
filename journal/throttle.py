"""How often something may happen: at most `limit` times within a window of seconds, then a
wait until the oldest of them leaves the window.

Counted in SQLite (`login_failures`, journal/data/users.py) so that a limit holds across
gunicorn workers, each thing under a key of its own: failed log-ins by email and by network
address, wrong two-factor codes ("2fa:<email>"), both journal/passwords.py; report builds,
under no address (they never count against an address's log-ins): a share link's
("report:<link id>", journal/share.py) and those a signed-in person answers for, their own,
their caseload's and their links' ("report-by:<user id>", journal/reports/pdf.py). Shared by
those, not a view: no routes.

Every use is kept as long as the longest window any limit counts over (`kept_seconds`), and
forgotten after: a failed log-in forgot every row older than the log-in window, a share link's
report builds within theirs too when that was the shorter.
"""

import math

from flask import current_app

from . import clock
from .data import users
from .db import get_db, write_transaction
from .numbers import plural

# The windows (seconds) of the limits other than the log-in's, whose window is config
# (LOGIN_WINDOW_MINUTES): noted by `window` where each limit is defined.
_windows = set()


def window(seconds):
    """`seconds`, noted as the window of a limit counted here (so that no use it still counts
    is forgotten: `kept_seconds`)."""
    _windows.add(seconds)
    return seconds


def login_window():
    """The log-in throttle's window, in seconds (LOGIN_WINDOW_MINUTES)."""
    return current_app.config["LOGIN_WINDOW_MINUTES"] * 60


def kept_seconds():
    """How long a use is kept: the longest window any limit counts over."""
    return max([login_window(), *_windows])


def wait(db, column, key, limit, window_seconds, now=None):
    """Seconds until `key` (in `column`: "email", where every key is kept, or "address") may be
    used again, once used `limit` times within the last `window_seconds`; 0 when it may be
    used now. Whole seconds, rounded up: the oldest use that still counts must leave the
    window (a held clock can make it exactly the window)."""
    now = now or clock.timestamp()
    times = users.failure_times(db, column, key, now - window_seconds, limit)
    if len(times) < limit:
        return 0
    return max(1, math.ceil(times[-1] + window_seconds - now))


def record(db, key, address="", now=None):
    """Count one use of `key` (from the network `address` it is also counted under, "" for
    none), and forget the uses no limit counts any more."""
    now = now or clock.timestamp()
    with db.atomic():
        users.forget_failures_before(db, now - kept_seconds())
        users.add_failure(db, key, address, now)


def take(limits, count=True):
    """Seconds before a use may happen under every one of `limits`, each (key, limit,
    window_seconds): at most `limit` uses of `key` within the window; 0 when it may happen now,
    and then it is counted under each key (before the work starts: requests sent at once are
    each counted), unless `count` is false (a HEAD, which does nothing)."""
    if not count:
        return max(wait(get_db(), "email", *limit) for limit in limits)
    with write_transaction() as db:
        seconds = max(wait(db, "email", *limit) for limit in limits)
        if not seconds:
            for key, _, _ in limits:
                record(db, key)  # under no address: never against an address's log-ins
    return seconds


def when(seconds):
    """When a wait of `seconds` ends, as a page says it: "in a minute", "in about 4 minutes"."""
    minutes = round(seconds / 60)
    return "in a minute" if minutes <= 1 else f"in about {plural(minutes, 'minute')}"
