"""progress's sections on plans' pages (plans/page_parts.py): the plan's progress on the plan page, and
supervisees' overdue reviews on the sign-off queue."""

import datetime as dt

from accounts import policy
from accounts.models import User
from plans import page_parts
from plans.models import TreatmentPlan
from plans.selectors import PlanPage
from progress.models import ProgressReview
from progress.selectors import ProgressData, load_progress


def _plan_progress(*, user: User, plan: TreatmentPlan, page: PlanPage, today: dt.date) -> ProgressData:
    return load_progress(plan, page, today=today)


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
        title="Progress",
        anchor="reviews",
    )
    page_parts.register(
        page_parts.SIGN_OFF_QUEUE,
        key="overdue",
        template="progress/_overdue_reviews.html",
        load=overdue_reviews_of_supervisees,
    )
