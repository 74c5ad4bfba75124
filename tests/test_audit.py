"""The audit log: every reach into a patient's data by someone else, recorded without the data,
append-only, shown to the patient in words and printed for a compliance review."""

import json
import re
import sqlite3
from datetime import timedelta

import pytest
from conftest import PASSWORD, AuthActions
from factories import NOW, TODAY, checkin, invite_code, person, share_link, therapist, user_id

from journal import access, clock
from journal.data import audit
from journal.db import get_db

REFLECTION = "Zanzibar-heron reflection words"


def rows(app):
    with app.app_context():
        found = get_db().execute("select * from audit order by id")
        columns = [d[0] for d in found.description]
        return [dict(zip(columns, row, strict=True)) for row in found.fetchall()]


@pytest.fixture(autouse=True)
def open_therapist_signup(app):
    """Therapists register on the form here (by default they come by invitation), and reach
    their caseload without setting up two-factor first; the `app` fixture restores both."""
    app.config.update(OPEN_THERAPIST_SIGNUP=True, REQUIRE_2FA_FOR_STAFF=False)


@pytest.fixture
def linked(app):
    """(therapist client, patient client, patient id, therapist id): Dr Rivera and a linked
    patient with a check-in whose reflection is shared and whose mood is 3."""
    doc = therapist(app)
    pat = person(app, "pat@example.com")
    day = (TODAY - timedelta(days=1)).isoformat()
    checkin(pat, day, 3, reflection=REFLECTION)
    response = pat.post("/settings/therapist", data={"invite_code": invite_code(doc)})
    assert response.status_code == 302, response.text
    return doc, pat, user_id(app, "pat@example.com"), user_id(app, "doc@example.com")


def activity_items(client):
    page = client.get("/settings/activity")
    assert page.status_code == 200
    return re.findall(
        r'<li class="activity-([a-z-]+)">\s*<div>\s*<strong>([^<]+)</strong>', page.text
    )


# What is recorded


def test_a_therapists_page_chart_and_report_are_recorded(app, linked):
    doc, _pat, pat_id, doc_id = linked
    assert rows(app) == []
    assert doc.get(f"/caseload/{pat_id}").status_code == 200
    assert doc.get(f"/caseload/{pat_id}/charts/mood-timeline.svg").status_code == 200
    assert doc.get(f"/caseload/{pat_id}/report.pdf").status_code == 200
    found = rows(app)
    assert [(r["actor_id"], r["actor_role"], r["action"], r["subject_id"], r["detail"])
            for r in found] == [
        (doc_id, "therapist", "view", pat_id, "caseload.patient"),
        (doc_id, "therapist", "view", pat_id, "chart:mood-timeline"),
        (doc_id, "therapist", "view", pat_id, "caseload.report"),
    ]  # fmt: skip
    assert all(r["at"] == NOW.isoformat(timespec="seconds") for r in found)


def test_an_unlinked_patient_or_an_unknown_chart_records_nothing(app, linked):
    doc, _pat, pat_id, _doc_id = linked
    other = person(app, "sam@example.com")
    sam = user_id(app, "sam@example.com")
    assert doc.get(f"/caseload/{sam}").status_code == 404
    assert doc.get(f"/caseload/{pat_id}/charts/no-such-chart.svg").status_code == 404
    # A patient reaching for the caseload route is a 404 too, and nothing is recorded.
    assert other.get(f"/caseload/{pat_id}").status_code == 404
    assert rows(app) == []


@pytest.mark.parametrize(
    ("path", "status"),
    [("?days=7", 400), ("?page=abc", 400), ("?metric=Nothing", 400),
     ("/charts/mood-timeline.gif", 404), ("/charts/mood-timeline.svg?theme=neon", 400),
     ("/charts/mood-timeline.svg?days=7", 400)],
)  # fmt: skip
def test_a_refused_request_records_nothing_and_is_no_view_in_recent_activity(
    app, linked, path, status
):
    # The app answered 400 or 404 and showed nothing: the patient must not read that their
    # therapist viewed their progress.
    doc, pat, pat_id, _doc_id = linked
    assert doc.get(f"/caseload/{pat_id}{path}").status_code == status
    assert rows(app) == []
    assert not [what for _, what in activity_items(pat) if "viewed" in what]


