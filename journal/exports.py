"""The person's own data, to keep or take elsewhere: three CSV files, a JSON file and FHIR.

Everything here is the signed-in person's own, in full: private reflections included, since
the data is theirs (a therapist never reaches these routes; what a therapist may see goes
through `journal/sharing.py`). Every query names its owner (`user_id = ?`).

Decisions where DESIGN.md and issue 4 are silent:

- CSV files are UTF-8 with a byte order mark. Excel reads a CSV without one in the
  computer's legacy code page, which turns "café", "心" or an emoji into mojibake; with the
  mark it reads UTF-8. LibreOffice, Numbers, pandas (`encoding="utf-8-sig"`) and Afterglow's
  own import all accept it. Rows end in CRLF (RFC 4180, the `csv` module's default); a
  reflection keeps its line breaks inside one quoted cell.
- A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a single
  quote (`'`) in front, so a spreadsheet shows it as text rather than running it as a
  formula (OWASP's advice on CSV injection). Numbers are written as numbers and never
  prefixed. Headers are text cells too (a symptom may be called "-energy").
- Yes/no columns (`private`, `self_harm`) read "yes" or "no"; a blank is an unanswered
  question. Dates are the person's local days, YYYY-MM-DD; times are UTC, ISO 8601.
- checkins.csv has one column per symptom the person has ever tracked (retired ones too),
  named by the symptom, between `self_harm` and `updated_at`. A symptom whose name is also a
  built-in column (say "tags") is headed "tags (symptom)".
- sessions.csv lists side effects by their codes (the web contract's values) joined with
  ", ", and each integration prompt in its own column (`prompt_stood_out`, ...).
- data.json is versioned (`"format": "afterglow-export", "version": 1`), strict JSON (no
  NaN or Infinity), and holds the account without its password hash, the settings, every
  symptom, check-in (with its symptom ratings by name), session and check-up (with its
  answers), the share links' metadata (never their token hashes) and the therapist link.
  A therapist's caseload is other people's data and is not in it.
- fhir.json is a FHIR R4 Bundle of type "collection": a Patient (no email: an id and the
  name shown to therapists), and for each PHQ-9 or GAD-7 a QuestionnaireResponse (items
  coded with the LOINC item and answer codes) and an Observation of the total (LOINC
  44261-6 or 70274-6, never a panel code), derived from that response. Daily mood is an
  Observation with the local code `mood-0-10` in the code system `urn:afterglow:codes`
  (Afterglow's own, not registered anywhere; its display states the 0-10 anchors).
  Every entry's fullUrl is `urn:uuid:` + a uuid5 of the person (id and creation time) and
  the row's id, so repeated exports give the same ids and two installations do not clash.
  The GAD-7 items use LOINC's GAD-7 panel item codes (69725-0, 68509-9, 69733-4, 69734-2,
  69735-9, 69689-8, 69736-7), which CLINICAL.md does not list; the optional difficulty
  question is in the PHQ-9's panel (69722-7, answers LA6572-7, LA6573-5, LA6575-0,
  LA6574-3) but not the GAD-7's, so a GAD-7's difficulty answer stays in data.json and the
  CSV only.
- Every file is streamed (README, "Bounds"): rows are read from the database and written a
  batch at a time, so memory stays small whatever the person has kept (at most one
  check-in a day since 1990, each with up to 20,000 characters: about 270 MB of CSV). The
  status and headers go first; the body follows in pieces of about CHUNK characters.
"""

import csv
import json
import uuid
from collections.abc import Iterator
from functools import partial
from itertools import chain

from flask import Blueprint, Response, render_template, stream_with_context
from flask_login import current_user, login_required

from . import account, clock, instruments, progress, symptoms, timezones
from .checkins import COLUMNS as CHECKIN_FORM_COLUMNS
from .checkins import parse_tags
from .db import get_db
from .sessions import COLUMNS as SESSION_FORM_COLUMNS
from .sessions import PROMPTS, stored_prompts, stored_side_effects

bp = Blueprint("exports", __name__, url_prefix="/export")

FORMAT = "afterglow-export"
VERSION = 1
# Characters that make a spreadsheet read a cell as a formula (or strip them to reach one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A streamed download is sent in pieces of about this many characters.
CHUNK = 64 * 1024

