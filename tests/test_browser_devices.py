"""Signed-in devices and "Recent activity" with a therapist's views, in real Chromium at
390 x 844, light and dark: axe clean, no sideways scrolling at 390 and 360 px, and signing
out the other device from the list ends it there."""

import re

import pytest
from conftest import LiveServer
from playwright.sync_api import expect
from test_browser import log_in, looks_right, register

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of this module's own (its therapist comes by an invitation made in its
    database), so that signing out every other device touches no other test's people."""
    with LiveServer(tmp_path_factory.mktemp("live-devices")) as live:
        yield live


def test_devices_and_activity_in_a_phone_browser(browser, browser_context_args, server):
    args = {**browser_context_args, "base_url": server.url}
    phone, other = browser.new_context(**args), browser.new_context(**args)
    doc = browser.new_context(**args).new_page()
    page = phone.new_page()
    try:
        register(doc, name="Dr Rivera", therapist=True, database=server.database)
        code = doc.locator("#invite-code").inner_text()
        email = register(page, name="Robin")
        page.goto("/settings/therapist")
        page.get_by_label("Invite code from your therapist").fill(code)
        page.get_by_role("button", name="Link").tap()
        expect(page.get_by_role("button", name="Unlink")).to_be_visible()
        doc.goto("/caseload")
        doc.get_by_role("link", name="Robin").first.tap()
        expect(doc).to_have_url(re.compile(r"/caseload/\d+$"))
        laptop = other.new_page()
        log_in(laptop, email)
        expect(laptop).to_have_url(re.compile(r"/checkin$"))

        found = []
        page.goto("/settings")
        page.get_by_role("link", name="Signed-in devices").tap()
        expect(page).to_have_url(re.compile(r"/settings/devices$"))
        rows = page.locator("ul.devices > li")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("This device")
        looks_right(page, "devices", found)

        page.goto("/settings/activity")
        expect(page.get_by_text("Dr Rivera viewed your progress")).to_be_visible()
        looks_right(page, "activity", found)
        assert found == [], "\n".join(found)

        # Sign the other browser out from the list: its next page is the log-in.
        page.goto("/settings/devices")
        page.locator("ul.devices > li").nth(1).get_by_role(
            "button", name=re.compile("Sign out")
        ).tap()
        expect(page.get_by_role("status")).to_contain_text("That device is signed out")
        expect(page.locator("ul.devices > li")).to_have_count(1)
        laptop.goto("/checkin")
        expect(laptop).to_have_url(re.compile(r"/auth/login"))
    finally:
        phone.close()
        other.close()
        doc.context.close()