def test_a_failure_to_record_shows_nothing(app, linked):
    doc, pat, pat_id, _doc_id = linked
    _, token = share_link(pat, "Dr Other", "7")
    with app.app_context():
        db = get_db()
        db.execute(
            "create trigger audit_broken before insert on audit "
            "begin select raise(abort, 'the disk is full'); end"
        )
        db.conn.commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the app's own 500 page, as in production
    for client, path in [
        (doc, f"/caseload/{pat_id}"),
        (doc, f"/caseload/{pat_id}/charts/mood-timeline.svg"),
        (doc, f"/caseload/{pat_id}/report.pdf"),
        (app.test_client(), f"/s/{token}"),
    ]:
        response = client.get(path)
        assert response.status_code == 500, path
        assert REFLECTION not in response.text and "Shared check-in" not in response.text
        assert not response.mimetype.startswith(("image/", "application/pdf")), path
    with app.app_context():  # the link's opening was not counted either
        assert get_db().execute("select open_count from share_links").fetchone()[0] == 0


def test_the_patients_own_views_are_not_recorded(app, linked):
    _doc, pat, _pat_id, _doc_id = linked
    for path in ("/progress", "/charts/mood-timeline.svg", "/export/report.pdf",
                 "/entries", "/settings/activity"):  # fmt: skip
        assert pat.get(path).status_code == 200, path
    assert rows(app) == []


def test_a_share_link_opening_is_recorded_without_an_actor(app, linked):
    doc, pat, pat_id, _doc_id = linked
    _, token = share_link(pat, "Dr Other", "7")
    visitor = app.test_client()
    assert visitor.get(f"/s/{token}").status_code == 200
    assert visitor.get(f"/s/{token}/report.pdf").status_code == 200
    assert visitor.head(f"/s/{token}").status_code == 200  # a link preview's peek: not counted
    with app.app_context():
        link_id = get_db().execute("select id from share_links").fetchone()[0]
    found = [(r["actor_id"], r["actor_role"], r["subject_id"], r["detail"]) for r in rows(app)]
    assert found == [
        (None, "share-link", pat_id, f"link:{link_id}:page"),
        (None, "share-link", pat_id, f"link:{link_id}:report"),
    ]
    items = activity_items(pat)
    assert ("link-opened", "Someone with your share link “Dr Other” opened it") in items
    # Shown once each (from the link's openings), not again from the audit log.
    assert len(items) == len(set(items)) + 1  # the two openings read alike


def test_a_chart_reached_through_a_share_link_is_recorded_but_not_counted_as_an_opening(
    app, linked
):
    """Anyone holding the link can fetch its charts without ever loading the page: each
    fetch the link answers (a 304 too) is in the audit log, as a therapist's chart is; a
    HEAD, a chart the app lacks and a bad choice reach nothing and are not."""
    _doc, pat, pat_id, _doc_id = linked
    _, token = share_link(pat, "Dr Other", "7")
    visitor = app.test_client()
    chart = f"/s/{token}/charts/mood-timeline.svg?days=90"
    drawn = visitor.get(chart)
    assert drawn.status_code == 200 and drawn.mimetype == "image/svg+xml"
    again = visitor.get(chart, headers={"If-None-Match": drawn.headers["ETag"]})
    assert again.status_code == 304
    assert visitor.get(f"/s/{token}/charts/assessments.png").status_code == 200
    assert visitor.head(chart).status_code == 200
    assert visitor.get(f"/s/{token}/charts/secrets.svg").status_code == 404
    assert visitor.get(f"/s/{token}/charts/lift.svg?theme=neon").status_code == 400
    with app.app_context():
        link_id, open_count = get_db().execute("select id, open_count from share_links").fetchone()
    found = [(r["actor_id"], r["actor_role"], r["subject_id"], r["detail"]) for r in rows(app)]
    assert found == [
        (None, "share-link", pat_id, f"link:{link_id}:chart:mood-timeline"),
        (None, "share-link", pat_id, f"link:{link_id}:chart:mood-timeline"),
        (None, "share-link", pat_id, f"link:{link_id}:chart:assessments"),
    ]
    assert open_count == 0  # the page and the report count as openings; charts do not
    # Nor do they add to the person's Recent activity (the link's openings speak for it).
    assert [kind for kind, _ in activity_items(pat) if kind in ("link-opened", "viewed")] == []


