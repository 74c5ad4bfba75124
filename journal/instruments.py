"""PHQ-9 and GAD-7 as data: the published wording, scoring, bands and plain-words explanations.

Pure (no Flask, no SQL), so the pages, the report, the exports and the tests all read one copy
of the wording. Items, stem, answers, the difficulty question and the attribution line are
exactly those of CLINICAL.md; banding is `windows.band` over `rules.PHQ9_BANDS` and
`rules.GAD7_BANDS`, never a second table.

Decisions where the sources are silent:

- The 5-point "smallest change that matters for one person" (Löwe et al. 2004) is a PHQ-9
  figure; CLINICAL.md gives none for the GAD-7, so a GAD-7 change is reported in points only.
- The GAD-7 form offers its own optional difficulty question, worded as published ("how
  difficult have these made it"); it is never scored. Each instrument carries its own stem and
  difficulty question: the PHQ-9's wording is never shown on the GAD-7.
- Band texts name the band and say what the total means; they never guess how often any one
  problem bothered the person (a total of 4 can hold item 9 "Nearly every day").
- Both carry the same attribution line ("same Pfizer terms"); the copyright line is shown for
  the PHQ-9, as CLINICAL.md states it for that instrument.
"""

from dataclasses import dataclass, field
from datetime import date

from . import rules, windows
from .numbers import plural
from .timezones import day_text

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
GAD7_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"
ANSWERS = ("Not at all", "Several days", "More than half the days", "Nearly every day")
DIFFICULTY = (
    "If you checked off any problems, how difficult have these problems made it for you to do "
    "your work, take care of things at home, or get along with other people?"
)
GAD7_DIFFICULTY = (
    "If you checked off any problems, how difficult have these made it for you to do your "
    "work, take care of things at home, or get along with other people?"
)
DIFFICULTY_ANSWERS = (
    "Not difficult at all",
    "Somewhat difficult",
    "Very difficult",
    "Extremely difficult",
)
ATTRIBUTION = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute."
)
MAX_ANSWER = len(ANSWERS) - 1


@dataclass(frozen=True)
class Instrument:
    """One questionnaire: its key (as stored in `assessments.kind`), wording and bands."""

    key: str
    title: str
    topic: str
    stem: str
    difficulty: str
    items: tuple[str, ...]
    bands: list[tuple[int, int, str]]
    band_notes: dict[str, str] = field(default_factory=dict)  # said after a band's range
    copyright: str | None = None
    meaningful_change: int | None = None  # smallest change that matters for one person
    evaluate_from: int | None = None  # a total from here merits further evaluation
    # 1-based item whose answer calls for resources (rules.is_crisis_answer: above 0)
    safety_item: int | None = None

    @property
    def max_total(self):
        """The highest possible total (3 points an item)."""
        return MAX_ANSWER * len(self.items)

    def band_text(self, name):
        """What band `name` means: its range, read from `bands` (rules.py), then its note."""
        low, high = next((low, high) for low, high, named in self.bands if named == name)
        text = f"A total of {low} to {high} is in the {name} range"
        if name == self.bands[0][2]:
            text += f", the {self.title}'s lowest band"
        elif name == self.bands[-1][2]:
            text += f", the {self.title}'s highest band"
        note = self.band_notes.get(name)
        return f"{text}." if note is None else f"{text}. {note}"

    @property
    def subtitle(self):
        """ "A depression check-up", "An anxiety check-up"."""
        article = "An" if self.topic[0] in "aeiou" else "A"
        return f"{article} {self.topic} check-up"


PHQ9 = Instrument(
    key="phq9",
    title="PHQ-9",
    topic="depression",
    stem=STEM,
    difficulty=DIFFICULTY,
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your "
        "family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    bands=rules.PHQ9_BANDS,
    band_notes={
        "moderate": "It is worth going over with your clinician or therapist.",
        "moderately severe": "Your care team uses exactly this kind of information to plan "
        "treatment, so it is worth sharing with them.",
        "severe": "Please let your care team know soon, so they can look at this with you and "
        "support you.",
    },
    copyright="PHQ-9 copyright © Pfizer Inc.",
    meaningful_change=5,
    safety_item=9,
)

