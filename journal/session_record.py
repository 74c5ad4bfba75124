"""What a dosing session holds, in words: the choices of its form, the columns it stores,
how its stored text reads, and its window figures as text.

Pure (no Flask, no SQL): the sessions pages, the session form, exports, the PDF report and
what a therapist may see (journal/access.py) all read these names.
"""

import json

from . import rules
from .numbers import difference, figure

PRODUCTS = [("ketamine", "Ketamine (racemic)"), ("esketamine", "Esketamine (Spravato)")]
ROUTES = [
    ("iv", "IV infusion"),
    ("im", "Intramuscular injection (IM)"),
    ("sc", "Injection under the skin (SC)"),
    ("intranasal", "Intranasal spray"),
    ("oral", "Oral (swallowed)"),
    ("sublingual", "Sublingual (under the tongue)"),
    ("other", "Other"),
]
SIDE_EFFECTS = [
    ("nausea", "Nausea"),
    ("vomiting", "Vomiting"),
    ("dizziness", "Dizziness or vertigo"),
    ("headache", "Headache"),
    ("drowsiness", "Drowsiness"),
    ("numbness", "Numbness or tingling"),
    ("taste_change", "Changed taste"),
    ("blurred_vision", "Blurred vision"),
    ("raised_bp", "Raised blood pressure"),
    ("anxiety", "Anxiety"),
    ("fatigue", "Tiredness (fatigue)"),
    ("other", "Something else"),
]
PROMPTS = [
    ("stood_out", "What stood out most?"),
    ("noticed", "What did you notice in your body or feelings?"),
    ("carry", "What would you like to carry into the coming days?"),
]
LABELS = {
    "products": dict(PRODUCTS),
    "routes": dict(ROUTES),
    "side_effects": dict(SIDE_EFFECTS),
    "prompts": dict(PROMPTS),
}
# Sessions on one local day. A clinic gives one, an at-home protocol at most two; four leave
# room for a split dose logged apart and a slip, and bound what one person's history (and
# every window, list and report built from it) can cost.
PER_DAY_MAX = 4
# The form's answers a session stores as they are (journal/session_form.py, exports).
COLUMNS = (
    "product",
    "route",
    "dose_mg",
    "dose_mg_per_kg",
    "weight_kg",
    "clinic",
    "intention",
    "mood_before",
    "mood_after",
    "dissociation",
    "bp_before_systolic",
    "bp_before_diastolic",
    "bp_after_systolic",
    "bp_after_diastolic",
    "reflection",
    "private",
)
# The optional parts of the form, each a <details> that is open when it holds anything.


def stored_side_effects(row):
    """The side effects of a stored session as a list (", " between them is read too)."""
    return [value.strip() for value in row["side_effects"].split(",") if value.strip()]


def stored_prompts(row):
    """The prompt answers of a stored session, {key: answer}, for the prompts we know."""
    try:
        answers = json.loads(row["prompts"] or "{}")
    except ValueError:
        return {}
    if not isinstance(answers, dict):
        return {}
    return {key: answers[key] for key, _ in PROMPTS if isinstance(answers.get(key), str)}


def latest_mood(row):
    """The mood rating nearest the end of the session: after, else before, else None."""
    return row["mood_after"] if row["mood_after"] is not None else row["mood_before"]


def needs_crisis_resources(row):
    """A session whose latest mood is 0-2 calls for the crisis panel (and flags its day)."""
    mood = latest_mood(row)
    return rules.is_crisis_mood(mood)


def figure_text(figures, base=None, days=None):
    """A session's window figures as the text a page shows; None where there is no data.

    Changes are differences of the figures as shown (`numbers.difference`), so the window
    mean and the baseline `base` shown beside them always add up. `days` says which window
    days the figures stand on (figures.window_label), so a window cut short by the next
    session is never labelled "days 1–7".
    """

    def maybe(value, show):
        return None if value is None else show(value)

    return {
        "pre_level": maybe(figures["pre_level"], figure),
        "window_mean": maybe(figures["window_mean"], figure),
        "change": maybe(figures["change"], lambda v: difference(figures["window_mean"], base)),
        "peak_change": maybe(
            figures["peak_change"],
            lambda v: f"{difference(v + base, base)} on day {figures['peak_day']}",
        ),
        "days_above_baseline": maybe(
            figures["days_above_baseline"], lambda v: f"{v} of {figures['n_checkins']}"
        ),
        "n_checkins": str(figures["n_checkins"]),
        "days": days,
    }
