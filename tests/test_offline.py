"""Installable and offline-safe: the manifest, the service worker, the offline page, and
check-ins sent again from a device's queue (idempotency keys, `saved_at`, JSON answers)."""

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import AuthActions, csrf_token
from factories import NOW, TODAY
from PIL import Image

from journal import clock
from journal.db import get_db

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
DAY = (TODAY - timedelta(days=1)).isoformat()
JSON = {"Accept": "application/json"}
KEY = "6f1c2a1e-7d43-4b8e-9d1a-3c2b1a0f9e88"


def checkins(app):
    with app.app_context():
        return list(get_db()["checkins"].rows_where(order_by="user_id, day"))


def requests_recorded(app):
    with app.app_context():
        return list(get_db()["checkin_requests"].rows_where(order_by="id"))


def send(client, headers=JSON, **data):
    """A check-in as the device's script sends it."""
    return client.post("/checkin", data={"date": DAY, "mood": "6", **data}, headers=headers)


def css_colour(name, dark=False):
    """The value of a custom property in style.css (light, or the dark scheme's)."""
    css = (STATIC / "style.css").read_text()
    block = css.split("@media (prefers-color-scheme: dark)")[1 if dark else 0]
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", block).group(1).lower()


# The manifest and the icons ----------------------------------------------------------------


def test_manifest_describes_an_installable_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "Afterglow" and manifest["short_name"] == "Afterglow"
    assert manifest["start_url"] == "/checkin" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["background_color"].lower() == css_colour("bg")
    assert manifest["theme_color"].lower() == css_colour("bg")


def test_manifest_icons_exist_at_their_stated_sizes(client):
    icons = client.get("/manifest.webmanifest").json["icons"]
    found = set()
    for icon in icons:
        assert icon["src"].startswith("/static/icons/") and icon["type"] == "image/png"
        path = STATIC / icon["src"].removeprefix("/static/")
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == (width, height), icon["src"]
        with client.get(icon["src"]) as response:
            assert response.status_code == 200
        for purpose in icon["purpose"].split():
            found.add((width, purpose))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= found


def test_maskable_icon_fills_its_square(client):
    # The platform cuts a maskable icon to any shape: its corners must be painted, not clear.
    with Image.open(STATIC / "icons" / "maskable-512.png") as image:
        assert image.convert("RGBA").getpixel((0, 0))[3] == 255


def test_pages_link_the_manifest_and_a_home_screen_icon(client):
    page = client.get("/auth/login").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    href = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', page).group(1)
    with Image.open(STATIC / href.removeprefix("/static/")) as image:
        assert image.size == (180, 180) and image.mode == "RGB"  # iOS shows clear pixels black


# The service worker ------------------------------------------------------------------------


def shell_list(source):
    """The URLs in sw.js's SHELL list (OFFLINE_URL stands for /offline)."""
    body = re.search(r"const SHELL = \[(.*?)\];", source, re.DOTALL).group(1)
    names = re.findall(r'"([^"]+)"|\b(OFFLINE_URL)\b', body)
    return [url or "/offline" for url, _ in names]


def test_service_worker_is_served_from_the_root_never_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_service_worker_cache_is_versioned_by_its_files(client):
    response = client.get("/sw.js")
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', response.text).group(1)
    assert "const CACHE = `afterglow-shell-${VERSION}`;" in response.text
    assert response.headers["ETag"] == f'"{version}"'


def test_service_worker_version_changes_with_the_shell(app, client, monkeypatch):
    before = client.get("/sw.js").headers["ETag"]
    real = Path.read_bytes

    def edited(path):
        data = real(path)
        return data + b"/* edited */" if path.name == "style.css" else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert client.get("/sw.js").headers["ETag"] != before


