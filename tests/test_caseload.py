import html
import re
import sqlite3
import time
import unicodedata
from datetime import date, timedelta

import pytest
from conftest import (
    PASSWORD,
    AuthActions,
    csrf_token,
    error_for,
    make_app,
    pdf_text,
    register_with_csrf,
    traced,
)
from factories import (
    DAY_AHEAD,
    TODAY,
    checkin,
    deleted_first,
    insert,
    invite_code,
    link,
    person,
    session,
    signed_in,
    signed_out_as_deleted,
    take,
    therapist,
    user_id,
)

from journal import access, caseload, therapist_link, timezones
from journal.caseload import order_key, review
from journal.db import get_db
from journal.fields import (
    DIRECTION_MESSAGE,
    INVISIBLE_MESSAGE,
    STACKED_MARKS_MESSAGE,
    name_text,
)
from journal.people import ACCOUNT_GONE, ACCOUNT_GONE_SHOWN
from journal.therapist_link import CODE_ALPHABET, WRONG_CODE, make_code, normalize_code

CODE = re.compile(rf"^[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}$")


def ago(days):
    return (TODAY - timedelta(days=days)).isoformat()


def links(app):
    with app.app_context():
        return (
            get_db()
            .execute("select patient_id, therapist_id from therapist_links order by patient_id")
            .fetchall()
        )


def phq9(client, day, answers):
    take(client, "phq9", day, answers, read_flash=True)


def cards(page):
    """Each patient's card on the caseload, top to bottom, by name."""
    chunks = page.split('<article class="caseload-patient"')[1:]
    return {re.search(r'<a href="/caseload/\d+">([^<]+)</a>', c).group(1): c for c in chunks}


# Log-in, landing and navigation


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/caseload"),
        ("post", "/caseload/invite-code"),
        ("get", "/caseload/1"),
        ("get", "/caseload/1/charts/mood-timeline.svg"),
        ("get", "/settings/therapist"),
        ("post", "/settings/therapist"),
        ("post", "/settings/therapist/unlink"),
    ],
)
def test_log_in_required(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")


def test_therapist_registers_and_lands_on_the_caseload(app, client, auth):
    response = auth.register(email="doc@example.com", role="therapist")
    assert response.status_code == 302
    assert response.location == "/caseload"
    page = client.get("/caseload")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "Give your patients the invite code" in page.text
    assert CODE.match(invite_code(client))
    assert "No patients are linked to you yet" in page.text
    assert "/settings/therapist" in page.text  # how a patient uses the code
    # The nav is the therapist's: their caseload and settings, not the journal's pages.
    nav = page.text.split('<nav class="nav"')[1].split("</nav>")[0]
    assert ">Caseload</a>" in nav and ">Settings</a>" in nav
    assert ">Check in</a>" not in nav and ">Progress</a>" not in nav
    assert client.get("/").location == "/caseload"
    assert client.get("/auth/register").location == "/caseload"

    auth.logout()
    assert auth.login(email="doc@example.com").location == "/caseload"
    auth.logout()
    response = client.post(
        "/auth/login?next=/settings", data={"email": "doc@example.com", "password": PASSWORD}
    )
    assert response.location == "/settings"


def test_patient_nav_and_landing_unchanged(client, patient):
    page = client.get("/checkin")
    nav = page.text.split('<nav class="nav"')[1].split("</nav>")[0]
    assert ">Check in</a>" in nav and ">Caseload</a>" not in nav
    assert client.get("/").location == "/checkin"
    settings = client.get("/settings/therapist").text
    assert 'aria-current="page">Settings</a>' in settings


def test_a_therapist_keeps_no_journal_and_is_sent_to_the_caseload(app):
    # Issue 8 reversed the old rule (a therapist could open a journal of their own).
    doc = therapist(app)
    assert doc.get("/checkin").location == "/caseload"


# Invite codes


def test_code_is_made_once_and_stored_without_its_dash(app):
    doc = therapist(app)
    code = invite_code(doc)
    assert invite_code(doc) == code
    with app.app_context():
        stored = get_db()["users"].get(user_id(app, "doc@example.com"))["invite_code"]
    assert stored == code.replace("-", "")


def test_codes_are_random_40_bit():
    codes = {make_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert len(set(CODE_ALPHABET)) == 32  # 8 symbols of 32: 40 bits


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("K7QM-3XWD", "K7QM3XWD"),
        (" k7qm 3xwd ", "K7QM3XWD"),
        ("k7-qm–3x wd", "K7QM3XWD"),  # an en dash, as phones sometimes type
        ("AB0I-CDlO", "AB01CD10"),  # O, I and L read as 0, 1 and 1
    ],
)
def test_normalize_code(typed, normalized):
    assert normalize_code(typed) == normalized


@pytest.mark.parametrize(
    "shape",
    [
        lambda c: c,
        lambda c: c.lower(),
        lambda c: " " + c.replace("-", " ").lower() + " ",
        lambda c: "-".join(c.replace("-", "")),
    ],
)
def test_patient_links_with_the_code_in_any_case_with_spaces_or_dashes(app, shape):
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat")
    response = link(pat, shape(invite_code(doc)))
    assert response.status_code == 302
    assert response.location == "/settings/therapist"
    assert links(app) == [(user_id(app, "pat@example.com"), user_id(app, "doc@example.com"))]
    page = pat.get("/settings/therapist").text
    assert "You are linked to Dr Rivera" in page
    assert "You are linked to <strong>Dr Rivera</strong> (doc@example.com) since" in page
    assert list(cards(doc.get("/caseload").text)) == ["Pat"]


@pytest.mark.parametrize(
    "shape",
    [
        # A phone keyboard in a CJK script's input mode types full-width letters and digits.
        lambda c: c.translate({n: n + 0xFEE0 for n in range(0x21, 0x7F)}),
        # Copied from a message: a zero-width space, a soft hyphen, a word joiner.
        lambda c: c[:2] + "\u200b" + c[2:4] + "\u00ad" + c[4:] + "\u2060",
    ],
)
def test_a_code_typed_full_width_or_pasted_with_invisible_characters_still_links(app, shape):
    """The code as the patient sees it was answered "No therapist has this code"."""
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat")
    response = link(pat, shape(invite_code(doc)))
    assert response.status_code == 302, response.text
    assert links(app) == [(user_id(app, "pat@example.com"), user_id(app, "doc@example.com"))]


def test_look_alike_characters_still_link(app):
    doc = therapist(app)
    invite_code(doc)
    with app.app_context():
        get_db()["users"].update(user_id(app, "doc@example.com"), {"invite_code": "AB01CD1E"})
    pat = person(app, "pat@example.com")
    assert link(pat, "ab oi-cd l e").status_code == 302
    assert len(links(app)) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the code your therapist gave you."),
        ("   ", "Enter the code your therapist gave you."),
        ("ZZZZ-ZZZX", WRONG_CODE),
        ("ABCD", WRONG_CODE),
        ("A" * 41, WRONG_CODE),
    ],
)
def test_wrong_code_is_400_with_the_message_and_nothing_stored(app, typed, message):
    doc = therapist(app)
    invite_code(doc)
    pat = person(app, "pat@example.com")
    response = link(pat, typed)
    assert response.status_code == 400
    assert error_for(response, "invite_code") == message
    if typed.strip():
        assert f'value="{typed}"' in response.text  # the person's input is kept
    assert links(app) == []
    assert "You are not linked to a therapist" in response.text


def test_a_wrong_code_keeps_the_existing_link(app):
    doc = therapist(app)
    pat = person(app, "pat@example.com")
    assert link(pat, invite_code(doc)).status_code == 302
    assert link(pat, "ZZZZ-ZZZX").status_code == 400
    assert links(app) == [(user_id(app, "pat@example.com"), user_id(app, "doc@example.com"))]


