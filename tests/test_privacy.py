"""Roads by which a patient's own words could reach someone else, each shut (review of issue 4)."""

import io
import re
from datetime import timedelta

from conftest import AuthActions, pdf_pages, pdf_text
from factories import TODAY, share_link

from journal.db import get_db

DAY = "2026-01-05"
RECENT = (TODAY - timedelta(days=5)).isoformat()  # in a link's 90 days


def test_a_symptom_name_is_not_shown_through_a_link(client, patient):
    client.post("/settings/symptoms", data={"name": "Urges to drink"})
    client.post("/checkin", data={"date": DAY, "mood": "5", "symptom_1": "7"})
    _, token = share_link(client)
    page = client.get(f"/s/{token}")
    assert page.status_code == 200 and "Urges to drink" not in page.text
    assert client.get(f"/s/{token}?metric=Urges to drink").status_code == 400
    chart = client.get(f"/s/{token}/charts/mood-timeline.svg?metric=Urges%20to%20drink")
    assert chart.status_code == 400
    # The person's own progress page still offers it.
    assert "Urges to drink" in client.get("/progress").text


def test_free_text_side_effect_of_a_private_session_stays_private(client, patient):
    client.post(
        "/sessions/new",
        data={"started_at": f"{RECENT}T10:00", "product": "ketamine", "route": "iv",
              "side_effects": ["nausea", "other"], "side_effects_other": "PRIVATE-SIDE-EFFECT",
              "reflection": "PRIVATE-REFLECTION", "private": "y"},
    )  # fmt: skip
    _, token = share_link(client)
    report = client.get(f"/s/{token}/report.pdf")
    text = pdf_text(report.data)
    assert "Nausea" in text
    assert "PRIVATE-SIDE-EFFECT" not in text and "PRIVATE-REFLECTION" not in text


def test_reimported_private_notes_stay_private(app, client, auth, patient):
    client.post(
        "/checkin", data={"date": DAY, "mood": "5", "reflection": "PRIVATE-NOTE", "private": "y"}
    )
    exported = client.get("/export/checkins.csv").data
    auth.logout()
    auth.register(email="again@example.com")
    response = client.post(
        "/import", data={"file": (io.BytesIO(exported), "checkins.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302, response.text
    client.post(response.location + "/confirm", data={"share_notes": "y"})
    with app.app_context():
        row = (
            get_db()
            .execute("select reflection, private from checkins where user_id = 2")
            .fetchone()
        )
    assert row == ("PRIVATE-NOTE", 1)
    _, token = share_link(client)
    assert "PRIVATE-NOTE" not in client.get(f"/s/{token}").text


def test_first_page_of_the_report_stays_one_page(client, patient, app):
    with app.app_context():
        get_db()["checkins"].insert_all(
            {"user_id": 1, "day": f"2026-01-{d:02d}", "mood": 1, "created_at": "t",
             "updated_at": "t"}
            for d in range(1, 29)
        )  # fmt: skip
    report = client.get("/export/report.pdf?start=2026-01-01&end=2026-01-31&sections=")
    pages = pdf_pages(report.data)
    assert len(pages) == 1
    assert "earlier flagged days are in the full report" in pages[0]


def test_share_links_are_https_when_configured(tmp_path):
    from conftest import make_app

    app = make_app(tmp_path, HTTPS=True)
    client = app.test_client()
    AuthActions(client).register()
    page = client.post("/share", data={"label": "x", "days": "7"}).text
    assert re.search(r'value="https://localhost/s/[A-Za-z0-9_-]{43}"', page)
