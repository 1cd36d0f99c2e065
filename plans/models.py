import calendar
import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.access import CaseloadQuerySet
from formulation.models import CatalogueQuerySet


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later, clamping to the month's end (30 Nov + 3 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class TreatmentPlanQuerySet(CaseloadQuerySet):
    client_path = "client"

    def drafts(self):
        return self.filter(status=TreatmentPlan.Status.DRAFT)


class TreatmentPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"

    class ReviewInterval(models.IntegerChoices):
        MONTHLY = 1, "Monthly"
        QUARTERLY = 3, "Quarterly"
        SEMI_ANNUAL = 6, "Semi-annual"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="plans")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_plans")
    presenting_problems = models.ManyToManyField(
        "clients.PresentingProblem", blank=True, related_name="plans", help_text="The problems this plan addresses."
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    version_number = models.PositiveIntegerField(default=1)
    previous_version = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    template = models.ForeignKey("PlanTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    start_date = models.DateField()
    horizon_months = models.PositiveSmallIntegerField(
        default=12, help_text="How far ahead the plan looks; objectives should be due within it."
    )
    review_interval = models.PositiveSmallIntegerField(choices=ReviewInterval, default=ReviewInterval.QUARTERLY)
    next_review_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = TreatmentPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-version_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["previous_version"],
                condition=Q(previous_version__isnull=False),
                name="plan_one_amendment_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"Plan v{self.version_number} for {self.client.chart_number}"

    @property
    def horizon_date(self) -> dt.date:
        return add_months(self.start_date, self.horizon_months)

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class PlanItemQuerySet(CaseloadQuerySet):
    def current(self):
        return self.filter(removed_at__isnull=True)


class GoalQuerySet(PlanItemQuerySet):
    client_path = "plan__client"


class Goal(models.Model):
    """A broad aim. Process goals may stay broad; SMART applies to objectives."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="goals")
    statement = models.CharField(max_length=300)
    description = models.TextField(max_length=4000, blank=True)
    order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.statement


class ObjectiveQuerySet(PlanItemQuerySet):
    client_path = "goal__plan__client"


class Objective(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        MET = "met", "Met"
        REVISED = "revised", "Revised"
        DISCONTINUED = "discontinued", "Discontinued"

    class Responsible(models.TextChoices):
        CLIENT = "client", "Client"
        CLINICIAN = "clinician", "Clinician"
        BOTH = "both", "Client and clinician"

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="objectives")
    statement = models.CharField(max_length=500)
    measure = models.CharField("how it is measured", max_length=500, blank=True)
    baseline = models.CharField(max_length=300, blank=True)
    target = models.CharField("target or criterion", max_length=300, blank=True)
    target_date = models.DateField(null=True, blank=True)
    responsible = models.CharField("carried out by", max_length=20, choices=Responsible, default=Responsible.BOTH)
    status = models.CharField(max_length=20, choices=Status, default=Status.NOT_STARTED)
    presenting_problems = models.ManyToManyField("clients.PresentingProblem", blank=True, related_name="objectives")
    # The golden thread: which formulation items this objective works on.
    conflicts = models.ManyToManyField("formulation.CoreConflict", blank=True, related_name="objectives")
    defenses = models.ManyToManyField("formulation.DefenseObservation", blank=True, related_name="objectives")
    addresses_relational_pattern = models.BooleanField("works on the relational pattern (CCRT)", default=False)
    order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = ObjectiveQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.statement


class InterventionTechnique(models.Model):
    class Kind(models.TextChoices):
        PSYCHODYNAMIC = "psychodynamic", "Psychodynamic"
        INTEGRATED = "integrated", "Integrated modality"

    practice = models.ForeignKey(
        "accounts.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="intervention_techniques"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.PSYCHODYNAMIC)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="technique_name_unique_per_practice"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(practice__isnull=True), name="technique_builtin_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InterventionQuerySet(PlanItemQuerySet):
    client_path = "plan__client"


class Intervention(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="interventions")
    technique = models.ForeignKey(InterventionTechnique, on_delete=models.PROTECT, related_name="+")
    objectives = models.ManyToManyField(Objective, blank=True, related_name="interventions")
    frequency = models.CharField(max_length=200, blank=True, help_text="e.g. “weekly 50-minute sessions”.")
    rationale = models.TextField(max_length=4000, blank=True)
    order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = InterventionQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.technique.name


class PlanTemplateQuerySet(CatalogueQuerySet):
    pass


class PlanTemplate(models.Model):
    """A starting point for a plan: goals with their objectives, all editable once copied."""

    practice = models.ForeignKey(
        "accounts.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="plan_templates"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PlanTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GoalTemplate(models.Model):
    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="goals")
    statement = models.CharField(max_length=300)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.statement


class ObjectiveTemplate(models.Model):
    goal = models.ForeignKey(GoalTemplate, on_delete=models.CASCADE, related_name="objectives")
    statement = models.CharField(max_length=500)
    measure = models.CharField(max_length=500, blank=True)
    target = models.CharField(max_length=300, blank=True)
    months_to_target = models.PositiveSmallIntegerField(
        default=3, help_text="Target date, counted from the plan's start."
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.statement
