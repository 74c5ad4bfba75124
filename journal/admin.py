"""The admin pages (`/admin`, issue 9): clinic staff who run the service list the accounts,
deactivate and reactivate one, hand out a password-reset link, and invite therapists. Never
a patient's check-ins, reflections or scores: the admin pages read only `data.admin`'s
columns of an account (and how many patients a therapist has linked: a number, never who),
and journal/access.py keeps admins away from every other page.

A new reset link or invitation is shown once, on the page that answers its form (never
carried through a redirect or the session: the cookie is signed, not secret). The form carries
a random `request_key`, stored with the link: reloading that page sends the same form again,
and then no second link is made (a reset link would replace the first) and the page says the
link was made and shown then.

Also the command line that makes a fresh install's first admin and reset links:
`flask --app journal create-admin EMAIL [--link]` and `flask --app journal reset-link EMAIL`.
"""

import secrets

import click
from email_validator import EmailNotValidError, validate_email
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.cli import with_appcontext
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound
from wtforms import SelectField
from wtforms.validators import ValidationError

from . import clock, migrations, onetime, timezones
from .access import admin_required, still_active_or_to_log_in
from .data import admin as accounts
from .data import audit, links, tokens, users
from .data import two_factor as two_factor_data
from .db import get_db, page_of, per_page, write_transaction
from .fields import JournalForm, email_field, isolated, request_key_field
from .numbers import plural
from .passwords import PasswordAgainForm, hash_password, password_problem, your_password_field
from .people import end_signins, is_active

bp = Blueprint("admin", __name__, url_prefix="/admin", cli_group=None)

SEARCH_MAX = 254
ROLE_WORDS = {"patient": "Patient", "therapist": "Therapist", "admin": "Admin"}


@bp.before_request
@login_required
@admin_required
def admins_only():
    """Every page here: a stranger is sent to log in, anyone but an admin gets a 404."""


def record(action, subject_id=None):
    """Note an admin's action in the audit log (journal/data/audit.py)."""
    audit.record(get_db(), current_user.id, action, subject_id, actor_role="admin")


def shown(account):
    """An account as the admin pages show it: times in the admin's own zone."""
    zone = current_user.timezone
    return {
        **account,
        "role_words": ROLE_WORDS.get(account["role"], account["role"]),
        "created": timezones.local_time(account["created_at"], zone),
        "last_signin": (
            timezones.local_time(account["last_signin_at"], zone)
            if account["last_signin_at"]
            else "never"
        ),
        "deactivated": (
            timezones.local_time(account["deactivated_at"], zone)
            if account["deactivated_at"]
            else None
        ),
    }


def search_problem(query):
    """Why the search text cannot be searched for, or None."""
    if len(query) > SEARCH_MAX:
        return f"Search with at most {SEARCH_MAX} characters."
    if not query.isprintable():
        return "Search with letters, digits and the characters of an email address."
    return None


@bp.route("")
def index():
    query = request.args.get("q", "").strip()
    problem = search_problem(query)
    if problem:
        return render_template("admin/index.html", query=query, problem=problem, page=None), 400
    db = get_db()
    total = accounts.count_accounts(db, query)
    page, pages, offset = page_of(total)
    found = accounts.accounts(db, query, per_page(), offset)
    with_two_factor = two_factor_data.enabled_ids(db, [row["id"] for row in found])
    rows = [{**shown(row), "two_factor": row["id"] in with_two_factor} for row in found]
    return render_template(
        "admin/index.html",
        query=query,
        problem=None,
        rows=rows,
        page=page,
        pages=pages,
        total=total,
    )


# A 404 of an account page names the list of accounts and links back to it, not to the start
# page (an admin whose account page went stale most likely reached it from there).
ACCOUNT_GONE = "There is no account at this address: its owner may have deleted it."
BACK_TO_ACCOUNTS = ("admin.index", "Back to Accounts")


def account_gone(description=ACCOUNT_GONE):
    """404 with `description` and a link back to the list of accounts."""
    error = NotFound(description=description)
    error.back = BACK_TO_ACCOUNTS
    raise error


def account_or_404(user_id):
    row = accounts.account(get_db(), user_id)
    if row is None:
        account_gone()
    return row


# An account its owner deleted while an admin's page of it was open: an action sent from
# that page changes nothing (and writes nothing to the audit log).
DELETED_MEANWHILE = "This account has been deleted by its owner, so nothing was changed."


