import json
import math
import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from xml.etree import ElementTree

import pytest
from matplotlib.image import imread

from journal import progress
from journal.db import get_db
from journal.progress import describe_timeline, heatmap, timeline_data

TODAY = datetime.now(UTC).date()  # the patient fixture lives in UTC
SESSION_DAY = TODAY - timedelta(days=10)


def day(offset):
    """A date relative to the session day, as text."""
    return (SESSION_DAY + timedelta(days=offset)).isoformat()


def checkin(client, offset, mood, **extra):
    response = client.post("/checkin", data={"date": day(offset), "mood": str(mood), **extra})
    assert response.status_code == 302, response.text
    client.get(response.location)  # read the flash, as a person would


def add_session(app, offset, route="iv", user_id=1):
    with app.app_context():
        return (
            get_db()["sessions"]
            .insert(
                {
                    "user_id": user_id,
                    "started_at": f"{day(offset)}T15:00:00+00:00",
                    "day": day(offset),
                    "product": "ketamine",
                    "route": route,
                    "created_at": "2026-01-01T00:00:00+00:00",
                    "updated_at": "2026-01-01T00:00:00+00:00",
                }
            )
            .last_pk
        )


def add_assessment(app, kind, offset, total, user_id=1):
    with app.app_context():
        get_db()["assessments"].insert(
            {
                "user_id": user_id,
                "kind": kind,
                "day": day(offset),
                "answers": "[]",
                "total": total,
                "created_at": "2026-01-01T00:00:00+00:00",
            }
        )


@pytest.fixture
def course(app, client, patient):
    """Baseline moods 4, 5, 6 (mean 5.0); a session; window moods 7 and 8 on days 1 and 2."""
    for offset, mood in [(-5, 4), (-3, 5), (-1, 6), (1, 7), (2, 8)]:
        checkin(client, offset, mood)
    session_id = add_session(app, 0)
    add_assessment(app, "phq9", -1, 16)
    add_assessment(app, "phq9", 5, 7)
    add_assessment(app, "gad7", 5, 11)
    return session_id


def test_summary_hand_computed(client, course):
    response = client.get("/progress/summary.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "baseline": 5.0,  # (4 + 5 + 6) / 3
        "window_days": 7,
        "sessions": [
            {
                "id": course,
                "date": day(0),
                "route": "iv",
                "pre_level": 5.5,  # days -3 and -1: (5 + 6) / 2
                "window_mean": 7.5,  # (7 + 8) / 2
                "change": 2.5,  # 7.5 - 5.0
                "peak_change": 3.0,  # 8 - 5.0
                "peak_day": 2,
                "days_above_baseline": 2,
                "n_checkins": 2,
            }
        ],
        "phq9": {
            "baseline": 16,
            "latest": 7,
            "band": "mild",
            "response": True,  # 7 <= 16 / 2
            "remission": False,
        },
        "gad7": {"baseline": 11, "latest": 11, "band": "moderate"},
    }


def test_summary_with_nothing_is_null_not_nan(client, patient):
    response = client.get("/progress/summary.json")
    body = response.get_data(as_text=True)
    assert "NaN" not in body
    assert json.loads(body) == {
        "baseline": None,
        "window_days": 7,
        "sessions": [],
        "phq9": {
            "baseline": None,
            "latest": None,
            "band": None,
            "response": None,
            "remission": None,
        },
        "gad7": {"baseline": None, "latest": None, "band": None},
    }


def test_session_without_data_has_nulls(app, client, patient):
    checkin(client, -2, 5)
    add_session(app, 0)
    (session,) = client.get("/progress/summary.json").get_json()["sessions"]
    assert session["window_mean"] is None and session["change"] is None
    assert session["peak_day"] is None and session["n_checkins"] == 0


def test_summary_follows_the_window_setting(app, client, course):
    client.post("/settings", data={"timezone": "UTC", "window_days": "2", "clinic_phone": ""})
    checkin(client, 3, 10)  # day 3 is outside a 2-day window
    body = client.get("/progress/summary.json").get_json()
    assert body["window_days"] == 2
    assert body["sessions"][0]["window_mean"] == 7.5


def test_summary_is_private(client, auth, course):
    auth.logout()
    assert client.get("/progress/summary.json").status_code == 302
    auth.register(email="other@example.com")
    assert client.get("/progress/summary.json").get_json()["sessions"] == []


def test_progress_page(client, course):
    response = client.get("/progress")
    assert response.status_code == 200
    page = response.text
    for name in ("mood-timeline", "window-overlay", "assessments"):
        assert f'id="{name}"' in page
        assert re.search(rf'srcset="/charts/{name}\.svg\?[^"]*theme=dark', page)
    alts = re.findall(r'<img src="/charts/[^"]+" alt="([^"]+)"', page)
    assert len(alts) == 3 and all(len(a) > 30 for a in alts)
    assert "against a baseline of 5.0" in page
    assert "7.5" in page  # the window mean in the session table
    assert '<th scope="col">7-day mean</th>' in page
    assert 'class="heatmap"' in page and 'session" title=' in page
    assert "Latest PHQ-9" in page and "Mild" in page and "Response" in page
    assert "10 days" in page  # since the last session


def test_progress_page_when_empty(client, patient):
    response = client.get("/progress")
    assert response.status_code == 200
    assert "no check-ins in this range" in response.text
    assert "No sessions yet" in response.text


@pytest.mark.parametrize("days", ["30", "90", "365", "all"])
def test_progress_ranges(client, course, days):
    assert client.get(f"/progress?days={days}").status_code == 200
    assert client.get(f"/charts/mood-timeline.svg?days={days}").status_code == 200