CHECKIN_COLUMNS = ("date", *CHECKIN_FORM_COLUMNS)
YES_NO = ("private", "self_harm")
# The sessions table's own columns, as they are (reflection and private go at the end).
SESSION_FIELDS = tuple(c for c in SESSION_FORM_COLUMNS if c not in ("reflection", "private"))
SESSION_COLUMNS = (
    "number",
    "date",
    "started_at_utc",
    *SESSION_FIELDS,
    "side_effects",
    "side_effects_other",
    "reflection",
    *(f"prompt_{key}" for key, _ in PROMPTS),
    "private",
    "updated_at",
)
MAX_ITEMS = max(len(i.items) for i in instruments.INSTRUMENTS.values())
ASSESSMENT_COLUMNS = (
    "date",
    "kind",
    "total",
    "band",
    *(f"q{n}" for n in range(1, MAX_ITEMS + 1)),
    "difficulty",
)

# What data.json tells of each share link: never token_hash.
SHARE_LINK_COLUMNS = (
    "label",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_opened_at",
    "open_count",
)

# FHIR ------------------------------------------------------------------------------------

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LOCAL_CODES = "urn:afterglow:codes"
MOOD_CODE = "mood-0-10"
MOOD_DISPLAY = "Mood, self-rated 0 (very low) to 10 (very good)"
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
ANSWER_CODES = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
DIFFICULTY_CODES = ("LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3")
# Per instrument: the LOINC panel (the questionnaire), the total-score code, the item codes
# in order, and the difficulty question's code (None when the panel has none).
LOINC_FORMS = {
    "phq9": {
        "panel": "44249-1",
        "panel_display": "PHQ-9 quick depression assessment panel [Reported.PHQ]",
        "total": "44261-6",
        "total_display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
        "items": (
            "44250-9",
            "44255-8",
            "44259-0",
            "44254-1",
            "44251-7",
            "44258-2",
            "44252-5",
            "44253-3",
            "44260-8",
        ),
        "difficulty": "69722-7",
    },
    "gad7": {
        "panel": "69737-5",
        "panel_display": "Generalized anxiety disorder 7 item (GAD-7)",
        "total": "70274-6",
        "total_display": "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
        "items": ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"),
        "difficulty": None,
    },
}
# A fixed namespace for Afterglow's uuid5 ids (itself a uuid5 of a name of our own).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:afterglow")


# Cells and responses ---------------------------------------------------------------------


def number_text(value):
    """A number as CSV text: 7 for 7.0, 7.5 for 7.5, "-3" for -3 (never prefixed)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def cell(value):
    """One CSV cell: "" for None, numbers as they are, text made safe for spreadsheets."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number_text(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def yes_no(value):
    """A stored 0/1 flag as True/False; None (never answered) stays None."""
    return None if value is None else bool(value)


class Lines:
    """A file for `csv.writer` that keeps nothing: `writerow` returns the line it wrote."""

    def write(self, line):
        return line


def csv_pieces(header, rows):
    """A CSV document (with a byte order mark for Excel) from a header and rows of values,
    as text a line at a time: `rows` may be an iterator, read as the lines are taken."""
    writer = csv.writer(Lines())
    yield "\ufeff" + writer.writerow([cell(name) for name in header])
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


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


def encoded(pieces):
    """Text pieces as UTF-8 bytes, joined into chunks of about CHUNK characters."""
    batch, size = [], 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(batch).encode("utf-8")
            batch, size = [], 0
    if batch:
        yield "".join(batch).encode("utf-8")


