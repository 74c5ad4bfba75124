"""Self-service password reset by e-mail (issue 9): "Forgot your password?" on the log-in page
when the clinic configures SMTP, `/auth/forgot` answering every address alike, and the mail's
link (a reset link like an admin's: single use, 24 hours). Tested against a real SMTP server
(aiosmtpd on loopback), reading the mail it received."""

import html
import logging
import re
import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from conftest import AuthActions, csrf_token, make_app, wait_for_mail
from factories import ADMIN_PASSWORD, NOW, make_admin, signed_in_twice, sql
from live import free_port
from test_two_factor import turn_on

from journal import clock, mail

NEW = "a brand new passphrase"
ON_ITS_WAY = "If an account has this address, a link is on its way."
LINK = re.compile(r"(https?://\S+)/auth/reset/([A-Za-z0-9_-]{43})")


class Keeper:
    """An SMTP handler that keeps each message it is given: (recipients, parsed message)."""

    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    """A real SMTP server on loopback: (controller, the messages it received).

    aiosmtpd 1.4 cannot start on port 0 (it connects to its own port to check it is up), so a
    free port is chosen first."""
    keeper = Keeper()
    controller = Controller(keeper, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, keeper.mails
    controller.stop()


@pytest.fixture
def mailing(app, smtp):
    """The app configured to send through the test server (no STARTTLS on loopback)."""
    controller, mails = smtp
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_FROM="journal@clinic.example",
        MAIL_STARTTLS=False,
        CLINIC_NAME="Riverside Clinic",
        PUBLIC_URL="http://localhost",
    )
    return mails


@pytest.fixture
def pat(app):
    return signed_in_twice(app)


def ask(app, email, client=None):
    return (client or app.test_client()).post("/auth/forgot", data={"email": email})


def answer(response):
    """What the person sees: the page without its per-request token."""
    return re.sub(r'value="[^"]*"', "", response.text)


def link_in(mail):
    recipients, message = mail
    text = message.get_content()
    found = LINK.search(text)
    assert found, text
    return f"/auth/reset/{found.group(2)}"


def test_the_mail_holds_a_link_that_sets_the_password_once(app, mailing, pat):
    client, phone = pat
    login = app.test_client().get("/auth/login")
    assert '<a href="/auth/forgot">Forgot your password?</a>' in login.text
    form = app.test_client().get("/auth/forgot")
    assert form.status_code == 200 and 'name="email"' in form.text

    response = ask(app, "  PAT@example.com ")
    assert response.status_code == 200 and ON_ITS_WAY in response.text
    assert len(mailing) == 1
    recipients, message = mailing[0]
    assert recipients == ["pat@example.com"]
    assert message["To"] == "pat@example.com"
    assert message["From"] == "journal@clinic.example"
    assert message["Subject"] == "Your password-reset link"
    assert message.get_content_type() == "text/plain"
    text = message.get_content()
    assert "http://localhost/auth/reset/" in text  # the fixture's PUBLIC_URL
    assert "works once, within 24 hours" in text and "Riverside Clinic" in text
    assert "calm morning" not in text and "mood" not in text.lower()

    path = link_in(mailing[0])
    stranger = app.test_client()
    assert "Choose a new password" in stranger.get(path).text
    done = stranger.post(path, data={"password": NEW})
    assert done.status_code == 302 and done.location == "/auth/login"
    # Every sign-in of the account ended; the old password is refused, the new one works.
    assert sql(app, "select count(*) from signins where user_id = 1") == [(0,)]
    assert client.get("/checkin").status_code == 302
    assert phone.get("/checkin").status_code == 302
    assert AuthActions(app.test_client()).login().status_code == 400
    assert AuthActions(app.test_client()).login(password=NEW).location == "/checkin"
    # Once only.
    again = stranger.post(path, data={"password": "yet another passphrase"})
    assert again.status_code == 410 and "This link has been used" in again.text
    assert "Password set from a reset link" in person_activity(app)


