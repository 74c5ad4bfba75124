import hashlib
import re
import threading
import time
from datetime import datetime, timedelta

import factories
import pytest
from conftest import csrf_token, error_for, pdf_text, refused_after
from factories import (
    NOW,
    SHARE_TOKEN,
    TODAY,
    deleted_first,
    share_link,
    signed_in_twice,
    signed_out_as_deleted,
)
from werkzeug.exceptions import HTTPException

from journal import clock, share
from journal.db import get_db
from journal.timezones import day_text, local_time

LINK_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Cache-Control": "no-store",
}


def day(offset):
    return (TODAY + timedelta(days=offset)).isoformat()


def links(app):
    with app.app_context():
        return list(get_db()["share_links"].rows_where(order_by="id"))


def openings(app):
    with app.app_context():
        return [r["what"] for r in get_db()["share_openings"].rows_where(order_by="id")]


def set_link(app, **values):
    """Change every link's columns in the database, as time or another request would."""
    with app.app_context():
        sets = ", ".join(f"{column} = ?" for column in values)
        get_db().execute(f"update share_links set {sets}", list(values.values()))  # noqa: S608


def iso(moment):
    return moment.isoformat(timespec="seconds")


def has_link_headers(response):
    return all(response.headers.get(k) == v for k, v in LINK_HEADERS.items())


def assert_gone(client, token, message):
    """Every address of the link answers 410 with `message`, showing nothing shared."""
    for path in (f"/s/{token}", f"/s/{token}/charts/mood-timeline.svg", f"/s/{token}/report.pdf"):
        response = client.get(path)
        assert response.status_code == 410, path
        assert message in response.text
        assert "Shared check-in words" not in response.text
        assert has_link_headers(response)


@pytest.fixture
def shared(app, client, patient):
    """A patient with a shared and a private check-in and session, and a link; logged out."""
    for offset, mood, text, private in [
        (-3, 6, "Shared check-in words", {}),
        (-2, 5, "PRIVATE check-in words", {"private": "y"}),
        (-1, 7, "", {}),
    ]:
        response = client.post(
            "/checkin", data={"date": day(offset), "mood": str(mood), "reflection": text, **private}
        )
        assert response.status_code == 302, response.text
    with app.app_context():
        for offset, text, private in [(-5, "Shared session words", 0), (-4, "PRIVATE trip", 1)]:
            get_db()["sessions"].insert(
                {
                    "user_id": 1,
                    "started_at": f"{day(offset)}T10:00:00+00:00",
                    "day": day(offset),
                    "product": "ketamine",
                    "route": "iv",
                    "reflection": text,
                    "private": private,
                    "created_at": "2026-01-01T00:00:00+00:00",
                    "updated_at": "2026-01-01T00:00:00+00:00",
                }
            )
    _, token = share_link(client)
    patient.logout()
    return token


# Making a link


def test_new_link_is_shown_once_and_stored_only_as_a_hash(app, client, patient):
    before = clock.now().replace(microsecond=0)
    response, token = share_link(client, label="Dr Rivera", days="14")
    assert response.headers["Cache-Control"] == "no-store"
    assert f'value="http://localhost/s/{token}"' in response.text
    assert 'data-copy="share-url"' in response.text
    assert "readonly" in response.text

    (link,) = links(app)
    assert re.fullmatch(r"[0-9a-f]{64}", link["token_hash"])
    assert link["token_hash"] == hashlib.sha256(token.encode()).hexdigest() != token
    assert token not in repr(link)
    assert link["label"] == "Dr Rivera" and link["user_id"] == 1
    created = datetime.fromisoformat(link["created_at"])
    assert before <= created <= clock.now()
    assert datetime.fromisoformat(link["expires_at"]) - created == timedelta(days=14)
    assert link["open_count"] == 0 and link["last_opened_at"] is None

    client.get(f"/s/{token}")
    for later in (client.get("/share"), client.get("/progress"), client.get("/checkin")):
        assert later.status_code == 200
        assert token not in later.text
        assert "/s/" not in later.text


@pytest.mark.parametrize("label", ["For Dr Rivera", "Dr Rivera", "my GP, at the clinic"])
def test_the_new_links_heading_reads_well_whatever_the_label(client, patient, label):
    # "For Dr Rivera" was put after "Your link for": "Your link for For Dr Rivera".
    response, _ = share_link(client, label=label)
    heading = re.search(r'<h2 id="new-link-title">(.*?)</h2>', response.text).group(1)
    assert heading == f"Your link “{label}”"
    assert f'<span class="visually-hidden"> the link “{label}”</span>' in response.text


