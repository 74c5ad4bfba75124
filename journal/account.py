"""The account itself: erasing it with everything in it, and "Recent activity".

No views here: the pages (`/settings/delete`, `/settings/activity`) are in
journal/settings/account.py, and exports and reports call `export_recorded`. Deleting asks
for the password (checked, and throttled, like the current password on the settings page),
then in one transaction deletes every row of the person: each table's rows that carry their
`user_id` (the schema cascades from `users` too, so symptom scores, share-link openings and
therapist links go with them), the failed log-ins that name their email, and the `users`
row. A therapist the person was linked to keeps a notice that "a linked patient deleted
their account" (the therapist's id, the kind and the time: no name, no id of the person); the
reviews and notices that named the person go with the rest. SQLite's `secure_delete` (on
for every connection, see `data.connect`) zeroes what is deleted inside the pages it
rewrites; a `wal_checkpoint(TRUNCATE)` then copies those pages into the main file and empties
the write-ahead log, where older copies of the pages would otherwise stay until overwritten.
So no trace of the person's words is left in the database files (tests/test_erasure.py
reads the bytes). Backups taken earlier still hold them until they are rotated away.

"Recent activity" (`/settings/activity`) lists, newest first, the last ACTIVITY_DAYS days
(at most ACTIVITY_LIMIT events): sign-ins and exports from the `activity` table, the
openings of the person's share links from `share_openings` (recorded there by
journal/share.py), and what the audit log (journal/data/audit.py) holds about the person: each
time a therapist opened their progress, a report or a chart, or an admin acted on their
account, in words ("Dr Rivera viewed your progress"). Decisions:

- A chart drawn within CHART_WITH_PAGE after the same therapist opened the page is part of
  that page view and is not listed apart; a chart opened on its own is.
- A share link's opening is in the audit log too, but listed once, from `share_openings`,
  which knows the link's name ("Someone with your share link “Dr Rivera” opened it").
- The audit log's rows stay when an account is deleted (append-only, opaque ids only); the
  person's own `activity` rows go with the account.

- A sign-in keeps only the browser and system in a few words ("Firefox on Android"), never
  the User-Agent string, and the start of the address (IPv4 /24 as "203.0.113.",
  IPv6 /48 as "2001:db8:85a3:"): enough to tell one's own phone from a stranger, not enough
  to locate anyone. Behind a proxy the address is the client's only when PROXY_HOPS is set.
- Signing in from the log-in form or by registering is counted; a "remember me" cookie
  that signs the person back in is not (it is the same device, already counted).
- `detail` holds small JSON of those words, the file's name or how one signed in: never
  health data, text, tokens or passwords.
- Rows older than ACTIVITY_DAYS are deleted when the person's next event is recorded.
- A log-in that waits after too many wrong passwords or two-factor codes is one event, noted
  by journal/passwords.py as the account's count reaches the limit (not each wrong try, and
  not again until the person has signed in since).
"""

import json
import time
from datetime import datetime, timedelta

from flask import current_app, request
from flask_login import current_user

from . import clock, devices, two_factor
from .data import activity, audit, links, reviews, users
from .data.tokens import token_hash
from .db import get_db, write_transaction
from .fields import isolated
from .numbers import plural
from .passwords import PAUSED

ACTIVITY_DAYS = 90
# The event a patient is left when their therapist deletes their account, with nothing of the
# therapist's (`therapist_deleted_on`).
THERAPIST_DELETED = "therapist-deleted"
ACTIVITY_LIMIT = 100
CHECKPOINT_TRIES = 3


# Recording activity


