import csv
import io
import json
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import AuthActions, traced
from factories import (
    TODAY,
    checkin,
    deleted_first,
    signed_in_twice,
    signed_out_as_deleted,
    take,
)

from journal import clock
from journal.db import get_db
from journal.exports import cell, document, fhir
from journal.exports.tables import symptom_headers
from journal.people import ACCOUNT_GONE_SHOWN
from journal.spreadsheet import header_key

DAY1 = (TODAY - timedelta(days=3)).isoformat()
DAY2 = (TODAY - timedelta(days=2)).isoformat()
DAY3 = (TODAY - timedelta(days=1)).isoformat()
DOWNLOADS = ["checkins.csv", "sessions.csv", "assessments.csv", "data.json", "fhir.json"]
CSV_FILES = ["checkins.csv", "sessions.csv", "assessments.csv"]
MULTILINE = 'First line, with a comma\nSecond line: "quoted" 🌊\n\nZoë, 心, é'

# Copied from CLINICAL.md, not from the code, so a slip in either shows up here.
PHQ9_PANEL, PHQ9_TOTAL = "44249-1", "44261-6"
GAD7_PANEL, GAD7_TOTAL = "69737-5", "70274-6"
PHQ9_ITEM_CODES = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]
PHQ9_DIFFICULTY = "69722-7"
ANSWER_CODES = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
ANSWER_TEXTS = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
# LOINC's GAD-7 panel items (not in CLINICAL.md; LOINC 69737-5's members).
GAD7_ITEM_CODES = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
PANELS = {PHQ9_PANEL, GAD7_PANEL}
LOINC = "http://loinc.org"
SURVEY = "http://terminology.hl7.org/CodeSystem/observation-category"


def table(response):
    """A CSV download as (header, [dict per row]); checks the BOM on the way."""
    assert response.data.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def check_in(client, day, mood="6", **data):
    return checkin(client, day, mood, read_flash=False, **data)


def add_symptom(client, name):
    assert client.post("/settings/symptoms", data={"name": name}).status_code == 302


def symptom_ids(app):
    with app.app_context():
        return {row["name"]: row["id"] for row in get_db()["symptoms"].rows}


def strict_json(response):
    """Parse as strict JSON: NaN, Infinity and -Infinity are refused."""

    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(response.data.decode("utf-8"), parse_constant=refuse)