def still_there_or_404(db, user_id):
    """404 saying so, inside the action's transaction (rolled back), unless the account
    `account_or_404` read is still there."""
    if users.by_id(db, user_id) is None:
        account_gone(DELETED_MEANWHILE)


OWN_ACCOUNT_RESET = "Change your own password in Settings: it asks for your current one."


class ResetLinkForm(PasswordAgainForm):
    """The admin's own password, asked before a reset link is made: the link sets a new
    password and turns two-factor off, so from an admin's browser left open it took over any
    account, another admin's too (and through that admin, this one's)."""

    password = your_password_field("Enter your password to make a reset link.")
    request_key = request_key_field()


def linked_patients(row):
    """How many patients are linked to the account `row`, when it is a therapist's; else None.
    A number only: who they are is theirs and their therapist's."""
    return links.linked_patient_count(get_db(), row["id"]) if row["role"] == "therapist" else None


def account_page(row, problem=None, status=200, reset_form=None):
    """The page of one account (`row`, from `account_or_404`)."""
    with_two_factor = two_factor_data.enabled_ids(get_db(), [row["id"]])
    return render_template(
        "admin/account.html",
        account={**shown(row), "two_factor": row["id"] in with_two_factor},
        linked_patients=linked_patients(row),
        problem=problem,
        reset_hours=onetime.RESET_HOURS,
        reset_form=reset_form or ResetLinkForm(formdata=None),
    ), status


@bp.route("/users/<int:user_id>")
def account(user_id):
    return account_page(account_or_404(user_id))


def button_form_or_400():
    """The CSRF-only form of a button (deactivate, reactivate)."""
    if not JournalForm().validate_on_submit():
        abort(400)


LAST_ACTIVE_ADMIN = (
    "Nothing was changed: this is the only active admin left (yours was turned off meanwhile), "
    "and the clinic needs one."
)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id):
    button_form_or_400()
    row = account_or_404(user_id)
    if row["id"] == current_user.id:
        return account_page(row, "You cannot deactivate your own account.", 400)
    if is_active(row):
        with write_transaction() as db:
            # Read inside the transaction: two admins deactivating each other at the same
            # moment were each active as their request began, and both went, leaving the
            # clinic with no admin.
            still_there_or_404(db, user_id)
            last = row["role"] == "admin" and not users.other_active_admins(db, user_id)
            if not last:
                users.set_deactivated(db, user_id, clock.utcnow_iso())
                # Every sign-in ends at once: every copy of its cookies and remember-me
                # token; and no reset link made before (perhaps by whoever had the account)
                # still works, for it or made by it (an admin's invitations and reset links).
                end_signins(db, user_id)
                onetime.retire_resets(db, user_id)
                onetime.retire_made_by(db, user_id)
                record("deactivate", user_id)
        if last:
            return account_page(row, LAST_ACTIVE_ADMIN, 400)
    also = deactivated_also(row)
    who = isolated(row["email"])
    flash(f"{who} is deactivated and signed out everywhere. Their data is kept.{also}")
    return redirect(url_for("admin.account", user_id=user_id))


