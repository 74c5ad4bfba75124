"""Local dates and times: stored in UTC, shown and grouped by the person's own day."""

import re
from datetime import date
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from . import clock

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@cache
def choices():
    """IANA zone names a person can pick, sorted (region/city names and UTC)."""
    names = {n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "posix"))}
    return sorted(names | {"UTC"})


@cache
def _choice_set():
    return frozenset(choices())


def is_valid(name):
    """True when `name` is a zone offered in `choices()`."""
    return name in _choice_set()


def local_today(tz_name, now=None):
    """Today's date for someone in `tz_name` (now defaults to `clock.now()`)."""
    now = now or clock.now()
    return now.astimezone(ZoneInfo(tz_name)).date()


def parse_day(text):
    """A YYYY-MM-DD string as a date, or None when it is not exactly one.

    The one date parser for forms, query strings, URLs and imports. Python's fromisoformat
    alone also takes ISO week dates ("2026-W48-1") and the basic form ("20261202").
    """
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
