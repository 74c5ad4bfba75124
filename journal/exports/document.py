"""data.json: everything the person has, as one versioned JSON document, streamed.

data.json is versioned (`"format": "afterglow-export", "version": 1`), strict JSON (no NaN or
Infinity), and holds the account without its password hash, the settings, every symptom,
check-in (with its symptom ratings by name), session and check-up (with its answers), the
share links' metadata (never their token hashes) and the therapist link. A therapist's
caseload is other people's data and is not in it.
"""

import json
from collections.abc import Iterator
from functools import partial

from .. import clock
from ..session_record import stored_prompts, stored_side_effects
from ..tags import parse_tags
from .reading import (
    assessment_rows,
    checkin_rows,
    session_rows,
    share_link_rows,
    symptom_scores,
    therapist_link,
    tracked_symptoms,
    user_row,
)
from .tables import SESSION_FIELDS, yes_no

FORMAT = "afterglow-export"
VERSION = 1

# What data.json tells of each share link: never token_hash.
SHARE_LINK_COLUMNS = (
    "label",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_opened_at",
    "open_count",
)

dumps = partial(json.dumps, ensure_ascii=False, allow_nan=False, indent=2)


def json_pieces(document):
    """`document` (a dict) as strict JSON text, indented by 2 as `json.dumps` would, in
    pieces: a value that is an iterator (rows read from the database) is written as a list,
    one item at a time. NaN or Infinity raise rather than slip through."""
    yield "{"
    for n, (key, value) in enumerate(document.items()):
        yield ("," if n else "") + "\n  " + dumps(key) + ": "
        if not isinstance(value, Iterator):
            yield dumps(value).replace("\n", "\n  ")  # JSON strings hold no raw line breaks
            continue
        empty = True
        for item in value:
            yield ("[" if empty else ",") + "\n    " + dumps(item).replace("\n", "\n    ")
            empty = False
        yield "[]" if empty else "\n  ]"
    yield "\n}\n"


def data_document(user_id):
    """Everything the person has, as one versioned dict for `json_pieces`: its check-ins,
    sessions and check-ups are iterators, read as they are written. None when the account is
    gone (deleted since the request read who sent it)."""
    user = user_row(user_id)
    if user is None:
        return None
    tracked = tracked_symptoms(user_id)
    names = {s["id"]: s["name"] for s in tracked}
    scores = symptom_scores(user_id)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": clock.utcnow_iso(),
        "notes": "Days are the person's local dates (YYYY-MM-DD); times are UTC (ISO 8601).",
        "account": {
            "email": user["email"],
            "display_name": user["display_name"],
            "role": user["role"],
            "timezone": user["timezone"],
            "created_at": user["created_at"],
        },
        "settings": {
            "window_days": user["window_days"],
            "clinic_phone": user["clinic_phone"],
            "private_by_default": bool(user["private_by_default"]),
            "report_name": user["report_name"],
            "invite_code": user["invite_code"],
            # The daily reminder's local time ("08:15"), or None when there is none.
            "reminder_time": user["reminder_time"] or None,
        },
        "symptoms": [
            {"name": s["name"], "retired_at": s["retired_at"], "created_at": s["created_at"]}
            for s in tracked
        ],
        "checkins": (
            {
                "date": row["day"],
                "mood": row["mood"],
                "anxiety": row["anxiety"],
                "energy": row["energy"],
                "sleep_hours": row["sleep_hours"],
                "tags": parse_tags(row["tags"]),
                "reflection": row["reflection"],
                "private": bool(row["private"]),
                "self_harm": yes_no(row["self_harm"]),
                "symptoms": {
                    names[symptom_id]: value
                    for symptom_id, value in sorted(scores.get(row["id"], {}).items())
                },
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
            }
            for row in checkin_rows(user_id)
        ),
        "sessions": (session_document(row) for row in session_rows(user_id)),
        "assessments": (
            {
                "date": row["day"],
                "kind": row["kind"],
                "answers": row["answers"],
                "total": row["total"],
                "band": row["band"],
                "difficulty": row["difficulty"],
                "created_at": row["created_at"],
            }
            for row in assessment_rows(user_id)
        ),
        "share_links": share_link_rows(user_id, SHARE_LINK_COLUMNS),
        "therapist": therapist_link(user_id),
    }


def session_document(row):
    """One session for data.json."""
    return {
        "number": row["number"],
        "date": row["day"],
        "started_at": row["started_at"],
        **{name: row[name] for name in SESSION_FIELDS if not name.startswith("bp_")},
        "side_effects": stored_side_effects(row),
        "side_effects_other": row["side_effects_other"],
        "blood_pressure": {
            when: None
            if row[f"bp_{when}_systolic"] is None
            else {
                "systolic": row[f"bp_{when}_systolic"],
                "diastolic": row[f"bp_{when}_diastolic"],
            }
            for when in ("before", "after")
        },
        "reflection": row["reflection"],
        "prompts": stored_prompts(row),
        "private": bool(row["private"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
