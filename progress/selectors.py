"""What the plan page shows of a plan's progress, read in a fixed number of queries."""

import base64
import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Subquery

from clients.flags import ClientFlag
from notes.evidence import PlanEvidence, plan_evidence
from plans.models import MeasureDefinition, TreatmentPlan
from plans.selectors import PlanPage
from progress import charts, measures
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
    # {measure id: [(threshold, label)]}: the target lines of objectives bound to a measure.
    measure_targets: dict


def bound_targets(labelled) -> dict[int, list[tuple[int, str]]]:
    """For each measure, the threshold of every objective bound to it, labelled for its chart
    (e.g. "Target ≤ 9 (objective 1.2)"). `labelled` is [(objective number, objective)]."""
    targets: dict[int, list[tuple[int, str]]] = {}
    for number, objective in labelled:
        if objective.bound_measure_id and objective.bound_threshold is not None:
            label = charts.target_label(objective.bound_comparator, objective.bound_threshold, number)
            targets.setdefault(objective.bound_measure_id, []).append((objective.bound_threshold, label))
    return targets


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
        measure_targets=bound_targets((labels[o.pk], o) for o in page.objectives),
    )


def last_review_on(plan: TreatmentPlan) -> dt.date | None:
    """When the plan's lineage was last reviewed: where the notes' evidence starts (notes/evidence.py)."""
    return (
        ProgressReview.objects.filter(
            plan__lineage=plan.lineage, plan__client_id=plan.client_id, status=ProgressReview.Status.COMPLETED
        )
        .order_by("-completed_on")
        .values_list("completed_on", flat=True)
        .first()
    )


@dataclass
class ReviewEvidence:
    """The notes' evidence since the last review, with the defensive-functioning chart drawn."""

    evidence: PlanEvidence
    chart_svg: str | None

    @property
    def chart_uri(self) -> str | None:
        if self.chart_svg is None:
            return None
        return "data:image/svg+xml;base64," + base64.b64encode(self.chart_svg.encode("utf-8")).decode("ascii")

    @property
    def evidence_by_objective(self) -> dict:
        return {item.objective.pk: item for item in self.evidence.objectives}


def review_evidence(plan: TreatmentPlan, *, objectives: list, user=None) -> ReviewEvidence:
    """What the review form and the PDF's progress summary show: a fixed number of queries."""
    evidence = plan_evidence(plan, objectives=objectives, user=user)
    functioning = evidence.functioning
    chart = None
    if functioning.points:
        points = [(p.on, p.level) for p in functioning.points]
        desc = (
            f"{len(points)} sessions from {points[0][0]:%Y-%m-%d} to {points[-1][0]:%Y-%m-%d}; "
            f"mean level {functioning.mean}; trend {functioning.trend}. The same data is in the table."
        )
        chart = charts.functioning_chart(points, functioning.slope_per_month, desc=desc)
    return ReviewEvidence(evidence, chart)


# --- Risk from PHQ-9 item 9 ---------------------------------------------------------

RISK_FLAG = "PHQ-9 item 9"


def latest_phq9_at_risk(user, *, client_ids=None):
    """The PHQ-9 scores, one per client at most, that are the client's latest PHQ-9 and answered
    item 9 above 0, through the reader's door. A later PHQ-9 with item 9 at 0 clears the flag: the
    list shows what the latest answer says, the score's history shows the rest."""
    latest = (
        MeasureScore.objects.filter(client_id=OuterRef("client_id"), definition__code="phq9")
        .order_by("-recorded_on", "-created_at", "-pk")
        .values("pk")[:1]
    )
    scores = MeasureScore.objects.visible_to(user).filter(definition__code="phq9", risk_flag=True)
    if client_ids is not None:
        scores = scores.filter(client_id__in=list(client_ids))
    return scores.filter(pk=Subquery(latest)).order_by("-recorded_on", "-pk")


def client_list_flags(*, user, client_ids):
    """clients.flags provider: the client list's badge for a latest PHQ-9 at risk (one query)."""
    return {
        score.client_id: [
            ClientFlag(
                label=RISK_FLAG,
                description=f"Latest PHQ-9 ({score.recorded_on:%Y-%m-%d}) answered item 9 above 0: assess risk.",
            )
        ]
        for score in latest_phq9_at_risk(user, client_ids=client_ids).only("pk", "client_id", "recorded_on")
    }