def test_a_new_code_replaces_the_old_and_keeps_existing_links(app):
    doc = therapist(app)
    old = invite_code(doc)
    first = person(app, "first@example.com", display_name="First")
    assert link(first, old).status_code == 302

    response = doc.post("/caseload/invite-code")
    assert response.status_code == 302 and response.location == "/caseload"
    new = invite_code(doc)
    assert new != old and CODE.match(new)

    second = person(app, "second@example.com", display_name="Second")
    response = link(second, old)
    assert response.status_code == 400
    assert error_for(response, "invite_code") == WRONG_CODE
    assert link(second, new).status_code == 302
    assert sorted(cards(doc.get("/caseload").text)) == ["First", "Second"]


@pytest.mark.parametrize(
    ("method", "path", "told"),
    [("get", "/caseload", ACCOUNT_GONE_SHOWN), ("post", "/caseload/invite-code", ACCOUNT_GONE)],
)
def test_the_caseload_as_the_therapists_account_is_deleted_elsewhere_signs_out(
    app, monkeypatch, method, path, told
):
    """The therapist's account is deleted on their phone after the caseload's request read who
    sent it, before it reads their invite code: the code's read found no row and answered
    500. Now the therapist is signed out and told, as a save is."""
    doc = therapist(app)
    phone = app.test_client()
    assert AuthActions(phone).login(email="doc@example.com").status_code == 302
    deleted_first(monkeypatch, caseload, "invite_code", phone)
    response = getattr(doc, method)(path)
    signed_out_as_deleted(doc, response, path, told)


def test_new_code_flash_names_the_code(app):
    doc = therapist(app)
    invite_code(doc)
    response = doc.post("/caseload/invite-code", follow_redirects=True)
    code = re.search(r'id="invite-code">([^<]+)<', response.text).group(1)
    assert f"Your new invite code is {code}." in response.text


def test_a_code_whose_therapist_is_deleted_as_the_patient_links_links_nobody(app, monkeypatch):
    """The therapist deletes their account after the patient's request found them by their
    code, before the link is written: the link's insert failed its foreign key and answered
    500. Now the code is read again as the link is made: no therapist has it, said at the
    field, and nothing is stored."""
    doc = therapist(app)
    code = invite_code(doc)
    pat = person(app, "pat@example.com")
    deleted_first(monkeypatch, therapist_link, "write_transaction", doc)
    response = link(pat, code)
    assert response.status_code == 400
    assert error_for(response, "invite_code") == WRONG_CODE
    assert links(app) == []
    assert signed_in(pat)


def test_linking_elsewhere_replaces_the_link(app):
    one = therapist(app, "one@example.com")
    two = person(app, "two@example.com", role="therapist", display_name="Dr Okafor")
    pat = person(app, "pat@example.com", display_name="Pat")
    pid = user_id(app, "pat@example.com")
    assert link(pat, invite_code(one)).status_code == 302
    page = pat.get("/settings/therapist").text
    assert "one therapist at a time" in page
    assert "Linking to a new one ends Dr Rivera's access" in page

    assert link(pat, invite_code(two)).status_code == 302
    assert links(app) == [(pid, user_id(app, "two@example.com"))]
    assert one.get(f"/caseload/{pid}").status_code == 404
    assert two.get(f"/caseload/{pid}").status_code == 200
    assert "You are linked to <strong>Dr Okafor</strong>" in pat.get("/settings/therapist").text


def test_linking_elsewhere_says_whose_access_ended(app):
    one = therapist(app, "one@example.com")
    two = person(app, "two@example.com", role="therapist", display_name="Dr Okafor")
    pat = person(app, "pat@example.com", display_name="Pat")
    response = link(pat, invite_code(one))
    first = html.unescape(pat.get(response.location).text)
    assert "You are linked to Dr Rivera." in first
    assert "no longer see" not in first

    response = link(pat, invite_code(two))
    told = html.unescape(pat.get(response.location).text)
    assert "You are linked to Dr Okafor." in told
    assert "Dr Rivera can no longer see your journal" in told


def test_entering_the_code_of_the_therapist_linked_already_says_access_began_before(app):
    doc = therapist(app)
    pat = person(app, "pat@example.com")
    code = invite_code(doc)
    pat.get(link(pat, code).location)
    told = html.unescape(pat.get(link(pat, code).location).text)
    assert "You are linked to Dr Rivera. They can see your progress" in told
    assert "They can now see" not in told


def test_linking_again_to_the_same_therapist_keeps_linked_since(app):
    doc = therapist(app)
    pat = person(app, "pat@example.com")
    code = invite_code(doc)
    link(pat, code)
    with app.app_context():
        get_db().execute("update therapist_links set linked_at = '2025-01-02T03:04:05+00:00'")
    link(pat, code)
    with app.app_context():
        (linked_at,) = get_db().execute("select linked_at from therapist_links").fetchone()
    assert linked_at == "2025-01-02T03:04:05+00:00"
    assert "since 2 Jan 2025" in pat.get("/settings/therapist").text


def test_the_page_explains_what_is_shared_and_what_never_is(app):
    pat = person(app, "pat@example.com", display_name="Pat")
    page = pat.get("/settings/therapist")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.text
    assert "You, as <strong>Pat</strong>" in text
    assert "Your charts and figures" in text
    assert "Days flagged for attention" in text
    assert "The reflections you share" in text
    assert "<strong>Never:</strong> reflections you mark private" in text
    assert 'name="invite_code"' in text


def test_a_therapist_cannot_link_to_a_therapist(app):
    one = therapist(app, "one@example.com")
    two = therapist(app, "two@example.com")
    assert two.get("/settings/therapist").status_code == 404
    assert link(two, invite_code(one)).status_code == 404
    assert two.post("/settings/therapist/unlink").status_code == 404
    assert links(app) == []


# What the therapist sees


@pytest.fixture
def shared(app):
    """A therapist and a linked patient with shared and private words on check-ins and sessions."""
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat")
    assert link(pat, invite_code(doc)).status_code == 302
    checkin(pat, ago(3), 5, reflection="SHARED-CHECKIN a good walk")
    checkin(pat, ago(2), 6, reflection="PRIVATE-CHECKIN only mine", private="y")
    session(pat, ago(4), reflection="SHARED-SESSION it felt calm")
    session(
        pat,
        ago(1),
        reflection="PRIVATE-SESSION not for anyone",
        prompt_stood_out="PRIVATE-PROMPT answer",
        private="y",
    )
    return doc, pat, user_id(app, "pat@example.com")