# Access and headers ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/export", *(f"/export/{name}" for name in DOWNLOADS)])
def test_login_required(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")
    assert path in response.location


def test_export_page_lists_downloads(client, patient):
    check_in(client, DAY1)
    page = client.get("/export")
    assert page.status_code == 200
    for name in DOWNLOADS:
        assert f'href="/export/{name}"' in page.text
    assert 'href="/export/report"' in page.text
    assert 'href="/import"' in page.text
    assert "1 check-in." in page.text and "0 sessions." in page.text


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        ("checkins.csv", "text/csv"),
        ("sessions.csv", "text/csv"),
        ("assessments.csv", "text/csv"),
        ("data.json", "application/json"),
        ("fhir.json", "application/fhir+json"),
    ],
)
def test_download_headers(client, patient, name, mimetype):
    response = client.get(f"/export/{name}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.mimetype_params.get("charset") == "utf-8"
    stem, extension = name.split(".")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="afterglow-{stem}-{TODAY.isoformat()}.{extension}"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", DOWNLOADS)
def test_a_head_answers_the_downloads_headers_and_reads_none_of_the_journal(
    app, client, patient, name
):
    """A HEAD (a link checker, a download manager peeking at the file) read the person's
    rows to build the file it then dropped: data.json read every symptom rating, the
    check-ins' file every symptom. It is answered the download's headers alone, and noted
    as no download (tests/test_access.py asks every route for that)."""
    assert client.post("/settings/symptoms", data={"name": "Pain"}).status_code == 302
    checkin(client, DAY1, 5, reflection="Slow morning")
    with traced(app) as statements:
        head = client.head(f"/export/{name}")
    got = client.get(f"/export/{name}")
    assert head.status_code == got.status_code == 200
    assert head.data == b""
    for header in (
        "Content-Type",
        "Content-Disposition",
        "Cache-Control",
        "X-Content-Type-Options",
    ):
        assert head.headers[header] == got.headers[header], header
    journal_tables = r'\bfrom "?(users|symptoms|symptom_scores|checkins|sessions|assessments)\b'
    assert [s for s in statements if re.search(journal_tables, s)] == []


def test_filename_uses_the_persons_own_today(client, auth):
    auth.register(timezone="Pacific/Kiritimati")  # UTC+14: often a day ahead of UTC
    response = client.get("/export/checkins.csv")
    local = clock.now().astimezone(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
    assert f"afterglow-checkins-{local}.csv" in response.headers["Content-Disposition"]


# CSV cells ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (0, "0"),
        (-3, "-3"),  # a negative number stays a number
        (-2.5, "-2.5"),
        (7.0, "7"),
        (7.5, "7.5"),
        (True, "yes"),
        (False, "no"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-3", "'-3"),  # text that looks like a number is still text
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        ("2026-03-14", "2026-03-14"),
    ],
)
def test_cell(value, expected):
    assert cell(value) == expected


# checkins.csv ---------------------------------------------------------------------------


def test_checkins_csv_round_trip(app, client, patient):
    add_symptom(client, "Rumination")
    add_symptom(client, "Tags")  # the same name as a built-in column
    add_symptom(client, "Pain")
    ids = symptom_ids(app)
    check_in(
        client,
        DAY1,
        mood="7",
        anxiety="3",
        energy="0",
        sleep_hours="7.5",
        tags="walk, café",
        reflection=MULTILINE,
        private="y",
        **{f"symptom_{ids['Rumination']}": "4", f"symptom_{ids['Pain']}": "0"},
    )
    check_in(client, DAY2, mood="1", self_harm="y")
    # Retired symptoms keep their column and history.
    assert client.post(f"/settings/symptoms/{ids['Pain']}/retire").status_code == 302
    check_in(client, DAY3, mood="10", reflection='=HYPERLINK("http://x")', tags="-x")

    header, rows = table(client.get("/export/checkins.csv"))
    assert header == [
        "date",
        "mood",
        "anxiety",
        "energy",
        "sleep_hours",
        "tags",
        "reflection",
        "private",
        "self_harm",
        "Rumination",
        "Tags (symptom)",
        "Pain",
        "updated_at",
    ]
    assert [row["date"] for row in rows] == [DAY1, DAY2, DAY3]
    first, second, third = rows
    assert {k: first[k] for k in header[:12]} == {
        "date": DAY1,
        "mood": "7",
        "anxiety": "3",
        "energy": "0",
        "sleep_hours": "7.5",
        "tags": "walk, café",
        "reflection": MULTILINE,  # private reflections are in the person's own export
        "private": "yes",
        "self_harm": "",  # unticked: not answered
        "Rumination": "4",
        "Tags (symptom)": "",
        "Pain": "0",
    }
    assert (second["mood"], second["self_harm"], second["reflection"]) == ("1", "yes", "")
    assert (second["anxiety"], second["sleep_hours"], second["Rumination"]) == ("", "", "")
    # Formula-like text is made safe; the numbers beside it are not touched.
    assert third["reflection"] == '\'=HYPERLINK("http://x")'
    assert third["tags"] == "'-x"
    assert third["mood"] == "10"
    with app.app_context():
        stored = {r["day"]: r["updated_at"] for r in get_db()["checkins"].rows}
    assert [row["updated_at"] for row in rows] == [stored[DAY1], stored[DAY2], stored[DAY3]]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_formula_cells_are_prefixed(client, patient, start):
    text = f"{start}cmd|' /C calc'!A0"
    check_in(client, DAY1, reflection=text)
    _, (row,) = table(client.get("/export/checkins.csv"))
    assert row["reflection"] == "'" + text
    assert row["mood"] == "6"


def test_symptom_named_like_a_formula_is_a_safe_header(client, patient):
    add_symptom(client, "-energy")
    header, _ = table(client.get("/export/checkins.csv"))
    assert "'-energy" in header


# sessions.csv ---------------------------------------------------------------------------


def test_sessions_csv_round_trip(app, client, auth):
    auth.register(timezone="America/Los_Angeles")
    response = client.post(
        "/sessions/new",
        data={
            "started_at": "2025-03-01T22:30",  # 06:30 UTC the next day
            "product": "ketamine",
            "route": "iv",
            "dose_mg": "35.5",
            "dose_mg_per_kg": "0.5",
            "weight_kg": "71",
            "clinic": "Clinic, Room 2",
            "intention": "+ to feel more",
            "mood_before": "2",
            "mood_after": "6",
            "dissociation": "7",
            "side_effects": ["nausea", "headache"],
            "side_effects_other": "hiccups",
            "bp_before_systolic": "120",
            "bp_before_diastolic": "80",
            "bp_after_systolic": "141",
            "bp_after_diastolic": "92",
            "reflection": MULTILINE,
            "prompt_stood_out": "Colours",
            "prompt_carry": "-kindness",
            "private": "y",
        },
    )
    assert response.status_code == 302
    response = client.post(
        "/sessions/new",
        data={"started_at": "2025-03-05T09:00", "product": "esketamine", "route": "intranasal"},
    )
    assert response.status_code == 302

    header, rows = table(client.get("/export/sessions.csv"))
    assert header[:3] == ["number", "date", "started_at_utc"]
    assert "prompt_stood_out" in header and "prompt_noticed" in header
    first, second = rows
    with app.app_context():
        updated = get_db()["sessions"].get(1)["updated_at"]
    assert first == {
        "number": "1",
        "date": "2025-03-01",
        "started_at_utc": "2025-03-02T06:30:00+00:00",
        "product": "ketamine",
        "route": "iv",
        "dose_mg": "35.5",
        "dose_mg_per_kg": "0.5",
        "weight_kg": "71",
        "clinic": "Clinic, Room 2",
        "intention": "'+ to feel more",
        "mood_before": "2",
        "mood_after": "6",
        "dissociation": "7",
        "side_effects": "nausea, headache, other",
        "side_effects_other": "hiccups",
        "bp_before_systolic": "120",
        "bp_before_diastolic": "80",
        "bp_after_systolic": "141",
        "bp_after_diastolic": "92",
        "reflection": MULTILINE,
        "prompt_stood_out": "Colours",
        "prompt_noticed": "",
        "prompt_carry": "'-kindness",
        "private": "yes",
        "updated_at": updated,
    }
    assert (second["number"], second["date"], second["product"]) == (
        "2",
        "2025-03-05",
        "esketamine",
    )
    assert (second["dose_mg"], second["side_effects"], second["private"]) == ("", "", "no")


# assessments.csv ------------------------------------------------------------------------


def test_assessments_csv_round_trip(client, patient):
    take(client, "phq9", DAY1, [3, 2, 1, 0, 3, 2, 1, 0, 1], difficulty=2)
    take(client, "gad7", DAY2, [0, 1, 2, 3, 0, 1, 2])
    header, rows = table(client.get("/export/assessments.csv"))
    assert header == [
        "date",
        "kind",
        "total",
        "band",
        *(f"q{n}" for n in range(1, 10)),
        "difficulty",
    ]
    assert rows[0] == {
        "date": DAY1,
        "kind": "phq9",
        "total": "13",
        "band": "moderate",
        **{f"q{n}": str(a) for n, a in enumerate([3, 2, 1, 0, 3, 2, 1, 0, 1], start=1)},
        "difficulty": "2",
    }
    assert rows[1] == {
        "date": DAY2,
        "kind": "gad7",
        "total": "9",
        "band": "mild",
        **{f"q{n}": str(a) for n, a in enumerate([0, 1, 2, 3, 0, 1, 2], start=1)},
        "q8": "",
        "q9": "",
        "difficulty": "",
    }


@pytest.mark.parametrize("name", CSV_FILES)
def test_empty_csv_has_a_header_only(client, patient, name):
    header, rows = table(client.get(f"/export/{name}"))
    assert header and rows == []


# data.json ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "module"), [("data", document), ("fhir", fhir)])
def test_an_export_as_the_account_is_deleted_elsewhere_signs_out(app, monkeypatch, name, module):
    """The account is deleted on the phone after the download's request read who sent it,
    before it read the account's row: the export met no row and answered 500. Now the person
    is signed out and told, as a save is."""
    client, phone = signed_in_twice(app)
    deleted_first(monkeypatch, module, "user_row", phone)
    path = f"/export/{name}.json"
    response = client.get(path)
    signed_out_as_deleted(client, response, path, ACCOUNT_GONE_SHOWN)


def test_data_json_holds_the_reminder_time(client, patient):
    assert client.post("/settings/reminders", data={"reminder_time": "08:15"}).status_code == 302
    assert strict_json(client.get("/export/data.json"))["settings"]["reminder_time"] == "08:15"


def test_data_json_round_trip(app, client, patient):
    client.post(
        "/settings",
        data={
            "timezone": "UTC",
            "window_days": "10",
            "clinic_phone": "+1 555 010 0199",
            "private_by_default": "y",
            "report_name": "J.",
        },
    )
    add_symptom(client, "Rumination")
    ids = symptom_ids(app)
    check_in(
        client,
        DAY1,
        mood="4",
        sleep_hours="6.5",
        tags="walk, café",
        reflection=MULTILINE,
        private="y",
        **{f"symptom_{ids['Rumination']}": "8"},
    )
    client.post(
        "/sessions/new",
        data={
            "started_at": "2025-03-01T09:30",
            "product": "esketamine",
            "route": "intranasal",
            "dose_mg": "56",
            "bp_before_systolic": "130",
            "bp_before_diastolic": "85",
            "prompt_noticed": "Warmth",
            "side_effects": ["dizziness"],
        },
    )
    take(client, "phq9", DAY2, [1, 1, 1, 1, 1, 0, 0, 0, 2], difficulty=0)
    with app.app_context():
        get_db()["share_links"].insert(
            {
                "user_id": 1,
                "label": "Dr. Lee",
                "token_hash": "THIS-HASH-MUST-NOT-LEAK",
                "created_at": "2026-01-01T10:00:00+00:00",
                "expires_at": "2026-01-31T10:00:00+00:00",
                "open_count": 3,
            }
        )
        password_hash = get_db()["users"].get(1)["password_hash"]

    response = client.get("/export/data.json")
    data = strict_json(response)
    assert (data["format"], data["version"]) == ("afterglow-export", 1)
    assert datetime.fromisoformat(data["exported_at"]).tzinfo is not None
    assert data["account"] == {
        "email": "pat@example.com",
        "display_name": "",
        "role": "patient",
        "timezone": "UTC",
        "created_at": data["account"]["created_at"],
    }
    assert data["settings"] == {
        "window_days": 10,
        "clinic_phone": "+1 555 010 0199",
        "private_by_default": True,
        "report_name": "J.",
        "invite_code": None,
        "reminder_time": None,
    }
    assert [s["name"] for s in data["symptoms"]] == ["Rumination"]
    (checkin,) = data["checkins"]
    assert {k: v for k, v in checkin.items() if k not in ("created_at", "updated_at")} == {
        "date": DAY1,
        "mood": 4,
        "anxiety": None,
        "energy": None,
        "sleep_hours": 6.5,
        "tags": ["walk", "café"],
        "reflection": MULTILINE,
        "private": True,
        "self_harm": None,  # unticked: not answered
        "symptoms": {"Rumination": 8},
    }
    (session,) = data["sessions"]
    assert session["number"] == 1 and session["date"] == "2025-03-01"
    assert session["started_at"] == "2025-03-01T09:30:00+00:00"
    assert session["dose_mg"] == 56 and session["side_effects"] == ["dizziness"]
    assert session["blood_pressure"] == {
        "before": {"systolic": 130, "diastolic": 85},
        "after": None,
    }
    assert session["prompts"] == {"noticed": "Warmth"}
    assert session["private"] is False  # the form was sent without the box ticked
    (assessment,) = data["assessments"]
    assert {k: v for k, v in assessment.items() if k != "created_at"} == {
        "date": DAY2,
        "kind": "phq9",
        "answers": [1, 1, 1, 1, 1, 0, 0, 0, 2],
        "total": 7,
        "band": "mild",
        "difficulty": 0,
    }
    assert data["share_links"] == [
        {
            "label": "Dr. Lee",
            "created_at": "2026-01-01T10:00:00+00:00",
            "expires_at": "2026-01-31T10:00:00+00:00",
            "revoked_at": None,
            "last_opened_at": None,
            "open_count": 3,
        }
    ]
    assert data["therapist"] is None
    body = response.data.decode()
    assert "THIS-HASH-MUST-NOT-LEAK" not in body and "token_hash" not in body
    assert password_hash not in body and "password" not in body


def test_data_json_names_the_linked_therapist(app, client, auth):
    auth.register(email="dr@example.com", role="therapist", display_name="Dr. Ada Lee")
    auth.logout()
    auth.register()
    with app.app_context():
        get_db()["therapist_links"].insert(
            {"patient_id": 2, "therapist_id": 1, "linked_at": "2026-02-01T09:00:00+00:00"}
        )
    data = strict_json(client.get("/export/data.json"))
    assert data["therapist"] == {
        "therapist_name": "Dr. Ada Lee",
        "linked_at": "2026-02-01T09:00:00+00:00",
    }
    assert "dr@example.com" not in json.dumps(data)


def test_data_json_names_a_therapist_without_a_name_by_their_email(app, client, auth):
    # "Your therapist" names them by their email; data.json said "therapist_name": "".
    auth.register(email="dr@example.com", role="therapist")
    auth.logout()
    auth.register()
    with app.app_context():
        get_db()["therapist_links"].insert(
            {"patient_id": 2, "therapist_id": 1, "linked_at": "2026-02-01T09:00:00+00:00"}
        )
    assert (
        "You are linked to <strong>dr@example.com</strong>"
        in client.get("/settings/therapist").text
    )
    data = strict_json(client.get("/export/data.json"))
    assert data["therapist"] == {
        "therapist_name": "dr@example.com",
        "linked_at": "2026-02-01T09:00:00+00:00",
    }


def test_data_json_of_a_new_account_is_empty_lists(client, patient):
    data = strict_json(client.get("/export/data.json"))
    for key in ("symptoms", "checkins", "sessions", "assessments", "share_links"):
        assert data[key] == []


# fhir.json ------------------------------------------------------------------------------


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def check_bundle(bundle):
    """The structure FHIR R4 asks of our Bundle; returns {fullUrl: resource}."""
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert datetime.fromisoformat(bundle["timestamp"]).tzinfo is not None
    by_url = {}
    for item in bundle["entry"]:
        assert set(item) == {"fullUrl", "resource"}
        resource = item["resource"]
        assert item["fullUrl"] == f"urn:uuid:{resource['id']}"
        assert str(uuid.UUID(resource["id"])) == resource["id"]
        assert item["fullUrl"] not in by_url
        by_url[item["fullUrl"]] = resource
    (patient,) = resources(bundle, "Patient")
    patient_url = f"urn:uuid:{patient['id']}"
    assert set(patient) == {"resourceType", "id", "name"}  # no email, no telecom
    for resource in by_url.values():
        if resource["resourceType"] == "Patient":
            continue
        assert resource["subject"] == {"reference": patient_url}
        if resource["resourceType"] == "Observation":
            assert resource["status"] == "final"
            assert resource["category"][0]["coding"][0] == {
                "system": SURVEY,
                "code": "survey",
                "display": "Survey",
            }
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", resource["effectiveDateTime"])
            codings = resource["code"]["coding"]
            assert codings and all(c["system"] and c["code"] and c["display"] for c in codings)
            # A panel code is never the code of a total-score Observation.
            assert not {c["code"] for c in codings} & PANELS
            for ref in resource.get("derivedFrom", []):
                assert by_url[ref["reference"]]["resourceType"] == "QuestionnaireResponse"
        else:
            assert resource["resourceType"] == "QuestionnaireResponse"
            assert resource["status"] == "completed"
            assert resource["questionnaire"] in {f"{LOINC}/q/{p}" for p in PANELS}
            for item in resource["item"]:
                assert item["linkId"] and len(item["answer"]) == 1
                coding = item["answer"][0]["valueCoding"]
                assert coding["system"] == LOINC and coding["code"] and coding["display"]
    return by_url


def test_fhir_bundle(client, auth):
    auth.register(display_name="Sam", timezone="UTC")
    client.post(
        "/settings",
        data={"timezone": "UTC", "window_days": "7", "report_name": "S. (pseudonym)"},
    )
    check_in(client, DAY1, mood="3")
    check_in(client, DAY2, mood="0")
    take(client, "phq9", DAY1, [0, 1, 2, 3, 0, 1, 2, 3, 0], difficulty=3)
    take(client, "gad7", DAY2, [3, 3, 2, 2, 1, 1, 0])
    bundle = strict_json(client.get("/export/fhir.json"))
    by_url = check_bundle(bundle)

    (patient,) = resources(bundle, "Patient")
    assert patient["name"] == [{"text": "S. (pseudonym)"}]
    assert "pat@example.com" not in json.dumps(bundle)

    observations = resources(bundle, "Observation")
    totals = {
        o["code"]["coding"][0]["code"]: o
        for o in observations
        if o["code"]["coding"][0]["system"] == LOINC
    }
    assert set(totals) == {PHQ9_TOTAL, GAD7_TOTAL}
    phq9, gad7 = totals[PHQ9_TOTAL], totals[GAD7_TOTAL]
    for total, value, day in ((phq9, 12, DAY1), (gad7, 12, DAY2)):
        assert total["valueQuantity"] == {
            "value": value,
            "unit": "{score}",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        }
        assert total["effectiveDateTime"] == day
    assert phq9["interpretation"] == [{"text": "moderate"}]

    response = by_url[phq9["derivedFrom"][0]["reference"]]
    assert response["questionnaire"] == f"{LOINC}/q/{PHQ9_PANEL}"
    assert response["authored"] == DAY1
    assert [i["linkId"] for i in response["item"]] == [*PHQ9_ITEM_CODES, PHQ9_DIFFICULTY]
    for item, answer in zip(response["item"], [0, 1, 2, 3, 0, 1, 2, 3, 0], strict=False):
        assert item["answer"][0]["valueCoding"] == {
            "system": LOINC,
            "code": ANSWER_CODES[answer],
            "display": ANSWER_TEXTS[answer],
        }
    assert response["item"][0]["text"] == "Little interest or pleasure in doing things"
    assert response["item"][-1]["answer"][0]["valueCoding"]["display"] == "Extremely difficult"

    response = by_url[gad7["derivedFrom"][0]["reference"]]
    assert response["questionnaire"] == f"{LOINC}/q/{GAD7_PANEL}"
    assert [i["linkId"] for i in response["item"]] == GAD7_ITEM_CODES
    assert [i["answer"][0]["valueCoding"]["code"] for i in response["item"]] == [
        ANSWER_CODES[a] for a in [3, 3, 2, 2, 1, 1, 0]
    ]

    moods = [o for o in observations if o["code"]["coding"][0]["system"] != LOINC]
    assert [(o["effectiveDateTime"], o["valueInteger"]) for o in moods] == [(DAY1, 3), (DAY2, 0)]
    for mood in moods:
        assert mood["code"]["coding"] == [
            {
                "system": "urn:afterglow:codes",
                "code": "mood-0-10",
                "display": "Mood, self-rated 0 (very low) to 10 (very good)",
            }
        ]
        assert "valueQuantity" not in mood


def test_fhir_ids_are_stable_and_per_person(client, auth):
    auth.register()
    check_in(client, DAY1)
    take(client, "phq9", DAY1, [1] * 9)
    first = strict_json(client.get("/export/fhir.json"))
    second = strict_json(client.get("/export/fhir.json"))
    urls = [e["fullUrl"] for e in first["entry"]]
    assert len(urls) == 4  # patient, total, response, mood
    assert urls == [e["fullUrl"] for e in second["entry"]]
    auth.logout()
    auth.register(email="other@example.com")
    check_in(client, DAY1)
    other = strict_json(client.get("/export/fhir.json"))
    assert not {e["fullUrl"] for e in other["entry"]} & set(urls)


def test_fhir_of_a_new_account_is_the_patient_alone(client, patient):
    bundle = strict_json(client.get("/export/fhir.json"))
    check_bundle(bundle)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]


