"""The schema, as sqlite-utils `Migrations`: append-only, never edited once released.

Flask-free, so the CLI, the app factory, tests and benchmarks all migrate the
same way. Times are stored in UTC as ISO 8601 text; `day` columns hold the
person's local date (YYYY-MM-DD).
"""

import re
import sqlite3
import unicodedata
from time import monotonic, sleep

from sqlite_utils.migrations import Migrations

migrations = Migrations("journal")


@migrations()
def m001_users(db):
    db.execute(
        """
        create table users (
            id integer primary key,
            email text not null unique collate nocase,
            password_hash text not null,
            display_name text not null default '',
            timezone text not null default 'UTC',
            role text not null default 'patient' check (role in ('patient', 'therapist')),
            created_at text not null
        )
        """
    )


@migrations()
def m002_login_failures(db):
    # One row per failed log-in; counted over a sliding window by account and by address.
    db.execute(
        """
        create table login_failures (
            id integer primary key,
            email text not null collate nocase,
            address text not null,
            at real not null
        )
        """
    )
    db.execute("create index login_failures_email on login_failures (email, at)")
    db.execute("create index login_failures_address on login_failures (address, at)")


@migrations()
def m003_checkins(db):
    db.execute(
        """
        create table checkins (
            id integer primary key,
            user_id integer not null references users (id) on delete cascade,
            day text not null,
            mood integer not null check (mood between 0 and 10),
            anxiety integer check (anxiety between 0 and 10),
            energy integer check (energy between 0 and 10),
            sleep_hours real check (sleep_hours between 0 and 24),
            tags text not null default '',
            reflection text not null default '',
            private integer not null default 0,
            self_harm integer,
            created_at text not null,
            updated_at text not null,
            unique (user_id, day)
        )
        """
    )


@migrations()
def m004_sessions(db):
    # started_at is UTC; day is the person's local date of the session (day 0 of its window).
    db.execute(
        """
        create table sessions (
            id integer primary key,
            user_id integer not null references users (id) on delete cascade,
            started_at text not null,
            day text not null,
            product text not null check (product in ('ketamine', 'esketamine')),
            route text not null
                check (route in ('iv', 'im', 'sc', 'intranasal', 'oral', 'sublingual', 'other')),
            dose_mg real check (dose_mg > 0),
            dose_mg_per_kg real check (dose_mg_per_kg > 0),
            weight_kg real check (weight_kg > 0),
            clinic text not null default '',
            intention text not null default '',
            mood_before integer check (mood_before between 0 and 10),
            mood_after integer check (mood_after between 0 and 10),
            dissociation integer check (dissociation between 0 and 10),
            side_effects text not null default '',
            side_effects_other text not null default '',
            bp_before_systolic integer,
            bp_before_diastolic integer,
            bp_after_systolic integer,
            bp_after_diastolic integer,
            reflection text not null default '',
            prompts text not null default '{}',
            private integer not null default 0,
            created_at text not null,
            updated_at text not null
        )
        """
    )
    db.execute("create index sessions_user_day on sessions (user_id, day)")


@migrations()
def m005_assessments(db):
    # answers is a JSON list of the item scores (0-3), in the instrument's order.
    db.execute(
        """
        create table assessments (
            id integer primary key,
            user_id integer not null references users (id) on delete cascade,
            kind text not null check (kind in ('phq9', 'gad7')),
            day text not null,
            answers text not null,
            total integer not null,
            item9 integer,
            difficulty integer check (difficulty between 0 and 3),
            created_at text not null
        )
        """
    )
    db.execute("create index assessments_user_kind_day on assessments (user_id, kind, day)")


@migrations()
def m006_user_settings(db):
    db.execute(
        "alter table users add column window_days integer not null default 7"
        " check (window_days between 2 and 28)"
    )
    db.execute("alter table users add column clinic_phone text not null default ''")


@migrations()
def m007_symptoms(db):
    # A person's own 0-10 symptoms; retiring one hides it from the form and keeps its history.
    db.execute(
        """
        create table symptoms (
            id integer primary key,
            user_id integer not null references users (id) on delete cascade,
            name text not null collate nocase,
            retired_at text,
            created_at text not null,
            unique (user_id, name)
        )
        """
    )
    db.execute(
        """
        create table symptom_scores (
            checkin_id integer not null references checkins (id) on delete cascade,
            symptom_id integer not null references symptoms (id) on delete cascade,
            value integer not null check (value between 0 and 10),
            primary key (checkin_id, symptom_id)
        )
        """
    )


