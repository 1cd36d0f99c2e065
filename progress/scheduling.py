"""The daily review scan.

For each practice, on its own calendar day, and for every active plan whose next review falls
within the lead window: create the scheduled review if none exists and notify the clinician;
mark reviews due on their date and overdue after the grace period; escalate overdue reviews
to the author's supervisors (or, with none, the practice admins) once.

Idempotent: the unique (plan, due date) constraint and the notified/escalated stamps mean
running it twice, or in two beats at once, changes nothing the second time. Work is batched:
one query finds the plans to schedule (served by the partial index on active plans' practice and
next review date), reviews are created in bulk per batch, and each notification is its own small
transaction, so a worker killed mid-run loses nothing that a re-run does not redo.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts import daily_runs, policy
from accounts.models import Practice
from core.notify import notify
from plans.models import TreatmentPlan
from progress.models import ProgressReview, ReviewSchedulerRun

BATCH = 500
Status = ProgressReview.Status


@dataclass
class SchedulerResult:
    created: int = 0
    marked_due: int = 0
    marked_overdue: int = 0
    escalated: int = 0


def due_plans(practice_id: int, today: dt.date, lead_days: int):
    """Active plans of the practice whose next review is within the window and not yet scheduled."""
    already = ProgressReview.objects.filter(plan=OuterRef("pk"), due_date=OuterRef("next_review_date"))
    return (
        TreatmentPlan.objects.filter(
            practice_id=practice_id,
            status=TreatmentPlan.Status.ACTIVE,
            next_review_date__lte=today + dt.timedelta(days=lead_days),
        )
        .exclude(Exists(already))
        .order_by()
        .values_list("pk", "next_review_date")
    )


def run_for_practice(
    practice: Practice, today: dt.date, *, lead_days: int | None = None, grace_days: int | None = None
) -> SchedulerResult:
    lead = settings.REVIEW_LEAD_DAYS if lead_days is None else lead_days
    grace = settings.REVIEW_GRACE_DAYS if grace_days is None else grace_days
    result = SchedulerResult()

    batch: list[ProgressReview] = []
    for plan_id, due in due_plans(practice.pk, today, lead).iterator(chunk_size=BATCH):
        batch.append(ProgressReview(plan_id=plan_id, due_date=due))
        if len(batch) >= BATCH:
            result.created += _create(batch)
            batch = []
    if batch:
        result.created += _create(batch)

    in_practice = ProgressReview.objects.filter(plan__client__practice_id=practice.pk)
    result.marked_due = in_practice.filter(status=Status.SCHEDULED, due_date__lte=today).update(status=Status.DUE)
    result.marked_overdue = in_practice.filter(
        status__in=[Status.SCHEDULED, Status.DUE], due_date__lt=today - dt.timedelta(days=grace)
    ).update(status=Status.OVERDUE)

    for review_id in in_practice.open().filter(notified_at__isnull=True).values_list("pk", flat=True):
        _notify_clinician(review_id)
    for review_id in in_practice.filter(status=Status.OVERDUE, escalated_at__isnull=True).values_list("pk", flat=True):
        result.escalated += _escalate(review_id)
    return result


def _create(batch: list[ProgressReview]) -> int:
    with transaction.atomic():
        before = ProgressReview.objects.filter(plan_id__in=[r.plan_id for r in batch]).count()
        ProgressReview.objects.bulk_create(batch, ignore_conflicts=True)
        return ProgressReview.objects.filter(plan_id__in=[r.plan_id for r in batch]).count() - before


def _review_url(review: ProgressReview) -> str:
    return reverse("plans:detail", args=[review.plan_id]) + "#reviews"


@transaction.atomic
def _notify_clinician(review_id: int) -> None:
    review = (
        ProgressReview.objects.select_for_update()
        .select_related("plan__client__primary_clinician")
        .filter(pk=review_id, notified_at__isnull=True)
        .first()
    )
    if review is None:
        return
    client = review.plan.client
    notify(
        recipients=[client.primary_clinician],
        key=f"review:{review.pk}:scheduled",
        verb="a plan review is coming up",
        text=f"Review of plan v{review.plan.version_number} for {client.chart_number} "
        f"is due {review.due_date:%Y-%m-%d}.",
        url=_review_url(review),
    )
    review.notified_at = timezone.now()
    review.save(update_fields=["notified_at"])


@transaction.atomic
def _escalate(review_id: int) -> int:
    review = (
        ProgressReview.objects.select_for_update()
        .select_related("plan__client", "plan__author")
        .filter(pk=review_id, escalated_at__isnull=True, status=Status.OVERDUE)
        .first()
    )
    if review is None:
        return 0
    plan = review.plan
    recipients = policy.current_supervisors(plan.author, plan.client.practice_id) or list(
        policy.practice_admins(plan.client.practice_id)
    )
    notify(
        recipients=recipients,
        key=f"review:{review.pk}:overdue",
        verb="a plan review is overdue",
        text=f"{plan.author.get_full_name()}'s review of plan v{plan.version_number} for {plan.client.chart_number} "
        f"was due {review.due_date:%Y-%m-%d}.",
        url=_review_url(review),
    )
    review.escalated_at = timezone.now()
    review.save(update_fields=["escalated_at"])
    return 1


def local_now(practice: Practice) -> dt.datetime:
    return timezone.localtime(timezone.now(), practice.tzinfo)


def practices_ready(now: dt.datetime | None = None) -> list[tuple[Practice, dt.date]]:
    """Practices whose local clock has passed today's run time and whose run for today is not finished."""
    return daily_runs.practices_ready(
        run_time=settings.REVIEW_SCHEDULER_TIME, runs=ReviewSchedulerRun.objects.all(), now=now
    )


def run_recorded(practice: Practice, run_date: dt.date) -> SchedulerResult | None:
    """Run the scan for one practice and day, once; a run left unfinished by a dead worker is redone."""
    run, _ = ReviewSchedulerRun.objects.get_or_create(practice=practice, run_date=run_date)
    if run.finished_at is not None:
        return None
    result = run_for_practice(practice, run_date)
    ReviewSchedulerRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(),
        created=result.created,
        marked_due=result.marked_due,
        marked_overdue=result.marked_overdue,
        escalated=result.escalated,
    )
    return result
