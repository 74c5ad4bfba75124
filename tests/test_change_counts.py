"""The per-person change counts (migration m025) that a chart's ETag is made of: every write
to a person's check-ins, symptom scores, sessions and check-ups counts, nobody else's does,
and the counts go with the account."""

from datetime import timedelta

import factories
from factories import TODAY

from journal.db import get_db


def counts(app, user_id=1):
    with app.app_context():
        row = (
            get_db()
            .execute(
                "select checkins, sessions, assessments from change_counts where user_id = ?",
                [user_id],
            )
            .fetchone()
        )
    return None if row is None else tuple(row)


def run(app, sql, params=()):
    with app.app_context():
        db = get_db()
        with db.conn:
            db.execute(sql, params)


def test_each_write_counts_on_its_own_table_only(app, client, patient):
    factories.person(app, "other@example.com")
    other = 2
    assert counts(app) == (0, 0, 0)
    factories.checkin(client, TODAY.isoformat(), 5)
    assert counts(app) == (1, 0, 0)
    session = factories.add_session(app, TODAY.isoformat())
    assessment = factories.add_assessment(app, "phq9", TODAY.isoformat(), 12)
    assert counts(app) == (1, 1, 1)
    run(app, "update sessions set day = ? where id = ?", [TODAY.isoformat(), session])
    run(app, "delete from assessments where id = ?", [assessment])
    assert counts(app) == (1, 2, 2)
    # Someone else's rows never move this person's counts.
    factories.add_session(app, TODAY.isoformat(), user_id=other)
    assert counts(app) == (1, 2, 2)
    assert counts(app, other) == (0, 1, 0)


def test_a_symptom_score_counts_as_a_checkin_change(app, client, patient):
    client.post("/settings/symptoms", data={"name": "Rumination"})
    factories.checkin(client, TODAY.isoformat(), 5)
    before = counts(app)[0]
    run(app, "insert into symptom_scores (checkin_id, symptom_id, value) values (1, 1, 3)")
    assert counts(app)[0] == before + 1
    run(app, "update symptom_scores set value = 4")
    assert counts(app)[0] == before + 2
    run(app, "delete from symptom_scores")
    assert counts(app)[0] == before + 3


def test_the_chart_etag_follows_a_symptom_score(app, client, patient):
    client.post("/settings/symptoms", data={"name": "Rumination"})
    factories.checkin(client, TODAY.isoformat(), 5)
    run(app, "insert into symptom_scores (checkin_id, symptom_id, value) values (1, 1, 3)")
    url = "/charts/mood-timeline.svg?metric=Rumination"
    tag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    run(app, "update symptom_scores set value = 7")
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_the_counts_go_with_the_account(app, client, patient):
    factories.checkin(client, TODAY.isoformat(), 5)
    assert counts(app) is not None
    run(app, "delete from users where id = 1")
    assert counts(app) is None
    with app.app_context():
        assert get_db().execute("select count(*) from change_counts").fetchone()[0] == 0


def test_summary_json_is_never_stale_after_a_write_from_another_worker(app, client, patient):
    """summary.json is remembered per connection under the change counts; a write made on
    another connection (another gunicorn worker) moves them, so it is seen at once."""
    import sqlite3

    for offset, mood in [(-5, 4), (-3, 5), (-1, 6), (1, 7)]:
        factories.checkin(client, (TODAY + timedelta(days=offset - 10)).isoformat(), mood)
    factories.add_session(app, (TODAY - timedelta(days=10)).isoformat())
    first = client.get("/progress/summary.json").get_json()
    assert client.get("/progress/summary.json").get_json() == first
    assert first["sessions"][0]["window_mean"] == 7.0
    other = sqlite3.connect(app.config["DATABASE"])
    with other:
        other.execute(
            "update checkins set mood = 9 where user_id = 1 and day = ?",
            [(TODAY - timedelta(days=9)).isoformat()],
        )
    other.close()
    assert client.get("/progress/summary.json").get_json()["sessions"][0]["window_mean"] == 9.0
    client.post("/settings", data={"timezone": "UTC", "window_days": "2", "clinic_phone": ""})
    assert client.get("/progress/summary.json").get_json()["window_days"] == 2