def test_a_share_links_many_rows_never_crowd_a_therapists_view_out_of_recent_activity(app, linked):
    """Recent activity read the newest thousand audit rows about the person and then left
    out a share link's: a link holder fetching charts (a row each) could push the therapist's
    views out of the page."""
    doc, pat, pat_id, _doc_id = linked
    assert doc.get(f"/caseload/{pat_id}").status_code == 200
    before = [what for kind, what in activity_items(pat) if kind == "viewed"]
    assert before == ["Dr Rivera viewed your progress"]
    _, token = share_link(pat, "Dr Other", "7")
    assert app.test_client().get(f"/s/{token}/charts/mood-timeline.svg").status_code == 200
    with app.app_context():
        db = get_db()
        link_id = db.execute("select id from share_links").fetchone()[0]
        with db.atomic():  # as many more fetches, later the same minute
            for _ in range(1_000):
                audit.record(db, None, "view", pat_id, "share-link", f"link:{link_id}:chart:lift")
    assert [what for kind, what in activity_items(pat) if kind == "viewed"] == before


def test_a_link_opened_in_a_loop_writes_a_bounded_number_of_rows(app, linked):
    """Each page view and chart fetch of a share link wrote a row or two (an opening and the
    audit log's), without limit: a script holding the link could grow the database without
    end. Every view is still counted and its time kept for the owner's list of links, but
    only the first `access.LINK_ROWS` of each kind (page, report, chart) within
    `access.LINK_ROWS_WINDOW` are written down; a view after that window is again."""
    _doc, pat, pat_id, _doc_id = linked
    _, token = share_link(pat, "Dr Other", "7")
    visitor = app.test_client()
    views = access.LINK_ROWS * 3
    for _ in range(views):
        assert visitor.get(f"/s/{token}").status_code == 200
        assert visitor.get(f"/s/{token}/charts/mood-timeline.svg").status_code == 200
        clock.set(clock.now() + timedelta(seconds=5))
    with app.app_context():
        db = get_db()
        ((open_count, last_opened_at),) = db.execute(
            "select open_count, last_opened_at from share_links"
        ).fetchall()
        listed = db.execute("select count(*) from share_openings").fetchone()[0]
    assert open_count == views
    assert last_opened_at == (clock.now() - timedelta(seconds=5)).isoformat(timespec="seconds")
    assert listed == access.LINK_ROWS
    details = [r["detail"].split(":")[2] for r in rows(app)]
    assert sorted(details) == ["chart"] * access.LINK_ROWS + ["page"] * access.LINK_ROWS
    # Once the window has passed, a view is written down again, and the owner reads it.
    clock.set(clock.now() + access.LINK_ROWS_WINDOW)
    assert visitor.get(f"/s/{token}").status_code == 200
    items = activity_items(pat)
    assert items[0] == ("link-opened", "Someone with your share link “Dr Other” opened it")
    assert len(rows(app)) == 2 * access.LINK_ROWS + 1
    listing = pat.get("/share").text
    assert f"Opened {views + 1} times, last" in listing


def test_reading_the_log_about_someone_leaves_out_only_the_role_asked(app):
    # With no role to leave out, `actor_role is not NULL` dropped the rows that have none.
    with app.app_context():
        db = get_db()
        audit.record(db, None, "view", 7)  # no actor, no role
        audit.record(db, None, "view", 7, "share-link", "link:1:page")
        audit.record(db, 3, "view", 7, "therapist", "caseload.patient")
        assert [r["actor_role"] for r in audit.about(db, 7, 10)] == [
            "therapist",
            "share-link",
            None,
        ]
        kept = audit.about(db, 7, 10, leave_out_role="share-link")
        assert [r["actor_role"] for r in kept] == ["therapist", None]


def test_no_health_data_in_any_audit_row(app, linked):
    doc, pat, pat_id, _doc_id = linked
    doc.get(f"/caseload/{pat_id}")
    doc.get(f"/caseload/{pat_id}/charts/mood-timeline.svg")
    doc.get(f"/caseload/{pat_id}/report.pdf")
    _, token = share_link(pat, "Dr Other", "7")
    app.test_client().get(f"/s/{token}")
    with app.app_context():
        dump = "\n".join(get_db().conn.iterdump())
    audit_lines = [line for line in dump.splitlines() if 'INSERT INTO "audit"' in line]
    assert len(audit_lines) == 4
    text = "\n".join(audit_lines)
    assert "Zanzibar" not in text and "heron" not in text
    assert "pat@example.com" not in text and "doc@example.com" not in text
    assert "Rivera" not in text and token not in text
    for row in rows(app):
        assert set(row) == {"id", "at", "actor_id", "actor_role", "action", "subject_id",
                            "detail"}  # fmt: skip
    # Only route and chart names and the link's id: no mood (3), no words, in any column.
    with app.app_context():
        link_id = get_db().execute("select id from share_links").fetchone()[0]
    assert [r["detail"] for r in rows(app)] == [
        "caseload.patient", "chart:mood-timeline", "caseload.report", f"link:{link_id}:page"
    ]  # fmt: skip