# Every export is its owner's only -------------------------------------------------------


@pytest.fixture
def two_people(app, client):
    """Two people with data, each with a marker word; the second is signed in at the end."""
    auth = AuthActions(client)
    for email, marker, mood, answers in (
        ("a@example.com", "ALPHA", "2", [0] * 9),
        ("b@example.com", "BRAVO", "9", [3] * 9),
    ):
        auth.register(email=email)
        add_symptom(client, f"{marker} symptom")
        check_in(client, DAY1, mood=mood, reflection=f"{marker} reflection", private="y")
        client.post(
            "/sessions/new",
            data={
                "started_at": "2025-03-01T09:30",
                "product": "ketamine",
                "route": "iv",
                "clinic": f"{marker} clinic",
            },
        )
        take(client, "phq9", DAY1, answers)
        auth.logout()
    auth.login(email="a@example.com")
    return client


@pytest.mark.parametrize(
    ("name", "own", "other"),
    [
        ("checkins.csv", "ALPHA reflection", "BRAVO"),
        ("checkins.csv", "ALPHA symptom", "b@example.com"),
        ("sessions.csv", "ALPHA clinic", "BRAVO"),
        ("assessments.csv", ",phq9,0,minimal,", ",phq9,27,severe,"),
        ("data.json", "ALPHA", "BRAVO"),
        ("data.json", "a@example.com", "b@example.com"),
        ("fhir.json", '"valueInteger": 2', '"valueInteger": 9'),
        ("fhir.json", '"value": 0', '"value": 27'),
    ],
)
def test_exports_hold_only_the_owners_data(two_people, name, own, other):
    body = two_people.get(f"/export/{name}").data.decode("utf-8-sig")
    assert own in body
    assert other not in body


