"""The report's GET form: the range and the sections, read from the query string.

On the form a hidden empty `sections` value marks "the boxes were shown", so unticking every
box gives the summary page alone; a URL with no `sections` at all gets every section.
"""

from datetime import timedelta

from wtforms import Form, StringField
from wtforms.validators import ValidationError

from ..fields import check_local_day, strip
from ..session_form import ChecklistField
from ..timezones import day_text, parse_day
from .content import RANGE_MAX_DAYS, SECTION_LABELS, SECTIONS, default_range


class SectionsField(ChecklistField):
    """The section checkboxes; the form's hidden empty value is not a section."""

    def process_formdata(self, valuelist):
        super().process_formdata([value for value in valuelist if value])


class ReportForm(Form):
    """Range and sections of a report, read from the query string (a GET form: no CSRF)."""

    start = StringField("From", filters=[strip], render_kw={"type": "date"})
    end = StringField("To", filters=[strip], render_kw={"type": "date"})
    sections = SectionsField(
        "Sections after the summary page",
        [(key, SECTION_LABELS[key]) for key in SECTIONS],
        "Choose sections from the list: " + ", ".join(SECTIONS) + ".",
    )

    def __init__(self, formdata, today, default):
        super().__init__(formdata)
        self.today = today
        self.default = default
        self.day = {}
        if formdata is None or "sections" not in formdata:
            self.sections.data = list(SECTIONS)
        if not self.start.data:
            # A range given by its end alone is as long as the default, ending there (not the
            # last 90 days, which an end before them would refuse as "before the start"). An
            # end still to come is wrong on its own: the start is made from the latest end a
            # report may have, not put in the future beside it and refused too.
            end = parse_day(self.end.data)
            end = min(end, default[1]) if end else None
            try:
                start = end - (default[1] - default[0]) if end else default[0]
            except OverflowError:  # an end in year 1: the end's own check says it is too early
                start = end
            self.start.data = start.isoformat()
        if not self.end.data:
            self.end.data = default[1].isoformat()

    def validate_start(self, field):
        self.day["start"] = check_local_day(
            field.data, self.today, "A report can start today at the latest."
        )

    def validate_end(self, field):
        end = check_local_day(
            field.data,
            self.today,
            "A report can end today at the latest; choose today or a past day.",
        )
        start = self.day.get("start")
        if start and start > end:
            raise ValidationError(
                f"This is before the start ({day_text(start, 'date_year')}); "
                "choose the same day or later."
            )
        if start and (end - start).days + 1 > RANGE_MAX_DAYS:
            last = start + timedelta(days=RANGE_MAX_DAYS - 1)
            raise ValidationError(
                f"A report covers at most {RANGE_MAX_DAYS} days (two years): choose "
                f"{day_text(last, 'date_year')} or earlier, or a later start."
            )
        self.day["end"] = end

    def chosen(self):
        """The chosen sections, in the report's order."""
        return tuple(s for s in SECTIONS if s in self.sections.data)


def report_form(person, formdata):
    """The report form for `person`, filled from `formdata` (None: the defaults). The range
    may end on figures.last_day: today, or a later day already lived before a move west."""
    start, end = default_range(person)
    return ReportForm(formdata, end, (start, end))