def test_the_mail_goes_once_the_answer_has_gone_so_its_time_tells_nothing(app, mailing, pat):
    """Mailed before the answer, an address with an account was answered the mail server's
    round trips later than one without (9 against 2 ms on loopback, hundreds with STARTTLS to
    a real server): timing the answer told who has an account. The answer is whole before
    the mail is sent, as a WSGI server sends it before it closes it."""
    response = app.test_client().post(
        "/auth/forgot", data={"email": "pat@example.com"}, buffered=False
    )
    assert response.status_code == 200 and ON_ITS_WAY in response.get_data(as_text=True)
    assert mailing == []  # not yet: the server has not closed the answer
    response.close()
    wait_for_mail()
    assert len(mailing) == 1 and mailing[0][0] == ["pat@example.com"]


def test_the_link_is_written_once_the_answer_has_gone_so_its_time_tells_nothing(app, mailing, pat):
    """Made in the request, the link's write (a commit synced to disk) made the answer to an
    address with an account about a millisecond slower than to one without (2.45 against
    1.97 ms, median on loopback; the slower in 85% of pairs): timing a few requests told who
    has an account. Nothing is written until the answer has gone."""
    response = app.test_client().post(
        "/auth/forgot", data={"email": "pat@example.com"}, buffered=False
    )
    assert response.status_code == 200 and ON_ITS_WAY in response.get_data(as_text=True)
    assert sql(app, "select count(*) from tokens") == [(0,)]
    response.close()
    wait_for_mail()
    assert sql(app, "select count(*) from tokens") == [(1,)]
    assert len(mailing) == 1
    assert app.test_client().get(link_in(mailing[0])).status_code == 200


def test_the_mail_is_sent_beside_the_connection_so_the_next_answer_is_not_held(
    app, mailing, pat, monkeypatch
):
    """Sent on the request's thread after its answer, the mail held the connection for the
    mail server's round trips: the next request on a kept-alive connection was answered 2 s
    later after an address with an account (a slow mail server) than after one without.
    Closing the answer now returns while the mail server is still answering."""
    mail_server_answers = threading.Event()
    send = mail.send

    def slow_send(config, message):
        mail_server_answers.wait(timeout=5)
        send(config, message)

    monkeypatch.setattr(mail, "send", slow_send)
    response = app.test_client().post(
        "/auth/forgot", data={"email": "pat@example.com"}, buffered=False
    )
    response.close()  # returns with the mail server still holding the mail: free for the next
    assert mailing == []  # (sent on the request's thread, it would have waited, then sent)
    mail_server_answers.set()
    wait_for_mail()
    assert len(mailing) == 1 and mailing[0][0] == ["pat@example.com"]


def test_a_new_password_from_the_link_logs_in_after_guesses_at_the_old(app, mailing, pat):
    # Someone who forgot their password guesses first, then asks for the link: the five
    # guesses locked the account, and the new password met "Too many attempts to log in"
    # for 15 minutes after the page said "Log in with it".
    for guess in ("guess one here", "guess two here", "guess three", "guess four!", "guess 5"):
        assert AuthActions(app.test_client()).login(password=guess).status_code == 400
    assert AuthActions(app.test_client()).login(password=NEW).status_code == 429
    ask(app, "pat@example.com")
    done = app.test_client().post(link_in(mailing[0]), data={"password": NEW})
    assert done.status_code == 302 and done.location == "/auth/login"
    assert AuthActions(app.test_client()).login(password=NEW).location == "/checkin"
    # Wrong guesses at the new password are counted afresh.
    for _ in range(5):
        assert AuthActions(app.test_client()).login(password="not it at all").status_code == 400
    assert AuthActions(app.test_client()).login(password=NEW).status_code == 429


def person_activity(app):
    back = app.test_client()
    AuthActions(back).login(password=NEW)
    return back.get("/settings/activity").text