def test_fhir_holds_only_the_owners_scores(two_people):
    bundle = strict_json(two_people.get("/export/fhir.json"))
    values = sorted(
        o.get("valueInteger", o.get("valueQuantity", {}).get("value"))
        for o in resources(bundle, "Observation")
    )
    assert values == [0, 2]  # A's PHQ-9 total and mood; B's are 27 and 9


# Bounds: every file is streamed, a piece at a time, however much there is -------------

LARGEST_TEXT = 20_000  # a reflection's limit (journal/fields.py)
STAMPS = {"created_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00"}


def add_much(app, days=120, sessions=40, assessments=2_000):
    """Much data for patient 1: long reflections that start like a formula, many check-ups."""
    words = ('=a long reflection, "quoted", Zoë 心 🌊\n' * 600)[:LARGEST_TEXT]
    with app.app_context():
        db = get_db()
        db["checkins"].insert_all(
            {"user_id": 1, "day": (TODAY - timedelta(days=n)).isoformat(), "mood": n % 11,
             "reflection": words, **STAMPS}
            for n in range(days)
        )  # fmt: skip
        db["sessions"].insert_all(
            {"user_id": 1, "started_at": f"{TODAY - timedelta(days=n)}T10:00:00+00:00",
             "day": (TODAY - timedelta(days=n)).isoformat(), "product": "ketamine",
             "route": "iv", "reflection": words, **STAMPS}
            for n in range(sessions)
        )  # fmt: skip
        db["assessments"].insert_all(
            {"user_id": 1, "kind": "phq9", "day": (TODAY - timedelta(days=n % 700)).isoformat(),
             "answers": json.dumps([1] * 9), "total": 9, "item9": 1,
             "created_at": STAMPS["created_at"]}
            for n in range(assessments)
        )  # fmt: skip
        db.conn.commit()
    return words