def download(pieces, name, extension, mimetype):
    """An attachment named afterglow-NAME-YYYY-MM-DD.EXT that no cache keeps, streamed from
    text `pieces`, which are taken as the body is sent, inside the request's context."""
    today = timezones.local_today(current_user.timezone).isoformat()
    body = stream_with_context(encoded(pieces))
    response = Response(body, content_type=f"{mimetype}; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="afterglow-{name}-{today}.{extension}"'
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return account.export_recorded(response, f"{name}.{extension}")  # issue 5: "Recent activity"


def csv_download(name, header, rows):
    """A CSV attachment, streamed."""
    return download(csv_pieces(header, rows), name, "csv", "text/csv")


def json_download(name, document, mimetype="application/json"):
    """A strict JSON attachment, streamed (see `json_pieces`)."""
    return download(json_pieces(document), name, "json", mimetype)


# Fetching --------------------------------------------------------------------------------


def user_row(user_id):
    """The person's `users` row."""
    return get_db()["users"].get(user_id)


# The row readers below are generators, so nothing is read until the download is streamed:
# by then the view's database connection is closed and `get_db` opens the stream's own.


def checkin_rows(user_id):
    """The person's check-ins, oldest first, read one at a time."""
    yield from get_db()["checkins"].rows_where("user_id = ?", [user_id], order_by="day")


def symptom_scores(user_id):
    """{checkin_id: {symptom_id: value}} for all of the person's check-ins."""
    scores = {}
    for checkin_id, symptom_id, value in get_db().execute(
        "select s.checkin_id, s.symptom_id, s.value from symptom_scores s "
        "join checkins c on c.id = s.checkin_id where c.user_id = ?",
        [user_id],
    ):
        scores.setdefault(checkin_id, {})[symptom_id] = value
    return scores


def assessment_rows(user_id):
    """The person's check-ups, oldest first, each with its answers as a list and its band,
    read one at a time."""
    for row in get_db()["assessments"].rows_where("user_id = ?", [user_id], order_by="day, id"):
        row["answers"] = json.loads(row["answers"])
        row["band"] = instruments.band(row["kind"], row["total"])
        yield row


def share_link_rows(user_id):
    """The person's share links, oldest first, without their token hashes."""
    return list(
        get_db()["share_links"].rows_where(
            "user_id = ?",
            [user_id],
            select=", ".join(SHARE_LINK_COLUMNS),
            order_by="created_at, id",
        )
    )


def therapist_link(user_id):
    """The person's link to a therapist as {"therapist_name", "linked_at"}, or None."""
    row = (
        get_db()
        .execute(
            "select u.display_name, t.linked_at from therapist_links t "
            "join users u on u.id = t.therapist_id where t.patient_id = ?",
            [user_id],
        )
        .fetchone()
    )
    return None if row is None else {"therapist_name": row[0], "linked_at": row[1]}


# Tables ----------------------------------------------------------------------------------


def symptom_headers(tracked):
    """A column name per symptom: its name, or "NAME (symptom)" when a built-in has it."""
    taken = {name.casefold() for name in (*CHECKIN_COLUMNS, "updated_at")}
    return [
        f"{s['name']} (symptom)" if s["name"].casefold() in taken else s["name"] for s in tracked
    ]


def checkins_table(user_id):
    """(header, rows) of checkins.csv; the rows are read as they are taken."""
    tracked = symptoms.every(user_id)
    header = [*CHECKIN_COLUMNS, *symptom_headers(tracked), "updated_at"]

    def rows():
        scores = symptom_scores(user_id)
        for row in checkin_rows(user_id):
            own = scores.get(row["id"], {})
            yield [
                row["day"],
                *(yes_no(row[c]) if c in YES_NO else row[c] for c in CHECKIN_FORM_COLUMNS),
                *(own.get(s["id"]) for s in tracked),
                row["updated_at"],
            ]

    return header, rows()


def sessions_table(user_id):
    """(header, rows) of sessions.csv; the rows are read as they are taken."""

    def rows():
        for row in progress.numbered_sessions(user_id):
            prompts = stored_prompts(row)
            yield [
                row["number"],
                row["day"],
                row["started_at"],
                *(row[name] for name in SESSION_FIELDS),
                ", ".join(stored_side_effects(row)),
                row["side_effects_other"],
                row["reflection"],
                *(prompts.get(key, "") for key, _ in PROMPTS),
                yes_no(row["private"]),
                row["updated_at"],
            ]

    return SESSION_COLUMNS, rows()


def assessments_table(user_id):
    """(header, rows) of assessments.csv; items an instrument lacks are blank."""

    def rows():
        for row in assessment_rows(user_id):
            answers = row["answers"] + [None] * (MAX_ITEMS - len(row["answers"]))
            yield [row["day"], row["kind"], row["total"], row["band"], *answers, row["difficulty"]]

    return ASSESSMENT_COLUMNS, rows()


# data.json -------------------------------------------------------------------------------


def data_document(user_id):
    """Everything the person has, as one versioned dict for `json_pieces`: its check-ins,
    sessions and check-ups are iterators, read as they are written."""
    user = user_row(user_id)
    tracked = symptoms.every(user_id)
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
        "sessions": (session_document(row) for row in progress.numbered_sessions(user_id)),
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
        "share_links": share_link_rows(user_id),
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


# fhir.json -------------------------------------------------------------------------------


def person_namespace(user):
    """The uuid5 namespace of one person's resources: stable across exports of theirs."""
    return uuid.uuid5(NAMESPACE, f"user/{user['id']}/{user['created_at']}")


def entry(resource):
    """A Bundle entry whose fullUrl is the resource's urn:uuid."""
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def reference(resource):
    """A reference to a resource in the same Bundle, by its fullUrl."""
    return {"reference": f"urn:uuid:{resource['id']}"}


def loinc(code, display):
    """A LOINC Coding."""
    return {"system": LOINC, "code": code, "display": display}


def questionnaire_response(row, rid, patient):
    """The QuestionnaireResponse of one check-up: each item's LOINC code and coded answer."""
    form = LOINC_FORMS[row["kind"]]
    instrument = instruments.get(row["kind"])
    items = [
        {
            "linkId": code,
            "text": text,
            "answer": [{"valueCoding": loinc(ANSWER_CODES[answer], instruments.ANSWERS[answer])}],
        }
        for code, text, answer in zip(form["items"], instrument.items, row["answers"], strict=True)
    ]
    if form["difficulty"] and row["difficulty"] is not None:
        items.append(
            {
                "linkId": form["difficulty"],
                "text": instrument.difficulty,
                "answer": [
                    {
                        "valueCoding": loinc(
                            DIFFICULTY_CODES[row["difficulty"]],
                            instruments.DIFFICULTY_ANSWERS[row["difficulty"]],
                        )
                    }
                ],
            }
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "questionnaire": f"{LOINC}/q/{form['panel']}",
        "status": "completed",
        "subject": reference(patient),
        "authored": row["day"],
        "author": reference(patient),
        "item": items,
    }


def total_observation(row, rid, patient, response):
    """The Observation of a check-up's total score, derived from its QuestionnaireResponse."""
    form = LOINC_FORMS[row["kind"]]
    title = instruments.get(row["kind"]).title
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [SURVEY],
        "code": {
            "coding": [loinc(form["total"], form["total_display"])],
            "text": f"{title} total score",
        },
        "subject": reference(patient),
        "effectiveDateTime": row["day"],
        "performer": [reference(patient)],
        "valueQuantity": {
            "value": row["total"],
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        },
        "interpretation": [{"text": row["band"]}],
        "derivedFrom": [reference(response)],
    }


