"""Passkeys in real Chromium (issue 9) with a virtual authenticator (the DevTools protocol's
WebAuthn domain through Playwright's CDP session): register a patient, add a passkey in
settings, log out, sign in with the passkey (no email, no password) and land signed in; axe
clean on /settings/passkeys at 390 x 844, light and dark.

WebAuthn refuses IP-address origins, so this module serves its own live server and opens it
as http://localhost:PORT (a secure context), with the relying party set through the
environment as a clinic would (JOURNAL_WEBAUTHN_RP_ID, JOURNAL_WEBAUTHN_ORIGIN)."""

import re
import uuid

import pytest
from conftest import PASSWORD, LiveServer
from playwright.sync_api import expect
from test_browser import looks_right

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def localhost(tmp_path_factory):
    """The server's address as http://localhost:PORT."""
    server = LiveServer(tmp_path_factory.mktemp("passkeys"))
    origin = f"http://localhost:{server.port}"
    server.env.update({"JOURNAL_WEBAUTHN_RP_ID": "localhost", "JOURNAL_WEBAUTHN_ORIGIN": origin})
    with server:
        yield origin, server


def virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, made["authenticatorId"]


def register_at(page, origin):
    """Sign up on screen at `origin` with a fresh email; lands on the check-in page."""
    email = f"pat-{uuid.uuid4().hex}@example.com"
    page.goto(f"{origin}/auth/register")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").tap()
    expect(page).to_have_url(re.compile(r"/checkin$"))
    return email


def log_in_at(page, origin, email):
    """Log in on screen at `origin` as `email`; lands on the check-in page."""
    page.goto(f"{origin}/auth/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/checkin$"))


def no_passkey_made(cdp, authenticator):
    """Whether the virtual authenticator holds no credential."""
    return (
        cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"] == []
    )