@migrations()
def m008_sharing_settings(db):
    # private_by_default: whether new reflections start private. report_name: the name or
    # pseudonym shown to a therapist. invite_code: a therapist's code for patients to link.
    db.execute("alter table users add column private_by_default integer not null default 0")
    db.execute("alter table users add column report_name text not null default ''")
    db.execute("alter table users add column invite_code text")
    db.execute("create unique index users_invite_code on users (invite_code)")


@migrations()
def m009_share_links(db):
    # Only a hash of each token is stored; the token itself is shown once.
    db.execute(
        """
        create table share_links (
            id integer primary key,
            user_id integer not null references users (id) on delete cascade,
            label text not null,
            token_hash text not null unique,
            created_at text not null,
            expires_at text not null,
            revoked_at text,
            last_opened_at text,
            open_count integer not null default 0
        )
        """
    )
    db.execute("create index share_links_user on share_links (user_id)")
    db.execute(
        """
        create table share_openings (
            id integer primary key,
            link_id integer not null references share_links (id) on delete cascade,
            opened_at text not null,
            what text not null check (what in ('page', 'report'))
        )
        """
    )


@migrations()
def m010_therapist_links(db):
    # A patient links to at most one therapist at a time, and can unlink at any moment.
    db.execute(
        """
        create table therapist_links (
            patient_id integer primary key references users (id) on delete cascade,
            therapist_id integer not null references users (id) on delete cascade,
            linked_at text not null
        )
        """
    )
    db.execute("create index therapist_links_therapist on therapist_links (therapist_id)")


@migrations()
def m011_pending_imports(db):
    # A parsed import waits here, shown for confirmation, until the person saves or drops it.
    db.execute(
        """
        create table pending_imports (
            id integer primary key,
            user_id integer not null references users (id) on delete cascade,
            filename text not null,
            source text not null,
            rows text not null,
            created_at text not null
        )
        """
    )


@migrations()
def m012_session_version(db):
    # Part of every session's user id; changing the password bumps it, which signs out every
    # other device (their sessions and "remember me" cookies carry the old number).
    db.execute("alter table users add column session_version integer not null default 0")


@migrations()
def m013_checkin_requests(db):
    # Idempotency keys of check-ins sent from the device (queued offline, or retried): a key
    # seen before answers as before and changes nothing.
    db.execute(
        """
        create table checkin_requests (
            id integer primary key,
            user_id integer not null references users (id) on delete cascade,
            key text not null,
            day text not null,
            outcome text not null,
            created_at text not null,
            unique (user_id, key)
        )
        """
    )


@migrations()
def m014_reminders(db):
    # A daily reminder time (HH:MM, local; '' for none) and the secret calendar feed's hash.
    db.execute("alter table users add column reminder_time text not null default ''")
    db.execute("alter table users add column calendar_secret_hash text")
    db.execute("create unique index users_calendar_secret on users (calendar_secret_hash)")


@migrations()
def m015_activity(db):
    # What the person sees under "Recent activity": sign-ins, exports, link openings. Never
    # any health data or text in `detail`.
    db.execute(
        """
        create table activity (
            id integer primary key,
            user_id integer not null references users (id) on delete cascade,
            at text not null,
            kind text not null,
            detail text not null default ''
        )
        """
    )
    db.execute("create index activity_user_at on activity (user_id, at)")


@migrations()
def m016_share_request_keys(db):
    # The key of the form that made a link: the same form sent again (a reload of the page
    # that showed the new link) makes no second link.
    db.execute("alter table share_links add column request_key text")
    db.execute("create unique index share_links_request on share_links (user_id, request_key)")


# Tables whose id a URL, a link or a cookie can carry. SQLite gives a plain `integer primary
# key` the largest id in use plus one, so deleting the newest row (an account, a session)
# handed its id to the next one: a bookmarked URL or an old cookie then named someone else.
# AUTOINCREMENT never gives an id twice.
NEVER_REUSED = ("users", "sessions", "assessments", "symptoms", "pending_imports", "share_links")


