"""Writing a treatment plan: start it, edit its parts, reorder and remove them.

Every function takes the acting user, fetches through `editable_by` (so only
the client's own clinician can write), refuses plans that are no longer
drafts, checks the optimistic-concurrency version the editor loaded, and runs
in one transaction so nothing is saved half-way.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from clients.models import Client, PresentingProblem
from core.editing import swap_with_neighbour
from core.errors import PlanLockedError, StaleEditError
from formulation.models import CoreConflict, DefenseObservation, Formulation
from plans.models import (
    Goal,
    Intervention,
    InterventionTechnique,
    Objective,
    PlanTemplate,
    TreatmentPlan,
    add_months,
)


def _editable_plan(actor: User, plan_id: int) -> TreatmentPlan:
    plan = TreatmentPlan.objects.editable_by(actor).select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise PermissionDenied("Only the client's clinician can change this plan.")
    if not plan.is_editable:
        raise PlanLockedError(f"This plan is {plan.get_status_display().lower()}: amend it to make changes.")
    return plan


def _locked_item(model: type[models.Model], actor: User, pk: int, expected_version: int | None):
    """Lock a plan item for change, checking access, draft status and version. The plan it belongs
    to, locked too, comes with it (an objective's on its goal)."""
    items = model._default_manager.editable_by(actor)
    if model is Objective:
        # Its goal (to reach the plan) in the same query; only the objective's row is locked.
        items = items.select_related("goal").select_for_update(of=("self",))
    else:
        items = items.select_for_update()
    item = items.filter(pk=pk).first()
    if item is None:
        raise PermissionDenied("Only the client's clinician can change this plan.")
    plan = _editable_plan(actor, plan_id_of(item))
    (item.goal if model is Objective else item).plan = plan
    if item.removed_at is not None:
        raise ValidationError("This item was removed in the meantime.")
    if expected_version is not None and item.version != expected_version:
        raise StaleEditError(item)
    return item


def plan_id_of(item) -> int:
    """The plan a goal, objective, intervention, conflict or defense observation belongs to."""
    if isinstance(item, Goal | Intervention):
        return item.plan_id
    if isinstance(item, Objective):
        if Objective.goal.is_cached(item):
            return item.goal.plan_id
        return Goal.objects.values_list("plan_id", flat=True).get(pk=item.goal_id)
    if isinstance(item, CoreConflict | DefenseObservation):
        return Formulation.objects.values_list("plan_id", flat=True).get(pk=item.formulation_id)
    raise TypeError(type(item))


def _next_order(queryset) -> int:
    return (queryset.aggregate(m=Max("order"))["m"] or 0) + 1


def _problems_of(plan: TreatmentPlan, problems: Iterable[PresentingProblem]) -> list[PresentingProblem]:
    allowed = {p.pk for p in PresentingProblem.objects.filter(client_id=plan.client_id)}
    chosen = list(problems)
    if any(p.pk not in allowed for p in chosen):
        raise ValidationError({"presenting_problems": "Choose presenting problems of this client."})
    return chosen


# --- Plans ------------------------------------------------------------------


@transaction.atomic
def start_plan(
    *,
    actor: User,
    client: Client,
    start_date: dt.date,
    review_interval: int = TreatmentPlan.ReviewInterval.QUARTERLY,
    presenting_problems: Iterable[PresentingProblem] = (),
    template: PlanTemplate | None = None,
) -> TreatmentPlan:
    """Open a draft plan, blank or copied from a template, with an empty formulation."""
    if not Client.objects.editable_by(actor).filter(pk=client.pk).exists():
        raise PermissionDenied("Only the client's clinician can start a plan.")
    if not client.is_active:
        raise ValidationError("This client is discharged; reopen the record before planning.")
    if (
        template is not None
        and not PlanTemplate.objects.available_to(client.practice_id).filter(pk=template.pk).exists()
    ):
        raise ValidationError({"template": "Choose one of your practice's templates."})
    plan = TreatmentPlan(
        client=client,
        practice_id=client.practice_id,
        author=actor,
        start_date=start_date,
        review_interval=review_interval,
        next_review_date=add_months(start_date, review_interval),
        template=template,
    )
    plan.full_clean()
    plan.save()
    problems = _problems_of(plan, presenting_problems)
    plan.presenting_problems.set(problems)
    Formulation.objects.create(plan=plan)
    if template is not None:
        _copy_template(plan, template, problems)
    return plan


def _copy_template(plan: TreatmentPlan, template: PlanTemplate, problems: list[PresentingProblem]) -> None:
    """Copy what the template preview showed: goals, objectives, and the interventions with the
    objectives they serve (plans/library/views.template_preview)."""
    copied: dict[int, Objective] = {}  # objective template pk -> its copy
    for goal_template in template.goals.prefetch_related("objectives"):
        goal = Goal.objects.create(plan=plan, statement=goal_template.statement, order=goal_template.order)
        for objective_template in goal_template.objectives.all():
            objective = copied[objective_template.pk] = Objective.objects.create(
                goal=goal,
                statement=objective_template.statement,
                measure=objective_template.measure,
                target=objective_template.target,
                target_date=add_months(plan.start_date, objective_template.months_to_target),
                order=objective_template.order,
            )
            if len(problems) == 1:
                # With one problem the link is certain; with several the clinician chooses.
                objective.presenting_problems.set(problems)
    for suggestion in template.interventions.prefetch_related("objectives"):
        intervention = Intervention.objects.create(
            plan=plan,
            technique_id=suggestion.technique_id,
            frequency=suggestion.frequency,
            rationale=suggestion.rationale,
            order=suggestion.order,
        )
        intervention.objectives.set([copied[o.pk] for o in suggestion.objectives.all() if o.pk in copied])


@transaction.atomic
def update_plan_details(
    *,
    actor: User,
    plan: TreatmentPlan,
    expected_version: int,
    start_date: dt.date,
    review_interval: int,
    horizon_months: int,
    presenting_problems: Iterable[PresentingProblem],
) -> TreatmentPlan:
    current = _editable_plan(actor, plan.pk)
    if current.version != expected_version:
        raise StaleEditError(current)
    current.start_date = start_date
    current.review_interval = review_interval
    current.horizon_months = horizon_months
    current.next_review_date = add_months(start_date, review_interval)
    current.full_clean()
    current.version += 1
    current.save()
    current.presenting_problems.set(_problems_of(current, presenting_problems))
    return current


def _check_catalogue(queryset, practice_id: int, obj, field: str, label: str) -> None:
    if not queryset.available_to(practice_id).filter(pk=obj.pk).exists():
        raise ValidationError({field: f"Choose a {label} from your practice's catalogue."})


# --- Goals, objectives, interventions ----------------------------------------


@transaction.atomic
def add_goal(
    *, actor: User, plan: TreatmentPlan, statement: str, description: str = "", clients_words: str = ""
) -> Goal:
    plan = _editable_plan(actor, plan.pk)
    goal = Goal(
        plan=plan,
        statement=statement,
        description=description,
        clients_words=clients_words,
        order=_next_order(plan.goals.all()),
    )
    goal.full_clean()
    goal.save()
    return goal


def _objective_links(goal: Goal, *, presenting_problems, conflicts, defenses) -> None:
    plan = goal.plan
    _problems_of(plan, presenting_problems)
    formulation_id = plan.formulation.pk
    if any(c.formulation_id != formulation_id for c in conflicts):
        raise ValidationError({"conflicts": "Choose conflicts from this plan's formulation."})
    if any(d.formulation_id != formulation_id for d in defenses):
        raise ValidationError({"defenses": "Choose defenses from this plan's formulation."})


@transaction.atomic
def add_objective(
    *,
    actor: User,
    goal: Goal,
    presenting_problems: Iterable[PresentingProblem] = (),
    conflicts: Iterable[CoreConflict] = (),
    defenses: Iterable[DefenseObservation] = (),
    **fields,
) -> Objective:
    _editable_plan(actor, goal.plan_id)
    goal = Goal.objects.select_related("plan__formulation").get(pk=goal.pk)
    if goal.removed_at is not None:
        raise ValidationError("This goal was removed.")
    presenting_problems, conflicts, defenses = list(presenting_problems), list(conflicts), list(defenses)
    _objective_links(goal, presenting_problems=presenting_problems, conflicts=conflicts, defenses=defenses)
    _check_target_date(goal.plan, fields.get("target_date"))
    objective = Objective(goal=goal, order=_next_order(goal.objectives.all()), **fields)
    objective.full_clean()
    objective.save()
    objective.presenting_problems.set(presenting_problems)
    objective.conflicts.set(conflicts)
    objective.defenses.set(defenses)
    return objective


@transaction.atomic
def add_intervention(
    *,
    actor: User,
    plan: TreatmentPlan,
    technique: InterventionTechnique,
    objectives: Iterable[Objective] = (),
    frequency: str = "",
    rationale: str = "",
) -> Intervention:
    plan = _editable_plan(actor, plan.pk)
    _check_catalogue(InterventionTechnique.objects, plan.client.practice_id, technique, "technique", "technique")
    objectives = list(objectives)
    _check_objectives_of_plan(plan, objectives)
    intervention = Intervention(
        plan=plan,
        technique=technique,
        frequency=frequency,
        rationale=rationale,
        order=_next_order(plan.interventions.all()),
    )
    intervention.full_clean()
    intervention.save()
    intervention.objectives.set(objectives)
    return intervention


def _check_objectives_of_plan(plan: TreatmentPlan, objectives: list[Objective]) -> None:
    ids = set(Objective.objects.filter(goal__plan=plan).values_list("pk", flat=True))
    if any(o.pk not in ids for o in objectives):
        raise ValidationError({"objectives": "Choose objectives of this plan."})


def _check_target_date(plan: TreatmentPlan, target_date) -> None:
    """An objective's target date lies within the plan's span; the editor and the API both pass here."""
    if target_date is None:
        return
    if target_date < plan.start_date:
        raise ValidationError(
            {"target_date": f"The target date is before the plan starts ({plan.start_date:%Y-%m-%d})."}
        )
    if target_date > plan.horizon_date:
        raise ValidationError(
            {
                "target_date": f"The target date is beyond the plan's horizon ({plan.horizon_date:%Y-%m-%d}); "
                "choose a nearer step or review the horizon."
            }
        )


def _plain_and_links(model: type[models.Model]) -> tuple[list[str], list[str]]:
    """The model's editable fields (its EDITABLE_FIELDS), split into plain fields and many-to-many
    links: the links are set after the save, once the row exists."""
    links = [name for name in model.EDITABLE_FIELDS if model._meta.get_field(name).many_to_many]
    return [name for name in model.EDITABLE_FIELDS if name not in links], links


# The record each item belongs to, never changed by an edit.
PARENT = {Goal: "plan", Objective: "goal", Intervention: "plan"}

# Which plain fields and which links each item's editor may change (the formulation's own items are
# changed by formulation.services).
EDITABLE = {model: _plain_and_links(model) for model in (Goal, Objective, Intervention)}


@transaction.atomic
def update_item(*, actor: User, item: models.Model, expected_version: int, values: dict):
    """Save an edited goal, objective or intervention."""
    model = type(item)
    fields, links = EDITABLE[model]
    current = _locked_item(model, actor, item.pk, expected_version)
    item_date = getattr(current, "target_date", None)
    for name in fields:
        if name in values:
            setattr(current, name, values[name])
    link_values = {name: list(values[name]) for name in links if name in values}
    if model is Objective:
        goal = current.goal
        # Only a changed date is checked, so an objective saved before the plan's span moved stays editable.
        if "target_date" in values and values["target_date"] != item_date:
            _check_target_date(goal.plan, values["target_date"])
        _objective_links(
            goal,
            presenting_problems=link_values.get("presenting_problems", []),
            conflicts=link_values.get("conflicts", []),
            defenses=link_values.get("defenses", []),
        )
    elif model is Intervention:
        plan = current.plan
        _check_catalogue(
            InterventionTechnique.objects, plan.client.practice_id, current.technique, "technique", "technique"
        )
        _check_objectives_of_plan(plan, link_values.get("objectives", []))
    # Its plan (or goal) is the row locked above: no query need ask whether it exists.
    current.full_clean(exclude=[PARENT[model]])
    current.version += 1
    current.save()
    for name, related in link_values.items():
        getattr(current, name).set(related)
    return current


@transaction.atomic
def remove_item(*, actor: User, item: models.Model) -> None:
    """Take an item out of a draft plan. The row stays, marked removed: nothing is hard-deleted."""
    current = _locked_item(type(item), actor, item.pk, None)
    current.removed_at = timezone.now()
    current.version += 1
    current.save(update_fields=["removed_at", "version"])


def _siblings(item):
    if isinstance(item, Goal):
        return Goal.objects.filter(plan_id=item.plan_id)
    if isinstance(item, Objective):
        return Objective.objects.filter(goal_id=item.goal_id)
    if isinstance(item, Intervention):
        return Intervention.objects.filter(plan_id=item.plan_id)
    raise TypeError(type(item))


@transaction.atomic
def move_item(*, actor: User, item: models.Model, direction: str) -> None:
    """Swap an item with its neighbour above ("up") or below ("down")."""
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.")
    current = _locked_item(type(item), actor, item.pk, None)
    siblings = list(_siblings(current).filter(removed_at__isnull=True).select_for_update().order_by("order", "pk"))
    swap_with_neighbour(siblings, current, direction)
