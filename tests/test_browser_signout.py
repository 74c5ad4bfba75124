"""Signing out, erasing the account, and the next person on the same browser, in real Chromium.

Debian's Chromium through Playwright at 390 x 844 against the live gunicorn server from
conftest.py. After a log-out or an erased account, nothing of the first person may be shown by
the Back button or stay on the device (check-ins kept for sending, the note of who is signed
in, cached charts) for whoever signs in next.
"""

import re

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect
from test_browser import check_in, log_in, log_session, register, sign_up
from test_browser_offline import controlled, log_in_on, offline_form, save_offline

pytestmark = pytest.mark.browser

SECRET = "Words only the first person wrote"


def log_out(page):
    """Log out from the footer, saying yes if asked to delete check-ins the server has not
    taken (static/sign-out.js)."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("contentinfo").get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(re.compile(r"/auth/login"))


def delete_account(page):
    page.goto("/settings/delete")
    page.get_by_label("Your password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Delete my account and all my data").tap()
    expect(page.get_by_role("heading", name=re.compile("erased"))).to_be_visible()
    page.locator("[data-forgotten]").wait_for(state="attached")  # the page's script is done


def first_persons_pages(page):
    """A patient with a check-in and a session holding SECRET; the pages that show them."""
    day = check_in(page, 6, reflection=SECRET)
    log_session(page, reflection=SECRET)
    session = page.url
    return [f"/entries/{day}", f"/entries/{day}/edit", "/entries", session, session + "/edit",
            "/sessions", "/progress", "/checkin"]  # fmt: skip


def test_every_page_with_health_data_is_no_store_and_back_shows_none_after_log_out(page):
    register(page)
    pages = first_persons_pages(page)
    documents = []
    page.on("response", lambda r: r.request.resource_type == "document" and documents.append(r))
    shown = [url for url in pages if page.goto(url) and SECRET in page.content()]
    assert len(shown) >= 4 and len(documents) >= len(pages)
    for response in documents:
        assert "no-store" in response.headers.get("cache-control", ""), response.url
    log_out(page)
    for _ in pages:  # Back, through everything seen signed in: never the person's data again
        page.go_back()
        page.wait_for_load_state("load")
        assert SECRET not in page.content(), page.url
        if page.url.endswith("about:blank"):
            break
    page.goto("/auth/login")
    for _ in range(3):
        page.go_forward()
        page.wait_for_load_state("load")
        assert SECRET not in page.content(), page.url


PUT_ON_THE_DEVICE = """async (entry) => {
  // A check-in kept on this device (the page's own queue, static/checkin-store.js): `entry`,
  // its owner "" meaning the person signed in on this page. Answers the owner.
  entry.owner = entry.owner || document.querySelector("form.logout").dataset.queueOwner;
  entry.key = entry.key || "k-" + entry.owner;
  entry.saved_at = new Date().toISOString();
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("afterglow", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("checkins", {keyPath: "key"});
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  await new Promise((resolve) => {
    const tx = db.transaction("checkins", "readwrite");
    tx.objectStore("checkins").put(entry);
    tx.oncomplete = resolve;
  });
  db.close();
  return entry.owner;
}"""


def keep_on_the_device(page, mood, words, state, owner="", **more):
    """Put a check-in of 30 Nov in the page's queue on the device, in `state` ("refused",
    "waiting"), for `owner` (the person signed in on the page when ""): the owner."""
    entry = {
        "owner": owner,
        "fields": [["mood", str(mood)], ["reflection", words]],
        "day": "2026-11-30",
        "mood": str(mood),
        "reflection": words,
        "state": state,
        **more,
    }
    return page.evaluate(PUT_ON_THE_DEVICE, entry)


ON_THE_DEVICE = """async (chartUrl) => {
  const entries = await new Promise((resolve) => {
    const request = indexedDB.open("afterglow", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("checkins", {keyPath: "key"});
    request.onsuccess = () => {
      const all = request.result.transaction("checkins").objectStore("checkins").getAll();
      all.onsuccess = () => { resolve(all.result); request.result.close(); };
    };
  });
  const cached = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) cached.push(request.url);
  }
  let chart = null;
  try {
    const response = await fetch(chartUrl, {cache: "only-if-cached", mode: "same-origin"});
    chart = response.ok ? await response.text() : null;
  } catch {}
  return {entries, storage: {...localStorage}, cached, chart};
}"""


@pytest.mark.parametrize("leave", [log_out, delete_account], ids=["log out", "delete account"])
def test_nothing_of_the_first_person_stays_for_the_next_one(page, context, leave):
    register(page)
    controlled(page)
    first_persons_pages(page)
    page.goto("/progress")
    chart = page.locator("#mood-timeline img").get_attribute("src")
    page.evaluate("(url) => fetch(url).then((r) => r.text())", chart)  # as the page shows it
    owner = keep_on_the_device(page, 2, SECRET, "refused", message="Too long.")
    before = page.evaluate(ON_THE_DEVICE, chart)
    assert [e["owner"] for e in before["entries"]] == [owner]  # the test sees what it checks
    assert owner in before["storage"]["afterglow-signed-in"]
    assert before["chart"] is not None  # the chart /progress showed, in the browser's cache
    leave(page)
    for when in ("left", "next person signed in"):
        left = page.evaluate(ON_THE_DEVICE, chart)
        assert [e for e in left["entries"] if e["owner"] == owner] == [], when
        assert SECRET not in str(left), when
        assert owner not in str(left["storage"]), when  # the next person's own note only
        assert all(re.search(r"/static/|/offline$|/manifest", url) for url in left["cached"]), when
        assert left["chart"] is None, when
        if when == "left":
            context.set_offline(True)
            page.goto("/checkin")
            expect(page.get_by_role("heading", name="No connection")).to_be_visible()
            expect(offline_form(page)).to_be_hidden()
            context.set_offline(False)
            register(page)
    expect(page.get_by_role("region", name="Check-ins on this device")).to_be_hidden()


def test_words_open_in_another_tab_are_not_kept_again_after_logging_out(page, context):
    """Logging out deletes what the person was writing, but leaving a tab where they had typed
    (its box losing the focus counts as a change) wrote the words back onto the device, for
    whoever signs in next to find in its storage."""
    register(page)
    page.goto("/sessions/new")
    page.get_by_text("Weight, clinic and intention").tap()
    page.get_by_label("Your intention").fill(SECRET)
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    other = context.new_page()
    other.goto("/entries")
    log_out(other)
    assert page.evaluate("localStorage.getItem('afterglow-drafts')") is None
    page.goto("/auth/login")  # the first tab, left
    register(page)  # the next person
    assert SECRET not in str(page.evaluate("({...localStorage})"))


def test_words_saved_in_another_tab_after_logging_out_are_not_kept(page, context):
    """Save tapped in a tab left open after logging out in another: the journal sends it to
    the log-in page, and the Save had written the words back onto the device, held there for
    a day for whoever signs in next to find in its storage (a Save after an idle sign-out,
    which leaves the note of who was signed in, still keeps them for their writer)."""
    register(page)
    page.goto("/sessions/new")
    page.get_by_text("Weight, clinic and intention").tap()
    page.get_by_label("Your intention").fill(SECRET)
    other = context.new_page()
    other.goto("/entries")
    log_out(other)
    page.get_by_role("button", name="Save session").tap()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.wait_for_load_state("load")
    assert SECRET not in str(page.evaluate("({...localStorage})"))


def test_log_out_on_a_page_from_before_a_newer_sign_in_still_logs_out(page, context):
    """A tab left open while the person signed out and in again in another tab (or after the
    idle timeout) holds the older sign-in's token: its Log out answered "This form has
    expired" and left them signed in on a phone they were about to hand on."""
    email = register(page)
    page.goto("/entries")
    other = context.new_page()
    other.goto("/entries")
    log_out(other)
    log_in(other, email)
    expect(other).to_have_url(re.compile(r"/checkin$"))
    log_out(page)  # the first tab's button, on its page from before
    other.goto("/entries")
    expect(other).to_have_url(re.compile(r"/auth/login"))