def test_the_link_uses_the_public_url_when_one_is_set(app, mailing, pat):
    app.config["PUBLIC_URL"] = "https://journal.clinic.example/"
    ask(app, "pat@example.com")
    text = mailing[0][1].get_content()
    assert re.search(r"https://journal\.clinic\.example/auth/reset/[A-Za-z0-9_-]{43}\s", text)


def test_the_mailed_link_never_takes_the_host_a_request_names(app, mailing, pat):
    # Anyone may ask for a reset of someone else's address; with the link built from the
    # request's Host, they could have the owner mailed a link to their own server.
    response = app.test_client().post(
        "/auth/forgot", data={"email": "pat@example.com"}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 200 and ON_ITS_WAY in response.text
    text = mailing[0][1].get_content()
    assert "evil.example" not in text
    assert re.search(r"http://localhost/auth/reset/[A-Za-z0-9_-]{43}\s", text)


def test_without_a_public_address_reset_by_mail_stays_off_and_says_so(app, mailing, pat, caplog):
    from journal import create_app

    app.config["PUBLIC_URL"] = ""
    assert app.test_client().get("/auth/forgot").status_code == 404
    assert ask(app, "pat@example.com").status_code == 404
    assert "/auth/forgot" not in app.test_client().get("/auth/login").text
    assert mailing == [] and sql(app, "select count(*) from tokens") == [(0,)]
    # The clinic is told at start, once per process.
    create_app({**app.config, "TESTING": True})
    assert "Reset by e-mail stays off until JOURNAL_PUBLIC_URL is set" in caplog.text


def test_a_mail_asked_for_by_anyone_leaves_the_link_an_admin_handed_over_working(app, mailing, pat):
    # The admin's link is the one that also clears two-factor (a lost phone); anyone who knows
    # the address may ask for a mail, and must not be able to kill it. A newer admin's link,
    # or a password change, still retires every older link.
    boss = make_admin(app)
    handed = boss.post("/admin/users/1/reset-link", data={"password": ADMIN_PASSWORD}).text
    path = re.search(r'value="http://localhost(/auth/reset/[^"]+)"', handed).group(1)
    assert ask(app, "pat@example.com").status_code == 200 and len(mailing) == 1
    assert app.test_client().get(path).status_code == 200
    assert app.test_client().get(link_in(mailing[0])).status_code == 200
    again = boss.post("/admin/users/1/reset-link", data={"password": ADMIN_PASSWORD}).text
    newer = re.search(r'value="http://localhost(/auth/reset/[^"]+)"', again).group(1)
    assert [app.test_client().get(p).status_code for p in (path, link_in(mailing[0]), newer)] == [
        404,
        404,
        200,
    ]


@pytest.mark.parametrize("used", ["mailed", "admin's"])
def test_a_password_set_from_one_link_retires_every_other(app, mailing, pat, used):
    """Setting the password from a reset link is a password change: the account's other open
    link (the admin's, which also clears two-factor, beside a mailed one) stops working, as a
    change in Settings makes it stop."""
    boss = make_admin(app)
    handed = boss.post("/admin/users/1/reset-link", data={"password": ADMIN_PASSWORD}).text
    admin_link = re.search(r'value="http://localhost(/auth/reset/[^"]+)"', handed).group(1)
    assert ask(app, "pat@example.com").status_code == 200
    links = {"mailed": link_in(mailing[0]), "admin's": admin_link}
    (other,) = (path for name, path in links.items() if name != used)

    done = app.test_client().post(links[used], data={"password": NEW})
    assert done.status_code == 302 and done.location == "/auth/login"
    owner = app.test_client()
    assert AuthActions(owner).login(password=NEW).status_code == 302
    turn_on(owner, NEW)

    holder = app.test_client()
    assert holder.get(other).status_code == 404
    assert holder.post(other, data={"password": "a holder's passphrase"}).status_code == 404
    assert AuthActions(app.test_client()).login(password="a holder's passphrase").status_code == 400
    assert sql(app, "select count(*) from two_factor where user_id = 1") == [(1,)]


def test_the_mailed_link_expires_after_24_hours(app, mailing, pat):
    ask(app, "pat@example.com")
    path = link_in(mailing[0])
    clock.set(NOW + timedelta(hours=24) - timedelta(seconds=1))
    assert app.test_client().get(path).status_code == 200
    clock.set(NOW + timedelta(hours=24))
    response = app.test_client().post(path, data={"password": NEW})
    assert response.status_code == 410 and "This link has expired" in response.text
    assert AuthActions(app.test_client()).login().status_code == 302  # the old one still works


def test_a_link_that_no_longer_opens_says_a_new_one_can_be_asked_for_by_mail(app, mailing, pat):
    # A mailed link out of time, used, or replaced said "Ask your clinic for a new one",
    # while "Forgot your password?" mails one in a minute.
    ask(app, "pat@example.com")
    ask(app, "pat@example.com")
    replaced, used = link_in(mailing[0]), link_in(mailing[1])
    assert app.test_client().post(used, data={"password": NEW}).status_code == 302
    ask(app, "pat@example.com")
    expired = link_in(mailing[2])
    clock.set(NOW + timedelta(hours=24))
    for path, status, title in (
        (replaced, 404, "This link does not work"),
        (used, 410, "This link has been used"),
        (expired, 410, "This link has expired"),
    ):
        response = app.test_client().get(path)
        page = html.unescape(response.text)
        assert response.status_code == status and title in page
        assert "use “Forgot your password?” on the log-in page, or ask your clinic" in page
    # Without mail, the clinic is the way to a new link.
    app.config["MAIL_SERVER"] = ""
    page = html.unescape(app.test_client().get(used).text)
    assert "Forgot your password?" not in page and "Ask your clinic for a new one" in page


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, mailing, pat):
    known = ask(app, "pat@example.com")
    unknown = ask(app, "nobody@example.com")
    assert (unknown.status_code, answer(unknown)) == (known.status_code, answer(known))
    assert [recipients for recipients, _ in mailing] == [["pat@example.com"]]
    assert sql(app, "select count(*) from tokens") == [(1,)]


