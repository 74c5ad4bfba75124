"""A person's own 0–10 symptoms (rumination, motivation, pain…), tracked on the check-in form.

Retiring a symptom hides it from the form and keeps its history, so charts of
past windows still show it; tracking it again brings it back.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import StringField
from wtforms.validators import InputRequired, Length, ValidationError

from . import clock
from .db import get_db, owned_or_404
from .fields import JournalForm, ScaleField, name_text, no_control_characters

bp = Blueprint("symptoms", __name__, url_prefix="/settings/symptoms")

ACTIVE_MAX = 10
RESERVED = {"mood", "anxiety", "energy", "sleep"}


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
        if field.data.casefold() in RESERVED:
            raise ValidationError(f"{field.data.capitalize()} is already on the check-in form.")
        same = find_by_name(current_user.id, field.data)
        if same and same["retired_at"] is not None:
            raise ValidationError(
                f"You stopped tracking {same['name']}. Press \u201cTrack again\u201d below to "
                "bring it back with its history."
            )
        if same:
            raise ValidationError("You already have a symptom with this name.")
        if len(active(current_user.id)) >= ACTIVE_MAX:
            raise ValidationError(
                f"You track {ACTIVE_MAX} symptoms already; stop tracking one first."
            )


def active(user_id):
    """The symptoms shown on the check-in form, in the order they were added."""
    return list(
        get_db()["symptoms"].rows_where(
            "user_id = ? and retired_at is null", [user_id], order_by="id"
        )
    )


def every(user_id):
    """Every symptom the person has ever tracked, retired ones included."""
    return list(get_db()["symptoms"].rows_where("user_id = ?", [user_id], order_by="id"))


def find_by_name(user_id, name):
    """The person's symptom called `name` (any case), or None."""
    rows = list(
        get_db()["symptoms"].rows_where("user_id = ? and name = ?", [user_id, name], limit=1)
    )
    return rows[0] if rows else None


def get_symptom(symptom_id):
    """The signed-in person's symptom, or 404."""
    return owned_or_404("symptoms", id=symptom_id)


def field_name(symptom):
    """The check-in form's field for a symptom."""
    return f"symptom_{symptom['id']}"


def scale_field(symptom):
    """The 0–10 rating field for a symptom on the check-in form."""
    return ScaleField(symptom["name"])


def scores(checkin_id):
    """{symptom_id: value} for one check-in."""
    return dict(
        get_db()
        .execute("select symptom_id, value from symptom_scores where checkin_id = ?", [checkin_id])
        .fetchall()
    )


def scores_with_names(checkin_id):
    """[(name, value)] for one check-in, retired symptoms included."""
    return (
        get_db()
        .execute(
            "select y.name, s.value from symptom_scores s join symptoms y on y.id = s.symptom_id "
            "where s.checkin_id = ? order by y.id",
            [checkin_id],
        )
        .fetchall()
    )


def save_scores(checkin_id, form, symptoms, keep_unanswered=False):
    """Store the form's ratings for `symptoms`; a cleared rating removes the score, unless
    `keep_unanswered` (a merge: an empty answer keeps the stored one).

    Scores of symptoms not on the form (retired since) are left as they were.
    """
    db = get_db()
    for symptom in symptoms:
        value = form[field_name(symptom)].data
        if value is None and keep_unanswered:
            continue
        if value is None:
            db.execute(
                "delete from symptom_scores where checkin_id = ? and symptom_id = ?",
                [checkin_id, symptom["id"]],
            )
        else:
            db.execute(
                "insert into symptom_scores (checkin_id, symptom_id, value) values (?, ?, ?) "
                "on conflict (checkin_id, symptom_id) do update set value = excluded.value",
                [checkin_id, symptom["id"], value],
            )


def add_symptom(user_id, name):
    """Track a new symptom: True, or False when the person has one of that name already
    (stored by a request sent at the same moment, like the other half of a double tap)."""
    cursor = get_db().execute(
        "insert into symptoms (user_id, name, created_at) values (?, ?, ?) "
        "on conflict (user_id, name) do nothing",
        [user_id, name, clock.utcnow_iso()],
    )
    return cursor.rowcount == 1


def render(form=None, status=200):
    """The symptoms page: the add form, the tracked list and the retired list."""
    symptoms = every(current_user.id)
    return render_template(
        "symptoms/index.html",
        form=form or SymptomForm(formdata=None),
        tracked=[s for s in symptoms if s["retired_at"] is None],
        retired=[s for s in symptoms if s["retired_at"] is not None],
        action_form=JournalForm(formdata=None),
    ), status


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    form = SymptomForm()
    if not form.is_submitted():
        return render()
    if form.validate():
        add_symptom(current_user.id, form.name.data)  # False: a double tap's other half did
        flash(f"{form.name.data} is now on your check-in form.")
        return redirect(url_for("symptoms.index"))
    return render(form, 400)


def set_retired(symptom_id, retired_at):
    """Retire or restore one of the signed-in person's symptoms."""
    symptom = get_symptom(symptom_id)
    if not JournalForm().validate_on_submit():
        abort(400)
    get_db().execute(
        "update symptoms set retired_at = ? where id = ? and user_id = ?",
        [retired_at, symptom["id"], current_user.id],
    )
    return symptom


@bp.route("/<int:symptom_id>/retire", methods=["POST"])
@login_required
def retire(symptom_id):
    symptom = set_retired(symptom_id, clock.utcnow_iso())
    flash(f"{symptom['name']} is off the check-in form. Its history is kept.")
    return redirect(url_for("symptoms.index"))


@bp.route("/<int:symptom_id>/restore", methods=["POST"])
@login_required
def restore(symptom_id):
    symptom = get_symptom(symptom_id)
    if len(active(current_user.id)) >= ACTIVE_MAX:
        flash(f"You track {ACTIVE_MAX} symptoms already; stop tracking one first.")
        return render(status=400)
    set_retired(symptom["id"], None)
    flash(f"{symptom['name']} is back on your check-in form.")
    return redirect(url_for("symptoms.index"))