def test_the_share_page_says_what_the_links_report_holds(client, patient):
    """The link's page offers its PDF report, which lists each session's dose, blood pressure,
    side effects and dissociation; the share page promised only the progress page, flagged
    days and shared reflections."""
    day = (TODAY - timedelta(days=2)).isoformat()
    factories.session(client, day, dose_mg="56", bp_before_systolic="128",
                      bp_before_diastolic="82")  # fmt: skip
    response, token = share_link(client)
    said = "lists each session's dose, blood pressure, side effects and dissociation"
    assert said in client.get("/share").text and said in response.text
    pdf = client.get(f"/s/{token}/report.pdf")
    text = pdf_text(pdf.data)
    assert "56 mg" in text and "128/82" in text


def test_the_link_page_says_which_days_its_report_covers(client, patient):
    """The page's own range can be a month or a year; its report is always the last 90 days,
    and said nothing of it. It says so beside the link, as the report words its range."""
    _, token = share_link(client)
    start, end = day_text(TODAY - timedelta(days=89), "date_year"), day_text(TODAY, "date_year")
    page = client.get(f"/s/{token}?days=30").text
    link = re.search(
        r'<a [^>]*href="/s/[^"]+/report\.pdf"[^>]*>([^<]+)</a>\s*(<span[^>]*>[^<]+)', page
    )
    assert link.group(1) == "Download the report (PDF)"
    assert 'aria-describedby="report-range"' in link.group(0)
    assert link.group(2).endswith(f">The last 90 days, {start} to {end}.")
    assert f"{start} to {end} (90 days)" in pdf_text(client.get(f"/s/{token}/report.pdf").data)


def test_tokens_are_long_and_different(app, client, patient):
    tokens = {share_link(client)[1] for _ in range(3)}
    assert len(tokens) == 3
    assert len({link["token_hash"] for link in links(app)}) == 3


def form_key(client):
    """The request key of a fresh /share form."""
    return re.search(r'name="request_key" type="hidden" value="([^"]+)"', client.get("/share").text)


def test_revoking_as_the_account_is_deleted_elsewhere_signs_out(app, monkeypatch):
    """The account is deleted on the phone after the request read the link: the page said
    "The link is revoked" for an account that was gone. Now the person is signed out and
    told, as a save is."""
    client, phone = signed_in_twice(app)
    share_link(client)
    deleted_first(monkeypatch, share.data, "revoke_share_link", phone)
    path = f"/share/{links(app)[0]['id']}/revoke"
    response = client.post(path)
    page = signed_out_as_deleted(client, response, path)
    assert "is revoked" not in page


def test_the_same_form_sent_again_after_its_link_was_revoked_says_so(app, client, patient):
    # Not "revoke it below": the page's own list shows it revoked already.
    key = form_key(client).group(1)
    form = {"label": "Dr Rivera", "days": "14", "request_key": key}
    assert client.post("/share", data=form).status_code == 201
    assert client.post(f"/share/{links(app)[0]['id']}/revoke").status_code == 302
    again = client.post("/share", data=form)
    assert again.status_code == 200
    assert "the link “Dr Rivera” was made then, and it has been revoked since." in again.text
    assert "revoke it below" not in again.text
    assert [link["label"] for link in links(app)] == ["Dr Rivera"]


def test_the_same_form_sent_again_makes_no_second_link(app, client, patient):
    key = form_key(client).group(1)
    first = client.post("/share", data={"label": "Dr Rivera", "days": "14", "request_key": key})
    assert first.status_code == 201
    token = SHARE_TOKEN.search(first.text).group(1)
    # A reload of the page that showed the link sends the very same form again.
    again = client.post("/share", data={"label": "Dr Rivera", "days": "14", "request_key": key})
    assert again.status_code == 200
    assert "This form was sent before: the link “Dr Rivera” was made then" in again.text
    assert "/s/" not in again.text and token not in again.text
    assert [link["label"] for link in links(app)] == ["Dr Rivera"]
    # The page offers a fresh form, which makes a new link.
    fresh = form_key(client).group(1)
    assert fresh != key
    made = client.post("/share", data={"label": "Dr Kim", "days": "7", "request_key": fresh})
    assert made.status_code == 201
    assert [link["label"] for link in links(app)] == ["Dr Rivera", "Dr Kim"]