def test_a_deactivated_account_gets_the_same_answer_and_no_mail(app, mailing, pat):
    admin = make_admin(app)
    assert admin.post("/admin/users/1/deactivate").status_code == 302
    response = ask(app, "pat@example.com")
    assert response.status_code == 200 and ON_ITS_WAY in response.text
    assert mailing == []
    assert sql(app, "select count(*) from tokens") == [(0,)]


def test_at_most_three_mails_an_hour_then_one_more_after_the_hour(app, mailing, pat):
    for minute in (0, 10, 20):
        clock.set(NOW + timedelta(minutes=minute))
        assert ON_ITS_WAY in ask(app, "pat@example.com").text
    assert len(mailing) == 3
    # Each new link retired the one before: only the newest opens.
    paths = [link_in(mail) for mail in mailing]
    client = app.test_client()
    assert [client.get(p).status_code for p in paths] == [404, 404, 200]

    clock.set(NOW + timedelta(minutes=59, seconds=59))
    fourth = ask(app, "pat@example.com")
    assert fourth.status_code == 200 and ON_ITS_WAY in fourth.text
    assert len(mailing) == 3
    assert client.get(paths[2]).status_code == 200  # the refused request retired nothing

    clock.set(NOW + timedelta(hours=1))  # the first of the three is now an hour old
    ask(app, "pat@example.com")
    assert len(mailing) == 4
    assert client.get(link_in(mailing[3])).status_code == 200
    assert client.get(paths[2]).status_code == 404


