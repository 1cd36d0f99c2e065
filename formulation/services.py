"""Writing a plan's formulation: its text sections, core conflicts and defense observations.

The same rules as the plan editor's services (plans/editor/services.py): every function takes the acting
user, fetches through `editable_by` (only the client's clinician writes), refuses a formulation
whose plan is no longer a draft, checks the optimistic-concurrency version the editor loaded, and
runs in one transaction. The plan is reached through the formulation's relation, never imported:
plans sits above formulation, and whether a plan is still a draft is the plan's own answer.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from core.editing import swap_with_neighbour
from core.errors import PlanLockedError, StaleEditError
from formulation.models import (
    ConflictType,
    CoreConflict,
    DefenseMechanism,
    DefenseObservation,
    Formulation,
)

Item = CoreConflict | DefenseObservation


def _editable_formulation(actor: User, formulation_id: int) -> Formulation:
    """The formulation with its plan row locked for change, as the plan editor locks the plan."""
    formulation = (
        Formulation.objects.editable_by(actor)
        .select_related("plan__client")
        .select_for_update(of=("plan",))
        .filter(pk=formulation_id)
        .first()
    )
    if formulation is None:
        raise PermissionDenied("Only the client's clinician can change this plan.")
    if not formulation.is_editable:
        plan = formulation.plan
        raise PlanLockedError(f"This plan is {plan.get_status_display().lower()}: amend it to make changes.")
    return formulation


def _locked_item(model: type[Item], actor: User, pk: int, expected_version: int | None) -> Item:
    """Lock a conflict or defense observation for change, checking access, draft status and version."""
    item = model._default_manager.editable_by(actor).select_for_update().filter(pk=pk).first()
    if item is None:
        raise PermissionDenied("Only the client's clinician can change this plan.")
    _editable_formulation(actor, item.formulation_id)
    if item.removed_at is not None:
        raise ValidationError("This item was removed in the meantime.")
    if expected_version is not None and item.version != expected_version:
        raise StaleEditError(item)
    return item


def _next_order(queryset) -> int:
    return (queryset.aggregate(m=Max("order"))["m"] or 0) + 1


def _check_catalogue(queryset, practice_id: int, obj, field: str, label: str) -> None:
    if not queryset.available_to(practice_id).filter(pk=obj.pk).exists():
        raise ValidationError({field: f"Choose a {label} from your practice's catalogue."})


@transaction.atomic
def save_formulation_section(
    *, actor: User, formulation: Formulation, section: str, expected_version: int, values: dict
) -> Formulation:
    """Save one section of the formulation; another section's edits are untouched."""
    if section not in Formulation.SECTIONS:
        raise ValidationError(f"Unknown formulation section {section!r}.")
    current = Formulation.objects.editable_by(actor).select_for_update().filter(pk=formulation.pk).first()
    if current is None:
        raise PermissionDenied("Only the client's clinician can change this formulation.")
    _editable_formulation(actor, current.pk)
    if current.section_version(section) != expected_version:
        raise StaleEditError(current)
    fields = Formulation.SECTIONS[section][1]
    for name in fields:
        setattr(current, name, values.get(name, ""))
    # Its plan, locked above, never changes: no query need ask whether it exists or has another formulation.
    current.full_clean(exclude=["plan"])
    current.section_versions = {**current.section_versions, section: expected_version + 1}
    current.save()
    return current


@transaction.atomic
def add_conflict(
    *, actor: User, formulation: Formulation, conflict_type: ConflictType, intensity: str, mode: str, description: str
) -> CoreConflict:
    practice_id = _editable_formulation(actor, formulation.pk).plan.client.practice_id
    _check_catalogue(ConflictType.objects, practice_id, conflict_type, "conflict_type", "conflict type")
    conflict = CoreConflict(
        formulation=formulation,
        conflict_type=conflict_type,
        intensity=intensity,
        mode="" if not conflict_type.assessable_as_conflict else mode,
        description=description,
        order=_next_order(formulation.conflicts.all()),
    )
    conflict.full_clean()
    conflict.save()
    return conflict


@transaction.atomic
def add_defense(
    *, actor: User, formulation: Formulation, mechanism: DefenseMechanism, evidence: str
) -> DefenseObservation:
    practice_id = _editable_formulation(actor, formulation.pk).plan.client.practice_id
    _check_catalogue(DefenseMechanism.objects, practice_id, mechanism, "mechanism", "defense")
    observation = DefenseObservation(
        formulation=formulation, mechanism=mechanism, evidence=evidence, order=_next_order(formulation.defenses.all())
    )
    observation.full_clean()
    observation.save()
    return observation


@transaction.atomic
def update_item(*, actor: User, item: Item, expected_version: int, values: dict) -> Item:
    """Save an edited conflict or defense observation (their EDITABLE_FIELDS hold no many-to-many links)."""
    current = _locked_item(type(item), actor, item.pk, expected_version)
    for name in type(item).EDITABLE_FIELDS:
        if name in values:
            setattr(current, name, values[name])
    current.full_clean()
    current.version += 1
    current.save()
    return current


@transaction.atomic
def remove_item(*, actor: User, item: Item) -> None:
    """Take an item out of a draft plan's formulation. The row stays, marked removed: nothing is hard-deleted."""
    current = _locked_item(type(item), actor, item.pk, None)
    current.removed_at = timezone.now()
    current.version += 1
    current.save(update_fields=["removed_at", "version"])


@transaction.atomic
def move_item(*, actor: User, item: Item, direction: str) -> None:
    """Swap an item with its neighbour above ("up") or below ("down")."""
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.")
    current = _locked_item(type(item), actor, item.pk, None)
    siblings = list(
        type(current)
        .objects.filter(formulation_id=current.formulation_id, removed_at__isnull=True)
        .select_for_update()
        .order_by("order", "pk")
    )
    swap_with_neighbour(siblings, current, direction)
