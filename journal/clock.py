"""The one clock the app asks for "now" (UTC), so tests can set it.

Nothing in the app reads the system clock directly or fixes "today" when imported: it calls
`now()` (an aware UTC datetime), `timestamp()` (Unix seconds) or `utcnow_iso()`. Tests call
`set(moment)` to hold time at a moment (or move it), and `reset()` to follow the real clock
again. A live server started by the tests reads `JOURNAL_NOW` (ISO 8601) at start-up for the
same purpose.
"""

import os
import time
from datetime import UTC, datetime

_fixed = None


def now():
    """The current time, an aware datetime in UTC."""
    return _fixed if _fixed is not None else datetime.now(UTC)


def timestamp():
    """The current time as Unix seconds."""
    return _fixed.timestamp() if _fixed is not None else time.time()


def utcnow_iso():
    """The current UTC time as ISO 8601 text, to the second."""
    return now().isoformat(timespec="seconds")


def set(moment):  # noqa: A001 - the clock's own verb
    """Hold the clock at `moment` (an aware datetime) until set again or reset."""
    global _fixed
    if moment.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    _fixed = moment.astimezone(UTC)


def reset():
    """Follow the real clock again."""
    global _fixed
    _fixed = None


def from_environment():
    """Hold the clock at `JOURNAL_NOW` when it is set (a server started by the tests)."""
    text = os.environ.get("JOURNAL_NOW")
    if text:
        set(datetime.fromisoformat(text))
