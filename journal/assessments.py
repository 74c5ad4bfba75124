"""PHQ-9 and GAD-7 check-ups: the published questionnaires, each result explained, the history.

The wording, scoring and explanations live in `journal/instruments.py`; the bands and the
PHQ-9 baseline, response and remission in `journal/windows.py`. This module only fetches,
checks, stores and responds.

Names: a check-up is an `assessment` in the code (the table, the `/assessments` routes of
DESIGN.md, this blueprint and its templates, the exports); "check-up" is the word pages use.

Decisions where DESIGN.md and the issue are silent:

- More than one check-up of a kind on one day is allowed and each is stored: a person may
  retake it after a misclick, or answer one before a session and again after. Nothing is
  overwritten, and the history lists every one (newest first: by day, then by order of saving),
  30 of each kind a page as History (`?page=N` pages both lists at once; the summaries above
  them stand on every check-up).
  The analytics see the later one of a day (windows' tie rule), because the scores are passed
  oldest first.
- A check-up is taken "weekly or before a session": /assessments suggests a PHQ-9 when none is
  dated within the last 7 days (the next is suggested 7 days after the last), and every form
  says that the questions cover two weeks, so daily answers are not valid. Nothing is blocked.
- "Previous" on a result page is the one before it of the same kind, by day and then by order
  of saving. One of the same day (taken again after a slip) covers the same two weeks: the page
  says the later one is the one that counts, never that the difference is "a change that
  matters" (instruments.change_text).
- The optional difficulty question has a "Skip this question" choice, so an answer chosen by
  mistake can be taken back without JavaScript.
- PHQ-9 item 9 above 0: the result page shows the crisis resources once, straight after saving
  (a session flag keyed by the assessment's id, as check-ins do). Every view of that result
  also carries a short note that the answer is worth raising with the care team soon, whatever
  the total, with a link to the help page. The score is saved all the same.
- A missing answer reads "Choose one answer for this question."; a value no radio button can
  send (5, -1, "two") gets ScaleField's "Choose a whole number from 0 to 3.". Dates are checked
  as check-ins check them, with "choose today or a past day" for a future one.
"""

import json

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from wtforms.validators import InputRequired, ValidationError

from . import clock, crisis, drafts, figures, instruments, rules, timezones, windows
from .access import owned_or_404, raise_past_the_last
from .data import assessments as assessment_data
from .db import get_db, page_of, per_page, write_transaction
from .fields import JournalForm, ScaleField, check_local_day, day_field, request_key_field
from .signed_in import their_day, today
from .timezones import day_text

bp = Blueprint("assessments", __name__, url_prefix="/assessments")

# A check-up asks about the last two weeks, so one a day is all that means anything; a few
# more leave room to take it again after a slip (the later of a day is the one that counts).
# The bound keeps one person's history, and every page built from it, in proportion.
PER_DAY_MAX = 3


class AssessmentForm(JournalForm):
    """Fields every check-up shares; the questions and the instrument's own difficulty
    question are added per instrument by `form_class`."""

    instrument = None
    # `date` is added by `form_class`, after the questions, in the page's order: the summary
    # of mistakes lists the fields in the order they are made.
    # New for every form shown: the same form sent twice (a double tap) saves once.
    request_key = request_key_field()

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_date(self, field):
        day = check_local_day(field.data, self.today)
        taken, latest_answer = assessment_data.taken_on_day(
            get_db(), current_user.id, self.instrument.key, day.isoformat()
        )
        flagged = rules.is_crisis_answer(latest_answer)
        # A safety answer is never dropped: one more check-up is kept when it answers item 9
        # above 0 and the day's latest (the one that counts: the report's item-9 line, the
        # flag's words) does not.
        answered = instruments.needs_crisis_resources(self.instrument.key, self.answers())
        if taken >= PER_DAY_MAX + (answered and not flagged):
            raise ValidationError(
                f"You have taken the {self.instrument.title} {taken} times on this day, "
                "the most a day can hold; the latest of them is the one that counts."
            )

    @property
    def questions(self):
        """The item fields q1, q2, … in the instrument's order."""
        return [self[f"q{n}"] for n in range(1, len(self.instrument.items) + 1)]

    def answers(self):
        """The item answers as a list of ints, in order (call after validation)."""
        return [question.data for question in self.questions]


def form_class(instrument):
    """A form with one required one-tap question per item, named q1…qN, and the instrument's
    own difficulty question."""
    questions = {
        f"q{n}": ScaleField(
            item,
            0,
            instruments.MAX_ANSWER,
            labels=instruments.ANSWERS,
            validators=[InputRequired("Choose one answer for this question.")],
        )
        for n, item in enumerate(instrument.items, start=1)
    }
    return type(
        f"{instrument.key.upper()}Form",
        (AssessmentForm,),
        {
            "instrument": instrument,
            "difficulty": ScaleField(
                instrument.difficulty,
                0,
                instruments.MAX_ANSWER,
                labels=instruments.DIFFICULTY_ANSWERS,
            ),
            **questions,
            "date": day_field("Enter the date you answered these questions."),
        },
    )