def rebuild_with_autoincrement(db, table):
    """Rebuild `table` with `id integer primary key autoincrement`, keeping rows and indexes.

    `migrate` runs it with foreign keys off; with `legacy_alter_table` on too, renaming the
    old table aside leaves the children pointing at the name `table`, which the new table
    then takes, and dropping the old one touches no child row.
    """
    create = db.execute(
        "select sql from sqlite_master where type = 'table' and name = ?", [table]
    ).fetchone()[0]
    indexes = [
        sql
        for (sql,) in db.execute(
            "select sql from sqlite_master where type = 'index' and tbl_name = ? "
            "and sql is not null",
            [table],
        )
    ]
    columns = ", ".join(f"[{c.name}]" for c in db[table].columns)
    new_create, found = re.subn(
        r"\bid integer primary key\b", "id integer primary key autoincrement", create, count=1
    )
    assert found == 1, f"{table} has no 'id integer primary key'"
    db.execute("PRAGMA legacy_alter_table = ON")
    try:
        db.execute(f"alter table [{table}] rename to [{table}_old]")
        db.execute(new_create)
        db.execute(f"insert into [{table}] ({columns}) select {columns} from [{table}_old]")  # noqa: S608
        db.execute(f"drop table [{table}_old]")
    finally:
        db.execute("PRAGMA legacy_alter_table = OFF")
    for sql in indexes:
        db.execute(sql)


@migrations()
def m017_ids_never_reused(db):
    for table in NEVER_REUSED:
        rebuild_with_autoincrement(db, table)


@migrations()
def m018_signins(db):
    # One row per signed-in browser: the session and "remember me" cookies carry only a random
    # token whose hash is here, so logging out, a password change, the idle timeout or a
    # deleted account kills every copy of those cookies at once. `seen_at` (Unix time, to the
    # minute) is the last request, for the idle timeout; `expires_at` ends even a remembered
    # sign-in. `device` and `network` are the few words "Recent activity" shows.
    db.execute(
        """
        create table signins (
            id integer primary key autoincrement,
            user_id integer not null references users (id) on delete cascade,
            token_hash text not null unique,
            remember integer not null default 0,
            created_at text not null,
            seen_at real not null,
            expires_at real not null,
            device text not null default '',
            network text not null default ''
        )
        """
    )
    db.execute("create index signins_user on signins (user_id)")


@migrations()
def m019_sessions_by_start(db):
    # The sessions list pages by start time, newest first: an index walks to the page
    # instead of sorting all of a person's sessions.
    db.execute("create index sessions_user_started on sessions (user_id, started_at, id)")


@migrations()
def m020_session_request_keys(db):
    # The key of the new-session form that saved a session: the same form sent again (a
    # double tap, a reload) stores no second one, as share links' keys do (m016).
    db.execute("alter table sessions add column request_key text")
    db.execute("create unique index sessions_request on sessions (user_id, request_key)")


@migrations()
def m021_assessment_request_keys(db):
    # The key of the check-up form that saved a check-up: a double tap stores it once.
    db.execute("alter table assessments add column request_key text")
    db.execute("create unique index assessments_request on assessments (user_id, request_key)")


@migrations()
def m022_calendar_request_key(db):
    # The key of the form that made the current calendar link: the same form sent again (a
    # reload of the page that showed the link) does not replace the link just copied.
    db.execute("alter table users add column calendar_request_key text")


@migrations()
def m023_checkin_moods_by_day(db):
    # A person's moods by day, read from the index alone (it holds the row id too): the
    # baseline and windows of summary.json and a chart's fingerprint read no table rows, so
    # their cost stays nearly flat as years of check-ins pile up.
    db.execute("create index checkins_user_day_mood on checkins (user_id, day, mood)")


@migrations()
def m024_caseload_reviews(db):
    # When a therapist last marked a linked patient as reviewed (one row a pair: the latest
    # time wins), and what the caseload tells a therapist about a patient who left: an unlink
    # (their name as shared, kept only while the patient's account exists) or a deleted
    # account (no name, no id: nothing of theirs). Neither has a user_id column: the rows
    # belong to the therapist and go with either account (the cascades, and
    # data.users.delete_everything_of).
    db.execute(
        """
        create table caseload_reviews (
            therapist_id integer not null references users (id) on delete cascade,
            patient_id integer not null references users (id) on delete cascade,
            reviewed_at text not null,
            primary key (therapist_id, patient_id)
        )
        """
    )
    db.execute("create index caseload_reviews_patient on caseload_reviews (patient_id)")
    db.execute(
        """
        create table caseload_notices (
            id integer primary key autoincrement,
            therapist_id integer not null references users (id) on delete cascade,
            kind text not null check (kind in ('unlinked', 'deleted')),
            at text not null,
            patient_id integer references users (id) on delete cascade,
            name text,
            unreviewed_flags integer not null default 0,
            check (kind = 'unlinked' or (patient_id is null and name is null))
        )
        """
    )
    db.execute("create index caseload_notices_therapist on caseload_notices (therapist_id, at)")
    db.execute("create index caseload_notices_patient on caseload_notices (patient_id)")


