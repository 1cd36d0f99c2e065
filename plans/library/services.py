"""The practice's library: its templates (saved from a plan after the admin's review) and its own
catalogue entries. Only a practice admin changes it."""

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts import policy
from accounts.models import User
from audit import log
from plans.models import (
    GoalTemplate,
    InterventionTechnique,
    MeasureDefinition,
    ObjectiveTemplate,
    PlanTemplate,
    TreatmentPlan,
)


def _require_admin_of(actor: User, practice_id: int | None) -> None:
    if practice_id is None or not policy.can(actor, policy.Action.MANAGE_LIBRARY, practice_id):
        raise PermissionDenied("Only a practice admin manages the practice's library.")


@dataclass(frozen=True)
class ObjectiveText:
    statement: str
    measure: str = ""
    target: str = ""
    months_to_target: int = 3


@dataclass(frozen=True)
class GoalText:
    statement: str
    objectives: tuple[ObjectiveText, ...] = ()


def template_texts_from_plan(plan: TreatmentPlan) -> list[GoalText]:
    """The texts a template saved from `plan` would start from, for the admin to review.

    Goals and objectives as written for one client: they can name the client, their family or
    their history, so they are only proposed here, never copied to the library unreviewed.
    """
    goals = []
    for goal in plan.goals.current().prefetch_related("objectives").order_by("order", "pk"):
        objectives = []
        for objective in goal.objectives.all():
            if objective.removed_at is not None:
                continue
            months = 3
            if objective.target_date:
                months = min(120, max(1, round((objective.target_date - plan.start_date).days / 30.4)))
            objectives.append(
                ObjectiveText(
                    statement=objective.statement,
                    measure=objective.measure,
                    target=objective.target,
                    months_to_target=months,
                )
            )
        goals.append(GoalText(statement=goal.statement, objectives=tuple(objectives)))
    return goals


def template_source_fingerprint(plan: TreatmentPlan) -> str:
    """A digest of the texts the review page showed, so a plan edited meanwhile is reviewed again."""
    payload = [plan.pk, plan.version_number, [dataclasses.asdict(g) for g in template_texts_from_plan(plan)]]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@transaction.atomic
def publish_plan_as_template(
    *,
    actor: User,
    plan: TreatmentPlan,
    reviewed_fingerprint: str,
    name: str,
    description: str = "",
    goals: Sequence[GoalText],
    confirmed: bool,
) -> PlanTemplate:
    """Share a plan's goals and objectives in the practice library, as the admin reviewed them.

    `goals` are the texts the admin saw and edited on the review page (and chose to keep);
    nothing reaches the library except them, and only once the admin confirms. The template
    records who made it, when, and from which plan version.
    """
    plan = TreatmentPlan.objects.select_for_update().select_related("client").filter(pk=plan.pk).first()
    if plan is None or not TreatmentPlan.objects.visible_to(actor).filter(pk=plan.pk).exists():
        raise PermissionDenied("You cannot see this plan.")
    practice_id = plan.client.practice_id
    _require_admin_of(actor, practice_id)
    if not confirmed:
        raise ValidationError({"confirmed": "Confirm that you have read every text and removed client details."})
    if reviewed_fingerprint != template_source_fingerprint(plan):
        raise ValidationError(
            "The plan changed while you were reviewing it. Its current text is shown below: review it again."
        )
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the template a name."})
    if PlanTemplate.objects.filter(practice_id=practice_id, name__iexact=name).exists():
        raise ValidationError({"name": "Your practice already has a template with this name."})
    if not goals:
        raise ValidationError("Keep at least one goal, or cancel: an empty template helps nobody.")
    template = PlanTemplate(
        practice_id=practice_id,
        name=name,
        description=description.strip(),
        created_by=actor,
        created_at=timezone.now(),
        source_plan=plan,
        source_version_number=plan.version_number,
    )
    template.full_clean()
    template.save()
    for goal_order, goal in enumerate(goals):
        goal_template = GoalTemplate(template=template, statement=goal.statement.strip(), order=goal_order)
        goal_template.full_clean(exclude=["template"])
        goal_template.save()
        for objective_order, objective in enumerate(goal.objectives):
            objective_template = ObjectiveTemplate(
                goal=goal_template,
                statement=objective.statement.strip(),
                measure=objective.measure.strip(),
                target=objective.target.strip(),
                months_to_target=objective.months_to_target,
                order=objective_order,
            )
            objective_template.full_clean(exclude=["goal"])
            objective_template.save()
    log.record(
        action=log.Action.TEMPLATE_PUBLISH,
        actor=actor,
        object_type="plan_template",
        object_id=template.pk,
        client_id=plan.client_id,
        subject_practice_id=practice_id,
        detail=f"from plan {plan.pk} v{plan.version_number}",
    )
    return template


@transaction.atomic
def set_template_active(*, actor: User, template: PlanTemplate, active: bool) -> None:
    if template.practice_id is None:
        raise PermissionDenied("Built-in templates stay; your practice can add its own.")
    _require_admin_of(actor, template.practice_id)
    template.is_active = active
    template.save(update_fields=["is_active"])


@transaction.atomic
def add_catalogue_entry(*, actor: User, model: type[models.Model], **fields) -> models.Model:
    """Add a practice's own entry to a catalogue: conflict type, defense, technique, measure, or one an
    app above plans registered (plans.library.views.register_catalogue)."""
    practice_id = policy.practice_id_of(actor)
    _require_admin_of(actor, practice_id)
    entry = model(practice_id=practice_id, **fields)
    if hasattr(entry, "code") and not entry.code:
        entry.code = slugify(entry.name)[: model._meta.get_field("code").max_length] or "custom"
    if model is MeasureDefinition and entry.min_score >= entry.max_score:
        raise ValidationError({"max_score": "The highest score must be above the lowest."})
    name_clash = model.objects.available_to(practice_id).filter(name__iexact=entry.name)
    if name_clash.exists():
        raise ValidationError({"name": "This name is already in the catalogue."})
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def describe_technique(
    *, actor: User, technique: InterventionTechnique, what_it_is: str, when_it_fits: str
) -> InterventionTechnique:
    """Write what a practice's own technique is and when it fits, as the library and editor show it."""
    if technique.practice_id is None:
        raise PermissionDenied("Built-in techniques keep Psyplan's descriptions; your practice can add its own.")
    _require_admin_of(actor, technique.practice_id)
    technique = InterventionTechnique.objects.select_for_update().get(pk=technique.pk)
    technique.description = what_it_is.strip()
    technique.when_it_fits = when_it_fits.strip()
    if technique.when_it_fits and not technique.description:
        raise ValidationError({"description": "Say what the technique is before when it fits."})
    technique.full_clean()
    technique.save(update_fields=["description", "when_it_fits"])
    log.record(
        action=log.Action.TECHNIQUE_DESCRIBE,
        actor=actor,
        object_type="intervention_technique",
        object_id=technique.pk,
        subject_practice_id=technique.practice_id,
    )
    return technique