def test_another_sites_log_out_form_leaves_the_person_signed_in(page, base_url):
    """Another site's page posting to /auth/logout: the browser keeps the session's cookie
    back (SameSite=Lax), and the answer's new session cookie replaced it, signing the person
    out while the page said "You are still signed in"."""
    register(page)
    form = f'<form method="post" action="{base_url}/auth/logout"><button>Go</button></form>'
    page.goto(f"data:text/html,{form}")
    page.get_by_role("button", name="Go").tap()
    expect(page.locator("body")).to_contain_text("This form has expired")
    page.goto(f"{base_url}/checkin")
    expect(page).to_have_url(re.compile(r"/checkin$"))


def test_a_save_from_a_page_of_before_someone_else_signed_in_goes_nowhere(page, context):
    """A session written in a tab left open while its writer was signed out and someone else
    signed in, in another tab: its Save reached the journal as the other person's, came back
    on their page ("This form has expired ... send it again") with the first person's words,
    and sending it again filed that session in the other person's journal."""
    register(page)
    first = context.new_page()
    first.goto("/sessions/new")
    log_out(page)
    register(page)  # the next person, in the other tab
    first.get_by_text("Esketamine (Spravato)").tap()
    first.get_by_label("How it was given").select_option("intranasal")
    first.get_by_text("Weight, clinic and intention").tap()
    first.get_by_label("Your intention").fill(SECRET)
    told = first.get_by_role("alert").filter(has_text="Someone else has signed in")
    for _ in range(2):  # and again, as a refused form asks
        first.get_by_role("button", name="Save session").tap()
        expect(told).to_be_visible()
    expect(first).to_have_url(re.compile(r"/sessions/new$"))
    page.goto("/sessions")
    expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
    assert SECRET not in page.content()
    assert SECRET not in str(page.evaluate("({...localStorage})"))