def test_therapist_sees_charts_figures_and_shared_reflections_only(shared):
    doc, _, pid = shared
    page = doc.get(f"/caseload/{pid}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = page.text
    assert "<h1>Pat</h1>" in text and "pat@example.com" in text
    assert "SHARED-CHECKIN a good walk" in text
    assert "SHARED-SESSION it felt calm" in text
    assert "PRIVATE" not in text
    sources = re.findall(r'(?:src|srcset)="([^"]+)"', text)
    charts = [s for s in sources if "/charts/" in s]
    assert len(charts) == 6  # three charts, light and dark
    assert all(s.startswith(f"/caseload/{pid}/charts/") for s in charts)
    assert "Mood, last 7 days" in text and "Latest PHQ-9" in text
    assert "Days flagged for attention" in text
    assert doc.get(f"/caseload/{pid}?days=all").status_code == 200
    assert doc.get(f"/caseload/{pid}?days=12").status_code == 400


def test_the_metric_picker_names_its_select_and_button_apart_as_on_progress(shared):
    # Both were read as "Show": the select's label and the button beside it.
    doc, pat, pid = shared
    for page in (doc.get(f"/caseload/{pid}").text, pat.get("/progress").text):
        picker = page[
            page.index('class="metric-picker"') : page.index(
                "</form>", page.index('class="metric-picker"')
            )
        ]
        assert '<label for="metric">Show which figure</label>' in picker
        assert '<button type="submit">Show chart</button>' in picker


def test_a_reflection_of_spaces_alone_is_no_shared_reflection(app):
    """Kept as typed, a reflection of spaces and line breaks reached the therapist as an empty
    "shared reflection" (the caseload's count and list, the report)."""
    from journal.access import shared_reflections

    doc = therapist(app)
    pat = person(app, "pat@example.com")
    assert link(pat, invite_code(doc)).status_code == 302
    checkin(pat, ago(3), 5, reflection="  \n\t ")
    checkin(pat, ago(4), 5, reflection="\u200b \u00a0")  # nothing visible either
    session(pat, ago(2), reflection="   \n  ")
    session(pat, ago(1), reflection=" \n", prompt_stood_out="The light")
    checkin(pat, ago(1), 6, reflection="  words  ")
    with app.test_request_context():
        shared = shared_reflections(user_id(app, "pat@example.com"))
    assert [(item["kind"], item["text"], len(item["answers"])) for item in shared] == [
        ("check-in", "  words  ", 0),
        ("session", "", 1),  # its prompt's answer is shared; its blank reflection is not
    ]


@pytest.mark.parametrize(
    ("name", "fmt", "mimetype"),
    [
        ("mood-timeline", "svg", "image/svg+xml"),
        ("window-overlay", "svg", "image/svg+xml"),
        ("assessments", "svg", "image/svg+xml"),
        ("mood-timeline", "png", "image/png"),
    ],
)
def test_charts_answer_for_a_linked_patient(shared, name, fmt, mimetype):
    doc, _, pid = shared
    response = doc.get(f"/caseload/{pid}/charts/{name}.{fmt}?days=30&theme=dark")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Cache-Control"] == "no-store"
    assert doc.get(f"/caseload/{pid}/charts/nonsense.svg").status_code == 404


def test_flagged_day_shows_on_the_patient_page(app, shared):
    doc, pat, pid = shared
    checkin(pat, ago(0), 1)
    page = doc.get(f"/caseload/{pid}").text
    assert "mood 1 of 10" in page


# Isolation


def test_another_therapist_sees_nothing_of_my_patients(app, shared):
    _, _, pid = shared
    other = therapist(app, "other@example.com")
    assert other.get(f"/caseload/{pid}").status_code == 404
    for name in ("mood-timeline", "window-overlay", "assessments"):
        assert other.get(f"/caseload/{pid}/charts/{name}.svg").status_code == 404
    assert other.get(f"/caseload/{pid}/charts/mood-timeline.png").status_code == 404
    assert cards(other.get("/caseload").text) == {}
    assert "pat@example.com" not in other.get("/caseload").text


def test_a_patient_account_cannot_open_the_caseload(app, shared):
    _, pat, pid = shared
    assert pat.get("/caseload").status_code == 404
    assert pat.post("/caseload/invite-code").status_code == 404
    assert pat.get(f"/caseload/{pid}").status_code == 404  # not even their own
    assert pat.get(f"/caseload/{pid}/charts/mood-timeline.svg").status_code == 404
    with app.app_context():
        assert get_db()["users"].get(pid)["invite_code"] is None


def test_unknown_patient_is_404(shared):
    doc, _, pid = shared
    assert doc.get(f"/caseload/{pid + 100}").status_code == 404
    assert doc.get(f"/caseload/{pid + 100}/charts/mood-timeline.svg").status_code == 404
    doc_id = pid - 1  # the therapist's own account is not a patient of theirs
    assert doc.get(f"/caseload/{doc_id}").status_code == 404


def test_unlinking_ends_access_at_once(app, shared):
    doc, pat, pid = shared
    assert doc.get(f"/caseload/{pid}").status_code == 200
    response = pat.post("/settings/therapist/unlink")
    assert response.status_code == 302 and response.location == "/settings/therapist"
    page = pat.get("/settings/therapist").text
    assert "You are unlinked. Dr Rivera can no longer see your journal in their caseload." in page
    assert "Share links you made stay open" in page
    assert "You are not linked to a therapist" in page
    assert links(app) == []
    assert doc.get(f"/caseload/{pid}").status_code == 404
    assert doc.get(f"/caseload/{pid}/charts/mood-timeline.svg").status_code == 404
    assert cards(doc.get("/caseload").text) == {}
    # A second unlink (another tab) is harmless.
    response = pat.post("/settings/therapist/unlink", follow_redirects=True)
    assert response.status_code == 200
    assert "You are not linked to a therapist." in response.text
    # The patient's journal is untouched.
    assert "SHARED-CHECKIN" in pat.get(f"/entries/{ago(3)}").text


@pytest.mark.parametrize("path", ["/settings/therapist", "/settings/therapist/unlink"])
def test_the_patients_therapist_page_as_the_therapist_is_deleted_shows_no_link(
    app, shared, monkeypatch, path
):
    """The therapist deletes their account after the patient's page read the link, before it
    read who the therapist is: the page met no therapist and answered 500. Now the link went
    with the account: the page says the patient is not linked (the unlink page leads there)."""
    doc, pat, pid = shared
    deleted_first(monkeypatch, access, "person", doc)
    response = pat.get(path, follow_redirects=True)
    assert response.status_code == 200
    assert "You are not linked to a therapist." in response.text
    assert links(app) == []


@pytest.mark.parametrize("page", ["", "/charts/mood-timeline.svg", "/report.pdf", "/reviewed"])
def test_a_patients_page_as_they_delete_their_account_is_a_404(app, shared, monkeypatch, page):
    """The patient deletes their account after the therapist's request found them linked,
    before it read who they are: the chart and the report were drawn for no one (500). Now
    every page of theirs is the 404 a patient who left gives, with nothing recorded."""
    doc, pat, pid = shared
    with app.app_context():
        seen_before = get_db().execute("select count(*) from audit").fetchone()[0]
    deleted_first(monkeypatch, access, "person", pat)
    path = f"/caseload/{pid}{page}"
    response = doc.post(path) if page == "/reviewed" else doc.get(path)
    assert response.status_code == 404
    assert "This patient's journal is not shared with you" in html.unescape(response.text)
    with app.app_context():
        assert get_db().execute("select count(*) from audit").fetchone()[0] == seen_before


def test_a_report_being_built_when_the_patient_unlinks_is_not_handed_over(app, shared, monkeypatch):
    """The report takes seconds to build for a long journal (1.6 s for the demo's 120 days):
    a patient who unlinked while it was built got it handed to the therapist after they had
    left, recorded as read then. The unlink wins, as a share link's revocation does."""
    import journal.caseload

    doc, pat, pid = shared
    build = journal.caseload.pdf_response

    def unlinked_meanwhile(*args):
        response = build(*args)
        # The patient's unlink, from their phone, lands while the report is being built.
        with sqlite3.connect(app.config["DATABASE"]) as other:
            other.execute("delete from therapist_links where patient_id = ?", [pid])
        return response

    monkeypatch.setattr(journal.caseload, "pdf_response", unlinked_meanwhile)
    with app.app_context():
        seen_before = get_db().execute("select count(*) from audit").fetchone()[0]
    response = doc.get(f"/caseload/{pid}/report.pdf")
    assert response.status_code == 404
    assert not response.data.startswith(b"%PDF")
    assert links(app) == []
    with app.app_context():
        assert get_db().execute("select count(*) from audit").fetchone()[0] == seen_before


def test_a_therapists_reports_are_built_a_few_times_in_a_few_minutes_and_then_wait(
    app, shared, report_builds
):
    """A caseload report is built in a second or more for a long journal, and a signed-in
    therapist could ask for one in a loop (a share link's report was limited, these were not).
    Counted per therapist, whichever patient: past reports.pdf.PERSON_BUILDS in a few minutes
    the report waits, a 429 with Retry-After and a calm page leading back to the patient,
    recorded as no view; a HEAD builds nothing and is told the same wait."""
    from journal import clock
    from journal.reports import pdf

    doc, pat, pid = shared
    other = person(app, "sam@example.com", display_name="Sam")
    assert link(other, invite_code(doc)).status_code == 302
    oid = user_id(app, "sam@example.com")
    for _ in range(2 * pdf.PERSON_BUILDS):
        assert doc.head(f"/caseload/{pid}/report.pdf").status_code == 200
    assert report_builds == []
    for n in range(pdf.PERSON_BUILDS):
        assert doc.get(f"/caseload/{(pid, oid)[n % 2]}/report.pdf").status_code == 200
    with app.app_context():
        seen = get_db().execute("select count(*) from audit").fetchone()[0]
    refused = doc.get(f"/caseload/{oid}/report.pdf")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= pdf.PERSON_WINDOW_SECONDS
    assert "please try again in about" in refused.text
    assert f'href="/caseload/{oid}"' in refused.text
    head = doc.head(f"/caseload/{pid}/report.pdf")
    assert (head.status_code, head.headers.get("Retry-After"), head.data) == (429, str(wait), b"")
    assert len(report_builds) == pdf.PERSON_BUILDS
    with app.app_context():
        assert get_db().execute("select count(*) from audit").fetchone()[0] == seen
    # Someone else's patient is still a 404, not a wait that tells the id exists.
    assert doc.get(f"/caseload/{user_id(app, 'doc@example.com')}/report.pdf").status_code == 404
    clock.set(clock.now() + timedelta(seconds=wait))
    assert doc.get(f"/caseload/{oid}/report.pdf").status_code == 200


def test_unlinking_as_the_patients_account_is_deleted_elsewhere_signs_out(app, shared, monkeypatch):
    """The patient's account is deleted on their phone after the unlink's request read the
    link: the log-in page then said "You are not linked to a therapist.", as if another tab
    had unlinked. Now the person is signed out and told the account was deleted."""
    doc, pat, pid = shared
    phone = app.test_client()
    assert AuthActions(phone).login(email="pat@example.com").status_code == 302
    deleted_first(monkeypatch, therapist_link, "write_transaction", phone)
    response = pat.post("/settings/therapist/unlink")
    page = signed_out_as_deleted(pat, response, "/settings/therapist/unlink")
    assert "not linked" not in page


def test_unlink_asks_first_and_a_stray_tap_changes_nothing(app, shared):
    """Unlinking can't be undone without the therapist's code and leaves them a notice: the
    button on the page opens a page that says so, and only its own Unlink unlinks."""
    doc, pat, pid = shared
    page = pat.get("/settings/therapist").text
    assert '<form method="get" action="/settings/therapist/unlink"' in page
    asked = pat.get("/settings/therapist/unlink")
    assert asked.status_code == 200
    assert asked.headers["Cache-Control"] == "no-store"
    text = html.unescape(asked.text)
    assert "Unlink from Dr Rivera?" in text and "you will need their invite code" in text
    assert '<form method="post" class="actions">' in asked.text
    assert '<a class="button" href="/settings/therapist">Keep the link</a>' in asked.text
    assert len(links(app)) == 1 and doc.get(f"/caseload/{pid}").status_code == 200
    assert pat.post("/settings/therapist/unlink").status_code == 302
    assert links(app) == []
    # Asked again once unlinked (Back, another tab): back to the page that says so.
    assert pat.get("/settings/therapist/unlink").location == "/settings/therapist"
    # A therapist has no such page.
    assert doc.get("/settings/therapist/unlink").status_code == 404


def test_an_unlink_confirmed_after_linking_elsewhere_unlinks_nobody(app, shared):
    # Tab 1 asks "Unlink from Dr Rivera?"; tab 2 links to Dr Baker; tab 1's Unlink is tapped.
    # That page asked about Dr Rivera only: Dr Baker stays, and the patient is told.
    doc, pat, pid = shared
    asked = pat.get("/settings/therapist/unlink").text
    named = re.search(r'name="therapist_id" type="hidden" value="([^"]*)"', asked).group(1)
    assert named == str(user_id(app, "doc@example.com"))
    baker = person(app, "baker@example.com", role="therapist", display_name="Dr Baker")
    assert link(pat, invite_code(baker)).status_code == 302
    response = pat.post("/settings/therapist/unlink", data={"therapist_id": named})
    assert response.status_code == 302 and response.location == "/settings/therapist"
    page = html.unescape(pat.get("/settings/therapist").text)
    assert "Nothing was unlinked: you are linked to Dr Baker now" in page
    assert links(app) == [(pid, user_id(app, "baker@example.com"))]
    assert baker.get(f"/caseload/{pid}").status_code == 200
    # Its own page unlinks Dr Baker; an id that is no number is refused, unlinking nobody.
    asked = pat.get("/settings/therapist/unlink").text
    named = re.search(r'name="therapist_id" type="hidden" value="([^"]*)"', asked).group(1)
    for bad in ("Dr Baker", "-1", "1" * 19):
        data = {"therapist_id": bad}
        assert pat.post("/settings/therapist/unlink", data=data).status_code == 400
    assert len(links(app)) == 1
    assert pat.post("/settings/therapist/unlink", data={"therapist_id": named}).status_code == 302
    assert links(app) == []


def test_a_patient_page_reloaded_after_the_patient_left_says_why_it_is_gone(app, shared):
    """A therapist's reload (or Back) of a patient who had just unlinked showed the bare
    "There is nothing at this address", as did Mark as reviewed; the page says the journal is
    no longer shared and where to look, in the same words for a patient never linked."""
    doc, pat, pid = shared
    assert doc.get(f"/caseload/{pid}").status_code == 200
    assert pat.post("/settings/therapist/unlink").status_code == 302
    gone = access.NOT_LINKED
    for response in (
        doc.get(f"/caseload/{pid}"),
        doc.post(f"/caseload/{pid}/reviewed"),
        doc.get(f"/caseload/{pid + 1000}"),
    ):
        assert response.status_code == 404
        assert gone in html.unescape(response.text)
        assert "There is nothing at this address" not in response.text
    # A patient reaching a caseload address learns nothing from it.
    assert gone not in html.unescape(pat.get(f"/caseload/{pid}").text)


def test_the_page_of_a_patient_who_left_leads_back_to_the_caseload(app, shared):
    """The words of a patient page gone after an unlink name the caseload, but its one link
    led to the start page; it now leads back to the caseload, for a reload, a chart range
    and Mark as reviewed alike."""
    doc, pat, pid = shared
    assert pat.post("/settings/therapist/unlink").status_code == 302
    for response in (
        doc.get(f"/caseload/{pid}"),
        doc.get(f"/caseload/{pid}?days=30&metric=mood"),
        doc.post(f"/caseload/{pid}/reviewed"),
        doc.get(f"/caseload/{pid}/report.pdf"),
    ):
        assert response.status_code == 404
        assert '<a href="/caseload">Back to your caseload</a>' in response.text
        assert "Go to the start page" not in response.text


def test_csrf_is_required_for_new_codes_and_unlinking(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)

    def signed_in(email, role):
        return register_with_csrf(app.test_client(), email, role=role)

    doc = signed_in("doc@example.com", "therapist")
    code = invite_code(doc)
    assert doc.post("/caseload/invite-code").status_code == 400
    assert invite_code(doc) == code
    token = csrf_token(doc.get("/caseload"))
    assert doc.post("/caseload/invite-code", data={"csrf_token": token}).status_code == 302
    assert invite_code(doc) != code
    code = invite_code(doc)

    pat = signed_in("pat@example.com", "patient")
    assert link(pat, code).status_code == 400
    assert links(app) == []
    token = csrf_token(pat.get("/settings/therapist"))
    response = pat.post("/settings/therapist", data={"invite_code": code, "csrf_token": token})
    assert response.status_code == 302
    assert pat.post("/settings/therapist/unlink").status_code == 400
    assert len(links(app)) == 1
    token = csrf_token(pat.get("/settings/therapist"))
    assert pat.post("/settings/therapist/unlink", data={"csrf_token": token}).status_code == 302
    assert links(app) == []


# Who needs attention


def test_a_days_reasons_of_one_kind_come_most_serious_first_and_once(app, client, patient):
    """Two PHQ-9s of one day listed "item 9 answered 1 of 3" before "3 of 3"; two sessions'
    moods the milder first; and a reason two entries gave alike came twice."""
    from journal.access import flagged_days

    day = ago(1)
    for item9 in (1, 3, 3):
        phq9(client, day, [0] * 8 + [item9])
    for after in ("2", "0"):
        session(client, day, mood_after=after)
    with app.test_request_context():
        (flag,) = flagged_days(user_id(app, "pat@example.com"))
    assert flag["reasons"] == [
        "PHQ-9 item 9 answered 3 of 3",
        "PHQ-9 item 9 answered 1 of 3",
        "mood 0 of 10 after a session",
        "mood 2 of 10 after a session",
    ]


def test_the_list_reads_no_patients_whole_history(app):
    """The caseload reads each linked patient's row by index lookups and the few days its
    figures stand on: not every check-in, session and PHQ-9 they ever saved (it read all
    three, for every patient, on every visit)."""
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat")
    assert link(pat, invite_code(doc)).status_code == 302
    for back, mood in ((40, 9), (20, 3), (16, 4), (15, 5), (13, 9), (3, 6), (1, 8)):
        checkin(pat, ago(back), mood)
    session(pat, ago(14))
    take(pat, "phq9", ago(2), [1, 1, 1, 1, 1, 1, 1, 1, 0])
    with traced(app) as statements:
        page = doc.get("/caseload").text
    assert any("from checkins" in s for s in statements)  # the trace saw the page's reads
    whole = [
        s
        for s in statements
        if re.search(r"from checkins where user_id = \d+ and mood is not null order by day", s)
        or re.search(r'from "sessions" where user_id = \d+ order by', s)
        or "group by day" in s
    ]
    assert whole == []
    # The figures of the days read: the baseline (days -14..-1 before the session), the last 7
    # days, the latest check-in, the last session and the latest PHQ-9.
    card = cards(page)["Pat"]
    assert re.search(r"<dt>Mood, last 7 days</dt>\s*<dd>7\.0</dd>", card)
    assert "Baseline 4.0 (+3.0)" in card
    assert "<dd>14 days</dd>" in card
    assert "<dd>1 day ago</dd>" in card
    assert re.search(r"<dt>Latest PHQ-9</dt>\s*<dd>8</dd><dd class=\"hint\">Mild, ", card)


def test_the_latest_phq9_card_says_when_its_item_9_was_answered_above_0(app):
    """CLINICAL.md: item 9 above 0 calls for follow-up whatever the total. The patient's page
    and the report say it beside the latest total; the caseload's card showed "2, Minimal",
    and past the 14 days of a flag (or once reviewed) nothing on the caseload said it."""
    doc = therapist(app)
    code = invite_code(doc)
    quiet = person(app, "quiet@example.com", display_name="Quiet")
    calm = person(app, "calm@example.com", display_name="Calm")
    for client in (quiet, calm):
        assert link(client, code).status_code == 302
        checkin(client, ago(0), 6)
    phq9(quiet, ago(20), [0, 0, 0, 0, 0, 0, 0, 0, 2])  # total 2: minimal; item 9 is 2
    phq9(calm, ago(20), [1, 1, 0, 0, 0, 0, 0, 0, 0])  # total 2: minimal; item 9 is 0
    shown = cards(doc.get("/caseload").text)
    assert "Needs attention" not in shown["Quiet"]  # its flag is older than 14 days
    assert "item 9 answered 2 of 3" in shown["Quiet"]
    assert "item 9" not in shown["Calm"]
    page = doc.get(f"/caseload/{user_id(app, 'quiet@example.com')}").text
    assert "item 9 answered 2 of 3" in page  # as the patient's page says it


def test_attention_first_with_reasons_in_order(app):
    doc = therapist(app)
    code = invite_code(doc)

    def patient(name, *actions):
        client = person(app, f"{name.split()[0].lower()}@example.com", display_name=name)
        assert link(client, code).status_code == 302
        for action in actions:
            action(client)
        return client

    patient("Finn Fine", lambda c: checkin(c, ago(0), 6))
    patient("Sam Silent", lambda c: checkin(c, ago(6), 6))
    patient("Olga Oldflag", lambda c: checkin(c, ago(10), 2), lambda c: checkin(c, ago(0), 6))
    patient("Nora Never")
    patient(
        "Bea Below",
        *[lambda c, d=d: checkin(c, ago(d), 6) for d in (30, 29, 28)],
        lambda c: session(c, ago(27)),
        *[lambda c, d=d: checkin(c, ago(d), 3) for d in (2, 1, 0)],
        lambda c: phq9(c, ago(1), [2, 2, 2, 2, 2, 1, 1, 0, 0]),
    )
    patient("Fran Flagged", lambda c: checkin(c, ago(1), 1), lambda c: checkin(c, ago(0), 6))

    page = doc.get("/caseload").text
    rows = cards(page)
    assert list(rows) == [
        "Fran Flagged",  # flagged yesterday
        "Olga Oldflag",  # flagged 10 days ago
        "Nora Never",  # never checked in: the longest silence
        "Sam Silent",  # 6 days
        "Bea Below",  # below baseline, checked in today
        "Finn Fine",
    ]
    attention, others = page.split('id="others-title"')
    assert "Finn Fine" in others and "Finn Fine" not in attention
    assert "Needs attention (5)" in attention

    def flagged(days):
        return f"Flagged {timezones.day_text_near(TODAY - timedelta(days=days), TODAY)}"

    assert f"<li>{flagged(1)}: mood 1 of 10</li>" in rows["Fran Flagged"]
    assert f"<li>{flagged(10)}: mood 2 of 10</li>" in rows["Olga Oldflag"]
    assert "<li>No check-ins yet</li>" in rows["Nora Never"]
    assert "<li>No check-in for 6 days</li>" in rows["Sam Silent"]
    assert "<li>7-day mean 3.0, below baseline 6.0</li>" in rows["Bea Below"]
    assert "Needs attention" not in rows["Finn Fine"]
    # Each row's figures: latest PHQ-9 and band, 7-day mean against baseline, last session.
    bea = rows["Bea Below"]
    assert "<dd>12</dd>" in bea and "Moderate" in bea
    assert "<dd>3.0</dd>" in bea and "Baseline 6.0 (\u22123.0)" in bea
    assert "27 days" in bea
    assert "Last check-in</dt>\n          <dd>Today</dd>" in bea
    assert "No sessions yet" in rows["Finn Fine"] and "No baseline yet" in rows["Finn Fine"]
    assert "finn@example.com" in rows["Finn Fine"]
    assert "<dd>Never</dd>" in rows["Nora Never"]


@pytest.mark.parametrize(("days", "flagged"), [(13, True), (14, False)])
def test_flags_count_for_14_days(app, days, flagged):
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat")
    link(pat, invite_code(doc))
    checkin(pat, ago(0), 6)
    phq9(pat, ago(days), [0, 0, 0, 0, 0, 0, 0, 0, 1])
    row = cards(doc.get("/caseload").text)["Pat"]
    when = timezones.day_text_near(TODAY - timedelta(days=days), TODAY)
    reason = f"Flagged {when}: PHQ-9 item 9 answered 1 of 3"
    assert (reason in row) is flagged
    assert ("Needs attention" in row) is flagged


def test_today_is_the_patients_own_day(app):
    # 25 hours apart: the therapist's date is always ahead of the patient's.
    doc = therapist(app, timezone="Pacific/Kiritimati")
    pat = person(app, "pat@example.com", display_name="Pat", timezone="Pacific/Pago_Pago")
    link(pat, invite_code(doc))
    checkin(pat, timezones.local_today("Pacific/Pago_Pago").isoformat(), 6)
    row = cards(doc.get("/caseload").text)["Pat"]
    assert "<dd>Today</dd>" in row
    assert "Needs attention" not in row


# The rules themselves, without HTTP

DAY = date(2026, 3, 20)


def points(*pairs):
    return [(DAY - timedelta(days=d), m) for d, m in pairs]


@pytest.mark.parametrize(
    ("checkins", "first_session", "flags", "reasons"),
    [
        (points((4, 6)), None, [], []),
        (points((5, 6)), None, [], ["No check-in for 5 days"]),
        ([], None, [], ["No check-ins yet"]),
        # Baseline 6.0 (days -3..-1 before the session 20 days ago); last 7 days 5.96 -> 6.0.
        (
            points((23, 6), (22, 6), (21, 6), (1, 5.96)),
            DAY - timedelta(days=20),
            [],
            [],
        ),
        (
            points((23, 6), (22, 6), (21, 6), (1, 5.9)),
            DAY - timedelta(days=20),
            [],
            ["7-day mean 5.9, below baseline 6.0"],
        ),
        (
            points((0, 6)),
            None,
            [
                {"day": "2026-03-10", "reasons": ["mood 2 of 10"]},
                {
                    "day": "2026-03-18",
                    "reasons": ["thoughts of self-harm reported", "mood 1 of 10"],
                },
            ],
            [
                "Flagged 18 Mar: thoughts of self-harm reported; mood 1 of 10"
                " (and 1 earlier flagged day in the last 14 days)"
            ],
        ),
    ],
)
def test_review(checkins, first_session, flags, reasons):
    result = review(DAY, checkins, first_session, flags)
    assert result["reasons"] == reasons
    assert result["attention"] is bool(reasons)


def test_order_key_ranks_flags_then_silence_then_the_rest():
    class Person:
        def __init__(self, name):
            self.shared_name, self.email = name, f"{name}@example.com"

    def row(name, flag=None, silent=0, attention=False):
        return {
            "patient": Person(name),
            "latest_flag": flag,
            "silent_days": silent,
            "attention": attention or flag is not None,
        }

    rows = [
        row("fine-quiet", silent=3),
        row("fine"),
        row("below", attention=True),
        row("never", silent=None, attention=True),
        row("old-flag", flag=DAY - timedelta(days=9)),
        row("new-flag", flag=DAY),
        row("silent", silent=8, attention=True),
    ]
    assert [r["patient"].shared_name for r in sorted(rows, key=order_key)] == [
        "new-flag",
        "old-flag",
        "never",
        "silent",
        "below",
        "fine-quiet",
        "fine",
    ]


# Issue 8: a session's low mood flags its day, like a check-in's


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        ("5", "2", "mood 2 of 10 after a session"),
        ("5", "0", "mood 0 of 10 after a session"),
        ("1", "", "mood 1 of 10 before a session"),  # no rating after: the crisis panel's rule
        ("1", "3", None),
        ("5", "3", None),
        ("", "", None),
    ],
)
def test_a_session_with_a_low_mood_flags_its_day(app, before, after, reason):
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat")
    link(pat, invite_code(doc))
    checkin(pat, ago(0), 6)
    # Private: the day is flagged all the same, and its words still never show.
    session(
        pat,
        ago(1),
        mood_before=before,
        mood_after=after,
        reflection="PRIVATE-SESSION words",
        private="y",
    )
    pid = user_id(app, "pat@example.com")
    row = cards(doc.get("/caseload").text)["Pat"]
    page = doc.get(f"/caseload/{pid}").text
    assert "PRIVATE" not in page
    if reason is None:
        assert "Needs attention" not in row and "Flagged" not in row
        assert "No flagged days in this range." in page
    else:
        assert f"<li>Flagged {TODAY - timedelta(days=1):%-d %b}: {reason}</li>" in row
        assert f"<span>{reason}</span>" in page


