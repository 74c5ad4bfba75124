"""A patient's link to a therapist, and the invite code that makes it (no views: the
therapist's code is shown on the caseload, journal/caseload.py; the patient enters it at
`/settings/therapist`, journal/settings/therapist.py).

A therapist gives a patient an invite code; the patient enters it and is linked (one
therapist at a time) until they unlink, which ends access at once.

Decisions:

- Invite codes are 8 symbols of Crockford's base32 (digits and capitals without I, L, O
  and U): 40 random bits from `secrets`, shown as XXXX-XXXX. A patient may type them in
  any case, with spaces or dashes, and O, I or L for 0, 1 and 1. A code is made the first
  time the therapist needs it and kept in `users.invite_code` (unique: a collision is
  retried). "Make a new code" replaces it; the old one stops working at once, and
  patients already linked stay linked. Guessing a code gains nothing: it would only show
  the guesser's own journal to a stranger, so wrong codes are not throttled.
- Linking to the therapist one is already linked to keeps the original "linked since".
- Nobody leaves a caseload without a word: unlinking, or linking to another therapist, leaves
  the therapist a notice (journal/reviews.py, `note_unlink`) and forgets their reviews of the
  patient, in the same transaction as the change of link.
"""

import re
import secrets
import sqlite3
import unicodedata

from . import access, clock, reviews
from .data import links as data
from .db import get_db, write_transaction
from .people import User

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: 5 bits a symbol
CODE_LENGTH = 8
CODE_ATTEMPTS = 10
# Look-alikes a patient may type, read as Crockford does; spaces and dashes of any kind go.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
# Also the answer to the code of a therapist the clinic turned off (no one links to them
# meanwhile): the same words, so a guess confirms nothing, and the patient with the right code
# is told what else it may be, and whom to ask.
WRONG_CODE = (
    "No therapist has this code, or their account is turned off for now. Check the code with "
    "your therapist, or ask your clinic."
)

# Invite codes


def make_code():
    """A new random invite code (40 bits), as stored: 8 symbols, no dash."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text):
    """What a patient typed, as stored codes are written: capitals, no spaces or dashes.

    Full-width letters and digits (a phone keyboard in a CJK script's input mode) are read as
    their plain forms, and invisible format characters (a zero-width space or soft hyphen
    carried along when the code is copied from a message) are dropped: the code the patient
    sees is the code.
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return _SEPARATORS.sub("", text).upper().translate(_CONFUSABLE)


def format_code(code):
    """A stored code as shown: XXXX-XXXX."""
    return f"{code[:4]}-{code[4:]}"


def invite_code(therapist_id, replace=False):
    """The therapist's invite code, made on first need; with `replace`, a new one. None when
    the account is gone (deleted since the request read who sent it).

    A collision with another therapist's code (a unique index) is retried with a fresh one.
    """
    db = get_db()
    collisions = 0
    while True:
        code = data.invite_code_of(db, therapist_id)
        if code and not replace:
            return code
        try:
            # Only over the code just read, so two requests at once end up agreeing on one.
            stored = data.replace_invite_code(db, therapist_id, make_code(), code)
        except sqlite3.IntegrityError:
            collisions += 1
            if collisions >= CODE_ATTEMPTS:
                raise RuntimeError("could not store a unique invite code") from None
            continue
        if not stored and access.person(therapist_id) is None:
            return None
        replace = False  # read back what is stored now


def therapist_by_code(code):
    """The therapist whose invite code is `code` (normalized), or None."""
    row = data.therapist_by_code(get_db(), normalize_code(code))
    return User(row) if row else None


# Links


def link_of(patient_id):
    """The patient's link as {"therapist": User, "linked_at"}, or None."""
    row = data.therapist_link_of(get_db(), patient_id)
    if row is None:
        return None
    therapist = access.person(row["therapist_id"])
    if therapist is None:  # their account was deleted since the link was read: gone with it
        return None
    return {"therapist": therapist, "linked_at": row["linked_at"]}


def link(patient_id, code):
    """Link the patient to the therapist whose invite code is `code` (as typed), replacing any
    other therapist (who is told); {"therapist": the User linked to, "replaced": the User of
    the therapist whose link this one replaced or None, "already": whether the patient was
    linked to this therapist before}, or None when no therapist has the code. The code is read
    in the transaction that links: a therapist whose account was deleted (or deactivated, or
    whose code was replaced) after the page was sent is not linked to."""
    # Holding the write lock from the start: two taps (or two tabs) take turns, the second
    # reading what the first wrote (a deferred transaction read first and failed at its first
    # write, "database is locked": a 500).
    if therapist_by_code(code) is None:  # a wrong code: answered without taking the lock
        return None
    with write_transaction() as db:
        therapist = therapist_by_code(code)
        if therapist is None:
            return None
        therapist_id = therapist.id
        current = data.therapist_link_of(db, patient_id)
        replaced = None
        if current is not None and current["therapist_id"] != therapist_id:
            replaced = access.person(current["therapist_id"])
            reviews.note_unlink(access.person(patient_id), **current)
        data.link_therapist(db, patient_id, therapist_id, clock.utcnow_iso())
        reviews.note_link(patient_id, therapist_id)
    already = current is not None and current["therapist_id"] == therapist_id
    return {"therapist": therapist, "replaced": replaced, "already": already}


def unlink(patient_id, therapist_id=None):
    """End the patient's link to their therapist, who is told; only if that therapist is
    `therapist_id`, when given. True when a link ended."""
    with write_transaction() as db:  # as `link`: a second tap waits, then finds no link
        current = data.therapist_link_of(db, patient_id)
        if current is None or therapist_id not in (None, current["therapist_id"]):
            return False
        reviews.note_unlink(access.person(patient_id), **current)
        data.unlink_therapist(db, patient_id)
    return True


def linked_patients(therapist_id):
    """[(User, linked_at)] for every patient linked to the therapist."""
    rows = data.linked_patients(get_db(), therapist_id)
    return [(User(row), row["linked_at"]) for row in rows]