def record_activity(kind, user_id=None, **detail):
    """Note an event of the signed-in person (or of `user_id`, for someone not signed in,
    such as a password set from a reset link) for "Recent activity", and forget old ones.

    `detail` is a few words of what happened (a file's name, how one signed in): never
    health data, text, tokens or passwords. A sign-in adds the device and network start.
    """
    user_id = current_user.id if user_id is None else user_id
    if kind == "sign-in":
        detail["device"] = devices.device_words(request.headers.get("User-Agent"))
        detail["network"] = devices.network_start(request.remote_addr)
    db = get_db()
    since = (clock.now() - timedelta(days=ACTIVITY_DAYS)).isoformat(timespec="seconds")
    with db.atomic():
        activity.forget_before(db, user_id, since)
        activity.add(db, user_id, clock.utcnow_iso(), kind, json.dumps(detail))


def export_recorded(response, file):
    """`response`, once the download of `file` is noted in the person's activity (not for a
    HEAD, which downloads nothing)."""
    if request.method != "HEAD":
        record_activity("export", file=file)
    return response


# Reading activity


def therapist_deleted_on(user_id):
    """When the therapist the patient was linked to last deleted their account, in the last
    NOTICE_DAYS (as a caseload's notices are shown), ISO text; else None."""
    since = (clock.now() - timedelta(days=reviews.NOTICE_DAYS)).isoformat(timespec="seconds")
    return activity.latest_of(get_db(), user_id, THERAPIST_DELETED, since)


def describe(kind, detail):
    """(what happened, further words) for an `activity` row."""
    if kind == "sign-in":
        where = detail.get("device") or "A browser"
        if detail.get("network"):
            where += f", from an address starting {detail['network']}"
        what = "Created the account and signed in" if detail.get("how") == "register" else None
        if detail.get("how") == "a passkey":
            what = "Signed in with a passkey"
        return what or "Signed in", where
    if kind == "export":
        return f"Downloaded {detail.get('file', 'a file')}", ""
    if kind == "password-reset" and detail.get("cleared"):
        # An admin's (or the command line's) link also turns two-factor off and removes every
        # passkey: said here, as a sign-in's way is, or the entries below it ("Turned
        # two-factor sign-in on") would read as still true.
        return RESET_THAT_CLEARED
    if kind in PAUSED.values():
        return paused_words(kind, detail)
    if kind == THERAPIST_DELETED:
        return "Your therapist deleted their account", "Your journal is no longer shared with them"
    if kind == "two-factor-on" and detail.get("passkeys_removed"):
        # Staff's passkeys added while it was off (journal/settings/two_factor.py).
        removed = plural(int(detail["passkeys_removed"]), "passkey")
        return SETTINGS_EVENTS[kind][0], f"Removed {removed} added while it was off"
    return SETTINGS_EVENTS.get(kind) or (kind.replace("-", " ").capitalize(), "")


def paused_words(kind, detail):
    """(what, further words) for a log-in that waited after too many wrong tries
    (journal/passwords.py): calm, and what to do if it was not the person."""
    minutes = detail.get("minutes")
    how_long = (
        f"For about {plural(minutes, 'minute')}" if isinstance(minutes, int) else "For a while"
    )
    if kind == PAUSED["code"]:
        return (
            "Logging in paused after several wrong two-factor codes",
            f"{how_long}, to keep your account safe. Whoever tried knew your password: if it "
            "was not you, change it in Settings.",
        )
    return (
        "Logging in paused after several wrong passwords",
        f"{how_long}, to keep your account safe; the wrong tries opened nothing. If it was not "
        "you, a new password in Settings keeps it that way.",
    )


# What a person changed of how they sign in: each shows in their "Recent activity", so that
# a change they did not make (from a session left open) is seen.
SETTINGS_EVENTS = {
    "password-reset": ("Password set from a reset link", "Every device was signed out"),
    "password-changed": ("Changed the password", "Every other device was signed out"),
    "passkey-added": ("Added a passkey", ""),
    "passkey-removed": ("Removed a passkey", ""),
    "two-factor-on": ("Turned two-factor sign-in on", ""),
    "two-factor-off": ("Turned two-factor sign-in off", ""),
    # A link reads the journal for up to 90 days, whoever holds it: one made from a session
    # left open must be seen before it is ever opened (openings show too, below).
    "link-made": ("Made a share link", "Share links lists it, to revoke one you did not make"),
}
RESET_THAT_CLEARED = (
    "Password set from a reset link",
    "Every device was signed out; two-factor sign-in was turned off and every passkey "
    "removed; share links were revoked and the calendar link turned off",
)


