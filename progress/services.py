"""Progress reviews and outcome measures: recording scores, completing a review, and what a
review decides (continue, revise the plan, or discharge)."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.access import can_edit
from accounts.models import User
from clients.models import Client
from formulation.services import save_formulation_section
from plans.discharge import discharge_client_and_close_plans
from plans.lifecycle import transitions
from plans.models import MeasureDefinition, Objective, TreatmentPlan, add_months
from progress import measures
from progress.models import CcrtJudgement, ClientAllianceRating, MeasureScore, ObjectiveProgress, ProgressReview

Status = ProgressReview.Status

# A review entry's status carried into an amendment's objective.
OBJECTIVE_STATUS_AFTER_REVIEW = {
    "not_started": "not_started",
    "progressing": "in_progress",
    "partially_met": "in_progress",
    "met": "met",
    "revised": "revised",
    "discontinued": "discontinued",
}


@dataclass
class EntryInput:
    objective: Objective
    status: str
    rating: int
    evidence: str = ""


@dataclass
class MeasureInput:
    definition: MeasureDefinition
    items: list[int] | None = None
    total: int | None = None


@dataclass(frozen=True)
class CcrtInput:
    """The clinician's judgement of the plan's CCRT at the review (progress.models.CcrtJudgement):
    confirmed as the plan states it, or edited (with the three components as they now read)."""

    judgement: str
    wish: str = ""
    response_of_other: str = ""
    response_of_self: str = ""


@dataclass(frozen=True)
class ReviewRecord:
    """What a completed progress review says: one value, built by the form or the API serializer."""

    entries: list[EntryInput]
    decision: str  # a ProgressReview.Decision
    summary: str = ""
    measures: list[MeasureInput] = field(default_factory=list)
    alliance_bond: int | None = None
    alliance_goals: int | None = None
    alliance_tasks: int | None = None
    alliance_note: str = ""
    discharge_reason: str = ""
    ccrt: CcrtInput | None = None  # None: the CCRT was not reviewed


CCRT_PARTS = ("wish", "response_of_other", "response_of_self")


def _record_ccrt(review: ProgressReview, plan: TreatmentPlan, ccrt: CcrtInput | None) -> None:
    """Put the CCRT judgement on the review. Confirming copies the plan's CCRT, so the review says
    what was confirmed even if a later version words it otherwise."""
    judgement = ccrt.judgement if ccrt is not None else CcrtJudgement.NOT_RECORDED
    if judgement not in CcrtJudgement.values:
        raise ValidationError({"ccrt_judgement": "Choose whether the CCRT is confirmed or edited."})
    if judgement == CcrtJudgement.CONFIRMED:
        formulation = plan.formulation
        values = {part: getattr(formulation, f"ccrt_{part}") for part in CCRT_PARTS}
    elif judgement == CcrtJudgement.EDITED:
        values = {part: getattr(ccrt, part).strip() for part in CCRT_PARTS}
        if not any(values.values()):
            raise ValidationError({"ccrt_wish": "Write the CCRT as it now reads, or confirm the plan's."})
    else:
        values = dict.fromkeys(CCRT_PARTS, "")
    review.ccrt_judgement = judgement
    for part, value in values.items():
        setattr(review, f"ccrt_{part}", value)


@transaction.atomic
def record_measure(
    *,
    actor: User,
    client: Client,
    definition: MeasureDefinition,
    recorded_on: dt.date,
    items: list[int] | None = None,
    total: int | None = None,
    plan: TreatmentPlan | None = None,
    review: ProgressReview | None = None,
    source: str = MeasureScore.Source.CLINICIAN,
) -> MeasureScore:
    """Record a score at a review or at any session, or one the client gave through a client link."""
    if not Client.objects.editable_by(actor).filter(pk=client.pk).exists():
        raise PermissionDenied("Only the client's clinician records measures.")
    if not MeasureDefinition.objects.available_to(client.practice_id).filter(pk=definition.pk).exists():
        raise ValidationError({"definition": "Choose one of your practice's measures."})
    if recorded_on > client.practice.today():
        raise ValidationError({"recorded_on": "A score cannot be recorded for a future date."})
    scored = measures.score(definition, items=items, total=total)
    return MeasureScore.objects.create(
        client=client,
        definition=definition,
        plan=plan or TreatmentPlan.objects.filter(client=client, status=TreatmentPlan.Status.ACTIVE).first(),
        review=review,
        recorded_on=recorded_on,
        item_scores=scored.item_scores,
        total=scored.total,
        band=scored.band,
        risk_flag=scored.risk_flag,
        recorded_by=actor,
        source=source,
    )


@transaction.atomic
def record_client_alliance(
    *,
    actor: User,
    client: Client,
    bond: int,
    goals: int,
    tasks: int,
    recorded_on: dt.date,
    comment: str = "",
    source_link_id: int | None = None,
) -> ClientAllianceRating:
    """Record the alliance as the client rated it through a client link, filed under `actor`, the
    clinician who asked (as a client-reported score is)."""
    if not Client.objects.editable_by(actor).filter(pk=client.pk).exists():
        raise PermissionDenied("Only the client's clinician records the client's alliance rating.")
    values = {"bond": bond, "goals": goals, "tasks": tasks}
    problems = {name: "Choose from 1 to 5." for name, v in values.items() if not isinstance(v, int) or not 1 <= v <= 5}
    if problems:
        raise ValidationError(problems)
    if recorded_on > client.practice.today():
        raise ValidationError({"recorded_on": "A rating cannot be recorded for a future date."})
    return ClientAllianceRating.objects.create(
        client=client,
        plan=TreatmentPlan.objects.filter(client=client, status=TreatmentPlan.Status.ACTIVE).first(),
        recorded_on=recorded_on,
        comment=(comment or "").strip()[:2000],
        source_link_id=source_link_id,
        **values,
    )


def scores_for(user: User, client_id: int) -> list[MeasureScore]:
    """The client's recorded scores, as far as `user` may see them: none for a client out of view."""
    return list(MeasureScore.objects.visible_to(user).filter(client_id=client_id).select_related("definition"))