def test_an_address_over_its_hourly_limit_starts_no_mail_thread(app, mailing, pat, monkeypatch):
    """Every request for an active account's address started a thread, which then found the
    hour's three mails made and sent nothing: the limit is checked before, after the answer
    has gone (its time unchanged), for every address alike."""
    for _ in range(3):
        ask(app, "pat@example.com")
    assert len(mailing) == 3
    started = []
    in_background = mail.in_background
    monkeypatch.setattr(
        mail, "in_background", lambda *args: started.append(args) or in_background(*args)
    )
    over = ask(app, "pat@example.com")
    unknown = ask(app, "nobody@example.com")
    assert (over.status_code, answer(over)) == (unknown.status_code, answer(unknown))
    assert ON_ITS_WAY in over.text
    assert started == [] and len(mailing) == 3
    clock.set(NOW + timedelta(hours=1))  # the hour is over: the next one is mailed
    ask(app, "pat@example.com")
    assert len(started) == 1 and len(mailing) == 4


def test_a_mail_server_that_is_down_is_logged_and_the_next_try_works(
    app, mailing, pat, smtp, caplog
):
    caplog.set_level(logging.INFO, logger="journal")
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    for _ in range(4):  # more than the hourly limit: a mail never sent does not count
        response = ask(app, "pat@example.com")
        assert response.status_code == 200 and ON_ITS_WAY in response.text
    failures = [r for r in caplog.records if "reset mail" in r.getMessage()]
    assert len(failures) == 4 and failures[0].levelno == logging.ERROR
    assert "ConnectionRefusedError" in failures[0].getMessage()
    assert sql(app, "select count(*) from tokens") == [(0,)]  # no link left that was not sent

    app.config["MAIL_PORT"] = smtp[0].port  # the server is back
    ask(app, "pat@example.com")
    assert len(mailing) == 1
    assert app.test_client().get(link_in(mailing[0])).status_code == 200


def test_without_smtp_the_log_in_page_says_to_ask_the_clinic_and_forgot_is_404(app, pat):
    app.config["CLINIC_NAME"] = "Riverside Clinic"
    login = app.test_client().get("/auth/login")
    assert "/auth/forgot" not in login.text
    assert "Ask Riverside Clinic for a reset link." in login.text
    assert app.test_client().get("/auth/forgot").status_code == 404
    assert ask(app, "pat@example.com").status_code == 404
    app.config["MAIL_SERVER"] = "127.0.0.1"  # a server without a From address: still off
    assert app.test_client().get("/auth/forgot").status_code == 404
    assert sql(app, "select count(*) from tokens") == [(0,)]


def test_the_form_needs_its_csrf_token(app, mailing, pat):
    app.config["WTF_CSRF_ENABLED"] = True  # the `app` fixture turns it off again after
    client = app.test_client()
    token = csrf_token(client.get("/auth/forgot"))
    refused = client.post("/auth/forgot", data={"email": "pat@example.com"})
    assert refused.status_code == 400 and ON_ITS_WAY not in refused.text
    forged = client.post("/auth/forgot", data={"email": "pat@example.com", "csrf_token": "x"})
    assert forged.status_code == 400
    assert mailing == []
    sent = client.post("/auth/forgot", data={"email": "pat@example.com", "csrf_token": token})
    assert sent.status_code == 200 and len(mailing) == 1


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("pat\u202e@example.com", "Enter an email address like name@example.com."),
        ("pat@exa\u200bmple.com", "Enter an email address like name@example.com."),
        ("pat\u0007@example.com", None),
        ("\u0000", None),
        ("a" * 300 + "@example.com", "Email addresses are at most 254 characters."),
        ("not an address", "Enter an email address like name@example.com."),
        ("   ", "Enter your email address."),
        (None, "Enter your email address."),
    ],
)
def test_bad_input_is_a_400_at_the_field_and_sends_nothing(app, mailing, pat, email, message):
    data = {} if email is None else {"email": email}
    response = app.test_client().post("/auth/forgot", data=data)
    assert response.status_code == 400
    error = re.search(r'<p class="error" id="email-error">([^<]+)</p>', response.text)
    assert error, response.text
    if message:
        assert error.group(1) == message
    assert ON_ITS_WAY not in response.text
    if email and email.strip() and email.isprintable() and "\u202e" not in email:
        assert 'value="' + email in response.text  # the input kept
    assert mailing == []
    assert sql(app, "select count(*) from tokens") == [(0,)]