@pytest.mark.parametrize(
    "query", ["days=7", "days=", "days=all;drop", "metric=nope", "theme=blue", "metric=%00"]
)
def test_bad_parameters_are_400(client, course, query):
    assert client.get(f"/charts/mood-timeline.svg?{query}").status_code == 400
    if not query.startswith("theme"):
        assert client.get(f"/progress?{query}").status_code == 400


def test_unknown_chart_is_404(client, course):
    assert client.get("/charts/nope.svg").status_code == 404
    assert client.get("/charts/mood-timeline.gif").status_code == 404


def test_charts_need_login(client):
    assert client.get("/charts/mood-timeline.svg").status_code == 302
    assert client.get("/progress").status_code == 302


@pytest.mark.parametrize("name", ["mood-timeline", "window-overlay", "assessments"])
def test_svg_and_png(client, course, name):
    svg = client.get(f"/charts/{name}.svg")
    assert svg.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(svg.data)
    assert root.tag.endswith("svg")
    png = client.get(f"/charts/{name}.png")
    assert png.mimetype == "image/png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert imread(BytesIO(png.data)).shape[0] > 100


def test_dark_theme_draws_differently(client, course):
    light = client.get("/charts/mood-timeline.svg").data
    dark = client.get("/charts/mood-timeline.svg?theme=dark").data
    assert light != dark


def test_etag_answers_304_before_drawing_and_changes_with_data(client, course):
    first = client.get("/charts/mood-timeline.svg")
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get("/charts/mood-timeline.svg", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    checkin(client, 2, 3)  # change a window day's mood
    changed = client.get("/charts/mood-timeline.svg", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert changed.data != first.data
    overlay = client.get("/charts/window-overlay.svg")
    checkin(client, 1, 2)
    assert client.get("/charts/window-overlay.svg").headers["ETag"] != overlay.headers["ETag"]


def test_etag_differs_by_format_theme_and_range(client, course):
    tags = {
        client.get(url).headers["ETag"]
        for url in (
            "/charts/mood-timeline.svg",
            "/charts/mood-timeline.png",
            "/charts/mood-timeline.svg?theme=dark",
            "/charts/mood-timeline.svg?days=30",
        )
    }
    assert len(tags) == 4


def test_custom_symptom_metric(client, course):
    client.post("/settings/symptoms", data={"name": "Rumination"})
    checkin(client, 1, 7, symptom_1="6")
    page = client.get("/progress?metric=Rumination")
    assert page.status_code == 200 and "Rumination over time" in page.text
    chart = client.get("/charts/mood-timeline.svg?metric=rumination")
    assert chart.status_code == 200
    assert chart.headers["ETag"] != client.get("/charts/mood-timeline.svg").headers["ETag"]


def test_sleep_metric_uses_hours(client, course):
    checkin(client, 1, 7, sleep_hours="9.5")
    assert "Sleep over time" in client.get("/progress?metric=sleep").text
    assert client.get("/charts/window-overlay.png?metric=sleep").status_code == 200


def test_timeline_data_keeps_rolling_history_before_the_range():
    points = [(date(2026, 1, d), float(d)) for d in range(1, 11)]
    data = timeline_data(points, [], 7, date(2026, 1, 8), date(2026, 1, 10), "Mood", 10)
    assert [d.day for d, _ in data["points"]] == [8, 9, 10]
    # The mean on the 8th spans the 2nd..8th: (2 + ... + 8) / 7 = 5.
    assert data["rolling"][0] == (date(2026, 1, 8), 5.0)


def test_heatmap_weeks_start_on_monday():
    weeks = heatmap(
        [(date(2026, 11, 18), 6)], [{"day": "2026-11-19"}], date(2026, 11, 18), date(2026, 11, 21)
    )
    assert [c["day"].weekday() for c in weeks[0]] == list(range(7))
    cells = {c["day"]: c for week in weeks for c in week}
    assert cells[date(2026, 11, 18)]["mood"] == 6
    assert cells[date(2026, 11, 19)]["session"] is True
    assert cells[date(2026, 11, 16)]["inside"] is False
    assert not any(isinstance(c["mood"], float) and math.isnan(c["mood"]) for c in cells.values())


def test_a_session_just_before_the_range_still_shades_its_window():
    sessions = [
        {"day": "2026-01-05", "number": 1},  # its 7-day window reaches 8..12 January
        {"day": "2025-12-01", "number": 0},  # long before: nothing of it is in range
    ]
    points = [(date(2026, 1, 9), 6)]
    data = timeline_data(points, sessions, 7, date(2026, 1, 8), date(2026, 1, 31), "Mood", 10)
    assert data["sessions"] == [(date(2026, 1, 5), "#1")]
    assert "0 sessions in this range" in describe_timeline(data)


def test_overlay_table_follows_the_chosen_metric(client, course):
    client.post("/settings/symptoms", data={"name": "Pain"})
    page = client.get("/progress?metric=Pain").text
    assert "Pain in each session's window against its baseline" in page
    assert "7.5" not in page.split('id="window-overlay"')[1].split("</figure>")[0]


def test_304_comes_before_any_drawing(client, course, monkeypatch):
    tag = client.get("/charts/window-overlay.svg").headers["ETag"]

    def refuse(**kwargs):
        raise AssertionError("drew a chart the browser already has")

    monkeypatch.setitem(progress.DRAW, "window-overlay", refuse)
    response = client.get("/charts/window-overlay.svg", headers={"If-None-Match": tag})
    assert response.status_code == 304
    with pytest.raises(AssertionError, match="drew a chart"):
        client.get("/charts/window-overlay.svg")
