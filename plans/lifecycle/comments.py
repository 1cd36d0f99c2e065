"""A supervisor's and an author's comments on a plan, anchored to the part they are about."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.models import User
from core.notify import notify
from plans.lifecycle.transitions import TransitionError
from plans.models import Comment, TreatmentPlan

Action = policy.Action


@transaction.atomic
def add_comment(
    *,
    actor: User,
    plan: TreatmentPlan,
    body: str,
    anchor_kind: str = Comment.Anchor.PLAN,
    anchor_key: str = "",
    anchor_label: str = "",
) -> Comment:
    if not policy.can(actor, Action.VIEW, plan):
        raise TransitionError("You cannot see this plan.")
    if not policy.can(actor, Action.COMMENT, plan):
        raise TransitionError("Only the author and their supervisors comment on a plan.")
    if not body.strip():
        raise ValidationError({"body": "Write the comment."})
    comment = Comment(
        plan=plan,
        author=actor,
        anchor_kind=anchor_kind,
        anchor_key=anchor_key,
        anchor_label=anchor_label[:300],
        body=body,
    )
    comment.full_clean()
    comment.save()
    if actor.pk != plan.author_id:
        others = [plan.author]
    else:
        others = policy.current_supervisors(plan.author, plan.client.practice_id)
    notify(
        recipients=others,
        key=f"comment:{comment.pk}",
        verb="a comment was added to a plan",
        text=f"{actor.get_full_name()} commented on {comment.anchor_label or 'plan'} (v{plan.version_number}, "
        f"{plan.client.chart_number}).",
        url=reverse("plans:detail", args=[plan.pk]) + f"#comment-{comment.pk}",
    )
    return comment


@transaction.atomic
def resolve_comment(*, actor: User, comment: Comment) -> Comment:
    comment = Comment.objects.select_for_update().select_related("plan").get(pk=comment.pk)
    if actor.pk not in (comment.plan.author_id, comment.author_id):
        raise TransitionError("Only the plan's author or the comment's writer can resolve it.")
    if comment.resolved_at is None:
        comment.resolved_at = timezone.now()
        comment.resolved_by = actor
        comment.save(update_fields=["resolved_at", "resolved_by"])
    return comment