def test_a_link_made_shows_in_recent_activity_once(app, client, patient):
    """A link made from a session left open is seen before it is ever opened: "Made a share
    link" in Recent activity, once per link (a form sent again, or refused, adds nothing)."""
    key = form_key(client).group(1)
    form = {"label": "Dr Rivera", "days": "14", "request_key": key}
    assert client.post("/share", data=form).status_code == 201
    assert client.post("/share", data=form).status_code == 200  # the same form, sent again
    assert client.post("/share", data={"label": "", "days": "14"}).status_code == 400
    page = client.get("/settings/activity").text
    assert page.count("Made a share link") == 1
    assert "Dr Rivera" not in page  # what the link is called stays on Share links


def test_links_that_still_work_are_capped_and_the_form_says_to_revoke_one(app, client, patient):
    """Any signed-in account could make thousands of live links (a row each, a door each).
    Past `share.LIVE_LINKS_MAX` that still work the form answers 400 at the name, its input
    kept, and nothing is made; a revoked or an expired one leaves room for a new one."""
    for n in range(share.LIVE_LINKS_MAX):
        share_link(client, f"Link {n}")
    key = form_key(client).group(1)
    form = {"label": "Dr Okafor", "days": "30", "request_key": key}
    refused = client.post("/share", data=form)
    assert refused.status_code == 400
    message = error_for(refused, "label")
    assert message and f"{share.LIVE_LINKS_MAX} links" in message and "Revoke" in message
    assert 'value="Dr Okafor"' in refused.text and 'value="30"' in refused.text
    assert f'name="request_key" type="hidden" value="{key}"' in refused.text
    assert len(links(app)) == share.LIVE_LINKS_MAX
    assert client.get("/settings/activity").text.count("Made a share link") == len(links(app))
    set_link(app, expires_at=iso(clock.now() - timedelta(days=1)))  # every one: none works
    assert client.post("/share", data=form).status_code == 201
    assert len(links(app)) == share.LIVE_LINKS_MAX + 1


def test_two_links_made_at_once_one_below_the_cap_make_one(app, monkeypatch):
    """Two "Make link" sent at once (two phones, two tabs) at one link below
    `share.LIVE_LINKS_MAX`: each counted 19 before either stored its link, so both were made.
    The count and the link are one step: one is made, the other refused at the form."""
    client, phone = signed_in_twice(app)
    for n in range(share.LIVE_LINKS_MAX - 1):
        share_link(client, f"Link {n}")
    real = share.live_links
    answers, other = [], []

    def counted_then_the_phone_sends_its_form(user_id):
        count = real(user_id)
        if not other:  # once: the phone's own request counts too
            form = {"label": "Dr Kim", "days": "7"}
            # Another request, so in a thread of its own (as another gunicorn thread would be).
            other.append(
                threading.Thread(
                    target=lambda: answers.append(phone.post("/share", data=form).status_code)
                )
            )
            other[0].start()
            other[0].join(timeout=2)  # done by now, or waiting for this request's link
        return count

    monkeypatch.setattr(share, "live_links", counted_then_the_phone_sends_its_form)
    answers.append(client.post("/share", data={"label": "Dr Rivera", "days": "14"}).status_code)
    other[0].join()
    assert sorted(answers) == [201, 400]
    assert len(links(app)) == share.LIVE_LINKS_MAX


def test_links_made_in_a_day_are_capped_revoked_ones_too(app, client, patient):
    """Make a link, revoke it, again and again: each revoked link stays listed for good, so
    one account could add rows without end. Past `share.LINKS_MADE_MAX` made within
    `share.LINKS_MADE_WINDOW` (revoked ones counted) the form answers 400 at the name, its
    input kept, nothing made, saying calmly when another can be made; then it can."""
    for n in range(share.LINKS_MADE_MAX):
        share_link(client, f"Link {n}")
        clock.set(clock.now() + timedelta(minutes=1))
        set_link(app, revoked_at=iso(clock.now()))  # none still works: only the day's count
    key = form_key(client).group(1)
    form = {"label": "Dr Okafor", "days": "30", "request_key": key}
    refused = client.post("/share", data=form)
    assert refused.status_code == 400
    message = error_for(refused, "label")
    # The first of them leaves the day's count a day after it was made.
    again = local_time(iso(NOW + share.LINKS_MADE_WINDOW), "UTC")
    assert message and f"{share.LINKS_MADE_MAX} links" in message and again in message
    assert 'value="Dr Okafor"' in refused.text and 'value="30"' in refused.text
    assert f'name="request_key" type="hidden" value="{key}"' in refused.text
    assert len(links(app)) == share.LINKS_MADE_MAX
    day_ago = clock.now() - share.LINKS_MADE_WINDOW
    set_link(app, created_at=iso(day_ago + timedelta(seconds=1)))  # all made within the day
    assert client.post("/share", data=form).status_code == 400
    set_link(app, created_at=iso(day_ago))  # all made a day ago: none counts
    assert client.post("/share", data=form).status_code == 201
    assert len(links(app)) == share.LINKS_MADE_MAX + 1