def activity_of(user_id, now=None):
    """The person's events of the last ACTIVITY_DAYS days, newest first, at most ACTIVITY_LIMIT.

    Each is {"at", "kind", "what", "more"}: sign-ins and exports from `activity`, openings
    of their share links from `share_openings`. The page adds when, in the person's zone.
    """
    now = now or clock.now()
    since = (now - timedelta(days=ACTIVITY_DAYS)).isoformat(timespec="seconds")
    db = get_db()
    events = []
    for row in activity.since(db, user_id, since, ACTIVITY_LIMIT):
        at, kind, detail = row["at"], row["kind"], row["detail"]
        try:
            detail = json.loads(detail or "{}")
        except ValueError:
            detail = {}
        what, more = describe(kind, detail if isinstance(detail, dict) else {})
        events.append({"at": at, "kind": kind, "what": what, "more": more})
    events += audit_events(db, user_id, since)
    for opening in links.openings_since(db, user_id, since, ACTIVITY_LIMIT):
        events.append(
            {
                "at": opening["opened_at"],
                "kind": "link-opened",
                "what": f"Someone with your share link “{isolated(opening['label'])}” opened it",
                "more": "The PDF report was downloaded" if opening["what"] == "report" else "",
            }
        )
    # Stable sort: within one second, each source keeps its own newest-first order.
    events.sort(key=lambda e: datetime.fromisoformat(e["at"]), reverse=True)
    return events[:ACTIVITY_LIMIT]


# What the audit log says about the person, in words

# A therapist's reach into the person's data (the audit log's `detail`), in plain words.
AUDIT_WORDS = {
    "caseload.patient": "viewed your progress",
    "caseload.report": "downloaded a PDF report of your progress",
    "caseload.reviewed": "marked your progress as reviewed",
    "caseload.undo_review": "took back marking your progress as reviewed",
    "chart": "viewed a chart of your progress",
}
# An admin's action on the person's account (the audit log's `action`), in plain words.
ACTION_WORDS = {
    "deactivate": "deactivated your account",
    "reactivate": "reactivated your account",
    "reset-link": "made a link to set a new password for your account",
    "create-admin": "made this administrator account",
}
# Who acted, when their account has no name to show (or is gone), by the log's `actor_role`.
ROLE_WORDS = {
    "therapist": "Your therapist",
    "admin": "An administrator at your clinic",
    "command line": "Your clinic’s server administrator",
}
# A chart drawn within this long after the same person opened the page is part of that page.
CHART_WITH_PAGE = timedelta(minutes=10)


def audit_words(row):
    """The audit log's `row` (with `actor_name`) as one sentence, or None when it is a share
    link's opening (`share_openings` shows those, with the link's name)."""
    if row["actor_role"] == "share-link":
        return None
    who = isolated(row["actor_name"]) or ROLE_WORDS.get(row["actor_role"], "Someone")
    detail = row["detail"] or ""
    key = "chart" if detail.startswith("chart:") else detail
    what = (
        AUDIT_WORDS.get(key)
        or ACTION_WORDS.get(row["action"])
        or f"reached your account ({row['action'].replace('-', ' ')})"
    )
    return f"{who} {what}"


