"""Outcome measures: the PHQ-9 and GAD-7 items, scoring, and objectives bound to a measure."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError

RESPONSES = [(0, "Not at all"), (1, "Several days"), (2, "More than half the days"), (3, "Nearly every day")]
STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"

ITEMS = {
    "phq9": [
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed, or the opposite: being so "
        "fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead, or of hurting yourself in some way",
    ],
    "gad7": [
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ],
}


@dataclass(frozen=True)
class Scored:
    total: int
    band: str
    risk_flag: bool
    item_scores: list[int]


def score(definition, *, items: list[int] | None = None, total: int | None = None) -> Scored:
    """Score a measure from its items (PHQ-9, GAD-7) or from an entered total (custom measures)."""
    if definition.item_count:
        if items is None or len(items) != definition.item_count:
            raise ValidationError(f"Answer all {definition.item_count} items of the {definition.name}.")
        if any(not 0 <= i <= definition.item_max for i in items):
            raise ValidationError(f"Each {definition.name} item is scored 0 to {definition.item_max}.")
        total = sum(items)
    elif total is None:
        raise ValidationError(f"Enter the {definition.name} score.")
    if not definition.min_score <= total <= definition.max_score:
        raise ValidationError(f"A {definition.name} score runs from {definition.min_score} to {definition.max_score}.")
    # PHQ-9 item 9 asks about thoughts of self-harm: any answer above 0 must be seen.
    risk = definition.code == "phq9" and bool(items) and items[8] > 0
    return Scored(total, definition.band_for(total), risk, list(items or []))


ACHIEVEMENT_LABELS = {
    "in_progress": "In progress",
    "improving": "Improving",
    "worsening": "Worsening",
    "no_change": "No change",
    "achieved": "Achieved",
    "not_achieved": "Not achieved",
}

# What a measure-bound objective's achievement suggests for the review's objective status.
SUGGESTED_STATUS = {
    "achieved": "met",
    "improving": "progressing",
    "no_change": "progressing",
    "worsening": "progressing",
    "in_progress": "progressing",
    "not_achieved": "partially_met",
}


def meets(comparator: str, value: int, threshold: int) -> bool:
    return {
        "lt": value < threshold,
        "lte": value <= threshold,
        "gt": value > threshold,
        "gte": value >= threshold,
    }[comparator]


def achievement(objective, scores: list, today: dt.date) -> str | None:
    """The achievement status of a measure-bound objective, from that measure's scores in date order."""
    if not (objective.bound_measure_id and objective.bound_comparator and objective.bound_threshold is not None):
        return None
    relevant = [s for s in scores if s.definition_id == objective.bound_measure_id]
    if not relevant:
        return "in_progress"
    latest = relevant[-1]
    if meets(objective.bound_comparator, latest.total, objective.bound_threshold):
        return "achieved"
    if objective.target_date and today > objective.target_date:
        return "not_achieved"
    if len(relevant) == 1:
        return "in_progress"
    previous = relevant[-2]
    if latest.total == previous.total:
        return "no_change"
    return "improving" if latest.definition.is_better(latest.total, previous.total) else "worsening"