def test_the_mailed_link_starts_with_the_public_address_as_the_clinic_wrote_it(app, mailing, pat):
    """JOURNAL_PUBLIC_URL as written in an environment file, with a space after it: accepted
    at start-up and by mail.configured, which read it stripped. Made on the mail's thread
    (onetime.link, which did not strip it), the link came as "http://clinic.example /auth/
    reset/...": a mail program ends the link at the space, and the reset never opens."""
    app.config["PUBLIC_URL"] = "http://clinic.example/ "
    ask(app, "pat@example.com")
    wait_for_mail()
    (mail,) = mailing
    text = mail[1].get_content()
    assert "http://clinic.example/auth/reset/" in text, text


@pytest.mark.parametrize(
    ("settings", "missing"),
    [({"MAIL_SERVER": "127.0.0.1", "MAIL_FROM": ""}, "JOURNAL_MAIL_FROM is set"),
     ({"MAIL_SERVER": "", "MAIL_FROM": "journal@clinic.example"}, "JOURNAL_MAIL_SERVER is set"),
     ({"MAIL_SERVER": "127.0.0.1", "MAIL_FROM": "", "PUBLIC_URL": ""},
      "JOURNAL_MAIL_FROM and JOURNAL_PUBLIC_URL are set")],
)  # fmt: skip
def test_mail_settings_that_leave_reset_by_mail_off_say_which_is_missing(
    app, caplog, settings, missing
):
    # A clinic that set the server, its log-in and the public address but not the sender was
    # told nothing: "Forgot your password?" was simply not there.
    from journal import create_app

    config = {**app.config, "TESTING": True, "PUBLIC_URL": "https://journal.example.org"}
    started = create_app({**config, **settings})
    assert started.test_client().get("/auth/forgot").status_code == 404
    assert f"Reset by e-mail stays off until {missing}" in caplog.text


@pytest.mark.parametrize(
    "written", ["notanaddress", "journal@", "a@clinic.example, b@clinic.example",
                "Afterglow <journal@clinic.example> team", "Clinic, Inc <journal@clinic.example>"]
)  # fmt: skip
def test_a_sender_no_mail_server_takes_stops_the_start(tmp_path, written):
    # JOURNAL_MAIL_FROM=notanaddress started, and then every reset mail failed at the server.
    with pytest.raises(ValueError, match="JOURNAL_MAIL_FROM must be one mail address"):
        make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_FROM=written)


@pytest.mark.parametrize(
    "written", ["", "journal@clinic.example", "Afterglow <journal@clinic.example>",
                '"Riverside Clinic, Inc" <journal@clinic.example>']
)  # fmt: skip
def test_a_sender_with_or_without_a_name_starts(tmp_path, written):
    assert make_app(tmp_path, MAIL_FROM=written).config["MAIL_FROM"] == written


@pytest.mark.parametrize(
    "sender", ["Afterglow <journal@clinic.example>", "journal@clinic.example (Afterglow)"]
)
def test_a_named_sender_gives_a_message_id_of_its_domain(app, mailing, pat, sender):
    # The Message-ID's domain was the text after the sender's last "@": "clinic.example>" or
    # "clinic.example (Afterglow)", so the header was "<...@clinic.example>>" (which Python
    # 3.11's email package repairs on the wire, noting a defect) or a msg-id and a comment.
    app.config["MAIL_FROM"] = sender
    built = mail.reset_message(app.config, "pat@example.com", "http://localhost/auth/reset/x")
    assert built["Message-ID"].defects == ()
    ask(app, "pat@example.com")
    wait_for_mail()
    (sent,) = mailing
    message = sent[1]
    assert message["From"].addresses[0].addr_spec == "journal@clinic.example"
    assert re.fullmatch(r"<[^<>@\s]+@clinic\.example>", message["Message-ID"]), message[
        "Message-ID"
    ]
