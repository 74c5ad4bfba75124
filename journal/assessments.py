"""PHQ-9 and GAD-7 check-ups: the published wording, scoring, bands and history."""

from flask import Blueprint

bp = Blueprint("assessments", __name__, url_prefix="/assessments")