@migrations()
def m025_change_counts(db):
    # How many times each person's check-ins (their symptom scores included), sessions and
    # check-ups have changed, counted by triggers as rows are written: a chart's ETag reads
    # these three numbers by primary key instead of aggregating the whole history, so its
    # 304 answer costs the same after ten years as after ten days. The row goes with its
    # account (the cascade); a count of a deleted person's rows is never written (the
    # update finds no row).
    db.execute(
        """
        create table change_counts (
            user_id integer primary key references users (id) on delete cascade,
            checkins integer not null default 0,
            sessions integer not null default 0,
            assessments integer not null default 0
        )
        """
    )
    db.execute("insert into change_counts (user_id) select id from users")
    db.execute(
        "create trigger users_change_counts after insert on users "
        "begin insert into change_counts (user_id) values (new.id); end"
    )
    # Names from the constants here only: nothing from outside reaches these statements.
    events = (("insert", "new"), ("update", "new"), ("delete", "old"))
    owners = {table: "{}.user_id" for table in ("checkins", "sessions", "assessments")}
    owners["symptom_scores"] = "(select user_id from checkins where id = {}.checkin_id)"
    for table, owner in owners.items():
        counter = "checkins" if table == "symptom_scores" else table
        for event, row in events:
            statement = (
                "create trigger", f"{table}_{event}_counted", "after", event, "on", table,
                "begin update change_counts set", counter, "=", counter, "+ 1 where user_id =",
                owner.format(row), "; end",
            )  # fmt: skip
            db.execute(" ".join(statement))


@migrations()
def m026_admins_and_tokens(db):
    # Issue 9. A third role, `admin` (clinic staff who run the service, never a clinician):
    # the role's check is part of the users table, so the table is rebuilt with the wider
    # one (SQLite cannot alter a check), keeping its rows, indexes, triggers and the
    # autoincrement's high-water mark (ids are never given twice). `deactivated_at`: an admin
    # turned the account off (it cannot sign in; its data stays). `last_signin_at`: for the
    # admin's list of accounts.
    rebuild_users_with_admin_role(db)
    db.execute("alter table users add column deactivated_at text")
    db.execute("alter table users add column last_signin_at text")
    # One-time links: an admin's invitation to register (a role, maybe an address) and a
    # password-reset link for one account. Only the token's SHA-256 is kept; `used_at` makes
    # each good once. An invitation can name only a patient or a therapist, never an admin.
    db.execute(
        """
        create table tokens (
            id integer primary key autoincrement,
            kind text not null check (kind in ('invitation', 'reset')),
            hash text not null unique,
            user_id integer references users (id) on delete cascade,
            email text,
            role text check (role in ('patient', 'therapist')),
            created_at text not null,
            expires_at text not null,
            used_at text,
            created_by integer references users (id) on delete set null,
            check (
                (kind = 'reset' and user_id is not null and role is null)
                or (kind = 'invitation' and user_id is null and role is not null)
            )
        )
        """
    )
    db.execute("create index tokens_user on tokens (user_id)")
    db.execute("create index tokens_open on tokens (kind, used_at, expires_at)")
    db.execute("create index tokens_created_by on tokens (created_by)")