def test_a_days_reasons_come_most_serious_first(app):
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat")
    link(pat, invite_code(doc))
    session(pat, ago(1), mood_before="4", mood_after="1")
    checkin(pat, ago(1), 2, self_harm="y")
    phq9(pat, ago(1), [0, 0, 0, 0, 0, 0, 0, 0, 2])
    reasons = (
        "thoughts of self-harm reported; PHQ-9 item 9 answered 2 of 3; mood 2 of 10; "
        "mood 1 of 10 after a session"
    )
    flagged = f"Flagged {TODAY - timedelta(days=1):%-d %b}: {reasons}</li>"
    assert flagged in cards(doc.get("/caseload").text)["Pat"]
    page = doc.get(f"/caseload/{user_id(app, 'pat@example.com')}").text
    assert f"<span>{reasons}</span>" in page
    assert "as the last mood rating of a session" in page


def test_the_pages_that_explain_flags_name_the_session_rule(app):
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat")
    link(pat, invite_code(doc))
    checkin(pat, ago(0), 1)
    assert "as the last mood rating of a session" in doc.get("/caseload").text
    assert "as the last mood rating of a session" in pat.get("/settings/therapist").text


# Issue 8: a name in a caseload cannot be spoofed with direction controls or invisible
# characters (journal.fields.name_text, the one filter every name and label others see uses)