GAD7 = Instrument(
    key="gad7",
    title="GAD-7",
    topic="anxiety",
    stem=GAD7_STEM,
    difficulty=GAD7_DIFFICULTY,
    items=(
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
    bands=rules.GAD7_BANDS,
    evaluate_from=10,
)

INSTRUMENTS = {PHQ9.key: PHQ9, GAD7.key: GAD7}


def get(kind):
    """The instrument for `kind` ("phq9" or "gad7"); KeyError for anything else."""
    return INSTRUMENTS[kind]


def score(kind, answers):
    """The total of a complete set of answers, each a whole number 0–3, in item order.

    Raises ValueError for a wrong number of answers or an answer that is not 0–3: a partial
    questionnaire has no valid total.
    """
    instrument = get(kind)
    answers = list(answers)
    if len(answers) != len(instrument.items):
        raise ValueError(
            f"{instrument.title} needs {len(instrument.items)} answers, not {len(answers)}"
        )
    for answer in answers:
        # bool is an int; a stray True must not count as "Several days".
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise ValueError(f"answer {answer!r} is not a whole number")
        if not 0 <= answer <= MAX_ANSWER:
            raise ValueError(f"answer {answer!r} is outside 0-{MAX_ANSWER}")
    return sum(answers)


def band(kind, total):
    """The band name of `total` ("minimal", "mild", ...), from windows.band."""
    return windows.band(total, get(kind).bands)


def explanation(kind, total):
    """Plain-words paragraphs about a total: its band, what the questionnaire is, and how to
    read a change."""
    instrument = get(kind)
    paragraphs = [
        instrument.band_text(band(kind, total)),
        "The total adds up all your answers, so it does not show how often any one problem "
        "bothered you: each answer counts on its own too, and your answers are listed below.",
        f"The {instrument.title} is a screening questionnaire, not a diagnosis. It asks about "
        f"the last two weeks, and it is most useful as a trend over time and as something to "
        f"talk through with your care team.",
    ]
    if instrument.evaluate_from is not None and total >= instrument.evaluate_from:
        paragraphs.append(
            f"A total of {instrument.evaluate_from} or more merits further evaluation: it is "
            f"worth talking over with your clinician, who can look at it with you."
        )
    if instrument.meaningful_change is not None:
        paragraphs.append(
            f"For one person, {instrument.meaningful_change} points is the smallest change "
            f"that matters. Smaller moves up or down are common from one time to the next."
        )
    return paragraphs


def safety_answer(kind, answers):
    """The answer to the safety item (PHQ-9 item 9), or None for an instrument without one."""
    item = get(kind).safety_item
    return None if item is None else answers[item - 1]


def needs_crisis_resources(kind, answers):
    """Any answer above 0 to the safety item calls for crisis resources, whatever the total
    (rules.is_crisis_answer)."""
    return rules.is_crisis_answer(safety_answer(kind, answers))


def points_moved(change):
    """A non-zero change of a total in words: "3 points lower", "1 point higher"."""
    return f"{plural(abs(change), 'point')} {'lower' if change < 0 else 'higher'}"


def change_text(kind, total, previous, same_day=False):
    """Sentences comparing `total` with the previous total of the same instrument.

    `same_day`: the previous one is dated the same day (taken again after a slip). Both ask
    about the same two weeks, so the difference is a correction, not a change over time, and
    is never called "a change that matters"; the later of a day is the one that counts (though
    an answer above 0 to the safety item, in any of them, stays flagged)."""
    instrument = get(kind)
    change = total - previous
    if same_day:
        text = (
            f"It is dated the same day, with a total of {previous}. Both cover the same two "
            "weeks, so the difference is not a change over time; the latest of a day is the "
            "one that counts in your progress and reports."
        )
        if instrument.safety_item is None:
            return text
        # Flags count every check-up of the day (safety first): the words must not promise
        # that a retake takes an earlier safety answer back.
        return (
            f"{text} An answer above 0 to the last question, in any of them, stays shown to "
            "anyone you share your journal with."
        )
    if change == 0:
        return f"This one has the same total ({total})."
    points = abs(change)
    text = f"This one is {points_moved(change)} (from {previous} to {total})."
    threshold = instrument.meaningful_change
    if threshold is None:
        return text
    if points < threshold:
        return (
            f"{text} That is less than {threshold} points, within the usual ups and downs "
            f"from one time to the next."
        )
    if change < 0:
        return f"{text} That reaches {threshold} points, a change that matters for one person."
    return (
        f"{text} That reaches {threshold} points, a change that matters for one person: "
        f"worth mentioning to your care team."
    )


# Why a PHQ-9 response and remission are not shown, in words, for each of
# windows.RESPONSE_REASONS (windows.phq9_summary's "reason").
RESPONSE_REASON_TEXTS = {
    "no_scores": "no PHQ-9 yet",
    "no_session": "no session logged yet, so there is no treatment baseline",
    "no_baseline": "no PHQ-9 before the first session, so there is no treatment baseline",
    "baseline_below_10": f"baseline below {rules.RESPONSE_MIN_BASELINE}: response and remission "
    f"are defined only from a baseline PHQ-9 of {rules.RESPONSE_MIN_BASELINE} or more",
    "no_later_score": "no PHQ-9 since the baseline",
}
# The same reasons, short enough for the report's two-line figure box (its full note, on the
# row below, gives them in full): a clipped note once hid the baseline's number.
RESPONSE_SHORT = {
    "no_scores": "no PHQ-9 yet",
    "no_session": "no session yet",
    "no_baseline": "no PHQ-9 before treatment",
    "baseline_below_10": f"baseline below {rules.RESPONSE_MIN_BASELINE}",
    "no_later_score": "no PHQ-9 since baseline",
}
RESPONSE_RULE = (
    f"Response: a PHQ-9 at most half the baseline; remission: below {rules.REMISSION_BELOW}. "
    f"Both are counted only from a baseline of {rules.RESPONSE_MIN_BASELINE} or more, the last "
    "PHQ-9 on or before the first session."
)


def response_status(phq9):
    """(word, note) for the PHQ-9 response and remission of windows.phq9_summary's `phq9`.

    The word is "Remission", "Response", "Not yet", "No longer" or "Not shown"; the note says
    why, with the numbers, or plainly why they are not shown. "No longer" is a latest score above
    half the baseline after an earlier response (`first_response_date`, from windows'
    phq9_course, when `phq9` has it): "Not yet" beside "first response on 5 Sep" told the
    person and their clinic it had never come.
    """
    if phq9["reason"] is not None:
        return "Not shown", RESPONSE_REASON_TEXTS[phq9["reason"]]
    latest, base = phq9["latest"], phq9["baseline"]
    if phq9["remission"]:
        return (
            "Remission",
            f"latest {latest}, below {rules.REMISSION_BELOW}, from a baseline of {base}",
        )
    if phq9["response"]:
        note = f"latest {latest} is at most half the baseline of {base}"
        remitted = phq9.get("first_remission_date")
        if remitted:  # a remission that came and went: "Remission: No longer" beside it
            remitted = remitted if isinstance(remitted, date) else date.fromisoformat(remitted)
            note += f"; below {rules.REMISSION_BELOW} first on {day_text(remitted, 'date_year')}"
        return "Response", note
    above = f"latest {latest} is more than half the baseline of {base}"
    first = phq9.get("first_response_date")
    if first:
        first = first if isinstance(first, date) else date.fromisoformat(first)
        return "No longer", f"first reached on {day_text(first, 'date_year')}; {above}"
    return "Not yet", above


def response_short(phq9):
    """The note of response_status in a few words: the two totals, or why not shown."""
    if phq9["reason"] is not None:
        return RESPONSE_SHORT[phq9["reason"]]
    return f"latest {phq9['latest']}, baseline {phq9['baseline']}"


def baseline_text(summary, has_session):
    """How a PHQ-9 or GAD-7 summary's baseline reads: its total, or plainly why there is none
    (then the change since the first score, labelled as such)."""
    if summary["baseline"] is not None:
        return f"{summary['baseline']} (the last on or before the first session)"
    if summary["latest"] is None:
        return "none yet"
    text = "none yet (no session logged)" if not has_session else "none before the first session"
    if summary["first"] is not None:
        change = summary["latest"] - summary["first"]
        if change == 0:
            moved = "the latest is the same as the first"
        else:
            moved = f"the latest is {points_moved(change)} than the first"
        text += f"; {moved} ({summary['first']})"
    return text