def deactivated_also(row):
    """What else deactivating the account `row` changed, in words (with a leading space), or
    "": a therapist's patients stay linked, seen by no one meanwhile (the admin may want
    another therapist to take them on); an admin's unused links stop working."""
    if row["role"] == "admin":
        return " Invitations and reset links they made that were not used yet no longer work."
    count = linked_patients(row)
    if not count:
        return ""
    journals = "their journal" if count == 1 else "their journals"
    return (
        f" Their {plural(count, 'linked patient')} stay{'s' if count == 1 else ''} linked, and "
        f"no one sees {journals} until the account is turned on again: a patient links to "
        "another therapist with that therapist's invite code."
    )


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id):
    button_form_or_400()
    row = account_or_404(user_id)
    if not is_active(row):
        with write_transaction() as db:
            still_there_or_404(db, user_id)  # deleted by its owner since it was read
            users.set_deactivated(db, user_id, None)
            record("reactivate", user_id)
    flash(f"{isolated(row['email'])} can sign in again.")
    return redirect(url_for("admin.account", user_id=user_id))


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
def reset_link(user_id):
    row = account_or_404(user_id)
    if row["id"] == current_user.id:
        button_form_or_400()
        # A link for one's own account would set the password (and turn two-factor off)
        # without the current password: anyone at an admin's open browser could take the
        # account over and lock its owner out. Settings asks for the password.
        return account_page(row, OWN_ACCOUNT_RESET, 400)
    form = ResetLinkForm()
    if not form.validate_on_submit():
        return account_page(row, status=400, reset_form=form)
    key = form.request_key.data
    with write_transaction() as db:
        still_active_or_to_log_in(db)
        still_there_or_404(db, user_id)
        # The page that showed the link, reloaded: it sends the form again. Its link is not
        # shown again, and no second one replaces it.
        again = onetime.made_by_form(db, "reset", current_user.id, key)
        if not again:
            token = onetime.make_reset(
                db, user_id, created_by=current_user.id, clears_two_factor=True, request_key=key
            )
            record("reset-link", user_id)
    if again:
        return render_template(
            "admin/link.html", title="Password-reset link", account=shown(row), link=None
        )
    return render_template(
        "admin/link.html",
        title="Password-reset link",
        account=shown(row),
        link=onetime.link("auth.reset", token),
        lasts=f"{onetime.RESET_HOURS} hours",
    )


def a_role(role):
    """A role in words with its article: "a patient", "a therapist", "an admin"."""
    words = ROLE_WORDS.get(role, role).lower()
    return f"{'an' if words[:1] in 'aeiou' else 'a'} {words}"


def invitable_roles():
    """What an invitation may make: a therapist; a patient too when patients cannot register
    openly (OPEN_SIGNUP false). Never an admin."""
    if current_app.config.get("OPEN_SIGNUP", True):
        return ("therapist",)
    return ("therapist", "patient")


class InvitationForm(JournalForm):
    email = email_field(
        "Email (optional)",
        missing=None,
        invalid="Enter an email address like name@example.com, or leave it empty.",
        autocomplete="off",
        description="When given, only this address can register with the link.",
    )
    role = SelectField("Account for", default="therapist", validate_choice=False)
    request_key = request_key_field()

    def validate_email(self, field):
        """An invitation makes a new account, and an address holds one: for an address that
        has an account already (a therapist who first signed up as a patient), its link could
        never be used (its page said "Log in instead?", which led to that other account)."""
        if not field.data or field.errors:
            return
        holder = users.by_email(get_db(), field.data)
        if holder is not None:
            raise ValidationError(
                f"{isolated(field.data)} already has an account ({a_role(holder['role'])}). "
                "An invitation makes a new account, so its link could never be used with this "
                "address: invite another one."
            )

    def validate_role(self, field):
        if field.data not in invitable_roles():
            who = " or a patient" if "patient" in invitable_roles() else ""
            raise ValidationError(
                f"An invitation makes an account for a therapist{who}, never an admin "
                "(admins are made on the server's command line)."
            )


@bp.route("/invitations", methods=["GET", "POST"])
def invitations():
    form = InvitationForm()
    form.role.choices = [(role, ROLE_WORDS[role]) for role in invitable_roles()]
    made = again = None
    status = 200
    if form.validate_on_submit():
        key = form.request_key.data
        with write_transaction() as db:
            still_active_or_to_log_in(db)
            # The page that showed the link, reloaded, sends the form again: no second
            # invitation, and the first one's link is not shown again.
            again = onetime.made_by_form(db, "invitation", current_user.id, key)
            if not again:
                token = onetime.make_invitation(
                    db,
                    form.role.data,
                    form.email.data or None,
                    created_by=current_user.id,
                    request_key=key,
                )
                record("invitation")
        if not again:
            made = {
                "link": onetime.link("auth.invite", token),
                "role": ROLE_WORDS[form.role.data],
                "email": form.email.data or "",
            }
        form = InvitationForm(formdata=None)
        form.role.choices = [(role, ROLE_WORDS[role]) for role in invitable_roles()]
    elif form.is_submitted():
        status = 400
    zone = current_user.timezone
    open_ones = [
        {
            **row,
            "role_words": ROLE_WORDS[row["role"]],
            "expires": timezones.local_time(row["expires_at"], zone),
            # The invited address has an account now, made by another road: the link is dead.
            "holder": a_role(row["holder_role"]) if row["holder_role"] else None,
        }
        for row in tokens.open_invitations(get_db(), clock.utcnow_iso())
    ]
    return render_template(
        "admin/invitations.html",
        form=form,
        made=made,
        again=again,
        invitations=open_ones,
        lasts=f"{onetime.INVITATION_DAYS} days",
    ), status