FORMS = {key: form_class(instrument) for key, instrument in instruments.INSTRUMENTS.items()}


def instrument_or_404(kind):
    """The instrument named in the address, or 404."""
    if kind not in instruments.INSTRUMENTS:
        abort(404)
    return instruments.get(kind)


def newest_assessments(kind=None, limit=None, offset=None):
    """The signed-in person's check-ups (of one kind, or all), newest first (`limit` of them
    from `offset`, when given)."""
    rows = assessment_data.newest(get_db(), current_user.id, kind, limit, offset)
    for row in rows:
        row["band"] = instruments.band(row["kind"], row["total"])
    return rows


def get_assessment(assessment_id):
    """The signed-in person's check-up with this id, or 404 saying it is not there (Back
    after a delete, or Delete in a second tab, lands here), as for a session."""
    gone = "This check-up is not in your journal: it may have been deleted. Check-ups lists yours."
    back = ("assessments.index", "Go to Check-ups")
    row = owned_or_404("assessments", gone=gone, back=back, id=assessment_id)
    row["answers"] = json.loads(row["answers"])
    row["band"] = instruments.band(row["kind"], row["total"])
    return row


def previous_of(row):
    """The person's check-up of the same kind just before `row` (by day, then id), or None."""
    return assessment_data.previous(get_db(), current_user.id, row["kind"], row["day"], row["id"])


def before_the_day_of(row):
    """The person's latest check-up of the same kind from a day before `row`'s, or None."""
    return assessment_data.previous(get_db(), current_user.id, row["kind"], row["day"], 0)


def next_suggested(rows):
    """The day the next check-up is suggested from, given its rows newest first (None: now)."""
    return figures.suggested_from(rows[0]["day"] if rows else None)


def first_session_day():
    """The local date of the person's first session (as /progress counts it), or None."""
    return figures.first_session_day(current_user.id)


def summary_scores(kind, first_session):
    """The (date, total) pairs windows' summaries read (figures.summary_scores)."""
    return figures.summary_scores(current_user.id, kind, first_session)


def as_baseline(row):
    """{"first_session" (its day), "next" (the check-up that would be the baseline without
    it, or None)} when `row` is the treatment baseline of its kind (the one counting for the
    last day on or before the first session); else None. Its delete page says so."""
    first = first_session_day()
    if first is None or row["day"] > first.isoformat():
        return None
    db, kind = get_db(), row["kind"]
    counting = assessment_data.counting_on_or_before(db, current_user.id, kind, first.isoformat())
    if counting is None or counting["id"] != row["id"]:
        return None
    after = assessment_data.counting_on_or_before(
        db, current_user.id, kind, first.isoformat(), without=row["id"]
    )
    return {"first_session": first, "next": after}


def saved_by(kind, key, form):
    """The id of the person's check-up of `kind` that the form with `key` saved with the
    `form`'s answers, date and difficulty, or None. Sent again with any of them changed (Back,
    a date or an answer corrected, Save), the form is a new check-up: the later of a day is
    the one that counts, and a corrected date is never dropped as a repeat."""
    found = assessment_data.saved_for_request_key(get_db(), current_user.id, kind, key)
    sent = {"answers": form.answers(), "day": form.date.data, "difficulty": form.difficulty.data}
    return found["id"] if found and all(found[k] == sent[k] for k in sent) else None


def save_assessment(instrument, day, answers, difficulty, key=None):
    """Store one completed check-up, with the key of the form that sent it; return its id.
    A key already used (the form sent again with something changed) moves to this check-up:
    a repeat of this latest send is what it recognises from now on."""
    if key:
        assessment_data.release_request_key(get_db(), current_user.id, key)
    return assessment_data.add(
        get_db(),
        current_user.id,
        {
            "kind": instrument.key,
            "day": day.isoformat(),
            "answers": json.dumps(answers),
            "total": instruments.score(instrument.key, answers),
            "item9": instruments.safety_answer(instrument.key, answers),
            "difficulty": difficulty,
            "created_at": clock.utcnow_iso(),
            "request_key": key,
        },
    )


@bp.route("")
@login_required
def index():
    local_today = today()
    counts = dict.fromkeys(instruments.INSTRUMENTS, 0)
    counts.update(assessment_data.counts(get_db(), current_user.id))
    raise_past_the_last(max(counts.values()), "Check-ups", "assessments.index")
    page, pages, offset = page_of(max(counts.values()))
    history = {key: newest_assessments(key, per_page(), offset) for key in instruments.INSTRUMENTS}
    latest_phq9 = newest_assessments("phq9", 1)
    first_session = first_session_day()
    next_phq9 = next_suggested(latest_phq9)
    return render_template(
        "assessments/index.html",
        history=history,
        counts=counts,
        latest_phq9=latest_phq9[0] if latest_phq9 else None,
        page=page,
        pages=pages,
        instruments=instruments.INSTRUMENTS,
        # With the first response after the baseline: a latest score above half of it then
        # reads "No longer", not "Not yet" (instruments.response_status).
        phq9=figures.phq9_course(current_user, first_session, remission=True),
        gad7=windows.gad7_summary(summary_scores("gad7", first_session), first_session),
        response=instruments.response_status,
        baseline_text=instruments.baseline_text,
        first_session=first_session,
        suggest_phq9=figures.is_due(next_phq9, local_today),
        next_phq9=next_phq9,
    )