ZWJ, VS16 = "\u200d", "\ufe0f"
HEBREW_POINTED = "\u05d1\u05b0\u05bc\u05b8\u0596\u05bd"  # a letter with points and cantillation
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a non-joiner that shapes
WALES = "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("Ann Lee", "Ann Lee"),
        ("  Ann \t  Lee\n ", "Ann Lee"),
        ("Ann\u3000Lee\u00a0", "Ann Lee"),  # any white space is one space
        ("An\u200bn", "Ann"),  # zero-width space
        ("An\u200cn", "Ann"),  # zero-width non-joiner between Latin letters
        ("An\u200dn", "Ann"),  # zero-width joiner between Latin letters
        ("\ufeffAnn\u2060", "Ann"),  # BOM, word joiner
        ("An\u00adn", "Ann"),  # soft hyphen
        ("Ann\u200e", "Ann"),  # left-to-right mark
        ("Ann\u200f", "Ann"),  # right-to-left mark
        ("Ann\u061c", "Ann"),  # Arabic letter mark
        ("Ann\u180e", "Ann"),  # Mongolian vowel separator
        ("Ann\u2061\u2062\u2063\u2064", "Ann"),  # invisible operators
        ("A\u034fnn", "Ann"),  # combining grapheme joiner
        ("Ann\u3164", "Ann"),  # Hangul filler
        ("Ann\u115f\u1160\uffa0", "Ann"),  # other Hangul fillers
        ("Ann\u2800", "Ann"),  # blank braille cell
        ("Ann\U000e0041\U000e0042", "Ann"),  # tag characters outside a flag
        ("A\ufe0fnn", "Ann"),  # a variation selector on a Latin letter
        ("\ufe0fAnn", "Ann"),  # a variation selector alone
        ("Ann\U000e0100", "Ann"),  # an ideographic variation selector on a Latin letter
        ("e\u0301", "\u00e9"),  # NFC: é typed two ways is one name
        # Kept where they draw something:
        (f"Jo \U0001f469{ZWJ}\u2695{VS16}", f"Jo \U0001f469{ZWJ}\u2695{VS16}"),  # 👩‍⚕️
        (f"\U0001f9d1\U0001f3fd{ZWJ}\U0001f680", f"\U0001f9d1\U0001f3fd{ZWJ}\U0001f680"),  # 🧑🏽‍🚀
        (f"\u2764{VS16} Sam", f"\u2764{VS16} Sam"),  # ❤️
        (f"1{VS16}\u20e3 Jo", f"1{VS16}\u20e3 Jo"),  # keycap 1️⃣
        (f"{WALES} Ewan", f"{WALES} Ewan"),  # a subdivision flag's tags
        (PERSIAN, PERSIAN),
        ("\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"),  # Devanagari ZWJ
        ("\u845b\U000e0100", "\u845b\U000e0100"),  # an ideographic variation sequence
        ("Ana \U0001f33f", "Ana \U0001f33f"),
        ("Zoë O’Brien-Smith", "Zoë O’Brien-Smith"),
        # Marks a language stacks on a letter: Hebrew's points and cantillation, Tibetan's
        # subjoined letters, and eight accents on one letter, the most a name may stack.
        (HEBREW_POINTED, unicodedata.normalize("NFC", HEBREW_POINTED)),
        ("\u0f67\u0fa8\u0fb1\u0f71", "\u0f67\u0fa8\u0fb1\u0f71"),
        ("Sam x" + "\u0302\u0303" * 4, "Sam x" + "\u0302\u0303" * 4),
        ("", ""),
        ("   ", ""),
    ],
)
def test_names_lose_invisible_characters_and_keep_what_draws(typed, cleaned):
    assert name_text(typed) == cleaned


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Ann\u202eeeL", DIRECTION_MESSAGE),  # right-to-left override
        ("\u202dAnn", DIRECTION_MESSAGE),  # left-to-right override
        ("Ann\u202a Lee\u202c", DIRECTION_MESSAGE),  # embedding and pop
        ("Ann\u202b", DIRECTION_MESSAGE),
        ("\u2066Ann\u2069", DIRECTION_MESSAGE),  # isolates
        ("\u2067Ann", DIRECTION_MESSAGE),
        ("\u2068Ann", DIRECTION_MESSAGE),
        ("\u200b", INVISIBLE_MESSAGE),
        ("\u200b \u200d\u2060", INVISIBLE_MESSAGE),
        ("\u3164", INVISIBLE_MESSAGE),
        ("\ufe0f\u00ad", INVISIBLE_MESSAGE),
        ("\U000e0041" * 10, INVISIBLE_MESSAGE),
        # "Glitch text": a letter with stacked accents drew over the caseload's heading.
        ("Sam Z" + "\u0301\u0302\u0303\u0304" * 18 + "ed", STACKED_MARKS_MESSAGE),
        ("Sam x" + "\u0302\u0303" * 4 + "\u0304", STACKED_MARKS_MESSAGE),  # nine
        ("x" + "\u20dd" * 9, STACKED_MARKS_MESSAGE),  # enclosing marks too
        # Eight at a time between characters drawn as nothing, which a name loses and a
        # browser stacks across: one column of 64 accents on the caseload.
        ("Sam Z" + ("\u0301" * 8 + "\u200b") * 8, STACKED_MARKS_MESSAGE),
        ("Sam Z" + ("\u0301" * 8 + "\u034f") * 8, STACKED_MARKS_MESSAGE),
        ("Sam Z" + ("\u0301" * 8 + "\ufe0f") * 8, STACKED_MARKS_MESSAGE),
    ],
)
def test_names_with_direction_controls_or_nothing_visible_are_refused(typed, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        name_text(typed)


def test_name_filter_answers_hostile_input_promptly():
    import contextlib
    import time

    hostile = [
        "\U0001f3f4" + "\U000e0067" * 200_000,
        "\U0001f3f4\U000e0067" * 100_000,
        ZWJ * 200_000,
        ("\U0001f469" + ZWJ) * 100_000,
        "a\ufe0f" * 100_000,
    ]
    started = time.monotonic()
    for text in hostile:
        with contextlib.suppress(ValueError):  # nothing visible left is refused
            name_text(text)
    assert time.monotonic() - started < 10  # a hang guard, not a speed test


@pytest.mark.parametrize(
    ("typed", "status", "shown"),
    [
        ("Pat\u200b Lee\u2060", 302, "Pat Lee"),
        ("Pat\u202eeeL", 400, None),
        ("\u2066Dr Rivera\u2069", 400, None),
        ("\u200b\u200b", 400, None),
    ],
)
def test_a_patients_name_reaches_the_caseload_without_hidden_characters(app, typed, status, shown):
    doc = therapist(app)
    client = app.test_client()
    response = AuthActions(client).register(email="pat@example.com", display_name=typed)
    assert response.status_code == status
    if status == 400:
        assert 'id="display_name-error"' in response.text
        assert user_count(app) == 1  # the therapist only
        return
    assert link(client, invite_code(doc)).status_code == 302
    assert list(cards(doc.get("/caseload").text)) == [shown]


def user_count(app):
    with app.app_context():
        return get_db()["users"].count


# Issue 8: figures compared and shown rounded half up, as the card shows them.


def test_review_compares_means_rounded_half_up():
    # Baseline (6 x7, 7 x3) / 10 = 6.3; last 7 days (6, 6, 6, 7) / 4 = 6.25, shown as 6.3.
    before = [(30 - n, 6 if n < 7 else 7) for n in range(10)]
    recent = [(3, 6), (2, 6), (1, 6), (0, 7)]
    result = review(DAY, points(*before, *recent), DAY - timedelta(days=20), [])
    assert result["reasons"] == []  # round() made it "6.2, below baseline 6.3"


def test_caseload_card_difference_agrees_with_the_figures_shown(app):
    with app.test_request_context():
        from flask import render_template_string

        shown = render_template_string(
            "{{ r | figure }} {{ b | figure }} ({{ difference(r, b) }})", r=5.75, b=3.14
        )
    assert shown == "5.8 3.1 (+2.7)"  # "%+.1f" of 5.75 - 3.14 read +2.6


def test_a_name_stored_before_the_name_filter_is_shown_without_its_controls(app):
    doc = therapist(app)
    code = invite_code(doc)
    patient = app.test_client()
    AuthActions(patient).register(display_name="Robin")
    patient.post("/settings/therapist", data={"invite_code": code})
    with app.app_context():  # as saved by an older version, with no filter
        get_db().execute(
            "update users set display_name = ? where role = 'patient'", ["\u202eniboR\u200b"]
        )
        get_db().conn.commit()
    page = doc.get("/caseload").text
    assert "niboR" in page
    assert "\u202e" not in page and "\u200b" not in page


# The invite code's pattern answers promptly at the largest field accepted (a URL-encoded
# field is held back only by the 2 MB body limit) and at the longest code it reads (40).
@pytest.mark.parametrize(
    "typed", ["-" * 2_000_000, " A" * 1_000_000, "- " * 20, "\u2010" * 40, "A-" * 20]
)
def test_a_hostile_invite_code_answers_promptly(app, typed):
    doc = therapist(app)
    invite_code(doc)
    pat = person(app, "pat@example.com")
    started = time.perf_counter()
    response = link(pat, typed)
    assert time.perf_counter() - started < 5  # a hang guard
    assert response.status_code == 400
    assert error_for(response, "invite_code") == WRONG_CODE
    assert links(app) == []


def test_the_patient_is_told_every_session_detail_a_therapist_sees(app):
    # What access.shared_session hands a therapist, each named before the patient links.
    pat = person(app, "pat@example.com")
    page = html.unescape(pat.get("/settings/therapist").text)
    told = {
        "product": "medicine", "route": "how it was given", "dose_mg": "dose",
        "dose_mg_per_kg": "dose", "mood_before": "mood before and after",
        "mood_after": "mood before and after", "dissociation": "dissociation",
        "side_effects": "side effects", "side_effects_other": "side effects",
        "bp_before": "blood pressure", "bp_after": "blood pressure",
    }  # fmt: skip
    row = {"number": 1, "day": "2026-01-01", "product": "ketamine", "route": "iv",
           "side_effects": "", "private": 0, "side_effects_other": "",
           "bp_before_systolic": None, "bp_before_diastolic": None,
           "bp_after_systolic": None, "bp_after_diastolic": None,
           **dict.fromkeys(("dose_mg", "dose_mg_per_kg", "mood_before", "mood_after",
                            "dissociation"))}  # fmt: skip
    with app.test_request_context():
        shown = set(access.shared_session(row)) - {"number", "day"}
    assert shown == set(told)
    for words in told.values():
        assert words in page, words


def test_the_7_day_mean_ends_on_a_later_lived_day_on_every_surface(app):
    # A patient in Kiritimati (UTC+14) logs a session at 01:00 on their 6 Dec (11:00 UTC on
    # 5 Dec, before the clock's noon), then moves to Adak (UTC-10), where it is 02:00 on
    # 5 Dec. Their latest lived day is the session's, TODAY + 1: every view's range ends on
    # it, and so does "Mood, last 7 days": days -5..+1 hold only today's 8 -> 8.0. (Day -6's
    # 4 is the eighth day back: counted, it gave (4 + 8) / 2 = 6.0 on the progress page and
    # the caseload while the report beside them read 8.0 for 30 Nov to 6 Dec.)
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat", timezone=DAY_AHEAD)
    link(pat, invite_code(doc))
    pid = user_id(app, "pat@example.com")
    insert(app, "checkins", pid, day=ago(6), mood=4)
    insert(app, "checkins", pid, day=ago(0), mood=8)
    started = f"{TODAY.isoformat()}T11:00:00+00:00"
    insert(app, "sessions", pid, started_at=started, day=ago(-1), product="ketamine", route="iv")
    settings = {"timezone": "America/Adak", "window_days": "7", "clinic_phone": ""}
    assert pat.post("/settings", data=settings).status_code == 302
    card = re.compile(r"Mood, last 7 days</dt>\s*<dd>([^<]+)</dd>")
    assert card.findall(pat.get("/progress").text) == ["8.0"]
    assert card.findall(doc.get(f"/caseload/{pid}").text) == ["8.0"]
    row = cards(doc.get("/caseload").text)["Pat"]
    assert re.search(r"Mood, last 7 days</dt>\s*<dd>8\.0</dd>", row)
    report = doc.get(f"/caseload/{pid}/report.pdf")
    text = pdf_text(report.data)
    assert "Mood, last 7 days 8.0 of 10" in text


def test_days_since_the_session_count_from_a_later_check_in_as_on_the_patients_page(app):
    # Checked in on their 6 Dec (TODAY + 1) in Kiritimati, then moved to Adak, where it is
    # 5 Dec: that check-in is their latest day. The session was on TODAY - 3: 1 - (-3) = 4
    # days on the patient's page; the caseload card counted from the new today, 3 days.
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat", timezone=DAY_AHEAD)
    link(pat, invite_code(doc))
    pid = user_id(app, "pat@example.com")
    insert(app, "checkins", pid, day=ago(-1), mood=8)
    started = f"{ago(3)}T11:00:00+00:00"
    insert(app, "sessions", pid, started_at=started, day=ago(3), product="ketamine", route="iv")
    settings = {"timezone": "America/Adak", "window_days": "7", "clinic_phone": ""}
    assert pat.post("/settings", data=settings).status_code == 302
    since = re.compile(r"Since last session</dt>\s*<dd>([^<]+)</dd>")
    assert since.findall(pat.get("/progress").text) == ["4 days"]
    assert since.findall(doc.get(f"/caseload/{pid}").text) == ["4 days"]
    assert since.findall(cards(doc.get("/caseload").text)["Pat"]) == ["4 days"]


def test_days_since_the_session_count_from_a_later_check_up_on_both_cards_alike(app):
    # A PHQ-9 dated TODAY + 1 (saved under a zone further east, before a move west) is their
    # latest lived day. The caseload card counted from it (11 days after a session on
    # TODAY - 10) while the patient's own card and the caseload's patient page counted from
    # today (10): the same figure, two answers.
    doc = therapist(app)
    pat = person(app, "pat@example.com", display_name="Pat")
    link(pat, invite_code(doc))
    pid = user_id(app, "pat@example.com")
    insert(app, "sessions", pid, started_at=f"{ago(10)}T11:00:00+00:00", day=ago(10),
           product="ketamine", route="iv")  # fmt: skip
    insert(app, "assessments", pid, kind="phq9", day=ago(-1), total=8, item9=0, answers="[]")
    since = re.compile(r"Since last session</dt>\s*<dd>([^<]+)</dd>")
    shown = since.findall(pat.get("/progress").text)
    assert shown == since.findall(doc.get(f"/caseload/{pid}").text)
    assert shown == since.findall(cards(doc.get("/caseload").text)["Pat"])


def another_tab_meanwhile(monkeypatch, meanwhile):
    """Run `meanwhile()` in a thread of its own (another gunicorn thread) once a request has
    read the patient's link inside its transaction, as the same Unlink or Delete sent from a
    second tab at the same moment would; a second to let it finish, were nothing to hold it.
    The thread, to join once the first request has answered."""
    import threading

    import journal.data.links

    real = journal.data.links.therapist_link_of
    started = []

    def read_then_let_the_other_in(db, patient_id):
        found = real(db, patient_id)
        if db.conn.in_transaction and not started:
            started.append(threading.Thread(target=meanwhile))
            started[0].start()
            started[0].join(timeout=1)
        return found

    monkeypatch.setattr(journal.data.links, "therapist_link_of", read_then_let_the_other_in)
    return started


def test_an_unlink_sent_from_two_tabs_at_once_unlinks_once_and_answers_both(
    app, shared, monkeypatch
):
    """Unlink confirmed in two tabs at the same moment: one of them answered 500 ("database
    is locked": it read the link, the other unlinked, then it could not write)."""
    doc, pat, pid = shared
    other_tab = app.test_client()
    assert AuthActions(other_tab).login().status_code == 302
    answers = []
    started = another_tab_meanwhile(
        monkeypatch, lambda: answers.append(other_tab.post("/settings/therapist/unlink"))
    )
    first = pat.post("/settings/therapist/unlink")
    started[0].join()
    assert first.status_code == 302 and answers[0].status_code == 302
    assert links(app) == []
    told = [pat.get("/settings/therapist").text, other_tab.get("/settings/therapist").text]
    assert sum("You are unlinked." in page for page in told) == 1
    assert sum("You are not linked to a therapist." in page for page in told) == 2
    assert not any("Nothing was unlinked" in page for page in told)  # nobody else is linked
    assert doc.get(f"/caseload/{pid}").status_code == 404


def test_an_account_deleted_from_two_tabs_at_once_is_answered_deleted_in_both(
    app, shared, monkeypatch
):
    """Delete my account confirmed in two tabs at the same moment: one answered 500."""
    doc, pat, pid = shared
    other_tab = app.test_client()
    assert AuthActions(other_tab).login().status_code == 302
    answers = []
    started = another_tab_meanwhile(
        monkeypatch,
        lambda: answers.append(other_tab.post("/settings/delete", data={"password": PASSWORD})),
    )
    first = pat.post("/settings/delete", data={"password": PASSWORD})
    started[0].join()
    assert first.status_code == 200 and answers[0].status_code == 200
    with app.app_context():
        db = get_db()
        assert db.execute("select count(*) from users where id = ?", [pid]).fetchone()[0] == 0
        # The therapist is told once, as for one deletion.
        notices = "select count(*) from caseload_notices where kind = 'deleted'"
        assert db.execute(notices).fetchone()[0] == 1


def test_a_latest_phq9_from_an_earlier_year_says_its_year(app):
    # The card gave the day without its year: a PHQ-9 taken a year ago and never since read
    # "Moderately severe, 5 Dec", as if from this week.
    doc = therapist(app)
    old = person(app, "old@example.com", display_name="Olive")
    new = person(app, "new@example.com", display_name="Nell")
    for pat in (old, new):
        assert link(pat, invite_code(doc)).status_code == 302
    long_ago = TODAY - timedelta(days=400)
    take(old, "phq9", long_ago.isoformat(), [2, 2, 2, 2, 2, 2, 2, 2, 0])
    take(new, "phq9", TODAY.isoformat(), [2, 2, 2, 2, 2, 2, 2, 2, 0])
    found = cards(doc.get("/caseload").text)
    with_year = timezones.day_text(long_ago, "date_year")
    assert f'<dd class="hint">Moderately severe, {with_year}</dd>' in found["Olive"]
    this_year = timezones.day_text(TODAY, "date")
    assert f'<dd class="hint">Moderately severe, {this_year}</dd>' in found["Nell"]