def test_service_worker_version_follows_the_offline_page_a_restart_brings(client, monkeypatch):
    # An upgrade puts the release on disk, then restarts (docs/OPERATIONS.md). A phone that
    # asked for the worker in between stored the offline page the old process still renders;
    # after the restart, with the new crisis line on the page, the version must move again, or
    # the phone keeps the old number offline until some later release.
    from journal import crisis

    real = Path.read_bytes

    def on_disk(path):  # the release's crisis.py, on disk before the restart
        data = real(path)
        return data.replace(b"741741", b"999999") if path.name == "crisis.py" else data

    monkeypatch.setattr(Path, "read_bytes", on_disk)
    between = client.get("/sw.js").headers["ETag"]
    assert b"741741" in client.get("/offline").data  # what a phone stored meanwhile
    new = [{**r, "detail": r["detail"].replace("741741", "999999")} for r in crisis.RESOURCES]
    monkeypatch.setattr(crisis, "RESOURCES", new)  # the restarted process
    assert b"999999" in client.get("/offline").data
    assert client.get("/sw.js").headers["ETag"] != between


SHELL_ALLOWED = re.compile(r"^(/static/[\w./-]+|/offline|/manifest\.webmanifest)$")


def test_precache_list_holds_no_page_with_health_data(client, patient):
    send(client, reflection="a private sentence about the session")
    shell = shell_list(client.get("/sw.js").text)
    assert "/offline" in shell and "/static/style.css" in shell and "/static/app.js" in shell
    for url in shell:
        assert SHELL_ALLOWED.match(url), url
        with client.get(url) as response:  # signed in, with a check-in saved
            assert response.status_code == 200, url
            assert b"a private sentence" not in response.data
            assert b"pat@example.com" not in response.data
            assert response.headers.get("Cache-Control") != "no-store", url


def test_every_script_module_is_precached_so_the_offline_page_runs(client):
    # app.js imports the others: one missing from the list would break the script offline.
    shell = set(shell_list(client.get("/sw.js").text))
    modules = {f"/static/{p.name}" for p in STATIC.glob("*.js") if p.name != "sw.js"}
    assert len(modules) > 1 and modules <= shell
    for module in modules - {"/static/app.js"}:  # and each is reached from app.js
        name = module.rsplit("/", 1)[1]
        assert any(f'"./{name}"' in p.read_text() for p in STATIC.glob("*.js")), name


def test_service_worker_stores_only_static_files_and_never_posts():
    source = (STATIC / "sw.js").read_text()
    # One place puts anything in a cache, guarded by the static-files test...
    assert source.count("cache.put(") == 1
    assert re.search(r'startsWith\("/static/"\)', source)
    # ...and POSTs are left alone before anything else happens.
    assert 'if (request.method !== "GET") return;' in source


# The offline page --------------------------------------------------------------------------


def test_offline_page_is_calm_and_keeps_help_in_reach(client):
    response = client.get("/offline")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    text = re.sub(r"\s+", " ", response.text)
    assert "You're offline. Check-ins you save on the check-in page are kept on this device" in (
        text.replace("&#39;", "'")
    )
    assert 'class="help-now"' in text and "Get help now" in text
    assert 'href="tel:988"' in text and 'href="tel:911"' in text
    assert 'role="status"' in text


def test_offline_page_holds_nothing_of_the_signed_in_person(client, auth):
    auth.register(display_name="Robin Example")
    saved = client.post(
        "/settings", data={"timezone": "UTC", "window_days": "7", "clinic_phone": "555 0100"}
    )
    assert saved.status_code == 302
    assert "555 0100" in client.get("/help").text  # the real help page offers it...
    html = client.get("/offline").text
    assert "555 0100" not in html  # ...the page kept on the device does not
    assert "Robin Example" not in html and "pat@example.com" not in html
    assert "csrf_token" not in html and "Log out" not in html
    assert 'aria-label="Main"' not in html  # no navigation either


def test_offline_page_has_a_hidden_check_in_form_for_the_script(client):
    html = client.get("/offline").text
    form = re.search(r"<form [^>]*data-offline-checkin[^>]*>.*?</form>", html, re.DOTALL)
    assert form is not None
    opening = form.group(0).split(">", 1)[0]
    assert " hidden" in opening and "method=" not in opening  # only the script sends it
    for name in ("date", "mood", "reflection", "private", "self_harm"):
        assert f'name="{name}"' in form.group(0)
    assert "data-queue-owner" not in html and "checked" not in form.group(0)