def rebuild_users_with_admin_role(db):
    """Rebuild `users` with `role in ('patient', 'therapist', 'admin')` (as
    `rebuild_with_autoincrement` rebuilds a table), its triggers kept too."""
    create = db.execute("select sql from sqlite_master where type = 'table' and name = 'users'")
    create = create.fetchone()[0]
    new_create, found = re.subn(
        r"check \(role in \('patient', 'therapist'\)\)",
        "check (role in ('patient', 'therapist', 'admin'))",
        create,
        count=1,
    )
    assert found == 1, "users has no role check"
    kept = [
        sql
        for (sql,) in db.execute(
            "select sql from sqlite_master where type in ('index', 'trigger') "
            "and tbl_name = 'users' and sql is not null"
        )
    ]
    (high,) = db.execute(
        "select coalesce(max(seq), 0) from sqlite_sequence where name = 'users'"
    ).fetchone()
    columns = ", ".join(f"[{c.name}]" for c in db["users"].columns)
    db.execute("PRAGMA legacy_alter_table = ON")
    try:
        db.execute("alter table users rename to users_old")
        db.execute(new_create)
        db.execute(f"insert into users ({columns}) select {columns} from users_old")  # noqa: S608
        db.execute("drop table users_old")
    finally:
        db.execute("PRAGMA legacy_alter_table = OFF")
    for sql in kept:
        db.execute(sql)
    # The new table's mark is its largest id; a deleted newest account's id stays given.
    (largest,) = db.execute("select coalesce(max(id), 0) from users").fetchone()
    db.execute("delete from sqlite_sequence where name = 'users'")
    db.execute("insert into sqlite_sequence (name, seq) values ('users', ?)", [max(high, largest)])


@migrations()
def m027_audit(db):
    # The audit log: every reach into a patient's data by someone other than the patient
    # (a therapist's caseload page, report or chart, a share link's opening, an admin's
    # action). Append-only: the triggers refuse every update and delete. Never any health
    # data, name or email: `actor_id` and `subject_id` are opaque account ids (no foreign
    # key, no `user_id` column: the rows outlive a deleted account, naming it by id only,
    # and ids are never reused), `detail` is a route's name, a chart's name or a share
    # link's id. `actor_id` is null for a share link (it has no account).
    db.execute(
        """
        create table audit (
            id integer primary key autoincrement,
            at text not null,
            actor_id integer,
            actor_role text,
            action text not null,
            subject_id integer,
            detail text
        )
        """
    )
    db.execute("create index audit_subject_at on audit (subject_id, at)")
    db.execute("create index audit_at on audit (at)")
    for event in ("update", "delete"):
        db.execute(
            f"create trigger audit_no_{event} before {event} on audit "
            "begin select raise(abort, 'the audit log is append-only'); end"
        )


@migrations()
def m028_two_factor(db):
    # Two-factor sign-in (issue 9): a person's TOTP secret (RFC 6238; the server must read it
    # to check a code, so it is kept as text) and the last time step accepted, so a code is
    # good once; their ten single-use recovery codes, only each one's SHA-256 stored. A reset
    # link an admin hands out (`clears_two_factor`) also turns two-factor off when it is used.
    db.execute(
        """
        create table two_factor (
            user_id integer primary key references users(id) on delete cascade,
            secret text not null,
            enabled_at text not null,
            last_step integer
        )
        """
    )
    db.execute(
        """
        create table recovery_codes (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            hash text not null,
            used_at text
        )
        """
    )
    db.execute("create index recovery_codes_user on recovery_codes (user_id)")
    db.execute("alter table tokens add column clears_two_factor integer not null default 0")


@migrations()
def m029_passkeys(db):
    # Passkeys (WebAuthn, issue 9): one row per credential a person registered. The
    # credential id and COSE public key are stored as base64url text; `sign_count` is the
    # authenticator's counter (a lower one than stored means a cloned key, refused);
    # `transports` is JSON text of the browser's hints ("internal", "usb"...).
    db.execute(
        """
        create table passkeys (
            id integer primary key,
            user_id integer not null references users(id) on delete cascade,
            credential_id text not null unique,
            public_key text not null,
            sign_count integer not null default 0,
            transports text not null default '[]',
            name text not null,
            created_at text not null,
            last_used_at text
        )
        """
    )
    db.execute("create index passkeys_user on passkeys (user_id)")


@migrations()
def m030_emails_in_lower_case(db):
    # Addresses are stored in lower case in every script (journal/data/users.py, email_key):
    # an address with a capital beyond A-Z ("Émile@...") was stored as typed, and the log-in,
    # which asks in lower case, never found it again. Lowered here unless another account
    # already has the lowered address (two accounts the old rule let in stay as they are).
    _store_emails_as(db, str.lower)


@migrations()
def m031_checkins_written_at(db):
    # When the person wrote the check-in that is stored: the phone's time for one sent from
    # its queue (saved_at), the server's for one saved live. A late delivery is compared with
    # it, not with when the server received the stored one: a phone's 9:00 entry delivered at
    # 10:30 is older than a tablet's 10:00 entry delivered after it. Empty for rows from
    # before: their updated_at stands in.
    db.execute("alter table checkins add column written_at text")


