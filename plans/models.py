import calendar
import datetime as dt
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from accounts import policy
from accounts.access import CaseloadQuerySet
from core.catalogue import CatalogueQuerySet
from core.dates import ClinicalDateField
from core.errors import ImmutableRecordError


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later, clamping to the month's end (30 Nov + 3 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# Once submitted, a version's content is fixed: in review it waits for the
# co-signature; after that it is a signed clinical record.
LOCKED_STATUSES = ("in_review", "active", "superseded", "closed")
# Of those, the ones a version never leaves for an editable state (in review can go back to the
# author), so their content, its hash and their rendered structure can be cached for good.
FINAL_STATUSES = ("active", "superseded", "closed")


class TreatmentPlanQuerySet(CaseloadQuerySet):
    client_path = "client"

    def drafts(self):
        return self.filter(status=TreatmentPlan.Status.DRAFT)

    def awaiting_signoff_by(self, user):
        """Plans in review whose author this user currently supervises, oldest submission first."""
        return (
            self.visible_to(user)
            .filter(status=TreatmentPlan.Status.IN_REVIEW, author_id__in=policy.supervisee_ids(user))
            .exclude(author=user)
            .order_by("submitted_at")
        )


class TreatmentPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        ACTIVE = "active", "Active"
        SUPERSEDED = "superseded", "Superseded"
        CLOSED = "closed", "Closed"

    class ReviewInterval(models.IntegerChoices):
        MONTHLY = 1, "Monthly"
        QUARTERLY = 3, "Quarterly"
        SEMI_ANNUAL = 6, "Semi-annual"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="plans")
    # The client's practice, copied so the daily review scan reads one index per practice
    # instead of joining every client.
    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT, related_name="+", editable=False)
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
    start_date = ClinicalDateField()
    horizon_months = models.PositiveSmallIntegerField(
        default=12, help_text="How far ahead the plan looks; objectives should be due within it."
    )
    review_interval = models.PositiveSmallIntegerField(choices=ReviewInterval, default=ReviewInterval.QUARTERLY)
    # Computed from the start date and interval, never entered: it may fall a few months past the
    # clinical range's end (core/dates.py) for a plan starting at its very end.
    next_review_date = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Shared by every version of the same plan.
    lineage = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = TreatmentPlanQuerySet.as_manager()

    # What the plan's details editor changes (the form, the API's PATCH and services.update_plan_details).
    DETAIL_FIELDS = ("start_date", "review_interval", "horizon_months", "presenting_problems")

    # What a signature covers on the plan row itself; status and review dates move on.
    CONTENT_FIELDS = (
        "client_id",
        "practice_id",
        "author_id",
        "version_number",
        "previous_version_id",
        "start_date",
        "horizon_months",
        "review_interval",
        "lineage",
    )

    class Meta:
        ordering = ["-start_date", "-version_number"]
        indexes = [
            # The daily review scan: one practice's active plans whose next review falls within the window.
            models.Index(
                fields=["practice", "next_review_date"],
                condition=Q(status="active"),
                name="plan_active_review_by_practice",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["previous_version"],
                condition=Q(previous_version__isnull=False),
                name="plan_one_amendment_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"Plan v{self.version_number} for {self.client.chart_number}"

    def save(self, *args, **kwargs):
        if not self.practice_id and self.client_id:
            self.practice_id = self.client.practice_id
        if self.pk:
            stored = TreatmentPlan.objects.filter(pk=self.pk).values("status", *self.CONTENT_FIELDS).first()
            if stored and stored["status"] in LOCKED_STATUSES:
                changed = [f for f in self.CONTENT_FIELDS if getattr(self, f) != stored[f]]
                if changed:
                    raise ImmutableRecordError(f"Plan {self.pk} is signed; {', '.join(changed)} cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Treatment plans are never deleted.")

    @property
    def horizon_date(self) -> dt.date:
        return add_months(self.start_date, self.horizon_months)

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_locked(self) -> bool:
        return self.status in LOCKED_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


CLIENTS_WORDS_HELP = (
    "How the client would put it. The client's version of the plan uses this instead of the clinical wording."
)


class PlanContent(models.Model):
    """Part of a plan's signed content: frozen once the plan is submitted."""

    lineage = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        plan_id = self.plan_id_for_lock()
        locked = plan_id and TreatmentPlan.objects.filter(pk=plan_id, status__in=LOCKED_STATUSES).exists()
        if locked:
            raise ImmutableRecordError(f"Plan {plan_id} is signed; amend it to change its content.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Plan content is never deleted; items are marked removed.")

    def plan_id_for_lock(self) -> int | None:
        raise NotImplementedError


class PlanItemQuerySet(CaseloadQuerySet):
    def current(self):
        return self.filter(removed_at__isnull=True)


class GoalQuerySet(PlanItemQuerySet):
    client_path = "plan__client"


class Goal(PlanContent):
    """A broad aim. Process goals may stay broad; SMART applies to objectives."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="goals")
    statement = models.CharField(max_length=300)
    description = models.TextField(max_length=4000, blank=True)
    # The goal as the client would say it: the plain-language version (records/client_version.py)
    # uses it in place of the clinical statement. Part of the signed content when written.
    clients_words = models.TextField("in the client's words", max_length=1000, blank=True, help_text=CLIENTS_WORDS_HELP)
    order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = GoalQuerySet.as_manager()

    # What its editor changes, defined once for the form, the API and services.update_item.
    EDITABLE_FIELDS = ("statement", "description", "clients_words")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.statement

    def plan_id_for_lock(self):
        return self.plan_id


class ObjectiveQuerySet(PlanItemQuerySet):
    client_path = "goal__plan__client"


class Objective(PlanContent):
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
    # The step as the client would say it, for the plain-language version (as on Goal).
    clients_words = models.TextField("in the client's words", max_length=1000, blank=True, help_text=CLIENTS_WORDS_HELP)
    measure = models.CharField("how it is measured", max_length=500, blank=True)
    baseline = models.CharField(max_length=300, blank=True)
    target = models.CharField("target or criterion", max_length=300, blank=True)
    target_date = ClinicalDateField(null=True, blank=True)
    responsible = models.CharField("carried out by", max_length=20, choices=Responsible, default=Responsible.BOTH)
    status = models.CharField(max_length=20, choices=Status, default=Status.NOT_STARTED)
    presenting_problems = models.ManyToManyField("clients.PresentingProblem", blank=True, related_name="objectives")
    # The golden thread: which formulation items this objective works on.
    conflicts = models.ManyToManyField("formulation.CoreConflict", blank=True, related_name="objectives")
    defenses = models.ManyToManyField("formulation.DefenseObservation", blank=True, related_name="objectives")
    addresses_relational_pattern = models.BooleanField("works on the relational pattern (CCRT)", default=False)
    # Optionally bound to an outcome measure, e.g. "PHQ-9 total below 10": its achievement then
    # follows the recorded scores on its own.
    bound_measure = models.ForeignKey(
        "MeasureDefinition", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="measure"
    )
    bound_comparator = models.CharField(
        "criterion",
        max_length=3,
        blank=True,
        choices=[("lt", "below"), ("lte", "at or below"), ("gt", "above"), ("gte", "at or above")],
    )
    bound_threshold = models.IntegerField("threshold", null=True, blank=True)
    order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = ObjectiveQuerySet.as_manager()

    # What its editor changes, in the order the form shows them; defined once for the form, the
    # API's serializers and services.update_item (which sets the many-to-many links apart).
    EDITABLE_FIELDS = (
        "statement",
        "clients_words",
        "measure",
        "baseline",
        "target",
        "target_date",
        "responsible",
        "status",
        "presenting_problems",
        "conflicts",
        "defenses",
        "addresses_relational_pattern",
        "bound_measure",
        "bound_comparator",
        "bound_threshold",
    )

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.statement

    def plan_id_for_lock(self):
        # A goal never moves to another plan, so a goal fetched with the objective answers without a query.
        if Objective.goal.is_cached(self) and self.goal.pk == self.goal_id:
            return self.goal.plan_id
        return Goal.objects.filter(pk=self.goal_id).values_list("plan_id", flat=True).first()

    def clean(self) -> None:
        parts = [self.bound_measure_id, self.bound_comparator, self.bound_threshold]
        if any(p not in (None, "") for p in parts) and not all(p not in (None, "") for p in parts):
            raise ValidationError(
                {"bound_threshold": "To bind this objective to a measure, choose the measure, criterion and threshold."}
            )
        if self.bound_measure_id and self.bound_threshold is not None:
            measure = self.bound_measure
            if not measure.min_score <= self.bound_threshold <= measure.max_score:
                raise ValidationError(
                    {"bound_threshold": f"{measure.name} runs from {measure.min_score} to {measure.max_score}."}
                )


class InterventionTechnique(models.Model):
    class Kind(models.TextChoices):
        PSYCHODYNAMIC = "psychodynamic", "Psychodynamic"
        INTEGRATED = "integrated", "Integrated modality"

    practice = models.ForeignKey(
        "accounts.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="intervention_techniques"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.PSYCHODYNAMIC)
    # What the library and the intervention editor tell a clinician choosing a technique. The
    # built-in texts are Psyplan's (plans migration 0016); a practice writes its own techniques'.
    description = models.TextField(
        "What it is", max_length=1500, blank=True, help_text="The technique in two or three sentences."
    )
    when_it_fits = models.TextField(
        "When it fits",
        max_length=1500,
        blank=True,
        help_text="The clients, phases or problems it suits, and when to hold back.",
    )
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


class Intervention(PlanContent):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="interventions")
    technique = models.ForeignKey(InterventionTechnique, on_delete=models.PROTECT, related_name="+")
    objectives = models.ManyToManyField(Objective, blank=True, related_name="interventions")
    frequency = models.CharField(max_length=200, blank=True, help_text="e.g. “weekly 50-minute sessions”.")
    rationale = models.TextField(max_length=4000, blank=True)
    order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = InterventionQuerySet.as_manager()

    # What its editor changes, in the order the form shows them.
    EDITABLE_FIELDS = ("technique", "frequency", "rationale", "objectives")

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.technique.name

    def plan_id_for_lock(self):
        return self.plan_id


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
    # Provenance of a template saved from a plan: when, and from which plan version. The library
    # names the plan only to those who may see it (see plans.library); the template holds no
    # client detail, only the texts the admin reviewed. Empty for built-in and older templates.
    created_at = models.DateTimeField(null=True, blank=True)
    source_plan = models.ForeignKey(
        "plans.TreatmentPlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_version_number = models.PositiveIntegerField(null=True, blank=True)

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


class InterventionTemplate(models.Model):
    """A technique a template suggests, copied into the plan with the objectives it serves."""

    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="interventions")
    technique = models.ForeignKey(InterventionTechnique, on_delete=models.PROTECT, related_name="+")
    objectives = models.ManyToManyField(ObjectiveTemplate, blank=True, related_name="interventions")
    frequency = models.CharField(max_length=200, blank=True)
    rationale = models.TextField(max_length=4000, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.technique.name


class PlanTransitionQuerySet(CaseloadQuerySet):
    client_path = "plan__client"


class PlanTransition(models.Model):
    """Who moved a plan from one state to another, when, and why. Append-only."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=20, choices=TreatmentPlan.Status)
    to_status = models.CharField(max_length=20, choices=TreatmentPlan.Status)
    comment = models.TextField(max_length=4000, blank=True)
    # For a request for changes: the version's canonical JSON (plans.lifecycle.canonical) as the
    # supervisor read it, so the resubmission can say what changed since they asked.
    content_when_changes_requested = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlanTransitionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class SignatureQuerySet(CaseloadQuerySet):
    client_path = "plan__client"

    def valid(self):
        return self.filter(voided_at__isnull=True)


class Signature(models.Model):
    """A signature as it was given: name, credentials and zone are copied so later edits to a
    person's profile never rewrite a signed record."""

    class Meaning(models.TextChoices):
        AUTHORED = "authored", "Authored"
        REVIEWED_AND_APPROVED = "reviewed_and_approved", "Reviewed and approved"
        CLIENT_AGREEMENT = "client_agreement", "Client agreement"

    class Method(models.TextChoices):
        """How a client's agreement was given. Staff signatures (authored, approved) leave it blank:
        they are always given in Psyplan by the signed-in signer."""

        IN_SESSION = "in_session", "In session, recorded by the clinician"
        CLIENT_LINK = "client_link", "Through a client link, typed by the client"

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    meaning = models.CharField(max_length=30, choices=Meaning)
    printed_name = models.CharField(max_length=300)
    credentials = models.CharField(max_length=100, blank=True)
    signed_at = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical plan content.")
    # Part of the signature as given: the database guard refuses to change it like the rest.
    signing_method = models.CharField(max_length=20, choices=Method, blank=True, default="")
    # The canonical JSON that was signed, byte for byte (text, not a JSON column: PostgreSQL's
    # jsonb would reorder its keys). Empty for signatures given before it was stored; the
    # database lets an empty one be filled in once, and never changes a stored one.
    canonical_json = models.TextField(blank=True, default="", editable=False)
    # An author's signature on a version returned for changes stops counting; the row stays.
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_meaning_display()} by {self.printed_name}"

    @property
    def local_signed_at(self):
        return self.signed_at.astimezone(zoneinfo.ZoneInfo(self.timezone))

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Signatures are never deleted.")


class PlanQuoteQuerySet(CaseloadQuerySet):
    client_path = "plan__client"


class PlanQuote(models.Model):
    """What a submitted version quotes from its client's record (the chart number and the
    presenting problems), copied when the version is frozen at submission. The client's
    record stays editable; this copy is part of the version's signed content, guarded like
    its goals, so editing the record later changes only later versions."""

    plan = models.OneToOneField(TreatmentPlan, on_delete=models.PROTECT, related_name="quote")
    chart_number = models.CharField(max_length=32)
    # [{"id": ..., "on_plan": bool, "title": ..., "diagnosis_code": ..., ...}]: the plan's
    # problems and those its objectives link to, as they read when the version was frozen.
    problems = models.JSONField(default=list)
    taken_at = models.DateTimeField()

    objects = PlanQuoteQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"What {self.plan} quotes"

    def save(self, *args, **kwargs):
        if TreatmentPlan.objects.filter(pk=self.plan_id, status__in=LOCKED_STATUSES).exists():
            raise ImmutableRecordError(f"Plan {self.plan_id} is signed; what it quotes cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("What a plan quotes is never deleted.")


class CommentQuerySet(CaseloadQuerySet):
    client_path = "plan__client"

    def unresolved(self):
        return self.filter(resolved_at__isnull=True)


class Comment(models.Model):
    """A reviewer's comment anchored to one part of a plan."""

    class Anchor(models.TextChoices):
        PLAN = "plan", "The plan as a whole"
        SECTION = "section", "Formulation section"
        GOAL = "goal", "Goal"
        OBJECTIVE = "objective", "Objective"
        INTERVENTION = "intervention", "Intervention"
        CONFLICT = "conflict", "Core conflict"
        DEFENSE = "defense", "Defense"

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    anchor_kind = models.CharField(max_length=20, choices=Anchor, default=Anchor.PLAN)
    # The anchored item's lineage (or a formulation section's key), so a comment still
    # finds its objective after the plan is revised.
    anchor_key = models.CharField(max_length=64, blank=True)
    anchor_label = models.CharField(max_length=300, blank=True)
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on {self.anchor_label or self.get_anchor_kind_display()}"


class MeasureDefinition(models.Model):
    """An outcome measure: PHQ-9 and GAD-7 built in, plus a practice's own simple measures."""

    class Direction(models.TextChoices):
        LOWER_IS_BETTER = "lower", "Lower is better"
        HIGHER_IS_BETTER = "higher", "Higher is better"

    practice = models.ForeignKey(
        "accounts.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="measures"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    # Items answered one by one (PHQ-9: 9, each 0-3); 0 means a single total is entered.
    item_count = models.PositiveSmallIntegerField(default=0)
    item_max = models.PositiveSmallIntegerField(default=3)
    min_score = models.IntegerField(default=0)
    max_score = models.IntegerField()
    direction = models.CharField(max_length=10, choices=Direction, default=Direction.LOWER_IS_BETTER)
    # [[low, high, label], ...] covering min..max, e.g. PHQ-9 [[0, 4, "minimal"], ...]
    bands = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        ordering = ["practice_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "code"], name="measure_code_unique_per_practice"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(practice__isnull=True), name="measure_builtin_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def band_for(self, total: int) -> str:
        for low, high, label in self.bands:
            if low <= total <= high:
                return label
        return ""

    def is_better(self, new: int, old: int) -> bool:
        return new < old if self.direction == self.Direction.LOWER_IS_BETTER else new > old
