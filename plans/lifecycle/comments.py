"""A supervisor's and an author's comments on a plan, anchored to the part they are about."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.models import User
from core.notify import notify
from formulation.models import Formulation
from plans.lifecycle.transitions import TransitionError
from plans.models import Comment, TreatmentPlan

Action = policy.Action


@dataclass(frozen=True)
class AnchorChoice:
    """A part of the plan a comment can be about."""

    kind: str
    key: str
    # Stored with the comment, e.g. "Objective 1.2: Names two patterns".
    label: str
    # The part's short name in a sentence, unique on the page: "Comment on objective 1.2".
    short: str
    # Whether the plan page offers a comment form at the part itself; the others (the plan as a
    # whole, the formulation's conflicts and defenses) are chosen in the comments section.
    inline: bool = True


def anchor_choices(page) -> dict[str, AnchorChoice]:
    """Every part of the plan a comment can be anchored to, by "kind:key"."""
    choices = {"plan:": AnchorChoice("plan", "", "The plan as a whole", "the plan as a whole", inline=False)}
    for key, (title, _) in Formulation.SECTIONS.items():
        choices[f"section:{key}"] = AnchorChoice(
            "section", key, f"Formulation: {title}", f"the formulation section “{title}”"
        )
    for c in page.conflicts:
        name = f"Core conflict: {c.conflict_type.name}"
        choices[f"conflict:{c.lineage}"] = AnchorChoice("conflict", str(c.lineage), name, name, inline=False)
    for d in page.defenses:
        name = f"Defense: {d.mechanism.name}"
        choices[f"defense:{d.lineage}"] = AnchorChoice("defense", str(d.lineage), name, name, inline=False)
    for g_index, (goal, views) in enumerate(page.goals, start=1):
        choices[f"goal:{goal.lineage}"] = AnchorChoice(
            "goal", str(goal.lineage), f"Goal {g_index}: {goal.statement}", f"goal {g_index}"
        )
        for o_index, view in enumerate(views, start=1):
            o = view.objective
            choices[f"objective:{o.lineage}"] = AnchorChoice(
                "objective",
                str(o.lineage),
                f"Objective {g_index}.{o_index}: {o.statement}",
                f"objective {g_index}.{o_index}",
            )
    for i_index, i in enumerate(page.interventions, start=1):
        choices[f"intervention:{i.lineage}"] = AnchorChoice(
            "intervention",
            str(i.lineage),
            f"Intervention: {i.technique.name}",
            f"intervention {i_index} ({i.technique.name})",
        )
    return choices


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
