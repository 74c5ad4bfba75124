"""Two-factor sign-in in real Chromium at 390 x 844, light and dark: set it up reading the
secret from the page and computing the code with pyotp, sign out, sign in with a code; axe
clean on /settings/2fa and /auth/2fa (with a wrong code's message too), no sideways scrolling.

The live server follows the real clock: the code that turned two-factor on spent the current
time step, so signing in uses the next step's code (inside the window of one step either
side), with no waiting."""

import re
import time

import pyotp
import pytest
from conftest import PASSWORD, LiveServer
from factories import invitation_on
from playwright.sync_api import expect
from test_browser import log_in_here, looks_right, register, small_links

pytestmark = pytest.mark.browser


def wrong_code(right):
    return f"{(int(right) + 1) % 1_000_000:06d}"


def test_set_up_two_factor_and_sign_in_with_a_code(page):
    found = []
    email = register(page, name="Robin")
    page.goto("/settings")
    page.get_by_role("link", name="Two-factor sign-in").tap()
    expect(page).to_have_url(re.compile(r"/settings/2fa$"))
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    looks_right(page, "settings 2fa", found)

    secret = page.locator("#secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code", exact=True).fill(wrong_code(totp.now()))
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Turn two-factor sign-in on").tap()
    expect(page.locator("#code-error")).to_contain_text("That code does not match")
    looks_right(page, "settings 2fa with a wrong code", found)

    page.get_by_label("Code", exact=True).fill(totp.now())
    page.get_by_label("Your password").fill(PASSWORD)  # never sent back in a page
    page.get_by_role("button", name="Turn two-factor sign-in on").tap()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    # Shown only now: a screen reader starts there (it began at the top of the page).
    expect(page.locator("section:has(> #codes-heading)")).to_be_focused()
    looks_right(page, "recovery codes", found)

    page.get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    log_in_here(page, email)
    expect(page).to_have_url(re.compile(r"/auth/2fa$"))
    looks_right(page, "auth 2fa", found)
    start_again = "main a:text-is('Start again with your password')"
    assert page.locator(start_again).count() == 1
    assert small_links(page, start_again) == []  # it was 19 px high

    page.get_by_label("Code", exact=True).fill("١٢٣٤٥٦")
    page.get_by_role("button", name="Sign in").tap()
    expect(page.locator("#code-error")).to_contain_text("Enter the 6-digit code")
    looks_right(page, "auth 2fa with an odd code", found)

    page.get_by_label("Code", exact=True).fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Sign in").tap()
    expect(page).to_have_url(re.compile(r"/checkin$"))
    page.goto("/settings/2fa")
    expect(page.get_by_text("Recovery codes left:")).to_contain_text("10 of 10")
    looks_right(page, "settings 2fa on", found)
    assert found == [], "\n".join(found)


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """A server of this module's own with the production default: staff need two-factor."""
    env = {"JOURNAL_REQUIRE_2FA_FOR_STAFF": "true"}
    with LiveServer(tmp_path_factory.mktemp("live-2fa"), env=env) as live:
        yield live


def test_a_new_therapist_sets_up_two_factor_before_the_caseload(
    browser, browser_context_args, strict
):
    page = browser.new_context(**{**browser_context_args, "base_url": strict.url}).new_page()
    try:
        page.goto(invitation_on(strict.database))
        page.get_by_label("Email", exact=True).fill("doc-2fa@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Create account").tap()
        expect(page).to_have_url(re.compile(r"/settings/2fa$"))
        expect(page.get_by_text("Your clinic asks staff to use two-factor sign-in")).to_be_visible()
        page.goto("/caseload")
        expect(page).to_have_url(re.compile(r"/settings/2fa$"))
        found = []
        looks_right(page, "settings 2fa for staff", found)
        assert found == [], "\n".join(found)

        secret = page.locator("#secret").inner_text().replace(" ", "")
        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
        page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_role("button", name="Turn two-factor sign-in on").tap()
        expect(page.locator("ul.recovery-codes li")).to_have_count(10)
        page.goto("/caseload")
        expect(page).to_have_url(re.compile(r"/caseload$"))
        expect(page.locator("#invite-code")).to_be_visible()
    finally:
        page.context.close()


def test_the_recovery_codes_copy_in_one_tap(page, browser, browser_context_args):
    """Ten codes shown only once, with no way to copy them but selecting each by hand on a
    phone. "Copy codes" puts them on the clipboard, one a line, and says so in the status line
    below it; without script the button is not shown and the codes are text to select."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    register(page, name="Robin")
    page.goto("/settings/2fa")
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Turn two-factor sign-in on").tap()
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    codes = page.locator("ul.recovery-codes li").all_inner_texts()
    status = page.locator("button[data-copy] + [role=status]")
    expect(status).to_have_text("")  # there before anything is said, so it is read
    page.get_by_role("button", name="Copy codes").tap()
    expect(status).to_have_text("Recovery codes copied.")
    assert page.evaluate("navigator.clipboard.readText()") == "\n".join(codes)
    expect(page.locator("button[data-copy]")).to_have_text("Copied")
    found = []
    looks_right(page, "recovery codes copied", found)
    assert found == [], "\n".join(found)

    # Without script: new codes (the form on the page), no button, the codes as text.
    plain = browser.new_context(
        **browser_context_args,
        java_script_enabled=False,
        storage_state=page.context.storage_state(),
    )
    try:
        without = plain.new_page()
        without.goto("/settings/2fa")
        without.get_by_label("Code for new recovery codes").fill(codes[0])
        without.get_by_role("button", name="Make new recovery codes").tap()
        expect(without.locator("ul.recovery-codes li")).to_have_count(10)
        expect(without.locator("button[data-copy]")).to_be_hidden()
    finally:
        plain.close()