def _lock_review(actor: User, review: ProgressReview) -> ProgressReview:
    review = (
        ProgressReview.objects.select_for_update()
        .select_related("plan__client__practice", "plan__author")
        .filter(pk=review.pk)
        .first()
    )
    if review is None or not can_edit(actor, review.plan):
        raise PermissionDenied("Only the client's clinician completes this review.")
    return review


@transaction.atomic
def start_review_now(*, actor: User, plan: TreatmentPlan) -> ProgressReview:
    """Open a review today, ahead of the schedule (or return the one already open)."""
    plan = TreatmentPlan.objects.select_related("client__practice").get(pk=plan.pk)
    if not can_edit(actor, plan):
        raise PermissionDenied("Only the client's clinician reviews this plan.")
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ValidationError("Only an active plan is reviewed.")
    existing = plan.reviews.open().order_by("due_date").first()
    if existing is not None:
        return existing
    review, _ = ProgressReview.objects.get_or_create(
        plan=plan, due_date=plan.client.practice.today(), defaults={"status": Status.DUE}
    )
    return review


@transaction.atomic
def complete_review(
    *, actor: User, review: ProgressReview, record: ReviewRecord
) -> tuple[ProgressReview, TreatmentPlan | None]:
    """Record the review in one transaction and act on its decision.

    Returns the review and, for "revise", the new draft amendment.
    """
    entries, decision, discharge_reason = record.entries, record.decision, record.discharge_reason
    review = _lock_review(actor, review)
    plan = review.plan
    if not review.is_open:
        raise ValidationError(f"This review is already {review.get_status_display().lower()}.")
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ValidationError("The plan is no longer active, so it cannot be reviewed.")
    if decision not in ProgressReview.Decision.values:
        raise ValidationError({"decision": "Choose a decision."})
    if decision == ProgressReview.Decision.DISCHARGE and not discharge_reason.strip():
        raise ValidationError({"discharge_reason": "Give the reason for discharge."})
    today = plan.client.practice.today()
    if record.ccrt is not None and record.ccrt.judgement not in CcrtJudgement.values:
        raise ValidationError({"ccrt_judgement": "Choose whether the CCRT is confirmed or edited."})
    plan_objectives = {o.pk for o in Objective.objects.current().filter(goal__plan=plan, goal__removed_at__isnull=True)}
    if {e.objective.pk for e in entries} != plan_objectives:
        raise ValidationError("Record progress for every objective of the plan.")

    for measure in record.measures:
        record_measure(
            actor=actor,
            client=plan.client,
            definition=measure.definition,
            recorded_on=today,
            items=measure.items,
            total=measure.total,
            plan=plan,
            review=review,
        )
    scores = scores_for(actor, plan.client_id)
    for entry in entries:
        progress = ObjectiveProgress(
            review=review,
            objective=entry.objective,
            status=entry.status,
            rating=entry.rating,
            evidence=entry.evidence,
            achievement=measures.achievement(entry.objective, scores, today) or "",
        )
        progress.full_clean(exclude=["review", "objective"])
        progress.save()

    review.alliance_bond, review.alliance_goals = record.alliance_bond, record.alliance_goals
    review.alliance_tasks, review.alliance_note = record.alliance_tasks, record.alliance_note
    review.summary, review.decision = record.summary, decision
    _record_ccrt(review, plan, record.ccrt)
    review.status = Status.COMPLETED
    review.completed_by, review.completed_at, review.completed_on = actor, timezone.now(), today
    review.full_clean()
    review.save()
    # Quarterly means three calendar months from the last completed review.
    plan.next_review_date = add_months(today, plan.review_interval)
    plan.save(update_fields=["next_review_date", "updated_at"])

    amendment = None
    if decision == ProgressReview.Decision.REVISE:
        amendment = _amend_from_review(actor, plan, review)
    elif decision == ProgressReview.Decision.DISCHARGE:
        discharge_client_and_close_plans(actor=actor, client=plan.client, discharged_on=today, reason=discharge_reason)
    return review, amendment


def _amend_from_review(actor: User, plan: TreatmentPlan, review: ProgressReview) -> TreatmentPlan:
    """Start an amendment whose objectives carry the statuses the review found."""
    amendment = transitions.amend_plan(actor=actor, plan=plan)
    if review.ccrt_judgement == CcrtJudgement.EDITED:
        # The CCRT the clinician edited at the review becomes the amendment's, still a draft to revise.
        formulation = amendment.formulation
        save_formulation_section(
            actor=actor,
            formulation=formulation,
            section="relational",
            expected_version=formulation.section_version("relational"),
            values={f"ccrt_{part}": getattr(review, f"ccrt_{part}") for part in CCRT_PARTS},
        )
    by_lineage = {e.objective.lineage: e.status for e in review.entries.select_related("objective")}
    for objective in Objective.objects.filter(goal__plan=amendment):
        status = by_lineage.get(objective.lineage)
        if status:
            Objective.objects.filter(pk=objective.pk).update(status=OBJECTIVE_STATUS_AFTER_REVIEW[status])
    return amendment


def cancel_open_reviews(*, plan: TreatmentPlan) -> int:
    """A plan that stops being active has nothing left to review. Called in the lifecycle's transaction
    (through plans.signals.plan_closed, progress/signals.py), so the cancellation commits with it."""
    return ProgressReview.objects.filter(plan=plan).open().update(status=Status.CANCELLED)
