"""A patient linking to a therapist with their invite code, and unlinking
(`/settings/therapist`); the codes and links themselves are journal/therapist_link.py, the
therapist's side journal/caseload.py.

Decisions:

- `/settings/therapist` is the patient's page: a therapist account gets 404 there, and
  cannot link to another therapist.
- The page tells the patient, before they link, that the therapist sees the name they
  chose for therapists (`User.shared_name`) and their email address.
- Like the caseload, these pages send `Cache-Control: no-store`: who is linked to whom is
  never kept in a browser's cache.
- Linking answers with what changed: linking to another therapist names the one whose
  access ended (the page said it would); the code of the therapist linked already changes
  nothing, and the answer no longer says "They can now see", as if access had just begun
  (nor "nothing changed", which a double tap's second answer would say of the first's link).
- A therapist who deletes their account leaves each linked patient a word, with nothing of
  theirs, as a patient who deletes leaves their therapist one: for NOTICE_DAYS, unlinked,
  the page says on which day the therapist they were linked to then deleted it (an event of
  their "Recent activity", `account.therapist_deleted_on`).
- Unlinking when not linked (a second tab, a double tap) is harmless: it redirects back
  to `/settings/therapist` with a message rather than an error page.
- Unlink asks first (`GET /settings/therapist/unlink`, a page of its own saying what it
  does): it cannot be undone without the therapist's invite code, and leaves the therapist
  a notice, so a stray tap must not do it.
- The page's Unlink ends only the link it named (`UnlinkForm.therapist_id`): confirmed after
  the patient linked to someone else in another tab, it unlinks nobody and says so. A post
  without the field (another client) ends the link there is.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..access import patient_required
from ..account import therapist_deleted_on
from ..fields import JournalForm, isolated, strip
from ..people import raise_if_account_gone
from ..therapist_link import WRONG_CODE, link, link_of, unlink
from ..timezones import day_text_near, local_date, local_today

THERAPIST_PAGES = frozenset({"settings.therapist", "settings.unlink_therapist"})


def no_store(response):
    """Who is linked to whom: never kept in a browser's cache (as on the caseload). Run after
    every request of the settings blueprint (see journal/settings/__init__.py)."""
    if request.endpoint in THERAPIST_PAGES:
        response.headers["Cache-Control"] = "no-store"
    return response


class LinkForm(JournalForm):
    invite_code = StringField(
        "Invite code from your therapist",
        filters=[strip],
        validators=[
            DataRequired("Enter the code your therapist gave you."),
            Length(max=40, message=WRONG_CODE),
        ],
        description="8 letters and digits, like K7QM-3XWD. Capitals, spaces and dashes "
        "don't matter.",
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class UnlinkForm(JournalForm):
    """The unlink page's confirmation, naming the therapist it asked about by id."""

    therapist_id = HiddenField(filters=[strip], validators=[Optional(), Regexp(r"[0-9]{1,18}\Z")])


def deleted_day(patient):
    """The day (in words, in the patient's zone) the therapist they were linked to deleted
    their account, when in the last NOTICE_DAYS; else None."""
    at = therapist_deleted_on(patient.id)
    if at is None:
        return None
    return day_text_near(local_date(at, patient.timezone), local_today(patient.timezone))


def render_link(form, status=200):
    """The patient's "Your therapist" page."""
    return render_template(
        "settings/therapist.html",
        form=form,
        link=link_of(current_user.id),
        therapist_deleted=deleted_day(current_user),
        local_date=local_date,
    ), status


@login_required
@patient_required
def therapist():
    form = LinkForm()
    if not form.is_submitted():
        return render_link(form)
    if not form.validate():
        return render_link(form, 400)
    linked = link(current_user.id, form.invite_code.data)
    if linked is None:
        form.invite_code.errors.append(WRONG_CODE)
        return render_link(form, 400)
    name = isolated(linked["therapist"].name)
    # Linked already (the code entered again, or a double tap's second): access began before.
    now = "" if linked["already"] else " now"
    message = f"You are linked to {name}. They can{now} see your progress and the reflections "
    message += "you share."
    if linked["replaced"] is not None:
        # The page said linking here ends the other's access: the answer says it did.
        message += f" {isolated(linked['replaced'].name)} can no longer see your journal."
    flash(message)
    return redirect(url_for("settings.therapist"))


@login_required
@patient_required
def unlink_therapist():
    current = link_of(current_user.id)
    if request.method != "POST":  # a GET, or a HEAD asking the same
        if current is None:
            return redirect(url_for("settings.therapist"))
        form = UnlinkForm(data={"therapist_id": str(current["therapist"].id)})
        return render_template("settings/unlink.html", link=current, form=form)
    form = UnlinkForm()
    if not form.validate_on_submit():
        abort(400)
    named = int(form.therapist_id.data) if form.therapist_id.data else None
    if current is not None and unlink(current_user.id, named):
        flash(
            f"You are unlinked. {isolated(current['therapist'].name)} can no longer see your "
            "journal in their caseload. Share links you made stay open until they expire or you "
            "revoke them on the Share links page."
        )
        return redirect(url_for("settings.therapist"))
    # Nothing unlinked: read again, since the same Unlink sent from another tab at the same
    # moment may have ended the link read above (then there is none now).
    now = link_of(current_user.id)
    if now is None:
        raise_if_account_gone()  # the link went with the account, deleted on another device
        flash("You are not linked to a therapist.")
    else:
        flash(
            f"Nothing was unlinked: you are linked to {isolated(now['therapist'].name)} now, "
            "not to the therapist that page asked about. Unlink here if you mean to."
        )
    return redirect(url_for("settings.therapist"))