def test_an_old_form_filled_in_anew_makes_a_new_link(app, client, patient):
    key = form_key(client).group(1)
    first = client.post("/share", data={"label": "Dr Rivera", "days": "14", "request_key": key})
    assert first.status_code == 201
    # Back to the form that made it, and filled in for someone else, or for longer.
    for label, days in (("Dr Kim", "14"), ("Dr Rivera", "30")):
        again = client.post("/share", data={"label": label, "days": days, "request_key": key})
        assert again.status_code == 201, again.text
    assert [(link["label"], link["request_key"]) for link in links(app)] == [
        ("Dr Rivera", key),
        ("Dr Kim", None),
        ("Dr Rivera", None),
    ]


def test_a_form_with_a_mistake_keeps_its_key_and_makes_one_link(app, client, patient):
    key = form_key(client).group(1)
    wrong = client.post("/share", data={"label": "", "days": "14", "request_key": key})
    assert wrong.status_code == 400
    assert f'name="request_key" type="hidden" value="{key}"' in wrong.text
    fixed = client.post("/share", data={"label": "Dr Rivera", "days": "14", "request_key": key})
    assert fixed.status_code == 201
    assert len(links(app)) == 1


def test_a_form_without_a_usable_key_still_makes_each_link(app, client, patient):
    for key in ("", "not a key!", "k" * 65):
        response = client.post(
            "/share", data={"label": "Dr Rivera", "days": "3", "request_key": key}
        )
        assert response.status_code == 201
    assert len(links(app)) == 3
    assert {link["request_key"] for link in links(app)} == {None}


def test_one_persons_form_key_does_not_stop_anothers_link(app, client, auth):
    auth.register()
    key = form_key(client).group(1)
    assert (
        client.post("/share", data={"label": "A", "days": "3", "request_key": key}).status_code
        == 201
    )
    auth.logout()
    auth.register(email="sam@example.com")
    assert (
        client.post("/share", data={"label": "B", "days": "3", "request_key": key}).status_code
        == 201
    )
    assert [(link["user_id"], link["label"]) for link in links(app)] == [(1, "A"), (2, "B")]


def test_qr_code_of_the_link_is_inline_svg_without_styles(client, patient):
    response, token = share_link(client)
    assert str(share.qr_svg(f"http://localhost/s/{token}")) in response.text
    svg = re.search(r"<svg[^>]*>", response.text).group(0)
    assert 'role="img"' in svg and 'aria-label="QR code of the link"' in svg
    assert "style=" not in response.text
    assert "http://" not in response.text.replace(f"http://localhost/s/{token}", "")


def test_form_defaults_to_fourteen_days(client, patient):
    response = client.get("/share")
    assert response.status_code == 200
    assert re.search(r'name="days"[^>]*value="14"', response.text)
    assert "No links yet" in response.text


@pytest.mark.parametrize(
    ("label", "days", "message"),
    [
        ("", "14", "Name the link"),
        ("   ", "14", "Name the link"),
        ("x" * 81, "14", "Keep the name to 80 characters."),
        ("Dr\x00Rivera", "14", "invisible control characters"),
        ("Dr\x1bRivera", "14", "invisible control characters"),
        ("Dr\x9bRivera", "14", "invisible control characters"),
        ("Dr Rivera", "0", share.DAYS_MESSAGE),
        ("Dr Rivera", "91", share.DAYS_MESSAGE),
        ("Dr Rivera", "x", share.DAYS_MESSAGE),
        ("Dr Rivera", "", share.DAYS_MESSAGE),
        ("Dr Rivera", "7.5", share.DAYS_MESSAGE),
        ("Dr Rivera", "-1", share.DAYS_MESSAGE),
        ("Dr Rivera", "1_0", share.DAYS_MESSAGE),
        ("Dr Rivera", "٧", share.DAYS_MESSAGE),
        ("Dr Rivera", "100000", share.DAYS_MESSAGE),
    ],
)
def test_bad_input_stores_nothing(app, client, patient, label, days, message):
    response = client.post("/share", data={"label": label, "days": days})
    assert response.status_code == 400
    assert message in response.text
    assert 'class="error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert not SHARE_TOKEN.search(response.text)
    if "\x00" not in label and "\x1b" not in label:
        assert f'value="{label.strip()}"' in response.text
    assert f'value="{days}"' in response.text
    assert links(app) == []


