"""The admin pages in a real browser (issue 9): Chromium at 390 x 844, light and dark, axe
clean, no sideways scrolling at 390 and 360 px; an admin invites a therapist, who registers
from the link in another browser."""

import re
import uuid

import pytest
from conftest import LIVE, PASSWORD
from live import FAST_HASH
from playwright.sync_api import expect
from test_browser import TAP_MIN, flash, log_in, looks_right, register, small_links
from werkzeug.security import generate_password_hash

from journal import clock
from journal.data import connect, users

pytestmark = pytest.mark.browser


def admin_on_live_server():
    """A new admin straight into the live server's database (as `flask create-admin` makes
    one); their email."""
    email = f"admin-{uuid.uuid4().hex}@example.com"
    db = connect(str(LIVE["database"]))
    try:
        row = {
            "email": email,
            "password_hash": generate_password_hash(PASSWORD, FAST_HASH),
            "role": "admin",
            "timezone": "UTC",
            "created_at": clock.utcnow_iso(),
        }
        users.insert(db, row)
    finally:
        db.close()
    return email


def test_an_admin_invites_a_therapist_and_finds_accounts(page, browser, browser_context_args):
    patient_email = register(page, name="Robin")
    page.get_by_role("button", name="Log out").tap()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    email = admin_on_live_server()
    log_in(page, email)
    expect(page).to_have_url(re.compile(r"/admin$"))
    found = []
    looks_right(page, "accounts", found)
    assert small_links(page, ".admin-nav a") == []  # "Accounts · Invite a therapist"

    page.get_by_label("Search by email").fill(patient_email[:12])
    page.get_by_role("button", name="Search").tap()
    expect(page.get_by_role("link", name=patient_email)).to_be_visible()
    page.get_by_role("link", name=patient_email).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(patient_email)
    looks_right(page, "account", found)
    page.get_by_label("Your password").fill(PASSWORD)  # the admin's own, asked again
    page.get_by_role("button", name="Make a password-reset link").tap()
    expect(page.get_by_label("Link")).to_have_value(re.compile(r"/auth/reset/"))
    expect(page.locator("section.new-link")).to_be_focused()  # shown only now: read first
    looks_right(page, "reset link", found)

    page.goto("/admin/invitations")
    looks_right(page, "invitations", found)
    page.get_by_role("button", name="Make an invitation link").tap()
    link = page.get_by_label("Link").input_value()
    assert "/auth/invite/" in link
    expect(page.locator("section.new-link")).to_be_focused()
    looks_right(page, "new invitation", found)

    doc = browser.new_context(**browser_context_args).new_page()
    try:
        doc.goto(link)
        expect(doc.get_by_role("heading", level=1)).to_have_text("Create your therapist account")
        looks_right(doc, "invited registration", found)
        doc.get_by_label("Email", exact=True).fill(f"doc-{uuid.uuid4().hex}@example.com")
        doc.get_by_label("Password", exact=True).fill(PASSWORD)
        doc.get_by_role("button", name="Create account").tap()
        expect(doc).to_have_url(re.compile(r"/caseload$"))
        doc.get_by_role("button", name="Log out").tap()
        expect(doc).to_have_url(re.compile(r"/auth/login$"))
        doc.goto(link)  # a second time: used
        expect(doc.get_by_role("heading", level=1)).to_have_text("This link has been used")
    finally:
        doc.context.close()

    # One made for the wrong address is withdrawn: its link stops working at once.
    wrong = f"wrong-{uuid.uuid4().hex}@example.com"
    page.get_by_label("Email (optional)").fill(wrong)
    page.get_by_role("button", name="Make an invitation link").tap()
    expect(page.get_by_role("heading", name=f"Invitation for {wrong}")).to_be_visible()
    wrong_link = page.get_by_label("Link").input_value()
    page.get_by_role("button", name=f"Withdraw the invitation for {wrong}").tap()
    expect(flash(page)).to_have_text(
        f"The invitation for {wrong} is withdrawn: its link no longer works."
    )
    expect(flash(page)).to_be_focused()
    expect(page.get_by_role("button", name=f"Withdraw the invitation for {wrong}")).to_have_count(0)
    assert page.goto(wrong_link).status == 404
    assert found == []


def test_an_open_invitations_withdraw_button_stays_a_word_wide_at_360_px(page):
    # Beside an invitation's line ("Therapist · an address · until ... · made by ..."), the
    # Withdraw button shrank with it, down to one letter wide: "Withdraw" read down the screen
    # a letter a line, 170 px high.
    log_in(page, admin_on_live_server())
    expect(page).to_have_url(re.compile(r"/admin$"))
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/admin/invitations")
    wrong = f"a.long.address.for.a.therapist-{uuid.uuid4().hex}@example-clinic.example"
    page.get_by_label("Email (optional)").fill(wrong)
    page.get_by_role("button", name="Make an invitation link").tap()
    expect(page.get_by_role("heading", name=f"Invitation for {wrong}")).to_be_visible()
    button = page.get_by_role("button", name=f"Withdraw the invitation for {wrong}")
    box = button.bounding_box()
    assert box["width"] >= TAP_MIN
    assert TAP_MIN <= box["height"] < 1.5 * TAP_MIN  # "Withdraw" on one line


def test_each_account_in_the_list_is_a_full_size_tap_target_at_360_px(page):
    # Each account's email, the first thing on its lines, was a plain link 21 px high (an
    # address short enough for one line): on a phone, the admin's way to an account was a
    # thin line of text between others.
    email = admin_on_live_server()
    short = f"p{uuid.uuid4().hex[:6]}@ex.io"
    db = connect(str(LIVE["database"]))
    try:
        users.insert(
            db,
            {
                "email": short,
                "password_hash": "x",
                "role": "patient",
                "timezone": "UTC",
                "created_at": clock.utcnow_iso(),
            },
        )
    finally:
        db.close()
    log_in(page, email)
    expect(page).to_have_url(re.compile(r"/admin$"))
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"/admin?q={short}")
    expect(page.locator("ul.accounts li > a")).to_have_text([short])
    assert small_links(page, "ul.accounts li > a") == []