@migrations()
def m032_emails_composed(db):
    # Addresses are stored in Unicode's composed form too (email_key): an "é" sent as "e" and
    # an accent was another address that looked the same. Composed here unless another account
    # already has the composed address (as m030: two accounts stay as they are).
    _store_emails_as(db, lambda email: unicodedata.normalize("NFC", email))


@migrations()
def m033_passkey_challenges(db):
    # A passkey challenge lives in the signed session cookie, which the server cannot take
    # back: a copy of the cookie sent again with the same answer signed in again until the
    # challenge ran out. Each challenge answered is kept here until then (`expires_at`, Unix
    # seconds), and a second answer to it is refused.
    db.execute(
        """
        create table passkey_challenges (
            challenge text primary key,
            expires_at real not null
        ) without rowid
        """
    )
    db.execute("create index passkey_challenges_expiry on passkey_challenges (expires_at)")


@migrations()
def m034_sessions_in_date_order(db):
    # Sessions are numbered, listed and counted from in date order (day, then start time:
    # journal/data/sessions.py), not by start time alone; this index walks them so, and its
    # first columns serve what sessions_user_day did.
    db.execute("create index sessions_user_day_started on sessions (user_id, day, started_at, id)")
    db.execute("drop index sessions_user_day")


@migrations()
def m035_signins_by_passkey(db):
    # The passkey a sign-in was made with: removing a passkey (a lost phone's) ends the
    # sign-ins it made, as a password change ends those the password made.
    # (Found through signins_user: a person has a handful of sign-ins.)
    db.execute("alter table signins add column passkey_id integer")


@migrations()
def m036_pending_imports_by_age(db):
    # Parked imports a day old are forgotten at every sign-in and sign-out
    # (data.imports.drop_stale): found by their age, not by reading every parked file.
    db.execute("create index pending_imports_created on pending_imports (created_at)")


@migrations()
def m037_cascades_and_changes_by_index(db):
    # Deleting a share link or a symptom (an account's erasure deletes them all) had SQLite
    # read every share opening or symptom score of the clinic for each one, holding the write
    # lock for seconds while everyone else's saves waited and failed; a patient's link
    # openings ("Recent activity") were found the same way. The caseload's "changed since
    # your review" read each patient's whole history by time of change.
    db.execute("create index share_openings_link on share_openings (link_id, opened_at)")
    db.execute("create index symptom_scores_symptom on symptom_scores (symptom_id)")
    db.execute("create index pending_imports_user on pending_imports (user_id)")
    db.execute("create index checkins_user_updated on checkins (user_id, updated_at)")
    db.execute("create index sessions_user_updated on sessions (user_id, updated_at)")
    db.execute("create index assessments_user_created on assessments (user_id, created_at)")


@migrations()
def m038_text_without_c1_controls(db):
    # The C1 controls (U+0080-U+009F: text read in the wrong encoding, terminal escapes) are
    # refused at every field since 2026-12-07, as the other controls were. Stored before, they
    # show as nothing on a page and as boxes in the PDF, and an edit form prefilled with them
    # could never be saved ("invisible control characters; please remove them", in text no
    # one can see): every text column loses them. Not the audit log, which no one edits (and
    # its triggers refuse any change); a row whose cleaned text would clash with another (a
    # symptom named twice) keeps its own.
    c1 = re.compile("[\x80-\x9f]")

    def cleaned(value):
        return c1.sub("", value) if isinstance(value, str) else value

    def has_c1(value):
        return isinstance(value, str) and c1.search(value) is not None

    db.conn.create_function("without_c1", 1, cleaned, deterministic=True)
    db.conn.create_function("has_c1", 1, has_c1, deterministic=True)
    for table in db.table_names():
        if table == "audit" or table.startswith("sqlite_"):
            continue
        for column in db[table].columns:
            if column.type.lower() == "text":
                db.execute(
                    f"update or ignore [{table}] set [{column.name}] = without_c1([{column.name}]) "  # noqa: S608
                    f"where has_c1([{column.name}])"
                )


