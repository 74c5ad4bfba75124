"""A person's own 0–10 symptoms (rumination, motivation, pain…), tracked on the check-in form
(`/settings/symptoms`).

Retiring a symptom hides it from the form and keeps its history, so charts of
past windows still show it; tracking it again brings it back.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import InputRequired, Length, ValidationError

from .. import clock
from ..access import owned_or_404
from ..data import symptoms as symptom_data
from ..db import get_db, write_transaction
from ..fields import JournalForm, name_text, no_control_characters
from ..figures import BUILTIN_METRICS
from ..people import AccountGone

ACTIVE_MAX = 10
# The check-in form's own 0-10 scales and sleep, which the metric picker offers already.
RESERVED = frozenset(BUILTIN_METRICS)


class SymptomForm(JournalForm):
    name = StringField(
        "Symptom to track",
        filters=[name_text],
        validators=[
            InputRequired("Name the symptom, like rumination or pain."),
            Length(max=40, message="Keep the name to 40 characters."),
            no_control_characters,
        ],
        description="Rated 0 (none) to 10 (worst) on each check-in.",
    )

    def validate_name(self, field):
        if symptom_data.name_key(field.data) in RESERVED:
            raise ValidationError(f"{field.data.capitalize()} is already on the check-in form.")
        same = symptom_data.find_by_name(get_db(), current_user.id, field.data)
        if same and same["retired_at"] is not None:
            raise ValidationError(
                f"You stopped tracking {same['name']}. Press \u201cTrack again\u201d below to "
                "bring it back with its history."
            )
        if same:
            raise ValidationError("You already have a symptom with this name.")
        if len(symptom_data.active(get_db(), current_user.id)) >= ACTIVE_MAX:
            raise ValidationError(
                f"You track {ACTIVE_MAX} symptoms already; stop tracking one first."
            )


def get_symptom(symptom_id):
    """The signed-in person's symptom, or 404."""
    return owned_or_404("symptoms", id=symptom_id)


def add_symptom(user_id, name):
    """Track a new symptom: True, or False when the person has one of that name already
    (stored by a request sent at the same moment, like the other half of a double tap)."""
    return symptom_data.add(get_db(), user_id, name, clock.utcnow_iso())


def render(form=None, status=200):
    """The symptoms page: the add form, the tracked list and the retired list."""
    symptoms = symptom_data.every(get_db(), current_user.id)
    return render_template(
        "settings/symptoms.html",
        form=form or SymptomForm(formdata=None),
        tracked=[s for s in symptoms if s["retired_at"] is None],
        retired=[s for s in symptoms if s["retired_at"] is not None],
        action_form=JournalForm(formdata=None),
    ), status


@login_required
def symptoms():
    form = SymptomForm()
    if not form.is_submitted():
        return render()
    # Checked and added holding the write lock: two tabs adding at once take turns, so the
    # second is counted against the first's symptom (both passed the limit before).
    with write_transaction():
        added = form.validate()
        if added:
            add_symptom(current_user.id, form.name.data)  # False: a double tap's other half did
    if added:
        flash(f"{form.name.data} is now on your check-in form.")
        return redirect(url_for("settings.symptoms"))
    return render(form, 400)


def set_retired(symptom_id, retired_at):
    """Retire or restore one of the signed-in person's symptoms."""
    symptom = get_symptom(symptom_id)
    if not JournalForm().validate_on_submit():
        abort(400)
    if not symptom_data.set_retired(get_db(), current_user.id, symptom["id"], retired_at):
        raise AccountGone  # deleted on another device since the symptom was read
    return symptom


@login_required
def retire_symptom(symptom_id):
    symptom = set_retired(symptom_id, clock.utcnow_iso())
    flash(f"{symptom['name']} is off the check-in form. Its history is kept.")
    return redirect(url_for("settings.symptoms"))


@login_required
def restore_symptom(symptom_id):
    with write_transaction():  # counted and brought back in turn, as `symptoms` adds
        symptom = get_symptom(symptom_id)
        # Already tracked (a second tap, or Back and "Track again" once more): it is on the
        # form, whatever the count; only bringing one back is held to the limit.
        tracked = symptom["retired_at"] is None
        full = not tracked and len(symptom_data.active(get_db(), current_user.id)) >= ACTIVE_MAX
        if not full:
            set_retired(symptom["id"], None)
    if full:
        flash(f"You track {ACTIVE_MAX} symptoms already; stop tracking one first.")
        return render(status=400)
    flash(f"{symptom['name']} is back on your check-in form.")
    return redirect(url_for("settings.symptoms"))