def audit_events(db, user_id, since):
    """The audit log's entries about the person from `since` on, as activity events, newest
    first: a chart drawn just after its page was opened by the same person is left out (the
    page view says it)."""
    # A share link's rows (its openings, each chart it drew) are not read here: the link's
    # openings show from share_openings, and however many a link holder made, they must not
    # crowd the people who reached the journal out of the rows read.
    rows = audit.about(db, user_id, ACTIVITY_LIMIT * 10, since=since, leave_out_role="share-link")
    page_views = {}  # actor: when they last opened the page, walking oldest first
    kept = []
    for row in reversed(rows):
        at = datetime.fromisoformat(row["at"])
        if row["detail"] == "caseload.patient":
            page_views[row["actor_id"]] = at
        opened = page_views.get(row["actor_id"])
        chart = (row["detail"] or "").startswith("chart:")
        if chart and opened is not None and at - opened <= CHART_WITH_PAGE:
            continue
        what = audit_words(row)
        if what:
            kept.append({"at": row["at"], "kind": "viewed", "what": what, "more": ""})
    return kept[::-1]


# Erasing


class LastAdmin(Exception):
    """The account is the clinic's only active admin, so it is not erased."""


# How long the deletion form, sent again, is told that it erased the account: a double tap
# or a retry on a slow connection comes within seconds.
ERASED_NOTE_SECONDS = 5 * 60


def erase(user_id, email, request_key=None, forget_owner=None):
    """Delete every row of the person in one transaction, then checkpoint the log away.

    With the deletion form's `request_key`, notes for ERASED_NOTE_SECONDS that it erased the
    account whose device queue tag is `forget_owner` (`erased_by`): the key's SHA-256 and the
    tag, nothing of the person. So, with `forget_owner`, are the person's live sign-ins, each
    for as long as it would have lasted: another device still signed in as them (with
    check-ins written offline waiting on it, and drafts) is told, when it next comes, that the
    account was erased and to forget what it keeps of them (people.load_user).

    Returns True when the checkpoint emptied the write-ahead log. Raises LastAdmin, erasing
    nothing, when the person is an admin and no other active admin is left: checked inside
    the transaction, since two admins deleting their accounts at once each saw the other
    still there on the page and both went, leaving the clinic with none.
    """
    # Holding the write lock from the start: the same deletion sent from two tabs at once
    # takes turns (the second erases nothing) instead of failing with "database is locked".
    with write_transaction() as db:
        row = users.by_id(db, user_id)
        if (
            row is not None
            and row["role"] == "admin"
            and not users.other_active_admins(db, user_id)
        ):
            raise LastAdmin
        # A linked therapist is told, with nothing of the person: no name, no id.
        link = links.therapist_link_of(db, user_id)
        if link is not None:
            reviews.add_notice(db, link["therapist_id"], "deleted", clock.utcnow_iso())
        # And a therapist's linked patients, alike (their "Your therapist" page and activity).
        for patient in links.linked_patients(db, user_id):
            activity.add(db, patient["id"], clock.utcnow_iso(), THERAPIST_DELETED, "{}")
        now = clock.timestamp()
        if forget_owner:
            users.note_signins_erased(db, user_id, forget_owner, now)
        users.delete_everything_of(db, user_id, email, [two_factor.throttle_key(email)])
        if request_key:
            users.note_erasure(
                db, token_hash(request_key), forget_owner, now + ERASED_NOTE_SECONDS, now
            )
    return checkpoint(db)


def erased_by(request_key):
    """The device queue tag of the account the deletion form of `request_key` erased in the
    last ERASED_NOTE_SECONDS, or None: the same form sent again, its sign-in gone with the
    account, is answered as the first sending was."""
    if not request_key:
        return None
    return users.erased_by(get_db(), token_hash(request_key), clock.timestamp())


def checkpoint(db):
    """Copy the log into the database file and truncate the log to nothing.

    A reader in the middle of a request elsewhere makes TRUNCATE wait (the busy timeout) and
    then answer busy; it is tried CHECKPOINT_TRIES times. Never RESTART instead: that leaves
    the old frames, the person's words among them, in the -wal file until overwritten.
    """
    for attempt in range(CHECKPOINT_TRIES):
        if not users.checkpoint_truncate(db):
            return True
        time.sleep(0.1 * (attempt + 1))
    current_app.logger.warning(
        "After an account deletion the write-ahead log could not be truncated: a reader "
        "stayed busy. The next full checkpoint completes the erasure."
    )
    return False
