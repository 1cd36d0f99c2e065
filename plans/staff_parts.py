"""plans's section on accounts' staff deactivation page (accounts/page_parts.py): the plans that
wait for the person's sign-off, which accounts cannot list, sitting below plans."""

from dataclasses import dataclass

from accounts import page_parts, policy
from accounts.models import User
from plans.models import TreatmentPlan


@dataclass(frozen=True)
class AwaitingReview:
    plan: TreatmentPlan
    # Nobody else can sign it off once the person has gone, unless the admin reassigns the author.
    only_reviewer: bool


def plans_awaiting_their_review(*, user: User, person: User) -> list[AwaitingReview]:
    plans = list(
        TreatmentPlan.objects.visible_to(user)
        .filter(status=TreatmentPlan.Status.IN_REVIEW, author_id__in=policy.supervisee_ids(person))
        .exclude(author=person)
        .select_related("client", "author")
        .order_by("submitted_at", "pk")
    )
    others = {
        author_id: [s for s in policy.current_supervisors(plan.author) if s.pk != person.pk]
        for author_id, plan in {p.author_id: p for p in plans}.items()
    }
    return [AwaitingReview(plan=plan, only_reviewer=not others[plan.author_id]) for plan in plans]


def register() -> None:
    page_parts.register(
        page_parts.STAFF_DEACTIVATION,
        key="awaiting_review",
        template="plans/_awaiting_review_of_leaver.html",
        load=plans_awaiting_their_review,
    )