def mood_observation(row, rid, patient):
    """The Observation of one day's self-rated mood, with Afterglow's local code."""
    coding = {"system": LOCAL_CODES, "code": MOOD_CODE, "display": MOOD_DISPLAY}
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": [coding], "text": MOOD_DISPLAY},
        "subject": reference(patient),
        "effectiveDateTime": row["day"],
        "performer": [reference(patient)],
        "valueInteger": row["mood"],
    }


def fhir_bundle(user_id, shared_name):
    """A FHIR R4 Bundle (collection) of the person's check-up scores and daily moods, for
    `json_pieces`: its entries are an iterator, read as they are written."""
    user = user_row(user_id)
    space = person_namespace(user)

    def rid(*parts):
        return str(uuid.uuid5(space, "/".join(str(p) for p in parts)))

    patient = {"resourceType": "Patient", "id": rid("patient"), "name": [{"text": shared_name}]}

    def scores():
        for row in assessment_rows(user_id):
            response = questionnaire_response(
                row, rid("assessment", row["id"], "response"), patient
            )
            total = total_observation(row, rid("assessment", row["id"], "total"), patient, response)
            yield from (entry(total), entry(response))

    moods = (
        entry(mood_observation(row, rid("checkin", row["id"], "mood"), patient))
        for row in checkin_rows(user_id)
    )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": clock.utcnow_iso(),
        "entry": chain([entry(patient)], scores(), moods),
    }


# Views -----------------------------------------------------------------------------------


@bp.route("")
@login_required
def index():
    db = get_db()
    counts = {
        table: db.execute(
            f"select count(*) from {table} where user_id = ?",  # noqa: S608 (fixed names)
            [current_user.id],
        ).fetchone()[0]
        for table in ("checkins", "sessions", "assessments")
    }
    return render_template("exports/index.html", counts=counts)


@bp.route("/checkins.csv")
@login_required
def checkins_csv():
    return csv_download("checkins", *checkins_table(current_user.id))


@bp.route("/sessions.csv")
@login_required
def sessions_csv():
    return csv_download("sessions", *sessions_table(current_user.id))


@bp.route("/assessments.csv")
@login_required
def assessments_csv():
    return csv_download("assessments", *assessments_table(current_user.id))


@bp.route("/data.json")
@login_required
def data_json():
    return json_download("data", data_document(current_user.id))


@bp.route("/fhir.json")
@login_required
def fhir_json():
    bundle = fhir_bundle(current_user.id, current_user.shared_name)
    return json_download("fhir", bundle, mimetype="application/fhir+json")