@pytest.mark.parametrize("name", DOWNLOADS)
def test_exports_are_streamed_in_pieces(app, client, patient, name):
    words = add_much(app)
    response = client.get(f"/export/{name}", buffered=False)  # read as a server sends it
    assert response.status_code == 200
    assert response.is_streamed
    pieces = list(response.response)
    response.close()
    assert len(pieces) > 1 and max(len(piece) for piece in pieces) < 1024 * 1024
    body = b"".join(pieces)
    if name.endswith(".csv"):
        assert body.startswith(b"\xef\xbb\xbf")
        header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
        assert len(rows) == {"checkins.csv": 120, "sessions.csv": 40}.get(name, 2_000)
        if name != "assessments.csv":
            assert rows[0][header.index("reflection")] == "'" + words
    else:
        document = json.loads(body.decode("utf-8"))
        if name == "data.json":
            counts = [len(document[key]) for key in ("checkins", "sessions", "assessments")]
            assert counts == [120, 40, 2_000]
            assert document["checkins"][0]["reflection"] == words
        else:
            assert len(document["entry"]) == 1 + 2 * 2_000 + 120


def test_two_symptoms_never_share_a_column_name():
    # "Tags (symptom)" named by the person, and "Tags" made "Tags (symptom)" to stand apart
    # from the built-in column: two columns of one name, which the person could not tell
    # apart in a spreadsheet.
    tracked = [{"name": "Tags (symptom)"}, {"name": "Tags"}, {"name": "Pain"}]
    headers = symptom_headers(tracked)
    assert headers == ["Tags (symptom)", "Tags 2 (symptom)", "Pain"]
    # Each read back as a column of its own, none as the check-in's tags.
    keys = [header_key(name) for name in headers]
    assert len(set(keys)) == 3 and "tags" not in keys