# Append-only


@pytest.mark.parametrize(
    "statement",
    ["update audit set detail = 'changed'", "delete from audit", "update audit set at = ''"],
)
def test_the_log_refuses_updates_and_deletes(app, linked, statement):
    doc, _pat, pat_id, _doc_id = linked
    doc.get(f"/caseload/{pat_id}")
    before = rows(app)
    with app.app_context(), pytest.raises(sqlite3.IntegrityError, match="append-only"):
        get_db().execute(statement)
    assert rows(app) == before


def test_erasing_the_patient_keeps_only_opaque_ids(app, linked):
    doc, pat, pat_id, doc_id = linked
    doc.get(f"/caseload/{pat_id}")
    assert pat.post("/settings/delete", data={"password": PASSWORD}).status_code == 200
    (row,) = rows(app)
    assert (row["actor_id"], row["subject_id"], row["detail"]) == (
        doc_id, pat_id, "caseload.patient")  # fmt: skip
    with app.app_context():
        assert get_db().execute("select count(*) from activity where user_id = ?",
                                [pat_id]).fetchone()[0] == 0  # fmt: skip


def test_a_deleted_therapist_is_named_by_role_only(app, linked):
    doc, pat, pat_id, doc_id = linked
    doc.get(f"/caseload/{pat_id}")
    assert doc.post("/settings/delete", data={"password": PASSWORD}).status_code == 200
    (row,) = rows(app)
    assert (row["actor_id"], row["subject_id"]) == (doc_id, pat_id)
    items = [what for kind, what in activity_items(pat) if kind == "viewed"]
    assert items == ["Your therapist viewed your progress"]


def test_a_therapist_without_a_name_is_named_by_email_never_as_the_one_linked_now(app, linked):
    # An unnamed therapist views the progress page, then the patient links to Dr Rivera: the
    # first view is not "Your therapist" (that is Dr Rivera now), it is the email the
    # "Your therapist" page named them by.
    doc, pat, pat_id, _doc_id = linked
    unnamed = person(app, "first@example.com", role="therapist")
    assert pat.post("/settings/therapist", data={"invite_code": invite_code(unnamed)})
    assert unnamed.get(f"/caseload/{pat_id}").status_code == 200
    clock.set(NOW + timedelta(minutes=1))
    assert pat.post("/settings/therapist", data={"invite_code": invite_code(doc)})
    assert doc.get(f"/caseload/{pat_id}").status_code == 200
    items = [what for kind, what in activity_items(pat) if kind == "viewed"]
    assert items == ["Dr Rivera viewed your progress", "first@example.com viewed your progress"]


# In the patient's "Recent activity"


def test_the_patient_reads_who_viewed_their_progress(app, linked):
    doc, pat, pat_id, _doc_id = linked
    clock.set(NOW - timedelta(hours=2))
    doc.get(f"/caseload/{pat_id}")
    for name in ("mood-timeline", "window-overlay"):  # part of the page: not listed apart
        doc.get(f"/caseload/{pat_id}/charts/{name}.svg")
    clock.set(NOW - timedelta(hours=1))
    doc.get(f"/caseload/{pat_id}/report.pdf")
    clock.set(NOW)
    items = [item for item in activity_items(pat) if item[0] == "viewed"]
    assert items == [
        ("viewed", "Dr Rivera downloaded a PDF report of your progress"),
        ("viewed", "Dr Rivera viewed your progress"),
    ]
    page = pat.get("/settings/activity").text
    # In the patient's own zone: UTC here, two hours before noon.
    when = (NOW - timedelta(hours=2)).strftime("%a %-d %b %Y, 10:00")
    assert re.search(rf"Dr Rivera viewed your progress</strong>\s*<p class=\"hint\"><time "
                     rf"datetime=\"[^\"]+\">{re.escape(when)}</time>", page)  # fmt: skip