def test_add_a_passkey_and_sign_in_with_it(page, localhost):
    origin, server = localhost
    cdp, authenticator = virtual_authenticator(page)
    found = []

    email = register_at(page, origin)

    page.goto(f"{origin}/settings")
    page.get_by_role("link", name="Passkeys").tap()
    expect(page).to_have_url(re.compile(r"/settings/passkeys$"))
    looks_right(page, "passkeys, none yet", found)

    # A bad name is said at the field before the browser is asked for a passkey.
    page.get_by_label("Name of the passkey").fill("   ")
    page.get_by_role("button", name="Add a passkey").tap()
    expect(page.locator("[data-passkey-error]")).to_have_text(
        "Give the passkey a name, such as “My phone”."
    )
    assert no_passkey_made(cdp, authenticator)

    # Without the password, nothing is added: the browser is not asked for a passkey.
    page.get_by_label("Name of the passkey").fill("Phone 🌙")
    page.get_by_role("button", name="Add a passkey").tap()
    expect(page.locator("[data-passkey-error]")).to_have_text(
        "Enter your password to add a passkey."
    )
    expect(page.get_by_label("Your password")).to_be_focused()
    assert no_passkey_made(cdp, authenticator)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Add a passkey").tap()
    expect(page.get_by_text("Your passkey is added.")).to_be_visible()
    expect(page.locator("ul.passkeys strong")).to_have_text(["Phone 🌙"])
    looks_right(page, "passkeys, one added", found)
    (stored,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    assert stored["isResidentCredential"]
    ((name, count),) = server.query(
        "select p.name, p.sign_count from passkeys p join users u on u.id = p.user_id "
        "where u.email = ?",
        email,
    )
    assert name == "Phone 🌙"

    page.get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.get_by_label("Keep me signed in on this device").check()  # holds for a passkey too
    page.get_by_role("button", name="Sign in with a passkey").tap()
    expect(page).to_have_url(re.compile(r"/checkin$"))
    assert "remember_token" in {c["name"] for c in page.context.cookies()}
    ((used, new_count),) = server.query(
        "select p.last_used_at, p.sign_count from passkeys p join users u on u.id = p.user_id "
        "where u.email = ?",
        email,
    )
    assert used is not None and new_count >= count
    page.goto(f"{origin}/settings/activity")
    expect(page.get_by_text("Signed in with a passkey")).to_be_visible()
    assert found == []


def test_each_mistake_adding_a_passkey_is_said_at_its_field(page, localhost):
    # Both messages went to one box above the name: the password's was not said until the
    # name was put right, and then it was a screen above the field the focus went to (text
    # at 200% on a phone), tied to no field, so reaching the field again said nothing.
    origin, _ = localhost
    cdp, authenticator = virtual_authenticator(page)
    register_at(page, origin)
    page.set_viewport_size({"width": 360, "height": 780})
    page.context.new_cdp_session(page).send(
        "Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}}
    )
    page.goto(f"{origin}/settings/passkeys")
    name, password = page.get_by_label("Name of the passkey"), page.get_by_label("Your password")
    password.fill("not the password")
    page.get_by_role("button", name="Add a passkey").tap()
    expect(name).to_be_focused()
    said = {
        "name": "Give the passkey a name, such as “My phone”.",
        "password": "That is not your current password.",
    }
    for field, words in said.items():
        message = page.locator(f"#{field}").locator("xpath=preceding-sibling::*[1]")
        expect(message).to_have_text(words)
        ids = page.locator(f"#{field}").get_attribute("aria-describedby").split()
        assert ids[0] == f"{field}-hint" and ids[1] == message.get_attribute("id")
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")

    name.fill("Phone")
    page.get_by_role("button", name="Add a passkey").tap()
    expect(password).to_be_focused()
    expect(page.locator("[data-passkey-error]")).to_have_text(said["password"])
    expect(page.locator("#password-error")).to_have_count(0)  # one message, at the field
    assert name.get_attribute("aria-invalid") is None
    assert name.get_attribute("aria-describedby") == "name-hint"
    message = page.locator("[data-passkey-error]").bounding_box()
    assert message["y"] >= 0 and message["y"] + message["height"] <= 780, message
    assert no_passkey_made(cdp, authenticator)


def test_adding_a_passkey_after_the_sign_in_ended_says_so(page, localhost):
    # A sign-in that ended under the page (the idle time-out, or signed out from another
    # device) answers the page's request with a redirect to log in: read as JSON, it said
    # "the browser's request was cancelled or timed out", whatever the person tried again.
    origin, _ = localhost
    cdp, authenticator = virtual_authenticator(page)
    email = register_at(page, origin)
    page.goto(f"{origin}/settings/passkeys")
    page.get_by_label("Name of the passkey").fill("Phone")
    page.get_by_label("Your password").fill(PASSWORD)

    other = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    try:
        laptop = other.new_page()
        log_in_at(laptop, origin, email)
        laptop.goto(f"{origin}/settings/devices")
        laptop.get_by_role("button", name="Sign out everywhere else").click()
        expect(laptop.get_by_text("Every other device is signed out.")).to_be_visible()
    finally:
        other.close()

    page.get_by_role("button", name="Add a passkey").tap()
    expect(page.locator("[data-passkey-error]")).to_have_text(
        "You were signed out, so no passkey was added. Reload the page and log in, then add "
        "it again."
    )
    assert no_passkey_made(cdp, authenticator)


def test_adding_a_passkey_with_a_token_from_before_a_newer_sign_in_says_to_reload(page, localhost):
    # The passkeys page left open while the person logged out and in again in another tab:
    # the sign-in is current but the page's form token is not. The journal answered "forms
    # stop working ... reload the page" under errors.form, which the page did not read: it
    # said "That did not work. Please try again.", and trying again never worked.
    origin, _ = localhost
    cdp, authenticator = virtual_authenticator(page)
    email = register_at(page, origin)
    page.goto(f"{origin}/settings/passkeys")

    tab = page.context.new_page()
    try:
        tab.goto(f"{origin}/settings")
        tab.get_by_role("button", name="Log out").first.click()
        expect(tab).to_have_url(re.compile(r"/auth/login"))
        log_in_at(tab, origin, email)
    finally:
        tab.close()

    page.get_by_label("Name of the passkey").fill("Phone")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Add a passkey").tap()
    expect(page.locator("[data-passkey-error]")).to_contain_text("reload the page")
    assert no_passkey_made(cdp, authenticator)
