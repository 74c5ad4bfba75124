"""Mail (issue 9): the password-reset mail of "Forgot your password?", sent over SMTP.

On only when the clinic configures it: `JOURNAL_MAIL_SERVER` and `JOURNAL_MAIL_FROM` (with
`_PORT`, default 587, `_USERNAME`, `_PASSWORD` and `_STARTTLS`, default true), and
`JOURNAL_PUBLIC_URL`, the address the mailed links start with: never the host a request
names, which anyone asking for a reset of someone else's address could set to their own
server and so receive the link. Standard
library only: `smtplib` and `email.message.EmailMessage`. The mail is plain text, holds the
link and nothing about the person's health, and never says whether anything is wrong.
"""

import logging
import smtplib
import ssl
import threading
from email.errors import HeaderParseError
from email.message import EmailMessage
from email.policy import default as email_policy
from email.utils import make_msgid

from . import onetime
from .logs import LOGGER
from .urls import public_base

# Seconds to wait for the mail server (to connect, and for each answer): a request never
# hangs longer than this on a server that does not answer.
TIMEOUT = 10
SUBJECT = "Your password-reset link"
# The name of the threads that send mail (`in_background`).
SENDER = "journal-mail"


def sender_address(value):
    """JOURNAL_MAIL_FROM as an `email.headerregistry.Address`, or None when it is empty. One
    address, bare (journal@clinic.example) or with a name (Afterglow <journal@clinic.example>);
    anything else (notanaddress, two addresses, words after it) raises ValueError naming the
    setting: it started, and every reset mail then failed at the mail server."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        header = email_policy.header_factory("From", text)
        (address,) = header.addresses
    except (HeaderParseError, IndexError, ValueError):
        address = None
    if address is None or header.defects or not address.username or not address.domain:
        raise ValueError(
            "JOURNAL_MAIL_FROM must be one mail address, such as journal@clinic.example or "
            f"Afterglow <journal@clinic.example>, not {text!r}"
        )
    return address


def configured(config):
    """True when the clinic set a mail server, a From address and the public address."""
    return bool(config.get("MAIL_SERVER") and config.get("MAIL_FROM") and public_base(config))


def reset_message(config, to, link):
    """The reset mail for the address `to`, holding `link`."""
    clinic = config.get("CLINIC_NAME") or "your clinic"
    message = EmailMessage()
    message["Subject"] = SUBJECT
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    # The domain of the address itself: "Afterglow <journal@clinic.example>" split at its
    # last "@" gave a Message-ID ending "@clinic.example>>".
    sender = sender_address(config["MAIL_FROM"])
    message["Message-ID"] = make_msgid(domain=sender.domain if sender else None)
    message.set_content(
        "Hello,\n\n"
        "Someone asked to set a new password for the journal account with this address. "
        "If that was you, open this link and choose a new password:\n\n"
        f"{link}\n\n"
        f"The link works once, within {onetime.RESET_HOURS} hours. Setting a new password "
        "signs out every device signed in to the account.\n\n"
        "If you did not ask, you can ignore this mail: your password stays as it is.\n\n"
        f"If anything is unclear, {clinic} can help.\n"
    )
    return message


def send(config, message):
    """Send `message` through the configured server; raises `OSError` or
    `smtplib.SMTPException` when it cannot."""
    port = int(config.get("MAIL_PORT") or 587)
    with smtplib.SMTP(config["MAIL_SERVER"], port, timeout=TIMEOUT) as server:
        if config.get("MAIL_STARTTLS", True):
            server.starttls(context=ssl.create_default_context())  # the certificate checked
        if config.get("MAIL_USERNAME"):
            server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        server.send_message(message)


def send_reset(config, account, link):
    """Mail `link` to the account (a `users` row); False, with the error logged (the user id,
    never the address), when the mail server could not take it."""
    try:
        send(config, reset_message(config, account["email"], link))
    except (OSError, ValueError) as error:  # smtplib's errors are OSErrors; a bad header
        logging.getLogger(LOGGER).error(
            "The password-reset mail for user %s was not sent: %s: %s",
            account["id"],
            type(error).__name__,
            error,
        )
        return False
    return True


def in_background(send, *args):
    """Run `send(*args)` on a thread of its own and return at once.

    A reset mail sent on the request's own thread, even after its answer (`call_on_close`),
    held that thread and its connection for the mail server's round trips: the next request
    on a kept-alive connection (a browser's, or nginx's to gunicorn) was answered that much
    later after an address with an account than after one without. Not a daemon: a worker
    that stops lets a mail under way finish (at most TIMEOUT for each of its steps)."""
    threading.Thread(target=send, args=args, name=SENDER).start()
