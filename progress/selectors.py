"""What the plan page shows of a plan's progress, read in a fixed number of queries."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from plans.models import MeasureDefinition, TreatmentPlan
from plans.selectors import PlanPage
from progress import measures
from progress.models import MeasureScore, ObjectiveProgress, ProgressReview


@dataclass
class ProgressData:
    open_reviews: list
    completed: list
    measure_series: list  # [(definition, [scores])], measures with at least one score
    risk_scores: list
    objective_rows: list  # [(label, objective, [entry or None per completed review])]
    achievements: dict
    available_measures: list


def load_progress(plan: TreatmentPlan, page: PlanPage, *, today: dt.date) -> ProgressData:
    reviews = list(
        ProgressReview.objects.filter(plan__lineage=plan.lineage, plan__client_id=plan.client_id)
        .select_related("completed_by", "plan")
        .prefetch_related(Prefetch("entries", queryset=ObjectiveProgress.objects.select_related("objective")))
        .order_by("due_date")
    )
    open_reviews = [r for r in reviews if r.plan_id == plan.pk and r.is_open]
    completed = [r for r in reviews if r.status == ProgressReview.Status.COMPLETED]
    scores = list(MeasureScore.objects.filter(client_id=plan.client_id).select_related("definition"))
    series: dict = {}
    for score in scores:
        series.setdefault(score.definition, []).append(score)

    labels, rows = {}, []
    for g_index, (_, views) in enumerate(page.goals, start=1):
        for o_index, view in enumerate(views, start=1):
            labels[view.objective.pk] = f"{g_index}.{o_index}"
    for objective in page.objectives:
        cells = []
        for review in completed:
            match = next((e for e in review.entries.all() if e.objective.lineage == objective.lineage), None)
            cells.append(match)
        rows.append((labels[objective.pk], objective, cells))
    achievements = {}
    for objective in page.objectives:
        status = measures.achievement(objective, scores, today)
        if status:
            achievements[objective.pk] = measures.ACHIEVEMENT_LABELS[status]
    return ProgressData(
        open_reviews=open_reviews,
        completed=completed,
        measure_series=list(series.items()),
        risk_scores=sorted((s for s in scores if s.risk_flag), key=lambda s: s.recorded_on, reverse=True),
        objective_rows=rows,
        achievements=achievements,
        available_measures=list(MeasureDefinition.objects.available_to(plan.client.practice_id)),
    )