@migrations()
def m039_passkeys_added_with_two_factor(db):
    # Whether two-factor sign-in was on when the passkey was added. A passkey added while it
    # was off was added with the password alone (anyone who knew it could have), so staff
    # turning it on lose those (journal/settings/two_factor.py); those added while it was on
    # stay at every later change. A passkey from before counts as added with it only when the
    # account's two-factor, on now, was turned on before the passkey was added.
    db.execute("alter table passkeys add column with_two_factor integer not null default 0")
    db.execute(
        "update passkeys set with_two_factor = 1 where exists (select 1 from two_factor t "
        "where t.user_id = passkeys.user_id and t.enabled_at <= passkeys.created_at)"
    )


@migrations()
def m040_recovery_codes_request_key(db):
    # The key of the form that made a person's current recovery codes: the same form sent
    # again (a double tap on a slow connection, a reload) says the first made them, rather
    # than that its code, spent by the first, changed nothing.
    db.execute("alter table two_factor add column codes_request_key text")


@migrations()
def m041_erasures(db):
    # For a few minutes after an account is erased, the SHA-256 of its deletion form's request
    # key and the device's queue tag (an opaque hash), nothing of the person: the same form
    # sent again (a double tap on a slow connection), whose sign-in went with the account, is
    # told the account was erased, and its device forgets the person's drafts and queue.
    # (Since the thirteenth session it also holds the erased account's live sign-ins, by their
    # tokens' hashes, each until it would have run out: another device still signed in as the
    # person is told too: journal/data/users.py, note_signins_erased.)
    db.execute(
        "create table erasures (key_hash text primary key, forget_owner text not null, "
        "expires_at real not null)"
    )


@migrations()
def m042_register_request_key(db):
    # The SHA-256 of the request key of the sign-up form that made the account: the same form
    # sent again (a double tap on a slow connection) is signed in as the first was, rather
    # than told that an account with its email exists (journal/auth.py, `made_by_this_form`).
    db.execute("alter table users add column register_key_hash text")


@migrations()
def m043_token_request_keys(db):
    # The request key of the admin's form that made a reset link or an invitation: the same
    # form sent again (reloading the page that showed the link) makes no second link.
    db.execute("alter table tokens add column request_key text")
    db.execute("create unique index tokens_request on tokens (created_by, request_key)")


def _store_emails_as(db, key):
    """Store each account's address as `key(address)`, unless another account's address
    gives the same key: two accounts an older rule let in stay as they are, never merged
    (m030, m032)."""
    rows = db.execute("select id, email from users").fetchall()
    owners = {}
    for user_id, email in rows:
        owners.setdefault(key(email), []).append(user_id)
    for user_id, email in rows:
        stored = key(email)
        if email != stored and len(owners[stored]) == 1:
            db.execute("update users set email = ? where id = ?", [stored, user_id])


def _enable_wal(db):
    """Switch the file to write-ahead logging (stored in the file: once is enough).

    Two processes starting on a new file at once (gunicorn's workers) may both find it in
    rollback mode. The second's switch then needs the lock the first holds while it migrates,
    and SQLite answers "database is locked" at once instead of waiting (waiting there could
    deadlock), so it tries again, as long as the connection's busy timeout, until the first is
    done and the file is in WAL mode.
    """
    (busy_ms,) = db.conn.execute("PRAGMA busy_timeout").fetchone()
    deadline = monotonic() + busy_ms / 1000
    while True:
        try:
            db.enable_wal()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or monotonic() >= deadline:
                raise
            sleep(0.02)


def migrate(db):
    """Apply pending migrations; return the names applied.

    Runs under an immediate transaction so that gunicorn workers starting at
    once take turns: the second finds nothing left to do.
    """
    _enable_wal(db)
    # Foreign keys are off while the schema changes (SQLite's own procedure for rebuilding a
    # table: with them on, dropping or renaming a parent table rewrites or empties its
    # children), and checked before the commit. The pragma cannot change inside a transaction.
    (enforced,) = db.conn.execute("PRAGMA foreign_keys").fetchone()
    db.conn.execute("PRAGMA foreign_keys = OFF")
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
        broken = db.conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"A migration broke foreign keys: {broken[:5]}")
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    finally:
        if db.conn.in_transaction:
            db.conn.execute("COMMIT")
        db.conn.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")
    return pending


def is_current(db):
    """Whether every migration has been applied to `db` (the commands that write to a
    database the app is not serving ask, rather than fail on a missing table or column)."""
    return not list(migrations.pending(db))