def signed_in_here(html):
    """The data attributes of the layout's log-out form, by name."""
    form = re.search(r'<form method="post" action="/auth/logout" class="logout"([^>]*)>', html)
    assert form, "no log-out form"
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', form.group(1)))


def until_from_now(attrs):
    return datetime.fromtimestamp(int(attrs["signed-in-until"]) / 1000, UTC) - clock.now()


def test_every_patient_page_tells_the_script_who_is_signed_in_and_until_when(client, auth):
    auth.register()
    for path in ("/checkin", "/entries", "/progress", "/settings"):
        attrs = signed_in_here(client.get(path).text)
        assert len(attrs["queue-owner"]) == 24 and attrs["private-default"] == "0"
        assert timedelta(minutes=29) < until_from_now(attrs) <= timedelta(minutes=30)  # idle
    settings = {"timezone": "UTC", "window_days": "7", "clinic_phone": ""}
    settings["private_by_default"] = "y"
    assert client.post("/settings", data=settings).status_code == 302
    assert signed_in_here(client.get("/entries").text)["private-default"] == "1"


def test_kept_signed_in_lasts_as_long_as_the_remember_me_cookie(client, auth):
    auth.register()
    auth.logout()
    auth.login(remember="y")
    attrs = signed_in_here(client.get("/entries").text)
    assert timedelta(days=29, hours=23) < until_from_now(attrs) <= timedelta(days=30)


def test_a_remember_me_cookie_left_from_an_earlier_sign_in_does_not_count(app, client, auth):
    auth.register()
    auth.logout()
    auth.login(remember="y")
    stale = client.get_cookie("remember_token").value
    with app.app_context():  # the password changed on another device
        get_db().execute("delete from signins")
        get_db().conn.commit()
    assert client.get("/entries").status_code == 302  # signed out here too
    assert client.get_cookie("remember_token") is None  # and the dead cookie cleared
    auth.login()  # again, without "Keep me signed in"; a stale copy is still sent
    client.set_cookie("remember_token", stale)
    attrs = signed_in_here(client.get("/entries").text)
    assert until_from_now(attrs) <= timedelta(minutes=30)  # the idle timeout, not 30 days


def test_a_therapist_page_leaves_no_queue_tag(client, auth):
    auth.register(email="t@example.com", role="therapist")
    assert signed_in_here(client.get("/caseload").text) == {}


def test_offline_page_leaves_a_pending_message_for_the_next_page(client, patient):
    response = send(client, headers={})
    assert response.status_code == 302
    assert "Saved your check-in" not in client.get("/offline").text
    assert "Saved your check-in" in client.get(response.location).text


# Idempotency keys --------------------------------------------------------------------------


def test_same_key_twice_saves_once_and_the_second_changes_nothing(app, client, patient):
    first = send(client, idempotency_key=KEY, reflection="first words", tags="walk")
    assert first.status_code == 200
    assert first.json == {"status": "saved", "day": DAY}
    (row,) = checkins(app)

    second = send(client, idempotency_key=KEY, mood="2", reflection="other words", self_harm="y")
    assert second.status_code == 200
    assert second.json == {"status": "duplicate", "day": DAY}
    assert checkins(app) == [row]
    assert len(requests_recorded(app)) == 1


def test_replay_with_a_body_that_no_longer_validates_is_still_a_duplicate(app, client, patient):
    assert send(client, idempotency_key=KEY).json["status"] == "saved"
    rows = checkins(app)
    again = client.post("/checkin", data={"idempotency_key": KEY, "mood": "99"}, headers=JSON)
    assert again.json == {"status": "duplicate", "day": DAY}
    assert checkins(app) == rows


def test_replayed_form_post_redirects_as_before(app, client, patient):
    first = send(client, headers={}, idempotency_key=KEY)
    assert first.status_code == 302
    rows = checkins(app)
    second = send(client, headers={}, idempotency_key=KEY, mood="9")
    assert second.status_code == 302 and second.location == first.location
    assert checkins(app) == rows