def test_days_missing_from_the_form(app, client, patient):
    response = client.post("/share", data={"label": "Dr Rivera"})
    assert response.status_code == 400
    assert share.DAYS_MESSAGE in response.text
    assert links(app) == []


@pytest.mark.parametrize(("label", "days"), [("x" * 80, "1"), ("  Dr Rivera  ", "90")])
def test_limits_are_accepted(app, client, patient, label, days):
    share_link(client, label=label, days=days)
    (link,) = links(app)
    assert link["label"] == label.strip()
    lifetime = datetime.fromisoformat(link["expires_at"]) - datetime.fromisoformat(
        link["created_at"]
    )
    assert lifetime == timedelta(days=int(days))


def test_share_page_needs_login(app, client):
    response = client.get("/share")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/share"
    response = client.post("/share", data={"label": "Dr Rivera", "days": "14"})
    assert response.status_code == 302
    assert links(app) == []


def test_owner_sees_only_their_own_links(app, client, auth):
    auth.register(email="one@example.com")
    share_link(client, label="One's therapist")
    auth.logout()
    auth.register(email="two@example.com")
    response = client.get("/share")
    assert "One&#39;s therapist" not in response.text and "One's therapist" not in response.text
    assert "No links yet" in response.text
    share_link(client, label="Two's therapist")
    auth.logout()
    auth.login(email="one@example.com")
    response = client.get("/share")
    assert "One&#39;s therapist" in response.text
    assert "Two&#39;s therapist" not in response.text


# The link page


def test_link_page_opens_without_login(client, shared):
    response = client.get(f"/s/{shared}")
    assert response.status_code == 200
    assert has_link_headers(response)
    assert "Progress shared by Patient" in response.text
    for name in ("mood-timeline", "window-overlay", "assessments"):
        assert re.search(rf'<img src="/s/{shared}/charts/{name}\.svg\?', response.text)
    assert 'src="/charts/' not in response.text
    assert f'href="/s/{shared}/report.pdf"' in response.text
    assert f'href="/s/{shared}?days=30&amp;metric=mood"' in response.text
    # Nothing of the patient's own account: no nav, no edit or settings links.
    for path in ("/checkin", "/settings", "/sessions", "/entries", "/share", "/progress"):
        assert f'href="{path}' not in response.text


def test_link_page_shows_shared_reflections_only(client, shared):
    response = client.get(f"/s/{shared}")
    assert "Shared check-in words" in response.text
    assert "Shared session words" in response.text
    assert "PRIVATE" not in response.text


def test_each_opening_is_recorded_and_shown_to_the_owner(app, client, auth, shared):
    assert client.get(f"/s/{shared}").status_code == 200
    assert client.get(f"/s/{shared}?days=all").status_code == 200
    (link,) = links(app)
    assert link["open_count"] == 2
    opened = datetime.fromisoformat(link["last_opened_at"])
    assert clock.now() - opened < timedelta(minutes=1)
    assert openings(app) == ["page", "page"]

    auth.login()
    page = client.get("/share")
    assert "Opened 2 times" in page.text
    assert f"last {opened:%a %-d %b %Y, %H:%M}" in page.text


def test_a_bad_range_is_400_and_not_an_opening(app, client, shared):
    response = client.get(f"/s/{shared}?days=7")
    assert response.status_code == 400
    assert has_link_headers(response)
    assert links(app)[0]["open_count"] == 0
    assert openings(app) == []


