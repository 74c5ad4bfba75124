"""fhir.json: the person's check-up scores and daily moods as a FHIR R4 Bundle, streamed.

fhir.json is a FHIR R4 Bundle of type "collection": a Patient (no email: an id and the name
shown to therapists), and for each PHQ-9 or GAD-7 a QuestionnaireResponse (items coded with
the LOINC item and answer codes) and an Observation of the total (LOINC 44261-6 or 70274-6,
never a panel code), derived from that response. Daily mood is an Observation with the local
code `mood-0-10` in the code system `urn:afterglow:codes` (Afterglow's own, not registered
anywhere; its display states the 0-10 anchors). Every entry's fullUrl is `urn:uuid:` + a
uuid5 of the person (id and creation time) and the row's id, so repeated exports give the
same ids and two installations do not clash. The GAD-7 items use LOINC's GAD-7 panel item
codes (69725-0, 68509-9, 69733-4, 69734-2, 69735-9, 69689-8, 69736-7), which CLINICAL.md does
not list; the optional difficulty question is in the PHQ-9's panel (69722-7, answers
LA6572-7, LA6573-5, LA6575-0, LA6574-3) but not the GAD-7's, so a GAD-7's difficulty answer
stays in data.json and the CSV only.
"""

import uuid
from itertools import chain

from .. import clock, instruments
from .reading import assessment_rows, checkin_rows, user_row

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
    `json_pieces`: its entries are an iterator, read as they are written. None when the
    account is gone (deleted since the request read who sent it)."""
    user = user_row(user_id)
    if user is None:
        return None
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