def test_a_key_reused_by_another_person_is_theirs_alone(app):
    one, two = app.test_client(), app.test_client()
    AuthActions(one).register(email="one@example.com")
    AuthActions(two).register(email="two@example.com")
    assert send(one, idempotency_key=KEY, mood="3").json["status"] == "saved"
    assert send(two, idempotency_key=KEY, mood="8").json["status"] == "saved"
    assert sorted(r["mood"] for r in checkins(app)) == [3, 8]
    assert len(requests_recorded(app)) == 2


def test_without_a_key_saving_again_updates_as_before(app, client, patient):
    assert send(client, reflection="morning").json == {"status": "saved", "day": DAY}
    assert send(client, reflection="evening").json == {"status": "updated", "day": DAY}
    (row,) = checkins(app)
    assert row["reflection"] == "morning\n\nevening"  # merged, never wiped
    assert requests_recorded(app) == []


def test_same_key_sent_at_once_saves_once(app):
    AuthActions(app.test_client()).register()
    clients = []
    for _ in range(6):
        client = app.test_client()
        AuthActions(client).login()
        clients.append(client)
    start = threading.Barrier(len(clients))
    answers = []

    def go(client):
        start.wait()
        answers.append(send(client, idempotency_key=KEY, reflection="once").json["status"])

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == ["duplicate"] * 5 + ["saved"]
    (row,) = checkins(app)
    assert row["reflection"] == "once"


# saved_at: a late delivery never overwrites a newer entry ------------------------------------


def set_updated_at(app, when):
    """The stored check-in as written (and saved) at `when`."""
    with app.app_context():
        get_db().execute("update checkins set updated_at = ?, written_at = ?", [when, when])