def test_a_chart_opened_on_its_own_later_is_listed(app, linked):
    doc, pat, pat_id, _doc_id = linked
    doc.get(f"/caseload/{pat_id}/charts/lift.svg")
    items = [item for item in activity_items(pat) if item[0] == "viewed"]
    assert items == [("viewed", "Dr Rivera viewed a chart of your progress")]


def test_the_activity_page_shows_the_patients_own_time_zone(app):
    doc = therapist(app)
    pat = app.test_client()
    AuthActions(pat).register(email="tokyo@example.com", timezone="Asia/Tokyo")
    pat.post("/settings/therapist", data={"invite_code": invite_code(doc)})
    doc.get(f"/caseload/{user_id(app, 'tokyo@example.com')}")
    page = pat.get("/settings/activity").text
    # Noon UTC is 21:00 in Tokyo (no daylight saving there).
    assert re.search(r"Dr Rivera viewed your progress</strong>\s*<p class=\"hint\"><time "
                     r"datetime=\"[^\"]+\">[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}, 21:00</time>",
                     page)  # fmt: skip


def test_someone_elses_audit_rows_never_show(app, linked):
    doc, pat, pat_id, _doc_id = linked
    sam = person(app, "sam@example.com")
    doc.get(f"/caseload/{pat_id}")
    assert not [item for item in activity_items(sam) if item[0] == "viewed"]
    assert [item for item in activity_items(pat) if item[0] == "viewed"]


def test_an_admins_actions_read_in_words(app, linked):
    _doc, pat, pat_id, _doc_id = linked
    with app.app_context():
        db = get_db()
        with db.atomic():
            # An admin account that is gone since (no name to show), and the command line.
            audit.record(db, 999, "deactivate", pat_id, "admin", at="2026-01-01T00:00:00+00:00")
            audit.record(db, 999, "reactivate", pat_id, "admin")
            audit.record(db, None, "reset-link", pat_id, "command line")
            audit.record(db, 999, "reset-link", pat_id + 1, "admin")  # someone else's
    items = [what for kind, what in activity_items(pat) if kind == "viewed"]
    assert items == [
        "Your clinic’s server administrator made a link to set a new password for your account",
        "An administrator at your clinic reactivated your account",
    ]  # the deactivation is older than the page's 90 days


# The CLI


def test_the_cli_prints_json_lines_from_a_day_on(app, linked):
    doc, _pat, pat_id, doc_id = linked
    with app.app_context():
        db = get_db()
        with db.atomic():
            audit.record(db, doc_id, "view", pat_id, "therapist", "caseload.patient",
                         at="2026-01-01T23:59:59+00:00")  # fmt: skip
    doc.get(f"/caseload/{pat_id}")
    doc.get(f"/caseload/{pat_id}/report.pdf")
    result = app.test_cli_runner().invoke(args=["audit", "--since", "2026-01-02"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    at = NOW.isoformat(timespec="seconds")
    assert lines == [
        {"at": at, "actor_id": doc_id, "actor_role": "therapist", "action": "view",
         "subject_id": pat_id, "detail": "caseload.patient"},
        {"at": at, "actor_id": doc_id, "actor_role": "therapist", "action": "view",
         "subject_id": pat_id, "detail": "caseload.report"},
    ]  # fmt: skip
    every = app.test_cli_runner().invoke(args=["audit", "--since", "2026-01-01"])
    assert len(every.output.splitlines()) == 3


def test_the_cli_with_nothing_to_print(app):
    result = app.test_cli_runner().invoke(args=["audit", "--since", TODAY.isoformat()])
    assert result.exit_code == 0
    assert result.output == ""


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "2026-02-30", "20260101", ""])
def test_the_cli_refuses_a_bad_date(app, since):
    result = app.test_cli_runner().invoke(args=["audit", "--since", since])
    assert result.exit_code == 2
    assert "is not a date: write it as YYYY-MM-DD" in result.output


def test_the_cli_on_a_database_without_the_log(app):
    with app.app_context():
        db = get_db()
        db.execute("drop table audit")
        db.conn.commit()
    result = app.test_cli_runner().invoke(args=["audit", "--since", "2026-01-01"])
    assert result.exit_code == 1
    assert "no audit log yet: run `flask --app journal init-db` first" in result.output


def test_the_cli_needs_a_date(app):
    result = app.test_cli_runner().invoke(args=["audit"])
    assert result.exit_code == 2
    assert "--since" in result.output