@bp.route("/<kind>", methods=["GET", "POST"])
@login_required
def take(kind):
    instrument = instrument_or_404(kind)
    local_today = today()
    if request.method == "POST":
        form = FORMS[kind](today=local_today)
        key = form.request_key.data
        with write_transaction():  # two taps take turns: the second sees the first's key
            # Before the checks: a double tap on the day's last allowed check-up is no error.
            earlier = saved_by(kind, key, form) if key else None
            saved = earlier is None and form.validate_on_submit()
            if saved:
                day = timezones.parse_day(form.date.data)
                answers = form.answers()
                assessment_id = save_assessment(instrument, day, answers, form.difficulty.data, key)
        if earlier is not None:
            # The first answer may never have reached the browser (a double tap): this one
            # asks for the crisis resources as it would have (the answers are the stored ones).
            if instruments.needs_crisis_resources(kind, form.answers()):
                crisis.flag("assessment", earlier)
            flash(f"This {instrument.title} was already saved from this form: saved once.")
            drafts.stored()
            return redirect(url_for("assessments.result", assessment_id=earlier))
        if saved:
            if instruments.needs_crisis_resources(kind, answers):
                crisis.flag("assessment", assessment_id)
            flash(f"Saved your {instrument.title} for {their_day(day)}.")
            drafts.stored()
            return redirect(url_for("assessments.result", assessment_id=assessment_id))
    else:
        form = FORMS[kind](today=local_today, data={"date": local_today.isoformat()})
    latest = newest_assessments(kind, 1)
    next_day = next_suggested(latest)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "assessments/form.html",
        form=form,
        # Sent with an answer above 0 to the safety item and refused (a mistake, a fourth on
        # one day): the resources show all the same.
        crisis_unsaved=form.is_submitted()
        and instruments.needs_crisis_resources(kind, form.answers()),
        instrument=instrument,
        stem=instrument.stem,
        attribution=instruments.ATTRIBUTION,
        latest=latest[0] if latest else None,
        next_day=None if figures.is_due(next_day, local_today) else next_day,
        error_names=error_names(instrument),
    ), status


def error_names(instrument):
    """How the form's error summary names its fields: "Question 3", not the item's words."""
    questions = {f"q{n}": f"Question {n}" for n in range(1, len(instrument.items) + 1)}
    return {**questions, "difficulty": "The question about difficulty", "date": "The date"}


@bp.route("/<int:assessment_id>")
@login_required
def result(assessment_id):
    row = get_assessment(assessment_id)
    instrument = instruments.get(row["kind"])
    previous = previous_of(row)
    change = earlier = earlier_change = None
    if previous is not None:
        same_day = previous["day"] == row["day"]
        change = instruments.change_text(row["kind"], row["total"], previous["total"], same_day)
        # A retake of the day is no change over time: the one a clinician compares with is the
        # latest of an earlier day.
        earlier = before_the_day_of(row) if same_day else None
        if earlier is not None:
            earlier_change = instruments.change_text(row["kind"], row["total"], earlier["total"])
    crisis_panel = crisis.take("assessment", row["id"])
    return render_template(
        "assessments/result.html",
        row=row,
        instrument=instrument,
        explanation=instruments.explanation(row["kind"], row["total"]),
        previous=previous,
        change=change,
        earlier=earlier,
        earlier_change=earlier_change,
        crisis_panel=crisis_panel,
        answer_labels=instruments.ANSWERS,
        difficulty=instrument.difficulty,
        difficulty_labels=instruments.DIFFICULTY_ANSWERS,
        attribution=instruments.ATTRIBUTION,
    )


@bp.route("/<int:assessment_id>/delete", methods=["GET", "POST"])
@login_required
def delete(assessment_id):
    """A check-up saved by mistake (a year mistyped made it the PHQ-9 before the first session,
    the treatment baseline, for good) can go, as a check-in or a session can."""
    row = get_assessment(assessment_id)
    form = JournalForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        assessment_data.delete(get_db(), current_user.id, row["id"])
        day = timezones.parse_day(row["day"])
        title = instruments.get(row["kind"]).title
        flash(f"Deleted the {title} of {day_text(day, 'weekday_year')}.")
        return redirect(url_for("assessments.index"))
    return render_template(
        "assessments/delete.html",
        row=row,
        instrument=instruments.get(row["kind"]),
        form=form,
        baseline=as_baseline(row),
    )