def test_a_self_harm_answer_added_to_a_row_from_before_written_at_keeps_when_it_was_written(
    app, client, patient
):
    """A stored check-in from before `written_at` was kept (its updated_at stands in, an
    hour ago); an older queued one adds its self-harm "yes" (updated_at: now). A queued
    check-in written half an hour ago is still the newer one, and replaces its answers."""
    now = clock.now()
    send(client, headers={}, mood="5")
    with app.app_context():
        get_db().execute(
            "update checkins set written_at = null, updated_at = ?",
            [(now - timedelta(hours=1)).isoformat()],
        )
    older = {"saved_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert send(client, mood="4", self_harm="y", idempotency_key="a" * 16, **older).json == {
        "status": "kept-newer",
        "day": DAY,
    }
    newer = {"saved_at": (now - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    answer = send(client, mood="8", loaded_for=DAY, idempotency_key="b" * 16, **newer)
    assert answer.json["status"] != "kept-newer", answer.json
    ((mood, written),) = [(row["mood"], row["written_at"]) for row in checkins(app)]
    assert mood == 8 and written.startswith(
        (now - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    )


def test_older_queued_checkin_keeps_the_newer_entry_untouched(app, client, patient):
    client.post("/settings/symptoms", data={"name": "Pain"})
    send(client, headers={}, mood="8", reflection="newer words", tags="walk", symptom_1="3")
    set_updated_at(app, "2026-01-02T10:00:00+00:00")
    (before,) = checkins(app)
    with app.app_context():
        scores = list(get_db()["symptom_scores"].rows)

    answer = send(
        client,
        idempotency_key=KEY,
        saved_at="2026-01-02T09:59:59.999Z",
        mood="2",
        reflection="older words",
        tags="stress",
        self_harm="y",
        symptom_1="9",
    )
    assert answer.status_code == 200
    assert answer.json == {"status": "kept-newer", "day": DAY}
    # Nothing of the older entry is taken but its self-harm "yes": a safety answer is never
    # dropped (it flags the day for the therapist). Before, it was lost with the rest.
    # The row did change, so its updated_at is the server's now: a therapist who reviewed the
    # day before sees it flagged again (tests/test_caseload_review.py).
    (after,) = checkins(app)
    assert after == {**before, "self_harm": 1, "updated_at": clock.utcnow_iso()}
    with app.app_context():
        assert list(get_db()["symptom_scores"].rows) == scores
    # The answer is recorded: sending it again answers the same, still changing nothing. (It
    # answered "duplicate", which the device takes as sent: when the first answer was lost on
    # the way, the phone dropped the words and said "Sent".)
    assert send(client, idempotency_key=KEY, saved_at="2026-01-02T09:59:59Z").json == {
        "status": "kept-newer",
        "day": DAY,
    }
    assert checkins(app) == [after]


def test_an_older_queued_self_harm_answer_flags_the_kept_newer_day(app, client, patient):
    """The kept-newer check-in stays as it is, but the older one's self-harm "yes" reaches the
    therapist's flags; an older "no" (unticked) changes nothing."""
    from journal.access import flagged_days

    send(client, headers={}, mood="6", reflection="newer words")
    set_updated_at(app, "2026-01-02T10:00:00+00:00")
    older = {"saved_at": "2026-01-02T06:00:00Z", "mood": "5", "reflection": "older"}
    assert send(client, idempotency_key="k-no", **older).json["status"] == "kept-newer"
    assert checkins(app)[0]["self_harm"] is None
    answer = send(client, idempotency_key="k-yes", self_harm="y", **older)
    assert answer.json["status"] == "kept-newer"
    (row,) = checkins(app)
    assert (row["mood"], row["reflection"], row["self_harm"]) == (6, "newer words", 1)
    with app.test_request_context():
        days = flagged_days(1)
    assert [day["day"] for day in days] == [DAY]


def test_a_kept_newer_answer_says_when_the_self_harm_answer_was_added(app, client, patient):
    """Sent without asking for JSON (the form's own Save, script or not), the message said the
    newer check-in "was kept as it is" though the older one's self-harm answer was added."""
    send(client, headers={}, mood="6", reflection="newer words")
    set_updated_at(app, "2026-01-02T10:00:00+00:00")
    older = {"saved_at": "2026-01-02T06:00:00Z", "mood": "5"}
    answer = send(client, headers={}, idempotency_key="k-1", self_harm="y", **older)
    page = client.get(answer.location).text
    assert "your answer about thoughts of harming yourself was added to it" in page
    assert 'id="crisis-resources"' in page
    answer = send(client, headers={}, idempotency_key="k-2", **older)
    assert "it was kept as it is" in client.get(answer.location).text


def test_a_queued_checkin_sent_as_a_json_body_is_checked_the_same(app, client, patient):
    # The key and saved_at were read from form bodies only: a JSON body overwrote the newer
    # entry, and again on every resend.
    send(client, headers={}, mood="8", reflection="newer")
    set_updated_at(app, "2026-01-02T10:00:00+00:00")
    (before,) = checkins(app)
    body = {"date": DAY, "mood": "2", "reflection": "older", "idempotency_key": KEY,
            "saved_at": "2026-01-02T09:00:00Z"}  # fmt: skip
    for status in ("kept-newer", "kept-newer"):  # the second as the first: see above
        answer = client.post("/checkin", json=body, headers=JSON)
        assert answer.json == {"status": status, "day": DAY}
    assert checkins(app) == [before]
    for bad in ({"idempotency_key": "bad key!!"}, {"saved_at": "yesterday"}):
        answer = client.post("/checkin", json={**body, **bad}, headers=JSON)
        assert answer.status_code == 400 and set(answer.json["errors"]) == set(bad)
    assert checkins(app) == [before]


def test_same_second_counts_as_newer(app, client, patient):
    # Stored times have whole seconds: a tie is not proof the queued one is newer.
    send(client, headers={}, mood="8")
    set_updated_at(app, "2026-01-02T10:00:00+00:00")
    answer = send(client, saved_at="2026-01-02T10:00:00.500Z", mood="2")
    assert answer.json["status"] == "kept-newer"
    assert checkins(app)[0]["mood"] == 8


def test_queued_checkin_saved_after_the_stored_one_is_applied(app, client, patient):
    send(client, headers={}, mood="8", reflection="morning")
    set_updated_at(app, "2026-01-02T10:00:00+00:00")
    answer = send(
        client,
        idempotency_key=KEY,
        saved_at="2026-01-02T10:00:01+00:00",
        mood="5",
        reflection="later",
    )
    assert answer.json == {"status": "updated", "day": DAY}
    (row,) = checkins(app)
    assert (row["mood"], row["reflection"]) == (5, "morning\n\nlater")


def test_a_late_delivery_is_compared_with_when_the_stored_one_was_written(app, client, patient):
    # A phone's check-in written at noon reaches the server at 13:30; a tablet's written at
    # 13:00 arrives after it. The tablet's is newer, though it arrives later than the phone's
    # was received: it is added (its words below, its mood), not refused as older.
    def at(minutes):
        return (NOW + timedelta(minutes=minutes)).isoformat()

    app.config["IDLE_MINUTES"] = 0  # the clock moves on; the sign-in stays
    clock.set(NOW + timedelta(minutes=90))
    phone = send(client, idempotency_key="phone-key-0001", saved_at=at(0), mood="3",
                 reflection="from the phone")  # fmt: skip
    assert phone.json["status"] == "saved"
    clock.set(NOW + timedelta(minutes=100))
    tablet = send(client, idempotency_key="tablet-key-001", saved_at=at(60), mood="7",
                  reflection="from the tablet")  # fmt: skip
    assert tablet.json["status"] == "updated"
    (row,) = checkins(app)
    assert (row["mood"], row["reflection"]) == (7, "from the phone\n\nfrom the tablet")
    # Older than both: kept out; a phone clock running ahead counts as now, never later.
    late = send(client, idempotency_key="late-key-00001", saved_at=at(-60), mood="1")
    assert late.json["status"] == "kept-newer"
    ahead = send(client, idempotency_key="ahead-key-0001", saved_at=at(24 * 60), mood="8")
    assert ahead.json["status"] == "updated"
    written = datetime.fromisoformat(checkins(app)[0]["written_at"])
    assert written == NOW + timedelta(minutes=100)


def test_a_phone_clock_a_day_off_is_measured_when_it_sends(app, client, patient):
    """A phone whose clock runs a day ahead (or behind) sends its own time with the queue
    (`sent_at`): the time it wrote a check-in is read on the server's clock. Its check-in
    written before the tablet's was applied over it (a day "later"); one written after it,
    on a phone a day behind, was kept out as older."""

    def at(minutes, days=0):
        return (NOW + timedelta(days=days, minutes=minutes)).isoformat()

    app.config["IDLE_MINUTES"] = 0  # the clock moves on; the sign-in stays
    clock.set(NOW + timedelta(minutes=60))
    tablet = send(client, idempotency_key="tablet-key-001", saved_at=at(30), mood="7",
                  reflection="from the tablet")  # fmt: skip
    assert tablet.json["status"] == "saved"
    clock.set(NOW + timedelta(minutes=90))
    ahead = send(client, idempotency_key="ahead-key-0001", saved_at=at(0, days=1),
                 sent_at=at(90, days=1), mood="2", reflection="phone ahead")  # fmt: skip
    assert ahead.json["status"] == "kept-newer"
    behind = send(client, idempotency_key="behind-key-001", saved_at=at(45, days=-1),
                  sent_at=at(90, days=-1), mood="5", reflection="phone behind")  # fmt: skip
    assert behind.json["status"] == "updated"
    (row,) = checkins(app)
    assert (row["mood"], row["reflection"]) == (5, "from the tablet\n\nphone behind")
    written = datetime.fromisoformat(row["written_at"])
    assert written == NOW + timedelta(minutes=45)


def test_a_bad_sent_at_is_refused_and_saves_nothing(app, client, patient):
    answer = send(client, idempotency_key=KEY, saved_at="2026-01-02T10:00:00Z", sent_at="soon")
    assert answer.status_code == 400
    assert "sent_at" in answer.json["errors"]
    assert checkins(app) == []


def test_queued_checkin_for_an_empty_day_is_saved(app, client, patient):
    answer = send(client, idempotency_key=KEY, saved_at="2026-01-02T10:00:00Z", mood="4")
    assert answer.json == {"status": "saved", "day": DAY}
    assert [r["mood"] for r in checkins(app)] == [4]


def test_only_a_live_save_leaves_the_next_page_its_message_and_crisis_resources(
    app, client, patient
):
    queued = send(client, idempotency_key=KEY, saved_at="2026-01-02T10:00:00Z", mood="1")
    assert queued.json["status"] == "saved"
    page = client.get(f"/entries/{DAY}").text
    assert 'id="crisis-resources"' not in page and "Saved your check-in" not in page

    live = send(client, mood="1", date=TODAY.isoformat())
    assert live.json == {"status": "saved", "day": TODAY.isoformat()}
    page = client.get(f"/entries/{TODAY.isoformat()}").text
    assert 'id="crisis-resources"' in page and "Saved your check-in" in page


# Bad input: a clear answer, nothing changed --------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("idempotency_key", "a" * 65),
        ("idempotency_key", "has space"),
        ("idempotency_key", "under_score"),
        ("idempotency_key", "ключ"),
        ("idempotency_key", "key\x00"),
        ("saved_at", "yesterday"),
        ("saved_at", "2026-01-02"),
        ("saved_at", "2026-01-02T10:00:00"),  # no time zone
        ("saved_at", "2026-01-02T10:00:00+02:00"),  # not UTC
        ("saved_at", "2026-13-02T10:00:00Z"),
        ("saved_at", "٢٠٢٦-01-02T10:00:00Z"),  # other scripts' digits
        ("saved_at", "2026-01-02T10:00:00Z" + " " * 5000),
    ],
)
def test_malformed_key_or_time_is_refused_and_nothing_stored(app, client, patient, field, value):
    data = {"idempotency_key": KEY, field: value}
    answer = send(client, **data)
    assert answer.status_code == 400
    (message,) = answer.json["errors"][field]
    assert field.split("_")[0] in message.lower()
    page = send(client, headers={}, **data)
    assert page.status_code == 400 and "Nothing was saved." in page.text
    assert checkins(app) == [] and requests_recorded(app) == []


def test_bad_mood_answers_json_errors_and_a_corrected_retry_works(app, client, patient):
    answer = send(client, idempotency_key=KEY, mood="11", reflection="kept on the device")
    assert answer.status_code == 400
    assert answer.json == {"errors": {"mood": ["Choose a whole number from 0 to 10."]}}
    assert checkins(app) == [] and requests_recorded(app) == []

    missing = client.post("/checkin", data={"date": DAY, "idempotency_key": KEY}, headers=JSON)
    assert missing.json == {"errors": {"mood": ["Choose your mood, from 0 to 10."]}}

    fixed = send(client, idempotency_key=KEY, mood="7")
    assert fixed.json == {"status": "saved", "day": DAY}
    assert [r["mood"] for r in checkins(app)] == [7]


def test_plain_form_post_with_bad_input_still_shows_the_form(client, patient):
    response = send(client, headers={}, idempotency_key=KEY, mood="")
    assert response.status_code == 400
    assert 'id="mood-error">Choose your mood, from 0 to 10.<' in response.text
    assert response.mimetype == "text/html"


def test_oversized_submission_is_413_and_nothing_stored(app, client, patient):
    huge = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    answer = send(client, idempotency_key=KEY, reflection=huge)
    assert answer.status_code == 413
    assert checkins(app) == [] and requests_recorded(app) == []
    assert send(client, idempotency_key=KEY).json["status"] == "saved"


def test_not_signed_in_sends_nothing(app, client):
    answer = send(client, idempotency_key=KEY)
    assert answer.status_code == 302 and "/auth/login" in answer.location
    assert checkins(app) == []


def test_csrf_token_is_still_required(secure):
    app, client = secure
    answer = send(client, idempotency_key=KEY)
    assert answer.status_code == 400
    assert list(answer.json["errors"]) == ["csrf_token"]
    assert checkins(app) == [] and requests_recorded(app) == []

    token = csrf_token(client.get("/checkin"))
    assert send(client, idempotency_key=KEY, csrf_token=token).json["status"] == "saved"
    assert len(checkins(app)) == 1


# The device's queue is tagged with its writer ------------------------------------------------


def owner_tag(client):
    html = client.get("/checkin").text
    return re.search(r'data-queue-owner="([0-9a-f]{24})"', html).group(1)


def test_checkin_form_carries_a_stable_tag_per_person(app):
    one, two = app.test_client(), app.test_client()
    AuthActions(one).register(email="one@example.com")
    AuthActions(two).register(email="two@example.com")
    assert owner_tag(one) == owner_tag(one)
    assert owner_tag(one) != owner_tag(two)


# The offline form's offer ends when the server-side sign-in does (journal/people.py load_user).


def move_sign_in(app, sql, *args):
    with app.app_context():
        get_db().execute(sql, args)
        get_db().conn.commit()


def server_end(app):
    """When the server would end this client's sign-in: (expires_at, seen_at + idle, remember)."""
    with app.app_context():
        expires, seen, remember = (
            get_db().execute("select expires_at, seen_at, remember from signins").fetchone()
        )
    return expires, seen + app.config["IDLE_MINUTES"] * 60, remember


@pytest.mark.parametrize(
    ("remember", "sql", "ends_at"),
    [
        # Seen 50 s ago: the server does not write seen_at again yet, and ends it 30 minutes
        # after that, not after this page.
        ("", "update signins set seen_at = seen_at - 50", "idle"),
        # Kept signed in, with five minutes left: it ends then, not 30 minutes from now.
        ("y", "update signins set expires_at = seen_at + 300", "expires"),
        # Not kept, but its 30 days are nearly up (IDLE_MINUTES would outlast them).
        ("", "update signins set expires_at = seen_at + 300", "expires"),
    ],
)
def test_the_offline_form_is_offered_until_the_server_ends_the_sign_in(
    app, client, auth, remember, sql, ends_at
):
    auth.register()
    auth.logout()
    auth.login(remember=remember)
    move_sign_in(app, sql)
    attrs = signed_in_here(client.get("/entries").text)
    expires, idle_end, _ = server_end(app)
    expected = expires if ends_at == "expires" else min(expires, idle_end)
    assert abs(int(attrs["signed-in-until"]) / 1000 - expected) < 1


def test_a_kept_newer_answer_sent_again_never_says_its_self_harm_answer_was_dropped(
    app, client, patient
):
    """Sent again under its key (the first answer lost), the check-in whose self-harm answer
    was added to the kept newer one was told "it was kept as it is": not so, the day is flagged."""
    send(client, headers={}, mood="6", reflection="newer words")
    set_updated_at(app, "2026-01-02T10:00:00+00:00")
    older = {"saved_at": "2026-01-02T06:00:00Z", "mood": "5"}
    send(client, headers={}, idempotency_key="k-1", self_harm="y", **older)
    again = send(client, headers={}, idempotency_key="k-1", self_harm="y", **older)
    page = client.get(again.location).text
    assert "kept as it is" not in page
    assert "This check-in was sent before, and a newer one" in page
    assert 'id="crisis-resources"' in page


@pytest.mark.parametrize("then", ["deleted", "saved again without it"])
def test_crisis_resources_asked_for_a_check_in_never_show_on_a_later_one_of_its_day(
    app, client, patient, then
):
    """A self-harm answer saved by the script (its page not opened: Back, the tab closed)
    left the next page of that day asked to show the crisis resources; the check-in deleted,
    or saved again without it, a later mood-7 check-in of the day showed them."""
    send(client, self_harm="y")
    if then == "deleted":
        assert client.post(f"/entries/{DAY}/delete").status_code == 302
        sent = client.post("/checkin", data={"date": DAY, "mood": "7"})
    else:
        sent = client.post(f"/entries/{DAY}/edit", data={"mood": "7"})
    assert sent.status_code == 302
    page = client.get(sent.location).text
    assert 'id="crisis-resources"' not in page
