"""progress's sections on plans' pages (plans/page_parts.py): the plan's progress on the plan page, and
supervisees' overdue reviews on the sign-off queue."""

import datetime as dt

from django.db.models import Count, Max

from accounts import policy
from accounts.models import User
from plans import page_parts
from plans.models import MeasureDefinition, TreatmentPlan
from plans.selectors import PlanPage
from progress.models import MeasureScore, ProgressReview
from progress.selectors import ProgressData, load_progress


def _plan_progress(*, user: User, plan: TreatmentPlan, page: PlanPage, today: dt.date) -> ProgressData:
    return load_progress(plan, page, today=today)


def _plan_progress_stamp(*, user: User, plan: TreatmentPlan, page: PlanPage, today: dt.date) -> tuple:
    """What the progress part shows beyond what the plan page keys on (the plan, its status, the
    reader's right to write, the day), read without building a record: every review of the lineage
    as it stands (a review's entries are written once, as it is completed, with `completed_at`),
    the client's scores per measure (scores are only ever added), the measures one may record, and
    the objectives as the page numbers them (their versions cover statements and bindings)."""
    reviews = tuple(
        ProgressReview.objects.filter(plan__lineage=plan.lineage, plan__client_id=plan.client_id)
        .order_by("due_date", "pk")
        .values_list(
            "pk",
            "plan_id",
            "status",
            "due_date",
            "completed_on",
            "completed_at",
            "completed_by__given_name",
            "completed_by__family_name",
        )
    )
    scores = tuple(
        MeasureScore.objects.filter(client_id=plan.client_id)
        .values_list("definition_id", "definition__name")
        .annotate(n=Count("pk"), last=Max("pk"))
        .order_by("definition_id")
    )
    measures = tuple(MeasureDefinition.objects.available_to(plan.client.practice_id).values_list("pk", "name"))
    numbered = tuple(tuple((view.objective.pk, view.objective.version) for view in views) for _, views in page.goals)
    return (reviews, scores, measures, numbered, plan.next_review_date, plan.review_interval)


def overdue_reviews_of_supervisees(*, user: User, today: dt.date):
    return (
        ProgressReview.objects.visible_to(user)
        .filter(status=ProgressReview.Status.OVERDUE, plan__author_id__in=policy.supervisee_ids(user))
        .select_related("plan__client", "plan__author")
        .order_by("due_date")
    )


def register() -> None:
    page_parts.register(
        page_parts.PLAN_DETAIL,
        key="progress",
        template="progress/_progress.html",
        load=_plan_progress,
        stamp=_plan_progress_stamp,
        title="Progress",
        anchor="reviews",
    )
    page_parts.register(
        page_parts.SIGN_OFF_QUEUE,
        key="overdue",
        template="progress/_overdue_reviews.html",
        load=overdue_reviews_of_supervisees,
    )