def test_a_therapist_code_from_a_page_of_before_someone_else_signed_in_links_nobody(
    page, context, browser, browser_context_args
):
    """The first person's "Your therapist" page, left open with their therapist's code typed,
    while someone else signed in in another tab: Link answered "This form has expired ...
    send it again" on the other person's page, and sending it again linked the other person
    to the first one's therapist, who then saw their journal."""
    doc = browser.new_context(**browser_context_args).new_page()
    try:
        sign_up(doc, therapist=True)
        code = doc.locator("#invite-code").inner_text()
    finally:
        doc.context.close()
    register(page)
    first = context.new_page()
    first.goto("/settings/therapist")
    log_out(page)
    register(page)  # the next person, in the other tab
    first.get_by_label("Invite code from your therapist").fill(code)
    told = first.get_by_role("alert").filter(has_text="Someone else has signed in")
    for _ in range(2):
        first.get_by_role("button", name="Link").tap()
        expect(told).to_be_visible()
    page.goto("/settings/therapist")
    expect(page.get_by_text("You are not linked to a therapist.")).to_be_visible()


def test_delete_tapped_twice_on_a_slow_connection_says_erased_and_forgets(page):
    """Two taps 250 ms apart on a 700 ms connection: the second sending, its sign-in erased
    with the account by the first, went to the log-in page, and the device kept the person's
    drafts and queued check-ins."""
    sign_up(page)
    page.goto("/settings/delete")
    page.get_by_label("Your password", exact=True).fill(PASSWORD)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 700, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.evaluate(
        """() => {
          const button = document.querySelector("button.danger");
          button.click();
          setTimeout(() => button.click(), 250);
        }"""
    )
    expect(page.get_by_role("heading", name=re.compile("erased"))).to_be_visible(timeout=15000)
    page.locator("[data-forgotten]").wait_for(state="attached")
    assert "/auth/login" not in page.url


def test_an_account_deleted_on_another_phone_leaves_nothing_of_it_on_this_one(
    page, context, browser, browser_context_args
):
    """The person deleted their account on phone A. Phone B, signed in with check-ins written
    offline waiting on it and a draft of a session, came back online and was sent to log in:
    the check-ins and the words stayed on phone B for whoever used it next, and could never
    be sent anywhere. Another person's check-in waiting on phone B stays for them."""
    email = register(page)
    controlled(page)
    owner = page.locator("form.logout").get_attribute("data-queue-owner")
    page.goto("/sessions/new")
    page.get_by_text("Weight, clinic and intention").tap()
    page.get_by_label("Your intention").fill(SECRET)
    page.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    page.goto("/checkin")
    keep_on_the_device(page, 4, "Another person's words", "waiting", owner="someone-else")
    context.set_offline(True)
    save_offline(page, 3, reflection=SECRET)
    before = page.evaluate(ON_THE_DEVICE, "/static/app.js")
    assert sorted(e["owner"] for e in before["entries"]) == sorted([owner, "someone-else"])
    assert SECRET in before["storage"]["afterglow-drafts"]
    assert owner in before["storage"]["afterglow-signed-in"]

    phone_a = browser.new_context(**browser_context_args)
    try:
        delete_account(log_in_on(phone_a, email))
    finally:
        phone_a.close()

    context.set_offline(False)
    page.goto("/checkin")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    expect(page.get_by_text(re.compile("Your account has been deleted"))).to_be_visible()
    page.locator("[data-forgotten]").wait_for(state="attached")  # the page's script is done
    left = page.evaluate(ON_THE_DEVICE, "/static/app.js")
    assert [e["owner"] for e in left["entries"]] == ["someone-else"]
    assert SECRET not in str(left)
    assert owner not in str(left["storage"])


def test_log_out_on_a_page_from_before_someone_else_signed_in_forgets_their_words(page, context):
    """A tab left on the first person's page while they logged out and someone else signed in
    in another tab: its Log out signs out whoever is signed in now, but forgot only the first
    person's drafts, so the second person's words stayed on the phone for whoever came next."""
    register(page)
    page.goto("/entries")
    other = context.new_page()
    other.goto("/entries")
    log_out(other)
    register(other)  # the next person, in the other tab
    other.goto("/sessions/new")
    other.get_by_text("Weight, clinic and intention").tap()
    other.get_by_label("Your intention").fill(SECRET)
    other.wait_for_timeout(600)  # the draft is kept 400 ms after the last key
    other.goto("/entries")
    assert SECRET in str(other.evaluate("({...localStorage})"))  # the test sees what it checks
    log_out(page)  # the first tab's button, on the first person's page
    other.goto("/entries")
    expect(other).to_have_url(re.compile(r"/auth/login"))
    assert SECRET not in str(page.evaluate("({...localStorage})"))
