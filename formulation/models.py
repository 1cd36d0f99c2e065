"""The structured psychodynamic formulation of a treatment plan.

Rather than one text box, the formulation is held in parts that can be
searched, reviewed and linked to objectives (the golden thread): core
conflicts (OPD-2's conflict axis), observed defenses (the DMRS maturity
hierarchy), developmental history, the relational pattern as a CCRT,
transference and countertransference, strengths, and the narrative hypothesis.
"""

import uuid

from django.db import models
from django.db.models import Q

from accounts.access import CaseloadQuerySet
from core.catalogue import CatalogueQuerySet
from core.errors import ImmutableRecordError


class ConflictType(models.Model):
    """A conflict type from OPD-2's conflict axis, or a practice's own addition."""

    practice = models.ForeignKey(
        "accounts.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="conflict_types"
    )
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    # "Limited perception of conflicts and feelings" is recorded, but is not a conflict with a mode.
    assessable_as_conflict = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "code"], name="conflicttype_code_unique_per_practice"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(practice__isnull=True), name="conflicttype_builtin_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DefenseMechanism(models.Model):
    """A defense from the DMRS hierarchy (level 7 most adaptive, 1 least), or a practice's own."""

    class Level(models.IntegerChoices):
        HIGH_ADAPTIVE = 7, "7. High-adaptive"
        OBSESSIONAL = 6, "6. Obsessional"
        OTHER_NEUROTIC = 5, "5. Other neurotic"
        MINOR_IMAGE_DISTORTING = 4, "4. Minor image-distorting"
        DISAVOWAL = 3, "3. Disavowal"
        MAJOR_IMAGE_DISTORTING = 2, "2. Major image-distorting"
        ACTION = 1, "1. Action"

    practice = models.ForeignKey(
        "accounts.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="defense_mechanisms"
    )
    name = models.CharField(max_length=120)
    level = models.PositiveSmallIntegerField(choices=Level)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["-level", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="defense_name_unique_per_practice"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(practice__isnull=True), name="defense_builtin_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FormulationQuerySet(CaseloadQuerySet):
    client_path = "plan__client"


class Formulation(models.Model):
    """One per treatment plan version. Text sections save separately, each with its own version."""

    class Attachment(models.TextChoices):
        UNASSESSED = "", "Not yet assessed"
        SECURE = "secure", "Secure"
        ANXIOUS = "anxious", "Anxious (preoccupied)"
        AVOIDANT = "avoidant", "Avoidant (dismissing)"
        DISORGANIZED = "disorganized", "Disorganized (fearful)"

    plan = models.OneToOneField("plans.TreatmentPlan", on_delete=models.PROTECT, related_name="formulation")
    # Developmental history
    childhood_experiences = models.TextField(max_length=8000, blank=True)
    attachment_pattern = models.CharField(max_length=20, choices=Attachment, blank=True, default="")
    significant_relationships = models.TextField(max_length=8000, blank=True)
    losses = models.TextField("losses and separations", max_length=8000, blank=True)
    # Relational pattern (CCRT)
    ccrt_wish = models.TextField("wish", max_length=2000, blank=True, help_text="What the client wants from others.")
    ccrt_response_of_other = models.TextField(
        "response of other", max_length=2000, blank=True, help_text="How they expect or perceive others to respond."
    )
    ccrt_response_of_self = models.TextField(
        "response of self", max_length=2000, blank=True, help_text="How they then feel, think and act."
    )
    # Transference and countertransference
    transference = models.TextField(max_length=8000, blank=True)
    countertransference = models.TextField(max_length=8000, blank=True)
    resistance = models.TextField("resistance", max_length=8000, blank=True)
    strengths = models.TextField("strengths and resources", max_length=8000, blank=True)
    narrative_hypothesis = models.TextField(
        max_length=12000, blank=True, help_text="The “why behind the what”: how past and present connect."
    )
    # {section name: version}; each section saves on its own so two tabs can
    # edit different sections, and the same section cannot be silently overwritten.
    section_versions = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FormulationQuerySet.as_manager()

    SECTIONS: dict[str, tuple[str, list[str]]] = {
        "development": (
            "Developmental history",
            ["childhood_experiences", "attachment_pattern", "significant_relationships", "losses"],
        ),
        "relational": ("Relational pattern (CCRT)", ["ccrt_wish", "ccrt_response_of_other", "ccrt_response_of_self"]),
        "transference": ("Transference and countertransference", ["transference", "countertransference", "resistance"]),
        "strengths": ("Strengths and resources", ["strengths"]),
        "narrative": ("Narrative hypothesis", ["narrative_hypothesis"]),
    }
    # Every section's fields, in order: what the editor, the API and a signature's content read.
    SECTION_FIELDS = tuple(name for _, fields in SECTIONS.values() for name in fields)
    # The clinician's private working material among them: signed with the version like the rest,
    # but never part of what leaves the system as the record (the PDF, FHIR, bulk export), and read
    # only by whom accounts.policy lets (Action.READ_COUNTERTRANSFERENCE and its siblings).
    PRIVATE_FIELDS = ("countertransference",)

    def __str__(self) -> str:
        return f"Formulation of {self.plan}"

    def save(self, *args, **kwargs):
        _refuse_if_locked(self.plan_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_delete()

    def section_version(self, section: str) -> int:
        return int(self.section_versions.get(section, 0))

    @property
    def is_editable(self) -> bool:
        """Whether its plan is still a draft: the plan's own answer, read through the relation."""
        return self.plan.is_editable

    @property
    def practice_id(self) -> int:
        """The practice whose catalogues its conflicts and defenses choose from."""
        return self.plan.client.practice_id

    @property
    def has_relational_pattern(self) -> bool:
        return bool(self.ccrt_wish or self.ccrt_response_of_other or self.ccrt_response_of_self)


def _refuse_if_locked(plan_id) -> None:
    # The plan model comes through the relation, not an import: plans sits above formulation (plans.models
    # imports this module), and whether a plan is locked is the plan's own answer (`is_locked`).
    plan_model = Formulation._meta.get_field("plan").related_model
    plan = plan_model.objects.only("status").filter(pk=plan_id).first() if plan_id else None
    if plan is not None and plan.is_locked:
        raise ImmutableRecordError(f"Plan {plan_id} is signed; amend it to change the formulation.")


def _refuse_delete() -> None:
    raise ImmutableRecordError("Formulation records are never deleted; items are marked removed.")


class FormulationItem(models.Model):
    lineage = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        _refuse_if_locked(Formulation.objects.filter(pk=self.formulation_id).values_list("plan_id", flat=True).first())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_delete()


class FormulationItemQuerySet(CaseloadQuerySet):
    client_path = "formulation__plan__client"

    def current(self):
        return self.filter(removed_at__isnull=True)


class CoreConflict(FormulationItem):
    class Intensity(models.TextChoices):
        LOW = "low", "Low"
        SIGNIFICANT = "significant", "Significant"
        VERY_SIGNIFICANT = "very_significant", "Very significant"

    class Mode(models.TextChoices):
        ACTIVE = "active", "Active"
        PASSIVE = "passive", "Passive"
        MIXED = "mixed", "Mixed"
        NOT_APPLICABLE = "", "Not applicable"

    formulation = models.ForeignKey(Formulation, on_delete=models.PROTECT, related_name="conflicts")
    conflict_type = models.ForeignKey(ConflictType, on_delete=models.PROTECT, related_name="+")
    intensity = models.CharField(max_length=20, choices=Intensity, default=Intensity.SIGNIFICANT)
    mode = models.CharField(max_length=10, choices=Mode, blank=True, default=Mode.ACTIVE)
    description = models.TextField(max_length=4000, blank=True)
    order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = FormulationItemQuerySet.as_manager()

    # What its editor changes, defined once for the form and formulation.services.update_item.
    EDITABLE_FIELDS = ("conflict_type", "intensity", "mode", "description")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"{self.conflict_type.name} conflict"


class DefenseObservation(FormulationItem):
    formulation = models.ForeignKey(Formulation, on_delete=models.PROTECT, related_name="defenses")
    mechanism = models.ForeignKey(DefenseMechanism, on_delete=models.PROTECT, related_name="+")
    evidence = models.TextField(max_length=4000, blank=True, help_text="What was observed, and when.")
    order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = FormulationItemQuerySet.as_manager()

    # What its editor changes, defined once for the form and formulation.services.update_item.
    EDITABLE_FIELDS = ("mechanism", "evidence")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.mechanism.name
