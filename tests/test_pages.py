import re

import pytest
from conftest import unlabelled_inputs
from factories import person

from journal import crisis


def test_home_for_visitors(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Create an account" in response.text


def test_home_sends_people_to_checkin(client, patient):
    assert client.get("/").location == "/checkin"


@pytest.mark.parametrize("path", ["/", "/help", "/auth/login", "/auth/register", "/nope"])
def test_get_help_now_on_every_page(client, path):
    response = client.get(path)
    assert 'class="help-now" href="/help">Get help now</a>' in response.text


def test_help_page_lists_crisis_resources(client):
    response = client.get("/help")
    assert response.status_code == 200
    for href in ("tel:988", "sms:988", "sms:741741?&amp;body=HOME", "tel:911"):
        assert f'href="{href}"' in response.text
    assert "press 3" not in response.text.lower()
    assert crisis.LAST_CHECKED in response.text
    # The help page is separate from the in-context panel shown after a worrying entry.
    assert 'id="crisis-resources"' not in response.text


def test_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Not found" in response.text


def test_nothing_loaded_from_elsewhere(client, patient):
    for path in ("/", "/checkin", "/entries", "/settings", "/help"):
        page = client.get(path).text
        assert not re.search(
            r'(src|href)="(https?:)?//', page.replace('href="https://988lifeline.org/chat/"', "")
        )


def test_static_assets_served(client):
    for path in ("/static/style.css", "/static/app.js", "/static/icon.svg"):
        response = client.get(path)
        assert response.status_code == 200 and response.data
        response.close()


def test_every_input_is_labelled(client, patient):
    for path in ("/checkin", "/settings", "/offline"):
        assert unlabelled_inputs(client.get(path).text) == [], path


def test_security_headers_on_every_response(client, patient):
    for path in ("/", "/checkin", "/static/style.css", "/healthz", "/nope"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in response.headers
        response.close()
    assert client.get("/checkin").headers["Cache-Control"] == "no-store"
    assert client.get("/entries").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("signed_in", [False, True], ids=["stranger", "signed in"])
def test_only_answers_that_depend_on_the_cookie_vary_on_it(app, signed_in):
    """`Vary: Cookie` where the answer reads the session (a page with a form's token, a
    person's own page), and not on /healthz or a static file, whoever asks: a cache may keep
    one copy of those for everyone."""
    client = person(app, "vary@example.com") if signed_in else app.test_client()
    for path in ("/healthz", "/static/style.css", "/static/app.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Cookie" not in response.vary, path
        response.close()
    assert "Cookie" in client.get("/auth/login").vary
    if signed_in:
        assert "Cookie" in client.get("/entries").vary


def test_hsts_when_configured_for_https(tmp_path):
    from conftest import make_app

    response = make_app(tmp_path, HTTPS=True).test_client().get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_template_has_inline_script_or_style():
    from pathlib import Path

    for template in Path(__file__).resolve().parent.parent.joinpath("templates").rglob("*.html"):
        text = template.read_text()
        assert "style=" not in text, template
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert "<style" not in text, template


def test_crisis_resources_are_asked_for_one_entry_once(app):
    with app.test_request_context():
        crisis.flag("session", 7)
        assert crisis.take("checkin", "7") is False  # another kind of entry
        assert crisis.take("session", 8) is False  # another entry
        assert crisis.take("session", 7) is True
        assert crisis.take("session", 7) is False  # once


# Issue 11: templates read a plain dict's fields without asking it for an attribute first.
FIELD_READS = (
    "{{ row.day }}|{{ row.nope is undefined }}|{{ row['nope'] is undefined }}"
    "|{{ row.items is callable }}|{{ row.get('mood') }}|{{ row.keys() | list | length }}"
    "|{{ kept.day }}|{{ kept.nope is undefined }}|{{ thing.day }}|{{ thing.nope is undefined }}"
)


def test_templates_read_a_dicts_fields_as_jinja_itself_does(app):
    # A key named like a dict method ("items") still gives the method, as in Jinja; a dict
    # subclass and any other object are looked up as Jinja looks them up.
    from collections import OrderedDict
    from types import SimpleNamespace

    from jinja2 import Environment

    from journal import TemplateEnvironment

    assert isinstance(app.jinja_env, TemplateEnvironment)
    values = {
        "row": {"day": "2026-01-05", "items": "a key", "mood": 4},
        "kept": OrderedDict(day="2026-01-06"),
        "thing": SimpleNamespace(day="2026-01-07"),
    }
    ours = app.jinja_env.from_string(FIELD_READS).render(values)
    assert ours == Environment(autoescape=True).from_string(FIELD_READS).render(values)
    assert ours == "2026-01-05|True|True|True|4|3|2026-01-06|True|2026-01-07|True"


def test_a_days_pages_name_the_day_in_their_title_as_the_page_does(client, patient):
    """A screen reader reads the title first: "2026-01-05" came out as a string of numbers."""
    from factories import checkin, take

    checkin(client, "2026-01-05", 6)
    take(client, "phq9", "2026-01-06", [1] * 9)
    paths = ("/entries/2026-01-05", "/entries/2026-01-05/edit", "/entries/2026-01-05/delete")
    titles = {
        path: re.search(r"<title>(.*?)</title>", client.get(path).text, re.S)[1].strip()
        for path in (*paths, "/assessments/1")
    }
    assert titles == {
        "/entries/2026-01-05": "Mon 5 Jan 2026 · Afterglow",
        "/entries/2026-01-05/edit": "Edit Mon 5 Jan 2026 · Afterglow",
        "/entries/2026-01-05/delete": "Delete Mon 5 Jan 2026 · Afterglow",
        "/assessments/1": "PHQ-9, Tue 6 Jan 2026 · Afterglow",
    }


@pytest.mark.parametrize("path", ["/settings", "/share", "/checkin", "/settings/delete"])
def test_no_id_is_used_twice_on_a_page(secure, path):
    """Pages of several forms gave each one's token the id "csrf_token"."""
    _, client = secure
    page = client.get(path).text
    assert 'name="csrf_token"' in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_an_odd_limit_reads_as_people_read_a_size(tmp_path):
    """A limit that is no whole number of megabytes read "0.488281 MB"."""
    from conftest import make_app

    app = make_app(tmp_path, MAX_CONTENT_LENGTH=512_000)
    client = person(app, "pat@example.com")
    assert "Up to 0.5 MB and 5,000 rows." in client.get("/import").text


def test_the_limits_shown_are_the_apps_own(tmp_path):
    """The 413 page and the import form state MAX_CONTENT_LENGTH (they spelt 2 MB)."""
    from conftest import make_app

    app = make_app(tmp_path, MAX_CONTENT_LENGTH=1024 * 1024)
    client = person(app, "pat@example.com")
    too_large = client.post(
        "/checkin", data=b"mood=" + b"x" * (1024 * 1024), content_type="text/plain"
    )
    assert too_large.status_code == 413
    assert "The limit is 1 MB per page" in too_large.text
    form = client.get("/import").text
    assert "Up to 1 MB and 5,000 rows." in form and "2 MB" not in form


def test_a_visitors_pages_ask_for_the_scripts_modules_only_once_signed_in(client, auth):
    """On a slow first visit the modules preloaded beside the style sheet took the line from
    it: the landing page showed a second and a half later. A signed-out page lets app.js find
    them; a signed-in page (the service worker has them) asks for them all at once."""
    for path in ("/", "/auth/login", "/auth/register", "/help"):
        assert 'rel="modulepreload"' not in client.get(path).text, path
    auth.register()
    assert client.get("/checkin").text.count('rel="modulepreload"') >= 10


def reopened_at(response):
    """The address the page's history entry is made a GET of (base.html's
    data-answers-post, read by static/page.js), or None."""
    found = re.search(r'<body[^>]* data-answers-post="([^"]*)"', response.text)
    return found and found.group(1)


def test_the_answer_to_a_post_names_the_address_that_shows_it_again(client, patient):
    """Back to a refused form, once it is put right and saved, opens that address afresh
    rather than Chromium's "Confirm Form Resubmission" (tests/test_browser_flows.py): the
    address posted to when it has a page, else the page the form was on (the same-origin
    Referer), else none; a page opened with GET names none."""
    assert reopened_at(client.get("/checkin")) is None
    refused = client.post("/checkin", data={"reflection": "Heavy morning"})
    assert refused.status_code == 400 and reopened_at(refused) == "/checkin"
    login = client.post("/auth/login?next=/sessions", data={"email": "x"})
    assert reopened_at(login) == "/auth/login?next=/sessions"

    # POST /settings/password has no page of its own (a GET of it answers 405).
    wrong = {"current_password": "not it", "new_password": "x", "confirm": "y"}
    for referrer, expected in (
        ("http://localhost/settings?from=menu", "/settings?from=menu"),
        ("https://elsewhere.example/settings", None),
        ("http://localhost//elsewhere.example/settings", None),
        ("http://localhost/\\elsewhere.example/settings", None),  # a browser reads /\ as //
        (None, None),
    ):
        headers = {"Referer": referrer} if referrer else {}
        answer = client.post("/settings/password", data=wrong, headers=headers)
        assert answer.status_code == 400 and reopened_at(answer) == expected, referrer