@bp.route("/invitations/<int:token_id>/withdraw", methods=["POST"])
def withdraw_invitation(token_id):
    """Withdraw an open invitation (sent to the wrong address, or no longer wanted): its link
    stops working at once. Any admin may, as any admin sees every open invitation."""
    button_form_or_400()
    with write_transaction() as db:
        withdrawn = tokens.withdraw_invitation(db, token_id, clock.utcnow_iso())
        if withdrawn:
            record("invitation-withdrawn")
    if withdrawn:
        who = isolated(withdrawn["email"]) or f"a new {ROLE_WORDS[withdrawn['role']].lower()}"
        flash(f"The invitation for {who} is withdrawn: its link no longer works.")
    else:
        # A double tap's second, or another admin's: said as it is, never "used, withdrawn or
        # expired", which left an admin who had just withdrawn it wondering who had used it.
        closed = tokens.closed_invitation(get_db(), token_id)
        flash(f"That invitation was no longer open: {NOT_OPEN[closed]}")
    return redirect(url_for("admin.invitations"))


# Why an invitation could not be withdrawn (tokens.closed_invitation), in words.
NOT_OPEN = {
    "withdrawn": "it was withdrawn already, and its link no longer works.",
    "used": "it was used, and made an account (listed under Accounts).",
    "expired": "it had expired, and its link no longer works.",
}


# The command line: the first admin of a fresh install, and reset links.


def email_or_fail(email):
    """`email`, checked as the register form checks it; else a clean error."""
    email = email.strip()
    if len(email) > 254:
        raise click.ClickException("Email addresses are at most 254 characters.")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.ClickException(f"{email!r} is not an email address: {error}") from None
    return email


def current_or_fail():
    """The database, if its schema is this version's; else the command stops, saying to run
    init-db (a traceback named a missing table or a role the old schema refused)."""
    db = get_db()
    if not migrations.is_current(db):
        raise click.ClickException(
            f"The database at {current_app.config['DATABASE']} is not set up for this "
            "version: run `flask --app journal init-db` first."
        )
    return db


@bp.cli.command("create-admin")
@click.argument("email")
@click.option("--link", is_flag=True, help="Print a one-time set-password link instead.")
@with_appcontext
def create_admin_command(email, link):
    """Create an admin account for EMAIL (asks for its password, or prints a link)."""
    email = email_or_fail(email)
    db = current_or_fail()
    existing = users.by_email(db, email)
    if existing is not None:
        article = "an" if existing["role"] == "admin" else "a"
        raise click.ClickException(
            f"An account with {email} already exists ({article} {existing['role']}); "
            "an admin needs an address of its own."
        )
    if link:
        # A password nobody knows until the link sets one.
        password = secrets.token_urlsafe(32)
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password)
        if problem:
            raise click.ClickException(problem)
    with write_transaction() as db:
        user_id = users.insert(
            db,
            {
                "email": email,
                "password_hash": hash_password(password),
                "role": "admin",
                "timezone": "UTC",
                "created_at": clock.utcnow_iso(),
            },
        )
        token = onetime.make_reset(db, user_id) if link else None
        audit.record(db, None, "create-admin", user_id, actor_role="command line")
    click.echo(f"Created the admin {email}.")
    if token:
        click.echo(f"Set its password within {onetime.RESET_HOURS} hours, once, at:")
        click.echo(onetime.link("auth.reset", token))


@bp.cli.command("reset-link")
@click.argument("email")
@with_appcontext
def reset_link_command(email):
    """Print a one-time password-reset link for the account of EMAIL."""
    db = current_or_fail()
    row = users.by_email(db, email.strip())
    if row is None:
        raise click.ClickException(f"No account has the email {email.strip()!r}.")
    with write_transaction() as db:
        token = onetime.make_reset(db, row["id"], clears_two_factor=True)
        audit.record(db, None, "reset-link", row["id"], actor_role="command line")
    click.echo(f"A password-reset link for {row['email']}, good once within "
               f"{onetime.RESET_HOURS} hours:")  # fmt: skip
    click.echo(onetime.link("auth.reset", token))
