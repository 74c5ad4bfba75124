"""Local dates and times: stored in UTC, shown and grouped by the person's own day."""

import re
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from . import clock

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@cache
def choices():
    """IANA zone names a person can pick, sorted (region/city names and UTC)."""
    names = {n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "posix"))}
    return tuple(sorted(names | {"UTC"}))


@cache
def _choice_set():
    return frozenset(choices())


def is_valid(name):
    """True when `name` is a zone offered in `choices()`."""
    return name in _choice_set()


# The zone a person's days follow when their stored one is not known here.
FALLBACK_ZONE = "UTC"


@cache
def known(name):
    """True when this server's time zone data has the zone `name`. A stored zone may not be:
    one a newer tzdata removed, or a row written by hand ("Mars/Olympus_Mons")."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):  # ValueError: "../x", "", "a//b"
        return False
    return True


def usable(name):
    """The zone a person stored as `name`, or FALLBACK_ZONE when it is not `known` here: the
    one place a stored zone is read for use, so that such a zone leaves every page working
    (the settings page asks the person to choose one)."""
    return name if known(name) else FALLBACK_ZONE


def local_today(tz_name, now=None):
    """Today's date for someone in `tz_name` (now defaults to `clock.now()`)."""
    now = now or clock.now()
    return now.astimezone(ZoneInfo(tz_name)).date()


def local_date(iso, zone):
    """The local date, in `zone`, of a stored UTC time (ISO 8601)."""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).date()


def local_time(iso, zone, length="short_year_time"):
    """A stored UTC time in `zone` as "Sat 21 Nov 2026, 14:05" (or at another `length`, a key
    of DAY_FORMATS), or None."""
    if not iso:
        return None
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime(DAY_FORMATS[length])


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


# How a day (or a time) is shown, everywhere (pages, messages, the PDF report): one format per
# length.
DAY_FORMATS = {
    "weekday": "%A %-d %B",  # Tuesday 1 December
    "weekday_year": "%A %-d %B %Y",  # Tuesday 1 December 2026
    "short": "%a %-d %b",  # Tue 1 Dec
    "short_year": "%a %-d %b %Y",  # Tue 1 Dec 2026
    "date": "%-d %b",  # 1 Dec
    "date_year": "%-d %b %Y",  # 1 Dec 2026
    "full_date_year": "%-d %B %Y",  # 1 December 2026
    "month": "%B %Y",  # December 2026
    "month_id": "%Y-%m",  # 2026-12: a month's id in a page, not words
    "time": "%H:%M",  # 14:05
    "short_year_time": "%a %-d %b %Y, %H:%M",  # Tue 1 Dec 2026, 14:05
}


def day_text(day, length="weekday"):
    """`day` (a date) as the pages show it, at `length` (a key of DAY_FORMATS)."""
    return day.strftime(DAY_FORMATS[length])


# A length without the year, and the same with it.
WITH_YEAR = {"weekday": "weekday_year", "short": "short_year", "date": "date_year"}


def day_text_near(day, today, length="date"):
    """`day` at `length` (one of WITH_YEAR's keys), with its year when that is not `today`'s:
    "5 Dec" in the current year, "5 Dec 2025" in another. A day of another year read without
    it ("5 Dec", a year ago) reads as this week's."""
    return day_text(day, length if day.year == today.year else WITH_YEAR[length])
