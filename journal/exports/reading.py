"""The person's own rows for an export, read through `journal.data` as the stream takes them.

Every reader names its owner (`user_id`). The row readers are generators, so nothing is read
until the download is streamed: by then the view's database connection is closed and
`get_db` opens the stream's own.
"""

import json

from .. import instruments
from ..data import assessments, checkins, links, owned, sessions, symptoms, users
from ..db import get_db


def user_row(user_id):
    """The person's `users` row, or None when there is no such account."""
    return users.by_id(get_db(), user_id)


def tracked_symptoms(user_id):
    """Every symptom the person has ever tracked, retired ones included."""
    return symptoms.every(get_db(), user_id)


def symptom_scores(user_id):
    """{checkin_id: {symptom_id: value}} for all of the person's check-ins."""
    return symptoms.scores_by_checkin(get_db(), user_id)


def checkin_rows(user_id):
    """The person's check-ins, oldest first, read one at a time."""
    yield from checkins.oldest_first(get_db(), user_id)


def session_rows(user_id):
    """The person's sessions, oldest first and numbered, read one at a time."""
    yield from sessions.numbered(get_db(), user_id)


def assessment_rows(user_id):
    """The person's check-ups, oldest first, each with its answers as a list and its band,
    read one at a time."""
    for row in assessments.oldest_first(get_db(), user_id):
        row["answers"] = json.loads(row["answers"])
        row["band"] = instruments.band(row["kind"], row["total"])
        yield row


def share_link_rows(user_id, columns):
    """The person's share links, oldest first, with only `columns` (never token hashes)."""
    return links.share_links_oldest_first(get_db(), user_id, columns)


def therapist_link(user_id):
    """The person's link to a therapist as {"therapist_name", "linked_at"}, or None."""
    return links.therapist_of(get_db(), user_id)


def counts(user_id):
    """{table: how many rows the person has} of check-ins, sessions and check-ups."""
    db = get_db()
    return {
        table: owned.owned_count(db, table, user_id)
        for table in ("checkins", "sessions", "assessments")
    }
