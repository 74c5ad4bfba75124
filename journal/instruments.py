"""PHQ-9 and GAD-7 as data: the published wording, scoring, bands and plain-words explanations.

Pure (no Flask, no SQL), so the pages, the report, the exports and the tests all read one copy
of the wording. Items, stem, answers, the difficulty question and the attribution line are
exactly those of CLINICAL.md; banding is `windows.band` over `windows.PHQ9_BANDS` and
`windows.GAD7_BANDS`, never a second table.

Decisions where the sources are silent:

- The 5-point "smallest change that matters for one person" (Löwe et al. 2004) is a PHQ-9
  figure; CLINICAL.md gives none for the GAD-7, so a GAD-7 change is reported in points only.
- The GAD-7 form offers the same optional difficulty question as the PHQ-9 (it does in the
  published questionnaire); it is never scored.
- Both carry the same attribution line ("same Pfizer terms"); the copyright line is shown for
  the PHQ-9, as CLINICAL.md states it for that instrument.
"""

from dataclasses import dataclass

from . import windows

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
ANSWERS = ("Not at all", "Several days", "More than half the days", "Nearly every day")
DIFFICULTY = (
    "If you checked off any problems, how difficult have these problems made it for you to do "
    "your work, take care of things at home, or get along with other people?"
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
    items: tuple[str, ...]
    bands: list[tuple[int, int, str]]
    band_texts: dict[str, str]
    copyright: str | None = None
    meaningful_change: int | None = None  # smallest change that matters for one person
    evaluate_from: int | None = None  # a total from here merits further evaluation
    safety_item: int | None = None  # 1-based item whose answer above 0 calls for resources

    @property
    def max_total(self):
        """The highest possible total (3 points an item)."""
        return MAX_ANSWER * len(self.items)


PHQ9 = Instrument(
    key="phq9",
    title="PHQ-9",
    topic="depression",
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
    bands=windows.PHQ9_BANDS,
    band_texts={
        "minimal": "A total of 0 to 4 is in the minimal range: over these two weeks, these "
        "problems bothered you rarely, if at all.",
        "mild": "A total of 5 to 9 is in the mild range: some of these problems bothered you "
        "on several days.",
        "moderate": "A total of 10 to 14 is in the moderate range: several of these problems "
        "were there on many days. It is worth going over with your clinician or therapist.",
        "moderately severe": "A total of 15 to 19 is in the moderately severe range: many of "
        "these problems were there on most days. Your care team uses exactly this kind of "
        "information to plan treatment, so it is worth sharing with them.",
        "severe": "A total of 20 to 27 is in the severe range: these problems were with you "
        "nearly every day. Please let your care team know soon, so they can look at this "
        "with you and support you.",
    },
    copyright="PHQ-9 copyright © Pfizer Inc.",
    meaningful_change=5,
    safety_item=9,
)

GAD7 = Instrument(
    key="gad7",
    title="GAD-7",
    topic="anxiety",
    items=(
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
    bands=windows.GAD7_BANDS,
    band_texts={
        "minimal": "A total of 0 to 4 is in the minimal range: over these two weeks, anxiety "
        "bothered you rarely, if at all.",
        "mild": "A total of 5 to 9 is in the mild range: some of these worries bothered you "
        "on several days.",
        "moderate": "A total of 10 to 14 is in the moderate range: anxiety was there on many days.",
        "severe": "A total of 15 to 21 is in the severe range: anxiety was with you on most days.",
    },
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
        instrument.band_texts[band(kind, total)],
        f"The {instrument.title} is a screening questionnaire, not a diagnosis. It shows how "
        f"often these problems bothered you over the last two weeks, and it is most useful as "
        f"a trend over time and as something to talk through with your care team.",
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
    """Any answer above 0 to the safety item calls for crisis resources, whatever the total."""
    answer = safety_answer(kind, answers)
    return answer is not None and answer > 0


def change_text(kind, total, previous):
    """Sentences comparing `total` with the previous total of the same instrument."""
    instrument = get(kind)
    change = total - previous
    if change == 0:
        return f"This one has the same total ({total})."
    points = abs(change)
    direction = "lower" if change < 0 else "higher"
    text = (
        f"This one is {points} point{'' if points == 1 else 's'} {direction} "
        f"(from {previous} to {total})."
    )
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