def test_head_is_not_an_opening(app, client, shared):
    assert client.head(f"/s/{shared}").status_code == 200
    assert links(app)[0]["open_count"] == 0


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_charts_answer_and_do_not_count(app, client, shared, fmt):
    response = client.get(f"/s/{shared}/charts/mood-timeline.{fmt}?days=90")
    assert response.status_code == 200
    assert response.mimetype == f"image/{'svg+xml' if fmt == 'svg' else 'png'}"
    assert has_link_headers(response)
    assert response.headers["ETag"]
    again = client.get(
        f"/s/{shared}/charts/mood-timeline.{fmt}?days=90",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304
    assert has_link_headers(again)
    assert links(app)[0]["open_count"] == 0
    assert openings(app) == []


def test_chart_of_the_patient_not_the_visitor(app, client, auth, shared):
    # A visitor logged in as someone else still sees the patient's chart.
    auth.register(email="visitor@example.com")
    via_link = client.get(f"/s/{shared}/charts/mood-timeline.svg?days=90")
    own = client.get("/charts/mood-timeline.svg?days=90")
    assert via_link.status_code == own.status_code == 200
    assert via_link.headers["ETag"] != own.headers["ETag"]


def test_unknown_chart_is_404(client, shared):
    response = client.get(f"/s/{shared}/charts/secrets.svg")
    assert response.status_code == 404
    assert has_link_headers(response)


def test_report_is_a_pdf_and_counts_as_an_opening(app, client, shared):
    response = client.get(f"/s/{shared}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert re.fullmatch(
        r'attachment; filename="afterglow-report-[0-9-]+\.pdf"',
        response.headers["Content-Disposition"],
    )
    assert has_link_headers(response)
    assert links(app)[0]["open_count"] == 1
    assert openings(app) == ["report"]
    text = pdf_text(response.data)
    assert "PRIVATE" not in text


def test_a_head_of_the_report_answers_its_headers_without_building_it(
    app, client, shared, monkeypatch
):
    """A HEAD (a link preview peeking) built the whole report, a second or more of the
    server's work, whoever held the link; it answers what a download would say, no body."""
    download = client.get(f"/s/{shared}/report.pdf")

    def no_build(*args, **kwargs):
        raise AssertionError("the report was built for a HEAD")

    monkeypatch.setattr("journal.reports.pdf.report_pdf", no_build)
    response = client.head(f"/s/{shared}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    for header in ("Content-Disposition", "Cache-Control"):
        assert response.headers[header] == download.headers[header]
    assert has_link_headers(response)
    assert response.headers.get("Content-Length") is None  # known only once built
    assert response.data == b""
    assert openings(app) == ["report"]  # the GET's alone


def test_a_links_report_is_built_a_few_times_in_a_few_minutes_and_then_waits(
    app, client, shared, report_builds
):
    """Anyone holding the link could have the server build the report in a loop. A therapist
    downloading it two or three times is never refused; past share.REPORT_BUILDS in a few
    minutes the link's report waits, with a calm page, a 429 and Retry-After."""
    path = f"/s/{shared}/report.pdf"
    assert share.REPORT_BUILDS >= 3
    for _ in range(2 * share.REPORT_BUILDS):  # a HEAD builds nothing and is never counted
        assert client.head(path).status_code == 200
    refused, wait = refused_after(client, path, share.REPORT_BUILDS, share.REPORT_WINDOW_SECONDS)
    assert "Please try again" in refused.text
    assert has_link_headers(refused)
    assert len(report_builds) == share.REPORT_BUILDS
    assert openings(app) == ["report"] * share.REPORT_BUILDS
    # A HEAD is told the same wait, with no body: it answered 200 (until 2026-12-07), so a
    # client checking first was told to download and then refused. The page is not held up.
    head = client.head(path)
    assert (head.status_code, head.headers.get("Retry-After")) == (429, str(wait))
    assert head.data == b""
    assert has_link_headers(head)
    assert client.get(f"/s/{shared}").status_code == 200
    assert len(report_builds) == share.REPORT_BUILDS
    clock.set(clock.now() + timedelta(seconds=wait))
    assert client.get(path).status_code == 200
    assert len(report_builds) == share.REPORT_BUILDS + 1


def test_making_link_after_link_builds_no_more_than_ones_own_reports(
    app, client, patient, report_builds
):
    """Each link's report is limited, but a signed-in person can make links without end: made
    one after another, they built the report far past what the person's own downloads may
    (reports.pdf.PERSON_BUILDS in a few minutes). A link's builds count as its owner's too."""
    from journal.reports import pdf

    visitor = app.test_client()
    built = 0
    while built < pdf.PERSON_BUILDS:
        _, token = share_link(client, label=f"Link {built}")
        for _ in range(min(share.REPORT_BUILDS - 1, pdf.PERSON_BUILDS - built)):
            assert visitor.get(f"/s/{token}/report.pdf").status_code == 200
            built += 1
    _, token = share_link(client, label="One more")
    refused = visitor.get(f"/s/{token}/report.pdf")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= pdf.PERSON_WINDOW_SECONDS
    assert "Please try again" in refused.text
    assert client.get("/export/report.pdf").status_code == 429
    assert len(report_builds) == pdf.PERSON_BUILDS
    assert visitor.get(f"/s/{token}").status_code == 200  # the page is not held up


def test_a_failed_log_in_does_not_forget_a_links_report_builds(app, client, shared):
    """The builds are counted in the log-in throttle's table, and a failed log-in forgot every
    row older than the log-in window: with a window shorter than the report's, one wrong
    password anywhere let the link's report be built again at once."""
    app.config["LOGIN_WINDOW_MINUTES"] = 1
    path = f"/s/{shared}/report.pdf"
    for _ in range(share.REPORT_BUILDS):
        assert client.get(path).status_code == 200
    clock.set(clock.now() + timedelta(minutes=2))
    wrong = {"email": "nobody@example.com", "password": "not the password"}
    assert app.test_client().post("/auth/login", data=wrong).status_code == 400
    assert client.get(path).status_code == 429


# Links that no longer open anything


def test_made_up_tokens_are_404(app, client, shared):
    for path in (
        "/s/" + "A" * 43,
        "/s/" + shared[:-1] + ("A" if shared[-1] != "A" else "B"),
        "/s/short",
        "/s/" + shared + "x",
        "/s/" + "A" * 43 + "/report.pdf",
        "/s/" + "A" * 43 + "/charts/mood-timeline.svg",
        "/s/" + links(app)[0]["token_hash"],
        "/s/a/b/c",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert has_link_headers(response), path
        assert "PRIVATE" not in response.text and "Shared check-in" not in response.text
    assert links(app)[0]["open_count"] == 0


def test_expired_link_is_410(app, client, auth, shared):
    set_link(app, expires_at=iso(clock.now() + timedelta(minutes=1)))
    assert client.get(f"/s/{shared}").status_code == 200
    set_link(app, expires_at=iso(clock.now() - timedelta(seconds=1)))
    assert_gone(client, shared, "This link has expired")
    assert links(app)[0]["open_count"] == 1

    auth.login()
    page = client.get("/share")
    assert "expired " in page.text
    assert "/revoke" not in page.text


def test_revoking_ends_access_at_once(app, client, auth, shared):
    assert client.get(f"/s/{shared}").status_code == 200
    auth.login()
    response = client.post("/share/1/revoke")
    assert response.status_code == 302
    assert response.location == "/share"
    revoked_at = links(app)[0]["revoked_at"]
    assert clock.now() - datetime.fromisoformat(revoked_at) < timedelta(minutes=1)
    page = client.get("/share")
    assert "is revoked" in page.text
    assert "revoked " in page.text and "/revoke" not in page.text

    assert_gone(client, shared, "This link has been turned off")
    assert links(app)[0]["open_count"] == 1
    assert openings(app) == ["page"]

    # Revoking again changes nothing, not even the time it was revoked.
    assert client.post("/share/1/revoke").status_code == 302
    assert links(app)[0]["revoked_at"] == revoked_at


def test_revoked_between_lookup_and_count_is_not_counted(app, shared):
    with app.test_request_context(f"/s/{shared}"):
        link, _ = share.valid_link(shared)
        get_db().execute("update share_links set revoked_at = '2026-01-01T00:00:00+00:00'")
        with pytest.raises(HTTPException) as gone:
            share.record_opening(link, "page")
        assert gone.value.response.status_code == 410
    assert links(app)[0]["open_count"] == 0
    assert openings(app) == []


def test_someone_elses_link_cannot_be_revoked(app, client, auth, shared):
    auth.register(email="other@example.com")
    assert client.post("/share/1/revoke").status_code == 404
    assert client.post("/share/999/revoke").status_code == 404
    assert links(app)[0]["revoked_at"] is None
    assert client.get(f"/s/{shared}").status_code == 200


def test_revoke_needs_login(app, client, shared):
    response = client.post("/share/1/revoke")
    assert response.status_code == 302
    assert response.location.startswith("/auth/login")
    assert links(app)[0]["revoked_at"] is None


def test_revoke_needs_the_csrf_token(secure):
    app, client = secure
    form = client.get("/share")
    made = client.post(
        "/share", data={"label": "Dr Rivera", "days": "14", "csrf_token": csrf_token(form)}
    )
    assert made.status_code == 201
    assert client.post("/share/1/revoke").status_code == 400
    assert links(app)[0]["revoked_at"] is None
    response = client.post("/share/1/revoke", data={"csrf_token": csrf_token(made)})
    assert response.status_code == 302
    assert links(app)[0]["revoked_at"] is not None


def test_deleting_the_account_ends_its_links(app, client, shared):
    with app.app_context():
        get_db().execute("delete from users where id = 1")
    assert links(app) == []
    assert client.get(f"/s/{shared}").status_code == 404


# Issue 8: a session's low mood flags its day on the link page and its PDF


@pytest.mark.parametrize(("mood_after", "flagged"), [(0, True), (2, True), (3, False)])
def test_a_session_with_a_low_mood_after_is_flagged_on_the_link(
    client, patient, mood_after, flagged
):
    response = client.post(
        "/sessions/new",
        data={
            "started_at": f"{day(-2)}T10:00",
            "product": "ketamine",
            "route": "iv",
            "mood_before": "5",
            "mood_after": str(mood_after),
            "reflection": "PRIVATE session words",
            "private": "y",
        },
    )
    assert response.status_code == 302, response.text
    _, token = share_link(client)
    patient.logout()
    reason = f"mood {mood_after} of 10 after a session"
    page = client.get(f"/s/{token}").text
    assert (f"<span>{reason}</span>" in page) is flagged
    assert ("No flagged days in this range." in page) is not flagged
    assert "PRIVATE" not in page
    pdf = client.get(f"/s/{token}/report.pdf")
    text = pdf_text(pdf.data)
    assert (reason in text) is flagged
    assert "PRIVATE" not in text


# Issue 8: share labels cannot hide direction controls or invisible characters


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("Dr \u202eaveriR", "change the direction of text"),
        ("\u2068Dr Rivera\u2069", "change the direction of text"),
        ("\u200b\u200b", "only invisible characters"),
        ("\U000e0041\U000e0042", "only invisible characters"),
    ],
)
def test_a_spoofing_label_is_refused(app, client, patient, label, message):
    response = client.post("/share", data={"label": label, "days": "14"})
    assert response.status_code == 400
    assert message in response.text
    assert 'id="label-error"' in response.text
    assert not SHARE_TOKEN.search(response.text)
    assert links(app) == []


def test_a_label_is_stored_without_invisible_characters(app, client, patient):
    share_link(client, label="Dr\u200b Rivera\u2060 \u00ad")
    assert [link["label"] for link in links(app)] == ["Dr Rivera"]


# Every pattern that reads a share form's field or a link's token answers promptly at the
# largest input accepted (a URL-encoded form's field is held back only by the 2 MB body limit).
FIELD_MAX = 2_000_000  # bytes, URL-encoded


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"days": "1" * FIELD_MAX}, share.DAYS_MESSAGE),
        ({"days": "0" * FIELD_MAX + "x"}, share.DAYS_MESSAGE),
        ({"label": "a\x01" * (FIELD_MAX // 4)}, "Keep the name to 80 characters."),
        ({"request_key": "a" * FIELD_MAX, "days": "x"}, share.DAYS_MESSAGE),
    ],
)
def test_hostile_fields_answer_promptly(app, client, patient, data, message):
    started = time.perf_counter()
    response = client.post("/share", data={"label": "Dr Rivera", "days": "14", **data})
    assert time.perf_counter() - started < 5  # a hang guard
    assert response.status_code == 400
    assert 'class="error' in response.text and message in response.text
    assert links(app) == []


@pytest.mark.parametrize("token", ["a" * 100_000, "a-" * 50_000, "_" * 43 + "a" * 100_000])
def test_a_hostile_token_is_refused_promptly(client, token):
    started = time.perf_counter()
    for path in (f"/s/{token}", f"/s/{token}/report.pdf"):
        assert client.get(path).status_code == 404
    assert time.perf_counter() - started < 5  # a hang guard


def test_a_link_reached_with_doubled_slashes_still_has_its_headers(client, shared):
    """werkzeug merges repeated slashes in a path, so "//s/<token>" opens the link's page
    (pasted after a base address ending in "/", say): it must carry the same headers."""
    for path in (f"//s/{shared}", f"//s//{shared}/charts/mood-timeline.svg", f"/s//{shared}"):
        response = client.get("/", environ_overrides={"PATH_INFO": path})
        assert response.status_code in (200, 308), path
        assert has_link_headers(response), path
