"""The local day a person joined: pure (no Flask, no SQL), for the pages that start there."""

from datetime import UTC, datetime

from . import timezones


def joined_day(person):
    """The local date the person's account was made, or None when it is not known.

    The one answer for pages that start at a new person's first day (progress ranges,
    History's missed days). A time stored without an offset is UTC, as every stored time is.
    """
    try:
        made = datetime.fromisoformat(person.created_at)
    except (TypeError, ValueError):
        return None
    return timezones.local_today(person.timezone, made.replace(tzinfo=made.tzinfo or UTC))
